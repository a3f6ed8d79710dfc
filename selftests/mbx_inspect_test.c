// SPDX-License-Identifier: GPL-2.0
/*
 * Third-party inspection: a monitor that opened a mailbox read-only sees,
 * without disturbing anyone, every slot's header (MBX_IOC_SLOT_INFO), the
 * mailbox's counters (MBX_IOC_BOX_STATS) and the same in text in
 * /proc/driver/mailbox. The tests build a known state with real parties
 * (a caller, callees, one of them killed) and check every field against
 * it; they check the counters against a known sequence of operations;
 * they check that the text file lists only the mailboxes its reader may
 * read; and they tell a stuck callee from a slow one by how long each has
 * held its calls, as a monitor that restarts stuck callees would.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/mbx.h>

#include "kselftest_harness.h"
#define MBX_PARTY_NAMES
#include "mbx_helpers.h"

#define PROC_FILE	"/proc/driver/mailbox"

MBX_SKIP_WITHOUT_DEVICE

/* ------------------------------------------------------------------ */
/* /proc/driver/mailbox                                                 */

/* The whole file, NUL terminated (free() it), or NULL. */
static char *proc_read(void)
{
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap + 1);
	ssize_t n;
	int fd;

	if (!buf)
		return NULL;
	fd = open(PROC_FILE, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return NULL;
	}
	while ((n = read(fd, buf + len, cap - len)) > 0) {
		len += n;
		if (len == cap) {
			char *more = realloc(buf, 2 * cap + 1);

			if (!more)
				break;
			buf = more;
			cap *= 2;
		}
	}
	close(fd);
	buf[len] = 0;
	return buf;
}

/* The line of @text starting with @prefix, as a new string, or NULL. */
static char *proc_line(const char *text, const char *prefix)
{
	size_t plen = strlen(prefix);
	const char *p = text;

	while (p && *p) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len >= plen && !strncmp(p, prefix, plen))
			return strndup(p, len);
		p = end ? end + 1 : NULL;
	}
	return NULL;
}

/* How many lines of @text start with @prefix. */
static int proc_count(const char *text, const char *prefix)
{
	size_t plen = strlen(prefix);
	const char *p = text;
	int n = 0;

	while (p && *p) {
		if (!strncmp(p, prefix, plen))
			n++;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return n;
}

/* The value of " key=" in @line, copied to @out; false if absent. */
static bool kv(const char *line, const char *key, char *out, size_t n)
{
	char pat[64];
	const char *v;
	size_t i;

	snprintf(pat, sizeof(pat), " %s=", key);
	v = strstr(line, pat);
	if (!v)
		return false;
	v += strlen(pat);
	for (i = 0; i + 1 < n && v[i] && v[i] != ' '; i++)
		out[i] = v[i];
	out[i] = 0;
	return true;
}

/* A number field (decimal, or 0x / 0 prefixed); ~0 if absent. */
static long long kv_num(const char *line, const char *key)
{
	char v[32], *end;
	long long x;

	if (!kv(line, key, v, sizeof(v)) || !v[0])
		return -0x7fffffffffffffffLL;
	x = strtoll(v, &end, 0);
	return *end ? -0x7fffffffffffffffLL : x;
}

static const char *state_name(__u32 state)
{
	static const char *const names[] = {
		"FREE", "OWNED", "PENDING", "EDIT", "TAKEN", "REPLIED",
	};

	return state < 6 ? names[state] : "?";
}

/* ------------------------------------------------------------------ */
/* A known state, built by real parties                                 */

struct win {
	__u64 t0, t1;		/* the clock just before and after a call */
};

#define NCALLS	5

/* The calls the caller makes, in order; what becomes of each. */
static const struct {
	__u32 slot;
	__u32 opcode;
	__u32 len;
	__u32 flags;
	__u64 user_data;
	__u32 state;		/* when the scene is set */
} calls[NCALLS] = {
	{ 1, 11, 100, 0, 0xa1, MBX_STATE_TAKEN },
	{ 2, 12, 64, MBX_CALL_AT_MOST_ONCE, 0xb2, MBX_STATE_REPLIED },
	{ 5, 15, 48, 0, 0xe5, MBX_STATE_PENDING },	/* redelivered */
	{ 3, 13, 128, 0, 0xc3, MBX_STATE_PENDING },
	{ 4, 14, 16, 0, 0xd4, MBX_STATE_EDIT },
};

#define OWNED_SLOT	0
#define B_STATUS	(-EIO)
#define B_REPLY_LEN	32

struct scene {
	char name[MBX_NAME_MAX];
	_Atomic __u32 reached;
	_Atomic __u32 go;
	__u64 id[NCALLS];
	struct win sub[NCALLS];
	struct win take[NCALLS];
	struct win done[NCALLS];
	int err;
};

static int acquire_call(int fd, __u32 slot, __u64 id)
{
	struct mbx_acquire_args a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = MBX_ACQUIRE_CALL;
	a.slot = slot;
	a.call_id = id;
	return mbx_ioctl(fd, MBX_IOC_SLOT_ACQUIRE, &a);
}

/* Submit calls[i] from its slot, which the caller owns. */
static int submit_op(int fd, int i, __u64 *id)
{
	struct mbx_submit_args a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.call_flags = calls[i].flags;
	a.slot = calls[i].slot;
	a.opcode = calls[i].opcode;
	a.len = calls[i].len;
	a.user_data = calls[i].user_data;
	ret = mbx_ioctl(fd, MBX_IOC_CALL_SUBMIT, &a);
	if (!ret)
		*id = a.out_call_id;
	return ret;
}

/*
 * The caller: owns slot 0 without calling, makes the five calls, and
 * later takes the last one back for revocation.
 */
static int scene_caller(void *arg)
{
	struct scene *sc = arg;
	struct tbox b;
	int i;

	if (tbox_open(&b, sc->name))
		return 10;
	if (acquire_slot(b.fd, OWNED_SLOT, MBX_WAIT_NONBLOCK, NULL))
		return 11;
	for (i = 0; i < NCALLS; i++) {
		if (acquire_slot(b.fd, calls[i].slot, MBX_WAIT_NONBLOCK, NULL))
			return 12;
		payload_fill(call_plane(&b, calls[i].slot), calls[i].len,
			     calls[i].user_data);
		sc->sub[i].t0 = mbx_now_ns();
		if (submit_op(b.fd, i, &sc->id[i]))
			return 13;
		sc->sub[i].t1 = mbx_now_ns();
	}
	bump(&sc->reached);
	if (wait_ge(&sc->go, 1))
		return 16;
	if (acquire_call(b.fd, calls[4].slot, sc->id[4]))
		return 17;
	bump(&sc->reached);
	hang();
	return 0;
}

/* Take the next call, which must be calls[i]; note when. */
static int scene_take(struct scene *sc, int fd, int i)
{
	struct mbx_call c;

	sc->take[i].t0 = mbx_now_ns();
	if (call_take(fd, MBX_WAIT_NONBLOCK, &c))
		return -1;
	sc->take[i].t1 = mbx_now_ns();
	return c.call_id == sc->id[i] ? 0 : -1;
}

/* The callee: holds the first call, answers the second with an error. */
static int scene_callee(void *arg)
{
	struct scene *sc = arg;
	struct tbox b;

	if (tbox_open(&b, sc->name))
		return 10;
	if (scene_take(sc, b.fd, 0) || scene_take(sc, b.fd, 1))
		return 11;
	memset(reply_plane(&b, calls[1].slot), 0x5a, B_REPLY_LEN);
	sc->done[1].t0 = mbx_now_ns();
	if (call_complete(b.fd, calls[1].slot, sc->id[1], B_STATUS,
			  B_REPLY_LEN))
		return 12;
	sc->done[1].t1 = mbx_now_ns();
	bump(&sc->reached);
	hang();
	return 0;
}

/* A callee killed holding the third call: it is redelivered. */
static int scene_doomed(void *arg)
{
	struct scene *sc = arg;
	struct tbox b;

	if (tbox_open(&b, sc->name))
		return 10;
	if (scene_take(sc, b.fd, 2))
		return 11;
	bump(&sc->reached);
	hang();
	return 0;
}

FIXTURE(scene) {
	struct scene *sc;
	int fd;			/* the monitor's, read only */
	pid_t caller, callee;
	bool ready;
};

FIXTURE_SETUP(scene)
{
	struct scene *sc;
	pid_t doomed;
	int fd;

	self->fd = -1;
	sc = self->sc = shm_alloc(sizeof(*self->sc));
	ASSERT_NE(NULL, sc);
	mbx_unique_name(sc->name, "in");
	/* The creator leaves at once: the monitor is a third party. */
	fd = box_create(sc->name, NSLOTS, 0);
	ASSERT_LE(0, fd);
	close(fd);

	self->caller = spawn(scene_caller, sc);
	ASSERT_LT(0, self->caller);
	ASSERT_EQ(0, wait_ge(&sc->reached, 1));
	self->callee = spawn(scene_callee, sc);
	ASSERT_LT(0, self->callee);
	ASSERT_EQ(0, wait_ge(&sc->reached, 2));
	doomed = spawn(scene_doomed, sc);
	ASSERT_LT(0, doomed);
	ASSERT_EQ(0, wait_ge(&sc->reached, 3));
	ASSERT_EQ(128 + SIGKILL, kill_reap(doomed));
	bump(&sc->go);
	ASSERT_EQ(0, wait_ge(&sc->reached, 4));

	self->fd = box_open(sc->name, MBX_ACCESS_READ);
	ASSERT_LE(0, self->fd);
	self->ready = true;
}

FIXTURE_TEARDOWN(scene)
{
	if (self->caller > 0)
		kill_reap(self->caller);
	if (self->callee > 0)
		kill_reap(self->callee);
	if (self->fd >= 0)
		close(self->fd);
	if (self->sc) {
		box_destroy(self->sc->name);
		munmap(self->sc, sizeof(*self->sc));
	}
}

/* Every field of every slot, as the scene left it. */
TEST_F(scene, slot_info_shows_the_known_state)
{
	struct mbx_slot_info si[NSLOTS + 1], again[NSLOTS];
	struct mbx_slots_args a;
	struct scene *sc = self->sc;
	__u64 now;
	int i;

	memset(si, 0xcc, sizeof(si));
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.info = (uintptr_t)si;
	a.count = NSLOTS + 1;
	a.info_size = sizeof(si[0]);
	a.out_count = 0xcccccccc;
	ASSERT_EQ(0, mbx_ioctl(self->fd, MBX_IOC_SLOT_INFO, &a));
	now = mbx_now_ns();
	ASSERT_EQ(NSLOTS, a.out_count);
	/* Nothing written past the last slot. */
	EXPECT_EQ(0xccccccccccccccccULL, si[NSLOTS].call_id);

	for (i = 0; i < NSLOTS; i++) {
		EXPECT_EQ((__u32)i, si[i].slot);
		EXPECT_EQ(0, si[i].__reserved);
	}

	/* Owned, never called. */
	EXPECT_EQ(MBX_STATE_OWNED, si[OWNED_SLOT].state);
	EXPECT_EQ((__u32)self->caller, si[OWNED_SLOT].owner_pid);
	EXPECT_EQ(0, si[OWNED_SLOT].caller_pid);
	EXPECT_EQ(0, si[OWNED_SLOT].callee_pid);
	EXPECT_EQ(0, si[OWNED_SLOT].call_id);
	EXPECT_EQ(0, si[OWNED_SLOT].delivery);
	EXPECT_EQ(0, si[OWNED_SLOT].submit_ns);

	for (i = 0; i < NCALLS; i++) {
		struct mbx_slot_info *s = &si[calls[i].slot];

		EXPECT_EQ(calls[i].state, s->state) {
			TH_LOG("call %d: slot %u is %s", i, calls[i].slot,
			       state_name(s->state));
		}
		EXPECT_EQ(sc->id[i], s->call_id);
		EXPECT_EQ(calls[i].user_data, s->user_data);
		EXPECT_EQ(calls[i].opcode, s->opcode);
		EXPECT_EQ(calls[i].len, s->len);
		EXPECT_EQ((__u32)self->caller, s->caller_pid);
		/* Submitted while the caller's clock was in the window. */
		EXPECT_LE(sc->sub[i].t0, s->submit_ns);
		EXPECT_GE(sc->sub[i].t1, s->submit_ns);
	}

	/* Taken and held by the live callee. */
	EXPECT_EQ(0, si[calls[0].slot].flags);
	EXPECT_EQ(1, si[calls[0].slot].delivery);
	EXPECT_EQ((__u32)self->callee, si[calls[0].slot].callee_pid);
	EXPECT_EQ(0, si[calls[0].slot].owner_pid);
	EXPECT_LE(sc->take[0].t0, si[calls[0].slot].take_ns);
	EXPECT_GE(sc->take[0].t1, si[calls[0].slot].take_ns);
	EXPECT_EQ(0, si[calls[0].slot].reply_ns);
	EXPECT_EQ(0, si[calls[0].slot].reply_len);
	EXPECT_EQ(0, si[calls[0].slot].status);

	/* Answered with an error, at most once, not yet collected. */
	EXPECT_EQ(MBX_CALL_AT_MOST_ONCE, si[calls[1].slot].flags);
	EXPECT_EQ(1, si[calls[1].slot].delivery);
	EXPECT_EQ(0, si[calls[1].slot].callee_pid);
	EXPECT_EQ(B_STATUS, si[calls[1].slot].status);
	EXPECT_EQ(B_REPLY_LEN, si[calls[1].slot].reply_len);
	EXPECT_LE(sc->take[1].t0, si[calls[1].slot].take_ns);
	EXPECT_GE(sc->take[1].t1, si[calls[1].slot].take_ns);
	EXPECT_LE(sc->done[1].t0, si[calls[1].slot].reply_ns);
	EXPECT_GE(sc->done[1].t1, si[calls[1].slot].reply_ns);

	/* Its callee died: back in the queue, once delivered. */
	EXPECT_EQ(MBX_CALL_REDELIVERED, si[calls[2].slot].flags);
	EXPECT_EQ(1, si[calls[2].slot].delivery);
	EXPECT_EQ(0, si[calls[2].slot].callee_pid);
	EXPECT_EQ(0, si[calls[2].slot].reply_ns);

	/* Never taken. */
	EXPECT_EQ(0, si[calls[3].slot].flags);
	EXPECT_EQ(0, si[calls[3].slot].delivery);
	EXPECT_EQ(0, si[calls[3].slot].take_ns);
	EXPECT_EQ(0, si[calls[3].slot].reply_ns);
	EXPECT_EQ(0, si[calls[3].slot].callee_pid);

	/* Held for revocation by its own caller. */
	EXPECT_EQ((__u32)self->caller, si[calls[4].slot].owner_pid);
	EXPECT_EQ(0, si[calls[4].slot].delivery);
	EXPECT_EQ(0, si[calls[4].slot].take_ns);

	/* Free, never used. */
	for (i = 6; i < NSLOTS; i++) {
		EXPECT_EQ(MBX_STATE_FREE, si[i].state);
		EXPECT_EQ(0, si[i].call_id);
		EXPECT_EQ(0, si[i].owner_pid + si[i].caller_pid +
			     si[i].callee_pid);
	}

	/* Times are ordered and in the past. */
	for (i = 0; i < NSLOTS; i++) {
		if (si[i].take_ns)
			EXPECT_LE(si[i].submit_ns, si[i].take_ns);
		if (si[i].reply_ns)
			EXPECT_LE(si[i].take_ns, si[i].reply_ns);
		EXPECT_GE(now, si[i].submit_ns);
		EXPECT_GE(now, si[i].take_ns);
		EXPECT_GE(now, si[i].reply_ns);
	}

	/* Looking changed nothing. */
	for (i = 0; i < NSLOTS; i++) {
		ASSERT_EQ(0, slot_get(self->fd, i, &again[i]));
		EXPECT_EQ(0, memcmp(&si[i], &again[i], sizeof(si[i])));
	}
}

/* A range from the middle, and an entry larger than the kernel's. */
TEST_F(scene, slot_info_reads_a_range)
{
	struct {
		struct mbx_slot_info si;
		__u64 future;
	} big[NSLOTS];
	struct mbx_slot_info one;
	struct mbx_slots_args a;

	memset(big, 0xcc, sizeof(big));
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.info = (uintptr_t)big;
	a.first = 5;
	a.count = NSLOTS;
	a.info_size = sizeof(big[0]);
	ASSERT_EQ(0, mbx_ioctl(self->fd, MBX_IOC_SLOT_INFO, &a));
	EXPECT_EQ(NSLOTS - 5, a.out_count);
	EXPECT_EQ(5, big[0].si.slot);
	EXPECT_EQ(self->sc->id[2], big[0].si.call_id);
	EXPECT_EQ(0, big[0].future);
	EXPECT_EQ(7, big[2].si.slot);
	EXPECT_EQ(0, big[2].future);
	EXPECT_EQ(0xccccccccccccccccULL, big[3].si.call_id);
	ASSERT_EQ(0, slot_get(self->fd, 5, &one));
	EXPECT_EQ(0, memcmp(&one, &big[0].si, sizeof(one)));
}

/* The monitor's fd is read only: it cannot steer anything. */
TEST_F(scene, read_only_monitor_cannot_cancel)
{
	EXPECT_EQ(-EBADF, call_cancel(self->fd, calls[3].slot,
				      self->sc->id[3], NULL));
}

/* The counters and census match what the scene did. */
TEST_F(scene, box_stats_match_the_scene)
{
	struct scene *sc = self->sc;
	struct mbx_stats_args st;
	__u64 lo = 0, hi = 0, t0, t1;
	int i;

	for (i = 0; i < 3; i++) {
		__u64 l = sc->take[i].t0 - sc->sub[i].t1;
		__u64 h = sc->take[i].t1 - sc->sub[i].t0;

		if (sc->take[i].t0 < sc->sub[i].t1)
			l = 0;
		if (l > lo)
			lo = l;
		if (h > hi)
			hi = h;
	}
	t0 = mbx_now_ns();
	ASSERT_EQ(0, box_stats(self->fd, &st));
	t1 = mbx_now_ns();
	EXPECT_EQ(sizeof(st), st.size);
	EXPECT_EQ(0, st.flags);
	EXPECT_EQ(NCALLS, st.out_submitted);
	EXPECT_EQ(3, st.out_taken);
	EXPECT_EQ(1, st.out_completed);
	EXPECT_EQ(0, st.out_cancelled);
	EXPECT_EQ(1, st.out_redelivered);
	EXPECT_EQ(1, st.out_owner_died);
	EXPECT_EQ(0, st.out_reclaimed);
	EXPECT_LE(lo, st.out_max_wait_ns);
	EXPECT_GE(hi, st.out_max_wait_ns);
	/* The oldest pending call is the redelivered one: it kept its place. */
	EXPECT_LE(t0 - sc->sub[2].t1, st.out_oldest_pending_ns);
	EXPECT_GE(t1 - sc->sub[2].t0, st.out_oldest_pending_ns);
	EXPECT_EQ(2, st.out_free);
	EXPECT_EQ(2, st.out_owned);	/* OWNED and EDIT */
	EXPECT_EQ(2, st.out_pending);
	EXPECT_EQ(1, st.out_taken_now);
	EXPECT_EQ(1, st.out_replied);
	EXPECT_EQ(3, st.out_sessions);	/* caller, callee, monitor */
}

/* The text file says the same as the ioctls, for people. */
TEST_F(scene, proc_file_shows_the_known_state)
{
	struct scene *sc = self->sc;
	struct mbx_slot_info si[NSLOTS];
	struct mbx_stats_args st;
	char prefix[128], v[64], *text, *line;
	__u64 t0, t1;
	int i, n;

	ASSERT_EQ(0, access(PROC_FILE, R_OK));
	for (i = 0; i < NSLOTS; i++)
		ASSERT_EQ(0, slot_get(self->fd, i, &si[i]));
	ASSERT_EQ(0, box_stats(self->fd, &st));
	t0 = mbx_now_ns();
	text = proc_read();
	t1 = mbx_now_ns();
	ASSERT_NE(NULL, text);

	snprintf(prefix, sizeof(prefix), "box name=%s ", sc->name);
	ASSERT_EQ(1, proc_count(text, prefix));
	line = proc_line(text, prefix);
	ASSERT_NE(NULL, line);
	EXPECT_EQ(NSLOTS, kv_num(line, "slots"));
	EXPECT_EQ(SLOT_SIZE, kv_num(line, "slot_size"));
	EXPECT_EQ(geteuid(), kv_num(line, "uid"));
	EXPECT_EQ(getegid(), kv_num(line, "gid"));
	ASSERT_TRUE(kv(line, "mode", v, sizeof(v)));
	EXPECT_STREQ("0600", v);
	EXPECT_EQ(3, kv_num(line, "sessions"));
	EXPECT_EQ(st.out_submitted, kv_num(line, "submitted"));
	EXPECT_EQ(st.out_taken, kv_num(line, "taken"));
	EXPECT_EQ(st.out_completed, kv_num(line, "completed"));
	EXPECT_EQ(st.out_cancelled, kv_num(line, "cancelled"));
	EXPECT_EQ(st.out_redelivered, kv_num(line, "redelivered"));
	EXPECT_EQ(st.out_owner_died, kv_num(line, "owner_died"));
	EXPECT_EQ(st.out_reclaimed, kv_num(line, "reclaimed"));
	EXPECT_EQ(st.out_pending, kv_num(line, "pending"));
	EXPECT_EQ(st.out_taken_now, kv_num(line, "taken_now"));
	EXPECT_EQ(st.out_replied, kv_num(line, "replied"));
	EXPECT_EQ(st.out_max_wait_ns, kv_num(line, "max_wait_ns"));
	EXPECT_LE(t0 - sc->sub[2].t1, kv_num(line, "oldest_pending_ns"));
	EXPECT_GE(t1 - sc->sub[2].t0, kv_num(line, "oldest_pending_ns"));
	free(line);

	/* One line per slot that is not free, in slot order. */
	snprintf(prefix, sizeof(prefix), "slot box=%s ", sc->name);
	EXPECT_EQ(6, proc_count(text, prefix));
	for (i = 0, n = 0; i < NSLOTS; i++) {
		char sp[160];
		long long wait, held;

		snprintf(sp, sizeof(sp), "slot box=%s slot=%d ", sc->name, i);
		line = proc_line(text, sp);
		if (si[i].state == MBX_STATE_FREE) {
			EXPECT_EQ(NULL, line);
			free(line);
			continue;
		}
		ASSERT_NE(NULL, line) {
			TH_LOG("no line for slot %d", i);
		}
		n++;
		ASSERT_TRUE(kv(line, "state", v, sizeof(v)));
		EXPECT_STREQ(state_name(si[i].state), v);
		EXPECT_EQ(si[i].call_id, kv_num(line, "call_id"));
		EXPECT_EQ(si[i].opcode, kv_num(line, "opcode"));
		EXPECT_EQ(si[i].len, kv_num(line, "len"));
		EXPECT_EQ(si[i].reply_len, kv_num(line, "reply_len"));
		EXPECT_EQ(si[i].status, kv_num(line, "status"));
		ASSERT_TRUE(kv(line, "flags", v, sizeof(v)));
		EXPECT_EQ(0, strncmp(v, "0x", 2));
		EXPECT_EQ(si[i].flags, kv_num(line, "flags"));
		EXPECT_EQ(si[i].delivery, kv_num(line, "delivery"));
		EXPECT_EQ(si[i].owner_pid, kv_num(line, "owner"));
		EXPECT_EQ(si[i].caller_pid, kv_num(line, "caller"));
		EXPECT_EQ(si[i].callee_pid, kv_num(line, "callee"));
		wait = kv_num(line, "wait_ns");
		held = kv_num(line, "held_ns");
		switch (si[i].state) {
		case MBX_STATE_PENDING:
		case MBX_STATE_EDIT:
		case MBX_STATE_TAKEN:
			/* Not answered yet: waiting since it was submitted. */
			EXPECT_LE((long long)(t0 - si[i].submit_ns), wait);
			EXPECT_GE((long long)(t1 - si[i].submit_ns), wait);
			break;
		default:
			EXPECT_EQ(0, wait);
		}
		if (si[i].state == MBX_STATE_TAKEN) {
			EXPECT_LE((long long)(t0 - si[i].take_ns), held);
			EXPECT_GE((long long)(t1 - si[i].take_ns), held);
		} else {
			EXPECT_EQ(0, held);
		}
		free(line);
	}
	EXPECT_EQ(6, n);
	free(text);
}

/* ------------------------------------------------------------------ */
/* Who may read what                                                    */

struct reader {
	char names[3][MBX_NAME_MAX];
	int seen[3];
	int err;
};

#define READER_UID	65534
#define READER_GID	4242

/* Reads the file as an unprivileged user in group READER_GID. */
static int reader_child(void *arg)
{
	struct reader *r = arg;
	char prefix[128], *text;
	gid_t g = READER_GID;
	int i;

	if (setgroups(1, &g) || setresgid(g, g, g) ||
	    setresuid(READER_UID, READER_UID, READER_UID))
		return 10;
	text = proc_read();
	if (!text)
		return 11;
	for (i = 0; i < 3; i++) {
		snprintf(prefix, sizeof(prefix), "box name=%s ", r->names[i]);
		r->seen[i] = proc_count(text, prefix);
	}
	free(text);
	return 0;
}

/*
 * Only the mailboxes the reader may read are listed: one readable by
 * others, one by the reader's group, one by its owner (root) only.
 */
TEST(proc_file_lists_only_what_the_reader_may_read)
{
	static const __u32 modes[3] = { 0604, 0640, 0600 };
	struct reader *r;
	struct mbx_set_args set;
	int fds[3], i;
	pid_t pid;

	if (geteuid() != 0)
		SKIP(return, "needs root to switch to an unprivileged reader");
	r = shm_alloc(sizeof(*r));
	ASSERT_NE(NULL, r);
	for (i = 0; i < 3; i++) {
		struct mbx_create_args a;
		int dev = mbx_dev_open();

		ASSERT_LE(0, dev);
		mbx_unique_name(r->names[i], "vis");
		memset(&a, 0, sizeof(a));
		a.size = sizeof(a);
		a.flags = MBX_CREATE_CLOEXEC;
		mbx_set_name(a.name, r->names[i]);
		a.nslots = 1;
		a.slot_size = SLOT_SIZE;
		a.mode = modes[i];
		fds[i] = mbx_ioctl(dev, MBX_IOC_BOX_CREATE, &a);
		close(dev);
		ASSERT_LE(0, fds[i]);
	}
	/* The group class decides when it matches, as for SysV IPC. */
	memset(&set, 0, sizeof(set));
	set.size = sizeof(set);
	set.flags = MBX_SET_GID;
	set.gid = READER_GID;
	ASSERT_EQ(0, mbx_ioctl(fds[1], MBX_IOC_BOX_SET, &set));
	pid = spawn(reader_child, r);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, reap(pid));
	EXPECT_EQ(1, r->seen[0]);	/* others may read */
	EXPECT_EQ(1, r->seen[1]);	/* its group may read */
	EXPECT_EQ(0, r->seen[2]);	/* root's alone */
	for (i = 0; i < 3; i++) {
		close(fds[i]);
		EXPECT_EQ(0, box_destroy(r->names[i]));
	}
	munmap(r, sizeof(*r));
}

/* ------------------------------------------------------------------ */
/* Counters against a known sequence                                    */

static void stats_fill(struct mbx_stats_args *e, __u64 sub, __u64 tak,
		       __u64 comp, __u64 canc, __u64 redel, __u64 died,
		       __u64 recl, __u32 fr, __u32 own, __u32 pend,
		       __u32 taken_now, __u32 repl, __u32 sess)
{
	memset(e, 0, sizeof(*e));
	e->out_submitted = sub;
	e->out_taken = tak;
	e->out_completed = comp;
	e->out_cancelled = canc;
	e->out_redelivered = redel;
	e->out_owner_died = died;
	e->out_reclaimed = recl;
	e->out_free = fr;
	e->out_owned = own;
	e->out_pending = pend;
	e->out_taken_now = taken_now;
	e->out_replied = repl;
	e->out_sessions = sess;
}

#define EXPECT_STATS(fd, ...) do {					\
	struct mbx_stats_args _e, _s;					\
									\
	stats_fill(&_e, __VA_ARGS__);					\
	ASSERT_EQ(0, box_stats(fd, &_s));				\
	EXPECT_EQ(_e.out_submitted, _s.out_submitted);			\
	EXPECT_EQ(_e.out_taken, _s.out_taken);				\
	EXPECT_EQ(_e.out_completed, _s.out_completed);			\
	EXPECT_EQ(_e.out_cancelled, _s.out_cancelled);			\
	EXPECT_EQ(_e.out_redelivered, _s.out_redelivered);		\
	EXPECT_EQ(_e.out_owner_died, _s.out_owner_died);		\
	EXPECT_EQ(_e.out_reclaimed, _s.out_reclaimed);			\
	EXPECT_EQ(_e.out_free, _s.out_free);				\
	EXPECT_EQ(_e.out_owned, _s.out_owned);				\
	EXPECT_EQ(_e.out_pending, _s.out_pending);			\
	EXPECT_EQ(_e.out_taken_now, _s.out_taken_now);			\
	EXPECT_EQ(_e.out_replied, _s.out_replied);			\
	EXPECT_EQ(_e.out_sessions, _s.out_sessions);			\
} while (0)

#define WAIT_MS	50

/*
 * One process with several sessions runs a known sequence: calls
 * answered, answered with an error, cancelled pending, cancelled taken,
 * redelivered after its callee's session ended, answered for a caller
 * that left and reclaimed. The counters follow it step by step.
 */
TEST(box_stats_follow_a_known_sequence)
{
	char name[MBX_NAME_MAX];
	struct tbox caller, gone;
	int mon, callee1, callee2, fd, i;
	struct mbx_stats_args st;
	struct mbx_call c;
	__u32 slot[8];
	__u64 id[8], t_sub1, t_take6;

	mbx_unique_name(name, "seq");
	fd = box_create(name, NSLOTS, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, tbox_attach(&caller, fd));
	mon = box_open(name, MBX_ACCESS_READ);
	ASSERT_LE(0, mon);
	callee1 = box_open(name, MBX_ACCESS_READ | MBX_ACCESS_WRITE);
	ASSERT_LE(0, callee1);
	callee2 = box_open(name, MBX_ACCESS_READ | MBX_ACCESS_WRITE);
	ASSERT_LE(0, callee2);
	EXPECT_STATS(mon, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 4);

	/* Six calls. */
	for (i = 0; i < 6; i++) {
		int s = acquire_any(caller.fd, MBX_WAIT_NONBLOCK, NULL);

		ASSERT_LE(0, s);
		slot[i] = s;
		if (i == 0)
			t_sub1 = mbx_now_ns();
		ASSERT_EQ(0, call_submit(caller.fd, s, CALL_LEN, 0, i, &id[i]));
	}
	EXPECT_STATS(mon, 6, 0, 0, 0, 0, 0, 0, 2, 0, 6, 0, 0, 4);

	/* Four taken, two answered (one with an error). */
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, call_take(callee1, MBX_WAIT_NONBLOCK, &c));
		ASSERT_EQ(id[i], c.call_id);
	}
	ASSERT_EQ(0, call_complete(callee1, slot[0], id[0], 0, 8));
	ASSERT_EQ(0, call_complete(callee1, slot[1], id[1], -EIO, 0));
	EXPECT_STATS(mon, 6, 4, 2, 0, 0, 0, 0, 2, 0, 2, 2, 2, 4);

	/* One cancelled pending, one cancelled taken. */
	ASSERT_EQ(0, call_cancel(caller.fd, slot[4], id[4], NULL));
	ASSERT_EQ(0, call_cancel(caller.fd, slot[2], id[2], NULL));
	EXPECT_STATS(mon, 6, 4, 2, 1, 0, 0, 0, 2, 0, 1, 2, 3, 4);
	EXPECT_EQ(-ECANCELED, call_complete(callee1, slot[2], id[2], 0, 0));
	EXPECT_STATS(mon, 6, 4, 2, 2, 0, 0, 0, 2, 0, 1, 1, 4, 4);

	/* The first callee leaves holding the fourth: redelivered. */
	close(callee1);
	EXPECT_STATS(mon, 6, 4, 2, 2, 1, 1, 0, 2, 0, 2, 0, 4, 3);

	/* The second callee answers it and the sixth, after a wait. */
	usleep(WAIT_MS * 1000);
	ASSERT_EQ(0, call_take(callee2, MBX_WAIT_NONBLOCK, &c));
	ASSERT_EQ(id[3], c.call_id);
	EXPECT_EQ(2, c.delivery);
	ASSERT_EQ(0, call_take(callee2, MBX_WAIT_NONBLOCK, &c));
	t_take6 = mbx_now_ns();
	ASSERT_EQ(id[5], c.call_id);
	ASSERT_EQ(0, call_complete(callee2, slot[3], id[3], 0, 0));
	ASSERT_EQ(0, call_complete(callee2, slot[5], id[5], 0, 0));
	EXPECT_STATS(mon, 6, 6, 4, 2, 1, 1, 0, 2, 0, 0, 0, 6, 3);
	ASSERT_EQ(0, box_stats(mon, &st));
	EXPECT_LE((__u64)WAIT_MS * 1000000, st.out_max_wait_ns);
	EXPECT_GE(t_take6 - t_sub1, st.out_max_wait_ns);
	EXPECT_EQ(0, st.out_oldest_pending_ns);

	/* A caller that leaves after its call is answered: reclaimed. */
	ASSERT_EQ(0, tbox_open(&gone, name));
	i = acquire_any(gone.fd, MBX_WAIT_NONBLOCK, NULL);
	ASSERT_LE(0, i);
	slot[6] = i;
	ASSERT_EQ(0, call_submit(gone.fd, slot[6], 0, 0, 6, &id[6]));
	ASSERT_EQ(0, call_take(callee2, MBX_WAIT_NONBLOCK, &c));
	ASSERT_EQ(0, call_complete(callee2, slot[6], id[6], 0, 0));
	tbox_close(&gone);
	EXPECT_STATS(mon, 7, 7, 5, 2, 1, 1, 0, 1, 0, 0, 0, 7, 3);
	EXPECT_EQ(1, box_reclaim(caller.fd, 0));
	EXPECT_STATS(mon, 7, 7, 5, 2, 1, 1, 1, 2, 0, 0, 0, 6, 3);

	/* The caller collects its six: all free, counters unchanged. */
	for (i = 0; i < 6; i++) {
		ASSERT_EQ(0, call_collect(caller.fd, MBX_WAIT_NONBLOCK, 0, 0,
					  &c));
		ASSERT_EQ(0, slot_release(caller.fd, c.slot));
	}
	EXPECT_STATS(mon, 7, 7, 5, 2, 1, 1, 1, 8, 0, 0, 0, 0, 3);
	close(callee2);
	close(mon);
	tbox_close(&caller);
	box_destroy(name);
}

/* ------------------------------------------------------------------ */
/* A stuck callee told apart from a slow one                            */

#define STUCK_MS	1000	/* held longer than this: stuck */
#define SLOW_MS		20	/* what the slow callee takes per call */

/* Answers every call, SLOW_MS after taking it. */
static int slow_callee(void *arg)
{
	struct mbx_party *p = arg;
	struct mbx_call c;
	struct tbox b;

	if (tbox_open(&b, p->name))
		return 10;
	for (;;) {
		if (call_take(b.fd, 0, &c))
			return 11;
		usleep(SLOW_MS * 1000);
		if (call_complete(b.fd, c.slot, c.call_id, 0, 0))
			return 12;
		bump(&p->answered);
	}
}

/* The longest a callee holds a call, from one look at the slots. */
static int held_by(int fd, pid_t pid, __u64 *held, __u64 *id)
{
	struct mbx_slot_info si;
	__u64 now;
	__u32 i;

	*held = 0;
	for (i = 0; i < NSLOTS; i++) {
		if (slot_get(fd, i, &si))
			return -1;
		now = mbx_now_ns();
		if (si.state != MBX_STATE_TAKEN || si.callee_pid != (__u32)pid)
			continue;
		if (now - si.take_ns > *held) {
			*held = now - si.take_ns;
			if (id)
				*id = si.call_id;
		}
	}
	return 0;
}

/*
 * Two callees, one stuck on a call, one slow but answering. Looking at
 * the slots over a while, a monitor sees the stuck one hold the same call
 * past the threshold, while every call of the slow one is held briefly;
 * /proc/driver/mailbox's held_ns says the same. Restarting the stuck one
 * redelivers its call, which the slow one then answers.
 */
TEST(stuck_callee_is_told_from_a_slow_one)
{
	__u64 xid, held, held_id = 0, slow_max = 0, t_start, take_x = 0;
	char prefix[160], *text, *line;
	struct mbx_slot_info si;
	struct tbox caller;
	struct mbx_party *p;
	struct mbx_call c;
	int fd, mon, xslot, outstanding = 0, i;
	pid_t stuck, slow;

	p = shm_alloc(sizeof(*p));
	ASSERT_NE(NULL, p);
	mbx_unique_name(p->name, "stk");
	fd = box_create(p->name, NSLOTS, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, tbox_attach(&caller, fd));
	mon = box_open(p->name, MBX_ACCESS_READ);
	ASSERT_LE(0, mon);

	xslot = acquire_any(caller.fd, MBX_WAIT_NONBLOCK, NULL);
	ASSERT_LE(0, xslot);
	ASSERT_EQ(0, call_submit(caller.fd, xslot, 0, 0, 0, &xid));
	stuck = spawn(stuck_callee, p);
	ASSERT_LT(0, stuck);
	ASSERT_EQ(0, wait_ge(&p->reached, 1));
	slow = spawn(slow_callee, p);
	ASSERT_LT(0, slow);

	/* Keep the slow one busy; watch both for twice the threshold. */
	t_start = mbx_now_ns();
	while (mbx_now_ns() - t_start < 2ULL * STUCK_MS * 1000000) {
		int s;

		while (outstanding < 3 &&
		       (s = acquire_any(caller.fd, MBX_WAIT_NONBLOCK, NULL)) >= 0) {
			__u64 id;

			ASSERT_EQ(0, call_submit(caller.fd, s, 0, 0, 1, &id));
			outstanding++;
		}
		while (!call_collect(caller.fd, MBX_WAIT_NONBLOCK, 0, 0, &c)) {
			ASSERT_NE(xid, c.call_id);
			ASSERT_EQ(0, slot_release(caller.fd, c.slot));
			outstanding--;
		}
		ASSERT_EQ(0, held_by(mon, slow, &held, NULL));
		if (held > slow_max)
			slow_max = held;
		ASSERT_EQ(0, held_by(mon, stuck, &held, &held_id));
		ASSERT_EQ(xid, held_id);
		usleep(10000);
	}
	ASSERT_EQ(0, slot_get(mon, xslot, &si));
	EXPECT_EQ(MBX_STATE_TAKEN, si.state);
	take_x = si.take_ns;

	TH_LOG("stuck: held %llu ms; slow: %u calls answered, held at most %llu ms",
	       (unsigned long long)held / 1000000, atomic_load(&p->answered),
	       (unsigned long long)slow_max / 1000000);
	EXPECT_LE((__u64)STUCK_MS * 1000000, held);
	EXPECT_GT((__u64)STUCK_MS * 1000000, slow_max);
	EXPECT_LE(10, atomic_load(&p->answered));

	/* The text file tells the same story. */
	text = proc_read();
	ASSERT_NE(NULL, text);
	snprintf(prefix, sizeof(prefix), "slot box=%s slot=%d ", p->name, xslot);
	line = proc_line(text, prefix);
	ASSERT_NE(NULL, line);
	EXPECT_EQ(stuck, kv_num(line, "callee"));
	EXPECT_LE((long long)STUCK_MS * 1000000, kv_num(line, "held_ns"));
	free(line);
	for (i = 0; i < NSLOTS; i++) {
		snprintf(prefix, sizeof(prefix), "slot box=%s slot=%d ",
			 p->name, i);
		line = proc_line(text, prefix);
		if (line && kv_num(line, "callee") == slow)
			EXPECT_GT((long long)STUCK_MS * 1000000,
				  kv_num(line, "held_ns"));
		free(line);
	}
	free(text);

	/* The monitor restarts the stuck callee: its call is redelivered. */
	EXPECT_EQ(128 + SIGKILL, kill_reap(stuck));
	for (;;) {
		ASSERT_EQ(0, call_collect(caller.fd, 0, 0, 0, &c));
		ASSERT_EQ(0, slot_release(caller.fd, c.slot));
		if (c.call_id == xid)
			break;
	}
	EXPECT_EQ(0, c.status);
	EXPECT_EQ(2, c.delivery);
	EXPECT_EQ(MBX_CALL_REDELIVERED, c.flags);
	EXPECT_NE(0, take_x);
	EXPECT_EQ(128 + SIGKILL, kill_reap(slow));
	close(mon);
	tbox_close(&caller);
	box_destroy(p->name);
	munmap(p, sizeof(*p));
}

TEST_HARNESS_MAIN
