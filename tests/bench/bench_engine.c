// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Engine benchmark driver: the client and server session corpora go
 * through fs_segment() (src/ftp_stream.c: line reassembly, pairing,
 * rewrite planning, the parser) as TCP segments of CHUNK bytes, the two
 * directions interleaved at the same pace, as through a NAT router
 * (NAT on, strict checks, every earlier byte ACKed).  Deterministic, so
 * callgrind's counts are exactly reproducible.
 *
 * Usage: bench_engine CLIENT.txt SERVER.txt [CHUNK]
 * make bench-parser (tests/bench/Makefile) runs it under callgrind with
 * --toggle-collect=fs_segment: docs/benchmarks.md, "Engine".
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ftp_stream.h"
#include "slurp.h"

static unsigned long events[FS_EV__COUNT], expects, lines_total;

fp_u16 fs_host_expect(void *host, const struct fs_expect *e)
{
	(void)host;
	expects++;
	return e->line->ep.port;
}

void fs_host_event(void *host, enum fs_event ev)
{
	(void)host;
	events[ev]++;
}

void fs_host_line(void *host, const struct fp_line *line, fp_u32 seq)
{
	(void)host;
	(void)line;
	(void)seq;
}

void *fs_host_alloc_lines(void *host)
{
	(void)host;
	return malloc(FS_LINES_SIZE);
}

void fs_host_free_lines(void *host, void *p)
{
	(void)host;
	free(p);
}

struct side {
	const char *data;
	size_t len, pos;
	fp_u32 isn;
};

static struct fs_conn conn;
static struct fs_addr own, pub;

/* The next segment of one direction. */
__attribute__((noinline))
static void segment(struct side *sd, int dir, size_t chunk)
{
	size_t n = sd->len - sd->pos < chunk ? sd->len - sd->pos : chunk;
	struct fs_seg s;

	memset(&s, 0, sizeof(s));
	s.data = sd->data + sd->pos;
	s.seq = sd->isn + (fp_u32)sd->pos;
	s.len = (fp_u32)n;
	s.dir = (fp_u8)dir;
	s.flags = FS_S_NAT | FS_S_STRICT | FS_S_ACKED;
	s.acked = s.seq;
	s.own = own;
	s.pub = pub;
	fs_segment(&conn, &s);
	lines_total += s.lines;
	/* a held-back tail comes again in the next segment */
	sd->pos += s.drop ? 0 : s.keep;
	if (s.drop && !s.keep)
		sd->pos += n;	/* never stall the benchmark */
}

int main(int argc, char **argv)
{
	struct side c = { 0 }, sv = { 0 };
	size_t chunk = 1448;
	int k;

	if (argc < 3) {
		fprintf(stderr, "usage: bench_engine CLIENT SERVER [CHUNK]\n");
		return 2;
	}
	if (argc > 3)
		chunk = (size_t)strtoul(argv[3], NULL, 10);
	if (!chunk || chunk > 65535)
		chunk = 1448;
	c.data = slurp("bench_engine", argv[1], &c.len);
	sv.data = slurp("bench_engine", argv[2], &sv.len);
	c.isn = 1000;
	sv.isn = 7000000;
	own.family = pub.family = 4;
	inet_pton(AF_INET, "10.125.209.236", own.addr);
	inet_pton(AF_INET, "203.0.113.1", pub.addr);
	fs_start(&conn, FS_CLIENT, c.isn);
	fs_start(&conn, FS_SERVER, sv.isn);
	while (c.pos < c.len || sv.pos < sv.len) {
		if (c.pos < c.len)
			segment(&c, FS_CLIENT, chunk);
		/* keep the server at the client's relative pace */
		while (sv.pos < sv.len &&
		       (c.pos >= c.len ||
			(double)sv.pos / (double)sv.len <=
			(double)c.pos / (double)c.len))
			segment(&sv, FS_SERVER, chunk);
	}
	fs_release(&conn, NULL);
	printf("bytes %zu lines %lu chunk %zu expects %lu\n",
	       c.len + sv.len, lines_total, chunk, expects);
	for (k = 0; k < FS_EV__COUNT; k++)
		if (events[k])
			printf("  %-14s %lu\n", fs_event_name((enum fs_event)k),
			       events[k]);
	return 0;
}
