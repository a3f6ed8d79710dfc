// SPDX-License-Identifier: GPL-2.0
/* Loading the configuration file for a program: see slacfg.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slacfg.h"
#include "../proto.h"

struct sla_conf *sla_cfg_load(const char *prog, const char *path)
{
	struct sla_conf *conf;
	char err[1024];

	if (sla_conf_load(path, &conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		exit(2);
	}
	sla_mb_names.db = conf->mb_database;
	sla_mb_names.app = conf->mb_appserver;
	sla_mb_names.mon = conf->mb_monitor;
	return conf;
}

void sla_cfg_shown_address(const char *addr, char *buf, size_t len)
{
	const char *p, *at, *colon, *end;

	if (!strncmp(addr, "postgresql://", 13) ||
	    !strncmp(addr, "postgres://", 11)) {
		p = strstr(addr, "://") + 3;
		at = strchr(p, '@');
		colon = at ? memchr(p, ':', at - p) : NULL;
		if (colon) {
			snprintf(buf, len, "%.*s:***%s", (int)(colon - addr),
				 addr, at);
			return;
		}
		snprintf(buf, len, "%s", addr);
		return;
	}
	p = strstr(addr, "password");
	if (!p) {
		snprintf(buf, len, "%s", addr);
		return;
	}
	/* key=value pairs: password = 'quoted value' or a bare word */
	end = p + 8;
	while (*end == ' ')
		end++;
	if (*end != '=') {
		snprintf(buf, len, "%s", addr);
		return;
	}
	end++;
	while (*end == ' ')
		end++;
	if (*end == '\'') {
		for (end++; *end && *end != '\''; end++)
			if (*end == '\\' && end[1])
				end++;
		if (*end)
			end++;
	} else {
		end += strcspn(end, " \t");
	}
	snprintf(buf, len, "%.*spassword=***%s", (int)(p - addr), addr, end);
}
