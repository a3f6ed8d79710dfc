#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what the build and the VM runner need; does nothing when all is
# there already.
#
#   deps.sh build          packages to build the module, library, tools, tests
#   deps.sh vm             build + QEMU, busybox, cpio
#   deps.sh kselftest      kselftest_harness.h and kselftest.h into build/kselftest
#   deps.sh kernel NAME..  fetch kernels into $MBX_CACHE; print their releases
#   deps.sh modules KVER   fetch the modules of a kernel (fetched already) into
#                          $MBX_CACHE/<kver>/lib/modules/<kver>/, for
#                          MBX_VM_MODULES; Debian's kernels only
#   deps.sh kdir           print a KDIR for `make` on a host without its own
#                          kernel headers (the 6.1 VM kernel's), fetching it
#   deps.sh perf           linux-perf, for sampling profiles of the benchmark
#                          in the VM (Documentation/userspace-api/mbx-bench.rst)
#
# Kernels are not installed on the host: their postinst would run initramfs
# and bootloader hooks, and a second kernel package of the same flavour would
# fight the host's own.  Instead the image and the headers packages (with
# their -common and linux-kbuild dependencies) are downloaded with
# `apt-get download` and unpacked with `dpkg-deb -x` under
# $MBX_CACHE/<kver>/, one root per kernel release.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

deps_kselftest() {
	local out=$BUILD/kselftest src=/usr/src/linux-source-6.1.tar.xz
	[[ -f $out/kselftest_harness.h && -f $out/kselftest.h ]] && return 0
	apt_install linux-source-6.1 xz-utils
	msg "  EXTRACT kselftest_harness.h kselftest.h"
	mkdir -p "$out"
	tar -xJf "$src" -C "$out" --strip-components=4 --wildcards \
		'*/tools/testing/selftests/kselftest_harness.h' \
		'*/tools/testing/selftests/kselftest.h'
	[[ -f $out/kselftest_harness.h && -f $out/kselftest.h ]] ||
		die "no kselftest headers in $src"
}

# The image package of a kernel: unsigned when apt has it (the same kernel
# without the Secure Boot signature, which QEMU does not check).
image_package() {
	if apt-cache show "linux-image-$1-unsigned" >/dev/null 2>&1; then
		echo "linux-image-$1-unsigned"
	else
		echo "linux-image-$1"
	fi
}

# The packages that hold one kernel: the image (unsigned when apt has it: the
# same kernel without the Secure Boot signature, which QEMU does not check),
# the headers and the headers' linux-headers-*/linux-kbuild-* dependencies.
kernel_packages() {
	local kver=$1
	image_package "$kver"
	echo "linux-headers-$kver"
	apt-cache depends "linux-headers-$kver" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-\(headers\|kbuild\)-[^ <>]*\)$/\1/p' | sort -u
}

# Download and unpack one kernel; fails (returns 1) when apt cannot
# download it.
fetch_kernel() {
	local kver=$1 root tmp deb pkgs
	kernel_ready "$kver" && return 0
	root=$(kernel_root "$kver")
	apt-cache show "linux-headers-$kver" >/dev/null 2>&1 || {
		msg "apt offers no linux-headers-$kver"
		return 1
	}
	mapfile -t pkgs < <(kernel_packages "$kver")
	msg "  FETCH   $kver (${pkgs[*]})"
	tmp=$(mktemp -d "$MBX_CACHE/.dl.XXXXXX")
	# apt drops root for downloads; let its user write here
	chmod 0755 "$tmp"
	! id _apt >/dev/null 2>&1 || ((EUID != 0)) || chown _apt "$tmp"
	if ! (cd "$tmp" && apt-get download -qq "${pkgs[@]}" >&2); then
		rm -rf "$tmp"
		msg "apt-get download ${pkgs[*]} failed"
		return 1
	fi
	rm -rf "$root"
	mkdir -p "$root"
	for deb in "$tmp"/*.deb; do
		case ${deb##*/} in
		linux-image-*)
			# only the kernel and its config, not the modules
			dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$root" ./boot ;;
		*)
			dpkg-deb -x "$deb" "$root" ;;
		esac
	done
	rm -rf "$tmp"
	# Debian's headers Makefile includes the -common tree by absolute path;
	# point it into this root.  Every other link in the packages is relative.
	sed -i "s|^include /usr/src/|include $root/usr/src/|" \
		"$(kernel_kdir "$kver")/Makefile"
	[[ -f $(kernel_image "$kver") ]] || die "no vmlinuz in the image package of $kver"
	[[ -f $(kernel_kdir "$kver")/Module.symvers ]] || die "no headers for $kver"
	touch "$root/.complete"
}

# The modules of one kernel, from its image package (about 100 MB unpacked,
# compressed as Debian ships them: vm.sh decompresses those it puts into an
# initramfs).  The package has no modules.dep (depmod makes it when the
# package is installed); vm.sh reads each module's depends= instead.
fetch_modules() {
	local kver=$1 root tmp pkg
	root=$(kernel_root "$kver")
	[[ -f $root/.modules-complete ]] && return 0
	case $kver in
	*-debug-*)
		die "$kver: the extra modules (MBX_VM_MODULES, MBX_VM_NET) come from Debian's packages, for Debian's kernels only" ;;
	esac
	kernel_ready "$kver" || die "$kver is not fetched (deps.sh kernel $kver)"
	pkg=$(image_package "$kver")
	msg "  FETCH   $kver modules ($pkg)"
	tmp=$(mktemp -d "$MBX_CACHE/.dl.XXXXXX")
	chmod 0755 "$tmp"
	! id _apt >/dev/null 2>&1 || ((EUID != 0)) || chown _apt "$tmp"
	if ! (cd "$tmp" && apt-get download -qq "$pkg" >&2); then
		rm -rf "$tmp"
		die "apt-get download $pkg failed"
	fi
	rm -rf "$root/lib/modules"
	dpkg-deb --fsys-tarfile "$tmp"/*.deb | tar -x -C "$root" ./lib/modules
	rm -rf "$tmp"
	[[ -f $root/lib/modules/$kver/modules.builtin ]] || die "no modules in $pkg"
	touch "$root/.modules-complete"
}

deps_kernels() {
	local name kver i kvers=() names=("$@")
	for name in "$@"; do
		kvers+=("$(resolve_kernel "$name")")
	done
	mkdir -p "$MBX_CACHE"
	exec 9>"$MBX_CACHE/.lock"
	flock 9
	for i in "${!kvers[@]}"; do
		kver=${kvers[i]}
		if ! fetch_kernel "$kver"; then
			# A stale list names packages that the mirror has dropped
			# (Debian replaces a kernel's ABI name on each update):
			# update, and ask again which kernel the name stands for.
			((EUID == 0)) || die "could not fetch $kver"
			apt_update force
			kver=$(resolve_kernel "${names[i]}")
			fetch_kernel "$kver" || die "could not fetch $kver"
		fi
		echo "$kver"
	done
}

case ${1:-} in
build)
	apt_install "${PKGS_BUILD[@]}" ;;
vm)
	apt_install "${PKGS_BUILD[@]}" "${PKGS_VM[@]}" ;;
kselftest)
	deps_kselftest ;;
kernel)
	shift
	(($#)) || set -- $DEFAULT_KERNELS
	deps_kernels "$@" ;;
modules)
	(($# == 2)) || die "usage: deps.sh modules KVER"
	mkdir -p "$MBX_CACHE"
	exec 9>"$MBX_CACHE/.lock"
	flock 9
	fetch_modules "$2" ;;
perf)
	apt_install linux-perf ;;
kdir)
	apt_install "${PKGS_BUILD[@]}"
	kver=$(deps_kernels 6.1)
	kernel_kdir "$kver" ;;
*)
	die "usage: deps.sh build|vm|kselftest|kernel [NAME...]|modules KVER|kdir" ;;
esac
