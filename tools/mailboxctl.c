// SPDX-License-Identifier: GPL-2.0
/*
 * mailboxctl: look at and steer the mailboxes of /dev/mailbox.
 *
 *   mailboxctl [--json] list
 *   mailboxctl [--json] show NAME [--all]
 *   mailboxctl [--json] stats NAME
 *   mailboxctl [--json] watch NAME... [--interval MS] [--stuck-ms MS]
 *                                     [--iterations N] [--ansi|--plain]
 *   mailboxctl create NAME --slots N --slot-size BYTES [--mode MODE]
 *                          [--reclaim-ms MS]
 *   mailboxctl destroy NAME
 *   mailboxctl cancel NAME SLOT CALL-ID
 *
 * Read commands open the mailbox for reading only (MBX_ACCESS_READ) and
 * only inspect it (MBX_IOC_SLOT_INFO, MBX_IOC_BOX_STATS): they never
 * disturb the callers and callees. The exit codes are in mailboxctl(8)
 * and in enum exit_code below.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "mailbox.h"

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
static bool json;

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

static void usage(FILE *f, bool full)
{
	fprintf(f,
"usage: %s [--json] COMMAND [ARGS]\n"
"\n"
"Commands:\n"
"  list                          the mailboxes you may read\n"
"  show NAME [--all]             the slots that are not free (--all: every slot)\n"
"  stats NAME                    counters and the current picture\n"
"  watch NAME... [--interval MS] [--stuck-ms MS] [--iterations N]\n"
"                [--ansi|--plain] a live view; q or Ctrl-C quits\n"
"  create NAME --slots N --slot-size BYTES [--mode MODE] [--reclaim-ms MS]\n"
"  destroy NAME\n"
"  cancel NAME SLOT CALL-ID      withdraw a call, or ask its callee to drop it\n",
		prog);
	if (!full) {
		fprintf(f, "\nTry '%s --help' for more.\n", prog);
		return;
	}
	fprintf(f,
"\n"
"Options:\n"
"  --json          machine-readable output (list, show, stats, watch)\n"
"  -h, --help      this text\n"
"  --version       the versions of this program and of the module's API\n"
"\n"
"Exit status: 0 ok, 1 error, 2 usage, 3 module not loaded, 4 no such\n"
"mailbox, 5 permission denied, 6 mailbox exists, 7 call not cancellable.\n"
"See mailboxctl(8).\n");
}

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		fprintf(stderr, "%s: ", prog);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	usage(stderr, false);
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

/* ------------------------------------------------------------------ */
/* list                                                                 */

static int cmd_list(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct mbx_box_entry *e = NULL;
	uint32_t total = 0, want = 16, i;
	int o, ret, n;

	while ((o = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		if (o == 'j')
			json = true;
		else
			return usage_error(NULL);
	}
	if (optind < argc)
		return usage_error("list takes no argument ('%s')",
				   argv[optind]);
	ret = check_device();
	if (ret)
		return ret;
	for (;;) {
		free(e);
		e = calloc(want, sizeof(*e));
		if (!e) {
			complain("out of memory");
			return EXIT_ERROR;
		}
		n = mailbox_list(e, want, &total);
		if (n < 0) {
			free(e);
			complain("list: %s", strerror(-n));
			return -n == EACCES ? EXIT_PERM : EXIT_ERROR;
		}
		if (total <= want)
			break;
		want = total + 16;	/* more appeared meanwhile: again */
	}
	if (json) {
		printf("{\"mailboxes\":[");
		for (i = 0; i < (uint32_t)n; i++) {
			e[i].name[MBX_NAME_MAX - 1] = '\0';
			printf("%s{\"name\":", i ? "," : "");
			json_str((char *)e[i].name);
			printf(",\"slots\":%" PRIu32 ",\"slot_size\":%" PRIu32
			       ",\"uid\":%" PRIu32 ",\"gid\":%" PRIu32
			       ",\"mode\":\"%04o\",\"pending\":%" PRIu32
			       ",\"box_id\":%" PRIu64 "}",
			       e[i].nslots, e[i].slot_size, e[i].uid, e[i].gid,
			       e[i].mode, e[i].pending, (uint64_t)e[i].box_id);
		}
		printf("]}\n");
	} else {
		printf("%-32s %8s %9s %6s %6s %5s %8s\n", "NAME", "SLOTS",
		       "SLOT-SIZE", "UID", "GID", "MODE", "PENDING");
		for (i = 0; i < (uint32_t)n; i++) {
			e[i].name[MBX_NAME_MAX - 1] = '\0';
			printf("%-32s %8" PRIu32 " %9" PRIu32 " %6" PRIu32
			       " %6" PRIu32 " %05o %8" PRIu32 "\n",
			       (char *)e[i].name, e[i].nslots, e[i].slot_size,
			       e[i].uid, e[i].gid, e[i].mode, e[i].pending);
		}
	}
	free(e);
	return EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* show                                                                 */

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
	static const struct option lopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct mbx_slot_info *info;
	struct mbx_info_args bi;
	struct mailbox mb;
	uint32_t counts[MBX_STATE_REPLIED + 1] = { 0 }, i, shown = 0;
	bool all = false, first = true;
	uint64_t now;
	int o, ret;

	while ((o = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		if (o == 'a')
			all = true;
		else if (o == 'j')
			json = true;
		else
			return usage_error(NULL);
	}
	if (argc - optind != 1)
		return usage_error("show takes one mailbox name");
	ret = check_name(argv[optind]);
	if (!ret)
		ret = check_device();
	if (!ret)
		ret = open_box(&mb, argv[optind], MBX_ACCESS_READ);
	if (ret)
		return ret;
	ret = mailbox_info(&mb, &bi);
	if (!ret)
		ret = read_slots(&mb, &info);
	if (ret) {
		ret = box_error(argv[optind], "inspect", -ret);
		mailbox_close(&mb);
		return ret;
	}
	now = now_ns();
	for (i = 0; i < mb.nslots; i++)
		if (info[i].state <= MBX_STATE_REPLIED)
			counts[info[i].state]++;

	if (json) {
		printf("{\"name\":");
		json_str(mb.name);
		printf(",\"slots\":%" PRIu32 ",\"slot_size\":%" PRIu32
		       ",\"uid\":%" PRIu32 ",\"gid\":%" PRIu32
		       ",\"mode\":\"%04o\",\"reclaim_ns\":%" PRIu64
		       ",\"box_id\":%" PRIu64 ",\"now_ns\":%" PRIu64
		       ",\"states\":{",
		       mb.nslots, mb.slot_size, bi.out_uid, bi.out_gid,
		       bi.out_mode, (uint64_t)bi.out_reclaim_ns,
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
	} else {
		char age[16], fl[96], p1[12], p2[12], p3[12];

		char rec[16];

		printf("mailbox %s (id %" PRIu64 "): %" PRIu32 " slots of %" PRIu32
		       " bytes, uid %" PRIu32 " gid %" PRIu32 " mode %04o, reclaim %s\n",
		       mb.name, (uint64_t)bi.out_box_id, mb.nslots,
		       mb.slot_size, bi.out_uid, bi.out_gid, bi.out_mode,
		       bi.out_reclaim_ns ? fmt_dur(rec, sizeof(rec),
						   bi.out_reclaim_ns) : "never");
		printf("slots: %" PRIu32 " free, %" PRIu32 " owned, %" PRIu32
		       " pending, %" PRIu32 " edit, %" PRIu32 " taken, %" PRIu32
		       " replied\n\n", counts[MBX_STATE_FREE],
		       counts[MBX_STATE_OWNED], counts[MBX_STATE_PENDING],
		       counts[MBX_STATE_EDIT], counts[MBX_STATE_TAKEN],
		       counts[MBX_STATE_REPLIED]);
		printf("%6s %-8s %8s %10s %8s %8s %8s %5s %9s  %s\n", "SLOT",
		       "STATE", "OPCODE", "CALL-ID", "OWNER", "CALLER",
		       "CALLEE", "DELIV", "AGE", "FLAGS");
		for (i = 0; i < mb.nslots; i++) {
			const struct mbx_slot_info *s = &info[i];
			uint64_t a = slot_age(s, now);

			if (!all && s->state == MBX_STATE_FREE)
				continue;
			shown++;
			printf("%6" PRIu32 " %-8s %8" PRIu32 " %10" PRIu64
			       " %8s %8s %8s %5" PRIu32 " %9s  %s\n", s->slot,
			       state_name(s->state), s->opcode,
			       (uint64_t)s->call_id, fmt_pid(p1, sizeof(p1), s->owner_pid),
			       fmt_pid(p2, sizeof(p2), s->caller_pid),
			       fmt_pid(p3, sizeof(p3), s->callee_pid),
			       s->delivery,
			       a ? fmt_dur(age, sizeof(age), a) : "-",
			       fmt_flags(fl, sizeof(fl), s->flags));
		}
		if (!all && counts[MBX_STATE_FREE])
			printf("(%" PRIu32 " free slot%s not shown: --all shows them)\n",
			       counts[MBX_STATE_FREE],
			       counts[MBX_STATE_FREE] == 1 ? "" : "s");
		else if (!shown)
			printf("(no slot)\n");
	}
	free(info);
	mailbox_close(&mb);
	return EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* stats                                                                */

static int cmd_stats(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct mbx_stats_args st;
	struct mailbox mb;
	char d1[16], d2[16];
	int o, ret;

	while ((o = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		if (o == 'j')
			json = true;
		else
			return usage_error(NULL);
	}
	if (argc - optind != 1)
		return usage_error("stats takes one mailbox name");
	ret = check_name(argv[optind]);
	if (!ret)
		ret = check_device();
	if (!ret)
		ret = open_box(&mb, argv[optind], MBX_ACCESS_READ);
	if (ret)
		return ret;
	ret = mailbox_stats(&mb, &st);
	if (ret) {
		ret = box_error(argv[optind], "stats of", -ret);
		mailbox_close(&mb);
		return ret;
	}
	if (json) {
		printf("{\"name\":");
		json_str(mb.name);
		printf(",\"slots\":%" PRIu32 ",\"sessions\":%" PRIu32
		       ",\"submitted\":%llu,\"taken\":%llu,\"completed\":%llu"
		       ",\"cancelled\":%llu,\"redelivered\":%llu"
		       ",\"owner_died\":%llu,\"reclaimed\":%llu"
		       ",\"max_wait_ns\":%llu,\"oldest_pending_ns\":%llu"
		       ",\"free\":%" PRIu32 ",\"owned\":%" PRIu32
		       ",\"pending\":%" PRIu32 ",\"taken_now\":%" PRIu32
		       ",\"replied\":%" PRIu32 "}\n",
		       mb.nslots, st.out_sessions,
		       (unsigned long long)st.out_submitted,
		       (unsigned long long)st.out_taken,
		       (unsigned long long)st.out_completed,
		       (unsigned long long)st.out_cancelled,
		       (unsigned long long)st.out_redelivered,
		       (unsigned long long)st.out_owner_died,
		       (unsigned long long)st.out_reclaimed,
		       (unsigned long long)st.out_max_wait_ns,
		       (unsigned long long)st.out_oldest_pending_ns,
		       st.out_free, st.out_owned, st.out_pending,
		       st.out_taken_now, st.out_replied);
	} else {
		printf("mailbox %s: %" PRIu32 " slots, %" PRIu32 " session%s open\n",
		       mb.name, mb.nslots, st.out_sessions,
		       st.out_sessions == 1 ? "" : "s");
		printf("  submitted       %12llu\n", (unsigned long long)st.out_submitted);
		printf("  taken           %12llu\n", (unsigned long long)st.out_taken);
		printf("  completed       %12llu\n", (unsigned long long)st.out_completed);
		printf("  cancelled       %12llu\n", (unsigned long long)st.out_cancelled);
		printf("  redelivered     %12llu\n", (unsigned long long)st.out_redelivered);
		printf("  owner died      %12llu\n", (unsigned long long)st.out_owner_died);
		printf("  reclaimed       %12llu\n", (unsigned long long)st.out_reclaimed);
		printf("  longest wait    %12s  (submit to take, since creation)\n",
		       fmt_dur(d1, sizeof(d1), st.out_max_wait_ns));
		printf("  oldest pending  %12s\n",
		       st.out_pending ? fmt_dur(d2, sizeof(d2),
						st.out_oldest_pending_ns) : "-");
		printf("  now             %" PRIu32 " free, %" PRIu32 " owned, %" PRIu32
		       " pending, %" PRIu32 " taken, %" PRIu32 " replied\n",
		       st.out_free, st.out_owned, st.out_pending,
		       st.out_taken_now, st.out_replied);
	}
	mailbox_close(&mb);
	return EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* watch                                                                */

struct watched {
	const char *name;
	struct mailbox mb;
	struct mbx_stats_args st, prev;
	bool have_prev;
	struct mbx_slot_info *info;
	uint32_t nstuck;
	char error[96];
};

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
	for (i = 0; i < w->mb.nslots; i++)
		if (w->info[i].state == MBX_STATE_TAKEN &&
		    slot_age(&w->info[i], now) >= stuck_ns)
			w->nstuck++;
}

/* Calls per second in at most 8 columns. */
static void fmt_rate(char *buf, size_t len, double r)
{
	if (r < 100)
		snprintf(buf, len, "%.1f", r);
	else if (r < 1e7)
		snprintf(buf, len, "%.0f", r);
	else
		snprintf(buf, len, "%.2e", r);
}

static void frame_json(struct watched *ws, int n, uint64_t now, double dt,
		       uint64_t stuck_ns)
{
	int k;
	uint32_t i;
	bool first;

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
		       ",\"max_wait_ns\":%llu,\"stuck\":[",
		       (unsigned long long)w->st.out_submitted,
		       (unsigned long long)w->st.out_completed,
		       w->st.out_pending, w->st.out_taken_now,
		       w->st.out_replied, w->st.out_free,
		       (unsigned long long)w->st.out_oldest_pending_ns,
		       (unsigned long long)w->st.out_max_wait_ns);
		first = true;
		for (i = 0; i < w->mb.nslots; i++) {
			const struct mbx_slot_info *s = &w->info[i];
			uint64_t a = slot_age(s, now);

			if (s->state != MBX_STATE_TAKEN || a < stuck_ns)
				continue;
			printf("%s{\"slot\":%" PRIu32 ",\"call_id\":%" PRIu64
			       ",\"opcode\":%" PRIu32 ",\"callee_pid\":%" PRIu32
			       ",\"held_ns\":%" PRIu64 ",\"delivery\":%" PRIu32 "}",
			       first ? "" : ",", s->slot, (uint64_t)s->call_id,
			       s->opcode,
			       s->callee_pid, a, s->delivery);
			first = false;
		}
		printf("]}");
	}
	printf("]}\n");
}

static void frame_text(struct watched *ws, int n, uint64_t now, double dt,
		       uint64_t stuck_ns, uint64_t interval_ms, bool ansi)
{
	static const char *const hi = "\033[1;37;41m";	/* white on red */
	static const char *const bold = "\033[1m";
	char d1[16], d2[16], d3[16], r1[16], r2[16], p[12];
	int rows, cols, used, k, total_stuck = 0, listed = 0, nw = 7;
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
	if (cols && nw > cols - 66)
		nw = cols - 66 > 7 ? cols - 66 : 7;
	line(ansi, cols, bold, "%-*s %8s %8s %7s %5s %5s %5s %7s %7s %5s",
	     nw, "MAILBOX", "CALLS/S", "DONE/S", "PENDING", "TAKEN", "REPLY",
	     "FREE", "OLDEST", "MAXWAIT", "STUCK");
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
		line(ansi, cols, w->nstuck ? hi : NULL,
		     "%-*.*s %8s %8s %7" PRIu32 " %5" PRIu32 " %5" PRIu32
		     " %5" PRIu32 " %7s %7s %5" PRIu32,
		     nw, nw, w->name, r1, r2, w->st.out_pending, w->st.out_taken_now,
		     w->st.out_replied, w->st.out_free,
		     w->st.out_pending ? fmt_dur(d1, sizeof(d1),
						 w->st.out_oldest_pending_ns) : "-",
		     fmt_dur(d2, sizeof(d2), w->st.out_max_wait_ns), w->nstuck);
		used++;
		total_stuck += w->nstuck;
	}
	line(ansi, cols, NULL, "");
	used++;
	if (!total_stuck) {
		line(ansi, cols, NULL, "no stuck call (taken and held %s or longer)",
		     fmt_dur(d1, sizeof(d1), stuck_ns));
	} else {
		line(ansi, cols, bold, "stuck calls: taken, held %s or longer",
		     fmt_dur(d1, sizeof(d1), stuck_ns));
		line(ansi, cols, bold, "%-*s %6s %10s %8s %8s %9s %5s",
		     nw, "MAILBOX", "SLOT", "CALL-ID", "OPCODE", "CALLEE", "HELD",
		     "DELIV");
		used += 3;
		for (k = 0; k < n; k++) {
			struct watched *w = &ws[k];

			for (i = 0; w->info && i < w->mb.nslots; i++) {
				const struct mbx_slot_info *s = &w->info[i];
				uint64_t a = slot_age(s, now);

				if (s->state != MBX_STATE_TAKEN || a < stuck_ns)
					continue;
				if (ansi && used >= rows - 1 &&
				    listed < total_stuck) {
					line(ansi, cols, NULL, "... %d more",
					     total_stuck - listed);
					goto done;
				}
				line(ansi, cols, hi,
				     "%-*.*s %6" PRIu32 " %10" PRIu64 " %8" PRIu32
				     " %8s %9s %5" PRIu32, nw, nw, w->name,
				     s->slot,
				     (uint64_t)s->call_id, s->opcode,
				     fmt_pid(p, sizeof(p), s->callee_pid),
				     fmt_dur(d3, sizeof(d3), a), s->delivery);
				used++;
				listed++;
			}
		}
	}
done:
	if (ansi)
		fputs("\033[J", stdout);	/* what the last frame left below */
	fflush(stdout);
}

static int cmd_watch(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "stuck-ms", required_argument, NULL, 's' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "ansi", no_argument, NULL, 'A' },
		{ "plain", no_argument, NULL, 'P' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t interval_ms = 1000, stuck_ms = 1000, iterations = 0, it;
	struct watched *ws;
	struct sigaction sa;
	sigset_t block, orig;
	int ansi = -1, o, n, k, ret = EXIT_OK;
	uint64_t t_prev = 0;
	bool keys;

	while ((o = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (o) {
		case 'i':
			if (!parse_u64(optarg, 10, 3600000, 10, &interval_ms))
				return usage_error("--interval: '%s' is not a number of milliseconds in 10..3600000",
						   optarg);
			break;
		case 's':
			if (!parse_u64(optarg, 0, UINT64_MAX / 1000000, 10,
				       &stuck_ms))
				return usage_error("--stuck-ms: '%s' is not a number of milliseconds",
						   optarg);
			break;
		case 'n':
			if (!parse_u64(optarg, 1, UINT32_MAX, 10, &iterations))
				return usage_error("--iterations: '%s' is not a positive number",
						   optarg);
			break;
		case 'A':
			ansi = 1;
			break;
		case 'P':
			ansi = 0;
			break;
		case 'j':
			json = true;
			break;
		default:
			return usage_error(NULL);
		}
	}
	n = argc - optind;
	if (n < 1)
		return usage_error("watch takes one or more mailbox names");
	for (k = 0; k < n; k++) {
		ret = check_name(argv[optind + k]);
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
		ws[k].name = argv[optind + k];
		ret = open_box(&ws[k].mb, ws[k].name, MBX_ACCESS_READ);
		if (ret) {
			while (k--)
				mailbox_close(&ws[k].mb);
			free(ws);
			return ret;
		}
	}
	if (ansi < 0)
		ansi = !json && isatty(STDOUT_FILENO);
	if (json)
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

	for (it = 0; !iterations || it < iterations; it++) {
		uint64_t now = now_ns(), deadline;
		double dt = t_prev ? (now - t_prev) / 1e9 : 0;

		for (k = 0; k < n; k++)
			sample(&ws[k], stuck_ms * 1000000ULL, now);
		if (json)
			frame_json(ws, n, now, dt, stuck_ms * 1000000ULL);
		else
			frame_text(ws, n, now, dt, stuck_ms * 1000000ULL,
				   interval_ms, ansi);
		fflush(stdout);
		t_prev = now;
		if (iterations && it + 1 == iterations)
			break;
		deadline = now + interval_ms * 1000000ULL;
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
	static const struct option lopts[] = {
		{ "slots", required_argument, NULL, 'n' },
		{ "slot-size", required_argument, NULL, 's' },
		{ "mode", required_argument, NULL, 'm' },
		{ "reclaim-ms", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t nslots = 0, slot_size = 0, mode = 0660, reclaim_ms = 0;
	struct mbx_api_args api;
	struct mailbox mb;
	const char *name;
	int o, ret;

	while ((o = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (o) {
		case 'n':
			if (!parse_u64(optarg, 1, UINT32_MAX, 10, &nslots))
				return usage_error("--slots: '%s' is not a positive number",
						   optarg);
			break;
		case 's':
			if (!parse_size(optarg, &slot_size) ||
			    slot_size % MBX_SLOT_ALIGN)
				return usage_error("--slot-size: '%s' is not a positive multiple of %d bytes",
						   optarg, MBX_SLOT_ALIGN);
			break;
		case 'm':
			/* r and w for owner, group and other: no x. */
			if (!parse_u64(optarg, 0, 0666, 8, &mode) ||
			    (mode & ~0666ULL))
				return usage_error("--mode: '%s' is not an octal mode of r and w bits (at most 0666)",
						   optarg);
			break;
		case 'r':
			if (!parse_u64(optarg, 0, UINT64_MAX / 1000000, 10,
				       &reclaim_ms))
				return usage_error("--reclaim-ms: '%s' is not a number of milliseconds",
						   optarg);
			break;
		default:
			return usage_error(NULL);
		}
	}
	if (argc - optind != 1)
		return usage_error("create takes one mailbox name");
	name = argv[optind];
	if (!nslots || !slot_size)
		return usage_error("create needs --slots and --slot-size");
	ret = check_name(name);
	if (!ret)
		ret = check_device();
	if (ret)
		return ret;
	ret = mailbox_create(&mb, name, nslots, slot_size, mode,
			     reclaim_ms * 1000000ULL, MBX_CREATE_CLOEXEC);
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

static int cmd_cancel(int argc, char **argv)
{
	uint64_t slot, id;
	struct mbx_call call = { 0 };
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
	mailbox_close(&mb);
	switch (ret) {
	case MBX_STATE_PENDING:
	case MBX_STATE_EDIT:
		printf("call %" PRIu64 " in slot %" PRIu64 " was %s: withdrawn, its caller gets ECANCELED\n",
		       id, slot, state_name(ret));
		return EXIT_OK;
	case MBX_STATE_TAKEN:
		printf("call %" PRIu64 " in slot %" PRIu64 " was TAKEN: its callee is asked to cancel it\n",
		       id, slot);
		return EXIT_OK;
	case -ESTALE:
		complain("slot %" PRIu64 " of '%s' does not hold call %" PRIu64, slot,
		      name, id);
		return EXIT_CALL;
	case -EALREADY:
		complain("call %" PRIu64 " in slot %" PRIu64 " of '%s' is answered already",
		      id, slot, name);
		return EXIT_CALL;
	case -EBUSY:
		complain("call %" PRIu64 " in slot %" PRIu64 " of '%s' is being revised by another process",
		      id, slot, name);
		return EXIT_CALL;
	default:
		if (ret >= 0) {
			printf("call %" PRIu64 " in slot %" PRIu64 " was %s\n",
			       id, slot, state_name(ret));
			return EXIT_OK;
		}
		return box_error(name, "cancel in", -ret);
	}
}

/* ------------------------------------------------------------------ */

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	bool reads;		/* --json applies */
} commands[] = {
	{ "list", cmd_list, true },
	{ "show", cmd_show, true },
	{ "stats", cmd_stats, true },
	{ "watch", cmd_watch, true },
	{ "create", cmd_create, false },
	{ "destroy", cmd_destroy, false },
	{ "cancel", cmd_cancel, false },
};

int main(int argc, char **argv)
{
	struct mbx_api_args api;
	const char *cmd;
	char label[32];
	size_t i;
	int k, ret;

	/* Options before the command: --json, --help, --version. */
	for (k = 1; k < argc && argv[k][0] == '-'; k++) {
		if (!strcmp(argv[k], "--json")) {
			json = true;
		} else if (!strcmp(argv[k], "-h") || !strcmp(argv[k], "--help")) {
			usage(stdout, true);
			return EXIT_OK;
		} else if (!strcmp(argv[k], "--version")) {
			printf("mailboxctl, libmailbox %d.%d, built for API %d",
			       LIBMAILBOX_VERSION_MAJOR, LIBMAILBOX_VERSION_MINOR,
			       MBX_API_VERSION);
			if (!mailbox_api(&api))
				printf(", module API %" PRIu32, api.out_api);
			printf("\n");
			return EXIT_OK;
		} else {
			return usage_error("unknown option '%s'", argv[k]);
		}
	}
	if (k == argc)
		return usage_error("no command");
	cmd = argv[k];
	if (!strcmp(cmd, "help")) {
		usage(stdout, true);
		return EXIT_OK;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(cmd, commands[i].name))
			continue;
		if (json && !commands[i].reads)
			return usage_error("--json applies to list, show, stats and watch, not to %s",
					   cmd);
		/*
		 * getopt_long in the command starts again at its argv[1] and
		 * names it in its messages: "mailboxctl show: ...".
		 */
		snprintf(label, sizeof(label), "%s %s", prog, cmd);
		argv[k] = label;
		optind = 1;
		ret = commands[i].fn(argc - k, argv + k);
		if (fflush(stdout) && ret == EXIT_OK) {
			complain("write error: %s", strerror(errno));
			ret = EXIT_ERROR;
		}
		return ret;
	}
	return usage_error("unknown command '%s'", cmd);
}
