// SPDX-License-Identifier: GPL-2.0
/*
 * mailbox-syscost: what one system call costs, next to one mailbox ioctl,
 * in a single process that never waits (no wakeup, no switch).
 *
 *   mailbox-syscost [ITERATIONS]
 *
 * Each line is the mean time of one operation over ITERATIONS (100000)
 * in a loop, the best of three rounds: a bare system call, read and
 * write of /dev/null, an ioctl that no driver knows (the system call and
 * the security hooks of an ioctl, without a driver), FUTEX_WAKE with no
 * waiter, MBX_IOC_API (the mailbox's dispatch, nothing else), two
 * ioctls that fail on their first check; then whole calls (submit, take,
 * complete, collect): through the four single ioctls, and through the
 * four batch ioctls that move 16 calls, per call.
 * The figures are the cost of the kernel's entry and of the operation;
 * mailbox-bench's cases add what waiting and switching cost.
 * Documentation/userspace-api/mbx-bench.rst ("Where the time goes").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "mailbox.h"

#define DEPTH	16		/* calls per batch */
#define ROUNDS	3

static long iters = 100000;
static struct mailbox mb;
static char box_name[MBX_NAME_MAX];
static int null_fd;

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "mailbox-syscost: %s: %s\n", what, strerror(err));
	exit(1);
}

/* The mailbox's name goes with the program, whichever way it ends. */
static void destroy_box(void)
{
	mailbox_destroy(box_name);
}

/* Each test makes @per operations (or calls) per turn: ns per one. */
struct test {
	const char *name;
	int per;
	void (*turn)(void);
};

static void t_getppid(void)
{
	syscall(SYS_getppid);
}

static void t_read(void)
{
	char buf[64];

	if (read(null_fd, buf, sizeof(buf)) < 0)
		die("read /dev/null", errno);
}

static void t_write(void)
{
	char buf[64] = { 0 };

	if (write(null_fd, buf, sizeof(buf)) != sizeof(buf))
		die("write /dev/null", errno);
}

static void t_enotty(void)
{
	if (ioctl(null_fd, _IO('x', 0x7f), 0) == 0 || errno != ENOTTY)
		die("ioctl on /dev/null", errno);
}

static void t_futex(void)
{
	static int word;

	if (syscall(SYS_futex, &word, FUTEX_WAKE, 1, NULL, NULL, 0) < 0)
		die("FUTEX_WAKE", errno);
}

static void t_api(void)
{
	struct mbx_api_args api = { .size = sizeof(api), .api = MBX_API_VERSION };

	if (ioctl(mailbox_fd(&mb), MBX_IOC_API, &api))
		die("MBX_IOC_API", errno);
}

static void t_submit_eperm(void)
{
	/* DEPTH + 1: a slot nobody owns. */
	struct mbx_submit_args sub = { .size = sizeof(sub), .slot = DEPTH };

	if (ioctl(mailbox_fd(&mb), MBX_IOC_CALL_SUBMIT, &sub) == 0 ||
	    errno != EPERM)
		die("MBX_IOC_CALL_SUBMIT on a slot not owned", errno);
}

static void t_take_eagain(void)
{
	struct mbx_call c;
	int ret = mailbox_take(&mb, MBX_WAIT_NONBLOCK, 0, &c);

	if (ret != -EAGAIN)
		die("MBX_IOC_CALL_TAKE with nothing pending", -ret);
}

/* Slot 0, OWNED: submit, take, complete, collect; OWNED again. */
static void t_single(void)
{
	struct mbx_call c = { .slot = 0, .opcode = 1, .len = 64 }, t, r;
	int ret;

	ret = mailbox_submit(&mb, &c);
	if (ret < 0)
		die("submit", -ret);
	ret = mailbox_take(&mb, MBX_WAIT_NONBLOCK, 0, &t);
	if (ret < 0)
		die("take", -ret);
	ret = mailbox_complete(&mb, &t, 0, 64);
	if (ret < 0)
		die("complete", -ret);
	ret = mailbox_collect(&mb, NULL, MBX_WAIT_NONBLOCK, 0, &r);
	if (ret < 0)
		die("collect", -ret);
}

/* Slots 0 to DEPTH - 1, OWNED: the same in four batch ioctls. */
static void t_batch(void)
{
	struct mbx_batch_submit sub[DEPTH];
	struct mbx_batch_complete done[DEPTH];
	struct mbx_call got[DEPTH];
	int i, n;

	for (i = 0; i < DEPTH; i++)
		sub[i] = (struct mbx_batch_submit){
			.slot = i, .opcode = 1, .len = 64,
		};
	n = mailbox_batch_call(&mb, sub, DEPTH, NULL, 0, 0, 0);
	for (i = 0; i < DEPTH; i++)
		if (n < 0 || sub[i].out_result)
			die("batch submit", n < 0 ? -n : -sub[i].out_result);
	n = mailbox_batch_serve(&mb, NULL, 0, got, DEPTH, MBX_WAIT_NONBLOCK, 0);
	if (n != DEPTH)
		die("batch take", n < 0 ? -n : EAGAIN);
	for (i = 0; i < DEPTH; i++)
		done[i] = (struct mbx_batch_complete){
			.call_id = got[i].call_id, .slot = got[i].slot,
			.len = 64,
		};
	n = mailbox_batch_serve(&mb, done, DEPTH, NULL, 0, 0, 0);
	for (i = 0; i < DEPTH; i++)
		if (n < 0 || done[i].out_result)
			die("batch complete", n < 0 ? -n : -done[i].out_result);
	n = mailbox_batch_call(&mb, NULL, 0, got, DEPTH, MBX_WAIT_NONBLOCK, 0);
	if (n != DEPTH)
		die("batch collect", n < 0 ? -n : EAGAIN);
}

static const struct test tests[] = {
	{ "getppid()", 1, t_getppid },
	{ "read(/dev/null, 64)", 1, t_read },
	{ "write(/dev/null, 64)", 1, t_write },
	{ "ioctl(/dev/null): ENOTTY", 1, t_enotty },
	{ "FUTEX_WAKE, no waiter", 1, t_futex },
	{ "MBX_IOC_API", 1, t_api },
	{ "CALL_SUBMIT: EPERM", 1, t_submit_eperm },
	{ "CALL_TAKE: EAGAIN", 1, t_take_eagain },
	{ "a call: 4 single ioctls", 1, t_single },
	{ "a call: 16 per 4 batch ioctls", DEPTH, t_batch },
};

int main(int argc, char **argv)
{
	unsigned int i, r;
	long n;
	int ret;

	if (argc == 2)
		iters = atol(argv[1]);
	if (argc > 2 || iters <= 0) {
		fprintf(stderr, "usage: mailbox-syscost [ITERATIONS]\n");
		return 2;
	}
	null_fd = open("/dev/null", O_RDWR);
	if (null_fd < 0)
		die("/dev/null", errno);
	snprintf(box_name, sizeof(box_name), "mailbox-syscost-%d", getpid());
	ret = mailbox_create(&mb, box_name, DEPTH + 1, 64, 0600, 0, 0);
	if (ret < 0)
		die(box_name, -ret);
	atexit(destroy_box);
	for (i = 0; i < DEPTH; i++) {
		ret = mailbox_acquire(&mb, i, 0, 0, NULL);
		if (ret < 0)
			die("acquire", -ret);
	}
	printf("%-34s %8s\n", "operation", "ns each");
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		const struct test *t = &tests[i];
		long turns = iters / t->per > 0 ? iters / t->per : 1;
		double best = 0;

		for (r = 0; r < ROUNDS; r++) {
			double t0 = now_ns(), each;

			for (n = 0; n < turns; n++)
				t->turn();
			each = (now_ns() - t0) / (turns * t->per);
			if (!r || each < best)
				best = each;
		}
		printf("%-34s %8.0f\n", t->name, best);
	}
	mailbox_close(&mb);
	return 0;
}
