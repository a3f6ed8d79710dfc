// SPDX-License-Identifier: GPL-2.0
/*
 * mailbox-bench: the two-step call built from System V IPC. A SysV shared
 * memory segment of slots, a SysV binary semaphore per slot for exclusive
 * access and counting semaphores for the wakeups (one for the calls, one
 * per caller for the replies): 6 semop(2) per call on each side.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>

#include "bench.h"

enum { SV_FREE, SV_PENDING, SV_TAKEN, SV_REPLIED };

/* Each slot: this header, the request, the reply (r->size bytes each). */
struct sv_slot {
	_Atomic int state;	/* written under the slot's semaphore */
	uint32_t pad;
};

struct sv_priv {
	int shmid;
	int lock;		/* semaphore set: one binary per slot */
	int wake;		/* [0] calls, [1 + c] replies of caller c */
	uint8_t *slots;
	size_t stride;
	int size;
	int nslots;
	int depth;
	int cursor;		/* callee: where its next scan starts */
	int cur;		/* callee: the slot it took */
};

static struct sv_slot *sv_slot(struct sv_priv *p, int s)
{
	return (struct sv_slot *)(p->slots + s * p->stride);
}

static struct bmsg *sv_req(struct sv_priv *p, int s)
{
	return (struct bmsg *)(p->slots + s * p->stride +
			       sizeof(struct sv_slot));
}

static struct bmsg *sv_rep(struct sv_priv *p, int s)
{
	return (struct bmsg *)((uint8_t *)sv_req(p, s) + p->size);
}

static int sv_op(int set, int sem, int delta)
{
	struct sembuf op = { .sem_num = sem, .sem_op = delta };

	return SYS(semop(set, &op, 1)) ? -errno : 0;
}

#define SV_P(set, sem)	sv_op(set, sem, -1)
#define SV_V(set, sem)	sv_op(set, sem, 1)

static void sv_teardown(struct run *r)
{
	struct sv_priv *p = r->priv;

	if (!p)
		return;
	if (p->slots)
		shmdt(p->slots);
	if (p->shmid >= 0)
		shmctl(p->shmid, IPC_RMID, NULL);
	if (p->lock >= 0)
		semctl(p->lock, 0, IPC_RMID);
	if (p->wake >= 0)
		semctl(p->wake, 0, IPC_RMID);
	free(p);
	r->priv = NULL;
}

static int sv_setup(struct run *r, char *why, size_t len)
{
	unsigned short *vals;
	struct sv_priv *p;
	size_t bytes;
	void *addr;
	int i, ret = 0;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	r->priv = p;
	p->shmid = p->lock = p->wake = -1;
	p->nslots = r->nslots;
	p->depth = r->c->depth;
	p->size = r->size;
	p->stride = (sizeof(struct sv_slot) + 2 * (size_t)r->size + 7) &
		    ~(size_t)7;
	bytes = r->nslots * p->stride;
	p->shmid = shmget(IPC_PRIVATE, bytes, IPC_CREAT | 0600);
	if (p->shmid < 0) {
		snprintf(why, len, "shmget: %s", strerror(errno));
		return errno == ENOSYS ? 1 : -errno;
	}
	addr = shmat(p->shmid, NULL, 0);
	if (addr == (void *)-1)
		return -errno;
	p->slots = addr;
	memset(p->slots, 0, bytes);
	p->lock = semget(IPC_PRIVATE, r->nslots, IPC_CREAT | 0600);
	p->wake = semget(IPC_PRIVATE, 1 + r->c->callers, IPC_CREAT | 0600);
	if (p->lock < 0 || p->wake < 0)
		return -errno;
	vals = calloc(r->nslots, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (i = 0; i < r->nslots; i++)
		vals[i] = 1;
	if (semctl(p->lock, 0, SETALL, vals))
		ret = -errno;
	free(vals);
	return ret;
}

static int sv_init(struct worker *w)
{
	struct sv_priv *p = malloc(sizeof(*p));

	if (!p)
		return -ENOMEM;
	*p = *(struct sv_priv *)w->r->priv;
	p->cursor = 0;
	p->cur = -1;
	w->priv = p;
	return 0;
}

/* Exclusive access to the slot, write the call, wake a callee, release. */
static int sv_submit(struct worker *w, int i)
{
	struct sv_priv *p = w->priv;
	int s = w->id * p->depth + i;
	int ret;

	ret = SV_P(p->lock, s);
	if (ret)
		return ret;
	memcpy(sv_req(p, s), copy_req(w, i), p->size);
	atomic_store_explicit(&sv_slot(p, s)->state, SV_PENDING,
			      memory_order_relaxed);
	ret = SV_V(p->wake, 0);
	if (!ret)
		ret = SV_V(p->lock, s);
	return ret;
}

/*
 * Claim a slot in [first, first + n) whose state is @from, under its
 * semaphore. The unlocked look skips the slots that cannot be it; the
 * semop()s order it after the waker's store (a syscall is a full barrier).
 */
static int sv_claim(struct sv_priv *p, int first, int n, int start, int from,
		    int to, struct bmsg *copy, bool reply)
{
	int k, s, ret;

	for (k = 0; k < n; k++) {
		s = first + (start + k) % n;
		if (atomic_load_explicit(&sv_slot(p, s)->state,
					 memory_order_relaxed) != from)
			continue;
		ret = SV_P(p->lock, s);
		if (ret)
			return ret;
		if (atomic_load_explicit(&sv_slot(p, s)->state,
					 memory_order_relaxed) == from) {
			memcpy(copy, reply ? sv_rep(p, s) : sv_req(p, s),
			       p->size);
			atomic_store_explicit(&sv_slot(p, s)->state, to,
					      memory_order_relaxed);
			ret = SV_V(p->lock, s);
			return ret ? ret : s;
		}
		ret = SV_V(p->lock, s);
		if (ret)
			return ret;
	}
	return -EAGAIN;
}

/* Woken by a reply: exclusive access, read the result, release. */
static int sv_collect(struct worker *w, int *i, const struct bmsg **rep)
{
	struct sv_priv *p = w->priv;
	int s, ret;

	ret = SV_P(p->wake, 1 + w->id);
	if (ret)
		return ret;
	s = sv_claim(p, w->id * p->depth, p->depth, 0, SV_REPLIED, SV_FREE,
		     w->in, true);
	if (s < 0)
		return s == -EAGAIN ? -EPROTO : s;
	*i = s - w->id * p->depth;
	*rep = w->in;
	return 0;
}

/*
 * The last call's reply (exclusive access, write the result, wake its
 * caller, release), then the next call (woken, exclusive access, read the
 * call, release).
 */
static int sv_take(struct worker *w, bool answer, const struct bmsg **req,
		   struct bmsg **rep)
{
	struct sv_priv *p = w->priv;
	int s, ret;

	if (answer) {
		s = p->cur;
		ret = SV_P(p->lock, s);
		if (ret)
			return ret;
		memcpy(sv_rep(p, s), w->out, p->size);
		atomic_store_explicit(&sv_slot(p, s)->state, SV_REPLIED,
				      memory_order_relaxed);
		ret = SV_V(p->wake, 1 + w->out->caller);
		if (!ret)
			ret = SV_V(p->lock, s);
		if (ret)
			return ret;
	}
	ret = SV_P(p->wake, 0);
	if (ret)
		return ret;
	/*
	 * The semaphore counts pending calls, so one is there for us; a
	 * second callee may claim the one we look at first: scan again.
	 */
	for (int tries = 0; tries < 1000; tries++) {
		s = sv_claim(p, 0, p->nslots, p->cursor, SV_PENDING, SV_TAKEN,
			     w->in, false);
		if (s != -EAGAIN)
			break;
		sched_yield();
	}
	if (s < 0)
		return s == -EAGAIN ? -EPROTO : s;
	p->cur = s;
	p->cursor = (s + 1) % p->nslots;
	*req = w->in;
	*rep = w->out;
	return 0;
}

static int sv_quit(struct run *r)
{
	struct sv_priv *p = r->priv;
	int s = r->c->callers * r->c->depth + r->quits;
	struct sembuf lock = { .sem_num = s, .sem_op = -1 };
	struct sembuf unlock = { .sem_num = s, .sem_op = 1 };
	struct sembuf wake = { .sem_num = 0, .sem_op = 1 };

	if (semop(p->lock, &lock, 1))
		return -errno;
	sv_req(p, s)->seq = SEQ_QUIT;
	atomic_store(&sv_slot(p, s)->state, SV_PENDING);
	if (semop(p->wake, &wake, 1) || semop(p->lock, &unlock, 1))
		return -errno;
	return 0;
}

const struct mech mech_sysv = {
	.name = "sysv",
	.desc = "SysV shm + semaphores",
	.setup = sv_setup,
	.teardown = sv_teardown,
	.init = sv_init,
	.req = copy_req,
	.submit = sv_submit,
	.collect = sv_collect,
	.take = sv_take,
	.quit_done = nothing_to_finish,
	.quit = sv_quit,
};
