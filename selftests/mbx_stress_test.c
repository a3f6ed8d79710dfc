// SPDX-License-Identifier: GPL-2.0
/*
 * Stress: 32 processes on 4 mailboxes for MBX_STRESS_SECONDS (10 by
 * default; `make stress` runs 600).  On each mailbox 4 callers keep calls
 * in flight and 4 callees serve them, each in its own way of waiting
 * (blocking, timed, poll, epoll with EPOLLEXCLUSIVE, two threads of one
 * session collecting their own calls by id, submit-and-collect and
 * take-and-complete in one system call).  Every call is counted by its id, at submission, at completion
 * and at collection: each must be counted exactly once.  Each reply is
 * checked against its call, byte for byte.  At the end every slot is
 * free, the counters agree, and the memory is back: the mailboxes are gone
 * from /proc/driver/mailbox, live_boxes is back to its start, the memory
 * cgroup the test ran in is back to its start (when there is one), and
 * destroying the mailboxes raises free memory (/proc/meminfo and the
 * per-CPU lists of /proc/zoneinfo) by what they held.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/mbx.h>

#include "kselftest_harness.h"
#include "mbx_helpers.h"

#define CGROOT		"/sys/fs/cgroup"

#define NBOXES		4
#define NCALLERS	4		/* per mailbox */
#define NCALLEES	4		/* per mailbox */
#define NSLOTS		64
#define SLOT_SIZE	(16 << 10)	/* 2 MiB per mailbox, both planes */
#define INFLIGHT	4		/* calls a caller keeps in flight */
#define MAX_IDS		(1U << 24)	/* call ids counted per mailbox */

#define CALL_MAGIC	0x43414c4cU
#define REPLY_MAGIC	0x5245504cU

#define NSEC		1000000000ULL
/* How long the last calls may take to drain once the time is up. */
#define DRAIN_NS	(120 * NSEC)
/* Slack of a memory cgroup's counter: charged pages cached per CPU. */
#define MEMCG_SLACK	(1 << 20)
#define BOX_BYTES	(2UL * NSLOTS * SLOT_SIZE)
/* Free memory moves by this much without us, between two readings. */
#define FREE_SLACK	(1UL << 20)

/* The head of a call plane and of a reply plane. */
struct msg {
	__u32 magic;
	__u32 who;		/* box << 16 | caller << 8 | thread */
	__u64 seq;
	__u32 len;
	__u32 pad;
};

/* Shared by all the processes of the test. */
struct shared {
	volatile int stop_callees;	/* set once every caller is done */
	/*
	 * The run's end, set once every worker is spawned: on a slow kernel
	 * spawning 32 processes takes seconds, and a clock started before
	 * it left the last mailbox's callers no time at all.
	 */
	__u64 end;
	int failed;
	char why[256];
	__u64 calls[NBOXES];
	/* per mailbox, per call id: submitted, completed, collected */
	unsigned char (*count)[3][MAX_IDS];
};

static struct shared *sh;

/* Record the first failure of any process; the parent reports it. */
static void fail(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	va_list ap;

	if (__atomic_fetch_add(&sh->failed, 1, __ATOMIC_SEQ_CST))
		return;
	va_start(ap, fmt);
	vsnprintf(sh->why, sizeof(sh->why), fmt, ap);
	va_end(ap);
}

static unsigned long file_ulong(const char *path, const char *key)
{
	char buf[8192], *p;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1UL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1UL;
	buf[n] = '\0';
	if (!key)
		return strtoul(buf, NULL, 0);
	p = strstr(buf, key);
	return p ? strtoul(p + strlen(key), NULL, 0) : -1UL;
}

/* The payload byte @i of call (who, seq), and of its reply. */
static unsigned char pattern(__u32 who, __u64 seq, __u32 i)
{
	return (who * 31 + seq * 7 + i) & 0xff;
}

/* One mailbox as a worker sees it. */
struct box {
	int fd;
	unsigned int index;
	unsigned char *map;
	__u64 reply_off;
	size_t map_size;
};

static int box_attach(struct box *b, int dev, const char *name,
		      unsigned int index)
{
	struct mbx_info_args info = { .size = sizeof(info) };

	b->index = index;
	b->fd = mbx_open(dev, name, MBX_ACCESS_READ | MBX_ACCESS_WRITE);
	if (b->fd < 0 || ioctl(b->fd, MBX_IOC_BOX_INFO, &info))
		return -1;
	b->reply_off = info.out_reply_off;
	b->map_size = info.out_map_size;
	b->map = mmap(NULL, b->map_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      b->fd, 0);
	return b->map == MAP_FAILED ? -1 : 0;
}

static unsigned char *box_call_plane(struct box *b, __u32 slot)
{
	return b->map + (size_t)slot * SLOT_SIZE;
}

static unsigned char *box_reply_plane(struct box *b, __u32 slot)
{
	return b->map + b->reply_off + (size_t)slot * SLOT_SIZE;
}

static void count(struct box *b, __u64 id, int what)
{
	unsigned char n;

	if (!id || id >= MAX_IDS) {
		fail("box %u: call id %llu out of the table", b->index,
		     (unsigned long long)id);
		return;
	}
	n = __atomic_add_fetch(&sh->count[b->index][what][id], 1,
			       __ATOMIC_RELAXED);
	if (n != 1)
		fail("box %u: call %llu counted %u times at step %d",
		     b->index, (unsigned long long)id, n, what);
}

/* Callers */

enum { COLLECT_ANY, COLLECT_POLL, COLLECT_BY_ID, COLLECT_EPOLL };

struct caller {
	struct box *box;
	__u32 who;
	int mode;
	int epfd;
	__u64 end;		/* CLOCK_MONOTONIC ns: no new call after it */
	unsigned int inflight;
	__u64 seq;
	struct {
		__u32 slot;
		__u64 id;
		__u64 seq;
		__u32 len;
	} calls[INFLIGHT];
};

/* Write the next call of @c into the slot of @s, which it owns. */
static void caller_write(struct caller *c, struct mbx_submit_args *s)
{
	unsigned char *p = box_call_plane(c->box, s->slot);
	struct msg *m = (struct msg *)p;
	__u64 seq = ++c->seq;
	__u32 len = sizeof(*m) + (seq * 997) % (SLOT_SIZE - sizeof(*m));
	__u32 i;

	m->magic = CALL_MAGIC;
	m->who = c->who;
	m->seq = seq;
	m->len = len;
	for (i = sizeof(*m); i < len; i++)
		p[i] = pattern(c->who, seq, i);
	s->opcode = 1;
	s->len = len;
	s->user_data = (__u64)c->who << 32 | (__u32)seq;
}

/* The call in @s was submitted: count it, remember it. */
static int caller_sent(struct caller *c, const struct mbx_submit_args *s)
{
	if (c->inflight == INFLIGHT) {
		fail("caller %x: more calls in flight than it makes", c->who);
		return -1;
	}
	count(c->box, s->out_call_id, 0);
	c->calls[c->inflight].slot = s->slot;
	c->calls[c->inflight].id = s->out_call_id;
	c->calls[c->inflight].seq = c->seq;
	c->calls[c->inflight].len = s->len;
	c->inflight++;
	__atomic_add_fetch(&sh->calls[c->box->index], 1, __ATOMIC_RELAXED);
	return 0;
}

/* Write the next call of @c into @slot, which it owns, and submit it. */
static int caller_submit(struct caller *c, __u32 slot)
{
	struct mbx_submit_args s = { .size = sizeof(s), .slot = slot };

	caller_write(c, &s);
	/* The payload is written before the submit, which publishes it. */
	if (ioctl(c->box->fd, MBX_IOC_CALL_SUBMIT, &s)) {
		fail("caller %x: submit: %s", c->who, strerror(errno));
		return -1;
	}
	return caller_sent(c, &s);
}

/* Check the reply to one of c's calls and forget the call. */
static int caller_check(struct caller *c, const struct mbx_call *r)
{
	unsigned char *p = box_reply_plane(c->box, r->slot);
	struct msg *m = (struct msg *)p;
	unsigned int k;
	__u32 i;

	for (k = 0; k < c->inflight; k++)
		if (c->calls[k].id == r->call_id)
			break;
	if (k == c->inflight) {
		fail("caller %x: reply to call %llu, not one of its own",
		     c->who, (unsigned long long)r->call_id);
		return -1;
	}
	if (r->slot != c->calls[k].slot || r->status ||
	    r->len != c->calls[k].len || r->opcode != 1 ||
	    r->user_data != ((__u64)c->who << 32 | (__u32)c->calls[k].seq) ||
	    m->magic != REPLY_MAGIC || m->who != c->who ||
	    m->seq != c->calls[k].seq || m->len != r->len) {
		fail("caller %x: call %llu: bad reply (slot %u status %d len %u magic %x)",
		     c->who, (unsigned long long)r->call_id, r->slot, r->status,
		     r->len, m->magic);
		return -1;
	}
	for (i = sizeof(*m); i < r->len; i++)
		if (p[i] != (pattern(c->who, m->seq, i) ^ 0xa5)) {
			fail("caller %x: call %llu: reply byte %u differs",
			     c->who, (unsigned long long)r->call_id, i);
			return -1;
		}
	count(c->box, r->call_id, 2);
	c->calls[k] = c->calls[--c->inflight];
	return 0;
}

/*
 * Collect one reply, waiting until @deadline in c's way.  Returns 0 and
 * the slot, now owned by c, in *@slot; 1 if nothing came; -1 on failure.
 */
static int caller_collect(struct caller *c, __u64 deadline, __u32 *slot)
{
	struct mbx_collect_args a = { .size = sizeof(a) };
	struct pollfd pfd = { .fd = c->box->fd, .events = POLLRDBAND };
	int ms = (deadline - mbx_now_ns()) / 1000000 + 1;
	struct epoll_event ev;

	switch (c->mode) {
	case COLLECT_ANY:
		a.flags = MBX_WAIT_TIMEOUT;
		a.timeout_ns = deadline;
		break;
	case COLLECT_BY_ID:
		a.flags = MBX_WAIT_TIMEOUT | MBX_COLLECT_CALL;
		a.timeout_ns = deadline;
		a.slot = c->calls[0].slot;
		a.call_id = c->calls[0].id;
		break;
	case COLLECT_POLL:
		if (poll(&pfd, 1, ms) < 0 && errno != EINTR) {
			fail("caller %x: poll: %s", c->who, strerror(errno));
			return -1;
		}
		a.flags = MBX_WAIT_NONBLOCK;
		break;
	case COLLECT_EPOLL:
		if (epoll_wait(c->epfd, &ev, 1, ms) < 0 && errno != EINTR) {
			fail("caller %x: epoll_wait: %s", c->who,
			     strerror(errno));
			return -1;
		}
		a.flags = MBX_WAIT_NONBLOCK;
		break;
	}
	if (ioctl(c->box->fd, MBX_IOC_CALL_COLLECT, &a)) {
		if (errno == EAGAIN || errno == ETIMEDOUT || errno == EINTR)
			return 1;
		fail("caller %x: collect: %s", c->who, strerror(errno));
		return -1;
	}
	*slot = a.out_call.slot;
	return caller_check(c, &a.out_call) ? -1 : 0;
}

static int caller_release(struct caller *c, __u32 slot)
{
	struct mbx_release_args r = { .size = sizeof(r), .slot = slot };

	if (ioctl(c->box->fd, MBX_IOC_SLOT_RELEASE, &r)) {
		fail("caller %x: release: %s", c->who, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Submit the next call in @slot and, in the same system call, collect a
 * reply to any of c's calls (MBX_SUBMIT_COLLECT).  Returns 0 and the slot
 * of that reply, now c's, in *@slot; 1 if none came (the call is still
 * submitted); -1 on failure.
 */
static int caller_submit_collect(struct caller *c, __u64 deadline,
				 __u32 *slot)
{
	struct mbx_submit_args s = {
		.size = sizeof(s),
		.flags = MBX_SUBMIT_COLLECT | MBX_WAIT_TIMEOUT,
		.slot = *slot,
		.timeout_ns = deadline,
	};
	int ret;

	caller_write(c, &s);
	ret = ioctl(c->box->fd, MBX_IOC_CALL_SUBMIT, &s);
	if (ret && errno != ETIMEDOUT && errno != EINTR) {
		fail("caller %x: submit and collect: %s", c->who,
		     strerror(errno));
		return -1;
	}
	/* The call went out whether or not a reply came back. */
	if (caller_sent(c, &s))
		return -1;
	if (ret)
		return 1;
	*slot = s.out_reply.slot;
	return caller_check(c, &s.out_reply) ? -1 : 0;
}

static void caller_run(struct caller *c)
{
	struct epoll_event ev = { .events = EPOLLRDBAND };
	struct mbx_acquire_args a;
	__u64 end = c->end;
	int held = 0, ret;
	__u32 slot = 0;

	if (c->mode == COLLECT_EPOLL) {
		c->epfd = epoll_create1(EPOLL_CLOEXEC);
		if (c->epfd < 0 ||
		    epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->box->fd, &ev)) {
			fail("caller %x: epoll: %s", c->who, strerror(errno));
			return;
		}
	}
	while (!sh->failed && mbx_now_ns() < end) {
		if (held) {
			/* A slot collected: the next call goes in it, or not. */
			held = 0;
			if (!(c->seq & 1)) {
				if (caller_release(c, slot))
					return;
			} else if (c->mode == COLLECT_ANY) {
				ret = caller_submit_collect(c, mbx_now_ns() + NSEC / 10,
							    &slot);
				if (ret < 0)
					return;
				held = !ret;
			} else if (caller_submit(c, slot)) {
				return;
			}
			continue;
		}
		if (c->inflight < INFLIGHT) {
			memset(&a, 0, sizeof(a));
			a.size = sizeof(a);
			a.flags = MBX_ACQUIRE_ANY | MBX_WAIT_TIMEOUT;
			a.timeout_ns = mbx_now_ns() + NSEC / 10;
			if (!ioctl(c->box->fd, MBX_IOC_SLOT_ACQUIRE, &a)) {
				if (caller_submit(c, a.out_slot))
					return;
			} else if (errno != ETIMEDOUT) {
				fail("caller %x: acquire: %s", c->who,
				     strerror(errno));
				return;
			}
			continue;
		}
		ret = caller_collect(c, mbx_now_ns() + NSEC / 10, &slot);
		if (ret < 0)
			return;
		held = !ret;
	}
	if (held && caller_release(c, slot))
		return;
	/* Time is up: collect what is still in flight, free the slots. */
	while (!sh->failed && c->inflight) {
		if (mbx_now_ns() > end + DRAIN_NS) {
			fail("caller %x: %u calls unanswered %llu s after the end",
			     c->who, c->inflight,
			     (unsigned long long)(DRAIN_NS / NSEC));
			return;
		}
		ret = caller_collect(c, mbx_now_ns() + NSEC / 10, &slot);
		if (ret < 0 || (!ret && caller_release(c, slot)))
			return;
	}
}

static void *caller_thread(void *arg)
{
	caller_run(arg);
	return NULL;
}

/*
 * A caller process.  Those that collect by call id are two threads of one
 * session, each waiting for its own calls.
 */
static void caller_main(struct box *b, unsigned int idx)
{
	struct caller c[2];
	pthread_t th;
	__u64 end;
	int i;

	while (!(end = __atomic_load_n(&sh->end, __ATOMIC_ACQUIRE)) &&
	       !sh->failed)
		usleep(1000);
	memset(c, 0, sizeof(c));
	for (i = 0; i < 2; i++) {
		c[i].box = b;
		c[i].who = b->index << 16 | idx << 8 | i;
		c[i].mode = idx % 4;
		c[i].epfd = -1;
		c[i].end = end;
	}
	if (c[0].mode != COLLECT_BY_ID) {
		caller_run(&c[0]);
		return;
	}
	if (pthread_create(&th, NULL, caller_thread, &c[1])) {
		fail("caller %x: pthread_create failed", c[1].who);
		return;
	}
	caller_run(&c[0]);
	pthread_join(th, NULL);
}

/* Callees */

enum { SERVE_BLOCK, SERVE_CHAIN, SERVE_POLL, SERVE_EPOLL };

/* Check the call in @call, write its reply; returns its length or -1. */
static int serve(struct box *b, const struct mbx_call *call)
{
	unsigned char *p = box_call_plane(b, call->slot);
	unsigned char *r = box_reply_plane(b, call->slot);
	struct msg m = *(struct msg *)p;
	__u32 i;

	if (call->opcode != 1 || call->status || call->flags ||
	    call->delivery != 1 || call->len < sizeof(m) ||
	    call->len > SLOT_SIZE || m.magic != CALL_MAGIC ||
	    m.len != call->len ||
	    call->user_data != ((__u64)m.who << 32 | (__u32)m.seq)) {
		fail("box %u: call %llu: bad call (slot %u len %u flags %x delivery %u magic %x)",
		     b->index, (unsigned long long)call->call_id, call->slot,
		     call->len, call->flags, call->delivery, m.magic);
		return -1;
	}
	for (i = sizeof(m); i < call->len; i++) {
		if (p[i] != pattern(m.who, m.seq, i)) {
			fail("box %u: call %llu: call byte %u differs",
			     b->index, (unsigned long long)call->call_id, i);
			return -1;
		}
		r[i] = p[i] ^ 0xa5;
	}
	m.magic = REPLY_MAGIC;
	memcpy(r, &m, sizeof(m));
	count(b, call->call_id, 1);
	return call->len;
}

static int complete(struct box *b, const struct mbx_call *call, __u32 len)
{
	struct mbx_complete_args c = {
		.size = sizeof(c),
		.call_id = call->call_id,
		.slot = call->slot,
		.len = len,
	};

	if (ioctl(b->fd, MBX_IOC_CALL_COMPLETE, &c)) {
		fail("box %u: complete %llu: %s", b->index,
		     (unsigned long long)call->call_id, strerror(errno));
		return -1;
	}
	return 0;
}

static void callee_main(struct box *b, unsigned int idx)
{
	int mode = idx % 4, epfd = -1, len;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE };
	struct pollfd pfd = { .fd = b->fd, .events = POLLIN };
	struct mbx_take_args t;

	if (mode == SERVE_EPOLL) {
		epfd = epoll_create1(EPOLL_CLOEXEC);
		if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, b->fd, &ev)) {
			fail("callee: epoll: %s", strerror(errno));
			return;
		}
	}
	memset(&t, 0, sizeof(t));
	while (!sh->failed) {
		/* A successful take says whether it answered done_*. */
		__u32 want = t.done_call_id ? MBX_TAKEN_DONE : 0;

		t.size = sizeof(t);
		switch (mode) {
		case SERVE_BLOCK:
		case SERVE_CHAIN:
			t.flags = MBX_WAIT_TIMEOUT;
			t.timeout_ns = mbx_now_ns() + NSEC / 10;
			break;
		case SERVE_POLL:
			if (poll(&pfd, 1, 100) < 0 && errno != EINTR)
				fail("callee: poll: %s", strerror(errno));
			t.flags = MBX_WAIT_NONBLOCK;
			t.timeout_ns = 0;
			break;
		case SERVE_EPOLL:
			if (epoll_wait(epfd, &ev, 1, 100) < 0 && errno != EINTR)
				fail("callee: epoll_wait: %s", strerror(errno));
			t.flags = MBX_WAIT_NONBLOCK;
			t.timeout_ns = 0;
			break;
		}
		/*
		 * Chaining callees always ask to complete done_call_id: the
		 * previous call, or 0 once the kernel completed it.
		 */
		if (mode == SERVE_CHAIN || mode == SERVE_EPOLL)
			t.flags |= MBX_TAKE_COMPLETE;
		if (ioctl(b->fd, MBX_IOC_CALL_TAKE, &t)) {
			if (errno != EAGAIN && errno != ETIMEDOUT &&
			    errno != EINTR) {
				fail("box %u: take: %s", b->index,
				     strerror(errno));
				break;
			}
			if (t.done_call_id) {
				fail("box %u: call %llu not completed by a failed take",
				     b->index,
				     (unsigned long long)t.done_call_id);
				break;
			}
			if (sh->stop_callees)
				break;
			continue;
		}
		if (t.done_call_id || t.out_flags != want) {
			fail("box %u: take left done_call_id %llu out_flags %x",
			     b->index, (unsigned long long)t.done_call_id,
			     t.out_flags);
			break;
		}
		len = serve(b, &t.out_call);
		if (len < 0)
			break;
		if (mode == SERVE_CHAIN || mode == SERVE_EPOLL) {
			t.done_call_id = t.out_call.call_id;
			t.done_slot = t.out_call.slot;
			t.done_len = len;
			t.done_status = 0;
		} else if (complete(b, &t.out_call, len)) {
			break;
		}
	}
	if (t.done_call_id) {
		struct mbx_call last = {
			.call_id = t.done_call_id,
			.slot = t.done_slot,
		};

		complete(b, &last, t.done_len);
	}
}

/* The test */

struct worker {
	pid_t pid;		/* 0 once reaped */
	int callee;
};

FIXTURE(stress) {
	pid_t pid;
	int dev;
	int fds[NBOXES];
	char names[NBOXES][MBX_NAME_MAX];
	char cg[128];
	struct worker w[NBOXES * (NCALLERS + NCALLEES)];
	unsigned int nworkers;
	size_t table_size;
};

FIXTURE_SETUP(stress)
{
	unsigned int i;

	self->pid = getpid();
	self->dev = -1;
	for (i = 0; i < NBOXES; i++) {
		self->fds[i] = -1;
		snprintf(self->names[i], MBX_NAME_MAX, "str.%d.%u", getpid(), i);
	}
	if (access(MBX_DEV, F_OK) && errno == ENOENT)
		SKIP(return, MBX_DEV " absent: mbx.ko not loaded");
	self->dev = open(MBX_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev);
}

static void kill_workers(FIXTURE_DATA(stress) *self)
{
	unsigned int i;

	for (i = 0; i < self->nworkers; i++) {
		if (!self->w[i].pid)
			continue;
		kill(self->w[i].pid, SIGKILL);
		waitpid(self->w[i].pid, NULL, 0);
		self->w[i].pid = 0;
	}
}

FIXTURE_TEARDOWN(stress)
{
	unsigned int i;

	if (getpid() != self->pid || self->dev < 0)
		return;
	kill_workers(self);
	for (i = 0; i < NBOXES; i++) {
		if (self->fds[i] >= 0)
			close(self->fds[i]);
		mbx_destroy(self->dev, self->names[i]);
	}
	close(self->dev);
	if (self->cg[0]) {
		char pid[32];

		snprintf(pid, sizeof(pid), "%d", getpid());
		file_write(CGROOT "/cgroup.procs", pid);
		rmdir(self->cg);
	}
}

/* The 6.1 harness runs a test whose setup skipped: stop it at once. */
#define SETUP_DONE() do { if (_metadata->skip) return; } while (0)

/*
 * Run the test in a memory cgroup of its own, mounting cgroup2 if need
 * be, so that what its mailboxes cost can be read back exactly.  Returns
 * 0, or -1 when there is none (the test then relies on MemFree alone).
 */
static int cgroup_enter(char *cg, size_t len)
{
	char buf[512], pid[32];
	ssize_t n;
	int fd;

	if (access(CGROOT "/cgroup.controllers", F_OK) &&
	    mount("none", CGROOT, "cgroup2", 0, NULL))
		return -1;
	fd = open(CGROOT "/cgroup.subtree_control", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	if (!strstr(buf, "memory") &&
	    file_write(CGROOT "/cgroup.subtree_control", "+memory"))
		return -1;
	snprintf(cg, len, CGROOT "/mbx-stress.%d", getpid());
	if (mkdir(cg, 0755)) {
		cg[0] = '\0';
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s/cgroup.procs", cg);
	snprintf(pid, sizeof(pid), "%d", getpid());
	if (file_write(buf, pid)) {
		rmdir(cg);
		cg[0] = '\0';
		return -1;
	}
	return 0;
}

static unsigned long memcg_current(const char *cg)
{
	char path[192];

	snprintf(path, sizeof(path), "%s/memory.current", cg);
	return file_ulong(path, NULL);
}

/*
 * Free memory in bytes: MemFree, once the per-CPU counter deltas are
 * folded in, plus the pages on the per-CPU free lists, which MemFree does
 * not count (/proc/zoneinfo, "count:" of each pageset).
 */
static unsigned long memfree(void)
{
	static char buf[1 << 16];
	unsigned long pcp = 0;
	ssize_t n, len = 0;
	char *p;
	int fd;

	file_write("/proc/sys/vm/stat_refresh", "1");
	fd = open("/proc/zoneinfo", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		while (len < (ssize_t)sizeof(buf) - 1 &&
		       (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
			len += n;
		close(fd);
	}
	buf[len] = '\0';
	for (p = buf; (p = strstr(p, "count:")); p += 6)
		pcp += strtoul(p + 6, NULL, 10);
	return (file_ulong("/proc/meminfo", "MemFree:") << 10) +
	       pcp * getpagesize();
}

/* Does /proc/driver/mailbox show a mailbox whose name starts with @prefix? */
static int proc_shows(const char *prefix)
{
	char key[96];

	snprintf(key, sizeof(key), "name=%s", prefix);
	return mbx_proc_contains(key);
}

/* Log where each live worker sleeps, for a test that stopped moving. */
static void dump_workers(struct __test_metadata *_metadata,
			 FIXTURE_DATA(stress) *self)
{
	char path[64], buf[2048];
	unsigned int i;
	ssize_t n;
	int fd;

	for (i = 0; i < self->nworkers; i++) {
		if (!self->w[i].pid)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stack", self->w[i].pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		TH_LOG("%s %d:\n%s", self->w[i].callee ? "callee" : "caller",
		       self->w[i].pid, buf);
	}
}

static void stress_spawn(struct __test_metadata *_metadata,
			 FIXTURE_DATA(stress) *self, unsigned int box, int callee,
			 unsigned int idx)
{
	struct box b;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid) {
		self->w[self->nworkers].pid = pid;
		self->w[self->nworkers].callee = callee;
		self->nworkers++;
		return;
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (box_attach(&b, self->dev, self->names[box], box)) {
		fail("attach to %s: %s", self->names[box], strerror(errno));
		_exit(1);
	}
	if (callee)
		callee_main(&b, idx);
	else
		caller_main(&b, idx);
	_exit(sh->failed ? 1 : 0);
}

/* Reap one worker; returns 1 if it was a caller. */
static int stress_reap(FIXTURE_DATA(stress) *self, pid_t pid, int status)
{
	unsigned int i;

	for (i = 0; i < self->nworkers; i++) {
		if (self->w[i].pid != pid)
			continue;
		self->w[i].pid = 0;
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			fail("%s %d ended with status 0x%x",
			     self->w[i].callee ? "callee" : "caller", pid,
			     status);
		return !self->w[i].callee;
	}
	return 0;
}

static __u64 calls_made(void)
{
	__u64 total = 0;
	unsigned int b;

	for (b = 0; b < NBOXES; b++)
		total += __atomic_load_n(&sh->calls[b], __ATOMIC_RELAXED);
	return total;
}

static unsigned int stress_seconds(void)
{
	const char *s = getenv("MBX_STRESS_SECONDS");

	return s && *s ? strtoul(s, NULL, 0) : 10;
}

/* Long enough for `make stress` (600 s) and the drain and checks after. */
TEST_F_TIMEOUT(stress, every_call_answered_once, 3600)
{
	unsigned long live0, cg0 = 0, cg1, free0, free1, free2, peak;
	unsigned int seconds = stress_seconds(), i, b, callers;
	__u64 end, last, last_ns, id, n;
	struct mbx_stats_args st;
	pid_t pid;
	int status;

	SETUP_DONE();
	if (cgroup_enter(self->cg, sizeof(self->cg)))
		TH_LOG("no memory cgroup: MemFree alone tells the memory is back");
	live0 = file_ulong("/sys/module/mbx/parameters/live_boxes", NULL);
	ASSERT_NE(-1UL, live0);

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	self->table_size = sizeof(*sh->count) * NBOXES;
	sh->count = mmap(NULL, self->table_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, sh->count);
	if (self->cg[0])
		cg0 = memcg_current(self->cg);
	free0 = memfree();

	for (b = 0; b < NBOXES; b++) {
		self->fds[b] = mbx_create(self->dev, self->names[b], NSLOTS,
					  SLOT_SIZE, 0600);
		ASSERT_LE(0, self->fds[b]);
	}
	peak = memfree();

	TH_LOG("%u processes on %u mailboxes for %u s",
	       NBOXES * (NCALLERS + NCALLEES), NBOXES, seconds);
	for (b = 0; b < NBOXES; b++) {
		for (i = 0; i < NCALLEES; i++)
			stress_spawn(_metadata, self, b, 1, i);
		for (i = 0; i < NCALLERS; i++)
			stress_spawn(_metadata, self, b, 0, i);
	}
	/* Every worker is there: the callers' clock starts now. */
	end = mbx_now_ns() + seconds * NSEC;
	__atomic_store_n(&sh->end, end, __ATOMIC_RELEASE);

	/*
	 * Wait for the callers, which stop at the end and drain; fail if no
	 * call is made for a minute before the end, or if they outlive the
	 * drain.
	 */
	callers = NBOXES * NCALLERS;
	last = 0;
	last_ns = mbx_now_ns();
	while (callers && !sh->failed) {
		pid = waitpid(-1, &status, WNOHANG);
		if (pid > 0) {
			callers -= stress_reap(self, pid, status);
			continue;
		}
		if (calls_made() != last) {
			last = calls_made();
			last_ns = mbx_now_ns();
		} else if (mbx_now_ns() < end && mbx_now_ns() - last_ns > 60 * NSEC) {
			dump_workers(_metadata, self);
			fail("no call made for 60 s");
		}
		if (mbx_now_ns() > end + DRAIN_NS + 30 * NSEC) {
			dump_workers(_metadata, self);
			fail("the callers did not finish");
		}
		usleep(100000);
	}
	sh->stop_callees = 1;
	for (i = 0; i < self->nworkers && !sh->failed; i++) {
		if (!self->w[i].pid)
			continue;
		pid = waitpid(self->w[i].pid, &status, 0);
		ASSERT_EQ(self->w[i].pid, pid);
		stress_reap(self, pid, status);
	}
	kill_workers(self);
	ASSERT_EQ(0, sh->failed) {
		TH_LOG("%s", sh->why);
	}

	/* Every call counted once at each step; the kernel agrees. */
	for (b = 0; b < NBOXES; b++) {
		memset(&st, 0, sizeof(st));
		st.size = sizeof(st);
		ASSERT_EQ(0, ioctl(self->fds[b], MBX_IOC_BOX_STATS, &st));
		n = st.out_submitted;
		TH_LOG("%s: %llu calls", self->names[b], (unsigned long long)n);
		EXPECT_LT(0, n);
		EXPECT_EQ(n, sh->calls[b]);
		EXPECT_EQ(n, st.out_taken);
		EXPECT_EQ(n, st.out_completed);
		EXPECT_EQ(0, st.out_cancelled);
		EXPECT_EQ(0, st.out_redelivered);
		EXPECT_EQ(0, st.out_owner_died);
		EXPECT_EQ(0, st.out_reclaimed);
		EXPECT_EQ(NSLOTS, st.out_free);
		EXPECT_EQ(1, st.out_sessions);
		ASSERT_GT(MAX_IDS, n);
		for (id = 1; id <= n + 1; id++) {
			unsigned char want = id <= n;

			if (sh->count[b][0][id] != want ||
			    sh->count[b][1][id] != want ||
			    sh->count[b][2][id] != want) {
				TH_LOG("%s: call %llu: submitted %u, completed %u, collected %u times",
				       self->names[b], (unsigned long long)id,
				       sh->count[b][0][id], sh->count[b][1][id],
				       sh->count[b][2][id]);
				_metadata->passed = 0;
				break;
			}
		}
	}

	/*
	 * All gone, and the memory back.  Free memory over the whole run
	 * moves with what 32 processes leave in the kernel's caches; around
	 * the destruction alone it moves by what the mailboxes held.
	 */
	ASSERT_EQ(0, munmap(sh->count, self->table_size));
	free1 = memfree();
	for (b = 0; b < NBOXES; b++) {
		ASSERT_EQ(0, close(self->fds[b]));
		self->fds[b] = -1;
		ASSERT_EQ(0, mbx_destroy(self->dev, self->names[b]));
	}
	free2 = memfree();
	TH_LOG("free: %lu KiB at the start, %lu KiB with the mailboxes, %lu KiB before and %lu KiB after they went",
	       free0 >> 10, peak >> 10, free1 >> 10, free2 >> 10);
	EXPECT_LE(free1 + NBOXES * BOX_BYTES - FREE_SLACK, free2);
	/*
	 * What the processes left in caches is less than half a mailbox,
	 * except on the debug kernel (recognised by kmemleak), where KASAN
	 * holds freed objects in quarantine: there the memory cgroup and
	 * live_boxes below are the evidence.
	 */
	if (access("/sys/kernel/debug/kmemleak", F_OK))
		EXPECT_LE(free0, free2 + BOX_BYTES / 2);
	EXPECT_EQ(live0, file_ulong("/sys/module/mbx/parameters/live_boxes",
				    NULL));
	EXPECT_EQ(0, proc_shows(self->names[0]));
	if (self->cg[0]) {
		cg1 = memcg_current(self->cg);
		TH_LOG("memory.current: %lu KiB before, %lu KiB after",
		       cg0 >> 10, cg1 >> 10);
		EXPECT_GT(cg0 + MEMCG_SLACK, cg1);
	}
}

TEST_HARNESS_MAIN
