/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers shared by the /dev/mailbox selftests: open the device,
 * create, open and map mailboxes under unique names, and thin ioctl
 * wrappers that return -errno (or a non-negative result) instead of
 * setting errno, so that a test can write EXPECT_EQ(-EINVAL, mbx_...()).
 *
 * Include it after kselftest_harness.h. A test file that puts
 * MBX_SKIP_WITHOUT_DEVICE once at file scope skips as a whole (exit 4,
 * KSFT_SKIP) when /dev/mailbox is absent, i.e. mbx.ko is not loaded.
 */
#ifndef MBX_SELFTEST_COMMON_H
#define MBX_SELFTEST_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/mbx.h>

#include "kselftest.h"

#define MBX_DEV "/dev/mailbox"

#define MBX_SKIP_WITHOUT_DEVICE						\
	static void __attribute__((constructor)) mbx_require_device(void) \
	{								\
		if (access(MBX_DEV, F_OK) && errno == ENOENT)		\
			ksft_exit_skip(MBX_DEV				\
				       " absent: mbx.ko not loaded\n");	\
	}

/* ioctl() as -errno or its non-negative return value. */
static inline int mbx_ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

/* An fd of /dev/mailbox, or -errno. */
static inline int mbx_dev_open(void)
{
	int fd = open(MBX_DEV, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static inline __u64 mbx_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * A name no other mailbox of this run has: "kst.<tag>.<pid>.<n>". @name
 * must have room for MBX_NAME_MAX bytes; it is NUL padded, as the uAPI
 * wants it.
 */
static inline void mbx_unique_name(char *name, const char *tag)
{
	static unsigned int n;

	memset(name, 0, MBX_NAME_MAX);
	snprintf(name, MBX_NAME_MAX, "kst.%.32s.%d.%u", tag, (int)getpid(),
		 n++);
}

/* Copy @name NUL padded into a uAPI name field (MBX_NAME_MAX bytes). */
static inline void mbx_set_name(__u8 *dst, const char *name)
{
	memset(dst, 0, MBX_NAME_MAX);
	memcpy(dst, name, strnlen(name, MBX_NAME_MAX));
}

/* MBX_IOC_BOX_CREATE: a new mailbox fd (read-write, cloexec) or -errno. */
static inline int mbx_create(int dev, const char *name, __u32 nslots,
			     __u32 slot_size, __u32 mode)
{
	struct mbx_create_args a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = MBX_CREATE_CLOEXEC;
	mbx_set_name(a.name, name);
	a.nslots = nslots;
	a.slot_size = slot_size;
	a.mode = mode;
	return mbx_ioctl(dev, MBX_IOC_BOX_CREATE, &a);
}

/* MBX_IOC_BOX_OPEN with MBX_ACCESS_* @access: a mailbox fd or -errno. */
static inline int mbx_open(int dev, const char *name, __u32 access)
{
	struct mbx_open_args a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = MBX_OPEN_CLOEXEC;
	mbx_set_name(a.name, name);
	a.access = access;
	return mbx_ioctl(dev, MBX_IOC_BOX_OPEN, &a);
}

static inline int mbx_destroy(int dev, const char *name)
{
	struct mbx_destroy_args a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	mbx_set_name(a.name, name);
	return mbx_ioctl(dev, MBX_IOC_BOX_DESTROY, &a);
}

static inline int mbx_info(int fd, struct mbx_info_args *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return mbx_ioctl(fd, MBX_IOC_BOX_INFO, info);
}

/* A mailbox's mapping, both planes, as MBX_IOC_BOX_INFO describes it. */
struct mbx_map {
	unsigned char *base;
	size_t size;
	__u32 nslots;
	__u32 slot_size;
	__u64 call_off;
	__u64 reply_off;
};

/* Map the whole mailbox of @fd shared with @prot; 0 or -errno. */
static inline int mbx_map(int fd, int prot, struct mbx_map *m)
{
	struct mbx_info_args info;
	void *p;
	int ret;

	memset(m, 0, sizeof(*m));
	ret = mbx_info(fd, &info);
	if (ret)
		return ret;
	p = mmap(NULL, info.out_map_size, prot, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	m->base = p;
	m->size = info.out_map_size;
	m->nslots = info.out_nslots;
	m->slot_size = info.out_slot_size;
	m->call_off = info.out_call_off;
	m->reply_off = info.out_reply_off;
	return 0;
}

static inline void mbx_unmap(struct mbx_map *m)
{
	if (m->base)
		munmap(m->base, m->size);
	m->base = NULL;
}

static inline void *mbx_call_plane(const struct mbx_map *m, __u32 slot)
{
	return m->base + m->call_off + (size_t)slot * m->slot_size;
}

static inline void *mbx_reply_plane(const struct mbx_map *m, __u32 slot)
{
	return m->base + m->reply_off + (size_t)slot * m->slot_size;
}

/*
 * MBX_IOC_SLOT_ACQUIRE: @flags MBX_WAIT_* | MBX_ACQUIRE_ANY, @timeout_ns
 * absolute CLOCK_MONOTONIC with MBX_WAIT_TIMEOUT. Returns the slot index
 * or -errno; *@out_flags (if not NULL) gets MBX_ACQUIRED_*.
 */
static inline int mbx_acquire(int fd, __u32 flags, __u32 slot,
			      __u64 timeout_ns, __u32 *out_flags)
{
	struct mbx_acquire_args a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = flags;
	a.slot = slot;
	a.timeout_ns = timeout_ns;
	ret = mbx_ioctl(fd, MBX_IOC_SLOT_ACQUIRE, &a);
	if (ret)
		return ret;
	if (out_flags)
		*out_flags = a.out_flags;
	return a.out_slot;
}

static inline int mbx_release(int fd, __u32 slot)
{
	struct mbx_release_args a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.slot = slot;
	return mbx_ioctl(fd, MBX_IOC_SLOT_RELEASE, &a);
}

/* MBX_IOC_CALL_SUBMIT; 0 or -errno, *@call_id (if not NULL) the new id. */
static inline int mbx_submit(int fd, __u32 slot, __u32 opcode, __u32 len,
			     __u64 user_data, __u64 *call_id)
{
	struct mbx_submit_args a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.slot = slot;
	a.opcode = opcode;
	a.len = len;
	a.user_data = user_data;
	ret = mbx_ioctl(fd, MBX_IOC_CALL_SUBMIT, &a);
	if (!ret && call_id)
		*call_id = a.out_call_id;
	return ret;
}

/* MBX_IOC_CALL_TAKE without completing anything; 0 or -errno. */
static inline int mbx_take(int fd, __u32 flags, __u64 timeout_ns,
			   struct mbx_call *call)
{
	struct mbx_take_args a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = flags;
	a.timeout_ns = timeout_ns;
	ret = mbx_ioctl(fd, MBX_IOC_CALL_TAKE, &a);
	if (!ret && call)
		*call = a.out_call;
	return ret;
}

static inline int mbx_complete(int fd, __u32 slot, __u64 call_id,
			       __s32 status, __u32 len)
{
	struct mbx_complete_args a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.slot = slot;
	a.call_id = call_id;
	a.status = status;
	a.len = len;
	return mbx_ioctl(fd, MBX_IOC_CALL_COMPLETE, &a);
}

/*
 * MBX_IOC_CALL_COLLECT: with MBX_COLLECT_CALL in @flags the reply to
 * (@slot, @call_id), otherwise any reply to this fd's calls.
 */
static inline int mbx_collect(int fd, __u32 flags, __u32 slot,
			      __u64 call_id, __u64 timeout_ns,
			      struct mbx_call *call)
{
	struct mbx_collect_args a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = flags;
	a.slot = slot;
	a.call_id = call_id;
	a.timeout_ns = timeout_ns;
	ret = mbx_ioctl(fd, MBX_IOC_CALL_COLLECT, &a);
	if (!ret && call)
		*call = a.out_call;
	return ret;
}

/* MBX_IOC_SLOT_INFO of one slot; 0 or -errno. */
static inline int mbx_slot_info(int fd, __u32 slot, struct mbx_slot_info *info)
{
	struct mbx_slots_args a;
	int ret;

	memset(info, 0xcc, sizeof(*info));
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.info = (__u64)(unsigned long)info;
	a.first = slot;
	a.count = 1;
	a.info_size = sizeof(*info);
	ret = mbx_ioctl(fd, MBX_IOC_SLOT_INFO, &a);
	if (!ret && a.out_count != 1)
		return -ENODATA;
	return ret;
}

static inline int mbx_stats(int fd, struct mbx_stats_args *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	return mbx_ioctl(fd, MBX_IOC_BOX_STATS, st);
}

#endif /* MBX_SELFTEST_COMMON_H */
