# ethidx — the two commands a newcomer needs are `make demo` and `make test`.
# Everything else these targets need (the embedded engine, test drivers) is
# installed by the targets themselves and cached.

GO        ?= go
BIN       := bin/ethidx
GOFLAGS   ?=
export GOFLAGS

.PHONY: all build engine anvil test test-go test-drivers demo bench fuzz lint clean image

all: build

# The commit for `ethidx version`, also where go's own VCS stamping is off.
build:
	$(GO) build -ldflags "-X main.commit=$$(git rev-parse HEAD 2>/dev/null)" -o $(BIN) ./cmd/ethidx

# The embedded ClickHouse engine (libchdb.so, ~570 MB) from the npm registry,
# verified and cached under the user cache dir; a second run costs nothing.
engine: build
	@./$(BIN) engine install

# anvil (Foundry's dev node) from the npm registry, cached under the user
# cache dir: the tests run ethidx against it (internal/anvil starts it).
anvil:
	@sh scripts/anvil.sh

# The drivers' suites run beside the Go tests: their installs (venvs,
# Maven, node_modules, Chromium) wait mostly on the network and their
# suites on their clients, while the Go tests keep both cores busy; after
# the Go tests they left a core idle for a minute.
test:
	@$(MAKE) --no-print-directory -j2 test-go test-drivers

# Every package passes within go test's default 10 minutes: in make test
# on 2 cores the slowest, cmd/ethidx, takes 5 to 6 (280-327 s measured,
# December 2026). -timeout 40m is a margin for a machine shared with other
# work, where the same package once took 11 minutes.
# The slowest packages are named first so that they start first (go test
# runs packages in the order given, 2 at a time on 2 cores): started in
# ./...'s order, queries (2 minutes) began only after the indexer and
# was the last to end. ./... adds every other package once.
SLOW_PKGS := ./cmd/ethidx ./indexer ./queries ./indexer/rpcsource ./indexer/sqlhttp ./indexer/chsink
test-go: engine anvil
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 40m $(SLOW_PKGS) ./...

# Real third-party ClickHouse clients (the drivers BI tools use) against the
# embedded endpoint.
test-drivers: engine
	ETHIDX_BIN=$(abspath $(BIN)) indexer/sqlhttp/testdata/drivers/run

# The container image (Dockerfile, the engine inside), with docker, podman
# or buildah, whichever is installed. IMAGE names it; IMAGE_FLAGS passes
# more, e.g. --build-arg BASE_IMAGE=... for a registry mirror.
IMAGE     ?= ethidx:latest
CONTAINER ?= $(shell command -v docker || command -v podman || command -v buildah)
image:
	@test -n "$(CONTAINER)" || (echo 'make image needs docker, podman or buildah'; exit 1)
	$(CONTAINER) build -t $(IMAGE) --build-arg COMMIT=$$(git rev-parse HEAD 2>/dev/null) $(IMAGE_FLAGS) .

# A local dev chain, followed into the embedded engine, then the report.
demo: engine
	@scripts/demo.sh

bench: engine
	@scripts/bench.sh

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParseRequest -fuzztime 30s ./indexer/sqlhttp/
	$(GO) test -run '^$$' -fuzz FuzzDecodeBlock -fuzztime 30s ./indexer/rpcsource/

# go mod tidy -diff changes nothing and exits non-zero, printing the diff,
# when go.mod or go.sum is not what tidy would write.
lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	@$(GO) mod tidy -diff || (echo 'go.mod/go.sum are not tidy: run go mod tidy'; exit 1)
	$(GO) vet ./...

clean:
	rm -rf bin demo-data
