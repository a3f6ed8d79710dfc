// SPDX-License-Identifier: GPL-2.0
/*
 * slaconf: the configuration file.  inih splits the file into sections and
 * key = value pairs; this file gives them meaning.  inih counts lines but
 * does not hand them to the handler in Debian's build, so the lines come
 * from our own reader (inih calls it once per line, then the handler for
 * that line): every key, and every section header, is known by its line.
 *
 * The checks come in two passes: each value as it is read (a number, a
 * name, a URL), then the whole (required keys, references between
 * sections, contradictions), each message naming the line at fault.
 */
#include "slaconf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <ini.h>
#include <libpq-fe.h>
#include <linux/mbx.h>

#include "cgroup.h"
#include "sladb.h"

enum sect { SEC_NONE, SEC_DATABASE, SEC_MAILBOXES, SEC_APPSERVER,
	    SEC_GATEWAY, SEC_DEVICE, SEC_HOST };

struct parse {
	struct sla_conf *conf;
	FILE *f;
	int line;		/* the line inih is at */
	int bracket_line;	/* the last line that opened a section */
	int brackets;		/* section headers read */
	int brackets_seen;	/* of them, the ones the handler has seen */
	bool too_long;
	/* The section the handler is in. */
	enum sect sect;
	void *obj;		/* its gateway, device or host */
	uint64_t keys_seen;	/* bit k: key k given in this section */
	int key_line[64];	/* the line of key k, in this section */
	/* Lines of what is checked after the file is read. */
	int plain_line[SEC_HOST + 1];	/* of [database], ... */
	int prev_bracket_line;
	struct host_ref {	/* refs[i]: of hosts[i] */
		char *gateway, *devices;	/* the names given */
		int gateway_line, devices_line, cgroup_line;
		int cap_line[2];		/* of cap_iops, cap_bps */
	} *refs;
	size_t nrefs;
	char *err;
	size_t errlen;
	int ret;
};

__attribute__((format(printf, 3, 4)))
static int error(struct parse *p, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (p->ret)		/* the first error is the one reported */
		return 0;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(p->err, p->errlen, "%s:%d: %s", p->conf->path, line, msg);
	else
		snprintf(p->err, p->errlen, "%s: %s", p->conf->path, msg);
	p->ret = -EINVAL;
	return 0;
}

/*
 * inih's reader: one line per call, counted.  A line longer than inih's
 * buffer would come back in pieces, each taken for a line: refuse it.
 */
static char *reader(char *str, int num, void *stream)
{
	struct parse *p = stream;
	const char *s;

	if (!fgets(str, num, p->f))
		return NULL;
	p->line++;
	if (!strchr(str, '\n') && !feof(p->f)) {
		p->too_long = true;
		error(p, p->line, "line longer than %d characters", num - 2);
		return NULL;
	}
	for (s = str; *s == ' ' || *s == '\t'; s++)
		;
	if (*s == '[') {
		p->prev_bracket_line = p->bracket_line;
		p->bracket_line = p->line;
		p->brackets++;
	}
	return str;
}

static char *dup(struct parse *p, const char *s)
{
	char *d = strdup(s);

	if (!d && !p->ret) {
		snprintf(p->err, p->errlen, "%s: out of memory", p->conf->path);
		p->ret = -ENOMEM;
	}
	return d;
}

/* Grow an array by one zeroed element; NULL when out of memory. */
static void *grow(struct parse *p, void **arr, size_t *n, size_t size)
{
	char *a = realloc(*arr, (*n + 1) * size);

	if (!a) {
		dup(p, NULL);
		return NULL;
	}
	memset(a + *n * size, 0, size);
	*arr = a;
	return a + (*n)++ * size;
}

/* A section name is what follows the type: [host gold]. */
static bool name_valid(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 255)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._:-", *s))
			return false;
	return true;
}

/* A mailbox name, as include/uapi/linux/mbx.h says. */
static bool mailbox_valid(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= MBX_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.:-", *s))
			return false;
	return true;
}

int sla_conf_listen(const char *s, char addr[SLA_CONF_ADDR_MAX],
		    unsigned int *port)
{
	const char *colon = strrchr(s, ':');
	struct in_addr in;
	unsigned long p;
	char *end;

	if (!colon || colon == s || (size_t)(colon - s) >= SLA_CONF_ADDR_MAX)
		return -1;
	memcpy(addr, s, colon - s);
	addr[colon - s] = '\0';
	if (inet_pton(AF_INET, addr, &in) != 1 || !isdigit((unsigned char)colon[1]))
		return -1;
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	if (errno || *end || p < 1 || p > 65535)
		return -1;
	*port = p;
	return 0;
}

static bool listen_valid(const char *s)
{
	char addr[SLA_CONF_ADDR_MAX];
	unsigned int port;

	return sla_conf_listen(s, addr, &port) == 0;
}

/* An http or https URL with a host, by libcurl's URL parser. */
static bool url_valid(const char *s, char *why, size_t n)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	CURLUcode rc;
	bool good = false;

	if (!u) {
		snprintf(why, n, "out of memory");
		return false;
	}
	rc = curl_url_set(u, CURLUPART_URL, s, 0);
	if (rc) {
		snprintf(why, n, "%s", curl_url_strerror(rc));
	} else if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) ||
		   (strcmp(scheme, "http") && strcmp(scheme, "https"))) {
		snprintf(why, n, "the scheme must be http or https");
	} else if (curl_url_get(u, CURLUPART_HOST, &host, 0) || !*host) {
		snprintf(why, n, "no host");
	} else {
		good = true;
	}
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return good;
}

/* "sqlite:PATH" or a connection string libpq accepts. */
static bool address_valid(const char *s, char *why, size_t n)
{
	PQconninfoOption *opts;
	char *err = NULL;

	if (!strncmp(s, "sqlite:", 7)) {
		if (!s[7])
			snprintf(why, n, "sqlite: needs a path");
		return s[7] != '\0';
	}
	if (strncmp(s, "postgresql://", 13) && strncmp(s, "postgres://", 11) &&
	    !strchr(s, '=')) {
		snprintf(why, n, "not sqlite:PATH nor a PostgreSQL connection"
			 " string (postgresql://... or key=value ...)");
		return false;
	}
	opts = PQconninfoParse(s, &err);
	if (!opts) {
		size_t len = err ? strcspn(err, "\n") : 0;

		snprintf(why, n, "PostgreSQL connection string: %.*s",
			 (int)len, err ? err : "out of memory");
		PQfreemem(err);
		return false;
	}
	PQconninfoFree(opts);
	return true;
}

static bool parse_double(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return *s && !*end && !errno && isfinite(*out) && *out >= 0 &&
	       !isspace((unsigned char)*s);
}

/* A positive integer up to max; "max" when allow_max. */
static bool parse_u64(const char *s, uint64_t max, bool allow_max,
		      uint64_t *out)
{
	char *end;

	if (allow_max && !strcmp(s, "max")) {
		*out = SLA_CONF_MAX;
		return true;
	}
	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return !*end && !errno && *out >= 1 && *out <= max;
}

static bool parse_int32(const char *s, int32_t *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < INT32_MIN || v > INT32_MAX ||
	    isspace((unsigned char)*s))
		return false;
	*out = (int32_t)v;
	return true;
}

/* The keys of each section; their index is their bit in keys_seen. */
static const char *const database_keys[] = { "address", "pool", NULL };
static const char *const mailbox_keys[] = { "database", "monitor",
					     "appserver", NULL };
static const char *const appserver_keys[] = { "listen", NULL };
static const char *const gateway_keys[] = { "url", "listen", "root", NULL };
static const char *const device_keys[] = { "id", NULL };
static const char *const host_keys[] = {
	"gateway", "cgroup", "devices", "lat_ceiling_us", "iops_floor",
	"bps_floor", "priority", "cap_iops", "cap_bps", "latency_file", NULL };

static const char *const *const section_keys[] = {
	[SEC_DATABASE] = database_keys, [SEC_MAILBOXES] = mailbox_keys,
	[SEC_APPSERVER] = appserver_keys, [SEC_GATEWAY] = gateway_keys,
	[SEC_DEVICE] = device_keys, [SEC_HOST] = host_keys,
};

static int find_named(struct parse *p, const char *type, const char *name)
{
	const struct sla_conf *c = p->conf;

	if (!strcmp(type, "gateway")) {
		for (size_t i = 0; i < c->ngateways; i++)
			if (!strcmp(c->gateways[i].name, name))
				return c->gateways[i].line;
	} else if (!strcmp(type, "device")) {
		for (size_t i = 0; i < c->ndevices; i++)
			if (!strcmp(c->devices[i].name, name))
				return c->devices[i].line;
	} else {
		for (size_t i = 0; i < c->nhosts; i++)
			if (!strcmp(c->hosts[i].name, name))
				return c->hosts[i].line;
	}
	return 0;
}

/* A new section begins: its type, its object. */
static void enter(struct parse *p, const char *section)
{
	struct sla_conf *c = p->conf;
	const char *sp = strchr(section, ' ');
	char type[32];
	int line = p->bracket_line, first;

	p->sect = SEC_NONE;
	p->obj = NULL;
	p->keys_seen = 0;
	if (!sp) {
		static const struct { const char *name; enum sect s; } plain[] = {
			{ "database", SEC_DATABASE },
			{ "mailboxes", SEC_MAILBOXES },
			{ "appserver", SEC_APPSERVER },
		};
		for (size_t i = 0; i < sizeof(plain) / sizeof(*plain); i++)
			if (!strcmp(section, plain[i].name))
				p->sect = plain[i].s;
		if (p->sect == SEC_NONE) {
			error(p, line, "unknown section [%s] (known: database,"
			      " mailboxes, appserver, gateway NAME, device NAME,"
			      " host NAME)", section);
			return;
		}
		if (p->plain_line[p->sect])
			error(p, line, "a second [%s] section (the first at"
			      " line %d)", section, p->plain_line[p->sect]);
		p->plain_line[p->sect] = line;
		return;
	}
	snprintf(type, sizeof(type), "%.*s", (int)(sp - section), section);
	sp++;
	if (strcmp(type, "gateway") && strcmp(type, "device") &&
	    strcmp(type, "host")) {
		error(p, line, "unknown section [%s] (known: database,"
		      " mailboxes, appserver, gateway NAME, device NAME,"
		      " host NAME)", section);
		return;
	}
	if (!name_valid(sp)) {
		error(p, line, "[%s]: a %s name is 1 to 255 characters of"
		      " [A-Za-z0-9._:-]", section, type);
		return;
	}
	first = find_named(p, type, sp);
	if (first) {
		error(p, line, "a second [%s %s] (the first at line %d)", type,
		      sp, first);
		return;
	}
	if (!strcmp(type, "gateway")) {
		struct sla_conf_gateway *g = grow(p, (void **)&c->gateways,
						  &c->ngateways, sizeof(*g));

		if (!g)
			return;
		g->name = dup(p, sp);
		g->line = line;
		p->sect = SEC_GATEWAY;
		p->obj = g;
	} else if (!strcmp(type, "device")) {
		struct sla_conf_device *d = grow(p, (void **)&c->devices,
						 &c->ndevices, sizeof(*d));

		if (!d)
			return;
		d->name = dup(p, sp);
		d->line = line;
		p->sect = SEC_DEVICE;
		p->obj = d;
	} else {
		struct sla_conf_host *h = grow(p, (void **)&c->hosts,
					       &c->nhosts, sizeof(*h));

		if (!h || !grow(p, (void **)&p->refs, &p->nrefs,
				sizeof(*p->refs)))
			return;
		h->name = dup(p, sp);
		h->line = line;
		h->cap_iops = h->cap_bps = SLA_CONF_MAX;
		p->sect = SEC_HOST;
		p->obj = h;
	}
}

static void set_database(struct parse *p, int k, const char *v, int line)
{
	struct sla_conf *c = p->conf;
	char why[256];
	uint64_t n;

	if (k == 0) {
		if (!address_valid(v, why, sizeof(why))) {
			error(p, line, "address: %s", why);
			return;
		}
		free(c->db_address);
		c->db_address = dup(p, v);
	} else {
		if (!parse_u64(v, SLADB_POOL_MAX, false, &n)) {
			error(p, line, "pool: \"%s\" is not a number of"
			      " connections from 1 to %d", v, SLADB_POOL_MAX);
			return;
		}
		c->db_pool = (unsigned int)n;
	}
}

static void set_mailbox(struct parse *p, int k, const char *v, int line)
{
	char **slot[] = { &p->conf->mb_database, &p->conf->mb_monitor,
			  &p->conf->mb_appserver };

	if (!mailbox_valid(v)) {
		error(p, line, "%s: \"%s\" is not a mailbox name (1 to %d"
		      " characters of [A-Za-z0-9_.:-])", mailbox_keys[k], v,
		      MBX_NAME_MAX - 1);
		return;
	}
	free(*slot[k]);
	*slot[k] = dup(p, v);
}

static void set_appserver(struct parse *p, const char *v, int line)
{
	if (!listen_valid(v)) {
		error(p, line, "listen: \"%s\" is not IPV4ADDRESS:PORT", v);
		return;
	}
	free(p->conf->appserver_listen);
	p->conf->appserver_listen = dup(p, v);
}

static void set_gateway(struct parse *p, int k, const char *v, int line)
{
	struct sla_conf_gateway *g = p->obj;
	char why[256];

	switch (k) {
	case 0:
		if (!url_valid(v, why, sizeof(why))) {
			error(p, line, "url: \"%s\": %s", v, why);
			return;
		}
		g->url = dup(p, v);
		break;
	case 1:
		if (!listen_valid(v)) {
			error(p, line, "listen: \"%s\" is not IPV4ADDRESS:PORT",
			      v);
			return;
		}
		g->listen = dup(p, v);
		break;
	default:
		if (v[0] != '/') {
			error(p, line, "root: \"%s\" is not an absolute path", v);
			return;
		}
		g->root = dup(p, v);
		break;
	}
}

static void set_host(struct parse *p, int k, const char *v, int line)
{
	struct sla_conf_host *h = p->obj;
	struct host_ref *r = &p->refs[p->conf->nhosts - 1];
	double *d[] = { [3] = &h->lat_ceiling_us, [4] = &h->iops_floor,
			[5] = &h->bps_floor };

	switch (k) {
	case 0:
		r->gateway = dup(p, v);
		r->gateway_line = line;
		break;
	case 1:
		if (!cg_name_valid(v)) {
			error(p, line, "cgroup: \"%s\" is not a cgroup name"
			      " (components of [A-Za-z0-9._-] joined by /, no"
			      " . or .., relative to the gateway's root)", v);
			return;
		}
		h->cgroup = dup(p, v);
		r->cgroup_line = line;
		break;
	case 2:
		r->devices = dup(p, v);
		r->devices_line = line;
		break;
	case 3: case 4: case 5:
		if (!parse_double(v, d[k])) {
			error(p, line, "%s: \"%s\" is not a finite number >= 0",
			      host_keys[k], v);
			return;
		}
		break;
	case 6:
		if (!parse_int32(v, &h->priority))
			error(p, line, "priority: \"%s\" is not an integer from"
			      " %d to %d", v, INT32_MIN, INT32_MAX);
		break;
	case 9:
		if (v[0] != '/') {
			error(p, line, "latency_file: \"%s\" is not an absolute"
			      " path", v);
			return;
		}
		h->latency_file = dup(p, v);
		break;
	default:
		r->cap_line[k - 7] = line;
		if (!parse_u64(v, INT64_MAX, true,
			       k == 7 ? &h->cap_iops : &h->cap_bps))
			error(p, line, "%s: \"%s\" is not an integer from 1 to"
			      " %lld or max", host_keys[k], v,
			      (long long)INT64_MAX);
		break;
	}
}

static int handler(void *user, const char *section, const char *name,
		   const char *value)
{
	struct parse *p = user;
	const char *const *keys;
	int k = -1;

	if (p->ret)
		return 0;
	if (p->brackets != p->brackets_seen) {
		/* A header with no key before this one is a section in
		 * vain (a [host] whose keys were forgotten, say). */
		if (p->brackets > p->brackets_seen + 1)
			return error(p, p->prev_bracket_line,
				     "a section with no keys");
		p->brackets_seen = p->brackets;
		enter(p, section);
		if (p->ret)
			return 0;
	}
	if (!*section)
		return error(p, p->line, "%s outside any section", name);
	keys = section_keys[p->sect];
	for (int i = 0; keys && keys[i]; i++)
		if (!strcmp(keys[i], name))
			k = i;
	if (k < 0)
		return error(p, p->line, "unknown key %s in [%s]", name,
			     section);
	if (p->keys_seen & (1ull << k))
		return error(p, p->line, "%s given twice in [%s] (first at"
			     " line %d)", name, section, p->key_line[k]);
	p->keys_seen |= 1ull << k;
	p->key_line[k] = p->line;
	if (!*value)
		return error(p, p->line, "%s: no value", name);
	switch (p->sect) {
	case SEC_DATABASE:
		set_database(p, k, value, p->line);
		break;
	case SEC_MAILBOXES:
		set_mailbox(p, k, value, p->line);
		break;
	case SEC_APPSERVER:
		set_appserver(p, value, p->line);
		break;
	case SEC_GATEWAY:
		set_gateway(p, k, value, p->line);
		break;
	case SEC_DEVICE:
		if (!cg_device_valid(value))
			return error(p, p->line, "id: \"%s\" is not MAJ:MIN",
				     value);
		((struct sla_conf_device *)p->obj)->id = dup(p, value);
		break;
	case SEC_HOST:
		set_host(p, k, value, p->line);
		break;
	case SEC_NONE:
		break;
	}
	return !p->ret;
}

static int find_index(const struct sla_conf *c, bool gateway, const char *name,
		      size_t *out)
{
	size_t n = gateway ? c->ngateways : c->ndevices;

	for (size_t i = 0; i < n; i++)
		if (!strcmp(gateway ? c->gateways[i].name : c->devices[i].name,
			    name)) {
			*out = i;
			return 0;
		}
	return -ENOENT;
}

/* The host's devices: names separated by white space or commas. */
static void resolve_devices(struct parse *p, size_t i)
{
	struct sla_conf_host *h = &p->conf->hosts[i];
	int line = p->refs[i].devices_line;
	char *list = p->refs[i].devices, *save = NULL, *tok;

	for (tok = strtok_r(list, " \t,", &save); tok && !p->ret;
	     tok = strtok_r(NULL, " \t,", &save)) {
		size_t d, *devs;

		if (find_index(p->conf, false, tok, &d)) {
			error(p, line, "devices: no [device %s] in the file",
			      tok);
			return;
		}
		for (size_t j = 0; j < h->ndevices; j++)
			if (h->devices[j] == d) {
				error(p, line, "devices: %s listed twice", tok);
				return;
			}
		devs = realloc(h->devices, (h->ndevices + 1) * sizeof(*devs));
		if (!devs) {
			dup(p, NULL);
			return;
		}
		h->devices = devs;
		h->devices[h->ndevices++] = d;
	}
	if (!h->ndevices && !p->ret)
		error(p, line, "devices: no device named");
}

/* The whole file read: required keys, references, contradictions. */
static void validate(struct parse *p)
{
	struct sla_conf *c = p->conf;

	if (p->brackets > p->brackets_seen)
		error(p, p->bracket_line, "a section with no keys");
	if (!p->plain_line[SEC_DATABASE])
		error(p, 0, "no [database] section (address = sqlite:PATH or"
		      " a PostgreSQL connection string)");
	else if (!c->db_address)
		error(p, p->plain_line[SEC_DATABASE],
		      "[database] has no address");
	if (!p->ret && (!strcmp(c->mb_database, c->mb_monitor) ||
			!strcmp(c->mb_database, c->mb_appserver) ||
			!strcmp(c->mb_monitor, c->mb_appserver)))
		error(p, 0, "[mailboxes]: the three mailboxes need three names"
		      " (%s, %s, %s)", c->mb_database, c->mb_monitor,
		      c->mb_appserver);
	for (size_t i = 0; i < c->ngateways && !p->ret; i++) {
		struct sla_conf_gateway *g = &c->gateways[i];

		if (!g->url)
			error(p, g->line, "[gateway %s] has no url", g->name);
		else if (!g->root)
			g->root = dup(p, "/sys/fs/cgroup");
	}
	for (size_t i = 0; i < c->ndevices && !p->ret; i++)
		if (!c->devices[i].id)
			error(p, c->devices[i].line, "[device %s] has no id",
			      c->devices[i].name);
	for (size_t i = 0; i < c->nhosts && !p->ret; i++) {
		struct sla_conf_host *h = &c->hosts[i];

		struct host_ref *r = &p->refs[i];

		if (!r->gateway) {
			error(p, h->line, "[host %s] has no gateway", h->name);
			break;
		}
		if (!h->cgroup) {
			error(p, h->line, "[host %s] has no cgroup", h->name);
			break;
		}
		if (!r->devices) {
			error(p, h->line, "[host %s] has no devices", h->name);
			break;
		}
		if (find_index(c, true, r->gateway, &h->gateway)) {
			error(p, r->gateway_line,
			      "gateway: no [gateway %s] in the file", r->gateway);
			break;
		}
		resolve_devices(p, i);
		/* A contradiction is the cap's fault: it is the later word. */
		if (h->cap_iops != SLA_CONF_MAX && h->iops_floor > (double)h->cap_iops)
			error(p, r->cap_line[0], "cap_iops %llu is below [host"
			      " %s]'s iops_floor %g",
			      (unsigned long long)h->cap_iops, h->name,
			      h->iops_floor);
		else if (h->cap_bps != SLA_CONF_MAX &&
			 h->bps_floor > (double)h->cap_bps)
			error(p, r->cap_line[1], "cap_bps %llu is below [host"
			      " %s]'s bps_floor %g",
			      (unsigned long long)h->cap_bps, h->name,
			      h->bps_floor);
		for (size_t j = 0; j < i && !p->ret; j++)
			if (c->hosts[j].gateway == h->gateway &&
			    !strcmp(c->hosts[j].cgroup, h->cgroup))
				error(p, r->cgroup_line, "cgroup: %s"
				      " on gateway %s is [host %s]'s already",
				      h->cgroup, c->gateways[h->gateway].name,
				      c->hosts[j].name);
	}
}

void sla_conf_free(struct sla_conf *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->ngateways; i++) {
		free(c->gateways[i].name);
		free(c->gateways[i].url);
		free(c->gateways[i].listen);
		free(c->gateways[i].root);
	}
	for (size_t i = 0; i < c->ndevices; i++) {
		free(c->devices[i].name);
		free(c->devices[i].id);
	}
	for (size_t i = 0; i < c->nhosts; i++) {
		free(c->hosts[i].name);
		free(c->hosts[i].cgroup);
		free(c->hosts[i].devices);
		free(c->hosts[i].latency_file);
	}
	free(c->gateways);
	free(c->devices);
	free(c->hosts);
	free(c->path);
	free(c->db_address);
	free(c->mb_database);
	free(c->mb_monitor);
	free(c->mb_appserver);
	free(c->appserver_listen);
	free(c);
}

int sla_conf_load(const char *path, struct sla_conf **out, char *errbuf,
		  size_t errlen)
{
	struct parse p = { .err = errbuf, .errlen = errlen };
	struct sla_conf *c;
	int rc;

	*out = NULL;
	if (errlen)
		errbuf[0] = '\0';
	c = calloc(1, sizeof(*c));
	if (!c || !(c->path = strdup(path)) ||
	    !(c->mb_database = strdup("sla-db")) ||
	    !(c->mb_monitor = strdup("sla-mon")) ||
	    !(c->mb_appserver = strdup("sla-app")) ||
	    !(c->appserver_listen = strdup("127.0.0.1:8080"))) {
		sla_conf_free(c);
		snprintf(errbuf, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	c->db_pool = 4;
	p.conf = c;
	p.f = fopen(path, "r");
	if (!p.f) {
		rc = -errno;
		snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		sla_conf_free(c);
		return rc;
	}
	/* One key per line, every error reported by the first. */
	ini_allow_multiline = false;
	ini_stop_on_first_error = true;
	rc = ini_parse_stream(reader, &p, handler, &p);
	fclose(p.f);
	if (rc > 0)
		error(&p, rc, "not a section header, a key = value line or a"
		      " comment");
	else if (rc < 0)
		error(&p, 0, "could not be parsed (%d)", rc);
	if (!p.ret)
		validate(&p);
	for (size_t i = 0; i < p.nrefs; i++) {
		free(p.refs[i].gateway);
		free(p.refs[i].devices);
	}
	free(p.refs);
	if (p.ret) {
		sla_conf_free(c);
		return p.ret;
	}
	*out = c;
	return 0;
}

const struct sla_conf_host *sla_conf_host(const struct sla_conf *c,
					  const char *name)
{
	for (size_t i = 0; i < c->nhosts; i++)
		if (!strcmp(c->hosts[i].name, name))
			return &c->hosts[i];
	return NULL;
}

const struct sla_conf_gateway *sla_conf_gateway(const struct sla_conf *c,
						const char *name)
{
	for (size_t i = 0; i < c->ngateways; i++)
		if (!strcmp(c->gateways[i].name, name))
			return &c->gateways[i];
	return NULL;
}
