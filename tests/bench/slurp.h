/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * slurp(): a whole file into a malloc'ed buffer (one byte spare), for the
 * benchmark drivers; on any error a line naming @who and the file, and
 * exit status 2.
 */
#ifndef FPM_BENCH_SLURP_H
#define FPM_BENCH_SLURP_H

#include <stdio.h>
#include <stdlib.h>

static char *slurp(const char *who, const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET)) {
		fprintf(stderr, "%s: cannot read %s\n", who, path);
		exit(2);
	}
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "%s: cannot read %s\n", who, path);
		exit(2);
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

#endif
