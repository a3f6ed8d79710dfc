#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# sla-appserver on the host, where there is no sla-core (and usually no
# module): every malformed or contradictory SLA is refused with its 4xx
# before any mailbox is touched, a valid one gets 503 "sla-core is not
# running", the page and its JSON are served, it listens on 127.0.0.1
# only and stops on SIGTERM.  Prints "ok - ..." / "not ok - ..." lines;
# tests/run.sh numbers them.
#
#   appserver_host_test.sh BUILD_DIR
set -uo pipefail

build=$1
tmp=$(mktemp -d)
pid=
trap '[[ -n $pid ]] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT

. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"

"$build/sla-appserver" -p 0 -P "$tmp/port" -t 500 2>"$tmp/log" &
pid=$!
for _ in $(seq 50); do
	[[ -s $tmp/port ]] && break
	sleep 0.1
done
port=$(cat "$tmp/port" 2>/dev/null)
if [[ -z $port ]]; then
	not_ok "sla-appserver starts"
	sed 's/^/# /' "$tmp/log"
	exit 1
fi
ok "sla-appserver starts on 127.0.0.1:$port"
base=http://127.0.0.1:$port

req() {
	local method=$1 path=$2
	shift 2
	status=$(curl -s --path-as-is --max-time 10 --noproxy '*' \
		-o "$tmp/body" -D "$tmp/headers" -w '%{http_code}' \
		-X "$method" "$@" "$base$path")
}
expect() { # expect STATUS DESCRIPTION [JQ ARGS... FILTER]
	local want=$1 what=$2
	shift 2
	if [[ $status != "$want" ]]; then
		not_ok "$what (status $status, want $want)"
		sed 's/^/# /' "$tmp/body"
	elif (($#)) && ! jq -e "$@" "$tmp/body" >/dev/null 2>&1; then
		not_ok "$what (the body does not satisfy ${*: -1})"
		sed 's/^/# /' "$tmp/body"
	else
		ok "$what"
	fi
}
refused() { # refused STATUS DESCRIPTION BODY WORDS
	req POST /api/v1/slas -H 'Content-Type: application/json' --data-binary "$3"
	expect "$1" "refused with $1 before any call: $2" \
		--arg w "$4" '(.error | contains($w)) and .status == '"$1"
}

refused 422 "a latency ceiling of 0" '{"host":"sla/x","lat_ceiling_us":0}' "lat_ceiling_us: must be a number above 0"
refused 422 "an IOPS floor above the cap" '{"host":"sla/x","iops_floor":500,"cap_iops":200}' "is above cap_iops (200)"
refused 422 "a bandwidth floor above the cap" '{"host":"sla/x","bps_floor":5000,"cap_bps":4096}' "is above cap_bps (4096)"
refused 422 "an unknown field" '{"host":"sla/x","lat_ceiling_us":5,"colour":"gold"}' 'unknown field "colour"'
refused 422 "a boolean for a number" '{"host":"sla/x","iops_floor":true}' "not a boolean"
refused 422 "cap_iops \"200\"" '{"host":"sla/x","cap_iops":"200"}' "cap_iops: must be an integer from 1 to 4294967295"
refused 422 "NaN" '{"host":"sla/x","lat_ceiling_us":NaN}' "lat_ceiling_us: must be a number above 0"
refused 400 "a trailing comma" '{"host":"sla/x",}' "malformed JSON"
refused 400 "an empty body" '' "empty body"
req PUT /api/v1/slas/sla/gold -H 'Content-Type: application/json' --data-binary '{"host":"sla/batch","cap_iops":5}'
expect 422 "PUT: a body naming another host than the URL" '.error | contains("is not the host of the URL")'
req PUT '/api/v1/slas/sla/../etc' --data-binary '{"cap_iops":5}'
expect 400 "PUT: a URL host with .." '.error | contains("not a host name")'
req PUT /api/v1/slas/sla%2Fgold%00x --data-binary '{"cap_iops":5}'
expect 400 "PUT: a URL host with a NUL" '.error | contains("not a host name")'
req POST /api/v1/slas/sla/gold --data-binary '{"cap_iops":5}'
expect 405 "POST to one SLA" '.error | contains("GET, PUT and DELETE")'
req PUT /api/v1/state
expect 405 "PUT to the state"

if [[ -e /dev/mailbox ]]; then
	echo "# /dev/mailbox exists: the checks of a missing sla-core are skipped"
else
	req POST /api/v1/slas -H 'Content-Type: application/json' --data-binary '{"host":"sla/gold","lat_ceiling_us":12000}'
	expect 503 "a valid SLA without sla-core: 503, and why" \
		'.error == "sla-core is not running: mailbox sla-app: No such file or directory"'
	if grep -qi '^retry-after: 1' "$tmp/headers"; then
		ok "503 comes with Retry-After"
	else
		not_ok "503 comes with Retry-After"
	fi
	req GET /api/v1/slas
	expect 503 "the list without sla-core"
	req GET /api/v1/state
	expect 200 "the state without sla-core says which mailbox is missing" \
		'.core.state.ok == false and (.core.state.error | contains("mailbox sla-app")) and ([.mailboxes[].open] == [false, false, false])'
fi
req GET /
expect 200 "the page"
grep -q '<svg\|createElementNS' "$tmp/body" && ok "the page draws its charts in SVG" ||
	not_ok "the page draws its charts in SVG"
req GET /api/v1/series?host=sla/gold
expect 404 "no series before any measurement"

if ss -ltnH "sport = :$port" | awk '{ print $4 }' | grep -qvx "127.0.0.1:$port"; then
	not_ok "listens on 127.0.0.1 only: $(ss -ltnH "sport = :$port" | awk '{ print $4 }' | paste -sd' ')"
else
	ok "listens on 127.0.0.1 only"
fi
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
if ((rc == 0)) && grep -q 'stopping on signal 15' "$tmp/log"; then
	ok "stops on SIGTERM with status 0"
else
	not_ok "stops on SIGTERM (status $rc)"
	sed 's/^/# /' "$tmp/log"
fi
