package templates

import (
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/synapsed/storegen/generator/model"
)

// redacted stands for a sensitive field in String; it matches
// store.Redacted.
const redacted = "[redacted]"

// stringer renders a String method that prints every stored field except
// the sensitive ones, so that printing or logging a record never shows
// them. It has a value receiver, so values and pointers both print
// redacted.
func (r *renderer) stringer() {
	s := r.s
	if !s.Stringer {
		return
	}
	var format strings.Builder
	var args []jen.Code
	format.WriteString(s.Type + "{")
	for i, f := range s.Fields {
		if i > 0 {
			format.WriteString(", ")
		}
		format.WriteString(f.Name + ": ")
		switch {
		case f.Redacted:
			format.WriteString(redacted)
			continue
		case f.Type.Kind == model.String:
			format.WriteString("%q")
		default:
			format.WriteString("%v")
		}
		args = append(args, jen.Id("v").Dot(f.Name))
	}
	format.WriteString("}")
	result := jen.Lit(format.String())
	if len(args) > 0 {
		result = jen.Qual("fmt", "Sprintf").Call(append([]jen.Code{result}, args...)...)
	}
	r.doc("String returns v with its sensitive fields shown as " + redacted + ".")
	r.f.Func().Params(jen.Id("v").Add(r.record())).Id("String").Params().String().Block(jen.Return(result))
	r.f.Line()
}
