package p

//storegen:store
type User struct {
	ID           string `store:"key"`
	Field579897  int
	Field1486330 int
}
