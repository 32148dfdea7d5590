#!/usr/bin/env bash
# Installs an accesswatch agent on a plain VM as a hardened systemd service.
#
#   sudo deploy/systemd/install-agent.sh [--dry-run] [--binary PATH] [--root DIR] SITE
#
# SITE is mumbai | sydney | frankfurt | virginia: /etc/accesswatch/agent.yml is written from
# deploy/examples/agent-SITE.yml. /etc/accesswatch/agent.env (the token and vendor keys, 0600)
# is created once from a template and never overwritten. Running it again changes only what
# differs (idempotent). The service is enabled, and started once agent.env has AGENT_TOKEN.
#
#   --dry-run     print what would be done; touch nothing (no root needed)
#   --binary P    the accesswatch binary to install (default: ./accesswatch, else `accesswatch` on PATH)
#   --root DIR    install under DIR instead of / (image building); systemctl is not called
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
examples="$here/../examples"
sites=(mumbai sydney frankfurt virginia)

usage() {
	sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

dry_run=0 binary="" root="" site=""
while [ $# -gt 0 ]; do
	case "$1" in
	--dry-run) dry_run=1 ;;
	--binary) [ $# -ge 2 ] || usage; binary=$2; shift ;;
	--binary=*) binary=${1#*=} ;;
	--root) [ $# -ge 2 ] || usage; root=${2%/}; shift ;;
	--root=*) root=${1#*=}; root=${root%/} ;;
	-h | --help) usage ;;
	-*) echo "install-agent: unknown option $1" >&2; usage ;;
	*) [ -z "$site" ] || usage; site=$1 ;;
	esac
	shift
done

case " ${sites[*]} " in
*" $site "*) ;;
*) echo "install-agent: SITE must be one of: ${sites[*]} (got \"$site\")" >&2; exit 2 ;;
esac

if [ "$dry_run" = 0 ] && [ "$(id -u)" != 0 ]; then
	echo "install-agent: must run as root (try sudo, or --dry-run to see what it would do)" >&2
	exit 1
fi

if [ -z "$binary" ]; then
	if [ -x ./accesswatch ]; then binary=./accesswatch; else binary=$(command -v accesswatch || true); fi
fi
if [ -z "$binary" ] || [ ! -x "$binary" ]; then
	if [ "$dry_run" = 0 ]; then
		echo "install-agent: no accesswatch binary (build one: CGO_ENABLED=0 go build -trimpath -o accesswatch ./cmd/accesswatch, then --binary ./accesswatch)" >&2
		exit 1
	fi
	binary=${binary:-./accesswatch}
	echo "# note: $binary is missing; a real run needs it"
fi

config_src="$examples/agent-$site.yml"
[ -r "$config_src" ] || { echo "install-agent: missing $config_src" >&2; exit 1; }

bin_dst="$root/usr/local/bin/accesswatch"
unit_dst="$root/etc/systemd/system/accesswatch-agent.service"
etc="$root/etc/accesswatch"

# act prints a step and, unless --dry-run, does it.
act() {
	echo "+ $*"
	[ "$dry_run" = 1 ] || "$@"
}

# put installs src at dst with mode when dst is missing or differs.
put() {
	local mode=$1 src=$2 dst=$3
	if [ -f "$dst" ] && cmp -s "$src" "$dst"; then
		echo "= $dst is up to date"
		return 1
	fi
	act install -D -m "$mode" "$src" "$dst"
}

changed=0
put 0755 "$binary" "$bin_dst" && changed=1
put 0644 "$here/accesswatch-agent.service" "$unit_dst" && changed=1
put 0644 "$config_src" "$etc/agent.yml" && changed=1

if [ -e "$etc/agent.env" ]; then
	echo "= $etc/agent.env exists; kept"
else
	echo "+ write $etc/agent.env (0600) from the template"
	if [ "$dry_run" = 0 ]; then
		umask 077
		mkdir -p "$etc"
		cat >"$etc/agent.env" <<ENV
# Secrets of the accesswatch agent ($site). Read by systemd (EnvironmentFile), not by the agent user.
# AGENT_TOKEN must equal this agent's token in the collector's collector.agents[].tokens.
AGENT_TOKEN=
COLLECTOR_URL=https://collector.example.org
ANTHROPIC_API_KEY=
OPENAI_API_KEY=
ENV
		chmod 0600 "$etc/agent.env"
	fi
fi

if [ -n "$root" ]; then
	echo "# --root: not calling systemctl; on the target run: systemctl enable --now accesswatch-agent"
	exit 0
fi
[ "$changed" = 0 ] || act systemctl daemon-reload
act systemctl enable accesswatch-agent.service
if [ "$dry_run" = 0 ] && ! grep -Eq '^AGENT_TOKEN=.{16,}' "$etc/agent.env"; then
	echo "# set AGENT_TOKEN (and the vendor keys) in $etc/agent.env, then: systemctl restart accesswatch-agent"
	exit 0
fi
if [ "$changed" = 1 ]; then
	act systemctl restart accesswatch-agent.service
else
	act systemctl start accesswatch-agent.service
fi
