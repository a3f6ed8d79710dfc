// SPDX-License-Identifier: GPL-2.0
/*
 * mailbox-bench: the two-step call through /dev/mailbox against the usual
 * ways of making a call between two processes, measured in one run.
 *
 * Every mechanism carries the same call: a 64-byte request from a caller
 * process to a callee process and a 64-byte reply back, checked by the
 * caller against its request. Mechanisms:
 *
 *   pipe       a request pipe shared by the callers and the callees, a
 *              reply pipe per caller; write + read on each side
 *   eventfd    the messages in shared memory (a lock-free queue of slot
 *              numbers for the requests, one per caller for the replies),
 *              an eventfd per queue to wake the side that waits
 *   seqpacket  AF_UNIX SOCK_SEQPACKET socketpairs, laid out as the pipes
 *   mq         POSIX message queues, laid out as the pipes
 *   sysv       the two-step call built from System V IPC: a SysV shared
 *              memory segment of slots, a SysV binary semaphore per slot
 *              for exclusive access and counting semaphores for the
 *              wakeups (one for the calls, one per caller for the
 *              replies): 6 semop(2) per call on each side
 *   mailbox    /dev/mailbox through libmailbox: the caller submits the
 *              next call and collects a reply in one ioctl
 *              (MBX_SUBMIT_COLLECT), the callee answers the last call and
 *              takes the next in one ioctl (MBX_TAKE_COMPLETE)
 *
 * Cases: ping-pong (1 caller, 1 callee, 1 call in flight), in flight (1
 * caller keeping 16 calls in flight, 1 callee), 4 callers with 2 callees
 * (each caller 1 call in flight), and solo: one process that makes, serves
 * and collects every call itself, so that nothing waits and nothing is
 * switched: the cost of the system calls alone.
 *
 * Each party is a process of its own, forked from this one; by default all
 * are pinned to one CPU, since a wakeup that crosses CPUs under software
 * emulation measures the emulator rather than the mechanism. Latency is
 * taken per call with the time stamp counter (no system call); throughput
 * is the median rate over windows of 128 calls, summed over the callers,
 * so that a stall of the host spoils a few windows rather than the figure.
 * With --repeat the runs go round the mechanisms and each figure is the
 * median over the runs.
 *
 * System calls per call are counted twice: by construction (each call site
 * counts itself) and, where perf_event_open(2) allows it, by the kernel
 * (raw_syscalls:sys_enter of each process), together with the context
 * switches, in a separate shorter run: per-task counters make every
 * context switch dearer and would blur the timed runs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <mqueue.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#include "mailbox.h"

#define MSG_SIZE	64
#define MAX_DEPTH	20	/* seqpacket: 2 * (max_dgram_qlen + 1) */
#define MAX_PARTIES	16
#define SEQ_QUIT	UINT64_MAX
#define OP_CALL		1

/* One call or reply; the callee's work is to answer it byte by byte. */
struct bmsg {
	uint32_t caller;
	uint32_t slot;		/* the caller's in-flight index */
	uint64_t seq;
	uint8_t fill[48];
};
_Static_assert(sizeof(struct bmsg) == MSG_SIZE, "64-byte messages");

/* ------------------------------------------------------------------ */
/* Configuration and results                                            */

struct bcase {
	const char *name;
	const char *desc;
	int callers;
	int callees;
	int depth;		/* calls in flight per caller */
	bool solo;		/* one process plays both parts */
};

struct opts {
	long iters;		/* measured calls per case, all callers */
	long warmup;		/* unmeasured calls per caller */
	int repeat;
	bool pin;
	int cpu;
	int timeout;		/* seconds, per run */
	int depth;		/* of the in-flight case */
	bool json;
	bool detail;
	const char *box_name;	/* of the mailbox runs, for a monitor */
};

static struct opts opt = {
	.iters = 20000,
	.warmup = 500,
	.repeat = 1,
	.pin = true,
	.cpu = -1,
	.timeout = 300,
	.depth = 16,
};

/* What one process reports, in memory shared with the parent. */
struct wres {
	int failed;
	char why[160];
	uint64_t calls;		/* measured calls made or served */
	uint64_t sys_built;	/* system calls by construction */
	int64_t sys_perf;	/* counted by the kernel, -1: not counted */
	int64_t csw_perf;	/* context switches, -1: not counted */
	long nvcsw;		/* getrusage(): sleeps, measured window */
	long nivcsw;		/* getrusage(): preemptions */
	uint64_t t_start;	/* CLOCK_MONOTONIC ns, measured window */
	uint64_t t_end;
	double ns_per_tick;
	uint64_t nsamples;
};

/* One run of one mechanism on one case. */
struct run {
	const struct bcase *c;
	const struct mech *m;
	int nslots;		/* callers * depth + callees (for the quits) */
	long per_caller;	/* measured calls per caller */
	struct wres *res;	/* callers first, then callees */
	uint64_t *samples;	/* per caller: per_caller latencies in ticks */
	uint64_t *done_at;	/* per caller: when each call ended, ticks */
	void *priv;		/* the mechanism's, set up by the parent */
	int quits;		/* quit messages sent so far */
};

/* Per process. */
struct worker {
	struct run *r;
	int id;			/* caller or callee number */
	bool caller;
	struct bmsg *stage;	/* callers: depth request buffers */
	struct bmsg in;		/* copy mechanisms: the message read */
	struct bmsg out;	/* copy mechanisms: the reply to send */
	void *priv;
};

struct mech {
	const char *name;
	const char *desc;
	/* Parent, before forking: 0, -errno, or 1 (unavailable, *why set). */
	int (*setup)(struct run *r, char *why, size_t len);
	void (*teardown)(struct run *r);
	int (*init)(struct worker *w);
	/* Caller: the buffer to write call i into, then send it. */
	struct bmsg *(*req)(struct worker *w, int i);
	int (*submit)(struct worker *w, int i);
	/* Caller: wait for a reply; its in-flight index and its message. */
	int (*collect)(struct worker *w, int *i, const struct bmsg **rep);
	/*
	 * Callee: send the reply to the last call taken (if @answer), then
	 * wait for the next call: where to read it and where to answer it.
	 */
	int (*take)(struct worker *w, bool answer, const struct bmsg **req,
		    struct bmsg **rep);
	/* Callee, after taking a quit: finish it if the mechanism must. */
	int (*quit_done)(struct worker *w);
	/* Parent: make one callee quit. */
	int (*quit)(struct run *r);
	/*
	 * Caller, optional: submit call i, then wait for a reply, as submit
	 * and collect, in one system call. NULL: the two, one after the other.
	 */
	int (*submit_collect)(struct worker *w, int i, int *j,
			      const struct bmsg **rep);
};

/* System calls this process issued in its measured loop. */
static uint64_t nsys;
#define SYS(call) (nsys++, (call))

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Per-call time stamps: the TSC where there is one, no system call. */
static inline uint64_t ticks(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __rdtsc();
#else
	return mono_ns();
#endif
}

/* Voluntary and involuntary switches: minus at the start, plus at the end. */
static void rusage_mark(struct wres *res, int sign)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return;
	res->nvcsw += sign * ru.ru_nvcsw;
	res->nivcsw += sign * ru.ru_nivcsw;
}

static void fail(struct worker *w, const char *what, int err)
{
	struct wres *res = &w->r->res[w->caller ? w->id :
					 w->r->c->callers + w->id];

	res->failed = 1;
	snprintf(res->why, sizeof(res->why), "%s %d: %s: %s",
		 w->caller ? "caller" : "callee", w->id, what,
		 err ? strerror(err) : "wrong reply");
}

/* read/write of a whole message; short transfers are errors here. */
static int xfer_read(int fd, void *buf)
{
	ssize_t n = SYS(read(fd, buf, MSG_SIZE));

	if (n == MSG_SIZE)
		return 0;
	return n < 0 ? -errno : -EIO;
}

static int xfer_write(int fd, const void *buf)
{
	ssize_t n = SYS(write(fd, buf, MSG_SIZE));

	if (n == MSG_SIZE)
		return 0;
	return n < 0 ? -errno : -EIO;
}

/* ------------------------------------------------------------------ */
/* pipe                                                                 */

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

static int fdpair_make(int fds[2], bool seqpacket)
{
	int sv[2];

	if (!seqpacket)
		return pipe(fds) ? -errno : 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv))
		return -errno;
	/* Same direction as a pipe: [1] sends, [0] receives. */
	fds[0] = sv[0];
	fds[1] = sv[1];
	return 0;
}

static int fdpair_setup(struct run *r, bool seqpacket)
{
	struct fdpair_priv *p;
	int i, ret;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	memset(p->req, -1, sizeof(p->req));
	memset(p->rep, -1, sizeof(p->rep));
	p->seqpacket = seqpacket;
	r->priv = p;
	ret = fdpair_make(p->req, seqpacket);
	for (i = 0; !ret && i < r->c->callers; i++)
		ret = fdpair_make(p->rep[i], seqpacket);
	return ret;
}

static int pipe_setup(struct run *r, char *why, size_t len)
{
	(void)why;
	(void)len;
	return fdpair_setup(r, false);
}

static int seqpacket_setup(struct run *r, char *why, size_t len)
{
	(void)why;
	(void)len;
	return fdpair_setup(r, true);
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

static struct bmsg *copy_req(struct worker *w, int i)
{
	return &w->stage[i];
}

static int fdpair_submit(struct worker *w, int i)
{
	struct fdpair_priv *p = w->priv;

	return xfer_write(p->req[1], &w->stage[i]);
}

static int fdpair_collect(struct worker *w, int *i, const struct bmsg **rep)
{
	struct fdpair_priv *p = w->priv;
	int ret;

	ret = xfer_read(p->rep[w->id][0], &w->in);
	if (ret)
		return ret;
	*i = w->in.slot;
	*rep = &w->in;
	return 0;
}

static int fdpair_take(struct worker *w, bool answer, const struct bmsg **req,
		       struct bmsg **rep)
{
	struct fdpair_priv *p = w->priv;
	int ret;

	if (answer) {
		ret = xfer_write(p->rep[w->out.caller][1], &w->out);
		if (ret)
			return ret;
	}
	ret = xfer_read(p->req[0], &w->in);
	if (ret)
		return ret;
	*req = &w->in;
	*rep = &w->out;
	return 0;
}

static int nothing_to_finish(struct worker *w)
{
	(void)w;
	return 0;
}

static int fdpair_quit(struct run *r)
{
	struct fdpair_priv *p = r->priv;
	struct bmsg q = { .seq = SEQ_QUIT };

	return xfer_write(p->req[1], &q);
}

/* ------------------------------------------------------------------ */
/* POSIX message queues                                                 */

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
static int mq_make(mqd_t *q, long maxmsg, const char *tag)
{
	struct mq_attr attr = { .mq_maxmsg = maxmsg, .mq_msgsize = MSG_SIZE };
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
	ret = mq_make(&p->req, r->nslots, "req");
	for (i = 0; !ret && i < r->c->callers; i++) {
		snprintf(tag, sizeof(tag), "rep%d", i);
		ret = mq_make(&p->rep[i], r->c->depth, tag);
		if (!ret)
			p->nrep++;
	}
	if (ret == -EINVAL || ret == -ENOSYS || ret == -EMFILE) {
		snprintf(why, len, "mq_open of %d messages: %s (see %s)",
			 r->nslots, strerror(-ret),
			 "/proc/sys/fs/mqueue/msg_max");
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

	if (SYS(mq_send(p->req, (char *)&w->stage[i], MSG_SIZE, 0)))
		return -errno;
	return 0;
}

static int mq_recv(mqd_t q, struct bmsg *m)
{
	ssize_t n = SYS(mq_receive(q, (char *)m, MSG_SIZE, NULL));

	if (n == MSG_SIZE)
		return 0;
	return n < 0 ? -errno : -EIO;
}

static int mq_collect(struct worker *w, int *i, const struct bmsg **rep)
{
	struct mq_priv *p = w->priv;
	int ret;

	ret = mq_recv(p->rep[w->id], &w->in);
	if (ret)
		return ret;
	*i = w->in.slot;
	*rep = &w->in;
	return 0;
}

static int mq_take(struct worker *w, bool answer, const struct bmsg **req,
		   struct bmsg **rep)
{
	struct mq_priv *p = w->priv;
	int ret;

	if (answer && SYS(mq_send(p->rep[w->out.caller], (char *)&w->out,
				  MSG_SIZE, 0)))
		return -errno;
	ret = mq_recv(p->req, &w->in);
	if (ret)
		return ret;
	*req = &w->in;
	*rep = &w->out;
	return 0;
}

static int mq_quit(struct run *r)
{
	struct mq_priv *p = r->priv;
	struct bmsg q = { .seq = SEQ_QUIT };

	return mq_send(p->req, (char *)&q, MSG_SIZE, 0) ? -errno : 0;
}

/* ------------------------------------------------------------------ */
/* eventfd + shared memory                                              */

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

static size_t queue_bytes(uint32_t cap)
{
	size_t n = sizeof(struct queue) + cap * sizeof(struct qcell);

	return (n + 63) & ~(size_t)63;
}

static void queue_init(struct queue *q, uint32_t cap)
{
	uint32_t i;

	q->mask = cap - 1;
	atomic_init(&q->head, 0);
	atomic_init(&q->tail, 0);
	for (i = 0; i < cap; i++)
		atomic_init(&q->cell[i].seq, i);
}

static bool queue_push(struct queue *q, uint32_t v)
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
static int queue_put(struct queue *q, uint32_t v)
{
	int tries;

	for (tries = 0; tries < 100000; tries++) {
		if (queue_push(q, v))
			return 0;
		sched_yield();
	}
	return -ENOSPC;
}

static bool queue_pop(struct queue *q, uint32_t *v)
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

struct shm_slot {
	struct bmsg req;
	struct bmsg rep;
};

struct efd_priv {
	void *map;
	size_t map_size;
	uint32_t cap;
	size_t qbytes;
	struct queue *reqq;
	struct shm_slot *slots;
	int efd_req;
	int efd_rep[MAX_PARTIES];
	int ncallers;
	int depth;
};

static struct queue *efd_repq(struct efd_priv *p, int caller)
{
	return (struct queue *)((char *)p->reqq + (1 + caller) * p->qbytes);
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
	while (cap < 2 * (uint32_t)r->nslots)
		cap <<= 1;
	p->cap = cap;
	p->qbytes = queue_bytes(cap);
	p->map_size = (1 + r->c->callers) * p->qbytes +
		      r->nslots * sizeof(struct shm_slot);
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
	p->slots = (struct shm_slot *)((char *)p->map +
				       (1 + r->c->callers) * p->qbytes);
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

	return &p->slots[w->id * p->depth + i].req;
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
	*rep = &p->slots[s].rep;
	return 0;
}

static int efd_take(struct worker *w, bool answer, const struct bmsg **req,
		    struct bmsg **rep)
{
	struct efd_priv *p = w->priv;
	uint32_t s;
	int ret;

	if (answer) {
		uint32_t c = w->out.caller;

		ret = queue_put(efd_repq(p, c), w->out.slot + c * p->depth);
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
	*req = &p->slots[s].req;
	*rep = &p->slots[s].rep;
	/* The reply is written in place; remember where it goes. */
	w->out.caller = p->slots[s].req.caller;
	w->out.slot = p->slots[s].req.slot;
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

	p->slots[s].req.seq = SEQ_QUIT;
	if (queue_put(p->reqq, s))
		return -ENOSPC;
	return write(p->efd_req, &one, sizeof(one)) == sizeof(one) ? 0 : -errno;
}

/* ------------------------------------------------------------------ */
/* SysV shared memory and semaphores: the two-step call without a module */

enum { SV_FREE, SV_PENDING, SV_TAKEN, SV_REPLIED };

struct sv_slot {
	_Atomic int state;	/* written under the slot's semaphore */
	uint32_t pad;
	struct bmsg req;
	struct bmsg rep;
};

struct sv_priv {
	int shmid;
	int lock;		/* semaphore set: one binary per slot */
	int wake;		/* [0] calls, [1 + c] replies of caller c */
	struct sv_slot *slots;
	int nslots;
	int depth;
	int cursor;		/* callee: where its next scan starts */
	int cur;		/* callee: the slot it took */
};

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
	void *addr;
	int i, ret = 0;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	r->priv = p;
	p->shmid = p->lock = p->wake = -1;
	p->nslots = r->nslots;
	p->depth = r->c->depth;
	p->shmid = shmget(IPC_PRIVATE, r->nslots * sizeof(struct sv_slot),
			  IPC_CREAT | 0600);
	if (p->shmid < 0) {
		snprintf(why, len, "shmget: %s", strerror(errno));
		return errno == ENOSYS ? 1 : -errno;
	}
	addr = shmat(p->shmid, NULL, 0);
	if (addr == (void *)-1)
		return -errno;
	p->slots = addr;
	memset(p->slots, 0, r->nslots * sizeof(struct sv_slot));
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

/* 530-536: exclusive access, write the call, wake a callee, release. */
static int sv_submit(struct worker *w, int i)
{
	struct sv_priv *p = w->priv;
	int s = w->id * p->depth + i;
	int ret;

	ret = SV_P(p->lock, s);
	if (ret)
		return ret;
	p->slots[s].req = w->stage[i];
	atomic_store_explicit(&p->slots[s].state, SV_PENDING,
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
		if (atomic_load_explicit(&p->slots[s].state,
					 memory_order_relaxed) != from)
			continue;
		ret = SV_P(p->lock, s);
		if (ret)
			return ret;
		if (atomic_load_explicit(&p->slots[s].state,
					 memory_order_relaxed) == from) {
			*copy = reply ? p->slots[s].rep : p->slots[s].req;
			atomic_store_explicit(&p->slots[s].state, to,
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

/* 568-572: woken, exclusive access, read the result, release. */
static int sv_collect(struct worker *w, int *i, const struct bmsg **rep)
{
	struct sv_priv *p = w->priv;
	int s, ret;

	ret = SV_P(p->wake, 1 + w->id);
	if (ret)
		return ret;
	s = sv_claim(p, w->id * p->depth, p->depth, 0, SV_REPLIED, SV_FREE,
		     &w->in, true);
	if (s < 0)
		return s == -EAGAIN ? -EPROTO : s;
	*i = s - w->id * p->depth;
	*rep = &w->in;
	return 0;
}

/*
 * 560-566 for the last call (exclusive access, write the result, wake
 * its caller, release), then 538-542 for the next (woken, exclusive
 * access, read the call, release).
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
		p->slots[s].rep = w->out;
		atomic_store_explicit(&p->slots[s].state, SV_REPLIED,
				      memory_order_relaxed);
		ret = SV_V(p->wake, 1 + w->out.caller);
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
			     &w->in, false);
		if (s != -EAGAIN)
			break;
		sched_yield();
	}
	if (s < 0)
		return s == -EAGAIN ? -EPROTO : s;
	p->cur = s;
	p->cursor = (s + 1) % p->nslots;
	*req = &w->in;
	*rep = &w->out;
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
	p->slots[s].req.seq = SEQ_QUIT;
	atomic_store(&p->slots[s].state, SV_PENDING);
	if (semop(p->wake, &wake, 1) || semop(p->lock, &unlock, 1))
		return -errno;
	return 0;
}

/* ------------------------------------------------------------------ */
/* /dev/mailbox through libmailbox                                      */

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
	ret = mailbox_create(&p->parent, p->name, r->nslots, MSG_SIZE, 0600,
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
		.len = MSG_SIZE,
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
		.len = MSG_SIZE,
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
		ret = mailbox_complete_take(&p->mb, &p->cur, 0, MSG_SIZE, 0, 0,
					    &p->cur);
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
	struct mbx_call call = { .opcode = OP_CALL, .len = MSG_SIZE };
	struct bmsg *q;
	int slot, ret;

	slot = mailbox_acquire(&p->parent, 0,
			       MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK, 0, NULL);
	if (slot < 0)
		return slot;
	q = mailbox_call_plane(&p->parent, slot);
	memset(q, 0, sizeof(*q));
	q->seq = SEQ_QUIT;
	call.slot = slot;
	ret = mailbox_submit(&p->parent, &call);
	return ret;
}

/* ------------------------------------------------------------------ */

static const struct mech mechs[] = {
	{ "pipe", "pipe pair", pipe_setup, fdpair_teardown, fdpair_init,
	  copy_req, fdpair_submit, fdpair_collect, fdpair_take,
	  nothing_to_finish, fdpair_quit, NULL },
	{ "eventfd", "eventfd pair + shared memory", efd_setup, efd_teardown,
	  efd_init, efd_req, efd_submit, efd_collect, efd_take,
	  efd_quit_done, efd_quit, NULL },
	{ "seqpacket", "unix SOCK_SEQPACKET socketpair", seqpacket_setup,
	  fdpair_teardown, fdpair_init, copy_req, fdpair_submit,
	  fdpair_collect, fdpair_take, nothing_to_finish, fdpair_quit, NULL },
	{ "mq", "POSIX message queues", mq_setup, mq_teardown, mq_init,
	  copy_req, mq_submit, mq_collect, mq_take, nothing_to_finish,
	  mq_quit, NULL },
	{ "sysv", "SysV shm + semaphores", sv_setup,
	  sv_teardown, sv_init, copy_req, sv_submit, sv_collect, sv_take,
	  nothing_to_finish, sv_quit, NULL },
	{ "mailbox", "/dev/mailbox (libmailbox)", mbx_setup, mbx_teardown,
	  mbx_init, mbx_req, mbx_submit, mbx_collect, mbx_take,
	  mbx_quit_done, mbx_quit, mbx_submit_collect },
};

#define NMECHS	(int)(sizeof(mechs) / sizeof(mechs[0]))
#define MECH_PIPE	0
#define MECH_SYSV	4
#define MECH_MAILBOX	5

static struct bcase cases[] = {
	{ "pingpong", "ping-pong: 1 caller, 1 callee, 1 call in flight",
	  1, 1, 1, false },
	{ "inflight", "in flight: 1 caller, 1 callee, 16 calls in flight",
	  1, 1, 16, false },
	{ "mpmc", "4 callers, 2 callees, 1 call in flight per caller",
	  4, 2, 1, false },
	{ "solo", "no wakeup: one process makes, serves and collects each call",
	  1, 1, 2, true },
};

#define NCASES	(int)(sizeof(cases) / sizeof(cases[0]))
#define CASE_PINGPONG	0
#define CASE_INFLIGHT	1

/* ------------------------------------------------------------------ */
/* Counting system calls with perf_event_open(2)                        */

static long tp_sys_enter = -1;	/* raw_syscalls:sys_enter, -1: unknown */
/*
 * Only in the counting runs: per-task counters make every context switch
 * of the counted tasks dearer (the scheduler switches their perf context
 * too), which would slow every mechanism by a constant and blur the
 * ratios of the timed runs.
 */
static bool counting;
#define COUNT_CALLS	2000	/* per caller, in a counting run */
static char perf_why[160] = "not tried";

static int perf_open(struct perf_event_attr *attr)
{
	return syscall(SYS_perf_event_open, attr, 0, -1, -1,
		       PERF_FLAG_FD_CLOEXEC);
}

static void perf_attr(struct perf_event_attr *a, uint32_t type,
		      uint64_t config)
{
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->type = type;
	a->config = config;
	a->disabled = 1;
	a->exclude_hv = 1;
}

/* Find the tracepoint and check that this process may count it. */
static void perf_probe(void)
{
	static const char *const ids[] = {
		"/sys/kernel/tracing/events/raw_syscalls/sys_enter/id",
		"/sys/kernel/debug/tracing/events/raw_syscalls/sys_enter/id",
	};
	struct perf_event_attr a;
	unsigned int i;
	FILE *f;
	int fd;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		f = fopen(ids[i], "r");
		if (!f)
			continue;
		if (fscanf(f, "%ld", &tp_sys_enter) != 1)
			tp_sys_enter = -1;
		fclose(f);
		if (tp_sys_enter >= 0)
			break;
	}
	if (tp_sys_enter < 0) {
		snprintf(perf_why, sizeof(perf_why),
			 "no raw_syscalls:sys_enter tracepoint (tracefs not mounted?)");
		return;
	}
	perf_attr(&a, PERF_TYPE_TRACEPOINT, tp_sys_enter);
	fd = perf_open(&a);
	if (fd < 0) {
		snprintf(perf_why, sizeof(perf_why), "perf_event_open: %s",
			 strerror(errno));
		tp_sys_enter = -1;
		return;
	}
	close(fd);
	perf_why[0] = '\0';
}

struct counters {
	int sys;
	int csw;
};

static void counters_open(struct counters *k)
{
	struct perf_event_attr a;

	k->sys = k->csw = -1;
	if (tp_sys_enter < 0 || !counting)
		return;
	perf_attr(&a, PERF_TYPE_TRACEPOINT, tp_sys_enter);
	k->sys = perf_open(&a);
	perf_attr(&a, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES);
	k->csw = perf_open(&a);
}

/* Not counted themselves: enabling happens after the ioctl's sys_enter. */
static void counters_start(struct counters *k)
{
	if (k->sys >= 0)
		ioctl(k->sys, PERF_EVENT_IOC_ENABLE, 0);
	if (k->csw >= 0)
		ioctl(k->csw, PERF_EVENT_IOC_ENABLE, 0);
}

/* The first read is counted: one system call over the whole run. */
static void counters_read(struct counters *k, struct wres *res)
{
	uint64_t v;

	res->sys_perf = -1;
	res->csw_perf = -1;
	if (k->sys >= 0 && read(k->sys, &v, sizeof(v)) == sizeof(v))
		res->sys_perf = v;
	if (k->csw >= 0 && read(k->csw, &v, sizeof(v)) == sizeof(v))
		res->csw_perf = v;
}

/* ------------------------------------------------------------------ */
/* The parties                                                          */

static void fill_request(struct bmsg *m, int caller, int i, uint64_t seq)
{
	m->caller = caller;
	m->slot = i;
	m->seq = seq;
	memset(m->fill, (int)(seq & 0xff), sizeof(m->fill));
}

/* The callee's work: read every byte of the call, write every byte back. */
static void make_reply(const struct bmsg *req, struct bmsg *rep)
{
	unsigned int k;

	rep->caller = req->caller;
	rep->slot = req->slot;
	rep->seq = req->seq + 1;
	for (k = 0; k < sizeof(rep->fill); k++)
		rep->fill[k] = req->fill[k] + 1;
}

static bool reply_ok(const struct bmsg *rep, int caller, int i,
		     uint64_t seq)
{
	uint8_t want = (uint8_t)((seq & 0xff) + 1);
	unsigned int k;

	if (rep->caller != (uint32_t)caller || rep->slot != (uint32_t)i ||
	    rep->seq != seq + 1)
		return false;
	for (k = 0; k < sizeof(rep->fill); k++)
		if (rep->fill[k] != want)
			return false;
	return true;
}

static int caller_main(struct worker *w)
{
	struct run *r = w->r;
	const struct mech *m = r->m;
	struct wres *res = &r->res[w->id];
	uint64_t *samples = r->samples + w->id * r->per_caller;
	uint64_t *done_at = r->done_at + w->id * r->per_caller;
	long total = opt.warmup + r->per_caller, issued = 0, done = 0;
	int depth = r->c->depth;
	uint64_t t0[MAX_DEPTH], seq[MAX_DEPTH], tk0 = 0, now = 0;
	struct counters k;
	const struct bmsg *rep;
	bool got = false;	/* a submit_collect returned reply j in rep */
	int i, j = 0, ret;

	counters_open(&k);
	if (opt.warmup == 0) {
		rusage_mark(res, -1);
		counters_start(&k);
		nsys = 0;
		res->t_start = mono_ns();
		tk0 = ticks();
	}
	/*
	 * Prime the calls in flight; with submit_collect the last of them
	 * already waits for the first reply. From then on, each reply's
	 * in-flight index carries the next call: submitted and the next
	 * reply collected in one step when the mechanism can.
	 */
	for (i = 0; i < depth && issued < total; i++, issued++) {
		seq[i] = issued;
		fill_request(m->req(w, i), w->id, i, seq[i]);
		t0[i] = ticks();
		if (m->submit_collect &&
		    (i == depth - 1 || issued == total - 1)) {
			ret = m->submit_collect(w, i, &j, &rep);
			now = ticks();
			got = true;
		} else {
			ret = m->submit(w, i);
		}
		if (ret) {
			fail(w, got ? "submit_collect" : "submit",
			     ret < 0 ? -ret : EPROTO);
			return 1;
		}
	}
	while (done < total) {
		if (got) {
			i = j;
			got = false;
		} else {
			ret = m->collect(w, &i, &rep);
			now = ticks();
			if (ret) {
				fail(w, "collect", ret < 0 ? -ret : EPROTO);
				return 1;
			}
		}
		if (i < 0 || i >= depth || !reply_ok(rep, w->id, i, seq[i])) {
			fail(w, "collect", 0);
			return 1;
		}
		if (done >= opt.warmup) {
			done_at[res->nsamples] = now;
			samples[res->nsamples++] = now - t0[i];
		}
		if (++done == opt.warmup) {
			rusage_mark(res, -1);
			counters_start(&k);
			nsys = 0;
			res->t_start = mono_ns();
			tk0 = ticks();
		}
		if (issued < total) {
			seq[i] = issued++;
			fill_request(m->req(w, i), w->id, i, seq[i]);
			t0[i] = ticks();
			if (m->submit_collect) {
				ret = m->submit_collect(w, i, &j, &rep);
				now = ticks();
				got = true;
			} else {
				ret = m->submit(w, i);
			}
			if (ret) {
				fail(w, got ? "submit_collect" : "submit",
				     ret < 0 ? -ret : EPROTO);
				return 1;
			}
		}
	}
	res->sys_built = nsys;
	counters_read(&k, res);
	rusage_mark(res, 1);
	now = ticks();
	res->t_end = mono_ns();
	res->ns_per_tick = now > tk0 ?
		(double)(res->t_end - res->t_start) / (double)(now - tk0) : 1;
	res->calls = res->nsamples;
	return 0;
}

static int callee_main(struct worker *w)
{
	struct run *r = w->r;
	const struct mech *m = r->m;
	struct wres *res = &r->res[r->c->callers + w->id];
	const struct bmsg *req;
	struct bmsg *rep;
	struct counters k;
	bool answer = false;
	int ret;

	counters_open(&k);
	rusage_mark(res, -1);
	counters_start(&k);
	nsys = 0;
	res->t_start = mono_ns();
	for (;;) {
		ret = m->take(w, answer, &req, &rep);
		if (ret) {
			fail(w, "take", -ret);
			return 1;
		}
		if (req->seq == SEQ_QUIT)
			break;
		make_reply(req, rep);
		answer = true;
		res->calls++;
	}
	ret = m->quit_done(w);
	if (ret) {
		fail(w, "quit", -ret);
		return 1;
	}
	res->sys_built = nsys;
	counters_read(&k, res);
	rusage_mark(res, 1);
	res->t_end = mono_ns();
	return 0;
}

/*
 * The cost of a call's system calls alone: one process is caller and
 * callee, so that nothing ever waits and nothing is switched. Call k is
 * submitted, then taken (with the answer to call k - 1), then the reply
 * to call k - 1 collected: two calls in flight, no blocking.
 */
static int solo_main(struct worker *wc, struct worker *wd)
{
	struct run *r = wc->r;
	const struct mech *m = r->m;
	struct wres *rc = &r->res[0], *rd = &r->res[1];
	long total = opt.warmup + r->per_caller, k;
	uint64_t seq[2], t0 = 0, tk0 = 0, now, before;
	const struct bmsg *req, *rep;
	struct bmsg *out;
	int i, ret;

	for (k = 0; k < total; k++) {
		if (k == opt.warmup) {
			rc->t_start = mono_ns();
			tk0 = ticks();
			rc->sys_built = rd->sys_built = 0;
		}
		t0 = ticks();
		i = k % 2;
		seq[i] = k;
		fill_request(m->req(wc, i), 0, i, seq[i]);
		before = nsys;
		ret = m->submit(wc, i);
		if (ret) {
			fail(wc, "submit", -ret);
			return 1;
		}
		rc->sys_built += nsys - before;
		before = nsys;
		ret = m->take(wd, k > 0, &req, &out);
		if (ret || req->seq != (uint64_t)k) {
			fail(wd, "take", ret ? -ret : 0);
			return 1;
		}
		make_reply(req, out);
		rd->sys_built += nsys - before;
		rd->calls += k >= opt.warmup;
		if (k == 0)
			continue;
		before = nsys;
		ret = m->collect(wc, &i, &rep);
		if (ret || i != (k - 1) % 2 || !reply_ok(rep, 0, i, seq[i])) {
			fail(wc, "collect", ret < 0 ? -ret : 0);
			return 1;
		}
		rc->sys_built += nsys - before;
		now = ticks();
		if (k >= opt.warmup) {
			r->done_at[rc->nsamples] = now;
			r->samples[rc->nsamples++] = now - t0;
		}
	}
	now = ticks();
	rc->t_end = mono_ns();
	rc->ns_per_tick = now > tk0 ?
		(double)(rc->t_end - rc->t_start) / (double)(now - tk0) : 1;
	rc->calls = rc->nsamples;
	rc->sys_perf = rc->csw_perf = rd->sys_perf = rd->csw_perf = -1;
	return 0;
}

static int pick_cpu(void)
{
	cpu_set_t set;
	int i;

	if (opt.cpu >= 0)
		return opt.cpu;
	if (sched_getaffinity(0, sizeof(set), &set))
		return 0;
	/* The last CPU we may use: CPU 0 takes most device interrupts. */
	for (i = CPU_SETSIZE - 1; i > 0; i--)
		if (CPU_ISSET(i, &set))
			return i;
	return 0;
}

/* A forked party: set up, say ready, wait for go, run, report. */
static void party(struct run *r, bool caller, int id, int ready, int go)
{
	struct worker w = { .r = r, .id = id, .caller = caller }, callee;
	struct bmsg stage[MAX_DEPTH];
	cpu_set_t set;
	char c = 0;
	int ret;

	memset(stage, 0, sizeof(stage));
	w.stage = stage;
	if (opt.pin) {
		CPU_ZERO(&set);
		CPU_SET(pick_cpu(), &set);
		if (sched_setaffinity(0, sizeof(set), &set)) {
			fail(&w, "sched_setaffinity", errno);
			_exit(1);
		}
	}
	ret = r->m->init(&w);
	if (ret) {
		fail(&w, "set up", -ret);
		_exit(1);
	}
	if (r->c->solo) {
		callee = (struct worker){ .r = r, .id = 0, .caller = false,
					  .stage = &stage[MAX_DEPTH - 1] };
		ret = r->m->init(&callee);
		if (ret) {
			fail(&callee, "set up", -ret);
			_exit(1);
		}
	}
	/*
	 * Closing our end of @ready lets the parent see EOF once every party
	 * has either written its byte or died.
	 */
	if (write(ready, &c, 1) != 1)
		_exit(1);
	close(ready);
	if (read(go, &c, 1) != 0)
		_exit(1);
	/* Bounded: a party stuck longer than this dies of SIGALRM. */
	alarm(opt.timeout);
	if (r->c->solo)
		ret = solo_main(&w, &callee);
	else
		ret = caller ? caller_main(&w) : callee_main(&w);
	_exit(ret);
}

/* ------------------------------------------------------------------ */
/* Runs and statistics                                                  */

struct outcome {
	bool ran;
	bool skipped;
	char why[200];
	double median_ns;
	double p99_ns;
	double calls_per_s;	/* median window rate, summed over callers */
	double mean_calls_per_s;	/* calls over the whole window */
	double sys_caller;	/* by construction, per call */
	double sys_callee;
	double perf_caller;	/* counted by the kernel; < 0: not counted */
	double perf_callee;
	double csw_per_call;	/* both sides; < 0: not counted */
	double sleep_caller;	/* voluntary switches per call */
	double preempt_caller;	/* involuntary switches per call */
	double sleep_callee;
	double preempt_callee;
	double idle;		/* of the pinned CPU, fraction; < 0: unknown */
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * Throughput robust to the host: each caller's calls cut into windows of
 * WINDOW calls, the median of their rates, summed over the callers (who
 * run at the same time). A stall of the emulator or of the host spoils a
 * few windows, not the figure.
 */
#define WINDOW	128

static double window_rate(struct run *r)
{
	double sum = 0, *rate;
	uint64_t n, k, w;
	int p;

	rate = malloc(sizeof(*rate) * (r->per_caller / 2 + 1));
	if (!rate)
		return 0;
	for (p = 0; p < r->c->callers; p++) {
		const struct wres *res = &r->res[p];
		const uint64_t *t = r->done_at + p * r->per_caller;

		w = res->nsamples / 5 < WINDOW ? res->nsamples / 5 : WINDOW;
		if (w < 1)
			continue;
		for (k = 0, n = 0; k + w < res->nsamples; k += w)
			if (t[k + w] > t[k])
				rate[n++] = w * 1e9 /
					    ((t[k + w] - t[k]) * res->ns_per_tick);
		if (!n)
			continue;
		qsort(rate, n, sizeof(*rate), cmp_double);
		sum += rate[n / 2];
	}
	free(rate);
	return sum;
}

static void summarize(struct run *r, struct outcome *o)
{
	const struct bcase *c = r->c;
	uint64_t calls = 0, served = 0, t0 = UINT64_MAX, t1 = 0;
	double sysc = 0, sysd = 0, pc = 0, pd = 0, csw = 0, *lat;
	long vc = 0, ic = 0, vd = 0, id = 0;
	bool perf = true;
	size_t n = 0, i;
	int p;

	lat = malloc(sizeof(*lat) * c->callers * r->per_caller);
	for (p = 0; p < c->callers; p++) {
		struct wres *res = &r->res[p];

		for (i = 0; i < res->nsamples; i++)
			lat[n++] = r->samples[p * r->per_caller + i] *
				   res->ns_per_tick;
		calls += res->calls;
		sysc += res->sys_built;
		if (res->t_start < t0)
			t0 = res->t_start;
		if (res->t_end > t1)
			t1 = res->t_end;
		if (res->sys_perf < 0 || res->csw_perf < 0)
			perf = false;
		pc += res->sys_perf;
		csw += res->csw_perf;
		vc += res->nvcsw;
		ic += res->nivcsw;
	}
	for (p = 0; p < c->callees; p++) {
		struct wres *res = &r->res[c->callers + p];

		served += res->calls;
		sysd += res->sys_built;
		if (res->sys_perf < 0 || res->csw_perf < 0)
			perf = false;
		pd += res->sys_perf;
		csw += res->csw_perf;
		vd += res->nvcsw;
		id += res->nivcsw;
	}
	o->sleep_caller = calls ? (double)vc / calls : 0;
	o->preempt_caller = calls ? (double)ic / calls : 0;
	o->sleep_callee = served ? (double)vd / served : 0;
	o->preempt_callee = served ? (double)id / served : 0;
	qsort(lat, n, sizeof(*lat), cmp_double);
	o->median_ns = n ? lat[n / 2] : 0;
	o->p99_ns = n ? lat[(size_t)((n - 1) * 0.99)] : 0;
	free(lat);
	o->mean_calls_per_s = t1 > t0 ? calls * 1e9 / (t1 - t0) : 0;
	o->calls_per_s = window_rate(r);
	o->sys_caller = calls ? sysc / calls : 0;
	/* Callees serve the warm-up calls too, and count them. */
	o->sys_callee = served ? sysd / served : 0;
	o->perf_caller = perf && calls ? pc / calls : -1;
	o->perf_callee = perf && served ? pd / served : -1;
	/* Context switches over the callers' calls: the callees' include
	 * the warm-up, a small overestimate. */
	o->csw_per_call = perf && calls ? csw / (calls + c->callers *
						 opt.warmup) : -1;
	o->ran = true;
}

/* Idle and total time of @cpu so far, in USER_HZ ticks (/proc/stat). */
static bool cpu_times(int cpu, unsigned long long *idle,
		      unsigned long long *total)
{
	unsigned long long v[10] = { 0 };
	char line[512], want[16];
	bool found = false;
	FILE *f;
	int i;

	snprintf(want, sizeof(want), "cpu%d ", cpu);
	f = fopen("/proc/stat", "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, want, strlen(want)))
			continue;
		sscanf(line + strlen(want),
		       "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
		       &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7],
		       &v[8], &v[9]);
		found = true;
		break;
	}
	fclose(f);
	*total = 0;
	for (i = 0; i < 8; i++)	/* guest times are in user already */
		*total += v[i];
	*idle = v[3] + v[4];
	return found;
}

static void kill_all(pid_t *pids, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGKILL);
}

static int wait_party(pid_t *pids, int n, struct run *r, char *why,
		      size_t len)
{
	int st, i;
	pid_t pid;

	pid = waitpid(-1, &st, 0);
	if (pid < 0)
		return -errno;
	for (i = 0; i < n; i++)
		if (pids[i] == pid)
			break;
	if (i == n)
		return 0;	/* not ours */
	pids[i] = 0;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 1;
	if (r->res[i].failed)
		snprintf(why, len, "%s", r->res[i].why);
	else if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
		snprintf(why, len, "%s %d timed out after %d s",
			 i < r->c->callers ? "caller" : "callee",
			 i < r->c->callers ? i : i - r->c->callers,
			 opt.timeout);
	else if (WIFSIGNALED(st))
		snprintf(why, len, "a party died of signal %d", WTERMSIG(st));
	else
		snprintf(why, len, "a party exited with status %d",
			 WEXITSTATUS(st));
	return -EPROTO;
}

static void run_one(const struct mech *m, const struct bcase *c,
		    struct outcome *o)
{
	struct run r = { .c = c, .m = m };
	int nparties = c->solo ? 1 : c->callers + c->callees;
	pid_t pids[2 * MAX_PARTIES] = { 0 };
	int ready[2] = { -1, -1 }, go[2] = { -1, -1 };
	unsigned long long idle0 = 0, total0 = 0, idle1, total1;
	size_t res_bytes, smp_bytes;
	bool have_idle;
	int i, ret, left;
	char buf[2 * MAX_PARTIES];

	memset(o, 0, sizeof(*o));
	r.nslots = c->callers * c->depth + c->callees;
	r.per_caller = (opt.iters + c->callers - 1) / c->callers;
	res_bytes = sizeof(struct wres) * (c->callers + c->callees);
	smp_bytes = sizeof(uint64_t) * c->callers * r.per_caller;
	r.res = mmap(NULL, res_bytes, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	r.samples = mmap(NULL, smp_bytes, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	r.done_at = mmap(NULL, smp_bytes, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (r.res == MAP_FAILED || r.samples == MAP_FAILED ||
	    r.done_at == MAP_FAILED) {
		snprintf(o->why, sizeof(o->why), "mmap: %s", strerror(errno));
		return;
	}
	ret = m->setup(&r, o->why, sizeof(o->why));
	if (ret) {
		if (ret > 0)
			o->skipped = true;
		else
			snprintf(o->why, sizeof(o->why), "set up: %s",
				 strerror(-ret));
		goto out;
	}
	if (pipe(ready) || pipe(go)) {
		snprintf(o->why, sizeof(o->why), "pipe: %s", strerror(errno));
		goto out;
	}
	fflush(NULL);
	for (i = 0; i < nparties; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			snprintf(o->why, sizeof(o->why), "fork: %s",
				 strerror(errno));
			pids[i] = 0;
			kill_all(pids, nparties);
			goto reap;
		}
		if (pids[i] == 0) {
			close(ready[0]);
			close(go[1]);
			if (i < c->callers)
				party(&r, true, i, ready[1], go[0]);
			else
				party(&r, false, i - c->callers, ready[1],
				      go[0]);
		}
	}
	close(ready[1]);
	ready[1] = -1;
	close(go[0]);
	go[0] = -1;
	/* Everyone is set up (or failed: EOF before nparties bytes). */
	for (left = nparties; left > 0; left -= ret) {
		ret = read(ready[0], buf, left);
		if (ret <= 0)
			break;
	}
	have_idle = opt.pin && cpu_times(pick_cpu(), &idle0, &total0);
	close(go[1]);		/* go: every party's read() returns 0 */
	go[1] = -1;

	/* The callers end by themselves; then each callee gets a quit. */
	for (left = c->callers; left > 0;) {
		ret = wait_party(pids, nparties, &r, o->why, sizeof(o->why));
		if (ret < 0) {
			kill_all(pids, nparties);
			goto reap;
		}
		if (ret > 0) {
			for (i = 0, left = 0; i < c->callers; i++)
				left += pids[i] > 0;
		}
	}
	for (i = 0; !c->solo && i < c->callees; i++, r.quits++) {
		ret = m->quit(&r);
		if (ret) {
			snprintf(o->why, sizeof(o->why), "quit: %s",
				 strerror(-ret));
			kill_all(pids, nparties);
			goto reap;
		}
	}
	for (left = c->solo ? 0 : c->callees; left > 0;) {
		ret = wait_party(pids, nparties, &r, o->why, sizeof(o->why));
		if (ret < 0) {
			kill_all(pids, nparties);
			goto reap;
		}
		left = 0;
		for (i = c->callers; i < nparties; i++)
			left += pids[i] > 0;
	}
	summarize(&r, o);
	o->idle = -1;
	if (have_idle && cpu_times(pick_cpu(), &idle1, &total1) &&
	    total1 > total0)
		o->idle = (double)(idle1 - idle0) / (total1 - total0);
reap:
	while (waitpid(-1, NULL, 0) > 0)
		;
out:
	for (i = 0; i < 2; i++) {
		if (ready[i] >= 0)
			close(ready[i]);
		if (go[i] >= 0)
			close(go[i]);
	}
	m->teardown(&r);
	munmap(r.res, res_bytes);
	munmap(r.samples, smp_bytes);
	munmap(r.done_at, smp_bytes);
}

/* ------------------------------------------------------------------ */
/* Output                                                               */

static void read_line(const char *path, const char *key, char *out,
		      size_t len)
{
	char line[256];
	FILE *f = fopen(path, "r");

	snprintf(out, len, "?");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *v;

		if (key && strncmp(line, key, strlen(key)))
			continue;
		v = key ? strchr(line, ':') : line;
		if (!v)
			continue;
		if (key)
			v++;
		v += strspn(v, " \t");
		v[strcspn(v, "\n")] = '\0';
		snprintf(out, len, "%s", v);
		break;
	}
	fclose(f);
}

static void print_machine(void)
{
	char model[128], cs[64], flags[4096];
	struct utsname u;

	uname(&u);
	read_line("/proc/cpuinfo", "model name", model, sizeof(model));
	read_line("/sys/devices/system/clocksource/clocksource0/current_clocksource",
		  NULL, cs, sizeof(cs));
	read_line("/proc/cpuinfo", "flags", flags, sizeof(flags));
	printf("# kernel %s %s, %ld CPUs (%s), %s, clocksource %s\n",
	       u.release, u.machine, sysconf(_SC_NPROCESSORS_ONLN), model,
	       strstr(flags, "hypervisor") ? "virtual machine" :
					     "no hypervisor flag",
	       cs);
	if (opt.pin)
		printf("# every caller and callee pinned to CPU %d (sched_setaffinity)\n",
		       pick_cpu());
	else
		printf("# not pinned: the scheduler places the parties\n");
	printf("# %ld measured calls per run after %ld warm-up calls per caller, %d-byte calls and replies\n",
	       opt.iters, opt.warmup, MSG_SIZE);
	printf("# %d run%s of each mechanism, taken in turn%s; calls/s: the median rate over windows of %d calls\n",
	       opt.repeat, opt.repeat > 1 ? "s" : "",
	       opt.repeat > 1 ? ", each figure the median over the runs" : "",
	       WINDOW);
	if (tp_sys_enter >= 0)
		printf("# system calls per call: by construction / counted by perf (raw_syscalls:sys_enter) in a separate run of %d calls per caller, as the context switches (csw)\n",
		       COUNT_CALLS);
	else
		printf("# system calls counted by construction only; perf: %s\n",
		       perf_why);
}

static void fmt_sys(char *buf, size_t len, double built, double perf)
{
	if (perf < 0)
		snprintf(buf, len, "%.2f", built);
	else
		snprintf(buf, len, "%.2f/%.2f", built, perf);
}

static void print_case(const struct bcase *c, struct outcome *o)
{
	const struct outcome *pipe = &o[MECH_PIPE];
	char sc[32], sd[32], csw[16];
	int i;

	printf("\n%s\n", c->desc);
	printf("%-10s %10s %10s %11s %8s %8s %11s %11s %7s\n", "mechanism",
	       "median us", "p99 us", "calls/s", "lat/pipe", "tput/pipe",
	       "sys/call", "sys/call", "csw/");
	printf("%-10s %10s %10s %11s %8s %8s %11s %11s %7s\n", "", "", "", "",
	       "", "", "caller", "callee", "call");
	for (i = 0; i < NMECHS; i++) {
		const struct outcome *x = &o[i];

		if (!x->ran) {
			if (x->why[0])
				printf("%-10s %s: %s\n", mechs[i].name,
				       x->skipped ? "skipped" : "FAILED",
				       x->why);
			continue;
		}
		fmt_sys(sc, sizeof(sc), x->sys_caller, x->perf_caller);
		fmt_sys(sd, sizeof(sd), x->sys_callee, x->perf_callee);
		if (x->csw_per_call >= 0)
			snprintf(csw, sizeof(csw), "%.2f", x->csw_per_call);
		else
			snprintf(csw, sizeof(csw), "-");
		printf("%-10s %10.1f %10.1f %11.0f ", mechs[i].name,
		       x->median_ns / 1e3, x->p99_ns / 1e3, x->calls_per_s);
		if (pipe->ran && pipe->median_ns > 0)
			printf("%8.2f %8.2f ", x->median_ns / pipe->median_ns,
			       x->calls_per_s / pipe->calls_per_s);
		else
			printf("%8s %8s ", "-", "-");
		printf("%11s %11s %7s\n", sc, sd, csw);
	}
	if (opt.detail && !c->solo) {
		printf("switches per call (getrusage), sleeps/preemptions:\n");
		for (i = 0; i < NMECHS; i++)
			if (o[i].ran)
				printf("  %-10s caller %.2f/%.2f  callee %.2f/%.2f  CPU idle %.0f%%\n",
				       mechs[i].name, o[i].sleep_caller,
				       o[i].preempt_caller, o[i].sleep_callee,
				       o[i].preempt_callee, 100 * o[i].idle);
	}
	fflush(stdout);
}

static void print_json(struct outcome (*o)[NMECHS], const bool *want_case)
{
	struct utsname u;
	bool first = true;
	int c, i;

	uname(&u);
	printf("{\"kernel\":\"%s\",\"pinned\":%s,\"cpu\":%d,\"iters\":%ld,\"warmup\":%ld,\"results\":[",
	       u.release, opt.pin ? "true" : "false",
	       opt.pin ? pick_cpu() : -1, opt.iters, opt.warmup);
	for (c = 0; c < NCASES; c++) {
		if (!want_case[c])
			continue;
		for (i = 0; i < NMECHS; i++) {
			const struct outcome *x = &o[c][i];

			if (!x->ran)
				continue;
			printf("%s{\"case\":\"%s\",\"mechanism\":\"%s\",\"median_ns\":%.0f,\"p99_ns\":%.0f,\"calls_per_s\":%.0f,\"mean_calls_per_s\":%.0f,\"syscalls_caller\":%.3f,\"syscalls_callee\":%.3f,\"perf_syscalls_caller\":%.3f,\"perf_syscalls_callee\":%.3f,\"csw_per_call\":%.3f,\"sleeps_caller\":%.3f,\"preemptions_caller\":%.3f,\"sleeps_callee\":%.3f,\"preemptions_callee\":%.3f,\"cpu_idle\":%.3f}",
			       first ? "" : ",", cases[c].name, mechs[i].name,
			       x->median_ns, x->p99_ns, x->calls_per_s,
			       x->mean_calls_per_s, x->sys_caller,
			       x->sys_callee, x->perf_caller, x->perf_callee,
			       x->csw_per_call, x->sleep_caller,
			       x->preempt_caller, x->sleep_callee,
			       x->preempt_callee, x->idle);
			first = false;
		}
	}
	printf("]}\n");
}

static void target(const char *what, double v, const char *cmp, double t,
		   bool ok)
{
	printf("  %-52s %6.2f  (target %s %.2f)  %s\n", what, v, cmp, t,
	       ok ? "met" : "MISSED");
}

static void print_targets(struct outcome (*o)[NMECHS], const bool *want_case)
{
	const struct outcome *pp = o[CASE_PINGPONG], *in = o[CASE_INFLIGHT];
	double worst = 0;
	int c;

	printf("\ntargets (ratios within this run):\n");
	if (want_case[CASE_PINGPONG] && pp[MECH_MAILBOX].ran) {
		if (pp[MECH_PIPE].ran)
			target("ping-pong median, mailbox / pipe",
			       pp[MECH_MAILBOX].median_ns /
			       pp[MECH_PIPE].median_ns, "<=", 0.9,
			       pp[MECH_MAILBOX].median_ns <=
			       0.9 * pp[MECH_PIPE].median_ns);
		if (pp[MECH_SYSV].ran)
			target("ping-pong median, mailbox / sysv",
			       pp[MECH_MAILBOX].median_ns /
			       pp[MECH_SYSV].median_ns, "<=", 0.5,
			       pp[MECH_MAILBOX].median_ns <=
			       0.5 * pp[MECH_SYSV].median_ns);
	}
	if (want_case[CASE_INFLIGHT] && in[MECH_MAILBOX].ran &&
	    in[MECH_PIPE].ran)
		target("16 in flight calls/s, mailbox / pipe",
		       in[MECH_MAILBOX].calls_per_s / in[MECH_PIPE].calls_per_s,
		       ">=", 1.5, in[MECH_MAILBOX].calls_per_s >=
		       1.5 * in[MECH_PIPE].calls_per_s);
	for (c = 0; c < NCASES; c++) {
		const struct outcome *x = &o[c][MECH_MAILBOX];
		double v;

		if (!want_case[c] || !x->ran)
			continue;
		v = x->sys_caller > x->sys_callee ? x->sys_caller :
						    x->sys_callee;
		if (x->perf_caller > v)
			v = x->perf_caller;
		if (x->perf_callee > v)
			v = x->perf_callee;
		if (v > worst)
			worst = v;
	}
	if (worst > 0)
		target("mailbox syscalls per call, worst side and case", worst,
		       "<=", 2.0, worst <= 2.0 + 0.01);
	if (!o[CASE_PINGPONG][MECH_MAILBOX].ran &&
	    !o[CASE_INFLIGHT][MECH_MAILBOX].ran)
		printf("  (the mailbox did not run: no target checked)\n");
}

/* ------------------------------------------------------------------ */

/*
 * A shorter run of @m with the kernel counting system calls and context
 * switches: its figures go into every timed run of @runs.
 */
static void count_syscalls(const struct mech *m, const struct bcase *c,
			   struct outcome *runs, int n)
{
	long iters = opt.iters;
	struct outcome o;
	int k;

	if (tp_sys_enter < 0 || c->solo)
		return;
	counting = true;
	opt.iters = COUNT_CALLS * c->callers;
	run_one(m, c, &o);
	opt.iters = iters;
	counting = false;
	if (!o.ran)
		return;
	for (k = 0; k < n; k++) {
		runs[k].perf_caller = o.perf_caller;
		runs[k].perf_callee = o.perf_callee;
		runs[k].csw_per_call = o.csw_per_call;
	}
}

static double median_of(const struct outcome *runs, int n, size_t off)
{
	double v[16];
	int k;

	for (k = 0; k < n; k++)
		v[k] = *(const double *)((const char *)&runs[k] + off);
	qsort(v, n, sizeof(v[0]), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Each figure: its median over the repeats. */
static void median_outcome(const struct outcome *runs, int n,
			   struct outcome *o)
{
	static const size_t fields[] = {
		offsetof(struct outcome, median_ns),
		offsetof(struct outcome, p99_ns),
		offsetof(struct outcome, calls_per_s),
		offsetof(struct outcome, mean_calls_per_s),
		offsetof(struct outcome, sys_caller),
		offsetof(struct outcome, sys_callee),
		offsetof(struct outcome, perf_caller),
		offsetof(struct outcome, perf_callee),
		offsetof(struct outcome, csw_per_call),
		offsetof(struct outcome, sleep_caller),
		offsetof(struct outcome, preempt_caller),
		offsetof(struct outcome, sleep_callee),
		offsetof(struct outcome, preempt_callee),
		offsetof(struct outcome, idle),
	};
	size_t f;

	*o = runs[0];
	for (f = 0; f < sizeof(fields) / sizeof(fields[0]); f++)
		*(double *)((char *)o + fields[f]) =
			median_of(runs, n, fields[f]);
}

static void usage(FILE *f)
{
	int i;

	fprintf(f,
"usage: mailbox-bench [--all] [--case NAME]... [--mech NAME]... [options]\n"
"\n"
"Measure a 64-byte two-step call through /dev/mailbox against other IPC.\n"
"\n"
"  --all             every case and every mechanism (the default)\n"
"  --case NAME       run this case (repeatable): pingpong, inflight, mpmc\n"
"  --mech NAME       run this mechanism (repeatable): pipe, eventfd,\n"
"                    seqpacket, mq, sysv, mailbox; the ratios need pipe\n"
"  --iters N         measured calls per run, all callers (default %ld)\n"
"  --warmup N        unmeasured calls per caller first (default %ld)\n"
"  --depth N         calls in flight in the inflight case, 1..%d (default %d)\n"
"  --repeat N        runs of each mechanism, in turn; figures are medians\n"
"  --cpu N           pin every party to CPU N (default: the last one)\n"
"  --no-pin          let the scheduler place the parties\n"
"  --timeout S       a run that takes longer fails (default %d s)\n"
"  --json            one JSON object instead of the tables\n"
"  --detail          also the sleeps and preemptions per call of each side\n"
"  --box-name NAME   name the mailbox of the runs (default mailbox-bench.PID),\n"
"                    to watch it with mailboxctl watch\n"
"  -h, --help        this text\n"
"\nMechanisms:\n", opt.iters, opt.warmup, MAX_DEPTH, opt.depth, opt.timeout);
	for (i = 0; i < NMECHS; i++)
		fprintf(f, "  %-10s %s\n", mechs[i].name, mechs[i].desc);
}

static long parse_num(const char *s, const char *what, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "mailbox-bench: %s: '%s' is not a number in %ld..%ld\n",
			what, s, min, max);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "case", required_argument, NULL, 'c' },
		{ "mech", required_argument, NULL, 'm' },
		{ "iters", required_argument, NULL, 'n' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "depth", required_argument, NULL, 'd' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "cpu", required_argument, NULL, 'C' },
		{ "no-pin", no_argument, NULL, 'P' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "detail", no_argument, NULL, 'D' },
		{ "box-name", required_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct outcome out[NCASES][NMECHS];
	bool want_case[NCASES] = { false }, want_mech[NMECHS] = { false };
	bool any_case = false, any_mech = false, failed = false;
	static struct outcome runs[NMECHS][16];
	int o, c, i, k;

	while ((o = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (o) {
		case 'a':
			break;
		case 'c':
			for (c = 0; c < NCASES; c++)
				if (!strcmp(optarg, cases[c].name))
					break;
			if (c == NCASES) {
				fprintf(stderr, "mailbox-bench: no case '%s'\n",
					optarg);
				usage(stderr);
				return 2;
			}
			want_case[c] = any_case = true;
			break;
		case 'm':
			for (i = 0; i < NMECHS; i++)
				if (!strcmp(optarg, mechs[i].name))
					break;
			if (i == NMECHS) {
				fprintf(stderr, "mailbox-bench: no mechanism '%s'\n",
					optarg);
				usage(stderr);
				return 2;
			}
			want_mech[i] = any_mech = true;
			break;
		case 'n':
			opt.iters = parse_num(optarg, "--iters", 1, 100000000);
			break;
		case 'w':
			opt.warmup = parse_num(optarg, "--warmup", 0, 100000000);
			break;
		case 'd':
			opt.depth = parse_num(optarg, "--depth", 1, MAX_DEPTH);
			break;
		case 'r':
			opt.repeat = parse_num(optarg, "--repeat", 1, 16);
			break;
		case 'C':
			opt.cpu = parse_num(optarg, "--cpu", 0, CPU_SETSIZE - 1);
			break;
		case 'P':
			opt.pin = false;
			break;
		case 't':
			opt.timeout = parse_num(optarg, "--timeout", 1, 86400);
			break;
		case 'j':
			opt.json = true;
			break;
		case 'D':
			opt.detail = true;
			break;
		case 'B':
			if (!*optarg || strlen(optarg) >= MBX_NAME_MAX) {
				fprintf(stderr, "mailbox-bench: --box-name: 1 to %d characters\n",
					MBX_NAME_MAX - 1);
				return 2;
			}
			opt.box_name = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "mailbox-bench: unexpected argument '%s'\n",
			argv[optind]);
		usage(stderr);
		return 2;
	}
	for (c = 0; c < NCASES; c++)
		want_case[c] |= !any_case;
	for (i = 0; i < NMECHS; i++)
		want_mech[i] |= !any_mech;
	cases[CASE_INFLIGHT].depth = opt.depth;
	if (opt.depth != 16) {
		static char desc[80];

		snprintf(desc, sizeof(desc),
			 "in flight: 1 caller, 1 callee, %d calls in flight",
			 opt.depth);
		cases[CASE_INFLIGHT].desc = desc;
	}
	if (opt.pin && opt.cpu >= 0) {
		cpu_set_t set;

		if (sched_getaffinity(0, sizeof(set), &set) ||
		    !CPU_ISSET(opt.cpu, &set)) {
			fprintf(stderr, "mailbox-bench: CPU %d is not available\n",
				opt.cpu);
			return 2;
		}
	}
	/* A callee whose caller went away must not kill us with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	perf_probe();
	if (!opt.json)
		print_machine();

	for (c = 0; c < NCASES; c++) {
		if (!want_case[c])
			continue;
		/*
		 * The repeats go round the mechanisms, so that a slow spell
		 * of the host falls on all of them alike.
		 */
		memset(runs, 0, sizeof(runs));
		for (k = 0; k < opt.repeat; k++) {
			for (i = 0; i < NMECHS; i++) {
				if (!want_mech[i] ||
				    (k && !runs[i][k - 1].ran))
					continue;
				run_one(&mechs[i], &cases[c], &runs[i][k]);
			}
		}
		for (i = 0; i < NMECHS; i++) {
			if (!want_mech[i])
				continue;
			for (k = 0; k < opt.repeat; k++)
				if (!runs[i][k].ran)
					break;
			if (k == opt.repeat)
				count_syscalls(&mechs[i], &cases[c], runs[i],
					       opt.repeat);
			if (k < opt.repeat) {
				out[c][i] = runs[i][k];
				if (!runs[i][k].skipped)
					failed = true;
				continue;
			}
			median_outcome(runs[i], opt.repeat, &out[c][i]);
		}
		if (!opt.json)
			print_case(&cases[c], out[c]);
	}
	if (opt.json)
		print_json(out, want_case);
	else
		print_targets(out, want_case);
	return failed ? 1 : 0;
}
