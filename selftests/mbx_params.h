/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The module-parameter part of mbx_helpers.h, alone, for mbx_fuzz_test.c
 * (which has helpers of its own under the names mbx_helpers.h uses
 * elsewhere) until it includes mbx_helpers.h; mbx_helpers.c, linked into
 * every test, defines these.
 */
#ifndef MBX_SELFTEST_PARAMS_H
#define MBX_SELFTEST_PARAMS_H

#include <stddef.h>

#ifndef MBX_SELFTEST_HELPERS_H
#define MBX_PARAMS	"/sys/module/mbx/parameters/"

extern const char *const param_names[];
#define NPARAMS		6

struct params {
	char val[NPARAMS][32];
};

int file_read(const char *path, char *buf, size_t len);
int file_write(const char *path, const char *val);
int param_set(const char *name, unsigned long val);
unsigned long param_get(const char *name);
int params_save(struct params *p);
void params_restore(const struct params *p);
int params_guard(const struct params *saved);
#endif

#endif /* MBX_SELFTEST_PARAMS_H */
