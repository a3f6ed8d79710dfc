# SPDX-License-Identifier: GPL-2.0
#
# What the VM scripts of the SLA server share (sourced, busybox sh): TAP
# points, a null_blk device made slow enough to be the bottleneck under
# emulation (each I/O completed by a timer after 4 ms, one at a time,
# mq-deadline with 64 requests queued), and the end of the fio workloads
# on it.
#
#   ok WHAT / notok WHAT   "ok - $TAP_PREFIX WHAT" / "not ok - ..."; notok
#                       counts in $fails
#   check WHAT COMMAND...  ok or notok as COMMAND exits
#   slowdev_up NAME     the device /dev/NAME through configfs (mounted if it
#                       is not); sets DEV to its MAJ:MIN; 1 if it cannot
#   fio_stop            SIGTERM to every fio, SIGKILL to any left after 3 s
#   slowdev_down NAME   the device powered off and removed, configfs
#                       unmounted, so that null_blk and configfs unload

fails=0
ok() { echo "ok - ${TAP_PREFIX:-}$*"; }
notok() { echo "not ok - ${TAP_PREFIX:-}$*"; fails=$((fails + 1)); }
check() {
	what=$1
	shift
	if "$@"; then ok "$what"; else notok "$what"; fi
}

slowdev_up() {
	mount -t configfs none /sys/kernel/config 2>/dev/null
	nb=/sys/kernel/config/nullb/$1
	mkdir "$nb" || return 1
	echo 1024 >"$nb/size"
	echo 2 >"$nb/irqmode"
	echo 4000000 >"$nb/completion_nsec"
	echo 1 >"$nb/hw_queue_depth"
	echo 1 >"$nb/power"
	echo mq-deadline >/sys/block/$1/queue/scheduler 2>/dev/null
	echo 64 >/sys/block/$1/queue/nr_requests 2>/dev/null
	DEV=$(cat /sys/block/$1/dev)
}

fio_stop() {
	for p in $(pidof fio); do kill "$p"; done 2>/dev/null
	i=0
	while [ -n "$(pidof fio)" ] && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
	[ -z "$(pidof fio)" ] || { kill -9 $(pidof fio); sleep 0.5; }
}

slowdev_down() {
	echo 0 >"/sys/kernel/config/nullb/$1/power"
	rmdir "/sys/kernel/config/nullb/$1"
	umount /sys/kernel/config
}
