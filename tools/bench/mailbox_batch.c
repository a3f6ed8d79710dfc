// SPDX-License-Identifier: GPL-2.0
/*
 * mailbox-bench: /dev/mailbox through the batch ioctls. A caller queues
 * its calls and, when it needs a reply and has none left, submits all of
 * them and collects every reply there is in one MBX_IOC_BATCH_CALL; a
 * callee answers every call it holds and takes every call pending in one
 * MBX_IOC_BATCH_SERVE. With N calls in flight a system call moves up to N
 * calls each way.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "mbx_mech.h"

static int batch_submit(struct worker *w, int i)
{
	struct mbx_priv *p = w->priv;

	/* Queued: the next collect submits it. */
	p->sub[p->nsub++] = (struct mbx_batch_submit){
		.slot = p->slot[i],
		.opcode = OP_CALL,
		.len = w->r->size,
		.user_data = i,
	};
	return 0;
}

static int batch_collect(struct worker *w, int *i, const struct bmsg **rep)
{
	struct mbx_priv *p = w->priv;
	int ret, k;

	if (p->next == p->ngot) {
		nsys++;
		ret = mailbox_batch_call(&p->mb, p->sub, p->nsub, p->got,
					 w->r->c->depth, 0, 0);
		if (ret < 0)
			return ret;
		for (k = 0; k < p->nsub; k++)
			if (p->sub[k].out_result)
				return p->sub[k].out_result;
		p->nsub = 0;
		p->ngot = ret;
		p->next = 0;
	}
	return mbx_reply(w, &p->got[p->next++], i, rep);
}

/* Answer the last call handed out; hand out the next, taking more. */
static int batch_take(struct worker *w, bool answer, const struct bmsg **req,
		      struct bmsg **rep)
{
	struct mbx_priv *p = w->priv;
	int ret, k;

	if (answer)
		p->done[p->ndone++] = (struct mbx_batch_complete){
			.call_id = p->cur.call_id,
			.slot = p->cur.slot,
			.len = w->r->size,
		};
	if (p->next == p->ngot) {
		/* Nothing held back while waiting: every answer goes now. */
		nsys++;
		ret = mailbox_batch_serve(&p->mb, p->done, p->ndone, p->got,
					  MBX_BATCH_MAX, 0, 0);
		if (ret < 0)
			return ret;
		for (k = 0; k < p->ndone; k++)
			if (p->done[k].out_result)
				return p->done[k].out_result;
		p->ndone = 0;
		p->ngot = ret;
		p->next = 0;
	}
	p->cur = p->got[p->next++];
	*req = mailbox_call_plane(&p->mb, p->cur.slot);
	*rep = mailbox_reply_plane(&p->mb, p->cur.slot);
	return 0;
}

/*
 * The quit taken: answer it with what is held. Calls taken after it (the
 * other callees' quits) are redelivered when this callee exits.
 */
static int batch_quit_done(struct worker *w)
{
	struct mbx_priv *p = w->priv;

	p->done[p->ndone++] = (struct mbx_batch_complete){
		.call_id = p->cur.call_id,
		.slot = p->cur.slot,
	};
	nsys++;
	return mailbox_batch_serve(&p->mb, p->done, p->ndone, NULL, 0, 0, 0);
}

const struct mech mech_mailbox_batch = {
	.name = "mailbox-batch",
	.desc = "/dev/mailbox, batch ioctls",
	.setup = mbx_setup,
	.teardown = mbx_teardown,
	.init = mbx_init,
	.req = mbx_req,
	.submit = batch_submit,
	.collect = batch_collect,
	.take = batch_take,
	.quit_done = batch_quit_done,
	.quit = mbx_quit,
};
