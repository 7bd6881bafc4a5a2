package p

//storegen:store

// User is fine, but the directive above floats.
type User struct {
	ID string
}

// Open is a function.
//
//storegen:store
func Open() {}

// Default is a variable.
//
//storegen:store
var Default User

type (
	//storegen:store
	A struct {
		ID string `store:"key"`
	}
	B struct {
		ID string `store:"key"`
	}
)

//storegen:stroe
type C struct {
	ID string `store:"key"`
}
