/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The engine interface behind sladb.h.  An engine fills one const struct
 * sladb_engine; sladb.c checks the arguments once, then calls through it.
 * Every operation returns 0 or a negative errno and may set db->errmsg.
 *
 * To add an engine: implement these operations in <name>.c, add it to the
 * table in sladb.c with its address prefix (or a match function), and run
 * tests/db_test.c against it (pg.c is the second engine).
 */
#ifndef SLADB_ENGINE_H
#define SLADB_ENGINE_H

#include "sladb.h"

struct sladb_engine {
	const char *name;
	const char *prefix;	/* the address prefix: "sqlite:" */
	/* Or: the address to open when addr is this engine's, else NULL. */
	const char *(*match)(const char *addr);
	int (*open)(struct sladb *db, const char *addr);
	void (*close)(struct sladb *db);
	int (*schema_version)(struct sladb *db, int *version);
	/* Apply migration `to` (from to - 1) and record it, atomically. */
	int (*migrate_one)(struct sladb *db, int to);
	int (*insert_samples)(struct sladb *db, const struct sladb_sample *s,
			      size_t n);
	int (*insert_decision)(struct sladb *db,
			       const struct sladb_decision *d);
	int (*window)(struct sladb *db, const char *host, const char *device,
		      int64_t from_ns, int64_t to_ns, struct sladb_window *out);
	int (*lat_percentile)(struct sladb *db, const char *host,
			      const char *device, int64_t from_ns,
			      int64_t to_ns, double p, double *out);
	int (*decisions)(struct sladb *db, int64_t since_ns,
			 sladb_decision_cb cb, void *ctx);
	int (*sla_put)(struct sladb *db, const struct sladb_sla *sla);
	int (*sla_get)(struct sladb *db, const char *host,
		       struct sladb_sla *out);
	int (*sla_delete)(struct sladb *db, const char *host);
	int (*sla_list)(struct sladb *db, sladb_sla_cb cb, void *ctx);
	int (*prune_samples)(struct sladb *db, int64_t before_ns,
			     uint64_t *deleted);
	int (*check)(struct sladb *db);
};

struct sladb {
	const struct sladb_engine *engine;
	void *priv;		/* the engine's connection state */
	char errmsg[256];
};

void sladb_set_error(struct sladb *db, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

extern const struct sladb_engine sladb_sqlite_engine;
extern const struct sladb_engine sladb_pg_engine;

#endif
