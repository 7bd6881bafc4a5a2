package generator

import (
	"go/token"
	"go/types"
	"slices"
	"strconv"

	"github.com/synapsed/storegen/generator/model"
)

// site is where a type is met, for error messages: the position to report
// (always in the package being generated, so the user can act on it) and
// the field path from there ("User.Addr.City").
type site struct {
	pos  token.Pos
	path string
}

func (s site) field(name string) site { return site{pos: s.pos, path: s.path + "." + name} }

// classifier resolves the field types of one store into model types,
// reporting those that cannot be stored. Nested structs get codec helpers
// named after the store, so two stores of a package never share one.
type classifier struct {
	pkg     *types.Package
	store   string // the annotated type's name
	errs    *errorSink
	structs map[*types.TypeName]*model.Nested
	order   []*model.Nested
	helpers map[string]bool
	stack   []*types.TypeName // structs being resolved, to find recursion
	// sensitive records the structs that hold a sensitive field, directly
	// or in a nested struct.
	sensitive map[*model.Nested]bool
	// invalid is set when a type did not type-check.
	invalid bool
}

func newClassifier(pkg *types.Package, store string, errs *errorSink) *classifier {
	return &classifier{
		pkg:       pkg,
		store:     store,
		errs:      errs,
		structs:   make(map[*types.TypeName]*model.Nested),
		helpers:   make(map[string]bool),
		sensitive: make(map[*model.Nested]bool),
	}
}

// The encoding interfaces, built here so that a package need not import
// encoding for its types to be recognised.
var (
	errorType   = types.Universe.Lookup("error").Type()
	marshaler   = oneMethod("MarshalBinary", nil, types.NewTuple(anon(types.NewSlice(types.Typ[types.Byte])), anon(errorType)))
	unmarshaler = oneMethod("UnmarshalBinary", types.NewTuple(anon(types.NewSlice(types.Typ[types.Byte]))), types.NewTuple(anon(errorType)))
)

func anon(t types.Type) *types.Var { return types.NewParam(token.NoPos, nil, "", t) }

func oneMethod(name string, params, results *types.Tuple) *types.Interface {
	sig := types.NewSignatureType(nil, nil, nil, params, results, false)
	return types.NewInterfaceType([]*types.Func{types.NewFunc(token.NoPos, nil, name, sig)}, nil).Complete()
}

// isMarshaler reports whether t implements encoding.BinaryMarshaler (by
// value or pointer) and *t implements encoding.BinaryUnmarshaler.
func isMarshaler(t types.Type) bool {
	if _, ok := t.Underlying().(*types.Pointer); ok {
		return false
	}
	ptr := types.NewPointer(t)
	return (types.Implements(t, marshaler) || types.Implements(ptr, marshaler)) && types.Implements(ptr, unmarshaler)
}

func isNamed(t types.Type, pkg, name string) bool {
	n, ok := t.(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == pkg && n.Obj().Name() == name
}

// isTimeStruct reports whether st is time.Time's underlying struct, the
// underlying type of every type defined over time.Time.
func isTimeStruct(st *types.Struct) bool {
	return st.NumFields() > 0 && st.Field(0).Pkg() != nil && st.Field(0).Pkg().Path() == "time" && st.Field(0).Name() == "wall"
}

// isByte reports whether t is the predeclared byte (uint8), not a type
// defined over it: only []byte and [N]byte convert to the codec's []byte.
func isByte(t types.Type) bool {
	b, ok := types.Unalias(t).(*types.Basic)
	return ok && b.Kind() == types.Uint8
}

func (c *classifier) typeString(t types.Type) string { return typeString(t, c.pkg) }

// typeString writes t as the user would in pkg: geo.Point, not the
// package's path.
func typeString(t types.Type, pkg *types.Package) string {
	return types.TypeString(t, func(p *types.Package) string {
		if p == pkg {
			return ""
		}
		return p.Name()
	})
}

// typ resolves t, met at at. It reports an error and returns false if t
// cannot be stored.
func (c *classifier) typ(t types.Type, at site) (*model.Type, bool) {
	t = types.Unalias(t)
	bad := func(why string) (*model.Type, bool) {
		c.errs.at(at.pos, "%s: unsupported type %s: %s", at.path, c.typeString(t), why)
		return nil, false
	}
	var named *model.TypeName
	if n, ok := t.(*types.Named); ok {
		switch {
		case isNamed(t, "time", "Time"):
			return &model.Type{Kind: model.Time, Named: &model.TypeName{Path: "time", Name: "Time"}}, true
		case n.TypeArgs().Len() > 0 || n.TypeParams().Len() > 0:
			return bad("generic types cannot be stored")
		case isMarshaler(t):
			return &model.Type{Kind: model.Marshaler, Named: c.typeName(n.Obj()), Plain: holdsNoReferences(t)}, true
		}
		named = c.typeName(n.Obj())
	}
	switch u := t.Underlying().(type) {
	case *types.Basic:
		return c.basic(u, named, bad)
	case *types.Struct:
		if isTimeStruct(u) {
			return &model.Type{Kind: model.Time, Named: named}, true
		}
		if named == nil {
			return bad("anonymous structs cannot be stored; declare a named type")
		}
		s, ok := c.nested(t.(*types.Named).Obj(), u, at)
		return &model.Type{Kind: model.Struct, Named: named, Nested: s}, ok
	case *types.Pointer:
		if _, ok := types.Unalias(u.Elem()).Underlying().(*types.Pointer); ok {
			return bad("pointers to pointers cannot be stored")
		}
		elem, ok := c.typ(u.Elem(), at)
		return &model.Type{Kind: model.Pointer, Named: named, Elem: elem}, ok
	case *types.Slice:
		if isByte(u.Elem()) {
			return &model.Type{Kind: model.Bytes, Named: named, Basic: "byte"}, true
		}
		elem, ok := c.typ(u.Elem(), at)
		return &model.Type{Kind: model.Slice, Named: named, Elem: elem}, ok
	case *types.Array:
		if isByte(u.Elem()) {
			return &model.Type{Kind: model.Fixed, Named: named, Basic: "byte", Len: u.Len()}, true
		}
		elem, ok := c.typ(u.Elem(), at)
		return &model.Type{Kind: model.Array, Named: named, Elem: elem, Len: u.Len()}, ok
	case *types.Map:
		if _, ok := types.Unalias(u.Key()).Underlying().(*types.Pointer); ok {
			return bad("map keys cannot be pointers")
		}
		key, ok1 := c.typ(u.Key(), at)
		elem, ok2 := c.typ(u.Elem(), at)
		return &model.Type{Kind: model.Map, Named: named, Key: key, Elem: elem}, ok1 && ok2
	case *types.Chan:
		return bad("channels cannot be stored")
	case *types.Signature:
		return bad("functions cannot be stored")
	case *types.Interface:
		return bad("interfaces cannot be stored; use a concrete type or one that implements encoding.BinaryMarshaler")
	case *types.TypeParam:
		return bad("generic types cannot be stored")
	}
	return bad("not a storable type")
}

func (c *classifier) basic(b *types.Basic, named *model.TypeName, bad func(string) (*model.Type, bool)) (*model.Type, bool) {
	t := &model.Type{Named: named}
	if named == nil {
		t.Basic = b.Name()
	}
	switch b.Kind() {
	case types.Bool:
		t.Kind = model.Bool
	case types.Int, types.Int64:
		t.Kind, t.Bits = model.Int, 64
	case types.Int8:
		t.Kind, t.Bits = model.Int, 8
	case types.Int16:
		t.Kind, t.Bits = model.Int, 16
	case types.Int32:
		t.Kind, t.Bits = model.Int, 32
	case types.Uint, types.Uint64:
		t.Kind, t.Bits = model.Uint, 64
	case types.Uint8:
		t.Kind, t.Bits = model.Uint, 8
	case types.Uint16:
		t.Kind, t.Bits = model.Uint, 16
	case types.Uint32:
		t.Kind, t.Bits = model.Uint, 32
	case types.Float32:
		t.Kind = model.Float32
	case types.Float64:
		t.Kind = model.Float64
	case types.String:
		t.Kind = model.String
	case types.Complex64, types.Complex128:
		return bad("complex numbers cannot be stored")
	case types.Uintptr:
		return bad("a uintptr is an address, which means nothing once stored; use uint64")
	case types.UnsafePointer:
		return bad("pointers cannot be stored")
	case types.Invalid:
		c.invalid = true
		return bad("the type does not type-check")
	default:
		return bad("not a storable type")
	}
	return t, true
}

func (c *classifier) typeName(obj *types.TypeName) *model.TypeName {
	tn := &model.TypeName{Name: obj.Name()}
	if obj.Pkg() != nil {
		tn.Path = obj.Pkg().Path()
	}
	return tn
}

// nested resolves a struct stored inside the store's records, once per
// store.
func (c *classifier) nested(obj *types.TypeName, st *types.Struct, at site) (*model.Nested, bool) {
	if slices.Contains(c.stack, obj) {
		c.errs.at(at.pos, "%s: recursive type %s cannot be stored", at.path, c.typeString(obj.Type()))
		return nil, false
	}
	if s, ok := c.structs[obj]; ok {
		return s, true
	}
	s := &model.Nested{Type: c.typeName(obj)}
	s.Encode, s.Decode = c.helperNames(obj)
	c.structs[obj] = s
	c.order = append(c.order, s)
	c.stack = append(c.stack, obj)
	defer func() { c.stack = c.stack[:len(c.stack)-1] }()

	local := obj.Pkg() == c.pkg
	siteOf := func(f *types.Var) site {
		if local {
			// This package's structs are reported where their fields are
			// declared, once however many stores use them.
			return site{pos: f.Pos(), path: obj.Name() + "." + f.Name()}
		}
		return at.field(f.Name())
	}
	var tags []tag
	var fields []*types.Var
	ok := true
	for i := range st.NumFields() {
		f := st.Field(i)
		if f.Name() == "_" {
			continue
		}
		tg, err := parseTag(st.Tag(i))
		if err != "" {
			if local {
				fat := siteOf(f)
				c.errs.at(fat.pos, "%s: %s", fat.path, err)
				ok = false
				continue
			}
			// Another package's tags are its own business; only "-" and
			// "sensitive" matter here.
			tg = looseTag(st.Tag(i))
		}
		if tg.skip {
			continue
		}
		if !local && !f.Exported() {
			c.errs.at(at.pos, "%s: %s has unexported field %s, which package %s cannot reach; only exported fields of another package's struct can be stored",
				at.path, c.typeString(obj.Type()), f.Name(), c.pkg.Name())
			return s, false
		}
		tags = append(tags, tg)
		fields = append(fields, f)
	}
	return s, c.fields(s, fields, tags, siteOf) && ok
}

// fields resolves the stored fields of a struct into s.Fields.
func (c *classifier) fields(s *model.Nested, vars []*types.Var, tags []tag, siteOf func(*types.Var) site) bool {
	ok := true
	for i, f := range vars {
		at := siteOf(f)
		t, tok := c.typ(f.Type(), at)
		if !tok {
			ok = false
			continue
		}
		mf := c.field(f.Name(), t, tags[i].sensitive)
		if mf.Redacted {
			c.sensitive[s] = true
		}
		s.Fields = append(s.Fields, mf)
	}
	return checkIDs(s.Fields, func(f *model.Field) site {
		for _, v := range vars {
			if v.Name() == f.Name {
				return siteOf(v)
			}
		}
		return site{}
	}, c.errs) && ok
}

// field builds a stored field of type t.
func (c *classifier) field(name string, t *model.Type, sensitive bool) *model.Field {
	return &model.Field{
		Name:      name,
		ID:        fieldID(name),
		TypeHash:  typeHash(t),
		Type:      t,
		Sensitive: sensitive,
		Redacted:  sensitive || c.holdsSensitive(t),
	}
}

// holdsSensitive reports whether t holds a struct with a sensitive field.
func (c *classifier) holdsSensitive(t *model.Type) bool {
	switch {
	case t == nil:
		return false
	case t.Kind == model.Struct:
		return c.sensitive[t.Nested]
	}
	return c.holdsSensitive(t.Elem) || c.holdsSensitive(t.Key)
}

// checkIDs reports fields whose ids collide.
func checkIDs(fields []*model.Field, siteOf func(*model.Field) site, errs *errorSink) bool {
	ok := true
	seen := make(map[uint32]*model.Field)
	for _, f := range fields {
		if prev, dup := seen[f.ID]; dup {
			at := siteOf(f)
			errs.at(at.pos, "%s: field id 0x%08x (FNV-1a of the name) collides with field %s; rename one of them", at.path, f.ID, prev.Name)
			ok = false
			continue
		}
		seen[f.ID] = f
	}
	return ok
}

// helperNames names the codec helpers of a nested struct: encodeUserAddress
// for Address in the store of User, with the package name added for
// another package's struct, and a number if that is still taken.
func (c *classifier) helperNames(obj *types.TypeName) (encode, decode string) {
	base := camel(c.store)
	if obj.Pkg() != c.pkg && obj.Pkg() != nil {
		base += camel(obj.Pkg().Name())
	}
	base += camel(obj.Name())
	name := base
	for i := 2; c.helpers[name]; i++ {
		name = base + strconv.Itoa(i)
	}
	c.helpers[name] = true
	return "encode" + name, "decode" + name
}
