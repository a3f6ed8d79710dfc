// SPDX-License-Identifier: GPL-2.0
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
 * Slot life cycle (see Documentation/userspace-api/mbx.rst):
 *
 *   FREE --acquire--> OWNED --submit--> PENDING --take--> TAKEN
 *    ^                  |  ^              |  ^              |
 *    +-----release------+  |      acquire |  | submit       | complete
 *                          |       (call) v  | /release     v
 *                          |             EDIT         REPLIED
 *                          +----------collect---------------+
 *
 * Locking order:
 *
 *   mbx_lock (mutex: registry, user accounting)
 *     slot->lock (spinlock: the slot's header)
 *       box->qlock (spinlock: every queue of the box and its counters)
 *         wait queue locks (taken by wake_up*)
 *
 * Queues (the free list, the pending list and each session's reply list)
 * hold slots through slot->qnode; a slot is on at most one of them, and
 * which one follows from its state: FREE on the free list, PENDING on the
 * pending list, REPLIED on its caller's reply list (or on none when the
 * caller is gone). A path that starts from a queue (take, collect, acquire
 * any) pops the slot under qlock, drops qlock, then locks the slot and
 * checks that the state is still the one the queue implies; if it is not,
 * somebody else won the slot and the path tries again. Removing a slot
 * from its queue is idempotent (list_del_init), so the loser of such a race
 * never corrupts a list.
 *
 * No sleeping happens under slot->lock or qlock, no user memory is touched
 * under them, and they are plain spinlock_t, so PREEMPT_RT turns them into
 * sleeping locks without harm. Wait conditions run with the task state set
 * and only take spinlocks.
 *
 * Lost wakeups. Every waiter, poll included, queues itself on the wait
 * queue before it checks the state, and checks the state under the lock
 * that the waker holds to change it (qlock for queue emptiness). The waker
 * changes the state, then wakes:
 *
 *   waiter                        waker
 *   add to wq (wq lock)           lock qlock; change state; unlock
 *   lock qlock; check; unlock     wake_up(wq) (wq lock)
 *   sleep if nothing
 *
 * If the waiter's check runs before the change, the wake runs after the
 * change and so after the waiter was added: it finds the waiter. If the
 * check runs after the change, the waiter sees it. Exclusive waiters that
 * leave on a signal or a timeout recheck once after leaving the queue, so
 * an exclusive wakeup they took is consumed or, if nothing is there, was
 * not needed (mbx_wait()).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hrtimer.h>
#include <linux/kref.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/poll.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>
#include <uapi/linux/mbx.h>

#include "mbx_compat.h"

static unsigned int max_boxes = 1024;
module_param(max_boxes, uint, 0644);
MODULE_PARM_DESC(max_boxes, "Most mailboxes in all (default 1024)");

static unsigned int max_slots = 65536;
module_param(max_slots, uint, 0644);
MODULE_PARM_DESC(max_slots, "Most slots per mailbox (default 65536)");

static unsigned int max_slot_size = 1 << 20;
module_param(max_slot_size, uint, 0644);
MODULE_PARM_DESC(max_slot_size, "Largest slot size in bytes (default 1 MiB)");

static unsigned long max_box_bytes = 64UL << 20;
module_param(max_box_bytes, ulong, 0644);
MODULE_PARM_DESC(max_box_bytes,
		 "Largest payload of one mailbox, both planes (default 64 MiB)");

static unsigned long user_max_bytes = 256UL << 20;
module_param(user_max_bytes, ulong, 0644);
MODULE_PARM_DESC(user_max_bytes,
		 "Most payload bytes one uid may own (default 256 MiB)");

static unsigned int user_max_boxes = 256;
module_param(user_max_boxes, uint, 0644);
MODULE_PARM_DESC(user_max_boxes, "Most mailboxes one uid may own (default 256)");

/* Mailboxes in memory, named or not: 0 after the last one is freed. */
static atomic_t mbx_live_boxes = ATOMIC_INIT(0);

static int mbx_live_boxes_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&mbx_live_boxes));
}

static const struct kernel_param_ops mbx_live_boxes_ops = {
	.get = mbx_live_boxes_get,
};
module_param_cb(live_boxes, &mbx_live_boxes_ops, NULL, 0444);
MODULE_PARM_DESC(live_boxes, "Mailboxes in memory (read-only)");

static atomic64_t mbx_next_box_id = ATOMIC64_INIT(0);

/*
 * Memory whose size a user chooses: charged to the memory cgroup, and
 * failing with ENOMEM at the cgroup's limit rather than calling its OOM
 * killer on some other process.
 */
#define MBX_GFP_USER	(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

#define MBX_EVENTS_MAX	64

struct mbx_box;

/* The open file description of a mailbox fd. */
struct mbx_session {
	struct mbx_box *box;
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
};

struct mbx_slot {
	spinlock_t lock;
	struct list_head qnode;		/* box->qlock */
	wait_queue_head_t wq;		/* waiters for this slot to be free */
	/* Everything below: lock. */
	u32 index;			/* const */
	u32 state;			/* MBX_STATE_* */
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

struct mbx_box {
	struct kref ref;		/* registry + sessions */
	struct list_head node;		/* mbx_lock */
	char name[MBX_NAME_MAX];	/* const */
	u64 id;				/* const, unique */
	struct user_namespace *user_ns;	/* const, referenced */
	/* Access model: mbx_lock for writers, READ_ONCE for readers. */
	kuid_t uid;
	kgid_t gid;
	u32 mode;
	u64 reclaim_ns;
	kuid_t charged_uid;		/* const: who pays for the memory */
	u64 charged_bytes;		/* const */

	u32 nslots;			/* const */
	u32 slot_size;			/* const */
	size_t plane_size;		/* const, page aligned */
	unsigned int npages;		/* const, both planes */
	struct page **pages;		/* const */
	void *vaddr;			/* const, kernel view of the planes */
	struct mbx_slot *slots;		/* const array */

	spinlock_t qlock;
	struct list_head free;		/* qlock */
	struct list_head pending;	/* qlock */
	u32 nsessions;			/* qlock */
	u32 npending;			/* qlock */
	u64 next_seq;			/* qlock */
	struct mbx_stats st;		/* qlock */
	atomic64_t next_id;
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

/* What one uid holds, for user_max_bytes and user_max_boxes. */
struct mbx_user {
	struct list_head node;
	kuid_t uid;
	u64 bytes;
	u32 boxes;
};

static DEFINE_MUTEX(mbx_lock);
static LIST_HEAD(mbx_boxes);		/* mbx_lock */
static LIST_HEAD(mbx_users);		/* mbx_lock */
static unsigned int mbx_nboxes;		/* mbx_lock: in memory, named or not */

/* ------------------------------------------------------------------ */
/* Argument copying                                                     */

/*
 * Copy an extensible argument struct whose first field is __u32 size.
 * Returns the size user space gave, or a negative errno.
 */
static long mbx_get_args(void *karg, size_t ksize, size_t minsz,
			 void __user *uarg)
{
	u32 usize;
	int ret;

	if (get_user(usize, (u32 __user *)uarg))
		return -EFAULT;
	if (usize < minsz)
		return -EINVAL;
	if (usize > PAGE_SIZE)
		return -E2BIG;
	ret = copy_struct_from_user(karg, ksize, uarg, usize);
	if (ret)
		return ret;
	*(u32 *)karg = usize;
	return usize;
}

static int mbx_put_args(void __user *uarg, const void *karg, size_t ksize,
			u32 usize)
{
	if (copy_to_user(uarg, karg, min_t(size_t, ksize, usize)))
		return -EFAULT;
	return 0;
}

#define MBX_GET(karg, uarg, last) \
	mbx_get_args(&(karg), sizeof(karg), offsetofend(typeof(karg), last), \
		     uarg)

static bool mbx_name_valid(const u8 *name)
{
	size_t i;

	for (i = 0; i < MBX_NAME_MAX; i++) {
		u8 c = name[i];

		if (!c)
			break;
		/* ASCII only: the kernel's isalnum() knows Latin-1. */
		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
		    !(c >= '0' && c <= '9') && c != '_' && c != '.' &&
		    c != ':' && c != '-')
			return false;
	}
	if (i == 0 || i == MBX_NAME_MAX)
		return false;
	/* NUL padded: nothing may follow the terminator. */
	for (; i < MBX_NAME_MAX; i++)
		if (name[i])
			return false;
	return true;
}

/* ------------------------------------------------------------------ */
/* Access model                                                         */

/*
 * SysV-style check of @want (MBX_ACCESS_*) against the box's mode, with
 * the current credentials. @audit: whether a capability override is
 * audited (not when merely listing).
 */
static bool __mbx_may(struct mbx_box *box, u32 want, bool audit)
{
	const struct cred *cred = current_cred();
	u32 mode = READ_ONCE(box->mode);
	u32 granted;

	if (uid_eq(cred->euid, READ_ONCE(box->uid)))
		granted = mode >> 6;
	else if (in_group_p(READ_ONCE(box->gid)))
		granted = mode >> 3;
	else
		granted = mode;
	/* r is 4, w is 2 in the mode; MBX_ACCESS_READ 1, WRITE 2. */
	granted = ((granted & 4) ? MBX_ACCESS_READ : 0) |
		  ((granted & 2) ? MBX_ACCESS_WRITE : 0);
	if (!(want & ~granted))
		return true;
	if (!audit)
		return ns_capable_noaudit(box->user_ns, CAP_IPC_OWNER);
	return ns_capable(box->user_ns, CAP_IPC_OWNER);
}

static bool mbx_may(struct mbx_box *box, u32 want)
{
	return __mbx_may(box, want, true);
}

/*
 * Every operation checks its access twice: the fd must have been opened
 * with it (EBADF), and the mode must still grant it to the caller now
 * (EACCES), as SysV IPC checks every msgsnd().
 */
static int mbx_check(struct mbx_session *sess, u32 want)
{
	if ((sess->access & want) != want)
		return -EBADF;
	if (!mbx_may(sess->box, want))
		return -EACCES;
	return 0;
}

static bool mbx_is_owner(struct mbx_box *box)
{
	return uid_eq(current_euid(), READ_ONCE(box->uid)) ||
	       ns_capable(box->user_ns, CAP_SYS_ADMIN);
}

/* ------------------------------------------------------------------ */
/* Mailbox objects                                                      */

/*
 * Reserve @bytes and a box for @uid against the limits, before anything is
 * allocated, so that a refused create costs nothing.
 */
static int mbx_user_charge(kuid_t uid, u64 bytes)
{
	struct mbx_user *u;

	lockdep_assert_held(&mbx_lock);
	if (mbx_nboxes >= READ_ONCE(max_boxes))
		return -ENOSPC;
	list_for_each_entry(u, &mbx_users, node)
		if (uid_eq(u->uid, uid))
			goto found;
	u = kzalloc(sizeof(*u), GFP_KERNEL_ACCOUNT);
	if (!u)
		return -ENOMEM;
	u->uid = uid;
	list_add(&u->node, &mbx_users);
found:
	if (u->boxes >= READ_ONCE(user_max_boxes) ||
	    u->bytes + bytes > READ_ONCE(user_max_bytes)) {
		if (!u->boxes) {
			list_del(&u->node);
			kfree(u);
		}
		return -ENOSPC;
	}
	u->bytes += bytes;
	u->boxes++;
	mbx_nboxes++;
	return 0;
}

static void mbx_user_uncharge(kuid_t uid, u64 bytes)
{
	struct mbx_user *u;

	lockdep_assert_held(&mbx_lock);
	mbx_nboxes--;
	list_for_each_entry(u, &mbx_users, node) {
		if (!uid_eq(u->uid, uid))
			continue;
		WARN_ON_ONCE(u->bytes < bytes || !u->boxes);
		u->bytes -= bytes;
		if (!--u->boxes) {
			list_del(&u->node);
			kfree(u);
		}
		return;
	}
	WARN_ON_ONCE(1);
}

/* Bytes a box of @nslots slots of @slot_size costs: planes and headers. */
static u64 mbx_box_cost(u32 nslots, u32 slot_size)
{
	return 2 * (u64)PAGE_ALIGN((u64)nslots * slot_size) +
	       (u64)nslots * sizeof(struct mbx_slot);
}

static void mbx_box_free(struct mbx_box *box)
{
	unsigned int i;

	if (box->vaddr)
		vunmap(box->vaddr);
	if (box->pages) {
		for (i = 0; i < box->npages; i++)
			if (box->pages[i])
				__free_page(box->pages[i]);
		kvfree(box->pages);
	}
	kvfree(box->slots);
	if (box->user_ns)
		put_user_ns(box->user_ns);
	kfree(box);
}

static void mbx_box_release(struct kref *ref)
{
	struct mbx_box *box = container_of(ref, struct mbx_box, ref);

	/* Nothing can queue it any more: no session is left. */
	cancel_delayed_work_sync(&box->reclaim_work);
	mutex_lock(&mbx_lock);
	mbx_user_uncharge(box->charged_uid, box->charged_bytes);
	mutex_unlock(&mbx_lock);
	mbx_box_free(box);
	atomic_dec(&mbx_live_boxes);
}

static void mbx_box_put(struct mbx_box *box)
{
	kref_put(&box->ref, mbx_box_release);
}

static void mbx_reclaim_work(struct work_struct *work);

/* Allocate a box with all its memory; nothing is published yet. */
static struct mbx_box *mbx_box_alloc(const struct mbx_create_args *args)
{
	struct mbx_box *box;
	unsigned int i, plane_pages;
	u64 plane;

	box = kzalloc(sizeof(*box), GFP_KERNEL_ACCOUNT);
	if (!box)
		return NULL;
	kref_init(&box->ref);
	INIT_LIST_HEAD(&box->node);
	memcpy(box->name, args->name, MBX_NAME_MAX);
	box->user_ns = get_user_ns(current_user_ns());
	box->uid = current_euid();
	box->gid = current_egid();
	box->charged_uid = box->uid;
	box->charged_bytes = mbx_box_cost(args->nslots, args->slot_size);
	box->mode = args->mode;
	box->reclaim_ns = args->reclaim_ns;
	box->nslots = args->nslots;
	box->slot_size = args->slot_size;
	plane = (u64)args->nslots * args->slot_size;
	box->plane_size = PAGE_ALIGN(plane);
	plane_pages = box->plane_size >> PAGE_SHIFT;
	box->npages = 2 * plane_pages;
	spin_lock_init(&box->qlock);
	INIT_LIST_HEAD(&box->free);
	INIT_LIST_HEAD(&box->pending);
	init_waitqueue_head(&box->call_wq);
	init_waitqueue_head(&box->free_wq);
	init_waitqueue_head(&box->poll_wq);
	INIT_DELAYED_WORK(&box->reclaim_work, mbx_reclaim_work);
	atomic64_set(&box->next_id, 0);

	box->pages = kvcalloc(box->npages, sizeof(*box->pages), MBX_GFP_USER);
	if (!box->pages)
		goto fail;
	for (i = 0; i < box->npages; i++) {
		box->pages[i] = alloc_page(MBX_GFP_USER | __GFP_ZERO);
		if (!box->pages[i])
			goto fail;
		cond_resched();
	}
	box->vaddr = vmap(box->pages, box->npages, VM_MAP, PAGE_KERNEL);
	if (!box->vaddr)
		goto fail;
	box->slots = kvcalloc(box->nslots, sizeof(*box->slots), MBX_GFP_USER);
	if (!box->slots)
		goto fail;
	for (i = 0; i < box->nslots; i++) {
		struct mbx_slot *s = &box->slots[i];

		spin_lock_init(&s->lock);
		init_waitqueue_head(&s->wq);
		s->index = i;
		s->state = MBX_STATE_FREE;
		list_add_tail(&s->qnode, &box->free);
	}
	return box;
fail:
	mbx_box_free(box);
	return NULL;
}

static struct mbx_box *mbx_box_find(const u8 *name)
{
	struct user_namespace *ns = current_user_ns();
	struct mbx_box *box;

	lockdep_assert_held(&mbx_lock);
	list_for_each_entry(box, &mbx_boxes, node)
		if (box->user_ns == ns && !memcmp(box->name, name, MBX_NAME_MAX))
			return box;
	return NULL;
}

static void *mbx_call_plane(struct mbx_box *box, struct mbx_slot *s)
{
	return box->vaddr + (size_t)s->index * box->slot_size;
}

static void *mbx_reply_plane(struct mbx_box *box, struct mbx_slot *s)
{
	return box->vaddr + box->plane_size + (size_t)s->index * box->slot_size;
}

/* ------------------------------------------------------------------ */
/* Waiting                                                              */

/*
 * A wait condition: 0 when done, -EAGAIN to keep waiting, another
 * negative errno to give up. Runs with the task state set: spinlocks only.
 */
typedef int (*mbx_try_fn)(void *ctx);

/*
 * Wait on @wq until @try is done, per MBX_WAIT_* @flags. An @exclusive
 * waiter is one of many that want the same kind of thing (any pending
 * call, any free slot, any reply): a wakeup goes to one of them.
 */
static int mbx_wait(wait_queue_head_t *wq, mbx_try_fn try, void *ctx,
		    u32 flags, u64 timeout_ns, bool exclusive)
{
	DEFINE_WAIT(wait);
	ktime_t expires = ns_to_ktime(timeout_ns);
	int ret;

	ret = try(ctx);
	if (ret != -EAGAIN || (flags & MBX_WAIT_NONBLOCK))
		return ret;

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

/* Flags shared by the blocking calls; 0 or -EINVAL. */
static int mbx_check_wait(u32 flags, u64 timeout_ns)
{
	if ((flags & MBX_WAIT_NONBLOCK) && (flags & MBX_WAIT_TIMEOUT))
		return -EINVAL;
	if (!(flags & MBX_WAIT_TIMEOUT) && timeout_ns)
		return -EINVAL;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Slot state machine                                                   */

/*
 * Box-wide readiness changed (@mask: EPOLLIN or EPOLLOUT): wake one
 * blocked waiter on @wq and the pollers. The state change was made under
 * qlock, which the poller also takes to check it; wq_has_sleeper()'s
 * barrier pairs with the poller's qlock acquisition after queueing itself.
 */
static void mbx_wake_box(struct mbx_box *box, wait_queue_head_t *wq,
			 __poll_t mask, bool sync)
{
	/*
	 * @sync: the waker is about to sleep itself (it submitted and waits
	 * for the reply), so the woken task need not preempt it.
	 */
	if (sync)
		wake_up_interruptible_sync_poll(wq, mask);
	else
		wake_up_poll(wq, mask);
	if (wq_has_sleeper(&box->poll_wq))
		wake_up_poll(&box->poll_wq, mask);
}

static void mbx_wake_callees(struct mbx_box *box, bool sync)
{
	mbx_wake_box(box, &box->call_wq, EPOLLIN | EPOLLRDNORM, sync);
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

/* Take @s off the pending list if it is there. */
static void mbx_unqueue_pending(struct mbx_box *box, struct mbx_slot *s)
{
	lockdep_assert_held(&s->lock);
	spin_lock(&box->qlock);
	if (!list_empty(&s->qnode)) {
		list_del_init(&s->qnode);
		box->npending--;
	}
	spin_unlock(&box->qlock);
}

static void mbx_push_event(struct mbx_session *sess, u32 type,
			   struct mbx_slot *s, s32 status)
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

static void mbx_orphaned(struct mbx_box *box);

/* Make @s FREE and wake one acquirer of it and one of any slot. */
static void mbx_slot_free(struct mbx_box *box, struct mbx_slot *s)
{
	lockdep_assert_held(&s->lock);
	s->state = MBX_STATE_FREE;
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
 * End the call in @s with @status: REPLIED, and on its caller's reply
 * list when the caller is still there.
 */
static void mbx_finish_call(struct mbx_box *box, struct mbx_slot *s,
			    s32 status, u32 reply_len, bool sync)
{
	struct mbx_session *caller = s->caller;

	lockdep_assert_held(&s->lock);
	s->state = MBX_STATE_REPLIED;
	s->status = status;
	s->reply_len = reply_len;
	s->reply_ns = ktime_get_ns();
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
	if (caller && sync)
		wake_up_interruptible_sync_poll(&caller->wq, EPOLLRDBAND);
	else if (caller)
		wake_up_poll(&caller->wq, EPOLLRDBAND);
	else
		mbx_orphaned(box);
}

static void mbx_fill_call(struct mbx_call *c, struct mbx_slot *s, u32 len)
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

/* ---- acquire ---- */

struct mbx_acquire_ctx {
	struct mbx_session *sess;
	struct mbx_slot *slot;		/* NULL: any */
	u32 out_slot;
	u32 out_flags;
};

static void mbx_own_free_slot(struct mbx_acquire_ctx *ctx, struct mbx_slot *s)
{
	struct mbx_box *box = ctx->sess->box;

	lockdep_assert_held(&s->lock);
	spin_lock(&box->qlock);
	list_del_init(&s->qnode);
	spin_unlock(&box->qlock);
	s->state = MBX_STATE_OWNED;
	s->owner = ctx->sess;
	s->flags = 0;
	ctx->out_slot = s->index;
	ctx->out_flags = s->owner_died ? MBX_ACQUIRED_OWNER_DIED : 0;
	s->owner_died = false;
}

static int mbx_try_acquire_slot(void *arg)
{
	struct mbx_acquire_ctx *ctx = arg;
	struct mbx_slot *s = ctx->slot;
	int ret = -EAGAIN;

	spin_lock(&s->lock);
	if (s->state == MBX_STATE_FREE) {
		mbx_own_free_slot(ctx, s);
		ret = 0;
	} else if (s->owner == ctx->sess) {
		ret = -EDEADLK;
	}
	spin_unlock(&s->lock);
	return ret;
}

static int mbx_try_acquire_any(void *arg)
{
	struct mbx_acquire_ctx *ctx = arg;
	struct mbx_box *box = ctx->sess->box;
	struct mbx_slot *s;

	for (;;) {
		spin_lock(&box->qlock);
		s = list_first_entry_or_null(&box->free, struct mbx_slot,
					     qnode);
		if (s)
			list_del_init(&s->qnode);
		spin_unlock(&box->qlock);
		if (!s)
			return -EAGAIN;
		spin_lock(&s->lock);
		if (s->state == MBX_STATE_FREE) {
			mbx_own_free_slot(ctx, s);
			spin_unlock(&s->lock);
			return 0;
		}
		/* Lost to an acquirer of this very slot: next one. */
		spin_unlock(&s->lock);
	}
}

/* Take the pending call (slot, id) out of the queue for revocation. */
static int mbx_acquire_call(struct mbx_session *sess, struct mbx_slot *s,
			    u64 call_id)
{
	struct mbx_box *box = sess->box;
	int ret = 0;

	spin_lock(&s->lock);
	if (!call_id || s->call_id != call_id) {
		ret = -ESTALE;
	} else {
		switch (s->state) {
		case MBX_STATE_PENDING:
			mbx_unqueue_pending(box, s);
			s->state = MBX_STATE_EDIT;
			s->owner = sess;
			break;
		case MBX_STATE_EDIT:
			ret = s->owner == sess ? -EDEADLK : -EBUSY;
			break;
		case MBX_STATE_TAKEN:
			ret = -EBUSY;
			break;
		default:
			ret = -EALREADY;
			break;
		}
	}
	spin_unlock(&s->lock);
	return ret;
}

static long mbx_ioc_acquire(struct mbx_session *sess, void __user *uarg)
{
	struct mbx_box *box = sess->box;
	struct mbx_acquire_args args;
	struct mbx_acquire_ctx ctx = { .sess = sess };
	u32 known = MBX_WAIT_NONBLOCK | MBX_WAIT_TIMEOUT | MBX_ACQUIRE_ANY |
		    MBX_ACQUIRE_CALL;
	long usize;
	int ret;

	usize = MBX_GET(args, uarg, reserved);
	if (usize < 0)
		return usize;
	if ((args.flags & ~known) || args.reserved ||
	    mbx_check_wait(args.flags, args.timeout_ns))
		return -EINVAL;
	if (args.flags & MBX_ACQUIRE_ANY) {
		if ((args.flags & MBX_ACQUIRE_CALL) || args.slot ||
		    args.call_id)
			return -EINVAL;
	} else {
		if (args.slot >= box->nslots)
			return -EINVAL;
		if (!(args.flags & MBX_ACQUIRE_CALL) && args.call_id)
			return -EINVAL;
	}
	ret = mbx_check(sess, MBX_ACCESS_WRITE);
	if (ret)
		return ret;

	if (args.flags & MBX_ACQUIRE_CALL) {
		ret = mbx_acquire_call(sess, &box->slots[args.slot],
				       args.call_id);
		ctx.out_slot = args.slot;
	} else if (args.flags & MBX_ACQUIRE_ANY) {
		ret = mbx_wait(&box->free_wq, mbx_try_acquire_any, &ctx,
			       args.flags, args.timeout_ns, true);
	} else {
		ctx.slot = &box->slots[args.slot];
		ret = mbx_wait(&ctx.slot->wq, mbx_try_acquire_slot, &ctx,
			       args.flags, args.timeout_ns, true);
	}
	if (ret)
		return ret;
	args.out_slot = ctx.out_slot;
	args.out_flags = ctx.out_flags;
	return mbx_put_args(uarg, &args, sizeof(args), usize);
}

static long mbx_ioc_release(struct mbx_session *sess, void __user *uarg)
{
	struct mbx_box *box = sess->box;
	struct mbx_release_args args;
	struct mbx_slot *s;
	long usize;
	int ret = 0;

	usize = MBX_GET(args, uarg, reserved);
	if (usize < 0)
		return usize;
	if (args.flags || args.reserved || args.slot >= box->nslots)
		return -EINVAL;
	s = &box->slots[args.slot];
	spin_lock(&s->lock);
	if (s->owner != sess) {
		ret = -EPERM;
	} else if (s->state == MBX_STATE_EDIT) {
		s->state = MBX_STATE_PENDING;
		s->owner = NULL;
		mbx_queue_pending(box, s);
		mbx_wake_callees(box, false);
	} else {
		mbx_slot_free(box, s);
	}
	spin_unlock(&s->lock);
	return ret;
}

/* ---- submit ---- */

static long mbx_submit_collect(struct mbx_session *sess,
			       struct mbx_submit_args *args,
			       void __user *uarg, u32 usize);

static long mbx_ioc_submit(struct mbx_session *sess, void __user *uarg)
{
	struct mbx_box *box = sess->box;
	struct mbx_submit_args args;
	u32 known = MBX_CALL_AT_MOST_ONCE | MBX_SUBMIT_COLLECT |
		    MBX_SUBMIT_TIMEOUT;
	bool collect;
	struct mbx_slot *s;
	long usize;
	int ret = 0;

	usize = MBX_GET(args, uarg, user_data);
	if (usize < 0)
		return usize;
	if ((args.flags & ~known) || args.reserved ||
	    args.slot >= box->nslots)
		return -EINVAL;
	collect = args.flags & MBX_SUBMIT_COLLECT;
	if (collect && usize < offsetofend(struct mbx_submit_args, out_reply))
		return -EINVAL;
	if (!collect && (args.flags & MBX_SUBMIT_TIMEOUT))
		return -EINVAL;
	if (!(args.flags & MBX_SUBMIT_TIMEOUT) && args.timeout_ns)
		return -EINVAL;
	if (args.len > box->slot_size)
		return -EMSGSIZE;
	ret = mbx_check(sess, collect ? MBX_ACCESS_READ | MBX_ACCESS_WRITE :
				       MBX_ACCESS_WRITE);
	if (ret)
		return ret;
	s = &box->slots[args.slot];
	spin_lock(&s->lock);
	if (s->owner != sess) {
		spin_unlock(&s->lock);
		return -EPERM;
	}
	/* A revised call's reply goes to its caller: not ours to collect. */
	if (collect && s->state == MBX_STATE_EDIT && s->caller != sess) {
		spin_unlock(&s->lock);
		return -EINVAL;
	}
	s->opcode = args.opcode;
	s->len = args.len;
	s->user_data = args.user_data;
	s->flags = (s->flags & ~MBX_CALL_AT_MOST_ONCE) |
		   (args.flags & MBX_CALL_AT_MOST_ONCE);
	if (s->state == MBX_STATE_OWNED) {
		/* A new call. */
		s->call_id = atomic64_inc_return(&box->next_id);
		s->flags = args.flags & MBX_CALL_AT_MOST_ONCE;
		s->caller = sess;
		s->delivery = 0;
		s->status = 0;
		s->reply_len = 0;
		s->submit_ns = ktime_get_ns();
		s->take_ns = 0;
		s->reply_ns = 0;
		spin_lock(&box->qlock);
		s->seq = box->next_seq++;
		box->st.submitted++;
		/* The newest call: the tail of the queue, no walk. */
		list_add_tail(&s->qnode, &box->pending);
		box->npending++;
		spin_unlock(&box->qlock);
	} else {
		/* EDIT: the same call, modified; id, caller, place kept. */
		mbx_queue_pending(box, s);
	}
	s->state = MBX_STATE_PENDING;
	s->owner = NULL;
	args.out_call_id = s->call_id;
	mbx_wake_callees(box, collect);
	spin_unlock(&s->lock);
	if (collect)
		return mbx_submit_collect(sess, &args, uarg, usize);
	return mbx_put_args(uarg, &args, sizeof(args), usize);
}

/* ---- take and complete ---- */

struct mbx_take_ctx {
	struct mbx_session *sess;
	struct mbx_call *out;
};

static int mbx_try_take(void *arg)
{
	struct mbx_take_ctx *ctx = arg;
	struct mbx_box *box = ctx->sess->box;
	struct mbx_slot *s;
	u64 now, wait;

	for (;;) {
		spin_lock(&box->qlock);
		s = list_first_entry_or_null(&box->pending, struct mbx_slot,
					     qnode);
		if (s) {
			list_del_init(&s->qnode);
			box->npending--;
		}
		spin_unlock(&box->qlock);
		if (!s)
			return -EAGAIN;
		spin_lock(&s->lock);
		if (s->state == MBX_STATE_PENDING)
			break;
		/* Revoked or cancelled while we were getting here. */
		spin_unlock(&s->lock);
	}
	now = ktime_get_ns();
	s->state = MBX_STATE_TAKEN;
	s->callee = ctx->sess;
	s->delivery++;
	s->take_ns = now;
	wait = now - s->submit_ns;
	spin_lock(&box->qlock);
	/* It may have been queued again meanwhile: it is ours now. */
	if (!list_empty(&s->qnode)) {
		list_del_init(&s->qnode);
		box->npending--;
	}
	box->st.taken++;
	if (wait > box->st.max_wait_ns)
		box->st.max_wait_ns = wait;
	spin_unlock(&box->qlock);
	mbx_fill_call(ctx->out, s, s->len);
	spin_unlock(&s->lock);
	return 0;
}

/* Answer the call (slot, id) taken by @sess. */
static int mbx_complete(struct mbx_session *sess, u32 slot, u64 call_id,
			s32 status, u32 len, bool sync)
{
	struct mbx_box *box = sess->box;
	struct mbx_slot *s;
	int ret = 0;

	if (slot >= box->nslots)
		return -EINVAL;
	if (len > box->slot_size)
		return -EMSGSIZE;
	if (status > 0 || status < -MAX_ERRNO)
		return -EINVAL;
	s = &box->slots[slot];
	spin_lock(&s->lock);
	if (!call_id || s->call_id != call_id) {
		ret = -ESTALE;
	} else if (s->state != MBX_STATE_TAKEN || s->callee != sess) {
		ret = -EPERM;
	} else {
		if (s->flags & MBX_CALL_CANCEL_REQ) {
			/* Revoked: the caller gets no result, as for a pending
			 * call cancelled. */
			status = -ECANCELED;
			len = 0;
			ret = -ECANCELED;
		}
		mbx_finish_call(box, s, status, len, sync);
	}
	spin_unlock(&s->lock);
	return ret;
}

static long mbx_ioc_complete(struct mbx_session *sess, void __user *uarg)
{
	struct mbx_complete_args args;
	long usize;
	int ret;

	usize = MBX_GET(args, uarg, reserved);
	if (usize < 0)
		return usize;
	if (args.flags || args.reserved)
		return -EINVAL;
	ret = mbx_check(sess, MBX_ACCESS_WRITE);
	if (ret)
		return ret;
	return mbx_complete(sess, args.slot, args.call_id, args.status,
			    args.len, false);
}

static long mbx_ioc_take(struct mbx_session *sess, void __user *uarg)
{
	struct mbx_take_args __user *utake = uarg;
	struct mbx_box *box = sess->box;
	struct mbx_take_args args;
	struct mbx_take_ctx ctx = { .sess = sess, .out = &args.out_call };
	u32 known = MBX_WAIT_NONBLOCK | MBX_WAIT_TIMEOUT | MBX_TAKE_COMPLETE;
	long usize;
	int ret;

	usize = MBX_GET(args, uarg, out_call);
	if (usize < 0)
		return usize;
	if ((args.flags & ~known) || mbx_check_wait(args.flags, args.timeout_ns))
		return -EINVAL;
	if (!(args.flags & MBX_TAKE_COMPLETE) &&
	    (args.done_call_id || args.done_slot || args.done_len ||
	     args.done_status))
		return -EINVAL;
	ret = mbx_check(sess, MBX_ACCESS_WRITE);
	if (ret)
		return ret;
	args.out_flags = 0;
	memset(&args.out_call, 0, sizeof(args.out_call));
	if ((args.flags & MBX_TAKE_COMPLETE) && args.done_call_id) {
		/* Sync: we go on to wait for the next call. */
		ret = mbx_complete(sess, args.done_slot, args.done_call_id,
				   args.done_status, args.done_len,
				   !(args.flags & MBX_WAIT_NONBLOCK));
		if (ret == -ECANCELED)
			args.out_flags |= MBX_TAKEN_DONE_CANCELLED;
		else if (ret)
			return ret;
		/*
		 * The call is answered whatever the wait below does: say so
		 * in user memory now, so that a restart (or a retry after
		 * EINTR or ETIMEDOUT) does not complete it again.
		 */
		if (put_user(0ULL, &utake->done_call_id) ||
		    put_user(args.out_flags, &utake->out_flags))
			return -EFAULT;
	}
	ret = mbx_wait(&box->call_wq, mbx_try_take, &ctx, args.flags,
		       args.timeout_ns, true);
	if (ret)
		return ret;
	args.done_call_id = 0;
	return mbx_put_args(uarg, &args, sizeof(args), usize);
}

/* ---- collect ---- */

struct mbx_collect_ctx {
	struct mbx_session *sess;
	struct mbx_slot *slot;		/* NULL: any of the session's */
	u64 call_id;
	struct mbx_call *out;
};

/* Hand the REPLIED call in @s to @sess: OWNED, for reading. */
static void mbx_collect_slot(struct mbx_collect_ctx *ctx, struct mbx_slot *s)
{
	lockdep_assert_held(&s->lock);
	s->state = MBX_STATE_OWNED;
	s->owner = ctx->sess;
	s->caller = NULL;
	mbx_fill_call(ctx->out, s, s->reply_len);
}

static int mbx_try_collect_any(void *arg)
{
	struct mbx_collect_ctx *ctx = arg;
	struct mbx_box *box = ctx->sess->box;
	struct mbx_slot *s;

	for (;;) {
		spin_lock(&box->qlock);
		s = list_first_entry_or_null(&ctx->sess->replies,
					     struct mbx_slot, qnode);
		if (s)
			list_del_init(&s->qnode);
		spin_unlock(&box->qlock);
		if (!s)
			return -EAGAIN;
		spin_lock(&s->lock);
		if (s->state == MBX_STATE_REPLIED && s->caller == ctx->sess) {
			mbx_collect_slot(ctx, s);
			spin_unlock(&s->lock);
			return 0;
		}
		spin_unlock(&s->lock);
	}
}

static int mbx_try_collect_call(void *arg)
{
	struct mbx_collect_ctx *ctx = arg;
	struct mbx_box *box = ctx->sess->box;
	struct mbx_slot *s = ctx->slot;
	int ret = -EAGAIN;

	spin_lock(&s->lock);
	if (!ctx->call_id || s->call_id != ctx->call_id) {
		ret = -ESTALE;
		goto out;
	}
	switch (s->state) {
	case MBX_STATE_PENDING:
	case MBX_STATE_EDIT:
	case MBX_STATE_TAKEN:
	case MBX_STATE_REPLIED:
		if (s->caller && s->caller != ctx->sess) {
			ret = -EBUSY;
			break;
		}
		if (!s->caller) {
			/* Adopt the orphan: its reply now comes to us. */
			s->caller = ctx->sess;
			s->flags |= MBX_CALL_ADOPTED;
		}
		if (s->state == MBX_STATE_REPLIED) {
			spin_lock(&box->qlock);
			list_del_init(&s->qnode);
			spin_unlock(&box->qlock);
			mbx_collect_slot(ctx, s);
			ret = 0;
		}
		break;
	default:
		ret = -EALREADY;
		break;
	}
out:
	spin_unlock(&s->lock);
	return ret;
}

static long mbx_ioc_collect(struct mbx_session *sess, void __user *uarg)
{
	struct mbx_box *box = sess->box;
	struct mbx_collect_args args;
	struct mbx_collect_ctx ctx = { .sess = sess, .out = &args.out_call };
	u32 known = MBX_WAIT_NONBLOCK | MBX_WAIT_TIMEOUT | MBX_COLLECT_CALL;
	long usize;
	int ret;

	usize = MBX_GET(args, uarg, out_call);
	if (usize < 0)
		return usize;
	if ((args.flags & ~known) || args.reserved ||
	    mbx_check_wait(args.flags, args.timeout_ns))
		return -EINVAL;
	if (!(args.flags & MBX_COLLECT_CALL) && (args.slot || args.call_id))
		return -EINVAL;
	ret = mbx_check(sess, MBX_ACCESS_READ);
	if (ret)
		return ret;
	memset(&args.out_call, 0, sizeof(args.out_call));
	if (args.flags & MBX_COLLECT_CALL) {
		if (args.slot >= box->nslots)
			return -EINVAL;
		ctx.slot = &box->slots[args.slot];
		ctx.call_id = args.call_id;
		/* Not exclusive: a reply for another call must not stop here. */
		ret = mbx_wait(&sess->wq, mbx_try_collect_call, &ctx,
			       args.flags, args.timeout_ns, false);
	} else {
		ret = mbx_wait(&sess->wq, mbx_try_collect_any, &ctx,
			       args.flags, args.timeout_ns, true);
	}
	if (ret)
		return ret;
	return mbx_put_args(uarg, &args, sizeof(args), usize);
}

/*
 * The second half of MBX_SUBMIT_COLLECT: the call is submitted; wait for
 * a reply to any call of this session, as MBX_IOC_CALL_COLLECT does.
 */
static long mbx_submit_collect(struct mbx_session *sess,
			       struct mbx_submit_args *args,
			       void __user *uarg, u32 usize)
{
	struct mbx_submit_args __user *usub = uarg;
	struct mbx_collect_ctx ctx = { .sess = sess, .out = &args->out_reply };
	u32 wflags = (args->flags & MBX_SUBMIT_TIMEOUT) ? MBX_WAIT_TIMEOUT : 0;
	int ret;

	/* Say what was submitted before waiting: the wait may fail. */
	if (put_user(args->out_call_id, &usub->out_call_id))
		return -EFAULT;
	memset(&args->out_reply, 0, sizeof(args->out_reply));
	ret = mbx_wait(&sess->wq, mbx_try_collect_any, &ctx, wflags,
		       args->timeout_ns, true);
	/* Never restart: that would submit the slot a second time. */
	if (ret == -ERESTARTSYS)
		ret = -EINTR;
	if (ret)
		return ret;
	return mbx_put_args(uarg, args, sizeof(*args), usize);
}

/* ---- cancel ---- */

static long mbx_ioc_cancel(struct mbx_session *sess, void __user *uarg)
{
	struct mbx_box *box = sess->box;
	struct mbx_cancel_args args;
	struct mbx_slot *s;
	long usize;
	int ret = 0;

	usize = MBX_GET(args, uarg, slot);
	if (usize < 0)
		return usize;
	if (args.flags || args.slot >= box->nslots)
		return -EINVAL;
	ret = mbx_check(sess, MBX_ACCESS_WRITE);
	if (ret)
		return ret;
	s = &box->slots[args.slot];
	spin_lock(&s->lock);
	if (!args.call_id || s->call_id != args.call_id) {
		ret = -ESTALE;
		goto out;
	}
	args.out_state = s->state;
	switch (s->state) {
	case MBX_STATE_PENDING:
		mbx_unqueue_pending(box, s);
		mbx_finish_call(box, s, -ECANCELED, 0, false);
		break;
	case MBX_STATE_EDIT:
		if (s->owner != sess) {
			ret = -EBUSY;
			break;
		}
		mbx_finish_call(box, s, -ECANCELED, 0, false);
		break;
	case MBX_STATE_TAKEN:
		if (!(s->flags & MBX_CALL_CANCEL_REQ)) {
			s->flags |= MBX_CALL_CANCEL_REQ;
			mbx_push_event(s->callee, MBX_EVENT_CANCEL, s, 0);
		}
		break;
	default:
		ret = -EALREADY;
		break;
	}
out:
	spin_unlock(&s->lock);
	if (ret)
		return ret;
	return mbx_put_args(uarg, &args, sizeof(args), usize);
}

/* ---- reclaim ---- */

/*
 * Free the replies whose caller is gone, answered at least @min_age_ns
 * ago. *@next_ns: how long until the youngest remaining one comes of age
 * (0 if none remains).
 */
static unsigned int mbx_reclaim(struct mbx_box *box, u64 min_age_ns,
				u64 *next_ns)
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
static void mbx_reclaim_work(struct work_struct *work)
{
	struct mbx_box *box = container_of(to_delayed_work(work),
					   struct mbx_box, reclaim_work);
	u64 age = READ_ONCE(box->reclaim_ns), next;

	if (!age)
		return;
	mbx_reclaim(box, age, &next);
	if (next)
		schedule_delayed_work(&box->reclaim_work,
				      nsecs_to_jiffies(next) + 1);
}

/* A reply lost its caller: arm the age limit if the box has one. */
static void mbx_orphaned(struct mbx_box *box)
{
	u64 age = READ_ONCE(box->reclaim_ns);

	/* A work already queued fires no later and re-arms for the rest. */
	if (age)
		schedule_delayed_work(&box->reclaim_work,
				      nsecs_to_jiffies(age) + 1);
}

static long mbx_ioc_reclaim(struct mbx_session *sess, void __user *uarg)
{
	struct mbx_reclaim_args args;
	long usize;
	u64 next;
	int ret;

	usize = MBX_GET(args, uarg, min_age_ns);
	if (usize < 0)
		return usize;
	if (args.flags || args.reserved)
		return -EINVAL;
	ret = mbx_check(sess, MBX_ACCESS_WRITE);
	if (ret)
		return ret;
	args.out_count = mbx_reclaim(sess->box, args.min_age_ns, &next);
	return mbx_put_args(uarg, &args, sizeof(args), usize);
}

/* ---- events ---- */

static long mbx_ioc_events(struct mbx_session *sess, void __user *uarg)
{
	struct mbx_box *box = sess->box;
	struct mbx_events_args args;
	struct mbx_event *buf;
	void __user *dst;
	u32 n = 0, taken = 0, esize, i;
	bool overflow = false;
	long usize;
	int ret = 0;

	usize = MBX_GET(args, uarg, event_size);
	if (usize < 0)
		return usize;
	if (args.flags || args.reserved || !args.count)
		return -EINVAL;
	if (args.event_size < sizeof(struct mbx_event) ||
	    args.event_size > PAGE_SIZE)
		return -EINVAL;
	esize = sizeof(struct mbx_event);
	buf = kcalloc(MBX_EVENTS_MAX + 1, sizeof(*buf), GFP_KERNEL);
	if (!buf)
		return -ENOMEM;

	/*
	 * Copy out first, consume after: a fault loses nothing. ev_mutex
	 * keeps other readers of this session from consuming meanwhile;
	 * writers only append.
	 */
	mutex_lock(&sess->ev_mutex);
	spin_lock(&box->qlock);
	while (n < args.count && taken < sess->ev_count)
		buf[n++] = sess->events[(sess->ev_head + taken++) %
					MBX_EVENTS_MAX];
	if (n < args.count && sess->ev_overflow) {
		buf[n].type = MBX_EVENT_OVERFLOW;
		n++;
		overflow = true;
	}
	spin_unlock(&box->qlock);

	dst = u64_to_user_ptr(args.events);
	for (i = 0; i < n && !ret; i++, dst += args.event_size)
		if (copy_to_user(dst, &buf[i], esize) ||
		    (args.event_size > esize &&
		     clear_user(dst + esize, args.event_size - esize)))
			ret = -EFAULT;
	if (!ret) {
		spin_lock(&box->qlock);
		sess->ev_head = (sess->ev_head + taken) % MBX_EVENTS_MAX;
		sess->ev_count -= taken;
		if (overflow)
			sess->ev_overflow = false;
		spin_unlock(&box->qlock);
	}
	mutex_unlock(&sess->ev_mutex);
	kfree(buf);
	if (ret)
		return ret;
	args.out_count = n;
	return mbx_put_args(uarg, &args, sizeof(args), usize);
}

/* ---- inspection ---- */

static u32 mbx_session_pid(struct mbx_session *sess)
{
	return sess ? pid_vnr(sess->pid) : 0;
}

static long mbx_ioc_slot_info(struct mbx_session *sess, void __user *uarg)
{
	struct mbx_box *box = sess->box;
	struct mbx_slots_args args;
	struct mbx_slot_info info;
	void __user *dst;
	u32 i, n = 0, isize;
	long usize;
	int ret;

	usize = MBX_GET(args, uarg, info_size);
	if (usize < 0)
		return usize;
	if (args.flags)
		return -EINVAL;
	if (args.first >= box->nslots)
		return -EINVAL;
	if (args.info_size < offsetofend(struct mbx_slot_info, callee_pid) ||
	    args.info_size > PAGE_SIZE)
		return -EINVAL;
	ret = mbx_check(sess, MBX_ACCESS_READ);
	if (ret)
		return ret;
	isize = min_t(u32, args.info_size, sizeof(info));
	dst = u64_to_user_ptr(args.info);
	for (i = args.first; i < box->nslots && n < args.count; i++, n++) {
		struct mbx_slot *s = &box->slots[i];

		memset(&info, 0, sizeof(info));
		spin_lock(&s->lock);
		info.call_id = s->call_id;
		info.user_data = s->user_data;
		info.submit_ns = s->submit_ns;
		info.take_ns = s->take_ns;
		info.reply_ns = s->reply_ns;
		info.slot = s->index;
		info.state = s->state;
		info.opcode = s->opcode;
		info.len = s->len;
		info.reply_len = s->reply_len;
		info.status = s->status;
		info.flags = s->flags;
		info.delivery = s->delivery;
		info.owner_pid = mbx_session_pid(s->owner);
		info.caller_pid = mbx_session_pid(s->caller);
		info.callee_pid = mbx_session_pid(s->callee);
		spin_unlock(&s->lock);
		if (copy_to_user(dst, &info, isize))
			return -EFAULT;
		/* Zero what this kernel does not know of a larger entry. */
		if (args.info_size > isize &&
		    clear_user(dst + isize, args.info_size - isize))
			return -EFAULT;
		dst += args.info_size;
		cond_resched();
	}
	args.out_count = n;
	return mbx_put_args(uarg, &args, sizeof(args), usize);
}

static long mbx_ioc_stats(struct mbx_session *sess, void __user *uarg)
{
	struct mbx_box *box = sess->box;
	struct mbx_stats_args args;
	u64 oldest = 0;
	u32 counts[MBX_STATE_REPLIED + 1] = {};
	struct mbx_slot *first;
	long usize;
	int ret;
	u32 i;

	usize = MBX_GET(args, uarg, flags);
	if (usize < 0)
		return usize;
	if (args.flags)
		return -EINVAL;
	ret = mbx_check(sess, MBX_ACCESS_READ);
	if (ret)
		return ret;
	for (i = 0; i < box->nslots; i++) {
		struct mbx_slot *s = &box->slots[i];

		/* A racy census by design: each slot is read consistently. */
		spin_lock(&s->lock);
		counts[s->state]++;
		spin_unlock(&s->lock);
		cond_resched();
	}
	memset(&args, 0, sizeof(args));
	args.size = usize;
	spin_lock(&box->qlock);
	args.out_submitted = box->st.submitted;
	args.out_taken = box->st.taken;
	args.out_completed = box->st.completed;
	args.out_cancelled = box->st.cancelled;
	args.out_redelivered = box->st.redelivered;
	args.out_owner_died = box->st.owner_died;
	args.out_reclaimed = box->st.reclaimed;
	args.out_max_wait_ns = box->st.max_wait_ns;
	args.out_sessions = box->nsessions;
	first = list_first_entry_or_null(&box->pending, struct mbx_slot,
					 qnode);
	/* submit_ns of a queued slot only changes off the queue. */
	if (first)
		oldest = ktime_get_ns() - READ_ONCE(first->submit_ns);
	spin_unlock(&box->qlock);
	args.out_oldest_pending_ns = oldest;
	args.out_free = counts[MBX_STATE_FREE];
	args.out_owned = counts[MBX_STATE_OWNED] + counts[MBX_STATE_EDIT];
	args.out_pending = counts[MBX_STATE_PENDING];
	args.out_taken_now = counts[MBX_STATE_TAKEN];
	args.out_replied = counts[MBX_STATE_REPLIED];
	return mbx_put_args(uarg, &args, sizeof(args), usize);
}

static long mbx_ioc_info(struct mbx_session *sess, void __user *uarg)
{
	struct mbx_box *box = sess->box;
	struct mbx_info_args args;
	long usize;

	usize = MBX_GET(args, uarg, flags);
	if (usize < 0)
		return usize;
	if (args.flags)
		return -EINVAL;
	memset(&args, 0, sizeof(args));
	args.size = usize;
	memcpy(args.out_name, box->name, MBX_NAME_MAX);
	args.out_box_id = box->id;
	args.out_nslots = box->nslots;
	args.out_slot_size = box->slot_size;
	args.out_call_off = 0;
	args.out_reply_off = box->plane_size;
	args.out_map_size = 2 * (u64)box->plane_size;
	mutex_lock(&mbx_lock);
	args.out_uid = from_kuid_munged(current_user_ns(), box->uid);
	args.out_gid = from_kgid_munged(current_user_ns(), box->gid);
	args.out_mode = box->mode;
	args.out_reclaim_ns = box->reclaim_ns;
	mutex_unlock(&mbx_lock);
	args.out_access = sess->access;
	return mbx_put_args(uarg, &args, sizeof(args), usize);
}

static long mbx_ioc_set(struct mbx_session *sess, void __user *uarg)
{
	struct mbx_box *box = sess->box;
	u32 known = MBX_SET_UID | MBX_SET_GID | MBX_SET_MODE | MBX_SET_RECLAIM;
	struct mbx_set_args args;
	kuid_t uid = INVALID_UID;
	kgid_t gid = INVALID_GID;
	long usize;
	int ret = 0;

	usize = MBX_GET(args, uarg, reclaim_ns);
	if (usize < 0)
		return usize;
	if ((args.flags & ~known) || args.reserved)
		return -EINVAL;
	if ((args.flags & MBX_SET_MODE) && (args.mode & ~0666))
		return -EINVAL;
	if (args.flags & MBX_SET_UID) {
		uid = make_kuid(current_user_ns(), args.uid);
		if (!uid_valid(uid))
			return -EINVAL;
	}
	if (args.flags & MBX_SET_GID) {
		gid = make_kgid(current_user_ns(), args.gid);
		if (!gid_valid(gid))
			return -EINVAL;
	}
	mutex_lock(&mbx_lock);
	if (!mbx_is_owner(box)) {
		ret = -EPERM;
	} else {
		if (args.flags & MBX_SET_UID)
			WRITE_ONCE(box->uid, uid);
		if (args.flags & MBX_SET_GID)
			WRITE_ONCE(box->gid, gid);
		if (args.flags & MBX_SET_MODE)
			WRITE_ONCE(box->mode, args.mode);
		if (args.flags & MBX_SET_RECLAIM)
			WRITE_ONCE(box->reclaim_ns, args.reclaim_ns);
	}
	mutex_unlock(&mbx_lock);
	/* A new age limit applies to the orphans already there. */
	if (!ret && (args.flags & MBX_SET_RECLAIM) && args.reclaim_ns)
		mod_delayed_work(system_wq, &box->reclaim_work, 0);
	return ret;
}

static long mbx_ioc_api(void __user *uarg)
{
	struct mbx_api_args args;
	long usize;

	usize = MBX_GET(args, uarg, api);
	if (usize < 0)
		return usize;
	if (!args.api)
		return -EINVAL;
	memset(&args, 0, sizeof(args));
	args.size = usize;
	args.api = MBX_API_VERSION;
	args.out_api = MBX_API_VERSION;
	args.out_features = MBX_FEAT_REVOKE | MBX_FEAT_REDELIVER |
			    MBX_FEAT_EVENTS | MBX_FEAT_INSPECT |
			    MBX_FEAT_RECLAIM;
	args.out_max_slots = READ_ONCE(max_slots);
	args.out_max_slot_size = READ_ONCE(max_slot_size);
	args.out_max_box_bytes = READ_ONCE(max_box_bytes);
	return mbx_put_args(uarg, &args, sizeof(args), usize);
}

/* ------------------------------------------------------------------ */
/* Mailbox fd                                                           */

/*
 * The session is going away: give back what it holds. Calls it had
 * taken go back to the queue (or fail, at most once); calls it made lose
 * their caller and their callee is told; slots it owned become free.
 */
static int mbx_box_fd_release(struct inode *inode, struct file *file)
{
	struct mbx_session *sess = file->private_data;
	struct mbx_box *box = sess->box;
	u32 i;

	for (i = 0; i < box->nslots; i++) {
		struct mbx_slot *s = &box->slots[i];
		bool wake_callee = false;

		spin_lock(&s->lock);
		if (s->callee == sess) {
			/* Died holding the call: a half-written reply is lost. */
			struct mbx_session *caller = s->caller;

			spin_lock(&box->qlock);
			box->st.owner_died++;
			spin_unlock(&box->qlock);
			memset(mbx_reply_plane(box, s), 0, box->slot_size);
			if (s->flags & MBX_CALL_CANCEL_REQ) {
				/* Revoked already: end it, do not run it again. */
				mbx_finish_call(box, s, -ECANCELED, 0, false);
				if (caller)
					mbx_push_event(caller,
						       MBX_EVENT_CALLEE_DIED,
						       s, -ECANCELED);
			} else if (s->flags & MBX_CALL_AT_MOST_ONCE) {
				mbx_finish_call(box, s, -EOWNERDEAD, 0, false);
				if (caller)
					mbx_push_event(caller,
						       MBX_EVENT_CALLEE_DIED,
						       s, -EOWNERDEAD);
			} else {
				s->callee = NULL;
				s->state = MBX_STATE_PENDING;
				s->flags |= MBX_CALL_REDELIVERED;
				mbx_queue_pending(box, s);
				spin_lock(&box->qlock);
				box->st.redelivered++;
				spin_unlock(&box->qlock);
				if (caller)
					mbx_push_event(caller,
						       MBX_EVENT_CALLEE_DIED,
						       s, 0);
				mbx_wake_callees(box, false);
			}
		}
		if (s->owner == sess) {
			spin_lock(&box->qlock);
			box->st.owner_died++;
			spin_unlock(&box->qlock);
			if (s->state == MBX_STATE_EDIT) {
				/* The revision may be torn: fail the call. */
				mbx_finish_call(box, s, -EOWNERDEAD, 0, false);
			} else {
				/* A draft is never delivered. */
				memset(mbx_call_plane(box, s), 0,
				       box->slot_size);
				s->owner_died = true;
				mbx_slot_free(box, s);
			}
		}
		if (s->caller == sess) {
			s->caller = NULL;
			s->flags |= MBX_CALL_CALLER_GONE;
			if (s->state == MBX_STATE_REPLIED) {
				spin_lock(&box->qlock);
				list_del_init(&s->qnode);
				spin_unlock(&box->qlock);
				mbx_orphaned(box);
			}
			wake_callee = s->state == MBX_STATE_TAKEN;
		}
		if (wake_callee && s->callee)
			mbx_push_event(s->callee, MBX_EVENT_CALLER_GONE, s, 0);
		spin_unlock(&s->lock);
		cond_resched();
	}
	spin_lock(&box->qlock);
	box->nsessions--;
	WARN_ON_ONCE(!list_empty(&sess->replies));
	spin_unlock(&box->qlock);
	put_pid(sess->pid);
	kfree(sess);
	mbx_box_put(box);
	return 0;
}

static __poll_t mbx_box_fd_poll(struct file *file, poll_table *pt)
{
	struct mbx_session *sess = file->private_data;
	struct mbx_box *box = sess->box;
	__poll_t mask = 0;

	poll_wait(file, &box->poll_wq, pt);
	poll_wait(file, &sess->wq, pt);

	/* Under qlock, which every waker holds to change these; see top. */
	spin_lock(&box->qlock);
	if (!list_empty(&box->pending))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (!list_empty(&box->free))
		mask |= EPOLLOUT | EPOLLWRNORM;
	if (!list_empty(&sess->replies))
		mask |= EPOLLRDBAND;
	if (sess->ev_count || sess->ev_overflow)
		mask |= EPOLLPRI;
	spin_unlock(&box->qlock);
	return mask;
}

static int mbx_box_fd_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct mbx_session *sess = file->private_data;
	struct mbx_box *box = sess->box;
	unsigned long pages = vma_pages(vma);

	/* Private copies of a mailbox make no sense. */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (vma->vm_pgoff >= box->npages || pages > box->npages - vma->vm_pgoff)
		return -EINVAL;
	/* Others write it: never code. */
	if (vma->vm_flags & VM_EXEC)
		return -EPERM;
	/*
	 * The VFS already refused PROT_WRITE without FMODE_WRITE; the mode
	 * is checked now too, as for every operation. A mapping the mode no
	 * longer lets write can never be made writable.
	 */
	if (!mbx_may(box, MBX_ACCESS_READ))
		return -EACCES;
	if (vma->vm_flags & VM_WRITE) {
		if (!mbx_may(box, MBX_ACCESS_WRITE))
			return -EACCES;
	} else if ((vma->vm_flags & VM_MAYWRITE) &&
		   !__mbx_may(box, MBX_ACCESS_WRITE, false)) {
		/* Nothing is refused here: no audited capability check. */
		mbx_vm_flags_clear(vma, VM_MAYWRITE);
	}
	mbx_vm_flags_clear(vma, VM_MAYEXEC);
	mbx_vm_flags_set(vma, VM_DONTEXPAND);
	return vm_map_pages(vma, box->pages, box->npages);
}

static long mbx_box_fd_ioctl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	struct mbx_session *sess = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case MBX_IOC_API:
		return mbx_ioc_api(uarg);
	case MBX_IOC_BOX_INFO:
		return mbx_ioc_info(sess, uarg);
	case MBX_IOC_BOX_SET:
		return mbx_ioc_set(sess, uarg);
	case MBX_IOC_BOX_STATS:
		return mbx_ioc_stats(sess, uarg);
	case MBX_IOC_BOX_RECLAIM:
		return mbx_ioc_reclaim(sess, uarg);
	case MBX_IOC_SLOT_ACQUIRE:
		return mbx_ioc_acquire(sess, uarg);
	case MBX_IOC_SLOT_RELEASE:
		return mbx_ioc_release(sess, uarg);
	case MBX_IOC_SLOT_INFO:
		return mbx_ioc_slot_info(sess, uarg);
	case MBX_IOC_CALL_SUBMIT:
		return mbx_ioc_submit(sess, uarg);
	case MBX_IOC_CALL_TAKE:
		return mbx_ioc_take(sess, uarg);
	case MBX_IOC_CALL_COMPLETE:
		return mbx_ioc_complete(sess, uarg);
	case MBX_IOC_CALL_COLLECT:
		return mbx_ioc_collect(sess, uarg);
	case MBX_IOC_CALL_CANCEL:
		return mbx_ioc_cancel(sess, uarg);
	case MBX_IOC_EVENTS_READ:
		return mbx_ioc_events(sess, uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations mbx_box_fops = {
	.owner = THIS_MODULE,
	.release = mbx_box_fd_release,
	.poll = mbx_box_fd_poll,
	.mmap = mbx_box_fd_mmap,
	.unlocked_ioctl = mbx_box_fd_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

/* Open a session on @box, which the caller holds a reference to. */
static int mbx_session_open(struct mbx_box *box, u32 access, bool cloexec)
{
	struct mbx_session *sess;
	int flags, fd;

	sess = kzalloc(sizeof(*sess), GFP_KERNEL_ACCOUNT);
	if (!sess)
		return -ENOMEM;
	sess->box = box;
	sess->access = access;
	sess->pid = get_task_pid(current, PIDTYPE_TGID);
	init_waitqueue_head(&sess->wq);
	INIT_LIST_HEAD(&sess->replies);
	mutex_init(&sess->ev_mutex);

	flags = (access & MBX_ACCESS_WRITE) ? O_RDWR : O_RDONLY;
	if (cloexec)
		flags |= O_CLOEXEC;

	spin_lock(&box->qlock);
	box->nsessions++;
	spin_unlock(&box->qlock);
	fd = anon_inode_getfd("[mailbox]", &mbx_box_fops, sess, flags);
	if (fd < 0) {
		spin_lock(&box->qlock);
		box->nsessions--;
		spin_unlock(&box->qlock);
		put_pid(sess->pid);
		kfree(sess);
	}
	return fd;
}

/* ------------------------------------------------------------------ */
/* /proc/driver/mailbox                                                 */

/*
 * A text view for people and scripts: a line per mailbox the reader may
 * read, then a line per slot that is not free. Kept in /proc rather than
 * debugfs because monitors run as ordinary users and debugfs is root's
 * and not always mounted; it follows /proc/sysvipc in filtering by the
 * reader's permission.
 */
static const char *const mbx_state_names[] = {
	[MBX_STATE_FREE] = "FREE",
	[MBX_STATE_OWNED] = "OWNED",
	[MBX_STATE_PENDING] = "PENDING",
	[MBX_STATE_EDIT] = "EDIT",
	[MBX_STATE_TAKEN] = "TAKEN",
	[MBX_STATE_REPLIED] = "REPLIED",
};

static void mbx_proc_box(struct seq_file *m, struct mbx_box *box)
{
	struct user_namespace *ns = current_user_ns();
	u32 counts[MBX_STATE_REPLIED + 1] = {};
	struct mbx_slot_info info;
	struct mbx_stats st;
	struct mbx_slot *first;
	u64 now, oldest = 0;
	u32 i, sessions;

	lockdep_assert_held(&mbx_lock);
	for (i = 0; i < box->nslots; i++) {
		struct mbx_slot *s = &box->slots[i];

		spin_lock(&s->lock);
		counts[s->state]++;
		spin_unlock(&s->lock);
	}
	spin_lock(&box->qlock);
	st = box->st;
	sessions = box->nsessions;
	first = list_first_entry_or_null(&box->pending, struct mbx_slot,
					 qnode);
	/* Now, not earlier: the call may have come after an earlier now. */
	if (first)
		oldest = ktime_get_ns() - READ_ONCE(first->submit_ns);
	spin_unlock(&box->qlock);

	seq_printf(m, "box name=%s slots=%u slot_size=%u uid=%u gid=%u mode=0%03o sessions=%u",
		   box->name, box->nslots, box->slot_size,
		   from_kuid_munged(ns, box->uid),
		   from_kgid_munged(ns, box->gid), box->mode, sessions);
	seq_printf(m, " submitted=%llu taken=%llu completed=%llu cancelled=%llu redelivered=%llu owner_died=%llu reclaimed=%llu",
		   st.submitted, st.taken, st.completed, st.cancelled,
		   st.redelivered, st.owner_died, st.reclaimed);
	seq_printf(m, " pending=%u taken_now=%u replied=%u max_wait_ns=%llu oldest_pending_ns=%llu\n",
		   counts[MBX_STATE_PENDING], counts[MBX_STATE_TAKEN],
		   counts[MBX_STATE_REPLIED], st.max_wait_ns, oldest);

	for (i = 0; i < box->nslots; i++) {
		struct mbx_slot *s = &box->slots[i];
		u64 wait = 0, held = 0;

		spin_lock(&s->lock);
		if (s->state == MBX_STATE_FREE) {
			spin_unlock(&s->lock);
			continue;
		}
		/* Read under the lock: the times cannot be later than this. */
		now = ktime_get_ns();
		info.state = s->state;
		info.call_id = s->call_id;
		info.opcode = s->opcode;
		info.len = s->len;
		info.reply_len = s->reply_len;
		info.status = s->status;
		info.flags = s->flags;
		info.delivery = s->delivery;
		info.owner_pid = mbx_session_pid(s->owner);
		info.caller_pid = mbx_session_pid(s->caller);
		info.callee_pid = mbx_session_pid(s->callee);
		if (s->state == MBX_STATE_PENDING || s->state == MBX_STATE_EDIT ||
		    s->state == MBX_STATE_TAKEN)
			wait = now - s->submit_ns;
		if (s->state == MBX_STATE_TAKEN)
			held = now - s->take_ns;
		spin_unlock(&s->lock);
		seq_printf(m, "slot box=%s slot=%u state=%s call_id=%llu opcode=%u len=%u reply_len=%u status=%d flags=0x%x delivery=%u owner=%u caller=%u callee=%u wait_ns=%llu held_ns=%llu\n",
			   box->name, i, mbx_state_names[info.state],
			   info.call_id, info.opcode, info.len, info.reply_len,
			   info.status, info.flags, info.delivery,
			   info.owner_pid, info.caller_pid, info.callee_pid,
			   wait, held);
	}
}

static int mbx_proc_show(struct seq_file *m, void *v)
{
	struct user_namespace *ns = current_user_ns();
	struct mbx_box *box;

	mutex_lock(&mbx_lock);
	list_for_each_entry(box, &mbx_boxes, node)
		if (box->user_ns == ns &&
		    __mbx_may(box, MBX_ACCESS_READ, false))
			mbx_proc_box(m, box);
	mutex_unlock(&mbx_lock);
	return 0;
}

static int mbx_proc_open(struct inode *inode, struct file *file)
{
	return single_open(file, mbx_proc_show, NULL);
}

static const struct proc_ops mbx_proc_ops = {
	.proc_open = mbx_proc_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
};

/* ------------------------------------------------------------------ */
/* /dev/mailbox                                                         */

static long mbx_ioc_create(void __user *uarg)
{
	struct mbx_create_args args;
	struct mbx_box *box;
	kuid_t uid = current_euid();
	u64 cost;
	long usize;
	int fd;

	usize = MBX_GET(args, uarg, reclaim_ns);
	if (usize < 0)
		return usize;
	if ((args.flags & ~MBX_CREATE_CLOEXEC) || args.reserved)
		return -EINVAL;
	if (!mbx_name_valid(args.name) || (args.mode & ~0666))
		return -EINVAL;
	if (!args.nslots || !args.slot_size ||
	    args.slot_size % MBX_SLOT_ALIGN)
		return -EINVAL;
	if (args.nslots > READ_ONCE(max_slots) ||
	    args.slot_size > READ_ONCE(max_slot_size))
		return -E2BIG;
	if (2 * (u64)PAGE_ALIGN((u64)args.nslots * args.slot_size) >
	    READ_ONCE(max_box_bytes))
		return -E2BIG;
	cost = mbx_box_cost(args.nslots, args.slot_size);

	/* Refuse before allocating: a name taken, a limit reached. */
	mutex_lock(&mbx_lock);
	fd = mbx_box_find(args.name) ? -EEXIST : mbx_user_charge(uid, cost);
	mutex_unlock(&mbx_lock);
	if (fd)
		return fd;

	box = mbx_box_alloc(&args);
	if (!box) {
		fd = -ENOMEM;
		goto uncharge;
	}

	mutex_lock(&mbx_lock);
	if (mbx_box_find(args.name)) {
		/* Created by someone else while we allocated. */
		mutex_unlock(&mbx_lock);
		mbx_box_free(box);
		fd = -EEXIST;
		goto uncharge;
	}
	box->id = atomic64_inc_return(&mbx_next_box_id);
	/* The session's reference; the registry's is the initial one. */
	kref_get(&box->ref);
	atomic_inc(&mbx_live_boxes);
	fd = mbx_session_open(box, MBX_ACCESS_READ | MBX_ACCESS_WRITE,
			      args.flags & MBX_CREATE_CLOEXEC);
	if (fd < 0) {
		mutex_unlock(&mbx_lock);
		/* Never published: both references go, and the charge. */
		kref_put(&box->ref, mbx_box_release);
		mbx_box_put(box);
		return fd;
	}
	list_add_tail(&box->node, &mbx_boxes);
	mutex_unlock(&mbx_lock);
	return fd;

uncharge:
	mutex_lock(&mbx_lock);
	mbx_user_uncharge(uid, cost);
	mutex_unlock(&mbx_lock);
	return fd;
}

static long mbx_ioc_open(void __user *uarg)
{
	struct mbx_open_args args;
	struct mbx_box *box;
	u32 known = MBX_ACCESS_READ | MBX_ACCESS_WRITE;
	long usize;
	int fd;

	usize = MBX_GET(args, uarg, access);
	if (usize < 0)
		return usize;
	if ((args.flags & ~MBX_OPEN_CLOEXEC) || args.reserved)
		return -EINVAL;
	/* Writers read payloads: write access alone means nothing. */
	if (!(args.access & MBX_ACCESS_READ) || (args.access & ~known))
		return -EINVAL;
	if (!mbx_name_valid(args.name))
		return -EINVAL;
	mutex_lock(&mbx_lock);
	box = mbx_box_find(args.name);
	if (!box) {
		fd = -ENOENT;
	} else if (!mbx_may(box, args.access)) {
		fd = -EACCES;
	} else {
		kref_get(&box->ref);
		fd = mbx_session_open(box, args.access,
				      args.flags & MBX_OPEN_CLOEXEC);
		if (fd < 0)
			kref_put(&box->ref, mbx_box_release);
	}
	mutex_unlock(&mbx_lock);
	return fd;
}

static void mbx_unlink(struct mbx_box *box)
{
	lockdep_assert_held(&mbx_lock);
	list_del_init(&box->node);
}

static long mbx_ioc_destroy(void __user *uarg)
{
	struct mbx_destroy_args args;
	struct mbx_box *box;
	long usize;
	int ret = 0;

	usize = MBX_GET(args, uarg, name);
	if (usize < 0)
		return usize;
	if (args.flags || !mbx_name_valid(args.name))
		return -EINVAL;
	mutex_lock(&mbx_lock);
	box = mbx_box_find(args.name);
	if (!box)
		ret = -ENOENT;
	else if (!mbx_is_owner(box))
		ret = -EPERM;
	else
		mbx_unlink(box);
	mutex_unlock(&mbx_lock);
	/* The registry's reference; mbx_box_release takes mbx_lock. */
	if (!ret)
		mbx_box_put(box);
	return ret;
}

static long mbx_ioc_list(void __user *uarg)
{
	struct user_namespace *ns = current_user_ns();
	struct mbx_list_args args;
	struct mbx_box_entry *buf = NULL;
	struct mbx_box *box;
	u32 n = 0, total = 0, esize, cap;
	void __user *dst;
	long usize;
	int ret = 0;

	usize = MBX_GET(args, uarg, entry_size);
	if (usize < 0)
		return usize;
	if (args.flags)
		return -EINVAL;
	if (args.count && (args.entry_size <
			   offsetofend(struct mbx_box_entry, pending) ||
			   args.entry_size > PAGE_SIZE))
		return -EINVAL;
	esize = min_t(u32, args.entry_size, sizeof(*buf));
	cap = min_t(u32, args.count, READ_ONCE(max_boxes));
	if (cap) {
		buf = kvcalloc(cap, sizeof(*buf), GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
	}
	mutex_lock(&mbx_lock);
	list_for_each_entry(box, &mbx_boxes, node) {
		struct mbx_box_entry *e;

		if (box->user_ns != ns || !__mbx_may(box, MBX_ACCESS_READ, false))
			continue;
		total++;
		if (n >= cap)
			continue;
		e = &buf[n++];
		memcpy(e->name, box->name, MBX_NAME_MAX);
		e->nslots = box->nslots;
		e->slot_size = box->slot_size;
		e->uid = from_kuid_munged(ns, box->uid);
		e->gid = from_kgid_munged(ns, box->gid);
		e->mode = box->mode;
		e->box_id = box->id;
		spin_lock(&box->qlock);
		e->pending = box->npending;
		spin_unlock(&box->qlock);
	}
	mutex_unlock(&mbx_lock);
	dst = u64_to_user_ptr(args.entries);
	for (u32 i = 0; i < n && !ret; i++) {
		if (copy_to_user(dst, &buf[i], esize) ||
		    (args.entry_size > esize &&
		     clear_user(dst + esize, args.entry_size - esize)))
			ret = -EFAULT;
		dst += args.entry_size;
	}
	kvfree(buf);
	if (ret)
		return ret;
	args.out_count = n;
	args.out_total = total;
	return mbx_put_args(uarg, &args, sizeof(args), usize);
}

static long mbx_ctl_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case MBX_IOC_API:
		return mbx_ioc_api(uarg);
	case MBX_IOC_BOX_CREATE:
		return mbx_ioc_create(uarg);
	case MBX_IOC_BOX_OPEN:
		return mbx_ioc_open(uarg);
	case MBX_IOC_BOX_DESTROY:
		return mbx_ioc_destroy(uarg);
	case MBX_IOC_BOX_LIST:
		return mbx_ioc_list(uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations mbx_ctl_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = mbx_ctl_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice mbx_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "mailbox",
	.fops = &mbx_ctl_fops,
	.mode = 0666,
};

static void mbx_check_abi(void)
{
	BUILD_BUG_ON(sizeof(struct mbx_api_args) != 40);
	BUILD_BUG_ON(sizeof(struct mbx_create_args) != 96);
	BUILD_BUG_ON(sizeof(struct mbx_open_args) != 80);
	BUILD_BUG_ON(sizeof(struct mbx_destroy_args) != 72);
	BUILD_BUG_ON(sizeof(struct mbx_box_entry) != 96);
	BUILD_BUG_ON(sizeof(struct mbx_list_args) != 32);
	BUILD_BUG_ON(sizeof(struct mbx_info_args) != 136);
	BUILD_BUG_ON(sizeof(struct mbx_set_args) != 32);
	BUILD_BUG_ON(sizeof(struct mbx_acquire_args) != 40);
	BUILD_BUG_ON(sizeof(struct mbx_release_args) != 16);
	BUILD_BUG_ON(sizeof(struct mbx_call) != 40);
	BUILD_BUG_ON(sizeof(struct mbx_submit_args) != 88);
	BUILD_BUG_ON(sizeof(struct mbx_take_args) != 80);
	BUILD_BUG_ON(sizeof(struct mbx_complete_args) != 32);
	BUILD_BUG_ON(sizeof(struct mbx_collect_args) != 72);
	BUILD_BUG_ON(sizeof(struct mbx_cancel_args) != 24);
	BUILD_BUG_ON(sizeof(struct mbx_slot_info) != 88);
	BUILD_BUG_ON(sizeof(struct mbx_slots_args) != 32);
	BUILD_BUG_ON(sizeof(struct mbx_stats_args) != 104);
	BUILD_BUG_ON(sizeof(struct mbx_event) != 24);
	BUILD_BUG_ON(sizeof(struct mbx_events_args) != 32);
	BUILD_BUG_ON(sizeof(struct mbx_reclaim_args) != 24);
}

static struct proc_dir_entry *mbx_proc;

static int __init mbx_init(void)
{
	int ret;

	mbx_check_abi();
	mbx_proc = proc_create("driver/mailbox", 0444, NULL, &mbx_proc_ops);
	if (!mbx_proc)
		return -ENOMEM;
	ret = misc_register(&mbx_misc);
	if (ret)
		proc_remove(mbx_proc);
	return ret;
}

/*
 * Unloading is possible only when no fd of /dev/mailbox or of a mailbox
 * is open and nothing is mapped (each holds a module reference); the
 * mailboxes still named are destroyed with it.
 */
static void __exit mbx_exit(void)
{
	struct mbx_box *box, *tmp;
	LIST_HEAD(dead);

	misc_deregister(&mbx_misc);
	proc_remove(mbx_proc);
	mutex_lock(&mbx_lock);
	list_for_each_entry_safe(box, tmp, &mbx_boxes, node) {
		mbx_unlink(box);
		list_add(&box->node, &dead);
	}
	mutex_unlock(&mbx_lock);
	list_for_each_entry_safe(box, tmp, &dead, node)
		mbx_box_put(box);
	if (atomic_read(&mbx_live_boxes))
		pr_err("%d mailboxes leaked\n", atomic_read(&mbx_live_boxes));
	WARN_ON(atomic_read(&mbx_live_boxes));
	WARN_ON(!list_empty(&mbx_users));
}

module_init(mbx_init);
module_exit(mbx_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Stateful two-step RPC mailboxes (/dev/mailbox)");
