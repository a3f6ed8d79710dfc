// SPDX-License-Identifier: GPL-2.0
/*
 * The two-step call, one step at a time, with the slot's state read back
 * through MBX_IOC_SLOT_INFO after every step; exclusive access per slot
 * (blocking, non-blocking, absolute timeout, signals); only the owner
 * submits or releases; call ids change on each reuse; takes in submission
 * order, one waiting callee woken per call; and readiness through poll,
 * epoll and io_uring's IORING_OP_POLL_ADD, as a snapshot and as a wakeup
 * of a waiter that is already asleep; and MBX_SUBMIT_COLLECT, a submit
 * and a collect in one call.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <liburing.h>
#include <linux/mbx.h>

#include "kselftest_harness.h"
#include "mbx_helpers.h"

MBX_SKIP_WITHOUT_DEVICE

#define NSLOTS		4
#define SLOT_SIZE	128
#define MS		1000000ULL
/* How long a waiter waits before the test calls it lost (TCG is slow). */
#define WAIT_MS		10000

/* ------------------------------------------------------------------ */
/* A blocking operation in a thread of its own                          */

enum bg_op {
	BG_ACQUIRE,		/* mbx_acquire(fd, flags, slot, timeout) */
	BG_TAKE,		/* mbx_take(fd, flags, timeout) */
	BG_COLLECT,		/* mbx_collect(fd, flags, slot, id, timeout) */
	BG_SUBMIT,		/* MBX_IOC_CALL_SUBMIT of sub, as it is */
	BG_POLL,		/* poll(fd, events) */
	BG_EPOLL,		/* epoll_wait for events, edge triggered */
	BG_URING,		/* IORING_OP_POLL_ADD of events */
};

struct bg {
	pthread_t thread;
	enum bg_op op;
	int fd;
	__u32 flags;
	__u32 slot;
	__u64 call_id;
	__u64 timeout_ns;
	short events;
	struct mbx_submit_args sub;	/* in and out */
	/* Results. */
	pid_t tid;
	int ret;
	__u32 out_flags;
	struct mbx_call call;
	unsigned int revents;
	int done;
};

static int bg_poll(struct bg *b)
{
	struct pollfd pfd = { .fd = b->fd, .events = b->events };
	int ret = poll(&pfd, 1, WAIT_MS);

	if (ret < 0)
		return -errno;
	b->revents = pfd.revents;
	return ret;
}

static int bg_epoll(struct bg *b)
{
	struct epoll_event ev = { .events = b->events | EPOLLET };
	int ep = epoll_create1(EPOLL_CLOEXEC), ret;

	if (ep < 0)
		return -errno;
	ret = epoll_ctl(ep, EPOLL_CTL_ADD, b->fd, &ev);
	if (!ret) {
		/* Edge triggered: only a wakeup after this reports. */
		ret = epoll_wait(ep, &ev, 1, WAIT_MS);
		if (ret > 0)
			b->revents = ev.events;
	}
	if (ret < 0)
		ret = -errno;
	close(ep);
	return ret;
}

static int bg_uring(struct bg *b)
{
	struct __kernel_timespec ts = { .tv_sec = WAIT_MS / 1000 };
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	int ret;

	ret = io_uring_queue_init(4, &ring, 0);
	if (ret)
		return ret;
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_poll_add(sqe, b->fd, b->events);
	ret = io_uring_submit(&ring);
	if (ret == 1)
		ret = io_uring_wait_cqe_timeout(&ring, &cqe, &ts);
	else if (ret >= 0)
		ret = -EIO;
	if (!ret) {
		if (cqe->res < 0)
			ret = cqe->res;
		else
			b->revents = cqe->res;
		ret = ret ?: 1;
		io_uring_cqe_seen(&ring, cqe);
	}
	io_uring_queue_exit(&ring);
	return ret;
}

static void *bg_main(void *arg)
{
	struct bg *b = arg;

	b->tid = syscall(SYS_gettid);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	switch (b->op) {
	case BG_ACQUIRE:
		b->ret = mbx_acquire(b->fd, b->flags, b->slot, b->timeout_ns,
				     &b->out_flags);
		break;
	case BG_TAKE:
		b->ret = mbx_take(b->fd, b->flags, b->timeout_ns, &b->call);
		break;
	case BG_COLLECT:
		b->ret = mbx_collect(b->fd, b->flags, b->slot, b->call_id,
				     b->timeout_ns, &b->call);
		break;
	case BG_SUBMIT:
		b->ret = mbx_ioctl(b->fd, MBX_IOC_CALL_SUBMIT, &b->sub);
		break;
	case BG_POLL:
		b->ret = bg_poll(b);
		break;
	case BG_EPOLL:
		b->ret = bg_epoll(b);
		break;
	case BG_URING:
		b->ret = bg_uring(b);
		break;
	}
	__atomic_store_n(&b->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static int bg_done(struct bg *b)
{
	return __atomic_load_n(&b->done, __ATOMIC_ACQUIRE);
}

/* Start @b and return once it sleeps in its call (or finished early). */
static int bg_start(struct bg *b)
{
	int i;

	b->done = 0;
	b->tid = 0;
	if (pthread_create(&b->thread, NULL, bg_main, b))
		return -EAGAIN;
	for (i = 0; i < 10000 && !__atomic_load_n(&b->tid, __ATOMIC_SEQ_CST);
	     i++)
		mbx_sleep_ms(1);
	if (!b->tid)
		return -ETIMEDOUT;
	if (bg_done(b))
		return 0;
	return mbx_wait_sleeping(b->tid);
}

static void bg_join(struct bg *b)
{
	pthread_join(b->thread, NULL);
}

/* ------------------------------------------------------------------ */
/* Fixture: a mailbox and three sessions of their own                   */

FIXTURE(call) {
	int dev;
	char name[MBX_NAME_MAX];
	int c;			/* caller */
	int e;			/* callee */
	int x;			/* a third party */
	struct mbx_map cm, em;
};

FIXTURE_SETUP(call)
{
	int rw = MBX_ACCESS_READ | MBX_ACCESS_WRITE;

	self->dev = mbx_dev_open();
	ASSERT_LE(0, self->dev);
	mbx_unique_name(self->name, "call");
	self->c = mbx_create(self->dev, self->name, NSLOTS, SLOT_SIZE, 0600);
	ASSERT_LE(0, self->c);
	self->e = mbx_open(self->dev, self->name, rw);
	ASSERT_LE(0, self->e);
	self->x = mbx_open(self->dev, self->name, rw);
	ASSERT_LE(0, self->x);
	ASSERT_EQ(0, mbx_map(self->c, PROT_READ | PROT_WRITE, &self->cm));
	ASSERT_EQ(0, mbx_map(self->e, PROT_READ | PROT_WRITE, &self->em));
}

FIXTURE_TEARDOWN(call)
{
	mbx_unmap(&self->cm);
	mbx_unmap(&self->em);
	close(self->x);
	close(self->e);
	close(self->c);
	mbx_destroy(self->dev, self->name);
	close(self->dev);
}

/* The two-step call, one step at a time. */
TEST_F(call, two_step_call_step_by_step)
{
	struct mbx_slot_info si;
	struct mbx_stats_args st;
	struct mbx_take_args ta;
	struct mbx_collect_args co;
	struct pollfd pfd;
	__u32 fl = 0xcccccccc;
	__u64 id = 0, t0;
	int s;

	/* Caller: acquire a free slot; it is OWNED by the caller. */
	s = mbx_acquire(self->c, MBX_ACQUIRE_ANY, 0, 0, &fl);
	ASSERT_LE(0, s);
	ASSERT_GT(NSLOTS, s);
	EXPECT_EQ(0, fl);
	ASSERT_EQ(0, mbx_slot_info(self->x, s, &si));
	EXPECT_EQ(MBX_STATE_OWNED, si.state);
	EXPECT_EQ(s, si.slot);
	EXPECT_EQ(getpid(), si.owner_pid);
	EXPECT_EQ(0, si.caller_pid);
	EXPECT_EQ(0, si.callee_pid);
	EXPECT_EQ(0, si.call_id);
	EXPECT_EQ(0, si.__reserved);

	/* Write the opcode's parameters, then submit: step 1. */
	strcpy(mbx_call_plane(&self->cm, s), "ping 1234");
	t0 = mbx_now_ns();
	ASSERT_EQ(0, mbx_submit(self->c, s, 42, 10, 0xfeedULL, &id));
	EXPECT_NE(0, id);
	/* Step 1 never waits for a callee: there is none yet. */
	EXPECT_GT(2000 * MS, mbx_now_ns() - t0);
	ASSERT_EQ(0, mbx_slot_info(self->x, s, &si));
	EXPECT_EQ(MBX_STATE_PENDING, si.state);
	EXPECT_EQ(id, si.call_id);
	EXPECT_EQ(0xfeedULL, si.user_data);
	EXPECT_EQ(42, si.opcode);
	EXPECT_EQ(10, si.len);
	EXPECT_EQ(0, si.flags);
	EXPECT_EQ(0, si.delivery);
	EXPECT_EQ(0, si.owner_pid);	/* ownership was released */
	EXPECT_EQ(getpid(), si.caller_pid);
	EXPECT_EQ(0, si.callee_pid);
	EXPECT_LE(t0, si.submit_ns);
	EXPECT_EQ(0, si.take_ns);
	EXPECT_EQ(0, si.reply_ns);
	/* The caller owns it no more. */
	EXPECT_EQ(-EPERM, mbx_release(self->c, s));

	/* Callee: a call is pending. */
	pfd = (struct pollfd){ .fd = self->e, .events = POLLIN };
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLIN, pfd.revents);

	/* Take it: TAKEN, this fd its callee. */
	memset(&ta, 0xcc, sizeof(ta));
	ta.size = sizeof(ta);
	ta.flags = MBX_WAIT_NONBLOCK;
	ta.timeout_ns = 0;
	ta.done_call_id = 0;
	ta.done_slot = 0;
	ta.done_len = 0;
	ta.done_status = 0;
	ASSERT_EQ(0, mbx_ioctl(self->e, MBX_IOC_CALL_TAKE, &ta));
	EXPECT_EQ(0, ta.out_flags);
	EXPECT_EQ(id, ta.out_call.call_id);
	EXPECT_EQ(0xfeedULL, ta.out_call.user_data);
	EXPECT_EQ(s, ta.out_call.slot);
	EXPECT_EQ(42, ta.out_call.opcode);
	EXPECT_EQ(10, ta.out_call.len);
	EXPECT_EQ(0, ta.out_call.status);
	EXPECT_EQ(0, ta.out_call.flags);
	EXPECT_EQ(1, ta.out_call.delivery);
	ASSERT_EQ(0, mbx_slot_info(self->x, s, &si));
	EXPECT_EQ(MBX_STATE_TAKEN, si.state);
	EXPECT_EQ(getpid(), si.callee_pid);
	EXPECT_EQ(getpid(), si.caller_pid);
	EXPECT_EQ(1, si.delivery);
	EXPECT_LE(si.submit_ns, si.take_ns);
	/* Nothing else is pending. */
	EXPECT_EQ(0, poll(&pfd, 1, 0));

	/* Read the call, work, write the result. */
	EXPECT_STREQ("ping 1234", (char *)mbx_call_plane(&self->em, s));
	strcpy(mbx_reply_plane(&self->em, s), "pong 1234");

	/* No reply yet for the caller. */
	pfd = (struct pollfd){ .fd = self->c, .events = POLLRDBAND };
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	EXPECT_EQ(-EAGAIN, mbx_collect(self->c, MBX_WAIT_NONBLOCK, 0, 0, 0,
				       NULL));

	/* Complete: REPLIED, the caller is told. */
	ASSERT_EQ(0, mbx_complete(self->e, s, id, 0, 10));
	ASSERT_EQ(0, mbx_slot_info(self->x, s, &si));
	EXPECT_EQ(MBX_STATE_REPLIED, si.state);
	EXPECT_EQ(10, si.reply_len);
	EXPECT_EQ(0, si.status);
	EXPECT_EQ(0, si.callee_pid);
	EXPECT_LE(si.take_ns, si.reply_ns);
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLRDBAND, pfd.revents);
	/* The callee did not make the call: nothing for it to collect. */
	pfd.fd = self->e;
	EXPECT_EQ(0, poll(&pfd, 1, 0));

	/* Step 2: collect, the slot is the caller's again; read, release. */
	memset(&co, 0xcc, sizeof(co));
	co.size = sizeof(co);
	co.flags = MBX_WAIT_NONBLOCK;
	co.__reserved = 0;
	co.slot = 0;
	co.call_id = 0;
	co.timeout_ns = 0;
	ASSERT_EQ(0, mbx_ioctl(self->c, MBX_IOC_CALL_COLLECT, &co));
	EXPECT_EQ(id, co.out_call.call_id);
	EXPECT_EQ(0xfeedULL, co.out_call.user_data);
	EXPECT_EQ(s, co.out_call.slot);
	EXPECT_EQ(42, co.out_call.opcode);
	EXPECT_EQ(10, co.out_call.len);
	EXPECT_EQ(0, co.out_call.status);
	EXPECT_EQ(0, co.out_call.flags);
	EXPECT_EQ(1, co.out_call.delivery);
	ASSERT_EQ(0, mbx_slot_info(self->x, s, &si));
	EXPECT_EQ(MBX_STATE_OWNED, si.state);
	EXPECT_EQ(getpid(), si.owner_pid);
	EXPECT_EQ(0, si.caller_pid);
	EXPECT_STREQ("pong 1234", (char *)mbx_reply_plane(&self->cm, s));
	pfd.fd = self->c;
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	ASSERT_EQ(0, mbx_release(self->c, s));
	EXPECT_EQ(MBX_STATE_FREE, mbx_slot_state(self->x, s));

	ASSERT_EQ(0, mbx_stats(self->x, &st));
	EXPECT_EQ(1, st.out_submitted);
	EXPECT_EQ(1, st.out_taken);
	EXPECT_EQ(1, st.out_completed);
	EXPECT_EQ(NSLOTS, st.out_free);
}

/* The callee's status and reply length reach the caller. */
TEST_F(call, status_reaches_caller)
{
	struct mbx_call call;
	__u64 id;
	int s;

	s = mbx_acquire(self->c, MBX_ACQUIRE_ANY, 0, 0, NULL);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, mbx_submit(self->c, s, 1, 0, 0, &id));
	ASSERT_EQ(0, mbx_take(self->e, MBX_WAIT_NONBLOCK, 0, &call));
	ASSERT_EQ(0, mbx_complete(self->e, s, id, -ENOENT, 3));
	memset(&call, 0xcc, sizeof(call));
	ASSERT_EQ(0, mbx_collect(self->c, MBX_WAIT_NONBLOCK, 0, 0, 0, &call));
	EXPECT_EQ(id, call.call_id);
	EXPECT_EQ(-ENOENT, call.status);
	EXPECT_EQ(3, call.len);
}

/* The caller may wait for one call by (slot, id). */
TEST_F(call, collect_by_call_id)
{
	struct mbx_call call;
	__u64 id1, id2;
	int s1, s2;

	s1 = mbx_acquire(self->c, MBX_ACQUIRE_ANY, 0, 0, NULL);
	s2 = mbx_acquire(self->c, MBX_ACQUIRE_ANY, 0, 0, NULL);
	ASSERT_LE(0, s1);
	ASSERT_LE(0, s2);
	ASSERT_EQ(0, mbx_submit(self->c, s1, 1, 0, 1, &id1));
	ASSERT_EQ(0, mbx_submit(self->c, s2, 2, 0, 2, &id2));
	ASSERT_EQ(0, mbx_take(self->e, MBX_WAIT_NONBLOCK, 0, &call));
	ASSERT_EQ(id1, call.call_id);
	ASSERT_EQ(0, mbx_take(self->e, MBX_WAIT_NONBLOCK, 0, &call));
	ASSERT_EQ(id2, call.call_id);
	/* Taken, not answered: nothing to collect yet. */
	EXPECT_EQ(-EAGAIN, mbx_collect(self->c,
				       MBX_WAIT_NONBLOCK | MBX_COLLECT_CALL,
				       s2, id2, 0, NULL));
	ASSERT_EQ(0, mbx_complete(self->e, s1, id1, 0, 0));
	ASSERT_EQ(0, mbx_complete(self->e, s2, id2, 0, 0));
	/* The second one first, by its id. */
	ASSERT_EQ(0, mbx_collect(self->c, MBX_WAIT_NONBLOCK | MBX_COLLECT_CALL,
				 s2, id2, 0, &call));
	EXPECT_EQ(id2, call.call_id);
	EXPECT_EQ(2, call.user_data);
	/* Collected: a second collect of it is refused. */
	EXPECT_EQ(-EALREADY, mbx_collect(self->c,
					 MBX_WAIT_NONBLOCK | MBX_COLLECT_CALL,
					 s2, id2, 0, NULL));
	ASSERT_EQ(0, mbx_collect(self->c, MBX_WAIT_NONBLOCK, 0, 0, 0, &call));
	EXPECT_EQ(id1, call.call_id);
}

/* Another live session's call is not ours to collect. */
TEST_F(call, collect_other_callers_call)
{
	struct mbx_call call;
	__u64 id;
	int s;

	s = mbx_acquire(self->c, MBX_ACQUIRE_ANY, 0, 0, NULL);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, mbx_submit(self->c, s, 1, 0, 0, &id));
	ASSERT_EQ(0, mbx_take(self->e, MBX_WAIT_NONBLOCK, 0, &call));
	ASSERT_EQ(0, mbx_complete(self->e, s, id, 0, 0));
	EXPECT_EQ(-EBUSY, mbx_collect(self->x,
				      MBX_WAIT_NONBLOCK | MBX_COLLECT_CALL,
				      s, id, 0, NULL));
	EXPECT_EQ(MBX_STATE_REPLIED, mbx_slot_state(self->x, s));
}

/* The next call in the collected slot, without a release in between. */
TEST_F(call, submit_in_collected_slot)
{
	struct mbx_call call;
	__u64 id1, id2;
	int s;

	s = mbx_acquire(self->c, MBX_ACQUIRE_ANY, 0, 0, NULL);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, mbx_submit(self->c, s, 1, 0, 0, &id1));
	ASSERT_EQ(0, mbx_take(self->e, MBX_WAIT_NONBLOCK, 0, &call));
	ASSERT_EQ(0, mbx_complete(self->e, s, id1, 0, 0));
	ASSERT_EQ(0, mbx_collect(self->c, MBX_WAIT_NONBLOCK, 0, 0, 0, &call));
	ASSERT_EQ(0, mbx_submit(self->c, s, 2, 0, 0, &id2));
	EXPECT_LT(id1, id2);
	EXPECT_EQ(MBX_STATE_PENDING, mbx_slot_state(self->x, s));
}

/* One syscall for the callee: answer the last call, take the next. */
TEST_F(call, take_complete_combined)
{
	struct mbx_take_args ta;
	struct mbx_call call;
	__u64 id1, id2;
	int s1, s2;

	s1 = mbx_acquire(self->c, MBX_ACQUIRE_ANY, 0, 0, NULL);
	s2 = mbx_acquire(self->c, MBX_ACQUIRE_ANY, 0, 0, NULL);
	ASSERT_EQ(0, mbx_submit(self->c, s1, 1, 0, 0, &id1));
	ASSERT_EQ(0, mbx_submit(self->c, s2, 2, 0, 0, &id2));
	ASSERT_EQ(0, mbx_take(self->e, MBX_WAIT_NONBLOCK, 0, &call));
	ASSERT_EQ(id1, call.call_id);
	strcpy(mbx_reply_plane(&self->em, s1), "one");

	memset(&ta, 0xcc, sizeof(ta));
	ta.size = sizeof(ta);
	ta.flags = MBX_WAIT_NONBLOCK | MBX_TAKE_COMPLETE;
	ta.timeout_ns = 0;
	ta.done_slot = s1;
	ta.done_call_id = id1;
	ta.done_status = 0;
	ta.done_len = 4;
	ASSERT_EQ(0, mbx_ioctl(self->e, MBX_IOC_CALL_TAKE, &ta));
	EXPECT_EQ(MBX_TAKEN_DONE, ta.out_flags);
	EXPECT_EQ(0, ta.done_call_id);
	EXPECT_EQ(id2, ta.out_call.call_id);
	EXPECT_EQ(s2, ta.out_call.slot);
	EXPECT_EQ(MBX_STATE_REPLIED, mbx_slot_state(self->x, s1));
	EXPECT_EQ(MBX_STATE_TAKEN, mbx_slot_state(self->x, s2));

	/* Nothing left to take: the completion still happened. */
	ta.flags = MBX_WAIT_NONBLOCK | MBX_TAKE_COMPLETE;
	ta.done_slot = s2;
	ta.done_call_id = id2;
	ta.done_len = 0;
	ta.out_flags = 0xcccccccc;
	EXPECT_EQ(-EAGAIN, mbx_ioctl(self->e, MBX_IOC_CALL_TAKE, &ta));
	EXPECT_EQ(MBX_STATE_REPLIED, mbx_slot_state(self->x, s2));
	/* Said before the wait, so that a retry never answers twice. */
	EXPECT_EQ(0, ta.done_call_id);
	EXPECT_EQ(MBX_TAKEN_DONE, ta.out_flags);

	ASSERT_EQ(0, mbx_collect(self->c, MBX_WAIT_NONBLOCK | MBX_COLLECT_CALL,
				 s1, id1, 0, &call));
	EXPECT_EQ(4, call.len);
	EXPECT_STREQ("one", (char *)mbx_reply_plane(&self->cm, s1));
}

/* ---- exclusive access ---- */

TEST_F(call, acquire_busy_slot_nonblock)
{
	ASSERT_EQ(1, mbx_acquire(self->c, 0, 1, 0, NULL));
	EXPECT_EQ(-EAGAIN, mbx_acquire(self->e, MBX_WAIT_NONBLOCK, 1, 0, NULL));
	EXPECT_EQ(MBX_STATE_OWNED, mbx_slot_state(self->x, 1));
}

TEST_F(call, acquire_any_full_nonblock)
{
	int i;

	for (i = 0; i < NSLOTS; i++)
		ASSERT_LE(0, mbx_acquire(self->c, MBX_ACQUIRE_ANY, 0, 0, NULL));
	EXPECT_EQ(-EAGAIN, mbx_acquire(self->e,
				       MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK,
				       0, 0, NULL));
}

/* Every slot once, then none: ANY hands out each slot exactly once. */
TEST_F(call, acquire_any_distinct_slots)
{
	int seen[NSLOTS] = { 0 }, i, s;

	for (i = 0; i < NSLOTS; i++) {
		s = mbx_acquire(i % 2 ? self->c : self->e,
				MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK, 0, 0, NULL);
		ASSERT_LE(0, s);
		ASSERT_GT(NSLOTS, s);
		seen[s]++;
	}
	for (i = 0; i < NSLOTS; i++)
		EXPECT_EQ(1, seen[i]);
}

TEST_F(call, acquire_own_slot_again)
{
	ASSERT_EQ(2, mbx_acquire(self->c, 0, 2, 0, NULL));
	/* Waiting for oneself would never end. */
	EXPECT_EQ(-EDEADLK, mbx_acquire(self->c, 0, 2, 0, NULL));
}

TEST_F(call, acquire_timeout)
{
	__u64 t0, deadline;

	ASSERT_EQ(0, mbx_acquire(self->c, 0, 0, 0, NULL));
	t0 = mbx_now_ns();
	deadline = t0 + 100 * MS;
	EXPECT_EQ(-ETIMEDOUT, mbx_acquire(self->e, MBX_WAIT_TIMEOUT, 0,
					  deadline, NULL));
	EXPECT_LE(deadline, mbx_now_ns());
	EXPECT_GT(t0 + 5000 * MS, mbx_now_ns());
	EXPECT_EQ(MBX_STATE_OWNED, mbx_slot_state(self->x, 0));
}

TEST_F(call, acquire_any_timeout)
{
	__u64 deadline;
	int i;

	for (i = 0; i < NSLOTS; i++)
		ASSERT_LE(0, mbx_acquire(self->c, MBX_ACQUIRE_ANY, 0, 0, NULL));
	deadline = mbx_now_ns() + 100 * MS;
	EXPECT_EQ(-ETIMEDOUT, mbx_acquire(self->e,
					  MBX_ACQUIRE_ANY | MBX_WAIT_TIMEOUT,
					  0, deadline, NULL));
	EXPECT_LE(deadline, mbx_now_ns());
}

TEST_F(call, acquire_timeout_in_the_past)
{
	ASSERT_EQ(0, mbx_acquire(self->c, 0, 0, 0, NULL));
	EXPECT_EQ(-ETIMEDOUT, mbx_acquire(self->e, MBX_WAIT_TIMEOUT, 0,
					  mbx_now_ns() - 1000 * MS, NULL));
}

/* A timeout is no obstacle when the slot is free. */
TEST_F(call, acquire_timeout_free_slot)
{
	EXPECT_EQ(0, mbx_acquire(self->e, MBX_WAIT_TIMEOUT, 0, 1, NULL));
}

TEST_F(call, take_timeout)
{
	__u64 deadline = mbx_now_ns() + 100 * MS;

	EXPECT_EQ(-ETIMEDOUT, mbx_take(self->e, MBX_WAIT_TIMEOUT, deadline,
				       NULL));
	EXPECT_LE(deadline, mbx_now_ns());
}

TEST_F(call, collect_timeout)
{
	__u64 deadline = mbx_now_ns() + 100 * MS;

	EXPECT_EQ(-ETIMEDOUT, mbx_collect(self->c, MBX_WAIT_TIMEOUT, 0, 0,
					  deadline, NULL));
	EXPECT_LE(deadline, mbx_now_ns());
}

/* A blocked acquirer gets the slot when its owner releases it. */
TEST_F(call, acquire_blocks_until_release)
{
	struct bg b = { .op = BG_ACQUIRE, .fd = self->e, .slot = 3 };

	ASSERT_EQ(3, mbx_acquire(self->c, 0, 3, 0, NULL));
	ASSERT_EQ(0, bg_start(&b));
	mbx_sleep_ms(50);
	EXPECT_FALSE(bg_done(&b));
	ASSERT_EQ(0, mbx_release(self->c, 3));
	bg_join(&b);
	EXPECT_EQ(3, b.ret);
	EXPECT_EQ(0, b.out_flags);
	EXPECT_EQ(-EPERM, mbx_release(self->c, 3));
	EXPECT_EQ(0, mbx_release(self->e, 3));
}

TEST_F(call, acquire_any_blocks_until_release)
{
	struct bg b = { .op = BG_ACQUIRE, .fd = self->e,
			.flags = MBX_ACQUIRE_ANY };
	int i;

	for (i = 0; i < NSLOTS; i++)
		ASSERT_EQ(i, mbx_acquire(self->c, 0, i, 0, NULL));
	ASSERT_EQ(0, bg_start(&b));
	EXPECT_FALSE(bg_done(&b));
	ASSERT_EQ(0, mbx_release(self->c, 2));
	bg_join(&b);
	EXPECT_EQ(2, b.ret);
}

/* Each release wakes one blocked acquirer of any slot: none is lost. */
TEST_F(call, acquire_any_each_release_wakes_one)
{
	struct bg b[3];
	int i, got = 0;

	for (i = 0; i < NSLOTS; i++)
		ASSERT_EQ(i, mbx_acquire(self->c, 0, i, 0, NULL));
	for (i = 0; i < 3; i++) {
		b[i] = (struct bg){ .op = BG_ACQUIRE, .fd = self->e,
				    .flags = MBX_ACQUIRE_ANY |
					     MBX_WAIT_TIMEOUT,
				    .timeout_ns = mbx_now_ns() +
						  WAIT_MS * MS };
		ASSERT_EQ(0, bg_start(&b[i]));
	}
	ASSERT_EQ(0, mbx_release(self->c, 0));
	ASSERT_EQ(0, mbx_release(self->c, 3));
	ASSERT_EQ(0, mbx_release(self->c, 1));
	for (i = 0; i < 3; i++) {
		bg_join(&b[i]);
		EXPECT_LE(0, b[i].ret);
		if (b[i].ret >= 0)
			got |= 1 << b[i].ret;
	}
	EXPECT_EQ((1 << 0) | (1 << 1) | (1 << 3), got);
}

static volatile sig_atomic_t signals;

static void on_signal(int sig)
{
	(void)sig;
	signals++;
}

struct kicker {
	pthread_t thread;
	pthread_t target;
	pid_t target_tid;
	int release_fd;		/* >= 0: release slot 0 of it afterwards */
};

/* Once the target sleeps in its call, signal it. */
static void *kick_main(void *arg)
{
	struct kicker *k = arg;

	mbx_wait_sleeping(k->target_tid);
	mbx_sleep_ms(20);
	pthread_kill(k->target, SIGUSR1);
	if (k->release_fd >= 0) {
		mbx_sleep_ms(100);
		mbx_release(k->release_fd, 0);
	}
	return NULL;
}

/* A signal interrupts the wait: EINTR, and the slot is untouched. */
TEST_F(call, acquire_interrupted_by_signal)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct kicker k = { .target = pthread_self(),
			    .target_tid = syscall(SYS_gettid),
			    .release_fd = -1 };

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, mbx_acquire(self->c, 0, 0, 0, NULL));
	signals = 0;
	ASSERT_EQ(0, pthread_create(&k.thread, NULL, kick_main, &k));
	EXPECT_EQ(-EINTR, mbx_acquire(self->e, 0, 0, 0, NULL));
	pthread_join(k.thread, NULL);
	EXPECT_EQ(1, signals);
	ASSERT_EQ(0, mbx_release(self->c, 0));
	EXPECT_EQ(0, mbx_acquire(self->x, MBX_WAIT_NONBLOCK, 0, 0, NULL));
}

/* With SA_RESTART the wait goes on after the handler. */
TEST_F(call, acquire_restarted_after_signal)
{
	struct sigaction sa = { .sa_handler = on_signal,
				.sa_flags = SA_RESTART };
	struct kicker k = { .target = pthread_self(),
			    .target_tid = syscall(SYS_gettid),
			    .release_fd = self->c };

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, mbx_acquire(self->c, 0, 0, 0, NULL));
	signals = 0;
	ASSERT_EQ(0, pthread_create(&k.thread, NULL, kick_main, &k));
	EXPECT_EQ(0, mbx_acquire(self->e, MBX_WAIT_TIMEOUT, 0,
				 mbx_now_ns() + WAIT_MS * MS, NULL));
	pthread_join(k.thread, NULL);
	EXPECT_EQ(1, signals);
}

TEST_F(call, take_interrupted_by_signal)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct kicker k = { .target = pthread_self(),
			    .target_tid = syscall(SYS_gettid),
			    .release_fd = -1 };

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, pthread_create(&k.thread, NULL, kick_main, &k));
	EXPECT_EQ(-EINTR, mbx_take(self->e, 0, 0, NULL));
	pthread_join(k.thread, NULL);
}

/* ---- only the owner ---- */

TEST_F(call, only_owner_submits)
{
	ASSERT_EQ(1, mbx_acquire(self->c, 0, 1, 0, NULL));
	EXPECT_EQ(-EPERM, mbx_submit(self->e, 1, 1, 0, 0, NULL));
	EXPECT_EQ(MBX_STATE_OWNED, mbx_slot_state(self->x, 1));
	EXPECT_EQ(0, mbx_submit(self->c, 1, 1, 0, 0, NULL));
}

TEST_F(call, only_owner_releases)
{
	ASSERT_EQ(1, mbx_acquire(self->c, 0, 1, 0, NULL));
	EXPECT_EQ(-EPERM, mbx_release(self->e, 1));
	EXPECT_EQ(MBX_STATE_OWNED, mbx_slot_state(self->x, 1));
	EXPECT_EQ(0, mbx_release(self->c, 1));
}

/* Submitting gives up ownership: no second submit, no release. */
TEST_F(call, no_resubmit_after_submit)
{
	__u64 id;

	ASSERT_EQ(1, mbx_acquire(self->c, 0, 1, 0, NULL));
	ASSERT_EQ(0, mbx_submit(self->c, 1, 1, 0, 0, &id));
	EXPECT_EQ(-EPERM, mbx_submit(self->c, 1, 1, 0, 0, NULL));
	EXPECT_EQ(-EPERM, mbx_release(self->c, 1));
	EXPECT_EQ(MBX_STATE_PENDING, mbx_slot_state(self->x, 1));
}

/* The callee cannot release or resubmit the slot it is answering. */
TEST_F(call, callee_does_not_own)
{
	struct mbx_call call;
	__u64 id;

	ASSERT_EQ(1, mbx_acquire(self->c, 0, 1, 0, NULL));
	ASSERT_EQ(0, mbx_submit(self->c, 1, 1, 0, 0, &id));
	ASSERT_EQ(0, mbx_take(self->e, MBX_WAIT_NONBLOCK, 0, &call));
	EXPECT_EQ(-EPERM, mbx_release(self->e, 1));
	EXPECT_EQ(-EPERM, mbx_submit(self->e, 1, 1, 0, 0, NULL));
	EXPECT_EQ(-EPERM, mbx_complete(self->x, 1, id, 0, 0));
	EXPECT_EQ(MBX_STATE_TAKEN, mbx_slot_state(self->x, 1));
}

/* After collect the caller owns the slot; the callee no longer can act. */
TEST_F(call, collector_owns)
{
	struct mbx_call call;
	__u64 id;

	ASSERT_EQ(1, mbx_acquire(self->c, 0, 1, 0, NULL));
	ASSERT_EQ(0, mbx_submit(self->c, 1, 1, 0, 0, &id));
	ASSERT_EQ(0, mbx_take(self->e, MBX_WAIT_NONBLOCK, 0, &call));
	ASSERT_EQ(0, mbx_complete(self->e, 1, id, 0, 0));
	ASSERT_EQ(0, mbx_collect(self->c, MBX_WAIT_NONBLOCK, 0, 0, 0, &call));
	EXPECT_EQ(-EPERM, mbx_release(self->e, 1));
	EXPECT_EQ(-EPERM, mbx_complete(self->e, 1, id, 0, 0));
	EXPECT_EQ(0, mbx_release(self->c, 1));
}

/* ---- call ids ---- */

TEST_F(call, ids_change_on_each_reuse)
{
	struct mbx_slot_info si;
	struct mbx_call call;
	__u64 ids[5];
	int i, j;

	for (i = 0; i < 5; i++) {
		ASSERT_EQ(2, mbx_acquire(self->c, 0, 2, 0, NULL));
		ASSERT_EQ(0, mbx_submit(self->c, 2, 1, 0, i, &ids[i]));
		ASSERT_EQ(0, mbx_take(self->e, MBX_WAIT_NONBLOCK, 0, &call));
		ASSERT_EQ(ids[i], call.call_id);
		ASSERT_EQ(0, mbx_complete(self->e, 2, ids[i], 0, 0));
		ASSERT_EQ(0, mbx_collect(self->c, MBX_WAIT_NONBLOCK, 0, 0, 0,
					 &call));
		ASSERT_EQ(ids[i], call.call_id);
		ASSERT_EQ(0, mbx_release(self->c, 2));
		for (j = 0; j < i; j++)
			EXPECT_NE(ids[j], ids[i]);
		if (i)
			EXPECT_LT(ids[i - 1], ids[i]);
	}
	ASSERT_EQ(0, mbx_slot_info(self->x, 2, &si));
	EXPECT_EQ(ids[4], si.call_id);
}

/* An id of an earlier call of the slot is refused on every path. */
TEST_F(call, stale_ids_refused)
{
	struct mbx_cancel_args ca = { .size = sizeof(ca), .slot = 2 };
	struct mbx_call call;
	__u64 old, cur;

	ASSERT_EQ(2, mbx_acquire(self->c, 0, 2, 0, NULL));
	ASSERT_EQ(0, mbx_submit(self->c, 2, 1, 0, 0, &old));
	ASSERT_EQ(0, mbx_take(self->e, MBX_WAIT_NONBLOCK, 0, &call));
	ASSERT_EQ(0, mbx_complete(self->e, 2, old, 0, 0));
	ASSERT_EQ(0, mbx_collect(self->c, MBX_WAIT_NONBLOCK, 0, 0, 0, &call));
	ASSERT_EQ(0, mbx_submit(self->c, 2, 1, 0, 0, &cur));
	ASSERT_EQ(0, mbx_take(self->e, MBX_WAIT_NONBLOCK, 0, &call));
	ASSERT_EQ(cur, call.call_id);

	EXPECT_EQ(-ESTALE, mbx_complete(self->e, 2, old, 0, 0));
	EXPECT_EQ(-ESTALE, mbx_collect(self->c,
				       MBX_WAIT_NONBLOCK | MBX_COLLECT_CALL,
				       2, old, 0, NULL));
	ca.call_id = old;
	EXPECT_EQ(-ESTALE, mbx_ioctl(self->c, MBX_IOC_CALL_CANCEL, &ca));
	/* None of it touched the current call. */
	EXPECT_EQ(MBX_STATE_TAKEN, mbx_slot_state(self->x, 2));
	EXPECT_EQ(0, mbx_complete(self->e, 2, cur, 0, 0));
}

/* ---- many callers, many callees: order and wakeups ---- */

/* Takes come in submission order, whatever the slots. */
TEST_F(call, takes_in_submission_order)
{
	static const int order[NSLOTS] = { 2, 0, 3, 1 };
	struct mbx_call call;
	__u64 ids[NSLOTS];
	int i;

	for (i = 0; i < NSLOTS; i++)
		ASSERT_EQ(i, mbx_acquire(i % 2 ? self->c : self->x, 0, i, 0,
					 NULL));
	for (i = 0; i < NSLOTS; i++)
		ASSERT_EQ(0, mbx_submit(order[i] % 2 ? self->c : self->x,
					order[i], order[i], 0, i, &ids[i]));
	for (i = 0; i < NSLOTS; i++) {
		ASSERT_EQ(0, mbx_take(i % 2 ? self->e : self->x,
				      MBX_WAIT_NONBLOCK, 0, &call));
		EXPECT_EQ(ids[i], call.call_id);
		EXPECT_EQ(order[i], call.slot);
		EXPECT_EQ(i, call.user_data);
	}
	EXPECT_EQ(-EAGAIN, mbx_take(self->e, MBX_WAIT_NONBLOCK, 0, NULL));
}

/* A call revised in EDIT keeps its place in the queue. */
TEST_F(call, edited_call_keeps_its_place)
{
	struct mbx_acquire_args a = { .size = sizeof(a),
				      .flags = MBX_ACQUIRE_CALL, .slot = 0 };
	struct mbx_call call;
	__u64 id0, id1, id0b;

	ASSERT_EQ(0, mbx_acquire(self->c, 0, 0, 0, NULL));
	ASSERT_EQ(1, mbx_acquire(self->c, 0, 1, 0, NULL));
	ASSERT_EQ(0, mbx_submit(self->c, 0, 10, 0, 0, &id0));
	ASSERT_EQ(0, mbx_submit(self->c, 1, 11, 0, 0, &id1));
	a.call_id = id0;
	ASSERT_EQ(0, mbx_ioctl(self->c, MBX_IOC_SLOT_ACQUIRE, &a));
	EXPECT_EQ(MBX_STATE_EDIT, mbx_slot_state(self->x, 0));
	/* Held for revision: not takable, the next one is. */
	ASSERT_EQ(0, mbx_submit(self->c, 0, 20, 0, 0, &id0b));
	EXPECT_EQ(id0, id0b);
	ASSERT_EQ(0, mbx_take(self->e, MBX_WAIT_NONBLOCK, 0, &call));
	EXPECT_EQ(id0, call.call_id);
	EXPECT_EQ(20, call.opcode);
	ASSERT_EQ(0, mbx_take(self->e, MBX_WAIT_NONBLOCK, 0, &call));
	EXPECT_EQ(id1, call.call_id);
}

/* One submission wakes exactly one of two waiting callees. */
TEST_F(call, submit_wakes_exactly_one_callee)
{
	struct bg b[2];
	__u64 id, deadline;
	int i, got = 0, timed_out = 0;

	deadline = mbx_now_ns() + 3000 * MS;
	for (i = 0; i < 2; i++) {
		b[i] = (struct bg){ .op = BG_TAKE,
				    .fd = i ? self->e : self->x,
				    .flags = MBX_WAIT_TIMEOUT,
				    .timeout_ns = deadline };
		ASSERT_EQ(0, bg_start(&b[i]));
	}
	ASSERT_EQ(0, mbx_acquire(self->c, 0, 0, 0, NULL));
	ASSERT_EQ(0, mbx_submit(self->c, 0, 1, 0, 0, &id));
	for (i = 0; i < 2; i++) {
		bg_join(&b[i]);
		if (b[i].ret == 0) {
			got++;
			EXPECT_EQ(id, b[i].call.call_id);
		} else {
			EXPECT_EQ(-ETIMEDOUT, b[i].ret);
			timed_out++;
		}
	}
	EXPECT_EQ(1, got);
	EXPECT_EQ(1, timed_out);
}

/* Two submissions, two waiting callees: each gets one, none is lost. */
TEST_F(call, each_submit_wakes_a_callee)
{
	struct bg b[2];
	__u64 ids[2], deadline;
	int i;

	deadline = mbx_now_ns() + WAIT_MS * MS;
	for (i = 0; i < 2; i++) {
		b[i] = (struct bg){ .op = BG_TAKE,
				    .fd = i ? self->e : self->x,
				    .flags = MBX_WAIT_TIMEOUT,
				    .timeout_ns = deadline };
		ASSERT_EQ(0, bg_start(&b[i]));
	}
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(i, mbx_acquire(self->c, 0, i, 0, NULL));
		ASSERT_EQ(0, mbx_submit(self->c, i, 1, 0, 0, &ids[i]));
	}
	for (i = 0; i < 2; i++)
		bg_join(&b[i]);
	EXPECT_EQ(0, b[0].ret);
	EXPECT_EQ(0, b[1].ret);
	EXPECT_NE(b[0].call.call_id, b[1].call.call_id);
	EXPECT_EQ(ids[0] + ids[1], b[0].call.call_id + b[1].call.call_id);
}

/* A caller blocked in collect is woken by the completion. */
TEST_F(call, collect_blocks_until_complete)
{
	struct bg b = { .op = BG_COLLECT, .fd = self->c };
	struct mbx_call call;
	__u64 id;

	ASSERT_EQ(0, mbx_acquire(self->c, 0, 0, 0, NULL));
	ASSERT_EQ(0, mbx_submit(self->c, 0, 1, 0, 77, &id));
	ASSERT_EQ(0, mbx_take(self->e, MBX_WAIT_NONBLOCK, 0, &call));
	ASSERT_EQ(0, bg_start(&b));
	EXPECT_FALSE(bg_done(&b));
	ASSERT_EQ(0, mbx_complete(self->e, 0, id, 0, 0));
	bg_join(&b);
	EXPECT_EQ(0, b.ret);
	EXPECT_EQ(id, b.call.call_id);
	EXPECT_EQ(77, b.call.user_data);
}

/* ------------------------------------------------------------------ */
/* MBX_SUBMIT_COLLECT: submit a call, then collect any reply            */

/*
 * Arguments of MBX_IOC_CALL_SUBMIT of @slot with MBX_SUBMIT_COLLECT and
 * @flags, every output prefilled with 0xcc.
 */
static void submit_collect_args(struct mbx_submit_args *a, __u32 slot,
				__u32 flags, __u64 timeout_ns)
{
	memset(a, 0xcc, sizeof(*a));
	a->size = sizeof(*a);
	a->flags = MBX_SUBMIT_COLLECT | flags;
	a->slot = slot;
	a->opcode = 21;
	a->len = 3;
	a->call_flags = 0;
	a->user_data = 0x1234;
	a->timeout_ns = timeout_ns;
}

/* Waits for the reply to its own call; the slot is OWNED afterwards. */
TEST_F(call, submit_collect_returns_its_own_reply)
{
	struct bg b = { .op = BG_SUBMIT, .fd = self->c };
	struct mbx_slot_info si;
	struct mbx_call call;

	ASSERT_EQ(1, mbx_acquire(self->c, 0, 1, 0, NULL));
	memcpy(mbx_call_plane(&self->cm, 1), "hi", 3);
	submit_collect_args(&b.sub, 1, 0, 0);
	ASSERT_EQ(0, bg_start(&b));
	EXPECT_FALSE(bg_done(&b));
	ASSERT_EQ(0, mbx_take(self->e, MBX_WAIT_NONBLOCK, 0, &call));
	EXPECT_EQ(1, call.slot);
	EXPECT_EQ(21, call.opcode);
	EXPECT_EQ(3, call.len);
	EXPECT_STREQ("hi", (char *)mbx_call_plane(&self->em, 1));
	memcpy(mbx_reply_plane(&self->em, 1), "ho!", 4);
	ASSERT_EQ(0, mbx_complete(self->e, 1, call.call_id, -ENOENT, 4));
	bg_join(&b);
	ASSERT_EQ(0, b.ret);
	EXPECT_EQ(call.call_id, b.sub.out_call_id);
	EXPECT_EQ(call.call_id, b.sub.out_reply.call_id);
	EXPECT_EQ(0x1234, b.sub.out_reply.user_data);
	EXPECT_EQ(1, b.sub.out_reply.slot);
	EXPECT_EQ(21, b.sub.out_reply.opcode);
	EXPECT_EQ(4, b.sub.out_reply.len);
	EXPECT_EQ(-ENOENT, b.sub.out_reply.status);
	EXPECT_EQ(0, b.sub.out_reply.flags);
	EXPECT_EQ(1, b.sub.out_reply.delivery);
	EXPECT_STREQ("ho!", (char *)mbx_reply_plane(&self->cm, 1));
	ASSERT_EQ(0, mbx_slot_info(self->x, 1, &si));
	EXPECT_EQ(MBX_STATE_OWNED, si.state);
	EXPECT_EQ((__u32)getpid(), si.owner_pid);
	/* Owned by the caller: it may submit the next call in it. */
	EXPECT_EQ(-EPERM, mbx_submit(self->x, 1, 1, 0, 0, NULL));
	EXPECT_EQ(0, mbx_submit(self->c, 1, 1, 0, 0, NULL));
}

/* An earlier call's reply that is ready comes back at once. */
TEST_F(call, submit_collect_returns_an_earlier_reply)
{
	struct mbx_submit_args a;
	struct mbx_slot_info si;
	struct mbx_call call;
	__u64 id0;

	ASSERT_EQ(0, mbx_acquire(self->c, 0, 0, 0, NULL));
	ASSERT_EQ(0, mbx_submit(self->c, 0, 5, 0, 55, &id0));
	ASSERT_EQ(0, mbx_take(self->e, MBX_WAIT_NONBLOCK, 0, &call));
	ASSERT_EQ(0, mbx_complete(self->e, 0, id0, 0, 0));
	ASSERT_EQ(2, mbx_acquire(self->c, 0, 2, 0, NULL));
	submit_collect_args(&a, 2, MBX_WAIT_TIMEOUT,
			    mbx_now_ns() + WAIT_MS * MS);
	a.call_flags = MBX_CALL_AT_MOST_ONCE;
	ASSERT_EQ(0, mbx_ioctl(self->c, MBX_IOC_CALL_SUBMIT, &a));
	EXPECT_EQ(id0, a.out_reply.call_id);
	EXPECT_EQ(55, a.out_reply.user_data);
	EXPECT_EQ(0, a.out_reply.slot);
	EXPECT_EQ(5, a.out_reply.opcode);
	EXPECT_EQ(0, a.out_reply.status);
	EXPECT_EQ(MBX_STATE_OWNED, mbx_slot_state(self->x, 0));
	/* The new call is pending, with the id the kernel gave back. */
	EXPECT_LT(id0, a.out_call_id);
	ASSERT_EQ(0, mbx_slot_info(self->x, 2, &si));
	EXPECT_EQ(MBX_STATE_PENDING, si.state);
	EXPECT_EQ(a.out_call_id, si.call_id);
	EXPECT_EQ(MBX_CALL_AT_MOST_ONCE, si.flags);
	ASSERT_EQ(0, mbx_take(self->e, MBX_WAIT_NONBLOCK, 0, &call));
	EXPECT_EQ(a.out_call_id, call.call_id);
}

/* A rejected submit: nothing written back, the slot still OWNED. */
static void expect_submit_rejected(struct __test_metadata *_metadata,
				   int fd, int state_fd,
				   struct mbx_submit_args *a, int err)
{
	EXPECT_EQ(-err, mbx_ioctl(fd, MBX_IOC_CALL_SUBMIT, a));
	EXPECT_EQ(0xccccccccccccccccULL, a->out_call_id);
	EXPECT_EQ(0xccccccccccccccccULL, a->out_reply.call_id);
	EXPECT_EQ(MBX_STATE_OWNED, mbx_slot_state(state_fd, a->slot));
}

TEST_F(call, submit_collect_size_short_of_out_reply)
{
	struct mbx_submit_args a;

	ASSERT_EQ(0, mbx_acquire(self->c, 0, 0, 0, NULL));
	submit_collect_args(&a, 0, 0, 0);
	a.size = sizeof(a) - 1;
	expect_submit_rejected(_metadata, self->c, self->x, &a, EINVAL);
}

TEST_F(call, submit_collect_size_without_timeout_and_reply)
{
	struct mbx_submit_args a;

	ASSERT_EQ(0, mbx_acquire(self->c, 0, 0, 0, NULL));
	submit_collect_args(&a, 0, 0, 0);
	a.size = offsetof(struct mbx_submit_args, timeout_ns);
	expect_submit_rejected(_metadata, self->c, self->x, &a, EINVAL);
}

TEST_F(call, submit_timeout_without_collect)
{
	struct mbx_submit_args a;

	ASSERT_EQ(0, mbx_acquire(self->c, 0, 0, 0, NULL));
	submit_collect_args(&a, 0, 0, mbx_now_ns() + WAIT_MS * MS);
	a.flags = MBX_WAIT_TIMEOUT;
	expect_submit_rejected(_metadata, self->c, self->x, &a, EINVAL);
}

TEST_F(call, submit_collect_timeout_ns_without_timeout)
{
	struct mbx_submit_args a;

	ASSERT_EQ(0, mbx_acquire(self->c, 0, 0, 0, NULL));
	submit_collect_args(&a, 0, 0, mbx_now_ns() + WAIT_MS * MS);
	expect_submit_rejected(_metadata, self->c, self->x, &a, EINVAL);
}

TEST_F(call, submit_timeout_ns_without_any_flag)
{
	struct mbx_submit_args a;

	ASSERT_EQ(0, mbx_acquire(self->c, 0, 0, 0, NULL));
	submit_collect_args(&a, 0, 0, mbx_now_ns() + WAIT_MS * MS);
	a.flags = 0;
	expect_submit_rejected(_metadata, self->c, self->x, &a, EINVAL);
}

/* Collecting needs read access: a read-only fd is refused first. */
TEST_F(call, submit_collect_read_only_fd)
{
	struct mbx_submit_args a;
	int r;

	r = mbx_open(self->dev, self->name, MBX_ACCESS_READ);
	ASSERT_LE(0, r);
	ASSERT_EQ(0, mbx_acquire(self->c, 0, 0, 0, NULL));
	submit_collect_args(&a, 0, 0, 0);
	expect_submit_rejected(_metadata, r, self->x, &a, EBADF);
	close(r);
}

/* ETIMEDOUT: the call stays submitted, out_call_id says which. */
TEST_F(call, submit_collect_timeout_leaves_the_call_submitted)
{
	struct mbx_submit_args a;
	struct mbx_slot_info si;
	struct mbx_call call, reply;
	__u64 deadline = mbx_now_ns() + 20 * MS;

	ASSERT_EQ(3, mbx_acquire(self->c, 0, 3, 0, NULL));
	submit_collect_args(&a, 3, MBX_WAIT_TIMEOUT, deadline);
	EXPECT_EQ(-ETIMEDOUT, mbx_ioctl(self->c, MBX_IOC_CALL_SUBMIT, &a));
	EXPECT_LE(deadline, mbx_now_ns());
	ASSERT_EQ(0, mbx_slot_info(self->x, 3, &si));
	EXPECT_EQ(MBX_STATE_PENDING, si.state);
	EXPECT_EQ(si.call_id, a.out_call_id);
	ASSERT_EQ(0, mbx_take(self->e, MBX_WAIT_NONBLOCK, 0, &call));
	EXPECT_EQ(a.out_call_id, call.call_id);
	ASSERT_EQ(0, mbx_complete(self->e, 3, call.call_id, 0, 0));
	ASSERT_EQ(0, mbx_collect(self->c, MBX_COLLECT_CALL | MBX_WAIT_NONBLOCK,
				 3, a.out_call_id, 0, &reply));
	EXPECT_EQ(a.out_call_id, reply.call_id);
}

/*
 * A signal ends the wait with EINTR even with SA_RESTART: a restart would
 * submit twice. The call stays submitted and is collected afterwards.
 */
TEST_F(call, submit_collect_interrupted_even_with_sa_restart)
{
	struct sigaction sa = { .sa_handler = on_signal,
				.sa_flags = SA_RESTART };
	struct kicker k = { .target = pthread_self(),
			    .target_tid = syscall(SYS_gettid),
			    .release_fd = -1 };
	struct mbx_submit_args a;
	struct mbx_slot_info si;
	struct mbx_call call, reply;

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(2, mbx_acquire(self->c, 0, 2, 0, NULL));
	submit_collect_args(&a, 2, MBX_WAIT_TIMEOUT,
			    mbx_now_ns() + WAIT_MS * MS);
	signals = 0;
	ASSERT_EQ(0, pthread_create(&k.thread, NULL, kick_main, &k));
	EXPECT_EQ(-EINTR, mbx_ioctl(self->c, MBX_IOC_CALL_SUBMIT, &a));
	pthread_join(k.thread, NULL);
	EXPECT_EQ(1, signals);
	ASSERT_EQ(0, mbx_slot_info(self->x, 2, &si));
	EXPECT_EQ(MBX_STATE_PENDING, si.state);
	EXPECT_EQ(si.call_id, a.out_call_id);
	/* Submitted once. */
	ASSERT_EQ(0, mbx_take(self->e, MBX_WAIT_NONBLOCK, 0, &call));
	EXPECT_EQ(a.out_call_id, call.call_id);
	EXPECT_EQ(-EAGAIN, mbx_take(self->e, MBX_WAIT_NONBLOCK, 0, NULL));
	ASSERT_EQ(0, mbx_complete(self->e, 2, call.call_id, 0, 0));
	ASSERT_EQ(0, mbx_collect(self->c, MBX_WAIT_NONBLOCK, 0, 0, 0, &reply));
	EXPECT_EQ(a.out_call_id, reply.call_id);
	EXPECT_EQ(MBX_STATE_OWNED, mbx_slot_state(self->x, 2));
}

/* ------------------------------------------------------------------ */
/* Readiness: poll, epoll and io_uring                                  */

enum mech { MECH_POLL, MECH_EPOLL, MECH_URING };

FIXTURE(ready) {
	int dev;
	char name[MBX_NAME_MAX];
	int c, e, x;
};

FIXTURE_VARIANT(ready) {
	enum mech mech;
};

FIXTURE_VARIANT_ADD(ready, poll) { .mech = MECH_POLL };
FIXTURE_VARIANT_ADD(ready, epoll) { .mech = MECH_EPOLL };
FIXTURE_VARIANT_ADD(ready, io_uring) { .mech = MECH_URING };

#define ALL_EVENTS (POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLPRI | \
		    POLLRDBAND)

static int uring_usable(void)
{
	struct io_uring ring;
	int ret = io_uring_queue_init(2, &ring, 0);

	if (!ret)
		io_uring_queue_exit(&ring);
	return ret;
}

FIXTURE_SETUP(ready)
{
	int rw = MBX_ACCESS_READ | MBX_ACCESS_WRITE;

	self->dev = mbx_dev_open();
	ASSERT_LE(0, self->dev);
	mbx_unique_name(self->name, "ready");
	self->c = mbx_create(self->dev, self->name, NSLOTS, SLOT_SIZE, 0600);
	ASSERT_LE(0, self->c);
	self->e = mbx_open(self->dev, self->name, rw);
	ASSERT_LE(0, self->e);
	self->x = mbx_open(self->dev, self->name, rw);
	ASSERT_LE(0, self->x);
}

FIXTURE_TEARDOWN(ready)
{
	close(self->x);
	close(self->e);
	close(self->c);
	mbx_destroy(self->dev, self->name);
	close(self->dev);
}

#define NEED_MECH() do {						\
	int _r = variant->mech == MECH_URING ? uring_usable() : 0;	\
	if (_r)								\
		SKIP(return, "io_uring unavailable: %s", strerror(-_r)); \
} while (0)

/* What @fd reports ready right now, through the variant's mechanism. */
static int ready_now(enum mech mech, int fd)
{
	struct pollfd pfd = { .fd = fd, .events = ALL_EVENTS };
	struct epoll_event ev = { .events = ALL_EVENTS };
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	int ep, ret;

	switch (mech) {
	case MECH_POLL:
		ret = poll(&pfd, 1, 0);
		return ret < 0 ? -errno : pfd.revents;
	case MECH_EPOLL:
		ep = epoll_create1(EPOLL_CLOEXEC);
		if (ep < 0)
			return -errno;
		ret = epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
		if (!ret)
			ret = epoll_wait(ep, &ev, 1, 0);
		ret = ret < 0 ? -errno : ret ? (int)ev.events : 0;
		close(ep);
		return ret;
	case MECH_URING:
		ret = io_uring_queue_init(4, &ring, 0);
		if (ret)
			return ret;
		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_poll_add(sqe, fd, ALL_EVENTS);
		sqe->user_data = 1;
		ret = io_uring_submit(&ring);
		if (ret != 1) {
			io_uring_queue_exit(&ring);
			return ret < 0 ? ret : -EIO;
		}
		/* Ready now completes inline; otherwise it stays armed. */
		ret = io_uring_peek_cqe(&ring, &cqe);
		if (!ret) {
			ret = cqe->res;
			io_uring_cqe_seen(&ring, cqe);
		} else if (ret == -EAGAIN) {
			ret = 0;
		}
		io_uring_queue_exit(&ring);
		return ret;
	}
	return -EINVAL;
}

TEST_F(ready, fresh_mailbox_out_only)
{
	NEED_MECH();
	EXPECT_EQ(POLLOUT | POLLWRNORM, ready_now(variant->mech, self->c));
	EXPECT_EQ(POLLOUT | POLLWRNORM, ready_now(variant->mech, self->e));
}

TEST_F(ready, pending_call_is_in)
{
	__u64 id;

	NEED_MECH();
	ASSERT_EQ(0, mbx_acquire(self->c, 0, 0, 0, NULL));
	ASSERT_EQ(0, mbx_submit(self->c, 0, 1, 0, 0, &id));
	/* Every session sees it: any may take it. */
	EXPECT_EQ(POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM,
		  ready_now(variant->mech, self->e));
	EXPECT_EQ(POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM,
		  ready_now(variant->mech, self->c));
	ASSERT_EQ(0, mbx_take(self->e, MBX_WAIT_NONBLOCK, 0, NULL));
	EXPECT_EQ(POLLOUT | POLLWRNORM, ready_now(variant->mech, self->e));
}

/* EPOLLRDBAND is for the caller of the call, and for nobody else. */
TEST_F(ready, reply_is_rdband_for_its_caller_only)
{
	struct mbx_call call;
	__u64 id;

	NEED_MECH();
	ASSERT_EQ(0, mbx_acquire(self->c, 0, 0, 0, NULL));
	ASSERT_EQ(0, mbx_submit(self->c, 0, 1, 0, 0, &id));
	ASSERT_EQ(0, mbx_take(self->e, MBX_WAIT_NONBLOCK, 0, &call));
	ASSERT_EQ(0, mbx_complete(self->e, 0, id, 0, 0));
	EXPECT_EQ(POLLRDBAND | POLLOUT | POLLWRNORM,
		  ready_now(variant->mech, self->c));
	EXPECT_EQ(POLLOUT | POLLWRNORM, ready_now(variant->mech, self->e));
	EXPECT_EQ(POLLOUT | POLLWRNORM, ready_now(variant->mech, self->x));
	ASSERT_EQ(0, mbx_collect(self->c, MBX_WAIT_NONBLOCK, 0, 0, 0, &call));
	EXPECT_EQ(POLLOUT | POLLWRNORM, ready_now(variant->mech, self->c));
}

TEST_F(ready, full_mailbox_is_not_out)
{
	int i;

	NEED_MECH();
	for (i = 0; i < NSLOTS; i++)
		ASSERT_EQ(i, mbx_acquire(self->c, 0, i, 0, NULL));
	EXPECT_EQ(0, ready_now(variant->mech, self->c));
	EXPECT_EQ(0, ready_now(variant->mech, self->e));
	ASSERT_EQ(0, mbx_release(self->c, 1));
	EXPECT_EQ(POLLOUT | POLLWRNORM, ready_now(variant->mech, self->e));
}

/* A cancel of a taken call queues MBX_EVENT_CANCEL for its callee. */
static __u64 cancel_taken_call(struct __test_metadata *_metadata,
			       FIXTURE_DATA(ready) *self)
{
	struct mbx_cancel_args ca = { .size = sizeof(ca), .slot = 0 };
	struct mbx_call call;
	__u64 id = 0;

	EXPECT_EQ(0, mbx_acquire(self->c, 0, 0, 0, NULL));
	EXPECT_EQ(0, mbx_submit(self->c, 0, 1, 0, 0, &id));
	EXPECT_EQ(0, mbx_take(self->e, MBX_WAIT_NONBLOCK, 0, &call));
	ca.call_id = id;
	EXPECT_EQ(0, mbx_ioctl(self->c, MBX_IOC_CALL_CANCEL, &ca));
	EXPECT_EQ(MBX_STATE_TAKEN, ca.out_state);
	return id;
}

TEST_F(ready, event_is_pri)
{
	struct mbx_event ev[4];
	struct mbx_events_args ea;
	__u64 id;

	NEED_MECH();
	id = cancel_taken_call(_metadata, self);
	EXPECT_EQ(POLLPRI | POLLOUT | POLLWRNORM,
		  ready_now(variant->mech, self->e));
	EXPECT_EQ(POLLOUT | POLLWRNORM, ready_now(variant->mech, self->c));

	memset(ev, 0xcc, sizeof(ev));
	memset(&ea, 0xcc, sizeof(ea));
	ea.size = sizeof(ea);
	ea.flags = 0;
	ea.events = (__u64)(uintptr_t)ev;
	ea.count = 4;
	ea.event_size = sizeof(ev[0]);
	ea.__reserved = 0;
	ASSERT_EQ(0, mbx_ioctl(self->e, MBX_IOC_EVENTS_READ, &ea));
	ASSERT_EQ(1, ea.out_count);
	EXPECT_EQ(MBX_EVENT_CANCEL, ev[0].type);
	EXPECT_EQ(id, ev[0].call_id);
	EXPECT_EQ(0, ev[0].slot);
	EXPECT_EQ(0, ev[0].__reserved);
	EXPECT_EQ(POLLOUT | POLLWRNORM, ready_now(variant->mech, self->e));
}

static enum bg_op bg_of(enum mech mech)
{
	return mech == MECH_POLL ? BG_POLL :
	       mech == MECH_EPOLL ? BG_EPOLL : BG_URING;
}

/* A waiter already asleep is woken by a submission. */
TEST_F(ready, wakeup_in_on_submit)
{
	struct bg b = { .op = bg_of(variant->mech), .fd = self->e,
			.events = POLLIN };

	NEED_MECH();
	ASSERT_EQ(0, bg_start(&b));
	EXPECT_FALSE(bg_done(&b));
	ASSERT_EQ(0, mbx_acquire(self->c, 0, 0, 0, NULL));
	ASSERT_EQ(0, mbx_submit(self->c, 0, 1, 0, 0, NULL));
	bg_join(&b);
	EXPECT_EQ(1, b.ret);
	EXPECT_EQ(POLLIN, b.revents & POLLIN);
}

TEST_F(ready, wakeup_rdband_on_complete)
{
	struct bg b = { .op = bg_of(variant->mech), .fd = self->c,
			.events = POLLRDBAND };
	struct mbx_call call;
	__u64 id;

	NEED_MECH();
	ASSERT_EQ(0, mbx_acquire(self->c, 0, 0, 0, NULL));
	ASSERT_EQ(0, mbx_submit(self->c, 0, 1, 0, 0, &id));
	ASSERT_EQ(0, mbx_take(self->e, MBX_WAIT_NONBLOCK, 0, &call));
	ASSERT_EQ(0, bg_start(&b));
	EXPECT_FALSE(bg_done(&b));
	ASSERT_EQ(0, mbx_complete(self->e, 0, id, 0, 0));
	bg_join(&b);
	EXPECT_EQ(1, b.ret);
	EXPECT_EQ(POLLRDBAND, b.revents & POLLRDBAND);
}

/* Back-pressure: a full mailbox, then a free slot, wakes EPOLLOUT. */
TEST_F(ready, wakeup_out_when_full_mailbox_frees)
{
	struct bg b = { .op = bg_of(variant->mech), .fd = self->e,
			.events = POLLOUT };
	int i;

	NEED_MECH();
	for (i = 0; i < NSLOTS; i++)
		ASSERT_EQ(i, mbx_acquire(self->c, 0, i, 0, NULL));
	ASSERT_EQ(0, bg_start(&b));
	EXPECT_FALSE(bg_done(&b));
	ASSERT_EQ(0, mbx_release(self->c, 3));
	bg_join(&b);
	EXPECT_EQ(1, b.ret);
	EXPECT_EQ(POLLOUT, b.revents & POLLOUT);
	EXPECT_EQ(3, mbx_acquire(self->e, MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK,
				 0, 0, NULL));
}

/* The same, when the slot frees because its reply was collected and released. */
TEST_F(ready, wakeup_out_after_call_round_trip)
{
	struct bg b = { .op = bg_of(variant->mech), .fd = self->x,
			.events = POLLOUT };
	struct mbx_call call;
	__u64 id;
	int i;

	NEED_MECH();
	for (i = 0; i < NSLOTS; i++)
		ASSERT_EQ(i, mbx_acquire(self->c, 0, i, 0, NULL));
	ASSERT_EQ(0, mbx_submit(self->c, 1, 1, 0, 0, &id));
	ASSERT_EQ(0, bg_start(&b));
	ASSERT_EQ(0, mbx_take(self->e, MBX_WAIT_NONBLOCK, 0, &call));
	ASSERT_EQ(0, mbx_complete(self->e, 1, id, 0, 0));
	ASSERT_EQ(0, mbx_collect(self->c, MBX_WAIT_NONBLOCK, 0, 0, 0, &call));
	EXPECT_FALSE(bg_done(&b));
	ASSERT_EQ(0, mbx_release(self->c, 1));
	bg_join(&b);
	EXPECT_EQ(1, b.ret);
	EXPECT_EQ(POLLOUT, b.revents & POLLOUT);
}

TEST_F(ready, wakeup_pri_on_event)
{
	struct bg b = { .op = bg_of(variant->mech), .fd = self->e,
			.events = POLLPRI };

	NEED_MECH();
	ASSERT_EQ(0, bg_start(&b));
	EXPECT_FALSE(bg_done(&b));
	cancel_taken_call(_metadata, self);
	bg_join(&b);
	EXPECT_EQ(1, b.ret);
	EXPECT_EQ(POLLPRI, b.revents & POLLPRI);
}

/* No wakeup of a waiter whose event did not happen. */
TEST_F(ready, no_rdband_for_other_callers_reply)
{
	struct bg b = { .op = bg_of(variant->mech), .fd = self->x,
			.events = POLLRDBAND };
	struct mbx_call call;
	__u64 id;

	NEED_MECH();
	ASSERT_EQ(0, mbx_acquire(self->c, 0, 0, 0, NULL));
	ASSERT_EQ(0, mbx_submit(self->c, 0, 1, 0, 0, &id));
	ASSERT_EQ(0, mbx_take(self->e, MBX_WAIT_NONBLOCK, 0, &call));
	ASSERT_EQ(0, bg_start(&b));
	ASSERT_EQ(0, mbx_complete(self->e, 0, id, 0, 0));
	mbx_sleep_ms(200);
	EXPECT_FALSE(bg_done(&b));
	/* Unblock it: a reply of its own. */
	ASSERT_EQ(1, mbx_acquire(self->x, 0, 1, 0, NULL));
	ASSERT_EQ(0, mbx_submit(self->x, 1, 1, 0, 0, &id));
	ASSERT_EQ(0, mbx_take(self->e, MBX_WAIT_NONBLOCK, 0, &call));
	ASSERT_EQ(0, mbx_complete(self->e, 1, id, 0, 0));
	bg_join(&b);
	EXPECT_EQ(1, b.ret);
	EXPECT_EQ(POLLRDBAND, b.revents & (POLLRDBAND | POLLIN));
}

TEST_HARNESS_MAIN
