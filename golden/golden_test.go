package golden

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/generator"
)

var update = flag.Bool("update", false, "rewrite each case's want/ from the generator's output")

// stderrFile holds a failing case's expected errors.
const stderrFile = "stderr.txt"

// scratchModule is the module path the cases are packages of.
const scratchModule = "storegen.test/golden"

// updateEnv tells a case's tests, run in the scratch module, where to
// rewrite data they commit (see the evolution case).
const updateEnv = "STOREGEN_GOLDEN_UPDATE"

// goldenCase is one directory of testdata.
type goldenCase struct {
	name string
	dir  string // testdata/<name>
}

func (c goldenCase) input() string { return filepath.Join(c.dir, "input") }
func (c goldenCase) want() string  { return filepath.Join(c.dir, "want") }

// failing reports whether the case expects errors rather than files.
func (c goldenCase) failing() bool {
	_, err := os.Stat(filepath.Join(c.want(), stderrFile))
	return err == nil
}

func cases(t *testing.T) []goldenCase {
	entries, err := os.ReadDir("testdata")
	require.NoError(t, err)
	var cs []goldenCase
	for _, e := range entries {
		if e.IsDir() {
			cs = append(cs, goldenCase{name: e.Name(), dir: filepath.Join("testdata", e.Name())})
		}
	}
	require.NotEmpty(t, cs)
	return cs
}

// TestGolden runs the generator on each case's input, in a module of its
// own, and compares what it writes or reports with want/.
func TestGolden(t *testing.T) {
	for _, c := range cases(t) {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			// The case is a package of the module the compile test builds,
			// so that import paths in generated code are the same there.
			mod := t.TempDir()
			writeFile(t, filepath.Join(mod, "go.mod"), "module "+scratchModule+"\n\ngo 1.26\n")
			work := filepath.Join(mod, c.name)
			copyTree(t, c.input(), work, func(rel string, d fs.DirEntry) bool {
				return d.Name() != "testdata" && !strings.HasSuffix(rel, "_test.go")
			})

			got := make(map[string]string)
			res, err := generator.Run(generator.Config{Dir: work})
			if err != nil {
				var list generator.ErrorList
				require.True(t, errors.As(err, &list), "not an input error: %v", err)
				got[stderrFile] = err.Error() + "\n"
				generated, _ := filepath.Glob(filepath.Join(work, "*_store.go"))
				require.Empty(t, generated, "files written despite errors")
			} else {
				require.Empty(t, res.Stale)
				for _, f := range res.Written {
					data, err := os.ReadFile(filepath.Join(work, f))
					require.NoError(t, err)
					got[f] = string(data)
				}
				// A second run finds every file up to date.
				again, err := generator.Run(generator.Config{Dir: work, Check: true})
				require.NoError(t, err)
				require.Empty(t, again.Stale)
				require.Equal(t, res.Written, again.Unchanged)
			}

			if *update {
				require.NoError(t, os.RemoveAll(c.want()))
				for name, data := range got {
					writeFile(t, filepath.Join(c.want(), name), data)
				}
				return
			}
			want := make(map[string]string)
			entries, err := os.ReadDir(c.want())
			require.NoError(t, err, "no want/; run go test ./golden -update")
			for _, e := range entries {
				data, err := os.ReadFile(filepath.Join(c.want(), e.Name()))
				require.NoError(t, err)
				want[e.Name()] = string(data)
			}
			require.ElementsMatch(t, keys(want), keys(got), "generated files")
			for name := range want {
				require.Equal(t, want[name], got[name], "%s differs; run go test ./golden -update and review the diff", name)
			}
		})
	}
}

func keys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// TestGeneratedCode builds a scratch module that holds every successful
// case's input beside its expected output, requires this repository by a
// replace directive, and runs go vet and go test there: the generated code
// must compile, vet clean and pass each case's smoke tests.
func TestGeneratedCode(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests a scratch module")
	}
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	scratch := t.TempDir()
	writeFile(t, filepath.Join(scratch, "go.mod"), scratchGoMod(t, root))
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	require.NoError(t, err)
	writeFile(t, filepath.Join(scratch, "go.sum"), string(sum))

	for _, c := range cases(t) {
		if c.failing() {
			continue
		}
		dst := filepath.Join(scratch, c.name)
		copyTree(t, c.input(), dst, func(string, fs.DirEntry) bool { return true })
		copyTree(t, c.want(), dst, func(string, fs.DirEntry) bool { return true })
	}

	env := append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	if *update {
		abs, err := filepath.Abs("testdata")
		require.NoError(t, err)
		env = append(env, updateEnv+"="+abs)
	}
	for _, args := range [][]string{{"vet", "./..."}, {"test", "-count=1", "-vet=off", "./..."}} {
		cmd := exec.Command("go", args...)
		cmd.Dir = scratch
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "go %s:\n%s", strings.Join(args, " "), out)
	}
}

// scratchGoMod requires this repository, replaced by its checkout, and
// everything it requires, so that the scratch module resolves the same
// versions from the module cache.
func scratchGoMod(t *testing.T, root string) string {
	cmd := exec.Command("go", "mod", "edit", "-json", filepath.Join(root, "go.mod"))
	out, err := cmd.Output()
	require.NoError(t, err)
	var mod struct {
		Go      string
		Require []struct{ Path, Version string }
	}
	require.NoError(t, json.Unmarshal(out, &mod))
	var b bytes.Buffer
	b.WriteString("module " + scratchModule + "\n\ngo " + mod.Go + "\n\nrequire (\n\tgithub.com/synapsed/storegen v0.0.0\n")
	for _, r := range mod.Require {
		b.WriteString("\t" + r.Path + " " + r.Version + "\n")
	}
	b.WriteString(")\n\nreplace github.com/synapsed/storegen => " + root + "\n")
	return b.String()
}

// copyTree copies the files under src that keep accepts into dst.
func copyTree(t *testing.T, src, dst string, keep func(rel string, d fs.DirEntry) bool) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if rel == "." {
			return os.MkdirAll(dst, 0o755)
		}
		if !keep(rel, d) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	require.NoError(t, err)
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(data), 0o644))
}
