// SPDX-License-Identifier: MIT
/*
 * uring_caller: make calls through io_uring commands, the answer of each
 * arriving in the completion queue.
 *
 *   uring_caller [-n CALLS] [-p IN_FLIGHT] [-t SECONDS] [NAME]
 *
 * Opens the mailbox NAME (default "example"; waits up to SECONDS for it to
 * appear) and makes CALLS calls (default 3) of opcode 1 with the payloads
 * "hello 1" to "hello CALLS", IN_FLIGHT (default 1) at a time, expecting
 * each answer in upper case, as the callee examples give. Each call is one
 * command, mailbox_prep_submit() with MBX_SUBMIT_COLLECT: it submits the
 * call and completes when a reply to a call of this fd is collected, its
 * slot then ours to read and to reuse for the next call. Both steps of a
 * call are in one submission queue entry; the program sleeps only in
 * io_uring_submit_and_wait(). Prints a summary; exits 0 when every answer
 * was right.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <liburing.h>
#include <mailbox-uring.h>

#define OP_UPPER	1
#define MAX_INFLIGHT	64
#define SEC		1000000000ULL

/* Call @n's payload, or its expected answer with @upper. */
static void payload(char *buf, size_t size, unsigned long n, int upper)
{
	snprintf(buf, size, upper ? "HELLO %lu" : "hello %lu", n);
}

/* Write call @n into @slot, ours, and queue its command in @args. */
static void send_call(struct io_uring *ring, struct mailbox *mb,
		      struct mbx_submit_args *args, uint32_t slot,
		      unsigned long n, uint64_t deadline)
{
	char *plane = mailbox_call_plane(mb, slot);
	struct mbx_call call = {
		.slot = slot,
		.opcode = OP_UPPER,
		.user_data = n,
	};

	payload(plane, mb->slot_size, n, 0);
	call.len = strlen(plane) + 1;
	mailbox_prep_submit(io_uring_get_sqe(ring), mb, args, &call,
			    MBX_SUBMIT_COLLECT | MBX_WAIT_TIMEOUT, deadline);
}

int main(int argc, char **argv)
{
	static struct mbx_submit_args args[MAX_INFLIGHT];
	unsigned long calls = 3, inflight = 1, seconds = 10, sent = 0, got = 0;
	const char *name = "example";
	struct timespec t0, t1;
	struct io_uring ring;
	struct mailbox mb;
	int opt, ret, tries, bad = 0;
	uint64_t deadline;
	double dt;

	while ((opt = getopt(argc, argv, "n:p:t:")) != -1) {
		switch (opt) {
		case 'n':
			calls = strtoul(optarg, NULL, 0);
			break;
		case 'p':
			inflight = strtoul(optarg, NULL, 0);
			break;
		case 't':
			seconds = strtoul(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: uring_caller [-n CALLS] [-p IN_FLIGHT] [-t SECONDS] [NAME]\n");
			return 2;
		}
	}
	if (optind < argc)
		name = argv[optind];
	if (!inflight || inflight > MAX_INFLIGHT) {
		fprintf(stderr, "uring_caller: IN_FLIGHT is 1 to %d\n",
			MAX_INFLIGHT);
		return 2;
	}
	for (tries = 0;; tries++) {
		ret = mailbox_open(&mb, name, MBX_ACCESS_READ | MBX_ACCESS_WRITE,
				   MBX_OPEN_CLOEXEC);
		if (ret != -ENOENT || tries >= (int)seconds * 10)
			break;
		usleep(100000);
	}
	if (ret < 0) {
		fprintf(stderr, "uring_caller: open %s: %s\n", name,
			strerror(-ret));
		return 1;
	}
	ret = io_uring_queue_init(MAX_INFLIGHT, &ring, 0);
	if (ret < 0) {
		fprintf(stderr, "uring_caller: io_uring: %s\n", strerror(-ret));
		return 1;
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	deadline = mailbox_deadline(seconds * SEC);
	/* Slots for the first calls; after that each reply's slot is reused. */
	while (sent < calls && sent < inflight) {
		ret = mailbox_acquire(&mb, 0, MBX_ACQUIRE_ANY |
				      (sent ? MBX_WAIT_NONBLOCK : MBX_WAIT_TIMEOUT),
				      sent ? 0 : deadline, NULL);
		if (ret == -EAGAIN)
			break;
		if (ret < 0) {
			fprintf(stderr, "uring_caller: acquire: %s\n",
				strerror(-ret));
			return 1;
		}
		send_call(&ring, &mb, &args[sent], ret, sent + 1, deadline);
		sent++;
	}
	while (got < sent) {
		struct mbx_submit_args *a;
		struct io_uring_cqe *cqe;
		char want[64];
		const char *answer;
		struct mbx_call reply;

		ret = io_uring_submit_and_wait(&ring, 1);
		if (ret == -EINTR)
			continue;
		if (ret < 0 || (ret = io_uring_peek_cqe(&ring, &cqe)) < 0) {
			fprintf(stderr, "uring_caller: %s\n", strerror(-ret));
			return 1;
		}
		a = mailbox_cqe_args(cqe);
		ret = cqe->res;
		io_uring_cqe_seen(&ring, cqe);
		if (ret < 0) {
			fprintf(stderr, "uring_caller: call: %s\n",
				strerror(-ret));
			return 1;
		}
		/* A reply to one of our calls; its slot is ours again. */
		reply = a->out_reply;
		got++;
		answer = mailbox_reply_plane(&mb, reply.slot);
		payload(want, sizeof(want), reply.user_data, 1);
		if (reply.status || reply.len != strlen(want) + 1 ||
		    memcmp(answer, want, reply.len)) {
			printf("uring_caller: call %llu: wrong answer (status %d)\n",
			       (unsigned long long)reply.call_id, reply.status);
			bad++;
		}
		if (sent < calls) {
			send_call(&ring, &mb, a, reply.slot, sent + 1, deadline);
			sent++;
		} else {
			mailbox_release(&mb, reply.slot);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	io_uring_queue_exit(&ring);
	mailbox_close(&mb);
	dt = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("uring_caller: %lu calls, %d wrong, in %.3f s (%.0f calls/s)\n",
	       got, bad, dt, dt > 0 ? got / dt : 0.0);
	return bad ? 1 : 0;
}
