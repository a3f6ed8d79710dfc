// SPDX-License-Identifier: GPL-2.0
/*
 * The allocation failures of every operation that allocates, reached one
 * by one with the kernel's systematic fault injection
 * (Documentation/fault-injection/fault-injection.rst, "fail-nth"): a
 * thread that writes n to /proc/thread-self/fail-nth has its n-th
 * fault-injectable allocation fail, slab (failslab) or page
 * (fail_page_alloc), and reads back what is left of the count, 0 once the
 * failure was injected.
 *
 * For each operation, n = 1, 2, 3...: arm fail-nth with n, run the
 * operation once, disarm. While the failure was injected, the operation
 * either fails with ENOMEM and leaves nothing behind (no mailbox, fd,
 * session, event consumed, quota charged or mapping), or succeeds because
 * the kernel fell back (kvmalloc to vmalloc, kmemleak to its pool, a slab
 * to a smaller order), and then what it made works. The loop ends at the
 * first run in which fail-nth was not consumed: the operation's fault
 * points are all behind. The counts are printed. The _tail variants of
 * BOX_CREATE fail every slab allocation from the n-th on (make-it-fail
 * with failslab's probability 100, for this thread alone, while the
 * operation runs), which reaches the failures behind a retry: xa_store()
 * retries a node that failed without sleeping with one that may sleep.
 *
 * The operations: MBX_IOC_BOX_CREATE (the accounting entry, the mailbox,
 * its page array, every page, vmap(), the slot headers, the registry's
 * xarray node, the session, the file and fd), with the mailbox quota at
 * its limit, for a one-page mailbox and for one whose slot headers need
 * more than a page; MBX_IOC_BOX_OPEN (session, file and fd);
 * MBX_IOC_EVENTS_READ (the bounce buffer); mmap() of a mailbox fd (the
 * VMA and the page tables of vm_map_pages()). The call path and the
 * batches allocate nothing: each of their ioctls runs with fail-nth armed
 * and leaves it untouched.
 *
 * Skips where the kernel has no fault injection (Debian's kernels; the
 * debug kernel of tools/vm/debug.config has it), or no debugfs knobs.
 * The knobs are set for the test and restored after it: ignore-gfp-wait
 * off on both (the module allocates with GFP_KERNEL, which may sleep),
 * fail_page_alloc's min-order 0 (alloc_page() is order 0), verbose 0 (no
 * report per failure in the kernel log). probability stays 0, so that
 * no other task's allocation fails. ignore-gfp-highmem stays on: the
 * module never allocates highmem, and the user pages a fault in of this
 * thread allocates do (__GFP_HIGHMEM), which would fail copies to user
 * memory with EFAULT rather than reach the module's error paths.
 */
#define _GNU_SOURCE
#include <sys/mount.h>

#include "mbx_helpers.h"
#include "kselftest_harness.h"

#define FAIL_NTH	"/proc/thread-self/fail-nth"
#define MAKE_IT_FAIL	"/proc/thread-self/make-it-fail"
#define FAILSLAB	"/sys/kernel/debug/failslab/"
#define FAIL_PAGE	"/sys/kernel/debug/fail_page_alloc/"

/* No operation here has that many fault points: a loop that never ends. */
#define MAX_NTH		2000

/*
 * @tail: only for the tests that fail every slab allocation from the n-th
 * on (struct fi, @tail); probability 100 applies to the tasks with
 * make-it-fail set alone (task-filter), and only this thread sets it,
 * only while an operation runs.
 */
static const struct {
	const char *path;
	const char *val;
	bool tail;
} knobs[] = {
	{ FAILSLAB "ignore-gfp-wait", "N", false },
	{ FAILSLAB "verbose", "0", false },
	{ FAIL_PAGE "ignore-gfp-wait", "N", false },
	{ FAIL_PAGE "min-order", "0", false },
	{ FAIL_PAGE "verbose", "0", false },
	{ FAILSLAB "task-filter", "Y", true },
	{ FAILSLAB "interval", "1", true },
	{ FAILSLAB "space", "0", true },
	{ FAILSLAB "times", "-1", true },
	{ FAILSLAB "probability", "100", true },
};

#define NKNOBS	ARRAY_SIZE(knobs)

/* What every fixture of this file holds. */
struct fi {
	pid_t pid;
	int dev;
	int nth;			/* FAIL_NTH, this thread's */
	/*
	 * Not only the n-th slab allocation fails but every one after it
	 * too, until the operation returns (MAKE_IT_FAIL, this thread's,
	 * is set while it runs): a path that retries or falls back after a
	 * failure fails as well (xa_store() retries an allocation that
	 * failed without sleeping with one that may sleep).
	 */
	bool tail;
	int mif;			/* MAKE_IT_FAIL, with @tail */
	int guard;			/* params_guard() */
	bool knobs_set;
	bool params_set;
	char saved_knob[NKNOBS][16];
	struct params saved;
	unsigned long live0;		/* live_boxes before the test */
	int free_fd;			/* the lowest free fd before the loop */
	char name[MBX_NAME_MAX];
};

static void fi_setup(struct __test_metadata *_metadata, struct fi *fi,
		     bool tail)
{
	size_t i;

	fi->pid = getpid();
	fi->dev = -1;
	fi->nth = -1;
	fi->mif = -1;
	fi->guard = -1;
	fi->tail = tail;
	if (mbx_device_absent())
		SKIP_SETUP(MBX_DEV " absent: mbx.ko not loaded");
	if (geteuid())
		SKIP_SETUP("needs root for the fault injection knobs");
	if (access(FAIL_NTH, F_OK))
		SKIP_SETUP("no " FAIL_NTH ": the kernel has no CONFIG_FAULT_INJECTION");
	if (access(FAILSLAB, F_OK))
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	if (access(FAILSLAB "ignore-gfp-wait", W_OK))
		SKIP_SETUP("no " FAILSLAB ": the kernel has no CONFIG_FAILSLAB"
			   " or CONFIG_FAULT_INJECTION_DEBUG_FS");
	if (access(FAIL_PAGE "ignore-gfp-wait", W_OK))
		SKIP_SETUP("no " FAIL_PAGE ": the kernel has no CONFIG_FAIL_PAGE_ALLOC");

	ASSERT_EQ(0, params_save(&fi->saved));
	fi->guard = params_guard(&fi->saved);
	ASSERT_LE(0, fi->guard);
	fi->params_set = true;
	for (i = 0; i < NKNOBS; i++) {
		char *nl;

		if (knobs[i].tail && !tail)
			continue;
		ASSERT_EQ(0, file_read(knobs[i].path, fi->saved_knob[i],
				       sizeof(fi->saved_knob[i])));
		nl = strchr(fi->saved_knob[i], '\n');
		if (nl)
			*nl = '\0';
	}
	fi->knobs_set = true;
	for (i = 0; i < NKNOBS; i++)
		if (!knobs[i].tail || tail)
			ASSERT_EQ(0, file_write(knobs[i].path, knobs[i].val))
				TH_LOG("%s: %s", knobs[i].path,
				       strerror(errno));

	fi->nth = open(FAIL_NTH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fi->nth);
	if (tail) {
		fi->mif = open(MAKE_IT_FAIL, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, fi->mif);
	}
	fi->dev = mbx_dev_open();
	ASSERT_LE(0, fi->dev);
	fi->live0 = param_get("live_boxes");
	ASSERT_NE(-1UL, fi->live0);
	mbx_unique_name(fi->name, "faults");
}

static void fi_teardown(struct fi *fi)
{
	size_t i;

	if (getpid() != fi->pid)
		return;
	if (fi->nth >= 0) {
		if (pwrite(fi->nth, "0", 1, 0) != 1)
			fprintf(stderr, "# fail-nth: %s\n", strerror(errno));
		close(fi->nth);
	}
	if (fi->mif >= 0) {
		if (pwrite(fi->mif, "0", 1, 0) != 1)
			fprintf(stderr, "# make-it-fail: %s\n", strerror(errno));
		close(fi->mif);
	}
	if (fi->dev >= 0) {
		mbx_destroy(fi->dev, fi->name);
		close(fi->dev);
	}
	/* probability first: then task-filter and the rest */
	if (fi->knobs_set)
		for (i = NKNOBS; i-- > 0;)
			if (!knobs[i].tail || fi->tail)
				file_write(knobs[i].path, fi->saved_knob[i]);
	if (fi->params_set) {
		params_restore(&fi->saved);
		if (write(fi->guard, "r", 1) != 1)
			fprintf(stderr, "# the guardian is gone\n");
		close(fi->guard);
	}
}

/*
 * Run @op(@ctx) once with this thread's @nth fault-injectable allocation
 * set to fail (with @fi->tail, every slab allocation after it too): what
 * @op returned (>= 0, or -errno), or INT_MIN if fail-nth could not be
 * armed or read. *@injected: the failure was injected. The count is
 * disarmed before anything else runs.
 */
static int inject(struct fi *fi, unsigned int nth, int (*op)(void *),
		  void *ctx, bool *injected)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", nth);
	ssize_t n;
	int ret;

	if (pwrite(fi->nth, buf, len, 0) != len)
		return INT_MIN;
	if (fi->tail && pwrite(fi->mif, "1", 1, 0) != 1)
		return INT_MIN;
	ret = op(ctx);
	if (fi->tail && pwrite(fi->mif, "0", 1, 0) != 1)
		return INT_MIN;
	n = pread(fi->nth, buf, sizeof(buf) - 1, 0);
	if (pwrite(fi->nth, "0", 1, 0) != 1 || n <= 0)
		return INT_MIN;
	buf[n] = '\0';
	*injected = strtoul(buf, NULL, 10) == 0;
	return ret;
}

/*
 * One operation under fault injection.
 * @what:	its name, for the counts printed.
 * @min_enomem:	the fewest ENOMEM returns it must have: the module's own
 *		allocations on its path (each fails it), so that a knob
 *		that did not take cannot pass the test.
 * @attempt:	the operation, once: >= 0 or -errno.
 * @failed:	after an ENOMEM: nothing was made, nothing consumed.
 * @succeeded:	after a success (@ret what @attempt returned): what was
 *		made works. @last: fail-nth was not consumed; otherwise a
 *		fallback absorbed the failure, and @succeeded undoes what
 *		was made, so that the next attempt starts where this one did.
 */
struct fault_op {
	const char *what;
	unsigned int min_enomem;
	int (*attempt)(void *ctx);
	void (*failed)(struct __test_metadata *_metadata, void *ctx);
	void (*succeeded)(struct __test_metadata *_metadata, void *ctx,
			  int ret, bool last);
};

/* n = 1, 2, 3...: every fault point of @op in turn. */
static void fault_loop(struct __test_metadata *_metadata, struct fi *fi,
		       const struct fault_op *op, void *ctx)
{
	unsigned int nth, enomem = 0, absorbed = 0;
	bool injected = false;
	int ret;

	for (nth = 1; nth <= MAX_NTH; nth++) {
		ret = inject(fi, nth, op->attempt, ctx, &injected);
		ASSERT_NE(INT_MIN, ret)
			TH_LOG(FAIL_NTH ": %s", strerror(errno));
		if (!injected) {
			ASSERT_LE(0, ret)
				TH_LOG("%s: %s with no failure injected",
				       op->what, strerror(-ret));
			op->succeeded(_metadata, ctx, ret, true);
			break;
		}
		if (ret >= 0) {
			absorbed++;
			op->succeeded(_metadata, ctx, ret, false);
			continue;
		}
		ASSERT_EQ(-ENOMEM, ret)
			TH_LOG("%s with allocation %u failed: %s", op->what,
			       nth, strerror(-ret));
		enomem++;
		op->failed(_metadata, ctx);
	}
	ASSERT_LE(nth, MAX_NTH)
		TH_LOG("%s: still failing after %u allocations", op->what,
		       MAX_NTH);
	ksft_print_msg("%s: %u fault points: %u ENOMEM, %u absorbed by a fallback\n",
		       op->what, nth - 1, enomem, absorbed);
	/* The harness ends a test with _exit(): no stdio flush of its own. */
	fflush(stdout);
	EXPECT_LE(op->min_enomem, enomem);
}

/* The mailboxes in the caller's user namespace, as BOX_LIST counts them. */
static int box_total(int dev)
{
	struct mbx_list_args a = { .size = sizeof(a) };
	int ret = mbx_ioctl(dev, MBX_IOC_BOX_LIST, &a);

	return ret ? ret : (int)a.out_total;
}

/*
 * One call through @fd, which both calls and serves: the call's payload
 * and the reply's arrive intact through the mapping.
 */
static void round_trip(struct __test_metadata *_metadata, int fd)
{
	struct mbx_call c, r;
	struct tbox b;
	__u64 id;
	int slot;

	ASSERT_EQ(0, tbox_attach(&b, fd));
	slot = acquire_any(fd, MBX_WAIT_NONBLOCK, NULL);
	ASSERT_LE(0, slot);
	payload_fill(call_plane(&b, slot), 64, 0xf1);
	ASSERT_EQ(0, call_submit(fd, slot, 64, 0, 0xf1, &id));
	ASSERT_EQ(0, call_take(fd, MBX_WAIT_NONBLOCK, &c));
	EXPECT_EQ(id, c.call_id);
	EXPECT_EQ(64, c.len);
	EXPECT_TRUE(payload_ok(call_plane(&b, c.slot), 64, 0xf1));
	payload_fill(reply_plane(&b, c.slot), 64, 0xf2);
	ASSERT_EQ(0, call_complete(fd, c.slot, c.call_id, 0, 64));
	ASSERT_EQ(0, call_collect(fd, MBX_COLLECT_CALL, c.slot, id, &r));
	EXPECT_EQ(0, r.status);
	EXPECT_EQ(0xf1, r.user_data);
	EXPECT_TRUE(payload_ok(reply_plane(&b, r.slot), 64, 0xf2));
	ASSERT_EQ(0, slot_release(fd, r.slot));
	mbx_unmap(&b.m);
}

/* ------------------------------------------------------------------ */
/* MBX_IOC_BOX_CREATE                                                   */

FIXTURE(create) {
	struct fi fi;
};

/*
 * The shape of the mailbox: one page per plane, or 32 slots of 2 KiB,
 * whose slot headers take more than a page (kvcalloc() falls back to
 * vmalloc(), whose own allocations fail in turn). @tail: the n-th slab
 * allocation and every one after it fail (struct fi).
 */
FIXTURE_VARIANT(create) {
	__u32 nslots;
	__u32 slot_size;
	bool tail;
};

FIXTURE_VARIANT_ADD(create, one_page) {
	.nslots = 1,
	.slot_size = 64,
};

FIXTURE_VARIANT_ADD(create, vmalloc_headers) {
	.nslots = 32,
	.slot_size = 2048,
};

FIXTURE_VARIANT_ADD(create, one_page_tail) {
	.nslots = 1,
	.slot_size = 64,
	.tail = true,
};

FIXTURE_VARIANT_ADD(create, vmalloc_headers_tail) {
	.nslots = 32,
	.slot_size = 2048,
	.tail = true,
};

FIXTURE_SETUP(create)
{
	fi_setup(_metadata, &self->fi, variant->tail);
	/* The quota at its limit: a failed create that kept its charge
	 * would make every later one ENOSPC.
	 */
	ASSERT_EQ(0, param_set("max_boxes", self->fi.live0 + 1));
	ASSERT_EQ(0, param_set("user_max_boxes", self->fi.live0 + 1));
}

FIXTURE_TEARDOWN(create)
{
	fi_teardown(&self->fi);
}

struct create_ctx {
	struct fi *fi;
	__u32 nslots;
	__u32 slot_size;
	int total0;
};

static int create_attempt(void *arg)
{
	struct create_ctx *x = arg;

	return mbx_create(x->fi->dev, x->fi->name, x->nslots, x->slot_size,
			  0600);
}

static void create_failed(struct __test_metadata *_metadata, void *arg)
{
	struct create_ctx *x = arg;

	EXPECT_EQ(x->fi->live0, param_get("live_boxes"));
	EXPECT_EQ(x->total0, box_total(x->fi->dev));
	EXPECT_EQ(-ENOENT, mbx_open(x->fi->dev, x->fi->name, MBX_ACCESS_READ));
	EXPECT_EQ(x->fi->free_fd, lib_lowest_free_fd());
}

static void create_succeeded(struct __test_metadata *_metadata, void *arg,
			     int fd, bool last)
{
	struct create_ctx *x = arg;
	struct mbx_info_args info;

	ASSERT_EQ(0, mbx_info(fd, &info));
	EXPECT_EQ(x->nslots, info.out_nslots);
	EXPECT_EQ(x->slot_size, info.out_slot_size);
	EXPECT_EQ(x->fi->live0 + 1, param_get("live_boxes"));
	round_trip(_metadata, fd);
	if (last) {
		char other[MBX_NAME_MAX];
		int ret;

		/* At the limit now: the quota is the one mailbox. */
		mbx_unique_name(other, "faults");
		ret = mbx_create(x->fi->dev, other, 1, 64, 0600);
		EXPECT_EQ(-ENOSPC, ret);
		if (ret >= 0) {
			close(ret);
			mbx_destroy(x->fi->dev, other);
		}
	}
	EXPECT_EQ(0, close(fd));
	EXPECT_EQ(0, mbx_destroy(x->fi->dev, x->fi->name));
	EXPECT_EQ(x->fi->live0, param_get("live_boxes"));
}

TEST_F_TIMEOUT(create, every_allocation_fails_cleanly, 300)
{
	struct create_ctx x = {
		.fi = &self->fi,
		.nslots = variant->nslots,
		.slot_size = variant->slot_size,
	};
	/*
	 * The module's allocations on the path, each an ENOMEM: the
	 * mailbox, the page array, each page, the slot headers, the
	 * session, and the file of anon_inode_getfd().
	 */
	__u32 npages = 2 * ((variant->nslots * variant->slot_size + 4095) / 4096);
	char what[96];
	const struct fault_op op = {
		.what = what,
		.min_enomem = 5 + npages,
		.attempt = create_attempt,
		.failed = create_failed,
		.succeeded = create_succeeded,
	};
	int fd;

	snprintf(what, sizeof(what), "BOX_CREATE, %u slot(s) of %u bytes%s",
		 variant->nslots, variant->slot_size,
		 variant->tail ? ", every slab allocation from the n-th on failing" : "");
	x.total0 = box_total(self->fi.dev);
	ASSERT_LE(0, x.total0);
	self->fi.free_fd = lib_lowest_free_fd();
	fault_loop(_metadata, &self->fi, &op, &x);

	/* Every charge was given back: the quota still holds one. */
	fd = create_attempt(&x);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, close(fd));
}

/* ------------------------------------------------------------------ */
/* Open, events, mmap, and what allocates nothing                       */

FIXTURE(faults) {
	struct fi fi;
	int fd;			/* the mailbox, read-write */
};

FIXTURE_SETUP(faults)
{
	self->fd = -1;
	fi_setup(_metadata, &self->fi, false);
	self->fd = mbx_create(self->fi.dev, self->fi.name, 8, 4096, 0600);
	ASSERT_LE(0, self->fd);
	self->fi.free_fd = lib_lowest_free_fd();
}

FIXTURE_TEARDOWN(faults)
{
	if (self->fd >= 0 && getpid() == self->fi.pid)
		close(self->fd);
	fi_teardown(&self->fi);
}

struct open_ctx {
	struct fi *fi;
	int fd;
};

static int open_attempt(void *arg)
{
	struct open_ctx *x = arg;

	return mbx_open(x->fi->dev, x->fi->name,
			MBX_ACCESS_READ | MBX_ACCESS_WRITE);
}

static __u32 sessions(int fd)
{
	struct mbx_stats_args st;

	return box_stats(fd, &st) ? 0xffffffff : st.out_sessions;
}

static void open_failed(struct __test_metadata *_metadata, void *arg)
{
	struct open_ctx *x = arg;

	EXPECT_EQ(1, sessions(x->fd));
	EXPECT_EQ(x->fi->free_fd, lib_lowest_free_fd());
}

static void open_succeeded(struct __test_metadata *_metadata, void *arg,
			   int fd, bool last)
{
	struct open_ctx *x = arg;

	(void)last;
	EXPECT_EQ(2, sessions(x->fd));
	round_trip(_metadata, fd);
	EXPECT_EQ(0, close(fd));
	EXPECT_EQ(1, sessions(x->fd));
}

TEST_F_TIMEOUT(faults, box_open, 300)
{
	struct open_ctx x = { .fi = &self->fi, .fd = self->fd };
	const struct fault_op op = {
		.what = "BOX_OPEN",
		.min_enomem = 1,	/* the session */
		.attempt = open_attempt,
		.failed = open_failed,
		.succeeded = open_succeeded,
	};

	fault_loop(_metadata, &self->fi, &op, &x);
	/* No failed open kept a reference: the mailbox goes with its fd. */
	ASSERT_EQ(0, mbx_destroy(self->fi.dev, self->fi.name));
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	EXPECT_EQ(self->fi.live0, param_get("live_boxes"));
}

/*
 * Events for the callee: @x->caller submits two calls, @x->callee takes
 * them, the caller cancels both, and the callee is told twice
 * (MBX_EVENT_CANCEL).
 */
struct events_ctx {
	int caller;
	int callee;
	struct mbx_call taken[2];
	struct mbx_event ev[8];
};

static void events_make(struct __test_metadata *_metadata,
			struct events_ctx *x)
{
	__u32 state;
	int i, slot;

	for (i = 0; i < 2; i++) {
		slot = acquire_any(x->caller, MBX_WAIT_NONBLOCK, NULL);
		ASSERT_LE(0, slot);
		ASSERT_EQ(0, call_submit(x->caller, slot, 8, 0, i, NULL));
		ASSERT_EQ(0, call_take(x->callee, MBX_WAIT_NONBLOCK,
				       &x->taken[i]));
		ASSERT_EQ(0, call_cancel(x->caller, x->taken[i].slot,
					 x->taken[i].call_id, &state));
		EXPECT_EQ(MBX_STATE_TAKEN, state);
	}
}

static int events_attempt(void *arg)
{
	struct events_ctx *x = arg;

	return events_read(x->callee, x->ev, 8);
}

static void events_failed(struct __test_metadata *_metadata, void *arg)
{
	struct events_ctx *x = arg;

	/* Nothing consumed: the events are still queued. */
	EXPECT_EQ(POLLPRI, poll_for(x->callee, POLLPRI, 0) & POLLPRI);
}

static void events_succeeded(struct __test_metadata *_metadata, void *arg,
			     int n, bool last)
{
	struct events_ctx *x = arg;
	struct mbx_call r;
	int i;

	ASSERT_EQ(2, n);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(MBX_EVENT_CANCEL, x->ev[i].type);
		EXPECT_EQ(x->taken[i].call_id, x->ev[i].call_id);
		EXPECT_EQ(x->taken[i].slot, x->ev[i].slot);
	}
	EXPECT_EQ(0, poll_for(x->callee, POLLPRI, 0));
	/* The calls end; the next attempt gets two events of its own. */
	for (i = 0; i < 2; i++) {
		/* Answered as cancelled, as a cancelled call is. */
		ASSERT_EQ(-ECANCELED, call_complete(x->callee,
						    x->taken[i].slot,
						    x->taken[i].call_id, 0, 0));
		ASSERT_EQ(0, call_collect(x->caller, MBX_COLLECT_CALL,
					  x->taken[i].slot,
					  x->taken[i].call_id, &r));
		ASSERT_EQ(0, slot_release(x->caller, r.slot));
	}
	if (!last)
		events_make(_metadata, x);
}

TEST_F_TIMEOUT(faults, events_read, 300)
{
	struct events_ctx x = { .caller = self->fd };
	const struct fault_op op = {
		.what = "EVENTS_READ",
		.min_enomem = 1,	/* the bounce buffer */
		.attempt = events_attempt,
		.failed = events_failed,
		.succeeded = events_succeeded,
	};

	x.callee = mbx_open(self->fi.dev, self->fi.name,
			    MBX_ACCESS_READ | MBX_ACCESS_WRITE);
	ASSERT_LE(0, x.callee);
	events_make(_metadata, &x);
	fault_loop(_metadata, &self->fi, &op, &x);
	EXPECT_EQ(0, events_read(x.callee, x.ev, 8));
	EXPECT_EQ(0, close(x.callee));
}

struct mmap_ctx {
	int fd;
	size_t size;
	void *addr;
	unsigned char *ref;	/* a mapping made before the loop */
	int nmaps;		/* lines of /proc/self/maps before the loop */
};

static int maps_count(void)
{
	char buf[4096];
	ssize_t n;
	int fd, lines = 0;

	fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		while (n--)
			lines += buf[n] == '\n';
	close(fd);
	return lines;
}

static int mmap_attempt(void *arg)
{
	struct mmap_ctx *x = arg;

	x->addr = mmap(NULL, x->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       x->fd, 0);
	return x->addr == MAP_FAILED ? -errno : 0;
}

static void mmap_failed(struct __test_metadata *_metadata, void *arg)
{
	struct mmap_ctx *x = arg;

	EXPECT_EQ(x->nmaps, maps_count());
}

static void mmap_succeeded(struct __test_metadata *_metadata, void *arg,
			   int ret, bool last)
{
	struct mmap_ctx *x = arg;
	unsigned char *p = x->addr;

	(void)ret;
	(void)last;
	/* Both planes, every page: the same memory as the other mapping. */
	for (size_t off = 0; off < x->size; off += 4096) {
		p[off] = (unsigned char)(off >> 12) ^ 0x5a;
		EXPECT_EQ(p[off], x->ref[off]);
	}
	EXPECT_EQ(x->nmaps + 1, maps_count());
	EXPECT_EQ(0, munmap(x->addr, x->size));
}

TEST_F_TIMEOUT(faults, mmap, 300)
{
	struct mmap_ctx x = { .fd = self->fd };
	struct mbx_info_args info;
	const struct fault_op op = {
		.what = "mmap",
		.min_enomem = 1,	/* the VMA */
		.attempt = mmap_attempt,
		.failed = mmap_failed,
		.succeeded = mmap_succeeded,
	};

	ASSERT_EQ(0, mbx_info(self->fd, &info));
	x.size = info.out_map_size;
	x.ref = mmap(NULL, x.size, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, x.ref);
	x.nmaps = maps_count();
	ASSERT_LT(0, x.nmaps);
	fault_loop(_metadata, &self->fi, &op, &x);
	EXPECT_EQ(0, munmap(x.ref, x.size));
}

/*
 * @cmd on @fd with fail-nth armed at 1: it succeeds and does not consume
 * it, so it made no fault-injectable allocation.
 */
#define NO_ALLOC(fd, cmd, arg) do {					\
	struct ioctl_ctx _c = { (fd), (cmd), (arg) };			\
	bool _injected = true;						\
									\
	ASSERT_EQ(0, inject(&self->fi, 1, ioctl_attempt, &_c,		\
			    &_injected)) TH_LOG("%s", #cmd);		\
	EXPECT_FALSE(_injected) TH_LOG("%s allocated", #cmd);		\
	nops++;								\
} while (0)

struct ioctl_ctx {
	int fd;
	unsigned long cmd;
	void *arg;
};

static int ioctl_attempt(void *arg)
{
	struct ioctl_ctx *x = arg;

	return mbx_ioctl(x->fd, x->cmd, x->arg);
}

TEST_F(faults, call_path_allocates_nothing)
{
	struct mbx_acquire_args acq;
	struct mbx_submit_args sub;
	struct mbx_take_args take;
	struct mbx_complete_args done;
	struct mbx_collect_args coll;
	struct mbx_release_args rel;
	struct mbx_batch_submit bs;
	struct mbx_batch_complete bc;
	struct mbx_call calls[1];
	struct mbx_batch_call_args bcall;
	struct mbx_batch_serve_args bserve;
	struct mbx_api_args api;
	struct mbx_list_args list;
	struct mbx_info_args info;
	struct mbx_stats_args st;
	struct mbx_slot_info si;
	struct mbx_slots_args slots;
	struct mbx_set_args set;
	struct mbx_reclaim_args recl;
	unsigned int nops = 0;
	int fd = self->fd;

	/* acquire, submit, take, complete, collect, release */
	memset(&acq, 0, sizeof(acq));
	acq.size = sizeof(acq);
	acq.flags = MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK;
	NO_ALLOC(fd, MBX_IOC_SLOT_ACQUIRE, &acq);
	memset(&sub, 0, sizeof(sub));
	sub.size = sizeof(sub);
	sub.slot = acq.out_slot;
	sub.opcode = 1;
	sub.len = 8;
	NO_ALLOC(fd, MBX_IOC_CALL_SUBMIT, &sub);
	memset(&take, 0, sizeof(take));
	take.size = sizeof(take);
	take.flags = MBX_WAIT_NONBLOCK;
	NO_ALLOC(fd, MBX_IOC_CALL_TAKE, &take);
	memset(&done, 0, sizeof(done));
	done.size = sizeof(done);
	done.call_id = take.out_call.call_id;
	done.slot = take.out_call.slot;
	NO_ALLOC(fd, MBX_IOC_CALL_COMPLETE, &done);
	memset(&coll, 0, sizeof(coll));
	coll.size = sizeof(coll);
	coll.flags = MBX_WAIT_NONBLOCK;
	NO_ALLOC(fd, MBX_IOC_CALL_COLLECT, &coll);
	memset(&rel, 0, sizeof(rel));
	rel.size = sizeof(rel);
	rel.slot = coll.out_call.slot;
	NO_ALLOC(fd, MBX_IOC_SLOT_RELEASE, &rel);

	/* the batches: submit, take, complete, collect */
	NO_ALLOC(fd, MBX_IOC_SLOT_ACQUIRE, &acq);
	memset(&bs, 0, sizeof(bs));
	bs.slot = acq.out_slot;
	bs.opcode = 2;
	memset(&bcall, 0, sizeof(bcall));
	bcall.size = sizeof(bcall);
	bcall.submit = (uintptr_t)&bs;
	bcall.nsubmit = 1;
	NO_ALLOC(fd, MBX_IOC_BATCH_CALL, &bcall);
	EXPECT_EQ(1, bcall.out_submitted);
	memset(calls, 0xcc, sizeof(calls));
	memset(&bserve, 0, sizeof(bserve));
	bserve.size = sizeof(bserve);
	bserve.flags = MBX_WAIT_NONBLOCK;
	bserve.take = (uintptr_t)calls;
	bserve.ntake = 1;
	NO_ALLOC(fd, MBX_IOC_BATCH_SERVE, &bserve);
	ASSERT_EQ(1, bserve.out_taken);
	memset(&bc, 0, sizeof(bc));
	bc.call_id = calls[0].call_id;
	bc.slot = calls[0].slot;
	memset(&bserve, 0, sizeof(bserve));
	bserve.size = sizeof(bserve);
	bserve.complete = (uintptr_t)&bc;
	bserve.ncomplete = 1;
	NO_ALLOC(fd, MBX_IOC_BATCH_SERVE, &bserve);
	EXPECT_EQ(0, bc.out_result);
	memset(calls, 0xcc, sizeof(calls));
	memset(&bcall, 0, sizeof(bcall));
	bcall.size = sizeof(bcall);
	bcall.flags = MBX_WAIT_NONBLOCK;
	bcall.collect = (uintptr_t)calls;
	bcall.ncollect = 1;
	NO_ALLOC(fd, MBX_IOC_BATCH_CALL, &bcall);
	ASSERT_EQ(1, bcall.out_collected);
	rel.slot = calls[0].slot;
	NO_ALLOC(fd, MBX_IOC_SLOT_RELEASE, &rel);

	/* inspection and settings */
	memset(&api, 0, sizeof(api));
	api.size = sizeof(api);
	api.api = MBX_API_VERSION;
	NO_ALLOC(self->fi.dev, MBX_IOC_API, &api);
	memset(&list, 0, sizeof(list));
	list.size = sizeof(list);
	NO_ALLOC(self->fi.dev, MBX_IOC_BOX_LIST, &list);
	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	NO_ALLOC(fd, MBX_IOC_BOX_INFO, &info);
	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	NO_ALLOC(fd, MBX_IOC_BOX_STATS, &st);
	memset(&si, 0xcc, sizeof(si));
	memset(&slots, 0, sizeof(slots));
	slots.size = sizeof(slots);
	slots.info = (uintptr_t)&si;
	slots.count = 1;
	slots.info_size = sizeof(si);
	NO_ALLOC(fd, MBX_IOC_SLOT_INFO, &slots);
	memset(&set, 0, sizeof(set));
	set.size = sizeof(set);
	set.flags = MBX_SET_MODE;
	set.mode = 0600;
	NO_ALLOC(fd, MBX_IOC_BOX_SET, &set);
	memset(&recl, 0, sizeof(recl));
	recl.size = sizeof(recl);
	NO_ALLOC(fd, MBX_IOC_BOX_RECLAIM, &recl);
	ksft_print_msg("%u ioctls of the call path, the batches and inspection: no fault point\n",
		       nops);
	fflush(stdout);
}

TEST_HARNESS_MAIN
