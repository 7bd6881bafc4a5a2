# storegen — developer targets. `make test` is what CI runs (.ci/run).
GO ?= go
RUNTIME_PKGS = ./runtime/...

.PHONY: test demo generate check-generated bench vet

test: vet check-generated
	$(GO) test -race -count=1 $(RUNTIME_PKGS)
	$(GO) test -count=1 $$($(GO) list ./... | grep -v /runtime/)

vet:
	$(GO) vet ./...

# generate rewrites every committed generated file.
generate:
	$(GO) generate ./examples/...

# check-generated fails when a committed generated file is stale.
check-generated:
	@if [ -d examples ]; then $(GO) run ./cmd/storegen -check ./examples/...; fi

# demo generates the quickstart example and runs it on an embedded Pebble store.
demo: generate
	$(GO) run ./examples/quickstart

# bench runs the performance comparisons and prints the ratios.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count=1 ./runtime/backend/...
