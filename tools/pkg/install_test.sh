#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make install` and `make uninstall` into a temporary DESTDIR, `make dist`,
# and the one version; TAP, run by tools/vm/host-check.sh (no VM).  Run
# `make` first: the module, the library and mailboxctl must be built.
#
#  - make install DESTDIR=D puts exactly the expected files in place (the
#    module under /lib/modules/<its vermagic release>/updates, the library,
#    its headers and pkg-config file, every man page of lib/man and
#    tools/man, mailboxctl, the udev rule, the docs and the modules-load.d
#    example, the SLA server's programs, systemd units and example
#    configuration), with the right modes and links, and runs neither depmod nor
#    ldconfig; without DESTDIR it would run both (make -n);
#  - PREFIX, LIBDIR and MANDIR are honoured (a Debian-like layout);
#  - make uninstall leaves no file, no link and no directory of its own
#    (share/doc/mbx, share/doc/sla, an empty /etc/sla); what stays is the empty standard hierarchy;
#  - make dist makes mbx-VERSION.tar.gz with dkms.conf of that version and
#    the tracked sources, without build/;
#  - VERSION is what MODULE_VERSION, the library's file name and
#    <mailbox.h>, mailboxctl --version, the man pages' headers,
#    debian/changelog and the API version (its major number) say.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"

mk() { env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s -C "$TOP" "$@"; }

ko=$TOP/kmod/mbx.ko
krel=$(modinfo -F vermagic "$ko" 2>/dev/null | awk '{ print $1 }')
[[ -n $krel ]] || { echo "Bail out! $ko is not built: run make first"; exit 1; }

# expected PREFIX LIBDIR MANDIR: the files make install should put there
expected() {
	local prefix=$1 libdir=$2 mandir=$3 f
	{
		echo "/lib/modules/$krel/updates/mbx.ko"
		echo /etc/udev/rules.d/60-mailbox.rules
		echo "$prefix/bin/mailboxctl"
		printf "$prefix/include/%s\n" mailbox.h mailbox-uring.h linux/mbx.h
		printf "$libdir/%s\n" "libmailbox.so.$VERSION" libmailbox.so.1 \
			libmailbox.so libmailbox.a pkgconfig/libmailbox.pc
		for f in "$TOP"/lib/man/*.[37] "$TOP"/tools/man/*.8; do
			echo "$mandir/man${f##*.}/${f##*/}"
		done
		printf "$prefix/share/doc/mbx/%s\n" README.md CHANGELOG CONTRIBUTING.md \
			examples/modules-load.d-mbx.conf
		# the SLA server (sla/): programs, units, example configuration
		printf "$prefix/bin/%s\n" sla-gateway sla-conf sla-dbm sla-core sla-monitor \
			sla-appserver sla-supervisor sla-ctl sla-top
		for f in "$TOP"/sla/systemd/*; do
			echo "$prefix/lib/systemd/system/${f##*/}"
		done
		printf "$prefix/share/doc/sla/%s\n" README.md sla.conf.example
	} | LC_ALL=C sort
}

# installed ROOT: its files and links, as absolute paths in ROOT
installed() {
	(cd "$1" && find . \( -type f -o -type l \) | sed 's|^\.||' | LC_ALL=C sort)
}

check_list() {
	same "installed files" "$(expected "$@")" "$(installed "$dest")"
}

check_modes() {
	local p=$1 l=$2 m
	m=$(stat -c '%a %n' "$dest$p/bin/mailboxctl" "$dest$l/libmailbox.so.$VERSION" \
		"$dest$p/include/mailbox.h" "$dest$l/libmailbox.a" \
		"$dest/lib/modules/$krel/updates/mbx.ko" | sed "s|$dest||")
	same modes "755 $p/bin/mailboxctl
755 $l/libmailbox.so.$VERSION
644 $p/include/mailbox.h
644 $l/libmailbox.a
644 /lib/modules/$krel/updates/mbx.ko" "$m" || return 1
	same "libmailbox.so.1 ->" "libmailbox.so.$VERSION" "$(readlink "$dest$l/libmailbox.so.1")" &&
		same "libmailbox.so ->" libmailbox.so.1 "$(readlink "$dest$l/libmailbox.so")"
}

check_pc() {
	local p=$1 l=$2
	PKG_CONFIG_PATH=$dest$l/pkgconfig PKG_CONFIG_SYSROOT_DIR=$dest \
		pkg-config --cflags --libs libmailbox >"$tmp/pc" || return 1
	same "pkg-config --cflags --libs" "-I$dest$p/include -L$dest$l -lmailbox" \
		"$(tr -s ' ' <"$tmp/pc" | sed 's/ $//')" &&
		same "pkg-config --modversion" "$VERSION" \
			"$(PKG_CONFIG_PATH=$dest$l/pkgconfig pkg-config --modversion libmailbox)"
}

# What stays after uninstall: directories only, none of them ours.
check_left() {
	local left
	left=$(installed "$dest")
	[[ -z $left ]] || { echo "left behind:"; echo "$left"; return 1; }
	left=$(cd "$dest" && find . -type d \( -name mbx -o -name 'mbx-*' -o -name sla \) | sed 's|^\.||')
	[[ -z $left ]] || { echo "directories of ours left:"; echo "$left"; return 1; }
}

# 1. the default layout
dest=$tmp/d1
ok "make install DESTDIR (PREFIX=/usr/local)" mk install DESTDIR="$dest"
ok "installed files: exactly the expected list" check_list /usr/local /usr/local/lib /usr/local/share/man
ok "installed modes and library links" check_modes /usr/local /usr/local/lib
ok "installed libmailbox.pc gives the installed paths" check_pc /usr/local /usr/local/lib
ok "installed mbx.ko: MODULE_VERSION is $VERSION" \
	same modinfo "$VERSION" "$(modinfo -F version "$dest/lib/modules/$krel/updates/mbx.ko")"
ok "installed mailboxctl -V names mbx $VERSION" \
	grep -q "^mailboxctl from mbx $VERSION" <("$dest/usr/local/bin/mailboxctl" -V)
ok "make uninstall DESTDIR" mk uninstall DESTDIR="$dest"
ok "uninstall leaves no file and no directory of its own" check_left

# 2. a distribution's layout
dest=$tmp/d2
ok "make install PREFIX=/usr LIBDIR=/usr/lib/x86_64-linux-gnu MANDIR=/usr/share/man" \
	mk install DESTDIR="$dest" PREFIX=/usr LIBDIR=/usr/lib/x86_64-linux-gnu MANDIR=/usr/share/man
ok "installed files there: exactly the expected list" \
	check_list /usr /usr/lib/x86_64-linux-gnu /usr/share/man
ok "libmailbox.pc there" check_pc /usr /usr/lib/x86_64-linux-gnu
ok "make uninstall with the same variables" \
	mk uninstall DESTDIR="$dest" PREFIX=/usr LIBDIR=/usr/lib/x86_64-linux-gnu MANDIR=/usr/share/man
ok "uninstall leaves no file and no directory of its own" check_left

# 3. into the live system: depmod and ldconfig (make -n: nothing runs)
live_cmds() {
	mk -n install-module install-lib DESTDIR= >"$tmp/n" 2>&1 || { cat "$tmp/n"; return 1; }
	grep -q 'depmod -a' "$tmp/n" && grep -q '^ldconfig' "$tmp/n" || { cat "$tmp/n"; return 1; }
	mk -n install-module install-lib DESTDIR="$tmp/d3" >"$tmp/n" 2>&1
	! grep -E 'depmod|^ldconfig' "$tmp/n"
}
ok "install without DESTDIR runs depmod and ldconfig, with DESTDIR neither" live_cmds

# 4. make dist
check_dist() {
	local tgz=$TOP/build/mbx-$VERSION.tar.gz
	mk dist >/dev/null || return 1
	tar -tzf "$tgz" >"$tmp/list" || return 1
	local want
	for want in VERSION dkms.conf Kbuild kmod/main.c kmod/Kbuild include/uapi/linux/mbx.h \
		lib/mailbox.c debian/control README.md; do
		grep -qx "mbx-$VERSION/$want" "$tmp/list" || { echo "no $want in $tgz"; return 1; }
	done
	! grep -q "^mbx-$VERSION/build/" "$tmp/list" || { echo "build/ is in $tgz"; return 1; }
	! grep -v "^mbx-$VERSION/" "$tmp/list" || { echo "outside mbx-$VERSION/"; return 1; }
	tar -xOzf "$tgz" "mbx-$VERSION/dkms.conf" | grep -qx "PACKAGE_VERSION=\"$VERSION\"" ||
		{ echo "dkms.conf in $tgz is not of version $VERSION"; return 1; }
}
ok "make dist: mbx-$VERSION.tar.gz with dkms.conf $VERSION, without build/" check_dist

# 5. one version
check_versions() {
	local api lib maj min
	api=$(sed -n 's/^#define MBX_API_VERSION[[:space:]]*\([0-9]*\)$/\1/p' "$TOP/include/uapi/linux/mbx.h")
	maj=$(sed -n 's/^#define LIBMAILBOX_VERSION_MAJOR[[:space:]]*//p' "$TOP/lib/mailbox.h")
	min=$(sed -n 's/^#define LIBMAILBOX_VERSION_MINOR[[:space:]]*//p' "$TOP/lib/mailbox.h")
	same "MBX_API_VERSION, the major version" "${VERSION%%.*}" "$api" &&
		same "<mailbox.h>" "$VERSION" "$maj.$min" &&
		same "MODULE_VERSION of kmod/mbx.ko" "$VERSION" "$(modinfo -F version "$ko")" &&
		same "lib/libmailbox.so.1 ->" "libmailbox.so.$VERSION" "$(readlink "$TOP/lib/libmailbox.so.1")" &&
		same "debian/changelog" "$VERSION" "$(dpkg-parsechangelog -l "$TOP/debian/changelog" -S Version)" || return 1
	# (a page that is only ".so other-page" is a link)
	lib=$(grep -L -e "^\.TH [^ ]* [0-9] [0-9-]* \"\(libmailbox\|mbx\) $VERSION\"" -e '^\.so ' \
		"$TOP"/lib/man/*.[37] "$TOP"/tools/man/*.8)
	[[ -z $lib ]] || { echo "man pages of another version: $lib"; return 1; }
}
ok "VERSION ($VERSION): module, library, header, API, man pages, debian/changelog agree" check_versions

tap_done
