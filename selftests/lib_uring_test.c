// SPDX-License-Identifier: GPL-2.0
/*
 * libmailbox, mailbox-uring.h: readiness through io_uring polls: what each function
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

#include "mailbox-uring.h"
#include "kselftest_harness.h"
#include "mbx_helpers.h"

LIB_FIXTURE(lib)

/* ------------------------------------------------------------------ */
/* liburing                                                             */

static int uring_wait(struct io_uring *ring, struct io_uring_cqe **cqe,
		      unsigned int ms)
{
	struct __kernel_timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (ms % 1000) * 1000000LL,
	};

	return io_uring_wait_cqe_timeout(ring, cqe, &ts);
}

TEST_F(lib, uring_poll_ready_at_once)
{
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;

	ASSERT_EQ(0, io_uring_queue_init(4, &ring, 0));
	sqe = io_uring_get_sqe(&ring);
	mailbox_prep_poll(sqe, &self->mb, MAILBOX_READY_FREE);
	EXPECT_EQ(IORING_OP_POLL_ADD, sqe->opcode);
	EXPECT_EQ(self->mb.fd, sqe->fd);
	io_uring_sqe_set_data64(sqe, 42);
	ASSERT_EQ(1, io_uring_submit(&ring));
	ASSERT_EQ(0, uring_wait(&ring, &cqe, 5000));
	EXPECT_EQ(42, cqe->user_data);
	EXPECT_EQ(MAILBOX_READY_FREE, cqe->res);
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
}

/*
 * A poll that has to wait. Fails (cqe->res == -EINVAL) with a module whose
 * poll handler registers on more than two wait queues: io_uring's poll
 * supports two per request (io_uring/poll.c, "fail a third attempt").
 */
TEST_F(lib, uring_poll_waits_for_a_call)
{
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	uint64_t id;

	ASSERT_EQ(0, io_uring_queue_init(4, &ring, 0));
	mailbox_prep_poll(io_uring_get_sqe(&ring), &self->mb,
			  MAILBOX_READY_CALL);
	ASSERT_EQ(1, io_uring_submit(&ring));
	ASSERT_LE(0, lib_start_call(&self->mb, 1, "x", 0, &id));
	ASSERT_EQ(0, uring_wait(&ring, &cqe, 5000));
	EXPECT_EQ(MAILBOX_READY_CALL, cqe->res);
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
}

/* As above: fails with -EINVAL with a module polling three wait queues. */
TEST_F(lib, uring_multishot_poll_posts_per_wakeup)
{
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	struct mbx_call call;
	uint64_t id;
	int i;

	ASSERT_EQ(0, io_uring_queue_init(4, &ring, 0));
	sqe = io_uring_get_sqe(&ring);
	mailbox_prep_poll_multishot(sqe, &self->mb, MAILBOX_READY_CALL);
	EXPECT_EQ(IORING_POLL_ADD_MULTI, sqe->len);
	ASSERT_EQ(1, io_uring_submit(&ring));
	for (i = 0; i < 2; i++) {
		ASSERT_LE(0, lib_start_call(&self->mb, 1, "x", 0, &id));
		ASSERT_EQ(0, uring_wait(&ring, &cqe, 5000));
		EXPECT_EQ(MAILBOX_READY_CALL, cqe->res);
		EXPECT_EQ(IORING_CQE_F_MORE, cqe->flags & IORING_CQE_F_MORE);
		io_uring_cqe_seen(&ring, cqe);
		ASSERT_EQ(0, lib_take_now(&self->mb, &call));
	}
	io_uring_queue_exit(&ring);
}

/*
 * An event (EPOLLPRI) must complete a poll that waits for it. Fails (the
 * wait times out) with a module that wakes event pollers with the key
 * EPOLLPRI alone: io_uring drops such a wakeup (io_poll_wake() masks out
 * IO_ASYNC_POLL_COMMON, which holds EPOLLPRI), where epoll does not (see
 * epoll_wakes_for_an_event).
 */
TEST_F(lib, uring_poll_wakes_for_an_event)
{
	struct mailbox callee;
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	struct mbx_call call;
	uint64_t id;
	int slot;

	ASSERT_EQ(0, lib_open_again(self->name, &callee,
				    MBX_ACCESS_READ | MBX_ACCESS_WRITE));
	slot = lib_start_call(&self->mb, 1, "x", 0, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, lib_take_now(&callee, &call));
	ASSERT_EQ(0, io_uring_queue_init(4, &ring, 0));
	mailbox_prep_poll(io_uring_get_sqe(&ring), &callee,
			  MAILBOX_READY_EVENT);
	ASSERT_EQ(1, io_uring_submit(&ring));
	ASSERT_EQ(MBX_STATE_TAKEN, mailbox_cancel(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }));
	ASSERT_EQ(0, uring_wait(&ring, &cqe, 2000));
	EXPECT_EQ(MAILBOX_READY_EVENT, cqe->res);
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
	EXPECT_EQ(0, mailbox_close(&callee));
}

TEST_F(lib, epoll_wakes_for_an_event)
{
	struct epoll_event ev = { .events = MAILBOX_READY_EVENT };
	struct mailbox callee;
	struct mbx_call call;
	uint64_t id;
	int slot, ep;

	ASSERT_EQ(0, lib_open_again(self->name, &callee,
				    MBX_ACCESS_READ | MBX_ACCESS_WRITE));
	slot = lib_start_call(&self->mb, 1, "x", 0, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, lib_take_now(&callee, &call));
	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, mailbox_fd(&callee), &ev));
	EXPECT_EQ(0, epoll_wait(ep, &ev, 1, 0));
	ASSERT_EQ(MBX_STATE_TAKEN, mailbox_cancel(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }));
	memset(&ev, 0, sizeof(ev));
	ASSERT_EQ(1, epoll_wait(ep, &ev, 1, 2000));
	EXPECT_EQ(MAILBOX_READY_EVENT, ev.events);
	close(ep);
	EXPECT_EQ(0, mailbox_close(&callee));
}

TEST_HARNESS_MAIN
