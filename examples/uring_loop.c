// SPDX-License-Identifier: MIT
/*
 * uring_loop: an io_uring event loop that serves one mailbox and calls
 * into another at the same time.
 *
 *   uring_loop [-n CALLS] [-t SECONDS] FRONT BACK
 *
 * A proxy: it creates the mailbox FRONT and serves it; each call it takes
 * there is passed on, payload and opcode unchanged, as a call into the
 * mailbox BACK (served by someone else, the callee example for one), and
 * BACK's answer becomes the answer in FRONT. Any number of calls are in
 * flight on both sides at once, and nothing blocks: the loop sleeps only in
 * io_uring_wait_cqe(), on
 *
 *   FRONT  MAILBOX_READY_CALL | MAILBOX_READY_EVENT  multishot poll
 *          take calls; read cancel requests
 *   BACK   MAILBOX_READY_REPLY                       multishot poll
 *          collect answers
 *   BACK   MAILBOX_READY_FREE                        single-shot poll
 *          armed only while calls wait for a free slot in BACK
 *   a read of a signalfd for SIGINT and SIGTERM
 *
 * Every call is done with MBX_WAIT_NONBLOCK and drained until -EAGAIN: a
 * poll (edge-triggered by io_uring's default) posts again for anything
 * that arrives after the drain. A cancel of a FRONT call (MBX_EVENT_CANCEL)
 * is passed on as a cancel of its BACK call; so is the departure of its
 * caller (MBX_EVENT_CALLER_GONE).
 *
 * Stops after answering CALLS calls in FRONT, after SECONDS without a
 * completion (an error), or on a signal; then destroys FRONT.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <liburing.h>
#include <mailbox.h>
#include <mailbox-uring.h>

#define FRONT_SLOTS	16
#define SEC		1000000000ULL

enum tag { TAG_FRONT = 1, TAG_BACK_REPLY, TAG_BACK_FREE, TAG_SIGNAL };

/* A call taken from FRONT, by FRONT slot (a TAKEN slot has one call). */
struct fwd {
	uint64_t front_id;	/* 0: no call in this slot */
	uint32_t opcode;
	uint32_t len;
	int back_slot;		/* -1: not passed on yet */
	uint64_t back_id;
	int cancelled;		/* cancel it rather than pass it on */
};

static struct mailbox front, back;
static struct io_uring ring;
static struct fwd fwd[FRONT_SLOTS];
/* FRONT slots whose calls wait for a free BACK slot, oldest first. */
static uint32_t backlog[FRONT_SLOTS];
static unsigned int backlog_head, backlog_len;
static int free_poll_armed;
static unsigned long answered;

static void arm(enum tag tag, struct mailbox *mb, unsigned int mask,
		int multishot)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

	/* The ring has room: at most four requests are ever queued. */
	if (multishot)
		mailbox_prep_poll_multishot(sqe, mb, mask);
	else
		mailbox_prep_poll(sqe, mb, mask);
	io_uring_sqe_set_data64(sqe, tag);
}

/* Answer FRONT's call in @fslot and forget it. */
static int answer_front(uint32_t fslot, int32_t status, uint32_t len)
{
	struct fwd *f = &fwd[fslot];
	struct mbx_call done = { .call_id = f->front_id, .slot = fslot };
	int ret;

	ret = mailbox_complete(&front, &done, status, len);
	f->front_id = 0;
	answered++;
	/* -ECANCELED: answered, as cancelled, which is what was asked. */
	return ret == -ECANCELED ? 0 : ret;
}

/*
 * Pass FRONT's call in @fslot on into BACK's slot @bslot, which we own
 * (acquired, or just collected). FRONT's call plane is ours to read (the
 * call is TAKEN by us), BACK's call plane ours to write (OWNED by us); the
 * submit publishes what we wrote.
 */
static int pass_on(uint32_t fslot, uint32_t bslot)
{
	struct fwd *f = &fwd[fslot];
	struct mbx_call call = {
		.slot = bslot,
		.opcode = f->opcode,
		.len = f->len,
		.user_data = fslot,
	};
	int ret;

	if (f->cancelled) {
		mailbox_release(&back, bslot);
		return answer_front(fslot, -ECANCELED, 0);
	}
	if (f->len > back.slot_size) {
		mailbox_release(&back, bslot);
		return answer_front(fslot, -EMSGSIZE, 0);
	}
	memcpy(mailbox_call_plane(&back, bslot),
	       mailbox_call_plane(&front, fslot), f->len);
	ret = mailbox_submit(&back, &call);
	if (ret < 0)
		return ret;
	f->back_id = call.call_id;
	f->back_slot = bslot;
	return 0;
}

/* Pass the backlog on while BACK has free slots; 0 or -errno. */
static int drain_backlog(void)
{
	int bslot, ret;

	while (backlog_len) {
		bslot = mailbox_acquire(&back, 0,
					MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK,
					0, NULL);
		if (bslot == -EAGAIN) {
			if (!free_poll_armed) {
				arm(TAG_BACK_FREE, &back, MAILBOX_READY_FREE, 0);
				free_poll_armed = 1;
			}
			return 0;
		}
		if (bslot < 0)
			return bslot;
		ret = pass_on(backlog[backlog_head], bslot);
		backlog_head = (backlog_head + 1) % FRONT_SLOTS;
		backlog_len--;
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* FRONT has calls: take them all, queue them for BACK. */
static int take_calls(void)
{
	struct mbx_call call;
	struct fwd *f;
	int ret;

	while (!(ret = mailbox_take(&front, MBX_WAIT_NONBLOCK, 0, &call))) {
		f = &fwd[call.slot];
		f->front_id = call.call_id;
		f->opcode = call.opcode;
		f->len = call.len;
		f->back_slot = -1;
		f->cancelled = 0;
		backlog[(backlog_head + backlog_len) % FRONT_SLOTS] = call.slot;
		backlog_len++;
	}
	if (ret != -EAGAIN)
		return ret;
	return drain_backlog();
}

/* FRONT's events: pass cancels (and departed callers) on to BACK. */
static int front_events(void)
{
	struct mbx_event ev[16];
	struct mbx_call call;
	struct fwd *f;
	int i, n, ret;

	while ((n = mailbox_events(&front, ev, 16)) > 0) {
		for (i = 0; i < n; i++) {
			if (ev[i].type == MBX_EVENT_OVERFLOW) {
				fprintf(stderr, "uring_loop: events lost\n");
				continue;
			}
			if (ev[i].type != MBX_EVENT_CANCEL &&
			    ev[i].type != MBX_EVENT_CALLER_GONE)
				continue;
			f = &fwd[ev[i].slot];
			if (f->front_id != ev[i].call_id)
				continue;	/* answered meanwhile */
			if (f->back_slot < 0) {
				f->cancelled = 1;
				continue;
			}
			call.slot = f->back_slot;
			call.call_id = f->back_id;
			ret = mailbox_cancel(&back, &call);
			/* Answered or gone meanwhile: its answer is on its way. */
			if (ret < 0 && ret != -EALREADY && ret != -ESTALE)
				return ret;
		}
	}
	return n;
}

/* BACK has answers: collect them all, answer FRONT with them. */
static int collect_replies(void)
{
	struct mbx_call reply;
	uint32_t fslot;
	int ret;

	while (!(ret = mailbox_collect(&back, NULL, MBX_WAIT_NONBLOCK, 0,
				       &reply))) {
		fslot = reply.user_data;
		/*
		 * BACK's slot is ours again, its reply plane ours to read;
		 * FRONT's reply plane is ours to write until we answer.
		 */
		memcpy(mailbox_reply_plane(&front, fslot),
		       mailbox_reply_plane(&back, reply.slot), reply.len);
		ret = answer_front(fslot, reply.status, reply.len);
		if (ret < 0)
			return ret;
		/* Reuse the slot for the next call waiting, if any. */
		if (backlog_len) {
			uint32_t next = backlog[backlog_head];

			backlog_head = (backlog_head + 1) % FRONT_SLOTS;
			backlog_len--;
			ret = pass_on(next, reply.slot);
		} else {
			ret = mailbox_release(&back, reply.slot);
		}
		if (ret < 0)
			return ret;
	}
	return ret == -EAGAIN ? 0 : ret;
}

int main(int argc, char **argv)
{
	unsigned long calls = 0, seconds = 0;
	struct __kernel_timespec idle;
	struct signalfd_siginfo si;
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	const char *fname, *bname;
	sigset_t sigs;
	int opt, ret, sfd, tries, rc = 0, stop = 0;

	while ((opt = getopt(argc, argv, "n:t:")) != -1) {
		switch (opt) {
		case 'n':
			calls = strtoul(optarg, NULL, 0);
			break;
		case 't':
			seconds = strtoul(optarg, NULL, 0);
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind != 2)
		goto usage;
	fname = argv[optind];
	bname = argv[optind + 1];

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (sfd < 0) {
		perror("uring_loop: signalfd");
		return 1;
	}
	ret = io_uring_queue_init(8, &ring, 0);
	if (ret < 0) {
		fprintf(stderr, "uring_loop: io_uring: %s\n", strerror(-ret));
		return 1;
	}
	/* BACK may still be starting. */
	for (tries = 0;; tries++) {
		ret = mailbox_open(&back, bname,
				   MBX_ACCESS_READ | MBX_ACCESS_WRITE,
				   MBX_OPEN_CLOEXEC);
		if (ret != -ENOENT || tries >= (int)(seconds ? seconds : 10) * 10)
			break;
		usleep(100000);
	}
	if (ret < 0) {
		fprintf(stderr, "uring_loop: open %s: %s\n", bname,
			strerror(-ret));
		return 1;
	}
	ret = mailbox_create(&front, fname, FRONT_SLOTS, back.slot_size, 0600,
			     0, MBX_CREATE_CLOEXEC);
	if (ret < 0) {
		fprintf(stderr, "uring_loop: create %s: %s\n", fname,
			strerror(-ret));
		return 1;
	}

	arm(TAG_FRONT, &front, MAILBOX_READY_CALL | MAILBOX_READY_EVENT, 1);
	arm(TAG_BACK_REPLY, &back, MAILBOX_READY_REPLY, 1);
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, sfd, &si, sizeof(si), 0);
	io_uring_sqe_set_data64(sqe, TAG_SIGNAL);
	printf("uring_loop: serving %s, calling %s\n", fname, bname);
	fflush(stdout);

	idle.tv_sec = seconds;
	idle.tv_nsec = 0;
	while (!stop && (!calls || answered < calls)) {
		ret = io_uring_submit_and_wait_timeout(&ring, &cqe, 1,
						       seconds ? &idle : NULL,
						       NULL);
		if (ret == -ETIME) {
			fprintf(stderr, "uring_loop: idle for %lu s\n",
				seconds);
			rc = 1;
			break;
		}
		if (ret == -EINTR)
			continue;
		if (ret < 0) {
			fprintf(stderr, "uring_loop: wait: %s\n",
				strerror(-ret));
			rc = 1;
			break;
		}
		enum tag tag = (enum tag)io_uring_cqe_get_data64(cqe);
		int res = cqe->res, more = cqe->flags & IORING_CQE_F_MORE;

		io_uring_cqe_seen(&ring, cqe);
		if (res < 0 && tag != TAG_SIGNAL) {
			fprintf(stderr, "uring_loop: poll: %s\n",
				strerror(-res));
			rc = 1;
			break;
		}
		ret = 0;
		switch (tag) {
		case TAG_FRONT:
			/*
			 * res holds what completed the poll, not all that is
			 * ready: drain both kinds, events first (a cancel is
			 * worth knowing before passing a call on).
			 */
			ret = front_events();
			if (ret >= 0)
				ret = take_calls();
			if (!more)
				arm(TAG_FRONT, &front, MAILBOX_READY_CALL |
				    MAILBOX_READY_EVENT, 1);
			break;
		case TAG_BACK_REPLY:
			ret = collect_replies();
			if (!more)
				arm(TAG_BACK_REPLY, &back,
				    MAILBOX_READY_REPLY, 1);
			break;
		case TAG_BACK_FREE:
			free_poll_armed = 0;
			ret = drain_backlog();
			break;
		case TAG_SIGNAL:
			stop = 1;
			break;
		}
		if (ret < 0) {
			fprintf(stderr, "uring_loop: %s\n", strerror(-ret));
			rc = 1;
			break;
		}
	}
	printf("uring_loop: answered %lu calls\n", answered);
	io_uring_queue_exit(&ring);
	mailbox_close(&back);
	mailbox_close(&front);
	mailbox_destroy(fname);
	return rc;

usage:
	fprintf(stderr, "usage: uring_loop [-n CALLS] [-t SECONDS] FRONT BACK\n");
	return 2;
}
