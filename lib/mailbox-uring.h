/* SPDX-License-Identifier: (LGPL-2.1-or-later OR MIT) */
/*
 * libmailbox helpers for liburing (see mailbox_prep_poll(3)).
 *
 * Header only, so that libmailbox itself does not depend on liburing:
 * include it after <liburing.h> and link with -luring.
 *
 * A mailbox fd does not read or write through io_uring; it is polled. The
 * poll masks are the MAILBOX_READY_* kinds of <mailbox.h>. The result of a
 * completed poll (cqe->res, when not negative) holds the kinds that
 * completed it; others may be ready too (mailbox_ready() tells them all).
 * After a completion, do the work of every kind the poll was for
 * (mailbox_take(), mailbox_collect(), mailbox_acquire() with
 * MBX_ACQUIRE_ANY, each with MBX_WAIT_NONBLOCK until -EAGAIN;
 * mailbox_events() until it returns fewer than asked for), then re-arm
 * a single-shot poll. A multishot poll stays armed until it is removed or
 * completes without IORING_CQE_F_MORE.
 * io_uring polls are edge-triggered unless IORING_POLL_ADD_LEVEL is set:
 * what arrives after the drain completes the poll again.
 */
#ifndef LIBMAILBOX_URING_H
#define LIBMAILBOX_URING_H

#include <liburing.h>

#include "mailbox.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Prepare @sqe: a single-shot poll of @mb for @mask (MAILBOX_READY_*). */
static inline void mailbox_prep_poll(struct io_uring_sqe *sqe,
				     const struct mailbox *mb,
				     unsigned int mask)
{
	io_uring_prep_poll_add(sqe, mb->fd, mask);
}

/*
 * Prepare @sqe: a multishot poll of @mb for @mask. Each time a kind in
 * @mask becomes ready a completion is posted with IORING_CQE_F_MORE set;
 * a completion without it ends the poll (re-arm it then).
 */
static inline void mailbox_prep_poll_multishot(struct io_uring_sqe *sqe,
					       const struct mailbox *mb,
					       unsigned int mask)
{
	io_uring_prep_poll_multishot(sqe, mb->fd, mask);
}

#ifdef __cplusplus
}
#endif

#endif /* LIBMAILBOX_URING_H */
