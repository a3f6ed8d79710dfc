// SPDX-License-Identifier: GPL-2.0
/*
 * mailbox-bench: /dev/mailbox through libmailbox. The caller writes the
 * next call into the slot of the reply it just read, submits it and waits
 * for a reply in one ioctl (MBX_SUBMIT_COLLECT); the callee answers the
 * last call and takes the next in one ioctl (MBX_TAKE_COMPLETE). The
 * payload stays in the mapped planes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mailbox.h"
#include "bench.h"

#define OP_CALL		1

struct mbx_priv {
	char name[MBX_NAME_MAX];
	struct mailbox parent;	/* the parent's session, for the quits */
	bool created;
	/* Per process: */
	struct mailbox mb;
	uint32_t slot[MAX_DEPTH];	/* caller: in-flight index -> slot */
	struct mbx_call cur;		/* callee: the call it holds */
};

static void mbx_teardown(struct run *r)
{
	struct mbx_priv *p = r->priv;

	if (!p)
		return;
	if (p->created) {
		mailbox_close(&p->parent);
		mailbox_destroy(p->name);
	}
	free(p);
	r->priv = NULL;
}

static int mbx_setup(struct run *r, char *why, size_t len)
{
	uint32_t slot_size = (r->size + MBX_SLOT_ALIGN - 1) &
			     ~(uint32_t)(MBX_SLOT_ALIGN - 1);
	struct mbx_priv *p;
	int ret;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	r->priv = p;
	if (opt.box_name)
		snprintf(p->name, sizeof(p->name), "%s", opt.box_name);
	else
		snprintf(p->name, sizeof(p->name), "mailbox-bench.%d",
			 (int)getpid());
	ret = mailbox_create(&p->parent, p->name, r->nslots, slot_size, 0600,
			     0, MBX_CREATE_CLOEXEC);
	if (ret == -ENOENT || ret == -ENODEV || ret == -ENXIO) {
		snprintf(why, len, "%s: %s (is mbx.ko loaded?)",
			 MAILBOX_DEVICE, strerror(-ret));
		return 1;
	}
	if (ret < 0)
		return ret;
	p->created = true;
	return 0;
}

/* Each process opens a session of its own: replies go to the session. */
static int mbx_init(struct worker *w)
{
	struct mbx_priv *p = malloc(sizeof(*p));
	int i, ret;

	if (!p)
		return -ENOMEM;
	*p = *(struct mbx_priv *)w->r->priv;
	w->priv = p;
	ret = mailbox_open(&p->mb, p->name,
			   MBX_ACCESS_READ | MBX_ACCESS_WRITE, MBX_OPEN_CLOEXEC);
	if (ret < 0)
		return ret;
	if (!w->caller)
		return 0;
	/* A caller owns its slots for the whole run: it never releases. */
	for (i = 0; i < w->r->c->depth; i++) {
		ret = mailbox_acquire(&p->mb, 0,
				      MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK,
				      0, NULL);
		if (ret < 0)
			return ret;
		p->slot[i] = ret;
	}
	return 0;
}

static struct bmsg *mbx_req(struct worker *w, int i)
{
	struct mbx_priv *p = w->priv;

	/* The slot is OWNED by this session: its call plane is ours. */
	return mailbox_call_plane(&p->mb, p->slot[i]);
}

static int mbx_submit(struct worker *w, int i)
{
	struct mbx_priv *p = w->priv;
	struct mbx_call call = {
		.slot = p->slot[i],
		.opcode = OP_CALL,
		.len = w->r->size,
		.user_data = i,
	};

	nsys++;
	return mailbox_submit(&p->mb, &call);
}

/* A collected reply: its in-flight index and where to read it. */
static int mbx_reply(struct worker *w, const struct mbx_call *reply, int *i,
		     const struct bmsg **rep)
{
	struct mbx_priv *p = w->priv;
	struct mbx_call call = *reply;

	if (call.status)
		return call.status;
	if (call.user_data >= (uint64_t)w->r->c->depth ||
	    p->slot[call.user_data] != call.slot)
		return -EPROTO;
	*i = call.user_data;
	/* Collected: the slot is OWNED again, its reply plane ours to read. */
	*rep = mailbox_reply_plane(&p->mb, call.slot);
	return 0;
}

static int mbx_collect(struct worker *w, int *i, const struct bmsg **rep)
{
	struct mbx_priv *p = w->priv;
	struct mbx_call call;
	int ret;

	nsys++;
	ret = mailbox_collect(&p->mb, NULL, 0, 0, &call);
	if (ret)
		return ret;
	return mbx_reply(w, &call, i, rep);
}

/* Call i goes, a reply comes back (call i's or an earlier one's): 1 ioctl. */
static int mbx_submit_collect(struct worker *w, int i, int *j,
			      const struct bmsg **rep)
{
	struct mbx_priv *p = w->priv;
	struct mbx_call call = {
		.slot = p->slot[i],
		.opcode = OP_CALL,
		.len = w->r->size,
		.user_data = i,
	};
	int ret;

	nsys++;
	ret = mailbox_submit_collect(&p->mb, &call, 0, 0, &call);
	if (ret)
		return ret;
	return mbx_reply(w, &call, j, rep);
}

static int mbx_take(struct worker *w, bool answer, const struct bmsg **req,
		    struct bmsg **rep)
{
	struct mbx_priv *p = w->priv;
	int ret;

	nsys++;
	if (answer)
		ret = mailbox_complete_take(&p->mb, &p->cur, 0, w->r->size, 0,
					    0, &p->cur);
	else
		ret = mailbox_take(&p->mb, 0, 0, &p->cur);
	if (ret < 0)
		return ret;
	/* TAKEN by this session: read the call plane, write the reply's. */
	*req = mailbox_call_plane(&p->mb, p->cur.slot);
	*rep = mailbox_reply_plane(&p->mb, p->cur.slot);
	return 0;
}

static int mbx_quit_done(struct worker *w)
{
	struct mbx_priv *p = w->priv;

	nsys++;
	return mailbox_complete(&p->mb, &p->cur, 0, 0);
}

static int mbx_quit(struct run *r)
{
	struct mbx_priv *p = r->priv;
	struct mbx_call call = { .opcode = OP_CALL, .len = r->size };
	struct bmsg *q;
	int slot;

	slot = mailbox_acquire(&p->parent, 0,
			       MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK, 0, NULL);
	if (slot < 0)
		return slot;
	q = mailbox_call_plane(&p->parent, slot);
	memcpy(q, quit_msg(r), r->size);
	call.slot = slot;
	return mailbox_submit(&p->parent, &call);
}

const struct mech mech_mailbox = {
	.name = "mailbox",
	.desc = "/dev/mailbox (libmailbox)",
	.setup = mbx_setup,
	.teardown = mbx_teardown,
	.init = mbx_init,
	.req = mbx_req,
	.submit = mbx_submit,
	.collect = mbx_collect,
	.take = mbx_take,
	.quit_done = mbx_quit_done,
	.quit = mbx_quit,
	.submit_collect = mbx_submit_collect,
};
