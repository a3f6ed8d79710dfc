// SPDX-License-Identifier: GPL-2.0
/*
 * libmailbox, taking a call back: mailbox_revoke and mailbox_cancel: what each function
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
/* mailbox_revoke                                                       */

TEST_F(lib, revoke_then_submit_keeps_the_id_and_the_place)
{
	struct mbx_call call;
	struct mbx_slot_info info;
	uint64_t id1, id2, again = 0xcccccccccccccccc;
	int s1, s2;

	s1 = lib_start_call(&self->mb, 1, "draft", 0, &id1);
	s2 = lib_start_call(&self->mb, 2, "other", 0, &id2);
	ASSERT_LE(0, s1);
	ASSERT_LE(0, s2);
	ASSERT_EQ(0, mailbox_revoke(&self->mb, &(struct mbx_call){ .slot = s1, .call_id = id1 }));
	ASSERT_EQ(1, mailbox_slot_info(&self->mb, s1, 1, &info));
	EXPECT_EQ(MBX_STATE_EDIT, info.state);
	EXPECT_EQ(getpid(), info.owner_pid);
	/* EDIT: ours to rewrite; the submit below publishes it. */
	strcpy(mailbox_call_plane(&self->mb, s1), "final");
	ASSERT_EQ(0, t_submit(&self->mb, s1, 21, 6, 0xabc, 0, &again));
	EXPECT_EQ(id1, again);
	/* Still first in line, with the new contents. */
	ASSERT_EQ(0, lib_take_now(&self->mb, &call));
	EXPECT_EQ(id1, call.call_id);
	EXPECT_EQ(21, call.opcode);
	EXPECT_EQ(0xabc, call.user_data);
	EXPECT_STREQ("final", (char *)mailbox_call_plane(&self->mb, s1));
}

TEST_F(lib, revoke_then_release_puts_it_back)
{
	struct mbx_call call;
	uint64_t id;
	int slot;

	slot = lib_start_call(&self->mb, 1, "as is", 0, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, mailbox_revoke(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }));
	EXPECT_EQ(-EAGAIN, lib_take_now(&self->mb, &call));
	ASSERT_EQ(0, mailbox_release(&self->mb, slot));
	ASSERT_EQ(0, lib_take_now(&self->mb, &call));
	EXPECT_EQ(id, call.call_id);
	EXPECT_EQ(1, call.opcode);
}

TEST_F(lib, revoke_twice)
{
	uint64_t id;
	int slot;

	slot = lib_start_call(&self->mb, 1, "x", 0, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, mailbox_revoke(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }));
	EXPECT_EQ(-EDEADLK, mailbox_revoke(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }));
}

TEST_F(lib, revoke_a_taken_call)
{
	struct mbx_call call;
	uint64_t id;
	int slot;

	slot = lib_start_call(&self->mb, 1, "x", 0, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, lib_take_now(&self->mb, &call));
	EXPECT_EQ(-EBUSY, mailbox_revoke(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }));
}

TEST_F(lib, revoke_when_the_editor_dies)
{
	struct mbx_call reply;
	struct child_msg c;
	uint64_t id;
	int slot;

	slot = lib_start_call(&self->mb, 1, "x", 0, &id);
	ASSERT_LE(0, slot);
	c = lib_run_child(self->name, CHILD_EDITS, 0, slot, id);
	ASSERT_EQ(0, c.ret);
	/* The revision may be torn: the call fails rather than run. */
	ASSERT_EQ(0, mailbox_collect(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }, MBX_WAIT_NONBLOCK, 0,
				     &reply));
	EXPECT_EQ(-EOWNERDEAD, reply.status);
}

/* ------------------------------------------------------------------ */
/* mailbox_cancel                                                       */

TEST_F(lib, cancel_a_pending_call)
{
	struct mbx_call call, reply;
	uint64_t id;
	int slot;

	slot = lib_start_call(&self->mb, 1, "x", 0, &id);
	ASSERT_LE(0, slot);
	EXPECT_EQ(MBX_STATE_PENDING, mailbox_cancel(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }));
	EXPECT_EQ(-EAGAIN, lib_take_now(&self->mb, &call));
	ASSERT_EQ(0, mailbox_collect(&self->mb, NULL,
				     MBX_WAIT_NONBLOCK, 0, &reply));
	EXPECT_EQ(id, reply.call_id);
	EXPECT_EQ(-ECANCELED, reply.status);
	EXPECT_EQ(0, reply.len);
}

TEST_F(lib, cancel_a_call_i_edit)
{
	struct mbx_call reply;
	uint64_t id;
	int slot;

	slot = lib_start_call(&self->mb, 1, "x", 0, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, mailbox_revoke(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }));
	EXPECT_EQ(MBX_STATE_EDIT, mailbox_cancel(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }));
	ASSERT_EQ(0, mailbox_collect(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }, MBX_WAIT_NONBLOCK, 0,
				     &reply));
	EXPECT_EQ(-ECANCELED, reply.status);
}

TEST_F(lib, cancel_a_taken_call_tells_the_callee)
{
	struct mailbox callee;
	struct mbx_call call;
	struct mbx_event ev[2];
	uint64_t id;
	int slot;

	ASSERT_EQ(0, lib_open_again(self->name, &callee,
				    MBX_ACCESS_READ | MBX_ACCESS_WRITE));
	slot = lib_start_call(&self->mb, 1, "x", 0, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, lib_take_now(&callee, &call));
	EXPECT_EQ(MBX_STATE_TAKEN, mailbox_cancel(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }));
	/* Asking again is harmless and tells the callee once. */
	EXPECT_EQ(MBX_STATE_TAKEN, mailbox_cancel(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }));
	memset(ev, 0xcc, sizeof(ev));
	ASSERT_EQ(1, mailbox_events(&callee, ev, 2));
	EXPECT_EQ(MBX_EVENT_CANCEL, ev[0].type);
	EXPECT_EQ(slot, ev[0].slot);
	EXPECT_EQ(id, ev[0].call_id);
	EXPECT_EQ(0xcc, *(unsigned char *)&ev[1]);
	EXPECT_EQ(0, mailbox_close(&callee));
}

/* ------------------------------------------------------------------ */
/* Refused alike by mailbox_revoke and mailbox_cancel                   */

LIB_FIXTURE(undo)

FIXTURE_VARIANT(undo) {
	int (*op)(struct mailbox *mb, const struct mbx_call *call);
};

FIXTURE_VARIANT_ADD(undo, revoke) { .op = mailbox_revoke };
FIXTURE_VARIANT_ADD(undo, cancel) { .op = mailbox_cancel };

TEST_F(undo, slot_out_of_range)
{
	EXPECT_EQ(-EINVAL, variant->op(&self->mb, &(struct mbx_call){ .slot = LIB_NSLOTS, .call_id = 1 }));
}

TEST_F(undo, read_only)
{
	struct mailbox mb;
	uint64_t id;
	int slot;

	slot = lib_start_call(&self->mb, 1, "x", 0, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, lib_open_again(self->name, &mb, MBX_ACCESS_READ));
	EXPECT_EQ(-EBADF, variant->op(&mb, &(struct mbx_call){ .slot = slot, .call_id = id }));
	EXPECT_EQ(0, mailbox_close(&mb));
}

TEST_F(undo, another_call_id)
{
	uint64_t id;
	int slot;

	slot = lib_start_call(&self->mb, 1, "x", 0, &id);
	ASSERT_LE(0, slot);
	EXPECT_EQ(-ESTALE, variant->op(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id + 1 }));
}

TEST_F(undo, a_call_edited_by_another)
{
	struct mailbox mb;
	uint64_t id;
	int slot;

	slot = lib_start_call(&self->mb, 1, "x", 0, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, lib_open_again(self->name, &mb,
				    MBX_ACCESS_READ | MBX_ACCESS_WRITE));
	ASSERT_EQ(0, mailbox_revoke(&mb, &(struct mbx_call){ .slot = slot, .call_id = id }));
	EXPECT_EQ(-EBUSY, variant->op(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }));
	EXPECT_EQ(0, mailbox_close(&mb));
}

TEST_F(undo, an_answered_call)
{
	struct mbx_call call;
	uint64_t id;
	int slot;

	slot = lib_start_call(&self->mb, 1, "x", 0, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, lib_take_now(&self->mb, &call));
	ASSERT_EQ(0, lib_answer(&self->mb, &call, 0, ""));
	EXPECT_EQ(-EALREADY, variant->op(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }));
}

TEST_HARNESS_MAIN
