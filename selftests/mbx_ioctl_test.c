// SPDX-License-Identifier: GPL-2.0
/*
 * BOX_LIST with a count far beyond what exists. The access an fd
 * carries: passed over a unix socket it keeps its rights, a new open is
 * checked against the mode of now. Then /proc/driver/mailbox, read while
 * mailboxes come and go, and filtered with the credentials of its
 * opener. (The size, tail, flag and fd-kind rules of every ioctl, unknown
 * commands and huge timeouts are mbx_abi_test's.)
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

#define MS		1000000ULL

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

		if (mbx_drop_to_other())
			_exit(100);
		got = mbx_recv_fd(self->sock[1]);
		_exit(got < 0 ? 101 : fn(self, got));
	}
	if (mbx_send_fd(self->sock[0], fd))
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

		if (mbx_drop_to_other())
			_exit(100);
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

		if (mbx_drop_to_other())
			_exit(100);
		p = open("/proc/driver/mailbox", O_RDONLY);
		_exit(p < 0 || mbx_send_fd(sock[1], p) ? 1 : 0);
	}
	pf = mbx_recv_fd(sock[0]);
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
