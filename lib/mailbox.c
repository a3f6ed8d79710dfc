// SPDX-License-Identifier: (LGPL-2.1-or-later OR MIT)
/*
 * libmailbox: one function per /dev/mailbox operation (see mailbox(7)).
 *
 * Every function builds the uAPI argument struct on the stack, makes the one
 * ioctl the operation maps to, and copies the kernel's answer out; the
 * functions of the mailbox's life (create, open, destroy, list, api) also
 * open and close /dev/mailbox, and create, open and attach map the payload.
 * Nothing is allocated, nothing is cached, and errno is saved and restored
 * around every libc call, whose failure is returned as -errno.
 *
 * The library never reads or writes the payload planes: mailbox.h says how
 * the ioctls order the plain shared-memory accesses of callers and callees.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "mailbox.h"

/* The ready kinds are the poll bits, so that masks need no translation. */
_Static_assert(MAILBOX_READY_CALL == POLLIN, "MAILBOX_READY_CALL");
_Static_assert(MAILBOX_READY_EVENT == POLLPRI, "MAILBOX_READY_EVENT");
_Static_assert(MAILBOX_READY_FREE == POLLOUT, "MAILBOX_READY_FREE");
_Static_assert(MAILBOX_READY_REPLY == POLLRDBAND, "MAILBOX_READY_REPLY");

/* struct mailbox is ABI: its layout may only grow into the reserved words. */
#if defined(__LP64__)
_Static_assert(sizeof(struct mailbox) == 176, "struct mailbox size");
_Static_assert(offsetof(struct mailbox, resv) == 128, "struct mailbox resv");
#endif

/* ioctl(2) with the result as -errno and errno untouched. */
static int mbx_ioctl(int fd, unsigned long cmd, void *arg)
{
	int saved = errno;
	int ret = ioctl(fd, cmd, arg);

	if (ret < 0) {
		ret = -errno;
		errno = saved;
	}
	return ret;
}

static void mbx_close_quiet(int fd)
{
	int saved = errno;

	close(fd);
	errno = saved;
}

/* One ioctl on a short-lived fd of the control device. */
static int mbx_ctl(unsigned long cmd, void *arg)
{
	int saved = errno;
	int fd, ret;

	fd = open(MAILBOX_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		errno = saved;
		return ret;
	}
	ret = mbx_ioctl(fd, cmd, arg);
	mbx_close_quiet(fd);
	return ret;
}

/*
 * Copy a C string into the NUL-padded name field. Only the length is
 * checked here (a longer name cannot be represented); the kernel checks
 * the characters.
 */
static int mbx_name(uint8_t dst[MBX_NAME_MAX], const char *name)
{
	size_t len;

	if (!name)
		return -EINVAL;
	len = strnlen(name, MBX_NAME_MAX);
	if (len == MBX_NAME_MAX)
		return -EINVAL;
	memset(dst, 0, MBX_NAME_MAX);
	memcpy(dst, name, len);
	return 0;
}

int mailbox_api(struct mbx_api_args *api)
{
	memset(api, 0, sizeof(*api));
	api->size = sizeof(*api);
	api->api = MBX_API_VERSION;
	return mbx_ctl(MBX_IOC_API, api);
}

int mailbox_attach(struct mailbox *mb, int fd)
{
	struct mbx_info_args info = { .size = sizeof(info) };
	int saved = errno;
	unsigned char *map = NULL;
	int prot, ret;

	ret = mbx_ioctl(fd, MBX_IOC_BOX_INFO, &info);
	if (ret < 0)
		return ret;
	/*
	 * mmap(2) needs a file open for reading; every session has read
	 * access today, but a session without it would stay unmapped.
	 */
	if (info.out_access & MBX_ACCESS_READ) {
		prot = PROT_READ;
		if (info.out_access & MBX_ACCESS_WRITE)
			prot |= PROT_WRITE;
		map = mmap(NULL, info.out_map_size, prot, MAP_SHARED, fd, 0);
		if (map == MAP_FAILED) {
			ret = -errno;
			errno = saved;
			return ret;
		}
	}
	memset(mb, 0, sizeof(*mb));
	mb->fd = fd;
	mb->nslots = info.out_nslots;
	mb->slot_size = info.out_slot_size;
	mb->access = info.out_access;
	mb->box_id = info.out_box_id;
	if (map) {
		mb->map = map;
		mb->map_size = info.out_map_size;
		mb->call_plane = map + info.out_call_off;
		mb->reply_plane = map + info.out_reply_off;
	}
	memcpy(mb->name, info.out_name, MBX_NAME_MAX);
	mb->name[MBX_NAME_MAX - 1] = '\0';
	return 0;
}

int mailbox_create(struct mailbox *mb, const char *name, uint32_t nslots,
		   uint32_t slot_size, uint32_t mode, uint64_t reclaim_ns,
		   uint32_t flags)
{
	struct mbx_create_args args = {
		.size = sizeof(args),
		.flags = flags,
		.nslots = nslots,
		.slot_size = slot_size,
		.mode = mode,
		.reclaim_ns = reclaim_ns,
	};
	struct mbx_destroy_args destroy = { .size = sizeof(destroy) };
	int fd, ret;

	ret = mbx_name(args.name, name);
	if (ret < 0)
		return ret;
	fd = mbx_ctl(MBX_IOC_BOX_CREATE, &args);
	if (fd < 0)
		return fd;
	ret = mailbox_attach(mb, fd);
	if (ret < 0) {
		/* Leave no name behind that its creator cannot use. */
		mbx_close_quiet(fd);
		memcpy(destroy.name, args.name, MBX_NAME_MAX);
		mbx_ctl(MBX_IOC_BOX_DESTROY, &destroy);
	}
	return ret;
}

int mailbox_open(struct mailbox *mb, const char *name, uint32_t access,
		 uint32_t flags)
{
	struct mbx_open_args args = {
		.size = sizeof(args),
		.flags = flags,
		.access = access,
	};
	int fd, ret;

	ret = mbx_name(args.name, name);
	if (ret < 0)
		return ret;
	fd = mbx_ctl(MBX_IOC_BOX_OPEN, &args);
	if (fd < 0)
		return fd;
	ret = mailbox_attach(mb, fd);
	if (ret < 0)
		mbx_close_quiet(fd);
	return ret;
}

int mailbox_close(struct mailbox *mb)
{
	int saved = errno;
	int ret = 0;

	/*
	 * The mapping holds the session too: the kernel gives back what the
	 * session held once both are gone, whichever goes last.
	 */
	if (mb->map && munmap(mb->map, mb->map_size))
		ret = -errno;
	if (close(mb->fd) && !ret)
		ret = -errno;
	errno = saved;
	mb->fd = -1;
	mb->map = NULL;
	mb->map_size = 0;
	mb->call_plane = NULL;
	mb->reply_plane = NULL;
	return ret;
}

int mailbox_destroy(const char *name)
{
	struct mbx_destroy_args args = { .size = sizeof(args) };
	int ret;

	ret = mbx_name(args.name, name);
	if (ret < 0)
		return ret;
	return mbx_ctl(MBX_IOC_BOX_DESTROY, &args);
}

int mailbox_list(struct mbx_box_entry *entries, uint32_t count,
		 uint32_t *total)
{
	struct mbx_list_args args = {
		.size = sizeof(args),
		.entries = (uintptr_t)entries,
		.count = count,
		.entry_size = sizeof(*entries),
	};
	int ret;

	ret = mbx_ctl(MBX_IOC_BOX_LIST, &args);
	if (ret < 0)
		return ret;
	if (total)
		*total = args.out_total;
	return args.out_count;
}

int mailbox_info(struct mailbox *mb, struct mbx_info_args *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return mbx_ioctl(mb->fd, MBX_IOC_BOX_INFO, info);
}

int mailbox_set(struct mailbox *mb, uint32_t flags, uint32_t uid,
		uint32_t gid, uint32_t mode, uint64_t reclaim_ns)
{
	struct mbx_set_args args = {
		.size = sizeof(args),
		.flags = flags,
		.uid = uid,
		.gid = gid,
		.mode = mode,
		.reclaim_ns = reclaim_ns,
	};

	return mbx_ioctl(mb->fd, MBX_IOC_BOX_SET, &args);
}

/* ---- Caller ---- */

int mailbox_acquire(struct mailbox *mb, uint32_t slot, uint32_t flags,
		    uint64_t timeout_ns, uint32_t *out_flags)
{
	struct mbx_acquire_args args = {
		.size = sizeof(args),
		.flags = flags,
		.slot = slot,
		.timeout_ns = timeout_ns,
	};
	int ret;

	/* Taking a pending call back is mailbox_revoke(), which names it. */
	if (flags & MBX_ACQUIRE_CALL)
		return -EINVAL;
	ret = mbx_ioctl(mb->fd, MBX_IOC_SLOT_ACQUIRE, &args);
	if (ret < 0)
		return ret;
	if (out_flags)
		*out_flags = args.out_flags;
	/* Slots are below MBX_SLOTS_LIMIT: the index fits an int. */
	return (int)args.out_slot;
}

/*
 * The properties a caller stores with a call, from call->flags. The bits
 * the kernel reports about a call it delivered (redelivered, caller gone,
 * cancel requested, adopted) are dropped, so that the struct a reply was
 * collected into can carry the next call as it is; every other bit
 * reaches the kernel unchanged, which rejects what it does not know.
 */
static uint32_t mbx_call_flags(const struct mbx_call *call)
{
	return call->flags & ~(MBX_CALL_REDELIVERED | MBX_CALL_CALLER_GONE |
			       MBX_CALL_CANCEL_REQ | MBX_CALL_ADOPTED);
}

int mailbox_submit(struct mailbox *mb, struct mbx_call *call)
{
	struct mbx_submit_args args = {
		.size = sizeof(args),
		.slot = call->slot,
		.opcode = call->opcode,
		.len = call->len,
		.call_flags = mbx_call_flags(call),
		.user_data = call->user_data,
	};
	int ret;

	/* The call plane was written with plain stores: this ioctl publishes. */
	ret = mbx_ioctl(mb->fd, MBX_IOC_CALL_SUBMIT, &args);
	if (ret < 0)
		return ret;
	/* A revised (EDIT) call keeps its id: the kernel returns it. */
	call->call_id = args.out_call_id;
	return 0;
}

int mailbox_collect(struct mailbox *mb, const struct mbx_call *which,
		    uint32_t flags, uint64_t timeout_ns,
		    struct mbx_call *reply)
{
	struct mbx_collect_args args = {
		.size = sizeof(args),
		.flags = flags,
		.timeout_ns = timeout_ns,
	};
	int ret;

	/* Which call is said by @which, not by a flag. */
	if (flags & MBX_COLLECT_CALL)
		return -EINVAL;
	if (which) {
		args.flags |= MBX_COLLECT_CALL;
		args.slot = which->slot;
		args.call_id = which->call_id;
	}
	/* On success the reply plane may be read: the callee's stores precede. */
	ret = mbx_ioctl(mb->fd, MBX_IOC_CALL_COLLECT, &args);
	if (ret < 0)
		return ret;
	/* @which was read into args above: @reply may be the same struct. */
	*reply = args.out_call;
	return 0;
}

int mailbox_submit_collect(struct mailbox *mb, struct mbx_call *call,
			   uint32_t flags, uint64_t timeout_ns,
			   struct mbx_call *reply)
{
	struct mbx_submit_args args = {
		.size = sizeof(args),
		.flags = flags | MBX_SUBMIT_COLLECT,
		.slot = call->slot,
		.opcode = call->opcode,
		.len = call->len,
		.call_flags = mbx_call_flags(call),
		.user_data = call->user_data,
		.timeout_ns = timeout_ns,
	};
	int ret;

	/*
	 * Publishes the call plane of call->slot, as mailbox_submit(), then
	 * on success the reply plane of reply->slot may be read, as after
	 * mailbox_collect().
	 */
	ret = mbx_ioctl(mb->fd, MBX_IOC_CALL_SUBMIT, &args);
	/*
	 * The kernel writes out_call_id once the call is submitted, before
	 * it waits: a failed wait (EAGAIN, ETIMEDOUT, EINTR) leaves the call
	 * submitted, and its id tells so. Ids are never 0: 0 says that
	 * nothing was submitted.
	 */
	call->call_id = args.out_call_id;
	if (ret < 0)
		return ret;
	/* Last: @reply may be @call, and the reply is what it holds then. */
	*reply = args.out_reply;
	return 0;
}

int mailbox_release(struct mailbox *mb, uint32_t slot)
{
	struct mbx_release_args args = {
		.size = sizeof(args),
		.slot = slot,
	};

	return mbx_ioctl(mb->fd, MBX_IOC_SLOT_RELEASE, &args);
}

/* ---- Callee ---- */

int mailbox_take(struct mailbox *mb, uint32_t flags, uint64_t timeout_ns,
		 struct mbx_call *call)
{
	struct mbx_take_args args = {
		.size = sizeof(args),
		.flags = flags,
		.timeout_ns = timeout_ns,
	};
	int ret;

	/* On success the call plane may be read: the caller's stores precede. */
	ret = mbx_ioctl(mb->fd, MBX_IOC_CALL_TAKE, &args);
	if (ret < 0)
		return ret;
	*call = args.out_call;
	return 0;
}

int mailbox_complete(struct mailbox *mb, const struct mbx_call *done,
		     int32_t status, uint32_t len)
{
	struct mbx_complete_args args = {
		.size = sizeof(args),
		.call_id = done->call_id,
		.slot = done->slot,
		.len = len,
		.status = status,
	};

	/*
	 * The reply plane was written with plain stores: this ioctl
	 * publishes. -ECANCELED: answered all the same, as cancelled.
	 */
	return mbx_ioctl(mb->fd, MBX_IOC_CALL_COMPLETE, &args);
}

int mailbox_complete_take(struct mailbox *mb, struct mbx_call *done,
			  int32_t status, uint32_t len, uint32_t flags,
			  uint64_t timeout_ns, struct mbx_call *next)
{
	struct mbx_take_args args = {
		.size = sizeof(args),
		.flags = flags | MBX_TAKE_COMPLETE,
		.timeout_ns = timeout_ns,
	};
	int ret;

	/* No call to answer (none, or answered already): just take. */
	if (done && done->call_id) {
		args.done_call_id = done->call_id;
		args.done_slot = done->slot;
		args.done_len = len;
		args.done_status = status;
	}
	/* Publishes the reply plane of done->slot, then as mailbox_take(). */
	ret = mbx_ioctl(mb->fd, MBX_IOC_CALL_TAKE, &args);
	/*
	 * Once the call is answered, before it waits, the kernel writes
	 * MBX_TAKEN_DONE to out_flags (and 0 to done_call_id) in our copy of
	 * the arguments: a failed wait (or a restarted one) still tells an
	 * answered call from an unanswered one. Forget the answered call
	 * first, so that a retry never answers it twice; then @next, which
	 * may be @done, gets the call taken.
	 */
	if (args.out_flags & MBX_TAKEN_DONE)
		done->call_id = 0;
	if (ret < 0)
		return ret;
	*next = args.out_call;
	return (int)args.out_flags;
}

/* ---- Batches ---- */

int mailbox_batch_call(struct mailbox *mb, struct mbx_batch_submit *calls,
		       uint32_t ncalls, struct mbx_call *replies,
		       uint32_t nreplies, uint32_t flags, uint64_t timeout_ns)
{
	struct mbx_batch_call_args args = {
		.size = sizeof(args),
		.flags = flags,
		.submit = (uintptr_t)calls,
		.collect = (uintptr_t)replies,
		.nsubmit = ncalls,
		.ncollect = nreplies,
		.timeout_ns = timeout_ns,
	};
	int ret;

	/*
	 * Publishes the call planes of the entries' slots; each entry gets
	 * its out_result (and out_call_id) before any wait.
	 */
	ret = mbx_ioctl(mb->fd, MBX_IOC_BATCH_CALL, &args);
	return ret < 0 ? ret : (int)args.out_collected;
}

int mailbox_batch_serve(struct mailbox *mb, struct mbx_batch_complete *done,
			uint32_t ndone, struct mbx_call *calls, uint32_t ncalls,
			uint32_t flags, uint64_t timeout_ns)
{
	struct mbx_batch_serve_args args = {
		.size = sizeof(args),
		.flags = flags,
		.complete = (uintptr_t)done,
		.take = (uintptr_t)calls,
		.ncomplete = ndone,
		.ntake = ncalls,
		.timeout_ns = timeout_ns,
	};
	int ret;

	ret = mbx_ioctl(mb->fd, MBX_IOC_BATCH_SERVE, &args);
	return ret < 0 ? ret : (int)args.out_taken;
}

/* ---- Revocation ---- */

int mailbox_revoke(struct mailbox *mb, const struct mbx_call *call)
{
	struct mbx_acquire_args args = {
		.size = sizeof(args),
		.flags = MBX_ACQUIRE_CALL,
		.slot = call->slot,
		.call_id = call->call_id,
	};
	int ret;

	/* On success the call plane may be rewritten until the next submit. */
	ret = mbx_ioctl(mb->fd, MBX_IOC_SLOT_ACQUIRE, &args);
	return ret < 0 ? ret : 0;
}

int mailbox_cancel(struct mailbox *mb, const struct mbx_call *call)
{
	struct mbx_cancel_args args = {
		.size = sizeof(args),
		.call_id = call->call_id,
		.slot = call->slot,
	};
	int ret;

	ret = mbx_ioctl(mb->fd, MBX_IOC_CALL_CANCEL, &args);
	if (ret < 0)
		return ret;
	return (int)args.out_state;
}

/* ---- Recovery and inspection ---- */

int mailbox_slot_info(struct mailbox *mb, uint32_t first, uint32_t count,
		      struct mbx_slot_info *info)
{
	struct mbx_slots_args args = {
		.size = sizeof(args),
		.info = (uintptr_t)info,
		.first = first,
		.count = count,
		.info_size = sizeof(*info),
	};
	int ret;

	ret = mbx_ioctl(mb->fd, MBX_IOC_SLOT_INFO, &args);
	if (ret < 0)
		return ret;
	return args.out_count;
}

int mailbox_stats(struct mailbox *mb, struct mbx_stats_args *stats)
{
	memset(stats, 0, sizeof(*stats));
	stats->size = sizeof(*stats);
	return mbx_ioctl(mb->fd, MBX_IOC_BOX_STATS, stats);
}

int mailbox_events(struct mailbox *mb, struct mbx_event *events,
		   uint32_t count)
{
	struct mbx_events_args args = {
		.size = sizeof(args),
		.events = (uintptr_t)events,
		.count = count,
		.event_size = sizeof(*events),
	};
	int ret;

	ret = mbx_ioctl(mb->fd, MBX_IOC_EVENTS_READ, &args);
	if (ret < 0)
		return ret;
	return args.out_count;
}

int mailbox_reclaim(struct mailbox *mb, uint64_t min_age_ns)
{
	struct mbx_reclaim_args args = {
		.size = sizeof(args),
		.min_age_ns = min_age_ns,
	};
	int ret;

	ret = mbx_ioctl(mb->fd, MBX_IOC_BOX_RECLAIM, &args);
	if (ret < 0)
		return ret;
	return args.out_count;
}

/*
 * clock_gettime() of CLOCK_MONOTONIC is answered by the vDSO, without a
 * system call, wherever the clock source allows it. A deadline past what
 * 64 bits hold is the farthest one (the kernel waits until a signal).
 */
uint64_t mailbox_deadline(uint64_t rel_ns)
{
	struct timespec ts;
	int saved = errno;
	uint64_t now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	errno = saved;
	now = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	return rel_ns > UINT64_MAX - now ? UINT64_MAX : now + rel_ns;
}

/* ---- Event loops ---- */

int mailbox_ready(struct mailbox *mb, uint32_t kinds)
{
	struct pollfd pfd = { .fd = mb->fd };
	int saved = errno;
	int ret;

	if (kinds & ~MAILBOX_READY_ALL)
		return -EINVAL;
	pfd.events = kinds ? kinds : MAILBOX_READY_ALL;
	ret = poll(&pfd, 1, 0);
	if (ret < 0) {
		ret = -errno;
		errno = saved;
		return ret;
	}
	if (pfd.revents & POLLNVAL)
		return -EBADF;
	return pfd.revents & pfd.events;
}
