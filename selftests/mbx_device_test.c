// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/mailbox: present once mbx.ko is loaded, a character device that opens
 * for reading and writing.  Skips when the module is not loaded.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/mbx.h>

#include "kselftest_harness.h"
#include "mbx_helpers.h"

TEST(is_char_device)
{
	struct stat st;

	if (mbx_device_absent())
		SKIP(return, MBX_DEV " absent: mbx.ko not loaded");
	ASSERT_EQ(0, stat(MBX_DEV, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
}

TEST(opens_read_write)
{
	int fd;

	if (mbx_device_absent())
		SKIP(return, MBX_DEV " absent: mbx.ko not loaded");
	fd = open(MBX_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, close(fd));
}

TEST(belongs_to_module_mbx)
{
	if (mbx_device_absent())
		SKIP(return, MBX_DEV " absent: mbx.ko not loaded");
	EXPECT_EQ(0, access("/sys/module/mbx", F_OK));
}

TEST_HARNESS_MAIN
