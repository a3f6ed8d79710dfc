// SPDX-License-Identifier: GPL-2.0
/*
 * mailbox-bench: eventfd + shared memory. The messages stay in shared
 * memory (a slot per message), a lock-free queue of slot numbers carries
 * the requests, one per caller its replies, and an eventfd per queue wakes
 * the side that waits; a side that finds work in its queue skips the read.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>

#include "bench.h"
#include "shmq.h"

/* Each slot: the request, then the reply, r->size bytes each. */
struct efd_priv {
	void *map;
	size_t map_size;
	uint32_t cap;
	size_t qbytes;
	struct queue *reqq;
	uint8_t *slots;
	size_t stride;
	int size;
	int efd_req;
	int efd_rep[MAX_PARTIES];
	int ncallers;
	int depth;
};

static struct queue *efd_repq(struct efd_priv *p, int caller)
{
	return (struct queue *)((char *)p->reqq + (1 + caller) * p->qbytes);
}

static struct bmsg *slot_req(struct efd_priv *p, uint32_t s)
{
	return (struct bmsg *)(p->slots + s * p->stride);
}

static struct bmsg *slot_rep(struct efd_priv *p, uint32_t s)
{
	return (struct bmsg *)(p->slots + s * p->stride + p->size);
}

static void efd_teardown(struct run *r)
{
	struct efd_priv *p = r->priv;
	int i;

	if (!p)
		return;
	if (p->efd_req >= 0)
		close(p->efd_req);
	for (i = 0; i < MAX_PARTIES; i++)
		if (p->efd_rep[i] >= 0)
			close(p->efd_rep[i]);
	if (p->map)
		munmap(p->map, p->map_size);
	free(p);
	r->priv = NULL;
}

static int efd_setup(struct run *r, char *why, size_t len)
{
	struct efd_priv *p;
	uint32_t cap = 1;
	int i;

	(void)why;
	(void)len;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	r->priv = p;
	p->efd_req = -1;
	memset(p->efd_rep, -1, sizeof(p->efd_rep));
	p->ncallers = r->c->callers;
	p->depth = r->c->depth;
	p->size = r->size;
	p->stride = (2 * (size_t)r->size + 7) & ~(size_t)7;
	while (cap < 2 * (uint32_t)r->nslots)
		cap <<= 1;
	p->cap = cap;
	p->qbytes = queue_bytes(cap);
	p->map_size = (1 + r->c->callers) * p->qbytes + r->nslots * p->stride;
	p->map = mmap(NULL, p->map_size, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p->map == MAP_FAILED) {
		p->map = NULL;
		return -errno;
	}
	p->reqq = p->map;
	queue_init(p->reqq, cap);
	for (i = 0; i < r->c->callers; i++)
		queue_init(efd_repq(p, i), cap);
	p->slots = (uint8_t *)p->map + (1 + r->c->callers) * p->qbytes;
	p->efd_req = eventfd(0, 0);
	if (p->efd_req < 0)
		return -errno;
	for (i = 0; i < r->c->callers; i++) {
		p->efd_rep[i] = eventfd(0, 0);
		if (p->efd_rep[i] < 0)
			return -errno;
	}
	return 0;
}

static int efd_init(struct worker *w)
{
	w->priv = w->r->priv;
	return 0;
}

static int efd_signal(int fd)
{
	uint64_t one = 1;

	return SYS(write(fd, &one, sizeof(one))) == sizeof(one) ? 0 : -errno;
}

static int efd_wait(int fd)
{
	uint64_t v;

	return SYS(read(fd, &v, sizeof(v))) == sizeof(v) ? 0 : -errno;
}

static struct bmsg *efd_req(struct worker *w, int i)
{
	struct efd_priv *p = w->priv;

	return slot_req(p, w->id * p->depth + i);
}

static int efd_submit(struct worker *w, int i)
{
	struct efd_priv *p = w->priv;
	int ret = queue_put(p->reqq, w->id * p->depth + i);

	return ret ? ret : efd_signal(p->efd_req);
}

static int efd_collect(struct worker *w, int *i, const struct bmsg **rep)
{
	struct efd_priv *p = w->priv;
	uint32_t s;
	int ret;

	/*
	 * A reply is pushed before its eventfd is written: a wait that
	 * begins after an empty pop returns once that write is done.
	 */
	while (!queue_pop(efd_repq(p, w->id), &s)) {
		ret = efd_wait(p->efd_rep[w->id]);
		if (ret)
			return ret;
	}
	*i = s - w->id * p->depth;
	*rep = slot_rep(p, s);
	return 0;
}

static int efd_take(struct worker *w, bool answer, const struct bmsg **req,
		    struct bmsg **rep)
{
	struct efd_priv *p = w->priv;
	uint32_t s;
	int ret;

	if (answer) {
		uint32_t c = w->out->caller;

		ret = queue_put(efd_repq(p, c), w->out->slot + c * p->depth);
		if (!ret)
			ret = efd_signal(p->efd_rep[c]);
		if (ret)
			return ret;
	}
	while (!queue_pop(p->reqq, &s)) {
		ret = efd_wait(p->efd_req);
		if (ret)
			return ret;
	}
	*req = slot_req(p, s);
	*rep = slot_rep(p, s);
	/* The reply is written in place; remember where it goes. */
	w->out->caller = slot_req(p, s)->caller;
	w->out->slot = slot_req(p, s)->slot;
	return 0;
}

/*
 * A callee that leaves may have read a count that was meant for the
 * other callees too (the eventfd sums the writes): pass it on, or a quit
 * left in the queue would never wake its callee.
 */
static int efd_quit_done(struct worker *w)
{
	struct efd_priv *p = w->priv;

	return efd_signal(p->efd_req);
}

static int efd_quit(struct run *r)
{
	struct efd_priv *p = r->priv;
	uint32_t s = r->c->callers * r->c->depth + r->quits;
	uint64_t one = 1;

	slot_req(p, s)->seq = SEQ_QUIT;
	if (queue_put(p->reqq, s))
		return -ENOSPC;
	return write(p->efd_req, &one, sizeof(one)) == sizeof(one) ? 0 : -errno;
}

const struct mech mech_eventfd = {
	.name = "eventfd",
	.desc = "eventfd pair + shared memory",
	.setup = efd_setup,
	.teardown = efd_teardown,
	.init = efd_init,
	.req = efd_req,
	.submit = efd_submit,
	.collect = efd_collect,
	.take = efd_take,
	.quit_done = efd_quit_done,
	.quit = efd_quit,
};
