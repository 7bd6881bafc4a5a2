package store

import "fmt"

// Schema is what a generated store tells the runtime about its record type
// V and key type K. Generated code builds one per type as a package-level
// value; the functions in it must not retain their arguments.
type Schema[K, V any] struct {
	// Name is the keyspace name: lower-case letters, digits and '_'.
	Name string
	// AppendKey appends the order-preserving encoding of k.
	AppendKey func(dst []byte, k K) []byte
	// KeyOf returns the key of a record.
	KeyOf func(v *V) K
	// Encode appends the stored form of v. It fails only when a field's
	// MarshalBinary does; the error should name the field.
	Encode func(dst []byte, v *V) ([]byte, error)
	// Decode resets *v and fills it from a stored value. Errors should name
	// the field (codec.FieldError); the runtime adds store and key.
	Decode func(b []byte, v *V) error
	// Clone returns a copy of *src that shares no slice, map or pointed-to
	// value with it (strings may be shared). With it, a store over a
	// backend that keeps decoded values (backend.DecodedGetter, as the
	// cache layer does) decodes a value once and hands out clones. Nil
	// when the type holds something the generator cannot copy.
	Clone func(src *V) V
	// Indexes lists the secondary indexes, in a fixed order that generated
	// lookups refer to by position.
	Indexes []Index[V]
	// SensitiveKey redacts keys in errors and events.
	SensitiveKey bool
	// FormatKey renders a key for error messages; nil uses fmt's %v.
	FormatKey func(k K) string
	// Redact clears v's sensitive fields (sets them to their zero values),
	// and its key fields too when SensitiveKey is set, so that v may be
	// shown outside the process, as DB.WatchJSON does. It is given the
	// runtime's own deep copy, decoded afresh, so it may change anything v
	// reaches. Nil means the store cannot say which fields are sensitive:
	// its records are then never rendered.
	Redact func(v *V)
}

// Index is one secondary index of a store.
type Index[V any] struct {
	// Name is unique within the store; it is part of every entry's key.
	Name string
	// Unique rejects a second record with the same indexed value. Zero
	// values are values: only one record may have an empty unique field.
	Unique bool
	// Sensitive redacts the indexed value in errors.
	Sensitive bool
	// AppendKey appends the encoding of v's indexed fields, each component
	// self-delimiting so that leading fields form a prefix.
	AppendKey func(dst []byte, v *V) []byte
}

// Redacted stands in for sensitive values in errors, logs and events.
const Redacted = "[redacted]"

func (s *Schema[K, V]) formatKey(k K) string {
	switch {
	case s.SensitiveKey:
		return Redacted
	case s.FormatKey != nil:
		return s.FormatKey(k)
	}
	return fmt.Sprintf("%v", k)
}
