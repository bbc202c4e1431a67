// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Unit tests of src/ftp_parse.c: the project's corpus (every line of the
 * variants.tsv that tests/corpus/gen-corpus.py writes), an own table of
 * cases, fp_scan over pipelined buffers, fp_prefix, formatting, round
 * trips and splices; and, as an extra check when it is there, every line
 * of another corpus in the same format (../shared/corpus/variants.tsv).
 *
 * Usage: unit_parser [VARIANTS.TSV [EXTRA.TSV]]
 * Without VARIANTS.TSV the project's corpus is looked for relative to the
 * binary: <dir of argv[0]>/../../build/corpus/variants.tsv (made by
 * "make -C tests/unit run").  EXTRA.TSV is checked the same way when the
 * file exists; when it does not, a line says that the extra check was
 * skipped.  Prints one line per failure and ends with "N passed, N failed".
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ftp_parse.h"
#include "check.h"


/* Printable copy of a line for messages. */
static const char *show(const char *s, size_t n)
{
	static char buf[4][160];
	static int k;
	char *o = buf[k++ & 3];
	size_t i, j = 0;

	for (i = 0; i < n && j < 150; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 32 && c < 127) {
			o[j++] = (char)c;
		} else {
			j += (size_t)snprintf(o + j, 160 - j, "\\x%02x", c);
		}
	}
	o[j] = 0;
	return o;
}

/* Endpoint text, as in the corpus: ip:port, [v6]:port, :port. */
static void ep_str(const struct fp_endpoint *ep, char *o, size_t n)
{
	char a[64];

	if (ep->family == 4) {
		inet_ntop(AF_INET, ep->addr, a, sizeof(a));
		snprintf(o, n, "%s:%u", a, ep->port);
	} else if (ep->family == 6) {
		inet_ntop(AF_INET6, ep->addr, a, sizeof(a));
		snprintf(o, n, "[%s]:%u", a, ep->port);
	} else {
		snprintf(o, n, ":%u", ep->port);
	}
}

/* Parse an expectation "ip:port" / "[v6]:port" / ":port". */
static int ep_parse(const char *s, struct fp_endpoint *ep)
{
	char a[64];
	const char *c;
	size_t n;

	memset(ep, 0, sizeof(*ep));
	if (s[0] == '[') {
		c = strstr(s, "]:");
		if (!c || (size_t)(c - s - 1) >= sizeof(a))
			return -1;
		n = (size_t)(c - s - 1);
		memcpy(a, s + 1, n);
		a[n] = 0;
		if (inet_pton(AF_INET6, a, ep->addr) != 1)
			return -1;
		ep->family = 6;
		ep->port = (fp_u16)atoi(c + 2);
		return 0;
	}
	c = strrchr(s, ':');
	if (!c)
		return -1;
	n = (size_t)(c - s);
	if (n) {
		if (n >= sizeof(a))
			return -1;
		memcpy(a, s, n);
		a[n] = 0;
		if (inet_pton(AF_INET, a, ep->addr) != 1)
			return -1;
		ep->family = 4;
	}
	ep->port = (fp_u16)atoi(c + 1);
	return 0;
}

static int ep_eq(const struct fp_endpoint *a, const struct fp_endpoint *b)
{
	size_t n = a->family == 4 ? 4 : a->family == 6 ? 16 : 0;

	return a->family == b->family && a->port == b->port &&
	       memcmp(a->addr, b->addr, n) == 0;
}

static int has_ep(enum fp_kind k)
{
	return k == FP_K_PORT || k == FP_K_EPRT || k == FP_K_227 ||
	       k == FP_K_229;
}

/*
 * Properties every parsed line must have: ranges inside the line, the
 * address range inside the endpoint range, and the endpoint text at the
 * range re-parses to the same endpoint when spliced (identity), and a
 * changed endpoint spliced in parses back as the changed one.
 */
static void check_splice(const char *line, size_t len, enum fp_dir dir,
			 const struct fp_line *l)
{
	char txt[FP_FORMAT_MAX], buf[FP_LINE_MAX * 2 + 128];
	struct fp_endpoint ep2;
	struct fp_line r;
	size_t n, k, nl;
	int variant;

	if (!has_ep(l->kind))
		return;
	CHECK(l->ep_len && l->ep_off + l->ep_len <= l->len,
	      "ep range %u+%u outside line of %u", l->ep_off, l->ep_len,
	      l->len);
	if (l->kind != FP_K_229)
		CHECK(l->addr_off >= l->ep_off && l->addr_len &&
		      l->addr_off + l->addr_len <= l->ep_off + l->ep_len,
		      "addr range %u+%u not inside ep %u+%u", l->addr_off,
		      l->addr_len, l->ep_off, l->ep_len);
	else
		CHECK(l->addr_off == 0 && l->addr_len == 0,
		      "229 has an addr range");

	for (variant = 0; variant < 3; variant++) {
		ep2 = l->ep;
		if (variant == 1) {
			ep2.port = (fp_u16)(l->ep.port % 65535 + 1);
			for (k = 0; k < 16; k++)
				ep2.addr[k] ^= (fp_u8)(0x5a + k);
			if (l->ep.family == 4)
				memset(ep2.addr + 4, 0, 12);
		} else if (variant == 2) {
			ep2.port = 65535;
			if (l->ep.family == 6) {
				memset(ep2.addr, 0, 16);
				ep2.addr[15] = 1;
			}
		}
		n = fp_format(l->kind, &ep2, l->delim, txt, sizeof(txt));
		if (!n) {
			/* Only a delimiter clash may refuse to format. */
			size_t an = fp_format_addr(l->kind, &ep2, txt,
						   sizeof(txt));

			CHECK(l->kind == FP_K_EPRT && an &&
			      memchr(txt, l->delim, an),
			      "fp_format refused %s", fp_kind_name(l->kind));
			continue;
		}
		nl = len - l->ep_len + n;
		if (nl > sizeof(buf))
			continue;
		memcpy(buf, line, l->ep_off);
		memcpy(buf + l->ep_off, txt, n);
		memcpy(buf + l->ep_off + n, line + l->ep_off + l->ep_len,
		       len - l->ep_off - l->ep_len);
		fp_parse_line(buf, nl, dir, &r);
		CHECK(r.kind == l->kind && ep_eq(&r.ep, &ep2) &&
		      r.ep_off == l->ep_off && r.ep_len == n,
		      "splice v%d of '%s' -> '%s' gave %s/%s", variant,
		      show(txt, n), show(buf, nl), fp_kind_name(r.kind),
		      fp_reason_name(r.reason));
	}

	/* The address part alone. */
	if (l->kind == FP_K_229)
		return;
	n = fp_format_addr(l->kind, &l->ep, txt, sizeof(txt));
	CHECK(n, "fp_format_addr refused");
	if (!n || (l->delim && memchr(txt, l->delim, n)))
		return;
	nl = len - l->addr_len + n;
	if (nl > sizeof(buf))
		return;
	memcpy(buf, line, l->addr_off);
	memcpy(buf + l->addr_off, txt, n);
	memcpy(buf + l->addr_off + n, line + l->addr_off + l->addr_len,
	       len - l->addr_off - l->addr_len);
	fp_parse_line(buf, nl, dir, &r);
	CHECK(r.kind == l->kind && ep_eq(&r.ep, &l->ep) &&
	      r.addr_off == l->addr_off && r.addr_len == n,
	      "addr splice '%s' gave %s", show(buf, nl), fp_kind_name(r.kind));
}

/*
 * fp_prefix consistency: every proper prefix (before the LF) of the line
 * must say OTHER only for OTHER lines, a kind only for lines of that kind
 * (or rejects wanting it), and its addr_off must agree with ep_off.
 */
static void check_prefixes(const char *line, size_t len, enum fp_dir dir,
			   const struct fp_line *l)
{
	size_t j, end = fp_line_len(line, len);
	enum fp_kind full = l->kind == FP_K_REJECT ? l->want : l->kind;
	int seen_kind = 0;
	unsigned int target;
	enum fp_kind first = FP_K__COUNT;

	if (!end)
		end = len;
	else
		end--;	/* up to the LF, not including it */
	if (full == FP_K_227_NOADDR)
		full = FP_K_227;
	for (j = 0; j <= end && j <= FP_LINE_MAX; j++) {
		fp_u16 ao = 0xffff;
		enum fp_kind p = fp_prefix(line, j, dir, &ao);

		if (p == FP_K__COUNT) {
			CHECK(!seen_kind, "prefix %zu unsure after sure", j);
			CHECK(ao == 0, "unsure prefix with addr_off");
			continue;
		}
		seen_kind = 1;
		if (first == FP_K__COUNT)
			first = p;
		CHECK(p == first, "prefix %zu says %s after %s", j,
		      fp_kind_name(p), fp_kind_name(first));
		if (p == FP_K_OTHER) {
			CHECK(l->kind == FP_K_OTHER,
			      "prefix %zu says OTHER, line is %s", j,
			      fp_kind_name(l->kind));
			continue;
		}
		CHECK(p == full, "prefix %zu says %s, line is %s/%s", j,
		      fp_kind_name(p), fp_kind_name(l->kind),
		      fp_kind_name(l->want));
		if (!has_ep(l->kind))
			continue;
		/* Where fp_prefix's addr_off must end up. */
		target = l->kind == FP_K_229 ? l->ep_off : l->addr_off;
		if (ao)
			CHECK(ao <= target, "prefix %zu addr_off %u > %u",
			      j, ao, target);
		if (j >= (size_t)l->ep_off + l->ep_len)
			CHECK(ao == target,
			      "prefix %zu addr_off %u != %u", j, ao, target);
		if (j <= target && l->kind != FP_K_227 &&
		    l->kind != FP_K_229)
			CHECK(ao == 0, "prefix %zu addr_off %u before start", j,
			      ao);
	}
}

/* Every field of two results. */
static int line_eq(const struct fp_line *a, const struct fp_line *b)
{
	return a->kind == b->kind && a->reason == b->reason &&
	       a->want == b->want && a->arg == b->arg &&
	       a->delim == b->delim && ep_eq(&a->ep, &b->ep) &&
	       a->ep.family == b->ep.family &&
	       !memcmp(a->ep.addr, b->ep.addr, sizeof(a->ep.addr)) &&
	       a->ep_off == b->ep_off && a->ep_len == b->ep_len &&
	       a->addr_off == b->addr_off && a->addr_len == b->addr_len &&
	       a->len == b->len;
}

/*
 * fp_parse_lf() (the stream engine's entry: a line known to end at its
 * first LF) says what fp_parse_line() says of the same line.
 */
static void check_lf(const char *line, size_t len, enum fp_dir dir)
{
	size_t n = fp_line_len(line, len);
	struct fp_line a, b;

	if (!n)
		return;
	memset(&a, 0x5a, sizeof(a));
	memset(&b, 0xa5, sizeof(b));
	fp_parse_line(line, n, dir, &a);
	fp_parse_lf(line, n, dir, &b);
	CHECK(line_eq(&a, &b), "fp_parse_lf: %s/%s, fp_parse_line: %s/%s",
	      fp_kind_name(b.kind), fp_reason_name(b.reason),
	      fp_kind_name(a.kind), fp_reason_name(a.reason));
}

/* Everything checked for any line. */
static void check_line(const char *line, size_t len, enum fp_dir dir,
		       const struct fp_line *l)
{
	CHECK(l->kind < FP_K__COUNT, "kind out of range");
	CHECK((l->kind == FP_K_REJECT) == (l->reason != FP_R_OK),
	      "kind %s with reason %s", fp_kind_name(l->kind),
	      fp_reason_name(l->reason));
	if (l->kind != FP_K_REJECT)
		CHECK(l->want == l->kind, "want %s != kind %s",
		      fp_kind_name(l->want), fp_kind_name(l->kind));
	else
		CHECK(l->want != FP_K_OTHER && l->want != FP_K_REJECT,
		      "reject wants %s", fp_kind_name(l->want));
	check_splice(line, len, dir, l);
	check_prefixes(line, len, dir, l);
	check_lf(line, len, dir);
}

/* ---- A corpus file: DIRECTION<TAB>EXPECT<TAB>LINE. ---- */

/* Returns the number of corpus lines read. */
static int run_corpus(const char *path)
{
	FILE *f = fopen(path, "r");
	char buf[2048];
	int lineno = 0, cases = 0;

	begin("corpus file %s", path);
	CHECK(f != NULL, "cannot open the corpus (it must exist)");
	end();
	if (!f)
		return 0;
	while (fgets(buf, sizeof(buf), f)) {
		char *t1, *t2, *text, line[2100];
		size_t n, variant;
		enum fp_dir dir;
		struct fp_endpoint want;

		lineno++;
		n = strlen(buf);
		while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
			buf[--n] = 0;
		if (!n || buf[0] == '#')
			continue;
		begin("corpus:%d '%s'", lineno, buf);
		cases++;
		t1 = strchr(buf, '\t');
		t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
		if (!t1 || !t2 || (buf[0] != 'c' && buf[0] != 's') ||
		    t1 != buf + 1) {
			fail("malformed corpus line");
			end();
			continue;
		}
		*t2 = 0;
		text = t2 + 1;
		dir = buf[0] == 'c' ? FP_DIR_CLIENT : FP_DIR_SERVER;
		for (variant = 0; variant < 3; variant++) {
			static const char * const ends[] = { "\r\n", "\n", "" };
			struct fp_line l;
			size_t len;

			len = (size_t)snprintf(line, sizeof(line), "%s%s", text,
					       ends[variant]);
			fp_parse_line(line, len, dir, &l);
			check_line(line, len, dir, &l);
			CHECK(l.len == len, "len %u != %zu", l.len, len);
			if (!strcmp(t1 + 1, "reject")) {
				CHECK(l.kind == FP_K_REJECT, "kind %s, want reject",
				      fp_kind_name(l.kind));
			} else if (!strcmp(t1 + 1, "none")) {
				CHECK(l.kind != FP_K_REJECT && !has_ep(l.kind),
				      "kind %s/%s, want none",
				      fp_kind_name(l.kind),
				      fp_reason_name(l.reason));
			} else if (ep_parse(t1 + 1, &want)) {
				fail("bad expectation '%s'", t1 + 1);
			} else {
				char got[80];

				ep_str(&l.ep, got, sizeof(got));
				CHECK(has_ep(l.kind) && ep_eq(&l.ep, &want),
				      "got %s/%s %s, want %s",
				      fp_kind_name(l.kind),
				      fp_reason_name(l.reason), got, t1 + 1);
			}
		}
		end();
	}
	fclose(f);
	begin("corpus %s has cases", path);
	CHECK(cases > 0, "no cases read");
	end();
	return cases;
}

/* ---- The own table. ---- */

#define C FP_DIR_CLIENT
#define S FP_DIR_SERVER

struct tcase {
	enum fp_dir dir;
	const char *line;
	size_t len;
	enum fp_kind kind;	/* FP_K_REJECT: want/reason below */
	enum fp_kind want;
	enum fp_reason reason;
	const char *ep;		/* expected endpoint, or NULL */
	int arg;		/* EPSV argument */
};

#define OK(d, s, k, e) { d, s, sizeof(s) - 1, k, k, FP_R_OK, e, 0 }
#define NO(d, s, k) { d, s, sizeof(s) - 1, k, k, FP_R_OK, NULL, 0 }
#define RJ(d, s, w, r) { d, s, sizeof(s) - 1, FP_K_REJECT, w, r, NULL, 0 }
#define EPSV(s, a) { C, s, sizeof(s) - 1, FP_K_EPSV, FP_K_EPSV, FP_R_OK, \
		     NULL, a }

static const struct tcase table[] = {
	/* 227 wordings of real servers and what clients (curl) accept. */
	OK(S, "227 Entering Passive Mode (192,168,1,2,19,137)\r\n", FP_K_227,
	   "192.168.1.2:5001"),
	OK(S, "227 Entering Passive Mode (192,168,1,2,19,137).\r\n",
	   FP_K_227, "192.168.1.2:5001"),	/* Serv-U, IIS */
	OK(S, "227 Entering Passive Mode. 192,168,1,2,19,137\r\n", FP_K_227,
	   "192.168.1.2:5001"),
	OK(S, "227 Passive mode on (10,0,0,1,4,1) ok\r\n", FP_K_227,
	   "10.0.0.1:1025"),
	OK(S, "227 =10,0,0,1,4,1\r\n", FP_K_227, "10.0.0.1:1025"),
	OK(S, "227 10,0,0,1,4,1\n", FP_K_227, "10.0.0.1:1025"),
	OK(S, "227 Entering Passive Mode (010,000,000,001,004,001)\r\n",
	   FP_K_227, "10.0.0.1:1025"),
	OK(S, "227 Entering Passive Mode (1,2,3,4,00019,137)\r\n", FP_K_227,
	   "1.2.3.4:5001"),
	OK(S, "227 Mode 2 of 3 (10,0,0,1,4,1)\r\n", FP_K_227,
	   "10.0.0.1:1025"),
	OK(S, "227 entering passive mode (255,255,255,255,255,255)\r\n",
	   FP_K_227, "255.255.255.255:65535"),
	OK(S, "227 Entering Passive Mode (10,0,0,1,4,1\r\n", FP_K_227,
	   "10.0.0.1:1025"),
	OK(S, "227 (0,0,0,0,0,1)", FP_K_227, "0.0.0.0:1"),
	NO(S, "227 Logout.\r\n", FP_K_227_NOADDR),
	NO(S, "227\r\n", FP_K_227_NOADDR),
	NO(S, "227 Passive mode 5\r\n", FP_K_227_NOADDR),
	NO(S, "227-Entering Passive Mode (1,2,3,4,5,6)\r\n", FP_K_OTHER),
	NO(S, "227=1,2,3,4,5,6\r\n", FP_K_OTHER),
	NO(S, "2270 Entering (1,2,3,4,5,6)\r\n", FP_K_OTHER),
	NO(S, "200 PORT 10,0,0,5,4,1 ok\r\n", FP_K_OTHER),
	NO(S, " 227 Entering Passive Mode (1,2,3,4,5,6)\r\n", FP_K_OTHER),
	RJ(S, "227 Entering Passive Mode (1,2,3,4,5,6,7)\r\n", FP_K_227,
	   FP_R_SYNTAX),
	RJ(S, "227 Entering Passive Mode (1, 2, 3, 4, 5, 6)\r\n", FP_K_227,
	   FP_R_SYNTAX),
	RJ(S, "227 Entering Passive Mode (1,2,3,4,5,)\r\n", FP_K_227,
	   FP_R_SYNTAX),
	RJ(S, "227 Entering Passive Mode (1,2,3,4,5,000000019)\r\n",
	   FP_K_227, FP_R_OVERFLOW),
	RJ(S, "227 Entering Passive Mode (1,2,3,4,4294967296,1)\r\n",
	   FP_K_227, FP_R_OVERFLOW),
	RJ(S, "227 Entering Passive Mode (1,2,3,1000,5,6)\r\n", FP_K_227,
	   FP_R_OCTET),
	RJ(S, "227 Entering Passive Mode (1,2,3,4,5,256)\r\n", FP_K_227,
	   FP_R_PORT),
	RJ(S, "227 Entering Passive Mode (1,2,3,4,5,6)\0\r\n", FP_K_227,
	   FP_R_NUL),
	RJ(S, "227 Entering\0 Passive Mode (1,2,3,4,5,6)\r\n", FP_K_227,
	   FP_R_NUL),
	RJ(S, "227 Entering Passive Mode (1,2,3,4,5,6)\rX\r\n", FP_K_227,
	   FP_R_BARECR),
	RJ(S, "227 Entering Passive Mode (1,2,3,4,5,6)\r\r\n", FP_K_227,
	   FP_R_BARECR),
	RJ(S, "227 Logout.\0\r\n", FP_K_227, FP_R_NUL),
	NO(S, "226 Transfer\rcomplete\0\r\n", FP_K_OTHER),

	/* 229 */
	OK(S, "229 Entering Extended Passive Mode (|||65535|)\r\n", FP_K_229,
	   ":65535"),
	OK(S, "229 Extended Passive (EPSV) ok (###21#)\r\n", FP_K_229, ":21"),
	OK(S, "229 (~~~00021~)\r\n", FP_K_229, ":21"),
	OK(S, "229 (((( 1(\r\n", FP_K_REJECT, NULL),
	RJ(S, "229 Entering Extended Passive Mode (|||0|)\r\n", FP_K_229,
	   FP_R_PORT),
	RJ(S, "229 Entering Extended Passive Mode (|||000021|)\r\n", FP_K_229,
	   FP_R_OVERFLOW),
	RJ(S, "229 Entering Extended Passive Mode (   21 )\r\n", FP_K_229,
	   FP_R_DELIM),
	RJ(S, "229 Entering Extended Passive Mode (1112)\r\n", FP_K_229,
	   FP_R_DELIM),
	RJ(S, "229 Entering Extended Passive Mode (\x7f\x7f\x7f" "21\x7f)\r\n",
	   FP_K_229, FP_R_DELIM),
	RJ(S, "229 Entering Extended Passive Mode (|||21|\r\n", FP_K_229,
	   FP_R_SYNTAX),
	RJ(S, "229 Entering Extended Passive Mode (|||21!)\r\n", FP_K_229,
	   FP_R_SYNTAX),
	RJ(S, "229 Entering Extended Passive Mode\r\n", FP_K_229,
	   FP_R_SYNTAX),
	RJ(S, "229\r\n", FP_K_229, FP_R_SYNTAX),
	NO(S, "229-Entering Extended Passive Mode (|||21|)\r\n", FP_K_OTHER),

	/* 234 */
	NO(S, "234 AUTH TLS successful\r\n", FP_K_234),
	NO(S, "234\r\n", FP_K_234),
	NO(S, "234-Proceed\r\n", FP_K_OTHER),
	RJ(S, "234 Proceed\rwith negotiation\r\n", FP_K_234, FP_R_BARECR),

	/* PORT */
	OK(C, "PORT 10,0,0,5,4,1\r\n", FP_K_PORT, "10.0.0.5:1025"),
	OK(C, "Port 10,0,0,5,4,1\r\n", FP_K_PORT, "10.0.0.5:1025"),
	OK(C, "PORT  10,0,0,5,4,1  \r\n", FP_K_PORT, "10.0.0.5:1025"),
	OK(C, "PORT 255,255,255,255,0,1\n", FP_K_PORT,
	   "255.255.255.255:1"),
	OK(C, "PORT 10,0,0,5,4,1", FP_K_PORT, "10.0.0.5:1025"),
	RJ(C, "PORT\r\n", FP_K_PORT, FP_R_SYNTAX),
	RJ(C, "PORT \r\n", FP_K_PORT, FP_R_SYNTAX),
	RJ(C, "PORT 10,0,0,5,4,1x\r\n", FP_K_PORT, FP_R_SYNTAX),
	RJ(C, "PORT 10,0,0,5,4,1 x\r\n", FP_K_PORT, FP_R_SYNTAX),
	RJ(C, "PORT (10,0,0,5,4,1)\r\n", FP_K_PORT, FP_R_SYNTAX),
	RJ(C, "PORT 1a,0,0,5,4,1\r\n", FP_K_PORT, FP_R_SYNTAX),
	RJ(C, "PORT -1,0,0,5,4,1\r\n", FP_K_PORT, FP_R_SYNTAX),
	RJ(C, "PORT 10,0,0,5,0,0\r\n", FP_K_PORT, FP_R_PORT),
	RJ(C, "PORT 10,0,0,5,4,256\r\n", FP_K_PORT, FP_R_PORT),
	RJ(C, "PORT 10,0,0,300,4,1\r\n", FP_K_PORT, FP_R_OCTET),
	RJ(C, "PORT 18446744073709551616,0,0,5,4,1\r\n", FP_K_PORT,
	   FP_R_OVERFLOW),
	RJ(C, "PORT 10,0,0,5,4,1\0\r\n", FP_K_PORT, FP_R_NUL),
	RJ(C, "PORT\0 10,0,0,5,4,1\r\n", FP_K_PORT, FP_R_NUL),
	RJ(C, "PORT 10,0,0,5,\r4,1\r\n", FP_K_PORT, FP_R_BARECR),
	RJ(C, "PORT 10,0,0,5,4,1\r\r\n", FP_K_PORT, FP_R_BARECR),
	RJ(C, "PORT\r10,0,0,5,4,1\r\n", FP_K_PORT, FP_R_BARECR),
	NO(C, "PORTS 10,0,0,5,4,1\r\n", FP_K_OTHER),
	NO(C, " PORT 10,0,0,5,4,1\r\n", FP_K_OTHER),
	NO(C, "PORT\t10,0,0,5,4,1\r\n", FP_K_OTHER),
	NO(C, "RETR PORT 10,0,0,5,4,1\r\n", FP_K_OTHER),
	NO(C, "STOR a\rPORT 10,0,0,5,4,1\r\n", FP_K_OTHER),

	/* EPRT */
	OK(C, "EPRT |1|132.235.1.2|6275|\r\n", FP_K_EPRT,
	   "132.235.1.2:6275"),
	OK(C, "eprt |2|1080::8:800:200C:417A|5282|\r\n", FP_K_EPRT,
	   "[1080::8:800:200c:417a]:5282"),
	OK(C, "EPRT |2|::1|21|\r\n", FP_K_EPRT, "[::1]:21"),
	OK(C, "EPRT |2|::|21|\r\n", FP_K_EPRT, "[::]:21"),
	OK(C, "EPRT |2|1::|21|\r\n", FP_K_EPRT, "[1::]:21"),
	OK(C, "EPRT |2|1:2:3:4:5:6:7::|21|\r\n", FP_K_EPRT,
	   "[1:2:3:4:5:6:7:0]:21"),
	OK(C, "EPRT |2|0001:0002:0003:0004:0005:ffff:255.255.255.255|21|\r\n",
	   FP_K_EPRT, "[1:2:3:4:5:ffff:255.255.255.255]:21"),
	OK(C, "EPRT |2|::ffff:10.0.0.5|1025|\r\n", FP_K_EPRT,
	   "[::ffff:10.0.0.5]:1025"),
	OK(C, "EPRT a1a10.0.0.5a21a\r\n", FP_K_EPRT, "10.0.0.5:21"),
	OK(C, "EPRT  ~1~10.0.0.5~65535~ \r\n", FP_K_EPRT, "10.0.0.5:65535"),
	RJ(C, "EPRT |2|fe80::1%eth0|21|\r\n", FP_K_EPRT, FP_R_ADDR),
	RJ(C, "EPRT |2|1:2:3:4:5:6:7:8:9|21|\r\n", FP_K_EPRT, FP_R_ADDR),
	RJ(C, "EPRT |2|1::2:3:4:5:6:7:8|21|\r\n", FP_K_EPRT, FP_R_ADDR),
	RJ(C, "EPRT |2|1:::2|21|\r\n", FP_K_EPRT, FP_R_ADDR),
	RJ(C, "EPRT |2|1::2::3|21|\r\n", FP_K_EPRT, FP_R_ADDR),
	RJ(C, "EPRT |2|:1::2|21|\r\n", FP_K_EPRT, FP_R_ADDR),
	RJ(C, "EPRT |2|1::2:|21|\r\n", FP_K_EPRT, FP_R_ADDR),
	RJ(C, "EPRT |2|00001::2|21|\r\n", FP_K_EPRT, FP_R_ADDR),
	RJ(C, "EPRT |2|::1.2.3.4.5|21|\r\n", FP_K_EPRT, FP_R_ADDR),
	RJ(C, "EPRT |2|::01.2.3.4|21|\r\n", FP_K_EPRT, FP_R_ADDR),
	RJ(C, "EPRT |1|010.0.0.5|21|\r\n", FP_K_EPRT, FP_R_ADDR),
	RJ(C, "EPRT |1|10.0.0|21|\r\n", FP_K_EPRT, FP_R_ADDR),
	RJ(C, "EPRT |1|10.0.0.5.6|21|\r\n", FP_K_EPRT, FP_R_ADDR),
	RJ(C, "EPRT |1|10.0.0.256|21|\r\n", FP_K_EPRT, FP_R_OCTET),
	RJ(C, "EPRT |1|10.0.0.1000|21|\r\n", FP_K_EPRT, FP_R_ADDR),
	RJ(C, "EPRT |1||21|\r\n", FP_K_EPRT, FP_R_ADDR),
	RJ(C, "EPRT |1|10.0.0.5|0|\r\n", FP_K_EPRT, FP_R_PORT),
	RJ(C, "EPRT |1|10.0.0.5|65536|\r\n", FP_K_EPRT, FP_R_PORT),
	RJ(C, "EPRT |1|10.0.0.5|123456|\r\n", FP_K_EPRT, FP_R_OVERFLOW),
	RJ(C, "EPRT |1|10.0.0.5||\r\n", FP_K_EPRT, FP_R_SYNTAX),
	RJ(C, "EPRT |1|10.0.0.5|2x1|\r\n", FP_K_EPRT, FP_R_SYNTAX),
	RJ(C, "EPRT |1|10.0.0.5|21|x\r\n", FP_K_EPRT, FP_R_SYNTAX),
	RJ(C, "EPRT |1|10.0.0.5|21\r\n", FP_K_EPRT, FP_R_SYNTAX),
	RJ(C, "EPRT\r\n", FP_K_EPRT, FP_R_SYNTAX),
	RJ(C, "EPRT |12|10.0.0.5|21|\r\n", FP_K_EPRT, FP_R_FAMILY),
	RJ(C, "EPRT ||10.0.0.5|21|\r\n", FP_K_EPRT, FP_R_FAMILY),
	RJ(C, "EPRT 1110.0.0.5121\r\n", FP_K_EPRT, FP_R_DELIM),
	RJ(C, "EPRT \x01" "1\x01" "10.0.0.5\x01" "21\x01\r\n", FP_K_EPRT,
	   FP_R_DELIM),
	RJ(C, "EPRT \xff" "1\xff" "10.0.0.5\xff" "21\xff\r\n", FP_K_EPRT,
	   FP_R_DELIM),
	RJ(C, "EPRT |1|10.0.0.5|21|\0\r\n", FP_K_EPRT, FP_R_NUL),

	/* Commands a reply is paired with. */
	NO(C, "PASV\r\n", FP_K_PASV),
	NO(C, "pasv\r\n", FP_K_PASV),
	NO(C, "PASV\n", FP_K_PASV),
	NO(C, "PASV", FP_K_PASV),
	NO(C, "PASV anything\r\n", FP_K_PASV),
	NO(C, "PASVX\r\n", FP_K_OTHER),
	RJ(C, "PASV\0\r\n", FP_K_PASV, FP_R_NUL),
	RJ(C, "PASV\rNOOP\r\n", FP_K_PASV, FP_R_BARECR),
	EPSV("EPSV\r\n", FP_EPSV_NONE),
	EPSV("EPSV 1\r\n", FP_EPSV_1),
	EPSV("epsv 2\r\n", FP_EPSV_2),
	EPSV("EPSV all\r\n", FP_EPSV_ALL),
	EPSV("EPSV ALL \r\n", FP_EPSV_ALL),
	RJ(C, "EPSV 3\r\n", FP_K_EPSV, FP_R_FAMILY),
	RJ(C, "EPSV 12\r\n", FP_K_EPSV, FP_R_FAMILY),
	RJ(C, "EPSV ALLX\r\n", FP_K_EPSV, FP_R_SYNTAX),
	RJ(C, "EPSV 1 2\r\n", FP_K_EPSV, FP_R_SYNTAX),
	NO(C, "AUTH TLS\r\n", FP_K_AUTH),
	NO(C, "auth ssl\r\n", FP_K_AUTH),
	NO(C, "AUTH TLS-C\r\n", FP_K_AUTH),
	NO(C, "AUTH tls-p\r\n", FP_K_AUTH),
	NO(C, "AUTH  TLS extra\r\n", FP_K_AUTH),
	NO(C, "AUTH GSSAPI\r\n", FP_K_OTHER),
	NO(C, "AUTH TLSX\r\n", FP_K_OTHER),
	NO(C, "AUTH TLS-X\r\n", FP_K_OTHER),
	NO(C, "AUTH\r\n", FP_K_OTHER),
	RJ(C, "AUTH TLS\0\r\n", FP_K_AUTH, FP_R_NUL),
	NO(C, "CCC\r\n", FP_K_CCC),
	NO(C, "ccc\n", FP_K_CCC),
	NO(C, "CCCP\r\n", FP_K_OTHER),
	NO(C, "\r\n", FP_K_OTHER),
	NO(C, "", FP_K_OTHER),
	NO(S, "", FP_K_OTHER),
	NO(S, "2\r\n", FP_K_OTHER),
	NO(S, "22\r\n", FP_K_OTHER),
	/* Direction matters. */
	NO(C, "227 Entering Passive Mode (1,2,3,4,5,6)\r\n", FP_K_OTHER),
	NO(S, "PORT 10,0,0,5,4,1\r\n", FP_K_OTHER),
};

static void run_table(void)
{
	size_t t;

	for (t = 0; t < sizeof(table) / sizeof(table[0]); t++) {
		const struct tcase *c = &table[t];
		struct fp_line l;
		struct fp_endpoint want;

		begin("table %zu '%s'", t, show(c->line, c->len));
		fp_parse_line(c->line, c->len, c->dir, &l);
		check_line(c->line, c->len, c->dir, &l);
		CHECK(l.kind == c->kind, "kind %s/%s, want %s",
		      fp_kind_name(l.kind), fp_reason_name(l.reason),
		      fp_kind_name(c->kind));
		if (c->kind == FP_K_REJECT && c->reason != FP_R_OK)
			CHECK(l.want == c->want && l.reason == c->reason,
			      "reject %s/%s, want %s/%s", fp_kind_name(l.want),
			      fp_reason_name(l.reason), fp_kind_name(c->want),
			      fp_reason_name(c->reason));
		if (c->kind == FP_K_EPSV)
			CHECK(l.arg == c->arg, "EPSV arg %d, want %d", l.arg,
			      c->arg);
		CHECK(l.len == c->len, "len %u, want %zu", l.len, c->len);
		if (c->ep) {
			char got[80];

			if (ep_parse(c->ep, &want)) {
				fail("bad expectation %s", c->ep);
			} else {
				ep_str(&l.ep, got, sizeof(got));
				CHECK(ep_eq(&l.ep, &want), "endpoint %s, want %s",
				      got, c->ep);
			}
		}
		if (l.kind == FP_K_REJECT || !has_ep(l.kind)) {
			static const struct fp_endpoint zero;

			CHECK(!memcmp(&l.ep, &zero, sizeof(zero)) &&
			      !l.ep_off && !l.ep_len && !l.addr_off &&
			      !l.addr_len, "fields not cleared");
		}
		end();
	}
}

/* ---- Exact ranges. ---- */

static void expect_ranges(enum fp_dir dir, const char *line, unsigned int eo,
			  unsigned int el, unsigned int ao, unsigned int al,
			  char delim)
{
	struct fp_line l;

	begin("ranges '%s'", show(line, strlen(line)));
	fp_parse_line(line, strlen(line), dir, &l);
	CHECK(l.ep_off == eo && l.ep_len == el && l.addr_off == ao &&
	      l.addr_len == al && l.delim == delim,
	      "ep %u+%u addr %u+%u delim %c, want %u+%u %u+%u %c", l.ep_off,
	      l.ep_len, l.addr_off, l.addr_len, l.delim ? l.delim : '0', eo,
	      el, ao, al, delim ? delim : '0');
	end();
}

static void run_ranges(void)
{
	expect_ranges(C, "PORT 10,0,0,5,4,1\r\n", 5, 12, 5, 8, 0);
	expect_ranges(C, "PORT  010,0,0,5,4,1 \r\n", 6, 13, 6, 9, 0);
	expect_ranges(C, "EPRT |1|10.0.0.5|1025|\r\n", 5, 17, 8, 8, '|');
	expect_ranges(C, "EPRT !2!::1!21!\r\n", 5, 10, 8, 3, '!');
	expect_ranges(S, "227 Entering Passive Mode (192,168,1,2,19,137).\r\n",
		      27, 18, 27, 11, 0);
	expect_ranges(S, "227 =1,2,3,4,5,6\r\n", 5, 11, 5, 7, 0);
	expect_ranges(S, "229 Entering Extended Passive Mode (|||5001|)\r\n",
		      36, 8, 0, 0, '|');
}

/* ---- fp_scan over pipelined buffers. ---- */

static void run_scan(void)
{
	static const char srv[] =
		"220-Welcome\r\n220 Ready\r\n"
		"227 Entering Passive Mode (1,2,3,4,5,6).\r\n"
		"227-not final (1,2,3,4,5,6)\r\n"
		"229 Entering Extended Passive Mode (|||5001|)\r\n"
		"227 Logout.\r\n"
		"227 Entering Passive Mode (1,2,3,4,0,0)\r\n"
		"\n"
		"234 go\r\n"
		"226 Transfer comp";
	static const enum fp_kind srv_kinds[] = {
		FP_K_OTHER, FP_K_OTHER, FP_K_227, FP_K_OTHER, FP_K_229,
		FP_K_227_NOADDR, FP_K_REJECT, FP_K_OTHER, FP_K_234,
	};
	static const char cli[] =
		"USER a\r\nPASV\r\nPORT 1,2,3,4,5,6\r\nEPRT |2|::1|21|\r\n"
		"EPSV ALL\r\nAUTH TLS\r\nCCC\r\nRETR PORT 1,2,3,4,5,6\r\n";
	static const enum fp_kind cli_kinds[] = {
		FP_K_OTHER, FP_K_PASV, FP_K_PORT, FP_K_EPRT, FP_K_EPSV,
		FP_K_AUTH, FP_K_CCC, FP_K_OTHER,
	};
	struct {
		const char *buf;
		size_t len;
		enum fp_dir dir;
		const enum fp_kind *kinds;
		size_t nkinds;
		size_t tail;
	} sc[] = {
		{ srv, sizeof(srv) - 1, S, srv_kinds, 9, 17 },
		{ cli, sizeof(cli) - 1, C, cli_kinds, 8, 0 },
		{ "no newline at all", 17, C, NULL, 0, 17 },
		{ "", 0, S, NULL, 0, 0 },
		{ "\n\n\n", 3, S, NULL, 3, 0 },
	};
	size_t t;

	for (t = 0; t < sizeof(sc) / sizeof(sc[0]); t++) {
		struct fp_scan s;
		struct fp_line l;
		size_t nlines = 0, expect_off = 0, off;

		begin("scan buffer %zu", t);
		fp_scan_init(&s, sc[t].buf, sc[t].len, sc[t].dir);
		while (fp_scan_next(&s, &l, &off)) {
			struct fp_line one;

			CHECK(off == expect_off, "line %zu at %zu, want %zu",
			      nlines, off, expect_off);
			CHECK(l.len && sc[t].buf[off + l.len - 1] == '\n',
			      "line %zu does not end in LF", nlines);
			if (sc[t].kinds && nlines < sc[t].nkinds)
				CHECK(l.kind == sc[t].kinds[nlines],
				      "line %zu kind %s, want %s", nlines,
				      fp_kind_name(l.kind),
				      fp_kind_name(sc[t].kinds[nlines]));
			fp_parse_line(sc[t].buf + off, l.len, sc[t].dir, &one);
			CHECK(!memcmp(&one, &l, sizeof(l)),
			      "fp_scan and fp_parse_line differ on line %zu",
			      nlines);
			expect_off = off + l.len;
			nlines++;
			if (nlines > 100)
				break;
		}
		CHECK(nlines == sc[t].nkinds, "%zu lines, want %zu", nlines,
		      sc[t].nkinds);
		CHECK(s.pos == sc[t].len - sc[t].tail,
		      "tail at %zu, want %zu", s.pos, sc[t].len - sc[t].tail);
		CHECK(fp_scan_next(&s, &l, &off) == 0, "scan not sticky");
		end();
	}

	/* Every split of a buffer gives the same lines (stream carry-over). */
	begin("scan: every two-chunk split of the server buffer");
	for (t = 0; t <= sizeof(srv) - 1; t++) {
		char carry[sizeof(srv)];
		size_t clen = 0, nlines = 0, off, k;
		struct fp_scan s;
		struct fp_line l;
		size_t cut[2] = { t, sizeof(srv) - 1 }, from = 0;

		for (k = 0; k < 2; k++) {
			memcpy(carry + clen, srv + from, cut[k] - from);
			clen += cut[k] - from;
			from = cut[k];
			fp_scan_init(&s, carry, clen, S);
			while (fp_scan_next(&s, &l, &off)) {
				if (nlines < 9)
					CHECK(l.kind == srv_kinds[nlines],
					      "cut %zu line %zu kind %s", t,
					      nlines, fp_kind_name(l.kind));
				nlines++;
			}
			memmove(carry, carry + s.pos, clen - s.pos);
			clen -= s.pos;
		}
		CHECK(nlines == 9 && clen == 17, "cut %zu: %zu lines, tail %zu",
		      t, nlines, clen);
	}
	end();

	/* fp_line_len against a naive search, at every alignment. */
	begin("fp_line_len at every alignment and LF position");
	{
		static char big[300];
		size_t a, p, n;

		for (a = 0; a < 16; a++) {
			for (p = 0; p < 200; p++) {
				for (n = 0; n < 220; n += 7) {
					size_t want;

					memset(big, 'x', sizeof(big));
					big[a + p] = '\n';
					want = p < n ? p + 1 : 0;
					if (fp_line_len(big + a, n) != want)
						fail("align %zu lf %zu len %zu",
						     a, p, n);
				}
			}
		}
	}
	end();
}

/* ---- fp_prefix. ---- */

static void expect_prefix(enum fp_dir dir, const char *s, enum fp_kind k,
			  unsigned int ao)
{
	fp_u16 got_ao = 0xffff;
	enum fp_kind got = fp_prefix(s, strlen(s), dir, &got_ao);

	begin("prefix '%s'", show(s, strlen(s)));
	CHECK(got == k && got_ao == ao, "got %s/%u, want %s/%u",
	      got == FP_K__COUNT ? "UNSURE" : fp_kind_name(got), got_ao,
	      k == FP_K__COUNT ? "UNSURE" : fp_kind_name(k), ao);
	end();
}

#define U FP_K__COUNT

static void run_prefix(void)
{
	expect_prefix(C, "", U, 0);
	expect_prefix(C, "P", U, 0);
	expect_prefix(C, "p", U, 0);
	expect_prefix(C, "X", FP_K_OTHER, 0);
	expect_prefix(C, "PO", U, 0);
	expect_prefix(C, "POX", FP_K_OTHER, 0);
	expect_prefix(C, "PORT", U, 0);
	expect_prefix(C, "PORTS", FP_K_OTHER, 0);
	expect_prefix(C, "PORT ", FP_K_PORT, 0);
	expect_prefix(C, "PORT 1", FP_K_PORT, 5);
	expect_prefix(C, "PORT  10,0,0", FP_K_PORT, 6);
	expect_prefix(C, "PORT\r", FP_K_PORT, 0);
	expect_prefix(C, "PASV", U, 0);
	expect_prefix(C, "PASV\r", FP_K_PASV, 0);
	expect_prefix(C, "EPRT |", FP_K_EPRT, 0);
	expect_prefix(C, "EPRT |2", FP_K_EPRT, 0);
	expect_prefix(C, "EPRT |2|", FP_K_EPRT, 0);
	expect_prefix(C, "EPRT |2|:", FP_K_EPRT, 8);
	expect_prefix(C, "EPRT  !1!10.0.0.5!21", FP_K_EPRT, 9);
	expect_prefix(C, "EPRT ", FP_K_EPRT, 0);
	expect_prefix(C, "EPSV ", FP_K_EPSV, 0);
	expect_prefix(C, "AUTH", U, 0);
	expect_prefix(C, "AUTH ", U, 0);
	expect_prefix(C, "AUTH T", U, 0);
	expect_prefix(C, "AUTH TLS", U, 0);
	expect_prefix(C, "AUTH TLS-", U, 0);
	expect_prefix(C, "AUTH TLS ", FP_K_AUTH, 0);
	expect_prefix(C, "AUTH TLS-C", U, 0);
	expect_prefix(C, "AUTH G", FP_K_OTHER, 0);
	expect_prefix(C, "AUTHX", FP_K_OTHER, 0);
	expect_prefix(C, "CCC", U, 0);
	expect_prefix(C, "CCC ", FP_K_CCC, 0);
	expect_prefix(C, "RETR PORT 1,2", FP_K_OTHER, 0);
	expect_prefix(S, "", U, 0);
	expect_prefix(S, "2", U, 0);
	expect_prefix(S, "22", U, 0);
	expect_prefix(S, "23", U, 0);
	expect_prefix(S, "24", FP_K_OTHER, 0);
	expect_prefix(S, "235", FP_K_OTHER, 0);
	expect_prefix(S, "227", U, 0);
	expect_prefix(S, "227-", FP_K_OTHER, 0);
	expect_prefix(S, "2271", FP_K_OTHER, 0);
	expect_prefix(S, "227 ", FP_K_227, 0);
	expect_prefix(S, "227 Entering Passive Mode (", FP_K_227, 0);
	expect_prefix(S, "227 Entering Passive Mode (19", FP_K_227, 27);
	expect_prefix(S, "227 Entering Passive Mode (192,168,1", FP_K_227,
		      27);
	expect_prefix(S, "227 Mode 2", FP_K_227, 9);
	expect_prefix(S, "227 Mode 2 (1", FP_K_227, 12);
	expect_prefix(S, "229 Entering Extended Passive Mode (", FP_K_229,
		      0);
	expect_prefix(S, "229 Entering Extended Passive Mode (|", FP_K_229,
		      36);
	expect_prefix(S, "229 (EPSV) (||", FP_K_229, 12);
	expect_prefix(S, "234", U, 0);
	expect_prefix(S, "234 ", FP_K_234, 0);
	expect_prefix(S, "200 ok", FP_K_OTHER, 0);
	/* Bytes from the LF on are not looked at. */
	expect_prefix(C, "PORT\nxx", U, 0);
	begin("prefix: NULL addr_off");
	CHECK(fp_prefix("PORT 1", 6, C, NULL) == FP_K_PORT, "NULL addr_off");
	end();
}

/* ---- Formatting. ---- */

static void expect_format(enum fp_kind kind, const char *ep, char delim,
			  const char *want)
{
	struct fp_endpoint e;
	char out[FP_FORMAT_MAX + 1];
	size_t n;

	begin("format %s %s %c", fp_kind_name(kind), ep, delim ? delim : '0');
	if (ep_parse(ep, &e)) {
		fail("bad endpoint");
		end();
		return;
	}
	n = fp_format(kind, &e, delim, out, sizeof(out) - 1);
	out[n] = 0;
	if (!want)
		CHECK(n == 0, "formatted '%s', want refusal", out);
	else
		CHECK(!strcmp(out, want), "got '%s', want '%s'", out, want);
	end();
}

static void run_format(void)
{
	struct fp_endpoint e;
	char out[FP_FORMAT_MAX];
	size_t n, k;

	expect_format(FP_K_PORT, "10.0.0.5:1025", 0, "10,0,0,5,4,1");
	expect_format(FP_K_227, "255.255.255.255:65535", 0,
		      "255,255,255,255,255,255");
	expect_format(FP_K_227, "0.0.0.0:1", 0, "0,0,0,0,0,1");
	expect_format(FP_K_PORT, "[::1]:21", 0, NULL);
	expect_format(FP_K_PORT, "10.0.0.5:0", 0, NULL);
	expect_format(FP_K_EPRT, "10.0.0.5:1025", '|', "|1|10.0.0.5|1025|");
	expect_format(FP_K_EPRT, "10.0.0.5:1025", '!', "!1!10.0.0.5!1025!");
	expect_format(FP_K_EPRT, "10.0.0.5:1025", '.', NULL);
	expect_format(FP_K_EPRT, "10.0.0.5:1025", '5', NULL);
	expect_format(FP_K_EPRT, "10.0.0.5:1025", ' ', NULL);
	expect_format(FP_K_EPRT, "10.0.0.5:1025", '\x7f', NULL);
	expect_format(FP_K_EPRT, "[2001:DB8::5]:1025", '|',
		      "|2|2001:db8::5|1025|");
	expect_format(FP_K_EPRT, "[2001:db8:0:0:1:0:0:1]:1", '|',
		      "|2|2001:db8::1:0:0:1|1|");
	expect_format(FP_K_EPRT, "[2001:db8:0:1:1:1:1:1]:1", '|',
		      "|2|2001:db8:0:1:1:1:1:1|1|");
	expect_format(FP_K_EPRT, "[2001:0:0:1:0:0:0:1]:1", '|',
		      "|2|2001:0:0:1::1|1|");
	expect_format(FP_K_EPRT, "[::]:1", '|', "|2|::|1|");
	expect_format(FP_K_EPRT, "[::1]:1", '|', "|2|::1|1|");
	expect_format(FP_K_EPRT, "[1::]:1", '|', "|2|1::|1|");
	expect_format(FP_K_EPRT, "[::ffff:10.0.0.5]:21", '|',
		      "|2|::ffff:10.0.0.5|21|");
	expect_format(FP_K_EPRT, "[::ffff:a00:5]:21", '|',
		      "|2|::ffff:10.0.0.5|21|");
	expect_format(FP_K_EPRT, "[::1]:21", ':', NULL);
	expect_format(FP_K_EPRT, "[fe80::a]:21", 'a', NULL);
	expect_format(FP_K_EPRT, "[fe80::a]:21", 'z', "z2zfe80::az21z");
	expect_format(FP_K_EPRT,
		      "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535", '|',
		      "|2|ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff|65535|");
	expect_format(FP_K_229, ":5001", '|', "|||5001|");
	expect_format(FP_K_229, "10.0.0.1:5001", '#', "###5001#");
	expect_format(FP_K_229, ":0", '|', NULL);
	expect_format(FP_K_229, ":1", '1', NULL);
	expect_format(FP_K_PASV, "10.0.0.5:1025", 0, NULL);

	begin("format: short output buffer");
	ep_parse("10.0.0.5:1025", &e);
	CHECK(fp_format(FP_K_PORT, &e, 0, out, 11) == 0, "fit in 11");
	CHECK(fp_format(FP_K_PORT, &e, 0, out, 12) == 12, "not in 12");
	CHECK(fp_format_addr(FP_K_PORT, &e, out, 7) == 0, "addr in 7");
	CHECK(fp_format_addr(FP_K_PORT, &e, out, 8) == 8, "addr not in 8");
	CHECK(fp_format_addr(FP_K_229, &e, out, sizeof(out)) == 0, "229 addr");
	end();

	/* RFC 5952 against the C library, and a parse round trip. */
	begin("format: 20000 IPv6 addresses vs inet_ntop, parse round trip");
	srand(1);
	for (k = 0; k < 20000; k++) {
		char want[64], line[128];
		struct fp_line l;
		size_t g;

		memset(&e, 0, sizeof(e));
		e.family = 6;
		e.port = (fp_u16)(rand() % 65535 + 1);
		for (g = 0; g < 8; g++) {
			int r = rand() % 4;

			/* Plenty of zero groups and runs. */
			if (r) {
				e.addr[2 * g] = (fp_u8)(r == 1 ? rand() : 0);
				e.addr[2 * g + 1] = (fp_u8)(r == 3 ? 0 : rand());
			}
		}
		if (k % 50 == 0) {
			memset(e.addr, 0, 10);
			e.addr[10] = e.addr[11] = 0xff;
		}
		n = fp_format_addr(FP_K_EPRT, &e, out, sizeof(out));
		inet_ntop(AF_INET6, e.addr, want, sizeof(want));
		/* glibc writes ::a.b.c.d (IPv4-compatible) dotted: skip. */
		if (memcmp(e.addr, "\0\0\0\0\0\0\0\0\0\0\0\0", 12) ||
		    (e.addr[12] == 0 && e.addr[13] == 0))
			CHECK(n == strlen(want) && !memcmp(out, want, n),
			      "'%.*s' != inet_ntop '%s'", (int)n, out, want);
		n = fp_format(FP_K_EPRT, &e, '|', out, sizeof(out));
		snprintf(line, sizeof(line), "EPRT %.*s\r\n", (int)n, out);
		fp_parse_line(line, strlen(line), C, &l);
		CHECK(l.kind == FP_K_EPRT && ep_eq(&l.ep, &e),
		      "round trip of '%s' failed", line);
	}
	end();

	begin("format: PORT/227/229 round trips");
	for (k = 0; k < 20000; k++) {
		static const enum fp_kind kinds[] = { FP_K_PORT, FP_K_227,
						      FP_K_229, FP_K_EPRT };
		enum fp_kind kind = kinds[k % 4];
		char line[128];
		struct fp_line l;
		size_t g;

		memset(&e, 0, sizeof(e));
		e.family = kind == FP_K_229 ? 0 : 4;
		for (g = 0; g < 4; g++)
			e.addr[g] = (fp_u8)rand();
		e.port = (fp_u16)(k < 10 ? k + 1 : (size_t)(rand() % 65535) + 1);
		n = fp_format(kind, &e, '|', out, sizeof(out));
		snprintf(line, sizeof(line), "%s%.*s%s",
			 kind == FP_K_PORT ? "PORT " : kind == FP_K_EPRT ?
			 "EPRT " : kind == FP_K_227 ?
			 "227 Entering Passive Mode (" :
			 "229 Entering Extended Passive Mode (",
			 (int)n, out, kind == FP_K_227 || kind == FP_K_229 ?
			 ").\r\n" : "\r\n");
		fp_parse_line(line, strlen(line),
			      kind == FP_K_227 || kind == FP_K_229 ? S : C, &l);
		CHECK(n && l.kind == kind && ep_eq(&l.ep, &e),
		      "round trip of '%s' failed", line);
	}
	end();
}

/* IPv6 text: our parser against inet_pton on generated strings. */
static void run_v6_pton(void)
{
	static const char alpha[] = "0123456789abcdefABCDEFG:.:::.%";
	size_t k;

	begin("IPv6 parse vs inet_pton, 200000 generated strings");
	srand(2);
	for (k = 0; k < 200000; k++) {
		char a[64], line[128];
		unsigned char want[16];
		struct fp_line l;
		size_t n = (size_t)(rand() % 46) + 1, i;
		int ok;

		for (i = 0; i < n; i++)
			a[i] = alpha[rand() % (sizeof(alpha) - 1)];
		a[n] = 0;
		if (k & 1) {
			/* Mostly well-formed: random groups, maybe a gap. */
			size_t g, ng = (size_t)(rand() % 9);

			n = 0;
			for (g = 0; g < ng && n < 40; g++)
				n += (size_t)snprintf(a + n, sizeof(a) - n,
						      g ? ":%x" : "%x",
						      rand() % 0x10000);
			if (rand() % 2) {
				size_t at = (size_t)rand() % (n + 1);

				memmove(a + at + 1, a + at, n - at + 1);
				a[at] = ':';
				n++;
			}
			if (rand() % 4 == 0 && n < 30)
				n += (size_t)snprintf(a + n, sizeof(a) - n,
						      ":%d.%d.%d.%d",
						      rand() % 300, rand() % 256,
						      rand() % 256,
						      rand() % 256);
		}
		if (!strchr(a, ':'))
			continue;
		ok = inet_pton(AF_INET6, a, want) == 1 && strlen(a) <= 45;
		snprintf(line, sizeof(line), "EPRT |2|%s|21|\r\n", a);
		fp_parse_line(line, strlen(line), C, &l);
		if (ok)
			CHECK(l.kind == FP_K_EPRT &&
			      !memcmp(l.ep.addr, want, 16),
			      "'%s' valid for inet_pton, got %s/%s", a,
			      fp_kind_name(l.kind), fp_reason_name(l.reason));
		else
			CHECK(l.kind == FP_K_REJECT,
			      "'%s' invalid for inet_pton, parsed", a);
	}
	end();
}

/* Long lines. */
static void run_long(void)
{
	static char buf[70010];
	struct fp_line l;
	size_t n;

	begin("long: PORT line of FP_LINE_MAX bytes is parsed");
	n = FP_LINE_MAX - 2;
	memset(buf, ' ', n);
	memcpy(buf, "PORT 10,0,0,5,4,1", 17);
	memcpy(buf + n, "\r\n", 2);
	fp_parse_line(buf, n + 2, C, &l);
	CHECK(l.kind == FP_K_PORT && l.len == FP_LINE_MAX, "kind %s len %u",
	      fp_kind_name(l.kind), l.len);
	end();

	begin("long: PORT line of FP_LINE_MAX + 1 bytes is TOOLONG");
	buf[n] = ' ';
	memcpy(buf + n + 1, "\r\n", 2);
	fp_parse_line(buf, n + 3, C, &l);
	CHECK(l.kind == FP_K_REJECT && l.reason == FP_R_TOOLONG &&
	      l.want == FP_K_PORT, "kind %s/%s", fp_kind_name(l.kind),
	      fp_reason_name(l.reason));
	end();

	begin("long: 227 line of 600 bytes is TOOLONG");
	memset(buf, 'x', 600);
	memcpy(buf, "227 Entering Passive Mode (1,2,3,4,5,6)", 39);
	buf[599] = '\n';
	fp_parse_line(buf, 600, S, &l);
	CHECK(l.kind == FP_K_REJECT && l.reason == FP_R_TOOLONG &&
	      l.want == FP_K_227, "kind %s", fp_kind_name(l.kind));
	end();

	begin("long: 70000-byte line of no interest is OTHER, len exact");
	memset(buf, 'a', 70000);
	memcpy(buf, "RETR ", 5);
	memcpy(buf + 70000, "\r\nPASV\r\n", 8);
	{
		struct fp_scan s;
		size_t off;

		fp_scan_init(&s, buf, 70008, C);
		CHECK(fp_scan_next(&s, &l, &off) && l.kind == FP_K_OTHER &&
		      l.len == 70002 && off == 0, "first line wrong: len %u",
		      l.len);
		CHECK(fp_scan_next(&s, &l, &off) && l.kind == FP_K_PASV &&
		      off == 70002, "second line wrong");
		CHECK(!fp_scan_next(&s, &l, &off) && s.pos == 70008, "tail");
	}
	end();

	begin("long: prefix longer than FP_LINE_MAX");
	{
		fp_u16 ao;

		memset(buf, ' ', 2000);
		memcpy(buf, "PORT", 4);
		CHECK(fp_prefix(buf, 2000, C, &ao) == FP_K_PORT && ao == 0,
		      "PORT + spaces");
		memcpy(buf, "227 (", 5);
		memset(buf + 5, '1', 1995);
		CHECK(fp_prefix(buf, 2000, S, &ao) == FP_K_227 && ao == 5,
		      "227 + digits: ao %u", ao);
	}
	end();
}

/* ---- The engine's entry points and the word-at-a-time helpers. ---- */

static unsigned long long rng = 88172645463325252ULL;

static unsigned int rnd32(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned int)(rng >> 11);
}

/*
 * Random lines built from pieces of lines of interest: fp_parse_lf() and
 * fp_parse_line() agree, and a line parses the same with CR LF, with LF
 * and without either (the copy fp_parse_line() makes for the latter).
 */
static void run_lf_random(void)
{
	static const char *const heads[] = {
		"PORT ", "port  ", "EPRT ", "EPRT |2|", "eprt !1!", "227 ",
		"227 Entering Passive Mode (", "229 ", "229 x (|||", "PASV",
		"EPSV ", "AUTH TLS", "CCC", "234 ", "227-", "2", "",
	};
	static const char alpha[] =
		"0123456789,,,,....||||::(()) \r\0abfAF!=";
	char line[600];
	unsigned int i, k, n, m;
	int bad = 0;

	begin("fp_parse_lf = fp_parse_line; CR LF, LF, none: the same");
	for (i = 0; i < 200000 && !bad; i++) {
		const char *h = heads[rnd32() % (sizeof(heads) /
						 sizeof(heads[0]))];
		enum fp_dir dir = (enum fp_dir)(rnd32() & 1);
		struct fp_line a, b, c;

		n = (unsigned int)strlen(h);
		memcpy(line, h, n);
		m = rnd32() % (i & 1 ? 40 : 560);
		for (k = 0; k < m && n < 560; k++)
			line[n++] = rnd32() % 4 ?
				    alpha[rnd32() % (sizeof(alpha) - 1)] :
				    (char)rnd32();
		for (k = 0; k < n; k++)
			if (line[k] == '\n')
				line[k] = ' ';
		/* No CR or LF at the end: the text is all of it. */
		if (n && line[n - 1] == '\r')
			line[n - 1] = ' ';
		fp_parse_line(line, n, dir, &c);
		memcpy(line + n, "\r\n", 2);
		fp_parse_line(line, n + 2, dir, &a);
		fp_parse_lf(line, n + 2, dir, &b);
		CHECK(line_eq(&a, &b), "'%s': CR LF, fp_parse_lf differs",
		      show(line, n + 2));
		c.len = a.len;
		/* (The CR LF may take the line past FP_LINE_MAX.) */
		CHECK(line_eq(&a, &c) ||
		      (n <= FP_LINE_MAX && n + 2 > FP_LINE_MAX),
		      "'%s': without CR LF %s/%s, with %s/%s",
		      show(line, n), fp_kind_name(c.kind),
		      fp_reason_name(c.reason), fp_kind_name(a.kind),
		      fp_reason_name(a.reason));
		line[n] = '\n';
		fp_parse_line(line, n + 1, dir, &a);
		fp_parse_lf(line, n + 1, dir, &b);
		CHECK(line_eq(&a, &b), "'%s': LF, fp_parse_lf differs",
		      show(line, n + 1));
		bad = case_failed;
	}
	end();
}

/*
 * 227 and 229 after their usual wording skip the search for the tuple or
 * the '(' when it follows at once.  The same text after a wording with one
 * more space takes the general search: the results must be the same, the
 * offsets one more.
 */
static void run_wording(void)
{
	static const char *const heads[] = {
		"227 Entering Passive Mode (", "229 Entering Extended Passive Mode ",
	};
	static const char alpha[] = "0123456789,,,,(((|||)). \r\0!x";
	char a[200], b[200];
	unsigned int i, k, m, h;

	begin("227/229 after the usual wording = after any other");
	for (i = 0; i < 300000 && !case_failed; i++) {
		struct fp_line x, y;
		size_t n, l;

		h = rnd32() & 1;
		l = strlen(heads[h]);
		memcpy(a, heads[h], l);
		memcpy(b, heads[h], l - 1);
		b[l - 1] = ' ';
		b[l] = heads[h][l - 1];
		n = l;
		m = rnd32() % 40;
		for (k = 0; k < m; k++)
			a[n++] = rnd32() % 8 ? alpha[rnd32() % (sizeof(alpha) - 1)] :
				 (char)('0' + rnd32() % 10);
		if (rnd32() % 2 && n + 17 < sizeof(a)) {
			/* often a tuple or an endpoint right after it */
			memmove(a + l + 17, a + l, n - l);
			memcpy(a + l, h ? "|||6446|)        " :
			       "10,1,200,3,25,7)", 17);
			n += 17;
		}
		memcpy(a + n, "\r\n", 2);
		n += 2;
		memcpy(b + l + 1, a + l, n - l);
		fp_parse_lf(a, n, FP_DIR_SERVER, &x);
		fp_parse_lf(b, n + 1, FP_DIR_SERVER, &y);
		if (y.kind != FP_K_REJECT && y.kind != FP_K_227_NOADDR) {
			y.ep_off--;
			if (y.addr_len)
				y.addr_off--;
		}
		y.len--;
		CHECK(line_eq(&x, &y), "'%s': %s/%s, after other wording %s/%s",
		      show(a, n), fp_kind_name(x.kind), fp_reason_name(x.reason),
		      fp_kind_name(y.kind), fp_reason_name(y.reason));
	}
	end();
}

/*
 * The tuple of PORT and 227 is parsed the common way (six numbers of one
 * to three digits) when it can be, else the exact way.  A first number
 * padded with zeros to four or five digits always takes the exact way and
 * means the same: random tuples parse the same both ways, the lengths
 * apart.
 */
static void run_tuple_ways(void)
{
	static const char seps[] = ",,,,,,,,,,,,,,,,.; x0|";
	static const char *const tails[] = { "", ")", ").", " ok", "x", "5",
					     ",", ",7", "\x01", "|" };
	char a[160], b[170];
	unsigned int i, k, cnt, pad, lead;

	begin("PORT/227 tuple: common way = exact way");
	for (i = 0; i < 300000 && !case_failed; i++) {
		int srv = (int)(rnd32() & 1);
		struct fp_line x, y;
		size_t n, h, m;

		h = (size_t)sprintf(a, srv ? "227 =" : "PORT ");
		cnt = 4 + rnd32() % 4;
		for (k = 0; k < cnt; k++) {
			unsigned int v = rnd32() % 8 ? rnd32() % 256 :
					 rnd32() % 1000;

			if (k)
				a[h++] = rnd32() % 30 ? ',' :
					 seps[rnd32() % (sizeof(seps) - 1)];
			h += (size_t)sprintf(a + h, rnd32() % 6 ? "%u" : "%03u",
					     v % (rnd32() % 3 ? 1000 : 10));
		}
		h += (size_t)sprintf(a + h, "%s\r\n",
				     tails[rnd32() % (sizeof(tails) /
						      sizeof(tails[0]))]);
		n = h;
		/* the first number, zero-padded to 4 or 5 digits */
		m = 5;
		for (lead = 0; (a[m + lead] >= '0' && a[m + lead] <= '9'); lead++)
			;
		if (lead < 1 || lead > 3)
			continue;
		pad = 4 + rnd32() % 2 - lead;
		memcpy(b, a, m);
		memset(b + m, '0', pad);
		memcpy(b + m + pad, a + m, n - m);
		fp_parse_lf(a, n, srv ? FP_DIR_SERVER : FP_DIR_CLIENT, &x);
		fp_parse_lf(b, n + pad, srv ? FP_DIR_SERVER : FP_DIR_CLIENT, &y);
		if (y.ep_len && y.ep_off > m) {
			/* a 227 whose tuple is a later digit run */
			y.ep_off = (fp_u16)(y.ep_off - pad);
			y.addr_off = (fp_u16)(y.addr_off - pad);
		} else if (y.ep_len) {
			y.ep_len = (fp_u16)(y.ep_len - pad);
			y.addr_len = (fp_u16)(y.addr_len - pad);
		}
		y.len -= pad;
		CHECK(line_eq(&x, &y), "'%s': %s/%s, padded %s/%s",
		      show(a, n), fp_kind_name(x.kind), fp_reason_name(x.reason),
		      fp_kind_name(y.kind), fp_reason_name(y.reason));
	}
	end();
}

/* fp_bare4() names only lines that fp_parse_line() gives that kind. */
static void run_bare(void)
{
	static const char *const lines[] = {
		"PASV\r\n", "pasv\n", "PaSv\r\n", "EPSV\r\n", "epsv\n",
		"PASV \r\n", "PASV\r\r\n", "EPSV 1\r\n", "EPSV\x00\n",
		"PORT\r\n", "PAS\r\n", "PASVX\n", "EPSV\rX\n", "XPSV\r\n",
	};
	unsigned int i;

	begin("fp_bare4");
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		char l[16] = { 0 };
		size_t n;
		enum fp_kind k;
		struct fp_line pl;

		/* Up to the LF (one line has a NUL before it). */
		memcpy(l, lines[i], strlen(lines[i]) + 1);
		if (i == 8)
			memcpy(l, "EPSV\0\n", 6);
		n = fp_line_len(l, sizeof(l));
		k = fp_bare4(fp_first4(l), l, n);

		fp_parse_line(l, n, C, &pl);
		if (k != FP_K_OTHER)
			CHECK(pl.kind == k && (k != FP_K_EPSV ||
					       pl.arg == FP_EPSV_NONE),
			      "'%s': fp_bare4 %s, parse %s", show(l, n),
			      fp_kind_name(k), fp_kind_name(pl.kind));
		CHECK((k != FP_K_OTHER) == (i < 5), "'%s': fp_bare4 %s",
		      show(l, n), fp_kind_name(k));
	}
	end();
}

/* The exact byte masks and the flag helpers, against byte loops. */
static void run_masks(void)
{
	unsigned char w[sizeof(unsigned long)];
	unsigned int i, k, j;

	begin("fp_lf_mask/fp_zero_mask exact, fp_lf_hint(7), flag helpers");
	for (i = 0; i < 400000; i++) {
		unsigned long x, m, h, h7, want = 0, z = 0;
		unsigned int first = FP_WSIZE, last = 0, cnt = 0;

		for (k = 0; k < FP_WSIZE; k++) {
			unsigned int r = rnd32() % 8;

			w[k] = r == 0 ? '\n' : r == 1 ? 0 : r == 2 ? 0x0b :
			       r == 3 ? 0x80 | (rnd32() & 0x7f) :
			       (unsigned char)rnd32();
		}
		x = fp_load(w);
		m = fp_lf_mask(x);
		h = fp_lf_hint(x);
		h7 = fp_lf_hint7(x);
		z = fp_zero_mask(x);
		for (k = 0; k < FP_WSIZE; k++) {
			/* The flag of byte k: where a load puts byte k. */
			unsigned long bit;
			unsigned char one[sizeof(unsigned long)] = { 0 };

			one[k] = 0x80;
			bit = fp_load(one);
			CHECK(!(m & bit) == (w[k] != '\n'), "lf byte %u", k);
			CHECK(!(z & bit) == (w[k] != 0), "zero byte %u", k);
			if (w[k] == '\n')
				CHECK((h & bit) && (h7 & bit),
				      "hint misses LF at %u", k);
			/* fp_lf_hint7() never flags a byte from 0x80 on */
			CHECK(!(h7 & bit) || w[k] < 0x80,
			      "hint7 flags byte %02x", w[k]);
			if (w[k] == '\n') {
				if (first == FP_WSIZE)
					first = k;
				last = k;
				cnt++;
				want |= bit;
			}
		}
		CHECK(!(m & ~want), "stray bits");
#if FP_WORD_ORDER
#if FP_WORD_ORDER == 1
		/*
		 * Up to the first byte below 11 (no borrow yet) the hint is
		 * exact: bytes below 11 and from 0x8b on.
		 */
		for (k = 0; k < FP_WSIZE; k++) {
			unsigned long bit;
			unsigned char one[sizeof(unsigned long)] = { 0 };

			one[k] = 0x80;
			bit = fp_load(one);
			CHECK(!(h & bit) == (w[k] >= 11 && w[k] < 0x8b),
			      "hint flag of byte %u (%02x)", k, w[k]);
			if (w[k] < 11)
				break;
		}
		if (h7)
			CHECK(w[fp_mask_first(h7)] < 11,
			      "hint7's first flag is byte %02x",
			      w[fp_mask_first(h7)]);
#else
		CHECK(h == m && h7 == m, "hint is not the exact mask");
#endif
		if (!m)
			continue;
		CHECK(fp_mask_first(m) == first && fp_mask_last(m) == last,
		      "first %u/%u last %u/%u", fp_mask_first(m), first,
		      fp_mask_last(m), last);
		for (j = 0; m; j++) {
			unsigned int f = fp_mask_first(m);

			CHECK(w[f] == '\n', "taken flag at %u is no LF", f);
			m = fp_mask_next(m);
			CHECK(!m || fp_mask_first(m) > f, "next not after");
		}
		CHECK(j == cnt, "%u flags taken, %u LFs", j, cnt);
		k = 1 + rnd32() % (FP_WSIZE - 1);
		m = fp_mask_upto(fp_lf_mask(x), k);
		for (j = 0; j < FP_WSIZE; j++) {
			unsigned long bit;
			unsigned char one[sizeof(unsigned long)] = { 0 };

			one[j] = 0x80;
			bit = fp_load(one);
			CHECK(!(m & bit) == (j >= k || w[j] != '\n'),
			      "upto %u: byte %u", k, j);
		}
#endif
		if (case_failed)
			break;
	}
	end();
}

static void run_names(void)
{
	int k;

	begin("names");
	for (k = 0; k < FP_K__COUNT; k++)
		CHECK(fp_kind_name((enum fp_kind)k) &&
		      strcmp(fp_kind_name((enum fp_kind)k), "?"), "kind %d", k);
	for (k = 0; k < FP_R__COUNT; k++)
		CHECK(fp_reason_name((enum fp_reason)k) &&
		      strcmp(fp_reason_name((enum fp_reason)k), "?"),
		      "reason %d", k);
	CHECK(!strcmp(fp_kind_name(FP_K__COUNT), "?"), "kind out of range");
	CHECK(!strcmp(fp_reason_name(FP_R__COUNT), "?"), "reason range");
	end();
}

int main(int argc, char **argv)
{
	char path[4096];
	int n;

	if (argc > 1) {
		snprintf(path, sizeof(path), "%s", argv[1]);
	} else {
		const char *slash = strrchr(argv[0], '/');
		int dl = slash ? (int)(slash - argv[0]) : 1;

		snprintf(path, sizeof(path),
			 "%.*s/../../build/corpus/variants.tsv", dl,
			 slash ? argv[0] : ".");
	}
	n = run_corpus(path);
	printf("corpus %s: %d lines checked\n", path, n);
	if (argc > 2) {
		if (access(argv[2], F_OK) == 0) {
			n = run_corpus(argv[2]);
			printf("extra: shared corpus %s: %d lines checked\n",
			       argv[2], n);
		} else {
			printf("shared corpus not present (%s): skipped extra check\n",
			       argv[2]);
		}
	}
	run_table();
	run_ranges();
	run_scan();
	run_prefix();
	run_format();
	run_v6_pton();
	run_long();
	run_lf_random();
	run_bare();
	run_masks();
	run_wording();
	run_tuple_ways();
	run_names();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
