package generator

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"reflect"
	"slices"
	"strings"

	"golang.org/x/tools/go/packages"

	"github.com/synapsed/storegen/generator/model"
)

// directivePrefix starts every storegen directive comment.
const directivePrefix = "//storegen:"

// tag is a field's parsed store:"..." tag.
type tag struct {
	skip      bool // "-"
	key       bool
	index     bool // plain index named after the field
	unique    bool // plain unique index named after the field
	sensitive bool
	named     []namedIndex // index=<name>, unique=<name>
}

// namedIndex is a field's part in an index named by the tag, possibly
// shared with other fields (a composite index).
type namedIndex struct {
	name   string
	unique bool
}

// parseTag parses the store key of a struct tag. It returns why the tag is
// wrong, or "".
func parseTag(structTag string) (tag, string) {
	var t tag
	value, ok := reflect.StructTag(structTag).Lookup("store")
	if !ok || value == "" {
		return t, ""
	}
	seen := make(map[string]bool)
	words := strings.Split(value, ",")
	for _, w := range words {
		w = strings.TrimSpace(w)
		if seen[w] {
			return t, fmt.Sprintf("store tag %q repeats %q", value, w)
		}
		seen[w] = true
		name, arg, hasArg := strings.Cut(w, "=")
		switch {
		case w == "-":
			if len(words) > 1 {
				return t, fmt.Sprintf(`store tag %q: "-" (not stored) cannot be combined with other words`, value)
			}
			t.skip = true
		case w == "key":
			t.key = true
		case w == "index":
			t.index = true
		case w == "unique":
			t.unique = true
		case w == "sensitive":
			t.sensitive = true
		case hasArg && (name == "index" || name == "unique"):
			if !indexName.MatchString(arg) {
				return t, fmt.Sprintf("store tag %q: index name %q must be a letter followed by letters, digits or '_'", value, arg)
			}
			t.named = append(t.named, namedIndex{name: arg, unique: name == "unique"})
		default:
			return t, fmt.Sprintf("unknown store tag word %q (want key, unique, index, sensitive, -, index=<name> or unique=<name>)", w)
		}
	}
	return t, ""
}

// looseTag reads only what matters of another package's store tag.
func looseTag(structTag string) tag {
	var t tag
	value, _ := reflect.StructTag(structTag).Lookup("store")
	for _, w := range strings.Split(value, ",") {
		switch strings.TrimSpace(w) {
		case "-":
			t.skip = true
		case "sensitive":
			t.sensitive = true
		}
	}
	return t
}

// directive is a //storegen:store comment on a type declaration.
type directive struct {
	comment *ast.Comment
	spec    *ast.TypeSpec
	name    string // name= option
}

// parser turns one package's annotated types into stores.
type parser struct {
	pkg  *packages.Package
	errs *errorSink
	// typeBroken is set when an annotated type did not type-check, so that
	// the package's type errors are worth reporting.
	typeBroken bool
}

// directives finds the //storegen: comments of the package, reports those
// that are unknown or misplaced, and returns the store directives.
func (p *parser) directives() []directive {
	var found []directive
	onType := make(map[*ast.Comment]bool)
	for _, file := range p.pkg.Syntax {
		for _, decl := range file.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				ts := spec.(*ast.TypeSpec)
				doc := ts.Doc
				if !gd.Lparen.IsValid() {
					doc = gd.Doc // type T …: the parser attaches the doc to the declaration
				}
				if doc == nil {
					continue
				}
				var dir *directive
				for _, c := range doc.List {
					name, args, ok := splitDirective(c.Text)
					if !ok || name != "store" {
						continue
					}
					onType[c] = true
					if dir != nil {
						p.errs.at(c.Slash, "duplicate //storegen:store directive on %s", ts.Name.Name)
						continue
					}
					// A directive with bad options is still checked, so that
					// every error shows at once; the errors stop the writing.
					dir = &directive{comment: c, spec: ts}
					p.options(dir, args)
					found = append(found, *dir)
				}
			}
		}
		for _, cg := range file.Comments {
			for _, c := range cg.List {
				name, _, ok := splitDirective(c.Text)
				switch {
				case !ok || onType[c]:
				case name != "store":
					p.errs.at(c.Slash, "unknown directive //storegen:%s (want //storegen:store)", name)
				default:
					p.errs.at(c.Slash, "misplaced //storegen:store: it belongs in the doc comment of a struct type declaration")
				}
			}
		}
	}
	return found
}

// splitDirective splits "//storegen:store name=x" into "store" and its
// arguments.
func splitDirective(text string) (name, args string, ok bool) {
	rest, ok := strings.CutPrefix(text, directivePrefix)
	if !ok {
		return "", "", false
	}
	name, args = rest, ""
	if i := strings.IndexAny(rest, " \t"); i >= 0 {
		name, args = rest[:i], rest[i:]
	}
	return name, args, true
}

// options parses the key=value words of a directive into d.
func (p *parser) options(d *directive, args string) {
	seen := make(map[string]bool)
	offset := len(d.comment.Text) - len(args) // of args in the comment
	for _, w := range strings.Fields(args) {
		at := strings.Index(args, w)
		pos := d.comment.Slash + token.Pos(offset+at)
		args, offset = args[at+len(w):], offset+at+len(w)
		key, value, hasValue := strings.Cut(w, "=")
		switch {
		case !hasValue || key != "name":
			p.errs.at(pos, "unknown //storegen:store option %q (want name=<keyspace>)", w)
		case seen[key]:
			p.errs.at(pos, "//storegen:store option %s given twice", key)
		case !keyspaceName.MatchString(value):
			p.errs.at(pos, "//storegen:store name %q must be lower-case letters, digits and '_'", value)
		default:
			d.name = value
		}
		seen[key] = true
	}
}

// storeType checks that a directive sits on a struct type it can generate
// for, and returns that type.
func (p *parser) storeType(d directive) (*types.Named, *types.Struct, bool) {
	ts := d.spec
	name := ts.Name.Name
	switch {
	case ts.Assign.IsValid():
		p.errs.at(d.comment.Slash, "//storegen:store on %s: an alias cannot be a store; annotate the struct type it names", name)
		return nil, nil, false
	case ts.TypeParams != nil:
		p.errs.at(d.comment.Slash, "//storegen:store on %s: generic types cannot be stores", name)
		return nil, nil, false
	}
	obj, _ := p.pkg.TypesInfo.Defs[ts.Name].(*types.TypeName)
	if obj == nil {
		p.typeBroken = true
		return nil, nil, false
	}
	named := obj.Type().(*types.Named)
	st, ok := named.Underlying().(*types.Struct)
	if !ok {
		if b, isBasic := named.Underlying().(*types.Basic); isBasic && b.Kind() == types.Invalid {
			p.typeBroken = true
			return nil, nil, false
		}
		p.errs.at(d.comment.Slash, "//storegen:store on %s: want a struct type, %s is %s",
			name, name, typeString(named.Underlying(), p.pkg.Types))
		return nil, nil, false
	}
	return named, st, true
}

// store builds the model of one annotated struct. It reports every problem
// it finds and returns nil if there was any.
func (p *parser) store(d directive, named *types.Named, st *types.Struct) *model.Store {
	name := named.Obj().Name()
	s := &model.Store{Type: name, Keyspace: d.name}
	if s.Keyspace == "" {
		s.Keyspace = snake(name)
	}
	c := newClassifier(p.pkg.Types, name, p.errs)
	c.stack = append(c.stack, named.Obj())
	defer func() { p.typeBroken = p.typeBroken || c.invalid }()
	siteOf := func(f *types.Var) site { return site{pos: f.Pos(), path: name + "." + f.Name()} }

	// Resolve the fields. fields[i] belongs to vars[i] and tags[i], and is
	// nil if its type cannot be stored, so that every field is checked.
	ok, tagsOK := true, true
	var (
		vars   []*types.Var
		tags   []tag
		fields []*model.Field
	)
	for i := range st.NumFields() {
		v := st.Field(i)
		if v.Name() == "_" {
			continue
		}
		tg, err := parseTag(st.Tag(i))
		if err != "" {
			p.errs.at(v.Pos(), "%s.%s: %s", name, v.Name(), err)
			ok, tagsOK = false, false
			continue
		}
		if tg.skip {
			continue
		}
		t, tok := c.typ(v.Type(), siteOf(v))
		var f *model.Field
		if tok {
			f = c.field(v.Name(), t, tg.sensitive)
			s.Fields = append(s.Fields, f)
		}
		ok = ok && tok
		vars, tags, fields = append(vars, v), append(tags, tg), append(fields, f)
	}
	ok = checkIDs(s.Fields, func(f *model.Field) site { return siteOf(vars[slices.Index(fields, f)]) }, p.errs) && ok

	typeOf := func(i int) string { return typeString(vars[i].Type(), p.pkg.Types) }
	keyTagged := false
	for i, f := range fields {
		if !tags[i].key {
			continue
		}
		keyTagged = true
		if f == nil {
			continue
		}
		if why := keyable(f.Type, typeOf(i), "key"); why != "" {
			p.errs.at(vars[i].Pos(), "%s.%s: %s", name, f.Name, why)
			ok = false
			continue
		}
		s.Key = append(s.Key, f)
		s.SensitiveKey = s.SensitiveKey || f.Sensitive
	}
	if !keyTagged && tagsOK {
		p.errs.at(d.spec.Name.Pos(), "%s has no key: tag one or more fields `store:\"key\"`", name)
		ok = false
	}
	ok = p.indexes(s, vars, tags, fields, typeOf) && ok
	if !ok {
		return nil
	}
	s.Nested = c.order
	for i, pn := range uniqueParams(fieldNames(s.Fields)) {
		s.Fields[i].Param = pn
	}
	p.keyScans(s)
	p.names(s)
	clones(s)
	return p.stringer(s, named, st)
}

func fieldNames(fs []*model.Field) []string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.Name
	}
	return names
}

// indexes builds the store's indexes from the tags, in order of each
// index's first field, and their lookup methods.
func (p *parser) indexes(s *model.Store, vars []*types.Var, tags []tag, fields []*model.Field, typeOf func(int) string) bool {
	ok := true
	type def struct {
		index  *model.Index
		plain  bool   // from a bare index or unique word
		suffix string // method name after GetBy/ListBy
		first  string // the field that declared it first
	}
	byName := make(map[string]*def)
	var defs []*def
	add := func(i int, name, suffix string, unique, plain bool) {
		f := fields[i]
		pos := vars[i].Pos()
		if why := keyable(f.Type, typeOf(i), "index"); why != "" {
			p.errs.at(pos, "%s.%s: %s", s.Type, f.Name, why)
			ok = false
			return
		}
		d := byName[name]
		switch {
		case d == nil:
			d = &def{index: &model.Index{Name: name, Unique: unique}, plain: plain, suffix: suffix, first: f.Name}
			byName[name] = d
			defs = append(defs, d)
		case d.plain || plain:
			p.errs.at(pos, "%s.%s: duplicate index name %q (first declared on %s.%s)", s.Type, f.Name, name, s.Type, d.first)
			ok = false
			return
		case d.index.Unique != unique:
			p.errs.at(pos, "%s.%s: index %q is unique on %s but not on %s; use unique=%s on every field of the index",
				s.Type, f.Name, name, pick(d.index.Unique, d.first, f.Name), pick(d.index.Unique, f.Name, d.first), name)
			ok = false
			return
		}
		d.index.Fields = append(d.index.Fields, f)
		d.index.Sensitive = d.index.Sensitive || f.Sensitive
	}
	for i, f := range fields {
		if f == nil {
			continue
		}
		tg := tags[i]
		if tg.index {
			add(i, snake(f.Name), f.Name, false, true)
		}
		if tg.unique {
			add(i, snake(f.Name), f.Name, true, true)
		}
		for _, n := range tg.named {
			add(i, snake(n.name), camel(n.name), n.unique, false)
		}
	}
	if !ok {
		return false
	}

	// Full lookups first, so that they win over lookups by leading fields.
	taken := make(map[string]bool)
	for ix, d := range defs {
		s.Indexes = append(s.Indexes, d.index)
		l := &model.Lookup{Method: "ListBy" + d.suffix, Index: ix, Fields: d.index.Fields, Get: d.index.Unique}
		if l.Get {
			l.Method = "GetBy" + d.suffix
		}
		if taken[l.Method] {
			pos := vars[slices.IndexFunc(vars, func(v *types.Var) bool { return v.Name() == d.first })].Pos()
			p.errs.at(pos, "%s.%s: index %q would generate %s, which another index generates too; rename one of them", s.Type, d.first, d.index.Name, l.Method)
			ok = false
			continue
		}
		taken[l.Method] = true
		s.Lookups = append(s.Lookups, l)
	}
	for ix, d := range defs {
		for n := 1; n < len(d.index.Fields); n++ {
			method := "ListBy"
			for _, f := range d.index.Fields[:n] {
				method += f.Name
			}
			if taken[method] {
				continue
			}
			taken[method] = true
			s.Lookups = append(s.Lookups, &model.Lookup{Method: method, Index: ix, Fields: d.index.Fields[:n]})
		}
	}
	return ok
}

func pick(cond bool, a, b string) string {
	if cond {
		return a
	}
	return b
}

// keyScans adds the scans and watch options by leading fields of a
// compound key, and those by prefix of a trailing string key field.
func (p *parser) keyScans(s *model.Store) {
	for n := 1; n < len(s.Key); n++ {
		by := "By"
		for _, f := range s.Key[:n] {
			by += f.Name
		}
		s.KeyScans = append(s.KeyScans, &model.KeyScan{Method: "Scan" + by, Watch: "Watch" + by, Fields: s.Key[:n]})
	}
	s.ScanPrefix = s.Key[len(s.Key)-1].Type.Kind == model.String
}

// names chooses the package-level names generated for s; an unexported
// type gets unexported ones.
func (p *parser) names(s *model.Store) {
	n := &s.Names
	t := s.Type
	n.StoreType = t + "Store"
	n.TxType = t + "Tx"
	n.Constructor = "New" + t + "Store"
	if !exported(t) {
		n.Constructor = "new" + camel(t) + "Store"
	}
	if len(s.Key) > 1 {
		n.KeyType = t + "Key"
	}
	n.EventType = t + "Event"
	n.Schema = lowerCamel(t) + "Schema"
	n.Encode = "encode" + camel(t)
	n.Decode = "decode" + camel(t)
	n.KeysParam = "keys"
	if len(s.Key) == 1 {
		if ps := plural(s.Key[0].Param); !reserved[ps] && !token.IsKeyword(ps) {
			n.KeysParam = ps
		}
	}
}

// stringer decides whether s gets a String method that redacts its
// sensitive fields: when it has any and the user wrote none.
func (p *parser) stringer(s *model.Store, named *types.Named, st *types.Struct) *model.Store {
	redacts := false
	for _, f := range s.Fields {
		redacts = redacts || f.Redacted
	}
	if !redacts {
		return s
	}
	for m := range named.Methods() {
		if m.Name() == "String" {
			return s
		}
	}
	for v := range st.Fields() {
		if v.Name() == "String" {
			p.errs.at(v.Pos(), "%s.String: a field named String collides with the String method generated to redact sensitive fields; rename the field or write a String method", s.Type)
		}
	}
	s.Stringer = true
	return s
}
