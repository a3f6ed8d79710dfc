// SPDX-License-Identifier: GPL-2.0
/*
 * sla-dbm: the database manager.  Serves the "sla-db" mailbox over a pool
 * of libsladb connections: one worker thread per connection, each with its
 * own mailbox session, each call mapped to one sladb function.  -EBUSY
 * from the database (locked past the busy timeout) is retried a few times,
 * then answered as back-pressure; -EPROTO (a schema newer than this code)
 * stops the manager.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/slacfg.h"
#include "../common/slautil.h"
#include "../db/sladb.h"

static const char *db_addr;	/* default sla.db */
static int pool;		/* default 4 */
static int64_t keep_ns = 3600LL * 1000000000LL;
static volatile sig_atomic_t stop;
static atomic_ullong samples_stored, decisions_stored, busy_retries, calls;
static atomic_int fatal;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t lim_in(uint64_t v)
{
	return v;	/* SLA_LIMIT_MAX == SLADB_MAX */
}

static void decision_to_db(const struct sla_decision *in,
			   struct sladb_decision *d)
{
	d->ts_ns = in->ts_ns;
	d->host = in->host;
	d->device = in->device;
	d->action = in->action;
	d->old_limits = (struct sladb_limits){ lim_in(in->old_limits.riops),
		lim_in(in->old_limits.wiops), lim_in(in->old_limits.rbps),
		lim_in(in->old_limits.wbps) };
	d->new_limits = (struct sladb_limits){ lim_in(in->new_limits.riops),
		lim_in(in->new_limits.wiops), lim_in(in->new_limits.rbps),
		lim_in(in->new_limits.wbps) };
	d->reason = in->reason;
	d->call_id = in->call_id;
}

static void sla_from_db(const struct sladb_sla *in, struct sla_sla *out)
{
	memset(out, 0, sizeof(*out));
	sla_strset(out->host, sizeof(out->host), in->host);
	out->lat_ceiling_us = in->lat_ceiling_us;
	out->iops_floor = in->iops_floor;
	out->bps_floor = in->bps_floor;
	out->priority = in->priority;
	out->cap_iops = in->cap_iops;
	out->cap_bps = in->cap_bps;
	out->updated_ns = in->updated_ns;
}

static void window_from_db(const struct sladb_window *in, struct sla_window *w)
{
	w->count = in->count;
	w->first_ts_ns = in->first_ts_ns;
	w->last_ts_ns = in->last_ts_ns;
	w->riops = in->riops;
	w->wiops = in->wiops;
	w->rbps = in->rbps;
	w->wbps = in->wbps;
	w->lat_mean_us = in->lat_mean_us;
	w->lat_p50_us = in->lat_p50_us;
	w->lat_p99_us = in->lat_p99_us;
	w->lat_max_us = in->lat_max_us;
}

struct list_ctx {
	void *out;		/* the entries */
	uint32_t room, count;
	uint64_t skip, seen;
	int more;
};

static int decision_cb(void *vctx, const struct sladb_decision *d)
{
	struct list_ctx *c = vctx;
	struct sla_decision *o;

	if (c->seen++ < c->skip)
		return 0;
	if (c->count == c->room) {
		c->more = 1;
		return 1;
	}
	o = (struct sla_decision *)c->out + c->count++;
	memset(o, 0, sizeof(*o));
	o->ts_ns = d->ts_ns;
	snprintf(o->host, sizeof(o->host), "%s", d->host);
	snprintf(o->device, sizeof(o->device), "%s", d->device);
	snprintf(o->action, sizeof(o->action), "%s", d->action);
	o->old_limits = (struct sla_limits){ d->old_limits.riops,
		d->old_limits.wiops, d->old_limits.rbps, d->old_limits.wbps };
	o->new_limits = (struct sla_limits){ d->new_limits.riops,
		d->new_limits.wiops, d->new_limits.rbps, d->new_limits.wbps };
	snprintf(o->reason, sizeof(o->reason), "%s", d->reason ? d->reason : "");
	o->call_id = d->call_id;
	return 0;
}

static int sla_cb(void *vctx, const struct sladb_sla *s)
{
	struct list_ctx *c = vctx;

	if (c->seen++ < c->skip)
		return 0;
	if (c->count == c->room) {
		c->more = 1;
		return 1;
	}
	sla_from_db(s, (struct sla_sla *)c->out + c->count++);
	return 0;
}

static int host_ok(const char *h, size_t size, struct sla_rep *rep, const char *what)
{
	if (!sla_strok(h, size) || !h[0]) {
		sla_rep_err(rep, "%s: not a NUL-terminated, non-empty string", what);
		return 0;
	}
	return 1;
}

/* One call: returns the status, *len the reply's length. */
static int serve(struct sladb *db, struct mailbox *mb, const struct mbx_call *call,
		 uint32_t *len)
{
	const void *in = mailbox_call_plane(mb, call->slot);
	unsigned char *out = mailbox_reply_plane(mb, call->slot);
	struct sla_rep *rep = (struct sla_rep *)out;
	void *body = out + sizeof(*rep);
	uint32_t room_bytes = mb->slot_size - sizeof(*rep);
	int ret = 0;

	*len = sizeof(*rep);
	sla_rep_ok(rep);
	switch (call->opcode) {
	case SLA_DB_PING: {
		struct sla_db_status *st = body;
		int v = 0;

		if ((ret = sla_req_check(call, in, sizeof(struct sla_req), rep)))
			break;
		memset(st, 0, sizeof(*st));
		ret = sladb_schema_version(db, &v);
		st->schema_version = v;
		st->pool = pool;
		snprintf(st->engine, sizeof(st->engine), "%s", sladb_engine_name(db));
		st->samples_stored = samples_stored;
		st->decisions_stored = decisions_stored;
		st->busy_retries = busy_retries;
		*len += sizeof(*st);
		break;
	}
	case SLA_DB_SAMPLES_PUT: {
		const struct sla_db_samples *r = in;
		struct sladb_sample s[128];

		if ((ret = sla_req_check(call, in, sizeof(*r), rep)))
			break;
		if (r->count > 128 ||
		    call->len < sizeof(*r) + r->count * sizeof(r->samples[0])) {
			sla_rep_err(rep, "count %u: more than the call holds", r->count);
			ret = -EINVAL;
			break;
		}
		for (uint32_t i = 0; i < r->count; i++) {
			const struct sla_sample *x = &r->samples[i];

			if (!host_ok(x->host, sizeof(x->host), rep, "host") ||
			    !host_ok(x->device, sizeof(x->device), rep, "device")) {
				ret = -EINVAL;
				break;
			}
			s[i] = (struct sladb_sample){ x->ts_ns, x->host, x->device,
				x->riops, x->wiops, x->rbps, x->wbps, x->lat_mean_us,
				x->lat_p50_us, x->lat_p99_us, x->lat_max_us };
		}
		if (ret)
			break;
		ret = sladb_insert_samples(db, s, r->count);
		if (!ret)
			samples_stored += r->count;
		break;
	}
	case SLA_DB_DECISION_PUT: {
		const struct sla_db_decision_put *r = in;
		struct sladb_decision d;

		if ((ret = sla_req_check(call, in, sizeof(*r), rep)))
			break;
		if (!host_ok(r->d.host, sizeof(r->d.host), rep, "host") ||
		    !host_ok(r->d.device, sizeof(r->d.device), rep, "device") ||
		    !host_ok(r->d.action, sizeof(r->d.action), rep, "action") ||
		    !sla_strok(r->d.reason, sizeof(r->d.reason))) {
			ret = -EINVAL;
			break;
		}
		decision_to_db(&r->d, &d);
		ret = sladb_insert_decision(db, &d);
		if (!ret)
			decisions_stored++;
		break;
	}
	case SLA_DB_WINDOW: {
		const struct sla_db_window_req *r = in;
		struct sladb_window w;

		if ((ret = sla_req_check(call, in, sizeof(*r), rep)))
			break;
		if (!host_ok(r->host, sizeof(r->host), rep, "host") ||
		    !host_ok(r->device, sizeof(r->device), rep, "device")) {
			ret = -EINVAL;
			break;
		}
		ret = sladb_window(db, r->host, r->device, r->now_ns, r->window_ns, &w);
		if (!ret) {
			window_from_db(&w, body);
			*len += sizeof(struct sla_window);
		}
		break;
	}
	case SLA_DB_SERIES: {
		const struct sla_db_series_req *r = in;
		struct sla_db_series *o = body;
		uint32_t room = sla_fit(room_bytes, sizeof(*o), sizeof(o->w[0]));

		if ((ret = sla_req_check(call, in, sizeof(*r), rep)))
			break;
		if (!host_ok(r->host, sizeof(r->host), rep, "host") ||
		    !host_ok(r->device, sizeof(r->device), rep, "device")) {
			ret = -EINVAL;
			break;
		}
		if (!r->points || r->points > SLA_SERIES_MAX || r->points > room ||
		    r->step_ns <= 0) {
			sla_rep_err(rep, "points must be 1..%u and step_ns > 0",
				    room < SLA_SERIES_MAX ? room : SLA_SERIES_MAX);
			ret = -EINVAL;
			break;
		}
		o->count = 0;
		for (uint32_t i = 0; i < r->points && !ret; i++) {
			struct sladb_window w;

			ret = sladb_window(db, r->host, r->device,
					   r->from_ns + (int64_t)(i + 1) * r->step_ns,
					   r->step_ns, &w);
			if (!ret)
				window_from_db(&w, &o->w[o->count++]);
		}
		if (!ret)
			*len += sizeof(*o) + o->count * sizeof(o->w[0]);
		break;
	}
	case SLA_DB_DECISIONS: {
		const struct sla_db_decisions_req *r = in;
		struct sla_db_decisions *o = body;
		struct list_ctx c = { o->d, sla_fit(room_bytes, sizeof(*o), sizeof(o->d[0])),
				      0, 0, 0, 0 };

		if ((ret = sla_req_check(call, in, sizeof(*r), rep)))
			break;
		c.skip = r->req.cursor;
		ret = sladb_decisions(db, r->since_ns, decision_cb, &c);
		if (ret)
			break;
		o->count = c.count;
		o->__pad = 0;
		if (c.more) {
			rep->flags |= SLA_REP_MORE;
			rep->next_cursor = c.skip + c.count;
		}
		*len += sizeof(*o) + c.count * sizeof(o->d[0]);
		break;
	}
	case SLA_DB_SLA_PUT: {
		const struct sla_db_sla_put *r = in;
		struct sladb_sla s;

		if ((ret = sla_req_check(call, in, sizeof(*r), rep)))
			break;
		if (!host_ok(r->sla.host, sizeof(r->sla.host), rep, "host")) {
			ret = -EINVAL;
			break;
		}
		s = (struct sladb_sla){ r->sla.host, r->sla.lat_ceiling_us,
			r->sla.iops_floor, r->sla.bps_floor, r->sla.priority,
			r->sla.cap_iops, r->sla.cap_bps, r->sla.updated_ns };
		ret = sladb_sla_put(db, &s);
		break;
	}
	case SLA_DB_SLA_GET:
	case SLA_DB_SLA_DELETE: {
		const struct sla_db_host_req *r = in;
		struct sladb_sla s;

		if ((ret = sla_req_check(call, in, sizeof(*r), rep)))
			break;
		if (!host_ok(r->host, sizeof(r->host), rep, "host")) {
			ret = -EINVAL;
			break;
		}
		if (call->opcode == SLA_DB_SLA_DELETE) {
			ret = sladb_sla_delete(db, r->host);
		} else {
			ret = sladb_sla_get(db, r->host, &s);
			if (!ret) {
				sla_from_db(&s, body);
				*len += sizeof(struct sla_sla);
			}
		}
		if (ret == -ENOENT)
			sla_rep_err(rep, "no SLA for host %s", r->host);
		break;
	}
	case SLA_DB_SLA_LIST: {
		const struct sla_req *r = in;
		struct sla_sla_list *o = body;
		struct list_ctx c = { o->s, sla_fit(room_bytes, sizeof(*o), sizeof(o->s[0])),
				      0, 0, 0, 0 };

		if ((ret = sla_req_check(call, in, sizeof(*r), rep)))
			break;
		c.skip = r->cursor;
		ret = sladb_sla_list(db, sla_cb, &c);
		if (ret)
			break;
		o->count = c.count;
		o->__pad = 0;
		if (c.more) {
			rep->flags |= SLA_REP_MORE;
			rep->next_cursor = c.skip + c.count;
		}
		*len += sizeof(*o) + c.count * sizeof(o->s[0]);
		break;
	}
	default:
		sla_rep_err(rep, "unknown opcode 0x%x", call->opcode);
		return -EOPNOTSUPP;
	}
	if (ret && !rep->msg[0])
		sla_rep_err(rep, "%s", sladb_errmsg(db));
	if (ret)
		*len = sizeof(*rep);
	return ret;
}

struct worker {
	pthread_t tid;
	int id;
	struct sladb *db;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct mbx_call call = { .call_id = 0 };
	int32_t status = 0;
	uint32_t len = 0;
	struct mailbox mb;
	int ret;

	ret = sla_mb_serve(&mb, SLA_MB_DB, SLA_DB_NSLOTS, SLA_DB_SLOT_SIZE);
	if (ret < 0) {
		sla_log("worker %d: mailbox %s: %s", w->id, SLA_MB_DB, strerror(-ret));
		atomic_store(&fatal, 1);
		return NULL;
	}
	while (!stop && !atomic_load(&fatal)) {
		ret = mailbox_complete_take(&mb, &call, status, len, MBX_WAIT_TIMEOUT,
					    mailbox_deadline(200000000ULL), &call);
		if (ret == -ETIMEDOUT || ret == -EINTR)
			continue;
		if (ret < 0 && ret != -ECANCELED) {
			sla_log("worker %d: take: %s", w->id, strerror(-ret));
			break;
		}
		if (ret < 0)
			continue;
		calls++;
		for (int tries = 0;; tries++) {
			status = serve(w->db, &mb, &call, &len);
			if (status != -EBUSY || tries == 3)
				break;
			busy_retries++;
			sla_sleep_ns(20000000LL);
		}
	}
	if (call.call_id) {
		ret = mailbox_complete(&mb, &call, status, len);
		if (ret < 0 && ret != -ECANCELED)
			sla_log("worker %d: complete: %s", w->id, strerror(-ret));
	}
	mailbox_close(&mb);
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sla-dbm [options]\n"
		"  -C, --config FILE    the configuration file: the database, its pool and\n"
		"                       the mailboxes' names (the options below win)\n"
		"  -d, --db ADDR        the database: a path, sqlite:PATH or a PostgreSQL\n"
		"                       connection string (default sla.db)\n"
		"  -j, --pool N         connections and worker threads (1..256, default 4)\n"
		"  -k, --keep SECONDS   prune samples older than this (default 3600; 0: never)\n"
		"  -P, --pid-file FILE  write the pid to FILE once serving\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'C' },
		{ "db", required_argument, NULL, 'd' },
		{ "pool", required_argument, NULL, 'j' },
		{ "keep", required_argument, NULL, 'k' },
		{ "pid-file", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct sigaction sa = { .sa_handler = on_stop };
	const char *pidfile = NULL;
	struct sla_conf *conf = NULL;
	char shown[512];
	struct worker *w;
	uint64_t v;
	int opt, ret;

	sla_prog = "sla-dbm";
	while ((opt = getopt_long(argc, argv, "C:d:j:k:P:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'C':
			conf = sla_cfg_load(sla_prog, optarg);
			break;
		case 'd':
			db_addr = optarg;
			break;
		case 'j':
			if (sla_parse_u64(optarg, &v) || v < 1 || v > SLADB_POOL_MAX) {
				fprintf(stderr, "sla-dbm: --pool: '%s' is not 1..%d\n", optarg,
					SLADB_POOL_MAX);
				return 2;
			}
			pool = v;
			break;
		case 'k':
			if (sla_parse_u64(optarg, &v) || v > 10 * 365 * 86400ULL) {
				fprintf(stderr, "sla-dbm: --keep: '%s' is not a number of seconds\n", optarg);
				return 2;
			}
			keep_ns = v * 1000000000LL;
			break;
		case 'P':
			pidfile = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	if (!db_addr)
		db_addr = conf ? conf->db_address : "sla.db";
	if (!pool)
		pool = conf ? (int)conf->db_pool : 4;
	sla_cfg_shown_address(db_addr, shown, sizeof(shown));
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	w = calloc(pool, sizeof(*w));
	if (!w)
		return 1;
	for (int i = 0; i < pool; i++) {
		w[i].id = i;
		ret = sladb_open(db_addr, &w[i].db);
		if (ret < 0) {
			sla_log("open %s: %s", shown, sladb_open_error());
			return 1;
		}
	}
	for (int i = 0; i < pool; i++)
		pthread_create(&w[i].tid, NULL, worker_main, &w[i]);
	sla_write_pidfile(pidfile);
	sla_log("serving %s over %d %s connections to %s", SLA_MB_DB, pool,
		sladb_engine_name(w[0].db), shown);

	/* Prune from the main thread, on a connection of its own. */
	{
		struct sladb *pdb = NULL;
		int64_t next = sla_mono_ns() + 10000000000LL;

		if (keep_ns && sladb_open(db_addr, &pdb) < 0)
			pdb = NULL;
		while (!stop && !atomic_load(&fatal)) {
			sla_sleep_ns(100000000LL);
			if (pdb && sla_mono_ns() >= next) {
				uint64_t n = 0;

				if (sladb_prune_samples(pdb, sla_now_ns() - keep_ns, &n) == 0 && n)
					sla_log("pruned %llu samples", (unsigned long long)n);
				next = sla_mono_ns() + 10000000000LL;
			}
		}
		if (pdb)
			sladb_close(pdb);
	}
	stop = 1;
	for (int i = 0; i < pool; i++) {
		pthread_join(w[i].tid, NULL);
		sladb_close(w[i].db);
	}
	sla_log("stopped after %llu calls (%llu samples, %llu decisions stored)",
		(unsigned long long)calls, (unsigned long long)samples_stored,
		(unsigned long long)decisions_stored);
	free(w);
	return atomic_load(&fatal) ? 1 : 0;
}
