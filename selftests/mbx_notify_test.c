// SPDX-License-Identifier: GPL-2.0
/*
 * Death notification: a caller learns through poll (EPOLLPRI, then
 * MBX_IOC_EVENTS_READ), without asking, that the callee holding its call
 * died; a callee learns that the caller of the call it works on is gone
 * (MBX_EVENT_CALLER_GONE, MBX_CALL_CALLER_GONE), so that it may skip the
 * work. The event is there within one scheduling round of the death: the
 * tests wait only with a generous safety bound, and once the dead process
 * is reaped the event is already queued.
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
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/mbx.h>

#include "kselftest_harness.h"
#define MBX_PARTY_NAMES
#include "mbx_helpers.h"

MBX_SKIP_WITHOUT_DEVICE

/* ------------------------------------------------------------------ */
/* The parties                                                          */

struct party {
	char name[MBX_NAME_MAX];
	__u32 call_flags;
	int how;		/* how a caller leaves: below */
	int ncalls;		/* calls a callee takes */
	_Atomic __u32 reached;
	_Atomic __u32 go;
	__u32 slot;
	__u64 id;
	struct mbx_call took;
	int take_ret;
	/* The killer's clock, read just before kill(). */
	pid_t victim;
	int delay_ms;
	__u64 kill_ns;
};

enum { DIES, CLOSES };

/* A callee that takes ncalls calls and waits to be killed. */
static int callee_child(void *arg)
{
	struct party *p = arg;
	struct mbx_call c;
	struct tbox b;
	int i;

	if (tbox_open(&b, p->name))
		return 10;
	for (i = 0; i < p->ncalls; i++) {
		p->take_ret = call_take(b.fd, 0, &c);
		if (p->take_ret)
			return 11;
		p->took = c;
	}
	bump(&p->reached);
	hang();
	return 0;
}

/*
 * A caller that makes one call and then dies when killed or, with CLOSES,
 * closes its mailbox (fd and mapping) when told, and lives on.
 */
static int caller_child(void *arg)
{
	struct party *p = arg;
	struct tbox b;
	int slot;

	if (tbox_open(&b, p->name))
		return 10;
	slot = acquire_any(b.fd, MBX_WAIT_NONBLOCK, NULL);
	if (slot < 0)
		return 11;
	payload_fill(call_plane(&b, slot), CALL_LEN, 5);
	if (call_submit(b.fd, slot, CALL_LEN, p->call_flags, 5, &p->id))
		return 12;
	p->slot = slot;
	bump(&p->reached);
	if (p->how == CLOSES) {
		if (wait_ge(&p->go, 1))
			return 13;
		tbox_close(&b);
		bump(&p->reached);
	}
	hang();
	return 0;
}

/* Kills p->victim after p->delay_ms, noting when. */
static int killer_child(void *arg)
{
	struct party *p = arg;

	usleep(p->delay_ms * 1000);
	p->kill_ns = mbx_now_ns();
	kill(p->victim, SIGKILL);
	return 0;
}

FIXTURE(notify) {
	struct party *p;
	struct tbox b;		/* this process's session */
	pid_t pids[4];
	bool ready;
};

FIXTURE_SETUP(notify)
{
	int fd;

	self->b.fd = -1;
	self->p = shm_alloc(sizeof(*self->p));
	ASSERT_NE(NULL, self->p);
	mbx_unique_name(self->p->name, "nt");
	self->p->ncalls = 1;
	self->p->delay_ms = 100;
	fd = box_create(self->p->name, NSLOTS, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, tbox_attach(&self->b, fd));
	self->ready = true;
}

FIXTURE_TEARDOWN(notify)
{
	int i;

	for (i = 0; i < 4; i++)
		if (self->pids[i] > 0)
			kill_reap(self->pids[i]);
	tbox_close(&self->b);
	if (self->p) {
		box_destroy(self->p->name);
		munmap(self->p, sizeof(*self->p));
	}
}

/* Start @fn as child @i of the fixture; 0 or -1. */
static int start(FIXTURE_DATA(notify) *self, int i, int (*fn)(void *))
{
	self->pids[i] = spawn(fn, self->p);
	return self->pids[i] > 0 ? 0 : -1;
}

static int finish(FIXTURE_DATA(notify) *self, int i)
{
	int ret = reap(self->pids[i]);

	self->pids[i] = 0;
	return ret;
}

/* A call from this process's session; 0 or -errno. */
static int new_call(struct tbox *b, __u32 flags, __u32 *slot, __u64 *id)
{
	int s = acquire_any(b->fd, MBX_WAIT_NONBLOCK, NULL);

	if (s < 0)
		return s;
	payload_fill(call_plane(b, s), CALL_LEN, 1);
	*slot = s;
	return call_submit(b->fd, s, CALL_LEN, flags, 1, id);
}

/*
 * The caller sleeps in epoll_wait(); another process kills the callee
 * holding its call; the caller wakes with EPOLLPRI and reads
 * MBX_EVENT_CALLEE_DIED, status 0: the call went back to the queue.
 */
TEST_F(notify, caller_learns_callee_died)
{
	struct epoll_event ee = { .events = EPOLLPRI }, got;
	struct mbx_slot_info si;
	struct mbx_event ev[4];
	__u64 woke;
	__u32 slot;
	__u64 id;
	int ep;

	ASSERT_EQ(0, new_call(&self->b, 0, &slot, &id));
	ASSERT_EQ(0, start(self, 0, callee_child));
	ASSERT_EQ(0, wait_ge(&self->p->reached, 1));
	ASSERT_EQ(id, self->p->took.call_id);

	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->b.fd, &ee));
	ASSERT_EQ(0, epoll_wait(ep, &got, 1, 0));
	self->p->victim = self->pids[0];
	ASSERT_EQ(0, start(self, 1, killer_child));
	memset(&got, 0, sizeof(got));
	ASSERT_EQ(1, epoll_wait(ep, &got, 1, SAFETY_MS));
	woke = mbx_now_ns();
	EXPECT_EQ(EPOLLPRI, got.events & EPOLLPRI);
	TH_LOG("woken %llu us after the kill",
	       (unsigned long long)(woke - self->p->kill_ns) / 1000);

	ASSERT_EQ(1, events_read(self->b.fd, ev, 4));
	EXPECT_EQ(MBX_EVENT_CALLEE_DIED, ev[0].type);
	EXPECT_EQ(id, ev[0].call_id);
	EXPECT_EQ(slot, ev[0].slot);
	EXPECT_EQ(0, ev[0].status);
	EXPECT_EQ(0, ev[0].__reserved);
	/* Read once: gone from the queue. */
	EXPECT_EQ(0, epoll_wait(ep, &got, 1, 0));
	EXPECT_EQ(0, events_read(self->b.fd, ev, 4));
	ASSERT_EQ(0, slot_get(self->b.fd, slot, &si));
	EXPECT_EQ(MBX_STATE_PENDING, si.state);
	EXPECT_EQ(MBX_CALL_REDELIVERED, si.flags);
	EXPECT_EQ(128 + SIGKILL, finish(self, 0));
	EXPECT_EQ(0, finish(self, 1));
	close(ep);
}

/*
 * At most once: the event carries -EOWNERDEAD, and the failed call's
 * reply is ready at the same time (EPOLLRDBAND).
 */
TEST_F(notify, caller_learns_callee_died_at_most_once)
{
	struct mbx_event ev[4];
	struct mbx_call c;
	__u64 woke;
	__u32 slot;
	__u64 id;

	ASSERT_EQ(0, new_call(&self->b, MBX_CALL_AT_MOST_ONCE, &slot, &id));
	ASSERT_EQ(0, start(self, 0, callee_child));
	ASSERT_EQ(0, wait_ge(&self->p->reached, 1));
	EXPECT_EQ(0, poll_for(self->b.fd, POLLPRI | POLLRDBAND, 0));
	self->p->victim = self->pids[0];
	ASSERT_EQ(0, start(self, 1, killer_child));
	ASSERT_EQ(POLLPRI, poll_for(self->b.fd, POLLPRI, SAFETY_MS) & POLLPRI);
	woke = mbx_now_ns();
	TH_LOG("woken %llu us after the kill",
	       (unsigned long long)(woke - self->p->kill_ns) / 1000);
	EXPECT_EQ(POLLPRI | POLLRDBAND,
		  poll_for(self->b.fd, POLLPRI | POLLRDBAND, 0));
	ASSERT_EQ(1, events_read(self->b.fd, ev, 4));
	EXPECT_EQ(MBX_EVENT_CALLEE_DIED, ev[0].type);
	EXPECT_EQ(id, ev[0].call_id);
	EXPECT_EQ(slot, ev[0].slot);
	EXPECT_EQ(-EOWNERDEAD, ev[0].status);
	ASSERT_EQ(0, call_collect(self->b.fd, MBX_WAIT_NONBLOCK, 0, 0, &c));
	EXPECT_EQ(id, c.call_id);
	EXPECT_EQ(-EOWNERDEAD, c.status);
	EXPECT_EQ(0, c.len);
	EXPECT_EQ(128 + SIGKILL, finish(self, 0));
	EXPECT_EQ(0, finish(self, 1));
}

/*
 * The callee sleeps in poll(); another process kills the caller of the
 * call it works on; the callee wakes with EPOLLPRI and reads
 * MBX_EVENT_CALLER_GONE. The call is still its to answer; the answer,
 * without a caller, waits for an adopter or the reclaim.
 */
TEST_F(notify, callee_learns_caller_died)
{
	struct mbx_slot_info si;
	struct mbx_event ev[4];
	struct mbx_call c;
	__u64 woke;

	self->p->how = DIES;
	ASSERT_EQ(0, start(self, 0, caller_child));
	ASSERT_EQ(0, wait_ge(&self->p->reached, 1));
	ASSERT_EQ(0, call_take(self->b.fd, MBX_WAIT_NONBLOCK, &c));
	ASSERT_EQ(self->p->id, c.call_id);
	EXPECT_EQ(0, c.flags);
	EXPECT_EQ(0, poll_for(self->b.fd, POLLPRI, 0));

	self->p->victim = self->pids[0];
	ASSERT_EQ(0, start(self, 1, killer_child));
	ASSERT_EQ(POLLPRI, poll_for(self->b.fd, POLLPRI, SAFETY_MS) & POLLPRI);
	woke = mbx_now_ns();
	TH_LOG("woken %llu us after the kill",
	       (unsigned long long)(woke - self->p->kill_ns) / 1000);
	ASSERT_EQ(1, events_read(self->b.fd, ev, 4));
	EXPECT_EQ(MBX_EVENT_CALLER_GONE, ev[0].type);
	EXPECT_EQ(self->p->id, ev[0].call_id);
	EXPECT_EQ(self->p->slot, ev[0].slot);
	EXPECT_EQ(0, ev[0].status);
	ASSERT_EQ(0, slot_get(self->b.fd, c.slot, &si));
	EXPECT_EQ(MBX_STATE_TAKEN, si.state);
	EXPECT_EQ(MBX_CALL_CALLER_GONE, si.flags);
	EXPECT_EQ(0, si.caller_pid);
	EXPECT_EQ((__u32)getpid(), si.callee_pid);

	EXPECT_EQ(0, call_complete(self->b.fd, c.slot, c.call_id, 0, 0));
	ASSERT_EQ(0, slot_get(self->b.fd, c.slot, &si));
	EXPECT_EQ(MBX_STATE_REPLIED, si.state);
	EXPECT_EQ(1, box_reclaim(self->b.fd, 0));
	EXPECT_EQ(128 + SIGKILL, finish(self, 0));
	EXPECT_EQ(0, finish(self, 1));
}

/* The same when the caller does not die but closes its mailbox. */
TEST_F(notify, callee_learns_caller_closed)
{
	struct mbx_event ev[4];
	struct mbx_call c;

	self->p->how = CLOSES;
	ASSERT_EQ(0, start(self, 0, caller_child));
	ASSERT_EQ(0, wait_ge(&self->p->reached, 1));
	ASSERT_EQ(0, call_take(self->b.fd, MBX_WAIT_NONBLOCK, &c));
	EXPECT_EQ(0, poll_for(self->b.fd, POLLPRI, 0));
	bump(&self->p->go);
	ASSERT_EQ(POLLPRI, poll_for(self->b.fd, POLLPRI, SAFETY_MS) & POLLPRI);
	ASSERT_EQ(1, events_read(self->b.fd, ev, 4));
	EXPECT_EQ(MBX_EVENT_CALLER_GONE, ev[0].type);
	EXPECT_EQ(self->p->id, ev[0].call_id);
	/* Once it has closed, the event is there already. */
	ASSERT_EQ(0, wait_ge(&self->p->reached, 2));
	EXPECT_EQ(0, call_complete(self->b.fd, c.slot, c.call_id, 0, 0));
	EXPECT_EQ(1, box_reclaim(self->b.fd, 0));
}

/*
 * Once the dead callee is reaped, its session is gone and the event is
 * queued: no later poll is needed to find it.
 */
TEST_F(notify, callee_death_is_known_when_it_is_reaped)
{
	struct mbx_event ev[4];
	__u32 slot;
	__u64 id;

	ASSERT_EQ(0, new_call(&self->b, 0, &slot, &id));
	ASSERT_EQ(0, start(self, 0, callee_child));
	ASSERT_EQ(0, wait_ge(&self->p->reached, 1));
	kill(self->pids[0], SIGKILL);
	ASSERT_EQ(128 + SIGKILL, finish(self, 0));
	EXPECT_EQ(POLLPRI, poll_for(self->b.fd, POLLPRI, 0));
	ASSERT_EQ(1, events_read(self->b.fd, ev, 4));
	EXPECT_EQ(MBX_EVENT_CALLEE_DIED, ev[0].type);
	EXPECT_EQ(id, ev[0].call_id);
}

TEST_F(notify, caller_death_is_known_when_it_is_reaped)
{
	struct mbx_event ev[4];
	struct mbx_call c;

	self->p->how = DIES;
	ASSERT_EQ(0, start(self, 0, caller_child));
	ASSERT_EQ(0, wait_ge(&self->p->reached, 1));
	ASSERT_EQ(0, call_take(self->b.fd, MBX_WAIT_NONBLOCK, &c));
	kill(self->pids[0], SIGKILL);
	ASSERT_EQ(128 + SIGKILL, finish(self, 0));
	EXPECT_EQ(POLLPRI, poll_for(self->b.fd, POLLPRI, 0));
	ASSERT_EQ(1, events_read(self->b.fd, ev, 4));
	EXPECT_EQ(MBX_EVENT_CALLER_GONE, ev[0].type);
	EXPECT_EQ(c.call_id, ev[0].call_id);
	EXPECT_EQ(0, call_complete(self->b.fd, c.slot, c.call_id, 0, 0));
	EXPECT_EQ(1, box_reclaim(self->b.fd, 0));
}

/*
 * A caller gone before its call is taken leaves no one to tell: no event,
 * but the callee that takes the call later sees MBX_CALL_CALLER_GONE.
 */
TEST_F(notify, caller_gone_before_take_is_a_flag)
{
	struct mbx_call c;

	self->p->how = DIES;
	ASSERT_EQ(0, start(self, 0, caller_child));
	ASSERT_EQ(0, wait_ge(&self->p->reached, 1));
	kill(self->pids[0], SIGKILL);
	ASSERT_EQ(128 + SIGKILL, finish(self, 0));
	ASSERT_EQ(0, call_take(self->b.fd, MBX_WAIT_NONBLOCK, &c));
	EXPECT_EQ(self->p->id, c.call_id);
	EXPECT_EQ(MBX_CALL_CALLER_GONE, c.flags);
	EXPECT_EQ(0, poll_for(self->b.fd, POLLPRI, 0));
	EXPECT_EQ(0, call_complete(self->b.fd, c.slot, c.call_id, 0, 0));
	EXPECT_EQ(1, box_reclaim(self->b.fd, 0));
}

/* A callee dying with calls of two callers tells each its own. */
TEST_F(notify, every_caller_of_a_dead_callee_is_told)
{
	struct mbx_event ev[4];
	struct tbox other;
	__u32 slot[2];
	__u64 id[2];

	ASSERT_EQ(0, tbox_open(&other, self->p->name));
	ASSERT_EQ(0, new_call(&self->b, 0, &slot[0], &id[0]));
	ASSERT_EQ(0, new_call(&other, MBX_CALL_AT_MOST_ONCE, &slot[1], &id[1]));
	self->p->ncalls = 2;
	ASSERT_EQ(0, start(self, 0, callee_child));
	ASSERT_EQ(0, wait_ge(&self->p->reached, 1));
	self->p->victim = self->pids[0];
	ASSERT_EQ(0, start(self, 1, killer_child));
	ASSERT_EQ(POLLPRI, poll_for(self->b.fd, POLLPRI, SAFETY_MS) & POLLPRI);
	ASSERT_EQ(POLLPRI, poll_for(other.fd, POLLPRI, SAFETY_MS) & POLLPRI);
	ASSERT_EQ(1, events_read(self->b.fd, ev, 4));
	EXPECT_EQ(MBX_EVENT_CALLEE_DIED, ev[0].type);
	EXPECT_EQ(id[0], ev[0].call_id);
	EXPECT_EQ(0, ev[0].status);
	ASSERT_EQ(1, events_read(other.fd, ev, 4));
	EXPECT_EQ(MBX_EVENT_CALLEE_DIED, ev[0].type);
	EXPECT_EQ(id[1], ev[0].call_id);
	EXPECT_EQ(-EOWNERDEAD, ev[0].status);
	EXPECT_EQ(128 + SIGKILL, finish(self, 0));
	EXPECT_EQ(0, finish(self, 1));
	tbox_close(&other);
}

/* A callee blocked in take gets the call its dead peer was holding. */
TEST_F(notify, waiting_callee_gets_the_redelivered_call)
{
	__u32 slot;
	__u64 id;

	ASSERT_EQ(0, new_call(&self->b, 0, &slot, &id));
	ASSERT_EQ(0, start(self, 0, callee_child));
	ASSERT_EQ(0, wait_ge(&self->p->reached, 1));
	/* The second callee waits for a call; none is pending. */
	self->p->take_ret = 1;
	ASSERT_EQ(0, start(self, 2, callee_child));
	usleep(50000);
	EXPECT_EQ(1, atomic_load(&self->p->reached));
	EXPECT_EQ(128 + SIGKILL, kill_reap(self->pids[0]));
	self->pids[0] = 0;
	ASSERT_EQ(0, wait_ge(&self->p->reached, 2));
	EXPECT_EQ(0, self->p->take_ret);
	EXPECT_EQ(id, self->p->took.call_id);
	EXPECT_EQ(2, self->p->took.delivery);
	EXPECT_EQ(MBX_CALL_REDELIVERED, self->p->took.flags);
}

/* A call that ends normally queues no event on either side. */
TEST_F(notify, a_normal_call_queues_no_event)
{
	struct tbox callee;
	struct mbx_event ev[4];
	struct mbx_call c;
	__u32 slot;
	__u64 id;

	ASSERT_EQ(0, tbox_open(&callee, self->p->name));
	ASSERT_EQ(0, new_call(&self->b, 0, &slot, &id));
	ASSERT_EQ(0, call_take(callee.fd, MBX_WAIT_NONBLOCK, &c));
	ASSERT_EQ(0, call_complete(callee.fd, slot, id, 0, 0));
	ASSERT_EQ(0, call_collect(self->b.fd, MBX_WAIT_NONBLOCK, 0, 0, &c));
	ASSERT_EQ(0, slot_release(self->b.fd, slot));
	EXPECT_EQ(0, poll_for(self->b.fd, POLLPRI, 0));
	EXPECT_EQ(0, poll_for(callee.fd, POLLPRI, 0));
	EXPECT_EQ(0, events_read(self->b.fd, ev, 4));
	EXPECT_EQ(0, events_read(callee.fd, ev, 4));
	tbox_close(&callee);
}

#define MANY	(64 + 6)

/*
 * More events than the queue holds (64): the reader gets the first 64,
 * then MBX_EVENT_OVERFLOW, and knows to rescan the slots.
 */
TEST(events_beyond_the_queue_report_overflow)
{
	struct mbx_event ev[MANY + 2];
	struct tbox caller, callee;
	char name[MBX_NAME_MAX];
	__u32 slot[MANY];
	__u64 id[MANY];
	struct mbx_call c;
	int i, n, fd;

	mbx_unique_name(name, "ov");
	fd = box_create(name, MANY, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, tbox_attach(&caller, fd));
	ASSERT_EQ(0, tbox_open(&callee, name));
	for (i = 0; i < MANY; i++) {
		ASSERT_EQ(0, new_call(&caller, 0, &slot[i], &id[i]));
		ASSERT_EQ(0, call_take(callee.fd, MBX_WAIT_NONBLOCK, &c));
		ASSERT_EQ(id[i], c.call_id);
	}
	for (i = 0; i < MANY; i++)
		ASSERT_EQ(0, call_cancel(caller.fd, slot[i], id[i], NULL));
	n = events_read(callee.fd, ev, MANY + 2);
	ASSERT_EQ(64 + 1, n);
	for (i = 0; i < 64; i++) {
		EXPECT_EQ(MBX_EVENT_CANCEL, ev[i].type);
		EXPECT_EQ(id[i], ev[i].call_id);
	}
	EXPECT_EQ(MBX_EVENT_OVERFLOW, ev[64].type);
	EXPECT_EQ(0, events_read(callee.fd, ev, MANY + 2));
	EXPECT_EQ(0, poll_for(callee.fd, POLLPRI, 0));
	tbox_close(&callee);
	tbox_close(&caller);
	box_destroy(name);
}

TEST_HARNESS_MAIN
