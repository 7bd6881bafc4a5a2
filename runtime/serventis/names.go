package serventis

import (
	"errors"
	"strconv"
)

// ErrUnknownName is returned, wrapped, when text does not name a value of a
// vocabulary, for example UnmarshalText of "STEADY" into a Condition.
var ErrUnknownName = errors.New("serventis: unknown name")

// nameOf returns names[v], or "Kind(v)" for a value outside the vocabulary.
func nameOf[T ~uint8](names []string, kind string, v T) string {
	if int(v) < len(names) {
		return names[v]
	}
	return kind + "(" + strconv.Itoa(int(v)) + ")"
}

// parseName returns the value whose name is text.
func parseName[T ~uint8](names []string, kind string, text []byte) (T, error) {
	for i, n := range names {
		if n == string(text) {
			return T(i), nil
		}
	}
	return 0, &nameError{kind: kind, text: string(text)}
}

// nameError reports text that names no value of kind.
type nameError struct{ kind, text string }

func (e *nameError) Error() string {
	return "serventis: unknown " + e.kind + " " + strconv.Quote(e.text)
}

func (e *nameError) Unwrap() error { return ErrUnknownName }
