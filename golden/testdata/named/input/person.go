// Package named sets the keyspace name of a store with name=, and has an
// unexported store type, whose generated names are unexported too.
package named

// Person is stored in the keyspace "people".
//
//storegen:store name=people
type Person struct {
	Name string `store:"key"`
	Age  uint8
}

// draft is a store of an unexported type.
//
//storegen:store
type draft struct {
	id   string `store:"key"`
	body []byte
}
