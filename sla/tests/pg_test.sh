#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# db_test on PostgreSQL, twice: on a server of its own reached by a Unix
# socket (tests/pgserver.sh: no TCP, trust), then on one reached over TCP
# on 127.0.0.1 with a password (SCRAM, from a passfile), as a remote server
# would be.  Each run does the same tests as on SQLite, then stops, starts
# and restarts its server under them.  The servers and their directories
# are removed at the end, whatever happened.
#
#   pg_test.sh BUILD_DIR
set -euo pipefail

build=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dirs=()
trap 'for d in "${dirs[@]}"; do "$here/pgserver.sh" "$d" destroy; done' EXIT

run() { # run [tcp]
	local dir rc
	# /tmp, not $TMPDIR: the server's user must reach the directory, and
	# a Unix socket's path is at most 107 bytes.
	dir=$(mktemp -d /tmp/sladb-pg.XXXXXX)
	dirs+=("$dir")
	"$here/pgserver.sh" "$dir" init "$@"
	"$here/pgserver.sh" "$dir" start
	echo "# server: $("$here/pgserver.sh" "$dir" conninfo | sed 's/passfile=.*/passfile=.../')"
	"$build/tests/db_test" --pg "$("$here/pgserver.sh" "$dir" conninfo)" \
		--server "$here/pgserver.sh $dir" || {
		rc=$?
		sed 's/^/# server: /' "$dir/server.log" | tail -n 20 >&2
		return $rc
	}
}

rc=0
run || rc=$?
run tcp || rc=$?
exit $rc
