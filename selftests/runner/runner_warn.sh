#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The VM runner's own test, run only with MBX_VM_FAULT=warn (tools/vm/init):
# a selftest during which the kernel WARNs.  It passes; the runner must fail
# the run on the kernel log and name this test as the one during which the
# WARNING appeared.
insmod /lib/modules/runner_fault.ko fault=warn || exit 1
rmmod runner_fault
