// SPDX-License-Identifier: GPL-2.0
/*
 * The measuring tools run as a user runs them: mailbox-syscost prints
 * every row with a positive price, leaves no mailbox behind and refuses
 * bad arguments with its usage (exit 2); mailbox-bench runs its cases
 * through every mailbox mechanism to the end (it checks every reply, so
 * exit 0 means every call made the round trip intact) and prints a row
 * with a positive rate for each, and refuses an unknown mechanism.
 * Short runs: these check that the tools work, not what they measure.
 *
 * The programs are looked up as $MAILBOX_BENCH and $MAILBOX_SYSCOST, then
 * on PATH, then in tools/ of the build tree (mbx_find_tool()). Skips when
 * /dev/mailbox is absent.
 */
#define _GNU_SOURCE
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "mbx_helpers.h"

#define RUN_S		90	/* the longest a tool may run here */
#define OUT_MAX		65536

MBX_SKIP_WITHOUT_DEVICE

/* A finished run: exit status (1000 + signal, -1 timed out), output. */
struct run {
	int status;
	pid_t pid;
	char out[OUT_MAX];
	size_t len;
};

/* Run @argv (argv[0] found by mbx_find_tool()), stdout and stderr in r. */
static int run_tool(struct run *r, const char *env, char *const argv[])
{
	char path[PATH_MAX];
	time_t end = time(NULL) + RUN_S;
	int pfd[2], status;
	ssize_t n;

	memset(r, 0, sizeof(*r));
	if (!mbx_find_tool(argv[0], env, path, sizeof(path)))
		return -ENOENT;
	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	r->pid = fork();
	if (r->pid < 0)
		return -errno;
	if (!r->pid) {
		dup2(pfd[1], STDOUT_FILENO);
		dup2(pfd[1], STDERR_FILENO);
		execv(path, argv);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };

		if (time(NULL) > end) {
			kill(r->pid, SIGKILL);
			waitpid(r->pid, NULL, 0);
			close(pfd[0]);
			r->status = -1;
			return 0;
		}
		if (poll(&p, 1, 100) <= 0)
			continue;
		n = read(pfd[0], r->out + r->len, sizeof(r->out) - 1 - r->len);
		if (n <= 0)
			break;
		r->len += n;
	}
	close(pfd[0]);
	r->out[r->len] = '\0';
	waitpid(r->pid, &status, 0);
	r->status = WIFSIGNALED(status) ? 1000 + WTERMSIG(status) :
					  WEXITSTATUS(status);
	return 0;
}

static void show(struct __test_metadata *_metadata, struct run *r)
{
	char *line, *save = NULL;

	for (line = strtok_r(r->out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		TH_LOG("| %s", line);
}

/*
 * The number in column @col (from 0, blank-separated) of the first line
 * after @after that starts with @label followed by a blank; -1 if none.
 */
static double row_value(const char *out, const char *after,
			const char *label, int col)
{
	const char *p = after ? strstr(out, after) : out;
	size_t n = strlen(label);

	while (p && *p) {
		const char *eol = strchrnul(p, '\n');

		if (!strncmp(p, label, n) && (p[n] == ' ' || p[n] == '\t')) {
			const char *q = p + n;
			char *end;
			double v;
			int i;

			for (i = 0; i <= col; i++) {
				v = strtod(q, &end);
				if (end == q || end > eol)
					return -1;
				q = end;
			}
			return v;
		}
		p = *eol ? eol + 1 : eol;
	}
	return -1;
}

static const char *const syscost_rows[] = {
	"getppid()",
	"read(/dev/null, 64)",
	"write(/dev/null, 64)",
	"ioctl(/dev/null): ENOTTY",
	"FUTEX_WAKE, no waiter",
	"MBX_IOC_API",
	"CALL_SUBMIT: EPERM",
	"CALL_TAKE: EAGAIN",
	"a call: 4 single ioctls",
	"a call: 16 per 4 batch ioctls",
};

FIXTURE(tool) {
	struct run r;
};

FIXTURE_SETUP(tool)
{
}

FIXTURE_TEARDOWN(tool)
{
}

TEST_F_TIMEOUT(tool, syscost_prices_every_row, RUN_S + 10)
{
	char *argv[] = { "mailbox-syscost", "2000", NULL };
	char name[MBX_NAME_MAX];
	struct tbox b;
	unsigned int i;

	ASSERT_EQ(0, run_tool(&self->r, "MAILBOX_SYSCOST", argv));
	if (self->r.status)
		show(_metadata, &self->r);
	ASSERT_EQ(0, self->r.status);
	for (i = 0; i < ARRAY_SIZE(syscost_rows); i++) {
		double ns = row_value(self->r.out, "ns each", syscost_rows[i],
				      0);

		EXPECT_LT(0, ns) TH_LOG("no price for %s", syscost_rows[i]);
	}
	/* Its mailbox went with it. */
	snprintf(name, sizeof(name), "mailbox-syscost-%d", self->r.pid);
	EXPECT_EQ(-ENOENT, tbox_open(&b, name));
}

TEST_F(tool, syscost_refuses_bad_arguments)
{
	char *zero[] = { "mailbox-syscost", "0", NULL };
	char *word[] = { "mailbox-syscost", "many", NULL };
	char *two[] = { "mailbox-syscost", "1", "2", NULL };
	char **bad[] = { zero, word, two };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ASSERT_EQ(0, run_tool(&self->r, "MAILBOX_SYSCOST", bad[i]));
		EXPECT_EQ(2, self->r.status) show(_metadata, &self->r);
		EXPECT_NE(NULL, strstr(self->r.out, "usage: mailbox-syscost"));
	}
}

/* Each case's heading, as the tables print it. */
static const char *const bench_cases[] = {
	"ping-pong:",
	"in flight:",
};

static const char *const bench_mechs[] = {
	"pipe", "mailbox", "mailbox-batch", "mailbox-uring",
};

TEST_F_TIMEOUT(tool, bench_runs_every_mailbox_mechanism, RUN_S + 10)
{
	char *argv[] = {
		"mailbox-bench", "--case", "pingpong,inflight,solo",
		"--mech", "pipe,mailbox,mailbox-batch,mailbox-uring",
		"--iters", "300", "--warmup", "30", NULL,
	};
	unsigned int c, m;

	ASSERT_EQ(0, run_tool(&self->r, "MAILBOX_BENCH", argv));
	if (self->r.status)
		show(_metadata, &self->r);
	ASSERT_EQ(0, self->r.status);
	for (c = 0; c < ARRAY_SIZE(bench_cases); c++)
		for (m = 0; m < ARRAY_SIZE(bench_mechs); m++) {
			/* mechanism, median, p99, calls/s */
			double rate = row_value(self->r.out, bench_cases[c],
						bench_mechs[m], 2);

			EXPECT_LT(0, rate) TH_LOG("%s %s: no calls/s",
						  bench_cases[c],
						  bench_mechs[m]);
		}
	/* Solo cannot batch: said so, not left out. */
	EXPECT_LT(0, row_value(self->r.out, "no wakeup:", "mailbox", 2));
	EXPECT_NE(NULL, strstr(self->r.out, "mailbox-batch skipped:"));
	EXPECT_NE(NULL, strstr(self->r.out, "mailbox-uring skipped:"));
}

TEST_F(tool, bench_refuses_an_unknown_mechanism)
{
	char *argv[] = { "mailbox-bench", "--mech", "carrier-pigeon", NULL };

	ASSERT_EQ(0, run_tool(&self->r, "MAILBOX_BENCH", argv));
	EXPECT_NE(0, self->r.status);
	EXPECT_NE(-1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.out, "carrier-pigeon"))
		show(_metadata, &self->r);
}

TEST_HARNESS_MAIN
