// SPDX-License-Identifier: GPL-2.0
/* The mailboxes' names, for every program that includes proto.h. */
#include "../proto.h"

struct sla_mb_names sla_mb_names = {
	.db = SLA_MB_DB_DEFAULT,
	.app = SLA_MB_APP_DEFAULT,
	.mon = SLA_MB_MON_DEFAULT,
};
