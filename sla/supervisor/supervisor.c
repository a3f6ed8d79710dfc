// SPDX-License-Identifier: GPL-2.0
/*
 * sla-supervisor: starts the SLA server's processes, restarts any that
 * dies, and watches the mailboxes through their inspection: a callee that
 * leaves calls pending too long (it no longer takes) or holds one taken
 * too long (stuck in it) is killed, and so restarted; the calls wait in
 * the mailbox for its next run (a taken one is delivered again).
 *
 * SIGUSR1 stages an upgrade of the process named by -u (sla-core): a new
 * one is started beside the old one (it waits, standby), the old one gets
 * SIGUSR2 (it stops taking, finishes what it holds, exits 0), and the new
 * one takes over; the old one's exit is not a death.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/slacfg.h"
#include "../common/slautil.h"

#define MAX_PROCS	8

struct proc {
	char name[32];
	const char *cmd;
	pid_t pid;
	pid_t old_pid;			/* upgrading: the one draining */
	int64_t started_ns;
	unsigned int restarts, kills;
	char box[MBX_NAME_MAX];		/* the mailbox it serves ("": none) */
	int64_t backoff_ns;
};

static struct proc procs[MAX_PROCS];
static int nprocs;
static const char *upgrade_name = "sla-core";
static int64_t stuck_ns = 8000000000LL;
static volatile sig_atomic_t sig_stop, sig_upgrade, sig_child;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		sig_upgrade = 1;
	else if (sig == SIGCHLD)
		sig_child = 1;
	else
		sig_stop = 1;
}

static pid_t spawn(struct proc *p)
{
	pid_t pid = fork();

	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGUSR1, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		execl("/bin/sh", "sh", "-c", p->cmd, (char *)NULL);
		_exit(127);
	}
	if (pid < 0) {
		sla_log("fork for %s: %s", p->name, strerror(errno));
		return -1;
	}
	p->started_ns = sla_mono_ns();
	return pid;
}

static void start(struct proc *p, const char *why)
{
	p->pid = spawn(p);
	if (p->pid > 0)
		sla_log("start %s: pid %d%s%s", p->name, (int)p->pid, why ? ": " : "",
			why ? why : "");
}

static void reap(void)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		char how[64];

		if (WIFSIGNALED(status))
			snprintf(how, sizeof(how), "killed by signal %d", WTERMSIG(status));
		else
			snprintf(how, sizeof(how), "exited with status %d", WEXITSTATUS(status));
		for (int i = 0; i < nprocs; i++) {
			struct proc *p = &procs[i];

			if (pid == p->old_pid) {
				sla_log("upgrade of %s: the old one (pid %d) %s after draining",
					p->name, (int)pid, how);
				p->old_pid = 0;
				break;
			}
			if (pid != p->pid)
				continue;
			p->pid = 0;
			if (sig_stop)
				break;
			p->restarts++;
			/* one that dies at once is restarted a little later */
			if (sla_mono_ns() - p->started_ns < 2000000000LL)
				p->backoff_ns = p->backoff_ns ? p->backoff_ns * 2 : 200000000LL;
			else
				p->backoff_ns = 0;
			if (p->backoff_ns > 5000000000LL)
				p->backoff_ns = 5000000000LL;
			sla_log("%s (pid %d) %s: restart %u", p->name, (int)pid, how, p->restarts);
			break;
		}
	}
}

static void upgrade(void)
{
	for (int i = 0; i < nprocs; i++) {
		struct proc *p = &procs[i];
		pid_t old = p->pid;

		if (strcmp(p->name, upgrade_name))
			continue;
		if (!old || p->old_pid) {
			sla_log("upgrade of %s: not now (%s)", p->name,
				old ? "an upgrade is under way" : "not running");
			return;
		}
		p->pid = spawn(p);
		if (p->pid <= 0) {
			p->pid = old;
			return;
		}
		sla_log("upgrade of %s: new pid %d standing by; old pid %d told to drain",
			p->name, (int)p->pid, (int)old);
		/* the new one opens its mailboxes and waits on the lock first */
		sla_sleep_ns(300000000LL);
		p->old_pid = old;
		kill(old, SIGUSR2);
		return;
	}
	sla_log("upgrade: no process named %s", upgrade_name);
}

/* The mailbox's inspection: is its callee still taking? */
static void inspect(struct proc *p)
{
	struct mbx_stats_args s;
	struct mbx_slot_info *info;
	struct mailbox mb;
	int ret, stuck = 0;
	int64_t now = sla_mono_ns();

	if (!p->box[0] || !p->pid || p->old_pid ||
	    now - p->started_ns < stuck_ns)
		return;
	if (mailbox_open(&mb, p->box, MBX_ACCESS_READ, MBX_OPEN_CLOEXEC) < 0)
		return;
	if (mailbox_stats(&mb, &s) == 0 && s.out_pending &&
	    (int64_t)s.out_oldest_pending_ns > stuck_ns) {
		sla_log("%s: a call has waited %.1f s for %s: it no longer takes",
			p->box, s.out_oldest_pending_ns / 1e9, p->name);
		stuck = 1;
	}
	info = calloc(mb.nslots, sizeof(*info));
	if (!stuck && info && (ret = mailbox_slot_info(&mb, 0, mb.nslots, info)) > 0) {
		for (int i = 0; i < ret; i++)
			if (info[i].state == MBX_STATE_TAKEN && info[i].take_ns &&
			    (int64_t)(now - info[i].take_ns) > stuck_ns) {
				sla_log("%s: call %llu taken %.1f s ago by pid %u and not answered",
					p->box, (unsigned long long)info[i].call_id,
					(now - info[i].take_ns) / 1e9, info[i].callee_pid);
				stuck = 1;
				break;
			}
	}
	free(info);
	mailbox_close(&mb);
	if (stuck) {
		p->kills++;
		sla_log("killing %s (pid %d): stuck", p->name, (int)p->pid);
		kill(p->pid, SIGKILL);
		/* SIGSTOPped: SIGKILL ends it all the same */
	}
}

static void stop_all(void)
{
	int64_t end = sla_mono_ns() + 10000000000LL;

	for (int i = nprocs - 1; i >= 0; i--) {
		if (procs[i].pid > 0)
			kill(procs[i].pid, SIGTERM);
		if (procs[i].old_pid > 0)
			kill(procs[i].old_pid, SIGTERM);
		/* callers first: each waits for its callees */
		while (procs[i].pid > 0 && sla_mono_ns() < end) {
			int status;
			pid_t pid = waitpid(-1, &status, 0);

			for (int j = 0; j < nprocs && pid > 0; j++) {
				if (procs[j].pid == pid)
					procs[j].pid = 0;
				if (procs[j].old_pid == pid)
					procs[j].old_pid = 0;
			}
			if (pid < 0 && errno == ECHILD)
				break;
		}
	}
	for (int i = 0; i < nprocs; i++)
		if (procs[i].pid > 0)
			kill(procs[i].pid, SIGKILL);
	while (waitpid(-1, NULL, 0) > 0)
		;
}

/*
 * The server's four processes, each reading the configuration file, in
 * the order their mailboxes need: each callee before its callers.  The
 * path goes to their shell in the environment (SLA_CONF), so that no
 * character of it needs quoting.
 */
static int the_four(const char *conf_path)
{
	const struct { const char *prog, *box; } four[] = {
		{ "sla-dbm", SLA_MB_DB }, { "sla-monitor", SLA_MB_MON },
		{ "sla-core", SLA_MB_APP }, { "sla-appserver", "" },
	};

	if (setenv("SLA_CONF", conf_path, 1) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(four) / sizeof(four[0]); i++) {
		struct proc *p = &procs[nprocs++];
		char *cmd;

		snprintf(p->name, sizeof(p->name), "%s", four[i].prog);
		snprintf(p->box, sizeof(p->box), "%s", four[i].box);
		if (asprintf(&cmd, "exec %s -C \"$SLA_CONF\"", four[i].prog) < 0)
			return -1;
		p->cmd = cmd;
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sla-supervisor [options] -p NAME[@MAILBOX]=COMMAND...\n"
		"       sla-supervisor [options] -C FILE\n"
		"  -C, --config FILE      the configuration file: the mailboxes' names; with\n"
		"                         no -p, the four processes each with -C FILE\n"
		"                         (sla-dbm, sla-monitor, sla-core, sla-appserver)\n"
		"  -p, --process NAME[@MAILBOX]=COMMAND  a process (started in this order,\n"
		"                         stopped in the reverse one); MAILBOX: the one it\n"
		"                         serves, inspected for stuck calls\n"
		"  -u, --upgrade NAME     the process SIGUSR1 upgrades (default sla-core)\n"
		"  -s, --stuck-ms MS      a call pending or taken this long means stuck\n"
		"                         (default 8000)\n"
		"  -P, --pid-file FILE    write the pid to FILE once started\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'C' },
		{ "process", required_argument, NULL, 'p' },
		{ "upgrade", required_argument, NULL, 'u' },
		{ "stuck-ms", required_argument, NULL, 's' },
		{ "pid-file", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct sigaction sa = { .sa_handler = on_signal };
	const char *pidfile = NULL, *conf_path = NULL;
	int64_t next_inspect = 0;
	uint64_t v;
	int opt;

	sla_prog = "sla-supervisor";
	while ((opt = getopt_long(argc, argv, "C:p:u:s:P:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'C':
			sla_cfg_load(sla_prog, optarg);
			conf_path = optarg;
			break;
		case 'p': {
			const char *eq = strchr(optarg, '='), *at;
			struct proc *p = &procs[nprocs];
			size_t n;

			if (nprocs == MAX_PROCS || !eq || eq == optarg || !eq[1]) {
				fprintf(stderr, "sla-supervisor: -p: '%s' is not NAME[@MAILBOX]=COMMAND\n", optarg);
				return 2;
			}
			at = memchr(optarg, '@', eq - optarg);
			n = (at ? at : eq) - optarg;
			if (n >= sizeof(p->name) || (at && (size_t)(eq - at - 1) >= sizeof(p->box))) {
				fprintf(stderr, "sla-supervisor: -p: name too long\n");
				return 2;
			}
			memcpy(p->name, optarg, n);
			if (at)
				memcpy(p->box, at + 1, eq - at - 1);
			p->cmd = eq + 1;
			nprocs++;
			break;
		}
		case 'u':
			upgrade_name = optarg;
			break;
		case 's':
			if (sla_parse_u64(optarg, &v) || v < 100 || v > 600000) {
				fprintf(stderr, "sla-supervisor: --stuck-ms: '%s' is not 100..600000\n", optarg);
				return 2;
			}
			stuck_ns = v * 1000000LL;
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
	if (!nprocs && conf_path && the_four(conf_path) < 0)
		return 1;
	if (optind < argc || !nprocs) {
		usage(stderr);
		return 2;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	for (int i = 0; i < nprocs; i++) {
		start(&procs[i], NULL);
		/* each callee creates its mailbox before its callers look */
		sla_sleep_ns(200000000LL);
	}
	sla_write_pidfile(pidfile);
	while (!sig_stop) {
		int64_t now;

		sla_sleep_ns(50000000LL);
		reap();
		if (sig_upgrade) {
			sig_upgrade = 0;
			upgrade();
		}
		now = sla_mono_ns();
		for (int i = 0; i < nprocs && !sig_stop; i++)
			if (!procs[i].pid && now - procs[i].started_ns >= procs[i].backoff_ns)
				start(&procs[i], "restarted");
		if (now >= next_inspect) {
			for (int i = 0; i < nprocs; i++)
				inspect(&procs[i]);
			next_inspect = now + 1000000000LL;
		}
	}
	sla_log("stopping");
	stop_all();
	for (int i = 0; i < nprocs; i++)
		sla_log("%s: %u restart(s), %u killed as stuck", procs[i].name,
			procs[i].restarts, procs[i].kills);
	return 0;
}
