// SPDX-License-Identifier: GPL-2.0
/*
 * sla-core: the SLA core.  Every interval it asks sla-monitor for samples
 * ("sla-mon"), stores them and reads each host's window back through
 * sla-dbm ("sla-db"), evaluates the SLAs, and sends throttles (io.max
 * writes) through sla-monitor, recording every decision in the database.
 * It serves "sla-app" (SLA definitions, throttles in force, its state) for
 * sla-appserver.
 *
 * Every call it makes is two-step: submitted, then collected from one
 * poll(2) loop when its reply is ready; sla-core never waits for
 * sla-monitor or sla-dbm, so a slow gateway or a busy database delays
 * only the round that needs it.  A full mailbox (no free slot) is
 * back-pressure: the work waits for the next round.
 *
 * Restart: the calls a killed sla-core left in "sla-db" and "sla-mon" are
 * found from the slot headers (role SLA_UD_ROLE_CORE, caller gone) and
 * adopted; a throttle answered for the previous run is recorded if that
 * run had not recorded it.  The calls it had taken from "sla-app" are
 * delivered again by the kernel.  The throttles in force are read back
 * from the gateways.
 *
 * Staged upgrade: a new sla-core started beside a running one waits
 * (standby).  SIGUSR2 to the old one makes it stop taking calls and
 * starting rounds, and release the take lock: the new one takes "sla-app"
 * calls from then on; the old one finishes the calls it holds and exits,
 * releasing the evaluation lock, and the new one evaluates from then on.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "../common/slacfg.h"
#include "../common/slautil.h"

#define MAX_HOSTS	32
#define MAX_PEND	256
#define WINDOW_NS	3000000000LL	/* the window each evaluation reads */
#define SAFE_FRACTION	0.6		/* under this share of the ceiling: safe */
#define VIOLATIONS_TO_ACT 2		/* consecutive evaluations over */
#define SAFE_TO_RELAX	3		/* consecutive evaluations safe */
#define IDLE_TO_LIFT	5		/* ... under half its limit */

/* What sla-core keeps after struct sla_mon_throttle in the call plane. */
struct throttle_ctx {
	struct sla_decision d;		/* action, reason, old and new limits */
};

struct throttle_call {
	struct sla_mon_throttle m;
	struct throttle_ctx x;
};

enum kind {
	K_COLLECT = 1, K_SAMPLES, K_WINDOW, K_THROTTLE, K_DECISION, K_SLA_PUT,
	K_SLA_DEL, K_LIMITS, K_SLA_LIST, K_OTHER,
};

struct host {
	char name[SLA_HOST_MAX];
	char device[SLA_DEV_MAX];
	int has_sla;
	struct sla_sla sla;
	int seen;			/* samples came */
	struct sla_window w;
	int w_round;			/* the round w belongs to */
	uint32_t violations, safe;
	uint32_t idle;			/* evaluations under half its limit */
	int64_t violated_since;
	struct sla_limits limits;	/* in force (read back) */
	double base_iops;		/* its rate before the first throttle */
	struct pend *pending;		/* a throttle call not answered yet */
};

struct pend {
	int used;
	struct mailbox *mb;
	struct mbx_call c;
	enum kind kind;
	int host;			/* K_WINDOW, K_THROTTLE */
	int round;
	int adopted;
	int raise;			/* K_THROTTLE: a raise to a floor */
	int has_app;			/* an "sla-app" call waits for this */
	struct mbx_call app;
	struct sla_sla sla;		/* K_SLA_PUT: what to answer */
};

static struct mailbox mb_db, mb_mon, mb_app;
static struct host hosts[MAX_HOSTS];
static int nhosts;
static struct pend pends[MAX_PEND];
static uint64_t seq;
static int64_t interval_ns = 1000000000LL;
static const char *state_dir = "/run/sla";
static int take_lock_fd = -1, eval_lock_fd = -1;
static int taking, evaluating, draining;
static volatile sig_atomic_t sig_drain, sig_stop;
static int round_no, round_windows_left, collect_out;
static int64_t next_tick;
static struct sla_core_status st;
static int relax_need = SAFE_TO_RELAX;
static int64_t last_relax_ns;	/* the last relax or lift */
static int dry_run;

static void on_signal(int sig)
{
	if (sig == SIGUSR2)
		sig_drain = 1;
	else
		sig_stop = 1;
}

static struct host *host_get(const char *name, int create)
{
	for (int i = 0; i < nhosts; i++)
		if (!strcmp(hosts[i].name, name))
			return &hosts[i];
	if (!create || nhosts == MAX_HOSTS)
		return NULL;
	memset(&hosts[nhosts], 0, sizeof(hosts[0]));
	sla_strset(hosts[nhosts].name, SLA_HOST_MAX, name);
	hosts[nhosts].limits = (struct sla_limits){ SLA_LIMIT_MAX, SLA_LIMIT_MAX,
						    SLA_LIMIT_MAX, SLA_LIMIT_MAX };
	return &hosts[nhosts++];
}

static const char *lim_str(uint64_t v, char *buf)
{
	if (v == SLA_LIMIT_MAX)
		return "max";
	sprintf(buf, "%llu", (unsigned long long)v);
	return buf;
}

/* ---- Calls ---- */

static struct pend *pend_new(void)
{
	for (int i = 0; i < MAX_PEND; i++)
		if (!pends[i].used) {
			memset(&pends[i], 0, sizeof(pends[i]));
			pends[i].used = 1;
			pends[i].host = -1;
			return &pends[i];
		}
	return NULL;
}

static int pend_count(void)
{
	int n = 0;

	for (int i = 0; i < MAX_PEND; i++)
		n += pends[i].used;
	return n;
}

/*
 * Step one of a call: a free slot (none: -EAGAIN, back-pressure), the
 * request, submit.  The pend is returned for the reply.
 */
static struct pend *call(struct mailbox *mb, uint32_t op, const void *req,
			 uint32_t len, enum kind kind)
{
	struct pend *p = pend_new();
	uint32_t slot;
	int ret;

	if (!p) {
		sla_log("too many calls in flight");
		return NULL;
	}
	ret = mailbox_acquire(mb, 0, MBX_ACQUIRE_ANY | MBX_WAIT_NONBLOCK, 0, NULL);
	if (ret < 0) {
		p->used = 0;
		if (ret != -EAGAIN)
			sla_log("acquire %s: %s", mb->name, strerror(-ret));
		else
			sla_log("%s is full: call 0x%x waits (back-pressure)", mb->name, op);
		return NULL;
	}
	slot = ret;
	memcpy(mailbox_call_plane(mb, slot), req, len);
	p->mb = mb;
	p->kind = kind;
	p->c = (struct mbx_call){ .slot = slot, .opcode = op, .len = len,
				  .user_data = SLA_UD(SLA_UD_ROLE_CORE, ++seq) };
	ret = mailbox_submit(mb, &p->c);
	if (ret < 0) {
		sla_log("submit to %s: %s", mb->name, strerror(-ret));
		mailbox_release(mb, slot);
		p->used = 0;
		return NULL;
	}
	return p;
}

/* A call made and answered before going on: only at start. */
static int call_sync(struct mailbox *mb, uint32_t op, const void *req,
		     uint32_t len, int64_t timeout_ns, void *reply, uint32_t room)
{
	struct pend *p = call(mb, op, req, len, K_OTHER);
	struct mbx_call r;
	int ret;

	if (!p)
		return -EAGAIN;
	ret = mailbox_collect(mb, &p->c, MBX_WAIT_TIMEOUT,
			      mailbox_deadline(timeout_ns), &r);
	if (ret < 0) {
		/* left in flight: collected and dropped by the loop */
		sla_log("%s: call 0x%x: %s", mb->name, op, strerror(-ret));
		return ret;
	}
	p->used = 0;
	if (reply)
		memcpy(reply, mailbox_reply_plane(mb, r.slot), r.len < room ? r.len : room);
	mailbox_release(mb, r.slot);
	return r.status;
}

static void record(const struct sla_decision *d)
{
	struct sla_db_decision_put r;
	char a[24], b[24];

	sla_req_init(&r.req, 0);
	r.d = *d;
	sla_log("decision: %s %s on %s riops %s -> %s (call %llu): %s", d->action, d->host,
		d->device, lim_str(d->old_limits.riops, a), lim_str(d->new_limits.riops, b),
		(unsigned long long)d->call_id, d->reason);
	if (!call(&mb_db, SLA_DB_DECISION_PUT, &r, sizeof(r), K_DECISION))
		sla_log("decision not stored (the database mailbox is full)");
}

/* ---- Throttles ---- */

static void decision_init(struct sla_decision *d, struct host *h, const char *action,
			  const struct sla_limits *to, const char *reason)
{
	memset(d, 0, sizeof(*d));
	d->ts_ns = sla_now_ns();
	memcpy(d->host, h->name, sizeof(d->host));
	memcpy(d->device, h->device, sizeof(d->device));
	sla_strset(d->action, sizeof(d->action), action);
	d->old_limits = h->limits;
	d->new_limits = *to;
	snprintf(d->reason, sizeof(d->reason), "%s", reason);
}

/*
 * Ask for riops on h.  A throttle of h still waiting in "sla-mon" is
 * changed in its slot (revoked, rewritten, resubmitted: same call id) or,
 * when what is in force is what is wanted now, withdrawn; one that the
 * monitor took already is left to finish, and the next round decides
 * again.
 */
static void throttle(struct host *h, uint64_t riops, const char *action,
		     const char *reason)
{
	struct sla_limits to = h->limits;
	struct throttle_call tc;
	struct pend *p;

	to.riops = riops;
	if (dry_run) {
		sla_log("dry run: would %s %s to riops %llu: %s", action, h->name,
			(unsigned long long)riops, reason);
		return;
	}
	if ((p = h->pending)) {
		struct throttle_call *cur = mailbox_call_plane(&mb_mon, p->c.slot);
		int ret = mailbox_revoke(&mb_mon, &p->c);

		if (ret == 0) {
			struct sla_decision d;

			if (riops == h->limits.riops) {
				ret = mailbox_cancel(&mb_mon, &p->c);
				decision_init(&d, h, "withdraw", &h->limits, reason);
				d.call_id = p->c.call_id;
				if (ret >= 0) {
					st.throttles_withdrawn++;
					record(&d);
					h->pending = NULL;	/* its -ECANCELED reply is dropped */
					p->host = -1;
				} else {
					sla_log("withdraw call %llu: %s", (unsigned long long)p->c.call_id,
						strerror(-ret));
					mailbox_release(&mb_mon, p->c.slot);	/* back, unchanged */
				}
				return;
			}
			p->raise = !strcmp(action, "raise");
			cur->m.t.limits.riops = riops;
			cur->x.d.new_limits.riops = riops;
			snprintf(cur->x.d.reason, sizeof(cur->x.d.reason), "%s", reason);
			sla_strset(cur->x.d.action, sizeof(cur->x.d.action), action);
			ret = mailbox_submit(&mb_mon, &p->c);
			if (ret < 0) {
				sla_log("resubmit call %llu: %s", (unsigned long long)p->c.call_id,
					strerror(-ret));
				mailbox_release(&mb_mon, p->c.slot);
				return;
			}
			st.throttles_modified++;
			decision_init(&d, h, "modify", &to, reason);
			d.call_id = p->c.call_id;
			record(&d);
			return;
		}
		/* taken or answered already: the round after its reply decides */
		return;
	}
	if (riops == h->limits.riops)
		return;			/* in force already: never sent twice */
	memset(&tc, 0, sizeof(tc));
	sla_req_init(&tc.m.req, 0);
	memcpy(tc.m.t.host, h->name, sizeof(tc.m.t.host));
	memcpy(tc.m.t.device, h->device, sizeof(tc.m.t.device));
	tc.m.t.limits = (struct sla_limits){ riops, SLA_LIMIT_KEEP, SLA_LIMIT_KEEP,
					     SLA_LIMIT_KEEP };
	decision_init(&tc.x.d, h, action, &to, reason);
	p = call(&mb_mon, SLA_MON_THROTTLE, &tc, sizeof(tc), K_THROTTLE);
	if (!p)
		return;
	p->host = h - hosts;
	p->raise = !strcmp(action, "raise");
	h->pending = p;
	st.throttles_sent++;
	tc.x.d.call_id = p->c.call_id;
	record(&tc.x.d);
}

/* ---- Evaluation ---- */

/*
 * The lowest limit a throttle sets: the SLA's floor, or 5 % of what the host
 * did unthrottled, and never under 2 (6.1's io.max refuses riops=1).
 */
static uint64_t floor_of(struct host *v)
{
	double f = v->has_sla && v->sla.iops_floor > 0 ? v->sla.iops_floor :
		   fmax(2.0, v->base_iops * 0.05);

	return (uint64_t)ceil(f);
}

static void enforce_bounds(void);

static void evaluate(void)
{
	int64_t now = sla_now_ns();
	char why[SLA_REASON_MAX];

	st.evaluations++;
	st.last_eval_ns = now;
	for (int i = 0; i < nhosts; i++) {
		struct host *h = &hosts[i];
		double c = h->has_sla ? h->sla.lat_ceiling_us : 0;

		if (h->w_round != round_no || !h->w.count) {
			h->violations = h->safe = 0;
			continue;
		}
		if (c <= 0)
			continue;
		if (h->w.lat_mean_us > c) {
			if (!h->violations && !h->violated_since) {
				h->violated_since = now;
				sla_log("VIOLATION %s: latency %.1f ms over its %.1f ms ceiling",
					h->name, h->w.lat_mean_us / 1000, c / 1000);
				/* violated soon after a relax: relax more slowly */
				if (last_relax_ns && now - last_relax_ns < 12 * interval_ns && relax_need < 24)
					relax_need *= 2;
			}
			h->violations++;
			h->safe = 0;
		} else {
			if (h->violated_since) {
				sla_log("RECOVERED %s: latency %.1f ms under its %.1f ms ceiling after %.1f s",
					h->name, h->w.lat_mean_us / 1000, c / 1000,
					(now - h->violated_since) / 1e9);
				h->violated_since = 0;
			}
			h->violations = 0;
			if (h->w.lat_mean_us < SAFE_FRACTION * c)
				h->safe++;
			else
				h->safe = 0;
		}
	}

	for (int i = 0; i < nhosts; i++) {
		struct host *g = &hosts[i];
		int all_safe = 1, any_lat = 0;
		struct host *worst = NULL;

		if (!g->has_sla || g->sla.lat_ceiling_us <= 0 || i != (int)(g - hosts))
			continue;
		/* per device: the latency hosts on it */
		for (int j = 0; j < nhosts; j++) {
			struct host *h = &hosts[j];

			if (strcmp(h->device, g->device) || !h->has_sla ||
			    h->sla.lat_ceiling_us <= 0 || h->w_round != round_no)
				continue;
			if (j < i)
				goto next_device;	/* done with this device */
			any_lat = 1;
			if (h->violations >= VIOLATIONS_TO_ACT &&
			    (!worst || h->sla.priority > worst->sla.priority))
				worst = h;
			if (h->safe < (uint32_t)relax_need)
				all_safe = 0;
		}
		if (!any_lat)
			continue;
		if (worst) {
			/* the lowest priority host above its floor gives way */
			struct host *v = NULL;

			for (int j = 0; j < nhosts; j++) {
				struct host *h = &hosts[j];
				int32_t pr = h->has_sla ? h->sla.priority : 0;

				if (strcmp(h->device, g->device) || pr >= worst->sla.priority ||
				    h->w_round != round_no)
					continue;
				if (h->limits.riops != SLA_LIMIT_MAX &&
				    h->limits.riops <= floor_of(h))
					continue;
				/* one doing no more than its floor is not the cause */
				if (h->w.riops <= floor_of(h))
					continue;
				if (!v || pr < (v->has_sla ? v->sla.priority : 0))
					v = h;
			}
			if (!v) {
				if (worst->violations == VIOLATIONS_TO_ACT)
					sla_log("%s over its SLA, and every host below it is at its floor",
						worst->name);
				continue;
			}
			{
				double rate = v->w.riops;
				uint64_t cur = v->limits.riops, target;

				if (cur == SLA_LIMIT_MAX)
					v->base_iops = rate;
				target = (uint64_t)(fmin(rate, cur == SLA_LIMIT_MAX ? rate : (double)cur) / 2);
				if (target < floor_of(v))
					target = floor_of(v);
				if (cur != SLA_LIMIT_MAX && target >= cur)
					continue;
				snprintf(why, sizeof(why), "%s latency %.1f ms > %.1f ms for %u intervals",
					 worst->name, worst->w.lat_mean_us / 1000,
					 worst->sla.lat_ceiling_us / 1000, worst->violations);
				throttle(v, target, "throttle", why);
				worst->violations = 0;	/* let the throttle act first */
				for (int k = 0; k < nhosts; k++)
					if (!strcmp(hosts[k].device, g->device))
						hosts[k].safe = 0;
			}
		} else if (all_safe) {
			/* relax the highest priority throttled host below */
			struct host *v = NULL;

			for (int j = 0; j < nhosts; j++) {
				struct host *h = &hosts[j];
				int32_t pr = h->has_sla ? h->sla.priority : 0;

				if (strcmp(h->device, g->device) || h->limits.riops == SLA_LIMIT_MAX ||
				    (h->has_sla && h->sla.cap_iops != SLA_LIMIT_MAX &&
				     h->limits.riops <= h->sla.cap_iops))
					continue;
				if (!v || pr > (v->has_sla ? v->sla.priority : 0))
					v = h;
			}
			if (!v)
				continue;
			{
				uint64_t cur = v->limits.riops;
				uint64_t cap = v->has_sla ? v->sla.cap_iops : SLA_LIMIT_MAX;
				int idle = v->w_round == round_no && v->w.riops < 0.5 * cur;
				/* its rate before the throttle: unknown after a restart */
				int enough = v->base_iops > 0 && 2 * cur >= v->base_iops;
				uint64_t to = idle || enough ? cap : 2 * cur;

				snprintf(why, sizeof(why), "%s safe (%.1f ms) for %d intervals%s",
					 g->name, g->w.lat_mean_us / 1000, relax_need,
					 idle ? ", demand gone" : "");
				throttle(v, to, to == SLA_LIMIT_MAX ? "lift" : "relax", why);
				last_relax_ns = now;
				if (to == SLA_LIMIT_MAX)
					relax_need = SAFE_TO_RELAX;
				for (int k = 0; k < nhosts; k++)
					if (!strcmp(hosts[k].device, g->device))
						hosts[k].safe = 0;
			}
		}
next_device:;
	}

	/*
	 * A limit its host no longer comes near (its load ended) does
	 * nothing but hold it back when the load returns: lifted.
	 */
	for (int i = 0; i < nhosts; i++) {
		struct host *h = &hosts[i];
		uint64_t cap = h->has_sla ? h->sla.cap_iops : SLA_LIMIT_MAX;

		if (h->limits.riops == SLA_LIMIT_MAX ||
		    (cap != SLA_LIMIT_MAX && h->limits.riops <= cap) ||
		    h->w_round != round_no || h->w.count < 2 || h->pending) {
			h->idle = 0;
			continue;
		}
		if (h->w.riops < 0.5 * h->limits.riops)
			h->idle++;
		else
			h->idle = 0;
		if (h->idle >= IDLE_TO_LIFT) {
			snprintf(why, sizeof(why), "under half its limit for %d intervals: its load ended",
				 IDLE_TO_LIFT);
			throttle(h, cap, "lift", why);
			h->idle = 0;
		}
	}
	enforce_bounds();
}

/*
 * What each host's own SLA says, whatever the others do: a best-effort
 * cap in force, a limit never under the floor, and a raise asked for
 * that a changed floor made needless withdrawn.
 */
static void enforce_bounds(void)
{
	char why[SLA_REASON_MAX];

	for (int i = 0; i < nhosts; i++) {
		struct host *h = &hosts[i];

		if (h->has_sla && h->sla.cap_iops != SLA_LIMIT_MAX && h->device[0] &&
		    !h->pending && (h->limits.riops == SLA_LIMIT_MAX ||
				    h->limits.riops > h->sla.cap_iops)) {
			snprintf(why, sizeof(why), "best-effort cap of %llu IOPS",
				 (unsigned long long)h->sla.cap_iops);
			throttle(h, h->sla.cap_iops, "cap", why);
		}
		/* a floor raised above the limit in force */
		if (h->has_sla && h->sla.iops_floor > 0 && h->limits.riops != SLA_LIMIT_MAX &&
		    h->limits.riops < floor_of(h)) {
			snprintf(why, sizeof(why), "its floor is %.0f IOPS", h->sla.iops_floor);
			throttle(h, floor_of(h), "raise", why);
		} else if (h->pending && !h->pending->adopted &&
			   h->limits.riops != SLA_LIMIT_MAX && h->has_sla &&
			   h->limits.riops >= floor_of(h)) {
			/* a raise asked for and not needed any more */
			if (h->pending->raise) {
				snprintf(why, sizeof(why), "its floor is %.0f IOPS again: no raise",
					 h->sla.iops_floor);
				throttle(h, h->limits.riops, "withdraw", why);
			}
		}
	}
}

/* ---- Replies ---- */

static void on_collect(const struct mbx_call *r)
{
	const struct sla_rep *rep = mailbox_reply_plane(&mb_mon, r->slot);
	const struct sla_mon_collect *c = (const void *)(rep + 1);
	const struct sla_sample *s = (const void *)(c + 1);
	unsigned char buf[SLA_DB_SLOT_SIZE];
	struct sla_db_samples *put = (void *)buf;
	uint32_t room = sla_fit(SLA_DB_SLOT_SIZE, sizeof(*put), sizeof(put->samples[0]));

	if (r->status < 0 || r->len < sizeof(*rep) + sizeof(*c) ||
	    r->len < sizeof(*rep) + sizeof(*c) + c->nsamples * sizeof(*s)) {
		sla_log("collect: %s", r->status < 0 ? strerror(-r->status) : "short answer");
		return;
	}
	sla_req_init(&put->req, 0);
	put->count = 0;
	put->__pad = 0;
	for (uint32_t i = 0; i < c->nsamples; i++) {
		struct host *h;

		if (!sla_strok(s[i].host, SLA_HOST_MAX) || !sla_strok(s[i].device, SLA_DEV_MAX))
			continue;
		h = host_get(s[i].host, 1);
		if (h && !h->device[0])
			memcpy(h->device, s[i].device, SLA_DEV_MAX);
		if (h)
			h->seen = 1;
		if (put->count < room)
			put->samples[put->count++] = s[i];
	}
	if (put->count && !call(&mb_db, SLA_DB_SAMPLES_PUT, put,
				sizeof(*put) + put->count * sizeof(put->samples[0]), K_SAMPLES))
		return;
}

static void windows_for_round(void)
{
	round_windows_left = 0;
	for (int i = 0; i < nhosts; i++) {
		struct sla_db_window_req q;
		struct pend *p;

		if (!hosts[i].device[0])
			continue;
		memset(&q, 0, sizeof(q));
		sla_req_init(&q.req, 0);
		memcpy(q.host, hosts[i].name, sizeof(q.host));
		memcpy(q.device, hosts[i].device, sizeof(q.device));
		q.now_ns = sla_now_ns();
		q.window_ns = WINDOW_NS;
		p = call(&mb_db, SLA_DB_WINDOW, &q, sizeof(q), K_WINDOW);
		if (!p)
			continue;
		p->host = i;
		p->round = round_no;
		round_windows_left++;
	}
}

static void app_complete(const struct mbx_call *app, int32_t status, uint32_t len)
{
	int ret = mailbox_complete(&mb_app, app, status, len);

	if (ret < 0 && ret != -ECANCELED)
		sla_log("complete app call %llu: %s", (unsigned long long)app->call_id,
			strerror(-ret));
}

/* Ask the gateways for the limits in force (answered in on_limits()). */
static void refresh_limits(void)
{
	struct sla_req q;

	for (int i = 0; i < MAX_PEND; i++)
		if (pends[i].used && pends[i].kind == K_LIMITS)
			return;
	sla_req_init(&q, 0);
	call(&mb_mon, SLA_MON_LIMITS, &q, sizeof(q), K_LIMITS);
}

static void on_limits(const struct mbx_call *r)
{
	const struct sla_rep *rep = mailbox_reply_plane(&mb_mon, r->slot);
	const struct sla_throttle_list *l = (const void *)(rep + 1);

	if (r->status < 0 || r->len < sizeof(*rep) + sizeof(*l) ||
	    r->len < sizeof(*rep) + sizeof(*l) + l->count * sizeof(l->t[0]))
		return;
	for (int i = 0; i < nhosts; i++) {
		struct host *h = &hosts[i];
		struct sla_limits m = { SLA_LIMIT_MAX, SLA_LIMIT_MAX, SLA_LIMIT_MAX,
					SLA_LIMIT_MAX };

		if (h->pending || !h->device[0])
			continue;	/* its next reply says */
		for (uint32_t k = 0; k < l->count; k++)
			if (!strcmp(l->t[k].host, h->name) && !strcmp(l->t[k].device, h->device))
				m = l->t[k].limits;
		if (memcmp(&m, &h->limits, sizeof(m)))
			sla_log("read back: %s riops %llu", h->name, (unsigned long long)m.riops);
		h->limits = m;
	}
}

static void on_throttle_reply(struct pend *p, const struct mbx_call *r)
{
	const struct throttle_call *tc = mailbox_call_plane(&mb_mon, r->slot);
	const struct sla_rep *rep = mailbox_reply_plane(&mb_mon, r->slot);
	const struct sla_throttle *t = (const void *)(rep + 1);
	struct host *h;

	for (int i = 0; i < nhosts; i++)
		if (hosts[i].pending == p)
			hosts[i].pending = NULL;
	if (r->status == -ECANCELED)
		return;		/* withdrawn, recorded then */
	h = host_get(tc->m.t.host, 1);
	if (!h)
		return;
	if (!h->device[0])
		memcpy(h->device, tc->m.t.device, SLA_DEV_MAX);
	if (r->status == 0 && r->len >= sizeof(*rep) + sizeof(*t)) {
		h->limits = t->limits;
		if (p->adopted)
			sla_log("adopted throttle call %llu: %s riops now %llu",
				(unsigned long long)r->call_id, h->name,
				(unsigned long long)t->limits.riops);
	} else {
		struct sla_decision d = tc->x.d;

		sla_strset(d.action, sizeof(d.action), "failed");
		snprintf(d.reason, sizeof(d.reason), "%s: %s", strerror(-r->status),
			 sla_strok(rep->msg, sizeof(rep->msg)) ? rep->msg : "");
		d.ts_ns = sla_now_ns();
		d.call_id = r->call_id;
		d.new_limits = h->limits;
		record(&d);
		refresh_limits();	/* the write may have happened: read back */
	}
}

static void on_reply(struct pend *p, const struct mbx_call *r)
{
	const struct sla_rep *rep = mailbox_reply_plane(p->mb, r->slot);

	if (p->adopted)
		st.calls_adopted++;
	switch (p->kind) {
	case K_COLLECT:
		collect_out = 0;
		on_collect(r);
		if (!p->adopted && !draining)
			windows_for_round();
		break;
	case K_SAMPLES:
		if (r->status < 0)
			sla_log("samples not stored: %s", rep->msg);
		break;
	case K_WINDOW:
		if (r->status == 0 && p->host >= 0 && p->round == round_no &&
		    r->len >= sizeof(*rep) + sizeof(struct sla_window)) {
			memcpy(&hosts[p->host].w, rep + 1, sizeof(struct sla_window));
			hosts[p->host].w_round = p->round;
		}
		if (p->round == round_no && !p->adopted && --round_windows_left == 0 && evaluating)
			evaluate();
		break;
	case K_THROTTLE:
		on_throttle_reply(p, r);
		break;
	case K_LIMITS:
		on_limits(r);
		break;
	case K_DECISION:
		if (r->status < 0)
			sla_log("decision not stored: %s", rep->msg);
		break;
	case K_SLA_PUT:
	case K_SLA_DEL:
		if (p->has_app) {
			struct sla_rep *arep = mailbox_reply_plane(&mb_app, p->app.slot);
			uint32_t len = sizeof(*arep);

			sla_rep_ok(arep);
			if (r->status < 0) {
				memcpy(arep->msg, rep->msg, sizeof(arep->msg));
			} else if (p->kind == K_SLA_PUT) {
				struct host *h = host_get(p->sla.host, 1);

				if (h) {
					h->has_sla = 1;
					h->sla = p->sla;
				}
				memcpy(arep + 1, &p->sla, sizeof(p->sla));
				if (evaluating && !draining)
					enforce_bounds();
				len += sizeof(p->sla);
			} else {
				const struct sla_db_host_req *q = mailbox_call_plane(p->mb, r->slot);
				struct host *h = host_get(q->host, 0);

				if (h)
					h->has_sla = 0;
			}
			app_complete(&p->app, r->status, len);
		}
		break;
	default:
		break;
	}
}

static struct pend *pend_find(struct mailbox *mb, const struct mbx_call *r)
{
	for (int i = 0; i < MAX_PEND; i++)
		if (pends[i].used && pends[i].mb == mb && pends[i].c.call_id == r->call_id &&
		    pends[i].c.slot == r->slot)
			return &pends[i];
	return NULL;
}

static void collect_ready(struct mailbox *mb)
{
	struct mbx_call r;

	while (mailbox_collect(mb, NULL, MBX_WAIT_NONBLOCK, 0, &r) == 0) {
		struct pend *p = pend_find(mb, &r);

		if (p) {
			on_reply(p, &r);
			p->used = 0;
		}
		mailbox_release(mb, r.slot);
	}
}

/* Adopted calls are collected by id until they are answered. */
static void collect_adopted(void)
{
	for (int i = 0; i < MAX_PEND; i++) {
		struct pend *p = &pends[i];
		struct mbx_call r;
		int ret;

		if (!p->used || !p->adopted)
			continue;
		ret = mailbox_collect(p->mb, &p->c, MBX_WAIT_NONBLOCK, 0, &r);
		if (ret == -EAGAIN)
			continue;
		if (ret == 0) {
			sla_log("adopted call %llu (opcode 0x%x) of a previous run: answered %d",
				(unsigned long long)r.call_id, r.opcode, r.status);
			on_reply(p, &r);
			mailbox_release(p->mb, r.slot);
		} else {
			sla_log("adopted call %llu in %s: %s", (unsigned long long)p->c.call_id,
				p->mb->name, strerror(-ret));
		}
		p->used = 0;
	}
}

/* ---- Restart: the previous run's calls ---- */

static enum kind kind_of(uint32_t op)
{
	switch (op) {
	case SLA_MON_COLLECT: return K_COLLECT;
	case SLA_MON_THROTTLE: return K_THROTTLE;
	case SLA_MON_LIMITS: return K_LIMITS;
	case SLA_DB_SAMPLES_PUT: return K_SAMPLES;
	case SLA_DB_WINDOW: return K_WINDOW;
	case SLA_DB_DECISION_PUT: return K_DECISION;
	default: return K_OTHER;
	}
}

static int adopt(struct mailbox *mb)
{
	struct mbx_slot_info *info = calloc(mb->nslots, sizeof(*info));
	int n = 0, ret;

	if (!info)
		return 0;
	ret = mailbox_slot_info(mb, 0, mb->nslots, info);
	for (int i = 0; i < ret; i++) {
		struct pend *p;

		if ((info[i].state != MBX_STATE_PENDING && info[i].state != MBX_STATE_TAKEN &&
		     info[i].state != MBX_STATE_REPLIED) ||
		    SLA_UD_ROLE(info[i].user_data) != SLA_UD_ROLE_CORE ||
		    !(info[i].flags & MBX_CALL_CALLER_GONE))
			continue;
		p = pend_new();
		if (!p)
			break;
		p->mb = mb;
		p->adopted = 1;
		p->kind = kind_of(info[i].opcode);
		p->c = (struct mbx_call){ .call_id = info[i].call_id, .slot = info[i].slot,
					  .opcode = info[i].opcode };
		n++;
	}
	free(info);
	return n;
}

/*
 * A throttle the previous run submitted but died before recording: its
 * decision is recorded now, from the call plane, once adopted.  The
 * decisions stored lately say which call ids are recorded.
 */
static void adopt_throttles_unrecorded(void)
{
	unsigned char buf[SLA_DB_SLOT_SIZE];
	struct sla_db_decisions_req q;
	uint64_t *ids = NULL;
	size_t nids = 0;

	/* the previous run's decisions in flight are stored first */
	for (int i = 0; i < MAX_PEND; i++) {
		struct pend *p = &pends[i];
		struct mbx_call r;

		if (!p->used || !p->adopted || p->mb != &mb_db)
			continue;
		if (mailbox_collect(&mb_db, &p->c, MBX_WAIT_TIMEOUT,
				    mailbox_deadline(3000000000ULL), &r) < 0)
			continue;
		sla_log("adopted call %llu (opcode 0x%x) of a previous run: answered %d",
			(unsigned long long)r.call_id, r.opcode, r.status);
		on_reply(p, &r);
		mailbox_release(&mb_db, r.slot);
		p->used = 0;
	}
	memset(&q, 0, sizeof(q));
	sla_req_init(&q.req, 0);
	q.since_ns = sla_now_ns() - 600LL * 1000000000LL;
	for (;;) {
		const struct sla_rep *rep = (void *)buf;
		const struct sla_db_decisions *d = (void *)(rep + 1);

		if (call_sync(&mb_db, SLA_DB_DECISIONS, &q, sizeof(q), 5000000000LL, buf,
			      sizeof(buf)) != 0)
			return;	/* unknown: better record nothing than twice */
		ids = realloc(ids, (nids + d->count) * sizeof(*ids));
		for (uint32_t i = 0; i < d->count; i++)
			ids[nids++] = d->d[i].call_id;
		if (!(rep->flags & SLA_REP_MORE))
			break;
		q.req.cursor = rep->next_cursor;
	}
	for (int i = 0; i < MAX_PEND; i++) {
		struct pend *p = &pends[i];
		struct throttle_call tc;
		struct mbx_call r;
		size_t k;

		if (!p->used || !p->adopted || p->kind != K_THROTTLE)
			continue;
		for (k = 0; k < nids && ids[k] != p->c.call_id; k++)
			;
		if (k < nids)
			continue;
		/* the call plane is ours to read once collected */
		if (mailbox_collect(&mb_mon, &p->c, MBX_WAIT_TIMEOUT,
				    mailbox_deadline(3000000000ULL), &r) < 0)
			continue;
		char was[SLA_REASON_MAX];

		memcpy(&tc, mailbox_call_plane(&mb_mon, r.slot), sizeof(tc));
		tc.x.d.call_id = r.call_id;
		memcpy(was, tc.x.d.reason, sizeof(was));
		was[sizeof(was) - 1] = 0;
		snprintf(tc.x.d.reason, sizeof(tc.x.d.reason),
			 "recorded after a restart: %.90s", was);
		record(&tc.x.d);
		on_reply(p, &r);
		mailbox_release(&mb_mon, r.slot);
		p->used = 0;
	}
	free(ids);
}

/* ---- Start ---- */

static void load_slas(void)
{
	unsigned char buf[SLA_DB_SLOT_SIZE];
	struct sla_req q;

	sla_req_init(&q, 0);
	for (;;) {
		const struct sla_rep *rep = (void *)buf;
		const struct sla_sla_list *l = (void *)(rep + 1);
		int ret = call_sync(&mb_db, SLA_DB_SLA_LIST, &q, sizeof(q), 5000000000LL,
				    buf, sizeof(buf));

		if (ret != 0) {
			sla_log("SLA list: %s", ret < 0 ? strerror(-ret) : "?");
			return;
		}
		if (!q.cursor)	/* the database's list replaces what is here */
			for (int i = 0; i < nhosts; i++)
				hosts[i].has_sla = 0;
		for (uint32_t i = 0; i < l->count; i++) {
			struct host *h = host_get(l->s[i].host, 1);

			if (h) {
				h->has_sla = 1;
				h->sla = l->s[i];
			}
		}
		if (!(rep->flags & SLA_REP_MORE))
			break;
		q.cursor = rep->next_cursor;
	}
}

/*
 * The configuration file's SLAs are where a host starts: each one is
 * stored, as if created through the application server, for a host that
 * has none in the database.  An SLA in the database (created, changed or
 * seeded before) wins over the file.
 */
static int sla_check(const struct sla_sla *s, char *msg, size_t msz);

static void put_file_slas(const struct sla_conf *conf)
{
	unsigned char buf[SLA_DB_SLOT_SIZE];

	for (size_t i = 0; i < conf->nhosts; i++) {
		const struct sla_conf_host *ch = &conf->hosts[i];
		const struct sla_rep *rep = (void *)buf;
		struct sla_db_sla_put q;
		struct host *h;
		char msg[128];
		int ret;

		if (!ch->lat_ceiling_us && !ch->iops_floor && !ch->bps_floor &&
		    ch->cap_iops == SLA_CONF_MAX && ch->cap_bps == SLA_CONF_MAX)
			continue;	/* watched, with no SLA */
		h = host_get(ch->cgroup, 0);
		if (h && h->has_sla)
			continue;
		sla_req_init(&q.req, 0);
		memset(&q.sla, 0, sizeof(q.sla));
		snprintf(q.sla.host, sizeof(q.sla.host), "%s", ch->cgroup);
		q.sla.lat_ceiling_us = ch->lat_ceiling_us;
		q.sla.iops_floor = ch->iops_floor;
		q.sla.bps_floor = ch->bps_floor;
		q.sla.priority = ch->priority;
		q.sla.cap_iops = ch->cap_iops;
		q.sla.cap_bps = ch->cap_bps;
		q.sla.updated_ns = sla_now_ns();
		if (sla_check(&q.sla, msg, sizeof(msg))) {
			sla_log("%s:%d: [host %s]: SLA not used: %s", conf->path,
				ch->line, ch->name, msg);
			continue;
		}
		ret = call_sync(&mb_db, SLA_DB_SLA_PUT, &q, sizeof(q), 5000000000LL,
				buf, sizeof(buf));
		if (ret) {
			sla_log("[host %s]: storing its SLA: %s", ch->name,
				ret < 0 ? strerror(-ret) : rep->msg);
			continue;
		}
		h = host_get(ch->cgroup, 1);
		if (h) {
			h->has_sla = 1;
			h->sla = q.sla;
		}
		sla_log("SLA of %s from %s (host %s)", ch->cgroup, conf->path, ch->name);
	}
}

static void load_limits(void)
{
	unsigned char buf[SLA_MON_SLOT_SIZE];
	const struct sla_rep *rep = (void *)buf;
	const struct sla_throttle_list *l = (void *)(rep + 1);
	struct sla_req q;
	char a[24];

	sla_req_init(&q, 0);
	if (call_sync(&mb_mon, SLA_MON_LIMITS, &q, sizeof(q), 5000000000LL, buf,
		      sizeof(buf)) != 0)
		return;
	for (uint32_t i = 0; i < l->count; i++) {
		struct host *h = host_get(l->t[i].host, 1);

		if (!h)
			continue;
		h->limits = l->t[i].limits;
		memcpy(h->device, l->t[i].device, SLA_DEV_MAX);
		if (h->limits.riops != SLA_LIMIT_MAX)
			sla_log("in force: %s riops %s", h->name, lim_str(h->limits.riops, a));
	}
}

static int lock_file(const char *name)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", state_dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		sla_log("%s: %s", path, strerror(errno));
	return fd;
}

static unsigned int next_generation(void)
{
	char path[512];
	unsigned int g = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/core.generation", state_dir);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%u", &g) != 1)
			g = 0;
		fclose(f);
	}
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "%u\n", g + 1);
		fclose(f);
	}
	return g + 1;
}

/* ---- "sla-app" ---- */

static int sla_check(const struct sla_sla *s, char *msg, size_t msz)
{
	const char *h = s->host;

	if (!sla_strok(s->host, sizeof(s->host)) || !h[0]) {
		snprintf(msg, msz, "host: must be 1 to %d characters", SLA_HOST_MAX - 1);
		return -EINVAL;
	}
	for (const char *c = h; *c; c++)
		if (!(*c == '/' || *c == '.' || *c == '_' || *c == '-' ||
		      (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9'))) {
			snprintf(msg, msz, "host: '%c' is not allowed in a cgroup name", *c);
			return -EINVAL;
		}
	if (h[0] == '/' || h[strlen(h) - 1] == '/' || strstr(h, "//") || strstr(h, "..")) {
		snprintf(msg, msz, "host: not a cgroup name relative to the root");
		return -EINVAL;
	}
	if (!isfinite(s->lat_ceiling_us) || s->lat_ceiling_us < 0 ||
	    s->lat_ceiling_us > 60e6) {
		snprintf(msg, msz, "lat_ceiling_us: must be 0 (none) to 60000000");
		return -EINVAL;
	}
	if (!isfinite(s->iops_floor) || s->iops_floor < 0 || s->iops_floor > 1e9) {
		snprintf(msg, msz, "iops_floor: must be 0 (none) to 1000000000");
		return -EINVAL;
	}
	if (!isfinite(s->bps_floor) || s->bps_floor < 0 || s->bps_floor > 1e15) {
		snprintf(msg, msz, "bps_floor: must be 0 (none) to 1e15");
		return -EINVAL;
	}
	if (s->priority < -1000 || s->priority > 1000) {
		snprintf(msg, msz, "priority: must be -1000 to 1000");
		return -EINVAL;
	}
	if (s->cap_iops == 0 || (s->cap_iops != SLA_LIMIT_MAX && s->cap_iops > UINT32_MAX)) {
		snprintf(msg, msz, "cap_iops: must be 1 to 4294967295, or max");
		return -EINVAL;
	}
	if (s->cap_bps == 0 || (s->cap_bps != SLA_LIMIT_MAX && s->cap_bps > INT64_MAX)) {
		snprintf(msg, msz, "cap_bps: must be 1 to 9223372036854775807, or max");
		return -EINVAL;
	}
	if (s->cap_iops != SLA_LIMIT_MAX && s->iops_floor > (double)s->cap_iops) {
		snprintf(msg, msz, "iops_floor %.0f is above cap_iops %llu: contradictory",
			 s->iops_floor, (unsigned long long)s->cap_iops);
		return -EINVAL;
	}
	if (s->cap_bps != SLA_LIMIT_MAX && s->bps_floor > (double)s->cap_bps) {
		snprintf(msg, msz, "bps_floor is above cap_bps: contradictory");
		return -EINVAL;
	}
	if (s->lat_ceiling_us > 0 && s->cap_iops != SLA_LIMIT_MAX) {
		snprintf(msg, msz, "a latency SLA and a best-effort cap on one host: contradictory");
		return -EINVAL;
	}
	if (s->lat_ceiling_us == 0 && s->iops_floor == 0 && s->bps_floor == 0 &&
	    s->cap_iops == SLA_LIMIT_MAX && s->cap_bps == SLA_LIMIT_MAX) {
		snprintf(msg, msz, "the SLA sets nothing: give a ceiling, a floor or a cap");
		return -EINVAL;
	}
	return 0;
}

static void serve_app(const struct mbx_call *c)
{
	const void *in = mailbox_call_plane(&mb_app, c->slot);
	struct sla_rep *rep = mailbox_reply_plane(&mb_app, c->slot);
	unsigned char *body = (unsigned char *)(rep + 1);
	uint32_t room = mb_app.slot_size - sizeof(*rep);
	uint32_t len = sizeof(*rep);
	int ret = 0;

	sla_rep_ok(rep);
	switch (c->opcode) {
	case SLA_APP_SLA_LIST: {
		struct sla_sla_list *l = (void *)body;
		uint32_t max = sla_fit(room, sizeof(*l), sizeof(l->s[0]));

		if ((ret = sla_req_check(c, in, sizeof(struct sla_req), rep)))
			break;
		l->count = 0;
		l->__pad = 0;
		for (int i = 0; i < nhosts && l->count < max; i++)
			if (hosts[i].has_sla)
				l->s[l->count++] = hosts[i].sla;
		len += sizeof(*l) + l->count * sizeof(l->s[0]);
		break;
	}
	case SLA_APP_SLA_PUT: {
		const struct sla_app_sla_put *r = in;
		struct sla_db_sla_put q;
		struct host *h;
		struct pend *p;

		if ((ret = sla_req_check(c, in, sizeof(*r), rep)))
			break;
		if (r->req.flags & ~(SLA_PUT_CREATE | SLA_PUT_REPLACE) ||
		    (r->req.flags & SLA_PUT_CREATE && r->req.flags & SLA_PUT_REPLACE)) {
			sla_rep_err(rep, "flags: SLA_PUT_CREATE or SLA_PUT_REPLACE, not both");
			ret = -EINVAL;
			break;
		}
		if ((ret = sla_check(&r->sla, rep->msg, sizeof(rep->msg))))
			break;
		h = host_get(r->sla.host, 0);
		if (r->req.flags & SLA_PUT_CREATE && h && h->has_sla) {
			sla_rep_err(rep, "host %s has an SLA already", r->sla.host);
			ret = -EEXIST;
			break;
		}
		if (r->req.flags & SLA_PUT_REPLACE && !(h && h->has_sla)) {
			sla_rep_err(rep, "host %s has no SLA", r->sla.host);
			ret = -ENOENT;
			break;
		}
		sla_req_init(&q.req, 0);
		q.sla = r->sla;
		q.sla.__pad = 0;
		q.sla.updated_ns = sla_now_ns();
		p = call(&mb_db, SLA_DB_SLA_PUT, &q, sizeof(q), K_SLA_PUT);
		if (!p) {
			sla_rep_err(rep, "the database mailbox is full: try again");
			ret = -EBUSY;
			break;
		}
		p->has_app = 1;
		p->app = *c;
		p->sla = q.sla;
		return;		/* answered with the database's reply */
	}
	case SLA_APP_SLA_DELETE: {
		const struct sla_db_host_req *r = in;
		struct sla_db_host_req q;
		struct host *h;
		struct pend *p;

		if ((ret = sla_req_check(c, in, sizeof(*r), rep)))
			break;
		h = sla_strok(r->host, sizeof(r->host)) ? host_get(r->host, 0) : NULL;
		if (!h || !h->has_sla) {
			sla_rep_err(rep, "no SLA for host %.64s", r->host);
			ret = -ENOENT;
			break;
		}
		q = *r;
		p = call(&mb_db, SLA_DB_SLA_DELETE, &q, sizeof(q), K_SLA_DEL);
		if (!p) {
			sla_rep_err(rep, "the database mailbox is full: try again");
			ret = -EBUSY;
			break;
		}
		p->has_app = 1;
		p->app = *c;
		return;
	}
	case SLA_APP_THROTTLES: {
		struct sla_throttle_list *l = (void *)body;
		uint32_t max = sla_fit(room, sizeof(*l), sizeof(l->t[0]));

		if ((ret = sla_req_check(c, in, sizeof(struct sla_req), rep)))
			break;
		l->count = 0;
		l->__pad = 0;
		for (int i = 0; i < nhosts && l->count < max; i++) {
			struct host *h = &hosts[i];
			struct sla_limits *m = &h->limits;

			if (m->riops == SLA_LIMIT_MAX && m->wiops == SLA_LIMIT_MAX &&
			    m->rbps == SLA_LIMIT_MAX && m->wbps == SLA_LIMIT_MAX)
				continue;
			memset(&l->t[l->count], 0, sizeof(l->t[0]));
			memcpy(l->t[l->count].host, h->name, SLA_HOST_MAX);
			memcpy(l->t[l->count].device, h->device, SLA_DEV_MAX);
			l->t[l->count].limits = *m;
			l->count++;
		}
		len += sizeof(*l) + l->count * sizeof(l->t[0]);
		break;
	}
	case SLA_APP_STATUS: {
		struct sla_core_status *s = (void *)body;
		uint32_t max = sla_fit(room, sizeof(*s), sizeof(s->h[0]));

		if ((ret = sla_req_check(c, in, sizeof(struct sla_req), rep)))
			break;
		*s = st;
		s->count = 0;
		for (int i = 0; i < nhosts && s->count < max; i++) {
			struct host *h = &hosts[i];
			struct sla_host_status *o = &s->h[s->count++];

			memset(o, 0, sizeof(*o));
			memcpy(o->host, h->name, SLA_HOST_MAX);
			memcpy(o->device, h->device, SLA_DEV_MAX);
			o->flags = (h->violated_since ? SLA_HOST_VIOLATED : 0) |
				   (h->limits.riops != SLA_LIMIT_MAX ? SLA_HOST_THROTTLED : 0) |
				   (h->w.count ? 0 : SLA_HOST_NO_DATA);
			o->violations = h->violations;
			o->lat_mean_us = h->w.lat_mean_us;
			o->riops = h->w.riops;
			o->wiops = h->w.wiops;
			o->rbps = h->w.rbps;
			o->wbps = h->w.wbps;
			o->violated_since_ns = h->violated_since;
		}
		len += sizeof(*s) + s->count * sizeof(s->h[0]);
		break;
	}
	default:
		sla_rep_err(rep, "unknown opcode 0x%x", c->opcode);
		ret = -EOPNOTSUPP;
	}
	if (ret)
		len = sizeof(*rep);
	app_complete(c, ret, len);
}

static void take_app(void)
{
	struct mbx_call c;

	while (taking && mailbox_take(&mb_app, MBX_WAIT_NONBLOCK, 0, &c) == 0) {
		if (c.flags & MBX_CALL_REDELIVERED)
			sla_log("app call %llu delivered again (its taker died)",
				(unsigned long long)c.call_id);
		serve_app(&c);
	}
}

static void tick(void)
{
	struct sla_req q;
	struct pend *p;

	if (draining || !evaluating || collect_out)
		return;
	round_no++;
	sla_req_init(&q, 0);
	p = call(&mb_mon, SLA_MON_COLLECT, &q, sizeof(q), K_COLLECT);
	if (p) {
		p->round = round_no;
		collect_out = 1;
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sla-core [options]\n"
		"  -C, --config FILE      the configuration file: the mailboxes' names and\n"
		"                         the hosts' SLAs (each stored at start for a host\n"
		"                         the database has no SLA for)\n"
		"  -i, --interval-ms MS   evaluation interval (100..60000, default 1000)\n"
		"  -s, --state DIR        its lock and generation files (default /run/sla)\n"
		"  -n, --dry-run          decide and log, never send a throttle\n"
		"  -P, --pid-file FILE    write the pid to FILE once running (taking calls)\n"
		"Signals: SIGTERM stops after finishing the calls in flight; SIGUSR2\n"
		"stops taking and hands over to an sla-core waiting beside it.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'C' },
		{ "interval-ms", required_argument, NULL, 'i' },
		{ "state", required_argument, NULL, 's' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "pid-file", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct sigaction sa = { .sa_handler = on_signal };
	const char *pidfile = NULL;
	int64_t drain_deadline = 0;
	struct sla_conf *conf = NULL;
	int opt, ret, na;
	uint64_t v;

	sla_prog = "sla-core";
	while ((opt = getopt_long(argc, argv, "C:i:s:nP:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'C':
			conf = sla_cfg_load(sla_prog, optarg);
			break;
		case 'i':
			if (sla_parse_u64(optarg, &v) || v < 100 || v > 60000) {
				fprintf(stderr, "sla-core: --interval-ms: '%s' is not 100..60000\n", optarg);
				return 2;
			}
			interval_ns = v * 1000000LL;
			break;
		case 's':
			state_dir = optarg;
			break;
		case 'n':
			dry_run = 1;
			break;
		case 'P':
			pidfile = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);

	take_lock_fd = lock_file("core.take.lock");
	eval_lock_fd = lock_file("core.eval.lock");
	if (take_lock_fd < 0 || eval_lock_fd < 0)
		return 1;
	if ((ret = sla_mb_open(&mb_db, SLA_MB_DB, MBX_ACCESS_READ | MBX_ACCESS_WRITE, 30000)) < 0 ||
	    (ret = sla_mb_open(&mb_mon, SLA_MB_MON, MBX_ACCESS_READ | MBX_ACCESS_WRITE, 30000)) < 0) {
		sla_log("open the mailboxes: %s", strerror(-ret));
		return 1;
	}
	ret = sla_mb_serve(&mb_app, SLA_MB_APP, SLA_APP_NSLOTS, SLA_APP_SLOT_SIZE);
	if (ret < 0) {
		sla_log("mailbox %s: %s", SLA_MB_APP, strerror(-ret));
		return 1;
	}
	if (flock(take_lock_fd, LOCK_EX | LOCK_NB) < 0) {
		sla_log("standby: another sla-core runs; waiting for it to hand over");
		while (flock(take_lock_fd, LOCK_EX) < 0 && errno == EINTR && !sig_stop)
			;
		if (sig_stop)
			return 0;
		sla_log("taking %s calls: the old sla-core stopped taking", SLA_MB_APP);
	}
	/* the SLAs before the first "sla-app" call: a list or a create needs them */
	load_slas();
	if (conf)
		put_file_slas(conf);
	taking = 1;
	st.pid = getpid();
	st.started_ns = sla_now_ns();
	st.interval_ms = interval_ns / 1000000;
	sla_write_pidfile(pidfile);

	next_tick = sla_mono_ns();
	for (;;) {
		struct pollfd fds[3] = {
			{ .fd = mailbox_fd(&mb_app), .events = taking ? POLLIN : 0 },
			{ .fd = mailbox_fd(&mb_db), .events = MAILBOX_READY_REPLY },
			{ .fd = mailbox_fd(&mb_mon), .events = MAILBOX_READY_REPLY },
		};
		int64_t now = sla_mono_ns(), wait_ms;

		if (!evaluating && !draining && flock(eval_lock_fd, LOCK_EX | LOCK_NB) == 0) {
			/* the previous run is gone: its calls are ours */
			st.generation = next_generation();
			na = adopt(&mb_db) + adopt(&mb_mon);
			sla_log("generation %u, pid %d: %d call(s) of a previous run to adopt",
				st.generation, (int)getpid(), na);
			load_slas();	/* again: the previous run may have changed some */
			load_limits();
			if (na)
				adopt_throttles_unrecorded();
			evaluating = 1;
			next_tick = now;
		}
		if (sig_stop && !draining) {
			sig_drain = 1;
		}
		if (sig_drain && !draining) {
			draining = 1;
			taking = 0;
			flock(take_lock_fd, LOCK_UN);
			drain_deadline = now + 10000000000LL;
			sla_log("draining: no longer taking; %d call(s) in flight", pend_count());
		}
		if (draining && (pend_count() == 0 || now > drain_deadline))
			break;
		if (evaluating && now >= next_tick) {
			tick();
			next_tick += interval_ns;
			if (next_tick < now)
				next_tick = now + interval_ns;
		}
		wait_ms = evaluating ? (next_tick - now) / 1000000 + 1 : 100;
		if (wait_ms > 100)
			wait_ms = 100;	/* adopted calls are polled */
		ret = poll(fds, 3, wait_ms);
		if (ret < 0 && errno != EINTR)
			break;
		collect_ready(&mb_db);
		collect_ready(&mb_mon);
		collect_adopted();
		if (taking)
			take_app();
	}
	sla_log("stopped: %llu evaluations, %llu throttles sent, %llu modified, "
		"%llu withdrawn, %llu calls adopted, %d left in flight",
		(unsigned long long)st.evaluations, (unsigned long long)st.throttles_sent,
		(unsigned long long)st.throttles_modified,
		(unsigned long long)st.throttles_withdrawn,
		(unsigned long long)st.calls_adopted, pend_count());
	mailbox_close(&mb_app);
	mailbox_close(&mb_db);
	mailbox_close(&mb_mon);
	return 0;
}
