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
#   sla-check.sh --pg KERNEL [KILLS]  `make sla-pg`: the same with the
#                                   database on a PostgreSQL server on the
#                                   host (sla/tests/pgserver.sh, a throw-away
#                                   cluster on 127.0.0.1), reached from the
#                                   VM through QEMU's guestfwd
#   sla-check.sh --run KERNEL       `make run`: the same, its output as it
#                                   comes, a line of state every 3 s, and
#                                   the web page (sla-appserver, when built)
#                                   on the host's 127.0.0.1:SLA_PORT (8080)
#
# Run `make` first (it builds sla/).  MBX_SLA_KEEP=DIR copies the scenario's
# logs and database out of the VM's console output into DIR.
# MBX_SLA_BROWSER=0 leaves out the real-browser test of the web page that
# runs beside the scenario (on the host, through a forwarded port).
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

run= pg=
if [[ ${1:-} == --run ]]; then
	run=1
	shift
elif [[ ${1:-} == --pg ]]; then
	pg=1
	shift
fi
name=${1:?usage: sla-check.sh [--run | --pg] KERNEL [KILLS]}
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
out=$BUILD/vm/sla${pg:+-pg}-$kver.tap
result=$BUILD/vm/sla${pg:+-pg}-$kver.result
rm -f "$result"
t0=$EPOCHREALTIME
# the bounds the scenario asserts assume the VM has a core to itself
load0=$(cut -d' ' -f1 /proc/loadavg)
progs="$sla/sla-gateway $sla/sla-conf $sla/sla-dbm $sla/sla-monitor $sla/sla-core"
progs+=" $sla/sla-supervisor $sla/sla-ctl $(command -v fio) $(command -v sqlite3)"
progs+=" $TOP/sla/scenario/sla-scenario.sh $TOP/sla/scenario/vmlib.sh"
progs+=" $TOP/sla/scenario/run-host-check.sh $TOP/sla/run-host.sh"
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
# The page in a real browser beside the scenario (MBX_SLA_BROWSER=0: not):
# the application server in the VM, its port forwarded to a free port of
# the host's 127.0.0.1, Chromium on the host (sla/tests/browser_test.sh).
# The SLA the test creates, a cap of 30 IOPS for the scenario's third host
# sla/web, must come back as sla-core's "cap" decision on the page, and
# the scenario checks its io.max.
free_port() { # a TCP port of 127.0.0.1 that nothing listens on
	local p
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 40000))
		ss -Hltn "sport = :$p" | grep -q . || { echo "$p"; return 0; }
	done
	return 1
}
browser=
net=()
if [[ ${MBX_SLA_BROWSER:-1} != 0 && -x $sla/sla-appserver ]]; then
	port=$(free_port) || die "no free port on 127.0.0.1 for the browser test"
	browser=$port
	net=(MBX_VM_NET="$port")
	mkdir -p "$BUILD/vm/sla-$kver"
fi
vmenv="SLA_KILLS=$kills SLA_SCHEMA=$schema"
[[ -z $browser ]] || vmenv+=" SLA_APP_PORT=8080 SLA_BROWSER=1"
# --pg: a cluster of its own, database "sla", reached as 10.0.2.100:5432
if [[ -n $pg ]]; then
	pgdir=$BUILD/vm/sla-pg-$kver.cluster
	pgs=$TOP/sla/tests/pgserver.sh
	"$pgs" "$pgdir" destroy
	"$pgs" "$pgdir" init tcp && "$pgs" "$pgdir" start || die "PostgreSQL: no server started"
	trap '"$pgs" "$pgdir" destroy' EXIT
	pgport=$(cat "$pgdir/port")
	pgpw=$(cut -d: -f5 "$pgdir/pgpass")
	pgci="$("$pgs" "$pgdir" conninfo)"
	psql "$pgci dbname=postgres" -qAtc "CREATE DATABASE sla" || die "PostgreSQL: CREATE DATABASE sla failed"
	if [[ -z $browser ]]; then
		port=$(free_port) || die "no free port on 127.0.0.1"
		net=(MBX_VM_NET="$port")
	fi
	net+=(MBX_VM_GUESTFWD="$pgport")
	bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
	progs+=" $bindir/psql"
	vmenv+=" SLA_PG=1 SLA_DB_ADDRESS='host=10.0.2.100 port=5432 dbname=sla user=sla password=$pgpw connect_timeout=5'"
fi
env "${net[@]}" MBX_VM_TIMEOUT=${MBX_VM_TIMEOUT:-300} MBX_VM_MODULES="configfs null_blk" \
	MBX_VM_PROGRAMS="$progs" EXEC_LABEL="SLA scenario, $kills sla-core kills${browser:+, the page in Chromium}" \
	"$VMDIR/vm.sh" exec "$kver" \
	"$vmenv sh /usr/bin/sla-scenario.sh; rc=\$?; echo '# ---- server log'; sed 's/^/#   /' /tmp/sla/server.log; echo '# ---- make run SLA_CONF=FILE SLA_DRY_RUN=1'; sh /usr/bin/run-host-check.sh || rc=1; exit \$rc" \
	>"$out.raw" 2>&1 &
vm=$!
if [[ -n $browser ]]; then
	SLA_BROWSER_WAIT=120 SLA_BROWSER_CAP=30 SLA_BROWSER_DECISION=cap \
		"$TOP/sla/tests/browser_test.sh" "http://127.0.0.1:$browser" \
		"$BUILD/vm/sla-$kver" sla/gold sla/web >"$out.browser" 2>&1
	brc=$?
fi
wait $vm
rc=$?
# --pg: what the host's server holds, read from the host
if [[ -n $pg ]]; then
	pq() { psql "$pgci dbname=sla" -qAtc "$1" 2>&1; }
	n=$(pq "SELECT count(*) FROM samples")
	v=$(pq "SELECT max(version) FROM schema_version")
	if [[ $n =~ ^[0-9]+$ ]] && ((n >= 60)) && [[ $v == "$schema" ]]; then
		echo "ok - PostgreSQL on the host, read from the host: $n samples, schema version $v" >>"$out.raw"
	else
		echo "not ok - PostgreSQL on the host, read from the host: samples $n, schema version $v" >>"$out.raw"
	fi
fi
if [[ -n $browser ]]; then
	cat "$out.browser" >>"$out.raw"
	((brc == 0)) || grep -q '^not ok - ' "$out.browser" ||
		echo "not ok - browser: browser_test.sh exited with status $brc" >>"$out.raw"
fi
awk '/^ok - / { n++; sub(/^ok - /, "ok " n " - ") }
     /^not ok - / { n++; sub(/^not ok - /, "not ok " n " - ") }
     { print }' "$out.raw" >"$out"
echo "# sla scenario on $kver${pg:+, database on PostgreSQL}"
grep -v '^#   [0-9:.]* sla-' "$out" || true
passed=$(grep -c '^ok [0-9]* - ' "$out")
failed=$(grep -c '^not ok [0-9]* - ' "$out")
((rc == 0 || failed > 0)) || failed=1
wall=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
echo "# sla scenario on $kver${pg:+ (PostgreSQL)}: $passed passed, $failed failed, $wall s (host load average $load0 at the start, $(cut -d' ' -f1 /proc/loadavg) at the end; log: $out)"
printf 'passed=%d\nfailed=%d\nskipped=0\nwall=%q\n' "$passed" "$failed" "$wall" >"$result"
((failed == 0))
