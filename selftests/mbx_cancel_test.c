// SPDX-License-Identifier: GPL-2.0
/*
 * Revocation: a call is taken back, modified or withdrawn while pending;
 * a call already taken gets a cancel request its callee sees; a call
 * already answered cannot be cancelled; and a late cancel never hits the
 * slot's next call. Then the races, each between two
 * processes over RACE_LOOPS calls: cancel against take, against complete,
 * and against the caller's own collect, where every call must end in one
 * of the outcomes documented for MBX_IOC_CALL_CANCEL in
 * Documentation/userspace-api/mbx.rst, with nothing lost or doubled.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/mbx.h>

#include "kselftest_harness.h"
#define MBX_PARTY_NAMES
#include "mbx_helpers.h"

#define RACE_LOOPS	10000		/* calls per race, per the acceptance */

MBX_SKIP_WITHOUT_DEVICE

/* ------------------------------------------------------------------ */
/* Revocation, one process                                              */

FIXTURE(cancel) {
	char name[MBX_NAME_MAX];
	struct tbox c;		/* the caller's session */
	struct tbox e;		/* a callee's session */
	int other;		/* a third session, read-write */
	pid_t child;
	bool ready;
};

FIXTURE_SETUP(cancel)
{
	int fd;

	self->c.fd = self->e.fd = self->other = -1;
	mbx_unique_name(self->name, "cn");
	fd = box_create(self->name, NSLOTS, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, tbox_attach(&self->c, fd));
	ASSERT_EQ(0, tbox_open(&self->e, self->name));
	self->other = box_open(self->name, MBX_ACCESS_READ | MBX_ACCESS_WRITE);
	ASSERT_LE(0, self->other);
	self->ready = true;
}

FIXTURE_TEARDOWN(cancel)
{
	if (self->child > 0)
		kill_reap(self->child);
	if (self->other >= 0)
		close(self->other);
	tbox_close(&self->e);
	tbox_close(&self->c);
	box_destroy(self->name);
}

/* A new call from the caller's session; 0 or -errno. */
static int new_call(struct tbox *b, __u64 tag, __u32 *slot, __u64 *id)
{
	int s = acquire_any(b->fd, MBX_WAIT_NONBLOCK, NULL);

	if (s < 0)
		return s;
	payload_fill(call_plane(b, s), CALL_LEN, tag);
	*slot = s;
	return call_submit(b->fd, s, CALL_LEN, 0, tag, id);
}

static int acquire_call(int fd, __u32 slot, __u64 id)
{
	struct mbx_acquire_args a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = MBX_ACQUIRE_CALL;
	a.slot = slot;
	a.call_id = id;
	return mbx_ioctl(fd, MBX_IOC_SLOT_ACQUIRE, &a);
}

/* A pending call taken back for revocation is EDIT: no callee gets it. */
TEST_F(cancel, acquire_call_holds_a_pending_call_in_edit)
{
	struct mbx_slot_info si;
	struct mbx_call call;
	__u32 slot;
	__u64 id;

	ASSERT_EQ(0, new_call(&self->c, 1, &slot, &id));
	ASSERT_EQ(0, acquire_call(self->c.fd, slot, id));
	ASSERT_EQ(0, slot_get(self->c.fd, slot, &si));
	EXPECT_EQ(MBX_STATE_EDIT, si.state);
	EXPECT_EQ(id, si.call_id);
	EXPECT_EQ((__u32)getpid(), si.owner_pid);
	EXPECT_EQ((__u32)getpid(), si.caller_pid);
	EXPECT_EQ(0, si.callee_pid);
	EXPECT_EQ(0, poll_for(self->e.fd, POLLIN, 0));
	EXPECT_EQ(-EAGAIN, call_take(self->e.fd, MBX_WAIT_NONBLOCK, &call));
}

/*
 * Modified and submitted again, the call keeps its id and its place in
 * the queue, and the callee sees the new opcode, length, flags and data.
 */
TEST_F(cancel, edit_and_resubmit_keeps_id_and_place)
{
	struct mbx_stats_args st;
	struct mbx_call call;
	__u32 slot[3];
	__u64 id[3], again;
	int i;

	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, new_call(&self->c, 10 + i, &slot[i], &id[i]));
	/* The middle one, then the first: the order stays 0, 1, 2. */
	ASSERT_EQ(0, acquire_call(self->c.fd, slot[1], id[1]));
	payload_fill(call_plane(&self->c, slot[1]), 64, 21);
	ASSERT_EQ(0, mbx_submit_call(self->c.fd, slot[1], 9, 64, 0, 21, &again));
	EXPECT_EQ(id[1], again);
	ASSERT_EQ(0, acquire_call(self->c.fd, slot[0], id[0]));
	payload_fill(call_plane(&self->c, slot[0]), 128, 20);
	ASSERT_EQ(0, mbx_submit_call(self->c.fd, slot[0], 8, 128,
				     MBX_CALL_AT_MOST_ONCE, 20, &again));
	EXPECT_EQ(id[0], again);

	ASSERT_EQ(0, call_take(self->e.fd, MBX_WAIT_NONBLOCK, &call));
	EXPECT_EQ(id[0], call.call_id);
	EXPECT_EQ(8, call.opcode);
	EXPECT_EQ(128, call.len);
	EXPECT_EQ(20, call.user_data);
	EXPECT_EQ(MBX_CALL_AT_MOST_ONCE, call.flags);
	EXPECT_EQ(1, call.delivery);
	EXPECT_TRUE(payload_ok(call_plane(&self->e, call.slot), 128, 20));
	ASSERT_EQ(0, call_take(self->e.fd, MBX_WAIT_NONBLOCK, &call));
	EXPECT_EQ(id[1], call.call_id);
	EXPECT_EQ(9, call.opcode);
	EXPECT_EQ(64, call.len);
	EXPECT_EQ(0, call.flags);
	EXPECT_TRUE(payload_ok(call_plane(&self->e, call.slot), 64, 21));
	ASSERT_EQ(0, call_take(self->e.fd, MBX_WAIT_NONBLOCK, &call));
	EXPECT_EQ(id[2], call.call_id);
	EXPECT_EQ(OPCODE, call.opcode);
	EXPECT_EQ(CALL_LEN, call.len);

	ASSERT_EQ(0, box_stats(self->c.fd, &st));
	EXPECT_EQ(3, st.out_submitted);
	EXPECT_EQ(3, st.out_taken);
}

/* Released from EDIT, the call goes back untouched, to its place. */
TEST_F(cancel, edit_release_puts_the_call_back_unchanged)
{
	struct mbx_slot_info before, after;
	struct mbx_call call;
	__u32 slot[2];
	__u64 id[2];

	ASSERT_EQ(0, new_call(&self->c, 30, &slot[0], &id[0]));
	ASSERT_EQ(0, new_call(&self->c, 31, &slot[1], &id[1]));
	ASSERT_EQ(0, slot_get(self->c.fd, slot[0], &before));
	ASSERT_EQ(0, acquire_call(self->c.fd, slot[0], id[0]));
	ASSERT_EQ(0, slot_release(self->c.fd, slot[0]));
	ASSERT_EQ(0, slot_get(self->c.fd, slot[0], &after));
	EXPECT_EQ(MBX_STATE_PENDING, after.state);
	EXPECT_EQ(0, after.owner_pid);
	EXPECT_EQ(0, memcmp(&before, &after, sizeof(before)));

	ASSERT_EQ(0, call_take(self->e.fd, MBX_WAIT_NONBLOCK, &call));
	EXPECT_EQ(id[0], call.call_id);
	EXPECT_EQ(OPCODE, call.opcode);
	EXPECT_EQ(CALL_LEN, call.len);
	EXPECT_EQ(30, call.user_data);
	EXPECT_TRUE(payload_ok(call_plane(&self->e, call.slot), CALL_LEN, 30));
}

/* The editor withdraws the call: its caller collects -ECANCELED. */
TEST_F(cancel, cancel_while_edit_withdraws)
{
	struct mbx_stats_args st;
	struct mbx_call call;
	__u32 slot, state;
	__u64 id;

	ASSERT_EQ(0, new_call(&self->c, 40, &slot, &id));
	ASSERT_EQ(0, acquire_call(self->c.fd, slot, id));
	ASSERT_EQ(0, call_cancel(self->c.fd, slot, id, &state));
	EXPECT_EQ(MBX_STATE_EDIT, state);
	ASSERT_EQ(0, call_collect(self->c.fd, MBX_WAIT_NONBLOCK, 0, 0, &call));
	EXPECT_EQ(id, call.call_id);
	EXPECT_EQ(-ECANCELED, call.status);
	EXPECT_EQ(0, call.len);
	EXPECT_EQ(0, call.delivery);
	EXPECT_EQ(-EAGAIN, call_take(self->e.fd, MBX_WAIT_NONBLOCK, &call));
	ASSERT_EQ(0, box_stats(self->c.fd, &st));
	EXPECT_EQ(1, st.out_cancelled);
}

/* Another session cannot cancel a call someone is editing. */
TEST_F(cancel, cancel_while_edited_by_another_is_busy)
{
	struct mbx_slot_info si;
	__u32 slot;
	__u64 id;

	ASSERT_EQ(0, new_call(&self->c, 41, &slot, &id));
	ASSERT_EQ(0, acquire_call(self->c.fd, slot, id));
	EXPECT_EQ(-EBUSY, call_cancel(self->other, slot, id, NULL));
	ASSERT_EQ(0, slot_get(self->c.fd, slot, &si));
	EXPECT_EQ(MBX_STATE_EDIT, si.state);
}

/*
 * A third party that revised someone else's call cannot collect its reply
 * in the same ioctl: the reply goes to the call's caller (EINVAL), and
 * nothing changed.
 */
TEST_F(cancel, submit_collect_of_anothers_call_is_einval)
{
	struct mbx_slot_info si;
	__u64 id, id2 = 0;
	__u32 slot;

	ASSERT_EQ(0, new_call(&self->c, 43, &slot, &id));
	ASSERT_EQ(0, acquire_call(self->other, slot, id));
	EXPECT_EQ(-EINVAL, mbx_submit_call(self->other, slot, OPCODE + 1, CALL_LEN,
					   MBX_SUBMIT_COLLECT, 43, &id2));
	ASSERT_EQ(0, slot_get(self->c.fd, slot, &si));
	EXPECT_EQ(MBX_STATE_EDIT, si.state);
	EXPECT_EQ(id, si.call_id);
	EXPECT_EQ(OPCODE, si.opcode);
	/* Without COLLECT the revision goes through, same id. */
	EXPECT_EQ(0, mbx_submit_call(self->other, slot, OPCODE + 1, CALL_LEN, 0, 43,
				     &id2));
	EXPECT_EQ(id, id2);
}

TEST_F(cancel, acquire_call_edited_by_another_is_busy)
{
	__u32 slot;
	__u64 id;

	ASSERT_EQ(0, new_call(&self->c, 42, &slot, &id));
	ASSERT_EQ(0, acquire_call(self->c.fd, slot, id));
	EXPECT_EQ(-EBUSY, acquire_call(self->other, slot, id));
}

TEST_F(cancel, acquire_call_twice_is_edeadlk)
{
	__u32 slot;
	__u64 id;

	ASSERT_EQ(0, new_call(&self->c, 43, &slot, &id));
	ASSERT_EQ(0, acquire_call(self->c.fd, slot, id));
	EXPECT_EQ(-EDEADLK, acquire_call(self->c.fd, slot, id));
}

TEST_F(cancel, acquire_call_taken_is_busy)
{
	struct mbx_call call;
	__u32 slot;
	__u64 id;

	ASSERT_EQ(0, new_call(&self->c, 44, &slot, &id));
	ASSERT_EQ(0, call_take(self->e.fd, MBX_WAIT_NONBLOCK, &call));
	EXPECT_EQ(-EBUSY, acquire_call(self->c.fd, slot, id));
}

TEST_F(cancel, acquire_call_answered_is_ealready)
{
	struct mbx_call call;
	__u32 slot;
	__u64 id;

	ASSERT_EQ(0, new_call(&self->c, 45, &slot, &id));
	ASSERT_EQ(0, call_take(self->e.fd, MBX_WAIT_NONBLOCK, &call));
	ASSERT_EQ(0, call_complete(self->e.fd, slot, id, 0, 0));
	EXPECT_EQ(-EALREADY, acquire_call(self->c.fd, slot, id));
}

TEST_F(cancel, acquire_call_stale_id_is_estale)
{
	__u32 slot;
	__u64 id;

	ASSERT_EQ(0, new_call(&self->c, 46, &slot, &id));
	EXPECT_EQ(-ESTALE, acquire_call(self->c.fd, slot, id + 1));
}

/* PENDING: withdrawn at once, the caller collects -ECANCELED. */
TEST_F(cancel, cancel_pending_withdraws)
{
	struct mbx_stats_args st;
	struct mbx_call call;
	__u32 slot, state;
	__u64 id;

	ASSERT_EQ(0, new_call(&self->c, 50, &slot, &id));
	ASSERT_EQ(0, call_cancel(self->c.fd, slot, id, &state));
	EXPECT_EQ(MBX_STATE_PENDING, state);
	EXPECT_EQ(POLLRDBAND, poll_for(self->c.fd, POLLRDBAND, 0));
	EXPECT_EQ(-EAGAIN, call_take(self->e.fd, MBX_WAIT_NONBLOCK, &call));
	ASSERT_EQ(0, call_collect(self->c.fd, MBX_WAIT_NONBLOCK, 0, 0, &call));
	EXPECT_EQ(id, call.call_id);
	EXPECT_EQ(50, call.user_data);
	EXPECT_EQ(-ECANCELED, call.status);
	EXPECT_EQ(0, call.len);
	EXPECT_EQ(0, call.delivery);
	ASSERT_EQ(0, box_stats(self->c.fd, &st));
	EXPECT_EQ(1, st.out_cancelled);
	EXPECT_EQ(0, st.out_completed);
	EXPECT_EQ(0, st.out_pending);
	EXPECT_EQ(0, st.out_taken);
	/* Nobody else was told anything. */
	EXPECT_EQ(0, poll_for(self->e.fd, POLLPRI, 0));
	EXPECT_EQ(0, poll_for(self->c.fd, POLLPRI, 0));
}

/*
 * TAKEN: the callee gets MBX_EVENT_CANCEL through EPOLLPRI, its complete
 * returns -ECANCELED, and the caller sees -ECANCELED. A repeated cancel
 * is harmless and queues no second event.
 */
TEST_F(cancel, cancel_taken_asks_the_callee)
{
	struct mbx_stats_args st;
	struct mbx_slot_info si;
	struct mbx_event ev[4];
	struct mbx_call call;
	__u32 slot, state;
	__u64 id;

	ASSERT_EQ(0, new_call(&self->c, 60, &slot, &id));
	ASSERT_EQ(0, call_take(self->e.fd, MBX_WAIT_NONBLOCK, &call));
	EXPECT_EQ(0, poll_for(self->e.fd, POLLPRI, 0));
	ASSERT_EQ(0, call_cancel(self->c.fd, slot, id, &state));
	EXPECT_EQ(MBX_STATE_TAKEN, state);

	EXPECT_EQ(POLLPRI, poll_for(self->e.fd, POLLPRI, SAFETY_MS));
	ASSERT_EQ(1, events_read(self->e.fd, ev, 4));
	EXPECT_EQ(MBX_EVENT_CANCEL, ev[0].type);
	EXPECT_EQ(id, ev[0].call_id);
	EXPECT_EQ(slot, ev[0].slot);
	EXPECT_EQ(0, ev[0].status);
	EXPECT_EQ(0, poll_for(self->e.fd, POLLPRI, 0));
	EXPECT_EQ(0, poll_for(self->c.fd, POLLPRI | POLLRDBAND, 0));
	ASSERT_EQ(0, slot_get(self->c.fd, slot, &si));
	EXPECT_EQ(MBX_STATE_TAKEN, si.state);
	EXPECT_EQ(MBX_CALL_CANCEL_REQ, si.flags);

	ASSERT_EQ(0, call_cancel(self->c.fd, slot, id, &state));
	EXPECT_EQ(MBX_STATE_TAKEN, state);
	EXPECT_EQ(0, poll_for(self->e.fd, POLLPRI, 0));

	payload_fill(reply_plane(&self->e, slot), REPLY_LEN, 60 ^ REPLY_SALT);
	EXPECT_EQ(-ECANCELED, call_complete(self->e.fd, slot, id, 0,
					    REPLY_LEN));
	ASSERT_EQ(0, call_collect(self->c.fd, MBX_WAIT_NONBLOCK, 0, 0, &call));
	EXPECT_EQ(id, call.call_id);
	EXPECT_EQ(-ECANCELED, call.status);
	EXPECT_EQ(1, call.delivery);
	EXPECT_EQ(MBX_CALL_CANCEL_REQ, call.flags);
	ASSERT_EQ(0, box_stats(self->c.fd, &st));
	EXPECT_EQ(1, st.out_cancelled);
	EXPECT_EQ(0, st.out_completed);
}

/* A callee answering with take-and-complete learns of the cancel too. */
TEST_F(cancel, take_complete_reports_a_cancelled_answer)
{
	struct mbx_take_args t;
	struct mbx_call call;
	__u32 slot;
	__u64 id, next;

	ASSERT_EQ(0, new_call(&self->c, 61, &slot, &id));
	ASSERT_EQ(0, call_take(self->e.fd, MBX_WAIT_NONBLOCK, &call));
	ASSERT_EQ(0, call_cancel(self->c.fd, slot, id, NULL));
	ASSERT_EQ(0, new_call(&self->c, 62, &slot, &next));

	memset(&t, 0, sizeof(t));
	t.size = sizeof(t);
	t.flags = MBX_TAKE_COMPLETE | MBX_WAIT_NONBLOCK;
	t.done_slot = call.slot;
	t.done_call_id = id;
	t.out_flags = 0xcccccccc;
	ASSERT_EQ(0, mbx_ioctl(self->e.fd, MBX_IOC_CALL_TAKE, &t));
	EXPECT_EQ(MBX_TAKEN_DONE | MBX_TAKEN_DONE_CANCELLED, t.out_flags);
	EXPECT_EQ(next, t.out_call.call_id);
	ASSERT_EQ(0, call_collect(self->c.fd, MBX_WAIT_NONBLOCK, 0, 0, &call));
	EXPECT_EQ(id, call.call_id);
	EXPECT_EQ(-ECANCELED, call.status);
}

/* REPLIED: too late, EALREADY, and the answer stands. */
TEST_F(cancel, cancel_replied_is_ealready)
{
	struct mbx_call call;
	__u32 slot;
	__u64 id;

	ASSERT_EQ(0, new_call(&self->c, 70, &slot, &id));
	ASSERT_EQ(0, call_take(self->e.fd, MBX_WAIT_NONBLOCK, &call));
	payload_fill(reply_plane(&self->e, slot), REPLY_LEN, 70 ^ REPLY_SALT);
	ASSERT_EQ(0, call_complete(self->e.fd, slot, id, 0, REPLY_LEN));
	EXPECT_EQ(-EALREADY, call_cancel(self->c.fd, slot, id, NULL));
	ASSERT_EQ(0, call_collect(self->c.fd, MBX_WAIT_NONBLOCK, 0, 0, &call));
	EXPECT_EQ(0, call.status);
	EXPECT_EQ(REPLY_LEN, call.len);
	EXPECT_TRUE(payload_ok(reply_plane(&self->c, slot), REPLY_LEN,
			       70 ^ REPLY_SALT));
}

/* Collected (OWNED by the caller), then FREE: still EALREADY. */
TEST_F(cancel, cancel_collected_is_ealready)
{
	struct mbx_call call;
	__u32 slot;
	__u64 id;

	ASSERT_EQ(0, new_call(&self->c, 71, &slot, &id));
	ASSERT_EQ(0, call_take(self->e.fd, MBX_WAIT_NONBLOCK, &call));
	ASSERT_EQ(0, call_complete(self->e.fd, slot, id, 0, 0));
	ASSERT_EQ(0, call_collect(self->c.fd, MBX_WAIT_NONBLOCK, 0, 0, &call));
	EXPECT_EQ(-EALREADY, call_cancel(self->other, slot, id, NULL));
	ASSERT_EQ(0, slot_release(self->c.fd, slot));
	EXPECT_EQ(-EALREADY, call_cancel(self->other, slot, id, NULL));
}

/* A late cancel of a slot's previous call never touches its next one. */
TEST_F(cancel, cancel_stale_id_is_estale)
{
	struct mbx_slot_info si;
	struct mbx_call call;
	__u32 slot;
	__u64 old, id;

	ASSERT_EQ(0, new_call(&self->c, 80, &slot, &old));
	ASSERT_EQ(0, call_take(self->e.fd, MBX_WAIT_NONBLOCK, &call));
	ASSERT_EQ(0, call_complete(self->e.fd, slot, old, 0, 0));
	ASSERT_EQ(0, call_collect(self->c.fd, MBX_WAIT_NONBLOCK, 0, 0, &call));
	/* The same slot, a new call. */
	payload_fill(call_plane(&self->c, slot), CALL_LEN, 81);
	ASSERT_EQ(0, call_submit(self->c.fd, slot, CALL_LEN, 0, 81, &id));
	ASSERT_NE(old, id);
	EXPECT_EQ(-ESTALE, call_cancel(self->other, slot, old, NULL));
	ASSERT_EQ(0, slot_get(self->c.fd, slot, &si));
	EXPECT_EQ(MBX_STATE_PENDING, si.state);
	EXPECT_EQ(id, si.call_id);
}

TEST_F(cancel, cancel_id_zero_is_estale)
{
	__u32 slot;
	__u64 id;

	ASSERT_EQ(0, new_call(&self->c, 82, &slot, &id));
	EXPECT_EQ(-ESTALE, call_cancel(self->c.fd, slot, 0, NULL));
}

/*
 * A cancel requested on a taken call survives its callee's death: the
 * caller still gets -ECANCELED, never a normal reply. (The call is either
 * answered -ECANCELED at the death, or redelivered still carrying
 * MBX_CALL_CANCEL_REQ, so that its next completion is -ECANCELED.)
 */
TEST_F(cancel, cancel_taken_survives_callee_death)
{
	struct mbx_party *k = shm_alloc(sizeof(*k));
	struct mbx_slot_info si;
	struct mbx_call call;
	__u32 slot, state;
	__u64 id;

	ASSERT_NE(NULL, k);
	snprintf(k->name, sizeof(k->name), "%s", self->name);
	ASSERT_EQ(0, new_call(&self->c, 90, &slot, &id));
	self->child = spawn(stuck_callee, k);
	ASSERT_LT(0, self->child);
	ASSERT_EQ(0, wait_ge(&k->reached, 1));
	ASSERT_EQ(0, call_cancel(self->c.fd, slot, id, &state));
	EXPECT_EQ(MBX_STATE_TAKEN, state);
	ASSERT_EQ(128 + SIGKILL, kill_reap(self->child));
	self->child = 0;

	ASSERT_EQ(0, slot_get(self->c.fd, slot, &si));
	if (si.state == MBX_STATE_PENDING) {
		EXPECT_EQ(MBX_CALL_CANCEL_REQ | MBX_CALL_REDELIVERED, si.flags);
		ASSERT_EQ(0, call_take(self->e.fd, MBX_WAIT_NONBLOCK, &call));
		EXPECT_EQ(id, call.call_id);
		EXPECT_EQ(MBX_CALL_CANCEL_REQ, call.flags & MBX_CALL_CANCEL_REQ);
		EXPECT_EQ(-ECANCELED, call_complete(self->e.fd, slot, id, 0, 0));
	} else {
		EXPECT_EQ(MBX_STATE_REPLIED, si.state);
	}
	ASSERT_EQ(0, call_collect(self->c.fd, MBX_WAIT_NONBLOCK, 0, 0, &call));
	EXPECT_EQ(id, call.call_id);
	EXPECT_EQ(-ECANCELED, call.status);
	/* Its caller was told the callee died, as for any taken call. */
	EXPECT_EQ(POLLPRI, poll_for(self->c.fd, POLLPRI, 0));
	munmap(k, sizeof(*k));
}

/* ------------------------------------------------------------------ */
/* Races, two processes                                                 */

enum race_kind {
	RACE_TAKE,		/* parent cancels, child takes */
	RACE_COMPLETE,		/* parent cancels, child completes */
	RACE_COLLECT,		/* parent completes and collects, child cancels */
};

/* RACE_COLLECT: the state of a call when the race starts. */
enum collect_variant {
	AT_PENDING,		/* the caller looks for its reply */
	AT_TAKEN,		/* the caller completes it, then collects */
	AT_REPLIED,		/* the caller collects */
	NVARIANTS,
};

#define BATCH		NSLOTS	/* calls raced at once, one per slot */
/*
 * Between two calls of a batch, so that a batch lasts a good part of a
 * timer tick (about 0.4 ms each under emulation): the turn of the CPUs
 * then often falls inside a batch, and the two sides' calls interleave.
 */
#define GAP_SPINS	8000

/*
 * Shared by the two processes. Each round races BATCH calls, one per
 * slot, and meets four times: set up, ready, raced, done. The parent
 * writes the calls and the delay before the first meeting, the child its
 * results (per slot) before the last.
 */
struct race {
	char name[MBX_NAME_MAX];
	int kind;
	int rounds;
	_Atomic __u32 met[2];	/* parent, child */
	/* This round, from the parent. */
	__u64 id[BATCH];
	__u64 tag[BATCH];
	int delay;		/* > 0: the parent waits, < 0: the child */
	/* This round, from the child, per slot. */
	int take_ret[BATCH];
	int complete_ret[BATCH];
	int cancel_ret[BATCH];
	__u32 cancel_state[BATCH];
	int events[BATCH];	/* MBX_EVENT_CANCEL for the slot's call */
	int bad_events;		/* any other event */
	int err;
};

static int meet(struct race *r, int me, __u32 n)
{
	atomic_store(&r->met[me], n);
	futex(&r->met[me], FUTEX_WAKE, INT_MAX, 0);
	return wait_ge(&r->met[!me], n);
}

/* Burn @n loop turns; the empty asm keeps the compiler from dropping them. */
static void spin(int n)
{
	int i;

	for (i = 0; i < n; i++)
		__asm__ __volatile__("" ::: "memory");
}

/*
 * Drain the events of @fd: count the cancels of this round's calls per
 * slot in @per_slot, return the number of any other event.
 */
static int count_events(int fd, const __u64 *id, int *per_slot)
{
	struct mbx_event ev[8];
	int n, i, others = 0;

	memset(per_slot, 0, BATCH * sizeof(*per_slot));
	while ((n = events_read(fd, ev, 8)) > 0) {
		for (i = 0; i < n; i++) {
			if (ev[i].type == MBX_EVENT_CANCEL && ev[i].slot < BATCH &&
			    ev[i].call_id == id[ev[i].slot])
				per_slot[ev[i].slot]++;
			else
				others++;
		}
	}
	return n < 0 ? others + 1 : others;
}

static int race_child(void *arg)
{
	struct race *r = arg;
	struct mbx_call c;
	struct tbox b;
	int i, j;

	if (tbox_open(&b, r->name))
		return 10;
	for (i = 0; i < r->rounds; i++) {
		__u32 n = 4 * i;

		if (meet(r, 1, n + 1))
			return 11;
		r->bad_events = r->err = 0;
		for (j = 0; j < BATCH; j++) {
			r->take_ret[j] = r->complete_ret[j] = 1;
			r->cancel_ret[j] = 1;
			r->events[j] = 0;
		}
		if (r->kind == RACE_COMPLETE) {
			/* Take every call first, and write whole replies. */
			for (j = 0; j < BATCH; j++) {
				if (call_take(b.fd, 0, &c) || c.slot >= BATCH ||
				    c.call_id != r->id[c.slot])
					r->err = 1;
				else
					payload_fill(reply_plane(&b, c.slot),
						     REPLY_LEN,
						     r->tag[c.slot] ^ REPLY_SALT);
			}
		}
		if (meet(r, 1, n + 2))
			return 12;
		spin(-r->delay);
		for (j = 0; j < BATCH; j++) {
			spin(GAP_SPINS);
			switch (r->kind) {
			case RACE_TAKE:
				/* Whichever call is oldest, if any is left. */
				if (call_take(b.fd, MBX_WAIT_NONBLOCK, &c))
					break;
				if (c.slot >= BATCH || c.call_id != r->id[c.slot])
					r->err = 2;
				else
					r->take_ret[c.slot] = 0;
				break;
			case RACE_COMPLETE:
				r->complete_ret[j] = call_complete(b.fd, j,
								   r->id[j], 0,
								   REPLY_LEN);
				break;
			case RACE_COLLECT:
				r->cancel_ret[j] = call_cancel(b.fd, j, r->id[j],
							       &r->cancel_state[j]);
				break;
			}
		}
		if (meet(r, 1, n + 3))
			return 13;
		if (r->kind != RACE_COLLECT)
			r->bad_events = count_events(b.fd, r->id, r->events);
		if (r->kind == RACE_TAKE)
			for (j = 0; j < BATCH; j++)
				if (!r->take_ret[j])
					r->complete_ret[j] =
						call_complete(b.fd, j, r->id[j],
							      0, 0);
		if (meet(r, 1, n + 4))
			return 14;
	}
	return 0;
}

FIXTURE(race) {
	struct race *r;
	struct tbox c;		/* the caller's session */
	struct tbox e;		/* the caller's own callee session */
	pid_t child;
	bool ready;
};

FIXTURE_VARIANT(race) {
	int kind;
};

FIXTURE_VARIANT_ADD(race, cancel_vs_take) {
	.kind = RACE_TAKE,
};

FIXTURE_VARIANT_ADD(race, cancel_vs_complete) {
	.kind = RACE_COMPLETE,
};

FIXTURE_VARIANT_ADD(race, cancel_vs_collect) {
	.kind = RACE_COLLECT,
};

FIXTURE_SETUP(race)
{
	int fd;

	self->c.fd = self->e.fd = -1;
	self->r = shm_alloc(sizeof(*self->r));
	ASSERT_NE(NULL, self->r);
	mbx_unique_name(self->r->name, "race");
	self->r->kind = variant->kind;
	self->r->rounds = (RACE_LOOPS + BATCH - 1) / BATCH;
	fd = box_create(self->r->name, NSLOTS, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, tbox_attach(&self->c, fd));
	ASSERT_EQ(0, tbox_open(&self->e, self->r->name));
	self->ready = true;
}

FIXTURE_TEARDOWN(race)
{
	if (self->child > 0)
		kill_reap(self->child);
	tbox_close(&self->e);
	tbox_close(&self->c);
	if (self->r) {
		box_destroy(self->r->name);
		munmap(self->r, sizeof(*self->r));
	}
}

#define DELAY_STEP	64
#define DELAY_MAX	1000000

/*
 * RACE_LOOPS calls, BATCH at a time (one per slot): put each call in its
 * starting state, race the two processes' operations over the batch, then
 * check that every call ended in one of the documented outcomes, all
 * parties agreeing:
 *
 * cancel vs take:      cancel PENDING, never taken, caller -ECANCELED; or
 *                      taken first, cancel TAKEN, one MBX_EVENT_CANCEL,
 *                      complete -ECANCELED, caller -ECANCELED.
 * cancel vs complete:  cancel TAKEN, one event, complete -ECANCELED,
 *                      caller -ECANCELED; or complete 0, cancel EALREADY,
 *                      no event, the caller gets the whole reply.
 * cancel vs collect:   pending: cancel PENDING, the caller's collect finds
 *                      nothing or the cancelled call, and -ECANCELED in
 *                      the end; taken: as cancel vs complete, the caller
 *                      completing and collecting; replied: cancel
 *                      EALREADY, the caller gets the whole reply.
 *
 * Under emulation the CPUs take turns at timer ticks, so a race is close
 * when a tick falls inside a batch: the calls of a batch are spread out,
 * and a delay, adjusted after each round against the side that won all
 * its calls, keeps the two batches overlapping.
 */
TEST_F_TIMEOUT(race, cancel_ends_in_a_documented_outcome, 120)
{
	struct race *r = self->r;
	int first = 0, second = 0;	/* calls where cancel won, or lost */
	int seen_first = 0, seen_later = 0, mixed = 0;
	__u64 cancelled = 0, completed = 0, taken = 0;
	struct mbx_stats_args st;
	int i, j, pass, delay = 0;

	self->child = spawn(race_child, r);
	ASSERT_LT(0, self->child);
	for (i = 0; i < r->rounds; i++) {
		__u32 n = 4 * i, state[BATCH];
		int cret[BATCH], pcomp[BATCH], got[BATCH], pev[BATCH], v[BATCH];
		int won = 0, lost = 0, pbad = 0;
		struct mbx_call c[BATCH], t;

		/*
		 * Set up: a call in every slot. For cancel vs collect the
		 * calls the caller's own callee session takes are submitted
		 * first, so that the queue hands it exactly those.
		 */
		r->delay = delay;
		for (j = 0; j < BATCH; j++) {
			v[j] = r->kind == RACE_COLLECT ? (i + j) % NVARIANTS : -1;
			cret[j] = pcomp[j] = got[j] = 1;
			pev[j] = 0;
			state[j] = 0xcccccccc;
		}
		for (pass = 0; pass < 2; pass++) {
			for (j = 0; j < BATCH; j++) {
				if ((v[j] == AT_PENDING) != (pass == 1) &&
				    r->kind == RACE_COLLECT)
					continue;
				if (r->kind != RACE_COLLECT && pass == 1)
					continue;
				ASSERT_EQ(0, acquire_slot(self->c.fd, j,
							  MBX_WAIT_NONBLOCK,
							  NULL));
				r->tag[j] = ((__u64)getpid() << 32) |
					    (i * BATCH + j);
				payload_fill(call_plane(&self->c, j), CALL_LEN,
					     r->tag[j]);
				ASSERT_EQ(0, call_submit(self->c.fd, j, CALL_LEN,
							 0, r->tag[j],
							 &r->id[j]));
			}
			if (r->kind != RACE_COLLECT || pass == 1)
				continue;
			for (j = 0; j < BATCH; j++) {
				if (v[j] == AT_PENDING)
					continue;
				ASSERT_EQ(0, call_take(self->e.fd,
						       MBX_WAIT_NONBLOCK, &t));
				ASSERT_EQ(r->id[t.slot], t.call_id);
				payload_fill(reply_plane(&self->e, t.slot),
					     REPLY_LEN,
					     r->tag[t.slot] ^ REPLY_SALT);
				taken++;
				if (v[t.slot] == AT_REPLIED)
					ASSERT_EQ(0, call_complete(self->e.fd,
								   t.slot,
								   t.call_id, 0,
								   REPLY_LEN));
			}
		}
		if (r->kind == RACE_COMPLETE)
			taken += BATCH;
		ASSERT_EQ(0, meet(r, 0, n + 1));
		ASSERT_EQ(0, meet(r, 0, n + 2));

		/* The race, over the batch. */
		spin(delay);
		for (j = 0; j < BATCH; j++) {
			spin(GAP_SPINS);
			if (r->kind != RACE_COLLECT) {
				cret[j] = call_cancel(self->c.fd, j, r->id[j],
						      &state[j]);
				continue;
			}
			if (v[j] == AT_TAKEN)
				pcomp[j] = call_complete(self->e.fd, j, r->id[j],
							 0, REPLY_LEN);
			got[j] = call_collect(self->c.fd,
					      MBX_COLLECT_CALL | MBX_WAIT_NONBLOCK,
					      j, r->id[j], &c[j]);
		}
		ASSERT_EQ(0, meet(r, 0, n + 3));
		if (r->kind == RACE_COLLECT)
			pbad = count_events(self->e.fd, r->id, pev);
		ASSERT_EQ(0, meet(r, 0, n + 4));
		ASSERT_EQ(0, r->err);
		ASSERT_EQ(0, r->bad_events);
		ASSERT_EQ(0, pbad);

		/* The outcome of every call. */
		for (j = 0; j < BATCH; j++) {
			bool cancel_won;
			int ret;

			if (r->kind == RACE_COLLECT && v[j] == AT_PENDING) {
				if (got[j] == 0)
					seen_later++;	/* cancelled first */
				else
					seen_first++;
			}
			if (got[j] == -EAGAIN && r->kind == RACE_COLLECT)
				ASSERT_EQ(AT_PENDING, v[j]);
			if (got[j]) {
				ret = call_collect(self->c.fd, MBX_COLLECT_CALL,
						   j, r->id[j], &c[j]);
				ASSERT_EQ(0, ret);
			}
			ASSERT_EQ(r->id[j], c[j].call_id);
			ASSERT_EQ(r->tag[j], c[j].user_data);
			switch (r->kind) {
			case RACE_TAKE:
				ASSERT_EQ(0, cret[j]);
				ASSERT_EQ(-ECANCELED, c[j].status);
				ASSERT_EQ(0, c[j].len);
				cancel_won = state[j] == MBX_STATE_PENDING;
				if (cancel_won) {
					ASSERT_EQ(1, r->take_ret[j]);
					ASSERT_EQ(0, r->events[j]);
					ASSERT_EQ(0, c[j].delivery);
				} else {
					ASSERT_EQ(MBX_STATE_TAKEN, state[j]);
					ASSERT_EQ(0, r->take_ret[j]);
					ASSERT_EQ(1, r->events[j]);
					ASSERT_EQ(-ECANCELED, r->complete_ret[j]);
					ASSERT_EQ(1, c[j].delivery);
					taken++;
				}
				cancelled++;
				break;
			case RACE_COMPLETE:
				ASSERT_EQ(1, c[j].delivery);
				cancel_won = cret[j] == 0;
				if (cancel_won) {
					ASSERT_EQ(MBX_STATE_TAKEN, state[j]);
					ASSERT_EQ(1, r->events[j]);
					ASSERT_EQ(-ECANCELED, r->complete_ret[j]);
					ASSERT_EQ(-ECANCELED, c[j].status);
					cancelled++;
				} else {
					ASSERT_EQ(-EALREADY, cret[j]);
					ASSERT_EQ(0, r->events[j]);
					ASSERT_EQ(0, r->complete_ret[j]);
					ASSERT_EQ(0, c[j].status);
					ASSERT_EQ(REPLY_LEN, c[j].len);
					ASSERT_TRUE(payload_ok(reply_plane(&self->c, j),
							       REPLY_LEN,
							       r->tag[j] ^ REPLY_SALT));
					completed++;
				}
				break;
			default:
				cancel_won = r->cancel_ret[j] == 0;
				if (cancel_won) {
					ASSERT_NE(AT_REPLIED, v[j]);
					ASSERT_EQ(v[j] == AT_PENDING ?
						  MBX_STATE_PENDING :
						  MBX_STATE_TAKEN,
						  r->cancel_state[j]);
					ASSERT_EQ(-ECANCELED, c[j].status);
					ASSERT_EQ(v[j] == AT_TAKEN ? 1 : 0, pev[j]);
					if (v[j] == AT_TAKEN)
						ASSERT_EQ(-ECANCELED, pcomp[j]);
					cancelled++;
				} else {
					ASSERT_EQ(-EALREADY, r->cancel_ret[j]);
					ASSERT_NE(AT_PENDING, v[j]);
					ASSERT_EQ(0, pev[j]);
					if (v[j] == AT_TAKEN)
						ASSERT_EQ(0, pcomp[j]);
					ASSERT_EQ(0, c[j].status);
					ASSERT_EQ(REPLY_LEN, c[j].len);
					ASSERT_TRUE(payload_ok(reply_plane(&self->c, j),
							       REPLY_LEN,
							       r->tag[j] ^ REPLY_SALT));
					completed++;
				}
				break;
			}
			ASSERT_EQ(0, slot_release(self->c.fd, j));
			/* Of cancel vs collect, only taken calls race both ways. */
			if (r->kind == RACE_COLLECT && v[j] != AT_TAKEN)
				continue;
			if (cancel_won)
				won++;
			else
				lost++;
		}
		first += won;
		second += lost;
		mixed += won && lost;

		/*
		 * One side won the whole batch: the turn came before or
		 * after it. Move the delay against the winner.
		 */
		if (!won != !lost) {
			int toward = r->kind == RACE_COLLECT ? -1 : 1;
			int step = abs(delay) / 8;

			if (step < DELAY_STEP)
				step = DELAY_STEP;
			delay += (won ? toward : -toward) * step;
			if (delay > DELAY_MAX)
				delay = DELAY_MAX;
			if (delay < -DELAY_MAX)
				delay = -DELAY_MAX;
		}
	}
	ASSERT_EQ(0, reap(self->child));
	self->child = 0;

	TH_LOG("%d calls in %d rounds: cancel first %d, the other side first %d; %d rounds interleaved (delay now %d)",
	       r->rounds * BATCH, r->rounds, first, second, mixed, delay);
	if (r->kind == RACE_COLLECT)
		TH_LOG("pending calls: collected after the cancel %d, looked for before %d",
		       seen_later, seen_first);
	/*
	 * Both orders happened, and in some rounds within one batch: the
	 * two processes' calls did interleave.
	 */
	EXPECT_LT(0, first);
	EXPECT_LT(0, second);
	EXPECT_LT(0, mixed);

	/* Nothing lost or doubled. */
	ASSERT_EQ(0, box_stats(self->c.fd, &st));
	EXPECT_EQ(NSLOTS, st.out_free);
	EXPECT_EQ(r->rounds * BATCH, st.out_submitted);
	EXPECT_EQ(r->rounds * BATCH, st.out_cancelled + st.out_completed);
	EXPECT_EQ(cancelled, st.out_cancelled);
	EXPECT_EQ(completed, st.out_completed);
	EXPECT_EQ(taken, st.out_taken);
	EXPECT_EQ(0, st.out_redelivered);
	EXPECT_EQ(0, st.out_owner_died);
}

TEST_HARNESS_MAIN
