/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Superseded by mbx_helpers.h, the one helper layer of the selftests; kept
 * only until mailboxctl_test.c includes mbx_helpers.h itself.
 */
#include "mbx_helpers.h"
