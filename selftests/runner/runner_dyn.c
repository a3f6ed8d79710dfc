// SPDX-License-Identifier: GPL-2.0
/*
 * The VM runner's own test of copy_libraries (selftests/runner/runner_test.sh):
 * a dynamically linked program that needs a library no other program of the
 * initramfs needs (built from this file with -DRUNNER_LIB), and a program
 * linked statically (-DRUNNER_STATIC).  The dynamic one runs in the VM only
 * if the runner collected its library.
 */
#include <stdio.h>

#if defined(RUNNER_LIB)
const char *runner_lib_hello(void)
{
	return "runner_dyn: library found";
}
#elif defined(RUNNER_STATIC)
int main(void)
{
	puts("runner_static: ran");
	return 0;
}
#else
const char *runner_lib_hello(void);

int main(void)
{
	puts(runner_lib_hello());
	return 0;
}
#endif
