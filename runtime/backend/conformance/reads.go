package conformance

import (
	"bytes"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/runtime/backend"
)

// testMissingAndEmpty checks that an empty value, however it was written,
// is present, and that only a missing key gives ErrNotFound.
func (s *suite) testMissingAndEmpty(t *testing.T) {
	b := s.fresh(t)
	require.NoError(t, b.Update(t.Context(), func(txn backend.Txn) error {
		return firstErr(
			txn.Set([]byte("empty"), []byte{}),
			txn.Set([]byte("nil"), nil),
			txn.Set([]byte("full"), []byte("value")),
			txn.Set([]byte("gone"), []byte("soon")),
		)
	}))
	require.NoError(t, b.Update(t.Context(), func(txn backend.Txn) error {
		return txn.Delete([]byte("gone"))
	}))

	cases := []struct {
		key     string
		want    string
		missing bool
	}{
		{key: "empty", want: ""},
		{key: "nil", want: ""},
		{key: "full", want: "value"},
		{key: "gone", missing: true},
		{key: "never", missing: true},
		{key: "emp", missing: true}, // a prefix of a present key
		{key: "fullx", missing: true},
	}
	eachGetter(t, b, func(t *testing.T, get getter) {
		for _, c := range cases {
			v, err := get([]byte(c.key), nil)
			if c.missing {
				assert.ErrorIs(t, err, backend.ErrNotFound, "key %q", c.key)
				continue
			}
			if assert.NoError(t, err, "key %q", c.key) {
				assert.Equal(t, c.want, string(v), "key %q", c.key)
			}
		}
	})
	assertEntries(t, []entry{{"empty", ""}, {"full", "value"}, {"nil", ""}}, contents(t, b),
		"a Range must list keys with empty values")
}

// testBinaryKeys checks that keys are arbitrary bytes ordered bytewise:
// 0x00 is a byte like any other (no C strings) and 0xFF sorts last.
func (s *suite) testBinaryKeys(t *testing.T) {
	sorted := []string{
		"\x00", "\x00\x00", "\x00\x01", "\x01", "a", "a\x00", "a\x00b", "a\x01",
		"a\xff", "b", "\x7f", "\x80", "\xfe", "\xff", "\xff\x00", "\xff\xff", "\xff\xff\xff",
	}
	require.True(t, slices.IsSortedFunc(sorted, func(a, b string) int { return bytes.Compare([]byte(a), []byte(b)) }),
		"the suite's own table must be in bytewise order")
	want := make([]entry, len(sorted))
	for i, k := range sorted {
		want[i] = entry{k, fmt.Sprintf("v%x", k)}
	}

	b := s.fresh(t)
	// Insert out of order, in two transactions, so order comes from the engine.
	shuffled := append(reversed(want[:8]), want[8:]...)
	slices.Reverse(shuffled[8:])
	put(t, b, shuffled[:9]...)
	put(t, b, shuffled[9:]...)

	eachReader(t, b, func(t *testing.T, r backend.Reader) {
		assertEntries(t, want, drain(t, r.Range(nil, nil, false)), "forward")
		assertEntries(t, reversed(want), drain(t, r.Range(nil, nil, true)), "reverse")
		for _, e := range want {
			v, err := r.Get([]byte(e.key), nil)
			if assert.NoError(t, err, "key %q", e.key) {
				assert.Equal(t, e.value, string(v), "key %q", e.key)
			}
		}
	})
}

// testRange checks the bounds of Range: lo inclusive, hi exclusive, nil for
// unbounded, and empty results for empty or inverted ranges.
func (s *suite) testRange(t *testing.T) {
	data := []entry{{"a", "1"}, {"b", "2"}, {"ba", "3"}, {"c", "4"}, {"d", "5"}}
	b := s.fresh(t)
	put(t, b, data...)

	cases := []struct {
		name   string
		lo, hi []byte
		want   []string
	}{
		{"unbounded", nil, nil, []string{"a", "b", "ba", "c", "d"}},
		{"empty lo is unbounded", []byte{}, nil, []string{"a", "b", "ba", "c", "d"}},
		{"lo only", []byte("b"), nil, []string{"b", "ba", "c", "d"}},
		{"hi only", nil, []byte("c"), []string{"a", "b", "ba"}},
		{"both", []byte("b"), []byte("c"), []string{"b", "ba"}},
		{"hi is last key", nil, []byte("d"), []string{"a", "b", "ba", "c"}},
		{"bounds between keys", []byte("bb"), []byte("cc"), []string{"c"}},
		{"lo equals hi", []byte("b"), []byte("b"), nil},
		{"lo above hi", []byte("c"), []byte("b"), nil},
		{"gap between keys", []byte("bb"), []byte("bc"), nil},
		{"above last", []byte("z"), nil, nil},
		{"below first", nil, []byte("0"), nil},
		{"single key", []byte("ba"), []byte("ba\x00"), []string{"ba"}},
	}
	value := make(map[string]string, len(data))
	for _, e := range data {
		value[e.key] = e.value
	}
	eachReader(t, b, func(t *testing.T, r backend.Reader) {
		for _, c := range cases {
			want := make([]entry, len(c.want))
			for i, k := range c.want {
				want[i] = entry{k, value[k]}
			}
			assertEntries(t, want, drain(t, r.Range(c.lo, c.hi, false)), "%s forward", c.name)
			assertEntries(t, reversed(want), drain(t, r.Range(c.lo, c.hi, true)), "%s reverse", c.name)
		}
	})
}

// testPrefix checks PrefixEnd and Prefix, especially prefixes that end in
// or consist of 0xFF bytes, where the end bound cannot simply be incremented.
func (s *suite) testPrefix(t *testing.T) {
	ends := []struct {
		prefix string
		want   []byte
	}{
		{"", nil},
		{"a", []byte("b")},
		{"\x00", []byte("\x01")},
		{"ab", []byte("ac")},
		{"a\xff", []byte("b")},
		{"a\xff\xff", []byte("b")},
		{"\xfe\xff", []byte("\xff")},
		{"\xff", nil},
		{"\xff\xff", nil},
	}
	for _, c := range ends {
		in := []byte(c.prefix)
		got := backend.PrefixEnd(in)
		assert.Equal(t, c.want, got, "PrefixEnd(%q)", c.prefix)
		assert.Equal(t, c.prefix, string(in), "PrefixEnd(%q) modified its argument", c.prefix)
		if len(got) > 0 && len(in) > 0 {
			got[0] ^= 0xFF
			assert.Equal(t, c.prefix, string(in), "PrefixEnd(%q) result aliases its argument", c.prefix)
		}
	}

	keys := []string{
		"\xfe\xff", "\xff", "\xff\x00", "\xff\xff", "\xff\xff\x01",
		"a", "a\x00", "a\xff", "a\xff\xff", "ab", "b",
	}
	b := s.fresh(t)
	data := make([]entry, len(keys))
	for i, k := range keys {
		data[i] = entry{k, fmt.Sprintf("v%x", k)}
	}
	put(t, b, data...)
	slices.SortFunc(data, func(x, y entry) int { return bytes.Compare([]byte(x.key), []byte(y.key)) })

	cases := []string{"", "a", "a\xff", "ab", "c", "\xfe", "\xff", "\xff\xff", "\xff\xff\x01", "\xff\xff\xff"}
	eachReader(t, b, func(t *testing.T, r backend.Reader) {
		for _, p := range cases {
			var want []entry
			for _, e := range data {
				if bytes.HasPrefix([]byte(e.key), []byte(p)) {
					want = append(want, e)
				}
			}
			assertEntries(t, want, drain(t, backend.Prefix(r, []byte(p), false)), "Prefix(%q) forward", p)
			assertEntries(t, reversed(want), drain(t, backend.Prefix(r, []byte(p), true)), "Prefix(%q) reverse", p)
		}
	})
}

// testGetAppends checks that Get appends to the caller's buffer, keeps what
// the buffer held, and returns bytes the caller owns: later writes, in the
// same transaction or after it, do not change them.
func (s *suite) testGetAppends(t *testing.T) {
	b := s.fresh(t)
	put(t, b, entry{"k", "value"})

	bufs := []struct {
		name string
		buf  func() []byte
	}{
		{"nil", func() []byte { return nil }},
		{"spare capacity", func() []byte { return append(make([]byte, 0, 64), "pre:"...) }},
		{"no capacity", func() []byte { return []byte("pre:")[:4:4] }},
	}
	eachGetter(t, b, func(t *testing.T, get getter) {
		for _, c := range bufs {
			buf := c.buf()
			prefix := string(buf)
			v, err := get([]byte("k"), buf)
			if assert.NoError(t, err, c.name) {
				assert.Equal(t, prefix+"value", string(v), c.name)
				assert.Equal(t, prefix, string(buf), "%s: the buffer's contents changed", c.name)
			}
		}
	})

	// The result must not alias engine memory that later writes reuse.
	ctx := t.Context()
	overwrite := func(txn backend.Txn) error {
		return firstErr(
			txn.Set([]byte("k"), []byte("XXXXX")),
			txn.Delete([]byte("k")),
			txn.Set([]byte("k"), []byte("YYYYY")),
		)
	}
	fromBackend, err := b.Get(ctx, []byte("k"), nil)
	require.NoError(t, err)
	v, err := b.View(ctx)
	require.NoError(t, err)
	fromView, err := v.Get([]byte("k"), nil)
	require.NoError(t, err)
	require.NoError(t, v.Close())
	var fromTxn []byte
	require.NoError(t, b.Update(ctx, func(txn backend.Txn) error {
		var err error
		if fromTxn, err = txn.Get([]byte("k"), nil); err != nil {
			return err
		}
		return overwrite(txn)
	}))
	require.NoError(t, b.Update(ctx, overwrite))
	assert.Equal(t, "value", string(fromBackend), "Backend.Get result changed by later writes")
	assert.Equal(t, "value", string(fromView), "View.Get result changed by later writes")
	assert.Equal(t, "value", string(fromTxn), "Txn.Get result changed by later writes")
}

// testSetCopies checks that Set keeps its own copies: a caller that reuses
// its key and value buffers, within the transaction or after it, changes
// nothing stored.
func (s *suite) testSetCopies(t *testing.T) {
	b := s.fresh(t)
	key, value := make([]byte, 0, 16), make([]byte, 0, 16)
	require.NoError(t, b.Update(t.Context(), func(txn backend.Txn) error {
		for i := range 3 {
			key = fmt.Appendf(key[:0], "key/%d", i)
			value = fmt.Appendf(value[:0], "value/%d", i)
			if err := txn.Set(key, value); err != nil {
				return err
			}
		}
		copy(key, "XXXXX")
		copy(value, "YYYYYYY")
		return nil
	}))
	copy(key, "ZZZZZ")
	copy(value, "WWWWWWW")
	assertEntries(t, []entry{{"key/0", "value/0"}, {"key/1", "value/1"}, {"key/2", "value/2"}}, contents(t, b))
}

// testIteratorCopies checks that copies of Key and Value taken during
// iteration stay correct over many entries and later writes.
func (s *suite) testIteratorCopies(t *testing.T) {
	const n = 300 // more than one batch or page in most engines
	want := make([]entry, n)
	for i := range want {
		want[i] = entry{fmt.Sprintf("key/%04d", i), fmt.Sprintf("value/%04d/%s", i, bytes.Repeat([]byte{'x'}, i%17))}
	}
	b := s.fresh(t)
	put(t, b, want...)

	eachReader(t, b, func(t *testing.T, r backend.Reader) {
		var keys, values [][]byte
		it := r.Range(nil, nil, false)
		for it.Next() {
			keys = append(keys, bytes.Clone(it.Key()))
			values = append(values, bytes.Clone(it.Value()))
		}
		assert.NoError(t, it.Close())
		got := make([]entry, len(keys))
		for i := range keys {
			got[i] = entry{string(keys[i]), string(values[i])}
		}
		assertEntries(t, want, got)
	})

	v, err := b.View(t.Context())
	require.NoError(t, err)
	defer v.Close()
	it := v.Range(nil, nil, true)
	var got []entry
	for it.Next() {
		got = append(got, entry{string(it.Key()), string(it.Value())})
		if len(got) == n/2 {
			// Writes while a view's iterator is open affect neither it nor
			// what was copied from it.
			overwrite := make([]entry, n)
			for i := range overwrite {
				overwrite[i] = entry{want[i].key, "changed"}
			}
			put(t, b, overwrite...)
		}
	}
	require.NoError(t, it.Close())
	assertEntries(t, reversed(want), got)
}

// errorsJoin is errors.Join, named so the suite's transactions read as one
// expression.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// testNextAfterEnd checks that an exhausted iterator stays exhausted, in
// both directions: Next keeps reporting false and Key nil, and so does a
// closed one.
func (s *suite) testNextAfterEnd(t *testing.T) {
	b := s.fresh(t)
	put(t, b, entry{"a", "1"}, entry{"b", "2"})
	for _, reverse := range []bool{false, true} {
		v := OpenView(t, b)
		it := v.Range(nil, nil, reverse)
		n := 0
		for it.Next() {
			n++
		}
		assert.Equal(t, 2, n, "reverse=%v", reverse)
		for range 3 {
			assert.False(t, it.Next(), "reverse=%v", reverse)
			assert.Nil(t, it.Key(), "reverse=%v", reverse)
		}
		assert.NoError(t, it.Close())
		assert.False(t, it.Next(), "Next after Close")
		assert.Nil(t, it.Value(), "Value after Close")
	}
}

// testSharedView reads one view from several goroutines at once, which
// views allow (each goroutine with iterators of its own).
func (s *suite) testSharedView(t *testing.T) {
	b := s.fresh(t)
	entries := make([]entry, 100)
	for i := range entries {
		entries[i] = entry{fmt.Sprintf("k/%03d", i), fmt.Sprint(i)}
	}
	put(t, b, entries...)
	v := OpenView(t, b)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 100 {
				got, err := v.Get(fmt.Appendf(nil, "k/%03d", i), nil)
				if assert.NoError(t, err) {
					assert.Equal(t, fmt.Sprint(i), string(got))
				}
			}
			assert.Len(t, Keys(t, v.Range(nil, nil, g%2 == 1)), 100)
		})
	}
	wg.Wait()
}
