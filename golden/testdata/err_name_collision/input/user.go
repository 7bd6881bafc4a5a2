package p

//storegen:store
type User struct {
	ID       string `store:"key"`
	Password string `store:"sensitive"`
	String   string
}

// UserStore is the user's own.
type UserStore struct{}

//storegen:store
type user_ struct {
	ID string `store:"key"`
}

//storegen:store
type Account struct {
	ID string `store:"key"`
}

//storegen:store name=account
type Other struct {
	ID string `store:"key"`
}
