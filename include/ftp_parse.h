/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * ftp_parse - the FTP control-line parser and formatter of ftp-portmap.
 *
 * One pure C implementation (src/ftp_parse.c) compiled into the kernel
 * module, the userspace unit tests and the libFuzzer harness.  No
 * allocation, no global state, nothing from libc or the kernel beyond the
 * few types and helpers of ftp_parse_shim.h.
 *
 * A "line" is everything up to and including LF.  A CR is only valid as
 * the byte right before LF.
 *
 * Classification (docs/parser.md has the full rules):
 * - Client lines: the command word is the first bytes of the line, any
 *   case, and must be exactly PORT, EPRT, PASV, EPSV, AUTH or CCC followed
 *   by SP, CR, NUL or the end of the line ("PORTX", "RETR PORT ..." and
 *   " PORT ..." are FP_K_OTHER).  AUTH is FP_K_AUTH only with mechanism
 *   TLS, SSL, TLS-C or TLS-P (any case); other mechanisms are FP_K_OTHER.
 *   Arguments of PASV, CCC and AUTH are not looked at.
 * - Server lines: the code is the first three bytes, 227, 229 or 234,
 *   followed by SP, CR, NUL or the end of the line.  "227-" (a line of a
 *   multi-line reply) and every other code are FP_K_OTHER.
 * - A line of interest (any kind but FP_K_OTHER) is FP_K_REJECT when it is
 *   longer than FP_LINE_MAX (FP_R_TOOLONG), holds a NUL (FP_R_NUL) or a CR
 *   anywhere but right before the LF (FP_R_BARECR).  A line of no interest
 *   is FP_K_OTHER whatever its length and bytes.
 * - 227: the tuple is the first digit run followed by ',' after the code,
 *   read as six comma-separated numbers; no such run: FP_K_227_NOADDR.
 * - 229: the endpoint is the first '(' followed by three equal bytes.
 * - Numbers are 1..5 digits (leading zeros allowed), longer runs are
 *   FP_R_OVERFLOW; EPRT dotted quads allow no leading zeros.  Delimiters
 *   (EPRT, 229) are printable 33..126 but not digits.
 */
#ifndef FTP_PARSE_H
#define FTP_PARSE_H

#include "ftp_parse_shim.h"

/*
 * The longest line (including CR LF) looked at; a longer line of interest
 * is FP_K_REJECT/FP_R_TOOLONG, a longer line of no interest FP_K_OTHER.
 */
#define FP_LINE_MAX		512
/* Longest text fp_format() can produce ("|2|" + 45-char IPv6 + "|65535|"). */
#define FP_FORMAT_MAX		64

enum fp_dir {
	FP_DIR_CLIENT = 0,	/* client -> server: commands */
	FP_DIR_SERVER = 1,	/* server -> client: replies */
};

enum fp_kind {
	FP_K_OTHER = 0,		/* a line of no interest */
	FP_K_PORT,		/* PORT h1,h2,h3,h4,p1,p2 */
	FP_K_EPRT,		/* EPRT <d>1|2<d>addr<d>port<d> */
	FP_K_PASV,		/* PASV */
	FP_K_EPSV,		/* EPSV [1|2|ALL]: see fp_line.arg */
	FP_K_AUTH,		/* AUTH TLS|SSL|TLS-C|TLS-P ... */
	FP_K_CCC,		/* CCC */
	FP_K_227,		/* 227 with an address tuple */
	FP_K_227_NOADDR,	/* 227 whose text has no tuple ("227 Logout.") */
	FP_K_229,		/* 229 ... (<d><d><d>port<d>) */
	FP_K_234,		/* 234: security exchange (TLS) accepted */
	FP_K_REJECT,		/* a line of interest failing validation */
	FP_K__COUNT
};

enum fp_reason {
	FP_R_OK = 0,
	FP_R_SYNTAX,		/* malformed: missing/extra fields, junk */
	FP_R_OCTET,		/* address number above 255 */
	FP_R_PORT,		/* port 0 or above 65535 */
	FP_R_OVERFLOW,		/* a digit run too long to be a number */
	FP_R_FAMILY,		/* EPRT family not 1/2 or not matching addr */
	FP_R_DELIM,		/* EPRT/229 delimiter not printable 33..126 */
	FP_R_ADDR,		/* EPRT address text not a valid address */
	FP_R_TOOLONG,		/* line longer than FP_LINE_MAX */
	FP_R_NUL,		/* NUL byte inside the line */
	FP_R_BARECR,		/* CR not followed by LF inside the line */
	FP_R__COUNT
};

/* EPSV argument, in fp_line.arg for FP_K_EPSV. */
enum fp_epsv_arg {
	FP_EPSV_NONE = 0,
	FP_EPSV_1,
	FP_EPSV_2,
	FP_EPSV_ALL,
};

struct fp_endpoint {
	fp_u8 family;		/* 0: none (229 carries a port only), 4, 6 */
	fp_u8 addr[16];		/* network order; IPv4 in addr[0..3] */
	fp_u16 port;		/* host order */
};

struct fp_line {
	enum fp_kind kind;
	enum fp_reason reason;	/* FP_R_OK unless kind == FP_K_REJECT */
	/*
	 * For FP_K_REJECT: the kind it would have been (FP_K_227 for any
	 * 227); otherwise equal to kind.
	 */
	enum fp_kind want;
	fp_u8 arg;		/* FP_K_EPSV: enum fp_epsv_arg */
	char delim;		/* FP_K_EPRT / FP_K_229: the delimiter used */
	struct fp_endpoint ep;	/* PORT, EPRT, 227, 229 */
	/*
	 * Byte ranges, as offsets from the start of the line:
	 * ep_off/ep_len   - the whole endpoint text that fp_format() output
	 *                   replaces: PORT/227 "h1,h2,h3,h4,p1,p2";
	 *                   EPRT "<d>1<d>addr<d>port<d>"; 229 "<d><d><d>port<d>"
	 * addr_off/len    - the address part alone: PORT/227 "h1,h2,h3,h4",
	 *                   EPRT "addr"; 0/0 for 229
	 */
	fp_u16 ep_off, ep_len;
	fp_u16 addr_off, addr_len;
	/*
	 * The line's length including LF.  (fp_u32, not fp_u16: a line of
	 * no interest may be longer than 65535 bytes.)
	 */
	fp_u32 len;
};

/*
 * fp_parse_line - classify and parse one complete line.
 * @line: the line, @len bytes including the terminating LF (a missing LF
 *        is tolerated: the line is taken to end at @len, and a CR as its
 *        last byte counts as the CR of CR LF).  Should @line hold an LF
 *        before @len, the line ends at that first LF (out->len says so).
 * @dir:  which way the line travels.
 * @out:  result; always fully written.  For FP_K_REJECT ep, delim, arg
 *        and the ranges are all zero.
 */
void fp_parse_line(const char *line, fp_size len, enum fp_dir dir,
		   struct fp_line *out);

/*
 * fp_parse_lf - fp_parse_line() for a line known to end at its first LF:
 * @len >= 1 bytes, the last one LF and no LF before it.  The same result,
 * without the search for the LF (the stream engine has found it).
 */
void fp_parse_lf(const char *line, fp_size len, enum fp_dir dir,
		 struct fp_line *out);

/*
 * fp_line_len - length of the first line in @buf including its LF, or 0
 * when @buf holds no LF.
 */
fp_size fp_line_len(const char *buf, fp_size len);

/* Word-at-a-time constants, for any width of unsigned long. */
#define FP_WSIZE	sizeof(unsigned long)
#define FP_ONES		(~0UL / 0xff)
#define FP_HIGHS	(FP_ONES << 7)
#define FP_LOWS		(~FP_HIGHS)
#define FP_LFS		(FP_ONES * '\n')

/*
 * Where the first byte of a loaded word lands: 1 in its lowest byte
 * (little endian), 2 in its highest (big endian), 0 unknown (the word
 * loops then fall back to a byte at a time).
 */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define FP_WORD_ORDER	1
#elif defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define FP_WORD_ORDER	2
#else
#define FP_WORD_ORDER	0
#endif

/*
 * A word of the buffer at any alignment.  __builtin_memcpy() is the
 * compiler's, not the C library's: one load on x86 and arm64, byte loads
 * where unaligned loads are not allowed.
 */
static inline unsigned long fp_load(const unsigned char *p)
{
	unsigned long w;

	__builtin_memcpy(&w, p, sizeof(w));
	return w;
}

/*
 * fp_find_lf - offset of the first LF in @buf, or @len when there is none.
 * A word at a time: (x - 0x01..01) & ~x & 0x80..80 is non-zero iff a byte
 * of x is zero, and its lowest set bit is in the first zero byte (only
 * bytes after a zero byte can be flagged falsely).  Never reads outside
 * the buffer.  Inline: the stream engine calls it for every line.
 */
static inline fp_size fp_find_lf(const char *buf, fp_size len)
{
	const unsigned char *p = (const unsigned char *)buf;
	fp_size i = 0;

	while (len - i >= FP_WSIZE) {
		unsigned long w = fp_load(p + i) ^ FP_LFS;
		unsigned long m = (w - FP_ONES) & ~w & FP_HIGHS;

		if (m) {
#if FP_WORD_ORDER == 1
			return i + (__builtin_ctzl(m) >> 3);
#else
			break;
#endif
		}
		i += FP_WSIZE;
	}
	for (; i < len; i++)
		if (p[i] == '\n')
			return i;
	return len;
}

/*
 * Exact byte masks: the high bit of every byte of a word that matches, and
 * no other bit (unlike the test in fp_find_lf(), no byte is flagged
 * falsely, so every flag can be used, in either byte order).
 *
 * fp_zero_mask: the zero bytes of @x.  (x & 0x7f..7f) + 0x7f..7f sets a
 * byte's high bit iff its low seven bits are not all zero, and carries
 * into no other byte; or'ed with x, iff the byte is not zero.
 */
static inline unsigned long fp_zero_mask(unsigned long x)
{
	return ~(((x & FP_LOWS) + FP_LOWS) | x) & FP_HIGHS;
}

/* The LF bytes of @w. */
static inline unsigned long fp_lf_mask(unsigned long w)
{
	return fp_zero_mask(w ^ FP_LFS);
}

/*
 * fp_lf_hint - LF candidates of @w, for a scan that takes them in memory
 * order and checks each byte it takes: every LF is flagged, other bytes
 * may be.  Little endian: (w - 0x0b..0b) & 0x80..80, two operations, the
 * high bit of each byte after the subtraction.  With no borrow into it a
 * byte is flagged iff it is below 11 (LF is 10) or 0x8b and above; a byte
 * below 11 borrows from the next one, which is then flagged iff it is
 * below 12 or 0x8c and above, and may borrow in turn: an LF is flagged in
 * either case.  Text with bytes below 11 or above 0x8a costs a check per
 * such byte, as does any byte with fp_lf_mask() (the LF itself); the
 * worst case is a check per byte.  Elsewhere: fp_lf_mask().
 */
static inline unsigned long fp_lf_hint(unsigned long w)
{
#if FP_WORD_ORDER == 1
	return (w - FP_ONES * 11) & FP_HIGHS;
#else
	return fp_lf_mask(w);
#endif
}

/*
 * fp_lf_hint7 - fp_lf_hint() without the bytes from 0x80 on, for text that
 * has them: (w - 0x0b..0b) & ~w & 0x80..80, one operation more.  Every LF
 * is flagged, the first flag is a byte below 11.  Elsewhere: fp_lf_mask().
 */
static inline unsigned long fp_lf_hint7(unsigned long w)
{
#if FP_WORD_ORDER == 1
	return (w - FP_ONES * 11) & ~w & FP_HIGHS;
#else
	return fp_lf_mask(w);
#endif
}

#if FP_WORD_ORDER
/* Offset in the word of the first flagged byte of a non-zero mask. */
static inline unsigned int fp_mask_first(unsigned long m)
{
#if FP_WORD_ORDER == 1
	return (unsigned int)__builtin_ctzl(m) >> 3;
#else
	return (unsigned int)__builtin_clzl(m) >> 3;
#endif
}

/* Offset in the word of the last flagged byte of a non-zero mask. */
static inline unsigned int fp_mask_last(unsigned long m)
{
#if FP_WORD_ORDER == 1
	return (unsigned int)(FP_WSIZE - 1) - ((unsigned int)__builtin_clzl(m) >> 3);
#else
	return (unsigned int)(FP_WSIZE - 1) - ((unsigned int)__builtin_ctzl(m) >> 3);
#endif
}

/* The mask without its first flag. */
static inline unsigned long fp_mask_next(unsigned long m)
{
#if FP_WORD_ORDER == 1
	return m & (m - 1);
#else
	return m & ~(~(~0UL >> 1) >> __builtin_clzl(m));
#endif
}
/* The mask with the flags of its first @k bytes only (0 < @k < FP_WSIZE). */
static inline unsigned long fp_mask_upto(unsigned long m, unsigned int k)
{
#if FP_WORD_ORDER == 1
	return m & ~(~0UL << 8 * k);
#else
	return m & ~(~0UL >> 8 * k);
#endif
}
#endif /* FP_WORD_ORDER */

/* The first four bytes of a line as a number, b0 lowest, in any order. */
#define FP_W4(a, b, c, d) \
	((fp_u32)(a) | (fp_u32)(b) << 8 | (fp_u32)(c) << 16 | (fp_u32)(d) << 24)

static inline fp_u32 fp_first4(const char *line)
{
	const unsigned char *b = (const unsigned char *)line;

	return FP_W4(b[0], b[1], b[2], b[3]);
}

/* The first letters of the commands of interest, one bit each from 'a'. */
#define FP_FIRST_LETTERS \
	(1U << ('a' - 'a') | 1U << ('c' - 'a') | 1U << ('e' - 'a') | \
	 1U << ('p' - 'a'))

/*
 * fp_quick4 - can a line whose first four bytes are @w (fp_first4()) be a
 * line of interest?  0: fp_parse_line() would say FP_K_OTHER whatever
 * follows; 1: it may not.  A few instructions, for the stream engine's
 * common path (lines of no interest only count for command/reply pairing).
 */
static inline int fp_quick4(fp_u32 w, enum fp_dir dir)
{
	if (dir == FP_DIR_SERVER) {
		w &= 0xffffff;
		return w == FP_W4('2', '2', '7', 0) ||
		       w == FP_W4('2', '2', '9', 0) ||
		       w == FP_W4('2', '3', '4', 0);
	}
	/*
	 * Letters to lower case; other bytes change, but match no word.  The
	 * first letter alone rules out most lines: it must be a, c, e or p.
	 */
	w |= 0x20202020;
	if ((w & 0xff) - 'a' > 'p' - 'a' ||
	    !(FP_FIRST_LETTERS >> ((w & 0xff) - 'a') & 1))
		return 0;
	return w == FP_W4('p', 'o', 'r', 't') || w == FP_W4('e', 'p', 'r', 't') ||
	       w == FP_W4('p', 'a', 's', 'v') || w == FP_W4('e', 'p', 's', 'v') ||
	       w == FP_W4('a', 'u', 't', 'h') ||
	       (w & 0xffffff) == FP_W4('c', 'c', 'c', 0);
}

/*
 * fp_bare4 - for a client line of @n bytes (up to and including its first
 * LF) whose first four bytes are @w (fp_first4()): FP_K_PASV or FP_K_EPSV
 * when it is that command alone, "PASV" LF or "PASV" CR LF in any case
 * (fp_parse_line() says the same, with FP_EPSV_NONE for EPSV); else
 * FP_K_OTHER.  The commands of interest clients send most.
 */
static inline enum fp_kind fp_bare4(fp_u32 w, const char *line, fp_size n)
{
	if (n == 6 ? line[4] != '\r' : n != 5)
		return FP_K_OTHER;
	w |= 0x20202020;
	if (w == FP_W4('p', 'a', 's', 'v'))
		return FP_K_PASV;
	return w == FP_W4('e', 'p', 's', 'v') ? FP_K_EPSV : FP_K_OTHER;
}

/* fp_quick - fp_quick4() for a line of @n bytes; lines under four: 1. */
static inline int fp_quick(const char *line, fp_size n, enum fp_dir dir)
{
	if (n < 4)
		return n != 0;
	return fp_quick4(fp_first4(line), dir);
}

/*
 * Scanning a buffer: every complete line, in order.
 *
 *	struct fp_scan s;
 *	struct fp_line l;
 *	fp_size off;
 *	fp_scan_init(&s, buf, len, dir);
 *	while (fp_scan_next(&s, &l, &off))
 *		... line at buf + off, l.len bytes ...
 *	then s.pos is the offset of the incomplete tail (== len if none).
 */
struct fp_scan {
	const char *buf;
	fp_size len;
	fp_size pos;
	enum fp_dir dir;
};

void fp_scan_init(struct fp_scan *s, const char *buf, fp_size len,
		  enum fp_dir dir);
int fp_scan_next(struct fp_scan *s, struct fp_line *out, fp_size *off);

/*
 * fp_prefix - what an incomplete line (no LF yet) can still become.
 * Returns FP_K_OTHER when no completion can make it a line of interest,
 * FP_K__COUNT when it is too short to tell, else the kind it is heading
 * for (FP_K_PORT, FP_K_EPRT, FP_K_227, FP_K_229, ...).  When the address
 * text has started, *addr_off is set to its offset in the line, else to 0.
 *
 * Precisely: for any completion, the complete line's kind K' relates to
 * the returned K as follows.  K == FP_K_OTHER: K' == FP_K_OTHER.  K a kind
 * of interest: K' == K, or K' == FP_K_REJECT with want == K, or (K ==
 * FP_K_227) K' == FP_K_227_NOADDR.  Once the answer is not FP_K__COUNT,
 * longer prefixes give the same answer.  *addr_off is where the completed
 * line's fp_line.addr_off will be (PORT/227 "h1,...", EPRT the address
 * after "<d>af<d>"; 229, which has no address, its ep_off: the first
 * delimiter after '('), set once at least one byte of that text is in the
 * prefix.  It is never after the completed line's offset, and equals it
 * once the prefix holds the whole endpoint.  For 227 and 229 it can be
 * tentative (a digit run at the end of the prefix may or may not become
 * the tuple).  Bytes from an LF on are ignored, as are bytes past
 * FP_LINE_MAX.  @addr_off may be NULL.
 */
enum fp_kind fp_prefix(const char *line, fp_size len, enum fp_dir dir,
		       fp_u16 *addr_off);

/*
 * fp_format - the replacement text for an endpoint.
 * @kind:  FP_K_PORT or FP_K_227 ("h1,h2,h3,h4,p1,p2", IPv4 only),
 *         FP_K_EPRT ("<d>1<d>a.b.c.d<d>port<d>" or "<d>2<d>v6<d>port<d>"),
 *         FP_K_229 ("<d><d><d>port<d>").
 * @ep:    the endpoint; @delim: the delimiter for EPRT/229.
 * Returns the number of bytes written to @out (no NUL added), or 0 when
 * @outlen is too small or @ep does not fit @kind: wrong family, port 0,
 * a delimiter that is not printable 33..126, is a digit or occurs in the
 * address text.  IPv6 is written as RFC 5952 says (lower case, longest
 * zero run as "::"); IPv4-mapped addresses as "::ffff:a.b.c.d".
 */
fp_size fp_format(enum fp_kind kind, const struct fp_endpoint *ep, char delim,
		  char *out, fp_size outlen);

/*
 * fp_format_addr - the address part alone, as it stands in @kind's text:
 * "h1,h2,h3,h4" for PORT/227, dotted quad or RFC 5952 IPv6 for EPRT.
 */
fp_size fp_format_addr(enum fp_kind kind, const struct fp_endpoint *ep,
		       char *out, fp_size outlen);

/* Short constant names, for logs, tests and tools. */
const char *fp_kind_name(enum fp_kind kind);
const char *fp_reason_name(enum fp_reason reason);

#endif /* FTP_PARSE_H */
