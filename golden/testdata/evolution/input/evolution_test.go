package evolution

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/runtime/codec"
)

// v1File holds the stored form of v1, written by the generated encoder of
// AccountV1 when the file was committed. The encoder must still write the
// same bytes, and every later version must still read them.
const v1File = "testdata/account_v1.bin"

var v1 = AccountV1{ID: "a1", Name: "Ann", Balance: -42, Legacy: "gone", Tags: []string{"x", "y"}, Home: Address{City: "Oslo", Zip: 150}}

// committed returns the committed bytes; go test ./golden -update
// rewrites them.
func committed(t *testing.T) []byte {
	if dir := os.Getenv("STOREGEN_GOLDEN_UPDATE"); dir != "" {
		b := encodeV1(t)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "evolution", "input", v1File), b, 0o644))
		return b
	}
	b, err := os.ReadFile(v1File)
	require.NoError(t, err)
	return b
}

// encodeV1 returns the stored form of v1 as the generated encoder writes it
// now.
func encodeV1(t *testing.T) []byte {
	b, err := encodeAccountV1(nil, &v1)
	require.NoError(t, err)
	return b
}

func TestV1BytesAreStable(t *testing.T) {
	if os.Getenv("STOREGEN_GOLDEN_UPDATE") != "" {
		t.Skip("rewriting the committed bytes")
	}
	require.Equal(t, committed(t), encodeV1(t), "the stored form changed: old data would not read back")
}

func TestV2ReadsV1(t *testing.T) {
	var v2 AccountV2
	require.NoError(t, decodeAccountV2(committed(t), &v2))
	require.Equal(t, AccountV2{
		ID:      "a1",
		Name:    []byte("Ann"),
		Balance: -42,
		Tags:    []string{"x", "y"},
		Home:    Address{City: "Oslo", Zip: 150},
	}, v2)
}

func TestV3CannotReadV1(t *testing.T) {
	var v3 AccountV3
	err := decodeAccountV3(committed(t), &v3)
	require.ErrorIs(t, err, codec.ErrType)
	var fe *codec.FieldError
	require.ErrorAs(t, err, &fe)
	require.Equal(t, "Balance", fe.Path)
	require.Contains(t, err.Error(), "Balance")
}

func TestV1CannotReadWideV2(t *testing.T) {
	v2 := AccountV2{ID: "a1", Balance: 1 << 40}
	b, err := encodeAccountV2(nil, &v2)
	require.NoError(t, err)
	var v1 AccountV1
	err = decodeAccountV1(b, &v1)
	require.ErrorIs(t, err, codec.ErrRange)
	require.Contains(t, err.Error(), "Balance")
}
