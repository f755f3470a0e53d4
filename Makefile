# gentre — make targets. `make demo` and `make test` are the two commands
# the README promises work on a new machine.
GO        ?= go
BIN       ?= bin/gentre
DEMO_DIR  ?= demo
FUZZTIME  ?= 60s
STATICCHECK_VERSION ?= v0.8.2

.PHONY: all build deps test test-short demo bench bench-go bench-care fuzz lint proto clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/gentre

deps:
	bash .ci/deps

# The full test suite, including the differential tests against bcftools,
# plink2 and samtools (GENTRE_REQUIRE_PEERS=1 turns "peer missing" from a
# skip into a failure, so CI cannot pass by skipping them).
test: deps
	$(GO) vet ./...
	GENTRE_REQUIRE_PEERS=1 $(GO) test -count=1 -timeout 30m ./...

test-short:
	$(GO) test -short ./...

# The main job on the embedded default: a synthetic cohort simulated,
# ingested and queried.
demo: deps build
	bash scripts/demo.sh $(BIN) $(DEMO_DIR)

# Go benchmarks (domain metrics) and the side-by-side harness against
# plink2 and bcftools; results land in bench/results/.
bench-go:
	$(GO) test -run='^$$' -bench=. -benchmem ./engine/... ./ingest/...

bench: deps build bench-go
	$(GO) run ./cmd/gentre-bench -samples 1000,10000 -out bench/results

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

lint:
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

proto:
	@echo "no protos yet (the gateway issue adds trusted-research/api)"

clean:
	rm -rf bin $(DEMO_DIR)
