// SPDX-License-Identifier: GPL-2.0
/*
 * sla-ctl: one call to the SLA server's processes from the command line,
 * for scripts, tests and a look at a running server.  It waits for the
 * answer (up to 10 s): it is a tool, not a party of the server.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/slacfg.h"
#include "../common/slautil.h"

static unsigned char reply[65536];

static int do_call(const char *box, uint32_t op, const void *req, uint32_t len,
		   uint32_t *rlen)
{
	struct mailbox mb;
	struct mbx_call c = { 0 };
	struct mbx_call r;
	int ret;

	ret = sla_mb_open(&mb, box, MBX_ACCESS_READ | MBX_ACCESS_WRITE, 0);
	if (ret < 0) {
		fprintf(stderr, "sla-ctl: open %s: %s\n", box, strerror(-ret));
		return 1;
	}
	ret = mailbox_acquire(&mb, 0, MBX_ACQUIRE_ANY | MBX_WAIT_TIMEOUT,
			      mailbox_deadline(10000000000ULL), NULL);
	if (ret < 0) {
		fprintf(stderr, "sla-ctl: %s: no free slot: %s\n", box, strerror(-ret));
		return 1;
	}
	c.slot = ret;
	c.opcode = op;
	c.len = len;
	c.user_data = SLA_UD(SLA_UD_ROLE_TOOL, 1);
	memcpy(mailbox_call_plane(&mb, c.slot), req, len);
	ret = mailbox_submit_collect(&mb, &c, MBX_WAIT_TIMEOUT,
				     mailbox_deadline(10000000000ULL), &r);
	if (ret < 0) {
		fprintf(stderr, "sla-ctl: %s: call 0x%x: %s\n", box, op, strerror(-ret));
		return 1;
	}
	memcpy(reply, mailbox_reply_plane(&mb, r.slot), r.len < sizeof(reply) ? r.len : sizeof(reply));
	*rlen = r.len;
	mailbox_release(&mb, r.slot);
	mailbox_close(&mb);
	if (r.status < 0) {
		const struct sla_rep *rep = (void *)reply;

		fprintf(stderr, "sla-ctl: %s: %s\n", strerror(-r.status),
			r.len >= sizeof(*rep) && sla_strok(rep->msg, sizeof(rep->msg)) ? rep->msg : "");
		return 1;
	}
	return 0;
}

static void print_lim(const char *k, uint64_t v)
{
	if (v == SLA_LIMIT_MAX)
		printf(" %s=max", k);
	else
		printf(" %s=%llu", k, (unsigned long long)v);
}

static void print_sla(const struct sla_sla *s)
{
	printf("%s lat_ceiling_us=%g iops_floor=%g bps_floor=%g priority=%d", s->host,
	       s->lat_ceiling_us, s->iops_floor, s->bps_floor, s->priority);
	print_lim("cap_iops", s->cap_iops);
	print_lim("cap_bps", s->cap_bps);
	printf("\n");
}

static int parse_cap(const char *v, uint64_t *out)
{
	if (!strcmp(v, "max")) {
		*out = SLA_LIMIT_MAX;
		return 0;
	}
	return sla_parse_u64(v, out);
}

static int sla_put(int argc, char **argv)
{
	struct sla_app_sla_put q;
	uint32_t len;
	int i = 1;

	memset(&q, 0, sizeof(q));
	sla_req_init(&q.req, 0);
	q.sla.cap_iops = q.sla.cap_bps = SLA_LIMIT_MAX;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--create"))
			q.req.flags |= SLA_PUT_CREATE;
		else if (!strcmp(argv[i], "--replace"))
			q.req.flags |= SLA_PUT_REPLACE;
		else
			goto bad;
	}
	if (i >= argc || sla_strset(q.sla.host, sizeof(q.sla.host), argv[i]) < 0)
		goto bad;
	for (i++; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		double d;
		uint64_t u;

		if (!eq)
			goto bad;
		*eq++ = 0;
		if (!strcmp(argv[i], "lat_ceiling_us") && !sla_parse_double(eq, &d))
			q.sla.lat_ceiling_us = d;
		else if (!strcmp(argv[i], "iops_floor") && !sla_parse_double(eq, &d))
			q.sla.iops_floor = d;
		else if (!strcmp(argv[i], "bps_floor") && !sla_parse_double(eq, &d))
			q.sla.bps_floor = d;
		else if (!strcmp(argv[i], "priority") && !sla_parse_double(eq, &d) &&
			 d == floor(d) && fabs(d) < 1e6)
			q.sla.priority = (int32_t)d;
		else if (!strcmp(argv[i], "cap_iops") && !parse_cap(eq, &u))
			q.sla.cap_iops = u;
		else if (!strcmp(argv[i], "cap_bps") && !parse_cap(eq, &u))
			q.sla.cap_bps = u;
		else {
			fprintf(stderr, "sla-ctl: %s=%s: unknown key or bad value\n", argv[i], eq);
			return 2;
		}
	}
	if (do_call(SLA_MB_APP, SLA_APP_SLA_PUT, &q, sizeof(q), &len))
		return 1;
	print_sla((const void *)(reply + sizeof(struct sla_rep)));
	return 0;
bad:
	fprintf(stderr, "usage: sla-ctl sla-put [--create|--replace] HOST [KEY=VALUE...]\n");
	return 2;
}

static int stats(void)
{
	const char *const boxes[] = { SLA_MB_DB, SLA_MB_APP, SLA_MB_MON };

	for (int i = 0; i < 3; i++) {
		struct mbx_stats_args s;
		struct mailbox mb;
		int ret = mailbox_open(&mb, boxes[i], MBX_ACCESS_READ, 0);

		if (ret < 0) {
			printf("%s: %s\n", boxes[i], strerror(-ret));
			continue;
		}
		ret = mailbox_stats(&mb, &s);
		if (ret == 0)
			printf("%s submitted=%llu taken=%llu completed=%llu cancelled=%llu "
			       "redelivered=%llu owner_died=%llu pending=%u taken_now=%u "
			       "replied=%u owned=%u sessions=%u max_wait_us=%llu\n", boxes[i],
			       (unsigned long long)s.out_submitted, (unsigned long long)s.out_taken,
			       (unsigned long long)s.out_completed, (unsigned long long)s.out_cancelled,
			       (unsigned long long)s.out_redelivered,
			       (unsigned long long)s.out_owner_died, s.out_pending, s.out_taken_now,
			       s.out_replied, s.out_owned, s.out_sessions,
			       (unsigned long long)(s.out_max_wait_ns / 1000));
		mailbox_close(&mb);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sla_req q;
	uint32_t len;
	const char *cmd;

	sla_prog = "sla-ctl";
	/* -C FILE: the mailboxes' names from the configuration file */
	if (argc > 2 && (!strcmp(argv[1], "-C") || !strcmp(argv[1], "--config"))) {
		sla_cfg_load(sla_prog, argv[2]);
		argv[2] = argv[0];
		argc -= 2;
		argv += 2;
	}
	cmd = argc > 1 ? argv[1] : "";
	sla_req_init(&q, 0);
	if (!strcmp(cmd, "sla-put"))
		return sla_put(argc - 1, argv + 1);
	if (!strcmp(cmd, "sla-delete") && argc == 3) {
		struct sla_db_host_req h;

		memset(&h, 0, sizeof(h));
		sla_req_init(&h.req, 0);
		if (sla_strset(h.host, sizeof(h.host), argv[2]) < 0)
			return 2;
		return do_call(SLA_MB_APP, SLA_APP_SLA_DELETE, &h, sizeof(h), &len);
	}
	if (!strcmp(cmd, "sla-list")) {
		const struct sla_sla_list *l = (void *)(reply + sizeof(struct sla_rep));

		if (do_call(SLA_MB_APP, SLA_APP_SLA_LIST, &q, sizeof(q), &len))
			return 1;
		for (uint32_t i = 0; i < l->count; i++)
			print_sla(&l->s[i]);
		return 0;
	}
	if (!strcmp(cmd, "throttles")) {
		const struct sla_throttle_list *l = (void *)(reply + sizeof(struct sla_rep));

		if (do_call(SLA_MB_APP, SLA_APP_THROTTLES, &q, sizeof(q), &len))
			return 1;
		for (uint32_t i = 0; i < l->count; i++) {
			printf("%s %s", l->t[i].host, l->t[i].device);
			print_lim("riops", l->t[i].limits.riops);
			print_lim("wiops", l->t[i].limits.wiops);
			print_lim("rbps", l->t[i].limits.rbps);
			print_lim("wbps", l->t[i].limits.wbps);
			printf("\n");
		}
		return 0;
	}
	if (!strcmp(cmd, "status")) {
		const struct sla_core_status *s = (void *)(reply + sizeof(struct sla_rep));

		if (do_call(SLA_MB_APP, SLA_APP_STATUS, &q, sizeof(q), &len))
			return 1;
		printf("core pid=%u generation=%u evaluations=%llu throttles_sent=%llu "
		       "modified=%llu withdrawn=%llu adopted=%llu\n", s->pid, s->generation,
		       (unsigned long long)s->evaluations, (unsigned long long)s->throttles_sent,
		       (unsigned long long)s->throttles_modified,
		       (unsigned long long)s->throttles_withdrawn,
		       (unsigned long long)s->calls_adopted);
		for (uint32_t i = 0; i < s->count; i++)
			printf("host %s %s lat_mean_us=%.0f riops=%.0f%s%s%s\n", s->h[i].host,
			       s->h[i].device[0] ? s->h[i].device : "-", s->h[i].lat_mean_us, s->h[i].riops,
			       s->h[i].flags & SLA_HOST_VIOLATED ? " VIOLATED" : "",
			       s->h[i].flags & SLA_HOST_THROTTLED ? " THROTTLED" : "",
			       s->h[i].flags & SLA_HOST_NO_DATA ? " NO-DATA" : "");
		return 0;
	}
	if (!strcmp(cmd, "db-ping")) {
		const struct sla_db_status *s = (void *)(reply + sizeof(struct sla_rep));

		if (do_call(SLA_MB_DB, SLA_DB_PING, &q, sizeof(q), &len))
			return 1;
		printf("engine=%s schema=%u pool=%u samples_stored=%llu decisions_stored=%llu\n",
		       s->engine, s->schema_version, s->pool,
		       (unsigned long long)s->samples_stored,
		       (unsigned long long)s->decisions_stored);
		return 0;
	}
	if (!strcmp(cmd, "gateways")) {
		const struct sla_gw_list *l = (void *)(reply + sizeof(struct sla_rep));

		if (do_call(SLA_MB_MON, SLA_MON_GATEWAYS, &q, sizeof(q), &len))
			return 1;
		for (uint32_t i = 0; i < l->count; i++)
			printf("gateway %s state=%u requests=%llu failures=%llu %s\n", l->g[i].name,
			       l->g[i].state, (unsigned long long)l->g[i].requests,
			       (unsigned long long)l->g[i].failures, l->g[i].msg);
		return 0;
	}
	if (!strcmp(cmd, "stats"))
		return stats();
	if (!strcmp(cmd, "now")) {
		printf("%lld\n", (long long)sla_now_ns());
		return 0;
	}
	fprintf(stderr,
		"usage: sla-ctl [-C FILE] COMMAND\n"
		"  -C, --config FILE   the mailboxes' names from the configuration file\n"
		"  sla-put [--create|--replace] HOST [lat_ceiling_us=N] [iops_floor=N]\n"
		"          [bps_floor=N] [priority=N] [cap_iops=N|max] [cap_bps=N|max]\n"
		"  sla-delete HOST | sla-list | throttles | status   (sla-core, \"sla-app\")\n"
		"  db-ping                                         (sla-dbm, \"sla-db\")\n"
		"  gateways                                        (sla-monitor, \"sla-mon\")\n"
		"  stats               the three mailboxes' counters (inspection)\n"
		"  now                 CLOCK_REALTIME in ns (the database's clock)\n");
	return 2;
}
