// SPDX-License-Identifier: GPL-2.0
/*
 * The libmailbox examples (examples/) run as a user runs them, and must
 * exit 0: the caller checks every answer it gets, so a pair passes only if
 * every call made the round trip intact. The examples are built with
 * nothing but `pkg-config --cflags --libs libmailbox` against an installed
 * (staged) libmailbox, and linked to libmailbox.so.1.
 *
 * The programs are looked for in $MBX_EXAMPLES, then in examples/ of the
 * build tree (../../examples from this test), then on PATH (the test VM
 * puts them in /usr/bin). A missing program fails its test. Skips when
 * /dev/mailbox is absent.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/mbx.h>

#include "kselftest_harness.h"
#include "mbx_helpers.h"

#define WAIT_S		20	/* for a program to start or to end */
#define OUT_MAX		8192

/* Find example @name; 0 and its path in @path, or -ENOENT. */
static int find_example(const char *name, char *path, size_t size)
{
	char self[PATH_MAX - 32], *dir, *env = getenv("MBX_EXAMPLES");
	const char *pathenv = getenv("PATH");
	ssize_t n;

	if (env && *env) {
		snprintf(path, size, "%s/%s", env, name);
		if (!access(path, X_OK))
			return 0;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		dir = strrchr(self, '/');
		if (dir) {
			*dir = '\0';
			snprintf(path, size, "%s/../../examples/%s", self, name);
			if (!access(path, X_OK))
				return 0;
		}
	}
	while (pathenv && *pathenv) {
		size_t len = strcspn(pathenv, ":");

		snprintf(path, size, "%.*s/%s", (int)len, pathenv, name);
		if (len && !access(path, X_OK))
			return 0;
		pathenv += len + (pathenv[len] == ':');
	}
	return -ENOENT;
}

/* A running example, its stdout and stderr read through a pipe. */
struct proc {
	const char *name;
	pid_t pid;
	int out;
	char buf[OUT_MAX];
	size_t len;
};

/* Start @argv[0] (an example's name); 0 or -errno. */
static int start(struct proc *p, char *const argv[])
{
	char path[PATH_MAX];
	int pfd[2];

	memset(p, 0, sizeof(*p));
	p->name = argv[0];
	p->pid = -1;
	p->out = -1;
	if (find_example(argv[0], path, sizeof(path)))
		return -ENOENT;
	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	p->pid = fork();
	if (p->pid < 0)
		return -errno;
	if (p->pid == 0) {
		dup2(pfd[1], STDOUT_FILENO);
		dup2(pfd[1], STDERR_FILENO);
		execv(path, argv);
		_exit(127);
	}
	close(pfd[1]);
	p->out = pfd[0];
	return 0;
}

/* Read what is there, waiting up to @ms for more; bytes read or 0. */
static size_t gather(struct proc *p, int ms)
{
	struct pollfd pfd = { .fd = p->out, .events = POLLIN };
	ssize_t n;

	if (p->out < 0 || poll(&pfd, 1, ms) <= 0)
		return 0;
	n = read(p->out, p->buf + p->len, sizeof(p->buf) - 1 - p->len);
	if (n <= 0) {
		close(p->out);
		p->out = -1;
		return 0;
	}
	p->len += n;
	p->buf[p->len] = '\0';
	return n;
}

/* Wait until the output holds @text; 0 or -ETIMEDOUT. */
static int wait_for(struct proc *p, const char *text)
{
	time_t end = time(NULL) + WAIT_S;

	while (!strstr(p->buf, text)) {
		if (time(NULL) > end || (p->out < 0))
			return -ETIMEDOUT;
		gather(p, 100);
	}
	return 0;
}

/* Wait for the exit; its status, 1000 + signal, or -ETIMEDOUT (killed). */
static int finish(struct proc *p)
{
	time_t end = time(NULL) + WAIT_S;
	int status;

	if (p->pid <= 0)
		return -ECHILD;
	for (;;) {
		gather(p, 50);
		if (waitpid(p->pid, &status, WNOHANG) == p->pid)
			break;
		if (time(NULL) > end) {
			kill(p->pid, SIGKILL);
			waitpid(p->pid, &status, 0);
			p->pid = -1;
			return -ETIMEDOUT;
		}
	}
	while (gather(p, 0))
		;
	p->pid = -1;
	if (WIFSIGNALED(status))
		return 1000 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static void show(struct __test_metadata *_metadata, struct proc *p)
{
	char *line, *save = NULL;

	for (line = strtok_r(p->buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		TH_LOG("%s| %s", p->name, line);
}

static void stop_all(struct proc *procs, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (procs[i].pid > 0) {
			kill(procs[i].pid, SIGKILL);
			waitpid(procs[i].pid, NULL, 0);
		}
		if (procs[i].out >= 0)
			close(procs[i].out);
	}
}

/* Whether the mailbox @name exists, asked of the kernel directly. */
static int box_exists(const char *name)
{
	struct mbx_open_args args = {
		.size = sizeof(args),
		.access = MBX_ACCESS_READ,
		.flags = MBX_OPEN_CLOEXEC,
	};
	int ctl, fd;

	strncpy((char *)args.name, name, MBX_NAME_MAX - 1);
	ctl = open(MBX_DEV, O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return -errno;
	fd = ioctl(ctl, MBX_IOC_BOX_OPEN, &args);
	if (fd >= 0)
		close(fd);
	close(ctl);
	return fd >= 0;
}

static void box_name(char *buf, const char *tag)
{
	snprintf(buf, MBX_NAME_MAX, "lib_examples.%d.%s", getpid(), tag);
}

#define START(p, ...) do { \
	char *const argv_[] = { __VA_ARGS__, NULL }; \
	int ret_ = start((p), argv_); \
	if (ret_ == -ENOENT) \
		TH_LOG("%s not found: build examples/ (make -C examples)", \
		       argv_[0]); \
	ASSERT_EQ(0, ret_); \
} while (0)

FIXTURE(ex) {
	struct proc p[3];
	int n;
};

FIXTURE_SETUP(ex)
{
	if (mbx_device_absent())
		SKIP(longjmp(_metadata->env, 1),
		     MBX_DEV " absent: mbx.ko not loaded");
	self->n = 3;
	/* Examples that fail print why; keep them apart from TAP. */
	signal(SIGPIPE, SIG_IGN);
}

FIXTURE_TEARDOWN(ex)
{
	int i;

	if (!_metadata->passed)
		for (i = 0; i < self->n; i++) {
			if (!self->p[i].name)
				continue;
			while (gather(&self->p[i], 200))
				;
			show(_metadata, &self->p[i]);
		}
	stop_all(self->p, self->n);
}

TEST_F(ex, caller_and_callee)
{
	char name[MBX_NAME_MAX];
	struct proc *callee = &self->p[0], *caller = &self->p[1];

	box_name(name, "pair");
	START(callee, "callee", "-n", "3", "-t", "20", name);
	ASSERT_EQ(0, wait_for(callee, "callee: serving"));
	START(caller, "caller", "-n", "3", "-t", "20", name);
	EXPECT_EQ(0, finish(caller));
	EXPECT_EQ(0, finish(callee));
	EXPECT_NE(NULL, strstr(caller->buf, "HELLO 2"));
	EXPECT_NE(NULL, strstr(caller->buf, "caller: 3 calls, 0 wrong"));
	EXPECT_NE(NULL, strstr(callee->buf, "callee: answered 3 calls"));
	/* The callee destroys its mailbox when it is done. */
	EXPECT_EQ(0, box_exists(name));
}

TEST_F(ex, caller_with_calls_in_flight)
{
	char name[MBX_NAME_MAX];
	struct proc *callee = &self->p[0], *caller = &self->p[1];

	box_name(name, "inflight");
	START(callee, "callee", "-n", "40", "-t", "20", name);
	ASSERT_EQ(0, wait_for(callee, "callee: serving"));
	/* More in flight than the callee's mailbox has slots. */
	START(caller, "caller", "-n", "40", "-p", "12", "-t", "20", name);
	EXPECT_EQ(0, finish(caller));
	EXPECT_EQ(0, finish(callee));
	EXPECT_NE(NULL, strstr(caller->buf, "caller: 40 calls, 0 wrong"));
}

TEST_F(ex, callee_stops_on_sigterm)
{
	char name[MBX_NAME_MAX];
	struct proc *callee = &self->p[0];

	box_name(name, "term");
	START(callee, "callee", name);
	ASSERT_EQ(0, wait_for(callee, "callee: serving"));
	EXPECT_EQ(1, box_exists(name));
	ASSERT_EQ(0, kill(callee->pid, SIGTERM));
	EXPECT_EQ(0, finish(callee));
	EXPECT_EQ(0, box_exists(name));
}

TEST_F(ex, epoll_loop_serves_the_caller)
{
	char name[MBX_NAME_MAX];
	struct proc *loop = &self->p[0], *caller = &self->p[1];

	box_name(name, "epoll");
	START(loop, "epoll_loop", "-n", "20", "-t", "20", name);
	ASSERT_EQ(0, wait_for(loop, "epoll_loop: serving"));
	START(caller, "caller", "-n", "20", "-p", "4", "-t", "20", name);
	EXPECT_EQ(0, finish(caller));
	EXPECT_EQ(0, finish(loop));
	EXPECT_NE(NULL, strstr(caller->buf, "caller: 20 calls, 0 wrong"));
	EXPECT_NE(NULL, strstr(loop->buf, "epoll_loop: answered 20 calls"));
	EXPECT_EQ(0, box_exists(name));
}

TEST_F(ex, epoll_loop_stops_on_sigterm)
{
	char name[MBX_NAME_MAX];
	struct proc *loop = &self->p[0];

	box_name(name, "epollterm");
	START(loop, "epoll_loop", name);
	ASSERT_EQ(0, wait_for(loop, "epoll_loop: serving"));
	ASSERT_EQ(0, kill(loop->pid, SIGTERM));
	EXPECT_EQ(0, finish(loop));
	EXPECT_EQ(0, box_exists(name));
}

TEST_F(ex, uring_callee_serves_the_caller)
{
	char name[MBX_NAME_MAX];
	struct proc *callee = &self->p[0], *caller = &self->p[1];

	box_name(name, "ucallee");
	START(callee, "uring_callee", "-n", "40", "-d", "4", name);
	ASSERT_EQ(0, wait_for(callee, "uring_callee: serving"));
	START(caller, "caller", "-n", "40", "-p", "6", "-t", "20", name);
	EXPECT_EQ(0, finish(caller));
	EXPECT_EQ(0, finish(callee));
	EXPECT_NE(NULL, strstr(caller->buf, "caller: 40 calls, 0 wrong"));
	EXPECT_NE(NULL, strstr(callee->buf, "uring_callee: answered 40 calls"));
	EXPECT_EQ(0, box_exists(name));
}

TEST_F(ex, uring_caller_is_served_by_the_callee)
{
	char name[MBX_NAME_MAX];
	struct proc *callee = &self->p[0], *caller = &self->p[1];

	box_name(name, "ucaller");
	START(callee, "callee", "-n", "40", "-t", "20", name);
	ASSERT_EQ(0, wait_for(callee, "callee: serving"));
	START(caller, "uring_caller", "-n", "40", "-p", "6", "-t", "20", name);
	EXPECT_EQ(0, finish(caller));
	EXPECT_EQ(0, finish(callee));
	EXPECT_NE(NULL, strstr(caller->buf, "uring_caller: 40 calls, 0 wrong"));
	EXPECT_NE(NULL, strstr(callee->buf, "callee: answered 40 calls"));
}

/* Armed takes waiting in io_uring's worker do not hold up SIGTERM. */
TEST_F(ex, uring_callee_stops_on_sigterm)
{
	char name[MBX_NAME_MAX];
	struct proc *callee = &self->p[0];

	box_name(name, "ustop");
	START(callee, "uring_callee", "-d", "8", name);
	ASSERT_EQ(0, wait_for(callee, "uring_callee: serving"));
	usleep(100000);
	ASSERT_EQ(0, kill(callee->pid, SIGTERM));
	EXPECT_EQ(0, finish(callee));
	EXPECT_NE(NULL, strstr(callee->buf, "uring_callee: answered 0 calls"));
	EXPECT_EQ(0, box_exists(name));
}

TEST_F(ex, uring_loop_serves_one_and_calls_another)
{
	char front[MBX_NAME_MAX], back[MBX_NAME_MAX];
	struct proc *callee = &self->p[0], *loop = &self->p[1];
	struct proc *caller = &self->p[2];

	box_name(front, "front");
	box_name(back, "back");
	START(callee, "callee", "-n", "30", "-t", "20", back);
	ASSERT_EQ(0, wait_for(callee, "callee: serving"));
	START(loop, "uring_loop", "-n", "30", "-t", "20", front, back);
	ASSERT_EQ(0, wait_for(loop, "uring_loop: serving"));
	/* 16 slots in FRONT, 8 in BACK: calls queue in the proxy. */
	START(caller, "caller", "-n", "30", "-p", "14", "-t", "20", front);
	EXPECT_EQ(0, finish(caller));
	EXPECT_EQ(0, finish(loop));
	EXPECT_EQ(0, finish(callee));
	EXPECT_NE(NULL, strstr(caller->buf, "caller: 30 calls, 0 wrong"));
	EXPECT_NE(NULL, strstr(loop->buf, "uring_loop: answered 30 calls"));
	EXPECT_NE(NULL, strstr(callee->buf, "callee: answered 30 calls"));
	EXPECT_EQ(0, box_exists(front));
	EXPECT_EQ(0, box_exists(back));
}

TEST_F(ex, uring_loop_stops_on_sigterm)
{
	char front[MBX_NAME_MAX], back[MBX_NAME_MAX];
	struct proc *callee = &self->p[0], *loop = &self->p[1];

	box_name(front, "front");
	box_name(back, "back");
	START(callee, "callee", back);
	ASSERT_EQ(0, wait_for(callee, "callee: serving"));
	START(loop, "uring_loop", front, back);
	ASSERT_EQ(0, wait_for(loop, "uring_loop: serving"));
	ASSERT_EQ(0, kill(loop->pid, SIGTERM));
	EXPECT_EQ(0, finish(loop));
	EXPECT_EQ(0, box_exists(front));
	ASSERT_EQ(0, kill(callee->pid, SIGTERM));
	EXPECT_EQ(0, finish(callee));
}

TEST_F(ex, uring_loop_passes_a_cancel_on)
{
	char front[MBX_NAME_MAX], back[MBX_NAME_MAX];
	struct proc *loop = &self->p[1];
	struct mbx_collect_args collect = { .size = sizeof(collect) };
	struct mbx_acquire_args acq = { .size = sizeof(acq) };
	struct mbx_submit_args sub = { .size = sizeof(sub) };
	struct mbx_cancel_args cancel = { .size = sizeof(cancel) };
	struct mbx_create_args cr = { .size = sizeof(cr) };
	struct mbx_open_args op = { .size = sizeof(op) };
	struct mbx_take_args take = { .size = sizeof(take) };
	struct mbx_event ev;
	struct mbx_events_args evs = {
		.size = sizeof(evs), .count = 1, .event_size = sizeof(ev),
		.events = (uintptr_t)&ev,
	};
	int ctl, bfd, ffd;

	/*
	 * BACK is served by this test, by hand, and answers only once it
	 * saw the cancel: an event, which the proxy's io_uring poll must see
	 * (it would not, with a module waking event pollers with the key
	 * EPOLLPRI alone; see lib_test's uring_poll_wakes_for_an_event).
	 */
	box_name(front, "cfront");
	box_name(back, "cback");
	ctl = open(MBX_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, ctl);
	strcpy((char *)cr.name, back);
	cr.nslots = 2;
	cr.slot_size = 64;
	cr.mode = 0600;
	cr.flags = MBX_CREATE_CLOEXEC;
	bfd = ioctl(ctl, MBX_IOC_BOX_CREATE, &cr);
	ASSERT_LE(0, bfd);
	START(loop, "uring_loop", "-t", "20", front, back);
	ASSERT_EQ(0, wait_for(loop, "uring_loop: serving"));
	strcpy((char *)op.name, front);
	op.access = MBX_ACCESS_READ | MBX_ACCESS_WRITE;
	op.flags = MBX_OPEN_CLOEXEC;
	ffd = ioctl(ctl, MBX_IOC_BOX_OPEN, &op);
	ASSERT_LE(0, ffd);
	/* A call into FRONT (no payload), passed on into BACK... */
	acq.flags = MBX_ACQUIRE_ANY;
	ASSERT_EQ(0, ioctl(ffd, MBX_IOC_SLOT_ACQUIRE, &acq));
	sub.slot = acq.out_slot;
	sub.opcode = 1;
	ASSERT_EQ(0, ioctl(ffd, MBX_IOC_CALL_SUBMIT, &sub));
	take.flags = MBX_WAIT_TIMEOUT;
	take.timeout_ns = 0;
	{
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		take.timeout_ns = (ts.tv_sec + WAIT_S) * 1000000000ULL +
				  ts.tv_nsec;
	}
	ASSERT_EQ(0, ioctl(bfd, MBX_IOC_CALL_TAKE, &take));
	/* ...cancelled in FRONT: the proxy cancels it in BACK. */
	cancel.slot = sub.slot;
	cancel.call_id = sub.out_call_id;
	ASSERT_EQ(0, ioctl(ffd, MBX_IOC_CALL_CANCEL, &cancel));
	EXPECT_EQ(MBX_STATE_TAKEN, cancel.out_state);
	{
		struct pollfd pfd = { .fd = bfd, .events = POLLPRI };

		ASSERT_EQ(1, poll(&pfd, 1, WAIT_S * 1000));
	}
	ASSERT_EQ(0, ioctl(bfd, MBX_IOC_EVENTS_READ, &evs));
	ASSERT_EQ(1, evs.out_count);
	EXPECT_EQ(MBX_EVENT_CANCEL, ev.type);
	EXPECT_EQ(take.out_call.call_id, ev.call_id);
	/* BACK answers; the answer reaches FRONT's caller as cancelled. */
	{
		struct mbx_complete_args done = {
			.size = sizeof(done),
			.slot = take.out_call.slot,
			.call_id = take.out_call.call_id,
		};

		EXPECT_EQ(-1, ioctl(bfd, MBX_IOC_CALL_COMPLETE, &done));
		EXPECT_EQ(ECANCELED, errno);
	}
	collect.flags = MBX_COLLECT_CALL | MBX_WAIT_TIMEOUT;
	collect.slot = sub.slot;
	collect.call_id = sub.out_call_id;
	collect.timeout_ns = take.timeout_ns;
	ASSERT_EQ(0, ioctl(ffd, MBX_IOC_CALL_COLLECT, &collect));
	EXPECT_EQ(-ECANCELED, collect.out_call.status);
	ASSERT_EQ(0, kill(loop->pid, SIGTERM));
	EXPECT_EQ(0, finish(loop));
	close(ffd);
	close(bfd);
	{
		struct mbx_destroy_args d = { .size = sizeof(d) };

		strcpy((char *)d.name, back);
		EXPECT_EQ(0, ioctl(ctl, MBX_IOC_BOX_DESTROY, &d));
	}
	close(ctl);
}

TEST_HARNESS_MAIN
