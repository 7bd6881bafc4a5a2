package templates

import (
	"github.com/dave/jennifer/jen"

	"github.com/synapsed/storegen/generator/model"
)

// keyType renders the struct of a compound key.
func (r *renderer) keyType() {
	s := r.s
	if s.Names.KeyType == "" {
		return
	}
	fields := make([]jen.Code, len(s.Key))
	for i, f := range s.Key {
		fields[i] = jen.Id(f.Name).Add(typeCode(f.Type))
	}
	r.doc(s.Names.KeyType + " is the compound key of " + s.Type + " records: " + fieldList(s.Key, goName) + ", in this order.")
	r.f.Type().Id(s.Names.KeyType).Struct(fields...)
	r.f.Line()
}

// appendKeyFunc is the schema's AppendKey: a codec function when the key's
// type is the function's parameter type, otherwise a literal.
func (r *renderer) appendKeyFunc() jen.Code {
	s := r.s
	if len(s.Key) == 1 {
		if fn := directAppendKey(s.Key[0].Type); fn != "" {
			return jen.Qual(codecPkg, fn)
		}
	}
	var body []jen.Code
	if len(s.Key) == 1 {
		body = []jen.Code{jen.Return(appendKey(s.Key[0].Type, jen.Id("dst"), jen.Id("k")))}
	} else {
		body = appendFields(s.Key, func(f *model.Field) jen.Code { return jen.Id("k").Dot(f.Name) })
	}
	return funcLit([]jen.Code{jen.Id("dst").Index().Byte(), jen.Id("k").Add(r.keyGoType())}, jen.Index().Byte(), body)
}

// directAppendKey names the codec function whose parameter has exactly
// type t, if there is one.
func directAppendKey(t *model.Type) string {
	switch {
	case t.Kind == model.String && is(t, "string"):
		return "AppendKeyString"
	case t.Kind == model.Bytes && t.Named == nil:
		return "AppendKeyBytes"
	case t.Kind == model.Int && is(t, "int64"):
		return "AppendKeyInt"
	case t.Kind == model.Uint && is(t, "uint64"):
		return "AppendKeyUint"
	case t.Kind == model.Time && t.Named.Path == "time" && t.Named.Name == "Time":
		return "AppendKeyTime"
	}
	return ""
}

// appendFields appends the key encoding of each field to dst and returns
// the result: the body of an AppendKey function.
func appendFields(fields []*model.Field, value func(*model.Field) jen.Code) []jen.Code {
	var body []jen.Code
	for i, f := range fields {
		enc := appendKey(f.Type, jen.Id("dst"), value(f))
		if i == len(fields)-1 {
			body = append(body, jen.Return(enc))
			break
		}
		body = append(body, jen.Id("dst").Op("=").Add(enc))
	}
	return body
}

// appendKey appends the order-preserving encoding of x, of type t, to dst.
func appendKey(t *model.Type, dst, x jen.Code) *jen.Statement {
	switch t.Kind {
	case model.String:
		return jen.Qual(codecPkg, "AppendKeyString").Call(dst, conv(t, "string", x))
	case model.Bytes:
		return jen.Qual(codecPkg, "AppendKeyBytes").Call(dst, x)
	case model.Int:
		return jen.Qual(codecPkg, "AppendKeyInt").Call(dst, conv(t, "int64", x))
	case model.Uint:
		return jen.Qual(codecPkg, "AppendKeyUint").Call(dst, conv(t, "uint64", x))
	case model.Fixed:
		return jen.Qual(codecPkg, "AppendKeyFixed").Call(dst, jen.Add(x).Index(jen.Empty(), jen.Empty()))
	case model.Time:
		return jen.Qual(codecPkg, "AppendKeyTime").Call(dst, timeValue(t, x))
	}
	panic("storegen: key of kind that has no key encoding")
}

// timeValue converts x, of a time type t, to time.Time.
func timeValue(t *model.Type, x jen.Code) *jen.Statement {
	if t.Named.Path == "time" && t.Named.Name == "Time" {
		return jen.Add(x)
	}
	return jen.Qual("time", "Time").Call(x)
}

// keyOfFunc is the schema's KeyOf.
func (r *renderer) keyOfFunc() jen.Code {
	s := r.s
	var key jen.Code = jen.Id("v").Dot(s.Key[0].Name)
	if len(s.Key) > 1 {
		parts := make([]jen.Code, len(s.Key))
		for i, f := range s.Key {
			parts[i] = field(f.Name, jen.Id("v").Dot(f.Name))
		}
		key = jen.Id(s.Names.KeyType).Values(parts...)
	}
	return funcLit([]jen.Code{jen.Id("v").Op("*").Add(r.record())}, r.keyGoType(), []jen.Code{jen.Return(key)})
}

// keyValue is the key built from the key parameters of Get, Exists and
// Delete.
func (r *renderer) keyValue() jen.Code {
	s := r.s
	if len(s.Key) == 1 {
		return jen.Id(s.Key[0].Param)
	}
	parts := make([]jen.Code, len(s.Key))
	for i, f := range s.Key {
		parts[i] = field(f.Name, jen.Id(f.Param))
	}
	return jen.Id(s.Names.KeyType).Values(parts...)
}

// encodeParams encodes the parameters of fields, and of a trailing string
// prefix when prefix is set, into the bytes a prefix scan or an index
// lookup takes. A single part is one expression; more are appended to a
// local, enc.
func encodeParams(fields []*model.Field, prefix bool) (stmts []jen.Code, enc jen.Code) {
	var parts []func(dst jen.Code) jen.Code
	for _, f := range fields {
		parts = append(parts, func(dst jen.Code) jen.Code { return appendKey(f.Type, dst, jen.Id(f.Param)) })
	}
	if prefix {
		parts = append(parts, func(dst jen.Code) jen.Code {
			return jen.Qual(codecPkg, "AppendKeyStringPrefix").Call(dst, jen.Id("prefix"))
		})
	}
	if len(parts) == 1 {
		return nil, parts[0](jen.Nil())
	}
	stmts = append(stmts, jen.Id("enc").Op(":=").Add(parts[0](jen.Nil())))
	for _, p := range parts[1:] {
		stmts = append(stmts, jen.Id("enc").Op("=").Add(p(jen.Id("enc"))))
	}
	return stmts, jen.Id("enc")
}

// whose describes records by field values: "whose Org is org", "whose Org
// and Team are org and team".
func whose(fields []*model.Field) string {
	verb := " is "
	if len(fields) > 1 {
		verb = " are "
	}
	return "whose " + fieldList(fields, goName) + verb + fieldList(fields, paramOf)
}

// keyScans renders the scans by leading fields of a compound key, and the
// scan by prefix of a trailing string key field.
func (r *renderer) keyScans(w view) {
	s := r.s
	for _, ks := range s.KeyScans {
		stmts, enc := encodeParams(ks.Fields, false)
		r.method(w, ks.Method+" iterates the "+s.Type+" records "+whose(ks.Fields)+", in key order.",
			ks.Method, append(fieldParams(ks.Fields), optsParam()), r.seq(),
			append(stmts, jen.Return(w.call("ScanPrefix", enc, optsArg())))...)
	}
	if !s.ScanPrefix {
		return
	}
	leading := s.Key[:len(s.Key)-1]
	stmts, enc := encodeParams(leading, true)
	params := append(fieldParams(leading), jen.Id("prefix").String(), optsParam())
	r.method(w, "ScanPrefix iterates the "+s.Type+" records "+r.whosePrefix()+", in key order.",
		"ScanPrefix", params, r.seq(), append(stmts, jen.Return(w.call("ScanPrefix", enc, optsArg())))...)
}

// whosePrefix describes the records a prefix scan or watch selects: "whose
// ID starts with prefix", "whose Org is org and whose ID starts with
// prefix".
func (r *renderer) whosePrefix() string {
	leading := r.s.Key[:len(r.s.Key)-1]
	last := r.s.Key[len(r.s.Key)-1]
	desc := "whose " + last.Name + " starts with prefix"
	if len(leading) > 0 {
		desc = whose(leading) + " and " + desc
	}
	return desc
}
