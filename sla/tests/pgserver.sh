#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A throw-away PostgreSQL server for the tests, from Debian's postgresql
# package: a cluster in DIR/data for the superuser "sla", fsync off (a
# test's data need not survive a power loss).  By default it listens only
# on the Unix socket DIR/.s.PGSQL.5432 (no TCP), with trust authentication:
# DIR is mode 0700, so only its owner (and root) reach the socket.  With
# "tcp" it also listens on 127.0.0.1, on a free port it picks, with a
# random password (SCRAM) kept in DIR/pgpass for the connection string's
# passfile=, since any local user can reach 127.0.0.1 (a QEMU guest's
# guestfwd, say).  PostgreSQL refuses to run as root: as root, the server
# runs as the package's "postgres" user (or nobody), and DIR is given to it.
#
#   pgserver.sh DIR init [tcp]  initdb (DIR must be new or empty)
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

# A TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
	local p
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 40000))
		if [[ -z $(ss -Hltn "sport = :$p" 2>/dev/null) ]]; then
			echo "$p"
			return
		fi
	done
	echo "pgserver.sh: no free port found" >&2
	return 1
}

case $cmd in
init)
	mkdir -p "$dir"
	chmod 700 "$dir"
	[[ $owner ]] && chown "$owner:" "$dir"
	auth=(--auth=trust)
	listen="''"
	if [[ ${3:-} == tcp ]]; then
		port=$(free_port)
		pw=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
		printf '%s\n' "$pw" >"$dir/pw"
		printf '127.0.0.1:%s:*:sla:%s\n' "$port" "$pw" >"$dir/pgpass"
		chmod 600 "$dir/pw" "$dir/pgpass"
		[[ $owner ]] && chown "$owner:" "$dir/pw"
		echo "$port" >"$dir/port"
		auth=(--auth-local=trust --auth-host=scram-sha-256 --pwfile="$dir/pw")
		listen="'127.0.0.1'"
	fi
	as_owner "$bindir/initdb" -D "$dir/data" -U sla "${auth[@]}" -E UTF8 \
		--locale=C -N >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; exit 1; }
	rm -f "$dir/pw"
	cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = $listen
unix_socket_directories = '$dir'
port = $(cat "$dir/port" 2>/dev/null || echo 5432)
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
conninfo)
	if [[ -f $dir/port ]]; then
		echo "host=127.0.0.1 port=$(cat "$dir/port") user=sla passfile=$dir/pgpass"
	else
		echo "host=$dir port=5432 user=sla"
	fi
	;;
*) echo "pgserver.sh: unknown command $cmd" >&2; exit 2 ;;
esac
