// SPDX-License-Identifier: GPL-2.0
/*
 * mbx: stateful two-step RPC mailboxes behind /dev/mailbox.
 *
 * This file: the module's parameters, the one table of ioctls and its
 * dispatcher, /dev/mailbox, init and exit. The design of the whole module,
 * its locking order and the lost-wakeup argument are in mbx_internal.h.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/uaccess.h>

#include "mbx_internal.h"
#include "mbx_compat.h"

unsigned int mbx_max_boxes = 1024;
module_param_named(max_boxes, mbx_max_boxes, uint, 0644);
MODULE_PARM_DESC(max_boxes, "Most mailboxes in all (default 1024)");

unsigned int mbx_max_slots = 65536;
module_param_named(max_slots, mbx_max_slots, uint, 0644);
MODULE_PARM_DESC(max_slots, "Most slots per mailbox (default 65536, at most 16777216)");

unsigned int mbx_max_slot_size = 1 << 20;
module_param_named(max_slot_size, mbx_max_slot_size, uint, 0644);
MODULE_PARM_DESC(max_slot_size, "Largest slot size in bytes (default 1 MiB)");

unsigned long mbx_max_box_bytes = 64UL << 20;
module_param_named(max_box_bytes, mbx_max_box_bytes, ulong, 0644);
MODULE_PARM_DESC(max_box_bytes,
		 "Largest payload of one mailbox, both planes (default 64 MiB)");

unsigned long mbx_user_max_bytes = 256UL << 20;
module_param_named(user_max_bytes, mbx_user_max_bytes, ulong, 0644);
MODULE_PARM_DESC(user_max_bytes,
		 "Most payload bytes one uid may own (default 256 MiB)");

unsigned int mbx_user_max_boxes = 256;
module_param_named(user_max_boxes, mbx_user_max_boxes, uint, 0644);
MODULE_PARM_DESC(user_max_boxes, "Most mailboxes one uid may own (default 256)");

/* Mailboxes in memory, named or not: 0 after the last one is freed. */
atomic_t mbx_live_boxes = ATOMIC_INIT(0);

static int mbx_live_boxes_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&mbx_live_boxes));
}

static const struct kernel_param_ops mbx_live_boxes_ops = {
	.get = mbx_live_boxes_get,
};
module_param_cb(live_boxes, &mbx_live_boxes_ops, NULL, 0444);
MODULE_PARM_DESC(live_boxes, "Mailboxes in memory (read-only)");

static int mbx_ioc_api(struct mbx_ucmd *ucmd)
{
	struct mbx_api_args *args = ucmd->cmd;

	if (!args->api)
		return -EINVAL;
	args->out_api = MBX_API_VERSION;
	args->out_features = MBX_FEAT_REVOKE | MBX_FEAT_REDELIVER |
			     MBX_FEAT_EVENTS | MBX_FEAT_INSPECT |
			     MBX_FEAT_RECLAIM | MBX_FEAT_BATCH |
			     (IS_ENABLED(CONFIG_IO_URING) ? MBX_FEAT_URING : 0);
	args->out_max_slots = min_t(u32, READ_ONCE(mbx_max_slots),
				    MBX_SLOTS_LIMIT);
	args->out_max_slot_size = READ_ONCE(mbx_max_slot_size);
	args->out_max_events = MBX_EVENTS_MAX;
	args->out_max_box_bytes = READ_ONCE(mbx_max_box_bytes);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The ioctl table                                                      */

/* Where an ioctl is valid. */
#define MBX_ON_CTL	BIT(0)		/* /dev/mailbox */
#define MBX_ON_BOX	BIT(1)		/* a mailbox fd */

#define MBX_WAIT_FLAGS	(MBX_WAIT_NONBLOCK | MBX_WAIT_TIMEOUT)

/*
 * struct mbx_ioctl_op - one ioctl.
 * @size:	the argument struct; API version 1 accepts no smaller one.
 * @flags:	every flag bit the operation knows; MBX_WAIT_* if it may block.
 * @timeout_off: offset of its timeout_ns when it may block, else 0.
 * @reserved_off: offset of its __u32 __reserved, else 0.
 * @on:		MBX_ON_*.
 * @access:	MBX_ACCESS_* the session must carry.
 * @reply:	copy the struct back to user space on success.
 * @execute:	the handler: 0 or a negative errno (or an fd).
 */
struct mbx_ioctl_op {
	u16 size;
	u16 timeout_off;
	u16 reserved_off;
	u8 on;
	u8 access;
	bool reply;
	u32 flags;
	int (*execute)(struct mbx_ucmd *ucmd);
};

#define MBX_OP(_ioctl, _fn, _struct, _on, _access, _reply, _flags, _tmo, _rsv) \
	[_IOC_NR(_ioctl)] = {						\
		.size = sizeof(_struct),				\
		.timeout_off = _tmo,					\
		.reserved_off = _rsv,					\
		.on = _on,						\
		.access = _access,					\
		.reply = _reply,					\
		.flags = _flags,					\
		.execute = _fn,						\
	}

#define MBX_RSV(_struct)	offsetof(_struct, __reserved)
#define MBX_TMO(_struct)	offsetof(_struct, timeout_ns)
#define R			MBX_ACCESS_READ
#define W			MBX_ACCESS_WRITE

static const struct mbx_ioctl_op mbx_ioctl_ops[] = {
	MBX_OP(MBX_IOC_API, mbx_ioc_api, struct mbx_api_args,
	       MBX_ON_CTL | MBX_ON_BOX, 0, true, 0, 0,
	       MBX_RSV(struct mbx_api_args)),
	MBX_OP(MBX_IOC_BOX_CREATE, mbx_ioc_create, struct mbx_create_args,
	       MBX_ON_CTL, 0, false, MBX_CREATE_CLOEXEC, 0,
	       MBX_RSV(struct mbx_create_args)),
	MBX_OP(MBX_IOC_BOX_OPEN, mbx_ioc_open, struct mbx_open_args,
	       MBX_ON_CTL, 0, false, MBX_OPEN_CLOEXEC, 0,
	       MBX_RSV(struct mbx_open_args)),
	MBX_OP(MBX_IOC_BOX_DESTROY, mbx_ioc_destroy, struct mbx_destroy_args,
	       MBX_ON_CTL, 0, false, 0, 0, 0),
	MBX_OP(MBX_IOC_BOX_LIST, mbx_ioc_list, struct mbx_list_args,
	       MBX_ON_CTL, 0, true, 0, 0, 0),
	MBX_OP(MBX_IOC_BOX_INFO, mbx_ioc_info, struct mbx_info_args,
	       MBX_ON_BOX, 0, true, 0, 0, 0),
	MBX_OP(MBX_IOC_BOX_SET, mbx_ioc_set, struct mbx_set_args,
	       MBX_ON_BOX, 0, false,
	       MBX_SET_UID | MBX_SET_GID | MBX_SET_MODE | MBX_SET_RECLAIM, 0,
	       MBX_RSV(struct mbx_set_args)),
	MBX_OP(MBX_IOC_BOX_STATS, mbx_ioc_stats, struct mbx_stats_args,
	       MBX_ON_BOX, R, true, 0, 0, 0),
	MBX_OP(MBX_IOC_BOX_RECLAIM, mbx_ioc_reclaim, struct mbx_reclaim_args,
	       MBX_ON_BOX, W, true, 0, 0, MBX_RSV(struct mbx_reclaim_args)),
	MBX_OP(MBX_IOC_SLOT_ACQUIRE, mbx_ioc_acquire, struct mbx_acquire_args,
	       MBX_ON_BOX, W, true,
	       MBX_WAIT_FLAGS | MBX_ACQUIRE_ANY | MBX_ACQUIRE_CALL,
	       MBX_TMO(struct mbx_acquire_args),
	       MBX_RSV(struct mbx_acquire_args)),
	MBX_OP(MBX_IOC_SLOT_RELEASE, mbx_ioc_release, struct mbx_release_args,
	       MBX_ON_BOX, W, false, 0, 0, MBX_RSV(struct mbx_release_args)),
	MBX_OP(MBX_IOC_SLOT_INFO, mbx_ioc_slot_info, struct mbx_slots_args,
	       MBX_ON_BOX, R, true, 0, 0, 0),
	MBX_OP(MBX_IOC_CALL_SUBMIT, mbx_ioc_submit, struct mbx_submit_args,
	       MBX_ON_BOX, W, true, MBX_WAIT_FLAGS | MBX_SUBMIT_COLLECT,
	       MBX_TMO(struct mbx_submit_args), 0),
	MBX_OP(MBX_IOC_CALL_TAKE, mbx_ioc_take, struct mbx_take_args,
	       MBX_ON_BOX, W, true, MBX_WAIT_FLAGS | MBX_TAKE_COMPLETE,
	       MBX_TMO(struct mbx_take_args), 0),
	MBX_OP(MBX_IOC_CALL_COMPLETE, mbx_ioc_complete,
	       struct mbx_complete_args, MBX_ON_BOX, W, false, 0, 0,
	       MBX_RSV(struct mbx_complete_args)),
	MBX_OP(MBX_IOC_CALL_COLLECT, mbx_ioc_collect, struct mbx_collect_args,
	       MBX_ON_BOX, R, true, MBX_WAIT_FLAGS | MBX_COLLECT_CALL,
	       MBX_TMO(struct mbx_collect_args),
	       MBX_RSV(struct mbx_collect_args)),
	MBX_OP(MBX_IOC_CALL_CANCEL, mbx_ioc_cancel, struct mbx_cancel_args,
	       MBX_ON_BOX, W, true, 0, 0, 0),
	MBX_OP(MBX_IOC_EVENTS_READ, mbx_ioc_events, struct mbx_events_args,
	       MBX_ON_BOX, R, true, 0, 0, MBX_RSV(struct mbx_events_args)),
	MBX_OP(MBX_IOC_BATCH_CALL, mbx_ioc_batch_call,
	       struct mbx_batch_call_args, MBX_ON_BOX, R | W, true,
	       MBX_WAIT_FLAGS, MBX_TMO(struct mbx_batch_call_args),
	       MBX_RSV(struct mbx_batch_call_args)),
	MBX_OP(MBX_IOC_BATCH_SERVE, mbx_ioc_batch_serve,
	       struct mbx_batch_serve_args, MBX_ON_BOX, W, true,
	       MBX_WAIT_FLAGS, MBX_TMO(struct mbx_batch_serve_args),
	       MBX_RSV(struct mbx_batch_serve_args)),
};

#undef R
#undef W

/* Big enough for every argument struct, on the stack. */
union mbx_ioctl_buf {
	struct mbx_api_args api;
	struct mbx_create_args create;
	struct mbx_open_args open;
	struct mbx_destroy_args destroy;
	struct mbx_list_args list;
	struct mbx_info_args info;
	struct mbx_set_args set;
	struct mbx_stats_args stats;
	struct mbx_reclaim_args reclaim;
	struct mbx_acquire_args acquire;
	struct mbx_release_args release;
	struct mbx_slots_args slots;
	struct mbx_submit_args submit;
	struct mbx_take_args take;
	struct mbx_complete_args complete;
	struct mbx_collect_args collect;
	struct mbx_cancel_args cancel;
	struct mbx_events_args events;
	struct mbx_batch_call_args batch_call;
	struct mbx_batch_serve_args batch_serve;
};

static __always_inline int mbx_copy(void *kbuf, void __user *ubuf, size_t n,
				    bool out)
{
	return out ? copy_to_user(ubuf, kbuf, n) : copy_from_user(kbuf, ubuf, n);
}

/*
 * Copy an argument struct of @size bytes in or out. Each size is a
 * constant in its case, so that the usercopy hardening's object check,
 * which only a variable size needs, stays off the call path.
 */
static int mbx_copy_args(union mbx_ioctl_buf *buf, void __user *ubuf,
			 u16 size, bool out)
{
	switch (size) {
	case 16:
		return mbx_copy(buf, ubuf, 16, out);
	case 24:
		return mbx_copy(buf, ubuf, 24, out);
	case 32:
		return mbx_copy(buf, ubuf, 32, out);
	case 40:
		return mbx_copy(buf, ubuf, 40, out);
	case 48:
		return mbx_copy(buf, ubuf, 48, out);
	case 56:
		return mbx_copy(buf, ubuf, 56, out);
	case 72:
		return mbx_copy(buf, ubuf, 72, out);
	case 80:
		return mbx_copy(buf, ubuf, 80, out);
	case 88:
		return mbx_copy(buf, ubuf, 88, out);
	case 96:
		return mbx_copy(buf, ubuf, 96, out);
	case 104:
		return mbx_copy(buf, ubuf, 104, out);
	case 136:
		return mbx_copy(buf, ubuf, 136, out);
	default:
		return mbx_copy(buf, ubuf, size, out);
	}
}

/*
 * Every ioctl of both kinds of fd: find the operation, copy and check its
 * argument (size, flags, reserved field, wait flags, the session's
 * access), run it, copy the result back. *@nowait, for io_uring: on
 * entry, the issuer must not wait; on return, whether the operation was
 * run so (then EAGAIN means "run me again where I may wait").
 */
static long mbx_dispatch(struct mbx_session *sess, u8 on, unsigned int cmd,
			 unsigned long arg, bool *nowait)
{
	const struct mbx_ioctl_op *op;
	union mbx_ioctl_buf buf;
	struct mbx_ucmd ucmd = {
		.sess = sess,
		.ubuf = (void __user *)arg,
		.cmd = &buf,
	};
	struct { u32 size; u32 flags; } *hdr = (void *)&buf;
	unsigned int nr = _IOC_NR(cmd);
	bool can_wait = !*nowait;
	long ret;

	*nowait = false;
	if (_IOC_TYPE(cmd) != MBX_IOC_MAGIC || cmd != _IO(MBX_IOC_MAGIC, nr) ||
	    nr >= ARRAY_SIZE(mbx_ioctl_ops))
		return -ENOTTY;
	op = &mbx_ioctl_ops[nr];
	if (!op->execute || !(op->on & on))
		return -ENOTTY;

	if (get_user(ucmd.user_size, (u32 __user *)ucmd.ubuf))
		return -EFAULT;
	if (ucmd.user_size < op->size)
		return -EINVAL;
	if (ucmd.user_size > PAGE_SIZE)
		return -E2BIG;
	if (ucmd.user_size > op->size) {
		ret = check_zeroed_user(ucmd.ubuf + op->size,
					ucmd.user_size - op->size);
		if (ret <= 0)
			return ret ?: -E2BIG;
	}
	if (mbx_copy_args(&buf, ucmd.ubuf, op->size, false))
		return -EFAULT;

	if (hdr->flags & ~op->flags)
		return -EINVAL;
	if (op->reserved_off && *(u32 *)((u8 *)&buf + op->reserved_off))
		return -EINVAL;
	if (op->timeout_off) {
		u64 *timeout = (u64 *)((u8 *)&buf + op->timeout_off);

		if ((hdr->flags & MBX_WAIT_FLAGS) == MBX_WAIT_FLAGS)
			return -EINVAL;
		if (!(hdr->flags & MBX_WAIT_TIMEOUT) && *timeout)
			return -EINVAL;
		/* Beyond KTIME_MAX is "never", not a negative time. */
		if (*timeout > KTIME_MAX)
			*timeout = KTIME_MAX;
	}
	if (sess && (sess->access & op->access) != op->access)
		return -EBADF;

	ucmd.nowait = !can_wait && op->timeout_off &&
		      !(hdr->flags & MBX_WAIT_NONBLOCK);
	*nowait = ucmd.nowait;
	ret = op->execute(&ucmd);
	if (ret < 0 || !op->reply)
		return ret;
	if (mbx_copy_args(&buf, ucmd.ubuf, op->size, true))
		return -EFAULT;
	return ret;
}

long mbx_box_fd_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	bool nowait = false;

	return mbx_dispatch(file->private_data, MBX_ON_BOX, cmd, arg, &nowait);
}

static long mbx_ctl_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	bool nowait = false;

	return mbx_dispatch(NULL, MBX_ON_CTL, cmd, arg, &nowait);
}

#if IS_ENABLED(CONFIG_IO_URING)
/*
 * IORING_OP_URING_CMD on a mailbox fd: the ioctl cmd_op on the argument
 * struct at cmd->arg. io_uring first issues it where it must not wait
 * (IO_URING_F_NONBLOCK); an operation that would wait returns EAGAIN
 * there, before doing anything, and io_uring issues it again from its
 * worker thread, where it waits like the ioctl. Ring teardown and task
 * exit cancel that worker's wait with a signal (EINTR), so no command
 * outlives its ring. The result is the completion's res; an EAGAIN the
 * caller asked for (MBX_WAIT_NONBLOCK) is posted as such.
 */
int mbx_box_fd_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags)
{
	const struct mbx_uring_cmd *ucmd = mbx_uring_cmd_payload(ioucmd);
	bool nowait = issue_flags & IO_URING_F_NONBLOCK;
	u64 arg = READ_ONCE(ucmd->arg);
	long ret;

	if (READ_ONCE(ucmd->__reserved) || ioucmd->flags)
		ret = -EINVAL;
	else
		ret = mbx_dispatch(ioucmd->file->private_data, MBX_ON_BOX,
				   ioucmd->cmd_op, (unsigned long)arg, &nowait);
	if (ret == -EAGAIN && nowait)
		return -EAGAIN;
	if (ret == -ERESTARTSYS)
		ret = -EINTR;
	if (ret == -EAGAIN || ret == -EIOCBQUEUED) {
		/* Returned as such, io_uring would issue it again. */
		io_uring_cmd_done(ioucmd, ret, 0, issue_flags);
		return -EIOCBQUEUED;
	}
	return ret;
}
#endif

/* ------------------------------------------------------------------ */
/* /dev/mailbox                                                         */

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
	BUILD_BUG_ON(sizeof(struct mbx_api_args) != 48);
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
	BUILD_BUG_ON(sizeof(struct mbx_batch_submit) != 40);
	BUILD_BUG_ON(sizeof(struct mbx_batch_complete) != 24);
	BUILD_BUG_ON(sizeof(struct mbx_batch_call_args) != 56);
	BUILD_BUG_ON(sizeof(struct mbx_batch_serve_args) != 56);
	BUILD_BUG_ON(sizeof(struct mbx_uring_cmd) != 16);
	/* The per-operation flags start above the wait flags' range. */
	BUILD_BUG_ON(MBX_WAIT_FLAGS & ~MBX_WAIT_MASK);
	BUILD_BUG_ON((MBX_ACQUIRE_ANY | MBX_ACQUIRE_CALL | MBX_SUBMIT_COLLECT |
		      MBX_TAKE_COMPLETE | MBX_COLLECT_CALL | MBX_CREATE_CLOEXEC |
		      MBX_OPEN_CLOEXEC | MBX_SET_UID | MBX_SET_GID |
		      MBX_SET_MODE | MBX_SET_RECLAIM) & MBX_WAIT_MASK);
	BUILD_BUG_ON(ARRAY_SIZE(mbx_ioctl_ops) > 0x40);
}

static int __init mbx_init(void)
{
	int ret;

	mbx_check_abi();
	ret = mbx_proc_init();
	if (ret)
		return ret;
	ret = misc_register(&mbx_misc);
	if (ret)
		mbx_proc_exit();
	return ret;
}

/*
 * Unloading is possible only when no fd of /dev/mailbox or of a mailbox
 * is open and nothing is mapped (each holds a module reference); the
 * mailboxes still named are destroyed with it.
 */
static void __exit mbx_exit(void)
{
	misc_deregister(&mbx_misc);
	mbx_proc_exit();
	mbx_boxes_destroy_all();
	if (atomic_read(&mbx_live_boxes))
		pr_err("%d mailboxes leaked\n", atomic_read(&mbx_live_boxes));
	WARN_ON(atomic_read(&mbx_live_boxes));
}

module_init(mbx_init);
module_exit(mbx_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Stateful two-step RPC mailboxes (/dev/mailbox)");
MODULE_VERSION(MBX_VERSION);
