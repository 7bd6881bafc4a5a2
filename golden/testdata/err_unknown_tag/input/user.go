package p

//storegen:store
type User struct {
	ID   string `store:"key"`
	Name string `store:"indx"`
}
