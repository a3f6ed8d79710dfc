// SPDX-License-Identifier: GPL-2.0
/*
 * sladb: argument checks and dispatch to the engine (engine.h).  Nothing
 * here knows SQL.
 */
#include "engine.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Opening again after SQLITE_BUSY: up to 100 times, 20 ms apart. */
#define OPEN_TRIES	100
#define OPEN_RETRY_US	20000

#define NAME_MAX_LEN 255

/*
 * The engines; the first whose prefix or match function takes the address
 * is used, and a plain path is SQLite's.
 */
static const struct sladb_engine *const engines[] = {
	&sladb_sqlite_engine,
	&sladb_pg_engine,
};

/* "scheme://...": a URL no engine took, not a file name. */
static bool is_url(const char *addr)
{
	size_t n = strspn(addr, "abcdefghijklmnopqrstuvwxyz0123456789+.-");

	return n && addr[0] >= 'a' && addr[0] <= 'z' &&
	       !strncmp(addr + n, "://", 3);
}

/* Why the last sladb_open() of this thread failed. */
static __thread char open_error[320];

const char *sladb_open_error(void)
{
	return open_error;
}

void sladb_set_error(struct sladb *db, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(db->errmsg, sizeof(db->errmsg), fmt, ap);
	va_end(ap);
}

const char *sladb_errmsg(const struct sladb *db)
{
	return db ? db->errmsg : "no handle";
}

const char *sladb_engine_name(const struct sladb *db)
{
	return db->engine->name;
}

static bool name_ok(const char *s)
{
	return s && s[0] && strnlen(s, NAME_MAX_LEN + 1) <= NAME_MAX_LEN;
}

static bool rate_ok(double v)
{
	return isfinite(v) && v >= 0;
}

static bool limit_ok(uint64_t v)
{
	return v == SLADB_MAX || v <= (uint64_t)INT64_MAX;
}

static bool limits_ok(const struct sladb_limits *l)
{
	return limit_ok(l->riops) && limit_ok(l->wiops) &&
	       limit_ok(l->rbps) && limit_ok(l->wbps);
}

#define CHECK(db, cond)							\
	do {								\
		if (!(cond)) {						\
			sladb_set_error(db, "%s: invalid argument: %s",	\
					__func__, #cond);		\
			return -EINVAL;					\
		}							\
	} while (0)

int sladb_open_version(const char *addr, int target, struct sladb **out)
{
	const struct sladb_engine *e = NULL;
	const char *rest = addr;
	struct sladb *db;
	int ret;

	*out = NULL;
	open_error[0] = '\0';
	if (!addr || target < 0 || target > SLADB_SCHEMA_VERSION) {
		snprintf(open_error, sizeof(open_error),
			 "invalid address or target version");
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(engines) / sizeof(*engines) && !e; i++) {
		const struct sladb_engine *c = engines[i];

		if (c->match) {
			rest = c->match(addr);
			e = rest ? c : NULL;
		} else if (!strncmp(addr, c->prefix, strlen(c->prefix))) {
			rest = addr + strlen(c->prefix);
			e = c;
		}
	}
	if (!e && is_url(addr)) {
		snprintf(open_error, sizeof(open_error),
			 "%s: no engine for this scheme", addr);
		return -ENOTSUP;
	}
	if (!e) {
		e = engines[0];		/* a plain path: the default engine */
		rest = addr;
	}
	db = calloc(1, sizeof(*db));
	if (!db) {
		snprintf(open_error, sizeof(open_error), "out of memory");
		return -ENOMEM;
	}
	db->engine = e;
	for (int tries = 0;; tries++) {
		ret = e->open(db, rest);
		if (!ret)
			ret = sladb_migrate(db, target);
		/*
		 * Two processes opening a new file at once: SQLite may refuse
		 * one a lock upgrade with SQLITE_BUSY at once, without its busy
		 * handler (waiting could deadlock them), while the other sets
		 * the file up. Open again, a bounded number of times.
		 */
		if (ret != -EBUSY || tries == OPEN_TRIES)
			break;
		if (db->priv)
			e->close(db);
		usleep(OPEN_RETRY_US);
	}
	if (ret) {
		/* A connection string may hold a password: not repeated. */
		snprintf(open_error, sizeof(open_error), "%s: %s",
			 e->match ? e->name : addr, db->errmsg);
		sladb_close(db);
		return ret;
	}
	*out = db;
	return 0;
}

int sladb_open(const char *addr, struct sladb **out)
{
	return sladb_open_version(addr, SLADB_SCHEMA_VERSION, out);
}

void sladb_close(struct sladb *db)
{
	if (!db)
		return;
	if (db->priv)
		db->engine->close(db);
	free(db);
}

int sladb_schema_version(struct sladb *db, int *version)
{
	return db->engine->schema_version(db, version);
}

int sladb_migrate(struct sladb *db, int target)
{
	int v, ret;

	CHECK(db, target >= 0 && target <= SLADB_SCHEMA_VERSION);
	ret = db->engine->schema_version(db, &v);
	if (ret)
		return ret;
	if (v > SLADB_SCHEMA_VERSION) {
		sladb_set_error(db, "schema version %d is newer than %d", v,
				SLADB_SCHEMA_VERSION);
		return -EPROTO;
	}
	/*
	 * One transaction per step: a process that dies half way leaves the
	 * database at a version, and another process may run a step first
	 * (migrate_one then finds it done).
	 */
	for (; v < target; v++) {
		ret = db->engine->migrate_one(db, v + 1);
		if (ret)
			return ret;
	}
	return 0;
}

int sladb_insert_samples(struct sladb *db, const struct sladb_sample *s,
			 size_t n)
{
	for (size_t i = 0; i < n; i++) {
		CHECK(db, name_ok(s[i].host) && name_ok(s[i].device));
		CHECK(db, rate_ok(s[i].riops) && rate_ok(s[i].wiops) &&
			  rate_ok(s[i].rbps) && rate_ok(s[i].wbps));
		CHECK(db, rate_ok(s[i].lat_mean_us) &&
			  rate_ok(s[i].lat_p50_us) &&
			  rate_ok(s[i].lat_p99_us) &&
			  rate_ok(s[i].lat_max_us));
	}
	if (!n)
		return 0;
	return db->engine->insert_samples(db, s, n);
}

int sladb_insert_decision(struct sladb *db, const struct sladb_decision *d)
{
	CHECK(db, name_ok(d->host) && name_ok(d->device) && name_ok(d->action));
	CHECK(db, d->reason);
	CHECK(db, limits_ok(&d->old_limits) && limits_ok(&d->new_limits));
	CHECK(db, d->call_id <= (uint64_t)INT64_MAX);
	return db->engine->insert_decision(db, d);
}

/* (now - window, now], refusing windows that overflow. */
static int window_range(struct sladb *db, int64_t now_ns, int64_t window_ns,
			int64_t *from)
{
	CHECK(db, window_ns > 0);
	if (now_ns < INT64_MIN + window_ns) {
		sladb_set_error(db, "window before the start of time");
		return -EINVAL;
	}
	*from = now_ns - window_ns;
	return 0;
}

int sladb_window(struct sladb *db, const char *host, const char *device,
		 int64_t now_ns, int64_t window_ns, struct sladb_window *out)
{
	int64_t from;
	int ret;

	CHECK(db, name_ok(host) && name_ok(device) && out);
	ret = window_range(db, now_ns, window_ns, &from);
	if (ret)
		return ret;
	memset(out, 0, sizeof(*out));
	return db->engine->window(db, host, device, from, now_ns, out);
}

int sladb_window_lat_percentile(struct sladb *db, const char *host,
				const char *device, int64_t now_ns,
				int64_t window_ns, double p, double *out)
{
	int64_t from;
	int ret;

	CHECK(db, name_ok(host) && name_ok(device) && out);
	CHECK(db, p > 0 && p <= 100);
	ret = window_range(db, now_ns, window_ns, &from);
	if (ret)
		return ret;
	*out = 0;
	return db->engine->lat_percentile(db, host, device, from, now_ns, p,
					  out);
}

int sladb_decisions(struct sladb *db, int64_t since_ns, sladb_decision_cb cb,
		    void *ctx)
{
	CHECK(db, cb);
	return db->engine->decisions(db, since_ns, cb, ctx);
}

int sladb_sla_put(struct sladb *db, const struct sladb_sla *sla)
{
	CHECK(db, name_ok(sla->host));
	CHECK(db, rate_ok(sla->lat_ceiling_us) && rate_ok(sla->iops_floor) &&
		  rate_ok(sla->bps_floor));
	CHECK(db, limit_ok(sla->cap_iops) && limit_ok(sla->cap_bps));
	return db->engine->sla_put(db, sla);
}

int sladb_sla_get(struct sladb *db, const char *host, struct sladb_sla *out)
{
	CHECK(db, name_ok(host) && out);
	memset(out, 0, sizeof(*out));
	return db->engine->sla_get(db, host, out);
}

int sladb_sla_delete(struct sladb *db, const char *host)
{
	CHECK(db, name_ok(host));
	return db->engine->sla_delete(db, host);
}

int sladb_sla_list(struct sladb *db, sladb_sla_cb cb, void *ctx)
{
	CHECK(db, cb);
	return db->engine->sla_list(db, cb, ctx);
}

int sladb_prune_samples(struct sladb *db, int64_t before_ns,
			uint64_t *deleted)
{
	uint64_t n = 0;
	int ret = db->engine->prune_samples(db, before_ns, &n);

	if (deleted)
		*deleted = n;
	return ret;
}

int sladb_check(struct sladb *db)
{
	return db->engine->check(db);
}
