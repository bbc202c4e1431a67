/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * stream_sim.h - the harness shared by tests/unit/unit_stream.c and
 * tests/fuzz/fuzz_stream.c: a host for src/ftp_stream.c, a generator of
 * FTP sessions, a model of the kernel's sequence adjustment and a sender
 * and receiver around the engine (see unit_stream.c for the properties).
 *
 * Random choices come from rnd(): a xorshift generator, or, when
 * sim_bytes is set (the fuzzer), the bytes of the input.  Sessions are
 * generated (gen_client(), gen_server(), gen_tls()) or, once
 * corpus_load() has paired a corpus, cut from it (gen_corpus()).
 */
#ifndef STREAM_SIM_H
#define STREAM_SIM_H

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ftp_stream.h"

/* ---- the host ------------------------------------------------------- */

struct host {
	int ev[FS_EV__COUNT];
	int nexp;
	uint16_t exp_port[512];
	int port_shift;		/* !keep_port: answer port + shift */
	int fail_alloc;
	int allocs, frees;
	int live_max;		/* line buffers held at once, at most */
};

fp_u16 fs_host_expect(void *h, const struct fs_expect *e)
{
	struct host *H = h;
	unsigned int p = e->line->ep.port;

	if (!e->keep_port && H->port_shift)
		p = 1024 + (p - 1024 + (unsigned int)H->port_shift) % 64000;
	if (H->nexp < 512)
		H->exp_port[H->nexp] = (uint16_t)p;
	H->nexp++;
	return (fp_u16)p;
}

static int tracing;

/*
 * @fn (fs_segment() or the reference engine) on a copy of the payload in
 * a heap block of exactly its length, so that under AddressSanitizer (the
 * unit and fuzz builds) a read past the segment's end, or before its
 * start, is an error: the kernel hands the engine the payload where it
 * lies, a page fragment included, and nothing after it is the engine's.
 */
static void sim_segment_fn(void (*fn)(struct fs_conn *, struct fs_seg *),
			   struct fs_conn *c, struct fs_seg *s)
{
	const char *orig = s->data;
	char *p = malloc(s->len ? s->len : 1);

	if (!p)
		abort();
	memcpy(p, orig, s->len);
	s->data = p;
	fn(c, s);
	s->data = orig;
	free(p);
}

static void sim_segment(struct fs_conn *c, struct fs_seg *s)
{
	sim_segment_fn(fs_segment, c, s);
}

void fs_host_event(void *h, enum fs_event ev)
{
	((struct host *)h)->ev[ev]++;
	if (tracing)
		printf("  event %s\n", fs_event_name(ev));
}

void fs_host_line(void *h, const struct fp_line *line, fp_u32 seq)
{
	(void)h;
	(void)line;
	(void)seq;
}

void *fs_host_alloc_lines(void *h)
{
	struct host *H = h;

	if (H->fail_alloc)
		return NULL;
	H->allocs++;
	if (H->allocs - H->frees > H->live_max)
		H->live_max = H->allocs - H->frees;
	return malloc(FS_LINES_SIZE);
}

void fs_host_free_lines(void *h, void *p)
{
	if (h)
		((struct host *)h)->frees++;
	free(p);
}

/* ---- a deterministic generator ------------------------------------- */

static uint64_t rng_state;
static const uint8_t *sim_bytes;
static size_t sim_left;
static int trace_round = -1;

static uint32_t rnd(void)
{
	if (sim_bytes) {
		uint32_t v = 0;
		int k;

		for (k = 0; k < 4 && sim_left; k++, sim_left--)
			v = v << 8 | *sim_bytes++;
		return v;
	}
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 11);
}

static uint32_t rndn(uint32_t n)
{
	return n ? rnd() % n : 0;
}

static int chance(int percent)
{
	return (int)rndn(100) < percent;
}

/* ---- the kernel's sequence adjustment, modelled -------------------- */

static int before32(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static int after32(uint32_t a, uint32_t b)
{
	return before32(b, a);
}

struct adjm {
	uint32_t pos;
	int32_t before, after;
};

/* nf_ct_seqadj_set() */
static void adj_set(struct adjm *a, uint32_t pos, int32_t off)
{
	if (!off)
		return;
	if (a->before == a->after || before32(a->pos, pos)) {
		a->pos = pos;
		a->before = a->after;
		a->after += off;
	}
}

/* nf_ct_seq_adjust(): the sender's sequence number and the peer's ACK. */
static uint32_t adj_seq(const struct adjm *a, uint32_t seq)
{
	return seq + (uint32_t)(after32(seq, a->pos) ? a->after : a->before);
}

static uint32_t adj_ack(const struct adjm *a, uint32_t ack)
{
	int32_t off = after32(ack - (uint32_t)a->before, a->pos) ?
		      a->after : a->before;

	return ack - (uint32_t)off;
}

/* ---- addresses ------------------------------------------------------- */

struct addrs {
	int v6;
	struct fs_addr own, pub;
	char own_text[64], pub_text[64];	/* EPRT form */
	char own_comma[32], pub_comma[32];	/* PORT/227 form */
};

static void set_addrs(struct addrs *A, int v6, const char *own,
		      const char *pub)
{
	memset(A, 0, sizeof(*A));
	A->v6 = v6;
	A->own.family = A->pub.family = v6 ? 6 : 4;
	inet_pton(v6 ? AF_INET6 : AF_INET, own, A->own.addr);
	inet_pton(v6 ? AF_INET6 : AF_INET, pub, A->pub.addr);
	snprintf(A->own_text, sizeof(A->own_text), "%s", own);
	snprintf(A->pub_text, sizeof(A->pub_text), "%s", pub);
	if (!v6) {
		const uint8_t *o = A->own.addr, *p = A->pub.addr;

		snprintf(A->own_comma, sizeof(A->own_comma), "%u,%u,%u,%u",
			 o[0], o[1], o[2], o[3]);
		snprintf(A->pub_comma, sizeof(A->pub_comma), "%u,%u,%u,%u",
			 p[0], p[1], p[2], p[3]);
	}
}

/* ---- sessions -------------------------------------------------------- */

struct stream {
	char *in, *exp;		/* original, expected at the peer */
	size_t n, en, cap;
	int endpoints;		/* lines that must be expected */
	int third;		/* third-party endpoints (refused, strict) */
	int tls;		/* goes encrypted (gen_tls()) */
	int ccc;		/* and back to clear text after it */
};

static void put(struct stream *S, const char *in, const char *exp)
{
	size_t a = strlen(in), b = strlen(exp);

	if (S->n + a + 1 > S->cap || S->en + b + 1 > S->cap) {
		S->cap = (S->cap + a + b + 64) * 2;
		S->in = realloc(S->in, S->cap);
		S->exp = realloc(S->exp, S->cap);
	}
	memcpy(S->in + S->n, in, a);
	memcpy(S->exp + S->en, exp, b);
	S->n += a;
	S->en += b;
}

/* Bytes that pass as they are (binary: TLS records). */
static void put_bytes(struct stream *S, const void *p, size_t n)
{
	if (S->n + n + 1 > S->cap || S->en + n + 1 > S->cap) {
		S->cap = (S->cap + n + 64) * 2;
		S->in = realloc(S->in, S->cap);
		S->exp = realloc(S->exp, S->cap);
	}
	memcpy(S->in + S->n, p, n);
	memcpy(S->exp + S->en, p, n);
	S->n += n;
	S->en += n;
}

static void free_stream(struct stream *S)
{
	free(S->in);
	free(S->exp);
	memset(S, 0, sizeof(*S));
}

/* Client commands. @nat: whether the own address is rewritten. */
static void gen_client(struct stream *S, const struct addrs *A, int lines,
		       int nat)
{
	char in[1024], ex[1024];
	int i;

	for (i = 0; i < lines; i++) {
		unsigned int port = 1024 + rndn(60000);
		const char *own = A->v6 ? A->own_text : A->own_comma;
		const char *pub = nat ? (A->v6 ? A->pub_text : A->pub_comma) :
				  own;

		switch (rndn(A->v6 ? 8 : 10)) {
		case 0:
			snprintf(in, sizeof(in), "EPRT |%c|%s|%u|\r\n",
				 A->v6 ? '2' : '1', A->own_text, port);
			snprintf(ex, sizeof(ex), "EPRT |%c|%s|%u|\r\n",
				 A->v6 ? '2' : '1',
				 nat ? A->pub_text : A->own_text, port);
			S->endpoints++;
			break;
		case 1: {
			char pad[700];
			size_t k = 500 + rndn(190);

			memset(pad, 'x', k);
			pad[k] = 0;
			snprintf(in, sizeof(in), "SITE %s\r\n", pad);
			snprintf(ex, sizeof(ex), "%s", in);
			break;
		}
		case 2:
			snprintf(in, sizeof(in), "TYPE I\r\n");
			snprintf(ex, sizeof(ex), "%s", in);
			break;
		case 3:
			snprintf(in, sizeof(in), "RETR file-%u.bin\r\n", port);
			snprintf(ex, sizeof(ex), "%s", in);
			break;
		case 4:
			snprintf(in, sizeof(in), "EPRT |%c|%s|%u|\r\n",
				 A->v6 ? '2' : '1',
				 A->v6 ? "2001:db8:ffff::9" : "198.51.100.9",
				 port);
			snprintf(ex, sizeof(ex), "%s", in);
			S->third++;
			break;
		case 5:
			snprintf(in, sizeof(in), "NOOP\r\n");
			snprintf(ex, sizeof(ex), "%s", in);
			break;
		case 6:
		case 7:
			snprintf(in, sizeof(in), "USER u%u\r\nPASS p\r\n", port);
			snprintf(ex, sizeof(ex), "%s", in);
			break;
		default:
			/* PORT only exists for IPv4 */
			snprintf(in, sizeof(in), "PORT %s,%u,%u\r\n", own,
				 port >> 8, port & 255);
			snprintf(ex, sizeof(ex), "PORT %s,%u,%u\r\n", pub,
				 port >> 8, port & 255);
			S->endpoints++;
			break;
		}
		put(S, in, ex);
	}
}

/*
 * The end of a session that goes encrypted: AUTH TLS answered by 234, then
 * TLS records of every type the engine follows (20..24), some spanning
 * many segments, their bytes random or the text of a 227/229 with the own
 * address, which must pass as it is (nothing is parsed inside TLS, and
 * nothing there is expected); then, half the time, clear text again after
 * CCC (RFC 4217): replies of no interest, whose commands went encrypted
 * (so none is in @cmds).
 */
static void gen_tls(struct stream *S, struct stream *cmds,
		    const struct addrs *A)
{
	unsigned char rec[5 + 2048];
	int r, nrec = 1 + (int)rndn(6);

	S->tls = 1;
	put(S, "234 AUTH TLS OK.\r\n", "234 AUTH TLS OK.\r\n");
	put(cmds, "AUTH TLS\r\n", "AUTH TLS\r\n");
	for (r = 0; r < nrec; r++) {
		uint32_t len = chance(20) ? 1000 + rndn(1000) : 1 + rndn(300);
		uint32_t k = 0;

		rec[0] = (unsigned char)(20 + rndn(5));
		rec[1] = 3;
		rec[2] = (unsigned char)rndn(4);
		rec[3] = (unsigned char)(len >> 8);
		rec[4] = (unsigned char)len;
		while (k < len) {
			char *o = (char *)rec + 5 + k;
			unsigned int port = 1024 + rndn(60000);

			if (len - k > 64 && chance(3) && !A->v6)
				k += (uint32_t)snprintf(o, 64,
					"\r\n227 Entering Passive Mode (%s,%u,%u).\r\n",
					A->own_comma, port >> 8, port & 255);
			else if (len - k > 64 && chance(3))
				k += (uint32_t)snprintf(o, 64,
					"\r\n229 Entering Extended Passive Mode (|||%u|)\r\n",
					port);
			else
				rec[5 + k++] = (unsigned char)rnd();
		}
		put_bytes(S, rec, 5 + len);
	}
	if (chance(50)) {
		S->ccc = 1;
		put(S, "200 Command okay.\r\n", "200 Command okay.\r\n");
		put(S, "211-Features:\r\n EPRT\r\n211 End\r\n",
		    "211-Features:\r\n EPRT\r\n211 End\r\n");
		put(S, "226 Transfer complete.\r\n",
		    "226 Transfer complete.\r\n");
	}
}

/*
 * Server replies, and the client commands they answer (one per final
 * reply, in order) in @cmds; a quarter of the sessions end encrypted
 * (gen_tls()).
 */
static void gen_server(struct stream *S, struct stream *cmds,
		       const struct addrs *A, int lines, int nat)
{
	char in[1024], ex[1024];
	int i;

	for (i = 0; i < lines; i++) {
		unsigned int port = 1024 + rndn(60000);
		const char *cmd = "NOOP\r\n";

		switch (rndn(A->v6 ? 5 : 7)) {
		case 0:
			snprintf(in, sizeof(in), "200 Command okay.\r\n");
			snprintf(ex, sizeof(ex), "%s", in);
			break;
		case 1:
			snprintf(in, sizeof(in),
				 "211-Features:\r\n EPRT\r\n EPSV\r\n211 End\r\n");
			snprintf(ex, sizeof(ex), "%s", in);
			break;
		case 2: {
			char pad[700];
			size_t k = 500 + rndn(190);

			memset(pad, 'd', k);
			pad[k] = 0;
			snprintf(in, sizeof(in), "257 \"/%s\" created.\r\n",
				 pad);
			snprintf(ex, sizeof(ex), "%s", in);
			cmd = "MKD x\r\n";
			break;
		}
		case 3:
			snprintf(in, sizeof(in),
				 "229 Entering Extended Passive Mode (|||%u|)\r\n",
				 port);
			snprintf(ex, sizeof(ex), "%s", in);
			cmd = "EPSV\r\n";
			S->endpoints++;
			break;
		case 4:
			snprintf(in, sizeof(in),
				 "150 Opening data connection.\r\n226 Transfer complete.\r\n");
			snprintf(ex, sizeof(ex), "%s", in);
			cmd = "RETR x\r\n";
			break;
		default:
			snprintf(in, sizeof(in),
				 "227 Entering Passive Mode (%s,%u,%u).\r\n",
				 A->own_comma, port >> 8, port & 255);
			snprintf(ex, sizeof(ex),
				 "227 Entering Passive Mode (%s,%u,%u).\r\n",
				 nat ? A->pub_comma : A->own_comma,
				 port >> 8, port & 255);
			cmd = "PASV\r\n";
			S->endpoints++;
			break;
		}
		put(S, in, ex);
		put(cmds, cmd, cmd);
	}
	if (chance(25))
		gen_tls(S, cmds, A);
}

/* ---- sessions from the corpus ---------------------------------------- */

/*
 * The project's corpus (tests/corpus/gen-corpus.py): session-client.txt
 * holds the commands of many sessions (each from USER to QUIT),
 * session-server.txt the server's side of the same sessions: a greeting,
 * then one reply group per command (1yz lines, then the final reply, which
 * may be multi-line).  corpus_load() pairs every command with its reply
 * group; gen_corpus() cuts a session of the property test from it.
 */
struct corpus_cmd {
	const char *c, *r;	/* the command line, its reply group */
	size_t cn, rn;
	int start;		/* the first command of a session (USER) */
};

static char *corpus_cbuf, *corpus_sbuf;
static struct corpus_cmd *corpus_cmds;
static size_t corpus_n;

static char *corpus_read(const char *dir, const char *name, size_t *len)
{
	char path[4096];
	FILE *f;
	char *b;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) || !(b = malloc((size_t)n + 1))) {
		fclose(f);
		return NULL;
	}
	if (fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		fclose(f);
		return NULL;
	}
	fclose(f);
	b[n] = 0;
	*len = (size_t)n;
	return b;
}

static size_t corpus_line(const char *b, size_t at, size_t len)
{
	const char *e = memchr(b + at, '\n', len - at);

	return e ? (size_t)(e - b) + 1 - at : len - at;
}

static int corpus_code(const char *l, size_t n)
{
	if (n < 4 || l[0] < '0' || l[0] > '9' || l[1] < '0' || l[1] > '9' ||
	    l[2] < '0' || l[2] > '9')
		return -1;
	return (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
}

/* The length of the reply group at @at: up to its final reply. */
static size_t corpus_group(const char *b, size_t at, size_t len)
{
	size_t p = at;
	int multi = -1;

	while (p < len) {
		size_t n = corpus_line(b, p, len);
		int code = corpus_code(b + p, n);

		p += n;
		if (multi >= 0) {
			if (code == multi && b[p - n + 3] == ' ') {
				multi = -1;
				if (code >= 200)
					return p - at;
			}
		} else if (code >= 0 && b[p - n + 3] == '-') {
			multi = code;
		} else if (code >= 200) {
			return p - at;
		}
	}
	return 0;
}

static int corpus_is(const char *l, size_t n, const char *word)
{
	size_t k = strlen(word), i;

	if (n < k)
		return 0;
	for (i = 0; i < k; i++)
		if ((l[i] | 0x20) != (word[i] | 0x20))
			return 0;
	return n == k || l[k] == ' ' || l[k] == '\r' || l[k] == '\n';
}

/*
 * Load @dir's session-client.txt and session-server.txt and pair them:
 * 0, or -1 with the reason in @why (missing files, or sides that do not
 * pair: every reply group consumed by one command or one greeting).
 */
static int corpus_load(const char *dir, char *why, size_t whylen)
{
	size_t cl, sl, cp = 0, sp = 0, cap = 0, prev = 0;
	int quit = 1;

	corpus_cbuf = corpus_read(dir, "session-client.txt", &cl);
	corpus_sbuf = corpus_read(dir, "session-server.txt", &sl);
	if (!corpus_cbuf || !corpus_sbuf) {
		snprintf(why, whylen, "cannot read %s/session-{client,server}.txt",
			 dir);
		return -1;
	}
	while (cp < cl) {
		size_t n = corpus_line(corpus_cbuf, cp, cl), g;
		struct corpus_cmd *k;
		int start = quit && corpus_is(corpus_cbuf + cp, n, "USER");

		if (start) {
			/* the greeting answers no command */
			g = corpus_group(corpus_sbuf, sp, sl);
			if (!g)
				break;
			sp += g;
		}
		g = corpus_group(corpus_sbuf, sp, sl);
		if (!g)
			break;
		if (corpus_n == cap) {
			cap = cap ? 2 * cap : 1024;
			corpus_cmds = realloc(corpus_cmds,
					      cap * sizeof(*corpus_cmds));
		}
		k = &corpus_cmds[corpus_n++];
		k->c = corpus_cbuf + cp;
		k->cn = n;
		k->r = corpus_sbuf + sp;
		k->rn = g;
		k->start = start;
		quit = corpus_is(k->c, n, "QUIT");
		cp += n;
		sp += g;
		prev = cp;
	}
	if (cp < cl || sp < sl || !corpus_n) {
		snprintf(why, whylen,
			 "%s: the sides do not pair: %zu commands, client at %zu of %zu bytes, server at %zu of %zu",
			 dir, corpus_n, prev, cl, sp, sl);
		corpus_n = 0;
		return -1;
	}
	return 0;
}

/*
 * @l (@n bytes, a line of @d), when it is an endpoint the router must
 * expect (PORT, an IPv4 EPRT; a 227 or 229 answering a bare PASV or EPSV,
 * @bare): 1, with the line in @in with the own address and in @ex with
 * the one the peer must get (the public one under @nat).  0 for any other
 * line, which goes as it is.
 */
static int corpus_subst(const char *l, size_t n, enum fp_dir d, int bare,
			const struct addrs *A, int nat, char *in, char *ex,
			size_t size)
{
	struct fp_line pl;
	const char *own, *pub, *rest;
	int head, tail;

	fp_parse_line(l, n, d, &pl);
	if (d == FP_DIR_CLIENT ? pl.kind != FP_K_PORT &&
	    !(pl.kind == FP_K_EPRT && pl.ep.family == 4) :
	    !bare || (pl.kind != FP_K_227 && pl.kind != FP_K_229))
		return 0;
	if (pl.kind == FP_K_229) {
		/* no address: the line as it is */
		snprintf(in, size, "%.*s", (int)n, l);
		snprintf(ex, size, "%.*s", (int)n, l);
		return 1;
	}
	own = pl.kind == FP_K_EPRT ? A->own_text : A->own_comma;
	pub = nat ? (pl.kind == FP_K_EPRT ? A->pub_text : A->pub_comma) : own;
	head = pl.addr_off;
	rest = l + pl.addr_off + pl.addr_len;
	tail = (int)(n - pl.addr_off - pl.addr_len);
	snprintf(in, size, "%.*s%s%.*s", head, l, own, tail, rest);
	snprintf(ex, size, "%.*s%s%.*s", head, l, pub, tail, rest);
	return 1;
}

/*
 * A window of 1..30 consecutive commands of one corpus session (the
 * command queue holds them all), mostly from its start, for an IPv4
 * address set: the client's lines (@dir FS_CLIENT), or the server's reply
 * groups to them with the commands in @cmds (PORT and EPRT as NOOP there:
 * in this test the commands' direction creates no expectation).  A window
 * ends before AUTH: the corpus's replies are no TLS records.  Returns the
 * number of commands taken.
 */
static int gen_corpus(struct stream *S, struct stream *cmds,
		      const struct addrs *A, int dir, int nat)
{
	size_t a = rndn((uint32_t)corpus_n), b, i, p;
	char in[1100], ex[1100];

	while (a > 0 && !corpus_cmds[a].start && chance(90))
		a--;
	for (b = a + 1; b < corpus_n && b - a < 30 && !corpus_cmds[b].start;
	     b++)
		;
	b = a + 1 + rndn((uint32_t)(b - a));
	for (i = a; i < b; i++) {
		const struct corpus_cmd *k = &corpus_cmds[i];
		/* "PASV" or "EPSV" alone: "EPSV 2" is not bare */
		int bare = k->cn <= 6 && (corpus_is(k->c, k->cn, "PASV") ||
					  corpus_is(k->c, k->cn, "EPSV"));

		if (corpus_is(k->c, k->cn, "AUTH"))
			break;
		if (dir == FS_CLIENT) {
			if (k->cn < 1000 &&
			    corpus_subst(k->c, k->cn, FP_DIR_CLIENT, 0, A, nat,
					 in, ex, sizeof(in))) {
				S->endpoints++;
				put(S, in, ex);
			} else {
				put_bytes(S, k->c, k->cn);
			}
			continue;
		}
		if (corpus_is(k->c, k->cn, "PORT") ||
		    corpus_is(k->c, k->cn, "EPRT"))
			put(cmds, "NOOP\r\n", "NOOP\r\n");
		else
			put_bytes(cmds, k->c, k->cn);
		for (p = 0; p < k->rn; ) {
			size_t n = corpus_line(k->r, p, k->rn);

			if (n < 1000 && corpus_subst(k->r + p, n, FP_DIR_SERVER,
						     bare, A, nat, in, ex,
						     sizeof(in))) {
				S->endpoints++;
				put(S, in, ex);
			} else {
				put_bytes(S, k->r + p, n);
			}
			p += n;
		}
	}
	return (int)(i - a);
}

/* ---- one direction through the router ------------------------------- */

struct sim {
	struct fs_conn *c;
	struct host *h;
	const struct addrs *A;
	int dir, nat, strict;
	const char *in;
	uint32_t n, isn;
	uint32_t una, nxt;		/* sender, offsets */
	char *out;
	unsigned char *have;
	uint32_t cap, rcv;		/* receiver, output offsets */
	uint32_t *map;			/* original offset -> output + 1 */
	uint32_t maxack;		/* router: conntrack's td_maxack */
	int ackv;
	struct adjm adj;
	int bad;
	char why[240];
};

static void sim_bad(struct sim *m, const char *fmt, ...)
{
	va_list ap;

	if (m->bad++)
		return;
	va_start(ap, fmt);
	vsnprintf(m->why, sizeof(m->why), fmt, ap);
	va_end(ap);
}

static void sim_init(struct sim *m, struct fs_conn *c, struct host *h,
		     const struct addrs *A, int dir, int nat,
		     const char *in, size_t n)
{
	memset(m, 0, sizeof(*m));
	m->c = c;
	m->h = h;
	m->A = A;
	m->dir = dir;
	m->nat = nat;
	m->strict = 1;
	m->in = in;
	m->n = (uint32_t)n;
	m->isn = rnd();
	m->cap = (uint32_t)n * 2 + 4096;
	m->out = calloc(m->cap, 1);
	m->have = calloc(m->cap, 1);
	m->map = calloc(n + 1, sizeof(*m->map));
	fs_start(c, (enum fs_dirn)dir, m->isn);
}

static void sim_free(struct sim *m)
{
	free(m->map);
	free(m->out);
	free(m->have);
}

/* The receiver acknowledges; the ACK may reach the router and sender. */
static void sim_ack(struct sim *m, int to_router, int to_sender)
{
	uint32_t ack_out = m->isn + m->rcv, ack_in;

	if (!to_router)
		return;
	ack_in = adj_ack(&m->adj, ack_out);
	if (after32(ack_in, m->isn + m->nxt))
		sim_bad(m, "ACK %u for bytes never sent (sent up to %u)",
			ack_in - m->isn, m->nxt);
	if (!m->ackv || after32(ack_in, m->maxack))
		m->maxack = ack_in;
	m->ackv = 1;
	if (to_sender && after32(ack_in, m->isn + m->una))
		m->una = ack_in - m->isn;
	if (tracing)
		printf("  ack out %u -> in %u%s\n", m->rcv, ack_in - m->isn,
		       to_sender ? "" : " (not to sender)");
}

/* Segment [a, b) of the original stream reaches the router. */
static void sim_route(struct sim *m, uint32_t a, uint32_t b, int deliver)
{
	struct fs_seg s;
	char buf[2048];
	uint32_t blen, o, i;

	memset(&s, 0, sizeof(s));
	s.data = m->in + a;
	s.seq = m->isn + a;
	s.len = b - a;
	s.dir = (fp_u8)m->dir;
	s.flags = (m->nat ? FS_S_NAT : 0) | (m->strict ? FS_S_STRICT : 0) |
		  (m->ackv ? FS_S_ACKED : 0);
	s.acked = m->maxack;
	s.own = m->A->own;
	s.pub = m->nat ? m->A->pub : m->A->own;
	s.host = m->h;
	sim_segment(m->c, &s);
	if (s.adj)
		adj_set(&m->adj, s.adj_pos, s.adj_delta);
	if (tracing)
		printf("  route %u..%u deliver %d: drop %d head %u keep %u edit %u+%u->%.*s adj %d@%u%+d | adj pos %u %d/%d out@%u acked %u\n",
		       a, b, deliver, s.drop, s.head, s.keep, s.edit_off,
		       s.edit_len,
		       (int)s.rep_len, s.rep, s.adj, s.adj_pos - m->isn,
		       s.adj_delta, m->adj.pos - m->isn, m->adj.before,
		       m->adj.after, adj_seq(&m->adj, s.seq) - m->isn,
		       m->maxack - m->isn);
	if (s.drop)
		return;
	if (s.head > s.len || s.keep > s.len || s.keep < s.head ||
	    (s.nedit && (s.edit_off < s.head ||
			 s.edit_off + s.edit_len > s.keep))) {
		sim_bad(m, "bad verdict head %u keep %u len %u edit %u+%u",
			s.head, s.keep, s.len, s.edit_off, s.edit_len);
		return;
	}
	if (s.head == s.len) {
		/* all old: an empty segment the peer answers with an ACK */
		if (deliver)
			sim_ack(m, 1, 1);
		return;
	}
	if (s.nedit) {
		uint32_t k = s.edit_off - s.head;

		memcpy(buf, s.data + s.head, k);
		memcpy(buf + k, s.rep, s.rep_len);
		memcpy(buf + k + s.rep_len, s.data + s.edit_off + s.edit_len,
		       s.keep - s.edit_off - s.edit_len);
		blen = s.keep - s.head - s.edit_len + s.rep_len;
	} else {
		memcpy(buf, s.data + s.head, s.keep - s.head);
		blen = s.keep - s.head;
	}
	s.seq += s.head;
	if (!deliver)
		return;
	o = adj_seq(&m->adj, s.seq) - m->isn;
	/*
	 * Every original byte outside a rewrite lands at one output offset,
	 * in order: the sequence-offset map is a function, and monotone.
	 */
	for (i = s.head; i < s.keep; i++) {
		uint32_t p;

		if (s.nedit && i >= s.edit_off && i < s.edit_off + s.edit_len)
			continue;
		p = o + (i - s.head);
		if (s.nedit && i >= s.edit_off + s.edit_len)
			p = p - s.edit_len + s.rep_len;
		if (m->map[a + i] && m->map[a + i] != p + 1)
			sim_bad(m, "original byte %u at output %u, earlier at %u",
				a + i, p, m->map[a + i] - 1);
		m->map[a + i] = p + 1;
		if (a + i && m->map[a + i - 1] && m->map[a + i - 1] > p + 1)
			sim_bad(m, "original bytes %u, %u out of order at output",
				a + i - 1, a + i);
	}
	for (i = 0; i < blen; i++) {
		uint32_t p = o + i;

		if (p >= m->cap) {
			sim_bad(m, "byte of segment %u..%u lands at %d", a, b,
				(int32_t)p);
			return;
		}
		if (m->have[p] && m->out[p] != buf[i]) {
			sim_bad(m, "segment %u..%u (kept %u, at %u) puts '%c' where '%c' is at output %u",
				a, b, s.keep, o, buf[i], m->out[p], p);
			return;
		}
		m->out[p] = buf[i];
		m->have[p] = 1;
	}
	while (m->rcv < m->cap && m->have[m->rcv])
		m->rcv++;
}

#define MAXPEND	4

struct pend {
	uint32_t a, b;
};

/*
 * Chaos, then a clean finish: the sender sends from its oldest unACKed
 * byte until everything is ACKed.  Returns 0 when it completed.
 */
static int sim_run(struct sim *m, int chaos_steps, int mss, int upstream)
{
	struct pend pend[MAXPEND];
	int npend = 0, step, guard;

	for (step = 0; step < chaos_steps && m->una < m->n && !m->bad;
	     step++) {
		uint32_t a, b;
		int r = (int)rndn(100);

		if (r < 30)
			a = m->una;
		else if (r < 60)
			a = m->una + rndn(m->nxt - m->una + 1);
		else
			a = m->nxt;
		if (a >= m->n)
			a = m->una;
		b = a + 1 + rndn((uint32_t)mss);
		if (b > m->n)
			b = m->n;
		if (b > m->nxt)
			m->nxt = b;
		if (upstream && chance(10))
			continue;			/* lost before the router */
		if (upstream && npend < MAXPEND && chance(20)) {
			pend[npend].a = a;		/* overtaken */
			pend[npend++].b = b;
			continue;
		}
		sim_route(m, a, b, !chance(10));
		if (chance(5))
			sim_route(m, a, b, 1);		/* duplicated */
		if (npend && chance(50)) {
			int k = (int)rndn((uint32_t)npend);

			sim_route(m, pend[k].a, pend[k].b, 1);
			pend[k] = pend[--npend];
		}
		sim_ack(m, chance(90), chance(85));
	}
	while (npend && !m->bad) {
		sim_route(m, pend[npend - 1].a, pend[npend - 1].b, 1);
		npend--;
	}
	sim_ack(m, 1, 1);
	/*
	 * Like a TCP sender: a window of four segments from the oldest
	 * unACKed byte, of at least 48 bytes each (Linux's smallest MSS).
	 */
	if (mss < 48)
		mss = 48;
	for (guard = 0; m->una < m->n && !m->bad && guard < 20000; guard++) {
		uint32_t a = m->una, b;
		int k;

		for (k = 0; k < 4 && a < m->n; k++, a = b) {
			b = a + (uint32_t)mss;
			if (b > m->n)
				b = m->n;
			if (b > m->nxt)
				m->nxt = b;
			sim_route(m, a, b, 1);
		}
		sim_ack(m, 1, 1);
	}
	if (m->una < m->n && !m->bad)
		sim_bad(m, "stalled: %u of %u bytes ACKed", m->una, m->n);
	return m->bad;
}

/* ---- the property test ---------------------------------------------- */

static size_t first_diff(const char *a, size_t an, const char *b, size_t bn)
{
	size_t k = 0;

	while (k < an && k < bn && a[k] == b[k])
		k++;
	return k;
}

static const struct {
	int v6;
	const char *own, *pub;
} addr_sets[] = {
	{ 0, "10.0.0.22", "203.0.113.1" },		/* grows */
	{ 0, "192.168.100.200", "1.2.3.4" },		/* shrinks by 8 */
	{ 0, "10.10.10.10", "203.0.113.10" },		/* grows by 1 */
	{ 0, "10.1.2.3", "10.1.2.3" },			/* NAT, same address */
	{ 1, "fd00::22", "2001:db8::1" },
	{ 1, "fd12:3456:789a:1::22", "2001:db8::1" },	/* shrinks */
};

/*
 * One generated session through the engine and the model: 0 when every
 * property held, else 1 with the reason in @why.  *@exact: the peer's
 * stream was compared byte for byte with the expected one; *@held: and
 * some segment was held back on the way.
 */
static int sim_property(int round, char *why, size_t whylen, int *exact,
			int *held)
{
	struct stream S = { 0 }, C = { 0 };
	struct addrs A;
	struct fs_conn c;
	struct host h;
	struct sim m;
	int set = (int)rndn(sizeof(addr_sets) / sizeof(addr_sets[0]));
	int dir = (int)rndn(2), nat = !chance(15);
	int mss = chance(20) ? 536 : chance(50) ? 64 + (int)rndn(140) :
		  1 + (int)rndn(80);
	int upstream = chance(30), shift = chance(20) ? 7 : 0;
	int lines = 1 + (int)rndn(40);
	int chaos = chance(20) ? 0 : (int)rndn(300);
	int corpus = corpus_n && chance(50);
	int clean, bad = 0;
	char cfg[160];

	*exact = *held = 0;
	set_addrs(&A, addr_sets[set].v6, addr_sets[set].own,
		  addr_sets[set].pub);
	if (!strcmp(A.own_text, A.pub_text))
		nat = 1;
	memset(&c, 0, sizeof(c));
	memset(&h, 0, sizeof(h));
	h.port_shift = shift;
	if (corpus && addr_sets[set].v6) {
		/* the corpus's addresses are IPv4 ones */
		set -= 4;
		set_addrs(&A, 0, addr_sets[set].own, addr_sets[set].pub);
		if (!strcmp(A.own_text, A.pub_text))
			nat = 1;
	}
	if (corpus)
		lines = gen_corpus(&S, &C, &A, dir, nat);
	if (!S.n)
		corpus = 0;
	if (!corpus && dir == FS_CLIENT)
		gen_client(&S, &A, lines, nat);
	else if (!corpus)
		gen_server(&S, &C, &A, lines, nat);
	snprintf(cfg, sizeof(cfg),
		 "round %d (set %d, %s, nat %d, mss %d, chaos %d, upstream %d, shift %d, %d lines%s)",
		 round, set, dir ? "server" : "client", nat, mss, chaos,
		 upstream, shift, lines, corpus ? " from the corpus" : "");
	tracing = round == trace_round;
#define SIM_FAIL(...) do { \
		if (!bad++) { \
			int k_ = snprintf(why, whylen, "%s: ", cfg); \
			snprintf(why + k_, whylen - (size_t)k_, __VA_ARGS__); \
		} \
	} while (0)

	if (dir == FS_SERVER && C.n) {
		/* The commands these replies answer, seen first. */
		struct fs_seg s;

		memset(&s, 0, sizeof(s));
		s.data = C.in;
		s.len = (fp_u32)C.n;
		s.seq = 1000;
		s.dir = FS_CLIENT;
		s.own = A.pub;
		s.pub = A.pub;
		s.host = &h;
		sim_segment(&c, &s);
		if (s.drop || s.keep != s.len)
			SIM_FAIL("commands not passed");
	}

	sim_init(&m, &c, &h, &A, dir, nat, S.in, S.n);
	if (tracing)
		printf("stream:\n%.*s\nexpected:\n%.*s\n", (int)S.n, S.in,
		       (int)S.en, S.exp);
	sim_run(&m, chaos, mss, upstream);
	if (m.bad)
		SIM_FAIL("%s", m.why);
	/*
	 * Exactness is claimed when nothing went unparsed and no address
	 * had to be given up (a line whose address part never fits one of
	 * the sender's segments: MSS below ~60 bytes).
	 */
	clean = !h.ev[FS_EV_RESYNC] && !h.ev[FS_EV_REWRITE_FAIL];
	if (mss >= 64 && !chaos && h.ev[FS_EV_REWRITE_FAIL])
		SIM_FAIL("%d addresses not rewritten", h.ev[FS_EV_REWRITE_FAIL]);
	if (!m.bad && clean && !shift) {
		*exact = 1;
		*held = h.ev[FS_EV_HELD] != 0;
		if (m.rcv != S.en || memcmp(m.out, S.exp, S.en))
			SIM_FAIL("peer got %u bytes, expected %zu; first difference at %zu",
				 m.rcv, S.en,
				 first_diff(m.out, m.rcv, S.exp, S.en));
	}
	if (!m.bad && clean && h.nexp != S.endpoints)
		SIM_FAIL("%d expectations for %d endpoints", h.nexp,
			 S.endpoints);
	/* Pairing intact: the 234 answering AUTH TLS started TLS. */
	if (!m.bad && clean && S.tls && h.ev[FS_EV_TLS] != 1)
		SIM_FAIL("TLS started %d times after AUTH TLS and its 234",
			 h.ev[FS_EV_TLS]);
	/* ... and every record was followed to its end: no early CCC. */
	if (!m.bad && clean && S.tls && h.ev[FS_EV_CCC] != S.ccc)
		SIM_FAIL("back to clear text %d times, expected %d",
			 h.ev[FS_EV_CCC], S.ccc);
	/*
	 * Memory: the buffers stay only for a block rewrite whose ACK no
	 * segment has brought yet (at most FS_LINES_SIZE bytes), or for the
	 * cut last line of a stream that ends encrypted where the engine
	 * could not know it (pairing lost: its 234 did not start TLS).
	 */
	if (c.lines && !(S.tls && !(c.dir[dir].flags & FS_D_TLS) &&
			 S.in[S.n - 1] != '\n') &&
	    !(c.dir[0].rw.olen && (c.dir[0].rw.kind & FS_RW_BLOCK)) &&
	    !(c.dir[1].rw.olen && (c.dir[1].rw.kind & FS_RW_BLOCK)))
		SIM_FAIL("line buffer kept after the last line");
	fs_release(&c, &h);
	if (h.allocs != h.frees)
		SIM_FAIL("line buffers: %d allocated, %d freed", h.allocs,
			 h.frees);
	if (h.live_max > 1)
		SIM_FAIL("%d line buffers held at once (the bound is one)",
			 h.live_max);
#undef SIM_FAIL
	sim_free(&m);
	free_stream(&S);
	free_stream(&C);
	return bad != 0;
}

#endif /* STREAM_SIM_H */
