// SPDX-License-Identifier: GPL-2.0
/*
 * The SQLite engine: one sqlite3 connection per handle, in WAL mode with a
 * busy timeout so that several processes write at once.  Every write runs
 * in BEGIN IMMEDIATE: the write lock is taken (or waited for) at the start,
 * never by upgrading a read transaction, which in WAL mode fails at once
 * with SQLITE_BUSY_SNAPSHOT instead of waiting.  Statements are prepared
 * once per handle, on first use, and reset after each use.
 */
#include "engine.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#define BUSY_TIMEOUT_MS 10000

/*
 * The migrations: migrations[n] takes a database from version n - 1 to n.
 * Never change one that has shipped; add the next.  NULL limits are "max".
 */
static const char *const migrations[] = {
	[1] =
	"CREATE TABLE samples ("
	"  id INTEGER PRIMARY KEY,"
	"  ts_ns INTEGER NOT NULL,"
	"  host TEXT NOT NULL,"
	"  device TEXT NOT NULL,"
	"  riops REAL NOT NULL CHECK (riops >= 0),"
	"  wiops REAL NOT NULL CHECK (wiops >= 0),"
	"  rbps REAL NOT NULL CHECK (rbps >= 0),"
	"  wbps REAL NOT NULL CHECK (wbps >= 0),"
	"  lat_mean_us REAL NOT NULL CHECK (lat_mean_us >= 0),"
	"  lat_p50_us REAL NOT NULL CHECK (lat_p50_us >= 0),"
	"  lat_p99_us REAL NOT NULL CHECK (lat_p99_us >= 0),"
	"  lat_max_us REAL NOT NULL CHECK (lat_max_us >= 0));"
	"CREATE INDEX samples_ts ON samples (ts_ns);"
	"CREATE TABLE decisions ("
	"  id INTEGER PRIMARY KEY,"
	"  ts_ns INTEGER NOT NULL,"
	"  host TEXT NOT NULL,"
	"  device TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  old_riops INTEGER, old_wiops INTEGER,"
	"  old_rbps INTEGER, old_wbps INTEGER,"
	"  new_riops INTEGER, new_wiops INTEGER,"
	"  new_rbps INTEGER, new_wbps INTEGER,"
	"  reason TEXT NOT NULL);"
	"CREATE TABLE slas ("
	"  host TEXT PRIMARY KEY,"
	"  lat_ceiling_us REAL NOT NULL DEFAULT 0,"
	"  iops_floor REAL NOT NULL DEFAULT 0,"
	"  bps_floor REAL NOT NULL DEFAULT 0,"
	"  priority INTEGER NOT NULL DEFAULT 0,"
	"  cap_iops INTEGER,"
	"  cap_bps INTEGER,"
	"  updated_ns INTEGER NOT NULL);",
	/*
	 * Window queries look up one host and device over a time range; the
	 * decisions say which mailbox call carried them, so that they can be
	 * reconciled with the mailbox counters.
	 */
	[2] =
	"CREATE INDEX samples_host_device_ts ON samples (host, device, ts_ns);"
	"CREATE INDEX decisions_ts ON decisions (ts_ns);"
	"ALTER TABLE decisions ADD COLUMN call_id INTEGER;",
	/*
	 * One sample per host, device and end of interval: a batch sent
	 * again after a lost answer is stored once (the inserts skip rows
	 * already there).  Duplicates from before are dropped first, the
	 * first stored kept.
	 */
	[3] =
	"DELETE FROM samples WHERE id NOT IN"
	" (SELECT min(id) FROM samples GROUP BY host, device, ts_ns);"
	"DROP INDEX samples_host_device_ts;"
	"CREATE UNIQUE INDEX samples_host_device_ts ON samples (host, device, ts_ns);",
};

_Static_assert(sizeof(migrations) / sizeof(*migrations) ==
	       SLADB_SCHEMA_VERSION + 1, "one migration per schema version");

enum stmt {
	ST_BEGIN_IMMEDIATE,
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_VERSION,
	ST_INSERT_SAMPLE_V2,
	ST_INSERT_SAMPLE,
	ST_INSERT_DECISION_V1,
	ST_INSERT_DECISION,
	ST_WINDOW,
	ST_PCT_P50,
	ST_PCT_P99,
	ST_PCT_MEAN,
	ST_DECISIONS,
	ST_SLA_PUT,
	ST_SLA_GET,
	ST_SLA_DELETE,
	ST_SLA_LIST,
	ST_PRUNE,
	ST_CHECK,
	ST_NR,
};

#define WINDOW_WHERE " FROM samples WHERE host = ?1 AND device = ?2" \
		     " AND ts_ns > ?3 AND ts_ns <= ?4"
#define PCT(col) "SELECT " col WINDOW_WHERE " ORDER BY " col " LIMIT 1 OFFSET ?5"
#define INSERT_SAMPLE "INSERT INTO samples (ts_ns, host, device, riops," \
	" wiops, rbps, wbps, lat_mean_us, lat_p50_us, lat_p99_us, lat_max_us)" \
	" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
#define DECISION_COLS "ts_ns, host, device, action," \
	" old_riops, old_wiops, old_rbps, old_wbps," \
	" new_riops, new_wiops, new_rbps, new_wbps, reason"
#define SLA_COLS "host, lat_ceiling_us, iops_floor, bps_floor, priority," \
	" cap_iops, cap_bps, updated_ns"

static const char *const stmt_sql[ST_NR] = {
	[ST_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
	[ST_BEGIN] = "BEGIN",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_VERSION] = "SELECT coalesce(max(version), 0) FROM schema_version",
	[ST_INSERT_SAMPLE_V2] = INSERT_SAMPLE,
	[ST_INSERT_SAMPLE] = INSERT_SAMPLE
		" ON CONFLICT (host, device, ts_ns) DO NOTHING",
	[ST_INSERT_DECISION_V1] =
		"INSERT INTO decisions (" DECISION_COLS ")"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[ST_INSERT_DECISION] =
		"INSERT INTO decisions (" DECISION_COLS ", call_id)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[ST_WINDOW] =
		"SELECT count(*), min(ts_ns), max(ts_ns), avg(riops),"
		" avg(wiops), avg(rbps), avg(wbps), avg(lat_mean_us),"
		" max(lat_max_us)" WINDOW_WHERE,
	[ST_PCT_P50] = PCT("lat_p50_us"),
	[ST_PCT_P99] = PCT("lat_p99_us"),
	[ST_PCT_MEAN] = PCT("lat_mean_us"),
	[ST_DECISIONS] =
		"SELECT " DECISION_COLS ", call_id FROM decisions"
		" WHERE ts_ns > ? ORDER BY ts_ns, id",
	[ST_SLA_PUT] =
		"INSERT OR REPLACE INTO slas (" SLA_COLS ")"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	[ST_SLA_GET] = "SELECT " SLA_COLS " FROM slas WHERE host = ?",
	[ST_SLA_DELETE] = "DELETE FROM slas WHERE host = ?",
	[ST_SLA_LIST] = "SELECT " SLA_COLS " FROM slas ORDER BY host",
	[ST_PRUNE] = "DELETE FROM samples WHERE ts_ns <= ?",
	[ST_CHECK] = "PRAGMA integrity_check",
};

struct sq {
	sqlite3 *conn;
	sqlite3_stmt *stmt[ST_NR];
	int version;		/* the schema version, as last seen */
	char host[256];		/* sla_get's copy of the host */
};

static struct sq *sq(struct sladb *db)
{
	return db->priv;
}

static int sq_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_RANGE:
		return -EINVAL;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_FULL:
		return -ENOSPC;
	default:
		return -EIO;
	}
}

static int fail(struct sladb *db, int rc, const char *what)
{
	sladb_set_error(db, "%s: %s", what, sqlite3_errmsg(sq(db)->conn));
	return sq_errno(rc);
}

/* The statement, prepared on first use. */
static sqlite3_stmt *get(struct sladb *db, enum stmt s)
{
	struct sq *q = sq(db);
	int rc;

	if (!q->stmt[s]) {
		rc = sqlite3_prepare_v3(q->conn, stmt_sql[s], -1,
					SQLITE_PREPARE_PERSISTENT, &q->stmt[s],
					NULL);
		if (rc != SQLITE_OK) {
			fail(db, rc, "prepare");
			q->stmt[s] = NULL;
		}
	}
	return q->stmt[s];
}

static void done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Run a statement without results (BEGIN, COMMIT, an INSERT). */
static int run(struct sladb *db, sqlite3_stmt *st, const char *what)
{
	int rc;

	if (!st)
		return -EIO;
	rc = sqlite3_step(st);
	done(st);
	return rc == SQLITE_DONE ? 0 : fail(db, rc, what);
}

static int begin(struct sladb *db, bool write)
{
	return run(db, get(db, write ? ST_BEGIN_IMMEDIATE : ST_BEGIN), "begin");
}

static int commit(struct sladb *db)
{
	return run(db, get(db, ST_COMMIT), "commit");
}

static void rollback(struct sladb *db)
{
	if (!sqlite3_get_autocommit(sq(db)->conn))
		run(db, get(db, ST_ROLLBACK), "rollback");
}

static void bind_limit(sqlite3_stmt *st, int i, uint64_t v)
{
	if (v == SLADB_MAX)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, (int64_t)v);
}

static uint64_t col_limit(sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return SLADB_MAX;
	return (uint64_t)sqlite3_column_int64(st, i);
}

static int sq_open(struct sladb *db, const char *path)
{
	struct sq *q = calloc(1, sizeof(*q));
	sqlite3_stmt *st;
	const char *mode;
	int rc;

	if (!q)
		return -ENOMEM;
	db->priv = q;
	rc = sqlite3_open_v2(path, &q->conn,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			     SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK)
		return q->conn ? fail(db, rc, "open") : -ENOMEM;
	sqlite3_extended_result_codes(q->conn, 1);
	sqlite3_busy_timeout(q->conn, BUSY_TIMEOUT_MS);

	rc = sqlite3_prepare_v2(q->conn, "PRAGMA journal_mode = WAL", -1, &st,
				NULL);
	if (rc != SQLITE_OK)
		return fail(db, rc, "journal_mode");
	rc = sqlite3_step(st);
	mode = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
	if (!mode || strcmp(mode, "wal")) {
		sladb_set_error(db, "journal_mode is %s, not wal",
				mode ? mode : "unknown");
		sqlite3_finalize(st);
		return rc == SQLITE_ROW ? -ENOTSUP : sq_errno(rc);
	}
	sqlite3_finalize(st);
	/* WAL + NORMAL: a commit survives a crash of the process, and a
	 * power loss may lose the last commits but not corrupt the file. */
	rc = sqlite3_exec(q->conn, "PRAGMA synchronous = NORMAL;"
			  "PRAGMA foreign_keys = ON;"
			  "CREATE TABLE IF NOT EXISTS schema_version ("
			  " version INTEGER PRIMARY KEY,"
			  " applied_ns INTEGER NOT NULL);", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return fail(db, rc, "setup");
	return 0;
}

static void sq_close(struct sladb *db)
{
	struct sq *q = sq(db);

	for (int i = 0; i < ST_NR; i++)
		sqlite3_finalize(q->stmt[i]);
	sqlite3_close_v2(q->conn);
	free(q);
	db->priv = NULL;
}

static int read_version(struct sladb *db, int *version)
{
	sqlite3_stmt *st = get(db, ST_VERSION);
	int rc;

	if (!st)
		return -EIO;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		done(st);
		return fail(db, rc, "schema_version");
	}
	*version = sqlite3_column_int(st, 0);
	done(st);
	sq(db)->version = *version;
	return 0;
}

static int sq_schema_version(struct sladb *db, int *version)
{
	return read_version(db, version);
}

static int sq_migrate_one(struct sladb *db, int to)
{
	struct timespec ts;
	sqlite3_stmt *st;
	int v, rc, ret;

	ret = begin(db, true);
	if (ret)
		return ret;
	ret = read_version(db, &v);
	if (ret)
		goto out;
	if (v >= to)		/* another process got there first */
		goto out;
	if (v != to - 1) {
		sladb_set_error(db, "migration %d on schema version %d", to, v);
		ret = -EPROTO;
		goto out;
	}
	rc = sqlite3_exec(sq(db)->conn, migrations[to], NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		ret = fail(db, rc, "migration");
		goto out;
	}
	rc = sqlite3_prepare_v2(sq(db)->conn,
				"INSERT INTO schema_version VALUES (?, ?)",
				-1, &st, NULL);
	if (rc != SQLITE_OK) {
		ret = fail(db, rc, "schema_version");
		goto out;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	sqlite3_bind_int(st, 1, to);
	sqlite3_bind_int64(st, 2, (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		ret = fail(db, rc, "schema_version");
		goto out;
	}
	ret = commit(db);
	if (!ret)
		sq(db)->version = to;
out:
	if (ret)
		rollback(db);
	else if (!sqlite3_get_autocommit(sq(db)->conn))
		ret = commit(db);
	return ret;
}

static int sq_insert_samples(struct sladb *db, const struct sladb_sample *s,
			     size_t n)
{
	sqlite3_stmt *st;
	int ret = begin(db, true);

	if (ret)
		return ret;
	st = get(db, sq(db)->version < 3 ? ST_INSERT_SAMPLE_V2 : ST_INSERT_SAMPLE);
	if (!st) {
		ret = -EIO;
		goto out;
	}
	for (size_t i = 0; i < n && !ret; i++) {
		sqlite3_bind_int64(st, 1, s[i].ts_ns);
		sqlite3_bind_text(st, 2, s[i].host, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, s[i].device, -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 4, s[i].riops);
		sqlite3_bind_double(st, 5, s[i].wiops);
		sqlite3_bind_double(st, 6, s[i].rbps);
		sqlite3_bind_double(st, 7, s[i].wbps);
		sqlite3_bind_double(st, 8, s[i].lat_mean_us);
		sqlite3_bind_double(st, 9, s[i].lat_p50_us);
		sqlite3_bind_double(st, 10, s[i].lat_p99_us);
		sqlite3_bind_double(st, 11, s[i].lat_max_us);
		ret = run(db, st, "insert sample");
	}
	if (!ret)
		ret = commit(db);
out:
	if (ret)
		rollback(db);
	return ret;
}

static int sq_insert_decision(struct sladb *db, const struct sladb_decision *d)
{
	bool v1 = sq(db)->version < 2;
	sqlite3_stmt *st;

	if (v1 && d->call_id) {
		sladb_set_error(db, "schema version %d has no call_id",
				sq(db)->version);
		return -EPROTO;
	}
	st = get(db, v1 ? ST_INSERT_DECISION_V1 : ST_INSERT_DECISION);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, d->ts_ns);
	sqlite3_bind_text(st, 2, d->host, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, d->device, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, d->action, -1, SQLITE_STATIC);
	bind_limit(st, 5, d->old_limits.riops);
	bind_limit(st, 6, d->old_limits.wiops);
	bind_limit(st, 7, d->old_limits.rbps);
	bind_limit(st, 8, d->old_limits.wbps);
	bind_limit(st, 9, d->new_limits.riops);
	bind_limit(st, 10, d->new_limits.wiops);
	bind_limit(st, 11, d->new_limits.rbps);
	bind_limit(st, 12, d->new_limits.wbps);
	sqlite3_bind_text(st, 13, d->reason, -1, SQLITE_STATIC);
	if (!v1) {
		if (d->call_id)
			sqlite3_bind_int64(st, 14, (int64_t)d->call_id);
		else
			sqlite3_bind_null(st, 14);
	}
	/* One statement is its own transaction; the busy timeout applies. */
	return run(db, st, "insert decision");
}

static void bind_window(sqlite3_stmt *st, const char *host, const char *dev,
			int64_t from, int64_t to)
{
	sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, dev, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, from);
	sqlite3_bind_int64(st, 4, to);
}

/* The nearest rank's 0-based offset: ceil(p / 100 * n) - 1. */
static int64_t rank_offset(double p, uint64_t n)
{
	double r = ceil(p * (double)n / 100.0 - 1e-9);

	if (r < 1)
		r = 1;
	if (r > (double)n)
		r = (double)n;
	return (int64_t)r - 1;
}

/* Inside a transaction: the percentile p of column stmt s, n samples. */
static int percentile(struct sladb *db, enum stmt s, const char *host,
		      const char *dev, int64_t from, int64_t to, uint64_t n,
		      double p, double *out)
{
	sqlite3_stmt *st = get(db, s);
	int rc;

	if (!st)
		return -EIO;
	bind_window(st, host, dev, from, to);
	sqlite3_bind_int64(st, 5, rank_offset(p, n));
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_double(st, 0);
	done(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 :
	       fail(db, rc, "percentile");
}

/* Inside a transaction: count(*) and the aggregates. */
static int aggregate(struct sladb *db, const char *host, const char *dev,
		     int64_t from, int64_t to, struct sladb_window *w)
{
	sqlite3_stmt *st = get(db, ST_WINDOW);
	int rc;

	if (!st)
		return -EIO;
	bind_window(st, host, dev, from, to);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		w->count = (uint64_t)sqlite3_column_int64(st, 0);
		if (w->count) {
			w->first_ts_ns = sqlite3_column_int64(st, 1);
			w->last_ts_ns = sqlite3_column_int64(st, 2);
			w->riops = sqlite3_column_double(st, 3);
			w->wiops = sqlite3_column_double(st, 4);
			w->rbps = sqlite3_column_double(st, 5);
			w->wbps = sqlite3_column_double(st, 6);
			w->lat_mean_us = sqlite3_column_double(st, 7);
			w->lat_max_us = sqlite3_column_double(st, 8);
		}
	}
	done(st);
	return rc == SQLITE_ROW ? 0 : fail(db, rc, "window");
}

static int sq_window(struct sladb *db, const char *host, const char *dev,
		     int64_t from, int64_t to, struct sladb_window *w)
{
	/* One read transaction: the aggregates and the percentiles see
	 * the same rows while other processes insert. */
	int ret = begin(db, false);

	if (ret)
		return ret;
	ret = aggregate(db, host, dev, from, to, w);
	if (!ret && w->count)
		ret = percentile(db, ST_PCT_P50, host, dev, from, to,
				 w->count, 50, &w->lat_p50_us);
	if (!ret && w->count)
		ret = percentile(db, ST_PCT_P99, host, dev, from, to,
				 w->count, 99, &w->lat_p99_us);
	if (!ret)
		ret = commit(db);
	if (ret)
		rollback(db);
	return ret;
}

static int sq_lat_percentile(struct sladb *db, const char *host,
			     const char *dev, int64_t from, int64_t to,
			     double p, double *out)
{
	struct sladb_window w = { 0 };
	int ret = begin(db, false);

	if (ret)
		return ret;
	ret = aggregate(db, host, dev, from, to, &w);
	if (!ret && w.count)
		ret = percentile(db, ST_PCT_MEAN, host, dev, from, to, w.count,
				 p, out);
	if (!ret)
		ret = commit(db);
	if (ret)
		rollback(db);
	return ret;
}

static int sq_decisions(struct sladb *db, int64_t since_ns,
			sladb_decision_cb cb, void *ctx)
{
	sqlite3_stmt *st = get(db, ST_DECISIONS);
	int rc, ret = 0;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, since_ns);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct sladb_decision d = {
			.ts_ns = sqlite3_column_int64(st, 0),
			.host = (const char *)sqlite3_column_text(st, 1),
			.device = (const char *)sqlite3_column_text(st, 2),
			.action = (const char *)sqlite3_column_text(st, 3),
			.old_limits = { col_limit(st, 4), col_limit(st, 5),
					col_limit(st, 6), col_limit(st, 7) },
			.new_limits = { col_limit(st, 8), col_limit(st, 9),
					col_limit(st, 10), col_limit(st, 11) },
			.reason = (const char *)sqlite3_column_text(st, 12),
			.call_id = (uint64_t)sqlite3_column_int64(st, 13),
		};

		ret = cb(ctx, &d);
		if (ret)
			break;
	}
	done(st);
	if (!ret && rc != SQLITE_DONE)
		ret = fail(db, rc, "decisions");
	return ret;
}

static void read_sla(sqlite3_stmt *st, struct sladb_sla *s)
{
	s->host = (const char *)sqlite3_column_text(st, 0);
	s->lat_ceiling_us = sqlite3_column_double(st, 1);
	s->iops_floor = sqlite3_column_double(st, 2);
	s->bps_floor = sqlite3_column_double(st, 3);
	s->priority = sqlite3_column_int(st, 4);
	s->cap_iops = col_limit(st, 5);
	s->cap_bps = col_limit(st, 6);
	s->updated_ns = sqlite3_column_int64(st, 7);
}

static int sq_sla_put(struct sladb *db, const struct sladb_sla *s)
{
	sqlite3_stmt *st = get(db, ST_SLA_PUT);

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, s->host, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 2, s->lat_ceiling_us);
	sqlite3_bind_double(st, 3, s->iops_floor);
	sqlite3_bind_double(st, 4, s->bps_floor);
	sqlite3_bind_int(st, 5, s->priority);
	bind_limit(st, 6, s->cap_iops);
	bind_limit(st, 7, s->cap_bps);
	sqlite3_bind_int64(st, 8, s->updated_ns);
	return run(db, st, "sla put");
}

static int sq_sla_get(struct sladb *db, const char *host,
		      struct sladb_sla *out)
{
	sqlite3_stmt *st = get(db, ST_SLA_GET);
	int rc;

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		read_sla(st, out);
		snprintf(sq(db)->host, sizeof(sq(db)->host), "%s", out->host);
		out->host = sq(db)->host;
	}
	done(st);
	if (rc == SQLITE_DONE) {
		sladb_set_error(db, "no SLA for %s", host);
		return -ENOENT;
	}
	return rc == SQLITE_ROW ? 0 : fail(db, rc, "sla get");
}

static int sq_sla_delete(struct sladb *db, const char *host)
{
	sqlite3_stmt *st = get(db, ST_SLA_DELETE);
	int ret;

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC);
	ret = run(db, st, "sla delete");
	if (!ret && sqlite3_changes(sq(db)->conn) == 0) {
		sladb_set_error(db, "no SLA for %s", host);
		return -ENOENT;
	}
	return ret;
}

static int sq_sla_list(struct sladb *db, sladb_sla_cb cb, void *ctx)
{
	sqlite3_stmt *st = get(db, ST_SLA_LIST);
	int rc, ret = 0;

	if (!st)
		return -EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct sladb_sla s;

		read_sla(st, &s);
		ret = cb(ctx, &s);
		if (ret)
			break;
	}
	done(st);
	if (!ret && rc != SQLITE_DONE)
		ret = fail(db, rc, "sla list");
	return ret;
}

static int sq_prune_samples(struct sladb *db, int64_t before_ns,
			    uint64_t *deleted)
{
	sqlite3_stmt *st = get(db, ST_PRUNE);
	int ret;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, before_ns);
	ret = run(db, st, "prune");
	if (!ret)
		*deleted = (uint64_t)sqlite3_changes64(sq(db)->conn);
	return ret;
}

static int sq_check(struct sladb *db)
{
	sqlite3_stmt *st = get(db, ST_CHECK);
	const char *text;
	int rc, ret = 0;

	if (!st)
		return -EIO;
	rc = sqlite3_step(st);
	text = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
	if (rc != SQLITE_ROW)
		ret = fail(db, rc, "integrity_check");
	else if (!text || strcmp(text, "ok")) {
		sladb_set_error(db, "integrity_check: %s", text ? text : "?");
		ret = -EIO;
	}
	done(st);
	return ret;
}

const struct sladb_engine sladb_sqlite_engine = {
	.name = "sqlite",
	.prefix = "sqlite:",
	.open = sq_open,
	.close = sq_close,
	.schema_version = sq_schema_version,
	.migrate_one = sq_migrate_one,
	.insert_samples = sq_insert_samples,
	.insert_decision = sq_insert_decision,
	.window = sq_window,
	.lat_percentile = sq_lat_percentile,
	.decisions = sq_decisions,
	.sla_put = sq_sla_put,
	.sla_get = sq_sla_get,
	.sla_delete = sq_sla_delete,
	.sla_list = sq_sla_list,
	.prune_samples = sq_prune_samples,
	.check = sq_check,
};
