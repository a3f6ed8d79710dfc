// SPDX-License-Identifier: GPL-2.0
/*
 * Many processes on one mailbox, and processes that die in the middle.
 *
 * many_callers_many_callees: 8 caller processes and 4 callee processes,
 * each with a session of its own (its own MBX_IOC_BOX_OPEN), exchange
 * 100,000 calls. A callee answers with a function of the call's payload
 * and call id; the caller checks every reply against the call it made.
 * Every call id is counted once when taken and once when collected: none
 * is lost, none is doubled.
 *
 * The rest SIGKILL a process while it owns a slot, while it is blocked in
 * acquire, and while it holds a taken call, and show what the next process
 * gets: the slot free and usable, MBX_ACQUIRED_OWNER_DIED for its next
 * acquirer, a draft never delivered, a taken call delivered again.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/mbx.h>

#include "kselftest_harness.h"
#include "mbx_helpers.h"

MBX_SKIP_WITHOUT_DEVICE

#define MS		1000000ULL

static void *shared_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* ------------------------------------------------------------------ */
/* 8 callers, 4 callees, 100,000 calls                                  */

#define CALLERS		8
#define CALLEES		4
#define CALLS		100000
#define PER_CALLER	(CALLS / CALLERS)
#define IN_FLIGHT	2		/* calls each caller keeps submitted */
#define MP_SLOTS	(CALLERS * IN_FLIGHT)
#define WORDS		6		/* payload: __u64 words per call */
#define OP_WORK		1
#define OP_STOP		2
/* A process that sees nothing for this long gives up. */
#define STALL_NS	(60000 * MS)

/* The reply a callee owes to word @i of a call: payload and id mixed. */
static __u64 answer(__u64 word, __u64 call_id, unsigned int i)
{
	return (word ^ (call_id << 17) ^ i) * 0x9e3779b97f4a7c15ULL + call_id;
}

struct mp_shared {
	/* Per call id, how many times it was taken and collected. */
	unsigned int taken[CALLS + 64];
	unsigned int collected[CALLS + 64];
	unsigned int bad_id;		/* ids beyond the array */
	unsigned int errors;
	char first_error[256];
};

static void mp_error(struct mp_shared *sh, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void mp_error(struct mp_shared *sh, const char *fmt, ...)
{
	va_list ap;

	if (__atomic_fetch_add(&sh->errors, 1, __ATOMIC_SEQ_CST) == 0) {
		va_start(ap, fmt);
		vsnprintf(sh->first_error, sizeof(sh->first_error), fmt, ap);
		va_end(ap);
	}
}

static void count(struct mp_shared *sh, unsigned int *arr, __u64 id)
{
	if (id == 0 || id >= CALLS + 64)
		__atomic_fetch_add(&sh->bad_id, 1, __ATOMIC_SEQ_CST);
	else
		__atomic_fetch_add(&arr[id], 1, __ATOMIC_SEQ_CST);
}

/* Payload of call @seq of caller @me: its own check word last. */
static void make_call(__u64 *w, unsigned int me, unsigned int seq)
{
	unsigned int i;

	w[0] = ((__u64)me << 32) | seq;
	for (i = 1; i < WORDS - 1; i++)
		w[i] = (w[0] + i) * 0xff51afd7ed558ccdULL;
	w[WORDS - 1] = w[0] ^ w[1] ^ w[2] ^ w[3] ^ w[4];
}

static int callee_main(const char *name, struct mp_shared *sh)
{
	struct mbx_take_args ta;
	struct mbx_map m;
	__u64 w[WORDS], *reply;
	unsigned int i;
	int fd;

	fd = box_open(name, MBX_ACCESS_READ | MBX_ACCESS_WRITE);
	if (fd < 0 || mbx_map(fd, PROT_READ | PROT_WRITE, &m)) {
		mp_error(sh, "callee %d: no session", getpid());
		return 1;
	}
	memset(&ta, 0, sizeof(ta));
	ta.size = sizeof(ta);
	for (;;) {
		/* What out_flags must say: done_* answered, never cancelled. */
		__u32 want = ta.done_call_id ? MBX_TAKEN_DONE : 0;

		ta.flags |= MBX_WAIT_TIMEOUT;
		ta.timeout_ns = mbx_now_ns() + STALL_NS;
		if (mbx_ioctl(fd, MBX_IOC_CALL_TAKE, &ta)) {
			mp_error(sh, "callee %d: take: %s", getpid(),
				 strerror(errno));
			return 1;
		}
		if (ta.out_flags != want || ta.done_call_id) {
			mp_error(sh, "callee: out_flags %#x (want %#x), done_call_id %llu",
				 ta.out_flags, want,
				 (unsigned long long)ta.done_call_id);
			return 1;
		}
		if (ta.out_call.opcode == OP_STOP) {
			if (mbx_complete(fd, ta.out_call.slot,
					 ta.out_call.call_id, 0, 0))
				return 1;
			return 0;
		}
		count(sh, sh->taken, ta.out_call.call_id);
		if (ta.out_call.opcode != OP_WORK ||
		    ta.out_call.len != sizeof(w) ||
		    ta.out_call.delivery != 1 || ta.out_call.flags) {
			mp_error(sh, "callee: call %llu op %u len %u delivery %u flags %#x",
				 (unsigned long long)ta.out_call.call_id,
				 ta.out_call.opcode, ta.out_call.len,
				 ta.out_call.delivery, ta.out_call.flags);
		}
		memcpy(w, mbx_call_plane(&m, ta.out_call.slot), sizeof(w));
		/* A torn or mixed-up call plane would break its check word. */
		if (w[WORDS - 1] != (w[0] ^ w[1] ^ w[2] ^ w[3] ^ w[4]) ||
		    w[0] >> 32 >= CALLERS ||
		    ta.out_call.user_data != (w[0] & 0xffffffff))
			mp_error(sh, "callee: call %llu: bad payload",
				 (unsigned long long)ta.out_call.call_id);
		reply = mbx_reply_plane(&m, ta.out_call.slot);
		for (i = 0; i < WORDS; i++)
			reply[i] = answer(w[i], ta.out_call.call_id, i);
		reply[WORDS] = ta.out_call.call_id;
		/* Answer it in the next take: one syscall per call. */
		ta.flags = MBX_TAKE_COMPLETE;
		ta.done_slot = ta.out_call.slot;
		ta.done_call_id = ta.out_call.call_id;
		ta.done_len = (WORDS + 1) * sizeof(__u64);
		ta.done_status = 0;
	}
}

struct flight {
	__u64 id;
	unsigned int seq;
	int busy;
};

static int caller_main(const char *name, unsigned int me,
		       struct mp_shared *sh)
{
	struct flight fl[MP_SLOTS] = { 0 };
	struct mbx_call call;
	struct mbx_map m;
	unsigned int sent = 0, done = 0, i;
	__u64 w[WORDS], *reply;
	int fd, s, ret;

	fd = box_open(name, MBX_ACCESS_READ | MBX_ACCESS_WRITE);
	if (fd < 0 || mbx_map(fd, PROT_READ | PROT_WRITE, &m)) {
		mp_error(sh, "caller %u: no session", me);
		return 1;
	}

	/* Submit call number @sent in slot @s, which we own. */
#define SEND(s) ({							\
	make_call(w, me, sent);						\
	memcpy(mbx_call_plane(&m, (s)), w, sizeof(w));			\
	fl[(s)].seq = sent;						\
	fl[(s)].busy = 1;						\
	ret = mbx_submit(fd, (s), OP_WORK, sizeof(w), sent,		\
			 &fl[(s)].id);					\
	sent++;								\
	ret;								\
})

	for (i = 0; i < IN_FLIGHT; i++) {
		s = mbx_acquire(fd, MBX_ACQUIRE_ANY | MBX_WAIT_TIMEOUT, 0,
				mbx_now_ns() + STALL_NS, NULL);
		if (s < 0 || SEND(s)) {
			mp_error(sh, "caller %u: start: %d", me, s);
			return 1;
		}
	}
	while (done < PER_CALLER) {
		ret = mbx_collect(fd, MBX_WAIT_TIMEOUT, 0, 0,
				  mbx_now_ns() + STALL_NS, &call);
		if (ret) {
			mp_error(sh, "caller %u: collect: %d after %u", me, ret,
				 done);
			return 1;
		}
		s = call.slot;
		if (s >= MP_SLOTS || !fl[s].busy || call.call_id != fl[s].id ||
		    call.user_data != fl[s].seq || call.status ||
		    call.len != (WORDS + 1) * sizeof(__u64) ||
		    call.opcode != OP_WORK) {
			mp_error(sh, "caller %u: reply slot %d id %llu, expected %llu",
				 me, s, (unsigned long long)call.call_id,
				 s < MP_SLOTS ? (unsigned long long)fl[s].id : 0);
			return 1;
		}
		count(sh, sh->collected, call.call_id);
		make_call(w, me, fl[s].seq);
		reply = mbx_reply_plane(&m, s);
		for (i = 0; i < WORDS; i++)
			if (reply[i] != answer(w[i], call.call_id, i))
				break;
		if (i < WORDS || reply[WORDS] != call.call_id)
			mp_error(sh, "caller %u: call %llu: wrong reply", me,
				 (unsigned long long)call.call_id);
		fl[s].busy = 0;
		done++;
		if (sent == PER_CALLER) {
			mbx_release(fd, s);
			continue;
		}
		/* Now and then give the slot back and take any other. */
		if (sent % 16 == 0) {
			if (mbx_release(fd, s))
				mp_error(sh, "caller %u: release", me);
			s = mbx_acquire(fd, MBX_ACQUIRE_ANY | MBX_WAIT_TIMEOUT,
					0, mbx_now_ns() + STALL_NS, NULL);
			if (s < 0) {
				mp_error(sh, "caller %u: acquire: %d", me, s);
				return 1;
			}
		}
		if (SEND(s)) {
			mp_error(sh, "caller %u: submit: %d", me, ret);
			return 1;
		}
	}
#undef SEND
	return 0;
}

FIXTURE(mp) {
	int dev;
	char name[MBX_NAME_MAX];
	int fd;
	struct mp_shared *sh;
	pid_t pids[CALLERS + CALLEES];
	int npids;
};

FIXTURE_SETUP(mp)
{
	self->dev = mbx_dev_open();
	ASSERT_LE(0, self->dev);
	mbx_unique_name(self->name, "mp");
	self->fd = mbx_create(self->dev, self->name, MP_SLOTS,
			      (WORDS + 1) * sizeof(__u64) <= 64 ? 64 : 128,
			      0600);
	ASSERT_LE(0, self->fd);
	self->sh = shared_alloc(sizeof(*self->sh));
	ASSERT_NE(NULL, self->sh);
}

FIXTURE_TEARDOWN(mp)
{
	int i;

	/* Whatever is left of a failed run. */
	for (i = 0; i < self->npids; i++)
		if (self->pids[i] > 0)
			kill(self->pids[i], SIGKILL);
	for (i = 0; i < self->npids; i++)
		if (self->pids[i] > 0)
			waitpid(self->pids[i], NULL, 0);
	munmap(self->sh, sizeof(*self->sh));
	close(self->fd);
	mbx_destroy(self->dev, self->name);
	close(self->dev);
}

static pid_t mp_spawn(FIXTURE_DATA(mp) *self, int (*fn)(FIXTURE_DATA(mp) *,
							unsigned int),
		      unsigned int arg)
{
	pid_t pid = fork();

	if (pid == 0) {
		/* Nothing of the parent's session: only our own. */
		close(self->fd);
		close(self->dev);
		_exit(fn(self, arg));
	}
	if (pid > 0)
		self->pids[self->npids++] = pid;
	return pid;
}

static int run_callee(FIXTURE_DATA(mp) *self, unsigned int i)
{
	(void)i;
	return callee_main(self->name, self->sh);
}

static int run_caller(FIXTURE_DATA(mp) *self, unsigned int i)
{
	return caller_main(self->name, i, self->sh);
}

/* Reap @pid: its exit status, or -1 if it did not exit normally. */
static int mp_reap(FIXTURE_DATA(mp) *self, pid_t pid)
{
	int status, i;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	for (i = 0; i < self->npids; i++)
		if (self->pids[i] == pid)
			self->pids[i] = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_F_TIMEOUT(mp, many_callers_many_callees, 110)
{
	struct mbx_stats_args st;
	struct mbx_call call;
	unsigned int i, lost = 0, doubled = 0, uncollected = 0;
	__u64 t0 = mbx_now_ns(), stops[CALLEES];
	int s;

	for (i = 0; i < CALLEES; i++)
		ASSERT_LT(0, mp_spawn(self, run_callee, i));
	for (i = 0; i < CALLERS; i++)
		ASSERT_LT(0, mp_spawn(self, run_caller, i));
	for (i = 0; i < CALLERS; i++)
		EXPECT_EQ(0, mp_reap(self, self->pids[CALLEES + i]));

	/* One stop call per callee: each takes exactly one and leaves. */
	for (i = 0; i < CALLEES; i++) {
		s = mbx_acquire(self->fd, MBX_ACQUIRE_ANY, 0, 0, NULL);
		ASSERT_LE(0, s);
		ASSERT_EQ(0, mbx_submit(self->fd, s, OP_STOP, 0, 0, &stops[i]));
		EXPECT_LT(CALLS, stops[i]);
	}
	for (i = 0; i < CALLEES; i++)
		EXPECT_EQ(0, mp_reap(self, self->pids[i]));
	for (i = 0; i < CALLEES; i++) {
		ASSERT_EQ(0, mbx_collect(self->fd, MBX_WAIT_NONBLOCK, 0, 0, 0,
					 &call));
		EXPECT_EQ(0, mbx_release(self->fd, call.slot));
	}
	TH_LOG("%d calls in %.1f s", CALLS, (mbx_now_ns() - t0) / 1e9);

	if (self->sh->errors)
		TH_LOG("%u errors, the first: %s", self->sh->errors,
		       self->sh->first_error);
	EXPECT_EQ(0, self->sh->errors);
	EXPECT_EQ(0, self->sh->bad_id);
	for (i = 1; i <= CALLS; i++) {
		lost += self->sh->taken[i] == 0;
		doubled += self->sh->taken[i] > 1;
		uncollected += self->sh->collected[i] != 1;
	}
	EXPECT_EQ(0, lost);
	EXPECT_EQ(0, doubled);
	EXPECT_EQ(0, uncollected);
	for (i = CALLS + 1; i < CALLS + 64; i++)
		EXPECT_EQ(0, self->sh->taken[i] + self->sh->collected[i]);

	ASSERT_EQ(0, mbx_stats(self->fd, &st));
	EXPECT_EQ(CALLS + CALLEES, st.out_submitted);
	EXPECT_EQ(CALLS + CALLEES, st.out_taken);
	EXPECT_EQ(CALLS + CALLEES, st.out_completed);
	EXPECT_EQ(0, st.out_redelivered);
	EXPECT_EQ(0, st.out_owner_died);
	EXPECT_EQ(MP_SLOTS, st.out_free);
	EXPECT_EQ(1, st.out_sessions);
}

/* ------------------------------------------------------------------ */
/* Processes killed with SIGKILL                                        */

FIXTURE(death) {
	int dev;
	char name[MBX_NAME_MAX];
	int fd;
	struct mbx_map m;
	pid_t pids[4];
	int npids;
	/* What a child reports: its return value and out_flags. */
	struct report {
		int ret;
		__u32 out_flags;
		int ready;
	} *rep;
};

FIXTURE_SETUP(death)
{
	self->dev = mbx_dev_open();
	ASSERT_LE(0, self->dev);
	mbx_unique_name(self->name, "death");
	self->fd = mbx_create(self->dev, self->name, 2, 128, 0600);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, mbx_map(self->fd, PROT_READ | PROT_WRITE, &self->m));
	self->rep = shared_alloc(4 * sizeof(*self->rep));
	ASSERT_NE(NULL, self->rep);
}

FIXTURE_TEARDOWN(death)
{
	int i;

	for (i = 0; i < self->npids; i++)
		if (self->pids[i] > 0) {
			kill(self->pids[i], SIGKILL);
			waitpid(self->pids[i], NULL, 0);
		}
	munmap(self->rep, 4 * sizeof(*self->rep));
	mbx_unmap(&self->m);
	close(self->fd);
	mbx_destroy(self->dev, self->name);
	close(self->dev);
}

enum child_job {
	OWN_SLOT_0,		/* acquire slot 0, scribble a draft, wait */
	ACQUIRE_SLOT_0,		/* block in acquire of slot 0, report */
	ACQUIRE_ANY,		/* block in acquire of any slot, report */
	TAKE_AND_HOLD,		/* take a call, half answer it, wait */
};

static void child(FIXTURE_DATA(death) *self, int n, enum child_job job)
{
	struct report *r = &self->rep[n];
	struct mbx_call call;
	struct mbx_map m;
	int fd;

	close(self->fd);
	fd = box_open(self->name, MBX_ACCESS_READ | MBX_ACCESS_WRITE);
	if (fd < 0 || mbx_map(fd, PROT_READ | PROT_WRITE, &m))
		_exit(1);
	switch (job) {
	case OWN_SLOT_0:
		r->ret = mbx_acquire(fd, 0, 0, 0, &r->out_flags);
		strcpy(mbx_call_plane(&m, 0), "half a dra");
		break;
	case ACQUIRE_SLOT_0:
	case ACQUIRE_ANY:
		__atomic_store_n(&r->ready, 1, __ATOMIC_SEQ_CST);
		r->ret = mbx_acquire(fd, job == ACQUIRE_ANY ?
				     MBX_ACQUIRE_ANY : 0, 0, 0,
				     &r->out_flags);
		break;
	case TAKE_AND_HOLD:
		memset(&call, 0, sizeof(call));
		r->ret = mbx_take(fd, 0, 0, &call);
		r->out_flags = call.delivery;
		strcpy(mbx_reply_plane(&m, call.slot), "half a rep");
		break;
	}
	__atomic_store_n(&r->ready, 2, __ATOMIC_SEQ_CST);
	pause();
	_exit(0);
}

static pid_t start(FIXTURE_DATA(death) *self, int n, enum child_job job)
{
	pid_t pid = fork();

	if (pid == 0)
		child(self, n, job);
	if (pid > 0)
		self->pids[self->npids++] = pid;
	return pid;
}

/* Wait until child @n got through its job (ready == 2). */
static int wait_done(FIXTURE_DATA(death) *self, int n)
{
	int i;

	for (i = 0; i < 20000; i++) {
		if (__atomic_load_n(&self->rep[n].ready, __ATOMIC_SEQ_CST) == 2)
			return 0;
		mbx_sleep_ms(1);
	}
	return -ETIMEDOUT;
}

/* Wait until child @n sleeps in its blocking call. */
static int wait_blocked(FIXTURE_DATA(death) *self, int n, pid_t pid)
{
	int i;

	for (i = 0; i < 20000; i++) {
		if (__atomic_load_n(&self->rep[n].ready, __ATOMIC_SEQ_CST))
			break;
		mbx_sleep_ms(1);
	}
	return mbx_wait_sleeping(pid);
}

static int kill_and_reap(FIXTURE_DATA(death) *self, pid_t pid)
{
	int status, i;

	if (kill(pid, SIGKILL) || waitpid(pid, &status, 0) != pid)
		return -1;
	for (i = 0; i < self->npids; i++)
		if (self->pids[i] == pid)
			self->pids[i] = 0;
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ? 0 : -1;
}

/* Killed while it owns a slot: free again, the next acquirer is told. */
TEST_F(death, killed_owning_a_slot)
{
	struct mbx_stats_args st;
	struct mbx_slot_info si;
	__u32 fl = 0;
	pid_t pid;

	pid = start(self, 0, OWN_SLOT_0);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, wait_done(self, 0));
	ASSERT_EQ(0, self->rep[0].ret);
	ASSERT_EQ(0, mbx_slot_info(self->fd, 0, &si));
	EXPECT_EQ(MBX_STATE_OWNED, si.state);
	EXPECT_EQ(pid, si.owner_pid);
	EXPECT_STREQ("half a dra", (char *)mbx_call_plane(&self->m, 0));

	ASSERT_EQ(0, kill_and_reap(self, pid));
	ASSERT_EQ(0, mbx_slot_info(self->fd, 0, &si));
	EXPECT_EQ(MBX_STATE_FREE, si.state);
	EXPECT_EQ(0, si.owner_pid);
	/* The draft is never delivered, and is wiped. */
	EXPECT_EQ(-EAGAIN, mbx_take(self->fd, MBX_WAIT_NONBLOCK, 0, NULL));
	EXPECT_EQ(0, *(char *)mbx_call_plane(&self->m, 0));
	/* Usable again; the next owner learns the last one died. */
	ASSERT_EQ(0, mbx_acquire(self->fd, MBX_WAIT_NONBLOCK, 0, 0, &fl));
	EXPECT_EQ(MBX_ACQUIRED_OWNER_DIED, fl);
	ASSERT_EQ(0, mbx_release(self->fd, 0));
	/* Told once only. */
	fl = 0xcccccccc;
	ASSERT_EQ(0, mbx_acquire(self->fd, MBX_WAIT_NONBLOCK, 0, 0, &fl));
	EXPECT_EQ(0, fl);
	ASSERT_EQ(0, mbx_stats(self->fd, &st));
	EXPECT_EQ(1, st.out_owner_died);
}

/* The owner killed while another process waits: that one gets the slot. */
TEST_F(death, killed_owner_wakes_blocked_acquirer)
{
	pid_t owner, waiter;

	owner = start(self, 0, OWN_SLOT_0);
	ASSERT_LT(0, owner);
	ASSERT_EQ(0, wait_done(self, 0));
	ASSERT_EQ(0, self->rep[0].ret);
	waiter = start(self, 1, ACQUIRE_SLOT_0);
	ASSERT_LT(0, waiter);
	ASSERT_EQ(0, wait_blocked(self, 1, waiter));
	EXPECT_EQ(1, self->rep[1].ready);

	ASSERT_EQ(0, kill_and_reap(self, owner));
	ASSERT_EQ(0, wait_done(self, 1));
	EXPECT_EQ(0, self->rep[1].ret);
	EXPECT_EQ(MBX_ACQUIRED_OWNER_DIED, self->rep[1].out_flags);
}

/* Killed while blocked in acquire: nothing of it stays in the way. */
TEST_F(death, killed_blocked_in_acquire)
{
	struct mbx_slot_info si;
	__u32 fl = 0xcccccccc;
	pid_t pid;
	int other;

	ASSERT_EQ(0, mbx_acquire(self->fd, 0, 0, 0, NULL));
	pid = start(self, 0, ACQUIRE_SLOT_0);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, wait_blocked(self, 0, pid));
	ASSERT_EQ(0, kill_and_reap(self, pid));

	/* Still ours; then free, and anybody's. */
	ASSERT_EQ(0, mbx_slot_info(self->fd, 0, &si));
	EXPECT_EQ(MBX_STATE_OWNED, si.state);
	EXPECT_EQ(getpid(), si.owner_pid);
	ASSERT_EQ(0, mbx_release(self->fd, 0));
	EXPECT_EQ(MBX_STATE_FREE, mbx_slot_state(self->fd, 0));
	other = box_open(self->name, MBX_ACCESS_READ | MBX_ACCESS_WRITE);
	ASSERT_LE(0, other);
	ASSERT_EQ(0, mbx_acquire(other, MBX_WAIT_NONBLOCK, 0, 0, &fl));
	/* It never owned the slot: nobody died holding it. */
	EXPECT_EQ(0, fl);
	close(other);
}

/*
 * Killed while blocked in acquire of any slot, next to a live waiter: the
 * release that follows reaches the live one, not the dead one.
 */
TEST_F(death, killed_blocked_in_acquire_any)
{
	pid_t dead, live;

	ASSERT_EQ(0, mbx_acquire(self->fd, 0, 0, 0, NULL));
	ASSERT_EQ(1, mbx_acquire(self->fd, 0, 1, 0, NULL));
	dead = start(self, 0, ACQUIRE_ANY);
	ASSERT_LT(0, dead);
	ASSERT_EQ(0, wait_blocked(self, 0, dead));
	live = start(self, 1, ACQUIRE_ANY);
	ASSERT_LT(0, live);
	ASSERT_EQ(0, wait_blocked(self, 1, live));

	ASSERT_EQ(0, kill_and_reap(self, dead));
	ASSERT_EQ(0, mbx_release(self->fd, 1));
	ASSERT_EQ(0, wait_done(self, 1));
	EXPECT_EQ(1, self->rep[1].ret);
	EXPECT_EQ(0, self->rep[1].out_flags);
}

/* A callee killed holding a call: the call goes to the next callee. */
TEST_F(death, killed_callee_call_redelivered)
{
	struct mbx_stats_args st;
	struct mbx_call call;
	__u64 id;
	pid_t pid;

	ASSERT_EQ(0, mbx_acquire(self->fd, 0, 0, 0, NULL));
	strcpy(mbx_call_plane(&self->m, 0), "the call");
	ASSERT_EQ(0, mbx_submit(self->fd, 0, 5, 9, 0, &id));
	pid = start(self, 0, TAKE_AND_HOLD);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, wait_done(self, 0));
	ASSERT_EQ(0, self->rep[0].ret);
	EXPECT_EQ(1, self->rep[0].out_flags);	/* first delivery */
	EXPECT_EQ(MBX_STATE_TAKEN, mbx_slot_state(self->fd, 0));

	ASSERT_EQ(0, kill_and_reap(self, pid));
	ASSERT_EQ(0, mbx_take(self->fd, MBX_WAIT_NONBLOCK, 0, &call));
	EXPECT_EQ(id, call.call_id);
	EXPECT_EQ(2, call.delivery);
	EXPECT_EQ(MBX_CALL_REDELIVERED, call.flags & MBX_CALL_REDELIVERED);
	EXPECT_STREQ("the call", (char *)mbx_call_plane(&self->m, 0));
	/* The half-written result is not shown to anyone. */
	EXPECT_EQ(0, *(char *)mbx_reply_plane(&self->m, 0));
	ASSERT_EQ(0, mbx_stats(self->fd, &st));
	EXPECT_EQ(1, st.out_redelivered);
}

TEST_HARNESS_MAIN
