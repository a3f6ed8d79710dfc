// SPDX-License-Identifier: GPL-2.0
/*
 * Error paths that the rest of the suite left unreached (make coverage):
 * user memory that faults half way through a struct or an entry, or
 * between the two halves of a batch, an event ring that overflowed and
 * was drained to the overflow mark alone, a memory cgroup limit reached by the slot headers of a new mailbox
 * (mbx_limits_test reaches it with the pages), and a name taken while a
 * new mailbox of that name was being allocated.
 *
 * Each fault is set up with two pages: the first read-write, the second
 * read-only (or inaccessible), and the struct or entry placed across the
 * boundary so that exactly the part named faults.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/mbx.h>

#include "kselftest_harness.h"

#define MBX_DEV		"/dev/mailbox"
#define NSLOTS		70	/* more than the 64 events a session queues */

FIXTURE(errpaths) {
	int dev;
	int fd;
	long page;
	unsigned char *two;	/* two pages: RW, then as the test sets it */
	char name[MBX_NAME_MAX];
};

FIXTURE_SETUP(errpaths)
{
	struct mbx_create_args c = { .size = sizeof(c), .nslots = NSLOTS,
				     .slot_size = 64, .mode = 0600 };

	self->dev = -1;
	self->fd = -1;
	self->two = MAP_FAILED;
	if (access(MBX_DEV, F_OK))
		SKIP(return, MBX_DEV " absent: mbx.ko not loaded");
	self->dev = open(MBX_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev);
	snprintf(self->name, sizeof(self->name), "errpaths.%d", getpid());
	memcpy(c.name, self->name, strlen(self->name));
	self->fd = ioctl(self->dev, MBX_IOC_BOX_CREATE, &c);
	ASSERT_LE(0, self->fd);
	self->page = sysconf(_SC_PAGESIZE);
	self->two = mmap(NULL, 2 * self->page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->two);
}

FIXTURE_TEARDOWN(errpaths)
{
	struct mbx_destroy_args d = { .size = sizeof(d) };

	if (self->two != MAP_FAILED)
		munmap(self->two, 2 * self->page);
	if (self->fd >= 0)
		close(self->fd);
	if (self->dev >= 0) {
		memcpy(d.name, self->name, strlen(self->name));
		ioctl(self->dev, MBX_IOC_BOX_DESTROY, &d);
		close(self->dev);
	}
}

/* The second page becomes @prot; returns the address @before its start. */
static void *straddle(FIXTURE_DATA(errpaths) *self, size_t before, int prot)
{
	if (mprotect(self->two + self->page, self->page, prot))
		return NULL;
	return self->two + self->page - before;
}

/* A call submitted and taken by @fd itself: returns its slot and id. */
static int submit_and_take(int fd, struct mbx_call *c)
{
	struct mbx_acquire_args a = { .size = sizeof(a), .flags = MBX_ACQUIRE_ANY |
				      MBX_WAIT_NONBLOCK };
	struct mbx_submit_args s = { .size = sizeof(s) };
	struct mbx_take_args t = { .size = sizeof(t), .flags = MBX_WAIT_NONBLOCK };

	if (ioctl(fd, MBX_IOC_SLOT_ACQUIRE, &a))
		return -1;
	s.slot = a.out_slot;
	s.opcode = 7;
	if (ioctl(fd, MBX_IOC_CALL_SUBMIT, &s) || ioctl(fd, MBX_IOC_CALL_TAKE, &t))
		return -1;
	*c = t.out_call;
	return 0;
}

static int slot_state(int fd, unsigned int slot)
{
	struct mbx_slot_info info;
	struct mbx_slots_args a = { .size = sizeof(a), .info = (uintptr_t)&info,
				    .first = slot, .count = 1,
				    .info_size = sizeof(info) };

	return ioctl(fd, MBX_IOC_SLOT_INFO, &a) ? -1 : (int)info.state;
}

/*
 * TAKE with MBX_TAKE_COMPLETE writes done_call_id and out_flags before it
 * waits; out_flags unwritable is EFAULT, and the call is answered all the
 * same (done_call_id says so).
 */
TEST_F(errpaths, take_complete_out_flags_unwritable)
{
	const size_t off = offsetof(struct mbx_take_args, out_flags);
	struct mbx_take_args *t;
	struct mbx_call c;

	ASSERT_EQ(0, submit_and_take(self->fd, &c));
	/* done_call_id on the first page, out_flags on the second */
	t = straddle(self, off, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, t);
	memset(t, 0, sizeof(*t));
	t->size = sizeof(*t);
	t->flags = MBX_TAKE_COMPLETE | MBX_WAIT_NONBLOCK;
	t->done_call_id = c.call_id;
	t->done_slot = c.slot;
	t->done_status = -EIO;
	ASSERT_EQ(0, mprotect(self->two + self->page, self->page, PROT_READ));
	EXPECT_EQ(-1, ioctl(self->fd, MBX_IOC_CALL_TAKE, t));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, t->done_call_id);
	EXPECT_EQ(MBX_STATE_REPLIED, slot_state(self->fd, c.slot));
}

/* A struct whose size field is readable but not the rest: EFAULT. */
TEST_F(errpaths, struct_unreadable_past_its_size)
{
	static const struct {
		unsigned long cmd;
		size_t size;
	} ops[] = {
		{ MBX_IOC_API, sizeof(struct mbx_api_args) },
		{ MBX_IOC_SLOT_ACQUIRE, sizeof(struct mbx_acquire_args) },
		{ MBX_IOC_CALL_SUBMIT, sizeof(struct mbx_submit_args) },
		{ MBX_IOC_BOX_STATS, sizeof(struct mbx_stats_args) },
	};
	unsigned int i;
	__u32 *size = straddle(self, 8, PROT_NONE);

	ASSERT_NE(NULL, size);
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		size[0] = ops[i].size;
		size[1] = 0;
		EXPECT_EQ(-1, ioctl(self->fd, ops[i].cmd, size));
		EXPECT_EQ(EFAULT, errno) TH_LOG("ioctl %#lx", ops[i].cmd);
	}
	/* Nothing was acquired or submitted. */
	EXPECT_EQ(MBX_STATE_FREE, slot_state(self->fd, 0));
}

/*
 * BOX_LIST, SLOT_INFO and EVENTS_READ zero what an entry larger than the
 * kernel's holds past it: that tail unwritable is EFAULT.
 */
TEST_F(errpaths, list_entry_tail_unwritable)
{
	const size_t esize = sizeof(struct mbx_box_entry);
	struct mbx_list_args la = { .size = sizeof(la), .count = 1,
				    .entry_size = esize + 8 };

	la.entries = (uintptr_t)straddle(self, esize, PROT_READ);
	ASSERT_NE(0, la.entries);
	EXPECT_EQ(-1, ioctl(self->dev, MBX_IOC_BOX_LIST, &la));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(errpaths, slot_info_tail_unwritable)
{
	const size_t isize = sizeof(struct mbx_slot_info);
	struct mbx_slots_args a = { .size = sizeof(a), .count = 1,
				    .info_size = isize + 8 };

	a.info = (uintptr_t)straddle(self, isize, PROT_READ);
	ASSERT_NE(0, a.info);
	EXPECT_EQ(-1, ioctl(self->fd, MBX_IOC_SLOT_INFO, &a));
	EXPECT_EQ(EFAULT, errno);
}

/* An event whose tail faults is not consumed: it is read again. */
TEST_F(errpaths, events_tail_unwritable_consumes_nothing)
{
	const size_t esize = sizeof(struct mbx_event);
	struct mbx_events_args ea = { .size = sizeof(ea), .count = 4,
				      .event_size = esize + 8 };
	struct mbx_cancel_args ca = { .size = sizeof(ca) };
	struct mbx_event ev[4];
	struct mbx_call c;

	ASSERT_EQ(0, submit_and_take(self->fd, &c));
	ca.slot = c.slot;
	ca.call_id = c.call_id;
	ASSERT_EQ(0, ioctl(self->fd, MBX_IOC_CALL_CANCEL, &ca));
	ASSERT_EQ(MBX_STATE_TAKEN, ca.out_state);
	ea.events = (uintptr_t)straddle(self, esize, PROT_READ);
	ASSERT_NE(0, ea.events);
	EXPECT_EQ(-1, ioctl(self->fd, MBX_IOC_EVENTS_READ, &ea));
	EXPECT_EQ(EFAULT, errno);
	ea.events = (uintptr_t)ev;
	ea.event_size = esize;
	ASSERT_EQ(0, ioctl(self->fd, MBX_IOC_EVENTS_READ, &ea));
	ASSERT_EQ(1, ea.out_count);
	EXPECT_EQ(MBX_EVENT_CANCEL, ev[0].type);
	EXPECT_EQ(c.call_id, ev[0].call_id);
}

static short poll_events(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLPRI };

	return poll(&p, 1, 0) == 1 ? p.revents : 0;
}

/*
 * More events than the ring holds: reading exactly the ring leaves the
 * overflow alone, which poll still reports (EPOLLPRI) and the next read
 * returns as MBX_EVENT_OVERFLOW, and then nothing is left.
 */
TEST_F(errpaths, overflow_alone_after_the_ring_is_drained)
{
	struct mbx_cancel_args ca = { .size = sizeof(ca) };
	struct mbx_events_args ea = { .size = sizeof(ea),
				      .event_size = sizeof(struct mbx_event) };
	struct mbx_api_args api = { .size = sizeof(api), .api = MBX_API_VERSION };
	static struct mbx_event ev[NSLOTS];
	struct mbx_call c;
	unsigned int i, max;

	ASSERT_EQ(0, ioctl(self->fd, MBX_IOC_API, &api));
	max = api.out_max_events;
	ASSERT_GT(NSLOTS, max);
	for (i = 0; i < max + 2; i++) {
		ASSERT_EQ(0, submit_and_take(self->fd, &c));
		ca.slot = c.slot;
		ca.call_id = c.call_id;
		ASSERT_EQ(0, ioctl(self->fd, MBX_IOC_CALL_CANCEL, &ca));
	}
	ea.events = (uintptr_t)ev;
	ea.count = max;
	ASSERT_EQ(0, ioctl(self->fd, MBX_IOC_EVENTS_READ, &ea));
	ASSERT_EQ(max, ea.out_count);
	for (i = 0; i < max; i++)
		EXPECT_EQ(MBX_EVENT_CANCEL, ev[i].type);
	EXPECT_EQ(POLLPRI, poll_events(self->fd) & POLLPRI);
	ea.count = NSLOTS;
	ASSERT_EQ(0, ioctl(self->fd, MBX_IOC_EVENTS_READ, &ea));
	ASSERT_EQ(1, ea.out_count);
	EXPECT_EQ(MBX_EVENT_OVERFLOW, ev[0].type);
	EXPECT_EQ(0, ev[0].call_id);
	EXPECT_EQ(0, poll_events(self->fd) & POLLPRI);
	ASSERT_EQ(0, ioctl(self->fd, MBX_IOC_EVENTS_READ, &ea));
	EXPECT_EQ(0, ea.out_count);
}

/* ---- memory cgroup ---- */

#define CGROOT	"/sys/fs/cgroup"

static int write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -1;
}

static long read_long(const char *path)
{
	char buf[64] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? strtol(buf, NULL, 10) : -1;
}

/*
 * A batch that does both halves writes the first half's counts to its
 * argument struct before the second half waits: a struct that is
 * readable but not writable is EFAULT there, once the first half is done
 * (the call is pending; the answer is queued).
 */
TEST_F(errpaths, batch_call_counts_unwritable)
{
	struct mbx_acquire_args a = { .size = sizeof(a), .flags = MBX_ACQUIRE_ANY |
				      MBX_WAIT_NONBLOCK };
	struct mbx_batch_submit e = { .opcode = 7 };
	struct mbx_batch_call_args *b;
	struct mbx_call reply;

	ASSERT_EQ(0, ioctl(self->fd, MBX_IOC_SLOT_ACQUIRE, &a));
	e.slot = a.out_slot;
	b = straddle(self, 0, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, b);
	memset(b, 0, sizeof(*b));
	b->size = sizeof(*b);
	b->flags = MBX_WAIT_NONBLOCK;
	b->submit = (uintptr_t)&e;
	b->nsubmit = 1;
	b->collect = (uintptr_t)&reply;
	b->ncollect = 1;
	ASSERT_EQ(0, mprotect(self->two + self->page, self->page, PROT_READ));
	EXPECT_EQ(-1, ioctl(self->fd, MBX_IOC_BATCH_CALL, b));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, e.out_result);
	EXPECT_EQ(MBX_STATE_PENDING, slot_state(self->fd, a.out_slot));
}

TEST_F(errpaths, batch_serve_counts_unwritable)
{
	struct mbx_batch_serve_args *b;
	struct mbx_batch_complete e;
	struct mbx_call c, taken;

	ASSERT_EQ(0, submit_and_take(self->fd, &c));
	memset(&e, 0, sizeof(e));
	e.call_id = c.call_id;
	e.slot = c.slot;
	b = straddle(self, 0, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, b);
	memset(b, 0, sizeof(*b));
	b->size = sizeof(*b);
	b->flags = MBX_WAIT_NONBLOCK;
	b->complete = (uintptr_t)&e;
	b->ncomplete = 1;
	b->take = (uintptr_t)&taken;
	b->ntake = 1;
	ASSERT_EQ(0, mprotect(self->two + self->page, self->page, PROT_READ));
	EXPECT_EQ(-1, ioctl(self->fd, MBX_IOC_BATCH_SERVE, b));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, e.out_result);
	EXPECT_EQ(MBX_STATE_REPLIED, slot_state(self->fd, c.slot));
}

/* A memory cgroup of our own in @path; NULL, or why there is none. */
static const char *memcg_make(char *path, size_t len)
{
	char buf[256] = "";
	int fd;

	if (geteuid())
		return "needs root";
	if (access(CGROOT "/cgroup.controllers", F_OK) &&
	    mount("none", CGROOT, "cgroup2", 0, NULL))
		return "no cgroup2 at " CGROOT;
	fd = open(CGROOT "/cgroup.subtree_control", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, buf, sizeof(buf) - 1) < 0)
		buf[0] = 0;
	if (fd >= 0)
		close(fd);
	if (!strstr(buf, "memory") &&
	    write_str(CGROOT "/cgroup.subtree_control", "+memory"))
		return "the memory controller cannot be enabled";
	snprintf(path, len, CGROOT "/mbx-errpaths.%d", getpid());
	if (mkdir(path, 0755))
		return "cannot make a cgroup";
	return NULL;
}

/*
 * In a child: enter @cg, allow @room bytes more than it holds now, and
 * create a mailbox of @nslots slots of @slot_size; exits with the errno
 * (0: created).  The stack it uses is written before it enters, so that
 * its copy-on-write faults are not charged to the small limit.
 */
static int create_in_memcg(int dev, const char *cg, unsigned long room,
			   __u32 nslots, __u32 slot_size)
{
	struct mbx_create_args c = { .size = sizeof(c), .nslots = nslots,
				     .slot_size = slot_size, .mode = 0600 };
	char path[256], val[32];
	volatile char warm[32 << 10];
	int status, err;
	long cur;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid) {
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
			return -1;
		return WEXITSTATUS(status);
	}
	memset((char *)warm, 1, sizeof(warm));
	snprintf((char *)c.name, sizeof(c.name), "errpaths.cg.%d", getpid());
	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	snprintf(val, sizeof(val), "%d", getpid());
	if (write_str(path, val))
		_exit(255);
	snprintf(path, sizeof(path), "%s/memory.current", cg);
	cur = read_long(path);
	snprintf(path, sizeof(path), "%s/memory.max", cg);
	snprintf(val, sizeof(val), "%lu", cur + room);
	if (cur < 0 || write_str(path, val))
		_exit(255);
	err = ioctl(dev, MBX_IOC_BOX_CREATE, &c) < 0 ? errno : 0;
	write_str(path, "max");
	_exit(err);
}

/*
 * A new mailbox's page array, then its pages, then its slot headers are
 * charged to the creator's memory cgroup: a limit that the pages fit in
 * and the headers do not is ENOMEM (never the OOM killer, which would
 * fail the run).
 */
TEST_F(errpaths, memcg_limit_reached_by_the_slot_headers)
{
	struct mbx_api_args api = { .size = sizeof(api), .api = MBX_API_VERSION };
	char cg[128];
	const char *why;

	ASSERT_EQ(0, ioctl(self->dev, MBX_IOC_API, &api));
	if (api.out_max_slots < 65536)
		SKIP(return, "max_slots is %u, below 65536", api.out_max_slots);
	why = memcg_make(cg, sizeof(cg));
	if (why)
		SKIP(return, "%s", why);
	/* 65536 slots of 64 bytes: 8 MiB of pages, about 17 MiB of headers */
	EXPECT_EQ(ENOMEM, create_in_memcg(self->dev, cg, 12 << 20, 65536, 64));
	EXPECT_EQ(0, rmdir(cg));
}

struct big_create {
	int dev;
	const char *name;
	__u32 nslots;
	int err;		/* errno of the create, 0: created */
	int fd;
};

static void *create_big(void *arg)
{
	struct big_create *b = arg;
	struct mbx_create_args c = { .size = sizeof(c), .nslots = b->nslots,
				     .slot_size = 4096, .mode = 0600,
				     .flags = MBX_CREATE_CLOEXEC };

	memcpy(c.name, b->name, strlen(b->name));
	b->fd = ioctl(b->dev, MBX_IOC_BOX_CREATE, &c);
	b->err = b->fd < 0 ? errno : 0;
	return NULL;
}

/*
 * A name is checked before a new mailbox's memory is allocated and again
 * once it is, under the registry's lock: a mailbox of that name created
 * meanwhile makes the slow create EEXIST, and what it had allocated and
 * charged is given back. The slow one is the largest mailbox allowed
 * (tens of milliseconds of allocation); the other, of one slot, starts
 * 20 ms after it. Either way exactly one of them gets the name; the
 * second check is reached when the slow one is EEXIST (make coverage
 * shows it), which the timing makes likely but cannot promise.
 */
TEST_F(errpaths, create_same_name_while_allocating)
{
	struct mbx_api_args api = { .size = sizeof(api), .api = MBX_API_VERSION };
	struct mbx_create_args c = { .size = sizeof(c), .nslots = 1,
				     .slot_size = 64, .mode = 0600,
				     .flags = MBX_CREATE_CLOEXEC };
	struct mbx_destroy_args d = { .size = sizeof(d) };
	char name[MBX_NAME_MAX] = "";
	struct big_create b;
	unsigned int i, late = 0;
	pthread_t thr;
	int fd;

	ASSERT_EQ(0, ioctl(self->dev, MBX_IOC_API, &api));
	snprintf(name, sizeof(name), "errpaths.race.%d", getpid());
	memcpy(c.name, name, strlen(name));
	memcpy(d.name, name, strlen(name));
	b.dev = self->dev;
	b.name = name;
	b.nslots = api.out_max_box_bytes / 2 / 4096;
	if (b.nslots > api.out_max_slots)
		b.nslots = api.out_max_slots;
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, pthread_create(&thr, NULL, create_big, &b));
		usleep(20000);
		fd = ioctl(self->dev, MBX_IOC_BOX_CREATE, &c);
		ASSERT_EQ(0, pthread_join(thr, NULL));
		if (fd >= 0) {
			/* The small one got the name: the big one is EEXIST. */
			EXPECT_EQ(EEXIST, b.err);
			EXPECT_GT(0, b.fd);
			late++;
			close(fd);
		} else {
			EXPECT_EQ(EEXIST, errno);
			EXPECT_EQ(0, b.err) TH_LOG("%s", strerror(b.err));
			if (b.fd >= 0)
				close(b.fd);
		}
		EXPECT_EQ(0, ioctl(self->dev, MBX_IOC_BOX_DESTROY, &d));
	}
	TH_LOG("the slow create lost the name %u time(s) of 3", late);
}

TEST_HARNESS_MAIN
