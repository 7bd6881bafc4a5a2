package templates

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/dave/jennifer/jen"

	"github.com/synapsed/storegen/generator/model"
)

// codec renders the encoder and decoder of the store's records and the
// helpers of the structs they hold, in the format documented in
// runtime/codec/value.go. Encoders allocate nothing beyond growing dst
// (types that implement encoding.BinaryMarshaler excepted); decoders treat
// their input as untrusted. The record's encoder returns an error, as
// store.Schema requires, but only a failing MarshalBinary makes one: a
// nested struct's helper returns an error only if the struct holds such a
// type, so that the common path stays a plain append.
func (r *renderer) codec() {
	s := r.s
	r.doc(s.Names.Encode + " appends the stored form of v: the format version, then every field that is not zero. " + encodeErrDoc(s.Fields))
	r.encodeFunc(s.Names.Encode, r.record(), s.Fields, true, true)
	r.doc(s.Names.Decode + " resets *v and fills it from its stored form. Fields it does not know are skipped, fields that were not stored stay zero, and a field stored with another type is an error naming it.")
	r.decodeFunc(s.Names.Decode, r.record(), s.Fields, true)
	for _, n := range s.Nested {
		t := jen.Qual(n.Type.Path, n.Type.Name)
		doc := n.Encode + " appends the fields of v, stored inside " + s.Type + " records."
		fails := mayFail(n.Fields)
		if fails {
			doc += " " + encodeErrDoc(n.Fields)
		}
		r.doc(doc)
		r.encodeFunc(n.Encode, t, n.Fields, false, fails)
		r.doc(n.Decode + " fills the zero value *v from the fields " + n.Encode + " wrote.")
		r.decodeFunc(n.Decode, t, n.Fields, false)
	}
}

// encodeErrDoc says when the encoder of fields fails.
func encodeErrDoc(fields []*model.Field) string {
	if !mayFail(fields) {
		return "It never fails."
	}
	return "It fails only when a MarshalBinary does, with an error naming the field."
}

// mayFail reports whether encoding fields may fail: one of them is or
// holds a type that implements encoding.BinaryMarshaler.
func mayFail(fields []*model.Field) bool {
	return slices.ContainsFunc(fields, func(f *model.Field) bool { return holdsMarshaler(f.Type) })
}

func holdsMarshaler(t *model.Type) bool {
	switch {
	case t == nil:
		return false
	case t.Kind == model.Marshaler:
		return true
	case t.Kind == model.Struct:
		return mayFail(t.Nested.Fields)
	}
	return holdsMarshaler(t.Elem) || holdsMarshaler(t.Key)
}

// val is a value being encoded or decoded. x is the value and ptr its
// address; deref is set when x is *ptr, so that selectors, array lengths
// and slicing go through ptr rather than an expression that would need
// parentheses. define is set for a local not declared yet.
type val struct {
	x      func() *jen.Statement
	ptr    func() *jen.Statement
	deref  bool
	define bool
}

// base is the expression to select from, index or slice.
func (v val) base() *jen.Statement {
	if v.deref {
		return v.ptr()
	}
	return v.x()
}

// fieldOf is the field name of the record v.
func fieldOf(name string) val {
	return val{
		x:   func() *jen.Statement { return jen.Id("v").Dot(name) },
		ptr: func() *jen.Statement { return jen.Op("&").Id("v").Dot(name) },
	}
}

// local is a local variable.
func local(name string) val {
	return val{
		x:   func() *jen.Statement { return jen.Id(name) },
		ptr: func() *jen.Statement { return jen.Op("&").Id(name) },
	}
}

// newLocal is a local variable that the decoding of a slice or map
// declares with its make.
func newLocal(name string) val {
	v := local(name)
	v.define = true
	return v
}

// elemOf is element i of the slice or array v.
func elemOf(v val, i string) val {
	return val{
		x:   func() *jen.Statement { return v.base().Index(jen.Id(i)) },
		ptr: func() *jen.Statement { return jen.Op("&").Add(v.base()).Index(jen.Id(i)) },
	}
}

// pointee is what the pointer v points to.
func pointee(v val) val {
	return val{
		x:     func() *jen.Statement { return jen.Op("*").Add(v.x()) },
		ptr:   v.x,
		deref: true,
	}
}

// sliceOf is v[:] for an array v.
func sliceOf(v val) *jen.Statement { return v.base().Index(jen.Empty(), jen.Empty()) }

func hex32(id uint32) jen.Code { return jen.Id(fmt.Sprintf("0x%08x", id)) }
func hex16(h uint16) jen.Code  { return jen.Id(fmt.Sprintf("0x%04x", h)) }

func codecCall(name string, args ...jen.Code) *jen.Statement {
	return jen.Qual(codecPkg, name).Call(args...)
}

// appendTo is dst = <x>.
func appendTo(x jen.Code) *jen.Statement { return jen.Id("dst").Op("=").Add(x) }

// isCollection reports whether t is written as a count and elements.
func isCollection(t *model.Type) bool {
	return t.Kind == model.Slice || t.Kind == model.Array || t.Kind == model.Map
}

// encoder writes the body of one encode function.
type encoder struct {
	marks map[int]bool // the depths whose mark variable is used
	// marshals is set once MarshalBinary is called, into the local b, and
	// fails once an error is checked, in the local err.
	marshals, fails bool
}

func (e *encoder) mark(depth int) string {
	e.marks[depth] = true
	if depth == 0 {
		return "mark"
	}
	return "mark" + strconv.Itoa(depth)
}

// loopVar names the variable ranging over elements at depth: x, x2, …
func loopVar(name string, depth int) string {
	if depth == 1 {
		return name
	}
	return name + strconv.Itoa(depth)
}

// encodeFunc renders an encode function; withErr makes it return an error
// too, as the record's encoder must and a nested struct's helper does when
// it may fail.
func (r *renderer) encodeFunc(name string, typ jen.Code, fields []*model.Field, version, withErr bool) {
	e := &encoder{marks: make(map[int]bool)}
	var body []jen.Code
	if version {
		body = append(body, appendTo(jen.Append(jen.Id("dst"), jen.Qual(codecPkg, "Version"))))
	}
	for _, f := range fields {
		body = append(body, e.field(f)...)
	}
	result := jen.Index().Byte()
	if withErr {
		result = jen.Params(jen.Index().Byte(), jen.Error())
		body = append(body, jen.Return(jen.Id("dst"), jen.Nil()))
	} else {
		body = append(body, jen.Return(jen.Id("dst")))
	}
	r.f.Func().Id(name).Params(jen.Id("dst").Index().Byte(), jen.Id("v").Op("*").Add(typ)).Add(result).Block(append(e.locals(), body...)...)
	r.f.Line()
}

// locals declares the variables the encoding statements use.
func (e *encoder) locals() []jen.Code {
	var defs []jen.Code
	if len(e.marks) > 0 {
		var names []jen.Code
		for d := 0; e.marks[d]; d++ {
			names = append(names, jen.Id(e.mark(d)))
		}
		defs = append(defs, jen.List(names...).Int())
	}
	if e.marshals {
		defs = append(defs, jen.Id("b").Index().Byte())
	}
	if e.fails {
		defs = append(defs, jen.Err().Error())
	}
	switch len(defs) {
	case 0:
		return nil
	case 1:
		return []jen.Code{jen.Var().Add(defs[0])}
	}
	return []jen.Code{jen.Var().Defs(defs...)}
}

// field encodes one field, leaving it out when it is zero or nil.
func (e *encoder) field(f *model.Field) []jen.Code {
	t := f.Type
	v := fieldOf(f.Name)
	switch t.Kind {
	case model.Pointer:
		return []jen.Code{jen.If(v.x().Op("!=").Nil()).Block(e.payload(f, t.Elem, pointee(v))...)}
	case model.Array, model.Struct, model.Marshaler:
		return e.payload(f, t, v)
	}
	return []jen.Code{jen.If(nonZero(t, v)).Block(e.payload(f, t, v)...)}
}

// nonZero is the condition under which a scalar, []byte, slice or map
// field is written: a field left out reads back as its zero value.
func nonZero(t *model.Type, v val) *jen.Statement {
	switch t.Kind {
	case model.Bool:
		return v.x()
	case model.Int, model.Uint:
		return v.x().Op("!=").Lit(0)
	case model.Float32:
		// By its bits: -0 equals 0 but must be stored to read back.
		return jen.Qual("math", "Float32bits").Call(conv(t, "float32", v.x())).Op("!=").Lit(0)
	case model.Float64:
		return jen.Qual("math", "Float64bits").Call(conv(t, "float64", v.x())).Op("!=").Lit(0)
	case model.String:
		return v.x().Op("!=").Lit("")
	case model.Fixed:
		return v.x().Op("!=").Parens(typeCode(t).Values())
	case model.Time:
		return jen.Op("!").Add(timeValue(t, v.x())).Dot("IsZero").Call()
	}
	return v.x().Op("!=").Nil()
}

// payload writes field f, of type t, holding v.
func (e *encoder) payload(f *model.Field, t *model.Type, v val) []jen.Code {
	id, h := hex32(f.ID), hex16(f.TypeHash)
	field := func(fn string, x jen.Code) []jen.Code {
		return []jen.Code{appendTo(codecCall(fn, jen.Id("dst"), id, h, x)).Comment(f.Name)}
	}
	switch t.Kind {
	case model.Bool:
		return field("AppendBoolField", conv(t, "bool", v.x()))
	case model.Int:
		return field("AppendIntField", conv(t, "int64", v.x()))
	case model.Uint:
		return field("AppendUintField", conv(t, "uint64", v.x()))
	case model.Float32:
		return field("AppendFloat32Field", conv(t, "float32", v.x()))
	case model.Float64:
		return field("AppendFloat64Field", conv(t, "float64", v.x()))
	case model.String:
		return field("AppendStringField", conv(t, "string", v.x()))
	case model.Bytes:
		return field("AppendBytesField", v.x())
	case model.Fixed:
		return field("AppendBytesField", sliceOf(v))
	case model.Time:
		return field("AppendTimeField", timeValue(t, v.x()))
	case model.Marshaler:
		return e.marshal(f.Name, v, codecCall("AppendBytesField", jen.Id("dst"), id, h, jen.Id("b")).Comment(f.Name))
	}
	mark := e.mark(0)
	begin := jen.List(jen.Id("dst"), jen.Id(mark)).Op("=").Add(codecCall("BeginField", jen.Id("dst"), id, h)).Comment(f.Name)
	var inner []jen.Code
	if t.Kind == model.Struct {
		inner = []jen.Code{e.nested(f.Name, t, v)}
	} else {
		inner = e.collection(f.Name, t, v, 1)
	}
	return append(append([]jen.Code{begin}, inner...), appendTo(codecCall("End", jen.Id("dst"), jen.Id(mark))))
}

// marshal calls MarshalBinary on v, in field name, and appends the result
// with appendB. A failure ends the encoding with an error naming the
// field.
func (e *encoder) marshal(name string, v val, appendB jen.Code) []jen.Code {
	e.marshals = true
	return []jen.Code{
		e.check(name, jen.List(jen.Id("b"), jen.Err()).Op("=").Add(v.base()).Dot("MarshalBinary").Call()),
		appendTo(appendB),
	}
}

// nested appends the struct v, of type t, in field name with its helper,
// checking the helper's error if it has one.
func (e *encoder) nested(name string, t *model.Type, v val) jen.Code {
	call := jen.Id(t.Nested.Encode).Call(jen.Id("dst"), v.ptr())
	if !mayFail(t.Nested.Fields) {
		return appendTo(call)
	}
	return e.check(name, jen.List(jen.Id("dst"), jen.Err()).Op("=").Add(call))
}

// check runs assign, which sets err, and returns err as an error of field
// name if it is not nil.
func (e *encoder) check(name string, assign jen.Code) jen.Code {
	e.fails = true
	return jen.If(assign, jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), codecCall("InField", jen.Lit(name), jen.Err())))
}

// collection writes the count and the elements of the slice, array or map
// v; its elements are at depth.
func (e *encoder) collection(name string, t *model.Type, v val, depth int) []jen.Code {
	count := appendTo(codecCall("AppendUvarint", jen.Id("dst"), jen.Uint64().Call(jen.Len(v.x()))))
	x := loopVar("x", depth)
	if t.Kind == model.Map {
		k := loopVar("k", depth)
		body := append(e.elem(name, t.Key, local(k), depth), e.elem(name, t.Elem, local(x), depth)...)
		return []jen.Code{count, jen.For(jen.List(jen.Id(k), jen.Id(x)).Op(":=").Range().Add(v.x())).Block(body...)}
	}
	if t.Elem.Kind == model.Struct && !v.deref {
		// Structs are encoded in place rather than copied.
		i := loopVar("i", depth)
		return []jen.Code{count, jen.For(jen.Id(i).Op(":=").Range().Add(v.x())).Block(e.elem(name, t.Elem, elemOf(v, i), depth)...)}
	}
	return []jen.Code{count, jen.For(jen.List(jen.Id("_"), jen.Id(x)).Op(":=").Range().Add(v.x())).Block(e.elem(name, t.Elem, local(x), depth)...)}
}

// elem writes v, an element at depth of a collection in field name.
func (e *encoder) elem(name string, t *model.Type, v val, depth int) []jen.Code {
	one := func(fn string, x jen.Code) []jen.Code {
		return []jen.Code{appendTo(codecCall(fn, jen.Id("dst"), x))}
	}
	switch t.Kind {
	case model.Bool:
		return one("AppendBool", conv(t, "bool", v.x()))
	case model.Int:
		return one("AppendVarint", conv(t, "int64", v.x()))
	case model.Uint:
		return one("AppendUvarint", conv(t, "uint64", v.x()))
	case model.Float32:
		return one("AppendFloat32", conv(t, "float32", v.x()))
	case model.Float64:
		return one("AppendFloat64", conv(t, "float64", v.x()))
	case model.String:
		return one("AppendStringElem", conv(t, "string", v.x()))
	case model.Bytes:
		return one("AppendBytesElem", v.x())
	case model.Fixed:
		return one("AppendBytesElem", sliceOf(v))
	case model.Time:
		return one("AppendTimeElem", timeValue(t, v.x()))
	case model.Marshaler:
		return e.marshal(name, v, codecCall("AppendBytesElem", jen.Id("dst"), jen.Id("b")))
	case model.Pointer:
		return []jen.Code{
			appendTo(codecCall("AppendBool", jen.Id("dst"), v.x().Op("!=").Nil())),
			jen.If(v.x().Op("!=").Nil()).Block(e.elem(name, t.Elem, pointee(v), depth)...),
		}
	}
	mark := e.mark(depth)
	begin := jen.List(jen.Id("dst"), jen.Id(mark)).Op("=").Add(codecCall("Begin", jen.Id("dst")))
	var inner []jen.Code
	if t.Kind == model.Struct {
		inner = []jen.Code{e.nested(name, t, v)}
	} else {
		inner = e.collection(name, t, v, depth+1)
	}
	return append(append([]jen.Code{begin}, inner...), appendTo(codecCall("End", jen.Id("dst"), jen.Id(mark))))
}

// decoder writes the decoding of one field. Its locals are numbered so
// that none shadows another.
type decoder struct {
	name string // the field, for errors
	used map[string]int
	// strs is set once the code refers to st, the value's codec.Strings.
	strs *bool
}

// strings returns st, the codec.Strings the decoder's strings come from.
func (d *decoder) strings() *jen.Statement {
	*d.strs = true
	return jen.Id("st")
}

func (d *decoder) fresh(base string) string {
	d.used[base]++
	if n := d.used[base]; n > 1 {
		return base + strconv.Itoa(n)
	}
	return base
}

func (r *renderer) decodeFunc(name string, typ jen.Code, fields []*model.Field, version bool) {
	reader := codecCall("Fields", jen.Id("b"))
	var body []jen.Code
	if version {
		reader = codecCall("NewReader", jen.Id("b"))
		body = append(body, jen.Op("*").Id("v").Op("=").Add(typ).Values())
	}
	var cases []jen.Code
	strs := false
	for _, f := range fields {
		d := &decoder{name: f.Name, used: make(map[string]int), strs: &strs}
		cases = append(cases,
			jen.Id(fmt.Sprintf("case 0x%08x:", f.ID)).Comment(f.Name),
			jen.If(jen.Id("r").Dot("Type").Call().Op("!=").Add(hex16(f.TypeHash))).Block(
				jen.Return(codecCall("InField", jen.Lit(f.Name), jen.Qual(codecPkg, "ErrType"))),
			),
		)
		cases = append(cases, d.field(f.Type, fieldOf(f.Name))...)
	}
	if version && strs {
		body = append(body, jen.Id("st").Op(":=").Add(codecCall("NewStrings", jen.Id("b"))))
	}
	body = append(body,
		jen.Id("r").Op(":=").Add(reader),
		jen.For(jen.Id("r").Dot("Next").Call()).Block(jen.Switch(jen.Id("r").Dot("ID").Call()).Block(cases...)),
		jen.Return(jen.Id("r").Dot("Err").Call()),
	)
	params := []jen.Code{jen.Id("b").Index().Byte()}
	if !version {
		// Nested structs take the strings of the value they are part of.
		params = append(params, jen.Id("st").Op("*").Qual(codecPkg, "Strings"))
	}
	params = append(params, jen.Id("v").Op("*").Add(typ))
	r.f.Func().Id(name).Params(params...).Error().Block(body...)
	r.f.Line()
}

// fail returns err as an error of the field.
func (d *decoder) fail(err jen.Code) jen.Code {
	return jen.Return(codecCall("InField", jen.Lit(d.name), err))
}

// check returns err, set by the statement before, if it is not nil.
func (d *decoder) check() jen.Code {
	return jen.If(jen.Err().Op("!=").Nil()).Block(d.fail(jen.Err()))
}

// field decodes the current field's payload, of type t, into v.
func (d *decoder) field(t *model.Type, v val) []jen.Code {
	p := func() *jen.Statement { return jen.Id("r").Dot("Payload").Call() }
	scalar := func(fn string, basic string, args ...jen.Code) []jen.Code {
		x := d.fresh("x")
		return []jen.Code{
			jen.List(jen.Id(x), jen.Err()).Op(":=").Add(codecCall(fn, append([]jen.Code{p()}, args...)...)),
			d.check(),
			v.x().Op("=").Add(convTo(t, basic, jen.Id(x))),
		}
	}
	switch t.Kind {
	case model.Pointer:
		return d.pointer(t, v, func(pv val) []jen.Code { return d.field(t.Elem, pv) })
	case model.Bool:
		return scalar("Bool", "bool")
	case model.Int:
		return scalar("Int", "int64", jen.Lit(t.Bits))
	case model.Uint:
		return scalar("Uint", "uint64", jen.Lit(t.Bits))
	case model.Float32:
		return scalar("Float32", "float32")
	case model.Float64:
		return scalar("Float64", "float64")
	case model.Time:
		x := d.fresh("x")
		return []jen.Code{
			jen.List(jen.Id(x), jen.Err()).Op(":=").Add(codecCall("Time", p())),
			d.check(),
			v.x().Op("=").Add(fromTime(t, jen.Id(x))),
		}
	case model.String:
		return []jen.Code{v.x().Op("=").Add(convTo(t, "string", d.strings().Dot("Of").Call(p())))}
	case model.Bytes:
		return []jen.Code{v.x().Op("=").Add(d.strings().Dot("Bytes").Call(p()))}
	case model.Fixed:
		return []jen.Code{
			jen.If(jen.Len(p()).Op("!=").Len(v.base())).Block(d.fail(jen.Qual(codecPkg, "ErrMalformed"))),
			jen.Copy(sliceOf(v), p()),
		}
	case model.Marshaler:
		return []jen.Code{jen.If(jen.Err().Op(":=").Add(v.base()).Dot("UnmarshalBinary").Call(p()), jen.Err().Op("!=").Nil()).Block(d.fail(jen.Err()))}
	case model.Struct:
		return []jen.Code{jen.If(jen.Err().Op(":=").Id(t.Nested.Decode).Call(p(), d.strings(), v.ptr()), jen.Err().Op("!=").Nil()).Block(d.fail(jen.Err()))}
	}
	e, n := d.fresh("e"), d.fresh("n")
	stmts := []jen.Code{jen.List(jen.Id(e), jen.Id(n)).Op(":=").Add(codecCall("NewElems", p()))}
	if t.Kind == model.Array {
		stmts = append(stmts, jen.If(jen.Id(n).Op("!=").Len(v.base())).Block(d.fail(jen.Qual(codecPkg, "ErrMalformed"))))
	}
	stmts = append(stmts, d.elems(t, v, e, n)...)
	return append(stmts, jen.If(jen.Err().Op(":=").Id(e).Dot("Err").Call(), jen.Err().Op("!=").Nil()).Block(d.fail(jen.Err())))
}

// pointer allocates the pointer v and decodes into what it points to. A
// collection is decoded into a local whose address is taken, which reads
// better than indexing through the pointer.
func (d *decoder) pointer(t *model.Type, v val, into func(val) []jen.Code) []jen.Code {
	if isCollection(t.Elem) {
		x := d.fresh("x")
		stmts := append(d.declare(t.Elem, x), into(d.declared(t.Elem, x))...)
		return append(stmts, v.x().Op("=").Op("&").Id(x))
	}
	return append([]jen.Code{v.x().Op("=").New(typeCode(t.Elem))}, into(pointee(v))...)
}

// elems makes the slice or map v and reads its n elements from the
// codec.Elems e; an array is filled in place.
func (d *decoder) elems(t *model.Type, v val, e, n string) []jen.Code {
	assign := "="
	if v.define {
		assign = ":="
	}
	if t.Kind == model.Map {
		k := d.fresh("k")
		body := d.decl(e, t.Key, k)
		if x := d.elemExpr(e, t.Elem); x != nil {
			body = append(body, v.x().Index(jen.Id(k)).Op("=").Add(x))
		} else {
			x := d.fresh("x")
			body = append(body, d.decl(e, t.Elem, x)...)
			body = append(body, v.x().Index(jen.Id(k)).Op("=").Id(x))
		}
		return []jen.Code{
			v.x().Op(assign).Make(typeCode(t), jen.Id(n)),
			jen.For(jen.Range().Id(n)).Block(body...),
		}
	}
	i := d.fresh("i")
	loop := jen.For(jen.Id(i).Op(":=").Range().Add(v.base())).Block(d.elem(e, t.Elem, elemOf(v, i))...)
	if t.Kind == model.Array {
		return []jen.Code{loop}
	}
	return []jen.Code{v.x().Op(assign).Make(typeCode(t), jen.Id(n)), loop}
}

// decl declares the local name and reads an element of type t into it.
func (d *decoder) decl(e string, t *model.Type, name string) []jen.Code {
	if x := d.elemExpr(e, t); x != nil {
		return []jen.Code{jen.Id(name).Op(":=").Add(x)}
	}
	return append(d.declare(t, name), d.elem(e, t, d.declared(t, name))...)
}

// declare declares the local name of type t, unless its decoding will: a
// slice or map is declared by its make.
func (d *decoder) declare(t *model.Type, name string) []jen.Code {
	if t.Kind == model.Slice || t.Kind == model.Map {
		return nil
	}
	return []jen.Code{jen.Var().Id(name).Add(typeCode(t))}
}

// declared is the local name after declare.
func (d *decoder) declared(t *model.Type, name string) val {
	if t.Kind == model.Slice || t.Kind == model.Map {
		return newLocal(name)
	}
	return local(name)
}

// elemExpr reads an element of a scalar, string, []byte or time type from
// the codec.Elems e, or returns nil for other types.
func (d *decoder) elemExpr(e string, t *model.Type) *jen.Statement {
	call := func(fn string, args ...jen.Code) *jen.Statement { return jen.Id(e).Dot(fn).Call(args...) }
	switch t.Kind {
	case model.Bool:
		return convTo(t, "bool", call("Bool"))
	case model.Int:
		return convTo(t, "int64", call("Int", jen.Lit(t.Bits)))
	case model.Uint:
		return convTo(t, "uint64", call("Uint", jen.Lit(t.Bits)))
	case model.Float32:
		return convTo(t, "float32", call("Float32"))
	case model.Float64:
		return convTo(t, "float64", call("Float64"))
	case model.String:
		return convTo(t, "string", d.strings().Dot("Of").Call(call("Raw")))
	case model.Bytes:
		return d.strings().Dot("Bytes").Call(call("Raw"))
	case model.Time:
		return fromTime(t, call("Time"))
	}
	return nil
}

// elem reads an element of type t from the codec.Elems e into v. Errors
// stay in e, which the caller checks once.
func (d *decoder) elem(e string, t *model.Type, v val) []jen.Code {
	if x := d.elemExpr(e, t); x != nil {
		return []jen.Code{v.x().Op("=").Add(x)}
	}
	fail := func(err jen.Code) *jen.Statement { return jen.Id(e).Dot("Fail").Call(err) }
	raw := func() *jen.Statement { return jen.Id(e).Dot("Raw").Call() }
	switch t.Kind {
	case model.Fixed:
		p := d.fresh("p")
		return []jen.Code{
			jen.Id(p).Op(":=").Add(raw()),
			jen.If(jen.Len(jen.Id(p)).Op("!=").Len(v.base())).Block(fail(jen.Qual(codecPkg, "ErrMalformed"))),
			jen.Copy(sliceOf(v), jen.Id(p)),
		}
	case model.Marshaler:
		return []jen.Code{fail(v.base().Dot("UnmarshalBinary").Call(raw()))}
	case model.Struct:
		return []jen.Code{fail(jen.Id(t.Nested.Decode).Call(raw(), d.strings(), v.ptr()))}
	case model.Pointer:
		return []jen.Code{jen.If(jen.Id(e).Dot("Present").Call()).Block(
			d.pointer(t, v, func(pv val) []jen.Code { return d.elem(e, t.Elem, pv) })...,
		)}
	}
	e2, n2 := d.fresh("e"), d.fresh("n")
	stmts := []jen.Code{jen.List(jen.Id(e2), jen.Id(n2)).Op(":=").Add(codecCall("NewElems", raw()))}
	if t.Kind == model.Array {
		stmts = append(stmts, jen.If(jen.Id(n2).Op("!=").Len(v.base())).Block(fail(jen.Qual(codecPkg, "ErrMalformed"))))
	}
	stmts = append(stmts, d.elems(t, v, e2, n2)...)
	return append(stmts, fail(jen.Id(e2).Dot("Err").Call()))
}

// fromTime converts x, a time.Time, to the time type t.
func fromTime(t *model.Type, x jen.Code) *jen.Statement {
	if t.Named.Path == "time" && t.Named.Name == "Time" {
		return jen.Add(x)
	}
	return typeCode(t).Call(x)
}
