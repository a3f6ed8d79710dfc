/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Version shims: every difference between the kernels mbx builds against
 * (6.1 to 6.12) is papered over here and nowhere else.
 */
#ifndef _MBX_COMPAT_H
#define _MBX_COMPAT_H

#include <linux/version.h>
#include <linux/mm.h>
#include <linux/sched.h>

/*
 * A switch is due on this CPU: need_resched(), or with PREEMPT_LAZY (the
 * 6.12-rt kernels) the lazy request that the wakeup of a normal task
 * makes, which preemption only honours at the next tick or on the way
 * back to user space.
 */
static inline bool mbx_resched_due(void)
{
#ifdef CONFIG_PREEMPT_LAZY
	return need_resched() || test_thread_flag(TIF_NEED_RESCHED_LAZY);
#else
	return need_resched();
#endif
}

#if KERNEL_VERSION(6, 3, 0) > LINUX_VERSION_CODE
/* vm_flags became read-only behind vm_flags_set() in 6.3. */
static inline void mbx_vm_flags_set(struct vm_area_struct *vma,
				    unsigned long flags)
{
	vma->vm_flags |= flags;
}

static inline void mbx_vm_flags_clear(struct vm_area_struct *vma,
				      unsigned long flags)
{
	vma->vm_flags &= ~flags;
}
#else
static inline void mbx_vm_flags_set(struct vm_area_struct *vma,
				    unsigned long flags)
{
	vm_flags_set(vma, flags);
}

static inline void mbx_vm_flags_clear(struct vm_area_struct *vma,
				      unsigned long flags)
{
	vm_flags_clear(vma, flags);
}
#endif

#if IS_ENABLED(CONFIG_IO_URING)
#if KERNEL_VERSION(6, 6, 0) > LINUX_VERSION_CODE
#include <linux/io_uring.h>

/* The command area of the SQE: ->cmd until 6.6, then ->sqe. */
static inline const void *mbx_uring_cmd_payload(struct io_uring_cmd *ioucmd)
{
	return ioucmd->cmd;
}
#else
#include <linux/io_uring/cmd.h>

static inline const void *mbx_uring_cmd_payload(struct io_uring_cmd *ioucmd)
{
	return io_uring_sqe_cmd(ioucmd->sqe);
}
#endif
#endif

#endif /* _MBX_COMPAT_H */
