// SPDX-License-Identifier: GPL-2.0
/*
 * Mailbox operations as io_uring commands (IORING_OP_URING_CMD on a
 * mailbox fd): take, submit, complete, collect and the batches, inline
 * when they need not wait and from io_uring's worker when they do; wait
 * flags and timeouts; rejected inputs; and that no command outlives its
 * ring or its task: a process killed with commands waiting exits at once,
 * a ring torn down with commands waiting lets its mailbox fd go.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "mailbox.h"
#include "mailbox-uring.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "kselftest_harness.h"

#define NSLOTS	16
#define SLOT_SZ	64

static void unique_name(char *buf, size_t len, const char *tag)
{
	static unsigned int seq;

	snprintf(buf, len, "uring-%s-%d-%u", tag, getpid(), seq++);
}

static struct mbx_stats_args stats(struct mailbox *mb)
{
	struct mbx_stats_args st;

	mailbox_stats(mb, &st);
	return st;
}

/* Wait for one completion, at most @ms: its res, or -ETIME. */
static int reap(struct io_uring *ring, int ms, void **args)
{
	struct __kernel_timespec ts = {
		.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
	struct io_uring_cqe *cqe;
	int ret;

	ret = io_uring_wait_cqe_timeout(ring, &cqe, &ts);
	if (ret)
		return ret;
	ret = cqe->res;
	if (args)
		*args = mailbox_cqe_args(cqe);
	io_uring_cqe_seen(ring, cqe);
	return ret;
}

/* A call from @mb: acquire any slot, write @v, submit; its id. */
static uint64_t call(struct mailbox *mb, uint64_t v, uint32_t call_flags)
{
	struct mbx_call c = { .opcode = 7, .len = 8, .user_data = v,
			      .flags = call_flags };
	int slot = mailbox_acquire(mb, 0, MBX_ACQUIRE_ANY, 0, NULL);

	if (slot < 0)
		return 0;
	c.slot = slot;
	memcpy(mailbox_call_plane(mb, slot), &v, 8);
	return mailbox_submit(mb, &c) ? 0 : c.call_id;
}

FIXTURE(uring) {
	char name[MBX_NAME_MAX];
	struct mailbox caller;
	struct mailbox callee;
	struct io_uring ring;
};

FIXTURE_SETUP(uring)
{
	struct mbx_api_args api;

	if (access(MAILBOX_DEVICE, F_OK))
		SKIP(return, "mbx.ko not loaded");
	ASSERT_EQ(0, mailbox_api(&api));
	ASSERT_TRUE(api.out_features & MBX_FEAT_URING);
	unique_name(self->name, sizeof(self->name), "t");
	ASSERT_EQ(0, mailbox_create(&self->caller, self->name, NSLOTS, SLOT_SZ,
				    0600, 0, 0));
	ASSERT_EQ(0, mailbox_open(&self->callee, self->name,
				  MBX_ACCESS_READ | MBX_ACCESS_WRITE, 0));
	ASSERT_EQ(0, io_uring_queue_init(64, &self->ring, 0));
}

FIXTURE_TEARDOWN(uring)
{
	io_uring_queue_exit(&self->ring);
	mailbox_close(&self->callee);
	mailbox_close(&self->caller);
	mailbox_destroy(self->name);
}

/* A pending call is taken inline; the answer and its collection too. */
TEST_F(uring, take_complete_collect_inline)
{
	struct mbx_take_args take;
	struct mbx_complete_args comp;
	struct mbx_collect_args coll;
	uint64_t id = call(&self->caller, 41, 0), v;
	void *a;

	ASSERT_NE(0, id);
	mailbox_prep_take(io_uring_get_sqe(&self->ring), &self->callee, &take,
			  0, 0);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(0, reap(&self->ring, 5000, &a));
	EXPECT_EQ(&take, a);
	EXPECT_EQ(id, take.out_call.call_id);
	EXPECT_EQ(7, take.out_call.opcode);
	EXPECT_EQ(41, take.out_call.user_data);
	memcpy(&v, mailbox_call_plane(&self->callee, take.out_call.slot), 8);
	EXPECT_EQ(41, v);
	v = 42;
	memcpy(mailbox_reply_plane(&self->callee, take.out_call.slot), &v, 8);
	mailbox_prep_complete(io_uring_get_sqe(&self->ring), &self->callee,
			      &comp, &take.out_call, -3, 8);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(0, reap(&self->ring, 5000, NULL));
	mailbox_prep_collect(io_uring_get_sqe(&self->ring), &self->caller,
			     &coll, &take.out_call, 0, 0);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(0, reap(&self->ring, 5000, NULL));
	EXPECT_EQ(id, coll.out_call.call_id);
	EXPECT_EQ(-3, coll.out_call.status);
	EXPECT_EQ(8, coll.out_call.len);
	memcpy(&v, mailbox_reply_plane(&self->caller, coll.out_call.slot), 8);
	EXPECT_EQ(42, v);
}

/*
 * Takes armed before any call: they wait (in io_uring's worker, not in
 * io_uring_submit()), and each call submitted completes one, in order.
 */
TEST_F(uring, armed_takes)
{
	struct mbx_take_args take[4];
	uint64_t ids[4];
	int i, seen = 0;
	uint64_t t0 = mailbox_deadline(0);

	for (i = 0; i < 4; i++)
		mailbox_prep_take(io_uring_get_sqe(&self->ring), &self->callee,
				  &take[i], 0, 0);
	ASSERT_EQ(4, io_uring_submit(&self->ring));
	/* Submitting did not wait for a call. */
	EXPECT_LT(mailbox_deadline(0) - t0, 2000000000ULL);
	EXPECT_EQ(-ETIME, reap(&self->ring, 100, NULL));
	for (i = 0; i < 4; i++) {
		ids[i] = call(&self->caller, 100 + i, 0);
		ASSERT_NE(0, ids[i]);
	}
	for (i = 0; i < 4; i++) {
		struct mbx_take_args *t;

		ASSERT_EQ(0, reap(&self->ring, 5000, (void **)&t));
		ASSERT_TRUE(t >= take && t < take + 4);
		ASSERT_TRUE(t->out_call.user_data >= 100 &&
			    t->out_call.user_data < 104);
		seen |= 1 << (t->out_call.user_data - 100);
		EXPECT_EQ(ids[t->out_call.user_data - 100], t->out_call.call_id);
	}
	EXPECT_EQ(0xf, seen);
	EXPECT_EQ(4, stats(&self->caller).out_taken_now);
}

/*
 * The call's second step as its completion: submit with
 * MBX_SUBMIT_COLLECT completes when the reply is collected.
 */
TEST_F(uring, submit_completes_with_reply)
{
	struct mbx_submit_args sub;
	struct mbx_call c = { .opcode = 9, .len = 8, .user_data = 5 };
	int slot, status;
	pid_t pid;

	slot = mailbox_acquire(&self->caller, 0, MBX_ACQUIRE_ANY, 0, NULL);
	ASSERT_LE(0, slot);
	c.slot = slot;
	mailbox_prep_submit(io_uring_get_sqe(&self->ring), &self->caller, &sub,
			    &c, MBX_SUBMIT_COLLECT, 0);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_EQ(-ETIME, reap(&self->ring, 100, NULL));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct mbx_call got;

		if (mailbox_take(&self->callee, 0, 0, &got) || got.opcode != 9)
			_exit(1);
		_exit(mailbox_complete(&self->callee, &got, -11, 0) ? 2 : 0);
	}
	ASSERT_EQ(0, reap(&self->ring, 10000, NULL));
	EXPECT_NE(0, sub.out_call_id);
	EXPECT_EQ(sub.out_call_id, sub.out_reply.call_id);
	EXPECT_EQ(-11, sub.out_reply.status);
	EXPECT_EQ(5, sub.out_reply.user_data);
	EXPECT_EQ(1, stats(&self->caller).out_submitted);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
}

/* The batches through io_uring: answer two, take up to four. */
TEST_F(uring, batch_serve)
{
	struct mbx_batch_serve_args args = { .size = sizeof(args) };
	struct mbx_batch_complete done[2];
	struct mbx_call calls[4];
	int i;

	for (i = 0; i < 2; i++)
		ASSERT_NE(0, call(&self->caller, i, 0));
	ASSERT_EQ(2, mailbox_batch_serve(&self->callee, NULL, 0, calls, 4, 0,
					 0));
	for (i = 0; i < 2; i++)
		done[i] = (struct mbx_batch_complete){
			calls[i].call_id, calls[i].slot, 0, 0, 0 };
	args.complete = (uintptr_t)done;
	args.ncomplete = 2;
	args.take = (uintptr_t)calls;
	args.ntake = 4;
	mailbox_prep_cmd(io_uring_get_sqe(&self->ring), &self->callee,
			 MBX_IOC_BATCH_SERVE, &args);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	/* Answered, then waiting to take. */
	EXPECT_EQ(-ETIME, reap(&self->ring, 200, NULL));
	EXPECT_EQ(2, stats(&self->caller).out_replied);
	EXPECT_EQ(0, done[0].out_result);
	EXPECT_EQ(0, done[1].out_result);
	ASSERT_NE(0, call(&self->caller, 9, 0));
	ASSERT_EQ(0, reap(&self->ring, 5000, NULL));
	EXPECT_EQ(1, args.out_taken);
	EXPECT_EQ(2, args.out_completed);
	EXPECT_EQ(9, calls[0].user_data);
}

/* Wait flags: EAGAIN and ETIMEDOUT as results, not re-issued forever. */
TEST_F(uring, wait_flags)
{
	struct mbx_take_args take;
	uint64_t t0;

	mailbox_prep_take(io_uring_get_sqe(&self->ring), &self->callee, &take,
			  MBX_WAIT_NONBLOCK, 0);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_EQ(-EAGAIN, reap(&self->ring, 5000, NULL));
	t0 = mailbox_deadline(0);
	mailbox_prep_take(io_uring_get_sqe(&self->ring), &self->callee, &take,
			  MBX_WAIT_TIMEOUT, mailbox_deadline(100000000));
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_EQ(-ETIMEDOUT, reap(&self->ring, 10000, NULL));
	EXPECT_GE(mailbox_deadline(0) - t0, 100000000ULL);
}

/* Rejected inputs, each with the ioctl's errno or io_uring's own. */
TEST_F(uring, rejected)
{
	struct mbx_take_args take;
	struct io_uring_sqe *sqe;
	int ctl;

	/* Short size. */
	mailbox_prep_take(io_uring_get_sqe(&self->ring), &self->callee, &take,
			  MBX_WAIT_NONBLOCK, 0);
	take.size = sizeof(take) - 8;
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_EQ(-EINVAL, reap(&self->ring, 5000, NULL));
	/* Reserved half of the command area. */
	sqe = io_uring_get_sqe(&self->ring);
	mailbox_prep_take(sqe, &self->callee, &take, MBX_WAIT_NONBLOCK, 0);
	((struct mbx_uring_cmd *)sqe->cmd)->__reserved = 1;
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_EQ(-EINVAL, reap(&self->ring, 5000, NULL));
	/* Unknown and control-device-only commands. */
	mailbox_prep_cmd(io_uring_get_sqe(&self->ring), &self->callee,
			 _IO(MBX_IOC_MAGIC, 0x3f), &take);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_EQ(-ENOTTY, reap(&self->ring, 5000, NULL));
	mailbox_prep_cmd(io_uring_get_sqe(&self->ring), &self->callee,
			 MBX_IOC_BOX_LIST, &take);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_EQ(-ENOTTY, reap(&self->ring, 5000, NULL));
	/* A bad argument pointer. */
	mailbox_prep_cmd(io_uring_get_sqe(&self->ring), &self->callee,
			 MBX_IOC_CALL_TAKE, (void *)8);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_EQ(-EFAULT, reap(&self->ring, 5000, NULL));
	/* /dev/mailbox itself has no io_uring commands. */
	ctl = open(MAILBOX_DEVICE, O_RDWR);
	ASSERT_LE(0, ctl);
	sqe = io_uring_get_sqe(&self->ring);
	mailbox_prep_take(sqe, &self->callee, &take, MBX_WAIT_NONBLOCK, 0);
	sqe->fd = ctl;
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_EQ(-EOPNOTSUPP, reap(&self->ring, 5000, NULL));
	close(ctl);
	EXPECT_EQ(0, stats(&self->caller).out_taken);
}

/*
 * A callee with takes waiting and a caller with a submit-and-collect
 * waiting are killed: both exit promptly, their sessions go, the call
 * each held is redelivered or kept for collection, and nothing leaks
 * (the runner unloads the module after the tests and checks the log).
 */
TEST_F(uring, kill_with_commands_waiting)
{
	int round;

	for (round = 0; round < 3; round++) {
		pid_t pid[2];
		int i, status;
		uint64_t t0;

		for (i = 0; i < 2; i++) {
			pid[i] = fork();
			ASSERT_LE(0, pid[i]);
			if (pid[i] == 0) {
				struct io_uring ring;
				struct mbx_take_args take[8];
				struct mbx_submit_args sub;
				struct mbx_call c = { .opcode = 1 };
				struct mailbox mb;
				int k, slot;

				if (mailbox_open(&mb, self->name,
						 MBX_ACCESS_READ |
						 MBX_ACCESS_WRITE, 0) ||
				    io_uring_queue_init(16, &ring, 0))
					_exit(1);
				if (i == 0) {
					for (k = 0; k < 8; k++)
						mailbox_prep_take(
							io_uring_get_sqe(&ring),
							&mb, &take[k], 0, 0);
				} else {
					slot = mailbox_acquire(&mb, 0,
							       MBX_ACQUIRE_ANY,
							       0, NULL);
					c.slot = slot;
					mailbox_prep_submit(
						io_uring_get_sqe(&ring), &mb,
						&sub, &c, MBX_SUBMIT_COLLECT, 0);
				}
				io_uring_submit(&ring);
				pause();
				_exit(0);
			}
		}
		/* Both sessions open, the caller's call taken by the callee. */
		for (i = 0; i < 500 && stats(&self->caller).out_taken_now < 1;
		     i++)
			usleep(10000);
		ASSERT_EQ(1, stats(&self->caller).out_taken_now);
		EXPECT_EQ(4, stats(&self->caller).out_sessions);
		t0 = mailbox_deadline(0);
		for (i = 0; i < 2; i++)
			kill(pid[i], SIGKILL);
		for (i = 0; i < 2; i++) {
			ASSERT_EQ(pid[i], waitpid(pid[i], &status, 0));
			EXPECT_TRUE(WIFSIGNALED(status));
		}
		EXPECT_LT(mailbox_deadline(0) - t0, 5000000000ULL);
		/* The rings are torn down asynchronously: allow for it. */
		for (i = 0; i < 500 && stats(&self->caller).out_sessions > 2;
		     i++)
			usleep(10000);
		EXPECT_EQ(2, stats(&self->caller).out_sessions);
		/* The call was redelivered: pending again, its caller gone. */
		EXPECT_EQ(1, stats(&self->caller).out_pending);
		EXPECT_EQ(0, stats(&self->caller).out_taken_now);
		{
			struct mbx_call got;

			ASSERT_EQ(0, mailbox_take(&self->callee,
						  MBX_WAIT_NONBLOCK, 0, &got));
			EXPECT_TRUE(got.flags & MBX_CALL_REDELIVERED);
			EXPECT_TRUE(got.flags & MBX_CALL_CALLER_GONE);
			ASSERT_EQ(0, mailbox_complete(&self->callee, &got, 0,
						      0));
			EXPECT_EQ(1, mailbox_reclaim(&self->caller, 0));
		}
	}
}

/* Closing a ring with takes waiting ends them and lets the fd go. */
TEST_F(uring, ring_teardown_with_commands_waiting)
{
	struct io_uring ring;
	struct mbx_take_args take[8];
	struct mailbox mb;
	int k;

	ASSERT_EQ(0, mailbox_open(&mb, self->name,
				  MBX_ACCESS_READ | MBX_ACCESS_WRITE, 0));
	ASSERT_EQ(0, io_uring_queue_init(16, &ring, 0));
	for (k = 0; k < 8; k++)
		mailbox_prep_take(io_uring_get_sqe(&ring), &mb, &take[k], 0, 0);
	ASSERT_EQ(8, io_uring_submit(&ring));
	EXPECT_EQ(3, stats(&self->caller).out_sessions);
	mailbox_close(&mb);
	/* The ring's commands hold the fd's session. */
	EXPECT_EQ(3, stats(&self->caller).out_sessions);
	io_uring_queue_exit(&ring);
	for (k = 0; k < 500 && stats(&self->caller).out_sessions > 2; k++)
		usleep(10000);
	EXPECT_EQ(2, stats(&self->caller).out_sessions);
	/* No take is left behind to swallow a call. */
	ASSERT_NE(0, call(&self->caller, 1, 0));
	usleep(100000);
	EXPECT_EQ(1, stats(&self->caller).out_pending);
}

TEST_HARNESS_MAIN
