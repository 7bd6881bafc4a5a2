// Package alltypes stores a field of every supported type: scalars of every
// width, named types, time, nested structs of this and another package,
// pointers, slices, arrays, maps, collections of collections and types that
// implement encoding.BinaryMarshaler.
package alltypes

import (
	"errors"
	"image"
	"net/netip"
	"time"
)

type (
	// Level is a named signed integer.
	Level int8
	// Name is a named string.
	Name string
	// Blob is a named []byte.
	Blob []byte
	// Hash is a named [N]byte.
	Hash [4]byte
	// Stamp is a type defined over time.Time.
	Stamp time.Time
	// Ratio is a named float32.
	Ratio float32
	// Tags is a named slice.
	Tags []string
	// Flag is a named bool.
	Flag bool
)

// Address is a struct of this package held by Thing and Place.
type Address struct {
	Street string
	City   Name
	Zip    uint32
	Note   string `store:"-"`
}

// Version is stored through its BinaryMarshaler.
type Version struct{ Major, Minor uint8 }

// MarshalBinary implements encoding.BinaryMarshaler.
func (v Version) MarshalBinary() ([]byte, error) { return []byte{v.Major, v.Minor}, nil }

// UnmarshalBinary implements encoding.BinaryUnmarshaler.
func (v *Version) UnmarshalBinary(b []byte) error {
	if len(b) != 2 {
		return errors.New("version: want 2 bytes")
	}
	v.Major, v.Minor = b[0], b[1]
	return nil
}

// Thing holds every supported type.
//
//storegen:store
type Thing struct {
	ID string `store:"key"`

	B   bool
	I   int
	I8  int8
	I16 int16
	I32 int32
	I64 int64
	U   uint
	U8  uint8
	U16 uint16
	U32 uint32
	U64 uint64
	F32 float32
	F64 float64
	S   string

	Data []byte
	Raw  [3]byte
	Hash Hash
	At   time.Time
	Wait time.Duration

	Level Level
	Name  Name
	Blob  Blob
	Stamp Stamp
	Ratio Ratio
	Tags  Tags
	Flag  Flag

	Home  Address
	Work  *Address
	Past  []Address
	Spot  image.Point
	Spots []*image.Point

	PtrInt  *int
	PtrStr  *string
	PtrHash *Hash
	PtrTags *[]string
	PtrTime *time.Time

	Ints    []int32
	Uints   []uint16
	Flags   []bool
	Floats  []float64
	Times   []time.Time
	Blobs   [][]byte
	Hashes  []Hash
	Grid    [][]int
	Arr     [3]int16
	Opt     []*int
	Counts  map[string]int
	ByHash  map[Hash]Address
	Nested  map[Name][]Level
	Keyed   map[[2]int8]*string
	Windows map[time.Duration]Ratio

	Ver    Version
	VerPtr *Version
	Vers   []Version
}

// Place is a second store holding Address, whose codec helpers are its
// own. Its netip.Addr is a marshaler that holds a reference, which the
// generator cannot copy, so Place has no Clone.
//
//storegen:store
type Place struct {
	Name  string `store:"key"`
	Where Address
	Near  []Address
	Addr  netip.Addr
}
