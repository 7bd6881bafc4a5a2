// Package marshalerror stores a type whose MarshalBinary can fail, directly,
// in a slice and inside a nested struct: Put returns an error naming the
// field and stores nothing. A nested struct without such a type keeps an
// encode helper that cannot fail.
package marshalerror

import (
	"encoding/binary"
	"errors"
	"math"
	"time"
)

// ErrBelowZero is what MarshalBinary returns for a temperature below
// absolute zero.
var ErrBelowZero = errors.New("temperature below absolute zero")

// Kelvin is a temperature, stored through its BinaryMarshaler.
type Kelvin float64

// MarshalBinary implements encoding.BinaryMarshaler; it refuses negative
// temperatures.
func (k Kelvin) MarshalBinary() ([]byte, error) {
	if k < 0 {
		return nil, ErrBelowZero
	}
	return binary.BigEndian.AppendUint64(nil, math.Float64bits(float64(k))), nil
}

// UnmarshalBinary implements encoding.BinaryUnmarshaler.
func (k *Kelvin) UnmarshalBinary(b []byte) error {
	if len(b) != 8 {
		return errors.New("kelvin: want 8 bytes")
	}
	*k = Kelvin(math.Float64frombits(binary.BigEndian.Uint64(b)))
	return nil
}

// Sample is one reading, held in a Sensor's history.
type Sample struct {
	At   time.Time
	Temp Kelvin
}

// Place says where a sensor is; it holds nothing that can fail to encode.
type Place struct {
	Building string
	Floor    int
}

// Sensor is a thermometer.
//
//storegen:store
type Sensor struct {
	ID      string `store:"key"`
	Room    string `store:"index"`
	Temp    Kelvin
	Limits  []Kelvin
	History []Sample
	Where   Place
}
