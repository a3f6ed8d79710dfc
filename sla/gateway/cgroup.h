/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Access to the cgroup v2 io controller's files: io.stat and io.max of one
 * cgroup under a root directory (/sys/fs/cgroup, or a fake tree in tests).
 *
 * Every function returns 0 or a negative errno.
 */
#ifndef SLA_GATEWAY_CGROUP_H
#define SLA_GATEWAY_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

/* A cgroup name longer than this is refused. */
#define CG_NAME_MAX 255

/* The io.max keys, in the order the kernel prints them. */
enum cg_limit {
	CG_RBPS,
	CG_WBPS,
	CG_RIOPS,
	CG_WIOPS,
	CG_NR_LIMITS,
};

/* "max" (no limit) is CG_MAX. */
#define CG_MAX UINT64_MAX

extern const char *const cg_limit_names[CG_NR_LIMITS];
/* The largest value each limit takes: iops are 32 bits in blk-throttle. */
extern const uint64_t cg_limit_max[CG_NR_LIMITS];

/*
 * A cgroup name is one or more components of [A-Za-z0-9._-], joined by '/',
 * none of them "." or "..", no leading or trailing '/', no "//".
 */
bool cg_name_valid(const char *name);

/* A device is "MAJ:MIN", both decimal numbers without a sign. */
bool cg_device_valid(const char *dev);

/* 0 when root/name is a directory; -ENOENT, -ENOTDIR, ... otherwise. */
int cg_exists(const char *root, const char *name);

/*
 * Read root/name/file ("io.stat" or "io.max") into buf, NUL-terminated;
 * -EFBIG when it does not fit.
 */
int cg_read(const char *root, const char *name, const char *file,
	    char *buf, size_t size);

/*
 * Walk the lines of an io.stat or io.max text: for each "MAJ:MIN k=v k=v"
 * line call dev() once, then kv() for each pair.  A callback returning
 * non-zero stops the walk with that value.  The text is modified.
 */
struct cg_walk {
	int (*dev)(void *ctx, const char *dev);
	int (*kv)(void *ctx, const char *dev, const char *key, const char *val);
	void *ctx;
};
int cg_parse(char *text, const struct cg_walk *w);

/*
 * Write one io.max line for dev with the limits whose set[] is true (CG_MAX
 * writes "max"), in a single write(2) as the kernel expects.
 */
int cg_write_max(const char *root, const char *name, const char *dev,
		 const uint64_t val[CG_NR_LIMITS],
		 const bool set[CG_NR_LIMITS]);

#endif
