package metamorphic

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

// Log lengths. Every configuration runs defaultOps operations but those
// of the remote engines, which run the first redisOps or etcdOps of them:
// they pay a loopback round trip or several per operation, and the etcd
// server, which runs inside the test's process, also pays for the race
// detector's instrumentation. That keeps the test within a CI budget.
// STOREGEN_METAMORPHIC_OPS sets the length for every configuration.
const (
	defaultOps = 2000
	redisOps   = 1000
	etcdOps    = 500
)

// TestMetamorphic runs one random log on the memory engine, checked against
// the map model, then on every other configuration, each of which must
// answer every operation as the memory engine did and end with the same
// keys and values in its engine.
func TestMetamorphic(t *testing.T) {
	seed := envUint(t, "STOREGEN_METAMORPHIC_SEED", uint64(time.Now().UnixNano()))
	n := int(envUint(t, "STOREGEN_METAMORPHIC_OPS", defaultOps))
	fixed := os.Getenv("STOREGEN_METAMORPHIC_OPS") != ""
	lengths := map[string]int{}
	for _, e := range engines {
		lengths[e.name] = n
		if e.ops > 0 && !fixed {
			lengths[e.name] = min(e.ops, n)
		}
	}
	t.Logf("seed %d, %d operations (%v); replay with STOREGEN_METAMORPHIC_SEED=%d", seed, n, lengths, seed)

	log := generate(seed, n)
	want, dumps := reference(t, seed, log, slices.Collect(maps.Values(lengths)))

	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			configuration := e.start(t)
			ops := lengths[e.name]
			for _, l := range layers {
				if e.name == "memory" && l.name == "bare" {
					continue // the reference itself
				}
				t.Run(l.name, func(t *testing.T) {
					t.Parallel()
					open := layered(configuration(t, l.name), l)
					replay(t, seed, open, e.durable, log[:ops], want[:ops], dumps[ops])
				})
			}
		})
	}
}

// reference runs log on the bare memory engine and on the model, failing t
// at the first operation they answer differently, and returns the memory
// engine's answers and its contents after each of the given numbers of
// operations.
func reference(t *testing.T, seed uint64, log []op, lengths []int) ([]outcome, map[int][]entry) {
	t.Helper()
	ctx := context.Background()
	mem, err := newInstance(ctx, engines[0].start(t)(t, "reference"), false) // engines[0] is memory
	require.NoError(t, err)
	defer mem.close()
	model := newOracle()
	want := make([]outcome, len(log))
	dumps := map[int][]entry{}
	for i, o := range log {
		if slices.Contains(lengths, i) {
			dumps[i] = contents(t, mem)
		}
		got, exp := execute(mem, o), execute(model, o)
		if !reflect.DeepEqual(got, exp) {
			t.Fatalf("seed %d, op %d (%s): the memory engine answered differently from the model (-model +memory):\n%s",
				seed, i, o, cmp.Diff(exp, got))
		}
		want[i] = got
	}
	dumps[len(log)] = contents(t, mem)
	return want, dumps
}

// replay runs log on the configuration that open opens and fails t at the
// first answer that differs from want, or if the engine's contents differ
// from final at the end.
func replay(t *testing.T, seed uint64, open opener, durable bool, log []op, want []outcome, final []entry) {
	t.Helper()
	in, err := newInstance(t.Context(), open, durable)
	require.NoError(t, err)
	defer func() { require.NoError(t, in.close()) }()
	for i, o := range log {
		got := execute(in, o)
		if !reflect.DeepEqual(got, want[i]) {
			t.Fatalf("seed %d, op %d (%s): answered differently from the memory engine (-memory +this):\n%s",
				seed, i, o, cmp.Diff(want[i], got))
		}
	}
	got := contents(t, in)
	for i := range max(len(got), len(final)) {
		if i >= len(got) || i >= len(final) || !bytes.Equal(got[i].key, final[i].key) || !bytes.Equal(got[i].value, final[i].value) {
			t.Fatalf("seed %d, after %d ops: the engine holds other keys or values than the memory engine from entry %d on:\nmemory: %s\nthis:   %s",
				seed, len(log), i, entryAt(final, i), entryAt(got, i))
		}
	}
}

// entry is a key and value in an engine, seen through the configuration's
// layers.
type entry struct{ key, value []byte }

// readingValues is where the Reading records are kept (the keyspace name,
// then the runtime's value tag). A Reading's Labels map is encoded in Go's
// random map order, so two engines may hold different bytes for the same
// record: contents keeps only the length of those values, and the
// records themselves are compared by the log's scans.
var readingValues = []byte("reading\x00")

// contents returns every key and value of in's engine, in key order.
func contents(t *testing.T, in *instance) []entry {
	t.Helper()
	view, err := in.db.Backend().View(in.ctx)
	require.NoError(t, err)
	defer view.Close()
	it := view.Range(nil, nil, false)
	var out []entry
	for it.Next() {
		e := entry{key: bytes.Clone(it.Key()), value: bytes.Clone(it.Value())}
		if bytes.HasPrefix(e.key, readingValues) {
			e.value = []byte(fmt.Sprintf("(%d bytes)", len(e.value)))
		}
		out = append(out, e)
	}
	require.NoError(t, it.Close())
	return out
}

func entryAt(es []entry, i int) string {
	if i >= len(es) {
		return "(nothing)"
	}
	return fmt.Sprintf("%q = %q", es[i].key, es[i].value)
}

// envUint reads the unsigned integer in the environment variable name, or
// returns def when it is unset.
func envUint(t *testing.T, name string, def uint64) uint64 {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, s, err)
	}
	return v
}
