#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The systemd units: installed by "make install" into a temporary prefix
# (so that ExecStart= names files that exist), then checked by
# systemd-analyze verify, with two negative controls proving that verify
# does catch a bad directive and a missing program.  The SLA processes not
# built in this tree yet are stand-in scripts in the temporary prefix, said
# so in the output.
#
#   units_test.sh BUILD_DIR
set -uo pipefail

build=$(cd "$1" && pwd)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sla-units.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail=0

ok() { # ok COND-STATUS MESSAGE
	if (($1 == 0)); then echo "ok - $2"; else echo "not ok - $2"; fail=1; fi
}

make -s -C "$here/.." O="$build" PREFIX="$tmp/usr" install >"$tmp/install.log" 2>&1
ok $? "make install PREFIX=$tmp/usr"
units=$tmp/usr/lib/systemd/system
services=(sla-gateway sla-dbm sla-core sla-monitor sla-appserver)
for p in sla-dbm sla-core sla-monitor sla-appserver; do
	if [[ ! -x $tmp/usr/bin/$p ]]; then
		printf '#!/bin/sh\nexit 0\n' >"$tmp/usr/bin/$p"
		chmod 755 "$tmp/usr/bin/$p"
		echo "# $p: not built in this tree, a stand-in for verify"
	fi
done

n=0
for s in "${services[@]}"; do [[ -f $units/$s.service ]] && n=$((n + 1)); done
ok $((n != 5)) "five services installed, with sla.target and sla.slice ($n)"
[[ -f $units/sla.target && -f $units/sla.slice ]]
ok $? "sla.target and sla.slice installed"
! grep -l '@[A-Z]*@' "$units"/* >/dev/null
ok $? "every @BINDIR@ and @DOCDIR@ replaced"
grep -q "^ExecStart=$tmp/usr/bin/sla-gateway " "$units/sla-gateway.service"
ok $? "ExecStart= names the installed program"

for s in "${services[@]}"; do
	missing=()
	for key in '^Restart=always' '^ProtectSystem=strict' '^ProtectHome=yes' \
		   '^PrivateTmp=yes' '^NoNewPrivileges=yes' '^After=' \
		   '^CapabilityBoundingSet=$'; do
		grep -q "$key" "$units/$s.service" || missing+=("$key")
	done
	ok ${#missing[@]} "$s.service: Restart=, After=, the hardening options (${missing[*]:-all there})"
done
grep -q '^ProtectControlGroups=yes' "$units/sla-gateway.service"
ok $((! $?)) "sla-gateway.service may write io.max: no ProtectControlGroups="
grep -q '^IOAccounting=yes' "$units/sla.slice"
ok $? "sla.slice enables the io controller for the hosts' cgroups"

cd "$units" || exit 1
out=$(systemd-analyze verify sla-*.service sla.target sla.slice 2>&1)
rc=$?
ok $((rc != 0 || ${#out} != 0)) "systemd-analyze verify: no error, no warning (rc $rc)"
[[ $out ]] && sed 's/^/# /' <<<"$out"

# Negative controls: verify must refuse these.
mkdir -p "$tmp/bad"
sed 's/^Restart=always/Restart=sometimes/' sla-core.service >"$tmp/bad/sla-core.service"
out=$(cd "$tmp/bad" && systemd-analyze verify sla-core.service 2>&1)
grep -q 'restart specifier.*sometimes' <<<"$out"
ok $? "control: verify reports a bad Restart= value"
sed "s|^ExecStart=$tmp/usr/bin/sla-core|ExecStart=$tmp/usr/bin/sla-nosuch|" \
	sla-core.service >"$tmp/bad/sla-core.service"
(cd "$tmp/bad" && systemd-analyze verify sla-core.service >/dev/null 2>&1)
ok $((! $?)) "control: verify fails on a program that is not there"
exit $fail
