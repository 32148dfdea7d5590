#!/usr/bin/env bash
# gofmt, go vet, staticcheck and golangci-lint (.golangci.yml), the tools installed from the Go
# module proxy when missing and cached in $(go env GOPATH)/bin.
set -euo pipefail
cd "$(dirname "$0")/.."
STATICCHECK_VERSION=v0.8.2
GOLANGCI_LINT_VERSION=v2.15.0
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi
go vet ./...
bin="$(go env GOPATH)/bin"
sc="$bin/staticcheck"
if [ ! -x "$sc" ] || ! "$sc" -version 2>/dev/null | grep -q "${STATICCHECK_VERSION#v}"; then
  go install "honnef.co/go/tools/cmd/staticcheck@${STATICCHECK_VERSION}"
fi
"$sc" ./...
gl="$bin/golangci-lint"
if [ ! -x "$gl" ] || ! "$gl" version 2>/dev/null | grep -q "version ${GOLANGCI_LINT_VERSION#v}"; then
  go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@${GOLANGCI_LINT_VERSION}"
fi
"$gl" run ./...
echo "lint: ok"
