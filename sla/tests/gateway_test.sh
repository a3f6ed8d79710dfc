#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# sla-gateway against a fake cgroup tree in a temporary directory, on
# 127.0.0.1 and a port the kernel picks.  Prints "ok - ..." / "not ok - ..."
# lines; tests/run.sh numbers them.
#
#   gateway_test.sh BUILD_DIR
set -uo pipefail

gw=$1/sla-gateway
tmp=$(mktemp -d)
pid=
trap '[[ -n $pid ]] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT

. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"

# The fake tree.  "broken" has a directory for io.max: writing it fails.
root=$tmp/cg
mkdir -p "$root"/{gold,batch,nested/inner,broken/io.max} "$tmp/secret"
cat >"$root/gold/io.stat" <<'T'
8:0 rbytes=4096000 wbytes=8192 rios=1000 wios=2 dbytes=0 dios=0
254:16 rbytes=12 wbytes=34 rios=56 wios=78 dbytes=0 dios=0 cost.usage=9 cost.wait=0
T
: >"$root/gold/io.max"
printf '8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0\n' >"$root/batch/io.stat"
printf '8:0 rbps=max wbps=max riops=500 wiops=max\n' >"$root/batch/io.max"
printf '' >"$root/nested/inner/io.stat"
: >"$root/nested/inner/io.max"
: >"$root/broken/io.stat"
echo 'SECRET 1:1 riops=666' >"$tmp/secret/io.max"
echo 'SECRET 1:1 rios=666' >"$tmp/secret/io.stat"

check "a configured name with .. is refused at start" \
	bash -c '! "$1" -r "$2" -c ../secret -p 0 2>/dev/null' _ "$gw" "$root"

"$gw" -r "$root" -c gold -c batch -c nested/inner -c broken -c missing \
	-a 127.0.0.1 -p 0 -P "$tmp/port" 2>"$tmp/gw.log" &
pid=$!
for _ in $(seq 50); do
	[[ -s $tmp/port ]] && break
	sleep 0.1
done
port=$(cat "$tmp/port" 2>/dev/null)
if [[ -z $port ]]; then
	not_ok "gateway starts"
	sed 's/^/# /' "$tmp/gw.log"
	exit 1
fi
ok "gateway starts on 127.0.0.1:$port"
base=http://127.0.0.1:$port

# req METHOD PATH [CURL ARGS...]: sets $status, body in $tmp/body
req() {
	local method=$1 path=$2
	shift 2
	status=$(curl -s --path-as-is --max-time 10 --noproxy '*' \
		-o "$tmp/body" -w '%{http_code}' -X "$method" "$@" "$base$path")
}
put_max() { # put_max CGROUP JSON
	req PUT "/v1/cgroups/$1/io.max" -H 'Content-Type: application/json' \
		--data-binary "$2"
}
jqb() { jq -e "$@" "$tmp/body" >/dev/null 2>&1; }
# expect STATUS DESCRIPTION [JQ FILTER]: the last request's answer
expect() {
	local want=$1 what=$2 filter=${3:-}
	if [[ $status != "$want" ]]; then
		not_ok "$what (status $status, want $want)"
		sed 's/^/# /' "$tmp/body"
	elif [[ -n $filter ]] && ! jqb "$filter"; then
		not_ok "$what (body does not satisfy $filter)"
		sed 's/^/# /' "$tmp/body"
	else
		ok "$what"
	fi
}
# An error answer is JSON with the status and a message.
err_is() { echo "(.status == $1) and (.error | type == \"string\" and test(\"$2\"))"; }

# stats
req GET /v1/stats
expect 200 "GET /v1/stats" \
	'(.ts_ns | type == "number" and . > 0) and
	 .cgroups.gold.devices["8:0"].rbytes == 4096000 and
	 .cgroups.gold.devices["8:0"].rios == 1000 and
	 .cgroups.gold.devices["8:0"].wios == 2 and
	 .cgroups.gold.devices["254:16"]["cost.usage"] == 9 and
	 .cgroups.batch.devices["8:0"].wbytes == 2 and
	 .cgroups["nested/inner"].devices == {} and
	 (.cgroups.missing.error | test("No such file"))'
ts1=$(jq .ts_ns "$tmp/body")
sed -i 's/rios=1000/rios=1500/' "$root/gold/io.stat"
req GET /v1/stats
expect 200 "stats show new counts, timestamp is monotonic" \
	".cgroups.gold.devices[\"8:0\"].rios == 1500 and .ts_ns > $ts1"
req GET /v1/cgroups
expect 200 "GET /v1/cgroups lists the configured cgroups" \
	'.cgroups == ["gold","batch","nested/inner","broken","missing"]'
req GET /v1/cgroups/gold/io.stat
expect 200 "GET io.stat of one cgroup" '.cgroup == "gold" and .devices["8:0"].rios == 1500'

# io.max read, write, lift
req GET /v1/cgroups/batch/io.max
expect 200 "GET io.max" \
	'.devices["8:0"] == {"rbps":"max","wbps":"max","riops":500,"wiops":"max"}'
req GET /v1/cgroups/gold/io.max
expect 200 "GET an empty io.max" '.devices == {}'
put_max batch '{"device":"8:0","riops":200}'
expect 200 "PUT io.max riops=200" '.devices["8:0"].riops == 200'
check "io.max holds the line written" \
	grep -qx '8:0 riops=200' "$root/batch/io.max"
put_max batch '{"device":"8:0","rbps":1048576,"wbps":2097152,"riops":100,"wiops":50}'
expect 200 "PUT all four limits" \
	'.devices["8:0"] == {"rbps":1048576,"wbps":2097152,"riops":100,"wiops":50}'
check "written in the kernel's order" \
	grep -qx '8:0 rbps=1048576 wbps=2097152 riops=100 wiops=50' "$root/batch/io.max"
put_max batch '{"device":"8:0","riops":"max","wiops":"max","rbps":"max","wbps":"max"}'
expect 200 "PUT max lifts the limits" '.devices["8:0"].riops == "max"'
check "io.max holds the lift" \
	grep -qx '8:0 rbps=max wbps=max riops=max wiops=max' "$root/batch/io.max"
put_max nested/inner '{"device":"259:3","wiops":4294967295}'
expect 200 "PUT on a nested cgroup, wiops at its largest" \
	'.devices["259:3"].wiops == 4294967295'
put_max gold '{"device":"8:0","rbps":9223372036854775807}'
expect 200 "rbps at its largest" '.devices["8:0"].rbps == 9223372036854775807'

# 404
req GET /v1/cgroups/nosuch/io.max
expect 404 "unknown cgroup: 404" "$(err_is 404 'not configured')"
put_max nosuch '{"device":"8:0","riops":1}'
expect 404 "PUT to an unknown cgroup: 404" "$(err_is 404 'not configured')"
req GET /v1/cgroups/missing/io.max
expect 404 "configured cgroup without a directory: 404" "$(err_is 404 'No such file')"
req GET /v1/nothing
expect 404 "unknown path: 404" "$(err_is 404 'no such resource')"
req GET /v1/cgroups/gold/cgroup.procs
expect 404 "a file other than io.stat and io.max: 404" "$(err_is 404 'no such resource')"

# 405
req DELETE /v1/cgroups/gold/io.max
expect 405 "DELETE io.max: 405" "$(err_is 405 'GET and PUT')"
req PUT /v1/cgroups/gold/io.stat --data-binary '{}'
expect 405 "PUT io.stat: 405" "$(err_is 405 'only GET')"
req POST /v1/stats --data-binary '{}'
expect 405 "POST /v1/stats: 405" "$(err_is 405 'only GET')"

# 400: malformed JSON, garbage
for body in '{"device":"8:0","riops":' '{"device":"8:0" "riops":1}' \
	    '{"device":"8:0","riops":1}}' 'riops=200' ''; do
	put_max gold "$body"
	expect 400 "malformed JSON: 400 ($body)" "$(err_is 400 'malformed JSON')"
done
head -c 2048 /dev/urandom >"$tmp/garbage"
put_max gold "@$tmp/garbage"
expect 400 "a garbage body: 400" "$(err_is 400 'malformed JSON')"
printf '{"device":"8:0","riops":1}\0{"x":1}' >"$tmp/nul"
put_max gold "@$tmp/nul"
expect 400 "a NUL byte after the object: 400" "$(err_is 400 'malformed JSON')"
put_max gold "$(printf '%.0s[' {1..100})"
expect 400 "JSON nested too deep: 400" "$(err_is 400 'malformed JSON')"

# 413
head -c $((1024 * 1024)) /dev/zero | tr '\0' ' ' >"$tmp/huge"
put_max gold "@$tmp/huge"
expect 413 "a huge body (1 MiB): 413" "$(err_is 413 'exceeds')"
req PUT /v1/cgroups/gold/io.max -H 'Transfer-Encoding: chunked' \
	--data-binary "@$tmp/huge"
expect 413 "a huge chunked body: 413" "$(err_is 413 'exceeds')"
check "the refused bodies wrote nothing" \
	grep -qx '8:0 rbps=9223372036854775807' "$root/gold/io.max"

# 422: one bad value per request
while IFS='|' read -r body pattern; do
	put_max gold "$body"
	expect 422 "bad value: 422 ($body)" "$(err_is 422 "$pattern")"
done <<'T'
[1,2]|must be a JSON object
"riops"|must be a JSON object
{}|device
{"riops":200}|device
{"device":"8:0"}|no limit given
{"device":"8","riops":1}|device
{"device":"8:0:1","riops":1}|device
{"device":"-8:0","riops":1}|device
{"device":"8:0 riops=1","riops":1}|device
{"device":"8:x","riops":1}|device
{"device":8,"riops":1}|device
{"device":"8:0","riops":0}|riops: must be
{"device":"8:0","riops":-1}|riops: must be
{"device":"8:0","riops":1.5}|riops: must be
{"device":"8:0","riops":"200"}|riops: must be
{"device":"8:0","riops":"MAX"}|riops: must be
{"device":"8:0","riops":null}|riops: must be
{"device":"8:0","riops":true}|riops: must be
{"device":"8:0","wiops":4294967296}|wiops: must be
{"device":"8:0","rbps":9223372036854775808}|rbps: must be
{"device":"8:0","wbps":18446744073709551615}|wbps: must be
{"device":"8:0","riops":1,"latency":5}|unknown key
T
check "the refused values wrote nothing" \
	grep -qx '8:0 rbps=9223372036854775807' "$root/gold/io.max"

# 500: the write fails, with the errno's text
put_max broken '{"device":"8:0","riops":1}'
expect 500 "a failed write: 500 with the errno text" "$(err_is 500 'Is a directory')"

# path traversal: every form gets 400 or 404 and never the secret
for path in '/v1/cgroups/../secret/io.max' '/v1/cgroups/%2e%2e/secret/io.max' \
	    '/v1/cgroups/%2e%2e%2fsecret/io.max' '/v1/cgroups/gold/../../secret/io.max' \
	    '/v1/cgroups//etc/io.max' '/v1/cgroups/%2fetc/io.max' \
	    '/v1/cgroups/./gold/io.max' '/v1/cgroups/gold%00/io.max' \
	    '/v1/cgroups/../secret/io.stat'; do
	req GET "$path"
	if [[ $status =~ ^40[04]$ ]] && ! grep -q SECRET "$tmp/body" && jqb .error; then
		ok "path traversal refused: GET $path ($status)"
	else
		not_ok "path traversal refused: GET $path ($status)"
		sed 's/^/# /' "$tmp/body"
	fi
	put_max "${path#/v1/cgroups/}" '{"device":"1:1","riops":1}'
done >"$tmp/trav"
cat "$tmp/trav"
put_max '../secret' '{"device":"1:1","riops":1}'
if [[ $status =~ ^40[04]$ ]] && grep -q SECRET "$tmp/secret/io.max"; then
	ok "path traversal refused: PUT ../secret ($status), file untouched"
else
	not_ok "path traversal refused: PUT ../secret ($status)"
fi

# still serving after all that
req GET /v1/stats
expect 200 "still serving after the bad requests" '.cgroups.gold.devices["8:0"].rios == 1500'
check "listens on 127.0.0.1 only" \
	bash -c "ss -Hltn 'sport = :$port' | awk '{print \$4}' | grep -qx '127.0.0.1:$port'"

kill "$pid"
wait "$pid"
rc=$?
pid=
check "stops cleanly on SIGTERM (status $rc)" test "$rc" = 0
