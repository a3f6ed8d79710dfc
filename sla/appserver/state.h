/* SPDX-License-Identifier: GPL-2.0 */
/*
 * state: what the web page and the terminal view show, kept fresh by
 * two-step calls that the event loop starts every refresh interval, and
 * given as JSON from memory: a GET never waits for sla-core or sla-dbm.
 * Each part carries the age of its last answer and the last error, so a
 * stopped or restarting process shows as stale data, not as a hang.
 */
#ifndef SLA_APP_STATE_H
#define SLA_APP_STATE_H

#include <stdint.h>

#include <json-c/json.h>

#include "calls.h"

struct state_opts {
	int64_t refresh_ns;	/* how often to ask */
	int64_t history_ns;	/* how far back the charts go */
	uint32_t points;	/* points per chart */
	int64_t call_timeout_ns;
};

/* The three mailboxes: [0] sla-app, [1] sla-db, [2] sla-mon. */
enum { BOX_APP, BOX_DB, BOX_MON, NR_BOXES };

void state_init(struct box *boxes, const struct state_opts *o);
/* Start the calls that are due; returns when it wants to run next. */
int64_t state_tick(int64_t now);

/* GET /api/v1/state: everything the page shows. */
struct json_object *state_json(void);
/* GET /api/v1/series?host=H[&device=D]: NULL when there is none. */
struct json_object *state_series_json(const char *host, const char *device);
/* GET /api/v1/mailboxes: the inspection of the three mailboxes. */
struct json_object *state_mailboxes_json(void);
/* The server's own request counters, shown in the state. */
extern uint64_t http_requests, http_errors;

#endif
