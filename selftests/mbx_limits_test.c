// SPDX-License-Identifier: GPL-2.0
/*
 * The limits of the module, each at its maximum (accepted) and one past it
 * (refused, with its errno), using small values written to
 * /sys/module/mbx/parameters and restored afterwards; the per-user quotas,
 * which stop one uid and not another; and the memory cgroup charge of a
 * mailbox.
 *
 * The parameters are global: should a test die before its teardown, a
 * guardian process that outlives it puts them back.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/mbx.h>

#include "kselftest_harness.h"
#include "mbx_helpers.h"

#define CGROOT		"/sys/fs/cgroup"

#define UID_A		1000
#define UID_B		1001
#define UID_C		1002

#define MAX_FDS		16

static long page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

FIXTURE(limits) {
	pid_t pid;
	int dev;
	int guard;
	struct params saved;
	unsigned int nnames;
	char names[MAX_FDS][MBX_NAME_MAX];
	int fds[MAX_FDS];
};

/* The name of the fixture's mailbox @i, destroyed by the teardown. */
static const char *name_of(FIXTURE_DATA(limits) *self, unsigned int i)
{
	while (self->nnames <= i) {
		snprintf(self->names[self->nnames], MBX_NAME_MAX, "lim.%d.%u",
			 self->pid, self->nnames);
		self->nnames++;
	}
	return self->names[i];
}

FIXTURE_SETUP(limits)
{
	unsigned int i;

	self->pid = getpid();
	self->dev = -1;
	self->guard = -1;
	for (i = 0; i < MAX_FDS; i++)
		self->fds[i] = -1;
	if (access(MBX_DEV, F_OK) && errno == ENOENT)
		SKIP(return, MBX_DEV " absent: mbx.ko not loaded");
	if (geteuid() != 0)
		SKIP(return, "needs root to set the module's parameters");
	ASSERT_EQ(0, params_save(&self->saved));
	self->guard = params_guard(&self->saved);
	ASSERT_LE(0, self->guard);
	self->dev = open(MBX_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev);
}

FIXTURE_TEARDOWN(limits)
{
	unsigned int i;

	if (getpid() != self->pid || self->dev < 0)
		return;
	for (i = 0; i < MAX_FDS; i++)
		if (self->fds[i] >= 0)
			close(self->fds[i]);
	for (i = 0; i < self->nnames; i++)
		mbx_destroy(self->dev, self->names[i]);
	close(self->dev);
	params_restore(&self->saved);
	if (write(self->guard, "r", 1) != 1)
		TH_LOG("the guardian is gone");
	close(self->guard);
}

/* The 6.1 harness runs a test whose setup skipped: stop it at once. */
#define SETUP_DONE() do { if (_metadata->skip) return; } while (0)

#define SET(name, val) ASSERT_EQ(0, param_set(name, val))

/* Create the fixture's mailbox @i as root; keep its fd. */
static int create(FIXTURE_DATA(limits) *self, unsigned int i, __u32 nslots,
		  __u32 slot_size)
{
	int fd = mbx_create(self->dev, name_of(self, i), nslots, slot_size, 0600);

	if (fd >= 0)
		self->fds[i] = fd;
	return fd;
}

static pid_t fork_as(struct __test_metadata *_metadata, uid_t uid)
{
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid)
		return pid;
	ASSERT_EQ(0, setgroups(0, NULL));
	ASSERT_EQ(0, setresgid(uid, uid, uid));
	ASSERT_EQ(0, setresuid(uid, uid, uid));
	return 0;
}

/* The child ends; the parent waits for it and checks it passed. */
static int join(struct __test_metadata *_metadata, pid_t pid)
{
	int status;

	if (!pid)
		_exit(_metadata->passed ? 0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	if (WIFSIGNALED(status))
		TH_LOG("child killed by signal %d", WTERMSIG(status));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return 1;
}

/* AS(uid) { block }: the block runs once in a child that is uid for good. */
#define AS(uid) \
	for (pid_t as_pid = fork_as(_metadata, (uid)), as_done = 0; \
	     !as_done; as_done = join(_metadata, as_pid)) \
		if (!as_pid)

/* Per mailbox */

TEST_F(limits, api_reports_limits)
{
	struct mbx_api_args a = { .size = sizeof(a), .api = MBX_API_VERSION };

	SETUP_DONE();
	SET("max_slots", 8);
	SET("max_slot_size", 256);
	SET("max_box_bytes", 4 * page_size());
	ASSERT_EQ(0, ioctl(self->dev, MBX_IOC_API, &a));
	EXPECT_EQ(8, a.out_max_slots);
	EXPECT_EQ(256, a.out_max_slot_size);
	EXPECT_EQ(4 * page_size(), a.out_max_box_bytes);
}

TEST_F(limits, nslots_at_max)
{
	SETUP_DONE();
	SET("max_slots", 8);
	EXPECT_LE(0, create(self, 0, 8, 64));
}

TEST_F(limits, nslots_above_max_e2big)
{
	SETUP_DONE();
	SET("max_slots", 8);
	EXPECT_EQ(-E2BIG, create(self, 0, 9, 64));
}

/* MBX_SLOTS_LIMIT bounds every mailbox, whatever max_slots says. */
TEST_F(limits, api_max_slots_at_most_slots_limit)
{
	struct mbx_api_args a = { .size = sizeof(a), .api = MBX_API_VERSION };

	SETUP_DONE();
	SET("max_slots", 0xffffffffUL);
	ASSERT_EQ(0, ioctl(self->dev, MBX_IOC_API, &a));
	EXPECT_EQ(MBX_SLOTS_LIMIT, a.out_max_slots);
}

TEST_F(limits, nslots_above_slots_limit_e2big)
{
	SETUP_DONE();
	SET("max_slots", 0xffffffffUL);
	/*
	 * Not the mapping's size either. The user's quota stays as it is:
	 * a module that missed the limit fails with ENOSPC, never trying
	 * to allocate gigabytes.
	 */
	SET("max_box_bytes", 1UL << 40);
	EXPECT_EQ(-E2BIG, create(self, 0, MBX_SLOTS_LIMIT + 1, 64));
}

TEST_F(limits, slot_size_at_max)
{
	SETUP_DONE();
	SET("max_slot_size", 256);
	EXPECT_LE(0, create(self, 0, 1, 256));
}

TEST_F(limits, slot_size_above_max_e2big)
{
	SETUP_DONE();
	SET("max_slot_size", 256);
	EXPECT_EQ(-E2BIG, create(self, 0, 1, 256 + MBX_SLOT_ALIGN));
}

TEST_F(limits, slot_size_unaligned_einval)
{
	SETUP_DONE();
	EXPECT_EQ(-EINVAL, create(self, 0, 1, MBX_SLOT_ALIGN + 1));
}

/* Both planes of 2 pages: 4 pages, the limit. */
TEST_F(limits, box_bytes_at_max)
{
	SETUP_DONE();
	SET("max_box_bytes", 4 * page_size());
	EXPECT_LE(0, create(self, 0, 2 * page_size() / 64, 64));
}

/* One more slot: each plane takes 3 pages, 6 in all. */
TEST_F(limits, box_bytes_above_max_e2big)
{
	SETUP_DONE();
	SET("max_box_bytes", 4 * page_size());
	EXPECT_EQ(-E2BIG, create(self, 0, 2 * page_size() / 64 + 1, 64));
}

TEST_F(limits, name_length_at_max)
{
	char name[MBX_NAME_MAX];

	SETUP_DONE();
	memset(name, 'n', MBX_NAME_MAX - 1);
	name[MBX_NAME_MAX - 1] = '\0';
	ASSERT_EQ(-ENOENT, mbx_destroy(self->dev, name));	/* not there */
	self->fds[0] = mbx_create(self->dev, name, 1, 64, 0600);
	EXPECT_LE(0, self->fds[0]);
	EXPECT_EQ(0, mbx_destroy(self->dev, name));
}

TEST_F(limits, name_length_above_max_einval)
{
	struct mbx_create_args a = {
		.size = sizeof(a),
		.flags = MBX_CREATE_CLOEXEC,
		.nslots = 1,
		.slot_size = 64,
		.mode = 0600,
	};

	SETUP_DONE();
	memset(a.name, 'n', MBX_NAME_MAX);	/* no room for the NUL */
	EXPECT_EQ(-1, ioctl(self->dev, MBX_IOC_BOX_CREATE, &a));
	EXPECT_EQ(EINVAL, errno);
}

/* Mailboxes in all */

TEST_F(limits, max_boxes_at_max)
{
	unsigned long live;

	SETUP_DONE();
	live = param_get("live_boxes");
	ASSERT_NE(-1UL, live);
	SET("max_boxes", live + 2);
	EXPECT_LE(0, create(self, 0, 1, 64));
	EXPECT_LE(0, create(self, 1, 1, 64));
	EXPECT_EQ(live + 2, param_get("live_boxes"));
}

TEST_F(limits, max_boxes_above_max_enospc)
{
	unsigned long live;

	SETUP_DONE();
	live = param_get("live_boxes");
	SET("max_boxes", live + 2);
	ASSERT_LE(0, create(self, 0, 1, 64));
	ASSERT_LE(0, create(self, 1, 1, 64));
	EXPECT_EQ(-ENOSPC, create(self, 2, 1, 64));
}

/* A destroyed mailbox still open is still in memory: it still counts. */
TEST_F(limits, max_boxes_counts_destroyed_open_boxes)
{
	unsigned long live;

	SETUP_DONE();
	live = param_get("live_boxes");
	SET("max_boxes", live + 2);
	ASSERT_LE(0, create(self, 0, 1, 64));
	ASSERT_LE(0, create(self, 1, 1, 64));
	ASSERT_EQ(0, mbx_destroy(self->dev, name_of(self, 0)));
	EXPECT_EQ(-ENOSPC, create(self, 2, 1, 64));
	ASSERT_EQ(0, close(self->fds[0]));
	self->fds[0] = -1;
	EXPECT_EQ(live + 1, param_get("live_boxes"));
	EXPECT_LE(0, create(self, 2, 1, 64));
}

TEST_F(limits, max_boxes_full_for_every_user)
{
	unsigned long live;

	SETUP_DONE();
	live = param_get("live_boxes");
	SET("max_boxes", live + 1);
	ASSERT_LE(0, create(self, 0, 1, 64));
	name_of(self, 1);
	AS(UID_A) {
		EXPECT_EQ(-ENOSPC, mbx_create(self->dev, self->names[1], 1, 64, 0600));
	}
}

/* Mailboxes per user */

TEST_F(limits, user_max_boxes_at_max)
{
	SETUP_DONE();
	SET("user_max_boxes", 2);
	name_of(self, 1);
	AS(UID_A) {
		EXPECT_LE(0, mbx_create(self->dev, self->names[0], 1, 64, 0600));
		EXPECT_LE(0, mbx_create(self->dev, self->names[1], 1, 64, 0600));
	}
}

TEST_F(limits, user_max_boxes_above_max_enospc)
{
	SETUP_DONE();
	SET("user_max_boxes", 2);
	name_of(self, 2);
	AS(UID_A) {
		ASSERT_LE(0, mbx_create(self->dev, self->names[0], 1, 64, 0600));
		ASSERT_LE(0, mbx_create(self->dev, self->names[1], 1, 64, 0600));
		EXPECT_EQ(-ENOSPC, mbx_create(self->dev, self->names[2], 1, 64, 0600));
	}
}

TEST_F(limits, user_max_boxes_spares_other_users)
{
	SETUP_DONE();
	SET("user_max_boxes", 2);
	name_of(self, 3);
	AS(UID_A) {
		ASSERT_LE(0, mbx_create(self->dev, self->names[0], 1, 64, 0600));
		ASSERT_LE(0, mbx_create(self->dev, self->names[1], 1, 64, 0600));
		ASSERT_EQ(-ENOSPC, mbx_create(self->dev, self->names[2], 1, 64, 0600));
	}
	AS(UID_B) {
		EXPECT_LE(0, mbx_create(self->dev, self->names[2], 1, 64, 0600));
		EXPECT_LE(0, mbx_create(self->dev, self->names[3], 1, 64, 0600));
	}
}

/* Bytes per user */

/*
 * The charge of a mailbox is its planes plus a kernel header per slot,
 * whose size userspace does not know: find it as the smallest quota under
 * which uid C can create a mailbox of one 64-byte slot.  Returns the
 * header size, or -1.
 */
static long slot_header_size(struct __test_metadata *_metadata,
			     FIXTURE_DATA(limits) *self)
{
	long lo = 2 * page_size(), hi = 3 * page_size();
	const char *name = name_of(self, MAX_FDS - 1);

	while (lo < hi) {
		long mid = lo + (hi - lo) / 2;
		pid_t pid;
		int status;

		if (param_set("user_max_bytes", mid))
			return -1;
		pid = fork_as(_metadata, UID_C);
		if (!pid) {
			int fd = mbx_create(self->dev, name, 1, 64, 0600);

			if (fd >= 0)
				mbx_destroy(self->dev, name);
			_exit(fd >= 0 ? 0 : errno == ENOSPC ? 1 : 2);
		}
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status) > 1)
			return -1;
		if (WEXITSTATUS(status) == 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (lo == 3 * page_size())
		return -1;
	return lo - 2 * page_size();
}

/* What the kernel charges for a mailbox, given the slot header size. */
static unsigned long cost(long header, __u32 nslots, __u32 slot_size)
{
	unsigned long plane = (unsigned long)nslots * slot_size;

	plane = (plane + page_size() - 1) & ~(page_size() - 1);
	return 2 * plane + nslots * header;
}

TEST_F(limits, user_bytes_at_max)
{
	long header;

	SETUP_DONE();
	header = slot_header_size(_metadata, self);
	ASSERT_LT(0, header);
	TH_LOG("a slot header costs %ld bytes", header);
	SET("user_max_bytes", cost(header, 16, 256));
	AS(UID_A) {
		EXPECT_LE(0, mbx_create(self->dev, name_of(self, 0), 16, 256, 0600));
	}
}

TEST_F(limits, user_bytes_above_max_enospc)
{
	long header;

	SETUP_DONE();
	header = slot_header_size(_metadata, self);
	ASSERT_LT(0, header);
	SET("user_max_bytes", cost(header, 16, 256) - 1);
	AS(UID_A) {
		EXPECT_EQ(-ENOSPC, mbx_create(self->dev, name_of(self, 0), 16, 256, 0600));
	}
}

/* One uid full: it gets ENOSPC, another uid still creates. */
TEST_F(limits, user_bytes_full_spares_other_users)
{
	long header;

	SETUP_DONE();
	header = slot_header_size(_metadata, self);
	ASSERT_LT(0, header);
	SET("user_max_bytes", 2 * cost(header, 16, 256));
	name_of(self, 4);
	AS(UID_A) {
		ASSERT_LE(0, mbx_create(self->dev, self->names[0], 16, 256, 0600));
		ASSERT_LE(0, mbx_create(self->dev, self->names[1], 16, 256, 0600));
		EXPECT_EQ(-ENOSPC, mbx_create(self->dev, self->names[2], 1, 64, 0600));
	}
	AS(UID_B) {
		EXPECT_LE(0, mbx_create(self->dev, self->names[2], 16, 256, 0600));
		EXPECT_LE(0, mbx_create(self->dev, self->names[3], 16, 256, 0600));
	}
	/* root is another uid too */
	EXPECT_LE(0, create(self, 4, 16, 256));
}

TEST_F(limits, destroy_gives_quota_back)
{
	long header;

	SETUP_DONE();
	header = slot_header_size(_metadata, self);
	ASSERT_LT(0, header);
	SET("user_max_bytes", 2 * cost(header, 16, 256));
	name_of(self, 2);
	AS(UID_A) {
		int fd = mbx_create(self->dev, self->names[0], 16, 256, 0600);

		ASSERT_LE(0, fd);
		ASSERT_LE(0, mbx_create(self->dev, self->names[1], 16, 256, 0600));
		ASSERT_EQ(-ENOSPC, mbx_create(self->dev, self->names[2], 16, 256, 0600));
		ASSERT_EQ(0, close(fd));
		ASSERT_EQ(0, mbx_destroy(self->dev, self->names[0]));
		EXPECT_LE(0, mbx_create(self->dev, self->names[2], 16, 256, 0600));
	}
}

/* The memory stays until the last fd goes, and so does its charge. */
TEST_F(limits, quota_held_until_last_close)
{
	long header;

	SETUP_DONE();
	header = slot_header_size(_metadata, self);
	ASSERT_LT(0, header);
	SET("user_max_bytes", cost(header, 16, 256));
	name_of(self, 1);
	AS(UID_A) {
		int fd = mbx_create(self->dev, self->names[0], 16, 256, 0600);

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, mbx_destroy(self->dev, self->names[0]));
		EXPECT_EQ(-ENOSPC, mbx_create(self->dev, self->names[1], 16, 256, 0600));
		ASSERT_EQ(0, close(fd));
		EXPECT_LE(0, mbx_create(self->dev, self->names[1], 16, 256, 0600));
	}
}

/* The memory cgroup */

/*
 * Make a memory cgroup of our own under a cgroup2 root, mounting it if
 * need be.  Returns NULL, or why there is none (a reason to skip).
 */
static const char *cgroup_make(char *path, size_t len)
{
	char buf[512];

	if (access(CGROOT "/cgroup.controllers", F_OK) &&
	    mount("none", CGROOT, "cgroup2", 0, NULL))
		return "cgroup2 cannot be mounted on " CGROOT;
	if (file_read(CGROOT "/cgroup.controllers", buf, sizeof(buf)))
		return "no cgroup2 at " CGROOT;
	if (!strstr(buf, "memory"))
		return "no memory controller";
	if (file_read(CGROOT "/cgroup.subtree_control", buf, sizeof(buf)))
		return "no cgroup.subtree_control";
	if (!strstr(buf, "memory") &&
	    file_write(CGROOT "/cgroup.subtree_control", "+memory"))
		return "the memory controller cannot be enabled";
	snprintf(path, len, CGROOT "/mbx-limits.%d", getpid());
	if (mkdir(path, 0755))
		return "cannot make a cgroup";
	return NULL;
}

static unsigned long cgroup_get(const char *cg, const char *file)
{
	char path[256], buf[64];

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	if (file_read(path, buf, sizeof(buf)))
		return -1UL;
	return strtoul(buf, NULL, 0);
}

static int cgroup_set(const char *cg, const char *file, unsigned long val)
{
	char path[256], buf[64];

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	snprintf(buf, sizeof(buf), "%lu", val);
	return file_write(path, buf);
}

/* Move the calling process into @cg. */
static int cgroup_enter(const char *cg)
{
	return cgroup_set(cg, "cgroup.procs", getpid());
}

#define BIG_SLOTS	128
#define BIG_SLOT_SIZE	(32 << 10)	/* both planes: 8 MiB */
#define SMALL_SLOTS	16
#define SMALL_SLOT_SIZE	(16 << 10)	/* both planes: 512 KiB */
#define MID_SLOTS	128
#define MID_SLOT_SIZE	(16 << 10)	/* both planes: 4 MiB */
/* Charged but unused pages a memory cgroup keeps per CPU, and slack. */
#define MEMCG_SLACK	(1 << 20)
/*
 * memory.current moves by the cgroup's per-CPU charge stock (64 pages) as
 * well as by what is charged: "before" may hold pages of stock that are
 * used for the mailbox and never show up as a new charge.
 */
#define MEMCG_STOCK	(64 * 4096)

TEST_F(limits, memcg_charges_the_creator)
{
	char cg[128];
	const char *why;
	pid_t pid;

	SETUP_DONE();
	why = cgroup_make(cg, sizeof(cg));
	if (why)
		SKIP(return, "%s", why);
	name_of(self, 0);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		unsigned long before, during, after;
		int fd;

		ASSERT_EQ(0, cgroup_enter(cg));
		before = cgroup_get(cg, "memory.current");
		fd = mbx_create(self->dev, self->names[0], MID_SLOTS,
				MID_SLOT_SIZE, 0600);
		ASSERT_LE(0, fd);
		during = cgroup_get(cg, "memory.current");
		ASSERT_EQ(0, mbx_destroy(self->dev, self->names[0]));
		ASSERT_EQ(0, close(fd));
		after = cgroup_get(cg, "memory.current");
		TH_LOG("memory.current: %lu before, %lu with the mailbox, %lu after",
		       before, during, after);
		EXPECT_LE(before + 2 * MID_SLOTS * MID_SLOT_SIZE - MEMCG_STOCK,
			  during);
		EXPECT_GE(before + MEMCG_SLACK, after);
		_exit(_metadata->passed ? 0 : 1);
	}
	join(_metadata, pid);
	EXPECT_EQ(0, rmdir(cg));
}

TEST_F(limits, memcg_limit_enomem)
{
	char cg[128];
	const char *why;
	pid_t pid;

	SETUP_DONE();
	why = cgroup_make(cg, sizeof(cg));
	if (why)
		SKIP(return, "%s", why);
	name_of(self, 1);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		unsigned long base;

		ASSERT_EQ(0, cgroup_enter(cg));
		base = cgroup_get(cg, "memory.current");
		ASSERT_EQ(0, cgroup_set(cg, "memory.max", base + (2 << 20)));
		EXPECT_EQ(-ENOMEM, mbx_create(self->dev, self->names[0], BIG_SLOTS,
					      BIG_SLOT_SIZE, 0600));
		/* Within the limit a mailbox is made. */
		EXPECT_LE(0, mbx_create(self->dev, self->names[1], SMALL_SLOTS,
					SMALL_SLOT_SIZE, 0600));
		_exit(_metadata->passed ? 0 : 1);
	}
	join(_metadata, pid);
	/* Outside the cgroup the same mailbox is made. */
	EXPECT_LE(0, create(self, 0, BIG_SLOTS, BIG_SLOT_SIZE));
	EXPECT_EQ(0, rmdir(cg));
}

TEST_HARNESS_MAIN
