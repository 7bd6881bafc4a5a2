package generator

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNames(t *testing.T) {
	for _, tc := range []struct {
		in, snake, camel, lower string
	}{
		{"User", "user", "User", "user"},
		{"UserID", "user_id", "UserID", "userID"},
		{"ID", "id", "ID", "id"},
		{"IDs", "ids", "IDs", "ids"},
		{"HTTPServer", "http_server", "HTTPServer", "httpServer"},
		{"APIKey", "api_key", "APIKey", "apiKey"},
		{"org_team", "org_team", "OrgTeam", "orgTeam"},
		{"OwnerKind", "owner_kind", "OwnerKind", "ownerKind"},
		{"user", "user", "User", "user"},
		{"V2Account", "v2_account", "V2Account", "v2Account"},
		{"Field1486330", "field1486330", "Field1486330", "field1486330"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			require.Equal(t, tc.snake, snake(tc.in))
			require.Equal(t, tc.camel, camel(tc.in))
			require.Equal(t, tc.lower, lowerCamel(tc.in))
		})
	}
}

func TestParamNames(t *testing.T) {
	require.Equal(t,
		[]string{"id", "id2", "typ", "fn", "ctxValue", "sValue", "codecValue", "lenValue", "rangeValue", "email"},
		uniqueParams([]string{"ID", "Id", "Type", "Func", "Ctx", "S", "Codec", "Len", "Range", "Email"}))
}

func TestPlural(t *testing.T) {
	for in, want := range map[string]string{"id": "ids", "hash": "hashes", "box": "boxes", "entry": "entries", "key": "keys", "status": "statuses", "n": "ns"} {
		require.Equal(t, want, plural(in))
	}
}
