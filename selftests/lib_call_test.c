// SPDX-License-Identifier: GPL-2.0
/*
 * libmailbox, the caller's side: mailbox_acquire, submit, collect, submit_collect
 * and release; the waits' arguments; one ioctl per call-path function: what each function
 * returns and what it writes, and every error it can return that a test
 * can provoke (each error in its own test), through the built library
 * (lib/libmailbox.a). Skips when /dev/mailbox is absent; the tests that
 * need another uid or write module parameters skip when not run as root.
 */
#define _GNU_SOURCE
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "mbx_helpers.h"

LIB_FIXTURE(lib)

/* ------------------------------------------------------------------ */
/* mailbox_acquire                                                      */

TEST_F(lib, acquire_any_slot)
{
	uint32_t out_flags = 0xcccccccc;
	int slot;

	slot = mailbox_acquire(&self->mb, 0, MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK,
			       0, &out_flags);
	ASSERT_LE(0, slot);
	EXPECT_GT(LIB_NSLOTS, slot);
	EXPECT_EQ(0, out_flags);
}

TEST_F(lib, acquire_every_slot_then_none)
{
	int i, seen = 0;

	for (i = 0; i < LIB_NSLOTS; i++) {
		int slot = mailbox_acquire(&self->mb, 0,
					   MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK, 0, NULL);

		ASSERT_LE(0, slot);
		seen |= 1 << slot;
	}
	EXPECT_EQ((1 << LIB_NSLOTS) - 1, seen);
	EXPECT_EQ(-EAGAIN, mailbox_acquire(&self->mb, 0,
					   MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK, 0, NULL));
}

TEST_F(lib, acquire_the_last_slot)
{
	EXPECT_EQ(LIB_NSLOTS - 1, mailbox_acquire(&self->mb, LIB_NSLOTS - 1,
						  MBX_WAIT_NONBLOCK, 0, NULL));
}

TEST_F(lib, acquire_slot_out_of_range)
{
	EXPECT_EQ(-EINVAL, mailbox_acquire(&self->mb, LIB_NSLOTS,
					   MBX_WAIT_NONBLOCK, 0, NULL));
}

TEST_F(lib, acquire_unknown_flag)
{
	EXPECT_EQ(-EINVAL, mailbox_acquire(&self->mb, 0, MBX_ACQUIRE_CALL << 1,
					   0, NULL));
}

TEST_F(lib, acquire_any_with_acquire_call)
{
	EXPECT_EQ(-EINVAL, mailbox_acquire(&self->mb, 0,
					   MBX_ACQUIRE_ANY | MBX_ACQUIRE_CALL, 0, NULL));
}

TEST_F(lib, acquire_read_only)
{
	struct mailbox mb;

	ASSERT_EQ(0, lib_open_again(self->name, &mb, MBX_ACCESS_READ));
	EXPECT_EQ(-EBADF, mailbox_acquire(&mb, 0,
					  MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK, 0, NULL));
	EXPECT_EQ(0, mailbox_close(&mb));
}

TEST_F(lib, acquire_a_slot_already_mine)
{
	ASSERT_EQ(0, mailbox_acquire(&self->mb, 0, MBX_WAIT_NONBLOCK, 0, NULL));
	EXPECT_EQ(-EDEADLK, mailbox_acquire(&self->mb, 0, 0, 0, NULL));
}

TEST_F(lib, acquire_a_slot_of_another_nonblock)
{
	struct mailbox mb;

	ASSERT_EQ(0, lib_open_again(self->name, &mb,
				    MBX_ACCESS_READ | MBX_ACCESS_WRITE));
	ASSERT_EQ(0, mailbox_acquire(&mb, 0, MBX_WAIT_NONBLOCK, 0, NULL));
	EXPECT_EQ(-EAGAIN, mailbox_acquire(&self->mb, 0, MBX_WAIT_NONBLOCK, 0,
					   NULL));
	EXPECT_EQ(0, mailbox_close(&mb));
}

TEST_F(lib, acquire_times_out)
{
	uint64_t deadline;
	int i;

	for (i = 0; i < LIB_NSLOTS; i++)
		ASSERT_LE(0, mailbox_acquire(&self->mb, 0,
					     MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK, 0, NULL));
	deadline = mailbox_deadline(20 * MBX_MSEC_NS);
	EXPECT_EQ(-ETIMEDOUT, mailbox_acquire(&self->mb, 0,
					      MBX_ACQUIRE_ANY | MBX_WAIT_TIMEOUT, deadline,
					      NULL));
	EXPECT_LE(deadline, mbx_now_ns());
}

TEST_F(lib, acquire_interrupted)
{
	struct lib_poke p;
	pthread_t thr;
	int i;

	for (i = 0; i < LIB_NSLOTS; i++)
		ASSERT_LE(0, mailbox_acquire(&self->mb, 0,
					     MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK, 0, NULL));
	lib_poke_me(&thr, &p, 0);
	EXPECT_EQ(-EINTR, mailbox_acquire(&self->mb, 0,
					  MBX_ACQUIRE_ANY | MBX_WAIT_TIMEOUT,
					  mailbox_deadline(5 * MBX_SEC_NS), NULL));
	pthread_join(thr, NULL);
	EXPECT_EQ(1, lib_signals_seen);
}

TEST_F(lib, acquire_restarted_keeps_its_deadline)
{
	uint64_t deadline;
	struct lib_poke p;
	pthread_t thr;
	int i;

	for (i = 0; i < LIB_NSLOTS; i++)
		ASSERT_LE(0, mailbox_acquire(&self->mb, 0,
					     MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK, 0, NULL));
	lib_poke_me(&thr, &p, 1);
	deadline = mailbox_deadline(300 * MBX_MSEC_NS);
	EXPECT_EQ(-ETIMEDOUT, mailbox_acquire(&self->mb, 0,
					      MBX_ACQUIRE_ANY | MBX_WAIT_TIMEOUT, deadline,
					      NULL));
	EXPECT_LE(deadline, mbx_now_ns());
	pthread_join(thr, NULL);
	EXPECT_EQ(1, lib_signals_seen);
}

static void *release_later(void *arg)
{
	struct lib_later *l = arg;

	usleep(l->delay_ms * 1000);
	l->ret = mailbox_release(l->mb, l->slot);
	return NULL;
}

TEST_F(lib, acquire_waits_for_a_release)
{
	struct mailbox mb;
	struct lib_later l = { .mb = &mb, .delay_ms = 50, .slot = 3 };
	pthread_t thr;

	ASSERT_EQ(0, lib_open_again(self->name, &mb,
				    MBX_ACCESS_READ | MBX_ACCESS_WRITE));
	ASSERT_EQ(3, mailbox_acquire(&mb, 3, MBX_WAIT_NONBLOCK, 0, NULL));
	pthread_create(&thr, NULL, release_later, &l);
	EXPECT_EQ(3, mailbox_acquire(&self->mb, 3, MBX_WAIT_TIMEOUT,
				     mailbox_deadline(5 * MBX_SEC_NS), NULL));
	pthread_join(thr, NULL);
	EXPECT_EQ(0, l.ret);
	EXPECT_EQ(0, mailbox_close(&mb));
}

TEST_F(lib, acquire_after_the_owner_died)
{
	uint32_t out_flags = 0xcccccccc;
	struct child_msg c;
	unsigned char *p;
	int i;

	c = lib_run_child(self->name, CHILD_OWNS, 0, 0, 0);
	ASSERT_EQ(0, c.ret);
	ASSERT_EQ(0, mailbox_acquire(&self->mb, 0, MBX_WAIT_NONBLOCK, 0,
				     &out_flags));
	EXPECT_EQ(MBX_ACQUIRED_OWNER_DIED, out_flags);
	/* The dead owner's draft is zeroed. */
	p = mailbox_call_plane(&self->mb, 0);
	for (i = 0; i < LIB_SLOT_SIZE; i++)
		ASSERT_EQ(0, p[i]);
	/* Told once. */
	ASSERT_EQ(0, mailbox_release(&self->mb, 0));
	ASSERT_EQ(0, mailbox_acquire(&self->mb, 0, MBX_WAIT_NONBLOCK, 0,
				     &out_flags));
	EXPECT_EQ(0, out_flags);
}

TEST(acquire_any_waits_for_the_age_limit)
{
	char name[MBX_NAME_MAX];
	struct mbx_call call;
	struct child_msg c;
	struct mailbox mb;

	SKIP_IF_NO_DEVICE();
	mbx_unique_name(name, "reclaim");
	ASSERT_EQ(0, mailbox_create(&mb, name, 1, 64, 0600, 1, 0));
	c = lib_run_child(name, CHILD_CALLS, 0, 0, 0);
	ASSERT_EQ(0, c.ret);
	ASSERT_EQ(0, lib_take_now(&mb, &call));
	ASSERT_EQ(0, lib_answer(&mb, &call, 0, "nobody reads this"));
	/* The only slot holds a reply whose caller is gone, 1 ns old. */
	EXPECT_EQ(0, mailbox_acquire(&mb, 0, MBX_ACQUIRE_ANY | MBX_WAIT_TIMEOUT,
				     mailbox_deadline(5 * MBX_SEC_NS), NULL));
	EXPECT_EQ(0, mailbox_close(&mb));
	EXPECT_EQ(0, mailbox_destroy(name));
}

/* ------------------------------------------------------------------ */
/* mailbox_submit                                                       */

TEST_F(lib, submit_returns_a_new_call_id)
{
	uint64_t id1 = 0xcccccccccccccccc, id2 = 0xcccccccccccccccc;
	struct mbx_slot_info info;

	ASSERT_EQ(1, mailbox_acquire(&self->mb, 1, MBX_WAIT_NONBLOCK, 0, NULL));
	ASSERT_EQ(0, t_submit(&self->mb, 1, 42, 7, 0xfeed,
				    MBX_CALL_AT_MOST_ONCE, &id1));
	ASSERT_EQ(2, mailbox_acquire(&self->mb, 2, MBX_WAIT_NONBLOCK, 0, NULL));
	ASSERT_EQ(0, t_submit(&self->mb, 2, 43, 0, 0, 0, &id2));
	EXPECT_LT(0, id1);
	EXPECT_LT(id1, id2);
	ASSERT_EQ(1, mailbox_slot_info(&self->mb, 1, 1, &info));
	EXPECT_EQ(MBX_STATE_PENDING, info.state);
	EXPECT_EQ(id1, info.call_id);
	EXPECT_EQ(42, info.opcode);
	EXPECT_EQ(7, info.len);
	EXPECT_EQ(0xfeed, info.user_data);
	EXPECT_EQ(MBX_CALL_AT_MOST_ONCE, info.flags);
}

TEST_F(lib, submit_without_an_id_pointer)
{
	ASSERT_EQ(0, mailbox_acquire(&self->mb, 0, MBX_WAIT_NONBLOCK, 0, NULL));
	EXPECT_EQ(0, t_submit(&self->mb, 0, 1, 0, 0, 0, NULL));
}

TEST_F(lib, submit_the_whole_slot)
{
	ASSERT_EQ(0, mailbox_acquire(&self->mb, 0, MBX_WAIT_NONBLOCK, 0, NULL));
	EXPECT_EQ(0, t_submit(&self->mb, 0, 1, LIB_SLOT_SIZE, 0, 0, NULL));
}

TEST_F(lib, submit_beyond_the_slot)
{
	ASSERT_EQ(0, mailbox_acquire(&self->mb, 0, MBX_WAIT_NONBLOCK, 0, NULL));
	EXPECT_EQ(-EMSGSIZE, t_submit(&self->mb, 0, 1, LIB_SLOT_SIZE + 1, 0,
				      0, NULL));
}

TEST_F(lib, submit_unknown_flag)
{
	ASSERT_EQ(0, mailbox_acquire(&self->mb, 0, MBX_WAIT_NONBLOCK, 0, NULL));
	EXPECT_EQ(-EINVAL, t_submit(&self->mb, 0, 1, 0, 0, 1U << 20, NULL));
}

/*
 * The flags the kernel sets on a delivered call are not the caller's to
 * pass: a reply struct reused for the next call submits without them.
 */
TEST_F(lib, submit_drops_the_kernels_call_flags)
{
	struct mbx_call call = {
		.opcode = 1,
		.flags = MBX_CALL_REDELIVERED | MBX_CALL_CALLER_GONE |
			 MBX_CALL_CANCEL_REQ | MBX_CALL_ADOPTED,
	};
	struct mbx_call taken;

	ASSERT_EQ(0, mailbox_acquire(&self->mb, 0, MBX_WAIT_NONBLOCK, 0, NULL));
	EXPECT_EQ(0, mailbox_submit(&self->mb, &call));
	ASSERT_EQ(0, lib_take_now(&self->mb, &taken));
	EXPECT_EQ(call.call_id, taken.call_id);
	EXPECT_EQ(0, taken.flags);
}

TEST_F(lib, submit_slot_out_of_range)
{
	EXPECT_EQ(-EINVAL, t_submit(&self->mb, LIB_NSLOTS, 1, 0, 0, 0,
				    NULL));
}

TEST_F(lib, submit_a_slot_not_mine)
{
	EXPECT_EQ(-EPERM, t_submit(&self->mb, 0, 1, 0, 0, 0, NULL));
}

TEST_F(lib, submit_read_only)
{
	struct mailbox mb;

	ASSERT_EQ(0, lib_open_again(self->name, &mb, MBX_ACCESS_READ));
	EXPECT_EQ(-EBADF, t_submit(&mb, 0, 1, 0, 0, 0, NULL));
	EXPECT_EQ(0, mailbox_close(&mb));
}

/* ------------------------------------------------------------------ */
/* mailbox_collect                                                      */

TEST_F(lib, collect_any_reply)
{
	struct mbx_call call, reply;
	uint64_t id;
	int slot;

	slot = lib_start_call(&self->mb, 9, "ping", 0, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, lib_take_now(&self->mb, &call));
	ASSERT_EQ(0, lib_answer(&self->mb, &call, -ENOENT, "pong!"));
	memset(&reply, 0xcc, sizeof(reply));
	ASSERT_EQ(0, mailbox_collect(&self->mb, NULL,
				     MBX_WAIT_NONBLOCK, 0, &reply));
	EXPECT_EQ(id, reply.call_id);
	EXPECT_EQ(0x5eed, reply.user_data);
	EXPECT_EQ(slot, reply.slot);
	EXPECT_EQ(9, reply.opcode);
	EXPECT_EQ(6, reply.len);
	EXPECT_EQ(-ENOENT, reply.status);
	EXPECT_EQ(0, reply.flags);
	EXPECT_EQ(1, reply.delivery);
	/* OWNED again: the reply plane is ours to read. */
	EXPECT_STREQ("pong!", (char *)mailbox_reply_plane(&self->mb, slot));
	EXPECT_EQ(0, mailbox_release(&self->mb, slot));
}

TEST_F(lib, collect_a_given_call)
{
	uint64_t id1, id2;
	struct mbx_call c1, c2, reply;
	int s1, s2;

	s1 = lib_start_call(&self->mb, 1, "one", 0, &id1);
	s2 = lib_start_call(&self->mb, 2, "two", 0, &id2);
	ASSERT_LE(0, s1);
	ASSERT_LE(0, s2);
	ASSERT_EQ(0, lib_take_now(&self->mb, &c1));
	ASSERT_EQ(0, lib_take_now(&self->mb, &c2));
	ASSERT_EQ(0, lib_answer(&self->mb, &c1, 0, "r1"));
	ASSERT_EQ(0, lib_answer(&self->mb, &c2, 0, "r2"));
	memset(&reply, 0xcc, sizeof(reply));
	ASSERT_EQ(0, mailbox_collect(&self->mb, &(struct mbx_call){ .slot = s2, .call_id = id2 }, MBX_WAIT_NONBLOCK, 0,
				     &reply));
	EXPECT_EQ(id2, reply.call_id);
	EXPECT_EQ(2, reply.opcode);
	EXPECT_STREQ("r2", (char *)mailbox_reply_plane(&self->mb, s2));
	ASSERT_EQ(0, mailbox_collect(&self->mb, NULL,
				     MBX_WAIT_NONBLOCK, 0, &reply));
	EXPECT_EQ(id1, reply.call_id);
}

TEST_F(lib, collect_waits_for_the_reply)
{
	struct mailbox callee;
	struct lib_later l = { .mb = &callee, .delay_ms = 50, .status = -EIO };
	struct mbx_call reply;
	pthread_t thr;
	uint64_t id;
	int slot;

	ASSERT_EQ(0, lib_open_again(self->name, &callee,
				    MBX_ACCESS_READ | MBX_ACCESS_WRITE));
	slot = lib_start_call(&self->mb, 1, "wait", 0, &id);
	ASSERT_LE(0, slot);
	pthread_create(&thr, NULL, lib_complete_later, &l);
	ASSERT_EQ(0, mailbox_collect(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }, MBX_WAIT_TIMEOUT,
				     mailbox_deadline(5 * MBX_SEC_NS), &reply));
	pthread_join(thr, NULL);
	EXPECT_EQ(0, l.ret);
	EXPECT_EQ(-EIO, reply.status);
	EXPECT_EQ(0, mailbox_close(&callee));
}

TEST_F(lib, collect_unknown_flag)
{
	struct mbx_call reply;

	EXPECT_EQ(-EINVAL, mailbox_collect(&self->mb, NULL,
					   MBX_COLLECT_CALL << 1, 0, &reply));
}

TEST_F(lib, collect_slot_out_of_range)
{
	struct mbx_call reply;

	EXPECT_EQ(-EINVAL, mailbox_collect(&self->mb, &(struct mbx_call){ .slot = LIB_NSLOTS, .call_id = 1 },
					   MBX_WAIT_NONBLOCK, 0, &reply));
}

TEST_F(lib, collect_another_call_id)
{
	struct mbx_call reply;
	uint64_t id;
	int slot;

	slot = lib_start_call(&self->mb, 1, "x", 0, &id);
	ASSERT_LE(0, slot);
	EXPECT_EQ(-ESTALE, mailbox_collect(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id + 1 },
					   MBX_WAIT_NONBLOCK, 0, &reply));
}

TEST_F(lib, collect_call_id_zero)
{
	struct mbx_call reply;

	EXPECT_EQ(-ESTALE, mailbox_collect(&self->mb, &(struct mbx_call){ .slot = 0, .call_id = 0 }, MBX_WAIT_NONBLOCK,
					   0, &reply));
}

TEST_F(lib, collect_the_call_of_a_live_caller)
{
	struct mbx_call reply;
	struct mailbox mb;
	uint64_t id;
	int slot;

	ASSERT_EQ(0, lib_open_again(self->name, &mb,
				    MBX_ACCESS_READ | MBX_ACCESS_WRITE));
	slot = lib_start_call(&self->mb, 1, "mine", 0, &id);
	ASSERT_LE(0, slot);
	EXPECT_EQ(-EBUSY, mailbox_collect(&mb, &(struct mbx_call){ .slot = slot, .call_id = id }, MBX_WAIT_NONBLOCK, 0,
					  &reply));
	EXPECT_EQ(0, mailbox_close(&mb));
}

TEST_F(lib, collect_twice)
{
	struct mbx_call call, reply;
	uint64_t id;
	int slot;

	slot = lib_start_call(&self->mb, 1, "once", 0, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, lib_take_now(&self->mb, &call));
	ASSERT_EQ(0, lib_answer(&self->mb, &call, 0, ""));
	ASSERT_EQ(0, mailbox_collect(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }, MBX_WAIT_NONBLOCK, 0,
				     &reply));
	EXPECT_EQ(-EALREADY, mailbox_collect(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id },
					     MBX_WAIT_NONBLOCK, 0, &reply));
}

TEST_F(lib, collect_nothing_nonblock)
{
	struct mbx_call reply;

	EXPECT_EQ(-EAGAIN, mailbox_collect(&self->mb, NULL,
					   MBX_WAIT_NONBLOCK, 0, &reply));
}

TEST_F(lib, collect_a_pending_call_nonblock)
{
	struct mbx_call reply;
	uint64_t id;
	int slot;

	slot = lib_start_call(&self->mb, 1, "not yet", 0, &id);
	ASSERT_LE(0, slot);
	EXPECT_EQ(-EAGAIN, mailbox_collect(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id },
					   MBX_WAIT_NONBLOCK, 0, &reply));
}

TEST_F(lib, collect_times_out)
{
	struct mbx_call reply;
	uint64_t deadline = mailbox_deadline(20 * MBX_MSEC_NS);

	EXPECT_EQ(-ETIMEDOUT, mailbox_collect(&self->mb, NULL,
					      MBX_WAIT_TIMEOUT, deadline,
					      &reply));
	EXPECT_LE(deadline, mbx_now_ns());
}

TEST_F(lib, collect_interrupted)
{
	struct mbx_call reply;
	struct lib_poke p;
	pthread_t thr;

	lib_poke_me(&thr, &p, 0);
	EXPECT_EQ(-EINTR, mailbox_collect(&self->mb, NULL,
					  MBX_WAIT_TIMEOUT,
					  mailbox_deadline(5 * MBX_SEC_NS), &reply));
	pthread_join(thr, NULL);
	EXPECT_EQ(1, lib_signals_seen);
}

TEST_F(lib, collect_adopts_the_call_of_a_gone_caller)
{
	struct mbx_call call, reply;
	struct child_msg c;

	c = lib_run_child(self->name, CHILD_CALLS, 0, 0, 0);
	ASSERT_EQ(0, c.ret);
	ASSERT_EQ(0, lib_take_now(&self->mb, &call));
	EXPECT_EQ(c.call_id, call.call_id);
	ASSERT_EQ(0, lib_answer(&self->mb, &call, 0, "for whom"));
	ASSERT_EQ(0, mailbox_collect(&self->mb, &(struct mbx_call){ .slot = c.slot, .call_id = c.call_id },
				     MBX_WAIT_NONBLOCK, 0, &reply));
	EXPECT_EQ(MBX_CALL_CALLER_GONE | MBX_CALL_ADOPTED, reply.flags);
	EXPECT_STREQ("for whom", (char *)mailbox_reply_plane(&self->mb,
							     c.slot));
}

/* ------------------------------------------------------------------ */
/* mailbox_submit_collect                                               */

TEST_F(lib, submit_collect_returns_the_reply_of_its_call)
{
	struct mailbox callee;
	struct lib_later l = { .mb = &callee, .delay_ms = 50, .status = -EIO };
	uint64_t id = 0xcccccccccccccccc;
	struct mbx_call reply;
	struct mbx_slot_info info;
	pthread_t thr;

	ASSERT_EQ(0, lib_open_again(self->name, &callee,
				    MBX_ACCESS_READ | MBX_ACCESS_WRITE));
	ASSERT_EQ(2, mailbox_acquire(&self->mb, 2, MBX_WAIT_NONBLOCK, 0, NULL));
	strcpy(mailbox_call_plane(&self->mb, 2), "both");
	pthread_create(&thr, NULL, lib_complete_later, &l);
	memset(&reply, 0xcc, sizeof(reply));
	ASSERT_EQ(0, t_submit_collect(&self->mb, 2, 33, 5, 0xbeef, 0, 0,
					    &id, &reply));
	pthread_join(thr, NULL);
	EXPECT_EQ(0, l.ret);
	EXPECT_LT(0, id);
	EXPECT_NE(0xcccccccccccccccc, id);
	EXPECT_EQ(id, reply.call_id);
	EXPECT_EQ(0xbeef, reply.user_data);
	EXPECT_EQ(2, reply.slot);
	EXPECT_EQ(33, reply.opcode);
	EXPECT_EQ(0, reply.len);
	EXPECT_EQ(-EIO, reply.status);
	EXPECT_EQ(0, reply.flags);
	EXPECT_EQ(1, reply.delivery);
	/* OWNED by us again: the next call may be written in it. */
	ASSERT_EQ(1, mailbox_slot_info(&self->mb, 2, 1, &info));
	EXPECT_EQ(MBX_STATE_OWNED, info.state);
	EXPECT_EQ((uint32_t)getpid(), info.owner_pid);
	EXPECT_EQ(0, mailbox_release(&self->mb, 2));
	EXPECT_EQ(0, mailbox_close(&callee));
}

TEST_F(lib, submit_collect_returns_an_earlier_reply_first)
{
	uint64_t id1, id2 = 0xcccccccccccccccc;
	struct mbx_call call, reply;
	struct mbx_slot_info info[2];
	int s1, s2;

	s1 = lib_start_call(&self->mb, 1, "first", 0, &id1);
	ASSERT_LE(0, s1);
	ASSERT_EQ(0, lib_take_now(&self->mb, &call));
	ASSERT_EQ(0, lib_answer(&self->mb, &call, 0, "first back"));
	s2 = mailbox_acquire(&self->mb, 0, MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK, 0,
			     NULL);
	ASSERT_LE(0, s2);
	ASSERT_NE(s1, s2);
	memset(&reply, 0xcc, sizeof(reply));
	ASSERT_EQ(0, t_submit_collect(&self->mb, s2, 2, 0, 7,
					    MBX_CALL_AT_MOST_ONCE |
					    MBX_WAIT_TIMEOUT,
					    mailbox_deadline(5 * MBX_SEC_NS), &id2,
					    &reply));
	/* The answered call comes back; the new one is submitted. */
	EXPECT_EQ(id1, reply.call_id);
	EXPECT_EQ(0x5eed, reply.user_data);
	EXPECT_EQ(s1, reply.slot);
	EXPECT_EQ(1, reply.opcode);
	EXPECT_EQ(11, reply.len);
	EXPECT_EQ(0, reply.status);
	EXPECT_EQ(0, reply.flags);
	EXPECT_EQ(1, reply.delivery);
	EXPECT_STREQ("first back", (char *)mailbox_reply_plane(&self->mb, s1));
	EXPECT_LT(id1, id2);
	ASSERT_EQ(1, mailbox_slot_info(&self->mb, s1, 1, &info[0]));
	EXPECT_EQ(MBX_STATE_OWNED, info[0].state);
	ASSERT_EQ(1, mailbox_slot_info(&self->mb, s2, 1, &info[1]));
	EXPECT_EQ(MBX_STATE_PENDING, info[1].state);
	EXPECT_EQ(id2, info[1].call_id);
	EXPECT_EQ(2, info[1].opcode);
	EXPECT_EQ(7, info[1].user_data);
	EXPECT_EQ(MBX_CALL_AT_MOST_ONCE, info[1].flags);
}

TEST_F(lib, submit_collect_without_an_id_pointer)
{
	struct mbx_call call, reply;
	int slot;

	slot = lib_start_call(&self->mb, 1, "x", 0, NULL);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, lib_take_now(&self->mb, &call));
	ASSERT_EQ(0, lib_answer(&self->mb, &call, 0, ""));
	ASSERT_EQ(3, mailbox_acquire(&self->mb, 3, MBX_WAIT_NONBLOCK, 0, NULL));
	memset(&reply, 0xcc, sizeof(reply));
	EXPECT_EQ(0, t_submit_collect(&self->mb, 3, 1, 0, 0, 0, 0, NULL,
					    &reply));
	EXPECT_EQ(call.call_id, reply.call_id);
}

TEST_F(lib, submit_collect_times_out_leaving_the_call_submitted)
{
	uint64_t deadline = mailbox_deadline(20 * MBX_MSEC_NS);
	uint64_t id = 0xcccccccccccccccc;
	struct mbx_call call, reply;
	struct mbx_slot_info info;

	ASSERT_EQ(1, mailbox_acquire(&self->mb, 1, MBX_WAIT_NONBLOCK, 0, NULL));
	EXPECT_EQ(-ETIMEDOUT, t_submit_collect(&self->mb, 1, 4, 0, 0,
						     MBX_WAIT_TIMEOUT,
						     deadline, &id, &reply));
	EXPECT_LE(deadline, mbx_now_ns());
	ASSERT_EQ(1, mailbox_slot_info(&self->mb, 1, 1, &info));
	EXPECT_EQ(MBX_STATE_PENDING, info.state);
	EXPECT_EQ(info.call_id, id);
	/* Still ours to collect. */
	ASSERT_EQ(0, lib_take_now(&self->mb, &call));
	EXPECT_EQ(id, call.call_id);
	ASSERT_EQ(0, lib_answer(&self->mb, &call, 0, "late"));
	ASSERT_EQ(0, mailbox_collect(&self->mb, &(struct mbx_call){ .slot = 1, .call_id = id }, MBX_WAIT_NONBLOCK, 0,
				     &reply));
	EXPECT_EQ(id, reply.call_id);
}

/* A signal ends the wait, SA_RESTART or not; the call stays submitted. */
static void submit_collect_interrupted(struct __test_metadata *_metadata,
				       struct mailbox *mb, int restart)
{
	uint64_t id = 0xcccccccccccccccc;
	struct mbx_call call, reply;
	struct mbx_slot_info info;
	struct lib_poke p;
	pthread_t thr;

	ASSERT_EQ(0, mailbox_acquire(mb, 0, MBX_WAIT_NONBLOCK, 0, NULL));
	lib_poke_me(&thr, &p, restart);
	EXPECT_EQ(-EINTR, t_submit_collect(mb, 0, 5, 0, 0,
						 MBX_WAIT_TIMEOUT,
						 mailbox_deadline(5 * MBX_SEC_NS),
						 &id, &reply));
	pthread_join(thr, NULL);
	EXPECT_EQ(1, lib_signals_seen);
	ASSERT_EQ(1, mailbox_slot_info(mb, 0, 1, &info));
	EXPECT_EQ(MBX_STATE_PENDING, info.state);
	EXPECT_EQ(info.call_id, id);
	/* Submitted once: one call is pending, and it is collected. */
	ASSERT_EQ(0, lib_take_now(mb, &call));
	EXPECT_EQ(id, call.call_id);
	EXPECT_EQ(-EAGAIN, lib_take_now(mb, &reply));
	ASSERT_EQ(0, lib_answer(mb, &call, 0, "after"));
	ASSERT_EQ(0, mailbox_collect(mb, &(struct mbx_call){ .slot = 0, .call_id = id }, MBX_WAIT_NONBLOCK, 0, &reply));
	EXPECT_EQ(id, reply.call_id);
}

TEST_F(lib, submit_collect_interrupted)
{
	submit_collect_interrupted(_metadata, &self->mb, 0);
}

TEST_F(lib, submit_collect_interrupted_with_sa_restart_is_not_restarted)
{
	submit_collect_interrupted(_metadata, &self->mb, 1);
}

/* A rejected call submits nothing: *call_id is 0 and the slot still ours. */
static void submit_collect_rejected(struct __test_metadata *_metadata,
				    struct mailbox *mb, uint32_t slot,
				    uint32_t len, uint32_t flags,
				    uint64_t timeout_ns, int err)
{
	uint64_t id = 0xcccccccccccccccc;
	struct mbx_slot_info info;
	struct mbx_call reply;

	memset(&reply, 0xcc, sizeof(reply));
	EXPECT_EQ(-err, t_submit_collect(mb, slot, 1, len, 0, flags,
					       timeout_ns, &id, &reply));
	EXPECT_EQ(0, id);
	EXPECT_EQ(0xcccccccccccccccc, reply.call_id);
	ASSERT_EQ(1, mailbox_slot_info(mb, 0, 1, &info));
	EXPECT_EQ(MBX_STATE_OWNED, info.state);
	EXPECT_EQ(0, info.call_id);
}

TEST_F(lib, submit_collect_unknown_flag)
{
	ASSERT_EQ(0, mailbox_acquire(&self->mb, 0, MBX_WAIT_NONBLOCK, 0, NULL));
	submit_collect_rejected(_metadata, &self->mb, 0, 0,
				MBX_WAIT_TIMEOUT << 1, 0, EINVAL);
}

TEST_F(lib, submit_collect_both_wait_flags)
{
	struct mbx_call call = { .opcode = 1 }, reply;
	struct mbx_slot_info info;

	memset(&reply, 0xcc, sizeof(reply));
	ASSERT_EQ(0, mailbox_acquire(&self->mb, 0, MBX_WAIT_NONBLOCK, 0, NULL));
	EXPECT_EQ(-EINVAL, mailbox_submit_collect(&self->mb, &call,
						  MBX_WAIT_TIMEOUT |
						  MBX_WAIT_NONBLOCK,
						  mailbox_deadline(MBX_SEC_NS),
						  &reply));
	EXPECT_EQ(0, call.call_id);
	EXPECT_EQ(0xcccccccccccccccc, reply.call_id);
	ASSERT_EQ(1, mailbox_slot_info(&self->mb, 0, 1, &info));
	EXPECT_EQ(MBX_STATE_OWNED, info.state);
}

/* Without waiting: the call is submitted, then nothing is there yet. */
TEST_F(lib, submit_collect_nonblock_submits_then_eagain)
{
	struct mbx_call call = { .opcode = 4, .len = 2, .user_data = 9 };
	struct mbx_call reply, taken;

	memset(&reply, 0xcc, sizeof(reply));
	ASSERT_EQ(0, mailbox_acquire(&self->mb, 0, MBX_WAIT_NONBLOCK, 0, NULL));
	EXPECT_EQ(-EAGAIN, mailbox_submit_collect(&self->mb, &call,
						  MBX_WAIT_NONBLOCK, 0,
						  &reply));
	EXPECT_NE(0, call.call_id);
	EXPECT_EQ(0xcccccccccccccccc, reply.call_id);
	ASSERT_EQ(0, lib_take_now(&self->mb, &taken));
	EXPECT_EQ(call.call_id, taken.call_id);
	EXPECT_EQ(9, taken.user_data);
}

/* The reply may land in the struct that described the call. */
TEST_F(lib, submit_collect_into_the_same_struct)
{
	struct mbx_call call = { .opcode = 4, .len = 2, .user_data = 9 };
	struct mbx_call taken;
	uint64_t first;

	ASSERT_EQ(0, mailbox_acquire(&self->mb, 0, MBX_WAIT_NONBLOCK, 0, NULL));
	EXPECT_EQ(-EAGAIN, mailbox_submit_collect(&self->mb, &call,
						  MBX_WAIT_NONBLOCK, 0, &call));
	first = call.call_id;
	ASSERT_EQ(0, lib_take_now(&self->mb, &taken));
	ASSERT_EQ(0, lib_answer(&self->mb, &taken, 0, "ok"));
	call.slot = 1;
	ASSERT_EQ(1, mailbox_acquire(&self->mb, 1, MBX_WAIT_NONBLOCK, 0, NULL));
	EXPECT_EQ(0, mailbox_submit_collect(&self->mb, &call, 0, 0, &call));
	EXPECT_EQ(first, call.call_id);
	EXPECT_EQ(0, call.slot);
	EXPECT_EQ(3, call.len);
}

/* complete_take: answer and take into one struct, in a loop. */
TEST_F(lib, complete_take_into_the_same_struct)
{
	struct mbx_call call = { 0 };
	uint64_t id1, id2;

	ASSERT_LE(0, lib_start_call(&self->mb, 1, "a", 0, &id1));
	ASSERT_LE(0, lib_start_call(&self->mb, 1, "b", 0, &id2));
	EXPECT_EQ(0, mailbox_complete_take(&self->mb, &call, 0, 0,
					   MBX_WAIT_NONBLOCK, 0, &call));
	EXPECT_EQ(id1, call.call_id);
	EXPECT_EQ(MBX_TAKEN_DONE, mailbox_complete_take(&self->mb, &call, 0, 1,
							MBX_WAIT_NONBLOCK, 0,
							&call));
	EXPECT_EQ(id2, call.call_id);
	/* Nothing left: answered all the same, and said so in call_id. */
	EXPECT_EQ(-EAGAIN, mailbox_complete_take(&self->mb, &call, 0, 1,
						 MBX_WAIT_NONBLOCK, 0, &call));
	EXPECT_EQ(0, call.call_id);
	EXPECT_EQ(-EAGAIN, mailbox_complete_take(&self->mb, &call, 0, 1,
						 MBX_WAIT_NONBLOCK, 0, &call));
}

TEST_F(lib, acquire_call_flag_refused)
{
	EXPECT_EQ(-EINVAL, mailbox_acquire(&self->mb, 0, MBX_ACQUIRE_CALL, 0,
					   NULL));
}

TEST_F(lib, collect_call_flag_refused)
{
	struct mbx_call reply;

	EXPECT_EQ(-EINVAL, mailbox_collect(&self->mb, NULL, MBX_COLLECT_CALL |
					   MBX_WAIT_NONBLOCK, 0, &reply));
}

TEST_F(lib, deadline_is_monotonic_now_plus)
{
	struct timespec ts;
	uint64_t a, b, now;

	a = mailbox_deadline(0);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * MBX_SEC_NS + ts.tv_nsec;
	b = mailbox_deadline(5 * MBX_SEC_NS);
	EXPECT_LE(a, now);
	EXPECT_LE(now + 5 * MBX_SEC_NS, b);
	EXPECT_GT(now + 6 * MBX_SEC_NS, b);
}

/*
 * mailbox_deadline() is a function with external linkage, not a static
 * inline of the header: this redeclaration does not compile otherwise.
 */
extern uint64_t mailbox_deadline(uint64_t rel_ns);

TEST_F(lib, deadline_is_an_external_function)
{
	uint64_t (*fn)(uint64_t) = mailbox_deadline;
	uint64_t a, b;

	a = fn(0);
	b = fn(0);
	EXPECT_LE(a, b);
	EXPECT_LT(0, a);
}

/*
 * The usual callee loop: one struct is both the call answered and the next
 * one taken, until nothing is left. Each call is answered exactly once.
 */
TEST_F(lib, complete_take_loop_in_one_struct)
{
	struct mbx_call c = { 0 }, reply;
	uint64_t ids[LIB_NSLOTS];
	int slots[LIB_NSLOTS], i, n = 0, ret;

	for (i = 0; i < LIB_NSLOTS; i++) {
		slots[i] = lib_start_call(&self->mb, 10 + i, "loop", 0, &ids[i]);
		ASSERT_LE(0, slots[i]);
	}
	for (;;) {
		ret = mailbox_complete_take(&self->mb, &c, -n, 0,
					    MBX_WAIT_NONBLOCK, 0, &c);
		if (ret < 0)
			break;
		/* The first round only takes; every later one answers. */
		EXPECT_EQ(n ? MBX_TAKEN_DONE : 0, ret);
		ASSERT_GT(LIB_NSLOTS, n);
		EXPECT_EQ(ids[n], c.call_id);
		EXPECT_EQ(10 + n, c.opcode);
		n++;
	}
	EXPECT_EQ(-EAGAIN, ret);
	EXPECT_EQ(LIB_NSLOTS, n);
	/* The last call was answered before the wait failed. */
	EXPECT_EQ(0, c.call_id);
	for (i = 0; i < LIB_NSLOTS; i++) {
		memset(&reply, 0xcc, sizeof(reply));
		ASSERT_EQ(0, mailbox_collect(&self->mb,
				&(struct mbx_call){ .slot = slots[i],
						    .call_id = ids[i] },
				MBX_WAIT_NONBLOCK, 0, &reply));
		EXPECT_EQ(ids[i], reply.call_id);
		/* Answered with the status of the round that took the next. */
		EXPECT_EQ(-(i + 1), reply.status);
	}
	EXPECT_EQ(-EAGAIN, mailbox_collect(&self->mb, NULL, MBX_WAIT_NONBLOCK,
					   0, &reply));
}

/*
 * Separate done and next: done->call_id is 0 once answered even though
 * the wait then fails, next is left alone, and a retry only takes.
 */
TEST_F(lib, complete_take_zeroes_done_when_the_wait_fails)
{
	struct mbx_call done, next, reply;
	struct mbx_slot_info info;
	uint64_t id;
	int slot;

	slot = lib_start_call(&self->mb, 1, "once", 0, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, lib_take_now(&self->mb, &done));
	ASSERT_EQ(id, done.call_id);
	memset(&next, 0xcc, sizeof(next));
	EXPECT_EQ(-EAGAIN, mailbox_complete_take(&self->mb, &done, -EIO, 0,
						 MBX_WAIT_NONBLOCK, 0, &next));
	EXPECT_EQ(0, done.call_id);
	EXPECT_EQ((uint32_t)slot, done.slot);
	EXPECT_EQ(0xcccccccccccccccc, next.call_id);
	ASSERT_EQ(1, mailbox_slot_info(&self->mb, slot, 1, &info));
	EXPECT_EQ(MBX_STATE_REPLIED, info.state);
	/* The retry answers nothing: only the take, which finds nothing. */
	EXPECT_EQ(-EAGAIN, mailbox_complete_take(&self->mb, &done, -EIO, 0,
						 MBX_WAIT_NONBLOCK, 0, &next));
	EXPECT_EQ(0, done.call_id);
	ASSERT_EQ(0, mailbox_collect(&self->mb,
				     &(struct mbx_call){ .slot = slot,
							 .call_id = id },
				     MBX_WAIT_NONBLOCK, 0, &reply));
	EXPECT_EQ(-EIO, reply.status);
}

/* collect of one call into the struct that names it. */
TEST_F(lib, collect_into_the_struct_that_names_the_call)
{
	struct mbx_call c, taken;
	uint64_t id;
	int slot;

	slot = lib_start_call(&self->mb, 7, "which", 0, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, lib_take_now(&self->mb, &taken));
	ASSERT_EQ(0, lib_answer(&self->mb, &taken, -ENOENT, "it"));
	memset(&c, 0xcc, sizeof(c));
	c.slot = slot;
	c.call_id = id;
	ASSERT_EQ(0, mailbox_collect(&self->mb, &c, MBX_WAIT_NONBLOCK, 0, &c));
	EXPECT_EQ((uint32_t)slot, c.slot);
	EXPECT_EQ(id, c.call_id);
	EXPECT_EQ(7, c.opcode);
	EXPECT_EQ(-ENOENT, c.status);
	EXPECT_EQ(3, c.len);
	EXPECT_EQ(0x5eed, c.user_data);
	EXPECT_STREQ("it", (char *)mailbox_reply_plane(&self->mb, slot));
}

/* Refused by the library: the pending call is not taken back. */
TEST_F(lib, acquire_call_flag_refused_on_a_pending_call)
{
	struct mbx_slot_info info;
	uint64_t id;
	int slot;

	slot = lib_start_call(&self->mb, 1, "stay", 0, &id);
	ASSERT_LE(0, slot);
	EXPECT_EQ(-EINVAL, mailbox_acquire(&self->mb, slot, MBX_ACQUIRE_CALL,
					   0, NULL));
	ASSERT_EQ(1, mailbox_slot_info(&self->mb, slot, 1, &info));
	EXPECT_EQ(MBX_STATE_PENDING, info.state);
	EXPECT_EQ(id, info.call_id);
}

/* MBX_COLLECT_CALL is the library's to set, with a call named too. */
TEST_F(lib, collect_call_flag_refused_with_a_call)
{
	struct mbx_call taken, reply;
	uint64_t id;
	int slot;

	slot = lib_start_call(&self->mb, 1, "named", 0, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, lib_take_now(&self->mb, &taken));
	ASSERT_EQ(0, lib_answer(&self->mb, &taken, 0, "r"));
	memset(&reply, 0xcc, sizeof(reply));
	EXPECT_EQ(-EINVAL, mailbox_collect(&self->mb,
				&(struct mbx_call){ .slot = slot,
						    .call_id = id },
				MBX_COLLECT_CALL | MBX_WAIT_NONBLOCK, 0,
				&reply));
	EXPECT_EQ(0xcccccccccccccccc, reply.call_id);
	/* Nothing was collected. */
	ASSERT_EQ(0, mailbox_collect(&self->mb, NULL, MBX_WAIT_NONBLOCK, 0,
				     &reply));
	EXPECT_EQ(id, reply.call_id);
}

/* submit_collect writes call_id when the wait times out, too. */
TEST_F(lib, submit_collect_timed_out_writes_the_call_id)
{
	struct mbx_call call = { .slot = 2, .opcode = 5 }, reply, taken;

	memset(&reply, 0xcc, sizeof(reply));
	ASSERT_EQ(2, mailbox_acquire(&self->mb, 2, MBX_WAIT_NONBLOCK, 0, NULL));
	EXPECT_EQ(-ETIMEDOUT, mailbox_submit_collect(&self->mb, &call,
						     MBX_WAIT_TIMEOUT,
						     mailbox_deadline(MBX_MSEC_NS),
						     &reply));
	EXPECT_NE(0, call.call_id);
	EXPECT_EQ(0xcccccccccccccccc, reply.call_id);
	ASSERT_EQ(0, lib_take_now(&self->mb, &taken));
	EXPECT_EQ(call.call_id, taken.call_id);
}

TEST_F(lib, submit_collect_timeout_without_its_flag)
{
	ASSERT_EQ(0, mailbox_acquire(&self->mb, 0, MBX_WAIT_NONBLOCK, 0, NULL));
	submit_collect_rejected(_metadata, &self->mb, 0, 0, 0,
				mailbox_deadline(MBX_SEC_NS), EINVAL);
}

TEST_F(lib, submit_collect_slot_out_of_range)
{
	ASSERT_EQ(0, mailbox_acquire(&self->mb, 0, MBX_WAIT_NONBLOCK, 0, NULL));
	submit_collect_rejected(_metadata, &self->mb, LIB_NSLOTS, 0, 0, 0, EINVAL);
}

TEST_F(lib, submit_collect_the_whole_slot)
{
	struct mbx_call call, reply;
	uint64_t id;

	ASSERT_EQ(0, mailbox_acquire(&self->mb, 0, MBX_WAIT_NONBLOCK, 0, NULL));
	EXPECT_EQ(-ETIMEDOUT, t_submit_collect(&self->mb, 0, 1, LIB_SLOT_SIZE,
					       0, MBX_WAIT_TIMEOUT,
					       mailbox_deadline(MBX_MSEC_NS),
					       &id, &reply));
	ASSERT_EQ(0, lib_take_now(&self->mb, &call));
	EXPECT_EQ(id, call.call_id);
	EXPECT_EQ(LIB_SLOT_SIZE, call.len);
}

TEST_F(lib, submit_collect_beyond_the_slot)
{
	ASSERT_EQ(0, mailbox_acquire(&self->mb, 0, MBX_WAIT_NONBLOCK, 0, NULL));
	submit_collect_rejected(_metadata, &self->mb, 0, LIB_SLOT_SIZE + 1, 0, 0,
				EMSGSIZE);
}

TEST_F(lib, submit_collect_a_slot_not_mine)
{
	uint64_t id = 0xcccccccccccccccc;
	struct mbx_call reply;

	EXPECT_EQ(-EPERM, t_submit_collect(&self->mb, 0, 1, 0, 0, 0, 0,
						 &id, &reply));
	EXPECT_EQ(0, id);
}

TEST_F(lib, submit_collect_read_only)
{
	uint64_t id = 0xcccccccccccccccc;
	struct mbx_call reply;
	struct mailbox mb;

	ASSERT_EQ(0, lib_open_again(self->name, &mb, MBX_ACCESS_READ));
	EXPECT_EQ(-EBADF, t_submit_collect(&mb, 0, 1, 0, 0, 0, 0, &id,
						 &reply));
	EXPECT_EQ(0, id);
	EXPECT_EQ(0, mailbox_close(&mb));
}

/* ------------------------------------------------------------------ */
/* mailbox_release                                                      */

TEST_F(lib, release_an_owned_slot)
{
	struct mbx_slot_info info;

	ASSERT_EQ(1, mailbox_acquire(&self->mb, 1, MBX_WAIT_NONBLOCK, 0, NULL));
	ASSERT_EQ(0, mailbox_release(&self->mb, 1));
	ASSERT_EQ(1, mailbox_slot_info(&self->mb, 1, 1, &info));
	EXPECT_EQ(MBX_STATE_FREE, info.state);
}

TEST_F(lib, release_slot_out_of_range)
{
	EXPECT_EQ(-EINVAL, mailbox_release(&self->mb, LIB_NSLOTS));
}

TEST_F(lib, release_a_slot_not_mine)
{
	EXPECT_EQ(-EPERM, mailbox_release(&self->mb, 0));
}

/* ------------------------------------------------------------------ */
/* Arguments the kernel checks for every wait                           */

TEST_F(lib, acquire_both_wait_flags)
{
	EXPECT_EQ(-EINVAL, mailbox_acquire(&self->mb, 0,
					   MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK | MBX_WAIT_TIMEOUT,
					   mailbox_deadline(MBX_SEC_NS), NULL));
}

TEST_F(lib, acquire_timeout_without_its_flag)
{
	EXPECT_EQ(-EINVAL, mailbox_acquire(&self->mb, 0,
					   MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK,
					   mailbox_deadline(MBX_SEC_NS), NULL));
}


TEST_F(lib, collect_both_wait_flags)
{
	struct mbx_call reply;

	EXPECT_EQ(-EINVAL, mailbox_collect(&self->mb, NULL,
					   MBX_WAIT_NONBLOCK | MBX_WAIT_TIMEOUT,
					   mailbox_deadline(MBX_SEC_NS), &reply));
}

TEST_F(lib, collect_timeout_without_its_flag)
{
	struct mbx_call reply;

	EXPECT_EQ(-EINVAL, mailbox_collect(&self->mb, NULL,
					   MBX_WAIT_NONBLOCK,
					   mailbox_deadline(MBX_SEC_NS), &reply));
}

/*
 * The call path costs exactly one ioctl per function, and nothing else:
 * count the system calls of a traced child between two markers.
 */
static void traced_calls(const char *name)
{
	struct mailbox mb;
	struct mbx_call call;
	uint64_t id;
	int slot, other;

	uint64_t deadline;

	if (mailbox_open(&mb, name, MBX_ACCESS_READ | MBX_ACCESS_WRITE, 0))
		_exit(2);
	/* Outside the markers: without a vDSO clock this is a syscall. */
	deadline = mailbox_deadline(MBX_SEC_NS);
	raise(SIGSTOP);
	syscall(SYS_getppid);			/* start marker */
	slot = mailbox_acquire(&mb, 0, MBX_ACQUIRE_ANY | MBX_WAIT_TIMEOUT,
			       deadline, NULL);
	t_submit(&mb, slot, 1, 0, 0, 0, &id);
	mailbox_take(&mb, MBX_WAIT_NONBLOCK, 0, &call);
	mailbox_complete(&mb, &(struct mbx_call){ .slot = call.slot, .call_id = call.call_id }, 0, 0);
	mailbox_collect(&mb, NULL, 0, 0, &call);
	t_submit(&mb, slot, 1, 0, 0, 0, &id);
	mailbox_take(&mb, MBX_WAIT_NONBLOCK, 0, &call);
	t_complete_take(&mb, call.slot, call.call_id, 0, 0,
			      MBX_WAIT_NONBLOCK, 0, &call, NULL);
	mailbox_collect(&mb, &(struct mbx_call){ .slot = slot, .call_id = id }, 0, 0, &call);
	t_submit(&mb, slot, 1, 0, 0, 0, &id);
	mailbox_revoke(&mb, &(struct mbx_call){ .slot = slot, .call_id = id });
	mailbox_cancel(&mb, &(struct mbx_call){ .slot = slot, .call_id = id });
	/* The other slot's call goes; the cancelled one comes back. */
	other = mailbox_acquire(&mb, 0, MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK, 0,
				NULL);
	t_submit_collect(&mb, other, 1, 0, 0, 0, 0, &id, &call);
	mailbox_release(&mb, slot);
	syscall(SYS_getppid);			/* end marker */
	_exit(0);
}

TEST(call_path_is_one_ioctl_per_function)
{
	static const unsigned long expected[] = {
		MBX_IOC_SLOT_ACQUIRE, MBX_IOC_CALL_SUBMIT, MBX_IOC_CALL_TAKE,
		MBX_IOC_CALL_COMPLETE, MBX_IOC_CALL_COLLECT,
		MBX_IOC_CALL_SUBMIT, MBX_IOC_CALL_TAKE, MBX_IOC_CALL_TAKE,
		MBX_IOC_CALL_COLLECT, MBX_IOC_CALL_SUBMIT,
		MBX_IOC_SLOT_ACQUIRE, MBX_IOC_CALL_CANCEL,
		MBX_IOC_SLOT_ACQUIRE, MBX_IOC_CALL_SUBMIT,
		MBX_IOC_SLOT_RELEASE,
	};
	unsigned long seen[64];
	char name[MBX_NAME_MAX];
	struct mailbox mb;
	int status, n = 0, others = 0, started = 0;
	unsigned int i;
	pid_t pid;

	SKIP_IF_NO_DEVICE();
	mbx_unique_name(name, "traced");
	ASSERT_EQ(0, mailbox_create(&mb, name, 2, 64, 0600, 0, 0));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
			_exit(3);
		traced_calls(name);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSTOPPED(status));
	ASSERT_EQ(0, ptrace(PTRACE_SETOPTIONS, pid, NULL,
			    (void *)PTRACE_O_TRACESYSGOOD));
	for (;;) {
		struct __ptrace_syscall_info si;

		ASSERT_EQ(0, ptrace(PTRACE_SYSCALL, pid, NULL, NULL));
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		if (WIFEXITED(status))
			break;
		ASSERT_TRUE(WIFSTOPPED(status));
		if (WSTOPSIG(status) != (SIGTRAP | 0x80))
			continue;
		ASSERT_LT(0, ptrace(PTRACE_GET_SYSCALL_INFO, pid,
				    (void *)sizeof(si), &si));
		if (si.op != PTRACE_SYSCALL_INFO_ENTRY)
			continue;
		if (si.entry.nr == SYS_getppid) {
			started++;
			continue;
		}
		if (started != 1)
			continue;
		if (si.entry.nr == SYS_ioctl && n < 64)
			seen[n++] = si.entry.args[1];
		else
			others++;
	}
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(2, started);
	EXPECT_EQ(0, others);
	ASSERT_EQ(sizeof(expected) / sizeof(expected[0]), (size_t)n);
	for (i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
		EXPECT_EQ(expected[i], seen[i]);
	EXPECT_EQ(0, mailbox_close(&mb));
	EXPECT_EQ(0, mailbox_destroy(name));
}

TEST_HARNESS_MAIN
