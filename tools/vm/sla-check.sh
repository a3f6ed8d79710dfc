#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The SLA server's scenario (sla/scenario/sla-scenario.sh) in the VM on one
# kernel: null_blk and configfs loaded, the sla-* programs, fio and sqlite3
# copied in.  Prints its TAP, numbered, and leaves a result file as vm.sh
# check does (build/vm/sla-<kver>.result); check.sh runs it as the task
# "sla:KVER".
#
#   sla-check.sh KERNEL [KILLS]     KILLS: sla-core kills (default 5)
#   sla-check.sh --run KERNEL       `make run`: the same, its output as it
#                                   comes, a line of state every 3 s, and
#                                   the web page (sla-appserver, when built)
#                                   on the host's 127.0.0.1:SLA_PORT (8080)
#
# Run `make` first (it builds sla/).  MBX_SLA_KEEP=DIR copies the scenario's
# logs and database out of the VM's console output into DIR.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

run=
if [[ ${1:-} == --run ]]; then
	run=1
	shift
fi
name=${1:?usage: sla-check.sh [--run] KERNEL [KILLS]}
kills=${2:-5}
kver=$(resolve_kernel "$name") || exit 1
sla=$TOP/sla/build
for p in sla-gateway sla-conf sla-dbm sla-monitor sla-core sla-supervisor sla-ctl; do
	[[ -x $sla/$p ]] || die "$sla/$p is not built: run 'make'"
done
for p in fio sqlite3; do
	command -v $p >/dev/null || die "$p is not installed (sla/deps.sh installs it)"
done
mkdir -p "$BUILD/vm"
out=$BUILD/vm/sla-$kver.tap
result=$BUILD/vm/sla-$kver.result
rm -f "$result"
t0=$EPOCHREALTIME
# the bounds the scenario asserts assume the VM has a core to itself
load0=$(cut -d' ' -f1 /proc/loadavg)
progs="$sla/sla-gateway $sla/sla-conf $sla/sla-dbm $sla/sla-monitor $sla/sla-core"
progs+=" $sla/sla-supervisor $sla/sla-ctl $(command -v fio) $(command -v sqlite3)"
progs+=" $TOP/sla/scenario/sla-scenario.sh"
# The schema version the database must be at: the one the code migrates to.
schema=$(sed -n 's/^#define SLADB_SCHEMA_VERSION \([0-9]*\)$/\1/p' "$TOP/sla/db/sladb.h")
# the application server and its terminal view, once they are built
for p in sla-appserver sla-top; do
	[[ ! -x $sla/$p ]] || progs+=" $sla/$p"
done
if [[ -n $run ]]; then
	port=${SLA_PORT:-8080}
	msg "  SLA     the scenario in the VM ($kver): about 2 minutes"
	MBX_VM_TIMEOUT=${MBX_VM_TIMEOUT:-300} MBX_VM_MODULES="configfs null_blk" \
		MBX_VM_NET=$port MBX_VM_PROGRAMS=$progs EXEC_LABEL="SLA scenario" \
		exec "$VMDIR/vm.sh" exec "$kver" \
		"SLA_VIEW=1 SLA_APP_PORT=8080 SLA_KILLS=$kills SLA_SCHEMA=$schema sh /usr/bin/sla-scenario.sh"
fi
MBX_VM_TIMEOUT=${MBX_VM_TIMEOUT:-300} MBX_VM_MODULES="configfs null_blk" \
	MBX_VM_PROGRAMS=$progs EXEC_LABEL="SLA scenario, $kills sla-core kills" \
	"$VMDIR/vm.sh" exec "$kver" \
	"SLA_KILLS=$kills SLA_SCHEMA=$schema sh /usr/bin/sla-scenario.sh; rc=\$?; echo '# ---- server log'; sed 's/^/#   /' /tmp/sla/server.log; exit \$rc" \
	>"$out.raw" 2>&1
rc=$?
awk '/^ok - / { n++; sub(/^ok - /, "ok " n " - ") }
     /^not ok - / { n++; sub(/^not ok - /, "not ok " n " - ") }
     { print }' "$out.raw" >"$out"
echo "# sla scenario on $kver"
grep -v '^#   [0-9:.]* sla-' "$out" || true
passed=$(grep -c '^ok [0-9]* - ' "$out")
failed=$(grep -c '^not ok [0-9]* - ' "$out")
((rc == 0 || failed > 0)) || failed=1
wall=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
echo "# sla scenario on $kver: $passed passed, $failed failed, $wall s (host load average $load0 at the start, $(cut -d' ' -f1 /proc/loadavg) at the end; log: $out)"
printf 'passed=%d\nfailed=%d\nskipped=0\nwall=%q\n' "$passed" "$failed" "$wall" >"$result"
((failed == 0))
