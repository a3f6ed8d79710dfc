#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The man pages (lib/man, tools/man): TAP, run by tools/vm/host-check.sh.
# For each page, one test point:
#  - a page that is only ".so man3/OTHER.3" (an alias, as man-db reads it):
#    OTHER.3 exists beside it;
#  - any other: mandoc -Tlint reports nothing at level warning or above,
#    and man(1) renders it at 80 columns (MANWIDTH=80, groff's warnings
#    on) with no warning and no line longer than 80 columns.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"

command -v mandoc >/dev/null || { echo "Bail out! no mandoc (tools/pkg/deps.sh installs it)"; exit 1; }

alias_ok() {
	local target
	target=$(sed -n '1s/^\.so man[0-9]\/\(.*\)$/\1/p' "$1")
	[[ -n $target && $(wc -l <"$1") == 1 ]] || { echo "not a one-line .so man<N>/<page>"; return 1; }
	[[ -f ${1%/*}/$target ]] || { echo "no $target beside it"; return 1; }
}

lint_ok() {
	local f=$1 wide
	mandoc -Tlint -W warning "$f" || return 1
	MANWIDTH=80 MAN_KEEP_FORMATTING= man --warnings -E UTF-8 -l "$f" \
		>"$tmp/page" 2>"$tmp/err" </dev/null || { cat "$tmp/err"; return 1; }
	[[ ! -s $tmp/err ]] || { echo "man --warnings:"; cat "$tmp/err"; return 1; }
	wide=$(col -b <"$tmp/page" | perl -CSD -ne 'chomp; print length, ": $_\n" if length > 80')
	[[ -z $wide ]] || { echo "wider than 80 columns:"; echo "$wide"; return 1; }
}

for f in "$TOP"/lib/man/*.[1-8] "$TOP"/tools/man/*.[1-8]; do
	name=${f#"$TOP"/}
	if grep -q '^\.so ' "$f"; then
		ok "$name: an alias of a page beside it" alias_ok "$f"
	else
		ok "$name: mandoc -Tlint clean, 80 columns without warnings" lint_ok "$f"
	fi
done

tap_done
