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
 * Every argument struct starts with __u32 size, the number of bytes user
 * space passes; the kernel accepts smaller known sizes and larger sizes,
 * up to the page size, whose extra bytes are zero (otherwise E2BIG). Fields named out_* are
 * written by the kernel. Reserved fields and unknown flags must be zero
 * (otherwise EINVAL).
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

/* Slot states, as reported by MBX_IOC_SLOT_INFO. */
#define MBX_STATE_FREE		0	/* no call, no owner */
#define MBX_STATE_OWNED		1	/* owned: a call is written or a reply read */
#define MBX_STATE_PENDING	2	/* submitted, waiting for a callee */
#define MBX_STATE_EDIT		3	/* pending call held for revocation */
#define MBX_STATE_TAKEN		4	/* taken by a callee, not yet answered */
#define MBX_STATE_REPLIED	5	/* answered, waiting to be collected */

/*
 * Access to a mailbox, MBX_IOC_BOX_OPEN.access and out_access. Write
 * access needs read access too: every writer reads payloads.
 */
#define MBX_ACCESS_READ		(1U << 0)	/* inspect, collect replies */
#define MBX_ACCESS_WRITE	(1U << 1)	/* call, serve, cancel */

/* Flags of a call (struct mbx_call.flags, struct mbx_slot_info.flags). */
#define MBX_CALL_AT_MOST_ONCE	(1U << 0)	/* fail, never redeliver */
#define MBX_CALL_REDELIVERED	(1U << 1)	/* a callee died holding it */
#define MBX_CALL_CALLER_GONE	(1U << 2)	/* the caller closed its mailbox */
#define MBX_CALL_CANCEL_REQ	(1U << 3)	/* cancel requested while taken */
#define MBX_CALL_ADOPTED	(1U << 4)	/* collected by another session */

/* Poll events of a mailbox fd. */
/*   EPOLLIN | EPOLLRDNORM    a call is pending (MBX_IOC_CALL_TAKE)       */
/*   EPOLLRDBAND              a reply to one of this fd's calls is ready  */
/*   EPOLLOUT | EPOLLWRNORM   a slot is free (MBX_IOC_SLOT_ACQUIRE)       */
/*   EPOLLPRI                 an event is queued (MBX_IOC_EVENTS_READ)    */

/* Features reported by MBX_IOC_API. */
#define MBX_FEAT_REVOKE		(1ULL << 0)
#define MBX_FEAT_REDELIVER	(1ULL << 1)
#define MBX_FEAT_EVENTS		(1ULL << 2)
#define MBX_FEAT_INSPECT	(1ULL << 3)
#define MBX_FEAT_RECLAIM	(1ULL << 4)

/*
 * struct mbx_api_args - MBX_IOC_API: handshake and limits.
 * @api:		in: MBX_API_VERSION the caller was built for (not 0).
 * @out_api:		the version the module speaks; may differ from @api.
 * @out_features:	MBX_FEAT_* supported.
 * @out_max_slots:	most slots a mailbox may have.
 * @out_max_slot_size:	largest slot_size.
 * @out_max_box_bytes:	largest mapping of one mailbox, both planes.
 */
struct mbx_api_args {
	__u32 size;
	__u32 api;
	__u64 out_features;
	__u32 out_api;
	__u32 out_max_slots;
	__u32 out_max_slot_size;
	__u32 out_reserved;
	__u64 out_max_box_bytes;
};

#define MBX_CREATE_CLOEXEC	(1U << 0)

/*
 * struct mbx_create_args - MBX_IOC_BOX_CREATE, on /dev/mailbox.
 * Creates a mailbox owned by the caller's euid/egid and returns a new fd
 * opened for reading and writing.
 * @flags:	MBX_CREATE_*.
 * @name:	NUL-padded name, unique in the user namespace.
 * @nslots:	number of slots, 1..out_max_slots.
 * @slot_size:	bytes per slot in each plane, multiple of MBX_SLOT_ALIGN.
 * @mode:	permission bits, subset of 0666 (owner, group, other; r, w).
 * @reclaim_ns:	a reply whose caller is gone is freed after this many ns
 *		(0: never; only MBX_IOC_BOX_RECLAIM frees it).
 */
struct mbx_create_args {
	__u32 size;
	__u32 flags;
	__u8 name[MBX_NAME_MAX];
	__u32 nslots;
	__u32 slot_size;
	__u32 mode;
	__u32 reserved;
	__u64 reclaim_ns;
};

#define MBX_OPEN_CLOEXEC	(1U << 0)

/*
 * struct mbx_open_args - MBX_IOC_BOX_OPEN, on /dev/mailbox.
 * Returns a new fd on the named mailbox.
 * @access:	MBX_ACCESS_READ and/or MBX_ACCESS_WRITE, checked against mode.
 */
struct mbx_open_args {
	__u32 size;
	__u32 flags;
	__u8 name[MBX_NAME_MAX];
	__u32 access;
	__u32 reserved;
};

/*
 * struct mbx_destroy_args - MBX_IOC_BOX_DESTROY, on /dev/mailbox.
 * Removes the name; the mailbox goes away when its last fd is closed and
 * its last mapping unmapped. Owner or CAP_SYS_ADMIN only.
 */
struct mbx_destroy_args {
	__u32 size;
	__u32 flags;
	__u8 name[MBX_NAME_MAX];
};

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

/*
 * struct mbx_list_args - MBX_IOC_BOX_LIST, on /dev/mailbox.
 * @entries:	user pointer to @count struct mbx_box_entry.
 * @count:	room in @entries.
 * @entry_size:	sizeof(struct mbx_box_entry) as the caller knows it.
 * @out_count:	entries written.
 * @out_total:	mailboxes visible; more than @out_count: call again.
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

/*
 * struct mbx_info_args - MBX_IOC_BOX_INFO, on a mailbox fd.
 * The call plane of slot i is at out_call_off + i * out_slot_size in the
 * mapping, its reply plane at out_reply_off + i * out_slot_size.
 * out_box_id is unique among the mailboxes created since the module was
 * loaded: call ids are unique within one mailbox, so a process that keeps
 * (slot, call id) across a restart keeps the box id too and checks it.
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

/*
 * struct mbx_set_args - MBX_IOC_BOX_SET, on a mailbox fd: change owner,
 * group, mode or reclaim age. Owner or CAP_SYS_ADMIN only. Fields whose
 * MBX_SET_* flag is clear are left alone.
 */
#define MBX_SET_UID		(1U << 0)
#define MBX_SET_GID		(1U << 1)
#define MBX_SET_MODE		(1U << 2)
#define MBX_SET_RECLAIM		(1U << 3)

struct mbx_set_args {
	__u32 size;
	__u32 flags;
	__u32 uid;
	__u32 gid;
	__u32 mode;
	__u32 reserved;
	__u64 reclaim_ns;
};

/*
 * Wait flags shared by the calls that may block. Without MBX_WAIT_NONBLOCK
 * a call waits, interruptibly; with MBX_WAIT_TIMEOUT it gives up with
 * ETIMEDOUT at timeout_ns, an absolute CLOCK_MONOTONIC time. The two
 * exclude each other; timeout_ns must be 0 without MBX_WAIT_TIMEOUT.
 */
#define MBX_WAIT_NONBLOCK	(1U << 0)
#define MBX_WAIT_TIMEOUT	(1U << 1)

#define MBX_ACQUIRE_ANY		(1U << 2)	/* any free slot */
#define MBX_ACQUIRE_CALL	(1U << 3)	/* the pending call (slot, call_id) */

/* out_flags of MBX_IOC_SLOT_ACQUIRE */
#define MBX_ACQUIRED_OWNER_DIED	(1U << 0)	/* last owner died holding it */

/*
 * struct mbx_acquire_args - MBX_IOC_SLOT_ACQUIRE: exclusive access.
 * Without MBX_ACQUIRE_CALL: waits for @slot (or, with MBX_ACQUIRE_ANY, any
 * slot) to be free and makes it OWNED by this fd. With MBX_ACQUIRE_CALL:
 * takes the pending call (@slot, @call_id) out of the queue for revocation
 * (state EDIT); MBX_IOC_CALL_SUBMIT puts it back modified, keeping its id
 * and its place, MBX_IOC_CALL_CANCEL withdraws it, MBX_IOC_SLOT_RELEASE
 * puts it back untouched.
 */
struct mbx_acquire_args {
	__u32 size;
	__u32 flags;
	__u32 slot;
	__u32 out_slot;
	__u64 call_id;
	__u64 timeout_ns;
	__u32 out_flags;
	__u32 reserved;
};

/*
 * struct mbx_release_args - MBX_IOC_SLOT_RELEASE: give up an OWNED slot
 * (it becomes FREE) or an EDIT call (it goes back to the queue unchanged).
 */
struct mbx_release_args {
	__u32 size;
	__u32 flags;
	__u32 slot;
	__u32 reserved;
};

/*
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

/* MBX_IOC_CALL_SUBMIT flags, besides MBX_CALL_AT_MOST_ONCE */
#define MBX_SUBMIT_COLLECT	(1U << 8)	/* then collect any reply */
#define MBX_SUBMIT_TIMEOUT	(1U << 9)	/* ... giving up at timeout_ns */

/*
 * struct mbx_submit_args - MBX_IOC_CALL_SUBMIT: step one of a call.
 * The slot must be OWNED (a new call, which gets a new id) or EDIT (the
 * same call, modified) by this fd. The call becomes PENDING, one waiting
 * callee is woken, and ownership is released. Never waits, unless:
 * With MBX_SUBMIT_COLLECT (the fd needs read access too, and size must
 * cover out_reply) it then waits, as MBX_IOC_CALL_COLLECT without
 * MBX_COLLECT_CALL, for a reply to any call of this fd (this one or an
 * earlier one) and returns it in out_reply, the slot OWNED by this fd:
 * step two of one call and step one of the next in one system call. With
 * MBX_SUBMIT_TIMEOUT the wait ends with ETIMEDOUT at timeout_ns (absolute,
 * CLOCK_MONOTONIC). out_call_id is written before the wait; a failed or
 * interrupted wait (EINTR, never restarted) leaves the call submitted.
 * MBX_SUBMIT_COLLECT on an EDIT call made by another fd is EINVAL: its
 * reply goes to its caller.
 * @flags:	MBX_CALL_AT_MOST_ONCE, MBX_SUBMIT_*.
 * @len:	bytes of the call plane that are meaningful, <= slot_size.
 */
struct mbx_submit_args {
	__u32 size;
	__u32 flags;
	__u32 slot;
	__u32 opcode;
	__u32 len;
	__u32 reserved;
	__u64 user_data;
	__u64 out_call_id;
	__u64 timeout_ns;
	struct mbx_call out_reply;
};

/* MBX_IOC_CALL_TAKE flags, with MBX_WAIT_* */
#define MBX_TAKE_COMPLETE	(1U << 2)	/* complete done_* first */

/* out_flags of MBX_IOC_CALL_TAKE */
#define MBX_TAKEN_DONE_CANCELLED (1U << 0)	/* done_* was answered ECANCELED */

/*
 * struct mbx_take_args - MBX_IOC_CALL_TAKE: a callee takes the oldest
 * pending call (state TAKEN, this fd its callee). With MBX_TAKE_COMPLETE it
 * first completes the call (done_slot, done_call_id) exactly as
 * MBX_IOC_CALL_COMPLETE would; if that fails, nothing is taken. Once the
 * completion is done the kernel sets done_call_id to 0 in user memory (and
 * out_flags), so a restarted or retried call never completes twice; a
 * done_call_id of 0 with MBX_TAKE_COMPLETE means nothing is left to
 * complete. Without MBX_TAKE_COMPLETE the done_* fields must be 0.
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

/*
 * struct mbx_complete_args - MBX_IOC_CALL_COMPLETE: the callee answers.
 * @len:	bytes of the reply plane that are meaningful.
 * @status:	0 or a negative errno for the caller.
 * Returns -ECANCELED (and the caller sees status -ECANCELED) when a
 * cancel was requested while the call was taken.
 */
struct mbx_complete_args {
	__u32 size;
	__u32 flags;
	__u64 call_id;
	__u32 slot;
	__u32 len;
	__s32 status;
	__u32 reserved;
};

#define MBX_COLLECT_CALL	(1U << 2)	/* the call (slot, call_id) */

/*
 * struct mbx_collect_args - MBX_IOC_CALL_COLLECT: step two of a call.
 * Without MBX_COLLECT_CALL: waits for any reply to a call submitted
 * through this fd. With it: the reply to (slot, call_id), whoever
 * submitted it; a call whose caller is gone is adopted by this fd. The
 * slot becomes OWNED by this fd: read the reply plane, then release it or
 * submit the next call in it.
 */
struct mbx_collect_args {
	__u32 size;
	__u32 flags;
	__u64 call_id;
	__u32 slot;
	__u32 reserved;
	__u64 timeout_ns;
	struct mbx_call out_call;
};

/*
 * struct mbx_cancel_args - MBX_IOC_CALL_CANCEL: revoke a call.
 * PENDING (or EDIT by this fd): withdrawn, its caller gets -ECANCELED.
 * TAKEN: the callee is asked (MBX_EVENT_CANCEL); its answer becomes
 * -ECANCELED. REPLIED or collected: EALREADY.
 * @out_state:	the state the call was in.
 */
struct mbx_cancel_args {
	__u32 size;
	__u32 flags;
	__u64 call_id;
	__u32 slot;
	__u32 out_state;
};

/*
 * struct mbx_slot_info - one slot's header, for inspection.
 * Pids are in the reader's pid namespace, 0 when there is none or it is
 * not visible. Times are CLOCK_MONOTONIC ns, 0 when it did not happen.
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
	__u32 reserved;
};

/*
 * struct mbx_slots_args - MBX_IOC_SLOT_INFO: headers of slots
 * [first, first + count).
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

/*
 * struct mbx_stats_args - MBX_IOC_BOX_STATS: counters since creation and
 * the current picture.
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
	__u64 out_max_wait_ns;		/* longest submit-to-take wait seen */
	__u64 out_oldest_pending_ns;	/* age of the oldest pending call */
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

struct mbx_event {
	__u64 call_id;
	__u32 type;
	__u32 slot;
	__s32 status;	/* CALLEE_DIED: 0 redelivered, -EOWNERDEAD failed,
			 * -ECANCELED ended as cancelled */
	__u32 reserved;
};

/*
 * struct mbx_events_args - MBX_IOC_EVENTS_READ: drain queued events of
 * this fd into @events, room for @count entries of @event_size bytes
 * (sizeof(struct mbx_event) as the caller knows it). Never waits; poll for
 * EPOLLPRI.
 */
struct mbx_events_args {
	__u32 size;
	__u32 flags;
	__u64 events;
	__u32 count;
	__u32 event_size;
	__u32 out_count;
	__u32 reserved;
};

/*
 * struct mbx_reclaim_args - MBX_IOC_BOX_RECLAIM: free the replies whose
 * caller is gone and that were answered at least @min_age_ns ago.
 */
struct mbx_reclaim_args {
	__u32 size;
	__u32 flags;
	__u64 min_age_ns;
	__u32 out_count;
	__u32 reserved;
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

#endif /* _UAPI_LINUX_MBX_H */
