// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "slautil.h"

const char *sla_prog = "sla";

int64_t sla_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t sla_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void sla_sleep_ns(int64_t ns)
{
	struct timespec ts = { ns / 1000000000LL, ns % 1000000000LL };

	while (ns > 0 && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void sla_log(const char *fmt, ...)
{
	char buf[1024], when[32];
	int64_t now = sla_now_ns();
	time_t t = now / 1000000000LL;
	struct tm tm;
	va_list ap;
	int n;

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	n = snprintf(buf, sizeof(buf), "%s.%03d %s[%d]: ", when,
		     (int)(now / 1000000 % 1000), sla_prog, (int)getpid());
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	va_end(ap);
	n = strlen(buf);
	buf[n++] = '\n';
	if (write(2, buf, n) < 0)
		return;
}

int sla_mb_serve(struct mailbox *mb, const char *name, uint32_t nslots,
		 uint32_t slot_size)
{
	int ret;

	for (int i = 0; i < 3; i++) {
		ret = mailbox_open(mb, name, MBX_ACCESS_READ | MBX_ACCESS_WRITE,
				   MBX_OPEN_CLOEXEC);
		if (ret != -ENOENT)
			break;
		ret = mailbox_create(mb, name, nslots, slot_size, 0660,
				     SLA_RECLAIM_NS, MBX_CREATE_CLOEXEC);
		if (ret != -EEXIST)
			break;
	}
	if (ret == 0 && (mb->nslots != nslots || mb->slot_size < slot_size))
		sla_log("warning: %s has %u slots of %u bytes, not %u of %u",
			name, mb->nslots, mb->slot_size, nslots, slot_size);
	return ret;
}

int sla_mb_open(struct mailbox *mb, const char *name, uint32_t access,
		int wait_ms)
{
	int64_t end = sla_mono_ns() + (int64_t)wait_ms * 1000000;
	int ret;

	for (;;) {
		ret = mailbox_open(mb, name, access, MBX_OPEN_CLOEXEC);
		if (ret != -ENOENT || sla_mono_ns() >= end)
			return ret;
		sla_sleep_ns(50 * 1000000LL);
	}
}

void sla_rep_ok(struct sla_rep *rep)
{
	memset(rep, 0, sizeof(*rep));
	rep->version = SLA_PROTO_VERSION;
}

void sla_rep_err(struct sla_rep *rep, const char *fmt, ...)
{
	va_list ap;

	sla_rep_ok(rep);
	va_start(ap, fmt);
	vsnprintf(rep->msg, sizeof(rep->msg), fmt, ap);
	va_end(ap);
}

int sla_req_check(const struct mbx_call *call, const void *plane, size_t need,
		  struct sla_rep *rep)
{
	const struct sla_req *req = plane;

	if (call->len < sizeof(*req) || call->len < need) {
		sla_rep_err(rep, "opcode 0x%x: %u bytes, %zu needed",
			    call->opcode, call->len, need);
		return -EINVAL;
	}
	if (req->version != SLA_PROTO_VERSION) {
		sla_rep_err(rep, "protocol version %u, this side speaks %u",
			    req->version, SLA_PROTO_VERSION);
		return -EPROTO;
	}
	return 0;
}

int sla_parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (!*s || *s == '-')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || *end ? -1 : 0;
}

int sla_parse_double(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return errno || *end || !*s || !isfinite(*out) ? -1 : 0;
}

void sla_write_pidfile(const char *path)
{
	FILE *f;

	if (!path || !*path)
		return;
	f = fopen(path, "w");
	if (!f) {
		sla_log("pid file %s: %s", path, strerror(errno));
		return;
	}
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
}
