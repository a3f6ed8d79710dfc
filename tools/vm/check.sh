#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: the selftests on each kernel of the matrix (vm.sh check), the
# runner's own tests (selftests/runner/runner_test.sh) on the first kernel,
# then the totals.  The last line is "N passed, N failed, N skipped", summed
# over every kernel; the exit status is non-zero when anything failed.
#
#   check.sh [KERNEL...]      default: 6.1 6.12 6.12-rt debug
#
# Run `make` first.  Environment, besides vm.sh's:
#   MBX_VM_JOBS        VMs at once (default: the number of cores).  Each VM
#                      keeps one core busy (thread=single); their outputs are
#                      printed in order once all are done
#   MBX_VM_FAULT       the matrix runs with this fault (and must fail); the
#                      runner's own tests are left out
#   MBX_RUNNER_TEST=0  leave out the runner's own tests
#   MBX_PKG_CHECK=0    leave out the packaging checks (tools/pkg/check.sh)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

t0=$EPOCHREALTIME
JOBS=${MBX_VM_JOBS:-$(nproc)}
(($#)) || set -- $DEFAULT_KERNELS
kvers=$("$VMDIR/deps.sh" kernel "$@") || die "could not fetch the kernels"
mapfile -t kvers <<<"$kvers"
mkdir -p "$BUILD/vm"

# A task is a kernel release (vm.sh check), "runner:KVER", "host" (the
# checks that need no VM, host-check.sh) or "pkg" (dkms, the Debian
# packages and the README's program, tools/pkg/check.sh: two VMs).  Each leaves a
# result file with passed=, failed=, skipped= (boot=, wall= for a kernel).
# The debug kernel is the slowest by far: it starts first.
tasks=()
for kver in "${kvers[@]}"; do
	[[ $kver != *-debug-* ]] || tasks+=("$kver")
done
for kver in "${kvers[@]}"; do
	[[ $kver == *-debug-* ]] || tasks+=("$kver")
done
if [[ -z ${MBX_VM_FAULT:-} && ${MBX_RUNNER_TEST:-1} != 0 ]]; then
	# the first kernel is done first: its runs and these share a lock
	tasks+=("runner:${kvers[0]}")
fi
[[ -n ${MBX_VM_FAULT:-} || -n ${MBX_VM_TESTS:-} ]] || tasks+=(host)
[[ -n ${MBX_VM_FAULT:-} || -n ${MBX_VM_TESTS:-} || ${MBX_PKG_CHECK:-1} == 0 ]] || tasks+=(pkg)
# The SLA server's scenario (tools/vm/sla-check.sh) on 6.1 and 6.12 of the
# kernels given; not in narrowed runs (TESTS=) unless MBX_SLA=1; never with
# MBX_SLA=0.
if [[ -z ${MBX_VM_FAULT:-} && ${MBX_SLA:-} != 0 && ( -z ${MBX_VM_TESTS:-} || ${MBX_SLA:-} == 1 ) ]]; then
	for kver in "${kvers[@]}"; do
		case $kver in 6.1.*-amd64 | 6.12.*+deb12-amd64) tasks+=("sla:$kver") ;; esac
	done
fi

result_of() {
	case $1 in
	runner:*) echo "$BUILD/vm/runner-test.result" ;;
	host) echo "$BUILD/vm/host-check.result" ;;
	pkg) echo "$BUILD/vm/pkg-check.result" ;;
	sla:*) echo "$BUILD/vm/sla-${1#sla:}.result" ;;
	*) echo "$BUILD/vm/$1${MBX_VM_FAULT:+-fault-$MBX_VM_FAULT}/result" ;;
	esac
}

run_task() {
	case $1 in
	runner:*) "$TOP/selftests/runner/runner_test.sh" "${1#runner:}" ;;
	host) "$VMDIR/host-check.sh" ;;
	pkg) "$TOP/tools/pkg/check.sh" ;;
	sla:*) "$VMDIR/sla-check.sh" "${1#sla:}" ;;
	*-debug-*) MBX_VM_TIMEOUT=${MBX_VM_TIMEOUT:-3600} "$VMDIR/vm.sh" check "$1" ;;
	*) "$VMDIR/vm.sh" check "$1" ;;
	esac
}

for task in "${tasks[@]}"; do
	rm -f "$(result_of "$task")"
done

if ((JOBS <= 1 || ${#tasks[@]} == 1)); then
	for task in "${tasks[@]}"; do
		echo
		run_task "$task" || true
	done
else
	running=0
	for task in "${tasks[@]}"; do
		while ((running >= JOBS)); do
			wait -n || true
			running=$((running - 1))
		done
		msg "  START   ${task/runner:/runner self-tests on }"
		run_task "$task" >"$BUILD/vm/${task/:/-}.out" 2>&1 &
		running=$((running + 1))
	done
	wait || true
	for task in "${tasks[@]}"; do
		echo
		cat "$BUILD/vm/${task/:/-}.out"
	done
fi

total_p=0 total_f=0 total_s=0 rows=()
for task in "${tasks[@]}"; do
	passed=0 failed=1 skipped=0 boot="" wall=""
	result=$(result_of "$task")
	# shellcheck disable=SC1090
	[[ ! -f $result ]] || . "$result"
	total_p=$((total_p + passed))
	total_f=$((total_f + failed))
	total_s=$((total_s + skipped))
	rows+=("$(printf '#   %-28s %4d passed, %d failed, %d skipped%s' \
		"$(sed 's/^runner:.*/runner self-tests/; s/^pkg$/packaging checks/; s/^sla:/SLA scenario /' <<<"$task")" "$passed" "$failed" "$skipped" \
		"${boot:+ (booted in $boot s, $wall s in all)}")")
done

echo
echo "# summary: ${#kvers[@]} kernel(s), $JOBS VM(s) at once," \
	"$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }') s"
printf '%s\n' "${rows[@]}"
echo "$total_p passed, $total_f failed, $total_s skipped"
((total_f == 0))
