// Package model describes an annotated type the way the templates need it:
// every name, field id, type hash and lookup already decided and validated.
// The generator builds it from go/types; the templates only render it. It
// holds data and facts read off it (Type.Shares), no decisions, so both
// sides can depend on it without depending on each other.
package model

// File is one generated file: the store of one annotated type.
type File struct {
	// Path is where the file is written, beside the type's source.
	Path string
	// PkgPath and PkgName identify the package the file belongs to.
	PkgPath string
	PkgName string
	Store   *Store
}

// Store is an annotated struct type and everything generated for it.
type Store struct {
	// Type is the annotated type's name, for example "User".
	Type string
	// Keyspace is the store's name in the DB, for example "user".
	Keyspace string
	// Fields are the stored fields in declaration order (those tagged "-"
	// are left out).
	Fields []*Field
	// Key lists the key fields in declaration order; more than one make a
	// compound key whose Go type is KeyType.
	Key []*Field
	// SensitiveKey is set when a key field is tagged sensitive.
	SensitiveKey bool
	// Indexes are the secondary indexes in schema order; lookups refer to
	// them by position.
	Indexes []*Index
	// Lookups are the index methods: each index's full lookup first, then
	// lookups by leading fields of composite indexes.
	Lookups []*Lookup
	// KeyScans are the scans by proper leading fields of a compound key.
	KeyScans []*KeyScan
	// ScanPrefix is set when the last key field is a string, so that a
	// prefix of it can be scanned.
	ScanPrefix bool
	// Nested are the structs stored inside this one, each with its own
	// codec helpers, in order of first use.
	Nested []*Nested
	// Stringer is set when a String method that redacts sensitive fields is
	// generated.
	Stringer bool
	// Names are the identifiers generated at package level.
	Names Names
}

// Names are the package-level identifiers generated for one store.
type Names struct {
	StoreType   string // UserStore
	Constructor string // NewUserStore
	TxType      string // UserTx
	KeyType     string // UserKey; empty unless the key is compound
	EventType   string // UserEvent, the alias of store.Event[K, User]
	Schema      string // userSchema
	Encode      string // encodeUser
	Decode      string // decodeUser
	Clone       string // cloneUser; empty when a field holds a marshaler that is not Plain
	KeysParam   string // the parameter of DeleteAll: ids, keys, …
}

// Field is a stored field of a struct.
type Field struct {
	// Name is the Go field name.
	Name string
	// Param is the field's name as a method parameter (lowerCamel, renamed
	// away from keywords and the names generated code uses).
	Param string
	// ID is the field id in the stored form: FNV-1a of Name.
	ID uint32
	// TypeHash is the hash of the field's encoding class.
	TypeHash uint16
	Type     *Type
	// Sensitive is set when the field is tagged sensitive.
	Sensitive bool
	// Redacted is set when String must not show the field: it is sensitive
	// or holds a struct with a sensitive field.
	Redacted bool
}

// Index is a secondary index over one or more fields.
type Index struct {
	// Name is the index's stored name (snake_case).
	Name      string
	Unique    bool
	Sensitive bool
	Fields    []*Field
}

// Lookup is a generated index method.
type Lookup struct {
	// Method is the method name: GetByEmail, ListByTeam, ListByOrg, …
	Method string
	// Index is the position of the index in Store.Indexes.
	Index int
	// Fields are the leading index fields the method takes.
	Fields []*Field
	// Get is set for a full lookup of a unique index, which returns one
	// record; other lookups iterate.
	Get bool
}

// KeyScan is a scan by the leading fields of a compound key, and the
// Watch option that selects the same records.
type KeyScan struct {
	Method string // ScanByOrg
	Watch  string // WatchByOrg
	Fields []*Field
}

// Nested is a struct type stored inside a store's records.
type Nested struct {
	Type *TypeName
	// Encode and Decode name the codec helpers generated for it, unique
	// within the package.
	Encode string
	Decode string
	Fields []*Field
	// Clone names its deep-copy helper; empty when an assignment copies
	// the struct deeply (it holds no slice, map or pointer) or the record
	// has no Clone.
	Clone string
}

// Kind is the encoding class of a type.
type Kind int

// The kinds. Named types have the kind of their underlying type, except
// those that implement encoding.BinaryMarshaler (Marshaler) and time types.
const (
	Bool Kind = iota + 1
	Int
	Uint
	Float32
	Float64
	String
	Bytes // []byte
	Fixed // [N]byte
	Time
	Marshaler
	Struct
	Pointer
	Slice
	Array
	Map
)

// Type is a field type, resolved to what the codec needs.
type Type struct {
	Kind Kind
	// Named is set for a defined type (User, time.Duration, Tags); the
	// type is then written by this name.
	Named *TypeName
	// Basic is the predeclared name of an unnamed basic type ("int",
	// "uint8", "string", …), the element name for Bytes and Fixed ("byte").
	Basic string
	// Bits is the width of an Int or Uint: 8, 16, 32 or 64.
	Bits int
	// Len is the length of an Array or Fixed.
	Len int64
	// Elem is the element of a Pointer, Slice, Array or Map; Key is the
	// key of a Map.
	Elem *Type
	Key  *Type
	// Nested is the stored struct of a Struct.
	Nested *Nested
	// Plain is set for a Marshaler that holds no references (pointers,
	// slices, maps, …), so that an assignment copies it deeply.
	Plain bool
}

// Shares reports whether a copy of a t made by assignment shares memory
// with the original: t is or holds a slice, map or pointer. It derives
// from the data above, for the generator and the templates alike.
func (t *Type) Shares() bool {
	switch t.Kind {
	case Bytes, Slice, Map, Pointer:
		return true
	case Array:
		return t.Elem.Shares()
	case Struct:
		return t.Nested.Shares()
	}
	return false
}

// Shares reports whether a copy of the struct made by assignment shares
// memory with the original (see Type.Shares).
func (n *Nested) Shares() bool {
	for _, f := range n.Fields {
		if f.Type.Shares() {
			return true
		}
	}
	return false
}

// TypeName is a defined type: its package path ("" for none) and name.
type TypeName struct {
	Path string
	Name string
}
