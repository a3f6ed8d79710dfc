// SPDX-License-Identifier: GPL-2.0
/*
 * Mailboxes as objects, and every input the uAPI rejects.
 *
 * The API handshake; create, open, list and destroy; a mailbox outliving
 * its creator; the limits at max and max + 1; the mapping (shared, whole or
 * in part, never private, never beyond the mailbox, never writable through
 * a read-only open); and, one per test, each rejected input with its
 * errno: sizes, names, flags, reserved fields, the size field of every
 * argument struct, unknown ioctls, access rights, wrong owner, stale ids.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/mbx.h>

#include "kselftest_harness.h"
#include "mbx_helpers.h"

MBX_SKIP_WITHOUT_DEVICE

#define NOBODY MBX_OTHER_UID

static long page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

static void api_limits(struct __test_metadata *_metadata,
		       struct mbx_api_args *api, int fd)
{
	memset(api, 0, sizeof(*api));
	api->size = sizeof(*api);
	api->api = MBX_API_VERSION;
	ASSERT_EQ(0, mbx_ioctl(fd, MBX_IOC_API, api));
}

/* ------------------------------------------------------------------ */
/* The device: handshake, create, open, list, destroy                   */

FIXTURE(dev) {
	int dev;
	int fd;
	char name[MBX_NAME_MAX];
};

FIXTURE_SETUP(dev)
{
	self->fd = -1;
	self->dev = mbx_dev_open();
	ASSERT_LE(0, self->dev);
	mbx_unique_name(self->name, "core");
}

FIXTURE_TEARDOWN(dev)
{
	if (self->fd >= 0)
		close(self->fd);
	mbx_destroy(self->dev, self->name);
	close(self->dev);
}

TEST_F(dev, api_handshake)
{
	struct mbx_api_args api;

	memset(&api, 0xcc, sizeof(api));
	api.size = sizeof(api);
	api.flags = 0;
	api.__reserved = 0;
	api.api = MBX_API_VERSION;
	ASSERT_EQ(0, mbx_ioctl(self->dev, MBX_IOC_API, &api));
	EXPECT_EQ(sizeof(api), api.size);
	EXPECT_EQ(MBX_API_VERSION, api.out_api);
	EXPECT_EQ(0, api.__reserved);
	EXPECT_NE(0, api.out_max_slots);
	EXPECT_NE(0xccccccccU, api.out_max_slots);
	EXPECT_LE(MBX_SLOT_ALIGN, api.out_max_slot_size);
	EXPECT_EQ(0, api.out_max_slot_size % MBX_SLOT_ALIGN);
	EXPECT_LE(2ULL * api.out_max_slot_size, api.out_max_box_bytes);
	EXPECT_NE(0xccccccccccccccccULL, api.out_max_box_bytes);
	/* Every feature this header knows is there; nothing else. */
	EXPECT_EQ(MBX_FEAT_REVOKE | MBX_FEAT_REDELIVER | MBX_FEAT_EVENTS |
		  MBX_FEAT_INSPECT | MBX_FEAT_RECLAIM | MBX_FEAT_BATCH |
		  MBX_FEAT_URING, api.out_features);
}

TEST_F(dev, api_on_mailbox_fd)
{
	struct mbx_api_args api;

	self->fd = mbx_create(self->dev, self->name, 1, 64, 0600);
	ASSERT_LE(0, self->fd);
	memset(&api, 0xcc, sizeof(api));
	api.size = sizeof(api);
	api.flags = 0;
	api.__reserved = 0;
	api.api = MBX_API_VERSION;
	ASSERT_EQ(0, mbx_ioctl(self->fd, MBX_IOC_API, &api));
	EXPECT_EQ(MBX_API_VERSION, api.out_api);
	EXPECT_EQ(0, api.__reserved);
}

/* A newer caller is told the version the module speaks. */
TEST_F(dev, api_future_version)
{
	struct mbx_api_args api;

	memset(&api, 0xcc, sizeof(api));
	api.size = sizeof(api);
	api.flags = 0;
	api.__reserved = 0;
	api.api = MBX_API_VERSION + 1;
	ASSERT_EQ(0, mbx_ioctl(self->dev, MBX_IOC_API, &api));
	EXPECT_EQ(MBX_API_VERSION, api.out_api);
}

TEST_F(dev, api_version_zero)
{
	struct mbx_api_args api = { .size = sizeof(api), .api = 0 };

	EXPECT_EQ(-EINVAL, mbx_ioctl(self->dev, MBX_IOC_API, &api));
}

/* A caller built against a later header passes a larger, zero-tailed struct. */
TEST_F(dev, api_larger_struct_zero_tail)
{
	struct {
		struct mbx_api_args a;
		__u64 tail[2];
	} big;

	memset(&big, 0xcc, sizeof(big));
	big.a.size = sizeof(big);
	big.a.flags = 0;
	big.a.__reserved = 0;
	big.a.api = MBX_API_VERSION;
	big.tail[0] = 0;
	big.tail[1] = 0;
	ASSERT_EQ(0, mbx_ioctl(self->dev, MBX_IOC_API, &big));
	EXPECT_EQ(MBX_API_VERSION, big.a.out_api);
	/* What the kernel does not know of, it does not write. */
	EXPECT_EQ(0, big.tail[0]);
	EXPECT_EQ(0, big.tail[1]);
}

/* A struct of PAGE_SIZE bytes, all known or zero, is accepted. */
TEST_F(dev, api_size_of_a_page)
{
	struct mbx_api_args *a = calloc(1, page_size());

	ASSERT_NE(NULL, a);
	a->size = page_size();
	a->api = MBX_API_VERSION;
	ASSERT_EQ(0, mbx_ioctl(self->dev, MBX_IOC_API, a));
	EXPECT_EQ(MBX_API_VERSION, a->out_api);
	free(a);
}

TEST_F(dev, create_and_info)
{
	struct mbx_info_args info;
	long pg = page_size();

	self->fd = mbx_create(self->dev, self->name, 4, 128, 0640);
	ASSERT_LE(0, self->fd);
	EXPECT_EQ(O_RDWR, fcntl(self->fd, F_GETFL) & O_ACCMODE);
	EXPECT_EQ(FD_CLOEXEC, fcntl(self->fd, F_GETFD) & FD_CLOEXEC);

	memset(&info, 0xcc, sizeof(info));
	info.size = sizeof(info);
	info.flags = 0;
	ASSERT_EQ(0, mbx_ioctl(self->fd, MBX_IOC_BOX_INFO, &info));
	EXPECT_EQ(0, memcmp(self->name, info.out_name, MBX_NAME_MAX));
	EXPECT_EQ(4, info.out_nslots);
	EXPECT_EQ(128, info.out_slot_size);
	EXPECT_EQ(0, info.out_call_off);
	/* Each plane starts on a page; the two do not overlap. */
	EXPECT_EQ(0, info.out_reply_off % pg);
	EXPECT_LE(4 * 128, info.out_reply_off);
	EXPECT_EQ(0, info.out_map_size % pg);
	EXPECT_LE(info.out_reply_off + 4 * 128, info.out_map_size);
	EXPECT_EQ(geteuid(), info.out_uid);
	EXPECT_EQ(getegid(), info.out_gid);
	EXPECT_EQ(0640, info.out_mode);
	EXPECT_EQ(MBX_ACCESS_READ | MBX_ACCESS_WRITE, info.out_access);
	EXPECT_EQ(0, info.out_reclaim_ns);
	EXPECT_NE(0, info.out_box_id);
	EXPECT_NE(0xccccccccccccccccULL, info.out_box_id);
}

/* Box ids are never reused, not even for the same name. */
TEST_F(dev, box_id_unique)
{
	struct mbx_info_args a, b;
	int fd;

	self->fd = mbx_create(self->dev, self->name, 1, 64, 0600);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, mbx_info(self->fd, &a));
	ASSERT_EQ(0, mbx_destroy(self->dev, self->name));
	fd = mbx_create(self->dev, self->name, 1, 64, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mbx_info(fd, &b));
	EXPECT_NE(a.out_box_id, b.out_box_id);
	close(fd);
	/* Another session of the same mailbox: the same id. */
	fd = mbx_open(self->dev, self->name, MBX_ACCESS_READ);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mbx_info(fd, &a));
	EXPECT_EQ(b.out_box_id, a.out_box_id);
	close(fd);
}

TEST_F(dev, create_duplicate_name)
{
	self->fd = mbx_create(self->dev, self->name, 1, 64, 0600);
	ASSERT_LE(0, self->fd);
	EXPECT_EQ(-EEXIST, mbx_create(self->dev, self->name, 1, 64, 0600));
}

TEST_F(dev, create_name_of_63_chars)
{
	char name[MBX_NAME_MAX];

	memset(name, 0, sizeof(name));
	memset(name, 'z', MBX_NAME_MAX - 1);
	/* Unique in this run: the pid in the first characters. */
	snprintf(name, 12, "k%010d", (int)getpid());
	name[11] = 'z';
	memcpy(self->name, name, MBX_NAME_MAX);
	self->fd = mbx_create(self->dev, name, 1, 64, 0600);
	ASSERT_LE(0, self->fd);
}

TEST_F(dev, create_every_name_character)
{
	char name[MBX_NAME_MAX];

	memset(name, 0, sizeof(name));
	snprintf(name, sizeof(name), "AZaz09_.:-%d", (int)getpid());
	memcpy(self->name, name, MBX_NAME_MAX);
	self->fd = mbx_create(self->dev, name, 1, 64, 0600);
	ASSERT_LE(0, self->fd);
}

TEST_F(dev, open_by_name_read_write)
{
	struct mbx_info_args info;
	int fd;

	self->fd = mbx_create(self->dev, self->name, 2, 64, 0600);
	ASSERT_LE(0, self->fd);
	fd = mbx_open(self->dev, self->name,
		      MBX_ACCESS_READ | MBX_ACCESS_WRITE);
	ASSERT_LE(0, fd);
	EXPECT_EQ(O_RDWR, fcntl(fd, F_GETFL) & O_ACCMODE);
	memset(&info, 0xcc, sizeof(info));
	info.size = sizeof(info);
	info.flags = 0;
	ASSERT_EQ(0, mbx_ioctl(fd, MBX_IOC_BOX_INFO, &info));
	EXPECT_EQ(MBX_ACCESS_READ | MBX_ACCESS_WRITE, info.out_access);
	EXPECT_EQ(2, info.out_nslots);
	close(fd);
}

TEST_F(dev, open_read_only)
{
	struct mbx_info_args info;
	int fd;

	self->fd = mbx_create(self->dev, self->name, 2, 64, 0600);
	ASSERT_LE(0, self->fd);
	fd = mbx_open(self->dev, self->name, MBX_ACCESS_READ);
	ASSERT_LE(0, fd);
	EXPECT_EQ(O_RDONLY, fcntl(fd, F_GETFL) & O_ACCMODE);
	ASSERT_EQ(0, mbx_info(fd, &info));
	EXPECT_EQ(MBX_ACCESS_READ, info.out_access);
	close(fd);
}

TEST_F(dev, open_without_cloexec)
{
	struct mbx_open_args a;
	int fd;

	self->fd = mbx_create(self->dev, self->name, 1, 64, 0600);
	ASSERT_LE(0, self->fd);
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	memcpy(a.name, self->name, MBX_NAME_MAX);
	a.access = MBX_ACCESS_READ;
	fd = mbx_ioctl(self->dev, MBX_IOC_BOX_OPEN, &a);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
}

TEST_F(dev, open_missing)
{
	EXPECT_EQ(-ENOENT, mbx_open(self->dev, self->name, MBX_ACCESS_READ));
}

static int find_entry(const struct mbx_box_entry *e, __u32 n, const char *name)
{
	__u32 i;

	for (i = 0; i < n; i++)
		if (!memcmp(e[i].name, name, MBX_NAME_MAX))
			return i;
	return -1;
}

TEST_F(dev, list)
{
	struct mbx_box_entry *e;
	struct mbx_list_args l;
	struct mbx_info_args info;
	char name2[MBX_NAME_MAX];
	int fd2, i;

	mbx_unique_name(name2, "core");
	self->fd = mbx_create(self->dev, self->name, 3, 192, 0640);
	ASSERT_LE(0, self->fd);
	fd2 = mbx_create(self->dev, name2, 1, 64, 0604);
	ASSERT_LE(0, fd2);

	/* count 0: how many there are. */
	memset(&l, 0xcc, sizeof(l));
	l.size = sizeof(l);
	l.flags = 0;
	l.entries = 0;
	l.count = 0;
	l.entry_size = sizeof(*e);
	ASSERT_EQ(0, mbx_ioctl(self->dev, MBX_IOC_BOX_LIST, &l));
	EXPECT_EQ(0, l.out_count);
	ASSERT_LE(2, l.out_total);
	ASSERT_GT(1000000, l.out_total);

	e = calloc(l.out_total + 8, sizeof(*e));
	ASSERT_NE(NULL, e);
	memset(e, 0xcc, (l.out_total + 8) * sizeof(*e));
	l.entries = (__u64)(uintptr_t)e;
	l.count = l.out_total + 8;
	l.out_count = 0xcccccccc;
	ASSERT_EQ(0, mbx_ioctl(self->dev, MBX_IOC_BOX_LIST, &l));
	EXPECT_EQ(l.out_total, l.out_count);

	i = find_entry(e, l.out_count, self->name);
	ASSERT_LE(0, i);
	EXPECT_EQ(3, e[i].nslots);
	EXPECT_EQ(192, e[i].slot_size);
	EXPECT_EQ(geteuid(), e[i].uid);
	EXPECT_EQ(getegid(), e[i].gid);
	EXPECT_EQ(0640, e[i].mode);
	EXPECT_EQ(0, e[i].pending);
	ASSERT_EQ(0, mbx_info(self->fd, &info));
	EXPECT_EQ(info.out_box_id, e[i].box_id);
	i = find_entry(e, l.out_count, name2);
	ASSERT_LE(0, i);
	EXPECT_EQ(1, e[i].nslots);
	EXPECT_EQ(0604, e[i].mode);

	/* Room for one: one written, the total still told. */
	memset(e, 0xcc, sizeof(*e) * 2);
	l.count = 1;
	ASSERT_EQ(0, mbx_ioctl(self->dev, MBX_IOC_BOX_LIST, &l));
	EXPECT_EQ(1, l.out_count);
	EXPECT_LE(2, l.out_total);
	EXPECT_NE(0xcccccccc, e[0].nslots);
	EXPECT_EQ(0xcccccccc, e[1].nslots);

	free(e);
	close(fd2);
	EXPECT_EQ(0, mbx_destroy(self->dev, name2));
}

TEST_F(dev, list_shows_pending)
{
	struct mbx_box_entry e[64];
	struct mbx_list_args l;
	int slot, i;

	self->fd = mbx_create(self->dev, self->name, 2, 64, 0600);
	ASSERT_LE(0, self->fd);
	slot = mbx_acquire(self->fd, MBX_ACQUIRE_ANY, 0, 0, NULL);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, mbx_submit(self->fd, slot, 1, 0, 0, NULL));

	memset(&l, 0, sizeof(l));
	l.size = sizeof(l);
	l.entries = (__u64)(uintptr_t)e;
	l.count = 64;
	l.entry_size = sizeof(e[0]);
	ASSERT_EQ(0, mbx_ioctl(self->dev, MBX_IOC_BOX_LIST, &l));
	i = find_entry(e, l.out_count, self->name);
	ASSERT_LE(0, i);
	EXPECT_EQ(1, e[i].pending);
}

/* An entry larger than the kernel's: the excess is zeroed, not skipped. */
TEST_F(dev, list_larger_entries)
{
	struct big_entry {
		struct mbx_box_entry e;
		__u64 extra;
	} *e;
	struct mbx_list_args l;
	__u32 i;
	int found = 0;

	self->fd = mbx_create(self->dev, self->name, 1, 64, 0600);
	ASSERT_LE(0, self->fd);
	e = calloc(256, sizeof(*e));
	ASSERT_NE(NULL, e);
	memset(e, 0xcc, 256 * sizeof(*e));
	memset(&l, 0, sizeof(l));
	l.size = sizeof(l);
	l.entries = (__u64)(uintptr_t)e;
	l.count = 256;
	l.entry_size = sizeof(*e);
	ASSERT_EQ(0, mbx_ioctl(self->dev, MBX_IOC_BOX_LIST, &l));
	ASSERT_LE(1, l.out_count);
	for (i = 0; i < l.out_count; i++) {
		EXPECT_EQ(0, e[i].extra);
		if (!memcmp(e[i].e.name, self->name, MBX_NAME_MAX))
			found++;
	}
	EXPECT_EQ(1, found);
	free(e);
}

TEST_F(dev, destroy)
{
	struct mbx_info_args info;

	self->fd = mbx_create(self->dev, self->name, 1, 64, 0600);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, mbx_destroy(self->dev, self->name));
	/* The name is gone... */
	EXPECT_EQ(-ENOENT, mbx_open(self->dev, self->name, MBX_ACCESS_READ));
	EXPECT_EQ(-ENOENT, mbx_destroy(self->dev, self->name));
	/* ...the object lives on while an fd holds it... */
	ASSERT_EQ(0, mbx_info(self->fd, &info));
	EXPECT_EQ(1, info.out_nslots);
	EXPECT_EQ(0, mbx_acquire(self->fd, 0, 0, 0, NULL));
	/* ...and the name is free for a new, distinct mailbox. */
	int fd2 = mbx_create(self->dev, self->name, 3, 64, 0600);

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, mbx_info(fd2, &info));
	EXPECT_EQ(3, info.out_nslots);
	ASSERT_EQ(0, mbx_info(self->fd, &info));
	EXPECT_EQ(1, info.out_nslots);
	close(fd2);
}

TEST_F(dev, destroy_missing)
{
	EXPECT_EQ(-ENOENT, mbx_destroy(self->dev, self->name));
}

/* A mailbox is destroyed only on request: not when its creator exits. */
TEST_F(dev, outlives_its_creator)
{
	struct mbx_map m;
	int status, fd;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct mbx_map cm;
		int cfd = mbx_create(self->dev, self->name, 2, 64, 0600);

		if (cfd < 0 || mbx_map(cfd, PROT_READ | PROT_WRITE, &cm))
			_exit(1);
		strcpy(mbx_call_plane(&cm, 1), "left by the creator");
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));

	fd = mbx_open(self->dev, self->name, MBX_ACCESS_READ);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mbx_map(fd, PROT_READ, &m));
	EXPECT_STREQ("left by the creator", mbx_call_plane(&m, 1));
	mbx_unmap(&m);
	close(fd);
}

TEST_F(dev, limits_at_max)
{
	struct mbx_api_args api;
	int fd;

	api_limits(_metadata, &api, self->dev);
	/* The most slots, each of the smallest size. */
	fd = mbx_create(self->dev, self->name, api.out_max_slots,
			MBX_SLOT_ALIGN, 0600);
	if (2ULL * api.out_max_slots * MBX_SLOT_ALIGN <= api.out_max_box_bytes) {
		ASSERT_LE(0, fd);
		close(fd);
		ASSERT_EQ(0, mbx_destroy(self->dev, self->name));
	} else {
		EXPECT_EQ(-E2BIG, fd);
	}
	/* The largest slot. */
	fd = mbx_create(self->dev, self->name, 1, api.out_max_slot_size, 0600);
	ASSERT_LE(0, fd);
	close(fd);
}

/* Exactly out_max_box_bytes: the most one mailbox may map. */
TEST_F(dev, limits_box_bytes_at_max)
{
	struct mbx_api_args api;
	struct sysinfo si;
	__u64 nslots;
	int fd;

	api_limits(_metadata, &api, self->dev);
	nslots = api.out_max_box_bytes / 2 / api.out_max_slot_size;
	ASSERT_LE(1, nslots);
	ASSERT_GE(api.out_max_slots, nslots);
	ASSERT_EQ(0, sysinfo(&si));
	if ((__u64)si.freeram * si.mem_unit < 4 * api.out_max_box_bytes)
		SKIP(return, "%llu bytes free, too few for a mailbox of %llu",
		     (unsigned long long)si.freeram * si.mem_unit,
		     (unsigned long long)api.out_max_box_bytes);
	fd = mbx_create(self->dev, self->name, nslots,
			api.out_max_slot_size, 0600);
	ASSERT_LE(0, fd);
	close(fd);
}

static int count_boxes(int dev)
{
	struct mbx_list_args l = { .size = sizeof(l),
				   .entry_size = sizeof(struct mbx_box_entry) };
	int ret = mbx_ioctl(dev, MBX_IOC_BOX_LIST, &l);

	return ret ? ret : (int)l.out_total;
}

#define PARAM_DIR "/sys/module/mbx/parameters/"

static long long read_param(const char *name)
{
	long long v = -1;
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), PARAM_DIR "%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static int write_param(const char *name, long long v)
{
	char path[128];
	FILE *f;
	int ret = 0;

	snprintf(path, sizeof(path), PARAM_DIR "%s", name);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	if (fprintf(f, "%lld\n", v) < 0)
		ret = -EIO;
	if (fclose(f))
		ret = -errno;
	return ret;
}

/* ------------------------------------------------------------------ */
/* Limits that need many mailboxes: lowered for the test, then restored  */

#define LIMIT_PARAMS 3
static const char *const limit_params[LIMIT_PARAMS] = {
	"max_boxes", "user_max_boxes", "user_max_bytes",
};

FIXTURE(limits) {
	int dev;
	bool skip;
	long long saved[LIMIT_PARAMS];
	char names[8][MBX_NAME_MAX];
	int made;
};

FIXTURE_SETUP(limits)
{
	int i;

	self->dev = mbx_dev_open();
	ASSERT_LE(0, self->dev);
	for (i = 0; i < LIMIT_PARAMS; i++)
		self->saved[i] = read_param(limit_params[i]);
	if (geteuid() != 0 || self->saved[0] < 0 ||
	    access(PARAM_DIR "max_boxes", W_OK)) {
		self->skip = true;
		SKIP(return, "needs root and " PARAM_DIR);
	}
}

FIXTURE_TEARDOWN(limits)
{
	int i;

	for (i = 0; i < LIMIT_PARAMS; i++)
		if (self->saved[i] >= 0)
			write_param(limit_params[i], self->saved[i]);
	for (i = 0; i < self->made; i++)
		mbx_destroy(self->dev, self->names[i]);
	close(self->dev);
}

/* Create mailboxes of one slot of 64 bytes until one fails: its errno. */
static int fill(FIXTURE_DATA(limits) *self, int most)
{
	int fd;

	while (self->made < most) {
		mbx_unique_name(self->names[self->made], "lim");
		fd = mbx_create(self->dev, self->names[self->made], 1, 64, 0600);
		if (fd < 0)
			return fd;
		close(fd);
		self->made++;
	}
	return 0;
}

/* max_boxes mailboxes in all: the one after is ENOSPC, and nothing is left. */
TEST_F(limits, max_boxes)
{
	int have = count_boxes(self->dev);

	if (self->skip)
		return;
	ASSERT_LE(0, have);
	ASSERT_EQ(0, write_param("max_boxes", have + 3));
	ASSERT_EQ(0, write_param("user_max_boxes", have + 100));
	EXPECT_EQ(-ENOSPC, fill(self, 8));
	EXPECT_EQ(3, self->made);
	/* At the limit again after one is gone. */
	ASSERT_EQ(0, mbx_destroy(self->dev, self->names[--self->made]));
	EXPECT_EQ(-ENOSPC, fill(self, 8));
	EXPECT_EQ(3, self->made);
}

/* user_max_boxes per uid: the one after is ENOSPC. */
TEST_F(limits, user_max_boxes)
{
	int have = count_boxes(self->dev);

	if (self->skip)
		return;
	ASSERT_LE(0, have);
	ASSERT_EQ(0, write_param("max_boxes", have + 100));
	/* Every mailbox here is root's: the suite runs as root. */
	ASSERT_EQ(0, write_param("user_max_boxes", have + 2));
	EXPECT_EQ(-ENOSPC, fill(self, 8));
	EXPECT_EQ(2, self->made);
}

/* user_max_bytes per uid: a mailbox that would pass it is ENOSPC. */
TEST_F(limits, user_max_bytes)
{
	char name[MBX_NAME_MAX];
	int fd;

	if (self->skip)
		return;
	/* Far less than the one-slot mailboxes cost: none fits. */
	ASSERT_EQ(0, write_param("user_max_bytes", 4096));
	mbx_unique_name(name, "lim");
	fd = mbx_create(self->dev, name, 1, 64, 0600);
	if (fd >= 0) {
		close(fd);
		mbx_destroy(self->dev, name);
	}
	EXPECT_EQ(-ENOSPC, fd);
	EXPECT_EQ(-ENOENT, mbx_open(self->dev, name, MBX_ACCESS_READ));
}

/*
 * No mailbox is leaked: the module's count of mailboxes in memory goes
 * back to where it was once the name, the fds and the mappings are gone.
 */
TEST_F(dev, no_mailbox_leaked)
{
	long long before = read_param("live_boxes");
	struct mbx_map m;
	int fd;

	if (before < 0)
		SKIP(return, "no " PARAM_DIR "live_boxes");
	self->fd = mbx_create(self->dev, self->name, 2, 64, 0600);
	ASSERT_LE(0, self->fd);
	EXPECT_EQ(before + 1, read_param("live_boxes"));
	fd = mbx_open(self->dev, self->name, MBX_ACCESS_READ);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mbx_map(fd, PROT_READ, &m));
	close(fd);
	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(0, mbx_destroy(self->dev, self->name));
	/* The mapping still holds it. */
	EXPECT_EQ(before + 1, read_param("live_boxes"));
	mbx_unmap(&m);
	EXPECT_EQ(before, read_param("live_boxes"));
}

/* ------------------------------------------------------------------ */
/* MBX_IOC_BOX_CREATE: each rejected input, one per variant             */

enum over { OVER_NONE, OVER_SLOTS, OVER_SLOT_SIZE, OVER_BYTES };

FIXTURE(create_bad) {
	int dev;
	char name[MBX_NAME_MAX];
};

FIXTURE_VARIANT(create_bad) {
	__u32 nslots;
	__u32 slot_size;
	__u32 mode;
	__u32 flags;
	__u32 reserved;
	__u32 size;		/* 0: sizeof */
	const char *name;	/* NULL: a valid unique one */
	unsigned int name_len;	/* bytes of name to copy, 0: strlen */
	enum over over;
	int err;
};

FIXTURE_SETUP(create_bad)
{
	self->dev = mbx_dev_open();
	ASSERT_LE(0, self->dev);
	mbx_unique_name(self->name, "bad");
}

FIXTURE_TEARDOWN(create_bad)
{
	/* Should one be created after all, do not leave it behind. */
	mbx_destroy(self->dev, self->name);
	close(self->dev);
}

FIXTURE_VARIANT_ADD(create_bad, nslots_zero) {
	.nslots = 0, .slot_size = 64, .mode = 0600,
	.err = EINVAL,
};
FIXTURE_VARIANT_ADD(create_bad, slot_size_zero) {
	.nslots = 2, .slot_size = 0, .mode = 0600,
	.err = EINVAL,
};
FIXTURE_VARIANT_ADD(create_bad, slot_size_unaligned) {
	.nslots = 2, .slot_size = MBX_SLOT_ALIGN + 32, .mode = 0600,
	.err = EINVAL,
};
FIXTURE_VARIANT_ADD(create_bad, slot_size_below_align) {
	.nslots = 2, .slot_size = MBX_SLOT_ALIGN - 1, .mode = 0600,
	.err = EINVAL,
};
FIXTURE_VARIANT_ADD(create_bad, nslots_max_plus_1) {
	.nslots = 2, .slot_size = 64, .mode = 0600,
	.over = OVER_SLOTS,
	.err = E2BIG,
};
FIXTURE_VARIANT_ADD(create_bad, nslots_u32_max) {
	.nslots = 0xffffffff, .slot_size = 64, .mode = 0600,
	.err = E2BIG,
};
FIXTURE_VARIANT_ADD(create_bad, slot_size_max_plus_align) {
	.nslots = 2, .slot_size = 64, .mode = 0600,
	.over = OVER_SLOT_SIZE,
	.err = E2BIG,
};
FIXTURE_VARIANT_ADD(create_bad, box_bytes_over_max) {
	.nslots = 2, .slot_size = 64, .mode = 0600,
	.over = OVER_BYTES,
	.err = E2BIG,
};
FIXTURE_VARIANT_ADD(create_bad, mode_sticky) {
	.nslots = 2, .slot_size = 64, .mode = 01600,
	.err = EINVAL,
};
FIXTURE_VARIANT_ADD(create_bad, mode_exec_bit) {
	.nslots = 2, .slot_size = 64, .mode = 0700,
	.err = EINVAL,
};
FIXTURE_VARIANT_ADD(create_bad, mode_file_type) {
	.nslots = 2, .slot_size = 64, .mode = 0100600,
	.err = EINVAL,
};
FIXTURE_VARIANT_ADD(create_bad, unknown_flag) {
	.nslots = 2, .slot_size = 64, .mode = 0600,
	.flags = MBX_CREATE_CLOEXEC << 1,
	.err = EINVAL,
};
FIXTURE_VARIANT_ADD(create_bad, unknown_flag_high) {
	.nslots = 2, .slot_size = 64, .mode = 0600,
	.flags = 1U << 31,
	.err = EINVAL,
};
FIXTURE_VARIANT_ADD(create_bad, reserved_nonzero) {
	.nslots = 2, .slot_size = 64, .mode = 0600,
	.reserved = 1,
	.err = EINVAL,
};
FIXTURE_VARIANT_ADD(create_bad, size_only_size_field) {
	.nslots = 2, .slot_size = 64, .mode = 0600,
	.size = sizeof(__u32),
	.err = EINVAL,
};
FIXTURE_VARIANT_ADD(create_bad, size_short_of_reclaim_ns) {
	.nslots = 2, .slot_size = 64, .mode = 0600,
	.size = offsetof(struct mbx_create_args, reclaim_ns),
	.err = EINVAL,
};
FIXTURE_VARIANT_ADD(create_bad, name_empty) {
	.nslots = 2, .slot_size = 64, .mode = 0600,
	.name = "",
	.err = EINVAL,
};
FIXTURE_VARIANT_ADD(create_bad, name_slash) {
	.nslots = 2, .slot_size = 64, .mode = 0600,
	.name = "a/b",
	.err = EINVAL,
};
FIXTURE_VARIANT_ADD(create_bad, name_space) {
	.nslots = 2, .slot_size = 64, .mode = 0600,
	.name = "a b",
	.err = EINVAL,
};
FIXTURE_VARIANT_ADD(create_bad, name_newline) {
	.nslots = 2, .slot_size = 64, .mode = 0600,
	.name = "ab\n",
	.err = EINVAL,
};
FIXTURE_VARIANT_ADD(create_bad, name_star) {
	.nslots = 2, .slot_size = 64, .mode = 0600,
	.name = "a*",
	.err = EINVAL,
};
/* Letters are [A-Za-z]: not the Latin-1 letters of a byte's upper half. */
FIXTURE_VARIANT_ADD(create_bad, name_latin1_letter) {
	.nslots = 2, .slot_size = 64, .mode = 0600,
	.name = "caf\xe9",
	.err = EINVAL,
};
FIXTURE_VARIANT_ADD(create_bad, name_utf8) {
	.nslots = 2, .slot_size = 64, .mode = 0600,
	.name = "caf\xc3\xa9",
	.err = EINVAL,
};
FIXTURE_VARIANT_ADD(create_bad, name_64_chars_unterminated) {
	.nslots = 2, .slot_size = 64, .mode = 0600,
	.name = "0123456789012345678901234567890123456789012345678901234567890123",
	.name_len = MBX_NAME_MAX,
	.err = EINVAL,
};
FIXTURE_VARIANT_ADD(create_bad, name_garbage_after_nul) {
	.nslots = 2, .slot_size = 64, .mode = 0600,
	.name = "ab\0c",
	.name_len = 4,
	.err = EINVAL,
};

TEST_F(create_bad, rejected)
{
	struct mbx_create_args a;
	struct mbx_api_args api;
	int fd;

	api_limits(_metadata, &api, self->dev);
	memset(&a, 0, sizeof(a));
	a.size = variant->size ? variant->size : sizeof(a);
	a.flags = variant->flags;
	a.__reserved = variant->reserved;
	a.nslots = variant->nslots;
	a.slot_size = variant->slot_size;
	a.mode = variant->mode;
	if (variant->name) {
		unsigned int n = variant->name_len ?: strlen(variant->name);

		memcpy(a.name, variant->name, n);
		/* Tear down what a wrongly accepted name would leave. */
		if (n < MBX_NAME_MAX)
			memcpy(self->name, a.name, MBX_NAME_MAX);
	} else {
		memcpy(a.name, self->name, MBX_NAME_MAX);
	}
	switch (variant->over) {
	case OVER_SLOTS:
		a.nslots = api.out_max_slots + 1;
		break;
	case OVER_SLOT_SIZE:
		a.slot_size = api.out_max_slot_size + MBX_SLOT_ALIGN;
		break;
	case OVER_BYTES:
		a.slot_size = api.out_max_slot_size;
		a.nslots = api.out_max_box_bytes / 2 / a.slot_size + 1;
		ASSERT_GE(api.out_max_slots, a.nslots);
		break;
	case OVER_NONE:
		break;
	}
	fd = mbx_ioctl(self->dev, MBX_IOC_BOX_CREATE, &a);
	if (fd >= 0)
		close(fd);
	EXPECT_EQ(-variant->err, fd);
	/* Never a partial object: the name is not taken. */
	if (!variant->name)
		EXPECT_EQ(-ENOENT, mbx_open(self->dev, self->name,
					    MBX_ACCESS_READ));
}

/* ------------------------------------------------------------------ */
/* The size field of every argument struct                              */

FIXTURE(args_size) {
	int dev;
	int fd;
	char name[MBX_NAME_MAX];
};

FIXTURE_VARIANT(args_size) {
	unsigned long cmd;
	__u32 struct_size;
	bool on_dev;		/* an ioctl of /dev/mailbox */
};

FIXTURE_SETUP(args_size)
{
	self->dev = mbx_dev_open();
	ASSERT_LE(0, self->dev);
	mbx_unique_name(self->name, "size");
	self->fd = mbx_create(self->dev, self->name, 2, 64, 0600);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(args_size)
{
	close(self->fd);
	mbx_destroy(self->dev, self->name);
	close(self->dev);
}

#define ARGS(_cmd, _type, _dev) \
	{ .cmd = _cmd, .struct_size = sizeof(struct _type), .on_dev = _dev }

FIXTURE_VARIANT_ADD(args_size, api) ARGS(MBX_IOC_API, mbx_api_args, true);
FIXTURE_VARIANT_ADD(args_size, box_create)
	ARGS(MBX_IOC_BOX_CREATE, mbx_create_args, true);
FIXTURE_VARIANT_ADD(args_size, box_open)
	ARGS(MBX_IOC_BOX_OPEN, mbx_open_args, true);
FIXTURE_VARIANT_ADD(args_size, box_destroy)
	ARGS(MBX_IOC_BOX_DESTROY, mbx_destroy_args, true);
FIXTURE_VARIANT_ADD(args_size, box_list)
	ARGS(MBX_IOC_BOX_LIST, mbx_list_args, true);
FIXTURE_VARIANT_ADD(args_size, box_info)
	ARGS(MBX_IOC_BOX_INFO, mbx_info_args, false);
FIXTURE_VARIANT_ADD(args_size, box_set)
	ARGS(MBX_IOC_BOX_SET, mbx_set_args, false);
FIXTURE_VARIANT_ADD(args_size, box_stats)
	ARGS(MBX_IOC_BOX_STATS, mbx_stats_args, false);
FIXTURE_VARIANT_ADD(args_size, box_reclaim)
	ARGS(MBX_IOC_BOX_RECLAIM, mbx_reclaim_args, false);
FIXTURE_VARIANT_ADD(args_size, slot_acquire)
	ARGS(MBX_IOC_SLOT_ACQUIRE, mbx_acquire_args, false);
FIXTURE_VARIANT_ADD(args_size, slot_release)
	ARGS(MBX_IOC_SLOT_RELEASE, mbx_release_args, false);
FIXTURE_VARIANT_ADD(args_size, slot_info)
	ARGS(MBX_IOC_SLOT_INFO, mbx_slots_args, false);
FIXTURE_VARIANT_ADD(args_size, call_submit)
	ARGS(MBX_IOC_CALL_SUBMIT, mbx_submit_args, false);
FIXTURE_VARIANT_ADD(args_size, call_take)
	ARGS(MBX_IOC_CALL_TAKE, mbx_take_args, false);
FIXTURE_VARIANT_ADD(args_size, call_complete)
	ARGS(MBX_IOC_CALL_COMPLETE, mbx_complete_args, false);
FIXTURE_VARIANT_ADD(args_size, call_collect)
	ARGS(MBX_IOC_CALL_COLLECT, mbx_collect_args, false);
FIXTURE_VARIANT_ADD(args_size, call_cancel)
	ARGS(MBX_IOC_CALL_CANCEL, mbx_cancel_args, false);
FIXTURE_VARIANT_ADD(args_size, events_read)
	ARGS(MBX_IOC_EVENTS_READ, mbx_events_args, false);

/* Room for the largest struct and a tail after it. */
union args_buf {
	__u32 size;
	unsigned char bytes[256];
};

static int args_fd(FIXTURE_DATA(args_size) *self,
		   const FIXTURE_VARIANT(args_size) *variant)
{
	return variant->on_dev ? self->dev : self->fd;
}

TEST_F(args_size, size_zero)
{
	union args_buf b;

	memset(&b, 0, sizeof(b));
	b.size = 0;
	EXPECT_EQ(-EINVAL, mbx_ioctl(args_fd(self, variant), variant->cmd, &b));
}

TEST_F(args_size, size_of_size_field_only)
{
	union args_buf b;

	memset(&b, 0, sizeof(b));
	b.size = sizeof(__u32);
	EXPECT_EQ(-EINVAL, mbx_ioctl(args_fd(self, variant), variant->cmd, &b));
}

TEST_F(args_size, larger_with_nonzero_tail)
{
	union args_buf b;

	ASSERT_GE(sizeof(b.bytes), variant->struct_size + 8);
	memset(&b, 0, sizeof(b));
	b.size = variant->struct_size + 8;
	b.bytes[variant->struct_size + 7] = 1;
	EXPECT_EQ(-E2BIG, mbx_ioctl(args_fd(self, variant), variant->cmd, &b));
}

TEST_F(args_size, larger_with_nonzero_byte_right_after)
{
	union args_buf b;

	memset(&b, 0, sizeof(b));
	b.size = variant->struct_size + 1;
	b.bytes[variant->struct_size] = 0x80;
	EXPECT_EQ(-E2BIG, mbx_ioctl(args_fd(self, variant), variant->cmd, &b));
}

/* Sizes are taken up to PAGE_SIZE only, zero tail or not. */
TEST_F(args_size, size_above_page)
{
	size_t len = page_size() + 64;
	__u32 *b = calloc(1, len);

	ASSERT_NE(NULL, b);
	*b = page_size() + 8;
	EXPECT_EQ(-E2BIG, mbx_ioctl(args_fd(self, variant), variant->cmd, b));
	free(b);
}

TEST_F(args_size, unreadable_struct)
{
	void *p = mmap(NULL, page_size(), PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-EFAULT, mbx_ioctl(args_fd(self, variant), variant->cmd, p));
	munmap(p, page_size());
}

/* ------------------------------------------------------------------ */
/* Unknown ioctls                                                       */

FIXTURE(ioctl) {
	int dev;
	int fd;
	char name[MBX_NAME_MAX];
};

FIXTURE_SETUP(ioctl)
{
	self->dev = mbx_dev_open();
	ASSERT_LE(0, self->dev);
	mbx_unique_name(self->name, "ioctl");
	self->fd = mbx_create(self->dev, self->name, 1, 64, 0600);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(ioctl)
{
	close(self->fd);
	mbx_destroy(self->dev, self->name);
	close(self->dev);
}

TEST_F(ioctl, unknown_number_on_device)
{
	struct mbx_api_args a = { .size = sizeof(a), .api = MBX_API_VERSION };

	EXPECT_EQ(-ENOTTY, mbx_ioctl(self->dev, _IO(MBX_IOC_MAGIC, 0x7f), &a));
}

TEST_F(ioctl, unknown_number_on_mailbox)
{
	struct mbx_api_args a = { .size = sizeof(a), .api = MBX_API_VERSION };

	EXPECT_EQ(-ENOTTY, mbx_ioctl(self->fd, _IO(MBX_IOC_MAGIC, 0x7f), &a));
}

/* The right number with size and direction bits is another command. */
TEST_F(ioctl, api_with_direction_bits)
{
	struct mbx_api_args a = { .size = sizeof(a), .api = MBX_API_VERSION };

	EXPECT_EQ(-ENOTTY,
		  mbx_ioctl(self->dev, _IOWR(MBX_IOC_MAGIC, 0x00,
					     struct mbx_api_args), &a));
}

TEST_F(ioctl, other_magic)
{
	struct mbx_api_args a = { .size = sizeof(a), .api = MBX_API_VERSION };

	EXPECT_EQ(-ENOTTY, mbx_ioctl(self->dev, _IO(MBX_IOC_MAGIC + 1, 0), &a));
}

TEST_F(ioctl, mailbox_ioctl_on_device)
{
	struct mbx_info_args a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	EXPECT_EQ(-ENOTTY, mbx_ioctl(self->dev, MBX_IOC_BOX_INFO, &a));
}

TEST_F(ioctl, device_ioctl_on_mailbox)
{
	struct mbx_open_args a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	memcpy(a.name, self->name, MBX_NAME_MAX);
	a.access = MBX_ACCESS_READ;
	EXPECT_EQ(-ENOTTY, mbx_ioctl(self->fd, MBX_IOC_BOX_OPEN, &a));
}

/* ------------------------------------------------------------------ */
/* MBX_IOC_BOX_OPEN, _DESTROY, _LIST: rejected inputs                   */

FIXTURE(box) {
	int dev;
	int fd;		/* the creator's session, read-write */
	int ro;		/* a read-only session */
	char name[MBX_NAME_MAX];
};

FIXTURE_SETUP(box)
{
	self->dev = mbx_dev_open();
	ASSERT_LE(0, self->dev);
	mbx_unique_name(self->name, "box");
	self->fd = mbx_create(self->dev, self->name, 4, 128, 0600);
	ASSERT_LE(0, self->fd);
	self->ro = mbx_open(self->dev, self->name, MBX_ACCESS_READ);
	ASSERT_LE(0, self->ro);
}

FIXTURE_TEARDOWN(box)
{
	close(self->ro);
	close(self->fd);
	mbx_destroy(self->dev, self->name);
	close(self->dev);
}

static void open_args(struct mbx_open_args *a, const char *name)
{
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	mbx_set_name(a->name, name);
	a->access = MBX_ACCESS_READ;
}

TEST_F(box, open_unknown_flag)
{
	struct mbx_open_args a;

	open_args(&a, self->name);
	a.flags = MBX_OPEN_CLOEXEC << 1;
	EXPECT_EQ(-EINVAL, mbx_ioctl(self->dev, MBX_IOC_BOX_OPEN, &a));
}

TEST_F(box, open_reserved_nonzero)
{
	struct mbx_open_args a;

	open_args(&a, self->name);
	a.__reserved = 1;
	EXPECT_EQ(-EINVAL, mbx_ioctl(self->dev, MBX_IOC_BOX_OPEN, &a));
}

TEST_F(box, open_access_none)
{
	struct mbx_open_args a;

	open_args(&a, self->name);
	a.access = 0;
	EXPECT_EQ(-EINVAL, mbx_ioctl(self->dev, MBX_IOC_BOX_OPEN, &a));
}

TEST_F(box, open_access_unknown)
{
	struct mbx_open_args a;

	open_args(&a, self->name);
	a.access = MBX_ACCESS_READ | (MBX_ACCESS_WRITE << 1);
	EXPECT_EQ(-EINVAL, mbx_ioctl(self->dev, MBX_IOC_BOX_OPEN, &a));
}

/* Every writer reads payloads: write access comes with read access. */
TEST_F(box, open_write_without_read)
{
	struct mbx_open_args a;

	open_args(&a, self->name);
	a.access = MBX_ACCESS_WRITE;
	EXPECT_EQ(-EINVAL, mbx_ioctl(self->dev, MBX_IOC_BOX_OPEN, &a));
}

TEST_F(box, open_bad_name)
{
	struct mbx_open_args a;

	open_args(&a, "no/such");
	EXPECT_EQ(-EINVAL, mbx_ioctl(self->dev, MBX_IOC_BOX_OPEN, &a));
}

TEST_F(box, open_unterminated_name)
{
	struct mbx_open_args a;

	open_args(&a, self->name);
	memset(a.name, 'a', MBX_NAME_MAX);
	EXPECT_EQ(-EINVAL, mbx_ioctl(self->dev, MBX_IOC_BOX_OPEN, &a));
}

TEST_F(box, destroy_unknown_flag)
{
	struct mbx_destroy_args a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = 1;
	memcpy(a.name, self->name, MBX_NAME_MAX);
	EXPECT_EQ(-EINVAL, mbx_ioctl(self->dev, MBX_IOC_BOX_DESTROY, &a));
	EXPECT_EQ(0, mbx_destroy(self->dev, self->name));
}

TEST_F(box, destroy_bad_name)
{
	EXPECT_EQ(-EINVAL, mbx_destroy(self->dev, ""));
}

TEST_F(box, list_unknown_flag)
{
	struct mbx_list_args l = { .size = sizeof(l), .flags = 1,
				   .entry_size = sizeof(struct mbx_box_entry) };

	EXPECT_EQ(-EINVAL, mbx_ioctl(self->dev, MBX_IOC_BOX_LIST, &l));
}

TEST_F(box, list_entry_size_too_small)
{
	struct mbx_box_entry e[4];
	struct mbx_list_args l = { .size = sizeof(l),
				   .entries = (__u64)(uintptr_t)e, .count = 4,
				   .entry_size = offsetof(struct mbx_box_entry,
							  pending) };

	EXPECT_EQ(-EINVAL, mbx_ioctl(self->dev, MBX_IOC_BOX_LIST, &l));
}

TEST_F(box, list_entries_unwritable)
{
	void *p = mmap(NULL, page_size(), PROT_READ,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct mbx_list_args l = { .size = sizeof(l), .count = 4,
				   .entry_size = sizeof(struct mbx_box_entry) };

	ASSERT_NE(MAP_FAILED, p);
	l.entries = (__u64)(uintptr_t)p;
	EXPECT_EQ(-EFAULT, mbx_ioctl(self->dev, MBX_IOC_BOX_LIST, &l));
	munmap(p, page_size());
}

/* ---- access rights, as another user (uid and gid NOBODY) ---- */

struct nobody_ctx {
	const char *name;
	__u32 access;
	int fd;
};

static int nobody_open(void *arg)
{
	struct nobody_ctx *c = arg;
	int dev = mbx_dev_open(), ret;

	if (dev < 0)
		return dev;
	ret = mbx_open(dev, c->name, c->access);
	if (ret >= 0) {
		close(ret);
		ret = 0;
	}
	close(dev);
	return ret;
}

static int nobody_destroy(void *arg)
{
	struct nobody_ctx *c = arg;
	int dev = mbx_dev_open(), ret;

	if (dev < 0)
		return dev;
	ret = mbx_destroy(dev, c->name);
	close(dev);
	return ret;
}

static int nobody_count_boxes(void *arg)
{
	int dev = mbx_dev_open(), ret;

	(void)arg;
	if (dev < 0)
		return dev;
	ret = count_boxes(dev);
	close(dev);
	return ret;
}

/* Through an fd that was opened as root, then used as nobody. */
static int nobody_set_mode(void *arg)
{
	struct nobody_ctx *c = arg;
	struct mbx_set_args s = { .size = sizeof(s), .flags = MBX_SET_MODE,
				  .mode = 0666 };

	return mbx_ioctl(c->fd, MBX_IOC_BOX_SET, &s);
}

#define NEED_ROOT() do {						\
	if (geteuid() != 0)						\
		SKIP(return, "needs root to become another user");	\
} while (0)

TEST_F(box, open_other_user_mode_0600)
{
	struct nobody_ctx c = { .name = self->name, .access = MBX_ACCESS_READ };

	NEED_ROOT();
	EXPECT_EQ(-EACCES, mbx_as_other(nobody_open, &c));
}

TEST_F(box, open_other_user_read_allowed)
{
	struct mbx_set_args s = { .size = sizeof(s), .flags = MBX_SET_MODE,
				  .mode = 0604 };
	struct nobody_ctx c = { .name = self->name, .access = MBX_ACCESS_READ };

	NEED_ROOT();
	ASSERT_EQ(0, mbx_ioctl(self->fd, MBX_IOC_BOX_SET, &s));
	EXPECT_EQ(0, mbx_as_other(nobody_open, &c));
}

TEST_F(box, open_other_user_write_denied)
{
	struct mbx_set_args s = { .size = sizeof(s), .flags = MBX_SET_MODE,
				  .mode = 0604 };
	struct nobody_ctx c = { .name = self->name,
				.access = MBX_ACCESS_READ | MBX_ACCESS_WRITE };

	NEED_ROOT();
	ASSERT_EQ(0, mbx_ioctl(self->fd, MBX_IOC_BOX_SET, &s));
	EXPECT_EQ(-EACCES, mbx_as_other(nobody_open, &c));
}

TEST_F(box, open_group_member)
{
	struct mbx_set_args s = { .size = sizeof(s),
				  .flags = MBX_SET_MODE | MBX_SET_GID,
				  .mode = 0660, .gid = NOBODY };
	struct nobody_ctx c = { .name = self->name,
				.access = MBX_ACCESS_READ | MBX_ACCESS_WRITE };

	NEED_ROOT();
	ASSERT_EQ(0, mbx_ioctl(self->fd, MBX_IOC_BOX_SET, &s));
	EXPECT_EQ(0, mbx_as_other(nobody_open, &c));
}

TEST_F(box, list_hides_unreadable)
{
	int before;

	NEED_ROOT();
	before = mbx_as_other(nobody_count_boxes, NULL);
	ASSERT_LE(0, before);
	struct mbx_set_args s = { .size = sizeof(s), .flags = MBX_SET_MODE,
				  .mode = 0604 };
	ASSERT_EQ(0, mbx_ioctl(self->fd, MBX_IOC_BOX_SET, &s));
	EXPECT_EQ(before + 1, mbx_as_other(nobody_count_boxes, NULL));
}

TEST_F(box, destroy_not_owner)
{
	struct mbx_set_args s = { .size = sizeof(s), .flags = MBX_SET_MODE,
				  .mode = 0666 };
	struct nobody_ctx c = { .name = self->name };

	NEED_ROOT();
	/* Even with every access right, only the owner destroys. */
	ASSERT_EQ(0, mbx_ioctl(self->fd, MBX_IOC_BOX_SET, &s));
	EXPECT_EQ(-EPERM, mbx_as_other(nobody_destroy, &c));
	EXPECT_EQ(0, mbx_destroy(self->dev, self->name));
}

TEST_F(box, set_not_owner)
{
	struct nobody_ctx c = { .name = self->name, .fd = self->fd };
	struct mbx_info_args info;

	NEED_ROOT();
	EXPECT_EQ(-EPERM, mbx_as_other(nobody_set_mode, &c));
	ASSERT_EQ(0, mbx_info(self->fd, &info));
	EXPECT_EQ(0600, info.out_mode);
}

/* An fd opened as root, used as nobody: it keeps the access it carries. */
static int nobody_acquire(void *arg)
{
	struct nobody_ctx *c = arg;

	return mbx_acquire(c->fd, MBX_WAIT_NONBLOCK, 1, 0, NULL);
}

static int nobody_open_rw(void *arg)
{
	struct nobody_ctx *c = arg;
	int dev, fd;

	dev = mbx_dev_open();
	if (dev < 0)
		return dev;
	fd = mbx_open(dev, c->name, MBX_ACCESS_READ | MBX_ACCESS_WRITE);
	close(dev);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

/* The mode is checked at open; an open fd keeps the access it carries. */
TEST_F(box, access_carried_by_the_fd)
{
	struct mbx_set_args s = { .size = sizeof(s), .flags = MBX_SET_MODE,
				  .mode = 0666 };
	struct nobody_ctx c = { .name = self->name, .fd = self->fd };

	NEED_ROOT();
	ASSERT_EQ(0, mbx_ioctl(self->fd, MBX_IOC_BOX_SET, &s));
	EXPECT_EQ(0, mbx_as_other(nobody_open_rw, &c));
	EXPECT_EQ(1, mbx_as_other(nobody_acquire, &c));
	ASSERT_EQ(0, mbx_release(self->fd, 1));
	/* Narrowed: a new open is refused, the fd still works. */
	s.mode = 0600;
	ASSERT_EQ(0, mbx_ioctl(self->fd, MBX_IOC_BOX_SET, &s));
	EXPECT_EQ(-EACCES, mbx_as_other(nobody_open_rw, &c));
	EXPECT_EQ(1, mbx_as_other(nobody_acquire, &c));
	/* The child's acquire was made through our session: ours to give. */
	EXPECT_EQ(MBX_STATE_OWNED, mbx_slot_state(self->fd, 1));
	EXPECT_EQ(0, mbx_release(self->fd, 1));
}

TEST_F(box, set_fields)
{
	struct mbx_set_args s = { .size = sizeof(s),
				  .flags = MBX_SET_MODE | MBX_SET_RECLAIM,
				  .mode = 0660, .reclaim_ns = 12345 };
	struct mbx_info_args info;

	ASSERT_EQ(0, mbx_ioctl(self->fd, MBX_IOC_BOX_SET, &s));
	ASSERT_EQ(0, mbx_info(self->fd, &info));
	EXPECT_EQ(0660, info.out_mode);
	EXPECT_EQ(12345, info.out_reclaim_ns);
	EXPECT_EQ(geteuid(), info.out_uid);
}

TEST_F(box, set_unknown_flag)
{
	struct mbx_set_args s = { .size = sizeof(s), .flags = MBX_SET_RECLAIM << 1 };

	EXPECT_EQ(-EINVAL, mbx_ioctl(self->fd, MBX_IOC_BOX_SET, &s));
}

TEST_F(box, set_reserved_nonzero)
{
	struct mbx_set_args s = { .size = sizeof(s), .flags = MBX_SET_MODE,
				  .mode = 0600, .__reserved = 1 };

	EXPECT_EQ(-EINVAL, mbx_ioctl(self->fd, MBX_IOC_BOX_SET, &s));
}

TEST_F(box, set_bad_mode)
{
	struct mbx_set_args s = { .size = sizeof(s), .flags = MBX_SET_MODE,
				  .mode = 04600 };

	EXPECT_EQ(-EINVAL, mbx_ioctl(self->fd, MBX_IOC_BOX_SET, &s));
}

/* The mode is a subset of 0666: every read and write bit, no exec bit. */
TEST_F(box, set_mode_0666)
{
	struct mbx_set_args s = { .size = sizeof(s), .flags = MBX_SET_MODE,
				  .mode = 0666 };
	struct mbx_info_args info;

	ASSERT_EQ(0, mbx_ioctl(self->fd, MBX_IOC_BOX_SET, &s));
	ASSERT_EQ(0, mbx_info(self->fd, &info));
	EXPECT_EQ(0666, info.out_mode);
}

TEST_F(box, set_mode_exec_bit)
{
	struct mbx_set_args s = { .size = sizeof(s), .flags = MBX_SET_MODE,
				  .mode = 0667 };
	struct mbx_info_args info;

	EXPECT_EQ(-EINVAL, mbx_ioctl(self->fd, MBX_IOC_BOX_SET, &s));
	ASSERT_EQ(0, mbx_info(self->fd, &info));
	EXPECT_EQ(0600, info.out_mode);
}

TEST_F(box, set_mode_0777)
{
	struct mbx_set_args s = { .size = sizeof(s), .flags = MBX_SET_MODE,
				  .mode = 0777 };
	struct mbx_info_args info;

	EXPECT_EQ(-EINVAL, mbx_ioctl(self->fd, MBX_IOC_BOX_SET, &s));
	ASSERT_EQ(0, mbx_info(self->fd, &info));
	EXPECT_EQ(0600, info.out_mode);
}

TEST_F(box, set_invalid_uid)
{
	struct mbx_set_args s = { .size = sizeof(s), .flags = MBX_SET_UID,
				  .uid = (__u32)-1 };

	EXPECT_EQ(-EINVAL, mbx_ioctl(self->fd, MBX_IOC_BOX_SET, &s));
}

TEST_F(box, info_unknown_flag)
{
	struct mbx_info_args a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = 1;
	EXPECT_EQ(-EINVAL, mbx_ioctl(self->fd, MBX_IOC_BOX_INFO, &a));
}

TEST_F(box, stats_unknown_flag)
{
	struct mbx_stats_args a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = 1;
	EXPECT_EQ(-EINVAL, mbx_ioctl(self->fd, MBX_IOC_BOX_STATS, &a));
}

TEST_F(box, stats_fresh)
{
	struct mbx_stats_args a;

	memset(&a, 0xcc, sizeof(a));
	a.size = sizeof(a);
	a.flags = 0;
	ASSERT_EQ(0, mbx_ioctl(self->fd, MBX_IOC_BOX_STATS, &a));
	EXPECT_EQ(0, a.out_submitted);
	EXPECT_EQ(0, a.out_taken);
	EXPECT_EQ(0, a.out_completed);
	EXPECT_EQ(0, a.out_cancelled);
	EXPECT_EQ(0, a.out_redelivered);
	EXPECT_EQ(0, a.out_owner_died);
	EXPECT_EQ(0, a.out_reclaimed);
	EXPECT_EQ(0, a.out_max_wait_ns);
	EXPECT_EQ(0, a.out_oldest_pending_ns);
	EXPECT_EQ(4, a.out_free);
	EXPECT_EQ(0, a.out_owned);
	EXPECT_EQ(0, a.out_pending);
	EXPECT_EQ(0, a.out_taken_now);
	EXPECT_EQ(0, a.out_replied);
	EXPECT_EQ(2, a.out_sessions);
}

TEST_F(box, reclaim_unknown_flag)
{
	struct mbx_reclaim_args a = { .size = sizeof(a), .flags = 1 };

	EXPECT_EQ(-EINVAL, mbx_ioctl(self->fd, MBX_IOC_BOX_RECLAIM, &a));
}

TEST_F(box, reclaim_reserved_nonzero)
{
	struct mbx_reclaim_args a = { .size = sizeof(a), .__reserved = 1 };

	EXPECT_EQ(-EINVAL, mbx_ioctl(self->fd, MBX_IOC_BOX_RECLAIM, &a));
}

TEST_F(box, reclaim_read_only_session)
{
	struct mbx_reclaim_args a = { .size = sizeof(a) };

	EXPECT_EQ(-EBADF, mbx_ioctl(self->ro, MBX_IOC_BOX_RECLAIM, &a));
}

static void events_args(struct mbx_events_args *a, struct mbx_event *ev,
			__u32 count)
{
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->events = (__u64)(uintptr_t)ev;
	a->count = count;
	a->event_size = sizeof(*ev);
}

TEST_F(box, events_unknown_flag)
{
	struct mbx_event ev[2];
	struct mbx_events_args a;

	events_args(&a, ev, 2);
	a.flags = 1;
	EXPECT_EQ(-EINVAL, mbx_ioctl(self->fd, MBX_IOC_EVENTS_READ, &a));
}

TEST_F(box, events_reserved_nonzero)
{
	struct mbx_event ev[2];
	struct mbx_events_args a;

	events_args(&a, ev, 2);
	a.__reserved = 1;
	EXPECT_EQ(-EINVAL, mbx_ioctl(self->fd, MBX_IOC_EVENTS_READ, &a));
}

TEST_F(box, events_count_zero)
{
	struct mbx_event ev[2];
	struct mbx_events_args a;

	events_args(&a, ev, 0);
	EXPECT_EQ(-EINVAL, mbx_ioctl(self->fd, MBX_IOC_EVENTS_READ, &a));
}

TEST_F(box, events_entry_too_small)
{
	struct mbx_event ev[2];
	struct mbx_events_args a;

	events_args(&a, ev, 2);
	a.event_size = sizeof(ev[0]) - 8;
	EXPECT_EQ(-EINVAL, mbx_ioctl(self->fd, MBX_IOC_EVENTS_READ, &a));
}

TEST_F(box, events_none)
{
	struct mbx_event ev[2];
	struct mbx_events_args a;

	events_args(&a, ev, 2);
	a.out_count = 0xcccccccc;
	ASSERT_EQ(0, mbx_ioctl(self->fd, MBX_IOC_EVENTS_READ, &a));
	EXPECT_EQ(0, a.out_count);
}

/* ---- slot ioctls: rejected inputs ---- */

static void acq_args(struct mbx_acquire_args *a, __u32 flags, __u32 slot)
{
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->flags = flags;
	a->slot = slot;
}

TEST_F(box, acquire_unknown_flag)
{
	struct mbx_acquire_args a;

	acq_args(&a, MBX_WAIT_NONBLOCK | (MBX_ACQUIRE_CALL << 1), 0);
	EXPECT_EQ(-EINVAL, mbx_ioctl(self->fd, MBX_IOC_SLOT_ACQUIRE, &a));
}

TEST_F(box, acquire_reserved_nonzero)
{
	struct mbx_acquire_args a;

	acq_args(&a, MBX_WAIT_NONBLOCK, 0);
	a.__reserved = 1;
	EXPECT_EQ(-EINVAL, mbx_ioctl(self->fd, MBX_IOC_SLOT_ACQUIRE, &a));
}

TEST_F(box, acquire_any_and_call)
{
	struct mbx_acquire_args a;

	acq_args(&a, MBX_ACQUIRE_ANY | MBX_ACQUIRE_CALL, 0);
	a.call_id = 1;
	EXPECT_EQ(-EINVAL, mbx_ioctl(self->fd, MBX_IOC_SLOT_ACQUIRE, &a));
}

TEST_F(box, acquire_slot_out_of_range)
{
	struct mbx_acquire_args a;

	acq_args(&a, MBX_WAIT_NONBLOCK, 4);
	EXPECT_EQ(-EINVAL, mbx_ioctl(self->fd, MBX_IOC_SLOT_ACQUIRE, &a));
}

TEST_F(box, acquire_slot_u32_max)
{
	struct mbx_acquire_args a;

	acq_args(&a, MBX_WAIT_NONBLOCK, 0xffffffff);
	EXPECT_EQ(-EINVAL, mbx_ioctl(self->fd, MBX_IOC_SLOT_ACQUIRE, &a));
}

TEST_F(box, acquire_nonblock_and_timeout)
{
	struct mbx_acquire_args a;

	acq_args(&a, MBX_WAIT_NONBLOCK | MBX_WAIT_TIMEOUT, 0);
	a.timeout_ns = mbx_now_ns() + 1000 * 1000000ULL;
	EXPECT_EQ(-EINVAL, mbx_ioctl(self->fd, MBX_IOC_SLOT_ACQUIRE, &a));
}

TEST_F(box, acquire_timeout_ns_without_flag)
{
	struct mbx_acquire_args a;

	acq_args(&a, MBX_WAIT_NONBLOCK, 0);
	a.timeout_ns = 1;
	EXPECT_EQ(-EINVAL, mbx_ioctl(self->fd, MBX_IOC_SLOT_ACQUIRE, &a));
}

TEST_F(box, acquire_any_with_slot)
{
	struct mbx_acquire_args a;

	acq_args(&a, MBX_WAIT_NONBLOCK | MBX_ACQUIRE_ANY, 1);
	EXPECT_EQ(-EINVAL, mbx_ioctl(self->fd, MBX_IOC_SLOT_ACQUIRE, &a));
}

TEST_F(box, acquire_call_id_without_flag)
{
	struct mbx_acquire_args a;

	acq_args(&a, MBX_WAIT_NONBLOCK, 1);
	a.call_id = 1;
	EXPECT_EQ(-EINVAL, mbx_ioctl(self->fd, MBX_IOC_SLOT_ACQUIRE, &a));
}

TEST_F(box, acquire_read_only_session)
{
	EXPECT_EQ(-EBADF, mbx_acquire(self->ro, MBX_WAIT_NONBLOCK, 0, 0, NULL));
}

TEST_F(box, acquire_last_slot)
{
	__u32 fl = 0xcccccccc;

	EXPECT_EQ(3, mbx_acquire(self->fd, MBX_WAIT_NONBLOCK, 3, 0, &fl));
	EXPECT_EQ(0, fl);
}

TEST_F(box, acquire_call_stale_id)
{
	struct mbx_acquire_args a;
	__u64 id;

	ASSERT_EQ(0, mbx_acquire(self->fd, 0, 0, 0, NULL));
	ASSERT_EQ(0, mbx_submit(self->fd, 0, 1, 0, 0, &id));
	acq_args(&a, MBX_ACQUIRE_CALL, 0);
	a.call_id = id + 1;
	EXPECT_EQ(-ESTALE, mbx_ioctl(self->fd, MBX_IOC_SLOT_ACQUIRE, &a));
}

TEST_F(box, acquire_call_id_zero)
{
	struct mbx_acquire_args a;

	acq_args(&a, MBX_ACQUIRE_CALL, 0);
	a.call_id = 0;
	EXPECT_EQ(-ESTALE, mbx_ioctl(self->fd, MBX_IOC_SLOT_ACQUIRE, &a));
}

TEST_F(box, release_unknown_flag)
{
	struct mbx_release_args a = { .size = sizeof(a), .flags = 1 };

	ASSERT_EQ(0, mbx_acquire(self->fd, 0, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, mbx_ioctl(self->fd, MBX_IOC_SLOT_RELEASE, &a));
}

TEST_F(box, release_reserved_nonzero)
{
	struct mbx_release_args a = { .size = sizeof(a), .__reserved = 1 };

	ASSERT_EQ(0, mbx_acquire(self->fd, 0, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, mbx_ioctl(self->fd, MBX_IOC_SLOT_RELEASE, &a));
}

TEST_F(box, release_slot_out_of_range)
{
	EXPECT_EQ(-EINVAL, mbx_release(self->fd, 4));
}

TEST_F(box, release_free_slot)
{
	EXPECT_EQ(-EPERM, mbx_release(self->fd, 0));
}

/* Wrong owner: a slot owned by one session, released through another. */
TEST_F(box, release_wrong_owner)
{
	int other = mbx_open(self->dev, self->name,
			     MBX_ACCESS_READ | MBX_ACCESS_WRITE);

	ASSERT_LE(0, other);
	ASSERT_EQ(1, mbx_acquire(self->fd, 0, 1, 0, NULL));
	EXPECT_EQ(-EPERM, mbx_release(other, 1));
	close(other);
}

TEST_F(box, submit_wrong_owner)
{
	int other = mbx_open(self->dev, self->name,
			     MBX_ACCESS_READ | MBX_ACCESS_WRITE);

	ASSERT_LE(0, other);
	ASSERT_EQ(1, mbx_acquire(self->fd, 0, 1, 0, NULL));
	EXPECT_EQ(-EPERM, mbx_submit(other, 1, 1, 0, 0, NULL));
	close(other);
}

TEST_F(box, submit_free_slot)
{
	EXPECT_EQ(-EPERM, mbx_submit(self->fd, 2, 1, 0, 0, NULL));
}

TEST_F(box, submit_unknown_flag)
{
	struct mbx_submit_args a = { .size = sizeof(a),
				     .flags = MBX_SUBMIT_COLLECT << 1 };

	ASSERT_EQ(0, mbx_acquire(self->fd, 0, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, mbx_ioctl(self->fd, MBX_IOC_CALL_SUBMIT, &a));
}

/* MBX_CALL_REDELIVERED is the kernel's to set, not the caller's. */
TEST_F(box, submit_kernel_flag)
{
	struct mbx_submit_args a = { .size = sizeof(a),
				     .call_flags = MBX_CALL_REDELIVERED };

	ASSERT_EQ(0, mbx_acquire(self->fd, 0, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, mbx_ioctl(self->fd, MBX_IOC_CALL_SUBMIT, &a));
}

TEST_F(box, submit_call_flags_unknown)
{
	struct mbx_submit_args a = { .size = sizeof(a), .call_flags = 1U << 31 };

	ASSERT_EQ(0, mbx_acquire(self->fd, 0, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, mbx_ioctl(self->fd, MBX_IOC_CALL_SUBMIT, &a));
}

TEST_F(box, submit_slot_out_of_range)
{
	EXPECT_EQ(-EINVAL, mbx_submit(self->fd, 4, 1, 0, 0, NULL));
}

TEST_F(box, submit_len_over_slot_size)
{
	ASSERT_EQ(0, mbx_acquire(self->fd, 0, 0, 0, NULL));
	EXPECT_EQ(-EMSGSIZE, mbx_submit(self->fd, 0, 1, 129, 0, NULL));
}

TEST_F(box, submit_len_at_slot_size)
{
	__u64 id = 0;

	ASSERT_EQ(0, mbx_acquire(self->fd, 0, 0, 0, NULL));
	EXPECT_EQ(0, mbx_submit(self->fd, 0, 1, 128, 0, &id));
	EXPECT_NE(0, id);
}

TEST_F(box, submit_read_only_session)
{
	EXPECT_EQ(-EBADF, mbx_submit(self->ro, 0, 1, 0, 0, NULL));
}

TEST_F(box, take_unknown_flag)
{
	struct mbx_take_args a = { .size = sizeof(a),
				   .flags = MBX_WAIT_NONBLOCK |
					    (MBX_TAKE_COMPLETE << 1) };

	EXPECT_EQ(-EINVAL, mbx_ioctl(self->fd, MBX_IOC_CALL_TAKE, &a));
}

TEST_F(box, take_nonblock_and_timeout)
{
	struct mbx_take_args a = { .size = sizeof(a),
				   .flags = MBX_WAIT_NONBLOCK |
					    MBX_WAIT_TIMEOUT,
				   .timeout_ns = 1 };

	EXPECT_EQ(-EINVAL, mbx_ioctl(self->fd, MBX_IOC_CALL_TAKE, &a));
}

TEST_F(box, take_done_fields_without_complete)
{
	struct mbx_take_args a = { .size = sizeof(a),
				   .flags = MBX_WAIT_NONBLOCK,
				   .done_call_id = 1 };

	EXPECT_EQ(-EINVAL, mbx_ioctl(self->fd, MBX_IOC_CALL_TAKE, &a));
}

TEST_F(box, take_read_only_session)
{
	EXPECT_EQ(-EBADF, mbx_take(self->ro, MBX_WAIT_NONBLOCK, 0, NULL));
}

TEST_F(box, take_nothing_pending)
{
	EXPECT_EQ(-EAGAIN, mbx_take(self->fd, MBX_WAIT_NONBLOCK, 0, NULL));
}

/* A call submitted, taken by self->fd, to be answered. */
static __u64 taken_call(struct __test_metadata *_metadata, int fd)
{
	struct mbx_call c;
	__u64 id;

	EXPECT_EQ(2, mbx_acquire(fd, 0, 2, 0, NULL));
	EXPECT_EQ(0, mbx_submit(fd, 2, 9, 4, 0, &id));
	EXPECT_EQ(0, mbx_take(fd, MBX_WAIT_NONBLOCK, 0, &c));
	EXPECT_EQ(id, c.call_id);
	EXPECT_EQ(2, c.slot);
	return id;
}

TEST_F(box, complete_stale_id)
{
	__u64 id = taken_call(_metadata, self->fd);

	EXPECT_EQ(-ESTALE, mbx_complete(self->fd, 2, id + 1, 0, 0));
}

TEST_F(box, complete_id_of_other_slot)
{
	__u64 id = taken_call(_metadata, self->fd);

	EXPECT_EQ(-ESTALE, mbx_complete(self->fd, 1, id, 0, 0));
}

TEST_F(box, complete_not_callee)
{
	int other = mbx_open(self->dev, self->name,
			     MBX_ACCESS_READ | MBX_ACCESS_WRITE);
	__u64 id = taken_call(_metadata, self->fd);

	ASSERT_LE(0, other);
	EXPECT_EQ(-EPERM, mbx_complete(other, 2, id, 0, 0));
	close(other);
}

TEST_F(box, complete_not_taken)
{
	__u64 id;

	ASSERT_EQ(2, mbx_acquire(self->fd, 0, 2, 0, NULL));
	ASSERT_EQ(0, mbx_submit(self->fd, 2, 9, 4, 0, &id));
	EXPECT_EQ(-EPERM, mbx_complete(self->fd, 2, id, 0, 0));
}

TEST_F(box, complete_twice)
{
	__u64 id = taken_call(_metadata, self->fd);

	EXPECT_EQ(0, mbx_complete(self->fd, 2, id, 0, 0));
	EXPECT_EQ(-EPERM, mbx_complete(self->fd, 2, id, 0, 0));
}

TEST_F(box, complete_positive_status)
{
	__u64 id = taken_call(_metadata, self->fd);

	EXPECT_EQ(-EINVAL, mbx_complete(self->fd, 2, id, 1, 0));
}

TEST_F(box, complete_status_below_max_errno)
{
	__u64 id = taken_call(_metadata, self->fd);

	EXPECT_EQ(-EINVAL, mbx_complete(self->fd, 2, id, -4096, 0));
}

TEST_F(box, complete_len_over_slot_size)
{
	__u64 id = taken_call(_metadata, self->fd);

	EXPECT_EQ(-EMSGSIZE, mbx_complete(self->fd, 2, id, 0, 129));
}

TEST_F(box, complete_unknown_flag)
{
	__u64 id = taken_call(_metadata, self->fd);
	struct mbx_complete_args a = { .size = sizeof(a), .flags = 1,
				       .call_id = id, .slot = 2 };

	EXPECT_EQ(-EINVAL, mbx_ioctl(self->fd, MBX_IOC_CALL_COMPLETE, &a));
}

TEST_F(box, complete_reserved_nonzero)
{
	__u64 id = taken_call(_metadata, self->fd);
	struct mbx_complete_args a = { .size = sizeof(a), .__reserved = 1,
				       .call_id = id, .slot = 2 };

	EXPECT_EQ(-EINVAL, mbx_ioctl(self->fd, MBX_IOC_CALL_COMPLETE, &a));
}

TEST_F(box, complete_slot_out_of_range)
{
	__u64 id = taken_call(_metadata, self->fd);

	EXPECT_EQ(-EINVAL, mbx_complete(self->fd, 4, id, 0, 0));
}

/* TAKE_COMPLETE with a bad done_* answers nothing and takes nothing. */
TEST_F(box, take_complete_stale_id)
{
	__u64 id = taken_call(_metadata, self->fd);
	struct mbx_slot_info si;
	struct mbx_take_args a;
	__u64 id2;

	ASSERT_EQ(3, mbx_acquire(self->fd, 0, 3, 0, NULL));
	ASSERT_EQ(0, mbx_submit(self->fd, 3, 1, 0, 0, &id2));
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = MBX_WAIT_NONBLOCK | MBX_TAKE_COMPLETE;
	a.done_slot = 2;
	a.done_call_id = id + 7;
	EXPECT_EQ(-ESTALE, mbx_ioctl(self->fd, MBX_IOC_CALL_TAKE, &a));
	ASSERT_EQ(0, mbx_slot_info(self->fd, 2, &si));
	EXPECT_EQ(MBX_STATE_TAKEN, si.state);
	ASSERT_EQ(0, mbx_slot_info(self->fd, 3, &si));
	EXPECT_EQ(MBX_STATE_PENDING, si.state);
}

TEST_F(box, collect_unknown_flag)
{
	struct mbx_collect_args a = { .size = sizeof(a),
				      .flags = MBX_WAIT_NONBLOCK |
					       (MBX_COLLECT_CALL << 1) };

	EXPECT_EQ(-EINVAL, mbx_ioctl(self->fd, MBX_IOC_CALL_COLLECT, &a));
}

TEST_F(box, collect_reserved_nonzero)
{
	struct mbx_collect_args a = { .size = sizeof(a),
				      .flags = MBX_WAIT_NONBLOCK,
				      .__reserved = 1 };

	EXPECT_EQ(-EINVAL, mbx_ioctl(self->fd, MBX_IOC_CALL_COLLECT, &a));
}

TEST_F(box, collect_timeout_ns_without_flag)
{
	struct mbx_collect_args a = { .size = sizeof(a),
				      .flags = MBX_WAIT_NONBLOCK,
				      .timeout_ns = 1 };

	EXPECT_EQ(-EINVAL, mbx_ioctl(self->fd, MBX_IOC_CALL_COLLECT, &a));
}

TEST_F(box, collect_call_id_without_flag)
{
	struct mbx_collect_args a = { .size = sizeof(a),
				      .flags = MBX_WAIT_NONBLOCK,
				      .call_id = 1 };

	EXPECT_EQ(-EINVAL, mbx_ioctl(self->fd, MBX_IOC_CALL_COLLECT, &a));
}

TEST_F(box, collect_slot_out_of_range)
{
	EXPECT_EQ(-EINVAL, mbx_collect(self->fd,
				       MBX_WAIT_NONBLOCK | MBX_COLLECT_CALL,
				       4, 1, 0, NULL));
}

TEST_F(box, collect_stale_id)
{
	__u64 id = taken_call(_metadata, self->fd);

	ASSERT_EQ(0, mbx_complete(self->fd, 2, id, 0, 0));
	EXPECT_EQ(-ESTALE, mbx_collect(self->fd,
				       MBX_WAIT_NONBLOCK | MBX_COLLECT_CALL,
				       2, id + 1, 0, NULL));
}

TEST_F(box, collect_nothing)
{
	EXPECT_EQ(-EAGAIN, mbx_collect(self->fd, MBX_WAIT_NONBLOCK, 0, 0, 0,
				       NULL));
}

TEST_F(box, cancel_stale_id)
{
	struct mbx_cancel_args a = { .size = sizeof(a), .slot = 2 };
	__u64 id;

	ASSERT_EQ(2, mbx_acquire(self->fd, 0, 2, 0, NULL));
	ASSERT_EQ(0, mbx_submit(self->fd, 2, 9, 4, 0, &id));
	a.call_id = id + 1;
	EXPECT_EQ(-ESTALE, mbx_ioctl(self->fd, MBX_IOC_CALL_CANCEL, &a));
}

TEST_F(box, cancel_unknown_flag)
{
	struct mbx_cancel_args a = { .size = sizeof(a), .flags = 1, .slot = 2 };
	__u64 id;

	ASSERT_EQ(2, mbx_acquire(self->fd, 0, 2, 0, NULL));
	ASSERT_EQ(0, mbx_submit(self->fd, 2, 9, 4, 0, &id));
	a.call_id = id;
	EXPECT_EQ(-EINVAL, mbx_ioctl(self->fd, MBX_IOC_CALL_CANCEL, &a));
}

TEST_F(box, cancel_read_only_session)
{
	struct mbx_cancel_args a = { .size = sizeof(a), .slot = 2 };
	__u64 id;

	ASSERT_EQ(2, mbx_acquire(self->fd, 0, 2, 0, NULL));
	ASSERT_EQ(0, mbx_submit(self->fd, 2, 9, 4, 0, &id));
	a.call_id = id;
	EXPECT_EQ(-EBADF, mbx_ioctl(self->ro, MBX_IOC_CALL_CANCEL, &a));
}

TEST_F(box, slot_info_unknown_flag)
{
	struct mbx_slot_info si;
	struct mbx_slots_args a = { .size = sizeof(a), .flags = 1,
				    .info = (__u64)(uintptr_t)&si, .count = 1,
				    .info_size = sizeof(si) };

	EXPECT_EQ(-EINVAL, mbx_ioctl(self->fd, MBX_IOC_SLOT_INFO, &a));
}

TEST_F(box, slot_info_first_out_of_range)
{
	struct mbx_slot_info si;
	struct mbx_slots_args a = { .size = sizeof(a), .first = 4,
				    .info = (__u64)(uintptr_t)&si, .count = 1,
				    .info_size = sizeof(si) };

	EXPECT_EQ(-EINVAL, mbx_ioctl(self->fd, MBX_IOC_SLOT_INFO, &a));
}

TEST_F(box, slot_info_entry_too_small)
{
	struct mbx_slot_info si;
	struct mbx_slots_args a = { .size = sizeof(a),
				    .info = (__u64)(uintptr_t)&si, .count = 1,
				    .info_size = offsetof(struct mbx_slot_info,
							  callee_pid) };

	EXPECT_EQ(-EINVAL, mbx_ioctl(self->fd, MBX_IOC_SLOT_INFO, &a));
}

/* The count is clipped at the last slot; every entry is written. */
TEST_F(box, slot_info_all)
{
	struct mbx_slot_info si[6];
	struct mbx_slots_args a;
	int i;

	memset(si, 0xcc, sizeof(si));
	memset(&a, 0xcc, sizeof(a));
	a.size = sizeof(a);
	a.flags = 0;
	a.info = (__u64)(uintptr_t)si;
	a.first = 1;
	a.count = 6;
	a.info_size = sizeof(si[0]);
	ASSERT_EQ(0, mbx_ioctl(self->fd, MBX_IOC_SLOT_INFO, &a));
	EXPECT_EQ(3, a.out_count);
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(i + 1, si[i].slot);
		EXPECT_EQ(MBX_STATE_FREE, si[i].state);
		EXPECT_EQ(0, si[i].call_id);
		EXPECT_EQ(0, si[i].owner_pid);
		EXPECT_EQ(0, si[i].__reserved);
	}
	EXPECT_EQ(0xccccccccU, si[3].slot);
}

/* ------------------------------------------------------------------ */
/* The mapping                                                          */

TEST_F(box, mmap_shared_between_sessions)
{
	struct mbx_map a, b;

	ASSERT_EQ(0, mbx_map(self->fd, PROT_READ | PROT_WRITE, &a));
	ASSERT_EQ(0, mbx_map(self->ro, PROT_READ, &b));
	EXPECT_EQ(4, a.nslots);
	EXPECT_EQ(128, a.slot_size);
	/* Fresh pages are zero. */
	EXPECT_EQ(0, ((unsigned char *)mbx_call_plane(&b, 3))[127]);
	EXPECT_EQ(0, ((unsigned char *)mbx_reply_plane(&b, 3))[127]);
	strcpy(mbx_call_plane(&a, 3), "call 3");
	strcpy(mbx_reply_plane(&a, 3), "reply 3");
	EXPECT_STREQ("call 3", mbx_call_plane(&b, 3));
	EXPECT_STREQ("reply 3", mbx_reply_plane(&b, 3));
	/* The planes do not overlap. */
	EXPECT_EQ(0, *(char *)mbx_call_plane(&b, 2));
	mbx_unmap(&a);
	mbx_unmap(&b);
}

TEST_F(box, mmap_reply_plane_alone)
{
	struct mbx_map a;
	unsigned char *p;

	ASSERT_EQ(0, mbx_map(self->fd, PROT_READ | PROT_WRITE, &a));
	strcpy(mbx_reply_plane(&a, 1), "in the reply plane");
	p = mmap(NULL, a.size - a.reply_off, PROT_READ, MAP_SHARED, self->fd,
		 a.reply_off);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_STREQ("in the reply plane", (char *)p + 1 * a.slot_size);
	munmap(p, a.size - a.reply_off);
	mbx_unmap(&a);
}

TEST_F(box, mmap_beyond_the_mailbox)
{
	struct mbx_info_args info;
	void *p;

	ASSERT_EQ(0, mbx_info(self->fd, &info));
	p = mmap(NULL, info.out_map_size + page_size(), PROT_READ, MAP_SHARED,
		 self->fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(box, mmap_offset_at_end)
{
	struct mbx_info_args info;
	void *p;

	ASSERT_EQ(0, mbx_info(self->fd, &info));
	p = mmap(NULL, page_size(), PROT_READ, MAP_SHARED, self->fd,
		 info.out_map_size);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(box, mmap_tail_overhangs)
{
	struct mbx_info_args info;
	void *p;

	ASSERT_EQ(0, mbx_info(self->fd, &info));
	p = mmap(NULL, 2 * page_size(), PROT_READ, MAP_SHARED, self->fd,
		 info.out_map_size - page_size());
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(box, mmap_private)
{
	struct mbx_info_args info;
	void *p;

	ASSERT_EQ(0, mbx_info(self->fd, &info));
	p = mmap(NULL, info.out_map_size, PROT_READ, MAP_PRIVATE, self->fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(box, mmap_write_on_read_only_open)
{
	struct mbx_info_args info;
	void *p;

	ASSERT_EQ(0, mbx_info(self->ro, &info));
	p = mmap(NULL, info.out_map_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->ro, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EACCES, errno);
}

TEST_F(box, mprotect_write_on_read_only_mapping)
{
	struct mbx_map m;

	ASSERT_EQ(0, mbx_map(self->ro, PROT_READ, &m));
	EXPECT_EQ(-1, mprotect(m.base, m.size, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	mbx_unmap(&m);
}

TEST_F(box, mremap_grow)
{
	struct mbx_map m;
	void *p;

	ASSERT_EQ(0, mbx_map(self->fd, PROT_READ, &m));
	p = mremap(m.base, m.size, m.size + page_size(), MREMAP_MAYMOVE);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EFAULT, errno);
	mbx_unmap(&m);
}

/* A mapping keeps the mailbox alive after its fd and its name are gone. */
TEST_F(box, mapping_outlives_fd_and_name)
{
	struct mbx_map m;
	int fd = mbx_open(self->dev, self->name,
			  MBX_ACCESS_READ | MBX_ACCESS_WRITE);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mbx_map(fd, PROT_READ | PROT_WRITE, &m));
	close(fd);
	close(self->ro);
	self->ro = -1;
	ASSERT_EQ(0, mbx_destroy(self->dev, self->name));
	close(self->fd);
	self->fd = -1;
	strcpy(mbx_call_plane(&m, 0), "still here");
	EXPECT_STREQ("still here", mbx_call_plane(&m, 0));
	mbx_unmap(&m);
}

TEST_HARNESS_MAIN
