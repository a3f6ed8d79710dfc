// SPDX-License-Identifier: GPL-2.0
/*
 * Recovery: a callee or a caller killed with SIGKILL at each step of the
 * two-step call and restarted, the reclaim of replies nobody collects,
 * and a mailbox that outlives all its processes.
 *
 * What the tests show, per the Failure and recovery section of
 * Documentation/userspace-api/mbx.rst:
 * - under at-least-once (the default) every call is answered exactly once
 *   and its work done exactly once when the callee checks a ledger keyed
 *   by call id; the kernel marks the second delivery MBX_CALL_REDELIVERED
 *   and counts deliveries;
 * - under MBX_CALL_AT_MOST_ONCE a call whose callee died holding it is
 *   answered -EOWNERDEAD and never given to another callee;
 * - a redelivered call's reply plane is zeroed and its call plane intact
 *   (checksummed), and so is a failed one's reply plane: no half-written
 *   result is ever shown as a reply;
 * - a restarted caller collects its replies by call id (adopting them)
 *   or cancels them; a caller that dies holding a collected slot frees it;
 * - replies without a caller are freed by MBX_IOC_BOX_RECLAIM, and by
 *   themselves once older than the mailbox's reclaim_ns (not before), in
 *   time for an acquirer waiting for a free slot;
 * - no slot is leaked: the census is back to all FREE after every test.
 *
 * Processes: the test process is the caller (callee tests) or the callee
 * (caller tests); the party that is killed is always a child that opened
 * its own mailbox fd after fork(), so that its death ends its session. In
 * the step tests each round's child is first the restarted party of the
 * round before, then the party killed at the step; each killed callee
 * holds one call of each promise, at least once and at most once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
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

#define KILLS		200		/* kills per loop, per the acceptance */

MBX_SKIP_WITHOUT_DEVICE

static bool all_zero(const unsigned char *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/* ------------------------------------------------------------------ */
/* Shared state                                                         */

#define LEDGER_MAX	8192

/* The callee's ledger, keyed by call id: what a real service would keep. */
struct ledger_entry {
	_Atomic __u32 takes;	/* the callee got it from MBX_IOC_CALL_TAKE */
	_Atomic __u32 applied;	/* the work was done (idempotency check) */
	_Atomic __u32 answered;	/* MBX_IOC_CALL_COMPLETE returned 0 */
	_Atomic __u32 collected; /* a caller collected its reply */
	__u32 amo;		/* submitted MBX_CALL_AT_MOST_ONCE */
};

/* One call as a child saw it, for the test process to check. */
struct seen {
	int ret;		/* of the take, or of the collect */
	struct mbx_call call;
	bool plane_ok;		/* call plane intact (checksum) */
	bool reply_zero;	/* reply plane zeroed */
	bool reply_ok;		/* collected reply whole (checksum) */
	int complete_ret;
	int cancel_ret;
	__u32 cancel_state;
};

/*
 * Between the test process and its children. In the step tests a child
 * serves round r: first as the restarted party of round r - 1, then as
 * the party killed at the step in round r.
 */
struct shared {
	char name[MBX_NAME_MAX];
	int step;
	int mode;
	int round;		/* the round the next child serves */
	bool stop;		/* the next child only restarts, then exits */
	__u32 slot;		/* caller tests: the call the caller logged */
	__u64 id;
	__u64 tag;
	_Atomic __u32 restarted; /* rounds whose restart work is done */
	_Atomic __u32 go;	/* rounds the test process has set up */
	_Atomic __u32 logged;	/* rounds whose call the caller logged */
	_Atomic __u32 reached;	/* rounds whose step was reached */
	_Atomic __u32 takes;	/* all takes, random kill test */
	_Atomic __u32 bad_plane;
	_Atomic __u32 bad_zero;
	int nrestart;		/* calls the restart work took */
	struct seen restart[3];
	struct seen at_step[2];
	struct ledger_entry ledger[LEDGER_MAX];
};

static struct ledger_entry *ledger(struct shared *sh, __u64 id)
{
	return id && id < LEDGER_MAX ? &sh->ledger[id] : NULL;
}

enum step {
	BEFORE_TAKE,		/* callee: mailbox open, nothing taken */
	AFTER_TAKE,		/* callee: took the calls, no work done */
	WHILE_WRITING,		/* callee: work done, replies half written */
	AFTER_COMPLETE,		/* callee: answered */
	AFTER_SUBMIT,		/* caller: call submitted */
	AFTER_REPLY,		/* caller: reply ready, not collected */
	HOLDING,		/* caller: reply collected, slot still owned */
};

/* Answer the call (slot, id) as its callee, with a whole reply. */
static int answer(struct tbox *b, __u32 slot, __u64 id, __u64 tag)
{
	payload_fill(reply_plane(b, slot), REPLY_LEN, tag ^ REPLY_SALT);
	return call_complete(b->fd, slot, id, 0, REPLY_LEN);
}

/* ------------------------------------------------------------------ */
/* Callee killed at each step                                           */

/* A call just taken: note it in the ledger and look at its planes. */
static int look(struct tbox *b, struct shared *sh, struct seen *s,
		const struct mbx_call *c)
{
	struct ledger_entry *le = ledger(sh, c->call_id);

	s->call = *c;
	if (!le || c->slot >= b->nslots || c->len > b->slot_size)
		return -1;
	atomic_fetch_add(&le->takes, 1);
	s->plane_ok = payload_ok(call_plane(b, c->slot), c->len, c->user_data);
	s->reply_zero = all_zero(reply_plane(b, c->slot), b->slot_size);
	return 0;
}

/* The work, done once per call id whatever the deliveries. */
static void work(struct tbox *b, struct shared *sh, const struct mbx_call *c)
{
	__u32 expect = 0;

	atomic_compare_exchange_strong(&ledger(sh, c->call_id)->applied,
				       &expect, 1);
	payload_fill(reply_plane(b, c->slot), REPLY_LEN,
		     c->user_data ^ REPLY_SALT);
}

static void reply(struct tbox *b, struct shared *sh, struct seen *s)
{
	s->complete_ret = call_complete(b->fd, s->call.slot, s->call.call_id,
					0, REPLY_LEN);
	if (!s->complete_ret)
		atomic_fetch_add(&ledger(sh, s->call.call_id)->answered, 1);
}

/*
 * A callee. Restarted, it first serves what its killed predecessor left
 * pending (without waiting: it is pending now or never). Then it takes
 * the round's two calls, one at least once and one at most once, and
 * stops at the round's step, where the test kills it.
 */
static int callee_child(void *arg)
{
	struct shared *sh = arg;
	int round = sh->round, n;
	struct mbx_call c;
	struct tbox b;

	if (tbox_open(&b, sh->name))
		return 10;
	for (n = 0; n < 3; n++) {
		struct seen *s = &sh->restart[n];

		s->ret = call_take(b.fd, MBX_WAIT_NONBLOCK, &c);
		if (s->ret)
			break;
		if (look(&b, sh, s, &c))
			return 11;
		work(&b, sh, &c);
		reply(&b, sh, s);
	}
	sh->nrestart = n;
	bump(&sh->restarted);
	if (wait_ge(&sh->go, round + 1))
		return 12;
	if (sh->stop)
		return 0;

	if (sh->step == BEFORE_TAKE) {
		bump(&sh->reached);
		hang();
	}
	for (n = 0; n < 2; n++) {
		sh->at_step[n].ret = call_take(b.fd, 0, &c);
		if (sh->at_step[n].ret || look(&b, sh, &sh->at_step[n], &c))
			return 13;
	}
	if (sh->step == AFTER_TAKE) {
		bump(&sh->reached);
		hang();
	}
	for (n = 0; n < 2; n++)
		work(&b, sh, &sh->at_step[n].call);
	if (sh->step == WHILE_WRITING) {
		/* Results half written: their second halves are wrong. */
		for (n = 0; n < 2; n++)
			memset(reply_plane(&b, sh->at_step[n].call.slot) +
			       REPLY_LEN / 2, 0xee, REPLY_LEN - REPLY_LEN / 2);
		bump(&sh->reached);
		hang();
	}
	for (n = 0; n < 2; n++)
		reply(&b, sh, &sh->at_step[n]);
	bump(&sh->reached);
	hang();
	return 0;
}

FIXTURE(callee_kill) {
	struct tbox b;
	struct shared *sh;
	bool ready;
};

FIXTURE_VARIANT(callee_kill) {
	int step;
};

FIXTURE_VARIANT_ADD(callee_kill, before_take) {
	.step = BEFORE_TAKE,
};

FIXTURE_VARIANT_ADD(callee_kill, after_take) {
	.step = AFTER_TAKE,
};

FIXTURE_VARIANT_ADD(callee_kill, while_writing) {
	.step = WHILE_WRITING,
};

FIXTURE_VARIANT_ADD(callee_kill, after_complete) {
	.step = AFTER_COMPLETE,
};

FIXTURE_SETUP(callee_kill)
{
	int fd;

	self->b.fd = -1;
	self->sh = shm_alloc(sizeof(*self->sh));
	ASSERT_NE(NULL, self->sh);
	mbx_unique_name(self->sh->name, "ce");
	fd = box_create(self->sh->name, NSLOTS, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, tbox_attach(&self->b, fd));
	self->ready = true;
}

FIXTURE_TEARDOWN(callee_kill)
{
	if (!self->ready)
		return;
	tbox_close(&self->b);
	box_destroy(self->sh->name);
	munmap(self->sh, sizeof(*self->sh));
}

/* A call the test process made: its slot, id, tag and promise. */
struct made {
	int slot;
	__u64 id;
	__u64 tag;
	__u32 flags;
};

static int make_call(struct tbox *b, struct shared *sh, struct made *m,
		     __u64 tag, __u32 flags)
{
	m->slot = acquire_any(b->fd, MBX_WAIT_NONBLOCK, NULL);
	if (m->slot < 0)
		return m->slot;
	m->tag = tag;
	m->flags = flags;
	payload_fill(call_plane(b, m->slot), CALL_LEN, tag);
	if (call_submit(b->fd, m->slot, CALL_LEN, flags, tag, &m->id))
		return -EIO;
	if (!ledger(sh, m->id))
		return -ERANGE;
	ledger(sh, m->id)->amo = !!(flags & MBX_CALL_AT_MOST_ONCE);
	return 0;
}

/*
 * KILLS rounds: make two calls, one at least once (L) and one at most
 * once (M); the round's callee takes both and stops at the step; kill it;
 * check what the kernel made of each call; the next callee (restarted)
 * serves what is pending; collect both answers and check them.
 */
TEST_F_TIMEOUT(callee_kill, every_call_answered_as_promised, 120)
{
	struct shared *sh = self->sh;
	bool held = variant->step == AFTER_TAKE ||
		    variant->step == WHILE_WRITING;
	struct made calls[2], *L = &calls[0], *M = &calls[1];
	struct mbx_stats_args st;
	struct mbx_slot_info si;
	struct mbx_event ev[4];
	__u64 takes = 0;
	struct mbx_call c;
	int i, n;
	pid_t pid;

	if (!self->ready)
		return;
	sh->step = variant->step;
	for (i = 0; i <= KILLS; i++) {
		/* The next callee: restarted, then the round's. */
		sh->round = i;
		sh->stop = i == KILLS;
		memset(sh->restart, 0xcc, sizeof(sh->restart));
		memset(sh->at_step, 0xcc, sizeof(sh->at_step));
		pid = spawn(callee_child, sh);
		ASSERT_LT(0, pid);
		ASSERT_EQ(0, wait_ge(&sh->restarted, i + 1));

		if (i > 0) {
			/* What the restarted callee found of the last round. */
			if (variant->step == BEFORE_TAKE) {
				ASSERT_EQ(2, sh->nrestart);
			} else if (held) {
				ASSERT_EQ(1, sh->nrestart);
				EXPECT_EQ(L->id, sh->restart[0].call.call_id);
				EXPECT_EQ(2, sh->restart[0].call.delivery);
				EXPECT_EQ(MBX_CALL_REDELIVERED,
					  sh->restart[0].call.flags);
				EXPECT_TRUE(sh->restart[0].reply_zero);
			} else {
				ASSERT_EQ(0, sh->nrestart);
			}
			EXPECT_EQ(-EAGAIN, sh->restart[sh->nrestart].ret);
			for (n = 0; n < sh->nrestart; n++) {
				EXPECT_TRUE(sh->restart[n].plane_ok);
				EXPECT_EQ(0, sh->restart[n].complete_ret);
				takes++;
			}

			/* The caller's side: one answer each, as promised. */
			for (n = 0; n < 2; n++) {
				struct made *m = &calls[n];
				struct ledger_entry *le = ledger(sh, m->id);
				bool fails = m == M && held;

				ASSERT_EQ(0, call_collect(self->b.fd,
							  MBX_COLLECT_CALL,
							  m->slot, m->id, &c));
				EXPECT_EQ(m->id, c.call_id);
				EXPECT_EQ(m->tag, c.user_data);
				EXPECT_EQ(OPCODE, c.opcode);
				if (fails) {
					/* Never answered by anyone. */
					EXPECT_EQ(-EOWNERDEAD, c.status);
					EXPECT_EQ(0, c.len);
					EXPECT_EQ(1, c.delivery);
					EXPECT_EQ(m->flags, c.flags);
					EXPECT_TRUE(all_zero(reply_plane(&self->b,
									 m->slot),
							     SLOT_SIZE));
					EXPECT_EQ(0, atomic_load(&le->answered));
					EXPECT_EQ(variant->step == WHILE_WRITING,
						  atomic_load(&le->applied));
				} else {
					/* Answered once; the work done once. */
					EXPECT_EQ(0, c.status);
					EXPECT_EQ(REPLY_LEN, c.len);
					EXPECT_EQ(m == L && held ? 2 : 1,
						  c.delivery);
					EXPECT_EQ(m->flags |
						  (m == L && held ?
						   MBX_CALL_REDELIVERED : 0),
						  c.flags);
					EXPECT_TRUE(payload_ok(reply_plane(&self->b,
									   m->slot),
							       REPLY_LEN,
							       m->tag ^ REPLY_SALT));
					EXPECT_EQ(1, atomic_load(&le->answered));
					EXPECT_EQ(1, atomic_load(&le->applied));
				}
				ASSERT_EQ(0, slot_release(self->b.fd, m->slot));
			}
			if (_metadata->passed == 0) {
				TH_LOG("round %d of %d failed", i - 1, KILLS);
				break;
			}
		}
		if (i == KILLS) {
			bump(&sh->go);
			ASSERT_EQ(0, reap(pid));
			break;
		}

		/* This round: two calls, the callee stops at the step. */
		ASSERT_EQ(0, make_call(&self->b, sh, L,
				       ((__u64)getpid() << 32) | (2 * i), 0));
		ASSERT_EQ(0, make_call(&self->b, sh, M,
				       ((__u64)getpid() << 32) | (2 * i + 1),
				       MBX_CALL_AT_MOST_ONCE));
		bump(&sh->go);
		ASSERT_EQ(0, wait_ge(&sh->reached, i + 1)) {
			TH_LOG("round %d: the callee never reached step %d (exit %d)",
			       i, variant->step, kill_reap(pid));
		}
		if (variant->step != BEFORE_TAKE) {
			for (n = 0; n < 2; n++) {
				EXPECT_EQ(calls[n].id, sh->at_step[n].call.call_id);
				EXPECT_TRUE(sh->at_step[n].plane_ok);
				takes++;
			}
		}
		if (held) {
			for (n = 0; n < 2; n++) {
				ASSERT_EQ(0, slot_get(self->b.fd, calls[n].slot,
						      &si));
				EXPECT_EQ(MBX_STATE_TAKEN, si.state);
				EXPECT_EQ((__u32)pid, si.callee_pid);
			}
		}
		if (variant->step == AFTER_COMPLETE) {
			EXPECT_EQ(0, sh->at_step[0].complete_ret);
			EXPECT_EQ(0, sh->at_step[1].complete_ret);
		}
		ASSERT_EQ(128 + SIGKILL, kill_reap(pid));

		/*
		 * The session ended before waitpid() returned: what the
		 * callee held is already back, and the callers already told.
		 */
		for (n = 0; n < 2; n++) {
			struct made *m = &calls[n];

			ASSERT_EQ(0, slot_get(self->b.fd, m->slot, &si));
			EXPECT_EQ(m->id, si.call_id);
			EXPECT_EQ(0, si.callee_pid);
			EXPECT_TRUE(payload_ok(call_plane(&self->b, m->slot),
					       CALL_LEN, m->tag));
			if (held && m == M) {
				EXPECT_EQ(MBX_STATE_REPLIED, si.state);
				EXPECT_EQ(-EOWNERDEAD, si.status);
				EXPECT_EQ(0, si.reply_len);
				/* Nothing of the half-written result is left. */
				EXPECT_TRUE(all_zero(reply_plane(&self->b,
								 m->slot),
						     SLOT_SIZE));
			} else if (held) {
				EXPECT_EQ(MBX_STATE_PENDING, si.state);
				EXPECT_EQ(MBX_CALL_REDELIVERED, si.flags);
				EXPECT_EQ(1, si.delivery);
				EXPECT_TRUE(all_zero(reply_plane(&self->b,
								 m->slot),
						     SLOT_SIZE));
			} else if (variant->step == BEFORE_TAKE) {
				EXPECT_EQ(MBX_STATE_PENDING, si.state);
				EXPECT_EQ(m->flags, si.flags);
				EXPECT_EQ(0, si.delivery);
			} else {
				EXPECT_EQ(MBX_STATE_REPLIED, si.state);
				EXPECT_EQ(0, si.status);
				EXPECT_EQ(REPLY_LEN, si.reply_len);
			}
		}
		if (held) {
			bool seen_l = false, seen_m = false;

			ASSERT_EQ(POLLPRI, poll_for(self->b.fd, POLLPRI,
						    SAFETY_MS) & POLLPRI);
			ASSERT_EQ(2, events_read(self->b.fd, ev, 4));
			for (n = 0; n < 2; n++) {
				EXPECT_EQ(MBX_EVENT_CALLEE_DIED, ev[n].type);
				if (ev[n].call_id == L->id) {
					seen_l = true;
					EXPECT_EQ(L->slot, ev[n].slot);
					EXPECT_EQ(0, ev[n].status);
				} else if (ev[n].call_id == M->id) {
					seen_m = true;
					EXPECT_EQ(M->slot, ev[n].slot);
					EXPECT_EQ(-EOWNERDEAD, ev[n].status);
				}
			}
			EXPECT_TRUE(seen_l && seen_m);
		}
		EXPECT_EQ(0, poll_for(self->b.fd, POLLPRI, 0));
	}

	/* No slot leaked; the counters tell the same story. */
	ASSERT_EQ(0, box_stats(self->b.fd, &st));
	EXPECT_EQ(NSLOTS, st.out_free);
	EXPECT_EQ(0, st.out_owned + st.out_pending + st.out_taken_now +
		     st.out_replied);
	EXPECT_EQ(1, st.out_sessions);
	EXPECT_EQ(2 * KILLS, st.out_submitted);
	EXPECT_EQ(2 * KILLS, st.out_completed);
	EXPECT_EQ(takes, st.out_taken);
	EXPECT_EQ(0, st.out_cancelled);
	EXPECT_EQ(held ? 2 * KILLS : 0, st.out_owner_died);
	EXPECT_EQ(held ? KILLS : 0, st.out_redelivered);
	for (n = 0; n < NSLOTS; n++) {
		ASSERT_EQ(0, slot_get(self->b.fd, n, &si));
		EXPECT_EQ(MBX_STATE_FREE, si.state);
	}
}

/* ------------------------------------------------------------------ */
/* Callee killed at random points of a running service                  */

/*
 * Serve until killed: the work is done once per call id. Each call pauses
 * (or not) at a point of its own choosing, so that kills land everywhere:
 * right after the take, half way through the reply, or in a system call.
 */
static int server_child(void *arg)
{
	struct shared *sh = arg;
	__u64 seed = getpid();
	struct tbox b;
	struct mbx_call c;
	int ret;

	if (tbox_open(&b, sh->name))
		return 10;
	for (;;) {
		struct ledger_entry *le;
		unsigned char *reply;
		__u32 expect = 0;
		int pause;

		ret = call_take(b.fd, 0, &c);
		if (ret == -ETIMEDOUT)
			return 0;
		if (ret)
			return 12;
		le = ledger(sh, c.call_id);
		if (!le || c.slot >= b.nslots)
			return 13;
		atomic_fetch_add(&le->takes, 1);
		bump(&sh->takes);
		pause = mix64(seed ^ c.call_id) % 4;
		if (pause == 1)
			usleep(200);
		reply = reply_plane(&b, c.slot);
		if (!payload_ok(call_plane(&b, c.slot), c.len, c.user_data))
			atomic_fetch_add(&sh->bad_plane, 1);
		if (c.delivery > 1 && !all_zero(reply, b.slot_size))
			atomic_fetch_add(&sh->bad_zero, 1);
		atomic_compare_exchange_strong(&le->applied, &expect, 1);
		payload_fill(reply, REPLY_LEN, c.user_data ^ REPLY_SALT);
		/* Half written: the second half is still wrong. */
		memset(reply + REPLY_LEN / 2, 0xee, REPLY_LEN - REPLY_LEN / 2);
		if (pause == 2)
			usleep(200);
		else if (pause == 3)
			sched_yield();
		payload_fill(reply, REPLY_LEN, c.user_data ^ REPLY_SALT);
		if (!call_complete(b.fd, c.slot, c.call_id, 0, REPLY_LEN))
			atomic_fetch_add(&le->answered, 1);
	}
}

struct stress_state {
	__u64 submitted;
	__u64 collected;
	__u64 sum_delivery;
	__u64 sum_redelivered;
	__u64 owner_dead;
	__u64 ok;
	__u64 slot_id[NSLOTS];
	__u64 slot_tag[NSLOTS];
	int errors;
};

static __u64 rnd_state;

static __u64 rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* Fill every free slot with a new call: at most once every other one. */
static int stress_refill(struct tbox *b, struct shared *sh,
			 struct stress_state *s)
{
	while (s->submitted < LEDGER_MAX - 2 * NSLOTS) {
		__u64 tag = ((__u64)getpid() << 32) | s->submitted, id;
		__u32 flags = s->submitted & 1 ? MBX_CALL_AT_MOST_ONCE : 0;
		int slot = acquire_any(b->fd, MBX_WAIT_NONBLOCK, NULL);

		if (slot == -EAGAIN)
			return 0;
		if (slot < 0 || slot >= NSLOTS)
			return -EIO;
		payload_fill(call_plane(b, slot), CALL_LEN, tag);
		if (call_submit(b->fd, slot, CALL_LEN, flags, tag, &id) ||
		    !ledger(sh, id))
			return -EIO;
		ledger(sh, id)->amo = !!flags;
		s->slot_id[slot] = id;
		s->slot_tag[slot] = tag;
		s->submitted++;
	}
	return 0;
}

/* Check a collected reply against the promise of its call, release it. */
static void stress_account(struct tbox *b, struct shared *sh,
			   struct stress_state *s, const struct mbx_call *c)
{
	struct ledger_entry *le = ledger(sh, c->call_id);
	bool good, amo = c->flags & MBX_CALL_AT_MOST_ONCE;

	s->collected++;
	s->sum_delivery += c->delivery;
	if (c->delivery > 1)
		s->sum_redelivered += c->delivery - 1;
	good = le && c->slot < NSLOTS && c->call_id == s->slot_id[c->slot] &&
	       c->user_data == s->slot_tag[c->slot] && le->amo == amo &&
	       atomic_fetch_add(&le->collected, 1) == 0;
	if (good && c->status == 0) {
		s->ok++;
		/* The reply is whole and the work was done once. */
		good = c->len == REPLY_LEN &&
		       payload_ok(reply_plane(b, c->slot), REPLY_LEN,
				  c->user_data ^ REPLY_SALT) &&
		       atomic_load(&le->applied) == 1;
	} else if (good) {
		s->owner_dead++;
		/* Failed: never answered by anyone, nothing left of it. */
		good = amo && c->status == -EOWNERDEAD && c->len == 0 &&
		       atomic_load(&le->answered) == 0 &&
		       all_zero(reply_plane(b, c->slot), SLOT_SIZE);
	}
	if (amo)
		good = good && c->delivery == 1 &&
		       !(c->flags & MBX_CALL_REDELIVERED);
	else
		good = good && c->delivery >= 1 &&
		       !!(c->flags & MBX_CALL_REDELIVERED) ==
		       (c->delivery > 1);
	if (!good && s->errors++ < 5)
		fprintf(stderr, "#  bad reply: id %llu slot %u status %d len %u delivery %u flags 0x%x\n",
			(unsigned long long)c->call_id, c->slot, c->status,
			c->len, c->delivery, c->flags);
	if (c->slot < NSLOTS)
		s->slot_id[c->slot] = 0;
	if (slot_release(b->fd, c->slot))
		s->errors++;
}

/* Collect every reply that is ready. */
static void stress_drain(struct tbox *b, struct shared *sh,
			 struct stress_state *s)
{
	struct mbx_call c;

	while (!call_collect(b->fd, MBX_WAIT_NONBLOCK, 0, 0, &c))
		stress_account(b, sh, s, &c);
}

FIXTURE(callee_random_kill) {
	struct tbox b;
	struct shared *sh;
	bool ready;
};

FIXTURE_SETUP(callee_random_kill)
{
	int fd;

	self->b.fd = -1;
	self->sh = shm_alloc(sizeof(*self->sh));
	ASSERT_NE(NULL, self->sh);
	mbx_unique_name(self->sh->name, "rk");
	fd = box_create(self->sh->name, NSLOTS, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, tbox_attach(&self->b, fd));
	rnd_state = mbx_now_ns() ^ ((__u64)getpid() << 20) ^
		    0x2545f4914f6cdd1dULL;
	self->ready = true;
}

FIXTURE_TEARDOWN(callee_random_kill)
{
	if (!self->ready)
		return;
	tbox_close(&self->b);
	box_destroy(self->sh->name);
	munmap(self->sh, sizeof(*self->sh));
}

/*
 * A service under load, half its calls at most once, its callee killed
 * KILLS times at random points (in the take, in the work, half way
 * through a reply, in the completion, idle) and restarted each time; one
 * last callee then drains what is left.
 */
TEST_F_TIMEOUT(callee_random_kill, every_call_answered_as_promised, 90)
{
	struct shared *sh = self->sh;
	struct stress_state s;
	struct mbx_stats_args st;
	struct mbx_call c;
	__u64 id, takes = 0;
	int k;
	pid_t pid;

	if (!self->ready)
		return;
	memset(&s, 0, sizeof(s));
	TH_LOG("seed 0x%llx", (unsigned long long)rnd_state);
	for (k = 0; k < KILLS; k++) {
		__u32 before = atomic_load(&sh->takes);
		unsigned int spin, delay = rnd() % 20000;
		__u32 nth;

		ASSERT_EQ(0, stress_refill(&self->b, sh, &s));
		ASSERT_LT(s.collected, s.submitted);
		nth = 1 + rnd() % (s.submitted - s.collected);
		pid = spawn(server_child, sh);
		ASSERT_LT(0, pid);
		/* Kill it about the nth call it takes, somewhere in it. */
		ASSERT_EQ(0, wait_ge(&sh->takes, before + nth));
		switch (rnd() % 4) {
		case 0:
			break;
		case 1:
			sched_yield();
			break;
		case 2:
			usleep(delay % 300);
			break;
		default:
			for (spin = 0; spin < delay; spin++)
				__asm__ __volatile__("" ::: "memory");
		}
		ASSERT_EQ(128 + SIGKILL, kill_reap(pid));
		stress_drain(&self->b, sh, &s);
		ASSERT_EQ(0, s.errors);
	}
	/* A last callee, left alone, answers what is left. */
	pid = spawn(server_child, sh);
	ASSERT_LT(0, pid);
	while (s.collected < s.submitted) {
		ASSERT_EQ(0, call_collect(self->b.fd, 0, 0, 0, &c));
		stress_account(&self->b, sh, &s, &c);
		stress_drain(&self->b, sh, &s);
		ASSERT_EQ(0, s.errors);
	}
	ASSERT_EQ(128 + SIGKILL, kill_reap(pid));

	/* Every call collected once; its work done once if it was answered. */
	EXPECT_EQ(0, atomic_load(&sh->bad_plane));
	EXPECT_EQ(0, atomic_load(&sh->bad_zero));
	for (id = 1; id <= s.submitted; id++) {
		struct ledger_entry *le = &sh->ledger[id];

		EXPECT_EQ(1, atomic_load(&le->collected));
		EXPECT_GE(1, atomic_load(&le->answered));
		if (le->amo) {
			EXPECT_GE(1, atomic_load(&le->takes));
		} else {
			/* At least once: the work was done, exactly once. */
			EXPECT_EQ(1, atomic_load(&le->applied));
		}
		EXPECT_GE(1, atomic_load(&le->applied));
		takes += atomic_load(&le->takes);
	}
	/* A callee can die between its take and its ledger entry. */
	EXPECT_GE(s.sum_delivery, takes);

	ASSERT_EQ(0, box_stats(self->b.fd, &st));
	EXPECT_EQ(NSLOTS, st.out_free);
	EXPECT_EQ(s.submitted, st.out_submitted);
	EXPECT_EQ(s.submitted, st.out_completed);
	EXPECT_EQ(s.sum_delivery, st.out_taken);
	EXPECT_EQ(s.sum_redelivered, st.out_redelivered);
	EXPECT_EQ(s.sum_redelivered + s.owner_dead, st.out_owner_died);
	TH_LOG("%d kills: %llu calls, %llu answered, %llu failed -EOWNERDEAD, %llu redeliveries",
	       KILLS, (unsigned long long)s.collected,
	       (unsigned long long)s.ok, (unsigned long long)s.owner_dead,
	       (unsigned long long)s.sum_redelivered);
	/* The kills did land in the middle of calls, not only between. */
	EXPECT_LE(KILLS / 4, s.owner_dead + s.sum_redelivered);
	EXPECT_LT(0, s.owner_dead);
	EXPECT_LT(0, s.sum_redelivered);
}

/* ------------------------------------------------------------------ */
/* Caller killed at each step                                           */

enum restart_mode {
	ANSWERED_BEFORE,	/* the reply is there when the caller is back */
	TAKEN_AT_ADOPTION,	/* answered after the new caller adopted it */
	PENDING_AT_ADOPTION,	/* taken after the new caller adopted it */
	CANCELLED,		/* the new caller cancels instead */
	NMODES,
};

/*
 * A caller. Restarted, it first deals with the call its killed
 * predecessor logged (sh->slot, sh->id, the stand-in for a caller's
 * durable log): it collects the reply by call id, adopting the call, or
 * cancels it. Then it makes the round's call, logs it, and stops at the
 * round's step, where the test kills it.
 */
static int caller_child(void *arg)
{
	struct shared *sh = arg;
	struct seen *s = &sh->restart[0];
	int round = sh->round, slot;
	struct mbx_call c;
	struct tbox b;
	__u64 id;

	if (tbox_open(&b, sh->name))
		return 10;
	if (round > 0) {
		if (sh->mode == CANCELLED)
			s->cancel_ret = call_cancel(b.fd, sh->slot, sh->id,
						    &s->cancel_state);
		s->ret = call_collect(b.fd, MBX_COLLECT_CALL, sh->slot, sh->id,
				      &c);
		if (!s->ret) {
			s->call = c;
			if (c.status == 0)
				s->reply_ok = payload_ok(reply_plane(&b, sh->slot),
							 c.len,
							 sh->tag ^ REPLY_SALT);
			atomic_fetch_add(&ledger(sh, sh->id)->collected, 1);
			if (slot_release(b.fd, sh->slot))
				return 11;
		}
	}
	bump(&sh->restarted);
	if (wait_ge(&sh->go, round + 1))
		return 12;
	if (sh->stop)
		return 0;

	slot = acquire_any(b.fd, MBX_WAIT_NONBLOCK, NULL);
	if (slot < 0)
		return 13;
	payload_fill(call_plane(&b, slot), CALL_LEN, sh->tag);
	if (call_submit(b.fd, slot, CALL_LEN, 0, sh->tag, &id) ||
	    !ledger(sh, id))
		return 14;
	sh->slot = slot;
	sh->id = id;
	bump(&sh->logged);
	if (sh->step == AFTER_SUBMIT) {
		bump(&sh->reached);
		hang();
	}
	if (!(poll_for(b.fd, POLLRDBAND, SAFETY_MS) & POLLRDBAND))
		return 15;
	if (sh->step == AFTER_REPLY) {
		bump(&sh->reached);
		hang();
	}
	s = &sh->at_step[0];
	s->ret = call_collect(b.fd, 0, 0, 0, &c);
	if (s->ret)
		return 16;
	s->call = c;
	s->reply_ok = payload_ok(reply_plane(&b, slot), c.len,
				 sh->tag ^ REPLY_SALT);
	atomic_fetch_add(&ledger(sh, id)->collected, 1);
	bump(&sh->reached);
	hang();
	return 0;
}

/* Wait until the new caller @pid adopted the call in @slot. */
static int wait_adopted(int fd, __u32 slot, pid_t pid)
{
	__u64 end = deadline(SAFETY_MS);
	struct mbx_slot_info si;

	do {
		if (slot_get(fd, slot, &si))
			return -EIO;
		if (si.caller_pid == (__u32)pid)
			return 0;
		usleep(500);
	} while (mbx_now_ns() < end);
	return -ETIMEDOUT;
}

FIXTURE(caller_kill) {
	struct tbox b;		/* the callee's */
	struct shared *sh;
	bool ready;
};

FIXTURE_VARIANT(caller_kill) {
	int step;
};

FIXTURE_VARIANT_ADD(caller_kill, after_submit) {
	.step = AFTER_SUBMIT,
};

FIXTURE_VARIANT_ADD(caller_kill, after_reply) {
	.step = AFTER_REPLY,
};

FIXTURE_VARIANT_ADD(caller_kill, holding_collected_slot) {
	.step = HOLDING,
};

FIXTURE_SETUP(caller_kill)
{
	int fd;

	self->b.fd = -1;
	self->sh = shm_alloc(sizeof(*self->sh));
	ASSERT_NE(NULL, self->sh);
	mbx_unique_name(self->sh->name, "cr");
	fd = box_create(self->sh->name, NSLOTS, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, tbox_attach(&self->b, fd));
	self->ready = true;
}

FIXTURE_TEARDOWN(caller_kill)
{
	if (!self->ready)
		return;
	tbox_close(&self->b);
	box_destroy(self->sh->name);
	munmap(self->sh, sizeof(*self->sh));
}

/*
 * KILLS rounds: a caller makes a call and is killed at the step; the next
 * caller, knowing only the (slot, call id) the old one logged, collects
 * the reply, adopting the call, or cancels it. After a submit the callee
 * (this process) answers before the new caller is back, or after it
 * adopted the call, taken before or after. A caller killed holding the
 * slot it collected already had its answer: the slot is freed with its
 * call plane, the next owner is told, and the late collector is told
 * EALREADY.
 */
TEST_F_TIMEOUT(caller_kill, restarted_caller_collects_or_cancels, 120)
{
	struct shared *sh = self->sh;
	struct seen *s = &sh->restart[0];
	__u64 cancelled = 0, takes = 0, id = 0, tag = 0;
	struct mbx_stats_args st;
	struct mbx_slot_info si;
	struct mbx_event ev[4];
	struct ledger_entry *le = NULL;
	struct mbx_call c;
	int i, n, mode = 0;
	__u32 slot = 0, oflags;
	pid_t pid;

	if (!self->ready)
		return;
	sh->step = variant->step;
	for (i = 0; i <= KILLS; i++) {
		/* The next caller: restarted, then the round's. */
		sh->round = i;
		sh->stop = i == KILLS;
		sh->mode = mode;
		memset(sh->restart, 0xcc, sizeof(sh->restart));
		memset(sh->at_step, 0xcc, sizeof(sh->at_step));
		s->cancel_ret = 1;
		pid = spawn(caller_child, sh);
		ASSERT_LT(0, pid);
		if (i > 0 && (mode == TAKEN_AT_ADOPTION ||
			      mode == PENDING_AT_ADOPTION)) {
			ASSERT_EQ(0, wait_adopted(self->b.fd, slot, pid));
			if (mode == PENDING_AT_ADOPTION) {
				ASSERT_EQ(0, call_take(self->b.fd,
						       MBX_WAIT_NONBLOCK, &c));
				ASSERT_EQ(id, c.call_id);
				EXPECT_EQ(MBX_CALL_CALLER_GONE |
					  MBX_CALL_ADOPTED, c.flags);
				takes++;
			}
			ASSERT_EQ(0, answer(&self->b, slot, id, tag));
		}
		ASSERT_EQ(0, wait_ge(&sh->restarted, i + 1));

		if (i > 0) {
			/* What the restarted caller got of the last round. */
			if (variant->step == HOLDING) {
				EXPECT_EQ(-EALREADY, s->ret);
				EXPECT_EQ(1, atomic_load(&le->collected));
				/* The next owner of the slot is told. */
				ASSERT_EQ(0, acquire_slot(self->b.fd, slot,
							  MBX_WAIT_NONBLOCK,
							  &oflags));
				EXPECT_EQ(MBX_ACQUIRED_OWNER_DIED, oflags);
				ASSERT_EQ(0, slot_release(self->b.fd, slot));
				ASSERT_EQ(0, acquire_slot(self->b.fd, slot,
							  MBX_WAIT_NONBLOCK,
							  &oflags));
				EXPECT_EQ(0, oflags);
				ASSERT_EQ(0, slot_release(self->b.fd, slot));
			} else if (mode == CANCELLED) {
				EXPECT_EQ(0, s->cancel_ret);
				EXPECT_EQ(MBX_STATE_PENDING, s->cancel_state);
				ASSERT_EQ(0, s->ret);
				EXPECT_EQ(-ECANCELED, s->call.status);
				EXPECT_EQ(0, s->call.len);
				EXPECT_EQ(MBX_CALL_CALLER_GONE |
					  MBX_CALL_ADOPTED, s->call.flags);
				EXPECT_EQ(1, atomic_load(&le->collected));
				EXPECT_EQ(-EAGAIN, call_take(self->b.fd,
							     MBX_WAIT_NONBLOCK,
							     &c));
				cancelled++;
			} else {
				ASSERT_EQ(0, s->ret);
				EXPECT_EQ(id, s->call.call_id);
				EXPECT_EQ(tag, s->call.user_data);
				EXPECT_EQ(0, s->call.status);
				EXPECT_EQ(REPLY_LEN, s->call.len);
				EXPECT_EQ(1, s->call.delivery);
				EXPECT_EQ(MBX_CALL_CALLER_GONE |
					  MBX_CALL_ADOPTED, s->call.flags);
				EXPECT_TRUE(s->reply_ok);
				/* Answered once, collected once. */
				EXPECT_EQ(1, atomic_load(&le->collected));
			}
			ASSERT_EQ(0, slot_get(self->b.fd, slot, &si));
			EXPECT_EQ(MBX_STATE_FREE, si.state);
			if (_metadata->passed == 0) {
				TH_LOG("round %d of %d (mode %d) failed",
				       i - 1, KILLS, mode);
				break;
			}
		}
		if (i == KILLS) {
			bump(&sh->go);
			ASSERT_EQ(0, reap(pid));
			break;
		}

		/* This round: a call, the caller stops at the step. */
		mode = variant->step == AFTER_SUBMIT ? i % NMODES :
		       ANSWERED_BEFORE;
		tag = ((__u64)getpid() << 32) | i;
		sh->tag = tag;
		bump(&sh->go);
		ASSERT_EQ(0, wait_ge(&sh->logged, i + 1));
		slot = sh->slot;
		id = sh->id;
		le = ledger(sh, id);
		ASSERT_NE(NULL, le);
		if (variant->step != AFTER_SUBMIT || mode == TAKEN_AT_ADOPTION) {
			ASSERT_EQ(0, call_take(self->b.fd, MBX_WAIT_NONBLOCK,
					       &c));
			ASSERT_EQ(id, c.call_id);
			EXPECT_EQ(0, c.flags);
			takes++;
		}
		if (variant->step != AFTER_SUBMIT)
			ASSERT_EQ(0, answer(&self->b, slot, id, tag));
		ASSERT_EQ(0, wait_ge(&sh->reached, i + 1));
		ASSERT_EQ(128 + SIGKILL, kill_reap(pid));

		ASSERT_EQ(0, slot_get(self->b.fd, slot, &si));
		EXPECT_EQ(id, si.call_id);
		EXPECT_EQ(0, si.caller_pid);
		EXPECT_EQ(0, si.owner_pid);
		if (variant->step == HOLDING) {
			/* Collected: the slot is simply given back. */
			EXPECT_EQ(MBX_STATE_FREE, si.state);
			EXPECT_EQ(1, atomic_load(&le->collected));
			EXPECT_EQ(0, sh->at_step[0].ret);
			EXPECT_EQ(0, sh->at_step[0].call.status);
			EXPECT_TRUE(sh->at_step[0].reply_ok);
			EXPECT_TRUE(all_zero(call_plane(&self->b, slot),
					     SLOT_SIZE));
		} else {
			EXPECT_EQ(MBX_CALL_CALLER_GONE,
				  si.flags & MBX_CALL_CALLER_GONE);
			EXPECT_EQ(mode == TAKEN_AT_ADOPTION ? MBX_STATE_TAKEN :
				  variant->step == AFTER_REPLY ?
				  MBX_STATE_REPLIED : MBX_STATE_PENDING,
				  si.state);
		}
		if (mode == TAKEN_AT_ADOPTION) {
			/* The callee working on it is told. */
			ASSERT_EQ(POLLPRI, poll_for(self->b.fd, POLLPRI,
						    SAFETY_MS) & POLLPRI);
			ASSERT_EQ(1, events_read(self->b.fd, ev, 4));
			EXPECT_EQ(MBX_EVENT_CALLER_GONE, ev[0].type);
			EXPECT_EQ(id, ev[0].call_id);
		}
		EXPECT_EQ(0, poll_for(self->b.fd, POLLPRI, 0));
		if (variant->step == AFTER_SUBMIT && mode == ANSWERED_BEFORE) {
			ASSERT_EQ(0, call_take(self->b.fd, MBX_WAIT_NONBLOCK,
					       &c));
			ASSERT_EQ(id, c.call_id);
			EXPECT_EQ(MBX_CALL_CALLER_GONE, c.flags);
			ASSERT_EQ(0, answer(&self->b, slot, id, tag));
			takes++;
		}
	}

	ASSERT_EQ(0, box_stats(self->b.fd, &st));
	EXPECT_EQ(NSLOTS, st.out_free);
	EXPECT_EQ(1, st.out_sessions);
	EXPECT_EQ(KILLS, st.out_submitted);
	EXPECT_EQ(takes, st.out_taken);
	EXPECT_EQ(KILLS - cancelled, st.out_completed);
	EXPECT_EQ(cancelled, st.out_cancelled);
	EXPECT_EQ(variant->step == HOLDING ? KILLS : 0, st.out_owner_died);
	EXPECT_EQ(0, st.out_redelivered);
	EXPECT_EQ(0, st.out_reclaimed);
	for (n = 0; n < NSLOTS; n++) {
		ASSERT_EQ(0, slot_get(self->b.fd, n, &si));
		EXPECT_EQ(MBX_STATE_FREE, si.state);
	}
}

/* ------------------------------------------------------------------ */
/* Reclaim                                                              */

/* A caller that submits sh->mode calls, logs them, and waits to die. */
static int many_caller_child(void *arg)
{
	struct shared *sh = arg;
	struct tbox b;
	int i, slot;

	if (tbox_open(&b, sh->name))
		return 10;
	for (i = 0; i < sh->mode; i++) {
		__u64 id;

		slot = acquire_any(b.fd, MBX_WAIT_NONBLOCK, NULL);
		if (slot < 0)
			return 11;
		payload_fill(call_plane(&b, slot), CALL_LEN, sh->tag + i);
		if (call_submit(b.fd, slot, CALL_LEN, 0, sh->tag + i, &id))
			return 12;
	}
	bump(&sh->reached);
	hang();
	return 0;
}

/*
 * Make @ncalls calls from a caller that then dies; answer @answered of
 * them. Returns the newest reply time, or 0 on failure.
 */
static __u64 orphan_calls(struct tbox *b, struct shared *sh, int ncalls,
			  int answered)
{
	struct mbx_slot_info si;
	struct mbx_call c;
	__u64 newest = 0;
	pid_t pid;
	int i;

	sh->mode = ncalls;
	sh->tag = (__u64)getpid() << 32;
	atomic_store(&sh->reached, 0);
	pid = spawn(many_caller_child, sh);
	if (pid < 0 || wait_ge(&sh->reached, 1))
		return 0;
	for (i = 0; i < answered; i++) {
		if (call_take(b->fd, MBX_WAIT_NONBLOCK, &c) ||
		    answer(b, c.slot, c.call_id, c.user_data) ||
		    slot_get(b->fd, c.slot, &si))
			return 0;
		if (si.reply_ns > newest)
			newest = si.reply_ns;
	}
	if (kill_reap(pid) != 128 + SIGKILL)
		return 0;
	return newest ? newest : 1;
}

struct reclaim_box {
	struct tbox b;
	struct shared *sh;
};

static int reclaim_setup(struct reclaim_box *rb, __u32 nslots,
			 __u64 reclaim_ns)
{
	int fd;

	rb->b.fd = -1;
	rb->sh = shm_alloc(sizeof(*rb->sh));
	if (!rb->sh)
		return -ENOMEM;
	mbx_unique_name(rb->sh->name, "rc");
	fd = box_create(rb->sh->name, nslots, reclaim_ns);
	if (fd < 0)
		return fd;
	return tbox_attach(&rb->b, fd);
}

static void reclaim_teardown(struct reclaim_box *rb)
{
	tbox_close(&rb->b);
	box_destroy(rb->sh->name);
	munmap(rb->sh, sizeof(*rb->sh));
}

/*
 * MBX_IOC_BOX_RECLAIM frees the replies whose caller is gone, answered at
 * least min_age_ns ago; not a reply whose caller is alive, not a call
 * still unanswered. A late collector of a reclaimed call gets EALREADY.
 */
TEST(reclaim_ioctl_frees_orphaned_replies_only)
{
	struct reclaim_box rb;
	struct mbx_stats_args st;
	struct mbx_slot_info si;
	struct mbx_call c;
	__u64 own_id, pending_id = 0;
	int slot, own, i;

	ASSERT_EQ(0, reclaim_setup(&rb, 4, 0));

	/* Slot 3: a reply whose caller (this process) is alive. */
	own = acquire_slot(rb.b.fd, 3, MBX_WAIT_NONBLOCK, NULL);
	ASSERT_EQ(0, own);
	payload_fill(call_plane(&rb.b, 3), CALL_LEN, 77);
	ASSERT_EQ(0, call_submit(rb.b.fd, 3, CALL_LEN, 0, 77, &own_id));
	ASSERT_EQ(0, call_take(rb.b.fd, MBX_WAIT_NONBLOCK, &c));
	ASSERT_EQ(0, answer(&rb.b, 3, own_id, 77));

	/* Three calls whose caller dies: two answered, one pending. */
	ASSERT_NE(0, orphan_calls(&rb.b, rb.sh, 3, 2));
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, slot_get(rb.b.fd, i, &si));
		if (si.state == MBX_STATE_PENDING)
			pending_id = si.call_id;
	}
	ASSERT_NE(0, pending_id);

	EXPECT_EQ(0, box_reclaim(rb.b.fd, 3600ULL * 1000000000ULL));
	EXPECT_EQ(2, box_reclaim(rb.b.fd, 0));
	ASSERT_EQ(0, box_stats(rb.b.fd, &st));
	EXPECT_EQ(2, st.out_reclaimed);
	EXPECT_EQ(2, st.out_free);
	EXPECT_EQ(1, st.out_pending);
	EXPECT_EQ(1, st.out_replied);

	/* The orphan still pending is answered, then reclaimable too. */
	ASSERT_EQ(0, call_take(rb.b.fd, MBX_WAIT_NONBLOCK, &c));
	ASSERT_EQ(pending_id, c.call_id);
	EXPECT_EQ(MBX_CALL_CALLER_GONE, c.flags);
	ASSERT_EQ(0, answer(&rb.b, c.slot, c.call_id, c.user_data));
	EXPECT_EQ(1, box_reclaim(rb.b.fd, 0));
	EXPECT_EQ(-EALREADY, call_collect(rb.b.fd,
					  MBX_COLLECT_CALL | MBX_WAIT_NONBLOCK,
					  c.slot, c.call_id, &c));

	/* The live caller's reply was left alone. */
	ASSERT_EQ(0, call_collect(rb.b.fd, MBX_WAIT_NONBLOCK, 0, 0, &c));
	EXPECT_EQ(own_id, c.call_id);
	EXPECT_TRUE(payload_ok(reply_plane(&rb.b, 3), REPLY_LEN,
			       77 ^ REPLY_SALT));
	ASSERT_EQ(0, slot_release(rb.b.fd, 3));

	ASSERT_EQ(0, box_stats(rb.b.fd, &st));
	EXPECT_EQ(3, st.out_reclaimed);
	EXPECT_EQ(4, st.out_free);
	/* Nothing is reclaimed without an age set: a full box stays full. */
	for (i = 0; i < 4; i++)
		ASSERT_LE(0, acquire_any(rb.b.fd, MBX_WAIT_NONBLOCK, NULL));
	slot = acquire_any(rb.b.fd, MBX_WAIT_NONBLOCK, NULL);
	EXPECT_EQ(-EAGAIN, slot);
	reclaim_teardown(&rb);
}

#define RECLAIM_NS	(300ULL * 1000000ULL)

/*
 * With reclaim_ns set, replies whose caller is gone are freed once older
 * than reclaim_ns, and not before: an acquirer of any slot that finds
 * none free gets one of them then, even one that was already waiting.
 */
TEST(reclaim_age_frees_orphans_when_old_not_before)
{
	struct reclaim_box rb;
	struct mbx_stats_args st;
	struct mbx_slot_info si;
	__u64 oldest = ~0ULL, got;
	int slot, other, i;

	ASSERT_EQ(0, reclaim_setup(&rb, 2, RECLAIM_NS));
	ASSERT_LT(1, orphan_calls(&rb.b, rb.sh, 2, 2));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, slot_get(rb.b.fd, i, &si));
		ASSERT_EQ(MBX_STATE_REPLIED, si.state);
		if (si.reply_ns < oldest)
			oldest = si.reply_ns;
	}

	slot = acquire_any(rb.b.fd, MBX_WAIT_NONBLOCK, NULL);
	got = mbx_now_ns();
	if (got < oldest + RECLAIM_NS) {
		EXPECT_EQ(-EAGAIN, slot);
		/* Waits: no slot is free and the orphans are young. */
		slot = acquire_any(rb.b.fd, 0, NULL);
		got = mbx_now_ns();
	} else {
		TH_LOG("too slow to see the replies young");
	}
	ASSERT_LE(0, slot) {
		TH_LOG("acquire any: %s %llu ms after the first orphan came of age",
		       strerror(-slot),
		       (unsigned long long)(got - oldest - RECLAIM_NS) / 1000000);
	}
	/* Not freed before its age. */
	EXPECT_LE(oldest + RECLAIM_NS, got);
	/* Both were old enough by now. */
	other = acquire_any(rb.b.fd, 0, NULL);
	EXPECT_EQ(1 - slot, other);
	ASSERT_EQ(0, box_stats(rb.b.fd, &st));
	EXPECT_EQ(2, st.out_reclaimed);
	EXPECT_EQ(2, st.out_owned);
	EXPECT_EQ(0, st.out_replied);
	EXPECT_EQ(0, slot_release(rb.b.fd, slot));
	EXPECT_EQ(0, slot_release(rb.b.fd, other));
	reclaim_teardown(&rb);
}

/*
 * Nobody needs to ask: the orphaned replies are freed by themselves once
 * older than reclaim_ns, and the census shows it.
 */
TEST(reclaim_age_frees_orphans_by_itself)
{
	struct reclaim_box rb;
	struct mbx_stats_args st;
	struct mbx_slot_info si;
	__u64 newest, end, seen;
	int i, nfree;

	ASSERT_EQ(0, reclaim_setup(&rb, 2, RECLAIM_NS));
	newest = orphan_calls(&rb.b, rb.sh, 2, 2);
	ASSERT_LT(1, newest);
	end = deadline(SAFETY_MS);
	do {
		usleep(10000);
		seen = mbx_now_ns();
		for (i = 0, nfree = 0; i < 2; i++) {
			ASSERT_EQ(0, slot_get(rb.b.fd, i, &si));
			if (si.state == MBX_STATE_FREE) {
				/* Not before it came of age. */
				EXPECT_LE(si.reply_ns + RECLAIM_NS, seen);
				nfree++;
			} else {
				ASSERT_EQ(MBX_STATE_REPLIED, si.state);
			}
		}
	} while (nfree < 2 && mbx_now_ns() < end);
	EXPECT_EQ(2, nfree);
	TH_LOG("both freed %llu ms after the younger came of age",
	       (unsigned long long)(seen - newest - RECLAIM_NS) / 1000000);
	ASSERT_EQ(0, box_stats(rb.b.fd, &st));
	EXPECT_EQ(2, st.out_reclaimed);
	EXPECT_EQ(2, st.out_free);
	reclaim_teardown(&rb);
}

/* ------------------------------------------------------------------ */
/* Statefulness                                                         */

#define STATE_CALLS	4

/* Shared by the generations: the first caller's log of its calls. */
struct state_run {
	char name[MBX_NAME_MAX];
	_Atomic __u32 reached;
	_Atomic __u32 go;
	__u32 slot[STATE_CALLS];
	__u64 id[STATE_CALLS];
	__u64 tag[STATE_CALLS];
};

/* First generation caller: creates the mailbox, makes four calls. */
static int first_caller(void *arg)
{
	struct state_run *lg = arg;
	struct tbox b;
	int fd, i, slot;

	fd = box_create(lg->name, NSLOTS, 0);
	if (fd < 0 || tbox_attach(&b, fd))
		return 10;
	for (i = 0; i < STATE_CALLS; i++) {
		slot = acquire_any(b.fd, MBX_WAIT_NONBLOCK, NULL);
		if (slot < 0)
			return 11;
		lg->tag[i] = ((__u64)getpid() << 32) | i;
		payload_fill(call_plane(&b, slot), CALL_LEN, lg->tag[i]);
		if (call_submit(b.fd, slot, CALL_LEN, 0, lg->tag[i],
				&lg->id[i]))
			return 12;
		lg->slot[i] = slot;
	}
	bump(&lg->reached);
	/* Exits normally once told: its fd is closed, its calls stay. */
	if (wait_ge(&lg->go, 1))
		return 13;
	return 0;
}

/* First generation callee: answers two calls, dies holding the third. */
static int first_callee(void *arg)
{
	struct state_run *lg = arg;
	struct tbox b;
	struct mbx_call c;
	int i;

	if (tbox_open(&b, lg->name))
		return 10;
	for (i = 0; i < 3; i++) {
		if (call_take(b.fd, MBX_WAIT_NONBLOCK, &c))
			return 11;
		if (i < 2 && answer(&b, c.slot, c.call_id, c.user_data))
			return 12;
	}
	bump(&lg->reached);
	hang();
	return 0;
}

/*
 * Second generation caller: adopts all four calls by id, reads the two
 * answered, then gets the other two on its own reply list.
 */
static int second_caller(void *arg)
{
	struct state_run *lg = arg;
	struct tbox b;
	struct mbx_call c;
	int i, n, ret;

	if (tbox_open(&b, lg->name))
		return 10;
	for (i = 0; i < STATE_CALLS; i++) {
		ret = call_collect(b.fd, MBX_COLLECT_CALL | MBX_WAIT_NONBLOCK,
				   lg->slot[i], lg->id[i], &c);
		if (i < 2) {
			if (ret || c.status || c.len != REPLY_LEN ||
			    c.delivery != 1 ||
			    c.flags != (MBX_CALL_CALLER_GONE | MBX_CALL_ADOPTED) ||
			    !payload_ok(reply_plane(&b, lg->slot[i]), REPLY_LEN,
					lg->tag[i] ^ REPLY_SALT))
				return 20 + i;
			if (slot_release(b.fd, lg->slot[i]))
				return 30;
		} else if (ret != -EAGAIN) {
			/* Not answered yet, but adopted. */
			return 20 + i;
		}
	}
	bump(&lg->reached);
	for (n = 0; n < 2; n++) {
		if (call_collect(b.fd, 0, 0, 0, &c))
			return 40;
		for (i = 2; i < STATE_CALLS; i++)
			if (lg->id[i] == c.call_id)
				break;
		if (i == STATE_CALLS || c.status || c.len != REPLY_LEN ||
		    !payload_ok(reply_plane(&b, c.slot), REPLY_LEN,
				lg->tag[i] ^ REPLY_SALT))
			return 41;
		/* The third call's first callee died holding it. */
		if (c.delivery != (i == 2 ? 2 : 1) ||
		    c.flags != (MBX_CALL_CALLER_GONE | MBX_CALL_ADOPTED |
				(i == 2 ? MBX_CALL_REDELIVERED : 0)))
			return 42;
		if (slot_release(b.fd, c.slot))
			return 43;
	}
	return 0;
}

/* Second generation callee: the two calls left, oldest first. */
static int second_callee(void *arg)
{
	struct state_run *lg = arg;
	struct tbox b;
	struct mbx_call c;
	int i;

	if (tbox_open(&b, lg->name))
		return 10;
	for (i = 2; i < STATE_CALLS; i++) {
		if (call_take(b.fd, MBX_WAIT_NONBLOCK, &c))
			return 11;
		if (c.call_id != lg->id[i] ||
		    !payload_ok(call_plane(&b, c.slot), c.len, lg->tag[i]) ||
		    !(c.flags & MBX_CALL_CALLER_GONE))
			return 12;
		if (answer(&b, c.slot, c.call_id, c.user_data))
			return 13;
	}
	return 0;
}

/*
 * A mailbox with pending calls and replies outlives every process that
 * used it; a new set of processes picks up where the old one stopped.
 */
TEST(mailbox_outlives_its_processes)
{
	struct state_run *lg;
	struct mbx_stats_args st;
	struct mbx_slot_info si;
	pid_t caller, callee;
	int fd, i;

	lg = shm_alloc(sizeof(*lg));
	ASSERT_NE(NULL, lg);
	mbx_unique_name(lg->name, "st");

	/* First generation; this process holds no fd of the mailbox. */
	caller = spawn(first_caller, lg);
	ASSERT_LT(0, caller);
	ASSERT_EQ(0, wait_ge(&lg->reached, 1));
	callee = spawn(first_callee, lg);
	ASSERT_LT(0, callee);
	ASSERT_EQ(0, wait_ge(&lg->reached, 2));
	ASSERT_EQ(128 + SIGKILL, kill_reap(callee));
	bump(&lg->go);
	ASSERT_EQ(0, reap(caller));

	/* Nobody has it open: it is all still there. */
	fd = box_open(lg->name, MBX_ACCESS_READ);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, box_stats(fd, &st));
	EXPECT_EQ(1, st.out_sessions);
	EXPECT_EQ(STATE_CALLS, st.out_submitted);
	EXPECT_EQ(2, st.out_completed);
	EXPECT_EQ(1, st.out_redelivered);
	EXPECT_EQ(2, st.out_replied);
	EXPECT_EQ(2, st.out_pending);
	EXPECT_EQ(NSLOTS - STATE_CALLS, st.out_free);
	for (i = 0; i < STATE_CALLS; i++) {
		ASSERT_EQ(0, slot_get(fd, lg->slot[i], &si));
		EXPECT_EQ(lg->id[i], si.call_id);
		EXPECT_EQ(i < 2 ? MBX_STATE_REPLIED : MBX_STATE_PENDING,
			  si.state);
		EXPECT_EQ(MBX_CALL_CALLER_GONE |
			  (i == 2 ? MBX_CALL_REDELIVERED : 0), si.flags);
		EXPECT_EQ(0, si.caller_pid);
		EXPECT_EQ(0, si.callee_pid);
	}
	close(fd);

	/* Second generation. */
	atomic_store(&lg->reached, 0);
	caller = spawn(second_caller, lg);
	ASSERT_LT(0, caller);
	ASSERT_EQ(0, wait_ge(&lg->reached, 1));
	callee = spawn(second_callee, lg);
	ASSERT_LT(0, callee);
	EXPECT_EQ(0, reap(callee));
	EXPECT_EQ(0, reap(caller));

	fd = box_open(lg->name, MBX_ACCESS_READ);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, box_stats(fd, &st));
	EXPECT_EQ(NSLOTS, st.out_free);
	EXPECT_EQ(STATE_CALLS, st.out_submitted);
	EXPECT_EQ(STATE_CALLS, st.out_completed);
	EXPECT_EQ(0, st.out_reclaimed);
	close(fd);
	EXPECT_EQ(0, box_destroy(lg->name));
	munmap(lg, sizeof(*lg));
}

TEST_HARNESS_MAIN
