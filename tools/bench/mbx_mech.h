/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mailbox-bench: what the /dev/mailbox mechanisms share (mailbox.c): the
 * mailbox of a run, a session per process, the caller's slots, the quits.
 * mailbox.c makes one call per system call; mailbox_batch.c many through
 * the batch ioctls; mailbox_uring.c many through io_uring commands.
 */
#ifndef MBX_BENCH_MECH_H
#define MBX_BENCH_MECH_H

#include "mailbox.h"
#include "bench.h"

#define OP_CALL		1

struct mbx_priv {
	char name[MBX_NAME_MAX];
	struct mailbox parent;	/* the parent's session, for the quits */
	bool created;
	/* Per process: */
	struct mailbox mb;
	uint32_t slot[MAX_DEPTH];	/* caller: in-flight index -> slot */
	struct mbx_call cur;		/* callee: the call it holds */
	/* The batching mechanisms: what is queued and what is handed out. */
	struct mbx_batch_submit sub[MAX_DEPTH];	/* caller: to submit */
	int nsub;
	struct mbx_batch_complete done[MBX_BATCH_MAX];	/* callee: answers */
	int ndone;
	struct mbx_call got[MBX_BATCH_MAX];	/* replies or calls got */
	int ngot, next;				/* ... and handed out */
	void *ext;				/* a mechanism's own */
};

/* Parent: create the run's mailbox (1: no module, *why says so). */
int mbx_setup(struct run *r, char *why, size_t len);
void mbx_teardown(struct run *r);
/* Each party: its session and, for a caller, its depth slots. */
int mbx_init(struct worker *w);
/* Caller: the call plane of in-flight call i. */
struct bmsg *mbx_req(struct worker *w, int i);
/* Caller: check a collected @reply, say its index and where to read it. */
int mbx_reply(struct worker *w, const struct mbx_call *reply, int *i,
	      const struct bmsg **rep);
/* Parent: a quit call for one callee. */
int mbx_quit(struct run *r);

#endif
