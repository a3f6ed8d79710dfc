/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The parties' plumbing shared by the process-level selftests (cancel,
 * recovery, inspect, notify): mailboxes of NSLOTS x SLOT_SIZE created,
 * opened and mapped; one wrapper per ioctl that fills its args, prefills
 * every output with 0xcc and returns -errno; a tagged payload with a
 * checksum; and child processes (spawn, reap, kill) that meet on futexes
 * in shared memory. Every blocking wait is bounded by SAFETY_MS, so that a
 * lost wakeup fails a test instead of hanging it.
 *
 * Include it after kselftest_harness.h and mbx_common.h.
 */
#ifndef MBX_SELFTEST_PARTY_H
#define MBX_SELFTEST_PARTY_H

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/mbx.h>

#include "mbx_common.h"

#define SAFETY_MS	10000		/* generous bound on any wait */

#define NSLOTS		8
#define SLOT_SIZE	256
#define CALL_LEN	200
#define REPLY_LEN	240
#define OPCODE		7
#define REPLY_SALT	0x5eedf00dcafe1234ULL

/* ------------------------------------------------------------------ */
/* Plumbing                                                             */

static inline __u64 deadline(unsigned int ms)
{
	return mbx_now_ns() + (__u64)ms * 1000000ULL;
}

/* Create a mailbox; returns its fd or -errno. */
static inline int box_create(const char *name, __u32 nslots, __u64 reclaim_ns)
{
	struct mbx_create_args a;
	int dev, fd;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = MBX_CREATE_CLOEXEC;
	mbx_set_name(a.name, name);
	a.nslots = nslots;
	a.slot_size = SLOT_SIZE;
	a.mode = 0600;
	a.reclaim_ns = reclaim_ns;
	dev = mbx_dev_open();
	if (dev < 0)
		return dev;
	fd = mbx_ioctl(dev, MBX_IOC_BOX_CREATE, &a);
	close(dev);
	return fd;
}

static inline int box_open(const char *name, __u32 access)
{
	int dev = mbx_dev_open(), fd;

	if (dev < 0)
		return dev;
	fd = mbx_open(dev, name, access);
	close(dev);
	return fd;
}

static inline int box_destroy(const char *name)
{
	int dev = mbx_dev_open(), ret;

	if (dev < 0)
		return dev;
	ret = mbx_destroy(dev, name);
	close(dev);
	return ret;
}

/* A mailbox fd and its read-write mapping. */
struct tbox {
	int fd;
	__u32 nslots;
	__u32 slot_size;
	struct mbx_map m;
};

static inline int tbox_attach(struct tbox *b, int fd)
{
	int ret = mbx_map(fd, PROT_READ | PROT_WRITE, &b->m);

	if (ret)
		return ret;
	b->fd = fd;
	b->nslots = b->m.nslots;
	b->slot_size = b->m.slot_size;
	return 0;
}

/* Open @name read-write and map it; returns 0 or -errno. */
static inline int tbox_open(struct tbox *b, const char *name)
{
	int fd = box_open(name, MBX_ACCESS_READ | MBX_ACCESS_WRITE);
	int ret;

	if (fd < 0)
		return fd;
	ret = tbox_attach(b, fd);
	if (ret)
		close(fd);
	return ret;
}

static inline void tbox_close(struct tbox *b)
{
	mbx_unmap(&b->m);
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
}

static inline unsigned char *call_plane(struct tbox *b, __u32 slot)
{
	return mbx_call_plane(&b->m, slot);
}

static inline unsigned char *reply_plane(struct tbox *b, __u32 slot)
{
	return mbx_reply_plane(&b->m, slot);
}

/*
 * The wait flags of a blocking call: nonblocking if asked, else a wait
 * bounded by SAFETY_MS, so that a lost wakeup fails the test, not hangs it.
 */
static inline __u32 wait_flags(__u32 flags, __u64 *timeout_ns)
{
	if (flags & MBX_WAIT_NONBLOCK) {
		*timeout_ns = 0;
		return flags;
	}
	*timeout_ns = deadline(SAFETY_MS);
	return flags | MBX_WAIT_TIMEOUT;
}

/* Returns the slot acquired, or -errno. */
static inline int acquire_any(int fd, __u32 flags, __u32 *out_flags)
{
	struct mbx_acquire_args a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = MBX_ACQUIRE_ANY | wait_flags(flags, &a.timeout_ns);
	a.out_slot = 0xcccccccc;
	a.out_flags = 0xcccccccc;
	ret = mbx_ioctl(fd, MBX_IOC_SLOT_ACQUIRE, &a);
	if (ret)
		return ret;
	if (out_flags)
		*out_flags = a.out_flags;
	return a.out_slot;
}

static inline int acquire_slot(int fd, __u32 slot, __u32 flags,
			       __u32 *out_flags)
{
	struct mbx_acquire_args a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = wait_flags(flags, &a.timeout_ns);
	a.slot = slot;
	a.out_flags = 0xcccccccc;
	ret = mbx_ioctl(fd, MBX_IOC_SLOT_ACQUIRE, &a);
	if (!ret && out_flags)
		*out_flags = a.out_flags;
	return ret;
}

static inline int slot_release(int fd, __u32 slot)
{
	return mbx_release(fd, slot);
}

static inline int call_submit(int fd, __u32 slot, __u32 len, __u32 flags,
			      __u64 user_data, __u64 *id)
{
	struct mbx_submit_args a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.call_flags = flags;
	a.slot = slot;
	a.opcode = OPCODE;
	a.len = len;
	a.user_data = user_data;
	a.out_call_id = 0xccccccccccccccccULL;
	ret = mbx_ioctl(fd, MBX_IOC_CALL_SUBMIT, &a);
	if (!ret)
		*id = a.out_call_id;
	return ret;
}

/* Take the oldest pending call. */
static inline int call_take(int fd, __u32 flags, struct mbx_call *c)
{
	struct mbx_take_args a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = wait_flags(flags, &a.timeout_ns);
	memset(&a.out_call, 0xcc, sizeof(a.out_call));
	ret = mbx_ioctl(fd, MBX_IOC_CALL_TAKE, &a);
	if (!ret)
		*c = a.out_call;
	return ret;
}

static inline int call_complete(int fd, __u32 slot, __u64 id,
				__s32 status, __u32 len)
{
	return mbx_complete(fd, slot, id, status, len);
}

/*
 * Collect a reply: with MBX_COLLECT_CALL in @flags the call (slot, id),
 * else any of this fd's (then @slot and @id are 0).
 */
static inline int call_collect(int fd, __u32 flags, __u32 slot, __u64 id,
			       struct mbx_call *c)
{
	struct mbx_collect_args a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = wait_flags(flags, &a.timeout_ns);
	a.slot = slot;
	a.call_id = id;
	memset(&a.out_call, 0xcc, sizeof(a.out_call));
	ret = mbx_ioctl(fd, MBX_IOC_CALL_COLLECT, &a);
	if (!ret)
		*c = a.out_call;
	return ret;
}

static inline int call_cancel(int fd, __u32 slot, __u64 id, __u32 *out_state)
{
	struct mbx_cancel_args a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.slot = slot;
	a.call_id = id;
	a.out_state = 0xcccccccc;
	ret = mbx_ioctl(fd, MBX_IOC_CALL_CANCEL, &a);
	if (!ret && out_state)
		*out_state = a.out_state;
	return ret;
}

/* Drain up to @n events; returns how many, or -errno. */
static inline int events_read(int fd, struct mbx_event *ev, __u32 n)
{
	struct mbx_events_args a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.events = (uintptr_t)ev;
	a.count = n;
	a.event_size = sizeof(*ev);
	a.out_count = 0xcccccccc;
	memset(ev, 0xcc, n * sizeof(*ev));
	ret = mbx_ioctl(fd, MBX_IOC_EVENTS_READ, &a);
	return ret ? ret : (int)a.out_count;
}

static inline int slot_get(int fd, __u32 slot, struct mbx_slot_info *si)
{
	return mbx_slot_info(fd, slot, si);
}

static inline int box_stats(int fd, struct mbx_stats_args *st)
{
	memset(st, 0xcc, sizeof(*st));
	st->size = sizeof(*st);
	st->flags = 0;
	return mbx_ioctl(fd, MBX_IOC_BOX_STATS, st);
}

static inline int box_reclaim(int fd, __u64 min_age_ns)
{
	struct mbx_reclaim_args a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.min_age_ns = min_age_ns;
	a.out_count = 0xcccccccc;
	ret = mbx_ioctl(fd, MBX_IOC_BOX_RECLAIM, &a);
	return ret ? ret : (int)a.out_count;
}

/* poll() for @events; returns the revents seen (0 on timeout). */
static inline short poll_for(int fd, short events, int ms)
{
	struct pollfd p = { .fd = fd, .events = events };

	if (poll(&p, 1, ms) < 0)
		return -1;
	return p.revents;
}

/* ---- payload: a tagged pattern with a checksum ---- */

static inline __u64 mix64(__u64 x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static inline __u32 csum32(const unsigned char *p, size_t n)
{
	__u32 h = 2166136261u;

	while (n--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

/*
 * Layout: tag (8 bytes), length (4), checksum of the rest (4), then
 * bytes derived from the tag.
 */
static inline void payload_fill(unsigned char *p, __u32 len, __u64 tag)
{
	__u32 i, sum;

	for (i = 16; i < len; i++)
		p[i] = mix64(tag ^ (i / 8)) >> (8 * (i % 8));
	sum = csum32(p + 16, len - 16);
	memcpy(p, &tag, 8);
	memcpy(p + 8, &len, 4);
	memcpy(p + 12, &sum, 4);
}

static inline bool payload_ok(const unsigned char *p, __u32 len, __u64 tag)
{
	__u64 t;
	__u32 l, sum, i;

	memcpy(&t, p, 8);
	memcpy(&l, p + 8, 4);
	memcpy(&sum, p + 12, 4);
	if (t != tag || l != len || sum != csum32(p + 16, len - 16))
		return false;
	for (i = 16; i < len; i++)
		if (p[i] != (unsigned char)(mix64(tag ^ (i / 8)) >> (8 * (i % 8))))
			return false;
	return true;
}

/* ---- processes ---- */

static inline void *shm_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* fork(); the child runs @fn and exits with its return value. */
static inline pid_t spawn(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();

	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(fn(arg));
	}
	return pid;
}

/* Wait for @pid: its exit status, or 128 + the signal that killed it. */
static inline int reap(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + WTERMSIG(st);
}

static inline int kill_reap(pid_t pid)
{
	kill(pid, SIGKILL);
	return reap(pid);
}

static inline long futex(_Atomic __u32 *addr, int op, __u32 val, int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	return syscall(SYS_futex, addr, op, val, ms ? &ts : NULL, NULL, 0);
}

static inline void bump(_Atomic __u32 *a)
{
	atomic_fetch_add(a, 1);
	futex(a, FUTEX_WAKE, INT_MAX, 0);
}

/* Wait until *@a >= @want; 0 or -ETIMEDOUT after SAFETY_MS. */
static inline int wait_ge(_Atomic __u32 *a, __u32 want)
{
	__u64 end = deadline(SAFETY_MS);
	__u32 v;

	while ((v = atomic_load(a)) < want) {
		if (mbx_now_ns() > end)
			return -ETIMEDOUT;
		futex(a, FUTEX_WAIT, v, 100);
	}
	return 0;
}

/* A child stops where it is told to and waits there to be killed. */
static inline void hang(void)
{
	for (;;)
		pause();
}

#endif /* MBX_SELFTEST_PARTY_H */
