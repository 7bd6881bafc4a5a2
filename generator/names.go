package generator

import (
	"go/token"
	"strconv"
	"strings"
	"unicode"
)

// words splits a Go identifier or a snake_case name into words, keeping
// initialisms together: "UserID" → [User ID], "HTTPServer" → [HTTP Server],
// "org_team" → [org team], "IDs" → [IDs].
func words(s string) []string {
	var out []string
	for _, part := range strings.Split(s, "_") {
		rs := []rune(part)
		start := 0
		for i := 1; i < len(rs); i++ {
			prev, cur := rs[i-1], rs[i]
			switch {
			case unicode.IsLower(prev) && unicode.IsUpper(cur),
				unicode.IsDigit(prev) && unicode.IsUpper(cur):
				out = append(out, string(rs[start:i]))
				start = i
			case unicode.IsUpper(prev) && unicode.IsUpper(cur) &&
				i+1 < len(rs) && unicode.IsLower(rs[i+1]) && !pluralTail(rs[i+1:]):
				// "HTTPServer": the last upper-case letter starts a word.
				out = append(out, string(rs[start:i]))
				start = i
			}
		}
		if start < len(rs) {
			out = append(out, string(rs[start:]))
		}
	}
	return out
}

// pluralTail reports whether rs is the "s" of a plural initialism ("IDs").
func pluralTail(rs []rune) bool { return len(rs) == 1 && rs[0] == 's' }

// snake returns s in snake_case: "UserID" → "user_id".
func snake(s string) string {
	ws := words(s)
	for i, w := range ws {
		ws[i] = strings.ToLower(w)
	}
	return strings.Join(ws, "_")
}

// camel returns s in CamelCase: "org_team" → "OrgTeam"; Go names keep their
// initialisms ("UserID" stays "UserID").
func camel(s string) string {
	var b strings.Builder
	for _, w := range words(s) {
		rs := []rune(w)
		rs[0] = unicode.ToUpper(rs[0])
		b.WriteString(string(rs))
	}
	return b.String()
}

// lowerCamel returns s with its first word in lower case: "UserID" →
// "userID", "ID" → "id", "HTTPServer" → "httpServer".
func lowerCamel(s string) string {
	ws := words(s)
	if len(ws) == 0 {
		return s
	}
	ws[0] = strings.ToLower(ws[0])
	for i := 1; i < len(ws); i++ {
		rs := []rune(ws[i])
		rs[0] = unicode.ToUpper(rs[0])
		ws[i] = string(rs)
	}
	return strings.Join(ws, "")
}

// exported reports whether name starts with an upper-case letter.
func exported(name string) bool { return token.IsExported(name) }

// reserved are the names a method parameter must not take: Go keywords and
// predeclared identifiers, and the names generated method bodies use.
var reserved = func() map[string]bool {
	m := map[string]bool{
		// Names used by generated methods and their signatures.
		"ctx": true, "opts": true, "s": true, "v": true, "vs": true,
		"codec": true, "store": true, "context": true, "iter": true,
		"time": true, "enc": true, "prefix": true, "from": true, "to": true,
		"keys": true, "tx": true, "err": true,
	}
	for _, n := range strings.Fields(`any bool byte comparable complex64
		complex128 error float32 float64 int int8 int16 int32 int64 rune
		string uint uint8 uint16 uint32 uint64 uintptr true false iota nil
		append cap clear close complex copy delete imag len make max min new
		panic print println real recover`) {
		m[n] = true
	}
	return m
}()

// paramName returns a method parameter name for a field called name.
func paramName(name string) string {
	p := lowerCamel(name)
	switch {
	case p == "type":
		return "typ"
	case p == "func":
		return "fn"
	case token.IsKeyword(p) || reserved[p]:
		return p + "Value"
	}
	return p
}

// uniqueParams gives each name a distinct parameter name, numbering
// repeats: [ID Id] → [id id2].
func uniqueParams(names []string) []string {
	out := make([]string, len(names))
	seen := make(map[string]bool)
	for i, n := range names {
		p := paramName(n)
		for k := 2; seen[p]; k++ {
			p = paramName(n) + strconv.Itoa(k)
		}
		seen[p] = true
		out[i] = p
	}
	return out
}

// plural returns the English plural of a parameter name: ids, hashes,
// entries.
func plural(s string) string {
	switch {
	case strings.HasSuffix(s, "s"), strings.HasSuffix(s, "x"), strings.HasSuffix(s, "z"),
		strings.HasSuffix(s, "ch"), strings.HasSuffix(s, "sh"):
		return s + "es"
	case len(s) > 1 && strings.HasSuffix(s, "y") && !strings.ContainsRune("aeiou", rune(s[len(s)-2])):
		return s[:len(s)-1] + "ies"
	}
	return s + "s"
}
