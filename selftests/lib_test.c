// SPDX-License-Identifier: GPL-2.0
/*
 * libmailbox: every function of lib/mailbox.h and lib/mailbox-uring.h, what
 * it returns and what it writes, and every error it can return that a test
 * can provoke (each error in its own test). Skips when /dev/mailbox is
 * absent; the tests that need another uid or write module parameters skip
 * when not run as root.
 *
 * The library is compiled into this test from its source (the selftests
 * Makefile links no extra library); the examples test runs programs linked
 * against the built libmailbox.so, and lib/Makefile's check target covers
 * the installed library and its exported symbols.
 */
#define _GNU_SOURCE
#include "../lib/mailbox.c"
#include "../lib/mailbox-uring.h"

#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"

#define NSLOTS		4
#define SLOT_SIZE	128
#define NOBODY		65534
#define SEC		1000000000ULL
#define MSEC		1000000ULL
#define MAX_ERRNO_TEST	4095	/* the kernel's MAX_ERRNO */

static int device_absent(void)
{
	return access(MAILBOX_DEVICE, F_OK) && errno == ENOENT;
}

/* Skip from a fixture's setup: the 6.1 harness would run the test anyway. */
#define SKIP_SETUP(fmt, ...) \
	SKIP(longjmp(_metadata->env, 1), fmt, ##__VA_ARGS__)

#define SKIP_IF_NO_DEVICE() do { \
	if (device_absent()) \
		SKIP(return, MAILBOX_DEVICE " absent: mbx.ko not loaded"); \
} while (0)

#define SKIP_IF_NOT_ROOT() do { \
	if (geteuid()) \
		SKIP(return, "needs root"); \
} while (0)

static void new_name(char *buf, const char *tag)
{
	static int n;

	snprintf(buf, MBX_NAME_MAX, "lib_test.%d.%s.%d", getpid(), tag, n++);
}

static uint64_t now_ns(void)
{
	return mailbox_deadline(0);
}

/*
 * The call-path functions take a struct mbx_call; these build one from the
 * loose values a test has at hand, call the function once, and hand the
 * results back. Each is exactly one library call (and so one ioctl).
 */
static int t_submit(struct mailbox *mb, uint32_t slot, uint32_t opcode,
		    uint32_t len, uint64_t user_data, uint32_t call_flags,
		    uint64_t *id)
{
	struct mbx_call c = {
		.slot = slot, .opcode = opcode, .len = len,
		.user_data = user_data, .flags = call_flags,
	};
	int ret = mailbox_submit(mb, &c);

	if (!ret && id)
		*id = c.call_id;
	return ret;
}

/*
 * @flags: MBX_CALL_AT_MOST_ONCE goes with the call (struct mbx_call.flags),
 * the rest (MBX_WAIT_TIMEOUT, unknown bits) to the wait.
 */
static int t_submit_collect(struct mailbox *mb, uint32_t slot,
			    uint32_t opcode, uint32_t len, uint64_t user_data,
			    uint32_t flags, uint64_t timeout_ns, uint64_t *id,
			    struct mbx_call *reply)
{
	struct mbx_call c = {
		.slot = slot, .opcode = opcode, .len = len,
		.user_data = user_data, .flags = flags & MBX_CALL_AT_MOST_ONCE,
	};
	int ret = mailbox_submit_collect(mb, &c, flags & ~MBX_CALL_AT_MOST_ONCE,
					 timeout_ns, reply);

	if (id)
		*id = c.call_id;
	return ret;
}

/*
 * mailbox_complete_take() of (slot, call_id); *@out_flags gets what it
 * returned (MBX_TAKEN_*), or on failure MBX_TAKEN_DONE if the call was
 * answered all the same (done.call_id became 0).
 */
static int t_complete_take(struct mailbox *mb, uint32_t slot,
			   uint64_t call_id, int32_t status, uint32_t len,
			   uint32_t flags, uint64_t timeout_ns,
			   struct mbx_call *next, uint32_t *out_flags)
{
	struct mbx_call done = { .slot = slot, .call_id = call_id };
	int ret = mailbox_complete_take(mb, &done, status, len, flags,
					timeout_ns, next);

	if (out_flags)
		*out_flags = ret >= 0 ? (uint32_t)ret :
			     (call_id && !done.call_id) ? MBX_TAKEN_DONE : 0;
	return ret < 0 ? ret : 0;
}

/*
 * Begin a call through @mb: acquire any slot, write @msg into its call
 * plane, submit. Returns the slot or -errno; the id in @id.
 */
static int start_call(struct mailbox *mb, uint32_t opcode, const char *msg,
		      uint32_t flags, uint64_t *id)
{
	int slot, ret;

	slot = mailbox_acquire(mb, 0, MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK, 0, NULL);
	if (slot < 0)
		return slot;
	/* OWNED by us: plain stores, published by the submit below. */
	strcpy(mailbox_call_plane(mb, slot), msg);
	ret = t_submit(mb, slot, opcode, strlen(msg) + 1, 0x5eed, flags,
			     id);
	return ret < 0 ? ret : slot;
}

/* Take the oldest call without waiting; -errno on failure. */
static int take_now(struct mailbox *mb, struct mbx_call *call)
{
	return mailbox_take(mb, MBX_WAIT_NONBLOCK, 0, call);
}

/* Answer @call with @msg in its reply plane. */
static int answer(struct mailbox *mb, const struct mbx_call *call,
		  int32_t status, const char *msg)
{
	/* TAKEN by us: plain stores, published by the complete below. */
	strcpy(mailbox_reply_plane(mb, call->slot), msg);
	return mailbox_complete(mb, &(struct mbx_call){ .slot = call->slot, .call_id = call->call_id }, status,
				strlen(msg) + 1);
}

/*
 * Run @fn in a child with uid and gid nobody and no capabilities. Returns
 * what @fn returned (0 or -errno), or 1000 + code when the child failed.
 */
static int as_nobody(int (*fn)(void *), void *arg)
{
	int status, ret;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return 1000;
	if (pid == 0) {
		if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY))
			_exit(200);
		ret = fn(arg);
		_exit(ret < 0 && ret > -200 ? -ret : ret ? 201 : 0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 1000;
	ret = WEXITSTATUS(status);
	return ret >= 200 ? 1000 + ret : -ret;
}

/* Write a module parameter; returns 0 or -errno. */
static int set_param(const char *name, unsigned long long value)
{
	char path[128];
	FILE *f;
	int ret = 0;

	snprintf(path, sizeof(path), "/sys/module/mbx/parameters/%s", name);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	if (fprintf(f, "%llu\n", value) < 0)
		ret = -EIO;
	if (fclose(f))
		ret = -errno;
	return ret;
}

static unsigned long long get_param(const char *name)
{
	char path[128];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/mbx/parameters/%s", name);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

/* The lowest fd number not in use. */
static int lowest_free_fd(void)
{
	int fd = fcntl(STDERR_FILENO, F_DUPFD, 0);

	if (fd >= 0)
		close(fd);
	return fd;
}

/* Signals that interrupt the waits: a thread sends one to the waiter. */
static volatile sig_atomic_t signals_seen;

static void on_signal(int sig)
{
	(void)sig;
	signals_seen++;
}

struct poke {
	pthread_t target;
	unsigned int delay_ms;
};

static void *poke_thread(void *arg)
{
	struct poke *p = arg;

	usleep(p->delay_ms * 1000);
	pthread_kill(p->target, SIGUSR1);
	return NULL;
}

/* Arm SIGUSR1 (with or without SA_RESTART) to hit this thread soon. */
static void poke_me(pthread_t *thr, struct poke *p, int restart)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sa.sa_flags = restart ? SA_RESTART : 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	signals_seen = 0;
	p->target = pthread_self();
	p->delay_ms = 50;
	pthread_create(thr, NULL, poke_thread, p);
}

/* Children that open their own session and die: recovery tests. */
enum child_role {
	CHILD_TAKES,		/* take one call, tell the parent, die */
	CHILD_CALLS,		/* make one call, tell the parent, die */
	CHILD_OWNS,		/* acquire slot 0, write it, die */
	CHILD_EDITS,		/* revoke the call named in the pipe, die */
};

struct child_msg {
	int32_t ret;
	uint32_t slot;
	uint64_t call_id;
};

/*
 * Fork a child that opens @name and plays @role, then exits without
 * answering, collecting or releasing. Returns what the child reported.
 */
static struct child_msg run_child(const char *name, enum child_role role,
				  uint32_t call_flags, uint32_t slot,
				  uint64_t call_id)
{
	struct child_msg msg = { .ret = -EPIPE };
	int pfd[2], status;
	pid_t pid;

	if (pipe(pfd))
		return msg;
	pid = fork();
	if (pid == 0) {
		struct mailbox mb;
		struct mbx_call call;

		close(pfd[0]);
		msg.ret = mailbox_open(&mb, name,
				       MBX_ACCESS_READ | MBX_ACCESS_WRITE, 0);
		if (!msg.ret) {
			switch (role) {
			case CHILD_TAKES:
				msg.ret = mailbox_take(&mb, MBX_WAIT_TIMEOUT,
						       mailbox_deadline(5 * SEC),
						       &call);
				msg.slot = call.slot;
				msg.call_id = call.call_id;
				/* A half-written reply the kernel must drop. */
				if (!msg.ret)
					memset(mailbox_reply_plane(&mb, call.slot),
					       0xee, mb.slot_size);
				break;
			case CHILD_CALLS:
				msg.ret = start_call(&mb, 7, "orphan", call_flags,
						     &msg.call_id);
				msg.slot = msg.ret;
				if (msg.ret > 0)
					msg.ret = 0;
				break;
			case CHILD_OWNS:
				msg.ret = mailbox_acquire(&mb, 0, MBX_WAIT_NONBLOCK,
							  0, NULL);
				if (!msg.ret)
					memset(mailbox_call_plane(&mb, 0), 0xdd,
					       mb.slot_size);
				break;
			case CHILD_EDITS:
				msg.ret = mailbox_revoke(&mb, &(struct mbx_call){ .slot = slot, .call_id = call_id });
				if (!msg.ret)
					memset(mailbox_call_plane(&mb, slot), 0xdd,
					       mb.slot_size);
				break;
			}
		}
		if (write(pfd[1], &msg, sizeof(msg)) != sizeof(msg))
			_exit(1);
		_exit(0);
	}
	close(pfd[1]);
	if (pid < 0 || read(pfd[0], &msg, sizeof(msg)) != sizeof(msg))
		msg.ret = -EPIPE;
	close(pfd[0]);
	/* After the reap the child's session is gone: do_exit released it. */
	if (pid > 0)
		waitpid(pid, &status, 0);
	return msg;
}

FIXTURE(lib) {
	struct mailbox mb;
	char name[MBX_NAME_MAX];
};

FIXTURE_SETUP(lib)
{
	if (device_absent())
		SKIP_SETUP(MAILBOX_DEVICE " absent: mbx.ko not loaded");
	new_name(self->name, "box");
	ASSERT_EQ(0, mailbox_create(&self->mb, self->name, NSLOTS, SLOT_SIZE,
				    0600, 0, MBX_CREATE_CLOEXEC));
}

FIXTURE_TEARDOWN(lib)
{
	if (self->mb.fd >= 0)
		mailbox_close(&self->mb);
	mailbox_destroy(self->name);
}

/* A second session on the fixture's mailbox. */
static int open_again(struct __test_metadata *_metadata, const char *name,
		      struct mailbox *mb, uint32_t access)
{
	int ret = mailbox_open(mb, name, access, MBX_OPEN_CLOEXEC);

	EXPECT_EQ(0, ret);
	return ret;
}

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
	EXPECT_EQ(NSLOTS, mb->nslots);
	EXPECT_EQ(SLOT_SIZE, mb->slot_size);
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
	unsigned char *p = mailbox_call_plane(&self->mb, NSLOTS - 1);
	unsigned int i;

	for (i = 0; i < self->mb.map_size; i++)
		ASSERT_EQ(0, ((unsigned char *)self->mb.map)[i]);
	ASSERT_EQ(0, open_again(_metadata, self->name, &other,
				MBX_ACCESS_READ | MBX_ACCESS_WRITE));
	/* Plain stores, seen through another mapping of the same pages. */
	memset(p, 0xab, SLOT_SIZE);
	EXPECT_EQ(0xab, ((unsigned char *)
			 mailbox_call_plane(&other, NSLOTS - 1))[SLOT_SIZE - 1]);
	memset(mailbox_reply_plane(&other, 0), 0x5a, 1);
	EXPECT_EQ(0x5a, *(unsigned char *)mailbox_reply_plane(&self->mb, 0));
	EXPECT_EQ(0, mailbox_close(&other));
}

TEST_F(lib, create_without_cloexec)
{
	struct mailbox mb;
	char name[MBX_NAME_MAX];

	new_name(name, "nocloexec");
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

	new_name(name, "mode");
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
	new_name(name, "maxslots");
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
	new_name(name, "maxsize");
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
	new_name(name, "maxbox");
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
	saved = get_param("max_boxes");
	ASSERT_LE(0, mailbox_list(NULL, 0, &total));
	ASSERT_LE(1, total);
	/* The fixture's mailbox is one already. */
	ASSERT_EQ(0, set_param("max_boxes", 1));
	ret = mailbox_create(&mb, "lib_test.maxboxes", 1, 64, 0600, 0, 0);
	ASSERT_EQ(0, set_param("max_boxes", saved));
	EXPECT_EQ(-ENOSPC, ret);
}

TEST_F(lib, create_beyond_user_max_bytes)
{
	unsigned long long saved;
	struct mailbox mb;
	int ret;

	SKIP_IF_NOT_ROOT();
	saved = get_param("user_max_bytes");
	ASSERT_EQ(0, set_param("user_max_bytes", sysconf(_SC_PAGESIZE)));
	ret = mailbox_create(&mb, "lib_test.userbytes", 1, 64, 0600, 0, 0);
	ASSERT_EQ(0, set_param("user_max_bytes", saved));
	EXPECT_EQ(-ENOSPC, ret);
}

TEST_F(lib, create_beyond_user_max_boxes)
{
	unsigned long long saved;
	struct mailbox mb;
	int ret;

	SKIP_IF_NOT_ROOT();
	saved = get_param("user_max_boxes");
	/* The fixture's mailbox is this uid's first. */
	ASSERT_EQ(0, set_param("user_max_boxes", 1));
	ret = mailbox_create(&mb, "lib_test.userboxes", 1, 64, 0600, 0, 0);
	ASSERT_EQ(0, set_param("user_max_boxes", saved));
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
	rl.rlim_cur = lowest_free_fd() + 1;
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
	rl.rlim_cur = lowest_free_fd();
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

	new_name(name, "nomap");
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
	EXPECT_EQ(NSLOTS, mb.nslots);
	EXPECT_EQ(SLOT_SIZE, mb.slot_size);
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

	ASSERT_EQ(0, open_again(_metadata, self->name, &mb, MBX_ACCESS_READ));
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
	EXPECT_EQ(-EACCES, as_nobody(open_r_as_nobody, self->name));
}

TEST_F(lib, open_read_granted_write_denied_to_others)
{
	SKIP_IF_NOT_ROOT();
	ASSERT_EQ(0, mailbox_set(&self->mb, MBX_SET_MODE, 0, 0, 0604, 0));
	EXPECT_EQ(0, as_nobody(open_r_as_nobody, self->name));
	EXPECT_EQ(-EACCES, as_nobody(open_rw_as_nobody, self->name));
}

TEST_F(lib, open_without_a_free_fd_for_the_mailbox)
{
	struct rlimit saved, rl;
	struct mailbox mb;
	int ret;

	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &saved));
	rl = saved;
	rl.rlim_cur = lowest_free_fd() + 1;
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

	new_name(name, "bigopen");
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
	EXPECT_EQ(NSLOTS, mb.nslots);
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

	new_name(name, "bigattach");
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

	ASSERT_EQ(0, open_again(_metadata, self->name, &mb,
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
	slot = start_call(&self->mb, 1, "still here", 0, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, take_now(&self->mb, &call));
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
	EXPECT_EQ(-EPERM, as_nobody(destroy_as_nobody, self->name));
}

/* ------------------------------------------------------------------ */
/* mailbox_list                                                         */

TEST_F(lib, list_reports_the_mailbox)
{
	struct mbx_box_entry entries[64];
	uint32_t total = 0xcccccccc;
	uint64_t id;
	int i, n, found = 0;

	ASSERT_LE(0, start_call(&self->mb, 1, "pending", 0, &id));
	memset(entries, 0xcc, sizeof(entries));
	n = mailbox_list(entries, 64, &total);
	ASSERT_LE(1, n);
	EXPECT_LE((uint32_t)n, total);
	for (i = 0; i < n; i++) {
		if (strcmp((char *)entries[i].name, self->name))
			continue;
		found++;
		EXPECT_EQ(NSLOTS, entries[i].nslots);
		EXPECT_EQ(SLOT_SIZE, entries[i].slot_size);
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

	new_name(name, "second");
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
	EXPECT_EQ(NSLOTS, info.out_nslots);
	EXPECT_EQ(SLOT_SIZE, info.out_slot_size);
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

	ASSERT_EQ(0, open_again(_metadata, self->name, &mb, MBX_ACCESS_READ));
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
				 123, 456, 0640, 5 * SEC));
	ASSERT_EQ(0, mailbox_info(&self->mb, &info));
	EXPECT_EQ(0640, info.out_mode);
	EXPECT_EQ(5 * SEC, info.out_reclaim_ns);
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
				 NOBODY, NOBODY, 0, 0));
	ASSERT_EQ(0, mailbox_info(&self->mb, &info));
	EXPECT_EQ(NOBODY, info.out_uid);
	EXPECT_EQ(NOBODY, info.out_gid);
	/* The owner may destroy it: nobody, now. */
	EXPECT_EQ(0, as_nobody(destroy_as_nobody, self->name));
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
	EXPECT_EQ(-EPERM, as_nobody(set_mode_as_nobody, &self->mb));
}

/* ------------------------------------------------------------------ */
/* mailbox_acquire                                                      */

TEST_F(lib, acquire_any_slot)
{
	uint32_t out_flags = 0xcccccccc;
	int slot;

	slot = mailbox_acquire(&self->mb, 0, MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK,
			       0, &out_flags);
	ASSERT_LE(0, slot);
	EXPECT_GT(NSLOTS, slot);
	EXPECT_EQ(0, out_flags);
}

TEST_F(lib, acquire_every_slot_then_none)
{
	int i, seen = 0;

	for (i = 0; i < NSLOTS; i++) {
		int slot = mailbox_acquire(&self->mb, 0,
					   MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK, 0, NULL);

		ASSERT_LE(0, slot);
		seen |= 1 << slot;
	}
	EXPECT_EQ((1 << NSLOTS) - 1, seen);
	EXPECT_EQ(-EAGAIN, mailbox_acquire(&self->mb, 0,
					   MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK, 0, NULL));
}

TEST_F(lib, acquire_the_last_slot)
{
	EXPECT_EQ(NSLOTS - 1, mailbox_acquire(&self->mb, NSLOTS - 1,
					      MBX_WAIT_NONBLOCK, 0, NULL));
}

TEST_F(lib, acquire_slot_out_of_range)
{
	EXPECT_EQ(-EINVAL, mailbox_acquire(&self->mb, NSLOTS,
					   MBX_WAIT_NONBLOCK, 0, NULL));
}

TEST_F(lib, acquire_unknown_flag)
{
	EXPECT_EQ(-EINVAL, mailbox_acquire(&self->mb, 0, MBX_ACQUIRE_CALL << 1,
					   0, NULL));
}

TEST_F(lib, acquire_any_with_acquire_call)
{
	EXPECT_EQ(-EINVAL, mailbox_acquire(&self->mb, 0,
					   MBX_ACQUIRE_ANY | MBX_ACQUIRE_CALL, 0, NULL));
}

TEST_F(lib, acquire_read_only)
{
	struct mailbox mb;

	ASSERT_EQ(0, open_again(_metadata, self->name, &mb, MBX_ACCESS_READ));
	EXPECT_EQ(-EBADF, mailbox_acquire(&mb, 0,
					  MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK, 0, NULL));
	EXPECT_EQ(0, mailbox_close(&mb));
}

TEST_F(lib, acquire_a_slot_already_mine)
{
	ASSERT_EQ(0, mailbox_acquire(&self->mb, 0, MBX_WAIT_NONBLOCK, 0, NULL));
	EXPECT_EQ(-EDEADLK, mailbox_acquire(&self->mb, 0, 0, 0, NULL));
}

TEST_F(lib, acquire_a_slot_of_another_nonblock)
{
	struct mailbox mb;

	ASSERT_EQ(0, open_again(_metadata, self->name, &mb,
				MBX_ACCESS_READ | MBX_ACCESS_WRITE));
	ASSERT_EQ(0, mailbox_acquire(&mb, 0, MBX_WAIT_NONBLOCK, 0, NULL));
	EXPECT_EQ(-EAGAIN, mailbox_acquire(&self->mb, 0, MBX_WAIT_NONBLOCK, 0,
					   NULL));
	EXPECT_EQ(0, mailbox_close(&mb));
}

TEST_F(lib, acquire_times_out)
{
	uint64_t deadline;
	int i;

	for (i = 0; i < NSLOTS; i++)
		ASSERT_LE(0, mailbox_acquire(&self->mb, 0,
					     MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK, 0, NULL));
	deadline = mailbox_deadline(20 * MSEC);
	EXPECT_EQ(-ETIMEDOUT, mailbox_acquire(&self->mb, 0,
					      MBX_ACQUIRE_ANY | MBX_WAIT_TIMEOUT, deadline,
					      NULL));
	EXPECT_LE(deadline, now_ns());
}

TEST_F(lib, acquire_interrupted)
{
	struct poke p;
	pthread_t thr;
	int i;

	for (i = 0; i < NSLOTS; i++)
		ASSERT_LE(0, mailbox_acquire(&self->mb, 0,
					     MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK, 0, NULL));
	poke_me(&thr, &p, 0);
	EXPECT_EQ(-EINTR, mailbox_acquire(&self->mb, 0,
					  MBX_ACQUIRE_ANY | MBX_WAIT_TIMEOUT,
					  mailbox_deadline(5 * SEC), NULL));
	pthread_join(thr, NULL);
	EXPECT_EQ(1, signals_seen);
}

TEST_F(lib, acquire_restarted_keeps_its_deadline)
{
	uint64_t deadline;
	struct poke p;
	pthread_t thr;
	int i;

	for (i = 0; i < NSLOTS; i++)
		ASSERT_LE(0, mailbox_acquire(&self->mb, 0,
					     MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK, 0, NULL));
	poke_me(&thr, &p, 1);
	deadline = mailbox_deadline(300 * MSEC);
	EXPECT_EQ(-ETIMEDOUT, mailbox_acquire(&self->mb, 0,
					      MBX_ACQUIRE_ANY | MBX_WAIT_TIMEOUT, deadline,
					      NULL));
	EXPECT_LE(deadline, now_ns());
	pthread_join(thr, NULL);
	EXPECT_EQ(1, signals_seen);
}

struct later {
	struct mailbox *mb;
	unsigned int delay_ms;
	uint32_t slot;
	uint64_t call_id;
	int32_t status;
	int ret;
};

static void *release_later(void *arg)
{
	struct later *l = arg;

	usleep(l->delay_ms * 1000);
	l->ret = mailbox_release(l->mb, l->slot);
	return NULL;
}

TEST_F(lib, acquire_waits_for_a_release)
{
	struct mailbox mb;
	struct later l = { .mb = &mb, .delay_ms = 50, .slot = 3 };
	pthread_t thr;

	ASSERT_EQ(0, open_again(_metadata, self->name, &mb,
				MBX_ACCESS_READ | MBX_ACCESS_WRITE));
	ASSERT_EQ(3, mailbox_acquire(&mb, 3, MBX_WAIT_NONBLOCK, 0, NULL));
	pthread_create(&thr, NULL, release_later, &l);
	EXPECT_EQ(3, mailbox_acquire(&self->mb, 3, MBX_WAIT_TIMEOUT,
				     mailbox_deadline(5 * SEC), NULL));
	pthread_join(thr, NULL);
	EXPECT_EQ(0, l.ret);
	EXPECT_EQ(0, mailbox_close(&mb));
}

TEST_F(lib, acquire_after_the_owner_died)
{
	uint32_t out_flags = 0xcccccccc;
	struct child_msg c;
	unsigned char *p;
	int i;

	c = run_child(self->name, CHILD_OWNS, 0, 0, 0);
	ASSERT_EQ(0, c.ret);
	ASSERT_EQ(0, mailbox_acquire(&self->mb, 0, MBX_WAIT_NONBLOCK, 0,
				     &out_flags));
	EXPECT_EQ(MBX_ACQUIRED_OWNER_DIED, out_flags);
	/* The dead owner's draft is zeroed. */
	p = mailbox_call_plane(&self->mb, 0);
	for (i = 0; i < SLOT_SIZE; i++)
		ASSERT_EQ(0, p[i]);
	/* Told once. */
	ASSERT_EQ(0, mailbox_release(&self->mb, 0));
	ASSERT_EQ(0, mailbox_acquire(&self->mb, 0, MBX_WAIT_NONBLOCK, 0,
				     &out_flags));
	EXPECT_EQ(0, out_flags);
}

TEST(acquire_any_waits_for_the_age_limit)
{
	char name[MBX_NAME_MAX];
	struct mbx_call call;
	struct child_msg c;
	struct mailbox mb;

	SKIP_IF_NO_DEVICE();
	new_name(name, "reclaim");
	ASSERT_EQ(0, mailbox_create(&mb, name, 1, 64, 0600, 1, 0));
	c = run_child(name, CHILD_CALLS, 0, 0, 0);
	ASSERT_EQ(0, c.ret);
	ASSERT_EQ(0, take_now(&mb, &call));
	ASSERT_EQ(0, answer(&mb, &call, 0, "nobody reads this"));
	/* The only slot holds a reply whose caller is gone, 1 ns old. */
	EXPECT_EQ(0, mailbox_acquire(&mb, 0, MBX_ACQUIRE_ANY | MBX_WAIT_TIMEOUT,
				     mailbox_deadline(5 * SEC), NULL));
	EXPECT_EQ(0, mailbox_close(&mb));
	EXPECT_EQ(0, mailbox_destroy(name));
}

/* ------------------------------------------------------------------ */
/* mailbox_submit                                                       */

TEST_F(lib, submit_returns_a_new_call_id)
{
	uint64_t id1 = 0xcccccccccccccccc, id2 = 0xcccccccccccccccc;
	struct mbx_slot_info info;

	ASSERT_EQ(1, mailbox_acquire(&self->mb, 1, MBX_WAIT_NONBLOCK, 0, NULL));
	ASSERT_EQ(0, t_submit(&self->mb, 1, 42, 7, 0xfeed,
				    MBX_CALL_AT_MOST_ONCE, &id1));
	ASSERT_EQ(2, mailbox_acquire(&self->mb, 2, MBX_WAIT_NONBLOCK, 0, NULL));
	ASSERT_EQ(0, t_submit(&self->mb, 2, 43, 0, 0, 0, &id2));
	EXPECT_LT(0, id1);
	EXPECT_LT(id1, id2);
	ASSERT_EQ(1, mailbox_slot_info(&self->mb, 1, 1, &info));
	EXPECT_EQ(MBX_STATE_PENDING, info.state);
	EXPECT_EQ(id1, info.call_id);
	EXPECT_EQ(42, info.opcode);
	EXPECT_EQ(7, info.len);
	EXPECT_EQ(0xfeed, info.user_data);
	EXPECT_EQ(MBX_CALL_AT_MOST_ONCE, info.flags);
}

TEST_F(lib, submit_without_an_id_pointer)
{
	ASSERT_EQ(0, mailbox_acquire(&self->mb, 0, MBX_WAIT_NONBLOCK, 0, NULL));
	EXPECT_EQ(0, t_submit(&self->mb, 0, 1, 0, 0, 0, NULL));
}

TEST_F(lib, submit_the_whole_slot)
{
	ASSERT_EQ(0, mailbox_acquire(&self->mb, 0, MBX_WAIT_NONBLOCK, 0, NULL));
	EXPECT_EQ(0, t_submit(&self->mb, 0, 1, SLOT_SIZE, 0, 0, NULL));
}

TEST_F(lib, submit_beyond_the_slot)
{
	ASSERT_EQ(0, mailbox_acquire(&self->mb, 0, MBX_WAIT_NONBLOCK, 0, NULL));
	EXPECT_EQ(-EMSGSIZE, t_submit(&self->mb, 0, 1, SLOT_SIZE + 1, 0,
					    0, NULL));
}

TEST_F(lib, submit_unknown_flag)
{
	ASSERT_EQ(0, mailbox_acquire(&self->mb, 0, MBX_WAIT_NONBLOCK, 0, NULL));
	EXPECT_EQ(-EINVAL, t_submit(&self->mb, 0, 1, 0, 0, 1U << 20, NULL));
}

/*
 * The flags the kernel sets on a delivered call are not the caller's to
 * pass: a reply struct reused for the next call submits without them.
 */
TEST_F(lib, submit_drops_the_kernels_call_flags)
{
	struct mbx_call call = {
		.opcode = 1,
		.flags = MBX_CALL_REDELIVERED | MBX_CALL_CALLER_GONE |
			 MBX_CALL_CANCEL_REQ | MBX_CALL_ADOPTED,
	};
	struct mbx_call taken;

	ASSERT_EQ(0, mailbox_acquire(&self->mb, 0, MBX_WAIT_NONBLOCK, 0, NULL));
	EXPECT_EQ(0, mailbox_submit(&self->mb, &call));
	ASSERT_EQ(0, take_now(&self->mb, &taken));
	EXPECT_EQ(call.call_id, taken.call_id);
	EXPECT_EQ(0, taken.flags);
}

TEST_F(lib, submit_slot_out_of_range)
{
	EXPECT_EQ(-EINVAL, t_submit(&self->mb, NSLOTS, 1, 0, 0, 0,
					  NULL));
}

TEST_F(lib, submit_a_slot_not_mine)
{
	EXPECT_EQ(-EPERM, t_submit(&self->mb, 0, 1, 0, 0, 0, NULL));
}

TEST_F(lib, submit_read_only)
{
	struct mailbox mb;

	ASSERT_EQ(0, open_again(_metadata, self->name, &mb, MBX_ACCESS_READ));
	EXPECT_EQ(-EBADF, t_submit(&mb, 0, 1, 0, 0, 0, NULL));
	EXPECT_EQ(0, mailbox_close(&mb));
}

/* ------------------------------------------------------------------ */
/* mailbox_collect                                                      */

TEST_F(lib, collect_any_reply)
{
	struct mbx_call call, reply;
	uint64_t id;
	int slot;

	slot = start_call(&self->mb, 9, "ping", 0, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, take_now(&self->mb, &call));
	ASSERT_EQ(0, answer(&self->mb, &call, -ENOENT, "pong!"));
	memset(&reply, 0xcc, sizeof(reply));
	ASSERT_EQ(0, mailbox_collect(&self->mb, NULL,
				     MBX_WAIT_NONBLOCK, 0, &reply));
	EXPECT_EQ(id, reply.call_id);
	EXPECT_EQ(0x5eed, reply.user_data);
	EXPECT_EQ(slot, reply.slot);
	EXPECT_EQ(9, reply.opcode);
	EXPECT_EQ(6, reply.len);
	EXPECT_EQ(-ENOENT, reply.status);
	EXPECT_EQ(0, reply.flags);
	EXPECT_EQ(1, reply.delivery);
	/* OWNED again: the reply plane is ours to read. */
	EXPECT_STREQ("pong!", (char *)mailbox_reply_plane(&self->mb, slot));
	EXPECT_EQ(0, mailbox_release(&self->mb, slot));
}

TEST_F(lib, collect_a_given_call)
{
	uint64_t id1, id2;
	struct mbx_call c1, c2, reply;
	int s1, s2;

	s1 = start_call(&self->mb, 1, "one", 0, &id1);
	s2 = start_call(&self->mb, 2, "two", 0, &id2);
	ASSERT_LE(0, s1);
	ASSERT_LE(0, s2);
	ASSERT_EQ(0, take_now(&self->mb, &c1));
	ASSERT_EQ(0, take_now(&self->mb, &c2));
	ASSERT_EQ(0, answer(&self->mb, &c1, 0, "r1"));
	ASSERT_EQ(0, answer(&self->mb, &c2, 0, "r2"));
	memset(&reply, 0xcc, sizeof(reply));
	ASSERT_EQ(0, mailbox_collect(&self->mb, &(struct mbx_call){ .slot = s2, .call_id = id2 }, MBX_WAIT_NONBLOCK, 0,
				     &reply));
	EXPECT_EQ(id2, reply.call_id);
	EXPECT_EQ(2, reply.opcode);
	EXPECT_STREQ("r2", (char *)mailbox_reply_plane(&self->mb, s2));
	ASSERT_EQ(0, mailbox_collect(&self->mb, NULL,
				     MBX_WAIT_NONBLOCK, 0, &reply));
	EXPECT_EQ(id1, reply.call_id);
}

static void *complete_later(void *arg)
{
	struct later *l = arg;
	struct mbx_call call;

	usleep(l->delay_ms * 1000);
	l->ret = mailbox_take(l->mb, MBX_WAIT_NONBLOCK, 0, &call);
	if (!l->ret)
		l->ret = mailbox_complete(l->mb, &(struct mbx_call){ .slot = call.slot, .call_id = call.call_id },
					  l->status, 0);
	return NULL;
}

TEST_F(lib, collect_waits_for_the_reply)
{
	struct mailbox callee;
	struct later l = { .mb = &callee, .delay_ms = 50, .status = -EIO };
	struct mbx_call reply;
	pthread_t thr;
	uint64_t id;
	int slot;

	ASSERT_EQ(0, open_again(_metadata, self->name, &callee,
				MBX_ACCESS_READ | MBX_ACCESS_WRITE));
	slot = start_call(&self->mb, 1, "wait", 0, &id);
	ASSERT_LE(0, slot);
	pthread_create(&thr, NULL, complete_later, &l);
	ASSERT_EQ(0, mailbox_collect(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }, MBX_WAIT_TIMEOUT,
				     mailbox_deadline(5 * SEC), &reply));
	pthread_join(thr, NULL);
	EXPECT_EQ(0, l.ret);
	EXPECT_EQ(-EIO, reply.status);
	EXPECT_EQ(0, mailbox_close(&callee));
}

TEST_F(lib, collect_unknown_flag)
{
	struct mbx_call reply;

	EXPECT_EQ(-EINVAL, mailbox_collect(&self->mb, NULL,
					   MBX_COLLECT_CALL << 1, 0, &reply));
}

TEST_F(lib, collect_slot_out_of_range)
{
	struct mbx_call reply;

	EXPECT_EQ(-EINVAL, mailbox_collect(&self->mb, &(struct mbx_call){ .slot = NSLOTS, .call_id = 1 },
					   MBX_WAIT_NONBLOCK, 0, &reply));
}

TEST_F(lib, collect_another_call_id)
{
	struct mbx_call reply;
	uint64_t id;
	int slot;

	slot = start_call(&self->mb, 1, "x", 0, &id);
	ASSERT_LE(0, slot);
	EXPECT_EQ(-ESTALE, mailbox_collect(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id + 1 },
					   MBX_WAIT_NONBLOCK, 0, &reply));
}

TEST_F(lib, collect_call_id_zero)
{
	struct mbx_call reply;

	EXPECT_EQ(-ESTALE, mailbox_collect(&self->mb, &(struct mbx_call){ .slot = 0, .call_id = 0 }, MBX_WAIT_NONBLOCK,
					   0, &reply));
}

TEST_F(lib, collect_the_call_of_a_live_caller)
{
	struct mbx_call reply;
	struct mailbox mb;
	uint64_t id;
	int slot;

	ASSERT_EQ(0, open_again(_metadata, self->name, &mb,
				MBX_ACCESS_READ | MBX_ACCESS_WRITE));
	slot = start_call(&self->mb, 1, "mine", 0, &id);
	ASSERT_LE(0, slot);
	EXPECT_EQ(-EBUSY, mailbox_collect(&mb, &(struct mbx_call){ .slot = slot, .call_id = id }, MBX_WAIT_NONBLOCK, 0,
					  &reply));
	EXPECT_EQ(0, mailbox_close(&mb));
}

TEST_F(lib, collect_twice)
{
	struct mbx_call call, reply;
	uint64_t id;
	int slot;

	slot = start_call(&self->mb, 1, "once", 0, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, take_now(&self->mb, &call));
	ASSERT_EQ(0, answer(&self->mb, &call, 0, ""));
	ASSERT_EQ(0, mailbox_collect(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }, MBX_WAIT_NONBLOCK, 0,
				     &reply));
	EXPECT_EQ(-EALREADY, mailbox_collect(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id },
					     MBX_WAIT_NONBLOCK, 0, &reply));
}

TEST_F(lib, collect_nothing_nonblock)
{
	struct mbx_call reply;

	EXPECT_EQ(-EAGAIN, mailbox_collect(&self->mb, NULL,
					   MBX_WAIT_NONBLOCK, 0, &reply));
}

TEST_F(lib, collect_a_pending_call_nonblock)
{
	struct mbx_call reply;
	uint64_t id;
	int slot;

	slot = start_call(&self->mb, 1, "not yet", 0, &id);
	ASSERT_LE(0, slot);
	EXPECT_EQ(-EAGAIN, mailbox_collect(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id },
					   MBX_WAIT_NONBLOCK, 0, &reply));
}

TEST_F(lib, collect_times_out)
{
	struct mbx_call reply;
	uint64_t deadline = mailbox_deadline(20 * MSEC);

	EXPECT_EQ(-ETIMEDOUT, mailbox_collect(&self->mb, NULL,
					      MBX_WAIT_TIMEOUT, deadline,
					      &reply));
	EXPECT_LE(deadline, now_ns());
}

TEST_F(lib, collect_interrupted)
{
	struct mbx_call reply;
	struct poke p;
	pthread_t thr;

	poke_me(&thr, &p, 0);
	EXPECT_EQ(-EINTR, mailbox_collect(&self->mb, NULL,
					  MBX_WAIT_TIMEOUT,
					  mailbox_deadline(5 * SEC), &reply));
	pthread_join(thr, NULL);
	EXPECT_EQ(1, signals_seen);
}

TEST_F(lib, collect_adopts_the_call_of_a_gone_caller)
{
	struct mbx_call call, reply;
	struct child_msg c;

	c = run_child(self->name, CHILD_CALLS, 0, 0, 0);
	ASSERT_EQ(0, c.ret);
	ASSERT_EQ(0, take_now(&self->mb, &call));
	EXPECT_EQ(c.call_id, call.call_id);
	ASSERT_EQ(0, answer(&self->mb, &call, 0, "for whom"));
	ASSERT_EQ(0, mailbox_collect(&self->mb, &(struct mbx_call){ .slot = c.slot, .call_id = c.call_id },
				     MBX_WAIT_NONBLOCK, 0, &reply));
	EXPECT_EQ(MBX_CALL_CALLER_GONE | MBX_CALL_ADOPTED, reply.flags);
	EXPECT_STREQ("for whom", (char *)mailbox_reply_plane(&self->mb,
							     c.slot));
}

/* ------------------------------------------------------------------ */
/* mailbox_submit_collect                                               */

TEST_F(lib, submit_collect_returns_the_reply_of_its_call)
{
	struct mailbox callee;
	struct later l = { .mb = &callee, .delay_ms = 50, .status = -EIO };
	uint64_t id = 0xcccccccccccccccc;
	struct mbx_call reply;
	struct mbx_slot_info info;
	pthread_t thr;

	ASSERT_EQ(0, open_again(_metadata, self->name, &callee,
				MBX_ACCESS_READ | MBX_ACCESS_WRITE));
	ASSERT_EQ(2, mailbox_acquire(&self->mb, 2, MBX_WAIT_NONBLOCK, 0, NULL));
	strcpy(mailbox_call_plane(&self->mb, 2), "both");
	pthread_create(&thr, NULL, complete_later, &l);
	memset(&reply, 0xcc, sizeof(reply));
	ASSERT_EQ(0, t_submit_collect(&self->mb, 2, 33, 5, 0xbeef, 0, 0,
					    &id, &reply));
	pthread_join(thr, NULL);
	EXPECT_EQ(0, l.ret);
	EXPECT_LT(0, id);
	EXPECT_NE(0xcccccccccccccccc, id);
	EXPECT_EQ(id, reply.call_id);
	EXPECT_EQ(0xbeef, reply.user_data);
	EXPECT_EQ(2, reply.slot);
	EXPECT_EQ(33, reply.opcode);
	EXPECT_EQ(0, reply.len);
	EXPECT_EQ(-EIO, reply.status);
	EXPECT_EQ(0, reply.flags);
	EXPECT_EQ(1, reply.delivery);
	/* OWNED by us again: the next call may be written in it. */
	ASSERT_EQ(1, mailbox_slot_info(&self->mb, 2, 1, &info));
	EXPECT_EQ(MBX_STATE_OWNED, info.state);
	EXPECT_EQ((uint32_t)getpid(), info.owner_pid);
	EXPECT_EQ(0, mailbox_release(&self->mb, 2));
	EXPECT_EQ(0, mailbox_close(&callee));
}

TEST_F(lib, submit_collect_returns_an_earlier_reply_first)
{
	uint64_t id1, id2 = 0xcccccccccccccccc;
	struct mbx_call call, reply;
	struct mbx_slot_info info[2];
	int s1, s2;

	s1 = start_call(&self->mb, 1, "first", 0, &id1);
	ASSERT_LE(0, s1);
	ASSERT_EQ(0, take_now(&self->mb, &call));
	ASSERT_EQ(0, answer(&self->mb, &call, 0, "first back"));
	s2 = mailbox_acquire(&self->mb, 0, MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK, 0,
			     NULL);
	ASSERT_LE(0, s2);
	ASSERT_NE(s1, s2);
	memset(&reply, 0xcc, sizeof(reply));
	ASSERT_EQ(0, t_submit_collect(&self->mb, s2, 2, 0, 7,
					    MBX_CALL_AT_MOST_ONCE |
					    MBX_WAIT_TIMEOUT,
					    mailbox_deadline(5 * SEC), &id2,
					    &reply));
	/* The answered call comes back; the new one is submitted. */
	EXPECT_EQ(id1, reply.call_id);
	EXPECT_EQ(0x5eed, reply.user_data);
	EXPECT_EQ(s1, reply.slot);
	EXPECT_EQ(1, reply.opcode);
	EXPECT_EQ(11, reply.len);
	EXPECT_EQ(0, reply.status);
	EXPECT_EQ(0, reply.flags);
	EXPECT_EQ(1, reply.delivery);
	EXPECT_STREQ("first back", (char *)mailbox_reply_plane(&self->mb, s1));
	EXPECT_LT(id1, id2);
	ASSERT_EQ(1, mailbox_slot_info(&self->mb, s1, 1, &info[0]));
	EXPECT_EQ(MBX_STATE_OWNED, info[0].state);
	ASSERT_EQ(1, mailbox_slot_info(&self->mb, s2, 1, &info[1]));
	EXPECT_EQ(MBX_STATE_PENDING, info[1].state);
	EXPECT_EQ(id2, info[1].call_id);
	EXPECT_EQ(2, info[1].opcode);
	EXPECT_EQ(7, info[1].user_data);
	EXPECT_EQ(MBX_CALL_AT_MOST_ONCE, info[1].flags);
}

TEST_F(lib, submit_collect_without_an_id_pointer)
{
	struct mbx_call call, reply;
	int slot;

	slot = start_call(&self->mb, 1, "x", 0, NULL);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, take_now(&self->mb, &call));
	ASSERT_EQ(0, answer(&self->mb, &call, 0, ""));
	ASSERT_EQ(3, mailbox_acquire(&self->mb, 3, MBX_WAIT_NONBLOCK, 0, NULL));
	memset(&reply, 0xcc, sizeof(reply));
	EXPECT_EQ(0, t_submit_collect(&self->mb, 3, 1, 0, 0, 0, 0, NULL,
					    &reply));
	EXPECT_EQ(call.call_id, reply.call_id);
}

TEST_F(lib, submit_collect_times_out_leaving_the_call_submitted)
{
	uint64_t deadline = mailbox_deadline(20 * MSEC);
	uint64_t id = 0xcccccccccccccccc;
	struct mbx_call call, reply;
	struct mbx_slot_info info;

	ASSERT_EQ(1, mailbox_acquire(&self->mb, 1, MBX_WAIT_NONBLOCK, 0, NULL));
	EXPECT_EQ(-ETIMEDOUT, t_submit_collect(&self->mb, 1, 4, 0, 0,
						     MBX_WAIT_TIMEOUT,
						     deadline, &id, &reply));
	EXPECT_LE(deadline, now_ns());
	ASSERT_EQ(1, mailbox_slot_info(&self->mb, 1, 1, &info));
	EXPECT_EQ(MBX_STATE_PENDING, info.state);
	EXPECT_EQ(info.call_id, id);
	/* Still ours to collect. */
	ASSERT_EQ(0, take_now(&self->mb, &call));
	EXPECT_EQ(id, call.call_id);
	ASSERT_EQ(0, answer(&self->mb, &call, 0, "late"));
	ASSERT_EQ(0, mailbox_collect(&self->mb, &(struct mbx_call){ .slot = 1, .call_id = id }, MBX_WAIT_NONBLOCK, 0,
				     &reply));
	EXPECT_EQ(id, reply.call_id);
}

/* A signal ends the wait, SA_RESTART or not; the call stays submitted. */
static void submit_collect_interrupted(struct __test_metadata *_metadata,
				       struct mailbox *mb, int restart)
{
	uint64_t id = 0xcccccccccccccccc;
	struct mbx_call call, reply;
	struct mbx_slot_info info;
	struct poke p;
	pthread_t thr;

	ASSERT_EQ(0, mailbox_acquire(mb, 0, MBX_WAIT_NONBLOCK, 0, NULL));
	poke_me(&thr, &p, restart);
	EXPECT_EQ(-EINTR, t_submit_collect(mb, 0, 5, 0, 0,
						 MBX_WAIT_TIMEOUT,
						 mailbox_deadline(5 * SEC),
						 &id, &reply));
	pthread_join(thr, NULL);
	EXPECT_EQ(1, signals_seen);
	ASSERT_EQ(1, mailbox_slot_info(mb, 0, 1, &info));
	EXPECT_EQ(MBX_STATE_PENDING, info.state);
	EXPECT_EQ(info.call_id, id);
	/* Submitted once: one call is pending, and it is collected. */
	ASSERT_EQ(0, take_now(mb, &call));
	EXPECT_EQ(id, call.call_id);
	EXPECT_EQ(-EAGAIN, take_now(mb, &reply));
	ASSERT_EQ(0, answer(mb, &call, 0, "after"));
	ASSERT_EQ(0, mailbox_collect(mb, &(struct mbx_call){ .slot = 0, .call_id = id }, MBX_WAIT_NONBLOCK, 0, &reply));
	EXPECT_EQ(id, reply.call_id);
}

TEST_F(lib, submit_collect_interrupted)
{
	submit_collect_interrupted(_metadata, &self->mb, 0);
}

TEST_F(lib, submit_collect_interrupted_with_sa_restart_is_not_restarted)
{
	submit_collect_interrupted(_metadata, &self->mb, 1);
}

/* A rejected call submits nothing: *call_id is 0 and the slot still ours. */
static void submit_collect_rejected(struct __test_metadata *_metadata,
				    struct mailbox *mb, uint32_t slot,
				    uint32_t len, uint32_t flags,
				    uint64_t timeout_ns, int err)
{
	uint64_t id = 0xcccccccccccccccc;
	struct mbx_slot_info info;
	struct mbx_call reply;

	memset(&reply, 0xcc, sizeof(reply));
	EXPECT_EQ(-err, t_submit_collect(mb, slot, 1, len, 0, flags,
					       timeout_ns, &id, &reply));
	EXPECT_EQ(0, id);
	EXPECT_EQ(0xcccccccccccccccc, reply.call_id);
	ASSERT_EQ(1, mailbox_slot_info(mb, 0, 1, &info));
	EXPECT_EQ(MBX_STATE_OWNED, info.state);
	EXPECT_EQ(0, info.call_id);
}

TEST_F(lib, submit_collect_unknown_flag)
{
	ASSERT_EQ(0, mailbox_acquire(&self->mb, 0, MBX_WAIT_NONBLOCK, 0, NULL));
	submit_collect_rejected(_metadata, &self->mb, 0, 0,
				MBX_WAIT_TIMEOUT << 1, 0, EINVAL);
}

TEST_F(lib, submit_collect_both_wait_flags)
{
	struct mbx_call call = { .opcode = 1 }, reply;
	struct mbx_slot_info info;

	memset(&reply, 0xcc, sizeof(reply));
	ASSERT_EQ(0, mailbox_acquire(&self->mb, 0, MBX_WAIT_NONBLOCK, 0, NULL));
	EXPECT_EQ(-EINVAL, mailbox_submit_collect(&self->mb, &call,
						  MBX_WAIT_TIMEOUT |
						  MBX_WAIT_NONBLOCK,
						  mailbox_deadline(SEC),
						  &reply));
	EXPECT_EQ(0, call.call_id);
	EXPECT_EQ(0xcccccccccccccccc, reply.call_id);
	ASSERT_EQ(1, mailbox_slot_info(&self->mb, 0, 1, &info));
	EXPECT_EQ(MBX_STATE_OWNED, info.state);
}

/* Without waiting: the call is submitted, then nothing is there yet. */
TEST_F(lib, submit_collect_nonblock_submits_then_eagain)
{
	struct mbx_call call = { .opcode = 4, .len = 2, .user_data = 9 };
	struct mbx_call reply, taken;

	memset(&reply, 0xcc, sizeof(reply));
	ASSERT_EQ(0, mailbox_acquire(&self->mb, 0, MBX_WAIT_NONBLOCK, 0, NULL));
	EXPECT_EQ(-EAGAIN, mailbox_submit_collect(&self->mb, &call,
						  MBX_WAIT_NONBLOCK, 0,
						  &reply));
	EXPECT_NE(0, call.call_id);
	EXPECT_EQ(0xcccccccccccccccc, reply.call_id);
	ASSERT_EQ(0, take_now(&self->mb, &taken));
	EXPECT_EQ(call.call_id, taken.call_id);
	EXPECT_EQ(9, taken.user_data);
}

/* The reply may land in the struct that described the call. */
TEST_F(lib, submit_collect_into_the_same_struct)
{
	struct mbx_call call = { .opcode = 4, .len = 2, .user_data = 9 };
	struct mbx_call taken;
	uint64_t first;

	ASSERT_EQ(0, mailbox_acquire(&self->mb, 0, MBX_WAIT_NONBLOCK, 0, NULL));
	EXPECT_EQ(-EAGAIN, mailbox_submit_collect(&self->mb, &call,
						  MBX_WAIT_NONBLOCK, 0, &call));
	first = call.call_id;
	ASSERT_EQ(0, take_now(&self->mb, &taken));
	ASSERT_EQ(0, answer(&self->mb, &taken, 0, "ok"));
	call.slot = 1;
	ASSERT_EQ(1, mailbox_acquire(&self->mb, 1, MBX_WAIT_NONBLOCK, 0, NULL));
	EXPECT_EQ(0, mailbox_submit_collect(&self->mb, &call, 0, 0, &call));
	EXPECT_EQ(first, call.call_id);
	EXPECT_EQ(0, call.slot);
	EXPECT_EQ(3, call.len);
}

/* complete_take: answer and take into one struct, in a loop. */
TEST_F(lib, complete_take_into_the_same_struct)
{
	struct mbx_call call = { 0 };
	uint64_t id1, id2;

	ASSERT_LE(0, start_call(&self->mb, 1, "a", 0, &id1));
	ASSERT_LE(0, start_call(&self->mb, 1, "b", 0, &id2));
	EXPECT_EQ(0, mailbox_complete_take(&self->mb, &call, 0, 0,
					   MBX_WAIT_NONBLOCK, 0, &call));
	EXPECT_EQ(id1, call.call_id);
	EXPECT_EQ(MBX_TAKEN_DONE, mailbox_complete_take(&self->mb, &call, 0, 1,
							MBX_WAIT_NONBLOCK, 0,
							&call));
	EXPECT_EQ(id2, call.call_id);
	/* Nothing left: answered all the same, and said so in call_id. */
	EXPECT_EQ(-EAGAIN, mailbox_complete_take(&self->mb, &call, 0, 1,
						 MBX_WAIT_NONBLOCK, 0, &call));
	EXPECT_EQ(0, call.call_id);
	EXPECT_EQ(-EAGAIN, mailbox_complete_take(&self->mb, &call, 0, 1,
						 MBX_WAIT_NONBLOCK, 0, &call));
}

TEST_F(lib, acquire_call_flag_refused)
{
	EXPECT_EQ(-EINVAL, mailbox_acquire(&self->mb, 0, MBX_ACQUIRE_CALL, 0,
					   NULL));
}

TEST_F(lib, collect_call_flag_refused)
{
	struct mbx_call reply;

	EXPECT_EQ(-EINVAL, mailbox_collect(&self->mb, NULL, MBX_COLLECT_CALL |
					   MBX_WAIT_NONBLOCK, 0, &reply));
}

TEST_F(lib, deadline_is_monotonic_now_plus)
{
	struct timespec ts;
	uint64_t a, b, now;

	a = mailbox_deadline(0);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * SEC + ts.tv_nsec;
	b = mailbox_deadline(5 * SEC);
	EXPECT_LE(a, now);
	EXPECT_LE(now + 5 * SEC, b);
	EXPECT_GT(now + 6 * SEC, b);
}

/*
 * mailbox_deadline() is a function with external linkage, not a static
 * inline of the header: this redeclaration does not compile otherwise.
 */
extern uint64_t mailbox_deadline(uint64_t rel_ns);

TEST_F(lib, deadline_is_an_external_function)
{
	uint64_t (*fn)(uint64_t) = mailbox_deadline;
	uint64_t a, b;

	a = fn(0);
	b = fn(0);
	EXPECT_LE(a, b);
	EXPECT_LT(0, a);
}

/*
 * The usual callee loop: one struct is both the call answered and the next
 * one taken, until nothing is left. Each call is answered exactly once.
 */
TEST_F(lib, complete_take_loop_in_one_struct)
{
	struct mbx_call c = { 0 }, reply;
	uint64_t ids[NSLOTS];
	int slots[NSLOTS], i, n = 0, ret;

	for (i = 0; i < NSLOTS; i++) {
		slots[i] = start_call(&self->mb, 10 + i, "loop", 0, &ids[i]);
		ASSERT_LE(0, slots[i]);
	}
	for (;;) {
		ret = mailbox_complete_take(&self->mb, &c, -n, 0,
					    MBX_WAIT_NONBLOCK, 0, &c);
		if (ret < 0)
			break;
		/* The first round only takes; every later one answers. */
		EXPECT_EQ(n ? MBX_TAKEN_DONE : 0, ret);
		ASSERT_GT(NSLOTS, n);
		EXPECT_EQ(ids[n], c.call_id);
		EXPECT_EQ(10 + n, c.opcode);
		n++;
	}
	EXPECT_EQ(-EAGAIN, ret);
	EXPECT_EQ(NSLOTS, n);
	/* The last call was answered before the wait failed. */
	EXPECT_EQ(0, c.call_id);
	for (i = 0; i < NSLOTS; i++) {
		memset(&reply, 0xcc, sizeof(reply));
		ASSERT_EQ(0, mailbox_collect(&self->mb,
				&(struct mbx_call){ .slot = slots[i],
						    .call_id = ids[i] },
				MBX_WAIT_NONBLOCK, 0, &reply));
		EXPECT_EQ(ids[i], reply.call_id);
		/* Answered with the status of the round that took the next. */
		EXPECT_EQ(-(i + 1), reply.status);
	}
	EXPECT_EQ(-EAGAIN, mailbox_collect(&self->mb, NULL, MBX_WAIT_NONBLOCK,
					   0, &reply));
}

/*
 * Separate done and next: done->call_id is 0 once answered even though
 * the wait then fails, next is left alone, and a retry only takes.
 */
TEST_F(lib, complete_take_zeroes_done_when_the_wait_fails)
{
	struct mbx_call done, next, reply;
	struct mbx_slot_info info;
	uint64_t id;
	int slot;

	slot = start_call(&self->mb, 1, "once", 0, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, take_now(&self->mb, &done));
	ASSERT_EQ(id, done.call_id);
	memset(&next, 0xcc, sizeof(next));
	EXPECT_EQ(-EAGAIN, mailbox_complete_take(&self->mb, &done, -EIO, 0,
						 MBX_WAIT_NONBLOCK, 0, &next));
	EXPECT_EQ(0, done.call_id);
	EXPECT_EQ((uint32_t)slot, done.slot);
	EXPECT_EQ(0xcccccccccccccccc, next.call_id);
	ASSERT_EQ(1, mailbox_slot_info(&self->mb, slot, 1, &info));
	EXPECT_EQ(MBX_STATE_REPLIED, info.state);
	/* The retry answers nothing: only the take, which finds nothing. */
	EXPECT_EQ(-EAGAIN, mailbox_complete_take(&self->mb, &done, -EIO, 0,
						 MBX_WAIT_NONBLOCK, 0, &next));
	EXPECT_EQ(0, done.call_id);
	ASSERT_EQ(0, mailbox_collect(&self->mb,
				     &(struct mbx_call){ .slot = slot,
							 .call_id = id },
				     MBX_WAIT_NONBLOCK, 0, &reply));
	EXPECT_EQ(-EIO, reply.status);
}

/* collect of one call into the struct that names it. */
TEST_F(lib, collect_into_the_struct_that_names_the_call)
{
	struct mbx_call c, taken;
	uint64_t id;
	int slot;

	slot = start_call(&self->mb, 7, "which", 0, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, take_now(&self->mb, &taken));
	ASSERT_EQ(0, answer(&self->mb, &taken, -ENOENT, "it"));
	memset(&c, 0xcc, sizeof(c));
	c.slot = slot;
	c.call_id = id;
	ASSERT_EQ(0, mailbox_collect(&self->mb, &c, MBX_WAIT_NONBLOCK, 0, &c));
	EXPECT_EQ((uint32_t)slot, c.slot);
	EXPECT_EQ(id, c.call_id);
	EXPECT_EQ(7, c.opcode);
	EXPECT_EQ(-ENOENT, c.status);
	EXPECT_EQ(3, c.len);
	EXPECT_EQ(0x5eed, c.user_data);
	EXPECT_STREQ("it", (char *)mailbox_reply_plane(&self->mb, slot));
}

/* Refused by the library: the pending call is not taken back. */
TEST_F(lib, acquire_call_flag_refused_on_a_pending_call)
{
	struct mbx_slot_info info;
	uint64_t id;
	int slot;

	slot = start_call(&self->mb, 1, "stay", 0, &id);
	ASSERT_LE(0, slot);
	EXPECT_EQ(-EINVAL, mailbox_acquire(&self->mb, slot, MBX_ACQUIRE_CALL,
					   0, NULL));
	ASSERT_EQ(1, mailbox_slot_info(&self->mb, slot, 1, &info));
	EXPECT_EQ(MBX_STATE_PENDING, info.state);
	EXPECT_EQ(id, info.call_id);
}

/* MBX_COLLECT_CALL is the library's to set, with a call named too. */
TEST_F(lib, collect_call_flag_refused_with_a_call)
{
	struct mbx_call taken, reply;
	uint64_t id;
	int slot;

	slot = start_call(&self->mb, 1, "named", 0, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, take_now(&self->mb, &taken));
	ASSERT_EQ(0, answer(&self->mb, &taken, 0, "r"));
	memset(&reply, 0xcc, sizeof(reply));
	EXPECT_EQ(-EINVAL, mailbox_collect(&self->mb,
				&(struct mbx_call){ .slot = slot,
						    .call_id = id },
				MBX_COLLECT_CALL | MBX_WAIT_NONBLOCK, 0,
				&reply));
	EXPECT_EQ(0xcccccccccccccccc, reply.call_id);
	/* Nothing was collected. */
	ASSERT_EQ(0, mailbox_collect(&self->mb, NULL, MBX_WAIT_NONBLOCK, 0,
				     &reply));
	EXPECT_EQ(id, reply.call_id);
}

/* submit_collect writes call_id when the wait times out, too. */
TEST_F(lib, submit_collect_timed_out_writes_the_call_id)
{
	struct mbx_call call = { .slot = 2, .opcode = 5 }, reply, taken;

	memset(&reply, 0xcc, sizeof(reply));
	ASSERT_EQ(2, mailbox_acquire(&self->mb, 2, MBX_WAIT_NONBLOCK, 0, NULL));
	EXPECT_EQ(-ETIMEDOUT, mailbox_submit_collect(&self->mb, &call,
						     MBX_WAIT_TIMEOUT,
						     mailbox_deadline(MSEC),
						     &reply));
	EXPECT_NE(0, call.call_id);
	EXPECT_EQ(0xcccccccccccccccc, reply.call_id);
	ASSERT_EQ(0, take_now(&self->mb, &taken));
	EXPECT_EQ(call.call_id, taken.call_id);
}

TEST_F(lib, submit_collect_timeout_without_its_flag)
{
	ASSERT_EQ(0, mailbox_acquire(&self->mb, 0, MBX_WAIT_NONBLOCK, 0, NULL));
	submit_collect_rejected(_metadata, &self->mb, 0, 0, 0,
				mailbox_deadline(SEC), EINVAL);
}

TEST_F(lib, submit_collect_slot_out_of_range)
{
	ASSERT_EQ(0, mailbox_acquire(&self->mb, 0, MBX_WAIT_NONBLOCK, 0, NULL));
	submit_collect_rejected(_metadata, &self->mb, NSLOTS, 0, 0, 0, EINVAL);
}

TEST_F(lib, submit_collect_the_whole_slot)
{
	struct mbx_call call, reply;
	uint64_t id;

	ASSERT_EQ(0, mailbox_acquire(&self->mb, 0, MBX_WAIT_NONBLOCK, 0, NULL));
	EXPECT_EQ(-ETIMEDOUT, t_submit_collect(&self->mb, 0, 1, SLOT_SIZE,
						     0, MBX_WAIT_TIMEOUT,
						     mailbox_deadline(MSEC),
						     &id, &reply));
	ASSERT_EQ(0, take_now(&self->mb, &call));
	EXPECT_EQ(id, call.call_id);
	EXPECT_EQ(SLOT_SIZE, call.len);
}

TEST_F(lib, submit_collect_beyond_the_slot)
{
	ASSERT_EQ(0, mailbox_acquire(&self->mb, 0, MBX_WAIT_NONBLOCK, 0, NULL));
	submit_collect_rejected(_metadata, &self->mb, 0, SLOT_SIZE + 1, 0, 0,
				EMSGSIZE);
}

TEST_F(lib, submit_collect_a_slot_not_mine)
{
	uint64_t id = 0xcccccccccccccccc;
	struct mbx_call reply;

	EXPECT_EQ(-EPERM, t_submit_collect(&self->mb, 0, 1, 0, 0, 0, 0,
						 &id, &reply));
	EXPECT_EQ(0, id);
}

TEST_F(lib, submit_collect_read_only)
{
	uint64_t id = 0xcccccccccccccccc;
	struct mbx_call reply;
	struct mailbox mb;

	ASSERT_EQ(0, open_again(_metadata, self->name, &mb, MBX_ACCESS_READ));
	EXPECT_EQ(-EBADF, t_submit_collect(&mb, 0, 1, 0, 0, 0, 0, &id,
						 &reply));
	EXPECT_EQ(0, id);
	EXPECT_EQ(0, mailbox_close(&mb));
}

/* ------------------------------------------------------------------ */
/* mailbox_release                                                      */

TEST_F(lib, release_an_owned_slot)
{
	struct mbx_slot_info info;

	ASSERT_EQ(1, mailbox_acquire(&self->mb, 1, MBX_WAIT_NONBLOCK, 0, NULL));
	ASSERT_EQ(0, mailbox_release(&self->mb, 1));
	ASSERT_EQ(1, mailbox_slot_info(&self->mb, 1, 1, &info));
	EXPECT_EQ(MBX_STATE_FREE, info.state);
}

TEST_F(lib, release_slot_out_of_range)
{
	EXPECT_EQ(-EINVAL, mailbox_release(&self->mb, NSLOTS));
}

TEST_F(lib, release_a_slot_not_mine)
{
	EXPECT_EQ(-EPERM, mailbox_release(&self->mb, 0));
}

/* ------------------------------------------------------------------ */
/* mailbox_take                                                         */

TEST_F(lib, take_the_oldest_call)
{
	struct mbx_call call;
	uint64_t id1, id2;
	int s1, s2;

	s1 = start_call(&self->mb, 11, "first", MBX_CALL_AT_MOST_ONCE, &id1);
	s2 = start_call(&self->mb, 12, "second", 0, &id2);
	ASSERT_LE(0, s1);
	ASSERT_LE(0, s2);
	memset(&call, 0xcc, sizeof(call));
	ASSERT_EQ(0, take_now(&self->mb, &call));
	EXPECT_EQ(id1, call.call_id);
	EXPECT_EQ(0x5eed, call.user_data);
	EXPECT_EQ(s1, call.slot);
	EXPECT_EQ(11, call.opcode);
	EXPECT_EQ(6, call.len);
	EXPECT_EQ(0, call.status);
	EXPECT_EQ(MBX_CALL_AT_MOST_ONCE, call.flags);
	EXPECT_EQ(1, call.delivery);
	/* TAKEN: the call plane is ours to read. */
	EXPECT_STREQ("first", (char *)mailbox_call_plane(&self->mb, s1));
	ASSERT_EQ(0, take_now(&self->mb, &call));
	EXPECT_EQ(id2, call.call_id);
}

static void *call_later(void *arg)
{
	struct later *l = arg;

	usleep(l->delay_ms * 1000);
	l->ret = start_call(l->mb, 5, "late", 0, &l->call_id);
	return NULL;
}

TEST_F(lib, take_waits_for_a_call)
{
	struct mailbox caller;
	struct later l = { .mb = &caller, .delay_ms = 50 };
	struct mbx_call call;
	pthread_t thr;

	ASSERT_EQ(0, open_again(_metadata, self->name, &caller,
				MBX_ACCESS_READ | MBX_ACCESS_WRITE));
	pthread_create(&thr, NULL, call_later, &l);
	ASSERT_EQ(0, mailbox_take(&self->mb, MBX_WAIT_TIMEOUT,
				  mailbox_deadline(5 * SEC), &call));
	pthread_join(thr, NULL);
	EXPECT_LE(0, l.ret);
	EXPECT_EQ(l.call_id, call.call_id);
	EXPECT_EQ(0, mailbox_close(&caller));
}

TEST_F(lib, take_unknown_flag)
{
	struct mbx_call call;

	EXPECT_EQ(-EINVAL, mailbox_take(&self->mb, MBX_TAKE_COMPLETE << 1, 0,
					&call));
}

TEST_F(lib, take_read_only)
{
	struct mbx_call call;
	struct mailbox mb;

	ASSERT_EQ(0, open_again(_metadata, self->name, &mb, MBX_ACCESS_READ));
	EXPECT_EQ(-EBADF, take_now(&mb, &call));
	EXPECT_EQ(0, mailbox_close(&mb));
}

TEST_F(lib, take_nothing_nonblock)
{
	struct mbx_call call;

	EXPECT_EQ(-EAGAIN, take_now(&self->mb, &call));
}

TEST_F(lib, take_times_out)
{
	struct mbx_call call;
	uint64_t deadline = mailbox_deadline(20 * MSEC);

	EXPECT_EQ(-ETIMEDOUT, mailbox_take(&self->mb, MBX_WAIT_TIMEOUT,
					   deadline, &call));
	EXPECT_LE(deadline, now_ns());
}

TEST_F(lib, take_interrupted)
{
	struct mbx_call call;
	struct poke p;
	pthread_t thr;

	poke_me(&thr, &p, 0);
	EXPECT_EQ(-EINTR, mailbox_take(&self->mb, MBX_WAIT_TIMEOUT,
				       mailbox_deadline(5 * SEC), &call));
	pthread_join(thr, NULL);
	EXPECT_EQ(1, signals_seen);
}

TEST_F(lib, take_a_redelivered_call)
{
	struct mbx_call call;
	struct mbx_event ev;
	struct child_msg c;
	unsigned char *p;
	uint64_t id;
	int slot, i;

	slot = start_call(&self->mb, 3, "again", 0, &id);
	ASSERT_LE(0, slot);
	c = run_child(self->name, CHILD_TAKES, 0, 0, 0);
	ASSERT_EQ(0, c.ret);
	ASSERT_EQ(id, c.call_id);
	ASSERT_EQ(0, take_now(&self->mb, &call));
	EXPECT_EQ(id, call.call_id);
	EXPECT_EQ(MBX_CALL_REDELIVERED, call.flags);
	EXPECT_EQ(2, call.delivery);
	EXPECT_STREQ("again", (char *)mailbox_call_plane(&self->mb, slot));
	/* What the dead callee half wrote is gone. */
	p = mailbox_reply_plane(&self->mb, slot);
	for (i = 0; i < SLOT_SIZE; i++)
		ASSERT_EQ(0, p[i]);
	memset(&ev, 0xcc, sizeof(ev));
	ASSERT_EQ(1, mailbox_events(&self->mb, &ev, 1));
	EXPECT_EQ(MBX_EVENT_CALLEE_DIED, ev.type);
	EXPECT_EQ(slot, ev.slot);
	EXPECT_EQ(id, ev.call_id);
	EXPECT_EQ(0, ev.status);
	EXPECT_EQ(0, ev.__reserved);
}

TEST_F(lib, take_at_most_once_fails_when_the_callee_dies)
{
	struct mbx_call reply;
	struct mbx_event ev;
	struct child_msg c;
	uint64_t id;
	int slot;

	slot = start_call(&self->mb, 3, "once", MBX_CALL_AT_MOST_ONCE, &id);
	ASSERT_LE(0, slot);
	c = run_child(self->name, CHILD_TAKES, 0, 0, 0);
	ASSERT_EQ(0, c.ret);
	ASSERT_EQ(0, mailbox_collect(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }, MBX_WAIT_NONBLOCK, 0,
				     &reply));
	EXPECT_EQ(-EOWNERDEAD, reply.status);
	ASSERT_EQ(1, mailbox_events(&self->mb, &ev, 1));
	EXPECT_EQ(MBX_EVENT_CALLEE_DIED, ev.type);
	EXPECT_EQ(-EOWNERDEAD, ev.status);
}

/* ------------------------------------------------------------------ */
/* mailbox_complete                                                     */

TEST_F(lib, complete_answers_the_call)
{
	struct mbx_call call;
	struct mbx_slot_info info;
	uint64_t id;
	int slot;

	slot = start_call(&self->mb, 1, "q", 0, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, take_now(&self->mb, &call));
	ASSERT_EQ(0, mailbox_complete(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }, -MAX_ERRNO_TEST,
				      SLOT_SIZE));
	ASSERT_EQ(1, mailbox_slot_info(&self->mb, slot, 1, &info));
	EXPECT_EQ(MBX_STATE_REPLIED, info.state);
	EXPECT_EQ(-MAX_ERRNO_TEST, info.status);
	EXPECT_EQ(SLOT_SIZE, info.reply_len);
}

TEST_F(lib, complete_slot_out_of_range)
{
	EXPECT_EQ(-EINVAL, mailbox_complete(&self->mb, &(struct mbx_call){ .slot = NSLOTS, .call_id = 1 }, 0, 0));
}

TEST_F(lib, complete_beyond_the_slot)
{
	struct mbx_call call;
	uint64_t id;

	ASSERT_LE(0, start_call(&self->mb, 1, "q", 0, &id));
	ASSERT_EQ(0, take_now(&self->mb, &call));
	EXPECT_EQ(-EMSGSIZE, mailbox_complete(&self->mb, &(struct mbx_call){ .slot = call.slot, .call_id = id }, 0,
					      SLOT_SIZE + 1));
}

TEST_F(lib, complete_positive_status)
{
	struct mbx_call call;
	uint64_t id;

	ASSERT_LE(0, start_call(&self->mb, 1, "q", 0, &id));
	ASSERT_EQ(0, take_now(&self->mb, &call));
	EXPECT_EQ(-EINVAL, mailbox_complete(&self->mb, &(struct mbx_call){ .slot = call.slot, .call_id = id }, 1, 0));
}

TEST_F(lib, complete_status_below_the_errno_range)
{
	struct mbx_call call;
	uint64_t id;

	ASSERT_LE(0, start_call(&self->mb, 1, "q", 0, &id));
	ASSERT_EQ(0, take_now(&self->mb, &call));
	EXPECT_EQ(-EINVAL, mailbox_complete(&self->mb, &(struct mbx_call){ .slot = call.slot, .call_id = id },
					    -MAX_ERRNO_TEST - 1, 0));
}

TEST_F(lib, complete_another_call_id)
{
	struct mbx_call call;
	uint64_t id;

	ASSERT_LE(0, start_call(&self->mb, 1, "q", 0, &id));
	ASSERT_EQ(0, take_now(&self->mb, &call));
	EXPECT_EQ(-ESTALE, mailbox_complete(&self->mb, &(struct mbx_call){ .slot = call.slot, .call_id = id + 1 }, 0,
					    0));
}

TEST_F(lib, complete_a_call_not_taken)
{
	uint64_t id;
	int slot;

	slot = start_call(&self->mb, 1, "q", 0, &id);
	ASSERT_LE(0, slot);
	EXPECT_EQ(-EPERM, mailbox_complete(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }, 0, 0));
}

TEST_F(lib, complete_a_call_taken_by_another)
{
	struct mbx_call call;
	struct mailbox mb;
	uint64_t id;

	ASSERT_EQ(0, open_again(_metadata, self->name, &mb,
				MBX_ACCESS_READ | MBX_ACCESS_WRITE));
	ASSERT_LE(0, start_call(&self->mb, 1, "q", 0, &id));
	ASSERT_EQ(0, take_now(&mb, &call));
	EXPECT_EQ(-EPERM, mailbox_complete(&self->mb, &(struct mbx_call){ .slot = call.slot, .call_id = id }, 0, 0));
	EXPECT_EQ(0, mailbox_close(&mb));
}

TEST_F(lib, complete_read_only)
{
	struct mailbox mb;

	ASSERT_EQ(0, open_again(_metadata, self->name, &mb, MBX_ACCESS_READ));
	EXPECT_EQ(-EBADF, mailbox_complete(&mb, &(struct mbx_call){ .slot = 0, .call_id = 1 }, 0, 0));
	EXPECT_EQ(0, mailbox_close(&mb));
}

TEST_F(lib, complete_a_cancelled_call)
{
	struct mbx_call call, reply;
	uint64_t id;
	int slot;

	slot = start_call(&self->mb, 1, "q", 0, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, take_now(&self->mb, &call));
	ASSERT_EQ(MBX_STATE_TAKEN, mailbox_cancel(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }));
	EXPECT_EQ(-ECANCELED, mailbox_complete(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }, 0, 3));
	/* Answered all the same, as cancelled. */
	ASSERT_EQ(0, mailbox_collect(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }, MBX_WAIT_NONBLOCK, 0,
				     &reply));
	EXPECT_EQ(-ECANCELED, reply.status);
	EXPECT_EQ(MBX_CALL_CANCEL_REQ, reply.flags & MBX_CALL_CANCEL_REQ);
}

/* ------------------------------------------------------------------ */
/* mailbox_complete_take                                                */

TEST_F(lib, complete_take_answers_and_takes_the_next)
{
	struct mbx_call call, reply;
	uint32_t out_flags = 0xcccccccc;
	uint64_t id1, id2;
	int s1, s2;

	s1 = start_call(&self->mb, 1, "a", 0, &id1);
	s2 = start_call(&self->mb, 2, "b", 0, &id2);
	ASSERT_LE(0, s1);
	ASSERT_LE(0, s2);
	ASSERT_EQ(0, take_now(&self->mb, &call));
	ASSERT_EQ(id1, call.call_id);
	strcpy(mailbox_reply_plane(&self->mb, s1), "A");
	memset(&call, 0xcc, sizeof(call));
	ASSERT_EQ(0, t_complete_take(&self->mb, s1, id1, 0, 2,
					   MBX_WAIT_NONBLOCK, 0, &call,
					   &out_flags));
	EXPECT_EQ(MBX_TAKEN_DONE, out_flags);
	EXPECT_EQ(id2, call.call_id);
	EXPECT_EQ(s2, call.slot);
	EXPECT_EQ(2, call.opcode);
	ASSERT_EQ(0, mailbox_collect(&self->mb, &(struct mbx_call){ .slot = s1, .call_id = id1 }, MBX_WAIT_NONBLOCK, 0,
				     &reply));
	EXPECT_EQ(2, reply.len);
	EXPECT_STREQ("A", (char *)mailbox_reply_plane(&self->mb, s1));
}

TEST_F(lib, complete_take_answers_even_when_nothing_follows)
{
	struct mbx_call call, reply;
	uint32_t out_flags = 0xcccccccc;
	uint64_t id;
	int slot;

	slot = start_call(&self->mb, 1, "a", 0, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, take_now(&self->mb, &call));
	EXPECT_EQ(-EAGAIN, t_complete_take(&self->mb, slot, id, -EIO, 0,
						 MBX_WAIT_NONBLOCK, 0, &call,
						 &out_flags));
	EXPECT_EQ(MBX_TAKEN_DONE, out_flags);
	ASSERT_EQ(0, mailbox_collect(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }, MBX_WAIT_NONBLOCK, 0,
				     &reply));
	EXPECT_EQ(-EIO, reply.status);
}

TEST_F(lib, complete_take_times_out_after_answering)
{
	struct mbx_call call;
	uint32_t out_flags = 0xcccccccc;
	uint64_t id;

	ASSERT_LE(0, start_call(&self->mb, 1, "a", 0, &id));
	ASSERT_EQ(0, take_now(&self->mb, &call));
	EXPECT_EQ(-ETIMEDOUT, t_complete_take(&self->mb, call.slot, id,
						    0, 0, MBX_WAIT_TIMEOUT,
						    mailbox_deadline(20 * MSEC),
						    &call, &out_flags));
	EXPECT_EQ(MBX_TAKEN_DONE, out_flags);
}

TEST_F(lib, complete_take_interrupted_after_answering)
{
	struct mbx_call call;
	uint32_t out_flags = 0xcccccccc;
	struct poke p;
	pthread_t thr;
	uint64_t id;

	ASSERT_LE(0, start_call(&self->mb, 1, "a", 0, &id));
	ASSERT_EQ(0, take_now(&self->mb, &call));
	poke_me(&thr, &p, 0);
	EXPECT_EQ(-EINTR, t_complete_take(&self->mb, call.slot, id, 0, 0,
						MBX_WAIT_TIMEOUT,
						mailbox_deadline(5 * SEC),
						&call, &out_flags));
	pthread_join(thr, NULL);
	EXPECT_EQ(MBX_TAKEN_DONE, out_flags);
	EXPECT_EQ(1, signals_seen);
}

TEST_F(lib, complete_take_of_a_cancelled_call)
{
	struct mbx_call call;
	uint32_t out_flags = 0xcccccccc;
	uint64_t id1, id2;
	int s1;

	s1 = start_call(&self->mb, 1, "a", 0, &id1);
	ASSERT_LE(0, s1);
	ASSERT_LE(0, start_call(&self->mb, 2, "b", 0, &id2));
	ASSERT_EQ(0, take_now(&self->mb, &call));
	ASSERT_EQ(MBX_STATE_TAKEN, mailbox_cancel(&self->mb, &(struct mbx_call){ .slot = s1, .call_id = id1 }));
	ASSERT_EQ(0, t_complete_take(&self->mb, s1, id1, 0, 0,
					   MBX_WAIT_NONBLOCK, 0, &call,
					   &out_flags));
	EXPECT_EQ(MBX_TAKEN_DONE | MBX_TAKEN_DONE_CANCELLED, out_flags);
	EXPECT_EQ(id2, call.call_id);
}

TEST_F(lib, complete_take_without_out_flags)
{
	struct mbx_call call;
	uint64_t id1, id2;

	ASSERT_LE(0, start_call(&self->mb, 1, "a", 0, &id1));
	ASSERT_LE(0, start_call(&self->mb, 2, "b", 0, &id2));
	ASSERT_EQ(0, take_now(&self->mb, &call));
	ASSERT_EQ(0, t_complete_take(&self->mb, call.slot, id1, 0, 0,
					   MBX_WAIT_NONBLOCK, 0, &call, NULL));
	EXPECT_EQ(id2, call.call_id);
}

TEST_F(lib, complete_take_of_call_id_zero_only_takes)
{
	struct mbx_call call;
	uint32_t out_flags = 0xcccccccc;
	uint64_t id;

	ASSERT_LE(0, start_call(&self->mb, 1, "a", 0, &id));
	ASSERT_EQ(0, t_complete_take(&self->mb, 0, 0, 0, 0,
					   MBX_WAIT_NONBLOCK, 0, &call,
					   &out_flags));
	EXPECT_EQ(0, out_flags);
	EXPECT_EQ(id, call.call_id);
}

TEST_F(lib, complete_take_of_another_call_takes_nothing)
{
	struct mbx_call call;
	struct mbx_slot_info info;
	uint32_t out_flags = 0xcccccccc;
	uint64_t id1, id2;
	int s2;

	ASSERT_LE(0, start_call(&self->mb, 1, "a", 0, &id1));
	s2 = start_call(&self->mb, 2, "b", 0, &id2);
	ASSERT_LE(0, s2);
	ASSERT_EQ(0, take_now(&self->mb, &call));
	EXPECT_EQ(-ESTALE, t_complete_take(&self->mb, call.slot, id1 + 100,
						 0, 0, MBX_WAIT_NONBLOCK, 0,
						 &call, &out_flags));
	EXPECT_EQ(0, out_flags);
	ASSERT_EQ(1, mailbox_slot_info(&self->mb, s2, 1, &info));
	EXPECT_EQ(MBX_STATE_PENDING, info.state);
}

TEST_F(lib, complete_take_slot_out_of_range)
{
	struct mbx_call call;
	uint32_t out_flags = 0xcccccccc;

	EXPECT_EQ(-EINVAL, t_complete_take(&self->mb, NSLOTS, 1, 0, 0,
						 MBX_WAIT_NONBLOCK, 0, &call,
						 &out_flags));
	EXPECT_EQ(0, out_flags);
}

TEST_F(lib, complete_take_beyond_the_slot)
{
	struct mbx_call call;
	uint32_t out_flags = 0xcccccccc;
	uint64_t id;

	ASSERT_LE(0, start_call(&self->mb, 1, "a", 0, &id));
	ASSERT_EQ(0, take_now(&self->mb, &call));
	EXPECT_EQ(-EMSGSIZE, t_complete_take(&self->mb, call.slot, id, 0,
						   SLOT_SIZE + 1,
						   MBX_WAIT_NONBLOCK, 0, &call,
						   &out_flags));
	EXPECT_EQ(0, out_flags);
}

TEST_F(lib, complete_take_positive_status)
{
	struct mbx_call call;
	uint32_t out_flags = 0xcccccccc;
	uint64_t id;

	ASSERT_LE(0, start_call(&self->mb, 1, "a", 0, &id));
	ASSERT_EQ(0, take_now(&self->mb, &call));
	EXPECT_EQ(-EINVAL, t_complete_take(&self->mb, call.slot, id, 1,
						 0, MBX_WAIT_NONBLOCK, 0, &call,
						 &out_flags));
	EXPECT_EQ(0, out_flags);
}

TEST_F(lib, complete_take_a_call_not_taken)
{
	struct mbx_call call;
	uint32_t out_flags = 0xcccccccc;
	uint64_t id;
	int slot;

	slot = start_call(&self->mb, 1, "a", 0, &id);
	ASSERT_LE(0, slot);
	EXPECT_EQ(-EPERM, t_complete_take(&self->mb, slot, id, 0, 0,
						MBX_WAIT_NONBLOCK, 0, &call,
						&out_flags));
	EXPECT_EQ(0, out_flags);
}

TEST_F(lib, complete_take_unknown_flag)
{
	struct mbx_call call;
	uint32_t out_flags = 0xcccccccc;

	EXPECT_EQ(-EINVAL, t_complete_take(&self->mb, 0, 1, 0, 0,
						 MBX_TAKE_COMPLETE << 1, 0,
						 &call, &out_flags));
	EXPECT_EQ(0, out_flags);
}

TEST_F(lib, complete_take_read_only)
{
	struct mbx_call call;
	uint32_t out_flags = 0xcccccccc;
	struct mailbox mb;

	ASSERT_EQ(0, open_again(_metadata, self->name, &mb, MBX_ACCESS_READ));
	EXPECT_EQ(-EBADF, t_complete_take(&mb, 0, 1, 0, 0,
						MBX_WAIT_NONBLOCK, 0, &call,
						&out_flags));
	EXPECT_EQ(0, out_flags);
	EXPECT_EQ(0, mailbox_close(&mb));
}

/* ------------------------------------------------------------------ */
/* mailbox_revoke                                                       */

TEST_F(lib, revoke_then_submit_keeps_the_id_and_the_place)
{
	struct mbx_call call;
	struct mbx_slot_info info;
	uint64_t id1, id2, again = 0xcccccccccccccccc;
	int s1, s2;

	s1 = start_call(&self->mb, 1, "draft", 0, &id1);
	s2 = start_call(&self->mb, 2, "other", 0, &id2);
	ASSERT_LE(0, s1);
	ASSERT_LE(0, s2);
	ASSERT_EQ(0, mailbox_revoke(&self->mb, &(struct mbx_call){ .slot = s1, .call_id = id1 }));
	ASSERT_EQ(1, mailbox_slot_info(&self->mb, s1, 1, &info));
	EXPECT_EQ(MBX_STATE_EDIT, info.state);
	EXPECT_EQ(getpid(), info.owner_pid);
	/* EDIT: ours to rewrite; the submit below publishes it. */
	strcpy(mailbox_call_plane(&self->mb, s1), "final");
	ASSERT_EQ(0, t_submit(&self->mb, s1, 21, 6, 0xabc, 0, &again));
	EXPECT_EQ(id1, again);
	/* Still first in line, with the new contents. */
	ASSERT_EQ(0, take_now(&self->mb, &call));
	EXPECT_EQ(id1, call.call_id);
	EXPECT_EQ(21, call.opcode);
	EXPECT_EQ(0xabc, call.user_data);
	EXPECT_STREQ("final", (char *)mailbox_call_plane(&self->mb, s1));
}

TEST_F(lib, revoke_then_release_puts_it_back)
{
	struct mbx_call call;
	uint64_t id;
	int slot;

	slot = start_call(&self->mb, 1, "as is", 0, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, mailbox_revoke(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }));
	EXPECT_EQ(-EAGAIN, take_now(&self->mb, &call));
	ASSERT_EQ(0, mailbox_release(&self->mb, slot));
	ASSERT_EQ(0, take_now(&self->mb, &call));
	EXPECT_EQ(id, call.call_id);
	EXPECT_EQ(1, call.opcode);
}

TEST_F(lib, revoke_slot_out_of_range)
{
	EXPECT_EQ(-EINVAL, mailbox_revoke(&self->mb, &(struct mbx_call){ .slot = NSLOTS, .call_id = 1 }));
}

TEST_F(lib, revoke_read_only)
{
	struct mailbox mb;
	uint64_t id;
	int slot;

	slot = start_call(&self->mb, 1, "x", 0, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, open_again(_metadata, self->name, &mb, MBX_ACCESS_READ));
	EXPECT_EQ(-EBADF, mailbox_revoke(&mb, &(struct mbx_call){ .slot = slot, .call_id = id }));
	EXPECT_EQ(0, mailbox_close(&mb));
}

TEST_F(lib, revoke_another_call_id)
{
	uint64_t id;
	int slot;

	slot = start_call(&self->mb, 1, "x", 0, &id);
	ASSERT_LE(0, slot);
	EXPECT_EQ(-ESTALE, mailbox_revoke(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id + 1 }));
}

TEST_F(lib, revoke_twice)
{
	uint64_t id;
	int slot;

	slot = start_call(&self->mb, 1, "x", 0, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, mailbox_revoke(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }));
	EXPECT_EQ(-EDEADLK, mailbox_revoke(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }));
}

TEST_F(lib, revoke_a_call_edited_by_another)
{
	struct mailbox mb;
	uint64_t id;
	int slot;

	slot = start_call(&self->mb, 1, "x", 0, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, open_again(_metadata, self->name, &mb,
				MBX_ACCESS_READ | MBX_ACCESS_WRITE));
	ASSERT_EQ(0, mailbox_revoke(&mb, &(struct mbx_call){ .slot = slot, .call_id = id }));
	EXPECT_EQ(-EBUSY, mailbox_revoke(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }));
	EXPECT_EQ(0, mailbox_close(&mb));
}

TEST_F(lib, revoke_a_taken_call)
{
	struct mbx_call call;
	uint64_t id;
	int slot;

	slot = start_call(&self->mb, 1, "x", 0, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, take_now(&self->mb, &call));
	EXPECT_EQ(-EBUSY, mailbox_revoke(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }));
}

TEST_F(lib, revoke_an_answered_call)
{
	struct mbx_call call;
	uint64_t id;
	int slot;

	slot = start_call(&self->mb, 1, "x", 0, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, take_now(&self->mb, &call));
	ASSERT_EQ(0, answer(&self->mb, &call, 0, ""));
	EXPECT_EQ(-EALREADY, mailbox_revoke(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }));
}

TEST_F(lib, revoke_when_the_editor_dies)
{
	struct mbx_call reply;
	struct child_msg c;
	uint64_t id;
	int slot;

	slot = start_call(&self->mb, 1, "x", 0, &id);
	ASSERT_LE(0, slot);
	c = run_child(self->name, CHILD_EDITS, 0, slot, id);
	ASSERT_EQ(0, c.ret);
	/* The revision may be torn: the call fails rather than run. */
	ASSERT_EQ(0, mailbox_collect(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }, MBX_WAIT_NONBLOCK, 0,
				     &reply));
	EXPECT_EQ(-EOWNERDEAD, reply.status);
}

/* ------------------------------------------------------------------ */
/* mailbox_cancel                                                       */

TEST_F(lib, cancel_a_pending_call)
{
	struct mbx_call call, reply;
	uint64_t id;
	int slot;

	slot = start_call(&self->mb, 1, "x", 0, &id);
	ASSERT_LE(0, slot);
	EXPECT_EQ(MBX_STATE_PENDING, mailbox_cancel(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }));
	EXPECT_EQ(-EAGAIN, take_now(&self->mb, &call));
	ASSERT_EQ(0, mailbox_collect(&self->mb, NULL,
				     MBX_WAIT_NONBLOCK, 0, &reply));
	EXPECT_EQ(id, reply.call_id);
	EXPECT_EQ(-ECANCELED, reply.status);
	EXPECT_EQ(0, reply.len);
}

TEST_F(lib, cancel_a_call_i_edit)
{
	struct mbx_call reply;
	uint64_t id;
	int slot;

	slot = start_call(&self->mb, 1, "x", 0, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, mailbox_revoke(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }));
	EXPECT_EQ(MBX_STATE_EDIT, mailbox_cancel(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }));
	ASSERT_EQ(0, mailbox_collect(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }, MBX_WAIT_NONBLOCK, 0,
				     &reply));
	EXPECT_EQ(-ECANCELED, reply.status);
}

TEST_F(lib, cancel_a_taken_call_tells_the_callee)
{
	struct mailbox callee;
	struct mbx_call call;
	struct mbx_event ev[2];
	uint64_t id;
	int slot;

	ASSERT_EQ(0, open_again(_metadata, self->name, &callee,
				MBX_ACCESS_READ | MBX_ACCESS_WRITE));
	slot = start_call(&self->mb, 1, "x", 0, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, take_now(&callee, &call));
	EXPECT_EQ(MBX_STATE_TAKEN, mailbox_cancel(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }));
	/* Asking again is harmless and tells the callee once. */
	EXPECT_EQ(MBX_STATE_TAKEN, mailbox_cancel(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }));
	memset(ev, 0xcc, sizeof(ev));
	ASSERT_EQ(1, mailbox_events(&callee, ev, 2));
	EXPECT_EQ(MBX_EVENT_CANCEL, ev[0].type);
	EXPECT_EQ(slot, ev[0].slot);
	EXPECT_EQ(id, ev[0].call_id);
	EXPECT_EQ(0xcc, *(unsigned char *)&ev[1]);
	EXPECT_EQ(0, mailbox_close(&callee));
}

TEST_F(lib, cancel_slot_out_of_range)
{
	EXPECT_EQ(-EINVAL, mailbox_cancel(&self->mb, &(struct mbx_call){ .slot = NSLOTS, .call_id = 1 }));
}

TEST_F(lib, cancel_read_only)
{
	struct mailbox mb;
	uint64_t id;
	int slot;

	slot = start_call(&self->mb, 1, "x", 0, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, open_again(_metadata, self->name, &mb, MBX_ACCESS_READ));
	EXPECT_EQ(-EBADF, mailbox_cancel(&mb, &(struct mbx_call){ .slot = slot, .call_id = id }));
	EXPECT_EQ(0, mailbox_close(&mb));
}

TEST_F(lib, cancel_another_call_id)
{
	uint64_t id;
	int slot;

	slot = start_call(&self->mb, 1, "x", 0, &id);
	ASSERT_LE(0, slot);
	EXPECT_EQ(-ESTALE, mailbox_cancel(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id + 1 }));
}

TEST_F(lib, cancel_a_call_edited_by_another)
{
	struct mailbox mb;
	uint64_t id;
	int slot;

	slot = start_call(&self->mb, 1, "x", 0, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, open_again(_metadata, self->name, &mb,
				MBX_ACCESS_READ | MBX_ACCESS_WRITE));
	ASSERT_EQ(0, mailbox_revoke(&mb, &(struct mbx_call){ .slot = slot, .call_id = id }));
	EXPECT_EQ(-EBUSY, mailbox_cancel(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }));
	EXPECT_EQ(0, mailbox_close(&mb));
}

TEST_F(lib, cancel_an_answered_call)
{
	struct mbx_call call;
	uint64_t id;
	int slot;

	slot = start_call(&self->mb, 1, "x", 0, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, take_now(&self->mb, &call));
	ASSERT_EQ(0, answer(&self->mb, &call, 0, ""));
	EXPECT_EQ(-EALREADY, mailbox_cancel(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }));
}

/* ------------------------------------------------------------------ */
/* mailbox_slot_info                                                    */

TEST_F(lib, slot_info_reports_the_headers)
{
	struct mbx_slot_info info[NSLOTS + 1];
	struct mbx_call call;
	uint64_t id, t0 = now_ns();
	int slot;

	slot = start_call(&self->mb, 77, "look", MBX_CALL_AT_MOST_ONCE, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, take_now(&self->mb, &call));
	memset(info, 0xcc, sizeof(info));
	ASSERT_EQ(NSLOTS, mailbox_slot_info(&self->mb, 0, NSLOTS, info));
	EXPECT_EQ(slot, info[slot].slot);
	EXPECT_EQ(MBX_STATE_TAKEN, info[slot].state);
	EXPECT_EQ(id, info[slot].call_id);
	EXPECT_EQ(0x5eed, info[slot].user_data);
	EXPECT_EQ(77, info[slot].opcode);
	EXPECT_EQ(5, info[slot].len);
	EXPECT_EQ(0, info[slot].reply_len);
	EXPECT_EQ(MBX_CALL_AT_MOST_ONCE, info[slot].flags);
	EXPECT_EQ(1, info[slot].delivery);
	EXPECT_EQ(0, info[slot].owner_pid);
	EXPECT_EQ(getpid(), info[slot].caller_pid);
	EXPECT_EQ(getpid(), info[slot].callee_pid);
	EXPECT_LE(t0, info[slot].submit_ns);
	EXPECT_LE(info[slot].submit_ns, info[slot].take_ns);
	EXPECT_EQ(0, info[slot].reply_ns);
	EXPECT_EQ(0, info[slot].__reserved);
	EXPECT_EQ(MBX_STATE_FREE, info[(slot + 1) % NSLOTS].state);
	/* Not one entry more than asked for. */
	EXPECT_EQ(0xcc, *(unsigned char *)&info[NSLOTS]);
}

TEST_F(lib, slot_info_clips_to_the_last_slot)
{
	struct mbx_slot_info info[NSLOTS];

	memset(info, 0xcc, sizeof(info));
	EXPECT_EQ(1, mailbox_slot_info(&self->mb, NSLOTS - 1, NSLOTS, info));
	EXPECT_EQ(NSLOTS - 1, info[0].slot);
	EXPECT_EQ(0xcc, *(unsigned char *)&info[1]);
}

TEST_F(lib, slot_info_count_zero)
{
	EXPECT_EQ(0, mailbox_slot_info(&self->mb, 0, 0, NULL));
}

TEST_F(lib, slot_info_first_out_of_range)
{
	struct mbx_slot_info info;

	EXPECT_EQ(-EINVAL, mailbox_slot_info(&self->mb, NSLOTS, 1, &info));
}

TEST_F(lib, slot_info_bad_buffer)
{
	EXPECT_EQ(-EFAULT, mailbox_slot_info(&self->mb, 0, 1,
					     (struct mbx_slot_info *)8));
}

/* ------------------------------------------------------------------ */
/* mailbox_stats                                                        */

TEST_F(lib, stats_count_and_census)
{
	struct mbx_stats_args st;
	struct mbx_call call, reply;
	uint64_t id;
	int slot;

	slot = start_call(&self->mb, 1, "x", 0, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, take_now(&self->mb, &call));
	ASSERT_EQ(0, answer(&self->mb, &call, 0, ""));
	ASSERT_EQ(0, mailbox_collect(&self->mb, NULL,
				     MBX_WAIT_NONBLOCK, 0, &reply));
	ASSERT_LE(0, start_call(&self->mb, 1, "y", 0, &id));
	memset(&st, 0xcc, sizeof(st));
	ASSERT_EQ(0, mailbox_stats(&self->mb, &st));
	EXPECT_EQ(2, st.out_submitted);
	EXPECT_EQ(1, st.out_taken);
	EXPECT_EQ(1, st.out_completed);
	EXPECT_EQ(0, st.out_cancelled);
	EXPECT_EQ(0, st.out_redelivered);
	EXPECT_EQ(0, st.out_owner_died);
	EXPECT_EQ(0, st.out_reclaimed);
	EXPECT_GT(5 * SEC, st.out_max_wait_ns);
	EXPECT_GT(5 * SEC, st.out_oldest_pending_ns);
	EXPECT_EQ(NSLOTS - 2, st.out_free);
	EXPECT_EQ(1, st.out_owned);
	EXPECT_EQ(1, st.out_pending);
	EXPECT_EQ(0, st.out_taken_now);
	EXPECT_EQ(0, st.out_replied);
	EXPECT_EQ(1, st.out_sessions);
}

/* ------------------------------------------------------------------ */
/* mailbox_events                                                       */

TEST_F(lib, events_none)
{
	struct mbx_event ev;

	memset(&ev, 0xcc, sizeof(ev));
	EXPECT_EQ(0, mailbox_events(&self->mb, &ev, 1));
	EXPECT_EQ(0xcc, *(unsigned char *)&ev);
}

TEST_F(lib, events_caller_gone)
{
	struct mbx_slot_info info;
	struct mbx_call call;
	struct mbx_event ev;
	uint64_t id;
	int slot;

	/* The child's call is taken by us, then the child goes. */
	slot = -1;
	{
		int pfd[2];
		pid_t pid;
		char ok;

		ASSERT_EQ(0, pipe(pfd));
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			struct mailbox mb;

			if (mailbox_open(&mb, self->name, MBX_ACCESS_READ |
					 MBX_ACCESS_WRITE, 0) ||
			    start_call(&mb, 1, "bye", 0, &id) < 0)
				_exit(1);
			/* Wait until the parent took it. */
			if (read(pfd[0], &ok, 1) != 1)
				_exit(1);
			_exit(0);
		}
		ASSERT_EQ(0, mailbox_take(&self->mb, MBX_WAIT_TIMEOUT,
					  mailbox_deadline(5 * SEC), &call));
		slot = call.slot;
		ASSERT_EQ(1, write(pfd[1], "k", 1));
		ASSERT_EQ(pid, waitpid(pid, NULL, 0));
		close(pfd[0]);
		close(pfd[1]);
	}
	memset(&ev, 0xcc, sizeof(ev));
	ASSERT_EQ(1, mailbox_events(&self->mb, &ev, 1));
	EXPECT_EQ(MBX_EVENT_CALLER_GONE, ev.type);
	EXPECT_EQ(slot, ev.slot);
	EXPECT_EQ(call.call_id, ev.call_id);
	ASSERT_EQ(1, mailbox_slot_info(&self->mb, slot, 1, &info));
	EXPECT_EQ(MBX_CALL_CALLER_GONE, info.flags & MBX_CALL_CALLER_GONE);
	EXPECT_EQ(0, info.caller_pid);
}

TEST(events_overflow)
{
	struct mailbox caller, callee;
	struct mbx_event ev[80];
	char name[MBX_NAME_MAX];
	struct mbx_call call;
	uint64_t ids[70];
	int slots[70];
	int i, n;

	SKIP_IF_NO_DEVICE();
	new_name(name, "overflow");
	ASSERT_EQ(0, mailbox_create(&caller, name, 70, 64, 0600, 0, 0));
	ASSERT_EQ(0, mailbox_open(&callee, name, MBX_ACCESS_READ |
				  MBX_ACCESS_WRITE, 0));
	for (i = 0; i < 70; i++) {
		slots[i] = start_call(&caller, 1, "c", 0, &ids[i]);
		ASSERT_LE(0, slots[i]);
		ASSERT_EQ(0, take_now(&callee, &call));
	}
	/* 70 cancel requests for a queue of 64. */
	for (i = 0; i < 70; i++)
		ASSERT_EQ(MBX_STATE_TAKEN, mailbox_cancel(&caller, &(struct mbx_call){ .slot = slots[i], .call_id = ids[i] }));
	memset(ev, 0xcc, sizeof(ev));
	n = mailbox_events(&callee, ev, 80);
	ASSERT_EQ(65, n);
	for (i = 0; i < 64; i++) {
		EXPECT_EQ(MBX_EVENT_CANCEL, ev[i].type);
		EXPECT_EQ(ids[i], ev[i].call_id);
	}
	EXPECT_EQ(MBX_EVENT_OVERFLOW, ev[64].type);
	EXPECT_EQ(0, mailbox_events(&callee, ev, 80));
	EXPECT_EQ(0, mailbox_close(&callee));
	EXPECT_EQ(0, mailbox_close(&caller));
	EXPECT_EQ(0, mailbox_destroy(name));
}

TEST_F(lib, events_a_few_at_a_time)
{
	struct mailbox callee;
	struct mbx_call call;
	struct mbx_event ev;
	uint64_t id[2];
	int slot[2], i;

	ASSERT_EQ(0, open_again(_metadata, self->name, &callee,
				MBX_ACCESS_READ | MBX_ACCESS_WRITE));
	for (i = 0; i < 2; i++) {
		slot[i] = start_call(&self->mb, 1, "c", 0, &id[i]);
		ASSERT_LE(0, slot[i]);
		ASSERT_EQ(0, take_now(&callee, &call));
		ASSERT_EQ(MBX_STATE_TAKEN, mailbox_cancel(&self->mb, &(struct mbx_call){ .slot = slot[i], .call_id = id[i] }));
	}
	ASSERT_EQ(1, mailbox_events(&callee, &ev, 1));
	EXPECT_EQ(id[0], ev.call_id);
	ASSERT_EQ(1, mailbox_events(&callee, &ev, 1));
	EXPECT_EQ(id[1], ev.call_id);
	EXPECT_EQ(0, mailbox_events(&callee, &ev, 1));
	EXPECT_EQ(0, mailbox_close(&callee));
}

TEST_F(lib, events_count_zero)
{
	struct mbx_event ev;

	EXPECT_EQ(-EINVAL, mailbox_events(&self->mb, &ev, 0));
}

TEST_F(lib, events_bad_buffer)
{
	struct mailbox callee;
	struct mbx_event ev;
	struct mbx_call call;
	uint64_t id;
	int slot;

	/* A fault is seen only when there is an event to copy. */
	ASSERT_EQ(0, open_again(_metadata, self->name, &callee,
				MBX_ACCESS_READ | MBX_ACCESS_WRITE));
	slot = start_call(&self->mb, 1, "c", 0, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, take_now(&callee, &call));
	ASSERT_EQ(MBX_STATE_TAKEN, mailbox_cancel(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }));
	EXPECT_EQ(-EFAULT, mailbox_events(&callee, (struct mbx_event *)8, 1));
	/* Copied out before consumed: the event is still there. */
	EXPECT_EQ(1, mailbox_events(&callee, &ev, 1));
	EXPECT_EQ(MBX_EVENT_CANCEL, ev.type);
	EXPECT_EQ(0, mailbox_close(&callee));
}

/* ------------------------------------------------------------------ */
/* mailbox_reclaim                                                      */

TEST_F(lib, reclaim_frees_replies_nobody_will_collect)
{
	struct mbx_stats_args st;
	struct mbx_slot_info info;
	struct mbx_call call;
	struct child_msg c;

	c = run_child(self->name, CHILD_CALLS, 0, 0, 0);
	ASSERT_EQ(0, c.ret);
	ASSERT_EQ(0, take_now(&self->mb, &call));
	ASSERT_EQ(0, answer(&self->mb, &call, 0, "lost"));
	/* Not old enough. */
	EXPECT_EQ(0, mailbox_reclaim(&self->mb, 3600 * SEC));
	EXPECT_EQ(1, mailbox_reclaim(&self->mb, 0));
	ASSERT_EQ(1, mailbox_slot_info(&self->mb, c.slot, 1, &info));
	EXPECT_EQ(MBX_STATE_FREE, info.state);
	ASSERT_EQ(0, mailbox_stats(&self->mb, &st));
	EXPECT_EQ(1, st.out_reclaimed);
	EXPECT_EQ(0, mailbox_reclaim(&self->mb, 0));
}

TEST_F(lib, reclaim_leaves_replies_with_a_caller)
{
	struct mbx_call call;
	uint64_t id;

	ASSERT_LE(0, start_call(&self->mb, 1, "x", 0, &id));
	ASSERT_EQ(0, take_now(&self->mb, &call));
	ASSERT_EQ(0, answer(&self->mb, &call, 0, "mine"));
	EXPECT_EQ(0, mailbox_reclaim(&self->mb, 0));
}

TEST_F(lib, reclaim_read_only)
{
	struct mailbox mb;

	ASSERT_EQ(0, open_again(_metadata, self->name, &mb, MBX_ACCESS_READ));
	EXPECT_EQ(-EBADF, mailbox_reclaim(&mb, 0));
	EXPECT_EQ(0, mailbox_close(&mb));
}

/* ------------------------------------------------------------------ */
/* mailbox_ready, mailbox_fd and epoll                                  */

TEST_F(lib, ready_follows_the_work)
{
	struct mailbox callee;
	struct mbx_call call;
	uint64_t id;
	int slot, i;

	ASSERT_EQ(0, open_again(_metadata, self->name, &callee,
				MBX_ACCESS_READ | MBX_ACCESS_WRITE));
	EXPECT_EQ(MAILBOX_READY_FREE, mailbox_ready(&self->mb, 0));
	EXPECT_EQ(MAILBOX_READY_FREE, mailbox_ready(&self->mb,
						    MAILBOX_READY_ALL));
	EXPECT_EQ(0, mailbox_ready(&self->mb, MAILBOX_READY_CALL));
	slot = start_call(&self->mb, 1, "x", 0, &id);
	ASSERT_LE(0, slot);
	EXPECT_EQ(MAILBOX_READY_CALL, mailbox_ready(&callee,
						    MAILBOX_READY_CALL));
	ASSERT_EQ(0, take_now(&callee, &call));
	EXPECT_EQ(0, mailbox_ready(&callee, MAILBOX_READY_CALL));
	EXPECT_EQ(0, mailbox_ready(&self->mb, MAILBOX_READY_REPLY));
	ASSERT_EQ(MBX_STATE_TAKEN, mailbox_cancel(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }));
	EXPECT_EQ(MAILBOX_READY_EVENT, mailbox_ready(&callee,
						     MAILBOX_READY_EVENT));
	ASSERT_EQ(-ECANCELED, answer(&callee, &call, 0, ""));
	/* The reply is the caller's, not the callee's. */
	EXPECT_EQ(MAILBOX_READY_REPLY, mailbox_ready(&self->mb,
						     MAILBOX_READY_REPLY));
	EXPECT_EQ(0, mailbox_ready(&callee, MAILBOX_READY_REPLY));
	for (i = 1; i < NSLOTS; i++)
		ASSERT_LE(0, mailbox_acquire(&self->mb, 0,
					     MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK, 0, NULL));
	EXPECT_EQ(MAILBOX_READY_REPLY | MAILBOX_READY_EVENT,
		  mailbox_ready(&callee, 0) | mailbox_ready(&self->mb, 0));
	EXPECT_EQ(0, mailbox_close(&callee));
}

TEST_F(lib, ready_unknown_kind)
{
	EXPECT_EQ(-EINVAL, mailbox_ready(&self->mb, POLLRDNORM));
}

TEST_F(lib, ready_closed_fd)
{
	struct mailbox mb = self->mb;

	mb.fd = 1000;
	EXPECT_EQ(-EBADF, mailbox_ready(&mb, 0));
}

TEST_F(lib, ready_kinds_are_the_poll_bits)
{
	EXPECT_EQ(EPOLLIN, MAILBOX_READY_CALL);
	EXPECT_EQ(EPOLLPRI, MAILBOX_READY_EVENT);
	EXPECT_EQ(EPOLLOUT, MAILBOX_READY_FREE);
	EXPECT_EQ(EPOLLRDBAND, MAILBOX_READY_REPLY);
	EXPECT_EQ(self->mb.fd, mailbox_fd(&self->mb));
}

TEST_F(lib, epoll_wakes_for_a_reply)
{
	struct mailbox callee;
	struct later l = { .mb = &callee, .delay_ms = 50 };
	struct epoll_event ev = { .events = MAILBOX_READY_REPLY };
	struct mbx_call reply;
	pthread_t thr;
	uint64_t id;
	int ep;

	ASSERT_EQ(0, open_again(_metadata, self->name, &callee,
				MBX_ACCESS_READ | MBX_ACCESS_WRITE));
	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, mailbox_fd(&self->mb), &ev));
	ASSERT_LE(0, start_call(&self->mb, 1, "x", 0, &id));
	pthread_create(&thr, NULL, complete_later, &l);
	memset(&ev, 0, sizeof(ev));
	ASSERT_EQ(1, epoll_wait(ep, &ev, 1, 5000));
	EXPECT_EQ(MAILBOX_READY_REPLY, ev.events);
	pthread_join(thr, NULL);
	ASSERT_EQ(0, mailbox_collect(&self->mb, NULL,
				     MBX_WAIT_NONBLOCK, 0, &reply));
	EXPECT_EQ(id, reply.call_id);
	close(ep);
	EXPECT_EQ(0, mailbox_close(&callee));
}

/* ------------------------------------------------------------------ */
/* Inline helpers                                                       */

TEST_F(lib, planes_are_where_info_says)
{
	struct mbx_info_args info;
	unsigned char *map = self->mb.map;
	uint32_t i;

	ASSERT_EQ(0, mailbox_info(&self->mb, &info));
	for (i = 0; i < NSLOTS; i++) {
		EXPECT_EQ(map + info.out_call_off + i * SLOT_SIZE,
			  (unsigned char *)mailbox_call_plane(&self->mb, i));
		EXPECT_EQ(map + info.out_reply_off + i * SLOT_SIZE,
			  (unsigned char *)mailbox_reply_plane(&self->mb, i));
	}
}

TEST(deadline_is_monotonic_now_plus)
{
	struct timespec ts;
	uint64_t before, d;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	before = ts.tv_sec * SEC + ts.tv_nsec;
	d = mailbox_deadline(7 * SEC);
	EXPECT_LE(before + 7 * SEC, d);
	EXPECT_GT(before + 8 * SEC, d);
}

/* ------------------------------------------------------------------ */
/* liburing                                                             */

static int uring_wait(struct io_uring *ring, struct io_uring_cqe **cqe,
		      unsigned int ms)
{
	struct __kernel_timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (ms % 1000) * 1000000LL,
	};

	return io_uring_wait_cqe_timeout(ring, cqe, &ts);
}

TEST_F(lib, uring_poll_ready_at_once)
{
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;

	ASSERT_EQ(0, io_uring_queue_init(4, &ring, 0));
	sqe = io_uring_get_sqe(&ring);
	mailbox_prep_poll(sqe, &self->mb, MAILBOX_READY_FREE);
	EXPECT_EQ(IORING_OP_POLL_ADD, sqe->opcode);
	EXPECT_EQ(self->mb.fd, sqe->fd);
	io_uring_sqe_set_data64(sqe, 42);
	ASSERT_EQ(1, io_uring_submit(&ring));
	ASSERT_EQ(0, uring_wait(&ring, &cqe, 5000));
	EXPECT_EQ(42, cqe->user_data);
	EXPECT_EQ(MAILBOX_READY_FREE, cqe->res);
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
}

/*
 * A poll that has to wait. Fails (cqe->res == -EINVAL) with a module whose
 * poll handler registers on more than two wait queues: io_uring's poll
 * supports two per request (io_uring/poll.c, "fail a third attempt").
 */
TEST_F(lib, uring_poll_waits_for_a_call)
{
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	uint64_t id;

	ASSERT_EQ(0, io_uring_queue_init(4, &ring, 0));
	mailbox_prep_poll(io_uring_get_sqe(&ring), &self->mb,
			  MAILBOX_READY_CALL);
	ASSERT_EQ(1, io_uring_submit(&ring));
	ASSERT_LE(0, start_call(&self->mb, 1, "x", 0, &id));
	ASSERT_EQ(0, uring_wait(&ring, &cqe, 5000));
	EXPECT_EQ(MAILBOX_READY_CALL, cqe->res);
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
}

/* As above: fails with -EINVAL with a module polling three wait queues. */
TEST_F(lib, uring_multishot_poll_posts_per_wakeup)
{
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	struct mbx_call call;
	uint64_t id;
	int i;

	ASSERT_EQ(0, io_uring_queue_init(4, &ring, 0));
	sqe = io_uring_get_sqe(&ring);
	mailbox_prep_poll_multishot(sqe, &self->mb, MAILBOX_READY_CALL);
	EXPECT_EQ(IORING_POLL_ADD_MULTI, sqe->len);
	ASSERT_EQ(1, io_uring_submit(&ring));
	for (i = 0; i < 2; i++) {
		ASSERT_LE(0, start_call(&self->mb, 1, "x", 0, &id));
		ASSERT_EQ(0, uring_wait(&ring, &cqe, 5000));
		EXPECT_EQ(MAILBOX_READY_CALL, cqe->res);
		EXPECT_EQ(IORING_CQE_F_MORE, cqe->flags & IORING_CQE_F_MORE);
		io_uring_cqe_seen(&ring, cqe);
		ASSERT_EQ(0, take_now(&self->mb, &call));
	}
	io_uring_queue_exit(&ring);
}

/*
 * An event (EPOLLPRI) must complete a poll that waits for it. Fails (the
 * wait times out) with a module that wakes event pollers with the key
 * EPOLLPRI alone: io_uring drops such a wakeup (io_poll_wake() masks out
 * IO_ASYNC_POLL_COMMON, which holds EPOLLPRI), where epoll does not (see
 * epoll_wakes_for_an_event).
 */
TEST_F(lib, uring_poll_wakes_for_an_event)
{
	struct mailbox callee;
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	struct mbx_call call;
	uint64_t id;
	int slot;

	ASSERT_EQ(0, open_again(_metadata, self->name, &callee,
				MBX_ACCESS_READ | MBX_ACCESS_WRITE));
	slot = start_call(&self->mb, 1, "x", 0, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, take_now(&callee, &call));
	ASSERT_EQ(0, io_uring_queue_init(4, &ring, 0));
	mailbox_prep_poll(io_uring_get_sqe(&ring), &callee,
			  MAILBOX_READY_EVENT);
	ASSERT_EQ(1, io_uring_submit(&ring));
	ASSERT_EQ(MBX_STATE_TAKEN, mailbox_cancel(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }));
	ASSERT_EQ(0, uring_wait(&ring, &cqe, 2000));
	EXPECT_EQ(MAILBOX_READY_EVENT, cqe->res);
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
	EXPECT_EQ(0, mailbox_close(&callee));
}

TEST_F(lib, epoll_wakes_for_an_event)
{
	struct epoll_event ev = { .events = MAILBOX_READY_EVENT };
	struct mailbox callee;
	struct mbx_call call;
	uint64_t id;
	int slot, ep;

	ASSERT_EQ(0, open_again(_metadata, self->name, &callee,
				MBX_ACCESS_READ | MBX_ACCESS_WRITE));
	slot = start_call(&self->mb, 1, "x", 0, &id);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, take_now(&callee, &call));
	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, mailbox_fd(&callee), &ev));
	EXPECT_EQ(0, epoll_wait(ep, &ev, 1, 0));
	ASSERT_EQ(MBX_STATE_TAKEN, mailbox_cancel(&self->mb, &(struct mbx_call){ .slot = slot, .call_id = id }));
	memset(&ev, 0, sizeof(ev));
	ASSERT_EQ(1, epoll_wait(ep, &ev, 1, 2000));
	EXPECT_EQ(MAILBOX_READY_EVENT, ev.events);
	close(ep);
	EXPECT_EQ(0, mailbox_close(&callee));
}

/* ------------------------------------------------------------------ */
/* Arguments the kernel checks for every wait                           */

TEST_F(lib, acquire_both_wait_flags)
{
	EXPECT_EQ(-EINVAL, mailbox_acquire(&self->mb, 0,
					   MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK | MBX_WAIT_TIMEOUT,
					   mailbox_deadline(SEC), NULL));
}

TEST_F(lib, acquire_timeout_without_its_flag)
{
	EXPECT_EQ(-EINVAL, mailbox_acquire(&self->mb, 0,
					   MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK,
					   mailbox_deadline(SEC), NULL));
}

TEST_F(lib, take_both_wait_flags)
{
	struct mbx_call call;

	EXPECT_EQ(-EINVAL, mailbox_take(&self->mb,
					MBX_WAIT_NONBLOCK | MBX_WAIT_TIMEOUT,
					mailbox_deadline(SEC), &call));
}

TEST_F(lib, take_timeout_without_its_flag)
{
	struct mbx_call call;

	EXPECT_EQ(-EINVAL, mailbox_take(&self->mb, MBX_WAIT_NONBLOCK,
					mailbox_deadline(SEC), &call));
}

TEST_F(lib, collect_both_wait_flags)
{
	struct mbx_call reply;

	EXPECT_EQ(-EINVAL, mailbox_collect(&self->mb, NULL,
					   MBX_WAIT_NONBLOCK | MBX_WAIT_TIMEOUT,
					   mailbox_deadline(SEC), &reply));
}

TEST_F(lib, collect_timeout_without_its_flag)
{
	struct mbx_call reply;

	EXPECT_EQ(-EINVAL, mailbox_collect(&self->mb, NULL,
					   MBX_WAIT_NONBLOCK,
					   mailbox_deadline(SEC), &reply));
}

TEST_F(lib, complete_take_both_wait_flags)
{
	struct mbx_call call;
	uint32_t out_flags = 0xcccccccc;
	uint64_t id;

	ASSERT_LE(0, start_call(&self->mb, 1, "a", 0, &id));
	ASSERT_EQ(0, take_now(&self->mb, &call));
	EXPECT_EQ(-EINVAL, t_complete_take(&self->mb, call.slot, id, 0, 0,
						 MBX_WAIT_NONBLOCK |
						 MBX_WAIT_TIMEOUT,
						 mailbox_deadline(SEC), &call,
						 &out_flags));
	/* Refused before anything was done: still ours to answer. */
	EXPECT_EQ(0, out_flags);
	EXPECT_EQ(0, mailbox_complete(&self->mb, &(struct mbx_call){ .slot = call.slot, .call_id = id }, 0, 0));
}

TEST_F(lib, complete_take_timeout_without_its_flag)
{
	struct mbx_call call;
	uint32_t out_flags = 0xcccccccc;
	uint64_t id;

	ASSERT_LE(0, start_call(&self->mb, 1, "a", 0, &id));
	ASSERT_EQ(0, take_now(&self->mb, &call));
	EXPECT_EQ(-EINVAL, t_complete_take(&self->mb, call.slot, id, 0, 0,
						 MBX_WAIT_NONBLOCK,
						 mailbox_deadline(SEC), &call,
						 &out_flags));
	EXPECT_EQ(0, out_flags);
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
 * fd, exactly what root gets. @want: as_nobody()'s value for the result
 * (1201 for a positive count).
 */
#define CARRIED_TEST(fn, opname, want)					\
TEST_F(lib, fn##_carried_by_the_fd)					\
{									\
	struct op_ctx c = { .mb = &self->mb, .op = opname };		\
									\
	SKIP_IF_NOT_ROOT();						\
	EXPECT_EQ(want, as_nobody(do_op, &c));				\
}

CARRIED_TEST(acquire, OP_ACQUIRE, 0)
CARRIED_TEST(submit, OP_SUBMIT, -EPERM)
CARRIED_TEST(submit_collect, OP_SUBMIT_COLLECT, -EPERM)
CARRIED_TEST(collect, OP_COLLECT, -EAGAIN)
CARRIED_TEST(take, OP_TAKE, -EAGAIN)
CARRIED_TEST(complete, OP_COMPLETE, -ESTALE)
CARRIED_TEST(complete_take, OP_COMPLETE_TAKE, -ESTALE)
CARRIED_TEST(revoke, OP_REVOKE, -ESTALE)
CARRIED_TEST(cancel, OP_CANCEL, -ESTALE)
CARRIED_TEST(slot_info, OP_SLOT_INFO, 1201)
CARRIED_TEST(stats, OP_STATS, 0)
CARRIED_TEST(reclaim, OP_RECLAIM, 0)

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

	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
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
	EXPECT_EQ(0, as_nobody(do_op, &c));
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
	if (!device_absent()) {
		char name[MBX_NAME_MAX];
		struct mailbox box;

		new_name(name, "errno");
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

/*
 * The call path costs exactly one ioctl per function, and nothing else:
 * count the system calls of a traced child between two markers.
 */
static void traced_calls(const char *name)
{
	struct mailbox mb;
	struct mbx_call call;
	uint64_t id;
	int slot, other;

	uint64_t deadline;

	if (mailbox_open(&mb, name, MBX_ACCESS_READ | MBX_ACCESS_WRITE, 0))
		_exit(2);
	/* Outside the markers: without a vDSO clock this is a syscall. */
	deadline = mailbox_deadline(SEC);
	raise(SIGSTOP);
	syscall(SYS_getppid);			/* start marker */
	slot = mailbox_acquire(&mb, 0, MBX_ACQUIRE_ANY | MBX_WAIT_TIMEOUT,
			       deadline, NULL);
	t_submit(&mb, slot, 1, 0, 0, 0, &id);
	mailbox_take(&mb, MBX_WAIT_NONBLOCK, 0, &call);
	mailbox_complete(&mb, &(struct mbx_call){ .slot = call.slot, .call_id = call.call_id }, 0, 0);
	mailbox_collect(&mb, NULL, 0, 0, &call);
	t_submit(&mb, slot, 1, 0, 0, 0, &id);
	mailbox_take(&mb, MBX_WAIT_NONBLOCK, 0, &call);
	t_complete_take(&mb, call.slot, call.call_id, 0, 0,
			      MBX_WAIT_NONBLOCK, 0, &call, NULL);
	mailbox_collect(&mb, &(struct mbx_call){ .slot = slot, .call_id = id }, 0, 0, &call);
	t_submit(&mb, slot, 1, 0, 0, 0, &id);
	mailbox_revoke(&mb, &(struct mbx_call){ .slot = slot, .call_id = id });
	mailbox_cancel(&mb, &(struct mbx_call){ .slot = slot, .call_id = id });
	/* The other slot's call goes; the cancelled one comes back. */
	other = mailbox_acquire(&mb, 0, MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK, 0,
				NULL);
	t_submit_collect(&mb, other, 1, 0, 0, 0, 0, &id, &call);
	mailbox_release(&mb, slot);
	syscall(SYS_getppid);			/* end marker */
	_exit(0);
}

TEST(call_path_is_one_ioctl_per_function)
{
	static const unsigned long expected[] = {
		MBX_IOC_SLOT_ACQUIRE, MBX_IOC_CALL_SUBMIT, MBX_IOC_CALL_TAKE,
		MBX_IOC_CALL_COMPLETE, MBX_IOC_CALL_COLLECT,
		MBX_IOC_CALL_SUBMIT, MBX_IOC_CALL_TAKE, MBX_IOC_CALL_TAKE,
		MBX_IOC_CALL_COLLECT, MBX_IOC_CALL_SUBMIT,
		MBX_IOC_SLOT_ACQUIRE, MBX_IOC_CALL_CANCEL,
		MBX_IOC_SLOT_ACQUIRE, MBX_IOC_CALL_SUBMIT,
		MBX_IOC_SLOT_RELEASE,
	};
	unsigned long seen[64];
	char name[MBX_NAME_MAX];
	struct mailbox mb;
	int status, n = 0, others = 0, started = 0;
	unsigned int i;
	pid_t pid;

	SKIP_IF_NO_DEVICE();
	new_name(name, "traced");
	ASSERT_EQ(0, mailbox_create(&mb, name, 2, 64, 0600, 0, 0));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
			_exit(3);
		traced_calls(name);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSTOPPED(status));
	ASSERT_EQ(0, ptrace(PTRACE_SETOPTIONS, pid, NULL,
			    (void *)PTRACE_O_TRACESYSGOOD));
	for (;;) {
		struct __ptrace_syscall_info si;

		ASSERT_EQ(0, ptrace(PTRACE_SYSCALL, pid, NULL, NULL));
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		if (WIFEXITED(status))
			break;
		ASSERT_TRUE(WIFSTOPPED(status));
		if (WSTOPSIG(status) != (SIGTRAP | 0x80))
			continue;
		ASSERT_LT(0, ptrace(PTRACE_GET_SYSCALL_INFO, pid,
				    (void *)sizeof(si), &si));
		if (si.op != PTRACE_SYSCALL_INFO_ENTRY)
			continue;
		if (si.entry.nr == SYS_getppid) {
			started++;
			continue;
		}
		if (started != 1)
			continue;
		if (si.entry.nr == SYS_ioctl && n < 64)
			seen[n++] = si.entry.args[1];
		else
			others++;
	}
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(2, started);
	EXPECT_EQ(0, others);
	ASSERT_EQ(sizeof(expected) / sizeof(expected[0]), (size_t)n);
	for (i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
		EXPECT_EQ(expected[i], seen[i]);
	EXPECT_EQ(0, mailbox_close(&mb));
	EXPECT_EQ(0, mailbox_destroy(name));
}

TEST_HARNESS_MAIN
