/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SLA_APP_PAGE_H
#define SLA_APP_PAGE_H

/* page.html, app_page_end - app_page bytes (a NUL follows). */
extern const char app_page[], app_page_end[];

#endif
