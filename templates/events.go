package templates

import (
	"path"
	"strconv"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/synapsed/storegen/generator/model"
)

// events renders the store's change events: the XEvent alias of
// store.Event, Watch, and the Watch options that select keys by leading
// fields of a compound key or by prefix of a string key, typed so that
// callers never build encoded keys. Exact keys and ranges need no generated
// option: store.WatchKey and store.WatchRange take the key type itself.
func (r *renderer) events() {
	s, n := r.s, r.s.Names
	r.doc(n.EventType + " is a committed change to " + a(s.Type) + " record, as Watch delivers it: its Kind (store.Created, store.Updated or store.Deleted), Key, the record before (Old) and after (New), Seq, TxID and commit Time.")
	r.f.Type().Id(n.EventType).Op("=").Qual(storePkg, "Event").Types(r.keyGoType(), r.record())
	r.f.Line()

	w := r.storeView()
	r.method(w, r.watchDoc(), "Watch", []jen.Code{jen.Id("opts").Op("...").Qual(storePkg, "WatchOption")},
		jen.Op("*").Qual(storePkg, "Subscription").Types(jen.Id(n.EventType)),
		jen.Return(w.call("Watch", optsArg())))

	opt := w
	opt.ctx = false
	option := jen.Qual(storePkg, "WatchOption")
	for _, ks := range s.KeyScans {
		stmts, enc := encodeParams(ks.Fields, false)
		r.method(opt, ks.Watch+" is a Watch option that delivers only the changes of "+s.Type+" records "+whose(ks.Fields)+".",
			ks.Watch, fieldParams(ks.Fields), option,
			append(stmts, jen.Return(jen.Qual(storePkg, "WatchPrefix").Call(enc)))...)
	}
	if !s.ScanPrefix {
		return
	}
	leading := s.Key[:len(s.Key)-1]
	stmts, enc := encodeParams(leading, true)
	params := append(fieldParams(leading), jen.Id("prefix").String())
	r.method(opt, "WatchPrefix is a Watch option that delivers only the changes of "+s.Type+" records "+r.whosePrefix()+".",
		"WatchPrefix", params, option, append(stmts, jen.Return(jen.Qual(storePkg, "WatchPrefix").Call(enc)))...)
}

// watchDoc documents Watch. store.WatchKey and store.WatchRange infer
// their type parameter from their arguments, and an untyped constant
// becomes a string or an int, which is not the key type of a store keyed
// by a uint16 or a named type; the example shows the conversion then.
func (r *renderer) watchDoc() string {
	s := r.s
	var keyOpts []string
	for _, ks := range s.KeyScans {
		keyOpts = append(keyOpts, ks.Watch)
	}
	if s.ScanPrefix {
		keyOpts = append(keyOpts, "WatchPrefix")
	}
	keyOpts = append(keyOpts, "store.WatchKey", "store.WatchRange")
	keyType, example := s.Names.KeyType, ""
	if len(s.Key) > 1 {
		parts := make([]string, len(s.Key))
		for i, f := range s.Key {
			parts[i] = f.Name + ": " + f.Param
		}
		example = keyType + "{" + strings.Join(parts, ", ") + "}"
	} else {
		k := s.Key[0]
		keyType, example = r.docType(k.Type), k.Param
		if c := constant(k.Type); c != "" {
			example = keyType + "(" + c + ")"
		}
	}
	return "Watch subscribes to the committed changes of " + s.Type + " records, delivered in commit order on the subscription's channel until Close, the cancelling of ctx or the closing of the DB. " +
		"Options select kinds of change (store.Kinds) and keys (" + strings.Join(keyOpts[:len(keyOpts)-1], ", ") + " and " + keyOpts[len(keyOpts)-1] + "), " +
		"set the buffer and what happens when it is full (store.Buffer, store.OnOverflow), and deliver the current records first (store.Existing). " +
		"The keys given to store.WatchKey and store.WatchRange must be of type " + keyType + ", or the subscription ends with an error:" +
		"\n\n\tsub := s.Watch(ctx, store.WatchKey(" + example + "))"
}

// constant is an untyped constant that converts to the key type t but has
// another type when passed as it is, or "" if there is none.
func constant(t *model.Type) string {
	switch {
	case t.Kind == model.String && !is(t, "string"):
		return `"a"`
	case (t.Kind == model.Int || t.Kind == model.Uint) && !is(t, "int"):
		return "7"
	}
	return ""
}

// docType is the key type t as a doc comment names it.
func (r *renderer) docType(t *model.Type) string {
	switch {
	case t.Named != nil && t.Named.Path == r.pkgPath:
		return t.Named.Name
	case t.Named != nil:
		return path.Base(t.Named.Path) + "." + t.Named.Name
	case t.Kind == model.Bytes:
		return "[]byte"
	case t.Kind == model.Fixed:
		return "[" + strconv.FormatInt(t.Len, 10) + "]byte"
	}
	return t.Basic
}
