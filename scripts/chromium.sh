#!/usr/bin/env bash
# chromium.sh — make sure Debian's Chromium is installed for the browser tests (chromedp drives it
# headless) and print its path. Installs the `chromium` package when missing (needs root or
# password-less sudo). CHROMIUM=/path uses another binary.
set -euo pipefail
if [ -n "${CHROMIUM:-}" ]; then
	[ -x "$CHROMIUM" ] || { echo "chromium.sh: CHROMIUM=$CHROMIUM is not executable" >&2; exit 1; }
	echo "$CHROMIUM"
	exit 0
fi
for c in chromium chromium-browser; do
	if command -v "$c" >/dev/null 2>&1; then
		command -v "$c"
		exit 0
	fi
done
sudo=()
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		sudo=(sudo -n)
	else
		echo "chromium.sh: chromium is missing and installing it needs root (or set CHROMIUM)" >&2
		exit 1
	fi
fi
echo "chromium.sh: installing Debian's chromium" >&2
"${sudo[@]}" apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium >&2
command -v chromium
