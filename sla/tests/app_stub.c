// SPDX-License-Identifier: GPL-2.0
/*
 * sla-app-stub: a stand-in for sla-core and sla-dbm, so that the
 * application server's REST API and page are tested on their own.  It
 * creates "sla-app", "sla-db" and "sla-mon" and serves the calls the
 * application server makes:
 *
 *   sla-app  SLA_APP_SLA_LIST (at most -l entries per answer, so that
 *            the server's paging is used), SLA_APP_SLA_PUT (CREATE and
 *            REPLACE; a host named stub/refused gets -EINVAL, a host
 *            under stub/slow is answered after -s seconds, and after
 *            stub/pause the stub takes no call of sla-app for -p
 *            seconds), SLA_APP_SLA_
 *            DELETE, SLA_APP_THROTTLES (a host with cap_iops is throttled
 *            to it), SLA_APP_STATUS (every host with an SLA, on 252:0)
 *   sla-db   SLA_DB_SERIES (made-up values, a function of the window's
 *            end time only, so that two answers agree on a window), SLA_DB_
 *            DECISIONS (one decision per SLA put or deleted), SLA_DB_PING
 *
 *   sla-app-stub [-l PER_ANSWER] [-s SLOW_S] [-p PAUSE_S] [-t SECONDS]
 *
 * It exits after -t seconds (default 600) or on SIGTERM, destroying the
 * three mailboxes.
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mailbox.h>

#include "../proto.h"

#define MAX_SLAS	64
#define MAX_DEC		512
#define MAX_HELD	64
#define STUB_DEV	"252:0"

static struct sla_sla slas[MAX_SLAS];
static int nslas;
static struct sla_decision dec[MAX_DEC];
static int ndec;
static unsigned int per_answer = 1000;
static int slow_s = 15, pause_s = 5;
static int64_t paused_until;
static volatile sig_atomic_t stop;
static int64_t started_ns;

/* calls held to be answered late (stub/slow) */
static struct held {
	struct mbx_call call;
	int64_t when;
	uint32_t len;
	int status;
} held[MAX_HELD];

static int64_t ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* The made-up measurement of host at time t (ns, realtime). */
static void measure(const char *host, int64_t t, struct sla_window *w)
{
	double s = (double)t / 1e9, k = 0;

	for (const char *p = host; *p; p++)
		k += *p;
	k = fmod(k, 7.0);
	memset(w, 0, sizeof(*w));
	w->count = 1;
	w->first_ts_ns = w->last_ts_ns = t;
	w->lat_mean_us = 4000 + 1000 * k + 2500 * sin(s / 9.0 + k);
	w->lat_p50_us = w->lat_mean_us * 0.9;
	w->lat_p99_us = w->lat_mean_us * 2.5;
	w->lat_max_us = w->lat_mean_us * 4;
	w->riops = 800 + 100 * k + 400 * cos(s / 13.0 + k);
	w->wiops = 50 + 10 * k;
	w->rbps = w->riops * 4096;
	w->wbps = w->wiops * 4096;
}

static struct sla_sla *find(const char *host)
{
	for (int i = 0; i < nslas; i++)
		if (!strcmp(slas[i].host, host))
			return &slas[i];
	return NULL;
}

static void decide(const char *host, const char *action, const char *reason)
{
	struct sla_decision *d;

	if (ndec == MAX_DEC) {
		memmove(dec, dec + 1, sizeof(dec) - sizeof(dec[0]));
		ndec--;
	}
	d = &dec[ndec++];
	memset(d, 0, sizeof(*d));
	d->ts_ns = ns(CLOCK_REALTIME);
	sla_strset(d->host, sizeof(d->host), host);
	sla_strset(d->device, sizeof(d->device), STUB_DEV);
	sla_strset(d->action, sizeof(d->action), action);
	memset(&d->old_limits, 0xff, sizeof(d->old_limits));
	memset(&d->new_limits, 0xff, sizeof(d->new_limits));
	sla_strset(d->reason, sizeof(d->reason), reason);
}

/* Serve one call: the reply in plane, its length in *len; the status. */
static int serve_app(const struct mbx_call *c, const void *in, void *plane,
		     uint32_t *len, bool *hold)
{
	struct sla_rep *rep = plane;
	const struct sla_req *req = in;
	unsigned char *out = (unsigned char *)(rep + 1);

	memset(rep, 0, sizeof(*rep));
	rep->version = SLA_PROTO_VERSION;
	*len = sizeof(*rep);
	if (c->len < sizeof(*req) || req->version != SLA_PROTO_VERSION) {
		snprintf(rep->msg, sizeof(rep->msg), "bad request head");
		return -EPROTO;
	}
	switch (c->opcode) {
	case SLA_APP_SLA_LIST: {
		struct sla_sla_list *l = (void *)out;
		uint32_t fit = sla_fit(SLA_APP_SLOT_SIZE, sizeof(*rep) +
				       sizeof(*l), sizeof(l->s[0]));
		uint64_t i = req->cursor;

		if (fit > per_answer)
			fit = per_answer;
		l->count = 0;
		for (; i < (uint64_t)nslas && l->count < fit; i++)
			l->s[l->count++] = slas[i];
		if (i < (uint64_t)nslas) {
			rep->flags = SLA_REP_MORE;
			rep->next_cursor = i;
		}
		*len += sizeof(*l) + l->count * sizeof(l->s[0]);
		return 0;
	}
	case SLA_APP_SLA_PUT: {
		const struct sla_app_sla_put *p = in;
		struct sla_sla *s;

		if (c->len < sizeof(*p) || !sla_strok(p->sla.host, SLA_HOST_MAX)) {
			snprintf(rep->msg, sizeof(rep->msg), "host: not a string");
			return -EINVAL;
		}
		if (!strcmp(p->sla.host, "stub/refused")) {
			snprintf(rep->msg, sizeof(rep->msg),
				 "host: stub/refused is served by no gateway");
			return -EINVAL;
		}
		if (!strncmp(p->sla.host, "stub/slow", 9))
			*hold = true;
		if (!strcmp(p->sla.host, "stub/pause"))
			paused_until = ns(CLOCK_MONOTONIC) +
				       pause_s * 1000000000LL;
		s = find(p->sla.host);
		if (s && (p->req.flags & SLA_PUT_CREATE)) {
			snprintf(rep->msg, sizeof(rep->msg), "exists");
			return -EEXIST;
		}
		if (!s && (p->req.flags & SLA_PUT_REPLACE)) {
			snprintf(rep->msg, sizeof(rep->msg), "no such SLA");
			return -ENOENT;
		}
		if (!s) {
			if (nslas == MAX_SLAS) {
				snprintf(rep->msg, sizeof(rep->msg), "full");
				return -ENOSPC;
			}
			s = &slas[nslas++];
		}
		*s = p->sla;
		s->updated_ns = ns(CLOCK_REALTIME);
		{
			char why[SLA_REASON_MAX];

			snprintf(why, sizeof(why),
				 "SLA set: mean latency under %.0f us, priority %d",
				 s->lat_ceiling_us, s->priority);
			decide(s->host, "sla", why);
		}
		memcpy(out, s, sizeof(*s));
		*len += sizeof(*s);
		return 0;
	}
	case SLA_APP_SLA_DELETE: {
		const struct sla_db_host_req *h = in;
		struct sla_sla *s;

		if (c->len < sizeof(*h) || !sla_strok(h->host, SLA_HOST_MAX))
			return -EINVAL;
		s = find(h->host);
		if (!s)
			return -ENOENT;
		decide(s->host, "sla-delete", "SLA deleted");
		*s = slas[--nslas];
		return 0;
	}
	case SLA_APP_THROTTLES: {
		struct sla_throttle_list *l = (void *)out;

		l->count = 0;
		for (int i = 0; i < nslas; i++) {
			struct sla_throttle *t = &l->t[l->count];

			if (slas[i].cap_iops == SLA_LIMIT_MAX)
				continue;
			memset(t, 0, sizeof(*t));
			memcpy(t->host, slas[i].host, sizeof(t->host));
			sla_strset(t->device, sizeof(t->device), STUB_DEV);
			sla_strset(t->gateway, sizeof(t->gateway), "stub");
			memset(&t->limits, 0xff, sizeof(t->limits));
			t->limits.riops = slas[i].cap_iops;
			t->since_ns = slas[i].updated_ns;
			t->call_id = 0;
			l->count++;
		}
		*len += sizeof(*l) + l->count * sizeof(l->t[0]);
		return 0;
	}
	case SLA_APP_STATUS: {
		struct sla_core_status *cs = (void *)out;
		int64_t now = ns(CLOCK_REALTIME);

		memset(cs, 0, sizeof(*cs));
		cs->pid = getpid();
		cs->generation = 1;
		cs->started_ns = started_ns;
		cs->last_eval_ns = now;
		cs->evaluations = (now - started_ns) / 1000000000;
		cs->interval_ms = 1000;
		for (int i = 0; i < nslas; i++) {
			struct sla_host_status *h = &cs->h[cs->count++];
			struct sla_window w;

			measure(slas[i].host, now, &w);
			memset(h, 0, sizeof(*h));
			memcpy(h->host, slas[i].host, sizeof(h->host));
			sla_strset(h->device, sizeof(h->device), STUB_DEV);
			h->lat_mean_us = w.lat_mean_us;
			h->riops = w.riops;
			h->wiops = w.wiops;
			if (slas[i].lat_ceiling_us > 0 &&
			    w.lat_mean_us > slas[i].lat_ceiling_us) {
				h->flags |= SLA_HOST_VIOLATED;
				h->violations = 1;
				h->violated_since_ns = now;
			}
			if (slas[i].cap_iops != SLA_LIMIT_MAX)
				h->flags |= SLA_HOST_THROTTLED;
		}
		*len += sizeof(*cs) + cs->count * sizeof(cs->h[0]);
		return 0;
	}
	}
	snprintf(rep->msg, sizeof(rep->msg), "opcode %#x", c->opcode);
	return -EOPNOTSUPP;
}

static int serve_db(const struct mbx_call *c, const void *in, void *plane,
		    uint32_t *len)
{
	struct sla_rep *rep = plane;
	const struct sla_req *req = in;
	unsigned char *out = (unsigned char *)(rep + 1);

	memset(rep, 0, sizeof(*rep));
	rep->version = SLA_PROTO_VERSION;
	*len = sizeof(*rep);
	if (c->len < sizeof(*req) || req->version != SLA_PROTO_VERSION)
		return -EPROTO;
	switch (c->opcode) {
	case SLA_DB_PING: {
		struct sla_db_status *s = (void *)out;

		memset(s, 0, sizeof(*s));
		s->schema_version = 2;
		sla_strset(s->engine, sizeof(s->engine), "stub");
		*len += sizeof(*s);
		return 0;
	}
	case SLA_DB_SERIES: {
		const struct sla_db_series_req *r = in;
		struct sla_db_series *l = (void *)out;
		int64_t now = ns(CLOCK_REALTIME);

		if (c->len < sizeof(*r) || !sla_strok(r->host, SLA_HOST_MAX) ||
		    r->points > SLA_SERIES_MAX || r->step_ns <= 0 ||
		    sizeof(*rep) + sizeof(*l) + r->points * sizeof(l->w[0]) >
		    SLA_DB_SLOT_SIZE) {
			snprintf(rep->msg, sizeof(rep->msg), "bad series");
			return -EINVAL;
		}
		l->count = r->points;
		for (uint32_t i = 0; i < r->points; i++) {
			int64_t end = r->from_ns + (int64_t)(i + 1) * r->step_ns;

			/* a window is measured once it is over */
			if (end > now || end < started_ns)
				memset(&l->w[i], 0, sizeof(l->w[i]));
			else
				measure(r->host, end, &l->w[i]);
		}
		*len += sizeof(*l) + l->count * sizeof(l->w[0]);
		return 0;
	}
	case SLA_DB_DECISIONS: {
		const struct sla_db_decisions_req *r = in;
		struct sla_db_decisions *l = (void *)out;
		uint32_t fit = sla_fit(SLA_DB_SLOT_SIZE, sizeof(*rep) +
				       sizeof(*l), sizeof(l->d[0]));
		uint64_t skip;
		int i;

		if (c->len < sizeof(*r))
			return -EINVAL;
		skip = r->req.cursor;
		l->count = 0;
		for (i = 0; i < ndec; i++) {
			if (dec[i].ts_ns <= r->since_ns)
				continue;
			if (skip) {
				skip--;
				continue;
			}
			if (l->count == fit) {
				rep->flags = SLA_REP_MORE;
				rep->next_cursor = r->req.cursor + l->count;
				break;
			}
			l->d[l->count++] = dec[i];
		}
		*len += sizeof(*l) + l->count * sizeof(l->d[0]);
		return 0;
	}
	}
	return -EOPNOTSUPP;
}

static void serve(struct mailbox *mb, bool app)
{
	struct mbx_call c;
	int err = -EAGAIN;

	while (!(app && ns(CLOCK_MONOTONIC) < paused_until) &&
	       !(err = mailbox_take(mb, MBX_WAIT_NONBLOCK, 0, &c))) {
		void *plane = mailbox_reply_plane(mb, c.slot);
		uint32_t len = 0;
		bool hold = false;
		int st;

		st = app ? serve_app(&c, mailbox_call_plane(mb, c.slot), plane,
				     &len, &hold) :
			   serve_db(&c, mailbox_call_plane(mb, c.slot), plane,
				    &len);
		if (hold) {
			int i;

			for (i = 0; i < MAX_HELD && held[i].when; i++)
				;
			if (i < MAX_HELD) {
				/* answered later: the call stays TAKEN */
				held[i] = (struct held){ c,
					ns(CLOCK_MONOTONIC) +
					slow_s * 1000000000LL, len, st };
				continue;
			}
		}
		err = mailbox_complete(mb, &c, st, len);
		if (err && err != -ECANCELED)
			fprintf(stderr, "sla-app-stub: complete: %s\n",
				strerror(-err));
	}
	if (err && err != -EAGAIN)
		fprintf(stderr, "sla-app-stub: take: %s\n", strerror(-err));
}

static int make_box(struct mailbox *mb, const char *name, uint32_t nslots,
		    uint32_t size)
{
	int err;

	mailbox_destroy(name);
	err = mailbox_create(mb, name, nslots, size, 0666, SLA_RECLAIM_NS,
			     MBX_CREATE_CLOEXEC);
	if (err)
		fprintf(stderr, "sla-app-stub: create %s: %s\n", name,
			strerror(-err));
	return err;
}

int main(int argc, char **argv)
{
	struct mailbox app, db, mon;
	int opt, secs = 600;
	int64_t end;

	while ((opt = getopt(argc, argv, "l:s:p:t:")) != -1) {
		switch (opt) {
		case 'l':
			per_answer = atoi(optarg);
			break;
		case 's':
			slow_s = atoi(optarg);
			break;
		case 'p':
			pause_s = atoi(optarg);
			break;
		case 't':
			secs = atoi(optarg);
			break;
		default:
			fprintf(stderr,
				"usage: sla-app-stub [-l PER_ANSWER] [-s SLOW_S] [-p PAUSE_S] [-t SECONDS]\n");
			return 2;
		}
	}
	if (!per_answer)
		per_answer = 1;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	started_ns = ns(CLOCK_REALTIME);
	if (make_box(&app, SLA_MB_APP, SLA_APP_NSLOTS, SLA_APP_SLOT_SIZE) ||
	    make_box(&db, SLA_MB_DB, SLA_DB_NSLOTS, SLA_DB_SLOT_SIZE) ||
	    make_box(&mon, SLA_MB_MON, SLA_MON_NSLOTS, SLA_MON_SLOT_SIZE))
		return 1;
	fprintf(stderr, "sla-app-stub: serving %s and %s (pid %d)\n",
		SLA_MB_APP, SLA_MB_DB, getpid());
	end = ns(CLOCK_MONOTONIC) + secs * 1000000000LL;
	while (!stop && ns(CLOCK_MONOTONIC) < end) {
		struct pollfd p[2] = {
			{ .fd = mailbox_fd(&app),
			  .events = ns(CLOCK_MONOTONIC) < paused_until ? 0 :
				    MAILBOX_READY_CALL },
			{ .fd = mailbox_fd(&db), .events = MAILBOX_READY_CALL },
		};
		int64_t now;

		poll(p, 2, 100);
		serve(&app, true);
		serve(&db, false);
		now = ns(CLOCK_MONOTONIC);
		for (int i = 0; i < MAX_HELD; i++)
			if (held[i].when && held[i].when <= now) {
				mailbox_complete(&app, &held[i].call,
						 held[i].status, held[i].len);
				held[i].when = 0;
			}
	}
	mailbox_close(&app);
	mailbox_close(&db);
	mailbox_close(&mon);
	mailbox_destroy(SLA_MB_APP);
	mailbox_destroy(SLA_MB_DB);
	mailbox_destroy(SLA_MB_MON);
	return 0;
}
