# oauthcheck: conformance and security tests for OAuth 2.0 / 2.1 authorization servers.

GO      ?= go
BIN     ?= bin/oauthcheck
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS := -s -w -X main.version=$(VERSION)

.PHONY: all build test fuzz run serve vendors lint bench soak deps clean

all: lint test build

## build: the static oauthcheck binary in bin/
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/oauthcheck

## deps: install what the tests need on Debian (Chromium, xmllint)
deps:
	@bash .ci/deps

## test: every test, with the race detector, then each fuzz target for a few seconds
test: deps
	$(GO) test -race -count=1 -timeout 30m ./...
	@$(MAKE) --no-print-directory fuzz

FUZZ_TIME ?= 3s
FUZZ_TARGETS = ./drivers/evidence:FuzzRedactor ./drivers/target:FuzzParseConfig ./drivers/login:FuzzParseScript \
	./reports:FuzzDecodeReports ./reports:FuzzParseExpect ./suites/internal/steps:FuzzParseDevice \
	./reference:FuzzTokenForm ./reference:FuzzBasicAuth ./reference:FuzzAuthorize ./reference:FuzzRegister

## fuzz: each fuzz target for FUZZ_TIME (its invariants are stated in its test)
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "fuzz $${t##*:} ($${t%%:*}, $(FUZZ_TIME))"; \
		$(GO) test -run '^$$' -fuzz "^$${t##*:}$$" -fuzztime $(FUZZ_TIME) $${t%%:*} >/dev/null || { $(GO) test -run '^$$' -fuzz "^$${t##*:}$$" -fuzztime $(FUZZ_TIME) $${t%%:*}; exit 1; }; \
	done

## run: the main job: every check against the bundled reference server, with its reports
run: deps build
	@mkdir -p out
	$(BIN) run --target reference --json out/report.json --junit out/junit.xml --html out/report.html

## vendors: every vendor server of testdata/vendors that runs here; reports in out/vendors, table in README.md
vendors: deps build
	@mkdir -p out/vendors
	$(BIN) vendor run --out out/vendors; status=$$?; \
	$(BIN) vendor table --out out/vendors --readme README.md; exit $$status

## serve: the reference server on 127.0.0.1:9443, and its config file in out/ref.yaml
serve: build
	@mkdir -p out
	$(BIN) reference --addr 127.0.0.1:9443 --write-config out/ref.yaml

## lint: formatting and vet
lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo 'run gofmt -w'; exit 1; }
	$(GO) vet ./...

## bench: five full runs against the reference: time, CPU, memory, waits; figures in out/bench.json and README.md
bench: deps build
	@mkdir -p out
	$(BIN) bench --runs 5 --out out/bench.json --readme README.md

## soak: ten full runs in a row; fails on any verdict other than PASS or SKIP
soak: deps build
	@mkdir -p out
	$(BIN) bench --runs 10 --out out/soak.json --soak

clean:
	rm -rf bin out
