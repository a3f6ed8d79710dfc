// SPDX-License-Identifier: GPL-2.0
/*
 * mailbox-bench: /dev/mailbox through io_uring commands. A caller queues
 * one MBX_IOC_CALL_SUBMIT command per call and, when it needs a reply and
 * has none left, one MBX_IOC_BATCH_CALL that collects every reply there
 * is, and submits them all with io_uring_submit_and_wait(): the submits
 * complete inline, the collect inline too when a reply is there, else in
 * io_uring's worker. A callee queues an MBX_IOC_BATCH_SERVE that answers
 * what it holds (never waits, inline) and one that takes every call
 * pending (inline when there are some), in one io_uring_enter().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <liburing.h>

#include "mbx_mech.h"
#include "mailbox-uring.h"

struct uring_priv {
	struct io_uring ring;
	int poll;		/* the poll's user data is &poll */
	bool ready;		/* a poll completion came since the last try */
	struct mbx_submit_args sub[MAX_DEPTH];
	struct mbx_batch_call_args coll;
	struct mbx_batch_serve_args ans, take;
};

static int uring_init(struct worker *w)
{
	struct io_uring_sqe *sqe;
	struct mbx_priv *p;
	struct uring_priv *u;
	int ret;

	ret = mbx_init(w);
	if (ret)
		return ret;
	p = w->priv;
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	ret = io_uring_queue_init(2 * MAX_DEPTH + 4, &u->ring, 0);
	if (ret)
		return ret;
	/* mbx_priv's got[] holds the replies or calls got. */
	p->ext = u;
	sqe = io_uring_get_sqe(&u->ring);
	mailbox_prep_poll_multishot(sqe, &p->mb, w->caller ?
				    MAILBOX_READY_REPLY : MAILBOX_READY_CALL);
	io_uring_sqe_set_data(sqe, &u->poll);
	return 0;
}

static struct uring_priv *U(struct worker *w)
{
	return ((struct mbx_priv *)w->priv)->ext;
}

static int uring_submit(struct worker *w, int i)
{
	struct mbx_priv *p = w->priv;
	struct uring_priv *u = U(w);
	struct mbx_call call = {
		.slot = p->slot[i],
		.opcode = OP_CALL,
		.len = w->r->size,
		.user_data = i,
	};

	mailbox_prep_submit(io_uring_get_sqe(&u->ring), &p->mb, &u->sub[i],
			    &call, 0, 0);
	return 0;
}

/*
 * Submit what is queued; wait for the completion of @want, its res in
 * *@res, or, with @want NULL, for the poll to say there is something.
 */
static int uring_run(struct worker *w, void *want, int *res)
{
	struct uring_priv *u = U(w);
	struct io_uring_cqe *cqe;
	unsigned int head, seen;
	bool got = false;
	int ret;

	if (!want && u->ready)
		got = true;
	while (!got) {
		nsys++;
		ret = io_uring_submit_and_wait(&u->ring, 1);
		if (ret < 0)
			return ret;
		seen = 0;
		io_uring_for_each_cqe(&u->ring, head, cqe) {
			seen++;
			if (mailbox_cqe_args(cqe) == &u->poll) {
				/* Readiness: the caller tries again. */
				if (cqe->res < 0)
					return cqe->res;
				if (!(cqe->flags & IORING_CQE_F_MORE))
					return -EPROTO;
				u->ready = true;
				if (!want)
					got = true;
			} else if (want && mailbox_cqe_args(cqe) == want) {
				*res = cqe->res;
				got = true;
			} else if (cqe->res) {
				return cqe->res;
			}
		}
		io_uring_cq_advance(&u->ring, seen);
	}
	return 0;
}

static int uring_collect(struct worker *w, int *i, const struct bmsg **rep)
{
	struct mbx_priv *p = w->priv;
	struct uring_priv *u = U(w);
	int ret, res;

	while (p->next == p->ngot) {
		/* What the poll said so far, this collect sees. */
		u->ready = false;
		u->coll = (struct mbx_batch_call_args){
			.size = sizeof(u->coll),
			.flags = MBX_WAIT_NONBLOCK,
			.collect = (uintptr_t)p->got,
			.ncollect = w->r->c->depth,
		};
		mailbox_prep_cmd(io_uring_get_sqe(&u->ring), &p->mb,
				 MBX_IOC_BATCH_CALL, &u->coll);
		ret = uring_run(w, &u->coll, &res);
		if (!ret && res == -EAGAIN)
			ret = uring_run(w, NULL, &res);
		else if (!ret && res)
			ret = res;
		if (ret)
			return ret;
		p->ngot = u->coll.out_collected;
		p->next = 0;
	}
	return mbx_reply(w, &p->got[p->next++], i, rep);
}

static int uring_take(struct worker *w, bool answer, const struct bmsg **req,
		      struct bmsg **rep)
{
	struct mbx_priv *p = w->priv;
	struct uring_priv *u = U(w);
	int ret, res, k;

	if (answer)
		p->done[p->ndone++] = (struct mbx_batch_complete){
			.call_id = p->cur.call_id,
			.slot = p->cur.slot,
			.len = w->r->size,
		};
	while (p->next == p->ngot) {
		u->ready = false;
		if (p->ndone) {
			u->ans = (struct mbx_batch_serve_args){
				.size = sizeof(u->ans),
				.complete = (uintptr_t)p->done,
				.ncomplete = p->ndone,
			};
			mailbox_prep_cmd(io_uring_get_sqe(&u->ring), &p->mb,
					 MBX_IOC_BATCH_SERVE, &u->ans);
		}
		u->take = (struct mbx_batch_serve_args){
			.size = sizeof(u->take),
			.flags = MBX_WAIT_NONBLOCK,
			.take = (uintptr_t)p->got,
			.ntake = MBX_BATCH_MAX,
		};
		mailbox_prep_cmd(io_uring_get_sqe(&u->ring), &p->mb,
				 MBX_IOC_BATCH_SERVE, &u->take);
		/* The answers complete inline, before the take. */
		ret = uring_run(w, &u->take, &res);
		if (ret)
			return ret;
		for (k = 0; k < p->ndone; k++)
			if (p->done[k].out_result)
				return p->done[k].out_result;
		p->ndone = 0;
		if (res == -EAGAIN) {
			ret = uring_run(w, NULL, &res);
			if (ret)
				return ret;
			continue;
		}
		if (res)
			return res;
		p->ngot = u->take.out_taken;
		p->next = 0;
	}
	p->cur = p->got[p->next++];
	*req = mailbox_call_plane(&p->mb, p->cur.slot);
	*rep = mailbox_reply_plane(&p->mb, p->cur.slot);
	return 0;
}

/* As mailbox-batch: answer the quit and what is held, with an ioctl. */
static int uring_quit_done(struct worker *w)
{
	struct mbx_priv *p = w->priv;

	p->done[p->ndone++] = (struct mbx_batch_complete){
		.call_id = p->cur.call_id,
		.slot = p->cur.slot,
	};
	nsys++;
	return mailbox_batch_serve(&p->mb, p->done, p->ndone, NULL, 0, 0, 0);
}

const struct mech mech_mailbox_uring = {
	.name = "mailbox-uring",
	.desc = "/dev/mailbox, io_uring commands",
	.setup = mbx_setup,
	.teardown = mbx_teardown,
	.init = uring_init,
	.req = mbx_req,
	.submit = uring_submit,
	.collect = uring_collect,
	.take = uring_take,
	.quit_done = uring_quit_done,
	.quit = mbx_quit,
};
