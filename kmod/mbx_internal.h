/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mbx: stateful two-step RPC mailboxes behind /dev/mailbox.
 *
 * A mailbox is a named array of fixed-size slots. The payload of every
 * slot lives in kernel pages mapped into the processes (a call plane and a
 * reply plane); the header of every slot lives here, in struct mbx_slot,
 * and only the kernel writes it. A process works on a mailbox through a
 * mailbox fd, whose open file description is a session (struct
 * mbx_session): slots are owned, calls submitted, taken and collected by
 * sessions, and a session that goes away (close of the last reference,
 * which includes process death) gives back everything it held.
 *
 * The files:
 *   main.c     the ioctl table and its dispatcher, /dev/mailbox, init/exit
 *   box.c      the registry, accounting, create/open/destroy/list/set
 *   slot.c     queues, waiting, and every slot state transition
 *   call.c     acquire, release, submit, take, complete, collect, cancel
 *   batch.c    many submits and collects, many completes and takes, at once
 *   session.c  a session's life: open, release, poll, mmap, events
 *   inspect.c  info, stats, slot info, /proc/driver/mailbox
 *
 * Slot states and every move between them are drawn in
 * Documentation/userspace-api/mbx.rst ("Slot states"); slot.c holds the
 * only code that changes slot->state, one helper per move, each checking
 * that the move is legal.
 *
 * Locking order:
 *
 *   mbx_lock (mutex: the registry and the per-uid accounting)
 *     box->attr_lock (spinlock: owner, group, mode, reclaim age)
 *   slot->lock (spinlock: the slot's header)
 *     box->qlock (spinlock: every queue of the box and its counters)
 *       wait queue locks (taken by wake_up*)
 *     box->attr_lock (a reply orphaned under slot->lock reads the
 *                     reclaim age)
 *
 * attr_lock is a leaf: nothing is taken under it, so it nests under
 * mbx_lock and under slot->lock alike. The one lock taken against this
 * order is a slot lock trylocked under qlock (mbx_slot_take_next()),
 * which cannot deadlock: it does not wait.
 *
 * mbx_lock is never taken on the call path, nor while a slot lock is
 * held, nor across output to user space: lookups hold it, take a box
 * reference and drop it. Dropping the last box reference takes mbx_lock
 * (mbx_box_release()), so no reference is put while it is held.
 *
 * Queues (the free list, the pending list and each session's reply list)
 * hold slots through slot->qnode; a slot is on at most one of them, and
 * which one follows from its state: FREE on the free list, PENDING on the
 * pending list, REPLIED on its caller's reply list (or on none when the
 * caller is gone). A path that starts from a queue (take, collect, acquire
 * any) pops the slot under qlock, drops qlock, then locks the slot and
 * checks that the state is still the one the queue implies; if it is not,
 * somebody else won the slot and the path tries again. (A take first
 * trylocks the slot under qlock: held, a slot still on the pending list
 * is PENDING, since every move out of PENDING unqueues it under the slot
 * lock.) Removing a slot
 * from its queue is idempotent (list_del_init), so the loser of such a race
 * never corrupts a list.
 *
 * No sleeping happens under slot->lock, qlock or attr_lock, no user memory
 * is touched under them, and they are plain spinlock_t, so PREEMPT_RT
 * turns them into sleeping locks without harm. The wakeups of the call
 * path (a call pending, a reply queued) are made after slot->lock is
 * dropped (struct mbx_wake), so that on PREEMPT_RT the woken task does not
 * preempt the waker only to block on the lock it still holds. Wait conditions run with
 * the task state set and only take spinlocks.
 *
 * Lost wakeups. Every waiter, poll included, queues itself on the wait
 * queue before it checks the state, and checks the state under the lock
 * that the waker holds to change it (qlock for queue emptiness). The waker
 * changes the state, then wakes:
 *
 *   waiter                        waker
 *   add to wq (wq lock)           lock qlock; change state; unlock
 *   lock qlock; check; unlock     if wq_has_sleeper(wq): wake_up(wq)
 *   sleep if nothing
 *
 * If the waiter's check runs before the change, its qlock section comes
 * before the waker's, so its queueing is visible to the waker's check of
 * the queue after it: the waker finds the waiter. If the check runs after
 * the change, the waiter sees it. (A blocking waiter also has a full
 * barrier between queueing and checking, set_current_state(), that pairs
 * with the one in wq_has_sleeper().) A waker that finds the queue empty
 * skips the wakeup and its lock. Exclusive waiters that
 * leave on a signal or a timeout recheck once after leaving the queue, so
 * an exclusive wakeup they took is consumed or, if nothing is there, was
 * not needed (mbx_wait()).
 *
 * Access. A session carries the access it was opened with (sess->access,
 * const); the dispatcher checks it against the operation's need, and
 * mmap against the mapping's protection. Credentials are consulted only
 * when a name is opened, listed or shown, and by the owner-only
 * operations (destroy, set), as files are.
 */
#ifndef _MBX_INTERNAL_H
#define _MBX_INTERNAL_H

#include <linux/cred.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <uapi/linux/mbx.h>

/* Module parameters (main.c). */
extern unsigned int mbx_max_boxes;
extern unsigned int mbx_max_slots;
extern unsigned int mbx_max_slot_size;
extern unsigned long mbx_max_box_bytes;
extern unsigned long mbx_user_max_bytes;
extern unsigned int mbx_user_max_boxes;
extern atomic_t mbx_live_boxes;

/*
 * Memory whose size a user chooses: charged to the memory cgroup, and
 * failing with ENOMEM at the cgroup's limit rather than calling its OOM
 * killer on some other process. The allocations a user influences, all
 * charged (GFP_KERNEL_ACCOUNT):
 *   - a mailbox's pages, page array and slot headers (box.c): MBX_GFP_USER,
 *     sized by nslots and slot_size, which the limits bound before anything
 *     is allocated (max_slots, max_slot_size, max_box_bytes, user_max_*);
 *   - the registry's xarray nodes, one mailbox at a time (box.c), bounded
 *     by max_boxes;
 *   - a session (session.c), one per open, bounded by RLIMIT_NOFILE;
 *   - the events buffer of MBX_IOC_EVENTS_READ (session.c): the ring's
 *     fixed size, whatever the request asks for.
 * No allocation is sized by a request's count: BOX_LIST and SLOT_INFO
 * copy one entry at a time.
 */
#define MBX_GFP_USER	(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

#define MBX_EVENTS_MAX	64

struct mbx_box;

/* The open file description of a mailbox fd. */
struct mbx_session {
	struct mbx_box *box;		/* const, referenced */
	struct pid *pid;		/* opener's thread group, const */
	u32 access;			/* MBX_ACCESS_*, const */
	wait_queue_head_t wq;		/* replies and events */
	struct list_head replies;	/* REPLIED slots, box->qlock */
	struct mutex ev_mutex;		/* one reader of the ring at a time */
	/* Event ring, box->qlock. */
	struct mbx_event events[MBX_EVENTS_MAX];
	u32 ev_head;
	u32 ev_count;
	bool ev_overflow;
	struct rcu_head rcu;		/* freed after a grace period */
};

struct mbx_slot {
	spinlock_t lock;		/* the header below */
	struct list_head qnode;		/* box->qlock */
	wait_queue_head_t wq;		/* waiters for this slot to be free */
	/* Everything below: lock. */
	u32 index;			/* const */
	u32 state;			/* MBX_STATE_*, changed in slot.c only */
	u32 flags;			/* MBX_CALL_* */
	u32 opcode;
	u32 len;
	u32 reply_len;
	s32 status;
	u32 delivery;
	u64 call_id;
	u64 user_data;
	u64 seq;			/* submission order */
	u64 submit_ns;
	u64 take_ns;
	u64 reply_ns;
	bool owner_died;		/* tell the next acquirer */
	struct mbx_session *owner;	/* OWNED, EDIT */
	struct mbx_session *caller;	/* PENDING..REPLIED, NULL if gone */
	struct mbx_session *callee;	/* TAKEN */
};

struct mbx_stats {
	u64 submitted;
	u64 taken;
	u64 completed;
	u64 cancelled;
	u64 redelivered;
	u64 owner_died;
	u64 reclaimed;
	u64 max_wait_ns;
};

/* What BOX_SET may change: attr_lock. */
struct mbx_attrs {
	kuid_t uid;
	kgid_t gid;
	u32 mode;
	u64 reclaim_ns;
};

struct mbx_box {
	struct kref ref;		/* registry + sessions + lookups */
	char name[MBX_NAME_MAX];	/* const */
	u64 id;				/* const, unique, the registry key */
	struct user_namespace *user_ns;	/* const, referenced */
	spinlock_t attr_lock;		/* attrs */
	struct mbx_attrs attrs;		/* attr_lock */
	kuid_t charged_uid;		/* const: who pays for the memory */
	u64 charged_bytes;		/* const */

	u32 nslots;			/* const */
	u32 slot_size;			/* const */
	size_t plane_size;		/* const, page aligned */
	unsigned int npages;		/* const, both planes */
	struct page **pages;		/* const */
	void *vaddr;			/* const, kernel view of the planes */
	struct mbx_slot *slots;		/* const array */

	spinlock_t qlock;		/* the queues and counters */
	struct list_head free;		/* qlock */
	struct list_head pending;	/* qlock */
	u32 nsessions;			/* qlock */
	u32 npending;			/* qlock */
	u64 next_seq;			/* qlock */
	struct mbx_stats st;		/* qlock */
	u64 next_id;			/* qlock: the last call id given */
	wait_queue_head_t call_wq;	/* takers */
	wait_queue_head_t free_wq;	/* acquirers of any slot */
	/*
	 * Pollers of the box-wide events (EPOLLIN, EPOLLOUT), apart from the
	 * blocked takers and acquirers: io_uring polls at most two queues,
	 * this one and the session's.
	 */
	wait_queue_head_t poll_wq;
	struct delayed_work reclaim_work;
};

/*
 * The ioctl being executed: the dispatcher (main.c) has copied and checked
 * the argument struct into @cmd; a handler works on it and, when it
 * returns 0, the dispatcher copies it back to @ubuf.
 */
struct mbx_ucmd {
	struct mbx_session *sess;	/* NULL on /dev/mailbox */
	void __user *ubuf;
	u32 user_size;
	/*
	 * Issued by io_uring, which must not be held up: fail with EAGAIN
	 * where the operation would wait, before any side effect, so that
	 * io_uring runs it again in its worker, where it may wait.
	 */
	bool nowait;
	void *cmd;
};

/* The wait flags for an operation of @ucmd that asked for @flags. */
static inline u32 mbx_wait_flags(const struct mbx_ucmd *ucmd, u32 flags)
{
	return ucmd->nowait ? MBX_WAIT_NONBLOCK : flags;
}

/* box.c */
extern struct mutex mbx_lock;
extern struct xarray mbx_boxes;
void mbx_box_put(struct mbx_box *box);
void mbx_box_get_attrs(struct mbx_box *box, struct mbx_attrs *a);
bool mbx_cred_may(const struct cred *cred, struct mbx_box *box, u32 want,
		  bool audit);
struct mbx_box *mbx_box_next_visible(const struct cred *cred, u64 *id);
int mbx_ioc_create(struct mbx_ucmd *ucmd);
int mbx_ioc_open(struct mbx_ucmd *ucmd);
int mbx_ioc_destroy(struct mbx_ucmd *ucmd);
int mbx_ioc_list(struct mbx_ucmd *ucmd);
int mbx_ioc_set(struct mbx_ucmd *ucmd);
void mbx_boxes_destroy_all(void);

static inline void *mbx_call_plane(struct mbx_box *box, struct mbx_slot *s)
{
	return box->vaddr + (size_t)s->index * box->slot_size;
}

static inline void *mbx_reply_plane(struct mbx_box *box, struct mbx_slot *s)
{
	return box->vaddr + box->plane_size + (size_t)s->index * box->slot_size;
}

/*
 * The wakeups a transition owes, made by mbx_wake_flush() once the slot
 * lock is dropped: on PREEMPT_RT, where slot->lock sleeps, a task woken
 * under it would run at once and block on it. A caller session named in
 * @caller is kept by RCU from the transition (under slot->lock, which
 * keeps it then) to the flush; sessions are freed after a grace period.
 * @sync: the waker goes to sleep right after, the woken need not preempt.
 * A batch makes all its moves, then all its wakeups: one callee woken per
 * call still, but not while the batch is half submitted. @now: the time
 * of the moves, read once (mbx_now()): the calls submitted or answered
 * by one operation carry one time stamp.
 */
struct mbx_wake {
	struct mbx_box *box;
	struct mbx_session *caller;	/* a reply was queued for it */
	u32 callees;			/* calls that became pending */
	bool sync;
	u64 now;
};

#define MBX_WAKE(_box, _sync)	{ .box = (_box), .sync = (_sync) }

/*
 * CLOCK_MONOTONIC, read at most once per operation: *@now caches it (0:
 * not read yet). Only for moves made without sleeping in between.
 */
static inline u64 mbx_now(u64 *now)
{
	if (!*now)
		*now = ktime_get_ns();
	return *now;
}

/* slot.c */
void mbx_wake_flush(struct mbx_wake *w);
typedef int (*mbx_try_fn)(void *ctx);
int mbx_wait(wait_queue_head_t *wq, mbx_try_fn try, void *ctx, u32 flags,
	     u64 timeout_ns, bool exclusive);
void mbx_wake_callees(struct mbx_box *box, u32 n, bool sync);
struct mbx_slot *mbx_pop_free(struct mbx_box *box);
struct mbx_slot *mbx_pop_reply(struct mbx_session *sess);
void mbx_push_event(struct mbx_session *sess, u32 type, struct mbx_slot *s,
		    s32 status);
void mbx_fill_call(struct mbx_call *c, struct mbx_slot *s, u32 len);
void mbx_slot_own(struct mbx_slot *s, struct mbx_session *sess, u32 *out_flags);
void mbx_slot_free(struct mbx_box *box, struct mbx_slot *s);
void mbx_slot_submit_new(struct mbx_box *box, struct mbx_slot *s,
			 struct mbx_session *caller, struct mbx_wake *w);
void mbx_slot_requeue(struct mbx_box *box, struct mbx_slot *s, bool redeliver,
		      struct mbx_wake *w);
void mbx_slot_edit(struct mbx_box *box, struct mbx_slot *s,
		   struct mbx_session *sess);
struct mbx_slot *mbx_slot_take_next(struct mbx_box *box,
				    struct mbx_session *callee, u64 *clock);
void mbx_slot_finish(struct mbx_box *box, struct mbx_slot *s, s32 status,
		     u32 reply_len, struct mbx_wake *w);
void mbx_slot_collect(struct mbx_box *box, struct mbx_slot *s,
		      struct mbx_session *sess);
void mbx_slot_orphan(struct mbx_box *box, struct mbx_slot *s);
unsigned int mbx_reclaim(struct mbx_box *box, u64 min_age_ns, u64 *next_ns);
void mbx_reclaim_work(struct work_struct *work);

/* call.c */
struct mbx_collect_ctx {
	struct mbx_session *sess;
	struct mbx_slot *slot;		/* NULL: any of the session's */
	u64 call_id;
	struct mbx_call *out;
};

struct mbx_take_ctx {
	struct mbx_session *sess;
	struct mbx_call *out;
	u64 now;			/* mbx_now() of the takes */
};

int mbx_try_collect_any(void *arg);
int mbx_try_take(void *arg);
int mbx_submit(struct mbx_session *sess, u32 slot, u32 opcode, u32 len,
	       u32 call_flags, u64 user_data, bool collect,
	       struct mbx_wake *w, u64 *call_id);
int mbx_complete(struct mbx_session *sess, u32 slot, u64 call_id, s32 status,
		 u32 len, struct mbx_wake *w);
int mbx_ioc_acquire(struct mbx_ucmd *ucmd);
int mbx_ioc_release(struct mbx_ucmd *ucmd);
int mbx_ioc_submit(struct mbx_ucmd *ucmd);
int mbx_ioc_take(struct mbx_ucmd *ucmd);
int mbx_ioc_complete(struct mbx_ucmd *ucmd);
int mbx_ioc_collect(struct mbx_ucmd *ucmd);
int mbx_ioc_cancel(struct mbx_ucmd *ucmd);
int mbx_ioc_reclaim(struct mbx_ucmd *ucmd);

/* batch.c */
int mbx_ioc_batch_call(struct mbx_ucmd *ucmd);
int mbx_ioc_batch_serve(struct mbx_ucmd *ucmd);

/* session.c */
int mbx_session_open(struct mbx_box *box, u32 access, bool cloexec);
int mbx_ioc_events(struct mbx_ucmd *ucmd);

/* inspect.c */
int mbx_ioc_info(struct mbx_ucmd *ucmd);
int mbx_ioc_stats(struct mbx_ucmd *ucmd);
int mbx_ioc_slot_info(struct mbx_ucmd *ucmd);
int mbx_proc_init(void);
void mbx_proc_exit(void);

/* main.c */
struct io_uring_cmd;
long mbx_box_fd_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
int mbx_box_fd_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags);

#endif /* _MBX_INTERNAL_H */
