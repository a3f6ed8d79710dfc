// SPDX-License-Identifier: GPL-2.0
/*
 * libmailbox, mailboxes: mailbox_api, create, open, attach, close, destroy, list,
 * info and set; the access an fd carries; every function on a bad fd: what each function
 * returns and what it writes, and every error it can return that a test
 * can provoke (each error in its own test), through the built library
 * (lib/libmailbox.a). Skips when /dev/mailbox is absent; the tests that
 * need another uid or write module parameters skip when not run as root.
 */
#define _GNU_SOURCE
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "mbx_helpers.h"

LIB_FIXTURE(lib)

/* ------------------------------------------------------------------ */
/* mailbox_api                                                          */

TEST(api_reports_version_features_and_limits)
{
	struct mbx_api_args api;

	SKIP_IF_NO_DEVICE();
	memset(&api, 0xcc, sizeof(api));
	ASSERT_EQ(0, mailbox_api(&api));
	EXPECT_EQ(MBX_API_VERSION, api.out_api);
	EXPECT_EQ(MBX_FEAT_REVOKE | MBX_FEAT_REDELIVER | MBX_FEAT_EVENTS |
		  MBX_FEAT_INSPECT | MBX_FEAT_RECLAIM,
		  api.out_features & (MBX_FEAT_REVOKE | MBX_FEAT_REDELIVER |
				      MBX_FEAT_EVENTS | MBX_FEAT_INSPECT |
				      MBX_FEAT_RECLAIM));
	EXPECT_LT(0, api.out_max_slots);
	EXPECT_EQ(0, api.out_max_slot_size % MBX_SLOT_ALIGN);
	EXPECT_LE(2ULL * MBX_SLOT_ALIGN, api.out_max_box_bytes);
	EXPECT_EQ(0, api.__reserved);
}

/* ------------------------------------------------------------------ */
/* mailbox_create                                                       */

TEST_F(lib, create_fills_the_handle)
{
	struct mailbox *mb = &self->mb;

	EXPECT_LE(0, mb->fd);
	EXPECT_EQ(LIB_NSLOTS, mb->nslots);
	EXPECT_EQ(LIB_SLOT_SIZE, mb->slot_size);
	EXPECT_EQ(MBX_ACCESS_READ | MBX_ACCESS_WRITE, mb->access);
	EXPECT_LT(0, mb->box_id);
	EXPECT_STREQ(self->name, mb->name);
	ASSERT_NE(NULL, mb->map);
	EXPECT_EQ(mb->map, (void *)mb->call_plane);
	/* Two planes, each page aligned. */
	EXPECT_EQ(2 * (size_t)sysconf(_SC_PAGESIZE), mb->map_size);
	EXPECT_EQ(mb->call_plane + mb->map_size / 2, mb->reply_plane);
	/* MBX_CREATE_CLOEXEC reached the kernel. */
	EXPECT_EQ(FD_CLOEXEC, fcntl(mb->fd, F_GETFD) & FD_CLOEXEC);
}

TEST_F(lib, create_maps_zeroed_shared_planes)
{
	struct mailbox other;
	unsigned char *p = mailbox_call_plane(&self->mb, LIB_NSLOTS - 1);
	unsigned int i;

	for (i = 0; i < self->mb.map_size; i++)
		ASSERT_EQ(0, ((unsigned char *)self->mb.map)[i]);
	ASSERT_EQ(0, lib_open_again(self->name, &other,
				    MBX_ACCESS_READ | MBX_ACCESS_WRITE));
	/* Plain stores, seen through another mapping of the same pages. */
	memset(p, 0xab, LIB_SLOT_SIZE);
	EXPECT_EQ(0xab, ((unsigned char *)
			 mailbox_call_plane(&other, LIB_NSLOTS - 1))[LIB_SLOT_SIZE - 1]);
	memset(mailbox_reply_plane(&other, 0), 0x5a, 1);
	EXPECT_EQ(0x5a, *(unsigned char *)mailbox_reply_plane(&self->mb, 0));
	EXPECT_EQ(0, mailbox_close(&other));
}

TEST_F(lib, create_without_cloexec)
{
	struct mailbox mb;
	char name[MBX_NAME_MAX];

	mbx_unique_name(name, "nocloexec");
	ASSERT_EQ(0, mailbox_create(&mb, name, 1, 64, 0600, 0, 0));
	EXPECT_EQ(0, fcntl(mb.fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(0, mailbox_close(&mb));
	EXPECT_EQ(0, mailbox_destroy(name));
}

TEST_F(lib, create_name_of_63_characters)
{
	char name[MBX_NAME_MAX];
	struct mailbox mb;

	memset(name, 'n', MBX_NAME_MAX - 1);
	name[MBX_NAME_MAX - 1] = '\0';
	mailbox_destroy(name);
	ASSERT_EQ(0, mailbox_create(&mb, name, 1, 64, 0600, 0, 0));
	EXPECT_STREQ(name, mb.name);
	EXPECT_EQ(0, mailbox_close(&mb));
	EXPECT_EQ(0, mailbox_destroy(name));
}

TEST_F(lib, create_name_null)
{
	struct mailbox mb;

	EXPECT_EQ(-EINVAL, mailbox_create(&mb, NULL, 1, 64, 0600, 0, 0));
}

TEST_F(lib, create_name_of_64_characters)
{
	char name[MBX_NAME_MAX + 1];
	struct mailbox mb;

	memset(name, 'n', MBX_NAME_MAX);
	name[MBX_NAME_MAX] = '\0';
	EXPECT_EQ(-EINVAL, mailbox_create(&mb, name, 1, 64, 0600, 0, 0));
}

TEST_F(lib, create_name_empty)
{
	struct mailbox mb;

	EXPECT_EQ(-EINVAL, mailbox_create(&mb, "", 1, 64, 0600, 0, 0));
}

TEST_F(lib, create_name_with_a_slash)
{
	struct mailbox mb;

	EXPECT_EQ(-EINVAL, mailbox_create(&mb, "a/b", 1, 64, 0600, 0, 0));
}

TEST_F(lib, create_unknown_flag)
{
	struct mailbox mb;

	EXPECT_EQ(-EINVAL, mailbox_create(&mb, "lib_test.flag", 1, 64, 0600, 0,
					  MBX_CREATE_CLOEXEC << 1));
}

TEST_F(lib, create_mode_0666)
{
	char name[MBX_NAME_MAX];
	struct mbx_info_args info;
	struct mailbox mb;

	mbx_unique_name(name, "mode");
	ASSERT_EQ(0, mailbox_create(&mb, name, 1, 64, 0666, 0, 0));
	ASSERT_EQ(0, mailbox_info(&mb, &info));
	EXPECT_EQ(0666, info.out_mode);
	EXPECT_EQ(0, mailbox_close(&mb));
	EXPECT_EQ(0, mailbox_destroy(name));
}

TEST_F(lib, create_mode_with_an_execute_bit)
{
	struct mailbox mb;

	EXPECT_EQ(-EINVAL, mailbox_create(&mb, "lib_test.mode", 1, 64, 0667,
					  0, 0));
}

TEST_F(lib, create_zero_slots)
{
	struct mailbox mb;

	EXPECT_EQ(-EINVAL, mailbox_create(&mb, "lib_test.zero", 0, 64, 0600,
					  0, 0));
}

TEST_F(lib, create_zero_slot_size)
{
	struct mailbox mb;

	EXPECT_EQ(-EINVAL, mailbox_create(&mb, "lib_test.zero", 1, 0, 0600,
					  0, 0));
}

TEST_F(lib, create_unaligned_slot_size)
{
	struct mailbox mb;

	EXPECT_EQ(-EINVAL, mailbox_create(&mb, "lib_test.odd", 1,
					  MBX_SLOT_ALIGN + 1, 0600, 0, 0));
}

TEST_F(lib, create_max_slots)
{
	struct mbx_api_args api;
	char name[MBX_NAME_MAX];
	struct mailbox mb;

	ASSERT_EQ(0, mailbox_api(&api));
	if ((uint64_t)api.out_max_slots * 2 * MBX_SLOT_ALIGN >
	    api.out_max_box_bytes)
		SKIP(return, "max_slots slots exceed max_box_bytes");
	mbx_unique_name(name, "maxslots");
	ASSERT_EQ(0, mailbox_create(&mb, name, api.out_max_slots,
				    MBX_SLOT_ALIGN, 0600, 0, 0));
	EXPECT_EQ(api.out_max_slots, mb.nslots);
	EXPECT_EQ(0, mailbox_close(&mb));
	EXPECT_EQ(0, mailbox_destroy(name));
}

TEST_F(lib, create_max_slots_plus_one)
{
	struct mbx_api_args api;
	struct mailbox mb;

	ASSERT_EQ(0, mailbox_api(&api));
	EXPECT_EQ(-E2BIG, mailbox_create(&mb, "lib_test.slots",
					 api.out_max_slots + 1, MBX_SLOT_ALIGN,
					 0600, 0, 0));
}

TEST_F(lib, create_max_slot_size)
{
	struct mbx_api_args api;
	char name[MBX_NAME_MAX];
	struct mailbox mb;

	ASSERT_EQ(0, mailbox_api(&api));
	mbx_unique_name(name, "maxsize");
	ASSERT_EQ(0, mailbox_create(&mb, name, 1, api.out_max_slot_size, 0600,
				    0, 0));
	EXPECT_EQ(api.out_max_slot_size, mb.slot_size);
	EXPECT_EQ(0, mailbox_close(&mb));
	EXPECT_EQ(0, mailbox_destroy(name));
}

TEST_F(lib, create_max_slot_size_plus_one)
{
	struct mbx_api_args api;
	struct mailbox mb;

	ASSERT_EQ(0, mailbox_api(&api));
	EXPECT_EQ(-E2BIG, mailbox_create(&mb, "lib_test.size", 1,
					 api.out_max_slot_size + MBX_SLOT_ALIGN,
					 0600, 0, 0));
}

TEST_F(lib, create_max_box_bytes)
{
	struct mbx_api_args api;
	char name[MBX_NAME_MAX];
	struct mailbox mb;
	uint32_t n;

	ASSERT_EQ(0, mailbox_api(&api));
	n = api.out_max_box_bytes / 2 / api.out_max_slot_size;
	ASSERT_LT(0, n);
	mbx_unique_name(name, "maxbox");
	ASSERT_EQ(0, mailbox_create(&mb, name, n, api.out_max_slot_size, 0600,
				    0, 0));
	EXPECT_EQ(api.out_max_box_bytes, mb.map_size);
	EXPECT_EQ(0, mailbox_close(&mb));
	EXPECT_EQ(0, mailbox_destroy(name));
}

TEST_F(lib, create_max_box_bytes_plus_one_slot)
{
	struct mbx_api_args api;
	struct mailbox mb;
	uint32_t n;

	ASSERT_EQ(0, mailbox_api(&api));
	n = api.out_max_box_bytes / 2 / api.out_max_slot_size;
	EXPECT_EQ(-E2BIG, mailbox_create(&mb, "lib_test.box", n + 1,
					 api.out_max_slot_size, 0600, 0, 0));
}

TEST_F(lib, create_existing_name)
{
	struct mailbox mb;

	EXPECT_EQ(-EEXIST, mailbox_create(&mb, self->name, 1, 64, 0600, 0, 0));
}

TEST_F(lib, create_beyond_max_boxes)
{
	unsigned long long saved;
	uint32_t total = 0;
	struct mailbox mb;
	int ret;

	SKIP_IF_NOT_ROOT();
	saved = param_get("max_boxes");
	ASSERT_LE(0, mailbox_list(NULL, 0, &total));
	ASSERT_LE(1, total);
	/* The fixture's mailbox is one already. */
	ASSERT_EQ(0, param_set("max_boxes", 1));
	ret = mailbox_create(&mb, "lib_test.maxboxes", 1, 64, 0600, 0, 0);
	ASSERT_EQ(0, param_set("max_boxes", saved));
	EXPECT_EQ(-ENOSPC, ret);
}

TEST_F(lib, create_beyond_user_max_bytes)
{
	unsigned long long saved;
	struct mailbox mb;
	int ret;

	SKIP_IF_NOT_ROOT();
	saved = param_get("user_max_bytes");
	ASSERT_EQ(0, param_set("user_max_bytes", sysconf(_SC_PAGESIZE)));
	ret = mailbox_create(&mb, "lib_test.userbytes", 1, 64, 0600, 0, 0);
	ASSERT_EQ(0, param_set("user_max_bytes", saved));
	EXPECT_EQ(-ENOSPC, ret);
}

TEST_F(lib, create_beyond_user_max_boxes)
{
	unsigned long long saved;
	struct mailbox mb;
	int ret;

	SKIP_IF_NOT_ROOT();
	saved = param_get("user_max_boxes");
	/* The fixture's mailbox is this uid's first. */
	ASSERT_EQ(0, param_set("user_max_boxes", 1));
	ret = mailbox_create(&mb, "lib_test.userboxes", 1, 64, 0600, 0, 0);
	ASSERT_EQ(0, param_set("user_max_boxes", saved));
	EXPECT_EQ(-ENOSPC, ret);
}

TEST_F(lib, create_without_a_free_fd_for_the_mailbox)
{
	struct rlimit saved, rl;
	struct mailbox mb;
	int ret;

	/* Room for the control device's fd only: the kernel's fd fails. */
	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &saved));
	rl = saved;
	rl.rlim_cur = lib_lowest_free_fd() + 1;
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	ret = mailbox_create(&mb, "lib_test.emfile", 1, 64, 0600, 0, 0);
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &saved));
	EXPECT_EQ(-EMFILE, ret);
	/* Nothing was created. */
	EXPECT_EQ(-ENOENT, mailbox_destroy("lib_test.emfile"));
}

TEST_F(lib, create_without_a_free_fd_for_the_device)
{
	struct rlimit saved, rl;
	struct mailbox mb;
	int ret;

	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &saved));
	rl = saved;
	rl.rlim_cur = lib_lowest_free_fd();
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	ret = mailbox_create(&mb, "lib_test.emfile", 1, 64, 0600, 0, 0);
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &saved));
	EXPECT_EQ(-EMFILE, ret);
}

/* Current address space size, for RLIMIT_AS. */
static unsigned long vm_size(void)
{
	char line[256];
	unsigned long kb = 0;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmSize: %lu kB", &kb) == 1)
			break;
	fclose(f);
	return kb * 1024;
}

TEST_F(lib, create_that_cannot_map_leaves_no_name)
{
	struct rlimit saved, rl;
	char name[MBX_NAME_MAX];
	struct mailbox mb;
	unsigned long size;
	int ret;

	mbx_unique_name(name, "nomap");
	size = vm_size();
	ASSERT_LT(0, size);
	ASSERT_EQ(0, getrlimit(RLIMIT_AS, &saved));
	rl = saved;
	rl.rlim_cur = size + (1UL << 20);
	ASSERT_EQ(0, setrlimit(RLIMIT_AS, &rl));
	/* 2 x 4 MiB of mapping do not fit in 1 MiB more. */
	ret = mailbox_create(&mb, name, 4, 1 << 20, 0600, 0, 0);
	ASSERT_EQ(0, setrlimit(RLIMIT_AS, &saved));
	EXPECT_EQ(-ENOMEM, ret);
	EXPECT_EQ(-ENOENT, mailbox_open(&mb, name, MBX_ACCESS_READ, 0));
}

TEST_F(lib, create_leaves_errno_alone)
{
	struct mailbox mb;

	errno = 12345;
	EXPECT_EQ(-EEXIST, mailbox_create(&mb, self->name, 1, 64, 0600, 0, 0));
	EXPECT_EQ(12345, errno);
}

/* ------------------------------------------------------------------ */
/* mailbox_open                                                         */

TEST_F(lib, open_read_write_shares_the_mailbox)
{
	struct mailbox mb;

	memset(&mb, 0xcc, sizeof(mb));
	ASSERT_EQ(0, mailbox_open(&mb, self->name,
				  MBX_ACCESS_READ | MBX_ACCESS_WRITE,
				  MBX_OPEN_CLOEXEC));
	EXPECT_NE(self->mb.fd, mb.fd);
	EXPECT_EQ(self->mb.box_id, mb.box_id);
	EXPECT_EQ(LIB_NSLOTS, mb.nslots);
	EXPECT_EQ(LIB_SLOT_SIZE, mb.slot_size);
	EXPECT_EQ(MBX_ACCESS_READ | MBX_ACCESS_WRITE, mb.access);
	EXPECT_STREQ(self->name, mb.name);
	EXPECT_EQ(self->mb.map_size, mb.map_size);
	EXPECT_EQ(FD_CLOEXEC, fcntl(mb.fd, F_GETFD) & FD_CLOEXEC);
	/* The reserved words are zero. */
	EXPECT_EQ(0, mb.flags);
	EXPECT_EQ(0, mb.resv32);
	EXPECT_EQ(0, mb.resv[0] | mb.resv[5]);
	EXPECT_EQ(0, mailbox_close(&mb));
}

TEST_F(lib, open_read_only_maps_read_only)
{
	struct mailbox mb;

	ASSERT_EQ(0, lib_open_again(self->name, &mb, MBX_ACCESS_READ));
	EXPECT_EQ(MBX_ACCESS_READ, mb.access);
	ASSERT_NE(NULL, mb.call_plane);
	EXPECT_EQ(0, *(volatile unsigned char *)mailbox_reply_plane(&mb, 1));
	/* Write access cannot be added to the mapping. */
	EXPECT_EQ(-1, mprotect(mb.map, mb.map_size, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(0, mailbox_close(&mb));
}

TEST_F(lib, open_write_without_read)
{
	struct mailbox mb;

	EXPECT_EQ(-EINVAL, mailbox_open(&mb, self->name, MBX_ACCESS_WRITE, 0));
}

TEST_F(lib, open_name_null)
{
	struct mailbox mb;

	EXPECT_EQ(-EINVAL, mailbox_open(&mb, NULL, MBX_ACCESS_READ, 0));
}

TEST_F(lib, open_name_of_64_characters)
{
	char name[MBX_NAME_MAX + 1];
	struct mailbox mb;

	memset(name, 'n', MBX_NAME_MAX);
	name[MBX_NAME_MAX] = '\0';
	EXPECT_EQ(-EINVAL, mailbox_open(&mb, name, MBX_ACCESS_READ, 0));
}

TEST_F(lib, open_name_with_a_space)
{
	struct mailbox mb;

	EXPECT_EQ(-EINVAL, mailbox_open(&mb, "a b", MBX_ACCESS_READ, 0));
}

TEST_F(lib, open_unknown_flag)
{
	struct mailbox mb;

	EXPECT_EQ(-EINVAL, mailbox_open(&mb, self->name, MBX_ACCESS_READ,
					MBX_OPEN_CLOEXEC << 1));
}

TEST_F(lib, open_no_access)
{
	struct mailbox mb;

	EXPECT_EQ(-EINVAL, mailbox_open(&mb, self->name, 0, 0));
}

TEST_F(lib, open_unknown_access)
{
	struct mailbox mb;

	EXPECT_EQ(-EINVAL, mailbox_open(&mb, self->name,
					MBX_ACCESS_WRITE << 1, 0));
}

TEST_F(lib, open_missing)
{
	struct mailbox mb;

	EXPECT_EQ(-ENOENT, mailbox_open(&mb, "lib_test.missing",
					MBX_ACCESS_READ, 0));
}

static int open_rw_as_nobody(void *name)
{
	struct mailbox mb;
	int ret = mailbox_open(&mb, name, MBX_ACCESS_READ | MBX_ACCESS_WRITE, 0);

	if (!ret)
		mailbox_close(&mb);
	return ret;
}

static int open_r_as_nobody(void *name)
{
	struct mailbox mb;
	int ret = mailbox_open(&mb, name, MBX_ACCESS_READ, 0);

	if (!ret)
		mailbox_close(&mb);
	return ret;
}

TEST_F(lib, open_denied_by_mode)
{
	SKIP_IF_NOT_ROOT();
	EXPECT_EQ(-EACCES, mbx_as_other(open_r_as_nobody, self->name));
}

TEST_F(lib, open_read_granted_write_denied_to_others)
{
	SKIP_IF_NOT_ROOT();
	ASSERT_EQ(0, mailbox_set(&self->mb, MBX_SET_MODE, 0, 0, 0604, 0));
	EXPECT_EQ(0, mbx_as_other(open_r_as_nobody, self->name));
	EXPECT_EQ(-EACCES, mbx_as_other(open_rw_as_nobody, self->name));
}

TEST_F(lib, open_without_a_free_fd_for_the_mailbox)
{
	struct rlimit saved, rl;
	struct mailbox mb;
	int ret;

	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &saved));
	rl = saved;
	rl.rlim_cur = lib_lowest_free_fd() + 1;
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	ret = mailbox_open(&mb, self->name, MBX_ACCESS_READ, 0);
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &saved));
	EXPECT_EQ(-EMFILE, ret);
}

TEST_F(lib, open_that_cannot_map)
{
	struct rlimit saved, rl;
	char name[MBX_NAME_MAX];
	struct mailbox big, mb;
	int ret;

	mbx_unique_name(name, "bigopen");
	ASSERT_EQ(0, mailbox_create(&big, name, 4, 1 << 20, 0600, 0, 0));
	ASSERT_EQ(0, getrlimit(RLIMIT_AS, &saved));
	rl = saved;
	rl.rlim_cur = vm_size() + (1UL << 20);
	ASSERT_EQ(0, setrlimit(RLIMIT_AS, &rl));
	ret = mailbox_open(&mb, name, MBX_ACCESS_READ, 0);
	ASSERT_EQ(0, setrlimit(RLIMIT_AS, &saved));
	EXPECT_EQ(-ENOMEM, ret);
	EXPECT_EQ(0, mailbox_close(&big));
	EXPECT_EQ(0, mailbox_destroy(name));
}

/* ------------------------------------------------------------------ */
/* mailbox_attach                                                       */

TEST_F(lib, attach_a_dup_shares_the_session)
{
	struct mailbox mb;
	int fd = dup(self->mb.fd);

	ASSERT_LE(0, fd);
	memset(&mb, 0xcc, sizeof(mb));
	ASSERT_EQ(0, mailbox_attach(&mb, fd));
	EXPECT_EQ(fd, mb.fd);
	EXPECT_EQ(LIB_NSLOTS, mb.nslots);
	EXPECT_STREQ(self->name, mb.name);
	/* Same open file description, same session: the slot is ours. */
	ASSERT_EQ(1, mailbox_acquire(&self->mb, 1, MBX_WAIT_NONBLOCK, 0, NULL));
	EXPECT_EQ(-EDEADLK, mailbox_acquire(&mb, 1, MBX_WAIT_NONBLOCK, 0,
					    NULL));
	EXPECT_EQ(0, mailbox_release(&mb, 1));
	EXPECT_EQ(0, mailbox_close(&mb));
}

TEST_F(lib, attach_not_a_mailbox)
{
	struct mailbox mb;
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOTTY, mailbox_attach(&mb, fd));
	/* A failed attach leaves the fd to the caller. */
	EXPECT_EQ(0, close(fd));
}

TEST_F(lib, attach_the_control_device)
{
	struct mailbox mb;
	int fd = open(MAILBOX_DEVICE, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOTTY, mailbox_attach(&mb, fd));
	EXPECT_EQ(0, close(fd));
}

TEST_F(lib, attach_closed_fd)
{
	struct mailbox mb;

	EXPECT_EQ(-EBADF, mailbox_attach(&mb, -1));
}

TEST_F(lib, attach_that_cannot_map)
{
	struct rlimit saved, rl;
	char name[MBX_NAME_MAX];
	struct mailbox big, mb;
	int fd, ret;

	mbx_unique_name(name, "bigattach");
	ASSERT_EQ(0, mailbox_create(&big, name, 4, 1 << 20, 0600, 0, 0));
	fd = dup(big.fd);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, getrlimit(RLIMIT_AS, &saved));
	rl = saved;
	rl.rlim_cur = vm_size() + (1UL << 20);
	ASSERT_EQ(0, setrlimit(RLIMIT_AS, &rl));
	ret = mailbox_attach(&mb, fd);
	ASSERT_EQ(0, setrlimit(RLIMIT_AS, &saved));
	EXPECT_EQ(-ENOMEM, ret);
	EXPECT_EQ(0, close(fd));
	EXPECT_EQ(0, mailbox_close(&big));
	EXPECT_EQ(0, mailbox_destroy(name));
}

/* ------------------------------------------------------------------ */
/* mailbox_close                                                        */

TEST_F(lib, close_gives_back_what_the_session_held)
{
	struct mailbox mb;
	uint32_t out_flags = 0xcccccccc;

	ASSERT_EQ(0, lib_open_again(self->name, &mb,
				    MBX_ACCESS_READ | MBX_ACCESS_WRITE));
	ASSERT_EQ(2, mailbox_acquire(&mb, 2, MBX_WAIT_NONBLOCK, 0, NULL));
	EXPECT_EQ(0, mailbox_close(&mb));
	EXPECT_EQ(-1, mb.fd);
	EXPECT_EQ(NULL, mb.map);
	EXPECT_EQ(NULL, mb.call_plane);
	EXPECT_EQ(NULL, mb.reply_plane);
	EXPECT_EQ(2, mailbox_acquire(&self->mb, 2, MBX_WAIT_NONBLOCK, 0,
				     &out_flags));
	EXPECT_EQ(MBX_ACQUIRED_OWNER_DIED, out_flags);
}

TEST_F(lib, close_twice)
{
	EXPECT_EQ(0, mailbox_close(&self->mb));
	EXPECT_EQ(-EBADF, mailbox_close(&self->mb));
}

/* ------------------------------------------------------------------ */
/* mailbox_destroy                                                      */

TEST_F(lib, destroy_removes_the_name_not_the_mailbox)
{
	struct mbx_call call;
	uint64_t id;
	int slot;

	ASSERT_EQ(0, mailbox_destroy(self->name));
	EXPECT_EQ(-ENOENT, mailbox_open(&(struct mailbox){}, self->name,
					MBX_ACCESS_READ, 0));
	/* The open session still works. */
	slot = lib_start_call(&self->mb, 1, "still here", 0, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, lib_take_now(&self->mb, &call));
	EXPECT_EQ(id, call.call_id);
	EXPECT_STREQ("still here", (char *)mailbox_call_plane(&self->mb, slot));
}

TEST_F(lib, destroy_name_null)
{
	EXPECT_EQ(-EINVAL, mailbox_destroy(NULL));
}

TEST_F(lib, destroy_name_of_64_characters)
{
	char name[MBX_NAME_MAX + 1];

	memset(name, 'n', MBX_NAME_MAX);
	name[MBX_NAME_MAX] = '\0';
	EXPECT_EQ(-EINVAL, mailbox_destroy(name));
}

TEST_F(lib, destroy_name_with_a_star)
{
	EXPECT_EQ(-EINVAL, mailbox_destroy("lib_test.*"));
}

TEST_F(lib, destroy_missing)
{
	EXPECT_EQ(-ENOENT, mailbox_destroy("lib_test.missing"));
}

static int destroy_as_nobody(void *name)
{
	return mailbox_destroy(name);
}

TEST_F(lib, destroy_not_the_owner)
{
	SKIP_IF_NOT_ROOT();
	ASSERT_EQ(0, mailbox_set(&self->mb, MBX_SET_MODE, 0, 0, 0666, 0));
	EXPECT_EQ(-EPERM, mbx_as_other(destroy_as_nobody, self->name));
}

/* ------------------------------------------------------------------ */
/* mailbox_list                                                         */

TEST_F(lib, list_reports_the_mailbox)
{
	struct mbx_box_entry entries[64];
	uint32_t total = 0xcccccccc;
	uint64_t id;
	int i, n, found = 0;

	ASSERT_LE(0, lib_start_call(&self->mb, 1, "pending", 0, &id));
	memset(entries, 0xcc, sizeof(entries));
	n = mailbox_list(entries, 64, &total);
	ASSERT_LE(1, n);
	EXPECT_LE((uint32_t)n, total);
	for (i = 0; i < n; i++) {
		if (strcmp((char *)entries[i].name, self->name))
			continue;
		found++;
		EXPECT_EQ(LIB_NSLOTS, entries[i].nslots);
		EXPECT_EQ(LIB_SLOT_SIZE, entries[i].slot_size);
		EXPECT_EQ(geteuid(), entries[i].uid);
		EXPECT_EQ(getegid(), entries[i].gid);
		EXPECT_EQ(0600, entries[i].mode);
		EXPECT_EQ(1, entries[i].pending);
		EXPECT_EQ(self->mb.box_id, entries[i].box_id);
		/* NUL padded. */
		EXPECT_EQ(0, entries[i].name[MBX_NAME_MAX - 1]);
	}
	EXPECT_EQ(1, found);
	/* Nothing written beyond what was returned. */
	if (n < 64)
		EXPECT_EQ(0xcc, entries[n].name[0]);
}

TEST_F(lib, list_count_zero_gives_the_total)
{
	uint32_t total = 0xcccccccc;

	EXPECT_EQ(0, mailbox_list(NULL, 0, &total));
	EXPECT_LE(1, total);
	EXPECT_NE(0xcccccccc, total);
	EXPECT_EQ(0, mailbox_list(NULL, 0, NULL));
}

TEST_F(lib, list_fewer_than_visible)
{
	struct mbx_box_entry entry;
	char name[MBX_NAME_MAX];
	struct mailbox mb;
	uint32_t total = 0;

	mbx_unique_name(name, "second");
	ASSERT_EQ(0, mailbox_create(&mb, name, 1, 64, 0600, 0, 0));
	EXPECT_EQ(1, mailbox_list(&entry, 1, &total));
	EXPECT_LE(2, total);
	EXPECT_EQ(0, mailbox_close(&mb));
	EXPECT_EQ(0, mailbox_destroy(name));
}

TEST_F(lib, list_bad_buffer)
{
	EXPECT_EQ(-EFAULT, mailbox_list((struct mbx_box_entry *)8, 1, NULL));
}

/* ------------------------------------------------------------------ */
/* mailbox_info                                                         */

TEST_F(lib, info_reports_the_mailbox)
{
	struct mbx_info_args info;

	memset(&info, 0xcc, sizeof(info));
	ASSERT_EQ(0, mailbox_info(&self->mb, &info));
	EXPECT_STREQ(self->name, (char *)info.out_name);
	EXPECT_EQ(LIB_NSLOTS, info.out_nslots);
	EXPECT_EQ(LIB_SLOT_SIZE, info.out_slot_size);
	EXPECT_EQ(0, info.out_call_off);
	EXPECT_EQ(self->mb.map_size / 2, info.out_reply_off);
	EXPECT_EQ(self->mb.map_size, info.out_map_size);
	EXPECT_EQ(geteuid(), info.out_uid);
	EXPECT_EQ(getegid(), info.out_gid);
	EXPECT_EQ(0600, info.out_mode);
	EXPECT_EQ(MBX_ACCESS_READ | MBX_ACCESS_WRITE, info.out_access);
	EXPECT_EQ(0, info.out_reclaim_ns);
	EXPECT_EQ(self->mb.box_id, info.out_box_id);
}

TEST_F(lib, info_of_a_read_only_session)
{
	struct mbx_info_args info;
	struct mailbox mb;

	ASSERT_EQ(0, lib_open_again(self->name, &mb, MBX_ACCESS_READ));
	memset(&info, 0xcc, sizeof(info));
	ASSERT_EQ(0, mailbox_info(&mb, &info));
	EXPECT_EQ(MBX_ACCESS_READ, info.out_access);
	EXPECT_EQ(0, mailbox_close(&mb));
}

/* ------------------------------------------------------------------ */
/* mailbox_set                                                          */

TEST_F(lib, set_changes_what_its_flags_name)
{
	struct mbx_info_args info;

	ASSERT_EQ(0, mailbox_set(&self->mb, MBX_SET_MODE | MBX_SET_RECLAIM,
				 123, 456, 0640, 5 * MBX_SEC_NS));
	ASSERT_EQ(0, mailbox_info(&self->mb, &info));
	EXPECT_EQ(0640, info.out_mode);
	EXPECT_EQ(5 * MBX_SEC_NS, info.out_reclaim_ns);
	/* Owner and group untouched: their flags were clear. */
	EXPECT_EQ(geteuid(), info.out_uid);
	EXPECT_EQ(getegid(), info.out_gid);
	ASSERT_EQ(0, mailbox_set(&self->mb, 0, 1, 1, 0777, 1));	/* ignored */
	ASSERT_EQ(0, mailbox_info(&self->mb, &info));
	EXPECT_EQ(0640, info.out_mode);
}

TEST_F(lib, set_owner_and_group)
{
	struct mbx_info_args info;

	SKIP_IF_NOT_ROOT();
	ASSERT_EQ(0, mailbox_set(&self->mb, MBX_SET_UID | MBX_SET_GID,
				 MBX_OTHER_UID, MBX_OTHER_UID, 0, 0));
	ASSERT_EQ(0, mailbox_info(&self->mb, &info));
	EXPECT_EQ(MBX_OTHER_UID, info.out_uid);
	EXPECT_EQ(MBX_OTHER_UID, info.out_gid);
	/* The owner may destroy it: nobody, now. */
	EXPECT_EQ(0, mbx_as_other(destroy_as_nobody, self->name));
}

TEST_F(lib, set_unknown_flag)
{
	EXPECT_EQ(-EINVAL, mailbox_set(&self->mb, MBX_SET_RECLAIM << 1, 0, 0,
				       0, 0));
}

TEST_F(lib, set_mode_with_an_execute_bit)
{
	EXPECT_EQ(-EINVAL, mailbox_set(&self->mb, MBX_SET_MODE, 0, 0, 0700,
				       0));
}

TEST_F(lib, set_unmapped_uid)
{
	EXPECT_EQ(-EINVAL, mailbox_set(&self->mb, MBX_SET_UID, (uint32_t)-1,
				       0, 0, 0));
}

TEST_F(lib, set_unmapped_gid)
{
	EXPECT_EQ(-EINVAL, mailbox_set(&self->mb, MBX_SET_GID, 0,
				       (uint32_t)-1, 0, 0));
}

static int set_mode_as_nobody(void *mb)
{
	return mailbox_set(mb, MBX_SET_MODE, 0, 0, 0666, 0);
}

TEST_F(lib, set_not_the_owner)
{
	SKIP_IF_NOT_ROOT();
	/* The child inherits the fd: the session is not what is checked. */
	EXPECT_EQ(-EPERM, mbx_as_other(set_mode_as_nobody, &self->mb));
}

/* ------------------------------------------------------------------ */
/* Access is carried by the fd, checked once at open                   */

enum op {
	OP_ACQUIRE, OP_SUBMIT, OP_SUBMIT_COLLECT, OP_COLLECT, OP_TAKE,
	OP_COMPLETE, OP_COMPLETE_TAKE, OP_REVOKE, OP_CANCEL, OP_SLOT_INFO,
	OP_STATS, OP_RECLAIM,
};

struct op_ctx {
	struct mailbox *mb;
	enum op op;
};

/* One operation on a session opened by root, by a process that is not. */
static int do_op(void *arg)
{
	struct op_ctx *c = arg;
	struct mbx_slot_info info;
	struct mbx_stats_args st;
	struct mbx_call call;

	switch (c->op) {
	case OP_ACQUIRE:
		return mailbox_acquire(c->mb, 0, MBX_WAIT_NONBLOCK, 0, NULL);
	case OP_SUBMIT:
		return t_submit(c->mb, 0, 1, 0, 0, 0, NULL);
	case OP_SUBMIT_COLLECT:
		return t_submit_collect(c->mb, 0, 1, 0, 0, 0, 0, NULL,
					      &call);
	case OP_COLLECT:
		return mailbox_collect(c->mb, NULL,
				       MBX_WAIT_NONBLOCK, 0, &call);
	case OP_TAKE:
		return mailbox_take(c->mb, MBX_WAIT_NONBLOCK, 0, &call);
	case OP_COMPLETE:
		return mailbox_complete(c->mb, &(struct mbx_call){ .slot = 0, .call_id = 1 }, 0, 0);
	case OP_COMPLETE_TAKE:
		return t_complete_take(c->mb, 0, 1, 0, 0,
					     MBX_WAIT_NONBLOCK, 0, &call, NULL);
	case OP_REVOKE:
		return mailbox_revoke(c->mb, &(struct mbx_call){ .slot = 0, .call_id = 1 });
	case OP_CANCEL:
		return mailbox_cancel(c->mb, &(struct mbx_call){ .slot = 0, .call_id = 1 });
	case OP_SLOT_INFO:
		return mailbox_slot_info(c->mb, 0, 1, &info);
	case OP_STATS:
		return mailbox_stats(c->mb, &st);
	case OP_RECLAIM:
		return mailbox_reclaim(c->mb, 0);
	}
	return -ENOSYS;
}

/*
 * The fd carries the access it was opened with: a process whose own
 * credentials the mode (0600, root's) would refuse gets, through root's
 * fd, exactly what root gets: @want, what the operation returns.
 */
LIB_FIXTURE(carried)

FIXTURE_VARIANT(carried) {
	enum op op;
	int want;
};

FIXTURE_VARIANT_ADD(carried, acquire) { .op = OP_ACQUIRE, .want = 0 };
FIXTURE_VARIANT_ADD(carried, submit) { .op = OP_SUBMIT, .want = -EPERM };
FIXTURE_VARIANT_ADD(carried, submit_collect) {
	.op = OP_SUBMIT_COLLECT, .want = -EPERM,
};
FIXTURE_VARIANT_ADD(carried, collect) { .op = OP_COLLECT, .want = -EAGAIN };
FIXTURE_VARIANT_ADD(carried, take) { .op = OP_TAKE, .want = -EAGAIN };
FIXTURE_VARIANT_ADD(carried, complete) { .op = OP_COMPLETE, .want = -ESTALE };
FIXTURE_VARIANT_ADD(carried, complete_take) {
	.op = OP_COMPLETE_TAKE, .want = -ESTALE,
};
FIXTURE_VARIANT_ADD(carried, revoke) { .op = OP_REVOKE, .want = -ESTALE };
FIXTURE_VARIANT_ADD(carried, cancel) { .op = OP_CANCEL, .want = -ESTALE };
/* One slot's header: the count of headers written. */
FIXTURE_VARIANT_ADD(carried, slot_info) { .op = OP_SLOT_INFO, .want = 1 };
FIXTURE_VARIANT_ADD(carried, stats) { .op = OP_STATS, .want = 0 };
FIXTURE_VARIANT_ADD(carried, reclaim) { .op = OP_RECLAIM, .want = 0 };

TEST_F(carried, by_the_fd)
{
	struct op_ctx c = { .mb = &self->mb, .op = variant->op };

	SKIP_IF_NOT_ROOT();
	EXPECT_EQ(variant->want, mbx_as_other(do_op, &c));
}

/*
 * A mode narrowed after an open: the fd a process that is not the owner
 * opened under 0606 keeps its write access; only a new open is refused.
 * Exit status of the child: 0, or the step that went wrong.
 */
static int narrowed_child(const char *name, int ready, int go)
{
	struct mailbox mb, again;
	char b = 0;
	int ret;

	if (setgroups(0, NULL) || setresgid(MBX_OTHER_UID, MBX_OTHER_UID, MBX_OTHER_UID) ||
	    setresuid(MBX_OTHER_UID, MBX_OTHER_UID, MBX_OTHER_UID))
		return 10;
	if (mailbox_open(&mb, name, MBX_ACCESS_READ | MBX_ACCESS_WRITE, 0))
		return 11;
	if (write(ready, &b, 1) != 1 || read(go, &b, 1) != 1)
		return 12;
	ret = mailbox_acquire(&mb, 0, MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK, 0,
			      NULL);
	if (ret < 0)
		return 13;
	if (mailbox_release(&mb, ret))
		return 14;
	if (mailbox_open(&again, name, MBX_ACCESS_READ, 0) != -EACCES)
		return 15;
	return mailbox_close(&mb) ? 16 : 0;
}

TEST_F(lib, mode_narrowed_after_open_affects_new_opens_only)
{
	int ready[2], go[2], status;
	char b = 0;
	pid_t pid;

	SKIP_IF_NOT_ROOT();
	ASSERT_EQ(0, mailbox_set(&self->mb, MBX_SET_MODE, 0, 0, 0606, 0));
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(narrowed_child(self->name, ready[1], go[0]));
	ASSERT_EQ(1, read(ready[0], &b, 1));
	EXPECT_EQ(0, mailbox_set(&self->mb, MBX_SET_MODE, 0, 0, 0600, 0));
	ASSERT_EQ(1, write(go[1], &b, 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
}

TEST_F(lib, write_granted_to_others_is_enough)
{
	struct op_ctx c = { .mb = &self->mb, .op = OP_ACQUIRE };

	SKIP_IF_NOT_ROOT();
	ASSERT_EQ(0, mailbox_set(&self->mb, MBX_SET_MODE, 0, 0, 0606, 0));
	EXPECT_EQ(0, mbx_as_other(do_op, &c));
}

/* ------------------------------------------------------------------ */
/* Every function                                                       */

/* Each function that works on a mailbox fd, on @mb; -errno of each. */
static void every_fd_function(struct __test_metadata *_metadata,
			      struct mailbox *mb, int err)
{
	struct mbx_info_args info;
	struct mbx_stats_args st;
	struct mbx_slot_info si;
	struct mbx_event ev;
	struct mbx_call call;
	uint32_t out_flags;

	EXPECT_EQ(-err, mailbox_info(mb, &info));
	EXPECT_EQ(-err, mailbox_set(mb, MBX_SET_MODE, 0, 0, 0600, 0));
	EXPECT_EQ(-err, mailbox_acquire(mb, 0, MBX_WAIT_NONBLOCK, 0, NULL));
	EXPECT_EQ(-err, t_submit(mb, 0, 0, 0, 0, 0, NULL));
	EXPECT_EQ(-err, t_submit_collect(mb, 0, 0, 0, 0, 0, 0, NULL,
					       &call));
	EXPECT_EQ(-err, mailbox_collect(mb, &(struct mbx_call){ .slot = 0, .call_id = 1 }, MBX_WAIT_NONBLOCK, 0,
					&call));
	EXPECT_EQ(-err, mailbox_release(mb, 0));
	EXPECT_EQ(-err, mailbox_take(mb, MBX_WAIT_NONBLOCK, 0, &call));
	EXPECT_EQ(-err, mailbox_complete(mb, &(struct mbx_call){ .slot = 0, .call_id = 1 }, 0, 0));
	EXPECT_EQ(-err, t_complete_take(mb, 0, 1, 0, 0,
					      MBX_WAIT_NONBLOCK, 0, &call,
					      &out_flags));
	EXPECT_EQ(-err, mailbox_revoke(mb, &(struct mbx_call){ .slot = 0, .call_id = 1 }));
	EXPECT_EQ(-err, mailbox_cancel(mb, &(struct mbx_call){ .slot = 0, .call_id = 1 }));
	EXPECT_EQ(-err, mailbox_slot_info(mb, 0, 1, &si));
	EXPECT_EQ(-err, mailbox_stats(mb, &st));
	EXPECT_EQ(-err, mailbox_events(mb, &ev, 1));
	EXPECT_EQ(-err, mailbox_reclaim(mb, 0));
}

TEST(every_function_on_a_non_mailbox_fd)
{
	struct mailbox mb = { 0 };

	mb.fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, mb.fd);
	every_fd_function(_metadata, &mb, ENOTTY);
	EXPECT_EQ(0, mailbox_close(&mb));
}

TEST(every_function_on_the_control_device)
{
	struct mailbox mb = { 0 };

	SKIP_IF_NO_DEVICE();
	mb.fd = open(MAILBOX_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, mb.fd);
	every_fd_function(_metadata, &mb, ENOTTY);
	EXPECT_EQ(0, mailbox_close(&mb));
}

TEST(every_function_on_a_closed_fd)
{
	struct mailbox mb = { .fd = -1 };

	every_fd_function(_metadata, &mb, EBADF);
	EXPECT_EQ(-EBADF, mailbox_close(&mb));
}

TEST(every_function_leaves_errno_alone)
{
	struct mailbox mb = { .fd = -1 };
	struct mbx_box_entry e;

	errno = 12345;
	every_fd_function(_metadata, &mb, EBADF);
	EXPECT_EQ(-EBADF, mailbox_close(&mb));
	EXPECT_EQ(-EBADF, mailbox_attach(&mb, -1));
	EXPECT_EQ(-EBADF, mailbox_ready(&(struct mailbox){ .fd = 1000 }, 0));
	if (!mbx_device_absent()) {
		char name[MBX_NAME_MAX];
		struct mailbox box;

		mbx_unique_name(name, "errno");
		ASSERT_EQ(0, mailbox_create(&box, name, 1, 64, 0600, 0, 0));
		errno = 12345;
		EXPECT_EQ(-EEXIST, mailbox_create(&mb, name, 1, 64, 0600, 0, 0));
		EXPECT_EQ(-ENOENT, mailbox_open(&mb, "lib_test.missing",
						MBX_ACCESS_READ, 0));
		EXPECT_EQ(-ENOENT, mailbox_destroy("lib_test.missing"));
		EXPECT_EQ(-EFAULT, mailbox_list((struct mbx_box_entry *)8, 1,
						NULL));
		EXPECT_LE(1, mailbox_list(&e, 1, NULL));
		EXPECT_EQ(12345, errno);
		EXPECT_EQ(0, mailbox_close(&box));
		EXPECT_EQ(0, mailbox_destroy(name));
	}
	EXPECT_EQ(12345, errno);
}

TEST_HARNESS_MAIN
