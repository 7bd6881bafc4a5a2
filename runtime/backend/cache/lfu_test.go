package cache

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPolicies drives both policies through the same random operations and
// checks each against a plain model of its rule: LRU evicts the entry used
// longest ago, LFU the least used, oldest use first among equals.
func TestPolicies(t *testing.T) {
	for _, ev := range []Eviction{LRU, LFU} {
		t.Run(ev.String(), func(t *testing.T) {
			p := newPolicy(ev)
			m := newModel()
			rng := rand.New(rand.NewPCG(1, 2))
			for step := range 20_000 {
				k := fmt.Sprintf("k%d", rng.IntN(40))
				switch op := rng.IntN(10); {
				case op < 5:
					e, ok := p.get(k)
					require.Equal(t, m.contains(k), ok, "step %d: get %s", step, k)
					if ok {
						m.use(k)
						require.Equal(t, k, string(e.value), "step %d: get %s", step, k)
					}
				case op < 8:
					if !p.contains(k) {
						p.add(k, entry{value: []byte(k), found: true})
						m.add(k)
					}
				case op < 9:
					_, ok := p.remove(k)
					require.Equal(t, m.contains(k), ok, "step %d: remove %s", step, k)
					m.remove(k)
				default:
					k, _, ok := p.evict()
					want, wantOK := m.victim(ev)
					require.Equal(t, wantOK, ok, "step %d: evict", step)
					require.Equal(t, want, k, "step %d: evict", step)
					m.remove(k)
				}
				require.Equal(t, len(m.uses), p.len(), "step %d: len", step)
			}
		})
	}
}

// model is the policies' specification, kept naively: each key's use count
// and the step of its last use.
type model struct {
	clock      int
	uses, last map[string]int
}

func newModel() *model { return &model{uses: map[string]int{}, last: map[string]int{}} }

func (m *model) contains(k string) bool { _, ok := m.uses[k]; return ok }
func (m *model) add(k string)           { m.clock++; m.uses[k], m.last[k] = 1, m.clock }
func (m *model) use(k string)           { m.clock++; m.uses[k]++; m.last[k] = m.clock }
func (m *model) remove(k string)        { delete(m.uses, k); delete(m.last, k) }

func (m *model) victim(ev Eviction) (string, bool) {
	best, found := "", false
	for k := range m.uses {
		if !found {
			best, found = k, true
			continue
		}
		if ev == LFU && m.uses[k] != m.uses[best] {
			if m.uses[k] < m.uses[best] {
				best = k
			}
			continue
		}
		if m.last[k] < m.last[best] {
			best = k
		}
	}
	return best, found
}

// TestLFUHitReusesNodes checks that hits on a warmed-up LFU do not
// allocate: frequency nodes are recycled.
func TestLFUHitReusesNodes(t *testing.T) {
	l := newLFU()
	keys := []string{"a", "b", "c", "d"}
	for _, k := range keys {
		l.add(k, entry{found: true})
	}
	for range 10 { // warm up: nodes now exist on the free list
		for _, k := range keys {
			l.get(k)
		}
	}
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		l.get(keys[i%len(keys)])
		i++
	})
	assert.Zero(t, allocs)
}
