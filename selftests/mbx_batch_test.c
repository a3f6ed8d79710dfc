// SPDX-License-Identifier: GPL-2.0
/*
 * MBX_IOC_BATCH_CALL and MBX_IOC_BATCH_SERVE: many submits and collects,
 * many completes and takes, in one system call, with every guarantee of
 * the single operations per entry: FIFO order across batches, redelivery
 * after a callee dies holding part of a batch, at-most-once, cancel of a
 * call held in a batch, partial failure (a bad entry among good ones, an
 * entry that cannot be read), and every rejected input.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mailbox.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "mbx_helpers.h"

#define NSLOTS	16
#define SLOT_SZ	64

static void unique_name(char *buf, size_t len, const char *tag)
{
	static unsigned int seq;

	snprintf(buf, len, "batch-%s-%d-%u", tag, getpid(), seq++);
}

FIXTURE(batch) {
	char name[MBX_NAME_MAX];
	struct mailbox caller;
	struct mailbox callee;
};

FIXTURE_SETUP(batch)
{
	if (access(MAILBOX_DEVICE, F_OK))
		SKIP(return, "mbx.ko not loaded");
	unique_name(self->name, sizeof(self->name), "t");
	ASSERT_EQ(0, mailbox_create(&self->caller, self->name, NSLOTS, SLOT_SZ,
				    0600, 0, 0));
	ASSERT_EQ(0, mailbox_open(&self->callee, self->name,
				  MBX_ACCESS_READ | MBX_ACCESS_WRITE, 0));
}

FIXTURE_TEARDOWN(batch)
{
	mailbox_close(&self->callee);
	mailbox_close(&self->caller);
	mailbox_destroy(self->name);
}

/* Acquire @n slots and fill @e with calls in them: opcode 100 + i. */
static int prepare(struct mailbox *mb, struct mbx_batch_submit *e, int n,
		   uint64_t cookie)
{
	int i, slot;

	for (i = 0; i < n; i++) {
		slot = mailbox_acquire(mb, 0, MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK,
				       0, NULL);
		if (slot < 0)
			return slot;
		memset(&e[i], 0, sizeof(e[i]));
		e[i].slot = slot;
		e[i].opcode = 100 + i;
		e[i].len = 8;
		e[i].user_data = cookie + i;
		memcpy(mailbox_call_plane(mb, slot), &e[i].user_data, 8);
	}
	return 0;
}

static struct mbx_stats_args stats(struct mailbox *mb)
{
	struct mbx_stats_args st;

	mailbox_stats(mb, &st);
	return st;
}

/* A batch of calls out, served in a batch, answered in a batch, back. */
TEST_F(batch, round_trip)
{
	struct mbx_batch_submit sub[8];
	struct mbx_batch_complete done[8];
	struct mbx_call calls[NSLOTS], replies[NSLOTS];
	int i, n;

	ASSERT_EQ(0, prepare(&self->caller, sub, 8, 1000));
	ASSERT_EQ(0, mailbox_batch_call(&self->caller, sub, 8, NULL, 0, 0, 0));
	for (i = 0; i < 8; i++) {
		EXPECT_EQ(0, sub[i].out_result);
		EXPECT_NE(0, sub[i].out_call_id);
	}
	n = mailbox_batch_serve(&self->callee, NULL, 0, calls, NSLOTS, 0, 0);
	ASSERT_EQ(8, n);
	for (i = 0; i < 8; i++) {
		uint64_t v;

		/* Oldest first: the order of submission. */
		EXPECT_EQ(sub[i].out_call_id, calls[i].call_id);
		EXPECT_EQ(100 + i, calls[i].opcode);
		EXPECT_EQ(8, calls[i].len);
		EXPECT_EQ(1, calls[i].delivery);
		memcpy(&v, mailbox_call_plane(&self->callee, calls[i].slot), 8);
		EXPECT_EQ(1000 + i, v);
		v += 1;
		memcpy(mailbox_reply_plane(&self->callee, calls[i].slot), &v, 8);
		done[i] = (struct mbx_batch_complete){
			.call_id = calls[i].call_id, .slot = calls[i].slot,
			.len = 8, .status = -i,
		};
	}
	/* Answer all, take none: no wait. */
	EXPECT_EQ(0, mailbox_batch_serve(&self->callee, done, 8, NULL, 0, 0, 0));
	for (i = 0; i < 8; i++)
		EXPECT_EQ(0, done[i].out_result);
	n = mailbox_batch_call(&self->caller, NULL, 0, replies, NSLOTS, 0, 0);
	ASSERT_EQ(8, n);
	for (i = 0; i < 8; i++) {
		uint64_t v;

		EXPECT_EQ(sub[i].out_call_id, replies[i].call_id);
		EXPECT_EQ(1000 + i, replies[i].user_data);
		EXPECT_EQ(-i, replies[i].status);
		EXPECT_EQ(8, replies[i].len);
		memcpy(&v, mailbox_reply_plane(&self->caller, replies[i].slot), 8);
		EXPECT_EQ(1001 + i, v);
	}
	EXPECT_EQ(8, stats(&self->caller).out_completed);
	/* The collected slots are ours: submit the next calls in them. */
	for (i = 0; i < 8; i++) {
		sub[i].slot = replies[i].slot;
		sub[i].__reserved = 0;
	}
	ASSERT_EQ(0, mailbox_batch_call(&self->caller, sub, 8, NULL, 0, 0, 0));
	for (i = 0; i < 8; i++)
		EXPECT_EQ(0, sub[i].out_result);
	EXPECT_EQ(8, stats(&self->caller).out_pending);
}

/*
 * One batch answers the calls of two callers: each caller's reply is
 * queued to it and each is woken, the first when the batch moves on to
 * the second caller's call.
 */
TEST_F(batch, serve_answers_two_callers)
{
	struct mbx_batch_submit sub[2];
	struct mbx_batch_complete done[2];
	struct mbx_call calls[2], reply;
	struct mailbox other;
	int i;

	ASSERT_EQ(0, mailbox_open(&other, self->name,
				  MBX_ACCESS_READ | MBX_ACCESS_WRITE, 0));
	ASSERT_EQ(0, prepare(&self->caller, &sub[0], 1, 10));
	ASSERT_EQ(0, prepare(&other, &sub[1], 1, 20));
	ASSERT_EQ(0, mailbox_batch_call(&self->caller, &sub[0], 1, NULL, 0, 0, 0));
	ASSERT_EQ(0, mailbox_batch_call(&other, &sub[1], 1, NULL, 0, 0, 0));
	ASSERT_EQ(2, mailbox_batch_serve(&self->callee, NULL, 0, calls, 2,
					 MBX_WAIT_NONBLOCK, 0));
	for (i = 0; i < 2; i++)
		done[i] = (struct mbx_batch_complete){
			.call_id = calls[i].call_id, .slot = calls[i].slot,
			.status = -1 - i,
		};
	ASSERT_EQ(0, mailbox_batch_serve(&self->callee, done, 2, NULL, 0, 0, 0));
	EXPECT_EQ(0, done[0].out_result);
	EXPECT_EQ(0, done[1].out_result);
	/* Each caller has its own reply, and only its own. */
	ASSERT_EQ(1, mailbox_batch_call(&self->caller, NULL, 0, &reply, 1,
					MBX_WAIT_NONBLOCK, 0));
	EXPECT_EQ(sub[0].out_call_id, reply.call_id);
	EXPECT_EQ(-1, reply.status);
	ASSERT_EQ(1, mailbox_batch_call(&other, NULL, 0, &reply, 1,
					MBX_WAIT_NONBLOCK, 0));
	EXPECT_EQ(sub[1].out_call_id, reply.call_id);
	EXPECT_EQ(-2, reply.status);
	mailbox_close(&other);
}

struct poller {
	int fd;
	_Atomic int tid;
	short revents;
};

static void *poll_in(void *arg)
{
	struct poller *p = arg;
	struct pollfd pfd = { .fd = p->fd, .events = POLLIN };

	p->tid = gettid();
	if (poll(&pfd, 1, 10000) == 1)
		p->revents = pfd.revents;
	return NULL;
}

/* A poller of the callee's fd wakes when a batch makes two calls pending. */
TEST_F(batch, two_calls_wake_a_poller)
{
	struct mbx_batch_submit sub[2];
	struct poller p = { .fd = self->callee.fd };
	pthread_t thr;

	ASSERT_EQ(0, prepare(&self->caller, sub, 2, 30));
	ASSERT_EQ(0, pthread_create(&thr, NULL, poll_in, &p));
	for (int i = 0; !p.tid && i < 10000; i++)
		usleep(1000);
	ASSERT_NE(0, p.tid);
	ASSERT_EQ(0, mbx_wait_sleeping(p.tid));
	ASSERT_EQ(0, mailbox_batch_call(&self->caller, sub, 2, NULL, 0, 0, 0));
	ASSERT_EQ(0, pthread_join(thr, NULL));
	EXPECT_EQ(POLLIN, p.revents & POLLIN);
}

/* ncollect bounds the replies collected; the rest stay queued. */
TEST_F(batch, collect_at_most_n)
{
	struct mbx_batch_submit sub[5];
	struct mbx_batch_complete done[5];
	struct mbx_call calls[5], replies[5];
	int i;

	ASSERT_EQ(0, prepare(&self->caller, sub, 5, 0));
	ASSERT_EQ(0, mailbox_batch_call(&self->caller, sub, 5, NULL, 0, 0, 0));
	ASSERT_EQ(5, mailbox_batch_serve(&self->callee, NULL, 0, calls, 5,
					 0, 0));
	for (i = 0; i < 5; i++)
		done[i] = (struct mbx_batch_complete){
			.call_id = calls[i].call_id, .slot = calls[i].slot };
	/* Answer 5, take up to 5 without waiting: none pending, EAGAIN. */
	EXPECT_EQ(-EAGAIN, mailbox_batch_serve(&self->callee, done, 5, calls, 5,
					       MBX_WAIT_NONBLOCK, 0));
	for (i = 0; i < 5; i++)
		EXPECT_EQ(0, done[i].out_result);
	EXPECT_EQ(2, mailbox_batch_call(&self->caller, NULL, 0, replies, 2,
					0, 0));
	EXPECT_EQ(sub[0].out_call_id, replies[0].call_id);
	EXPECT_EQ(sub[1].out_call_id, replies[1].call_id);
	EXPECT_EQ(3, stats(&self->caller).out_replied);
	EXPECT_EQ(3, mailbox_batch_call(&self->caller, NULL, 0, replies, 5,
					MBX_WAIT_NONBLOCK, 0));
	EXPECT_EQ(sub[4].out_call_id, replies[2].call_id);
	EXPECT_EQ(-EAGAIN, mailbox_batch_call(&self->caller, NULL, 0, replies,
					      5, MBX_WAIT_NONBLOCK, 0));
}

/* FIFO across batches: takes in batches see the submission order. */
TEST_F(batch, fifo_across_batches)
{
	struct mbx_batch_submit sub[10];
	struct mbx_call calls[10];
	int got = 0, i, n;
	const int cuts[] = { 3, 3, 4 }, takes[] = { 4, 4, 2 };

	ASSERT_EQ(0, prepare(&self->caller, sub, 10, 0));
	for (i = 0, n = 0; i < 3; n += cuts[i++])
		ASSERT_EQ(0, mailbox_batch_call(&self->caller, sub + n, cuts[i],
						NULL, 0, 0, 0));
	for (i = 0; i < 3; i++) {
		n = mailbox_batch_serve(&self->callee, NULL, 0, calls + got,
					takes[i], 0, 0);
		ASSERT_EQ(takes[i], n);
		got += n;
	}
	for (i = 0; i < 10; i++)
		EXPECT_EQ(sub[i].out_call_id, calls[i].call_id);
	for (i = 1; i < 10; i++)
		EXPECT_LT(calls[i - 1].call_id, calls[i].call_id);
}

/* A bad entry among good ones fails alone; the others are submitted. */
TEST_F(batch, submit_partial_failure)
{
	struct mbx_batch_submit ok[3], e[6];
	struct mbx_call calls[6];
	struct mbx_batch_call_args args = { .size = sizeof(args) };

	ASSERT_EQ(0, prepare(&self->caller, ok, 3, 10));
	/* ok, bad slot, ok, ok's slot again, reserved set, ok. */
	e[0] = ok[0];
	e[1] = ok[1];
	e[1].slot = NSLOTS;
	e[2] = ok[1];
	e[3] = ok[0];
	e[4] = ok[2];
	e[4].__reserved = 1;
	e[5] = ok[2];
	args.submit = (uintptr_t)e;
	args.nsubmit = 6;
	ASSERT_EQ(0, ioctl(self->caller.fd, MBX_IOC_BATCH_CALL, &args));
	EXPECT_EQ(6, args.out_submitted);
	EXPECT_EQ(3, args.out_failed);
	EXPECT_EQ(0, e[0].out_result);
	EXPECT_EQ(-EINVAL, e[1].out_result);
	EXPECT_EQ(0, e[1].out_call_id);
	EXPECT_EQ(0, e[2].out_result);
	EXPECT_EQ(-EPERM, e[3].out_result);	/* pending now, not owned */
	EXPECT_EQ(-EINVAL, e[4].out_result);
	EXPECT_EQ(0, e[5].out_result);
	/* Exactly the three good ones are pending, in order. */
	ASSERT_EQ(3, mailbox_batch_serve(&self->callee, NULL, 0, calls, 6,
					 MBX_WAIT_NONBLOCK, 0));
	EXPECT_EQ(e[0].out_call_id, calls[0].call_id);
	EXPECT_EQ(e[2].out_call_id, calls[1].call_id);
	EXPECT_EQ(e[5].out_call_id, calls[2].call_id);
	EXPECT_EQ(3, stats(&self->caller).out_submitted);
}

/*
 * An entry that cannot be read stops the batch there with EFAULT: the
 * entries before it are made and their results written, none after it.
 * The entry starts an unreadable page, inside the first few entries that
 * the kernel reads together.
 */
TEST_F(batch, unreadable_entry_stops_the_batch)
{
	long page = sysconf(_SC_PAGESIZE);
	struct mbx_batch_submit ok[3], *e;
	struct mbx_batch_complete *d;
	struct mbx_call calls[4], replies[4];
	char *map;
	int i;

	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, mprotect(map + page, page, PROT_NONE));
	ASSERT_EQ(0, prepare(&self->caller, ok, 3, 20));
	/* Three submissions, the fourth on the unreadable page. */
	e = (struct mbx_batch_submit *)(map + page) - 3;
	memcpy(e, ok, sizeof(ok));
	for (i = 0; i < 3; i++)
		e[i].out_result = 1;	/* the kernel writes 0 */
	{
		struct mbx_batch_call_args args = {
			.size = sizeof(args), .submit = (uintptr_t)e,
			.nsubmit = 5,
		};

		EXPECT_EQ(-1, ioctl(self->caller.fd, MBX_IOC_BATCH_CALL, &args));
		EXPECT_EQ(EFAULT, errno);
	}
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(0, e[i].out_result);
		EXPECT_NE(0, e[i].out_call_id);
	}
	EXPECT_EQ(3, stats(&self->caller).out_submitted);
	/* Answers: two, the third on the unreadable page. */
	ASSERT_EQ(3, mailbox_batch_serve(&self->callee, NULL, 0, calls, 4,
					 MBX_WAIT_NONBLOCK, 0));
	EXPECT_EQ(e[0].out_call_id, calls[0].call_id);
	d = (struct mbx_batch_complete *)(map + page) - 2;
	for (i = 0; i < 2; i++)
		d[i] = (struct mbx_batch_complete){
			.call_id = calls[i].call_id, .slot = calls[i].slot,
			.out_result = 1,
		};
	{
		struct mbx_batch_serve_args args = {
			.size = sizeof(args), .complete = (uintptr_t)d,
			.ncomplete = 3,
		};

		EXPECT_EQ(-1, ioctl(self->callee.fd, MBX_IOC_BATCH_SERVE, &args));
		EXPECT_EQ(EFAULT, errno);
	}
	EXPECT_EQ(0, d[0].out_result);
	EXPECT_EQ(0, d[1].out_result);
	ASSERT_EQ(2, mailbox_batch_call(&self->caller, NULL, 0, replies, 4,
					MBX_WAIT_NONBLOCK, 0));
	EXPECT_EQ(calls[0].call_id, replies[0].call_id);
	EXPECT_EQ(calls[1].call_id, replies[1].call_id);
	/* The third is still taken, and answerable. */
	EXPECT_EQ(1, stats(&self->caller).out_taken_now);
	EXPECT_EQ(0, mailbox_complete(&self->callee, &calls[2], 0, 0));
	munmap(map, 2 * page);
}

/* A bad answer among good ones fails alone; the good ones are answered. */
TEST_F(batch, complete_partial_failure)
{
	struct mbx_batch_submit sub[3];
	struct mbx_batch_complete done[5];
	struct mbx_call calls[3], replies[4];

	ASSERT_EQ(0, prepare(&self->caller, sub, 3, 0));
	ASSERT_EQ(0, mailbox_batch_call(&self->caller, sub, 3, NULL, 0, 0, 0));
	ASSERT_EQ(3, mailbox_batch_serve(&self->callee, NULL, 0, calls, 3,
					 0, 0));
	done[0] = (struct mbx_batch_complete){ calls[0].call_id,
					       calls[0].slot, 0, 1, 0 };
	done[1] = (struct mbx_batch_complete){ calls[1].call_id + 100,
					       calls[1].slot, 0, 0, 0 };
	done[2] = (struct mbx_batch_complete){ calls[1].call_id,
					       calls[1].slot, SLOT_SZ + 1, 0, 0 };
	done[3] = (struct mbx_batch_complete){ calls[2].call_id,
					       calls[2].slot, 4, -5, 0 };
	done[4] = done[3];		/* answered just before */
	done[0].status = 0;
	{
		struct mbx_batch_serve_args args = {
			.size = sizeof(args), .complete = (uintptr_t)done,
			.ncomplete = 5,
		};

		ASSERT_EQ(0, ioctl(self->callee.fd, MBX_IOC_BATCH_SERVE, &args));
		EXPECT_EQ(5, args.out_completed);
		EXPECT_EQ(3, args.out_failed);
	}
	EXPECT_EQ(0, done[0].out_result);
	EXPECT_EQ(-ESTALE, done[1].out_result);
	EXPECT_EQ(-EMSGSIZE, done[2].out_result);
	EXPECT_EQ(0, done[3].out_result);
	EXPECT_EQ(-EPERM, done[4].out_result);
	/* Calls 0 and 2 answered, 1 still taken and answerable. */
	ASSERT_EQ(2, mailbox_batch_call(&self->caller, NULL, 0, replies, 4,
					MBX_WAIT_NONBLOCK, 0));
	EXPECT_EQ(calls[0].call_id, replies[0].call_id);
	EXPECT_EQ(calls[2].call_id, replies[1].call_id);
	EXPECT_EQ(-5, replies[1].status);
	EXPECT_EQ(4, replies[1].len);
	EXPECT_EQ(1, stats(&self->caller).out_taken_now);
	EXPECT_EQ(0, mailbox_complete(&self->callee, &calls[1], 0, 0));
}

/* Cancel of a call held in a batch: answered as cancelled, not failed. */
TEST_F(batch, cancel_in_batch)
{
	struct mbx_batch_submit sub[3];
	struct mbx_batch_complete done[3];
	struct mbx_call calls[3], replies[3], c;
	struct mbx_event ev;
	int i;

	ASSERT_EQ(0, prepare(&self->caller, sub, 3, 0));
	ASSERT_EQ(0, mailbox_batch_call(&self->caller, sub, 3, NULL, 0, 0, 0));
	ASSERT_EQ(3, mailbox_batch_serve(&self->callee, NULL, 0, calls, 3,
					 0, 0));
	c = (struct mbx_call){ .call_id = calls[1].call_id,
			       .slot = calls[1].slot };
	ASSERT_EQ(MBX_STATE_TAKEN, mailbox_cancel(&self->caller, &c));
	ASSERT_EQ(1, mailbox_events(&self->callee, &ev, 1));
	EXPECT_EQ(MBX_EVENT_CANCEL, ev.type);
	EXPECT_EQ(calls[1].call_id, ev.call_id);
	for (i = 0; i < 3; i++)
		done[i] = (struct mbx_batch_complete){
			calls[i].call_id, calls[i].slot, 8, 0, 0 };
	{
		struct mbx_batch_serve_args args = {
			.size = sizeof(args), .complete = (uintptr_t)done,
			.ncomplete = 3,
		};

		ASSERT_EQ(0, ioctl(self->callee.fd, MBX_IOC_BATCH_SERVE, &args));
		EXPECT_EQ(0, args.out_failed);
	}
	EXPECT_EQ(0, done[0].out_result);
	EXPECT_EQ(-ECANCELED, done[1].out_result);
	EXPECT_EQ(0, done[2].out_result);
	ASSERT_EQ(3, mailbox_batch_call(&self->caller, NULL, 0, replies, 3,
					0, 0));
	EXPECT_EQ(0, replies[0].status);
	EXPECT_EQ(-ECANCELED, replies[1].status);
	EXPECT_EQ(0, replies[1].len);
	EXPECT_EQ(0, replies[2].status);
	EXPECT_EQ(1, stats(&self->caller).out_cancelled);
	EXPECT_EQ(2, stats(&self->caller).out_completed);
}

/*
 * A callee dies holding part of a batch: what it answered stays
 * answered, the rest is redelivered (or fails, for at-most-once calls);
 * every call is answered exactly once.
 */
TEST_F(batch, callee_dies_mid_batch)
{
	struct mbx_batch_submit sub[6];
	struct mbx_call calls[6], replies[6];
	struct mbx_batch_complete done[6];
	int i, n, status, seen[6] = { 0 };
	pid_t pid;

	ASSERT_EQ(0, prepare(&self->caller, sub, 6, 500));
	sub[5].call_flags = MBX_CALL_AT_MOST_ONCE;
	ASSERT_EQ(0, mailbox_batch_call(&self->caller, sub, 6, NULL, 0, 0, 0));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct mailbox mb;

		if (mailbox_open(&mb, self->name, MBX_ACCESS_READ |
				 MBX_ACCESS_WRITE, 0))
			_exit(1);
		if (mailbox_batch_serve(&mb, NULL, 0, calls, 6, 0, 0) != 6)
			_exit(2);
		for (i = 0; i < 2; i++)
			done[i] = (struct mbx_batch_complete){
				calls[i].call_id, calls[i].slot, 0, 7, 0 };
		done[0].status = 0;
		done[1].status = 0;
		if (mailbox_batch_serve(&mb, done, 2, NULL, 0, 0, 0))
			_exit(3);
		_exit(done[0].out_result || done[1].out_result ? 4 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	/* 3 redelivered (the at-most-once one failed): take them again. */
	n = mailbox_batch_serve(&self->callee, NULL, 0, calls, 6,
				MBX_WAIT_NONBLOCK, 0);
	ASSERT_EQ(3, n);
	for (i = 0; i < n; i++) {
		EXPECT_EQ(sub[2 + i].out_call_id, calls[i].call_id);
		EXPECT_EQ(2, calls[i].delivery);
		EXPECT_TRUE(calls[i].flags & MBX_CALL_REDELIVERED);
		done[i] = (struct mbx_batch_complete){
			calls[i].call_id, calls[i].slot, 0, 0, 0 };
	}
	EXPECT_EQ(0, mailbox_batch_serve(&self->callee, done, 3, NULL, 0, 0, 0));
	n = mailbox_batch_call(&self->caller, NULL, 0, replies, 6,
			       MBX_WAIT_NONBLOCK, 0);
	ASSERT_EQ(6, n);
	for (i = 0; i < n; i++) {
		int k = replies[i].user_data - 500;

		ASSERT_TRUE(k >= 0 && k < 6);
		seen[k]++;
		EXPECT_EQ(k == 5 ? -EOWNERDEAD : 0, replies[i].status);
	}
	for (i = 0; i < 6; i++)
		EXPECT_EQ(1, seen[i]);
	EXPECT_EQ(-EAGAIN, mailbox_batch_call(&self->caller, NULL, 0, replies,
					      6, MBX_WAIT_NONBLOCK, 0));
	EXPECT_EQ(3, stats(&self->caller).out_redelivered);
}

/* A wait that fails leaves the first half done and says so. */
TEST_F(batch, wait_fails_after_submit)
{
	struct mbx_batch_submit sub[2];
	struct mbx_call replies[2];
	struct mbx_batch_call_args args = { .size = sizeof(args) };

	ASSERT_EQ(0, prepare(&self->caller, sub, 2, 0));
	args.submit = (uintptr_t)sub;
	args.nsubmit = 2;
	args.collect = (uintptr_t)replies;
	args.ncollect = 2;
	args.flags = MBX_WAIT_TIMEOUT;
	args.timeout_ns = mailbox_deadline(20 * 1000 * 1000);
	EXPECT_EQ(-1, ioctl(self->caller.fd, MBX_IOC_BATCH_CALL, &args));
	EXPECT_EQ(ETIMEDOUT, errno);
	EXPECT_EQ(2, args.out_submitted);
	EXPECT_EQ(0, args.out_failed);
	EXPECT_EQ(0, sub[0].out_result);
	EXPECT_NE(0, sub[1].out_call_id);
	EXPECT_EQ(2, stats(&self->caller).out_pending);
}

/* A collector sleeping in a batch is woken by a reply. */
TEST_F(batch, collect_waits)
{
	struct mbx_batch_submit sub[1];
	struct mbx_call replies[4], call;
	pid_t pid;
	int status;

	ASSERT_EQ(0, prepare(&self->caller, sub, 1, 9));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct mailbox mb;

		if (mailbox_open(&mb, self->name, MBX_ACCESS_READ |
				 MBX_ACCESS_WRITE, 0))
			_exit(1);
		if (mailbox_take(&mb, 0, 0, &call))
			_exit(2);
		usleep(50000);
		_exit(mailbox_complete(&mb, &call, -3, 0) ? 3 : 0);
	}
	/* Submit and then sleep for the reply in one system call. */
	EXPECT_EQ(1, mailbox_batch_call(&self->caller, sub, 1, replies, 4,
					MBX_WAIT_TIMEOUT,
					mailbox_deadline(10000000000ULL)));
	EXPECT_EQ(-3, replies[0].status);
	EXPECT_EQ(9, replies[0].user_data);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
}

/* Every rejected input, on both ioctls; nothing is done by any. */
TEST_F(batch, rejected)
{
	struct mbx_batch_submit sub[1];
	struct mbx_call out[1];
	struct mbx_batch_complete done[1] = { { 0 } };
	struct mbx_batch_call_args c;
	struct mbx_batch_serve_args s;
	struct mailbox ro;

	ASSERT_EQ(0, prepare(&self->caller, sub, 1, 0));
#define CALL(field, val, err) do {					\
		memset(&c, 0, sizeof(c));				\
		c.size = sizeof(c);					\
		c.submit = (uintptr_t)sub;				\
		c.nsubmit = 1;						\
		c.collect = (uintptr_t)out;				\
		c.field = val;						\
		EXPECT_EQ(-1, ioctl(self->caller.fd, MBX_IOC_BATCH_CALL, &c)); \
		EXPECT_EQ(err, errno) TH_LOG(#field " = " #val);	\
	} while (0)
#define SERVE(field, val, err) do {					\
		memset(&s, 0, sizeof(s));				\
		s.size = sizeof(s);					\
		s.complete = (uintptr_t)done;				\
		s.take = (uintptr_t)out;				\
		s.ntake = 1;						\
		s.flags = MBX_WAIT_NONBLOCK;				\
		s.field = val;						\
		EXPECT_EQ(-1, ioctl(self->callee.fd, MBX_IOC_BATCH_SERVE, &s)); \
		EXPECT_EQ(err, errno) TH_LOG(#field " = " #val);	\
	} while (0)
	CALL(nsubmit, 0, EINVAL);			/* N = 0 in all */
	CALL(nsubmit, MBX_BATCH_MAX + 1, EINVAL);
	CALL(ncollect, MBX_BATCH_MAX + 1, EINVAL);
	CALL(flags, MBX_WAIT_NONBLOCK, EINVAL);	/* waits, no collect */
	CALL(flags, 1U << 8, EINVAL);
	CALL(flags, 1U << 2, EINVAL);
	CALL(__reserved, 1, EINVAL);
	CALL(timeout_ns, 5, EINVAL);			/* without TIMEOUT */
	CALL(size, sizeof(c) - 8, EINVAL);
	CALL(submit, 8, EFAULT);
	SERVE(ntake, 0, EINVAL);
	SERVE(ntake, MBX_BATCH_MAX + 1, EINVAL);
	SERVE(ncomplete, MBX_BATCH_MAX + 1, EINVAL);
	SERVE(flags, MBX_WAIT_NONBLOCK | MBX_WAIT_TIMEOUT, EINVAL);
	SERVE(flags, 1U << 31, EINVAL);
	SERVE(__reserved, 2, EINVAL);
	SERVE(size, sizeof(s) - 8, EINVAL);
	SERVE(flags, MBX_WAIT_NONBLOCK, EAGAIN);	/* nothing pending */
	SERVE(take, 8, EAGAIN);				/* not reached */
	/* Nothing was submitted by any of these. */
	EXPECT_EQ(0, stats(&self->caller).out_submitted);
	EXPECT_EQ(1, stats(&self->caller).out_owned);
	/* EFAULT on the reply array: the call taken stays ours. */
	ASSERT_EQ(0, mailbox_batch_call(&self->caller, sub, 1, NULL, 0, 0, 0));
	SERVE(take, 8, EFAULT);
	EXPECT_EQ(1, stats(&self->caller).out_taken_now);
	/* A read-only fd may not serve nor call. */
	ASSERT_EQ(0, mailbox_open(&ro, self->name, MBX_ACCESS_READ, 0));
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.take = (uintptr_t)out;
	s.ntake = 1;
	EXPECT_EQ(-1, ioctl(ro.fd, MBX_IOC_BATCH_SERVE, &s));
	EXPECT_EQ(EBADF, errno);
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.collect = (uintptr_t)out;
	c.ncollect = 1;
	EXPECT_EQ(-1, ioctl(ro.fd, MBX_IOC_BATCH_CALL, &c));
	EXPECT_EQ(EBADF, errno);
	mailbox_close(&ro);
	/* Not on /dev/mailbox. */
	{
		int ctl = open(MAILBOX_DEVICE, O_RDWR);

		ASSERT_LE(0, ctl);
		EXPECT_EQ(-1, ioctl(ctl, MBX_IOC_BATCH_CALL, &c));
		EXPECT_EQ(ENOTTY, errno);
		close(ctl);
	}
#undef CALL
#undef SERVE
}

/* The feature bit says the batches are there. */
TEST(feature)
{
	struct mbx_api_args api;

	if (access(MAILBOX_DEVICE, F_OK))
		SKIP(return, "mbx.ko not loaded");
	ASSERT_EQ(0, mailbox_api(&api));
	EXPECT_TRUE(api.out_features & MBX_FEAT_BATCH);
}

TEST_HARNESS_MAIN
