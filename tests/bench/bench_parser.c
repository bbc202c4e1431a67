// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Parser benchmark driver: feeds the shared session corpora through
 * fp_scan in TCP-segment-sized chunks, like a stream tracker would:
 * each chunk is appended to the incomplete tail of the previous one and
 * every complete line is parsed.  Deterministic, so that callgrind's
 * instruction counts are exactly reproducible.
 *
 * Usage: bench_parser [--baseline] CLIENT.txt SERVER.txt [CHUNK]
 * --baseline reads and chunks the files but parses nothing.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ftp_parse.h"
#include "slurp.h"

#define CARRY_MAX	(64 * 1024)

static unsigned long kinds[FP_K__COUNT];

/* One stream, chunk by chunk, the tail carried over. */
__attribute__((noinline))
static unsigned long feed(const char *data, size_t len, size_t chunk,
			  enum fp_dir dir, int parse)
{
	static char carry[CARRY_MAX + 2048];
	size_t clen = 0, pos = 0;
	unsigned long lines = 0;

	while (pos < len) {
		size_t n = len - pos < chunk ? len - pos : chunk;
		struct fp_scan s;
		struct fp_line l;
		size_t off;

		if (clen + n > sizeof(carry)) {
			/* A runaway line: drop it, as a tracker would. */
			clen = 0;
		}
		memcpy(carry + clen, data + pos, n);
		clen += n;
		pos += n;
		if (!parse) {
			clen = 0;
			continue;
		}
		fp_scan_init(&s, carry, clen, dir);
		while (fp_scan_next(&s, &l, &off)) {
			kinds[l.kind]++;
			lines++;
		}
		memmove(carry, carry + s.pos, clen - s.pos);
		clen -= s.pos;
	}
	return lines;
}

int main(int argc, char **argv)
{
	int baseline = argc > 1 && !strcmp(argv[1], "--baseline");
	char **a = argv + 1 + baseline;
	int na = argc - 1 - baseline;
	size_t clen, slen, chunk = 1448;
	char *cli, *srv;
	unsigned long lines;
	int k;

	if (na < 2) {
		fprintf(stderr,
			"usage: bench_parser [--baseline] CLIENT SERVER [CHUNK]\n");
		return 2;
	}
	if (na > 2)
		chunk = (size_t)strtoul(a[2], NULL, 10);
	if (!chunk || chunk > CARRY_MAX)
		chunk = 1448;
	cli = slurp("bench_parser", a[0], &clen);
	srv = slurp("bench_parser", a[1], &slen);
	lines = feed(cli, clen, chunk, FP_DIR_CLIENT, !baseline);
	lines += feed(srv, slen, chunk, FP_DIR_SERVER, !baseline);
	printf("bytes %zu lines %lu chunk %zu\n", clen + slen, lines, chunk);
	if (!baseline) {
		for (k = 0; k < FP_K__COUNT; k++)
			if (kinds[k])
				printf("  %-10s %lu\n",
				       fp_kind_name((enum fp_kind)k), kinds[k]);
	}
	free(cli);
	free(srv);
	return 0;
}
