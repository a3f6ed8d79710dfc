// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/driver/mailbox: read while another process creates and destroys
 * mailboxes, every read whole and well formed and the mailbox that lives
 * throughout always listed; a mailbox with more slot lines than one page
 * listed completely whatever the read size; and the view is that of the
 * process that opened the file, whoever reads it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mbx_helpers.h"

MBX_SKIP_WITHOUT_DEVICE

#define PROC_PATH	"/proc/driver/mailbox"
#define TEXT_MAX	(16 << 20)

/* Read the open file @fd to its end, @chunk bytes a read(); its length. */
static ssize_t read_all(int fd, char *buf, size_t max, size_t chunk)
{
	size_t len = 0;
	ssize_t n;

	for (;;) {
		if (len + chunk > max)
			return -E2BIG;
		n = read(fd, buf + len, chunk);
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	return len;
}

static ssize_t read_proc(char *buf, size_t max, size_t chunk)
{
	int fd = open(PROC_PATH, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read_all(fd, buf, max, chunk);
	close(fd);
	return n;
}

/* One line, without its '\n': "box name=..." or "slot box=...". */
static int line_ok(const char *l, size_t n)
{
	static const char *const box_end = " oldest_pending_ns=";
	static const char *const slot_end = " held_ns=";
	const char *end;
	char tmp[1024];

	if (n >= sizeof(tmp))
		return 0;
	memcpy(tmp, l, n);
	tmp[n] = '\0';
	if (!strncmp(tmp, "box name=", 9)) {
		if (!strstr(tmp, " slots=") || !strstr(tmp, " mode=0"))
			return 0;
		end = strstr(tmp, box_end);
		if (!end)
			return 0;
		end += strlen(box_end);
	} else if (!strncmp(tmp, "slot box=", 9)) {
		if (!strstr(tmp, " slot=") || !strstr(tmp, " state="))
			return 0;
		end = strstr(tmp, slot_end);
		if (!end)
			return 0;
		end += strlen(slot_end);
	} else {
		return 0;
	}
	/* the last field's digits end the line */
	if (!*end)
		return 0;
	while (*end >= '0' && *end <= '9')
		end++;
	return *end == '\0';
}

/*
 * Check a whole text: every line well formed and ended by '\n'. Counts
 * the box lines of @name (in *@boxes) and its slot lines (in *@slots).
 * Returns the first bad line's offset + 1, or 0.
 */
static size_t text_check(const char *t, size_t len, const char *name,
			 unsigned int *boxes, unsigned int *slots)
{
	char boxpfx[MBX_NAME_MAX + 16], slotpfx[MBX_NAME_MAX + 16];
	size_t off = 0, bl, sl;

	bl = snprintf(boxpfx, sizeof(boxpfx), "box name=%s ", name);
	sl = snprintf(slotpfx, sizeof(slotpfx), "slot box=%s ", name);
	*boxes = *slots = 0;
	while (off < len) {
		const char *nl = memchr(t + off, '\n', len - off);
		size_t n;

		if (!nl)
			return off + 1;
		n = nl - (t + off);
		if (!line_ok(t + off, n))
			return off + 1;
		if (n >= bl && !memcmp(t + off, boxpfx, bl))
			(*boxes)++;
		if (n >= sl && !memcmp(t + off, slotpfx, sl))
			(*slots)++;
		off += n + 1;
	}
	return 0;
}

struct proc_self {
	int dev, box;
	char name[MBX_NAME_MAX];
	char *text;
};

static void proc_setup(struct __test_metadata *_metadata,
		       struct proc_self *self)
{
	self->text = NULL;
	self->box = -1;
	if (access(PROC_PATH, R_OK))
		SKIP(return, PROC_PATH " absent");
	self->text = malloc(TEXT_MAX);
	ASSERT_NE(NULL, self->text);
	self->dev = mbx_dev_open();
	ASSERT_LE(0, self->dev);
	mbx_unique_name(self->name, "proc");
}

static void proc_teardown(struct proc_self *self)
{
	if (!self->text)
		return;
	mbx_destroy(self->dev, self->name);
	if (self->box >= 0)
		close(self->box);
	close(self->dev);
	free(self->text);
}

FIXTURE(churn) {
	struct proc_self p;
};

FIXTURE_SETUP(churn)
{
	proc_setup(_metadata, &self->p);
}

FIXTURE_TEARDOWN(churn)
{
	proc_teardown(&self->p);
}

FIXTURE(slots) {
	struct proc_self p;
};

FIXTURE_VARIANT(slots) {
	size_t chunk;
};

FIXTURE_SETUP(slots)
{
	proc_setup(_metadata, &self->p);
}

FIXTURE_TEARDOWN(slots)
{
	proc_teardown(&self->p);
}

FIXTURE_VARIANT_ADD(slots, read_100) { .chunk = 100 };
FIXTURE_VARIANT_ADD(slots, read_page) { .chunk = 4096 };
FIXTURE_VARIANT_ADD(slots, read_big) { .chunk = 1 << 20 };

#define CHURN_BOXES	64
#define CHURN_MS	3000

TEST_F(churn, reads_whole_and_well_formed)
{
	struct proc_self *p = &self->p;
	unsigned int boxes, slots, reads = 0, i;
	__u64 end;
	pid_t pid;
	int held;

	p->box = mbx_create(p->dev, p->name, 4, 64, 0600);
	ASSERT_LE(0, p->box);
	/* a slot in use, so that the keeper has a slot line as well */
	held = mbx_acquire(p->box, MBX_WAIT_NONBLOCK, 1, 0, NULL);
	ASSERT_EQ(1, held);

	pid = mbx_fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char names[CHURN_BOXES][MBX_NAME_MAX];
		int fds[CHURN_BOXES];
		__u64 stop = mbx_now_ns() + CHURN_MS * 1000000ULL;
		int dev = mbx_dev_open();

		CHK(dev >= 0);
		for (i = 0; i < CHURN_BOXES; i++)
			mbx_unique_name(names[i], "churn");
		while (mbx_now_ns() < stop) {
			for (i = 0; i < CHURN_BOXES; i++) {
				fds[i] = mbx_create(dev, names[i], 2, 64,
						    0600);
				CHK(fds[i] >= 0);
				if (i % 2)
					CHK(mbx_acquire(fds[i],
							MBX_WAIT_NONBLOCK, 0,
							0, NULL) == 0);
			}
			for (i = 0; i < CHURN_BOXES; i++) {
				CHK(mbx_destroy(dev, names[i]) == 0);
				close(fds[i]);
			}
		}
		_exit(0);
	}

	end = mbx_now_ns() + (CHURN_MS + 500) * 1000000ULL;
	while (mbx_now_ns() < end) {
		size_t chunk = (reads % 3 == 0) ? 100 :
			       (reads % 3 == 1) ? 4096 : 65536;
		ssize_t n = read_proc(p->text, TEXT_MAX, chunk);
		size_t bad;

		ASSERT_LE(0, n) {
			TH_LOG("read %u: %s", reads, strerror(-n));
		}
		bad = text_check(p->text, n, p->name, &boxes, &slots);
		ASSERT_EQ(0, bad) {
			TH_LOG("read %u (chunk %zu): bad line at %zu: %.200s",
			       reads, chunk, bad - 1, p->text + bad - 1);
		}
		ASSERT_EQ(1, boxes) {
			TH_LOG("read %u: the keeper listed %u times", reads,
			       boxes);
		}
		ASSERT_EQ(1, slots);
		reads++;
	}
	EXPECT_EQ(0, mbx_reap(pid));
	EXPECT_LT(10, reads);
	TH_LOG("%u reads", reads);
}

#define MANY_SLOTS	2000

TEST_F(slots, many_listed_completely)
{
	struct proc_self *p = &self->p;
	unsigned int boxes, slots, i;
	ssize_t n;
	size_t bad;
	__u64 id;

	p->box = mbx_create(p->dev, p->name, MANY_SLOTS, 64, 0600);
	ASSERT_LE(0, p->box);
	for (i = 0; i < MANY_SLOTS; i++) {
		ASSERT_EQ((int)i, mbx_acquire(p->box, MBX_WAIT_NONBLOCK, i,
					      0, NULL));
		if (i % 2)
			ASSERT_EQ(0, mbx_submit(p->box, i, 7, 8, i, &id));
	}
	n = read_proc(p->text, TEXT_MAX, variant->chunk);
	ASSERT_LE(0, n);
	EXPECT_LT(4096, n);
	bad = text_check(p->text, n, p->name, &boxes, &slots);
	EXPECT_EQ(0, bad) {
		TH_LOG("bad line at %zu: %.200s", bad - 1,
		       p->text + bad - 1);
	}
	EXPECT_EQ(1, boxes);
	EXPECT_EQ(MANY_SLOTS, slots);
}

/* ------------------------------------------------------------------ */
/* The view is the opener's                                              */

FIXTURE(opener) {
	int dev, secret, public;
	char sname[MBX_NAME_MAX], pname[MBX_NAME_MAX];
	int sv[2];
	char *text;
};

FIXTURE_SETUP(opener)
{
	if (geteuid() != 0)
		SKIP(return, "switching uid needs root");
	if (access(PROC_PATH, R_OK))
		SKIP(return, PROC_PATH " absent");
	self->text = malloc(TEXT_MAX);
	ASSERT_NE(NULL, self->text);
	self->dev = mbx_dev_open();
	ASSERT_LE(0, self->dev);
	mbx_unique_name(self->sname, "secret");
	mbx_unique_name(self->pname, "public");
	self->secret = mbx_create(self->dev, self->sname, 2, 64, 0600);
	ASSERT_LE(0, self->secret);
	ASSERT_EQ(0, mbx_acquire(self->secret, MBX_WAIT_NONBLOCK, 0, 0, NULL));
	self->public = mbx_create(self->dev, self->pname, 2, 64, 0666);
	ASSERT_LE(0, self->public);
	ASSERT_EQ(0, mbx_acquire(self->public, MBX_WAIT_NONBLOCK, 0, 0, NULL));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				self->sv));
}

FIXTURE_TEARDOWN(opener)
{
	if (!self->text)
		return;
	mbx_destroy(self->dev, self->sname);
	mbx_destroy(self->dev, self->pname);
	close(self->secret);
	close(self->public);
	close(self->dev);
	close(self->sv[0]);
	close(self->sv[1]);
	free(self->text);
}

static void count_views(struct __test_metadata *_metadata, const char *t,
			size_t n, const char *sname, const char *pname,
			unsigned int *sb, unsigned int *ss, unsigned int *pb)
{
	unsigned int ps;

	ASSERT_EQ(0, text_check(t, n, sname, sb, ss));
	ASSERT_EQ(0, text_check(t, n, pname, pb, &ps));
	EXPECT_EQ(*pb, ps);
}

/* Opened by the other uid, read by root: the other uid's view. */
TEST_F(opener, opened_by_other_read_by_root)
{
	unsigned int sb, ss, pb;
	ssize_t n;
	pid_t pid;
	int fd;

	pid = mbx_fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		CHK(mbx_drop_to_other() == 0);
		fd = open(PROC_PATH, O_RDONLY | O_CLOEXEC);
		CHK(fd >= 0);
		CHK(mbx_send_fd(self->sv[1], fd) == 0);
		_exit(0);
	}
	fd = mbx_recv_fd(self->sv[0]);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, mbx_reap(pid));
	n = read_all(fd, self->text, TEXT_MAX, 4096);
	close(fd);
	ASSERT_LE(0, n);
	count_views(_metadata, self->text, n, self->sname, self->pname,
		    &sb, &ss, &pb);
	EXPECT_EQ(0, sb);
	EXPECT_EQ(0, ss);
	EXPECT_EQ(1, pb);
}

/* Opened by the other uid before fork's parent reads it: same. */
TEST_F(opener, opened_by_other_read_after_fork)
{
	unsigned int sb, ss, pb;
	ssize_t n;
	pid_t pid;
	int fd;

	/* The child opens, then sends; the reader reads from offset 0. */
	pid = mbx_fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		CHK(mbx_drop_to_other() == 0);
		fd = open(PROC_PATH, O_RDONLY | O_CLOEXEC);
		CHK(fd >= 0);
		CHK(mbx_send_fd(self->sv[1], fd) == 0);
		CHK(mbx_wait_signal(self->sv[1]) == 0);
		_exit(0);
	}
	fd = mbx_recv_fd(self->sv[0]);
	ASSERT_LE(0, fd);
	/* the opener is still alive while root reads, with 100-byte reads */
	n = read_all(fd, self->text, TEXT_MAX, 100);
	ASSERT_EQ(0, mbx_signal(self->sv[0]));
	EXPECT_EQ(0, mbx_reap(pid));
	close(fd);
	ASSERT_LE(0, n);
	count_views(_metadata, self->text, n, self->sname, self->pname,
		    &sb, &ss, &pb);
	EXPECT_EQ(0, sb);
	EXPECT_EQ(0, ss);
	EXPECT_EQ(1, pb);
}

/* Opened by root: root's view, whoever reads. */
TEST_F(opener, opened_by_root_read_by_other)
{
	unsigned int sb, ss, pb;
	ssize_t n;
	pid_t pid;
	int fd;

	n = read_proc(self->text, TEXT_MAX, 4096);
	ASSERT_LE(0, n);
	count_views(_metadata, self->text, n, self->sname, self->pname,
		    &sb, &ss, &pb);
	EXPECT_EQ(1, sb);
	EXPECT_EQ(1, ss);
	EXPECT_EQ(1, pb);

	fd = open(PROC_PATH, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	pid = mbx_fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		unsigned int b, s;
		ssize_t m;
		int rfd;

		CHK(mbx_drop_to_other() == 0);
		rfd = mbx_recv_fd(self->sv[1]);
		CHK(rfd >= 0);
		m = read_all(rfd, self->text, TEXT_MAX, 4096);
		CHK(m >= 0);
		CHK(text_check(self->text, m, self->sname, &b, &s) == 0);
		CHK(b == 1 && s == 1);
		_exit(0);
	}
	ASSERT_EQ(0, mbx_send_fd(self->sv[0], fd));
	close(fd);
	EXPECT_EQ(0, mbx_reap(pid));
}

TEST_HARNESS_MAIN
