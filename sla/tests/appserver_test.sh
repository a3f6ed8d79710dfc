#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# sla-appserver on its own: boots a VM (tools/vm/vm.sh exec, the module
# loaded) that runs sla-app-stub (a stand-in for sla-core and sla-dbm) and
# sla-appserver on port 8080, forwarded to the host's 127.0.0.1:PORT
# (MBX_VM_NET); then, from the host, the REST API with curl (every
# refusal, the answers, the calls that time out, are withdrawn or
# paged), the JSON the page reads, and tests/browser_test.sh (Chromium).
# Prints "ok - ..." / "not ok - ..." lines.
#
#   appserver_test.sh [KERNEL]      (default 6.12; run `make` first)
#
# What is checked beyond the server's own answers: the kernel's counters
# of "sla-app" (a withdrawn call is counted cancelled by the kernel), the
# stub's SLA table as the next request reads it (a refused request
# changed nothing), and the page as Chromium drew it.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${SLA_BUILD:-$top/sla/build}
kernel=${1:-6.12}
tmp=$(mktemp -d)
vmpid=

. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"

cleanup() {
	if [[ -n $vmpid ]] && kill -0 "$vmpid" 2>/dev/null; then
		curl -s --noproxy '*' --max-time 2 "$base/test-done" >/dev/null
		wait "$vmpid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

for f in "$build/sla-appserver" "$build/sla-top" "$build/tests/sla-app-stub"; do
	[[ -x $f ]] || { not_ok "$f is built (make -C sla)"; exit 1; }
done
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port

# In the VM: the stub (2 SLAs per list answer, stub/slow answered after
# 4 s, 5 s of pause after stub/pause), the server (2 s for a REST call,
# the page's data every 500 ms, charts of 60 s in 60 points), until the
# host asks for /test-done.
vmcmd=': >/tmp/as.log
sla-app-stub -l 2 -s 4 -p 5 -t 500 2>/tmp/stub.log & stub=$!
sla-appserver -a 0.0.0.0 -p 8080 -t 2000 -r 500 -H 60 -n 60 -v 2>/tmp/as.log & as=$!
i=0
while ! grep -q "GET /test-done" /tmp/as.log && [ $i -lt 4000 ]; do sleep 0.1; i=$((i + 1)); done
sla-top -u http://127.0.0.1:8080 -n 1 >/tmp/top.txt 2>&1; echo "top exit $?"
sed "s/^/top: /" /tmp/top.txt
kill -TERM $as; wait $as; echo "appserver exit $?"
kill -TERM $stub; wait $stub; echo "stub exit $?"
sed "s/^/as: /" /tmp/as.log | tail -n 60
sed "s/^/stub: /" /tmp/stub.log'
EXEC_LABEL="sla-appserver with sla-app-stub" MBX_VM_NET=$port \
MBX_VM_PROGRAMS="$build/sla-appserver $build/sla-top $build/tests/sla-app-stub" \
	"$top/tools/vm/vm.sh" exec "$kernel" "$vmcmd" >"$tmp/vm.out" 2>&1 &
vmpid=$!

# req METHOD PATH [CURL ARGS...]: sets $status, the body in $tmp/body
req() {
	local method=$1 path=$2
	shift 2
	status=$(curl -s --path-as-is --max-time 20 --noproxy '*' \
		-o "$tmp/body" -D "$tmp/headers" -w '%{http_code}' \
		-X "$method" "$@" "$base$path")
}
post() { req POST /api/v1/slas -H 'Content-Type: application/json' --data-binary "$1"; }
put() { req PUT "/api/v1/slas/$1" -H 'Content-Type: application/json' --data-binary "$2"; }
jqb() { jq -e "$@" "$tmp/body" >/dev/null 2>&1; }
# expect STATUS DESCRIPTION [JQ ARGS... FILTER]: the last request's answer
expect() {
	local want=$1 what=$2
	shift 2
	if [[ $status != "$want" ]]; then
		not_ok "$what (status $status, want $want)"
		sed 's/^/# /' "$tmp/body" | head -c 2000
	elif (($#)) && ! jqb "$@"; then
		not_ok "$what (the body does not satisfy ${*: -1})"
		sed 's/^/# /' "$tmp/body" | head -c 2000
	else
		ok "$what"
	fi
}
# refused STATUS DESCRIPTION BODY WORDS: a POST refused with these words
refused() {
	post "$3"
	expect "$1" "refused with $1: $2" \
		--arg w "$4" '(.error | contains($w)) and .status == '"$1"
}
app_stat() { # app_stat FIELD: the kernel's counter of sla-app
	curl -s --noproxy '*' --max-time 10 "$base/api/v1/mailboxes" |
		jq -r --arg f "$1" '.[] | select(.name == "sla-app") | .stats[$f]'
}

# Wait for the VM to boot and the server to answer.
for _ in $(seq 600); do
	curl -s --noproxy '*' --max-time 2 -o /dev/null "$base/api/v1/state" && break
	kill -0 "$vmpid" 2>/dev/null || break
	sleep 0.5
done
if ! curl -s --noproxy '*' --max-time 5 -o /dev/null "$base/api/v1/state"; then
	not_ok "sla-appserver answers on $base"
	sed 's/^/# /' "$tmp/vm.out"
	exit 1
fi
ok "sla-appserver answers through the VM's forwarded port $base"

# ---- the page and its JSON ----
req GET /
expect 200 "GET / is the page"
if grep -qi '^content-type: text/html' "$tmp/headers" &&
   grep -q 'id="hosts"' "$tmp/body"; then
	ok "the page is HTML with its host section"
else
	not_ok "the page is HTML with its host section"
fi
if grep -qi "^content-security-policy: default-src 'none'" "$tmp/headers"; then
	ok "the page is served with a policy that allows nothing outside the server"
else
	not_ok "the page's Content-Security-Policy"
fi
if ! grep -Eo '(src|href)="[^"]*"|url\([^)]*\)|https?://[^" ]*' "$tmp/body" |
     grep -v '^http://www.w3.org/2000/svg$' | grep -q .; then
	ok "the page names no outside URL (only the SVG namespace)"
else
	not_ok "the page names outside URLs: $(grep -Eo 'https?://[^" ]*' "$tmp/body" | sort -u | paste -sd' ')"
fi
req GET /api/v1/state
expect 200 "GET /api/v1/state" '(.mailboxes | length) == 3 and (.hosts | type) == "array"'
req GET /api/v1/mailboxes
expect 200 "the three mailboxes are open: sla-app and sla-db to call, sla-mon to inspect" \
	'map({(.name): [.open, .access]}) | add == {"sla-app": [true, "read-write"], "sla-db": [true, "read-write"], "sla-mon": [true, "read"]}'
expect 200 "the inspection has the kernel's counters and a letter per slot" \
	'.[0].stats.sessions >= 2 and (.[0].slots | length) == .[0].nslots and (.[1].slots | test("^[FOPETR]+$"))'

# ---- the REST API ----
req GET /api/v1/slas
expect 200 "no SLA at first" '.slas == []'
post '{"host":"sla/gold","lat_ceiling_us":12000,"priority":10}'
expect 201 "POST creates the gold SLA" \
	'.host == "sla/gold" and .lat_ceiling_us == 12000 and .priority == 10 and .cap_iops == "max" and .updated_ns > 0'
if grep -qi '^location: /api/v1/slas/sla/gold' "$tmp/headers"; then
	ok "the answer's Location names the new SLA"
else
	not_ok "the answer's Location names the new SLA"
fi
gold_ns=$(jq -r .updated_ns "$tmp/body")
post '{"host":"sla/gold","lat_ceiling_us":9000}'
expect 409 "a second SLA for the same host is a conflict" '.error | contains("has an SLA already")'

refused 422 "a latency ceiling of 0" '{"host":"sla/x","lat_ceiling_us":0}' "lat_ceiling_us: must be a number above 0"
refused 422 "a negative latency ceiling" '{"host":"sla/x","lat_ceiling_us":-12}' "lat_ceiling_us: must be a number above 0"
refused 422 "an IOPS floor above the IOPS cap" '{"host":"sla/x","iops_floor":500,"cap_iops":200}' "iops_floor (500) is above cap_iops (200)"
refused 422 "an unknown field" '{"host":"sla/x","lat_ceiling_us":5,"latency":5}' 'unknown field "latency"'
refused 422 "a string for a number" '{"host":"sla/x","lat_ceiling_us":"12000"}' "lat_ceiling_us: must be a number (microseconds), not a string"
refused 422 "a fraction for a cap" '{"host":"sla/x","cap_iops":1.5}' "cap_iops: must be an integer"
refused 422 "no host" '{"lat_ceiling_us":12000}' "host: missing"
refused 422 "a host that is no cgroup name" '{"host":"../etc","lat_ceiling_us":12000}' "is not a cgroup name"
refused 422 "no objective" '{"host":"sla/x","priority":3}' "needs at least one of"
refused 422 "updated_ns from the client" '{"host":"sla/x","lat_ceiling_us":5,"updated_ns":5}' "set by the server"
refused 422 "an array" '[{"host":"sla/x"}]' "must be a JSON object"
refused 400 "JSON cut short" '{"host":"sla/x",' "malformed JSON"
refused 400 "trailing garbage" '{"host":"sla/x","lat_ceiling_us":5}}' "malformed JSON"
refused 400 "not JSON" 'host=sla/x' "malformed JSON"
head -c 5000 /dev/zero | tr '\0' ' ' >"$tmp/big"
req POST /api/v1/slas -H 'Content-Type: application/json' --data-binary @"$tmp/big"
expect 413 "a body over 4096 bytes" '.error | contains("exceeds 4096")'
req POST /api/v1/slas -H 'Transfer-Encoding: chunked' --data-binary @"$tmp/big"
expect 413 "a chunked body over 4096 bytes"
req GET /api/v1/slas
expect 200 "the refused requests changed nothing (the gold SLA as created)" \
	--argjson t "$gold_ns" '.slas == [{"host":"sla/gold","lat_ceiling_us":12000,"iops_floor":0,"bps_floor":0,"priority":10,"cap_iops":"max","cap_bps":"max","updated_ns":$t}]'

put sla/gold '{"lat_ceiling_us":8000,"priority":20}'
expect 200 "PUT changes the gold SLA" \
	--argjson t "$gold_ns" '.lat_ceiling_us == 8000 and .priority == 20 and .updated_ns > $t'
put sla/gold '{"host":"sla/batch","lat_ceiling_us":8000}'
expect 422 "PUT with another host in the body" '.error | contains("is not the host of the URL")'
put sla/none '{"lat_ceiling_us":8000}'
expect 404 "PUT of a host without an SLA" '.error | contains("has no SLA")'
put sla/gold '{"lat_ceiling_us":8000,"cap_iops":10,"iops_floor":20}'
expect 422 "PUT of a contradiction" '.error | contains("is above cap_iops")'
req GET /api/v1/slas/sla/gold
expect 200 "GET of one SLA, changed" '.lat_ceiling_us == 8000 and .priority == 20'

post '{"host":"sla/batch","cap_iops":200,"priority":1}'
expect 201 "POST a best-effort SLA with a cap" '.cap_iops == 200'
post '{"host":"sla/silver","iops_floor":300,"lat_ceiling_us":30000,"priority":5}'
expect 201 "POST a silver SLA with a floor" '.iops_floor == 300'
post '{"host":"sla/bronze","bps_floor":1048576,"cap_bps":8388608}'
expect 201 "POST a bronze SLA with a bandwidth floor and cap" '.bps_floor == 1048576 and .cap_bps == 8388608'
post '{"host":"sla/tin","cap_bps":4096}'
expect 201 "POST a fifth SLA"
req GET /api/v1/slas
expect 200 "the list has all five, though sla-core answers 2 per call (paged)" \
	'[.slas[].host] | sort == ["sla/batch","sla/bronze","sla/gold","sla/silver","sla/tin"]'
req GET /api/v1/slas/sla/tin
expect 200 "GET of an SLA on the list's last page" '.cap_bps == 4096'
req DELETE /api/v1/slas/sla/tin
expect 204 "DELETE"
req DELETE /api/v1/slas/sla/tin
expect 404 "DELETE again" '.error | contains("has no SLA")'
req GET /api/v1/slas/sla/tin
expect 404 "GET of a deleted SLA"
req GET /api/v1/slas/sla/..
expect 400 "a URL host with .." '.error | contains("not a host name")'
req PATCH /api/v1/slas/sla/gold
expect 405 "PATCH is not a method of an SLA" '.error | contains("GET, PUT and DELETE")'
req DELETE /api/v1/slas
expect 405 "DELETE of the whole list" '.error | contains("GET and POST")'
req DELETE /api/v1/slas/sla/gold --data-binary 'x'
expect 400 "DELETE with a body"
req GET /api/v1/nothing
expect 404 "an unknown resource"

refused 422 "sla-core's own refusal (-EINVAL) with its message" \
	'{"host":"stub/refused","lat_ceiling_us":5}' "sla-core refused the SLA: host: stub/refused is served by no gateway"

# A change sla-core took but answers late: 504, and it was applied.
post '{"host":"stub/slow","lat_ceiling_us":5000}'
expect 504 "a change sla-core took and did not answer in 2 s" '.error | contains("may still apply it")'
sleep 4
req GET /api/v1/slas/stub/slow
expect 200 "... which sla-core applied after all" '.lat_ceiling_us == 5000'

# A change no callee takes: withdrawn from its slot, 503, not applied.
cancelled0=$(app_stat cancelled)
post '{"host":"stub/pause","cap_iops":1000}'
expect 201 "the stub pauses after this one"
post '{"host":"stub/never","lat_ceiling_us":5000}'
expect 503 "a change nobody took in 2 s is withdrawn" '.error | contains("withdrawn, nothing was changed")'
cancelled1=$(app_stat cancelled)
if [[ $cancelled0 =~ ^[0-9]+$ && $cancelled1 =~ ^[0-9]+$ ]] && ((cancelled1 > cancelled0)); then
	ok "the kernel counted the withdrawn call cancelled (sla-app cancelled $cancelled0 -> $cancelled1)"
else
	not_ok "the kernel counted the withdrawn call cancelled ($cancelled0 -> $cancelled1)"
fi
sleep 4
req GET /api/v1/slas/stub/never
expect 404 "... and it was never applied, once the stub takes calls again"

# Back-pressure: 30 changes at once, each held by the stub for 4 s.  The
# server keeps at most 24 calls in flight on sla-app (its refreshes among
# them): the rest wait for a slot, and those still waiting after 2 s are
# answered 503 with nothing sent; those sent are answered 504 and applied
# (checked against the SLA list afterwards).
bp=()
for i in $(seq 30); do
	curl -s --noproxy '*' --max-time 20 -o "$tmp/bp.$i" -w '%{http_code}' \
		-X POST --data-binary "{\"host\":\"stub/slow-bp$i\",\"cap_iops\":$i}" \
		"$base/api/v1/slas" >"$tmp/bp.$i.status" &
	bp+=($!)
done
wait "${bp[@]}"
n503=0 n504=0 other=0 bad503=0
for i in $(seq 30); do
	case $(cat "$tmp/bp.$i.status") in
	503) n503=$((n503 + 1))
	     jq -e '.error | contains("stayed busy") and contains("nothing was sent")' "$tmp/bp.$i" >/dev/null ||
		bad503=$((bad503 + 1)) ;;
	504) n504=$((n504 + 1)) ;;
	*) other=$((other + 1)) ;;
	esac
done
# (how many are sent depends on when each curl starts and on the
# refreshes in flight: at most 24 at a time, each held 4 s)
if ((n503 >= 1 && n504 >= 1 && n503 + n504 == 30 && bad503 == 0)); then
	ok "back-pressure: 30 changes at once: $n504 sent and held (504), $n503 waited for a slot in vain (503, nothing sent)"
else
	not_ok "back-pressure: 30 changes at once: $n504 x 504, $n503 x 503 ($bad503 without the reason), $other other"
fi
sleep 5
req GET /api/v1/slas
lost=0 ghost=0
for i in $(seq 30); do
	have=$(jq --arg h "stub/slow-bp$i" '[.slas[] | select(.host == $h)] | length' "$tmp/body")
	case $(cat "$tmp/bp.$i.status") in
	504) ((have == 1)) || lost=$((lost + 1)) ;;
	503) ((have == 0)) || ghost=$((ghost + 1)) ;;
	esac
done
if [[ $status == 200 ]] && ((lost == 0 && ghost == 0)); then
	ok "back-pressure: every change sent was applied, none of those refused was"
else
	not_ok "back-pressure: $lost sent changes missing, $ghost refused ones applied (status $status)"
fi
req GET /api/v1/mailboxes
expect 200 "back-pressure: the server counted the times it found no slot (busy)" \
	'.[] | select(.name == "sla-app") | .appserver.busy > 0'
for i in $(seq 30); do
	curl -s --noproxy '*' --max-time 20 -o /dev/null -X DELETE "$base/api/v1/slas/stub/slow-bp$i"
done

# What the page reads: the hosts, their series, the decisions.
sleep 3
req GET /api/v1/state
expect 200 "the state lists the four SLA hosts with their SLA and status" \
	'[.hosts[] | select(.host | startswith("sla/")) | select(.sla != null and .status != null) | .host] | sort == ["sla/batch","sla/bronze","sla/gold","sla/silver"]'
expect 200 "the gold host has a series of 60 windows, some measured" \
	'.hosts[] | select(.host == "sla/gold") | .series | (.end_ns | length) == 60 and ([.lat_mean_us[] | select(. != null)] | length) > 0'
expect 200 "the batch host shows its throttle" \
	'.hosts[] | select(.host == "sla/batch") | .throttles[0].limits.riops == 200'
expect 200 "the decisions include the gold SLA's" \
	'[.decisions[] | select(.host == "sla/gold" and .action == "sla")] | length >= 2'
expect 200 "sla-core's status is fresh" '.core.state.ok == true and .core.pid > 0'
req GET '/api/v1/series?host=sla/gold'
expect 200 "GET /api/v1/series of one host" '.host == "sla/gold" and .device == "252:0"'
req GET '/api/v1/series?host=sla/none'
expect 404 "no series for a host nobody measures"
req GET '/api/v1/series'
expect 400 "a series without a host"

# ---- the browser ----
if [[ -x $here/browser_test.sh ]]; then
	"$here/browser_test.sh" "$base" "$build" sla/gold ||
		failed=$((failed + 1))
fi

# ---- the VM's end ----
curl -s --noproxy '*' --max-time 5 "$base/test-done" >/dev/null
wait "$vmpid"
rc=$?
vmpid=
if ((rc == 0)); then
	ok "the VM ran and stopped cleanly (no bad kernel log line)"
else
	not_ok "the VM ended with status $rc"
fi
if grep -q '^appserver exit 0$' "$tmp/vm.out"; then
	ok "sla-appserver stopped on SIGTERM with status 0"
else
	not_ok "sla-appserver stopped on SIGTERM with status 0"
fi
# the terminal view, in the VM, of the same server: the hosts and boxes
if grep -q '^top exit 0$' "$tmp/vm.out" &&
   grep -Eq '^top: sla/gold +252:0 +8000 ' "$tmp/vm.out" &&
   grep -Eq '^top: sla/batch .*' "$tmp/vm.out" &&
   grep -Eq '^top: +throttled: riops=200 ' "$tmp/vm.out" &&
   grep -Eq '^top: sla-app +[0-9]+ ' "$tmp/vm.out"; then
	ok "sla-top shows the hosts (gold's ceiling 8000 us), batch's throttle and the mailboxes"
	sed -n 's/^top: /#   /p' "$tmp/vm.out"
else
	not_ok "sla-top shows the hosts, the throttles and the mailboxes"
	grep '^top' "$tmp/vm.out" | sed 's/^/# /'
fi
if ((failed)); then
	sed 's/^/# /' "$tmp/vm.out"
fi
exit $((failed != 0))
