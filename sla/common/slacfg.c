// SPDX-License-Identifier: GPL-2.0
/* Loading the configuration file for a program: see slacfg.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slacfg.h"
#include "../proto.h"

struct sla_conf *sla_cfg_load(const char *prog, const char *path)
{
	static struct sla_conf *loaded;
	struct sla_conf *conf;
	char err[1024];

	if (sla_conf_load(path, &conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		exit(2);
	}
	if (loaded)		/* -C twice: the last one counts */
		sla_conf_free(loaded);
	loaded = conf;
	sla_mb_names.db = conf->mb_database;
	sla_mb_names.app = conf->mb_appserver;
	sla_mb_names.mon = conf->mb_monitor;
	return conf;
}

/* The value of a key "password" (after a space, a ? or a &) as ***. */
static void hide_password_key(const char *addr, char *buf, size_t len)
{
	const char *p, *end;

	for (p = strstr(addr, "password"); p; p = strstr(p + 1, "password"))
		if (p == addr || strchr(" \t?&", p[-1]))
			break;
	end = p ? p + 8 + strspn(p + 8, " \t") : NULL;
	if (!end || *end != '=') {
		snprintf(buf, len, "%s", addr);
		return;
	}
	end++;
	end += strspn(end, " \t");
	if (*end == '\'') {	/* 'quoted value', \' and \\ escaped */
		for (end++; *end && *end != '\''; end++)
			if (*end == '\\' && end[1])
				end++;
		if (*end)
			end++;
	} else {
		end += strcspn(end, " \t&");
	}
	snprintf(buf, len, "%.*spassword=***%s", (int)(p - addr), addr, end);
}

void sla_cfg_shown_address(const char *addr, char *buf, size_t len)
{
	const char *p, *end, *at, *colon;
	char tmp[1024];

	/* a URL: USER:PASSWORD@ in its authority, or ?password= */
	if (!strncmp(addr, "postgresql://", 13) || !strncmp(addr, "postgres://", 11)) {
		p = strstr(addr, "://") + 3;
		end = p + strcspn(p, "/?");
		at = memchr(p, '@', end - p);
		colon = at ? memchr(p, ':', at - p) : NULL;
		if (colon)
			snprintf(tmp, sizeof(tmp), "%.*s:***%s", (int)(colon - addr), addr, at);
		else
			snprintf(tmp, sizeof(tmp), "%s", addr);
		hide_password_key(tmp, buf, len);
		return;
	}
	hide_password_key(addr, buf, len);
}
