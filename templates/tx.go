package templates

import (
	"github.com/dave/jennifer/jen"
)

// txType renders the transaction view and its methods: the store's
// operations without a context, bound to a store.Tx.
func (r *renderer) txType() {
	s, n := r.s, r.s.Names
	r.doc(n.TxType + " is the " + s.Type + " store inside a transaction (see " + n.StoreType + ".In): the same operations without a context, seeing the transaction's own writes. It is valid only while the function given to DB.Update or DB.View runs.")
	r.f.Type().Id(n.TxType).Struct(jen.Id("t").Qual(storePkg, "TableTx").Types(r.keyGoType(), r.record()))
	r.f.Line()

	w := r.txView()
	r.basicMethods(w)
	r.keyScans(w)
	r.lookups(w)
}
