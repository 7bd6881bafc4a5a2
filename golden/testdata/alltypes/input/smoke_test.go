package alltypes

import (
	"context"
	"image"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/runtime/backend/cache"
	"github.com/synapsed/storegen/runtime/backend/memory"
	"github.com/synapsed/storegen/runtime/store"
)

func ptr[T any](v T) *T { return &v }

// encode returns the stored form of v, which must encode.
func encode(t testing.TB, v *Thing) []byte {
	t.Helper()
	b, err := encodeThing(nil, v)
	require.NoError(t, err)
	return b
}

// full sets every field of a Thing to something other than its zero value.
// Slices inside collections are empty rather than nil: the format does not
// tell the two apart there, and they decode as empty.
func full() Thing {
	at := time.Date(2024, 5, 6, 7, 8, 9, 10, time.FixedZone("X", 3600))
	return Thing{
		ID: "t1",
		B:  true, I: -1 << 40, I8: -128, I16: -300, I32: 1 << 30, I64: -1 << 62,
		U: 1 << 63, U8: 255, U16: 65535, U32: 1 << 31, U64: 1<<64 - 1,
		F32: 1.5, F64: -2.25, S: "s\x00tring",
		Data: []byte{0, 1, 2}, Raw: [3]byte{7, 8, 9}, Hash: Hash{1, 2, 3, 4},
		At: at, Wait: -90 * time.Second,
		Level: -3, Name: "name", Blob: Blob("blob"), Stamp: Stamp(at.UTC()), Ratio: 0.25, Tags: Tags{"x", ""}, Flag: true,
		Home:  Address{Street: "Main", City: "Springfield", Zip: 12345},
		Work:  &Address{City: "Shelbyville"},
		Past:  []Address{{Street: "Old"}, {}},
		Spot:  image.Point{X: -1, Y: 2},
		Spots: []*image.Point{nil, {X: 3}},

		PtrInt: ptr(0), PtrStr: ptr(""), PtrHash: &Hash{9}, PtrTags: &[]string{"p"}, PtrTime: ptr(time.Time{}),

		Ints: []int32{-1, 0, 1}, Uints: []uint16{65535}, Flags: []bool{true, false},
		Floats: []float64{0.5}, Times: []time.Time{at, {}}, Blobs: [][]byte{{}, {1}},
		Hashes: []Hash{{1}, {2}}, Grid: [][]int{{1, 2}, {}, {3}}, Arr: [3]int16{-1, 0, 1},
		Opt:     []*int{nil, ptr(5)},
		Counts:  map[string]int{"a": 1, "b": -2},
		ByHash:  map[Hash]Address{{1}: {City: "one"}, {2}: {}},
		Nested:  map[Name][]Level{"n": {1, -1}, "empty": {}},
		Keyed:   map[[2]int8]*string{{1, -1}: ptr("k"), {0, 0}: nil},
		Windows: map[time.Duration]Ratio{time.Minute: 0.5},

		Ver: Version{1, 2}, VerPtr: &Version{3, 4}, Vers: []Version{{5, 6}},
	}
}

func TestRoundTrip(t *testing.T) {
	for name, v := range map[string]Thing{"full": full(), "zero": {ID: "z"}} {
		t.Run(name, func(t *testing.T) {
			var got Thing
			require.NoError(t, decodeThing(encode(t, &v), &got))
			requireSame(t, v, got)
		})
	}
}

// requireSame compares a decoded Thing with the one written: times as
// instants, everything else exactly.
func requireSame(t *testing.T, want, got Thing) {
	t.Helper()
	require.True(t, want.At.Equal(got.At))
	require.True(t, time.Time(want.Stamp).Equal(time.Time(got.Stamp)))
	got.At, got.Stamp = want.At, want.Stamp
	got.Times = slices.Clone(got.Times)
	for i := range want.Times {
		require.True(t, want.Times[i].Equal(got.Times[i]))
		got.Times[i] = want.Times[i]
	}
	require.Equal(t, want, got)
}

func TestStore(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(memory.New())
	require.NoError(t, err)
	defer db.Close()
	things := NewThingStore(db)
	places := NewPlaceStore(db)

	v := full()
	sub := things.Watch(ctx)
	defer sub.Close()
	require.NoError(t, things.Put(ctx, v))
	got, err := things.Get(ctx, "t1")
	require.NoError(t, err)
	require.Equal(t, v.Counts, got.Counts)
	require.Equal(t, v.Home, got.Home)
	require.Equal(t, *v.VerPtr, *got.VerPtr)
	select {
	case e := <-sub.C():
		require.Equal(t, store.Created, e.Kind)
		require.Equal(t, v, e.New, "the event holds the record as written")
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
	}

	p := Place{Name: "home", Where: Address{City: "Springfield", Note: "dropped"}, Near: []Address{{Zip: 1}}, Addr: netip.MustParseAddr("2001:db8::1")}
	require.NoError(t, places.Put(ctx, p))
	gotP, err := places.Get(ctx, "home")
	require.NoError(t, err)
	p.Where.Note = ""
	require.Equal(t, p, gotP)
}

// TestCloneSharesNothing changes everything a clone reaches and checks
// that the original saw none of it.
func TestCloneSharesNothing(t *testing.T) {
	v := full()
	c := cloneThing(&v)
	require.Equal(t, v, c)
	changeAll(&c)
	require.Equal(t, full(), v)

	var zero Thing
	c = cloneThing(&zero)
	require.Equal(t, zero, c, "nil stays nil")
	require.Nil(t, placeSchema.Clone, "netip.Addr holds a reference the generator cannot copy")
}

// changeAll changes everything a full Thing reaches through its slices,
// maps and pointers.
func changeAll(c *Thing) {
	c.Data[0]++
	c.Blob[0]++
	c.Tags[0] = "changed"
	c.Work.City = "changed"
	c.Past[0].Street = "changed"
	c.Spots[1].X++
	*c.PtrInt, *c.PtrStr, c.PtrHash[0], (*c.PtrTags)[0], *c.PtrTime = 1, "changed", 1, "changed", time.Unix(1, 0)
	c.Ints[0], c.Uints[0], c.Flags[0], c.Floats[0], c.Times[0] = 7, 7, false, 7, time.Time{}
	c.Blobs[1][0]++
	c.Hashes[0][0]++
	c.Grid[0][0]++
	*c.Opt[1]++
	c.Counts["a"]++
	c.ByHash[Hash{1}] = Address{City: "changed"}
	c.Nested["n"][0]++
	*c.Keyed[[2]int8{1, -1}] = "changed"
	c.Windows[time.Minute]++
	c.VerPtr.Major++
	c.Vers[0].Major++
}

// TestCachedGet reads through the cache layer, which keeps decoded records
// and hands out clones: what a caller does to one Get's record must not
// reach the next, and a write must be seen at once.
func TestCachedGet(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(cache.New(memory.New()))
	require.NoError(t, err)
	defer db.Close()
	things, places := NewThingStore(db), NewPlaceStore(db)

	v := full()
	require.NoError(t, things.Put(ctx, v))
	first, err := things.Get(ctx, "t1")
	require.NoError(t, err)
	requireSame(t, v, first)
	changeAll(&first)
	second, err := things.Get(ctx, "t1")
	require.NoError(t, err)
	requireSame(t, full(), second)

	v.S = "changed"
	require.NoError(t, things.Put(ctx, v))
	third, err := things.Get(ctx, "t1")
	require.NoError(t, err)
	require.Equal(t, "changed", third.S)

	p := Place{Name: "home", Addr: netip.MustParseAddr("2001:db8::1")}
	require.NoError(t, places.Put(ctx, p))
	gotP, err := places.Get(ctx, "home")
	require.NoError(t, err)
	require.Equal(t, p, gotP, "a store without Clone reads through the cache as before")
}

func TestDecodeTypeMismatch(t *testing.T) {
	// A Thing's stored form read as a Place: Name is a string in both, so
	// the only clash would be a field with the same name and another type.
	v := full()
	var p Place
	require.NoError(t, decodePlace(encode(t, &v), &p), "unknown fields are skipped")
}

func TestEncodeAllocs(t *testing.T) {
	p := Place{Name: "home", Where: Address{Street: "Main", City: "Springfield"}, Near: []Address{{Zip: 1}, {Zip: 2}}}
	buf, err := encodePlace(nil, &p)
	require.NoError(t, err)
	allocs := testing.AllocsPerRun(100, func() { buf, err = encodePlace(buf[:0], &p) })
	require.Zero(t, allocs)
	require.NoError(t, err)
	// A large field moves its payload when the length needs more bytes.
	p.Near = make([]Address, 100)
	buf, err = encodePlace(buf[:0], &p)
	require.NoError(t, err)
	var got Place
	require.NoError(t, decodePlace(buf, &got))
	require.Equal(t, p, got)
}

// FuzzDecode checks that no input makes the decoder panic, and that what it
// accepts encodes again into something it accepts.
func FuzzDecode(f *testing.F) {
	v := full()
	f.Add(encode(f, &v))
	f.Add(encode(f, &Thing{}))
	f.Fuzz(func(t *testing.T, b []byte) {
		var got Thing
		if decodeThing(b, &got) != nil {
			return
		}
		var again Thing
		require.NoError(t, decodeThing(encode(t, &got), &again))
	})
}
