#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The SLA server on this host, against an administrator's configuration
# file naming real devices and cgroups (`make run SLA_CONF=FILE`): the
# gateways of the file that listen on this host, then the database
# manager, the monitor daemon, the SLA core and the application server
# under sla-supervisor, each with -C FILE.  A line of state every 3 s
# while it runs; on Ctrl-C (or after SLA_RUN_S seconds) everything is
# stopped and a report printed: the decisions, the throttles in force,
# the mailboxes' counters reconciled.  POSIX sh, so that it runs in the
# test VM's busybox too.
#
#   run-host.sh FILE
#
#   SLA_DRY_RUN=1   only observe: sla-core decides and logs ("dry run:
#                   would ...") but sends no throttle, and nothing writes
#                   io.max
#   SLA_RUN_S=N     stop after N seconds (default: at Ctrl-C)
#   SLA_GATEWAYS    the [gateway] sections to run here (default: those
#                   whose listen address is 127.0.0.1 or one of this
#                   host's addresses); "" runs none
#   SLA_OUT=DIR     the logs, the monitor's journal, sla-core's state
#                   (default /tmp/sla-run)
#   SLA_BIN=DIR     the programs (default: sla/build beside this script)
set -u

conf=${1:-}
here=$(cd "$(dirname "$0")" && pwd)
bin=${SLA_BIN:-$here/build}
out=${SLA_OUT:-/tmp/sla-run}
dry=${SLA_DRY_RUN:-0}
die() { echo "run-host.sh: $*" >&2; exit 1; }
log() { echo "# $*"; }

[ -n "$conf" ] || die "usage: run-host.sh FILE (make run SLA_CONF=FILE)"
[ -r "$conf" ] || die "$conf: cannot read it"
case $conf in /*) ;; *) conf=$(pwd)/$conf ;; esac
for p in sla-conf sla-gateway sla-dbm sla-monitor sla-core sla-supervisor sla-ctl; do
	[ -x "$bin/$p" ] || die "$bin/$p is not built: run 'make' first"
done
"$bin/sla-conf" --check-config "$conf" || exit 1
if [ ! -c /dev/mailbox ]; then
	die "/dev/mailbox is not there: load the module first (make install; modprobe mbx), or run 'make run' without SLA_CONF for the VM scenario"
fi
if [ "$dry" != 1 ] && [ "$(id -u)" != 0 ]; then
	die "the gateways write io.max: run as root, or with SLA_DRY_RUN=1 to only observe"
fi

dump=$("$bin/sla-conf" --dump "$conf") || exit 1
get() { echo "$dump" | sed -n "s|^$1=||p"; }
mb_db=$(get mailboxes.database)
mb_mon=$(get mailboxes.monitor)
mb_app=$(get mailboxes.appserver)
listen=$(get appserver.listen)
if [ -z "${SLA_GATEWAYS+set}" ]; then
	addrs="127.0.0.1 $(hostname -i 2>/dev/null) $(ip -4 -o addr show 2>/dev/null | awk '{ sub(/\/.*/, "", $4); print $4 }')"
	SLA_GATEWAYS=
	for g in $(echo "$dump" | sed -n 's/^gateway\.\([^.]*\)\.listen=.*/\1/p'); do
		a=$(get "gateway.$g.listen")
		for x in $addrs; do
			if [ "${a%:*}" = "$x" ] || [ "${a%:*}" = 0.0.0.0 ]; then
				SLA_GATEWAYS="$SLA_GATEWAYS $g"
				break
			fi
		done
	done
fi

mkdir -p "$out/state" || exit 1
rm -f "$out"/*.log "$out/monitor.journal"
# the processes' shell reads the path from the environment: no quoting
export SLA_CONF="$conf"
log "configuration $conf$( [ "$dry" = 1 ] && echo ', dry run: nothing is throttled')"
log "logs in $out"

pids=
for g in $SLA_GATEWAYS; do
	"$bin/sla-gateway" -C "$conf" -g "$g" 2>>"$out/gateway-$g.log" &
	pids="$pids $!"
	log "gateway $g on $(get "gateway.$g.listen") (pid $!)"
done
set -- -p "sla-dbm@$mb_db=exec $bin/sla-dbm -C \"\$SLA_CONF\"" \
	-p "sla-monitor@$mb_mon=exec $bin/sla-monitor -C \"\$SLA_CONF\" -J $out/monitor.journal" \
	-p "sla-core@$mb_app=exec $bin/sla-core -C \"\$SLA_CONF\" -s $out/state$( [ "$dry" = 1 ] && echo ' -n')"
if [ -x "$bin/sla-appserver" ]; then
	set -- "$@" -p "sla-appserver=exec $bin/sla-appserver -C \"\$SLA_CONF\""
	log "web page: http://$listen/"
fi
"$bin/sla-supervisor" -C "$conf" -P "$out/supervisor.pid" "$@" 2>>"$out/server.log" &
sup=$!

stop=0
trap 'stop=1' INT TERM
t0=$(date +%s)
while [ $stop = 0 ] && kill -0 $sup 2>/dev/null; do
	sleep 3
	[ -n "${SLA_RUN_S:-}" ] && [ $(($(date +%s) - t0)) -ge "$SLA_RUN_S" ] && break
	"$bin/sla-ctl" -C "$conf" status 2>/dev/null | awk -v t="$(date +%T)" '
		/^core/ { core = $2 " " $3 " " $5 }
		/^host/ { f = ""; for (i = 6; i <= NF; i++) f = f " " $i
			  sub(/lat_mean_us=/, "", $4); sub(/riops=/, "", $5)
			  l = $4 > 0 ? sprintf(" %.1f ms", $4 / 1000) : ""
			  h = h sprintf("  %s%s %s IOPS%s |", $2, l, $5, f) }
		END { print "# view " t ":" h " " core }'
done
trap - INT TERM

echo "# ---- report ----"
"$bin/sla-ctl" -C "$conf" throttles >"$out/throttles.txt" 2>&1
kill -TERM $sup 2>/dev/null
wait $sup
for p in $pids; do kill -TERM "$p" 2>/dev/null; done
wait
if [ "$dry" = 1 ]; then
	n=$(grep -c 'dry run: would' "$out/server.log")
	log "dry run: $n decision(s) not sent; each kind, with its last reason:"
	grep 'dry run: would' "$out/server.log" | sed 's/.*dry run: would \([a-z]*\) \([^ ]*\) to riops \([0-9]*\): \(.*\)/\1 \2 riops \3: \4/' |
		awk '{ k = $1 " " $2; n[k]++; last[k] = $0 } END { for (k in n) printf "#   %s (%d times)\n", last[k], n[k] }'
else
	log "decisions: $(grep -c 'decision: ' "$out/server.log")"
	grep 'decision: ' "$out/server.log" | sed 's/^/#   /' | tail -n 20
fi
log "throttles in force at the end:"
sed 's/^/#   /' "$out/throttles.txt"
grep 'restart(s)' "$out/server.log" | sed 's/^/#   /'
log "the mailboxes' counters:"
"$bin/sla-ctl" -C "$conf" stats >"$out/stats.txt" 2>&1
bad=0
for b in "$mb_db" "$mb_mon" "$mb_app"; do
	line=$(grep "^$b " "$out/stats.txt")
	f() { echo "$line" | sed -n "s/.* $1=\([0-9]*\).*/\1/p"; }
	s=$(f submitted) c=$(f completed) x=$(f cancelled) p=$(f pending) t=$(f taken_now) r=$(f replied)
	if [ -n "$s" ] && [ "$s" = $((c + x)) ] && [ "$p$t$r" = 000 ]; then
		log "  $b: $s calls submitted = $c completed + $x cancelled; none left"
	else
		log "  $b: NOT reconciled: ${line:-no such mailbox}"
		bad=1
	fi
done
j=$(wc -l <"$out/monitor.journal" 2>/dev/null || echo 0)
log "  the monitor's journal: $j calls answered"
exit $bad
