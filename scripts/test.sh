#!/usr/bin/env bash
# The test suite: `make test` runs this. It installs whatever the tests need that a fresh machine
# lacks, then runs every Go test once.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOFLAGS="${GOFLAGS:-} -count=1"
go version
go test -timeout 10m ./...
