// SPDX-License-Identifier: GPL-2.0
/*
 * slajson: SLA definitions between the REST API's JSON and struct sla_sla,
 * with the API's checks.  See slajson.h for the format.
 */
#include "slajson.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static bool comp_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

bool sla_host_valid(const char *host)
{
	const char *p = host, *start;
	size_t n = strlen(host);

	if (!n || n >= SLA_HOST_MAX)
		return false;
	for (;;) {
		start = p;
		while (comp_char(*p))
			p++;
		if (p == start)
			return false;	/* empty: leading, doubled, trailing '/' */
		if ((p - start == 1 && start[0] == '.') ||
		    (p - start == 2 && start[0] == '.' && start[1] == '.'))
			return false;
		if (*p == '\0')
			return true;
		if (*p != '/')
			return false;
		p++;
	}
}

/* The fields, in the order of the JSON answers. */
enum field {
	F_HOST, F_LAT_CEILING, F_IOPS_FLOOR, F_BPS_FLOOR, F_PRIORITY,
	F_CAP_IOPS, F_CAP_BPS, F_UPDATED, F_NR
};

static const char *const field_names[F_NR] = {
	[F_HOST] = "host",
	[F_LAT_CEILING] = "lat_ceiling_us",
	[F_IOPS_FLOOR] = "iops_floor",
	[F_BPS_FLOOR] = "bps_floor",
	[F_PRIORITY] = "priority",
	[F_CAP_IOPS] = "cap_iops",
	[F_CAP_BPS] = "cap_bps",
	[F_UPDATED] = "updated_ns",
};

static int refuse(char *msg, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int refuse(char *msg, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, size, fmt, ap);
	va_end(ap);
	return 422;
}

static bool is_number(struct json_object *v)
{
	return json_object_is_type(v, json_type_int) ||
	       json_object_is_type(v, json_type_double);
}

static const char *type_name(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null: return "null";
	case json_type_boolean: return "a boolean";
	case json_type_double: return "a fraction";
	case json_type_int: return "an integer";
	case json_type_object: return "an object";
	case json_type_array: return "an array";
	case json_type_string: return "a string";
	}
	return "?";
}

/* A number lo <= x <= hi (lo_open: lo < x), finite. */
static int get_number(struct json_object *v, const char *name, double lo,
		      bool lo_open, double hi, const char *unit, double *out,
		      char *msg, size_t size)
{
	double x;

	if (!is_number(v))
		return refuse(msg, size,
			      "%s: must be a number (%s), not %s", name, unit,
			      type_name(v));
	x = json_object_get_double(v);
	if (!isfinite(x) || (lo_open ? x <= lo : x < lo) || x > hi)
		return refuse(msg, size, "%s: must be a number %s %.0f and at most %.0f (%s)",
			      name, lo_open ? "above" : "of at least", lo, hi,
			      unit);
	*out = x;
	return 0;
}

/* A cap: an integer 1..hi or "max". */
static int get_cap(struct json_object *v, const char *name, uint64_t hi,
		   uint64_t *out, char *msg, size_t size)
{
	if (json_object_is_type(v, json_type_string) &&
	    !strcmp(json_object_get_string(v), "max")) {
		*out = SLA_LIMIT_MAX;
		return 0;
	}
	/* json-c saturates integers out of its range: they fail here too */
	if (json_object_is_type(v, json_type_int) &&
	    json_object_get_int64(v) > 0 && json_object_get_uint64(v) <= hi) {
		*out = json_object_get_uint64(v);
		return 0;
	}
	return refuse(msg, size,
		      "%s: must be an integer from 1 to %llu or \"max\", not %s%s",
		      name, (unsigned long long)hi,
		      json_object_is_type(v, json_type_int) ?
		      "out of range " : "", type_name(v));
}

int sla_check(const struct sla_sla *s, char *msg, size_t size)
{
	if (s->lat_ceiling_us == 0 && s->iops_floor == 0 &&
	    s->bps_floor == 0 && s->cap_iops == SLA_LIMIT_MAX &&
	    s->cap_bps == SLA_LIMIT_MAX)
		return refuse(msg, size,
			      "an SLA needs at least one of lat_ceiling_us, iops_floor, bps_floor, cap_iops, cap_bps");
	if (s->cap_iops != SLA_LIMIT_MAX && s->iops_floor > (double)s->cap_iops)
		return refuse(msg, size,
			      "iops_floor (%.0f) is above cap_iops (%llu): a host cannot be guaranteed more than its cap",
			      s->iops_floor, (unsigned long long)s->cap_iops);
	if (s->cap_bps != SLA_LIMIT_MAX && s->bps_floor > (double)s->cap_bps)
		return refuse(msg, size,
			      "bps_floor (%.0f) is above cap_bps (%llu): a host cannot be guaranteed more than its cap",
			      s->bps_floor, (unsigned long long)s->cap_bps);
	return 0;
}

int sla_from_json(struct json_object *obj, const char *url_host,
		  struct sla_sla *out, char *msg, size_t size)
{
	struct json_object *f[F_NR] = { NULL };
	bool given[F_NR] = { false };
	const char *host;
	int64_t prio;
	int err;

	memset(out, 0, sizeof(*out));
	out->cap_iops = SLA_LIMIT_MAX;
	out->cap_bps = SLA_LIMIT_MAX;
	if (!json_object_is_type(obj, json_type_object))
		return refuse(msg, size, "the body must be a JSON object, not %s",
			      type_name(obj));
	json_object_object_foreach(obj, key, v) {
		int i;

		for (i = 0; i < F_NR; i++)
			if (!strcmp(key, field_names[i]))
				break;
		if (i == F_NR)
			return refuse(msg, size,
				      "unknown field \"%.64s\" (known: host, lat_ceiling_us, iops_floor, bps_floor, priority, cap_iops, cap_bps)",
				      key);
		f[i] = v;	/* NULL for null */
		given[i] = true;
	}
	if (given[F_UPDATED])
		return refuse(msg, size,
			      "updated_ns: set by the server, not by a request");

	if (!given[F_HOST]) {
		if (!url_host)
			return refuse(msg, size, "host: missing");
		host = url_host;
	} else {
		if (!json_object_is_type(f[F_HOST], json_type_string))
			return refuse(msg, size, "host: must be a string, not %s",
				      type_name(f[F_HOST]));
		host = json_object_get_string(f[F_HOST]);
		if (strlen(host) != (size_t)json_object_get_string_len(f[F_HOST]))
			return refuse(msg, size, "host: holds a NUL character");
		if (url_host && strcmp(host, url_host))
			return refuse(msg, size,
				      "host: \"%.63s\" is not the host of the URL, \"%.63s\"",
				      host, url_host);
	}
	if (!sla_host_valid(host))
		return refuse(msg, size,
			      "host: \"%.63s\" is not a cgroup name (components of [A-Za-z0-9._-] joined by '/', none \".\" or \"..\", at most %d bytes)",
			      host, SLA_HOST_MAX - 1);
	sla_strset(out->host, sizeof(out->host), host);

	if (f[F_LAT_CEILING]) {		/* null: none */
		err = get_number(f[F_LAT_CEILING], "lat_ceiling_us", 0, true,
				 SLA_LAT_CEILING_MAX, "microseconds",
				 &out->lat_ceiling_us, msg, size);
		if (err)
			return err;
	}
	if (given[F_IOPS_FLOOR]) {
		err = get_number(f[F_IOPS_FLOOR], "iops_floor", 0, false,
				 (double)SLA_IOPS_LIMIT, "I/O per second",
				 &out->iops_floor, msg, size);
		if (err)
			return err;
	}
	if (given[F_BPS_FLOOR]) {
		err = get_number(f[F_BPS_FLOOR], "bps_floor", 0, false,
				 (double)SLA_BPS_LIMIT, "bytes per second",
				 &out->bps_floor, msg, size);
		if (err)
			return err;
	}
	if (given[F_PRIORITY]) {
		if (!json_object_is_type(f[F_PRIORITY], json_type_int))
			return refuse(msg, size,
				      "priority: must be an integer from %d to %d, not %s",
				      SLA_PRIORITY_MIN, SLA_PRIORITY_MAX,
				      type_name(f[F_PRIORITY]));
		prio = json_object_get_int64(f[F_PRIORITY]);
		if (prio < SLA_PRIORITY_MIN || prio > SLA_PRIORITY_MAX)
			return refuse(msg, size,
				      "priority: must be an integer from %d to %d",
				      SLA_PRIORITY_MIN, SLA_PRIORITY_MAX);
		out->priority = (int32_t)prio;
	}
	if (given[F_CAP_IOPS]) {
		err = get_cap(f[F_CAP_IOPS], "cap_iops", SLA_IOPS_LIMIT,
			      &out->cap_iops, msg, size);
		if (err)
			return err;
	}
	if (given[F_CAP_BPS]) {
		err = get_cap(f[F_CAP_BPS], "cap_bps", SLA_BPS_LIMIT,
			      &out->cap_bps, msg, size);
		if (err)
			return err;
	}
	return sla_check(out, msg, size);
}

int sla_parse_body(const char *body, size_t len, const char *url_host,
		   struct sla_sla *out, char *msg, size_t size)
{
	struct json_tokener *tok;
	struct json_object *obj;
	enum json_tokener_error err;
	size_t end;
	int ret;

	if (!len)
		return snprintf(msg, size, "malformed JSON: empty body"), 400;
	if (len > SLA_BODY_MAX)
		return snprintf(msg, size, "the body exceeds %d bytes",
				SLA_BODY_MAX), 413;
	if (memchr(body, '\0', len))
		return snprintf(msg, size, "malformed JSON: a NUL byte"), 400;
	tok = json_tokener_new_ex(SLA_JSON_DEPTH);
	if (!tok)
		return snprintf(msg, size, "out of memory"), 500;
	/* no trailing commas, no leading zeroes: JSON as RFC 8259 has it */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	/* the terminating NUL ends a top-level scalar (null, 5) too */
	obj = json_tokener_parse_ex(tok, body, (int)len + 1);
	err = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (err != json_tokener_success) {	/* obj NULL and success: null */
		json_object_put(obj);
		snprintf(msg, size, "malformed JSON: %s",
			 err == json_tokener_success ||
			 err == json_tokener_continue ?
			 "unexpected end of input" :
			 json_tokener_error_desc(err));
		return 400;
	}
	for (; end < len; end++)
		if (!strchr(" \t\r\n", body[end])) {
			json_object_put(obj);
			snprintf(msg, size, "malformed JSON: trailing data");
			return 400;
		}
	ret = sla_from_json(obj, url_host, out, msg, size);
	json_object_put(obj);
	return ret;
}

struct json_object *sla_limit_json(uint64_t v)
{
	if (v == SLA_LIMIT_MAX)
		return json_object_new_string("max");
	return json_object_new_uint64(v);
}

/* A double that is a whole number prints as one. */
static struct json_object *number_json(double x)
{
	if (x == floor(x) && fabs(x) < 9e15)
		return json_object_new_int64((int64_t)x);
	return json_object_new_double(x);
}

struct json_object *sla_to_json(const struct sla_sla *s)
{
	struct json_object *o = json_object_new_object();
	char host[SLA_HOST_MAX + 1];

	memcpy(host, s->host, SLA_HOST_MAX);
	host[SLA_HOST_MAX] = '\0';
	json_object_object_add(o, "host", json_object_new_string(host));
	json_object_object_add(o, "lat_ceiling_us", s->lat_ceiling_us > 0 ?
			       number_json(s->lat_ceiling_us) : NULL);
	json_object_object_add(o, "iops_floor", number_json(s->iops_floor));
	json_object_object_add(o, "bps_floor", number_json(s->bps_floor));
	json_object_object_add(o, "priority",
			       json_object_new_int(s->priority));
	json_object_object_add(o, "cap_iops", sla_limit_json(s->cap_iops));
	json_object_object_add(o, "cap_bps", sla_limit_json(s->cap_bps));
	json_object_object_add(o, "updated_ns",
			       json_object_new_int64(s->updated_ns));
	return o;
}
