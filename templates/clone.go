package templates

import (
	"strconv"

	"github.com/dave/jennifer/jen"

	"github.com/synapsed/storegen/generator/model"
)

// clone renders the record's deep copy, the schema's Clone, and the helpers
// of the nested structs that need one. The runtime hands out copies of a
// decoded record that readers share (a cache's), so a copy must share
// nothing the caller could modify; strings are immutable and are shared.
func (r *renderer) clone() {
	s := r.s
	if s.Names.Clone == "" {
		return
	}
	// The record's copy is returned, not written through a pointer, so
	// that the runtime, which calls it through the schema, can take it
	// without the allocation an escaping destination would cost.
	r.doc(s.Names.Clone + " returns a copy of *src that shares no slice, map or pointed-to value with it.")
	body := []jen.Code{jen.Id("dst").Op(":=").Op("*").Id("src")}
	body = append(body, deepenFields(s.Fields)...)
	body = append(body, jen.Return(jen.Id("dst")))
	r.f.Func().Id(s.Names.Clone).Params(jen.Id("src").Op("*").Add(r.record())).Add(r.record()).Block(body...)
	r.f.Line()
	for _, n := range s.Nested {
		if n.Clone == "" {
			continue
		}
		r.doc(n.Clone + " sets *dst to a copy of *src that shares no slice, map or pointed-to value with it.")
		r.cloneFunc(n.Clone, jen.Qual(n.Type.Path, n.Type.Name), n.Fields)
	}
}

func (r *renderer) cloneFunc(name string, typ jen.Code, fields []*model.Field) {
	body := []jen.Code{jen.Op("*").Id("dst").Op("=").Op("*").Id("src")}
	body = append(body, deepenFields(fields)...)
	r.f.Func().Id(name).Params(jen.List(jen.Id("dst"), jen.Id("src")).Op("*").Add(typ)).Block(body...)
	r.f.Line()
}

// deepenFields turns dst, an assigned copy of src, into a deep one, field
// by field.
func deepenFields(fields []*model.Field) []jen.Code {
	var body []jen.Code
	for _, f := range fields {
		body = append(body, deepen(f.Type, selector("dst", f.Name), selector("src", f.Name), 0)...)
	}
	return body
}

// expr builds an expression afresh each time (jennifer statements grow
// when chained, so one cannot be used twice). star is set for *p, which
// must be parenthesized to be indexed.
type expr struct {
	x    func() *jen.Statement
	star bool
}

func selector(v, name string) expr {
	return expr{x: func() *jen.Statement { return jen.Id(v).Dot(name) }}
}

func ident(name string) expr { return expr{x: func() *jen.Statement { return jen.Id(name) }} }

func (e expr) index(i string) expr {
	return expr{x: func() *jen.Statement {
		if e.star {
			return jen.Parens(e.x()).Index(jen.Id(i))
		}
		return e.x().Index(jen.Id(i))
	}}
}

func (e expr) deref() expr {
	return expr{x: func() *jen.Statement { return jen.Op("*").Add(e.x()) }, star: true}
}

// deepen returns the statements that turn dst, which holds an assigned
// (shallow) copy of src, into a deep one; none when t holds no slice, map
// or pointer. Each statement reads what it copies before it assigns, so
// dst may be src itself.
func deepen(t *model.Type, dst, src expr, depth int) []jen.Code {
	if !t.Shares() {
		return nil
	}
	n := strconv.Itoa(depth)
	switch t.Kind {
	case model.Bytes:
		return []jen.Code{dst.x().Op("=").Qual("bytes", "Clone").Call(src.x())}
	case model.Slice:
		clone := dst.x().Op("=").Qual("slices", "Clone").Call(src.x())
		if !t.Elem.Shares() {
			return []jen.Code{clone}
		}
		i := "i" + n
		return []jen.Code{clone, jen.For(jen.Id(i).Op(":=").Range().Add(dst.x())).Block(
			deepen(t.Elem, dst.index(i), src.index(i), depth+1)...)}
	case model.Array:
		i := "i" + n
		return []jen.Code{jen.For(jen.Id(i).Op(":=").Range().Add(dst.x())).Block(
			deepen(t.Elem, dst.index(i), src.index(i), depth+1)...)}
	case model.Map:
		if !t.Elem.Shares() {
			return []jen.Code{dst.x().Op("=").Qual("maps", "Clone").Call(src.x())}
		}
		m, k, v := "m"+n, "k"+n, "v"+n
		loop := append(deepen(t.Elem, ident(v), ident(v), depth+1), jen.Id(m).Index(jen.Id(k)).Op("=").Id(v))
		return []jen.Code{jen.If(src.x().Op("!=").Nil()).Block(
			jen.Id(m).Op(":=").Make(typeCode(t), jen.Len(src.x())),
			jen.For(jen.List(jen.Id(k), jen.Id(v)).Op(":=").Range().Add(src.x())).Block(loop...),
			dst.x().Op("=").Id(m),
		)}
	case model.Pointer:
		p := "p" + n
		body := []jen.Code{jen.Id(p).Op(":=").New(typeCode(t.Elem))}
		switch e := t.Elem; {
		case e.Kind == model.Struct && e.Nested.Clone != "":
			body = append(body, jen.Id(e.Nested.Clone).Call(jen.Id(p), src.x()))
		case e.Kind == model.Bytes || e.Kind == model.Slice || e.Kind == model.Map:
			// deepen assigns all of *p.
			body = append(body, deepen(e, ident(p).deref(), src.deref(), depth+1)...)
		default:
			body = append(body, jen.Op("*").Id(p).Op("=").Op("*").Add(src.x()))
			body = append(body, deepen(e, ident(p).deref(), src.deref(), depth+1)...)
		}
		body = append(body, dst.x().Op("=").Id(p))
		return []jen.Code{jen.If(src.x().Op("!=").Nil()).Block(body...)}
	case model.Struct:
		return []jen.Code{jen.Id(t.Nested.Clone).Call(jen.Op("&").Add(dst.x()), jen.Op("&").Add(src.x()))}
	}
	return nil
}
