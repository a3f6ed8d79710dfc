// SPDX-License-Identifier: GPL-2.0
/*
 * libmailbox, the callee's side: mailbox_take, complete and complete_take; the
 * waits' arguments: what each function
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
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "mbx_helpers.h"

LIB_FIXTURE(lib)

/* ------------------------------------------------------------------ */
/* mailbox_take                                                         */

TEST_F(lib, take_the_oldest_call)
{
	struct mbx_call call;
	uint64_t id1, id2;
	int s1, s2;

	s1 = lib_start_call(&self->mb, 11, "first", MBX_CALL_AT_MOST_ONCE, &id1);
	s2 = lib_start_call(&self->mb, 12, "second", 0, &id2);
	ASSERT_LE(0, s1);
	ASSERT_LE(0, s2);
	memset(&call, 0xcc, sizeof(call));
	ASSERT_EQ(0, lib_take_now(&self->mb, &call));
	EXPECT_EQ(id1, call.call_id);
	EXPECT_EQ(0x5eed, call.user_data);
	EXPECT_EQ(s1, call.slot);
	EXPECT_EQ(11, call.opcode);
	EXPECT_EQ(6, call.len);
	EXPECT_EQ(0, call.status);
	EXPECT_EQ(MBX_CALL_AT_MOST_ONCE, call.flags);
	EXPECT_EQ(1, call.delivery);
	/* TAKEN: the call plane is ours to read. */
	EXPECT_STREQ("first", (char *)mailbox_call_plane(&self->mb, s1));
	ASSERT_EQ(0, lib_take_now(&self->mb, &call));
	EXPECT_EQ(id2, call.call_id);
}

static void *call_later(void *arg)
{
	struct lib_later *l = arg;

	usleep(l->delay_ms * 1000);
	l->ret = lib_start_call(l->mb, 5, "late", 0, &l->call_id);
	return NULL;
}

TEST_F(lib, take_waits_for_a_call)
{
	struct mailbox caller;
	struct lib_later l = { .mb = &caller, .delay_ms = 50 };
	struct mbx_call call;
	pthread_t thr;

	ASSERT_EQ(0, lib_open_again(self->name, &caller,
				    MBX_ACCESS_READ | MBX_ACCESS_WRITE));
	pthread_create(&thr, NULL, call_later, &l);
	ASSERT_EQ(0, mailbox_take(&self->mb, MBX_WAIT_TIMEOUT,
				  mailbox_deadline(5 * MBX_SEC_NS), &call));
	pthread_join(thr, NULL);
	EXPECT_LE(0, l.ret);
	EXPECT_EQ(l.call_id, call.call_id);
	EXPECT_EQ(0, mailbox_close(&caller));
}

TEST_F(lib, take_unknown_flag)
{
	struct mbx_call call;

	EXPECT_EQ(-EINVAL, mailbox_take(&self->mb, MBX_TAKE_COMPLETE << 1, 0,
					&call));
}

TEST_F(lib, take_read_only)
{
	struct mbx_call call;
	struct mailbox mb;

	ASSERT_EQ(0, lib_open_again(self->name, &mb, MBX_ACCESS_READ));
	EXPECT_EQ(-EBADF, lib_take_now(&mb, &call));
	EXPECT_EQ(0, mailbox_close(&mb));
}

TEST_F(lib, take_nothing_nonblock)
{
	struct mbx_call call;

	EXPECT_EQ(-EAGAIN, lib_take_now(&self->mb, &call));
}

TEST_F(lib, take_times_out)
{
	struct mbx_call call;
	uint64_t deadline = mailbox_deadline(20 * MBX_MSEC_NS);

	EXPECT_EQ(-ETIMEDOUT, mailbox_take(&self->mb, MBX_WAIT_TIMEOUT,
					   deadline, &call));
	EXPECT_LE(deadline, mbx_now_ns());
}

TEST_F(lib, take_interrupted)
{
	struct mbx_call call;
	struct lib_poke p;
	pthread_t thr;

	lib_poke_me(&thr, &p, 0);
	EXPECT_EQ(-EINTR, mailbox_take(&self->mb, MBX_WAIT_TIMEOUT,
				       mailbox_deadline(5 * MBX_SEC_NS), &call));
	pthread_join(thr, NULL);
	EXPECT_EQ(1, lib_signals_seen);
}

TEST_F(lib, take_a_redelivered_call)
{
	struct mbx_call call;
	struct mbx_event ev;
	struct child_msg c;
	unsigned char *p;
	uint64_t id;
	int slot, i;

	slot = lib_start_call(&self->mb, 3, "again", 0, &id);
	ASSERT_LE(0, slot);
	c = lib_run_child(self->name, CHILD_TAKES, 0, 0, 0);
	ASSERT_EQ(0, c.ret);
	ASSERT_EQ(id, c.call_id);
	ASSERT_EQ(0, lib_take_now(&self->mb, &call));
	EXPECT_EQ(id, call.call_id);
	EXPECT_EQ(MBX_CALL_REDELIVERED, call.flags);
	EXPECT_EQ(2, call.delivery);
	EXPECT_STREQ("again", (char *)mailbox_call_plane(&self->mb, slot));
	/* What the dead callee half wrote is gone. */
	p = mailbox_reply_plane(&self->mb, slot);
	for (i = 0; i < LIB_SLOT_SIZE; i++)
		ASSERT_EQ(0, p[i]);
	memset(&ev, 0xcc, sizeof(ev));
	ASSERT_EQ(1, mailbox_events(&self->mb, &ev, 1));
	EXPECT_EQ(MBX_EVENT_CALLEE_DIED, ev.type);
	EXPECT_EQ(slot, ev.slot);
	EXPECT_EQ(id, ev.call_id);
	EXPECT_EQ(0, ev.status);
	EXPECT_EQ(0, ev.__reserved);
}

TEST_F(lib, take_at_most_once_fails_when_the_callee_dies)
{
	struct mbx_call reply;
	struct mbx_event ev;
	struct child_msg c;
	uint64_t id;
	int slot;

	slot = lib_start_call(&self->mb, 3, "once", MBX_CALL_AT_MOST_ONCE, &id);
	ASSERT_LE(0, slot);
	c = lib_run_child(self->name, CHILD_TAKES, 0, 0, 0);
	ASSERT_EQ(0, c.ret);
	ASSERT_EQ(0, mailbox_collect(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }, MBX_WAIT_NONBLOCK, 0,
				     &reply));
	EXPECT_EQ(-EOWNERDEAD, reply.status);
	ASSERT_EQ(1, mailbox_events(&self->mb, &ev, 1));
	EXPECT_EQ(MBX_EVENT_CALLEE_DIED, ev.type);
	EXPECT_EQ(-EOWNERDEAD, ev.status);
}

/* ------------------------------------------------------------------ */
/* mailbox_complete                                                     */

TEST_F(lib, complete_answers_the_call)
{
	struct mbx_call call;
	struct mbx_slot_info info;
	uint64_t id;
	int slot;

	slot = lib_start_call(&self->mb, 1, "q", 0, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, lib_take_now(&self->mb, &call));
	ASSERT_EQ(0, mailbox_complete(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }, -LIB_MAX_ERRNO,
				      LIB_SLOT_SIZE));
	ASSERT_EQ(1, mailbox_slot_info(&self->mb, slot, 1, &info));
	EXPECT_EQ(MBX_STATE_REPLIED, info.state);
	EXPECT_EQ(-LIB_MAX_ERRNO, info.status);
	EXPECT_EQ(LIB_SLOT_SIZE, info.reply_len);
}

TEST_F(lib, complete_slot_out_of_range)
{
	EXPECT_EQ(-EINVAL, mailbox_complete(&self->mb, &(struct mbx_call){ .slot = LIB_NSLOTS, .call_id = 1 }, 0, 0));
}

TEST_F(lib, complete_beyond_the_slot)
{
	struct mbx_call call;
	uint64_t id;

	ASSERT_LE(0, lib_start_call(&self->mb, 1, "q", 0, &id));
	ASSERT_EQ(0, lib_take_now(&self->mb, &call));
	EXPECT_EQ(-EMSGSIZE, mailbox_complete(&self->mb, &(struct mbx_call){ .slot = call.slot, .call_id = id }, 0,
					      LIB_SLOT_SIZE + 1));
}

TEST_F(lib, complete_positive_status)
{
	struct mbx_call call;
	uint64_t id;

	ASSERT_LE(0, lib_start_call(&self->mb, 1, "q", 0, &id));
	ASSERT_EQ(0, lib_take_now(&self->mb, &call));
	EXPECT_EQ(-EINVAL, mailbox_complete(&self->mb, &(struct mbx_call){ .slot = call.slot, .call_id = id }, 1, 0));
}

TEST_F(lib, complete_status_below_the_errno_range)
{
	struct mbx_call call;
	uint64_t id;

	ASSERT_LE(0, lib_start_call(&self->mb, 1, "q", 0, &id));
	ASSERT_EQ(0, lib_take_now(&self->mb, &call));
	EXPECT_EQ(-EINVAL, mailbox_complete(&self->mb, &(struct mbx_call){ .slot = call.slot, .call_id = id },
					    -LIB_MAX_ERRNO - 1, 0));
}

TEST_F(lib, complete_another_call_id)
{
	struct mbx_call call;
	uint64_t id;

	ASSERT_LE(0, lib_start_call(&self->mb, 1, "q", 0, &id));
	ASSERT_EQ(0, lib_take_now(&self->mb, &call));
	EXPECT_EQ(-ESTALE, mailbox_complete(&self->mb, &(struct mbx_call){ .slot = call.slot, .call_id = id + 1 }, 0,
					    0));
}

TEST_F(lib, complete_a_call_not_taken)
{
	uint64_t id;
	int slot;

	slot = lib_start_call(&self->mb, 1, "q", 0, &id);
	ASSERT_LE(0, slot);
	EXPECT_EQ(-EPERM, mailbox_complete(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }, 0, 0));
}

TEST_F(lib, complete_a_call_taken_by_another)
{
	struct mbx_call call;
	struct mailbox mb;
	uint64_t id;

	ASSERT_EQ(0, lib_open_again(self->name, &mb,
				    MBX_ACCESS_READ | MBX_ACCESS_WRITE));
	ASSERT_LE(0, lib_start_call(&self->mb, 1, "q", 0, &id));
	ASSERT_EQ(0, lib_take_now(&mb, &call));
	EXPECT_EQ(-EPERM, mailbox_complete(&self->mb, &(struct mbx_call){ .slot = call.slot, .call_id = id }, 0, 0));
	EXPECT_EQ(0, mailbox_close(&mb));
}

TEST_F(lib, complete_read_only)
{
	struct mailbox mb;

	ASSERT_EQ(0, lib_open_again(self->name, &mb, MBX_ACCESS_READ));
	EXPECT_EQ(-EBADF, mailbox_complete(&mb, &(struct mbx_call){ .slot = 0, .call_id = 1 }, 0, 0));
	EXPECT_EQ(0, mailbox_close(&mb));
}

TEST_F(lib, complete_a_cancelled_call)
{
	struct mbx_call call, reply;
	uint64_t id;
	int slot;

	slot = lib_start_call(&self->mb, 1, "q", 0, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, lib_take_now(&self->mb, &call));
	ASSERT_EQ(MBX_STATE_TAKEN, mailbox_cancel(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }));
	EXPECT_EQ(-ECANCELED, mailbox_complete(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }, 0, 3));
	/* Answered all the same, as cancelled. */
	ASSERT_EQ(0, mailbox_collect(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }, MBX_WAIT_NONBLOCK, 0,
				     &reply));
	EXPECT_EQ(-ECANCELED, reply.status);
	EXPECT_EQ(MBX_CALL_CANCEL_REQ, reply.flags & MBX_CALL_CANCEL_REQ);
}

/* ------------------------------------------------------------------ */
/* mailbox_complete_take                                                */

TEST_F(lib, complete_take_answers_and_takes_the_next)
{
	struct mbx_call call, reply;
	uint32_t out_flags = 0xcccccccc;
	uint64_t id1, id2;
	int s1, s2;

	s1 = lib_start_call(&self->mb, 1, "a", 0, &id1);
	s2 = lib_start_call(&self->mb, 2, "b", 0, &id2);
	ASSERT_LE(0, s1);
	ASSERT_LE(0, s2);
	ASSERT_EQ(0, lib_take_now(&self->mb, &call));
	ASSERT_EQ(id1, call.call_id);
	strcpy(mailbox_reply_plane(&self->mb, s1), "A");
	memset(&call, 0xcc, sizeof(call));
	ASSERT_EQ(0, t_complete_take(&self->mb, s1, id1, 0, 2,
					   MBX_WAIT_NONBLOCK, 0, &call,
					   &out_flags));
	EXPECT_EQ(MBX_TAKEN_DONE, out_flags);
	EXPECT_EQ(id2, call.call_id);
	EXPECT_EQ(s2, call.slot);
	EXPECT_EQ(2, call.opcode);
	ASSERT_EQ(0, mailbox_collect(&self->mb, &(struct mbx_call){ .slot = s1, .call_id = id1 }, MBX_WAIT_NONBLOCK, 0,
				     &reply));
	EXPECT_EQ(2, reply.len);
	EXPECT_STREQ("A", (char *)mailbox_reply_plane(&self->mb, s1));
}

TEST_F(lib, complete_take_answers_even_when_nothing_follows)
{
	struct mbx_call call, reply;
	uint32_t out_flags = 0xcccccccc;
	uint64_t id;
	int slot;

	slot = lib_start_call(&self->mb, 1, "a", 0, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, lib_take_now(&self->mb, &call));
	EXPECT_EQ(-EAGAIN, t_complete_take(&self->mb, slot, id, -EIO, 0,
						 MBX_WAIT_NONBLOCK, 0, &call,
						 &out_flags));
	EXPECT_EQ(MBX_TAKEN_DONE, out_flags);
	ASSERT_EQ(0, mailbox_collect(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }, MBX_WAIT_NONBLOCK, 0,
				     &reply));
	EXPECT_EQ(-EIO, reply.status);
}

TEST_F(lib, complete_take_times_out_after_answering)
{
	struct mbx_call call;
	uint32_t out_flags = 0xcccccccc;
	uint64_t id;

	ASSERT_LE(0, lib_start_call(&self->mb, 1, "a", 0, &id));
	ASSERT_EQ(0, lib_take_now(&self->mb, &call));
	EXPECT_EQ(-ETIMEDOUT, t_complete_take(&self->mb, call.slot, id,
						    0, 0, MBX_WAIT_TIMEOUT,
						    mailbox_deadline(20 * MBX_MSEC_NS),
						    &call, &out_flags));
	EXPECT_EQ(MBX_TAKEN_DONE, out_flags);
}

TEST_F(lib, complete_take_interrupted_after_answering)
{
	struct mbx_call call;
	uint32_t out_flags = 0xcccccccc;
	struct lib_poke p;
	pthread_t thr;
	uint64_t id;

	ASSERT_LE(0, lib_start_call(&self->mb, 1, "a", 0, &id));
	ASSERT_EQ(0, lib_take_now(&self->mb, &call));
	lib_poke_me(&thr, &p, 0);
	EXPECT_EQ(-EINTR, t_complete_take(&self->mb, call.slot, id, 0, 0,
						MBX_WAIT_TIMEOUT,
						mailbox_deadline(5 * MBX_SEC_NS),
						&call, &out_flags));
	pthread_join(thr, NULL);
	EXPECT_EQ(MBX_TAKEN_DONE, out_flags);
	EXPECT_EQ(1, lib_signals_seen);
}

TEST_F(lib, complete_take_of_a_cancelled_call)
{
	struct mbx_call call;
	uint32_t out_flags = 0xcccccccc;
	uint64_t id1, id2;
	int s1;

	s1 = lib_start_call(&self->mb, 1, "a", 0, &id1);
	ASSERT_LE(0, s1);
	ASSERT_LE(0, lib_start_call(&self->mb, 2, "b", 0, &id2));
	ASSERT_EQ(0, lib_take_now(&self->mb, &call));
	ASSERT_EQ(MBX_STATE_TAKEN, mailbox_cancel(&self->mb, &(struct mbx_call){ .slot = s1, .call_id = id1 }));
	ASSERT_EQ(0, t_complete_take(&self->mb, s1, id1, 0, 0,
					   MBX_WAIT_NONBLOCK, 0, &call,
					   &out_flags));
	EXPECT_EQ(MBX_TAKEN_DONE | MBX_TAKEN_DONE_CANCELLED, out_flags);
	EXPECT_EQ(id2, call.call_id);
}

TEST_F(lib, complete_take_without_out_flags)
{
	struct mbx_call call;
	uint64_t id1, id2;

	ASSERT_LE(0, lib_start_call(&self->mb, 1, "a", 0, &id1));
	ASSERT_LE(0, lib_start_call(&self->mb, 2, "b", 0, &id2));
	ASSERT_EQ(0, lib_take_now(&self->mb, &call));
	ASSERT_EQ(0, t_complete_take(&self->mb, call.slot, id1, 0, 0,
					   MBX_WAIT_NONBLOCK, 0, &call, NULL));
	EXPECT_EQ(id2, call.call_id);
}

TEST_F(lib, complete_take_of_call_id_zero_only_takes)
{
	struct mbx_call call;
	uint32_t out_flags = 0xcccccccc;
	uint64_t id;

	ASSERT_LE(0, lib_start_call(&self->mb, 1, "a", 0, &id));
	ASSERT_EQ(0, t_complete_take(&self->mb, 0, 0, 0, 0,
					   MBX_WAIT_NONBLOCK, 0, &call,
					   &out_flags));
	EXPECT_EQ(0, out_flags);
	EXPECT_EQ(id, call.call_id);
}

TEST_F(lib, complete_take_of_another_call_takes_nothing)
{
	struct mbx_call call;
	struct mbx_slot_info info;
	uint32_t out_flags = 0xcccccccc;
	uint64_t id1, id2;
	int s2;

	ASSERT_LE(0, lib_start_call(&self->mb, 1, "a", 0, &id1));
	s2 = lib_start_call(&self->mb, 2, "b", 0, &id2);
	ASSERT_LE(0, s2);
	ASSERT_EQ(0, lib_take_now(&self->mb, &call));
	EXPECT_EQ(-ESTALE, t_complete_take(&self->mb, call.slot, id1 + 100,
						 0, 0, MBX_WAIT_NONBLOCK, 0,
						 &call, &out_flags));
	EXPECT_EQ(0, out_flags);
	ASSERT_EQ(1, mailbox_slot_info(&self->mb, s2, 1, &info));
	EXPECT_EQ(MBX_STATE_PENDING, info.state);
}

TEST_F(lib, complete_take_slot_out_of_range)
{
	struct mbx_call call;
	uint32_t out_flags = 0xcccccccc;

	EXPECT_EQ(-EINVAL, t_complete_take(&self->mb, LIB_NSLOTS, 1, 0, 0,
					   MBX_WAIT_NONBLOCK, 0, &call,
					   &out_flags));
	EXPECT_EQ(0, out_flags);
}

TEST_F(lib, complete_take_beyond_the_slot)
{
	struct mbx_call call;
	uint32_t out_flags = 0xcccccccc;
	uint64_t id;

	ASSERT_LE(0, lib_start_call(&self->mb, 1, "a", 0, &id));
	ASSERT_EQ(0, lib_take_now(&self->mb, &call));
	EXPECT_EQ(-EMSGSIZE, t_complete_take(&self->mb, call.slot, id, 0,
						   LIB_SLOT_SIZE + 1,
						   MBX_WAIT_NONBLOCK, 0, &call,
						   &out_flags));
	EXPECT_EQ(0, out_flags);
}

TEST_F(lib, complete_take_positive_status)
{
	struct mbx_call call;
	uint32_t out_flags = 0xcccccccc;
	uint64_t id;

	ASSERT_LE(0, lib_start_call(&self->mb, 1, "a", 0, &id));
	ASSERT_EQ(0, lib_take_now(&self->mb, &call));
	EXPECT_EQ(-EINVAL, t_complete_take(&self->mb, call.slot, id, 1,
						 0, MBX_WAIT_NONBLOCK, 0, &call,
						 &out_flags));
	EXPECT_EQ(0, out_flags);
}

TEST_F(lib, complete_take_a_call_not_taken)
{
	struct mbx_call call;
	uint32_t out_flags = 0xcccccccc;
	uint64_t id;
	int slot;

	slot = lib_start_call(&self->mb, 1, "a", 0, &id);
	ASSERT_LE(0, slot);
	EXPECT_EQ(-EPERM, t_complete_take(&self->mb, slot, id, 0, 0,
						MBX_WAIT_NONBLOCK, 0, &call,
						&out_flags));
	EXPECT_EQ(0, out_flags);
}

TEST_F(lib, complete_take_unknown_flag)
{
	struct mbx_call call;
	uint32_t out_flags = 0xcccccccc;

	EXPECT_EQ(-EINVAL, t_complete_take(&self->mb, 0, 1, 0, 0,
						 MBX_TAKE_COMPLETE << 1, 0,
						 &call, &out_flags));
	EXPECT_EQ(0, out_flags);
}

TEST_F(lib, complete_take_read_only)
{
	struct mbx_call call;
	uint32_t out_flags = 0xcccccccc;
	struct mailbox mb;

	ASSERT_EQ(0, lib_open_again(self->name, &mb, MBX_ACCESS_READ));
	EXPECT_EQ(-EBADF, t_complete_take(&mb, 0, 1, 0, 0,
						MBX_WAIT_NONBLOCK, 0, &call,
						&out_flags));
	EXPECT_EQ(0, out_flags);
	EXPECT_EQ(0, mailbox_close(&mb));
}

/* ------------------------------------------------------------------ */
/* Arguments the kernel checks for every wait                           */

TEST_F(lib, take_both_wait_flags)
{
	struct mbx_call call;

	EXPECT_EQ(-EINVAL, mailbox_take(&self->mb,
					MBX_WAIT_NONBLOCK | MBX_WAIT_TIMEOUT,
					mailbox_deadline(MBX_SEC_NS), &call));
}

TEST_F(lib, take_timeout_without_its_flag)
{
	struct mbx_call call;

	EXPECT_EQ(-EINVAL, mailbox_take(&self->mb, MBX_WAIT_NONBLOCK,
					mailbox_deadline(MBX_SEC_NS), &call));
}


TEST_F(lib, complete_take_both_wait_flags)
{
	struct mbx_call call;
	uint32_t out_flags = 0xcccccccc;
	uint64_t id;

	ASSERT_LE(0, lib_start_call(&self->mb, 1, "a", 0, &id));
	ASSERT_EQ(0, lib_take_now(&self->mb, &call));
	EXPECT_EQ(-EINVAL, t_complete_take(&self->mb, call.slot, id, 0, 0,
						 MBX_WAIT_NONBLOCK |
						 MBX_WAIT_TIMEOUT,
						 mailbox_deadline(MBX_SEC_NS), &call,
						 &out_flags));
	/* Refused before anything was done: still ours to answer. */
	EXPECT_EQ(0, out_flags);
	EXPECT_EQ(0, mailbox_complete(&self->mb, &(struct mbx_call){ .slot = call.slot, .call_id = id }, 0, 0));
}

TEST_F(lib, complete_take_timeout_without_its_flag)
{
	struct mbx_call call;
	uint32_t out_flags = 0xcccccccc;
	uint64_t id;

	ASSERT_LE(0, lib_start_call(&self->mb, 1, "a", 0, &id));
	ASSERT_EQ(0, lib_take_now(&self->mb, &call));
	EXPECT_EQ(-EINVAL, t_complete_take(&self->mb, call.slot, id, 0, 0,
						 MBX_WAIT_NONBLOCK,
						 mailbox_deadline(MBX_SEC_NS), &call,
						 &out_flags));
	EXPECT_EQ(0, out_flags);
}

TEST_HARNESS_MAIN
