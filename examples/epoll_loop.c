// SPDX-License-Identifier: MIT
/*
 * epoll_loop: serve a mailbox from an epoll event loop.
 *
 *   epoll_loop [-n CALLS] [-t SECONDS] [NAME]
 *
 * Creates NAME (default "example") and answers calls as the callee
 * example does, but without ever blocking in the mailbox: the loop sleeps
 * in epoll_wait(2) on the mailbox fd (calls pending: MAILBOX_READY_CALL,
 * events queued: MAILBOX_READY_EVENT) and on a signalfd, so that it could
 * serve sockets, timers and other mailboxes as well. After a wakeup it
 * drains: events first (a cancel request is worth knowing before the work),
 * then calls, with MBX_WAIT_NONBLOCK until -EAGAIN. Readiness is a hint:
 * another callee of the same mailbox may have taken the call first.
 *
 * Stops after CALLS calls, after SECONDS without a wakeup (an error), or
 * on SIGINT or SIGTERM.
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <mailbox.h>

#define OP_UPPER	1

/* Taken: read the call plane, write the reply plane (see callee.c). */
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

static const char *event_name(uint32_t type)
{
	switch (type) {
	case MBX_EVENT_CALLEE_DIED:
		return "callee died";
	case MBX_EVENT_CALLER_GONE:
		return "caller gone";
	case MBX_EVENT_CANCEL:
		return "cancel requested";
	case MBX_EVENT_OVERFLOW:
		return "events lost";
	}
	return "unknown event";
}

/* Drain the events of this fd; 0 or -errno. */
static int drain_events(struct mailbox *mb)
{
	struct mbx_event ev[16];
	int i, n;

	do {
		n = mailbox_events(mb, ev, 16);
		if (n < 0)
			return n;
		for (i = 0; i < n; i++)
			printf("epoll_loop: slot %u call %llu: %s\n", ev[i].slot,
			       (unsigned long long)ev[i].call_id,
			       event_name(ev[i].type));
	} while (n == 16);
	return 0;
}

/* Take and answer every pending call; how many, or -errno. */
static long drain_calls(struct mailbox *mb, unsigned long max)
{
	struct mbx_call call;
	long n = 0;
	uint32_t len;
	int32_t status;
	int ret;

	while ((unsigned long)n < max) {
		ret = mailbox_take(mb, MBX_WAIT_NONBLOCK, 0, &call);
		if (ret == -EAGAIN)
			break;
		if (ret < 0)
			return ret;
		status = serve(mb, &call, &len);
		ret = mailbox_complete(mb, &call, status, len);
		/* -ECANCELED: answered all the same, as cancelled. */
		if (ret < 0 && ret != -ECANCELED)
			return ret;
		n++;
	}
	return n;
}

int main(int argc, char **argv)
{
	unsigned long calls = 0, served = 0, seconds = 0;
	const char *name = "example";
	struct epoll_event ev, evs[4];
	struct signalfd_siginfo si;
	struct mailbox mb;
	sigset_t sigs;
	int opt, ret, ep, sfd, i, n, rc = 0, stop = 0;

	while ((opt = getopt(argc, argv, "n:t:")) != -1) {
		switch (opt) {
		case 'n':
			calls = strtoul(optarg, NULL, 0);
			break;
		case 't':
			seconds = strtoul(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: epoll_loop [-n CALLS] [-t SECONDS] [NAME]\n");
			return 2;
		}
	}
	if (optind < argc)
		name = argv[optind];

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || ep < 0) {
		perror("epoll_loop: signalfd/epoll_create1");
		return 1;
	}
	ret = mailbox_create(&mb, name, 8, 256, 0600, 0, MBX_CREATE_CLOEXEC);
	if (ret < 0) {
		fprintf(stderr, "epoll_loop: create %s: %s\n", name,
			strerror(-ret));
		return 1;
	}
	/* The ready kinds are poll bits: they serve as the epoll mask. */
	ev.events = MAILBOX_READY_CALL | MAILBOX_READY_EVENT;
	ev.data.fd = mailbox_fd(&mb);
	if (epoll_ctl(ep, EPOLL_CTL_ADD, mailbox_fd(&mb), &ev))
		goto fail;
	ev.events = EPOLLIN;
	ev.data.fd = sfd;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev))
		goto fail;
	printf("epoll_loop: serving %s\n", name);
	fflush(stdout);

	while (!stop && (!calls || served < calls)) {
		n = epoll_wait(ep, evs, 4, seconds ? (int)seconds * 1000 : -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0) {
			fprintf(stderr, "epoll_loop: idle for %lu s\n", seconds);
			rc = 1;
			break;
		}
		for (i = 0; i < n; i++) {
			ret = 0;
			if (evs[i].data.fd == sfd) {
				if (read(sfd, &si, sizeof(si)) == sizeof(si))
					stop = 1;
				continue;
			}
			if (evs[i].events & MAILBOX_READY_EVENT) {
				ret = drain_events(&mb);
				if (ret < 0)
					break;
			}
			if (evs[i].events & MAILBOX_READY_CALL) {
				long got = drain_calls(&mb, calls ?
						       calls - served : ~0UL);

				ret = got < 0 ? (int)got : 0;
				if (got > 0)
					served += got;
			}
			if (ret < 0) {
				fprintf(stderr, "epoll_loop: %s\n",
					strerror(-ret));
				rc = 1;
				stop = 1;
			}
		}
	}
	printf("epoll_loop: answered %lu calls\n", served);
	mailbox_close(&mb);
	mailbox_destroy(name);
	close(ep);
	close(sfd);
	return rc;

fail:
	perror("epoll_loop");
	mailbox_close(&mb);
	mailbox_destroy(name);
	return 1;
}
