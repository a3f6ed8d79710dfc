// SPDX-License-Identifier: GPL-2.0
/*
 * State fuzz: random sequences of valid operations on live handles, each
 * checked against a model of every slot, call and session.
 *
 * Two mailboxes (6 slots and 2 slots) and up to MAXSESS sessions on each.
 * A session is either an fd of this process or a child process that opened
 * its own session and runs the ioctls it is sent over a pipe; killing the
 * child ends its session the way a crash does.  Each op picks a session
 * and an operation on something it holds or may touch (acquire any or one
 * slot, revoke a pending call, release, submit, submit and collect, take,
 * take and complete, complete, collect any or by id, cancel, read events,
 * reclaim, close, kill a child, open a new session), mostly with valid
 * arguments and sometimes with one of them slightly wrong (a stale or
 * neighbouring call id, the wrong slot, the wrong session, a length one
 * past the slot, a bad status, flag or reserved field, a short, huge or
 * dirty-tailed size, a NULL argument).  Waits never block: MBX_WAIT_NONBLOCK,
 * a timeout already passed, or no wait flag only where the model says the
 * operation can be done at once (an alarm turns a wrong model into EINTR
 * instead of a hang).
 *
 * The model predicts the errno of every call from the documented rules
 * (Documentation/userspace-api/mbx.rst, "Slot states" and the ioctl
 * reference) and, on success, every output: the call id of a new call
 * (ids count up from 1 in each mailbox), which call a take gets (the oldest
 * pending one: FIFO, a redelivered call in its original place), the
 * state, flags, delivery count and status a collector sees, the events a
 * session reads.  A collect without MBX_COLLECT_CALL may return any reply
 * of the session; the model checks that it is one and that it is the
 * oldest (replies are collected in the order they were answered).  After
 * every op BOX_STATS (every counter and the census of states, the
 * number of sessions) and SLOT_INFO (every field of every slot but the
 * times, the pids of owner, caller and callee included) must equal the
 * model.  At the end every session is closed, every call left is
 * cancelled and every orphaned reply reclaimed: every slot must be FREE,
 * and every call submitted must have been answered exactly once
 * (completed or cancelled), which the model and the kernel's counters
 * both count.
 *
 * MBX_FUZZ_OPS (20000) ops; MBX_FUZZ_KEY replays a run exactly (only
 * this process and its children touch the two mailboxes, every wait is
 * decided at once).  The counts of each successful transition and of each
 * rejected call are printed at the end.
 *
 * Where the kernel has kcov and the module was built for it (the debug
 * kernel, vm.sh MBX_VM_KCOV=1, as make fuzz does), the ops are guided by
 * the module's own coverage: the PCs each op of this process reaches are
 * traced, and the kinds of operation that reached new ones are drawn more
 * often for a while.  The number of module PCs reached is printed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/kcov.h>
#include <linux/mbx.h>

#include "kselftest_harness.h"

#define MBX_DEV		"/dev/mailbox"
#define NBOX		2
#define MAXSLOTS	6
#define MAXSESS		6	/* sessions per mailbox, the probe left out */
#define SLOT_SIZE	128
#define EVMAX		64	/* MBX_EVENTS_MAX */
#define ARGMAX		4200	/* an argument struct, and more */
#define NOSESS		(-1)
#define PAGE		4096

static const unsigned int box_slots[NBOX] = { 6, 2 };

/* ------------------------------------------------------------------ */
/* Random numbers: xorshift64*, replayable from the key.               */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static unsigned int below(unsigned int n)
{
	return n ? (unsigned int)(rnd() % n) : 0;
}

static int chance(unsigned int percent)
{
	return below(100) < percent;
}

/* ------------------------------------------------------------------ */
/* The model.                                                           */

struct mslot {
	uint32_t state;
	int owner, caller, callee;	/* session index or NOSESS */
	uint64_t call_id;
	uint64_t user_data;
	uint64_t seq;			/* submission order */
	uint64_t rseq;			/* answer order, for collect */
	uint32_t flags, opcode, len, reply_len, delivery;
	int32_t status;
	int owner_died;
};

struct msess {
	int live;
	int fd;				/* local session; -1 for a child */
	pid_t child;			/* the child's pid (its session) */
	int to, from;			/* pipes to and from the child */
	uint32_t access;
	pid_t pid;			/* the opener, as SLOT_INFO shows it */
	struct mbx_event ev[EVMAX];
	unsigned int ev_head, ev_count;
	int ev_overflow;
};

struct mstats {
	uint64_t submitted, taken, completed, cancelled, redelivered;
	uint64_t owner_died, reclaimed;
};

struct mbox {
	char name[MBX_NAME_MAX];
	unsigned int nslots;
	int probe;			/* a local session for the checks */
	struct mslot s[MAXSLOTS];
	struct msess ss[MAXSESS];
	uint64_t next_id, next_seq, next_rseq;
	struct mstats st;
	unsigned int nsessions;		/* the probe included */
	uint64_t answered;		/* calls answered, every way */
};

static struct mbox boxes[NBOX];
static int ctl = -1;
static uint64_t op;
static uint64_t key;

/* The transitions, counted as they succeed. */
enum {
	T_ACQ_ANY, T_ACQ_SLOT, T_OWNER_DIED_SEEN, T_REVOKE, T_RELEASE_OWNED,
	T_RELEASE_EDIT, T_SUBMIT_NEW, T_SUBMIT_EDIT, T_SUBMIT_COLLECT, T_TAKE,
	T_TAKE_REDELIVERED, T_TAKE_COMPLETE, T_COMPLETE, T_COMPLETE_CANCELLED,
	T_COLLECT_ANY, T_COLLECT_CALL, T_ADOPT, T_CANCEL_PENDING,
	T_CANCEL_EDIT, T_CANCEL_TAKEN, T_RECLAIM, T_EVENT, T_OVERFLOW,
	T_CLOSE, T_KILL, T_OPEN, T_OPEN_CHILD, T_REDELIVER, T_DEAD_AMO,
	T_DEAD_CANCELLED, T_DEAD_OWNED, T_DEAD_EDIT, T_CALLER_GONE,
	T_INTR, T_NKINDS
};

static const char *const tname[T_NKINDS] = {
	"acquire_any", "acquire_slot", "acquire_owner_died", "revoke",
	"release_owned", "release_edit", "submit_new", "submit_edit",
	"submit_collect", "take", "take_redelivered", "take_complete",
	"complete", "complete_cancelled", "collect_any", "collect_call",
	"adopt", "cancel_pending", "cancel_edit", "cancel_taken",
	"reclaim", "event", "event_overflow", "close", "kill", "open",
	"open_child", "callee_died_redeliver", "callee_died_at_most_once",
	"callee_died_cancelled", "owner_died_owned", "owner_died_edit",
	"caller_gone", "wait_interrupted",
};

static uint64_t tcount[T_NKINDS];

/* Rejected calls, per errno, and those with an argument made wrong. */
#define NERRNO	140
static uint64_t ecount[NERRNO];
static uint64_t ops_ok, ops_rej, ops_corrupt;

/* The last ops, for the report of a failure. */
#define NHIST	24
static char hist[NHIST][200];

static void note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(hist[op % NHIST], sizeof(hist[0]), fmt, ap);
	va_end(ap);
}

static void die(const char *fmt, ...)
{
	va_list ap;
	uint64_t i;

	fprintf(stderr, "# statefuzz: FAILED at op %llu (MBX_FUZZ_KEY=%llu):\n#   ",
		(unsigned long long)op, (unsigned long long)key);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n# the last ops:\n");
	for (i = op >= NHIST ? op - NHIST + 1 : 0; i <= op; i++)
		fprintf(stderr, "#   %llu: %s\n", (unsigned long long)i,
			hist[i % NHIST]);
	fflush(stderr);
	for (i = 0; i < NBOX; i++) {
		int j;

		for (j = 0; j < MAXSESS; j++)
			if (boxes[i].ss[j].live && boxes[i].ss[j].child > 0)
				kill(boxes[i].ss[j].child, SIGKILL);
	}
	exit(1);
}

static const char *sname(uint32_t st)
{
	static const char *const n[] = { "FREE", "OWNED", "PENDING", "EDIT",
					 "TAKEN", "REPLIED" };

	return st <= MBX_STATE_REPLIED ? n[st] : "?";
}

/* ------------------------------------------------------------------ */
/* Running an ioctl on a session: here, or in the child holding it.     */

struct req {
	unsigned long cmd;
	uint32_t len;
	uint32_t nullarg;
};

struct resp {
	int32_t ret;
	int32_t err;
};

/* The buffer of EVENTS_READ: at the same address in every child. */
static unsigned char evbuf[(EVMAX + 2) * 64];

static int read_all(int fd, void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

/* A child: open a session, then run what the parent sends until EOF. */
static void child_main(const char *name, uint32_t access, int in, int out)
{
	static unsigned char buf[ARGMAX];
	struct mbx_open_args o = { .size = sizeof(o), .access = access };
	struct resp r;
	struct req q;
	int dev, fd, i;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* The parent's sessions must end when the parent closes them. */
	for (i = 3; i < 1024; i++)
		if (i != in && i != out)
			close(i);
	dev = open(MBX_DEV, O_RDWR | O_CLOEXEC);
	memcpy(o.name, name, strlen(name));
	fd = dev < 0 ? -1 : ioctl(dev, MBX_IOC_BOX_OPEN, &o);
	r.ret = fd;
	r.err = fd < 0 ? errno : 0;
	if (dev >= 0)
		close(dev);
	if (write_all(out, &r, sizeof(r)) || fd < 0)
		_exit(1);
	for (;;) {
		if (read_all(in, &q, sizeof(q)) || q.len > sizeof(buf) ||
		    read_all(in, buf, q.len))
			_exit(0);
		alarm(10);
		r.ret = ioctl(fd, q.cmd, q.nullarg ? NULL : buf);
		r.err = r.ret < 0 ? errno : 0;
		alarm(0);
		if (write_all(out, &r, sizeof(r)) || write_all(out, buf, q.len))
			_exit(1);
		if (q.cmd == MBX_IOC_EVENTS_READ &&
		    write_all(out, evbuf, sizeof(evbuf)))
			_exit(1);
	}
}

static void on_alarm(int sig)
{
	(void)sig;
}

/*
 * Run @cmd on session @si of @b with the @len bytes at @arg (NULL: a NULL
 * argument); returns 0 or the errno.  A wait that the model thinks cannot
 * block is cut by an alarm after 10 s: EINTR, which no prediction expects.
 */
static int xioctl(struct mbox *b, int si, unsigned long cmd, void *arg,
		  size_t len)
{
	struct msess *ss = &b->ss[si];
	struct req q = { .cmd = cmd, .len = len, .nullarg = !arg };
	struct resp r;
	int ret;

	if (ss->fd >= 0) {
		alarm(10);
		ret = ioctl(ss->fd, cmd, arg);
		ret = ret < 0 ? errno : 0;
		alarm(0);
		return ret;
	}
	if (!arg)
		q.len = 0;
	if (write_all(ss->to, &q, sizeof(q)) || write_all(ss->to, arg, q.len))
		die("session %d: its child %d is gone", si, ss->child);
	if (read_all(ss->from, &r, sizeof(r)) || read_all(ss->from, arg, q.len) ||
	    (cmd == MBX_IOC_EVENTS_READ &&
	     read_all(ss->from, evbuf, sizeof(evbuf))))
		die("session %d: no answer from its child %d", si, ss->child);
	return r.ret < 0 ? r.err : 0;
}

/* ------------------------------------------------------------------ */
/* Model transitions, as slot.c and session.c make them.               */

static void push_event(struct mbox *b, int si, uint32_t type, unsigned int slot,
		       int32_t status)
{
	struct msess *ss;
	struct mbx_event *ev;

	if (si == NOSESS)
		return;
	ss = &b->ss[si];
	if (ss->ev_count == EVMAX) {
		ss->ev_overflow = 1;
		return;
	}
	ev = &ss->ev[(ss->ev_head + ss->ev_count) % EVMAX];
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->slot = slot;
	ev->call_id = b->s[slot].call_id;
	ev->status = status;
	ss->ev_count++;
}

static void m_free(struct mslot *s)
{
	s->state = MBX_STATE_FREE;
	s->owner = s->caller = s->callee = NOSESS;
}

static void m_finish(struct mbox *b, struct mslot *s, int32_t status,
		     uint32_t reply_len)
{
	s->state = MBX_STATE_REPLIED;
	s->status = status;
	s->reply_len = reply_len;
	s->owner = s->callee = NOSESS;
	s->rseq = b->next_rseq++;
	if (status == -ECANCELED)
		b->st.cancelled++;
	else
		b->st.completed++;
	b->answered++;
}

static void m_requeue(struct mbox *b, struct mslot *s, int redeliver)
{
	s->state = MBX_STATE_PENDING;
	s->owner = s->callee = NOSESS;
	if (redeliver) {
		s->flags |= MBX_CALL_REDELIVERED;
		b->st.redelivered++;
	}
}

/* Session @si ends: what mbx_box_fd_release() gives back, slot by slot. */
static void m_release(struct mbox *b, int si)
{
	unsigned int i;

	for (i = 0; i < b->nslots; i++) {
		struct mslot *s = &b->s[i];

		if (s->callee == si) {
			int32_t status = 0;
			int caller = s->caller;

			b->st.owner_died++;
			if (s->flags & MBX_CALL_CANCEL_REQ)
				status = -ECANCELED;
			else if (s->flags & MBX_CALL_AT_MOST_ONCE)
				status = -EOWNERDEAD;
			if (status) {
				m_finish(b, s, status, 0);
				tcount[status == -ECANCELED ? T_DEAD_CANCELLED :
				       T_DEAD_AMO]++;
			} else {
				m_requeue(b, s, 1);
				tcount[T_REDELIVER]++;
			}
			push_event(b, caller, MBX_EVENT_CALLEE_DIED, i, status);
		}
		if (s->owner == si) {
			b->st.owner_died++;
			if (s->state == MBX_STATE_EDIT) {
				m_finish(b, s, -EOWNERDEAD, 0);
				tcount[T_DEAD_EDIT]++;
			} else {
				s->owner_died = 1;
				m_free(s);
				tcount[T_DEAD_OWNED]++;
			}
		}
		if (s->caller == si) {
			s->caller = NOSESS;
			s->flags |= MBX_CALL_CALLER_GONE;
			tcount[T_CALLER_GONE]++;
			if (s->state == MBX_STATE_TAKEN)
				push_event(b, s->callee, MBX_EVENT_CALLER_GONE,
					   i, 0);
		}
	}
	b->ss[si].live = 0;
	b->nsessions--;
}

/* ------------------------------------------------------------------ */
/* Checks of the whole mailbox against the model.                       */

static pid_t sess_pid(struct mbox *b, int si)
{
	return si == NOSESS ? 0 : b->ss[si].pid;
}

static void check_box(struct mbox *b)
{
	struct mbx_slot_info info[MAXSLOTS];
	struct mbx_stats_args st;
	struct mbx_slots_args sa;
	uint32_t census[MBX_STATE_REPLIED + 1] = { 0 };
	unsigned int i;

	memset(&st, 0xcc, sizeof(st));
	st.size = sizeof(st);
	st.flags = 0;
	if (ioctl(b->probe, MBX_IOC_BOX_STATS, &st))
		die("%s: BOX_STATS: %s", b->name, strerror(errno));
	memset(info, 0xcc, sizeof(info));
	memset(&sa, 0, sizeof(sa));
	sa.size = sizeof(sa);
	sa.info = (uintptr_t)info;
	sa.count = MAXSLOTS;
	sa.info_size = sizeof(info[0]);
	if (ioctl(b->probe, MBX_IOC_SLOT_INFO, &sa))
		die("%s: SLOT_INFO: %s", b->name, strerror(errno));
	if (sa.out_count != b->nslots)
		die("%s: SLOT_INFO gave %u slots, not %u", b->name,
		    sa.out_count, b->nslots);
	for (i = 0; i < b->nslots; i++) {
		const struct mslot *s = &b->s[i];
		const struct mbx_slot_info *k = &info[i];

		census[s->state]++;
#define SAME(field, want) \
		if ((uint64_t)k->field != (uint64_t)(want)) \
			die("%s slot %u (%s in the model): " #field " is %lld, the model says %lld", \
			    b->name, i, sname(s->state), (long long)k->field, \
			    (long long)(want))
		SAME(slot, i);
		SAME(state, s->state);
		SAME(call_id, s->call_id);
		SAME(user_data, s->user_data);
		SAME(opcode, s->opcode);
		SAME(len, s->len);
		SAME(reply_len, s->reply_len);
		SAME(status, s->status);
		SAME(flags, s->flags);
		SAME(delivery, s->delivery);
		SAME(owner_pid, sess_pid(b, s->owner));
		SAME(caller_pid, sess_pid(b, s->caller));
		SAME(callee_pid, sess_pid(b, s->callee));
#undef SAME
	}
#define SAME(field, want) \
	if ((uint64_t)st.field != (uint64_t)(want)) \
		die("%s: BOX_STATS " #field " is %llu, the model says %llu", \
		    b->name, (unsigned long long)st.field, \
		    (unsigned long long)(want))
	SAME(out_submitted, b->st.submitted);
	SAME(out_taken, b->st.taken);
	SAME(out_completed, b->st.completed);
	SAME(out_cancelled, b->st.cancelled);
	SAME(out_redelivered, b->st.redelivered);
	SAME(out_owner_died, b->st.owner_died);
	SAME(out_reclaimed, b->st.reclaimed);
	SAME(out_free, census[MBX_STATE_FREE]);
	SAME(out_owned, census[MBX_STATE_OWNED] + census[MBX_STATE_EDIT]);
	SAME(out_pending, census[MBX_STATE_PENDING]);
	SAME(out_taken_now, census[MBX_STATE_TAKEN]);
	SAME(out_replied, census[MBX_STATE_REPLIED]);
	SAME(out_sessions, b->nsessions);
	/* Every slot is in exactly one state. */
	SAME(out_free + st.out_owned + st.out_pending + st.out_taken_now +
	     st.out_replied, b->nslots);
	/* Every call submitted is answered once or still on its way. */
	SAME(out_completed + st.out_cancelled,
	     b->st.submitted - census[MBX_STATE_PENDING] -
	     census[MBX_STATE_EDIT] - census[MBX_STATE_TAKEN]);
#undef SAME
}

/* ------------------------------------------------------------------ */
/* Sessions.                                                            */

static int live_count(struct mbox *b)
{
	int i, n = 0;

	for (i = 0; i < MAXSESS; i++)
		n += b->ss[i].live;
	return n;
}

static int open_local(const char *name, uint32_t access)
{
	struct mbx_open_args o = { .size = sizeof(o), .access = access,
				   .flags = MBX_OPEN_CLOEXEC };

	memcpy(o.name, name, strlen(name));
	return ioctl(ctl, MBX_IOC_BOX_OPEN, &o);
}

static void open_session(struct mbox *b)
{
	int si, p1[2], p2[2];
	struct msess *ss;
	struct resp r;
	pid_t pid;

	for (si = 0; si < MAXSESS && b->ss[si].live; si++)
		;
	if (si == MAXSESS)
		return;
	ss = &b->ss[si];
	memset(ss, 0, sizeof(*ss));
	ss->access = MBX_ACCESS_READ | (chance(90) ? MBX_ACCESS_WRITE : 0);
	ss->fd = -1;
	if (chance(60)) {
		note("%s: open session %d here, access %u", b->name, si,
		     ss->access);
		ss->fd = open_local(b->name, ss->access);
		if (ss->fd < 0)
			die("%s: BOX_OPEN: %s", b->name, strerror(errno));
		ss->pid = getpid();
		tcount[T_OPEN]++;
	} else {
		if (pipe2(p1, O_CLOEXEC) || pipe2(p2, O_CLOEXEC))
			die("pipe: %s", strerror(errno));
		fflush(NULL);
		pid = fork();
		if (pid < 0)
			die("fork: %s", strerror(errno));
		if (!pid) {
			close(p1[1]);
			close(p2[0]);
			child_main(b->name, ss->access, p1[0], p2[1]);
			_exit(0);
		}
		close(p1[0]);
		close(p2[1]);
		ss->to = p1[1];
		ss->from = p2[0];
		ss->child = pid;
		ss->pid = pid;
		note("%s: open session %d in child %d, access %u", b->name, si,
		     pid, ss->access);
		if (read_all(ss->from, &r, sizeof(r)) || r.ret < 0)
			die("%s: the child's BOX_OPEN failed: %s", b->name,
			    strerror(r.err));
		tcount[T_OPEN_CHILD]++;
	}
	ss->live = 1;
	b->nsessions++;
}

/* End session @si: close it here, or its child exits or is killed. */
static void end_session(struct mbox *b, int si, int kill_it)
{
	struct msess *ss = &b->ss[si];
	int status;

	if (ss->fd >= 0) {
		note("%s: close session %d", b->name, si);
		close(ss->fd);
		tcount[T_CLOSE]++;
	} else {
		note("%s: %s child %d (session %d)", b->name,
		     kill_it ? "kill" : "end", ss->child, si);
		if (kill_it)
			kill(ss->child, SIGKILL);
		close(ss->to);
		close(ss->from);
		/* Its files are closed before it can be waited for. */
		if (waitpid(ss->child, &status, 0) != ss->child)
			die("waitpid %d: %s", ss->child, strerror(errno));
		tcount[kill_it ? T_KILL : T_CLOSE]++;
	}
	m_release(b, si);
}

/* ------------------------------------------------------------------ */
/* Picking targets.                                                     */

static int pick_session(struct mbox *b)
{
	int si, n = 0, cand[MAXSESS];

	for (si = 0; si < MAXSESS; si++)
		if (b->ss[si].live)
			cand[n++] = si;
	return n ? cand[below(n)] : NOSESS;
}

/* A slot in state @mask (bits of states), or any slot. */
static unsigned int pick_slot(struct mbox *b, unsigned int mask)
{
	unsigned int i, n = 0, cand[MAXSLOTS];

	for (i = 0; i < b->nslots; i++)
		if (mask & (1U << b->s[i].state))
			cand[n++] = i;
	return n ? cand[below(n)] : below(b->nslots);
}

#define ST(x)	(1U << MBX_STATE_##x)

/* Mostly the session that @want names, sometimes another. */
static int pick_actor(struct mbox *b, int want)
{
	if (want != NOSESS && b->ss[want].live && chance(88))
		return want;
	return pick_session(b);
}

/* A call id a little wrong: stale, the next, 0. */
static uint64_t wrong_id(struct mbox *b, uint64_t id)
{
	switch (below(3)) {
	case 0:
		return id > 1 ? id - 1 - below(id - 1) : 0;
	case 1:
		return id + 1;
	default:
		return b->next_id + 1 + below(4);
	}
}

/* A timeout that has passed already. */
static uint64_t past_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec - 1000;
}

/*
 * Wait flags of a wait that must not block: NONBLOCK, or a timeout
 * already passed; or, when the operation can be done now, none at all.
 */
static uint32_t wait_flags(int can_do, __u64 *timeout)
{
	unsigned int r = below(10);

	*timeout = 0;
	if (can_do && r < 3)
		return 0;
	if (r < 7)
		return MBX_WAIT_NONBLOCK;
	*timeout = past_ns();
	return MBX_WAIT_TIMEOUT;
}

static int wait_errno(uint32_t flags)
{
	return (flags & MBX_WAIT_TIMEOUT) ? ETIMEDOUT : EAGAIN;
}

/* ------------------------------------------------------------------ */
/* Arguments made wrong in a way the dispatcher rejects before anything. */

struct opdesc {
	unsigned long cmd;
	size_t size;
	size_t reserved_off;		/* 0: none */
	size_t timeout_off;		/* 0: may not block */
	uint32_t access;
};

static union {
	unsigned char raw[ARGMAX];
	struct mbx_acquire_args acq;
	struct mbx_release_args rel;
	struct mbx_submit_args sub;
	struct mbx_take_args take;
	struct mbx_complete_args cpl;
	struct mbx_collect_args col;
	struct mbx_cancel_args can;
	struct mbx_events_args evr;
	struct mbx_reclaim_args rec;
} A;

#define OPD(_cmd, _t, _rsv, _tmo, _acc) \
	{ _cmd, sizeof(struct _t), _rsv, _tmo, _acc }
#define RSV(_t)	offsetof(struct _t, __reserved)
#define TMO(_t)	offsetof(struct _t, timeout_ns)
#define RD	MBX_ACCESS_READ
#define WR	(MBX_ACCESS_READ | MBX_ACCESS_WRITE)

enum { D_ACQ, D_REL, D_SUB, D_TAKE, D_CPL, D_COL, D_CAN, D_EVR, D_REC };
static const struct opdesc opd[] = {
	[D_ACQ] = OPD(MBX_IOC_SLOT_ACQUIRE, mbx_acquire_args,
		      RSV(mbx_acquire_args), TMO(mbx_acquire_args), WR),
	[D_REL] = OPD(MBX_IOC_SLOT_RELEASE, mbx_release_args,
		      RSV(mbx_release_args), 0, WR),
	[D_SUB] = OPD(MBX_IOC_CALL_SUBMIT, mbx_submit_args, 0,
		      TMO(mbx_submit_args), WR),
	[D_TAKE] = OPD(MBX_IOC_CALL_TAKE, mbx_take_args, 0,
		       TMO(mbx_take_args), WR),
	[D_CPL] = OPD(MBX_IOC_CALL_COMPLETE, mbx_complete_args,
		      RSV(mbx_complete_args), 0, WR),
	[D_COL] = OPD(MBX_IOC_CALL_COLLECT, mbx_collect_args,
		      RSV(mbx_collect_args), TMO(mbx_collect_args), RD),
	[D_CAN] = OPD(MBX_IOC_CALL_CANCEL, mbx_cancel_args, 0, 0, WR),
	[D_EVR] = OPD(MBX_IOC_EVENTS_READ, mbx_events_args,
		      RSV(mbx_events_args), 0, RD),
	[D_REC] = OPD(MBX_IOC_BOX_RECLAIM, mbx_reclaim_args,
		      RSV(mbx_reclaim_args), 0, WR),
};

static const char *const cname[] = {
	"size short", "size above a page", "size with a dirty tail",
	"unknown flag", "reserved wait bit", "reserved field",
	"both wait flags", "timeout without MBX_WAIT_TIMEOUT", "NULL argument",
};

/*
 * Run the op of @d on @si: with probability, one corruption that the
 * dispatcher rejects (its errno checked here, nothing may change).
 * Returns the errno, or -1 when the call was corrupted and checked.
 */
static int run_op(struct mbox *b, int si, int d, const char *what)
{
	const struct opdesc *o = &opd[d];
	uint32_t *flags = (uint32_t *)(A.raw + 4);
	size_t len = o->size;
	int kind = -1, want = 0, got;
	void *arg = A.raw;

	*(uint32_t *)A.raw = o->size;
	if (chance(6)) {
		kind = below(9);
		switch (kind) {
		case 0:
			*(uint32_t *)A.raw = o->size - 8;
			want = EINVAL;
			break;
		case 1:
			*(uint32_t *)A.raw = PAGE + 8;
			want = E2BIG;
			break;
		case 2:
			*(uint32_t *)A.raw = o->size + 16;
			len = o->size + 16;
			A.raw[o->size + below(16)] = 1 + below(255);
			want = E2BIG;
			break;
		case 3:
			*flags |= 1U << (20 + below(12));
			want = EINVAL;
			break;
		case 4:
			*flags |= 1U << (2 + below(6));
			want = EINVAL;
			break;
		case 5:
			if (!o->reserved_off) {
				kind = -1;
				break;
			}
			*(uint32_t *)(A.raw + o->reserved_off) = 1 + below(7);
			want = EINVAL;
			break;
		case 6:
			if (!o->timeout_off) {
				kind = -1;
				break;
			}
			*flags |= MBX_WAIT_NONBLOCK | MBX_WAIT_TIMEOUT;
			want = EINVAL;
			break;
		case 7:
			if (!o->timeout_off || (*flags & MBX_WAIT_TIMEOUT)) {
				kind = -1;
				break;
			}
			*(uint64_t *)(A.raw + o->timeout_off) = 1 + below(1000);
			want = EINVAL;
			break;
		case 8:
			arg = NULL;
			want = EFAULT;
			break;
		}
	}
	if (kind < 0 && (b->ss[si].access & o->access) != o->access) {
		kind = 9;
		want = EBADF;
	}
	got = xioctl(b, si, o->cmd, arg, len);
	if (kind < 0)
		return got;
	note("%s (%s) on session %d: %s", what,
	     kind < 9 ? cname[kind] : "read-only session", si,
	     got ? strerror(got) : "success");
	if (got != want)
		die("%s with %s on session %d: got %s, want %s", what,
		    kind < 9 ? cname[kind] : "a read-only session", si,
		    got ? strerror(got) : "success", strerror(want));
	ops_corrupt++;
	if (want < NERRNO)
		ecount[want]++;
	return -1;
}

/* Compare the errno with the model's; count it. */
static void expect(const char *what, int si, int got, int want)
{
	note("%s on session %d: %s", what, si, got ? strerror(got) : "ok");
	if (got != want)
		die("%s on session %d: got %s, the model says %s", what, si,
		    got ? strerror(got) : "success",
		    want ? strerror(want) : "success");
	if (!got) {
		ops_ok++;
	} else {
		ops_rej++;
		if (got < NERRNO)
			ecount[got]++;
	}
}

static void check_call(const char *what, const struct mbx_call *c,
		       struct mbox *b, unsigned int slot, uint32_t len)
{
	const struct mslot *s = &b->s[slot];

	if (c->slot != slot || c->call_id != s->call_id ||
	    c->user_data != s->user_data || c->opcode != s->opcode ||
	    c->len != len || c->status != s->status || c->flags != s->flags ||
	    c->delivery != s->delivery)
		die("%s: the call returned is slot %u id %llu data %llu op %u len %u status %d flags 0x%x delivery %u; "
		    "the model: slot %u id %llu data %llu op %u len %u status %d flags 0x%x delivery %u",
		    what, c->slot, (unsigned long long)c->call_id,
		    (unsigned long long)c->user_data, c->opcode, c->len,
		    c->status, c->flags, c->delivery, slot,
		    (unsigned long long)s->call_id,
		    (unsigned long long)s->user_data, s->opcode, len,
		    s->status, s->flags, s->delivery);
}

/* ------------------------------------------------------------------ */
/* The operations.                                                      */

/* The oldest pending call: the one a take gets. */
static int oldest_pending(struct mbox *b)
{
	int best = -1;
	unsigned int i;

	for (i = 0; i < b->nslots; i++)
		if (b->s[i].state == MBX_STATE_PENDING &&
		    (best < 0 || b->s[i].seq < b->s[best].seq))
			best = i;
	return best;
}

/* The oldest reply waiting for @si. */
static int oldest_reply(struct mbox *b, int si)
{
	int best = -1;
	unsigned int i;

	for (i = 0; i < b->nslots; i++)
		if (b->s[i].state == MBX_STATE_REPLIED && b->s[i].caller == si &&
		    (best < 0 || b->s[i].rseq < b->s[best].rseq))
			best = i;
	return best;
}

static int free_count(struct mbox *b)
{
	unsigned int i, n = 0;

	for (i = 0; i < b->nslots; i++)
		n += b->s[i].state == MBX_STATE_FREE;
	return n;
}

static void m_own(struct mbox *b, int si, unsigned int slot,
		  uint32_t out_flags, const char *what)
{
	struct mslot *s = &b->s[slot];
	uint32_t want = s->owner_died ? MBX_ACQUIRED_OWNER_DIED : 0;

	if (s->state != MBX_STATE_FREE)
		die("%s: got slot %u, which the model has %s", what, slot,
		    sname(s->state));
	if (out_flags != want)
		die("%s: slot %u out_flags 0x%x, the model says 0x%x", what,
		    slot, out_flags, want);
	if (want)
		tcount[T_OWNER_DIED_SEEN]++;
	s->state = MBX_STATE_OWNED;
	s->owner = si;
	s->flags = 0;
	s->owner_died = 0;
}

static void op_acquire_any(struct mbox *b, int si)
{
	int nfree = free_count(b), want, got;

	memset(&A, 0, sizeof(A));
	A.acq.flags = MBX_ACQUIRE_ANY | wait_flags(nfree > 0, &A.acq.timeout_ns);
	if (chance(3))
		A.acq.slot = 1 + below(3);	/* must be 0 */
	got = run_op(b, si, D_ACQ, "acquire any");
	if (got < 0)
		return;
	want = A.acq.slot ? EINVAL : nfree ? 0 : wait_errno(A.acq.flags);
	expect("acquire any", si, got, want);
	if (got)
		return;
	m_own(b, si, A.acq.out_slot, A.acq.out_flags, "acquire any");
	tcount[T_ACQ_ANY]++;
}

static void op_acquire_slot(struct mbox *b, int si)
{
	unsigned int slot = pick_slot(b, chance(70) ? ST(FREE) : ~0U);
	struct mslot *s;
	int want, got;

	memset(&A, 0, sizeof(A));
	if (chance(4))
		slot = b->nslots + below(3);
	s = slot < b->nslots ? &b->s[slot] : NULL;
	A.acq.slot = slot;
	A.acq.flags = wait_flags(s && s->state == MBX_STATE_FREE,
				 &A.acq.timeout_ns);
	got = run_op(b, si, D_ACQ, "acquire slot");
	if (got < 0)
		return;
	if (!s)
		want = EINVAL;
	else if (s->state == MBX_STATE_FREE)
		want = 0;
	else if (s->owner == si)
		want = EDEADLK;
	else
		want = wait_errno(A.acq.flags);
	expect("acquire slot", si, got, want);
	if (got)
		return;
	if (A.acq.out_slot != slot)
		die("acquire slot %u: got slot %u", slot, A.acq.out_slot);
	m_own(b, si, slot, A.acq.out_flags, "acquire slot");
	tcount[T_ACQ_SLOT]++;
}

/* Revoke: acquire the pending call (slot, id) for editing. */
static void op_revoke(struct mbox *b, int si)
{
	unsigned int slot = pick_slot(b, chance(75) ? ST(PENDING) : ~0U);
	struct mslot *s = &b->s[slot];
	uint64_t id = s->call_id;
	int want, got;

	if (chance(8))
		id = wrong_id(b, id);
	memset(&A, 0, sizeof(A));
	A.acq.flags = MBX_ACQUIRE_CALL;
	A.acq.slot = slot;
	A.acq.call_id = id;
	if (chance(3))
		A.acq.flags |= MBX_WAIT_NONBLOCK;	/* never waits: EINVAL */
	got = run_op(b, si, D_ACQ, "revoke");
	if (got < 0)
		return;
	if (A.acq.flags & MBX_WAIT_MASK)
		want = EINVAL;
	else if (!id || id != s->call_id)
		want = ESTALE;
	else if (s->state == MBX_STATE_PENDING)
		want = 0;
	else if (s->state == MBX_STATE_EDIT)
		want = s->owner == si ? EDEADLK : EBUSY;
	else if (s->state == MBX_STATE_TAKEN)
		want = EBUSY;
	else
		want = EALREADY;
	expect("revoke", si, got, want);
	if (got)
		return;
	if (A.acq.out_slot != slot)
		die("revoke slot %u: out_slot %u", slot, A.acq.out_slot);
	s->state = MBX_STATE_EDIT;
	s->owner = si;
	tcount[T_REVOKE]++;
}

static void op_release(struct mbox *b, int si0)
{
	unsigned int slot = pick_slot(b, chance(85) ? ST(OWNED) | ST(EDIT) : ~0U);
	struct mslot *s;
	int si = pick_actor(b, b->s[slot].owner), want, got;

	if (si0 != NOSESS && chance(5))
		si = si0;
	if (chance(3))
		slot = b->nslots;
	s = slot < b->nslots ? &b->s[slot] : NULL;
	memset(&A, 0, sizeof(A));
	A.rel.slot = slot;
	got = run_op(b, si, D_REL, "release");
	if (got < 0)
		return;
	want = !s ? EINVAL : s->owner != si ? EPERM : 0;
	expect("release", si, got, want);
	if (got)
		return;
	if (s->state == MBX_STATE_EDIT) {
		m_requeue(b, s, 0);
		tcount[T_RELEASE_EDIT]++;
	} else {
		m_free(s);
		tcount[T_RELEASE_OWNED]++;
	}
}

static void m_collect(struct mbox *b, int si, unsigned int slot)
{
	struct mslot *s = &b->s[slot];

	s->state = MBX_STATE_OWNED;
	s->owner = si;
	s->caller = NOSESS;
}

/* A collect of any reply of @si succeeded with @c: was it the right one? */
static void collected_any(struct mbox *b, int si, const struct mbx_call *c,
			  const char *what)
{
	int want = oldest_reply(b, si);

	if (c->slot >= b->nslots || b->s[c->slot].state != MBX_STATE_REPLIED ||
	    b->s[c->slot].caller != si)
		die("%s: got a reply in slot %u, not one of session %d's", what,
		    c->slot, si);
	if ((int)c->slot != want)
		die("%s: got the reply in slot %u, the oldest is in slot %d",
		    what, c->slot, want);
	check_call(what, c, b, c->slot, b->s[c->slot].reply_len);
	m_collect(b, si, c->slot);
}

static void op_submit(struct mbox *b, int si0)
{
	unsigned int slot = pick_slot(b, chance(90) ? ST(OWNED) | ST(EDIT) : ~0U);
	int si = pick_actor(b, b->s[slot].owner), want, got, collect;
	struct mslot *s;
	uint32_t len = below(SLOT_SIZE + 1);

	(void)si0;
	if (chance(3))
		slot = b->nslots;
	if (chance(3))
		len = SLOT_SIZE + 1 + below(64);
	s = slot < b->nslots ? &b->s[slot] : NULL;
	collect = chance(30);
	memset(&A, 0, sizeof(A));
	A.sub.slot = slot;
	A.sub.opcode = rnd();
	A.sub.len = len;
	A.sub.user_data = rnd();
	A.sub.call_flags = chance(25) ? MBX_CALL_AT_MOST_ONCE : 0;
	if (chance(2))
		A.sub.call_flags |= MBX_CALL_REDELIVERED;
	if (collect)
		A.sub.flags = MBX_SUBMIT_COLLECT |
			      wait_flags(oldest_reply(b, si) >= 0,
					 &A.sub.timeout_ns);
	else if (chance(2))
		A.sub.flags = MBX_WAIT_NONBLOCK;
	got = run_op(b, si, D_SUB, collect ? "submit+collect" : "submit");
	if (got < 0)
		return;
	if (!s || (A.sub.call_flags & ~MBX_CALL_AT_MOST_ONCE) ||
	    (!collect && (A.sub.flags & MBX_WAIT_MASK)))
		want = EINVAL;
	else if (len > SLOT_SIZE)
		want = EMSGSIZE;
	else if (s->owner != si)
		want = EPERM;
	else if (collect && s->state == MBX_STATE_EDIT && s->caller != si)
		want = EINVAL;
	else
		want = -1;	/* submitted; the collect decides */
	if (want >= 0) {
		expect(collect ? "submit+collect" : "submit", si, got, want);
		return;
	}
	s->opcode = A.sub.opcode;
	s->len = len;
	s->user_data = A.sub.user_data;
	if (s->state == MBX_STATE_OWNED) {
		s->flags = A.sub.call_flags;
		s->state = MBX_STATE_PENDING;
		s->call_id = ++b->next_id;
		s->owner = NOSESS;
		s->caller = si;
		s->delivery = 0;
		s->status = 0;
		s->reply_len = 0;
		s->seq = b->next_seq++;
		b->st.submitted++;
		tcount[T_SUBMIT_NEW]++;
	} else {
		s->flags = (s->flags & ~MBX_CALL_AT_MOST_ONCE) |
			   A.sub.call_flags;
		m_requeue(b, s, 0);
		tcount[T_SUBMIT_EDIT]++;
	}
	if (!collect) {
		expect("submit", si, got, 0);
	} else {
		want = oldest_reply(b, si) >= 0 ? 0 : wait_errno(A.sub.flags);
		expect("submit+collect", si, got, want);
	}
	/* out_call_id is there after a failed wait too. */
	if (A.sub.out_call_id != s->call_id)
		die("submit slot %u: call id %llu, the model says %llu", slot,
		    (unsigned long long)A.sub.out_call_id,
		    (unsigned long long)s->call_id);
	if (collect && !got) {
		collected_any(b, si, &A.sub.out_reply, "submit+collect");
		tcount[T_SUBMIT_COLLECT]++;
	}
}

/* The model of mbx_complete(): the errno, and the answer on success. */
static int m_complete(struct mbox *b, int si, unsigned int slot, uint64_t id,
		      int32_t status, uint32_t len, int do_it)
{
	struct mslot *s;

	if (slot >= b->nslots)
		return EINVAL;
	if (len > SLOT_SIZE)
		return EMSGSIZE;
	if (status > 0 || status < -4095)
		return EINVAL;
	s = &b->s[slot];
	if (!id || id != s->call_id)
		return ESTALE;
	if (s->state != MBX_STATE_TAKEN || s->callee != si)
		return EPERM;
	if (s->flags & MBX_CALL_CANCEL_REQ) {
		if (do_it) {
			m_finish(b, s, -ECANCELED, 0);
			tcount[T_COMPLETE_CANCELLED]++;
		}
		return ECANCELED;
	}
	if (do_it) {
		m_finish(b, s, status, len);
		tcount[T_COMPLETE]++;
	}
	return 0;
}

/* Arguments of a completion, mostly right. */
static void completion_args(struct mbox *b, unsigned int *slot, uint64_t *id,
			    int32_t *status, uint32_t *len)
{
	*slot = pick_slot(b, chance(90) ? ST(TAKEN) : ~0U);
	*id = b->s[*slot].call_id;
	*status = chance(70) ? 0 : -(int32_t)(1 + below(4095));
	*len = below(SLOT_SIZE + 1);
	switch (below(30)) {
	case 0:
		*id = wrong_id(b, *id);
		break;
	case 1:
		*slot = b->nslots + below(2);
		break;
	case 2:
		*len = SLOT_SIZE + 1;
		break;
	case 3:
		*status = chance(50) ? 1 : -4096;
		break;
	case 4:
		*slot = below(b->nslots);
		break;
	}
}

static void op_take(struct mbox *b, int si0)
{
	int complete = chance(40), si = si0, want, got, next;
	unsigned int slot = 0;
	uint64_t id = 0;
	int32_t status = 0;
	uint32_t len = 0;

	memset(&A, 0, sizeof(A));
	if (complete) {
		completion_args(b, &slot, &id, &status, &len);
		if (slot < b->nslots)
			si = pick_actor(b, b->s[slot].callee);
		if (chance(10))
			id = 0;		/* answers nothing */
		A.take.flags = MBX_TAKE_COMPLETE;
		A.take.done_call_id = id;
		A.take.done_slot = slot;
		A.take.done_len = len;
		A.take.done_status = status;
	} else if (chance(3)) {
		A.take.done_len = 1;	/* done_* without the flag */
	}
	next = oldest_pending(b);
	/*
	 * The call answered first may be the one taken next? No: it goes
	 * to REPLIED.  A wait without flags only when a call is pending
	 * after the completion, which never adds one.
	 */
	A.take.flags |= wait_flags(next >= 0, &A.take.timeout_ns);
	got = run_op(b, si, D_TAKE, complete ? "take+complete" : "take");
	if (got < 0)
		return;
	if (!complete && A.take.done_len) {
		expect("take", si, got, EINVAL);
		return;
	}
	if (complete && id) {
		want = m_complete(b, si, slot, id, status, len, 0);
		if (want && want != ECANCELED) {
			expect("take+complete", si, got, want);
			return;
		}
		m_complete(b, si, slot, id, status, len, 1);
		if (A.take.done_call_id != 0 ||
		    A.take.out_flags != (MBX_TAKEN_DONE |
					 (want ? MBX_TAKEN_DONE_CANCELLED : 0)))
			die("take+complete: done_call_id %llu out_flags 0x%x after answering (cancelled: %d)",
			    (unsigned long long)A.take.done_call_id,
			    A.take.out_flags, !!want);
		tcount[T_TAKE_COMPLETE]++;
	}
	next = oldest_pending(b);
	want = next >= 0 ? 0 : wait_errno(A.take.flags);
	expect(complete ? "take+complete" : "take", si, got, want);
	if (got)
		return;
	b->s[next].state = MBX_STATE_TAKEN;
	b->s[next].callee = si;
	b->s[next].delivery++;
	b->st.taken++;
	check_call("take", &A.take.out_call, b, next, b->s[next].len);
	tcount[(b->s[next].flags & MBX_CALL_REDELIVERED) ?
	       T_TAKE_REDELIVERED : T_TAKE]++;
}

static void op_complete(struct mbox *b, int si0)
{
	unsigned int slot;
	uint64_t id;
	int32_t status;
	uint32_t len;
	int si = si0, want, got;

	(void)si0;
	completion_args(b, &slot, &id, &status, &len);
	if (slot < b->nslots)
		si = pick_actor(b, b->s[slot].callee);
	memset(&A, 0, sizeof(A));
	A.cpl.call_id = id;
	A.cpl.slot = slot;
	A.cpl.status = status;
	A.cpl.len = len;
	got = run_op(b, si, D_CPL, "complete");
	if (got < 0)
		return;
	want = m_complete(b, si, slot, id, status, len, 0);
	expect("complete", si, got, want);
	if (!got || got == ECANCELED)
		m_complete(b, si, slot, id, status, len, 1);
}

static void op_collect_any(struct mbox *b, int si)
{
	int ready = oldest_reply(b, si) >= 0, want, got;

	memset(&A, 0, sizeof(A));
	A.col.flags = wait_flags(ready, &A.col.timeout_ns);
	if (chance(3))
		A.col.slot = 1;		/* only with MBX_COLLECT_CALL */
	got = run_op(b, si, D_COL, "collect any");
	if (got < 0)
		return;
	want = A.col.slot ? EINVAL : ready ? 0 : wait_errno(A.col.flags);
	expect("collect any", si, got, want);
	if (got)
		return;
	collected_any(b, si, &A.col.out_call, "collect any");
	tcount[T_COLLECT_ANY]++;
}

static void op_collect_call(struct mbox *b, int si0)
{
	unsigned int slot = pick_slot(b, chance(80) ? ST(REPLIED) | ST(PENDING) |
				      ST(TAKEN) | ST(EDIT) : ~0U);
	struct mslot *s = &b->s[slot];
	uint64_t id = s->call_id;
	int si = pick_actor(b, s->caller), want, got, adopt = 0;

	if (s->caller == NOSESS || chance(20))
		si = si0;
	if (chance(6))
		id = wrong_id(b, id);
	memset(&A, 0, sizeof(A));
	A.col.flags = MBX_COLLECT_CALL;
	A.col.slot = slot;
	A.col.call_id = id;
	if (chance(3))
		A.col.slot = slot = b->nslots;
	A.col.flags |= wait_flags(slot < b->nslots &&
				  s->state == MBX_STATE_REPLIED &&
				  (s->caller == NOSESS || s->caller == si),
				  &A.col.timeout_ns);
	got = run_op(b, si, D_COL, "collect call");
	if (got < 0)
		return;
	if (slot >= b->nslots)
		want = EINVAL;
	else if (!id || id != s->call_id)
		want = ESTALE;
	else if (s->state == MBX_STATE_FREE || s->state == MBX_STATE_OWNED)
		want = EALREADY;
	else if (s->caller != NOSESS && s->caller != si)
		want = EBUSY;
	else {
		adopt = s->caller == NOSESS;
		want = s->state == MBX_STATE_REPLIED ? 0 :
		       wait_errno(A.col.flags);
	}
	expect("collect call", si, got, want);
	if (adopt) {
		/* Adopted even when the wait fails: its reply comes here. */
		s->caller = si;
		s->flags |= MBX_CALL_ADOPTED;
		tcount[T_ADOPT]++;
	}
	if (got)
		return;
	check_call("collect call", &A.col.out_call, b, slot, s->reply_len);
	m_collect(b, si, slot);
	tcount[T_COLLECT_CALL]++;
}

static void op_cancel(struct mbox *b, int si0)
{
	unsigned int slot = pick_slot(b, chance(85) ? ST(PENDING) | ST(EDIT) |
				      ST(TAKEN) : ~0U);
	struct mslot *s = &b->s[slot];
	uint64_t id = s->call_id;
	int si = si0, want, got;

	if (s->state == MBX_STATE_EDIT && chance(80))
		si = pick_actor(b, s->owner);
	else if (s->caller != NOSESS && chance(70))
		si = pick_actor(b, s->caller);
	if (chance(6))
		id = wrong_id(b, id);
	memset(&A, 0, sizeof(A));
	A.can.slot = slot;
	A.can.call_id = id;
	if (chance(3))
		A.can.slot = slot = b->nslots;
	got = run_op(b, si, D_CAN, "cancel");
	if (got < 0)
		return;
	if (slot >= b->nslots)
		want = EINVAL;
	else if (!id || id != s->call_id)
		want = ESTALE;
	else if (s->state == MBX_STATE_PENDING)
		want = 0;
	else if (s->state == MBX_STATE_EDIT)
		want = s->owner != si ? EBUSY : 0;
	else if (s->state == MBX_STATE_TAKEN)
		want = 0;
	else
		want = EALREADY;
	expect("cancel", si, got, want);
	if (got)
		return;
	if (A.can.out_state != s->state)
		die("cancel slot %u: out_state %u, the model has %s", slot,
		    A.can.out_state, sname(s->state));
	switch (s->state) {
	case MBX_STATE_PENDING:
		m_finish(b, s, -ECANCELED, 0);
		tcount[T_CANCEL_PENDING]++;
		break;
	case MBX_STATE_EDIT:
		m_finish(b, s, -ECANCELED, 0);
		tcount[T_CANCEL_EDIT]++;
		break;
	case MBX_STATE_TAKEN:
		if (!(s->flags & MBX_CALL_CANCEL_REQ)) {
			s->flags |= MBX_CALL_CANCEL_REQ;
			push_event(b, s->callee, MBX_EVENT_CANCEL, slot, 0);
		}
		tcount[T_CANCEL_TAKEN]++;
		break;
	}
}

static void op_events(struct mbox *b, int si)
{
	struct msess *ss = &b->ss[si];
	unsigned int count = 1 + below(EVMAX + 1), esize, n, i;
	int want, got;

	esize = chance(80) ? sizeof(struct mbx_event) : 32;
	memset(&A, 0, sizeof(A));
	memset(evbuf, 0xcc, sizeof(evbuf));
	A.evr.events = (uintptr_t)evbuf;
	A.evr.count = count;
	A.evr.event_size = esize;
	if (chance(3))
		A.evr.count = 0;
	else if (chance(3))
		A.evr.event_size = 16;
	got = run_op(b, si, D_EVR, "events read");
	if (got < 0)
		return;
	want = (!A.evr.count || A.evr.event_size < 24) ? EINVAL : 0;
	expect("events read", si, got, want);
	if (got)
		return;
	n = ss->ev_count < count ? ss->ev_count : count;
	if (A.evr.out_count != n + (n < count && ss->ev_overflow))
		die("events read of session %d: %u events, the model has %u%s",
		    si, A.evr.out_count, ss->ev_count,
		    ss->ev_overflow ? " and an overflow" : "");
	for (i = 0; i < n; i++) {
		const struct mbx_event *m = &ss->ev[(ss->ev_head + i) % EVMAX];
		struct mbx_event k;

		memcpy(&k, evbuf + i * esize, sizeof(k));
		if (k.type != m->type || k.slot != m->slot ||
		    k.call_id != m->call_id || k.status != m->status ||
		    k.__reserved)
			die("events read of session %d: event %u is type %u slot %u id %llu status %d; the model: type %u slot %u id %llu status %d",
			    si, i, k.type, k.slot, (unsigned long long)k.call_id,
			    k.status, m->type, m->slot,
			    (unsigned long long)m->call_id, m->status);
		tcount[T_EVENT]++;
	}
	if (n < count && ss->ev_overflow) {
		struct mbx_event k;

		memcpy(&k, evbuf + n * esize, sizeof(k));
		if (k.type != MBX_EVENT_OVERFLOW || k.call_id)
			die("events read of session %d: the last is type %u, not an overflow",
			    si, k.type);
		ss->ev_overflow = 0;
		tcount[T_OVERFLOW]++;
	}
	for (i = 0; esize > sizeof(struct mbx_event) && i < A.evr.out_count; i++) {
		unsigned int j;

		for (j = sizeof(struct mbx_event); j < esize; j++)
			if (evbuf[i * esize + j])
				die("events read: byte %u of event %u is not zeroed",
				    j, i);
	}
	ss->ev_head = (ss->ev_head + n) % EVMAX;
	ss->ev_count -= n;
}

static void op_reclaim(struct mbox *b, int si)
{
	unsigned int i, n = 0;
	int young = chance(30), got;

	memset(&A, 0, sizeof(A));
	/* 0 frees every orphaned reply; a century frees none. */
	A.rec.min_age_ns = young ? 3155760000000000000ULL : 0;
	got = run_op(b, si, D_REC, "reclaim");
	if (got < 0)
		return;
	expect("reclaim", si, got, 0);
	for (i = 0; i < b->nslots && !young; i++) {
		struct mslot *s = &b->s[i];

		if (s->state == MBX_STATE_REPLIED && s->caller == NOSESS) {
			m_free(s);
			n++;
		}
	}
	if (A.rec.out_count != n)
		die("reclaim: freed %u, the model says %u", A.rec.out_count, n);
	b->st.reclaimed += n;
	tcount[T_RECLAIM] += n;
}

/*
 * A take that waits, interrupted by a timer: EINTR, and a completion given
 * with it is made all the same.  Only when nothing is pending.
 */
static void op_interrupted_take(struct mbox *b, int si)
{
	/*
	 * Repeating: a first signal that lands before the ioctl sleeps (on a
	 * busy host) is followed by one that ends the wait.
	 */
	struct itimerval it = { .it_value = { .tv_usec = 2000 },
				.it_interval = { .tv_usec = 5000 } };
	int got;

	if (b->ss[si].fd < 0 || oldest_pending(b) >= 0 ||
	    !(b->ss[si].access & MBX_ACCESS_WRITE))
		return;
	memset(&A, 0, sizeof(A));
	A.take.size = sizeof(A.take);
	setitimer(ITIMER_REAL, &it, NULL);
	got = ioctl(b->ss[si].fd, MBX_IOC_CALL_TAKE, &A.take) ? errno : 0;
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	expect("take, interrupted", si, got, EINTR);
	tcount[T_INTR]++;
}

/*
 * End a session: mostly one that holds something (the callee of a taken
 * call, the caller of a call on its way, an owner), else @si.  A child is
 * killed or told to exit, a session here is closed.
 */
static void op_kill(struct mbox *b, int si)
{
	unsigned int i = below(b->nslots), k;

	for (k = 0; k < b->nslots && chance(70); k++, i = (i + 1) % b->nslots) {
		const struct mslot *s = &b->s[i];
		int who = s->callee != NOSESS ? s->callee :
			  s->owner != NOSESS ? s->owner : s->caller;

		if (who != NOSESS) {
			si = who;
			break;
		}
	}
	end_session(b, si, b->ss[si].fd < 0 && chance(70));
}

/* ------------------------------------------------------------------ */
/* The run.                                                             */

static int any_in(struct mbox *b, unsigned int mask)
{
	unsigned int i;

	for (i = 0; i < b->nslots; i++)
		if (mask & (1U << b->s[i].state))
			return 1;
	return 0;
}

/*
 * Guidance by the module's own coverage, where the kernel has kcov and the
 * module was built for it (KCOV_INSTRUMENT, vm.sh MBX_VM_KCOV=1): this
 * process's module PCs are traced per op; a kind of operation that
 * reached PCs never seen before is drawn more often for a while (its
 * score halves every 1000 ops).  The draw stays a function of the key
 * and of what the module did, so a key replays on the same module build.
 */
#define COVER_WORDS	(1 << 16)
#define PCSET		(1 << 16)
static const unsigned int arm_lo[] = { 0, 110, 150, 200, 260, 420, 560, 650,
				       760, 820, 870, 920, 950, 952, 970, 1000 };
#define NARMS	(sizeof(arm_lo) / sizeof(arm_lo[0]) - 1)
static unsigned long *cover;
static uint64_t pcset[PCSET];
static uint64_t npcs, pcs_guided, steps_guided, arm_new[NARMS];
static double arm_score[NARMS];

static void kcov_start(void)
{
	int fd = open("/sys/kernel/debug/kcov", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return;
	if (ioctl(fd, KCOV_INIT_TRACE, COVER_WORDS) == 0) {
		cover = mmap(NULL, COVER_WORDS * sizeof(unsigned long),
			     PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (cover == MAP_FAILED || ioctl(fd, KCOV_ENABLE, KCOV_TRACE_PC))
			cover = NULL;
	}
	if (!cover)
		close(fd);
}

/* The PCs traced since the last call not seen before: how many. */
static unsigned int kcov_new(void)
{
	unsigned long i, n;
	unsigned int fresh = 0;

	if (!cover)
		return 0;
	n = __atomic_load_n(&cover[0], __ATOMIC_RELAXED);
	for (i = 0; i < n && i + 1 < COVER_WORDS; i++) {
		uint64_t pc = cover[i + 1], h = (pc * 0x9e3779b97f4a7c15ULL) >> 48;

		while (pcset[h] && pcset[h] != pc)
			h = (h + 1) % PCSET;
		if (!pcset[h] && npcs < PCSET - 1) {
			pcset[h] = pc;
			npcs++;
			fresh++;
		}
	}
	__atomic_store_n(&cover[0], 0, __ATOMIC_RELAXED);
	return fresh;
}

static unsigned int pick_arm(void)
{
	double sum = 0, x;
	unsigned int a;

	for (a = 0; a < NARMS; a++)
		sum += 1 + arm_score[a];
	x = (rnd() >> 11) * (1.0 / 9007199254740992.0) * sum;
	for (a = 0; a + 1 < NARMS; a++) {
		x -= 1 + arm_score[a];
		if (x < 0)
			break;
	}
	return a;
}

static unsigned int arm_of(unsigned int r)
{
	unsigned int a = 0;

	while (a + 1 < NARMS && r >= arm_lo[a + 1])
		a++;
	return a;
}

static void one_step(void)
{
	struct mbox *b = &boxes[below(NBOX)];
	int si, r, n = live_count(b), guided = 0;
	unsigned int fresh, a;

	/* What the checks after the last op reached counts, unattributed. */
	kcov_new();
	if (!n || (n < MAXSESS && chance(2))) {
		open_session(b);
		return;
	}
	si = pick_session(b);
	r = below(1000);
	if (cover && chance(30)) {
		a = pick_arm();
		r = arm_lo[a] + below(arm_lo[a + 1] - arm_lo[a]);
		guided = 1;
		steps_guided++;
	}
	/*
	 * Mostly an operation that has something to work on: one that
	 * makes what the one drawn needs, when nothing has it.
	 */
	if (chance(85)) {
		if (r >= 150 && r < 200 && !any_in(b, ST(PENDING)))
			r = 300;			/* revoke: submit */
		if (r >= 200 && r < 420 && !any_in(b, ST(OWNED) | ST(EDIT)))
			r = 0;				/* acquire */
		if (r >= 560 && r < 650 && !any_in(b, ST(TAKEN)))
			r = 500;			/* complete: take */
		if (r >= 420 && r < 560 && !any_in(b, ST(PENDING)) &&
		    !any_in(b, ST(TAKEN)))
			r = 300;			/* take: submit */
		if (r >= 650 && r < 820 && !any_in(b, ST(REPLIED)))
			r = any_in(b, ST(TAKEN)) ? 600 : 500;
		if (r < 150 && !any_in(b, ST(FREE)))
			r = any_in(b, ST(REPLIED)) ? 700 : 600;
		if (r >= 820 && r < 870 &&
		    !any_in(b, ST(PENDING) | ST(EDIT) | ST(TAKEN)))
			r = 300;
	}
	if (r < 110)
		op_acquire_any(b, si);
	else if (r < 150)
		op_acquire_slot(b, si);
	else if (r < 200)
		op_revoke(b, si);
	else if (r < 260)
		op_release(b, si);
	else if (r < 420)
		op_submit(b, si);
	else if (r < 560)
		op_take(b, si);
	else if (r < 650)
		op_complete(b, si);
	else if (r < 760)
		op_collect_any(b, si);
	else if (r < 820)
		op_collect_call(b, si);
	else if (r < 870)
		op_cancel(b, si);
	else if (r < 920)
		op_events(b, si);
	else if (r < 950)
		op_reclaim(b, si);
	else if (r < 952)
		op_interrupted_take(b, si);
	else if (r < 970)
		op_kill(b, si);
	else
		op_release(b, si);
	if (!cover)
		return;
	fresh = kcov_new();
	a = arm_of(r);
	if (fresh) {
		arm_new[a] += fresh;
		arm_score[a] += 8.0 * fresh;
		if (guided)
			pcs_guided += fresh;
	}
	if (op % 1000 == 999)
		for (a = 0; a < NARMS; a++)
			arm_score[a] /= 2;
}

/*
 * The end: every session closed, every call left cancelled through a new
 * session, every reply reclaimed; then nothing may be left.
 */
static void drain(struct mbox *b)
{
	struct mbx_reclaim_args rec = { .size = sizeof(rec) };
	struct mbx_cancel_args can;
	struct mbx_stats_args st = { .size = sizeof(st) };
	unsigned int i;
	int si;

	for (si = 0; si < MAXSESS; si++)
		if (b->ss[si].live)
			end_session(b, si, 0);
	check_box(b);
	for (i = 0; i < b->nslots; i++) {
		struct mslot *s = &b->s[i];

		if (s->state == MBX_STATE_FREE)
			continue;
		if (s->state != MBX_STATE_PENDING && s->state != MBX_STATE_REPLIED)
			die("%s: slot %u is %s with every session closed",
			    b->name, i, sname(s->state));
		if (s->state == MBX_STATE_PENDING) {
			memset(&can, 0, sizeof(can));
			can.size = sizeof(can);
			can.slot = i;
			can.call_id = s->call_id;
			if (ioctl(b->probe, MBX_IOC_CALL_CANCEL, &can))
				die("%s: cancel of pending slot %u: %s", b->name,
				    i, strerror(errno));
			m_finish(b, s, -ECANCELED, 0);
		}
	}
	if (ioctl(b->probe, MBX_IOC_BOX_RECLAIM, &rec))
		die("%s: reclaim: %s", b->name, strerror(errno));
	for (i = 0; i < b->nslots; i++)
		if (b->s[i].state == MBX_STATE_REPLIED) {
			m_free(&b->s[i]);
			b->st.reclaimed++;
		}
	check_box(b);
	if (ioctl(b->probe, MBX_IOC_BOX_STATS, &st))
		die("%s: stats: %s", b->name, strerror(errno));
	if (st.out_free != b->nslots)
		die("%s: %u of %u slots free at the end", b->name, st.out_free,
		    b->nslots);
	if (st.out_completed + st.out_cancelled != st.out_submitted ||
	    b->answered != b->st.submitted)
		die("%s: %llu calls submitted, %llu completed and %llu cancelled (the model: %llu answered)",
		    b->name, (unsigned long long)st.out_submitted,
		    (unsigned long long)st.out_completed,
		    (unsigned long long)st.out_cancelled,
		    (unsigned long long)b->answered);
	if (st.out_sessions != 1)
		die("%s: %u sessions at the end, not the probe alone", b->name,
		    st.out_sessions);
}

static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *s = getenv(name);

	return s && *s ? strtoull(s, NULL, 0) : def;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void report(double secs)
{
	unsigned int i;
	uint64_t moves = 0;

	for (i = 0; i < T_NKINDS; i++)
		moves += tcount[i];
	printf("# statefuzz: key %llu, %llu ops in %.1f s: %llu calls succeeded, %llu rejected as the model said, %llu with a malformed argument\n",
	       (unsigned long long)key, (unsigned long long)op, secs,
	       (unsigned long long)ops_ok,
	       (unsigned long long)ops_rej,
	       (unsigned long long)ops_corrupt);
	printf("# statefuzz: %llu transitions:\n", (unsigned long long)moves);
	for (i = 0; i < T_NKINDS; i++)
		printf("#   %-28s %10llu\n", tname[i],
		       (unsigned long long)tcount[i]);
	if (cover) {
		static const char *const arm_name[NARMS] = {
			"acquire any", "acquire slot", "revoke", "release",
			"submit", "take", "complete", "collect any",
			"collect call", "cancel", "events", "reclaim",
			"interrupted take", "end session", "release",
		};

		printf("# statefuzz: kcov: %llu module PCs reached, %llu of them first by the %llu ops drawn by coverage; new PCs per kind:\n",
		       (unsigned long long)npcs, (unsigned long long)pcs_guided,
		       (unsigned long long)steps_guided);
		for (i = 0; i < NARMS; i++)
			printf("#   %-28s %10llu\n", arm_name[i],
			       (unsigned long long)arm_new[i]);
	} else {
		printf("# statefuzz: no kcov of the module: drawn without guidance\n");
	}
	printf("# statefuzz: rejected calls by errno:\n");
	for (i = 1; i < NERRNO; i++)
		if (ecount[i])
			printf("#   %-28s %10llu\n", strerrorname_np(i) ?: "?",
			       (unsigned long long)ecount[i]);
	fflush(stdout);
}

FIXTURE(statefuzz) {
	int unused;
};

FIXTURE_SETUP(statefuzz)
{
}

FIXTURE_TEARDOWN(statefuzz)
{
}

TEST_F_TIMEOUT(statefuzz, state_machine, 86400)
{
	struct mbx_create_args c;
	struct sigaction sa = { .sa_handler = on_alarm };
	uint64_t ops, t0;
	unsigned int i;

	if (access(MBX_DEV, F_OK))
		SKIP(return, MBX_DEV " absent: mbx.ko not loaded");
	key = env_u64("MBX_FUZZ_KEY", 0);
	if (!key)
		key = now_ns() ^ ((uint64_t)getpid() << 32);
	rng_state = key | 1;
	ops = env_u64("MBX_FUZZ_OPS", 20000);
	printf("# statefuzz: MBX_FUZZ_KEY=%llu MBX_FUZZ_OPS=%llu\n",
	       (unsigned long long)key, (unsigned long long)ops);
	fflush(stdout);
	/* No SA_RESTART: an alarm or the timer ends a wait with EINTR. */
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	signal(SIGPIPE, SIG_IGN);
	ctl = open(MBX_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, ctl);
	for (i = 0; i < NBOX; i++) {
		struct mbox *b = &boxes[i];

		memset(b, 0, sizeof(*b));
		snprintf(b->name, sizeof(b->name), "statefuzz.%d.%u", getpid(), i);
		b->nslots = box_slots[i];
		memset(&c, 0, sizeof(c));
		c.size = sizeof(c);
		c.flags = MBX_CREATE_CLOEXEC;
		memcpy(c.name, b->name, strlen(b->name));
		c.nslots = b->nslots;
		c.slot_size = SLOT_SIZE;
		c.mode = 0600;
		b->probe = ioctl(ctl, MBX_IOC_BOX_CREATE, &c);
		ASSERT_LE(0, b->probe) TH_LOG("create %s: %s", b->name,
					      strerror(errno));
		b->nsessions = 1;
		for (int j = 0; j < MAXSLOTS; j++) {
			b->s[j].owner = b->s[j].caller = b->s[j].callee = NOSESS;
		}
	}
	kcov_start();
	kcov_new();
	t0 = now_ns();
	for (op = 0; op < ops; op++) {
		one_step();
		for (i = 0; i < NBOX; i++)
			check_box(&boxes[i]);
	}
	note("drain");
	for (i = 0; i < NBOX; i++)
		drain(&boxes[i]);
	report((now_ns() - t0) / 1e9);
	for (i = 0; i < NBOX; i++) {
		struct mbx_destroy_args d = { .size = sizeof(d) };

		memcpy(d.name, boxes[i].name, strlen(boxes[i].name));
		EXPECT_EQ(0, ioctl(ctl, MBX_IOC_BOX_DESTROY, &d));
		close(boxes[i].probe);
	}
	close(ctl);
}

TEST_HARNESS_MAIN
