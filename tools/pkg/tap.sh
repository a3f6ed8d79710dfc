# SPDX-License-Identifier: GPL-2.0
# TAP helpers of the packaging tests (tools/pkg/*_test.sh); source it.
#   ok DESC CMD...     one test point: CMD's status; a failure shows its output
#   skip DESC REASON   one skipped test point
#   tap_done           the plan; the exit status (1 when a point failed)
# $TOP is the work tree, $tmp a directory removed at exit.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
failed=0
VERSION=$(cat "$TOP/VERSION")

ok() {
	local desc=$1
	shift
	n=$((n + 1))
	if "$@" >"$tmp/.out" 2>&1; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
		sed 's/^/# /' "$tmp/.out" | head -n 40
		failed=$((failed + 1))
	fi
}

skip() {
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}

tap_done() {
	echo "1..$n"
	((failed == 0))
}

# same WHAT EXPECTED ACTUAL: fails, saying both, when they differ
same() {
	[[ $2 == "$3" ]] && return 0
	printf '%s: expected\n%s\ngot\n%s\n' "$1" "$2" "$3"
	return 1
}
