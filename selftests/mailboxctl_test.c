// SPDX-License-Identifier: GPL-2.0
/*
 * mailboxctl(8), run as a program: every subcommand on a mailbox whose
 * slots are in known states, its --json output parsed and checked field
 * by field against those states, and its error paths with their exit
 * codes: bad arguments (2, with the usage), the module missing (3: run in
 * a mount namespace whose /dev has no mailbox node), a missing mailbox (4),
 * no permission (5: run as uid 1000), a name taken (6), a call that cannot
 * be cancelled (7). watch is driven through a pseudo-terminal and must
 * quit on q and on Ctrl-C, giving the terminal back as it found it.
 * util-linux's manner: one-line usage errors, --noheadings, --output,
 * --raw, --numeric, user names, -V; stats --prometheus checked line by
 * line against the text exposition format; watch's waiting calls apart
 * from its stuck ones; what cancel says when it is too late.
 *
 * mailboxctl is looked up as $MAILBOXCTL, then on PATH (the test VM puts
 * the tools in /usr/bin), then as tools/mailboxctl next to the build tree.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/mbx.h>

#include "kselftest_harness.h"
#include "mbx_common.h"

MBX_SKIP_WITHOUT_DEVICE

/* mailboxctl's exit codes (mailboxctl(8)) */
#define EXIT_ERROR	1
#define EXIT_USAGE	2
#define EXIT_NO_MODULE	3
#define EXIT_NO_MAILBOX	4
#define EXIT_PERM	5
#define EXIT_EXISTS	6
#define EXIT_CALL	7

#define OTHER_UID	1000
#define NSLOTS		8

/* ------------------------------------------------------------------ */
/* Running mailboxctl                                                   */

static char ctl_path[PATH_MAX];

static bool find_ctl(void)
{
	return mbx_find_tool("mailboxctl", "MAILBOXCTL", ctl_path,
			     sizeof(ctl_path));
}

enum {
	AS_OTHER_UID = 1 << 0,	/* uid, gid 1000, no groups, no capability */
	NO_DEVICE = 1 << 1,	/* a private /dev without /dev/mailbox */
};

struct ctl {
	int status;		/* exit code, or 128 + signal */
	char out[65536];
	char err[8192];
	size_t nout, nerr;
};

/* In the child: the environment @how asks for, then exec. */
static void ctl_child(int how, char **argv)
{
	if (how & NO_DEVICE) {
		if (unshare(CLONE_NEWNS) ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
		    mount("tmpfs", "/dev", "tmpfs", 0, "mode=0755"))
			_exit(126);
	}
	if (how & AS_OTHER_UID) {
		if (setgroups(0, NULL) ||
		    setresgid(OTHER_UID, OTHER_UID, OTHER_UID) ||
		    setresuid(OTHER_UID, OTHER_UID, OTHER_UID))
			_exit(126);
	}
	execv(ctl_path, argv);
	_exit(127);
}

/* Run mailboxctl with the NULL-terminated arguments; 0 or -errno. */
static int run_ctl(struct ctl *c, int how, ...)
{
	char *argv[32];
	int out[2], err[2], st, n = 0;
	struct pollfd pfd[2];
	va_list ap;
	pid_t pid;

	argv[n++] = "mailboxctl";
	va_start(ap, how);
	while (n < 31 && (argv[n] = va_arg(ap, char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	memset(c, 0, sizeof(*c));
	if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		dup2(null, 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		ctl_child(how, argv);
	}
	close(out[1]);
	close(err[1]);
	pfd[0] = (struct pollfd){ .fd = out[0], .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = err[0], .events = POLLIN };
	while (pfd[0].fd >= 0 || pfd[1].fd >= 0) {
		ssize_t r;

		if (poll(pfd, 2, 20000) <= 0) {
			kill(pid, SIGKILL);
			break;
		}
		if (pfd[0].revents) {
			r = read(out[0], c->out + c->nout,
				 sizeof(c->out) - 1 - c->nout);
			if (r <= 0)
				pfd[0].fd = -1;
			else
				c->nout += r;
		}
		if (pfd[1].revents) {
			r = read(err[0], c->err + c->nerr,
				 sizeof(c->err) - 1 - c->nerr);
			if (r <= 0)
				pfd[1].fd = -1;
			else
				c->nerr += r;
		}
	}
	close(out[0]);
	close(err[0]);
	if (waitpid(pid, &st, 0) != pid)
		return -errno;
	c->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return 0;
}

#define CTL(c, how, ...) ASSERT_EQ(0, run_ctl(c, how, __VA_ARGS__, NULL))

/*
 * A usage error as util-linux gives it: one line that says what is wrong,
 * then "Try 'mailboxctl --help' for more information.", and nothing more.
 */
static bool one_line_usage(const struct ctl *c)
{
	const char *nl = strchr(c->err, '\n');

	return nl && nl > c->err && c->nerr >= 2 &&
	       !strcmp(nl + 1, "Try 'mailboxctl --help' for more information.\n");
}

#define EXPECT_ONE_LINE_USAGE(c) \
	EXPECT_TRUE(one_line_usage(&(c))) TH_LOG("stderr: %s", (c).err)

/* Lines of @text that contain @needle. */
static int count_lines(const char *text, const char *needle)
{
	const char *p = text, *nl;
	int n = 0;

	while (*p) {
		nl = strchrnul(p, '\n');
		if (memmem(p, nl - p, needle, strlen(needle)))
			n++;
		p = *nl ? nl + 1 : nl;
	}
	return n;
}

/* The line of @text that contains @needle, in @buf. */
static const char *line_with(const char *text, const char *needle, char *buf,
			     size_t len)
{
	const char *p = strstr(text, needle), *b, *e;

	if (!p)
		return NULL;
	for (b = p; b > text && b[-1] != '\n'; b--)
		;
	e = strchrnul(p, '\n');
	snprintf(buf, len, "%.*s", (int)(e - b), b);
	return buf;
}

/* ------------------------------------------------------------------ */
/* A small JSON parser: enough to validate and look fields up          */

enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jnode {
	int type;
	int first;		/* first child, -1 */
	int next;		/* next sibling, -1 */
	const char *key;	/* in an object: the key, raw */
	int keylen;
	const char *s;		/* the value's text (a string: inside quotes) */
	int len;
};

struct jdoc {
	struct jnode n[4096];
	int count;
	const char *p;
	bool bad;
};

static void jws(struct jdoc *d)
{
	while (*d->p == ' ' || *d->p == '\n' || *d->p == '\t' ||
	       *d->p == '\r')
		d->p++;
}

static int jnew(struct jdoc *d, int type)
{
	if (d->count == (int)(sizeof(d->n) / sizeof(d->n[0]))) {
		d->bad = true;
		return 0;
	}
	d->n[d->count] = (struct jnode){ .type = type, .first = -1, .next = -1 };
	return d->count++;
}

/* A string at d->p (after its quote): its raw text. */
static bool jstring(struct jdoc *d, const char **s, int *len)
{
	const char *b = d->p;

	while (*d->p && *d->p != '"') {
		if ((unsigned char)*d->p < 0x20)
			return false;
		if (*d->p == '\\') {
			d->p++;
			if (*d->p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!isxdigit((unsigned char)d->p[i]))
						return false;
				d->p += 4;
			} else if (!strchr("\"\\/bfnrt", *d->p) || !*d->p) {
				return false;
			}
		}
		d->p++;
	}
	if (*d->p != '"')
		return false;
	*s = b;
	*len = d->p - b;
	d->p++;
	return true;
}

static int jvalue(struct jdoc *d, int depth);

static int jcontainer(struct jdoc *d, int depth, bool obj)
{
	int node = jnew(d, obj ? J_OBJ : J_ARR), last = -1, child;
	const char *key = NULL;
	int keylen = 0;

	d->p++;
	jws(d);
	if (*d->p == (obj ? '}' : ']')) {
		d->p++;
		return node;
	}
	for (;;) {
		jws(d);
		if (obj) {
			if (*d->p != '"')
				goto bad;
			d->p++;
			if (!jstring(d, &key, &keylen))
				goto bad;
			jws(d);
			if (*d->p++ != ':')
				goto bad;
		}
		child = jvalue(d, depth + 1);
		if (child < 0 || d->bad)
			goto bad;
		d->n[child].key = key;
		d->n[child].keylen = keylen;
		if (last < 0)
			d->n[node].first = child;
		else
			d->n[last].next = child;
		last = child;
		jws(d);
		if (*d->p == ',') {
			d->p++;
			continue;
		}
		if (*d->p == (obj ? '}' : ']')) {
			d->p++;
			return node;
		}
		goto bad;
	}
bad:
	d->bad = true;
	return -1;
}

static int jvalue(struct jdoc *d, int depth)
{
	const char *b;
	int node;

	jws(d);
	if (depth > 32)
		return -1;
	b = d->p;
	switch (*d->p) {
	case '{':
		return jcontainer(d, depth, true);
	case '[':
		return jcontainer(d, depth, false);
	case '"':
		node = jnew(d, J_STR);
		d->p++;
		if (!jstring(d, &d->n[node].s, &d->n[node].len))
			return -1;
		return node;
	case 't':
	case 'f':
	case 'n':
		if (!strncmp(b, "true", 4) || !strncmp(b, "null", 4))
			d->p += 4;
		else if (!strncmp(b, "false", 5))
			d->p += 5;
		else
			return -1;
		node = jnew(d, *b == 'n' ? J_NULL : J_BOOL);
		break;
	default:
		if (*d->p == '-')
			d->p++;
		if (!isdigit((unsigned char)*d->p))
			return -1;
		while (isdigit((unsigned char)*d->p))
			d->p++;
		if (*d->p == '.') {
			d->p++;
			if (!isdigit((unsigned char)*d->p))
				return -1;
			while (isdigit((unsigned char)*d->p))
				d->p++;
		}
		if (*d->p == 'e' || *d->p == 'E') {
			d->p++;
			if (*d->p == '+' || *d->p == '-')
				d->p++;
			if (!isdigit((unsigned char)*d->p))
				return -1;
			while (isdigit((unsigned char)*d->p))
				d->p++;
		}
		node = jnew(d, J_NUM);
		break;
	}
	d->n[node].s = b;
	d->n[node].len = d->p - b;
	return node;
}

/* Parse exactly one JSON value, with nothing but white space after it. */
static bool jparse(struct jdoc *d, const char *text)
{
	int root;

	memset(d, 0, sizeof(*d));
	d->p = text;
	root = jvalue(d, 0);
	if (root != 0 || d->bad)
		return false;
	jws(d);
	return *d->p == '\0';
}

/*
 * The node at @path from @node: keys and indexes separated by dots,
 * "mailboxes.0.name"; -1 when there is none.
 */
static int jget(const struct jdoc *d, int node, const char *path)
{
	char seg[64];
	const char *dot;
	int c;

	while (node >= 0 && *path) {
		dot = strchrnul(path, '.');
		snprintf(seg, sizeof(seg), "%.*s", (int)(dot - path), path);
		path = *dot ? dot + 1 : dot;
		if (d->n[node].type == J_OBJ) {
			for (c = d->n[node].first; c >= 0; c = d->n[c].next)
				if (d->n[c].keylen == (int)strlen(seg) &&
				    !memcmp(d->n[c].key, seg, d->n[c].keylen))
					break;
		} else if (d->n[node].type == J_ARR && isdigit((unsigned char)seg[0])) {
			int i = atoi(seg);

			for (c = d->n[node].first; c >= 0 && i; c = d->n[c].next)
				i--;
		} else {
			c = -1;
		}
		node = c;
	}
	return node;
}

static int jlen(const struct jdoc *d, int node)
{
	int c, n = 0;

	if (node < 0 || d->n[node].type != J_ARR)
		return -1;
	for (c = d->n[node].first; c >= 0; c = d->n[c].next)
		n++;
	return n;
}

/* A number at @path as long long; LLONG_MIN when it is not one. */
static long long jnum(const struct jdoc *d, int node, const char *path)
{
	int n = jget(d, node, path);

	if (n < 0 || d->n[n].type != J_NUM)
		return LLONG_MIN;
	return strtoll(d->n[n].s, NULL, 10);
}

static bool jstreq(const struct jdoc *d, int node, const char *path,
		   const char *want)
{
	int n = jget(d, node, path);

	return n >= 0 && d->n[n].type == J_STR &&
	       d->n[n].len == (int)strlen(want) &&
	       !memcmp(d->n[n].s, want, d->n[n].len);
}

static struct jdoc doc;

/* ------------------------------------------------------------------ */
/* The fixture: a mailbox with a slot in each interesting state         */

FIXTURE(box) {
	int dev;
	int caller;		/* the creating session: makes the calls */
	int callee;		/* a second session: takes them */
	char name[MBX_NAME_MAX];
	__u32 s_replied, s_taken, s_pending, s_owned;
	__u64 id_replied, id_taken, id_pending;
	struct ctl c;
};

FIXTURE_SETUP(box)
{
	struct mbx_call call;
	int s;

	if (!find_ctl())
		ASSERT_TRUE(false) TH_LOG("mailboxctl not found: set MAILBOXCTL or put it on PATH");
	self->dev = mbx_dev_open();
	ASSERT_LE(0, self->dev);
	mbx_unique_name(self->name, "ctl");
	self->caller = mbx_create(self->dev, self->name, NSLOTS, 64, 0660);
	ASSERT_LE(0, self->caller);
	self->callee = mbx_open(self->dev, self->name,
				MBX_ACCESS_READ | MBX_ACCESS_WRITE);
	ASSERT_LE(0, self->callee);

	/* REPLIED: opcode 9, answered with status -5 and 3 bytes. */
	s = mbx_acquire(self->caller, MBX_ACQUIRE_ANY, 0, 0, NULL);
	ASSERT_LE(0, s);
	self->s_replied = s;
	ASSERT_EQ(0, mbx_submit(self->caller, s, 9, 16, 0, &self->id_replied));
	ASSERT_EQ(0, mbx_take(self->callee, 0, 0, &call));
	ASSERT_EQ(self->id_replied, call.call_id);
	ASSERT_EQ(0, mbx_complete(self->callee, s, self->id_replied, -5, 3));

	/* TAKEN: opcode 8, held by the callee session. */
	s = mbx_acquire(self->caller, MBX_ACQUIRE_ANY, 0, 0, NULL);
	ASSERT_LE(0, s);
	self->s_taken = s;
	ASSERT_EQ(0, mbx_submit(self->caller, s, 8, 32, 0, &self->id_taken));
	ASSERT_EQ(0, mbx_take(self->callee, 0, 0, &call));
	ASSERT_EQ(self->id_taken, call.call_id);

	/* PENDING: opcode 7. */
	s = mbx_acquire(self->caller, MBX_ACQUIRE_ANY, 0, 0, NULL);
	ASSERT_LE(0, s);
	self->s_pending = s;
	ASSERT_EQ(0, mbx_submit(self->caller, s, 7, 64, 0, &self->id_pending));

	/* OWNED: a draft. */
	s = mbx_acquire(self->caller, MBX_ACQUIRE_ANY, 0, 0, NULL);
	ASSERT_LE(0, s);
	self->s_owned = s;
}

FIXTURE_TEARDOWN(box)
{
	if (self->callee >= 0)
		close(self->callee);
	if (self->caller >= 0)
		close(self->caller);
	if (self->dev >= 0) {
		mbx_destroy(self->dev, self->name);
		close(self->dev);
	}
}

static char *num(char *buf, unsigned long long v)
{
	sprintf(buf, "%llu", v);
	return buf;
}

/* ------------------------------------------------------------------ */
/* list                                                                 */

TEST_F(box, list_names_the_mailbox)
{
	char l[256];

	CTL(&self->c, 0, "list");
	EXPECT_EQ(0, self->c.status);
	EXPECT_EQ(1, count_lines(self->c.out, "NAME"));
	ASSERT_NE(NULL, line_with(self->c.out, self->name, l, sizeof(l)));
	/* name, slots, slot size, uid, gid, mode, pending */
	EXPECT_NE(NULL, strstr(l, " 8 ")) TH_LOG("%s", l);
	EXPECT_NE(NULL, strstr(l, " 64 ")) TH_LOG("%s", l);
	EXPECT_NE(NULL, strstr(l, " 0660 ")) TH_LOG("%s", l);
}

TEST_F(box, list_json)
{
	int list, i, n, found = -1;

	CTL(&self->c, 0, "--json", "list");
	EXPECT_EQ(0, self->c.status);
	ASSERT_TRUE(jparse(&doc, self->c.out)) TH_LOG("%s", self->c.out);
	list = jget(&doc, 0, "mailboxes");
	n = jlen(&doc, list);
	ASSERT_LE(1, n);
	for (i = 0; i < n; i++) {
		char p[16];

		snprintf(p, sizeof(p), "%d", i);
		if (jstreq(&doc, jget(&doc, list, p), "name", self->name))
			found = jget(&doc, list, p);
	}
	ASSERT_LE(0, found);
	EXPECT_EQ(NSLOTS, jnum(&doc, found, "slots"));
	EXPECT_EQ(64, jnum(&doc, found, "slot_size"));
	EXPECT_EQ(0, jnum(&doc, found, "uid"));
	EXPECT_TRUE(jstreq(&doc, found, "mode", "0660"));
	EXPECT_EQ(1, jnum(&doc, found, "pending"));
	EXPECT_LT(0, jnum(&doc, found, "box_id"));
}

TEST_F(box, list_json_option_after_command)
{
	CTL(&self->c, 0, "list", "--json");
	EXPECT_EQ(0, self->c.status);
	EXPECT_TRUE(jparse(&doc, self->c.out)) TH_LOG("%s", self->c.out);
}

TEST_F(box, list_extra_argument)
{
	CTL(&self->c, 0, "list", "extra");
	EXPECT_EQ(EXIT_USAGE, self->c.status);
	EXPECT_ONE_LINE_USAGE(self->c);
}

/* ------------------------------------------------------------------ */
/* show                                                                 */

TEST_F(box, show_table)
{
	char l[256], id[24], pid[16];

	CTL(&self->c, 0, "show", self->name);
	EXPECT_EQ(0, self->c.status);
	EXPECT_NE(NULL, strstr(self->c.out,
			       "4 free, 1 owned, 1 pending, 0 edit, 1 taken, 1 replied"))
		TH_LOG("%s", self->c.out);
	num(pid, getpid());

	ASSERT_NE(NULL, line_with(self->c.out, " PENDING ", l, sizeof(l)));
	EXPECT_NE(NULL, strstr(l, num(id, self->id_pending))) TH_LOG("%s", l);
	EXPECT_NE(NULL, strstr(l, " 7 ")) TH_LOG("%s", l);
	EXPECT_NE(NULL, strstr(l, pid)) TH_LOG("%s", l);

	ASSERT_NE(NULL, line_with(self->c.out, " TAKEN ", l, sizeof(l)));
	EXPECT_NE(NULL, strstr(l, num(id, self->id_taken))) TH_LOG("%s", l);
	EXPECT_NE(NULL, strstr(l, " 8 ")) TH_LOG("%s", l);

	ASSERT_NE(NULL, line_with(self->c.out, " REPLIED ", l, sizeof(l)));
	EXPECT_NE(NULL, strstr(l, num(id, self->id_replied))) TH_LOG("%s", l);

	EXPECT_EQ(1, count_lines(self->c.out, " OWNED "));
	EXPECT_EQ(0, count_lines(self->c.out, " FREE "));
	EXPECT_NE(NULL, strstr(self->c.out, "4 free slots not shown"));
}

TEST_F(box, show_all_lists_every_slot)
{
	CTL(&self->c, 0, "show", self->name, "--all");
	EXPECT_EQ(0, self->c.status);
	EXPECT_EQ(4, count_lines(self->c.out, " FREE "));
	EXPECT_EQ(NULL, strstr(self->c.out, "not shown"));
}

/* Every field of every slot against what the fixture did. */
TEST_F(box, show_json)
{
	__u64 now = mbx_now_ns();
	int list, n, i, s;

	CTL(&self->c, 0, "--json", "show", self->name);
	EXPECT_EQ(0, self->c.status);
	ASSERT_TRUE(jparse(&doc, self->c.out)) TH_LOG("%s", self->c.out);
	EXPECT_TRUE(jstreq(&doc, 0, "name", self->name));
	EXPECT_EQ(NSLOTS, jnum(&doc, 0, "slots"));
	EXPECT_EQ(64, jnum(&doc, 0, "slot_size"));
	EXPECT_TRUE(jstreq(&doc, 0, "mode", "0660"));
	EXPECT_EQ(4, jnum(&doc, 0, "states.FREE"));
	EXPECT_EQ(1, jnum(&doc, 0, "states.OWNED"));
	EXPECT_EQ(1, jnum(&doc, 0, "states.PENDING"));
	EXPECT_EQ(1, jnum(&doc, 0, "states.TAKEN"));
	EXPECT_EQ(1, jnum(&doc, 0, "states.REPLIED"));
	EXPECT_LE((long long)now, jnum(&doc, 0, "now_ns"));
	list = jget(&doc, 0, "slot_list");
	n = jlen(&doc, list);
	ASSERT_EQ(4, n);
	for (i = 0; i < n; i++) {
		char p[8];

		snprintf(p, sizeof(p), "%d", i);
		s = jget(&doc, list, p);
		if (jnum(&doc, s, "slot") == self->s_pending) {
			EXPECT_TRUE(jstreq(&doc, s, "state", "PENDING"));
			EXPECT_EQ(self->id_pending, jnum(&doc, s, "call_id"));
			EXPECT_EQ(7, jnum(&doc, s, "opcode"));
			EXPECT_EQ(64, jnum(&doc, s, "len"));
			EXPECT_EQ(getpid(), jnum(&doc, s, "caller_pid"));
			EXPECT_EQ(0, jnum(&doc, s, "callee_pid"));
			EXPECT_EQ(0, jnum(&doc, s, "delivery"));
			EXPECT_LT(0, jnum(&doc, s, "submit_ns"));
			EXPECT_LT(0, jnum(&doc, s, "age_ns"));
		} else if (jnum(&doc, s, "slot") == self->s_taken) {
			EXPECT_TRUE(jstreq(&doc, s, "state", "TAKEN"));
			EXPECT_EQ(self->id_taken, jnum(&doc, s, "call_id"));
			EXPECT_EQ(8, jnum(&doc, s, "opcode"));
			EXPECT_EQ(32, jnum(&doc, s, "len"));
			EXPECT_EQ(getpid(), jnum(&doc, s, "caller_pid"));
			EXPECT_EQ(getpid(), jnum(&doc, s, "callee_pid"));
			EXPECT_EQ(1, jnum(&doc, s, "delivery"));
			EXPECT_LE(jnum(&doc, s, "submit_ns"),
				  jnum(&doc, s, "take_ns"));
			EXPECT_EQ(0, jlen(&doc, jget(&doc, s, "flags")));
		} else if (jnum(&doc, s, "slot") == self->s_replied) {
			EXPECT_TRUE(jstreq(&doc, s, "state", "REPLIED"));
			EXPECT_EQ(self->id_replied, jnum(&doc, s, "call_id"));
			EXPECT_EQ(9, jnum(&doc, s, "opcode"));
			EXPECT_EQ(3, jnum(&doc, s, "reply_len"));
			EXPECT_EQ(-5, jnum(&doc, s, "status"));
			EXPECT_EQ(1, jnum(&doc, s, "delivery"));
			EXPECT_LE(jnum(&doc, s, "take_ns"),
				  jnum(&doc, s, "reply_ns"));
		} else {
			EXPECT_EQ(self->s_owned, jnum(&doc, s, "slot"));
			EXPECT_TRUE(jstreq(&doc, s, "state", "OWNED"));
			EXPECT_EQ(getpid(), jnum(&doc, s, "owner_pid"));
			EXPECT_EQ(0, jnum(&doc, s, "age_ns"));
		}
	}
}

TEST_F(box, show_no_name)
{
	CTL(&self->c, 0, "show");
	EXPECT_EQ(EXIT_USAGE, self->c.status);
	EXPECT_ONE_LINE_USAGE(self->c);
}

TEST_F(box, show_bad_name)
{
	CTL(&self->c, 0, "show", "no/slash");
	EXPECT_EQ(EXIT_USAGE, self->c.status);
	EXPECT_NE(NULL, strstr(self->c.err, "not a mailbox name"));
}

TEST_F(box, show_unknown_option)
{
	CTL(&self->c, 0, "show", self->name, "--bogus");
	EXPECT_EQ(EXIT_USAGE, self->c.status);
	EXPECT_ONE_LINE_USAGE(self->c);
}

TEST_F(box, show_missing_mailbox)
{
	CTL(&self->c, 0, "show", "kst.ctl.no-such-box");
	EXPECT_EQ(EXIT_NO_MAILBOX, self->c.status);
	EXPECT_NE(NULL, strstr(self->c.err, "no mailbox named 'kst.ctl.no-such-box'"));
	EXPECT_EQ(0, self->c.nout);
}

/* ------------------------------------------------------------------ */
/* stats                                                                */

TEST_F(box, stats_text)
{
	char l[128];

	CTL(&self->c, 0, "stats", self->name);
	EXPECT_EQ(0, self->c.status);
	ASSERT_NE(NULL, line_with(self->c.out, "submitted", l, sizeof(l)));
	EXPECT_NE(NULL, strstr(l, " 3")) TH_LOG("%s", l);
	ASSERT_NE(NULL, line_with(self->c.out, "completed", l, sizeof(l)));
	EXPECT_NE(NULL, strstr(l, " 1")) TH_LOG("%s", l);
	EXPECT_NE(NULL, strstr(self->c.out,
			       "4 free, 1 owned, 1 pending, 1 taken, 1 replied"));
	/* the two fixture sessions and mailboxctl's own */
	EXPECT_NE(NULL, strstr(self->c.out, "3 sessions open"));
}

TEST_F(box, stats_json)
{
	CTL(&self->c, 0, "stats", "--json", self->name);
	EXPECT_EQ(0, self->c.status);
	ASSERT_TRUE(jparse(&doc, self->c.out)) TH_LOG("%s", self->c.out);
	EXPECT_TRUE(jstreq(&doc, 0, "name", self->name));
	EXPECT_EQ(3, jnum(&doc, 0, "submitted"));
	EXPECT_EQ(2, jnum(&doc, 0, "taken"));
	EXPECT_EQ(1, jnum(&doc, 0, "completed"));
	EXPECT_EQ(0, jnum(&doc, 0, "cancelled"));
	EXPECT_EQ(0, jnum(&doc, 0, "redelivered"));
	EXPECT_EQ(4, jnum(&doc, 0, "free"));
	EXPECT_EQ(1, jnum(&doc, 0, "owned"));
	EXPECT_EQ(1, jnum(&doc, 0, "pending"));
	EXPECT_EQ(1, jnum(&doc, 0, "taken_now"));
	EXPECT_EQ(1, jnum(&doc, 0, "replied"));
	/* the two fixture sessions; mailboxctl's own is counted too */
	EXPECT_EQ(3, jnum(&doc, 0, "sessions"));
	EXPECT_LT(0, jnum(&doc, 0, "oldest_pending_ns"));
}

TEST_F(box, stats_missing_mailbox)
{
	CTL(&self->c, 0, "stats", "kst.ctl.no-such-box");
	EXPECT_EQ(EXIT_NO_MAILBOX, self->c.status);
	EXPECT_NE(NULL, strstr(self->c.err, "no mailbox named"));
}

TEST_F(box, stats_two_names)
{
	CTL(&self->c, 0, "stats", self->name, self->name);
	EXPECT_EQ(EXIT_USAGE, self->c.status);
}

/* ------------------------------------------------------------------ */
/* watch                                                                */

TEST_F(box, watch_iterations_plain)
{
	char l[256];

	CTL(&self->c, 0, "watch", self->name, "--iterations", "2",
	    "--interval", "50", "--stuck-ms", "3600000");
	EXPECT_EQ(0, self->c.status);
	/* not a terminal: frames one after the other, no escape */
	EXPECT_EQ(2, count_lines(self->c.out, "--- "));
	EXPECT_EQ(NULL, strchr(self->c.out, '\033'));
	EXPECT_EQ(2, count_lines(self->c.out, self->name));
	ASSERT_NE(NULL, line_with(self->c.out, self->name, l, sizeof(l)));
	EXPECT_EQ(2, count_lines(self->c.out, "no stuck call"));
}

/*
 * The highlighted lines of @text whose first columns are @cols (white
 * space separated, after the escape sequence).
 */
static int highlighted(const char *text, const char *const *cols, int ncols)
{
	static const char hi[] = "\033[1;37;41m";
	const char *p = text, *nl;
	char buf[512], *tok, *save;
	int n = 0, i;

	for (; *p; p = *nl ? nl + 1 : nl) {
		nl = strchrnul(p, '\n');
		if (strncmp(p, hi, strlen(hi)))
			continue;
		snprintf(buf, sizeof(buf), "%.*s", (int)(nl - p - strlen(hi)),
			 p + strlen(hi));
		tok = strtok_r(buf, " ", &save);
		for (i = 0; tok && i < ncols; i++) {
			if (strcmp(tok, cols[i]))
				break;
			tok = strtok_r(NULL, " ", &save);
		}
		n += i == ncols;
	}
	return n;
}

TEST_F(box, watch_highlights_stuck_call)
{
	char slot[16], id[24];
	const char *stuck[] = { self->name, "STUCK", num(slot, self->s_taken),
				num(id, self->id_taken), "8" };

	CTL(&self->c, 0, "watch", self->name, "--iterations", "1",
	    "--stuck-ms", "0", "--ansi");
	EXPECT_EQ(0, self->c.status);
	EXPECT_NE(NULL, strstr(self->c.out, "STUCK taken, not answered"));
	/* the taken call, on a highlighted line: name, kind, slot, id, opcode */
	EXPECT_EQ(1, highlighted(self->c.out, stuck, 5)) TH_LOG("%s", self->c.out);
	/*
	 * and the mailbox's own line, and its pending call, waiting as long
	 * with no callee taking it: three lines start with the name
	 */
	EXPECT_EQ(3, highlighted(self->c.out, stuck, 1)) TH_LOG("%s", self->c.out);
	/* cursor hidden for the view, shown again at the end */
	EXPECT_NE(NULL, strstr(self->c.out, "\033[?25l"));
	EXPECT_NE(NULL, strstr(self->c.out + self->c.nout - 6, "\033[?25h"));

	/* with a threshold above the call's age: nothing highlighted */
	CTL(&self->c, 0, "watch", self->name, "--iterations", "1",
	    "--stuck-ms", "3600000", "--ansi");
	EXPECT_EQ(0, self->c.status);
	EXPECT_EQ(0, highlighted(self->c.out, stuck, 1));
	EXPECT_NE(NULL, strstr(self->c.out, "no stuck call"));
}

TEST_F(box, watch_json_rates_and_stuck)
{
	char *second;
	int st;

	CTL(&self->c, 0, "--json", "watch", self->name, "--iterations", "2",
	    "--interval", "50", "--stuck-ms", "0");
	EXPECT_EQ(0, self->c.status);
	EXPECT_EQ(2, count_lines(self->c.out, "{"));
	second = strchr(self->c.out, '\n');
	ASSERT_NE(NULL, second);
	*second++ = '\0';
	ASSERT_TRUE(jparse(&doc, self->c.out)) TH_LOG("%s", self->c.out);
	/* the first frame has no rate yet */
	EXPECT_EQ(J_NULL, doc.n[jget(&doc, 0, "mailboxes.0.submitted_per_s")].type);
	ASSERT_TRUE(jparse(&doc, second)) TH_LOG("%s", second);
	EXPECT_TRUE(jstreq(&doc, 0, "mailboxes.0.name", self->name));
	EXPECT_EQ(0, jnum(&doc, 0, "mailboxes.0.submitted_per_s"));
	EXPECT_EQ(1, jnum(&doc, 0, "mailboxes.0.pending"));
	EXPECT_EQ(1, jnum(&doc, 0, "mailboxes.0.taken"));
	st = jget(&doc, 0, "mailboxes.0.stuck");
	ASSERT_EQ(1, jlen(&doc, st));
	EXPECT_EQ(self->id_taken, jnum(&doc, st, "0.call_id"));
	EXPECT_EQ(self->s_taken, jnum(&doc, st, "0.slot"));
	EXPECT_EQ(getpid(), jnum(&doc, st, "0.callee_pid"));
}

TEST_F(box, watch_rate_counts_calls)
{
	/*
	 * Calls made between two frames show in the counters and as a rate:
	 * a child waits until mailboxctl has opened the mailbox (a third
	 * session), lets it draw its first frame, then makes and answers 4
	 * calls well before the second frame, 2 s later.
	 */
	struct mbx_stats_args st;
	struct mbx_call call;
	char *second;
	long long s1, c1;
	double rate, dt;
	pid_t pid;
	int st_child, n, i;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		for (i = 0; i < 1000; i++) {
			if (mbx_stats(self->caller, &st) || st.out_sessions >= 3)
				break;
			usleep(10000);
		}
		usleep(300000);
		for (i = 0; i < 4; i++) {
			int s = mbx_acquire(self->caller, MBX_ACQUIRE_ANY, 0,
					    0, NULL);
			if (s < 0 || mbx_submit(self->caller, s, 1, 0, 0, NULL) ||
			    mbx_take(self->callee, 0, 0, &call) ||
			    mbx_complete(self->callee, call.slot, call.call_id,
					 0, 0))
				_exit(1);
		}
		_exit(0);
	}
	CTL(&self->c, 0, "--json", "watch", self->name, "--iterations", "2",
	    "--interval", "2000");
	ASSERT_EQ(pid, waitpid(pid, &st_child, 0));
	ASSERT_EQ(0, st_child);
	EXPECT_EQ(0, self->c.status);
	second = strchr(self->c.out, '\n');
	ASSERT_NE(NULL, second);
	*second++ = '\0';
	ASSERT_TRUE(jparse(&doc, self->c.out)) TH_LOG("%s", self->c.out);
	s1 = jnum(&doc, 0, "mailboxes.0.submitted");
	c1 = jnum(&doc, 0, "mailboxes.0.completed");
	ASSERT_TRUE(jparse(&doc, second)) TH_LOG("%s", second);
	EXPECT_EQ(s1 + 4, jnum(&doc, 0, "mailboxes.0.submitted"));
	EXPECT_EQ(c1 + 4, jnum(&doc, 0, "mailboxes.0.completed"));
	/* 4 calls over the interval, to the 0.1 printed */
	n = jget(&doc, 0, "interval_s");
	ASSERT_LE(0, n);
	dt = strtod(doc.n[n].s, NULL);
	n = jget(&doc, 0, "mailboxes.0.submitted_per_s");
	ASSERT_LE(0, n);
	ASSERT_EQ(J_NUM, doc.n[n].type);
	rate = strtod(doc.n[n].s, NULL);
	EXPECT_GT(0.051, fabs(rate - 4 / dt)) TH_LOG("rate %f over %f s", rate, dt);
}

TEST_F(box, watch_missing_mailbox)
{
	CTL(&self->c, 0, "watch", self->name, "kst.ctl.no-such-box",
	    "--iterations", "1");
	EXPECT_EQ(EXIT_NO_MAILBOX, self->c.status);
	EXPECT_NE(NULL, strstr(self->c.err, "no mailbox named 'kst.ctl.no-such-box'"));
}

TEST_F(box, watch_bad_interval)
{
	CTL(&self->c, 0, "watch", self->name, "--interval", "soon");
	EXPECT_EQ(EXIT_USAGE, self->c.status);
	EXPECT_NE(NULL, strstr(self->c.err, "--interval"));
}

TEST_F(box, watch_zero_iterations)
{
	CTL(&self->c, 0, "watch", self->name, "--iterations", "0");
	EXPECT_EQ(EXIT_USAGE, self->c.status);
}

TEST_F(box, watch_no_name)
{
	CTL(&self->c, 0, "watch", "--iterations", "1");
	EXPECT_EQ(EXIT_USAGE, self->c.status);
}

/*
 * watch on a terminal: started in its own session with a pseudo-terminal
 * as controlling terminal, stdin and stdout; it draws a frame, then
 * @keys is typed. It must exit 0 within a few seconds and leave the
 * terminal's modes as they were.
 */
static void watch_on_tty(struct __test_metadata *_metadata, const char *name,
			 const char *keys)
{
	struct winsize ws = { .ws_row = 30, .ws_col = 100 };
	struct termios before, after;
	char buf[16384], *sname;
	size_t got = 0;
	int master, slave, st = -1, i;
	pid_t pid;

	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	ASSERT_LE(0, master);
	ASSERT_EQ(0, grantpt(master));
	ASSERT_EQ(0, unlockpt(master));
	sname = ptsname(master);
	ASSERT_NE(NULL, sname);
	ASSERT_EQ(0, ioctl(master, TIOCSWINSZ, &ws));
	slave = open(sname, O_RDWR | O_NOCTTY | O_CLOEXEC);
	ASSERT_LE(0, slave);
	ASSERT_EQ(0, tcgetattr(slave, &before));
	ASSERT_TRUE(before.c_lflag & ICANON);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char *argv[] = { "mailboxctl", "watch", (char *)name,
				 "--interval", "200", NULL };
		int fd;

		setsid();
		fd = open(sname, O_RDWR);	/* the controlling terminal */
		if (fd < 0 || ioctl(fd, TIOCSCTTY, 0))
			_exit(126);
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(ctl_path, argv);
		_exit(127);
	}
	/* Wait for the first frame (its title), then type. */
	for (i = 0; i < 100 && !(memmem(buf, got, "no stuck call", 13) &&
				 memmem(buf, got, name, strlen(name))); i++) {
		struct pollfd pfd = { .fd = master, .events = POLLIN };
		ssize_t r;

		if (poll(&pfd, 1, 100) > 0) {
			r = read(master, buf + got, sizeof(buf) - 1 - got);
			if (r > 0)
				got += r;
		}
	}
	ASSERT_NE(NULL, memmem(buf, got, "mailboxctl watch", 16));
	ASSERT_NE(NULL, memmem(buf, got, name, strlen(name)));
	ASSERT_NE(NULL, memmem(buf, got, "no stuck call", 13));
	ASSERT_EQ((ssize_t)strlen(keys), write(master, keys, strlen(keys)));
	/* It must be gone within 5 s; keep draining the terminal. */
	for (i = 0; i < 50; i++) {
		struct pollfd pfd = { .fd = master, .events = POLLIN };

		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
		if (poll(&pfd, 1, 100) > 0 &&
		    read(master, buf, sizeof(buf)) < 0)
			usleep(10000);
	}
	if (i == 50) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
	ASSERT_LT(i, 50) TH_LOG("watch did not quit on '%s'", keys);
	EXPECT_TRUE(WIFEXITED(st)) TH_LOG("status 0x%x", st);
	EXPECT_EQ(0, WEXITSTATUS(st));
	ASSERT_EQ(0, tcgetattr(slave, &after));
	EXPECT_EQ(before.c_lflag, after.c_lflag);
	close(slave);
	close(master);
}

TEST_F(box, watch_quits_on_q)
{
	watch_on_tty(_metadata, self->name, "q");
}

TEST_F(box, watch_quits_on_ctrl_c)
{
	watch_on_tty(_metadata, self->name, "\003");
}

/* ------------------------------------------------------------------ */
/* create and destroy                                                   */

TEST_F(box, create_and_destroy)
{
	struct mbx_info_args info;
	char name[MBX_NAME_MAX];
	int fd;

	mbx_unique_name(name, "ctl-new");
	CTL(&self->c, 0, "create", name, "--slots", "16", "--slot-size", "1k",
	    "--mode", "0640", "--reclaim-ms", "250");
	EXPECT_EQ(0, self->c.status) TH_LOG("%s", self->c.err);
	fd = mbx_open(self->dev, name, MBX_ACCESS_READ);
	ASSERT_LE(0, fd);
	memset(&info, 0xcc, sizeof(info));
	ASSERT_EQ(0, mbx_info(fd, &info));
	EXPECT_EQ(16, info.out_nslots);
	EXPECT_EQ(1024, info.out_slot_size);
	EXPECT_EQ(0640, info.out_mode);
	EXPECT_EQ(250000000ULL, info.out_reclaim_ns);
	EXPECT_EQ(0, info.out_uid);
	close(fd);

	CTL(&self->c, 0, "destroy", name);
	EXPECT_EQ(0, self->c.status) TH_LOG("%s", self->c.err);
	EXPECT_EQ(-ENOENT, mbx_open(self->dev, name, MBX_ACCESS_READ));
}

TEST_F(box, create_default_mode)
{
	struct mbx_info_args info;
	char name[MBX_NAME_MAX];
	int fd;

	mbx_unique_name(name, "ctl-new");
	CTL(&self->c, 0, "create", name, "--slots", "1", "--slot-size", "64");
	EXPECT_EQ(0, self->c.status);
	fd = mbx_open(self->dev, name, MBX_ACCESS_READ);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mbx_info(fd, &info));
	EXPECT_EQ(0660, info.out_mode);
	EXPECT_EQ(0, info.out_reclaim_ns);
	close(fd);
	EXPECT_EQ(0, mbx_destroy(self->dev, name));
}

TEST_F(box, create_exists)
{
	CTL(&self->c, 0, "create", self->name, "--slots", "1", "--slot-size",
	    "64");
	EXPECT_EQ(EXIT_EXISTS, self->c.status);
	EXPECT_NE(NULL, strstr(self->c.err, "exists already"));
}

TEST_F(box, create_without_slots)
{
	CTL(&self->c, 0, "create", "kst.ctl.x", "--slot-size", "64");
	EXPECT_EQ(EXIT_USAGE, self->c.status);
	EXPECT_NE(NULL, strstr(self->c.err, "--slots"));
}

TEST_F(box, create_without_slot_size)
{
	CTL(&self->c, 0, "create", "kst.ctl.x", "--slots", "4");
	EXPECT_EQ(EXIT_USAGE, self->c.status);
}

TEST_F(box, create_zero_slots)
{
	CTL(&self->c, 0, "create", "kst.ctl.x", "--slots", "0",
	    "--slot-size", "64");
	EXPECT_EQ(EXIT_USAGE, self->c.status);
}

TEST_F(box, create_slot_size_unaligned)
{
	CTL(&self->c, 0, "create", "kst.ctl.x", "--slots", "1",
	    "--slot-size", "100");
	EXPECT_EQ(EXIT_USAGE, self->c.status);
	EXPECT_NE(NULL, strstr(self->c.err, "multiple of 64"));
}

TEST_F(box, create_mode_with_x)
{
	CTL(&self->c, 0, "create", "kst.ctl.x", "--slots", "1",
	    "--slot-size", "64", "--mode", "0770");
	EXPECT_EQ(EXIT_USAGE, self->c.status);
	EXPECT_NE(NULL, strstr(self->c.err, "--mode"));
}

TEST_F(box, create_mode_not_octal)
{
	CTL(&self->c, 0, "create", "kst.ctl.x", "--slots", "1",
	    "--slot-size", "64", "--mode", "rw");
	EXPECT_EQ(EXIT_USAGE, self->c.status);
}

TEST_F(box, create_name_too_long)
{
	char name[80];

	memset(name, 'a', 64);
	name[64] = '\0';
	CTL(&self->c, 0, "create", name, "--slots", "1", "--slot-size", "64");
	EXPECT_EQ(EXIT_USAGE, self->c.status);
	EXPECT_NE(NULL, strstr(self->c.err, "not a mailbox name"));
}

TEST_F(box, create_too_large)
{
	struct mbx_api_args api;
	char n[24];
	int fd = self->dev;

	memset(&api, 0, sizeof(api));
	api.size = sizeof(api);
	api.api = MBX_API_VERSION;
	ASSERT_EQ(0, mbx_ioctl(fd, MBX_IOC_API, &api));
	CTL(&self->c, 0, "create", "kst.ctl.x", "--slots",
	    num(n, api.out_max_slots + 1ULL), "--slot-size", "64");
	EXPECT_EQ(EXIT_ERROR, self->c.status);
	EXPECT_NE(NULL, strstr(self->c.err, "too large")) TH_LOG("%s", self->c.err);
	EXPECT_EQ(-ENOENT, mbx_open(self->dev, "kst.ctl.x", MBX_ACCESS_READ));
}

TEST_F(box, create_json_refused)
{
	CTL(&self->c, 0, "--json", "create", "kst.ctl.x", "--slots", "1",
	    "--slot-size", "64");
	EXPECT_EQ(EXIT_USAGE, self->c.status);
}

TEST_F(box, destroy_missing_mailbox)
{
	CTL(&self->c, 0, "destroy", "kst.ctl.no-such-box");
	EXPECT_EQ(EXIT_NO_MAILBOX, self->c.status);
	EXPECT_NE(NULL, strstr(self->c.err, "no mailbox named"));
}

TEST_F(box, destroy_no_name)
{
	CTL(&self->c, 0, "destroy");
	EXPECT_EQ(EXIT_USAGE, self->c.status);
}

/* ------------------------------------------------------------------ */
/* cancel                                                               */

TEST_F(box, cancel_pending_call)
{
	struct mbx_slot_info info;
	char slot[16], id[24];

	CTL(&self->c, 0, "cancel", self->name, num(slot, self->s_pending),
	    num(id, self->id_pending));
	EXPECT_EQ(0, self->c.status) TH_LOG("%s", self->c.err);
	EXPECT_NE(NULL, strstr(self->c.out, "withdrawn"));
	ASSERT_EQ(0, mbx_slot_info(self->caller, self->s_pending, &info));
	EXPECT_EQ(MBX_STATE_REPLIED, info.state);
	EXPECT_EQ(-ECANCELED, info.status);
}

TEST_F(box, cancel_taken_call)
{
	struct mbx_slot_info info;
	char slot[16], id[24];
	int s;

	CTL(&self->c, 0, "cancel", self->name, num(slot, self->s_taken),
	    num(id, self->id_taken));
	EXPECT_EQ(0, self->c.status) TH_LOG("%s", self->c.err);
	EXPECT_NE(NULL, strstr(self->c.out, "asked to cancel"));
	ASSERT_EQ(0, mbx_slot_info(self->caller, self->s_taken, &info));
	EXPECT_EQ(MBX_STATE_TAKEN, info.state);
	EXPECT_EQ(MBX_CALL_CANCEL_REQ, info.flags & MBX_CALL_CANCEL_REQ);

	/* show --json names the flag */
	CTL(&self->c, 0, "--json", "show", self->name);
	ASSERT_TRUE(jparse(&doc, self->c.out));
	for (s = 0; s < 4; s++) {
		char p[32];

		snprintf(p, sizeof(p), "slot_list.%d", s);
		if (jnum(&doc, jget(&doc, 0, p), "slot") == self->s_taken)
			break;
	}
	ASSERT_LT(s, 4);
	{
		char p[48];

		snprintf(p, sizeof(p), "slot_list.%d.flags.0", s);
		EXPECT_TRUE(jstreq(&doc, 0, p, "cancel-requested"));
	}
}

TEST_F(box, cancel_stale_id)
{
	char slot[16], id[24];

	CTL(&self->c, 0, "cancel", self->name, num(slot, self->s_pending),
	    num(id, self->id_pending + 100));
	EXPECT_EQ(EXIT_CALL, self->c.status);
	EXPECT_NE(NULL, strstr(self->c.err, "does not hold call"));
}

TEST_F(box, cancel_answered_call)
{
	char slot[16], id[24];

	CTL(&self->c, 0, "cancel", self->name, num(slot, self->s_replied),
	    num(id, self->id_replied));
	EXPECT_EQ(EXIT_CALL, self->c.status);
	EXPECT_NE(NULL, strstr(self->c.err, "answered already"));
}

TEST_F(box, cancel_slot_out_of_range)
{
	char slot[16];

	CTL(&self->c, 0, "cancel", self->name, num(slot, NSLOTS), "1");
	EXPECT_EQ(EXIT_USAGE, self->c.status);
	EXPECT_NE(NULL, strstr(self->c.err, "out of range"));
}

TEST_F(box, cancel_id_zero)
{
	CTL(&self->c, 0, "cancel", self->name, "0", "0");
	EXPECT_EQ(EXIT_USAGE, self->c.status);
}

TEST_F(box, cancel_id_not_a_number)
{
	CTL(&self->c, 0, "cancel", self->name, "0", "12x");
	EXPECT_EQ(EXIT_USAGE, self->c.status);
}

TEST_F(box, cancel_missing_argument)
{
	CTL(&self->c, 0, "cancel", self->name, "0");
	EXPECT_EQ(EXIT_USAGE, self->c.status);
}

TEST_F(box, cancel_missing_mailbox)
{
	CTL(&self->c, 0, "cancel", "kst.ctl.no-such-box", "0", "1");
	EXPECT_EQ(EXIT_NO_MAILBOX, self->c.status);
}

/* ------------------------------------------------------------------ */
/* the command line                                                     */

TEST_F(box, no_command)
{
	CTL(&self->c, 0, "--json");
	EXPECT_EQ(EXIT_USAGE, self->c.status);
	EXPECT_ONE_LINE_USAGE(self->c);
}

TEST_F(box, unknown_command)
{
	CTL(&self->c, 0, "frobnicate");
	EXPECT_EQ(EXIT_USAGE, self->c.status);
	EXPECT_NE(NULL, strstr(self->c.err, "unknown command 'frobnicate'"));
}

TEST_F(box, unknown_global_option)
{
	CTL(&self->c, 0, "--bogus", "list");
	EXPECT_EQ(EXIT_USAGE, self->c.status);
}

TEST_F(box, help)
{
	CTL(&self->c, 0, "--help");
	EXPECT_EQ(0, self->c.status);
	EXPECT_NE(NULL, strstr(self->c.out, "Usage:"));
	EXPECT_NE(NULL, strstr(self->c.out, "Exit status"));
	EXPECT_EQ(0, self->c.nerr);
}

/* ------------------------------------------------------------------ */
/* the module missing: a private /dev without the node                  */

TEST_F(box, no_module_list)
{
	if (geteuid())
		SKIP(return, "needs root for a mount namespace");
	CTL(&self->c, NO_DEVICE, "list");
	EXPECT_EQ(EXIT_NO_MODULE, self->c.status) TH_LOG("%s", self->c.err);
	EXPECT_NE(NULL, strstr(self->c.err, "module is not loaded"));
}

TEST_F(box, no_module_show)
{
	if (geteuid())
		SKIP(return, "needs root for a mount namespace");
	CTL(&self->c, NO_DEVICE, "show", self->name);
	EXPECT_EQ(EXIT_NO_MODULE, self->c.status);
	EXPECT_NE(NULL, strstr(self->c.err, "module is not loaded"));
}

TEST_F(box, no_module_create)
{
	if (geteuid())
		SKIP(return, "needs root for a mount namespace");
	CTL(&self->c, NO_DEVICE, "create", "kst.ctl.x", "--slots", "1",
	    "--slot-size", "64");
	EXPECT_EQ(EXIT_NO_MODULE, self->c.status);
}

/* ------------------------------------------------------------------ */
/* no permission: uid 1000 against a root mailbox of mode 0600          */

static void private_box(struct __test_metadata *_metadata,
			FIXTURE_DATA(box) *self)
{
	struct mbx_set_args set;

	if (geteuid())
		SKIP(return, "needs root to become uid %d", OTHER_UID);
	memset(&set, 0, sizeof(set));
	set.size = sizeof(set);
	set.flags = MBX_SET_MODE;
	set.mode = 0600;
	ASSERT_EQ(0, mbx_ioctl(self->caller, MBX_IOC_BOX_SET, &set));
}

TEST_F(box, no_permission_show)
{
	private_box(_metadata, self);
	CTL(&self->c, AS_OTHER_UID, "show", self->name);
	EXPECT_EQ(EXIT_PERM, self->c.status) TH_LOG("%s", self->c.err);
	EXPECT_NE(NULL, strstr(self->c.err, "permission denied"));
}

TEST_F(box, no_permission_stats)
{
	private_box(_metadata, self);
	CTL(&self->c, AS_OTHER_UID, "stats", self->name);
	EXPECT_EQ(EXIT_PERM, self->c.status);
}

TEST_F(box, no_permission_watch)
{
	private_box(_metadata, self);
	CTL(&self->c, AS_OTHER_UID, "watch", self->name, "--iterations", "1");
	EXPECT_EQ(EXIT_PERM, self->c.status);
}

TEST_F(box, no_permission_destroy)
{
	private_box(_metadata, self);
	CTL(&self->c, AS_OTHER_UID, "destroy", self->name);
	EXPECT_EQ(EXIT_PERM, self->c.status);
	EXPECT_NE(NULL, strstr(self->c.err, "permission denied"));
	/* still there */
	CTL(&self->c, 0, "stats", self->name);
	EXPECT_EQ(0, self->c.status);
}

TEST_F(box, no_permission_cancel)
{
	char slot[16], id[24];

	private_box(_metadata, self);
	CTL(&self->c, AS_OTHER_UID, "cancel", self->name,
	    num(slot, self->s_pending), num(id, self->id_pending));
	EXPECT_EQ(EXIT_PERM, self->c.status);
}

TEST_F(box, no_permission_read_only_cancel)
{
	struct mbx_set_args set;
	char slot[16], id[24];

	if (geteuid())
		SKIP(return, "needs root to become uid %d", OTHER_UID);
	/* others may read, not write: show works, cancel does not */
	memset(&set, 0, sizeof(set));
	set.size = sizeof(set);
	set.flags = MBX_SET_MODE;
	set.mode = 0664;
	ASSERT_EQ(0, mbx_ioctl(self->caller, MBX_IOC_BOX_SET, &set));
	CTL(&self->c, AS_OTHER_UID, "show", self->name);
	EXPECT_EQ(0, self->c.status);
	CTL(&self->c, AS_OTHER_UID, "cancel", self->name,
	    num(slot, self->s_pending), num(id, self->id_pending));
	EXPECT_EQ(EXIT_PERM, self->c.status);
}

TEST_F(box, no_permission_list_hides)
{
	private_box(_metadata, self);
	CTL(&self->c, AS_OTHER_UID, "list");
	EXPECT_EQ(0, self->c.status);
	EXPECT_EQ(NULL, strstr(self->c.out, self->name));
}

/* ------------------------------------------------------------------ */
/* util-linux's options: --noheadings, --output, --raw, --numeric, -V   */

/* The line of @text that starts with @first and a space, in @buf. */
static const char *line_starting(const char *text, const char *first,
				 char *buf, size_t len)
{
	const char *p = text, *nl;
	size_t n = strlen(first);

	for (; *p; p = *nl ? nl + 1 : nl) {
		nl = strchrnul(p, '\n');
		if ((size_t)(nl - p) > n && !strncmp(p, first, n) && p[n] == ' ') {
			snprintf(buf, len, "%.*s", (int)(nl - p), p);
			return buf;
		}
	}
	return NULL;
}

/*
 * The name /etc/passwd gives uid 0, read as mailboxctl's libc would
 * (files), or NULL. The test VM has no /etc/passwd: one with root is
 * written there, so that names can be checked at all.
 */
static const char *root_name(void)
{
	static char name[64];
	struct passwd *pw;
	FILE *f;

	if (access("/etc/passwd", F_OK) && (f = fopen("/etc/passwd", "w"))) {
		fputs("root:x:0:0:root:/root:/bin/sh\n", f);
		fclose(f);
		if ((f = fopen("/etc/group", "a"))) {
			fputs("root:x:0:\n", f);
			fclose(f);
		}
	}
	f = fopen("/etc/passwd", "r");
	if (!f)
		return NULL;
	while ((pw = fgetpwent(f)))
		if (pw->pw_uid == 0) {
			snprintf(name, sizeof(name), "%s", pw->pw_name);
			fclose(f);
			return name;
		}
	fclose(f);
	return NULL;
}

/* Fields @first.. @first + @n - 1 (from 0) of line @l, one space apart. */
static const char *fields(const char *l, int first, int n)
{
	static char out[256];
	char buf[512], *tok, *save;
	int i = 0;

	out[0] = '\0';
	snprintf(buf, sizeof(buf), "%s", l);
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save), i++)
		if (i >= first && i < first + n)
			snprintf(out + strlen(out), sizeof(out) - strlen(out),
				 "%s%s", i > first ? " " : "", tok);
	return out;
}

TEST_F(box, usage_error_is_one_line)
{
	CTL(&self->c, 0, "list", "--bogus");
	EXPECT_EQ(EXIT_USAGE, self->c.status);
	EXPECT_ONE_LINE_USAGE(self->c);
	EXPECT_NE(NULL, strstr(self->c.err, "'--bogus'")) TH_LOG("%s", self->c.err);
	EXPECT_EQ(0, self->c.nout);
}

TEST_F(box, option_of_another_command)
{
	CTL(&self->c, 0, "list", "--slots", "4");
	EXPECT_EQ(EXIT_USAGE, self->c.status);
	EXPECT_ONE_LINE_USAGE(self->c);
	EXPECT_NE(NULL, strstr(self->c.err, "--slots does not apply to list"))
		TH_LOG("%s", self->c.err);
}

TEST_F(box, version)
{
	char want[64], mod[32] = "";
	FILE *f = fopen("/sys/module/mbx/version", "r");

	/* the module's MODULE_VERSION is mailboxctl's version */
	ASSERT_NE(NULL, f) TH_LOG("no /sys/module/mbx/version: no MODULE_VERSION");
	ASSERT_NE(NULL, fgets(mod, sizeof(mod), f));
	fclose(f);
	mod[strcspn(mod, "\n")] = '\0';
	snprintf(want, sizeof(want), "mailboxctl from mbx %s (", mod);
	CTL(&self->c, 0, "-V");
	EXPECT_EQ(0, self->c.status);
	EXPECT_EQ(0, strncmp(self->c.out, want, strlen(want))) TH_LOG("%s", self->c.out);
	snprintf(want, sizeof(want), "API %d; module API %d)\n", MBX_API_VERSION,
		 MBX_API_VERSION);
	EXPECT_NE(NULL, strstr(self->c.out, want)) TH_LOG("%s", self->c.out);
	CTL(&self->c, 0, "--version");
	EXPECT_EQ(0, strncmp(self->c.out, "mailboxctl from mbx ", 20));
}

TEST_F(box, list_noheadings)
{
	char l[256];

	CTL(&self->c, 0, "list", "--noheadings");
	EXPECT_EQ(0, self->c.status);
	EXPECT_EQ(0, count_lines(self->c.out, "NAME"));
	EXPECT_NE(NULL, line_starting(self->c.out, self->name, l, sizeof(l)));
	CTL(&self->c, 0, "-n", "list");
	EXPECT_EQ(0, count_lines(self->c.out, "NAME"));
}

TEST_F(box, list_output_raw_numeric)
{
	struct mbx_info_args info;
	char l[256], want[256];

	memset(&info, 0xcc, sizeof(info));
	ASSERT_EQ(0, mbx_info(self->caller, &info));
	CTL(&self->c, 0, "list", "-r", "--numeric", "-o", "NAME,MODE,ID,OWNER,GID");
	EXPECT_EQ(0, self->c.status) TH_LOG("%s", self->c.err);
	EXPECT_NE(NULL, strstr(self->c.out, "NAME MODE ID OWNER GID\n")) TH_LOG("%s", self->c.out);
	snprintf(want, sizeof(want), "%s 0660 %llu 0 0", self->name,
		 (unsigned long long)info.out_box_id);
	ASSERT_NE(NULL, line_starting(self->c.out, self->name, l, sizeof(l)))
		TH_LOG("%s", self->c.out);
	EXPECT_STREQ(want, l);
}

TEST_F(box, list_output_added_column)
{
	char l[256];
	int fields = 0;
	char *tok, *save;

	/* +ID: the seven default columns, then ID */
	CTL(&self->c, 0, "list", "--raw", "--output", "+ID");
	EXPECT_EQ(0, self->c.status);
	EXPECT_NE(NULL, strstr(self->c.out,
			       "NAME SLOTS SLOT-SIZE OWNER GROUP MODE PENDING ID\n"));
	ASSERT_NE(NULL, line_starting(self->c.out, self->name, l, sizeof(l)));
	for (tok = strtok_r(l, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		fields++;
	EXPECT_EQ(8, fields);
}

TEST_F(box, list_output_unknown_column)
{
	CTL(&self->c, 0, "list", "-o", "NAME,COLOUR");
	EXPECT_EQ(EXIT_USAGE, self->c.status);
	EXPECT_ONE_LINE_USAGE(self->c);
	EXPECT_NE(NULL, strstr(self->c.err, "'COLOUR'"));
	EXPECT_NE(NULL, strstr(self->c.err, "SLOT-SIZE"));
}

TEST_F(box, list_user_names)
{
	const char *root = root_name();
	char l[256], want[256];

	if (!root)
		SKIP(return, "uid 0 has no name in /etc/passwd");
	CTL(&self->c, 0, "list", "-r", "-o", "NAME,OWNER,UID");
	EXPECT_EQ(0, self->c.status);
	snprintf(want, sizeof(want), "%s %s 0", self->name, root);
	ASSERT_NE(NULL, line_starting(self->c.out, self->name, l, sizeof(l)));
	EXPECT_STREQ(want, l);
	/* --json: the number and the name */
	CTL(&self->c, 0, "stats", "-J", self->name);
	ASSERT_TRUE(jparse(&doc, self->c.out)) TH_LOG("%s", self->c.out);
	EXPECT_TRUE(jstreq(&doc, 0, "user", root));
	EXPECT_EQ(0, jnum(&doc, 0, "uid"));
}

TEST_F(box, show_noheadings_raw_columns)
{
	char want[64], l[128];

	CTL(&self->c, 0, "show", self->name, "-n", "-r", "-o",
	    "SLOT,STATE,STATUS,REPLY-LEN");
	EXPECT_EQ(0, self->c.status) TH_LOG("%s", self->c.err);
	/* the table alone: one line per slot that is not free */
	EXPECT_EQ(4, count_lines(self->c.out, "")) TH_LOG("%s", self->c.out);
	EXPECT_EQ(NULL, strstr(self->c.out, "mailbox "));
	EXPECT_EQ(NULL, strstr(self->c.out, "not shown"));
	snprintf(want, sizeof(want), "%u", self->s_replied);
	ASSERT_NE(NULL, line_starting(self->c.out, want, l, sizeof(l)));
	snprintf(want, sizeof(want), "%u REPLIED -5 3", self->s_replied);
	EXPECT_STREQ(want, l);
	snprintf(want, sizeof(want), "%u", self->s_pending);
	ASSERT_NE(NULL, line_starting(self->c.out, want, l, sizeof(l)));
	snprintf(want, sizeof(want), "%u PENDING 0 0", self->s_pending);
	EXPECT_STREQ(want, l);
}

TEST_F(box, json_refuses_table_options)
{
	CTL(&self->c, 0, "list", "--json", "--noheadings");
	EXPECT_EQ(EXIT_USAGE, self->c.status);
	EXPECT_ONE_LINE_USAGE(self->c);
}

/* One mode format: 0660 in list, show and stats, tables and JSON. */
TEST_F(box, mode_one_format)
{
	char l[512];

	CTL(&self->c, 0, "list", "-J");
	ASSERT_TRUE(jparse(&doc, self->c.out));
	EXPECT_NE(NULL, strstr(self->c.out, "\"mode\":\"0660\""));
	CTL(&self->c, 0, "show", "-J", self->name);
	ASSERT_TRUE(jparse(&doc, self->c.out));
	EXPECT_TRUE(jstreq(&doc, 0, "mode", "0660"));
	CTL(&self->c, 0, "stats", "-J", self->name);
	ASSERT_TRUE(jparse(&doc, self->c.out));
	EXPECT_TRUE(jstreq(&doc, 0, "mode", "0660"));
	CTL(&self->c, 0, "show", self->name);
	ASSERT_NE(NULL, line_with(self->c.out, "mode ", l, sizeof(l)));
	EXPECT_NE(NULL, strstr(l, ", mode 0660")) TH_LOG("%s", l);
	CTL(&self->c, 0, "list", "-r", "-o", "NAME,MODE");
	ASSERT_NE(NULL, line_starting(self->c.out, self->name, l, sizeof(l)));
	EXPECT_NE(NULL, strstr(l, " 0660")) TH_LOG("%s", l);
}

TEST_F(box, stats_json_identity)
{
	struct mbx_info_args info;

	memset(&info, 0xcc, sizeof(info));
	ASSERT_EQ(0, mbx_info(self->caller, &info));
	CTL(&self->c, 0, "stats", "--json", self->name);
	EXPECT_EQ(0, self->c.status);
	ASSERT_TRUE(jparse(&doc, self->c.out)) TH_LOG("%s", self->c.out);
	EXPECT_EQ((long long)info.out_box_id, jnum(&doc, 0, "box_id"));
	EXPECT_EQ(NSLOTS, jnum(&doc, 0, "slots"));
	EXPECT_EQ(64, jnum(&doc, 0, "slot_size"));
	EXPECT_EQ(0, jnum(&doc, 0, "uid"));
	EXPECT_EQ(0, jnum(&doc, 0, "gid"));
	EXPECT_TRUE(jstreq(&doc, 0, "mode", "0660"));
	EXPECT_EQ((long long)info.out_reclaim_ns, jnum(&doc, 0, "reclaim_ns"));
	EXPECT_LE(0, jget(&doc, 0, "user"));
	EXPECT_LE(0, jget(&doc, 0, "group"));
}

/* ------------------------------------------------------------------ */
/* stats --prometheus: the text exposition format, checked line by line */

struct prom {
	char family[64][64];	/* in the order their TYPE came */
	char type[64][16];
	int nfam;
	char err[256];
};

static bool prom_name_ok(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!(isalpha((unsigned char)s[i]) || s[i] == '_' || s[i] == ':' ||
		      (i && isdigit((unsigned char)s[i]))))
			return false;
	return n > 0;
}

/*
 * Checks @text against the exposition format: "# HELP name text" and
 * "# TYPE name counter|gauge" once per family, before its samples; the
 * samples of a family together; "name{label="value",...} number"; label
 * values with only \\, \" and \n escapes; counters named *_total.
 */
static bool prom_parse(const char *text, struct prom *p)
{
	const char *l = text, *nl;
	int cur = -1, ln = 0, i;

	memset(p, 0, sizeof(*p));
	for (; *l; l = nl + 1) {
		char name[64];
		const char *q;
		size_t n;
		char *end;

		ln++;
		nl = strchr(l, '\n');
		if (!nl) {
			snprintf(p->err, sizeof(p->err), "line %d: no newline at the end", ln);
			return false;
		}
		if (!strncmp(l, "# HELP ", 7) || !strncmp(l, "# TYPE ", 7)) {
			bool type = l[2] == 'T';

			q = l + 7;
			n = strcspn(q, " \n");
			if (!prom_name_ok(q, n) || n >= sizeof(name) || q[n] != ' ')
				goto bad;
			snprintf(name, sizeof(name), "%.*s", (int)n, q);
			if (!type) {
				for (i = 0; i < p->nfam; i++)
					if (!strcmp(p->family[i], name))
						goto bad;	/* HELP after its samples */
				continue;
			}
			q += n + 1;
			for (i = 0; i < p->nfam; i++)
				if (!strcmp(p->family[i], name))
					goto bad;	/* a second TYPE */
			if (p->nfam == 64)
				goto bad;
			snprintf(p->type[p->nfam], sizeof(p->type[0]), "%.*s",
				 (int)(nl - q), q);
			if (strcmp(p->type[p->nfam], "counter") &&
			    strcmp(p->type[p->nfam], "gauge"))
				goto bad;
			if (!strcmp(p->type[p->nfam], "counter") &&
			    (n < 6 || strcmp(name + n - 6, "_total")))
				goto bad;
			strcpy(p->family[p->nfam], name);
			cur = p->nfam++;
			continue;
		}
		if (*l == '#')
			goto bad;
		/* a sample: of the family whose TYPE came last */
		n = strcspn(l, "{ ");
		if (cur < 0 || n != strlen(p->family[cur]) ||
		    strncmp(l, p->family[cur], n))
			goto bad;
		q = l + n;
		if (*q == '{') {
			q++;
			while (*q != '}') {
				n = strcspn(q, "=");
				if (!prom_name_ok(q, n) || q[n] != '=' || q[n + 1] != '"')
					goto bad;
				q += n + 2;
				while (*q != '"') {
					if (*q == '\n' || !*q)
						goto bad;
					if (*q == '\\' && !strchr("\\\"n", q[1]))
						goto bad;
					q += *q == '\\' ? 2 : 1;
				}
				q++;
				if (*q == ',')
					q++;
				else if (*q != '}')
					goto bad;
			}
			q++;
		}
		if (*q != ' ')
			goto bad;
		strtod(q + 1, &end);
		if (end == q + 1 || end != nl)
			goto bad;
	}
	return true;
bad:
	snprintf(p->err, sizeof(p->err), "line %d: %.*s", ln,
		 (int)(strchrnul(l, '\n') - l), l);
	return false;
}

/* The value of sample @metric{mailbox="@box"}, or NAN. */
static double prom_value(const char *text, const char *metric, const char *box)
{
	char want[160];
	const char *p;

	snprintf(want, sizeof(want), "\n%s{mailbox=\"%s\"} ", metric, box);
	p = strstr(text, want);
	return p ? strtod(p + strlen(want), NULL) : NAN;
}

TEST_F(box, stats_prometheus)
{
	struct mbx_info_args info;
	struct prom *p = calloc(1, sizeof(*p));
	char want[256];

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, mbx_info(self->caller, &info));
	CTL(&self->c, 0, "stats", "--prometheus", self->name);
	EXPECT_EQ(0, self->c.status) TH_LOG("%s", self->c.err);
	ASSERT_TRUE(prom_parse(self->c.out, p)) TH_LOG("%s\n%s", p->err, self->c.out);
	EXPECT_LE(10, p->nfam);
	EXPECT_EQ(3, prom_value(self->c.out, "mbx_calls_submitted_total", self->name));
	EXPECT_EQ(2, prom_value(self->c.out, "mbx_calls_taken_total", self->name));
	EXPECT_EQ(1, prom_value(self->c.out, "mbx_calls_completed_total", self->name));
	EXPECT_EQ(0, prom_value(self->c.out, "mbx_calls_cancelled_total", self->name));
	EXPECT_EQ(1, prom_value(self->c.out, "mbx_pending_calls", self->name));
	EXPECT_EQ(1, prom_value(self->c.out, "mbx_taken_calls", self->name));
	EXPECT_EQ(1, prom_value(self->c.out, "mbx_replied_calls", self->name));
	EXPECT_EQ(NSLOTS, prom_value(self->c.out, "mbx_slots", self->name));
	EXPECT_EQ(64, prom_value(self->c.out, "mbx_slot_size_bytes", self->name));
	EXPECT_LT(0, prom_value(self->c.out, "mbx_oldest_pending_seconds", self->name));
	EXPECT_GT(60, prom_value(self->c.out, "mbx_oldest_pending_seconds", self->name));
	/* the identity, in the info metric's labels */
	snprintf(want, sizeof(want), "mbx_mailbox_info{mailbox=\"%s\",box_id=\"%llu\",",
		 self->name, (unsigned long long)info.out_box_id);
	EXPECT_NE(NULL, strstr(self->c.out, want)) TH_LOG("%s", self->c.out);
	EXPECT_NE(NULL, strstr(self->c.out, ",mode=\"0660\"} 1\n"));
	free(p);
}

TEST_F(box, stats_prometheus_every_mailbox)
{
	struct prom *p = calloc(1, sizeof(*p));
	char other[MBX_NAME_MAX];
	int fd;

	ASSERT_NE(NULL, p);
	mbx_unique_name(other, "ctl-prom");
	fd = mbx_create(self->dev, other, 4, 64, 0600);
	ASSERT_LE(0, fd);
	CTL(&self->c, 0, "stats", "--prometheus");
	EXPECT_EQ(0, self->c.status) TH_LOG("%s", self->c.err);
	/* both mailboxes, each family once with both samples together */
	EXPECT_TRUE(prom_parse(self->c.out, p)) TH_LOG("%s\n%s", p->err, self->c.out);
	EXPECT_EQ(3, prom_value(self->c.out, "mbx_calls_submitted_total", self->name));
	EXPECT_EQ(0, prom_value(self->c.out, "mbx_calls_submitted_total", other));
	EXPECT_EQ(4, prom_value(self->c.out, "mbx_slots", other));
	EXPECT_EQ(1, count_lines(self->c.out, "# TYPE mbx_slots "));
	close(fd);
	mbx_destroy(self->dev, other);
	free(p);
}

TEST_F(box, stats_prometheus_missing_mailbox)
{
	CTL(&self->c, 0, "stats", "--prometheus", self->name, "kst.ctl.no-such-box");
	EXPECT_EQ(EXIT_NO_MAILBOX, self->c.status);
	EXPECT_EQ(0, self->c.nout);
}

TEST_F(box, stats_prometheus_and_json)
{
	CTL(&self->c, 0, "stats", "--prometheus", "--json", self->name);
	EXPECT_EQ(EXIT_USAGE, self->c.status);
	EXPECT_ONE_LINE_USAGE(self->c);
}

/* ------------------------------------------------------------------ */
/* watch: waiting (pending, untaken) apart from stuck (taken, held)     */

TEST_F(box, watch_waiting_apart_from_stuck)
{
	char l[256], want[96], id[24], waiting[96], stuck[96];
	int w;

	/* A mailbox with one pending call and nobody taking its calls. */
	snprintf(waiting, sizeof(waiting), "%s WAITING ", self->name);
	snprintf(stuck, sizeof(stuck), "%s STUCK ", self->name);
	CTL(&self->c, 0, "watch", self->name, "--iterations", "1", "--plain",
	    "--stuck-ms", "0");
	EXPECT_EQ(0, self->c.status);
	ASSERT_NE(NULL, line_with(self->c.out, waiting, l, sizeof(l))) TH_LOG("%s", self->c.out);
	/* MAILBOX KIND SLOT CALL-ID OPCODE CALLER CALLEE FOR DELIV */
	snprintf(want, sizeof(want), "%u %s 7 %d -", self->s_pending,
		 num(id, self->id_pending), getpid());
	EXPECT_STREQ(want, fields(l, 2, 5)) TH_LOG("%s", l);
	ASSERT_NE(NULL, line_with(self->c.out, stuck, l, sizeof(l)));
	snprintf(want, sizeof(want), "%u %s 8 %d %d", self->s_taken,
		 num(id, self->id_taken), getpid(), getpid());
	EXPECT_STREQ(want, fields(l, 2, 5)) TH_LOG("%s", l);
	/* the mailbox's line: WAITING 1 and STUCK 1, its last two columns */
	ASSERT_NE(NULL, line_starting(self->c.out, self->name, l, sizeof(l)));
	EXPECT_STREQ("1 1", fields(l, 9, 2)) TH_LOG("%s", l);

	CTL(&self->c, 0, "watch", "-J", self->name, "--iterations", "1",
	    "--stuck-ms", "0");
	ASSERT_TRUE(jparse(&doc, self->c.out)) TH_LOG("%s", self->c.out);
	w = jget(&doc, 0, "mailboxes.0.waiting");
	ASSERT_EQ(1, jlen(&doc, w));
	EXPECT_EQ(self->id_pending, jnum(&doc, w, "0.call_id"));
	EXPECT_EQ(getpid(), jnum(&doc, w, "0.caller_pid"));
	EXPECT_LT(0, jnum(&doc, w, "0.waited_ns"));
	EXPECT_EQ(1, jlen(&doc, jget(&doc, 0, "mailboxes.0.stuck")));

	/* below the threshold: neither */
	CTL(&self->c, 0, "watch", self->name, "--iterations", "1", "--plain",
	    "--stuck-ms", "3600000");
	EXPECT_EQ(NULL, strstr(self->c.out, waiting));
	EXPECT_EQ(NULL, strstr(self->c.out, stuck));
	EXPECT_NE(NULL, strstr(self->c.out, "none waiting untaken"));
}

/* ------------------------------------------------------------------ */
/* cancel says what became of a call it is too late for                 */

TEST_F(box, cancel_withdrawn_call_again)
{
	char slot[16], id[24];

	CTL(&self->c, 0, "cancel", self->name, num(slot, self->s_pending),
	    num(id, self->id_pending));
	ASSERT_EQ(0, self->c.status) TH_LOG("%s", self->c.err);
	CTL(&self->c, 0, "cancel", self->name, slot, id);
	EXPECT_EQ(EXIT_CALL, self->c.status);
	EXPECT_NE(NULL, strstr(self->c.err, "cancelled already")) TH_LOG("%s", self->c.err);
	EXPECT_EQ(NULL, strstr(self->c.err, "answered"));
}

TEST_F(box, cancel_collected_call)
{
	struct mbx_call call;
	char slot[16], id[24];

	ASSERT_EQ(0, mbx_collect(self->caller, MBX_COLLECT_CALL, self->s_replied,
				 self->id_replied, 0, &call));
	CTL(&self->c, 0, "cancel", self->name, num(slot, self->s_replied),
	    num(id, self->id_replied));
	EXPECT_EQ(EXIT_CALL, self->c.status);
	EXPECT_NE(NULL, strstr(self->c.err, "collected the reply already"))
		TH_LOG("%s", self->c.err);
	EXPECT_NE(NULL, strstr(self->c.err, "status -5"));
}

TEST_HARNESS_MAIN
