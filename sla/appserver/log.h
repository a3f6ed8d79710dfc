/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SLA_APP_LOG_H
#define SLA_APP_LOG_H

/* "2026-12-02T19:40:01.123 sla-appserver: text" on stderr, one write. */
void app_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
