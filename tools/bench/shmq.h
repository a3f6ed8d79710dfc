/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mailbox-bench: a bounded queue of slot numbers in shared memory, for the
 * mechanisms that keep their messages in shared memory and only need a
 * way to wake the other side (eventfd.c, futex.c).
 */
#ifndef MBX_BENCH_SHMQ_H
#define MBX_BENCH_SHMQ_H

#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A bounded multi-producer multi-consumer queue of slot numbers in shared
 * memory: each cell carries a sequence number that says whose turn it is,
 * so that a producer and a consumer meet in a cell without a lock. The
 * release store of a cell's sequence publishes its value (and the message
 * in the slot, written before the push); the acquire load that sees it
 * pairs with it.
 */
struct qcell {
	_Atomic uint64_t seq;
	uint32_t val;
	uint32_t pad;
};

struct queue {
	_Alignas(64) _Atomic uint64_t tail;	/* producers */
	_Alignas(64) _Atomic uint64_t head;	/* consumers */
	_Alignas(64) uint32_t mask;
	struct qcell cell[];
};

static inline size_t queue_bytes(uint32_t cap)
{
	size_t n = sizeof(struct queue) + cap * sizeof(struct qcell);

	return (n + 63) & ~(size_t)63;
}

static inline void queue_init(struct queue *q, uint32_t cap)
{
	uint32_t i;

	q->mask = cap - 1;
	atomic_init(&q->head, 0);
	atomic_init(&q->tail, 0);
	for (i = 0; i < cap; i++)
		atomic_init(&q->cell[i].seq, i);
}

static inline bool queue_push(struct queue *q, uint32_t v)
{
	uint64_t pos = atomic_load_explicit(&q->tail, memory_order_relaxed);
	struct qcell *c;
	int64_t dif;

	for (;;) {
		c = &q->cell[pos & q->mask];
		/* Pairs with the release in queue_pop(): the cell is free. */
		dif = (int64_t)(atomic_load_explicit(&c->seq,
						     memory_order_acquire) - pos);
		if (dif == 0) {
			if (atomic_compare_exchange_weak_explicit(&q->tail,
					&pos, pos + 1, memory_order_relaxed,
					memory_order_relaxed))
				break;
		} else if (dif < 0) {
			return false;	/* full */
		} else {
			pos = atomic_load_explicit(&q->tail,
						   memory_order_relaxed);
		}
	}
	c->val = v;
	/* Publishes @v and the slot's message; pairs with queue_pop(). */
	atomic_store_explicit(&c->seq, pos + 1, memory_order_release);
	return true;
}

/*
 * There are never more entries than slots, fewer than the cells; a push
 * finds its cell busy only while the consumer that last emptied it is
 * preempted between taking it and handing it back: let it run.
 */
static inline int queue_put(struct queue *q, uint32_t v)
{
	int tries;

	for (tries = 0; tries < 100000; tries++) {
		if (queue_push(q, v))
			return 0;
		sched_yield();
	}
	return -ENOSPC;
}

static inline bool queue_pop(struct queue *q, uint32_t *v)
{
	uint64_t pos = atomic_load_explicit(&q->head, memory_order_relaxed);
	struct qcell *c;
	int64_t dif;

	for (;;) {
		c = &q->cell[pos & q->mask];
		/* Pairs with the release in queue_push(). */
		dif = (int64_t)(atomic_load_explicit(&c->seq,
				memory_order_acquire) - (pos + 1));
		if (dif == 0) {
			if (atomic_compare_exchange_weak_explicit(&q->head,
					&pos, pos + 1, memory_order_relaxed,
					memory_order_relaxed))
				break;
		} else if (dif < 0) {
			return false;	/* empty */
		} else {
			pos = atomic_load_explicit(&q->head,
						   memory_order_relaxed);
		}
	}
	*v = c->val;
	/* Hands the cell back to the producers; pairs with queue_push(). */
	atomic_store_explicit(&c->seq, pos + q->mask + 1,
			      memory_order_release);
	return true;
}

#endif /* MBX_BENCH_SHMQ_H */
