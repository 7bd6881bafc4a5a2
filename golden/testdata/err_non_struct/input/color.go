package p

// Color is not a struct.
//
//storegen:store
type Color int
