// SPDX-License-Identifier: GPL-2.0
/*
 * sla-top: the terminal view of the SLA server.  It reads what the web
 * page reads, sla-appserver's /api/v1/state (libcurl, json-c), and prints
 * it as a compact text view: sla-core, each host (SLA, latency and IOPS
 * now, a sparkline of the latency, throttles), the last decisions, the
 * mailboxes.  On a terminal it redraws in place; otherwise (a log, make
 * run) it prints one frame after the other.
 *
 *   sla-top [-u URL] [-i MS] [-n FRAMES]
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#define BODY_MAX	(4 << 20)

struct buf {
	char *p;
	size_t len;
};

static size_t on_data(char *d, size_t size, size_t n, void *ctx)
{
	struct buf *b = ctx;
	size_t add = size * n;
	char *p;

	if (b->len + add > BODY_MAX)
		return 0;
	p = realloc(b->p, b->len + add + 1);
	if (!p)
		return 0;
	memcpy(p + b->len, d, add);
	b->p = p;
	b->len += add;
	b->p[b->len] = '\0';
	return add;
}

static struct json_object *get(struct json_object *o, const char *k)
{
	struct json_object *v = NULL;

	return o && json_object_object_get_ex(o, k, &v) ? v : NULL;
}

static const char *s(struct json_object *o, const char *k)
{
	struct json_object *v = get(o, k);

	return v ? json_object_get_string(v) : "-";
}

static double d(struct json_object *o, const char *k)
{
	return json_object_get_double(get(o, k));
}

static const char *hms(int64_t ns, char *buf, size_t size)
{
	time_t t = ns / 1000000000;
	struct tm tm;

	if (!ns)
		return "-";
	gmtime_r(&t, &tm);
	strftime(buf, size, "%H:%M:%S", &tm);
	return buf;
}

/* The last width values of arr as a sparkline, scaled to their largest. */
static void spark(struct json_object *arr, int width, char *out, size_t size)
{
	static const char *const bars[] = { "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" };
	size_t n = arr ? json_object_array_length(arr) : 0, from, o = 0;
	double max = 0;

	from = n > (size_t)width ? n - width : 0;
	for (size_t i = from; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(arr, i);

		if (v && json_object_get_double(v) > max)
			max = json_object_get_double(v);
	}
	out[0] = '\0';
	for (size_t i = from; i < n && o + 4 < size; i++) {
		struct json_object *v = json_object_array_get_idx(arr, i);
		const char *c = " ";

		if (v && max > 0) {
			int k = (int)(json_object_get_double(v) / max * 7.99);

			c = bars[k < 0 ? 0 : k > 7 ? 7 : k];
		}
		o += snprintf(out + o, size - o, "%s", c);
	}
}

static const char *limit_text(struct json_object *l, char *buf, size_t size)
{
	static const char *const keys[] = { "riops", "wiops", "rbps", "wbps" };
	size_t o = 0;

	buf[0] = '\0';
	for (int i = 0; i < 4; i++)
		if (strcmp(s(l, keys[i]), "max"))
			o += snprintf(buf + o, size - o, "%s%s=%s", o ? " " : "",
				      keys[i], s(l, keys[i]));
	return o ? buf : "none";
}

static void show(struct json_object *j, FILE *f)
{
	struct json_object *core = get(j, "core"), *cst = get(core, "state");
	struct json_object *hosts = get(j, "hosts"), *dec = get(j, "decisions");
	struct json_object *boxes = get(j, "mailboxes");
	char t1[16], t2[16], lim[128], sp[512];

	fprintf(f, "SLA server at %s UTC\n",
		hms(json_object_get_int64(get(j, "now_ns")), t1, sizeof(t1)));
	if (get(core, "pid"))
		fprintf(f, "sla-core pid %s gen %s: %s evaluations, throttles sent %s modified %s withdrawn %s, adopted %s%s%s\n",
			s(core, "pid"), s(core, "generation"),
			s(core, "evaluations"), s(core, "throttles_sent"),
			s(core, "throttles_modified"),
			s(core, "throttles_withdrawn"),
			s(core, "calls_adopted"),
			json_object_get_boolean(get(cst, "ok")) ? "" : "  STALE: ",
			json_object_get_boolean(get(cst, "ok")) ? "" :
			s(cst, "error"));
	else
		fprintf(f, "sla-core: %s\n", s(cst, "error"));

	fprintf(f, "%-14s %-7s %9s %9s %8s %8s  %-8s %s\n", "host", "device",
		"ceil us", "lat us", "r IOPS", "w IOPS", "state",
		"latency, last 40 windows");
	for (size_t i = 0; hosts && i < json_object_array_length(hosts); i++) {
		struct json_object *h = json_object_array_get_idx(hosts, i);
		struct json_object *st = get(h, "status"), *sla = get(h, "sla");
		struct json_object *thr = get(h, "throttles");
		const char *state = !st ? "-" :
			json_object_get_boolean(get(st, "no_data")) ? "no data" :
			json_object_get_boolean(get(st, "violated")) ? "VIOLATED" :
			"ok";

		spark(get(get(h, "series"), "lat_mean_us"), 40, sp, sizeof(sp));
		fprintf(f, "%-14s %-7s %9s %9.0f %8.0f %8.0f  %-8s %s\n",
			s(h, "host"), s(h, "device"),
			sla ? s(sla, "lat_ceiling_us") : "-",
			d(st, "lat_mean_us"), d(st, "riops"), d(st, "wiops"),
			state, sp);
		for (size_t k = 0; thr && k < json_object_array_length(thr); k++) {
			struct json_object *t = json_object_array_get_idx(thr, k);

			fprintf(f, "%14s throttled: %s since %s (call %s)\n", "",
				limit_text(get(t, "limits"), lim, sizeof(lim)),
				hms(json_object_get_int64(get(t, "since_ns")),
				    t2, sizeof(t2)),
				s(t, "call_id"));
		}
	}
	fprintf(f, "decisions (%s seen), newest first:\n",
		s(j, "decisions_total"));
	for (size_t i = 0; dec && i < json_object_array_length(dec) && i < 5;
	     i++) {
		struct json_object *x = json_object_array_get_idx(dec, i);

		fprintf(f, "  %s %-12s %-10s %-22s %s\n",
			hms(json_object_get_int64(get(x, "ts_ns")), t1,
			    sizeof(t1)),
			s(x, "host"), s(x, "action"),
			limit_text(get(x, "new"), lim, sizeof(lim)),
			s(x, "reason"));
	}
	fprintf(f, "%-8s %5s %8s %8s %8s %6s %6s %5s %5s  %s\n", "mailbox",
		"sess", "submit", "taken", "done", "cancel", "redeliv",
		"pend", "taken", "slots");
	for (size_t i = 0; boxes && i < json_object_array_length(boxes); i++) {
		struct json_object *b = json_object_array_get_idx(boxes, i);
		struct json_object *st = get(b, "stats");

		if (!json_object_get_boolean(get(b, "open"))) {
			fprintf(f, "%-8s closed: %s\n", s(b, "name"),
				s(b, "error"));
			continue;
		}
		fprintf(f, "%-8s %5s %8s %8s %8s %6s %6s %5s %5s  %.64s\n",
			s(b, "name"), s(st, "sessions"), s(st, "submitted"),
			s(st, "taken"), s(st, "completed"), s(st, "cancelled"),
			s(st, "redelivered"), s(st, "pending"),
			s(st, "taken_now"), s(b, "slots"));
	}
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	const char *base = "http://127.0.0.1:8080";
	long interval = 1000, frames = 0;
	char url[1024];
	bool tty = isatty(STDOUT_FILENO);
	CURL *curl;
	int opt;

	while ((opt = getopt(argc, argv, "u:i:n:h")) != -1) {
		switch (opt) {
		case 'u':
			base = optarg;
			break;
		case 'i':
			interval = strtol(optarg, NULL, 10);
			break;
		case 'n':
			frames = strtol(optarg, NULL, 10);
			break;
		default:
			fprintf(stderr, "usage: sla-top [-u URL] [-i MS] [-n FRAMES]\n"
				"  the view of sla-appserver at URL (default %s),\n"
				"  every MS ms (default 1000), FRAMES times (0: until killed)\n",
				base);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (interval < 100)
		interval = 100;
	snprintf(url, sizeof(url), "%s/api/v1/state", base);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	curl = curl_easy_init();
	if (!curl)
		return 1;
	for (long n = 0; !stop && (!frames || n < frames); n++) {
		struct buf b = { NULL, 0 };
		long code = 0;
		CURLcode rc;

		curl_easy_setopt(curl, CURLOPT_URL, url);
		curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
		curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
		curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
		curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
		curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
		rc = curl_easy_perform(curl);
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
		if (tty)
			fputs("\033[H\033[2J", stdout);
		else if (n)
			fputs("----\n", stdout);
		if (rc != CURLE_OK || code != 200) {
			printf("sla-top: %s: %s\n", url, rc != CURLE_OK ?
			       curl_easy_strerror(rc) : "not HTTP 200");
		} else {
			struct json_object *j = json_tokener_parse(b.p);

			if (j)
				show(j, stdout);
			else
				printf("sla-top: %s: not JSON\n", url);
			json_object_put(j);
		}
		fflush(stdout);
		free(b.p);
		if (!frames || n + 1 < frames)
			usleep(interval * 1000);
	}
	curl_easy_cleanup(curl);
	curl_global_cleanup();
	return 0;
}
