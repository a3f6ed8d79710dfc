#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Where the time of a mailbox ioctl goes: runs COMMAND with the kernel's
# function_graph tracer on the ioctl entry (mbx_box_fd_ioctl and its
# callees, to DEPTH levels), then prints per function the calls and the
# mean and total time, children included, from the tracer's durations.
# PROFILE_FUNCS replaces the entry points (a space-separated list), to
# trace another mechanism the same way in the same boot:
#
#   PROFILE_FUNCS="pipe_read pipe_write" profile.sh 4 mailbox-bench ...
#   PROFILE_FUNCS="futex_wait futex_wake" profile.sh 4 mailbox-bench ...
# Runs in the test VM (busybox sh and awk), as root:
#
#   tools/vm/vm.sh exec 6.12 'profile.sh 4 mailbox-bench --case pingpong \
#       --mech mailbox --iters 2000 --repeat 1'
#
# The tracer adds its own cost to every traced function: compare functions
# with each other within one run, and runs with the same DEPTH.
set -e
depth=${1:?usage: profile.sh DEPTH COMMAND...}
shift
t=/sys/kernel/tracing
[ -d $t/events ] || mount -t tracefs nodev $t
echo 0 >$t/tracing_on
echo function_graph >$t/current_tracer
echo "${PROFILE_FUNCS:-mbx_box_fd_ioctl}" >$t/set_graph_function
echo "$depth" >$t/max_graph_depth
echo funcgraph-proc >$t/trace_options 2>/dev/null || true
echo nofuncgraph-irqs >$t/trace_options 2>/dev/null || true
echo 16384 >$t/buffer_size_kb
echo >$t/trace
echo 1 >$t/tracing_on
"$@" >/dev/null
echo 0 >$t/tracing_on
# Lines: " CPU) task-pid | duration us | func() {" or "} /* func */".
awk -F'|' '
	NF < 3 { next }
	{
		d = $(NF - 1); f = $NF
		gsub(/[^0-9.]/, "", d)
		if (f ~ /\(\);/) {			# a leaf: "func();"
			name = f; sub(/^ */, "", name); sub(/\(.*/, "", name)
			if (d != "") { n[name]++; s[name] += d }
		} else if (f ~ /\{ *$/) {		# opens
			name = f; sub(/^ */, "", name); sub(/\(.*/, "", name)
			stack[++sp] = name
		} else if (f ~ /^ *\}/) {		# closes, with the duration
			name = stack[sp--]
			if (d != "" && name != "") { n[name]++; s[name] += d }
		}
	}
	END {
		printf "%-36s %9s %9s %11s\n", "function", "calls", "mean us", "total us"
		for (k in n)
			printf "%-36s %9d %9.2f %11.0f\n", k, n[k], s[k] / n[k], s[k]
	}' $t/trace | sort -k4 -n -r | head -40
echo nop >$t/current_tracer
