// Package metamorphic tests that every engine and layer gives a generated
// store the same answers. Its test draws one random log of operations from
// a seed (puts that update records and move their index entries, unique
// conflicts, deletes, batches, transactions that commit or roll back,
// scans in both directions with limits, ranges and prefixes, index
// lookups, flushes and reopenings), runs it through the stores of package
// model on the memory engine, checked against a plain map model, and then
// on every engine bare and under every layer, demanding for each operation
// the answer the memory engine gave.
//
// The package holds no code outside its tests. STOREGEN_METAMORPHIC_SEED
// replays a seed that a failure reported; STOREGEN_METAMORPHIC_OPS sets
// the length of the log.
package metamorphic
