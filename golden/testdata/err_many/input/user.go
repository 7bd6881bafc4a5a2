package p

import "storegen.test/golden/err_many/geo"

//storegen:store name=Users
type User struct {
	ID      string `store:"key"`
	Name    string `store:"uniq"`
	C       chan int
	Where   geo.Point
	Complex complex128
	Pair    struct{ A, B int }
	PP      **int
	M       map[*int]string
	Hash    [4]byte `store:"unique,sensitive,unique"`
}

//storegen:store
type Node struct {
	ID       int64 `store:"key"`
	Next     *Node
	Children []Child
}

// Child leads back to Node.
type Child struct {
	Parent Node
	F      func()
}
