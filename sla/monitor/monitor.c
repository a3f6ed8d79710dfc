// SPDX-License-Identifier: GPL-2.0
/*
 * sla-monitor: the performance monitor daemon.  Serves the "sla-mon"
 * mailbox: SLA_MON_COLLECT reads /v1/stats of every gateway at once (the
 * curl multi interface, each transfer under a connect and a total
 * timeout) and turns two readings of one gateway into rates;
 * SLA_MON_THROTTLE writes a host's io.max through the gateway serving it;
 * SLA_MON_LIMITS and SLA_MON_GATEWAYS report.  A gateway that is down,
 * slow or answers garbage is reported in the answer and in the log, never
 * fails a collection and never stops the daemon.
 *
 * Latency: io.stat counts I/O and bytes, not their latency (this kernel
 * configuration has no io.latency).  A host's latency comes from its
 * workload's own completion latencies: fio's JSON status output
 * (--status-interval=1 --output-format=json+), named with -l HOST=FILE.
 * Each status is cumulative; the difference of two gives the interval's
 * exact I/O count, mean and, from the latency histogram ("bins"), its
 * percentiles and maximum at the histogram's resolution.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "../common/slacfg.h"
#include "../common/slautil.h"

#define MAX_GW		16
#define MAX_LAT		16
#define MAX_SERIES	64
#define BODY_MAX	(256 * 1024)

struct series {			/* one cgroup on one device of a gateway */
	char host[SLA_HOST_MAX];
	char device[SLA_DEV_MAX];
	int64_t ts_ns;		/* the gateway's CLOCK_MONOTONIC */
	uint64_t rios, wios, rbytes, wbytes;
};

struct gateway {
	char name[SLA_GW_MAX];
	char url[256];
	struct series s[MAX_SERIES];
	int ns;
	char hosts[MAX_SERIES][SLA_HOST_MAX];	/* served, from the last answer */
	int nhosts;
	struct sla_gw_status st;
};

struct latsrc {
	char host[SLA_HOST_MAX];
	char path[256];
	int fd;
	off_t off;
	struct json_tokener *tok;
	struct json_object *prev;	/* the last status, held */
	/* the last interval measured */
	int valid;
	int64_t at_ns;			/* CLOCK_MONOTONIC when computed */
	double mean_us, p50_us, p99_us, max_us;
	uint64_t ios;
};

static struct gateway gws[MAX_GW];
static int ngw;
static struct latsrc lats[MAX_LAT];
static int nlat;
static long timeout_ms = 800, connect_ms = 300;
static int workers = 2;
static const char *journal_path;
static FILE *journal;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;	/* gws, lats */
static pthread_mutex_t jlock = PTHREAD_MUTEX_INITIALIZER;
static volatile sig_atomic_t stop;
static atomic_ullong ncalls;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

/* ---- HTTP ---- */

struct xfer {
	CURL *h;
	char *body;
	size_t len;
	int too_big;
	struct curl_slist *hdrs;
	char *put;
	char errbuf[CURL_ERROR_SIZE];
};

static size_t on_data(char *p, size_t sz, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t k = sz * n;

	if (x->len + k > BODY_MAX) {
		x->too_big = 1;
		return 0;
	}
	memcpy(x->body + x->len, p, k);
	x->len += k;
	x->body[x->len] = 0;
	return k;
}

static int xfer_init(struct xfer *x, const char *url, const char *put)
{
	memset(x, 0, sizeof(*x));
	x->body = malloc(BODY_MAX + 1);
	x->h = curl_easy_init();
	if (!x->body || !x->h)
		return -ENOMEM;
	x->body[0] = 0;
	curl_easy_setopt(x->h, CURLOPT_URL, url);
	curl_easy_setopt(x->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	curl_easy_setopt(x->h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(x->h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->h, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(x->h, CURLOPT_PROXY, "");
	curl_easy_setopt(x->h, CURLOPT_PROTOCOLS_STR, "http");
	if (put) {
		x->put = strdup(put);
		x->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
		curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, x->hdrs);
		curl_easy_setopt(x->h, CURLOPT_CUSTOMREQUEST, "PUT");
		curl_easy_setopt(x->h, CURLOPT_POSTFIELDS, x->put);
	}
	return 0;
}

static void xfer_free(struct xfer *x)
{
	if (x->h)
		curl_easy_cleanup(x->h);
	curl_slist_free_all(x->hdrs);
	free(x->put);
	free(x->body);
}

/*
 * The outcome of a finished transfer: SLA_GW_*, a message, and with
 * SLA_GW_OK the parsed JSON object (the caller puts it).
 */
static int xfer_result(struct xfer *x, CURLcode rc, char *msg, size_t msz,
		       struct json_object **out)
{
	enum json_tokener_error jerr;
	struct json_object *o;
	long code = 0;

	*out = NULL;
	if (rc == CURLE_OPERATION_TIMEDOUT) {
		snprintf(msg, msz, "timed out (%s)", x->errbuf);
		return SLA_GW_TIMEOUT;
	}
	if (x->too_big) {
		snprintf(msg, msz, "answer over %d bytes", BODY_MAX);
		return SLA_GW_GARBAGE;
	}
	if (rc != CURLE_OK) {
		snprintf(msg, msz, "%s", x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
		if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST)
			return SLA_GW_DOWN;
		return SLA_GW_GARBAGE;	/* a broken answer: weird server reply, ... */
	}
	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
	o = json_tokener_parse_verbose(x->body, &jerr);
	if (code != 200) {
		struct json_object *e = NULL;

		if (o && json_object_object_get_ex(o, "error", &e) &&
		    json_object_is_type(e, json_type_string))
			snprintf(msg, msz, "HTTP %ld: %s", code, json_object_get_string(e));
		else
			snprintf(msg, msz, "HTTP %ld", code);
		json_object_put(o);
		return SLA_GW_HTTP_ERROR;
	}
	if (!o || !json_object_is_type(o, json_type_object)) {
		snprintf(msg, msz, "not a JSON object: %s",
			 o ? "another JSON value" : json_tokener_error_desc(jerr));
		json_object_put(o);
		return SLA_GW_GARBAGE;
	}
	*out = o;
	return SLA_GW_OK;
}

static int get_i64(struct json_object *o, const char *key, int64_t *v)
{
	struct json_object *x;

	if (!json_object_object_get_ex(o, key, &x) ||
	    !json_object_is_type(x, json_type_int))
		return -1;
	*v = json_object_get_int64(x);
	return 0;
}

/* A limit in an io.max answer: an integer, or "max". */
static int get_limit(struct json_object *o, const char *key, uint64_t *v)
{
	struct json_object *x;

	if (!json_object_object_get_ex(o, key, &x)) {
		*v = SLA_LIMIT_MAX;
		return 0;
	}
	if (json_object_is_type(x, json_type_string) &&
	    !strcmp(json_object_get_string(x), "max")) {
		*v = SLA_LIMIT_MAX;
		return 0;
	}
	if (!json_object_is_type(x, json_type_int) || json_object_get_int64(x) <= 0)
		return -1;
	*v = json_object_get_uint64(x);
	return 0;
}

/* ---- Latency from fio's JSON status ---- */

struct bin {
	double lat_ns;
	int64_t n;
};

static int cmp_bin(const void *a, const void *b)
{
	const struct bin *x = a, *y = b;

	return x->lat_ns < y->lat_ns ? -1 : x->lat_ns > y->lat_ns;
}

/* The read and write clat_ns of the first job of a status: N, mean, bins. */
static int fio_dir(struct json_object *st, const char *dir, int64_t *n,
		   double *mean, struct json_object **bins)
{
	struct json_object *jobs, *job, *d, *clat, *x;

	*bins = NULL;
	if (!json_object_object_get_ex(st, "jobs", &jobs) ||
	    !json_object_is_type(jobs, json_type_array) ||
	    json_object_array_length(jobs) < 1)
		return -1;
	job = json_object_array_get_idx(jobs, 0);
	if (!json_object_object_get_ex(job, dir, &d) ||
	    !json_object_object_get_ex(d, "clat_ns", &clat))
		return -1;
	if (get_i64(clat, "N", n) < 0 ||
	    !json_object_object_get_ex(clat, "mean", &x))
		return -1;
	*mean = json_object_get_double(x);
	json_object_object_get_ex(clat, "bins", bins);
	return 0;
}

/* One interval between two statuses: its mean, p50, p99 and max. */
static void lat_interval(struct latsrc *l, struct json_object *prev,
			 struct json_object *cur)
{
	static const char *const dirs[] = { "read", "write" };
	struct bin *b = NULL;
	size_t nb = 0, cap = 0;
	double sum = 0;
	int64_t ios = 0, total = 0;

	for (int i = 0; i < 2; i++) {
		struct json_object *pb, *cb, *x;
		int64_t pn, cn;
		double pm, cm;

		if (fio_dir(prev, dirs[i], &pn, &pm, &pb) < 0 ||
		    fio_dir(cur, dirs[i], &cn, &cm, &cb) < 0 || cn < pn)
			return;
		ios += cn - pn;
		sum += cm * cn - pm * pn;
		if (!cb)
			continue;
		json_object_object_foreach(cb, key, val) {
			int64_t c = json_object_get_int64(val), p = 0;

			if (pb && json_object_object_get_ex(pb, key, &x))
				p = json_object_get_int64(x);
			if (c <= p)
				continue;
			if (nb == cap) {
				cap = cap ? 2 * cap : 64;
				b = realloc(b, cap * sizeof(*b));
				if (!b)
					return;
			}
			b[nb++] = (struct bin){ strtod(key, NULL), c - p };
			total += c - p;
		}
	}
	if (ios <= 0) {
		free(b);
		return;
	}
	l->ios = ios;
	l->mean_us = sum / ios / 1000.0;
	l->p50_us = l->p99_us = l->max_us = l->mean_us;
	if (nb) {
		int64_t acc = 0, r50 = (total * 50 + 99) / 100, r99 = (total * 99 + 99) / 100;
		int got50 = 0, got99 = 0;

		qsort(b, nb, sizeof(*b), cmp_bin);
		for (size_t i = 0; i < nb; i++) {
			acc += b[i].n;
			if (!got50 && acc >= r50) {
				l->p50_us = b[i].lat_ns / 1000.0;
				got50 = 1;
			}
			if (!got99 && acc >= r99) {
				l->p99_us = b[i].lat_ns / 1000.0;
				got99 = 1;
			}
		}
		l->max_us = b[nb - 1].lat_ns / 1000.0;
	}
	l->valid = 1;
	l->at_ns = sla_mono_ns();
	free(b);
}

/* Read what fio appended since the last time; every whole status counts. */
static void lat_poll(struct latsrc *l)
{
	char buf[65536];
	ssize_t n;

	if (l->fd < 0) {
		l->fd = open(l->path, O_RDONLY | O_CLOEXEC);
		if (l->fd < 0)
			return;
		l->off = 0;
	}
	while ((n = pread(l->fd, buf, sizeof(buf), l->off)) > 0) {
		const char *p = buf;
		size_t left = n;

		l->off += n;
		while (left) {
			struct json_object *o;
			size_t used;

			o = json_tokener_parse_ex(l->tok, p, left);
			used = json_tokener_get_parse_end(l->tok);
			if (!o && json_tokener_get_error(l->tok) == json_tokener_continue)
				break;	/* the rest comes with the next read */
			p += used ? used : 1;
			left -= used ? used : 1;
			if (!o) {
				json_tokener_reset(l->tok);
				continue;
			}
			json_tokener_reset(l->tok);
			if (!json_object_is_type(o, json_type_object)) {
				json_object_put(o);
				continue;
			}
			if (l->prev)
				lat_interval(l, l->prev, o);
			json_object_put(l->prev);
			l->prev = o;
		}
	}
}

static struct latsrc *lat_of(const char *host)
{
	for (int i = 0; i < nlat; i++)
		if (!strcmp(lats[i].host, host))
			return &lats[i];
	return NULL;
}

/* ---- SLA_MON_COLLECT ---- */

/*
 * Parse one /v1/stats answer of gateway g into samples; 0, or -1 with
 * msg when it is not what a gateway answers.
 */
static int stats_parse(struct gateway *g, struct json_object *o,
		       struct sla_sample *out, uint32_t room, uint32_t *nout,
		       char *msg, size_t msz)
{
	struct json_object *cgs;
	struct series ns[MAX_SERIES];
	int nns = 0, nh = 0;
	char hosts[MAX_SERIES][SLA_HOST_MAX];
	int64_t ts, rt;

	if (get_i64(o, "ts_ns", &ts) < 0 || ts <= 0) {
		snprintf(msg, msz, "no integer ts_ns");
		return -1;
	}
	if (get_i64(o, "realtime_ns", &rt) < 0)
		rt = sla_now_ns();
	if (!json_object_object_get_ex(o, "cgroups", &cgs) ||
	    !json_object_is_type(cgs, json_type_object)) {
		snprintf(msg, msz, "no cgroups object");
		return -1;
	}
	json_object_object_foreach(cgs, cg, val) {
		struct json_object *devs;

		if (!json_object_is_type(val, json_type_object) || strlen(cg) >= SLA_HOST_MAX) {
			snprintf(msg, msz, "cgroup %.40s: not an object", cg);
			return -1;
		}
		if (nh < MAX_SERIES)
			sla_strset(hosts[nh++], SLA_HOST_MAX, cg);
		if (!json_object_object_get_ex(val, "devices", &devs))
			continue;	/* "error": the cgroup could not be read */
		if (!json_object_is_type(devs, json_type_object)) {
			snprintf(msg, msz, "cgroup %.40s: devices not an object", cg);
			return -1;
		}
		json_object_object_foreach(devs, dev, d) {
			struct series *s;
			int64_t v[4];

			if (nns == MAX_SERIES)
				break;
			if (!json_object_is_type(d, json_type_object) ||
			    strlen(dev) >= SLA_DEV_MAX ||
			    get_i64(d, "rios", &v[0]) || get_i64(d, "wios", &v[1]) ||
			    get_i64(d, "rbytes", &v[2]) || get_i64(d, "wbytes", &v[3]) ||
			    v[0] < 0 || v[1] < 0 || v[2] < 0 || v[3] < 0) {
				snprintf(msg, msz, "cgroup %.40s device %.15s: bad counters", cg, dev);
				return -1;
			}
			s = &ns[nns++];
			memset(s, 0, sizeof(*s));
			sla_strset(s->host, sizeof(s->host), cg);
			sla_strset(s->device, sizeof(s->device), dev);
			s->ts_ns = ts;
			s->rios = v[0];
			s->wios = v[1];
			s->rbytes = v[2];
			s->wbytes = v[3];
		}
	}
	/* rates against the previous reading of the same series */
	*nout = 0;
	for (int i = 0; i < nns; i++) {
		struct series *c = &ns[i];

		for (int j = 0; j < g->ns; j++) {
			struct series *p = &g->s[j];
			struct sla_sample *x;
			struct latsrc *l;
			double dt;

			if (strcmp(p->host, c->host) || strcmp(p->device, c->device))
				continue;
			dt = (c->ts_ns - p->ts_ns) / 1e9;
			/* a counter that fell: the cgroup was re-created */
			if (dt <= 0 || c->rios < p->rios || c->wios < p->wios ||
			    c->rbytes < p->rbytes || c->wbytes < p->wbytes || *nout == room)
				break;
			x = &out[(*nout)++];
			memset(x, 0, sizeof(*x));
			x->ts_ns = rt;
			memcpy(x->host, c->host, sizeof(x->host));
			memcpy(x->device, c->device, sizeof(x->device));
			x->riops = (c->rios - p->rios) / dt;
			x->wiops = (c->wios - p->wios) / dt;
			x->rbps = (c->rbytes - p->rbytes) / dt;
			x->wbps = (c->wbytes - p->wbytes) / dt;
			x->interval_ms = (uint32_t)(dt * 1000);
			l = lat_of(c->host);
			/* a latency measured within the last 3 s */
			if (l && l->valid && sla_mono_ns() - l->at_ns < 3000000000LL) {
				x->flags |= SLA_SAMPLE_LAT;
				x->lat_mean_us = l->mean_us;
				x->lat_p50_us = l->p50_us;
				x->lat_p99_us = l->p99_us;
				x->lat_max_us = l->max_us;
			}
			break;
		}
	}
	memcpy(g->s, ns, sizeof(ns[0]) * nns);
	g->ns = nns;
	memcpy(g->hosts, hosts, sizeof(hosts[0]) * nh);
	g->nhosts = nh;
	return 0;
}

static int errno_of(int state)
{
	switch (state) {
	case SLA_GW_DOWN: return -EHOSTUNREACH;
	case SLA_GW_TIMEOUT: return -ETIMEDOUT;
	case SLA_GW_GARBAGE: return -EBADMSG;
	case SLA_GW_HTTP_ERROR: return -EREMOTEIO;
	default: return 0;
	}
}

static void gw_note(struct gateway *g, int state, const char *msg)
{
	int was = g->st.state;

	g->st.requests++;
	g->st.state = state;
	snprintf(g->st.msg, sizeof(g->st.msg), "%s", msg);
	if (state == SLA_GW_OK) {
		g->st.last_ok_ns = sla_now_ns();
		if (was != SLA_GW_OK && g->st.requests > 1)
			sla_log("gateway %s: answering again", g->name);
	} else {
		g->st.failures++;
		if (was != state || g->st.failures == 1)
			sla_log("gateway %s: %s", g->name, msg);
	}
}

static int do_collect(unsigned char *body, uint32_t room)
{
	struct sla_mon_collect *c = (void *)body;
	struct sla_sample *samples = (void *)(c + 1);
	uint32_t max_samples = sla_fit(room, sizeof(*c) + ngw * sizeof(struct sla_gw_status),
				       sizeof(struct sla_sample));
	struct xfer x[MAX_GW];
	CURLM *m = curl_multi_init();
	int running = 0, ret = 0;
	char url[300];

	for (int i = 0; i < ngw; i++) {
		snprintf(url, sizeof(url), "%s/v1/stats", gws[i].url);
		xfer_init(&x[i], url, NULL);
		curl_multi_add_handle(m, x[i].h);
	}
	do {
		if (curl_multi_perform(m, &running) != CURLM_OK)
			break;
		if (running)
			curl_multi_poll(m, NULL, 0, 100, NULL);
	} while (running);

	pthread_mutex_lock(&lock);
	for (int i = 0; i < nlat; i++)
		lat_poll(&lats[i]);
	c->nsamples = 0;
	for (;;) {
		CURLMsg *msg;
		int left;

		msg = curl_multi_info_read(m, &left);
		if (!msg)
			break;
		if (msg->msg != CURLMSG_DONE)
			continue;
		for (int i = 0; i < ngw; i++) {
			struct json_object *o;
			char text[SLA_MSG_MAX];
			uint32_t n = 0;
			int st;

			if (x[i].h != msg->easy_handle)
				continue;
			st = xfer_result(&x[i], msg->data.result, text, sizeof(text), &o);
			if (st == SLA_GW_OK &&
			    stats_parse(&gws[i], o, samples + c->nsamples,
					max_samples - c->nsamples, &n, text, sizeof(text)) < 0)
				st = SLA_GW_GARBAGE;
			json_object_put(o);
			gw_note(&gws[i], st, st == SLA_GW_OK ? "" : text);
			c->nsamples += n;
		}
	}
	c->ngw = ngw;
	{
		struct sla_gw_status *gs = (void *)(samples + c->nsamples);

		for (int i = 0; i < ngw; i++)
			gs[i] = gws[i].st;
	}
	pthread_mutex_unlock(&lock);
	for (int i = 0; i < ngw; i++) {
		curl_multi_remove_handle(m, x[i].h);
		xfer_free(&x[i]);
	}
	curl_multi_cleanup(m);
	ret = sizeof(*c) + c->nsamples * sizeof(struct sla_sample) +
	      ngw * sizeof(struct sla_gw_status);
	return ret;
}

/* ---- io.max ---- */

static int gw_of(const char *host)
{
	int found = -1;

	pthread_mutex_lock(&lock);
	for (int i = 0; i < ngw && found < 0; i++)
		for (int j = 0; j < gws[i].nhosts; j++)
			if (!strcmp(gws[i].hosts[j], host)) {
				found = i;
				break;
			}
	pthread_mutex_unlock(&lock);
	return found;
}

/* Read a device's limits out of an io.max answer (absent: all max). */
static int limits_of(struct json_object *o, const char *device, struct sla_limits *l)
{
	struct json_object *devs, *d;

	*l = (struct sla_limits){ SLA_LIMIT_MAX, SLA_LIMIT_MAX, SLA_LIMIT_MAX, SLA_LIMIT_MAX };
	if (!json_object_object_get_ex(o, "devices", &devs) ||
	    !json_object_is_type(devs, json_type_object))
		return -1;
	if (!json_object_object_get_ex(devs, device, &d))
		return 0;
	if (!json_object_is_type(d, json_type_object) ||
	    get_limit(d, "riops", &l->riops) || get_limit(d, "wiops", &l->wiops) ||
	    get_limit(d, "rbps", &l->rbps) || get_limit(d, "wbps", &l->wbps))
		return -1;
	return 0;
}

static void add_limit(struct json_object *o, const char *k, uint64_t v)
{
	if (v == SLA_LIMIT_KEEP)
		return;
	if (v == SLA_LIMIT_MAX)
		json_object_object_add(o, k, json_object_new_string("max"));
	else
		json_object_object_add(o, k, json_object_new_uint64(v));
}

static int http_once(const char *url, const char *put, struct json_object **o,
		     char *msg, size_t msz)
{
	struct xfer x;
	CURLcode rc;
	int st;

	if (xfer_init(&x, url, put) < 0) {
		xfer_free(&x);
		snprintf(msg, msz, "out of memory");
		return SLA_GW_GARBAGE;
	}
	rc = curl_easy_perform(x.h);
	st = xfer_result(&x, rc, msg, msz, o);
	xfer_free(&x);
	return st;
}

static int do_throttle(const struct sla_mon_throttle *r, struct sla_rep *rep,
		       struct sla_throttle *out)
{
	const struct sla_throttle *t = &r->t;
	struct json_object *body, *o = NULL;
	const struct sla_limits *l = &t->limits;
	char url[400], msg[SLA_MSG_MAX];
	int g, st;

	if (!sla_strok(t->host, sizeof(t->host)) || !t->host[0] ||
	    !sla_strok(t->device, sizeof(t->device)) || !t->device[0]) {
		sla_rep_err(rep, "host and device must be non-empty strings");
		return -EINVAL;
	}
	if (l->riops == SLA_LIMIT_KEEP && l->wiops == SLA_LIMIT_KEEP &&
	    l->rbps == SLA_LIMIT_KEEP && l->wbps == SLA_LIMIT_KEEP) {
		sla_rep_err(rep, "no limit to set");
		return -EINVAL;
	}
	g = gw_of(t->host);
	if (g < 0) {
		sla_rep_err(rep, "no gateway serves host %s (yet)", t->host);
		return -ENOENT;
	}
	body = json_object_new_object();
	json_object_object_add(body, "device", json_object_new_string(t->device));
	add_limit(body, "riops", l->riops);
	add_limit(body, "wiops", l->wiops);
	add_limit(body, "rbps", l->rbps);
	add_limit(body, "wbps", l->wbps);
	snprintf(url, sizeof(url), "%s/v1/cgroups/%s/io.max", gws[g].url, t->host);
	st = http_once(url, json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN),
		       &o, msg, sizeof(msg));
	json_object_put(body);
	if (st == SLA_GW_OK && limits_of(o, t->device, &out->limits) < 0) {
		st = SLA_GW_GARBAGE;
		snprintf(msg, sizeof(msg), "io.max answer without the device's limits");
	}
	json_object_put(o);
	pthread_mutex_lock(&lock);
	gw_note(&gws[g], st, st == SLA_GW_OK ? "" : msg);
	pthread_mutex_unlock(&lock);
	if (st != SLA_GW_OK) {
		sla_rep_err(rep, "gateway %s: %s", gws[g].name, msg);
		return errno_of(st);
	}
	memcpy(out->host, t->host, sizeof(out->host));
	memcpy(out->device, t->device, sizeof(out->device));
	sla_strset(out->gateway, sizeof(out->gateway), gws[g].name);
	out->since_ns = sla_now_ns();
	sla_log("io.max of %s on %s through %s", t->host, t->device, gws[g].name);
	return 0;
}

static int do_limits(struct sla_throttle_list *tl, uint32_t room)
{
	tl->count = 0;
	tl->__pad = 0;
	for (int g = 0; g < ngw; g++) {
		char hosts[MAX_SERIES][SLA_HOST_MAX];
		int nh;

		pthread_mutex_lock(&lock);
		nh = gws[g].nhosts;
		memcpy(hosts, gws[g].hosts, sizeof(hosts[0]) * nh);
		pthread_mutex_unlock(&lock);
		for (int h = 0; h < nh; h++) {
			struct json_object *o = NULL, *devs;
			char url[400], msg[SLA_MSG_MAX];

			snprintf(url, sizeof(url), "%s/v1/cgroups/%s/io.max", gws[g].url, hosts[h]);
			if (http_once(url, NULL, &o, msg, sizeof(msg)) != SLA_GW_OK)
				continue;
			if (json_object_object_get_ex(o, "devices", &devs) &&
			    json_object_is_type(devs, json_type_object)) {
				json_object_object_foreach(devs, dev, d) {
					struct sla_throttle *t;

					(void)d;
					if (tl->count == room || strlen(dev) >= SLA_DEV_MAX)
						break;
					t = &tl->t[tl->count];
					memset(t, 0, sizeof(*t));
					if (limits_of(o, dev, &t->limits) < 0)
						continue;
					sla_strset(t->host, sizeof(t->host), hosts[h]);
					sla_strset(t->device, sizeof(t->device), dev);
					sla_strset(t->gateway, sizeof(t->gateway), gws[g].name);
					tl->count++;
				}
			}
			json_object_put(o);
		}
	}
	return sizeof(*tl) + tl->count * sizeof(tl->t[0]);
}

/* ---- Serving ---- */

static int serve(struct mailbox *mb, const struct mbx_call *call, uint32_t *len)
{
	const void *in = mailbox_call_plane(mb, call->slot);
	unsigned char *out = mailbox_reply_plane(mb, call->slot);
	struct sla_rep *rep = (void *)out;
	unsigned char *body = out + sizeof(*rep);
	uint32_t room = mb->slot_size - sizeof(*rep);
	int ret = 0, n;

	sla_rep_ok(rep);
	*len = sizeof(*rep);
	switch (call->opcode) {
	case SLA_MON_COLLECT:
		if ((ret = sla_req_check(call, in, sizeof(struct sla_req), rep)))
			break;
		n = do_collect(body, room);
		*len += n;
		break;
	case SLA_MON_THROTTLE:
		if ((ret = sla_req_check(call, in, sizeof(struct sla_mon_throttle), rep)))
			break;
		memset(body, 0, sizeof(struct sla_throttle));
		ret = do_throttle(in, rep, (void *)body);
		if (!ret)
			*len += sizeof(struct sla_throttle);
		break;
	case SLA_MON_LIMITS:
		if ((ret = sla_req_check(call, in, sizeof(struct sla_req), rep)))
			break;
		*len += do_limits((void *)body, sla_fit(room, sizeof(struct sla_throttle_list),
							 sizeof(struct sla_throttle)));
		break;
	case SLA_MON_GATEWAYS: {
		struct sla_gw_list *gl = (void *)body;

		if ((ret = sla_req_check(call, in, sizeof(struct sla_req), rep)))
			break;
		pthread_mutex_lock(&lock);
		gl->count = ngw;
		gl->__pad = 0;
		for (int i = 0; i < ngw; i++)
			gl->g[i] = gws[i].st;
		pthread_mutex_unlock(&lock);
		*len += sizeof(*gl) + ngw * sizeof(gl->g[0]);
		break;
	}
	default:
		sla_rep_err(rep, "unknown opcode 0x%x", call->opcode);
		ret = -EOPNOTSUPP;
	}
	if (ret)
		*len = sizeof(*rep);
	return ret;
}

static pthread_mutex_t collect_lock = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg)
{
	struct mbx_call call = { .call_id = 0 };
	int32_t status = 0;
	uint32_t len = 0;
	struct mailbox mb;
	long id = (long)arg;
	int ret;

	ret = sla_mb_serve(&mb, SLA_MB_MON, SLA_MON_NSLOTS, SLA_MON_SLOT_SIZE);
	if (ret < 0) {
		sla_log("worker %ld: mailbox %s: %s", id, SLA_MB_MON, strerror(-ret));
		stop = 1;
		return NULL;
	}
	while (!stop) {
		uint64_t done = call.call_id;
		uint32_t op = call.opcode;
		int32_t dst = status;

		ret = mailbox_complete_take(&mb, &call, status, len, MBX_WAIT_TIMEOUT,
					    mailbox_deadline(200000000ULL), &call);
		if (done && journal && call.call_id != done) {
			pthread_mutex_lock(&jlock);
			fprintf(journal, "%llu 0x%x %d\n", (unsigned long long)done, op, dst);
			fflush(journal);
			pthread_mutex_unlock(&jlock);
		}
		if (ret == -ETIMEDOUT || ret == -EINTR || ret == -ECANCELED)
			continue;
		if (ret < 0) {
			sla_log("worker %ld: take: %s", id, strerror(-ret));
			break;
		}
		ncalls++;
		if (call.opcode == SLA_MON_COLLECT)
			pthread_mutex_lock(&collect_lock);
		status = serve(&mb, &call, &len);
		if (call.opcode == SLA_MON_COLLECT)
			pthread_mutex_unlock(&collect_lock);
	}
	if (call.call_id) {
		ret = mailbox_complete(&mb, &call, status, len);
		if (ret < 0 && ret != -ECANCELED)
			sla_log("worker %ld: complete: %s", id, strerror(-ret));
		else if (journal)
			fprintf(journal, "%llu 0x%x %d\n", (unsigned long long)call.call_id,
				call.opcode, status);
	}
	mailbox_close(&mb);
	return NULL;
}

/*
 * --probe N: the latency sources, then N collections without any
 * mailbox, printed one line per sample and per gateway; before each
 * collection but the first a line is read from stdin (a test decides
 * when).  For trying gateways and latency files from the command line,
 * and for the host tests.
 */
static int probe(int n)
{
	static unsigned char buf[SLA_MON_SLOT_SIZE];
	char line[64];

	for (int i = 0; i < nlat; i++)
		printf("latency %s %s\n", lats[i].host, lats[i].path);
	for (int i = 0; i < n; i++) {
		const struct sla_mon_collect *c = (void *)buf;
		const struct sla_sample *x = (const void *)(c + 1);
		const struct sla_gw_status *g;

		if (i && !fgets(line, sizeof(line), stdin))
			break;
		do_collect(buf, sizeof(buf));
		g = (const void *)(x + c->nsamples);
		printf("collection %d: %u samples, %u gateways\n", i + 1, c->nsamples, c->ngw);
		for (uint32_t k = 0; k < c->nsamples; k++)
			printf("sample %s %s riops=%.3f wiops=%.3f rbps=%.3f wbps=%.3f "
			       "interval_ms=%u lat=%d lat_mean_us=%.3f lat_p50_us=%.3f "
			       "lat_p99_us=%.3f lat_max_us=%.3f\n", x[k].host, x[k].device,
			       x[k].riops, x[k].wiops, x[k].rbps, x[k].wbps, x[k].interval_ms,
			       !!(x[k].flags & SLA_SAMPLE_LAT), x[k].lat_mean_us, x[k].lat_p50_us,
			       x[k].lat_p99_us, x[k].lat_max_us);
		for (uint32_t k = 0; k < c->ngw; k++)
			printf("gateway %s state=%u requests=%llu failures=%llu msg=%s\n",
			       g[k].name, g[k].state, (unsigned long long)g[k].requests,
			       (unsigned long long)g[k].failures, g[k].msg);
		fflush(stdout);
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sla-monitor [options] -g NAME=URL [-g NAME=URL...]\n"
		"       sla-monitor [options] -C FILE\n"
		"  -C, --config FILE          the configuration file: the mailboxes' names, the\n"
		"                             gateways (unless -g names some) and the hosts'\n"
		"                             latency files (unless -l names theirs)\n"
		"  -g, --gateway NAME=URL     a gateway (http[s]://ADDR:PORT); repeatable, up to %d\n"
		"  -l, --latency HOST=FILE    HOST's latency from fio's JSON status output in FILE\n"
		"                             (--status-interval=1 --output-format=json+)\n"
		"  -t, --timeout-ms MS        a gateway's whole answer within MS (default 800)\n"
		"  -c, --connect-timeout-ms MS  its connection within MS (default 300)\n"
		"  -j, --workers N            serving threads (1..16, default 2)\n"
		"  -J, --journal FILE         append \"CALL_ID OPCODE STATUS\" per call answered\n"
		"  -P, --pid-file FILE        write the pid to FILE once serving\n"
		"      --probe N              no mailbox: N collections printed (the\n"
		"                             second and later each after a line on stdin)\n", MAX_GW);
}

static int split(const char *arg, char *a, size_t asz, char *b, size_t bsz)
{
	const char *eq = strchr(arg, '=');

	if (!eq || eq == arg || !eq[1] || (size_t)(eq - arg) >= asz || strlen(eq + 1) >= bsz)
		return -1;
	memcpy(a, arg, eq - arg);
	a[eq - arg] = 0;
	strcpy(b, eq + 1);
	return 0;
}

static int add_gateway(const char *name, const char *url)
{
	struct gateway *g = &gws[ngw];

	if (ngw == MAX_GW || strlen(name) >= sizeof(g->name) ||
	    strlen(url) >= sizeof(g->url) ||
	    (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)))
		return -1;
	strcpy(g->name, name);
	strcpy(g->url, url);
	sla_strset(g->st.name, sizeof(g->st.name), g->name);
	g->st.state = SLA_GW_OK;
	ngw++;
	return 0;
}

static int add_latency(const char *host, const char *path)
{
	struct latsrc *l = &lats[nlat];

	if (nlat == MAX_LAT || strlen(host) >= sizeof(l->host) ||
	    strlen(path) >= sizeof(l->path))
		return -1;
	strcpy(l->host, host);
	strcpy(l->path, path);
	l->fd = -1;
	l->tok = json_tokener_new();
	nlat++;
	return 0;
}

/*
 * The file's gateways when the command line names none; the file's
 * latency files for the hosts the command line gives none for.
 */
static int from_conf(const struct sla_conf *conf)
{
	if (!ngw)
		for (size_t i = 0; i < conf->ngateways; i++)
			if (add_gateway(conf->gateways[i].name, conf->gateways[i].url) < 0) {
				fprintf(stderr, "sla-monitor: %s:%d: [gateway %s]: more than %d gateways, or a name or URL too long\n",
					conf->path, conf->gateways[i].line,
					conf->gateways[i].name, MAX_GW);
				return -1;
			}
	for (size_t i = 0; i < conf->nhosts; i++) {
		const struct sla_conf_host *h = &conf->hosts[i];

		if (!h->latency_file || lat_of(h->cgroup))
			continue;
		if (add_latency(h->cgroup, h->latency_file) < 0) {
			fprintf(stderr, "sla-monitor: %s:%d: [host %s]: more than %d latency files, or a path too long\n",
				conf->path, h->line, h->name, MAX_LAT);
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'C' },
		{ "gateway", required_argument, NULL, 'g' },
		{ "latency", required_argument, NULL, 'l' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "connect-timeout-ms", required_argument, NULL, 'c' },
		{ "workers", required_argument, NULL, 'j' },
		{ "journal", required_argument, NULL, 'J' },
		{ "pid-file", required_argument, NULL, 'P' },
		{ "probe", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct sigaction sa = { .sa_handler = on_stop };
	pthread_t tids[16];
	int probes = 0;
	const char *pidfile = NULL;
	struct sla_conf *conf = NULL;
	char name[256], path[4096];
	uint64_t v;
	int opt;

	sla_prog = "sla-monitor";
	while ((opt = getopt_long(argc, argv, "C:g:l:t:c:j:J:P:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'C':
			conf = sla_cfg_load(sla_prog, optarg);
			break;
		case 'g':
			if (split(optarg, name, sizeof(name), path, sizeof(path)) < 0 ||
			    add_gateway(name, path) < 0) {
				fprintf(stderr, "sla-monitor: --gateway: '%s' is not NAME=http://ADDR:PORT\n", optarg);
				return 2;
			}
			break;
		case 'l':
			if (split(optarg, name, sizeof(name), path, sizeof(path)) < 0 ||
			    add_latency(name, path) < 0) {
				fprintf(stderr, "sla-monitor: --latency: '%s' is not HOST=FILE\n", optarg);
				return 2;
			}
			break;
		case 't':
		case 'c':
			if (sla_parse_u64(optarg, &v) || v < 1 || v > 60000) {
				fprintf(stderr, "sla-monitor: -%c: '%s' is not 1..60000 ms\n", opt, optarg);
				return 2;
			}
			if (opt == 't')
				timeout_ms = v;
			else
				connect_ms = v;
			break;
		case 'j':
			if (sla_parse_u64(optarg, &v) || v < 1 || v > 16) {
				fprintf(stderr, "sla-monitor: --workers: '%s' is not 1..16\n", optarg);
				return 2;
			}
			workers = v;
			break;
		case 'J':
			journal_path = optarg;
			break;
		case 'P':
			pidfile = optarg;
			break;
		case 'p':
			if (sla_parse_u64(optarg, &v) || v < 1 || v > 1000) {
				fprintf(stderr, "sla-monitor: --probe: '%s' is not 1..1000\n", optarg);
				return 2;
			}
			probes = v;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (conf && from_conf(conf) < 0)
		return 2;
	if (optind < argc || !ngw) {
		usage(stderr);
		return 2;
	}
	if (probes) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		signal(SIGPIPE, SIG_IGN);
		probe(probes);
		curl_global_cleanup();
		return 0;
	}
	if (journal_path) {
		journal = fopen(journal_path, "a");
		if (!journal) {
			sla_log("journal %s: %s", journal_path, strerror(errno));
			return 1;
		}
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	for (long i = 0; i < workers; i++)
		pthread_create(&tids[i], NULL, worker, (void *)i);
	sla_write_pidfile(pidfile);
	sla_log("serving %s for %d gateway(s), %d latency source(s), timeouts %ld/%ld ms",
		SLA_MB_MON, ngw, nlat, connect_ms, timeout_ms);
	for (int i = 0; i < workers; i++)
		pthread_join(tids[i], NULL);
	sla_log("stopped after %llu calls", (unsigned long long)ncalls);
	if (journal)
		fclose(journal);
	curl_global_cleanup();
	return 0;
}
