// SPDX-License-Identifier: GPL-2.0
/*
 * The configuration file's tests: the example file loads with the values
 * it says; defaults; then one error per file, each refused with -EINVAL and
 * a message "FILE:LINE: ..." naming the line at fault (or "FILE: ..." for
 * what no line holds).  Prints "ok - ..." / "not ok - ..." lines.
 *
 *   conf_test EXAMPLE_FILE
 */
#include "slaconf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failed;
static char file[4096];

static void __attribute__((format(printf, 2, 3))) ok(bool cond,
						       const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", cond ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	failed += !cond;
}

static void write_file(const char *text)
{
	FILE *f = fopen(file, "w");

	if (!f || fputs(text, f) < 0 || fclose(f)) {
		perror(file);
		exit(1);
	}
}

/* A valid base that each error case changes in one place. */
#define DB "[database]\naddress = sqlite:/tmp/x.db\n"
#define GW "[gateway s1]\nurl = http://127.0.0.1:8081\n"
#define DEV "[device d0]\nid = 252:0\n"
#define HOST "[host gold]\ngateway = s1\ncgroup = sla/gold\ndevices = d0\n"

static const struct bad {
	const char *what;
	const char *text;
	int line;		/* 0: the message names no line */
	const char *says;
} bad[] = {
	{ "a line that is not INI", DB "this is not a key\n", 3,
	  "not a section header" },
	{ "a section header left open", DB "[gateway s1\nurl = x\n", 3,
	  "not a section header" },
	{ "a key outside any section", "pool = 4\n" DB, 1,
	  "outside any section" },
	{ "an unknown section", DB "[storage]\nurl = x\n", 3,
	  "unknown section [storage]" },
	{ "an unknown key", DB "poll = 4\n", 3, "unknown key poll in [database]" },
	{ "a key given twice", DB "pool = 4\n\npool = 5\n", 5,
	  "pool given twice in [database] (first at line 3)" },
	{ "a second [database]", DB GW "[database]\npool = 2\n", 5,
	  "a second [database] section (the first at line 1)" },
	{ "a second [host gold]", DB GW DEV HOST HOST, 11,
	  "a second [host gold] (the first at line 7)" },
	{ "a pool of 0", DB "pool = 0\n", 3, "pool: \"0\" is not a number" },
	{ "a pool of 257", DB "pool = 257\n", 3, "from 1 to 256" },
	{ "a pool that is not a number", DB "pool = four\n", 3,
	  "pool: \"four\"" },
	{ "an address of no engine", "[database]\naddress = /var/lib/x.db\n", 2,
	  "not sqlite:PATH nor a PostgreSQL connection string" },
	{ "sqlite: without a path", "[database]\naddress = sqlite:\n", 2,
	  "sqlite: needs a path" },
	{ "a PostgreSQL string libpq refuses",
	  "[database]\naddress = host=/run/postgresql dbnam=sla\n", 2,
	  "invalid connection option \"dbnam\"" },
	{ "no [database]", GW, 0, "no [database] section" },
	{ "[database] without an address", "[database]\npool = 3\n", 1,
	  "[database] has no address" },
	{ "a bad mailbox name", DB "[mailboxes]\nmonitor = sla monitor\n", 4,
	  "monitor: \"sla monitor\" is not a mailbox name" },
	{ "two mailboxes of one name",
	  DB "[mailboxes]\nmonitor = sla-db\n", 0, "three names" },
	{ "a listen address without a port",
	  DB "[appserver]\nlisten = 127.0.0.1\n", 4, "not IPV4ADDRESS:PORT" },
	{ "a listen port of 65536",
	  DB "[appserver]\nlisten = 127.0.0.1:65536\n", 4, "not IPV4ADDRESS:PORT" },
	{ "a gateway URL of another scheme",
	  DB "[gateway s1]\nurl = ftp://10.0.0.1/\n", 4,
	  "the scheme must be http or https" },
	{ "a gateway URL libcurl cannot parse",
	  DB "[gateway s1]\nurl = http://[::1\n", 4, "url: \"http://[::1\"" },
	{ "a gateway without a url", DB "[gateway s1]\nroot = /sys/fs/cgroup\n", 3,
	  "[gateway s1] has no url" },
	{ "a relative cgroup root", DB "[gateway s1]\nroot = sys/fs/cgroup\n", 4,
	  "not an absolute path" },
	{ "a device id that is not MAJ:MIN", DB "[device d0]\nid = 252-0\n", 4,
	  "id: \"252-0\" is not MAJ:MIN" },
	{ "a section name with a space", DB "[host gold star]\ngateway = s1\n", 3,
	  "a host name is 1 to 255 characters" },
	{ "a host on an unknown gateway",
	  DB GW DEV "[host gold]\ngateway = s2\ncgroup = g\ndevices = d0\n", 8,
	  "gateway: no [gateway s2] in the file" },
	{ "a host on an unknown device",
	  DB GW DEV "[host gold]\ngateway = s1\ncgroup = g\n\ndevices = d0 d1\n",
	  11, "devices: no [device d1] in the file" },
	{ "a device listed twice",
	  DB GW DEV "[host gold]\ngateway = s1\ncgroup = g\ndevices = d0, d0\n",
	  10, "devices: d0 listed twice" },
	{ "a host without a cgroup",
	  DB GW DEV "[host gold]\ngateway = s1\ndevices = d0\n", 7,
	  "[host gold] has no cgroup" },
	{ "a cgroup with ..", DB GW DEV "[host gold]\ncgroup = sla/../x\n", 8,
	  "cgroup: \"sla/../x\" is not a cgroup name" },
	{ "two hosts on one cgroup",
	  DB GW DEV HOST "[host batch]\ngateway = s1\n\ncgroup = sla/gold\n"
	  "devices = d0\n", 14, "cgroup: sla/gold on gateway s1 is [host gold]'s" },
	{ "a negative latency ceiling", DB GW DEV HOST "lat_ceiling_us = -5\n", 11,
	  "lat_ceiling_us: \"-5\" is not a finite number >= 0" },
	{ "an infinite floor", DB GW DEV HOST "iops_floor = inf\n", 11,
	  "iops_floor: \"inf\"" },
	{ "a priority past int32", DB GW DEV HOST "priority = 2147483648\n", 11,
	  "priority: \"2147483648\"" },
	{ "a cap of 0", DB GW DEV HOST "cap_iops = 0\n", 11,
	  "cap_iops: \"0\" is not an integer from 1" },
	{ "a cap of MAX", DB GW DEV HOST "cap_bps = MAX\n", 11, "cap_bps: \"MAX\"" },
	{ "a cap below the floor", DB GW DEV HOST "iops_floor = 500\ncap_iops = 100\n",
	  12, "cap_iops 100 is below [host gold]'s iops_floor 500" },
	{ "a bandwidth cap below its floor",
	  DB GW DEV HOST "cap_bps = 4096\nbps_floor = 8192\n",
	  11, "cap_bps 4096 is below [host gold]'s bps_floor 8192" },
	{ "a key with no value", DB "pool =\n", 3, "pool: no value" },
	{ "a section with no keys", DB "[gateway s1]\n\n[device d0]\nid = 1:2\n", 3,
	  "a section with no keys" },
	{ "a section with no keys at the end", DB "[device d0]\n", 3,
	  "a section with no keys" },
	{ "an indented continuation line", DB "pool = 4\n  5\n", 4,
	  "not a section header" },
	{ "an indented key is a key of its own", DB "pool = 4\n  pool = 5\n", 4,
	  "pool given twice" },
};

static void test_bad(const struct bad *b)
{
	struct sla_conf *c = (void *)1;
	char err[640], want[4200];
	int ret;

	write_file(b->text);
	ret = sla_conf_load(file, &c, err, sizeof(err));
	if (b->line)
		snprintf(want, sizeof(want), "%s:%d: ", file, b->line);
	else
		snprintf(want, sizeof(want), "%s: ", file);
	ok(ret == -EINVAL && !c && !strncmp(err, want, strlen(want)) &&
	   strstr(err, b->says), "%s: refused, line %d (%s)", b->what,
	   b->line, err);
}

static void test_example(const char *example)
{
	const struct sla_conf_host *gold, *batch;
	struct sla_conf *c;
	char err[640];
	int ret;

	ret = sla_conf_load(example, &c, err, sizeof(err));
	ok(ret == 0, "the example file loads (%s)", err);
	if (ret)
		return;
	ok(!strcmp(c->db_address, "sqlite:/var/lib/sla/sla.db") &&
	   c->db_pool == 4, "its database and pool");
	ok(!strcmp(c->mb_database, "sla-db") && !strcmp(c->mb_monitor, "sla-mon") &&
	   !strcmp(c->mb_appserver, "sla-app"),
	   "its mailboxes, inline comments cut off");
	ok(c->ngateways == 1 && !strcmp(c->gateways[0].url, "http://127.0.0.1:8081") &&
	   !strcmp(c->gateways[0].root, "/sys/fs/cgroup"), "its gateway");
	gold = sla_conf_host(c, "gold");
	batch = sla_conf_host(c, "batch");
	ok(gold && gold->lat_ceiling_us == 12000 && gold->iops_floor == 40 &&
	   gold->priority == 10 && gold->cap_iops == SLA_CONF_MAX &&
	   !strcmp(gold->cgroup, "sla.slice/gold.service") && gold->ndevices == 1 &&
	   !strcmp(c->devices[gold->devices[0]].id, "252:0") &&
	   !strcmp(c->gateways[gold->gateway].name, "storage1"),
	   "gold's SLA, cgroup, device and gateway");
	ok(batch && batch->priority == 0 && batch->lat_ceiling_us == 0 &&
	   batch->cap_iops == SLA_CONF_MAX, "batch's SLA");
	ok(!sla_conf_host(c, "silver") && sla_conf_gateway(c, "storage1") &&
	   !sla_conf_gateway(c, "storage2"), "look-ups by name");
	sla_conf_free(c);
}

static void test_defaults(void)
{
	struct sla_conf *c;
	char err[640];
	int ret;

	write_file("; only the database\n[database]\n"
		   "address = postgresql://sla@db.example:5433/sla\n"
		   DEV "[device d1]\nid = 8:16\n" GW
		   "[host h]\ngateway = s1\ncgroup = a/b\ndevices = d1,d0\n"
		   "cap_iops = 300\niops_floor = 300\ncap_bps = 9223372036854775807\n");
	ret = sla_conf_load(file, &c, err, sizeof(err));
	ok(ret == 0, "a PostgreSQL address, defaults elsewhere (%s)", err);
	if (ret)
		return;
	ok(c->db_pool == 4 && !strcmp(c->appserver_listen, "127.0.0.1:8080") &&
	   !strcmp(c->mb_database, "sla-db") && !c->gateways[0].listen,
	   "the defaults: pool 4, 127.0.0.1:8080, sla-db");
	ok(c->hosts[0].ndevices == 2 &&
	   !strcmp(c->devices[c->hosts[0].devices[0]].id, "8:16") &&
	   c->hosts[0].cap_iops == 300 &&
	   c->hosts[0].cap_bps == 9223372036854775807ull,
	   "devices in the order given; a floor equal to the cap; the largest cap");
	sla_conf_free(c);

	ret = sla_conf_load("/nonexistent/sla.conf", &c, err, sizeof(err));
	ok(ret == -ENOENT && strstr(err, "/nonexistent/sla.conf: No such file"),
	   "a missing file: -ENOENT, and its name (%s)", err);
}

static void test_long_line(void)
{
	char text[1200];
	struct sla_conf *c;
	char err[640];

	snprintf(text, sizeof(text), DB "[gateway s1]\nurl = http://h/%0900d\n", 0);
	write_file(text);
	ok(sla_conf_load(file, &c, err, sizeof(err)) == -EINVAL &&
	   strstr(err, ":4: line longer than"),
	   "a line past inih's buffer: refused at its line (%s)", err);
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/slaconf-test.XXXXXX";

	if (argc != 2) {
		fprintf(stderr, "usage: conf_test EXAMPLE_FILE\n");
		return 2;
	}
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(file, sizeof(file), "%s/sla.conf", dir);
	test_example(argv[1]);
	test_defaults();
	test_long_line();
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		test_bad(&bad[i]);
	unlink(file);
	rmdir(dir);
	return failed ? 1 : 0;
}
