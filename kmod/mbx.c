// SPDX-License-Identifier: GPL-2.0
/* Placeholder: registers /dev/mailbox. The real module replaces this file. */
#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <uapi/linux/mbx.h>

static const struct file_operations mbx_fops = {
	.owner = THIS_MODULE,
};

static struct miscdevice mbx_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "mailbox",
	.fops = &mbx_fops,
	.mode = 0666,
};
module_misc_device(mbx_misc);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Stateful two-step RPC mailboxes");
