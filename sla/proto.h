/* SPDX-License-Identifier: GPL-2.0 */
/*
 * proto.h: the calls between the SLA server's processes.
 *
 * Three mailboxes, each created by the process that serves it (its callee)
 * and opened by the others:
 *
 *   "sla-db"   callee sla-dbm        callers sla-core, sla-appserver
 *   "sla-app"  callee sla-core       caller  sla-appserver
 *   "sla-mon"  callee sla-monitor    caller  sla-core
 *
 *            sla-appserver ---- "sla-app" ---> sla-core ---- "sla-mon" ---> sla-monitor
 *                  |                              |                          |  HTTP+JSON
 *                  +--------- "sla-db" -----------+----> sla-dbm             v
 *                                                         (SQLite)       sla-gateway (per
 *                                                                        storage host)
 *
 * A call is one mailbox call: the opcode (SLA_OP_*) is struct mbx_call's
 * opcode, the request is the call plane, the answer the reply plane.
 * Every request starts with struct sla_req, every answer with struct
 * sla_rep.  The callee's status (struct mbx_call.status) is 0 or a
 * negative errno:
 *   -EINVAL   the request is malformed (the answer's text says which field)
 *   -ENOENT   no such SLA / host / device
 *   -EEXIST   SLA_APP_SLA_PUT with SLA_PUT_CREATE: the SLA exists
 *   -EBUSY    the database stayed locked: try again (back-pressure)
 *   -EHOSTUNREACH, -ETIMEDOUT, -EBADMSG   (sla-mon) the gateway was down,
 *             slow, or answered garbage: sla_rep.msg says which gateway
 *   -EPROTO   a request of another protocol version
 * An answer with a non-zero status still carries struct sla_rep (its
 * msg, NUL terminated), and nothing after it.
 *
 * Encoding: fixed-size structs in the host's byte order (the processes
 * share a machine), naturally aligned, strings NUL padded and NUL
 * terminated in their arrays, doubles IEEE 754.  A list answer is
 * struct sla_rep, then a count, then that many entries; when more would
 * not fit in the slot, SLA_REP_MORE is set and the caller asks again from
 * where the list stopped (the request's cursor).
 *
 * Times: ts_ns fields are CLOCK_REALTIME ns (the database outlives boots).
 * Limits: uint64_t, SLA_LIMIT_MAX for "max" (no limit), SLA_LIMIT_KEEP in
 * a throttle request for "leave this one as it is".
 *
 * user_data of every call: the caller's role in the top 8 bits
 * (SLA_UD_ROLE_*), a sequence number below.  A restarted sla-core finds
 * the calls its previous run left in "sla-db" and "sla-mon" from the slot
 * headers (mailbox_slot_info(): role SLA_UD_ROLE_CORE, flag
 * MBX_CALL_CALLER_GONE) and adopts them with mailbox_collect().
 */
#ifndef SLA_PROTO_H
#define SLA_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SLA_PROTO_VERSION	1

/* ---- Mailboxes ---- */

/*
 * The three mailboxes' names: these by default, or as the configuration
 * file's [mailboxes] section names them (common/slacfg.c sets
 * sla_mb_names; common/mbnames.c holds it).
 */
#define SLA_MB_DB_DEFAULT	"sla-db"
#define SLA_MB_APP_DEFAULT	"sla-app"
#define SLA_MB_MON_DEFAULT	"sla-mon"

struct sla_mb_names {
	const char *db;		/* database manager <-> SLA core, app server */
	const char *app;	/* SLA core <-> application server */
	const char *mon;	/* SLA core <-> monitor daemon */
};
extern struct sla_mb_names sla_mb_names;

#define SLA_MB_DB		(sla_mb_names.db)
#define SLA_MB_APP		(sla_mb_names.app)
#define SLA_MB_MON		(sla_mb_names.mon)

/* Geometry the callee creates its mailbox with (callers only open). */
#define SLA_DB_NSLOTS		64
#define SLA_DB_SLOT_SIZE	16384
#define SLA_APP_NSLOTS		32
#define SLA_APP_SLOT_SIZE	16384
#define SLA_MON_NSLOTS		32
#define SLA_MON_SLOT_SIZE	16384
/* A reply orphaned by a caller that never comes back is freed after this. */
#define SLA_RECLAIM_NS		(300ULL * 1000000000ULL)

/* ---- Names ---- */

/* An application host: a cgroup name as sla-gateway takes it (-c). */
#define SLA_HOST_MAX		64
/* A device: "MAJ:MIN", decimal. */
#define SLA_DEV_MAX		16
/* A gateway: its name (the monitor's -g NAME=URL). */
#define SLA_GW_MAX		32
#define SLA_MSG_MAX		160
#define SLA_ACTION_MAX		16
#define SLA_REASON_MAX		120

#define SLA_LIMIT_MAX		UINT64_MAX
#define SLA_LIMIT_KEEP		(UINT64_MAX - 1)

/* ---- user_data ---- */

#define SLA_UD_ROLE_SHIFT	56
#define SLA_UD_ROLE_CORE	1ULL
#define SLA_UD_ROLE_APP		2ULL
#define SLA_UD_ROLE_MON		3ULL
#define SLA_UD_ROLE_TOOL	4ULL
#define SLA_UD(role, seq)	(((uint64_t)(role) << SLA_UD_ROLE_SHIFT) | \
				 ((uint64_t)(seq) & ((1ULL << SLA_UD_ROLE_SHIFT) - 1)))
#define SLA_UD_ROLE(ud)		((uint64_t)(ud) >> SLA_UD_ROLE_SHIFT)

/* ---- Opcodes ---- */

enum {
	/* "sla-db", served by sla-dbm */
	SLA_DB_PING		= 0x100, /* sla_req -> sla_rep + sla_db_status */
	SLA_DB_SAMPLES_PUT	= 0x101, /* sla_db_samples -> sla_rep */
	SLA_DB_DECISION_PUT	= 0x102, /* sla_db_decision_put -> sla_rep */
	SLA_DB_WINDOW		= 0x103, /* sla_db_window_req -> sla_rep + sla_window */
	SLA_DB_SERIES		= 0x104, /* sla_db_series_req -> sla_rep + sla_db_series */
	SLA_DB_DECISIONS	= 0x105, /* sla_db_decisions_req -> sla_rep + sla_db_decisions */
	SLA_DB_SLA_PUT		= 0x106, /* sla_db_sla_put -> sla_rep (create or replace) */
	SLA_DB_SLA_GET		= 0x107, /* sla_db_host_req -> sla_rep + sla_sla */
	SLA_DB_SLA_DELETE	= 0x108, /* sla_db_host_req -> sla_rep */
	SLA_DB_SLA_LIST		= 0x109, /* sla_req -> sla_rep + sla_sla_list */

	/* "sla-app", served by sla-core */
	SLA_APP_SLA_LIST	= 0x200, /* sla_req -> sla_rep + sla_sla_list */
	SLA_APP_SLA_PUT		= 0x201, /* sla_app_sla_put -> sla_rep + sla_sla */
	SLA_APP_SLA_DELETE	= 0x202, /* sla_db_host_req -> sla_rep */
	SLA_APP_THROTTLES	= 0x203, /* sla_req -> sla_rep + sla_throttle_list */
	SLA_APP_STATUS		= 0x204, /* sla_req -> sla_rep + sla_core_status */

	/* "sla-mon", served by sla-monitor */
	SLA_MON_COLLECT		= 0x300, /* sla_req -> sla_rep + sla_mon_collect */
	SLA_MON_THROTTLE	= 0x301, /* sla_mon_throttle -> sla_rep + sla_throttle */
	SLA_MON_LIMITS		= 0x302, /* sla_req -> sla_rep + sla_throttle_list */
	SLA_MON_GATEWAYS	= 0x303, /* sla_req -> sla_rep + sla_gw_list */
};

/* ---- Common heads ---- */

/* Every request starts with this. */
struct sla_req {
	uint32_t version;	/* SLA_PROTO_VERSION */
	uint32_t flags;		/* the opcode's SLA_*_ flags; 0 otherwise */
	uint64_t cursor;	/* list requests: 0, or the answer's next_cursor */
};

#define SLA_REP_MORE		(1U << 0)	/* the list went on: ask again */

/* Every answer starts with this. */
struct sla_rep {
	uint32_t version;	/* SLA_PROTO_VERSION */
	uint32_t flags;		/* SLA_REP_* */
	uint64_t next_cursor;	/* with SLA_REP_MORE */
	char msg[SLA_MSG_MAX];	/* "" on success; why, on failure */
};

/* ---- Data ---- */

#define SLA_SAMPLE_LAT		(1U << 0)	/* the lat_* fields are measured */

/* One measurement interval of one host on one device. */
struct sla_sample {
	int64_t ts_ns;			/* end of the interval */
	char host[SLA_HOST_MAX];
	char device[SLA_DEV_MAX];
	double riops, wiops;		/* I/O per second */
	double rbps, wbps;		/* bytes per second */
	double lat_mean_us;		/* completion latency, when */
	double lat_p50_us;		/* SLA_SAMPLE_LAT; 0 otherwise */
	double lat_p99_us;
	double lat_max_us;
	uint32_t flags;			/* SLA_SAMPLE_* */
	uint32_t interval_ms;		/* length of the interval */
};

/* io.max of one host on one device. */
struct sla_limits {
	uint64_t riops, wiops, rbps, wbps;	/* SLA_LIMIT_MAX: none */
};

/* One host's SLA; 0 in a field: not part of it. */
struct sla_sla {
	char host[SLA_HOST_MAX];
	double lat_ceiling_us;		/* mean latency stays under this */
	double iops_floor;		/* guaranteed I/O per second */
	double bps_floor;		/* guaranteed bytes per second */
	int32_t priority;		/* higher is more important */
	uint32_t __pad;
	uint64_t cap_iops;		/* best effort: at most this; */
	uint64_t cap_bps;		/* SLA_LIMIT_MAX: no cap */
	int64_t updated_ns;
};

/* One decision of sla-core, as it is stored. */
struct sla_decision {
	int64_t ts_ns;
	char host[SLA_HOST_MAX];
	char device[SLA_DEV_MAX];
	char action[SLA_ACTION_MAX];	/* "throttle", "modify", "withdraw", "lift" */
	struct sla_limits old_limits, new_limits;
	char reason[SLA_REASON_MAX];
	uint64_t call_id;		/* the "sla-mon" call that carried it; 0: none */
};

/* A window of samples, as sladb_window() gives it. */
struct sla_window {
	uint64_t count;
	int64_t first_ts_ns, last_ts_ns;
	double riops, wiops, rbps, wbps;
	double lat_mean_us, lat_p50_us, lat_p99_us, lat_max_us;
};

/* ---- "sla-db" ---- */

struct sla_db_status {
	uint32_t schema_version;
	uint32_t pool;			/* connections */
	char engine[16];		/* "sqlite" */
	uint64_t samples_stored;	/* since sla-dbm started */
	uint64_t decisions_stored;
	uint64_t busy_retries;
};

/* SLA_DB_SAMPLES_PUT: all or none, in one transaction. */
struct sla_db_samples {
	struct sla_req req;
	uint32_t count;
	uint32_t __pad;
	struct sla_sample samples[];	/* count */
};

/* SLA_DB_DECISION_PUT */
struct sla_db_decision_put {
	struct sla_req req;
	struct sla_decision d;
};

/* SLA_DB_WINDOW: now_ns - window_ns < ts_ns <= now_ns */
struct sla_db_window_req {
	struct sla_req req;
	char host[SLA_HOST_MAX];
	char device[SLA_DEV_MAX];
	int64_t now_ns;
	int64_t window_ns;
};

/*
 * SLA_DB_SERIES: points windows, the i-th ending at
 * from_ns + (i + 1) * step_ns, each step_ns long: a chart's points.
 * At most SLA_SERIES_MAX points.
 */
#define SLA_SERIES_MAX		240
struct sla_db_series_req {
	struct sla_req req;
	char host[SLA_HOST_MAX];
	char device[SLA_DEV_MAX];
	int64_t from_ns;
	int64_t step_ns;
	uint32_t points;
	uint32_t __pad;
};

struct sla_db_series {
	uint32_t count;
	uint32_t __pad;
	struct sla_window w[];		/* count */
};

/* SLA_DB_DECISIONS: ts_ns > since_ns, oldest first, cursor: how many
 * of them to skip (the answer's next_cursor). */
struct sla_db_decisions_req {
	struct sla_req req;
	int64_t since_ns;
};

struct sla_db_decisions {
	uint32_t count;
	uint32_t __pad;
	struct sla_decision d[];	/* count */
};

/* SLA_DB_SLA_GET, SLA_DB_SLA_DELETE, SLA_APP_SLA_DELETE */
struct sla_db_host_req {
	struct sla_req req;
	char host[SLA_HOST_MAX];
};

/* SLA_DB_SLA_PUT */
struct sla_db_sla_put {
	struct sla_req req;
	struct sla_sla sla;
};

/* SLA_DB_SLA_LIST, SLA_APP_SLA_LIST answers (by host) */
struct sla_sla_list {
	uint32_t count;
	uint32_t __pad;
	struct sla_sla s[];		/* count */
};

/* ---- "sla-app" ---- */

#define SLA_PUT_CREATE		(1U << 0)	/* -EEXIST if there is one */
#define SLA_PUT_REPLACE		(1U << 1)	/* -ENOENT if there is none */

/*
 * SLA_APP_SLA_PUT: sla-core checks the SLA (-EINVAL with the field's name
 * in msg), stores it through "sla-db", and uses it from its next
 * evaluation on; the answer is the SLA as stored.  Neither flag: create
 * or replace.
 */
struct sla_app_sla_put {
	struct sla_req req;		/* flags: SLA_PUT_* */
	struct sla_sla sla;
};

/* A throttle in force, or asked for. */
struct sla_throttle {
	char host[SLA_HOST_MAX];
	char device[SLA_DEV_MAX];
	char gateway[SLA_GW_MAX];	/* answers: the gateway serving host */
	struct sla_limits limits;	/* asked: SLA_LIMIT_KEEP keeps one */
	int64_t since_ns;		/* answers: when it was applied */
	uint64_t call_id;		/* answers: the "sla-mon" call */
};

struct sla_throttle_list {
	uint32_t count;
	uint32_t __pad;
	struct sla_throttle t[];	/* count */
};

#define SLA_HOST_VIOLATED	(1U << 0)	/* over its SLA at the last evaluation */
#define SLA_HOST_THROTTLED	(1U << 1)	/* a throttle of sla-core in force */
#define SLA_HOST_NO_DATA	(1U << 2)	/* no sample in the window */

/* One host's state at sla-core's last evaluation. */
struct sla_host_status {
	char host[SLA_HOST_MAX];
	char device[SLA_DEV_MAX];
	uint32_t flags;			/* SLA_HOST_* */
	uint32_t violations;		/* consecutive evaluations over */
	double lat_mean_us;		/* the window's */
	double riops, wiops, rbps, wbps;
	int64_t violated_since_ns;	/* 0: not violated */
};

/* SLA_APP_STATUS */
struct sla_core_status {
	uint32_t pid;
	uint32_t generation;		/* 1, 2, ...: restarts and upgrades */
	int64_t started_ns;
	int64_t last_eval_ns;
	uint64_t evaluations;
	uint64_t throttles_sent, throttles_modified, throttles_withdrawn;
	uint64_t calls_adopted;		/* replies collected for a previous run */
	uint32_t interval_ms;
	uint32_t count;
	struct sla_host_status h[];	/* count */
};

/* ---- "sla-mon" ---- */

/*
 * SLA_MON_COLLECT: a sample per host and device of every gateway that
 * answered twice so far (rates need two readings), and the state of every
 * gateway; a gateway that is down, slow or garbled is reported in gw[],
 * never fails the call.
 */
#define SLA_GW_OK		0
#define SLA_GW_DOWN		1	/* connection refused or no route */
#define SLA_GW_TIMEOUT		2	/* no whole answer in time */
#define SLA_GW_GARBAGE		3	/* not the JSON it should be */
#define SLA_GW_HTTP_ERROR	4	/* an HTTP status other than 200 */

struct sla_gw_status {
	char name[SLA_GW_MAX];
	uint32_t state;			/* SLA_GW_* of the last request */
	uint32_t __pad;
	uint64_t requests, failures;
	int64_t last_ok_ns;
	char msg[SLA_MSG_MAX];
};

struct sla_mon_collect {
	uint32_t nsamples;
	uint32_t ngw;
	/* nsamples struct sla_sample, then ngw struct sla_gw_status */
};

/* SLA_MON_GATEWAYS answer */
struct sla_gw_list {
	uint32_t count;
	uint32_t __pad;
	struct sla_gw_status g[];	/* count */
};

/*
 * SLA_MON_THROTTLE: write io.max of one host on one device, through the
 * gateway serving it; the answer is io.max as read back.
 */
struct sla_mon_throttle {
	struct sla_req req;
	struct sla_throttle t;
};

/* ---- Helpers ---- */

/* Copy a NUL-terminated string into a fixed array, NUL padded; -1 if it
 * does not fit (nothing is written then). */
static inline int sla_strset(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		return -1;
	memset(dst, 0, size);
	memcpy(dst, src, n);
	return 0;
}

/* A fixed array is a string: NUL terminated within its size. */
static inline int sla_strok(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static inline void sla_req_init(struct sla_req *r, uint32_t flags)
{
	r->version = SLA_PROTO_VERSION;
	r->flags = flags;
	r->cursor = 0;
}

/* How many entries of size each fit in a slot after head bytes. */
static inline uint32_t sla_fit(uint32_t slot_size, size_t head, size_t each)
{
	return slot_size > head ? (uint32_t)((slot_size - head) / each) : 0;
}

#endif /* SLA_PROTO_H */
