package p

//storegen:store
type Box[T any] struct {
	ID    string `store:"key"`
	Value T
}

// Pair is generic.
type Pair[T any] struct{ A, B T }

//storegen:store
type Holder struct {
	ID   string `store:"key"`
	Pair Pair[int]
}
