// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * libFuzzer harness of src/ftp_parse.c.
 *
 * Input: byte 0 picks the direction (bit 0) and a variation for the
 * rewritten endpoint; the rest is a buffer of control-stream data.
 * Checked, aborting on any violation:
 *  - fp_scan finds every line: the lines tile the buffer up to a tail that
 *    holds no LF, each ends in LF, and each equals fp_parse_line's result
 *    and fp_parse_lf's (the stream engine's entry, the LF known);
 *  - every result is well formed (kind/reason/want agree, ranges inside
 *    the line, fields cleared on rejects);
 *  - parse -> format -> splice -> parse: formatting the parsed endpoint
 *    (and a changed one) into the endpoint range gives back that endpoint,
 *    likewise for the address range;
 *  - fp_prefix of every prefix of a line is consistent with the line's
 *    kind (OTHER only for OTHER lines, kind K only for K or rejects
 *    wanting K, addr_off never after ep_off and equal once complete);
 *  - EPRT IPv6 text agrees with inet_pton.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ftp_parse.h"

#define MUST(c) do { \
	if (!(c)) { \
		fprintf(stderr, "fuzz_parser: %s:%d: %s\n", __FILE__, \
			__LINE__, #c); \
		abort(); \
	} \
} while (0)

static int has_ep(enum fp_kind k)
{
	return k == FP_K_PORT || k == FP_K_EPRT || k == FP_K_227 ||
	       k == FP_K_229;
}

static int ep_eq(const struct fp_endpoint *a, const struct fp_endpoint *b)
{
	size_t n = a->family == 4 ? 4 : a->family == 6 ? 16 : 0;

	return a->family == b->family && a->port == b->port &&
	       memcmp(a->addr, b->addr, n) == 0;
}

static void check_well_formed(const struct fp_line *l, size_t len)
{
	static const struct fp_endpoint zero;

	MUST(l->kind < FP_K__COUNT);
	MUST(l->reason < FP_R__COUNT);
	MUST(l->len == len);
	MUST((l->kind == FP_K_REJECT) == (l->reason != FP_R_OK));
	if (l->kind == FP_K_REJECT)
		MUST(l->want != FP_K_OTHER && l->want != FP_K_REJECT &&
		     l->want != FP_K_227_NOADDR && l->want < FP_K__COUNT);
	else
		MUST(l->want == l->kind);
	if (!has_ep(l->kind)) {
		MUST(!memcmp(&l->ep, &zero, sizeof(zero)));
		MUST(!l->ep_off && !l->ep_len && !l->addr_off && !l->addr_len);
		if (l->kind == FP_K_OTHER || l->kind == FP_K_REJECT)
			MUST(l->len == len);
		return;
	}
	MUST(len <= FP_LINE_MAX);
	MUST(l->ep_len && l->ep_off + l->ep_len <= len);
	MUST(l->ep.port != 0);
	if (l->kind == FP_K_229) {
		MUST(l->ep.family == 0 && !l->addr_off && !l->addr_len);
	} else {
		MUST(l->ep.family == 4 ||
		     (l->kind == FP_K_EPRT && l->ep.family == 6));
		MUST(l->addr_off >= l->ep_off && l->addr_len);
		MUST(l->addr_off + l->addr_len <= l->ep_off + l->ep_len);
	}
}

/* Does @d occur in the address text fp_format() would write? */
static int delim_clash(enum fp_kind kind, const struct fp_endpoint *ep,
		       char d)
{
	char t[FP_FORMAT_MAX];
	size_t n = fp_format_addr(kind, ep, t, sizeof(t));

	return n && memchr(t, d, n) != NULL;
}

static void splice_check(const uint8_t *line, size_t len, enum fp_dir dir,
			 const struct fp_line *l, const struct fp_endpoint *ep,
			 int addr_only)
{
	char txt[FP_FORMAT_MAX], buf[FP_LINE_MAX + 2 * FP_FORMAT_MAX];
	size_t n, off, olen, nl;
	struct fp_line r;

	if (addr_only) {
		n = fp_format_addr(l->kind, ep, txt, sizeof(txt));
		off = l->addr_off;
		olen = l->addr_len;
	} else {
		n = fp_format(l->kind, ep, l->delim, txt, sizeof(txt));
		off = l->ep_off;
		olen = l->ep_len;
	}
	if (!n || (addr_only && memchr(txt, l->delim, n) && l->delim)) {
		/* Refusal only for an EPRT delimiter found in the address. */
		MUST(l->kind == FP_K_EPRT && delim_clash(l->kind, ep, l->delim));
		return;
	}
	nl = len - olen + n;
	MUST(nl <= sizeof(buf));
	memcpy(buf, line, off);
	memcpy(buf + off, txt, n);
	memcpy(buf + off + n, line + off + olen, len - off - olen);
	fp_parse_line(buf, nl, dir, &r);
	if (nl > FP_LINE_MAX && len <= FP_LINE_MAX) {
		MUST(r.kind == FP_K_REJECT && r.reason == FP_R_TOOLONG);
		return;
	}
	MUST(r.kind == l->kind);
	if (addr_only) {
		struct fp_endpoint want = *ep;

		want.port = l->ep.port;	/* the port text was kept */
		MUST(ep_eq(&r.ep, &want));
	} else {
		MUST(ep_eq(&r.ep, ep));
	}
	if (addr_only)
		MUST(r.addr_off == off && r.addr_len == n);
	else
		MUST(r.ep_off == off && r.ep_len == n);
}

static void round_trip(const uint8_t *line, size_t len, enum fp_dir dir,
		       const struct fp_line *l, uint8_t v)
{
	struct fp_endpoint ep2 = l->ep;
	size_t k;

	if (!has_ep(l->kind))
		return;
	splice_check(line, len, dir, l, &l->ep, 0);
	if (l->kind != FP_K_229)
		splice_check(line, len, dir, l, &l->ep, 1);
	/* A changed endpoint, as NAT would write. */
	ep2.port = (fp_u16)(l->ep.port * 31u + v);
	if (!ep2.port)
		ep2.port = 1;
	for (k = 0; k < (l->ep.family == 6 ? 16u : 4u); k++)
		ep2.addr[k] = (fp_u8)(l->ep.addr[k] ^ (v * (k + 1)));
	if (v & 1 && l->ep.family == 6)
		memset(ep2.addr, 0, 8 + (v & 6));
	splice_check(line, len, dir, l, &ep2, 0);
	if (l->kind != FP_K_229)
		splice_check(line, len, dir, l, &ep2, 1);
}

/* fp_prefix of every prefix before the LF agrees with the whole line. */
static void prefix_check(const uint8_t *line, size_t len, enum fp_dir dir,
			 const struct fp_line *l)
{
	enum fp_kind full = l->kind == FP_K_REJECT ? l->want : l->kind;
	size_t j, end = len;
	enum fp_kind first = FP_K__COUNT;
	unsigned int target;

	if (end && line[end - 1] == '\n')
		end--;
	if (full == FP_K_227_NOADDR)
		full = FP_K_227;
	if (end > FP_LINE_MAX)
		end = FP_LINE_MAX;
	for (j = 0; j <= end; j++) {
		fp_u16 ao = 0xffff;
		enum fp_kind p = fp_prefix((const char *)line, j, dir, &ao);

		if (p == FP_K__COUNT) {
			MUST(ao == 0);
			MUST(first == FP_K__COUNT);
			continue;
		}
		/* Once definite, the answer never changes. */
		if (first == FP_K__COUNT)
			first = p;
		MUST(p == first);
		if (p == FP_K_OTHER) {
			MUST(l->kind == FP_K_OTHER);
			MUST(ao == 0);
			continue;
		}
		MUST(p == full);
		if (!has_ep(l->kind))
			continue;
		/* Where fp_prefix's addr_off must end up. */
		target = l->kind == FP_K_229 ? l->ep_off : l->addr_off;
		if (ao)
			MUST(ao <= target);
		if (j >= (size_t)l->ep_off + l->ep_len)
			MUST(ao == target);
		if (j <= target && (l->kind == FP_K_PORT ||
				    l->kind == FP_K_EPRT))
			MUST(ao == 0);
	}
}

static void line_checks(const uint8_t *line, size_t len, enum fp_dir dir,
			const struct fp_line *l, uint8_t v)
{
	check_well_formed(l, len);
	round_trip(line, len, dir, l, v);
	if (len <= 2 * FP_LINE_MAX)
		prefix_check(line, len, dir, l);
}

/* The IPv6 text parser against the C library's. */
static void v6_check(const uint8_t *data, size_t size)
{
	char a[64], line[96];
	unsigned char want[16];
	struct fp_line l;
	int ok;

	if (size > 46)
		return;
	memcpy(a, data, size);
	a[size] = 0;
	if (strlen(a) != size || !strchr(a, ':') || strpbrk(a, "|\r\n "))
		return;
	ok = inet_pton(AF_INET6, a, want) == 1 && size <= 45;
	snprintf(line, sizeof(line), "EPRT |2|%s|21|\r\n", a);
	fp_parse_line(line, strlen(line), FP_DIR_CLIENT, &l);
	if (ok)
		MUST(l.kind == FP_K_EPRT && !memcmp(l.ep.addr, want, 16));
	else
		MUST(l.kind == FP_K_REJECT);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum fp_dir dir;
	struct fp_scan s;
	struct fp_line l, one;
	size_t off, expect = 0, lines = 0;
	uint8_t v;

	if (!size)
		return 0;
	dir = data[0] & 1 ? FP_DIR_SERVER : FP_DIR_CLIENT;
	v = data[0];
	v6_check(data + 1, size - 1);
	data++;
	size--;

	fp_scan_init(&s, (const char *)data, size, dir);
	while (fp_scan_next(&s, &l, &off)) {
		MUST(off == expect);
		MUST(l.len >= 1 && off + l.len <= size);
		MUST(data[off + l.len - 1] == '\n');
		MUST(!memchr(data + off, '\n', l.len - 1));
		MUST(fp_line_len((const char *)data + off, size - off) ==
		     l.len);
		fp_parse_line((const char *)data + off, l.len, dir, &one);
		MUST(!memcmp(&one, &l, sizeof(l)));
		/* the engine's entry: the LF known */
		fp_parse_lf((const char *)data + off, l.len, dir, &one);
		MUST(!memcmp(&one, &l, sizeof(l)));
		line_checks(data + off, l.len, dir, &l, v);
		expect = off + l.len;
		lines++;
	}
	MUST(s.pos == expect);
	MUST(!memchr(data + s.pos, '\n', size - s.pos));
	MUST(fp_line_len((const char *)data + s.pos, size - s.pos) == 0);
	/* The incomplete tail: as a prefix, and as a line without LF. */
	if (s.pos < size) {
		size_t tl = size - s.pos;

		fp_parse_line((const char *)data + s.pos, tl, dir, &l);
		line_checks(data + s.pos, tl, dir, &l, v);
	}
	return 0;
}
