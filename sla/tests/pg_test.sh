#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# db_test on PostgreSQL: a server of its own in a temporary directory
# (tests/pgserver.sh: Unix socket only, no TCP), the same tests as on SQLite,
# then the server stopped, started and restarted under them; the server and
# its directory are removed at the end, whatever happened.
#
#   pg_test.sh BUILD_DIR
set -euo pipefail

build=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir=$(mktemp -d "${TMPDIR:-/tmp}/sladb-pg.XXXXXX")
trap '"$here/pgserver.sh" "$dir" destroy' EXIT

"$here/pgserver.sh" "$dir" init
"$here/pgserver.sh" "$dir" start
"$build/tests/db_test" --pg "$("$here/pgserver.sh" "$dir" conninfo)" \
	--server "$here/pgserver.sh $dir" || {
	rc=$?
	sed 's/^/# server: /' "$dir/server.log" | tail -n 20 >&2
	exit $rc
}
