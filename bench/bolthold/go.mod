module github.com/synapsed/storegen/bench/bolthold

go 1.26.8

require (
	github.com/synapsed/storegen v0.0.0
	github.com/timshannon/bolthold v0.0.0-20240314194003-30aac6950928
	go.etcd.io/bbolt v1.5.0
)

require golang.org/x/sys v0.49.0 // indirect

replace github.com/synapsed/storegen => ../..
