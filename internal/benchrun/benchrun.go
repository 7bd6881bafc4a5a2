// Package benchrun runs a package's benchmarks several times from one test
// binary and reads their results, for the commands under bench/ that print
// ratios (bench/ratios, bench/report). Running every benchmark of a round
// in one process, round after round, lets drift in the machine's load
// reach both halves of a comparison.
package benchrun

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Sample is one benchmark result line: its metrics by unit ("ns/op",
// "allocs/op", "cpu-ns/op", …).
type Sample map[string]float64

// Time returns the time per operation compared: cpu-ns/op when the
// benchmark reports it (the processor time the process used, which waiting
// for a busy processor does not inflate), else ns/op; cpu says which.
func (s Sample) Time() (ns float64, cpu bool) {
	if v, ok := s["cpu-ns/op"]; ok {
		return v, true
	}
	return s["ns/op"], false
}

// resultLine matches a result line such as
// "BenchmarkGet/typed-2  1000  1611 ns/op  0 B/op  0 allocs/op"
// and captures the name without Benchmark and the -GOMAXPROCS suffix.
var resultLine = regexp.MustCompile(`^Benchmark(\S+?)(?:-\d+)?\s+\d+\s+(.*)$`)

// Parse reads benchmark output and returns each benchmark's result by its
// name without the Benchmark prefix ("Get/typed").
func Parse(r io.Reader) map[string]Sample {
	got := map[string]Sample{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		m := resultLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		s := Sample{}
		f := strings.Fields(m[2])
		for i := 0; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				s[f[i+1]] = v
			}
		}
		got[m[1]] = s
	}
	return got
}

// Run is a test binary to run in rounds.
type Run struct {
	Bin       string // the test binary
	Dir       string // where it runs: its package's directory
	Bench     string // the -test.bench pattern
	Benchtime string // -test.benchtime
	// Progress, if set, is told of each round and gets the binary's
	// standard error.
	Progress io.Writer
}

// Rounds runs the binary rounds times and returns each benchmark's samples
// in round order.
func (r Run) Rounds(rounds int) (map[string][]Sample, error) {
	got := map[string][]Sample{}
	for i := range rounds {
		if r.Progress != nil {
			fmt.Fprintf(r.Progress, "%s round %d/%d\n", r.Dir, i+1, rounds)
		}
		cmd := exec.Command(r.Bin, "-test.run", "^$", "-test.bench", r.Bench,
			"-test.benchmem", "-test.count", "1", "-test.benchtime", r.Benchtime)
		cmd.Dir = r.Dir
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, r.Progress
		if err := cmd.Run(); err != nil {
			return got, fmt.Errorf("run %s: %v\n%s", r.Dir, err, out.Bytes())
		}
		for name, s := range Parse(&out) {
			got[name] = append(got[name], s)
		}
	}
	return got, nil
}

// Spread is the median of a series and its range.
type Spread struct{ Med, Lo, Hi float64 }

// SpreadOf returns the spread of v; zero for an empty v.
func SpreadOf(v []float64) Spread {
	if len(v) == 0 {
		return Spread{}
	}
	v = slices.Sorted(slices.Values(v))
	med := v[len(v)/2]
	if n := len(v); n%2 == 0 {
		med = (v[n/2-1] + v[n/2]) / 2
	}
	return Spread{Med: med, Lo: v[0], Hi: v[len(v)-1]}
}
