// SPDX-License-Identifier: GPL-2.0
/*
 * The VM runner's own test, run only with MBX_VM_FAULT=test: one test
 * passes, one skips and one fails, so a correct runner counts exactly one of
 * each and fails the run.
 */
#include "kselftest_harness.h"

TEST(passes)
{
	EXPECT_EQ(1, 1);
}

TEST(skips)
{
	SKIP(return, "deliberate skip");
}

TEST(fails)
{
	EXPECT_EQ(0, 1) {
		TH_LOG("deliberate failure");
	}
}

TEST_HARNESS_MAIN
