// SPDX-License-Identifier: GPL-2.0
/*
 * The web page, page.html, built into the program: the server needs no
 * file at run time, and what it serves is what was built.
 */
#include "page.h"

__asm__(".section .rodata\n"
	".global app_page\n"
	".type app_page, @object\n"
	"app_page:\n"
	".incbin \"" PAGE_FILE "\"\n"
	".global app_page_end\n"
	"app_page_end:\n"
	".byte 0\n"
	".previous\n");
