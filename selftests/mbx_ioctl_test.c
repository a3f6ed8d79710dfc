// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctl table and its dispatcher, as user space sees them: for every
 * ioctl a size below the whole struct is EINVAL and changes nothing, a
 * non-zero byte past the struct or a size above the page is E2BIG; an
 * ioctl of the other kind of fd is ENOTTY; timeouts beyond the kernel's
 * clock range wait for a signal. Then the access an fd carries: passed
 * over a unix socket it keeps its rights, a new open is checked against
 * the mode of now. Then /proc/driver/mailbox, read while mailboxes come
 * and go, and filtered with the credentials of its opener.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mbx_helpers.h"

MBX_SKIP_WITHOUT_DEVICE

#define NOBODY		65534
#define MS		1000000ULL

enum on { ON_DEV, ON_CALLER, ON_CALLEE };

/*
 * A mailbox in a known, busy state: slot 0 OWNED by the caller, slot 1's
 * call TAKEN by the callee and cancelled (so the callee has an event
 * queued), slot 2's call PENDING, slot 3 FREE.
 */
FIXTURE(scene) {
	int dev, c, e;
	char name[MBX_NAME_MAX];
	__u64 pending_id;
};

FIXTURE_VARIANT(scene) {
	unsigned long cmd;
	unsigned int size;
	enum on on;
};

FIXTURE_SETUP(scene)
{
	struct mbx_cancel_args can = { .size = sizeof(can) };
	struct mbx_call call;

	self->dev = mbx_dev_open();
	ASSERT_LE(0, self->dev);
	mbx_unique_name(self->name, "ioctl");
	self->c = mbx_create(self->dev, self->name, 4, 64, 0600);
	ASSERT_LE(0, self->c);
	self->e = mbx_open(self->dev, self->name,
			   MBX_ACCESS_READ | MBX_ACCESS_WRITE);
	ASSERT_LE(0, self->e);
	ASSERT_EQ(0, mbx_acquire(self->c, 0, 0, 0, NULL));
	ASSERT_EQ(1, mbx_acquire(self->c, 0, 1, 0, NULL));
	ASSERT_EQ(0, mbx_submit(self->c, 1, 7, 8, 1, NULL));
	ASSERT_EQ(0, mbx_take(self->e, MBX_WAIT_NONBLOCK, 0, &call));
	can.slot = call.slot;
	can.call_id = call.call_id;
	ASSERT_EQ(0, mbx_ioctl(self->c, MBX_IOC_CALL_CANCEL, &can));
	ASSERT_EQ(2, mbx_acquire(self->c, 0, 2, 0, NULL));
	ASSERT_EQ(0, mbx_submit(self->c, 2, 7, 8, 2, &self->pending_id));
}

FIXTURE_TEARDOWN(scene)
{
	close(self->c);
	close(self->e);
	mbx_destroy(self->dev, self->name);
	close(self->dev);
}

/* Everything the scene is made of, to compare before and after. */
struct picture {
	struct mbx_slot_info si[4];
	struct mbx_stats_args st;
	short callee_revents;
	int boxes;
};

static void take_picture(struct __test_metadata *_metadata,
			 FIXTURE_DATA(scene) *self, struct picture *p)
{
	struct mbx_list_args la = { .size = sizeof(la) };
	struct pollfd pfd = { .fd = self->e, .events = POLLPRI | POLLIN };
	int i;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, mbx_slot_info(self->c, i, &p->si[i]));
		/* Ages move on their own; states and ids must not. */
		p->si[i].submit_ns = p->si[i].take_ns = p->si[i].reply_ns = 0;
	}
	ASSERT_EQ(0, mbx_stats(self->c, &p->st));
	p->st.out_max_wait_ns = p->st.out_oldest_pending_ns = 0;
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	p->callee_revents = pfd.revents;
	ASSERT_EQ(0, mbx_ioctl(self->dev, MBX_IOC_BOX_LIST, &la));
	p->boxes = la.out_total;
}

#define IOCTL_VARIANT(_name, _cmd, _struct, _on)			\
	FIXTURE_VARIANT_ADD(scene, _name) {				\
		.cmd = _cmd, .size = sizeof(_struct), .on = _on,	\
	}

IOCTL_VARIANT(api, MBX_IOC_API, struct mbx_api_args, ON_DEV);
IOCTL_VARIANT(box_create, MBX_IOC_BOX_CREATE, struct mbx_create_args, ON_DEV);
IOCTL_VARIANT(box_open, MBX_IOC_BOX_OPEN, struct mbx_open_args, ON_DEV);
IOCTL_VARIANT(box_destroy, MBX_IOC_BOX_DESTROY, struct mbx_destroy_args,
	      ON_DEV);
IOCTL_VARIANT(box_list, MBX_IOC_BOX_LIST, struct mbx_list_args, ON_DEV);
IOCTL_VARIANT(box_info, MBX_IOC_BOX_INFO, struct mbx_info_args, ON_CALLER);
IOCTL_VARIANT(box_set, MBX_IOC_BOX_SET, struct mbx_set_args, ON_CALLER);
IOCTL_VARIANT(box_stats, MBX_IOC_BOX_STATS, struct mbx_stats_args, ON_CALLER);
IOCTL_VARIANT(box_reclaim, MBX_IOC_BOX_RECLAIM, struct mbx_reclaim_args,
	      ON_CALLER);
IOCTL_VARIANT(slot_acquire, MBX_IOC_SLOT_ACQUIRE, struct mbx_acquire_args,
	      ON_CALLER);
IOCTL_VARIANT(slot_release, MBX_IOC_SLOT_RELEASE, struct mbx_release_args,
	      ON_CALLER);
IOCTL_VARIANT(slot_info, MBX_IOC_SLOT_INFO, struct mbx_slots_args, ON_CALLER);
IOCTL_VARIANT(call_submit, MBX_IOC_CALL_SUBMIT, struct mbx_submit_args,
	      ON_CALLER);
IOCTL_VARIANT(call_take, MBX_IOC_CALL_TAKE, struct mbx_take_args, ON_CALLEE);
IOCTL_VARIANT(call_complete, MBX_IOC_CALL_COMPLETE, struct mbx_complete_args,
	      ON_CALLEE);
IOCTL_VARIANT(call_collect, MBX_IOC_CALL_COLLECT, struct mbx_collect_args,
	      ON_CALLER);
IOCTL_VARIANT(call_cancel, MBX_IOC_CALL_CANCEL, struct mbx_cancel_args,
	      ON_CALLER);
IOCTL_VARIANT(events_read, MBX_IOC_EVENTS_READ, struct mbx_events_args,
	      ON_CALLEE);

static int variant_fd(FIXTURE_DATA(scene) *self,
		      const FIXTURE_VARIANT(scene) *variant)
{
	return variant->on == ON_DEV ? self->dev :
	       variant->on == ON_CALLER ? self->c : self->e;
}

/*
 * An argument that would do something if it were accepted: the fields
 * each operation reads, at the offsets of their structs, name the scene's
 * slots, calls and mailbox (what is not the operation's is harmless).
 */
static void *busy_arg(FIXTURE_DATA(scene) *self,
		      const FIXTURE_VARIANT(scene) *variant, size_t room,
		      __u32 size)
{
	static struct mbx_event ev[4];
	unsigned char *buf = calloc(1, room);
	union {
		struct mbx_create_args create;
		struct mbx_submit_args submit;
		struct mbx_take_args take;
		struct mbx_cancel_args cancel;
		struct mbx_events_args events;
		struct mbx_collect_args collect;
		struct mbx_acquire_args acquire;
		struct mbx_release_args release;
	} *u = (void *)buf;

	switch (variant->cmd) {
	case MBX_IOC_BOX_CREATE:
		mbx_set_name(u->create.name, "ioctl.short");
		u->create.nslots = 1;
		u->create.slot_size = 64;
		break;
	case MBX_IOC_BOX_OPEN:
	case MBX_IOC_BOX_DESTROY:
		mbx_set_name(u->create.name, self->name);
		((struct mbx_open_args *)buf)->access = MBX_ACCESS_READ;
		break;
	case MBX_IOC_CALL_SUBMIT:
		u->submit.slot = 0;
		break;
	case MBX_IOC_CALL_TAKE:
		u->take.flags = MBX_WAIT_NONBLOCK;
		break;
	case MBX_IOC_CALL_CANCEL:
		u->cancel.slot = 2;
		u->cancel.call_id = self->pending_id;
		break;
	case MBX_IOC_EVENTS_READ:
		u->events.events = (__u64)(unsigned long)ev;
		u->events.count = 4;
		u->events.event_size = sizeof(ev[0]);
		break;
	case MBX_IOC_SLOT_ACQUIRE:
		u->acquire.slot = 3;
		u->acquire.flags = MBX_WAIT_NONBLOCK;
		break;
	case MBX_IOC_SLOT_RELEASE:
		u->release.slot = 0;
		break;
	case MBX_IOC_CALL_COLLECT:
		u->collect.flags = MBX_WAIT_NONBLOCK;
		break;
	}
	*(__u32 *)buf = size;
	return buf;
}

/* size = sizeof - 8: EINVAL, and the scene is exactly as it was. */
TEST_F(scene, short_size_is_einval_and_changes_nothing)
{
	struct picture before, after;
	void *arg;

	take_picture(_metadata, self, &before);
	arg = busy_arg(self, variant, variant->size, variant->size - 8);
	EXPECT_EQ(-EINVAL, mbx_ioctl(variant_fd(self, variant), variant->cmd,
				     arg));
	free(arg);
	take_picture(_metadata, self, &after);
	EXPECT_EQ(0, memcmp(&before, &after, sizeof(before)));
	/* The callee's event is still queued. */
	EXPECT_TRUE(after.callee_revents & POLLPRI);
}

/* One non-zero byte past the struct: E2BIG, nothing done. */
TEST_F(scene, nonzero_tail_is_e2big_and_changes_nothing)
{
	struct picture before, after;
	unsigned char *arg;

	take_picture(_metadata, self, &before);
	arg = busy_arg(self, variant, variant->size + 8, variant->size + 8);
	arg[variant->size + 3] = 1;
	EXPECT_EQ(-E2BIG, mbx_ioctl(variant_fd(self, variant), variant->cmd,
				    arg));
	free(arg);
	take_picture(_metadata, self, &after);
	EXPECT_EQ(0, memcmp(&before, &after, sizeof(before)));
}

TEST_F(scene, size_above_the_page_is_e2big)
{
	long page = sysconf(_SC_PAGESIZE);
	void *arg;

	arg = busy_arg(self, variant, page + 8, page + 8);
	EXPECT_EQ(-E2BIG, mbx_ioctl(variant_fd(self, variant), variant->cmd,
				    arg));
	free(arg);
}

/* Unknown flag bits: the reserved wait range (bit 2) and bit 31. */
TEST_F(scene, unknown_flag_bits_are_einval)
{
	struct picture before, after;
	__u32 *arg;

	take_picture(_metadata, self, &before);
	arg = busy_arg(self, variant, variant->size, variant->size);
	arg[1] |= 1U << 2;
	EXPECT_EQ(-EINVAL, mbx_ioctl(variant_fd(self, variant), variant->cmd,
				     arg));
	arg[1] &= ~(1U << 2);
	arg[1] |= 1U << 31;
	EXPECT_EQ(-EINVAL, mbx_ioctl(variant_fd(self, variant), variant->cmd,
				     arg));
	free(arg);
	take_picture(_metadata, self, &after);
	EXPECT_EQ(0, memcmp(&before, &after, sizeof(before)));
}

/* An ioctl of the other kind of fd: ENOTTY (MBX_IOC_API works on both). */
TEST_F(scene, other_kind_of_fd_is_enotty)
{
	void *arg;
	int fd;

	if (variant->cmd == MBX_IOC_API)
		SKIP(return, "valid on both kinds of fd");
	fd = variant->on == ON_DEV ? self->c : self->dev;
	arg = busy_arg(self, variant, variant->size, variant->size);
	EXPECT_EQ(-ENOTTY, mbx_ioctl(fd, variant->cmd, arg));
	free(arg);
}

/* ------------------------------------------------------------------ */

FIXTURE(dev) {
	int dev;
};

FIXTURE_SETUP(dev)
{
	self->dev = mbx_dev_open();
	ASSERT_LE(0, self->dev);
}

FIXTURE_TEARDOWN(dev)
{
	close(self->dev);
}

TEST_F(dev, unknown_commands_are_enotty)
{
	struct mbx_api_args a = { .size = sizeof(a), .api = 1 };
	char name[MBX_NAME_MAX];
	int fd;

	mbx_unique_name(name, "enotty");
	fd = mbx_create(self->dev, name, 1, 64, 0600);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOTTY, mbx_ioctl(self->dev, _IO(MBX_IOC_MAGIC, 0x3f), &a));
	EXPECT_EQ(-ENOTTY, mbx_ioctl(fd, _IO(MBX_IOC_MAGIC, 0x3f), &a));
	/* The size and direction bits are not ours to use. */
	EXPECT_EQ(-ENOTTY, mbx_ioctl(self->dev,
				     _IOWR(MBX_IOC_MAGIC, 0x00,
					   struct mbx_api_args), &a));
	EXPECT_EQ(-ENOTTY, mbx_ioctl(fd, _IO(0xBD, 0x10), &a));
	close(fd);
	mbx_destroy(self->dev, name);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* A timeout at or beyond 2^63 ns is no negative time: a signal ends it. */
TEST_F(dev, huge_timeouts_wait_for_a_signal)
{
	static const __u64 timeouts[] = { ~0ULL, 1ULL << 63 };
	struct sigaction sa = { .sa_handler = on_alarm };
	struct mbx_take_args t;
	char name[MBX_NAME_MAX];
	unsigned int i;
	int fd;

	mbx_unique_name(name, "huge");
	fd = mbx_create(self->dev, name, 1, 64, 0600);
	ASSERT_LE(0, fd);
	/* No SA_RESTART: the wait ends with EINTR. */
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	for (i = 0; i < 2; i++) {
		__u64 start = mbx_now_ns();

		memset(&t, 0, sizeof(t));
		t.size = sizeof(t);
		t.flags = MBX_WAIT_TIMEOUT;
		t.timeout_ns = timeouts[i];
		ualarm(200000, 0);
		EXPECT_EQ(-EINTR, mbx_ioctl(fd, MBX_IOC_CALL_TAKE, &t));
		EXPECT_LE(start + 150 * MS, mbx_now_ns());
	}
	close(fd);
	mbx_destroy(self->dev, name);
}

/*
 * BOX_LIST sized by what exists, not by the request: a count of 2^32 - 1
 * with max_boxes raised allocates nothing (no allocation warning in the
 * kernel log, which the runner checks) and fills what exists.
 */
TEST_F(dev, list_with_a_huge_count)
{
	const size_t room = 1 << 20;
	struct mbx_list_args la = { .size = sizeof(la) };
	struct mbx_box_entry *e;
	char name[MBX_NAME_MAX];
	unsigned long old;
	FILE *f;
	int fd;

	if (geteuid())
		SKIP(return, "needs root to raise max_boxes");
	f = fopen("/sys/module/mbx/parameters/max_boxes", "r+");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(1, fscanf(f, "%lu", &old));
	rewind(f);
	ASSERT_LT(0, fprintf(f, "40000000\n"));
	ASSERT_EQ(0, fflush(f));
	mbx_unique_name(name, "list");
	fd = mbx_create(self->dev, name, 1, 64, 0600);
	ASSERT_LE(0, fd);
	e = mmap(NULL, room, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, e);
	la.entries = (__u64)(unsigned long)e;
	la.count = 0xffffffff;
	la.entry_size = sizeof(*e);
	EXPECT_EQ(0, mbx_ioctl(self->dev, MBX_IOC_BOX_LIST, &la));
	EXPECT_LE(1, la.out_count);
	EXPECT_EQ(la.out_total, la.out_count);
	rewind(f);
	fprintf(f, "%lu\n", old);
	fclose(f);
	munmap(e, room);
	close(fd);
	mbx_destroy(self->dev, name);
}

/* ------------------------------------------------------------------ */
/* Rights carried by an fd passed to another uid                        */

static int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	char byte = 'f';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -errno;
}

static int recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;
	int fd;

	if (recvmsg(sock, &msg, 0) != 1)
		return -errno;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -EPROTO;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

static void become_nobody(void)
{
	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
		_exit(100);
}

FIXTURE(passed) {
	int dev, fd, ro;
	int sock[2];
	char name[MBX_NAME_MAX];
};

FIXTURE_SETUP(passed)
{
	if (geteuid())
		SKIP(return, "needs root to switch uids");
	self->dev = mbx_dev_open();
	ASSERT_LE(0, self->dev);
	mbx_unique_name(self->name, "passed");
	self->fd = mbx_create(self->dev, self->name, 4, 64, 0600);
	ASSERT_LE(0, self->fd);
	self->ro = mbx_open(self->dev, self->name, MBX_ACCESS_READ);
	ASSERT_LE(0, self->ro);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM, 0, self->sock));
}

FIXTURE_TEARDOWN(passed)
{
	if (geteuid())
		return;
	close(self->fd);
	close(self->ro);
	close(self->sock[0]);
	close(self->sock[1]);
	mbx_destroy(self->dev, self->name);
	close(self->dev);
}

/* Runs @fn as nobody with the fd root sends it; its exit status. */
static int as_nobody_with(FIXTURE_DATA(passed) *self, int fd,
			  int (*fn)(FIXTURE_DATA(passed) *, int))
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid) {
		int got;

		become_nobody();
		got = recv_fd(self->sock[1]);
		_exit(got < 0 ? 101 : fn(self, got));
	}
	if (send_fd(self->sock[0], fd))
		return -1;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* nobody: refused a new open, served through root's read-write fd. */
static int use_rw(FIXTURE_DATA(passed) *self, int fd)
{
	struct mbx_events_args ea = { .size = sizeof(ea) };
	struct mbx_stats_args st;
	struct mbx_event ev[2];
	struct mbx_call call;
	int dev = mbx_dev_open();
	void *p;

	if (dev < 0)
		return 1;
	if (mbx_open(dev, self->name, MBX_ACCESS_READ) != -EACCES)
		return 2;
	if (mbx_acquire(fd, 0, 0, 0, NULL) != 0)
		return 3;
	if (mbx_submit(fd, 0, 1, 4, 9, NULL))
		return 4;
	if (mbx_take(fd, MBX_WAIT_NONBLOCK, 0, &call) || call.user_data != 9)
		return 5;
	if (mbx_complete(fd, call.slot, call.call_id, 0, 0))
		return 6;
	if (mbx_collect(fd, MBX_WAIT_NONBLOCK, 0, 0, 0, &call))
		return 7;
	if (mbx_stats(fd, &st) || st.out_completed != 1)
		return 8;
	ea.events = (__u64)(unsigned long)ev;
	ea.count = 2;
	ea.event_size = sizeof(ev[0]);
	if (mbx_ioctl(fd, MBX_IOC_EVENTS_READ, &ea) || ea.out_count)
		return 9;
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 10;
	munmap(p, 4096);
	return mbx_release(fd, call.slot) ? 11 : 0;
}

/* nobody with root's read-only fd: reads, never writes. */
static int use_ro(FIXTURE_DATA(passed) *self, int fd)
{
	struct mbx_events_args ea = { .size = sizeof(ea) };
	struct mbx_slot_info si;
	struct mbx_event ev[2];
	void *p;

	(void)self;
	if (mbx_slot_info(fd, 0, &si))
		return 1;
	ea.events = (__u64)(unsigned long)ev;
	ea.count = 2;
	ea.event_size = sizeof(ev[0]);
	if (mbx_ioctl(fd, MBX_IOC_EVENTS_READ, &ea))
		return 2;
	if (mbx_acquire(fd, 0, 0, 0, NULL) != -EBADF)
		return 3;
	if (mbx_take(fd, MBX_WAIT_NONBLOCK, 0, NULL) != -EBADF)
		return 4;
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p != MAP_FAILED || errno != EACCES)
		return 5;
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 6;
	if (!mprotect(p, 4096, PROT_READ | PROT_WRITE))
		return 7;
	return 0;
}

TEST_F(passed, read_write_fd_keeps_its_rights)
{
	EXPECT_EQ(0, as_nobody_with(self, self->fd, use_rw));
}

TEST_F(passed, read_only_fd_keeps_its_limits)
{
	EXPECT_EQ(0, as_nobody_with(self, self->ro, use_ro));
}

/* The mode changes later opens only. */
TEST_F(passed, chmod_affects_later_opens_only)
{
	struct mbx_set_args s = { .size = sizeof(s), .flags = MBX_SET_MODE,
				  .mode = 0666 };
	int status, up[2], down[2];
	char c;
	pid_t pid;

	ASSERT_EQ(0, mbx_ioctl(self->fd, MBX_IOC_BOX_SET, &s));
	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(down));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int dev, fd;

		become_nobody();
		dev = mbx_dev_open();
		fd = mbx_open(dev, self->name,
			      MBX_ACCESS_READ | MBX_ACCESS_WRITE);
		if (fd < 0)
			_exit(1);
		if (write(up[1], "o", 1) != 1 || read(down[0], &c, 1) != 1)
			_exit(2);
		/* Narrowed to 0600 meanwhile: this fd still works. */
		if (mbx_acquire(fd, 0, 3, 0, NULL) != 3)
			_exit(3);
		if (mbx_submit(fd, 3, 1, 0, 0, NULL))
			_exit(4);
		/* A new open is refused. */
		if (mbx_open(dev, self->name, MBX_ACCESS_READ) != -EACCES)
			_exit(5);
		_exit(0);
	}
	ASSERT_EQ(1, read(up[0], &c, 1));
	s.mode = 0600;
	ASSERT_EQ(0, mbx_ioctl(self->fd, MBX_IOC_BOX_SET, &s));
	ASSERT_EQ(1, write(down[1], "m", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* ------------------------------------------------------------------ */
/* /proc/driver/mailbox                                                 */

static char *read_proc(int fd, size_t chunk)
{
	size_t len = 0, cap = 1 << 16;
	char *buf = malloc(cap + 1);
	ssize_t n;

	lseek(fd, 0, SEEK_SET);
	for (;;) {
		if (len + chunk > cap) {
			cap *= 2;
			buf = realloc(buf, cap + 1);
		}
		n = read(fd, buf + len, chunk);
		if (n <= 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	return n < 0 ? (free(buf), NULL) : buf;
}

/* Every line a whole record: "box name=..." or "slot box=...", then \n. */
static int well_formed(const char *text)
{
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');

		if (!nl)
			return 0;
		if (strncmp(p, "box name=", 9) && strncmp(p, "slot box=", 9))
			return 0;
		if (!memmem(p, nl - p, " state=", 7) &&
		    !memmem(p, nl - p, " oldest_pending_ns=", 19))
			return 0;
		p = nl + 1;
	}
	return 1;
}

TEST_F(dev, proc_read_while_mailboxes_come_and_go)
{
	char name[MBX_NAME_MAX], line[MBX_NAME_MAX + 16];
	int fd, pf, i, reads = 0;
	__u64 end;
	pid_t pid;

	mbx_unique_name(name, "stays");
	fd = mbx_create(self->dev, name, 8, 64, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(5, mbx_acquire(fd, 0, 5, 0, NULL));
	snprintf(line, sizeof(line), "box name=%s ", name);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int dev = mbx_dev_open(), fds[64];
		char n[64][MBX_NAME_MAX];

		end = mbx_now_ns() + 2000 * MS;
		while (mbx_now_ns() < end) {
			for (i = 0; i < 64; i++) {
				mbx_unique_name(n[i], "churn");
				fds[i] = mbx_create(dev, n[i], 2, 64, 0644);
				if (fds[i] >= 0 && !(i % 3))
					mbx_acquire(fds[i], 0, 1, 0, NULL);
			}
			for (i = 0; i < 64; i++) {
				if (fds[i] >= 0)
					close(fds[i]);
				mbx_destroy(dev, n[i]);
			}
		}
		_exit(0);
	}
	pf = open("/proc/driver/mailbox", O_RDONLY);
	ASSERT_LE(0, pf);
	end = mbx_now_ns() + 2000 * MS;
	while (mbx_now_ns() < end) {
		char *text = read_proc(pf, reads % 2 ? 100 : 65536);

		ASSERT_NE(NULL, text);
		EXPECT_TRUE(well_formed(text));
		EXPECT_NE(NULL, strstr(text, line));
		free(text);
		reads++;
	}
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	EXPECT_LT(2, reads);
	close(pf);
	close(fd);
	mbx_destroy(self->dev, name);
}

/* What is shown is what the file's opener may read, whoever reads it. */
TEST_F(dev, proc_filtered_by_its_opener)
{
	char name[MBX_NAME_MAX], line[MBX_NAME_MAX + 16];
	int fd, sock[2], status, pf;
	char *text;
	pid_t pid;

	if (geteuid())
		SKIP(return, "needs root to switch uids");
	mbx_unique_name(name, "private");
	fd = mbx_create(self->dev, name, 1, 64, 0600);
	ASSERT_LE(0, fd);
	snprintf(line, sizeof(line), "box name=%s ", name);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM, 0, sock));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int p;

		become_nobody();
		p = open("/proc/driver/mailbox", O_RDONLY);
		_exit(p < 0 || send_fd(sock[1], p) ? 1 : 0);
	}
	pf = recv_fd(sock[0]);
	ASSERT_LE(0, pf);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* Read by root: still nobody's view. */
	text = read_proc(pf, 4096);
	ASSERT_NE(NULL, text);
	EXPECT_EQ(NULL, strstr(text, line));
	free(text);
	close(pf);
	pf = open("/proc/driver/mailbox", O_RDONLY);
	ASSERT_LE(0, pf);
	text = read_proc(pf, 4096);
	ASSERT_NE(NULL, text);
	EXPECT_NE(NULL, strstr(text, line));
	free(text);
	close(pf);
	close(sock[0]);
	close(sock[1]);
	close(fd);
	mbx_destroy(self->dev, name);
}

TEST_HARNESS_MAIN
