// Package ycsb benchmarks generated stores under the core workloads of the
// Yahoo! Cloud Serving Benchmark: A (50% reads, 50% updates), B (95/5) and
// C (reads only), with keys drawn from YCSB's scrambled Zipfian
// distribution, on every engine and with the read cache over Pebble; and
// the compress layer's ratio and throughput on realistic records through
// the store. It holds the benchmarks' record, whose store is generated and
// committed like an example's; everything else is in its tests. Run it
// with
//
//	go test -run '^$' -bench . ./bench/ycsb
//
// It starts its own redis-server and etcd cluster, and fails rather than
// skips when redis-server is not installed.
package ycsb

//go:generate go run github.com/synapsed/storegen/cmd/storegen

// Record is a row of YCSB's usertable: a key and ten fields of 100 bytes,
// about a kilobyte in all.
//
//storegen:store
type Record struct {
	Key    string `store:"key"`
	Field0 string
	Field1 string
	Field2 string
	Field3 string
	Field4 string
	Field5 string
	Field6 string
	Field7 string
	Field8 string
	Field9 string
}
