#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# sla-monitor's collection without the mailbox (--probe): one real
# sla-gateway over a fake cgroup tree, and three broken gateways made with
# busybox nc (nothing listening, a listener that never answers, an answer
# that is not JSON), all on 127.0.0.1; a latency file written by fio
# itself.  The rates and latencies printed are compared with what the files
# say, computed here with jq and awk.  Prints "ok - ..." / "not ok - ...".
#
#   monitor_test.sh BUILD_DIR
set -uo pipefail

build=$1
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"' EXIT

. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"
near() { # near A B TOLERANCE: |A - B| <= TOLERANCE
	awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'
}

root=$tmp/cg
mkdir -p "$root"/sla/{gold,batch}
printf '254:1 rbytes=4096000 wbytes=0 rios=1000 wios=0 dbytes=0 dios=0\n' >"$root/sla/gold/io.stat"
printf '254:1 rbytes=409600 wbytes=8192 rios=100 wios=2 dbytes=0 dios=0\n' >"$root/sla/batch/io.stat"
: >"$root/sla/gold/io.max"
: >"$root/sla/batch/io.max"

"$build/sla-gateway" -r "$root" -c sla/gold -c sla/batch -p 0 -P "$tmp/port" 2>"$tmp/gw.log" &
pids+=($!)
for _ in $(seq 50); do [[ -s $tmp/port ]] && break; sleep 0.1; done
gw=$(cat "$tmp/port" 2>/dev/null)
[[ -n $gw ]] || { not_ok "gateway starts"; exit 1; }

down=$(free_port) slow=$(free_port) garbage=$(free_port)
busybox nc -ll -p "$slow" -e sleep 30 >/dev/null 2>&1 &
pids+=($!)
cat >"$tmp/garbage.sh" <<'EOF'
#!/bin/sh
cr=$(printf '\r')
while read -r line && [ "$line" != "$cr" ] && [ -n "$line" ]; do :; done
printf 'HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{"ts_ns": [garbage'
EOF
chmod +x "$tmp/garbage.sh"
busybox nc -ll -p "$garbage" -e "$tmp/garbage.sh" >/dev/null 2>&1 &
pids+=($!)
sleep 0.3

# gold's latency: fio's own JSON status, every second, for 3 s
fio --name=gold --filename="$tmp/data" --size=4M --rw=randread --bs=4k \
	--ioengine=psync --rate_iops=200 --time_based --runtime=3 \
	--status-interval=1 --output-format=json+ --output="$tmp/gold.json" >/dev/null 2>&1
check "fio wrote its statuses ($(grep -c '"fio version"' "$tmp/gold.json"))" \
	[ "$(grep -c '"fio version"' "$tmp/gold.json")" -ge 3 ]

t0=$EPOCHREALTIME
{
	sleep 0.5
	# 300 more reads and 300 KiB for gold, 50 reads for batch
	printf '254:1 rbytes=4403200 wbytes=0 rios=1300 wios=0 dbytes=0 dios=0\n' >"$root/sla/gold/io.stat"
	printf '254:1 rbytes=614400 wbytes=8192 rios=150 wios=2 dbytes=0 dios=0\n' >"$root/sla/batch/io.stat"
	echo next
	sleep 0.5
	# batch re-created: its counters start again
	printf '254:1 rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n' >"$root/sla/batch/io.stat"
	echo next
} | "$build/sla-monitor" --probe 3 -g gw0=http://127.0.0.1:$gw \
	-g down=http://127.0.0.1:$down -g slow=http://127.0.0.1:$slow \
	-g garbage=http://127.0.0.1:$garbage -t 400 -c 200 \
	-l sla/gold="$tmp/gold.json" >"$tmp/out" 2>"$tmp/err"
rc=$?
t1=$EPOCHREALTIME
check "sla-monitor --probe ran to its end with three broken gateways (status $rc)" [ $rc = 0 ]
check "three collections, each waiting one timeout at most for the silent gateway: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s" \
	awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 3.5) }'
sed -n '1,/^collection 2/p' "$tmp/out" | grep -q '^sample ' &&
	not_ok "no sample from one reading" || ok "no sample from one reading (rates need two)"

line() { awk -v c="collection $1:" -v h="$2" '$0 ~ "^collection" { on = index($0, c) == 1 } on && $1 == "sample" && $2 == h' "$tmp/out"; }
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }
gold=$(line 2 sla/gold)
batch=$(line 2 sla/batch)
check "collection 2 has a sample of each host" [ -n "$gold" -a -n "$batch" ]
gi=$(field interval_ms "$gold")
check "gold: riops x interval = the 300 reads io.stat gained ($(field riops "$gold") x $gi ms)" \
	near "$(awk -v r="$(field riops "$gold")" -v i="$gi" 'BEGIN { print r * i / 1000 }')" 300 3
check "gold: rbps x interval = the 307200 bytes read" \
	near "$(awk -v r="$(field rbps "$gold")" -v i="$gi" 'BEGIN { print r * i / 1000 }')" 307200 3100
check "batch: 50 reads, no writes" \
	sh -c "$(declare -f near); near \$(awk -v r=$(field riops "$batch") -v i=$(field interval_ms "$batch") 'BEGIN { print r * i / 1000 }') 50 1 && near $(field wiops "$batch") 0 0.001"
check "batch has no latency (no source), gold has one" \
	[ "$(field lat "$batch")" = 0 -a "$(field lat "$gold")" = 1 ]

# the last interval of fio's own statuses: I/O count, mean, p50, p99, max
jq -s '[.[] | select(.jobs)] | .[-2:] | map(.jobs[0].read.clat_ns)' "$tmp/gold.json" >"$tmp/last2.json"
want_mean=$(jq '(.[1].mean * .[1].N - .[0].mean * .[0].N) / (.[1].N - .[0].N) / 1000' "$tmp/last2.json")
jq -r '.[0].bins as $p | .[1].bins | to_entries[] | "\(.key) \(.value - ($p[.key] // 0))"' \
	"$tmp/last2.json" | awk '$2 > 0' | sort -n >"$tmp/delta"
read -r want_p50 want_p99 want_max < <(awk '{ v[NR] = $1; c[NR] = $2; n += $2 }
	END { r50 = int((n * 50 + 99) / 100); r99 = int((n * 99 + 99) / 100)
	      for (i = 1; i <= NR; i++) { a += c[i]
		      if (!p50 && a >= r50) p50 = v[i]; if (!p99 && a >= r99) p99 = v[i] }
	      printf "%.3f %.3f %.3f\n", p50 / 1000, p99 / 1000, v[NR] / 1000 }' "$tmp/delta")
check "gold: the interval's mean latency from fio's statuses ($(field lat_mean_us "$gold") us, $want_mean us)" \
	near "$(field lat_mean_us "$gold")" "$want_mean" 0.01
check "gold: p50, p99, max from the difference of fio's histograms ($want_p50, $want_p99, $want_max us)" \
	sh -c "[ $(field lat_p50_us "$gold") = $want_p50 ] && [ $(field lat_p99_us "$gold") = $want_p99 ] && [ $(field lat_max_us "$gold") = $want_max ]"

check "batch re-created (counters fell): no sample for it, gold's still there" \
	sh -c "[ -z \"$(line 3 sla/batch)\" ] && [ -n \"$(line 3 sla/gold)\" ]"
gwline() { grep "^gateway $1 " "$tmp/out" | tail -n1; }
check "gateway gw0: OK ($(gwline gw0 | cut -c1-60))" sh -c "gwline() { grep \"^gateway \$1 \" $tmp/out | tail -n1; }; gwline gw0 | grep -q 'state=0 requests=3 failures=0'"
check "gateway down: reported down, 3 failures" sh -c "grep '^gateway down ' $tmp/out | tail -n1 | grep -q 'state=1 requests=3 failures=3'"
check "gateway slow: reported timed out, 3 failures" sh -c "grep '^gateway slow ' $tmp/out | tail -n1 | grep -q 'state=2 requests=3 failures=3 msg=timed out'"
check "gateway garbage: reported garbage, 3 failures" sh -c "grep '^gateway garbage ' $tmp/out | tail -n1 | grep -q 'state=3 requests=3 failures=3 msg=not a JSON object'"
check "each broken gateway logged once, not on every collection" \
	[ "$(grep -c 'gateway \(down\|slow\|garbage\):' "$tmp/err")" = 3 ]
