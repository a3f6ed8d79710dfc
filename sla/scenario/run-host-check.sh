#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make run SLA_CONF=FILE SLA_DRY_RUN=1` as an administrator runs it on a
# host that has the module, tried in the test VM after the scenario: a
# configuration file naming the VM's own null_blk device and two cgroups
# with fio in them (app/db with a latency SLA, app/backup saturating the
# device), run-host.sh in dry-run mode for 15 s, and the checks from data
# it does not summarise: its exit status and report, io.max left as it
# was, the database's samples of both hosts, sla-core's dry-run decisions
# in the log, the mailboxes' counters.  TAP lines "ok - ..." / "not ok -
# ...".  Needs what sla-scenario.sh needs, and /usr/bin/run-host.sh.
set -u

OUT=/tmp/sla-host
CG=/sys/fs/cgroup
TAP_PREFIX="run-host: "
. "$(dirname "$0")/vmlib.sh"

rm -rf $OUT
mkdir -p $OUT
slowdev_up nullb2 || { notok "null_blk: configfs device"; exit 1; }
grep -q io $CG/cgroup.subtree_control || echo +io >$CG/cgroup.subtree_control
mkdir -p $CG/app
echo +io >$CG/app/cgroup.subtree_control
mkdir -p $CG/app/db $CG/app/backup

cat >$OUT/sla.conf <<T
# the administrator's file: this host's device and cgroups
[database]
address = sqlite:$OUT/sla.db
pool = 2
[mailboxes]
database = site-db
monitor = site-mon
appserver = site-app
[appserver]
listen = 127.0.0.1:8090
[gateway local]
url = http://127.0.0.1:8091
listen = 127.0.0.1:8091
[device nullb2]
id = $DEV
[host db]
gateway = local
cgroup = app/db
devices = nullb2
lat_ceiling_us = 6000
priority = 10
latency_file = $OUT/db.json
[host backup]
gateway = local
cgroup = app/backup
devices = nullb2
iops_floor = 20
priority = 1
T
io_before=$(cat $CG/app/backup/io.max)

fio_in() { # fio_in CGROUP NAME ARGS...
	cg=$1 name=$2
	shift 2
	sh -c "echo \$\$ >$CG/$cg/cgroup.procs; exec fio --name=$name --filename=/dev/nullb2 \
		--direct=1 --rw=randread --bs=4k --ioengine=libaio --time_based --runtime=25 $* \
		--output=$OUT/$name.json" >/dev/null 2>&1 &
}
fio_in app/db db --iodepth=1 --rate_iops=40 --status-interval=1 --output-format=json+
fio_in app/backup backup --iodepth=16 --output-format=json

SLA_BIN=/usr/bin SLA_DRY_RUN=1 SLA_RUN_S=15 SLA_OUT=$OUT/run \
	sh /usr/bin/run-host.sh $OUT/sla.conf >$OUT/report.txt 2>&1
rc=$?
sed 's/^/#   /' $OUT/report.txt
check "make run SLA_CONF=FILE SLA_DRY_RUN=1 ran 15 s and exited 0 (status $rc)" [ $rc = 0 ]
check "its report reconciles the three mailboxes the file names" \
	sh -c "grep -q 'site-db: .* submitted = ' $OUT/report.txt && grep -q 'site-mon: .* submitted = ' $OUT/report.txt && grep -q 'site-app: .* submitted = ' $OUT/report.txt"
n=$(grep -c 'dry run: would throttle app/backup' $OUT/run/server.log)
check "sla-core decided to throttle app/backup and did not send it ($n dry-run lines)" [ "$n" -ge 1 ]
check "io.max of app/backup is as it was ($(cat $CG/app/backup/io.max | tr '\n' ' '))" \
	[ "$(cat $CG/app/backup/io.max)" = "$io_before" ]
nd=$(sqlite3 -batch -noheader $OUT/sla.db "SELECT count(*) FROM samples WHERE host='app/db' AND lat_mean_us > 0;")
nb=$(sqlite3 -batch -noheader $OUT/sla.db "SELECT count(*) FROM samples WHERE host='app/backup';")
check "the database holds samples of both hosts, app/db's with its latency ($nd, $nb)" [ "${nd:-0}" -ge 5 -a "${nb:-0}" -ge 5 ]
nt=$(sqlite3 -batch -noheader $OUT/sla.db "SELECT count(*) FROM decisions WHERE action IN ('throttle','cap','raise','relax','lift');")
check "no throttle decision recorded in a dry run ($nt)" [ "${nt:-1}" = 0 ]
check "the file's SLAs were stored for both hosts" \
	[ "$(sqlite3 -batch -noheader $OUT/sla.db 'SELECT count(*) FROM slas;')" = 2 ]
sla-ctl -C $OUT/sla.conf stats >$OUT/stats.txt
s=$(sed -n 's/^site-mon .*submitted=\([0-9]*\).*/\1/p' $OUT/stats.txt)
c=$(sed -n 's/^site-mon .*completed=\([0-9]*\).*/\1/p' $OUT/stats.txt)
check "site-mon: the monitor answered every call, its journal has each ($c of $s, journal $(wc -l <$OUT/run/monitor.journal))" \
	[ -n "$s" -a "$s" = "$c" -a "$(wc -l <$OUT/run/monitor.journal)" = "$c" ]

fio_stop
rmdir $CG/app/db $CG/app/backup $CG/app 2>/dev/null
slowdev_down nullb2
[ $fails = 0 ]
