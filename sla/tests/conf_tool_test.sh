#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# sla-conf, the program: --check-config's exit status and messages, --dump
# of the example, and its usage errors.
#
#   conf_tool_test.sh BUILD_DIR
set -uo pipefail

build=$(cd "$1" && pwd)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
example=$here/../conf/sla.conf.example
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sla-conf.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail=0

ok() { # ok STATUS MESSAGE
	if (($1 == 0)); then echo "ok - $2"; else echo "not ok - $2"; fail=1; fi
}

out=$("$build/sla-conf" --check-config "$example" 2>"$tmp/err")
rc=$?
ok $((rc != 0 || ! ${#out})) "--check-config on the example: exit 0 ($rc)"
[[ $out == "$example: ok: 1 gateway, 1 device, 2 hosts, database sqlite, pool 4" && ! -s $tmp/err ]]
ok $? "--check-config says ok and what it found, nothing on stderr ($out)"

sed 's/^gateway = storage1$/gateway = storage9/' "$example" >"$tmp/bad.conf"
line=$(grep -n '^gateway = storage9' "$tmp/bad.conf" | head -n1 | cut -d: -f1)
out=$("$build/sla-conf" --check-config "$tmp/bad.conf" 2>"$tmp/err")
rc=$?
ok $((rc != 1)) "--check-config on a file with an error: exit 1 ($rc)"
[[ -z $out && $(cat "$tmp/err") == "$tmp/bad.conf:$line: gateway: no [gateway storage9] in the file" ]]
ok $? "the error on stderr, with the file and line $line ($(cat "$tmp/err"))"

"$build/sla-conf" --dump "$example" >"$tmp/dump"
ok $? "--dump on the example: exit 0"
for want in "database.address=sqlite:/var/lib/sla/sla.db" "database.pool=4" \
	    "mailboxes.monitor=sla-mon" "gateway.storage1.url=http://127.0.0.1:8081" \
	    "host.gold.devices=252:0" "host.gold.lat_ceiling_us=12000" \
	    "host.batch.cap_iops=max"; do
	grep -qxF "$want" "$tmp/dump"
	ok $? "--dump has $want"
done

"$build/sla-conf" >/dev/null 2>&1
ok $(($? != 2)) "no option: exit 2 (usage)"
"$build/sla-conf" --check-config "$example" extra >/dev/null 2>&1
ok $(($? != 2)) "an extra argument: exit 2 (usage)"
"$build/sla-conf" --check-config "$tmp/none.conf" 2>"$tmp/err"
rc=$?
[[ $rc == 1 && $(cat "$tmp/err") == "$tmp/none.conf: No such file or directory" ]]
ok $? "a missing file: exit 1 and its name ($(cat "$tmp/err"))"
exit $fail
