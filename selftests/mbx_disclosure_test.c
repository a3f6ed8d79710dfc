// SPDX-License-Identifier: GPL-2.0
/*
 * Nothing leaks to userspace: every byte the kernel copies out is written
 * by it (the argument structs are prefilled with 0xcc, so a field the
 * kernel forgot shows as 0xcc..., and a field that must be 0 is checked to
 * be 0), the kernel writes no further than the size userspace gave, and
 * the payload of a mailbox, a dead callee's half reply or a dead owner's
 * draft is never visible to the next user.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/mbx.h>

#include "kselftest_harness.h"
#include "mbx_helpers.h"


#define NSLOTS		8
#define SLOT_SIZE	512
#define POISON		0xcc
#define SECRET		0x5e

#define UPTR(p)		((__u64)(unsigned long)(p))

/* Is every byte of [p, p + len) equal to @c? */
static int all(const void *p, unsigned char c, size_t len)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != c)
			return 0;
	return 1;
}

/* A mailbox with every field of BOX_CREATE set, for the fields' checks. */
static int dis_create(int dev, const char *name, __u32 nslots,
		      __u32 slot_size)
{
	struct mbx_create_args a = {
		.size = sizeof(a),
		.flags = MBX_CREATE_CLOEXEC,
		.nslots = nslots,
		.slot_size = slot_size,
		.mode = 0640,
		.reclaim_ns = 1234567,
	};

	mbx_set_name(a.name, name);
	return mbx_ioctl(dev, MBX_IOC_BOX_CREATE, &a);
}

static __u64 submit(int fd, __u32 slot, __u32 flags, __u32 len)
{
	struct mbx_submit_args s = {
		.size = sizeof(s),
		.call_flags = flags,
		.slot = slot,
		.opcode = 3,
		.len = len,
		.user_data = 0xfeedULL,
	};

	if (ioctl(fd, MBX_IOC_CALL_SUBMIT, &s))
		return 0;
	return s.out_call_id;
}

FIXTURE(disclosure) {
	pid_t pid;
	int dev;
	int fd;			/* RW fd of the mailbox @name */
	struct mbx_info_args info;
	unsigned char *map;	/* all of it, read-write */
	char name[MBX_NAME_MAX];
};

FIXTURE_SETUP(disclosure)
{
	self->pid = getpid();
	self->dev = -1;
	self->fd = -1;
	self->map = MAP_FAILED;
	snprintf(self->name, sizeof(self->name), "dis.%d", getpid());
	if (access(MBX_DEV, F_OK) && errno == ENOENT)
		SKIP(return, MBX_DEV " absent: mbx.ko not loaded");
	self->dev = open(MBX_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev);
	self->fd = dis_create(self->dev, self->name, NSLOTS, SLOT_SIZE);
	ASSERT_LE(0, self->fd);
	self->info.size = sizeof(self->info);
	ASSERT_EQ(0, ioctl(self->fd, MBX_IOC_BOX_INFO, &self->info));
	self->map = mmap(NULL, self->info.out_map_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->map);
}

FIXTURE_TEARDOWN(disclosure)
{
	if (getpid() != self->pid || self->dev < 0)
		return;
	if (self->map != MAP_FAILED)
		munmap(self->map, self->info.out_map_size);
	if (self->fd >= 0)
		close(self->fd);
	mbx_destroy(self->dev, self->name);
	close(self->dev);
}

/* The 6.1 harness runs a test whose setup skipped: stop it at once. */
#define SETUP_DONE() do { if (_metadata->skip) return; } while (0)

static unsigned char *dis_call_plane(FIXTURE_DATA(disclosure) *self, __u32 slot)
{
	return self->map + self->info.out_call_off + slot * SLOT_SIZE;
}

static unsigned char *dis_reply_plane(FIXTURE_DATA(disclosure) *self, __u32 slot)
{
	return self->map + self->info.out_reply_off + slot * SLOT_SIZE;
}

/* The payload */

TEST_F(disclosure, new_box_is_zero)
{
	SETUP_DONE();
	EXPECT_TRUE(all(self->map, 0, self->info.out_map_size));
}

TEST_F(disclosure, secret_gone_after_destroy_and_recreate)
{
	size_t size;

	SETUP_DONE();
	size = self->info.out_map_size;
	memset(self->map, SECRET, size);
	ASSERT_EQ(0, munmap(self->map, size));
	self->map = MAP_FAILED;
	ASSERT_EQ(0, close(self->fd));
	ASSERT_EQ(0, mbx_destroy(self->dev, self->name));

	self->fd = dis_create(self->dev, self->name, NSLOTS, SLOT_SIZE);
	ASSERT_LE(0, self->fd);
	self->map = mmap(NULL, size, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->map);
	EXPECT_TRUE(all(self->map, 0, size));
}

/* The old mailbox lives on in its mapping; the new one is another. */
TEST_F(disclosure, recreate_while_old_is_mapped)
{
	unsigned char *fresh;
	size_t size;
	int fd;

	SETUP_DONE();
	size = self->info.out_map_size;
	memset(self->map, SECRET, size);
	ASSERT_EQ(0, mbx_destroy(self->dev, self->name));
	fd = dis_create(self->dev, self->name, NSLOTS, SLOT_SIZE);
	ASSERT_LE(0, fd);
	fresh = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, fresh);
	EXPECT_TRUE(all(fresh, 0, size));
	memset(fresh, 1, size);
	EXPECT_TRUE(all(self->map, SECRET, size));
	munmap(fresh, size);
	close(fd);
}

/* A callee died half way through its reply: the call goes back, clean. */
TEST_F(disclosure, redelivered_call_has_zero_reply_plane)
{
	struct mbx_slot_info info;
	struct mbx_call call;
	pid_t pid;
	int slot, status;
	__u64 id;

	SETUP_DONE();
	slot = acquire_any(self->fd, MBX_WAIT_NONBLOCK, NULL);
	ASSERT_LE(0, slot);
	memset(dis_call_plane(self, slot), 0x11, SLOT_SIZE);
	id = submit(self->fd, slot, 0, SLOT_SIZE);
	ASSERT_NE(0, id);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fd = mbx_open(self->dev, self->name, MBX_ACCESS_READ | MBX_ACCESS_WRITE);

		if (fd < 0 || mbx_take(fd, MBX_WAIT_NONBLOCK, 0, &call) || call.call_id != id)
			_exit(1);
		memset(dis_reply_plane(self, slot), SECRET, SLOT_SIZE);
		raise(SIGKILL);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status));
	ASSERT_EQ(0, mbx_slot_info(self->fd, slot, &info));
	EXPECT_EQ(MBX_STATE_PENDING, info.state);
	EXPECT_TRUE(info.flags & MBX_CALL_REDELIVERED);
	EXPECT_TRUE(all(dis_reply_plane(self, slot), 0, SLOT_SIZE));
	EXPECT_TRUE(all(dis_call_plane(self, slot), 0x11, SLOT_SIZE));
	ASSERT_EQ(0, mbx_take(self->fd, MBX_WAIT_NONBLOCK, 0, &call));
	EXPECT_EQ(id, call.call_id);
	EXPECT_EQ(2, call.delivery);
	EXPECT_TRUE(call.flags & MBX_CALL_REDELIVERED);
}

/* The same for a call that may run at most once: it fails, clean. */
TEST_F(disclosure, failed_at_most_once_call_has_zero_reply_plane)
{
	struct mbx_collect_args c = {
		.size = sizeof(c),
		.flags = MBX_WAIT_NONBLOCK,
	};
	struct mbx_call call;
	pid_t pid;
	int slot, status;

	SETUP_DONE();
	slot = acquire_any(self->fd, MBX_WAIT_NONBLOCK, NULL);
	ASSERT_LE(0, slot);
	ASSERT_NE(0, submit(self->fd, slot, MBX_CALL_AT_MOST_ONCE, 16));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fd = mbx_open(self->dev, self->name, MBX_ACCESS_READ | MBX_ACCESS_WRITE);

		if (fd < 0 || mbx_take(fd, MBX_WAIT_NONBLOCK, 0, &call))
			_exit(1);
		memset(dis_reply_plane(self, slot), SECRET, SLOT_SIZE);
		raise(SIGKILL);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status));
	ASSERT_EQ(0, ioctl(self->fd, MBX_IOC_CALL_COLLECT, &c));
	EXPECT_EQ(-EOWNERDEAD, c.out_call.status);
	EXPECT_EQ(0, c.out_call.len);
	EXPECT_TRUE(all(dis_reply_plane(self, slot), 0, SLOT_SIZE));
}

/* A draft never submitted is never seen: the slot comes back zeroed. */
TEST_F(disclosure, dead_owner_draft_is_zeroed)
{
	struct mbx_acquire_args a = {
		.size = sizeof(a),
		.flags = MBX_WAIT_NONBLOCK,
	};
	struct mbx_slot_info info;
	pid_t pid;
	int status;

	SETUP_DONE();
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fd = mbx_open(self->dev, self->name, MBX_ACCESS_READ | MBX_ACCESS_WRITE);
		int slot = fd < 0 ? -1 : acquire_any(fd, MBX_WAIT_NONBLOCK, NULL);

		if (slot != 0)
			_exit(1);
		memset(dis_call_plane(self, slot), SECRET, SLOT_SIZE);
		raise(SIGKILL);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status));
	ASSERT_EQ(0, mbx_slot_info(self->fd, 0, &info));
	EXPECT_EQ(MBX_STATE_FREE, info.state);
	EXPECT_TRUE(all(dis_call_plane(self, 0), 0, SLOT_SIZE));
	a.slot = 0;
	ASSERT_EQ(0, ioctl(self->fd, MBX_IOC_SLOT_ACQUIRE, &a));
	EXPECT_EQ(MBX_ACQUIRED_OWNER_DIED, a.out_flags);
}

/* The argument structs: every out_ field written, and nothing more */

TEST_F(disclosure, api_out_fields)
{
	struct mbx_api_args a;

	SETUP_DONE();
	memset(&a, POISON, sizeof(a));
	a.size = sizeof(a);
	a.flags = 0;
	a.__reserved = 0;
	a.api = MBX_API_VERSION;
	ASSERT_EQ(0, ioctl(self->dev, MBX_IOC_API, &a));
	EXPECT_EQ(sizeof(a), a.size);
	EXPECT_EQ(MBX_API_VERSION, a.api);
	EXPECT_EQ(MBX_API_VERSION, a.out_api);
	EXPECT_NE(0, a.out_features);
	EXPECT_EQ(0, a.out_features & ~((MBX_FEAT_URING << 1) - 1));
	EXPECT_EQ(param_get("max_slots"), a.out_max_slots);
	EXPECT_EQ(param_get("max_slot_size"), a.out_max_slot_size);
	EXPECT_EQ(param_get("max_box_bytes"), a.out_max_box_bytes);
	EXPECT_EQ(64, a.out_max_events);
	EXPECT_EQ(0, a.__reserved);
}

TEST_F(disclosure, info_out_fields)
{
	struct mbx_info_args a;
	unsigned long plane = NSLOTS * SLOT_SIZE;

	SETUP_DONE();
	plane = (plane + getpagesize() - 1) & ~(getpagesize() - 1UL);
	memset(&a, POISON, sizeof(a));
	a.size = sizeof(a);
	a.flags = 0;
	ASSERT_EQ(0, ioctl(self->fd, MBX_IOC_BOX_INFO, &a));
	EXPECT_EQ(sizeof(a), a.size);
	EXPECT_EQ(0, a.flags);
	EXPECT_EQ(0, strcmp((char *)a.out_name, self->name));
	EXPECT_TRUE(all(a.out_name + strlen(self->name), 0,
			MBX_NAME_MAX - strlen(self->name)));
	EXPECT_EQ(NSLOTS, a.out_nslots);
	EXPECT_EQ(SLOT_SIZE, a.out_slot_size);
	EXPECT_EQ(0, a.out_call_off);
	EXPECT_EQ(plane, a.out_reply_off);
	EXPECT_EQ(2 * plane, a.out_map_size);
	EXPECT_EQ(geteuid(), a.out_uid);
	EXPECT_EQ(getegid(), a.out_gid);
	EXPECT_EQ(0640, a.out_mode);
	EXPECT_EQ(MBX_ACCESS_READ | MBX_ACCESS_WRITE, a.out_access);
	EXPECT_EQ(1234567, a.out_reclaim_ns);
	EXPECT_NE(0, a.out_box_id);
	EXPECT_NE(0xccccccccccccccccULL, a.out_box_id);
}

TEST_F(disclosure, stats_out_fields)
{
	struct mbx_stats_args a;
	int slot;

	SETUP_DONE();
	slot = acquire_any(self->fd, MBX_WAIT_NONBLOCK, NULL);
	ASSERT_LE(0, slot);
	ASSERT_NE(0, submit(self->fd, slot, 0, 0));
	memset(&a, POISON, sizeof(a));
	a.size = sizeof(a);
	a.flags = 0;
	ASSERT_EQ(0, ioctl(self->fd, MBX_IOC_BOX_STATS, &a));
	EXPECT_EQ(sizeof(a), a.size);
	EXPECT_EQ(0, a.flags);
	EXPECT_EQ(1, a.out_submitted);
	EXPECT_EQ(0, a.out_taken);
	EXPECT_EQ(0, a.out_completed);
	EXPECT_EQ(0, a.out_cancelled);
	EXPECT_EQ(0, a.out_redelivered);
	EXPECT_EQ(0, a.out_owner_died);
	EXPECT_EQ(0, a.out_reclaimed);
	EXPECT_EQ(0, a.out_max_wait_ns);
	EXPECT_GT(60000000000ULL, a.out_oldest_pending_ns);
	EXPECT_EQ(NSLOTS - 1, a.out_free);
	EXPECT_EQ(0, a.out_owned);
	EXPECT_EQ(1, a.out_pending);
	EXPECT_EQ(0, a.out_taken_now);
	EXPECT_EQ(0, a.out_replied);
	EXPECT_EQ(1, a.out_sessions);
}

TEST_F(disclosure, acquire_out_fields)
{
	struct mbx_acquire_args a;

	SETUP_DONE();
	memset(&a, POISON, sizeof(a));
	a.size = sizeof(a);
	a.flags = MBX_WAIT_NONBLOCK;
	a.slot = 5;
	a.call_id = 0;
	a.timeout_ns = 0;
	a.__reserved = 0;
	ASSERT_EQ(0, ioctl(self->fd, MBX_IOC_SLOT_ACQUIRE, &a));
	EXPECT_EQ(sizeof(a), a.size);
	EXPECT_EQ(MBX_WAIT_NONBLOCK, a.flags);
	EXPECT_EQ(5, a.slot);
	EXPECT_EQ(5, a.out_slot);
	EXPECT_EQ(0, a.out_flags);
	EXPECT_EQ(0, a.__reserved);
}

TEST_F(disclosure, submit_out_fields)
{
	struct mbx_submit_args a;
	int slot;

	SETUP_DONE();
	slot = acquire_any(self->fd, MBX_WAIT_NONBLOCK, NULL);
	ASSERT_LE(0, slot);
	memset(&a, POISON, sizeof(a));
	a.size = sizeof(a);
	a.flags = 0;
	a.slot = slot;
	a.opcode = 9;
	a.len = 10;
	a.call_flags = 0;
	a.user_data = 11;
	a.timeout_ns = 0;
	ASSERT_EQ(0, ioctl(self->fd, MBX_IOC_CALL_SUBMIT, &a));
	EXPECT_EQ(sizeof(a), a.size);
	EXPECT_EQ(slot, a.slot);
	EXPECT_EQ(9, a.opcode);
	EXPECT_EQ(10, a.len);
	EXPECT_EQ(11, a.user_data);
	EXPECT_EQ(1, a.out_call_id);
}

/* Submit and collect in one call: the reply is all written. */
TEST_F(disclosure, submit_collect_out_fields)
{
	struct mbx_complete_args done = { .size = sizeof(done) };
	struct mbx_submit_args a;
	struct mbx_call call;
	struct timespec now;
	int first, next;
	__u64 id;

	SETUP_DONE();
	first = acquire_any(self->fd, MBX_WAIT_NONBLOCK, NULL);
	ASSERT_LE(0, first);
	id = submit(self->fd, first, 0, 24);
	ASSERT_NE(0, id);
	ASSERT_EQ(0, mbx_take(self->fd, MBX_WAIT_NONBLOCK, 0, &call));
	done.call_id = id;
	done.slot = first;
	done.len = 40;
	done.status = -EIO;
	ASSERT_EQ(0, ioctl(self->fd, MBX_IOC_CALL_COMPLETE, &done));
	next = acquire_any(self->fd, MBX_WAIT_NONBLOCK, NULL);
	ASSERT_LE(0, next);
	ASSERT_EQ(0, clock_gettime(CLOCK_MONOTONIC, &now));
	memset(&a, POISON, sizeof(a));
	a.size = sizeof(a);
	a.flags = MBX_SUBMIT_COLLECT | MBX_WAIT_TIMEOUT;
	a.slot = next;
	a.opcode = 4;
	a.len = 8;
	a.call_flags = 0;
	a.user_data = 12;
	a.timeout_ns = (now.tv_sec + 10) * 1000000000ULL + now.tv_nsec;
	ASSERT_EQ(0, ioctl(self->fd, MBX_IOC_CALL_SUBMIT, &a));
	EXPECT_EQ(sizeof(a), a.size);
	EXPECT_EQ(id + 1, a.out_call_id);
	EXPECT_EQ(id, a.out_reply.call_id);
	EXPECT_EQ(0xfeed, a.out_reply.user_data);
	EXPECT_EQ(first, a.out_reply.slot);
	EXPECT_EQ(3, a.out_reply.opcode);
	EXPECT_EQ(40, a.out_reply.len);
	EXPECT_EQ(-EIO, a.out_reply.status);
	EXPECT_EQ(0, a.out_reply.flags);
	EXPECT_EQ(1, a.out_reply.delivery);
}

TEST_F(disclosure, take_out_fields)
{
	struct mbx_take_args a;
	int slot;
	__u64 id;

	SETUP_DONE();
	slot = acquire_any(self->fd, MBX_WAIT_NONBLOCK, NULL);
	ASSERT_LE(0, slot);
	id = submit(self->fd, slot, MBX_CALL_AT_MOST_ONCE, 24);
	ASSERT_NE(0, id);
	memset(&a, POISON, sizeof(a));
	a.size = sizeof(a);
	a.flags = MBX_WAIT_NONBLOCK;
	a.timeout_ns = 0;
	a.done_call_id = 0;
	a.done_slot = 0;
	a.done_len = 0;
	a.done_status = 0;
	ASSERT_EQ(0, ioctl(self->fd, MBX_IOC_CALL_TAKE, &a));
	EXPECT_EQ(sizeof(a), a.size);
	EXPECT_EQ(MBX_WAIT_NONBLOCK, a.flags);
	EXPECT_EQ(0, a.out_flags);
	EXPECT_EQ(id, a.out_call.call_id);
	EXPECT_EQ(0xfeed, a.out_call.user_data);
	EXPECT_EQ(slot, a.out_call.slot);
	EXPECT_EQ(3, a.out_call.opcode);
	EXPECT_EQ(24, a.out_call.len);
	EXPECT_EQ(0, a.out_call.status);
	EXPECT_EQ(MBX_CALL_AT_MOST_ONCE, a.out_call.flags);
	EXPECT_EQ(1, a.out_call.delivery);
}

TEST_F(disclosure, collect_out_fields)
{
	struct mbx_complete_args done = { .size = sizeof(done) };
	struct mbx_collect_args a;
	struct mbx_call call;
	int slot;
	__u64 id;

	SETUP_DONE();
	slot = acquire_any(self->fd, MBX_WAIT_NONBLOCK, NULL);
	ASSERT_LE(0, slot);
	id = submit(self->fd, slot, 0, 24);
	ASSERT_NE(0, id);
	ASSERT_EQ(0, mbx_take(self->fd, MBX_WAIT_NONBLOCK, 0, &call));
	done.call_id = id;
	done.slot = slot;
	done.len = 40;
	done.status = -EIO;
	ASSERT_EQ(0, ioctl(self->fd, MBX_IOC_CALL_COMPLETE, &done));
	memset(&a, POISON, sizeof(a));
	a.size = sizeof(a);
	a.flags = MBX_WAIT_NONBLOCK;
	a.call_id = 0;
	a.slot = 0;
	a.__reserved = 0;
	a.timeout_ns = 0;
	ASSERT_EQ(0, ioctl(self->fd, MBX_IOC_CALL_COLLECT, &a));
	EXPECT_EQ(sizeof(a), a.size);
	EXPECT_EQ(id, a.out_call.call_id);
	EXPECT_EQ(0xfeed, a.out_call.user_data);
	EXPECT_EQ(slot, a.out_call.slot);
	EXPECT_EQ(3, a.out_call.opcode);
	EXPECT_EQ(40, a.out_call.len);
	EXPECT_EQ(-EIO, a.out_call.status);
	EXPECT_EQ(0, a.out_call.flags);
	EXPECT_EQ(1, a.out_call.delivery);
}

TEST_F(disclosure, cancel_out_fields)
{
	struct mbx_cancel_args a;
	int slot;
	__u64 id;

	SETUP_DONE();
	slot = acquire_any(self->fd, MBX_WAIT_NONBLOCK, NULL);
	ASSERT_LE(0, slot);
	id = submit(self->fd, slot, 0, 0);
	ASSERT_NE(0, id);
	memset(&a, POISON, sizeof(a));
	a.size = sizeof(a);
	a.flags = 0;
	a.call_id = id;
	a.slot = slot;
	ASSERT_EQ(0, ioctl(self->fd, MBX_IOC_CALL_CANCEL, &a));
	EXPECT_EQ(sizeof(a), a.size);
	EXPECT_EQ(id, a.call_id);
	EXPECT_EQ(MBX_STATE_PENDING, a.out_state);
}

TEST_F(disclosure, reclaim_out_fields)
{
	struct mbx_reclaim_args a;

	SETUP_DONE();
	memset(&a, POISON, sizeof(a));
	a.size = sizeof(a);
	a.flags = 0;
	a.min_age_ns = 0;
	a.__reserved = 0;
	ASSERT_EQ(0, ioctl(self->fd, MBX_IOC_BOX_RECLAIM, &a));
	EXPECT_EQ(sizeof(a), a.size);
	EXPECT_EQ(0, a.out_count);
	EXPECT_EQ(0, a.__reserved);
}

/* Entries in a larger size than the kernel knows: the rest is zeroed. */
TEST_F(disclosure, slot_info_entries)
{
	struct entry {
		struct mbx_slot_info info;
		unsigned char future[24];
	} e[NSLOTS + 1];
	struct mbx_slots_args a;
	__u32 i;
	int slot;
	__u64 id;

	SETUP_DONE();
	slot = acquire_any(self->fd, MBX_WAIT_NONBLOCK, NULL);
	ASSERT_EQ(0, slot);
	id = submit(self->fd, slot, 0, 33);
	ASSERT_NE(0, id);
	memset(e, POISON, sizeof(e));
	memset(&a, POISON, sizeof(a));
	a.size = sizeof(a);
	a.flags = 0;
	a.info = UPTR(e);
	a.first = 0;
	a.count = NSLOTS + 1;
	a.info_size = sizeof(e[0]);
	ASSERT_EQ(0, ioctl(self->fd, MBX_IOC_SLOT_INFO, &a));
	EXPECT_EQ(sizeof(a), a.size);
	EXPECT_EQ(NSLOTS + 1, a.count);
	EXPECT_EQ(NSLOTS, a.out_count);
	EXPECT_EQ(id, e[0].info.call_id);
	EXPECT_EQ(0xfeed, e[0].info.user_data);
	EXPECT_NE(0, e[0].info.submit_ns);
	EXPECT_EQ(0, e[0].info.take_ns);
	EXPECT_EQ(0, e[0].info.reply_ns);
	EXPECT_EQ(0, e[0].info.slot);
	EXPECT_EQ(MBX_STATE_PENDING, e[0].info.state);
	EXPECT_EQ(3, e[0].info.opcode);
	EXPECT_EQ(33, e[0].info.len);
	EXPECT_EQ(0, e[0].info.reply_len);
	EXPECT_EQ(0, e[0].info.status);
	EXPECT_EQ(0, e[0].info.flags);
	EXPECT_EQ(0, e[0].info.delivery);
	EXPECT_EQ(0, e[0].info.owner_pid);
	EXPECT_EQ(getpid(), e[0].info.caller_pid);
	EXPECT_EQ(0, e[0].info.callee_pid);
	for (i = 0; i < NSLOTS; i++) {
		EXPECT_EQ(0, e[i].info.__reserved);
		EXPECT_TRUE(all(e[i].future, 0, sizeof(e[i].future)));
	}
	for (i = 1; i < NSLOTS; i++) {
		EXPECT_EQ(i, e[i].info.slot);
		EXPECT_EQ(MBX_STATE_FREE, e[i].info.state);
		EXPECT_EQ(0, e[i].info.call_id);
		EXPECT_EQ(0, e[i].info.caller_pid);
	}
	/* Beyond out_count: untouched. */
	EXPECT_TRUE(all(&e[NSLOTS], POISON, sizeof(e[NSLOTS])));
}

TEST_F(disclosure, list_entries)
{
	struct entry {
		struct mbx_box_entry box;
		unsigned char future[16];
	} *e;
	struct mbx_list_args a;
	__u32 i, n = 256, found = 0;

	SETUP_DONE();
	e = calloc(n, sizeof(*e));
	ASSERT_NE(NULL, e);
	memset(e, POISON, n * sizeof(*e));
	memset(&a, POISON, sizeof(a));
	a.size = sizeof(a);
	a.flags = 0;
	a.entries = UPTR(e);
	a.count = n;
	a.entry_size = sizeof(e[0]);
	ASSERT_EQ(0, ioctl(self->dev, MBX_IOC_BOX_LIST, &a));
	EXPECT_EQ(sizeof(a), a.size);
	EXPECT_EQ(n, a.count);
	ASSERT_GT(n, a.out_count);
	EXPECT_EQ(a.out_total, a.out_count);
	for (i = 0; i < a.out_count; i++) {
		size_t len = strnlen((char *)e[i].box.name, MBX_NAME_MAX);

		ASSERT_GT(MBX_NAME_MAX, len);
		EXPECT_TRUE(all(e[i].box.name + len, 0, MBX_NAME_MAX - len));
		EXPECT_TRUE(all(e[i].future, 0, sizeof(e[i].future)));
		if (strcmp((char *)e[i].box.name, self->name))
			continue;
		found++;
		EXPECT_EQ(NSLOTS, e[i].box.nslots);
		EXPECT_EQ(SLOT_SIZE, e[i].box.slot_size);
		EXPECT_EQ(geteuid(), e[i].box.uid);
		EXPECT_EQ(getegid(), e[i].box.gid);
		EXPECT_EQ(0640, e[i].box.mode);
		EXPECT_EQ(0, e[i].box.pending);
		EXPECT_EQ(self->info.out_box_id, e[i].box.box_id);
	}
	EXPECT_EQ(1, found);
	EXPECT_TRUE(all(&e[a.out_count], POISON, sizeof(e[0])));
	free(e);
}

TEST_F(disclosure, event_entries)
{
	struct entry {
		struct mbx_event ev;
		unsigned char future[8];
	} e[3];
	struct mbx_cancel_args cancel = { .size = sizeof(cancel) };
	struct mbx_events_args a;
	struct mbx_call call;
	int slot, callee;
	__u64 id;

	SETUP_DONE();
	callee = mbx_open(self->dev, self->name, MBX_ACCESS_READ | MBX_ACCESS_WRITE);
	ASSERT_LE(0, callee);
	slot = acquire_any(self->fd, MBX_WAIT_NONBLOCK, NULL);
	ASSERT_LE(0, slot);
	id = submit(self->fd, slot, 0, 0);
	ASSERT_NE(0, id);
	ASSERT_EQ(0, mbx_take(callee, MBX_WAIT_NONBLOCK, 0, &call));
	cancel.call_id = id;
	cancel.slot = slot;
	ASSERT_EQ(0, ioctl(self->fd, MBX_IOC_CALL_CANCEL, &cancel));
	memset(e, POISON, sizeof(e));
	memset(&a, POISON, sizeof(a));
	a.size = sizeof(a);
	a.flags = 0;
	a.events = UPTR(e);
	a.count = 3;
	a.event_size = sizeof(e[0]);
	a.__reserved = 0;
	ASSERT_EQ(0, ioctl(callee, MBX_IOC_EVENTS_READ, &a));
	EXPECT_EQ(sizeof(a), a.size);
	EXPECT_EQ(3, a.count);
	EXPECT_EQ(1, a.out_count);
	EXPECT_EQ(0, a.__reserved);
	EXPECT_EQ(id, e[0].ev.call_id);
	EXPECT_EQ(MBX_EVENT_CANCEL, e[0].ev.type);
	EXPECT_EQ(slot, e[0].ev.slot);
	EXPECT_EQ(0, e[0].ev.status);
	EXPECT_EQ(0, e[0].ev.__reserved);
	EXPECT_TRUE(all(e[0].future, 0, sizeof(e[0].future)));
	EXPECT_TRUE(all(&e[1], POISON, 2 * sizeof(e[0])));
	close(callee);
}

/* A size below the whole struct is refused, and nothing is written. */
TEST_F(disclosure, short_size_writes_nothing)
{
	struct {
		struct mbx_info_args a;
		unsigned char after[64];
	} buf;

	SETUP_DONE();
	memset(&buf, POISON, sizeof(buf));
	buf.a.size = offsetof(struct mbx_info_args, out_nslots);
	buf.a.flags = 0;
	EXPECT_EQ(-1, ioctl(self->fd, MBX_IOC_BOX_INFO, &buf.a));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_TRUE(all(&buf.a.out_name, POISON,
			sizeof(buf) - offsetof(struct mbx_info_args, out_name)));
}

/* A larger struct than the kernel knows: its tail stays as given (zero). */
TEST_F(disclosure, larger_struct_tail_untouched)
{
	struct {
		struct mbx_stats_args a;
		__u64 future[4];
	} buf;

	SETUP_DONE();
	memset(&buf, POISON, sizeof(buf));
	buf.a.size = sizeof(buf);
	buf.a.flags = 0;
	memset(buf.future, 0, sizeof(buf.future));
	ASSERT_EQ(0, ioctl(self->fd, MBX_IOC_BOX_STATS, &buf.a));
	EXPECT_EQ(sizeof(buf), buf.a.size);
	EXPECT_EQ(NSLOTS, buf.a.out_free);
	EXPECT_TRUE(all(buf.future, 0, sizeof(buf.future)));
}

/* /proc/driver/mailbox shows the headers, never the payload. */
TEST_F(disclosure, proc_shows_no_payload)
{
	char buf[65536], needle[] = "5e5e5e5e";
	ssize_t n, len = 0;
	int slot, fd;

	SETUP_DONE();
	slot = acquire_any(self->fd, MBX_WAIT_NONBLOCK, NULL);
	ASSERT_LE(0, slot);
	memset(dis_call_plane(self, slot), SECRET, SLOT_SIZE);
	memcpy(dis_call_plane(self, slot), "TOPSECRET", 9);
	ASSERT_NE(0, submit(self->fd, slot, 0, SLOT_SIZE));
	fd = open("/proc/driver/mailbox", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	while (len < (ssize_t)sizeof(buf) - 1 &&
	       (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	EXPECT_NE(NULL, strstr(buf, self->name));
	EXPECT_EQ(NULL, strstr(buf, "TOPSECRET"));
	EXPECT_EQ(NULL, strstr(buf, needle));
	EXPECT_EQ(NULL, memchr(buf, SECRET, len));
}

TEST_HARNESS_MAIN
