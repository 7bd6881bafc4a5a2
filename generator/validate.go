package generator

import (
	"cmp"
	"fmt"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/synapsed/storegen/generator/model"
)

// Error is a problem in the user's input at a position of their source.
type Error struct {
	Pos token.Position
	Msg string
}

// Error renders the error as file:line:col: message.
func (e *Error) Error() string {
	if !e.Pos.IsValid() {
		return e.Msg
	}
	return e.Pos.String() + ": " + e.Msg
}

// ErrorList holds every input error of a run, sorted by position. Run
// returns it when there is any, and writes nothing then.
type ErrorList []*Error

// Error renders one error per line.
func (l ErrorList) Error() string {
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// errorSink collects input errors, with file names relative to the working
// directory so that messages don't depend on where the code lives.
type errorSink struct {
	fset *token.FileSet
	dir  string
	list ErrorList
}

// at records an error at pos.
func (s *errorSink) at(pos token.Pos, format string, args ...any) {
	p := s.fset.Position(pos)
	p.Filename = relPath(s.dir, p.Filename)
	s.list = append(s.list, &Error{Pos: p, Msg: fmt.Sprintf(format, args...)})
}

// position renders pos as file:line:col for a message.
func (s *errorSink) position(pos token.Pos) string {
	p := s.fset.Position(pos)
	p.Filename = relPath(s.dir, p.Filename)
	return p.String()
}

var positionSuffix = regexp.MustCompile(`:(\d+)(?::(\d+))?$`)

// raw records an error reported by go/packages, whose position is text.
func (s *errorSink) raw(pos, msg string) {
	var p token.Position
	if m := positionSuffix.FindStringSubmatchIndex(pos); m != nil {
		p.Filename = relPath(s.dir, pos[:m[0]])
		p.Line, _ = strconv.Atoi(pos[m[2]:m[3]])
		if m[4] >= 0 {
			p.Column, _ = strconv.Atoi(pos[m[4]:m[5]])
		}
	} else if pos != "" {
		msg = pos + ": " + msg
	}
	s.list = append(s.list, &Error{Pos: p, Msg: msg})
}

// sorted returns the errors by file, line and column, without repeats (a
// nested struct used by two stores is checked for each).
func (s *errorSink) sorted() ErrorList {
	l := slices.Clone(s.list)
	slices.SortStableFunc(l, func(a, b *Error) int {
		return cmp.Or(
			cmp.Compare(a.Pos.Filename, b.Pos.Filename),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Column, b.Pos.Column),
			cmp.Compare(a.Msg, b.Msg),
		)
	})
	return slices.CompactFunc(l, func(a, b *Error) bool { return *a == *b })
}

// relPath returns path relative to dir when it lies inside it.
func relPath(dir, path string) string {
	if dir == "" || !filepath.IsAbs(path) {
		return path
	}
	rel, err := filepath.Rel(dir, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return path
	}
	return rel
}

// keyable reports why t cannot be the type of a key or index field, or ""
// if it can. what is "key" or "index".
func keyable(t *model.Type, goType, what string) string {
	a := "a " + what
	if what == "index" {
		a = "an index"
	}
	switch t.Kind {
	case model.String, model.Bytes, model.Int, model.Uint, model.Fixed, model.Time:
		return ""
	case model.Float32, model.Float64:
		return fmt.Sprintf("%s cannot be %s: floats have no order-preserving encoding; use an integer or a string", goType, a)
	case model.Bool:
		return fmt.Sprintf("%s cannot be %s: store the flag as an integer or a string to index it", goType, a)
	case model.Marshaler:
		return fmt.Sprintf("%s cannot be %s: a type that implements encoding.BinaryMarshaler has no order-preserving encoding", goType, a)
	}
	return fmt.Sprintf("%s cannot be %s: %s fields must be strings, []byte, integers, [N]byte or time.Time", goType, a, what)
}

// keyspaceName is what a store's name= option must look like.
var keyspaceName = regexp.MustCompile(`^[a-z0-9_]+$`)

// indexName is what an index=<name> or unique=<name> tag must look like.
var indexName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
