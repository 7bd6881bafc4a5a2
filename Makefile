# storegen — developer targets. `make test` is what CI runs (.ci/run).
GO ?= go
RUNTIME_PKGS = ./runtime/...
# GENERATED_PKGS hold every committed storegen output outside golden/, which
# checks its own cases.
GENERATED_PKGS = ./examples/... ./bench/... ./internal/...

.PHONY: test demo generate check-generated bench vet

test: vet check-generated
	$(GO) test -race -count=1 $(RUNTIME_PKGS)
	$(GO) test -count=1 $$($(GO) list ./... | grep -v /runtime/)

vet:
	$(GO) vet ./...

# generate rewrites every committed generated file outside golden/.
generate:
	$(GO) run ./cmd/storegen $(GENERATED_PKGS)

# check-generated writes nothing and fails, naming the file, when a committed
# generated file is missing or differs from what storegen generates now.
check-generated:
	$(GO) run ./cmd/storegen -check $(GENERATED_PKGS)

# demo generates the quickstart example and runs it on an embedded Pebble store.
demo:
	$(GO) generate ./examples/...
	$(GO) run ./examples/quickstart

# bench runs the performance comparisons and prints their ratios: the
# backend interface against each engine's own API (bench/ratios), then the
# generated code against encoding/json, the engines' own reads and bolthold
# (bench/report, which also builds the separate bench/bolthold module and
# times storegen itself). Each shows the median of BENCH_ROUNDS runs;
# bench/report exits 1 when a target is missed.
BENCH_ROUNDS ?= 5
BENCHTIME ?= 1s
# CACHE_BENCHTIME is the length of the cache's speedup check, which
# alternates bare and cached Pebble in rounds of 50,000 operations: it
# needs several rounds to average over Pebble's compactions.
CACHE_BENCHTIME ?= 5s

bench:
	$(GO) run ./bench/ratios -rounds $(BENCH_ROUNDS) -benchtime $(BENCHTIME)
	$(GO) run ./bench/report -rounds $(BENCH_ROUNDS) -benchtime $(BENCHTIME)
	$(GO) test -run '^$$' -bench . -benchmem ./runtime/substrates ./runtime/store ./runtime/metrics
	$(GO) test -run '^$$' -bench 'YCSB|Compression' -benchtime $(BENCHTIME) ./bench/ycsb
	$(GO) test -run '^$$' -bench CacheSpeedup -benchtime $(CACHE_BENCHTIME) ./bench/ycsb
