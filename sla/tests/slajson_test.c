// SPDX-License-Identifier: GPL-2.0
/*
 * The REST API's SLA checks (appserver/slajson.c), on the host: one
 * rejected input per case, each with the status and the words of its
 * message; accepted inputs checked field by field; the JSON answer
 * parsed back.  Prints "ok - ..." / "not ok - ..." lines; tests/run.sh
 * numbers them.
 */
#include "slajson.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* A refused body: its status and a piece of its message. */
struct refused {
	const char *what;
	const char *body;
	const char *url_host;		/* NULL: POST */
	int status;
	const char *words;
};

static const struct refused refused[] = {
	/* not JSON: 400 */
	{ "an empty body", "", NULL, 400, "empty body" },
	{ "a body cut short", "{\"host\":\"sla/gold\"", NULL, 400, "unexpected end" },
	{ "trailing data", "{\"host\":\"a\",\"priority\":1} x", NULL, 400, "malformed JSON" },
	{ "two objects", "{\"host\":\"a\"}{}", NULL, 400, "malformed JSON" },
	{ "a second value after white space", "{\"host\":\"a\",\"cap_iops\":1}\n 5", NULL, 400, "malformed JSON" },
	{ "garbage", "lat_ceiling_us=12000", NULL, 400, "malformed JSON" },
	{ "a trailing comma", "{\"host\":\"a\",}", NULL, 400, "malformed JSON" },
	{ "a NUL byte", "{\"host\":\"a\"}\0", NULL, 400, "NUL byte" },
	{ "nesting deeper than 8", "{\"host\":[[[[[[[[[1]]]]]]]]]}", NULL, 400, "malformed JSON" },
	{ "a leading-zero number", "{\"host\":\"a\",\"priority\":012}", NULL, 400, "malformed JSON" },
	/* not an SLA: 422 */
	{ "an array", "[1]", NULL, 422, "must be a JSON object, not an array" },
	{ "a string", "\"sla\"", NULL, 422, "must be a JSON object, not a string" },
	{ "null", "null", NULL, 422, "must be a JSON object, not null" },
	{ "an unknown field", "{\"host\":\"a\",\"lat_ceiling\":5}", NULL, 422, "unknown field \"lat_ceiling\"" },
	{ "a misspelt field", "{\"host\":\"a\",\"Priority\":5}", NULL, 422, "unknown field \"Priority\"" },
	{ "updated_ns given", "{\"host\":\"a\",\"lat_ceiling_us\":5,\"updated_ns\":1}", NULL, 422, "updated_ns: set by the server" },
	{ "no host on POST", "{\"lat_ceiling_us\":5}", NULL, 422, "host: missing" },
	{ "host a number", "{\"host\":5,\"lat_ceiling_us\":5}", NULL, 422, "host: must be a string, not an integer" },
	{ "host null", "{\"host\":null,\"lat_ceiling_us\":5}", NULL, 422, "host: must be a string, not null" },
	{ "host empty", "{\"host\":\"\",\"lat_ceiling_us\":5}", NULL, 422, "is not a cgroup name" },
	{ "host ..", "{\"host\":\"sla/..\",\"lat_ceiling_us\":5}", NULL, 422, "is not a cgroup name" },
	{ "host .", "{\"host\":\"./gold\",\"lat_ceiling_us\":5}", NULL, 422, "is not a cgroup name" },
	{ "host with a leading /", "{\"host\":\"/sla/gold\",\"lat_ceiling_us\":5}", NULL, 422, "is not a cgroup name" },
	{ "host with a trailing /", "{\"host\":\"sla/gold/\",\"lat_ceiling_us\":5}", NULL, 422, "is not a cgroup name" },
	{ "host with a doubled /", "{\"host\":\"sla//gold\",\"lat_ceiling_us\":5}", NULL, 422, "is not a cgroup name" },
	{ "host with a space", "{\"host\":\"sla gold\",\"lat_ceiling_us\":5}", NULL, 422, "is not a cgroup name" },
	{ "host with a NUL", "{\"host\":\"sla\\u0000gold\",\"lat_ceiling_us\":5}", NULL, 422, "host: holds a NUL" },
	{ "host of 64 bytes", "{\"host\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"lat_ceiling_us\":5}", NULL, 422, "at most 63 bytes" },
	{ "host not the URL's", "{\"host\":\"sla/batch\",\"lat_ceiling_us\":5}", "sla/gold", 422, "is not the host of the URL" },
	{ "lat_ceiling_us 0", "{\"host\":\"a\",\"lat_ceiling_us\":0}", NULL, 422, "lat_ceiling_us: must be a number above 0" },
	{ "lat_ceiling_us negative", "{\"host\":\"a\",\"lat_ceiling_us\":-5}", NULL, 422, "lat_ceiling_us: must be a number above 0" },
	{ "lat_ceiling_us -0.0", "{\"host\":\"a\",\"lat_ceiling_us\":-0.0}", NULL, 422, "lat_ceiling_us: must be a number above 0" },
	{ "lat_ceiling_us past 60 s", "{\"host\":\"a\",\"lat_ceiling_us\":60000000.5}", NULL, 422, "at most 60000000" },
	{ "lat_ceiling_us NaN", "{\"host\":\"a\",\"lat_ceiling_us\":NaN}", NULL, 422, "lat_ceiling_us: must be a number above 0" },
	{ "lat_ceiling_us Infinity", "{\"host\":\"a\",\"lat_ceiling_us\":Infinity}", NULL, 422, "lat_ceiling_us: must be a number above 0" },
	{ "lat_ceiling_us 1e400", "{\"host\":\"a\",\"lat_ceiling_us\":1e400}", NULL, 422, "lat_ceiling_us: must be a number above 0" },
	{ "lat_ceiling_us a string", "{\"host\":\"a\",\"lat_ceiling_us\":\"12000\"}", NULL, 422, "lat_ceiling_us: must be a number (microseconds), not a string" },
	{ "lat_ceiling_us a boolean", "{\"host\":\"a\",\"lat_ceiling_us\":true}", NULL, 422, "not a boolean" },
	{ "lat_ceiling_us an object", "{\"host\":\"a\",\"lat_ceiling_us\":{}}", NULL, 422, "not an object" },
	{ "iops_floor negative", "{\"host\":\"a\",\"iops_floor\":-1}", NULL, 422, "iops_floor: must be a number of at least 0" },
	{ "iops_floor past the io.max limit", "{\"host\":\"a\",\"iops_floor\":4294967296}", NULL, 422, "at most 4294967295" },
	{ "iops_floor null", "{\"host\":\"a\",\"iops_floor\":null}", NULL, 422, "iops_floor: must be a number (I/O per second), not null" },
	{ "bps_floor a string", "{\"host\":\"a\",\"bps_floor\":\"1M\"}", NULL, 422, "bps_floor: must be a number (bytes per second), not a string" },
	{ "priority a fraction", "{\"host\":\"a\",\"lat_ceiling_us\":5,\"priority\":1.5}", NULL, 422, "priority: must be an integer from 0 to 1000, not a fraction" },
	{ "priority negative", "{\"host\":\"a\",\"lat_ceiling_us\":5,\"priority\":-1}", NULL, 422, "priority: must be an integer from 0 to 1000" },
	{ "priority 1001", "{\"host\":\"a\",\"lat_ceiling_us\":5,\"priority\":1001}", NULL, 422, "priority: must be an integer from 0 to 1000" },
	{ "priority a string", "{\"host\":\"a\",\"lat_ceiling_us\":5,\"priority\":\"10\"}", NULL, 422, "not a string" },
	{ "cap_iops 0", "{\"host\":\"a\",\"cap_iops\":0}", NULL, 422, "cap_iops: must be an integer from 1 to 4294967295 or \"max\"" },
	{ "cap_iops negative", "{\"host\":\"a\",\"cap_iops\":-200}", NULL, 422, "cap_iops: must be an integer from 1" },
	{ "cap_iops 4294967296", "{\"host\":\"a\",\"cap_iops\":4294967296}", NULL, 422, "out of range" },
	{ "cap_iops a fraction", "{\"host\":\"a\",\"cap_iops\":200.5}", NULL, 422, "not a fraction" },
	{ "cap_iops 1e3", "{\"host\":\"a\",\"cap_iops\":1e3}", NULL, 422, "not a fraction" },
	{ "cap_iops \"200\"", "{\"host\":\"a\",\"cap_iops\":\"200\"}", NULL, 422, "not a string" },
	{ "cap_iops \"MAX\"", "{\"host\":\"a\",\"cap_iops\":\"MAX\"}", NULL, 422, "not a string" },
	{ "cap_iops null", "{\"host\":\"a\",\"cap_iops\":null}", NULL, 422, "not null" },
	{ "cap_bps 2^63", "{\"host\":\"a\",\"cap_bps\":9223372036854775808}", NULL, 422, "cap_bps: must be an integer from 1 to 9223372036854775807" },
	{ "cap_bps 2^64 (saturated by the parser)", "{\"host\":\"a\",\"cap_bps\":18446744073709551616}", NULL, 422, "cap_bps: must be an integer" },
	{ "cap_bps -2^63-1 (saturated by the parser)", "{\"host\":\"a\",\"cap_bps\":-9223372036854775809}", NULL, 422, "cap_bps: must be an integer" },
	/* contradictions */
	{ "no objective at all", "{\"host\":\"a\",\"priority\":5}", NULL, 422, "needs at least one of" },
	{ "only zeroes and max", "{\"host\":\"a\",\"lat_ceiling_us\":null,\"iops_floor\":0,\"bps_floor\":0,\"cap_iops\":\"max\",\"cap_bps\":\"max\"}", NULL, 422, "needs at least one of" },
	{ "an IOPS floor above the IOPS cap", "{\"host\":\"a\",\"iops_floor\":5000,\"cap_iops\":2000}", NULL, 422, "iops_floor (5000) is above cap_iops (2000)" },
	{ "an IOPS floor just above the IOPS cap", "{\"host\":\"a\",\"iops_floor\":2000.5,\"cap_iops\":2000}", NULL, 422, "is above cap_iops (2000)" },
	{ "a bandwidth floor above the bandwidth cap", "{\"host\":\"a\",\"bps_floor\":1048577,\"cap_bps\":1048576}", NULL, 422, "bps_floor (1048577) is above cap_bps (1048576)" },
};

struct accepted {
	const char *what;
	const char *body;
	const char *url_host;
	struct sla_sla want;
};

#define NOCAP .cap_iops = SLA_LIMIT_MAX, .cap_bps = SLA_LIMIT_MAX

static const struct accepted accepted[] = {
	{ "a gold SLA", "{\"host\":\"sla/gold\",\"lat_ceiling_us\":12000,\"priority\":10}", NULL,
	  { .host = "sla/gold", .lat_ceiling_us = 12000, .priority = 10, NOCAP } },
	{ "a fractional ceiling", "{\"host\":\"g\",\"lat_ceiling_us\":0.5}", NULL,
	  { .host = "g", .lat_ceiling_us = 0.5, NOCAP } },
	{ "the largest ceiling", "{\"host\":\"g\",\"lat_ceiling_us\":60000000}", NULL,
	  { .host = "g", .lat_ceiling_us = 60000000, NOCAP } },
	{ "a ceiling of null and a floor", "{\"host\":\"s\",\"lat_ceiling_us\":null,\"iops_floor\":300}", NULL,
	  { .host = "s", .iops_floor = 300, NOCAP } },
	{ "a best-effort cap", "{\"host\":\"sla/batch\",\"cap_iops\":2000,\"cap_bps\":\"max\"}", NULL,
	  { .host = "sla/batch", .cap_iops = 2000, .cap_bps = SLA_LIMIT_MAX } },
	{ "the largest caps", "{\"host\":\"b\",\"cap_iops\":4294967295,\"cap_bps\":9223372036854775807}", NULL,
	  { .host = "b", .cap_iops = 4294967295ULL, .cap_bps = 9223372036854775807ULL } },
	{ "a floor equal to its cap", "{\"host\":\"b\",\"iops_floor\":2000,\"cap_iops\":2000,\"bps_floor\":4096,\"cap_bps\":4096}", NULL,
	  { .host = "b", .iops_floor = 2000, .cap_iops = 2000, .bps_floor = 4096, .cap_bps = 4096 } },
	{ "priority at its limits", "{\"host\":\"p\",\"lat_ceiling_us\":1,\"priority\":1000}", NULL,
	  { .host = "p", .lat_ceiling_us = 1, .priority = 1000, NOCAP } },
	{ "PUT without host takes the URL's", "{\"lat_ceiling_us\":8000}", "sla/gold",
	  { .host = "sla/gold", .lat_ceiling_us = 8000, NOCAP } },
	{ "PUT with the URL's host", "{\"host\":\"sla/gold\",\"lat_ceiling_us\":8000}", "sla/gold",
	  { .host = "sla/gold", .lat_ceiling_us = 8000, NOCAP } },
	{ "a host of 63 bytes", "{\"host\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"cap_bps\":1}", NULL,
	  { .host = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", .cap_iops = SLA_LIMIT_MAX, .cap_bps = 1 } },
	{ "white space around the object", " \r\n\t{\"host\":\"w\",\"cap_iops\":1}\n ", NULL,
	  { .host = "w", .cap_iops = 1, .cap_bps = SLA_LIMIT_MAX } },
};

static bool same(const struct sla_sla *a, const struct sla_sla *b)
{
	return !strcmp(a->host, b->host) &&
	       a->lat_ceiling_us == b->lat_ceiling_us &&
	       a->iops_floor == b->iops_floor && a->bps_floor == b->bps_floor &&
	       a->priority == b->priority && a->cap_iops == b->cap_iops &&
	       a->cap_bps == b->cap_bps && a->updated_ns == b->updated_ns;
}

static size_t body_len(const char *what, const char *body)
{
	/* the NUL-byte case carries its NUL inside the length */
	return strlen(body) + (strstr(what, "NUL byte") ? 1 : 0);
}

int main(void)
{
	struct sla_sla s, back;
	char msg[512];
	int st;

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		const struct refused *r = &refused[i];

		memset(msg, 0, sizeof(msg));
		st = sla_parse_body(r->body, body_len(r->what, r->body),
				    r->url_host, &s, msg, sizeof(msg));
		ok(st == r->status && strstr(msg, r->words),
		   "refused: %s: %d \"%s\"", r->what, st, msg);
	}
	for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
		const struct accepted *a = &accepted[i];
		struct json_object *j;

		memset(&s, 0xcc, sizeof(s));
		msg[0] = '\0';
		st = sla_parse_body(a->body, strlen(a->body), a->url_host, &s,
				    msg, sizeof(msg));
		ok(st == 0 && same(&a->want, &s), "accepted: %s (%d %s)",
		   a->what, st, msg);
		/* what GET answers is what PUT takes, but updated_ns */
		j = sla_to_json(&s);
		json_object_object_del(j, "updated_ns");
		st = sla_parse_body(json_object_to_json_string(j),
				    strlen(json_object_to_json_string(j)),
				    NULL, &back, msg, sizeof(msg));
		ok(st == 0 && same(&s, &back), "round trip: %s: %s", a->what,
		   json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
		json_object_put(j);
	}

	/* the JSON answer's types, field by field */
	{
		struct sla_sla g = { .host = "sla/gold", .lat_ceiling_us = 12000,
				     .priority = 10, .cap_iops = 500,
				     .cap_bps = SLA_LIMIT_MAX,
				     .updated_ns = 1764684000123456789LL };
		struct sla_sla none = { .host = "x", .iops_floor = 1.25,
					NOCAP };
		struct json_object *j = sla_to_json(&g), *v;

		ok(json_object_object_get_ex(j, "lat_ceiling_us", &v) &&
		   json_object_is_type(v, json_type_int) &&
		   json_object_get_int64(v) == 12000,
		   "answer: lat_ceiling_us a whole number: 12000");
		ok(json_object_object_get_ex(j, "cap_bps", &v) &&
		   json_object_is_type(v, json_type_string) &&
		   !strcmp(json_object_get_string(v), "max"),
		   "answer: no cap is \"max\"");
		ok(json_object_object_get_ex(j, "cap_iops", &v) &&
		   json_object_get_uint64(v) == 500, "answer: cap_iops 500");
		ok(json_object_object_get_ex(j, "updated_ns", &v) &&
		   json_object_get_int64(v) == 1764684000123456789LL,
		   "answer: updated_ns exact");
		json_object_put(j);
		j = sla_to_json(&none);
		ok(json_object_object_get_ex(j, "lat_ceiling_us", &v) && !v,
		   "answer: no ceiling is null");
		ok(json_object_object_get_ex(j, "iops_floor", &v) &&
		   json_object_is_type(v, json_type_double) &&
		   json_object_get_double(v) == 1.25,
		   "answer: a fractional floor stays one");
		json_object_put(j);
	}

	/* sla_check alone: what sla-core's answer is held to as well */
	{
		struct sla_sla c = { .host = "c", .iops_floor = 10,
				     .cap_iops = 9, .cap_bps = SLA_LIMIT_MAX };

		ok(sla_check(&c, msg, sizeof(msg)) == 422,
		   "sla_check: floor 10 over cap 9: %s", msg);
		c.cap_iops = 10;
		ok(sla_check(&c, msg, sizeof(msg)) == 0,
		   "sla_check: floor 10 at cap 10");
	}

	ok(sla_host_valid("a") && sla_host_valid("sla/gold") &&
	   sla_host_valid("a.b_c-d/..e") && !sla_host_valid("a/./b") &&
	   !sla_host_valid("a/../b") && !sla_host_valid("a\\b"),
	   "host names: one character, nested, dots inside a name; . and .. refused");
	return failed ? 1 : 0;
}
