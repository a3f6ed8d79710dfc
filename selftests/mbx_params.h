/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The module's parameters, for the selftests that lower the limits: read
 * and write one, save them all, restore them, and a guard process that
 * restores them if the test dies first.
 */
#ifndef MBX_SELFTEST_PARAMS_H
#define MBX_SELFTEST_PARAMS_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MBX_PARAMS	"/sys/module/mbx/parameters/"

static const char *const param_names[] = {
	"max_boxes", "user_max_boxes", "max_slots", "max_slot_size",
	"max_box_bytes", "user_max_bytes",
};
#define NPARAMS (sizeof(param_names) / sizeof(param_names[0]))

struct params {
	char val[NPARAMS][32];
};

static inline int file_read(const char *path, char *buf, size_t len)
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

static inline int file_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

static inline int param_set(const char *name, unsigned long val)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), MBX_PARAMS "%s", name);
	snprintf(buf, sizeof(buf), "%lu", val);
	return file_write(path, buf);
}

static inline unsigned long param_get(const char *name)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), MBX_PARAMS "%s", name);
	if (file_read(path, buf, sizeof(buf)))
		return -1UL;
	return strtoul(buf, NULL, 0);
}

static inline int params_save(struct params *p)
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

static inline void params_restore(const struct params *p)
{
	char path[128];
	size_t i;

	for (i = 0; i < NPARAMS; i++) {
		snprintf(path, sizeof(path), MBX_PARAMS "%s", param_names[i]);
		file_write(path, p->val[i]);
	}
}

/*
 * A process in a session of its own (the harness kills the test's process
 * group on a timeout) that restores @saved when the test dies before it
 * did.  Returns the fd the test writes a byte to once it restored them.
 */
static inline int params_guard(const struct params *saved)
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

#endif /* MBX_SELFTEST_PARAMS_H */
