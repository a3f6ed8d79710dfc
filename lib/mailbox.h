/* SPDX-License-Identifier: (LGPL-2.1-or-later OR MIT) */
/*
 * libmailbox: the userspace library of /dev/mailbox (see mailbox(7)).
 *
 * The library is to /dev/mailbox what liburing is to io_uring: a handle
 * (struct mailbox) that keeps the mailbox fd and its mapping, one function
 * per kernel operation, and inline helpers for what needs no system call.
 *
 * Conventions, for every function declared here:
 *  - A negative return is -errno; 0 or a positive value is success. errno
 *    is never the channel: the library leaves errno as it found it.
 *  - A function on the call path (acquire, submit, submit_collect, collect,
 *    release, take, complete, complete_take, revoke, cancel) makes exactly
 *    one ioctl and allocates nothing.
 *  - Flags are the uAPI's own (MBX_WAIT_*, MBX_CALL_*, ...) and reach the
 *    kernel unchanged: a kernel that does not know a flag rejects it with
 *    EINVAL. Timeouts are absolute CLOCK_MONOTONIC times in ns, given with
 *    MBX_WAIT_TIMEOUT and 0 without it (mailbox_deadline() makes one).
 *  - An interrupted wait returns -EINTR when the signal's handler was
 *    installed without SA_RESTART; otherwise the kernel restarts it, and an
 *    absolute timeout keeps its meaning across the restart.
 *
 * Memory ordering. The payload planes are plain shared memory: neither the
 * kernel nor the library reads or writes them on the call path, and user
 * space needs no barrier or atomic to use them. The ioctl that moves a slot
 * from one party to the next is the ordering point: the kernel changes the
 * slot's state under the slot's lock, so everything the caller stored in the
 * call plane before mailbox_submit() is visible to the callee after its
 * mailbox_take() returns that call, and everything the callee stored in the
 * reply plane before mailbox_complete() is visible to the caller after its
 * mailbox_collect() returns the reply. A plane may be touched only by the
 * party the slot's state names: the call plane by the owner of an OWNED or
 * EDIT slot (written) and by the callee of a TAKEN call (read), the reply
 * plane by the callee of a TAKEN call (written) and by the owner after
 * collect (read).
 */
#ifndef LIBMAILBOX_H
#define LIBMAILBOX_H

#include <stddef.h>
#include <stdint.h>

#include <linux/mbx.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LIBMAILBOX_VERSION_MAJOR	1
#define LIBMAILBOX_VERSION_MINOR	0

/* The control device that creates, opens, destroys and lists mailboxes. */
#define MAILBOX_DEVICE		"/dev/mailbox"

/*
 * struct mailbox - an open mailbox: one session of the kernel (one open
 * file description), its mapping and its geometry. Fill it with
 * mailbox_create(), mailbox_open() or mailbox_attach(); read its fields
 * freely, change none. Its size is part of the ABI: the reserved words
 * are there for later versions of the library.
 * @fd:		the mailbox fd, for poll, epoll and io_uring.
 * @nslots:	number of slots.
 * @slot_size:	bytes of each slot in each plane.
 * @access:	MBX_ACCESS_* of this session.
 * @box_id:	unique among the mailboxes created since the module was
 *		loaded: keep it with a (slot, call id) kept across a restart.
 * @call_plane:	call plane of slot 0; slot i's is i * slot_size further.
 *		Writable only with MBX_ACCESS_WRITE.
 * @reply_plane: reply plane of slot 0, as @call_plane.
 * @map:	the whole mapping, @map_size bytes.
 * @name:	the mailbox's name, NUL terminated.
 */
struct mailbox {
	int fd;
	uint32_t nslots;
	uint32_t slot_size;
	uint32_t access;
	uint64_t box_id;
	unsigned char *call_plane;
	unsigned char *reply_plane;
	void *map;
	size_t map_size;
	char name[MBX_NAME_MAX];
	uint32_t flags;			/* library private */
	uint32_t resv32;
	uint64_t resv[6];
};

/*
 * Kinds of work a mailbox fd can be ready for. Each is the poll bit the
 * kernel reports for it (EPOLL* and POLL* have the same values), so they
 * serve as poll masks, epoll event masks and io_uring poll masks as they
 * are, and poll results can be tested against them directly.
 */
#define MAILBOX_READY_CALL	0x001u	/* EPOLLIN: a call is pending: take */
#define MAILBOX_READY_EVENT	0x002u	/* EPOLLPRI: events: mailbox_events */
#define MAILBOX_READY_FREE	0x004u	/* EPOLLOUT: a slot is free: acquire */
#define MAILBOX_READY_REPLY	0x080u	/* EPOLLRDBAND: a reply of mine: collect */
#define MAILBOX_READY_ALL	(MAILBOX_READY_CALL | MAILBOX_READY_EVENT | \
				 MAILBOX_READY_FREE | MAILBOX_READY_REPLY)

/* ---- Handshake ---- */

int mailbox_api(struct mbx_api_args *api);

/* ---- Mailboxes ---- */

int mailbox_create(struct mailbox *mb, const char *name, uint32_t nslots,
		   uint32_t slot_size, uint32_t mode, uint64_t reclaim_ns,
		   uint32_t flags);
int mailbox_open(struct mailbox *mb, const char *name, uint32_t access,
		 uint32_t flags);
int mailbox_attach(struct mailbox *mb, int fd);
int mailbox_close(struct mailbox *mb);
int mailbox_destroy(const char *name);
int mailbox_list(struct mbx_box_entry *entries, uint32_t count,
		 uint32_t *total);
int mailbox_info(struct mailbox *mb, struct mbx_info_args *info);
int mailbox_set(struct mailbox *mb, uint32_t flags, uint32_t uid,
		uint32_t gid, uint32_t mode, uint64_t reclaim_ns);

/*
 * ---- Caller ----
 *
 * A call is described by the struct mbx_call the kernel uses: a caller
 * fills slot, opcode, len, user_data and flags (MBX_CALL_AT_MOST_ONCE)
 * and mailbox_submit() writes call_id; a callee gets one from
 * mailbox_take() and hands it back to mailbox_complete(); (slot, call_id)
 * of one names the call for mailbox_collect(), mailbox_revoke() and
 * mailbox_cancel().
 */

int mailbox_acquire(struct mailbox *mb, uint32_t slot, uint32_t flags,
		    uint64_t timeout_ns, uint32_t *out_flags);
int mailbox_submit(struct mailbox *mb, struct mbx_call *call);
int mailbox_collect(struct mailbox *mb, const struct mbx_call *which,
		    uint32_t flags, uint64_t timeout_ns,
		    struct mbx_call *reply);
int mailbox_submit_collect(struct mailbox *mb, struct mbx_call *call,
			   uint32_t flags, uint64_t timeout_ns,
			   struct mbx_call *reply);
int mailbox_release(struct mailbox *mb, uint32_t slot);

/* ---- Callee ---- */

int mailbox_take(struct mailbox *mb, uint32_t flags, uint64_t timeout_ns,
		 struct mbx_call *call);
int mailbox_complete(struct mailbox *mb, const struct mbx_call *done,
		     int32_t status, uint32_t len);
int mailbox_complete_take(struct mailbox *mb, struct mbx_call *done,
			  int32_t status, uint32_t len, uint32_t flags,
			  uint64_t timeout_ns, struct mbx_call *next);

/* ---- Batches (MBX_FEAT_BATCH) ---- */

/*
 * Submit @ncalls calls (each entry's out_result and out_call_id say how
 * it went), then collect up to @nreplies replies, waiting per @flags for
 * the first: the count collected, or a negative errno (a failed wait
 * leaves the submissions made). Either count may be 0, not both.
 */
int mailbox_batch_call(struct mailbox *mb, struct mbx_batch_submit *calls,
		       uint32_t ncalls, struct mbx_call *replies,
		       uint32_t nreplies, uint32_t flags, uint64_t timeout_ns);
/*
 * Answer @ndone calls (each entry's out_result says how it went), then
 * take up to @ncalls calls, waiting per @flags for the first: the count
 * taken, or a negative errno (a failed wait leaves the answers made).
 */
int mailbox_batch_serve(struct mailbox *mb, struct mbx_batch_complete *done,
			uint32_t ndone, struct mbx_call *calls,
			uint32_t ncalls, uint32_t flags, uint64_t timeout_ns);

/* ---- Revocation ---- */

int mailbox_revoke(struct mailbox *mb, const struct mbx_call *call);
int mailbox_cancel(struct mailbox *mb, const struct mbx_call *call);

/* ---- Recovery and inspection ---- */

int mailbox_slot_info(struct mailbox *mb, uint32_t first, uint32_t count,
		      struct mbx_slot_info *info);
int mailbox_stats(struct mailbox *mb, struct mbx_stats_args *stats);
int mailbox_events(struct mailbox *mb, struct mbx_event *events,
		   uint32_t count);
int mailbox_reclaim(struct mailbox *mb, uint64_t min_age_ns);

/* The absolute CLOCK_MONOTONIC time @rel_ns from now (MBX_WAIT_TIMEOUT). */
uint64_t mailbox_deadline(uint64_t rel_ns);

/* ---- Event loops ---- */

int mailbox_ready(struct mailbox *mb, uint32_t kinds);

/* The fd to give to poll(2), epoll_ctl(2) or an io_uring poll. */
static inline int mailbox_fd(const struct mailbox *mb)
{
	return mb->fd;
}

/*
 * The call plane of @slot: pointer arithmetic only, no access. What may be
 * done through the pointer, and when, is said at the top of this file.
 */
static inline void *mailbox_call_plane(const struct mailbox *mb,
				       uint32_t slot)
{
	return mb->call_plane + (size_t)slot * mb->slot_size;
}

/* The reply plane of @slot, as mailbox_call_plane(). */
static inline void *mailbox_reply_plane(const struct mailbox *mb,
					uint32_t slot)
{
	return mb->reply_plane + (size_t)slot * mb->slot_size;
}

#ifdef __cplusplus
}
#endif

#endif /* LIBMAILBOX_H */
