/* SPDX-License-Identifier: GPL-2.0 */
/*
 * calls: the application server's two-step calls on a mailbox, for one
 * event loop.  A call is submitted (step one) and its reply collected when
 * poll says one is there (step two); nothing here ever waits.
 *
 *   call_start()    acquire a free slot (never waiting), write the
 *                   request, submit; -EAGAIN when no slot is free or this
 *                   mailbox's share of calls is in flight: back-pressure,
 *                   try again when the loop comes round
 *   box_poll()      collect every reply that is there and hand each to its
 *                   call's callback, the reply plane readable during the
 *                   callback only; drain the fd's events
 *   box_timeouts()  a call past its deadline: still pending (no callee has
 *                   taken it), it is withdrawn (mailbox_cancel(); its reply
 *                   is -ECANCELED and cancel_state says it never ran); taken,
 *                   a read is cancelled too, and a change is left to finish
 *                   (the callback gets -ETIMEDOUT at once and the reply, when
 *                   it comes, is dropped), since the callee may be applying
 *                   it
 */
#ifndef SLA_APP_CALLS_H
#define SLA_APP_CALLS_H

#include <stdbool.h>
#include <stdint.h>

#include <mailbox.h>

struct call;
typedef void (*call_done_fn)(struct call *c, int status, const void *reply,
			     uint32_t len);

/* One mailbox the server calls through or only inspects. */
struct box {
	const char *name;
	uint32_t access;		/* MBX_ACCESS_* to open it with */
	uint32_t max_inflight;		/* our share of its slots */
	bool open;
	int open_err;			/* why it is not open (-errno) */
	int64_t next_open_ns;		/* when to try again */
	struct mailbox mb;
	struct call **inflight;		/* [mb.nslots], by slot */
	uint32_t ninflight;
	uint64_t seq;
	/* what this server did through it */
	uint64_t submitted, replied, failed, withdrawn, cancelled, timed_out,
		 dropped, busy, callee_died, events_lost;
	uint64_t lat_sum_ns, lat_max_ns;	/* submit to collect, replied */
};

#define CALL_CHANGE	(1U << 0)	/* it changes state: see box_timeouts */

struct call {
	struct box *box;
	uint32_t opcode;
	uint32_t flags;			/* CALL_* */
	uint32_t slot;
	uint64_t call_id;
	int64_t submit_ns;		/* CLOCK_MONOTONIC */
	int64_t deadline_ns;
	int cancel_state;		/* -1, or what mailbox_cancel() said */
	call_done_fn done;		/* NULL: nobody waits (dropped) */
	void *ctx;
};

int64_t mono_ns(void);
int64_t real_ns(void);

/*
 * Open b when it is not (and its retry time has come); 0 when open.
 * A mailbox that was destroyed (its name now names another one, or none)
 * is closed, and its calls fail with -ENOTCONN.
 */
int box_ensure(struct box *b, int64_t now);
void box_close(struct box *b);
/*
 * Before stopping: every call in flight forgotten and withdrawn (or, taken,
 * cancelled), and their replies collected for up to timeout_ns, so that no
 * reply is left in a slot for a caller that is gone.
 */
void box_drain(struct box *b, int64_t timeout_ns);

/* Submit opcode with the len bytes at req; *out (may be NULL) the call. */
int call_start(struct box *b, uint32_t opcode, uint32_t flags,
	       const void *req, uint32_t len, int64_t timeout_ns,
	       call_done_fn done, void *ctx, struct call **out);
/* Nobody waits for c's answer any more: it is collected and dropped. */
void call_forget(struct call *c);

void box_poll(struct box *b);
void box_timeouts(struct box *b, int64_t now);
/* The earliest deadline of b's calls (INT64_MAX: none). */
int64_t box_next_deadline(const struct box *b);

#endif
