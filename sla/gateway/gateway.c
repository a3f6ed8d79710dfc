// SPDX-License-Identifier: GPL-2.0
/*
 * sla-gateway: the I/O performance gateway of the SLA server.  It serves,
 * over HTTP + JSON (libmicrohttpd, json-c), the io.stat of the cgroups it is
 * configured with and reads and writes their io.max.  It needs neither the
 * mailbox module nor libmailbox.  See sla/README.md for the API.
 *
 * One libmicrohttpd thread serves every request; a request only reads or
 * writes a few small cgroup files, so nothing here blocks for long.
 */
#include "cgroup.h"
#include "../conf/slaconf.h"

#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <json-c/json.h>
#include <microhttpd.h>

#define BODY_MAX	4096		/* the largest request body taken */
#define FILE_MAX	(64 * 1024)	/* the largest io.stat or io.max read */
#define JSON_DEPTH	8

struct gateway {
	const char *root;
	const char **cgroups;
	int nr_cgroups;
};

/* One request's state, kept by libmicrohttpd between calls. */
struct request {
	char body[BODY_MAX + 1];
	size_t len;
	bool too_large;
};

static const char *prog = "sla-gateway";

static int64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned int status,
				 struct json_object *obj)
{
	const char *text = json_object_to_json_string_ext(obj,
						JSON_C_TO_STRING_PLAIN);
	struct MHD_Response *r;
	enum MHD_Result ret;
	char *copy = NULL;

	if (asprintf(&copy, "%s\n", text) < 0)
		copy = NULL;
	json_object_put(obj);
	if (!copy)
		return MHD_NO;
	r = MHD_create_response_from_buffer(strlen(copy), copy,
					    MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(copy);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				"application/json");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* {"status": 404, "error": "..."} */
static enum MHD_Result send_error(struct MHD_Connection *c, unsigned int status,
				  const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static enum MHD_Result send_error(struct MHD_Connection *c, unsigned int status,
				  const char *fmt, ...)
{
	struct json_object *obj = json_object_new_object();
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_object_add(obj, "status", json_object_new_int(status));
	json_object_object_add(obj, "error", json_object_new_string(msg));
	return send_json(c, status, obj);
}

static bool configured(const struct gateway *gw, const char *name)
{
	for (int i = 0; i < gw->nr_cgroups; i++)
		if (!strcmp(gw->cgroups[i], name))
			return true;
	return false;
}

/* A value of io.stat or io.max: a number when it is one, else the text. */
static struct json_object *json_value(const char *val)
{
	char *end;
	unsigned long long v;

	if (val[0] >= '0' && val[0] <= '9') {
		errno = 0;
		v = strtoull(val, &end, 10);
		if (!errno && *end == '\0')
			return json_object_new_uint64(v);
	}
	return json_object_new_string(val);
}

static int walk_dev(void *ctx, const char *dev)
{
	struct json_object *devices = ctx;

	if (!json_object_object_get_ex(devices, dev, NULL))
		json_object_object_add(devices, dev, json_object_new_object());
	return 0;
}

static int walk_kv(void *ctx, const char *dev, const char *key,
		   const char *val)
{
	struct json_object *devices = ctx, *d;

	if (!json_object_object_get_ex(devices, dev, &d))
		return -EINVAL;
	json_object_object_add(d, key, json_value(val));
	return 0;
}

/*
 * {"MAJ:MIN": {"rbytes": N, ...}, ...} from one cgroup file; NULL and *err
 * set when it cannot be read.
 */
static struct json_object *read_devices(const struct gateway *gw,
					const char *name, const char *file,
					int *err)
{
	static char buf[FILE_MAX];	/* one MHD thread: no sharing */
	struct json_object *devices;
	struct cg_walk w = { walk_dev, walk_kv, NULL };

	*err = cg_read(gw->root, name, file, buf, sizeof(buf));
	if (*err)
		return NULL;
	devices = json_object_new_object();
	w.ctx = devices;
	*err = cg_parse(buf, &w);
	if (*err) {
		json_object_put(devices);
		return NULL;
	}
	return devices;
}

/* GET /v1/stats */
static enum MHD_Result get_stats(const struct gateway *gw,
				 struct MHD_Connection *c)
{
	struct json_object *obj = json_object_new_object();
	struct json_object *cgroups = json_object_new_object();

	json_object_object_add(obj, "ts_ns",
			       json_object_new_int64(now_ns(CLOCK_MONOTONIC)));
	json_object_object_add(obj, "realtime_ns",
			       json_object_new_int64(now_ns(CLOCK_REALTIME)));
	for (int i = 0; i < gw->nr_cgroups; i++) {
		struct json_object *cg = json_object_new_object(), *devices;
		int err;

		devices = read_devices(gw, gw->cgroups[i], "io.stat", &err);
		if (devices)
			json_object_object_add(cg, "devices", devices);
		else
			json_object_object_add(cg, "error",
					json_object_new_string(strerror(-err)));
		json_object_object_add(cgroups, gw->cgroups[i], cg);
	}
	json_object_object_add(obj, "cgroups", cgroups);
	return send_json(c, MHD_HTTP_OK, obj);
}

/* GET /v1/cgroups */
static enum MHD_Result get_cgroups(const struct gateway *gw,
				   struct MHD_Connection *c)
{
	struct json_object *obj = json_object_new_object();
	struct json_object *list = json_object_new_array();

	for (int i = 0; i < gw->nr_cgroups; i++)
		json_object_array_add(list,
				      json_object_new_string(gw->cgroups[i]));
	json_object_object_add(obj, "cgroups", list);
	return send_json(c, MHD_HTTP_OK, obj);
}

/* GET /v1/cgroups/<name>/io.stat or io.max */
static enum MHD_Result get_file(const struct gateway *gw,
				struct MHD_Connection *c, const char *name,
				const char *file)
{
	struct json_object *obj, *devices;
	int err;

	devices = read_devices(gw, name, file, &err);
	if (!devices)
		return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
				  "%s of %s: %s", file, name, strerror(-err));
	obj = json_object_new_object();
	json_object_object_add(obj, "cgroup", json_object_new_string(name));
	json_object_object_add(obj, "ts_ns",
			       json_object_new_int64(now_ns(CLOCK_MONOTONIC)));
	json_object_object_add(obj, "devices", devices);
	return send_json(c, MHD_HTTP_OK, obj);
}

/* One io.max value of a PUT body: a positive integer or "max". */
static int parse_limit(struct json_object *v, int i, uint64_t *out,
		       char *msg, size_t size)
{
	if (json_object_is_type(v, json_type_string) &&
	    !strcmp(json_object_get_string(v), "max")) {
		*out = CG_MAX;
		return 0;
	}
	/* get_uint64 is exact for every positive value json-c holds */
	if (json_object_is_type(v, json_type_int) &&
	    json_object_get_int64(v) > 0 &&
	    json_object_get_uint64(v) <= cg_limit_max[i]) {
		*out = json_object_get_uint64(v);
		return 0;
	}
	snprintf(msg, size, "%s: must be an integer from 1 to %llu or \"max\"",
		 cg_limit_names[i], (unsigned long long)cg_limit_max[i]);
	return -EINVAL;
}

/* PUT /v1/cgroups/<name>/io.max with {"device": "MAJ:MIN", "riops": 200} */
static enum MHD_Result put_max(const struct gateway *gw,
			       struct MHD_Connection *c, const char *name,
			       const struct request *req)
{
	uint64_t val[CG_NR_LIMITS] = { 0 };
	bool set[CG_NR_LIMITS] = { false };
	struct json_tokener *tok;
	struct json_object *body, *dev = NULL, *devices, *out;
	const char *device = NULL;
	char msg[256] = "";
	size_t end;
	int err, nset = 0;

	tok = json_tokener_new_ex(JSON_DEPTH);
	if (!tok)
		return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
				  "out of memory");
	body = json_tokener_parse_ex(tok, req->body, (int)req->len);
	err = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!body || err != json_tokener_success) {
		json_object_put(body);
		return send_error(c, MHD_HTTP_BAD_REQUEST,
				  "malformed JSON: %s",
				  err == json_tokener_success ||
				  err == json_tokener_continue ?
				  "unexpected end of input" :
				  json_tokener_error_desc(err));
	}
	for (; end < req->len; end++)
		if (!strchr(" \t\r\n", req->body[end])) {
			json_object_put(body);
			return send_error(c, MHD_HTTP_BAD_REQUEST,
					  "malformed JSON: trailing data");
		}
	if (!json_object_is_type(body, json_type_object)) {
		snprintf(msg, sizeof(msg), "the body must be a JSON object");
		goto invalid;
	}
	json_object_object_foreach(body, key, v) {
		int i;

		if (!strcmp(key, "device")) {
			dev = v;
			continue;
		}
		for (i = 0; i < CG_NR_LIMITS; i++)
			if (!strcmp(key, cg_limit_names[i]))
				break;
		if (i == CG_NR_LIMITS) {
			snprintf(msg, sizeof(msg), "unknown key \"%.64s\"", key);
			goto invalid;
		}
		if (parse_limit(v, i, &val[i], msg, sizeof(msg)))
			goto invalid;
		set[i] = true;
		nset++;
	}
	if (!dev || !json_object_is_type(dev, json_type_string) ||
	    !cg_device_valid(json_object_get_string(dev))) {
		snprintf(msg, sizeof(msg),
			 "device: must be a string \"MAJ:MIN\"");
		goto invalid;
	}
	device = json_object_get_string(dev);
	if (!nset) {
		snprintf(msg, sizeof(msg),
			 "no limit given: riops, wiops, rbps or wbps");
		goto invalid;
	}
	err = cg_write_max(gw->root, name, device, val, set);
	if (err) {
		enum MHD_Result r = send_error(c,
				MHD_HTTP_INTERNAL_SERVER_ERROR,
				"writing io.max of %s: %s", name,
				strerror(-err));
		json_object_put(body);
		return r;
	}
	fprintf(stderr, "%s: %s io.max: %s", prog, name, device);
	for (int i = 0; i < CG_NR_LIMITS; i++)
		if (set[i] && val[i] == CG_MAX)
			fprintf(stderr, " %s=max", cg_limit_names[i]);
		else if (set[i])
			fprintf(stderr, " %s=%llu", cg_limit_names[i],
				(unsigned long long)val[i]);
	fputc('\n', stderr);

	/* Answer with io.max as it reads now. */
	devices = read_devices(gw, name, "io.max", &err);
	out = json_object_new_object();
	json_object_object_add(out, "cgroup", json_object_new_string(name));
	json_object_object_add(out, "device", json_object_new_string(device));
	json_object_object_add(out, "ts_ns",
			       json_object_new_int64(now_ns(CLOCK_MONOTONIC)));
	if (devices)
		json_object_object_add(out, "devices", devices);
	json_object_put(body);
	return send_json(c, MHD_HTTP_OK, out);

invalid:
	json_object_put(body);
	return send_error(c, MHD_HTTP_UNPROCESSABLE_CONTENT, "%s", msg);
}

/*
 * /v1/cgroups/<name>/<file>: split url into name and file, in place.  The
 * name may hold '/' (a nested cgroup): the file is after the last one.
 */
static bool split_cgroup_url(char *url, char **name, char **file)
{
	static const char prefix[] = "/v1/cgroups/";
	char *slash;

	if (strncmp(url, prefix, sizeof(prefix) - 1))
		return false;
	url += sizeof(prefix) - 1;
	slash = strrchr(url, '/');
	if (!slash)
		return false;
	*slash = '\0';
	*name = url;
	*file = slash + 1;
	return true;
}

static enum MHD_Result route(const struct gateway *gw,
			     struct MHD_Connection *c, const char *url,
			     const char *method, const struct request *req)
{
	bool get = !strcmp(method, MHD_HTTP_METHOD_GET);
	bool put = !strcmp(method, MHD_HTTP_METHOD_PUT);
	char path[1024], *name, *file;
	int err;

	if (!strcmp(url, "/v1/stats") || !strcmp(url, "/v1/cgroups")) {
		if (!get)
			return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED,
					  "%s: only GET", url);
		return url[4] == 's' ? get_stats(gw, c) : get_cgroups(gw, c);
	}
	if (strlen(url) >= sizeof(path) ||
	    !split_cgroup_url(strcpy(path, url), &name, &file) ||
	    (strcmp(file, "io.max") && strcmp(file, "io.stat")))
		return send_error(c, MHD_HTTP_NOT_FOUND, "no such resource");
	if (!cg_name_valid(name))
		return send_error(c, MHD_HTTP_BAD_REQUEST,
				  "invalid cgroup name");
	if (!configured(gw, name))
		return send_error(c, MHD_HTTP_NOT_FOUND,
				  "cgroup %s is not configured", name);
	err = cg_exists(gw->root, name);
	if (err)
		return send_error(c, MHD_HTTP_NOT_FOUND, "cgroup %s: %s",
				  name, strerror(-err));
	if (get)
		return get_file(gw, c, name, file);
	if (put && !strcmp(file, "io.max"))
		return put_max(gw, c, name, req);
	return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "%s: only %s", file,
			  strcmp(file, "io.max") ? "GET" : "GET and PUT");
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	const struct gateway *gw = cls;
	struct request *req = *con_cls;
	const char *clen;

	(void)version;
	if (!req) {
		/* First call: the headers only. */
		clen = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (clen && strtoull(clen, NULL, 10) > BODY_MAX)
			return send_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
					  "the body exceeds %d bytes",
					  BODY_MAX);
		req = calloc(1, sizeof(*req));
		if (!req)
			return MHD_NO;
		*con_cls = req;
		return MHD_YES;
	}
	if (*upload_size) {
		/* A chunked body has no length: take it up to BODY_MAX. */
		if (req->len + *upload_size > BODY_MAX)
			req->too_large = true;
		else {
			memcpy(req->body + req->len, upload, *upload_size);
			req->len += *upload_size;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (req->too_large)
		return send_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
				  "the body exceeds %d bytes", BODY_MAX);
	req->body[req->len] = '\0';
	return route(gw, c, url, method, req);
}

static void request_done(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode code)
{
	(void)cls;
	(void)c;
	(void)code;
	free(*con_cls);
	*con_cls = NULL;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: %s [options] -c CGROUP [-c CGROUP...]\n"
"       %s [options] -C FILE -g NAME\n"
"  -C, --config FILE     the configuration file: with -g, the [gateway NAME]\n"
"                        section's listen and root and the cgroups of its hosts\n"
"                        (the options below win)\n"
"  -g, --gateway NAME    this gateway's name in FILE\n"
"  -c, --cgroup NAME     serve this cgroup (relative to the root; repeatable)\n"
"  -r, --root DIR        the cgroup v2 root (default /sys/fs/cgroup)\n"
"  -a, --address ADDR    the IPv4 address to listen on (default 127.0.0.1)\n"
"  -p, --port PORT       the TCP port (default 8081; 0: any free port)\n"
"  -P, --port-file FILE  write the port listened on to FILE once ready\n"
"  -h, --help\n", prog, prog);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'C' },
		{ "gateway", required_argument, NULL, 'g' },
		{ "cgroup", required_argument, NULL, 'c' },
		{ "root", required_argument, NULL, 'r' },
		{ "address", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "port-file", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct gateway gw = { 0 };
	const char *address = NULL, *port_file = NULL;
	const char *conf_path = NULL, *gw_name = NULL;
	struct sla_conf *conf = NULL;
	char conf_addr[SLA_CONF_ADDR_MAX];
	struct sockaddr_in sa = { .sin_family = AF_INET };
	const union MHD_DaemonInfo *info;
	struct MHD_Daemon *d;
	unsigned long port = ULONG_MAX;
	sigset_t set;
	char *end;
	int opt, sig;

	gw.cgroups = calloc(argc, sizeof(*gw.cgroups));
	if (!gw.cgroups)
		return 1;
	while ((opt = getopt_long(argc, argv, "C:g:c:r:a:p:P:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'C':
			conf_path = optarg;
			break;
		case 'g':
			gw_name = optarg;
			break;
		case 'c':
			if (!cg_name_valid(optarg)) {
				fprintf(stderr, "%s: invalid cgroup name: %s\n",
					prog, optarg);
				return 2;
			}
			gw.cgroups[gw.nr_cgroups++] = optarg;
			break;
		case 'r':
			gw.root = optarg;
			break;
		case 'a':
			address = optarg;
			break;
		case 'p':
			port = strtoul(optarg, &end, 10);
			if (*end || !*optarg || port > 65535) {
				fprintf(stderr, "%s: bad port: %s\n", prog,
					optarg);
				return 2;
			}
			break;
		case 'P':
			port_file = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || !conf_path != !gw_name) {
		usage(stderr);
		return 2;
	}
	if (conf_path) {
		const struct sla_conf_gateway *g;
		char err[1024];

		if (sla_conf_load(conf_path, &conf, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s: %s\n", prog, err);
			return 2;
		}
		g = sla_conf_gateway(conf, gw_name);
		if (!g) {
			fprintf(stderr, "%s: %s: no [gateway %s]\n", prog,
				conf_path, gw_name);
			return 2;
		}
		if (!gw.root)
			gw.root = g->root;
		if (g->listen) {
			unsigned int p;

			sla_conf_listen(g->listen, conf_addr, &p);
			if (!address)
				address = conf_addr;
			if (port == ULONG_MAX)
				port = p;
		}
		/* the command line's cgroups, then the file's hosts on it */
		if (!gw.nr_cgroups) {
			size_t gi = g - conf->gateways;

			free(gw.cgroups);
			gw.cgroups = calloc(conf->nhosts + 1, sizeof(*gw.cgroups));
			if (!gw.cgroups)
				return 1;
			for (size_t i = 0; i < conf->nhosts; i++)
				if (conf->hosts[i].gateway == gi)
					gw.cgroups[gw.nr_cgroups++] = conf->hosts[i].cgroup;
		}
		if (!gw.nr_cgroups) {
			fprintf(stderr, "%s: %s:%d: [gateway %s]: no [host] is on it\n",
				prog, conf_path, g->line, gw_name);
			return 2;
		}
	}
	if (!gw.nr_cgroups) {
		usage(stderr);
		return 2;
	}
	if (!gw.root)
		gw.root = "/sys/fs/cgroup";
	if (!address)
		address = "127.0.0.1";
	if (port == ULONG_MAX)
		port = 8081;
	if (inet_pton(AF_INET, address, &sa.sin_addr) != 1) {
		fprintf(stderr, "%s: not an IPv4 address: %s\n", prog, address);
		return 2;
	}
	sa.sin_port = htons(port);

	/* The daemon's thread inherits this mask: signals come to sigwait. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	d = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG,
			     0, NULL, NULL, handle, &gw,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
			     MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)64,
			     MHD_OPTION_CONNECTION_MEMORY_LIMIT,
			     (size_t)(32 * 1024),
			     MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "%s: cannot listen on %s:%lu\n", prog, address,
			port);
		return 1;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	if (info)
		port = info->port;
	fprintf(stderr, "%s: listening on %s:%lu, root %s, %d cgroup%s\n",
		prog, address, port, gw.root, gw.nr_cgroups,
		gw.nr_cgroups == 1 ? "" : "s");
	if (port_file) {
		char tmp[4096];
		FILE *f;

		snprintf(tmp, sizeof(tmp), "%s.tmp", port_file);
		f = fopen(tmp, "w");
		if (!f || fprintf(f, "%lu\n", port) < 0 || fclose(f) ||
		    rename(tmp, port_file)) {
			fprintf(stderr, "%s: %s: %s\n", prog, port_file,
				strerror(errno));
			MHD_stop_daemon(d);
			return 1;
		}
	}
	do
		sigwait(&set, &sig);
	while (sig == SIGHUP);
	MHD_stop_daemon(d);
	fprintf(stderr, "%s: stopped by signal %d\n", prog, sig);
	free(gw.cgroups);
	if (conf)
		sla_conf_free(conf);
	return 0;
}
