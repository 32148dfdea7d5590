#!/usr/bin/env bash
# promtool.sh — check the Prometheus rules in deploy/prometheus/rules.yml and run their unit tests
# (deploy/prometheus/rules_test.yml) with promtool.
#
# promtool comes from Debian's `prometheus` package, installed here (non-interactively, without
# recommends) when promtool is missing; that needs root or password-less sudo. Note that the
# package also installs, and on a normal host starts, a Prometheus server service.
#
# Environment: PROMTOOL (a promtool binary to use instead of the one on PATH).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'promtool.sh: %s\n' "$*" >&2; }

promtool="${PROMTOOL:-promtool}"
if ! command -v "$promtool" >/dev/null 2>&1; then
	if [ -n "${PROMTOOL:-}" ]; then
		log "PROMTOOL=$PROMTOOL is not executable"
		exit 1
	fi
	sudo=()
	if [ "$(id -u)" -ne 0 ]; then
		if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
			sudo=(sudo -n)
		else
			log "promtool is missing and installing Debian's prometheus package needs root (or set PROMTOOL)"
			exit 1
		fi
	fi
	log "promtool not found; installing Debian's prometheus package"
	export DEBIAN_FRONTEND=noninteractive
	"${sudo[@]}" apt-get update -qq
	"${sudo[@]}" apt-get install -y -qq --no-install-recommends prometheus >&2
	command -v promtool >/dev/null 2>&1 || { log "promtool still missing after installing prometheus"; exit 1; }
fi

"$promtool" --version 2>&1 | head -n 1 >&2
"$promtool" check rules deploy/prometheus/rules.yml
"$promtool" test rules deploy/prometheus/rules_test.yml
