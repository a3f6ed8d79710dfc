// SPDX-License-Identifier: GPL-2.0
/*
 * Batches: a caller submits many calls and collects many replies in one
 * system call (MBX_IOC_BATCH_CALL), a callee answers many calls and takes
 * many (MBX_IOC_BATCH_SERVE). Each entry goes through the same code as the
 * single operation (call.c), so every guarantee of a call holds per entry:
 * an entry that fails is reported in its own out_result and does not stop
 * the others. Entries are read and answered one at a time: nothing is
 * allocated, whatever the counts.
 */

#include <linux/uaccess.h>

#include "mbx_internal.h"

/* The counts of a batch: one array may be empty, not both. */
static int mbx_batch_check(u32 n_in, u32 n_out, u32 flags)
{
	if (n_in > MBX_BATCH_MAX || n_out > MBX_BATCH_MAX || !(n_in + n_out))
		return -EINVAL;
	/* Only the second half waits. */
	if (!n_out && (flags & MBX_WAIT_MASK))
		return -EINVAL;
	return 0;
}

/*
 * The second half of a batch: wait on @wq per @flags until @try gets one
 * into @one, then get more without waiting, up to @max, each copied to
 * @uout as it is got: one constant-size copy each, which measured cheaper
 * than a copy of several, whose variable size costs the usercopy
 * hardening's object check. The count in *@got.
 */
static int mbx_batch_get(wait_queue_head_t *wq, mbx_try_fn try, void *ctx,
			 struct mbx_call *one, u32 flags, u64 timeout_ns,
			 struct mbx_call __user *uout, u32 max, u32 *got)
{
	int ret;

	*got = 0;
	ret = mbx_wait(wq, try, ctx, flags, timeout_ns, true);
	/* Never restart: the first half would run again. */
	if (ret == -ERESTARTSYS)
		ret = -EINTR;
	while (!ret) {
		if (copy_to_user(&uout[*got], one, sizeof(*one)))
			return -EFAULT;
		if (++*got == max)
			break;
		ret = try(ctx);
	}
	return ret == -EAGAIN && *got ? 0 : ret;
}

int mbx_ioc_batch_call(struct mbx_ucmd *ucmd)
{
	struct mbx_batch_call_args *args = ucmd->cmd;
	struct mbx_batch_call_args __user *uargs = ucmd->ubuf;
	struct mbx_batch_submit __user *usub = u64_to_user_ptr(args->submit);
	struct mbx_session *sess = ucmd->sess;
	struct mbx_call reply;
	struct mbx_collect_ctx ctx = { .sess = sess, .out = &reply };
	/* All submitted, then the callees woken; then we sleep. */
	struct mbx_wake w = MBX_WAKE(sess->box, args->ncollect &&
				     !(args->flags & MBX_WAIT_NONBLOCK));
	struct mbx_batch_submit e;
	u32 i;
	int ret;

	ret = mbx_batch_check(args->nsubmit, args->ncollect, args->flags);
	if (ret)
		return ret;
	/* Without waiting: submit and collect both run in the worker. */
	if (args->nsubmit && args->ncollect && ucmd->nowait)
		return -EAGAIN;
	args->out_submitted = 0;
	args->out_failed = 0;
	args->out_collected = 0;
	for (i = 0; i < args->nsubmit; i++) {
		ret = -EFAULT;
		if (copy_from_user(&e, &usub[i], sizeof(e)))
			break;
		e.out_call_id = 0;
		if (e.__reserved)
			e.out_result = -EINVAL;
		else
			e.out_result = mbx_submit(sess, e.slot, e.opcode,
						  e.len, e.call_flags,
						  e.user_data, false, &w,
						  &e.out_call_id);
		/* The tail: out_call_id, out_result, __reserved as read. */
		if (copy_to_user(&usub[i].out_call_id, &e.out_call_id,
				 sizeof(e) - offsetof(typeof(e), out_call_id)))
			break;
		args->out_submitted++;
		if (e.out_result)
			args->out_failed++;
		ret = 0;
	}
	mbx_wake_flush(&w);
	if (ret)
		return ret;
	if (!args->ncollect)
		return 0;
	if (args->nsubmit &&
	    (put_user(args->out_submitted, &uargs->out_submitted) ||
	     put_user(args->out_failed, &uargs->out_failed)))
		return -EFAULT;
	return mbx_batch_get(&sess->wq, mbx_try_collect_any, &ctx, &reply,
			     mbx_wait_flags(ucmd, args->flags),
			     args->timeout_ns, u64_to_user_ptr(args->collect),
			     args->ncollect, &args->out_collected);
}

/*
 * Answers are read and made a chunk at a time: the chunk's replies are
 * queued, their callers woken once (a reply's caller is kept by RCU until
 * then, so no user memory may be touched meanwhile), then the results are
 * written back.
 */
#define MBX_BATCH_CHUNK	16

int mbx_ioc_batch_serve(struct mbx_ucmd *ucmd)
{
	struct mbx_batch_serve_args *args = ucmd->cmd;
	struct mbx_batch_serve_args __user *uargs = ucmd->ubuf;
	struct mbx_batch_complete __user *ucomp =
		u64_to_user_ptr(args->complete);
	struct mbx_session *sess = ucmd->sess;
	struct mbx_call call;
	struct mbx_take_ctx ctx = { .sess = sess, .out = &call };
	struct mbx_wake w = MBX_WAKE(sess->box, args->ntake &&
				     !(args->flags & MBX_WAIT_NONBLOCK));
	struct mbx_batch_complete e[MBX_BATCH_CHUNK];
	u32 i, j, n;
	int ret;

	ret = mbx_batch_check(args->ncomplete, args->ntake, args->flags);
	if (ret)
		return ret;
	/* Without waiting: complete and take both run in the worker. */
	if (args->ncomplete && args->ntake && ucmd->nowait)
		return -EAGAIN;
	args->out_completed = 0;
	args->out_failed = 0;
	args->out_taken = 0;
	for (i = 0; i < args->ncomplete; i += n) {
		n = min_t(u32, args->ncomplete - i, MBX_BATCH_CHUNK);
		if (copy_from_user(e, &ucomp[i], n * sizeof(e[0])))
			return -EFAULT;
		for (j = 0; j < n; j++)
			e[j].out_result = mbx_complete(sess, e[j].slot,
						       e[j].call_id,
						       e[j].status, e[j].len,
						       &w);
		mbx_wake_flush(&w);
		for (j = 0; j < n; j++) {
			if (put_user(e[j].out_result, &ucomp[i + j].out_result))
				return -EFAULT;
			args->out_completed++;
			if (e[j].out_result && e[j].out_result != -ECANCELED)
				args->out_failed++;
		}
	}
	if (!args->ntake)
		return 0;
	if (args->ncomplete &&
	    (put_user(args->out_completed, &uargs->out_completed) ||
	     put_user(args->out_failed, &uargs->out_failed)))
		return -EFAULT;
	return mbx_batch_get(&sess->box->call_wq, mbx_try_take, &ctx, &call,
			     mbx_wait_flags(ucmd, args->flags),
			     args->timeout_ns, u64_to_user_ptr(args->take),
			     args->ntake, &args->out_taken);
}
