package substrates_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/synapsed/storegen/runtime/substrates"
)

func TestStateImmutable(t *testing.T) {
	cx := substrates.NewCortex()
	count := substrates.NewSlot(cx.Name("count"), -1)
	label := substrates.NewSlot(cx.Name("label"), "none")
	countStr := substrates.NewSlot(cx.Name("count"), "") // same name, other type: another slot

	var empty substrates.State
	v, ok := substrates.Get(empty, count)
	assert.False(t, ok)
	assert.Equal(t, -1, v, "absent slot gives its default")

	one := empty.With(count, 1)
	two := one.With(count, 2).With(label, "x")
	assert.Equal(t, 0, empty.Len(), "With leaves its receiver alone")
	assert.Equal(t, 1, one.Len())
	assert.Equal(t, 2, two.Len(), "a slot set twice is held once")

	v, ok = substrates.Get(one, count)
	assert.True(t, ok)
	assert.Equal(t, 1, v)
	v, _ = substrates.Get(two, count)
	assert.Equal(t, 2, v)
	s, _ := substrates.Get(two, label)
	assert.Equal(t, "x", s)

	both := two.With(countStr, "many")
	assert.Equal(t, 3, both.Len())
	v, _ = substrates.Get(both, count)
	assert.Equal(t, 2, v)
	s, ok = substrates.Get(both, countStr)
	assert.True(t, ok)
	assert.Equal(t, "many", s)

	assert.Panics(t, func() { empty.With(count, "not an int") })

	allocs := testing.AllocsPerRun(100, func() {
		v, _ = substrates.Get(both, count)
		s, _ = substrates.Get(both, label)
	})
	assert.Zero(t, allocs, "Get allocates nothing")

	sub := cx.Subject(cx.Name("store.users"), "store", one)
	v, _ = substrates.Get(sub.State(), count)
	assert.Equal(t, 1, v)
	assert.Equal(t, "store", sub.Type())
}
