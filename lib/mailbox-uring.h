/* SPDX-License-Identifier: (LGPL-2.1-or-later OR MIT) */
/*
 * libmailbox helpers for liburing (see mailbox_prep_poll(3)).
 *
 * Header only, so that libmailbox itself does not depend on liburing:
 * include it after <liburing.h> and link with -luring.
 *
 * A mailbox fd is polled through io_uring, and its operations can be
 * io_uring commands (mailbox_prep_cmd() and the helpers below). The
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

#include <stdint.h>
#include <string.h>
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

/*
 * Mailbox operations as io_uring commands (MBX_FEAT_URING): each is the
 * ioctl of the same name on an argument struct that must stay in place,
 * untouched, until its completion. The completion's res is what the
 * ioctl returns (0 or a negative errno); the results are in the struct,
 * whose address is the request's user data (mailbox_cqe_args()). An
 * operation that waits (take, collect, a batch's second half) does so in
 * io_uring's worker, never in io_uring_submit(); the ring's teardown or
 * the task's exit ends such a wait with -EINTR.
 */

/* Prepare @sqe: the ioctl @op (MBX_IOC_*) on its argument struct @arg. */
static inline void mailbox_prep_cmd(struct io_uring_sqe *sqe,
				    const struct mailbox *mb,
				    unsigned long op, void *arg)
{
	struct mbx_uring_cmd *cmd;

	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, mb->fd, NULL, 0, 0);
	sqe->cmd_op = (__u32)op;
	cmd = (struct mbx_uring_cmd *)sqe->cmd;
	cmd->arg = (__u64)(uintptr_t)arg;
	cmd->__reserved = 0;
	io_uring_sqe_set_data(sqe, arg);
}

/* The argument struct of the command that posted @cqe. */
static inline void *mailbox_cqe_args(const struct io_uring_cqe *cqe)
{
	return io_uring_cqe_get_data(cqe);
}

/* Take a call (MBX_IOC_CALL_TAKE): once res is 0, it is args->out_call. */
static inline void mailbox_prep_take(struct io_uring_sqe *sqe,
				     const struct mailbox *mb,
				     struct mbx_take_args *args,
				     uint32_t flags, uint64_t timeout_ns)
{
	memset(args, 0, sizeof(*args));
	args->size = sizeof(*args);
	args->flags = flags;
	args->timeout_ns = timeout_ns;
	mailbox_prep_cmd(sqe, mb, MBX_IOC_CALL_TAKE, args);
}

/* Answer @done with @status and @len bytes of reply (MBX_IOC_CALL_COMPLETE). */
static inline void mailbox_prep_complete(struct io_uring_sqe *sqe,
					 const struct mailbox *mb,
					 struct mbx_complete_args *args,
					 const struct mbx_call *done,
					 int32_t status, uint32_t len)
{
	memset(args, 0, sizeof(*args));
	args->size = sizeof(*args);
	args->call_id = done->call_id;
	args->slot = done->slot;
	args->status = status;
	args->len = len;
	mailbox_prep_cmd(sqe, mb, MBX_IOC_CALL_COMPLETE, args);
}

/*
 * Submit the call in @call->slot (MBX_IOC_CALL_SUBMIT): once res is 0,
 * its id is args->out_call_id. With MBX_SUBMIT_COLLECT in @flags the
 * command completes only when a reply to a call of this fd is collected,
 * in args->out_reply: the call's second step is its completion.
 */
static inline void mailbox_prep_submit(struct io_uring_sqe *sqe,
				       const struct mailbox *mb,
				       struct mbx_submit_args *args,
				       const struct mbx_call *call,
				       uint32_t flags, uint64_t timeout_ns)
{
	memset(args, 0, sizeof(*args));
	args->size = sizeof(*args);
	args->flags = flags;
	args->slot = call->slot;
	args->opcode = call->opcode;
	args->len = call->len;
	args->call_flags = call->flags & MBX_CALL_AT_MOST_ONCE;
	args->user_data = call->user_data;
	args->timeout_ns = timeout_ns;
	mailbox_prep_cmd(sqe, mb, MBX_IOC_CALL_SUBMIT, args);
}

/*
 * Collect a reply (MBX_IOC_CALL_COLLECT): to @which (slot, call_id), or,
 * when @which is NULL, to any call of this fd. Once res is 0 the reply is
 * args->out_call and its slot is owned.
 */
static inline void mailbox_prep_collect(struct io_uring_sqe *sqe,
					const struct mailbox *mb,
					struct mbx_collect_args *args,
					const struct mbx_call *which,
					uint32_t flags, uint64_t timeout_ns)
{
	memset(args, 0, sizeof(*args));
	args->size = sizeof(*args);
	args->flags = flags;
	if (which) {
		args->flags |= MBX_COLLECT_CALL;
		args->call_id = which->call_id;
		args->slot = which->slot;
	}
	args->timeout_ns = timeout_ns;
	mailbox_prep_cmd(sqe, mb, MBX_IOC_CALL_COLLECT, args);
}

#ifdef __cplusplus
}
#endif

#endif /* LIBMAILBOX_URING_H */
