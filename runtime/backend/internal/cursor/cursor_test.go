package cursor_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/runtime/backend/internal/cursor"
)

type iter struct {
	cursor.Link
	reasons []error
	fail    error
}

func (it *iter) Release(reason error) error {
	it.reasons = append(it.reasons, reason)
	return it.fail
}

func TestSetEndsEachIteratorOnce(t *testing.T) {
	var s cursor.Set
	a, b, c := &iter{}, &iter{fail: errors.New("b failed")}, &iter{fail: errors.New("c failed")}
	for _, it := range []*iter{a, b, c} {
		require.NoError(t, s.Add(&it.Link, it))
		assert.False(t, it.Ended())
	}
	require.NoError(t, a.Link.Close())
	assert.True(t, a.Ended())
	assert.Equal(t, []error{nil}, a.reasons, "a user's Close releases with no reason")

	gone := errors.New("view closed")
	err := s.RevokeAll(gone)
	assert.Error(t, err, "a Release error is reported")
	for _, it := range []*iter{b, c} {
		assert.True(t, it.Ended())
		assert.Equal(t, []error{gone}, it.reasons)
		assert.NoError(t, it.Link.Close(), "closing a revoked iterator releases nothing")
		assert.Len(t, it.reasons, 1)
	}
	assert.Equal(t, []error{nil}, a.reasons, "a closed iterator is not revoked")

	late := &iter{}
	assert.ErrorIs(t, s.Add(&late.Link, late), gone, "an ended owner refuses new iterators")
	assert.NoError(t, late.Link.Close())
	assert.Empty(t, late.reasons)
}

func TestBounds(t *testing.T) {
	lo, hi := []byte("a"), []byte("c")
	clo, chi, empty := cursor.Bounds(lo, hi)
	require.False(t, empty)
	lo[0], hi[0] = 'x', 'x'
	assert.Equal(t, []byte("a"), clo, "bounds are copied")
	assert.Equal(t, []byte("c"), chi)
	assert.Len(t, append(clo, 'z'), 2)
	assert.Equal(t, []byte("c"), chi, "appending to lo does not overwrite hi")

	clo, chi, empty = cursor.Bounds([]byte{}, nil)
	assert.False(t, empty)
	assert.Nil(t, clo, "an empty lo is no bound")
	assert.Nil(t, chi)

	for _, r := range [][2]string{{"b", "b"}, {"c", "b"}} {
		_, _, empty = cursor.Bounds([]byte(r[0]), []byte(r[1]))
		assert.True(t, empty, "[%s, %s) holds nothing", r[0], r[1])
	}
	f := cursor.Failed(nil)
	assert.False(t, f.Next())
	assert.NoError(t, f.Close())
	boom := errors.New("boom")
	assert.ErrorIs(t, cursor.Failed(boom).Err(), boom)
}
