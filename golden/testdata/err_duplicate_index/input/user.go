package p

//storegen:store
type User struct {
	ID    string `store:"key"`
	Email string `store:"index,unique"`
	Team  string `store:"index"`
	Group string `store:"index=team"`
	A     string `store:"unique=ab"`
	B     string `store:"index=ab"`
}
