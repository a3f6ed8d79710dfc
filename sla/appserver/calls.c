// SPDX-License-Identifier: GPL-2.0
/*
 * calls: two-step calls on a mailbox from one event loop; see calls.h.
 */
#include "calls.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../proto.h"
#include "log.h"

#define RETRY_OPEN_NS	(1000LL * 1000000)

static int64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

int64_t real_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

static void finish(struct call *c, int status, const void *reply,
		   uint32_t len)
{
	call_done_fn done = c->done;

	c->done = NULL;
	if (done)
		done(c, status, reply, len);
	free(c);
}

void box_drain(struct box *b, int64_t timeout_ns)
{
	int64_t end = mono_ns() + timeout_ns;

	if (!b->open)
		return;
	for (uint32_t i = 0; i < b->mb.nslots; i++) {
		struct call *c = b->inflight[i];
		struct mbx_call which = { 0 };
		int st;

		if (!c)
			continue;
		call_forget(c);
		which.slot = c->slot;
		which.call_id = c->call_id;
		st = mailbox_cancel(&b->mb, &which);
		if (st >= 0 && st != MBX_STATE_TAKEN)
			b->withdrawn++;	/* never ran; a taken one is answered */
	}
	while (b->ninflight && mono_ns() < end) {
		struct pollfd p = { .fd = mailbox_fd(&b->mb),
				    .events = MAILBOX_READY_REPLY };

		poll(&p, 1, 50);
		box_poll(b);
	}
	if (b->ninflight)
		app_log("%s: stopping with %u call(s) unanswered: their replies stay in their slots",
			b->name, b->ninflight);
}

void box_close(struct box *b)
{
	if (!b->open)
		return;
	for (uint32_t i = 0; i < b->mb.nslots; i++) {
		struct call *c = b->inflight[i];

		if (!c)
			continue;
		b->inflight[i] = NULL;
		b->failed++;
		finish(c, -ENOTCONN, NULL, 0);
	}
	b->ninflight = 0;
	free(b->inflight);
	b->inflight = NULL;
	mailbox_close(&b->mb);
	b->open = false;
}

/* Is the mailbox named b->name still the one b has open? */
static bool box_current(struct box *b)
{
	struct mbx_box_entry e[16];
	uint32_t total = 0;
	int n = mailbox_list(e, 16, &total);

	if (n < 0 || total > 16)
		return true;	/* cannot tell: keep it */
	for (int i = 0; i < n; i++)
		if (!strncmp((const char *)e[i].name, b->name, MBX_NAME_MAX))
			return e[i].box_id == b->mb.box_id;
	return false;
}

int box_ensure(struct box *b, int64_t now)
{
	int err;

	if (b->open) {
		if (box_current(b))
			return 0;
		app_log("%s: the mailbox was destroyed; opening it again",
			b->name);
		box_close(b);
		b->open_err = -ENOENT;
		b->next_open_ns = 0;
	}
	if (now < b->next_open_ns)
		return b->open_err;
	err = mailbox_open(&b->mb, b->name, b->access, MBX_OPEN_CLOEXEC);
	if (err) {
		if (err != b->open_err)
			app_log("%s: cannot open: %s (trying every second)",
				b->name, strerror(-err));
		b->open_err = err;
		b->next_open_ns = now + RETRY_OPEN_NS;
		return err;
	}
	b->inflight = calloc(b->mb.nslots, sizeof(*b->inflight));
	if (!b->inflight) {
		mailbox_close(&b->mb);
		b->open_err = -ENOMEM;
		b->next_open_ns = now + RETRY_OPEN_NS;
		return -ENOMEM;
	}
	b->ninflight = 0;
	b->open = true;
	b->open_err = 0;
	app_log("%s: open (box %llu, %u slots of %u bytes%s)", b->name,
		(unsigned long long)b->mb.box_id, b->mb.nslots,
		b->mb.slot_size,
		b->access & MBX_ACCESS_WRITE ? "" : ", read only");
	return 0;
}

int call_start(struct box *b, uint32_t opcode, uint32_t flags,
	       const void *req, uint32_t len, int64_t timeout_ns,
	       call_done_fn done, void *ctx, struct call **out)
{
	struct mbx_call mc = { 0 };
	struct call *c;
	int slot, err;

	if (!b->open)
		return b->open_err ? b->open_err : -ENOTCONN;
	if (len > b->mb.slot_size)
		return -EMSGSIZE;
	if (b->ninflight >= b->max_inflight) {
		b->busy++;
		return -EAGAIN;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	slot = mailbox_acquire(&b->mb, 0, MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK,
			       0, NULL);
	if (slot < 0) {
		if (slot == -EAGAIN)
			b->busy++;
		free(c);
		return slot;
	}
	/* the slot is ours (OWNED): its call plane is ours to write */
	memcpy(mailbox_call_plane(&b->mb, slot), req, len);
	mc.slot = slot;
	mc.opcode = opcode;
	mc.len = len;
	mc.user_data = SLA_UD(SLA_UD_ROLE_APP, ++b->seq);
	err = mailbox_submit(&b->mb, &mc);
	if (err) {
		mailbox_release(&b->mb, slot);
		free(c);
		return err;
	}
	c->box = b;
	c->opcode = opcode;
	c->flags = flags;
	c->slot = slot;
	c->call_id = mc.call_id;
	c->submit_ns = mono_ns();
	c->deadline_ns = c->submit_ns + timeout_ns;
	c->cancel_state = -1;
	c->done = done;
	c->ctx = ctx;
	b->inflight[slot] = c;
	b->ninflight++;
	b->submitted++;
	if (out)
		*out = c;
	return 0;
}

void call_forget(struct call *c)
{
	c->done = NULL;
}

static void drain_events(struct box *b)
{
	struct mbx_event ev[16];
	int n;

	while ((n = mailbox_events(&b->mb, ev, 16)) > 0) {
		for (int i = 0; i < n; i++) {
			if (ev[i].type == MBX_EVENT_CALLEE_DIED) {
				b->callee_died++;
				app_log("%s: the callee of call %llu died holding it (%s)",
					b->name,
					(unsigned long long)ev[i].call_id,
					ev[i].status ? strerror(-ev[i].status) :
					"put back for the next callee");
			} else if (ev[i].type == MBX_EVENT_OVERFLOW) {
				b->events_lost++;
			}
		}
		if (n < 16)
			break;
	}
}

void box_poll(struct box *b)
{
	struct mbx_call r;
	int err;

	if (!b->open)
		return;
	/* a queued event keeps the fd ready (EPOLLPRI): drain them always */
	drain_events(b);
	if (!(b->access & MBX_ACCESS_WRITE))
		return;
	while (b->ninflight) {
		struct call *c;

		err = mailbox_collect(&b->mb, NULL, MBX_WAIT_NONBLOCK, 0, &r);
		if (err) {
			if (err != -EAGAIN)
				app_log("%s: collect: %s", b->name,
					strerror(-err));
			break;
		}
		/* the slot is ours again: read the reply plane, then free it */
		c = r.slot < b->mb.nslots ? b->inflight[r.slot] : NULL;
		if (c && c->call_id == r.call_id) {
			int64_t lat = mono_ns() - c->submit_ns;

			b->inflight[r.slot] = NULL;
			b->ninflight--;
			if (r.status == -ECANCELED)
				b->cancelled++;
			else if (r.status)
				b->failed++;
			else
				b->replied++;
			if (!r.status) {
				b->lat_sum_ns += lat;
				if ((uint64_t)lat > b->lat_max_ns)
					b->lat_max_ns = lat;
			}
			if (!c->done)
				b->dropped++;
			finish(c, r.status, mailbox_reply_plane(&b->mb, r.slot),
			       r.len);
		} else {
			app_log("%s: a reply to call %llu in slot %u that is not ours",
				b->name, (unsigned long long)r.call_id, r.slot);
		}
		mailbox_release(&b->mb, r.slot);
	}
}

void box_timeouts(struct box *b, int64_t now)
{
	if (!b->open)
		return;
	for (uint32_t i = 0; i < b->mb.nslots && b->ninflight; i++) {
		struct call *c = b->inflight[i];
		struct mbx_slot_info si;
		struct mbx_call which = { 0 };
		int st;

		if (!c || c->deadline_ns > now)
			continue;
		c->deadline_ns = INT64_MAX;	/* once */
		b->timed_out++;
		if ((c->flags & CALL_CHANGE) &&
		    mailbox_slot_info(&b->mb, c->slot, 1, &si) == 1 &&
		    si.call_id == c->call_id && si.state == MBX_STATE_TAKEN) {
			/* the callee is at it: let it finish, stop waiting */
			call_done_fn done = c->done;

			c->done = NULL;
			if (done)
				done(c, -ETIMEDOUT, NULL, 0);
			continue;
		}
		which.slot = c->slot;
		which.call_id = c->call_id;
		st = mailbox_cancel(&b->mb, &which);
		if (st >= 0) {
			c->cancel_state = st;
			if (st != MBX_STATE_TAKEN)
				b->withdrawn++;
		} else if (st != -EALREADY) {
			app_log("%s: cancel call %llu: %s", b->name,
				(unsigned long long)c->call_id,
				strerror(-st));
		}
		/* the reply, -ECANCELED or the answer, comes through poll */
	}
}

int64_t box_next_deadline(const struct box *b)
{
	int64_t next = INT64_MAX;

	if (!b->open)
		return next;
	for (uint32_t i = 0; i < b->mb.nslots; i++)
		if (b->inflight[i] && b->inflight[i]->deadline_ns < next)
			next = b->inflight[i]->deadline_ns;
	return next;
}
