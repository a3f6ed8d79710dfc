// SPDX-License-Identifier: GPL-2.0
/*
 * The v1 ABI of every ioctl, from tables: a size short of the whole struct
 * is EINVAL and changes nothing, a non-zero tail or a size above the page
 * is E2BIG, a zero tail is accepted; unknown flag bits, non-zero
 * __reserved fields and contradictory wait flags are EINVAL and change
 * nothing; a command of the other kind of fd is ENOTTY. Then the rules of
 * the wait flags, huge timeouts, MBX_TAKE_COMPLETE's out_flags and the
 * errno rows of the header.
 *
 * Every rejected input runs against the same busy scene, which is then
 * checked whole: a rejected call must leave no trace.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mbx_helpers.h"

MBX_SKIP_WITHOUT_DEVICE

#define NSLOTS		5
#define BUFSZ		(3 * 65536)

enum op {
	OP_API, OP_CREATE, OP_OPEN, OP_DESTROY, OP_LIST,
	OP_INFO, OP_SET, OP_STATS, OP_RECLAIM, OP_ACQUIRE, OP_RELEASE,
	OP_SLOT_INFO, OP_SUBMIT, OP_TAKE, OP_COMPLETE, OP_COLLECT,
	OP_CANCEL, OP_EVENTS, OP_BATCH_CALL, OP_BATCH_SERVE,
};

enum on { ON_DEV, ON_CALLER, ON_CALLEE };

static const struct opdesc {
	unsigned long cmd;
	unsigned int size;
	enum on on;
} ops[] = {
	[OP_API] = { MBX_IOC_API, sizeof(struct mbx_api_args), ON_DEV },
	[OP_CREATE] = { MBX_IOC_BOX_CREATE, sizeof(struct mbx_create_args), ON_DEV },
	[OP_OPEN] = { MBX_IOC_BOX_OPEN, sizeof(struct mbx_open_args), ON_DEV },
	[OP_DESTROY] = { MBX_IOC_BOX_DESTROY, sizeof(struct mbx_destroy_args), ON_DEV },
	[OP_LIST] = { MBX_IOC_BOX_LIST, sizeof(struct mbx_list_args), ON_DEV },
	[OP_INFO] = { MBX_IOC_BOX_INFO, sizeof(struct mbx_info_args), ON_CALLER },
	[OP_SET] = { MBX_IOC_BOX_SET, sizeof(struct mbx_set_args), ON_CALLER },
	[OP_STATS] = { MBX_IOC_BOX_STATS, sizeof(struct mbx_stats_args), ON_CALLER },
	[OP_RECLAIM] = { MBX_IOC_BOX_RECLAIM, sizeof(struct mbx_reclaim_args), ON_CALLER },
	[OP_ACQUIRE] = { MBX_IOC_SLOT_ACQUIRE, sizeof(struct mbx_acquire_args), ON_CALLER },
	[OP_RELEASE] = { MBX_IOC_SLOT_RELEASE, sizeof(struct mbx_release_args), ON_CALLER },
	[OP_SLOT_INFO] = { MBX_IOC_SLOT_INFO, sizeof(struct mbx_slots_args), ON_CALLER },
	[OP_SUBMIT] = { MBX_IOC_CALL_SUBMIT, sizeof(struct mbx_submit_args), ON_CALLER },
	[OP_TAKE] = { MBX_IOC_CALL_TAKE, sizeof(struct mbx_take_args), ON_CALLEE },
	[OP_COMPLETE] = { MBX_IOC_CALL_COMPLETE, sizeof(struct mbx_complete_args), ON_CALLEE },
	[OP_COLLECT] = { MBX_IOC_CALL_COLLECT, sizeof(struct mbx_collect_args), ON_CALLER },
	[OP_CANCEL] = { MBX_IOC_CALL_CANCEL, sizeof(struct mbx_cancel_args), ON_CALLER },
	[OP_EVENTS] = { MBX_IOC_EVENTS_READ, sizeof(struct mbx_events_args), ON_CALLEE },
	[OP_BATCH_CALL] = { MBX_IOC_BATCH_CALL, sizeof(struct mbx_batch_call_args), ON_CALLER },
	[OP_BATCH_SERVE] = { MBX_IOC_BATCH_SERVE, sizeof(struct mbx_batch_serve_args), ON_CALLEE },
};

/*
 * The scene: a mailbox of NSLOTS slots, mode 0600, opened twice (caller
 * and callee, both read-write):
 *   slot 0 OWNED by the caller;
 *   slot 1 TAKEN by the callee and cancelled: one MBX_EVENT_CANCEL queued
 *          on the callee;
 *   slot 2 REPLIED, a reply for the caller to collect;
 *   slot 3 PENDING;
 *   slot 4 FREE.
 * Plus a spare mailbox ("victim") that DESTROY may remove, and a name
 * ("fresh") that no mailbox has, that CREATE may use.
 */
/*
 * Everything of the scene that a call could change, field by field: each
 * slot's header and the counters (the ages, which move on their own,
 * zeroed), the number of mailboxes, what poll() says of the callee.
 */
struct scene_picture {
	struct mbx_slot_info si[NSLOTS];
	struct mbx_stats_args st;
	__u32 boxes;
	short callee_revents;
};

struct scene {
	int dev, c, e;
	char name[MBX_NAME_MAX];
	char victim[MBX_NAME_MAX];
	char fresh[MBX_NAME_MAX];
	__u64 id[NSLOTS];
	int extra_fd;
	unsigned char *buf;
	struct mbx_box_entry entries[8];
	struct mbx_slot_info infos[NSLOTS];
	struct mbx_event events[4];
	struct scene_picture pic;	/* as scene_setup() left it */
};

static const __u32 scene_states[NSLOTS] = {
	MBX_STATE_OWNED, MBX_STATE_TAKEN, MBX_STATE_REPLIED,
	MBX_STATE_PENDING, MBX_STATE_FREE,
};

static int scene_fd(const struct scene *s, enum on on)
{
	return on == ON_DEV ? s->dev : on == ON_CALLER ? s->c : s->e;
}

static void scene_picture(struct __test_metadata *_metadata,
			  const struct scene *s, struct scene_picture *p)
{
	struct mbx_list_args la = { .size = sizeof(la) };
	struct pollfd pfd = { .fd = s->e, .events = POLLPRI | POLLIN };
	int i;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < NSLOTS; i++) {
		ASSERT_EQ(0, mbx_slot_info(s->c, i, &p->si[i]));
		p->si[i].submit_ns = p->si[i].take_ns = p->si[i].reply_ns = 0;
	}
	ASSERT_EQ(0, mbx_stats(s->c, &p->st));
	p->st.out_max_wait_ns = p->st.out_oldest_pending_ns = 0;
	ASSERT_EQ(0, mbx_ioctl(s->dev, MBX_IOC_BOX_LIST, &la));
	p->boxes = la.out_total;
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	p->callee_revents = pfd.revents;
}

static void scene_setup(struct __test_metadata *_metadata, struct scene *s)
{
	struct mbx_call call;
	__u32 state;
	int fd;

	memset(s, 0, sizeof(*s));
	s->extra_fd = -1;
	s->buf = mmap(NULL, BUFSZ, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, s->buf);
	s->dev = mbx_dev_open();
	ASSERT_LE(0, s->dev);
	mbx_unique_name(s->name, "abi");
	mbx_unique_name(s->victim, "abi-victim");
	mbx_unique_name(s->fresh, "abi-fresh");
	s->c = mbx_create(s->dev, s->name, NSLOTS, 64, 0600);
	ASSERT_LE(0, s->c);
	s->e = mbx_open(s->dev, s->name, MBX_ACCESS_READ | MBX_ACCESS_WRITE);
	ASSERT_LE(0, s->e);
	fd = mbx_create(s->dev, s->victim, 1, 64, 0600);
	ASSERT_LE(0, fd);
	close(fd);

	/* slot 1: taken, then cancelled by its caller */
	ASSERT_EQ(1, mbx_acquire(s->c, MBX_WAIT_NONBLOCK, 1, 0, NULL));
	ASSERT_EQ(0, mbx_submit(s->c, 1, 7, 8, 0x11, &s->id[1]));
	ASSERT_EQ(0, mbx_take(s->e, MBX_WAIT_NONBLOCK, 0, &call));
	ASSERT_EQ(s->id[1], call.call_id);
	{
		struct mbx_cancel_args a = { .size = sizeof(a), .slot = 1,
					     .call_id = s->id[1] };

		ASSERT_EQ(0, mbx_ioctl(s->c, MBX_IOC_CALL_CANCEL, &a));
		state = a.out_state;
	}
	ASSERT_EQ(MBX_STATE_TAKEN, state);
	/* slot 2: answered */
	ASSERT_EQ(2, mbx_acquire(s->c, MBX_WAIT_NONBLOCK, 2, 0, NULL));
	ASSERT_EQ(0, mbx_submit(s->c, 2, 7, 8, 0x22, &s->id[2]));
	ASSERT_EQ(0, mbx_take(s->e, MBX_WAIT_NONBLOCK, 0, &call));
	ASSERT_EQ(s->id[2], call.call_id);
	ASSERT_EQ(0, mbx_complete(s->e, 2, s->id[2], 0, 4));
	/* slot 3: pending */
	ASSERT_EQ(3, mbx_acquire(s->c, MBX_WAIT_NONBLOCK, 3, 0, NULL));
	ASSERT_EQ(0, mbx_submit(s->c, 3, 7, 8, 0x33, &s->id[3]));
	/* slot 0: owned */
	ASSERT_EQ(0, mbx_acquire(s->c, MBX_WAIT_NONBLOCK, 0, 0, NULL));
	scene_picture(_metadata, s, &s->pic);
}

/* The scene exactly as scene_setup() left it. */
static void scene_check(struct __test_metadata *_metadata, struct scene *s)
{
	struct mbx_slot_info si;
	struct mbx_event ev[2];
	struct mbx_info_args info;
	struct mbx_events_args ea;
	struct mbx_stats_args st;
	struct scene_picture now;
	__u32 i;
	int fd;

	/* Every field as it was (before the events are read below). */
	scene_picture(_metadata, s, &now);
	EXPECT_EQ(0, memcmp(&s->pic, &now, sizeof(now)));
	EXPECT_TRUE(now.callee_revents & POLLPRI);
	for (i = 0; i < NSLOTS; i++) {
		ASSERT_EQ(0, mbx_slot_info(s->c, i, &si));
		EXPECT_EQ(scene_states[i], si.state) {
			TH_LOG("slot %u", i);
		}
		if (i >= 1 && i <= 3)
			EXPECT_EQ(s->id[i], si.call_id);
	}
	/* Nothing submitted, taken or answered more than the scene did. */
	ASSERT_EQ(0, mbx_stats(s->c, &st));
	EXPECT_EQ(3, st.out_submitted);
	EXPECT_EQ(2, st.out_taken);
	EXPECT_EQ(1, st.out_completed);
	EXPECT_EQ(0, st.out_cancelled);
	EXPECT_EQ(1, st.out_pending);
	EXPECT_EQ(1, st.out_owned);
	EXPECT_EQ(1, st.out_free);
	EXPECT_EQ(1, st.out_taken_now);
	EXPECT_EQ(1, st.out_replied);
	EXPECT_EQ(2, st.out_sessions);
	/* The callee's cancel event is still queued, and alone. */
	memset(ev, 0xcc, sizeof(ev));
	memset(&ea, 0, sizeof(ea));
	ea.size = sizeof(ea);
	ea.events = (uintptr_t)ev;
	ea.count = 2;
	ea.event_size = sizeof(ev[0]);
	ASSERT_EQ(0, mbx_ioctl(s->e, MBX_IOC_EVENTS_READ, &ea));
	EXPECT_EQ(1, ea.out_count);
	EXPECT_EQ(MBX_EVENT_CANCEL, ev[0].type);
	EXPECT_EQ(s->id[1], ev[0].call_id);
	EXPECT_EQ(1, ev[0].slot);
	/* The caller has nothing queued. */
	ea.count = 2;
	ASSERT_EQ(0, mbx_ioctl(s->c, MBX_IOC_EVENTS_READ, &ea));
	EXPECT_EQ(0, ea.out_count);
	/* Mode, victim and fresh name untouched. */
	ASSERT_EQ(0, mbx_info(s->c, &info));
	EXPECT_EQ(0600, info.out_mode);
	fd = mbx_open(s->dev, s->victim, MBX_ACCESS_READ);
	EXPECT_LE(0, fd);
	if (fd >= 0)
		close(fd);
	EXPECT_EQ(-ENOENT, mbx_open(s->dev, s->fresh, MBX_ACCESS_READ));
}

static void scene_teardown(struct scene *s)
{
	if (s->extra_fd >= 0)
		close(s->extra_fd);
	mbx_destroy(s->dev, s->fresh);
	mbx_destroy(s->dev, s->victim);
	mbx_destroy(s->dev, s->name);
	close(s->c);
	close(s->e);
	close(s->dev);
	munmap(s->buf, BUFSZ);
}

/*
 * Valid arguments of @op against the scene, written at s->buf: with
 * these the ioctl succeeds (and changes the scene).
 */
static void *fill_args(struct scene *s, enum op op)
{
	void *p = s->buf;

	memset(s->buf, 0, BUFSZ);
	switch (op) {
	case OP_API: {
		struct mbx_api_args *a = p;

		a->api = MBX_API_VERSION;
		break;
	}
	case OP_CREATE: {
		struct mbx_create_args *a = p;

		mbx_set_name(a->name, s->fresh);
		a->flags = MBX_CREATE_CLOEXEC;
		a->nslots = 1;
		a->slot_size = 64;
		a->mode = 0600;
		break;
	}
	case OP_OPEN: {
		struct mbx_open_args *a = p;

		mbx_set_name(a->name, s->name);
		a->flags = MBX_OPEN_CLOEXEC;
		a->access = MBX_ACCESS_READ;
		break;
	}
	case OP_DESTROY: {
		struct mbx_destroy_args *a = p;

		mbx_set_name(a->name, s->victim);
		break;
	}
	case OP_LIST: {
		struct mbx_list_args *a = p;

		a->entries = (uintptr_t)s->entries;
		a->count = 8;
		a->entry_size = sizeof(s->entries[0]);
		break;
	}
	case OP_INFO:
	case OP_STATS:
		break;
	case OP_SET: {
		struct mbx_set_args *a = p;

		a->flags = MBX_SET_MODE;
		a->mode = 0644;
		break;
	}
	case OP_RECLAIM:
		break;
	case OP_ACQUIRE: {
		struct mbx_acquire_args *a = p;

		a->flags = MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK;
		break;
	}
	case OP_RELEASE: {
		struct mbx_release_args *a = p;

		a->slot = 0;
		break;
	}
	case OP_SLOT_INFO: {
		struct mbx_slots_args *a = p;

		a->info = (uintptr_t)s->infos;
		a->first = 0;
		a->count = NSLOTS;
		a->info_size = sizeof(s->infos[0]);
		break;
	}
	case OP_SUBMIT: {
		struct mbx_submit_args *a = p;

		a->slot = 0;
		a->opcode = 7;
		a->len = 8;
		a->user_data = 0x44;
		break;
	}
	case OP_TAKE: {
		struct mbx_take_args *a = p;

		a->flags = MBX_WAIT_NONBLOCK;
		break;
	}
	case OP_COMPLETE: {
		struct mbx_complete_args *a = p;

		a->slot = 1;
		a->call_id = s->id[1];
		a->len = 4;
		break;
	}
	case OP_COLLECT: {
		struct mbx_collect_args *a = p;

		a->flags = MBX_WAIT_NONBLOCK;
		break;
	}
	case OP_CANCEL: {
		struct mbx_cancel_args *a = p;

		a->slot = 3;
		a->call_id = s->id[3];
		break;
	}
	case OP_EVENTS: {
		struct mbx_events_args *a = p;

		a->events = (uintptr_t)s->events;
		a->count = 4;
		a->event_size = sizeof(s->events[0]);
		break;
	}
	case OP_BATCH_CALL: {
		/* The entries after the page the arguments are in. */
		struct mbx_batch_call_args *a = p;
		struct mbx_batch_submit *e = (void *)(s->buf + 4096);

		e->slot = 0;
		e->opcode = 7;
		e->len = 8;
		a->submit = (uintptr_t)e;
		a->nsubmit = 1;
		break;
	}
	case OP_BATCH_SERVE: {
		struct mbx_batch_serve_args *a = p;
		struct mbx_batch_complete *e = (void *)(s->buf + 4096);

		e->slot = 1;
		e->call_id = s->id[1];
		e->len = 4;
		a->complete = (uintptr_t)e;
		a->ncomplete = 1;
		break;
	}
	}
	return p;
}

static int do_ioctl(struct scene *s, enum op op, unsigned int size)
{
	int ret;

	*(__u32 *)s->buf = size;
	ret = mbx_ioctl(scene_fd(s, ops[op].on), ops[op].cmd, s->buf);
	/* CREATE and OPEN return an fd: keep it for the teardown. */
	if (ret > 0 && (op == OP_CREATE || op == OP_OPEN))
		s->extra_fd = ret;
	return ret;
}

/* ------------------------------------------------------------------ */
/* Size, tail, page limit, unknown flags, fd kind: one variant per ioctl */

FIXTURE(abi) {
	struct scene s;
};

FIXTURE_VARIANT(abi) {
	enum op op;
	int ok;			/* result of the valid call: 0 or -errno */
};

FIXTURE_SETUP(abi)
{
	scene_setup(_metadata, &self->s);
}

FIXTURE_TEARDOWN(abi)
{
	scene_teardown(&self->s);
}

#define ABI_VARIANT(_name, _op, _ok)					\
	FIXTURE_VARIANT_ADD(abi, _name) { .op = _op, .ok = _ok }

ABI_VARIANT(api, OP_API, 0);
ABI_VARIANT(box_create, OP_CREATE, 0);
ABI_VARIANT(box_open, OP_OPEN, 0);
ABI_VARIANT(box_destroy, OP_DESTROY, 0);
ABI_VARIANT(box_list, OP_LIST, 0);
ABI_VARIANT(box_info, OP_INFO, 0);
ABI_VARIANT(box_set, OP_SET, 0);
ABI_VARIANT(box_stats, OP_STATS, 0);
ABI_VARIANT(box_reclaim, OP_RECLAIM, 0);
ABI_VARIANT(slot_acquire, OP_ACQUIRE, 0);
ABI_VARIANT(slot_release, OP_RELEASE, 0);
ABI_VARIANT(slot_info, OP_SLOT_INFO, 0);
ABI_VARIANT(call_submit, OP_SUBMIT, 0);
ABI_VARIANT(call_take, OP_TAKE, 0);
/* slot 1's cancel was requested: answered all the same, ECANCELED */
ABI_VARIANT(call_complete, OP_COMPLETE, -ECANCELED);
ABI_VARIANT(call_collect, OP_COLLECT, 0);
ABI_VARIANT(call_cancel, OP_CANCEL, 0);
ABI_VARIANT(events_read, OP_EVENTS, 0);
ABI_VARIANT(batch_call, OP_BATCH_CALL, 0);
/* Answered as cancelled: the batch succeeds, the entry says -ECANCELED. */
ABI_VARIANT(batch_serve, OP_BATCH_SERVE, 0);

/* The valid arguments do work: the other tests reject only their change. */
TEST_F(abi, valid_args_accepted)
{
	unsigned int size = ops[variant->op].size;
	int ret;

	fill_args(&self->s, variant->op);
	ret = do_ioctl(&self->s, variant->op, size);
	if (variant->ok) {
		EXPECT_EQ(variant->ok, ret);
	} else {
		EXPECT_LE(0, ret);
	}
}

TEST_F(abi, size_short_einval_no_effect)
{
	unsigned int size = ops[variant->op].size;

	fill_args(&self->s, variant->op);
	EXPECT_EQ(-EINVAL, do_ioctl(&self->s, variant->op, size - 8));
	scene_check(_metadata, &self->s);
}

TEST_F(abi, size_zero_einval_no_effect)
{
	fill_args(&self->s, variant->op);
	EXPECT_EQ(-EINVAL, do_ioctl(&self->s, variant->op, 0));
	scene_check(_metadata, &self->s);
}

TEST_F(abi, tail_nonzero_e2big_no_effect)
{
	unsigned int size = ops[variant->op].size;

	fill_args(&self->s, variant->op);
	self->s.buf[size + 3] = 1;
	EXPECT_EQ(-E2BIG, do_ioctl(&self->s, variant->op, size + 8));
	scene_check(_metadata, &self->s);
}

TEST_F(abi, tail_zero_accepted)
{
	unsigned int size = ops[variant->op].size;
	int ret;

	fill_args(&self->s, variant->op);
	ret = do_ioctl(&self->s, variant->op, size + 8);
	if (variant->ok) {
		EXPECT_EQ(variant->ok, ret);
	} else {
		EXPECT_LE(0, ret);
	}
}

TEST_F(abi, size_page_plus_8_e2big_no_effect)
{
	unsigned int size = getpagesize() + 8;

	fill_args(&self->s, variant->op);
	EXPECT_EQ(-E2BIG, do_ioctl(&self->s, variant->op, size));
	scene_check(_metadata, &self->s);
}

TEST_F(abi, size_page_accepted)
{
	int ret;

	fill_args(&self->s, variant->op);
	ret = do_ioctl(&self->s, variant->op, getpagesize());
	if (variant->ok) {
		EXPECT_EQ(variant->ok, ret);
	} else {
		EXPECT_LE(0, ret);
	}
}

TEST_F(abi, flag_bit31_einval_no_effect)
{
	__u32 *flags = (__u32 *)(self->s.buf + 4);

	fill_args(&self->s, variant->op);
	*flags |= 1U << 31;
	EXPECT_EQ(-EINVAL, do_ioctl(&self->s, variant->op,
				    ops[variant->op].size));
	scene_check(_metadata, &self->s);
}

/* Bit 2 is in the reserved part of the common wait flags. */
TEST_F(abi, flag_bit2_einval_no_effect)
{
	__u32 *flags = (__u32 *)(self->s.buf + 4);

	fill_args(&self->s, variant->op);
	*flags |= 1U << 2;
	EXPECT_EQ(-EINVAL, do_ioctl(&self->s, variant->op,
				    ops[variant->op].size));
	scene_check(_metadata, &self->s);
}

/* A command of the other kind of fd is ENOTTY (API is valid on both). */
TEST_F(abi, other_fd_kind_enotty)
{
	enum op op = variant->op;
	int fd = ops[op].on == ON_DEV ? self->s.c : self->s.dev;
	int ret;

	fill_args(&self->s, op);
	*(__u32 *)self->s.buf = ops[op].size;
	ret = mbx_ioctl(fd, ops[op].cmd, self->s.buf);
	if (op == OP_API) {
		EXPECT_EQ(0, ret);
	} else {
		EXPECT_EQ(-ENOTTY, ret);
	}
	if (ret > 0)
		close(ret);
	scene_check(_metadata, &self->s);
}

/* ------------------------------------------------------------------ */
/* __reserved fields: one variant per field                              */

FIXTURE(reserved) {
	struct scene s;
};

FIXTURE_VARIANT(reserved) {
	enum op op;
	unsigned int off;
};

FIXTURE_SETUP(reserved)
{
	scene_setup(_metadata, &self->s);
}

FIXTURE_TEARDOWN(reserved)
{
	scene_teardown(&self->s);
}

#define RESERVED_VARIANT(_name, _op, _struct)				\
	FIXTURE_VARIANT_ADD(reserved, _name) {				\
		.op = _op, .off = offsetof(_struct, __reserved) }

RESERVED_VARIANT(api, OP_API, struct mbx_api_args);
RESERVED_VARIANT(box_create, OP_CREATE, struct mbx_create_args);
RESERVED_VARIANT(box_open, OP_OPEN, struct mbx_open_args);
RESERVED_VARIANT(box_set, OP_SET, struct mbx_set_args);
RESERVED_VARIANT(box_reclaim, OP_RECLAIM, struct mbx_reclaim_args);
RESERVED_VARIANT(slot_acquire, OP_ACQUIRE, struct mbx_acquire_args);
RESERVED_VARIANT(slot_release, OP_RELEASE, struct mbx_release_args);
RESERVED_VARIANT(call_complete, OP_COMPLETE, struct mbx_complete_args);
RESERVED_VARIANT(call_collect, OP_COLLECT, struct mbx_collect_args);
RESERVED_VARIANT(events_read, OP_EVENTS, struct mbx_events_args);
RESERVED_VARIANT(batch_call, OP_BATCH_CALL, struct mbx_batch_call_args);
RESERVED_VARIANT(batch_serve, OP_BATCH_SERVE, struct mbx_batch_serve_args);

TEST_F(reserved, nonzero_einval_no_effect)
{
	fill_args(&self->s, variant->op);
	self->s.buf[variant->off] = 1;
	EXPECT_EQ(-EINVAL, do_ioctl(&self->s, variant->op,
				    ops[variant->op].size));
	scene_check(_metadata, &self->s);
}

TEST_F(reserved, high_byte_nonzero_einval_no_effect)
{
	fill_args(&self->s, variant->op);
	self->s.buf[variant->off + 3] = 0x80;
	EXPECT_EQ(-EINVAL, do_ioctl(&self->s, variant->op,
				    ops[variant->op].size));
	scene_check(_metadata, &self->s);
}

/* ------------------------------------------------------------------ */
/* Wait flags and the fields that go with them                           */

FIXTURE(wait_bad) {
	struct scene s;
};

FIXTURE_VARIANT(wait_bad) {
	enum op op;
	__u32 flags;		/* replaces the valid flags */
	__u64 timeout_ns;
	__u32 call_flags;	/* SUBMIT only */
	int acquire_call;	/* ACQUIRE: (slot 3, its call) */
};

FIXTURE_SETUP(wait_bad)
{
	scene_setup(_metadata, &self->s);
}

FIXTURE_TEARDOWN(wait_bad)
{
	scene_teardown(&self->s);
}

#define FAR_FUTURE	UINT64_MAX

FIXTURE_VARIANT_ADD(wait_bad, acquire_nonblock_timeout) {
	.op = OP_ACQUIRE, .timeout_ns = FAR_FUTURE,
	.flags = MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK | MBX_WAIT_TIMEOUT,
};
FIXTURE_VARIANT_ADD(wait_bad, acquire_timeout_ns_without_flag) {
	.op = OP_ACQUIRE, .timeout_ns = 1,
	.flags = MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK,
};
FIXTURE_VARIANT_ADD(wait_bad, acquire_timeout_ns_no_flags) {
	.op = OP_ACQUIRE, .timeout_ns = 1, .flags = MBX_ACQUIRE_ANY,
};
FIXTURE_VARIANT_ADD(wait_bad, acquire_call_nonblock) {
	.op = OP_ACQUIRE, .acquire_call = 1,
	.flags = MBX_ACQUIRE_CALL | MBX_WAIT_NONBLOCK,
};
FIXTURE_VARIANT_ADD(wait_bad, acquire_call_timeout) {
	.op = OP_ACQUIRE, .acquire_call = 1, .timeout_ns = FAR_FUTURE,
	.flags = MBX_ACQUIRE_CALL | MBX_WAIT_TIMEOUT,
};
FIXTURE_VARIANT_ADD(wait_bad, acquire_any_and_call) {
	.op = OP_ACQUIRE, .acquire_call = 1,
	.flags = MBX_ACQUIRE_CALL | MBX_ACQUIRE_ANY,
};
FIXTURE_VARIANT_ADD(wait_bad, acquire_call_id_without_call_flag) {
	.op = OP_ACQUIRE, .acquire_call = 1,
	.flags = MBX_WAIT_NONBLOCK,
};
FIXTURE_VARIANT_ADD(wait_bad, take_nonblock_timeout) {
	.op = OP_TAKE, .timeout_ns = FAR_FUTURE,
	.flags = MBX_WAIT_NONBLOCK | MBX_WAIT_TIMEOUT,
};
FIXTURE_VARIANT_ADD(wait_bad, take_timeout_ns_without_flag) {
	.op = OP_TAKE, .timeout_ns = 1, .flags = MBX_WAIT_NONBLOCK,
};
FIXTURE_VARIANT_ADD(wait_bad, take_timeout_ns_no_flags) {
	.op = OP_TAKE, .timeout_ns = 1, .flags = 0,
};
FIXTURE_VARIANT_ADD(wait_bad, collect_nonblock_timeout) {
	.op = OP_COLLECT, .timeout_ns = FAR_FUTURE,
	.flags = MBX_WAIT_NONBLOCK | MBX_WAIT_TIMEOUT,
};
FIXTURE_VARIANT_ADD(wait_bad, collect_timeout_ns_without_flag) {
	.op = OP_COLLECT, .timeout_ns = 1, .flags = MBX_WAIT_NONBLOCK,
};
FIXTURE_VARIANT_ADD(wait_bad, collect_timeout_ns_no_flags) {
	.op = OP_COLLECT, .timeout_ns = 1, .flags = 0,
};
FIXTURE_VARIANT_ADD(wait_bad, submit_collect_nonblock_timeout) {
	.op = OP_SUBMIT, .timeout_ns = FAR_FUTURE,
	.flags = MBX_SUBMIT_COLLECT | MBX_WAIT_NONBLOCK | MBX_WAIT_TIMEOUT,
};
FIXTURE_VARIANT_ADD(wait_bad, submit_collect_timeout_ns_without_flag) {
	.op = OP_SUBMIT, .timeout_ns = 1,
	.flags = MBX_SUBMIT_COLLECT | MBX_WAIT_NONBLOCK,
};
FIXTURE_VARIANT_ADD(wait_bad, submit_nonblock_without_collect) {
	.op = OP_SUBMIT, .flags = MBX_WAIT_NONBLOCK,
};
FIXTURE_VARIANT_ADD(wait_bad, submit_timeout_without_collect) {
	.op = OP_SUBMIT, .flags = MBX_WAIT_TIMEOUT, .timeout_ns = FAR_FUTURE,
};
FIXTURE_VARIANT_ADD(wait_bad, submit_timeout_ns_without_collect) {
	.op = OP_SUBMIT, .flags = 0, .timeout_ns = 1,
};
FIXTURE_VARIANT_ADD(wait_bad, submit_call_flags_bit31) {
	.op = OP_SUBMIT, .call_flags = 1U << 31,
};
FIXTURE_VARIANT_ADD(wait_bad, submit_call_flags_redelivered) {
	.op = OP_SUBMIT, .call_flags = MBX_CALL_REDELIVERED,
};
FIXTURE_VARIANT_ADD(wait_bad, submit_call_flags_cancel_req) {
	.op = OP_SUBMIT, .call_flags = MBX_CALL_CANCEL_REQ,
};
FIXTURE_VARIANT_ADD(wait_bad, submit_at_most_once_as_flag) {
	/* moved to call_flags: bit 0 of flags is MBX_WAIT_NONBLOCK now */
	.op = OP_SUBMIT, .flags = MBX_CALL_AT_MOST_ONCE,
};
FIXTURE_VARIANT_ADD(wait_bad, collect_call_id_without_call_flag) {
	.op = OP_COLLECT, .flags = MBX_WAIT_NONBLOCK, .acquire_call = 2,
};
FIXTURE_VARIANT_ADD(wait_bad, take_done_id_without_complete_flag) {
	.op = OP_TAKE, .flags = MBX_WAIT_NONBLOCK, .acquire_call = 1,
};

TEST_F(wait_bad, einval_no_effect)
{
	unsigned char *p = fill_args(&self->s, variant->op);

	switch (variant->op) {
	case OP_ACQUIRE: {
		struct mbx_acquire_args *a = (void *)p;

		a->flags = variant->flags;
		a->timeout_ns = variant->timeout_ns;
		if (variant->acquire_call) {
			a->slot = 3;
			a->call_id = self->s.id[3];
		}
		break;
	}
	case OP_TAKE: {
		struct mbx_take_args *a = (void *)p;

		a->flags = variant->flags;
		a->timeout_ns = variant->timeout_ns;
		if (variant->acquire_call) {
			a->done_slot = 1;
			a->done_call_id = self->s.id[1];
		}
		break;
	}
	case OP_COLLECT: {
		struct mbx_collect_args *a = (void *)p;

		a->flags = variant->flags;
		a->timeout_ns = variant->timeout_ns;
		if (variant->acquire_call) {
			a->slot = 2;
			a->call_id = self->s.id[2];
		}
		break;
	}
	case OP_SUBMIT: {
		struct mbx_submit_args *a = (void *)p;

		a->flags = variant->flags;
		a->timeout_ns = variant->timeout_ns;
		a->call_flags = variant->call_flags;
		break;
	}
	default:
		break;
	}
	EXPECT_EQ(-EINVAL, do_ioctl(&self->s, variant->op,
				    ops[variant->op].size));
	scene_check(_metadata, &self->s);
}

/* ------------------------------------------------------------------ */
/* Unknown commands                                                      */

FIXTURE(unknown_cmd) {
	int dev, box;
	char name[MBX_NAME_MAX];
};

FIXTURE_VARIANT(unknown_cmd) {
	unsigned long cmd;
	int on_box;
};

FIXTURE_SETUP(unknown_cmd)
{
	self->dev = mbx_dev_open();
	ASSERT_LE(0, self->dev);
	mbx_unique_name(self->name, "abi-cmd");
	self->box = mbx_create(self->dev, self->name, 1, 64, 0600);
	ASSERT_LE(0, self->box);
}

FIXTURE_TEARDOWN(unknown_cmd)
{
	mbx_destroy(self->dev, self->name);
	close(self->box);
	close(self->dev);
}

FIXTURE_VARIANT_ADD(unknown_cmd, dev_nr_05) {
	.cmd = _IO(MBX_IOC_MAGIC, 0x05),
};
FIXTURE_VARIANT_ADD(unknown_cmd, dev_nr_ff) {
	.cmd = _IO(MBX_IOC_MAGIC, 0xff),
};
FIXTURE_VARIANT_ADD(unknown_cmd, dev_other_magic) {
	.cmd = _IO(MBX_IOC_MAGIC + 1, 0x00),
};
FIXTURE_VARIANT_ADD(unknown_cmd, dev_api_with_size_bits) {
	.cmd = _IOWR(MBX_IOC_MAGIC, 0x00, struct mbx_api_args),
};
FIXTURE_VARIANT_ADD(unknown_cmd, box_nr_14) {
	.cmd = _IO(MBX_IOC_MAGIC, 0x14), .on_box = 1,
};
FIXTURE_VARIANT_ADD(unknown_cmd, box_nr_23) {
	.cmd = _IO(MBX_IOC_MAGIC, 0x23), .on_box = 1,
};
FIXTURE_VARIANT_ADD(unknown_cmd, box_nr_38) {
	.cmd = _IO(MBX_IOC_MAGIC, 0x38), .on_box = 1,
};
FIXTURE_VARIANT_ADD(unknown_cmd, box_other_magic) {
	.cmd = _IO(MBX_IOC_MAGIC - 1, 0x30), .on_box = 1,
};
FIXTURE_VARIANT_ADD(unknown_cmd, box_api_with_size_bits) {
	.cmd = _IOWR(MBX_IOC_MAGIC, 0x00, struct mbx_api_args), .on_box = 1,
};
FIXTURE_VARIANT_ADD(unknown_cmd, dev_nr_3f) {
	.cmd = _IO(MBX_IOC_MAGIC, 0x3f),
};
FIXTURE_VARIANT_ADD(unknown_cmd, box_nr_3f) {
	.cmd = _IO(MBX_IOC_MAGIC, 0x3f), .on_box = 1,
};
FIXTURE_VARIANT_ADD(unknown_cmd, box_magic_bd) {
	.cmd = _IO(0xBD, 0x10), .on_box = 1,
};

TEST_F(unknown_cmd, enotty)
{
	struct mbx_api_args a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.api = MBX_API_VERSION;
	errno = 0;
	EXPECT_EQ(-1, ioctl(variant->on_box ? self->box : self->dev,
			    variant->cmd, &a));
	EXPECT_EQ(ENOTTY, errno);
}

/* ------------------------------------------------------------------ */
/* SUBMIT | COLLECT | NONBLOCK: submitted, then EAGAIN                   */

FIXTURE(box) {
	int dev, c, e;
	char name[MBX_NAME_MAX];
};

FIXTURE_SETUP(box)
{
	self->dev = mbx_dev_open();
	ASSERT_LE(0, self->dev);
	mbx_unique_name(self->name, "abi-box");
	self->c = mbx_create(self->dev, self->name, 4, 64, 0600);
	ASSERT_LE(0, self->c);
	self->e = mbx_open(self->dev, self->name,
			   MBX_ACCESS_READ | MBX_ACCESS_WRITE);
	ASSERT_LE(0, self->e);
}

FIXTURE_TEARDOWN(box)
{
	mbx_destroy(self->dev, self->name);
	close(self->c);
	close(self->e);
	close(self->dev);
}

TEST_F(box, submit_collect_nonblock_eagain_submits)
{
	struct mbx_submit_args a;
	struct mbx_slot_info si;
	struct mbx_call call;

	ASSERT_EQ(0, mbx_acquire(self->c, MBX_WAIT_NONBLOCK, 0, 0, NULL));
	memset(&a, 0xcc, sizeof(a));
	a.size = sizeof(a);
	a.flags = MBX_SUBMIT_COLLECT | MBX_WAIT_NONBLOCK;
	a.slot = 0;
	a.opcode = 9;
	a.len = 8;
	a.call_flags = 0;
	a.user_data = 0x99;
	a.timeout_ns = 0;
	EXPECT_EQ(-EAGAIN, mbx_ioctl(self->c, MBX_IOC_CALL_SUBMIT, &a));
	EXPECT_NE(0xccccccccccccccccULL, a.out_call_id);
	EXPECT_NE(0, a.out_call_id);
	ASSERT_EQ(0, mbx_slot_info(self->c, 0, &si));
	EXPECT_EQ(MBX_STATE_PENDING, si.state);
	EXPECT_EQ(a.out_call_id, si.call_id);
	/* and a callee gets it */
	ASSERT_EQ(0, mbx_take(self->e, MBX_WAIT_NONBLOCK, 0, &call));
	EXPECT_EQ(a.out_call_id, call.call_id);
	EXPECT_EQ(0x99, call.user_data);
}

/* SUBMIT | COLLECT with a reply ready collects it in the same call. */
TEST_F(box, submit_collect_gets_earlier_reply)
{
	struct mbx_submit_args a;
	struct mbx_call call;
	__u64 id0;

	ASSERT_EQ(0, mbx_acquire(self->c, MBX_WAIT_NONBLOCK, 0, 0, NULL));
	ASSERT_EQ(0, mbx_submit(self->c, 0, 7, 8, 1, &id0));
	ASSERT_EQ(0, mbx_take(self->e, MBX_WAIT_NONBLOCK, 0, &call));
	ASSERT_EQ(0, mbx_complete(self->e, 0, id0, -5, 3));
	ASSERT_EQ(1, mbx_acquire(self->c, MBX_WAIT_NONBLOCK, 1, 0, NULL));
	memset(&a, 0xcc, sizeof(a));
	a.size = sizeof(a);
	a.flags = MBX_SUBMIT_COLLECT | MBX_WAIT_NONBLOCK;
	a.slot = 1;
	a.opcode = 7;
	a.len = 8;
	a.call_flags = MBX_CALL_AT_MOST_ONCE;
	a.user_data = 2;
	a.timeout_ns = 0;
	EXPECT_EQ(0, mbx_ioctl(self->c, MBX_IOC_CALL_SUBMIT, &a));
	EXPECT_EQ(id0, a.out_reply.call_id);
	EXPECT_EQ(0, a.out_reply.slot);
	EXPECT_EQ(-5, a.out_reply.status);
	EXPECT_EQ(3, a.out_reply.len);
	EXPECT_NE(id0, a.out_call_id);
}

/* ------------------------------------------------------------------ */
/* Huge timeouts are clamped: the wait ends with a signal, not ETIMEDOUT */

static void on_alarm(int sig)
{
	(void)sig;
}

FIXTURE(huge_timeout) {
	int dev, c;
	char name[MBX_NAME_MAX];
};

FIXTURE_VARIANT(huge_timeout) {
	__u64 timeout_ns;
	enum op op;
};

FIXTURE_SETUP(huge_timeout)
{
	struct sigaction sa;

	self->dev = mbx_dev_open();
	ASSERT_LE(0, self->dev);
	mbx_unique_name(self->name, "abi-timeout");
	self->c = mbx_create(self->dev, self->name, 1, 64, 0600);
	ASSERT_LE(0, self->c);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;	/* no SA_RESTART */
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
}

FIXTURE_TEARDOWN(huge_timeout)
{
	struct itimerval off = { 0 };

	setitimer(ITIMER_REAL, &off, NULL);
	signal(SIGALRM, SIG_DFL);
	mbx_destroy(self->dev, self->name);
	close(self->c);
	close(self->dev);
}

FIXTURE_VARIANT_ADD(huge_timeout, take_u64_max) {
	.timeout_ns = UINT64_MAX, .op = OP_TAKE,
};
FIXTURE_VARIANT_ADD(huge_timeout, take_2_pow_63) {
	.timeout_ns = 1ULL << 63, .op = OP_TAKE,
};
FIXTURE_VARIANT_ADD(huge_timeout, take_2_pow_63_minus_1) {
	.timeout_ns = (1ULL << 63) - 1, .op = OP_TAKE,
};
FIXTURE_VARIANT_ADD(huge_timeout, acquire_u64_max) {
	.timeout_ns = UINT64_MAX, .op = OP_ACQUIRE,
};
FIXTURE_VARIANT_ADD(huge_timeout, acquire_2_pow_63) {
	.timeout_ns = 1ULL << 63, .op = OP_ACQUIRE,
};

TEST_F(huge_timeout, eintr_not_etimedout)
{
	struct itimerval it = {
		.it_value = { .tv_usec = 200000 },
		.it_interval = { .tv_usec = 200000 },
	};
	__u64 t0;
	int ret;

	if (variant->op == OP_ACQUIRE)	/* the only slot is busy */
		ASSERT_EQ(0, mbx_acquire(self->c, MBX_WAIT_NONBLOCK, 0, 0,
					 NULL));
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	t0 = mbx_now_ns();
	if (variant->op == OP_TAKE)
		ret = mbx_take(self->c, MBX_WAIT_TIMEOUT, variant->timeout_ns,
			       NULL);
	else
		ret = mbx_acquire(self->c, MBX_ACQUIRE_ANY | MBX_WAIT_TIMEOUT,
				  0, variant->timeout_ns, NULL);
	EXPECT_EQ(-EINTR, ret);
	/* it did wait for the signal */
	EXPECT_LE(150000000ULL, mbx_now_ns() - t0);
}

/* ------------------------------------------------------------------ */
/* MBX_TAKE_COMPLETE writes out_flags and done_call_id before waiting    */

FIXTURE(take_complete) {
	int dev, c, e;
	char name[MBX_NAME_MAX];
};

FIXTURE_VARIANT(take_complete) {
	int cancel;
};

FIXTURE_SETUP(take_complete)
{
	self->dev = mbx_dev_open();
	ASSERT_LE(0, self->dev);
	mbx_unique_name(self->name, "abi-tc");
	self->c = mbx_create(self->dev, self->name, 2, 64, 0600);
	ASSERT_LE(0, self->c);
	self->e = mbx_open(self->dev, self->name,
			   MBX_ACCESS_READ | MBX_ACCESS_WRITE);
	ASSERT_LE(0, self->e);
}

FIXTURE_TEARDOWN(take_complete)
{
	mbx_destroy(self->dev, self->name);
	close(self->c);
	close(self->e);
	close(self->dev);
}

FIXTURE_VARIANT_ADD(take_complete, answered) { .cancel = 0 };
FIXTURE_VARIANT_ADD(take_complete, answered_cancelled) { .cancel = 1 };

TEST_F(take_complete, done_flags_written_when_wait_fails)
{
	struct mbx_take_args t;
	struct mbx_call call, reply;
	__u64 id;

	ASSERT_EQ(0, mbx_acquire(self->c, MBX_WAIT_NONBLOCK, 0, 0, NULL));
	ASSERT_EQ(0, mbx_submit(self->c, 0, 7, 8, 5, &id));
	ASSERT_EQ(0, mbx_take(self->e, MBX_WAIT_NONBLOCK, 0, &call));
	ASSERT_EQ(id, call.call_id);
	if (variant->cancel) {
		struct mbx_cancel_args a = { .size = sizeof(a), .slot = 0,
					     .call_id = id };

		ASSERT_EQ(0, mbx_ioctl(self->c, MBX_IOC_CALL_CANCEL, &a));
		EXPECT_EQ(MBX_STATE_TAKEN, a.out_state);
	}
	memset(&t, 0xcc, sizeof(t));
	t.size = sizeof(t);
	t.flags = MBX_TAKE_COMPLETE | MBX_WAIT_NONBLOCK;
	t.timeout_ns = 0;
	t.done_call_id = id;
	t.done_slot = 0;
	t.done_len = 4;
	t.done_status = 0;
	EXPECT_EQ(-EAGAIN, mbx_ioctl(self->e, MBX_IOC_CALL_TAKE, &t));
	EXPECT_EQ(0, t.done_call_id);
	EXPECT_EQ(variant->cancel ? MBX_TAKEN_DONE | MBX_TAKEN_DONE_CANCELLED
				  : MBX_TAKEN_DONE, t.out_flags);
	/* the caller has its answer */
	ASSERT_EQ(0, mbx_collect(self->c, MBX_WAIT_NONBLOCK, 0, 0, 0, &reply));
	EXPECT_EQ(id, reply.call_id);
	EXPECT_EQ(variant->cancel ? -ECANCELED : 0, reply.status);
}

TEST_F(take_complete, without_done_out_flags_zero)
{
	struct mbx_take_args t;
	__u64 id;

	ASSERT_EQ(0, mbx_acquire(self->c, MBX_WAIT_NONBLOCK, 0, 0, NULL));
	ASSERT_EQ(0, mbx_submit(self->c, 0, 7, 8, 5, &id));
	memset(&t, 0xcc, sizeof(t));
	t.size = sizeof(t);
	t.flags = MBX_TAKE_COMPLETE | MBX_WAIT_NONBLOCK;
	t.timeout_ns = 0;
	t.done_call_id = 0;
	t.done_slot = 0;
	t.done_len = 0;
	t.done_status = 0;
	EXPECT_EQ(0, mbx_ioctl(self->e, MBX_IOC_CALL_TAKE, &t));
	EXPECT_EQ(0, t.out_flags);
	EXPECT_EQ(id, t.out_call.call_id);
}

/* ------------------------------------------------------------------ */
/* Errno rows of the header                                              */

FIXTURE(rows) {
	struct scene s;
};

FIXTURE_VARIANT(rows) {
	enum op op;
	unsigned int off;	/* field to overwrite */
	unsigned int width;	/* 4 or 8 */
	__u64 val;
	int err;
	int check;		/* scene unchanged afterwards */
};

FIXTURE_SETUP(rows)
{
	scene_setup(_metadata, &self->s);
}

FIXTURE_TEARDOWN(rows)
{
	scene_teardown(&self->s);
}

#define ROW(_name, _op, _struct, _field, _val, _err)			\
	FIXTURE_VARIANT_ADD(rows, _name) {				\
		.op = _op, .off = offsetof(_struct, _field),		\
		.width = sizeof(((_struct *)0)->_field), .val = _val,	\
		.err = _err, .check = 1 }

ROW(set_mode_0777, OP_SET, struct mbx_set_args, mode, 0777, EINVAL);
ROW(set_mode_0700, OP_SET, struct mbx_set_args, mode, 0700, EINVAL);
ROW(set_mode_01666, OP_SET, struct mbx_set_args, mode, 01666, EINVAL);
ROW(create_mode_0777, OP_CREATE, struct mbx_create_args, mode, 0777, EINVAL);
ROW(create_nslots_limit_plus_1, OP_CREATE, struct mbx_create_args, nslots,
    MBX_SLOTS_LIMIT + 1, E2BIG);
ROW(create_nslots_zero, OP_CREATE, struct mbx_create_args, nslots, 0, EINVAL);
ROW(create_exists, OP_CREATE, struct mbx_create_args, name[0], 0, EEXIST);
ROW(open_access_zero, OP_OPEN, struct mbx_open_args, access, 0, EINVAL);
ROW(open_access_write_only, OP_OPEN, struct mbx_open_args, access,
    MBX_ACCESS_WRITE, EINVAL);
ROW(open_access_unknown_bit, OP_OPEN, struct mbx_open_args, access,
    MBX_ACCESS_READ | 4, EINVAL);
ROW(api_zero, OP_API, struct mbx_api_args, api, 0, EINVAL);
ROW(list_entry_size_short, OP_LIST, struct mbx_list_args, entry_size,
    sizeof(struct mbx_box_entry) - 8, EINVAL);
ROW(slot_info_size_short, OP_SLOT_INFO, struct mbx_slots_args, info_size,
    sizeof(struct mbx_slot_info) - 8, EINVAL);
ROW(events_count_zero, OP_EVENTS, struct mbx_events_args, count, 0, EINVAL);
ROW(events_size_short, OP_EVENTS, struct mbx_events_args, event_size,
    sizeof(struct mbx_event) - 8, EINVAL);
ROW(events_size_over_page, OP_EVENTS, struct mbx_events_args, event_size,
    65536 + 8, EINVAL);
ROW(complete_status_positive, OP_COMPLETE, struct mbx_complete_args, status,
    1, EINVAL);
ROW(complete_status_below_errno, OP_COMPLETE, struct mbx_complete_args,
    status, (__u32)-4096, EINVAL);
ROW(complete_len_over_slot, OP_COMPLETE, struct mbx_complete_args, len,
    65, EMSGSIZE);
ROW(submit_len_over_slot, OP_SUBMIT, struct mbx_submit_args, len, 65,
    EMSGSIZE);
ROW(complete_call_id_zero, OP_COMPLETE,
    struct mbx_complete_args, call_id, 0, ESTALE);
ROW(cancel_call_id_zero, OP_CANCEL, struct mbx_cancel_args, call_id, 0,
    ESTALE);
ROW(cancel_replied_ealready, OP_CANCEL, struct mbx_cancel_args, slot, 2,
    EALREADY);
ROW(acquire_slot_out_of_range, OP_ACQUIRE, struct mbx_acquire_args, slot,
    NSLOTS, EINVAL);

TEST_F(rows, rejected)
{
	unsigned char *p = fill_args(&self->s, variant->op);

	if (variant->op == OP_CREATE && variant->off ==
	    offsetof(struct mbx_create_args, name))
		mbx_set_name(p + variant->off, self->s.name);
	else if (variant->width == 8)
		memcpy(p + variant->off, &variant->val, 8);
	else {
		__u32 v = variant->val;

		memcpy(p + variant->off, &v, 4);
	}
	if (variant->op == OP_CANCEL &&	/* slot 2's call, answered */
	    variant->off == offsetof(struct mbx_cancel_args, slot))
		((struct mbx_cancel_args *)p)->call_id = self->s.id[2];
	if (variant->op == OP_ACQUIRE)	/* a named slot, not any */
		((struct mbx_acquire_args *)p)->flags = MBX_WAIT_NONBLOCK;
	EXPECT_EQ(-variant->err, do_ioctl(&self->s, variant->op,
					  ops[variant->op].size));
	if (variant->check)
		scene_check(_metadata, &self->s);
}

/* BOX_LIST with a count far above what exists allocates nothing by it. */
TEST_F(rows, list_count_u32_max_ok)
{
	struct mbx_list_args a;
	struct mbx_box_entry *e;
	size_t room = 4096;

	e = calloc(room, sizeof(*e));
	ASSERT_NE(NULL, e);
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.entries = (uintptr_t)e;
	a.count = 0xffffffff;
	a.entry_size = sizeof(*e);
	a.out_count = 0xcccccccc;
	a.out_total = 0xcccccccc;
	EXPECT_EQ(0, mbx_ioctl(self->s.dev, MBX_IOC_BOX_LIST, &a));
	EXPECT_GE(a.out_total, 2);
	EXPECT_EQ(a.out_total, a.out_count);
	EXPECT_GT(room, a.out_count);
	free(e);
}

TEST_HARNESS_MAIN
