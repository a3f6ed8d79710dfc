#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The VM's half of tools/pkg/check.sh (busybox sh, POSIX): run in the test
# VM with the tree's module loaded, from /pkgcheck/ (MBX_VM_OVERLAY).  Prints
# one "PASS <what>" or "FAIL <what>" line per check (check.sh makes them
# TAP points), with what went wrong before a FAIL.
#
#   vm-check.sh dkms VERSION      unload the tree's mbx.ko, load the one dkms
#                                 built (/pkgcheck/dkms/mbx.ko), check its
#                                 version and make calls through it
#   vm-check.sh readme            the README's program (/pkgcheck/readme_demo)
#                                 twice in a row against examples/callee,
#                                 then alone
#   vm-check.sh packages VERSION  in a chroot of the unpacked Debian packages
#                                 (/pkgcheck/root): a call with the
#                                 installed library, listed with the
#                                 installed mailboxctl

P=/pkgcheck
fails=0

pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; fails=$((fails + 1)); }

# check WHAT CMD...: PASS when CMD succeeds; its output before a FAIL
check() {
	what=$1
	shift
	if out=$("$@" 2>&1); then
		pass "$what"
	else
		printf '%s\n' "$out" | sed 's/^/    /'
		fail "$what"
	fi
}

# start_callee NAME [CMD-PREFIX]: examples/callee serving NAME, in the
# background; waits until it says it serves
start_callee() {
	rm -f /tmp/callee.out
	callee -t 30 "$1" >/tmp/callee.out 2>&1 &
	callee_pid=$!
	i=0
	while ! grep -q "^callee: serving $1" /tmp/callee.out 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 100 ] || { cat /tmp/callee.out; return 1; }
		sleep 0.1
	done
}

stop_callee() {
	kill "$callee_pid" 2>/dev/null
	wait "$callee_pid" 2>/dev/null
}

listed() { mailboxctl list -n -r -o NAME | grep -qx "$1"; }
not_listed() { ! listed "$1"; }

case $1 in
dkms)
	version=$2
	check "rmmod the tree's mbx" rmmod mbx
	check "insmod the dkms-built mbx.ko" insmod $P/dkms/mbx.ko
	got=$(cat /sys/module/mbx/version 2>&1)
	if [ "$got" = "$version" ]; then
		pass "the dkms-built module's MODULE_VERSION is $version"
	else
		echo "    /sys/module/mbx/version: $got"
		fail "the dkms-built module's MODULE_VERSION is $version"
	fi
	if start_callee pkg.dkms; then
		check "calls through the dkms-built module" sh -c \
			'caller -n 20 -p 4 pkg.dkms | grep -x "caller: 20 calls, 0 wrong, in .*"'
		stop_callee
	else
		fail "calls through the dkms-built module (no callee)"
	fi
	;;
readme)
	# 1. a callee first: it creates "demo", the program opens it, twice
	if start_callee demo; then
		check "README's program against a callee" sh -c \
			"$P/readme_demo | grep -x HELLO"
		check "README's program again, at once" sh -c \
			"$P/readme_demo | grep -x HELLO"
		stop_callee
		check "the callee destroyed the demo it made" not_listed demo
	else
		fail "README's program (no callee)"
	fi
	# 2. the program first: it creates "demo", the callee serves it
	$P/readme_demo >/tmp/demo.out 2>&1 &
	demo=$!
	i=0
	while ! listed demo && [ $i -lt 50 ]; do i=$((i + 1)); sleep 0.1; done
	if start_callee demo; then
		wait $demo
		rc=$?
		check "README's program first, then a callee: answered" sh -c \
			"[ $rc = 0 ] && grep -x HELLO /tmp/demo.out || { cat /tmp/demo.out; exit 1; }"
		stop_callee
	else
		wait $demo
		fail "README's program first, then a callee (no callee)"
	fi
	check "the program destroyed the demo it made" not_listed demo
	# 3. alone: no answer within its timeout; a failure, and no demo left
	check "README's program alone: fails, says why" sh -c \
		"! $P/readme_demo 2>/tmp/alone.err && grep -q '^demo: ' /tmp/alone.err"
	check "the program alone destroyed the demo it made" not_listed demo
	;;
packages)
	version=$2
	r=$P/root
	mkdir -p $r/dev $r/proc $r/tmp
	mount -o bind /dev $r/dev && mount -t proc proc $r/proc ||
		fail "mount /dev and /proc into the packages' root"
	check "installed mailboxctl -V says mbx $version" sh -c \
		"chroot $r /usr/bin/mailboxctl -V | grep '^mailboxctl from mbx $version '"
	if start_callee demo; then
		check "a call with the installed libmailbox.so.1" sh -c \
			"chroot $r /usr/local/bin/readme_demo | grep -x HELLO"
		check "the installed mailboxctl lists the mailbox" sh -c \
			"chroot $r /usr/bin/mailboxctl list -n -r -o NAME,SLOTS,PENDING | grep -x 'demo 8 0'"
		check "the installed mailboxctl counts the call" sh -c \
			"chroot $r /usr/bin/mailboxctl stats --prometheus demo | grep -x 'mbx_calls_completed_total{mailbox=\"demo\"} 1'"
		stop_callee
	else
		fail "a call with the installed library (no callee)"
	fi
	umount $r/proc
	umount $r/dev
	;;
*)
	echo "usage: vm-check.sh dkms VERSION|readme|packages VERSION" >&2
	exit 2
	;;
esac
[ "$fails" = 0 ]
