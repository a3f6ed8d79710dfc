// SPDX-License-Identifier: MIT
/*
 * callee: serve a mailbox the simplest way, one system call per call.
 *
 *   callee [-n CALLS] [-t SECONDS] [NAME]
 *
 * Opens the mailbox NAME (default "example"), or creates it when there is
 * none, prints "callee: serving NAME" when it is ready, and answers every
 * call of opcode 1 with its payload in upper case; other opcodes get
 * -EOPNOTSUPP. It stops after CALLS calls (default: never), when no call
 * came for SECONDS seconds (default: wait forever; an error), or on
 * SIGINT or SIGTERM, and then destroys the mailbox if it created it.
 * Try it with the caller example:
 *
 *   ./callee demo &  ./caller -n 3 demo
 *
 * mailbox_complete_take() answers the call taken last time and takes the
 * next in one ioctl, which is the whole steady-state cost of a callee.
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mailbox.h>

#define OP_UPPER	1

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

/*
 * Work on a taken call: read its call plane, write its reply plane.
 * Both are plain memory: mailbox_take() returned after the caller's
 * stores to the call plane were published, and the answer's ioctl will
 * publish our stores to the reply plane. Returns the status; *len is set.
 */
static int32_t serve(struct mailbox *mb, const struct mbx_call *call,
		     uint32_t *len)
{
	const unsigned char *in = mailbox_call_plane(mb, call->slot);
	unsigned char *out = mailbox_reply_plane(mb, call->slot);
	uint32_t i;

	*len = 0;
	if (call->opcode != OP_UPPER)
		return -EOPNOTSUPP;
	/* The kernel checked call->len <= slot_size. */
	for (i = 0; i < call->len; i++)
		out[i] = toupper(in[i]);
	*len = call->len;
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_stop };
	unsigned long calls = 0, taken = 0, seconds = 0;
	const char *name = "example";
	uint32_t done_len = 0;
	int32_t done_status = 0;
	struct mailbox mb;
	/* The call taken last time, to answer; call_id 0: none. */
	struct mbx_call call = { .call_id = 0 };
	int opt, ret, rc = 0, created = 0;

	while ((opt = getopt(argc, argv, "n:t:")) != -1) {
		switch (opt) {
		case 'n':
			calls = strtoul(optarg, NULL, 0);
			break;
		case 't':
			seconds = strtoul(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr,
				"usage: callee [-n CALLS] [-t SECONDS] [NAME]\n");
			return 2;
		}
	}
	if (optind < argc)
		name = argv[optind];

	/* A caller may have made the mailbox first: serve it then. */
	ret = mailbox_open(&mb, name, MBX_ACCESS_READ | MBX_ACCESS_WRITE,
			   MBX_OPEN_CLOEXEC);
	if (ret == -ENOENT) {
		ret = mailbox_create(&mb, name, 8, 256, 0600, 0,
				     MBX_CREATE_CLOEXEC);
		created = ret == 0;
		/* another process made it meanwhile */
		if (ret == -EEXIST)
			ret = mailbox_open(&mb, name,
					   MBX_ACCESS_READ | MBX_ACCESS_WRITE,
					   MBX_OPEN_CLOEXEC);
	}
	if (ret < 0) {
		fprintf(stderr, "callee: open or create %s: %s\n", name,
			strerror(-ret));
		return 1;
	}
	/* No SA_RESTART: a signal ends the wait with -EINTR. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	printf("callee: serving %s\n", name);
	fflush(stdout);

	uint64_t idle_until = seconds ?
		mailbox_deadline(seconds * 1000000000ULL) : UINT64_MAX;

	while (!stop && (!calls || taken < calls)) {
		/*
		 * Wait in slices of a second: a signal that lands after the
		 * check of stop and before the wait starts is seen at the end
		 * of the slice rather than never.
		 */
		uint64_t slice = mailbox_deadline(1000000000ULL);

		/*
		 * call_id 0 (the first time): nothing to answer, only take.
		 * Once the call is answered the library zeroes call.call_id,
		 * even if the wait then fails: a retry never answers twice.
		 */
		ret = mailbox_complete_take(&mb, &call, done_status, done_len,
					    MBX_WAIT_TIMEOUT,
					    slice < idle_until ? slice : idle_until,
					    &call);
		if (ret == -EINTR)
			continue;
		if (ret == -ETIMEDOUT && mailbox_deadline(0) < idle_until)
			continue;
		if (ret < 0) {
			fprintf(stderr, "callee: take: %s\n", strerror(-ret));
			rc = 1;
			break;
		}
		taken++;
		if (seconds)
			idle_until = mailbox_deadline(seconds * 1000000000ULL);
		if (call.flags & MBX_CALL_REDELIVERED)
			printf("callee: call %llu redelivered (delivery %u)\n",
			       (unsigned long long)call.call_id, call.delivery);
		done_status = serve(&mb, &call, &done_len);
	}
	/* The last call taken is still ours to answer. */
	if (call.call_id) {
		ret = mailbox_complete(&mb, &call, done_status, done_len);
		if (ret < 0 && ret != -ECANCELED) {
			fprintf(stderr, "callee: complete: %s\n",
				strerror(-ret));
			rc = 1;
		}
	}
	printf("callee: answered %lu calls\n", taken);
	mailbox_close(&mb);
	if (created)
		mailbox_destroy(name);
	return rc;
}
