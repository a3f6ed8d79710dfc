// SPDX-License-Identifier: MIT
/*
 * caller: make calls into a mailbox and check the answers.
 *
 *   caller [-v] [-n CALLS] [-p IN_FLIGHT] [-t SECONDS] [NAME]
 *
 * Opens the mailbox NAME (default "example"; waits up to SECONDS for it to
 * appear), and makes CALLS calls (default 3) of opcode 1 with the payloads
 * "hello 1" to "hello CALLS", at most IN_FLIGHT (default 1) at a time,
 * expecting each answer to be its payload in upper case, as the callee,
 * epoll_loop and uring_loop examples give. It prints the first three
 * answers (-v: every one), each wrong answer, and a summary with the
 * rate; exits 0 when every answer was right. Fewer are in flight when the
 * mailbox has fewer free slots.
 *
 * A call is two steps: mailbox_submit() hands the call to a callee and
 * returns at once; mailbox_collect() later gets the answer. Between the
 * two the caller is free, which is what IN_FLIGHT uses: it keeps that many
 * calls submitted and collects whichever answer comes first. After collect
 * the slot is the caller's again, so the next call is written into it and
 * submitted without a new acquire: two system calls per call.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mailbox.h>

#define OP_UPPER	1
#define SEC		1000000000ULL
#define SHOWN		3	/* answers printed without -v */

static void payload(char *buf, size_t size, unsigned long n, int upper)
{
	snprintf(buf, size, upper ? "HELLO %lu" : "hello %lu", n);
}

/*
 * Write call @n into @slot, which we own (acquired, or collected), and
 * submit it. Plain stores: mailbox_submit() publishes them.
 */
static int send_call(struct mailbox *mb, uint32_t slot, unsigned long n)
{
	char *plane = mailbox_call_plane(mb, slot);
	struct mbx_call call = {
		.slot = slot,
		.opcode = OP_UPPER,
		.user_data = n,
	};

	payload(plane, mb->slot_size, n, 0);
	call.len = strlen(plane) + 1;
	return mailbox_submit(mb, &call);
}

int main(int argc, char **argv)
{
	unsigned long calls = 3, inflight = 1, seconds = 10, sent = 0, got = 0;
	struct timespec t0, t1;
	double dt;
	int verbose = 0;
	const char *name = "example";
	struct mailbox mb;
	struct mbx_call reply;
	char want[64];
	int opt, ret, tries, bad = 0;

	while ((opt = getopt(argc, argv, "vn:p:t:")) != -1) {
		switch (opt) {
		case 'v':
			verbose = 1;
			break;
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
			fprintf(stderr, "usage: caller [-v] [-n CALLS] [-p IN_FLIGHT] [-t SECONDS] [NAME]\n");
			return 2;
		}
	}
	if (optind < argc)
		name = argv[optind];
	if (!inflight)
		inflight = 1;

	/* The callee may still be starting. */
	for (tries = 0;; tries++) {
		ret = mailbox_open(&mb, name, MBX_ACCESS_READ | MBX_ACCESS_WRITE,
				   MBX_OPEN_CLOEXEC);
		if (ret != -ENOENT || tries >= (int)seconds * 10)
			break;
		usleep(100000);
	}
	if (ret < 0) {
		fprintf(stderr, "caller: open %s: %s\n", name, strerror(-ret));
		return 1;
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	/*
	 * Step one for the first IN_FLIGHT calls. Once one is in flight, a
	 * full mailbox means collecting first: our own calls hold the slots,
	 * and waiting for a free one would wait for ourselves.
	 */
	while (sent < calls && sent < inflight) {
		if (sent)
			ret = mailbox_acquire(&mb, 0,
					      MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK,
					      0, NULL);
		else
			ret = mailbox_acquire(&mb, 0,
					      MBX_ACQUIRE_ANY | MBX_WAIT_TIMEOUT,
					      mailbox_deadline(seconds * SEC),
					      NULL);
		if (ret == -EAGAIN)
			break;
		if (ret >= 0)
			ret = send_call(&mb, ret, sent + 1);
		if (ret < 0) {
			fprintf(stderr, "caller: call %lu: %s\n", sent,
				strerror(-ret));
			return 1;
		}
		sent++;
	}

	/* Step two, whichever answer comes first; reuse its slot. */
	while (got < sent) {
		const char *answer;

		ret = mailbox_collect(&mb, NULL, MBX_WAIT_TIMEOUT,
				      mailbox_deadline(seconds * SEC), &reply);
		if (ret < 0) {
			fprintf(stderr, "caller: collect: %s\n", strerror(-ret));
			return 1;
		}
		got++;
		/* The slot is ours again: its reply plane may be read. */
		answer = mailbox_reply_plane(&mb, reply.slot);
		payload(want, sizeof(want), reply.user_data, 1);
		if (reply.status) {
			printf("caller: call %llu failed: %s\n",
			       (unsigned long long)reply.call_id,
			       strerror(-reply.status));
			bad++;
		} else if (reply.len != strlen(want) + 1 ||
			   memcmp(answer, want, reply.len)) {
			printf("caller: call %llu: wrong answer \"%.*s\"\n",
			       (unsigned long long)reply.call_id,
			       (int)reply.len, answer);
			bad++;
		} else if (verbose || got <= SHOWN) {
			printf("caller: call %llu: %s\n",
			       (unsigned long long)reply.call_id, answer);
		}
		if (sent < calls) {
			ret = send_call(&mb, reply.slot, sent + 1);
			if (ret < 0) {
				fprintf(stderr, "caller: call %lu: %s\n", sent,
					strerror(-ret));
				return 1;
			}
			sent++;
		} else {
			mailbox_release(&mb, reply.slot);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	mailbox_close(&mb);
	dt = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (!verbose && got > SHOWN)
		printf("caller: (%lu more answers, right ones not shown: -v shows them)\n",
		       got - SHOWN);
	printf("caller: %lu calls, %d wrong, in %.3f s (%.0f calls/s)\n", got,
	       bad, dt, dt > 0 ? got / dt : 0.0);
	return bad ? 1 : 0;
}
