/* SPDX-License-Identifier: GPL-2.0 */
/*
 * slajson: SLA definitions between the REST API's JSON and struct sla_sla,
 * with every check the API makes before a definition goes to sla-core.  It
 * needs json-c only (no mailbox), so the host tests run it directly.
 *
 * An SLA in JSON (what GET answers, and what POST and PUT take):
 *
 *   {"host": "sla/gold", "lat_ceiling_us": 12000, "iops_floor": 0,
 *    "bps_floor": 0, "priority": 10, "cap_iops": "max", "cap_bps": "max",
 *    "updated_ns": 1764684000123456789}
 *
 * host            the application host: a cgroup name as sla-gateway takes
 *                 it, at most SLA_HOST_MAX - 1 bytes
 * lat_ceiling_us  a number, 0 < x <= SLA_LAT_CEILING_MAX, or null: none
 * iops_floor      a number, 0 <= x <= SLA_IOPS_LIMIT (0: none)
 * bps_floor       a number, 0 <= x <= SLA_BPS_LIMIT (0: none)
 * priority        an integer, SLA_PRIORITY_MIN..SLA_PRIORITY_MAX
 * cap_iops        an integer 1..SLA_IOPS_LIMIT, or "max": no cap
 * cap_bps         an integer 1..SLA_BPS_LIMIT, or "max": no cap
 * updated_ns      set by sla-core; refused in a request
 *
 * A field left out takes its "none" value (priority 0).  The caps are
 * io.max limits, so their ranges are those sla-gateway takes.
 */
#ifndef SLAJSON_H
#define SLAJSON_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "../proto.h"

#define SLA_LAT_CEILING_MAX	60000000.0	/* 60 s, in us */
#define SLA_IOPS_LIMIT		4294967295ULL	/* io.max riops/wiops */
#define SLA_BPS_LIMIT		9223372036854775807ULL	/* io.max rbps/wbps */
#define SLA_PRIORITY_MIN	0
#define SLA_PRIORITY_MAX	1000

/* The largest body the API reads, and how deep its JSON may nest. */
#define SLA_BODY_MAX		4096
#define SLA_JSON_DEPTH		8

/*
 * An application host's name: one or more components of [A-Za-z0-9._-]
 * joined by '/', none of them "." or "..", no leading, trailing or doubled
 * '/', shorter than SLA_HOST_MAX.
 */
bool sla_host_valid(const char *host);

/*
 * Parse a request body into *out; body[len] must be '\0'.  url_host: the host named by the URL
 * (PUT /api/v1/slas/HOST), or NULL (POST): then the body must name it.
 * Returns 0, or the HTTP status to refuse with and the reason in msg:
 *   400  the body is not JSON (cut short, trailing data, nested deeper
 *        than SLA_JSON_DEPTH, a NUL byte)
 *   422  JSON that is not a valid SLA: not an object, an unknown field,
 *        a wrong type, a value out of range, a host that does not match
 *        the URL, or a contradiction (a floor above its cap, no objective)
 */
int sla_parse_body(const char *body, size_t len, const char *url_host,
		   struct sla_sla *out, char *msg, size_t size);

/* The same from a parsed object (422 or 0). */
int sla_from_json(struct json_object *obj, const char *url_host,
		  struct sla_sla *out, char *msg, size_t size);

/* The contradictions alone, for an SLA however it was made (422 or 0). */
int sla_check(const struct sla_sla *s, char *msg, size_t size);

/* The JSON of an SLA, as GET answers it (a new object). */
struct json_object *sla_to_json(const struct sla_sla *s);

/* A limit: "max" for SLA_LIMIT_MAX, else the number (a new object). */
struct json_object *sla_limit_json(uint64_t v);

#endif
