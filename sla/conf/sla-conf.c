// SPDX-License-Identifier: GPL-2.0
/*
 * sla-conf: check the SLA server's configuration file, or print it as the
 * processes will read it (every default filled in, references resolved).
 *
 *   sla-conf --check-config FILE    exit 0 and a summary, or 1 and the error
 *   sla-conf --dump FILE            one "section.key=value" line per setting
 */
#include "slaconf.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: sla-conf --check-config FILE\n"
		   "       sla-conf --dump FILE\n");
}

static void limit(const char *host, const char *key, uint64_t v)
{
	if (v == SLA_CONF_MAX)
		printf("host.%s.%s=max\n", host, key);
	else
		printf("host.%s.%s=%" PRIu64 "\n", host, key, v);
}

static void dump(const struct sla_conf *c)
{
	printf("database.address=%s\n", c->db_address);
	printf("database.pool=%u\n", c->db_pool);
	printf("mailboxes.database=%s\n", c->mb_database);
	printf("mailboxes.monitor=%s\n", c->mb_monitor);
	printf("mailboxes.appserver=%s\n", c->mb_appserver);
	printf("appserver.listen=%s\n", c->appserver_listen);
	for (size_t i = 0; i < c->ngateways; i++) {
		const struct sla_conf_gateway *g = &c->gateways[i];

		printf("gateway.%s.url=%s\n", g->name, g->url);
		printf("gateway.%s.listen=%s\n", g->name,
		       g->listen ? g->listen : "");
		printf("gateway.%s.root=%s\n", g->name, g->root);
	}
	for (size_t i = 0; i < c->ndevices; i++)
		printf("device.%s.id=%s\n", c->devices[i].name, c->devices[i].id);
	for (size_t i = 0; i < c->nhosts; i++) {
		const struct sla_conf_host *h = &c->hosts[i];

		printf("host.%s.gateway=%s\n", h->name,
		       c->gateways[h->gateway].name);
		printf("host.%s.cgroup=%s\n", h->name, h->cgroup);
		printf("host.%s.devices=", h->name);
		for (size_t j = 0; j < h->ndevices; j++)
			printf("%s%s", j ? " " : "",
			       c->devices[h->devices[j]].id);
		printf("\n");
		printf("host.%s.lat_ceiling_us=%g\n", h->name, h->lat_ceiling_us);
		printf("host.%s.iops_floor=%g\n", h->name, h->iops_floor);
		printf("host.%s.bps_floor=%g\n", h->name, h->bps_floor);
		printf("host.%s.priority=%" PRId32 "\n", h->name, h->priority);
		limit(h->name, "cap_iops", h->cap_iops);
		limit(h->name, "cap_bps", h->cap_bps);
		if (h->latency_file)
			printf("host.%s.latency_file=%s\n", h->name,
			       h->latency_file);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "check-config", required_argument, NULL, 'c' },
		{ "dump", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *file = NULL;
	struct sla_conf *conf;
	char err[640];
	int c, mode = 0;

	while ((c = getopt_long(argc, argv, "c:d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
		case 'd':
			mode = c;
			file = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!mode || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (sla_conf_load(file, &conf, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (mode == 'd')
		dump(conf);
	else
		printf("%s: ok: %zu gateway%s, %zu device%s, %zu host%s,"
		       " database %s, pool %u\n", file,
		       conf->ngateways, conf->ngateways == 1 ? "" : "s",
		       conf->ndevices, conf->ndevices == 1 ? "" : "s",
		       conf->nhosts, conf->nhosts == 1 ? "" : "s",
		       strncmp(conf->db_address, "sqlite:", 7) ?
		       "postgresql" : "sqlite", conf->db_pool);
	sla_conf_free(conf);
	return 0;
}
