// SPDX-License-Identifier: GPL-2.0
/*
 * Who may touch a mailbox: the mode bits (owner, group, other), the
 * capability overrides, the access an fd was opened with, and the user
 * namespace that scopes the names.
 *
 * The tests run as root in the VM and fork children that switch to other
 * uids (1000, 1001, 1002) for good, with setresuid(): each denial is shown
 * with its errno, each grant by the operation succeeding, and after a
 * denied operation the state is checked to be unchanged.  A child reports
 * through the harness macros and its exit status.
 *
 * Access is checked at open against the mode (EACCES); the fd then
 * carries the access it was opened with, and every operation and mmap is
 * checked against that alone (EBADF: opened without that access), never
 * against the mode again: narrowing the mode refuses later opens only.
 * Write access comes only with read access.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/mbx.h>

#include "kselftest_harness.h"
#include "mbx_helpers.h"


/* The uids and gids the children switch to; nothing else uses them. */
#define UID_A		1000
#define UID_B		1001
#define UID_C		1002
#define GID_A		1000
#define GID_B		1001
#define GID_C		1002

#define NSLOTS		4
#define SLOT_SIZE	256

/* Acquire a slot and submit an empty call in it; returns its id or 0. */
static __u64 submit_any(int fd, __u32 *slot)
{
	int n = acquire_any(fd, MBX_WAIT_NONBLOCK, NULL);
	__u64 id;

	if (n < 0 || mbx_submit(fd, n, 7, 0, 0, &id))
		return 0;
	*slot = n;
	return id;
}

/* Take the oldest pending call; returns its id or 0. */
static __u64 take_oldest(int fd, __u32 *slot)
{
	struct mbx_call c;

	if (mbx_take(fd, MBX_WAIT_NONBLOCK, 0, &c))
		return 0;
	*slot = c.slot;
	return c.call_id;
}

/* Is @name among the mailboxes that BOX_LIST shows the caller? */
static int box_listed(int dev, const char *name, __u32 *total)
{
	struct mbx_box_entry e[64];
	struct mbx_list_args a = {
		.size = sizeof(a),
		.entries = (__u64)(unsigned long)e,
		.count = 64,
		.entry_size = sizeof(e[0]),
	};
	__u32 i;

	if (ioctl(dev, MBX_IOC_BOX_LIST, &a))
		return -1;
	if (total)
		*total = a.out_total;
	for (i = 0; i < a.out_count; i++)
		if (!strncmp((char *)e[i].name, name, MBX_NAME_MAX))
			return 1;
	return 0;
}

/* Does /proc/driver/mailbox show the caller a line for @name? */
static int box_in_proc(const char *name)
{
	char key[MBX_NAME_MAX + 32];

	snprintf(key, sizeof(key), "box name=%s ", name);
	return mbx_proc_contains(key);
}

/* Clear @cap from the effective set; the permitted set keeps it. */
static int drop_effective_cap(int cap)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &h, d))
		return -1;
	d[CAP_TO_INDEX(cap)].effective &= ~CAP_TO_MASK(cap);
	return syscall(SYS_capset, &h, d);
}

FIXTURE(access) {
	pid_t pid;		/* the test process, not its children */
	int dev;
	int fd;			/* root's RW fd on the mailbox @name, or -1 */
	char name[MBX_NAME_MAX];
};

/*
 * Every fixture of this file has these fields: the test process (not its
 * children), the device, root's RW fd on the mailbox @name (or -1).
 * ACC_SETUP() skips unless the device is there and we are root, and opens
 * the device; ACC_TEARDOWN() undoes it, in the test process only.
 */
static void acc_setup(struct __test_metadata *_metadata, pid_t *pid,
		      int *dev, int *fd, char *name, const char *tag)
{
	*pid = getpid();
	*dev = -1;
	*fd = -1;
	snprintf(name, MBX_NAME_MAX, "%s.%d", tag, getpid());
	if (mbx_device_absent())
		SKIP(return, MBX_DEV " absent: mbx.ko not loaded");
	if (geteuid() != 0)
		SKIP(return, "needs root to switch to other uids");
	*dev = mbx_dev_open();
	ASSERT_LE(0, *dev);
}

static void acc_teardown(pid_t pid, int dev, int fd, const char *name)
{
	/* A failed ASSERT in a child comes back here: leave it to the parent. */
	if (getpid() != pid || dev < 0)
		return;
	if (fd >= 0)
		close(fd);
	mbx_destroy(dev, name);
	close(dev);
}

#define ACC_SETUP(tag) \
	acc_setup(_metadata, &self->pid, &self->dev, &self->fd, self->name, tag)
#define ACC_TEARDOWN() \
	acc_teardown(self->pid, self->dev, self->fd, self->name)

FIXTURE_SETUP(access)
{
	ACC_SETUP("acc");
}

FIXTURE_TEARDOWN(access)
{
	ACC_TEARDOWN();
}

/* The 6.1 harness runs a test whose setup skipped: stop it at once. */
#define SETUP_DONE() do { if (_metadata->skip) return; } while (0)

/*
 * Fork a child that is @uid:@gid (and in @groups) for good.  Returns 0 in
 * the child, which ends with child_exit(); the parent gets the pid.
 */
static pid_t fork_as(struct __test_metadata *_metadata, uid_t uid, gid_t gid,
		     size_t ngroups, const gid_t *groups)
{
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid)
		return pid;
	ASSERT_EQ(0, setgroups(ngroups, groups));
	ASSERT_EQ(0, setresgid(gid, gid, gid));
	ASSERT_EQ(0, setresuid(uid, uid, uid));
	return 0;
}

static void __attribute__((noreturn))
child_exit(struct __test_metadata *_metadata)
{
	_exit(_metadata->passed ? 0 : 1);
}

/* 0 when the child passed; its exit status, or 128 + signal, otherwise. */
static int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

/* Root creates the fixture's mailbox with @mode; self->fd is its RW fd. */
#define CREATE(mode) do { \
	self->fd = mbx_create(self->dev, self->name, NSLOTS, SLOT_SIZE, (mode)); \
	ASSERT_LE(0, self->fd); \
} while (0)

/* A child's exit status when it found no user namespaces to create. */
#define CHILD_SKIPPED	255

/*
 * The end of a child's block: the child exits, the parent waits and fails
 * if the child failed, or skips if it skipped.  Returns 1 in the parent.
 */
static int join(struct __test_metadata *_metadata, pid_t pid)
{
	int status;

	if (!pid)
		child_exit(_metadata);
	status = wait_child(pid);
	if (status == CHILD_SKIPPED)
		SKIP(return 1, "user namespaces are not available");
	EXPECT_EQ(0, status);
	return 1;
}

/*
 * AS(uid, gid) { block }: the block runs once, in a child that is uid:gid
 * for good; then the child exits and the parent checks it with join().
 */
#define AS(uid, gid) \
	for (pid_t as_pid = fork_as(_metadata, (uid), (gid), 0, NULL), \
	     as_done = 0; !as_done; as_done = join(_metadata, as_pid)) \
		if (!as_pid)

/* The device */

TEST_F(access, device_node_is_0666)
{
	struct stat st;

	SETUP_DONE();
	ASSERT_EQ(0, stat(MBX_DEV, &st));
	EXPECT_EQ(0666, st.st_mode & 07777);
}

TEST_F(access, ordinary_user_creates_and_destroys)
{
	SETUP_DONE();
	AS(UID_A, GID_A) {
		int dev = open(MBX_DEV, O_RDWR | O_CLOEXEC);
		struct mbx_info_args info;
		int fd;

		ASSERT_LE(0, dev);
		fd = mbx_create(dev, self->name, NSLOTS, SLOT_SIZE, 0600);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, mbx_info(fd, &info));
		EXPECT_EQ(UID_A, info.out_uid);
		EXPECT_EQ(GID_A, info.out_gid);
		EXPECT_EQ(0600, info.out_mode);
		EXPECT_EQ(0, close(fd));
		EXPECT_EQ(0, mbx_destroy(dev, self->name));
	}
}

/* Denials at open */

TEST_F(access, open_write_beyond_mode_eacces)
{
	SETUP_DONE();
	CREATE(0604);
	AS(UID_A, GID_A) {
		EXPECT_EQ(-EACCES, mbx_open(self->dev, self->name,
					    MBX_ACCESS_READ | MBX_ACCESS_WRITE));
	}
}

TEST_F(access, open_read_beyond_mode_eacces)
{
	SETUP_DONE();
	CREATE(0602);
	AS(UID_A, GID_A) {
		EXPECT_EQ(-EACCES, mbx_open(self->dev, self->name, MBX_ACCESS_READ));
	}
}

TEST_F(access, open_without_any_grant_eacces)
{
	SETUP_DONE();
	CREATE(0660);
	AS(UID_A, GID_A) {
		EXPECT_EQ(-EACCES, mbx_open(self->dev, self->name, MBX_ACCESS_READ));
	}
}

/* Denials on a read-only fd: the payload */

TEST_F(access, map_writable_on_read_only_fd_eacces)
{
	SETUP_DONE();
	CREATE(0604);
	AS(UID_A, GID_A) {
		int fd = mbx_open(self->dev, self->name, MBX_ACCESS_READ);

		ASSERT_LE(0, fd);
		EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ | PROT_WRITE,
					   MAP_SHARED, fd, 0));
		EXPECT_EQ(EACCES, errno);
	}
}

TEST_F(access, mprotect_write_on_read_only_map_eacces)
{
	SETUP_DONE();
	CREATE(0604);
	AS(UID_A, GID_A) {
		int fd = mbx_open(self->dev, self->name, MBX_ACCESS_READ);
		void *p;

		ASSERT_LE(0, fd);
		p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
		ASSERT_NE(MAP_FAILED, p);
		EXPECT_EQ(-1, mprotect(p, 4096, PROT_READ | PROT_WRITE));
		EXPECT_EQ(EACCES, errno);
	}
}

/* A forced write (as a debugger does) cannot get around the mapping. */
TEST_F(access, proc_mem_write_to_read_only_map_fails)
{
	unsigned char *own;

	SETUP_DONE();
	CREATE(0604);
	own = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, own);
	memset(own, 0x5a, 64);
	AS(UID_A, GID_A) {
		int fd = mbx_open(self->dev, self->name, MBX_ACCESS_READ);
		unsigned char junk[64];
		unsigned char *p;
		int mem;

		/* setresuid() made it undumpable: /proc/self/mem is root's. */
		ASSERT_EQ(0, prctl(PR_SET_DUMPABLE, 1, 0, 0, 0));
		mem = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, fd);
		ASSERT_LE(0, mem);
		p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
		ASSERT_NE(MAP_FAILED, p);
		memset(junk, 0xa5, sizeof(junk));
		EXPECT_EQ(-1, pwrite(mem, junk, sizeof(junk), (off_t)(unsigned long)p));
		EXPECT_EQ(EIO, errno);
		EXPECT_EQ(0x5a, p[0]);
	}
	EXPECT_EQ(0x5a, own[0]);
	EXPECT_EQ(0x5a, own[63]);
}

/*
 * Denials on a read-only fd: the write operations. Root creates the
 * mailbox (0604) and, for @prep, submits a call (1) or also takes it
 * (2); a child that is UID_A opens it read-only and gets EBADF from
 * @op; the slot is then still in @state.
 */
static int ro_acquire(int fd, __u32 slot, __u64 id)
{
	(void)id;
	return mbx_acquire(fd, 0, slot, 0, NULL);
}

static int ro_submit(int fd, __u32 slot, __u64 id)
{
	(void)id;
	return mbx_submit(fd, slot, 0, 0, 0, NULL);
}

static int ro_take(int fd, __u32 slot, __u64 id)
{
	(void)slot;
	(void)id;
	return mbx_take(fd, MBX_WAIT_NONBLOCK, 0, NULL);
}

static int ro_complete(int fd, __u32 slot, __u64 id)
{
	return mbx_complete(fd, slot, id, 0, 0);
}

static int ro_cancel(int fd, __u32 slot, __u64 id)
{
	return call_cancel(fd, slot, id, NULL);
}

static int ro_revise(int fd, __u32 slot, __u64 id)
{
	struct mbx_acquire_args a = {
		.size = sizeof(a),
		.flags = MBX_ACQUIRE_CALL,
		.slot = slot,
		.call_id = id,
	};

	return mbx_ioctl(fd, MBX_IOC_SLOT_ACQUIRE, &a);
}

static int ro_reclaim(int fd, __u32 slot, __u64 id)
{
	(void)slot;
	(void)id;
	return box_reclaim(fd, 0);
}

FIXTURE(read_only) {
	pid_t pid;
	int dev;
	int fd;
	char name[MBX_NAME_MAX];
};

FIXTURE_VARIANT(read_only) {
	int prep;
	int (*op)(int fd, __u32 slot, __u64 id);
	int state;
};

FIXTURE_VARIANT_ADD(read_only, acquire) {
	.prep = 0, .op = ro_acquire, .state = MBX_STATE_FREE,
};
FIXTURE_VARIANT_ADD(read_only, submit) {
	.prep = 0, .op = ro_submit, .state = MBX_STATE_FREE,
};
FIXTURE_VARIANT_ADD(read_only, take) {
	.prep = 1, .op = ro_take, .state = MBX_STATE_PENDING,
};
FIXTURE_VARIANT_ADD(read_only, complete) {
	.prep = 2, .op = ro_complete, .state = MBX_STATE_TAKEN,
};
FIXTURE_VARIANT_ADD(read_only, cancel) {
	.prep = 1, .op = ro_cancel, .state = MBX_STATE_PENDING,
};
FIXTURE_VARIANT_ADD(read_only, revise) {
	.prep = 1, .op = ro_revise, .state = MBX_STATE_PENDING,
};
FIXTURE_VARIANT_ADD(read_only, reclaim) {
	.prep = 0, .op = ro_reclaim, .state = MBX_STATE_FREE,
};

FIXTURE_SETUP(read_only)
{
	ACC_SETUP("ro");
}

FIXTURE_TEARDOWN(read_only)
{
	ACC_TEARDOWN();
}

TEST_F(read_only, ebadf)
{
	__u32 slot = 0, taken = 0;
	__u64 id = 0;

	SETUP_DONE();
	CREATE(0604);
	if (variant->prep >= 1) {
		id = submit_any(self->fd, &slot);
		ASSERT_NE(0, id);
	}
	if (variant->prep >= 2)
		ASSERT_EQ(id, take_oldest(self->fd, &taken));
	AS(UID_A, GID_A) {
		int fd = mbx_open(self->dev, self->name, MBX_ACCESS_READ);

		ASSERT_LE(0, fd);
		EXPECT_EQ(-EBADF, variant->op(fd, slot, id));
	}
	EXPECT_EQ(variant->state, mbx_slot_state(self->fd, slot));
}

TEST_F(access, open_write_without_read_einval)
{
	SETUP_DONE();
	CREATE(0666);
	AS(UID_A, GID_A) {
		EXPECT_EQ(-EINVAL, mbx_open(self->dev, self->name, MBX_ACCESS_WRITE));
	}
}

/*
 * A mode narrowed after an open: the child opens under 0606, waits while
 * the owner narrows the mode, then finds that its fd keeps the access it
 * was opened with (it carries its rights, as a file's fd does) while a new
 * open is refused.
 */
FIXTURE(revoked) {
	pid_t pid;
	int dev;
	int fd;
	int up[2], down[2];
	char name[MBX_NAME_MAX];
};

FIXTURE_SETUP(revoked)
{
	ACC_SETUP("rev");
	if (self->dev < 0)
		return;
	self->fd = mbx_create(self->dev, self->name, NSLOTS, SLOT_SIZE, 0606);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, pipe(self->up));
	ASSERT_EQ(0, pipe(self->down));
}

FIXTURE_TEARDOWN(revoked)
{
	ACC_TEARDOWN();
}

/*
 * In the child: wait until the owner has set the mode to @mode.  In the
 * parent: wait until the child has opened, set the mode, let it go on.
 */
static void narrow_mode(struct __test_metadata *_metadata,
		   FIXTURE_DATA(revoked) *self, pid_t pid, __u32 mode)
{
	char c;

	if (!pid) {
		ASSERT_EQ(1, write(self->up[1], "o", 1));
		ASSERT_EQ(1, read(self->down[0], &c, 1));
		return;
	}
	close(self->up[1]);
	ASSERT_EQ(1, read(self->up[0], &c, 1));
	ASSERT_EQ(0, mbx_set(self->fd, MBX_SET_MODE, 0, 0, mode));
	ASSERT_EQ(1, write(self->down[1], "m", 1));
}

TEST_F(revoked, slot_info_kept)
{
	pid_t pid;
	int fd;

	SETUP_DONE();
	pid = fork_as(_metadata, UID_A, GID_A, 0, NULL);
	if (!pid) {
		struct mbx_slot_info info;
		struct mbx_slots_args a = {
			.size = sizeof(a),
			.info = (__u64)(unsigned long)&info,
			.count = 1,
			.info_size = sizeof(info),
		};

		fd = mbx_open(self->dev, self->name, MBX_ACCESS_READ);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, ioctl(fd, MBX_IOC_SLOT_INFO, &a));
		narrow_mode(_metadata, self, pid, 0600);
		EXPECT_EQ(0, ioctl(fd, MBX_IOC_SLOT_INFO, &a));
		EXPECT_EQ(1, a.out_count);
		EXPECT_EQ(-EACCES, mbx_open(self->dev, self->name, MBX_ACCESS_READ));
	} else {
		narrow_mode(_metadata, self, pid, 0600);
	}
	join(_metadata, pid);
}

TEST_F(revoked, stats_kept)
{
	pid_t pid;
	int fd;

	SETUP_DONE();
	pid = fork_as(_metadata, UID_A, GID_A, 0, NULL);
	if (!pid) {
		struct mbx_stats_args st = { .size = sizeof(st) };

		fd = mbx_open(self->dev, self->name, MBX_ACCESS_READ);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, ioctl(fd, MBX_IOC_BOX_STATS, &st));
		narrow_mode(_metadata, self, pid, 0600);
		EXPECT_EQ(0, ioctl(fd, MBX_IOC_BOX_STATS, &st));
		EXPECT_EQ(2, st.out_sessions);
		EXPECT_EQ(-EACCES, mbx_open(self->dev, self->name, MBX_ACCESS_READ));
	} else {
		narrow_mode(_metadata, self, pid, 0600);
	}
	join(_metadata, pid);
}

TEST_F(revoked, collect_kept)
{
	__u32 slot = 0;
	pid_t pid;
	__u64 id;
	int fd;

	SETUP_DONE();
	pid = fork_as(_metadata, UID_A, GID_A, 0, NULL);
	if (!pid) {
		struct mbx_collect_args c = {
			.size = sizeof(c),
			.flags = MBX_WAIT_TIMEOUT,
		};
		struct timespec now;

		fd = mbx_open(self->dev, self->name,
			      MBX_ACCESS_READ | MBX_ACCESS_WRITE);
		ASSERT_LE(0, fd);
		id = submit_any(fd, &slot);
		ASSERT_NE(0, id);
		narrow_mode(_metadata, self, pid, 0600);
		/* The owner answers it: the reply is collected all the same. */
		ASSERT_EQ(0, clock_gettime(CLOCK_MONOTONIC, &now));
		c.timeout_ns = (now.tv_sec + 10) * 1000000000ULL + now.tv_nsec;
		EXPECT_EQ(0, ioctl(fd, MBX_IOC_CALL_COLLECT, &c));
		EXPECT_EQ(id, c.out_call.call_id);
		EXPECT_EQ(slot, c.out_call.slot);
		EXPECT_EQ(-ENOENT, c.out_call.status);
		EXPECT_EQ(-EACCES, mbx_open(self->dev, self->name, MBX_ACCESS_READ));
	} else {
		struct mbx_complete_args c = {
			.size = sizeof(c),
			.status = -ENOENT,
		};

		narrow_mode(_metadata, self, pid, 0600);
		c.call_id = take_oldest(self->fd, &c.slot);
		ASSERT_NE(0, c.call_id);
		EXPECT_EQ(0, ioctl(self->fd, MBX_IOC_CALL_COMPLETE, &c));
	}
	join(_metadata, pid);
}

/* Write access withdrawn from the mode: the fd still writes. */
TEST_F(revoked, acquire_kept)
{
	pid_t pid;
	int fd;

	SETUP_DONE();
	pid = fork_as(_metadata, UID_A, GID_A, 0, NULL);
	if (!pid) {
		fd = mbx_open(self->dev, self->name,
			      MBX_ACCESS_READ | MBX_ACCESS_WRITE);
		ASSERT_LE(0, fd);
		narrow_mode(_metadata, self, pid, 0604);
		EXPECT_EQ(0, acquire_any(fd, MBX_WAIT_NONBLOCK, NULL));
		EXPECT_EQ(-EACCES, mbx_open(self->dev, self->name,
					    MBX_ACCESS_READ | MBX_ACCESS_WRITE));
		EXPECT_EQ(MBX_STATE_OWNED, mbx_slot_state(self->fd, 0));
	} else {
		narrow_mode(_metadata, self, pid, 0604);
	}
	join(_metadata, pid);
	/* The child's session ended with it: the slot came back. */
	EXPECT_EQ(MBX_STATE_FREE, mbx_slot_state(self->fd, 0));
}

TEST_F(revoked, submit_kept)
{
	pid_t pid;
	int fd;

	SETUP_DONE();
	pid = fork_as(_metadata, UID_A, GID_A, 0, NULL);
	if (!pid) {
		struct mbx_submit_args s = { .size = sizeof(s) };
		int slot;

		fd = mbx_open(self->dev, self->name,
			      MBX_ACCESS_READ | MBX_ACCESS_WRITE);
		ASSERT_LE(0, fd);
		slot = acquire_any(fd, MBX_WAIT_NONBLOCK, NULL);
		ASSERT_LE(0, slot);
		narrow_mode(_metadata, self, pid, 0604);
		s.slot = slot;
		EXPECT_EQ(0, ioctl(fd, MBX_IOC_CALL_SUBMIT, &s));
		EXPECT_NE(0, s.out_call_id);
		EXPECT_EQ(MBX_STATE_PENDING, mbx_slot_state(self->fd, slot));
		EXPECT_EQ(-EACCES, mbx_open(self->dev, self->name,
					    MBX_ACCESS_READ | MBX_ACCESS_WRITE));
	} else {
		narrow_mode(_metadata, self, pid, 0604);
	}
	join(_metadata, pid);
}

/* What was mapped stays mapped: the mode governs later opens only. */
TEST_F(revoked, mapping_stays)
{
	unsigned char *own;
	pid_t pid;
	int fd;

	SETUP_DONE();
	own = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, own);
	pid = fork_as(_metadata, UID_A, GID_A, 0, NULL);
	if (!pid) {
		volatile unsigned char *p;

		fd = mbx_open(self->dev, self->name, MBX_ACCESS_READ);
		ASSERT_LE(0, fd);
		p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
		ASSERT_NE(MAP_FAILED, p);
		narrow_mode(_metadata, self, pid, 0600);
		EXPECT_EQ(0x77, p[1]);
	} else {
		own[1] = 0x77;
		narrow_mode(_metadata, self, pid, 0600);
	}
	join(_metadata, pid);
}

/* A new mapping is checked against the fd, not the mode. */
TEST_F(revoked, new_mapping_kept)
{
	pid_t pid;
	int fd;

	SETUP_DONE();
	pid = fork_as(_metadata, UID_A, GID_A, 0, NULL);
	if (!pid) {
		fd = mbx_open(self->dev, self->name, MBX_ACCESS_READ);
		ASSERT_LE(0, fd);
		narrow_mode(_metadata, self, pid, 0600);
		EXPECT_NE(MAP_FAILED, mmap(NULL, 4096, PROT_READ, MAP_SHARED,
					   fd, 0));
		/* Opened read-only: never writable, whatever the mode says. */
		EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ | PROT_WRITE,
					   MAP_SHARED, fd, 0));
		EXPECT_EQ(EACCES, errno);
	} else {
		narrow_mode(_metadata, self, pid, 0600);
	}
	join(_metadata, pid);
}

/* Denials of the owner's operations */

TEST_F(access, destroy_by_non_owner_eperm)
{
	SETUP_DONE();
	CREATE(0666);
	AS(UID_A, GID_A) {
		EXPECT_EQ(-EPERM, mbx_destroy(self->dev, self->name));
	}
	EXPECT_EQ(1, box_listed(self->dev, self->name, NULL));
}

TEST_F(access, set_by_non_owner_eperm)
{
	struct mbx_info_args info;

	SETUP_DONE();
	CREATE(0666);
	AS(UID_A, GID_A) {
		int fd = mbx_open(self->dev, self->name,
				  MBX_ACCESS_READ | MBX_ACCESS_WRITE);

		ASSERT_LE(0, fd);
		EXPECT_EQ(-EPERM, mbx_set(fd, MBX_SET_MODE, 0, 0, 0660));
	}
	ASSERT_EQ(0, mbx_info(self->fd, &info));
	EXPECT_EQ(0666, info.out_mode);
}

TEST_F(access, set_owner_by_non_owner_eperm)
{
	struct mbx_info_args info;

	SETUP_DONE();
	CREATE(0666);
	AS(UID_A, GID_A) {
		int fd = mbx_open(self->dev, self->name,
				  MBX_ACCESS_READ | MBX_ACCESS_WRITE);

		ASSERT_LE(0, fd);
		EXPECT_EQ(-EPERM, mbx_set(fd, MBX_SET_UID, UID_A, 0, 0));
	}
	ASSERT_EQ(0, mbx_info(self->fd, &info));
	EXPECT_EQ(0, info.out_uid);
}

/* Grants */

TEST_F(access, other_bits_grant)
{
	SETUP_DONE();
	CREATE(0606);
	AS(UID_A, GID_A) {
		int fd = mbx_open(self->dev, self->name,
				  MBX_ACCESS_READ | MBX_ACCESS_WRITE);
		struct mbx_stats_args st = { .size = sizeof(st) };
		void *p;

		ASSERT_LE(0, fd);
		EXPECT_LE(0, acquire_any(fd, MBX_WAIT_NONBLOCK, NULL));
		EXPECT_EQ(0, ioctl(fd, MBX_IOC_BOX_STATS, &st));
		EXPECT_EQ(1, st.out_owned);
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		EXPECT_NE(MAP_FAILED, p);
	}
}

TEST_F(access, read_only_fd_maps_and_inspects)
{
	__u32 slot = 0;
	unsigned char *own;

	SETUP_DONE();
	CREATE(0604);
	own = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, own);
	own[0] = 0x42;
	ASSERT_NE(0, submit_any(self->fd, &slot));
	AS(UID_A, GID_A) {
		int fd = mbx_open(self->dev, self->name, MBX_ACCESS_READ);
		struct mbx_stats_args st = { .size = sizeof(st) };
		unsigned char *p;

		ASSERT_LE(0, fd);
		p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
		ASSERT_NE(MAP_FAILED, p);
		EXPECT_EQ(0x42, p[0]);
		EXPECT_EQ(MBX_STATE_PENDING, mbx_slot_state(fd, slot));
		EXPECT_EQ(0, ioctl(fd, MBX_IOC_BOX_STATS, &st));
		EXPECT_EQ(1, st.out_pending);
	}
}

/* Others write the payload: it is never mapped executable. */
TEST_F(access, map_exec_eperm)
{
	SETUP_DONE();
	CREATE(0600);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ | PROT_EXEC,
				   MAP_SHARED, self->fd, 0));
	EXPECT_EQ(EPERM, errno);
}

TEST_F(access, mprotect_exec_eacces)
{
	void *p;

	SETUP_DONE();
	CREATE(0600);
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, mprotect(p, 4096, PROT_READ | PROT_EXEC));
	EXPECT_EQ(EACCES, errno);
}

TEST_F(access, mode_with_exec_bits_einval)
{
	SETUP_DONE();
	EXPECT_EQ(-EINVAL, mbx_create(self->dev, self->name, NSLOTS, SLOT_SIZE, 0700));
}

TEST_F(access, group_bits_grant)
{
	SETUP_DONE();
	CREATE(0660);
	ASSERT_EQ(0, mbx_set(self->fd, MBX_SET_GID, 0, GID_A, 0));
	AS(UID_B, GID_A) {
		int fd = mbx_open(self->dev, self->name,
				  MBX_ACCESS_READ | MBX_ACCESS_WRITE);

		ASSERT_LE(0, fd);
		EXPECT_LE(0, acquire_any(fd, MBX_WAIT_NONBLOCK, NULL));
	}
}

TEST_F(access, supplementary_group_grants)
{
	gid_t groups[] = { GID_A };
	pid_t pid;

	SETUP_DONE();
	CREATE(0640);
	ASSERT_EQ(0, mbx_set(self->fd, MBX_SET_GID, 0, GID_A, 0));
	pid = fork_as(_metadata, UID_B, GID_B, 1, groups);
	if (!pid)
		EXPECT_LE(0, mbx_open(self->dev, self->name, MBX_ACCESS_READ));
	join(_metadata, pid);
}

TEST_F(access, group_bits_do_not_grant_others)
{
	SETUP_DONE();
	CREATE(0660);
	ASSERT_EQ(0, mbx_set(self->fd, MBX_SET_GID, 0, GID_A, 0));
	AS(UID_C, GID_C) {
		EXPECT_EQ(-EACCES, mbx_open(self->dev, self->name, MBX_ACCESS_READ));
	}
}

TEST_F(access, owner_bits_grant)
{
	SETUP_DONE();
	AS(UID_A, GID_A) {
		int fd = mbx_create(self->dev, self->name, NSLOTS, SLOT_SIZE, 0600);

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, close(fd));
		fd = mbx_open(self->dev, self->name,
			      MBX_ACCESS_READ | MBX_ACCESS_WRITE);
		ASSERT_LE(0, fd);
		EXPECT_LE(0, acquire_any(fd, MBX_WAIT_NONBLOCK, NULL));
	}
	AS(UID_B, GID_A) {
		EXPECT_EQ(-EACCES, mbx_open(self->dev, self->name, MBX_ACCESS_READ));
	}
}

/* As for SysV IPC, the owner's bits apply to the owner, even if lower. */
TEST_F(access, owner_bits_take_precedence)
{
	SETUP_DONE();
	AS(UID_A, GID_A) {
		int fd = mbx_create(self->dev, self->name, NSLOTS, SLOT_SIZE, 0066);

		ASSERT_LE(0, fd);
		EXPECT_EQ(-EACCES, mbx_open(self->dev, self->name, MBX_ACCESS_READ));
	}
}

TEST_F(access, cap_ipc_owner_overrides_mode)
{
	int fd;

	SETUP_DONE();
	AS(UID_A, GID_A) {
		ASSERT_LE(0, mbx_create(self->dev, self->name, NSLOTS, SLOT_SIZE, 0000));
	}
	fd = mbx_open(self->dev, self->name, MBX_ACCESS_READ | MBX_ACCESS_WRITE);
	ASSERT_LE(0, fd);
	EXPECT_LE(0, acquire_any(fd, MBX_WAIT_NONBLOCK, NULL));
	EXPECT_EQ(0, close(fd));
}

TEST_F(access, root_without_cap_ipc_owner_eacces)
{
	SETUP_DONE();
	AS(UID_A, GID_A) {
		ASSERT_LE(0, mbx_create(self->dev, self->name, NSLOTS, SLOT_SIZE, 0600));
	}
	AS(0, 0) {
		ASSERT_EQ(0, drop_effective_cap(CAP_IPC_OWNER));
		EXPECT_EQ(-EACCES, mbx_open(self->dev, self->name, MBX_ACCESS_READ));
	}
}

TEST_F(access, cap_sys_admin_destroys_others_box)
{
	SETUP_DONE();
	AS(UID_A, GID_A) {
		ASSERT_LE(0, mbx_create(self->dev, self->name, NSLOTS, SLOT_SIZE, 0600));
	}
	EXPECT_EQ(0, mbx_destroy(self->dev, self->name));
	EXPECT_EQ(0, box_listed(self->dev, self->name, NULL));
}

TEST_F(access, root_without_cap_sys_admin_destroy_eperm)
{
	SETUP_DONE();
	AS(UID_A, GID_A) {
		ASSERT_LE(0, mbx_create(self->dev, self->name, NSLOTS, SLOT_SIZE, 0600));
	}
	AS(0, 0) {
		ASSERT_EQ(0, drop_effective_cap(CAP_SYS_ADMIN));
		EXPECT_EQ(-EPERM, mbx_destroy(self->dev, self->name));
	}
	EXPECT_EQ(1, box_listed(self->dev, self->name, NULL));
}

TEST_F(access, cap_sys_admin_sets_others_box)
{
	struct mbx_info_args info;
	int fd;

	SETUP_DONE();
	AS(UID_A, GID_A) {
		ASSERT_LE(0, mbx_create(self->dev, self->name, NSLOTS, SLOT_SIZE, 0600));
	}
	fd = mbx_open(self->dev, self->name, MBX_ACCESS_READ);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, mbx_set(fd, MBX_SET_MODE, 0, 0, 0644));
	ASSERT_EQ(0, mbx_info(fd, &info));
	EXPECT_EQ(0644, info.out_mode);
	EXPECT_EQ(0, close(fd));
}

TEST_F(access, set_mode_takes_effect_on_next_open)
{
	SETUP_DONE();
	AS(UID_A, GID_A) {
		int fd = mbx_create(self->dev, self->name, NSLOTS, SLOT_SIZE, 0600);

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, close(fd));
	}
	AS(UID_B, GID_B) {
		EXPECT_EQ(-EACCES, mbx_open(self->dev, self->name, MBX_ACCESS_READ));
	}
	AS(UID_A, GID_A) {
		int fd = mbx_open(self->dev, self->name, MBX_ACCESS_READ);

		ASSERT_LE(0, fd);
		EXPECT_EQ(0, mbx_set(fd, MBX_SET_MODE, 0, 0, 0604));
	}
	AS(UID_B, GID_B) {
		EXPECT_LE(0, mbx_open(self->dev, self->name, MBX_ACCESS_READ));
		EXPECT_EQ(-EACCES, mbx_open(self->dev, self->name,
					    MBX_ACCESS_READ | MBX_ACCESS_WRITE));
	}
}

TEST_F(access, set_uid_moves_ownership)
{
	SETUP_DONE();
	CREATE(0600);
	ASSERT_EQ(0, mbx_set(self->fd, MBX_SET_UID | MBX_SET_MODE, UID_A, 0,
			     0600));
	AS(UID_A, GID_A) {
		int fd = mbx_open(self->dev, self->name,
				  MBX_ACCESS_READ | MBX_ACCESS_WRITE);

		ASSERT_LE(0, fd);
		EXPECT_EQ(0, mbx_set(fd, MBX_SET_MODE, 0, 0, 0640));
		EXPECT_EQ(0, mbx_destroy(self->dev, self->name));
	}
}

TEST_F(access, former_owner_loses_ownership)
{
	SETUP_DONE();
	AS(UID_A, GID_A) {
		int fd = mbx_create(self->dev, self->name, NSLOTS, SLOT_SIZE, 0666);

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, mbx_set(fd, MBX_SET_UID, UID_B, 0, 0));
		EXPECT_EQ(-EPERM, mbx_destroy(self->dev, self->name));
	}
}

/* User namespaces */

/* In a child: move to a new user namespace, or skip if there are none. */
#define NEW_USERNS() do { \
	if (unshare(CLONE_NEWUSER)) { \
		ASSERT_EQ(EPERM, errno); \
		_exit(CHILD_SKIPPED); \
	} \
} while (0)

TEST_F(access, new_userns_cannot_open_parent_box)
{
	SETUP_DONE();
	CREATE(0666);
	AS(UID_A, GID_A) {
		NEW_USERNS();
		EXPECT_EQ(-ENOENT, mbx_open(self->dev, self->name, MBX_ACCESS_READ));
	}
}

TEST_F(access, new_userns_cannot_destroy_parent_box)
{
	SETUP_DONE();
	CREATE(0666);
	AS(UID_A, GID_A) {
		NEW_USERNS();
		EXPECT_EQ(-ENOENT, mbx_destroy(self->dev, self->name));
	}
	EXPECT_EQ(1, box_listed(self->dev, self->name, NULL));
}

TEST_F(access, new_userns_lists_nothing)
{
	SETUP_DONE();
	CREATE(0666);
	AS(UID_A, GID_A) {
		__u32 total = 0xcccccccc;

		NEW_USERNS();
		EXPECT_EQ(0, box_listed(self->dev, self->name, &total));
		EXPECT_EQ(0, total);
		EXPECT_EQ(0, box_in_proc(self->name));
	}
}

TEST_F(access, new_userns_same_name_is_another_box)
{
	SETUP_DONE();
	CREATE(0666);
	AS(UID_A, GID_A) {
		struct mbx_info_args info;
		int fd;

		NEW_USERNS();
		fd = mbx_create(self->dev, self->name, NSLOTS, SLOT_SIZE, 0600);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, mbx_info(fd, &info));
		EXPECT_EQ(0600, info.out_mode);
		EXPECT_EQ(1, box_listed(self->dev, self->name, NULL));
		EXPECT_EQ(0, mbx_destroy(self->dev, self->name));
	}
	EXPECT_EQ(1, box_listed(self->dev, self->name, NULL));
}

TEST_F(access, parent_cannot_open_child_userns_box)
{
	int up[2], down[2];
	pid_t pid;
	char c;

	SETUP_DONE();
	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(down));
	pid = fork_as(_metadata, UID_A, GID_A, 0, NULL);
	if (!pid) {
		int fd;

		NEW_USERNS();
		fd = mbx_create(self->dev, self->name, NSLOTS, SLOT_SIZE, 0666);
		ASSERT_LE(0, fd);
		ASSERT_EQ(1, write(up[1], "c", 1));
		ASSERT_EQ(1, read(down[0], &c, 1));
		EXPECT_EQ(0, mbx_destroy(self->dev, self->name));
	} else {
		close(up[1]);
		/* EOF: the child skipped */
		if (read(up[0], &c, 1) == 1) {
			EXPECT_EQ(-ENOENT, mbx_open(self->dev, self->name,
						    MBX_ACCESS_READ));
			EXPECT_EQ(0, box_listed(self->dev, self->name, NULL));
			EXPECT_EQ(0, box_in_proc(self->name));
		}
		ASSERT_EQ(1, write(down[1], "d", 1));
	}
	join(_metadata, pid);
}

/* Capabilities in one's own user namespace grant nothing on a mailbox. */
TEST_F(access, userns_caps_do_not_reach_inherited_fd)
{
	struct mbx_info_args info;

	SETUP_DONE();
	CREATE(0666);
	AS(UID_A, GID_A) {
		int fd = mbx_open(self->dev, self->name,
				  MBX_ACCESS_READ | MBX_ACCESS_WRITE);

		ASSERT_LE(0, fd);
		NEW_USERNS();
		EXPECT_EQ(-EPERM, mbx_set(fd, MBX_SET_MODE, 0, 0, 0660));
	}
	ASSERT_EQ(0, mbx_info(self->fd, &info));
	EXPECT_EQ(0666, info.out_mode);
}

TEST_HARNESS_MAIN
