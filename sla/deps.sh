#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian packages sla/ needs to build and test; does nothing when
# all are installed.  As tools/vm/deps.sh does: apt-get only, only what is
# missing, and a clear message for a non-root user.
#
#   deps.sh           what make -C sla needs
#   deps.sh browser   what tests/browser_test.sh needs: Debian's Chromium
set -euo pipefail

pkgs=(pkg-config libmicrohttpd-dev libjson-c-dev libsqlite3-dev
      libcurl4-openssl-dev curl jq iproute2
      libpq-dev postgresql libinih-dev systemd
      fio sqlite3	# the VM scenario's workloads and its database checks
      socat)		# make sla-pg: the VM reaches the host's PostgreSQL
if [[ ${1:-} == browser ]]; then
	pkgs=(chromium chromium-driver python3 curl)
fi

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

missing=()
for p in "${pkgs[@]}"; do
	installed "$p" || missing+=("$p")
done
((${#missing[@]})) || exit 0
if ((EUID != 0)); then
	echo "sla/deps.sh: missing packages: ${missing[*]}" \
	     "(sudo apt-get install ${missing[*]})" >&2
	exit 1
fi
echo "  APT     install ${missing[*]}" >&2
# One update per hour at most: the lists are usually fresh already.
if [[ -z $(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -60 2>/dev/null | head -n1) ]]; then
	DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	"${missing[@]}" >&2
