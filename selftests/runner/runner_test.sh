#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The VM runner's own tests: a run with a deliberate fault must fail, and for
# the right reason.  One VM per fault, on one kernel (tools/vm/init):
#
#   MBX_VM_FAULT=test     runner_fail_test: 1 case passes, 1 skips, 1 fails
#   MBX_VM_FAULT=warn     runner_fault.ko WARNs at load
#   MBX_VM_FAULT=unload   runner_fault.ko pins itself: its rmmod fails
#   MBX_VM_FAULT=hang     /init hangs; the host's timeout must end the VM
#
#   runner_test.sh KERNEL
#
# Prints TAP; writes build/vm/runner-test.result (passed=, failed=,
# skipped=) for tools/vm/check.sh.  V=1 shows each run's output.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../../tools/vm/lib.sh"

(($# == 1)) || die "usage: runner_test.sh KERNEL"
kver=$(resolve_kernel "$1")
HANG_TIMEOUT=20
n=0
passed=0
failed=0

# fault_run FAULT [ENV...]: vm.sh check with MBX_VM_FAULT=FAULT; sets rc, log
# and the run's result as r_passed, r_failed, r_skipped, r_reasons.
fault_run() {
	local fault=$1 result=$BUILD/vm/$kver-fault-$1/result
	shift
	log=$BUILD/vm/runner-test-$fault.log
	rc=0
	r_passed=0 r_failed=0 r_skipped=0 r_reasons=""
	mkdir -p "$BUILD/vm"
	rm -f "$result"
	env MBX_VM_FAULT="$fault" "$@" "$VMDIR/vm.sh" check "$kver" >"$log" 2>&1 || rc=$?
	# shellcheck disable=SC1090
	[[ ! -f $result ]] || . <(sed -n 's/^\(passed\|failed\|skipped\|reasons\)=/r_&/p' "$result")
	if verbose; then
		sed 's/^/# /' "$log"
	fi
}

# point OK DESCRIPTION: one test point, with the run's output when not ok
point() {
	n=$((n + 1))
	if (($1)); then
		echo "ok $n runner: $2"
		passed=$((passed + 1))
	else
		echo "not ok $n runner: $2"
		echo "# exit status $rc; counted $r_passed passed, $r_failed failed, $r_skipped skipped"
		echo "# reasons: ${r_reasons:-none}"
		sed 's/^/#   /' "$log"
		failed=$((failed + 1))
	fi
}

echo "TAP version 13"
echo "1..5"
echo "# runner self-tests on $kver"

fault_run test
ok=0
((rc != 0 && r_failed == 1 && r_skipped == 1)) &&
	[[ $r_reasons == *"failed: selftests: mbx: runner/runner_fail_test"* ]] && ok=1
point $ok "a failing selftest fails the run (1 failed and 1 skipped counted)"

fault_run warn
ok=0
((rc != 0)) && [[ $r_reasons == *"kernel log: WARNING:"* && $r_reasons != *"failed:"* ]] && ok=1
point $ok "a kernel WARNING fails the run, every test passing"

# runner_warn.sh WARNs between the insmod and rmmod of mbx; the reason and
# the failing test point name it, and nothing else
ok=0
[[ $r_reasons == "kernel log: WARNING:"*" (during selftests: mbx: runner/runner_warn.sh); " ]] &&
	grep -qx 'not ok - vm: kernel log clean: reports during selftests: mbx: runner/runner_warn.sh' \
		"$BUILD/vm/$kver-fault-warn/tap-all.txt" && ok=1
point $ok "a kernel WARNING names the selftest during which it appeared"

fault_run unload
ok=0
((rc != 0)) && [[ $r_reasons == "failed: rmmod runner_fault; " ]] && ok=1
point $ok "a module that cannot be unloaded fails the run"

fault_run hang MBX_VM_TIMEOUT=$HANG_TIMEOUT
ok=0
((rc != 0)) && [[ $r_reasons == *"timed out after $HANG_TIMEOUT s"* ]] && ok=1
point $ok "a VM that hangs is ended by the timeout and fails the run"

echo "# runner self-tests: $passed passed, $failed failed"
printf 'passed=%d\nfailed=%d\nskipped=0\n' "$passed" "$failed" >"$BUILD/vm/runner-test.result"
((failed == 0))
