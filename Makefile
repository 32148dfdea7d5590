# accesswatch — see README.md. Every target works on a fresh machine with Go, gcc, git and apt.
GO        ?= go
BIN       ?= bin/accesswatch
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X github.com/accesswatch/accesswatch/cmd/accesswatch/cli.Version=$(VERSION)

.PHONY: all build test lint fuzz bench demo clean

all: lint test build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/accesswatch

## test: the whole suite (installs what the tests need when missing)
test:
	./scripts/test.sh

## lint: gofmt, go vet, staticcheck, golangci-lint (.golangci.yml)
lint:
	./scripts/lint.sh

## fuzz: each fuzz target for a short while (FUZZTIME=30s for longer)
fuzz:
	./scripts/fuzz.sh

## bench: benchmarks with the figures and ratios the issues ask for
bench:
	./scripts/bench.sh

demo:
	$(GO) run ./cmd/accesswatch demo

clean:
	rm -rf bin artifacts
