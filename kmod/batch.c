// SPDX-License-Identifier: GPL-2.0
/*
 * Batches: a caller submits many calls and collects many replies in one
 * system call (MBX_IOC_BATCH_CALL), a callee answers many calls and takes
 * many (MBX_IOC_BATCH_SERVE). Each entry goes through the same code as the
 * single operation (call.c), so every guarantee of a call holds per entry:
 * an entry that fails is reported in its own out_result and does not stop
 * the others. Entries are read and answered a few at a time: nothing is
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
 * User memory is read and written MBX_BATCH_IN entries at a time, each
 * time in one user access section (user_access_begin()), field by field:
 * one access check and one section for several entries, no string copy,
 * no call inside a section. A range that access_ok() refuses is read one
 * entry at a time, so that a batch stops at the first entry it cannot
 * read (EFAULT), after those before it.
 */
#define MBX_BATCH_IN	8

/* Up to MBX_BATCH_IN of the @left submissions at @u: the count, or -EFAULT. */
static int mbx_read_submits(struct mbx_batch_submit *e,
			    const struct mbx_batch_submit __user *u, u32 left)
{
	u32 j = 0, n = min_t(u32, left, MBX_BATCH_IN);

	if (!user_access_begin(u, n * sizeof(*u))) {
		n = 1;
		if (!user_access_begin(u, sizeof(*u)))
			return -EFAULT;
	}
	for (; j < n; j++) {
		unsafe_get_user(e[j].slot, &u[j].slot, out);
		unsafe_get_user(e[j].opcode, &u[j].opcode, out);
		unsafe_get_user(e[j].len, &u[j].len, out);
		unsafe_get_user(e[j].call_flags, &u[j].call_flags, out);
		unsafe_get_user(e[j].user_data, &u[j].user_data, out);
		unsafe_get_user(e[j].__reserved, &u[j].__reserved, out);
	}
out:
	user_access_end();
	return j ?: -EFAULT;
}

static int mbx_write_submits(struct mbx_batch_submit __user *u,
			     const struct mbx_batch_submit *e, u32 n)
{
	u32 j;

	if (!user_access_begin(u, n * sizeof(*u)))
		return -EFAULT;
	for (j = 0; j < n; j++) {
		unsafe_put_user(e[j].out_call_id, &u[j].out_call_id, efault);
		unsafe_put_user(e[j].out_result, &u[j].out_result, efault);
	}
	user_access_end();
	return 0;
efault:
	user_access_end();
	return -EFAULT;
}

/* Up to MBX_BATCH_IN of the @left answers at @u: the count, or -EFAULT. */
static int mbx_read_answers(struct mbx_batch_complete *e,
			    const struct mbx_batch_complete __user *u, u32 left)
{
	u32 j = 0, n = min_t(u32, left, MBX_BATCH_IN);

	if (!user_access_begin(u, n * sizeof(*u))) {
		n = 1;
		if (!user_access_begin(u, sizeof(*u)))
			return -EFAULT;
	}
	for (; j < n; j++) {
		unsafe_get_user(e[j].call_id, &u[j].call_id, out);
		unsafe_get_user(e[j].slot, &u[j].slot, out);
		unsafe_get_user(e[j].len, &u[j].len, out);
		unsafe_get_user(e[j].status, &u[j].status, out);
	}
out:
	user_access_end();
	return j ?: -EFAULT;
}

static int mbx_write_answers(struct mbx_batch_complete __user *u,
			     const struct mbx_batch_complete *e, u32 n)
{
	u32 j;

	if (!user_access_begin(u, n * sizeof(*u)))
		return -EFAULT;
	for (j = 0; j < n; j++)
		unsafe_put_user(e[j].out_result, &u[j].out_result, efault);
	user_access_end();
	return 0;
efault:
	user_access_end();
	return -EFAULT;
}

static int mbx_write_calls(struct mbx_call __user *u, const struct mbx_call *c,
			   u32 n)
{
	if (!user_access_begin(u, n * sizeof(*u)))
		return -EFAULT;
	unsafe_copy_to_user((char __user *)u, (const char *)c, n * sizeof(*c),
			    efault);
	user_access_end();
	return 0;
efault:
	user_access_end();
	return -EFAULT;
}

/*
 * The second half of a batch: wait on @wq per @flags until @try gets one,
 * then get more without waiting, up to @max; @try fills the entry *@outp
 * points to. They are written to @uout MBX_BATCH_IN at a time; on EFAULT,
 * those got and not written stay with the fd (TAKEN by it, or OWNED for a
 * reply), as any call it holds. The count written in *@got.
 */
static int mbx_batch_get(wait_queue_head_t *wq, mbx_try_fn try, void *ctx,
			 struct mbx_call **outp, u32 flags, u64 timeout_ns,
			 struct mbx_call __user *uout, u32 max, u32 *got)
{
	struct mbx_call out[MBX_BATCH_IN];
	u32 n = 0;
	int ret;

	*got = 0;
	*outp = &out[0];
	ret = mbx_wait(wq, try, ctx, flags, timeout_ns, true);
	/* Never restart: the first half would run again. */
	if (ret == -ERESTARTSYS)
		ret = -EINTR;
	while (!ret) {
		if (++n == MBX_BATCH_IN || *got + n == max) {
			if (mbx_write_calls(&uout[*got], out, n))
				return -EFAULT;
			*got += n;
			n = 0;
			if (*got == max)
				break;
		}
		*outp = &out[n];
		ret = try(ctx);
	}
	if (n) {
		if (mbx_write_calls(&uout[*got], out, n))
			return -EFAULT;
		*got += n;
	}
	return ret == -EAGAIN && *got ? 0 : ret;
}

int mbx_ioc_batch_call(struct mbx_ucmd *ucmd)
{
	struct mbx_batch_call_args *args = ucmd->cmd;
	struct mbx_batch_call_args __user *uargs = ucmd->ubuf;
	struct mbx_batch_submit __user *usub = u64_to_user_ptr(args->submit);
	struct mbx_session *sess = ucmd->sess;
	struct mbx_collect_ctx ctx = { .sess = sess };
	/* All submitted, then the callees woken; then we sleep. */
	struct mbx_wake w = MBX_WAKE(sess->box, args->ncollect &&
				     !(args->flags & MBX_WAIT_NONBLOCK));
	struct mbx_batch_submit e[MBX_BATCH_IN];
	u32 i, j, n;
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
	for (i = 0; i < args->nsubmit; i += n) {
		ret = mbx_read_submits(e, &usub[i], args->nsubmit - i);
		if (ret < 0)
			break;
		n = ret;
		for (j = 0; j < n; j++) {
			e[j].out_call_id = 0;
			if (e[j].__reserved)
				e[j].out_result = -EINVAL;
			else
				e[j].out_result =
					mbx_submit(sess, e[j].slot, e[j].opcode,
						   e[j].len, e[j].call_flags,
						   e[j].user_data, false, &w,
						   &e[j].out_call_id);
		}
		ret = mbx_write_submits(&usub[i], e, n);
		if (ret)
			break;
		for (j = 0; j < n; j++)
			if (e[j].out_result)
				args->out_failed++;
		args->out_submitted += n;
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
	return mbx_batch_get(&sess->wq, mbx_try_collect_any, &ctx, &ctx.out,
			     mbx_wait_flags(ucmd, args->flags),
			     args->timeout_ns, u64_to_user_ptr(args->collect),
			     args->ncollect, &args->out_collected);
}

/*
 * Answers are read and made MBX_BATCH_IN at a time: their replies are
 * queued, their callers woken once (a reply's caller is kept by RCU until
 * then, so no user memory may be touched meanwhile), then the results are
 * written back.
 */
int mbx_ioc_batch_serve(struct mbx_ucmd *ucmd)
{
	struct mbx_batch_serve_args *args = ucmd->cmd;
	struct mbx_batch_serve_args __user *uargs = ucmd->ubuf;
	struct mbx_batch_complete __user *ucomp =
		u64_to_user_ptr(args->complete);
	struct mbx_session *sess = ucmd->sess;
	struct mbx_take_ctx ctx = { .sess = sess };
	struct mbx_wake w = MBX_WAKE(sess->box, args->ntake &&
				     !(args->flags & MBX_WAIT_NONBLOCK));
	struct mbx_batch_complete e[MBX_BATCH_IN];
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
		ret = mbx_read_answers(e, &ucomp[i], args->ncomplete - i);
		if (ret < 0)
			return ret;
		n = ret;
		for (j = 0; j < n; j++)
			e[j].out_result = mbx_complete(sess, e[j].slot,
						       e[j].call_id,
						       e[j].status, e[j].len,
						       &w);
		mbx_wake_flush(&w);
		if (mbx_write_answers(&ucomp[i], e, n))
			return -EFAULT;
		for (j = 0; j < n; j++)
			if (e[j].out_result && e[j].out_result != -ECANCELED)
				args->out_failed++;
		args->out_completed += n;
	}
	if (!args->ntake)
		return 0;
	if (args->ncomplete &&
	    (put_user(args->out_completed, &uargs->out_completed) ||
	     put_user(args->out_failed, &uargs->out_failed)))
		return -EFAULT;
	return mbx_batch_get(&sess->box->call_wq, mbx_try_take, &ctx, &ctx.out,
			     mbx_wait_flags(ucmd, args->flags),
			     args->timeout_ns, u64_to_user_ptr(args->take),
			     args->ntake, &args->out_taken);
}
