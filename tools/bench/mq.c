// SPDX-License-Identifier: GPL-2.0
/*
 * mailbox-bench: POSIX message queues, laid out as the pipes: a request
 * queue shared by the callers and the callees, a reply queue per caller;
 * mq_send + mq_receive on each side.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

struct mq_priv {
	mqd_t req;
	mqd_t rep[MAX_PARTIES];
	int nrep;
};

/*
 * A queue of @maxmsg messages, or of msg_max when that is lower and we may
 * not exceed it (CAP_SYS_RESOURCE). A smaller queue only makes a sender
 * wait sometimes: a caller has at most MAX_DEPTH calls in flight, fewer
 * than a full request queue and a full reply queue together, so the two
 * sides never both wait on a full queue.
 */
static int mq_make(mqd_t *q, long maxmsg, int size, const char *tag)
{
	struct mq_attr attr = { .mq_maxmsg = maxmsg, .mq_msgsize = size };
	char name[64];
	long lim;
	FILE *f;

	snprintf(name, sizeof(name), "/mailbox-bench.%d.%s", (int)getpid(),
		 tag);
	*q = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
	if (*q == (mqd_t)-1 && errno == EINVAL) {
		f = fopen("/proc/sys/fs/mqueue/msg_max", "r");
		if (f && fscanf(f, "%ld", &lim) == 1 && lim < maxmsg &&
		    2 * lim + 1 > MAX_DEPTH) {
			attr.mq_maxmsg = lim;
			*q = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600,
				     &attr);
		}
		if (f)
			fclose(f);
		if (*q == (mqd_t)-1 && attr.mq_maxmsg == maxmsg)
			errno = EINVAL;
	}
	if (*q == (mqd_t)-1)
		return -errno;
	/* Like a temporary file: the descriptors keep it. */
	mq_unlink(name);
	return 0;
}

static void mq_teardown(struct run *r)
{
	struct mq_priv *p = r->priv;
	int i;

	if (!p)
		return;
	if (p->req != (mqd_t)-1)
		mq_close(p->req);
	for (i = 0; i < p->nrep; i++)
		mq_close(p->rep[i]);
	free(p);
	r->priv = NULL;
}

static int mq_setup(struct run *r, char *why, size_t len)
{
	struct mq_priv *p;
	char tag[16];
	int i, ret;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->req = (mqd_t)-1;
	r->priv = p;
	ret = mq_make(&p->req, r->nslots, r->size, "req");
	for (i = 0; !ret && i < r->c->callers; i++) {
		snprintf(tag, sizeof(tag), "rep%d", i);
		ret = mq_make(&p->rep[i], r->c->depth, r->size, tag);
		if (!ret)
			p->nrep++;
	}
	if (ret == -EINVAL || ret == -ENOSYS || ret == -EMFILE) {
		snprintf(why, len,
			 "mq_open of %d messages of %d bytes: %s (see %s)",
			 r->nslots, r->size, strerror(-ret),
			 "/proc/sys/fs/mqueue/msg_max, msgsize_max");
		return 1;
	}
	return ret;
}

static int mq_init(struct worker *w)
{
	w->priv = w->r->priv;
	return 0;
}

static int mq_submit(struct worker *w, int i)
{
	struct mq_priv *p = w->priv;

	if (SYS(mq_send(p->req, (char *)copy_req(w, i), w->r->size, 0)))
		return -errno;
	return 0;
}

static int mq_recv(mqd_t q, struct bmsg *m, int size)
{
	ssize_t n = SYS(mq_receive(q, (char *)m, size, NULL));

	if (n == size)
		return 0;
	return n < 0 ? -errno : -EIO;
}

static int mq_collect(struct worker *w, int *i, const struct bmsg **rep)
{
	struct mq_priv *p = w->priv;
	int ret;

	ret = mq_recv(p->rep[w->id], w->in, w->r->size);
	if (ret)
		return ret;
	*i = w->in->slot;
	*rep = w->in;
	return 0;
}

static int mq_take(struct worker *w, bool answer, const struct bmsg **req,
		   struct bmsg **rep)
{
	struct mq_priv *p = w->priv;
	int ret;

	if (answer && SYS(mq_send(p->rep[w->out->caller], (char *)w->out,
				  w->r->size, 0)))
		return -errno;
	ret = mq_recv(p->req, w->in, w->r->size);
	if (ret)
		return ret;
	*req = w->in;
	*rep = w->out;
	return 0;
}

static int mq_quit(struct run *r)
{
	struct mq_priv *p = r->priv;

	return mq_send(p->req, (const char *)quit_msg(r), r->size, 0) ?
	       -errno : 0;
}

const struct mech mech_mq = {
	.name = "mq",
	.desc = "POSIX message queues",
	.setup = mq_setup,
	.teardown = mq_teardown,
	.init = mq_init,
	.req = copy_req,
	.submit = mq_submit,
	.collect = mq_collect,
	.take = mq_take,
	.quit_done = nothing_to_finish,
	.quit = mq_quit,
};
