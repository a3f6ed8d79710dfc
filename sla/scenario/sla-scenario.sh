#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The SLA server's scenario, in the test VM (busybox sh, the module loaded,
# configfs and null_blk loaded, the sla-* programs, fio and sqlite3 in
# /usr/bin).  Two application hosts, cgroups under /sys/fs/cgroup/sla: gold
# (fio at 40 IOPS, a 12 ms mean latency SLA) and batch (fio at queue depth
# 16, best effort with a 20 IOPS floor), on a null_blk device made slow
# enough to be the bottleneck.  The SLA server's processes run under
# sla-supervisor; the scenario kills sla-core SLA_KILLS times, stages an
# upgrade, makes a pending throttle obsolete (revoked, changed, withdrawn),
# stops sla-dbm to see it found stuck, and ends the batch load.
#
# The checks read independent data: io.max and io.stat of the cgroups,
# the SQLite rows (sqlite3), the mailbox counters (inspection), the
# monitor's journal of the calls it answered, and the exit status of every
# call made from here.  TAP lines "ok - ..." / "not ok - ...", then a
# report.
#
#   SLA_KILLS    sla-core kills (default 5)
#   SLA_BATCH_S  seconds of batch load (default 30 + 2.5 * SLA_KILLS)
#   SLA_OUT      where the logs and the database go (default /tmp/sla)
#   SLA_PG=1     the database is the PostgreSQL server of SLA_DB_ADDRESS
#                (a libpq connection string), read with psql
#   SLA_BROWSER  1: a real-browser test on the host creates an SLA through
#                the REST API (tools/vm/sla-check.sh runs it beside this
#                one): a best-effort cap of 30 IOPS for a third host,
#                sla/web, which starts its I/O (fio at 10 IOPS) once that
#                SLA exists; its "cap" decision and io.max are checked
set -u

KILLS=${SLA_KILLS:-5}
BATCH_S=${SLA_BATCH_S:-$((30 + 5 * KILLS / 2))}
OUT=${SLA_OUT:-/tmp/sla}
CG=/sys/fs/cgroup
DB=$OUT/sla.db
CEIL_US=12000
# the bounds asserted (s): throttle after the batch starts, gold back under
# its ceiling after the throttle, batch's limit lifted after its load ends
BOUND_THROTTLE=15
BOUND_RECOVER=20
BOUND_RESTORE=30

. "$(dirname "$0")/vmlib.sh"
now_ns() { sla-ctl now; }
# seconds between two ns times, one decimal
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }
# SLA_PG=1: the database is the PostgreSQL server SLA_DB_ADDRESS names
# (make sla-pg); psql reads it as sqlite3 reads the SQLite file
if [ "${SLA_PG:-0}" = 1 ]; then
	q() { psql "$SLA_DB_ADDRESS" -qAt -c "$1"; }
else
	q() { sqlite3 -batch -noheader "$DB" "$1"; }
fi
log() { echo "# $*"; }

rm -rf "$OUT"
mkdir -p "$OUT" /run/sla

# ---- the device ----
BLK=nullb1
slowdev_up $BLK || { notok "null_blk: configfs device"; exit 1; }
log "device /dev/$BLK ($DEV): $(cat /sys/block/$BLK/queue/scheduler)"

# ---- the application hosts ----
echo +io >$CG/cgroup.subtree_control
mkdir -p $CG/sla
echo +io >$CG/sla/cgroup.subtree_control
mkdir -p $CG/sla/gold $CG/sla/batch
BROWSER=${SLA_BROWSER:-0}
[ "$BROWSER" != 1 ] || mkdir -p $CG/sla/web
check "cgroups: sla/gold and sla/batch have io.max" test -f $CG/sla/batch/io.max

# ---- the configuration file, which every process reads ----
# gold's SLA is the file's; batch's is created through sla-core below
CONF=$OUT/sla.conf
cat >$CONF <<EOF
[database]
address = ${SLA_DB_ADDRESS:-sqlite:$DB}
pool = 3
[mailboxes]
database = sla-db
monitor = sla-mon
appserver = sla-app
[gateway gw0]
url = http://127.0.0.1:8081
listen = 127.0.0.1:8081
root = $CG
[gateway down]
url = http://127.0.0.1:8082
[gateway slow]
url = http://127.0.0.1:8083
[gateway garbage]
url = http://127.0.0.1:8084
[device $BLK]
id = $DEV
[host gold]
gateway = gw0
cgroup = sla/gold
devices = $BLK
lat_ceiling_us = $CEIL_US
priority = 10
latency_file = $OUT/gold.json
[host batch]
gateway = gw0
cgroup = sla/batch
devices = $BLK
EOF
[ "$BROWSER" != 1 ] || cat >>$CONF <<EOF
[host web]
gateway = gw0
cgroup = sla/web
devices = $BLK
EOF
check "the configuration file is valid (sla-conf --check-config)" \
	sh -c "sla-conf --check-config $CONF >$OUT/check-config.out 2>&1"

# ---- the gateways: one real, three broken ----
sla-gateway -C $CONF -g gw0 -P $OUT/gw.port 2>$OUT/gateway.log &
GW=$!
# slow: accepts, reads, never answers
nc -ll -p 8083 -e sleep 30 >/dev/null 2>&1 &
SLOW=$!
# garbage: reads the request, answers HTTP 200 with a body that is not JSON
cat >$OUT/garbage.sh <<'EOF'
#!/bin/sh
cr=$(printf '\r')
while read -r line && [ "$line" != "$cr" ] && [ -n "$line" ]; do :; done
printf 'HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{"ts_ns": [garbage'
EOF
chmod +x $OUT/garbage.sh
nc -ll -p 8084 -e $OUT/garbage.sh >/dev/null 2>&1 &
GARB=$!
i=0
while [ ! -s $OUT/gw.port ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done

# ---- the workloads (fio), gold first ----
GOLD_S=$((BATCH_S + 45 + KILLS))
start_fio() { # start_fio NAME CGROUP SECONDS ARGS...
	name=$1 cg=$2 t=$3
	shift 3
	sh -c "echo \$\$ >$CG/$cg/cgroup.procs; exec fio --name=$name --filename=/dev/$BLK \
		--direct=1 --rw=randread --bs=4k --ioengine=libaio --time_based \
		--runtime=$t $* --output=$OUT/$name.json" >$OUT/$name.fio.log 2>&1 &
}

# ---- the SLA server ----
# with SLA_APP_PORT (make run), the application server too, when built
set --
if [ -n "${SLA_APP_PORT:-}" ] && command -v sla-appserver >/dev/null; then
	set -- -p "sla-appserver=exec sla-appserver -C $CONF -a 0.0.0.0 -p $SLA_APP_PORT"
	log "web page: http://127.0.0.1:$SLA_APP_PORT/ on the host (forwarded)"
fi
sla-supervisor -C $CONF -s 8000 -P $OUT/supervisor.pid \
	-p "sla-dbm@sla-db=exec sla-dbm -C $CONF -P $OUT/dbm.pid" \
	-p "sla-monitor@sla-mon=exec sla-monitor -C $CONF -t 500 -c 300 -j 2 \
		-J $OUT/monitor.journal -P $OUT/monitor.pid" \
	-p "sla-core@sla-app=exec sla-core -C $CONF -s /run/sla -P $OUT/core.pid" \
	"$@" 2>$OUT/server.log &
SUP=$!
i=0
while ! sla-ctl status >/dev/null 2>&1 && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
check "sla-core answers on sla-app" sla-ctl status >/dev/null

i=0
while ! sla-ctl sla-list 2>/dev/null | grep -q "^sla/gold " && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
log "SLAs: $(sla-ctl sla-list 2>&1 | tr '\n' ';')"
gl=$(sla-ctl sla-list 2>/dev/null | grep '^sla/gold ')
gr=$(q "SELECT lat_ceiling_us FROM slas WHERE host='sla/gold';" | cut -d. -f1)
check "gold's SLA from the configuration file is in force (sla-core: ${gl:-none}; database: ${gr:-no row})" \
	sh -c "echo '$gl' | grep -q 'lat_ceiling_us=$CEIL_US .*priority=10 ' && [ '$gr' = $CEIL_US ]"
check "sla-core logged where it came from" grep -q "SLA of sla/gold from $CONF (host gold)" $OUT/server.log
check "SLA for sla/batch accepted" sla-ctl sla-put --create sla/batch iops_floor=20 priority=1
# bad input is refused, with the reason
out=$(sla-ctl sla-put sla/batch iops_floor=50 cap_iops=10 2>&1)
case $out in
*contradictory*) ok "a floor above the cap is refused: $out" ;;
*) notok "a floor above the cap is refused (got: $out)" ;;
esac
out=$(sla-ctl sla-put --create sla/gold lat_ceiling_us=1 2>&1)
case $out in
*"already"*) ok "a second SLA for one host is refused with --create" ;;
*) notok "a second SLA for one host is refused with --create (got: $out)" ;;
esac

# SLA_VIEW=1 (make run): a line of the state every 3 s, from sla-core
if [ "${SLA_VIEW:-0}" = 1 ]; then
	(
		while [ ! -e $OUT/stop-calls ]; do
			sla-ctl status 2>/dev/null | awk -v t="$(date +%T)" '
				/^core/ { split($0, a, " "); core = a[2] " " a[3] " " a[5] }
				/^host/ { f = ""; for (i = 6; i <= NF; i++) f = f " " $i
					  sub(/lat_mean_us=/, "", $4); sub(/riops=/, "", $5)
					  l = $4 > 0 ? sprintf(" %.1f ms", $4 / 1000) : ""
					  h = h sprintf("  %s%s %s IOPS%s |", $2, l, $5, f) }
				END { print "# view " t ":" h " " core }'
			sleep 3
		done
	) &
fi

start_fio gold sla/gold $GOLD_S --iodepth=1 --rate_iops=40 \
	--status-interval=1 --output-format=json+
# sla/web: no I/O (so no device, never a throttle's target) until the
# browser test's SLA for it exists; then fio, and the time its cap shows
# in io.max
if [ "$BROWSER" = 1 ]; then
	(
		while [ ! -e $OUT/stop-calls ]; do
			if sla-ctl sla-list 2>/dev/null | grep -q '^sla/web '; then
				now_ns >$OUT/web.sla
				start_fio web sla/web $GOLD_S --iodepth=1 --rate_iops=10
				break
			fi
			sleep 0.3
		done
		while [ ! -e $OUT/stop-calls ]; do
			if grep -q "$DEV .*riops=30 " $CG/sla/web/io.max; then
				now_ns >$OUT/web.cap
				break
			fi
			sleep 0.2
		done
	) &
fi
# gold alone first: 3 samples with its latency in the database
i=0
while [ $i -lt 200 ]; do
	n=$(q "SELECT count(*) FROM samples WHERE host='sla/gold' AND lat_mean_us > 0;" 2>/dev/null)
	[ "${n:-0}" -lt 3 ] || break
	sleep 0.1
	i=$((i + 1))
done
sleep 1

# ---- batch load: the violation and the throttle ----
T_BATCH=$(now_ns)
start_fio batch sla/batch $BATCH_S --iodepth=16 --output-format=json
T_THROTTLE=
i=0
while [ $i -lt $((BOUND_THROTTLE * 10 + 50)) ]; do
	if grep -q "$DEV .*riops=[0-9]" $CG/sla/batch/io.max; then
		T_THROTTLE=$(now_ns)
		break
	fi
	sleep 0.1
	i=$((i + 1))
done
if [ -n "$T_THROTTLE" ]; then
	d=$(secs $T_BATCH $T_THROTTLE)
	log "io.max of sla/batch: $(cat $CG/sla/batch/io.max) after $d s"
	check "a throttle is in io.max within $BOUND_THROTTLE s of the batch load ($d s)" \
		awk -v d=$d -v b=$BOUND_THROTTLE 'BEGIN { exit !(d <= b) }'
else
	notok "a throttle is in io.max within $BOUND_THROTTLE s of the batch load (none)"
fi

# app calls all the time from here: each must be answered, whatever sla-core does
(
	n=0 bad=0
	while [ ! -e $OUT/stop-calls ]; do
		if sla-ctl status >/dev/null 2>>$OUT/calls.err; then n=$((n + 1)); else bad=$((bad + 1)); fi
		sleep 0.2
	done
	echo "$n $bad" >$OUT/calls.count
) &

# ---- sla-core killed ----
# The first kill with a call of sla-core pending in "sla-mon" (the monitor
# stopped meanwhile): its next run must adopt it.  The second while it
# holds an "sla-app" call waiting for the database (sla-dbm stopped): the
# kernel must deliver that call again, and the caller get one answer.
k=0 restarted=0
while [ $k -lt $KILLS ]; do
	# over 2 s of life: the supervisor restarts one that dies sooner later
	sleep 2.1
	pid=$(cat $OUT/core.pid 2>/dev/null)
	[ -n "$pid" ] || continue
	case $k in
	0)
		mpid=$(cat $OUT/monitor.pid)
		kill -STOP "$mpid"
		sleep 1.2
		kill -9 "$pid"
		kill -CONT "$mpid"
		;;
	1)
		dpid=$(cat $OUT/dbm.pid)
		kill -STOP "$dpid"
		( sla-ctl sla-put --replace sla/batch iops_floor=21 priority=1 >/dev/null 2>$OUT/put.err
		  echo $? >$OUT/put.rc ) &
		# until sla-core holds it (taken, waiting for the database)
		i=0
		while [ $i -lt 30 ]; do
			sleep 0.1
			t=$(sla-ctl stats | sed -n 's/^sla-app .*taken_now=\([0-9]*\).*/\1/p')
			[ "${t:-0}" -ge 1 ] && break
			i=$((i + 1))
		done
		sleep 0.2
		kill -9 "$pid"
		kill -CONT "$dpid"
		;;
	*)
		kill -9 "$pid" 2>/dev/null || continue
		;;
	esac
	k=$((k + 1))
	i=0
	while [ $i -lt 100 ]; do
		new=$(cat $OUT/core.pid 2>/dev/null)
		[ -n "$new" ] && [ "$new" != "$pid" ] && kill -0 "$new" 2>/dev/null && break
		sleep 0.1
		i=$((i + 1))
	done
	[ -n "$new" ] && [ "$new" != "$pid" ] && restarted=$((restarted + 1))
done
check "sla-core killed $KILLS times, restarted each time ($restarted)" [ "$restarted" = "$KILLS" ]
i=0
while [ ! -s $OUT/put.rc ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "the SLA change sla-core held when killed was answered once, and succeeded" \
	[ "$(cat $OUT/put.rc 2>/dev/null)" = 0 ]
check "sla-app: the kernel delivered that call again ($(sla-ctl stats | sed -n 's/^sla-app .*redelivered=\([0-9]*\).*/\1/p') redelivered)" \
	[ "$(sla-ctl stats | sed -n 's/^sla-app .*redelivered=\([0-9]*\).*/\1/p')" -ge 1 ]
f=$(q "SELECT iops_floor FROM slas WHERE host='sla/batch';")
check "database: that SLA change is stored (iops_floor $f)" [ "${f%.0}" = 21 ]
sla-ctl sla-put --replace sla/batch iops_floor=20 priority=1 >/dev/null

# ---- staged upgrade ----
sleep 1
old=$(cat $OUT/core.pid)
kill -USR1 $SUP
i=0
while ! grep -q "the old one (pid $old) exited with status 0 after draining" $OUT/server.log &&
	[ $i -lt 150 ]; do
	sleep 0.1
	i=$((i + 1))
done
new=$(cat $OUT/core.pid)
check "staged upgrade: the old sla-core ($old) drained and exited 0" \
	grep -q "the old one (pid $old) exited with status 0 after draining" $OUT/server.log
check "staged upgrade: the new sla-core ($new) took over" \
	sh -c "[ '$new' != '$old' ] && kill -0 '$new'"

# ---- a pending throttle made obsolete: changed in its slot, then withdrawn ----
sleep 2
lim=$(sed -n "s/^$DEV .*riops=\([0-9]*\).*/\1/p" $CG/sla/batch/io.max)
if [ -n "$lim" ]; then
	mpid=$(cat $OUT/monitor.pid)
	kill -STOP "$mpid"
	sla-ctl sla-put --replace sla/batch iops_floor=$((lim + 30)) priority=1 >/dev/null
	sleep 0.3
	sla-ctl sla-put --replace sla/batch iops_floor=$((lim + 60)) priority=1 >/dev/null
	sleep 0.3
	sla-ctl sla-put --replace sla/batch iops_floor=20 priority=1 >/dev/null
	sleep 0.3
	kill -CONT "$mpid"
	sleep 1
	rev=$(q "SELECT call_id FROM decisions WHERE host='sla/batch' AND action='withdraw' ORDER BY id DESC LIMIT 1;")
	log "revocation: limit $lim, withdrawn call ${rev:-none}"
	nrm=$(q "SELECT count(*) FROM decisions WHERE call_id=${rev:-0} AND action IN ('raise','modify');")
	check "the pending raise was changed in its slot, then withdrawn (call ${rev:-none}: $nrm raise/modify rows)" \
		[ -n "$rev" -a "$nrm" -ge 2 ]
	check "the withdrawn call never reached the monitor (not in its journal)" \
		sh -c "[ -n '$rev' ] && ! grep -q '^$rev ' $OUT/monitor.journal"
else
	notok "a throttle in force for the revocation step (io.max: $(cat $CG/sla/batch/io.max))"
fi

# ---- sla-dbm stopped: found stuck by the supervisor ----
dpid=$(cat $OUT/dbm.pid)
kill -STOP "$dpid"
i=0
while ! grep -q "killing sla-dbm (pid $dpid): stuck" $OUT/server.log && [ $i -lt 250 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "a stopped sla-dbm is found stuck through the mailbox's inspection and killed" \
	grep -q "killing sla-dbm (pid $dpid): stuck" $OUT/server.log
i=0
while ! sla-ctl db-ping >/dev/null 2>&1 && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
check "sla-dbm restarted and answering" sla-ctl db-ping >/dev/null

# ---- the batch load ends: the limit is lifted ----
end=$((T_BATCH / 1000000000 + BATCH_S))
while [ "$(date +%s)" -lt $end ]; do sleep 0.5; done
T_BATCH_END=$(now_ns)
lim_end=$(sed -n "s/^$DEV .*riops=\([0-9]*\).*/\1/p" $CG/sla/batch/io.max)
T_RESTORE=
i=0
while [ $i -lt $((BOUND_RESTORE * 10 + 50)) ]; do
	if ! grep -q "$DEV .*riops=[0-9]" $CG/sla/batch/io.max; then
		T_RESTORE=$(now_ns)
		break
	fi
	sleep 0.1
	i=$((i + 1))
done
if [ -n "$T_RESTORE" ]; then
	d=$(secs $T_BATCH_END $T_RESTORE)
	check "batch's limit lifted within $BOUND_RESTORE s of its load's end ($d s)" \
		awk -v d=$d -v b=$BOUND_RESTORE 'BEGIN { exit !(d <= b) }'
else
	notok "batch's limit lifted within $BOUND_RESTORE s of its load's end (io.max: $(cat $CG/sla/batch/io.max))"
fi
# the batch host gets its throughput back: io.stat counts its reads in a
# new load's first seconds (from 1 s to 2.5 s, before sla-core could answer
# it), against the rate the database saw before its first throttle
start_fio batch2 sla/batch 3 --iodepth=16 --output-format=json
sleep 1
rios0=$(sed -n "s/^$DEV .*rios=\([0-9]*\).*/\1/p" $CG/sla/batch/io.stat)
sleep 1.5
rios1=$(sed -n "s/^$DEV .*rios=\([0-9]*\).*/\1/p" $CG/sla/batch/io.stat)
r2=$(( (${rios1:-0} - ${rios0:-0}) * 2 / 3 ))
r0=$(q "SELECT round(max(riops)) FROM samples WHERE host='sla/batch' AND ts_ns < ${T_THROTTLE:-0};")
check "batch runs unthrottled again: $r2 IOPS in io.stat, ${r0:-?} before its first throttle (its last limit ${lim_end:-lifted already})" \
	awk -v r="$r2" -v b="${r0:-0}" 'BEGIN { exit !(r > 40 && r > 0.6 * b) }'
i=0
while ! grep -q '"iops"' $OUT/batch2.json 2>/dev/null && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done

# ---- stop ----
touch $OUT/stop-calls
sleep 0.5
kill -TERM $SUP
wait $SUP
{
	kill $GW $GARB $SLOW
	# no limit left to hold a bio back while the workloads end
	for c in gold batch web; do
		[ -f $CG/sla/$c/io.max ] && echo "$DEV rbps=max wbps=max riops=max wiops=max" >$CG/sla/$c/io.max
	done
	for p in $(pidof sleep); do kill "$p"; done
	wait $GW $GARB $SLOW
	fio_stop
} 2>/dev/null

# ---- what the independent data says ----
if [ "$BROWSER" = 1 ]; then
	if [ -s $OUT/web.sla ] && [ -s $OUT/web.cap ]; then
		d=$(secs "$(cat $OUT/web.sla)" "$(cat $OUT/web.cap)")
		check "the browser test's SLA for sla/web (cap 30 IOPS) is in its io.max, $d s after it was created (bound 15 s)" \
			awk -v d=$d 'BEGIN { exit !(d <= 15) }'
	else
		notok "the browser test's SLA for sla/web (cap 30 IOPS) is in its io.max (created: $(test -s $OUT/web.sla && echo yes || echo no))"
	fi
	nc=$(q "SELECT count(*) FROM decisions WHERE host='sla/web' AND action='cap' AND new_riops=30;")
	check "database: sla-core's cap decision for sla/web ($nc)" [ "${nc:-0}" -ge 1 ]
fi
log "---- checks on the database, io.stat, the mailbox counters ----"
if [ "${SLA_PG:-0}" = 1 ]; then
	check "database: PostgreSQL $(q 'SHOW server_version;'), the engine sla-dbm logged" \
		grep -q "serving sla-db over 3 postgresql connections to host=10.0.2.100 .*password=\*\*\*" $OUT/server.log
else
	check "database: integrity_check ok" [ "$(q 'PRAGMA integrity_check;')" = ok ]
fi
check "database: schema version ${SLA_SCHEMA:?}" [ "$(q 'SELECT max(version) FROM schema_version;')" = "$SLA_SCHEMA" ]
ng=$(q "SELECT count(*) FROM samples WHERE host='sla/gold';")
nb=$(q "SELECT count(*) FROM samples WHERE host='sla/batch';")
check "database: samples of both hosts ($ng gold, $nb batch)" [ "$ng" -ge 30 -a "$nb" -ge 30 ]
# the median: a host starved of CPU (emulation) shows spikes with no I/O cause
base=$(q "WITH g AS (SELECT lat_mean_us AS l FROM samples WHERE host='sla/gold' AND lat_mean_us > 0 AND ts_ns < $T_BATCH) SELECT round(l) FROM g ORDER BY l LIMIT 1 OFFSET (SELECT count(*) / 2 FROM g);")
check "gold within its SLA before the batch load (median ${base:-?} us)" \
	awk -v b="${base:-0}" -v c=$CEIL_US 'BEGIN { exit !(b > 0 && b < c) }'
worst=$(q "SELECT round(max(lat_mean_us)) FROM samples WHERE host='sla/gold' AND ts_ns BETWEEN $T_BATCH AND ${T_THROTTLE:-$T_BATCH} + 2000000000;")
check "gold over its SLA under the batch load (${worst:-?} us > $CEIL_US)" \
	awk -v w="${worst:-0}" -v c=$CEIL_US 'BEGIN { exit !(w > c) }'
if [ -n "$T_THROTTLE" ]; then
	# the first sample after the throttle from which three in a row are under
	back=$(q "WITH g AS (SELECT ts_ns, lat_mean_us AS l, lead(lat_mean_us, 1) OVER w AS l1, lead(lat_mean_us, 2) OVER w AS l2 FROM samples WHERE host='sla/gold' AND ts_ns > $T_THROTTLE WINDOW w AS (ORDER BY ts_ns)) SELECT min(ts_ns) FROM g WHERE l < $CEIL_US AND l1 < $CEIL_US AND l2 < $CEIL_US AND l > 0;")
	if [ -n "$back" ]; then
		d=$(secs $T_THROTTLE $back)
		check "gold back within its SLA within $BOUND_RECOVER s of the throttle ($d s, three samples in a row)" \
			awk -v d=$d -v b=$BOUND_RECOVER 'BEGIN { exit !(d <= b) }'
	else
		notok "gold back within its SLA after the throttle (never three samples in a row)"
	fi
	after=$(q "SELECT round(avg(lat_mean_us)) FROM samples WHERE host='sla/gold' AND ts_ns > ${back:-0} + 3000000000 AND ts_ns < $T_BATCH_END;")
	log "gold mean latency from 3 s after recovery to the batch's end: ${after:-?} us"
fi
# io.stat: batch did I/O and was held back (counted by the kernel)
rios=$(sed -n "s/^$DEV .*rios=\([0-9]*\).*/\1/p" $CG/sla/batch/io.stat)
check "io.stat: batch's reads counted by the kernel (${rios:-0})" [ "${rios:-0}" -gt 100 ]

# every throttle answered by the monitor is recorded once; none recorded that it did not answer
grep ' 0x301 0$' $OUT/monitor.journal | cut -d' ' -f1 | sort >$OUT/answered.ids
q "SELECT call_id FROM decisions WHERE action IN ('throttle','relax','lift','cap','raise') AND call_id > 0 AND call_id NOT IN (SELECT call_id FROM decisions WHERE action IN ('failed','withdraw'));" | sort >$OUT/recorded.ids
nans=$(wc -l <$OUT/answered.ids)
check "monitor journal: no call answered twice ($(wc -l <$OUT/monitor.journal) answers)" \
	[ "$(cut -d' ' -f1 $OUT/monitor.journal | sort | uniq -d | wc -l)" = 0 ]
check "every throttle the monitor applied has one decision row, and each row one applied call ($nans)" \
	sh -c "[ $nans -gt 0 ] && cmp -s $OUT/answered.ids $OUT/recorded.ids"
nthr=$(q "SELECT count(*) FROM decisions WHERE host='sla/batch' AND action='throttle';")
nlift=$(q "SELECT count(*) FROM decisions WHERE host='sla/batch' AND action='lift';")
check "database: batch throttled ($nthr) and lifted ($nlift)" [ "$nthr" -ge 1 -a "$nlift" -ge 1 ]
sla-ctl stats >$OUT/stats.txt
cat $OUT/stats.txt | sed 's/^/# /'
field() { sed -n "s/^$1 .*$2=\([0-9]*\).*/\1/p" $OUT/stats.txt; }
for b in sla-db sla-mon sla-app; do
	s=$(field $b submitted) c=$(field $b completed) x=$(field $b cancelled)
	p=$(field $b pending) t=$(field $b taken_now) r=$(field $b replied)
	check "$b: every call answered once and collected (submitted $s = completed $c + cancelled $x; pending $p, taken $t, replied $r)" \
		[ -n "$s" -a "$s" = "$((c + x))" -a "$p" = 0 -a "$t" = 0 -a "$r" = 0 ]
done
mc=$(field sla-mon completed)
check "sla-mon: the monitor's journal has every completion ($(wc -l <$OUT/monitor.journal) = $mc)" \
	[ "$(wc -l <$OUT/monitor.journal)" = "$mc" ]
read -r ncalls nbad <$OUT/calls.count
check "every app call made during the kills and the upgrade answered ($ncalls, $nbad failed)" \
	[ "$nbad" = 0 -a "$ncalls" -gt 10 ]
gws=$(grep -c 'gateway \(down\|slow\|garbage\):' $OUT/server.log)
# a monitor the supervisor killed as stuck (a VM starved of CPU) did not
# crash: every restart of it must be such a kill
mon=$(sed -n 's/.*sla-monitor: \([0-9]*\) restart(s), \([0-9]*\) killed as stuck/\1 \2/p' $OUT/server.log)
check "the down, slow and garbage gateways reported; the monitor never died of them (restarts, kills as stuck: ${mon:-?})" \
	sh -c "grep -q 'gateway down:' $OUT/server.log && grep -q 'gateway slow: timed out' $OUT/server.log && grep -q 'gateway garbage: not a JSON' $OUT/server.log && [ -n '$mon' ] && [ '${mon% *}' = '${mon#* }' ]"

# ---- report ----
echo "# ---- report ----"
echo "# device /dev/$BLK $DEV; gold 40 IOPS with a $CEIL_US us mean latency SLA; batch iodepth 16"
echo "# gold before the batch load: ${base:-?} us (median); worst under it: ${worst:-?} us"
[ -z "$T_THROTTLE" ] || echo "# throttle in io.max $(secs $T_BATCH $T_THROTTLE) s after the batch load began"
[ -z "${back:-}" ] || echo "# gold back within its SLA $(secs $T_THROTTLE $back) s after the throttle"
[ -z "$T_RESTORE" ] || echo "# batch's limit lifted $(secs $T_BATCH_END $T_RESTORE) s after its load ended"
grep -E 'VIOLATION|RECOVERED' $OUT/server.log | sed 's/^/#   /' | head -n 12
echo "# decisions (the database):"
q "SELECT action, count(*) FROM decisions GROUP BY action ORDER BY action;" | sed 's/^/#   /'
if [ "${SLA_PG:-0}" = 1 ]; then
	q "SELECT to_char(to_timestamp(ts_ns / 1e9) AT TIME ZONE 'UTC', 'HH24:MI:SS.MS') || ' ' || rpad(action, 8) || ' ' || rpad(host, 9) || ' riops ' || coalesce(old_riops::text, 'max') || ' -> ' || coalesce(new_riops::text, 'max') || '  call ' || call_id || '  ' || reason FROM decisions ORDER BY id;" | sed 's/^/#   /' | head -n 40
else
	q "SELECT printf('%s %-8s %-9s riops %s -> %s  call %s  %s', strftime('%H:%M:%f', ts_ns / 1e9, 'unixepoch'), action, host, coalesce(old_riops, 'max'), coalesce(new_riops, 'max'), call_id, reason) FROM decisions ORDER BY id;" | sed 's/^/#   /' | head -n 40
fi
echo "# sla-core: $(grep -c 'generation [0-9]*, pid' $OUT/server.log) runs; adopted calls:"
grep -E 'call\(s\) of a previous run|adopted call|delivered again' $OUT/server.log | sed 's/^/#   /' | head -n 30
grep 'restart(s)' $OUT/server.log | sed 's/^/#   /'
echo "# app calls from here: $ncalls answered, $nbad failed"

# leave the device as it was, so that null_blk unloads
rmdir $CG/sla/gold $CG/sla/batch $CG/sla/web $CG/sla 2>/dev/null
log "teardown: null_blk $BLK powered off ($(ls $CG/sla 2>/dev/null | wc -l) cgroup files left, fio: $(pidof fio))"
slowdev_down $BLK
[ $fails = 0 ]
