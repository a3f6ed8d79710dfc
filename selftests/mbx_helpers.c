// SPDX-License-Identifier: GPL-2.0
/*
 * The selftests' helper layer: what mbx_helpers.h declares. Linked into
 * every test by the Makefile.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <linux/mbx.h>

#include "mbx_helpers.h"
/* ------------------------------------------------------------------ */
/* The device, names, and one wrapper per ioctl                         */

int mbx_ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

bool mbx_device_absent(void)
{
	return access(MBX_DEV, F_OK) && errno == ENOENT;
}

bool mbx_find_tool(const char *name, const char *env, char *path,
		   size_t size)
{
	const char *var = env ? getenv(env) : NULL, *dirs = getenv("PATH");
	char self[PATH_MAX - 64], *dir, *p, *save = NULL, buf[PATH_MAX];
	ssize_t n;

	if (var && *var) {
		snprintf(path, size, "%s", var);
		return !access(path, X_OK);
	}
	snprintf(buf, sizeof(buf), "%s", dirs ? dirs : "/usr/bin:/bin");
	for (p = strtok_r(buf, ":", &save); p; p = strtok_r(NULL, ":", &save)) {
		snprintf(path, size, "%s/%s", p, name);
		if (!access(path, X_OK))
			return true;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		dir = strrchr(self, '/');
		if (dir) {
			*dir = '\0';
			snprintf(path, size, "%s/../../tools/%s", self, name);
			if (!access(path, X_OK))
				return true;
		}
	}
	path[0] = '\0';
	return false;
}

int mbx_dev_open(void)
{
	int fd = open(MBX_DEV, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

__u64 mbx_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

void mbx_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* A thread of this process by its task entry, any other by its pid. */
int mbx_wait_sleeping(pid_t tid)
{
	char path[64], buf[256], *p;
	int i, n, fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	if (access(path, F_OK))
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)tid);
	for (i = 0; i < 10000; i++) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = 0;
			p = strrchr(buf, ')');
			if (p && p[1] == ' ' && p[2] == 'S')
				return 0;
		}
		mbx_sleep_ms(1);
	}
	return -ETIMEDOUT;
}

void mbx_unique_name(char *name, const char *tag)
{
	static unsigned int n;

	memset(name, 0, MBX_NAME_MAX);
	snprintf(name, MBX_NAME_MAX, "kst.%.32s.%d.%u", tag, (int)getpid(),
		 n++);
}

void mbx_set_name(__u8 *dst, const char *name)
{
	memset(dst, 0, MBX_NAME_MAX);
	memcpy(dst, name, strnlen(name, MBX_NAME_MAX));
}

int mbx_create(int dev, const char *name, __u32 nslots,
	       __u32 slot_size, __u32 mode)
{
	struct mbx_create_args a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = MBX_CREATE_CLOEXEC;
	mbx_set_name(a.name, name);
	a.nslots = nslots;
	a.slot_size = slot_size;
	a.mode = mode;
	return mbx_ioctl(dev, MBX_IOC_BOX_CREATE, &a);
}

int mbx_open(int dev, const char *name, __u32 access)
{
	struct mbx_open_args a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = MBX_OPEN_CLOEXEC;
	mbx_set_name(a.name, name);
	a.access = access;
	return mbx_ioctl(dev, MBX_IOC_BOX_OPEN, &a);
}

int mbx_destroy(int dev, const char *name)
{
	struct mbx_destroy_args a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	mbx_set_name(a.name, name);
	return mbx_ioctl(dev, MBX_IOC_BOX_DESTROY, &a);
}

int mbx_info(int fd, struct mbx_info_args *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return mbx_ioctl(fd, MBX_IOC_BOX_INFO, info);
}

int mbx_set(int fd, __u32 flags, __u32 uid, __u32 gid, __u32 mode)
{
	struct mbx_set_args a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = flags;
	a.uid = uid;
	a.gid = gid;
	a.mode = mode;
	return mbx_ioctl(fd, MBX_IOC_BOX_SET, &a);
}

int mbx_map(int fd, int prot, struct mbx_map *m)
{
	struct mbx_info_args info;
	void *p;
	int ret;

	memset(m, 0, sizeof(*m));
	ret = mbx_info(fd, &info);
	if (ret)
		return ret;
	p = mmap(NULL, info.out_map_size, prot, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	m->base = p;
	m->size = info.out_map_size;
	m->nslots = info.out_nslots;
	m->slot_size = info.out_slot_size;
	m->call_off = info.out_call_off;
	m->reply_off = info.out_reply_off;
	return 0;
}

void mbx_unmap(struct mbx_map *m)
{
	if (m->base)
		munmap(m->base, m->size);
	m->base = NULL;
}

void *mbx_call_plane(const struct mbx_map *m, __u32 slot)
{
	return m->base + m->call_off + (size_t)slot * m->slot_size;
}

void *mbx_reply_plane(const struct mbx_map *m, __u32 slot)
{
	return m->base + m->reply_off + (size_t)slot * m->slot_size;
}

int mbx_acquire(int fd, __u32 flags, __u32 slot,
		__u64 timeout_ns, __u32 *out_flags)
{
	struct mbx_acquire_args a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = flags;
	a.slot = slot;
	a.timeout_ns = timeout_ns;
	a.out_slot = 0xcccccccc;
	a.out_flags = 0xcccccccc;
	ret = mbx_ioctl(fd, MBX_IOC_SLOT_ACQUIRE, &a);
	if (ret)
		return ret;
	if (out_flags)
		*out_flags = a.out_flags;
	return a.out_slot;
}

int mbx_release(int fd, __u32 slot)
{
	struct mbx_release_args a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.slot = slot;
	return mbx_ioctl(fd, MBX_IOC_SLOT_RELEASE, &a);
}

int mbx_submit(int fd, __u32 slot, __u32 opcode, __u32 len,
	       __u64 user_data, __u64 *call_id)
{
	return mbx_submit_call(fd, slot, opcode, len, 0, user_data, call_id);
}

int mbx_submit_call(int fd, __u32 slot, __u32 opcode, __u32 len,
		    __u32 call_flags, __u64 user_data, __u64 *call_id)
{
	struct mbx_submit_args a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.call_flags = call_flags;
	a.slot = slot;
	a.opcode = opcode;
	a.len = len;
	a.user_data = user_data;
	a.out_call_id = 0xccccccccccccccccULL;
	ret = mbx_ioctl(fd, MBX_IOC_CALL_SUBMIT, &a);
	if (!ret && call_id)
		*call_id = a.out_call_id;
	return ret;
}

int mbx_take(int fd, __u32 flags, __u64 timeout_ns,
	     struct mbx_call *call)
{
	struct mbx_take_args a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = flags;
	a.timeout_ns = timeout_ns;
	memset(&a.out_call, 0xcc, sizeof(a.out_call));
	ret = mbx_ioctl(fd, MBX_IOC_CALL_TAKE, &a);
	if (!ret && call)
		*call = a.out_call;
	return ret;
}

int mbx_complete(int fd, __u32 slot, __u64 call_id,
		 __s32 status, __u32 len)
{
	struct mbx_complete_args a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.slot = slot;
	a.call_id = call_id;
	a.status = status;
	a.len = len;
	return mbx_ioctl(fd, MBX_IOC_CALL_COMPLETE, &a);
}

int mbx_collect(int fd, __u32 flags, __u32 slot,
		__u64 call_id, __u64 timeout_ns,
		struct mbx_call *call)
{
	struct mbx_collect_args a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = flags;
	a.slot = slot;
	a.call_id = call_id;
	a.timeout_ns = timeout_ns;
	memset(&a.out_call, 0xcc, sizeof(a.out_call));
	ret = mbx_ioctl(fd, MBX_IOC_CALL_COLLECT, &a);
	if (!ret && call)
		*call = a.out_call;
	return ret;
}

int mbx_slot_info(int fd, __u32 slot, struct mbx_slot_info *info)
{
	struct mbx_slots_args a;
	int ret;

	memset(info, 0xcc, sizeof(*info));
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.info = (__u64)(unsigned long)info;
	a.first = slot;
	a.count = 1;
	a.info_size = sizeof(*info);
	ret = mbx_ioctl(fd, MBX_IOC_SLOT_INFO, &a);
	if (!ret && a.out_count != 1)
		return -ENODATA;
	return ret;
}

int mbx_slot_state(int fd, __u32 slot)
{
	struct mbx_slot_info si;
	int ret = mbx_slot_info(fd, slot, &si);

	return ret ? ret : (int)si.state;
}

int mbx_proc_contains(const char *needle)
{
	static char buf[1 << 20];
	ssize_t n, len = 0;
	int fd = open(MBX_PROC, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (len < (ssize_t)sizeof(buf) - 1 &&
	       (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	return !!strstr(buf, needle);
}

int mbx_stats(int fd, struct mbx_stats_args *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	return mbx_ioctl(fd, MBX_IOC_BOX_STATS, st);
}

/* ------------------------------------------------------------------ */
/* Parties                                                              */

__u64 deadline(unsigned int ms)
{
	return mbx_now_ns() + (__u64)ms * 1000000ULL;
}

int box_create(const char *name, __u32 nslots, __u64 reclaim_ns)
{
	struct mbx_create_args a;
	int dev, fd;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = MBX_CREATE_CLOEXEC;
	mbx_set_name(a.name, name);
	a.nslots = nslots;
	a.slot_size = MBX_PARTY_SLOT_SIZE;
	a.mode = 0600;
	a.reclaim_ns = reclaim_ns;
	dev = mbx_dev_open();
	if (dev < 0)
		return dev;
	fd = mbx_ioctl(dev, MBX_IOC_BOX_CREATE, &a);
	close(dev);
	return fd;
}

int box_open(const char *name, __u32 access)
{
	int dev = mbx_dev_open(), fd;

	if (dev < 0)
		return dev;
	fd = mbx_open(dev, name, access);
	close(dev);
	return fd;
}

int box_destroy(const char *name)
{
	int dev = mbx_dev_open(), ret;

	if (dev < 0)
		return dev;
	ret = mbx_destroy(dev, name);
	close(dev);
	return ret;
}

int tbox_attach(struct tbox *b, int fd)
{
	int ret = mbx_map(fd, PROT_READ | PROT_WRITE, &b->m);

	if (ret)
		return ret;
	b->fd = fd;
	b->nslots = b->m.nslots;
	b->slot_size = b->m.slot_size;
	return 0;
}

int tbox_open(struct tbox *b, const char *name)
{
	int fd = box_open(name, MBX_ACCESS_READ | MBX_ACCESS_WRITE);
	int ret;

	if (fd < 0)
		return fd;
	ret = tbox_attach(b, fd);
	if (ret)
		close(fd);
	return ret;
}

void tbox_close(struct tbox *b)
{
	mbx_unmap(&b->m);
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
}

unsigned char *call_plane(struct tbox *b, __u32 slot)
{
	return mbx_call_plane(&b->m, slot);
}

unsigned char *reply_plane(struct tbox *b, __u32 slot)
{
	return mbx_reply_plane(&b->m, slot);
}

__u32 wait_flags(__u32 flags, __u64 *timeout_ns)
{
	if (flags & MBX_WAIT_NONBLOCK) {
		*timeout_ns = 0;
		return flags;
	}
	*timeout_ns = deadline(SAFETY_MS);
	return flags | MBX_WAIT_TIMEOUT;
}

int acquire_any(int fd, __u32 flags, __u32 *out_flags)
{
	__u64 t;

	flags = wait_flags(flags, &t);
	return mbx_acquire(fd, MBX_ACQUIRE_ANY | flags, 0, t, out_flags);
}

int acquire_slot(int fd, __u32 slot, __u32 flags,
		 __u32 *out_flags)
{
	__u64 t;
	int ret;

	flags = wait_flags(flags, &t);
	ret = mbx_acquire(fd, flags, slot, t, out_flags);
	return ret < 0 ? ret : 0;
}

int slot_release(int fd, __u32 slot)
{
	return mbx_release(fd, slot);
}

int call_submit(int fd, __u32 slot, __u32 len, __u32 flags,
		__u64 user_data, __u64 *id)
{
	return mbx_submit_call(fd, slot, MBX_PARTY_OPCODE, len, flags,
			       user_data, id);
}

int call_take(int fd, __u32 flags, struct mbx_call *c)
{
	__u64 t;

	flags = wait_flags(flags, &t);
	return mbx_take(fd, flags, t, c);
}

int call_complete(int fd, __u32 slot, __u64 id,
		  __s32 status, __u32 len)
{
	return mbx_complete(fd, slot, id, status, len);
}

int call_collect(int fd, __u32 flags, __u32 slot, __u64 id,
		 struct mbx_call *c)
{
	__u64 t;

	flags = wait_flags(flags, &t);
	return mbx_collect(fd, flags, slot, id, t, c);
}

int call_cancel(int fd, __u32 slot, __u64 id, __u32 *out_state)
{
	struct mbx_cancel_args a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.slot = slot;
	a.call_id = id;
	a.out_state = 0xcccccccc;
	ret = mbx_ioctl(fd, MBX_IOC_CALL_CANCEL, &a);
	if (!ret && out_state)
		*out_state = a.out_state;
	return ret;
}

int events_read(int fd, struct mbx_event *ev, __u32 n)
{
	struct mbx_events_args a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.events = (uintptr_t)ev;
	a.count = n;
	a.event_size = sizeof(*ev);
	a.out_count = 0xcccccccc;
	memset(ev, 0xcc, n * sizeof(*ev));
	ret = mbx_ioctl(fd, MBX_IOC_EVENTS_READ, &a);
	return ret ? ret : (int)a.out_count;
}

int slot_get(int fd, __u32 slot, struct mbx_slot_info *si)
{
	return mbx_slot_info(fd, slot, si);
}

int box_stats(int fd, struct mbx_stats_args *st)
{
	memset(st, 0xcc, sizeof(*st));
	st->size = sizeof(*st);
	st->flags = 0;
	return mbx_ioctl(fd, MBX_IOC_BOX_STATS, st);
}

int box_reclaim(int fd, __u64 min_age_ns)
{
	struct mbx_reclaim_args a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.min_age_ns = min_age_ns;
	a.out_count = 0xcccccccc;
	ret = mbx_ioctl(fd, MBX_IOC_BOX_RECLAIM, &a);
	return ret ? ret : (int)a.out_count;
}

short poll_for(int fd, short events, int ms)
{
	struct pollfd p = { .fd = fd, .events = events };

	if (poll(&p, 1, ms) < 0)
		return -1;
	return p.revents;
}

__u64 mix64(__u64 x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

__u32 csum32(const unsigned char *p, size_t n)
{
	__u32 h = 2166136261u;

	while (n--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

void payload_fill(unsigned char *p, __u32 len, __u64 tag)
{
	__u32 i, sum;

	for (i = 16; i < len; i++)
		p[i] = mix64(tag ^ (i / 8)) >> (8 * (i % 8));
	sum = csum32(p + 16, len - 16);
	memcpy(p, &tag, 8);
	memcpy(p + 8, &len, 4);
	memcpy(p + 12, &sum, 4);
}

bool payload_ok(const unsigned char *p, __u32 len, __u64 tag)
{
	__u64 t;
	__u32 l, sum, i;

	memcpy(&t, p, 8);
	memcpy(&l, p + 8, 4);
	memcpy(&sum, p + 12, 4);
	if (t != tag || l != len || sum != csum32(p + 16, len - 16))
		return false;
	for (i = 16; i < len; i++)
		if (p[i] != (unsigned char)(mix64(tag ^ (i / 8)) >> (8 * (i % 8))))
			return false;
	return true;
}

void *shm_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

pid_t spawn(int (*fn)(void *), void *arg)
{
	pid_t pid = mbx_fork();

	if (pid == 0)
		_exit(fn(arg));
	return pid;
}

int reap(pid_t pid)
{
	return mbx_reap(pid);
}

int kill_reap(pid_t pid)
{
	kill(pid, SIGKILL);
	return reap(pid);
}

long futex(_Atomic __u32 *addr, int op, __u32 val, int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	return syscall(SYS_futex, addr, op, val, ms ? &ts : NULL, NULL, 0);
}

void bump(_Atomic __u32 *a)
{
	atomic_fetch_add(a, 1);
	futex(a, FUTEX_WAKE, INT_MAX, 0);
}

int wait_ge(_Atomic __u32 *a, __u32 want)
{
	__u64 end = deadline(SAFETY_MS);
	__u32 v;

	while ((v = atomic_load(a)) < want) {
		if (mbx_now_ns() > end)
			return -ETIMEDOUT;
		futex(a, FUTEX_WAIT, v, 100);
	}
	return 0;
}

void hang(void)
{
	for (;;)
		pause();
}

int stuck_callee(void *arg)
{
	struct mbx_party *p = arg;
	struct mbx_call c;
	struct tbox b;

	if (tbox_open(&b, p->name))
		return 10;
	if (call_take(b.fd, 0, &c))
		return 11;
	bump(&p->reached);
	hang();
	return 0;
}

/* ------------------------------------------------------------------ */
/* Processes and credentials                                            */

int mbx_drop_to_other(void)
{
	if (setgroups(0, NULL) ||
	    setresgid(MBX_OTHER_GID, MBX_OTHER_GID, MBX_OTHER_GID) ||
	    setresuid(MBX_OTHER_UID, MBX_OTHER_UID, MBX_OTHER_UID))
		return -errno;
	return 0;
}

int mbx_as_other(int (*fn)(void *), void *arg)
{
	int *res, ret = INT_MIN;
	pid_t pid;

	res = shm_alloc(sizeof(*res));
	if (!res)
		return INT_MIN;
	*res = INT_MIN;
	pid = mbx_fork();
	if (pid == 0) {
		if (mbx_drop_to_other())
			_exit(1);
		*res = fn(arg);
		_exit(0);
	}
	if (pid > 0 && mbx_reap(pid) == 0)
		ret = *res;
	munmap(res, sizeof(*res));
	return ret;
}

int mbx_send_fd(int sock, int fd)
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

int mbx_recv_fd(int sock)
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

int mbx_signal(int fd)
{
	char c = 'S';

	return write(fd, &c, 1) == 1 ? 0 : -1;
}

int mbx_wait_signal(int fd)
{
	char c;

	return read(fd, &c, 1) == 1 ? 0 : -1;
}

pid_t mbx_fork(void)
{
	pid_t pid = fork();

	if (pid == 0)
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	return pid;
}

int mbx_reap(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ------------------------------------------------------------------ */
/* Files and the module's parameters                                    */

const char *const param_names[NPARAMS] = {
	"max_boxes", "user_max_boxes", "max_slots", "max_slot_size",
	"max_box_bytes", "user_max_bytes",
};

int file_read(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

int file_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

int param_set(const char *name, unsigned long val)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), MBX_PARAMS "%s", name);
	snprintf(buf, sizeof(buf), "%lu", val);
	return file_write(path, buf);
}

unsigned long param_get(const char *name)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), MBX_PARAMS "%s", name);
	if (file_read(path, buf, sizeof(buf)))
		return -1UL;
	return strtoul(buf, NULL, 0);
}

int params_save(struct params *p)
{
	char path[128];
	size_t i;

	for (i = 0; i < NPARAMS; i++) {
		snprintf(path, sizeof(path), MBX_PARAMS "%s", param_names[i]);
		if (file_read(path, p->val[i], sizeof(p->val[i])))
			return -1;
	}
	return 0;
}

void params_restore(const struct params *p)
{
	char path[128];
	size_t i;

	for (i = 0; i < NPARAMS; i++) {
		snprintf(path, sizeof(path), MBX_PARAMS "%s", param_names[i]);
		file_write(path, p->val[i]);
	}
}

int params_guard(const struct params *saved)
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		setsid();
		if (fork() == 0) {
			close(p[1]);
			if (read(p[0], &c, 1) != 1)
				params_restore(saved);
			_exit(0);
		}
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	close(p[0]);
	return p[1];
}

/* ------------------------------------------------------------------ */
/* libmailbox's tests                                                   */
/*
 * The call-path functions take a struct mbx_call; these build one from the
 * loose values a test has at hand, call the function once, and hand the
 * results back. Each is exactly one library call (and so one ioctl).
 */
int t_submit(struct mailbox *mb, uint32_t slot, uint32_t opcode,
	     uint32_t len, uint64_t user_data, uint32_t call_flags,
	     uint64_t *id)
{
	struct mbx_call c = {
		.slot = slot, .opcode = opcode, .len = len,
		.user_data = user_data, .flags = call_flags,
	};
	int ret = mailbox_submit(mb, &c);

	if (!ret && id)
		*id = c.call_id;
	return ret;
}

/*
 * @flags: MBX_CALL_AT_MOST_ONCE goes with the call (struct mbx_call.flags),
 * the rest (MBX_WAIT_TIMEOUT, unknown bits) to the wait.
 */
int t_submit_collect(struct mailbox *mb, uint32_t slot,
		     uint32_t opcode, uint32_t len, uint64_t user_data,
		     uint32_t flags, uint64_t timeout_ns, uint64_t *id,
		     struct mbx_call *reply)
{
	struct mbx_call c = {
		.slot = slot, .opcode = opcode, .len = len,
		.user_data = user_data, .flags = flags & MBX_CALL_AT_MOST_ONCE,
	};
	int ret = mailbox_submit_collect(mb, &c, flags & ~MBX_CALL_AT_MOST_ONCE,
					 timeout_ns, reply);

	if (id)
		*id = c.call_id;
	return ret;
}

/*
 * mailbox_complete_take() of (slot, call_id); *@out_flags gets what it
 * returned (MBX_TAKEN_*), or on failure MBX_TAKEN_DONE if the call was
 * answered all the same (done.call_id became 0).
 */
int t_complete_take(struct mailbox *mb, uint32_t slot,
		    uint64_t call_id, int32_t status, uint32_t len,
		    uint32_t flags, uint64_t timeout_ns,
		    struct mbx_call *next, uint32_t *out_flags)
{
	struct mbx_call done = { .slot = slot, .call_id = call_id };
	int ret = mailbox_complete_take(mb, &done, status, len, flags,
					timeout_ns, next);

	if (out_flags)
		*out_flags = ret >= 0 ? (uint32_t)ret :
			     (call_id && !done.call_id) ? MBX_TAKEN_DONE : 0;
	return ret < 0 ? ret : 0;
}

/*
 * Begin a call through @mb: acquire any slot, write @msg into its call
 * plane, submit. Returns the slot or -errno; the id in @id.
 */
int lib_start_call(struct mailbox *mb, uint32_t opcode, const char *msg,
		   uint32_t flags, uint64_t *id)
{
	int slot, ret;

	slot = mailbox_acquire(mb, 0, MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK, 0, NULL);
	if (slot < 0)
		return slot;
	/* OWNED by us: plain stores, published by the submit below. */
	strcpy(mailbox_call_plane(mb, slot), msg);
	ret = t_submit(mb, slot, opcode, strlen(msg) + 1, 0x5eed, flags,
			     id);
	return ret < 0 ? ret : slot;
}

/* Take the oldest call without waiting; -errno on failure. */
int lib_take_now(struct mailbox *mb, struct mbx_call *call)
{
	return mailbox_take(mb, MBX_WAIT_NONBLOCK, 0, call);
}

/* Answer @call with @msg in its reply plane. */
int lib_answer(struct mailbox *mb, const struct mbx_call *call,
	       int32_t status, const char *msg)
{
	/* TAKEN by us: plain stores, published by the complete below. */
	strcpy(mailbox_reply_plane(mb, call->slot), msg);
	return mailbox_complete(mb, &(struct mbx_call){ .slot = call->slot, .call_id = call->call_id }, status,
				strlen(msg) + 1);
}

/* The lowest fd number not in use. */
int lib_lowest_free_fd(void)
{
	int fd = fcntl(STDERR_FILENO, F_DUPFD, 0);

	if (fd >= 0)
		close(fd);
	return fd;
}

/* Signals that interrupt the waits: a thread sends one to the waiter. */
volatile sig_atomic_t lib_signals_seen;

static void on_signal(int sig)
{
	(void)sig;
	lib_signals_seen++;
}

static void *poke_thread(void *arg)
{
	struct lib_poke *p = arg;

	usleep(p->delay_ms * 1000);
	pthread_kill(p->target, SIGUSR1);
	return NULL;
}

/* Arm SIGUSR1 (with or without SA_RESTART) to hit this thread soon. */
void lib_poke_me(pthread_t *thr, struct lib_poke *p, int restart)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sa.sa_flags = restart ? SA_RESTART : 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	lib_signals_seen = 0;
	p->target = pthread_self();
	p->delay_ms = 50;
	pthread_create(thr, NULL, poke_thread, p);
}


/*
 * Fork a child that opens @name and plays @role, then exits without
 * answering, collecting or releasing. Returns what the child reported.
 */
struct child_msg lib_run_child(const char *name, enum child_role role,
			       uint32_t call_flags, uint32_t slot,
			       uint64_t call_id)
{
	struct child_msg msg = { .ret = -EPIPE };
	int pfd[2], status;
	pid_t pid;

	if (pipe(pfd))
		return msg;
	pid = fork();
	if (pid == 0) {
		struct mailbox mb;
		struct mbx_call call;

		close(pfd[0]);
		msg.ret = mailbox_open(&mb, name,
				       MBX_ACCESS_READ | MBX_ACCESS_WRITE, 0);
		if (!msg.ret) {
			switch (role) {
			case CHILD_TAKES:
				msg.ret = mailbox_take(&mb, MBX_WAIT_TIMEOUT,
						       mailbox_deadline(5 * MBX_SEC_NS),
						       &call);
				msg.slot = call.slot;
				msg.call_id = call.call_id;
				/* A half-written reply the kernel must drop. */
				if (!msg.ret)
					memset(mailbox_reply_plane(&mb, call.slot),
					       0xee, mb.slot_size);
				break;
			case CHILD_CALLS:
				msg.ret = lib_start_call(&mb, 7, "orphan", call_flags,
						     &msg.call_id);
				msg.slot = msg.ret;
				if (msg.ret > 0)
					msg.ret = 0;
				break;
			case CHILD_OWNS:
				msg.ret = mailbox_acquire(&mb, 0, MBX_WAIT_NONBLOCK,
							  0, NULL);
				if (!msg.ret)
					memset(mailbox_call_plane(&mb, 0), 0xdd,
					       mb.slot_size);
				break;
			case CHILD_EDITS:
				msg.ret = mailbox_revoke(&mb, &(struct mbx_call){ .slot = slot, .call_id = call_id });
				if (!msg.ret)
					memset(mailbox_call_plane(&mb, slot), 0xdd,
					       mb.slot_size);
				break;
			}
		}
		if (write(pfd[1], &msg, sizeof(msg)) != sizeof(msg))
			_exit(1);
		_exit(0);
	}
	close(pfd[1]);
	if (pid < 0 || read(pfd[0], &msg, sizeof(msg)) != sizeof(msg))
		msg.ret = -EPIPE;
	close(pfd[0]);
	/* After the reap the child's session is gone: do_exit released it. */
	if (pid > 0)
		waitpid(pid, &status, 0);
	return msg;
}


int lib_open_again(const char *name, struct mailbox *mb, uint32_t access)
{
	return mailbox_open(mb, name, access, MBX_OPEN_CLOEXEC);
}

void *lib_complete_later(void *arg)
{
	struct lib_later *l = arg;
	struct mbx_call call;

	usleep(l->delay_ms * 1000);
	l->ret = mailbox_take(l->mb, MBX_WAIT_NONBLOCK, 0, &call);
	if (!l->ret)
		l->ret = mailbox_complete(l->mb, &(struct mbx_call){ .slot = call.slot, .call_id = call.call_id },
					  l->status, 0);
	return NULL;
}
