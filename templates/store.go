package templates

import (
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/synapsed/storegen/generator/model"
)

// view is one face of a store: the store itself, whose methods take a
// context, or its transaction view, whose methods don't. Both forward to
// the runtime table held in the field t.
type view struct {
	recv string // the receiver's type name
	ptr  bool
	ctx  bool
}

func (r *renderer) storeView() view { return view{recv: r.s.Names.StoreType, ptr: true, ctx: true} }
func (r *renderer) txView() view    { return view{recv: r.s.Names.TxType} }

// method adds a documented method of w. The context parameter comes first
// on the store view.
func (r *renderer) method(w view, doc, name string, params []jen.Code, results jen.Code, body ...jen.Code) {
	recv := jen.Id("s")
	if w.ptr {
		recv.Op("*")
	}
	recv.Id(w.recv)
	if w.ctx {
		params = append([]jen.Code{jen.Id("ctx").Qual("context", "Context")}, params...)
	}
	r.doc(doc)
	r.f.Func().Params(recv).Id(name).Params(params...).Add(results).Block(body...)
	r.f.Line()
}

// call is s.t.name(ctx, args...), without ctx on the transaction view.
func (w view) call(name string, args ...jen.Code) *jen.Statement {
	if w.ctx {
		args = append([]jen.Code{jen.Id("ctx")}, args...)
	}
	return jen.Id("s").Dot("t").Dot(name).Call(args...)
}

// optsParam is the trailing scan options parameter, and optsArg passes it
// on.
func optsParam() *jen.Statement { return jen.Id("opts").Op("...").Qual(storePkg, "ScanOption") }
func optsArg() *jen.Statement   { return jen.Id("opts").Op("...") }

// seq is the type of an iteration over records.
func (r *renderer) seq() *jen.Statement {
	return jen.Qual("iter", "Seq2").Types(r.record(), jen.Error())
}

// schema renders the package-level Schema that describes the store to the
// runtime.
func (r *renderer) schema() {
	s := r.s
	items := []jen.Code{
		field("Name", jen.Lit(s.Keyspace)),
		field("AppendKey", r.appendKeyFunc()),
		field("KeyOf", r.keyOfFunc()),
		field("Encode", jen.Id(s.Names.Encode)),
		field("Decode", jen.Id(s.Names.Decode)),
	}
	if s.Names.Clone != "" {
		items = append(items, field("Clone", jen.Id(s.Names.Clone)))
	}
	if len(s.Indexes) > 0 {
		items = append(items, field("Indexes", r.indexDefs()))
	}
	if s.SensitiveKey {
		items = append(items, field("SensitiveKey", jen.True()))
	}
	if redact := r.redactFunc(); redact != nil {
		items = append(items, field("Redact", redact))
	}
	r.doc(s.Names.Schema + " describes " + s.Type + " records to the runtime: their keyspace, key, codec and indexes.")
	r.f.Var().Id(s.Names.Schema).Op("=").Qual(storePkg, "Schema").Types(r.keyGoType(), r.record()).Custom(multi, items...)
	r.f.Line()
}

// storeType renders the store, its constructor and its methods.
func (r *renderer) storeType() {
	s, n := r.s, r.s.Names
	table := jen.Op("*").Qual(storePkg, "Table").Types(r.keyGoType(), r.record())
	r.doc(n.StoreType + " is the store of " + s.Type + " records, keyed by " + fieldList(s.Key, goName) + ". It is safe for concurrent use.")
	r.f.Type().Id(n.StoreType).Struct(jen.Id("t").Add(table))
	r.f.Line()

	r.doc(n.Constructor + " returns the store of " + s.Type + " records in db.")
	r.f.Func().Id(n.Constructor).Params(jen.Id("db").Op("*").Qual(storePkg, "DB")).Op("*").Id(n.StoreType).Block(
		jen.Return(jen.Op("&").Id(n.StoreType).Values(field("t", jen.Qual(storePkg, "NewTable").Call(jen.Id("db"), jen.Op("&").Id(n.Schema))))),
	)
	r.f.Line()

	w := r.storeView()
	r.basicMethods(w)
	r.keyScans(w)
	r.lookups(w)
	noCtx := w
	noCtx.ctx = false
	r.method(noCtx, "In returns the store's view inside tx, the transaction of a DB.Update or DB.View.",
		"In", []jen.Code{jen.Id("tx").Op("*").Qual(storePkg, "Tx")}, jen.Id(n.TxType),
		jen.Return(jen.Id(n.TxType).Values(field("t", jen.Id("s").Dot("t").Dot("In").Call(jen.Id("tx"))))))
	r.method(noCtx, "Status returns the store's operational status, as its monitor judged it on the last window of operations.",
		"Status", nil, jen.Qual(serventisPkg, "Status"), jen.Return(jen.Id("s").Dot("t").Dot("Status").Call()))
}

// redactFunc is the schema's Redact hook: it sets every field that String
// hides (sensitive, or holding a struct with a sensitive field) to its zero
// value, and the key fields too when the key is sensitive. It is nil when
// nothing is sensitive.
func (r *renderer) redactFunc() jen.Code {
	s := r.s
	var body []jen.Code
	for _, f := range s.Fields {
		if f.Redacted || s.SensitiveKey && isKeyField(s, f) {
			body = append(body, jen.Id("v").Dot(f.Name).Op("=").Add(zeroValue(f.Type)))
		}
	}
	if len(body) == 0 {
		return nil
	}
	return jen.Func().Params(jen.Id("v").Op("*").Add(r.record())).Block(body...)
}

// isKeyField reports whether f is one of s's key fields.
func isKeyField(s *model.Store, f *model.Field) bool {
	for _, k := range s.Key {
		if k == f || k.Name == f.Name {
			return true
		}
	}
	return false
}

// zeroValue is the zero value of t, written as a literal where it has one.
func zeroValue(t *model.Type) *jen.Statement {
	switch t.Kind {
	case model.Bool:
		return jen.False()
	case model.Int, model.Uint, model.Float32, model.Float64:
		return jen.Lit(0)
	case model.String:
		return jen.Lit("")
	case model.Bytes, model.Pointer, model.Slice, model.Map:
		return jen.Nil()
	case model.Fixed, model.Array, model.Struct, model.Time:
		return typeCode(t).Values()
	}
	// A marshaler's underlying type is unknown here.
	return jen.Op("*").New(typeCode(t))
}

// basicMethods renders the operations by key that every store has.
func (r *renderer) basicMethods(w view) {
	s := r.s
	T := s.Type
	rec := r.record()
	keyDesc := s.Key[0].Param
	if len(s.Key) > 1 {
		params := make([]string, len(s.Key))
		for i, f := range s.Key {
			params[i] = f.Param
		}
		keyDesc = "(" + strings.Join(params, ", ") + ")"
	}
	v := []jen.Code{jen.Id("v").Add(rec)}

	r.method(w, "Put stores v, replacing any "+T+" record with the same key.",
		"Put", v, jen.Error(), jen.Return(w.call("Put", jen.Id("v"))))
	r.method(w, "Insert stores v, or returns an error matching store.ErrExists if a record with its key exists.",
		"Insert", v, jen.Error(), jen.Return(w.call("Insert", jen.Id("v"))))
	r.method(w, "Get returns the "+T+" record with key "+keyDesc+", or an error matching store.ErrNotFound.",
		"Get", fieldParams(s.Key), jen.Params(rec, jen.Error()), jen.Return(w.call("Get", r.keyValue())))
	r.method(w, "Exists reports whether "+a(T)+" record with key "+keyDesc+" exists.",
		"Exists", fieldParams(s.Key), jen.Params(jen.Bool(), jen.Error()), jen.Return(w.call("Exists", r.keyValue())))
	r.method(w, "Delete removes the "+T+" record with key "+keyDesc+" and reports whether it existed.",
		"Delete", fieldParams(s.Key), jen.Params(jen.Id("existed").Bool(), jen.Err().Error()), jen.Return(w.call("Delete", r.keyValue())))

	putAll, deleteAll := "PutAll stores every record of vs.", "DeleteAll removes the "+T+" records with the given keys and returns how many existed."
	if w.ctx {
		putAll, deleteAll = "PutAll stores every record of vs in one transaction: all or none.",
			"DeleteAll removes the "+T+" records with the given keys in one transaction and returns how many existed."
	}
	r.method(w, putAll, "PutAll", []jen.Code{jen.Id("vs").Index().Add(rec)}, jen.Error(), jen.Return(w.call("PutAll", jen.Id("vs"))))
	keys := s.Names.KeysParam
	r.method(w, deleteAll, "DeleteAll", []jen.Code{jen.Id(keys).Index().Add(r.keyGoType())}, jen.Params(jen.Int(), jen.Error()),
		jen.Return(w.call("DeleteAll", jen.Id(keys))))

	r.method(w, "Scan iterates every "+T+" record in key order (see store.Reverse and store.Limit).",
		"Scan", []jen.Code{optsParam()}, r.seq(), jen.Return(w.call("Scan", optsArg())))
	r.method(w, "ScanRange iterates the "+T+" records with from <= key < to, in key order.",
		"ScanRange", []jen.Code{jen.List(jen.Id("from"), jen.Id("to")).Add(r.keyGoType()), optsParam()}, r.seq(),
		jen.Return(w.call("ScanRange", jen.Id("from"), jen.Id("to"), optsArg())))
}
