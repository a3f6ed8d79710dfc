// SPDX-License-Identifier: GPL-2.0
/*
 * Sessions: the open file description of a mailbox fd. Its life (open,
 * release), and what works on the fd as a file: poll, mmap, events.
 */

#include <linux/anon_inodes.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "mbx_internal.h"
#include "mbx_compat.h"

static void mbx_count_owner_died(struct mbx_box *box)
{
	spin_lock(&box->qlock);
	box->st.owner_died++;
	spin_unlock(&box->qlock);
}

/*
 * @sess died holding the call in @s as its callee. A half-written reply
 * is lost. The call runs again (redelivery), unless its caller asked for
 * at most once (-EOWNERDEAD) or cancelled it meanwhile (-ECANCELED).
 */
static void mbx_release_callee(struct mbx_box *box, struct mbx_slot *s,
			       struct mbx_wake *w)
{
	struct mbx_session *caller = s->caller;
	s32 status = 0;

	lockdep_assert_held(&s->lock);
	mbx_count_owner_died(box);
	memset(mbx_reply_plane(box, s), 0, box->slot_size);
	if (s->flags & MBX_CALL_CANCEL_REQ)
		status = -ECANCELED;
	else if (s->flags & MBX_CALL_AT_MOST_ONCE)
		status = -EOWNERDEAD;
	if (status)
		mbx_slot_finish(box, s, status, 0, w);
	else
		mbx_slot_requeue(box, s, true, w);
	if (caller)
		mbx_push_event(caller, MBX_EVENT_CALLEE_DIED, s, status);
}

/*
 * @sess died owning @s: a draft is never delivered (the slot becomes free,
 * its call plane zeroed, the next acquirer told); a revision in progress
 * may be torn, so the call fails.
 */
static void mbx_release_owner(struct mbx_box *box, struct mbx_slot *s,
			      struct mbx_wake *w)
{
	lockdep_assert_held(&s->lock);
	mbx_count_owner_died(box);
	if (s->state == MBX_STATE_EDIT) {
		mbx_slot_finish(box, s, -EOWNERDEAD, 0, w);
		return;
	}
	memset(mbx_call_plane(box, s), 0, box->slot_size);
	s->owner_died = true;
	mbx_slot_free(box, s);
}

/*
 * @sess made the call in @s and is gone: the call still runs; its callee
 * is told, and its reply waits to be collected by id or reclaimed.
 */
static void mbx_release_caller(struct mbx_box *box, struct mbx_slot *s)
{
	lockdep_assert_held(&s->lock);
	mbx_slot_orphan(box, s);
	if (s->state == MBX_STATE_TAKEN && s->callee)
		mbx_push_event(s->callee, MBX_EVENT_CALLER_GONE, s, 0);
}

/* The session is going away: give back what it holds, slot by slot. */
static int mbx_box_fd_release(struct inode *inode, struct file *file)
{
	struct mbx_session *sess = file->private_data;
	struct mbx_box *box = sess->box;
	u32 i;

	for (i = 0; i < box->nslots; i++) {
		struct mbx_slot *s = &box->slots[i];
		struct mbx_wake w = MBX_WAKE(box, false);

		spin_lock(&s->lock);
		if (s->callee == sess)
			mbx_release_callee(box, s, &w);
		if (s->owner == sess)
			mbx_release_owner(box, s, &w);
		if (s->caller == sess)
			mbx_release_caller(box, s);
		spin_unlock(&s->lock);
		mbx_wake_flush(&w);
		cond_resched();
	}
	spin_lock(&box->qlock);
	box->nsessions--;
	WARN_ON_ONCE(!list_empty(&sess->replies));
	spin_unlock(&box->qlock);
	put_pid(sess->pid);
	/* A reply's waker may still be waking sess->wq: struct mbx_wake. */
	kfree_rcu(sess, rcu);
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

	/* Under qlock, which every waker holds to change these. */
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

/*
 * A mapping is checked against the access the fd carries, as for files:
 * the VFS already refuses PROT_WRITE without FMODE_WRITE (a read-only
 * session's file is O_RDONLY); VM_MAYWRITE is cleared too, so mprotect()
 * can never add it.
 */
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
	if (!(sess->access & MBX_ACCESS_WRITE)) {
		if (vma->vm_flags & VM_WRITE)
			return -EACCES;
		mbx_vm_flags_clear(vma, VM_MAYWRITE);
	}
	mbx_vm_flags_clear(vma, VM_MAYEXEC);
	mbx_vm_flags_set(vma, VM_DONTEXPAND);
	return vm_map_pages(vma, box->pages, box->npages);
}

static const struct file_operations mbx_box_fops = {
	.owner = THIS_MODULE,
	.release = mbx_box_fd_release,
	.poll = mbx_box_fd_poll,
	.mmap = mbx_box_fd_mmap,
	.unlocked_ioctl = mbx_box_fd_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
#if IS_ENABLED(CONFIG_IO_URING)
	.uring_cmd = mbx_box_fd_uring_cmd,
#endif
	.llseek = noop_llseek,
};

/*
 * Open a session on @box with @access and return its fd. The caller's
 * reference to @box becomes the session's on success.
 */
int mbx_session_open(struct mbx_box *box, u32 access, bool cloexec)
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

/*
 * MBX_IOC_EVENTS_READ. Events are copied to a buffer of the ring's size
 * (never one sized by the request), copied out, and consumed only when
 * all were copied: a fault loses nothing.
 */
int mbx_ioc_events(struct mbx_ucmd *ucmd)
{
	struct mbx_events_args *args = ucmd->cmd;
	struct mbx_session *sess = ucmd->sess;
	struct mbx_box *box = sess->box;
	const u32 esize = sizeof(struct mbx_event);
	u32 n = 0, taken = 0, i;
	struct mbx_event *buf;
	bool overflow = false;
	void __user *dst;
	int ret = 0;

	if (!args->count || args->event_size < esize ||
	    args->event_size > PAGE_SIZE)
		return -EINVAL;
	buf = kcalloc(MBX_EVENTS_MAX + 1, sizeof(*buf), GFP_KERNEL_ACCOUNT);
	if (!buf)
		return -ENOMEM;

	/*
	 * ev_mutex keeps other readers of this session from consuming
	 * meanwhile; writers only append.
	 */
	mutex_lock(&sess->ev_mutex);
	spin_lock(&box->qlock);
	while (n < args->count && taken < sess->ev_count)
		buf[n++] = sess->events[(sess->ev_head + taken++) %
					MBX_EVENTS_MAX];
	if (n < args->count && sess->ev_overflow) {
		buf[n].type = MBX_EVENT_OVERFLOW;
		n++;
		overflow = true;
	}
	spin_unlock(&box->qlock);

	dst = u64_to_user_ptr(args->events);
	for (i = 0; i < n && !ret; i++, dst += args->event_size)
		if (copy_to_user(dst, &buf[i], esize) ||
		    (args->event_size > esize &&
		     clear_user(dst + esize, args->event_size - esize)))
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
	args->out_count = n;
	return ret;
}
