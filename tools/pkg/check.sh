#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The packaging checks that boot a VM (make check-packaging; make check
# runs them as its "pkg" task, tools/vm/check.sh).  TAP on stdout, the
# last line "# pkg: N passed, N failed, 0 skipped"; writes
# build/vm/pkg-check.result as vm.sh check does, and its files into
# build/pkg/ (check.tap, the VMs' output vm-<kver>.txt, deb/build.log,
# deb/lintian.txt, the dkms tree).  Run `make` first.
#
#  - make dist; dkms builds the module from that tarball (the README's
#    recipe) in a private dkms tree (--dkmstree, --sourcetree,
#    --installtree under build/pkg/dkms) against the 6.1 and 6.12 headers
#    of the cache; each VM unloads the tree's module, loads the dkms one
#    and makes calls through it;
#  - make deb (dpkg-buildpackage -us -uc -b from the tarball) builds
#    mbx-dkms, libmailbox1, libmailbox-dev and mailbox-tools, and lintian
#    reports no error; mbx-dkms's source is the tarball's;
#  - the four packages, unpacked with dpkg -x into a root that has nothing
#    else but libc, make a call in the VM (chroot): the README's program
#    built against libmailbox-dev, run with libmailbox1, and the call is
#    listed and counted by mailbox-tools' mailboxctl;
#  - the README's program, taken from README.md, compiled against the
#    tree's library, fails cleanly on the host (no module), and in the VM
#    is answered twice in a row by examples/callee, then once when it
#    started first, then fails cleanly alone (tools/pkg/vm-check.sh).
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../vm/lib.sh"

OUT=$BUILD/pkg
RESULT=$BUILD/vm/pkg-check.result
VERSION=$(cat "$TOP/VERSION")
TGZ=$BUILD/mbx-$VERSION.tar.gz
n=0 failed=0

point() {	# point ok|not-ok DESCRIPTION
	n=$((n + 1))
	if [[ $1 == ok ]]; then
		echo "ok $n - pkg: $2"
	else
		echo "not ok $n - pkg: $2"
		failed=$((failed + 1))
	fi
}

# check DESCRIPTION CMD...: a test point; a failure shows the output
check() {
	local desc=$1 log=$OUT/step.log
	shift
	if "$@" >"$log" 2>&1; then
		point ok "$desc"
	else
		sed 's/^/# /' "$log" | tail -n 30
		point not-ok "$desc"
	fi
}

finish() {
	echo "# pkg: $((n - failed)) passed, $failed failed, 0 skipped"
	mkdir -p "${RESULT%/*}"
	printf 'passed=%d\nfailed=%d\nskipped=0\n' "$((n - failed))" "$failed" >"$RESULT"
	((failed == 0))
	exit
}

mk() { env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s -C "$TOP" "$@"; }

rm -rf "$OUT"
mkdir -p "$OUT"
rm -f "$RESULT"
exec > >(tee "$OUT/check.tap")
overlay=$OUT/overlay
mkdir -p "$overlay/pkgcheck"
install -m 0755 "$TOP/tools/pkg/vm-check.sh" "$overlay/pkgcheck/"

echo "# pkg: make dist"
check "make dist" mk dist

# --- dkms -----------------------------------------------------------------
mapfile -t kvers < <("$VMDIR/deps.sh" kernel 6.1 6.12) ||
	{ point not-ok "fetch the 6.1 and 6.12 kernels"; finish; }

dkms_build() {
	local kver=$1 d=$OUT/dkms ko
	mkdir -p "$d/src" "$d/tree" "$d/install"
	[[ -d $d/src/mbx-$VERSION ]] || tar -xzf "$TGZ" -C "$d/src" || return 1
	dkms build "mbx/$VERSION" -k "$kver" --kernelsourcedir "$(kernel_kdir "$kver")" \
		--sourcetree "$d/src" --dkmstree "$d/tree" --installtree "$d/install" || return 1
	ko=$(find "$d/tree/mbx/$VERSION/$kver" -name 'mbx.ko*' | head -n1)
	[[ -n $ko ]] || { echo "dkms left no mbx.ko for $kver"; return 1; }
	mkdir -p "$OUT/ko-$kver"
	case $ko in
	*.xz) xz -dc "$ko" ;;
	*.zst) zstd -q -dc "$ko" ;;
	*.gz) gzip -dc "$ko" ;;
	*) cat "$ko" ;;
	esac >"$OUT/ko-$kver/mbx.ko" || return 1
	[[ $(modinfo -F vermagic "$OUT/ko-$kver/mbx.ko" | awk '{ print $1 }') == "$kver" ]] ||
		{ echo "vermagic: $(modinfo -F vermagic "$OUT/ko-$kver/mbx.ko")"; return 1; }
	[[ $(modinfo -F version "$OUT/ko-$kver/mbx.ko") == "$VERSION" ]] ||
		{ echo "version: $(modinfo -F version "$OUT/ko-$kver/mbx.ko")"; return 1; }
}
echo "# pkg: dkms, in a private tree ($OUT/dkms)"
for kver in "${kvers[@]}"; do
	check "dkms build mbx/$VERSION -k $kver: vermagic $kver, version $VERSION" dkms_build "$kver"
done

# --- Debian packages --------------------------------------------------------
DEB=$OUT/deb
# make deb: dpkg-buildpackage from the tarball, then lintian (errors fail)
debs() {
	mk deb DEBDIR="$DEB" || return 1
	local p
	for p in "mbx-dkms_${VERSION}_all" "libmailbox1_${VERSION}_amd64" \
		"libmailbox-dev_${VERSION}_amd64" "mailbox-tools_${VERSION}_amd64" \
		"sla-server_${VERSION}_amd64"; do
		[[ -f $DEB/$p.deb ]] || { echo "no $p.deb"; ls "$DEB"; return 1; }
	done
}
echo "# pkg: Debian packages ($DEB)"
check "make deb: mbx-dkms, libmailbox1, libmailbox-dev, mailbox-tools, sla-server; lintian: no errors" debs
sed -n 's/^\([WEI]: .*\)/# lintian: \1/p' "$DEB/lintian.txt" 2>/dev/null | head -n 20

root=$overlay/pkgcheck/root
unpack() {
	local d
	mkdir -p "$root"
	for d in "$DEB"/*.deb; do
		[[ $d == *-dbgsym_* ]] || dpkg -x "$d" "$root" || return 1
	done
	# mbx-dkms's source is the tarball's module source
	local src=$OUT/dkms/src/mbx-$VERSION
	for d in Kbuild VERSION kmod include dkms.conf; do
		diff -r "$src/$d" "$root/usr/src/mbx-$VERSION/$d" || return 1
	done
	[[ -f $root/lib/udev/rules.d/60-mailbox.rules ]] || { echo "no udev rule"; return 1; }
	# the README's program, built against libmailbox-dev alone
	PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_LIBDIR=$root/usr/lib/x86_64-linux-gnu/pkgconfig \
		pkg-config --cflags --libs libmailbox >"$OUT/pc" || return 1
	mkdir -p "$root/usr/local/bin"
	# shellcheck disable=SC2046
	cc -Wall -Wextra -Werror -o "$root/usr/local/bin/readme_demo" "$OUT/readme_demo.c" \
		$(cat "$OUT/pc") || return 1
	# the root has libc, and no libmailbox but the package's
	local lib
	for lib in $(LD_LIBRARY_PATH=$root/usr/lib/x86_64-linux-gnu ldd "$root/usr/bin/mailboxctl" \
		"$root/usr/local/bin/readme_demo" | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p' | sort -u); do
		case $lib in
		"$root"/*) ;;
		*libmailbox*) echo "$lib: not the package's"; return 1 ;;
		*) cp -L --parents "$lib" "$root/" || return 1 ;;
		esac
	done
	# /lib64 and /lib -> usr/lib as on Debian, for the dynamic loader
	[[ -e $root/lib64/ld-linux-x86-64.so.2 ]] || { echo "no dynamic loader"; return 1; }
}

# --- the README's program ---------------------------------------------------
readme() {
	# the first ```c block after the marker comment
	awk '/^<!-- tools\/pkg\/check.sh compiles this program/ { m = 1; next }
	     m == 1 && /^```c$/ { m = 2; next }
	     m == 2 && /^```$/ { exit }
	     m == 2 { print }' "$TOP/README.md" >"$OUT/readme_demo.c"
	[[ -s $OUT/readme_demo.c ]] || { echo "no C block after the marker in README.md"; return 1; }
	grep -q 'int main' "$OUT/readme_demo.c" || { echo "README's block is not a program"; return 1; }
	local stage=$BUILD/stage/usr/local
	PKG_CONFIG_SYSROOT_DIR=$BUILD/stage PKG_CONFIG_PATH=$stage/lib/pkgconfig \
		pkg-config --cflags --libs libmailbox >"$OUT/pc.tree" || return 1
	# shellcheck disable=SC2046
	cc -Wall -Wextra -Werror -o "$overlay/pkgcheck/readme_demo" "$OUT/readme_demo.c" \
		$(cat "$OUT/pc.tree") || return 1
}
readme_host() {
	[[ ! -e /dev/mailbox ]] || { echo "this host has /dev/mailbox"; return 0; }
	local rc=0
	LD_LIBRARY_PATH=$TOP/lib "$overlay/pkgcheck/readme_demo" 2>"$OUT/host.err" || rc=$?
	cat "$OUT/host.err"
	((rc == 1)) && grep -q '^demo: ' "$OUT/host.err"
}
# sla-server: its programs and units; the units, with their programs at
# the root's paths, pass systemd-analyze verify (no error, no warning)
sla_server() {
	local u p out
	for p in sla-gateway sla-conf sla-dbm sla-core sla-monitor sla-appserver \
		sla-supervisor sla-ctl; do
		[[ -x $root/usr/bin/$p ]] || { echo "no /usr/bin/$p"; return 1; }
	done
	mkdir -p "$OUT/units"
	for u in sla-gateway sla-dbm sla-core sla-monitor sla-appserver; do
		u=$root/lib/systemd/system/$u.service
		[[ -f $u ]] || { echo "no $u"; return 1; }
		grep -q "^ExecStart=/usr/bin/sla-" "$u" || { echo "$u: ExecStart= is not /usr/bin's"; return 1; }
		sed "s|=/usr/bin/|=$root/usr/bin/|" "$u" >"$OUT/units/${u##*/}"
	done
	cp "$root"/lib/systemd/system/sla.{target,slice} "$OUT/units/"
	out=$(cd "$OUT/units" && systemd-analyze verify sla-*.service sla.target sla.slice 2>&1) ||
		{ echo "$out"; return 1; }
	[[ -z $out ]] || { echo "$out"; return 1; }
	"$root/usr/bin/sla-conf" --check-config "$root/usr/share/doc/sla-server/sla.conf.example"
}

echo "# pkg: README.md's program"
check "README.md's program compiles (-Wall -Wextra -Werror, pkg-config only)" readme
check "README.md's program without the module: exit 1 and a message, no crash" readme_host
echo "# pkg: the packages' contents in a root"
check "dpkg -x the packages into a root, with the README's program built against it" unpack
check "sla-server: its programs, its units pass systemd-analyze verify, its example configuration checks" sla_server

# --- in the VMs --------------------------------------------------------------
# vm_run KVER ARGS...: vm-check.sh in KVER's VM; its PASS/FAIL lines as points
vm_run() {
	local kver=$1 log line
	shift
	log=$OUT/vm-$kver.txt
	echo "# pkg: VM $kver: vm-check.sh $*"
	MBX_VM_OVERLAY=$overlay "$VMDIR/vm.sh" exec "$kver" \
		"$(printf 'sh /pkgcheck/vm-check.sh %s; ' "$@")" >"$log" 2>&1
	local rc=$? seen=0
	while IFS= read -r line; do
		case $line in
		"PASS "*) point ok "VM $kver: ${line#PASS }"; seen=1 ;;
		"FAIL "*) point not-ok "VM $kver: ${line#FAIL }"; seen=1 ;;
		"    "*) echo "# ${line#    }" ;;
		esac
	done <"$log"
	((seen)) || sed 's/^/# /' "$log" | tail -n 20
	if ((rc == 0)); then
		point ok "VM $kver: ran to the end, module unloaded, kernel log clean"
	else
		grep -v '^\(PASS\|FAIL\|    \)' "$log" | sed 's/^/# /' | tail -n 20
		point not-ok "VM $kver: ran to the end, module unloaded, kernel log clean"
	fi
}

for kver in "${kvers[@]}"; do
	rm -rf "$overlay/pkgcheck/dkms"
	mkdir -p "$overlay/pkgcheck/dkms"
	cp "$OUT/ko-$kver/mbx.ko" "$overlay/pkgcheck/dkms/" 2>/dev/null
	case $kver in
	6.12.*) vm_run "$kver" "readme" "packages $VERSION" "dkms $VERSION" ;;
	*) vm_run "$kver" "dkms $VERSION" ;;
	esac
done
finish
