/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * mbx: stateful two-step RPC mailboxes, /dev/mailbox.
 *
 * A mailbox is a named kernel object made of fixed-size slots. Each slot
 * has a kernel-owned header (state, opcode, lengths, call id, flags) and a
 * payload that is mapped into the processes: a call plane, written by the
 * caller, and a reply plane, written by the callee. See
 * Documentation/userspace-api/mbx.rst.
 *
 * Conventions of every ioctl:
 *  - The argument struct starts with __u32 size (the bytes user space
 *    passes) and __u32 flags. The kernel accepts any size from the whole
 *    struct of API version 1 up to the page size; bytes beyond what it
 *    knows must be zero (otherwise E2BIG). A smaller size is EINVAL and
 *    has no effect.
 *  - Fields named out_* are written by the kernel and ignored on input;
 *    the others are read. Fields named __reserved and unknown flag bits
 *    must be zero (otherwise EINVAL).
 *  - Flags, one namespace per word: bits 0-7 of every flags word are the
 *    common MBX_WAIT_* bits (meaningful only on an operation that may
 *    block; bits 2-7 are reserved), bits 8-31 the operation's own.
 *  - Unknown commands, and commands of the other kind of fd, are ENOTTY.
 */
#ifndef _UAPI_LINUX_MBX_H
#define _UAPI_LINUX_MBX_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define MBX_API_VERSION		1

/* Name of a mailbox: 1 to 63 characters of [A-Za-z0-9_.:-], NUL padded. */
#define MBX_NAME_MAX		64

/* Payload plane granularity: slot_size is a multiple of this. */
#define MBX_SLOT_ALIGN		64

/* The most slots any mailbox may have, whatever the module's limits. */
#define MBX_SLOTS_LIMIT		(1U << 24)

/* Slot states, as reported by MBX_IOC_SLOT_INFO and MBX_IOC_CALL_CANCEL. */
#define MBX_STATE_FREE		0	/* no call, no owner */
#define MBX_STATE_OWNED		1	/* owned: a call is written or a reply read */
#define MBX_STATE_PENDING	2	/* submitted, waiting for a callee */
#define MBX_STATE_EDIT		3	/* pending call held for revocation */
#define MBX_STATE_TAKEN		4	/* taken by a callee, not yet answered */
#define MBX_STATE_REPLIED	5	/* answered, waiting to be collected */

/*
 * Access to a mailbox, struct mbx_open_args.access and out_access. A
 * mailbox fd carries the access it was opened with: every operation and
 * every mmap is checked against it, never against the mailbox's mode
 * again. Write access needs read access too: every writer reads payloads.
 */
#define MBX_ACCESS_READ		(1U << 0)	/* inspect, collect replies, events */
#define MBX_ACCESS_WRITE	(1U << 1)	/* call, serve, cancel, reclaim */

/*
 * Flags of a call (struct mbx_call.flags, struct mbx_slot_info.flags).
 * MBX_CALL_AT_MOST_ONCE is a property the caller stores with the call
 * (struct mbx_submit_args.call_flags); the kernel sets the others.
 */
#define MBX_CALL_AT_MOST_ONCE	(1U << 0)	/* fail, never redeliver */
#define MBX_CALL_REDELIVERED	(1U << 1)	/* a callee died holding it */
#define MBX_CALL_CALLER_GONE	(1U << 2)	/* the caller closed its mailbox */
#define MBX_CALL_CANCEL_REQ	(1U << 3)	/* cancel requested while taken */
#define MBX_CALL_ADOPTED	(1U << 4)	/* collected by another session */

/*
 * Poll events of a mailbox fd:
 *
 *   EPOLLIN | EPOLLRDNORM    a call is pending: MBX_IOC_CALL_TAKE will not
 *                            wait
 *   EPOLLRDBAND              a reply to a call of this fd is ready:
 *                            MBX_IOC_CALL_COLLECT will not wait
 *   EPOLLOUT | EPOLLWRNORM   a slot is free: MBX_IOC_SLOT_ACQUIRE with
 *                            MBX_ACQUIRE_ANY will not wait
 *   EPOLLPRI                 an event is queued: MBX_IOC_EVENTS_READ
 *
 * Readiness is a hint: another session may win the call or the slot.
 */

/* Features reported by MBX_IOC_API. */
#define MBX_FEAT_REVOKE		(1ULL << 0)
#define MBX_FEAT_REDELIVER	(1ULL << 1)
#define MBX_FEAT_EVENTS		(1ULL << 2)
#define MBX_FEAT_INSPECT	(1ULL << 3)
#define MBX_FEAT_RECLAIM	(1ULL << 4)
#define MBX_FEAT_BATCH		(1ULL << 5)	/* MBX_IOC_BATCH_CALL, _SERVE */
#define MBX_FEAT_URING		(1ULL << 6)	/* IORING_OP_URING_CMD */

/*
 * Wait flags, bits 0-7 of every flags word, with one meaning on every
 * operation that may block (acquire, take, collect, submit with
 * MBX_SUBMIT_COLLECT); an operation that never blocks rejects them.
 * Without either the operation waits, interruptibly. MBX_WAIT_NONBLOCK:
 * fail with EAGAIN instead of waiting. MBX_WAIT_TIMEOUT: give up with
 * ETIMEDOUT at timeout_ns, an absolute CLOCK_MONOTONIC time in ns. The two
 * exclude each other; timeout_ns must be 0 without MBX_WAIT_TIMEOUT.
 */
#define MBX_WAIT_NONBLOCK	(1U << 0)
#define MBX_WAIT_TIMEOUT	(1U << 1)
#define MBX_WAIT_MASK		0xffU

/**
 * struct mbx_api_args - MBX_IOC_API: handshake and limits.
 * @size:		sizeof(struct mbx_api_args).
 * @flags:		0.
 * @api:		MBX_API_VERSION the caller was built for (not 0).
 * @__reserved:		0.
 * @out_features:	MBX_FEAT_* supported.
 * @out_api:		the version the module speaks; may differ from @api.
 * @out_max_slots:	most slots a mailbox may have now.
 * @out_max_slot_size:	largest slot_size now.
 * @out_max_events:	events one fd queues before MBX_EVENT_OVERFLOW.
 * @out_max_box_bytes:	largest mapping of one mailbox, both planes.
 *
 * Valid on /dev/mailbox and on a mailbox fd.
 */
struct mbx_api_args {
	__u32 size;
	__u32 flags;
	__u32 api;
	__u32 __reserved;
	__u64 out_features;
	__u32 out_api;
	__u32 out_max_slots;
	__u32 out_max_slot_size;
	__u32 out_max_events;
	__u64 out_max_box_bytes;
};

#define MBX_CREATE_CLOEXEC	(1U << 8)

/**
 * struct mbx_create_args - MBX_IOC_BOX_CREATE, on /dev/mailbox.
 * @size:	sizeof(struct mbx_create_args).
 * @flags:	MBX_CREATE_CLOEXEC.
 * @name:	NUL-padded name, unique in the user namespace.
 * @nslots:	number of slots, 1..out_max_slots.
 * @slot_size:	bytes per slot in each plane, multiple of MBX_SLOT_ALIGN.
 * @mode:	permission bits, subset of 0666 (owner, group, other; r, w).
 * @__reserved:	0.
 * @reclaim_ns:	a reply whose caller is gone is freed after this many ns
 *		(0: never; only MBX_IOC_BOX_RECLAIM frees it).
 *
 * Creates a mailbox owned by the caller's euid/egid and returns a new fd
 * on it, opened for reading and writing.
 */
struct mbx_create_args {
	__u32 size;
	__u32 flags;
	__u8 name[MBX_NAME_MAX];
	__u32 nslots;
	__u32 slot_size;
	__u32 mode;
	__u32 __reserved;
	__u64 reclaim_ns;
};

#define MBX_OPEN_CLOEXEC	(1U << 8)

/**
 * struct mbx_open_args - MBX_IOC_BOX_OPEN, on /dev/mailbox.
 * @size:	sizeof(struct mbx_open_args).
 * @flags:	MBX_OPEN_CLOEXEC.
 * @name:	NUL-padded name.
 * @access:	MBX_ACCESS_READ, or MBX_ACCESS_READ | MBX_ACCESS_WRITE,
 *		checked against the mailbox's mode now and carried by the fd.
 * @__reserved:	0.
 *
 * Returns a new fd on the named mailbox.
 */
struct mbx_open_args {
	__u32 size;
	__u32 flags;
	__u8 name[MBX_NAME_MAX];
	__u32 access;
	__u32 __reserved;
};

/**
 * struct mbx_destroy_args - MBX_IOC_BOX_DESTROY, on /dev/mailbox.
 * @size:	sizeof(struct mbx_destroy_args).
 * @flags:	0.
 * @name:	NUL-padded name.
 *
 * Removes the name; the mailbox goes away when its last fd is closed and
 * its last mapping unmapped. Owner or CAP_SYS_ADMIN only.
 */
struct mbx_destroy_args {
	__u32 size;
	__u32 flags;
	__u8 name[MBX_NAME_MAX];
};

/**
 * struct mbx_box_entry - one mailbox, as MBX_IOC_BOX_LIST reports it.
 * @name:	NUL-padded name.
 * @nslots:	number of slots.
 * @slot_size:	bytes per slot in each plane.
 * @uid:	owner, in the caller's user namespace.
 * @gid:	group, in the caller's user namespace.
 * @mode:	permission bits.
 * @pending:	calls waiting for a callee.
 * @box_id:	as struct mbx_info_args.out_box_id.
 */
struct mbx_box_entry {
	__u8 name[MBX_NAME_MAX];
	__u32 nslots;
	__u32 slot_size;
	__u32 uid;
	__u32 gid;
	__u32 mode;
	__u32 pending;
	__u64 box_id;
};

/**
 * struct mbx_list_args - MBX_IOC_BOX_LIST, on /dev/mailbox.
 * @size:	sizeof(struct mbx_list_args).
 * @flags:	0.
 * @entries:	user pointer to @count entries of @entry_size bytes.
 * @count:	room in @entries (0: only count).
 * @entry_size:	sizeof(struct mbx_box_entry) as the caller knows it, at
 *		least that of API version 1 (unless @count is 0).
 * @out_count:	entries written.
 * @out_total:	mailboxes the caller may read; more than @out_count: call
 *		again with more room.
 */
struct mbx_list_args {
	__u32 size;
	__u32 flags;
	__u64 entries;
	__u32 count;
	__u32 entry_size;
	__u32 out_count;
	__u32 out_total;
};

/**
 * struct mbx_info_args - MBX_IOC_BOX_INFO, on a mailbox fd.
 * @size:		sizeof(struct mbx_info_args).
 * @flags:		0.
 * @out_name:		NUL-padded name.
 * @out_nslots:		number of slots.
 * @out_slot_size:	bytes per slot in each plane.
 * @out_call_off:	offset of the call plane in the mapping.
 * @out_reply_off:	offset of the reply plane in the mapping.
 * @out_map_size:	bytes of the whole mapping.
 * @out_uid:		owner, in the caller's user namespace.
 * @out_gid:		group, in the caller's user namespace.
 * @out_mode:		permission bits.
 * @out_access:		MBX_ACCESS_* this fd carries.
 * @out_reclaim_ns:	age at which orphaned replies are freed (0: never).
 * @out_box_id:		unique among the mailboxes created since the module
 *			was loaded. Call ids are unique within one mailbox, so
 *			a process that keeps (slot, call id) across a restart
 *			keeps the box id too and checks it.
 *
 * The call plane of slot i is at out_call_off + i * out_slot_size in the
 * mapping, its reply plane at out_reply_off + i * out_slot_size.
 */
struct mbx_info_args {
	__u32 size;
	__u32 flags;
	__u8 out_name[MBX_NAME_MAX];
	__u32 out_nslots;
	__u32 out_slot_size;
	__u64 out_call_off;
	__u64 out_reply_off;
	__u64 out_map_size;
	__u32 out_uid;
	__u32 out_gid;
	__u32 out_mode;
	__u32 out_access;
	__u64 out_reclaim_ns;
	__u64 out_box_id;
};

#define MBX_SET_UID		(1U << 8)
#define MBX_SET_GID		(1U << 9)
#define MBX_SET_MODE		(1U << 10)
#define MBX_SET_RECLAIM		(1U << 11)

/**
 * struct mbx_set_args - MBX_IOC_BOX_SET, on a mailbox fd.
 * @size:	sizeof(struct mbx_set_args).
 * @flags:	MBX_SET_*: the fields to change; the others are ignored.
 * @uid:	new owner, in the caller's user namespace.
 * @gid:	new group, in the caller's user namespace.
 * @mode:	new permission bits, subset of 0666.
 * @__reserved:	0.
 * @reclaim_ns:	new reclaim age.
 *
 * Owner or CAP_SYS_ADMIN only. The new owner, group and mode apply to
 * later opens; fds already open keep the access they carry.
 */
struct mbx_set_args {
	__u32 size;
	__u32 flags;
	__u32 uid;
	__u32 gid;
	__u32 mode;
	__u32 __reserved;
	__u64 reclaim_ns;
};

#define MBX_ACQUIRE_ANY		(1U << 8)	/* any free slot */
#define MBX_ACQUIRE_CALL	(1U << 9)	/* the pending call (slot, call_id) */

/* out_flags of MBX_IOC_SLOT_ACQUIRE */
#define MBX_ACQUIRED_OWNER_DIED	(1U << 0)	/* last owner died holding it */

/**
 * struct mbx_acquire_args - MBX_IOC_SLOT_ACQUIRE: exclusive access.
 * @size:	sizeof(struct mbx_acquire_args).
 * @flags:	MBX_WAIT_*, MBX_ACQUIRE_ANY or MBX_ACQUIRE_CALL.
 * @slot:	the slot (0 with MBX_ACQUIRE_ANY).
 * @out_slot:	the slot acquired.
 * @call_id:	with MBX_ACQUIRE_CALL, the call; otherwise 0.
 * @timeout_ns:	with MBX_WAIT_TIMEOUT; otherwise 0.
 * @out_flags:	MBX_ACQUIRED_*.
 * @__reserved:	0.
 *
 * Without MBX_ACQUIRE_CALL: waits for @slot (or, with MBX_ACQUIRE_ANY, any
 * slot) to be free and makes it OWNED by this fd. With MBX_ACQUIRE_CALL:
 * takes the pending call (@slot, @call_id) out of the queue for revocation
 * (state EDIT), never waiting; MBX_IOC_CALL_SUBMIT puts it back modified,
 * keeping its id and its place, MBX_IOC_CALL_CANCEL withdraws it,
 * MBX_IOC_SLOT_RELEASE puts it back untouched.
 */
struct mbx_acquire_args {
	__u32 size;
	__u32 flags;
	__u32 slot;
	__u32 out_slot;
	__u64 call_id;
	__u64 timeout_ns;
	__u32 out_flags;
	__u32 __reserved;
};

/**
 * struct mbx_release_args - MBX_IOC_SLOT_RELEASE.
 * @size:	sizeof(struct mbx_release_args).
 * @flags:	0.
 * @slot:	an OWNED slot of this fd (it becomes FREE) or an EDIT call of
 *		this fd (it goes back to the queue unchanged).
 * @__reserved:	0.
 */
struct mbx_release_args {
	__u32 size;
	__u32 flags;
	__u32 slot;
	__u32 __reserved;
};

/**
 * struct mbx_call - a call as seen by its callee or its caller.
 * @call_id:	unique in the mailbox, never reused.
 * @user_data:	the caller's cookie, returned untouched.
 * @slot:	slot index.
 * @opcode:	meaning of the payload.
 * @len:	bytes of the call plane (for a callee) or reply plane (for a
 *		caller collecting the reply) that are meaningful.
 * @status:	for a reply: the callee's status, or -ECANCELED, -EOWNERDEAD.
 * @flags:	MBX_CALL_*.
 * @delivery:	how many times the call was taken (1 on first delivery).
 */
struct mbx_call {
	__u64 call_id;
	__u64 user_data;
	__u32 slot;
	__u32 opcode;
	__u32 len;
	__s32 status;
	__u32 flags;
	__u32 delivery;
};

#define MBX_SUBMIT_COLLECT	(1U << 8)	/* then collect any reply */

/**
 * struct mbx_submit_args - MBX_IOC_CALL_SUBMIT: step one of a call.
 * @size:	sizeof(struct mbx_submit_args).
 * @flags:	MBX_SUBMIT_COLLECT; with it, MBX_WAIT_*.
 * @slot:	a slot OWNED (a new call, which gets a new id) or EDIT (the
 *		same call, modified) by this fd.
 * @opcode:	meaning of the payload.
 * @len:	bytes of the call plane that are meaningful, <= slot_size.
 * @call_flags:	properties stored with the call: MBX_CALL_AT_MOST_ONCE.
 * @user_data:	the caller's cookie, returned with the reply.
 * @timeout_ns:	with MBX_WAIT_TIMEOUT; otherwise 0.
 * @out_call_id: the call's id.
 * @out_reply:	with MBX_SUBMIT_COLLECT, the reply collected.
 *
 * The call becomes PENDING, one waiting callee is woken, and ownership is
 * released. Never waits, unless MBX_SUBMIT_COLLECT (the fd needs read
 * access too): it then collects, as MBX_IOC_CALL_COLLECT without
 * MBX_COLLECT_CALL and with the same wait flags, a reply to any call of
 * this fd (this one or an earlier one), the slot OWNED by this fd: step
 * two of one call and step one of the next in one system call.
 * @out_call_id is written before the wait; a failed or interrupted wait
 * (EAGAIN, ETIMEDOUT, EINTR: never restarted) leaves the call submitted.
 * MBX_SUBMIT_COLLECT on an EDIT call made by another fd is EINVAL: its
 * reply goes to its caller.
 */
struct mbx_submit_args {
	__u32 size;
	__u32 flags;
	__u32 slot;
	__u32 opcode;
	__u32 len;
	__u32 call_flags;
	__u64 user_data;
	__u64 timeout_ns;
	__u64 out_call_id;
	struct mbx_call out_reply;
};

#define MBX_TAKE_COMPLETE	(1U << 8)	/* complete done_* first */

/* out_flags of MBX_IOC_CALL_TAKE */
#define MBX_TAKEN_DONE		(1U << 0)	/* done_* was answered */
#define MBX_TAKEN_DONE_CANCELLED (1U << 1)	/* ... as cancelled */

/**
 * struct mbx_take_args - MBX_IOC_CALL_TAKE: a callee takes a call.
 * @size:		sizeof(struct mbx_take_args).
 * @flags:		MBX_WAIT_*, MBX_TAKE_COMPLETE.
 * @timeout_ns:		with MBX_WAIT_TIMEOUT; otherwise 0.
 * @done_call_id:	with MBX_TAKE_COMPLETE, the call to answer first (0:
 *			none); otherwise 0.
 * @done_slot:		its slot.
 * @done_len:		bytes of its reply plane that are meaningful.
 * @done_status:	its status, 0 or a negative errno.
 * @out_flags:		MBX_TAKEN_*.
 * @out_call:		the call taken.
 *
 * Takes the oldest pending call (state TAKEN, this fd its callee). With
 * MBX_TAKE_COMPLETE it first completes (@done_slot, @done_call_id) exactly
 * as MBX_IOC_CALL_COMPLETE would; if that fails (other than ECANCELED),
 * nothing is taken. Once the completion is done the kernel writes 0 to
 * @done_call_id and MBX_TAKEN_DONE to @out_flags in user memory, before
 * waiting, so that a restarted or retried call never completes twice.
 */
struct mbx_take_args {
	__u32 size;
	__u32 flags;
	__u64 timeout_ns;
	__u64 done_call_id;
	__u32 done_slot;
	__u32 done_len;
	__s32 done_status;
	__u32 out_flags;
	struct mbx_call out_call;
};

/**
 * struct mbx_complete_args - MBX_IOC_CALL_COMPLETE: the callee answers.
 * @size:	sizeof(struct mbx_complete_args).
 * @flags:	0.
 * @call_id:	the call, TAKEN by this fd.
 * @slot:	its slot.
 * @len:	bytes of the reply plane that are meaningful.
 * @status:	0 or a negative errno (>= -4095) for the caller.
 * @__reserved:	0.
 *
 * Returns ECANCELED (and the caller sees status -ECANCELED, length 0)
 * when a cancel was requested while the call was taken: it is answered
 * all the same.
 */
struct mbx_complete_args {
	__u32 size;
	__u32 flags;
	__u64 call_id;
	__u32 slot;
	__u32 len;
	__s32 status;
	__u32 __reserved;
};

#define MBX_COLLECT_CALL	(1U << 8)	/* the call (slot, call_id) */

/**
 * struct mbx_collect_args - MBX_IOC_CALL_COLLECT: step two of a call.
 * @size:	sizeof(struct mbx_collect_args).
 * @flags:	MBX_WAIT_*, MBX_COLLECT_CALL.
 * @call_id:	with MBX_COLLECT_CALL, the call; otherwise 0.
 * @slot:	with MBX_COLLECT_CALL, its slot; otherwise 0.
 * @__reserved:	0.
 * @timeout_ns:	with MBX_WAIT_TIMEOUT; otherwise 0.
 * @out_call:	the reply: status, reply length, flags.
 *
 * Without MBX_COLLECT_CALL: waits for any reply to a call submitted
 * through this fd. With it: the reply to (@slot, @call_id), whoever
 * submitted it; a call whose caller is gone is adopted by this fd. The
 * slot becomes OWNED by this fd: read the reply plane, then release it or
 * submit the next call in it.
 */
struct mbx_collect_args {
	__u32 size;
	__u32 flags;
	__u64 call_id;
	__u32 slot;
	__u32 __reserved;
	__u64 timeout_ns;
	struct mbx_call out_call;
};

/**
 * struct mbx_cancel_args - MBX_IOC_CALL_CANCEL: revoke a call.
 * @size:	sizeof(struct mbx_cancel_args).
 * @flags:	0.
 * @call_id:	the call.
 * @slot:	its slot.
 * @out_state:	the state the call was in: MBX_STATE_PENDING or
 *		MBX_STATE_EDIT (withdrawn: its caller gets -ECANCELED), or
 *		MBX_STATE_TAKEN (its callee is asked with MBX_EVENT_CANCEL;
 *		its answer becomes -ECANCELED).
 *
 * A call answered already is EALREADY.
 */
struct mbx_cancel_args {
	__u32 size;
	__u32 flags;
	__u64 call_id;
	__u32 slot;
	__u32 out_state;
};

/**
 * struct mbx_slot_info - one slot's header, for inspection.
 * @call_id:	the slot's current or last call.
 * @user_data:	its caller's cookie.
 * @submit_ns:	when it was submitted.
 * @take_ns:	when it was last taken.
 * @reply_ns:	when it was answered.
 * @slot:	slot index.
 * @state:	MBX_STATE_*.
 * @opcode:	the call's opcode.
 * @len:	meaningful bytes of the call plane.
 * @reply_len:	meaningful bytes of the reply plane.
 * @status:	the reply's status.
 * @flags:	MBX_CALL_*.
 * @delivery:	how many times the call was taken.
 * @owner_pid:	pid of the session owning the slot (OWNED, EDIT).
 * @caller_pid:	pid of the call's caller.
 * @callee_pid:	pid of the call's callee (TAKEN).
 * @__reserved:	0.
 *
 * Pids are those of the process that opened the session, in the
 * reader's pid namespace; 0 when there is none or it is not visible.
 * Times are CLOCK_MONOTONIC ns, 0 when it did not happen.
 */
struct mbx_slot_info {
	__u64 call_id;
	__u64 user_data;
	__u64 submit_ns;
	__u64 take_ns;
	__u64 reply_ns;
	__u32 slot;
	__u32 state;
	__u32 opcode;
	__u32 len;
	__u32 reply_len;
	__s32 status;
	__u32 flags;
	__u32 delivery;
	__u32 owner_pid;
	__u32 caller_pid;
	__u32 callee_pid;
	__u32 __reserved;
};

/**
 * struct mbx_slots_args - MBX_IOC_SLOT_INFO: headers of slots
 * [@first, @first + @count).
 * @size:	sizeof(struct mbx_slots_args).
 * @flags:	0.
 * @info:	user pointer to @count entries of @info_size bytes.
 * @first:	first slot, < nslots.
 * @count:	room in @info.
 * @info_size:	sizeof(struct mbx_slot_info) as the caller knows it, at
 *		least that of API version 1.
 * @out_count:	entries written.
 */
struct mbx_slots_args {
	__u32 size;
	__u32 flags;
	__u64 info;
	__u32 first;
	__u32 count;
	__u32 info_size;
	__u32 out_count;
};

/**
 * struct mbx_stats_args - MBX_IOC_BOX_STATS: counters and census.
 * @size:			sizeof(struct mbx_stats_args).
 * @flags:			0.
 * @out_submitted:		calls submitted since creation.
 * @out_taken:			takes (a redelivered call counts again).
 * @out_completed:		calls answered, other than cancelled.
 * @out_cancelled:		calls answered as cancelled.
 * @out_redelivered:		calls put back after their callee died.
 * @out_owner_died:		slots or calls whose holder died with them.
 * @out_reclaimed:		orphaned replies freed.
 * @out_max_wait_ns:		longest submit-to-take wait seen.
 * @out_oldest_pending_ns:	age of the oldest pending call (0: none).
 * @out_free:			slots FREE now.
 * @out_owned:			slots OWNED or EDIT now.
 * @out_pending:		slots PENDING now.
 * @out_taken_now:		slots TAKEN now.
 * @out_replied:		slots REPLIED now.
 * @out_sessions:		open sessions.
 *
 * The census is taken slot by slot from a moving mailbox: each slot is
 * read consistently, the whole is not a snapshot.
 */
struct mbx_stats_args {
	__u32 size;
	__u32 flags;
	__u64 out_submitted;
	__u64 out_taken;
	__u64 out_completed;
	__u64 out_cancelled;
	__u64 out_redelivered;
	__u64 out_owner_died;
	__u64 out_reclaimed;
	__u64 out_max_wait_ns;
	__u64 out_oldest_pending_ns;
	__u32 out_free;
	__u32 out_owned;
	__u32 out_pending;
	__u32 out_taken_now;
	__u32 out_replied;
	__u32 out_sessions;
};

/* Event types, struct mbx_event.type. */
#define MBX_EVENT_CALLEE_DIED	1	/* the callee of your call died */
#define MBX_EVENT_CALLER_GONE	2	/* the caller of your taken call left */
#define MBX_EVENT_CANCEL	3	/* cancel requested on your taken call */
#define MBX_EVENT_OVERFLOW	4	/* events were lost: rescan the slots */

/**
 * struct mbx_event - an event queued on a mailbox fd.
 * @call_id:	the call it is about (0 for MBX_EVENT_OVERFLOW).
 * @type:	MBX_EVENT_*.
 * @slot:	the call's slot.
 * @status:	MBX_EVENT_CALLEE_DIED: 0 redelivered, -EOWNERDEAD failed,
 *		-ECANCELED ended as cancelled; otherwise 0.
 * @__reserved:	0.
 */
struct mbx_event {
	__u64 call_id;
	__u32 type;
	__u32 slot;
	__s32 status;
	__u32 __reserved;
};

/**
 * struct mbx_events_args - MBX_IOC_EVENTS_READ: drain this fd's events.
 * @size:	sizeof(struct mbx_events_args).
 * @flags:	0.
 * @events:	user pointer to @count entries of @event_size bytes.
 * @count:	room in @events, at least 1.
 * @event_size:	sizeof(struct mbx_event) as the caller knows it, at least
 *		that of API version 1, at most the page size.
 * @out_count:	events written; they are consumed only once copied.
 * @__reserved:	0.
 *
 * Never waits; poll for EPOLLPRI.
 */
struct mbx_events_args {
	__u32 size;
	__u32 flags;
	__u64 events;
	__u32 count;
	__u32 event_size;
	__u32 out_count;
	__u32 __reserved;
};

/**
 * struct mbx_reclaim_args - MBX_IOC_BOX_RECLAIM: free orphaned replies.
 * @size:	sizeof(struct mbx_reclaim_args).
 * @flags:	0.
 * @min_age_ns:	free the replies whose caller is gone and that were
 *		answered at least this long ago.
 * @out_count:	replies freed.
 * @__reserved:	0.
 */
struct mbx_reclaim_args {
	__u32 size;
	__u32 flags;
	__u64 min_age_ns;
	__u32 out_count;
	__u32 __reserved;
};

/* The most entries in each array of a batch. */
#define MBX_BATCH_MAX		256

/**
 * struct mbx_batch_submit - one call of MBX_IOC_BATCH_CALL.
 * @slot:	as struct mbx_submit_args.
 * @opcode:	as struct mbx_submit_args.
 * @len:	as struct mbx_submit_args.
 * @call_flags:	as struct mbx_submit_args.
 * @user_data:	as struct mbx_submit_args.
 * @out_call_id: the call's id, when @out_result is 0.
 * @out_result:	0, or the errno MBX_IOC_CALL_SUBMIT would have failed with
 *		(negative); EINVAL also for a non-zero @__reserved.
 * @__reserved:	0.
 */
struct mbx_batch_submit {
	__u32 slot;
	__u32 opcode;
	__u32 len;
	__u32 call_flags;
	__u64 user_data;
	__u64 out_call_id;
	__s32 out_result;
	__u32 __reserved;
};

/**
 * struct mbx_batch_complete - one answer of MBX_IOC_BATCH_SERVE.
 * @call_id:	as struct mbx_complete_args.
 * @slot:	as struct mbx_complete_args.
 * @len:	as struct mbx_complete_args.
 * @status:	as struct mbx_complete_args.
 * @out_result:	0, -ECANCELED (answered as cancelled), or the errno
 *		MBX_IOC_CALL_COMPLETE would have failed with (negative).
 */
struct mbx_batch_complete {
	__u64 call_id;
	__u32 slot;
	__u32 len;
	__s32 status;
	__s32 out_result;
};

/**
 * struct mbx_batch_call_args - MBX_IOC_BATCH_CALL: a caller submits up to
 * MBX_BATCH_MAX calls, then collects up to MBX_BATCH_MAX replies.
 * @size:		sizeof(struct mbx_batch_call_args).
 * @flags:		MBX_WAIT_*, only with @ncollect.
 * @submit:		user pointer to @nsubmit struct mbx_batch_submit.
 * @collect:		user pointer to room for @ncollect struct mbx_call.
 * @nsubmit:		calls to submit, 0..MBX_BATCH_MAX.
 * @ncollect:		most replies to collect, 0..MBX_BATCH_MAX.
 * @timeout_ns:		with MBX_WAIT_TIMEOUT; otherwise 0.
 * @out_submitted:	entries of @submit processed.
 * @out_failed:		of them, those with a non-zero out_result.
 * @out_collected:	replies written to @collect.
 * @__reserved:		0.
 *
 * Each entry of @submit is submitted in order as MBX_IOC_CALL_SUBMIT
 * without MBX_SUBMIT_COLLECT would; an entry that fails says why in its
 * out_result and the others go on. Then, if @ncollect is not 0, it waits
 * per the wait flags for one reply to a call of this fd (as
 * MBX_IOC_CALL_COLLECT without MBX_COLLECT_CALL) and collects it and the
 * others already there, oldest first, up to @ncollect; each collected slot
 * is OWNED by this fd. @out_submitted and @out_failed are written to user
 * memory before the wait: a failed wait (EAGAIN, ETIMEDOUT, EINTR; never
 * restarted) is the ioctl's error, the submissions stand. EFAULT on an
 * entry stops the batch there. nsubmit + ncollect = 0, or either above
 * MBX_BATCH_MAX, is EINVAL.
 */
struct mbx_batch_call_args {
	__u32 size;
	__u32 flags;
	__u64 submit;
	__u64 collect;
	__u32 nsubmit;
	__u32 ncollect;
	__u64 timeout_ns;
	__u32 out_submitted;
	__u32 out_failed;
	__u32 out_collected;
	__u32 __reserved;
};

/**
 * struct mbx_batch_serve_args - MBX_IOC_BATCH_SERVE: a callee answers up
 * to MBX_BATCH_MAX calls, then takes up to MBX_BATCH_MAX.
 * @size:		sizeof(struct mbx_batch_serve_args).
 * @flags:		MBX_WAIT_*, only with @ntake.
 * @complete:		user pointer to @ncomplete struct mbx_batch_complete.
 * @take:		user pointer to room for @ntake struct mbx_call.
 * @ncomplete:		calls to answer, 0..MBX_BATCH_MAX.
 * @ntake:		most calls to take, 0..MBX_BATCH_MAX.
 * @timeout_ns:		with MBX_WAIT_TIMEOUT; otherwise 0.
 * @out_completed:	entries of @complete processed.
 * @out_failed:		of them, those with an out_result other than 0 and
 *			-ECANCELED (which is answered).
 * @out_taken:		calls written to @take.
 * @__reserved:		0.
 *
 * Each entry of @complete is answered in order as MBX_IOC_CALL_COMPLETE
 * would; an entry that fails says why in its out_result and the others go
 * on. Then, if @ntake is not 0, it waits per the wait flags for a pending
 * call and takes it and the others pending, oldest first, up to @ntake.
 * @out_completed and @out_failed are written to user memory before the
 * wait, as for MBX_IOC_BATCH_CALL; the same limits apply.
 */
struct mbx_batch_serve_args {
	__u32 size;
	__u32 flags;
	__u64 complete;
	__u64 take;
	__u32 ncomplete;
	__u32 ntake;
	__u64 timeout_ns;
	__u32 out_completed;
	__u32 out_failed;
	__u32 out_taken;
	__u32 __reserved;
};

/**
 * struct mbx_uring_cmd - the command area of an IORING_OP_URING_CMD
 * submission on a mailbox fd (the 16 bytes of a 64-byte SQE suffice).
 * @arg:	user pointer to the argument struct of the ioctl named by
 *		the SQE's cmd_op (an MBX_IOC_* valid on a mailbox fd).
 * @__reserved:	0.
 *
 * The command does what the ioctl does, with the same argument struct,
 * checks and results; the completion's res is the ioctl's return value
 * (0 or a negative errno). An operation that would wait does not hold up
 * the submitter: it waits in io_uring's worker and completes when done,
 * or with -EINTR when the ring is torn down or the task exits. Wait flags
 * and timeouts mean what they mean for the ioctl.
 */
struct mbx_uring_cmd {
	__u64 arg;
	__u64 __reserved;
};

#define MBX_IOC_MAGIC		0xBC

/* On /dev/mailbox and on a mailbox fd */
#define MBX_IOC_API		_IO(MBX_IOC_MAGIC, 0x00)
/* On /dev/mailbox */
#define MBX_IOC_BOX_CREATE	_IO(MBX_IOC_MAGIC, 0x01)
#define MBX_IOC_BOX_OPEN	_IO(MBX_IOC_MAGIC, 0x02)
#define MBX_IOC_BOX_DESTROY	_IO(MBX_IOC_MAGIC, 0x03)
#define MBX_IOC_BOX_LIST	_IO(MBX_IOC_MAGIC, 0x04)
/* On a mailbox fd */
#define MBX_IOC_BOX_INFO	_IO(MBX_IOC_MAGIC, 0x10)
#define MBX_IOC_BOX_SET		_IO(MBX_IOC_MAGIC, 0x11)
#define MBX_IOC_BOX_STATS	_IO(MBX_IOC_MAGIC, 0x12)
#define MBX_IOC_BOX_RECLAIM	_IO(MBX_IOC_MAGIC, 0x13)
#define MBX_IOC_SLOT_ACQUIRE	_IO(MBX_IOC_MAGIC, 0x20)
#define MBX_IOC_SLOT_RELEASE	_IO(MBX_IOC_MAGIC, 0x21)
#define MBX_IOC_SLOT_INFO	_IO(MBX_IOC_MAGIC, 0x22)
#define MBX_IOC_CALL_SUBMIT	_IO(MBX_IOC_MAGIC, 0x30)
#define MBX_IOC_CALL_TAKE	_IO(MBX_IOC_MAGIC, 0x31)
#define MBX_IOC_CALL_COMPLETE	_IO(MBX_IOC_MAGIC, 0x32)
#define MBX_IOC_CALL_COLLECT	_IO(MBX_IOC_MAGIC, 0x33)
#define MBX_IOC_CALL_CANCEL	_IO(MBX_IOC_MAGIC, 0x34)
#define MBX_IOC_EVENTS_READ	_IO(MBX_IOC_MAGIC, 0x35)
#define MBX_IOC_BATCH_CALL	_IO(MBX_IOC_MAGIC, 0x36)
#define MBX_IOC_BATCH_SERVE	_IO(MBX_IOC_MAGIC, 0x37)

#endif /* _UAPI_LINUX_MBX_H */
