// SPDX-License-Identifier: GPL-2.0
/*
 * Slots: their queues, waiting for them, and every state transition.
 *
 * This file holds the only code that changes slot->state. Each move of
 * the diagram in Documentation/userspace-api/mbx.rst ("Slot states") is one
 * helper below, called with slot->lock held; mbx_slot_move() checks the
 * move against the diagram. Locking rules: see mbx_internal.h.
 */

#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/poll.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/string.h>

#include "mbx_internal.h"
#include "mbx_compat.h"

/* The moves of the slot state diagram: mbx_moves[from] has BIT(to). */
static const u8 mbx_moves[MBX_STATE_REPLIED + 1] = {
	[MBX_STATE_FREE] = BIT(MBX_STATE_OWNED),
	[MBX_STATE_OWNED] = BIT(MBX_STATE_FREE) | BIT(MBX_STATE_PENDING),
	[MBX_STATE_PENDING] = BIT(MBX_STATE_EDIT) | BIT(MBX_STATE_TAKEN) |
			      BIT(MBX_STATE_REPLIED),
	[MBX_STATE_EDIT] = BIT(MBX_STATE_PENDING) | BIT(MBX_STATE_REPLIED),
	[MBX_STATE_TAKEN] = BIT(MBX_STATE_PENDING) | BIT(MBX_STATE_REPLIED),
	[MBX_STATE_REPLIED] = BIT(MBX_STATE_OWNED) | BIT(MBX_STATE_FREE),
};

static void mbx_slot_move(struct mbx_slot *s, u32 to)
{
	lockdep_assert_held(&s->lock);
	WARN_ON_ONCE(!(mbx_moves[s->state] & BIT(to)));
	s->state = to;
}

/* ------------------------------------------------------------------ */
/* Waiting                                                              */

/*
 * Wait on @wq until @try is done, per MBX_WAIT_* @flags. @try returns 0
 * when done, -EAGAIN to keep waiting, another negative errno to give up;
 * it runs with the task state set, so it takes spinlocks only. An
 * @exclusive waiter is one of many that want the same kind of thing (any
 * pending call, any free slot, any reply): a wakeup goes to one of them.
 * @timeout_ns was clamped to KTIME_MAX by the dispatcher.
 */
int mbx_wait(wait_queue_head_t *wq, mbx_try_fn try, void *ctx, u32 flags,
	     u64 timeout_ns, bool exclusive)
{
	DEFINE_WAIT(wait);
	ktime_t expires = ns_to_ktime(timeout_ns);
	int ret;

	ret = try(ctx);
	if (ret != -EAGAIN || (flags & MBX_WAIT_NONBLOCK))
		return ret;
	/*
	 * A task we just woke (the callee of the call this operation
	 * submitted, say) may be due to run on this CPU: let it run before
	 * we queue, and look again. On one CPU it usually answers meanwhile,
	 * and we leave without sleeping or being woken: one wakeup per round
	 * trip instead of two. schedule(), not cond_resched(), which does
	 * nothing on a preemptible kernel, whose lazy requests wait for the
	 * return to user space.
	 */
	if (mbx_resched_due()) {
		schedule();
		ret = try(ctx);
		if (ret != -EAGAIN)
			return ret;
	}

	for (;;) {
		if (exclusive)
			prepare_to_wait_exclusive(wq, &wait,
						  TASK_INTERRUPTIBLE);
		else
			prepare_to_wait(wq, &wait, TASK_INTERRUPTIBLE);
		ret = try(ctx);
		if (ret != -EAGAIN)
			break;
		if (signal_pending(current)) {
			ret = -ERESTARTSYS;
			break;
		}
		if (flags & MBX_WAIT_TIMEOUT) {
			if (!schedule_hrtimeout(&expires, HRTIMER_MODE_ABS)) {
				ret = -ETIMEDOUT;
				break;
			}
		} else {
			schedule();
		}
		/*
		 * Woken, and so off the queue: what woke us is usually there.
		 * Take it before queueing again; if it is gone, queue and
		 * check again as on the first turn, so nothing is missed.
		 */
		__set_current_state(TASK_RUNNING);
		ret = try(ctx);
		if (ret != -EAGAIN)
			break;
	}
	finish_wait(wq, &wait);
	if (ret == -ERESTARTSYS || ret == -ETIMEDOUT) {
		/*
		 * Off the queue now, so later wakeups go to other waiters.
		 * One that chose us before finish_wait() is consumed here;
		 * if there is nothing to consume, none was owed.
		 */
		int again = try(ctx);

		if (again != -EAGAIN)
			ret = again;
	}
	return ret;
}

/*
 * Box-wide readiness changed (@mask: EPOLLIN or EPOLLOUT): wake one
 * blocked waiter on @wq and the pollers. The state change was made under
 * qlock, which the poller also takes to check it; wq_has_sleeper()'s
 * barrier pairs with the poller's qlock acquisition after queueing itself.
 * @sync: the waker is about to sleep itself (it submitted and waits for
 * the reply), so the woken task need not preempt it.
 */
static void mbx_wake_box(struct mbx_box *box, wait_queue_head_t *wq,
			 __poll_t mask, bool sync)
{
	if (wq_has_sleeper(wq)) {
		if (sync)
			wake_up_interruptible_sync_poll(wq, mask);
		else
			wake_up_poll(wq, mask);
	}
	if (wq_has_sleeper(&box->poll_wq))
		wake_up_poll(&box->poll_wq, mask);
}

/* @n calls became pending: wake up to @n blocked callees, and pollers. */
void mbx_wake_callees(struct mbx_box *box, u32 n, bool sync)
{
	__poll_t mask = EPOLLIN | EPOLLRDNORM;

	if (n == 1) {
		mbx_wake_box(box, &box->call_wq, mask, sync);
		return;
	}
	if (wq_has_sleeper(&box->call_wq))
		__wake_up(&box->call_wq, TASK_NORMAL, n, poll_to_key(mask));
	if (wq_has_sleeper(&box->poll_wq))
		wake_up_poll(&box->poll_wq, mask);
}

/*
 * Make the wakeups @w owes; the slot lock is no longer held. A wait queue
 * nobody is on costs no lock: wq_has_sleeper()'s barrier pairs with the
 * waiter's, which queues itself before it checks (see mbx_internal.h).
 */
void mbx_wake_flush(struct mbx_wake *w)
{
	struct mbx_session *caller = w->caller;

	if (w->callees)
		mbx_wake_callees(w->box, w->callees, w->sync);
	if (caller) {
		if (wq_has_sleeper(&caller->wq)) {
			if (w->sync)
				wake_up_interruptible_sync_poll(&caller->wq,
								EPOLLRDBAND);
			else
				wake_up_poll(&caller->wq, EPOLLRDBAND);
		}
		rcu_read_unlock();
	}
	w->callees = 0;
	w->caller = NULL;
	w->now = 0;
}

/* ------------------------------------------------------------------ */
/* Queues                                                               */

/* The warmest free slot, off its queue; the caller rechecks its state. */
struct mbx_slot *mbx_pop_free(struct mbx_box *box)
{
	struct mbx_slot *s;

	spin_lock(&box->qlock);
	s = list_first_entry_or_null(&box->free, struct mbx_slot, qnode);
	if (s)
		list_del_init(&s->qnode);
	spin_unlock(&box->qlock);
	return s;
}

/* The oldest reply of @sess, off its queue; the caller rechecks it. */
struct mbx_slot *mbx_pop_reply(struct mbx_session *sess)
{
	struct mbx_box *box = sess->box;
	struct mbx_slot *s;

	spin_lock(&box->qlock);
	s = list_first_entry_or_null(&sess->replies, struct mbx_slot, qnode);
	if (s)
		list_del_init(&s->qnode);
	spin_unlock(&box->qlock);
	return s;
}

/*
 * Take @s off whatever queue it is on. A slot is put on a queue only
 * under its lock, which we hold, and taken off by poppers without it: an
 * empty qnode seen here stays empty, and needs no qlock (a slot just
 * popped, taken or collected is on no queue).
 */
static void mbx_unqueue(struct mbx_box *box, struct mbx_slot *s)
{
	lockdep_assert_held(&s->lock);
	if (list_empty_careful(&s->qnode))
		return;
	spin_lock(&box->qlock);
	if (!list_empty(&s->qnode)) {
		list_del_init(&s->qnode);
		if (s->state == MBX_STATE_PENDING)
			box->npending--;
	}
	spin_unlock(&box->qlock);
}

/* Put @s on the pending list in submission order and count it. */
static void mbx_queue_pending(struct mbx_box *box, struct mbx_slot *s)
{
	struct mbx_slot *pos;

	lockdep_assert_held(&s->lock);
	spin_lock(&box->qlock);
	/* Usually the newest: walk from the tail. */
	list_for_each_entry_reverse(pos, &box->pending, qnode) {
		if (pos->seq < s->seq)
			break;
	}
	list_add(&s->qnode, &pos->qnode);
	box->npending++;
	spin_unlock(&box->qlock);
}

/* Queue an event for @sess about the call in @s. */
void mbx_push_event(struct mbx_session *sess, u32 type, struct mbx_slot *s,
		    s32 status)
{
	struct mbx_box *box = sess->box;
	struct mbx_event *ev;

	lockdep_assert_held(&s->lock);
	spin_lock(&box->qlock);
	if (sess->ev_count == MBX_EVENTS_MAX) {
		sess->ev_overflow = true;
	} else {
		ev = &sess->events[(sess->ev_head + sess->ev_count) %
				   MBX_EVENTS_MAX];
		memset(ev, 0, sizeof(*ev));
		ev->type = type;
		ev->slot = s->index;
		ev->call_id = s->call_id;
		ev->status = status;
		sess->ev_count++;
	}
	spin_unlock(&box->qlock);
	/*
	 * The session stays valid while we hold a slot it is named in. No
	 * key: io_uring ignores a wakeup keyed with EPOLLPRI alone (it masks
	 * EPOLLPRI out of its match), so every poller rechecks instead.
	 */
	wake_up(&sess->wq);
}

void mbx_fill_call(struct mbx_call *c, struct mbx_slot *s, u32 len)
{
	lockdep_assert_held(&s->lock);
	c->call_id = s->call_id;
	c->user_data = s->user_data;
	c->slot = s->index;
	c->opcode = s->opcode;
	c->len = len;
	c->status = s->status;
	c->flags = s->flags;
	c->delivery = s->delivery;
}

/* ------------------------------------------------------------------ */
/* Transitions                                                          */

/* FREE -> OWNED by @sess. @out_flags: MBX_ACQUIRED_*. */
void mbx_slot_own(struct mbx_slot *s, struct mbx_session *sess,
		  u32 *out_flags)
{
	mbx_unqueue(sess->box, s);
	mbx_slot_move(s, MBX_STATE_OWNED);
	s->owner = sess;
	s->flags = 0;
	*out_flags = s->owner_died ? MBX_ACQUIRED_OWNER_DIED : 0;
	s->owner_died = false;
}

/* OWNED or REPLIED -> FREE; wake one acquirer of it and one of any slot. */
void mbx_slot_free(struct mbx_box *box, struct mbx_slot *s)
{
	mbx_unqueue(box, s);
	mbx_slot_move(s, MBX_STATE_FREE);
	s->owner = NULL;
	s->caller = NULL;
	s->callee = NULL;
	spin_lock(&box->qlock);
	/* Head: the most recently used slot is the warmest. */
	list_add(&s->qnode, &box->free);
	spin_unlock(&box->qlock);
	wake_up(&s->wq);
	mbx_wake_box(box, &box->free_wq, EPOLLOUT | EPOLLWRNORM, false);
}

/*
 * OWNED -> PENDING: a new call of @caller, with a new id, at the tail of
 * the queue. The opcode, length, cookie and flags are already in @s.
 */
void mbx_slot_submit_new(struct mbx_box *box, struct mbx_slot *s,
			 struct mbx_session *caller, struct mbx_wake *w)
{
	lockdep_assert_held(&s->lock);
	mbx_slot_move(s, MBX_STATE_PENDING);
	s->owner = NULL;
	s->caller = caller;
	s->delivery = 0;
	s->status = 0;
	s->reply_len = 0;
	s->submit_ns = mbx_now(&w->now);
	s->take_ns = 0;
	s->reply_ns = 0;
	spin_lock(&box->qlock);
	s->call_id = ++box->next_id;
	s->seq = box->next_seq++;
	box->st.submitted++;
	/* The newest call: the tail of the queue, no walk. */
	list_add_tail(&s->qnode, &box->pending);
	box->npending++;
	spin_unlock(&box->qlock);
	w->callees++;
}

/*
 * EDIT -> PENDING (a revision submitted, or released unchanged) or, with
 * @redeliver, TAKEN -> PENDING (its callee died): back in its place in
 * the queue, same id, same caller.
 */
void mbx_slot_requeue(struct mbx_box *box, struct mbx_slot *s,
		      bool redeliver, struct mbx_wake *w)
{
	lockdep_assert_held(&s->lock);
	WARN_ON_ONCE(s->state != (redeliver ? MBX_STATE_TAKEN :
					      MBX_STATE_EDIT));
	mbx_slot_move(s, MBX_STATE_PENDING);
	s->owner = NULL;
	s->callee = NULL;
	if (redeliver) {
		s->flags |= MBX_CALL_REDELIVERED;
		spin_lock(&box->qlock);
		box->st.redelivered++;
		spin_unlock(&box->qlock);
	}
	mbx_queue_pending(box, s);
	w->callees++;
}

/* PENDING -> EDIT by @sess, out of the queue. */
void mbx_slot_edit(struct mbx_box *box, struct mbx_slot *s,
		   struct mbx_session *sess)
{
	mbx_unqueue(box, s);
	mbx_slot_move(s, MBX_STATE_EDIT);
	s->owner = sess;
}

/* @s, PENDING and off its queue, is taken now: count it (qlock held). */
static void mbx_count_take(struct mbx_box *box, struct mbx_slot *s, u64 now)
{
	u64 wait = now - s->submit_ns;

	lockdep_assert_held(&box->qlock);
	box->st.taken++;
	if (wait > box->st.max_wait_ns)
		box->st.max_wait_ns = wait;
}

/*
 * PENDING -> TAKEN by @callee: the oldest pending call, returned with its
 * lock held, or NULL if none is pending. *@clock: mbx_now().
 *
 * The lock order is slot->lock, then qlock, so under qlock the slot can
 * only be trylocked. When that works, which is nearly always, the slot
 * is ours in one qlock section: held, a slot on the pending list is
 * PENDING, as every move out of PENDING unqueues it under slot->lock.
 * Otherwise it is popped, then locked and rechecked: it may have been
 * revoked or cancelled meanwhile.
 */
struct mbx_slot *mbx_slot_take_next(struct mbx_box *box,
				    struct mbx_session *callee, u64 *clock)
{
	struct mbx_slot *s;
	bool locked;

	for (;;) {
		spin_lock(&box->qlock);
		s = list_first_entry_or_null(&box->pending, struct mbx_slot,
					     qnode);
		if (!s) {
			spin_unlock(&box->qlock);
			return NULL;
		}
		list_del_init(&s->qnode);
		box->npending--;
		locked = spin_trylock(&s->lock);
		if (locked)
			mbx_count_take(box, s, mbx_now(clock));
		spin_unlock(&box->qlock);
		if (!locked) {
			spin_lock(&s->lock);
			if (s->state != MBX_STATE_PENDING) {
				spin_unlock(&s->lock);
				continue;
			}
			/* It may have been queued again since: ours now. */
			mbx_unqueue(box, s);
			spin_lock(&box->qlock);
			mbx_count_take(box, s, mbx_now(clock));
			spin_unlock(&box->qlock);
		}
		break;
	}
	mbx_slot_move(s, MBX_STATE_TAKEN);
	s->callee = callee;
	s->delivery++;
	s->take_ns = mbx_now(clock);
	return s;
}

/* A reply lost its caller: arm the age limit if the box has one. */
static void mbx_orphaned(struct mbx_box *box)
{
	u64 age;

	spin_lock(&box->attr_lock);
	age = box->attrs.reclaim_ns;
	spin_unlock(&box->attr_lock);
	/* A work already queued fires no later and re-arms for the rest. */
	if (age)
		schedule_delayed_work(&box->reclaim_work,
				      nsecs_to_jiffies(age) + 1);
}

/*
 * PENDING, EDIT or TAKEN -> REPLIED with @status: on its caller's reply
 * list when the caller is still there, an orphan otherwise.
 */
void mbx_slot_finish(struct mbx_box *box, struct mbx_slot *s, s32 status,
		     u32 reply_len, struct mbx_wake *w)
{
	struct mbx_session *caller = s->caller;

	mbx_unqueue(box, s);
	mbx_slot_move(s, MBX_STATE_REPLIED);
	s->status = status;
	s->reply_len = reply_len;
	s->reply_ns = mbx_now(&w->now);
	s->owner = NULL;
	s->callee = NULL;
	spin_lock(&box->qlock);
	if (status == -ECANCELED)
		box->st.cancelled++;
	else
		box->st.completed++;
	if (caller)
		list_add_tail(&s->qnode, &caller->replies);
	spin_unlock(&box->qlock);
	if (caller && caller != w->caller) {
		/*
		 * Kept until mbx_wake_flush(): see struct mbx_wake. A batch
		 * answering calls of several callers wakes the one before
		 * now (rare: a callee's batch usually serves one caller).
		 */
		if (w->caller) {
			wake_up_poll(&w->caller->wq, EPOLLRDBAND);
			rcu_read_unlock();
		}
		rcu_read_lock();
		w->caller = caller;
	} else if (!caller) {
		mbx_orphaned(box);
	}
}

/* REPLIED -> OWNED by @sess, which collects the reply. */
void mbx_slot_collect(struct mbx_box *box, struct mbx_slot *s,
		      struct mbx_session *sess)
{
	mbx_unqueue(box, s);
	mbx_slot_move(s, MBX_STATE_OWNED);
	s->owner = sess;
	s->caller = NULL;
}

/*
 * The caller of the call in @s is gone (no state change): flag it, and
 * if the reply is already there it becomes an orphan.
 */
void mbx_slot_orphan(struct mbx_box *box, struct mbx_slot *s)
{
	lockdep_assert_held(&s->lock);
	s->caller = NULL;
	s->flags |= MBX_CALL_CALLER_GONE;
	if (s->state == MBX_STATE_REPLIED) {
		mbx_unqueue(box, s);
		mbx_orphaned(box);
	}
}

/* ------------------------------------------------------------------ */
/* Reclaim                                                              */

/*
 * Free the replies whose caller is gone, answered at least @min_age_ns
 * ago. *@next_ns: how long until the youngest remaining one comes of age
 * (0 if none remains).
 */
unsigned int mbx_reclaim(struct mbx_box *box, u64 min_age_ns, u64 *next_ns)
{
	u64 now = ktime_get_ns(), next = 0;
	unsigned int i, n = 0;

	for (i = 0; i < box->nslots; i++) {
		struct mbx_slot *s = &box->slots[i];

		spin_lock(&s->lock);
		if (s->state == MBX_STATE_REPLIED && !s->caller) {
			u64 age = now - s->reply_ns;

			if (age >= min_age_ns) {
				mbx_slot_free(box, s);
				n++;
			} else if (!next || min_age_ns - age < next) {
				next = min_age_ns - age;
			}
		}
		spin_unlock(&s->lock);
		cond_resched();
	}
	if (n) {
		spin_lock(&box->qlock);
		box->st.reclaimed += n;
		spin_unlock(&box->qlock);
	}
	*next_ns = next;
	return n;
}

/* The per-mailbox age limit: runs while orphaned replies exist. */
void mbx_reclaim_work(struct work_struct *work)
{
	struct mbx_box *box = container_of(to_delayed_work(work),
					   struct mbx_box, reclaim_work);
	u64 age, next;

	spin_lock(&box->attr_lock);
	age = box->attrs.reclaim_ns;
	spin_unlock(&box->attr_lock);
	if (!age)
		return;
	mbx_reclaim(box, age, &next);
	if (next)
		schedule_delayed_work(&box->reclaim_work,
				      nsecs_to_jiffies(next) + 1);
}
