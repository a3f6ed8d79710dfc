// SPDX-License-Identifier: GPL-2.0
/*
 * libmailbox, inspection and notification: mailbox_slot_info, stats, events,
 * reclaim, ready, fd and epoll; the inline helpers: what each function
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
#include <sys/epoll.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "mbx_helpers.h"

LIB_FIXTURE(lib)

/* ------------------------------------------------------------------ */
/* mailbox_slot_info                                                    */

TEST_F(lib, slot_info_reports_the_headers)
{
	struct mbx_slot_info info[LIB_NSLOTS + 1];
	struct mbx_call call;
	uint64_t id, t0 = mbx_now_ns();
	int slot;

	slot = lib_start_call(&self->mb, 77, "look", MBX_CALL_AT_MOST_ONCE, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, lib_take_now(&self->mb, &call));
	memset(info, 0xcc, sizeof(info));
	ASSERT_EQ(LIB_NSLOTS, mailbox_slot_info(&self->mb, 0, LIB_NSLOTS, info));
	EXPECT_EQ(slot, info[slot].slot);
	EXPECT_EQ(MBX_STATE_TAKEN, info[slot].state);
	EXPECT_EQ(id, info[slot].call_id);
	EXPECT_EQ(0x5eed, info[slot].user_data);
	EXPECT_EQ(77, info[slot].opcode);
	EXPECT_EQ(5, info[slot].len);
	EXPECT_EQ(0, info[slot].reply_len);
	EXPECT_EQ(MBX_CALL_AT_MOST_ONCE, info[slot].flags);
	EXPECT_EQ(1, info[slot].delivery);
	EXPECT_EQ(0, info[slot].owner_pid);
	EXPECT_EQ(getpid(), info[slot].caller_pid);
	EXPECT_EQ(getpid(), info[slot].callee_pid);
	EXPECT_LE(t0, info[slot].submit_ns);
	EXPECT_LE(info[slot].submit_ns, info[slot].take_ns);
	EXPECT_EQ(0, info[slot].reply_ns);
	EXPECT_EQ(0, info[slot].__reserved);
	EXPECT_EQ(MBX_STATE_FREE, info[(slot + 1) % LIB_NSLOTS].state);
	/* Not one entry more than asked for. */
	EXPECT_EQ(0xcc, *(unsigned char *)&info[LIB_NSLOTS]);
}

TEST_F(lib, slot_info_clips_to_the_last_slot)
{
	struct mbx_slot_info info[LIB_NSLOTS];

	memset(info, 0xcc, sizeof(info));
	EXPECT_EQ(1, mailbox_slot_info(&self->mb, LIB_NSLOTS - 1, LIB_NSLOTS, info));
	EXPECT_EQ(LIB_NSLOTS - 1, info[0].slot);
	EXPECT_EQ(0xcc, *(unsigned char *)&info[1]);
}

TEST_F(lib, slot_info_count_zero)
{
	EXPECT_EQ(0, mailbox_slot_info(&self->mb, 0, 0, NULL));
}

TEST_F(lib, slot_info_first_out_of_range)
{
	struct mbx_slot_info info;

	EXPECT_EQ(-EINVAL, mailbox_slot_info(&self->mb, LIB_NSLOTS, 1, &info));
}

TEST_F(lib, slot_info_bad_buffer)
{
	EXPECT_EQ(-EFAULT, mailbox_slot_info(&self->mb, 0, 1,
					     (struct mbx_slot_info *)8));
}

/* ------------------------------------------------------------------ */
/* mailbox_stats                                                        */

TEST_F(lib, stats_count_and_census)
{
	struct mbx_stats_args st;
	struct mbx_call call, reply;
	uint64_t id;
	int slot;

	slot = lib_start_call(&self->mb, 1, "x", 0, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, lib_take_now(&self->mb, &call));
	ASSERT_EQ(0, lib_answer(&self->mb, &call, 0, ""));
	ASSERT_EQ(0, mailbox_collect(&self->mb, NULL,
				     MBX_WAIT_NONBLOCK, 0, &reply));
	ASSERT_LE(0, lib_start_call(&self->mb, 1, "y", 0, &id));
	memset(&st, 0xcc, sizeof(st));
	ASSERT_EQ(0, mailbox_stats(&self->mb, &st));
	EXPECT_EQ(2, st.out_submitted);
	EXPECT_EQ(1, st.out_taken);
	EXPECT_EQ(1, st.out_completed);
	EXPECT_EQ(0, st.out_cancelled);
	EXPECT_EQ(0, st.out_redelivered);
	EXPECT_EQ(0, st.out_owner_died);
	EXPECT_EQ(0, st.out_reclaimed);
	EXPECT_GT(5 * MBX_SEC_NS, st.out_max_wait_ns);
	EXPECT_GT(5 * MBX_SEC_NS, st.out_oldest_pending_ns);
	EXPECT_EQ(LIB_NSLOTS - 2, st.out_free);
	EXPECT_EQ(1, st.out_owned);
	EXPECT_EQ(1, st.out_pending);
	EXPECT_EQ(0, st.out_taken_now);
	EXPECT_EQ(0, st.out_replied);
	EXPECT_EQ(1, st.out_sessions);
}

/* ------------------------------------------------------------------ */
/* mailbox_events                                                       */

TEST_F(lib, events_none)
{
	struct mbx_event ev;

	memset(&ev, 0xcc, sizeof(ev));
	EXPECT_EQ(0, mailbox_events(&self->mb, &ev, 1));
	EXPECT_EQ(0xcc, *(unsigned char *)&ev);
}

TEST_F(lib, events_caller_gone)
{
	struct mbx_slot_info info;
	struct mbx_call call;
	struct mbx_event ev;
	uint64_t id;
	int slot;

	/* The child's call is taken by us, then the child goes. */
	slot = -1;
	{
		int pfd[2];
		pid_t pid;
		char ok;

		ASSERT_EQ(0, pipe(pfd));
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			struct mailbox mb;

			if (mailbox_open(&mb, self->name, MBX_ACCESS_READ |
					 MBX_ACCESS_WRITE, 0) ||
			    lib_start_call(&mb, 1, "bye", 0, &id) < 0)
				_exit(1);
			/* Wait until the parent took it. */
			if (read(pfd[0], &ok, 1) != 1)
				_exit(1);
			_exit(0);
		}
		ASSERT_EQ(0, mailbox_take(&self->mb, MBX_WAIT_TIMEOUT,
					  mailbox_deadline(5 * MBX_SEC_NS), &call));
		slot = call.slot;
		ASSERT_EQ(1, write(pfd[1], "k", 1));
		ASSERT_EQ(pid, waitpid(pid, NULL, 0));
		close(pfd[0]);
		close(pfd[1]);
	}
	memset(&ev, 0xcc, sizeof(ev));
	ASSERT_EQ(1, mailbox_events(&self->mb, &ev, 1));
	EXPECT_EQ(MBX_EVENT_CALLER_GONE, ev.type);
	EXPECT_EQ(slot, ev.slot);
	EXPECT_EQ(call.call_id, ev.call_id);
	ASSERT_EQ(1, mailbox_slot_info(&self->mb, slot, 1, &info));
	EXPECT_EQ(MBX_CALL_CALLER_GONE, info.flags & MBX_CALL_CALLER_GONE);
	EXPECT_EQ(0, info.caller_pid);
}

TEST(events_overflow)
{
	struct mailbox caller, callee;
	struct mbx_event ev[80];
	char name[MBX_NAME_MAX];
	struct mbx_call call;
	uint64_t ids[70];
	int slots[70];
	int i, n;

	SKIP_IF_NO_DEVICE();
	mbx_unique_name(name, "overflow");
	ASSERT_EQ(0, mailbox_create(&caller, name, 70, 64, 0600, 0, 0));
	ASSERT_EQ(0, mailbox_open(&callee, name, MBX_ACCESS_READ |
				  MBX_ACCESS_WRITE, 0));
	for (i = 0; i < 70; i++) {
		slots[i] = lib_start_call(&caller, 1, "c", 0, &ids[i]);
		ASSERT_LE(0, slots[i]);
		ASSERT_EQ(0, lib_take_now(&callee, &call));
	}
	/* 70 cancel requests for a queue of 64. */
	for (i = 0; i < 70; i++)
		ASSERT_EQ(MBX_STATE_TAKEN, mailbox_cancel(&caller, &(struct mbx_call){ .slot = slots[i], .call_id = ids[i] }));
	memset(ev, 0xcc, sizeof(ev));
	n = mailbox_events(&callee, ev, 80);
	ASSERT_EQ(65, n);
	for (i = 0; i < 64; i++) {
		EXPECT_EQ(MBX_EVENT_CANCEL, ev[i].type);
		EXPECT_EQ(ids[i], ev[i].call_id);
	}
	EXPECT_EQ(MBX_EVENT_OVERFLOW, ev[64].type);
	EXPECT_EQ(0, mailbox_events(&callee, ev, 80));
	EXPECT_EQ(0, mailbox_close(&callee));
	EXPECT_EQ(0, mailbox_close(&caller));
	EXPECT_EQ(0, mailbox_destroy(name));
}

TEST_F(lib, events_a_few_at_a_time)
{
	struct mailbox callee;
	struct mbx_call call;
	struct mbx_event ev;
	uint64_t id[2];
	int slot[2], i;

	ASSERT_EQ(0, lib_open_again(self->name, &callee,
				    MBX_ACCESS_READ | MBX_ACCESS_WRITE));
	for (i = 0; i < 2; i++) {
		slot[i] = lib_start_call(&self->mb, 1, "c", 0, &id[i]);
		ASSERT_LE(0, slot[i]);
		ASSERT_EQ(0, lib_take_now(&callee, &call));
		ASSERT_EQ(MBX_STATE_TAKEN, mailbox_cancel(&self->mb, &(struct mbx_call){ .slot = slot[i], .call_id = id[i] }));
	}
	ASSERT_EQ(1, mailbox_events(&callee, &ev, 1));
	EXPECT_EQ(id[0], ev.call_id);
	ASSERT_EQ(1, mailbox_events(&callee, &ev, 1));
	EXPECT_EQ(id[1], ev.call_id);
	EXPECT_EQ(0, mailbox_events(&callee, &ev, 1));
	EXPECT_EQ(0, mailbox_close(&callee));
}

TEST_F(lib, events_count_zero)
{
	struct mbx_event ev;

	EXPECT_EQ(-EINVAL, mailbox_events(&self->mb, &ev, 0));
}

TEST_F(lib, events_bad_buffer)
{
	struct mailbox callee;
	struct mbx_event ev;
	struct mbx_call call;
	uint64_t id;
	int slot;

	/* A fault is seen only when there is an event to copy. */
	ASSERT_EQ(0, lib_open_again(self->name, &callee,
				    MBX_ACCESS_READ | MBX_ACCESS_WRITE));
	slot = lib_start_call(&self->mb, 1, "c", 0, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, lib_take_now(&callee, &call));
	ASSERT_EQ(MBX_STATE_TAKEN, mailbox_cancel(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }));
	EXPECT_EQ(-EFAULT, mailbox_events(&callee, (struct mbx_event *)8, 1));
	/* Copied out before consumed: the event is still there. */
	EXPECT_EQ(1, mailbox_events(&callee, &ev, 1));
	EXPECT_EQ(MBX_EVENT_CANCEL, ev.type);
	EXPECT_EQ(0, mailbox_close(&callee));
}

/* ------------------------------------------------------------------ */
/* mailbox_reclaim                                                      */

TEST_F(lib, reclaim_frees_replies_nobody_will_collect)
{
	struct mbx_stats_args st;
	struct mbx_slot_info info;
	struct mbx_call call;
	struct child_msg c;

	c = lib_run_child(self->name, CHILD_CALLS, 0, 0, 0);
	ASSERT_EQ(0, c.ret);
	ASSERT_EQ(0, lib_take_now(&self->mb, &call));
	ASSERT_EQ(0, lib_answer(&self->mb, &call, 0, "lost"));
	/* Not old enough. */
	EXPECT_EQ(0, mailbox_reclaim(&self->mb, 3600 * MBX_SEC_NS));
	EXPECT_EQ(1, mailbox_reclaim(&self->mb, 0));
	ASSERT_EQ(1, mailbox_slot_info(&self->mb, c.slot, 1, &info));
	EXPECT_EQ(MBX_STATE_FREE, info.state);
	ASSERT_EQ(0, mailbox_stats(&self->mb, &st));
	EXPECT_EQ(1, st.out_reclaimed);
	EXPECT_EQ(0, mailbox_reclaim(&self->mb, 0));
}

TEST_F(lib, reclaim_leaves_replies_with_a_caller)
{
	struct mbx_call call;
	uint64_t id;

	ASSERT_LE(0, lib_start_call(&self->mb, 1, "x", 0, &id));
	ASSERT_EQ(0, lib_take_now(&self->mb, &call));
	ASSERT_EQ(0, lib_answer(&self->mb, &call, 0, "mine"));
	EXPECT_EQ(0, mailbox_reclaim(&self->mb, 0));
}

TEST_F(lib, reclaim_read_only)
{
	struct mailbox mb;

	ASSERT_EQ(0, lib_open_again(self->name, &mb, MBX_ACCESS_READ));
	EXPECT_EQ(-EBADF, mailbox_reclaim(&mb, 0));
	EXPECT_EQ(0, mailbox_close(&mb));
}

/* ------------------------------------------------------------------ */
/* mailbox_ready, mailbox_fd and epoll                                  */

TEST_F(lib, ready_follows_the_work)
{
	struct mailbox callee;
	struct mbx_call call;
	uint64_t id;
	int slot, i;

	ASSERT_EQ(0, lib_open_again(self->name, &callee,
				    MBX_ACCESS_READ | MBX_ACCESS_WRITE));
	EXPECT_EQ(MAILBOX_READY_FREE, mailbox_ready(&self->mb, 0));
	EXPECT_EQ(MAILBOX_READY_FREE, mailbox_ready(&self->mb,
						    MAILBOX_READY_ALL));
	EXPECT_EQ(0, mailbox_ready(&self->mb, MAILBOX_READY_CALL));
	slot = lib_start_call(&self->mb, 1, "x", 0, &id);
	ASSERT_LE(0, slot);
	EXPECT_EQ(MAILBOX_READY_CALL, mailbox_ready(&callee,
						    MAILBOX_READY_CALL));
	ASSERT_EQ(0, lib_take_now(&callee, &call));
	EXPECT_EQ(0, mailbox_ready(&callee, MAILBOX_READY_CALL));
	EXPECT_EQ(0, mailbox_ready(&self->mb, MAILBOX_READY_REPLY));
	ASSERT_EQ(MBX_STATE_TAKEN, mailbox_cancel(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }));
	EXPECT_EQ(MAILBOX_READY_EVENT, mailbox_ready(&callee,
						     MAILBOX_READY_EVENT));
	ASSERT_EQ(-ECANCELED, lib_answer(&callee, &call, 0, ""));
	/* The reply is the caller's, not the callee's. */
	EXPECT_EQ(MAILBOX_READY_REPLY, mailbox_ready(&self->mb,
						     MAILBOX_READY_REPLY));
	EXPECT_EQ(0, mailbox_ready(&callee, MAILBOX_READY_REPLY));
	for (i = 1; i < LIB_NSLOTS; i++)
		ASSERT_LE(0, mailbox_acquire(&self->mb, 0,
					     MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK, 0, NULL));
	EXPECT_EQ(MAILBOX_READY_REPLY | MAILBOX_READY_EVENT,
		  mailbox_ready(&callee, 0) | mailbox_ready(&self->mb, 0));
	EXPECT_EQ(0, mailbox_close(&callee));
}

TEST_F(lib, ready_unknown_kind)
{
	EXPECT_EQ(-EINVAL, mailbox_ready(&self->mb, POLLRDNORM));
}

TEST_F(lib, ready_closed_fd)
{
	struct mailbox mb = self->mb;

	mb.fd = 1000;
	EXPECT_EQ(-EBADF, mailbox_ready(&mb, 0));
}

TEST_F(lib, ready_kinds_are_the_poll_bits)
{
	EXPECT_EQ(EPOLLIN, MAILBOX_READY_CALL);
	EXPECT_EQ(EPOLLPRI, MAILBOX_READY_EVENT);
	EXPECT_EQ(EPOLLOUT, MAILBOX_READY_FREE);
	EXPECT_EQ(EPOLLRDBAND, MAILBOX_READY_REPLY);
	EXPECT_EQ(self->mb.fd, mailbox_fd(&self->mb));
}

TEST_F(lib, epoll_wakes_for_a_reply)
{
	struct mailbox callee;
	struct lib_later l = { .mb = &callee, .delay_ms = 50 };
	struct epoll_event ev = { .events = MAILBOX_READY_REPLY };
	struct mbx_call reply;
	pthread_t thr;
	uint64_t id;
	int ep;

	ASSERT_EQ(0, lib_open_again(self->name, &callee,
				    MBX_ACCESS_READ | MBX_ACCESS_WRITE));
	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, mailbox_fd(&self->mb), &ev));
	ASSERT_LE(0, lib_start_call(&self->mb, 1, "x", 0, &id));
	pthread_create(&thr, NULL, lib_complete_later, &l);
	memset(&ev, 0, sizeof(ev));
	ASSERT_EQ(1, epoll_wait(ep, &ev, 1, 5000));
	EXPECT_EQ(MAILBOX_READY_REPLY, ev.events);
	pthread_join(thr, NULL);
	ASSERT_EQ(0, mailbox_collect(&self->mb, NULL,
				     MBX_WAIT_NONBLOCK, 0, &reply));
	EXPECT_EQ(id, reply.call_id);
	close(ep);
	EXPECT_EQ(0, mailbox_close(&callee));
}

/* ------------------------------------------------------------------ */
/* Inline helpers                                                       */

TEST_F(lib, planes_are_where_info_says)
{
	struct mbx_info_args info;
	unsigned char *map = self->mb.map;
	uint32_t i;

	ASSERT_EQ(0, mailbox_info(&self->mb, &info));
	for (i = 0; i < LIB_NSLOTS; i++) {
		EXPECT_EQ(map + info.out_call_off + i * LIB_SLOT_SIZE,
			  (unsigned char *)mailbox_call_plane(&self->mb, i));
		EXPECT_EQ(map + info.out_reply_off + i * LIB_SLOT_SIZE,
			  (unsigned char *)mailbox_reply_plane(&self->mb, i));
	}
}

TEST(deadline_is_monotonic_now_plus)
{
	struct timespec ts;
	uint64_t before, d;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	before = ts.tv_sec * MBX_SEC_NS + ts.tv_nsec;
	d = mailbox_deadline(7 * MBX_SEC_NS);
	EXPECT_LE(before + 7 * MBX_SEC_NS, d);
	EXPECT_GT(before + 8 * MBX_SEC_NS, d);
}

TEST_HARNESS_MAIN
