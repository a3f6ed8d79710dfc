#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run sla/'s host tests, number their "ok - ..." / "not ok - ..." lines as
# one TAP stream, and end with "N passed, N failed".  A test that exits
# non-zero without a failed point, or runs past its time, is a failure too.
#
#   run.sh BUILD_DIR
set -uo pipefail

build=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
n=0 pass=0 fail=0

run() { # run NAME SECONDS COMMAND...
	local name=$1 secs=$2 line rc out
	shift 2
	out=$(mktemp)
	timeout -k 5 "$secs" "$@" >"$out" 2>"$out.err"
	rc=$?
	echo "# $name"
	local failed_here=0
	while IFS= read -r line; do
		case $line in
		"ok - "*)
			n=$((n + 1)) pass=$((pass + 1))
			echo "ok $n - ${line#ok - }" ;;
		"not ok - "*)
			n=$((n + 1)) fail=$((fail + 1)) failed_here=1
			echo "not ok $n - ${line#not ok - }"
			;;
		*)
			echo "$line" ;;
		esac
	done <"$out"
	if ((rc != 0 && !failed_here)); then
		n=$((n + 1)) fail=$((fail + 1))
		if ((rc == 124 || rc == 137)); then
			echo "not ok $n - $name: ran past ${secs} s"
		else
			echo "not ok $n - $name: exited with status $rc"
		fi
		sed 's/^/# /' "$out.err"
	elif ((failed_here)); then
		sed 's/^/# /' "$out.err"
	fi
	rm -f "$out" "$out.err"
}

run gateway 120 "$here/gateway_test.sh" "$build"
run db 120 "$build/tests/db_test"
run conf 60 "$build/tests/conf_test" "$here/../conf/sla.conf.example"
run sla-conf 60 "$here/conf_tool_test.sh" "$build"
run postgresql 120 "$here/pg_test.sh" "$build"
run systemd 60 "$here/units_test.sh" "$build"
run monitor 60 "$here/monitor_test.sh" "$build"
run slajson 60 "$build/tests/slajson_test"
run appserver 60 "$here/appserver_host_test.sh" "$build"
run config-procs 90 "$here/config_procs_test.sh" "$build"

echo "1..$n"
echo "$pass passed, $fail failed"
((fail == 0))
