// SPDX-License-Identifier: GPL-2.0
/*
 * mailbox-demo: an SLA server for storage I/O control in four processes
 * that talk through three mailboxes.
 *
 *   application server --sla.core--> SLA core --sla.pm--> performance
 *          |                            |                 monitor daemon
 *          +--------sla.db------------->+--sla.db--> database manager
 *
 * The performance monitor daemon (pmd) serves sla.pm: it measures the
 * LUNs behind simulated I/O gateways and throttles them on request. The
 * database manager serves sla.db: it keeps the samples. The SLA core
 * serves sla.core and, in one poll loop, keeps calls in flight to the pmd
 * and the database at the same time (two-step calls: it submits and goes
 * on; replies come back through poll). The application server sets the
 * SLAs and asks for reports.
 *
 * Half way through, the pmd crashes while it holds a call. The supervisor
 * restarts it; the call it held is redelivered to the new pmd, so the SLA
 * core loses nothing and is told (MBX_EVENT_CALLEE_DIED). At the end the
 * demonstration checks that every call was answered exactly once and
 * prints what /proc/driver/mailbox shows.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mailbox.h"

#define NLUNS		4
#define ROUNDS		24
#define CRASH_AT	37	/* the pmd dies holding its 37th call */

enum { PM_STATS = 1, PM_THROTTLE, DB_STORE, DB_QUERY, CORE_SET_SLA,
       CORE_REPORT, CORE_STOP };

struct lun_req { uint32_t lun, value; };
struct stats_rep { uint32_t lun, iops, latency_us, limit; };
struct store_req { uint32_t lun, round, iops, latency_us; };
struct query_rep { uint32_t samples, avg_latency_us, max_latency_us, pad; };
struct report_rep { struct { uint32_t target_us, latency_us, limit, met; } lun[NLUNS]; };

static const uint32_t demand[NLUNS] = { 800, 1500, 6000, 1000 };
static const char *const boxes[] = { "sla.pm", "sla.db", "sla.core" };

static void die(const char *what, int err)
{
	fprintf(stderr, "mailbox-demo: %s: %s\n", what, strerror(-err));
	exit(1);
}

static void open_box(struct mailbox *mb, const char *name)
{
	int ret = mailbox_open(mb, name, MBX_ACCESS_READ | MBX_ACCESS_WRITE,
			       MBX_OPEN_CLOEXEC);

	if (ret)
		die(name, ret);
}

/* A latency model: the shared backend slows down with the total load. */
static uint32_t latency_us(const uint32_t *limit)
{
	uint32_t total = 0;

	for (int i = 0; i < NLUNS; i++)
		total += demand[i] < limit[i] ? demand[i] : limit[i];
	return 100 + total / 10;
}

/* Performance monitor daemon: serves sla.pm. Its throttles live in the
 * gateways, here in the call plane's answers, so a restart keeps none. */
static void pmd(bool crash)
{
	static uint32_t limit[NLUNS] = { ~0u, ~0u, ~0u, ~0u };
	struct mailbox pm;
	struct mbx_call c = { 0 };	/* the call to answer (call_id 0: none) */
	uint32_t done_len = 0;
	int served = 0, ret;

	open_box(&pm, "sla.pm");
	for (;;) {
		ret = mailbox_complete_take(&pm, &c, 0, done_len, 0, 0, &c);
		if (ret < 0)
			die("pmd take", ret);
		if (crash && ++served == CRASH_AT)
			raise(SIGKILL);	/* holding call c */
		struct lun_req *rq = mailbox_call_plane(&pm, c.slot);
		struct stats_rep *rp = mailbox_reply_plane(&pm, c.slot);

		if (c.opcode == PM_THROTTLE)
			limit[rq->lun % NLUNS] = rq->value;
		rp->lun = rq->lun;
		rp->limit = limit[rq->lun % NLUNS];
		rp->iops = demand[rq->lun % NLUNS] < rp->limit ?
			   demand[rq->lun % NLUNS] : rp->limit;
		rp->latency_us = latency_us(limit);
		done_len = sizeof(*rp);
	}
}

/* Database manager: serves sla.db. */
static void dbm(void)
{
	uint32_t samples[NLUNS] = { 0 }, max[NLUNS] = { 0 };
	uint64_t sum[NLUNS] = { 0 };
	struct mailbox db;
	struct mbx_call c = { 0 };	/* the call to answer (call_id 0: none) */
	uint32_t done_len = 0;
	int ret;

	open_box(&db, "sla.db");
	for (;;) {
		ret = mailbox_complete_take(&db, &c, 0, done_len, 0, 0, &c);
		if (ret < 0)
			die("dbm take", ret);
		done_len = 0;
		if (c.opcode == DB_STORE) {
			struct store_req *rq = mailbox_call_plane(&db, c.slot);
			uint32_t l = rq->lun % NLUNS;

			samples[l]++;
			sum[l] += rq->latency_us;
			if (rq->latency_us > max[l])
				max[l] = rq->latency_us;
		} else {
			struct lun_req *rq = mailbox_call_plane(&db, c.slot);
			struct query_rep *rp = mailbox_reply_plane(&db, c.slot);
			uint32_t l = rq->lun % NLUNS;

			rp->samples = samples[l];
			rp->avg_latency_us = samples[l] ? sum[l] / samples[l] : 0;
			rp->max_latency_us = max[l];
			done_len = sizeof(*rp);
		}
	}
}

/* Submit a call of @len bytes from @req; the slot is acquired here. */
static uint64_t call(struct mailbox *mb, uint32_t opcode, const void *req,
		     uint32_t len, uint64_t user_data)
{
	struct mbx_call c = {
		.opcode = opcode,
		.len = len,
		.user_data = user_data,
	};
	int slot, ret;

	slot = mailbox_acquire(mb, 0, MBX_ACQUIRE_ANY, 0, NULL);
	if (slot < 0)
		die("acquire", slot);
	c.slot = slot;
	memcpy(mailbox_call_plane(mb, slot), req, len);
	ret = mailbox_submit(mb, &c);
	if (ret)
		die("submit", ret);
	return c.call_id;
}

/* SLA core: serves sla.core, calls sla.pm and sla.db, in one poll loop. */
static void core(void)
{
	uint32_t target[NLUNS] = { 0 }, lat[NLUNS] = { 0 };
	uint32_t limit[NLUNS] = { ~0u, ~0u, ~0u, ~0u };
	struct mailbox pm, db, sc;
	unsigned int inflight = 0, round = 0, answered = 0, submitted = 0;
	unsigned int died = 0, slas = 0;
	bool stop = false;

	open_box(&pm, "sla.pm");
	open_box(&db, "sla.db");
	open_box(&sc, "sla.core");

	while (!stop || inflight) {
		struct pollfd pfd[3] = {
			{ mailbox_fd(&sc), MAILBOX_READY_CALL, 0 },
			{ mailbox_fd(&pm), MAILBOX_READY_REPLY | MAILBOX_READY_EVENT, 0 },
			{ mailbox_fd(&db), MAILBOX_READY_REPLY, 0 },
		};
		struct mbx_call c;

		/*
		 * A new round of measurements when the last one is in, once
		 * the application server has set every LUN's SLA.
		 */
		if (!inflight && round < ROUNDS && !stop && slas == NLUNS) {
			for (uint32_t l = 0; l < NLUNS; l++) {
				struct lun_req rq = { l, 0 };

				call(&pm, PM_STATS, &rq, sizeof(rq), l);
				inflight++;
				submitted++;
			}
			round++;
		}
		if (poll(pfd, 3, -1) < 0 && errno != EINTR)
			die("poll", -errno);

		if (pfd[1].revents & MAILBOX_READY_EVENT) {
			struct mbx_event ev[8];
			int n = mailbox_events(&pm, ev, 8);

			if (n < 0)
				die("events", n);
			for (int i = 0; i < n; i++)
				if (ev[i].type == MBX_EVENT_CALLEE_DIED) {
					died++;
					printf("sla-core: the pmd died holding call %llu (slot %u): %s\n",
					       (unsigned long long)ev[i].call_id, ev[i].slot,
					       ev[i].status ? "failed" : "redelivered");
				}
		}
		/* Replies of the pmd: store the sample, throttle if needed. */
		while (mailbox_collect(&pm, NULL, MBX_WAIT_NONBLOCK, 0,
				       &c) == 0) {
			struct stats_rep rp = *(struct stats_rep *)
				mailbox_reply_plane(&pm, c.slot);
			struct store_req st = { rp.lun, round, rp.iops, rp.latency_us };

			mailbox_release(&pm, c.slot);
			inflight--;
			answered++;
			lat[rp.lun % NLUNS] = rp.latency_us;
			if (c.opcode == PM_STATS) {
				call(&db, DB_STORE, &st, sizeof(st), 0);
				inflight++;
				submitted++;
			}
			/* Best-effort LUNs (no target) give way to the others. */
			if (c.opcode == PM_STATS && rp.lun == NLUNS - 1) {
				bool missed = false;

				for (int l = 0; l < NLUNS; l++)
					if (target[l] && lat[l] > target[l])
						missed = true;
				for (uint32_t l = 0; missed && l < NLUNS; l++) {
					if (target[l])
						continue;
					struct lun_req rq;

					limit[l] = limit[l] == ~0u ? demand[l] / 2 : limit[l] / 2;
					rq = (struct lun_req){ l, limit[l] };
					call(&pm, PM_THROTTLE, &rq, sizeof(rq), l);
					inflight++;
					submitted++;
				}
			}
		}
		while (mailbox_collect(&db, NULL, MBX_WAIT_NONBLOCK, 0,
				       &c) == 0) {
			mailbox_release(&db, c.slot);
			inflight--;
			answered++;
		}
		/* Calls from the application server. */
		while (mailbox_take(&sc, MBX_WAIT_NONBLOCK, 0, &c) == 0) {
			struct lun_req *rq = mailbox_call_plane(&sc, c.slot);
			uint32_t len = 0;

			if (c.opcode == CORE_SET_SLA) {
				target[rq->lun % NLUNS] = rq->value;
				slas++;
			} else if (c.opcode == CORE_REPORT) {
				struct report_rep *rp = mailbox_reply_plane(&sc, c.slot);

				for (int l = 0; l < NLUNS; l++) {
					rp->lun[l].target_us = target[l];
					rp->lun[l].latency_us = lat[l];
					rp->lun[l].limit = limit[l];
					rp->lun[l].met = !target[l] || lat[l] <= target[l];
				}
				len = sizeof(*rp);
			} else if (c.opcode == CORE_STOP) {
				stop = true;
			}
			mailbox_complete(&sc, &c, 0, len);
		}
	}
	printf("sla-core: %u calls submitted to the pmd and the database, %u answered, %u callee death(s) seen\n",
	       submitted, answered, died);
	exit(submitted == answered ? 0 : 1);
}

/* Application server: sets the SLAs, waits, asks for reports. */
static void app(void)
{
	static const uint32_t targets[NLUNS] = { 500, 800, 0, 600 };
	struct mailbox sc, db;
	struct mbx_call c;
	int ret;

	open_box(&sc, "sla.core");
	open_box(&db, "sla.db");
	for (uint32_t l = 0; l < NLUNS; l++) {
		struct lun_req rq = { l, targets[l] };

		call(&sc, CORE_SET_SLA, &rq, sizeof(rq), l);
		ret = mailbox_collect(&sc, NULL, 0, 0, &c);
		if (ret)
			die("app collect", ret);
		mailbox_release(&sc, c.slot);
	}
	/* Wait for the measurements to settle: ask the database. */
	for (;;) {
		struct lun_req rq = { 0, 0 };
		struct query_rep rp;

		call(&db, DB_QUERY, &rq, sizeof(rq), 0);
		ret = mailbox_collect(&db, NULL, 0, 0, &c);
		if (ret)
			die("app collect", ret);
		rp = *(struct query_rep *)mailbox_reply_plane(&db, c.slot);
		mailbox_release(&db, c.slot);
		if (rp.samples >= ROUNDS)
			break;
		usleep(20000);
	}
	call(&sc, CORE_REPORT, NULL, 0, 0);
	ret = mailbox_collect(&sc, NULL, 0, 0, &c);
	if (ret)
		die("app collect", ret);
	struct report_rep r = *(struct report_rep *)mailbox_reply_plane(&sc, c.slot);

	mailbox_release(&sc, c.slot);
	printf("app-server: SLA report after %d rounds\n", ROUNDS);
	printf("  LUN  demand  target_us  latency_us  limit   SLA\n");
	for (int l = 0; l < NLUNS; l++) {
		char lim[16], tgt[16];

		if (r.lun[l].limit == ~0u)
			snprintf(lim, sizeof(lim), "none");
		else
			snprintf(lim, sizeof(lim), "%u", r.lun[l].limit);
		if (r.lun[l].target_us)
			snprintf(tgt, sizeof(tgt), "%u", r.lun[l].target_us);
		else
			snprintf(tgt, sizeof(tgt), "-");
		printf("  %3d  %6u  %9s  %10u  %-6s  %s\n", l, demand[l], tgt,
		       r.lun[l].latency_us, lim,
		       r.lun[l].target_us ? (r.lun[l].met ? "met" : "MISSED") :
		       "best effort");
	}
	call(&sc, CORE_STOP, NULL, 0, 0);
	exit(0);
}

static pid_t spawn(void (*fn)(void))
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork", -errno);
	if (!pid)
		fn();
	return pid;
}

static void pmd_crashing(void) { pmd(true); }
static void pmd_steady(void) { pmd(false); }

int main(void)
{
	struct mailbox mb[3];
	pid_t pmd_pid, dbm_pid, core_pid, app_pid, pid;
	int status, ret, restarts = 0, core_status = -1;
	bool stopping = false;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 0; i < 3; i++) {
		mailbox_destroy(boxes[i]);	/* a stale one of an earlier run */
		ret = mailbox_create(&mb[i], boxes[i], 16, 256, 0600, 0, MBX_CREATE_CLOEXEC);
		if (ret)
			die(boxes[i], ret);
	}
	printf("mailbox-demo: an SLA server in four processes over three mailboxes (16 slots of 256 bytes)\n");

	pmd_pid = spawn(pmd_crashing);
	dbm_pid = spawn(dbm);
	core_pid = spawn(core);
	app_pid = spawn(app);

	/* The supervisor: restart the pmd when it dies; stop at the end. */
	while ((pid = wait(&status)) > 0) {
		if (pid == pmd_pid && WIFSIGNALED(status) && !stopping) {
			printf("supervisor: the pmd was killed by signal %d; restarting it\n",
			       WTERMSIG(status));
			restarts++;
			pmd_pid = spawn(pmd_steady);
		} else if (pid == core_pid) {
			core_status = status;
			stopping = true;
			kill(pmd_pid, SIGTERM);
			kill(dbm_pid, SIGTERM);
		} else if (pid == app_pid && (!WIFEXITED(status) || WEXITSTATUS(status))) {
			fprintf(stderr, "mailbox-demo: the application server failed\n");
			kill(core_pid, SIGTERM);
		}
	}

	printf("\n/proc/driver/mailbox:\n");
	fflush(stdout);
	system("grep '^box' /proc/driver/mailbox | sed 's/^/  /'");
	struct mbx_stats_args st;

	mailbox_stats(&mb[0], &st);
	printf("\nsla.pm: %llu calls, %llu redelivered after %d restart(s), %llu completed\n",
	       (unsigned long long)st.out_submitted,
	       (unsigned long long)st.out_redelivered, restarts,
	       (unsigned long long)st.out_completed);
	for (int i = 0; i < 3; i++) {
		mailbox_close(&mb[i]);
		mailbox_destroy(boxes[i]);
	}
	if (core_status != 0 || st.out_submitted != st.out_completed) {
		printf("mailbox-demo: FAILED: a call was lost or the SLA core failed\n");
		return 1;
	}
	printf("mailbox-demo: every call answered exactly once\n");
	return 0;
}
