// SPDX-License-Identifier: GPL-2.0
/*
 * The database layer's tests: migrations from empty and from version 1,
 * inserts, window queries on known data, SLAs, and two writer processes at
 * once.  Results are checked through sladb and, where the point is what is
 * in the file, through a separate raw sqlite3 connection.  Prints
 * "ok - ..." / "not ok - ..." lines; tests/run.sh numbers them.
 *
 *   db_test [DIR]     DIR: where to put the databases (default: a new
 *                     directory under $TMPDIR, removed at the end)
 */
#include "sladb.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include <sqlite3.h>

#define S(sec) ((int64_t)(sec) * 1000000000)

static char dir[4096];
static int failed;

static void __attribute__((format(printf, 2, 3))) ok(bool cond,
						       const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", cond ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	failed += !cond;
}

static const char *path(const char *name)
{
	static char buf[8][4200];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

/* One integer from SQL on a raw connection: -1 on any error. */
static long long raw_int(const char *file, const char *sql)
{
	sqlite3 *c;
	sqlite3_stmt *st;
	long long v = -1;

	if (sqlite3_open_v2(file, &c, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(c, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(c);
	return v;
}

/* One text from SQL on a raw connection, into buf ("" on error). */
static const char *raw_text(const char *file, const char *sql)
{
	static char buf[256];
	sqlite3 *c;
	sqlite3_stmt *st;

	buf[0] = '\0';
	if (sqlite3_open_v2(file, &c, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(c, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
			snprintf(buf, sizeof(buf), "%s",
				 (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	sqlite3_close(c);
	return buf;
}

static bool has_column(const char *file, const char *table, const char *col)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM pragma_table_info('%s') WHERE name = '%s'",
		 table, col);
	return raw_int(file, sql) == 1;
}

static bool has_index(const char *file, const char *index)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM sqlite_master WHERE type = 'index'"
		 " AND name = '%s'", index);
	return raw_int(file, sql) == 1;
}

static struct sladb_sample sample(int64_t ts, const char *host,
				  const char *dev, double v)
{
	return (struct sladb_sample){
		.ts_ns = ts, .host = host, .device = dev,
		.riops = v, .wiops = 2 * v, .rbps = 4096 * v, .wbps = 8192 * v,
		.lat_mean_us = v, .lat_p50_us = v, .lat_p99_us = 10 * v,
		.lat_max_us = 20 * v,
	};
}

static void test_migrate_from_empty(void)
{
	const char *f = path("empty.db");
	struct sladb *db;
	int v = -1, ret;

	ret = sladb_open(f, &db);
	ok(ret == 0, "open an empty database (%d)", ret);
	if (ret)
		return;
	ret = sladb_schema_version(db, &v);
	ok(ret == 0 && v == SLADB_SCHEMA_VERSION,
	   "migrated from empty to version %d (%d)", SLADB_SCHEMA_VERSION, v);
	ok(!strcmp(sladb_engine_name(db), "sqlite"), "the engine is sqlite");
	ok(!strcmp(raw_text(f, "PRAGMA journal_mode"), "wal"),
	   "the database is in WAL mode");
	ok(raw_int(f, "SELECT group_concat(version) = '1,2' FROM"
		      " (SELECT version FROM schema_version ORDER BY version)") == 1,
	   "schema_version records migrations 1 and 2");
	ok(raw_int(f, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
		      " AND name IN ('samples', 'decisions', 'slas')") == 3,
	   "migration 1 made samples, decisions and slas");
	ok(has_index(f, "samples_host_device_ts") &&
	   has_column(f, "decisions", "call_id"),
	   "migration 2 made the window index and decisions.call_id");
	sladb_close(db);

	ret = sladb_open(f, &db);
	ok(ret == 0 && raw_int(f, "SELECT count(*) FROM schema_version") == 2,
	   "opening again migrates nothing");
	sladb_close(db);

	ret = sladb_open(f, &db);
	sladb_close(db);
	ok(ret == 0 && !strcmp(raw_text(f, "PRAGMA integrity_check"), "ok"),
	   "integrity_check ok after migration");
}

struct collect {
	int n;
	struct sladb_decision d[4];
	char reasons[4][64];
};

static int collect_decision(void *ctx, const struct sladb_decision *d)
{
	struct collect *c = ctx;

	if (c->n < 4) {
		c->d[c->n] = *d;
		snprintf(c->reasons[c->n], sizeof(c->reasons[0]), "%s", d->reason);
		c->d[c->n].reason = c->reasons[c->n];
		c->d[c->n].host = c->d[c->n].device = c->d[c->n].action = NULL;
	}
	c->n++;
	return 0;
}

static void test_migrate_from_v1(void)
{
	const char *f = path("v1.db");
	struct sladb_sample s[3] = {
		sample(S(1), "gold", "8:0", 1),
		sample(S(2), "gold", "8:0", 2),
		sample(S(3), "batch", "8:0", 3),
	};
	struct sladb_decision d = {
		.ts_ns = S(2), .host = "batch", .device = "8:0",
		.action = "throttle", .reason = "gold over its ceiling",
		.old_limits = { SLADB_MAX, SLADB_MAX, SLADB_MAX, SLADB_MAX },
		.new_limits = { 200, SLADB_MAX, SLADB_MAX, SLADB_MAX },
	};
	struct collect seen = { 0 };
	struct sladb_window w;
	struct sladb *db;
	int v = -1, ret;

	ret = sladb_open_version(f, 1, &db);
	if (!ret)
		ret = sladb_schema_version(db, &v);
	ok(ret == 0 && v == 1,
	   "a database made at version 1 (%d, %d)", ret, v);
	if (ret)
		return;
	ok(!has_column(f, "decisions", "call_id") &&
	   !has_index(f, "samples_host_device_ts"),
	   "version 1 has no call_id and no window index");
	ok(sladb_insert_samples(db, s, 3) == 0, "samples inserted at version 1");
	ok(sladb_insert_decision(db, &d) == 0, "a decision inserted at version 1");
	d.call_id = 7;
	ok(sladb_insert_decision(db, &d) == -EPROTO,
	   "a call_id at version 1: -EPROTO");
	sladb_close(db);

	ret = sladb_open(f, &db);
	if (!ret)
		ret = sladb_schema_version(db, &v);
	ok(ret == 0 && v == SLADB_SCHEMA_VERSION,
	   "version 1 migrated to %d (%d, %d)", SLADB_SCHEMA_VERSION, ret, v);
	if (ret)
		return;
	ok(has_column(f, "decisions", "call_id") &&
	   has_index(f, "samples_host_device_ts"),
	   "migration 2 applied on version 1");
	ok(raw_int(f, "SELECT count(*) FROM samples") == 3 &&
	   raw_int(f, "SELECT count(*) FROM decisions WHERE call_id IS NULL"
		      " AND new_riops = 200 AND old_riops IS NULL") == 1,
	   "the version 1 rows survive the migration");
	ok(sladb_window(db, "gold", "8:0", S(3), S(10), &w) == 0 &&
	   w.count == 2 && w.riops == 1.5,
	   "a window query over the migrated rows");
	d.call_id = 7;
	d.ts_ns = S(3);
	ok(sladb_insert_decision(db, &d) == 0, "a call_id at version 2");
	ok(sladb_decisions(db, 0, collect_decision, &seen) == 0 &&
	   seen.n == 2 && seen.d[0].ts_ns == S(2) && seen.d[1].ts_ns == S(3) &&
	   !strcmp(seen.reasons[0], "gold over its ceiling") &&
	   seen.d[0].call_id == 0 && seen.d[1].call_id == 7,
	   "decisions read back, the old one without a call_id");
	ok(raw_int(f, "SELECT call_id FROM decisions WHERE ts_ns = 3000000000") == 7,
	   "call_id stored");
	ok(sladb_check(db) == 0, "integrity_check ok after migrating version 1");
	sladb_close(db);
}

static void test_refusals(void)
{
	const char *f = path("newer.db");
	struct sladb *db;
	sqlite3 *c;
	int ret;

	ok(sladb_open("postgresql://localhost/sla", &db) == -ENOTSUP && !db,
	   "an engine this build lacks: -ENOTSUP");
	ok(sladb_open_version(f, SLADB_SCHEMA_VERSION + 1, &db) == -EINVAL,
	   "migrating past the known version: -EINVAL");
	ret = sladb_open(f, &db);
	sladb_close(db);
	sqlite3_open(f, &c);
	sqlite3_exec(c, "INSERT INTO schema_version VALUES (3, 0)", NULL, NULL,
		     NULL);
	sqlite3_close(c);
	ok(ret == 0 && sladb_open(f, &db) == -EPROTO && !db &&
	   strstr(sladb_open_error(), "schema version 3 is newer than 2"),
	   "a database newer than this code: -EPROTO, and why");
	ok(sladb_open(path("nodir/x.db"), &db) < 0 && !db,
	   "a path that cannot be created: an error");
}

static void test_invalid(struct sladb *db)
{
	struct sladb_sample s = sample(S(1), "gold", "8:0", 1);
	struct sladb_sample two[2] = { sample(S(1), "gold", "8:0", 1),
				       sample(S(2), "gold", "8:0", 1) };
	struct sladb_decision d = { .ts_ns = 1, .host = "h", .device = "8:0",
				    .action = "lift", .reason = "" };
	struct sladb_window w;
	double p;

	s.host = NULL;
	ok(sladb_insert_samples(db, &s, 1) == -EINVAL, "NULL host: -EINVAL");
	s.host = "";
	ok(sladb_insert_samples(db, &s, 1) == -EINVAL, "empty host: -EINVAL");
	s = sample(S(1), "gold", "8:0", 1);
	s.riops = -1;
	ok(sladb_insert_samples(db, &s, 1) == -EINVAL, "negative riops: -EINVAL");
	s.riops = NAN;
	ok(sladb_insert_samples(db, &s, 1) == -EINVAL, "NaN riops: -EINVAL");
	s.riops = 1;
	s.lat_p99_us = INFINITY;
	ok(sladb_insert_samples(db, &s, 1) == -EINVAL, "infinite latency: -EINVAL");
	two[1].wbps = -5;
	ok(sladb_insert_samples(db, two, 2) == -EINVAL &&
	   sladb_window(db, "gold", "8:0", S(2), S(2), &w) == 0 && w.count == 0,
	   "a batch with one bad sample inserts none");
	ok(strstr(sladb_errmsg(db), "invalid argument") != NULL,
	   "the error message names the bad argument");
	ok(sladb_window(db, "gold", "8:0", S(10), 0, &w) == -EINVAL,
	   "a window of 0 ns: -EINVAL");
	ok(sladb_window(db, "gold", "8:0", INT64_MIN + 5, S(1), &w) == -EINVAL,
	   "a window before the start of time: -EINVAL");
	ok(sladb_window_lat_percentile(db, "gold", "8:0", S(10), S(10), 0, &p) == -EINVAL,
	   "percentile 0: -EINVAL");
	ok(sladb_window_lat_percentile(db, "gold", "8:0", S(10), S(10), 100.5, &p) == -EINVAL,
	   "percentile 100.5: -EINVAL");
	d.new_limits.riops = (uint64_t)INT64_MAX + 1;
	ok(sladb_insert_decision(db, &d) == -EINVAL,
	   "a limit above INT64_MAX (not max): -EINVAL");
	d.new_limits.riops = (uint64_t)INT64_MAX;
	ok(sladb_insert_decision(db, &d) == 0, "a limit of INT64_MAX is taken");
	d.reason = NULL;
	ok(sladb_insert_decision(db, &d) == -EINVAL, "NULL reason: -EINVAL");
}

/*
 * Known data: gold on 8:0 at ts 1..100 s with value i (lat_p50_us = i,
 * lat_p99_us = 10 i, riops = i), inserted in a shuffled order, with other
 * hosts and devices interleaved.  Nearest rank over n values 1..n: the p-th
 * percentile is ceil(p n / 100).
 */
static void test_window(struct sladb *db)
{
	struct sladb_sample s[300];
	struct sladb_window w;
	size_t n = 0;
	double p;
	int ret;

	for (int k = 0; k < 100; k++) {
		int i = (k * 37) % 100 + 1;	/* 37 is prime to 100 */

		s[n++] = sample(S(i), "gold", "8:0", i);
		s[n++] = sample(S(i), "gold", "8:16", 1000);
		s[n++] = sample(S(i), "batch", "8:0", 5000);
	}
	ret = sladb_insert_samples(db, s, n);
	ok(ret == 0, "300 samples in one batch (%d)", ret);

	ret = sladb_window(db, "gold", "8:0", S(100), S(100), &w);
	ok(ret == 0 && w.count == 100 && w.first_ts_ns == S(1) &&
	   w.last_ts_ns == S(100), "window of 100 s: 100 samples, ts 1..100 s");
	ok(w.riops == 50.5 && w.wiops == 101 && w.rbps == 4096 * 50.5 &&
	   w.wbps == 8192 * 50.5, "mean IOPS and bandwidth (riops %g)", w.riops);
	ok(w.lat_p50_us == 50, "p50 of 1..100 is 50 (%g)", w.lat_p50_us);
	ok(w.lat_p99_us == 990, "p99 of 10..1000 is 990 (%g)", w.lat_p99_us);
	ok(w.lat_mean_us == 50.5 && w.lat_max_us == 2000,
	   "mean and max latency (%g, %g)", w.lat_mean_us, w.lat_max_us);

	ret = sladb_window(db, "gold", "8:0", S(100), S(10), &w);
	ok(ret == 0 && w.count == 10 && w.first_ts_ns == S(91),
	   "window of 10 s: ts 91..100 s, the sample at now - 10 s left out (%llu)",
	   (unsigned long long)w.count);
	ok(w.lat_p50_us == 95 && w.lat_p99_us == 1000 && w.riops == 95.5,
	   "p50 95, p99 1000, riops 95.5 over the last 10 s (%g, %g, %g)",
	   w.lat_p50_us, w.lat_p99_us, w.riops);

	ret = sladb_window(db, "gold", "8:0", S(50), S(1), &w);
	ok(ret == 0 && w.count == 1 && w.lat_p50_us == 50 &&
	   w.lat_p99_us == 500, "a window of one sample");
	ret = sladb_window(db, "gold", "8:0", S(1000), S(10), &w);
	ok(ret == 0 && w.count == 0 && w.riops == 0 && w.lat_p99_us == 0,
	   "an empty window: count 0, values 0");
	ret = sladb_window(db, "gold", "8:16", S(100), S(100), &w);
	ok(ret == 0 && w.count == 100 && w.lat_p50_us == 1000,
	   "another device of the same host is apart");
	ret = sladb_window(db, "nosuch", "8:0", S(100), S(100), &w);
	ok(ret == 0 && w.count == 0, "an unknown host: an empty window");

	for (int i = 0; i < 4; i++) {
		static const double pct[] = { 1, 50, 90, 100 };
		static const double want[] = { 1, 50, 90, 100 };

		ret = sladb_window_lat_percentile(db, "gold", "8:0", S(100),
						  S(100), pct[i], &p);
		ok(ret == 0 && p == want[i], "p%g of lat_mean_us 1..100 is %g (%g)",
		   pct[i], want[i], p);
	}
	ret = sladb_window_lat_percentile(db, "gold", "8:0", S(100), S(10),
					  99.9, &p);
	ok(ret == 0 && p == 100, "p99.9 of 91..100 is 100 (%g)", p);
}

static void test_decisions(struct sladb *db)
{
	struct sladb_decision d = {
		.host = "batch", .device = "8:0", .action = "throttle",
		.old_limits = { SLADB_MAX, SLADB_MAX, SLADB_MAX, SLADB_MAX },
		.new_limits = { 200, 100, SLADB_MAX, 1 << 20 },
	};
	struct collect c = { 0 };
	int ret = 0;

	for (int i = 3; i >= 1; i--) {
		char reason[32];

		snprintf(reason, sizeof(reason), "reason %d", i);
		d.ts_ns = S(1000 + i);
		d.reason = reason;
		d.call_id = 40 + i;
		ret |= sladb_insert_decision(db, &d);
	}
	ok(ret == 0, "three decisions inserted");
	ret = sladb_decisions(db, S(1001), collect_decision, &c);
	ok(ret == 0 && c.n == 2, "decisions after a time (%d)", c.n);
	ok(c.d[0].ts_ns == S(1002) && !strcmp(c.d[0].reason, "reason 2") &&
	   c.d[1].ts_ns == S(1003), "decisions come oldest first");
	ok(c.d[0].old_limits.riops == SLADB_MAX &&
	   c.d[0].new_limits.riops == 200 && c.d[0].new_limits.wiops == 100 &&
	   c.d[0].new_limits.rbps == SLADB_MAX &&
	   c.d[0].new_limits.wbps == 1 << 20 && c.d[0].call_id == 42,
	   "limits (max as SLADB_MAX) and call_id read back");
}

static int list_sla(void *ctx, const struct sladb_sla *s)
{
	char *out = ctx;

	strcat(out, s->host);
	strcat(out, ",");
	return 0;
}

static void test_slas(struct sladb *db)
{
	struct sladb_sla gold = {
		.host = "gold", .lat_ceiling_us = 12000, .iops_floor = 40,
		.priority = 10, .cap_iops = SLADB_MAX, .cap_bps = SLADB_MAX,
		.updated_ns = S(1),
	};
	struct sladb_sla batch = {
		.host = "batch", .priority = 0, .cap_iops = 5000,
		.cap_bps = SLADB_MAX, .updated_ns = S(1),
	};
	struct sladb_sla got;
	char list[64] = "";

	ok(sladb_sla_put(db, &gold) == 0 && sladb_sla_put(db, &batch) == 0,
	   "two SLAs stored");
	ok(sladb_sla_get(db, "gold", &got) == 0 && !strcmp(got.host, "gold") &&
	   got.lat_ceiling_us == 12000 && got.iops_floor == 40 &&
	   got.priority == 10 && got.cap_iops == SLADB_MAX,
	   "an SLA read back");
	gold.lat_ceiling_us = 8000;
	gold.updated_ns = S(2);
	ok(sladb_sla_put(db, &gold) == 0 && sladb_sla_get(db, "gold", &got) == 0 &&
	   got.lat_ceiling_us == 8000 && got.updated_ns == S(2),
	   "an SLA replaced");
	ok(sladb_sla_list(db, list_sla, list) == 0 && !strcmp(list, "batch,gold,"),
	   "SLAs listed by host (%s)", list);
	ok(sladb_sla_get(db, "batch", &got) == 0 && got.cap_iops == 5000,
	   "a cap read back");
	ok(sladb_sla_delete(db, "batch") == 0 &&
	   sladb_sla_get(db, "batch", &got) == -ENOENT,
	   "an SLA deleted");
	ok(sladb_sla_delete(db, "batch") == -ENOENT,
	   "deleting a missing SLA: -ENOENT");
	gold.iops_floor = -1;
	ok(sladb_sla_put(db, &gold) == -EINVAL, "a negative floor: -EINVAL");
}

static void test_prune(struct sladb *db)
{
	struct sladb_window w;
	uint64_t n = 0;

	int ret = sladb_prune_samples(db, S(50), &n);

	ok(ret == 0 && n == 150,
	   "prune deletes the samples up to a time (%llu)",
	   (unsigned long long)n);
	ok(sladb_window(db, "gold", "8:0", S(100), S(100), &w) == 0 &&
	   w.count == 50 && w.first_ts_ns == S(51), "the later samples stay");
}

/*
 * Two processes open a database that does not exist yet (both race to
 * migrate it), then write at once: NR_BATCH batches of BATCH samples and
 * NR_DEC single decisions each, interleaved.
 */
#define NR_BATCH 20
#define BATCH 100
#define NR_DEC 100

static int writer(const char *f, int id, int go)
{
	struct sladb_sample s[BATCH];
	char host[16], other[16], c;
	struct sladb_window w;
	struct sladb *db;
	int ret;

	if (read(go, &c, 1) != 1)
		return 10;
	ret = sladb_open(f, &db);
	if (ret) {
		fprintf(stderr, "# writer %d: open: %s\n", id, strerror(-ret));
		return 11;
	}
	snprintf(host, sizeof(host), "host%d", id);
	snprintf(other, sizeof(other), "host%d", !id);
	for (int b = 0; b < NR_BATCH; b++) {
		struct sladb_decision d = {
			.host = host, .device = "8:0", .action = "hold",
			.reason = "test",
			.old_limits = { SLADB_MAX, SLADB_MAX, SLADB_MAX, SLADB_MAX },
			.new_limits = { SLADB_MAX, SLADB_MAX, SLADB_MAX, SLADB_MAX },
		};

		for (int i = 0; i < BATCH; i++)
			s[i] = sample(S(b * BATCH + i), host, "8:0", i);
		/* Work between transactions, as a real writer has: else
		 * one writer takes the lock back before the other's busy
		 * handler wakes, and they never overlap. */
		ret = sladb_insert_samples(db, s, BATCH);
		usleep(1000);
		for (int i = 0; !ret && i < NR_DEC / NR_BATCH; i++) {
			d.ts_ns = S(b * BATCH + i);
			ret = sladb_insert_decision(db, &d);
			usleep(200);
		}
		/* After the first batch, wait (up to 10 s) for the other
		 * writer's first: then they overlap however loaded the
		 * machine, and the rows must interleave. */
		for (int t = 0; !ret && b == 0 && t < 10000; t++) {
			ret = sladb_window(db, other, "8:0", INT64_MAX,
					   INT64_MAX, &w);
			if (ret || w.count)
				break;
			usleep(1000);
		}
		if (ret) {
			fprintf(stderr, "# writer %d: %s: %s\n", id,
				strerror(-ret), sladb_errmsg(db));
			sladb_close(db);
			return 12;
		}
	}
	sladb_close(db);
	return 0;
}

static void test_two_writers(void)
{
	const char *f = path("two.db");
	struct sladb_window w;
	struct sladb *db;
	pid_t pid[2];
	int go[2], status, good = 0;
	long long switches;

	if (pipe(go))
		return ok(false, "pipe");
	for (int i = 0; i < 2; i++) {
		pid[i] = fork();
		if (pid[i] == 0) {
			close(go[1]);
			alarm(60);
			_exit(writer(f, i, go[0]));
		}
	}
	close(go[0]);
	/* Release both at once. */
	if (write(go[1], "xx", 2) != 2)
		ok(false, "start the writers");
	close(go[1]);
	for (int i = 0; i < 2; i++)
		if (pid[i] > 0 && waitpid(pid[i], &status, 0) == pid[i] &&
		    WIFEXITED(status) && WEXITSTATUS(status) == 0)
			good++;
	ok(good == 2, "two writer processes at once both succeed (%d)", good);
	ok(raw_int(f, "SELECT count(*) FROM samples") == 2 * NR_BATCH * BATCH,
	   "every sample of both writers is there (%lld)",
	   raw_int(f, "SELECT count(*) FROM samples"));
	ok(raw_int(f, "SELECT count(*) FROM decisions") == 2 * NR_DEC,
	   "every decision of both writers is there (%lld)",
	   raw_int(f, "SELECT count(*) FROM decisions"));
	ok(raw_int(f, "SELECT count(*) FROM schema_version") == 2,
	   "the racing migrations ran once each");
	/* Their transactions interleaved (one writer after the other
	 * would give 1 switch): the writers did overlap. */
	switches = raw_int(f, "SELECT count(*) FROM (SELECT host, lag(host)"
			      " OVER (ORDER BY id) AS prev FROM samples)"
			      " WHERE host != prev");
	ok(switches >= 2, "the writers' transactions interleaved (%lld switches)",
	   switches);
	ok(!strcmp(raw_text(f, "PRAGMA integrity_check"), "ok"),
	   "integrity_check ok after two writers");
	if (sladb_open(f, &db) == 0) {
		ok(sladb_check(db) == 0 &&
		   sladb_window(db, "host1", "8:0", S(NR_BATCH * BATCH),
				S(NR_BATCH * BATCH + 1), &w) == 0 &&
		   w.count == NR_BATCH * BATCH,
		   "sladb_check ok, a writer's window complete");
		sladb_close(db);
	} else {
		ok(false, "reopen after two writers");
	}
}

int main(int argc, char **argv)
{
	struct sladb *db;
	bool made = argc < 2;
	int ret;

	alarm(120);
	if (made) {
		snprintf(dir, sizeof(dir), "%s/sladb-test.XXXXXX",
			 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		if (!mkdtemp(dir)) {
			perror("mkdtemp");
			return 1;
		}
	} else {
		snprintf(dir, sizeof(dir), "%s", argv[1]);
	}

	test_migrate_from_empty();
	test_migrate_from_v1();
	test_refusals();
	ret = sladb_open(path("main.db"), &db);
	ok(ret == 0, "open the main test database");
	if (!ret) {
		test_invalid(db);
		test_window(db);
		test_decisions(db);
		test_slas(db);
		test_prune(db);
		ok(sladb_check(db) == 0, "integrity_check ok on the main database");
		sladb_close(db);
	}
	test_two_writers();

	if (made) {
		char cmd[4200];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd))
			fprintf(stderr, "# could not remove %s\n", dir);
	}
	return failed ? 1 : 0;
}
