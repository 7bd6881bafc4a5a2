package userstring

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/synapsed/storegen/runtime/backend/memory"
	"github.com/synapsed/storegen/runtime/store"
)

func TestUserString(t *testing.T) {
	db, err := store.Open(memory.New())
	require.NoError(t, err)
	defer db.Close()
	cards := NewCardStore(db)
	c := Card{ID: "c1", Number: "4111111111111111"}
	require.NoError(t, cards.Put(context.Background(), c))
	got, err := cards.Get(context.Background(), "c1")
	require.NoError(t, err)
	require.Equal(t, "Card(c1, …1111)", fmt.Sprint(&got))
}
