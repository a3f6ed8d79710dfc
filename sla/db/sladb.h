/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sladb: the database layer of the SLA server's database manager.
 *
 * One handle is one connection; a handle is used by one thread at a time
 * (the database manager keeps a pool of them).  The engine is chosen by the
 * address given to sladb_open() and reached through struct sladb_engine, so
 * that another engine can be added beside SQLite.
 *
 * Every function returns 0 or a negative errno:
 *   -EINVAL   a bad argument (NULL host, p out of range, ...)
 *   -ENOENT   no such row (sladb_sla_get, sladb_sla_delete)
 *   -EBUSY    the database stayed locked longer than the busy timeout
 *   -EPROTO   the database's schema is newer than this code knows
 *   -ENOTSUP  an address of a scheme no engine takes ("mysql://...")
 *   -ECONNREFUSED  (open, PostgreSQL) the server could not be reached or
 *             refused the connection (sladb_open_error() has its words)
 *   -ECONNRESET    (PostgreSQL) the connection broke during this call:
 *             call again (what that may repeat: sla/README.md)
 *   -EAGAIN   (PostgreSQL) not connected, the server still away: call again
 *             later (the handle reconnects, with a back-off of its own)
 *   -EIO      any other engine error; sladb_errmsg() says which
 *
 * Times are int64 nanoseconds on whatever clock the caller uses for every
 * row (the SLA core's CLOCK_REALTIME, say); the layer only compares them.
 * A limit of SLADB_MAX is "max" (no limit).
 */
#ifndef SLADB_H
#define SLADB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SLADB_MAX UINT64_MAX
/* The schema version this code migrates a database to. */
#define SLADB_SCHEMA_VERSION 3

struct sladb;

/* One measurement interval of one application host on one device. */
struct sladb_sample {
	int64_t ts_ns;		/* the end of the interval */
	const char *host;
	const char *device;	/* "MAJ:MIN" */
	double riops, wiops;	/* I/O per second over the interval */
	double rbps, wbps;	/* bytes per second */
	double lat_mean_us;	/* completion latency, microseconds */
	double lat_p50_us;
	double lat_p99_us;
	double lat_max_us;
};

/* The io.max limits of one cgroup on one device. */
struct sladb_limits {
	uint64_t riops, wiops, rbps, wbps;	/* SLADB_MAX: "max" */
};

/* One decision of the SLA core: what it did, from what to what, and why. */
struct sladb_decision {
	int64_t ts_ns;
	const char *host;
	const char *device;
	const char *action;	/* "throttle", "modify", "withdraw", "lift", ... */
	struct sladb_limits old_limits, new_limits;
	const char *reason;
	uint64_t call_id;	/* the mailbox call that carried it; 0: none */
};

/* One application host's SLA.  0 in a field: not part of the SLA. */
struct sladb_sla {
	const char *host;
	double lat_ceiling_us;	/* mean latency must stay under this */
	double iops_floor;	/* guaranteed I/O per second */
	double bps_floor;	/* guaranteed bytes per second */
	int32_t priority;	/* higher is more important */
	uint64_t cap_iops;	/* best effort: never more than this; */
	uint64_t cap_bps;	/* SLADB_MAX: no cap */
	int64_t updated_ns;
};

/*
 * What a window of samples of one host on one device gives: the samples
 * with now_ns - window_ns < ts_ns <= now_ns.  Rates are the mean over the
 * samples.  Percentiles are nearest-rank over the samples' values (the
 * smallest value with at least p% of the samples at or below it):
 * lat_p50_us over the samples' lat_p50_us, lat_p99_us over their
 * lat_p99_us; so a window's p99 is the p99 of per-interval p99s, not of
 * every I/O.  With no samples, count is 0 and the rest is 0.
 */
struct sladb_window {
	uint64_t count;
	int64_t first_ts_ns, last_ts_ns;
	double riops, wiops, rbps, wbps;
	double lat_mean_us;
	double lat_p50_us;
	double lat_p99_us;
	double lat_max_us;	/* the largest lat_max_us */
};

/*
 * Open a database and migrate it to SLADB_SCHEMA_VERSION.  addr is a path,
 * "sqlite:PATH", or a PostgreSQL connection string: a URI
 * ("postgresql://sla@db.example/sla") or libpq key=value pairs
 * ("host=/run/postgresql dbname=sla"; -EINVAL when libpq cannot parse
 * it, an unknown key say).  SQLite opens in WAL mode with a
 * busy timeout, so several processes may write at once.
 */
int sladb_open(const char *addr, struct sladb **out);
/* The same, migrating no further than target (tests, staged upgrades). */
int sladb_open_version(const char *addr, int target, struct sladb **out);
void sladb_close(struct sladb *db);
/* Why this thread's last sladb_open*() failed (no handle to ask). */
const char *sladb_open_error(void);

/* The last error's text on this handle ("" when none). */
const char *sladb_errmsg(const struct sladb *db);
/* The engine's name: "sqlite" or "postgresql". */
const char *sladb_engine_name(const struct sladb *db);

int sladb_schema_version(struct sladb *db, int *version);
/* Migrate from the current version up to target (<= SLADB_SCHEMA_VERSION). */
int sladb_migrate(struct sladb *db, int target);

/*
 * n samples in one transaction: all of them or none.  From schema version
 * 3, a sample whose host, device and ts_ns are stored already is skipped,
 * so a batch sent again (after -ECONNRESET, say) is stored once.
 */
int sladb_insert_samples(struct sladb *db, const struct sladb_sample *s,
			 size_t n);
int sladb_insert_decision(struct sladb *db, const struct sladb_decision *d);

int sladb_window(struct sladb *db, const char *host, const char *device,
		 int64_t now_ns, int64_t window_ns, struct sladb_window *out);
/* Nearest-rank percentile p (0 < p <= 100) of the window's lat_mean_us. */
int sladb_window_lat_percentile(struct sladb *db, const char *host,
				const char *device, int64_t now_ns,
				int64_t window_ns, double p, double *out);

/* Decisions with ts_ns > since_ns, oldest first; cb returning non-zero stops. */
typedef int (*sladb_decision_cb)(void *ctx, const struct sladb_decision *d);
int sladb_decisions(struct sladb *db, int64_t since_ns, sladb_decision_cb cb,
		    void *ctx);

/* SLA definitions: create or replace, read one, delete, list by host. */
int sladb_sla_put(struct sladb *db, const struct sladb_sla *sla);
/* The strings in *out live until the next call on db. */
int sladb_sla_get(struct sladb *db, const char *host, struct sladb_sla *out);
int sladb_sla_delete(struct sladb *db, const char *host);
typedef int (*sladb_sla_cb)(void *ctx, const struct sladb_sla *sla);
int sladb_sla_list(struct sladb *db, sladb_sla_cb cb, void *ctx);

/* Delete samples with ts_ns <= before_ns; *deleted gets their number. */
int sladb_prune_samples(struct sladb *db, int64_t before_ns,
			uint64_t *deleted);

/* 0 when the engine finds the database sound; -EIO and errmsg otherwise. */
int sladb_check(struct sladb *db);

/*
 * A pool of n handles on one database, for a process whose threads share
 * them: take one (waiting up to timeout_ms; -1: for ever, 0: not at all),
 * use it from this thread only, give it back.  Thread-safe.  Opening opens
 * (and migrates, through the first) all n handles, or fails with the first
 * open's error.  Close only when every handle is back.
 */
struct sladb_pool;
#define SLADB_POOL_MAX 256
int sladb_pool_open(const char *addr, unsigned int n, struct sladb_pool **out);
void sladb_pool_close(struct sladb_pool *pool);
/* -ETIMEDOUT: none came back in time. */
int sladb_pool_take(struct sladb_pool *pool, int timeout_ms,
		    struct sladb **db);
/* -EINVAL: not this pool's handle, or already given back. */
int sladb_pool_give(struct sladb_pool *pool, struct sladb *db);
unsigned int sladb_pool_size(const struct sladb_pool *pool);

#ifdef __cplusplus
}
#endif
#endif
