// Command report runs storegen's performance comparisons and prints each
// as a ratio against its baseline, next to the target the ratio must meet:
// the generated codec against encoding/json, typed reads against the
// engines' own reads and against Pebble with encoding/json, storegen
// against bolthold, and the time storegen itself takes. It exits 1 when a
// target is missed.
//
// Every comparison is a pair of sub-benchmarks in one test binary. Each
// binary is built once and run several rounds; a round runs both halves of
// every pair one after the other in one process, so that a change in the
// machine's load reaches both, and the table shows the median of the
// rounds' ratios with their range, a measure of how noisy the run was.
// Targets are judged, as bench/ratios judges its pairs, on the processor
// time per operation (cpu-ns/op, see internal/cputime) where both
// halves report it, since waiting for a busy processor does not inflate it;
// the wall-clock ratio is shown beside it. Run it from the module root:
//
//	go run ./bench/report [-rounds 5] [-benchtime 1s] [-gen dir]
//
// bench/bolthold is a module of its own (storegen's module must not depend
// on bolthold); report builds it there.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/synapsed/storegen/internal/benchrun"
)

// suite is one test binary: a package directory, relative to the module
// root, built with its own module's go.mod.
type suite struct{ name, dir string }

var suites = []suite{
	{name: "record", dir: "bench/record"},
	{name: "bolthold", dir: "bench/bolthold"},
}

// comparison is one target: the ratio of two benchmarks of a suite.
type comparison struct {
	suite, what string
	// base and cand are benchmark names without the Benchmark prefix.
	base, cand string
	// speedup targets base/cand >= limit; otherwise cand/base <= limit.
	speedup bool
	limit   float64
}

var comparisons = []comparison{
	{suite: "record", what: "encode vs encoding/json", base: "Encode/json", cand: "Encode/storegen", speedup: true, limit: 10},
	{suite: "record", what: "decode vs encoding/json", base: "Decode/json", cand: "Decode/storegen", speedup: true, limit: 10},
	{suite: "record", what: "typed Get vs Pebble Get of the same bytes", base: "GetPebble/engine", cand: "GetPebble/typed", limit: 1.5},
	{suite: "record", what: "typed Get vs bbolt Get of the same bytes", base: "GetBbolt/engine", cand: "GetBbolt/typed", limit: 1.5},
	{suite: "record", what: "typed Get vs Pebble + encoding/json", base: "GetPebble/json", cand: "GetPebble/typed", speedup: true, limit: 4},
	{suite: "bolthold", what: "Get vs bolthold", base: "Get/bolthold", cand: "Get/storegen", speedup: true, limit: 10},
	{suite: "bolthold", what: "1,000 puts in one tx vs bolthold (empty file)", base: "Put1000/bolthold", cand: "Put1000/storegen", speedup: true, limit: 20},
	{suite: "bolthold", what: "1,000 puts in one tx vs bolthold (10,000 held)", base: "Put1000Loaded/bolthold", cand: "Put1000Loaded/storegen", speedup: true, limit: 20},
	{suite: "bolthold", what: "list 1,000 of 10,000 by plain index vs bolthold", base: "ListByStatus/bolthold", cand: "ListByStatus/storegen", speedup: true, limit: 10},
}

// allocCheck bounds the allocations of one benchmark, by a number or by
// one of its metrics.
type allocCheck struct {
	suite, what, bench string
	max                float64
	maxMetric          string // if set, the bound is this metric's value
}

var allocChecks = []allocCheck{
	{suite: "record", what: "encode into a reused buffer", bench: "Encode/storegen", max: 0},
	{suite: "record", what: "decode, at most one per variable-length field", bench: "Decode/storegen", maxMetric: "varfields"},
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rounds := fs.Int("rounds", 5, "runs of each test binary; the median is shown")
	benchtime := fs.String("benchtime", "1s", "-test.benchtime of each run")
	gen := fs.String("gen", "", "package directory to time storegen on (default examples/quickstart/model, else bench/record)")
	genRuns := fs.Int("genruns", 10, "warm runs of storegen to time")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	tmp, err := os.MkdirTemp("", "report")
	if err != nil {
		fmt.Fprintln(stderr, "report:", err)
		return 1
	}
	defer os.RemoveAll(tmp)

	// A suite that fails to build or run leaves its comparisons missing,
	// which the table shows as failures; the others are still reported.
	samples := map[string]map[string][]benchrun.Sample{} // suite -> benchmark -> rounds
	failed := false
	for _, s := range suites {
		got, err := runSuite(s, tmp, *rounds, *benchtime, stderr)
		if err != nil {
			fmt.Fprintln(stderr, "report:", err)
			failed = true
		}
		samples[s.name] = got
	}
	if *gen == "" {
		*gen = "bench/record"
		if _, err := os.Stat("examples/quickstart/model"); err == nil {
			*gen = "examples/quickstart/model"
		}
	}
	timing, err := timeStoregen(*gen, tmp, *genRuns, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "report:", err)
		failed = true
	}
	if !report(stdout, samples, timing, *rounds) || failed {
		return 1
	}
	return 0
}

// runSuite builds s's test binary and runs it rounds times, returning each
// benchmark's samples in round order.
func runSuite(s suite, tmp string, rounds int, benchtime string, stderr io.Writer) (map[string][]benchrun.Sample, error) {
	bin := filepath.Join(tmp, s.name+".test")
	build := exec.Command("go", "test", "-c", "-o", bin, ".")
	build.Dir = s.dir
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build %s: %v\n%s", s.dir, err, out)
	}
	return benchrun.Run{Bin: bin, Dir: s.dir, Bench: ".", Benchtime: benchtime, Progress: stderr}.Rounds(rounds)
}

// spread prints a benchrun.Spread as "median [min–max]".
type spread struct{ benchrun.Spread }

func (s spread) String() string {
	return fmt.Sprintf("%s [%s–%s]", sig(s.Med), sig(s.Lo), sig(s.Hi))
}

func spreadOf(v []float64) spread { return spread{benchrun.SpreadOf(v)} }

// metric returns unit's value in each round; rounds lacking it are left
// out.
func metric(s []benchrun.Sample, unit string) []float64 {
	var out []float64
	for _, x := range s {
		if v, ok := x[unit]; ok {
			out = append(out, v)
		}
	}
	return out
}

// ratios returns, round by round, the comparison's ratio of unit: the
// baseline over the candidate for a speedup, the other way round for an
// overhead.
func (c comparison) ratios(base, cand []benchrun.Sample, unit string) []float64 {
	var out []float64
	for i := range min(len(base), len(cand)) {
		b, okb := base[i][unit]
		k, okc := cand[i][unit]
		if !okb || !okc || b == 0 || k == 0 {
			continue
		}
		if c.speedup {
			out = append(out, b/k)
		} else {
			out = append(out, k/b)
		}
	}
	return out
}

func (c comparison) target() string {
	if c.speedup {
		return "≥ " + num(c.limit) + "× faster"
	}
	return "≤ " + num(c.limit) + "× the time"
}

func (c comparison) met(ratio float64) bool {
	if c.speedup {
		return ratio >= c.limit
	}
	return ratio <= c.limit
}

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

// num prints a figure with three significant digits.
func num(v float64) string {
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// nsText prints a time in nanoseconds with three significant digits and a
// unit that keeps the figure short.
func nsText(ns float64) string {
	d := time.Duration(ns)
	switch {
	case d < time.Microsecond:
		return sig(ns) + " ns"
	case d < time.Millisecond:
		return sig(ns/1e3) + " µs"
	case d < time.Second:
		return sig(ns/1e6) + " ms"
	}
	return sig(ns/1e9) + " s"
}

// sig prints v with three significant digits, without an exponent.
func sig(v float64) string {
	p, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 3, 64), 64)
	return strconv.FormatFloat(p, 'f', -1, 64)
}

// judged is the unit targets are judged on: the processor time per
// operation where both halves of a pair report it, as bench/ratios does,
// else wall-clock time.
func judged(base, cand []benchrun.Sample) string {
	if len(metric(base, "cpu-ns/op")) == len(base) && len(metric(cand, "cpu-ns/op")) == len(cand) {
		return "cpu-ns/op"
	}
	return "ns/op"
}

// report prints the table and reports whether every target was met.
func report(w io.Writer, samples map[string]map[string][]benchrun.Sample, timing genTiming, rounds int) bool {
	all := true
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "comparison\tbaseline\tstoregen\tratio [range]\twall-clock ratio [range]\tallocs/op\ttarget\t")
	for _, c := range comparisons {
		base, cand := samples[c.suite][c.base], samples[c.suite][c.cand]
		if len(base) == 0 || len(cand) == 0 {
			fmt.Fprintf(tw, "%s\tmissing %s or %s\t\t\t\t\t%s\tFAIL\n", c.what, c.base, c.cand, c.target())
			all = false
			continue
		}
		unit := judged(base, cand)
		r := spreadOf(c.ratios(base, cand, unit))
		ok := c.met(r.Med)
		all = all && ok
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s→%s\t%s\t%s\n", c.what,
			nsText(spreadOf(metric(base, unit)).Med), nsText(spreadOf(metric(cand, unit)).Med),
			r, spreadOf(c.ratios(base, cand, "ns/op")),
			sig(spreadOf(metric(base, "allocs/op")).Med), sig(spreadOf(metric(cand, "allocs/op")).Med),
			c.target(), verdict(ok))
	}
	for _, a := range allocChecks {
		s := samples[a.suite][a.bench]
		allocs := spreadOf(metric(s, "allocs/op")).Med
		limit := a.max
		if a.maxMetric != "" {
			limit = spreadOf(metric(s, a.maxMetric)).Med
		}
		ok := len(s) > 0 && allocs <= limit
		all = all && ok
		fmt.Fprintf(tw, "allocs: %s\t\t%s\t\t\t\t≤ %s\t%s\n", a.what, num(allocs), num(limit), verdict(ok))
	}
	for _, t := range timing.rows {
		ok := t.wall.Med < time.Second.Seconds()
		all = all && ok
		fmt.Fprintf(tw, "storegen on %s, %s\t\t%s\t[%s–%s]\t\t\t< 1 s\t%s\n", timing.dir, t.what,
			nsText(t.wall.Med*1e9), nsText(t.wall.Lo*1e9), nsText(t.wall.Hi*1e9), verdict(ok))
	}
	ok := timing.loads == 1
	all = all && ok
	fmt.Fprintf(tw, "storegen on %s, package loads (go list -json) per run\t\t%d\t\t\t\t1\t%s\n", timing.dir, timing.loads, verdict(ok))
	tw.Flush()
	fmt.Fprintf(w, "medians of %d rounds; [min–max] of the per-round ratios. Times and ratio are the process's processor time\n", rounds)
	fmt.Fprintln(w, "per op (cpu-ns/op), which waiting for a busy processor does not inflate, where both halves report it,")
	fmt.Fprintln(w, "else wall-clock ns/op; targets are judged on ratio. storegen timings are wall-clock. allocs/op: baseline→storegen.")
	return all
}

// genTiming is how long storegen takes on one package.
type genTiming struct {
	dir   string
	rows  []genRow
	loads int
}

type genRow struct {
	what string
	wall spread
}

// timeStoregen times warm runs of storegen -check on dir: the built
// command, and go run as //go:generate invokes it. -check does the whole
// load and generation but writes nothing, so timing leaves the tree as it
// was; it exits 1 when a committed file is stale, which does not matter
// here. It also counts the package loads of one run, through a go command
// on PATH that logs each go list -json before running the real one.
func timeStoregen(dir, tmp string, runs int, stderr io.Writer) (genTiming, error) {
	t := genTiming{dir: dir}
	bin := filepath.Join(tmp, "storegen")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/storegen").CombinedOutput(); err != nil {
		return t, fmt.Errorf("build storegen: %v\n%s", err, out)
	}
	commands := []struct {
		what string
		argv []string
	}{
		{"built command, warm", []string{bin, "-check"}},
		{"go run (as go generate runs it), warm", []string{"go", "run", "github.com/synapsed/storegen/cmd/storegen", "-check"}},
	}
	for _, c := range commands {
		fmt.Fprintf(stderr, "report: timing %s on %s\n", c.what, dir)
		var walls []float64
		for i := range runs + 1 { // the first run warms the caches
			start := time.Now()
			if err := storegen(dir, c.argv, nil); err != nil {
				return t, err
			}
			if i > 0 {
				walls = append(walls, time.Since(start).Seconds())
			}
		}
		t.rows = append(t.rows, genRow{what: c.what, wall: spreadOf(walls)})
	}

	shim, log := filepath.Join(tmp, "shim"), filepath.Join(tmp, "go-calls.log")
	goBin, err := exec.LookPath("go")
	if err != nil {
		return t, err
	}
	if err := os.MkdirAll(shim, 0o755); err != nil {
		return t, err
	}
	script := fmt.Sprintf("#!/bin/sh\necho \"$*\" >> %q\nexec %q \"$@\"\n", log, goBin)
	if err := os.WriteFile(filepath.Join(shim, "go"), []byte(script), 0o755); err != nil {
		return t, err
	}
	env := append(os.Environ(), "PATH="+shim+string(os.PathListSeparator)+os.Getenv("PATH"))
	if err := storegen(dir, []string{bin, "-check"}, env); err != nil {
		return t, err
	}
	calls, err := os.ReadFile(log)
	if err != nil {
		return t, fmt.Errorf("storegen ran no go command: %w", err)
	}
	for line := range strings.Lines(string(calls)) {
		if strings.HasPrefix(line, "list ") && strings.Contains(line, "-json") {
			t.loads++
		}
	}
	return t, nil
}

// storegen runs argv in dir. Exit status 1 with nothing but stale files
// named (under -check) is not an error: the run did all its work.
func storegen(dir string, argv, env []string) error {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 1 && onlyStale(out) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s in %s: %v\n%s", strings.Join(argv, " "), dir, err, out)
	}
	return nil
}

func onlyStale(out []byte) bool {
	for line := range strings.Lines(string(out)) {
		if !strings.HasSuffix(strings.TrimSpace(line), "is stale; run go generate") {
			return false
		}
	}
	return len(out) > 0
}
