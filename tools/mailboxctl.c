// SPDX-License-Identifier: GPL-2.0
/*
 * mailboxctl: look at and steer the mailboxes of /dev/mailbox.
 *
 *   mailboxctl [options] list
 *   mailboxctl [options] show NAME
 *   mailboxctl [options] stats NAME
 *   mailboxctl stats --prometheus [NAME...]
 *   mailboxctl [options] watch NAME...
 *   mailboxctl create NAME --slots N --slot-size BYTES [--mode MODE]
 *                          [--reclaim-ms MS]
 *   mailboxctl destroy NAME
 *   mailboxctl cancel NAME SLOT CALL-ID
 *
 * Options go before or after the command, as util-linux's tools take
 * them; each applies to the commands mailboxctl(8) names. Read commands
 * open the mailbox for reading only (MBX_ACCESS_READ) and only inspect it
 * (MBX_IOC_SLOT_INFO, MBX_IOC_BOX_STATS): they never disturb the callers
 * and callees. The exit codes are in mailboxctl(8) and in enum exit_code
 * below.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "mailbox.h"

#ifndef MBX_VERSION
#error "MBX_VERSION: tools/Makefile defines it from the top-level VERSION file"
#endif

enum exit_code {
	EXIT_OK = 0,
	EXIT_ERROR = 1,		/* anything else the kernel refused */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_NO_MODULE = 3,	/* /dev/mailbox absent: mbx.ko not loaded */
	EXIT_NO_MAILBOX = 4,	/* no mailbox of that name */
	EXIT_PERM = 5,		/* permission denied */
	EXIT_EXISTS = 6,	/* create: the name is taken */
	EXIT_CALL = 7,		/* cancel: no such call, or too late */
};

static const char *prog = "mailboxctl";

/* The command line, parsed once for every command. */
enum {
	OPT_JSON = 1 << 0,
	OPT_NOHEADINGS = 1 << 1,
	OPT_OUTPUT = 1 << 2,
	OPT_RAW = 1 << 3,
	OPT_NUMERIC = 1 << 4,
	OPT_ALL = 1 << 5,
	OPT_PROMETHEUS = 1 << 6,
	OPT_WATCH = 1 << 7,	/* --interval, --stuck-ms, --iterations, --ansi, --plain */
	OPT_CREATE = 1 << 8,	/* --slots, --slot-size, --mode, --reclaim-ms */
};

static struct {
	unsigned int given;	/* OPT_* seen */
	const char *given_name[16];	/* one option of each bit, for messages */
	const char *output;
	uint64_t interval_ms, stuck_ms, iterations;
	int ansi;		/* -1: when stdout is a terminal */
	uint64_t nslots, slot_size, mode, reclaim_ms;
	bool have_mode;
} opt = {
	.interval_ms = 1000, .stuck_ms = 1000, .ansi = -1, .mode = 0660,
};

#define JSON		(opt.given & OPT_JSON)
#define NUMERIC		(opt.given & OPT_NUMERIC)

static const char *const state_names[] = {
	[MBX_STATE_FREE] = "FREE",
	[MBX_STATE_OWNED] = "OWNED",
	[MBX_STATE_PENDING] = "PENDING",
	[MBX_STATE_EDIT] = "EDIT",
	[MBX_STATE_TAKEN] = "TAKEN",
	[MBX_STATE_REPLIED] = "REPLIED",
};

static const struct {
	uint32_t bit;
	const char *name;
} flag_names[] = {
	{ MBX_CALL_AT_MOST_ONCE, "at-most-once" },
	{ MBX_CALL_REDELIVERED, "redelivered" },
	{ MBX_CALL_CALLER_GONE, "caller-gone" },
	{ MBX_CALL_CANCEL_REQ, "cancel-requested" },
	{ MBX_CALL_ADOPTED, "adopted" },
};

#define NFLAGS	(sizeof(flag_names) / sizeof(flag_names[0]))

/* ------------------------------------------------------------------ */
/* Messages and errors                                                  */

static void __attribute__((format(printf, 1, 2))) complain(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage(void)
{
	printf(
"Usage:\n"
" %s [options] list\n"
" %s [options] show NAME\n"
" %s [options] stats NAME\n"
" %s stats --prometheus [NAME...]\n"
" %s [options] watch NAME...\n"
" %s create NAME --slots N --slot-size BYTES [--mode MODE]\n"
"                  [--reclaim-ms MS]\n"
" %s destroy NAME\n"
" %s cancel NAME SLOT CALL-ID\n"
"\n"
"Look at and steer the mailboxes of /dev/mailbox.\n"
"\n"
"Commands:\n"
" list                  the mailboxes you may read\n"
" show NAME             the slots that are not free (--all: every slot)\n"
" stats NAME            counters and the current picture\n"
" watch NAME...         a live view; q or Ctrl-C quits\n"
" create NAME           make a mailbox\n"
" destroy NAME          remove a mailbox's name\n"
" cancel NAME SLOT ID   withdraw a call, or ask its callee to drop it\n"
"\n"
"Options:\n"
" -J, --json            JSON output (list, show, stats, watch)\n"
" -n, --noheadings      no heading lines (list, show)\n"
" -o, --output LIST     the columns to print, +LIST to add (list, show)\n"
" -r, --raw             unaligned columns, one space apart (list, show)\n"
"     --numeric         user and group ids, not names\n"
" -a, --all             show every slot, free ones too (show)\n"
"     --prometheus      Prometheus text format; no NAME: every mailbox (stats)\n"
"     --interval MS     watch: time between frames (default 1000)\n"
"     --stuck-ms MS     watch: flag calls taken, or pending untaken, this long\n"
"                       (default 1000)\n"
"     --iterations N    watch: draw N frames, then exit\n"
"     --ansi, --plain   watch: redraw in place, or print frame after frame\n"
" -h, --help            this text\n"
" -V, --version         the versions of this program and of the module's API\n"
"\n"
"Columns of list: NAME SLOTS SLOT-SIZE OWNER GROUP MODE PENDING ID UID GID\n"
"Columns of show: SLOT STATE OPCODE CALL-ID OWNER CALLER CALLEE DELIV AGE FLAGS\n"
"                 USER-DATA LEN REPLY-LEN STATUS\n"
"\n"
"Exit status: 0 ok, 1 error, 2 usage, 3 module not loaded, 4 no such\n"
"mailbox, 5 permission denied, 6 mailbox exists, 7 call not cancellable.\n"
"For more details see mailboxctl(8).\n",
	       prog, prog, prog, prog, prog, prog, prog, prog);
}

/* util-linux's form: the problem, then where to read more; nothing else. */
static int __attribute__((format(printf, 1, 2))) usage_error(const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		fprintf(stderr, "%s: ", prog);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fprintf(stderr, "Try '%s --help' for more information.\n", prog);
	return EXIT_USAGE;
}

/*
 * The one check that tells "no module" from "no mailbox": libmailbox gives
 * ENOENT for both, since it opens /dev/mailbox itself.
 */
static int check_device(void)
{
	struct mbx_api_args api;
	int fd, ret;

	fd = open(MAILBOX_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;

		if (err == ENOENT || err == ENODEV || err == ENXIO) {
			complain("%s does not exist: the mbx module is not loaded (modprobe mbx)",
			      MAILBOX_DEVICE);
			return EXIT_NO_MODULE;
		}
		complain("cannot open %s: %s", MAILBOX_DEVICE, strerror(err));
		return err == EACCES || err == EPERM ? EXIT_PERM : EXIT_ERROR;
	}
	close(fd);
	ret = mailbox_api(&api);
	if (ret == -ENOTTY) {
		complain("%s is not a mailbox device (no MBX_IOC_API)",
		      MAILBOX_DEVICE);
		return EXIT_NO_MODULE;
	}
	if (ret < 0) {
		complain("the module refuses API version %d: %s", MBX_API_VERSION,
		      strerror(-ret));
		return EXIT_ERROR;
	}
	return EXIT_OK;
}

/* Report a failure on mailbox @name; returns the exit code. */
static int box_error(const char *name, const char *what, int err)
{
	switch (err) {
	case ENOENT:
		complain("no mailbox named '%s'", name);
		return EXIT_NO_MAILBOX;
	case EACCES:
	case EPERM:
	case EBADF:
		complain("%s '%s': permission denied", what, name);
		return EXIT_PERM;
	case EEXIST:
		complain("a mailbox named '%s' exists already", name);
		return EXIT_EXISTS;
	default:
		complain("%s '%s': %s", what, name, strerror(err));
		return EXIT_ERROR;
	}
}

/* ------------------------------------------------------------------ */
/* Parsing                                                              */

static bool name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= MBX_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
		    !(*s >= '0' && *s <= '9') && !strchr("_.:-", *s))
			return false;
	return true;
}

static int check_name(const char *s)
{
	if (name_valid(s))
		return 0;
	return usage_error("'%s' is not a mailbox name (1 to %d characters of A-Z a-z 0-9 _ . : -)",
			   s, MBX_NAME_MAX - 1);
}

/* An unsigned number in [min, max], decimal, or octal for @octal. */
static bool parse_u64(const char *s, uint64_t min, uint64_t max, int base,
		      uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* A size: bytes, or with a k or m suffix (1024, 1048576). */
static bool parse_size(const char *s, uint64_t *out)
{
	char buf[32], *last;
	uint64_t mult = 1, v;
	size_t n = strlen(s);

	if (!n || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n + 1);
	last = &buf[n - 1];
	if (*last == 'k' || *last == 'K')
		mult = 1024;
	else if (*last == 'm' || *last == 'M')
		mult = 1024 * 1024;
	if (mult != 1)
		*last = '\0';
	if (!parse_u64(buf, 1, UINT32_MAX / mult, 10, &v))
		return false;
	*out = v * mult;
	return true;
}


/* ------------------------------------------------------------------ */
/* Output helpers                                                       */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static const char *fmt_dur(char *buf, size_t len, uint64_t ns)
{
	if (ns < 1000)
		snprintf(buf, len, "%" PRIu64 "ns", ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.1fus", ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.1fms", ns / 1e6);
	else if (ns < 3600ULL * 1000000000)
		snprintf(buf, len, "%.1fs", ns / 1e9);
	else
		snprintf(buf, len, "%.1fh", ns / 3.6e12);
	return buf;
}

static const char *fmt_pid(char *buf, size_t len, uint32_t pid)
{
	if (pid)
		snprintf(buf, len, "%" PRIu32, pid);
	else
		snprintf(buf, len, "-");
	return buf;
}

static const char *state_name(uint32_t state)
{
	if (state < sizeof(state_names) / sizeof(state_names[0]) &&
	    state_names[state])
		return state_names[state];
	return "?";
}

static const char *fmt_flags(char *buf, size_t len, uint32_t flags)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < NFLAGS; i++) {
		if (!(flags & flag_names[i].bit))
			continue;
		n += snprintf(buf + n, n < len ? len - n : 0, "%s%s",
			      n ? "," : "", flag_names[i].name);
		flags &= ~flag_names[i].bit;
	}
	if (flags)
		snprintf(buf + n, n < len ? len - n : 0, "%s0x%x",
			 n ? "," : "", flags);
	if (!buf[0])
		snprintf(buf, len, "-");
	return buf;
}

/* A JSON string; names are plain already, but nothing is assumed. */
static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void json_flags(uint32_t flags)
{
	bool first = true;
	size_t i;

	putchar('[');
	for (i = 0; i < NFLAGS; i++) {
		if (!(flags & flag_names[i].bit))
			continue;
		printf("%s\"%s\"", first ? "" : ",", flag_names[i].name);
		first = false;
	}
	putchar(']');
}

/*
 * How long a slot has been in its state: since the call was submitted
 * (PENDING, EDIT), taken (TAKEN) or answered (REPLIED); 0 otherwise.
 */
static uint64_t slot_age(const struct mbx_slot_info *s, uint64_t now)
{
	uint64_t t = 0;

	switch (s->state) {
	case MBX_STATE_PENDING:
	case MBX_STATE_EDIT:
		t = s->submit_ns;
		break;
	case MBX_STATE_TAKEN:
		t = s->take_ns;
		break;
	case MBX_STATE_REPLIED:
		t = s->reply_ns;
		break;
	}
	return t && now > t ? now - t : 0;
}


/* The mode in the one form every command prints: 0660. */
static const char *fmt_mode(char *buf, size_t len, uint32_t mode)
{
	snprintf(buf, len, "%04o", mode & 07777);
	return buf;
}

/* A user's name, or the number when it has none (or with --numeric). */
static const char *fmt_user(char *buf, size_t len, uint32_t uid)
{
	struct passwd pw, *res = NULL;
	char tmp[1024];

	if (!NUMERIC && !getpwuid_r(uid, &pw, tmp, sizeof(tmp), &res) && res)
		snprintf(buf, len, "%s", pw.pw_name);
	else
		snprintf(buf, len, "%" PRIu32, uid);
	return buf;
}

static const char *fmt_group(char *buf, size_t len, uint32_t gid)
{
	struct group gr, *res = NULL;
	char tmp[4096];

	if (!NUMERIC && !getgrgid_r(gid, &gr, tmp, sizeof(tmp), &res) && res)
		snprintf(buf, len, "%s", gr.gr_name);
	else
		snprintf(buf, len, "%" PRIu32, gid);
	return buf;
}

/* "name" or null: JSON carries the numbers too, the name only if known. */
static void json_name(const char *key, const char *name, uint32_t id)
{
	char num[16];

	snprintf(num, sizeof(num), "%" PRIu32, id);
	printf(",\"%s\":", key);
	if (strcmp(name, num))
		json_str(name);
	else
		printf("null");
}

/* ------------------------------------------------------------------ */
/* Tables: columns chosen with --output, aligned, or --raw              */

#define MAX_COLS	16

struct column {
	const char *name;
	bool right;		/* numbers: aligned right */
	bool dflt;		/* shown without --output */
};

struct table {
	const struct column *cols;
	int ncols;
	int sel[MAX_COLS * 2];	/* the columns shown, in order */
	int nsel;
	char (*cells)[MAX_COLS][72];
	int rows, cap;
};

/* --output: "A,B" replaces the default columns, "+A,B" adds to them. */
static int table_select(struct table *t, const char *cmd)
{
	const char *p = opt.output;
	int i;

	t->nsel = 0;
	if (!p || *p == '+') {
		for (i = 0; i < t->ncols; i++)
			if (t->cols[i].dflt)
				t->sel[t->nsel++] = i;
		if (!p)
			return 0;
		p++;
	}
	while (*p) {
		size_t n = strcspn(p, ",");

		for (i = 0; i < t->ncols; i++)
			if (strlen(t->cols[i].name) == n &&
			    !strncasecmp(t->cols[i].name, p, n))
				break;
		if (i == t->ncols || n == 0) {
			char known[256] = "";

			for (i = 0; i < t->ncols; i++)
				snprintf(known + strlen(known), sizeof(known) - strlen(known),
					 "%s%s", i ? ", " : "", t->cols[i].name);
			return usage_error("--output: %s has no column '%.*s' (it has %s)",
					   cmd, (int)n, p, known);
		}
		if (t->nsel == (int)(sizeof(t->sel) / sizeof(t->sel[0])))
			return usage_error("--output: too many columns");
		t->sel[t->nsel++] = i;
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

/* A new row; its cells are set with cell(). NULL when out of memory. */
static char (*table_row(struct table *t))[72]
{
	if (t->rows == t->cap) {
		int cap = t->cap ? t->cap * 2 : 64;
		void *c = realloc(t->cells, cap * sizeof(*t->cells));

		if (!c)
			return NULL;
		t->cells = c;
		t->cap = cap;
	}
	memset(t->cells[t->rows], 0, sizeof(*t->cells));
	return t->cells[t->rows++];
}

static void __attribute__((format(printf, 3, 4)))
cell(char (*row)[72], int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(row[col], sizeof(row[col]), fmt, ap);
	va_end(ap);
}

static void table_print(struct table *t)
{
	bool raw = opt.given & OPT_RAW, heads = !(opt.given & OPT_NOHEADINGS);
	int w[MAX_COLS * 2], r, k;

	for (k = 0; k < t->nsel; k++) {
		w[k] = heads ? strlen(t->cols[t->sel[k]].name) : 0;
		for (r = 0; r < t->rows; r++) {
			int n = strlen(t->cells[r][t->sel[k]]);

			if (n > w[k])
				w[k] = n;
		}
	}
	for (r = heads ? -1 : 0; r < t->rows; r++) {
		for (k = 0; k < t->nsel; k++) {
			const struct column *c = &t->cols[t->sel[k]];
			const char *v = r < 0 ? c->name : t->cells[r][t->sel[k]];
			bool last = k == t->nsel - 1;

			if (!*v)
				v = "-";
			if (raw)
				printf("%s%s", k ? " " : "", v);
			else if (c->right)
				printf("%s%*s", k ? " " : "", w[k], v);
			else
				printf("%s%-*s", k ? " " : "", last ? 0 : w[k], v);
		}
		putchar('\n');
	}
	free(t->cells);
	t->cells = NULL;
	t->rows = t->cap = 0;
}

/* ------------------------------------------------------------------ */
/* Opening mailboxes                                                    */

static int open_box(struct mailbox *mb, const char *name, uint32_t access)
{
	int ret = mailbox_open(mb, name, access, MBX_OPEN_CLOEXEC);

	if (ret < 0)
		return box_error(name, "open", -ret);
	return EXIT_OK;
}

/* Every slot header of @mb into a new array (free() it). */
static int read_slots(struct mailbox *mb, struct mbx_slot_info **out)
{
	struct mbx_slot_info *info;
	uint32_t first = 0;
	int ret;

	info = calloc(mb->nslots ? mb->nslots : 1, sizeof(*info));
	if (!info)
		return -ENOMEM;
	while (first < mb->nslots) {
		uint32_t n = mb->nslots - first;

		if (n > 1024)
			n = 1024;
		ret = mailbox_slot_info(mb, first, n, info + first);
		if (ret <= 0) {
			free(info);
			return ret < 0 ? ret : -EIO;
		}
		first += ret;
	}
	*out = info;
	return 0;
}


/* Every mailbox the caller may read, into a new array (free() it). */
static int list_boxes(struct mbx_box_entry **out, uint32_t *count)
{
	struct mbx_box_entry *e = NULL;
	uint32_t total = 0, want = 16, i;
	int n;

	for (;;) {
		free(e);
		e = calloc(want, sizeof(*e));
		if (!e)
			return -ENOMEM;
		n = mailbox_list(e, want, &total);
		if (n < 0) {
			free(e);
			return n;
		}
		if (total <= want)
			break;
		want = total + 16;	/* more appeared meanwhile: again */
	}
	for (i = 0; i < (uint32_t)n; i++)
		e[i].name[MBX_NAME_MAX - 1] = '\0';
	*out = e;
	*count = n;
	return 0;
}

/* ------------------------------------------------------------------ */
/* list                                                                 */

enum { L_NAME, L_SLOTS, L_SLOT_SIZE, L_OWNER, L_GROUP, L_MODE, L_PENDING,
       L_ID, L_UID, L_GID, L_NCOLS };

static const struct column list_cols[L_NCOLS] = {
	[L_NAME] = { "NAME", false, true },
	[L_SLOTS] = { "SLOTS", true, true },
	[L_SLOT_SIZE] = { "SLOT-SIZE", true, true },
	[L_OWNER] = { "OWNER", false, true },
	[L_GROUP] = { "GROUP", false, true },
	[L_MODE] = { "MODE", false, true },
	[L_PENDING] = { "PENDING", true, true },
	[L_ID] = { "ID", true, false },
	[L_UID] = { "UID", true, false },
	[L_GID] = { "GID", true, false },
};

static int cmd_list(int argc, char **argv)
{
	struct table t = { .cols = list_cols, .ncols = L_NCOLS };
	struct mbx_box_entry *e;
	char u[64], g[64], m[8];
	uint32_t n, i;
	int ret;

	if (argc > 1)
		return usage_error("list takes no argument ('%s')", argv[1]);
	ret = table_select(&t, "list");
	if (!ret)
		ret = check_device();
	if (ret)
		return ret;
	ret = list_boxes(&e, &n);
	if (ret < 0) {
		complain("list: %s", strerror(-ret));
		return -ret == EACCES ? EXIT_PERM : EXIT_ERROR;
	}
	if (JSON) {
		printf("{\"mailboxes\":[");
		for (i = 0; i < n; i++) {
			printf("%s{\"name\":", i ? "," : "");
			json_str((char *)e[i].name);
			printf(",\"slots\":%" PRIu32 ",\"slot_size\":%" PRIu32
			       ",\"uid\":%" PRIu32 ",\"gid\":%" PRIu32,
			       e[i].nslots, e[i].slot_size, e[i].uid, e[i].gid);
			json_name("user", fmt_user(u, sizeof(u), e[i].uid), e[i].uid);
			json_name("group", fmt_group(g, sizeof(g), e[i].gid), e[i].gid);
			printf(",\"mode\":\"%s\",\"pending\":%" PRIu32
			       ",\"box_id\":%" PRIu64 "}",
			       fmt_mode(m, sizeof(m), e[i].mode), e[i].pending,
			       (uint64_t)e[i].box_id);
		}
		printf("]}\n");
		free(e);
		return EXIT_OK;
	}
	for (i = 0; i < n; i++) {
		char (*row)[72] = table_row(&t);

		if (!row) {
			complain("out of memory");
			free(e);
			return EXIT_ERROR;
		}
		cell(row, L_NAME, "%s", (char *)e[i].name);
		cell(row, L_SLOTS, "%" PRIu32, e[i].nslots);
		cell(row, L_SLOT_SIZE, "%" PRIu32, e[i].slot_size);
		cell(row, L_OWNER, "%s", fmt_user(u, sizeof(u), e[i].uid));
		cell(row, L_GROUP, "%s", fmt_group(g, sizeof(g), e[i].gid));
		cell(row, L_MODE, "%s", fmt_mode(m, sizeof(m), e[i].mode));
		cell(row, L_PENDING, "%" PRIu32, e[i].pending);
		cell(row, L_ID, "%" PRIu64, (uint64_t)e[i].box_id);
		cell(row, L_UID, "%" PRIu32, e[i].uid);
		cell(row, L_GID, "%" PRIu32, e[i].gid);
	}
	table_print(&t);
	free(e);
	return EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* show                                                                 */

enum { S_SLOT, S_STATE, S_OPCODE, S_CALL_ID, S_OWNER, S_CALLER, S_CALLEE,
       S_DELIV, S_AGE, S_FLAGS, S_USER_DATA, S_LEN, S_REPLY_LEN, S_STATUS,
       S_NCOLS };

static const struct column show_cols[S_NCOLS] = {
	[S_SLOT] = { "SLOT", true, true },
	[S_STATE] = { "STATE", false, true },
	[S_OPCODE] = { "OPCODE", true, true },
	[S_CALL_ID] = { "CALL-ID", true, true },
	[S_OWNER] = { "OWNER", true, true },
	[S_CALLER] = { "CALLER", true, true },
	[S_CALLEE] = { "CALLEE", true, true },
	[S_DELIV] = { "DELIV", true, true },
	[S_AGE] = { "AGE", true, true },
	[S_FLAGS] = { "FLAGS", false, true },
	[S_USER_DATA] = { "USER-DATA", true, false },
	[S_LEN] = { "LEN", true, false },
	[S_REPLY_LEN] = { "REPLY-LEN", true, false },
	[S_STATUS] = { "STATUS", true, false },
};

static void show_slot_json(const struct mbx_slot_info *s, uint64_t now)
{
	printf("{\"slot\":%" PRIu32 ",\"state\":\"%s\",\"opcode\":%" PRIu32
	       ",\"call_id\":%" PRIu64 ",\"user_data\":%" PRIu64
	       ",\"len\":%" PRIu32 ",\"reply_len\":%" PRIu32
	       ",\"status\":%" PRId32 ",\"flags\":",
	       s->slot, state_name(s->state), s->opcode, (uint64_t)s->call_id,
	       (uint64_t)s->user_data, s->len, s->reply_len, s->status);
	json_flags(s->flags);
	printf(",\"delivery\":%" PRIu32 ",\"owner_pid\":%" PRIu32
	       ",\"caller_pid\":%" PRIu32 ",\"callee_pid\":%" PRIu32
	       ",\"submit_ns\":%" PRIu64 ",\"take_ns\":%" PRIu64
	       ",\"reply_ns\":%" PRIu64 ",\"age_ns\":%" PRIu64 "}",
	       s->delivery, s->owner_pid, s->caller_pid, s->callee_pid,
	       (uint64_t)s->submit_ns, (uint64_t)s->take_ns,
	       (uint64_t)s->reply_ns, slot_age(s, now));
}

static int cmd_show(int argc, char **argv)
{
	struct table t = { .cols = show_cols, .ncols = S_NCOLS };
	struct mbx_slot_info *info;
	struct mbx_info_args bi;
	struct mailbox mb;
	uint32_t counts[MBX_STATE_REPLIED + 1] = { 0 }, i, shown = 0;
	bool all = opt.given & OPT_ALL, first = true;
	char u[64], g[64], m[8];
	uint64_t now;
	int ret;

	if (argc != 2)
		return usage_error("show takes one mailbox name");
	ret = table_select(&t, "show");
	if (!ret)
		ret = check_name(argv[1]);
	if (!ret)
		ret = check_device();
	if (!ret)
		ret = open_box(&mb, argv[1], MBX_ACCESS_READ);
	if (ret)
		return ret;
	ret = mailbox_info(&mb, &bi);
	if (!ret)
		ret = read_slots(&mb, &info);
	if (ret) {
		ret = box_error(argv[1], "inspect", -ret);
		mailbox_close(&mb);
		return ret;
	}
	now = now_ns();
	for (i = 0; i < mb.nslots; i++)
		if (info[i].state <= MBX_STATE_REPLIED)
			counts[info[i].state]++;
	fmt_user(u, sizeof(u), bi.out_uid);
	fmt_group(g, sizeof(g), bi.out_gid);
	fmt_mode(m, sizeof(m), bi.out_mode);

	if (JSON) {
		printf("{\"name\":");
		json_str(mb.name);
		printf(",\"slots\":%" PRIu32 ",\"slot_size\":%" PRIu32
		       ",\"uid\":%" PRIu32 ",\"gid\":%" PRIu32,
		       mb.nslots, mb.slot_size, bi.out_uid, bi.out_gid);
		json_name("user", u, bi.out_uid);
		json_name("group", g, bi.out_gid);
		printf(",\"mode\":\"%s\",\"reclaim_ns\":%" PRIu64
		       ",\"box_id\":%" PRIu64 ",\"now_ns\":%" PRIu64
		       ",\"states\":{", m, (uint64_t)bi.out_reclaim_ns,
		       (uint64_t)bi.out_box_id, now);
		for (i = 0; i <= MBX_STATE_REPLIED; i++)
			printf("%s\"%s\":%" PRIu32, i ? "," : "",
			       state_names[i], counts[i]);
		printf("},\"slot_list\":[");
		for (i = 0; i < mb.nslots; i++) {
			if (!all && info[i].state == MBX_STATE_FREE)
				continue;
			if (!first)
				putchar(',');
			show_slot_json(&info[i], now);
			first = false;
		}
		printf("]}\n");
		goto out;
	}

	/* -n and -r: the table alone, for scripts */
	if (!(opt.given & (OPT_NOHEADINGS | OPT_RAW))) {
		char rec[16];

		printf("mailbox %s (id %" PRIu64 "): %" PRIu32 " slots of %" PRIu32
		       " bytes, reclaim %s\nowner %s, group %s, mode %s\n",
		       mb.name, (uint64_t)bi.out_box_id, mb.nslots,
		       mb.slot_size,
		       bi.out_reclaim_ns ? fmt_dur(rec, sizeof(rec),
						   bi.out_reclaim_ns) : "never",
		       u, g, m);
		printf("slots: %" PRIu32 " free, %" PRIu32 " owned, %" PRIu32
		       " pending, %" PRIu32 " edit, %" PRIu32 " taken, %" PRIu32
		       " replied\n\n", counts[MBX_STATE_FREE],
		       counts[MBX_STATE_OWNED], counts[MBX_STATE_PENDING],
		       counts[MBX_STATE_EDIT], counts[MBX_STATE_TAKEN],
		       counts[MBX_STATE_REPLIED]);
	}
	for (i = 0; i < mb.nslots; i++) {
		const struct mbx_slot_info *s = &info[i];
		uint64_t a = slot_age(s, now);
		char d[16], fl[96], (*row)[72];

		if (!all && s->state == MBX_STATE_FREE)
			continue;
		row = table_row(&t);
		if (!row) {
			complain("out of memory");
			ret = EXIT_ERROR;
			goto out;
		}
		shown++;
		cell(row, S_SLOT, "%" PRIu32, s->slot);
		cell(row, S_STATE, "%s", state_name(s->state));
		cell(row, S_OPCODE, "%" PRIu32, s->opcode);
		cell(row, S_CALL_ID, "%" PRIu64, (uint64_t)s->call_id);
		fmt_pid(row[S_OWNER], sizeof(row[S_OWNER]), s->owner_pid);
		fmt_pid(row[S_CALLER], sizeof(row[S_CALLER]), s->caller_pid);
		fmt_pid(row[S_CALLEE], sizeof(row[S_CALLEE]), s->callee_pid);
		cell(row, S_DELIV, "%" PRIu32, s->delivery);
		cell(row, S_AGE, "%s", a ? fmt_dur(d, sizeof(d), a) : "-");
		cell(row, S_FLAGS, "%s", fmt_flags(fl, sizeof(fl), s->flags));
		cell(row, S_USER_DATA, "%" PRIu64, (uint64_t)s->user_data);
		cell(row, S_LEN, "%" PRIu32, s->len);
		cell(row, S_REPLY_LEN, "%" PRIu32, s->reply_len);
		cell(row, S_STATUS, "%" PRId32, s->status);
	}
	table_print(&t);
	if (!(opt.given & (OPT_NOHEADINGS | OPT_RAW))) {
		if (!all && counts[MBX_STATE_FREE])
			printf("(%" PRIu32 " free slot%s not shown: --all shows them)\n",
			       counts[MBX_STATE_FREE],
			       counts[MBX_STATE_FREE] == 1 ? "" : "s");
		else if (!shown)
			printf("(no slot)\n");
	}
out:
	free(info);
	mailbox_close(&mb);
	return ret;
}

/* ------------------------------------------------------------------ */
/* stats                                                                */

struct box_stats {
	char name[MBX_NAME_MAX];
	uint32_t nslots, slot_size;
	struct mbx_info_args info;
	struct mbx_stats_args st;
};

/* Identity and counters of mailbox @name; an exit code. */
static int read_stats(const char *name, struct box_stats *b, bool quiet)
{
	struct mailbox mb;
	int ret;

	ret = mailbox_open(&mb, name, MBX_ACCESS_READ, MBX_OPEN_CLOEXEC);
	if (ret < 0)
		return quiet ? EXIT_NO_MAILBOX : box_error(name, "open", -ret);
	ret = mailbox_info(&mb, &b->info);
	if (!ret)
		ret = mailbox_stats(&mb, &b->st);
	if (!ret) {
		snprintf(b->name, sizeof(b->name), "%s", mb.name);
		b->nslots = mb.nslots;
		b->slot_size = mb.slot_size;
	}
	mailbox_close(&mb);
	if (ret)
		return quiet ? EXIT_ERROR : box_error(name, "stats of", -ret);
	return EXIT_OK;
}

/* A label value of the exposition format: \, " and newline escaped. */
static void prom_label(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			printf("\\%c", *s);
		else if (*s == '\n')
			printf("\\n");
		else
			putchar(*s);
	}
	putchar('"');
}

enum prom_value {
	P_SLOTS, P_SLOT_SIZE, P_SESSIONS, P_SUBMITTED, P_TAKEN, P_COMPLETED,
	P_CANCELLED, P_REDELIVERED, P_OWNER_DIED, P_RECLAIMED, P_FREE,
	P_OWNED, P_PENDING, P_TAKEN_NOW, P_REPLIED, P_OLDEST, P_MAX_WAIT,
};

static const struct {
	const char *name, *type, *help;
	enum prom_value v;
} prom_metrics[] = {
	{ "mbx_slots", "gauge", "Slots of the mailbox.", P_SLOTS },
	{ "mbx_slot_size_bytes", "gauge", "Bytes of each slot in each plane.", P_SLOT_SIZE },
	{ "mbx_sessions", "gauge", "Sessions (open file descriptions) on the mailbox.", P_SESSIONS },
	{ "mbx_calls_submitted_total", "counter", "Calls submitted since the mailbox was created.", P_SUBMITTED },
	{ "mbx_calls_taken_total", "counter", "Takes of calls by callees; a redelivered call counts again.", P_TAKEN },
	{ "mbx_calls_completed_total", "counter", "Calls answered, other than cancelled ones.", P_COMPLETED },
	{ "mbx_calls_cancelled_total", "counter", "Calls answered as cancelled.", P_CANCELLED },
	{ "mbx_calls_redelivered_total", "counter", "Calls put back after their callee died.", P_REDELIVERED },
	{ "mbx_owner_died_total", "counter", "Slots or calls whose holder died with them.", P_OWNER_DIED },
	{ "mbx_replies_reclaimed_total", "counter", "Orphaned replies freed.", P_RECLAIMED },
	{ "mbx_free_slots", "gauge", "Slots free now.", P_FREE },
	{ "mbx_owned_slots", "gauge", "Slots owned (a call being written, or a reply read) now.", P_OWNED },
	{ "mbx_pending_calls", "gauge", "Calls submitted and not taken yet.", P_PENDING },
	{ "mbx_taken_calls", "gauge", "Calls taken by a callee and not answered yet.", P_TAKEN_NOW },
	{ "mbx_replied_calls", "gauge", "Calls answered and not collected yet.", P_REPLIED },
	{ "mbx_oldest_pending_seconds", "gauge", "Age of the oldest pending call (0: none).", P_OLDEST },
	{ "mbx_max_wait_seconds", "gauge", "Longest wait from submit to take since the mailbox was created.", P_MAX_WAIT },
};

static void prom_value(const struct box_stats *b, enum prom_value v)
{
	const struct mbx_stats_args *st = &b->st;
	uint64_t u = 0;

	switch (v) {
	case P_OLDEST:
		printf("%.9f", st->out_pending ? st->out_oldest_pending_ns / 1e9 : 0.0);
		return;
	case P_MAX_WAIT:
		printf("%.9f", st->out_max_wait_ns / 1e9);
		return;
	case P_SLOTS: u = b->nslots; break;
	case P_SLOT_SIZE: u = b->slot_size; break;
	case P_SESSIONS: u = st->out_sessions; break;
	case P_SUBMITTED: u = st->out_submitted; break;
	case P_TAKEN: u = st->out_taken; break;
	case P_COMPLETED: u = st->out_completed; break;
	case P_CANCELLED: u = st->out_cancelled; break;
	case P_REDELIVERED: u = st->out_redelivered; break;
	case P_OWNER_DIED: u = st->out_owner_died; break;
	case P_RECLAIMED: u = st->out_reclaimed; break;
	case P_FREE: u = st->out_free; break;
	case P_OWNED: u = st->out_owned; break;
	case P_PENDING: u = st->out_pending; break;
	case P_TAKEN_NOW: u = st->out_taken_now; break;
	case P_REPLIED: u = st->out_replied; break;
	}
	printf("%" PRIu64, u);
}

/*
 * The text exposition format (version 0.0.4): each family's HELP and TYPE
 * once, then its samples, one per mailbox, labelled with its name; the
 * identity in mbx_mailbox_info's labels. For node_exporter's textfile
 * collector: write to a temporary file and rename it into place.
 */
static void prometheus(const struct box_stats *b, uint32_t n)
{
	char u[64], g[64], m[8], id[24];
	uint32_t i;
	size_t k;

	printf("# HELP mbx_mailbox_info A mailbox of /dev/mailbox; its identity in the labels.\n"
	       "# TYPE mbx_mailbox_info gauge\n");
	for (i = 0; i < n; i++) {
		printf("mbx_mailbox_info{mailbox=");
		prom_label(b[i].name);
		snprintf(id, sizeof(id), "%" PRIu64, (uint64_t)b[i].info.out_box_id);
		printf(",box_id=");
		prom_label(id);
		printf(",owner=");
		prom_label(fmt_user(u, sizeof(u), b[i].info.out_uid));
		printf(",group=");
		prom_label(fmt_group(g, sizeof(g), b[i].info.out_gid));
		printf(",mode=");
		prom_label(fmt_mode(m, sizeof(m), b[i].info.out_mode));
		printf("} 1\n");
	}
	for (k = 0; k < sizeof(prom_metrics) / sizeof(prom_metrics[0]); k++) {
		printf("# HELP %s %s\n# TYPE %s %s\n", prom_metrics[k].name,
		       prom_metrics[k].help, prom_metrics[k].name,
		       prom_metrics[k].type);
		for (i = 0; i < n; i++) {
			printf("%s{mailbox=", prom_metrics[k].name);
			prom_label(b[i].name);
			printf("} ");
			prom_value(&b[i], prom_metrics[k].v);
			putchar('\n');
		}
	}
}

static int cmd_prometheus(int argc, char **argv)
{
	struct mbx_box_entry *e = NULL;
	struct box_stats *b;
	uint32_t n = argc - 1, i, got = 0;
	int k, ret;

	for (k = 1; k < argc; k++) {
		ret = check_name(argv[k]);
		if (ret)
			return ret;
	}
	ret = check_device();
	if (ret)
		return ret;
	if (argc == 1) {
		ret = list_boxes(&e, &n);
		if (ret < 0) {
			complain("list: %s", strerror(-ret));
			return -ret == EACCES ? EXIT_PERM : EXIT_ERROR;
		}
	}
	b = calloc(n ? n : 1, sizeof(*b));
	if (!b) {
		free(e);
		complain("out of memory");
		return EXIT_ERROR;
	}
	for (i = 0; i < n; i++) {
		/* every mailbox: one destroyed since the list is left out */
		if (e) {
			if (!read_stats((char *)e[i].name, &b[got], true))
				got++;
			continue;
		}
		ret = read_stats(argv[i + 1], &b[got++], false);
		if (ret) {
			free(b);
			return ret;
		}
	}
	prometheus(b, got);
	free(b);
	free(e);
	return EXIT_OK;
}

static int cmd_stats(int argc, char **argv)
{
	struct box_stats b;
	char d1[16], d2[16], u[64], g[64], m[8];
	const struct mbx_stats_args *st = &b.st;
	int ret;

	if (opt.given & OPT_PROMETHEUS) {
		if (JSON)
			return usage_error("--json and --prometheus: choose one");
		return cmd_prometheus(argc, argv);
	}
	if (argc != 2)
		return usage_error("stats takes one mailbox name (or --prometheus and any number)");
	ret = check_name(argv[1]);
	if (!ret)
		ret = check_device();
	if (!ret)
		ret = read_stats(argv[1], &b, false);
	if (ret)
		return ret;
	fmt_user(u, sizeof(u), b.info.out_uid);
	fmt_group(g, sizeof(g), b.info.out_gid);
	fmt_mode(m, sizeof(m), b.info.out_mode);
	if (JSON) {
		printf("{\"name\":");
		json_str(b.name);
		printf(",\"box_id\":%" PRIu64 ",\"slots\":%" PRIu32
		       ",\"slot_size\":%" PRIu32 ",\"uid\":%" PRIu32
		       ",\"gid\":%" PRIu32, (uint64_t)b.info.out_box_id,
		       b.nslots, b.slot_size, b.info.out_uid, b.info.out_gid);
		json_name("user", u, b.info.out_uid);
		json_name("group", g, b.info.out_gid);
		printf(",\"mode\":\"%s\",\"reclaim_ns\":%" PRIu64
		       ",\"sessions\":%" PRIu32
		       ",\"submitted\":%llu,\"taken\":%llu,\"completed\":%llu"
		       ",\"cancelled\":%llu,\"redelivered\":%llu"
		       ",\"owner_died\":%llu,\"reclaimed\":%llu"
		       ",\"max_wait_ns\":%llu,\"oldest_pending_ns\":%llu"
		       ",\"free\":%" PRIu32 ",\"owned\":%" PRIu32
		       ",\"pending\":%" PRIu32 ",\"taken_now\":%" PRIu32
		       ",\"replied\":%" PRIu32 "}\n",
		       m, (uint64_t)b.info.out_reclaim_ns, st->out_sessions,
		       (unsigned long long)st->out_submitted,
		       (unsigned long long)st->out_taken,
		       (unsigned long long)st->out_completed,
		       (unsigned long long)st->out_cancelled,
		       (unsigned long long)st->out_redelivered,
		       (unsigned long long)st->out_owner_died,
		       (unsigned long long)st->out_reclaimed,
		       (unsigned long long)st->out_max_wait_ns,
		       (unsigned long long)st->out_oldest_pending_ns,
		       st->out_free, st->out_owned, st->out_pending,
		       st->out_taken_now, st->out_replied);
		return EXIT_OK;
	}
	printf("mailbox %s (id %" PRIu64 "): %" PRIu32 " slots of %" PRIu32
	       " bytes, %" PRIu32 " session%s open\nowner %s, group %s, mode %s\n",
	       b.name, (uint64_t)b.info.out_box_id, b.nslots, b.slot_size,
	       st->out_sessions, st->out_sessions == 1 ? "" : "s", u, g, m);
	printf("  submitted       %12llu\n", (unsigned long long)st->out_submitted);
	printf("  taken           %12llu\n", (unsigned long long)st->out_taken);
	printf("  completed       %12llu\n", (unsigned long long)st->out_completed);
	printf("  cancelled       %12llu\n", (unsigned long long)st->out_cancelled);
	printf("  redelivered     %12llu\n", (unsigned long long)st->out_redelivered);
	printf("  owner died      %12llu\n", (unsigned long long)st->out_owner_died);
	printf("  reclaimed       %12llu\n", (unsigned long long)st->out_reclaimed);
	printf("  longest wait    %12s  (submit to take, since creation)\n",
	       fmt_dur(d1, sizeof(d1), st->out_max_wait_ns));
	printf("  oldest pending  %12s\n",
	       st->out_pending ? fmt_dur(d2, sizeof(d2),
					 st->out_oldest_pending_ns) : "-");
	printf("  now             %" PRIu32 " free, %" PRIu32 " owned, %" PRIu32
	       " pending, %" PRIu32 " taken, %" PRIu32 " replied\n",
	       st->out_free, st->out_owned, st->out_pending,
	       st->out_taken_now, st->out_replied);
	return EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* watch                                                                */

/*
 * Two ways a call goes wrong, told apart: a call taken and held for the
 * threshold or longer is "stuck" (its callee is slow or hung); a call
 * pending for the threshold or longer is "waiting" (no callee takes this
 * mailbox's calls, or too few).
 */
struct watched {
	const char *name;
	struct mailbox mb;
	struct mbx_stats_args st, prev;
	bool have_prev;
	struct mbx_slot_info *info;
	uint32_t nstuck, nwaiting;
	char error[96];
};

static bool is_stuck(const struct mbx_slot_info *s, uint64_t now, uint64_t t)
{
	return s->state == MBX_STATE_TAKEN && slot_age(s, now) >= t;
}

static bool is_waiting(const struct mbx_slot_info *s, uint64_t now, uint64_t t)
{
	return s->state == MBX_STATE_PENDING && slot_age(s, now) >= t;
}

static volatile sig_atomic_t stop_signal;
static struct termios saved_tio;
static bool tio_saved, cursor_hidden;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void restore_terminal(void)
{
	if (tio_saved) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
		tio_saved = false;
	}
	if (cursor_hidden) {
		fputs("\033[?25h", stdout);
		fflush(stdout);
		cursor_hidden = false;
	}
}

/* Keys one at a time, no echo; Ctrl-C still raises SIGINT. */
static void raw_keys(void)
{
	struct termios t;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tio))
		return;
	t = saved_tio;
	t.c_lflag &= ~(ICANON | ECHO);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (!tcsetattr(STDIN_FILENO, TCSANOW, &t))
		tio_saved = true;
}

/*
 * The terminal's size: 24 x 80 when it does not know it (a serial
 * console); unlimited (0 columns) when stdout is no terminal at all.
 */
static void term_size(int *rows, int *cols)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws)) {
		*rows = INT_MAX;
		*cols = 0;
		return;
	}
	*rows = ws.ws_row ? ws.ws_row : 24;
	*cols = ws.ws_col ? ws.ws_col : 80;
}

/* One line of a frame: cut to the width, cleared to its end in ANSI mode. */
static void line(bool ansi, int cols, const char *on, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (cols > 0 && cols < (int)sizeof(buf))
		buf[cols] = '\0';
	if (ansi)
		printf("%s%s\033[0m\033[K\n", on ? on : "", buf);
	else
		printf("%s\n", buf);
}


static void sample(struct watched *w, uint64_t stuck_ns, uint64_t now)
{
	int ret;
	uint32_t i;

	w->prev = w->st;
	w->have_prev = !w->error[0] && w->st.size;
	w->error[0] = '\0';
	w->nstuck = 0;
	w->nwaiting = 0;
	ret = mailbox_stats(&w->mb, &w->st);
	free(w->info);
	w->info = NULL;
	if (!ret)
		ret = read_slots(&w->mb, &w->info);
	if (ret) {
		snprintf(w->error, sizeof(w->error), "%s", strerror(-ret));
		w->st.size = 0;
		return;
	}
	for (i = 0; i < w->mb.nslots; i++) {
		w->nstuck += is_stuck(&w->info[i], now, stuck_ns);
		w->nwaiting += is_waiting(&w->info[i], now, stuck_ns);
	}
}

/* Calls per second in at most 7 columns. */
static void fmt_rate(char *buf, size_t len, double r)
{
	if (r < 100)
		snprintf(buf, len, "%.1f", r);
	else if (r < 1e7)
		snprintf(buf, len, "%.0f", r);
	else
		snprintf(buf, len, "%.1e", r);
}

static void json_calls(const struct watched *w, uint64_t now, uint64_t t,
		       bool (*which)(const struct mbx_slot_info *, uint64_t, uint64_t),
		       const char *age_key)
{
	bool first = true;
	uint32_t i;

	putchar('[');
	for (i = 0; i < w->mb.nslots; i++) {
		const struct mbx_slot_info *s = &w->info[i];

		if (!which(s, now, t))
			continue;
		printf("%s{\"slot\":%" PRIu32 ",\"call_id\":%" PRIu64
		       ",\"opcode\":%" PRIu32 ",\"caller_pid\":%" PRIu32
		       ",\"callee_pid\":%" PRIu32 ",\"%s\":%" PRIu64
		       ",\"delivery\":%" PRIu32 "}",
		       first ? "" : ",", s->slot, (uint64_t)s->call_id,
		       s->opcode, s->caller_pid, s->callee_pid, age_key,
		       slot_age(s, now), s->delivery);
		first = false;
	}
	putchar(']');
}

static void frame_json(struct watched *ws, int n, uint64_t now, double dt,
		       uint64_t stuck_ns)
{
	int k;

	printf("{\"now_ns\":%" PRIu64 ",\"interval_s\":%.3f,\"stuck_ns\":%" PRIu64
	       ",\"mailboxes\":[", now, dt, stuck_ns);
	for (k = 0; k < n; k++) {
		struct watched *w = &ws[k];

		printf("%s{\"name\":", k ? "," : "");
		json_str(w->name);
		if (w->error[0]) {
			printf(",\"error\":");
			json_str(w->error);
			putchar('}');
			continue;
		}
		if (w->have_prev && dt > 0)
			printf(",\"submitted_per_s\":%.1f,\"completed_per_s\":%.1f",
			       (w->st.out_submitted - w->prev.out_submitted) / dt,
			       (w->st.out_completed - w->prev.out_completed) / dt);
		else
			printf(",\"submitted_per_s\":null,\"completed_per_s\":null");
		printf(",\"submitted\":%llu,\"completed\":%llu,\"pending\":%" PRIu32
		       ",\"taken\":%" PRIu32 ",\"replied\":%" PRIu32
		       ",\"free\":%" PRIu32 ",\"oldest_pending_ns\":%llu"
		       ",\"max_wait_ns\":%llu,\"stuck\":",
		       (unsigned long long)w->st.out_submitted,
		       (unsigned long long)w->st.out_completed,
		       w->st.out_pending, w->st.out_taken_now,
		       w->st.out_replied, w->st.out_free,
		       (unsigned long long)w->st.out_oldest_pending_ns,
		       (unsigned long long)w->st.out_max_wait_ns);
		json_calls(w, now, stuck_ns, is_stuck, "held_ns");
		printf(",\"waiting\":");
		json_calls(w, now, stuck_ns, is_waiting, "waited_ns");
		putchar('}');
	}
	printf("]}\n");
}

static void frame_text(struct watched *ws, int n, uint64_t now, double dt,
		       uint64_t stuck_ns, uint64_t interval_ms, bool ansi)
{
	static const char *const hi = "\033[1;37;41m";	/* white on red */
	static const char *const bold = "\033[1m";
	char d1[16], d2[16], d3[16], r1[16], r2[16], p[12];
	int rows, cols, used, k, total = 0, listed = 0, nw = 7;
	time_t wall = time(NULL);
	char clock[16];
	uint32_t i;

	term_size(&rows, &cols);
	strftime(clock, sizeof(clock), "%H:%M:%S", localtime(&wall));
	if (ansi)
		fputs("\033[H", stdout);
	else
		printf("--- %s\n", clock);
	line(ansi, cols, bold, "mailboxctl watch  %s  every %s, stuck after %s%s",
	     clock, fmt_dur(d1, sizeof(d1), interval_ms * 1000000ULL),
	     fmt_dur(d2, sizeof(d2), stuck_ns),
	     ansi ? "  (q quits)" : "");
	line(ansi, cols, NULL, "");
	/* The name column takes what 80 (or more) columns leave. */
	for (k = 0; k < n; k++)
		if ((int)strlen(ws[k].name) > nw)
			nw = strlen(ws[k].name);
	if (cols && nw > cols - 72)
		nw = cols - 72 > 7 ? cols - 72 : 7;
	line(ansi, cols, bold, "%-*s %7s %7s %7s %5s %5s %5s %7s %7s %7s %5s",
	     nw, "MAILBOX", "CALLS/S", "DONE/S", "PENDING", "TAKEN", "REPLY",
	     "FREE", "OLDEST", "MAXWAIT", "WAITING", "STUCK");
	used = 4;
	for (k = 0; k < n; k++) {
		struct watched *w = &ws[k];

		if (w->error[0]) {
			line(ansi, cols, hi, "%-*.*s %s", nw, nw, w->name,
			     w->error);
			used++;
			continue;
		}
		if (w->have_prev && dt > 0) {
			fmt_rate(r1, sizeof(r1), (w->st.out_submitted -
						  w->prev.out_submitted) / dt);
			fmt_rate(r2, sizeof(r2), (w->st.out_completed -
						  w->prev.out_completed) / dt);
		} else {
			snprintf(r1, sizeof(r1), "-");
			snprintf(r2, sizeof(r2), "-");
		}
		line(ansi, cols, w->nstuck || w->nwaiting ? hi : NULL,
		     "%-*.*s %7s %7s %7" PRIu32 " %5" PRIu32 " %5" PRIu32
		     " %5" PRIu32 " %7s %7s %7" PRIu32 " %5" PRIu32,
		     nw, nw, w->name, r1, r2, w->st.out_pending, w->st.out_taken_now,
		     w->st.out_replied, w->st.out_free,
		     w->st.out_pending ? fmt_dur(d1, sizeof(d1),
						 w->st.out_oldest_pending_ns) : "-",
		     fmt_dur(d2, sizeof(d2), w->st.out_max_wait_ns), w->nwaiting,
		     w->nstuck);
		used++;
		total += w->nstuck + w->nwaiting;
	}
	line(ansi, cols, NULL, "");
	used++;
	if (!total) {
		line(ansi, cols, NULL, "no stuck call (taken and held %s or longer), none waiting untaken",
		     fmt_dur(d1, sizeof(d1), stuck_ns));
		goto done;
	}
	line(ansi, cols, bold, "calls %s or older: WAITING not taken by any callee, STUCK taken, not answered",
	     fmt_dur(d1, sizeof(d1), stuck_ns));
	line(ansi, cols, bold, "%-*s %-7s %6s %10s %8s %8s %8s %9s %5s",
	     nw, "MAILBOX", "KIND", "SLOT", "CALL-ID", "OPCODE", "CALLER",
	     "CALLEE", "FOR", "DELIV");
	used += 3;
	for (k = 0; k < n; k++) {
		struct watched *w = &ws[k];

		for (i = 0; w->info && i < w->mb.nslots; i++) {
			const struct mbx_slot_info *s = &w->info[i];
			bool stuck = is_stuck(s, now, stuck_ns);
			char p2[12];

			if (!stuck && !is_waiting(s, now, stuck_ns))
				continue;
			if (ansi && used >= rows - 1 && listed < total) {
				line(ansi, cols, NULL, "... %d more",
				     total - listed);
				goto done;
			}
			line(ansi, cols, hi,
			     "%-*.*s %-7s %6" PRIu32 " %10" PRIu64 " %8" PRIu32
			     " %8s %8s %9s %5" PRIu32, nw, nw, w->name,
			     stuck ? "STUCK" : "WAITING", s->slot,
			     (uint64_t)s->call_id, s->opcode,
			     fmt_pid(p2, sizeof(p2), s->caller_pid),
			     fmt_pid(p, sizeof(p), s->callee_pid),
			     fmt_dur(d3, sizeof(d3), slot_age(s, now)),
			     s->delivery);
			used++;
			listed++;
		}
	}
done:
	if (ansi)
		fputs("\033[J", stdout);	/* what the last frame left below */
	fflush(stdout);
}

static int cmd_watch(int argc, char **argv)
{
	struct watched *ws;
	struct sigaction sa;
	sigset_t block, orig;
	uint64_t stuck_ns = opt.stuck_ms * 1000000ULL, t_prev = 0, it;
	int ansi = opt.ansi, n = argc - 1, k, ret;
	bool keys;

	if (n < 1)
		return usage_error("watch takes one or more mailbox names");
	for (k = 0; k < n; k++) {
		ret = check_name(argv[1 + k]);
		if (ret)
			return ret;
	}
	ret = check_device();
	if (ret)
		return ret;
	ws = calloc(n, sizeof(*ws));
	if (!ws) {
		complain("out of memory");
		return EXIT_ERROR;
	}
	for (k = 0; k < n; k++) {
		ws[k].name = argv[1 + k];
		ret = open_box(&ws[k].mb, ws[k].name, MBX_ACCESS_READ);
		if (ret) {
			while (k--)
				mailbox_close(&ws[k].mb);
			free(ws);
			return ret;
		}
	}
	if (ansi < 0)
		ansi = !JSON && isatty(STDOUT_FILENO);
	if (JSON)
		ansi = 0;

	/*
	 * The signals that end the view stay blocked but in ppoll(), which
	 * unblocks them atomically: one that arrives while a frame is drawn
	 * ends the wait at once instead of being lost before it.
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &orig);

	keys = isatty(STDIN_FILENO);
	if (keys)
		raw_keys();
	if (ansi) {
		fputs("\033[?25l\033[H\033[2J", stdout);
		cursor_hidden = true;
	}
	atexit(restore_terminal);

	for (it = 0; !opt.iterations || it < opt.iterations; it++) {
		uint64_t now = now_ns(), deadline;
		double dt = t_prev ? (now - t_prev) / 1e9 : 0;

		for (k = 0; k < n; k++)
			sample(&ws[k], stuck_ns, now);
		if (JSON)
			frame_json(ws, n, now, dt, stuck_ns);
		else
			frame_text(ws, n, now, dt, stuck_ns, opt.interval_ms,
				   ansi);
		fflush(stdout);
		t_prev = now;
		if (opt.iterations && it + 1 == opt.iterations)
			break;
		deadline = now + opt.interval_ms * 1000000ULL;
		/* Wait for the next frame, a key or a signal. */
		for (;;) {
			struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
			uint64_t t = now_ns();
			struct timespec ts;
			char c;
			int r;

			if (stop_signal || t >= deadline)
				break;
			ts.tv_sec = (deadline - t) / 1000000000ULL;
			ts.tv_nsec = (deadline - t) % 1000000000ULL;
			r = ppoll(&pfd, keys ? 1 : 0, &ts, &orig);
			if (r > 0 && (pfd.revents & (POLLIN | POLLHUP))) {
				if (read(STDIN_FILENO, &c, 1) != 1) {
					keys = false;	/* EOF: no more keys */
					continue;
				}
				if (c == 'q' || c == 'Q')
					goto out;
				if (c == '\f')	/* Ctrl-L: redraw */
					break;
			}
		}
		if (stop_signal)
			break;
	}
out:
	restore_terminal();
	for (k = 0; k < n; k++) {
		free(ws[k].info);
		mailbox_close(&ws[k].mb);
	}
	free(ws);
	sigprocmask(SIG_SETMASK, &orig, NULL);
	return EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* create, destroy, cancel                                              */

static int cmd_create(int argc, char **argv)
{
	struct mbx_api_args api;
	struct mailbox mb;
	const char *name;
	int ret;

	if (argc != 2)
		return usage_error("create takes one mailbox name");
	name = argv[1];
	if (!opt.nslots || !opt.slot_size)
		return usage_error("create needs --slots and --slot-size");
	ret = check_name(name);
	if (!ret)
		ret = check_device();
	if (ret)
		return ret;
	ret = mailbox_create(&mb, name, opt.nslots, opt.slot_size, opt.mode,
			     opt.reclaim_ms * 1000000ULL, MBX_CREATE_CLOEXEC);
	if (ret == -E2BIG && !mailbox_api(&api)) {
		complain("create '%s': too large: the module allows at most %" PRIu32
		      " slots of at most %" PRIu32 " bytes, %llu bytes per mailbox (both planes)",
		      name, api.out_max_slots, api.out_max_slot_size,
		      (unsigned long long)api.out_max_box_bytes);
		return EXIT_ERROR;
	}
	if (ret == -ENOSPC) {
		complain("create '%s': no room: too many mailboxes, or your quota of mailbox memory is used up",
		      name);
		return EXIT_ERROR;
	}
	if (ret < 0)
		return box_error(name, "create", -ret);
	/* The mailbox outlives this fd: it lives until destroyed. */
	mailbox_close(&mb);
	return EXIT_OK;
}

static int cmd_destroy(int argc, char **argv)
{
	int ret;

	if (argc != 2)
		return usage_error("destroy takes one mailbox name");
	ret = check_name(argv[1]);
	if (!ret)
		ret = check_device();
	if (ret)
		return ret;
	ret = mailbox_destroy(argv[1]);
	if (ret < 0)
		return box_error(argv[1], "destroy", -ret);
	return EXIT_OK;
}

/*
 * The kernel says EALREADY for every call that is no longer pending or
 * taken; the slot's header says what became of it.
 */
static int cancel_too_late(struct mailbox *mb, const char *name,
			   uint32_t slot, uint64_t id)
{
	struct mbx_slot_info s;
	bool withdrawn;

	if (mailbox_slot_info(mb, slot, 1, &s) != 1 || s.call_id != id) {
		complain("call %" PRIu64 " in slot %" PRIu32 " of '%s' is over already",
			 id, slot, name);
		return EXIT_CALL;
	}
	withdrawn = s.status == -ECANCELED;
	if (s.state == MBX_STATE_REPLIED && withdrawn)
		complain("call %" PRIu64 " in slot %" PRIu32 " of '%s' is cancelled already; its caller has not collected it yet",
			 id, slot, name);
	else if (s.state == MBX_STATE_REPLIED)
		complain("call %" PRIu64 " in slot %" PRIu32 " of '%s' is answered already (status %" PRId32 "); its caller has not collected the reply yet",
			 id, slot, name, s.status);
	else if (withdrawn)
		complain("call %" PRIu64 " in slot %" PRIu32 " of '%s' was cancelled, and its caller has collected that already",
			 id, slot, name);
	else
		complain("call %" PRIu64 " in slot %" PRIu32 " of '%s' was answered (status %" PRId32 "), and its caller has collected the reply already",
			 id, slot, name, s.status);
	return EXIT_CALL;
}

static int cmd_cancel(int argc, char **argv)
{
	uint64_t slot, id;
	struct mbx_call call = { 0 };
	struct mbx_slot_info s;
	struct mailbox mb;
	const char *name;
	int ret;

	if (argc != 4)
		return usage_error("cancel takes a mailbox name, a slot and a call id");
	name = argv[1];
	if (!parse_u64(argv[2], 0, UINT32_MAX, 10, &slot))
		return usage_error("'%s' is not a slot number", argv[2]);
	if (!parse_u64(argv[3], 1, UINT64_MAX, 10, &id))
		return usage_error("'%s' is not a call id (a positive number)",
				   argv[3]);
	ret = check_name(name);
	if (!ret)
		ret = check_device();
	if (!ret)
		ret = open_box(&mb, name, MBX_ACCESS_READ | MBX_ACCESS_WRITE);
	if (ret)
		return ret;
	if (slot >= mb.nslots) {
		mailbox_close(&mb);
		return usage_error("slot %" PRIu64 " is out of range: '%s' has %" PRIu32 " slots",
				   slot, name, mb.nslots);
	}
	call.slot = slot;
	call.call_id = id;
	ret = mailbox_cancel(&mb, &call);
	switch (ret) {
	case MBX_STATE_PENDING:
	case MBX_STATE_EDIT:
		printf("call %" PRIu64 " in slot %" PRIu64 " was %s: withdrawn, its caller gets ECANCELED\n",
		       id, slot, state_name(ret));
		ret = EXIT_OK;
		break;
	case MBX_STATE_TAKEN:
		printf("call %" PRIu64 " in slot %" PRIu64 " was TAKEN: its callee is asked to cancel it\n",
		       id, slot);
		ret = EXIT_OK;
		break;
	case -ESTALE:
		if (mailbox_slot_info(&mb, slot, 1, &s) == 1 && s.call_id)
			complain("slot %" PRIu64 " of '%s' does not hold call %" PRIu64
				 " (its call is %" PRIu64 ")", slot, name, id,
				 (uint64_t)s.call_id);
		else
			complain("slot %" PRIu64 " of '%s' does not hold call %" PRIu64,
				 slot, name, id);
		ret = EXIT_CALL;
		break;
	case -EALREADY:
		ret = cancel_too_late(&mb, name, slot, id);
		break;
	case -EBUSY:
		complain("call %" PRIu64 " in slot %" PRIu64 " of '%s' is being revised by another process",
		      id, slot, name);
		ret = EXIT_CALL;
		break;
	default:
		if (ret >= 0) {
			printf("call %" PRIu64 " in slot %" PRIu64 " was %s\n",
			       id, slot, state_name(ret));
			ret = EXIT_OK;
			break;
		}
		ret = box_error(name, "cancel in", -ret);
		break;
	}
	mailbox_close(&mb);
	return ret;
}

/* ------------------------------------------------------------------ */

/* util-linux's form: "PROGRAM from PACKAGE VERSION", then the details. */
static int print_version(void)
{
	struct mbx_api_args api;

	printf("%s from mbx %s (libmailbox %d.%d, API %d", prog, MBX_VERSION,
	       LIBMAILBOX_VERSION_MAJOR, LIBMAILBOX_VERSION_MINOR,
	       MBX_API_VERSION);
	if (!mailbox_api(&api))
		printf("; module API %" PRIu32, api.out_api);
	printf(")\n");
	return EXIT_OK;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	unsigned int opts;	/* the OPT_* that apply */
} commands[] = {
	{ "list", cmd_list, OPT_JSON | OPT_NOHEADINGS | OPT_OUTPUT | OPT_RAW | OPT_NUMERIC },
	{ "show", cmd_show, OPT_JSON | OPT_NOHEADINGS | OPT_OUTPUT | OPT_RAW | OPT_NUMERIC | OPT_ALL },
	{ "stats", cmd_stats, OPT_JSON | OPT_NUMERIC | OPT_PROMETHEUS },
	{ "watch", cmd_watch, OPT_JSON | OPT_WATCH },
	{ "create", cmd_create, OPT_CREATE },
	{ "destroy", cmd_destroy, 0 },
	{ "cancel", cmd_cancel, 0 },
};

enum {
	LO_NUMERIC = 0x100, LO_PROMETHEUS, LO_INTERVAL, LO_STUCK_MS,
	LO_ITERATIONS, LO_ANSI, LO_PLAIN, LO_SLOTS, LO_SLOT_SIZE, LO_MODE,
	LO_RECLAIM_MS,
};

static const struct option lopts[] = {
	{ "json", no_argument, NULL, 'J' },
	{ "noheadings", no_argument, NULL, 'n' },
	{ "output", required_argument, NULL, 'o' },
	{ "raw", no_argument, NULL, 'r' },
	{ "numeric", no_argument, NULL, LO_NUMERIC },
	{ "all", no_argument, NULL, 'a' },
	{ "prometheus", no_argument, NULL, LO_PROMETHEUS },
	{ "interval", required_argument, NULL, LO_INTERVAL },
	{ "stuck-ms", required_argument, NULL, LO_STUCK_MS },
	{ "iterations", required_argument, NULL, LO_ITERATIONS },
	{ "ansi", no_argument, NULL, LO_ANSI },
	{ "plain", no_argument, NULL, LO_PLAIN },
	{ "slots", required_argument, NULL, LO_SLOTS },
	{ "slot-size", required_argument, NULL, LO_SLOT_SIZE },
	{ "mode", required_argument, NULL, LO_MODE },
	{ "reclaim-ms", required_argument, NULL, LO_RECLAIM_MS },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static void given(unsigned int bit, const char *name)
{
	opt.given |= bit;
	opt.given_name[__builtin_ctz(bit)] = name;
}

/* One option; 0, or the exit code of a usage error. */
static int take_option(int o)
{
	switch (o) {
	case 'J': given(OPT_JSON, "--json"); break;
	case 'n': given(OPT_NOHEADINGS, "--noheadings"); break;
	case 'o': given(OPT_OUTPUT, "--output"); opt.output = optarg; break;
	case 'r': given(OPT_RAW, "--raw"); break;
	case LO_NUMERIC: given(OPT_NUMERIC, "--numeric"); break;
	case 'a': given(OPT_ALL, "--all"); break;
	case LO_PROMETHEUS: given(OPT_PROMETHEUS, "--prometheus"); break;
	case LO_INTERVAL:
		given(OPT_WATCH, "--interval");
		if (!parse_u64(optarg, 10, 3600000, 10, &opt.interval_ms))
			return usage_error("--interval: '%s' is not a number of milliseconds in 10..3600000",
					   optarg);
		break;
	case LO_STUCK_MS:
		given(OPT_WATCH, "--stuck-ms");
		if (!parse_u64(optarg, 0, UINT64_MAX / 1000000, 10, &opt.stuck_ms))
			return usage_error("--stuck-ms: '%s' is not a number of milliseconds",
					   optarg);
		break;
	case LO_ITERATIONS:
		given(OPT_WATCH, "--iterations");
		if (!parse_u64(optarg, 1, UINT32_MAX, 10, &opt.iterations))
			return usage_error("--iterations: '%s' is not a positive number",
					   optarg);
		break;
	case LO_ANSI:
	case LO_PLAIN:
		given(OPT_WATCH, o == LO_ANSI ? "--ansi" : "--plain");
		opt.ansi = o == LO_ANSI;
		break;
	case LO_SLOTS:
		given(OPT_CREATE, "--slots");
		if (!parse_u64(optarg, 1, UINT32_MAX, 10, &opt.nslots))
			return usage_error("--slots: '%s' is not a positive number",
					   optarg);
		break;
	case LO_SLOT_SIZE:
		given(OPT_CREATE, "--slot-size");
		if (!parse_size(optarg, &opt.slot_size) ||
		    opt.slot_size % MBX_SLOT_ALIGN)
			return usage_error("--slot-size: '%s' is not a positive multiple of %d bytes",
					   optarg, MBX_SLOT_ALIGN);
		break;
	case LO_MODE:
		given(OPT_CREATE, "--mode");
		/* r and w for owner, group and other: no x. */
		if (!parse_u64(optarg, 0, 0666, 8, &opt.mode) ||
		    (opt.mode & ~0666ULL))
			return usage_error("--mode: '%s' is not an octal mode of r and w bits (at most 0666)",
					   optarg);
		break;
	case LO_RECLAIM_MS:
		given(OPT_CREATE, "--reclaim-ms");
		if (!parse_u64(optarg, 0, UINT64_MAX / 1000000, 10, &opt.reclaim_ms))
			return usage_error("--reclaim-ms: '%s' is not a number of milliseconds",
					   optarg);
		break;
	default:
		/* getopt_long has said what was wrong */
		return usage_error(NULL);
	}
	return 0;
}

int main(int argc, char **argv)
{
	char *args[argc + 1];
	int nargs = 0, o, ret;
	bool help = false, version = false;
	unsigned int bad;
	size_t i;

	argv[0] = (char *)prog;	/* getopt's messages say "mailboxctl: " */
	/*
	 * Options anywhere, as util-linux's tools take them; what is left
	 * is the command and its arguments ("--" ends the options).
	 */
	while (optind < argc) {
		const char *a = argv[optind];

		if (!strcmp(a, "--")) {
			for (optind++; optind < argc; optind++)
				args[nargs++] = argv[optind];
			break;
		}
		if (a[0] != '-' || !a[1]) {
			args[nargs++] = argv[optind++];
			continue;
		}
		o = getopt_long(argc, argv, "+Jno:rahV", lopts, NULL);
		if (o == -1)
			break;
		if (o == 'h')
			help = true;
		else if (o == 'V')
			version = true;
		else if ((ret = take_option(o)))
			return ret;
	}
	args[nargs] = NULL;
	if (help) {
		usage();
		return EXIT_OK;
	}
	if (version)
		return print_version();
	if (!nargs)
		return usage_error("no command");
	if (!strcmp(args[0], "help")) {
		usage();
		return EXIT_OK;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(args[0], commands[i].name))
			continue;
		bad = opt.given & ~commands[i].opts;
		if (bad)
			return usage_error("%s does not apply to %s",
					   opt.given_name[__builtin_ctz(bad)],
					   args[0]);
		if ((opt.given & OPT_JSON) &&
		    (opt.given & (OPT_NOHEADINGS | OPT_OUTPUT | OPT_RAW)))
			return usage_error("--json prints every field: --noheadings, --output and --raw are for tables");
		ret = commands[i].fn(nargs, args);
		if (fflush(stdout) && ret == EXIT_OK) {
			complain("write error: %s", strerror(errno));
			ret = EXIT_ERROR;
		}
		return ret;
	}
	return usage_error("unknown command '%s'", args[0]);
}
