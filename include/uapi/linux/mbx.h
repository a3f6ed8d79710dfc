/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
#ifndef _UAPI_LINUX_MBX_H
#define _UAPI_LINUX_MBX_H
#include <linux/types.h>
#include <linux/ioctl.h>
#endif
