// SPDX-License-Identifier: GPL-2.0
/*
 * mailbox-bench: futex + shared memory, the hand-made call. The messages
 * stay in shared memory (a slot per message: the request, then the reply,
 * each written in place), a lock-free queue of slot numbers carries the
 * requests, one per caller its replies, as in eventfd.c; a futex word per
 * queue wakes the side that waits. A side that finds work in its queue
 * makes no system call, and a side that posts makes FUTEX_WAKE only when
 * somebody waits on that queue: with both sides busy a call costs no
 * system call at all.
 *
 * The futexes are shared ones (no FUTEX_PRIVATE_FLAG): the parties are
 * processes with the mapping in common, not threads of one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "bench.h"
#include "shmq.h"

/*
 * One per queue. @seq changes with every post, so that a waiter that read
 * it before the post does not sleep through it; @waiters counts the sides
 * between deciding to sleep and waking up, so that a post with nobody
 * waiting makes no system call.
 *
 * No wakeup is lost. A waiter W and a poster P:
 *
 *   W: s = seq             P: push(v)
 *      waiters++              seq++
 *      fence (seq_cst)        fence (seq_cst)
 *      pop() fails            if (waiters) FUTEX_WAKE
 *      FUTEX_WAIT(seq, s)
 *
 * The two fences order each side's store before its load: either W's pop
 * sees v, or P sees waiters > 0 and wakes. If P wakes before W sleeps,
 * seq is no longer s and FUTEX_WAIT returns at once (the kernel compares
 * the word under the lock that FUTEX_WAKE takes).
 */
struct fword {
	_Alignas(64) _Atomic uint32_t seq;
	_Atomic uint32_t waiters;
};

struct fx_priv {
	void *map;
	size_t map_size;
	struct fword *fw;	/* [0]: requests, [1 + c]: caller c's replies */
	struct queue *reqq;	/* then caller c's reply queue, qbytes apart */
	size_t qbytes;
	uint8_t *slots;
	size_t stride;
	int size;
	int depth;
};

static long sys_futex(_Atomic uint32_t *uaddr, int op, uint32_t val)
{
	return syscall(SYS_futex, uaddr, op, val, NULL, NULL, 0);
}

static struct queue *fx_queue(struct fx_priv *p, int k)
{
	return (struct queue *)((char *)p->reqq + k * p->qbytes);
}

static struct bmsg *slot_req(struct fx_priv *p, uint32_t s)
{
	return (struct bmsg *)(p->slots + s * p->stride);
}

static struct bmsg *slot_rep(struct fx_priv *p, uint32_t s)
{
	return (struct bmsg *)(p->slots + s * p->stride + p->size);
}

/* Queue @k: 0 the requests, 1 + c caller c's replies. */
static int fx_post(struct fx_priv *p, int k, uint32_t v)
{
	struct fword *fw = &p->fw[k];
	int ret = queue_put(fx_queue(p, k), v);

	if (ret)
		return ret;
	atomic_fetch_add_explicit(&fw->seq, 1, memory_order_release);
	/* Pairs with the fence in fx_get(). */
	atomic_thread_fence(memory_order_seq_cst);
	if (!atomic_load_explicit(&fw->waiters, memory_order_relaxed))
		return 0;
	nsys++;
	return sys_futex(&fw->seq, FUTEX_WAKE, 1) < 0 ? -errno : 0;
}

static int fx_get(struct fx_priv *p, int k, uint32_t *v)
{
	struct fword *fw = &p->fw[k];
	struct queue *q = fx_queue(p, k);
	uint32_t s;
	long ret;

	while (!queue_pop(q, v)) {
		/* Pairs with the release in fx_post(): a later push shows. */
		s = atomic_load_explicit(&fw->seq, memory_order_acquire);
		atomic_fetch_add_explicit(&fw->waiters, 1,
					  memory_order_relaxed);
		/* Pairs with the fence in fx_post(). */
		atomic_thread_fence(memory_order_seq_cst);
		if (queue_pop(q, v)) {
			atomic_fetch_sub_explicit(&fw->waiters, 1,
						  memory_order_relaxed);
			return 0;
		}
		nsys++;
		ret = sys_futex(&fw->seq, FUTEX_WAIT, s);
		atomic_fetch_sub_explicit(&fw->waiters, 1,
					  memory_order_relaxed);
		if (ret < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
	}
	return 0;
}

static void fx_teardown(struct run *r)
{
	struct fx_priv *p = r->priv;

	if (!p)
		return;
	if (p->map)
		munmap(p->map, p->map_size);
	free(p);
	r->priv = NULL;
}

static int fx_setup(struct run *r, char *why, size_t len)
{
	int nq = 1 + r->c->callers, i;
	struct fx_priv *p;
	size_t fwbytes;
	uint32_t cap = 1;

	(void)why;
	(void)len;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	r->priv = p;
	p->size = r->size;
	p->depth = r->c->depth;
	/* Requests and replies of a slot start on cache lines of their own. */
	p->stride = (2 * (size_t)r->size + 63) & ~(size_t)63;
	while (cap < 2 * (uint32_t)r->nslots)
		cap <<= 1;
	p->qbytes = queue_bytes(cap);
	fwbytes = nq * sizeof(struct fword);
	p->map_size = fwbytes + nq * p->qbytes + r->nslots * p->stride;
	p->map = mmap(NULL, p->map_size, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p->map == MAP_FAILED) {
		p->map = NULL;
		return -errno;
	}
	p->fw = p->map;
	p->reqq = (struct queue *)((char *)p->map + fwbytes);
	for (i = 0; i < nq; i++) {
		atomic_init(&p->fw[i].seq, 0);
		atomic_init(&p->fw[i].waiters, 0);
		queue_init(fx_queue(p, i), cap);
	}
	p->slots = (uint8_t *)p->reqq + nq * p->qbytes;
	return 0;
}

static int fx_init(struct worker *w)
{
	w->priv = w->r->priv;
	return 0;
}

/* Zero copy: the caller writes its request in the slot itself. */
static struct bmsg *fx_req(struct worker *w, int i)
{
	struct fx_priv *p = w->priv;

	return slot_req(p, w->id * p->depth + i);
}

static int fx_submit(struct worker *w, int i)
{
	struct fx_priv *p = w->priv;

	return fx_post(p, 0, w->id * p->depth + i);
}

static int fx_collect(struct worker *w, int *i, const struct bmsg **rep)
{
	struct fx_priv *p = w->priv;
	uint32_t s;
	int ret;

	ret = fx_get(p, 1 + w->id, &s);
	if (ret)
		return ret;
	*i = s - w->id * p->depth;
	*rep = slot_rep(p, s);
	return 0;
}

static int fx_take(struct worker *w, bool answer, const struct bmsg **req,
		   struct bmsg **rep)
{
	struct fx_priv *p = w->priv;
	uint32_t s;
	int ret;

	if (answer) {
		uint32_t c = w->out->caller;

		ret = fx_post(p, 1 + c, w->out->slot + c * p->depth);
		if (ret)
			return ret;
	}
	ret = fx_get(p, 0, &s);
	if (ret)
		return ret;
	*req = slot_req(p, s);
	*rep = slot_rep(p, s);
	/* The reply is written in place; remember where it goes. */
	w->out->caller = slot_req(p, s)->caller;
	w->out->slot = slot_req(p, s)->slot;
	return 0;
}

static int fx_quit(struct run *r)
{
	struct fx_priv *p = r->priv;
	uint32_t s = r->c->callers * r->c->depth + r->quits;

	slot_req(p, s)->seq = SEQ_QUIT;
	return fx_post(p, 0, s);
}

const struct mech mech_futex = {
	.name = "futex",
	.desc = "futex + shared memory",
	.setup = fx_setup,
	.teardown = fx_teardown,
	.init = fx_init,
	.req = fx_req,
	.submit = fx_submit,
	.collect = fx_collect,
	.take = fx_take,
	.quit_done = nothing_to_finish,
	.quit = fx_quit,
};
