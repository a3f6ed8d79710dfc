#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The VM runner's own tests: a run with a deliberate fault must fail, and for
# the right reason.  One VM per fault, on one kernel (tools/vm/init):
#
#   MBX_VM_FAULT=test     runner_fail_test: 1 case passes, 1 skips, 1 fails
#   MBX_VM_FAULT=warn     runner_fault.ko WARNs at load
#   MBX_VM_FAULT=unload   runner_fault.ko pins itself: its rmmod fails
#   MBX_VM_FAULT=hang     /init hangs; the host's timeout must end the VM
#
# and what the runner must give a VM, in two initramfs builds and one boot
# of 6.12:
#
#   the libraries of a dynamic program put after a static one, and before
#   one (MBX_VM_PROGRAMS; the initramfs root of each order, and the program
#   run in the VM)
#   MBX_VM_MODULES="configfs null_blk"   /dev/nullb0 exists in the VM
#   MBX_VM_NET=PORT       busybox httpd in the VM serves a file to the host
#                         on 127.0.0.1:PORT, the only address bound
#
#   runner_test.sh KERNEL
#
# Prints TAP; writes build/vm/runner-test.result (passed=, failed=,
# skipped=) for tools/vm/check.sh.  V=1 shows each run's output.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../../tools/vm/lib.sh"

(($# == 1)) || die "usage: runner_test.sh KERNEL"
kver=$(resolve_kernel "$1")
HANG_TIMEOUT=20
n=0
passed=0
failed=0

# fault_run FAULT [ENV...]: vm.sh check with MBX_VM_FAULT=FAULT; sets rc, log
# and the run's result as r_passed, r_failed, r_skipped, r_reasons.
fault_run() {
	local fault=$1 result=$BUILD/vm/$kver-fault-$1/result
	shift
	log=$BUILD/vm/runner-test-$fault.log
	rc=0
	r_passed=0 r_failed=0 r_skipped=0 r_reasons=""
	mkdir -p "$BUILD/vm"
	rm -f "$result"
	env MBX_VM_FAULT="$fault" "$@" "$VMDIR/vm.sh" check "$kver" >"$log" 2>&1 || rc=$?
	# shellcheck disable=SC1090
	[[ ! -f $result ]] || . <(sed -n 's/^\(passed\|failed\|skipped\|reasons\)=/r_&/p' "$result")
	if verbose; then
		sed 's/^/# /' "$log"
	fi
}

# point OK DESCRIPTION: one test point, with the run's output when not ok
point() {
	n=$((n + 1))
	if (($1)); then
		echo "ok $n runner: $2"
		passed=$((passed + 1))
	else
		echo "not ok $n runner: $2"
		echo "# exit status $rc; counted $r_passed passed, $r_failed failed, $r_skipped skipped"
		echo "# reasons: ${r_reasons:-none}"
		sed 's/^/#   /' "$log"
		failed=$((failed + 1))
	fi
}

echo "TAP version 13"
echo "1..9"
echo "# runner self-tests on $kver"

fault_run test
ok=0
((rc != 0 && r_failed == 1 && r_skipped == 1)) &&
	[[ $r_reasons == *"failed: selftests: mbx: runner/runner_fail_test"* ]] && ok=1
point $ok "a failing selftest fails the run (1 failed and 1 skipped counted)"

fault_run warn
ok=0
((rc != 0)) && [[ $r_reasons == *"kernel log: WARNING:"* && $r_reasons != *"failed:"* ]] && ok=1
point $ok "a kernel WARNING fails the run, every test passing"

# runner_warn.sh WARNs between the insmod and rmmod of mbx; the reason and
# the failing test point name it, and nothing else
ok=0
[[ $r_reasons == "kernel log: WARNING:"*" (during selftests: mbx: runner/runner_warn.sh); " ]] &&
	grep -qx 'not ok - vm: kernel log clean: reports during selftests: mbx: runner/runner_warn.sh' \
		"$BUILD/vm/$kver-fault-warn/tap-all.txt" && ok=1
point $ok "a kernel WARNING names the selftest during which it appeared"

fault_run unload
ok=0
((rc != 0)) && [[ $r_reasons == "failed: rmmod runner_fault; " ]] && ok=1
point $ok "a module that cannot be unloaded fails the run"

fault_run hang MBX_VM_TIMEOUT=$HANG_TIMEOUT
ok=0
((rc != 0)) && [[ $r_reasons == *"timed out after $HANG_TIMEOUT s"* ]] && ok=1
point $ok "a VM that hangs is ended by the timeout and fails the run"

# The programs of the library test, in $BUILD/vm/runner-progs: a static one
# and a dynamic one whose library (lib/librunner_dyn.so, found by its
# RUNPATH) no other program needs, under two names each, so that
# copy_libraries, which reads /usr/bin in name order, meets them in both
# orders.
progs=$BUILD/vm/runner-progs
src=$TOP/selftests/runner/runner_dyn.c
log=$BUILD/vm/runner-test-programs.log
rc=0 r_passed=0 r_failed=0 r_skipped=0 r_reasons=""
rm -rf "$progs"
mkdir -p "$progs/lib" "$progs/static-first" "$progs/dynamic-first"
{
	cc -O2 -Wall -shared -fPIC -DRUNNER_LIB -o "$progs/lib/librunner_dyn.so" "$src" &&
	cc -O2 -Wall -o "$progs/dyn" "$src" -L"$progs/lib" -lrunner_dyn -Wl,-rpath,"$progs/lib" &&
	cc -O2 -Wall -static -DRUNNER_STATIC -o "$progs/static" "$src" &&
	cp "$progs/static" "$progs/static-first/aa_static" &&
	cp "$progs/dyn" "$progs/static-first/ab_dynamic" &&
	cp "$progs/dyn" "$progs/dynamic-first/aa_dynamic" &&
	cp "$progs/static" "$progs/dynamic-first/ab_static"
} >"$log" 2>&1 || rc=$?

# has_library ORDER: the initramfs root built with ORDER's programs holds
# the dynamic one's library
has_library() {
	local root
	root=$(MBX_VM_PROGRAMS="$(echo "$progs/$1"/*)" "$VMDIR/vm.sh" initramfs "$kver" 2>>"$log") &&
		[[ -f $root$progs/lib/librunner_dyn.so && -f $root/usr/bin/aa_${1%%-*} ]]
}
ok=0
((rc == 0)) && has_library static-first && has_library dynamic-first && ok=1
point $ok "the initramfs has a dynamic program's libraries, before or after a static one"

# One boot of 6.12 with the static-first programs, null_blk and a NIC: the
# programs run, /dev/nullb0 is looked for, then busybox httpd serves a file
# and a CGI that ends the VM; the host fetches both on 127.0.0.1:PORT.
k612=$(resolve_kernel 6.12)
"$VMDIR/deps.sh" kernel "$k612" >/dev/null
log=$BUILD/vm/runner-test-vm.log
rc=0
port=0
for _ in 1 2 3 4 5 6 7 8; do
	p=$((20000 + RANDOM % 40000))
	[[ -n $(ss -Hltn "sport = :$p") ]] || { port=$p; break; }
done
MBX_VM_PROGRAMS="$(echo "$progs/static-first"/*)" MBX_VM_MODULES="configfs null_blk" \
	MBX_VM_NET=$port MBX_VM_TIMEOUT=240 "$VMDIR/vm.sh" exec "$k612" 'aa_static; ab_dynamic
if [ -b /dev/nullb0 ]; then echo "nullb0: a block device"; else ls -l /dev/nullb0; fi
mkdir -p /srv/cgi-bin
echo "served by the VM" >/srv/file.txt
{ echo "#!/bin/sh"; echo "touch /tmp/done"; echo "echo Content-Type: text/plain"; echo echo; echo "echo bye"; } >/srv/cgi-bin/done
chmod +x /srv/cgi-bin/done
httpd -p 8080 -h /srv || exit 1
i=0
while [ ! -e /tmp/done ] && [ $i -lt 120 ]; do sleep 1; i=$((i + 1)); done
[ -e /tmp/done ]' >"$log" 2>&1 &
vm=$!
got="" bound=""
for _ in $(seq 180); do
	got=$(curl -sf --max-time 5 "http://127.0.0.1:$port/file.txt" 2>/dev/null) && break
	kill -0 "$vm" 2>/dev/null || break
	sleep 1
done
bound=$(ss -Hltn "sport = :$port" | awk '{ print $4 }' | sort -u | paste -sd' ')
curl -sf --max-time 5 "http://127.0.0.1:$port/cgi-bin/done" >/dev/null 2>&1 || true
wait "$vm" || rc=$?
{
	echo "# fetched: '$got'"
	echo "# listening: '$bound'"
} >>"$log"
ok=0
grep -qx 'runner_static: ran' "$log" && grep -qx 'runner_dyn: library found' "$log" && ok=1
point $ok "a dynamic program after a static one runs in the VM ($k612)"
ok=0
grep -qx 'nullb0: a block device' "$log" && ok=1
point $ok "MBX_VM_MODULES=\"configfs null_blk\": /dev/nullb0 exists in the VM ($k612)"
ok=0
((rc == 0 && port != 0)) && [[ $got == "served by the VM" && $bound == "127.0.0.1:$port" ]] && ok=1
point $ok "MBX_VM_NET: the host fetches a file from httpd in the VM on 127.0.0.1 only ($k612)"

echo "# runner self-tests: $passed passed, $failed failed"
printf 'passed=%d\nfailed=%d\nskipped=0\n' "$passed" "$failed" >"$BUILD/vm/runner-test.result"
((failed == 0))
