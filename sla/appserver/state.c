// SPDX-License-Identifier: GPL-2.0
/*
 * state: the page's data, refreshed by two-step calls; see state.h.
 *
 *   sla-app  SLA_APP_STATUS, SLA_APP_THROTTLES, SLA_APP_SLA_LIST (sla-core)
 *   sla-db   SLA_DB_DECISIONS since the last one seen, SLA_DB_SERIES per
 *            host and device that sla-core evaluates (sla-dbm)
 *   all 3    mailbox_info(), mailbox_stats(), mailbox_slot_info(): read
 *            when the JSON is made, they never wait
 *
 * Each kind of call has at most one in flight; one that is still out when
 * its turn comes again is not asked twice.
 */
#include "state.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../proto.h"
#include "log.h"
#include "slajson.h"

#define MAX_SLAS	256
#define MAX_DECISIONS	200
#define MAX_SERIES	16
#define STUCK_NS	(5LL * 1000000000)

uint64_t http_requests, http_errors;

/* One kind of answer: when it came, what went wrong last. */
struct part {
	const char *what;
	int64_t got_ns;			/* CLOCK_MONOTONIC of the last answer */
	int64_t asked_ns;
	bool inflight;
	char err[SLA_MSG_MAX + 64];
};

struct series {
	char host[SLA_HOST_MAX];
	char device[SLA_DEV_MAX];
	struct part part;
	int64_t from_ns, step_ns;	/* of the windows in w[] */
	int64_t ask_from_ns, ask_step_ns;	/* of the call in flight */
	uint32_t count;
	struct sla_window w[SLA_SERIES_MAX];
};

static struct {
	struct box *boxes;
	struct state_opts o;

	struct part status_part;
	unsigned char status[SLA_APP_SLOT_SIZE];
	uint32_t status_len;

	struct part throttles_part;
	unsigned char throttles[SLA_APP_SLOT_SIZE];
	uint32_t throttles_len;

	struct part slas_part;
	struct sla_sla slas[MAX_SLAS], slas_next[MAX_SLAS];
	uint32_t nslas, nslas_next;

	struct part decisions_part;
	struct sla_decision dec[MAX_DECISIONS];	/* a ring, oldest at dec_head */
	uint32_t ndec, dec_head;
	int64_t dec_since_ns;
	uint64_t dec_cursor;
	uint64_t dec_total;

	struct series series[MAX_SERIES];
	uint32_t nseries;
} st;

static void part_init(struct part *p, const char *what)
{
	memset(p, 0, sizeof(*p));
	p->what = what;
}

static void part_err(struct part *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void part_err(struct part *p, const char *fmt, ...)
{
	char buf[sizeof(p->err)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (strcmp(buf, p->err))
		app_log("%s: %s", p->what, buf);
	memcpy(p->err, buf, sizeof(buf));
}

static void part_ok(struct part *p)
{
	if (p->err[0])
		app_log("%s: answering again", p->what);
	p->err[0] = '\0';
	p->got_ns = mono_ns();
}

/*
 * The head of an answer: 0 and *rep when it is a good one; otherwise the
 * part's error is set and -1 returned.
 */
static int answer(struct part *p, int status, const void *reply,
		  uint32_t len, const struct sla_rep **rep)
{
	const struct sla_rep *r = reply;

	p->inflight = false;
	if (status == -ETIMEDOUT || (status == -ECANCELED && !reply)) {
		part_err(p, "no answer in %lld ms",
			 (long long)(st.o.call_timeout_ns / 1000000));
		return -1;
	}
	if (status == -ECANCELED) {
		part_err(p, "no answer in %lld ms (withdrawn)",
			 (long long)(st.o.call_timeout_ns / 1000000));
		return -1;
	}
	if (!reply || len < sizeof(*r)) {
		part_err(p, "%s", status ? strerror(-status) :
			 "an answer shorter than its head");
		return -1;
	}
	if (r->version != SLA_PROTO_VERSION) {
		part_err(p, "an answer of protocol version %u", r->version);
		return -1;
	}
	if (status) {
		part_err(p, "%s: %.*s", strerror(-status), SLA_MSG_MAX,
			 r->msg);
		return -1;
	}
	*rep = r;
	return 0;
}

/* ---- sla-core ---- */

static void status_done(struct call *c, int status, const void *reply,
			uint32_t len)
{
	const struct sla_rep *rep;
	const struct sla_core_status *cs;

	(void)c;
	if (answer(&st.status_part, status, reply, len, &rep))
		return;
	cs = (const void *)(rep + 1);
	if (len < sizeof(*rep) + sizeof(*cs) ||
	    len < sizeof(*rep) + sizeof(*cs) + (uint64_t)cs->count * sizeof(cs->h[0])) {
		part_err(&st.status_part, "a status answer cut short (%u bytes)",
			 len);
		return;
	}
	memcpy(st.status, reply, len);
	st.status_len = len;
	part_ok(&st.status_part);
}

static void throttles_done(struct call *c, int status, const void *reply,
			   uint32_t len)
{
	const struct sla_rep *rep;
	const struct sla_throttle_list *tl;

	(void)c;
	if (answer(&st.throttles_part, status, reply, len, &rep))
		return;
	tl = (const void *)(rep + 1);
	if (len < sizeof(*rep) + sizeof(*tl) ||
	    len < sizeof(*rep) + sizeof(*tl) + (uint64_t)tl->count * sizeof(tl->t[0])) {
		part_err(&st.throttles_part,
			 "a throttle list cut short (%u bytes)", len);
		return;
	}
	memcpy(st.throttles, reply, len);
	st.throttles_len = len;
	part_ok(&st.throttles_part);
}

static int ask_slas(uint64_t cursor);

static void slas_done(struct call *c, int status, const void *reply,
		      uint32_t len)
{
	const struct sla_rep *rep;
	const struct sla_sla_list *l;

	(void)c;
	if (answer(&st.slas_part, status, reply, len, &rep))
		return;
	l = (const void *)(rep + 1);
	if (len < sizeof(*rep) + sizeof(*l) ||
	    len < sizeof(*rep) + sizeof(*l) + (uint64_t)l->count * sizeof(l->s[0])) {
		part_err(&st.slas_part, "an SLA list cut short (%u bytes)", len);
		return;
	}
	for (uint32_t i = 0; i < l->count && st.nslas_next < MAX_SLAS; i++)
		st.slas_next[st.nslas_next++] = l->s[i];
	if ((rep->flags & SLA_REP_MORE) && st.nslas_next < MAX_SLAS) {
		if (!ask_slas(rep->next_cursor))
			return;
		part_err(&st.slas_part, "cannot ask for the rest of the list");
		return;
	}
	memcpy(st.slas, st.slas_next, st.nslas_next * sizeof(st.slas[0]));
	st.nslas = st.nslas_next;
	part_ok(&st.slas_part);
}

static int ask(struct part *p, int box, uint32_t opcode, const void *req,
	       uint32_t len, call_done_fn done)
{
	int err;

	err = call_start(&st.boxes[box], opcode, 0, req, len,
			 st.o.call_timeout_ns, done, NULL, NULL);
	p->asked_ns = mono_ns();
	if (err) {
		if (err != -EAGAIN)
			part_err(p, "%s: %s", st.boxes[box].name,
				 strerror(-err));
		return err;
	}
	p->inflight = true;
	return 0;
}

static int ask_slas(uint64_t cursor)
{
	struct sla_req r;

	sla_req_init(&r, 0);
	r.cursor = cursor;
	if (!cursor)
		st.nslas_next = 0;
	return ask(&st.slas_part, BOX_APP, SLA_APP_SLA_LIST, &r, sizeof(r),
		   slas_done);
}

/* ---- sla-dbm ---- */

static int ask_decisions(void);

static void decisions_done(struct call *c, int status, const void *reply,
			   uint32_t len)
{
	const struct sla_rep *rep;
	const struct sla_db_decisions *l;

	(void)c;
	if (answer(&st.decisions_part, status, reply, len, &rep))
		return;
	l = (const void *)(rep + 1);
	if (len < sizeof(*rep) + sizeof(*l) ||
	    len < sizeof(*rep) + sizeof(*l) + (uint64_t)l->count * sizeof(l->d[0])) {
		part_err(&st.decisions_part,
			 "a decision list cut short (%u bytes)", len);
		return;
	}
	for (uint32_t i = 0; i < l->count; i++) {
		uint32_t at = (st.dec_head + st.ndec) % MAX_DECISIONS;

		st.dec[at] = l->d[i];
		if (st.ndec < MAX_DECISIONS)
			st.ndec++;
		else
			st.dec_head = (st.dec_head + 1) % MAX_DECISIONS;
		st.dec_total++;
	}
	if (rep->flags & SLA_REP_MORE) {
		st.dec_cursor = rep->next_cursor;
		if (!ask_decisions())
			return;
	} else if (st.ndec) {
		/* from now on: what came after the newest one */
		st.dec_since_ns = st.dec[(st.dec_head + st.ndec - 1) %
					 MAX_DECISIONS].ts_ns;
		st.dec_cursor = 0;
	}
	part_ok(&st.decisions_part);
}

static int ask_decisions(void)
{
	struct sla_db_decisions_req r = { 0 };

	sla_req_init(&r.req, 0);
	r.req.cursor = st.dec_cursor;
	if (!st.dec_since_ns)
		st.dec_since_ns = real_ns() - st.o.history_ns;
	r.since_ns = st.dec_since_ns;
	return ask(&st.decisions_part, BOX_DB, SLA_DB_DECISIONS, &r,
		   sizeof(r), decisions_done);
}

static void series_done(struct call *c, int status, const void *reply,
			uint32_t len)
{
	struct series *s = c->ctx;
	const struct sla_rep *rep;
	const struct sla_db_series *l;

	if (answer(&s->part, status, reply, len, &rep))
		return;
	l = (const void *)(rep + 1);
	if (len < sizeof(*rep) + sizeof(*l) || l->count > SLA_SERIES_MAX ||
	    len < sizeof(*rep) + sizeof(*l) + (uint64_t)l->count * sizeof(l->w[0])) {
		part_err(&s->part, "a series cut short (%u bytes)", len);
		return;
	}
	memcpy(s->w, l->w, l->count * sizeof(l->w[0]));
	s->count = l->count;
	s->from_ns = s->ask_from_ns;
	s->step_ns = s->ask_step_ns;
	part_ok(&s->part);
}

static void ask_series(struct series *s, int64_t now_real)
{
	struct sla_db_series_req r = { 0 };
	int64_t step = st.o.history_ns / st.o.points;
	struct call *c;
	int err;

	sla_req_init(&r.req, 0);
	memcpy(r.host, s->host, sizeof(r.host));
	memcpy(r.device, s->device, sizeof(r.device));
	/*
	 * Windows on multiples of step: a window that is over reads the same
	 * in every answer, so the page and a test can compare them.  The
	 * last one ends at the next multiple: it is still filling.
	 */
	r.step_ns = step;
	r.points = st.o.points;
	r.from_ns = (now_real / step + 1) * step - (int64_t)r.points * step;
	err = call_start(&st.boxes[BOX_DB], SLA_DB_SERIES, 0, &r, sizeof(r),
			 st.o.call_timeout_ns, series_done, s, &c);
	s->part.asked_ns = mono_ns();
	if (err) {
		if (err != -EAGAIN)
			part_err(&s->part, "sla-db: %s", strerror(-err));
		return;
	}
	s->part.inflight = true;
	/* what the answer's windows will be */
	s->ask_from_ns = r.from_ns;
	s->ask_step_ns = r.step_ns;
}

/* The (host, device) pairs sla-core evaluates get a series each. */
static void track_series(void)
{
	const struct sla_core_status *cs;

	if (!st.status_len)
		return;
	cs = (const void *)(st.status + sizeof(struct sla_rep));
	for (uint32_t i = 0; i < cs->count; i++) {
		const struct sla_host_status *h = &cs->h[i];
		uint32_t j;

		if (!sla_strok(h->host, sizeof(h->host)) ||
		    !sla_strok(h->device, sizeof(h->device)) || !h->device[0])
			continue;
		for (j = 0; j < st.nseries; j++)
			if (!strcmp(st.series[j].host, h->host) &&
			    !strcmp(st.series[j].device, h->device))
				break;
		if (j < st.nseries || st.nseries == MAX_SERIES)
			continue;
		memset(&st.series[j], 0, sizeof(st.series[j]));
		memcpy(st.series[j].host, h->host, sizeof(h->host));
		memcpy(st.series[j].device, h->device, sizeof(h->device));
		part_init(&st.series[j].part, "series");
		st.nseries++;
	}
}

static bool due(const struct part *p, int64_t now)
{
	return !p->inflight && now - p->asked_ns >= st.o.refresh_ns;
}

void state_init(struct box *boxes, const struct state_opts *o)
{
	memset(&st, 0, sizeof(st));
	st.boxes = boxes;
	st.o = *o;
	part_init(&st.status_part, "sla-core status");
	part_init(&st.throttles_part, "sla-core throttles");
	part_init(&st.slas_part, "sla-core SLAs");
	part_init(&st.decisions_part, "sla-dbm decisions");
}

int64_t state_tick(int64_t now)
{
	struct sla_req r;

	sla_req_init(&r, 0);
	if (!st.boxes[BOX_APP].open) {
		const char *e = strerror(-st.boxes[BOX_APP].open_err);

		part_err(&st.status_part, "mailbox %s: %s", SLA_MB_APP, e);
		part_err(&st.throttles_part, "mailbox %s: %s", SLA_MB_APP, e);
		part_err(&st.slas_part, "mailbox %s: %s", SLA_MB_APP, e);
	}
	if (!st.boxes[BOX_DB].open)
		part_err(&st.decisions_part, "mailbox %s: %s", SLA_MB_DB,
			 strerror(-st.boxes[BOX_DB].open_err));
	if (st.boxes[BOX_APP].open) {
		if (due(&st.status_part, now))
			ask(&st.status_part, BOX_APP, SLA_APP_STATUS, &r,
			    sizeof(r), status_done);
		if (due(&st.throttles_part, now))
			ask(&st.throttles_part, BOX_APP, SLA_APP_THROTTLES, &r,
			    sizeof(r), throttles_done);
		if (due(&st.slas_part, now))
			ask_slas(0);
	}
	if (st.boxes[BOX_DB].open) {
		int64_t real = real_ns();

		if (due(&st.decisions_part, now))
			ask_decisions();
		track_series();
		for (uint32_t i = 0; i < st.nseries; i++)
			if (due(&st.series[i].part, now))
				ask_series(&st.series[i], real);
	}
	return now + st.o.refresh_ns / 4;
}

/* ---- JSON ---- */

static struct json_object *jstr(const char *s, size_t size)
{
	return json_object_new_string_len(s, strnlen(s, size));
}

#define JSTR(field) jstr(field, sizeof(field))

static void add(struct json_object *o, const char *k, struct json_object *v)
{
	json_object_object_add(o, k, v);
}

static struct json_object *part_json(const struct part *p, int64_t now)
{
	struct json_object *o = json_object_new_object();

	add(o, "ok", json_object_new_boolean(p->got_ns && !p->err[0]));
	add(o, "age_ms", p->got_ns ?
	    json_object_new_int64((now - p->got_ns) / 1000000) : NULL);
	add(o, "error", p->err[0] ? json_object_new_string(p->err) : NULL);
	return o;
}

static struct json_object *limits_json(const struct sla_limits *l)
{
	struct json_object *o = json_object_new_object();

	add(o, "riops", sla_limit_json(l->riops));
	add(o, "wiops", sla_limit_json(l->wiops));
	add(o, "rbps", sla_limit_json(l->rbps));
	add(o, "wbps", sla_limit_json(l->wbps));
	return o;
}

static struct json_object *throttle_json(const struct sla_throttle *t)
{
	struct json_object *o = json_object_new_object();

	add(o, "host", JSTR(t->host));
	add(o, "device", JSTR(t->device));
	add(o, "gateway", JSTR(t->gateway));
	add(o, "limits", limits_json(&t->limits));
	add(o, "since_ns", json_object_new_int64(t->since_ns));
	add(o, "call_id", json_object_new_uint64(t->call_id));
	return o;
}

static struct json_object *decision_json(const struct sla_decision *d)
{
	struct json_object *o = json_object_new_object();

	add(o, "ts_ns", json_object_new_int64(d->ts_ns));
	add(o, "host", JSTR(d->host));
	add(o, "device", JSTR(d->device));
	add(o, "action", JSTR(d->action));
	add(o, "old", limits_json(&d->old_limits));
	add(o, "new", limits_json(&d->new_limits));
	add(o, "reason", JSTR(d->reason));
	add(o, "call_id", json_object_new_uint64(d->call_id));
	return o;
}

static const struct sla_sla *find_sla(const char *host)
{
	for (uint32_t i = 0; i < st.nslas; i++)
		if (!strncmp(st.slas[i].host, host, SLA_HOST_MAX))
			return &st.slas[i];
	return NULL;
}

static const struct series *find_series(const char *host, const char *dev)
{
	for (uint32_t i = 0; i < st.nseries; i++)
		if (!strcmp(st.series[i].host, host) &&
		    (!dev || !strcmp(st.series[i].device, dev)))
			return &st.series[i];
	return NULL;
}

static struct json_object *num_or_null(bool have, double x)
{
	return have ? json_object_new_double(x) : NULL;
}

static struct json_object *series_json(const struct series *s, int64_t now)
{
	struct json_object *o = json_object_new_object();
	static const char *const cols[] = {
		"lat_mean_us", "lat_p99_us", "riops", "wiops", "rbps", "wbps",
	};
	struct json_object *arr[6], *end = json_object_new_array();
	struct json_object *count = json_object_new_array();

	add(o, "host", json_object_new_string(s->host));
	add(o, "device", json_object_new_string(s->device));
	add(o, "state", part_json(&s->part, now));
	add(o, "from_ns", json_object_new_int64(s->from_ns));
	add(o, "step_ns", json_object_new_int64(s->step_ns));
	for (int k = 0; k < 6; k++)
		arr[k] = json_object_new_array();
	for (uint32_t i = 0; i < s->count; i++) {
		const struct sla_window *w = &s->w[i];
		bool have = w->count > 0;
		double v[6] = { w->lat_mean_us, w->lat_p99_us, w->riops,
				w->wiops, w->rbps, w->wbps };

		json_object_array_add(end, json_object_new_int64(
			s->from_ns + (int64_t)(i + 1) * s->step_ns));
		json_object_array_add(count, json_object_new_uint64(w->count));
		for (int k = 0; k < 6; k++)
			json_object_array_add(arr[k], num_or_null(have, v[k]));
	}
	add(o, "end_ns", end);
	add(o, "count", count);
	for (int k = 0; k < 6; k++)
		add(o, cols[k], arr[k]);
	return o;
}

struct json_object *state_series_json(const char *host, const char *device)
{
	const struct series *s = find_series(host, device);

	return s ? series_json(s, mono_ns()) : NULL;
}

static const char state_letter[] = "FOPETR";

static struct json_object *box_json(struct box *b, int64_t now)
{
	struct json_object *o = json_object_new_object(), *me, *stuck;
	struct mbx_stats_args sa;
	struct mbx_info_args ia;
	struct mbx_slot_info si[64];
	char slots[1024];
	uint32_t n = 0;
	int err;

	add(o, "name", json_object_new_string(b->name));
	add(o, "open", json_object_new_boolean(b->open));
	add(o, "error", b->open_err ? json_object_new_string(
		strerror(-b->open_err)) : NULL);
	add(o, "access", json_object_new_string(
		b->access & MBX_ACCESS_WRITE ? "read-write" : "read"));
	me = json_object_new_object();
	add(me, "submitted", json_object_new_uint64(b->submitted));
	add(me, "replied", json_object_new_uint64(b->replied));
	add(me, "failed", json_object_new_uint64(b->failed));
	add(me, "cancelled", json_object_new_uint64(b->cancelled));
	add(me, "withdrawn", json_object_new_uint64(b->withdrawn));
	add(me, "timed_out", json_object_new_uint64(b->timed_out));
	add(me, "dropped", json_object_new_uint64(b->dropped));
	add(me, "busy", json_object_new_uint64(b->busy));
	add(me, "callee_died", json_object_new_uint64(b->callee_died));
	add(me, "inflight", json_object_new_uint64(b->ninflight));
	add(me, "lat_mean_us", json_object_new_double(b->replied ?
		(double)b->lat_sum_ns / b->replied / 1000.0 : 0));
	add(me, "lat_max_us", json_object_new_double(b->lat_max_ns / 1000.0));
	add(o, "appserver", me);
	if (!b->open)
		return o;

	err = mailbox_info(&b->mb, &ia);
	if (!err) {
		add(o, "box_id", json_object_new_uint64(ia.out_box_id));
		add(o, "nslots", json_object_new_uint64(ia.out_nslots));
		add(o, "slot_size", json_object_new_uint64(ia.out_slot_size));
		add(o, "mode", json_object_new_uint64(ia.out_mode));
		add(o, "reclaim_ns", json_object_new_uint64(ia.out_reclaim_ns));
	}
	err = mailbox_stats(&b->mb, &sa);
	if (!err) {
		struct json_object *s = json_object_new_object();

		add(s, "submitted", json_object_new_uint64(sa.out_submitted));
		add(s, "taken", json_object_new_uint64(sa.out_taken));
		add(s, "completed", json_object_new_uint64(sa.out_completed));
		add(s, "cancelled", json_object_new_uint64(sa.out_cancelled));
		add(s, "redelivered", json_object_new_uint64(sa.out_redelivered));
		add(s, "owner_died", json_object_new_uint64(sa.out_owner_died));
		add(s, "reclaimed", json_object_new_uint64(sa.out_reclaimed));
		add(s, "max_wait_ns", json_object_new_uint64(sa.out_max_wait_ns));
		add(s, "oldest_pending_ns",
		    json_object_new_uint64(sa.out_oldest_pending_ns));
		add(s, "free", json_object_new_uint64(sa.out_free));
		add(s, "owned", json_object_new_uint64(sa.out_owned));
		add(s, "pending", json_object_new_uint64(sa.out_pending));
		add(s, "taken_now", json_object_new_uint64(sa.out_taken_now));
		add(s, "replied", json_object_new_uint64(sa.out_replied));
		add(s, "sessions", json_object_new_uint64(sa.out_sessions));
		add(o, "stats", s);
	} else {
		add(o, "stats_error", json_object_new_string(strerror(-err)));
	}

	/* every slot's state, one letter each; calls held too long */
	stuck = json_object_new_array();
	for (uint32_t first = 0; first < b->mb.nslots &&
	     n < sizeof(slots) - 1; first += 64) {
		int got = mailbox_slot_info(&b->mb, first, 64, si);

		if (got <= 0)
			break;
		for (int i = 0; i < got && n < sizeof(slots) - 1; i++) {
			const struct mbx_slot_info *x = &si[i];
			int64_t since = x->state == MBX_STATE_PENDING ?
					(int64_t)x->submit_ns :
					x->state == MBX_STATE_TAKEN ?
					(int64_t)x->take_ns : 0;

			slots[n++] = x->state < sizeof(state_letter) - 1 ?
				     state_letter[x->state] : '?';
			if (since && now - since > STUCK_NS) {
				struct json_object *j = json_object_new_object();

				add(j, "slot", json_object_new_uint64(x->slot));
				add(j, "state", json_object_new_string(
				    x->state == MBX_STATE_PENDING ? "pending" :
				    "taken"));
				add(j, "age_ms", json_object_new_int64(
				    (now - since) / 1000000));
				add(j, "call_id", json_object_new_uint64(x->call_id));
				add(j, "opcode", json_object_new_uint64(x->opcode));
				add(j, "delivery", json_object_new_uint64(x->delivery));
				add(j, "caller_pid", json_object_new_uint64(x->caller_pid));
				add(j, "callee_pid", json_object_new_uint64(x->callee_pid));
				json_object_array_add(stuck, j);
			}
		}
	}
	add(o, "slots", json_object_new_string_len(slots, n));
	add(o, "stuck", stuck);
	return o;
}

struct json_object *state_mailboxes_json(void)
{
	struct json_object *a = json_object_new_array();
	int64_t now = mono_ns();

	for (int i = 0; i < NR_BOXES; i++)
		json_object_array_add(a, box_json(&st.boxes[i], now));
	return a;
}

static struct json_object *core_json(int64_t now)
{
	struct json_object *o = json_object_new_object();
	const struct sla_core_status *cs;

	add(o, "state", part_json(&st.status_part, now));
	if (!st.status_len)
		return o;
	cs = (const void *)(st.status + sizeof(struct sla_rep));
	add(o, "pid", json_object_new_uint64(cs->pid));
	add(o, "generation", json_object_new_uint64(cs->generation));
	add(o, "started_ns", json_object_new_int64(cs->started_ns));
	add(o, "last_eval_ns", json_object_new_int64(cs->last_eval_ns));
	add(o, "evaluations", json_object_new_uint64(cs->evaluations));
	add(o, "throttles_sent", json_object_new_uint64(cs->throttles_sent));
	add(o, "throttles_modified",
	    json_object_new_uint64(cs->throttles_modified));
	add(o, "throttles_withdrawn",
	    json_object_new_uint64(cs->throttles_withdrawn));
	add(o, "calls_adopted", json_object_new_uint64(cs->calls_adopted));
	add(o, "interval_ms", json_object_new_uint64(cs->interval_ms));
	return o;
}

static struct json_object *host_json(const char *host, const char *device,
				     const struct sla_host_status *h,
				     int64_t now)
{
	struct json_object *o = json_object_new_object(), *tl;
	const struct sla_sla *sla = find_sla(host);
	/*
	 * No device from sla-core (it has just restarted, or does not
	 * evaluate the host): the series last fetched for the host, whatever
	 * its device, so that a chart does not vanish with a restart.
	 */
	const struct series *s = find_series(host, device && *device ? device : NULL);

	add(o, "host", json_object_new_string(host));
	add(o, "device", device && *device ? json_object_new_string(device) : NULL);
	add(o, "sla", sla ? sla_to_json(sla) : NULL);
	if (h) {
		struct json_object *j = json_object_new_object();

		add(j, "violated", json_object_new_boolean(
		    h->flags & SLA_HOST_VIOLATED));
		add(j, "throttled", json_object_new_boolean(
		    h->flags & SLA_HOST_THROTTLED));
		add(j, "no_data", json_object_new_boolean(
		    h->flags & SLA_HOST_NO_DATA));
		add(j, "violations", json_object_new_uint64(h->violations));
		add(j, "lat_mean_us", json_object_new_double(h->lat_mean_us));
		add(j, "riops", json_object_new_double(h->riops));
		add(j, "wiops", json_object_new_double(h->wiops));
		add(j, "rbps", json_object_new_double(h->rbps));
		add(j, "wbps", json_object_new_double(h->wbps));
		add(j, "violated_since_ns",
		    json_object_new_int64(h->violated_since_ns));
		add(o, "status", j);
	} else {
		add(o, "status", NULL);
	}
	tl = json_object_new_array();
	if (st.throttles_len) {
		const struct sla_throttle_list *l = (const void *)
			(st.throttles + sizeof(struct sla_rep));

		for (uint32_t i = 0; i < l->count; i++)
			if (!strncmp(l->t[i].host, host, SLA_HOST_MAX))
				json_object_array_add(tl,
						      throttle_json(&l->t[i]));
	}
	add(o, "throttles", tl);
	add(o, "series", s ? series_json(s, now) : NULL);
	return o;
}

struct json_object *state_json(void)
{
	struct json_object *o = json_object_new_object(), *hosts, *a, *p;
	int64_t now = mono_ns();
	const struct sla_core_status *cs = NULL;

	add(o, "now_ns", json_object_new_int64(real_ns()));
	add(o, "refresh_ms", json_object_new_int64(st.o.refresh_ns / 1000000));
	add(o, "core", core_json(now));

	/* the hosts sla-core evaluates, then those with an SLA only */
	hosts = json_object_new_array();
	if (st.status_len) {
		cs = (const void *)(st.status + sizeof(struct sla_rep));
		for (uint32_t i = 0; i < cs->count; i++) {
			const struct sla_host_status *h = &cs->h[i];

			if (!sla_strok(h->host, sizeof(h->host)) ||
			    !sla_strok(h->device, sizeof(h->device)))
				continue;
			json_object_array_add(hosts, host_json(h->host,
						h->device, h, now));
		}
	}
	for (uint32_t i = 0; i < st.nslas; i++) {
		bool seen = false;

		for (uint32_t j = 0; cs && j < cs->count; j++)
			if (!strncmp(cs->h[j].host, st.slas[i].host,
				     SLA_HOST_MAX))
				seen = true;
		if (!seen && sla_strok(st.slas[i].host, SLA_HOST_MAX))
			json_object_array_add(hosts, host_json(st.slas[i].host,
							NULL, NULL, now));
	}
	add(o, "hosts", hosts);

	a = json_object_new_array();
	for (uint32_t i = 0; i < st.nslas; i++)
		json_object_array_add(a, sla_to_json(&st.slas[i]));
	add(o, "slas", a);
	add(o, "slas_state", part_json(&st.slas_part, now));

	a = json_object_new_array();
	if (st.throttles_len) {
		const struct sla_throttle_list *l = (const void *)
			(st.throttles + sizeof(struct sla_rep));

		for (uint32_t i = 0; i < l->count; i++)
			json_object_array_add(a, throttle_json(&l->t[i]));
	}
	add(o, "throttles", a);
	add(o, "throttles_state", part_json(&st.throttles_part, now));

	/* the newest first */
	a = json_object_new_array();
	for (uint32_t i = 0; i < st.ndec; i++)
		json_object_array_add(a, decision_json(&st.dec[
			(st.dec_head + st.ndec - 1 - i) % MAX_DECISIONS]));
	add(o, "decisions", a);
	add(o, "decisions_total", json_object_new_uint64(st.dec_total));
	add(o, "decisions_state", part_json(&st.decisions_part, now));

	add(o, "mailboxes", state_mailboxes_json());
	p = json_object_new_object();
	add(p, "http_requests", json_object_new_uint64(http_requests));
	add(p, "http_errors", json_object_new_uint64(http_errors));
	add(o, "appserver", p);
	return o;
}
