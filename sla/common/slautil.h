/* SPDX-License-Identifier: GPL-2.0 */
/*
 * slautil: what the SLA server's mailbox processes share: clocks, logging,
 * opening the three mailboxes, and filling struct sla_rep.
 */
#ifndef SLAUTIL_H
#define SLAUTIL_H

#include <stdarg.h>
#include <stdint.h>

#include <mailbox.h>

#include "../proto.h"

/* CLOCK_REALTIME and CLOCK_MONOTONIC in ns. */
int64_t sla_now_ns(void);
int64_t sla_mono_ns(void);
void sla_sleep_ns(int64_t ns);

/* The program's name in log lines; set once in main(). */
extern const char *sla_prog;
/* "2026-12-02T19:40:01.123 PROG: text" on stderr, one write. */
void sla_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * The callee's side: open the mailbox NAME for reading and writing, or
 * create it with the geometry given when it does not exist (a restarted
 * callee finds the calls that waited for it).
 */
int sla_mb_serve(struct mailbox *mb, const char *name, uint32_t nslots,
		 uint32_t slot_size);
/* A caller's: open NAME, waiting up to wait_ms for its callee to create it. */
int sla_mb_open(struct mailbox *mb, const char *name, uint32_t access,
		int wait_ms);

/* Fill the answer head at the start of a reply plane. */
void sla_rep_ok(struct sla_rep *rep);
void sla_rep_err(struct sla_rep *rep, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A request head that a callee accepts: size and version. */
int sla_req_check(const struct mbx_call *call, const void *plane,
		  size_t need, struct sla_rep *rep);

/* strtoull/strtod with the whole string used; -1 otherwise. */
int sla_parse_u64(const char *s, uint64_t *out);
int sla_parse_double(const char *s, double *out);

/* Write the pid to a file (supervisor, tests); "" or NULL: none. */
void sla_write_pidfile(const char *path);

#endif
