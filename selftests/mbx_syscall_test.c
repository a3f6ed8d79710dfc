// SPDX-License-Identifier: GPL-2.0
/*
 * Cheap calls: in steady state a caller needs at most 2 system calls per
 * call (MBX_IOC_CALL_SUBMIT, then MBX_IOC_CALL_COLLECT, which leaves the
 * slot owned for the next call), and 1 with MBX_SUBMIT_COLLECT (the submit
 * then collects the reply); a callee at most 2 (it needs 1:
 * MBX_IOC_CALL_TAKE with MBX_TAKE_COMPLETE answers one call and takes the
 * next).
 *
 * Counted for real: each side counts its own system calls with a perf
 * event on the raw_syscalls:sys_enter tracepoint, enabled around a window
 * of calls after a warm-up. The counter's own cost (the disabling ioctl)
 * is measured on an empty window and taken off.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/mbx.h>

#include "kselftest_harness.h"
#include "mbx_helpers.h"

MBX_SKIP_WITHOUT_DEVICE

#define WARMUP		200
#define WINDOW		2000
#define AFTER		10
#define TOTAL		(WARMUP + WINDOW + AFTER)
#define STALL_NS	(60000ULL * 1000000ULL)

static const char *const tracefs_dirs[] = {
	"/sys/kernel/tracing",
	"/sys/kernel/debug/tracing",
};

/* The id of raw_syscalls:sys_enter, mounting tracefs if need be. */
static int sys_enter_id(char *why, size_t len)
{
	char path[128];
	unsigned int i;
	int id = -1, tried_mount = 0;
	FILE *f;

again:
	for (i = 0; i < sizeof(tracefs_dirs) / sizeof(tracefs_dirs[0]); i++) {
		snprintf(path, sizeof(path),
			 "%s/events/raw_syscalls/sys_enter/id", tracefs_dirs[i]);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%d", &id) != 1)
			id = -1;
		fclose(f);
		if (id >= 0)
			return id;
	}
	if (!tried_mount) {
		tried_mount = 1;
		if (!mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL))
			goto again;
		snprintf(why, len, "no raw_syscalls:sys_enter tracepoint, "
			 "and mounting tracefs failed: %s", strerror(errno));
		return -1;
	}
	snprintf(why, len, "no raw_syscalls:sys_enter tracepoint in tracefs");
	return -1;
}

/* A disabled counter of this thread's system calls, or -errno. */
static int syscall_counter(int id)
{
	struct perf_event_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_TRACEPOINT;
	attr.config = id;
	attr.disabled = 1;
	attr.sample_period = 0;
	fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1,
		     PERF_FLAG_FD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static __u64 counter_read(int fd)
{
	__u64 v = 0;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return ~0ULL;
	return v;
}

struct side {
	__u64 counted;		/* sys_enter over the window */
	__u64 empty;		/* sys_enter over an empty window */
	__u64 calls;		/* calls in the window */
	int err;		/* 0, or where it failed */
	char why[128];
};

struct shared {
	struct side caller;
	struct side callee;
};

#define FAIL(side, ...) do {						\
	snprintf((side)->why, sizeof((side)->why), __VA_ARGS__);	\
	(side)->err = 1;						\
	return 1;							\
} while (0)

/* The empty-window cost: what enable + disable count by themselves. */
static int calibrate(int ctr, struct side *me)
{
	if (ioctl(ctr, PERF_EVENT_IOC_RESET, 0) ||
	    ioctl(ctr, PERF_EVENT_IOC_ENABLE, 0) ||
	    ioctl(ctr, PERF_EVENT_IOC_DISABLE, 0))
		return -1;
	me->empty = counter_read(ctr);
	return ioctl(ctr, PERF_EVENT_IOC_RESET, 0);
}

/*
 * One call: submit the call in slot @s, then collect its reply (in one
 * system call with @combined, MBX_SUBMIT_COLLECT). 0 or -errno.
 */
static int caller_call(int fd, int s, int i, __u64 deadline, int combined,
		       __u64 *cid, struct mbx_call *call)
{
	struct mbx_submit_args a;
	int ret;

	if (!combined) {
		ret = mbx_submit(fd, s, 1, sizeof(__u64), i, cid);
		if (ret)
			return ret;
		return mbx_collect(fd, MBX_WAIT_TIMEOUT, 0, 0, deadline, call);
	}
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = MBX_SUBMIT_COLLECT | MBX_WAIT_TIMEOUT;
	a.slot = s;
	a.opcode = 1;
	a.len = sizeof(__u64);
	a.user_data = i;
	a.timeout_ns = deadline;
	ret = mbx_ioctl(fd, MBX_IOC_CALL_SUBMIT, &a);
	*cid = a.out_call_id;
	*call = a.out_reply;
	return ret;
}

static int caller_main(const char *name, int id, int combined,
		       struct side *me)
{
	struct mbx_call call;
	struct mbx_map m;
	__u64 cid = 0, deadline;
	int dev, fd, ctr, s, i;

	dev = mbx_dev_open();
	fd = dev < 0 ? dev : mbx_open(dev, name,
				      MBX_ACCESS_READ | MBX_ACCESS_WRITE);
	if (fd < 0 || mbx_map(fd, PROT_READ | PROT_WRITE, &m))
		FAIL(me, "caller: no session");
	ctr = syscall_counter(id);
	if (ctr < 0)
		FAIL(me, "caller: perf_event_open: %s", strerror(-ctr));
	if (calibrate(ctr, me))
		FAIL(me, "caller: perf ioctl: %s", strerror(errno));

	s = mbx_acquire(fd, MBX_ACQUIRE_ANY, 0, 0, NULL);
	if (s < 0)
		FAIL(me, "caller: acquire: %s", strerror(-s));
	/*
	 * One absolute deadline for the whole run: reading the clock may be
	 * a system call too (no vDSO clock under emulation).
	 */
	deadline = mbx_now_ns() + STALL_NS;
	for (i = 0; i < TOTAL; i++) {
		if (i == WARMUP && ioctl(ctr, PERF_EVENT_IOC_ENABLE, 0))
			FAIL(me, "caller: enable: %s", strerror(errno));
		/*
		 * Step 1: the call in the slot we own, then submit. Step 2:
		 * the reply; the slot is ours again.
		 */
		*(__u64 *)mbx_call_plane(&m, s) = i;
		if (caller_call(fd, s, i, deadline, combined, &cid, &call))
			FAIL(me, "caller: call %d: %s", i, strerror(errno));
		if (call.call_id != cid || call.slot != (__u32)s ||
		    *(__u64 *)mbx_reply_plane(&m, s) != 3 * (__u64)i + 1)
			FAIL(me, "caller: wrong reply to call %d", i);
		if (i == WARMUP + WINDOW - 1) {
			if (ioctl(ctr, PERF_EVENT_IOC_DISABLE, 0))
				FAIL(me, "caller: disable: %s",
				     strerror(errno));
			me->counted = counter_read(ctr);
			me->calls = WINDOW;
		}
	}
	mbx_release(fd, s);
	return 0;
}

static int callee_main(const char *name, int id, struct side *me)
{
	struct mbx_take_args ta;
	struct mbx_map m;
	int dev, fd, ctr, i;

	dev = mbx_dev_open();
	fd = dev < 0 ? dev : mbx_open(dev, name,
				      MBX_ACCESS_READ | MBX_ACCESS_WRITE);
	if (fd < 0 || mbx_map(fd, PROT_READ | PROT_WRITE, &m))
		FAIL(me, "callee: no session");
	ctr = syscall_counter(id);
	if (ctr < 0)
		FAIL(me, "callee: perf_event_open: %s", strerror(-ctr));
	if (calibrate(ctr, me))
		FAIL(me, "callee: perf ioctl: %s", strerror(errno));

	memset(&ta, 0, sizeof(ta));
	ta.size = sizeof(ta);
	ta.timeout_ns = mbx_now_ns() + STALL_NS;	/* one for the run */
	for (i = 0; i < TOTAL; i++) {
		/* Take call i, answering call i - 1 on the way. */
		if (i == WARMUP + 1 && ioctl(ctr, PERF_EVENT_IOC_ENABLE, 0))
			FAIL(me, "callee: enable: %s", strerror(errno));
		ta.flags |= MBX_WAIT_TIMEOUT;
		if (mbx_ioctl(fd, MBX_IOC_CALL_TAKE, &ta))
			FAIL(me, "callee: take %d: %s", i, strerror(errno));
		if (i == WARMUP + WINDOW) {
			if (ioctl(ctr, PERF_EVENT_IOC_DISABLE, 0))
				FAIL(me, "callee: disable: %s",
				     strerror(errno));
			me->counted = counter_read(ctr);
			me->calls = WINDOW;
		}
		if (*(__u64 *)mbx_call_plane(&m, ta.out_call.slot) !=
		    ta.out_call.user_data)
			FAIL(me, "callee: call %d: bad payload", i);
		*(__u64 *)mbx_reply_plane(&m, ta.out_call.slot) =
			3 * ta.out_call.user_data + 1;
		ta.flags = MBX_TAKE_COMPLETE | MBX_WAIT_TIMEOUT;
		ta.done_slot = ta.out_call.slot;
		ta.done_call_id = ta.out_call.call_id;
		ta.done_len = sizeof(__u64);
		ta.done_status = 0;
	}
	if (mbx_complete(fd, ta.done_slot, ta.done_call_id, 0, sizeof(__u64)))
		FAIL(me, "callee: last complete");
	return 0;
}

FIXTURE(syscalls) {
	int dev;
	char name[MBX_NAME_MAX];
	int fd;
	int id;
	struct shared *sh;
	char why[256];
};

FIXTURE_SETUP(syscalls)
{
	int ctr;

	self->dev = mbx_dev_open();
	ASSERT_LE(0, self->dev);
	mbx_unique_name(self->name, "sys");
	self->fd = mbx_create(self->dev, self->name, 2, 64, 0600);
	ASSERT_LE(0, self->fd);
	self->sh = mmap(NULL, sizeof(*self->sh), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->sh);
	memset(self->sh, 0, sizeof(*self->sh));
	self->id = sys_enter_id(self->why, sizeof(self->why));
	if (self->id >= 0) {
		ctr = syscall_counter(self->id);
		if (ctr < 0) {
			snprintf(self->why, sizeof(self->why),
				 "perf_event_open(raw_syscalls:sys_enter): %s",
				 strerror(-ctr));
			self->id = -1;
		} else {
			close(ctr);
		}
	}
}

FIXTURE_TEARDOWN(syscalls)
{
	munmap(self->sh, sizeof(*self->sh));
	close(self->fd);
	mbx_destroy(self->dev, self->name);
	close(self->dev);
}

/* A caller and a callee process, @combined: the caller's kind of call. */
static void run_pair(struct __test_metadata *_metadata,
		     FIXTURE_DATA(syscalls) *self, int combined)
{
	struct side *c = &self->sh->caller, *e = &self->sh->callee;
	pid_t callee, caller;
	int status;

	callee = fork();
	ASSERT_LE(0, callee);
	if (callee == 0) {
		close(self->fd);
		_exit(callee_main(self->name, self->id, e));
	}
	caller = fork();
	ASSERT_LE(0, caller);
	if (caller == 0) {
		close(self->fd);
		_exit(caller_main(self->name, self->id, combined, c));
	}
	ASSERT_EQ(caller, waitpid(caller, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (c->err) {
		TH_LOG("%s", c->why);
		kill(callee, SIGKILL);
	}
	ASSERT_EQ(callee, waitpid(callee, &status, 0));
	if (e->err)
		TH_LOG("%s", e->why);
	ASSERT_EQ(0, c->err);
	ASSERT_EQ(0, e->err);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	TH_LOG("caller: %llu syscalls for %llu calls (%llu for the counter)",
	       (unsigned long long)c->counted, (unsigned long long)c->calls,
	       (unsigned long long)c->empty);
	TH_LOG("callee: %llu syscalls for %llu calls (%llu for the counter)",
	       (unsigned long long)e->counted, (unsigned long long)e->calls,
	       (unsigned long long)e->empty);
	ASSERT_EQ(WINDOW, c->calls);
	ASSERT_EQ(WINDOW, e->calls);
	/* The counter counts: at least one syscall per call was seen. */
	EXPECT_LE(c->empty + WINDOW, c->counted);
	EXPECT_LE(e->empty + WINDOW, e->counted);
}

TEST_F_TIMEOUT(syscalls, at_most_two_per_call_per_side, 120)
{
	if (self->id < 0)
		SKIP(return, "%s", self->why);
	run_pair(_metadata, self, 0);
	/* At most two per call on each side. */
	EXPECT_GE(self->sh->caller.empty + 2 * WINDOW,
		  self->sh->caller.counted);
	EXPECT_GE(self->sh->callee.empty + 2 * WINDOW,
		  self->sh->callee.counted);
}

TEST_F_TIMEOUT(syscalls, submit_collect_caller_makes_one_per_call, 120)
{
	if (self->id < 0)
		SKIP(return, "%s", self->why);
	run_pair(_metadata, self, 1);
	/* One per call for the caller (and the callee, as before). */
	EXPECT_GE(self->sh->caller.empty + WINDOW, self->sh->caller.counted);
	EXPECT_GE(self->sh->callee.empty + 2 * WINDOW,
		  self->sh->callee.counted);
}

TEST_HARNESS_MAIN
