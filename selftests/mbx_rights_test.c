// SPDX-License-Identifier: GPL-2.0
/*
 * Rights carried by the fd: a mailbox fd has the access it was opened
 * with, whoever holds it. Passed over a unix socket (SCM_RIGHTS) to
 * another uid it works for exactly those rights; a BOX_SET that narrows
 * the mode or changes the owner or group affects later opens only; mmap
 * of a read-only fd cannot write. Root switches a child to another uid:
 * skipped when not root.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mbx_helpers.h"

MBX_SKIP_WITHOUT_DEVICE

#define RW	(MBX_ACCESS_READ | MBX_ACCESS_WRITE)

static int open_name(const char *name, __u32 access)
{
	int dev = mbx_dev_open(), fd;

	if (dev < 0)
		return dev;
	fd = mbx_open(dev, name, access);
	close(dev);
	return fd;
}

/*
 * In a child: every operation a read-write fd allows, through @fd: a call
 * cancelled while taken (so an event), then a call answered and collected.
 */
static void rw_round(int fd)
{
	struct mbx_call call, reply;
	struct mbx_event ev[2];
	struct mbx_stats_args st;
	struct mbx_map m;
	__u32 state;
	__u64 id;
	int slot;

	slot = mbx_acquire(fd, MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK, 0, 0, NULL);
	CHK(slot >= 0);
	CHK(mbx_submit(fd, slot, 7, 8, 1, &id) == 0);
	CHK(mbx_take(fd, MBX_WAIT_NONBLOCK, 0, &call) == 0);
	CHK(call.call_id == id);
	CHK(call_cancel(fd, slot, id, &state) == 0);
	CHK(state == MBX_STATE_TAKEN);
	CHK(events_read(fd, ev, 2) == 1);
	CHK(ev[0].type == MBX_EVENT_CANCEL && ev[0].call_id == id);
	CHK(mbx_complete(fd, slot, id, 0, 0) == -ECANCELED);
	CHK(mbx_collect(fd, MBX_WAIT_NONBLOCK, 0, 0, 0, &reply) == 0);
	CHK(reply.call_id == id && reply.status == -ECANCELED);

	CHK(mbx_submit(fd, slot, 7, 8, 2, &id) == 0);
	CHK(mbx_take(fd, MBX_WAIT_NONBLOCK, 0, &call) == 0);
	CHK(mbx_complete(fd, call.slot, call.call_id, 0, 4) == 0);
	CHK(mbx_collect(fd, MBX_WAIT_NONBLOCK | MBX_COLLECT_CALL, slot, id, 0,
			&reply) == 0);
	CHK(reply.status == 0 && reply.len == 4);
	CHK(mbx_release(fd, slot) == 0);
	CHK(mbx_stats(fd, &st) == 0);
	CHK(st.out_submitted >= 2);
	CHK(box_reclaim(fd, 0) >= 0);
	CHK(mbx_map(fd, PROT_READ | PROT_WRITE, &m) == 0);
	mbx_unmap(&m);
}

FIXTURE(rights) {
	int dev, box;
	char name[MBX_NAME_MAX];
	int sv[2];
};

FIXTURE_SETUP(rights)
{
	if (geteuid() != 0)
		SKIP(return, "switching uid needs root");
	self->dev = mbx_dev_open();
	ASSERT_LE(0, self->dev);
	mbx_unique_name(self->name, "rights");
	self->box = mbx_create(self->dev, self->name, 4, 64, 0600);
	ASSERT_LE(0, self->box);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				self->sv));
}

FIXTURE_TEARDOWN(rights)
{
	if (geteuid() != 0)
		return;
	mbx_destroy(self->dev, self->name);
	close(self->box);
	close(self->dev);
	close(self->sv[0]);
	close(self->sv[1]);
}

TEST_F(rights, mode_0600_other_uid_open_eacces)
{
	pid_t pid = mbx_fork();

	ASSERT_LE(0, pid);
	if (!pid) {
		CHK(mbx_drop_to_other() == 0);
		CHK(open_name(self->name, MBX_ACCESS_READ) == -EACCES);
		CHK(open_name(self->name, RW) == -EACCES);
		_exit(0);
	}
	EXPECT_EQ(0, mbx_reap(pid));
}

TEST_F(rights, passed_rw_fd_works_for_other_uid)
{
	pid_t pid = mbx_fork();

	ASSERT_LE(0, pid);
	if (!pid) {
		int fd;

		CHK(mbx_drop_to_other() == 0);
		fd = mbx_recv_fd(self->sv[1]);
		CHK(fd >= 0);
		rw_round(fd);
		/* still not the owner: BOX_SET is the owner's */
		CHK(mbx_set(fd, MBX_SET_MODE, 0, 0, 0666) == -EPERM);
		_exit(0);
	}
	ASSERT_EQ(0, mbx_send_fd(self->sv[0], self->box));
	EXPECT_EQ(0, mbx_reap(pid));
}

TEST_F(rights, passed_ro_fd_ebadf_for_writes)
{
	int ro = mbx_open(self->dev, self->name, MBX_ACCESS_READ);
	struct mbx_call call;
	__u64 id;
	pid_t pid;

	ASSERT_LE(0, ro);
	/* a pending call (slot 1) and an owned slot (0) of the root fd */
	ASSERT_EQ(1, mbx_acquire(self->box, MBX_WAIT_NONBLOCK, 1, 0, NULL));
	ASSERT_EQ(0, mbx_submit(self->box, 1, 7, 8, 1, &id));
	ASSERT_EQ(0, mbx_acquire(self->box, MBX_WAIT_NONBLOCK, 0, 0, NULL));
	pid = mbx_fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct mbx_stats_args st;
		struct mbx_slot_info si;
		struct mbx_info_args info;
		struct mbx_event ev[1];
		struct mbx_map m;
		void *p;
		int fd;

		CHK(mbx_drop_to_other() == 0);
		fd = mbx_recv_fd(self->sv[1]);
		CHK(fd >= 0);
		CHK(mbx_acquire(fd, MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK, 0, 0,
				NULL) == -EBADF);
		CHK(mbx_release(fd, 0) == -EBADF);
		CHK(mbx_submit(fd, 0, 7, 8, 1, NULL) == -EBADF);
		CHK(mbx_take(fd, MBX_WAIT_NONBLOCK, 0, &call) == -EBADF);
		CHK(mbx_complete(fd, 1, id, 0, 0) == -EBADF);
		CHK(call_cancel(fd, 1, id, NULL) == -EBADF);
		CHK(box_reclaim(fd, 0) == -EBADF);
		/* read access suffices for these */
		CHK(mbx_stats(fd, &st) == 0);
		CHK(st.out_pending == 1);
		CHK(mbx_slot_info(fd, 1, &si) == 0);
		CHK(si.state == MBX_STATE_PENDING);
		CHK(mbx_info(fd, &info) == 0);
		CHK(info.out_access == MBX_ACCESS_READ);
		CHK(events_read(fd, ev, 1) == 0);
		CHK(mbx_map(fd, PROT_READ | PROT_WRITE, &m) == -EACCES);
		CHK(mbx_map(fd, PROT_READ, &m) == 0);
		CHK(mprotect(m.base, m.size, PROT_READ | PROT_WRITE) == -1);
		CHK(errno == EACCES);
		mbx_unmap(&m);
		p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
		CHK(p == MAP_FAILED && errno == EPERM);
		_exit(0);
	}
	ASSERT_EQ(0, mbx_send_fd(self->sv[0], ro));
	EXPECT_EQ(0, mbx_reap(pid));
	/* nothing changed */
	{
		struct mbx_slot_info si;

		ASSERT_EQ(0, mbx_slot_info(self->box, 1, &si));
		EXPECT_EQ(MBX_STATE_PENDING, si.state);
		ASSERT_EQ(0, mbx_slot_info(self->box, 0, &si));
		EXPECT_EQ(MBX_STATE_OWNED, si.state);
	}
	close(ro);
}

/* An event on a passed fd, read by another uid (rights carried). */
TEST_F(rights, events_read_on_passed_fd)
{
	struct mbx_call call;
	__u64 id;
	pid_t pid;

	/* root's callee fd takes a call of root, then the call is cancelled */
	ASSERT_EQ(0, mbx_acquire(self->box, MBX_WAIT_NONBLOCK, 0, 0, NULL));
	ASSERT_EQ(0, mbx_submit(self->box, 0, 7, 8, 1, &id));
	ASSERT_EQ(0, mbx_take(self->box, MBX_WAIT_NONBLOCK, 0, &call));
	ASSERT_EQ(0, call_cancel(self->box, 0, id, NULL));
	pid = mbx_fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct mbx_event ev[2];
		int fd;

		CHK(mbx_drop_to_other() == 0);
		fd = mbx_recv_fd(self->sv[1]);
		CHK(fd >= 0);
		CHK(events_read(fd, ev, 2) == 1);
		CHK(ev[0].type == MBX_EVENT_CANCEL);
		CHK(ev[0].call_id == id);
		CHK(events_read(fd, ev, 2) == 0);
		_exit(0);
	}
	ASSERT_EQ(0, mbx_send_fd(self->sv[0], self->box));
	EXPECT_EQ(0, mbx_reap(pid));
}

TEST_F(rights, events_read_on_ro_fd)
{
	int ro = mbx_open(self->dev, self->name, MBX_ACCESS_READ);
	struct mbx_event ev[1];

	ASSERT_LE(0, ro);
	EXPECT_EQ(0, events_read(ro, ev, 1));
	close(ro);
}

/* mmap of a read-only fd, as root: the fd decides, not the caller. */
TEST_F(rights, mmap_ro_fd)
{
	int ro = mbx_open(self->dev, self->name, MBX_ACCESS_READ);
	struct mbx_info_args info;
	void *p;

	ASSERT_LE(0, ro);
	ASSERT_EQ(0, mbx_info(ro, &info));
	p = mmap(NULL, info.out_map_size, PROT_READ, MAP_SHARED, ro, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, mprotect(p, info.out_map_size, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	munmap(p, info.out_map_size);
	p = mmap(NULL, info.out_map_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 ro, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EACCES, errno);
	p = mmap(NULL, info.out_map_size, PROT_READ | PROT_EXEC, MAP_SHARED,
		 ro, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EPERM, errno);
	p = mmap(NULL, info.out_map_size, PROT_READ, MAP_PRIVATE, ro, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	close(ro);
}

/* ------------------------------------------------------------------ */
/* An open fd keeps its rights across BOX_SET; later opens do not      */

FIXTURE(narrow) {
	int dev, box;
	char name[MBX_NAME_MAX];
	int to_child[2], to_parent[2];
};

FIXTURE_VARIANT(narrow) {
	__u32 mode;		/* at creation */
	__u32 before_flags;	/* BOX_SET before the child opens */
	__u32 after_flags;	/* BOX_SET after it opened */
	__u32 uid, gid, new_mode;
};

FIXTURE_SETUP(narrow)
{
	if (geteuid() != 0)
		SKIP(return, "switching uid needs root");
	self->dev = mbx_dev_open();
	ASSERT_LE(0, self->dev);
	mbx_unique_name(self->name, "narrow");
	self->box = mbx_create(self->dev, self->name, 4, 64, variant->mode);
	ASSERT_LE(0, self->box);
	if (variant->before_flags)
		ASSERT_EQ(0, mbx_set(self->box, variant->before_flags,
				     MBX_OTHER_UID, MBX_OTHER_GID, 0));
	ASSERT_EQ(0, pipe2(self->to_child, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(self->to_parent, O_CLOEXEC));
}

FIXTURE_TEARDOWN(narrow)
{
	if (geteuid() != 0)
		return;
	mbx_destroy(self->dev, self->name);
	close(self->box);
	close(self->dev);
	close(self->to_child[0]);
	close(self->to_child[1]);
	close(self->to_parent[0]);
	close(self->to_parent[1]);
}

/* mode 0666, then 0600 */
FIXTURE_VARIANT_ADD(narrow, mode_0666_to_0600) {
	.mode = 0666, .after_flags = MBX_SET_MODE, .new_mode = 0600,
};
/* mode 0666, then 0000 */
FIXTURE_VARIANT_ADD(narrow, mode_0666_to_0000) {
	.mode = 0666, .after_flags = MBX_SET_MODE, .new_mode = 0,
};
/* owned by the other uid, mode 0600; then owned by root */
FIXTURE_VARIANT_ADD(narrow, owner_changed) {
	.mode = 0600, .before_flags = MBX_SET_UID,
	.after_flags = MBX_SET_UID, .uid = 0,
};
/* group of the other uid, mode 0060; then group root */
FIXTURE_VARIANT_ADD(narrow, group_changed) {
	.mode = 0060, .before_flags = MBX_SET_GID,
	.after_flags = MBX_SET_GID, .gid = 0,
};

TEST_F(narrow, open_fd_keeps_rights_new_open_eacces)
{
	pid_t pid = mbx_fork();

	ASSERT_LE(0, pid);
	if (!pid) {
		int fd;

		CHK(mbx_drop_to_other() == 0);
		fd = open_name(self->name, RW);
		CHK(fd >= 0);
		CHK(mbx_signal(self->to_parent[1]) == 0);
		CHK(mbx_wait_signal(self->to_child[0]) == 0);
		rw_round(fd);
		CHK(open_name(self->name, MBX_ACCESS_READ) == -EACCES);
		CHK(open_name(self->name, RW) == -EACCES);
		_exit(0);
	}
	ASSERT_EQ(0, mbx_wait_signal(self->to_parent[0]));
	EXPECT_EQ(0, mbx_set(self->box, variant->after_flags, variant->uid,
			     variant->gid, variant->new_mode));
	ASSERT_EQ(0, mbx_signal(self->to_child[1]));
	EXPECT_EQ(0, mbx_reap(pid));
}

/* BOX_DESTROY by a uid that is not the owner: EPERM, even if it may open. */
TEST_F(rights, destroy_by_other_uid_eperm)
{
	pid_t pid;

	ASSERT_EQ(0, mbx_set(self->box, MBX_SET_MODE, 0, 0, 0666));
	pid = mbx_fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int dev;

		CHK(mbx_drop_to_other() == 0);
		dev = mbx_dev_open();
		CHK(dev >= 0);
		CHK(mbx_destroy(dev, self->name) == -EPERM);
		_exit(0);
	}
	EXPECT_EQ(0, mbx_reap(pid));
	EXPECT_LE(0, open_name(self->name, MBX_ACCESS_READ));
}

/* A read-only fd inherited by fork keeps being read-only, even for root. */
TEST_F(rights, ro_fd_as_root_ebadf)
{
	int ro = mbx_open(self->dev, self->name, MBX_ACCESS_READ);

	ASSERT_LE(0, ro);
	EXPECT_EQ(-EBADF, mbx_acquire(ro, MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK,
				      0, 0, NULL));
	close(ro);
}

TEST_HARNESS_MAIN
