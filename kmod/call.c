// SPDX-License-Identifier: GPL-2.0
/*
 * The operations of a call: acquire, release, submit, take, complete,
 * collect, cancel, reclaim. The dispatcher (main.c) has checked the
 * argument's size, flags, reserved fields, wait flags and the session's
 * access before any of these runs; they check what depends on the mailbox
 * (slot ranges, lengths) and on the slot's state, and move slots only
 * through the transitions of slot.c.
 */

#include <linux/err.h>
#include <linux/uaccess.h>

#include "mbx_internal.h"

/* ---- acquire and release ---- */

struct mbx_acquire_ctx {
	struct mbx_session *sess;
	struct mbx_slot *slot;		/* NULL: any */
	u32 out_slot;
	u32 out_flags;
};

static int mbx_try_acquire_slot(void *arg)
{
	struct mbx_acquire_ctx *ctx = arg;
	struct mbx_slot *s = ctx->slot;
	int ret = -EAGAIN;

	spin_lock(&s->lock);
	if (s->state == MBX_STATE_FREE) {
		mbx_slot_own(s, ctx->sess, &ctx->out_flags);
		ctx->out_slot = s->index;
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
	struct mbx_slot *s;

	for (;;) {
		s = mbx_pop_free(ctx->sess->box);
		if (!s)
			return -EAGAIN;
		spin_lock(&s->lock);
		if (s->state == MBX_STATE_FREE) {
			mbx_slot_own(s, ctx->sess, &ctx->out_flags);
			ctx->out_slot = s->index;
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
	int ret = 0;

	spin_lock(&s->lock);
	if (!call_id || s->call_id != call_id) {
		ret = -ESTALE;
	} else {
		switch (s->state) {
		case MBX_STATE_PENDING:
			mbx_slot_edit(sess->box, s, sess);
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

int mbx_ioc_acquire(struct mbx_ucmd *ucmd)
{
	struct mbx_acquire_args *args = ucmd->cmd;
	struct mbx_session *sess = ucmd->sess;
	struct mbx_box *box = sess->box;
	struct mbx_acquire_ctx ctx = { .sess = sess };
	int ret;

	if (args->flags & MBX_ACQUIRE_ANY) {
		if ((args->flags & MBX_ACQUIRE_CALL) || args->slot ||
		    args->call_id)
			return -EINVAL;
		ret = mbx_wait(&box->free_wq, mbx_try_acquire_any, &ctx,
			       mbx_wait_flags(ucmd, args->flags),
			       args->timeout_ns, true);
	} else if (args->flags & MBX_ACQUIRE_CALL) {
		/* Never waits: wait flags make no sense. */
		if ((args->flags & MBX_WAIT_MASK) || args->slot >= box->nslots)
			return -EINVAL;
		ret = mbx_acquire_call(sess, &box->slots[args->slot],
				       args->call_id);
		ctx.out_slot = args->slot;
	} else {
		if (args->slot >= box->nslots || args->call_id)
			return -EINVAL;
		ctx.slot = &box->slots[args->slot];
		ret = mbx_wait(&ctx.slot->wq, mbx_try_acquire_slot, &ctx,
			       mbx_wait_flags(ucmd, args->flags),
			       args->timeout_ns, true);
	}
	if (ret)
		return ret;
	args->out_slot = ctx.out_slot;
	args->out_flags = ctx.out_flags;
	return 0;
}

int mbx_ioc_release(struct mbx_ucmd *ucmd)
{
	struct mbx_release_args *args = ucmd->cmd;
	struct mbx_session *sess = ucmd->sess;
	struct mbx_box *box = sess->box;
	struct mbx_wake w = MBX_WAKE(box, false);
	struct mbx_slot *s;
	int ret = 0;

	if (args->slot >= box->nslots)
		return -EINVAL;
	s = &box->slots[args->slot];
	spin_lock(&s->lock);
	if (s->owner != sess)
		ret = -EPERM;
	else if (s->state == MBX_STATE_EDIT)
		mbx_slot_requeue(box, s, false, &w);
	else
		mbx_slot_free(box, s);
	spin_unlock(&s->lock);
	mbx_wake_flush(&w);
	return ret;
}

/* ---- collect ---- */

/* Hand the REPLIED call in @s to the collector: OWNED, for reading. */
static void mbx_collect_slot(struct mbx_collect_ctx *ctx, struct mbx_slot *s)
{
	mbx_slot_collect(ctx->sess->box, s, ctx->sess);
	mbx_fill_call(ctx->out, s, s->reply_len);
}

int mbx_try_collect_any(void *arg)
{
	struct mbx_collect_ctx *ctx = arg;
	struct mbx_slot *s;

	for (;;) {
		s = mbx_pop_reply(ctx->sess);
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

int mbx_ioc_collect(struct mbx_ucmd *ucmd)
{
	struct mbx_collect_args *args = ucmd->cmd;
	struct mbx_session *sess = ucmd->sess;
	struct mbx_box *box = sess->box;
	struct mbx_collect_ctx ctx = { .sess = sess, .out = &args->out_call };

	memset(&args->out_call, 0, sizeof(args->out_call));
	if (!(args->flags & MBX_COLLECT_CALL)) {
		if (args->slot || args->call_id)
			return -EINVAL;
		return mbx_wait(&sess->wq, mbx_try_collect_any, &ctx,
				mbx_wait_flags(ucmd, args->flags),
				args->timeout_ns, true);
	}
	if (args->slot >= box->nslots)
		return -EINVAL;
	ctx.slot = &box->slots[args->slot];
	ctx.call_id = args->call_id;
	/* Not exclusive: a reply for another call must not stop here. */
	return mbx_wait(&sess->wq, mbx_try_collect_call, &ctx,
			mbx_wait_flags(ucmd, args->flags), args->timeout_ns,
			false);
}

/* ---- submit ---- */

/*
 * Submit the call written in @slot, OWNED (a new call) or EDIT (the same
 * call, revised) by @sess; its id in *@call_id. @collect: the submitter
 * will collect a reply next, so a revision of another fd's call, whose
 * reply is not ours, is refused. The wakeup is added to @w, for the
 * caller to make (mbx_wake_flush()) once done.
 */
int mbx_submit(struct mbx_session *sess, u32 slot, u32 opcode, u32 len,
	       u32 call_flags, u64 user_data, bool collect,
	       struct mbx_wake *w, u64 *call_id)
{
	struct mbx_box *box = sess->box;
	struct mbx_slot *s;
	int ret = 0;

	if (slot >= box->nslots)
		return -EINVAL;
	if (call_flags & ~MBX_CALL_AT_MOST_ONCE)
		return -EINVAL;
	if (len > box->slot_size)
		return -EMSGSIZE;
	s = &box->slots[slot];
	spin_lock(&s->lock);
	if (s->owner != sess) {
		ret = -EPERM;
		goto out;
	}
	/* A revised call's reply goes to its caller: not ours to collect. */
	if (collect && s->state == MBX_STATE_EDIT && s->caller != sess) {
		ret = -EINVAL;
		goto out;
	}
	s->opcode = opcode;
	s->len = len;
	s->user_data = user_data;
	if (s->state == MBX_STATE_OWNED) {
		s->flags = call_flags;
		mbx_slot_submit_new(box, s, sess, w);
	} else {
		/* EDIT: the same call, modified; id, caller, place kept. */
		s->flags = (s->flags & ~MBX_CALL_AT_MOST_ONCE) | call_flags;
		mbx_slot_requeue(box, s, false, w);
	}
	*call_id = s->call_id;
out:
	spin_unlock(&s->lock);
	return ret;
}

int mbx_ioc_submit(struct mbx_ucmd *ucmd)
{
	struct mbx_submit_args *args = ucmd->cmd;
	struct mbx_submit_args __user *usub = ucmd->ubuf;
	struct mbx_session *sess = ucmd->sess;
	bool collect = args->flags & MBX_SUBMIT_COLLECT;
	/* Sync wakeup when we go to sleep right after. */
	bool sync = collect && !(args->flags & MBX_WAIT_NONBLOCK);
	struct mbx_collect_ctx ctx = { .sess = sess, .out = &args->out_reply };
	struct mbx_wake w = MBX_WAKE(sess->box, sync);
	int ret;

	/* Only the collect may wait. */
	if (!collect && (args->flags & MBX_WAIT_MASK))
		return -EINVAL;
	/* Without waiting: submit and collect both run in the worker. */
	if (collect && ucmd->nowait)
		return -EAGAIN;
	ret = mbx_submit(sess, args->slot, args->opcode, args->len,
			 args->call_flags, args->user_data, collect, &w,
			 &args->out_call_id);
	mbx_wake_flush(&w);
	if (ret)
		return ret;
	memset(&args->out_reply, 0, sizeof(args->out_reply));
	if (!collect)
		return 0;

	/* Say what was submitted before waiting: the wait may fail. */
	if (put_user(args->out_call_id, &usub->out_call_id))
		return -EFAULT;
	ret = mbx_wait(&sess->wq, mbx_try_collect_any, &ctx, args->flags,
		       args->timeout_ns, true);
	/* Never restart: that would submit the slot a second time. */
	if (ret == -ERESTARTSYS)
		ret = -EINTR;
	return ret;
}

/* ---- take and complete ---- */

int mbx_try_take(void *arg)
{
	struct mbx_take_ctx *ctx = arg;
	struct mbx_slot *s;

	s = mbx_slot_take_next(ctx->sess->box, ctx->sess, &ctx->now);
	if (!s)
		return -EAGAIN;
	mbx_fill_call(ctx->out, s, s->len);
	spin_unlock(&s->lock);
	return 0;
}

/* Answer the call (slot, id) taken by @sess. */
int mbx_complete(struct mbx_session *sess, u32 slot, u64 call_id, s32 status,
		 u32 len, struct mbx_wake *w)
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
			/*
			 * Revoked: the caller gets no result, as for a
			 * pending call cancelled.
			 */
			status = -ECANCELED;
			len = 0;
			ret = -ECANCELED;
		}
		mbx_slot_finish(box, s, status, len, w);
	}
	spin_unlock(&s->lock);
	return ret;
}

int mbx_ioc_complete(struct mbx_ucmd *ucmd)
{
	struct mbx_complete_args *args = ucmd->cmd;
	struct mbx_wake w = MBX_WAKE(ucmd->sess->box, false);
	int ret;

	ret = mbx_complete(ucmd->sess, args->slot, args->call_id,
			   args->status, args->len, &w);
	mbx_wake_flush(&w);
	return ret;
}

int mbx_ioc_take(struct mbx_ucmd *ucmd)
{
	struct mbx_take_args *args = ucmd->cmd;
	struct mbx_take_args __user *utake = ucmd->ubuf;
	struct mbx_session *sess = ucmd->sess;
	struct mbx_take_ctx ctx = { .sess = sess, .out = &args->out_call };
	int ret;

	if (!(args->flags & MBX_TAKE_COMPLETE) &&
	    (args->done_call_id || args->done_slot || args->done_len ||
	     args->done_status))
		return -EINVAL;
	args->out_flags = 0;
	memset(&args->out_call, 0, sizeof(args->out_call));
	if ((args->flags & MBX_TAKE_COMPLETE) && args->done_call_id) {
		/* Sync: we go on to wait for the next call. */
		struct mbx_wake w = MBX_WAKE(sess->box,
					     !(args->flags & MBX_WAIT_NONBLOCK));

		/* Without waiting: complete and take both run in the worker. */
		if (ucmd->nowait)
			return -EAGAIN;
		ret = mbx_complete(sess, args->done_slot, args->done_call_id,
				   args->done_status, args->done_len, &w);
		mbx_wake_flush(&w);
		if (ret && ret != -ECANCELED)
			return ret;
		args->out_flags = MBX_TAKEN_DONE;
		if (ret == -ECANCELED)
			args->out_flags |= MBX_TAKEN_DONE_CANCELLED;
		args->done_call_id = 0;
		/*
		 * The call is answered whatever the wait below does: say so
		 * in user memory now, so that a restart (or a retry after
		 * EINTR or ETIMEDOUT) does not complete it again.
		 */
		if (put_user(0ULL, &utake->done_call_id) ||
		    put_user(args->out_flags, &utake->out_flags))
			return -EFAULT;
	}
	return mbx_wait(&sess->box->call_wq, mbx_try_take, &ctx,
			mbx_wait_flags(ucmd, args->flags), args->timeout_ns,
			true);
}

/* ---- cancel ---- */

int mbx_ioc_cancel(struct mbx_ucmd *ucmd)
{
	struct mbx_cancel_args *args = ucmd->cmd;
	struct mbx_session *sess = ucmd->sess;
	struct mbx_box *box = sess->box;
	struct mbx_wake w = MBX_WAKE(box, false);
	struct mbx_slot *s;
	int ret = 0;

	if (args->slot >= box->nslots)
		return -EINVAL;
	s = &box->slots[args->slot];
	spin_lock(&s->lock);
	if (!args->call_id || s->call_id != args->call_id) {
		ret = -ESTALE;
		goto out;
	}
	args->out_state = s->state;
	switch (s->state) {
	case MBX_STATE_PENDING:
		mbx_slot_finish(box, s, -ECANCELED, 0, &w);
		break;
	case MBX_STATE_EDIT:
		if (s->owner != sess) {
			ret = -EBUSY;
			break;
		}
		mbx_slot_finish(box, s, -ECANCELED, 0, &w);
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
	mbx_wake_flush(&w);
	return ret;
}

/* ---- reclaim ---- */

int mbx_ioc_reclaim(struct mbx_ucmd *ucmd)
{
	struct mbx_reclaim_args *args = ucmd->cmd;
	u64 next;

	args->out_count = mbx_reclaim(ucmd->sess->box, args->min_age_ns,
				      &next);
	return 0;
}
