// SPDX-License-Identifier: GPL-2.0
/*
 * The database layer's tests, the same on every engine: migrations from
 * empty and from version 1 (the same columns and indexes at each version on
 * SQLite and PostgreSQL), inserts, window queries on known data, SLAs, two
 * writer processes at once, and the pool under threads.  Results are
 * checked through sladb and, where the point is what is stored, through a
 * separate raw connection (sqlite3 or libpq).  With a server command, also
 * a PostgreSQL server stopped, started and restarted under the tests' feet.
 * Prints "ok - ..." / "not ok - ..." lines; tests/run.sh numbers them.
 *
 *   db_test [DIR]     SQLite; DIR: where to put the databases (default: a
 *                     new directory under $TMPDIR, removed at the end)
 *   db_test --pg CONNINFO [--server CMD]
 *                     PostgreSQL: CONNINFO without dbname reaches a server
 *                     where the test may create databases; "CMD stop",
 *                     "CMD start" and "CMD restart" control that server
 *                     (tests/pgserver.sh DIR)
 */
#include "sladb.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#define S(sec) ((int64_t)(sec) * 1000000000)

static char dir[4096];
static int failed;
/* PostgreSQL: the connection string without dbname; NULL: SQLite. */
static const char *pgbase;
static const char *server_cmd;

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

/*
 * The address of test database name ("empty", "main", ...): a file in dir,
 * or a database on the server, created afresh on the first call.
 */
static const char *addr(const char *name)
{
	static char buf[8][4200];
	static char made[16][32];
	static int i;

	i = (i + 1) % 8;
	if (!pgbase) {
		snprintf(buf[i], sizeof(buf[i]), "%s/%s.db", dir, name);
		return buf[i];
	}
	snprintf(buf[i], sizeof(buf[i]), "%s dbname=%s", pgbase, name);
	for (int k = 0; k < 16; k++) {
		char sql[128];
		PGconn *c;

		if (!strcmp(made[k], name))
			break;
		if (made[k][0])
			continue;
		snprintf(made[k], sizeof(made[k]), "%s", name);
		snprintf(sql, sizeof(sql), "%s dbname=postgres", pgbase);
		c = PQconnectdb(sql);
		PQclear(PQexec(c, "SET client_min_messages = warning"));
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", name);
		PQclear(PQexec(c, sql));
		snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
		PQclear(PQexec(c, sql));
		if (PQstatus(c) != CONNECTION_OK)
			fprintf(stderr, "# create %s: %s", name,
				PQerrorMessage(c));
		PQfinish(c);
		break;
	}
	return buf[i];
}

/*
 * PostgreSQL: SQL on a raw libpq connection to a, kept open between calls
 * to the same address (a connection costs a SCRAM exchange over TCP), and
 * made again once when the server has dropped it (a restart).
 */
static PGresult *raw_pg(const char *a, const char *sql)
{
	static PGconn *c;
	static char at[4200];
	PGresult *r;

	for (int tries = 0;; tries++) {
		if (!c || strcmp(at, a) || PQstatus(c) != CONNECTION_OK) {
			PQfinish(c);
			c = PQconnectdb(a);
			snprintf(at, sizeof(at), "%s", a);
		}
		r = PQexec(c, sql);
		if (PQstatus(c) == CONNECTION_OK || tries)
			return r;
		PQclear(r);
	}
}

/* One value of SQL on a raw connection to a, into buf ("" on error). */
static const char *raw_value(const char *a, const char *sql, bool *okp)
{
	static char buf[256];

	buf[0] = '\0';
	*okp = false;
	if (pgbase) {
		PGresult *r = raw_pg(a, sql);

		if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) &&
		    !PQgetisnull(r, 0, 0)) {
			snprintf(buf, sizeof(buf), "%s", PQgetvalue(r, 0, 0));
			*okp = true;
		}
		PQclear(r);
		return buf;
	}
	sqlite3 *c;
	sqlite3_stmt *st;

	if (sqlite3_open_v2(a, &c, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(c, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
			snprintf(buf, sizeof(buf), "%s",
				 (const char *)sqlite3_column_text(st, 0));
			*okp = true;
		}
		sqlite3_finalize(st);
	}
	sqlite3_close(c);
	return buf;
}

/* One integer from SQL on a raw connection: -1 on any error. */
static long long raw_int(const char *a, const char *sql)
{
	bool good;
	const char *v = raw_value(a, sql, &good);

	return good ? strtoll(v, NULL, 10) : -1;
}

static const char *raw_text(const char *a, const char *sql)
{
	bool good;

	return raw_value(a, sql, &good);
}

/* Run SQL on a raw connection: true when it ran. */
static bool raw_exec(const char *a, const char *sql)
{
	bool good;

	if (pgbase) {
		PGresult *r = raw_pg(a, sql);

		good = PQresultStatus(r) == PGRES_COMMAND_OK;
		PQclear(r);
		return good;
	}
	sqlite3 *c;

	good = sqlite3_open(a, &c) == SQLITE_OK &&
	       sqlite3_exec(c, sql, NULL, NULL, NULL) == SQLITE_OK;
	sqlite3_close(c);
	return good;
}

/* A table's columns, in order, comma-separated, from the catalog. */
static const char *columns(const char *a, const char *table)
{
	char sql[400];

	if (pgbase)
		snprintf(sql, sizeof(sql),
			 "SELECT string_agg(column_name, ',' ORDER BY"
			 " ordinal_position) FROM information_schema.columns"
			 " WHERE table_schema = current_schema()"
			 " AND table_name = '%s'", table);
	else
		snprintf(sql, sizeof(sql),
			 "SELECT group_concat(name) FROM (SELECT name FROM"
			 " pragma_table_info('%s') ORDER BY cid)", table);
	return raw_text(a, sql);
}

static bool has_column(const char *a, const char *table, const char *col)
{
	char want[64];
	char cols[256];

	snprintf(cols, sizeof(cols), ",%s,", columns(a, table));
	snprintf(want, sizeof(want), ",%s,", col);
	return strstr(cols, want) != NULL;
}

/* The indexes made by name (not those of primary keys), sorted. */
static const char *indexes(const char *a)
{
	return raw_text(a, pgbase ?
		"SELECT string_agg(indexname, ',' ORDER BY indexname)"
		" FROM pg_indexes WHERE schemaname = current_schema()"
		" AND indexname NOT LIKE '%pkey'" :
		"SELECT group_concat(name) FROM (SELECT name FROM sqlite_master"
		" WHERE type = 'index' AND sql IS NOT NULL ORDER BY name)");
}

static bool has_index(const char *a, const char *index)
{
	char want[64];
	char all[256];

	snprintf(all, sizeof(all), ",%s,", indexes(a));
	snprintf(want, sizeof(want), ",%s,", index);
	return strstr(all, want) != NULL;
}

/* 1 when the index is UNIQUE, 0 when not, -1 when it is not there. */
static int index_unique(const char *a, const char *index)
{
	char sql[300];

	if (pgbase)
		snprintf(sql, sizeof(sql), "SELECT CASE WHEN indisunique THEN 1"
			 " ELSE 0 END FROM pg_index WHERE indexrelid ="
			 " to_regclass('%s')", index);
	else
		snprintf(sql, sizeof(sql), "SELECT \"unique\" FROM"
			 " pragma_index_list('samples') WHERE name = '%s'", index);
	return (int)raw_int(a, sql);
}

/* The engine's own view that the database is sound, on a raw connection. */
static bool raw_sound(const char *a)
{
	if (pgbase)
		return raw_int(a, "SELECT count(*) FROM pg_index"
				  " WHERE NOT indisvalid") == 0;
	return !strcmp(raw_text(a, "PRAGMA integrity_check"), "ok");
}

static const char *engine(void)
{
	return pgbase ? "postgresql" : "sqlite";
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

/*
 * The schema at each version, the same on every engine: each table's
 * columns in order, and the indexes made by name.  A migration added to
 * one engine and not the other fails here.
 */
static const struct {
	const char *samples, *decisions, *slas, *indexes;
	bool unique_key;	/* samples_host_device_ts is UNIQUE */
} schema[] = {
	[1] = {
		"id,ts_ns,host,device,riops,wiops,rbps,wbps,lat_mean_us,"
		"lat_p50_us,lat_p99_us,lat_max_us",
		"id,ts_ns,host,device,action,old_riops,old_wiops,old_rbps,"
		"old_wbps,new_riops,new_wiops,new_rbps,new_wbps,reason",
		"host,lat_ceiling_us,iops_floor,bps_floor,priority,cap_iops,"
		"cap_bps,updated_ns",
		"samples_ts",
	},
	[2] = {
		"id,ts_ns,host,device,riops,wiops,rbps,wbps,lat_mean_us,"
		"lat_p50_us,lat_p99_us,lat_max_us",
		"id,ts_ns,host,device,action,old_riops,old_wiops,old_rbps,"
		"old_wbps,new_riops,new_wiops,new_rbps,new_wbps,reason,call_id",
		"host,lat_ceiling_us,iops_floor,bps_floor,priority,cap_iops,"
		"cap_bps,updated_ns",
		"decisions_ts,samples_host_device_ts,samples_ts",
	},
	[3] = {
		"id,ts_ns,host,device,riops,wiops,rbps,wbps,lat_mean_us,"
		"lat_p50_us,lat_p99_us,lat_max_us",
		"id,ts_ns,host,device,action,old_riops,old_wiops,old_rbps,"
		"old_wbps,new_riops,new_wiops,new_rbps,new_wbps,reason,call_id",
		"host,lat_ceiling_us,iops_floor,bps_floor,priority,cap_iops,"
		"cap_bps,updated_ns",
		"decisions_ts,samples_host_device_ts,samples_ts",
		true,
	},
};

_Static_assert(sizeof(schema) / sizeof(*schema) == SLADB_SCHEMA_VERSION + 1,
	       "the expected schema of every version");

static void check_schema(const char *a, int v)
{
	ok(!strcmp(columns(a, "samples"), schema[v].samples),
	   "version %d: the columns of samples", v);
	ok(!strcmp(columns(a, "decisions"), schema[v].decisions),
	   "version %d: the columns of decisions (%s)", v,
	   columns(a, "decisions"));
	ok(!strcmp(columns(a, "slas"), schema[v].slas),
	   "version %d: the columns of slas", v);
	ok(!strcmp(columns(a, "schema_version"), "version,applied_ns"),
	   "version %d: the columns of schema_version", v);
	ok(!strcmp(indexes(a), schema[v].indexes),
	   "version %d: the indexes %s (%s)", v, schema[v].indexes,
	   indexes(a));
	if (v >= 2)
		ok(index_unique(a, "samples_host_device_ts") == schema[v].unique_key,
		   "version %d: samples_host_device_ts is %sunique", v,
		   schema[v].unique_key ? "" : "not ");
}

static void test_migrate_from_empty(void)
{
	const char *f = addr("empty");
	struct sladb *db;
	int v = -1, ret;

	ret = sladb_open(f, &db);
	ok(ret == 0, "open an empty database (%d)", ret);
	if (ret)
		return;
	ret = sladb_schema_version(db, &v);
	ok(ret == 0 && v == SLADB_SCHEMA_VERSION,
	   "migrated from empty to version %d (%d)", SLADB_SCHEMA_VERSION, v);
	ok(!strcmp(sladb_engine_name(db), engine()), "the engine is %s",
	   engine());
	if (!pgbase)
		ok(!strcmp(raw_text(f, "PRAGMA journal_mode"), "wal"),
		   "the database is in WAL mode");
	ok(raw_int(f, "SELECT count(*) FROM schema_version") == SLADB_SCHEMA_VERSION &&
	   raw_int(f, "SELECT count(DISTINCT version) FROM schema_version"
		      " WHERE version >= 1 AND applied_ns > 0") == SLADB_SCHEMA_VERSION,
	   "schema_version records migrations 1 to %d", SLADB_SCHEMA_VERSION);
	check_schema(f, SLADB_SCHEMA_VERSION);
	sladb_close(db);

	ret = sladb_open(f, &db);
	ok(ret == 0 && raw_int(f, "SELECT count(*) FROM schema_version") ==
	   SLADB_SCHEMA_VERSION,
	   "opening again migrates nothing");
	sladb_close(db);

	ret = sladb_open(f, &db);
	sladb_close(db);
	ok(ret == 0 && raw_sound(f), "the database is sound after migration");
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
	const char *f = addr("v1");
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
	check_schema(f, 1);
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

/*
 * Version 2 took the same sample twice; migration 3 keeps the first of
 * each, and from then on a batch sent again is stored once.
 */
static void test_migrate_from_v2(void)
{
	const char *f = addr("v2");
	struct sladb_sample s[3] = {
		sample(S(1), "gold", "8:0", 1),
		sample(S(2), "gold", "8:0", 2),
		sample(S(1), "gold", "8:0", 7),	/* the first one again */
	};
	struct sladb_sample again[3] = {
		sample(S(2), "gold", "8:0", 9),	/* stored already */
		sample(S(3), "gold", "8:0", 3),
		sample(S(3), "gold", "8:16", 3),	/* another device */
	};
	struct sladb_window w;
	struct sladb *db;
	int v = -1, ret;

	ret = sladb_open_version(f, 2, &db);
	if (!ret)
		ret = sladb_schema_version(db, &v);
	ok(ret == 0 && v == 2, "a database made at version 2 (%d, %d)", ret, v);
	if (ret)
		return;
	check_schema(f, 2);
	ok(sladb_insert_samples(db, s, 3) == 0 &&
	   raw_int(f, "SELECT count(*) FROM samples") == 3,
	   "version 2 stores one sample twice");
	sladb_close(db);

	ret = sladb_open(f, &db);
	ok(ret == 0, "version 2 migrated to %d", SLADB_SCHEMA_VERSION);
	if (ret)
		return;
	check_schema(f, 3);
	ok(raw_int(f, "SELECT count(*) FROM samples") == 2 &&
	   raw_int(f, "SELECT count(*) FROM samples WHERE ts_ns = 1000000000"
		      " AND riops = 1") == 1,
	   "migration 3 dropped the second copy, kept the first");
	ok(sladb_insert_samples(db, s, 2) == 0 &&
	   raw_int(f, "SELECT count(*) FROM samples") == 2,
	   "a batch sent again is stored once, without an error");
	ret = sladb_insert_samples(db, again, 3);
	ok(ret == 0 && raw_int(f, "SELECT count(*) FROM samples") == 4 &&
	   raw_int(f, "SELECT count(*) FROM samples WHERE riops = 9") == 0,
	   "a batch partly stored: the new samples added, the old left as they"
	   " were (%d)", ret);
	ok(sladb_window(db, "gold", "8:0", S(3), S(3), &w) == 0 &&
	   w.count == 3 && w.riops == 2, "the window sees each sample once");
	ok(sladb_check(db) == 0, "the check passes after migration 3");
	sladb_close(db);
}

/* Open a, check the engine and the version, close: true when all held. */
static bool opens_as(const char *a, const char *eng)
{
	struct sladb *db;
	int v = -1, ret = sladb_open(a, &db);

	if (ret) {
		fprintf(stderr, "# %s: %s\n", a, sladb_open_error());
		return false;
	}
	ret = sladb_schema_version(db, &v);
	ret = !ret && v == SLADB_SCHEMA_VERSION &&
	      !strcmp(sladb_engine_name(db), eng);
	sladb_close(db);
	return ret;
}

/* Each spelling of an address reaches its engine. */
static void test_addresses(void)
{
	char a[4400];

	if (!pgbase) {
		snprintf(a, sizeof(a), "sqlite:%s", addr("prefixed"));
		ok(opens_as(a, "sqlite"), "sqlite:PATH opens SQLite");
		return;
	}
	PQconninfoOption *o, *opts = PQconninfoParse(pgbase, NULL);
	const char *host = "", *port = "", *user = "";
	char pass[4200] = "";

	addr("uri");
	for (o = opts; o && o->keyword; o++) {
		if (!o->val)
			continue;
		if (!strcmp(o->keyword, "host"))
			host = o->val;
		else if (!strcmp(o->keyword, "port"))
			port = o->val;
		else if (!strcmp(o->keyword, "user"))
			user = o->val;
		else if (!strcmp(o->keyword, "passfile"))
			snprintf(pass, sizeof(pass), "&passfile=%s", o->val);
	}
	snprintf(a, sizeof(a), "postgresql://%s@/uri?host=%s&port=%s%s", user,
		 host, port, pass);
	ok(opens_as(a, "postgresql"), "a postgresql:// URI opens PostgreSQL (%s)", a);
	snprintf(a, sizeof(a), "postgres://%s@/uri?host=%s&port=%s%s", user,
		 host, port, pass);
	ok(opens_as(a, "postgresql"), "a postgres:// URI opens PostgreSQL");
	snprintf(a, sizeof(a), "dbname=uri %s", pgbase);
	ok(opens_as(a, "postgresql"),
	   "key=value pairs, dbname first, open PostgreSQL");
	snprintf(a, sizeof(a), "  dbname = uri %s", pgbase);
	ok(opens_as(a, "postgresql"),
	   "key = value pairs with blanks, as libpq takes them");
	PQconninfoFree(opts);
}

static void test_refusals(void)
{
	const char *f = addr("newer");
	char sql[100], why[100];
	struct sladb *db;
	int ret;

	ok(sladb_open("mysql://localhost/sla", &db) == -ENOTSUP && !db &&
	   strstr(sladb_open_error(), "no engine"),
	   "an address of a scheme no engine takes: -ENOTSUP");
	ok(sladb_open("dbnam=sla host=/nonexistent", &db) == -EINVAL && !db &&
	   strstr(sladb_open_error(), "invalid connection option \"dbnam\""),
	   "a connection string with a key libpq does not know: -EINVAL, not"
	   " a file name (%s)", sladb_open_error());
	ok(sladb_open("postgresql://h/db?nosuch=1", &db) == -EINVAL && !db,
	   "a URI with an option libpq does not know: -EINVAL (%s)",
	   sladb_open_error());
	ok(sladb_open_version(f, SLADB_SCHEMA_VERSION + 1, &db) == -EINVAL,
	   "migrating past the known version: -EINVAL");
	ret = sladb_open(f, &db);
	sladb_close(db);
	snprintf(sql, sizeof(sql), "INSERT INTO schema_version VALUES (%d, 0)",
		 SLADB_SCHEMA_VERSION + 1);
	snprintf(why, sizeof(why), "schema version %d is newer than %d",
		 SLADB_SCHEMA_VERSION + 1, SLADB_SCHEMA_VERSION);
	ok(ret == 0 && raw_exec(f, sql) &&
	   sladb_open(f, &db) == -EPROTO && !db &&
	   strstr(sladb_open_error(), why),
	   "a database newer than this code: -EPROTO, and why");
	if (!pgbase) {
		ok(sladb_open(addr("nodir/x"), &db) < 0 && !db,
		   "a path that cannot be created: an error");
	} else {
		char a[4200];

		snprintf(a, sizeof(a), "%s dbname=nosuchdb", pgbase);
		ret = sladb_open(a, &db);
		ok(ret == -ECONNREFUSED && !db &&
		   strstr(sladb_open_error(), "nosuchdb"),
		   "a database that does not exist: -ECONNREFUSED, and why (%s)",
		   sladb_open_error());
	}
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

/* Names are stored as given, whatever their characters. */
static void test_odd_names(struct sladb *db, const char *a)
{
	static const char host[] = "we\"ird\\ ho,st{} \xc3\xa9";
	struct sladb_sample s[2] = { sample(S(5), host, "8:0", 3),
				     sample(S(6), host, "{8:0}", 4) };
	struct sladb_sla sla = { .host = host, .cap_iops = SLADB_MAX,
				 .cap_bps = SLADB_MAX };
	struct sladb_sla got;
	struct sladb_window w;
	char sql[200];

	ok(sladb_insert_samples(db, s, 2) == 0,
	   "samples of a host named with quotes, a backslash, commas, braces,"
	   " blanks and UTF-8");
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM samples WHERE"
		 " host = '%s' AND device IN ('8:0', '{8:0}')", host);
	ok(raw_int(a, sql) == 2, "stored under the name as given");
	ok(sladb_window(db, host, "{8:0}", S(6), S(1), &w) == 0 &&
	   w.count == 1 && w.riops == 4, "its window found by that name");
	ok(sladb_sla_put(db, &sla) == 0 && sladb_sla_get(db, host, &got) == 0 &&
	   !strcmp(got.host, host) && sladb_sla_delete(db, host) == 0,
	   "its SLA stored, read back and deleted by that name");
	ok(sladb_prune_samples(db, S(6), NULL) == 0, "and its samples pruned");
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
	const char *f = addr("two");
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
	ok(raw_int(f, "SELECT count(*) FROM schema_version") == SLADB_SCHEMA_VERSION,
	   "the racing migrations ran once each");
	/* Their transactions interleaved (one writer after the other
	 * would give 1 switch): the writers did overlap. */
	switches = raw_int(f, "SELECT count(*) FROM (SELECT host, lag(host)"
			      " OVER (ORDER BY id) AS prev FROM samples) AS t"
			      " WHERE host != prev");
	ok(switches >= 2, "the writers' transactions interleaved (%lld switches)",
	   switches);
	ok(raw_sound(f), "the database is sound after two writers");
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

/*
 * The pool under threads: THREADS threads share POOL handles, each taking
 * one for a batch of samples and a window query of its own host, holding
 * it a little, and giving it back.
 */
#define POOL 3
#define THREADS 8
#define ROUNDS 30
#define PER 10
#define RESTART_THREADS 4

struct pool_run {
	struct sladb_pool *pool;
	pthread_mutex_t lock;
	int in_use, max_in_use;
	int bad;		/* operations that failed or saw wrong counts */
	/* The restart run: retry on these, count them, fail on the rest. */
	bool retry;
	bool keep_going;	/* go on past ROUNDS until the restart is over */
	int done;		/* batches stored, over all threads */
	int eagain, econnreset, ebusy, other;
};

struct pool_thread {
	struct pool_run *run;
	int id;
	pthread_t tid;
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Count a failed call; true when the restart run retries it. */
static bool pool_failed(struct pool_run *run, struct sladb *db, int ret,
			const char *what)
{
	bool again = ret == -EAGAIN || ret == -ECONNRESET || ret == -EBUSY;

	pthread_mutex_lock(&run->lock);
	run->eagain += ret == -EAGAIN;
	run->econnreset += ret == -ECONNRESET;
	run->ebusy += ret == -EBUSY;
	if (!again) {
		run->other++;
		fprintf(stderr, "# %s: %s: %s\n", what, strerror(-ret),
			sladb_errmsg(db));
	}
	pthread_mutex_unlock(&run->lock);
	return again && run->retry;
}

/*
 * One call through the pool: take a handle, run op, give it back.  In the
 * restart run a call that failed with a retryable error is made again, as
 * a database manager leaves the call in its slot and serves it again: the
 * engine reconnects meanwhile, with its back-off.
 */
static int pool_call(struct pool_run *run, const char *what,
		     int (*op)(struct sladb *db, void *ctx), void *ctx)
{
	struct sladb *db;
	int ret;

	for (;;) {
		ret = sladb_pool_take(run->pool, -1, &db);
		if (ret)
			return ret;
		pthread_mutex_lock(&run->lock);
		if (++run->in_use > run->max_in_use)
			run->max_in_use = run->in_use;
		pthread_mutex_unlock(&run->lock);
		ret = op(db, ctx);
		pthread_mutex_lock(&run->lock);
		run->in_use--;
		pthread_mutex_unlock(&run->lock);
		if (ret && !pool_failed(run, db, ret, what)) {
			sladb_pool_give(run->pool, db);
			return ret;
		}
		sladb_pool_give(run->pool, db);
		if (!ret)
			return 0;
		if (ret != -ECONNRESET)
			usleep(20000);
	}
}

struct batch {
	const struct sladb_sample *s;
	int n;
	bool hold;
	struct sladb_window w;
};

static int op_insert(struct sladb *db, void *ctx)
{
	struct batch *b = ctx;
	int ret = sladb_insert_samples(db, b->s, b->n);

	if (!ret && b->hold)
		usleep(2000);	/* hold the handle: let the others queue */
	return ret;
}

static int op_window(struct sladb *db, void *ctx)
{
	struct batch *b = ctx;

	return sladb_window(db, b->s[0].host, "8:0", INT64_MAX, INT64_MAX,
			    &b->w);
}

/* A batch stored, then its host's window read: every row there, once. */
static int pool_batch(struct pool_run *run, const struct sladb_sample *s,
		      int n, const char *host, uint64_t want)
{
	struct batch b = { .s = s, .n = n, .hold = !run->retry };
	int ret = pool_call(run, host, op_insert, &b);

	if (!ret)
		ret = pool_call(run, host, op_window, &b);
	pthread_mutex_lock(&run->lock);
	if (!ret && b.w.count != want) {
		fprintf(stderr, "# %s: %llu samples, not %llu\n", host,
			(unsigned long long)b.w.count, (unsigned long long)want);
		run->bad++;
	}
	if (!ret)
		run->done++;
	pthread_mutex_unlock(&run->lock);
	return ret;
}

static bool going(struct pool_run *run)
{
	bool on;

	pthread_mutex_lock(&run->lock);
	on = run->keep_going;
	pthread_mutex_unlock(&run->lock);
	return on;
}

static void *pool_worker(void *arg)
{
	struct pool_thread *t = arg;
	struct sladb_sample s[PER];
	char host[16];

	snprintf(host, sizeof(host), "pool%d", t->id);
	for (int r = 0; r < ROUNDS || going(t->run); r++) {
		for (int i = 0; i < PER; i++)
			s[i] = sample(S(r * PER + i + 1), host, "8:0", i);
		if (pool_batch(t->run, s, PER, host, (uint64_t)(r + 1) * PER)) {
			pthread_mutex_lock(&t->run->lock);
			t->run->bad++;
			pthread_mutex_unlock(&t->run->lock);
			break;
		}
	}
	return NULL;
}

static void run_threads(struct pool_run *run, int nthreads,
			void (*meanwhile)(struct pool_run *))
{
	struct pool_thread t[THREADS];

	for (int i = 0; i < nthreads; i++) {
		t[i].run = run;
		t[i].id = i;
		pthread_create(&t[i].tid, NULL, pool_worker, &t[i]);
	}
	if (meanwhile)
		meanwhile(run);
	for (int i = 0; i < nthreads; i++)
		pthread_join(t[i].tid, NULL);
}

static void test_pool(void)
{
	const char *f = addr("pool");
	struct pool_run run = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct sladb *held[POOL], *extra, *other;
	struct sladb_pool *pool;
	int64_t t0;
	int ret;

	ok(sladb_pool_open(f, 0, &pool) == -EINVAL && !pool,
	   "a pool of 0 handles: -EINVAL");
	ok(sladb_pool_open(f, SLADB_POOL_MAX + 1, &pool) == -EINVAL,
	   "a pool of %d handles: -EINVAL", SLADB_POOL_MAX + 1);
	ret = sladb_pool_open(f, POOL, &pool);
	ok(ret == 0 && sladb_pool_size(pool) == POOL,
	   "a pool of %d handles (%d)", POOL, ret);
	if (ret)
		return;
	run.pool = pool;
	run_threads(&run, THREADS, NULL);
	ok(run.bad == 0 && run.done == THREADS * ROUNDS,
	   "%d threads, %d batches through %d handles, each seeing its own rows"
	   " (%d stored, %d bad)", THREADS, THREADS * ROUNDS, POOL, run.done,
	   run.bad);
	ok(run.max_in_use == POOL,
	   "never more than %d handles out at once, and all of them used (%d)",
	   POOL, run.max_in_use);
	ok(raw_int(f, "SELECT count(*) FROM samples") == THREADS * ROUNDS * PER,
	   "every sample of every thread is stored (%lld)",
	   raw_int(f, "SELECT count(*) FROM samples"));

	ret = 0;
	for (int i = 0; i < POOL; i++)
		ret |= sladb_pool_take(pool, 0, &held[i]);
	ok(ret == 0 && held[0] != held[1] && held[1] != held[2] &&
	   held[0] != held[2], "%d distinct handles taken", POOL);
	ok(sladb_pool_take(pool, 0, &extra) == -ETIMEDOUT && !extra,
	   "all taken: a take without waiting gives -ETIMEDOUT");
	t0 = mono_ms();
	ret = sladb_pool_take(pool, 150, &extra);
	t0 = mono_ms() - t0;
	ok(ret == -ETIMEDOUT && t0 >= 150 && t0 < 2000,
	   "all taken: a take of 150 ms times out after %lld ms", (long long)t0);
	ok(sladb_pool_give(pool, held[1]) == 0 &&
	   sladb_pool_take(pool, 0, &extra) == 0 && extra == held[1],
	   "a handle given back is taken again");
	ok(sladb_pool_give(pool, held[1]) == 0 &&
	   sladb_pool_give(pool, held[1]) == -EINVAL,
	   "a handle given back twice: -EINVAL");
	ret = sladb_open(f, &other);
	ok(ret == 0 && sladb_pool_give(pool, other) == -EINVAL,
	   "a handle not of the pool: -EINVAL");
	sladb_close(other);
	sladb_pool_give(pool, held[0]);
	sladb_pool_give(pool, held[2]);
	sladb_pool_close(pool);
}

static bool server(const char *verb)
{
	char cmd[4400];

	snprintf(cmd, sizeof(cmd), "%s %s", server_cmd, verb);
	return system(cmd) == 0;
}

/*
 * The server stopped under an open handle, then started again: calls fail
 * with -EAGAIN (quickly, during the back-off) while it is away, and the
 * same call succeeds once it is back; nothing is lost, nothing doubled.
 */
static void test_server_away(void)
{
	const char *f = addr("away");
	struct sladb_sample s[2] = { sample(S(1), "gold", "8:0", 1),
				     sample(S(2), "gold", "8:0", 2) };
	struct sladb_window w;
	struct sladb *db;
	int ret, tries = 0, others = 0;
	int64_t t0;
	char sql[200];

	ret = sladb_open(f, &db);
	ok(ret == 0 && sladb_insert_samples(db, s, 1) == 0,
	   "a sample stored before the server stops");
	if (ret)
		return;
	snprintf(sql, sizeof(sql), "SELECT count(pg_terminate_backend(pid))"
		 " FROM pg_stat_activity WHERE datname = 'away'"
		 " AND application_name = 'sladb'");
	ok(raw_int(f, sql) == 1, "the handle's server process terminated");
	usleep(200000);
	ret = sladb_window(db, "gold", "8:0", S(10), S(10), &w);
	ok(ret == 0 && w.count == 1,
	   "a call on a connection the server closed while idle reconnects"
	   " first, and succeeds (%d: %s)", ret, ret ? sladb_errmsg(db) : "");

	ok(server("stop"), "server stopped");
	ret = sladb_insert_samples(db, s + 1, 1);
	ok(ret == -EAGAIN || ret == -ECONNRESET,
	   "a call while the server is away: -EAGAIN or -ECONNRESET (%s: %s)",
	   strerror(-ret), sladb_errmsg(db));
	/* A call that lost its connection in flight reconnects next time. */
	if (ret == -ECONNRESET)
		ret = sladb_insert_samples(db, s + 1, 1);
	t0 = mono_ms();
	ret = sladb_insert_samples(db, s + 1, 1);
	t0 = mono_ms() - t0;
	ok(ret == -EAGAIN && strstr(sladb_errmsg(db), "next attempt in"),
	   "the next call, inside the back-off: -EAGAIN without a connection"
	   " attempt (%lld ms: %s)", (long long)t0, sladb_errmsg(db));
	usleep(300000);
	ret = sladb_insert_samples(db, s + 1, 1);
	ok(ret == -EAGAIN && strstr(sladb_errmsg(db), "reconnect"),
	   "after the back-off, a reconnection tried and refused: -EAGAIN (%s)",
	   sladb_errmsg(db));

	ok(server("start"), "server started again");
	t0 = mono_ms();
	do {
		ret = sladb_insert_samples(db, s + 1, 1);
		tries++;
		if (ret && ret != -EAGAIN)
			others++;
		if (ret)
			usleep(20000);
	} while (ret && mono_ms() - t0 < 10000);
	ok(ret == 0 && others == 0,
	   "the same call, retried, succeeds once the server is back (%d tries,"
	   " %lld ms)", tries, (long long)(mono_ms() - t0));
	ok(sladb_window(db, "gold", "8:0", S(10), S(10), &w) == 0 &&
	   w.count == 2 && w.last_ts_ns == S(2),
	   "both samples stored, once each");
	ok(sladb_check(db) == 0, "the database is sound after the restart");
	sladb_close(db);
}

static void restart_meanwhile(struct pool_run *run)
{
	int64_t t0 = mono_ms();
	int done = 0;

	/* A third of the way through, restart the server. */
	while (mono_ms() - t0 < 30000) {
		pthread_mutex_lock(&run->lock);
		done = run->done;
		pthread_mutex_unlock(&run->lock);
		if (done >= RESTART_THREADS * ROUNDS / 3)
			break;
		usleep(5000);
	}
	ok(server("restart"), "server restarted after %d batches", done);
	/* The writers went on all through it; now they may stop. */
	pthread_mutex_lock(&run->lock);
	run->keep_going = false;
	pthread_mutex_unlock(&run->lock);
}

/*
 * Threads writing through a pool while the server restarts: each writes
 * ROUNDS batches at least, and goes on until the restart is over, so that
 * calls are in flight all through it.
 */
static void test_restart_under_load(void)
{
	const char *f = addr("restart");
	struct pool_run run = { .lock = PTHREAD_MUTEX_INITIALIZER,
				.retry = true, .keep_going = true };
	int ret;

	ret = sladb_pool_open(f, POOL, &run.pool);
	ok(ret == 0, "a pool for the restart run (%d)", ret);
	if (ret)
		return;
	run_threads(&run, RESTART_THREADS, restart_meanwhile);
	ok(run.other == 0 && run.bad == 0,
	   "every failed call failed with -EAGAIN, -ECONNRESET or -EBUSY"
	   " (%d other, %d bad)", run.other, run.bad);
	ok(run.eagain + run.econnreset >= 1,
	   "the restart was felt: %d -EAGAIN, %d -ECONNRESET, %d -EBUSY",
	   run.eagain, run.econnreset, run.ebusy);
	ok(run.done >= RESTART_THREADS * ROUNDS &&
	   raw_int(f, "SELECT count(*) FROM samples") == run.done * PER,
	   "every batch retried until stored: %d batches, %lld samples,"
	   " none lost or doubled", run.done,
	   raw_int(f, "SELECT count(*) FROM samples"));
	sladb_pool_close(run.pool);
}

int main(int argc, char **argv)
{
	struct sladb *db;
	bool made = false;
	int ret;

	alarm(120);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--pg") && i + 1 < argc)
			pgbase = argv[++i];
		else if (!strcmp(argv[i], "--server") && i + 1 < argc)
			server_cmd = argv[++i];
		else if (argv[i][0] != '-' && !dir[0])
			snprintf(dir, sizeof(dir), "%s", argv[i]);
		else {
			fprintf(stderr, "usage: db_test [DIR] | db_test --pg"
				" CONNINFO [--server CMD]\n");
			return 2;
		}
	}
	if (!pgbase && !dir[0]) {
		made = true;
		snprintf(dir, sizeof(dir), "%s/sladb-test.XXXXXX",
			 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		if (!mkdtemp(dir)) {
			perror("mkdtemp");
			return 1;
		}
	}
	printf("# engine %s\n", engine());

	test_migrate_from_empty();
	test_migrate_from_v1();
	test_migrate_from_v2();
	test_addresses();
	test_refusals();
	ret = sladb_open(addr("main"), &db);
	ok(ret == 0, "open the main test database");
	if (!ret) {
		test_invalid(db);
		test_odd_names(db, addr("main"));
		test_window(db);
		test_decisions(db);
		test_slas(db);
		test_prune(db);
		ok(sladb_check(db) == 0, "the engine's check passes on the main database");
		sladb_close(db);
	}
	test_two_writers();
	test_pool();
	if (pgbase && server_cmd) {
		test_server_away();
		test_restart_under_load();
	}

	if (made) {
		char cmd[4200];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd))
			fprintf(stderr, "# could not remove %s\n", dir);
	}
	return failed ? 1 : 0;
}
