# gentre — make targets. `make demo` and `make test` are the two commands
# the README promises work on a new machine.
GO        ?= go
BIN       ?= bin/gentre
DEMO_DIR  ?= demo
FUZZTIME  ?= 60s
STATICCHECK_VERSION ?= v0.8.2
# libdeflate (libdeflate-dev, installed by make deps) inflates BGZF input
# about 3x faster than Go; without it the build is pure Go.
TAGS ?= $(if $(wildcard /usr/include/libdeflate.h),libdeflate)

.PHONY: all build deps test test-short demo bench bench-go bench-care bench-gateway fuzz lint proto clean

all: build

build:
	$(GO) build -tags '$(TAGS)' -o $(BIN) ./cmd/gentre

deps:
	bash .ci/deps

# The full test suite, including the differential tests against bcftools,
# plink2 and samtools (GENTRE_REQUIRE_PEERS=1 turns "peer missing" from a
# skip into a failure, so CI cannot pass by skipping them).
test: deps
	$(GO) vet ./...
	$(GO) vet -tags libdeflate ./...
	GENTRE_REQUIRE_PEERS=1 $(GO) test -count=1 -timeout 30m ./...
	GENTRE_REQUIRE_PEERS=1 $(GO) test -count=1 -tags libdeflate ./internal/bgzf ./ingest/vcf
	# The packages whose goroutines share state, under the race detector.
	$(GO) test -race -count=1 ./engine/store ./engine/query ./trusted-research/gateway ./trusted-research/airlock ./trusted-research/disclosure

test-short:
	$(GO) test -short ./...

# The main job on the embedded default: a synthetic cohort simulated,
# ingested and queried.
demo: deps build
	bash scripts/demo.sh $(BIN) $(DEMO_DIR)

# Go benchmarks (domain metrics) and the side-by-side harness against
# plink2 and bcftools; results land in bench/results/.
bench-go:
	$(GO) test -tags '$(TAGS)' -run='^$$' -bench=. -benchmem ./engine/... ./ingest/... ./internal/...

bench: deps build bench-go
	$(GO) run ./cmd/gentre-bench -gentre $(BIN) -samples 1000,10000 -out bench/results

# Load test of gentre serve on loopback: 32 clients for 30 s over REST and
# gRPC on 10,000 and 50,000 synthetic people; bench/results/gateway-<date>.*
bench-gateway: build
	$(GO) run ./cmd/gentre-bench -mode gateway -gentre $(BIN) -samples 10000,50000 -clients 32 -duration 30s -out bench/results

# FHIR ingest rate on 100,000 synthetic patients and SNOMED CT closure times.
bench-care:
	bash bench/care.sh

# Every fuzz target for FUZZTIME each.
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$t"; \
	    $(GO) test -run='^$$' -fuzz="^$$t$$" -fuzztime=$(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done
	$(GO) test -run='^$$' -fuzz='^FuzzBGZF$$' -fuzztime=$(FUZZTIME) -tags libdeflate ./internal/bgzf

lint:
	$(GO) vet ./...
	$(GO) vet -tags libdeflate ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) -tags libdeflate ./...

# Regenerates trusted-research/api/gentre/v1 (messages, gRPC, grpc-gateway
# REST handlers, OpenAPI) from gentre.proto. The generated code is
# committed: building needs no protoc. Needs protoc (apt-get install -y
# protobuf-compiler libprotobuf-dev); the plugins are installed at pinned
# versions into bin/proto. grpc-gateway's version must match go.mod's.
proto:
	@command -v protoc >/dev/null || { echo "make proto: protoc not found: apt-get install -y protobuf-compiler libprotobuf-dev" >&2; exit 1; }
	GOBIN=$(CURDIR)/bin/proto $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
	GOBIN=$(CURDIR)/bin/proto $(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2
	GOBIN=$(CURDIR)/bin/proto $(GO) install github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-grpc-gateway@v2.31.0
	GOBIN=$(CURDIR)/bin/proto $(GO) install github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-openapiv2@v2.31.0
	$(GO) mod download github.com/grpc-ecosystem/grpc-gateway/v2
	PATH="$(CURDIR)/bin/proto:$$PATH" protoc \
	  -I trusted-research/api \
	  -I "$$($(GO) list -m -f '{{.Dir}}' github.com/grpc-ecosystem/grpc-gateway/v2)" \
	  -I /usr/include \
	  --go_out=trusted-research/api --go_opt=paths=source_relative \
	  --go-grpc_out=trusted-research/api --go-grpc_opt=paths=source_relative \
	  --grpc-gateway_out=trusted-research/api --grpc-gateway_opt=paths=source_relative \
	  --openapiv2_out=trusted-research/api --openapiv2_opt=json_names_for_fields=false \
	  trusted-research/api/gentre/v1/gentre.proto

clean:
	rm -rf bin $(DEMO_DIR)
