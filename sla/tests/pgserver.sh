#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A throw-away PostgreSQL server for the tests, from Debian's postgresql
# package: a cluster in DIR/data, listening only on the Unix socket
# DIR/.s.PGSQL.5432 (no TCP), trust authentication for the superuser "sla",
# fsync off (a test's data need not survive a power loss).  PostgreSQL
# refuses to run as root: as root, the server runs as the package's
# "postgres" user (or nobody), and DIR is given to it.
#
#   pgserver.sh DIR init        initdb (DIR must be new or empty)
#   pgserver.sh DIR start|stop|restart
#   pgserver.sh DIR destroy     stop if running, remove DIR
#   pgserver.sh DIR conninfo    print the libpq connection string (no dbname)
set -euo pipefail

dir=$1 cmd=$2
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
[[ -x $bindir/initdb ]] || { echo "pgserver.sh: no initdb under /usr/lib/postgresql (package postgresql)" >&2; exit 1; }

owner=
if ((EUID == 0)); then
	owner=postgres
	id -u "$owner" >/dev/null 2>&1 || owner=nobody
fi
as_owner() {
	if [[ $owner ]]; then runuser -u "$owner" -- "$@"; else "$@"; fi
}
pg_ctl() {
	as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 "$@" >/dev/null
}

case $cmd in
init)
	mkdir -p "$dir"
	[[ $owner ]] && chown "$owner:" "$dir"
	as_owner "$bindir/initdb" -D "$dir/data" -U sla --auth=trust -E UTF8 \
		--locale=C -N >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; exit 1; }
	cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$dir'
port = 5432
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 40
shared_buffers = 16MB
CONF
	;;
start) pg_ctl start ;;
stop) pg_ctl stop -m fast ;;
restart) pg_ctl restart -m fast ;;
destroy)
	[[ -f $dir/data/postmaster.pid ]] && pg_ctl stop -m immediate || true
	rm -rf "$dir"
	;;
conninfo) echo "host=$dir port=5432 user=sla" ;;
*) echo "pgserver.sh: unknown command $cmd" >&2; exit 2 ;;
esac
