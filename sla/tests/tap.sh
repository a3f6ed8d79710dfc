# SPDX-License-Identifier: GPL-2.0
#
# What the host tests of sla/ share (sourced, bash): TAP points as
# tests/run.sh numbers them, and the ports of 127.0.0.1 they listen on.
#
#   ok WHAT / not_ok WHAT      "ok - WHAT" / "not ok - WHAT"; not_ok counts
#                              in $failed
#   check WHAT COMMAND...      ok or not_ok as COMMAND exits
#   free_port                  a TCP port of 127.0.0.1 nothing listens on
#   wait_port PORT             until something listens there (5 s at most)
#
# The programs find the tree's libmailbox.so.1 (they link to it; what the
# host tests run of them needs no module).

LD_LIBRARY_PATH=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../lib" && pwd)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export LD_LIBRARY_PATH
failed=0
ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; failed=$((failed + 1)); }
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}
free_port() {
	local p
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 40000))
		ss -Hltn "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
	return 1
}
wait_port() {
	for _ in $(seq 50); do
		ss -Hltn "sport = :$1" | grep -q . && return 0
		sleep 0.1
	done
	return 1
}
