package p

//storegen:store nmae=users name=x name=y
type User struct {
	ID string `store:"key"`
}
