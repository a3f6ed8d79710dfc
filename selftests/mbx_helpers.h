/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one helper layer of the /dev/mailbox selftests (mbx_helpers.c is
 * linked into every test by the Makefile):
 *
 * - the device, names, and one thin wrapper per ioctl (mbx_*) that fills
 *   the argument struct, prefills its outputs with 0xcc to prove the
 *   kernel wrote them, and returns -errno (or a non-negative result)
 *   instead of setting errno, so that a test writes
 *   EXPECT_EQ(-EINVAL, mbx_...());
 * - the parties of the process-level tests: mailboxes created, opened and
 *   mapped by name (box_*, tbox_*), the call path with every blocking wait
 *   bounded by SAFETY_MS so that a lost wakeup fails a test instead of
 *   hanging it (acquire_*, call_*), a tagged payload with a checksum;
 * - processes and credentials: children that die with their parent and
 *   meet on futexes in shared memory, a second uid, an fd passed over a
 *   unix socket (SCM_RIGHTS), CHK() for checks in a child;
 * - files and the module's parameters, saved and restored by a guard
 *   process if the test dies first.
 *
 * A test file that puts MBX_SKIP_WITHOUT_DEVICE once at file scope skips as
 * a whole (exit 4, KSFT_SKIP) when /dev/mailbox is absent.
 */
#ifndef MBX_SELFTEST_HELPERS_H
#define MBX_SELFTEST_HELPERS_H

/* What the tests use with the helpers, so that each need not list it. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <pthread.h>
#include <setjmp.h>

#include <linux/mbx.h>

#include "kselftest.h"
#include "mailbox.h"

/* ------------------------------------------------------------------ */
/* The device, names, and one wrapper per ioctl                         */

#define MBX_DEV "/dev/mailbox"
#define MBX_PROC "/proc/driver/mailbox"

#define MBX_SKIP_WITHOUT_DEVICE						\
	static void __attribute__((constructor)) mbx_require_device(void) \
	{								\
		if (access(MBX_DEV, F_OK) && errno == ENOENT)		\
			ksft_exit_skip(MBX_DEV				\
				       " absent: mbx.ko not loaded\n");	\
	}

/* ioctl() as -errno or its non-negative return value. */
int mbx_ioctl(int fd, unsigned long cmd, void *arg);

/* True when /dev/mailbox does not exist (mbx.ko not loaded). */
bool mbx_device_absent(void);

/*
 * One of the tree's programs, @name (mailboxctl, mailbox-bench): $@env
 * when set, else on PATH (the test VM puts the tools in /usr/bin), else
 * tools/@name next to the build tree (build/selftests/x -> tools/@name).
 * True with the path in @path when it is there and executable.
 */
bool mbx_find_tool(const char *name, const char *env, char *path,
		   size_t size);

/* An fd of /dev/mailbox, or -errno. */
int mbx_dev_open(void);

/* CLOCK_MONOTONIC in ns, the clock of every timeout of the uAPI. */
__u64 mbx_now_ns(void);

/* Sleep @ms milliseconds, whatever signals come. */
void mbx_sleep_ms(unsigned int ms);

/*
 * Wait until thread or process @tid sleeps ('S' in its stat), i.e. it
 * reached the blocking call it was started for: 0, or -ETIMEDOUT after
 * 10 s.
 */
int mbx_wait_sleeping(pid_t tid);

/*
 * A name no other mailbox of this run has: "kst.<tag>.<pid>.<n>". @name
 * must have room for MBX_NAME_MAX bytes; it is NUL padded, as the uAPI
 * wants it.
 */
void mbx_unique_name(char *name, const char *tag);

/* Copy @name NUL padded into a uAPI name field (MBX_NAME_MAX bytes). */
void mbx_set_name(__u8 *dst, const char *name);

/* MBX_IOC_BOX_CREATE: a new mailbox fd (read-write, cloexec) or -errno. */
int mbx_create(int dev, const char *name, __u32 nslots,
	       __u32 slot_size, __u32 mode);

/* MBX_IOC_BOX_OPEN with MBX_ACCESS_* @access: a mailbox fd or -errno. */
int mbx_open(int dev, const char *name, __u32 access);

int mbx_destroy(int dev, const char *name);

int mbx_info(int fd, struct mbx_info_args *info);

/* MBX_IOC_BOX_SET of what @flags (MBX_SET_*) names; 0 or -errno. */
int mbx_set(int fd, __u32 flags, __u32 uid, __u32 gid, __u32 mode);

/* A mailbox's mapping, both planes, as MBX_IOC_BOX_INFO describes it. */
struct mbx_map {
	unsigned char *base;
	size_t size;
	__u32 nslots;
	__u32 slot_size;
	__u64 call_off;
	__u64 reply_off;
};

/* Map the whole mailbox of @fd shared with @prot; 0 or -errno. */
int mbx_map(int fd, int prot, struct mbx_map *m);

void mbx_unmap(struct mbx_map *m);

void *mbx_call_plane(const struct mbx_map *m, __u32 slot);

void *mbx_reply_plane(const struct mbx_map *m, __u32 slot);

/*
 * MBX_IOC_SLOT_ACQUIRE: @flags MBX_WAIT_* | MBX_ACQUIRE_ANY, @timeout_ns
 * absolute CLOCK_MONOTONIC with MBX_WAIT_TIMEOUT. Returns the slot index
 * or -errno; *@out_flags (if not NULL) gets MBX_ACQUIRED_*.
 */
int mbx_acquire(int fd, __u32 flags, __u32 slot,
		__u64 timeout_ns, __u32 *out_flags);

int mbx_release(int fd, __u32 slot);

/*
 * MBX_IOC_CALL_SUBMIT; 0 or -errno, *@call_id (if not NULL) the new id.
 * mbx_submit_call() also sets the stored call flags (MBX_CALL_*).
 */
int mbx_submit(int fd, __u32 slot, __u32 opcode, __u32 len,
	       __u64 user_data, __u64 *call_id);
int mbx_submit_call(int fd, __u32 slot, __u32 opcode, __u32 len,
		    __u32 call_flags, __u64 user_data, __u64 *call_id);

/* MBX_IOC_CALL_TAKE without completing anything; 0 or -errno. */
int mbx_take(int fd, __u32 flags, __u64 timeout_ns,
	     struct mbx_call *call);

int mbx_complete(int fd, __u32 slot, __u64 call_id,
		 __s32 status, __u32 len);

/*
 * MBX_IOC_CALL_COLLECT: with MBX_COLLECT_CALL in @flags the reply to
 * (@slot, @call_id), otherwise any reply to this fd's calls.
 */
int mbx_collect(int fd, __u32 flags, __u32 slot,
		__u64 call_id, __u64 timeout_ns,
		struct mbx_call *call);

/* MBX_IOC_SLOT_INFO of one slot; 0 or -errno. */
int mbx_slot_info(int fd, __u32 slot, struct mbx_slot_info *info);

/* The state (MBX_SLOT_*) of @slot as MBX_IOC_SLOT_INFO reports it, or -errno. */
int mbx_slot_state(int fd, __u32 slot);

int mbx_stats(int fd, struct mbx_stats_args *st);

/* Whether the text view (MBX_PROC) shows @needle: 1, 0, or -errno. */
int mbx_proc_contains(const char *needle);

/* ------------------------------------------------------------------ */
/* Parties: mailboxes by name, calls with bounded waits, processes      */

#define SAFETY_MS	10000		/* generous bound on any wait */

/*
 * The mailbox and the call of the process-level tests (cancel, recovery,
 * inspect, notify): box_create() makes slots of MBX_PARTY_SLOT_SIZE bytes,
 * call_submit() submits MBX_PARTY_OPCODE. A test that defines
 * MBX_PARTY_NAMES before it includes this header gets them under the
 * short names as well.
 */
#define MBX_PARTY_NSLOTS	8
#define MBX_PARTY_SLOT_SIZE	256
#define MBX_PARTY_CALL_LEN	200
#define MBX_PARTY_REPLY_LEN	240
#define MBX_PARTY_OPCODE	7
#ifdef MBX_PARTY_NAMES
#define NSLOTS		MBX_PARTY_NSLOTS
#define SLOT_SIZE	MBX_PARTY_SLOT_SIZE
#define CALL_LEN	MBX_PARTY_CALL_LEN
#define REPLY_LEN	MBX_PARTY_REPLY_LEN
#define OPCODE		MBX_PARTY_OPCODE
#endif
#define REPLY_SALT	0x5eedf00dcafe1234ULL

/* Now + @ms, in CLOCK_MONOTONIC ns. */
__u64 deadline(unsigned int ms);

/* Create a mailbox of MBX_PARTY_SLOT_SIZE slots, mode 0600; its fd or -errno. */
int box_create(const char *name, __u32 nslots, __u64 reclaim_ns);

int box_open(const char *name, __u32 access);

int box_destroy(const char *name);

/* A mailbox fd and its read-write mapping. */
struct tbox {
	int fd;
	__u32 nslots;
	__u32 slot_size;
	struct mbx_map m;
};

int tbox_attach(struct tbox *b, int fd);

/* Open @name read-write and map it; returns 0 or -errno. */
int tbox_open(struct tbox *b, const char *name);

void tbox_close(struct tbox *b);

unsigned char *call_plane(struct tbox *b, __u32 slot);

unsigned char *reply_plane(struct tbox *b, __u32 slot);

/*
 * The wait flags of a blocking call: nonblocking if asked, else a wait
 * bounded by SAFETY_MS, so that a lost wakeup fails the test, not hangs it.
 */
__u32 wait_flags(__u32 flags, __u64 *timeout_ns);

/* Returns the slot acquired, or -errno. */
int acquire_any(int fd, __u32 flags, __u32 *out_flags);

int acquire_slot(int fd, __u32 slot, __u32 flags,
		 __u32 *out_flags);

int slot_release(int fd, __u32 slot);

int call_submit(int fd, __u32 slot, __u32 len, __u32 flags,
		__u64 user_data, __u64 *id);

/* Take the oldest pending call. */
int call_take(int fd, __u32 flags, struct mbx_call *c);

int call_complete(int fd, __u32 slot, __u64 id,
		  __s32 status, __u32 len);

/*
 * Collect a reply: with MBX_COLLECT_CALL in @flags the call (slot, id),
 * else any of this fd's (then @slot and @id are 0).
 */
int call_collect(int fd, __u32 flags, __u32 slot, __u64 id,
		 struct mbx_call *c);

int call_cancel(int fd, __u32 slot, __u64 id, __u32 *out_state);

/* Drain up to @n events; returns how many, or -errno. */
int events_read(int fd, struct mbx_event *ev, __u32 n);

int slot_get(int fd, __u32 slot, struct mbx_slot_info *si);

int box_stats(int fd, struct mbx_stats_args *st);

int box_reclaim(int fd, __u64 min_age_ns);

/* poll() for @events; returns the revents seen (0 on timeout). */
short poll_for(int fd, short events, int ms);

/* ---- payload: a tagged pattern with a checksum ---- */

__u64 mix64(__u64 x);

__u32 csum32(const unsigned char *p, size_t n);

/*
 * Layout: tag (8 bytes), length (4), checksum of the rest (4), then
 * bytes derived from the tag.
 */
void payload_fill(unsigned char *p, __u32 len, __u64 tag);

bool payload_ok(const unsigned char *p, __u32 len, __u64 tag);

/* ------------------------------------------------------------------ */
/* Processes and credentials                                            */

/* Shared anonymous memory for parent and children, or NULL. */
void *shm_alloc(size_t size);

/* fork(); the child dies with its parent, runs @fn, exits with its result. */
pid_t spawn(int (*fn)(void *), void *arg);

/* Wait for @pid: its exit status, or 128 + the signal that killed it. */
int reap(pid_t pid);

int kill_reap(pid_t pid);

long futex(_Atomic __u32 *addr, int op, __u32 val, int ms);

void bump(_Atomic __u32 *a);

/* Wait until *@a >= @want; 0 or -ETIMEDOUT after SAFETY_MS. */
int wait_ge(_Atomic __u32 *a, __u32 want);

/* A child stops where it is told to and waits there to be killed. */
void hang(void);

/* What the parent and its callee children share: the mailbox, progress. */
struct mbx_party {
	char name[MBX_NAME_MAX];
	_Atomic __u32 reached;
	_Atomic __u32 answered;
};

/*
 * A callee child (spawn() it with a struct mbx_party in shm_alloc()
 * memory): opens @name, takes one call, bumps @reached, and hangs there
 * without answering until it is killed. Exits 10 or 11 if it could not.
 */
int stuck_callee(void *arg);

/* The uid and gid of the tests' unprivileged second user (nobody). */
#define MBX_OTHER_UID	65534
#define MBX_OTHER_GID	65534

/*
 * The check of a child process, which cannot use the harness's EXPECT_*:
 * it reports the failing line on stderr and exits 1.
 */
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
int mbx_drop_to_other(void);

/*
 * Run @fn(@arg) in a child that is MBX_OTHER_UID/GID without groups (and so
 * without capabilities): what @fn returned, or INT_MIN if the child could
 * not get there.
 */
int mbx_as_other(int (*fn)(void *), void *arg);

/* Send @fd over the unix socket @sock; 0 or -errno. */
int mbx_send_fd(int sock, int fd);

/* Receive an fd from the unix socket @sock; the fd or -errno. */
int mbx_recv_fd(int sock);

/* One byte over a pipe or socket, to step two processes in turn. */
int mbx_signal(int fd);

int mbx_wait_signal(int fd);

/* fork(); the child dies with its parent. */
pid_t mbx_fork(void);

/* The exit status of @pid, or 128 + the signal that killed it. */
int mbx_reap(pid_t pid);

/* ------------------------------------------------------------------ */
/* Files and the module's parameters                                    */

#define MBX_PARAMS	"/sys/module/mbx/parameters/"

/* The limits a test may lower, saved and restored together. */
extern const char *const param_names[];
#define NPARAMS		6

struct params {
	char val[NPARAMS][32];
};

/* The first @len - 1 bytes of @path, NUL terminated; 0 or -1. */
int file_read(const char *path, char *buf, size_t len);

/* Write @val to @path in one write(); 0 or -1. */
int file_write(const char *path, const char *val);

/* The module parameter @name: set it (0 or -1), read it (-1UL: unreadable). */int param_set(const char *name, unsigned long val);
unsigned long param_get(const char *name);

/* Every parameter of param_names: saved (0 or -1), restored. */
int params_save(struct params *p);
void params_restore(const struct params *p);

/*
 * A process in a session of its own (the harness kills the test's process
 * group on a timeout) that restores @saved when the test dies before it
 * did.  Returns the fd the test writes a byte to once it restored them.
 */
int params_guard(const struct params *saved);

/* ------------------------------------------------------------------ */
/* libmailbox's tests (lib_*_test.c)                                    */

#define LIB_NSLOTS	4
#define LIB_SLOT_SIZE	128
#define LIB_MAX_ERRNO	4095	/* the kernel's MAX_ERRNO */
#define MBX_SEC_NS	1000000000ULL
#define MBX_MSEC_NS	1000000ULL

/* Skip from a fixture's setup: the 6.1 harness would run the test anyway. */
#define SKIP_SETUP(fmt, ...) \
	SKIP(longjmp(_metadata->env, 1), fmt, ##__VA_ARGS__)

#define SKIP_IF_NO_DEVICE() do { \
	if (mbx_device_absent()) \
		SKIP(return, MBX_DEV " absent: mbx.ko not loaded"); \
} while (0)

#define SKIP_IF_NOT_ROOT() do { \
	if (geteuid()) \
		SKIP(return, "needs root"); \
} while (0)

/*
 * The fixture @fx of the library's tests: self->mb, a new mailbox of
 * LIB_NSLOTS x LIB_SLOT_SIZE, mode 0600, named self->name; skips when the
 * device is absent. Use it once per fixture at file scope (a fixture with
 * variants declares FIXTURE_VARIANT(@fx) after it).
 */
#define LIB_FIXTURE(fx)							\
FIXTURE(fx) {								\
	struct mailbox mb;						\
	char name[MBX_NAME_MAX];					\
};									\
									\
FIXTURE_SETUP(fx)							\
{									\
	if (mbx_device_absent())					\
		SKIP_SETUP(MBX_DEV " absent: mbx.ko not loaded");	\
	mbx_unique_name(self->name, "lib");				\
	ASSERT_EQ(0, mailbox_create(&self->mb, self->name, LIB_NSLOTS,	\
				    LIB_SLOT_SIZE, 0600, 0,		\
				    MBX_CREATE_CLOEXEC));		\
}									\
									\
FIXTURE_TEARDOWN(fx)							\
{									\
	if (self->mb.fd >= 0)						\
		mailbox_close(&self->mb);				\
	mailbox_destroy(self->name);					\
}

/*
 * The call-path functions take a struct mbx_call; these build one from the
 * loose values a test has at hand, call the function once (one ioctl) and
 * hand the results back. t_submit_collect(): MBX_CALL_AT_MOST_ONCE in
 * @flags goes with the call, the rest to the wait. t_complete_take():
 * *@out_flags gets what it returned (MBX_TAKEN_*), or on failure
 * MBX_TAKEN_DONE if the call was answered all the same.
 */
int t_submit(struct mailbox *mb, uint32_t slot, uint32_t opcode,
	     uint32_t len, uint64_t user_data, uint32_t call_flags,
	     uint64_t *id);
int t_submit_collect(struct mailbox *mb, uint32_t slot,
		     uint32_t opcode, uint32_t len, uint64_t user_data,
		     uint32_t flags, uint64_t timeout_ns, uint64_t *id,
		     struct mbx_call *reply);
int t_complete_take(struct mailbox *mb, uint32_t slot,
		    uint64_t call_id, int32_t status, uint32_t len,
		    uint32_t flags, uint64_t timeout_ns,
		    struct mbx_call *next, uint32_t *out_flags);

/*
 * Begin a call through @mb: acquire any slot, write @msg into its call
 * plane, submit. Returns the slot or -errno; the id in @id.
 */
int lib_start_call(struct mailbox *mb, uint32_t opcode, const char *msg,
		   uint32_t flags, uint64_t *id);

/* Take the oldest call without waiting; -errno on failure. */
int lib_take_now(struct mailbox *mb, struct mbx_call *call);

/* Answer @call with @msg in its reply plane. */
int lib_answer(struct mailbox *mb, const struct mbx_call *call,
	       int32_t status, const char *msg);

/* A second session on the mailbox @name (cloexec); 0 or -errno. */
int lib_open_again(const char *name, struct mailbox *mb, uint32_t access);

/* The lowest fd number not in use. */
int lib_lowest_free_fd(void);

/*
 * Signals that interrupt the waits: lib_poke_me() arms SIGUSR1 (with or
 * without SA_RESTART) and starts @thr, which sends it to this thread
 * 50 ms later; lib_signals_seen counts the deliveries.
 */
struct lib_poke {
	pthread_t target;
	unsigned int delay_ms;
};

extern volatile sig_atomic_t lib_signals_seen;
void lib_poke_me(pthread_t *thr, struct lib_poke *p, int restart);

/* What a thread does to @mb after @delay_ms, and what came of it. */
struct lib_later {
	struct mailbox *mb;
	unsigned int delay_ms;
	uint32_t slot;
	uint64_t call_id;
	int32_t status;
	int ret;
};

/* A thread: after @delay_ms, take a call and complete it with @status. */
void *lib_complete_later(void *arg);

/* Children that open their own session and die: recovery tests. */
enum child_role {
	CHILD_TAKES,		/* take one call, tell the parent, die */
	CHILD_CALLS,		/* make one call, tell the parent, die */
	CHILD_OWNS,		/* acquire slot 0, write it, die */
	CHILD_EDITS,		/* revoke the call named in the pipe, die */
};

struct child_msg {
	int32_t ret;
	uint32_t slot;
	uint64_t call_id;
};

/*
 * Fork a child that opens @name and plays @role, then exits without
 * answering, collecting or releasing. Returns what the child reported.
 */
struct child_msg lib_run_child(const char *name, enum child_role role,
			       uint32_t call_flags, uint32_t slot,
			       uint64_t call_id);

#endif /* MBX_SELFTEST_HELPERS_H */
