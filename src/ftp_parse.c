// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ftp_parse.c - the FTP control-line parser and formatter of ftp-portmap.
 *
 * See include/ftp_parse.h for the contract and docs/parser.md for what is
 * accepted and rejected.  Pure C: no allocation, no mutable global state,
 * nothing but the types of ftp_parse_shim.h.
 */

#include "ftp_parse.h"

/* The longest digit run read as a number (leading zeros included). */
#define FP_NUM_DIGITS	5
/* The longest IPv6 address text ("0000:...:ffff:255.255.255.255"). */
#define FP_V6_TEXT_MAX	45

/* fp_classify() result: too short to tell. */
#define FP_UNSURE	FP_K__COUNT

static inline int fp_isdigit(unsigned char c)
{
	return (unsigned char)(c - '0') < 10;
}

static inline int fp_hexval(unsigned char c)
{
	if (fp_isdigit(c))
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* RFC 2428 delimiter: printable 33..126, and not a digit (ambiguous). */
static inline int fp_delim_ok(unsigned char c)
{
	return c >= 33 && c <= 126 && !fp_isdigit(c);
}

/*
 * Offset of the first NUL or CR in [@i, @n) of @b, or @n.  A word at a
 * time: (w - 0x0e..0e) & ~w & 0x80..80 is non-zero iff a byte of w is below
 * 14 (NUL and CR are); the bytes of such a word are then looked at one by
 * one.  The last word may overlap bytes before @i (all in @b).
 */
static fp_size fp_find_nul_cr(const unsigned char *b, fp_size i, fp_size n)
{
	unsigned long w;

	while (n - i >= FP_WSIZE) {
		w = fp_load(b + i);
		if ((w - FP_ONES * 14) & ~w & FP_HIGHS)
			goto bytes;
		i += FP_WSIZE;
	}
	if (i == n)
		return n;
	if (n >= FP_WSIZE) {
		w = fp_load(b + n - FP_WSIZE);
		if (!((w - FP_ONES * 14) & ~w & FP_HIGHS))
			return n;
	}
bytes:
	for (; i < n; i++)
		if (b[i] == '\0' || b[i] == '\r')
			return i;
	return n;
}

/*
 * Exact byte masks (see fp_zero_mask()): the digits of @w, and its '('.
 * For digits, x = w ^ '0'..'0' is 0..9 where w is a digit; (x & 0x7f..7f)
 * + 0x76..76 sets a byte's high bit iff its low seven bits are 10 or more.
 */
static inline unsigned long fp_digit_mask(unsigned long w)
{
	unsigned long x = w ^ (FP_ONES * '0');

	return ~(((x & FP_LOWS) + FP_ONES * (0x80 - 10)) | x) & FP_HIGHS;
}

static inline unsigned long fp_paren_mask(unsigned long w)
{
	return fp_zero_mask(w ^ (FP_ONES * '('));
}

/* Offset of the first digit in [@i, @n) of @b, or @n. */
static fp_size fp_next_digit(const unsigned char *b, fp_size i, fp_size n)
{
#if FP_WORD_ORDER
	for (; n - i >= FP_WSIZE; i += FP_WSIZE) {
		unsigned long m = fp_digit_mask(fp_load(b + i));

		if (m)
			return i + fp_mask_first(m);
	}
#endif
	for (; i < n; i++)
		if (fp_isdigit(b[i]))
			return i;
	return n;
}

fp_size fp_line_len(const char *buf, fp_size len)
{
	fp_size lf = fp_find_lf(buf, len);

	return lf < len ? lf + 1 : 0;
}

/*
 * Classification of the first bytes of a line.
 *
 * @b/@n is the line's text without its LF (and, for a complete line,
 * without the CR right before it); @complete says whether the end of @b
 * is the end of the line, or just the end of what has arrived so far.
 */

/*
 * Does the byte at @i end a command word or reply code?  SP, CR and NUL
 * do (CR and NUL make the line a reject later), so does the end of a
 * complete line.  1 yes, 0 no, -1 cannot tell yet.
 */
static inline int fp_term(const unsigned char *b, fp_size n, fp_size i,
			  int complete)
{
	if (i >= n)
		return complete ? 1 : -1;
	return b[i] == ' ' || b[i] == '\r' || b[i] == '\0';
}

/*
 * Case-insensitive match of the lower-case word @w (letters and '-') at
 * @b + @i, followed by a terminator.  1 yes, 0 no, -1 cannot tell yet.
 */
static int fp_word(const unsigned char *b, fp_size n, fp_size i,
		   const char *w, int complete)
{
	for (; *w; w++, i++) {
		unsigned char c;

		if (i >= n)
			return complete ? 0 : -1;
		c = b[i];
		if (*w != '-')
			c |= 0x20;
		if (c != (unsigned char)*w)
			return 0;
	}
	return fp_term(b, n, i, complete);
}

/* Four bytes as a number, b0 lowest: the same on any endianness. */
#define FP_W4(a, b, c, d) \
	((fp_u32)(a) | (fp_u32)(b) << 8 | (fp_u32)(c) << 16 | (fp_u32)(d) << 24)

#define FP_NCMDS	6
#define FP_NMECHS	4

struct fp_cmd {
	char word[5];
	fp_u8 len;
	fp_u8 kind;
};

static const struct fp_cmd fp_cmds[FP_NCMDS] = {
	{ "port", 4, FP_K_PORT },
	{ "pasv", 4, FP_K_PASV },
	{ "eprt", 4, FP_K_EPRT },
	{ "epsv", 4, FP_K_EPSV },
	{ "auth", 4, FP_K_AUTH },
	{ "ccc", 3, FP_K_CCC },
};

static const char * const fp_auth_mechs[FP_NMECHS] = {
	"tls", "ssl", "tls-c", "tls-p"
};

/* AUTH: the mechanism decides; @i is right after "AUTH". */
static enum fp_kind fp_classify_auth(const unsigned char *b, fp_size n,
				     fp_size i, int complete)
{
	int unsure = 0;
	unsigned int m;

	if (i < n && b[i] != ' ')
		return FP_K_OTHER;
	while (i < n && b[i] == ' ')
		i++;
	if (i >= n)
		return complete ? FP_K_OTHER : FP_UNSURE;
	for (m = 0; m < FP_NMECHS; m++) {
		int r = fp_word(b, n, i, fp_auth_mechs[m], complete);

		if (r > 0)
			return FP_K_AUTH;
		if (r < 0)
			unsure = 1;
	}
	return unsure ? FP_UNSURE : FP_K_OTHER;
}

/*
 * The kind a line is (complete) or is heading for (incomplete): a kind of
 * interest, FP_K_OTHER, or FP_UNSURE (incomplete and too short to tell).
 * *@rest is set to the offset right after the command word / code.
 */
static enum fp_kind fp_classify(const unsigned char *b, fp_size n,
				enum fp_dir dir, int complete, fp_size *rest)
{
	unsigned int c;
	int unsure = 0;

	if (n == 0)
		return complete ? FP_K_OTHER : FP_UNSURE;

	if (dir == FP_DIR_SERVER) {
		enum fp_kind k;
		int r;

		if (b[0] != '2')
			return FP_K_OTHER;
		if (n < 3)
			return complete || (n == 2 && b[1] != '2' &&
					    b[1] != '3') ?
				FP_K_OTHER : FP_UNSURE;
		if (b[1] == '2' && b[2] == '7')
			k = FP_K_227;
		else if (b[1] == '2' && b[2] == '9')
			k = FP_K_229;
		else if (b[1] == '3' && b[2] == '4')
			k = FP_K_234;
		else
			return FP_K_OTHER;
		r = fp_term(b, n, 3, complete);
		if (r < 0)
			return FP_UNSURE;
		*rest = 3;
		return r ? k : FP_K_OTHER;
	}

	/* Client: a quick look at the first byte rules out most lines. */
	c = b[0] | 0x20;
	if (c != 'p' && c != 'e' && c != 'a' && c != 'c')
		return FP_K_OTHER;
	if (complete && n >= 4) {
		/* Fast path: the first four bytes as one number. */
		fp_u32 w = (b[0] | b[1] << 8 | b[2] << 16 |
			    (fp_u32)b[3] << 24) | 0x20202020;
		enum fp_kind k;

		switch (w) {
		case FP_W4('p', 'o', 'r', 't'):
			k = FP_K_PORT;
			break;
		case FP_W4('p', 'a', 's', 'v'):
			k = FP_K_PASV;
			break;
		case FP_W4('e', 'p', 'r', 't'):
			k = FP_K_EPRT;
			break;
		case FP_W4('e', 'p', 's', 'v'):
			k = FP_K_EPSV;
			break;
		case FP_W4('a', 'u', 't', 'h'):
			if (!fp_term(b, n, 4, 1))
				return FP_K_OTHER;
			*rest = 4;
			return fp_classify_auth(b, n, 4, 1);
		default:
			if ((w & 0xffffff) != FP_W4('c', 'c', 'c', 0) ||
			    !fp_term(b, n, 3, 1))
				return FP_K_OTHER;
			*rest = 3;
			return FP_K_CCC;
		}
		if (!fp_term(b, n, 4, 1))
			return FP_K_OTHER;
		*rest = 4;
		return k;
	}
	for (c = 0; c < FP_NCMDS; c++) {
		const struct fp_cmd *cmd = &fp_cmds[c];
		int r = fp_word(b, n, 0, cmd->word, complete);

		if (r < 0) {
			unsure = 1;
			continue;
		}
		if (!r)
			continue;
		*rest = cmd->len;
		if (cmd->kind == FP_K_AUTH)
			return fp_classify_auth(b, n, cmd->len, complete);
		return (enum fp_kind)cmd->kind;
	}
	return unsure ? FP_UNSURE : FP_K_OTHER;
}

/* Parsing helpers.  All take the text @b/@n and a cursor *@i. */

/*
 * A decimal number of 1..FP_NUM_DIGITS digits.  FP_R_SYNTAX when there is
 * no digit, FP_R_OVERFLOW when the digit run is longer.
 */
static enum fp_reason fp_num(const unsigned char *b, fp_size n, fp_size *i,
			     fp_u32 *val)
{
	fp_size s = *i, j = *i;
	fp_u32 v = 0;

	while (j < n && fp_isdigit(b[j])) {
		if (j - s == FP_NUM_DIGITS)
			return FP_R_OVERFLOW;
		v = v * 10 + (b[j] - '0');
		j++;
	}
	if (j == s)
		return FP_R_SYNTAX;
	*i = j;
	*val = v;
	return FP_R_OK;
}

/* Skip spaces. */
static inline fp_size fp_skip_sp(const unsigned char *b, fp_size n, fp_size i)
{
	while (i < n && b[i] == ' ')
		i++;
	return i;
}

/* Offset of the next @d in [@i, @n), or @n: a word at a time. */
static fp_size fp_find(const unsigned char *b, fp_size n, fp_size i,
		       unsigned char d)
{
#if FP_WORD_ORDER
	unsigned long ds = FP_ONES * d;

	for (; n - i >= FP_WSIZE; i += FP_WSIZE) {
		unsigned long m = fp_zero_mask(fp_load(b + i) ^ ds);

		if (m)
			return i + fp_mask_first(m);
	}
#endif
	while (i < n && b[i] != d)
		i++;
	return i;
}

/*
 * The parse of a complete line (fp_parse() and what it calls) may read the
 * byte right after the text, which is always there and is its CR or LF:
 * loops that stop at the first byte that is not a digit (or not a comma)
 * need no bound check.  fp_parse_line() copies a line without CR or LF to
 * give it one.
 */

/*
 * A number of a tuple at *@q: up to three digits at once, a longer run the
 * general way; FP_R_OK only when it is below 256, else @big.
 */
static inline enum fp_reason fp_tnum(const unsigned char *b, fp_size n,
				     const unsigned char **q, fp_u32 *val,
				     enum fp_reason big)
{
	const unsigned char *p = *q;
	fp_u32 v = (fp_u32)p[0] - '0', c;
	enum fp_reason r;
	fp_size i;

	if (v > 9)
		return FP_R_SYNTAX;
	c = (fp_u32)p[1] - '0';
	if (c > 9) {
		p += 1;
	} else {
		v = v * 10 + c;
		c = (fp_u32)p[2] - '0';
		if (c > 9) {
			p += 2;
		} else {
			v = v * 10 + c;
			p += 3;
			if (fp_isdigit(*p)) {
				i = (fp_size)(*q - b);
				r = fp_num(b, n, &i, &v);
				if (r)
					return r;
				p = b + i;
			}
		}
	}
	*q = p;
	*val = v;
	return v > 255 ? big : FP_R_OK;
}

/* ",<number>" of a tuple at *@q: see fp_tnum(). */
static inline enum fp_reason fp_tnext(const unsigned char *b, fp_size n,
				      const unsigned char **q, fp_u32 *val,
				      enum fp_reason big)
{
	if (**q != ',')
		return FP_R_SYNTAX;
	++*q;
	return fp_tnum(b, n, q, val, big);
}

/*
 * A parsed tuple at @i of @b into @out: @a the address (h1 in the high
 * byte), @port, the address ending at @addr_end and the tuple at @q;
 * *@end is set to @q's offset.
 */
static inline enum fp_reason fp_tuple_done(struct fp_line *out,
					   const unsigned char *b, fp_size i,
					   const unsigned char *addr_end,
					   const unsigned char *q, fp_u32 a,
					   fp_u32 port, fp_size *end)
{
	out->ep.addr[0] = (fp_u8)(a >> 24);
	out->ep.addr[1] = (fp_u8)(a >> 16);
	out->ep.addr[2] = (fp_u8)(a >> 8);
	out->ep.addr[3] = (fp_u8)a;
	out->ep.family = 4;
	out->ep.port = (fp_u16)port;
	out->ep_off = (fp_u16)i;
	out->ep_len = (fp_u16)(q - b - i);
	out->addr_off = (fp_u16)i;
	out->addr_len = (fp_u16)(addr_end - b - i);
	*end = (fp_size)(q - b);
	return FP_R_OK;
}

/*
 * "h1,h2,h3,h4,p1,p2" at @i (PORT, 227), the exact way: the reason of the
 * first failure in order.  On success fills @out's endpoint and ranges
 * and sets *@end right after p2.
 */
static enum fp_reason fp_tuple_exact(const unsigned char *b, fp_size n,
				     fp_size i, struct fp_line *out,
				     fp_size *end)
{
	fp_u32 h1 = 0, h2 = 0, h3 = 0, h4 = 0, p1 = 0, p2 = 0;
	const unsigned char *q = b + i, *addr_end;
	enum fp_reason r;

	r = fp_tnum(b, n, &q, &h1, FP_R_OCTET);
	if (!r)
		r = fp_tnext(b, n, &q, &h2, FP_R_OCTET);
	if (!r)
		r = fp_tnext(b, n, &q, &h3, FP_R_OCTET);
	if (!r)
		r = fp_tnext(b, n, &q, &h4, FP_R_OCTET);
	addr_end = q;
	if (!r)
		r = fp_tnext(b, n, &q, &p1, FP_R_PORT);
	if (!r)
		r = fp_tnext(b, n, &q, &p2, FP_R_PORT);
	if (r)
		return r;
	if (!p1 && !p2)
		return FP_R_PORT;
	return fp_tuple_done(out, b, i, addr_end, q, h1 << 24 | h2 << 16 |
			     h3 << 8 | h4, p1 << 8 | p2, end);
}

/*
 * The common tuple number at *@q: one to three digits.  Returns its value
 * and sets *@t to the byte after the digits minus '0' (a digit there: a
 * longer run), *@q past that byte; or returns 256 (no digit).  Reads as
 * fp_tnum() does: no further than that byte.
 */
static inline fp_u32 fp_tfast(const unsigned char **q, fp_u32 *t)
{
	const unsigned char *p = *q;
	fp_u32 v = (fp_u32)p[0] - '0', c;

	if (v > 9)
		return 256;
	c = (fp_u32)p[1] - '0';
	if (c <= 9) {
		v = v * 10 + c;
		c = (fp_u32)p[2] - '0';
		if (c <= 9) {
			v = v * 10 + c;
			c = (fp_u32)p[3] - '0';
			p++;
		}
		p++;
	}
	*q = p + 2;
	*t = c;
	return v;
}

/* fp_tfast() of a number that must be followed by ','; else 256. */
static inline fp_u32 fp_tfast_comma(const unsigned char **q)
{
	fp_u32 t, v = fp_tfast(q, &t);

	return t == (fp_u32)(',' - '0') ? v : 256;
}

/*
 * fp_tuple_exact(), the common form first: six numbers of one to three
 * digits below 256, each but the last followed by ',', the last by a
 * non-digit, the port not 0.  Anything else (a failure, or a longer digit
 * run) is parsed again by fp_tuple_exact().
 */
static enum fp_reason fp_tuple(const unsigned char *b, fp_size n, fp_size i,
			       struct fp_line *out, fp_size *end)
{
	const unsigned char *q = b + i, *addr_end;
	fp_u32 h1, h2, h3, h4, p1, p2, t;

	h1 = fp_tfast_comma(&q);
	if (h1 > 255)
		return fp_tuple_exact(b, n, i, out, end);
	h2 = fp_tfast_comma(&q);
	if (h2 > 255)
		return fp_tuple_exact(b, n, i, out, end);
	h3 = fp_tfast_comma(&q);
	if (h3 > 255)
		return fp_tuple_exact(b, n, i, out, end);
	h4 = fp_tfast_comma(&q);
	if (h4 > 255)
		return fp_tuple_exact(b, n, i, out, end);
	addr_end = q - 1;
	p1 = fp_tfast_comma(&q);
	if (p1 > 255)
		return fp_tuple_exact(b, n, i, out, end);
	p2 = fp_tfast(&q, &t);
	if (p2 > 255 || t <= 9 || !(p1 | p2))
		return fp_tuple_exact(b, n, i, out, end);
	q--;
	return fp_tuple_done(out, b, i, addr_end, q, h1 << 24 | h2 << 16 |
			     h3 << 8 | h4, p1 << 8 | p2, end);
}

/*
 * Dotted quad in [@s, @e): strict, no leading zeros.  The byte at @e is
 * never a digit (it is the EPRT delimiter).
 */
static enum fp_reason fp_ipv4(const unsigned char *b, fp_size s, fp_size e,
			      fp_u8 *a)
{
	fp_size i = s;
	fp_u32 v, c;
	int k;

	for (k = 0; k < 4; k++) {
		if (k) {
			if (i >= e || b[i] != '.')
				return FP_R_ADDR;
			i++;
		}
		v = (fp_u32)b[i] - '0';
		if (i >= e || v > 9)
			return FP_R_ADDR;
		c = (fp_u32)b[++i] - '0';
		if (c <= 9) {
			if (!v)
				return FP_R_ADDR;	/* a leading zero */
			v = v * 10 + c;
			c = (fp_u32)b[++i] - '0';
			if (c <= 9) {
				v = v * 10 + c;
				if (fp_isdigit(b[++i]))
					return FP_R_ADDR;
			}
		}
		if (v > 255)
			return FP_R_OCTET;
		a[k] = (fp_u8)v;
	}
	return i == e ? FP_R_OK : FP_R_ADDR;
}

/* RFC 4291 IPv6 text in [@s, @e), with an optional IPv4 tail. */
static enum fp_reason fp_ipv6(const unsigned char *b, fp_size s, fp_size e,
			      fp_u8 *a)
{
	fp_u16 g[8];
	int ng = 0, gap = -1, k;
	fp_size i = s;

	if (e - s < 2 || e - s > FP_V6_TEXT_MAX)
		return FP_R_ADDR;
	if (b[i] == ':') {
		if (b[i + 1] != ':')
			return FP_R_ADDR;
		gap = 0;
		i += 2;
	}
	while (i < e) {
		fp_size st = i;
		fp_u32 v = 0;
		int h;

		while (i < e && i - st < 5 && (h = fp_hexval(b[i])) >= 0) {
			v = (v << 4) | (fp_u32)h;
			i++;
		}
		if (i < e && b[i] == '.') {
			fp_u8 q[4];

			if (ng > 6 || fp_ipv4(b, st, e, q) != FP_R_OK)
				return FP_R_ADDR;
			g[ng++] = (fp_u16)(q[0] << 8 | q[1]);
			g[ng++] = (fp_u16)(q[2] << 8 | q[3]);
			i = e;
			break;
		}
		if (i == st || i - st > 4 || ng == 8)
			return FP_R_ADDR;
		g[ng++] = (fp_u16)v;
		if (i == e)
			break;
		if (b[i] != ':' || ++i == e)
			return FP_R_ADDR;
		if (b[i] == ':') {
			if (gap >= 0)
				return FP_R_ADDR;
			gap = ng;
			i++;
		}
	}
	if (gap < 0 ? ng != 8 : ng > 7)
		return FP_R_ADDR;
	for (k = 0; k < 16; k++)
		a[k] = 0;
	for (k = 0; k < ng; k++) {
		int pos = (gap >= 0 && k >= gap) ? k + 8 - ng : k;

		a[2 * pos] = (fp_u8)(g[k] >> 8);
		a[2 * pos + 1] = (fp_u8)g[k];
	}
	return FP_R_OK;
}

/* PORT h1,h2,h3,h4,p1,p2 */
static enum fp_reason fp_parse_port(const unsigned char *b, fp_size n,
				    fp_size i, struct fp_line *out)
{
	enum fp_reason r;
	fp_size end;

	if (i >= n)
		return FP_R_SYNTAX;
	i = fp_skip_sp(b, n, i);
	r = fp_tuple(b, n, i, out, &end);
	if (r)
		return r;
	return fp_skip_sp(b, n, end) == n ? FP_R_OK : FP_R_SYNTAX;
}

/* EPRT <d>1|2<d>addr<d>port<d> */
static enum fp_reason fp_parse_eprt(const unsigned char *b, fp_size n,
				    fp_size i, struct fp_line *out)
{
	fp_size f, a, p, e, j;
	enum fp_reason r;
	unsigned char d;
	fp_u32 port;
	fp_u8 fam;

	i = fp_skip_sp(b, n, i);
	if (i >= n)
		return FP_R_SYNTAX;
	d = b[i];
	if (!fp_delim_ok(d))
		return FP_R_DELIM;
	f = i + 1;
	a = fp_find(b, n, f, d) + 1;
	if (a > n)
		return FP_R_SYNTAX;
	p = fp_find(b, n, a, d) + 1;
	if (p > n)
		return FP_R_SYNTAX;
	e = fp_find(b, n, p, d);
	if (e >= n || fp_skip_sp(b, n, e + 1) != n)
		return FP_R_SYNTAX;

	if (a - f != 2 || (b[f] != '1' && b[f] != '2'))
		return FP_R_FAMILY;
	fam = b[f] == '1' ? 4 : 6;
	if (fam == 4)
		r = fp_ipv4(b, a, p - 1, out->ep.addr);
	else
		r = fp_ipv6(b, a, p - 1, out->ep.addr);
	/*
	 * An address of the other family is a family mismatch, whatever else
	 * is wrong with it.  One that parsed is of its family: an IPv4 text
	 * has no ':', an IPv6 one has.
	 */
	if (r && (fp_find(b, p - 1, a, ':') < p - 1) != (fam == 6))
		return FP_R_FAMILY;
	if (r)
		return r;

	j = p;
	r = fp_num(b, e, &j, &port);
	if (r)
		return r;
	if (j != e)
		return FP_R_SYNTAX;
	if (!port || port > 65535)
		return FP_R_PORT;

	out->ep.family = fam;
	out->ep.port = (fp_u16)port;
	out->delim = (char)d;
	out->ep_off = (fp_u16)i;
	out->ep_len = (fp_u16)(e + 1 - i);
	out->addr_off = (fp_u16)a;
	out->addr_len = (fp_u16)(p - 1 - a);
	return FP_R_OK;
}

/* EPSV [1|2|ALL] */
static enum fp_reason fp_parse_epsv(const unsigned char *b, fp_size n,
				    fp_size i, struct fp_line *out)
{
	fp_size s, e;

	i = fp_skip_sp(b, n, i);
	s = i;
	while (i < n && b[i] != ' ')
		i++;
	e = i;
	if (fp_skip_sp(b, n, e) != n)
		return FP_R_SYNTAX;
	if (e == s) {
		out->arg = FP_EPSV_NONE;
	} else if (e - s == 1 && (b[s] == '1' || b[s] == '2')) {
		out->arg = b[s] == '1' ? FP_EPSV_1 : FP_EPSV_2;
	} else if (e - s == 3 && (b[s] | 0x20) == 'a' &&
		   (b[s + 1] | 0x20) == 'l' && (b[s + 2] | 0x20) == 'l') {
		out->arg = FP_EPSV_ALL;
	} else {
		for (i = s; i < e && fp_isdigit(b[i]); i++)
			;
		return i == e ? FP_R_FAMILY : FP_R_SYNTAX;
	}
	return FP_R_OK;
}

/*
 * NUL and CR in whole words, as fp_find_nul_cr() tests them: the high bit
 * of a byte below 14 (and maybe of bytes after it).
 */
static inline unsigned long fp_low_bytes(unsigned long w)
{
	return (w - FP_ONES * 14) & ~w & FP_HIGHS;
}

/*
 * The searches of fp_parse_227() and fp_parse_229(): offset of the first
 * digit (@paren 0) or '(' (@paren 1) in [@i, @n) of @b, or @n, or'ing into
 * *@low the fp_low_bytes() of every word read; a byte looked at alone
 * sets FP_HIGHS there (the caller then tests the text the slow way).
 */
static inline fp_size fp_search_low(const unsigned char *b, fp_size i,
				    fp_size n, int paren, unsigned long *low)
{
	unsigned long acc = 0;

#if FP_WORD_ORDER
	for (; n - i >= FP_WSIZE; i += FP_WSIZE) {
		unsigned long w = fp_load(b + i);
		unsigned long m = paren ? fp_paren_mask(w) : fp_digit_mask(w);

		acc |= fp_low_bytes(w);
		if (m) {
			*low |= acc;
			return i + fp_mask_first(m);
		}
	}
#endif
	*low |= acc | (i < n ? FP_HIGHS : 0);
	for (; i < n; i++)
		if (paren ? b[i] == '(' : fp_isdigit(b[i]))
			break;
	return i;
}

/* What 227 and 229 replies say before their endpoint, nearly always. */
#define FP_227_TEXT	" Entering Passive Mode ("
#define FP_229_TEXT	" Entering Extended Passive Mode "

/*
 * Start of the 227 tuple: the first digit run (necessarily preceded by a
 * non-digit) directly followed by a comma.  @n when there is none.  For
 * text of any end (fp_prefix()).
 */
static fp_size fp_227_start(const unsigned char *b, fp_size n, fp_size i)
{
	while (i < n) {
		fp_size s;

		i = fp_next_digit(b, i, n);
		s = i;
		while (i < n && fp_isdigit(b[i]))
			i++;
		if (i < n && b[i] == ',')
			return s;
	}
	return n;
}

/*
 * 227 <text> h1,h2,h3,h4,p1,p2 <text>.  *@clean: no NUL or CR can be in
 * the text after @i (the words before the tuple were tested on the way,
 * the tuple has none, the rest is tested).
 */
static enum fp_reason fp_parse_227(const unsigned char *b, fp_size n,
				   fp_size i, struct fp_line *out, int *clean)
{
	unsigned long low = 0;
	enum fp_reason r;
	fp_size s, end;

	/*
	 * The wording nearly every server uses has no digit, NUL or CR: the
	 * search can start after it.
	 */
	if (n - i > sizeof(FP_227_TEXT) - 1 &&
	    !__builtin_memcmp(b + i, FP_227_TEXT, sizeof(FP_227_TEXT) - 1))
		i += sizeof(FP_227_TEXT) - 1;
	/*
	 * fp_227_start(), relying on the CR or LF after the text.  A digit
	 * at @i (right after the usual wording, whose last byte is '(')
	 * starts a run: no search for it.
	 */
	s = i;
	if (!fp_isdigit(b[i]))
		goto search;
	for (;;) {
		while (fp_isdigit(b[i]))
			i++;
		if (b[i] == ',')
			break;
search:
		s = i = fp_search_low(b, i, n, 0, &low);
		if (i == n) {
			out->kind = FP_K_227_NOADDR;
			return FP_R_OK;
		}
	}
	r = fp_tuple(b, n, s, out, &end);
	if (r)
		return r;
	/* A seventh number is not a tuple of six. */
	if (b[end] == ',')
		return FP_R_SYNTAX;
	*clean = !low && fp_find_nul_cr(b, end, n) == n;
	return FP_R_OK;
}

/*
 * Start of the 229 endpoint: the first '(' followed by three equal bytes.
 * Incomplete text: by as many equal bytes as there are.  @n when none.
 */
static inline fp_size fp_229_start(const unsigned char *b, fp_size n,
				   fp_size i, unsigned long *low)
{
	for (;; i++) {
		/* A '(' at @i (after the usual wording) needs no search. */
		if (i >= n || b[i] != '(') {
			i = fp_search_low(b, i, n, 1, low);
			if (i >= n)
				break;
		}
		if (i + 1 >= n)
			return n;
		if ((i + 2 >= n || b[i + 2] == b[i + 1]) &&
		    (i + 3 >= n || b[i + 3] == b[i + 1]))
			return i + 1;
	}
	return n;
}

/* 229 <text> (<d><d><d>port<d>) <text>; *@clean as for 227. */
static enum fp_reason fp_parse_229(const unsigned char *b, fp_size n,
				   fp_size i, struct fp_line *out, int *clean)
{
	unsigned long low = 0;
	enum fp_reason r;
	unsigned char d;
	fp_size s;
	fp_u32 port;

	/* As for 227: the usual wording has no '(', NUL or CR. */
	if (n - i > sizeof(FP_229_TEXT) - 1 &&
	    !__builtin_memcmp(b + i, FP_229_TEXT, sizeof(FP_229_TEXT) - 1))
		i += sizeof(FP_229_TEXT) - 1;
	s = fp_229_start(b, n, i, &low);
	if (s + 3 > n)
		return FP_R_SYNTAX;
	d = b[s];
	if (!fp_delim_ok(d))
		return FP_R_DELIM;
	i = s + 3;
	r = fp_num(b, n, &i, &port);
	if (r)
		return r;
	if (i + 1 >= n || b[i] != d || b[i + 1] != ')')
		return FP_R_SYNTAX;
	if (!port || port > 65535)
		return FP_R_PORT;
	out->ep.family = 0;
	out->ep.port = (fp_u16)port;
	out->delim = (char)d;
	out->ep_off = (fp_u16)s;
	out->ep_len = (fp_u16)(i + 1 - s);
	*clean = !low && fp_find_nul_cr(b, i + 2, n) == n;
	return FP_R_OK;
}

/*
 * fp_classify() of a complete line: its first four bytes at once when
 * there are four.
 */
static inline enum fp_kind fp_classify_line(const unsigned char *b,
					    fp_size n, enum fp_dir dir,
					    fp_size *rest)
{
	fp_u32 w, t;
	enum fp_kind k;

	if (n < 4)
		return fp_classify(b, n, dir, 1, rest);
	w = fp_first4((const char *)b);
	if (dir == FP_DIR_SERVER) {
		switch (w & 0xffffff) {
		case FP_W4('2', '2', '7', 0):
			k = FP_K_227;
			break;
		case FP_W4('2', '2', '9', 0):
			k = FP_K_229;
			break;
		case FP_W4('2', '3', '4', 0):
			k = FP_K_234;
			break;
		default:
			return FP_K_OTHER;
		}
		t = w >> 24;
		*rest = 3;
		return t == ' ' || t == '\r' || t == '\0' ? k : FP_K_OTHER;
	}
	switch (w | 0x20202020) {
	case FP_W4('p', 'o', 'r', 't'):
		k = FP_K_PORT;
		break;
	case FP_W4('p', 'a', 's', 'v'):
		k = FP_K_PASV;
		break;
	case FP_W4('e', 'p', 'r', 't'):
		k = FP_K_EPRT;
		break;
	case FP_W4('e', 'p', 's', 'v'):
		k = FP_K_EPSV;
		break;
	default:
		/* AUTH and CCC, and what is of no interest. */
		return fp_classify(b, n, dir, 1, rest);
	}
	*rest = 4;
	return fp_term(b, n, 4, 1) ? k : FP_K_OTHER;
}

/*
 * Parse a line: @b/@total bytes with LF, text @n bytes (no CR LF).
 *
 * A NUL or a CR in the text makes a line of interest a reject whatever
 * else it holds.  The text is looked at for them after the parse of the
 * arguments, and only where that parse has not excluded them: a PORT,
 * EPRT or EPSV that parsed has nothing but the bytes its syntax allows, a
 * 227 or 229 that parsed has had its words tested on the way.
 */
static void fp_parse(const unsigned char *b, fp_size total, fp_size n,
		     enum fp_dir dir, struct fp_line *out)
{
	enum fp_reason r = FP_R_OK;
	enum fp_kind k;
	fp_size i, rest = 0;
	int clean = 0;

	*out = (struct fp_line){ .len = (fp_u32)total };
	k = fp_classify_line(b, n, dir, &rest);
	out->kind = k;
	out->want = k;
	if (k == FP_K_OTHER)
		return;

	if (total > FP_LINE_MAX) {
		r = FP_R_TOOLONG;
		goto reject;
	}
	switch (k) {
	case FP_K_PORT:
		r = fp_parse_port(b, n, rest, out);
		clean = r == FP_R_OK;
		break;
	case FP_K_EPRT:
		r = fp_parse_eprt(b, n, rest, out);
		clean = r == FP_R_OK;
		break;
	case FP_K_EPSV:
		r = fp_parse_epsv(b, n, rest, out);
		clean = r == FP_R_OK;
		break;
	case FP_K_227:
		r = fp_parse_227(b, n, rest, out, &clean);
		out->want = out->kind;
		break;
	case FP_K_229:
		r = fp_parse_229(b, n, rest, out, &clean);
		break;
	default:
		/* PASV, AUTH, CCC, 234: arguments and text are not parsed. */
		break;
	}
	if (!clean) {
		/* The command word or reply code before @rest is neither. */
		i = fp_find_nul_cr(b, rest, n);
		if (i < n)
			r = b[i] ? FP_R_BARECR : FP_R_NUL;
	}
	if (r == FP_R_OK)
		return;
reject:
	*out = (struct fp_line){ .len = (fp_u32)total };
	out->kind = FP_K_REJECT;
	out->want = k;
	out->reason = r;
}

void fp_parse_line(const char *line, fp_size len, enum fp_dir dir,
		   struct fp_line *out)
{
	const unsigned char *b = (const unsigned char *)line;
	fp_size lf = fp_find_lf(line, len);
	fp_size total = lf < len ? lf + 1 : len;
	fp_size n = lf;
	unsigned char t[FP_LINE_MAX + 1];

	if (n && b[n - 1] == '\r')
		n--;
	if (n == total && n <= FP_LINE_MAX) {
		/* No CR or LF after the text (see fp_tnum()): a copy with one. */
		for (lf = 0; lf < n; lf++)
			t[lf] = b[lf];
		t[n] = '\n';
		b = t;
	}
	fp_parse(b, total, n, dir, out);
}

void fp_parse_lf(const char *line, fp_size len, enum fp_dir dir,
		 struct fp_line *out)
{
	const unsigned char *b = (const unsigned char *)line;
	fp_size n = len - 1;

	if (n && b[n - 1] == '\r')
		n--;
	fp_parse(b, len, n, dir, out);
}

void fp_scan_init(struct fp_scan *s, const char *buf, fp_size len,
		  enum fp_dir dir)
{
	s->buf = buf;
	s->len = len;
	s->pos = 0;
	s->dir = dir;
}

int fp_scan_next(struct fp_scan *s, struct fp_line *out, fp_size *off)
{
	const unsigned char *b;
	fp_size rem, lf, n;

	if (s->pos >= s->len)
		return 0;
	b = (const unsigned char *)s->buf + s->pos;
	rem = s->len - s->pos;
	lf = fp_find_lf((const char *)b, rem);
	if (lf == rem)
		return 0;
	n = lf;
	if (n && b[n - 1] == '\r')
		n--;
	if (fp_quick((const char *)b, lf + 1, s->dir))
		fp_parse(b, lf + 1, n, s->dir, out);
	else
		*out = (struct fp_line){ .len = (fp_u32)(lf + 1) };
	*off = s->pos;
	s->pos += lf + 1;
	return 1;
}

enum fp_kind fp_prefix(const char *line, fp_size len, enum fp_dir dir,
		       fp_u16 *addr_off)
{
	const unsigned char *b = (const unsigned char *)line;
	fp_size n = fp_find_lf(line, len);
	fp_size i, rest = 0;
	unsigned long low = 0;
	enum fp_kind k;

	if (addr_off)
		*addr_off = 0;
	/* Past FP_LINE_MAX the line is a reject whatever follows. */
	if (n > FP_LINE_MAX)
		n = FP_LINE_MAX;
	k = fp_classify(b, n, dir, 0, &rest);
	switch (k) {
	case FP_K_PORT:
	case FP_K_EPRT:
		if (rest >= n || b[rest] != ' ')
			return k;
		i = fp_skip_sp(b, n, rest);
		/* EPRT: the address follows the second delimiter. */
		if (k == FP_K_EPRT && i < n)
			i = fp_find(b, n, i + 1, b[i]) + 1;
		break;
	case FP_K_227:
		i = fp_227_start(b, n, rest);
		if (i == n) {
			/* A digit run at the very end may become the tuple. */
			for (i = n; i > rest && fp_isdigit(b[i - 1]); i--)
				;
			if (i == n)
				return k;
		}
		break;
	case FP_K_229:
		i = fp_229_start(b, n, rest, &low);
		break;
	default:
		return k;
	}
	if (i < n && addr_off)
		*addr_off = (fp_u16)i;
	return k;
}

/* Formatting. */

/* Decimal @v at @o; returns the length. */
static fp_size fp_put_dec(char *o, fp_u32 v)
{
	char t[10];
	fp_size n = 0, k;

	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (k = 0; k < n; k++)
		o[k] = t[n - 1 - k];
	return n;
}

static fp_size fp_put_v4(char *o, const fp_u8 *a, char sep)
{
	fp_size n = 0;
	int k;

	for (k = 0; k < 4; k++) {
		if (k)
			o[n++] = sep;
		n += fp_put_dec(o + n, a[k]);
	}
	return n;
}

/* RFC 5952: lower case, no leading zeros, longest zero run as "::". */
static fp_size fp_put_v6(char *o, const fp_u8 *a)
{
	static const char hex[] = "0123456789abcdef";
	int k, run = 0, best = -1, best_len = 1;
	fp_size n = 0;

	/* IPv4-mapped addresses (::ffff:0:0/96) keep the dotted quad. */
	for (k = 0; k < 10 && !a[k]; k++)
		;
	if (k == 10 && a[10] == 0xff && a[11] == 0xff) {
		const char *p = "::ffff:";

		while (*p)
			o[n++] = *p++;
		return n + fp_put_v4(o + n, a + 12, '.');
	}
	for (k = 0; k < 8; k++) {
		if (a[2 * k] || a[2 * k + 1]) {
			run = 0;
			continue;
		}
		if (++run > best_len) {
			best_len = run;
			best = k + 1 - run;
		}
	}
	for (k = 0; k < 8; k++) {
		unsigned int g = a[2 * k] << 8 | a[2 * k + 1];
		int sh, started = 0;

		if (k == best) {
			o[n++] = ':';
			o[n++] = ':';
			k += best_len - 1;
			continue;
		}
		if (k && k != best + best_len)
			o[n++] = ':';
		for (sh = 12; sh >= 0; sh -= 4) {
			unsigned int x = (g >> sh) & 0xf;

			if (x || started || !sh) {
				o[n++] = hex[x];
				started = 1;
			}
		}
	}
	return n;
}

/* The address text into @t (at least FP_FORMAT_MAX bytes); 0 if none. */
static fp_size fp_addr_text(enum fp_kind kind, const struct fp_endpoint *ep,
			    char *t)
{
	switch (kind) {
	case FP_K_PORT:
	case FP_K_227:
		return ep->family == 4 ? fp_put_v4(t, ep->addr, ',') : 0;
	case FP_K_EPRT:
		if (ep->family == 4)
			return fp_put_v4(t, ep->addr, '.');
		if (ep->family == 6)
			return fp_put_v6(t, ep->addr);
		return 0;
	default:
		return 0;
	}
}

static fp_size fp_copy_out(const char *t, fp_size n, char *out,
			   fp_size outlen)
{
	fp_size k;

	if (!n || n > outlen || !out)
		return 0;
	for (k = 0; k < n; k++)
		out[k] = t[k];
	return n;
}

fp_size fp_format(enum fp_kind kind, const struct fp_endpoint *ep, char delim,
		  char *out, fp_size outlen)
{
	unsigned char d = (unsigned char)delim;
	char t[FP_FORMAT_MAX];
	fp_size n = 0, a, k;

	if (!ep || !ep->port)
		return 0;
	switch (kind) {
	case FP_K_PORT:
	case FP_K_227:
		n = fp_addr_text(kind, ep, t);
		if (!n)
			return 0;
		t[n++] = ',';
		n += fp_put_dec(t + n, ep->port >> 8);
		t[n++] = ',';
		n += fp_put_dec(t + n, ep->port & 0xff);
		break;
	case FP_K_EPRT:
		if (!fp_delim_ok(d))
			return 0;
		t[0] = (char)d;
		t[1] = ep->family == 4 ? '1' : '2';
		t[2] = (char)d;
		a = fp_addr_text(kind, ep, t + 3);
		if (!a)
			return 0;
		/* The delimiter must not occur in the address text. */
		for (k = 3; k < 3 + a; k++)
			if ((unsigned char)t[k] == d)
				return 0;
		n = 3 + a;
		t[n++] = (char)d;
		n += fp_put_dec(t + n, ep->port);
		t[n++] = (char)d;
		break;
	case FP_K_229:
		if (!fp_delim_ok(d))
			return 0;
		t[0] = (char)d;
		t[1] = (char)d;
		t[2] = (char)d;
		n = 3 + fp_put_dec(t + 3, ep->port);
		t[n++] = (char)d;
		break;
	default:
		return 0;
	}
	return fp_copy_out(t, n, out, outlen);
}

fp_size fp_format_addr(enum fp_kind kind, const struct fp_endpoint *ep,
		       char *out, fp_size outlen)
{
	char t[FP_FORMAT_MAX];

	if (!ep)
		return 0;
	return fp_copy_out(t, fp_addr_text(kind, ep, t), out, outlen);
}

/* Names. */

static const char * const fp_kind_names[FP_K__COUNT] = {
	[FP_K_OTHER] = "OTHER",
	[FP_K_PORT] = "PORT",
	[FP_K_EPRT] = "EPRT",
	[FP_K_PASV] = "PASV",
	[FP_K_EPSV] = "EPSV",
	[FP_K_AUTH] = "AUTH",
	[FP_K_CCC] = "CCC",
	[FP_K_227] = "227",
	[FP_K_227_NOADDR] = "227_NOADDR",
	[FP_K_229] = "229",
	[FP_K_234] = "234",
	[FP_K_REJECT] = "REJECT",
};

static const char * const fp_reason_names[FP_R__COUNT] = {
	[FP_R_OK] = "OK",
	[FP_R_SYNTAX] = "SYNTAX",
	[FP_R_OCTET] = "OCTET",
	[FP_R_PORT] = "PORT",
	[FP_R_OVERFLOW] = "OVERFLOW",
	[FP_R_FAMILY] = "FAMILY",
	[FP_R_DELIM] = "DELIM",
	[FP_R_ADDR] = "ADDR",
	[FP_R_TOOLONG] = "TOOLONG",
	[FP_R_NUL] = "NUL",
	[FP_R_BARECR] = "BARECR",
};

const char *fp_kind_name(enum fp_kind kind)
{
	if ((unsigned int)kind >= FP_K__COUNT)
		return "?";
	return fp_kind_names[kind];
}

const char *fp_reason_name(enum fp_reason reason)
{
	if ((unsigned int)reason >= FP_R__COUNT)
		return "?";
	return fp_reason_names[reason];
}
