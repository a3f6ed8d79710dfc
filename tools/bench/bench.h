/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mailbox-bench: the core shared by every mechanism (bench.c) and the
 * interface a mechanism implements (one file each: pipe.c, eventfd.c, ...,
 * listed in mechs.c).
 *
 * A run is one mechanism on one case: C callers and D callees, each a
 * process of its own, every caller keeping N calls in flight, every call a
 * request of S bytes answered by a reply of S bytes (struct bmsg, then
 * payload). The core forks the parties, times every call, checks every
 * reply and reports; the mechanism moves the messages.
 *
 * The mechanism's view of a run (struct run):
 *   r->c->callers, r->c->callees   the parties
 *   r->c->depth                     calls in flight per caller (1: ping-pong)
 *   r->size                         bytes of each request and each reply,
 *                                   MSG_MIN..MSG_MAX (a mechanism that
 *                                   cannot carry them says so in setup)
 *   r->nslots                       callers * depth + callees: the messages
 *                                   that can exist at once, the quits
 *                                   included
 *
 * Caller side: req(w, i) gives the buffer of in-flight call i (0 <= i <
 * depth), the core writes the request there, then submit(w, i) sends it;
 * collect(w, &i, &rep) waits for any reply and says whose. A mechanism may
 * defer work: submit() may only queue the call, as long as collect() sends
 * everything queued before it waits (a batching mechanism submits and
 * collects several calls in one system call there, and hands the replies
 * out one per collect()). submit_collect(), when set, is submit then
 * collect in one step; the core then uses it for every call but the
 * primed ones.
 *
 * Callee side: take(w, answer, &req, &rep) sends the reply written into the
 * last *rep (if @answer) and returns the next call and where to write its
 * reply; a mechanism may hold answers back as long as none is held while it
 * waits. A request whose seq is SEQ_QUIT ends the callee; quit_done() then
 * finishes it if the mechanism must (a mailbox call is completed), and the
 * parent makes one quit per callee with quit().
 *
 * Every system call the measured loop issues is counted where it is made:
 * nsys++ (or SYS(call)), so that "system calls per call by construction"
 * is right for a mechanism that batches.
 */
#ifndef MBX_BENCH_H
#define MBX_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MSG_MIN		((int)sizeof(struct bmsg))
#define MSG_DEFAULT	64
#define MSG_MAX		(1 << 20)	/* the module's default max_slot_size */
/*
 * PIPE_BUF: the most a write to a pipe keeps whole when several processes
 * write to it (or read from it); above it the pipe runs only 1 caller with
 * 1 callee.
 */
#define MSG_SHARED_MAX	4096
#define MAX_DEPTH	20	/* seqpacket: 2 * (max_dgram_qlen + 1) */
#define MAX_PARTIES	16
#define SEQ_QUIT	UINT64_MAX

/* One call or reply: this header, then r->size - MSG_MIN payload bytes. */
struct bmsg {
	uint32_t caller;
	uint32_t slot;		/* the caller's in-flight index */
	uint64_t seq;
	uint8_t fill[];
};

struct bcase {
	const char *name;
	const char *desc;
	int callers;
	int callees;
	int depth;		/* calls in flight per caller */
	bool solo;		/* one process plays both parts */
	bool sweep;		/* run at each size of the sweep */
};

struct opts {
	long iters;		/* measured calls per case, all callers */
	long warmup;		/* unmeasured calls per caller */
	int repeat;
	bool pin;
	int cpu;
	int timeout;		/* seconds, per run */
	int depth;		/* of the in-flight case */
	int size;		/* bytes of each request and reply */
	bool json;
	bool detail;
	const char *baseline;	/* the mechanism of the ratio columns */
	const char *baseline2;	/* ... and of the second ratio columns */
	const char *box_name;	/* of the mailbox runs, for a monitor */
};

extern struct opts opt;

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

struct mech;

/* One run of one mechanism on one case. */
struct run {
	const struct bcase *c;
	const struct mech *m;
	int nslots;		/* callers * depth + callees (for the quits) */
	int size;		/* bytes of each message, MSG_MIN..MSG_MAX */
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
	uint8_t *stage;		/* callers: depth request buffers of r->size */
	struct bmsg *in;	/* copy mechanisms: the message read */
	struct bmsg *out;	/* copy mechanisms: the reply to send */
	void *priv;
};

struct mech {
	const char *name;
	const char *desc;
	/* Parent, before forking: 0, -errno, or 1 (unavailable, *why set). */
	int (*setup)(struct run *r, char *why, size_t len);
	void (*teardown)(struct run *r);
	/* Each party, after the fork. */
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
	 * and collect, in one step. NULL: the two, one after the other.
	 */
	int (*submit_collect)(struct worker *w, int i, int *j,
			      const struct bmsg **rep);
};

/* mechs.c: every mechanism, in the order of the output. */
extern const struct mech *const bench_mechs[];
extern const int bench_nmechs;
/* Their names whose submit() only queues (NULL-terminated). */
extern const char *const bench_lazy_submit[];

/* System calls this process issued in its measured loop. */
extern uint64_t nsys;
#define SYS(call) (nsys++, (call))

/* Helpers for the mechanisms (bench.c). */
/*
 * read/write of a whole message of a stream or of a datagram: a short
 * transfer goes on where it stopped, each system call counted.
 */
int xfer_read(int fd, void *buf, int size);
int xfer_write(int fd, const void *buf, int size);
/* A request of r->size bytes that makes a callee quit. */
const struct bmsg *quit_msg(const struct run *r);
/* The caller's stage buffer of call i, for the copy mechanisms. */
struct bmsg *copy_req(struct worker *w, int i);
int nothing_to_finish(struct worker *w);

#endif /* MBX_BENCH_H */
