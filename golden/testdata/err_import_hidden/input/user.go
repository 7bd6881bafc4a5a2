package p

// store hides the runtime package the generated file imports.
var store = map[string]string{}

//storegen:store
type User struct {
	ID string `store:"key"`
}
