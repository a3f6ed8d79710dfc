// SPDX-License-Identifier: GPL-2.0
/*
 * sla-appserver: the SLA server's application server.  Over HTTP
 * (libmicrohttpd) it serves
 *
 *   /                      the live web page (built in: page.html)
 *   /api/v1/state          what the page shows, as JSON, from memory
 *   /api/v1/series         one host's chart points
 *   /api/v1/mailboxes      the three mailboxes' inspection
 *   /api/v1/slas[/HOST]    the SLA definitions: list, create, read,
 *                          change, delete (validated here, then sent to
 *                          sla-core through the "sla-app" mailbox)
 *
 * One thread runs one event loop: poll(2) on libmicrohttpd's epoll fd, the
 * mailbox fds and a signalfd.  A REST request that needs sla-core becomes
 * a two-step call: submitted, its connection suspended, and resumed when
 * poll reports the reply; the loop never waits for a call.  The page's
 * data is refreshed the same way (state.c).  See sla/README.md.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/signalfd.h>

#include <json-c/json.h>
#include <microhttpd.h>

#include "../common/slacfg.h"
#include "../proto.h"
#include "calls.h"
#include "log.h"
#include "page.h"
#include "slajson.h"
#include "state.h"

#define API		"/api/v1"
#define SLAS		API "/slas"
#define MAX_WAITING	64	/* REST requests waiting for a free slot */

static const char *prog = "sla-appserver";
static bool verbose;
static int64_t rest_timeout_ns = 10LL * 1000000000;

static struct box boxes[NR_BOXES] = {
	/* the names are set in main(): the configuration file may change them */
	[BOX_APP] = { .name = SLA_MB_APP_DEFAULT,
		      .access = MBX_ACCESS_READ | MBX_ACCESS_WRITE,
		      .max_inflight = 24 },
	/* sla-core shares sla-db: take at most a quarter of its slots */
	[BOX_DB] = { .name = SLA_MB_DB_DEFAULT,
		     .access = MBX_ACCESS_READ | MBX_ACCESS_WRITE,
		     .max_inflight = SLA_DB_NSLOTS / 4 },
	[BOX_MON] = { .name = SLA_MB_MON_DEFAULT, .access = MBX_ACCESS_READ },
};

void app_log(const char *fmt, ...)
{
	char buf[1024], ts[32];
	struct timespec now;
	struct tm tm;
	va_list ap;
	int n;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(buf, sizeof(buf), "%s.%03ld %s: ", ts,
		     now.tv_nsec / 1000000, prog);
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, n) < 0) {
		/* nowhere to say it */
	}
}

/* ---- requests ---- */

enum op { OP_NONE, OP_LIST, OP_GET, OP_CREATE, OP_REPLACE, OP_DELETE };

enum phase { PH_BODY, PH_WAIT_SLOT, PH_WAIT_REPLY, PH_DONE };

/* One request's state, kept by libmicrohttpd between calls. */
struct request {
	struct MHD_Connection *conn;
	char body[SLA_BODY_MAX + 1];
	size_t len;
	bool too_large;
	enum phase phase;
	enum op op;
	char host[SLA_HOST_MAX];	/* GET, PUT, DELETE of one SLA */
	union {
		struct sla_app_sla_put put;
		struct sla_db_host_req del;
		struct sla_req list;
	} call;
	uint32_t call_len, opcode;
	struct call *pending;
	struct json_object *list;	/* OP_LIST, OP_GET: SLAs so far */
	int64_t started_ns;
	struct request *next_waiting;
	/* the answer, once PH_DONE */
	unsigned int status;
	struct json_object *answer;
	char location[128];
};

static struct request *waiting_head, **waiting_tail = &waiting_head;
static unsigned int nwaiting;
static struct request *all_suspended[MAX_WAITING + SLA_APP_NSLOTS];

static void track(struct request *r, bool on)
{
	for (size_t i = 0; i < sizeof(all_suspended) / sizeof(*all_suspended);
	     i++)
		if (on ? !all_suspended[i] : all_suspended[i] == r) {
			all_suspended[i] = on ? r : NULL;
			return;
		}
}

static struct json_object *error_json(unsigned int status, const char *fmt,
				      ...) __attribute__((format(printf, 2, 3)));
static struct json_object *error_json(unsigned int status, const char *fmt,
				      ...)
{
	struct json_object *o = json_object_new_object();
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_object_add(o, "status", json_object_new_int(status));
	json_object_object_add(o, "error", json_object_new_string(msg));
	return o;
}

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned int status,
				 struct json_object *obj, const char *location)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char *copy = NULL;

	if (status == MHD_HTTP_NO_CONTENT) {
		json_object_put(obj);
		r = MHD_create_response_from_buffer(0, NULL,
						    MHD_RESPMEM_PERSISTENT);
	} else {
		if (asprintf(&copy, "%s\n", json_object_to_json_string_ext(obj,
				JSON_C_TO_STRING_PLAIN)) < 0)
			copy = NULL;
		json_object_put(obj);
		if (!copy)
			return MHD_NO;
		r = MHD_create_response_from_buffer(strlen(copy), copy,
						    MHD_RESPMEM_MUST_FREE);
	}
	if (!r) {
		free(copy);
		return MHD_NO;
	}
	if (status != MHD_HTTP_NO_CONTENT)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
					"application/json");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (location && *location)
		MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, location);
	if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	if (status >= 400)
		http_errors++;
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned int status,
				  const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static enum MHD_Result send_error(struct MHD_Connection *c, unsigned int status,
				  const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return send_json(c, status, error_json(status, "%s", msg), NULL);
}

/* The answer is ready: give it to the connection (resumed if suspended). */
static void request_answer(struct request *r, unsigned int status,
			   struct json_object *answer)
{
	r->status = status;
	r->answer = answer;
	r->pending = NULL;
	if (r->phase == PH_WAIT_SLOT || r->phase == PH_WAIT_REPLY) {
		r->phase = PH_DONE;
		track(r, false);
		MHD_resume_connection(r->conn);
	} else {
		r->phase = PH_DONE;
	}
}

static void request_fail(struct request *r, unsigned int status,
			 const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void request_fail(struct request *r, unsigned int status,
			 const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	request_answer(r, status, error_json(status, "%s", msg));
}

static const char *op_text(const struct request *r)
{
	switch (r->op) {
	case OP_CREATE: return "create";
	case OP_REPLACE: return "change";
	case OP_DELETE: return "delete";
	default: return "list";
	}
}

static int start_call(struct request *r);

/* A reply from sla-core to a REST request. */
static void rest_done(struct call *c, int status, const void *reply,
		      uint32_t len)
{
	struct request *r = c->ctx;
	const struct sla_rep *rep = reply;
	char msg[SLA_MSG_MAX + 1] = "";
	double secs = rest_timeout_ns / 1e9;

	if (rep && len >= sizeof(*rep)) {
		memcpy(msg, rep->msg, SLA_MSG_MAX);
		msg[SLA_MSG_MAX] = '\0';
	}
	if (status == -ETIMEDOUT)
		return request_fail(r, MHD_HTTP_GATEWAY_TIMEOUT,
			"sla-core took the request (%s %s) and has not answered in %.0f s; it may still apply it",
			op_text(r), r->host, secs);
	if (status == -ECANCELED && c->cancel_state == MBX_STATE_TAKEN)
		return request_fail(r, MHD_HTTP_GATEWAY_TIMEOUT,
			"sla-core took the request (%s %s) as it was withdrawn after %.0f s; it may have been applied",
			op_text(r), r->host, secs);
	if (status == -ECANCELED)
		return request_fail(r, MHD_HTTP_SERVICE_UNAVAILABLE,
			"sla-core took no call for %.0f s (not running?): the request was withdrawn, nothing was changed",
			secs);
	if (!rep || len < sizeof(*rep))
		return request_fail(r, MHD_HTTP_BAD_GATEWAY,
			"sla-core: an answer of %u bytes (status %d)", len,
			status);
	if (rep->version != SLA_PROTO_VERSION)
		return request_fail(r, MHD_HTTP_BAD_GATEWAY,
			"sla-core answers in protocol version %u, not %u",
			rep->version, SLA_PROTO_VERSION);
	switch (status) {
	case 0:
		break;
	case -EINVAL:
		return request_fail(r, MHD_HTTP_UNPROCESSABLE_CONTENT,
				    "sla-core refused the SLA: %s", msg);
	case -EEXIST:
		return request_fail(r, MHD_HTTP_CONFLICT,
			"host %s has an SLA already: change it with PUT %s/%s",
			r->host, SLAS, r->host);
	case -ENOENT:
		return request_fail(r, MHD_HTTP_NOT_FOUND,
				    "host %s has no SLA", r->host);
	case -EBUSY:
		return request_fail(r, MHD_HTTP_SERVICE_UNAVAILABLE,
			"sla-core: the database is busy, try again (%s)", msg);
	default:
		return request_fail(r, MHD_HTTP_BAD_GATEWAY, "sla-core: %s%s%s",
				    strerror(-status), msg[0] ? ": " : "", msg);
	}

	switch (r->op) {
	case OP_CREATE:
	case OP_REPLACE: {
		const struct sla_sla *s = (const void *)(rep + 1);

		if (len < sizeof(*rep) + sizeof(*s) ||
		    !sla_strok(s->host, sizeof(s->host)))
			return request_fail(r, MHD_HTTP_BAD_GATEWAY,
				"sla-core: an SLA answer of %u bytes", len);
		if (r->op == OP_CREATE)
			snprintf(r->location, sizeof(r->location), "%s/%s",
				 SLAS, s->host);
		return request_answer(r, r->op == OP_CREATE ?
				      MHD_HTTP_CREATED : MHD_HTTP_OK,
				      sla_to_json(s));
	}
	case OP_DELETE:
		return request_answer(r, MHD_HTTP_NO_CONTENT, NULL);
	case OP_LIST:
	case OP_GET: {
		const struct sla_sla_list *l = (const void *)(rep + 1);

		if (len < sizeof(*rep) + sizeof(*l) ||
		    len < sizeof(*rep) + sizeof(*l) +
			  (uint64_t)l->count * sizeof(l->s[0]))
			return request_fail(r, MHD_HTTP_BAD_GATEWAY,
				"sla-core: an SLA list of %u bytes", len);
		for (uint32_t i = 0; i < l->count; i++) {
			if (!sla_strok(l->s[i].host, SLA_HOST_MAX))
				continue;
			if (r->op == OP_GET) {
				if (strcmp(l->s[i].host, r->host))
					continue;
				return request_answer(r, MHD_HTTP_OK,
						      sla_to_json(&l->s[i]));
			}
			json_object_array_add(r->list, sla_to_json(&l->s[i]));
		}
		if (rep->flags & SLA_REP_MORE) {
			r->call.list.cursor = rep->next_cursor;
			if (!start_call(r))
				return;
			return request_fail(r, MHD_HTTP_SERVICE_UNAVAILABLE,
				"sla-core: cannot ask for the rest of the list");
		}
		if (r->op == OP_GET)
			return request_fail(r, MHD_HTTP_NOT_FOUND,
					    "host %s has no SLA", r->host);
		{
			struct json_object *o = json_object_new_object();

			json_object_object_add(o, "slas", r->list);
			r->list = NULL;
			return request_answer(r, MHD_HTTP_OK, o);
		}
	}
	default:
		return request_fail(r, MHD_HTTP_INTERNAL_SERVER_ERROR,
				    "no operation");
	}
}

/*
 * Submit r's call: 0 when submitted (or answered with an error), -EAGAIN
 * when no slot is free: r waits in the queue.
 */
static int start_call(struct request *r)
{
	struct box *b = &boxes[BOX_APP];
	uint32_t flags = r->op == OP_LIST || r->op == OP_GET ? 0 : CALL_CHANGE;
	int err;

	err = box_ensure(b, mono_ns());
	if (err) {
		request_fail(r, MHD_HTTP_SERVICE_UNAVAILABLE,
			     "sla-core is not running: mailbox %s: %s",
			     b->name, strerror(-err));
		return 0;
	}
	err = call_start(b, r->opcode, flags, &r->call, r->call_len,
			 rest_timeout_ns, rest_done, r, &r->pending);
	if (err == -EAGAIN)
		return -EAGAIN;
	if (err) {
		request_fail(r, MHD_HTTP_SERVICE_UNAVAILABLE,
			     "cannot call sla-core through %s: %s", b->name,
			     strerror(-err));
		return 0;
	}
	r->phase = PH_WAIT_REPLY;
	return 0;
}

/* Retry the requests that waited for a slot, oldest first. */
static void start_waiting(void)
{
	while (waiting_head) {
		struct request *r = waiting_head;

		/* a request waits at most as long as a call would */
		if (mono_ns() - r->started_ns > rest_timeout_ns) {
			waiting_head = r->next_waiting;
			if (!waiting_head)
				waiting_tail = &waiting_head;
			nwaiting--;
			request_fail(r, MHD_HTTP_SERVICE_UNAVAILABLE,
				     "every slot of %s stayed busy for %.0f s: nothing was sent",
				     SLA_MB_APP, rest_timeout_ns / 1e9);
			continue;
		}
		if (start_call(r) == -EAGAIN)
			return;
		waiting_head = r->next_waiting;
		if (!waiting_head)
			waiting_tail = &waiting_head;
		nwaiting--;
	}
}

/* Begin r's call; suspend the connection unless it is answered at once. */
static enum MHD_Result begin(struct request *r)
{
	r->started_ns = mono_ns();
	if (r->op == OP_LIST || r->op == OP_GET)
		r->list = json_object_new_array();
	if (waiting_head || start_call(r) == -EAGAIN) {
		/* back-pressure: the mailbox is full; wait our turn */
		if (nwaiting >= MAX_WAITING) {
			r->phase = PH_DONE;
			return send_error(r->conn, MHD_HTTP_SERVICE_UNAVAILABLE,
				"busy: %u requests wait for a slot of %s",
				nwaiting, SLA_MB_APP);
		}
		r->phase = PH_WAIT_SLOT;
		r->next_waiting = NULL;
		*waiting_tail = r;
		waiting_tail = &r->next_waiting;
		nwaiting++;
	}
	if (r->phase == PH_DONE) {
		enum MHD_Result ret = send_json(r->conn, r->status, r->answer,
						r->location);

		r->answer = NULL;
		return ret;
	}
	track(r, true);
	MHD_suspend_connection(r->conn);
	return MHD_YES;
}

/* /api/v1/slas/<host> -> host; NULL when the path is not one. */
static const char *sla_url_host(const char *url)
{
	static const char prefix[] = SLAS "/";

	if (strncmp(url, prefix, sizeof(prefix) - 1))
		return NULL;
	return url + sizeof(prefix) - 1;
}

static enum MHD_Result rest(struct request *r, const char *url,
			    const char *method)
{
	struct MHD_Connection *c = r->conn;
	const char *host = NULL;
	char msg[512] = "";
	int st;

	if (strcmp(url, SLAS)) {
		host = sla_url_host(url);
		if (!host)
			return send_error(c, MHD_HTTP_NOT_FOUND,
					  "no such resource: %s", url);
		if (!sla_host_valid(host))
			return send_error(c, MHD_HTTP_BAD_REQUEST,
				"not a host name: \"%.63s\" (components of [A-Za-z0-9._-] joined by '/', none \".\" or \"..\", at most %d bytes)",
				host, SLA_HOST_MAX - 1);
		sla_strset(r->host, sizeof(r->host), host);
	}
	if (!strcmp(method, MHD_HTTP_METHOD_GET)) {
		r->op = host ? OP_GET : OP_LIST;
		sla_req_init(&r->call.list, 0);
		r->call_len = sizeof(r->call.list);
		r->opcode = SLA_APP_SLA_LIST;
		return begin(r);
	}
	if (!host && !strcmp(method, MHD_HTTP_METHOD_POST)) {
		st = sla_parse_body(r->body, r->len, NULL, &r->call.put.sla,
				    msg, sizeof(msg));
		if (st)
			return send_error(c, st, "%s", msg);
		r->op = OP_CREATE;
		memcpy(r->host, r->call.put.sla.host, sizeof(r->host));
		sla_req_init(&r->call.put.req, SLA_PUT_CREATE);
		r->call_len = sizeof(r->call.put);
		r->opcode = SLA_APP_SLA_PUT;
		return begin(r);
	}
	if (host && !strcmp(method, MHD_HTTP_METHOD_PUT)) {
		st = sla_parse_body(r->body, r->len, host, &r->call.put.sla,
				    msg, sizeof(msg));
		if (st)
			return send_error(c, st, "%s", msg);
		r->op = OP_REPLACE;
		sla_req_init(&r->call.put.req, SLA_PUT_REPLACE);
		r->call_len = sizeof(r->call.put);
		r->opcode = SLA_APP_SLA_PUT;
		return begin(r);
	}
	if (host && !strcmp(method, MHD_HTTP_METHOD_DELETE)) {
		if (r->len)
			return send_error(c, MHD_HTTP_BAD_REQUEST,
					  "DELETE takes no body");
		r->op = OP_DELETE;
		sla_req_init(&r->call.del.req, 0);
		memcpy(r->call.del.host, r->host, sizeof(r->host));
		r->call_len = sizeof(r->call.del);
		r->opcode = SLA_APP_SLA_DELETE;
		return begin(r);
	}
	return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED,
			  "%s: only %s", url, host ? "GET, PUT and DELETE" :
			  "GET and POST");
}

static enum MHD_Result send_page(struct MHD_Connection *c)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(app_page_end - app_page,
					    (void *)app_page,
					    MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				"text/html; charset=utf-8");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	/* the page reaches nothing but this server */
	MHD_add_response_header(r, "Content-Security-Policy",
		"default-src 'none'; script-src 'unsafe-inline'; "
		"style-src 'unsafe-inline'; connect-src 'self'; img-src data:");
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result route(struct request *r, const char *url,
			     const char *method)
{
	struct MHD_Connection *c = r->conn;
	bool get = !strcmp(method, MHD_HTTP_METHOD_GET) ||
		   !strcmp(method, MHD_HTTP_METHOD_HEAD);

	if (!strcmp(url, SLAS) || !strncmp(url, SLAS "/", sizeof(SLAS)))
		return rest(r, url, method);
	if (!strcmp(url, "/") || !strcmp(url, "/index.html") ||
	    !strcmp(url, API "/state") || !strcmp(url, API "/series") ||
	    !strcmp(url, API "/mailboxes")) {
		if (!get)
			return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED,
					  "%s: only GET", url);
		if (r->len)
			return send_error(c, MHD_HTTP_BAD_REQUEST,
					  "GET takes no body");
	} else {
		return send_error(c, MHD_HTTP_NOT_FOUND, "no such resource: %s",
				  url);
	}
	if (url[1] == '\0' || url[1] == 'i')
		return send_page(c);
	if (!strcmp(url, API "/state"))
		return send_json(c, MHD_HTTP_OK, state_json(), NULL);
	if (!strcmp(url, API "/mailboxes"))
		return send_json(c, MHD_HTTP_OK, state_mailboxes_json(), NULL);
	{
		const char *host = MHD_lookup_connection_value(c,
					MHD_GET_ARGUMENT_KIND, "host");
		const char *dev = MHD_lookup_connection_value(c,
					MHD_GET_ARGUMENT_KIND, "device");
		struct json_object *s;

		if (!host || !sla_host_valid(host))
			return send_error(c, MHD_HTTP_BAD_REQUEST,
					  "series: ?host=HOST[&device=MAJ:MIN]");
		s = state_series_json(host, dev);
		if (!s)
			return send_error(c, MHD_HTTP_NOT_FOUND,
					  "no series for host %s%s%s", host,
					  dev ? " on device " : "",
					  dev ? dev : "");
		return send_json(c, MHD_HTTP_OK, s, NULL);
	}
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct request *r = *con_cls;
	const char *clen;

	(void)cls;
	(void)version;
	if (!r) {
		/* First call: the headers only. */
		http_requests++;
		clen = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (clen && strtoull(clen, NULL, 10) > SLA_BODY_MAX)
			return send_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
					  "the body exceeds %d bytes",
					  SLA_BODY_MAX);
		r = calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		r->conn = c;
		*con_cls = r;
		return MHD_YES;
	}
	if (r->phase == PH_DONE) {
		/* resumed: the call's answer */
		struct json_object *a = r->answer;

		r->answer = NULL;
		if (verbose)
			app_log("%s %s: %u", method, url, r->status);
		return send_json(c, r->status, a, r->location);
	}
	if (*upload_size) {
		/* A chunked body has no length: take it up to the limit. */
		if (r->len + *upload_size > SLA_BODY_MAX)
			r->too_large = true;
		else {
			memcpy(r->body + r->len, upload, *upload_size);
			r->len += *upload_size;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->too_large)
		return send_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
				  "the body exceeds %d bytes", SLA_BODY_MAX);
	r->body[r->len] = '\0';
	if (verbose && r->phase == PH_BODY)
		app_log("%s %s", method, url);
	return route(r, url, method);
}

static void request_done(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode code)
{
	struct request *r = *con_cls;

	(void)cls;
	(void)c;
	(void)code;
	if (!r)
		return;
	if (r->pending)
		call_forget(r->pending);
	json_object_put(r->list);
	json_object_put(r->answer);
	free(r);
	*con_cls = NULL;
}

/*
 * The URL as libmicrohttpd decodes it, but a %00 is left as it is: decoded,
 * it would cut the path short ("sla/gold%00x" read as "sla/gold"); kept,
 * its '%' makes the name invalid.
 */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	if (strstr(s, "%00"))
		return strlen(s);
	return MHD_http_unescape(s);
}

/* ---- main ---- */

static void usage(FILE *f)
{
	fprintf(f,
"usage: %s [options]\n"
"  -C, --config FILE        the configuration file: the mailboxes' names and\n"
"                           [appserver] listen (-a and -p win)\n"
"  -a, --address ADDR       the IPv4 address to listen on (default 127.0.0.1)\n"
"  -p, --port PORT          the TCP port (default 8080; 0: any free port)\n"
"  -P, --port-file FILE     write the port listened on to FILE once ready\n"
"  -r, --refresh-ms MS      how often the page's data is asked for (default 1000)\n"
"  -H, --history-s S        how far back the charts go (default 120)\n"
"  -n, --points N           points per chart, at most %d (default 120)\n"
"  -t, --timeout-ms MS      how long a REST request waits for sla-core\n"
"                           (default 10000)\n"
"  -v, --verbose            log every request\n"
"  -h, --help\n", prog, SLA_SERIES_MAX);
}

static bool parse_num(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'C' },
		{ "address", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "port-file", required_argument, NULL, 'P' },
		{ "refresh-ms", required_argument, NULL, 'r' },
		{ "history-s", required_argument, NULL, 'H' },
		{ "points", required_argument, NULL, 'n' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct state_opts so = {
		.refresh_ns = 1000LL * 1000000,
		.history_ns = 120LL * 1000000000,
		.points = 120,
		.call_timeout_ns = 5LL * 1000000000,
	};
	const char *address = NULL, *port_file = NULL;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	const union MHD_DaemonInfo *info;
	struct sla_conf *conf = NULL;
	char conf_addr[SLA_CONF_ADDR_MAX];
	struct MHD_Daemon *d;
	long port = -1, v;
	sigset_t set;
	int opt, sfd, epfd;
	bool stop = false;
	int64_t next_check = 0;

	while ((opt = getopt_long(argc, argv, "C:a:p:P:r:H:n:t:vh", opts,
				  NULL)) != -1) {
		switch (opt) {
		case 'C':
			conf = sla_cfg_load(prog, optarg);
			break;
		case 'a':
			address = optarg;
			break;
		case 'p':
			if (!parse_num(optarg, 0, 65535, &port))
				goto bad;
			break;
		case 'P':
			port_file = optarg;
			break;
		case 'r':
			if (!parse_num(optarg, 50, 60000, &v))
				goto bad;
			so.refresh_ns = v * 1000000;
			break;
		case 'H':
			if (!parse_num(optarg, 2, 86400, &v))
				goto bad;
			so.history_ns = v * 1000000000LL;
			break;
		case 'n':
			if (!parse_num(optarg, 2, SLA_SERIES_MAX, &v))
				goto bad;
			so.points = v;
			break;
		case 't':
			if (!parse_num(optarg, 100, 600000, &v))
				goto bad;
			rest_timeout_ns = v * 1000000;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	/* [appserver] listen = ADDR:PORT, each part unless -a or -p gives it */
	if (conf) {
		unsigned int p;

		sla_conf_listen(conf->appserver_listen, conf_addr, &p);
		if (!address)
			address = conf_addr;
		if (port < 0)
			port = p;
	}
	if (!address)
		address = "127.0.0.1";
	if (port < 0)
		port = 8080;
	boxes[BOX_APP].name = SLA_MB_APP;
	boxes[BOX_DB].name = SLA_MB_DB;
	boxes[BOX_MON].name = SLA_MB_MON;
	if (inet_pton(AF_INET, address, &sa.sin_addr) != 1) {
		fprintf(stderr, "%s: not an IPv4 address: %s\n", prog, address);
		return 2;
	}
	sa.sin_port = htons(port);
	/* a series of the largest size must fit in one sla-db reply */
	if (sizeof(struct sla_rep) + sizeof(struct sla_db_series) +
	    so.points * sizeof(struct sla_window) > SLA_DB_SLOT_SIZE) {
		fprintf(stderr, "%s: -n %u: at most %u points fit in a reply\n",
			prog, so.points,
			sla_fit(SLA_DB_SLOT_SIZE, sizeof(struct sla_rep) +
				sizeof(struct sla_db_series),
				sizeof(struct sla_window)));
		return 2;
	}

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		fprintf(stderr, "%s: signalfd: %s\n", prog, strerror(errno));
		return 1;
	}

	d = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
			     MHD_USE_ERROR_LOG,
			     0, NULL, NULL, handle, NULL,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
			     MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL,
			     MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)64,
			     MHD_OPTION_CONNECTION_MEMORY_LIMIT,
			     (size_t)(32 * 1024),
			     MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "%s: cannot listen on %s:%ld\n", prog, address,
			port);
		return 1;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_EPOLL_FD);
	epfd = info ? info->epoll_fd : -1;
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	if (info)
		port = info->port;
	if (epfd < 0) {
		fprintf(stderr, "%s: no epoll fd from libmicrohttpd\n", prog);
		MHD_stop_daemon(d);
		return 1;
	}

	state_init(boxes, &so);
	for (int i = 0; i < NR_BOXES; i++)
		box_ensure(&boxes[i], mono_ns());
	app_log("listening on %s:%ld; refresh %lld ms, charts %lld s in %u points",
		address, port, (long long)(so.refresh_ns / 1000000),
		(long long)(so.history_ns / 1000000000), so.points);
	if (port_file) {
		char tmp[4096];
		FILE *f;

		snprintf(tmp, sizeof(tmp), "%s.tmp", port_file);
		f = fopen(tmp, "w");
		if (!f || fprintf(f, "%ld\n", port) < 0 || fclose(f) ||
		    rename(tmp, port_file)) {
			fprintf(stderr, "%s: %s: %s\n", prog, port_file,
				strerror(errno));
			MHD_stop_daemon(d);
			return 1;
		}
	}

	while (!stop) {
		struct pollfd pfd[2 + NR_BOXES];
		int64_t now = mono_ns(), next, t;
		MHD_UNSIGNED_LONG_LONG mhd_ms;
		int nfd = 0, timeout;

		pfd[nfd++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		pfd[nfd++] = (struct pollfd){ .fd = epfd, .events = POLLIN };
		for (int i = 0; i < NR_BOXES; i++) {
			struct box *b = &boxes[i];

			if (!b->open)
				continue;
			pfd[nfd++] = (struct pollfd){
				.fd = mailbox_fd(&b->mb),
				.events = (b->ninflight ? MAILBOX_READY_REPLY : 0) |
					  MAILBOX_READY_EVENT |
					  (i == BOX_APP && waiting_head ?
					   MAILBOX_READY_FREE : 0),
			};
		}
		next = state_tick(now);
		for (int i = 0; i < NR_BOXES; i++) {
			t = box_next_deadline(&boxes[i]);
			if (t < next)
				next = t;
		}
		if (waiting_head && now + 100000000 < next)
			next = now + 100000000;	/* and FREE wakes us */
		timeout = next <= now ? 0 : (int)((next - now + 999999) / 1000000);
		if (MHD_get_timeout(d, &mhd_ms) == MHD_YES &&
		    mhd_ms < (MHD_UNSIGNED_LONG_LONG)timeout)
			timeout = (int)mhd_ms;
		if (poll(pfd, nfd, timeout) < 0 && errno != EINTR) {
			app_log("poll: %s", strerror(errno));
			break;
		}
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				app_log("stopping on signal %u", si.ssi_signo);
				stop = true;
			}
		}
		now = mono_ns();
		/* once a second: is each mailbox still the one of its name? */
		if (now >= next_check) {
			for (int i = 0; i < NR_BOXES; i++)
				if (boxes[i].open)
					box_ensure(&boxes[i], now);
			next_check = now + 1000000000LL;
		}
		for (int i = 0; i < NR_BOXES; i++) {
			if (!boxes[i].open)
				box_ensure(&boxes[i], now);
			box_poll(&boxes[i]);
			box_timeouts(&boxes[i], now);
		}
		start_waiting();
		MHD_run(d);
	}

	/* answer whatever waits, then stop: MHD may not stop suspended */
	while (waiting_head) {
		struct request *r = waiting_head;

		waiting_head = r->next_waiting;
		request_fail(r, MHD_HTTP_SERVICE_UNAVAILABLE,
			     "the server is stopping");
	}
	for (size_t i = 0; i < sizeof(all_suspended) / sizeof(*all_suspended);
	     i++)
		if (all_suspended[i]) {
			struct request *r = all_suspended[i];

			if (r->pending)
				call_forget(r->pending);
			request_fail(r, MHD_HTTP_SERVICE_UNAVAILABLE,
				     "the server is stopping");
		}
	for (int i = 0; i < 5; i++)
		MHD_run(d);
	MHD_stop_daemon(d);
	for (int i = 0; i < NR_BOXES; i++) {
		box_drain(&boxes[i], 2000000000LL);
		box_close(&boxes[i]);
	}
	return 0;
bad:
	fprintf(stderr, "%s: bad value for -%c: %s\n", prog, opt, optarg);
	return 2;
}
