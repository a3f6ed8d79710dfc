#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot one of Debian's kernels in QEMU with the module and the selftests.
#
#   vm.sh check KERNEL        build the module for KERNEL, boot, load it, run
#                             the selftests, unload it, power off; fail on a
#                             failed test, a timeout, a crash or a bad kernel
#                             log line.  Prints a summary and writes
#                             build/vm/<run>/result for check.sh.
#   vm.sh exec KERNEL CMD...  run CMD (a shell command line) in the VM with the
#                             module loaded; prints its output, exits with its
#                             status
#   vm.sh shell KERNEL        a root shell on the serial console
#   vm.sh initramfs KERNEL    build check's initramfs, boot nothing; prints
#                             the directory of its root (the runner's tests)
#
# KERNEL: 6.1, 6.12, 6.12-rt or a full release (6.12.117+deb12-amd64).
# Run `make` first: the selftests, library and tools are built once and put
# into every kernel's initramfs; the module is built here, per kernel.
#
# Environment:
#   MBX_BUILD        the build directory (default build/); runs with
#                    different ones never wait for each other
#   MBX_CACHE        the downloaded kernels (default /var/cache/mbx-vm)
#   MBX_VM_FAULT     test, warn, unload or hang: the runner's own tests
#                    (check only; see selftests/runner/runner_test.sh)
#   MBX_VM_TESTS     the selftests to run (default: selftests/Makefile's
#                    TEST_GEN_PROGS), e.g. "mbx_call_test lib_test"
#   MBX_VM_TIMEOUT   seconds one VM may run, boot to power-off (default 600)
#   MBX_VM_ACCEL     QEMU -accel (default tcg,thread=single, see below)
#   MBX_VM_SMP       vCPUs (default 2)
#   MBX_VM_CPU       QEMU -cpu (default max)
#   MBX_VM_MEM       memory (default 1G)
#   MBX_VM_APPEND    more kernel command line
#   MBX_VM_MODULES   more modules of the kernel to load before mbx, e.g.
#                    "configfs null_blk" (their dependencies too; those
#                    built in are skipped), from Debian's image package
#                    (deps.sh modules); not on the debug kernel
#   MBX_VM_NET       PORT: a virtio NIC on QEMU's user network (restrict=on:
#                    no way out); eth0 is 10.0.2.15/24, and the host's
#                    127.0.0.1:PORT (never another address) is forwarded to
#                    the VM's port 8080.  Loads virtio_net as MBX_VM_MODULES
#                    would
#   MBX_VM_GUESTFWD  PORT (with MBX_VM_NET): the VM's connections to
#                    10.0.2.100:5432 go to the host's 127.0.0.1:PORT (QEMU's
#                    guestfwd, through socat), a database server on the host
#                    say; nothing else of the host is reachable
#   MBX_VM_PROGRAMS  more programs for /usr/bin, with their libraries (the
#                    runner's own tests)
#   MBX_VM_OVERLAY   a directory copied over the VM's root before the
#                    tree's programs (tools/pkg/check.sh: packages unpacked,
#                    a module built by dkms)
#   MBX_VM_GCOV=1    the module built with GCOV_PROFILE (a kernel with
#                    CONFIG_GCOV_KERNEL: the debug kernel), in
#                    build/kmod/<kver>-gcov; after rmmod the VM sends its
#                    .gcda files back (below).  Runs in build/vm/<kver>-gcov
#   MBX_VM_KCOV=1    the module built with KCOV_INSTRUMENT (a kernel with
#                    CONFIG_KCOV: the debug kernel), in build/kmod/<kver>-kcov,
#                    for the state fuzzer's guidance.  Runs in
#                    build/vm/<kver>-kcov
#
# Files out of the VM: whatever /tmp/mbx-vm-out holds at power-off (with
# MBX_VM_GCOV, /sys/kernel/debug/gcov's .gcda files, in gcov/) goes over a
# third serial port, ttyS2, as a base64 tar; it is unpacked into the run
# directory's out/.
#   V=1              stream the VM's TAP output, show build commands
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FAULT=${MBX_VM_FAULT:-}
GCOV=${MBX_VM_GCOV:-}
KCOV=${MBX_VM_KCOV:-}
TIMEOUT=${MBX_VM_TIMEOUT:-600}

# Software emulation (no KVM here).  One host thread runs both vCPUs in turn
# (thread=single): a wakeup that crosses vCPUs is seen at the next turn,
# where multi-threaded TCG leaves the idle vCPU asleep for milliseconds.
# selftests/runner/vcpu_pingpong, 10,000 pipe round trips between two
# processes pinned to the two vCPUs, 6.12 guest, on a 2-core host:
#   thread=single   median 31-35 us, p99 0.2-2.7 ms, 0.6-1.1 s in all
#   thread=multi    median 1.1-3.8 ms, p99 16-17 ms, 33-45 s in all
# (the range: a quiet host to one running three other VMs), so a suite of
# 100,000 cross-process calls takes seconds, not many minutes.  Boot to /init
# takes 2.2-2.6 s on a quiet host (thread=multi: 5.1 s against 3.6 s on a
# busy one).  One thread per VM also leaves the host's second core to a
# second VM: check.sh runs two at once.
ACCEL=${MBX_VM_ACCEL:-tcg,thread=single}
SMP=${MBX_VM_SMP:-2}
CPU=${MBX_VM_CPU:-max}
MEM=${MBX_VM_MEM:-1G}
# mitigations=off: no page-table isolation or retpolines in a throwaway VM.
# With -cpu max (an AMD model: no PTI) it measured no faster; it is there so
# that another -cpu does not bring PTI's costly TLB flushes to emulation.  panic=-1 with
# QEMU's -no-reboot: a panic ends QEMU at once.
APPEND="console=ttyS0,115200 loglevel=7 panic=-1 mitigations=off${MBX_VM_APPEND:+ $MBX_VM_APPEND}"

# Kernel log lines that fail a run even when every test passed.  Loading an
# unsigned out-of-tree module taints the kernel; that message is expected.
# kmemleak: its reports only, not the debug kernel's boot message.  An OOM
# kill fails the run too: a test of a memory limit expects ENOMEM, not the
# OOM killer.
BAD_LOG='BUG:|WARNING:|Oops|Call Trace|lockdep is turned off|lockdep:|possible (circular|recursive) locking|INFO: task .* blocked for more than|KASAN|kmemleak: ([0-9]+ new suspected|unreferenced object)|UBSAN|general protection fault|Kernel panic|detected stall|soft lockup|hard LOCKUP|list_(add|del) (corruption|double add)|invoked oom-killer'

MODULES=${MBX_VM_MODULES:-}
NET=${MBX_VM_NET:-}
GUESTFWD=${MBX_VM_GUESTFWD:-}
if [[ -n $GUESTFWD ]]; then
	[[ -n $NET ]] || die "MBX_VM_GUESTFWD needs MBX_VM_NET"
	[[ $GUESTFWD =~ ^[1-9][0-9]{0,4}$ ]] && ((GUESTFWD <= 65535)) ||
		die "MBX_VM_GUESTFWD: '$GUESTFWD' is not a port number"
	command -v socat >/dev/null || die "MBX_VM_GUESTFWD needs socat (sla/deps.sh installs it)"
fi
if [[ -n $NET ]]; then
	[[ $NET =~ ^[1-9][0-9]{0,4}$ ]] && ((NET <= 65535)) ||
		die "MBX_VM_NET: '$NET' is not a port number"
	# the transport (a module on 6.1, built into 6.12), then the driver
	MODULES="virtio_pci virtio_net $MODULES"
fi

case $FAULT in
"" | test | warn | unload | hang) ;;
*) die "MBX_VM_FAULT: '$FAULT' is not test, warn, unload or hang" ;;
esac

now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# The make run by the top-level Makefile must not leak its command line
# (KERNELS=, V=) into Kbuild.
kbuild() {
	local kdir=$1 dir=$2 log=$2.log
	shift 2
	msg "  KMOD    ${dir#"$BUILD"/}"
	if verbose; then
		env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS \
			make -C "$kdir" M="$dir" W=1 KCFLAGS=-Werror V=1 "$@" modules
	elif ! env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS \
			make -s -C "$kdir" M="$dir" W=1 KCFLAGS=-Werror "$@" modules >"$log" 2>&1; then
		cat "$log" >&2
		return 1
	fi
}

# Build the module (and, for the runner's tests, runner_fault) against
# KVER's headers, in build/kmod/<kver>/: M= builds in the source directory,
# so each kernel gets its own copy of the sources.
kmod_dir() { echo "$BUILD/kmod/$1${GCOV:+-gcov}${KCOV:+-kcov}"; }

build_modules() {
	local kver=$1 out
	out=$(kmod_dir "$kver")
	mkdir -p "$out/mbx" "$out/runner_fault"
	# sources only: kmod/ also holds the objects of the host build
	(cd "$TOP" && find Kbuild VERSION kmod include -type f \
		\( -name '*.[ch]' -o -name Kbuild -o -name Makefile -o -name VERSION \) \
		! -name '*.mod.c' -print0 | tar --null -cf - -T -) |
		tar -xf - -C "$out/mbx"
	kbuild "$(kernel_kdir "$kver")" "$out/mbx" ${GCOV:+MBX_GCOV=y} ${KCOV:+MBX_KCOV=y} || return 1
	if [[ -n $FAULT ]]; then
		cp -p "$TOP/selftests/runner/Kbuild" "$TOP/selftests/runner/runner_fault.c" \
			"$out/runner_fault/"
		kbuild "$(kernel_kdir "$kver")" "$out/runner_fault" || return 1
	fi
}

is_elf() { [[ $(head -c4 "$1" 2>/dev/null | tr -d '\0') == $'\x7fELF' ]]; }

# Copy the shared libraries that the programs in the initramfs need, at the
# paths they have here.  A library of this project (lib/) is not installed
# here: it is copied from the tree into /usr/lib, and found there.  A program with no
# DT_NEEDED entry (static, static-pie) needs none and is not given to ldd,
# which fails on it; every other program must resolve, or the run fails.
# The list is built before anything is copied, outside any subshell, so that
# a failure of ldd stops the run instead of ending the list early.
copy_libraries() {
	local root=$1 f lib out files libs=()
	mapfile -d '' files < <(find "$root/usr/bin" "$root/usr/lib" -type f -print0 | LC_ALL=C sort -z)
	for f in "${files[@]}"; do
		is_elf "$f" || continue
		[[ $(readelf -d "$f" 2>/dev/null) == *'(NEEDED)'* ]] || continue
		out=$(LD_LIBRARY_PATH=$root/usr/lib ldd "$f" 2>&1) || die "ldd ${f#"$root"}: $out"
		! grep -q 'not found' <<<"$out" ||
			die "${f#"$root"} needs libraries that are not here: $(grep 'not found' <<<"$out" | sed 's/^[[:space:]]*//' | paste -sd,)"
		mapfile -t -O "${#libs[@]}" libs < <(sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p' <<<"$out")
	done
	for lib in "${libs[@]}"; do
		[[ $lib != "$root"/* ]] || continue
		[[ -e $root$lib ]] || cp -L --parents "$lib" "$root"
	done
}

# The programs of lib/, tools/ and examples/ (whatever their Makefiles
# built): every executable ELF file goes to /usr/bin, every shared library to
# /usr/lib.
copy_programs() {
	local root=$1 dir f
	for dir in lib tools examples; do
		[[ -d $TOP/$dir ]] || continue
		while IFS= read -r -d '' f; do
			is_elf "$f" || continue
			case ${f##*/} in
			*.so | *.so.*) cp -P "$f" "$root/usr/lib/" ;;
			*.o | *.ko | *.a) ;;
			*) [[ -x $f ]] && cp "$f" "$root/usr/bin/" ;;
			esac
		done < <(find "$TOP/$dir" -path "$TOP/tools/vm" -prune -o \
			\( -type f -o -type l \) -print0)
	done
	for f in ${MBX_VM_PROGRAMS:-}; do
		cp "$f" "$root/usr/bin/"
	done
	copy_libraries "$root"
}

# add_module KVER NAME ROOT: put module NAME of KVER (Debian's, from the
# cache) into ROOT/lib/modules/NAME.ko, decompressed (busybox insmod reads
# no .ko.xz), after the modules its depends= names; appends to MOD_ORDER.
# A module built into KVER is skipped.
declare -A MOD_PATH=() MOD_BUILTIN=() MOD_SEEN=()
MOD_ORDER=()
index_modules() {
	local dir=$1 f n
	MOD_PATH=() MOD_BUILTIN=() MOD_SEEN=() MOD_ORDER=()
	while IFS= read -r f; do
		n=${f##*/}
		n=${n%%.ko*}
		MOD_PATH[${n//-/_}]=$f
	done < <(find "$dir/kernel" -name '*.ko*' -type f)
	while IFS= read -r f; do
		n=${f##*/}
		n=${n%.ko}
		MOD_BUILTIN[${n//-/_}]=1
	done <"$dir/modules.builtin"
}

add_module() {
	local kver=$1 name=${2//-/_} root=$3 src ko deps dep
	[[ -z ${MOD_SEEN[$name]:-} ]] || return 0
	MOD_SEEN[$name]=1
	[[ -z ${MOD_BUILTIN[$name]:-} ]] || return 0
	src=${MOD_PATH[$name]:-}
	[[ -n $src ]] || die "MBX_VM_MODULES: $kver has no module $name"
	ko=$root/lib/modules/$name.ko
	case $src in
	*.ko.xz) xz -dc "$src" >"$ko" ;;
	*.ko.zst) zstd -q -dc "$src" >"$ko" ;;
	*.ko.gz) gzip -dc "$src" >"$ko" ;;
	*.ko) cp "$src" "$ko" ;;
	*) die "$src: unknown compression" ;;
	esac
	deps=$(tr '\0' '\n' <"$ko" | sed -n 's/^depends=//p')
	for dep in ${deps//,/ }; do
		add_module "$kver" "$dep" "$root"
	done
	MOD_ORDER+=("$name")
}

# copy_modules KVER ROOT: MODULES into ROOT, their load order into
# ROOT/etc/mbx-vm.modules.
copy_modules() {
	local kver=$1 root=$2 m
	: >"$root/etc/mbx-vm.modules"
	[[ -n ${MODULES// /} ]] || return 0
	"$VMDIR/deps.sh" modules "$kver"
	index_modules "$(kernel_root "$kver")/lib/modules/$kver"
	for m in $MODULES; do
		add_module "$kver" "$m" "$root"
	done
	((${#MOD_ORDER[@]} == 0)) || printf '%s\n' "${MOD_ORDER[@]}" >"$root/etc/mbx-vm.modules"
}

# make_initramfs RUNDIR KVER MODE [CMD]
make_initramfs() {
	local run=$1 kver=$2 mode=$3 cmd=${4:-} root=$1/root mods
	mods=$(kmod_dir "$kver")
	[[ -d $BUILD/selftests ]] || die "selftests not built: run 'make' first"
	rm -rf "$root"
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/lib,etc,lib/modules,selftests,root,tmp,proc,sys,dev,run}
	cp /bin/busybox "$root/bin/busybox"
	ln -s busybox "$root/bin/sh"
	install -m 0755 "$VMDIR/init" "$root/init"
	cp "$mods/mbx/kmod/mbx.ko" "$root/lib/modules/"
	[[ -z $FAULT ]] || cp "$mods/runner_fault/runner_fault.ko" "$root/lib/modules/"
	cp -a "$BUILD/selftests/." "$root/selftests/"
	[[ $FAULT != warn ]] || install -D -m 0755 "$TOP/selftests/runner/runner_warn.sh" \
		"$root/selftests/runner/runner_warn.sh"
	if [[ -n ${MBX_VM_TESTS:-} ]]; then
		printf '%s\n' $MBX_VM_TESTS >"$root/selftests/run-list"
	else
		env -u MAKEFLAGS make -s -C "$TOP/selftests" run-list >"$root/selftests/run-list"
	fi
	cp "$TOP/selftests/settings" "$root/selftests/"
	[[ -z ${MBX_VM_OVERLAY:-} ]] || cp -a "$MBX_VM_OVERLAY/." "$root/"
	copy_programs "$root"
	copy_modules "$kver" "$root"
	{
		echo "MBX_MODE=$mode"
		echo "MBX_FAULT=$FAULT"
		echo "MBX_KVER=$kver"
		echo "MBX_NET=${NET:+1}"
		echo "MBX_GCOV=${GCOV:+1}"
	} >"$root/etc/mbx-vm.conf"
	printf '%s\n' "$cmd" >"$root/etc/mbx-vm.cmd"
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$run/initramfs.cpio"
}

# qemu KVER RUNDIR SERIAL...: boot, with the serial ports given
qemu() {
	local kver=$1 run=$2
	shift 2
	local serial=() net=() s
	for s in "$@"; do
		serial+=(-serial "$s")
	done
	# the host side of the forward on the loopback address only
	local fwd=
	[[ -z $GUESTFWD ]] ||
		fwd=",guestfwd=tcp:10.0.2.100:5432-cmd:socat STDIO TCP:127.0.0.1:$GUESTFWD"
	[[ -z $NET ]] || net=(-netdev "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$NET-:8080$fwd"
		-device virtio-net-pci,netdev=n0,romfile=)
	local limit=(timeout -k 10 "$TIMEOUT")
	# timeout(1) would take an interactive QEMU off the terminal
	((TIMEOUT)) || limit=()
	"${limit[@]}" qemu-system-x86_64 \
		-nodefaults -no-user-config -display none -no-reboot \
		-machine pc -accel "$ACCEL" -cpu "$CPU" -smp "$SMP" -m "$MEM" \
		-kernel "$(kernel_image "$kver")" -initrd "$run/initramfs.cpio" \
		-append "$APPEND" "${serial[@]}" "${net[@]}"
}

# Print a file as it grows while PID lives (the VM's ttyS1).
follow() {
	local file=$1 pid=$2
	tail -s 0.2 -n +1 -F --pid="$pid" "$file" 2>/dev/null | tr -d '\r'
}

# boot_batch KVER RUNDIR: boot with ttyS0 (console) and ttyS1 (results) in
# files.  Returns QEMU's status (124: timed out).
boot_batch() {
	local kver=$1 run=$2 pid rc=0
	rm -rf "$run/console.log" "$run/tap.log" "$run/files.log" "$run/out"
	: >"$run/tap.log"
	qemu "$kver" "$run" "file:$run/console.log" "file:$run/tap.log" \
		"file:$run/files.log" </dev/null &
	pid=$!
	case $3 in
	stream)
		follow "$run/tap.log" "$pid" | sed -u '/^# mbx-vm: \(exit\|end\)/d' ;;
	program)
		# a program's output, less the modules' load and unload points
		# and the network's
		# (their failures stay)
		follow "$run/tap.log" "$pid" |
			sed -u -e '/^# mbx-vm: \(exit\|end\)/d' -e '/^ok [0-9]* \(insmod\|rmmod\|net:\) /d' ;;
	esac
	wait "$pid" || rc=$?
	tr -d '\r' <"$run/tap.log" >"$run/tap.txt"
	tr -d '\r' <"$run/console.log" >"$run/console.txt" 2>/dev/null || : >"$run/console.txt"
	if [[ -s $run/files.log ]]; then
		mkdir -p "$run/out"
		tr -d '\r' <"$run/files.log" | base64 -d | tar -xf - -C "$run/out" ||
			msg "vm.sh: the files the VM sent are damaged ($run/files.log)"
	fi
	return "$rc"
}

# Lines of the kernel log that fail the run, each as "STEP<tab>LINE": the
# step of /init (a selftest, an insmod, an rmmod, the command of exec) during
# which it appeared, from the markers that /init writes to /dev/kmsg around
# each ("mbx-vm: begin STEP", "mbx-vm: end STEP"); between steps, "after
# STEP"; before the first, "boot".
bad_log_lines() {
	BAD_LOG=$BAD_LOG awk '
	BEGIN { bad = ENVIRON["BAD_LOG"]; step = "boot" }
	/(^|\] )mbx-vm: begin / { s = $0; sub(/.*mbx-vm: begin /, "", s); step = s; next }
	/(^|\] )mbx-vm: end / { s = $0; sub(/.*mbx-vm: end /, "", s); step = "after " s; next }
	$0 ~ bad { print step "\t" $0 }' "$1"
}

# The steps of bad_log_lines' output, once each, in order.
bad_log_steps() {
	cut -f1 <<<"$1" | awk '!seen[$0]++'
}

# For each step, its first bad line: "LINE (during STEP)".
bad_log_firsts() {
	awk -F'\t' '!seen[$1]++ {
		l = $2; sub(/^\[[ 0-9.]*\] /, "", l)
		print l " (during " $1 ")"
	}' <<<"$1"
}

# Two runs on one kernel in one work tree share build/kmod/<kver> and the
# run directory: the second waits.  (MBX_BUILD=elsewhere runs apart.)
lock_kernel() {
	mkdir -p "$BUILD/vm"
	exec {KERNEL_LOCK}>"$BUILD/vm/.lock-$1"
	if ! flock -n "$KERNEL_LOCK"; then
		msg "  WAIT    another run on $1 in $BUILD"
		flock "$KERNEL_LOCK"
	fi
}

unlock_kernel() {
	exec {KERNEL_LOCK}>&-
}

run_dir() {
	local d=$BUILD/vm/$1${FAULT:+-fault-$FAULT}${GCOV:+-gcov}${KCOV:+-kcov}
	mkdir -p "$d"
	echo "$d"
}

cmd_check() {
	local name=$1 kver run t0 rc=0 reasons=() boot="" bad end p f s r firsts=()
	kver=$(resolve_kernel "$name")
	"$VMDIR/deps.sh" kernel "$kver" >/dev/null
	lock_kernel "$kver"
	run=$(run_dir "$kver")
	t0=$(now)
	rm -f "$run/result" "$run/tap.txt" "$run/console.txt"
	if build_modules "$kver"; then
		make_initramfs "$run" "$kver" check
		msg "  VM      $kver${FAULT:+ (fault: $FAULT)}"
		if verbose; then
			boot_batch "$kver" "$run" stream || rc=$?
		else
			boot_batch "$kver" "$run" quiet || rc=$?
		fi
		# timeout(1): 124 after SIGTERM, 137 when QEMU needed SIGKILL
		((rc != 124 && rc != 137)) || reasons+=("timed out after $TIMEOUT s")
		((rc == 0 || rc == 124 || rc == 137)) || reasons+=("QEMU exited with status $rc")
	else
		reasons+=("module build failed")
		: >"$run/tap.txt"
		: >"$run/console.txt"
	fi
	boot=$(sed -n 's/^# mbx-vm: booted \([0-9.]*\) s.*/\1/p' "$run/tap.txt" | head -n1)

	# The host's own test points, after the VM's.
	end=ok
	grep -qx '# mbx-vm: end' "$run/tap.txt" || end="not ok"
	bad=$(bad_log_lines "$run/console.txt")
	{
		grep -v '^# mbx-vm: end$' "$run/tap.txt" || true
		echo "$end - vm: ran to the end"
		if [[ -z $bad ]]; then
			echo "ok - vm: kernel log clean"
		else
			# each report line with its step, then the lines that lead
			# to each report
			head -n 20 <<<"$bad" | awk -F'\t' '{ print "# during " $1 ": " $2 }'
			grep -E -B3 "$BAD_LOG" "$run/console.txt" | head -n 40 | sed 's/^/# /'
			echo "not ok - vm: kernel log clean: reports during $(bad_log_steps "$bad" | paste -sd, | sed 's/,/, /g')"
		fi
	} >"$run/tap-all.txt"
	[[ $end == ok ]] || reasons+=("no end marker: the VM crashed, hung or did not boot (see $run/console.txt)")
	if [[ -n $bad ]]; then
		mapfile -t firsts < <(bad_log_firsts "$bad")
		for r in "${firsts[@]}"; do
			reasons+=("kernel log: $r")
		done
	fi

	echo "# $kver${FAULT:+ (fault: $FAULT)}: booted in ${boot:-?} s, $(elapsed "$t0") s in all"
	awk -f "$VMDIR/tap.awk" "$run/tap-all.txt" >"$run/summary.txt"
	grep -v '^counts ' "$run/summary.txt" || true
	read -r _ p f s < <(tail -n1 "$run/summary.txt")
	mapfile -t notok < <(grep -E '^not ok [0-9]+ ' "$run/tap.txt" | sed 's/^not ok [0-9]* //')
	((${#notok[@]} == 0)) || reasons+=("failed: $(IFS=,; echo "${notok[*]}" | sed 's/,/, /g')")
	if ((${#reasons[@]})) && ((f == 0)); then
		f=1
	fi
	echo "# $kver${FAULT:+ (fault: $FAULT)}: $p passed, $f failed, $s skipped"
	for r in "${reasons[@]}"; do
		echo "# FAIL $kver: $r"
	done
	((${#reasons[@]} == 0)) || echo "# logs: $run/{tap,console}.txt"
	{
		printf 'kver=%q\npassed=%d\nfailed=%d\nskipped=%d\nboot=%q\nwall=%q\n' \
			"$kver" "$p" "$f" "$s" "${boot:-?}" "$(elapsed "$t0")"
		((${#reasons[@]} == 0)) || printf 'reasons=%q\n' "$(printf '%s; ' "${reasons[@]}")"
	} >"$run/result"
	((${#reasons[@]} == 0))
}

cmd_exec() {
	local name=$1 kver run rc=0 status
	shift
	kver=$(resolve_kernel "$name")
	"$VMDIR/deps.sh" kernel "$kver" >/dev/null
	lock_kernel "$kver"
	run=$(run_dir "$kver")/exec
	mkdir -p "$run"
	build_modules "$kver" || exit 1
	make_initramfs "$run" "$kver" exec "$*"
	msg "  VM      $kver: ${EXEC_LABEL:-$*}"
	boot_batch "$kver" "$run" program || rc=$?
	if ((rc == 124 || rc == 137)); then
		# the next run on this kernel reuses the directory: the end of
		# the kernel log (a task blocked, say) goes with the error
		msg "# the end of the kernel log ($run/console.txt):"
		tail -n 40 "$run/console.txt" | sed 's/^/#   /' >&2
		die "the VM timed out after $TIMEOUT s"
	fi
	grep -qx '# mbx-vm: end' "$run/tap.txt" ||
		die "the VM did not finish (crashed or hung): see $run/console.txt"
	if ! grep -qx 'ok [0-9]* rmmod mbx' "$run/tap.txt"; then
		msg "mbx-vm: loading or unloading mbx failed"
		rc=1
	fi
	local bad
	bad=$(bad_log_lines "$run/console.txt")
	if [[ -n $bad ]]; then
		msg "mbx-vm: the kernel log shows:"
		msg "$(awk -F'\t' '{ print $2 "  [during " $1 "]" }' <<<"$bad")"
		rc=1
	fi
	status=$(sed -n 's/^# mbx-vm: exit \([0-9]*\)$/\1/p' "$run/tap.txt")
	((rc == 0)) || exit "$rc"
	exit "${status:-1}"
}

cmd_shell() {
	local kver run
	kver=$(resolve_kernel "$1")
	"$VMDIR/deps.sh" kernel "$kver" >/dev/null
	lock_kernel "$kver"
	run=$(run_dir "$kver")/shell
	mkdir -p "$run"
	build_modules "$kver" || exit 1
	make_initramfs "$run" "$kver" shell
	# QEMU reads the initramfs when it starts; a long session need not
	# hold up the other runs
	unlock_kernel
	msg "  VM      $kver: shell (Ctrl-A x quits QEMU)"
	TIMEOUT=0 qemu "$kver" "$run" mon:stdio
}

cmd_initramfs() {
	local kver run
	kver=$(resolve_kernel "$1")
	"$VMDIR/deps.sh" kernel "$kver" >/dev/null
	lock_kernel "$kver"
	run=$(run_dir "$kver")/initramfs
	mkdir -p "$run"
	build_modules "$kver" || exit 1
	make_initramfs "$run" "$kver" check
	echo "$run/root"
}

case ${1:-} in
check)
	(($# == 2)) || die "usage: vm.sh check KERNEL"
	cmd_check "$2" ;;
exec)
	(($# >= 3)) || die "usage: vm.sh exec KERNEL CMD..."
	shift
	cmd_exec "$@" ;;
shell)
	(($# == 2)) || die "usage: vm.sh shell KERNEL"
	cmd_shell "$2" ;;
initramfs)
	(($# == 2)) || die "usage: vm.sh initramfs KERNEL"
	cmd_initramfs "$2" ;;
*)
	die "usage: vm.sh check|exec|shell|initramfs KERNEL [CMD...]" ;;
esac
