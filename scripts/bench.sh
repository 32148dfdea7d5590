#!/usr/bin/env bash
# make bench: Go micro-benchmarks, then probe throughput side by side against one loopback HTTPS
# target (fresh TLS connection per probe, concurrency 64): Debian's blackbox_exporter through
# /probe, a bare net/http loop, and an `accesswatch run` process; then the idle cost of 1,000
# scheduled checks a minute. Prints figures and the ratios the issues ask for.
# BENCH_SECONDS (default 10) sets each throughput window; IDLE_SECONDS (default 120; 0 skips it) the idle one;
# BENCH_SKIP_GO=1 skips the Go micro-benchmarks; BENCH_SKIP_FLEET=1 the collector and spool figures;
# BENCH_SKIP_PUBLIC=1 the public API load test.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SECS=${BENCH_SECONDS:-10}
IDLE_SECS=${IDLE_SECONDS:-120}
OUT=$(mktemp -d /tmp/accesswatch-bench.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$OUT"; }
trap cleanup EXIT

if [ -z "${BENCH_SKIP_GO:-}" ]; then
  echo "== go benchmarks"
  go test -run '^$' -bench . -benchmem ./probes/... ./collector/... ./internal/... | grep -E '^(Benchmark|ok|PASS|FAIL)|results/s|probes/s'
fi

echo "== building"
go build -o "$OUT/accesswatch" ./cmd/accesswatch
go build -o "$OUT/bench" ./tools/bench

if ! command -v prometheus-blackbox-exporter >/dev/null; then
  echo "== installing Debian's prometheus-blackbox-exporter"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus-blackbox-exporter) >/dev/null
fi

"$OUT/bench" target -ca "$OUT/ca.pem" -addr-file "$OUT/addr" & PIDS+=($!)
for _ in $(seq 50); do [ -s "$OUT/addr" ] && break; sleep 0.1; done
ADDR=$(cat "$OUT/addr")
URL="https://$ADDR/v1/models/claude-sonnet-4-5"
echo "target: $URL"

echo "== bare net/http loop, same TLS handshake as accesswatch's probes (${SECS}s)"
BARE=$("$OUT/bench" bare -url "$URL" -ca "$OUT/ca.pem" -c 64 -d "${SECS}s" | tee /dev/stderr | awk '{print $2}')
echo "== for reference: bare loop with HTTP/2 and Go's default post-quantum key exchange (${SECS}s)"
"$OUT/bench" bare -h2 -pq -url "$URL" -ca "$OUT/ca.pem" -c 64 -d "${SECS}s"

echo "== blackbox_exporter /probe (${SECS}s)"
cat > "$OUT/blackbox.yml" <<YML
modules:
  https:
    prober: http
    timeout: 5s
    http:
      preferred_ip_protocol: ip4
      tls_config:
        ca_file: $OUT/ca.pem
YML
prometheus-blackbox-exporter --config.file="$OUT/blackbox.yml" --web.listen-address=127.0.0.1:19115 --log.level=error & PIDS+=($!)
for _ in $(seq 50); do curl -sf http://127.0.0.1:19115/-/healthy >/dev/null && break; sleep 0.1; done
BB=$("$OUT/bench" blackbox -url "http://127.0.0.1:19115/probe?module=https&target=$URL" -c 64 -d "${SECS}s" | tee /dev/stderr | awk '{print $2}')
kill "${PIDS[-1]}"; unset 'PIDS[-1]'

# accesswatch run: one vantage with concurrency 64; 15 checks of 200 models are 3,000 per-model
# jobs due every second, a little more than 64 slots can serve, so 64 probes are always in flight
# (the runs a full pool cannot take are skipped and counted), through the real scheduler, runner,
# classifier and store.
models=$(for i in $(seq -w 1 200); do printf 'm%s, ' "$i"; done); models=${models%, }
{
  echo "server: { listen: 127.0.0.1:19180 }"
  echo "store: { path: $OUT/run.db }"
  echo "probing: { timeout: 5s, concurrency: 64 }"
  echo "vantages: [ { id: bench-1, region: bench, country: ZZ } ]"
  echo "providers:"
  echo "  - { id: bench, kind: anthropic, base_url: 'https://$ADDR', api_key: bench-key, models: [$models], checks: ["
  for i in $(seq 15); do echo "      { kind: model, schedule: '@every 1s' },"; done
  echo "    ] }"
} > "$OUT/run.yml"
SSL_CERT_FILE="$OUT/ca.pem" "$OUT/accesswatch" run --config "$OUT/run.yml" --log-level error & RUNPID=$!; PIDS+=($RUNPID)
echo "== accesswatch run (${SECS}s after 3s warm-up)"
"$OUT/bench" meter -db "$OUT/run.db" -pid "$RUNPID" -warmup 3s -d "${SECS}s" -label run | tee "$OUT/run.txt"
kill "$RUNPID"; wait "$RUNPID" 2>/dev/null || true
RUN=$(awk '/^run_probes_per_second/{print $2}' "$OUT/run.txt")

if [ "$IDLE_SECS" != 0 ]; then
# Idle: 1,000 scheduled checks a minute (100 checks of 10 models every 60s, spread by jitter).
models=$(for i in $(seq -w 1 10); do printf 'm%s, ' "$i"; done); models=${models%, }
{
  echo "server: { listen: 127.0.0.1:19181 }"
  echo "store: { path: $OUT/idle.db }"
  echo "probing: { timeout: 5s, jitter: 30s }"
  echo "vantages: [ { id: bench-1, region: bench, country: ZZ } ]"
  echo "providers:"
  echo "  - { id: bench, kind: anthropic, base_url: 'https://$ADDR', api_key: bench-key, models: [$models], checks: ["
  for i in $(seq 100); do echo "      { kind: model, schedule: '@every 60s' },"; done
  echo "    ] }"
} > "$OUT/idle.yml"
SSL_CERT_FILE="$OUT/ca.pem" "$OUT/accesswatch" run --config "$OUT/idle.yml" --log-level error & IDLEPID=$!; PIDS+=($IDLEPID)
echo "== accesswatch run at 1,000 checks/minute (${IDLE_SECS}s)"
"$OUT/bench" meter -db "$OUT/idle.db" -pid "$IDLEPID" -warmup 5s -d "${IDLE_SECS}s" -label idle | tee "$OUT/idle.txt"
fi

if [ -z "${BENCH_SKIP_FLEET:-}" ]; then
  TOKEN=bench-agent-token-0123456789
  echo "== collector ingest over HTTP into the embedded store (300,000 results, 4 pushers)"
  cat > "$OUT/collector.yml" <<YML
server: { listen: 127.0.0.1:19190 }
store: { path: $OUT/collector.db }
collector: { agents: [ { id: loadgen, tokens: ["$TOKEN"] } ] }
YML
  "$OUT/bench" ingest-config >> "$OUT/collector.yml" # the vantages and models the load names
  "$OUT/accesswatch" collector --config "$OUT/collector.yml" --log-level error & COLPID=$!; PIDS+=($COLPID)
  for _ in $(seq 100); do curl -sf http://127.0.0.1:19190/healthz >/dev/null && break; sleep 0.1; done
  "$OUT/bench" ingest -url http://127.0.0.1:19190 -token "$TOKEN" -c 4 -batch 1000 -n 300000 -label sqlite | tee "$OUT/sqlite.txt"
  kill "$COLPID"; wait "$COLPID" 2>/dev/null || true

  echo "== collector ingest over HTTP into InfluxDB 1.8.10 (200,000 results, until every point is written)"
  # shellcheck source=scripts/influxd.sh
  source scripts/influxd.sh
  cat > "$OUT/collector-influx.yml" <<YML
server: { listen: 127.0.0.1:19191 }
store: { path: $OUT/collector-influx.db, influx: { url: "$INFLUX_URL", bucket: "$INFLUX_BUCKET", batch_size: 5000 } }
collector: { agents: [ { id: loadgen, tokens: ["$TOKEN"] } ] }
YML
  "$OUT/bench" ingest-config >> "$OUT/collector-influx.yml" # the vantages and models the load names
  "$OUT/accesswatch" collector --config "$OUT/collector-influx.yml" --log-level error & COLPID=$!; PIDS+=($COLPID)
  for _ in $(seq 100); do curl -sf http://127.0.0.1:19191/healthz >/dev/null && break; sleep 0.1; done
  "$OUT/bench" ingest -url http://127.0.0.1:19191 -token "$TOKEN" -c 4 -batch 1000 -n 200000 -label influx \
    -influx-metrics http://127.0.0.1:19191/metrics | tee "$OUT/influx.txt"
  kill "$COLPID"; wait "$COLPID" 2>/dev/null || true
  influxd_stop

  echo "== agent spool: 100,000 results replayed after an outage"
  go test -run '^$' -bench BenchmarkSpoolReplay -benchtime 3x ./probes/publish | grep -E '^Benchmark' | tee "$OUT/replay.txt"
fi

if [ -z "${BENCH_SKIP_PUBLIC:-}" ]; then
  echo "== public API: badges and /api/v1/status (1,000 targets) against a static file server, same bytes"
  BENCH_HTTP=1 go test -count=1 -v -run TestServeRateVsStatic ./collector/public | grep -E 'req/s|ratio' | sed 's/^ *bench_test.go:[0-9]*: //' | tee "$OUT/public.txt"
fi

echo "== summary"
awk -v run="$RUN" -v bb="$BB" -v bare="$BARE" 'BEGIN {
  printf "run %.0f probes/s, blackbox %.0f, bare loop %.0f\n", run, bb, bare
  printf "ratio run/blackbox = %.2f (target >= 1.80)\n", run/bb
  printf "ratio run/bare     = %.2f (target >= 0.75)\n", run/bare
}'
grep -E 'run_peak_rss_mb|run_cpu_us_per_probe' "$OUT/run.txt" | sed 's/^/run: /'
if [ -f "$OUT/sqlite.txt" ]; then
  awk '/^sqlite_results_per_second/{printf "collector ingest into SQLite: %s results/s (target >= 50000)\n", $2}' "$OUT/sqlite.txt"
  awk '/^influx_influx_results_per_second/{printf "collector ingest into InfluxDB 1.8: %s results/s end to end (target >= 20000)\n", $2}' "$OUT/influx.txt"
  sed 's/^/spool replay: /' "$OUT/replay.txt"
fi
if [ -f "$OUT/public.txt" ]; then grep ratio "$OUT/public.txt" | sed 's/^/public: /; s/$/ (target >= 0.5)/'; fi
if [ -f "$OUT/idle.txt" ]; then grep -E 'idle_(rss|peak_rss)_mb|idle_cpu_percent|idle_probes' "$OUT/idle.txt" | sed 's/^/idle: /'; fi
