#!/usr/bin/env bash
# The test suite: `make test` runs this. On a fresh machine (Go, gcc, git, apt) it first installs
# and starts what the tests need, then runs every Go test once:
#   - InfluxDB OSS 1.8.10, built with `go install` (cached) and started on a loopback port
#     (scripts/influxd.sh); the InfluxDB integration tests read INFLUX_URL;
#   - promtool from Debian's prometheus package, to check and unit-test the alerting rules
#     (scripts/promtool.sh);
#   - Debian's Chromium for the browser tests (scripts/chromium.sh); screenshots go to
#     artifacts/screenshots;
# then runs every package's tests with -race (gcc is there for cgo, which -race needs).
set -euo pipefail
cd "$(dirname "$0")/.."
export GOFLAGS="${GOFLAGS:-} -count=1"
go version

# shellcheck source=scripts/influxd.sh
source scripts/influxd.sh
trap 'influxd_stop' EXIT
echo "InfluxDB 1.8.10 at $INFLUX_URL (bucket $INFLUX_BUCKET)"

scripts/promtool.sh

CHROMIUM=$(scripts/chromium.sh)
export CHROMIUM
export ARTIFACTS="${ARTIFACTS:-$(pwd)/artifacts}"

# Every package under the race detector (about 2 minutes on 2 cores without the services' tests;
# the -timeout bounds each package's test binary).
go test -race -timeout 15m ./...
