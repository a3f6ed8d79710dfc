#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make coverage`: the whole suite on the debug kernel (debug-kernel.sh,
# which has CONFIG_GCOV_KERNEL) with the module built for gcov
# (vm.sh MBX_VM_GCOV=1, kmod/Kbuild MBX_GCOV=y), then the line and branch
# coverage of every file of kmod/: a per-file table on stdout (lcov --list)
# and an HTML report in build/coverage/html/index.html.
#
#   coverage.sh          run the suite, then report
#   coverage.sh report   report on the counters of the last run
#
# The VM sends the module's .gcda files back after rmmod (vm.sh, "Files out
# of the VM"); they go next to the .gcno files of the build, in
# build/kmod/<kver>-gcov/mbx/kmod/.  The lcov data is build/coverage/kmod.info.
# A failed test or a kernel report fails the run, but the coverage of what
# ran is reported all the same.
#
# Environment: MBX_VM_TESTS narrows the suite as for vm.sh; MBX_VM_TIMEOUT
# (default 3600 s).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PKGS_COVERAGE=(lcov) # lcov, genhtml; gcov comes with gcc
OUT=$BUILD/coverage
LCOV_RC=(--rc lcov_branch_coverage=1)

report() {
	local kver=$1 run obj n src
	run=$BUILD/vm/$kver-gcov
	obj=$BUILD/kmod/$kver-gcov/mbx/kmod
	src=$BUILD/kmod/$kver-gcov/mbx
	[[ -d $obj ]] || die "no gcov build of the module in $obj: run coverage.sh first"
	rm -f "$obj"/*.gcda
	n=0
	while IFS= read -r -d '' f; do
		cp "$f" "$obj/"
		n=$((n + 1))
	done < <(find "$run/out/gcov" -path '*/mbx/kmod/*.gcda' -print0 2>/dev/null)
	((n)) || die "the VM sent no .gcda files of the module (see $run/console.txt)"
	rm -rf "$OUT"
	mkdir -p "$OUT"
	lcov -q "${LCOV_RC[@]}" --gcov-tool gcov --capture --directory "$obj" \
		--output-file "$OUT/raw.info" 2>"$OUT/lcov.log" ||
		{ cat "$OUT/lcov.log" >&2; die "lcov --capture failed"; }
	# The build's copy of the sources is the tree's: name the tree's files,
	# and only those (not the kernel headers' inline functions).
	sed "s|^SF:$src/|SF:$TOP/|" "$OUT/raw.info" >"$OUT/tree.info"
	lcov -q "${LCOV_RC[@]}" --extract "$OUT/tree.info" "$TOP/kmod/*" \
		--output-file "$OUT/kmod.info" 2>>"$OUT/lcov.log" ||
		{ cat "$OUT/lcov.log" >&2; die "lcov --extract failed"; }
	genhtml -q "${LCOV_RC[@]}" --branch-coverage --legend \
		--title "mbx: the selftests on $kver" --prefix "$TOP" \
		--output-directory "$OUT/html" "$OUT/kmod.info" 2>>"$OUT/lcov.log" ||
		{ cat "$OUT/lcov.log" >&2; die "genhtml failed"; }
	echo "# coverage of kmod/ after the suite on $kver ($n .gcda files)"
	lcov "${LCOV_RC[@]}" --list "$OUT/kmod.info" 2>/dev/null |
		sed "s|$TOP/||"
	lcov "${LCOV_RC[@]}" --summary "$OUT/kmod.info" 2>&1 | grep -E '^ +(lines|functions|branches)'
	echo "# HTML: $OUT/html/index.html"
}

apt_install "${PKGS_COVERAGE[@]}"
kver=$("$VMDIR/debug-kernel.sh" build | tail -n1)
case ${1:-run} in
run)
	rc=0
	MBX_VM_GCOV=1 MBX_VM_TIMEOUT=${MBX_VM_TIMEOUT:-3600} \
		"$VMDIR/vm.sh" check "$kver" || rc=$?
	report "$kver"
	((rc == 0)) || msg "coverage.sh: the suite failed on $kver (see above)"
	exit "$rc" ;;
report)
	report "$kver" ;;
*)
	die "usage: coverage.sh [run|report]" ;;
esac
