// SPDX-License-Identifier: GPL-2.0
/*
 * Cross-CPU wakeup latency: two processes, pinned to two CPUs, pass a byte
 * back and forth through a pair of pipes; prints the round-trip times.  The
 * VM runner's QEMU options were chosen with it (tools/vm/vm.sh):
 *
 *	vcpu_pingpong [ROUND_TRIPS [CPU_A CPU_B]]	(10000 0 1)
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		perror("sched_setaffinity");
		exit(1);
	}
}

static void xfer(int in, int out)
{
	char c = 0;

	if (write(out, &c, 1) != 1 || read(in, &c, 1) != 1) {
		perror("pipe");
		exit(1);
	}
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10000;
	int cpu_a = argc > 3 ? atoi(argv[2]) : 0;
	int cpu_b = argc > 3 ? atoi(argv[3]) : 1;
	int ping[2], pong[2], status;
	long long *rtt, start, total;
	pid_t pid;
	char c;

	if (n < 1 || !(rtt = calloc(n, sizeof(*rtt))) || pipe(ping) || pipe(pong)) {
		fprintf(stderr, "usage: %s [ROUND_TRIPS [CPU_A CPU_B]]\n", argv[0]);
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		pin(cpu_b);
		close(ping[1]);
		close(pong[0]);
		while (read(ping[0], &c, 1) == 1)
			if (write(pong[1], &c, 1) != 1)
				_exit(1);
		_exit(0);
	}
	close(ping[0]);
	close(pong[1]);
	pin(cpu_a);
	xfer(pong[0], ping[1]);		/* both sides running */
	total = now_ns();
	for (int i = 0; i < n; i++) {
		start = now_ns();
		xfer(pong[0], ping[1]);
		rtt[i] = now_ns() - start;
	}
	total = now_ns() - total;
	close(ping[1]);
	waitpid(pid, &status, 0);

	qsort(rtt, n, sizeof(*rtt), cmp);
	printf("cpu %d <-> cpu %d: %d round trips in %.3f s: min %.1f us, median %.1f us, p99 %.1f us, max %.1f us\n",
	       cpu_a, cpu_b, n, total / 1e9, rtt[0] / 1e3, rtt[n / 2] / 1e3,
	       rtt[n * 99 / 100] / 1e3, rtt[n - 1] / 1e3);
	return 0;
}
