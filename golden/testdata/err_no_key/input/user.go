package p

//storegen:store
type User struct {
	ID   string
	Name string `store:"index"`
}
