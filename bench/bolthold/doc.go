// Package bolthold compares storegen with github.com/timshannon/bolthold on
// the same record type (bench/record's Order, which carries bolthold's
// index tags too), the same data and the same engine, bbolt. It is a module
// of its own so that storegen's module never depends on bolthold; its
// benchmarks are the whole of it, and bench/report reads them.
package bolthold
