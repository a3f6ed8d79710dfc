// SPDX-License-Identifier: GPL-2.0
/*
 * mailbox-bench: pipes, and AF_UNIX SOCK_SEQPACKET socketpairs laid out the
 * same way. A request channel shared by the callers and the callees, a
 * reply channel per caller; write + read on each side.
 *
 * Messages above PIPE_BUF (MSG_SHARED_MAX) go through a pipe only with 1
 * caller and 1 callee, each pipe then having one writer and one reader:
 * they are written and read in a loop, every system call counted, and the
 * request pipe is grown to hold a whole message (F_SETPIPE_SZ, up to
 * /proc/sys/fs/pipe-max-size), so that a call is one write and one read
 * per side when the reader keeps up.
 *
 * A caller's reply channel must hold every reply it can have outstanding
 * (depth messages): a callee blocked writing a reply while its caller is
 * blocked writing a request would never return. The reply pipes are grown
 * to that, and a run that needs more than the pipe can be given is
 * skipped; a datagram of a socketpair must fit its socket's send buffer,
 * and the replies in flight the default buffers: seqpacket stops at
 * SEQPACKET_MAX and SEQPACKET_QUEUE.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "bench.h"

#define PIPE_DEFAULT	65536	/* a new pipe's buffer */
#define SEQPACKET_MAX	65536	/* well under the default wmem_default */
#define SEQPACKET_QUEUE	131072	/* the replies in flight, same reason */

struct fdpair_priv {
	int req[2];			/* callers write [1], callees read [0] */
	int rep[MAX_PARTIES][2];	/* callee writes [1], caller c reads [0] */
	bool seqpacket;
};

static void fdpair_close(struct fdpair_priv *p)
{
	int i;

	for (i = 0; i < 2; i++)
		if (p->req[i] >= 0)
			close(p->req[i]);
	for (i = 0; i < MAX_PARTIES; i++) {
		if (p->rep[i][0] >= 0)
			close(p->rep[i][0]);
		if (p->rep[i][1] >= 0)
			close(p->rep[i][1]);
	}
}

/*
 * A channel; a pipe that must hold @need bytes is grown to it (1: it
 * cannot be), one that should hold @want is grown if it can be.
 */
static int fdpair_make(int fds[2], bool seqpacket, size_t need, size_t want)
{
	int sv[2];

	if (!seqpacket) {
		if (pipe(fds))
			return -errno;
		if (need > PIPE_DEFAULT &&
		    fcntl(fds[1], F_SETPIPE_SZ, (int)need) < (int)need)
			return 1;
		/* Best effort: a smaller pipe only costs more transfers. */
		if (want > PIPE_DEFAULT && want > need)
			fcntl(fds[1], F_SETPIPE_SZ, (int)want);
		return 0;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv))
		return -errno;
	/* Same direction as a pipe: [1] sends, [0] receives. */
	fds[0] = sv[0];
	fds[1] = sv[1];
	return 0;
}

static int fdpair_setup(struct run *r, bool seqpacket, char *why,
			size_t len)
{
	size_t replies = (size_t)r->c->depth * r->size;
	struct fdpair_priv *p;
	int i, ret;

	if (seqpacket && (r->size > SEQPACKET_MAX ||
			  replies > SEQPACKET_QUEUE)) {
		snprintf(why, len,
			 "datagrams of at most %d bytes here, %d bytes of replies in flight",
			 SEQPACKET_MAX, SEQPACKET_QUEUE);
		return 1;
	}
	if (!seqpacket && r->size > MSG_SHARED_MAX &&
	    (r->c->callers > 1 || r->c->callees > 1)) {
		snprintf(why, len,
			 "above %d bytes (PIPE_BUF) only 1 caller with 1 callee",
			 MSG_SHARED_MAX);
		return 1;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	memset(p->req, -1, sizeof(p->req));
	memset(p->rep, -1, sizeof(p->rep));
	p->seqpacket = seqpacket;
	r->priv = p;
	ret = fdpair_make(p->req, seqpacket, 0, r->size);
	for (i = 0; !ret && i < r->c->callers; i++)
		ret = fdpair_make(p->rep[i], seqpacket, replies, r->size);
	if (ret == 1)
		snprintf(why, len,
			 "a reply pipe of %zu bytes (%d calls in flight): %s (see /proc/sys/fs/pipe-max-size)",
			 replies, r->c->depth, strerror(errno));
	return ret;
}

static int pipe_setup(struct run *r, char *why, size_t len)
{
	return fdpair_setup(r, false, why, len);
}

static int seqpacket_setup(struct run *r, char *why, size_t len)
{
	return fdpair_setup(r, true, why, len);
}

static void fdpair_teardown(struct run *r)
{
	if (r->priv)
		fdpair_close(r->priv);
	free(r->priv);
	r->priv = NULL;
}

static int fdpair_init(struct worker *w)
{
	w->priv = w->r->priv;
	return 0;
}

static int fdpair_submit(struct worker *w, int i)
{
	struct fdpair_priv *p = w->priv;

	return xfer_write(p->req[1], copy_req(w, i), w->r->size);
}

static int fdpair_collect(struct worker *w, int *i, const struct bmsg **rep)
{
	struct fdpair_priv *p = w->priv;
	int ret;

	ret = xfer_read(p->rep[w->id][0], w->in, w->r->size);
	if (ret)
		return ret;
	*i = w->in->slot;
	*rep = w->in;
	return 0;
}

static int fdpair_take(struct worker *w, bool answer, const struct bmsg **req,
		       struct bmsg **rep)
{
	struct fdpair_priv *p = w->priv;
	int ret;

	if (answer) {
		ret = xfer_write(p->rep[w->out->caller][1], w->out,
				 w->r->size);
		if (ret)
			return ret;
	}
	ret = xfer_read(p->req[0], w->in, w->r->size);
	if (ret)
		return ret;
	*req = w->in;
	*rep = w->out;
	return 0;
}

static int fdpair_quit(struct run *r)
{
	struct fdpair_priv *p = r->priv;

	return xfer_write(p->req[1], quit_msg(r), r->size);
}

const struct mech mech_pipe = {
	.name = "pipe",
	.desc = "pipe pair",
	.setup = pipe_setup,
	.teardown = fdpair_teardown,
	.init = fdpair_init,
	.req = copy_req,
	.submit = fdpair_submit,
	.collect = fdpair_collect,
	.take = fdpair_take,
	.quit_done = nothing_to_finish,
	.quit = fdpair_quit,
};

const struct mech mech_seqpacket = {
	.name = "seqpacket",
	.desc = "unix SOCK_SEQPACKET socketpair",
	.setup = seqpacket_setup,
	.teardown = fdpair_teardown,
	.init = fdpair_init,
	.req = copy_req,
	.submit = fdpair_submit,
	.collect = fdpair_collect,
	.take = fdpair_take,
	.quit_done = nothing_to_finish,
	.quit = fdpair_quit,
};
