// SPDX-License-Identifier: GPL-2.0
/*
 * Faults for the VM runner's own tests (selftests/runner/runner_test.sh):
 * the runner must fail a run in which this module, loaded by the test VM's
 * /init with MBX_VM_FAULT set, misbehaves.  Never loaded by a normal run.
 *
 *   fault=warn  WARN at load: the kernel log shows "WARNING:"
 *   fault=pin   take a reference on itself at load: rmmod fails
 */
#include <linux/bug.h>
#include <linux/module.h>
#include <linux/string.h>

static char *fault = "none";
module_param(fault, charp, 0444);
MODULE_PARM_DESC(fault, "none, warn (WARN at load) or pin (cannot be unloaded)");

static int __init runner_fault_init(void)
{
	if (!strcmp(fault, "warn"))
		WARN(1, "runner_fault: deliberate warning\n");
	else if (!strcmp(fault, "pin"))
		__module_get(THIS_MODULE);
	else if (strcmp(fault, "none"))
		return -EINVAL;
	return 0;
}

static void __exit runner_fault_exit(void)
{
}

module_init(runner_fault_init);
module_exit(runner_fault_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Deliberate faults for the mbx VM runner's own tests");
