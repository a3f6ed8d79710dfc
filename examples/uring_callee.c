// SPDX-License-Identifier: MIT
/*
 * uring_callee: serve a mailbox through io_uring commands.
 *
 *   uring_callee [-n CALLS] [-d TAKES] [NAME]
 *
 * Opens the mailbox NAME (default "example"), or creates it when there is
 * none, and answers every call of opcode 1 with its payload in upper case
 * (others get -EOPNOTSUPP), as the callee example does, but without one
 * system call per call: it keeps TAKES (default 4) take commands armed
 * (mailbox_prep_take()); each call submitted completes one of them, and
 * its answer (mailbox_prep_complete()) and the take that replaces it go
 * to the kernel together with the next io_uring_submit_and_wait(). A take
 * waits in io_uring's worker, never in this program, which sleeps only
 * for completions. Stops after CALLS calls (default: never) or on SIGINT
 * or SIGTERM (the wait is interrupted, the ring torn down: the armed
 * takes end with -EINTR), and destroys the mailbox if it created it.
 *
 *   ./uring_callee demo &  ./uring_caller -n 100 -p 8 demo
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <liburing.h>
#include <mailbox-uring.h>

#define OP_UPPER	1
#define MAX_TAKES	64

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

/* The answer to @call, written into its reply plane; its length. */
static int32_t serve(struct mailbox *mb, const struct mbx_call *call,
		     uint32_t *len)
{
	const unsigned char *in = mailbox_call_plane(mb, call->slot);
	unsigned char *out = mailbox_reply_plane(mb, call->slot);
	uint32_t i;

	*len = 0;
	if (call->opcode != OP_UPPER)
		return -EOPNOTSUPP;
	for (i = 0; i < call->len; i++)
		out[i] = toupper(in[i]);
	*len = call->len;
	return 0;
}

int main(int argc, char **argv)
{
	/* One take and one answer in flight per armed take, at most. */
	static struct mbx_take_args take[MAX_TAKES];
	static struct mbx_complete_args answer[MAX_TAKES];
	struct sigaction sa = { .sa_handler = on_stop };
	unsigned long calls = 0, answered = 0, ntakes = 4, i;
	const char *name = "example";
	int opt, ret, rc = 0, created = 0;
	struct io_uring ring;
	struct mailbox mb;

	while ((opt = getopt(argc, argv, "n:d:")) != -1) {
		switch (opt) {
		case 'n':
			calls = strtoul(optarg, NULL, 0);
			break;
		case 'd':
			ntakes = strtoul(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: uring_callee [-n CALLS] [-d TAKES] [NAME]\n");
			return 2;
		}
	}
	if (optind < argc)
		name = argv[optind];
	if (!ntakes || ntakes > MAX_TAKES) {
		fprintf(stderr, "uring_callee: TAKES is 1 to %d\n", MAX_TAKES);
		return 2;
	}

	ret = mailbox_open(&mb, name, MBX_ACCESS_READ | MBX_ACCESS_WRITE,
			   MBX_OPEN_CLOEXEC);
	if (ret == -ENOENT) {
		ret = mailbox_create(&mb, name, 8, 256, 0600, 0,
				     MBX_CREATE_CLOEXEC);
		created = ret == 0;
	}
	if (ret < 0) {
		fprintf(stderr, "uring_callee: %s: %s\n", name, strerror(-ret));
		return 1;
	}
	ret = io_uring_queue_init(2 * MAX_TAKES, &ring, 0);
	if (ret < 0) {
		fprintf(stderr, "uring_callee: io_uring: %s\n", strerror(-ret));
		return 1;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	for (i = 0; i < ntakes; i++)
		mailbox_prep_take(io_uring_get_sqe(&ring), &mb, &take[i], 0, 0);
	printf("uring_callee: serving %s\n", name);
	fflush(stdout);

	while (!stop && (!calls || answered < calls)) {
		struct io_uring_cqe *cqe;
		void *args;
		int res;

		/*
		 * Send what is queued (answers, takes), sleep for one; at most
		 * a second, so that a signal that lands before the sleep
		 * starts is seen then rather than never.
		 */
		struct __kernel_timespec second = { .tv_sec = 1 };

		ret = io_uring_submit_and_wait_timeout(&ring, &cqe, 1, &second,
						       NULL);
		if (ret == -EINTR || ret == -ETIME)
			continue;
		if (ret < 0) {
			fprintf(stderr, "uring_callee: submit: %s\n",
				strerror(-ret));
			rc = 1;
			break;
		}
		while (io_uring_peek_cqe(&ring, &cqe) == 0) {
			args = mailbox_cqe_args(cqe);
			res = cqe->res;
			io_uring_cqe_seen(&ring, cqe);
			if (args >= (void *)answer &&
			    args < (void *)(answer + MAX_TAKES)) {
				/* -ECANCELED: answered as cancelled. */
				if (res && res != -ECANCELED) {
					fprintf(stderr, "uring_callee: answer: %s\n",
						strerror(-res));
					rc = 1;
				}
				answered++;
				continue;
			}
			i = (struct mbx_take_args *)args - take;
			if (res) {
				fprintf(stderr, "uring_callee: take: %s\n",
					strerror(-res));
				rc = 1;
				stop = 1;
				continue;
			}
			{
				struct mbx_call call = take[i].out_call;
				uint32_t len;
				int32_t status = serve(&mb, &call, &len);

				mailbox_prep_complete(io_uring_get_sqe(&ring),
						      &mb, &answer[i], &call,
						      status, len);
			}
			/* The same take struct, armed again. */
			mailbox_prep_take(io_uring_get_sqe(&ring), &mb,
					  &take[i], 0, 0);
		}
	}
	/* Answers still queued go out; the armed takes end with the ring. */
	io_uring_submit(&ring);
	io_uring_queue_exit(&ring);
	printf("uring_callee: answered %lu calls\n", answered);
	mailbox_close(&mb);
	if (created)
		mailbox_destroy(name);
	return rc;
}
