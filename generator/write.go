package generator

import (
	"bytes"
	"fmt"
	"os"
	"slices"

	"golang.org/x/tools/imports"

	"github.com/synapsed/storegen/templates"
)

// isGenerated reports whether src is a file storegen wrote, which it may
// replace or remove.
func isGenerated(src []byte) bool { return bytes.HasPrefix(src, []byte(templates.Header+"\n")) }

// output is a generated file before formatting.
type output struct {
	path string
	src  []byte
}

// write formats outs and writes those whose bytes differ from the file on
// disk, and removes stale generated files. In check mode it only reports
// them. Files are written only after all of them formatted.
func write(dir string, outs []output, stale []string, check bool) (*Result, error) {
	res := &Result{}
	formatted := make([][]byte, len(outs))
	for i, o := range outs {
		// gofmt, and the standard library's imports apart from the rest,
		// as goimports would; FormatOnly adds and removes nothing.
		src, err := imports.Process(o.path, o.src, &imports.Options{FormatOnly: true, Comments: true, TabIndent: true, TabWidth: 8})
		if err != nil {
			return nil, fmt.Errorf("storegen: formatting %s: %w\n%s", relPath(dir, o.path), err, o.src)
		}
		formatted[i] = src
	}
	for i, o := range outs {
		rel := relPath(dir, o.path)
		old, err := os.ReadFile(o.path)
		switch {
		case err == nil && bytes.Equal(old, formatted[i]):
			res.Unchanged = append(res.Unchanged, rel)
		case check:
			res.Stale = append(res.Stale, rel)
		default:
			if err := os.WriteFile(o.path, formatted[i], 0o644); err != nil {
				return res, err
			}
			res.Written = append(res.Written, rel)
		}
	}
	for _, path := range stale {
		rel := relPath(dir, path)
		if check {
			res.Stale = append(res.Stale, rel)
			continue
		}
		if err := os.Remove(path); err != nil {
			return res, err
		}
		res.Removed = append(res.Removed, rel)
	}
	for _, l := range [][]string{res.Written, res.Unchanged, res.Removed, res.Stale} {
		slices.Sort(l)
	}
	return res, nil
}
