/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The case bookkeeping of the unit tests (unit_parser.c, unit_stream.c):
 * begin() names a case, CHECK() records a failure in it (the first three
 * are printed), end() counts it as passed or failed; main() prints
 * "N passed, N failed" from @passed and @failed.  One translation unit
 * per test binary includes it.
 */
#ifndef FPM_TESTS_CHECK_H
#define FPM_TESTS_CHECK_H

#include <stdarg.h>
#include <stdio.h>

static int passed, failed;
static int case_failed;
static char case_name[200];

static void begin(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(case_name, sizeof(case_name), fmt, ap);
	va_end(ap);
	case_failed = 0;
}

static void end(void)
{
	if (case_failed)
		failed++;
	else
		passed++;
}

static void fail(const char *fmt, ...)
{
	va_list ap;

	if (case_failed < 3) {
		printf("FAIL %s: ", case_name);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
	}
	case_failed++;
}

#define CHECK(cond, ...) do { if (!(cond)) fail(__VA_ARGS__); } while (0)

#endif
