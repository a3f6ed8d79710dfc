/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the ABI, rights and /proc selftests: a child process that
 * drops to another uid, an fd passed over a unix socket (SCM_RIGHTS), and
 * CHK(), the check of a child process (it cannot use the harness's
 * EXPECT_*: it reports the failing line on stderr and exits 1).
 *
 * Self-contained: include it after kselftest_harness.h and mbx_common.h.
 */
#ifndef MBX_SELFTEST_HELPERS_H
#define MBX_SELFTEST_HELPERS_H

#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define MBX_OTHER_UID	65534
#define MBX_OTHER_GID	65534

#define CHK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: child check failed: %s" \
				" (errno %d)\n", __FILE__, __LINE__,	\
				#cond, errno);				\
			_exit(1);					\
		}							\
	} while (0)

/* Become MBX_OTHER_UID/GID for good, without supplementary groups. */
static inline int mbx_drop_to_other(void)
{
	if (setgroups(0, NULL) ||
	    setresgid(MBX_OTHER_GID, MBX_OTHER_GID, MBX_OTHER_GID) ||
	    setresuid(MBX_OTHER_UID, MBX_OTHER_UID, MBX_OTHER_UID))
		return -errno;
	return 0;
}

/* Send @fd over the unix socket @sock; 0 or -errno. */
static inline int mbx_send_fd(int sock, int fd)
{
	char data = 'F';
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &data, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;

	memset(cbuf, 0, sizeof(cbuf));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -errno;
}

/* Receive an fd from the unix socket @sock; the fd or -errno. */
static inline int mbx_recv_fd(int sock)
{
	char data;
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &data, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -EPROTO;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_level != SOL_SOCKET ||
	    cm->cmsg_type != SCM_RIGHTS)
		return -EPROTO;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/* One byte over a pipe or socket, to step two processes in turn. */
static inline int mbx_signal(int fd)
{
	char c = 'S';

	return write(fd, &c, 1) == 1 ? 0 : -1;
}

static inline int mbx_wait_signal(int fd)
{
	char c;

	return read(fd, &c, 1) == 1 ? 0 : -1;
}

/* fork(); the child dies with its parent. */
static inline pid_t mbx_fork(void)
{
	pid_t pid = fork();

	if (pid == 0)
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	return pid;
}

/* The exit status of @pid, or 128 + the signal that killed it. */
static inline int mbx_reap(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

#endif /* MBX_SELFTEST_HELPERS_H */
