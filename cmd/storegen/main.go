// Command storegen generates type-safe stores for Go structs annotated with
// //storegen:store. Run it with go generate in the package that declares
// them:
//
//	//go:generate go run github.com/synapsed/storegen/cmd/storegen
//
// or give package patterns: storegen ./... . With -check it writes nothing
// and exits 1 if a generated file is missing or stale. Input errors are
// printed as file:line:col: message and exit 1; bad flags exit 2.
package main

import "os"

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }
