#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The debug-kernel lane: a kernel built from Debian's linux-source-6.1 with
# lockdep, DEBUG_ATOMIC_SLEEP, KASAN, kmemleak and DEBUG_LIST
# (tools/vm/debug.config), booted with the module and the whole suite.
#
#   debug-kernel.sh build   build the kernel unless it is cached; print its
#                           release
#   debug-kernel.sh kdir    build it likewise; print the KDIR to build an
#                           out-of-tree module against it
#   debug-kernel.sh check   build it likewise, then run the suite on it
#                           (check.sh RELEASE, without the runner's own
#                           tests); any report of a checker fails the run
#   debug-kernel.sh key     print the release the build would have
#
# The kernel is built once per cache key: a hash of debug.config's values
# (its comments left out), the version of the linux-source-6.1 package, the
# compiler and RECIPE below.
# Its release is <version>-debug-<key>, e.g. 6.1.192-debug-0123456789ab, and
# it lives in $MBX_CACHE/<release>/ laid out as tools/vm/deps.sh lays out
# Debian's kernels, so that vm.sh runs it as it runs them:
#   boot/vmlinuz-<release>, boot/config-<release>   bzImage and its .config
#   usr/src/linux-headers-<release>/                the built tree (KDIR),
#                                                   without its objects
#   build.log, build-time                           the build's output, times
#
# Environment:
#   MBX_DEBUG_JOBS   make -j for the kernel build (default 2); it runs
#                    under nice -n 10, as other VMs share the cores
#   MBX_VM_*, V=1    as for vm.sh; MBX_VM_TIMEOUT defaults to 3600 here
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FRAGMENT=$VMDIR/debug.config
SOURCE=/usr/src/linux-source-6.1.tar.xz
JOBS=${MBX_DEBUG_JOBS:-2}
# Bump when the way the kernel is built changes (not the fragment: its
# contents are in the key already).
RECIPE=1

PKGS_KERNEL=(build-essential bc bison flex libelf-dev xz-utils linux-source-6.1)

kmake() {
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make ARCH=x86_64 "$@"
}

source_version() {
	dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null ||
		die "linux-source-6.1 is not installed"
}

# The kernel version of the source package: its Debian version less the
# revision (6.1.192-2 gives 6.1.192); the build checks it against the tree.
kernel_version() {
	local v
	v=$(source_version)
	echo "${v%%-*}"
}

cache_key() {
	{
		echo "recipe $RECIPE"
		echo "source $(source_version)"
		gcc --version | head -n1
		grep -E '^(CONFIG_|# CONFIG_[A-Za-z0-9_]+ is not set$)' "$FRAGMENT"
	} | sha256sum | cut -c1-12
}

release() {
	echo "$(kernel_version)-debug-$(cache_key)"
}

# Every value that debug.config sets must be in the final .config; Kconfig
# drops a value whose dependencies are missing without an error.
check_config() {
	local config=$1 line sym bad=()
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*)
			grep -qxF "$line" "$config" || bad+=("$line") ;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }
			sym=${sym%% *}
			! grep -q "^$sym=" "$config" || bad+=("$line") ;;
		esac
	done <"$FRAGMENT"
	((${#bad[@]} == 0)) && return 0
	msg "debug.config values that Kconfig did not keep (a dependency is off?):"
	printf '  %s\n' "${bad[@]}" >&2
	return 1
}

# Drop what an out-of-tree module build does not read: objects (but those of
# the host programs in scripts/ and tools/, which are small) and the
# unstripped vmlinux images.  Leaves about a third of the tree.
prune_tree() {
	local tree=$1
	find "$tree" \( -path "$tree/scripts" -o -path "$tree/tools" \) -prune -o \
		-type f \( -name '*.o' -o -name '*.a' -o -name '*.o.*' \) -print0 |
		xargs -0r rm -f
	rm -f "$tree"/vmlinux "$tree"/vmlinux.o "$tree"/arch/x86/boot/compressed/vmlinux* \
		"$tree"/arch/x86/boot/vmlinux.bin "$tree"/arch/x86/boot/setup.elf
	find "$tree" \( -path "$tree/scripts" -o -path "$tree/tools" \) -prune -o \
		\( -path "$tree/Documentation" -o -path "$tree/samples" \) -prune -print0 |
		xargs -0r rm -rf
}

build_kernel() {
	local kver=$1 root tree all t0 c0 c1 cpu wall me=$BASHPID
	root=$(kernel_root "$kver")
	tree=$(kernel_kdir "$kver")
	rm -rf "$root"
	mkdir -p "$tree" "$root/boot"
	msg "  EXTRACT $SOURCE"
	tar -xJf "$SOURCE" -C "$tree" --strip-components=1

	# allnoconfig with the fragment as KCONFIG_ALLCONFIG is tinyconfig's
	# recipe with our fragment for tiny.config: whatever the fragment does
	# not name is off.
	all=$root/allconfig
	{
		cat "$FRAGMENT"
		echo "CONFIG_LOCALVERSION=\"${kver#"$(kernel_version)"}\""
		echo "# CONFIG_LOCALVERSION_AUTO is not set"
	} >"$all"
	msg "  CONFIG  allnoconfig + tools/vm/debug.config"
	kmake -C "$tree" -s KCONFIG_ALLCONFIG="$all" allnoconfig >"$root/build.log" 2>&1 ||
		{ cat "$root/build.log" >&2; die "kernel configuration failed"; }
	check_config "$tree/.config" || die "fix tools/vm/debug.config"

	msg "  KERNEL  $kver (nice -n 10, -j$JOBS; log in $root/build.log)"
	t0=$(now)
	c0=$(child_cpu "$me")
	if verbose; then
		nice -n 10 env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS \
			make ARCH=x86_64 -C "$tree" -j"$JOBS" all 2>&1 | tee -a "$root/build.log" ||
			die "kernel build failed (log: $root/build.log)"
	else
		nice -n 10 env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS \
			make ARCH=x86_64 -C "$tree" -j"$JOBS" all >>"$root/build.log" 2>&1 ||
			{ tail -n 40 "$root/build.log" >&2; die "kernel build failed (log: $root/build.log)"; }
	fi
	c1=$(child_cpu "$me")
	wall=$(elapsed "$t0")
	cpu=$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.0f", b - a }')
	[[ $(cat "$tree/include/config/kernel.release") == "$kver" ]] ||
		die "the kernel built is $(cat "$tree/include/config/kernel.release"), not $kver"
	[[ -f $tree/Module.symvers ]] || die "the build left no Module.symvers"

	cp "$tree/arch/x86/boot/bzImage" "$(kernel_image "$kver")"
	cp "$tree/.config" "$root/boot/config-$kver"
	prune_tree "$tree"
	printf 'wall=%s\ncpu=%s\njobs=%s\n' "$wall" "$cpu" "$JOBS" >"$root/build-time"
	touch "$root/.complete"
	msg "  KERNEL  $kver built in $wall s wall, $cpu s CPU"
	prune_cache
}

# Keep the two newest debug kernels (1.5 GB each): the one just built and
# the one before, for a branch that still has the old debug.config.
prune_cache() {
	local old
	while IFS= read -r old; do
		msg "  RM      $MBX_CACHE/$old (an older debug kernel)"
		rm -rf "${MBX_CACHE:?}/$old"
	done < <(cd "$MBX_CACHE" && ls -dt -- *-debug-*/ 2>/dev/null | sed 's|/$||' | tail -n +3)
}

now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.0f", b - a }'; }

# CPU seconds (user + system) of the waited-for children of process $1
# so far (cutime and cstime in /proc/PID/stat, in clock ticks).
child_cpu() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.1f", ($14 + $15) / hz }' \
		"/proc/$1/stat"
}

# Build unless cached; print the release.
cmd_build() {
	local kver
	apt_install "${PKGS_KERNEL[@]}"
	kver=$(release)
	mkdir -p "$MBX_CACHE"
	exec 8>"$MBX_CACHE/.debug.lock"
	flock 8
	if ! kernel_ready "$kver"; then
		build_kernel "$kver"
	elif verbose; then
		msg "  KERNEL  $kver (cached: $(tr '\n' ' ' <"$(kernel_root "$kver")/build-time"))"
	fi
	exec 8>&-
	echo "$kver"
}

cmd_check() {
	local kver
	kver=$(cmd_build)
	# The kernel's built-in command line (debug.config) sets what the VM
	# needs; the runner's timeout for the whole VM is longer here.
	MBX_RUNNER_TEST=0 MBX_VM_TIMEOUT=${MBX_VM_TIMEOUT:-3600} \
		exec "$VMDIR/check.sh" "$kver"
}

case ${1:-} in
build) cmd_build ;;
kdir) kernel_kdir "$(cmd_build)" ;;
check) cmd_check ;;
key) release ;;
*) die "usage: debug-kernel.sh build|kdir|check|key" ;;
esac
