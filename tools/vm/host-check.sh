#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The checks of `make check` that need no VM: the library's exported
# symbols, its install tree and a program built with pkg-config alone
# (make -C lib check, TAP), and the SLA server's gateway and database
# layer (make -C sla check, TAP), make install/uninstall/dist, the one
# version and the man pages' lint (tools/pkg/, TAP). Leaves a result file
# as vm.sh check does.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

out=$BUILD/vm/host-check.tap
result=$BUILD/vm/host-check.result
mkdir -p "$BUILD/vm"
echo "# host: library checks (make -C lib check)"
make -s -C "$TOP/lib" check >"$out" 2>&1
rc=$?
echo "# host: SLA gateway and database checks (make -C sla check)" >>"$out"
make -s -C "$TOP/sla" check >>"$out" 2>&1 || rc=1
echo "# host: make install, uninstall, dist and the one version (tools/pkg/install_test.sh)" >>"$out"
"$TOP/tools/pkg/install_test.sh" >>"$out" 2>&1 || rc=1
echo "# host: the man pages (tools/pkg/man_test.sh)" >>"$out"
"$TOP/tools/pkg/man_test.sh" >>"$out" 2>&1 || rc=1
cat "$out"
passed=$(grep -c '^ok ' "$out")
failed=$(grep -c '^not ok ' "$out")
# A check that died before saying anything still fails the run.
((rc == 0 || failed > 0)) || failed=1
echo "# host: $passed passed, $failed failed, 0 skipped"
printf 'passed=%d\nfailed=%d\nskipped=0\n' "$passed" "$failed" >"$result"
((failed == 0))
