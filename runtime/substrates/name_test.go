package substrates_test

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/runtime/substrates"
)

func TestNameInterning(t *testing.T) {
	cx := substrates.NewCortex()
	a := cx.Name("storegen.db.users")
	assert.Equal(t, a, cx.Name("storegen.db.users"), "same path, same Name")
	assert.True(t, a == cx.Name("storegen").Child("db").Child("users"), "Child interns too")
	assert.True(t, a == cx.Name("storegen").Child("db.users"), "a dotted part extends by several parts")
	assert.NotEqual(t, a, cx.Name("storegen.db.teams"))
	assert.NotEqual(t, a, substrates.NewCortex().Name("storegen.db.users"), "names of two cortexes differ")

	m := map[substrates.Name]int{a: 1}
	assert.Equal(t, 1, m[cx.Name("storegen.db.users")], "usable as a map key")

	assert.Equal(t, "storegen.db.users", a.String())
	assert.Equal(t, 3, a.Depth())
	p, ok := a.Parent()
	require.True(t, ok)
	assert.True(t, p == cx.Name("storegen.db"))
	root, ok := cx.Name("storegen.db").Parent()
	require.True(t, ok)
	assert.Equal(t, 1, root.Depth())
	_, ok = root.Parent()
	assert.False(t, ok, "a one-part name has no parent")

	var zero substrates.Name
	assert.Equal(t, "", zero.String())
	assert.Equal(t, 0, zero.Depth())
	_, ok = zero.Parent()
	assert.False(t, ok)
	assert.Panics(t, func() { zero.Child("x") })
}

func TestNameInvalid(t *testing.T) {
	cx := substrates.NewCortex()
	for _, path := range []string{"", ".", "a.", ".a", "a..b", "a.b."} {
		t.Run(path, func(t *testing.T) {
			_, err := cx.ParseName(path)
			assert.ErrorIs(t, err, substrates.ErrInvalidName)
			assert.Panics(t, func() { cx.Name(path) })
			assert.Panics(t, func() { cx.Name("ok").Child(path) })
		})
	}
}

func TestNameConcurrentInterning(t *testing.T) {
	cx := substrates.NewCortex()
	const workers = 8
	got := make([]substrates.Name, workers)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i] = cx.Name("a.b.c.d")
		}()
	}
	wg.Wait()
	for _, n := range got {
		assert.True(t, n == got[0])
	}
}

func TestSubjectIdentity(t *testing.T) {
	cx := substrates.NewCortex()
	defer cx.Close()
	cir := cx.Circuit("app")
	cd := substrates.NewConduit[int](cir, "events")
	ch := cd.Channel("users")

	s := ch.Subject()
	assert.Equal(t, "channel", s.Type())
	assert.True(t, s.Name() == cx.Name("users"))
	enc, ok := s.Enclosure()
	require.True(t, ok)
	assert.Equal(t, cd.Subject(), enc)
	enc, ok = enc.Enclosure()
	require.True(t, ok)
	assert.Equal(t, cir.Subject(), enc)
	assert.Equal(t, "circuit", enc.Type())
	_, ok = enc.Enclosure()
	assert.False(t, ok)

	ids := map[substrates.Id]bool{}
	for _, sub := range []substrates.Subject{cir.Subject(), cd.Subject(), s, cd.Channel("teams").Subject()} {
		assert.False(t, ids[sub.ID()], "Ids are unique")
		ids[sub.ID()] = true
	}
	assert.Equal(t, "channel users#"+s.ID().String(), s.String())
	assert.Equal(t, s, cd.Channel("users").Subject())
	assert.Equal(t, "", substrates.Subject{}.String())
}
