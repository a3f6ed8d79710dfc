# SPDX-License-Identifier: GPL-2.0
# Shared by the scripts in tools/vm/: paths, messages, apt helpers and the
# kernel matrix.  Source it; it defines functions and variables only.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VMDIR=$TOP/tools/vm
BUILD=${MBX_BUILD:-$TOP/build}

# Downloaded kernels live outside the work tree, so that a fresh clone on the
# same machine reuses them.  One directory per kernel release, laid out as the
# packages would install it: <kver>/boot/vmlinuz-<kver>,
# <kver>/usr/src/linux-headers-<kver>, <kver>/usr/lib/linux-kbuild-*.
if [[ -z ${MBX_CACHE:-} ]]; then
	if ((EUID == 0)); then
		MBX_CACHE=/var/cache/mbx-vm
	else
		MBX_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/mbx-vm
	fi
fi

# The matrix that `make check` runs when KERNELS is not given.
DEFAULT_KERNELS="6.1 6.12 6.12-rt debug"

msg() { printf '%s\n' "$*" >&2; }
die() { printf '%s: error: %s\n' "${0##*/}" "$*" >&2; exit 1; }
verbose() { [[ ${V:-0} == 1 ]]; }

# The host packages each use needs.  kmod is not listed: the VM uses
# busybox's insmod/rmmod, and a host that can load modules already has it.
PKGS_BUILD=(build-essential liburing-dev linux-source-6.1 xz-utils
	dwarves) # pahole: 6.12 headers build BTF for modules and need it
PKGS_VM=(qemu-system-x86 busybox-static cpio
	curl) # the runner's own test of MBX_VM_NET fetches from the VM

# apt-get update when something is missing, at most once an hour unless
# forced.
apt_update() {
	if [[ ${1:-} != force && -n $(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' \
			-mmin -60 2>/dev/null | head -n1) ]]; then
		return 0
	fi
	((EUID == 0)) || die "apt lists are missing or stale; run 'sudo apt-get update'"
	msg "  APT     update"
	apt-get update -qq >&2 || die "apt-get update failed"
}

is_installed() {
	[[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]
}

# Install the packages given that are not installed yet.
apt_install() {
	local p missing=()
	for p in "$@"; do
		is_installed "$p" || missing+=("$p")
	done
	((${#missing[@]})) || return 0
	if ((EUID != 0)); then
		die "missing packages: ${missing[*]} (sudo apt-get install ${missing[*]})"
	fi
	msg "  APT     install ${missing[*]}"
	apt_update
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >&2 ||
		die "apt-get install ${missing[*]} failed"
}

# The newest 6.12 release that apt offers for bookworm, e.g. 6.12.117+deb12.
newest_612() {
	apt-cache pkgnames linux-image-6.12. 2>/dev/null |
		sed -n 's/^linux-image-\(6\.12\.[0-9]*+deb12\)-amd64\(-unsigned\)\{0,1\}$/\1/p' |
		sort -uV | tail -n1
}

# Map a name of the matrix (6.1, 6.12, 6.12-rt) or a full kernel release
# (6.1.0-56-amd64, 6.12.117+deb12-rt-amd64) to a kernel release.  Asks apt,
# and falls back to the newest matching kernel already in the cache when apt
# knows nothing (no lists, no network).
resolve_kernel() {
	local name=$1 kver="" pat
	case $name in
	6.1 | 6.1-amd64)
		kver=$(apt-cache depends linux-image-amd64 2>/dev/null |
			sed -n 's/^ *Depends: linux-image-\(6\.1\.[0-9.-]*-amd64\)$/\1/p' | head -n1)
		pat='6.1.0-*-amd64' ;;
	6.12 | 6.12-amd64)
		kver=$(newest_612)
		[[ -z $kver ]] || kver=$kver-amd64
		pat='6.12.*+deb12-amd64' ;;
	6.12-rt | 6.12-rt-amd64)
		kver=$(newest_612)
		[[ -z $kver ]] || kver=$kver-rt-amd64
		pat='6.12.*+deb12-rt-amd64' ;;
	debug)
		# Built from linux-source-6.1 once, then cached (debug-kernel.sh).
		"$VMDIR/debug-kernel.sh" build | tail -n1
		return ;;
	[0-9]*-*)
		echo "$name"
		return 0 ;;
	*)
		die "unknown kernel '$name' (use 6.1, 6.12, 6.12-rt, debug or a full release such as 6.12.117+deb12-amd64)" ;;
	esac
	if [[ -z $kver && ${_resolve_updated:-0} == 0 && $EUID == 0 ]]; then
		_resolve_updated=1
		apt_update
		resolve_kernel "$name"
		return
	fi
	if [[ -z $kver ]]; then
		kver=$(cd "$MBX_CACHE" 2>/dev/null && ls -d $pat 2>/dev/null | sort -V | tail -n1 || true)
		[[ -n $kver ]] || die "apt offers no kernel for '$name' and none is cached"
		msg "  NOTE    apt offers no kernel for '$name'; using cached $kver"
	fi
	echo "$kver"
}

kernel_root() { echo "$MBX_CACHE/$1"; }
kernel_kdir() { echo "$MBX_CACHE/$1/usr/src/linux-headers-$1"; }
kernel_image() { echo "$MBX_CACHE/$1/boot/vmlinuz-$1"; }
kernel_ready() { [[ -f $MBX_CACHE/$1/.complete ]]; }
