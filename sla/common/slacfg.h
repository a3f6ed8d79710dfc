/* SPDX-License-Identifier: GPL-2.0 */
/*
 * slacfg: the configuration file of a process of the SLA server, named by
 * its -C/--config option.  conf/slaconf.h parses and validates it; this
 * loads it for a program: a file with an error ends the program with the
 * file's message ("FILE:LINE: what") and status 2, and a loaded file names
 * the mailboxes (sla_mb_names).  What else a program takes from the file
 * is its own: each says so in its usage.  Options on the command line win
 * over the file.
 */
#ifndef SLACFG_H
#define SLACFG_H

#include "../conf/slaconf.h"

/*
 * Load path; on any error print "PROG: message" and exit(2).  A second
 * load frees the first (the configuration lives as long as the program).
 */
struct sla_conf *sla_cfg_load(const char *prog, const char *path);

/*
 * A database address fit for a log line: a password in it (password=...
 * or postgresql://USER:PASSWORD@...) shown as "***".
 */
void sla_cfg_shown_address(const char *addr, char *buf, size_t len);

#endif
