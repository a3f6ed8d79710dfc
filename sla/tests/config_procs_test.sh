#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The processes of the SLA server started with -C FILE, on the host (no
# module: what needs no mailbox, and what each says when the file is
# wrong).  sla-gateway takes its address, root and cgroups from its
# [gateway] section and the [host] sections on it; sla-monitor --probe its
# gateways and latency files; sla-appserver its listen address and the
# mailboxes' names; sla-dbm its database and pool, its log hiding the
# password.  A file with an error stops every program with status 2 and
# the file's line.  Prints "ok - ..." / "not ok - ...".
#
#   config_procs_test.sh BUILD_DIR
set -uo pipefail

build=$1
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"' EXIT

. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"

root=$tmp/cg
mkdir -p "$root"/sla/{gold,batch,other}
for h in gold batch other; do
	printf '254:1 rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n' >"$root/sla/$h/io.stat"
	: >"$root/sla/$h/io.max"
done
gwport=$(free_port)
appport=$(free_port)
: >"$tmp/gold.json"
conf=$tmp/sla.conf
cat >"$conf" <<T
[database]
address = host=127.0.0.1 port=1 dbname=sla password='s3cret word' connect_timeout=1
pool = 3
[mailboxes]
database = t-db
monitor = t-mon
appserver = t-app
[appserver]
listen = 127.0.0.1:$appport
[gateway gw1]
url = http://127.0.0.1:$gwport
listen = 127.0.0.1:$gwport
root = $root
[device d0]
id = 254:1
[host gold]
gateway = gw1
cgroup = sla/gold
devices = d0
lat_ceiling_us = 12000
latency_file = $tmp/gold.json
[host batch]
gateway = gw1
cgroup = sla/batch
devices = d0
cap_iops = max
T

# ---- sla-gateway ----
"$build/sla-gateway" --config "$conf" --gateway gw1 2>"$tmp/gw.log" &
pids+=($!)
if wait_port "$gwport"; then
	ok "sla-gateway -C FILE -g gw1 listens on the section's address (127.0.0.1:$gwport)"
else
	not_ok "sla-gateway -C FILE -g gw1 listens on the section's address"
	sed 's/^/# /' "$tmp/gw.log"
fi
hosts=$(curl -s "http://127.0.0.1:$gwport/v1/stats" | jq -r '.cgroups | keys | join(" ")' 2>/dev/null)
check "it serves the cgroups of the [host] sections on it, and no other ($hosts)" \
	[ "$hosts" = "sla/batch sla/gold" ]
check "its log names the file's root" grep -q "root $root, 2 cgroups" "$tmp/gw.log"
out=$("$build/sla-gateway" -C "$conf" -g nosuch 2>&1)
check "an unknown gateway name is refused, status 2 ($out)" \
	bash -c "[ \"\$1\" = 2 ] && grep -q 'no \[gateway nosuch\]' <<<'$out'" _ "$("$build/sla-gateway" -C "$conf" -g nosuch >/dev/null 2>&1; echo $?)"
"$build/sla-gateway" -C "$conf" -g gw1 -p 0 -P "$tmp/port2" 2>"$tmp/gw2.log" &
pids+=($!)
for _ in $(seq 50); do [[ -s $tmp/port2 ]] && break; sleep 0.1; done
p2=$(cat "$tmp/port2" 2>/dev/null)
check "an option wins over the file (-p 0: port ${p2:-none}, not $gwport)" \
	sh -c "[ -n '$p2' ] && [ '$p2' != '$gwport' ] && curl -sf http://127.0.0.1:$p2/v1/stats >/dev/null"
out=$("$build/sla-gateway" -C "$conf" 2>&1); rc=$?
check "-C without -g is a usage error (status $rc)" [ $rc = 2 ]

# ---- sla-monitor --probe: gateways and latency files from the file ----
echo | "$build/sla-monitor" -C "$conf" --probe 1 >"$tmp/probe" 2>"$tmp/probe.err"
rc=$?
check "sla-monitor -C FILE --probe: the file's gateway answers (status $rc)" \
	sh -c "[ $rc = 0 ] && grep -q '^gateway gw1 .*state=0 requests=1 failures=0' '$tmp/probe'"
check "sla-monitor takes gold's latency file from the file, and only gold's" \
	[ "$(grep '^latency ' "$tmp/probe")" = "latency sla/gold $tmp/gold.json" ]

# ---- sla-appserver: listen address and the mailboxes' names ----
"$build/sla-appserver" -C "$conf" -t 500 2>"$tmp/app.log" &
pids+=($!)
if wait_port "$appport"; then
	ok "sla-appserver -C FILE listens on [appserver] listen (127.0.0.1:$appport)"
else
	not_ok "sla-appserver -C FILE listens on [appserver] listen"
	sed 's/^/# /' "$tmp/app.log"
fi
err=$(curl -s "http://127.0.0.1:$appport/api/v1/slas" | jq -r .error 2>/dev/null)
check "it calls the mailbox the file names ($err)" grep -q "mailbox t-app" <<<"$err"

# ---- sla-supervisor -C FILE alone: the four, each with -C FILE ----
# (a path with a space and a quote: it reaches their shell unquoted)
odd="$tmp/it's a dir"
mkdir -p "$odd"
appport2=$(free_port)
sed "s/^listen = 127.0.0.1:$appport\$/listen = 127.0.0.1:$appport2/" "$conf" >"$odd/sla.conf"
PATH=$build:$PATH "$build/sla-supervisor" -C "$odd/sla.conf" 2>"$tmp/sup.log" &
sup=$!
pids+=($sup)
if wait_port "$appport2"; then
	ok "sla-supervisor -C FILE: its sla-appserver got -C FILE (listens on the file's 127.0.0.1:$appport2)"
else
	not_ok "sla-supervisor -C FILE: its sla-appserver got -C FILE (listens on 127.0.0.1:$appport2)"
	sed 's/^/# /' "$tmp/sup.log"
fi
started=$(sed -n 's/.*start \(sla-[a-z]*\): pid .*/\1/p' "$tmp/sup.log" | sort -u | tr '\n' ' ')
check "it started the four ($started)" [ "$started" = "sla-appserver sla-core sla-dbm sla-monitor " ]
kill -TERM $sup 2>/dev/null
wait $sup 2>/dev/null

# ---- sla-dbm: the database from the file, its password not logged ----
timeout 20 "$build/sla-dbm" -C "$conf" >"$tmp/dbm.out" 2>&1
rc=$?
check "sla-dbm -C FILE opens the file's database (a server that is not there: status $rc)" \
	sh -c "[ $rc = 1 ] && grep -q 'open host=127.0.0.1 port=1' '$tmp/dbm.out'"
check "its log shows the address without the password" \
	sh -c "grep -q \"password=\*\*\*\" '$tmp/dbm.out' && ! grep -q s3cret '$tmp/dbm.out'"

timeout 20 "$build/sla-dbm" -C "$conf" -d "postgresql://sla:s3cret@127.0.0.1:1/sla?connect_timeout=1" >"$tmp/dbm2.out" 2>&1
check "-d wins over the file; a URL's password is not logged either" \
	sh -c "grep -q 'open postgresql://sla:\*\*\*@127.0.0.1:1/sla' '$tmp/dbm2.out' && ! grep -q s3cret '$tmp/dbm2.out'"
timeout 20 "$build/sla-dbm" -C "$conf" -d "postgresql://sla@127.0.0.1:1/sla?password=s3cret&connect_timeout=1" >"$tmp/dbm3.out" 2>&1
check "nor a password in a URL's query" \
	sh -c "grep -q 'open postgresql://sla@127.0.0.1:1/sla?password=\*\*\*&connect_timeout=1' '$tmp/dbm3.out' && ! grep -q s3cret '$tmp/dbm3.out'"

# ---- a file with an error: every program says where, and exits 2 ----
sed 's/^pool = 3$/pool = 0/' "$conf" >"$tmp/bad.conf"
line=$(grep -n '^pool = 0' "$tmp/bad.conf" | cut -d: -f1)
for p in sla-dbm sla-core sla-monitor sla-appserver sla-supervisor; do
	out=$(timeout 10 "$build/$p" -C "$tmp/bad.conf" 2>&1); rc=$?
	check "$p -C with pool = 0 on line $line: status 2, the line named" \
		bash -c "[ $rc = 2 ] && grep -q '$tmp/bad.conf:$line: pool' <<<\"\$1\"" _ "$out"
done
out=$(timeout 10 "$build/sla-gateway" -C "$tmp/bad.conf" -g gw1 2>&1); rc=$?
check "sla-gateway -C with that file: status 2, the line named" \
	bash -c "[ $rc = 2 ] && grep -q '$tmp/bad.conf:$line: pool' <<<\"\$1\"" _ "$out"
out=$(timeout 10 "$build/sla-ctl" -C "$tmp/bad.conf" stats 2>&1); rc=$?
check "sla-ctl -C with that file: status 2, the line named" \
	bash -c "[ $rc = 2 ] && grep -q '$tmp/bad.conf:$line: pool' <<<\"\$1\"" _ "$out"
out=$(timeout 10 "$build/sla-core" -C "$tmp/none.conf" 2>&1); rc=$?
check "a file that is not there: status 2, named ($out)" \
	bash -c "[ $rc = 2 ] && grep -q 'none.conf' <<<\"\$1\"" _ "$out"
