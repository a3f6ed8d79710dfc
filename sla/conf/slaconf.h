/* SPDX-License-Identifier: GPL-2.0 */
/*
 * slaconf: the SLA server's configuration file, one INI file (parsed by
 * inih) that every process of the server reads: the database and its pool,
 * the mailboxes' names, the application server's listen address, the
 * gateways, the devices and the application hosts with their SLAs.  The
 * format is in sla/README.md and conf/sla.conf.example.
 *
 * sla_conf_load() parses and validates the whole file; on any error it
 * returns a negative errno and writes one line to errbuf, "FILE:LINE: what"
 * (or "FILE: what" when no line is to blame).  A loaded configuration is
 * valid as a whole: every reference resolves, every value is in range.
 */
#ifndef SLACONF_H
#define SLACONF_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SLA_CONF_MAX UINT64_MAX		/* a cap of "max": no cap */

struct sla_conf_gateway {
	char *name;		/* [gateway NAME] */
	char *url;		/* where the monitor daemon reaches it */
	char *listen;		/* what sla-gateway binds: "ADDR:PORT" */
	char *root;		/* the cgroup v2 root on its host */
	int line;		/* of the section header */
};

struct sla_conf_device {
	char *name;		/* [device NAME] */
	char *id;		/* "MAJ:MIN" */
	int line;
};

struct sla_conf_host {
	char *name;		/* [host NAME]: the SLA's host name */
	size_t gateway;		/* index in gateways[] */
	char *cgroup;		/* relative to the gateway's root */
	size_t ndevices;
	size_t *devices;	/* indexes in devices[] */
	/* The SLA, as struct sladb_sla: 0 is "not part of it". */
	double lat_ceiling_us;
	double iops_floor;
	double bps_floor;
	int32_t priority;
	uint64_t cap_iops;	/* SLA_CONF_MAX: no cap */
	uint64_t cap_bps;
	/* fio's JSON status output of the host's workload (its latency), or NULL */
	char *latency_file;
	int line;
};

struct sla_conf {
	char *path;
	char *db_address;	/* "sqlite:PATH" or a libpq connection string */
	unsigned int db_pool;	/* connections of the database manager */
	char *mb_database;	/* database manager <-> SLA core, app server */
	char *mb_monitor;	/* SLA core <-> monitor daemon */
	char *mb_appserver;	/* SLA core <-> application server */
	char *appserver_listen;	/* "ADDR:PORT" */
	size_t ngateways, ndevices, nhosts;
	struct sla_conf_gateway *gateways;
	struct sla_conf_device *devices;
	struct sla_conf_host *hosts;
};

/*
 * Load and validate path.  0 and *out, or a negative errno (-ENOENT and
 * the like when the file cannot be read, -EINVAL for its contents, -ENOMEM)
 * and the message in errbuf.
 */
int sla_conf_load(const char *path, struct sla_conf **out, char *errbuf,
		  size_t errlen);
void sla_conf_free(struct sla_conf *conf);

#define SLA_CONF_ADDR_MAX 16	/* "255.255.255.255" and its NUL */
/*
 * A listen value, "A.B.C.D:PORT" (PORT 1..65535), into its address and
 * port: 0, or -1 when it is not one (a loaded configuration's are).
 */
int sla_conf_listen(const char *s, char addr[SLA_CONF_ADDR_MAX],
		    unsigned int *port);

/* By name; NULL when there is none. */
const struct sla_conf_host *sla_conf_host(const struct sla_conf *conf,
					  const char *name);
const struct sla_conf_gateway *sla_conf_gateway(const struct sla_conf *conf,
						const char *name);

#ifdef __cplusplus
}
#endif
#endif
