// SPDX-License-Identifier: GPL-2.0
/*
 * Inspection: BOX_INFO, BOX_STATS, SLOT_INFO, and /proc/driver/mailbox.
 * None of them takes the registry lock while it reads a mailbox or
 * writes to user space.
 */

#include <linux/pid.h>
#include <linux/proc_fs.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>

#include "mbx_internal.h"

static u32 mbx_session_pid(struct mbx_session *sess)
{
	return sess ? pid_vnr(sess->pid) : 0;
}

static void mbx_slot_snapshot(struct mbx_slot_info *info, struct mbx_slot *s)
{
	lockdep_assert_held(&s->lock);
	memset(info, 0, sizeof(*info));
	info->call_id = s->call_id;
	info->user_data = s->user_data;
	info->submit_ns = s->submit_ns;
	info->take_ns = s->take_ns;
	info->reply_ns = s->reply_ns;
	info->slot = s->index;
	info->state = s->state;
	info->opcode = s->opcode;
	info->len = s->len;
	info->reply_len = s->reply_len;
	info->status = s->status;
	info->flags = s->flags;
	info->delivery = s->delivery;
	info->owner_pid = mbx_session_pid(s->owner);
	info->caller_pid = mbx_session_pid(s->caller);
	info->callee_pid = mbx_session_pid(s->callee);
}

int mbx_ioc_slot_info(struct mbx_ucmd *ucmd)
{
	struct mbx_slots_args *args = ucmd->cmd;
	struct mbx_box *box = ucmd->sess->box;
	struct mbx_slot_info info;
	u32 i, n = 0, isize;
	void __user *dst;

	if (args->first >= box->nslots)
		return -EINVAL;
	if (args->info_size < sizeof(info) || args->info_size > PAGE_SIZE)
		return -EINVAL;
	isize = sizeof(info);
	dst = u64_to_user_ptr(args->info);
	for (i = args->first; i < box->nslots && n < args->count; i++, n++) {
		struct mbx_slot *s = &box->slots[i];

		spin_lock(&s->lock);
		mbx_slot_snapshot(&info, s);
		spin_unlock(&s->lock);
		if (copy_to_user(dst, &info, isize))
			return -EFAULT;
		/* Zero what this kernel does not know of a larger entry. */
		if (args->info_size > isize &&
		    clear_user(dst + isize, args->info_size - isize))
			return -EFAULT;
		dst += args->info_size;
		cond_resched();
	}
	args->out_count = n;
	return 0;
}

/* A racy census by design: each slot is read consistently. */
static void mbx_census(struct mbx_box *box, u32 counts[MBX_STATE_REPLIED + 1])
{
	u32 i;

	for (i = 0; i < box->nslots; i++) {
		struct mbx_slot *s = &box->slots[i];

		spin_lock(&s->lock);
		counts[s->state]++;
		spin_unlock(&s->lock);
		if (!(i % 1024))
			cond_resched();
	}
}

/* Counters, sessions and the age of the oldest pending call, under qlock. */
static void mbx_counters(struct mbx_box *box, struct mbx_stats *st,
			 u32 *sessions, u64 *oldest)
{
	struct mbx_slot *first;

	spin_lock(&box->qlock);
	*st = box->st;
	*sessions = box->nsessions;
	first = list_first_entry_or_null(&box->pending, struct mbx_slot,
					 qnode);
	/*
	 * The clock is read now, not earlier: the call may have come after
	 * an earlier reading. submit_ns of a queued slot only changes off
	 * the queue.
	 */
	*oldest = first ? ktime_get_ns() - READ_ONCE(first->submit_ns) : 0;
	spin_unlock(&box->qlock);
}

int mbx_ioc_stats(struct mbx_ucmd *ucmd)
{
	struct mbx_stats_args *args = ucmd->cmd;
	struct mbx_box *box = ucmd->sess->box;
	u32 counts[MBX_STATE_REPLIED + 1] = {};
	struct mbx_stats st;
	u32 sessions;
	u64 oldest;

	mbx_census(box, counts);
	mbx_counters(box, &st, &sessions, &oldest);
	args->out_submitted = st.submitted;
	args->out_taken = st.taken;
	args->out_completed = st.completed;
	args->out_cancelled = st.cancelled;
	args->out_redelivered = st.redelivered;
	args->out_owner_died = st.owner_died;
	args->out_reclaimed = st.reclaimed;
	args->out_max_wait_ns = st.max_wait_ns;
	args->out_oldest_pending_ns = oldest;
	args->out_free = counts[MBX_STATE_FREE];
	args->out_owned = counts[MBX_STATE_OWNED] + counts[MBX_STATE_EDIT];
	args->out_pending = counts[MBX_STATE_PENDING];
	args->out_taken_now = counts[MBX_STATE_TAKEN];
	args->out_replied = counts[MBX_STATE_REPLIED];
	args->out_sessions = sessions;
	return 0;
}

/* No global lock: the attributes have their own. */
int mbx_ioc_info(struct mbx_ucmd *ucmd)
{
	struct mbx_info_args *args = ucmd->cmd;
	struct mbx_session *sess = ucmd->sess;
	struct mbx_box *box = sess->box;
	struct mbx_attrs a;

	mbx_box_get_attrs(box, &a);
	memcpy(args->out_name, box->name, MBX_NAME_MAX);
	args->out_nslots = box->nslots;
	args->out_slot_size = box->slot_size;
	args->out_call_off = 0;
	args->out_reply_off = box->plane_size;
	args->out_map_size = 2 * (u64)box->plane_size;
	args->out_uid = from_kuid_munged(current_user_ns(), a.uid);
	args->out_gid = from_kgid_munged(current_user_ns(), a.gid);
	args->out_mode = a.mode;
	args->out_access = sess->access;
	args->out_reclaim_ns = a.reclaim_ns;
	args->out_box_id = box->id;
	return 0;
}

/* ------------------------------------------------------------------ */
/* /proc/driver/mailbox                                                 */

/*
 * A text view for people and scripts: a line per mailbox that the opener
 * of the file may read, then a line per slot of it that is not free.
 * Kept in /proc rather than debugfs because monitors run as ordinary
 * users and debugfs is root's and not always mounted. What is shown is
 * decided by the credentials the file was opened with (f_cred), never by
 * the reader's, so a descriptor handed to a more privileged process shows
 * it no more than its opener could see.
 *
 * A record is one line. Within one read the iterator holds a reference to
 * the mailbox it is in (taken under mbx_lock, which is dropped at once)
 * and takes the mailbox's own locks per line; between reads it keeps only
 * the box id and the slot, and resumes from them: mailboxes created or
 * destroyed meanwhile are shown or not, the others are never skipped or
 * repeated.
 */
struct mbx_proc_iter {
	struct mbx_box *box;		/* referenced; NULL at the end */
	u64 id;				/* the box's id, or where to look */
	s64 slot;			/* -1: the box line; else a slot */
};

static const char *const mbx_state_names[] = {
	[MBX_STATE_FREE] = "FREE",
	[MBX_STATE_OWNED] = "OWNED",
	[MBX_STATE_PENDING] = "PENDING",
	[MBX_STATE_EDIT] = "EDIT",
	[MBX_STATE_TAKEN] = "TAKEN",
	[MBX_STATE_REPLIED] = "REPLIED",
};

static const struct cred *mbx_proc_cred(struct seq_file *m)
{
	return m->file->f_cred;
}

/*
 * The first slot from @from that is not free, or nslots. A hint read
 * without slot->lock: mbx_proc_show_slot() reads the slot again under it
 * and skips a slot that became free meanwhile.
 */
static u32 mbx_proc_next_busy(struct mbx_box *box, u32 from)
{
	for (; from < box->nslots; from++)
		if (READ_ONCE(box->slots[from].state) != MBX_STATE_FREE)
			break;
	return from;
}

/*
 * Settle @it on a record: its box (looked up again from it->id when it
 * has none) and a slot that is not free, or the box line. Returns it, or
 * NULL at the end.
 */
static struct mbx_proc_iter *mbx_proc_settle(struct seq_file *m,
					     struct mbx_proc_iter *it)
{
	for (;;) {
		if (!it->box) {
			u64 want = it->id;

			it->box = mbx_box_next_visible(mbx_proc_cred(m),
						       &it->id);
			if (!it->box)
				return NULL;
			/* Gone meanwhile: start the next one at its top. */
			if (it->id != want)
				it->slot = -1;
		}
		if (it->slot < 0)
			return it;
		it->slot = mbx_proc_next_busy(it->box, it->slot);
		if (it->slot < it->box->nslots)
			return it;
		/* Past the last slot: the next mailbox. */
		mbx_box_put(it->box);
		it->box = NULL;
		it->id++;
		it->slot = -1;
	}
}

static void *mbx_proc_start(struct seq_file *m, loff_t *pos)
{
	struct mbx_proc_iter *it = m->private;

	if (!*pos) {
		it->id = 0;
		it->slot = -1;
	}
	/* Otherwise resume at the record next() left off at: *pos. */
	return mbx_proc_settle(m, it);
}

static void *mbx_proc_next(struct seq_file *m, void *v, loff_t *pos)
{
	struct mbx_proc_iter *it = v;

	++*pos;
	it->slot++;
	cond_resched();
	return mbx_proc_settle(m, it);
}

/* No reference is kept between reads: the next start() looks up again. */
static void mbx_proc_stop(struct seq_file *m, void *v)
{
	struct mbx_proc_iter *it = m->private;

	if (it->box) {
		mbx_box_put(it->box);
		it->box = NULL;
	}
}

static void mbx_proc_show_box(struct seq_file *m, struct mbx_box *box)
{
	struct user_namespace *ns = mbx_proc_cred(m)->user_ns;
	u32 counts[MBX_STATE_REPLIED + 1] = {};
	struct mbx_attrs a;
	struct mbx_stats st;
	u32 sessions;
	u64 oldest;

	mbx_census(box, counts);
	mbx_counters(box, &st, &sessions, &oldest);
	mbx_box_get_attrs(box, &a);
	seq_printf(m, "box name=%s slots=%u slot_size=%u uid=%u gid=%u mode=0%03o sessions=%u",
		   box->name, box->nslots, box->slot_size,
		   from_kuid_munged(ns, a.uid), from_kgid_munged(ns, a.gid),
		   a.mode, sessions);
	seq_printf(m, " submitted=%llu taken=%llu completed=%llu cancelled=%llu redelivered=%llu owner_died=%llu reclaimed=%llu",
		   st.submitted, st.taken, st.completed, st.cancelled,
		   st.redelivered, st.owner_died, st.reclaimed);
	seq_printf(m, " pending=%u taken_now=%u replied=%u max_wait_ns=%llu oldest_pending_ns=%llu\n",
		   counts[MBX_STATE_PENDING], counts[MBX_STATE_TAKEN],
		   counts[MBX_STATE_REPLIED], st.max_wait_ns, oldest);
}

static int mbx_proc_show_slot(struct seq_file *m, struct mbx_box *box, u32 i)
{
	struct mbx_slot *s = &box->slots[i];
	struct mbx_slot_info info;
	u64 now, wait = 0, held = 0;

	spin_lock(&s->lock);
	if (s->state == MBX_STATE_FREE) {
		spin_unlock(&s->lock);
		return SEQ_SKIP;
	}
	/* Read under the lock: the times cannot be later than this. */
	now = ktime_get_ns();
	mbx_slot_snapshot(&info, s);
	if (s->state == MBX_STATE_PENDING || s->state == MBX_STATE_EDIT ||
	    s->state == MBX_STATE_TAKEN)
		wait = now - s->submit_ns;
	if (s->state == MBX_STATE_TAKEN)
		held = now - s->take_ns;
	spin_unlock(&s->lock);
	seq_printf(m, "slot box=%s slot=%u state=%s call_id=%llu opcode=%u len=%u reply_len=%u status=%d flags=0x%x delivery=%u owner=%u caller=%u callee=%u wait_ns=%llu held_ns=%llu\n",
		   box->name, i, mbx_state_names[info.state], info.call_id,
		   info.opcode, info.len, info.reply_len, info.status,
		   info.flags, info.delivery, info.owner_pid, info.caller_pid,
		   info.callee_pid, wait, held);
	return 0;
}

static int mbx_proc_show(struct seq_file *m, void *v)
{
	struct mbx_proc_iter *it = v;

	if (it->slot < 0) {
		mbx_proc_show_box(m, it->box);
		return 0;
	}
	return mbx_proc_show_slot(m, it->box, it->slot);
}

static const struct seq_operations mbx_proc_seq_ops = {
	.start = mbx_proc_start,
	.next = mbx_proc_next,
	.stop = mbx_proc_stop,
	.show = mbx_proc_show,
};

static int mbx_proc_open(struct inode *inode, struct file *file)
{
	struct mbx_proc_iter *it;

	it = __seq_open_private(file, &mbx_proc_seq_ops, sizeof(*it));
	if (!it)
		return -ENOMEM;
	it->slot = -1;
	return 0;
}

static const struct proc_ops mbx_proc_ops = {
	.proc_open = mbx_proc_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = seq_release_private,
};

static struct proc_dir_entry *mbx_proc;

int mbx_proc_init(void)
{
	mbx_proc = proc_create("driver/mailbox", 0444, NULL, &mbx_proc_ops);
	return mbx_proc ? 0 : -ENOMEM;
}

void mbx_proc_exit(void)
{
	proc_remove(mbx_proc);
}
