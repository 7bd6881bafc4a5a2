// Command ratios runs the paired benchmarks of the backend engines and prints,
// for each pair, the native engine's time, the time through the
// backend.Backend interface and their ratio.
//
// A pair is two sub-benchmarks of one benchmark named native and backend,
// for example BenchmarkGet/native and BenchmarkGet/backend. Each package's
// test binary is built once and run several rounds; every round runs both
// halves of every pair one after the other in the same process, so drift in
// the machine's load reaches both. The table shows the median of the rounds
// for each half and the median of the rounds' ratios. Times are the
// benchmarks' cpu-ns/op where they report it (the processor time the
// process used, which waiting for a busy processor does not inflate), else
// ns/op. Run it from the module root:
//
//	go run ./bench/ratios [-rounds 5] [-benchtime 1s] [packages]
//
// The packages default to ./runtime/backend/...; packages without paired
// benchmarks are skipped.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/synapsed/storegen/internal/benchrun"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ratios", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rounds := fs.Int("rounds", 5, "runs of each test binary; the median is shown")
	benchtime := fs.String("benchtime", "1s", "-test.benchtime of each run")
	bench := fs.String("bench", ".", "-test.bench pattern")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	patterns := fs.Args()
	if len(patterns) == 0 {
		patterns = []string{"./runtime/backend/..."}
	}
	pkgs, err := list(patterns)
	if err != nil {
		fmt.Fprintln(stderr, "ratios:", err)
		return 1
	}
	tmp, err := os.MkdirTemp("", "ratios")
	if err != nil {
		fmt.Fprintln(stderr, "ratios:", err)
		return 1
	}
	defer os.RemoveAll(tmp)

	var results []result
	for _, pkg := range pkgs {
		bin := filepath.Join(tmp, strings.ReplaceAll(pkg, "/", "_")+".test")
		if out, err := exec.Command("go", "test", "-c", "-o", bin, pkg).CombinedOutput(); err != nil {
			fmt.Fprintf(stderr, "ratios: build %s: %v\n%s", pkg, err, out)
			return 1
		}
		if _, err := os.Stat(bin); err != nil {
			continue // no test files
		}
		run := benchrun.Run{Bin: bin, Dir: pkgDir(pkg), Bench: *bench, Benchtime: *benchtime, Progress: stderr}
		samples, err := run.Rounds(*rounds)
		if err != nil {
			fmt.Fprintln(stderr, "ratios:", err)
			return 1
		}
		results = append(results, pairs(pkg, samples)...)
	}
	if len(results) == 0 {
		fmt.Fprintln(stderr, "ratios: no native/backend benchmark pairs found")
		return 1
	}
	report(stdout, results, *rounds)
	return 0
}

// list resolves package patterns to import paths.
func list(patterns []string) ([]string, error) {
	out, err := exec.Command("go", append([]string{"list"}, patterns...)...).Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w", err)
	}
	return strings.Fields(string(out)), nil
}

// pkgDir is the directory of pkg, where its tests expect to run.
func pkgDir(pkg string) string {
	out, err := exec.Command("go", "list", "-f", "{{.Dir}}", pkg).Output()
	if err != nil {
		return "."
	}
	return strings.TrimSpace(string(out))
}

type result struct {
	pkg, name       string
	native, backend side
	// ratio is the median of the rounds' ratios, low and high their range,
	// which shows how noisy the run was.
	ratio, low, high float64
}

// side is one half of a pair: the medians of its rounds' time (see
// benchrun.Sample.Time) and allocations.
type side struct {
	ns, allocs float64
	cpu        bool
}

// pairs matches X/native with X/backend and takes the median of each and
// of the per-round ratios. The two halves of a round ran back to back, so
// their ratio is steadier than the ratio of medians when the machine's
// load drifts between rounds.
func pairs(pkg string, samples map[string][]benchrun.Sample) []result {
	var out []result
	for name, native := range samples {
		base, ok := strings.CutSuffix(name, "/native")
		if !ok {
			continue
		}
		backend, ok := samples[base+"/backend"]
		if !ok || len(backend) != len(native) {
			continue
		}
		ratios := make([]float64, len(native))
		for i := range native {
			b, _ := backend[i].Time()
			n, _ := native[i].Time()
			ratios[i] = b / n
		}
		r := benchrun.SpreadOf(ratios)
		out = append(out, result{pkg: pkg, name: base, native: medians(native), backend: medians(backend),
			ratio: r.Med, low: r.Lo, high: r.Hi})
	}
	slices.SortFunc(out, func(a, b result) int { return strings.Compare(a.name, b.name) })
	return out
}

func medians(s []benchrun.Sample) side {
	ns, allocs := make([]float64, len(s)), make([]float64, len(s))
	var cpu bool
	for i, x := range s {
		ns[i], cpu = x.Time()
		allocs[i] = x["allocs/op"]
	}
	return side{ns: benchrun.SpreadOf(ns).Med, allocs: benchrun.SpreadOf(allocs).Med, cpu: cpu}
}

func report(w io.Writer, results []result, rounds int) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "package\tbenchmark\tnative ns/op\tbackend ns/op\tratio\trounds' range\tnative allocs/op\tbackend allocs/op\ttime\t\n")
	for _, r := range results {
		time := "wall"
		if r.native.cpu && r.backend.cpu {
			time = "cpu"
		}
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%.0f\t%.3f\t%.2f–%.2f\t%.0f\t%.0f\t%s\t\n",
			filepath.Base(r.pkg), r.name,
			r.native.ns, r.backend.ns, r.ratio, r.low, r.high, r.native.allocs, r.backend.allocs, time)
	}
	tw.Flush()
	fmt.Fprintf(w, "medians of %d rounds; ratio = median of each round's backend/native (1.05 = interface 5%% slower)\n", rounds)
}
