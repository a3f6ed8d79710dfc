// SPDX-License-Identifier: GPL-2.0
/*
 * mailbox-bench: the two-step call through /dev/mailbox against the usual
 * ways of making a call between two processes, measured in one run. This
 * file is the core: options, the cases, the parties' loops, timing, the
 * system call and context switch counts, the statistics and the output.
 * The mechanisms are files of their own (bench.h says what one provides),
 * listed in mechs.c and chosen by name with --mech.
 *
 * Cases: ping-pong (1 caller, 1 callee, 1 call in flight), in flight (1
 * caller keeping 16 calls in flight, 1 callee), 4 callers with 2 callees
 * (each caller 1 call in flight), and solo: one process that makes, serves
 * and collects every call itself, so that nothing waits and nothing is
 * switched: the cost of the system calls alone. Every call is a request of
 * --size bytes (64) answered by a reply of as many, checked by the caller.
 * The sweep runs ping-pong at each of --sizes (64 B to 1 MiB) for the
 * mechanisms of --sweep-mech (pipe, futex, mailbox), with fewer calls per
 * run above 4 KiB, and sums it up in one table of medians and ratios.
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
 *
 * The figures are reported, not judged: the targets they are compared
 * with are in Documentation/userspace-api/mbx-bench.rst.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#include "mailbox.h"
#include "bench.h"

#define MAX_MECHS	32

struct opts opt = {
	.iters = 20000,
	.warmup = 500,
	.repeat = 1,
	.pin = true,
	.cpu = -1,
	.timeout = 300,
	.depth = 16,
	.size = MSG_DEFAULT,
	.baseline = "pipe",
	.baseline2 = "futex",
};

uint64_t nsys;

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

int xfer_read(int fd, void *buf, int size)
{
	uint8_t *p = buf;
	ssize_t n;

	while (size > 0) {
		n = SYS(read(fd, p, size));
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		size -= n;
	}
	return 0;
}

int xfer_write(int fd, const void *buf, int size)
{
	const uint8_t *p = buf;
	ssize_t n;

	while (size > 0) {
		n = SYS(write(fd, p, size));
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		size -= n;
	}
	return 0;
}

/* The parent's, in a buffer of the largest size asked so far. */
const struct bmsg *quit_msg(const struct run *r)
{
	static struct bmsg *q;
	static int qsize;

	if (r->size > qsize) {
		free(q);
		q = calloc(1, r->size);
		qsize = q ? r->size : 0;
		if (!q)
			return NULL;
	}
	q->seq = SEQ_QUIT;
	return q;
}

struct bmsg *copy_req(struct worker *w, int i)
{
	return (struct bmsg *)(w->stage + (size_t)i * w->r->size);
}

int nothing_to_finish(struct worker *w)
{
	(void)w;
	return 0;
}

static struct bcase cases[] = {
	{ "pingpong", "ping-pong: 1 caller, 1 callee, 1 call in flight",
	  1, 1, 1, false, false },
	{ "inflight", "in flight: 1 caller, 1 callee, 16 calls in flight",
	  1, 1, 16, false, false },
	{ "mpmc", "4 callers, 2 callees, 1 call in flight per caller",
	  4, 2, 1, false, false },
	{ "solo", "no wakeup: one process makes, serves and collects each call",
	  1, 1, 2, true, false },
	{ "sweep", "payload sweep: ping-pong at each of --sizes",
	  1, 1, 1, false, true },
};

#define NCASES	(int)(sizeof(cases) / sizeof(cases[0]))
#define CASE_INFLIGHT	1

/* The sweep: ping-pong at each of these sizes (--sizes). */
#define MAX_SIZES	8
static int sweep_sizes[MAX_SIZES] = { 64, 4096, 65536, 1 << 20 };
static int nsweep = 4;
/* Without --sweep-mech the sweep runs these: the copy, the hand-made, ours. */
static const char *const sweep_default = "pipe,futex,mailbox";

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

/* Payload bytes of every message of the run: r->size - MSG_MIN. */
static size_t fill_len;

static void fill_request(struct bmsg *m, int caller, int i, uint64_t seq)
{
	m->caller = caller;
	m->slot = i;
	m->seq = seq;
	memset(m->fill, (int)(seq & 0xff), fill_len);
}

/* The callee's work: read every byte of the call, write every byte back. */
static void make_reply(const struct bmsg *req, struct bmsg *rep)
{
	size_t k;

	rep->caller = req->caller;
	rep->slot = req->slot;
	rep->seq = req->seq + 1;
	for (k = 0; k < fill_len; k++)
		rep->fill[k] = req->fill[k] + 1;
}

static bool reply_ok(const struct bmsg *rep, int caller, int i,
		     uint64_t seq)
{
	uint8_t want = (uint8_t)((seq & 0xff) + 1);
	size_t k;

	if (rep->caller != (uint32_t)caller || rep->slot != (uint32_t)i ||
	    rep->seq != seq + 1)
		return false;
	for (k = 0; k < fill_len; k++)
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
	size_t sz = r->size;
	cpu_set_t set;
	uint8_t *b;
	char c = 0;
	int ret;

	/* The stage (MAX_DEPTH messages), then in and out of each worker. */
	b = mmap(NULL, (MAX_DEPTH + 4) * sz, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b == MAP_FAILED) {
		fail(&w, "mmap", errno);
		_exit(1);
	}
	w.stage = b;
	w.in = (struct bmsg *)(b + MAX_DEPTH * sz);
	w.out = (struct bmsg *)(b + (MAX_DEPTH + 1) * sz);
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
		callee = (struct worker){
			.r = r, .id = 0, .caller = false,
			.in = (struct bmsg *)(b + (MAX_DEPTH + 2) * sz),
			.out = (struct bmsg *)(b + (MAX_DEPTH + 3) * sz),
		};
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
	double csw_caller;	/* per call, each side; < 0: not counted */
	double csw_callee;
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
	double cswc = 0, cswd = 0;
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
		cswc += res->csw_perf;
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
		cswd += res->csw_perf;
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
	/* Each side over the calls its counters saw, as sys/call. */
	o->csw_caller = perf && calls ? cswc / calls : -1;
	o->csw_callee = perf && served ? cswd / served : -1;
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
	r.size = opt.size;
	fill_len = r.size - MSG_MIN;
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
	for (i = 0; c->solo && bench_lazy_submit[i]; i++) {
		if (!strcmp(m->name, bench_lazy_submit[i])) {
			snprintf(o->why, sizeof(o->why),
				 "its submit waits for a collect");
			o->skipped = true;
			goto out;
		}
	}
	if (!quit_msg(&r)) {
		snprintf(o->why, sizeof(o->why), "quit message: %s",
			 strerror(ENOMEM));
		goto out;
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
	printf("# %ld measured calls per run after %ld warm-up calls per caller, %d-byte calls and replies (the sweep: as its tables say)\n",
	       opt.iters, opt.warmup, opt.size);
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

static int find_mech(const char *name);

/* The outcome of the mechanism @name, if it is in this table. */
static const struct outcome *want_base(const char *name,
				       const struct outcome *o,
				       const bool *want_mech)
{
	int i = find_mech(name);

	return i >= 0 && want_mech[i] ? &o[i] : NULL;
}

static void print_ratios(const struct outcome *x, const struct outcome *base)
{
	if (base && base->ran && base->median_ns > 0 && base->calls_per_s > 0)
		printf(" %7.2f %7.2f", x->median_ns / base->median_ns,
		       x->calls_per_s / base->calls_per_s);
	else
		printf(" %7s %7s", "-", "-");
}

static void fmt_csw(char *buf, size_t len, double v)
{
	if (v >= 0)
		snprintf(buf, len, "%.2f", v);
	else
		snprintf(buf, len, "-");
}

/*
 * One table: a line per mechanism, the ratios to the two baselines, then
 * per side the system calls (by construction / counted) and the context
 * switches per call (counted).
 */
static void print_case(const char *desc, bool solo, const struct outcome *o,
		       const bool *want_mech)
{
	const struct outcome *base = want_base(opt.baseline, o, want_mech);
	const struct outcome *base2 = want_base(opt.baseline2, o, want_mech);
	char sc[32], sd[32], cc[16], cd[16], h[4][16];
	int i;

	snprintf(h[0], sizeof(h[0]), "lat/");
	snprintf(h[1], sizeof(h[1]), "tput/");
	snprintf(h[2], sizeof(h[2]), "%.7s", opt.baseline);
	snprintf(h[3], sizeof(h[3]), "%.7s", opt.baseline2);
	printf("\n%s\n", desc);
	printf("%-13s %9s %9s %9s %7s %7s %7s %7s %11s %11s %6s %6s\n",
	       "mechanism", "median", "p99", "calls/s", h[0], h[1], h[0], h[1],
	       "sys/call", "sys/call", "csw/", "csw/");
	printf("%-13s %9s %9s %9s %7s %7s %7s %7s %11s %11s %6s %6s\n",
	       "", "us", "us", "", h[2], h[2], h[3], h[3], "caller", "callee",
	       "caller", "callee");
	for (i = 0; i < bench_nmechs; i++) {
		const struct outcome *x = &o[i];
		const char *name = bench_mechs[i]->name;

		if (!want_mech[i])
			continue;
		if (!x->ran) {
			if (x->why[0])
				printf("%-13s %s: %s\n", name,
				       x->skipped ? "skipped" : "FAILED",
				       x->why);
			continue;
		}
		fmt_sys(sc, sizeof(sc), x->sys_caller, x->perf_caller);
		fmt_sys(sd, sizeof(sd), x->sys_callee, x->perf_callee);
		fmt_csw(cc, sizeof(cc), x->csw_caller);
		fmt_csw(cd, sizeof(cd), x->csw_callee);
		printf("%-13s %9.1f %9.1f %9.0f", name, x->median_ns / 1e3,
		       x->p99_ns / 1e3, x->calls_per_s);
		print_ratios(x, base);
		print_ratios(x, base2);
		printf(" %11s %11s %6s %6s\n", sc, sd, cc, cd);
	}
	if (opt.detail && !solo) {
		printf("switches per call (getrusage), sleeps/preemptions:\n");
		for (i = 0; i < bench_nmechs; i++)
			if (want_mech[i] && o[i].ran)
				printf("  %-13s caller %.2f/%.2f  callee %.2f/%.2f  CPU idle %.0f%%\n",
				       bench_mechs[i]->name, o[i].sleep_caller,
				       o[i].preempt_caller, o[i].sleep_callee,
				       o[i].preempt_callee, 100 * o[i].idle);
	}
	fflush(stdout);
}

/* One table of the output: a case at one size, each mechanism's outcome. */
struct table {
	const struct bcase *c;
	int size;
	long iters;
	struct outcome o[MAX_MECHS];
};

/*
 * The sweep as one table: per size the median of each mechanism, then the
 * ratio of each to the first baseline and of each but the first baseline
 * to the second (mailbox/pipe, mailbox/futex, futex/pipe).
 */
/* The width of the median column of mechanism i, 9 at least. */
static int mech_width(int i)
{
	int n = strlen(bench_mechs[i]->name);

	return n > 9 ? n : 9;
}

/* The width of the column "mechanism i / @base", 14 at least. */
static int ratio_width(int i, const char *base)
{
	int n = strlen(bench_mechs[i]->name) + 1 + strlen(base);

	return n > 14 ? n : 14;
}

static void print_sweep(const struct table *t, int n, const bool *want_mech)
{
	int b1 = find_mech(opt.baseline), b2 = find_mech(opt.baseline2);
	char col[80];
	int k, i, w;

	printf("\npayload sweep, ping-pong: median us, and ratios of the medians\n");
	printf("%8s", "bytes");
	for (i = 0; i < bench_nmechs; i++)
		if (want_mech[i])
			printf(" %*s", mech_width(i), bench_mechs[i]->name);
	for (i = 0; i < bench_nmechs; i++) {
		if (!want_mech[i] || i == b1)
			continue;
		snprintf(col, sizeof(col), "%s/%s", bench_mechs[i]->name,
			 opt.baseline);
		printf(" %*s", ratio_width(i, opt.baseline), col);
	}
	for (i = 0; i < bench_nmechs; i++) {
		if (!want_mech[i] || i == b1 || i == b2 || b2 < 0 ||
		    !want_mech[b2])
			continue;
		snprintf(col, sizeof(col), "%s/%s", bench_mechs[i]->name,
			 opt.baseline2);
		printf(" %*s", ratio_width(i, opt.baseline2), col);
	}
	printf("\n");
	for (k = 0; k < n; k++) {
		const struct outcome *o = t[k].o;
		const struct outcome *x1 = b1 >= 0 ? &o[b1] : NULL;
		const struct outcome *x2 = b2 >= 0 ? &o[b2] : NULL;

		printf("%8d", t[k].size);
		for (i = 0; i < bench_nmechs; i++) {
			if (!want_mech[i])
				continue;
			if (o[i].ran)
				printf(" %*.1f", mech_width(i),
				       o[i].median_ns / 1e3);
			else
				printf(" %*s", mech_width(i), "-");
		}
		for (i = 0; i < bench_nmechs; i++) {
			if (!want_mech[i] || i == b1)
				continue;
			w = ratio_width(i, opt.baseline);
			if (o[i].ran && x1 && want_mech[b1] && x1->ran)
				printf(" %*.2f", w, o[i].median_ns / x1->median_ns);
			else
				printf(" %*s", w, "-");
		}
		for (i = 0; i < bench_nmechs; i++) {
			if (!want_mech[i] || i == b1 || i == b2 || b2 < 0 ||
			    !want_mech[b2])
				continue;
			w = ratio_width(i, opt.baseline2);
			if (o[i].ran && x2->ran)
				printf(" %*.2f", w, o[i].median_ns / x2->median_ns);
			else
				printf(" %*s", w, "-");
		}
		printf("\n");
	}
	fflush(stdout);
}

static void print_json(const struct table *t, int n)
{
	struct utsname u;
	bool first = true;
	int k, i;

	uname(&u);
	printf("{\"kernel\":\"%s\",\"pinned\":%s,\"cpu\":%d,\"iters\":%ld,\"warmup\":%ld,\"size\":%d,\"results\":[",
	       u.release, opt.pin ? "true" : "false",
	       opt.pin ? pick_cpu() : -1, opt.iters, opt.warmup, opt.size);
	for (k = 0; k < n; k++) {
		for (i = 0; i < bench_nmechs; i++) {
			const struct outcome *x = &t[k].o[i];

			if (!x->ran)
				continue;
			printf("%s{\"case\":\"%s\",\"mechanism\":\"%s\",\"depth\":%d,\"size\":%d,\"iters\":%ld,\"median_ns\":%.0f,\"p99_ns\":%.0f,\"calls_per_s\":%.0f,\"mean_calls_per_s\":%.0f,\"syscalls_caller\":%.3f,\"syscalls_callee\":%.3f,\"perf_syscalls_caller\":%.3f,\"perf_syscalls_callee\":%.3f,\"csw_per_call\":%.3f,\"csw_caller\":%.3f,\"csw_callee\":%.3f,\"sleeps_caller\":%.3f,\"preemptions_caller\":%.3f,\"sleeps_callee\":%.3f,\"preemptions_callee\":%.3f,\"cpu_idle\":%.3f}",
			       first ? "" : ",", t[k].c->name,
			       bench_mechs[i]->name, t[k].c->depth,
			       t[k].size, t[k].iters,
			       x->median_ns, x->p99_ns, x->calls_per_s,
			       x->mean_calls_per_s, x->sys_caller,
			       x->sys_callee, x->perf_caller, x->perf_callee,
			       x->csw_per_call, x->csw_caller, x->csw_callee,
			       x->sleep_caller, x->preempt_caller,
			       x->sleep_callee, x->preempt_callee, x->idle);
			first = false;
		}
	}
	printf("]}\n");
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
	/* As many as the timed runs at most (the sweep's large sizes). */
	if (opt.iters > COUNT_CALLS * c->callers)
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
		runs[k].csw_caller = o.csw_caller;
		runs[k].csw_callee = o.csw_callee;
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
		offsetof(struct outcome, csw_caller),
		offsetof(struct outcome, csw_callee),
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

/*
 * Every wanted mechanism on case @c at the current opt.size, opt.repeat
 * times, into @t. The repeats go round the mechanisms, so that a slow
 * spell of the host falls on all of them alike. True if a run failed.
 */
static bool run_case(const struct bcase *c, const bool *want_mech,
		     struct table *t)
{
	static struct outcome runs[MAX_MECHS][16];
	bool failed = false;
	int i, k;

	t->c = c;
	t->size = opt.size;
	t->iters = opt.iters;
	memset(runs, 0, sizeof(runs));
	for (k = 0; k < opt.repeat; k++) {
		for (i = 0; i < bench_nmechs; i++) {
			if (!want_mech[i] || (k && !runs[i][k - 1].ran))
				continue;
			run_one(bench_mechs[i], c, &runs[i][k]);
		}
	}
	for (i = 0; i < bench_nmechs; i++) {
		if (!want_mech[i])
			continue;
		for (k = 0; k < opt.repeat; k++)
			if (!runs[i][k].ran)
				break;
		if (k < opt.repeat) {
			t->o[i] = runs[i][k];
			if (!runs[i][k].skipped)
				failed = true;
			continue;
		}
		count_syscalls(bench_mechs[i], c, runs[i], opt.repeat);
		median_outcome(runs[i], opt.repeat, &t->o[i]);
	}
	return failed;
}

/*
 * Calls per run of the sweep at @size: --iters up to 4 KiB, then fewer in
 * proportion (the bytes moved per run stay those of --iters 4 KiB calls),
 * never fewer than SWEEP_MIN_CALLS.
 */
#define SWEEP_MIN_CALLS	200

static long sweep_iters(int size)
{
	long n = opt.iters;

	if (size > 4096)
		n = (long)((double)opt.iters * 4096 / size);
	if (n < SWEEP_MIN_CALLS)
		n = SWEEP_MIN_CALLS;
	return n < opt.iters ? n : opt.iters;
}

/* The sweep: ping-pong at each size; a table each, then the summary. */
static bool run_sweep(const struct bcase *c, const bool *want_mech,
		      struct table *t)
{
	long iters = opt.iters, warmup = opt.warmup;
	int size = opt.size, k;
	bool failed = false;
	char desc[160];

	for (k = 0; k < nsweep; k++) {
		opt.size = sweep_sizes[k];
		opt.iters = sweep_iters(opt.size);
		if (opt.warmup > opt.iters / 4)
			opt.warmup = opt.iters / 4;
		failed |= run_case(c, want_mech, &t[k]);
		if (!opt.json) {
			snprintf(desc, sizeof(desc),
				 "payload sweep: ping-pong, %d-byte calls and replies, %ld calls per run after %ld warm-up calls",
				 opt.size, opt.iters, opt.warmup);
			print_case(desc, false, t[k].o, want_mech);
		}
		opt.iters = iters;
		opt.warmup = warmup;
	}
	opt.size = size;
	if (!opt.json)
		print_sweep(t, nsweep, want_mech);
	return failed;
}

static void usage(FILE *f)
{
	int i;

	fprintf(f,
"usage: mailbox-bench [--all] [--case NAME[,NAME]]... [--mech NAME[,NAME]]...\n"
"                     [options]\n"
"\n"
"Measure a two-step call through /dev/mailbox against other IPC.\n"
"\n"
"  --all             every case and every mechanism (the default; the\n"
"                    sweep's mechanisms are --sweep-mech's)\n"
"  --case LIST       run these cases (comma-separated, repeatable):\n"
"                    pingpong, inflight, mpmc, solo, sweep (ping-pong at\n"
"                    each of --sizes)\n"
"  --mech LIST       run these mechanisms (comma-separated, repeatable),\n"
"                    listed below\n"
"  --sweep-mech LIST the mechanisms of the sweep (default %s)\n"
"  --baseline NAME   the mechanism of the ratio columns (default %s)\n"
"  --baseline2 NAME  the mechanism of the second ratio columns (default %s)\n"
"  --iters N         measured calls per run, all callers (default %ld)\n"
"  --warmup N        unmeasured calls per caller first (default %ld)\n"
"  --depth N         calls in flight in the inflight case, 1..%d (default %d)\n"
"  --size BYTES      bytes of each call and reply, a multiple of 8 in\n"
"                    %d..%d (default %d); above %d the pipe runs only\n"
"                    1 caller with 1 callee, seqpacket stops at 65536, mq\n"
"                    at /proc/sys/fs/mqueue/msgsize_max\n"
"  --sizes LIST      the sizes of the sweep (default 64,4096,65536,1048576);\n"
"                    above 4096 bytes a run makes fewer calls, in proportion\n"
"                    (at least %d)\n"
"  --repeat N        runs of each mechanism, in turn; figures are medians\n"
"  --cpu N           pin every party to CPU N (default: the last one)\n"
"  --no-pin          let the scheduler place the parties\n"
"  --timeout S       a run that takes longer fails (default %d s)\n"
"  --json            one JSON object instead of the tables\n"
"  --detail          also the sleeps and preemptions per call of each side\n"
"  --box-name NAME   name the mailbox of the runs (default mailbox-bench.PID),\n"
"                    to watch it with mailboxctl watch\n"
"  -h, --help        this text\n"
"\n"
"The exit status is 1 when a run failed (a wrong reply, a party that died\n"
"or timed out), 0 otherwise: the figures are not judged here.\n"
"\nMechanisms:\n", sweep_default, opt.baseline, opt.baseline2, opt.iters, opt.warmup,
		MAX_DEPTH, opt.depth, MSG_MIN, MSG_MAX, MSG_DEFAULT,
		MSG_SHARED_MAX, SWEEP_MIN_CALLS, opt.timeout);
	for (i = 0; i < bench_nmechs; i++)
		fprintf(f, "  %-10s %s\n", bench_mechs[i]->name,
			bench_mechs[i]->desc);
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

/* A message size: a multiple of 8 in MSG_MIN..MSG_MAX. */
static int parse_size(const char *s, const char *what)
{
	int v = parse_num(s, what, MSG_MIN, MSG_MAX);

	if (v % 8) {
		fprintf(stderr, "mailbox-bench: %s: %d is not a multiple of 8\n",
			what, v);
		exit(2);
	}
	return v;
}

/* --sizes: a comma-separated list of message sizes. */
static void parse_sizes(const char *list)
{
	char *copy = strdup(list), *tok, *save = NULL;

	if (!copy) {
		perror("mailbox-bench");
		exit(1);
	}
	nsweep = 0;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (nsweep == MAX_SIZES) {
			fprintf(stderr, "mailbox-bench: --sizes: at most %d sizes\n",
				MAX_SIZES);
			exit(2);
		}
		sweep_sizes[nsweep++] = parse_size(tok, "--sizes");
	}
	free(copy);
	if (!nsweep) {
		fprintf(stderr, "mailbox-bench: --sizes: no size given\n");
		exit(2);
	}
}

static int find_mech(const char *name)
{
	int i;

	for (i = 0; i < bench_nmechs; i++)
		if (!strcmp(name, bench_mechs[i]->name))
			return i;
	return -1;
}

static int find_case(const char *name)
{
	int c;

	for (c = 0; c < NCASES; c++)
		if (!strcmp(name, cases[c].name))
			return c;
	return -1;
}

/* A comma-separated list of names into @want; exits on an unknown one. */
static void pick(const char *list, const char *what, int (*find)(const char *),
		 bool *want)
{
	char *copy = strdup(list), *tok, *save = NULL;
	int k;

	if (!copy) {
		perror("mailbox-bench");
		exit(1);
	}
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		k = find(tok);
		if (k < 0) {
			fprintf(stderr, "mailbox-bench: no %s '%s'\n", what, tok);
			usage(stderr);
			exit(2);
		}
		want[k] = true;
	}
	free(copy);
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "case", required_argument, NULL, 'c' },
		{ "mech", required_argument, NULL, 'm' },
		{ "sweep-mech", required_argument, NULL, 'M' },
		{ "baseline", required_argument, NULL, 'b' },
		{ "baseline2", required_argument, NULL, 'x' },
		{ "iters", required_argument, NULL, 'n' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "depth", required_argument, NULL, 'd' },
		{ "size", required_argument, NULL, 's' },
		{ "sizes", required_argument, NULL, 'S' },
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
	static struct table tables[NCASES + MAX_SIZES];
	bool want_case[NCASES] = { false }, want_mech[MAX_MECHS] = { false };
	bool sweep_mech[MAX_MECHS] = { false };
	bool any_case, any_mech, any_sweep = false, failed = false;
	int o, c, i, ntables = 0;

	if (bench_nmechs > MAX_MECHS) {
		fprintf(stderr, "mailbox-bench: more than %d mechanisms\n",
			MAX_MECHS);
		return 2;
	}
	while ((o = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (o) {
		case 'a':
			break;
		case 'c':
			pick(optarg, "case", find_case, want_case);
			break;
		case 'm':
			pick(optarg, "mechanism", find_mech, want_mech);
			break;
		case 'M':
			pick(optarg, "mechanism", find_mech, sweep_mech);
			break;
		case 'b':
			if (find_mech(optarg) < 0) {
				fprintf(stderr, "mailbox-bench: no mechanism '%s'\n",
					optarg);
				usage(stderr);
				return 2;
			}
			opt.baseline = optarg;
			break;
		case 'x':
			if (find_mech(optarg) < 0) {
				fprintf(stderr, "mailbox-bench: no mechanism '%s'\n",
					optarg);
				usage(stderr);
				return 2;
			}
			opt.baseline2 = optarg;
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
		case 's':
			opt.size = parse_size(optarg, "--size");
			break;
		case 'S':
			parse_sizes(optarg);
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
	any_case = any_mech = false;
	for (c = 0; c < NCASES; c++)
		any_case |= want_case[c];
	for (i = 0; i < bench_nmechs; i++)
		any_mech |= want_mech[i];
	for (c = 0; c < NCASES; c++)
		want_case[c] |= !any_case;
	for (i = 0; i < bench_nmechs; i++)
		want_mech[i] |= !any_mech;
	for (i = 0; i < bench_nmechs; i++)
		any_sweep |= sweep_mech[i];
	if (!any_sweep)
		pick(sweep_default, "mechanism", find_mech, sweep_mech);
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
		if (cases[c].sweep) {
			failed |= run_sweep(&cases[c], sweep_mech,
					    &tables[ntables]);
			ntables += nsweep;
			continue;
		}
		failed |= run_case(&cases[c], want_mech, &tables[ntables]);
		if (!opt.json)
			print_case(cases[c].desc, cases[c].solo,
				   tables[ntables].o, want_mech);
		ntables++;
	}
	if (opt.json)
		print_json(tables, ntables);
	return failed ? 1 : 0;
}
