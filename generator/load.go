package generator

import (
	"fmt"
	"go/token"
	"strings"

	"golang.org/x/tools/go/packages"
)

// buildTag is set while loading, and generated files carry
// //go:build !storegen: the loader never sees generated code, so a stale or
// broken generated file cannot keep storegen from replacing it.
const buildTag = "storegen"

// load loads the packages matching patterns, with syntax and types, in one
// go/packages call.
func load(dir string, patterns []string) (*token.FileSet, []*packages.Package, error) {
	fset := token.NewFileSet()
	cfg := &packages.Config{
		Mode: packages.NeedName | packages.NeedFiles | packages.NeedSyntax |
			packages.NeedTypes | packages.NeedTypesInfo,
		Dir:        dir,
		BuildFlags: []string{"-tags=" + buildTag},
		Fset:       fset,
	}
	pkgs, err := packages.Load(cfg, patterns...)
	if err != nil {
		return nil, nil, fmt.Errorf("storegen: loading %s: %w", strings.Join(patterns, " "), err)
	}
	if len(pkgs) == 0 {
		return nil, nil, fmt.Errorf("storegen: no packages match %s in %s", strings.Join(patterns, " "), dir)
	}
	return fset, pkgs, nil
}

// reportLoadErrors records what go/packages found wrong with pkg. Syntax
// and listing errors always count. Type errors count only when they touch
// an annotated type (typeBroken): the package's other code may well refer
// to the generated names the loader cannot see.
func reportLoadErrors(pkg *packages.Package, typeBroken bool, errs *errorSink) {
	for _, e := range pkg.Errors {
		// go list compiles the package for export data and reports the
		// compiler's errors as "# path\n…": the type errors again.
		compiled := e.Kind == packages.ListError && strings.HasPrefix(e.Msg, "# "+pkg.PkgPath+"\n")
		switch {
		case compiled:
		case e.Kind == packages.TypeError && !typeBroken:
		default:
			errs.raw(e.Pos, e.Msg)
		}
	}
}
