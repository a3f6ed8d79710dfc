// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz: a budget of operations (MBX_FUZZ_OPS, 20000 by default), counted
 * not timed, spread over worker processes (MBX_FUZZ_WORKERS, 6) that run
 * as root and as uid 1000 and issue random and malformed requests: every
 * ioctl with fields mostly plausible and sometimes not, wrong sizes,
 * unknown flags, non-zero reserved fields, pointers that are NULL,
 * unmapped, in the kernel, read-only or straddling a hole; random command
 * numbers in and out of the mailbox range; mmap, mprotect, mremap, munmap
 * and madvise with random offsets, sizes and protections; poll; fork, so
 * that sessions are shared between processes; create, open, destroy and
 * close of a few names, so that mailboxes die under their users.  The
 * supervisor meanwhile destroys mailboxes, interrupts waits with signals
 * and kills workers, then starts new ones.
 *
 * The budget is cut in rounds.  After each round every process of the
 * round is dead, so every session is closed, and the mailboxes that are
 * left must be consistent: every slot FREE, PENDING or REPLIED, none held
 * by anybody, the census of SLOT_INFO equal to that of BOX_STATS, every
 * submitted call answered or still pending.  Every other round they are
 * drained: every pending call is taken exactly once, every answer
 * collected, every slot acquired once, and then nothing is left.  The
 * kernel log must stay clean (read from /dev/kmsg after each round), and
 * the module must still answer at the end.
 *
 * At the end the mailboxes are destroyed, and live_boxes must be back to
 * what it was before the test.
 *
 * The random seed is printed; MBX_FUZZ_SEED=<seed> replays the operations each
 * worker draws.  What they meet cannot be replayed: the interleaving of
 * the processes, the timeouts and the supervisor's timing differ from run
 * to run (MBX_FUZZ_WORKERS=1 and MBX_FUZZ_KILLS=0, no kills and no waits
 * without a timeout, come closest).  The module's limits are lowered for
 * the run (and restored) so that they are hit often and memory stays
 * small.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/mbx.h>

#include "kselftest_harness.h"
#include "mbx_params.h"

#define MBX_DEV		"/dev/mailbox"

#define NNAMES		6	/* names the workers fight over */
#define MAXFD		10	/* mailbox fds a worker keeps */
#define MAXMAP		6	/* mappings a worker keeps */
#define NRECENT		256	/* calls remembered for all workers */
#define FORK_OPS	24	/* operations of a worker's child */
#define UID_OTHER	1000

#define NSEC		1000000000ULL
/* No operation for this long: interrupt everybody; twice: a hang. */
#define STALL_NS	(30 * NSEC)

/* The limits during the run: small, so that they are reached. */
static const struct {
	const char *name;
	unsigned long val;
} fuzz_limits[] = {
	{ "max_slots", 64 },
	{ "max_slot_size", 4096 },
	{ "max_box_bytes", 64 << 10 },
	{ "user_max_bytes", 1 << 20 },
	{ "user_max_boxes", 24 },
	/* max_boxes: what is live now, plus MORE_BOXES */
};
#define MORE_BOXES	40


/* Kernel log lines that fail the run, as the VM runner's list. */
static const char *const bad_log[] = {
	"BUG:", "WARNING:", "Oops", "Call Trace", "lockdep",
	"possible circular locking", "possible recursive locking",
	"blocked for more than", "KASAN", "kmemleak", "UBSAN",
	"general protection fault", "Kernel panic", "detected stall",
	"soft lockup", "hard LOCKUP",
};

enum op {
	OP_CREATE, OP_OPEN, OP_DESTROY, OP_LIST, OP_CLOSE, OP_DUP,
	OP_MMAP, OP_REMAP, OP_TOUCH,
	OP_API, OP_INFO, OP_SET, OP_STATS, OP_RECLAIM, OP_ACQUIRE,
	OP_RELEASE, OP_SLOT_INFO, OP_SUBMIT, OP_TAKE, OP_COMPLETE,
	OP_COLLECT, OP_CANCEL, OP_EVENTS,
	OP_RANDOM_IOCTL, OP_POLL, OP_FORK,
	OP_CALL, OP_SERVE, OP_REVISE,
	NOPS
};

static const char *const op_names[NOPS] = {
	"create", "open", "destroy", "list", "close", "dup",
	"mmap", "remap", "touch",
	"api", "info", "set", "stats", "reclaim", "acquire",
	"release", "slot_info", "submit", "take", "complete",
	"collect", "cancel", "events",
	"random_ioctl", "poll", "fork",
	"call", "serve", "revise",
};

/* Relative frequency of each operation. */
static const unsigned int op_weight[NOPS] = {
	[OP_CREATE] = 5, [OP_OPEN] = 7, [OP_DESTROY] = 2, [OP_LIST] = 2,
	[OP_CLOSE] = 3, [OP_DUP] = 1,
	[OP_MMAP] = 5, [OP_REMAP] = 3, [OP_TOUCH] = 3,
	[OP_API] = 1, [OP_INFO] = 1, [OP_SET] = 2, [OP_STATS] = 2,
	[OP_RECLAIM] = 1, [OP_ACQUIRE] = 8, [OP_RELEASE] = 4,
	[OP_SLOT_INFO] = 2, [OP_SUBMIT] = 8, [OP_TAKE] = 7,
	[OP_COMPLETE] = 6, [OP_COLLECT] = 6, [OP_CANCEL] = 3,
	[OP_EVENTS] = 2, [OP_RANDOM_IOCTL] = 5, [OP_POLL] = 2,
	[OP_FORK] = 1,
	/* well-formed sequences, to reach the deeper states often */
	[OP_CALL] = 8, [OP_SERVE] = 8, [OP_REVISE] = 3,
};

/* What all processes share. */
struct shared {
	__u64 ops;		/* operations issued so far */
	__u64 round_end;	/* workers stop when ops reaches it */
	struct {
		__u64 box_id;
		__u64 call_id;
		__u32 slot;
	} recent[NRECENT];	/* calls seen by anybody, racy on purpose */
	__u32 recent_head;
	int may_block;		/* waits without a timeout are allowed */
	__u64 done[NOPS][2];	/* [op][0]: failed, [op][1]: succeeded */
	__u64 errnos[256];	/* failed ioctls by errno */
};

static struct shared *sh;

/* splitmix64: small, good enough, and the same everywhere. */
static __u64 mix(__u64 *s)
{
	__u64 z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC + ts.tv_nsec;
}


static void set_name(__u8 dst[MBX_NAME_MAX], const char *name)
{
	memset(dst, 0, MBX_NAME_MAX);
	memcpy(dst, name, strnlen(name, MBX_NAME_MAX - 1));
}

/* Workers */

struct wbox {
	int fd;			/* -1: unused */
	__u64 box_id;
	__u32 access;
	__u32 nslots;
	__u32 slot_size;
	__u64 reply_off;
	__u64 map_size;
	/* what this fd did last: a slot it owns, a call it took */
	__u32 owned;
	__u32 taken_slot;
	__u64 taken_id;
	__u64 submitted_id;
	__u32 submitted_slot;
};

struct wmap {
	unsigned char *addr;	/* NULL: unused */
	size_t len;
	int prot;		/* 0 once unknown: not touched */
	__u64 box_id;		/* of the mailbox mapped */
	size_t off;		/* in its mapping */
};

struct worker {
	__u64 rng;
	int dev;
	long page;
	char names[NNAMES][MBX_NAME_MAX];
	struct wbox box[MAXFD];
	struct wmap map[MAXMAP];
	/*
	 * Pages: [0] read-write, for the argument structs; [1] read-only;
	 * [2] a hole; [3] read-write, for the arrays the kernel fills;
	 * [4] a hole, so that a count too large faults there.
	 */
	unsigned char *arena;
	int child;		/* a worker's forked child: no more forks */
	enum op op;		/* the operation under way */
	int back;		/* issue(): the struct holds the answer */
};

static sigjmp_buf touch_env;
static volatile sig_atomic_t touching;

static void on_fault(int sig)
{
	if (touching)
		siglongjmp(touch_env, sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void on_usr1(int sig)
{
	(void)sig;	/* only interrupts a wait */
}

static __u64 rnd(struct worker *w)
{
	return mix(&w->rng);
}

/* Uniform in [0, n), n > 0. */
static __u64 below(struct worker *w, __u64 n)
{
	return rnd(w) % n;
}

/* True with probability pct percent. */
static int chance(struct worker *w, unsigned int pct)
{
	return below(w, 100) < pct;
}

static struct wbox *pick_box(struct worker *w)
{
	unsigned int i, start = below(w, MAXFD);

	for (i = 0; i < MAXFD; i++) {
		struct wbox *b = &w->box[(start + i) % MAXFD];

		if (b->fd >= 0)
			return b;
	}
	return NULL;
}

static struct wbox *free_box(struct worker *w)
{
	unsigned int i;

	for (i = 0; i < MAXFD; i++)
		if (w->box[i].fd < 0)
			return &w->box[i];
	/* Full: close one at random. */
	i = below(w, MAXFD);
	close(w->box[i].fd);
	w->box[i].fd = -1;
	return &w->box[i];
}

/* Learn what a new fd is; keep it. */
static void adopt_fd(struct worker *w, int fd)
{
	struct mbx_info_args info = { .size = sizeof(info) };
	struct wbox *b;

	if (ioctl(fd, MBX_IOC_BOX_INFO, &info)) {
		close(fd);
		return;
	}
	b = free_box(w);
	memset(b, 0, sizeof(*b));
	b->fd = fd;
	b->box_id = info.out_box_id;
	b->access = info.out_access;
	b->nslots = info.out_nslots;
	b->slot_size = info.out_slot_size;
	b->reply_off = info.out_reply_off;
	b->map_size = info.out_map_size;
}

static void remember(struct wbox *b, __u32 slot, __u64 id)
{
	__u32 i = __atomic_fetch_add(&sh->recent_head, 1, __ATOMIC_RELAXED);

	i %= NRECENT;
	sh->recent[i].box_id = b->box_id;
	sh->recent[i].slot = slot;
	sh->recent[i].call_id = id;
}

/* A (slot, call id) to name: one this fd knows, one seen, or noise. */
static void pick_call(struct worker *w, struct wbox *b, __u32 *slot,
		      __u64 *id)
{
	unsigned int k = below(w, 10), i;

	if (k < 3 && b->taken_id) {
		*slot = b->taken_slot;
		*id = b->taken_id;
		return;
	}
	if (k < 6 && b->submitted_id) {
		*slot = b->submitted_slot;
		*id = b->submitted_id;
		return;
	}
	if (k < 9) {
		for (i = 0; i < 8; i++) {
			unsigned int j = below(w, NRECENT);

			if (sh->recent[j].box_id == b->box_id &&
			    sh->recent[j].call_id) {
				*slot = sh->recent[j].slot;
				*id = sh->recent[j].call_id;
				return;
			}
		}
	}
	*slot = below(w, b->nslots + 2);
	*id = chance(w, 50) ? below(w, 64) : rnd(w);
}

static __u32 pick_slot(struct worker *w, struct wbox *b)
{
	if (chance(w, 60))
		return b->owned;
	if (chance(w, 95))
		return below(w, b->nslots);
	return chance(w, 50) ? b->nslots : (__u32)rnd(w);
}

/* Flags: mostly the known ones, sometimes any bit. */
static __u32 pick_flags(struct worker *w, __u32 known)
{
	__u32 f = rnd(w) & known;

	if (chance(w, 5))
		f |= 1U << below(w, 32);
	return f;
}

/* Wait flags with a timeout near now, or nothing (rarely: a real wait). */
static void pick_wait(struct worker *w, __u32 *flags, __u64 *timeout)
{
	unsigned int k = below(w, 100);

	*timeout = 0;
	if (k < 50) {
		*flags |= MBX_WAIT_NONBLOCK;
	} else if (k < 95) {
		*flags |= MBX_WAIT_TIMEOUT;
		*timeout = now_ns() + below(w, 2000000);
		if (chance(w, 10))
			*timeout = below(w, 2) ? 0 : rnd(w);
	} else if (k < 97 || !sh->may_block) {
		*flags |= MBX_WAIT_NONBLOCK | MBX_WAIT_TIMEOUT;
	}
	/* else: block, until a call comes, a signal or SIGKILL */
}

/*
 * Issue @cmd on @fd with the struct @arg of @size bytes as userspace
 * would, mostly; sometimes with another size, a future field set, a bit
 * flipped, or at a bad address: NULL, a hole, the kernel, read-only
 * memory (read fine, never written back), or straddling into read-only
 * memory or a hole.  @ptr: the offset of the struct's user pointer, if
 * any (0: none), whose bits are never flipped: the kernel would write
 * where it then points, which could be this process's share of the test's
 * own bookkeeping.  Returns what ioctl() returned; w->back says whether
 * @arg now holds what the kernel wrote.
 */
static int issue(struct worker *w, int fd, unsigned long cmd, void *arg,
		 size_t size, size_t ptr)
{
	static const __u32 sizes[] = { 0, 1, 4, 7, 8, 12, 16, 24, 4096, 4097,
				       65536, 0xffffffff };
	static const unsigned long kernel[] = {
		0xffff888000000000UL, 0xffffffff81000000UL, -4096UL,
		0x7ffffffff000UL, 1,
	};
	unsigned char *rw = w->arena, *ro = w->arena + w->page;
	unsigned char *hole = w->arena + 2 * w->page, *where = rw;
	unsigned int k = below(w, 100);
	__u32 usize = size;
	size_t part;
	int ret;

	if (chance(w, 8)) {
		if (chance(w, 50))
			usize = sizes[below(w, sizeof(sizes) / sizeof(sizes[0]))];
		else if (chance(w, 50))
			usize = size - 8 * below(w, size / 8 + 1);
		else
			usize = size + 8 * below(w, 8);
	}
	*(__u32 *)arg = usize;
	memset(rw, 0, w->page);
	memcpy(rw, arg, size);
	if (usize > size && usize <= w->page && chance(w, 30))
		rw[size + below(w, usize - size)] = 1;	/* a future field */
	if (chance(w, 3) && size > 8) {
		size_t at = 8 + below(w, size - 8);

		if (!ptr || at < ptr || at >= ptr + sizeof(__u64))
			rw[at] ^= 1U << below(w, 8);
	}
	w->back = 0;

	if (k < 88) {
		if (chance(w, 10)) {
			/* elsewhere in the page, perhaps misaligned */
			where = rw + below(w, w->page - size + 1);
			memmove(where, rw, size);
		}
		w->back = 1;
	} else if (k < 90) {
		where = NULL;
	} else if (k < 92) {
		where = hole + below(w, w->page);
	} else if (k < 94) {
		where = (void *)kernel[below(w, sizeof(kernel) / sizeof(kernel[0]))];
	} else if (k < 96) {
		mprotect(ro, w->page, PROT_READ | PROT_WRITE);
		memcpy(ro, rw, size);
		mprotect(ro, w->page, PROT_READ);
		where = ro;
	} else if (k < 98) {
		/* the head at the end of rw, the tail in read-only memory */
		part = 1 + below(w, size);
		where = ro - part;
		memcpy(where, arg, part);
		mprotect(ro, w->page, PROT_READ | PROT_WRITE);
		memcpy(ro, (unsigned char *)arg + part, size - part);
		mprotect(ro, w->page, PROT_READ);
	} else {
		/* the head at the end of read-only memory, the tail in a hole */
		part = 1 + below(w, size);
		where = hole - part;
		mprotect(ro, w->page, PROT_READ | PROT_WRITE);
		memcpy(where, arg, part);
		mprotect(ro, w->page, PROT_READ);
	}
	ret = ioctl(fd, cmd, where);
	__atomic_add_fetch(&sh->done[w->op][ret >= 0], 1, __ATOMIC_RELAXED);
	if (ret < 0 && errno < 256)
		__atomic_add_fetch(&sh->errnos[errno], 1, __ATOMIC_RELAXED);
	if (w->back)
		memcpy(arg, where, size);
	return ret;
}

static void pick_name(struct worker *w, __u8 name[MBX_NAME_MAX])
{
	unsigned int k = below(w, 100);

	set_name(name, w->names[below(w, NNAMES)]);
	if (k < 3) {
		memset(name, 'x', MBX_NAME_MAX);	/* no terminator */
	} else if (k < 6) {
		name[below(w, 4)] = rnd(w);		/* any byte */
	} else if (k < 8) {
		name[MBX_NAME_MAX - 1] = 'y';		/* junk after NUL */
	} else if (k < 9) {
		memset(name, 0, MBX_NAME_MAX);		/* empty */
	}
}

static void op_close(struct worker *w)
{
	struct wbox *b = pick_box(w);

	if (!b)
		return;
	close(b->fd);
	b->fd = -1;
}

static void op_create(struct worker *w)
{
	struct mbx_create_args a = { .size = sizeof(a) };
	int fd;

	pick_name(w, a.name);
	a.flags = pick_flags(w, MBX_CREATE_CLOEXEC);
	a.nslots = chance(w, 85) ? 1 + below(w, 16) : below(w, 2) ? below(w, 200) : rnd(w);
	a.slot_size = chance(w, 85) ? MBX_SLOT_ALIGN * (1 + below(w, 8)) :
		      below(w, 2) ? MBX_SLOT_ALIGN * below(w, 128) : rnd(w);
	a.mode = chance(w, 80) ? 0666 : chance(w, 80) ? rnd(w) & 0666 : rnd(w);
	a.__reserved = chance(w, 95) ? 0 : rnd(w);
	a.reclaim_ns = chance(w, 70) ? 0 : below(w, 2) ? below(w, 5000000) : rnd(w);
	fd = issue(w, w->dev, MBX_IOC_BOX_CREATE, &a, sizeof(a), 0);
	if (fd >= 0)
		adopt_fd(w, fd);
	else if (errno == ENOSPC && chance(w, 50))
		op_close(w);	/* what a program would do: give some back */
}

static void op_open(struct worker *w)
{
	struct mbx_open_args a = { .size = sizeof(a) };
	int fd;

	pick_name(w, a.name);
	a.flags = pick_flags(w, MBX_OPEN_CLOEXEC);
	a.access = chance(w, 90) ? (chance(w, 25) ? MBX_ACCESS_READ :
				   MBX_ACCESS_READ | MBX_ACCESS_WRITE) : rnd(w);
	a.__reserved = chance(w, 95) ? 0 : rnd(w);
	fd = issue(w, w->dev, MBX_IOC_BOX_OPEN, &a, sizeof(a), 0);
	if (fd >= 0)
		adopt_fd(w, fd);
	else if (errno == ENOENT && chance(w, 30))
		op_close(w);	/* an fd on a mailbox that is gone, perhaps */
}

static void op_destroy(struct worker *w)
{
	struct mbx_destroy_args a = { .size = sizeof(a) };

	pick_name(w, a.name);
	a.flags = pick_flags(w, 0);
	issue(w, w->dev, MBX_IOC_BOX_DESTROY, &a, sizeof(a), 0);
}

static void op_list(struct worker *w)
{
	struct mbx_list_args a = { .size = sizeof(a) };
	unsigned char *buf = w->arena + 3 * w->page;
	static const __u32 esizes[] = { 0, 80, 88, sizeof(struct mbx_box_entry),
					sizeof(struct mbx_box_entry) + 8, 4096, 4097 };

	a.flags = pick_flags(w, 0);
	a.count = below(w, 2) ? below(w, 8) : rnd(w);
	a.entry_size = chance(w, 80) ? sizeof(struct mbx_box_entry) :
		       esizes[below(w, sizeof(esizes) / sizeof(esizes[0]))];
	a.entries = chance(w, 80) ? (__u64)(unsigned long)buf :
		    chance(w, 50) ? 0 : rnd(w);
	if (a.count * (__u64)a.entry_size > (__u64)w->page &&
	    a.entries == (__u64)(unsigned long)buf && chance(w, 70))
		a.count = w->page / (a.entry_size ? a.entry_size : 1);
	issue(w, w->dev, MBX_IOC_BOX_LIST, &a, sizeof(a),
	      offsetof(struct mbx_list_args, entries));
}

static void op_dup(struct worker *w)
{
	struct wbox *b = pick_box(w);
	struct wbox copy;
	int fd;

	if (!b)
		return;
	copy = *b;
	fd = dup(b->fd);
	if (fd < 0)
		return;
	b = free_box(w);
	*b = copy;
	b->fd = fd;
}

static struct wmap *free_map(struct worker *w)
{
	unsigned int i;

	for (i = 0; i < MAXMAP; i++)
		if (!w->map[i].addr)
			return &w->map[i];
	i = below(w, MAXMAP);
	munmap(w->map[i].addr, w->map[i].len);
	w->map[i].addr = NULL;
	return &w->map[i];
}

/* Read every page of @m, write some if writable; a fault ends it. */
static void touch(struct worker *w, struct wmap *m)
{
	volatile unsigned char *p = m->addr;
	size_t off;

	if (!(m->prot & PROT_READ))
		return;
	if (sigsetjmp(touch_env, 1)) {
		touching = 0;
		return;
	}
	touching = 1;
	for (off = 0; off < m->len; off += w->page) {
		(void)p[off];
		if ((m->prot & PROT_WRITE) && chance(w, 30))
			p[off + below(w, w->page)] = rnd(w);
	}
	touching = 0;
}

static void op_mmap(struct worker *w)
{
	struct wbox *b = pick_box(w);
	unsigned long pages, off, len;
	struct wmap *m;
	int prot, flags;
	void *p;

	if (!b)
		return;
	pages = b->map_size / w->page;
	off = chance(w, 90) ? below(w, pages ? pages : 1) : below(w, 4 * pages + 2);
	len = chance(w, 90) ? 1 + below(w, pages - (off < pages ? off : 0) + 1) :
	      1 + below(w, 4 * pages + 2);
	prot = chance(w, 85) ? (below(w, 2) ? PROT_READ : PROT_READ | PROT_WRITE) :
	       (int)below(w, 8);
	flags = chance(w, 90) ? MAP_SHARED : chance(w, 50) ? MAP_PRIVATE :
		MAP_SHARED | MAP_POPULATE;
	m = free_map(w);
	p = mmap(NULL, len * w->page, prot, flags, b->fd,
		 chance(w, 97) ? off * w->page : off * w->page + below(w, w->page));
	__atomic_add_fetch(&sh->done[OP_MMAP][p != MAP_FAILED], 1,
			   __ATOMIC_RELAXED);
	if (p == MAP_FAILED)
		return;
	m->addr = p;
	m->len = len * w->page;
	m->prot = prot;
	m->box_id = b->box_id;
	m->off = off * w->page;
	touch(w, m);
}

static void op_remap(struct worker *w)
{
	struct wmap *m = &w->map[below(w, MAXMAP)];
	unsigned int k = below(w, 5);
	size_t len;
	void *p;

	if (!m->addr)
		return;
	switch (k) {
	case 0:		/* away, in part or whole */
		if (m->len > (size_t)w->page && chance(w, 50)) {
			munmap(m->addr + m->len - w->page, w->page);
			m->len -= w->page;
		} else {
			munmap(m->addr, m->len);
			m->addr = NULL;
		}
		break;
	case 1:
		if (!mprotect(m->addr, m->len, below(w, 8)))
			m->prot = 0;	/* unknown now: do not touch */
		break;
	case 2:		/* grow (refused), shrink or move */
		len = chance(w, 50) ? m->len + w->page :
		      m->len > (size_t)w->page ? m->len - w->page : m->len;
		p = mremap(m->addr, m->len, len,
			   chance(w, 50) ? MREMAP_MAYMOVE : 0);
		if (p != MAP_FAILED) {
			m->addr = p;
			m->len = len;
		}
		break;
	case 3:		/* drop the pages: touching is then SIGBUS */
		madvise(m->addr, m->len, MADV_DONTNEED);
		touch(w, m);
		break;
	case 4:
		madvise(m->addr, m->len, below(w, 2) ? MADV_DONTFORK :
						     MADV_WILLNEED);
		break;
	}
}

static void op_touch(struct worker *w)
{
	struct wmap *m = &w->map[below(w, MAXMAP)];

	if (m->addr)
		touch(w, m);
}

static void op_api(struct worker *w)
{
	struct mbx_api_args a = { .size = sizeof(a) };
	struct wbox *b = pick_box(w);

	a.api = chance(w, 90) ? MBX_API_VERSION : rnd(w);
	issue(w, b && chance(w, 50) ? b->fd : w->dev, MBX_IOC_API, &a, sizeof(a), 0);
}

static void op_info(struct worker *w, struct wbox *b)
{
	struct mbx_info_args a = { .size = sizeof(a) };

	a.flags = pick_flags(w, 0);
	issue(w, b->fd, MBX_IOC_BOX_INFO, &a, sizeof(a), 0);
}

static void op_set(struct worker *w, struct wbox *b)
{
	struct mbx_set_args a = { .size = sizeof(a) };

	a.flags = pick_flags(w, MBX_SET_UID | MBX_SET_GID | MBX_SET_MODE |
			     MBX_SET_RECLAIM);
	a.uid = below(w, 2) ? 0 : below(w, 2) ? UID_OTHER : rnd(w);
	a.gid = below(w, 2) ? 0 : below(w, 2) ? UID_OTHER : rnd(w);
	a.mode = chance(w, 80) ? 0666 : chance(w, 80) ? rnd(w) & 0666 : rnd(w);
	a.__reserved = chance(w, 95) ? 0 : rnd(w);
	a.reclaim_ns = chance(w, 50) ? 0 : below(w, 2) ? below(w, 5000000) : rnd(w);
	issue(w, b->fd, MBX_IOC_BOX_SET, &a, sizeof(a), 0);
}

static void op_stats(struct worker *w, struct wbox *b)
{
	struct mbx_stats_args a = { .size = sizeof(a) };

	a.flags = pick_flags(w, 0);
	issue(w, b->fd, MBX_IOC_BOX_STATS, &a, sizeof(a), 0);
}

static void op_reclaim(struct worker *w, struct wbox *b)
{
	struct mbx_reclaim_args a = { .size = sizeof(a) };

	a.flags = pick_flags(w, 0);
	a.min_age_ns = below(w, 2) ? 0 : below(w, 2) ? below(w, 10000000) : rnd(w);
	a.__reserved = chance(w, 95) ? 0 : rnd(w);
	issue(w, b->fd, MBX_IOC_BOX_RECLAIM, &a, sizeof(a), 0);
}

static void op_acquire(struct worker *w, struct wbox *b)
{
	struct mbx_acquire_args a = { .size = sizeof(a) };
	unsigned int k = below(w, 10);

	if (k < 6) {
		a.flags = MBX_ACQUIRE_ANY;
	} else if (k < 8) {
		a.slot = pick_slot(w, b);
	} else {
		a.flags = MBX_ACQUIRE_CALL;
		pick_call(w, b, &a.slot, &a.call_id);
	}
	/* A revocation never waits: wait flags with it are rejected. */
	if (!(a.flags & MBX_ACQUIRE_CALL) || chance(w, 5))
		pick_wait(w, &a.flags, &a.timeout_ns);
	a.flags |= pick_flags(w, 0);
	a.__reserved = chance(w, 95) ? 0 : rnd(w);
	if (chance(w, 3))
		a.slot = rnd(w);
	if (!issue(w, b->fd, MBX_IOC_SLOT_ACQUIRE, &a, sizeof(a), 0) && w->back)
		b->owned = a.out_slot;
}

static void op_release(struct worker *w, struct wbox *b)
{
	struct mbx_release_args a = { .size = sizeof(a) };

	a.flags = pick_flags(w, 0);
	a.slot = pick_slot(w, b);
	a.__reserved = chance(w, 95) ? 0 : rnd(w);
	issue(w, b->fd, MBX_IOC_SLOT_RELEASE, &a, sizeof(a), 0);
}

static void op_slot_info(struct worker *w, struct wbox *b)
{
	struct mbx_slots_args a = { .size = sizeof(a) };
	unsigned char *buf = w->arena + 3 * w->page;

	a.flags = pick_flags(w, 0);
	a.info = chance(w, 85) ? (__u64)(unsigned long)buf :
		 chance(w, 50) ? 0 : rnd(w);
	a.first = chance(w, 90) ? below(w, b->nslots) : rnd(w);
	a.count = chance(w, 90) ? below(w, 8) : rnd(w);
	a.info_size = chance(w, 85) ? sizeof(struct mbx_slot_info) :
		      below(w, 2) ? sizeof(struct mbx_slot_info) + 8 * below(w, 8) :
		      rnd(w) & 0x1fff;
	if (a.info == (__u64)(unsigned long)buf &&
	    a.count * (__u64)a.info_size > (__u64)w->page && chance(w, 70))
		a.count = w->page / (a.info_size ? a.info_size : 1);
	issue(w, b->fd, MBX_IOC_SLOT_INFO, &a, sizeof(a),
	      offsetof(struct mbx_slots_args, info));
}

/* Write @slot's call (or reply) plane, where a mapping of @b shows it. */
static void scribble(struct worker *w, struct wbox *b, __u32 slot, int reply)
{
	size_t off = (reply ? b->reply_off : 0) + (size_t)slot * b->slot_size;
	struct wmap *m = NULL;
	unsigned int i;

	if (slot >= b->nslots)
		return;
	for (i = 0; i < MAXMAP && !m; i++) {
		m = &w->map[i];
		if (!m->addr || !(m->prot & PROT_WRITE) ||
		    m->box_id != b->box_id || off < m->off ||
		    off + b->slot_size > m->off + m->len)
			m = NULL;
	}
	if (!m)
		return;
	if (sigsetjmp(touch_env, 1)) {
		touching = 0;
		return;
	}
	touching = 1;
	memset(m->addr + (off - m->off), (int)rnd(w), b->slot_size);
	touching = 0;
}

static void op_submit(struct worker *w, struct wbox *b)
{
	struct mbx_submit_args a = { .size = sizeof(a) };

	/* Wait flags only with a collect, mostly; a plain submit never waits. */
	a.flags = pick_flags(w, MBX_SUBMIT_COLLECT);
	if ((a.flags & MBX_SUBMIT_COLLECT) || chance(w, 5))
		pick_wait(w, &a.flags, &a.timeout_ns);
	if (chance(w, 3))
		a.timeout_ns = rnd(w);
	a.slot = pick_slot(w, b);
	a.opcode = rnd(w);
	a.len = chance(w, 90) ? below(w, b->slot_size + 1) : rnd(w);
	a.call_flags = chance(w, 95) ?
		       (chance(w, 20) ? MBX_CALL_AT_MOST_ONCE : 0) : rnd(w);
	a.user_data = rnd(w);
	scribble(w, b, a.slot, 0);
	if (!issue(w, b->fd, MBX_IOC_CALL_SUBMIT, &a, sizeof(a), 0) && w->back) {
		b->submitted_slot = a.slot;
		b->submitted_id = a.out_call_id;
		remember(b, a.slot, a.out_call_id);
		if (a.flags & MBX_SUBMIT_COLLECT)
			b->owned = a.out_reply.slot;
	}
}

static void op_take(struct worker *w, struct wbox *b)
{
	struct mbx_take_args a = { .size = sizeof(a) };

	pick_wait(w, &a.flags, &a.timeout_ns);
	if (chance(w, 40)) {
		a.flags |= MBX_TAKE_COMPLETE;
		if (chance(w, 80)) {
			a.done_call_id = b->taken_id;
			a.done_slot = b->taken_slot;
		} else {
			pick_call(w, b, &a.done_slot, &a.done_call_id);
		}
		a.done_len = below(w, b->slot_size + 2);
		a.done_status = chance(w, 80) ? -(int)below(w, 140) : (int)rnd(w);
		scribble(w, b, a.done_slot, 1);
	} else if (chance(w, 3)) {
		a.done_slot = 1;
	}
	a.flags |= pick_flags(w, 0);
	if (!issue(w, b->fd, MBX_IOC_CALL_TAKE, &a, sizeof(a), 0) && w->back) {
		b->taken_slot = a.out_call.slot;
		b->taken_id = a.out_call.call_id;
		remember(b, a.out_call.slot, a.out_call.call_id);
	}
}

static void op_complete(struct worker *w, struct wbox *b)
{
	struct mbx_complete_args a = { .size = sizeof(a) };

	if (chance(w, 70)) {
		a.call_id = b->taken_id;
		a.slot = b->taken_slot;
	} else {
		pick_call(w, b, &a.slot, &a.call_id);
	}
	a.flags = pick_flags(w, 0);
	a.len = chance(w, 90) ? below(w, b->slot_size + 1) : rnd(w);
	a.status = chance(w, 85) ? -(int)below(w, 140) : (int)rnd(w);
	a.__reserved = chance(w, 95) ? 0 : rnd(w);
	scribble(w, b, a.slot, 1);
	issue(w, b->fd, MBX_IOC_CALL_COMPLETE, &a, sizeof(a), 0);
}

static void op_collect(struct worker *w, struct wbox *b)
{
	struct mbx_collect_args a = { .size = sizeof(a) };

	if (chance(w, 40)) {
		a.flags = MBX_COLLECT_CALL;
		pick_call(w, b, &a.slot, &a.call_id);
	}
	pick_wait(w, &a.flags, &a.timeout_ns);
	a.flags |= pick_flags(w, 0);
	a.__reserved = chance(w, 95) ? 0 : rnd(w);
	if (!issue(w, b->fd, MBX_IOC_CALL_COLLECT, &a, sizeof(a), 0) && w->back)
		b->owned = a.out_call.slot;
}

static void op_cancel(struct worker *w, struct wbox *b)
{
	struct mbx_cancel_args a = { .size = sizeof(a) };

	pick_call(w, b, &a.slot, &a.call_id);
	a.flags = pick_flags(w, 0);
	issue(w, b->fd, MBX_IOC_CALL_CANCEL, &a, sizeof(a), 0);
}

static void op_events(struct worker *w, struct wbox *b)
{
	struct mbx_events_args a = { .size = sizeof(a) };
	unsigned char *buf = w->arena + 3 * w->page;

	a.flags = pick_flags(w, 0);
	a.events = chance(w, 85) ? (__u64)(unsigned long)buf :
		   chance(w, 50) ? 0 : rnd(w);
	a.count = chance(w, 90) ? below(w, 80) : rnd(w);
	a.event_size = chance(w, 85) ? sizeof(struct mbx_event) :
		       below(w, 2) ? 8 * below(w, 8) : rnd(w) & 0x1fff;
	a.__reserved = chance(w, 95) ? 0 : rnd(w);
	if (a.events == (__u64)(unsigned long)buf &&
	    a.count * (__u64)a.event_size > (__u64)w->page && chance(w, 70))
		a.count = w->page / (a.event_size ? a.event_size : 1);
	issue(w, b->fd, MBX_IOC_EVENTS_READ, &a, sizeof(a),
	      offsetof(struct mbx_events_args, events));
}

/*
 * A random command: mostly in the mailbox range, else any, but not the
 * generic ones the VFS serves itself (FIOCLEX, FIFREEZE, FS_IOC_SETFLAGS
 * and so on: types 'T', 'X', 'f', 0x94 and 0x15), which are not ours to
 * fuzz and could freeze or chattr /dev.
 */
static void op_random_ioctl(struct worker *w)
{
	unsigned char buf[256];
	struct wbox *b = pick_box(w);
	unsigned int dir = below(w, 4), type, nr, size, i;
	int fd = b && chance(w, 70) ? b->fd : w->dev;
	unsigned long cmd;

	if (chance(w, 70)) {
		type = MBX_IOC_MAGIC;
		nr = chance(w, 80) ? below(w, 0x40) : below(w, 256);
	} else {
		do
			type = below(w, 256);
		while (type == 'T' || type == 'X' || type == 'f' ||
		       type == 0x94 || type == 0x15);
		nr = below(w, 256);
	}
	size = chance(w, 50) ? 0 : below(w, 1U << 14);
	cmd = chance(w, 95) ? _IOC(dir, type, nr, size) : (__u32)rnd(w);
	if (((cmd >> _IOC_TYPESHIFT) & _IOC_TYPEMASK) != MBX_IOC_MAGIC) {
		type = (cmd >> _IOC_TYPESHIFT) & _IOC_TYPEMASK;
		if (type == 'T' || type == 'X' || type == 'f' ||
		    type == 0x94 || type == 0x15)
			return;
	}
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = chance(w, 50) ? 0 : rnd(w);
	if (chance(w, 50))
		*(__u32 *)buf = below(w, 160);
	issue(w, fd, cmd, buf, 8 + 8 * below(w, 30), 0);
}

static void op_poll(struct worker *w)
{
	struct pollfd p[MAXFD];
	unsigned int i, n = 0;

	for (i = 0; i < MAXFD; i++) {
		if (w->box[i].fd < 0)
			continue;
		p[n].fd = w->box[i].fd;
		p[n].events = rnd(w);
		n++;
	}
	if (n)
		poll(p, n, below(w, 3));
}

/* A well-formed call: acquire any slot, write it, submit it. */
static void op_call(struct worker *w, struct wbox *b)
{
	struct mbx_acquire_args q = {
		.size = sizeof(q),
		.flags = MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK,
	};
	struct mbx_submit_args s = { .size = sizeof(s) };
	int ret;

	ret = ioctl(b->fd, MBX_IOC_SLOT_ACQUIRE, &q);
	__atomic_add_fetch(&sh->done[OP_CALL][!ret], 1, __ATOMIC_RELAXED);
	if (ret)
		return;
	b->owned = q.out_slot;
	scribble(w, b, q.out_slot, 0);
	s.slot = q.out_slot;
	s.call_flags = chance(w, 20) ? MBX_CALL_AT_MOST_ONCE : 0;
	if (chance(w, 30)) {
		/* and collect a reply of this fd's, in the same call */
		s.flags |= MBX_SUBMIT_COLLECT;
		if (chance(w, 30)) {
			s.flags |= MBX_WAIT_NONBLOCK;
		} else {
			s.flags |= MBX_WAIT_TIMEOUT;
			s.timeout_ns = now_ns() + below(w, 2000000);
		}
	}
	s.opcode = below(w, 4);
	s.len = below(w, b->slot_size + 1);
	s.user_data = rnd(w);
	if (chance(w, 5))
		return;		/* a draft left in the slot */
	ret = ioctl(b->fd, MBX_IOC_CALL_SUBMIT, &s);
	/* Submitted even when the collect that follows timed out. */
	if (!ret || ((s.flags & MBX_SUBMIT_COLLECT) && s.out_call_id)) {
		b->submitted_slot = s.slot;
		b->submitted_id = s.out_call_id;
		remember(b, s.slot, s.out_call_id);
	}
	if (!ret && (s.flags & MBX_SUBMIT_COLLECT))
		b->owned = s.out_reply.slot;
}

/* A well-formed serve: take a call, write the reply, mostly complete it. */
static void op_serve(struct worker *w, struct wbox *b)
{
	struct mbx_take_args t = { .size = sizeof(t) };
	struct mbx_complete_args c = { .size = sizeof(c) };
	int ret;

	if (chance(w, 50)) {
		t.flags = MBX_WAIT_NONBLOCK;
	} else {
		t.flags = MBX_WAIT_TIMEOUT;
		t.timeout_ns = now_ns() + below(w, 1000000);
	}
	ret = ioctl(b->fd, MBX_IOC_CALL_TAKE, &t);
	__atomic_add_fetch(&sh->done[OP_SERVE][!ret], 1, __ATOMIC_RELAXED);
	if (ret)
		return;
	b->taken_slot = t.out_call.slot;
	b->taken_id = t.out_call.call_id;
	remember(b, t.out_call.slot, t.out_call.call_id);
	scribble(w, b, t.out_call.slot, 1);
	if (chance(w, 25))
		return;		/* held: a kill will make it redelivered */
	c.call_id = t.out_call.call_id;
	c.slot = t.out_call.slot;
	c.len = below(w, b->slot_size + 1);
	c.status = chance(w, 80) ? 0 : -(int)(1 + below(w, 130));
	ioctl(b->fd, MBX_IOC_CALL_COMPLETE, &c);
}

/* Revise a pending call: hold it, then resubmit, cancel or put it back. */
static void op_revise(struct worker *w, struct wbox *b)
{
	struct mbx_acquire_args q = {
		.size = sizeof(q),
		.flags = MBX_ACQUIRE_CALL,
	};
	struct mbx_submit_args s = { .size = sizeof(s) };
	struct mbx_cancel_args c = { .size = sizeof(c) };
	struct mbx_release_args r = { .size = sizeof(r) };
	int ret;

	pick_call(w, b, &q.slot, &q.call_id);
	ret = ioctl(b->fd, MBX_IOC_SLOT_ACQUIRE, &q);
	__atomic_add_fetch(&sh->done[OP_REVISE][!ret], 1, __ATOMIC_RELAXED);
	if (ret)
		return;
	switch (below(w, 4)) {
	case 0:
		scribble(w, b, q.slot, 0);
		s.slot = q.slot;
		s.len = below(w, b->slot_size + 1);
		ioctl(b->fd, MBX_IOC_CALL_SUBMIT, &s);
		break;
	case 1:
		c.slot = q.slot;
		c.call_id = q.call_id;
		ioctl(b->fd, MBX_IOC_CALL_CANCEL, &c);
		break;
	case 2:
		r.slot = q.slot;
		ioctl(b->fd, MBX_IOC_SLOT_RELEASE, &r);
		break;
	default:
		break;	/* held: a kill fails the call */
	}
}

static void worker_run(struct worker *w, unsigned int limit);

static void op_fork(struct worker *w)
{
	pid_t pid;

	if (w->child)
		return;
	pid = fork();
	if (pid)
		return;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	w->child = 1;
	w->rng ^= 0x5a5a5a5a5a5a5a5aULL;
	worker_run(w, FORK_OPS);
	_exit(0);
}

static enum op pick_op(struct worker *w)
{
	unsigned int total = 0, i, r;

	for (i = 0; i < NOPS; i++)
		total += op_weight[i];
	r = below(w, total);
	for (i = 0; i < NOPS; i++) {
		if (r < op_weight[i])
			break;
		r -= op_weight[i];
	}
	return i;
}

/* Run operations until the round's budget is spent (or @limit, if any). */
static void worker_run(struct worker *w, unsigned int limit)
{
	unsigned int n = 0;

	while (!limit || n++ < limit) {
		__u64 done = __atomic_fetch_add(&sh->ops, 1, __ATOMIC_RELAXED);
		enum op op = pick_op(w);
		struct wbox *b = NULL;

		if (done >= __atomic_load_n(&sh->round_end, __ATOMIC_RELAXED))
			break;
		if ((op >= OP_INFO && op <= OP_EVENTS) || op >= OP_CALL) {
			b = pick_box(w);
			if (!b)
				op = below(w, 2) ? OP_CREATE : OP_OPEN;
		}
		w->op = op;
		switch (op) {
		case OP_CREATE: op_create(w); break;
		case OP_OPEN: op_open(w); break;
		case OP_DESTROY: op_destroy(w); break;
		case OP_LIST: op_list(w); break;
		case OP_CLOSE: op_close(w); break;
		case OP_DUP: op_dup(w); break;
		case OP_MMAP: op_mmap(w); break;
		case OP_REMAP: op_remap(w); break;
		case OP_TOUCH: op_touch(w); break;
		case OP_API: op_api(w); break;
		case OP_INFO: op_info(w, b); break;
		case OP_SET: op_set(w, b); break;
		case OP_STATS: op_stats(w, b); break;
		case OP_RECLAIM: op_reclaim(w, b); break;
		case OP_ACQUIRE: op_acquire(w, b); break;
		case OP_RELEASE: op_release(w, b); break;
		case OP_SLOT_INFO: op_slot_info(w, b); break;
		case OP_SUBMIT: op_submit(w, b); break;
		case OP_TAKE: op_take(w, b); break;
		case OP_COMPLETE: op_complete(w, b); break;
		case OP_COLLECT: op_collect(w, b); break;
		case OP_CANCEL: op_cancel(w, b); break;
		case OP_EVENTS: op_events(w, b); break;
		case OP_RANDOM_IOCTL: op_random_ioctl(w); break;
		case OP_POLL: op_poll(w); break;
		case OP_FORK: op_fork(w); break;
		case OP_CALL: op_call(w, b); break;
		case OP_SERVE: op_serve(w, b); break;
		case OP_REVISE: op_revise(w, b); break;
		case NOPS: break;
		}
		/* The others counted themselves, in issue() or op_mmap(). */
		if (op == OP_CLOSE || op == OP_DUP || op == OP_REMAP ||
		    op == OP_TOUCH || op == OP_POLL || op == OP_FORK)
			__atomic_add_fetch(&sh->done[op][1], 1, __ATOMIC_RELAXED);
	}
}

/* The body of a worker process: @slot-th of the round, @gen-th of it. */
static void __attribute__((noreturn))
worker_main(__u64 seed, unsigned int slot, unsigned int gen, pid_t test)
{
	struct sigaction sa = { .sa_handler = on_fault };
	struct worker w;
	unsigned int i;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != test)
		_exit(0);
	setpgid(0, 0);
	syscall(SYS_close_range, 3U, ~0U, 0U);
	memset(&w, 0, sizeof(w));
	w.rng = seed ^ ((__u64)slot << 48) ^ ((__u64)gen << 32);
	mix(&w.rng);
	w.page = getpagesize();
	for (i = 0; i < NNAMES; i++)
		snprintf(w.names[i], MBX_NAME_MAX, "fz.%d.%u", test, i);
	for (i = 0; i < MAXFD; i++)
		w.box[i].fd = -1;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	/* No SA_RESTART for half of them: a signal ends their waits. */
	sa.sa_handler = on_usr1;
	sa.sa_flags = slot & 2 ? SA_RESTART : 0;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sa.sa_flags = SA_NOCLDWAIT;
	sigaction(SIGCHLD, &sa, NULL);

	w.arena = mmap(NULL, 5 * w.page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w.arena == MAP_FAILED)
		_exit(2);
	for (i = 0; i < w.page; i++)
		w.arena[w.page + i] = i * 7;
	mprotect(w.arena + w.page, w.page, PROT_READ);
	mprotect(w.arena + 2 * w.page, w.page, PROT_NONE);
	mprotect(w.arena + 4 * w.page, w.page, PROT_NONE);

	/* Odd workers are an ordinary user. */
	if ((slot & 1) && (setgroups(0, NULL) ||
			   setresgid(UID_OTHER, UID_OTHER, UID_OTHER) ||
			   setresuid(UID_OTHER, UID_OTHER, UID_OTHER)))
		_exit(3);
	w.dev = open(MBX_DEV, O_RDWR | O_CLOEXEC);
	if (w.dev < 0)
		_exit(4);
	worker_run(&w, 0);
	_exit(0);
}

/* The supervisor */

#define MAXW		16
#define MAXGROUPS	16384
#define MAXBOXES	256	/* mailboxes listed at once */

FIXTURE(fuzz) {
	pid_t pid;
	int dev;
	int guard;
	int kmsg;
	struct params saved;
	char names[NNAMES][MBX_NAME_MAX];
	__u64 seed;
	__u64 rng;
	unsigned int nworkers;
	pid_t workers[MAXW];	/* 0: none */
	unsigned int gen[MAXW];
	pid_t groups[MAXGROUPS];	/* every worker's group this round */
	unsigned int ngroups;
	unsigned long kills, signals, destroys, spawns;
	unsigned long live;	/* live_boxes before the test */
	/* Mailboxes there before the test: not ours to check or destroy. */
	struct mbx_box_entry before[MAXBOXES];
	__u32 nbefore;
	/* What the mailboxes went through, for the log: per box, last seen */
	__u64 box_id[MAXBOXES];
	struct mbx_stats_args last[MAXBOXES], sum;
};

/* The mailboxes of our user namespace: fills @e, returns how many. */
static __u32 list_boxes(int dev, struct mbx_box_entry *e)
{
	struct mbx_list_args a = {
		.size = sizeof(a),
		.entries = (__u64)(unsigned long)e,
		.count = MAXBOXES,
		.entry_size = sizeof(*e),
	};

	if (ioctl(dev, MBX_IOC_BOX_LIST, &a))
		return 0;
	return a.out_count;
}

/*
 * Is @e a mailbox of the test?  Not only the names the workers are given:
 * a name they mangle may still be a valid one.
 */
static int ours(FIXTURE_DATA(fuzz) *self, const struct mbx_box_entry *e)
{
	__u32 i;

	for (i = 0; i < self->nbefore; i++)
		if (self->before[i].box_id == e->box_id)
			return 0;
	return 1;
}

/* Destroy every mailbox of the test. */
static void destroy_ours(FIXTURE_DATA(fuzz) *self)
{
	static struct mbx_box_entry e[MAXBOXES];
	__u32 i, n = list_boxes(self->dev, e);

	for (i = 0; i < n; i++) {
		struct mbx_destroy_args d = { .size = sizeof(d) };

		if (!ours(self, &e[i]))
			continue;
		memcpy(d.name, e[i].name, MBX_NAME_MAX);
		ioctl(self->dev, MBX_IOC_BOX_DESTROY, &d);
	}
}

FIXTURE_SETUP(fuzz)
{
	unsigned long live;
	unsigned int i;

	self->pid = getpid();
	self->dev = -1;
	self->guard = -1;
	self->kmsg = -1;
	for (i = 0; i < NNAMES; i++)
		snprintf(self->names[i], MBX_NAME_MAX, "fz.%d.%u", getpid(), i);
	if (access(MBX_DEV, F_OK) && errno == ENOENT)
		SKIP(return, MBX_DEV " absent: mbx.ko not loaded");
	if (geteuid() != 0)
		SKIP(return, "needs root: module parameters, other uids, /dev/kmsg");
	ASSERT_EQ(0, params_save(&self->saved));
	self->guard = params_guard(&self->saved);
	ASSERT_LE(0, self->guard);
	live = param_get("live_boxes");
	ASSERT_NE(-1UL, live);
	ASSERT_EQ(0, param_set("max_boxes", live + MORE_BOXES));
	self->live = live;
	for (i = 0; i < sizeof(fuzz_limits) / sizeof(fuzz_limits[0]); i++)
		ASSERT_EQ(0, param_set(fuzz_limits[i].name, fuzz_limits[i].val));
	self->dev = open(MBX_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev);
	self->nbefore = list_boxes(self->dev, self->before);
	/* What the kernel logs from now on. */
	self->kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (self->kmsg >= 0)
		lseek(self->kmsg, 0, SEEK_END);
	else
		TH_LOG("no /dev/kmsg: the runner's log check alone applies");
	/* Orphans of killed workers come back to us, to be reaped. */
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1));
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
}

/* Kill every process of the round and reap them all; 0, or -1 on a hang. */
static int kill_all(FIXTURE_DATA(fuzz) *self, __u64 patience)
{
	__u64 deadline = now_ns() + patience;
	unsigned int i;
	pid_t pid;

	for (i = 0; i < self->ngroups; i++)
		kill(-self->groups[i], SIGKILL);
	for (;;) {
		pid = waitpid(-1, NULL, WNOHANG);
		if (pid < 0 && errno == ECHILD)
			break;
		if (pid > 0)
			continue;
		if (now_ns() > deadline)
			return -1;
		usleep(1000);
	}
	self->ngroups = 0;
	memset(self->workers, 0, sizeof(self->workers));
	return 0;
}

FIXTURE_TEARDOWN(fuzz)
{
	if (getpid() != self->pid || self->dev < 0)
		return;
	kill_all(self, 10 * NSEC);
	destroy_ours(self);
	close(self->dev);
	params_restore(&self->saved);
	if (write(self->guard, "r", 1) != 1)
		TH_LOG("the guardian is gone");
	close(self->guard);
}

/* The 6.1 harness runs a test whose setup skipped: stop it at once. */
#define SETUP_DONE() do { if (_metadata->skip) return; } while (0)

static __u64 env_u64(const char *name, __u64 def)
{
	const char *s = getenv(name);

	return s && *s ? strtoull(s, NULL, 0) : def;
}

static void spawn(struct __test_metadata *_metadata,
		  FIXTURE_DATA(fuzz) *self, unsigned int slot)
{
	pid_t pid;

	ASSERT_GT(MAXGROUPS, self->ngroups);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		worker_main(self->seed, slot, self->gen[slot], self->pid);
	/* Here too, so that a kill of the group can never miss it. */
	setpgid(pid, pid);
	self->groups[self->ngroups++] = pid;
	self->workers[slot] = pid;
	self->gen[slot]++;
	self->spawns++;
}

/* Log where each process of the round sleeps: it stopped moving. */
static void dump_stacks(struct __test_metadata *_metadata)
{
	char path[64], buf[2048], comm[32];
	ssize_t n;
	pid_t pid;
	int fd, i;

	/* Our children, including adopted orphans: walk /proc/<pid>/stat. */
	for (pid = 2; pid < 1 << 16; pid++) {
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		/* pid (comm) state ppid */
		if (sscanf(strrchr(buf, ')') + 2, "%*c %d", &i) != 1 ||
		    i != getpid())
			continue;
		snprintf(comm, sizeof(comm), "%d", pid);
		snprintf(path, sizeof(path), "/proc/%d/stack", pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[n > 0 ? n : 0] = '\0';
		TH_LOG("process %s:\n%s", comm, buf);
	}
}

/* A bad line in the kernel log since the last call: copied to @line. */
static int kmsg_bad(int fd, char *line, size_t len)
{
	char rec[8192];
	unsigned int i;
	ssize_t n;

	if (fd < 0)
		return 0;
	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten: go on */
		if (n <= 0)
			return 0;
		rec[n] = '\0';
		for (i = 0; i < sizeof(bad_log) / sizeof(bad_log[0]); i++) {
			if (!strstr(rec, bad_log[i]))
				continue;
			snprintf(line, len, "%.*s", (int)len - 1,
				 strchr(rec, ';') ? strchr(rec, ';') + 1 : rec);
			return 1;
		}
	}
}

static int sup_open(int dev, const char *name)
{
	struct mbx_open_args a = {
		.size = sizeof(a),
		.flags = MBX_OPEN_CLOEXEC,
		.access = MBX_ACCESS_READ | MBX_ACCESS_WRITE,
	};

	set_name(a.name, name);
	return ioctl(dev, MBX_IOC_BOX_OPEN, &a);
}

static int read_slots(int fd, __u32 nslots, struct mbx_slot_info *info)
{
	struct mbx_slots_args a = {
		.size = sizeof(a),
		.info = (__u64)(unsigned long)info,
		.count = nslots,
		.info_size = sizeof(*info),
	};

	if (ioctl(fd, MBX_IOC_SLOT_INFO, &a) || a.out_count != nslots)
		return -1;
	return 0;
}

/*
 * A mailbox no process uses any more: check that it is consistent and,
 * with @drain, empty it through the front door and check it is empty.
 */
static void check_box(struct __test_metadata *_metadata, int fd,
		      const char *name, unsigned int round, int drain,
		      struct mbx_stats_args *seen)
{
	struct mbx_info_args info = { .size = sizeof(info) };
	struct mbx_set_args set = {
		.size = sizeof(set),
		.flags = MBX_SET_RECLAIM,
	};
	static struct mbx_slot_info a[64], b[64];
	struct mbx_stats_args st;
	__u32 count[MBX_STATE_REPLIED + 1];
	__u32 i, n, taken, tries;
	unsigned char got[64];
	struct pollfd pfd;

	ASSERT_EQ(0, ioctl(fd, MBX_IOC_BOX_INFO, &info));
	ASSERT_GE(64, info.out_nslots);
	/* No reclaim behind our back while we count. */
	ASSERT_EQ(0, ioctl(fd, MBX_IOC_BOX_SET, &set));
	for (tries = 0;; tries++) {
		memset(&st, 0, sizeof(st));
		st.size = sizeof(st);
		ASSERT_EQ(0, read_slots(fd, info.out_nslots, a));
		ASSERT_EQ(0, ioctl(fd, MBX_IOC_BOX_STATS, &st));
		ASSERT_EQ(0, read_slots(fd, info.out_nslots, b));
		if (!memcmp(a, b, info.out_nslots * sizeof(a[0])) || tries == 3)
			break;
	}
	memset(count, 0, sizeof(count));
	for (i = 0; i < info.out_nslots; i++) {
		ASSERT_GE(MBX_STATE_REPLIED, a[i].state);
		count[a[i].state]++;
		EXPECT_EQ(i, a[i].slot);
		EXPECT_EQ(0, a[i].owner_pid);
		EXPECT_EQ(0, a[i].callee_pid);
		EXPECT_EQ(0, a[i].caller_pid);
		EXPECT_EQ(0, a[i].__reserved);
		if (a[i].state == MBX_STATE_REPLIED)
			EXPECT_GE(0, a[i].status);
	}
	/* Nobody left, so nothing held: no OWNED, EDIT or TAKEN slot. */
	EXPECT_EQ(0, count[MBX_STATE_OWNED]);
	EXPECT_EQ(0, count[MBX_STATE_EDIT]);
	EXPECT_EQ(0, count[MBX_STATE_TAKEN]);
	EXPECT_EQ(count[MBX_STATE_FREE], st.out_free);
	EXPECT_EQ(count[MBX_STATE_OWNED] + count[MBX_STATE_EDIT], st.out_owned);
	EXPECT_EQ(count[MBX_STATE_PENDING], st.out_pending);
	EXPECT_EQ(count[MBX_STATE_TAKEN], st.out_taken_now);
	EXPECT_EQ(count[MBX_STATE_REPLIED], st.out_replied);
	EXPECT_EQ(info.out_nslots, st.out_free + st.out_owned + st.out_pending +
		  st.out_taken_now + st.out_replied);
	EXPECT_EQ(1, st.out_sessions);
	/* Every call submitted is answered, or still waiting. */
	EXPECT_EQ(st.out_submitted,
		  st.out_completed + st.out_cancelled + st.out_pending);
	*seen = st;
	if (!_metadata->passed)
		TH_LOG("round %u, %s: submitted %llu completed %llu cancelled %llu; free %u owned %u pending %u taken %u replied %u sessions %u",
		       round, name, (unsigned long long)st.out_submitted,
		       (unsigned long long)st.out_completed,
		       (unsigned long long)st.out_cancelled, st.out_free,
		       st.out_owned, st.out_pending, st.out_taken_now,
		       st.out_replied, st.out_sessions);
	if (!drain)
		return;

	/* Every pending call is there to be taken, once. */
	for (taken = 0;; taken++) {
		struct mbx_take_args t = {
			.size = sizeof(t),
			.flags = MBX_WAIT_NONBLOCK,
		};
		struct mbx_complete_args c = { .size = sizeof(c) };
		int ret;

		if (ioctl(fd, MBX_IOC_CALL_TAKE, &t)) {
			EXPECT_EQ(EAGAIN, errno);
			break;
		}
		c.call_id = t.out_call.call_id;
		c.slot = t.out_call.slot;
		ret = ioctl(fd, MBX_IOC_CALL_COMPLETE, &c);
		/* A cancel asked of a callee that died stays asked. */
		EXPECT_TRUE(!ret || errno == ECANCELED);
		ASSERT_GT(info.out_nslots + 1, taken);
	}
	EXPECT_EQ(st.out_pending, taken);
	/* Every answer is there to be collected, once. */
	ASSERT_EQ(0, read_slots(fd, info.out_nslots, a));
	for (i = 0; i < info.out_nslots; i++) {
		struct mbx_collect_args c = {
			.size = sizeof(c),
			.flags = MBX_WAIT_NONBLOCK | MBX_COLLECT_CALL,
			.slot = i,
			.call_id = a[i].call_id,
		};
		struct mbx_release_args r = { .size = sizeof(r), .slot = i };

		if (a[i].state != MBX_STATE_REPLIED)
			continue;
		EXPECT_EQ(0, ioctl(fd, MBX_IOC_CALL_COLLECT, &c));
		EXPECT_EQ(0, ioctl(fd, MBX_IOC_SLOT_RELEASE, &r));
	}
	/* Every slot is there to be acquired, once. */
	memset(got, 0, sizeof(got));
	for (n = 0; n <= info.out_nslots; n++) {
		struct mbx_acquire_args q = {
			.size = sizeof(q),
			.flags = MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK,
		};

		if (ioctl(fd, MBX_IOC_SLOT_ACQUIRE, &q)) {
			EXPECT_EQ(EAGAIN, errno);
			break;
		}
		ASSERT_GT(info.out_nslots, q.out_slot);
		EXPECT_EQ(0, got[q.out_slot]++);
	}
	EXPECT_EQ(info.out_nslots, n);
	for (i = 0; i < info.out_nslots; i++) {
		struct mbx_release_args r = { .size = sizeof(r), .slot = i };

		EXPECT_EQ(0, ioctl(fd, MBX_IOC_SLOT_RELEASE, &r));
	}
	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	ASSERT_EQ(0, ioctl(fd, MBX_IOC_BOX_STATS, &st));
	EXPECT_EQ(info.out_nslots, st.out_free);
	EXPECT_EQ(st.out_submitted, st.out_completed + st.out_cancelled);
	pfd.fd = fd;
	pfd.events = POLLIN | POLLOUT | POLLRDBAND | POLLPRI;
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLOUT, pfd.revents & (POLLIN | POLLOUT | POLLRDBAND));
	if (!_metadata->passed)
		TH_LOG("round %u, %s: drained %u pending calls", round, name,
		       taken);
}

/* Add up what a mailbox went through since it was last seen, for the log. */
static void tally(FIXTURE_DATA(fuzz) *self, __u64 box_id,
		  const struct mbx_stats_args *st)
{
	struct mbx_stats_args none = { 0 };
	const struct mbx_stats_args *l = &none;
	struct mbx_stats_args *t = &self->sum;
	unsigned int i = box_id % MAXBOXES;

	if (self->box_id[i] == box_id)
		l = &self->last[i];
	t->out_submitted += st->out_submitted - l->out_submitted;
	t->out_taken += st->out_taken - l->out_taken;
	t->out_completed += st->out_completed - l->out_completed;
	t->out_cancelled += st->out_cancelled - l->out_cancelled;
	t->out_redelivered += st->out_redelivered - l->out_redelivered;
	t->out_owner_died += st->out_owner_died - l->out_owner_died;
	t->out_reclaimed += st->out_reclaimed - l->out_reclaimed;
	self->last[i] = *st;
	self->box_id[i] = box_id;
}

/* After a round: every mailbox consistent, the kernel log clean. */
static void check_round(struct __test_metadata *_metadata,
			FIXTURE_DATA(fuzz) *self, unsigned int round,
			int drain)
{
	static struct mbx_box_entry e[MAXBOXES];
	struct mbx_api_args api = {
		.size = sizeof(api),
		.api = MBX_API_VERSION,
	};
	struct mbx_stats_args st;
	char line[512], name[MBX_NAME_MAX + 1];
	__u32 i, n, k;
	int fd;

	ASSERT_EQ(0, ioctl(self->dev, MBX_IOC_API, &api));
	n = list_boxes(self->dev, e);
	ASSERT_GT(MAXBOXES, n);
	for (i = 0; i < n; i++) {
		if (!ours(self, &e[i]))
			continue;
		memcpy(name, e[i].name, MBX_NAME_MAX);
		name[MBX_NAME_MAX] = '\0';
		fd = sup_open(self->dev, name);
		if (fd < 0) {
			ASSERT_EQ(ENOENT, errno);
			continue;
		}
		check_box(_metadata, fd, name, round, drain, &st);
		close(fd);
		tally(self, e[i].box_id, &st);
		if (!_metadata->passed)
			return;
		/*
		 * A mangled name that happened to be valid: gone, or such
		 * mailboxes pile up over the rounds until every create fails
		 * for want of quota.  The workers' names live on.
		 */
		for (k = 0; k < NNAMES; k++)
			if (!strcmp(name, self->names[k]))
				break;
		if (k == NNAMES) {
			struct mbx_destroy_args d = { .size = sizeof(d) };

			memcpy(d.name, e[i].name, MBX_NAME_MAX);
			EXPECT_EQ(0, ioctl(self->dev, MBX_IOC_BOX_DESTROY, &d));
		}
	}
	if (kmsg_bad(self->kmsg, line, sizeof(line))) {
		TH_LOG("round %u: the kernel logged: %s", round, line);
		_metadata->passed = 0;
	}
}

/* A call through a fresh mailbox, start to end: the module still works. */
static void check_alive(struct __test_metadata *_metadata,
			FIXTURE_DATA(fuzz) *self)
{
	struct mbx_create_args c = {
		.size = sizeof(c),
		.flags = MBX_CREATE_CLOEXEC,
		.nslots = 2,
		.slot_size = 64,
		.mode = 0600,
	};
	struct mbx_acquire_args q = {
		.size = sizeof(q),
		.flags = MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK,
	};
	struct mbx_submit_args s = { .size = sizeof(s), .opcode = 1 };
	struct mbx_take_args t = { .size = sizeof(t), .flags = MBX_WAIT_NONBLOCK };
	struct mbx_complete_args d = { .size = sizeof(d), .len = 3 };
	struct mbx_collect_args r = { .size = sizeof(r), .flags = MBX_WAIT_NONBLOCK };
	struct mbx_destroy_args x = { .size = sizeof(x) };
	int fd;

	set_name(c.name, self->names[0]);
	fd = ioctl(self->dev, MBX_IOC_BOX_CREATE, &c);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, MBX_IOC_SLOT_ACQUIRE, &q));
	s.slot = q.out_slot;
	ASSERT_EQ(0, ioctl(fd, MBX_IOC_CALL_SUBMIT, &s));
	ASSERT_EQ(0, ioctl(fd, MBX_IOC_CALL_TAKE, &t));
	EXPECT_EQ(s.out_call_id, t.out_call.call_id);
	d.call_id = t.out_call.call_id;
	d.slot = t.out_call.slot;
	ASSERT_EQ(0, ioctl(fd, MBX_IOC_CALL_COMPLETE, &d));
	ASSERT_EQ(0, ioctl(fd, MBX_IOC_CALL_COLLECT, &r));
	EXPECT_EQ(s.out_call_id, r.out_call.call_id);
	EXPECT_EQ(3, r.out_call.len);
	close(fd);
	set_name(x.name, self->names[0]);
	EXPECT_EQ(0, ioctl(self->dev, MBX_IOC_BOX_DESTROY, &x));
}

/* The budget: hours under emulation for a million operations. */
TEST_F_TIMEOUT(fuzz, random_operations, 86400)
{
	__u64 ops, round_ops, last, last_ns, start;
	unsigned int round, i, interrupted;
	int kills, status;
	pid_t pid;

	SETUP_DONE();
	if (getenv("MBX_FUZZ_SEED"))
		self->seed = env_u64("MBX_FUZZ_SEED", 0);
	else
		ASSERT_EQ(sizeof(self->seed),
			  getrandom(&self->seed, sizeof(self->seed), 0));
	ops = env_u64("MBX_FUZZ_OPS", 20000);
	self->nworkers = env_u64("MBX_FUZZ_WORKERS", 6);
	ASSERT_LE(1, self->nworkers);
	ASSERT_GE(MAXW, self->nworkers);
	kills = env_u64("MBX_FUZZ_KILLS", 1);
	sh->may_block = kills;
	round_ops = ops / 10;
	round_ops = round_ops < 500 ? 500 : round_ops > 20000 ? 20000 : round_ops;
	self->rng = self->seed ^ 0x5eed5eed5eed5eedULL;
	printf("# seed 0x%llx, %llu operations, %u workers, %s: replay with MBX_FUZZ_SEED=0x%llx MBX_FUZZ_OPS=%llu MBX_FUZZ_WORKERS=%u\n",
	       (unsigned long long)self->seed, (unsigned long long)ops,
	       self->nworkers, kills ? "killing" : "no kills",
	       (unsigned long long)self->seed, (unsigned long long)ops,
	       self->nworkers);
	fflush(stdout);

	start = now_ns();
	for (round = 0; sh->ops < ops; round++) {
		sh->round_end = sh->ops + round_ops < ops ? sh->ops + round_ops : ops;
		for (i = 0; i < self->nworkers; i++)
			spawn(_metadata, self, i);
		last = sh->ops;
		last_ns = now_ns();
		interrupted = 0;
		while (sh->ops < sh->round_end) {
			unsigned int r = mix(&self->rng) % 100;
			unsigned int victim = mix(&self->rng) % self->nworkers;

			usleep(1000 + mix(&self->rng) % 9000);
			/* Workers that ended: start new ones while work is left. */
			while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
				for (i = 0; i < self->nworkers; i++) {
					if (self->workers[i] != pid)
						continue;
					self->workers[i] = 0;
					if (sh->ops < sh->round_end)
						spawn(_metadata, self, i);
				}
			}
			if (kills && r < 4 && self->workers[victim]) {
				kill(-self->workers[victim], SIGKILL);
				waitpid(self->workers[victim], NULL, 0);
				self->workers[victim] = 0;
				self->kills++;
				spawn(_metadata, self, victim);
			} else if (r < 12 && self->workers[victim]) {
				kill(self->workers[victim], SIGUSR1);
				self->signals++;
			} else if (r < 14) {
				struct mbx_destroy_args d = { .size = sizeof(d) };

				set_name(d.name, self->names[mix(&self->rng) % NNAMES]);
				if (!ioctl(self->dev, MBX_IOC_BOX_DESTROY, &d))
					self->destroys++;
			}
			/* Overshoot: one per process that saw the end. */
			ASSERT_GT(sh->round_end + 100000, sh->ops) {
				TH_LOG("the operation counter is corrupted: %llu",
				       (unsigned long long)sh->ops);
			}
			if (sh->ops != last) {
				last = sh->ops;
				last_ns = now_ns();
				interrupted = 0;
			} else if (now_ns() - last_ns > STALL_NS && !interrupted) {
				for (i = 0; i < self->nworkers; i++)
					if (self->workers[i])
						kill(self->workers[i], SIGUSR1);
				interrupted = 1;
			} else if (now_ns() - last_ns > 2 * STALL_NS) {
				dump_stacks(_metadata);
				ASSERT_TRUE(0) {
					TH_LOG("round %u: no operation for %llu s",
					       round, (unsigned long long)(2 * STALL_NS / NSEC));
				}
			}
		}
		if (kill_all(self, 60 * NSEC)) {
			dump_stacks(_metadata);
			ASSERT_TRUE(0) {
				TH_LOG("round %u: processes killed do not die", round);
			}
		}
		check_round(_metadata, self, round, round & 1);
		if (!_metadata->passed) {
			TH_LOG("failed after round %u: seed 0x%llx", round,
			       (unsigned long long)self->seed);
			return;
		}
	}
	/* The end: drain what is left, destroy it all, make a call. */
	check_round(_metadata, self, round, 1);
	ASSERT_TRUE(_metadata->passed);
	destroy_ours(self);
	check_alive(_metadata, self);
	/* Nothing left in memory: every mailbox and its charge went away. */
	EXPECT_EQ(self->live, param_get("live_boxes"));

	TH_LOG("%llu operations in %u rounds, %.1f s, %.0f per second; %lu workers started, %lu killed, %lu signalled, %lu mailboxes destroyed by the supervisor",
	       (unsigned long long)sh->ops, round,
	       (now_ns() - start) / 1e9, sh->ops / ((now_ns() - start) / 1e9),
	       self->spawns, self->kills, self->signals, self->destroys);
	TH_LOG("calls seen: %llu submitted, %llu taken, %llu completed, %llu cancelled, %llu redelivered, %llu owners died, %llu reclaimed",
	       (unsigned long long)self->sum.out_submitted,
	       (unsigned long long)self->sum.out_taken,
	       (unsigned long long)self->sum.out_completed,
	       (unsigned long long)self->sum.out_cancelled,
	       (unsigned long long)self->sum.out_redelivered,
	       (unsigned long long)self->sum.out_owner_died,
	       (unsigned long long)self->sum.out_reclaimed);
	for (i = 0; i < NOPS; i++)
		if (sh->done[i][0] + sh->done[i][1])
			TH_LOG("%-12s %8llu done, %8llu failed", op_names[i],
			       (unsigned long long)sh->done[i][1],
			       (unsigned long long)sh->done[i][0]);
	for (i = 0; i < 256; i++)
		if (sh->errnos[i])
			TH_LOG("errno %-15s %8llu", strerrorname_np(i) ?: "?",
			       (unsigned long long)sh->errnos[i]);
}

TEST_HARNESS_MAIN
