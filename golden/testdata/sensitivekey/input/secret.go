// Package sensitivekey has a sensitive key and a sensitive unique index:
// neither may appear in errors or printed values.
package sensitivekey

// Token is an API token, keyed by its secret hash.
//
//storegen:store
type Token struct {
	Hash  [32]byte `store:"key,sensitive"`
	Owner string   `store:"index"`
	Phone string   `store:"unique,sensitive"`
}
