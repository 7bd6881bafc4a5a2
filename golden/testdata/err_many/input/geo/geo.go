// Package geo has a struct with an unexported field.
package geo

// Point has a field other packages cannot reach.
type Point struct {
	X, Y int
	zone string
}
