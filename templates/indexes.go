package templates

import (
	"github.com/dave/jennifer/jen"

	"github.com/synapsed/storegen/generator/model"
)

// indexDefs is the schema's list of indexes, in the order lookups refer to
// them by position.
func (r *renderer) indexDefs() jen.Code {
	defs := make([]jen.Code, len(r.s.Indexes))
	for i, ix := range r.s.Indexes {
		items := []jen.Code{field("Name", jen.Lit(ix.Name))}
		if ix.Unique {
			items = append(items, field("Unique", jen.True()))
		}
		if ix.Sensitive {
			items = append(items, field("Sensitive", jen.True()))
		}
		body := appendFields(ix.Fields, func(f *model.Field) jen.Code { return jen.Id("v").Dot(f.Name) })
		items = append(items, field("AppendKey",
			funcLit([]jen.Code{jen.Id("dst").Index().Byte(), jen.Id("v").Op("*").Add(r.record())}, jen.Index().Byte(), body)))
		defs[i] = jen.Values(items...)
	}
	return jen.Index().Qual(storePkg, "Index").Types(r.record()).Custom(multi, defs...)
}

// lookups renders the index methods of w: GetBy for a unique index, ListBy
// for the others and for leading fields of composite indexes.
func (r *renderer) lookups(w view) {
	s := r.s
	for _, l := range s.Lookups {
		ix := s.Indexes[l.Index]
		stmts, enc := encodeParams(l.Fields, false)
		params := fieldParams(l.Fields)
		pos := jen.Lit(l.Index)
		if l.Get {
			r.method(w, l.Method+" returns the "+s.Type+" record "+whose(l.Fields)+", or an error matching store.ErrNotFound.",
				l.Method, params, jen.Params(r.record(), jen.Error()),
				append(stmts, jen.Return(w.call("GetUnique", pos, enc)))...)
			continue
		}
		r.method(w, l.Method+" iterates the "+s.Type+" records "+whose(l.Fields)+", "+listOrder(ix, len(l.Fields))+".",
			l.Method, append(params, optsParam()), r.seq(),
			append(stmts, jen.Return(w.call("List", pos, enc, optsArg())))...)
	}
}

// listOrder describes the order of a lookup by the first n fields of ix.
func listOrder(ix *model.Index, n int) string {
	rest := ix.Fields[n:]
	switch {
	case len(rest) == 0:
		return "in key order"
	case ix.Unique:
		return "in order of " + fieldList(rest, goName)
	}
	return "in order of " + fieldList(rest, goName) + ", then of key"
}
