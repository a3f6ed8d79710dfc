#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host-side checks of libmailbox, run by `make -C lib check`; TAP output,
# exit status 1 when a check fails. Needs no module and no VM:
#
#  - libmailbox.so.1 has its soname, needs only libc, and exports exactly
#    the names in lib/libmailbox.symbols (nm -D --defined-only), each in
#    the version node LIBMAILBOX_1.0; the version script, the header's
#    declarations and the man pages name the same functions; the static
#    archive defines nothing else.
#  - `make -C lib install DESTDIR=...` puts the library, the headers
#    (<mailbox.h>, <mailbox-uring.h>, <linux/mbx.h>), libmailbox.pc and the
#    man pages in place; the examples compile and link against that tree
#    with nothing but `pkg-config --cflags --libs libmailbox` (dynamically,
#    and statically with --static), and a dynamically linked one runs with
#    the installed libmailbox.so.1. (The examples make calls in the test
#    VM: examples/Makefile builds them the same way, against a staged
#    install, and selftests/lib_examples_test runs them.)
#  - the installed <mailbox.h> and <linux/mbx.h> (each alone, then
#    together) compile with gcc -std=c99, -std=c11 and -std=c17, and as C++
#    with g++ -std=c++11 and -std=c++17, all -pedantic -Wall -Wextra -Werror
#    and with nothing but pkg-config's flags; <mailbox-uring.h> too, after
#    <liburing.h>, in each mode where liburing's own header compiles so (a
#    mode where it does not, or a host without liburing, is a SKIP).
#  - PREFIX, LIBDIR, INCLUDEDIR and MANDIR are honoured, and `make
#    uninstall` leaves no file behind.
set -u

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
lib=$top/lib
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
CC=${CC:-cc}
n=0
failed=0

# skip DESCRIPTION REASON: one test point, skipped (TAP's SKIP directive).
skip() {
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}

# check DESCRIPTION COMMAND...: one test point; the output of a failed
# command follows as a comment.
check() {
	local desc=$1
	shift
	n=$((n + 1))
	if "$@" >"$tmp/out" 2>&1; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
		sed 's/^/# /' "$tmp/out" | head -n 40
		failed=$((failed + 1))
	fi
}

sorted() { sort -u | sed '/^$/d'; }

# Names, one a line, from the sources and the binaries.
symbols_file() { sorted <"$lib/libmailbox.symbols"; }
symbols_map() {
	sed -n '/global:/,/local:/p' "$lib/libmailbox.map" |
		sed -n 's/^[[:space:]]*\([a-z_0-9]*\);.*/\1/p' | sorted
}
symbols_so() {
	nm -D --defined-only "$lib/libmailbox.so.1.0" |
		awk '$2 != "A" { print $3 }' | sed 's/@.*//' | sorted
}
symbols_a() {
	nm -g --defined-only "$lib/libmailbox.a" |
		awk 'NF == 3 { print $3 }' | sorted
}
# The functions <mailbox.h> declares (not the inline ones).
symbols_header() {
	sed -n 's/^\(int\|void\|uint32_t\|uint64_t\) \(mailbox_[a-z_]*\)(.*/\2/p' \
		"$lib/mailbox.h" | sorted
}
inline_helpers() {
	sed -n 's/^static inline [a-z_0-9 *]*[ *]\(mailbox_[a-z_]*\)(.*/\1/p' \
		"$lib/mailbox.h" "$lib/mailbox-uring.h" | sorted
}

same() {
	if ! diff -u <("$1") <("$2"); then
		echo "$1 and $2 differ (- $1, + $2)"
		return 1
	fi
}

check_soname() {
	readelf -d "$lib/libmailbox.so.1.0" | grep -F 'Library soname: [libmailbox.so.1]'
}

# libc only: the core library does not depend on liburing.
check_needed() {
	local needed
	needed=$(readelf -d "$lib/libmailbox.so.1.0" |
		sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
	echo "NEEDED: $needed"
	[[ $needed == libc.so.6 ]]
}

check_versioned() {
	local bad
	bad=$(nm -D --defined-only "$lib/libmailbox.so.1.0" |
		awk '$2 != "A" && $3 !~ /@@LIBMAILBOX_1\.0$/')
	[[ -z $bad ]] || { echo "not in LIBMAILBOX_1.0: $bad"; return 1; }
	grep -q 'LIBMAILBOX_1\.0' <(nm -D "$lib/libmailbox.so.1.0")
}

check_man_pages() {
	local f name missing=0
	for name in $(symbols_file) $(inline_helpers); do
		f=$lib/man/$name.3
		if [[ ! -f $f ]]; then
			echo "no man page for $name"
			missing=1
		elif grep -q '^\.so ' "$f"; then
			[[ -f $lib/man/$(sed -n 's/^\.so man3\///p' "$f") ]] ||
				{ echo "$f: .so to nothing"; missing=1; }
		fi
	done
	[[ -f $lib/man/mailbox.7 ]] || { echo "no mailbox.7"; missing=1; }
	return $missing
}

# groff's own warnings, for every page that is not a .so link.
check_man_render() {
	local f out bad=0
	for f in "$lib"/man/*.[37]; do
		grep -q '^\.so ' "$f" && continue
		out=$(LC_ALL=C groff -t -man -ww -z "$f" 2>&1)
		[[ -z $out ]] || { echo "$f: $out"; bad=1; }
	done
	return $bad
}

echo "TAP version 13"

check "lib builds" make -s -C "$lib"
check "libmailbox.so.1.0 has the soname libmailbox.so.1" check_soname
check "libmailbox.so.1.0 needs libc only" check_needed
check "the .so exports exactly lib/libmailbox.symbols (nm -D)" same symbols_file symbols_so
check "every export is in LIBMAILBOX_1.0" check_versioned
check "the version script lists lib/libmailbox.symbols" same symbols_file symbols_map
check "mailbox.h declares lib/libmailbox.symbols" same symbols_file symbols_header
check "libmailbox.a defines lib/libmailbox.symbols only" same symbols_file symbols_a
check "a man page for every function, inline ones included" check_man_pages
check "the man pages render without warnings" check_man_render

# ---- install under /usr/local (the defaults) ----
root=$tmp/root
pre=$root/usr/local
check "make install DESTDIR=..." make -s -C "$lib" install DESTDIR="$root"

check_installed() {
	local f bad=0
	for f in lib/libmailbox.so.1.0 lib/libmailbox.so.1 lib/libmailbox.so \
		lib/libmailbox.a lib/pkgconfig/libmailbox.pc include/mailbox.h \
		include/mailbox-uring.h include/linux/mbx.h \
		share/man/man7/mailbox.7 share/man/man3/mailbox_create.3 \
		share/man/man3/mailbox_reply_plane.3; do
		[[ -e $pre/$f ]] || { echo "missing: $f"; bad=1; }
	done
	[[ $(readlink "$pre/lib/libmailbox.so.1") == libmailbox.so.1.0 ]] || bad=1
	[[ $(readlink "$pre/lib/libmailbox.so") == libmailbox.so.1 ]] || bad=1
	cmp "$top/include/uapi/linux/mbx.h" "$pre/include/linux/mbx.h" || bad=1
	[[ $(ls "$pre/share/man/man3" | wc -l) == $(ls "$lib"/man/*.3 | wc -l) ]] || bad=1
	return $bad
}
check "install put the library, headers, .pc and man pages in place" check_installed

pc() {
	PKG_CONFIG_PATH= PKG_CONFIG_LIBDIR=$pre/lib/pkgconfig \
		PKG_CONFIG_SYSROOT_DIR=$root pkg-config "$@" libmailbox
}
check_pc() {
	local cflags libs
	[[ $(pc --modversion) == 1.0 ]] || return 1
	cflags=$(pc --cflags | sed "s/[[:space:]]*$//")
	libs=$(pc --libs | sed "s/[[:space:]]*$//")
	echo "cflags: $cflags"
	echo "libs: $libs"
	[[ $cflags == "-I$pre/include" ]] && [[ $libs == "-L$pre/lib -lmailbox" ]]
}
check "pkg-config finds libmailbox 1.0 in the installed tree" check_pc

# ---- the public headers in strict C and C++ modes ----
CXX=${CXX:-c++}
# One translation unit per header set: the headers, and a use of what they
# declare so that the inline helpers and the structs are compiled for real.
cat >"$tmp/hdr-uapi.c" <<'EOF_TU'
#include <linux/mbx.h>

unsigned int hdr_uapi(const struct mbx_submit_args *a);
unsigned int hdr_uapi(const struct mbx_submit_args *a)
{
	return a->flags & (MBX_WAIT_MASK | MBX_SUBMIT_COLLECT) &
	       (unsigned int)MBX_IOC_CALL_SUBMIT;
}
EOF_TU
cat >"$tmp/hdr-lib.c" <<'EOF_TU'
#include <mailbox.h>

int hdr_lib(struct mailbox *mb, struct mbx_call *call);
int hdr_lib(struct mailbox *mb, struct mbx_call *call)
{
	call->slot = 0;
	return mailbox_submit(mb, call) + mailbox_fd(mb) +
	       (mailbox_call_plane(mb, 0) != mailbox_reply_plane(mb, 0)) +
	       (int)(mailbox_deadline(1) & 1);
}
EOF_TU
cat >"$tmp/hdr-both.c" <<'EOF_TU'
#include <linux/mbx.h>
#include <mailbox.h>
#include <linux/mbx.h>
#include <mailbox.h>

int hdr_both(struct mailbox *mb, const struct mbx_call *call);
int hdr_both(struct mailbox *mb, const struct mbx_call *call)
{
	return mailbox_cancel(mb, call);
}
EOF_TU
cat >"$tmp/hdr-liburing.c" <<'EOF_TU'
#include <liburing.h>
EOF_TU
cat >"$tmp/hdr-uring.c" <<'EOF_TU'
#include <liburing.h>
#include <mailbox-uring.h>

void hdr_uring(struct io_uring_sqe *sqe, const struct mailbox *mb);
void hdr_uring(struct io_uring_sqe *sqe, const struct mailbox *mb)
{
	mailbox_prep_poll(sqe, mb, MAILBOX_READY_ALL);
	mailbox_prep_poll_multishot(sqe, mb, MAILBOX_READY_CALL);
}
EOF_TU

# compile_header LANG STD TU...: compile each TU, strict, with the
# installed tree's flags only.
compile_header() {
	local lang=$1 std=$2 tu cc
	shift 2
	cc=$CC
	[[ $lang == c++ ]] && cc=$CXX
	for tu; do
		# shellcheck disable=SC2046
		"$cc" -x "$lang" -std="$std" -pedantic -Wall -Wextra -Werror \
			$(pc --cflags) -c -o /dev/null "$tmp/$tu" || return 1
	done
}

for mode in c:c99 c:c11 c:c17 c++:c++11 c++:c++17; do
	lang=${mode%%:*}
	std=${mode#*:}
	check "<linux/mbx.h> and <mailbox.h> compile with -std=$std -pedantic -Wall -Wextra -Werror" \
		compile_header "$lang" "$std" hdr-uapi.c hdr-lib.c hdr-both.c
	# <mailbox-uring.h> needs <liburing.h>: checked only where liburing's
	# own header compiles in this mode (liburing 2.3 does in all five).
	if compile_header "$lang" "$std" hdr-liburing.c >/dev/null 2>&1; then
		check "<mailbox-uring.h> compiles with -std=$std -pedantic -Wall -Wextra -Werror" \
			compile_header "$lang" "$std" hdr-uring.c
	else
		skip "<mailbox-uring.h> compiles with -std=$std -pedantic -Wall -Wextra -Werror" \
			"<liburing.h> is missing or does not compile with -std=$std -pedantic -Werror"
	fi
done

# Build the examples with nothing but pkg-config's flags (and liburing for
# the io_uring one); -nostdinc is not possible, but the tree's own include/
# and lib/ are in no search path here.
build_examples() {
	local mode=$1 ex extra static=()
	[[ $mode == static ]] && static=(-static)
	for ex in caller callee epoll_loop uring_loop uring_callee uring_caller; do
		extra=()
		[[ $ex == uring_* ]] && extra=(-luring)
		# shellcheck disable=SC2046
		"$CC" -Wall -Wextra -Werror "${static[@]}" -o "$tmp/$mode-$ex" \
			"$top/examples/$ex.c" \
			$(pc ${static:+--static} --cflags --libs) "${extra[@]}" || return 1
	done
}
check "the examples build with pkg-config --cflags --libs libmailbox" build_examples dynamic
check "the examples build statically with pkg-config --static" build_examples static

check_linked() {
	readelf -d "$tmp/dynamic-caller" | grep -F '[libmailbox.so.1]' &&
		readelf -V "$tmp/dynamic-caller" | grep -F LIBMAILBOX_1.0 &&
		! readelf -d "$tmp/static-caller" 2>/dev/null | grep -q NEEDED
}
check "dynamic examples need libmailbox.so.1 (LIBMAILBOX_1.0), static ones nothing" check_linked

# Running needs the installed library to load and bind; a call needs the
# module, which only the VM has: without /dev/mailbox the caller stops at
# its open with ENOENT, after the dynamic loader did its work.
check_runs() {
	local out
	out=$(LD_LIBRARY_PATH=$pre/lib "$tmp/dynamic-caller" -t 0 \
		lib_install_test.nobox 2>&1)
	echo "$out"
	[[ $out == caller:* ]]
}
check "a dynamically linked example runs with the installed libmailbox.so.1" check_runs

check_man_installed() {
	MANWIDTH=80 man -M "$pre/share/man" 3 mailbox_reply_plane | grep -q mailbox_call_plane &&
		MANWIDTH=80 man -M "$pre/share/man" 7 mailbox | grep -q MAILBOX_READY_REPLY
}
check "installed man pages resolve, aliases included" check_man_installed

check_uninstall() {
	make -s -C "$lib" uninstall DESTDIR="$root" || return 1
	local left
	left=$(find "$root" ! -type d)
	[[ -z $left ]] || { echo "left behind: $left"; return 1; }
}
check "make uninstall DESTDIR=... removes every file" check_uninstall

# ---- the directory variables ----
root2=$tmp/root2
check_dirs() {
	make -s -C "$lib" install DESTDIR="$root2" PREFIX=/usr \
		LIBDIR=/usr/lib/x86_64-linux-gnu INCLUDEDIR=/usr/include/mbx \
		MANDIR=/usr/share/man || return 1
	local f bad=0
	for f in usr/lib/x86_64-linux-gnu/libmailbox.so.1.0 \
		usr/lib/x86_64-linux-gnu/pkgconfig/libmailbox.pc \
		usr/include/mbx/mailbox.h usr/include/mbx/linux/mbx.h \
		usr/share/man/man7/mailbox.7; do
		[[ -e $root2/$f ]] || { echo "missing: $f"; bad=1; }
	done
	grep -qx 'libdir=/usr/lib/x86_64-linux-gnu' "$root2/usr/lib/x86_64-linux-gnu/pkgconfig/libmailbox.pc" || bad=1
	grep -qx 'includedir=/usr/include/mbx' "$root2/usr/lib/x86_64-linux-gnu/pkgconfig/libmailbox.pc" || bad=1
	make -s -C "$lib" uninstall DESTDIR="$root2" PREFIX=/usr \
		LIBDIR=/usr/lib/x86_64-linux-gnu INCLUDEDIR=/usr/include/mbx \
		MANDIR=/usr/share/man || bad=1
	[[ -z $(find "$root2" ! -type d) ]] || { echo "uninstall left files"; bad=1; }
	# The pc file of the tree is the defaults' again.
	make -s -C "$lib" >/dev/null
	return $bad
}
check "PREFIX, LIBDIR, INCLUDEDIR, MANDIR are honoured by install and uninstall" check_dirs

echo "1..$n"
echo "# libmailbox host checks: $((n - failed)) passed, $failed failed"
((failed == 0))
