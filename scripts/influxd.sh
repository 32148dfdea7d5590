#!/usr/bin/env bash
# influxd.sh — a throwaway InfluxDB OSS 1.8.10 on a loopback port, for the integration tests of
# collector/influx and collector/influx/fluxq. Needs only Go (and bash): no curl, no Docker.
#
#   scripts/influxd.sh [start]   install when missing (cached), start, create the database and print
#                                "export INFLUX_URL=… INFLUX_BUCKET=… INFLUXD_PID=… INFLUXD_DIR=…"
#                                (use: eval "$(scripts/influxd.sh)")
#   scripts/influxd.sh stop      stop the instance named by INFLUXD_PID / INFLUXD_DIR and remove its data
#   scripts/influxd.sh install   only install (or find) the binary and print its path
#   source scripts/influxd.sh    same as start, but exports the variables into the calling shell and
#                                defines influxd_stop; a failure returns non-zero without exiting it
#
# Environment: INFLUXD (a ready influxd 1.8 binary to use), INFLUXD_CACHE (where the built binary is
# kept; default ${XDG_CACHE_HOME:-~/.cache}/accesswatch/influxdb-1.8.10/bin), INFLUX_DB (default
# accesswatch), INFLUXD_PORT (default: a free port picked at random), GO (default go).
#
# Building influxd 1.8.10 takes a minute or more the first time; it builds with any recent Go
# (GOTOOLCHAIN=local, CGO_ENABLED=0: flux 0.65 is pure Go).

_influxd_version=v1.8.10

_influxd_log() { printf 'influxd.sh: %s\n' "$*" >&2; }

# _influxd_binary prints the path of an influxd 1.8.10, building it into the cache when missing.
_influxd_binary() {
	if [ -n "${INFLUXD:-}" ]; then
		[ -x "$INFLUXD" ] || { _influxd_log "INFLUXD=$INFLUXD is not executable"; return 1; }
		printf '%s\n' "$INFLUXD"
		return 0
	fi
	local cache="${INFLUXD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/accesswatch/influxdb-1.8.10/bin}"
	if [ ! -x "$cache/influxd" ]; then
		mkdir -p "$cache" || return 1
		_influxd_log "building influxd $_influxd_version into $cache (takes a minute or more, once)"
		# GOFLAGS is cleared: a caller's -mod=vendor or -tags must not leak into this foreign module.
		if ! GOBIN="$cache" GOFLAGS= GOTOOLCHAIN=local CGO_ENABLED=0 \
			"${GO:-go}" install "github.com/influxdata/influxdb/cmd/influxd@$_influxd_version" >&2; then
			_influxd_log "go install github.com/influxdata/influxdb/cmd/influxd@$_influxd_version failed"
			return 1
		fi
	fi
	printf '%s\n' "$cache/influxd"
}

# _influxd_http METHOD PORT PATH prints the status line of an HTTP/1.0 request to 127.0.0.1:PORT
# (bash's /dev/tcp: no curl needed).
_influxd_http() {
	local method=$1 port=$2 path=$3 line
	{ exec 9<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || return 1
	printf '%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n' "$method" "$path" >&9
	IFS= read -r -t 5 line <&9
	exec 9<&- 9>&-
	printf '%s\n' "${line%$'\r'}"
}

_influxd_port_free() { ! (exec 8<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

_influxd_free_port() {
	local i p
	for i in $(seq 1 50); do
		p=$((20000 + RANDOM % 40000))
		if _influxd_port_free "$p" && _influxd_port_free $((p + 1)); then
			printf '%s\n' "$p"
			return 0
		fi
	done
	_influxd_log "no free loopback port found"
	return 1
}

_influxd_config() {
	local dir=$1 port=$2
	cat <<EOF
reporting-disabled = true
bind-address = "127.0.0.1:$((port + 1))"

[meta]
  dir = "$dir/meta"
  logging-enabled = false

[data]
  dir = "$dir/data"
  wal-dir = "$dir/wal"
  query-log-enabled = false

[monitor]
  store-enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:$port"
  auth-enabled = false
  flux-enabled = true
  log-enabled = false
  write-tracing = false
  pprof-enabled = false

[logging]
  level = "warn"

[subscriber]
  enabled = false

[continuous_queries]
  enabled = false
EOF
}

_influxd_fail() {
	local pid=$1 dir=$2
	_influxd_log "$3; its log:"
	tail -n 20 "$dir/influxd.log" >&2
	kill "$pid" 2>/dev/null
	rm -rf "$dir"
}

_influxd_start() {
	local bin dir port pid i status=
	bin=$(_influxd_binary) || return 1
	port=${INFLUXD_PORT:-$(_influxd_free_port)} || return 1
	if ! _influxd_port_free "$port" || ! _influxd_port_free $((port + 1)); then
		_influxd_log "127.0.0.1:$port or :$((port + 1)) is already in use"
		return 1
	fi
	dir=$(mktemp -d "${TMPDIR:-/tmp}/accesswatch-influxd.XXXXXX") || return 1
	_influxd_config "$dir" "$port" >"$dir/influxd.conf"
	# setsid (or nohup where there is none): the server outlives this script when it is run
	# rather than sourced.
	local detach=setsid
	command -v setsid >/dev/null || detach=nohup
	"$detach" "$bin" run -config "$dir/influxd.conf" >"$dir/influxd.log" 2>&1 </dev/null &
	pid=$!
	for i in $(seq 1 300); do # 30 s at most
		kill -0 "$pid" 2>/dev/null || break
		status=$(_influxd_http GET "$port" /ping 2>/dev/null) || status=
		case $status in *" 204"*) break ;; esac
		sleep 0.1
	done
	# Alive and answering: a server that failed to bind must not pass for one already there.
	if ! kill -0 "$pid" 2>/dev/null || [[ $status != *" 204"* ]]; then
		_influxd_fail "$pid" "$dir" "influxd did not come up on 127.0.0.1:$port (ping: ${status:-none})"
		return 1
	fi
	local db=${INFLUX_DB:-accesswatch}
	status=$(_influxd_http POST "$port" "/query?q=CREATE+DATABASE+$db") || status=
	if [[ $status != *" 200"* ]]; then
		_influxd_fail "$pid" "$dir" "CREATE DATABASE $db failed: ${status:-no answer}"
		return 1
	fi
	INFLUX_URL="http://127.0.0.1:$port"
	INFLUX_BUCKET="$db/autogen"
	INFLUXD_PID=$pid
	INFLUXD_DIR=$dir
	export INFLUX_URL INFLUX_BUCKET INFLUXD_PID INFLUXD_DIR
}

# influxd_stop stops the instance started by this script (by its pid) and removes its data.
influxd_stop() {
	if [ -n "${INFLUXD_PID:-}" ]; then
		kill "$INFLUXD_PID" 2>/dev/null
		local i
		for i in $(seq 1 50); do
			kill -0 "$INFLUXD_PID" 2>/dev/null || break
			sleep 0.1
		done
	fi
	case ${INFLUXD_DIR:-} in */accesswatch-influxd.*) rm -rf "$INFLUXD_DIR" ;; esac
	unset INFLUX_URL INFLUX_BUCKET INFLUXD_PID INFLUXD_DIR
}

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
	# Sourced: export into the caller's shell, never exit it.
	case ${1:-start} in
	start) _influxd_start ;;
	stop) influxd_stop ;;
	install) _influxd_binary ;;
	*) _influxd_log "unknown command ${1}"; false ;;
	esac
else
	set -u
	case ${1:-start} in
	start)
		_influxd_start || exit 1
		printf 'export INFLUX_URL=%s INFLUX_BUCKET=%s INFLUXD_PID=%s INFLUXD_DIR=%s\n' \
			"$INFLUX_URL" "$INFLUX_BUCKET" "$INFLUXD_PID" "$INFLUXD_DIR"
		;;
	stop) influxd_stop ;;
	install) _influxd_binary || exit 1 ;;
	*)
		_influxd_log "usage: $0 [start|stop|install]"
		exit 2
		;;
	esac
fi
