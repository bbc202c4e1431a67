// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ftp_stream.c - the FTP control-stream engine: reassembly of lines cut
 * across segments, command/reply pairing, rewrite planning, the rewrite in
 * flight that keeps retransmissions consistent, TLS record following.
 * See include/ftp_stream.h for the model; docs/stream-tracking.md for the
 * reasons.
 *
 * Pure C: no kernel or libc dependency beyond ftp_parse_shim.h and the
 * compiler's memcpy/memcmp builtins.
 */
#include "ftp_stream.h"

#define fs_memcpy	__builtin_memcpy
#define fs_memcmp	__builtin_memcmp

/* Sequence-number order, modulo 2^32. */
static int fs_before(fp_u32 a, fp_u32 b)
{
	return (int)(a - b) < 0;
}

static int fs_after(fp_u32 a, fp_u32 b)
{
	return fs_before(b, a);
}

static fp_u32 fs_min(fp_u32 a, fp_u32 b)
{
	return a < b ? a : b;
}

/* Kinds of pending commands, two bits each in fs_conn.cmdq. */
enum {
	FS_Q_OTHER	= 0,
	FS_Q_DATA	= 1,	/* PASV, EPSV: answered by 227/229 */
	FS_Q_AUTH	= 2,	/* AUTH TLS: answered by 234 */
	FS_Q_PICK	= 3,	/* none seen, picked up: may be either */
	FS_Q_NONE	= -1,	/* nothing pending */
};

enum { FS_OK = 0, FS_HOLD = 1 };

/* One fs_segment() call. */
struct fs_ctx {
	struct fs_conn *c;
	struct fs_seg *s;
	struct fs_dir *d;
	fp_u32 fresh;		/* first byte of the segment never parsed */
	fp_u32 hold;		/* FS_HOLD: hold back from here */
	int held;		/* 1: limited hold, 2: waiting for an ACK */
	int new_rw;		/* a rewrite was planned in this segment */
};

static const char *const fs_event_names[FS_EV__COUNT] = {
	[FS_EV_REJECT]		= "reject",
	[FS_EV_UNPAIRED]	= "unpaired",
	[FS_EV_TOOLONG]		= "toolong",
	[FS_EV_TLS]		= "tls",
	[FS_EV_CCC]		= "ccc",
	[FS_EV_OOO]		= "ooo",
	[FS_EV_RESYNC]		= "resync",
	[FS_EV_HELD]		= "held",
	[FS_EV_NOMEM]		= "nomem",
	[FS_EV_REWRITE]		= "rewrite",
	[FS_EV_REWRITE_FAIL]	= "rewrite_fail",
	[FS_EV_ADDR_MISMATCH]	= "addr_mismatch",
	[FS_EV_PORT_LOW]	= "port_low",
};

const char *fs_event_name(enum fs_event ev)
{
	return (unsigned int)ev < FS_EV__COUNT ? fs_event_names[ev] : "?";
}

static void fs_ev(struct fs_ctx *x, enum fs_event ev)
{
	fs_host_event(x->s->host, ev);
}

/* --- pairing ----------------------------------------------------------- */

static void fs_q_clear(struct fs_conn *c)
{
	c->cmdq = 0;
	c->cmdq_len = 0;
}

static int fs_q_head(const struct fs_conn *c)
{
	return c->cmdq_len ? (int)(c->cmdq & 3) : FS_Q_NONE;
}

/* A final reply answered the oldest command. */
static void fs_q_pop(struct fs_conn *c)
{
	if (c->cmdq_len) {
		c->cmdq >>= 2;
		/* A command and its reply seen: pairing is known again. */
		if (!--c->cmdq_len)
			c->flags &= ~(FS_C_UNSYNC | FS_C_PICKUP);
	}
}

static void fs_q_push(struct fs_ctx *x, int q)
{
	struct fs_conn *c = x->c;

	if (c->cmdq_len == FS_CMDQ_MAX) {
		/* A client this far ahead: what answers what is unknown. */
		fs_q_clear(c);
		fs_ev(x, FS_EV_RESYNC);
	}
	c->cmdq |= (fp_u64)q << (2 * c->cmdq_len);
	c->cmdq_len++;
}

static int fs_q_kind(enum fp_kind k)
{
	if (k == FP_K_PASV || k == FP_K_EPSV)
		return FS_Q_DATA;
	return k == FP_K_AUTH ? FS_Q_AUTH : FS_Q_OTHER;
}

/* Reply codes: three digits, high nibbles 3 and low ones + 6 carry nowhere. */
static int fs_digits3(fp_u32 w)
{
	return (w & 0xf0f0f0) == 0x303030 &&
	       ((w + 0x060606) & 0xf0f0f0) == 0x303030;
}

/* A reply code from its three digits in @w (fp_first4()). */
static int fs_code4(fp_u32 w)
{
	return (int)((w & 0xf) * 100 + (w >> 8 & 0xf) * 10 + (w >> 16 & 0xf));
}

/*
 * A reply code from its three digits in @w, as the line loops compare
 * them: the low nibble of each, in place.
 */
static int fs_key4(fp_u32 w)
{
	return (int)(w & 0x0f0f0f);
}

/*
 * What a server line (@n >= 1 bytes from its start) does to the reply
 * state.  Returns 1 when it is a final reply line (it answers the oldest
 * pending command): "ddd text" outside a multi-line reply, or "ddd text"
 * closing one, but not 1yz (preliminary).  *@multi: -1 no change, 1 opens
 * a multi-line reply with code *@code, 0 closes it.
 */
static int fs_reply(const struct fs_conn *c, const char *l, fp_u32 n,
		    int *multi, fp_u16 *code)
{
	fp_u32 w, b3;
	int end;

	*multi = -1;
	*code = 0;
	if (n < 4)
		return 0;
	w = fp_first4(l);
	if (!fs_digits3(w))
		return 0;
	b3 = w >> 24;
	end = b3 == ' ' || b3 == '\r' || b3 == '\n';
	if (c->flags & FS_C_MULTI) {
		if (!end || fs_code4(w) != c->multi)
			return 0;
		*multi = 0;
		return (w & 0xff) != '1';
	}
	if (b3 == '-') {
		*multi = 1;
		*code = (fp_u16)fs_code4(w);
		return 0;
	}
	return end && (w & 0xff) != '1';
}

static void fs_multi_apply(struct fs_conn *c, int multi, fp_u16 code)
{
	if (multi == 1) {
		c->flags |= FS_C_MULTI;
		c->multi = code;
	} else if (multi == 0) {
		c->flags &= ~FS_C_MULTI;
	}
}

/* A line counted for pairing only (over-long): @head, its first @k bytes. */
static void fs_pair_only(struct fs_ctx *x, const char *head, fp_u32 k)
{
	struct fs_conn *c = x->c;
	fp_u16 code;
	int multi;

	if (x->s->dir == FS_CLIENT) {
		fs_q_push(x, FS_Q_OTHER);
		return;
	}
	if (fs_reply(c, head, k, &multi, &code))
		fs_q_pop(c);
	fs_multi_apply(c, multi, code);
}

/* --- state changes ------------------------------------------------------ */

static char *fs_buf(struct fs_ctx *x)
{
	return x->c->lines + x->s->dir * FP_LINE_MAX;
}

/* The block text of direction @dir (see struct fs_rw). */
static char *fs_blk(const struct fs_conn *c, int dir)
{
	return c->lines + 2 * FP_LINE_MAX + dir * FS_BLOCK_MAX;
}

/* Is a block rewrite in flight in @d (its text in the buffers)? */
static int fs_blocked(const struct fs_dir *d)
{
	return d->rw.olen && (d->rw.kind & FS_RW_BLOCK);
}

/* Bytes of a cut line buffered in @d. */
static fp_u32 fs_buffered(const struct fs_dir *d)
{
	return (d->flags & FS_D_TLS) ? 0 : d->len;
}

/* Tracking lost its place in this direction: resume at the next line. */
static void fs_resync(struct fs_ctx *x)
{
	struct fs_dir *d = x->d;

	d->len = 0;
	d->flags &= ~(FS_D_NOREW | FS_D_EARLY);
	if (d->flags & FS_D_TLS)
		d->flags |= FS_D_OPAQUE;	/* no record boundary to find */
	else
		d->flags |= FS_D_SKIP;
	fs_q_clear(x->c);
	x->c->flags &= ~(FS_C_MULTI | FS_C_PICKUP);
	x->c->flags |= FS_C_UNSYNC;
	fs_ev(x, FS_EV_RESYNC);
}

/*
 * NAT, a segment beyond a hole: drop it (1) or forward it unparsed (0)?
 * d->drops counts the first dropped segment (1) and then each time a
 * segment starting at or before it comes again; later segments of the
 * same flight are dropped without counting.
 */
static int fs_hole_drop(struct fs_conn *c, struct fs_dir *d,
			const struct fs_seg *s)
{
	fp_u32 gap = s->seq - d->next_seq;
	fp_u16 g = gap > 0xffff ? 0xffff : (fp_u16)gap;
	fp_u16 *first = &c->hole_gap[s->dir & 1];

	if (!d->drops) {
		*first = g;
		d->drops = 1;
		return 1;
	}
	if (g > *first)
		return 1;
	*first = g;
	if (d->drops < FS_HOLE_DROPS) {
		d->drops++;
		return 1;
	}
	return 0;
}

void fs_pickup(struct fs_conn *c)
{
	c->flags |= FS_C_UNSYNC | FS_C_PICKUP;
}

/* Does a reply that answers no command seen get acted on (pickup)? */
static int fs_q_head_or_pickup(const struct fs_conn *c)
{
	int head = fs_q_head(c);

	if (head == FS_Q_NONE && (c->flags & FS_C_PICKUP))
		return FS_Q_PICK;
	return head;
}

static void fs_tls_on(struct fs_ctx *x)
{
	struct fs_conn *c = x->c;
	int i;

	for (i = 0; i < 2; i++) {
		struct fs_dir *d = &c->dir[i];

		d->flags |= FS_D_TLS;
		/* A cut line is dropped, with what was decided for it. */
		d->flags &= ~(FS_D_SKIP | FS_D_NOREW | FS_D_EARLY);
		d->len = 0;
		d->tls_hlen = 0;
	}
	fs_q_clear(c);
	c->flags &= ~FS_C_MULTI;
	if (!(c->flags & FS_C_TLS)) {
		c->flags |= FS_C_TLS;
		fs_ev(x, FS_EV_TLS);
	}
}

/*
 * Follow TLS records from payload offset @p; returns where clear text
 * resumes, or the segment's length.  Record headers (type, version,
 * length) are never encrypted: a byte that cannot start a record where
 * one must start is clear text again (CCC, RFC 4217).
 */
static fp_u32 fs_tls(struct fs_ctx *x, fp_u32 p)
{
	struct fs_seg *s = x->s;
	struct fs_dir *d = x->d;

	while (p < s->len) {
		fp_u8 b;

		if (!d->tls_hlen && d->len) {
			fp_u32 k = fs_min(d->len, s->len - p);

			d->len -= (fp_u16)k;
			p += k;
			continue;
		}
		b = (fp_u8)s->data[p];
		switch (d->tls_hlen) {
		case 0:
			if (b < 20 || b > 24) {
				d->flags &= ~FS_D_TLS;
				/*
				 * Once, by the first side to clear: the other
				 * side's clear text may already have begun (a
				 * PASV queued, a multi-line reply open).
				 */
				if (x->c->dir[!s->dir].flags & FS_D_TLS) {
					fs_ev(x, FS_EV_CCC);
					fs_q_clear(x->c);
					x->c->flags &= ~FS_C_MULTI;
				}
				return p;
			}
			d->tls_hlen = 1;
			break;
		case 1:
		case 2:
			d->tls_hlen++;
			break;
		case 3:
			d->len = b;
			d->tls_hlen = 4;
			break;
		default:
			d->len = (fp_u16)((d->len << 8) | b);
			d->tls_hlen = 0;
			break;
		}
		p++;
	}
	return p;
}

/*
 * Hold back from sequence number @at (>= the first fresh byte) in the line
 * starting at @lseq.  A @limited hold (an address the sender's segments
 * keep cutting) is given up when this position was held too often: the
 * line is then not rewritten.  An unlimited one (waiting for the peer's
 * ACK of the rewrite in flight) always ends: every byte before it is
 * forwarded, so the ACK comes.  Returns FS_HOLD or FS_OK.
 */
static int fs_hold(struct fs_ctx *x, fp_u32 at, fp_u32 lseq, int limited)
{
	struct fs_dir *d = x->d;

	if (limited && at == x->fresh && d->holds >= FS_HOLD_MAX) {
		d->flags |= FS_D_NOREW;
		return FS_OK;
	}
	x->hold = at;
	x->held = limited ? 1 : 2;
	d->len = (fp_u16)(at - lseq);
	return FS_HOLD;
}

/* --- endpoints and rewrites --------------------------------------------- */

static int fs_addr_eq(const struct fs_addr *a, const struct fs_addr *b)
{
	if (a->family != b->family)
		return 0;
	/* Constant sizes: the compiler compares in a few instructions. */
	if (a->family == 6)
		return !fs_memcmp(a->addr, b->addr, 16);
	return !fs_memcmp(a->addr, b->addr, 4);
}

/* The replacement text of @rw, for direction @s; its length or 0. */
static fp_u32 fs_rw_format(const struct fs_rw *rw, const struct fs_seg *s,
			   char *out)
{
	enum fp_kind k = (enum fp_kind)(rw->kind & ~FS_RW_WHOLE);
	struct fp_endpoint ep;

	fs_memcpy(ep.addr, s->pub.addr, sizeof(ep.addr));
	ep.family = k == FP_K_229 ? 0 : s->pub.family;
	ep.port = rw->port;
	if (rw->kind & FS_RW_WHOLE)
		return (fp_u32)fp_format(k, &ep, rw->delim, out, FP_FORMAT_MAX);
	return (fp_u32)fp_format_addr(k, &ep, out, FP_FORMAT_MAX);
}

fp_u32 fs_rw_pos(const struct fs_rw *rw)
{
	return rw->seq + fs_min(rw->olen, rw->rlen) - 1;
}

int fs_edit_text(const struct fs_rw *rw, fp_u32 seg_seq, fp_u32 from,
		 fp_u32 to, fp_u32 *rep_off)
{
	int delta = (int)rw->rlen - (int)rw->olen;
	fp_u32 a, b;

	if (!delta || !fs_after(seg_seq, fs_rw_pos(rw))) {
		/*
		 * Output from the offset before the rewrite: left aligned.
		 * The replacement's last byte goes out only with the end of
		 * the original bytes: its ACK means all of them (fs_rw_pos).
		 */
		a = fs_min(from, rw->rlen);
		b = to == rw->olen ? rw->rlen : fs_min(to, rw->rlen - 1);
		if (b < a)
			b = a;
	} else {
		/* From the offset after it: right aligned. */
		if ((int)from + delta < 0)
			return -1;
		a = (fp_u32)((int)from + delta);
		b = (fp_u32)((int)to + delta);
	}
	*rep_off = a;
	return (int)(b - a);
}

/* The replacement text of the whole endpoint of @pl with port @port. */
static fp_u32 fs_ep_format(const struct fp_line *pl, fp_u16 port,
			   const struct fs_seg *s, char *out)
{
	struct fs_rw nrw;

	nrw.kind = (fp_u8)(pl->kind | FS_RW_WHOLE);
	nrw.delim = pl->delim;
	nrw.port = port;
	return fs_rw_format(&nrw, s, out);
}

/*
 * Can the endpoint of @pl (line at @lseq, all of it in this segment's
 * never-forwarded bytes) join the rewrite planned earlier in this segment
 * (x->new_rw) as a block?  Yes when the block, with the endpoint's longest
 * replacement, stays within FS_BLOCK_MAX - 1 bytes either way and its
 * text has a place (the buffers, allocated here if need be).
 */
static int fs_block_room(struct fs_ctx *x, const struct fp_line *pl,
			 fp_u32 lseq)
{
	struct fs_conn *c = x->c;
	const struct fs_rw *rw = &x->d->rw;
	fp_u32 at = lseq + pl->ep_off, olen, rlen, gap;
	char rep[FP_FORMAT_MAX];

	if (fs_before(rw->seq, x->s->seq) || fs_before(at, rw->seq + rw->olen) ||
	    fs_after(at + pl->ep_len, x->s->seq + x->s->len))
		return 0;
	gap = at - (rw->seq + rw->olen);
	olen = at + pl->ep_len - rw->seq;
	rlen = fs_ep_format(pl, 65535, x->s, rep);	/* the most digits */
	if (!rlen || olen >= FS_BLOCK_MAX ||
	    rw->rlen + gap + rlen >= FS_BLOCK_MAX)
		return 0;
	if (!c->lines) {
		c->lines = fs_host_alloc_lines(x->s->host);
		if (!c->lines) {
			fs_ev(x, FS_EV_NOMEM);
			return 0;
		}
	}
	return 1;
}

/*
 * The endpoint of @pl (line at @lseq), to use port @port, joins the
 * rewrite in flight (see fs_block_room()): the block's text is the
 * rewrite's text, the bytes after it up to this endpoint as they are, and
 * this endpoint's replacement.
 */
static int fs_block_add(struct fs_ctx *x, const struct fp_line *pl,
			fp_u32 lseq, fp_u16 port)
{
	struct fs_seg *s = x->s;
	struct fs_rw *rw = &x->d->rw;
	char *b = fs_blk(x->c, s->dir);
	fp_u32 at = lseq + pl->ep_off, from = rw->seq + rw->olen, n, rlen;
	char rep[FP_FORMAT_MAX];

	rlen = fs_ep_format(pl, port, s, rep);
	if (!rlen) {
		fs_ev(x, FS_EV_REWRITE_FAIL);
		return FS_OK;
	}
	if (rlen == pl->ep_len && !fs_memcmp(rep, s->data + (at - s->seq),
					     rlen))
		return FS_OK;			/* nothing to change */
	if (!(rw->kind & FS_RW_BLOCK) && fs_rw_format(rw, s, b) != rw->rlen) {
		fs_ev(x, FS_EV_REWRITE_FAIL);
		return FS_OK;
	}
	n = rw->rlen;
	fs_memcpy(b + n, s->data + (from - s->seq), at - from);
	n += at - from;
	fs_memcpy(b + n, rep, rlen);
	rw->rlen = (fp_u16)(n + rlen);
	rw->olen = (fp_u16)(at + pl->ep_len - rw->seq);
	rw->kind = FS_RW_BLOCK;
	rw->port = 0;
	rw->delim = 0;
	fs_ev(x, FS_EV_REWRITE);
	return FS_OK;
}

/*
 * A PORT/EPRT (client) or a 227/229 answering PASV/EPSV (server), complete
 * in @l (first byte at @lseq): check it, have the host expect the data
 * connection, plan the rewrite.
 */
static int fs_endpoint(struct fs_ctx *x, const char *l,
		       const struct fp_line *pl, fp_u32 lseq)
{
	struct fs_seg *s = x->s;
	struct fs_dir *d = x->d;
	int nat = s->flags & FS_S_NAT;
	int strict = s->flags & FS_S_STRICT;
	int own = 1, whole, addr_fresh, differs, merge = 0;
	struct fs_expect e;
	char rep[FP_FORMAT_MAX];
	fp_u32 at, olen, rlen;
	fp_u16 port;

	if (pl->ep.family) {
		struct fs_addr named;

		if (pl->ep.family != s->own.family) {
			fs_ev(x, FS_EV_ADDR_MISMATCH);
			if (d->flags & FS_D_EARLY)
				fs_ev(x, FS_EV_REWRITE_FAIL);
			return FS_OK;
		}
		named.family = pl->ep.family;
		fs_memcpy(named.addr, pl->ep.addr, sizeof(named.addr));
		own = fs_addr_eq(&named, &s->own);
	}
	if (!own) {
		fs_ev(x, FS_EV_ADDR_MISMATCH);
		/* Not the address rewritten as it came after all. */
		if (d->flags & FS_D_EARLY)
			fs_ev(x, FS_EV_REWRITE_FAIL);
		if (strict)
			return FS_OK;
	}
	if (strict && pl->ep.port < 1024) {
		fs_ev(x, FS_EV_PORT_LOW);
		return FS_OK;
	}

	whole = !fs_before(lseq + pl->ep_off, x->fresh);
	addr_fresh = pl->ep.family && !fs_before(lseq + pl->addr_off,
						 x->fresh);
	differs = pl->ep.family && !fs_addr_eq(&s->pub, &s->own);
	if (d->flags & FS_D_EARLY) {
		/* Its address was rewritten already: keep the port. */
		e.line = pl;
		e.dir = s->dir;
		e.own = (fp_u8)own;
		e.keep_port = 1;
		/*
		 * It must have been the whole address, the sender's own (the
		 * rewrite may be ACKed and forgotten by now).
		 */
		if (own && d->rw.olen && (d->rw.seq != lseq + pl->addr_off ||
					  d->rw.olen != pl->addr_len))
			fs_ev(x, FS_EV_REWRITE_FAIL);
		fs_host_expect(s->host, &e);
		return FS_OK;
	}
	if (d->flags & FS_D_NOREW) {
		whole = 0;
		addr_fresh = 0;
	}
	/*
	 * One rewrite in flight per direction: this one joins it when both
	 * are in this segment's never-forwarded bytes and the block has room,
	 * else it waits for its ACK.
	 */
	if (nat && own && d->rw.olen && (whole || addr_fresh)) {
		merge = whole && x->new_rw && fs_block_room(x, pl, lseq);
		if (!merge)
			return fs_hold(x, fs_before(lseq, x->fresh) ?
				       x->fresh : lseq, lseq, 0);
	}

	e.line = pl;
	e.dir = s->dir;
	e.own = (fp_u8)own;
	e.keep_port = !(nat && own && whole);
	port = fs_host_expect(s->host, &e);
	if (!port || !nat || !own)
		return FS_OK;

	if (!whole && !addr_fresh) {
		/* Its address passed before it could be rewritten. */
		if (differs)
			fs_ev(x, FS_EV_REWRITE_FAIL);
		return FS_OK;
	}
	if (merge)
		return fs_block_add(x, pl, lseq, port);
	d->rw.seq = lseq + (whole ? pl->ep_off : pl->addr_off);
	d->rw.port = port;
	d->rw.kind = (fp_u8)(pl->kind | (whole ? FS_RW_WHOLE : 0));
	d->rw.delim = pl->delim;
	olen = whole ? pl->ep_len : pl->addr_len;
	rlen = fs_rw_format(&d->rw, s, rep);
	at = d->rw.seq;
	if (!rlen || olen > 255 || rlen > 255 || !olen) {
		fs_ev(x, FS_EV_REWRITE_FAIL);
		return FS_OK;
	}
	if (rlen == olen && !fs_memcmp(rep, l + (at - lseq), rlen))
		return FS_OK;			/* nothing to change */
	d->rw.olen = (fp_u8)olen;
	d->rw.rlen = (fp_u8)rlen;
	x->new_rw = 1;
	fs_ev(x, FS_EV_REWRITE);
	return FS_OK;
}

/*
 * The pairing state, in locals while fs_lines() takes server lines.
 * Final replies are only counted (@pops): with no command queued
 * meanwhile, popping them all at the end is the same as popping each in
 * turn.
 */
struct fs_pair {
	fp_u64 cmdq;
	fp_u32 len;
	fp_u32 pops;
	int multi;		/* open multi-line reply: fs_key4() of its code, or -1 */
	int pickup;		/* FS_C_PICKUP */
};

static void fs_pair_load(struct fs_pair *pq, const struct fs_conn *c)
{
	pq->cmdq = c->cmdq;
	pq->len = c->cmdq_len;
	pq->pops = 0;
	pq->multi = -1;
	if (c->flags & FS_C_MULTI)
		pq->multi = (int)((c->multi / 100) | (c->multi / 10 % 10) << 8 |
				  (c->multi % 10) << 16);
	pq->pickup = c->flags & FS_C_PICKUP;
}

static void fs_pair_store(const struct fs_pair *pq, struct fs_conn *c)
{
	fp_u32 k = pq->pops < pq->len ? pq->pops : pq->len;

	/* k <= FS_CMDQ_MAX: the whole 64 bits may go. */
	c->cmdq = k < 32 ? pq->cmdq >> (2 * k) : 0;
	c->cmdq_len = (fp_u8)(pq->len - k);
	/* A command and its reply seen: pairing is known again. */
	if (k && k == pq->len)
		c->flags &= ~(FS_C_UNSYNC | FS_C_PICKUP);
	if (pq->multi >= 0) {
		c->flags |= FS_C_MULTI;
		c->multi = (fp_u16)fs_code4((fp_u32)pq->multi);
	} else {
		c->flags &= ~FS_C_MULTI;
	}
}

/*
 * fs_q_head() of @pq; FS_Q_PICK for a reply to a command sent before the
 * connection was picked up mid-stream, as long as no reply has emptied a
 * queue (fs_q_pop(): pairing is known again).
 */
static int fs_pair_head(const struct fs_pair *pq)
{
	if (pq->pops < pq->len)
		return (int)(pq->cmdq >> (2 * pq->pops) & 3);
	return pq->pickup && !pq->len ? FS_Q_PICK : FS_Q_NONE;
}

/*
 * fs_reply() and fs_multi_apply() on @pq, for a server line of @n >= 1
 * bytes whose first four are @w (fp_first4(), when @n >= 4).  Returns 1
 * for a final reply line.
 */
static int fs_reply_pq(struct fs_pair *pq, fp_u32 w, fp_u32 n)
{
	fp_u32 b3 = w >> 24;

	if (n < 4 || !fs_digits3(w))
		return 0;
	if (b3 != ' ' && b3 != '\r' && b3 != '\n') {
		/* Not the end of a reply: maybe the start of a multi-line one. */
		if (b3 == '-' && pq->multi < 0)
			pq->multi = fs_key4(w);
		return 0;
	}
	if (pq->multi >= 0) {
		if (fs_key4(w) != pq->multi)
			return 0;
		pq->multi = -1;
	}
	return (w & 0xff) != '1';
}

/*
 * The reply line @l of @n bytes, first byte at @lseq, on the pairing state
 * @pq: a 227/229 answering PASV/EPSV has its endpoint acted on, a 234
 * answering AUTH sets *@tls.  FS_HOLD: held back, @pq unchanged.
 */
static int fs_reply_line(struct fs_ctx *x, struct fs_pair *pq,
			 const char *l, fp_u32 n, fp_u32 lseq, int *tls)
{
	struct fp_line pl;
	int multi = pq->multi, head;

	fp_parse_lf(l, n, FP_DIR_SERVER, &pl);
	fs_host_line(x->s->host, &pl, lseq);
	if (pl.kind == FP_K_REJECT)
		fs_ev(x, FS_EV_REJECT);
	if (!fs_reply_pq(pq, n >= 4 ? fp_first4(l) : 0, n))
		return FS_OK;
	switch (pl.kind) {
	case FP_K_227:
	case FP_K_229:
		head = fs_pair_head(pq);
		if (head != FS_Q_DATA && head != FS_Q_PICK) {
			fs_ev(x, FS_EV_UNPAIRED);
		} else if (fs_endpoint(x, l, &pl, lseq) == FS_HOLD) {
			pq->multi = multi;
			return FS_HOLD;
		}
		break;
	case FP_K_234:
		head = fs_pair_head(pq);
		if (head == FS_Q_AUTH || head == FS_Q_PICK)
			*tls = 1;
		else
			fs_ev(x, FS_EV_UNPAIRED);
		break;
	default:
		break;
	}
	pq->pops++;
	return FS_OK;
}

/* One complete line @l, @n bytes, first byte at @lseq. */
static int fs_line(struct fs_ctx *x, const char *l, fp_u32 n, fp_u32 lseq)
{
	struct fs_conn *c = x->c;
	struct fs_seg *s = x->s;
	struct fs_pair pq;
	struct fp_line pl;
	int tls = 0;

	if (s->dir == FS_CLIENT) {
		fp_parse_lf(l, n, FP_DIR_CLIENT, &pl);
		fs_host_line(s->host, &pl, lseq);
		if (pl.kind == FP_K_REJECT)
			fs_ev(x, FS_EV_REJECT);
		if ((pl.kind == FP_K_PORT || pl.kind == FP_K_EPRT) &&
		    fs_endpoint(x, l, &pl, lseq) == FS_HOLD)
			return FS_HOLD;
		fs_q_push(x, fs_q_kind(pl.kind));
	} else {
		fs_pair_load(&pq, c);
		if (fs_reply_line(x, &pq, l, n, lseq, &tls) == FS_HOLD)
			return FS_HOLD;
		fs_pair_store(&pq, c);
	}
	s->lines++;
	x->d->flags &= ~(FS_D_NOREW | FS_D_EARLY);
	if (tls)
		fs_tls_on(x);
	return FS_OK;
}

/* A complete line of no interest: a command, or a reply line. */
static void fs_other(struct fs_ctx *x, const char *l, fp_u32 n)
{
	struct fs_conn *c = x->c;
	fp_u16 code;
	int multi;

	x->s->lines++;
	x->d->flags &= ~(FS_D_NOREW | FS_D_EARLY);
	if (x->s->dir == FS_CLIENT) {
		if (c->cmdq_len == FS_CMDQ_MAX) {
			fs_q_clear(c);
			fs_ev(x, FS_EV_RESYNC);
		}
		c->cmdq_len++;		/* FS_Q_OTHER: two zero bits */
		return;
	}
	if (fs_reply(c, l, n, &multi, &code))
		fs_q_pop(c);
	fs_multi_apply(c, multi, code);
}

/*
 * The cut line in the buffer (first byte at @lseq) is a @k line whose
 * address began at @aoff.  Rewrite it now, the port kept (FS_D_EARLY),
 * when that is certain to be right: all of it is there, the sender's own
 * address in the form fp_format_addr() writes, followed by its separator
 * (',' in PORT/227, the delimiter in EPRT).  FS_HOLD when the line must be
 * held back instead: its address is cut (a prefix proves nothing: a third
 * party's "198.51.100.9" begins like our "10.10.10.10", and a digit ending
 * a segment may not even start the tuple of a 227), or it is written in
 * another form.
 */
static int fs_early(struct fs_ctx *x, enum fp_kind k, fp_u16 aoff,
		    fp_u32 lseq)
{
	struct fs_seg *s = x->s;
	struct fs_dir *d = x->d;
	const char *b = fs_buf(x);
	struct fp_endpoint ep;
	char own[FP_FORMAT_MAX];
	fp_u32 olen, rlen, have;
	char sep;

	fs_memcpy(ep.addr, s->own.addr, sizeof(ep.addr));
	ep.family = s->own.family;
	ep.port = 0;
	olen = (fp_u32)fp_format_addr(k, &ep, own, sizeof(own));
	sep = k == FP_K_EPRT ? b[aoff - 1] : ',';
	have = d->len - aoff;
	if (!olen)
		return FS_HOLD;
	if (have <= olen || b[aoff + olen] != sep ||
	    fs_memcmp(b + aoff, own, olen))
		return FS_HOLD;
	d->rw.seq = lseq + aoff;
	d->rw.port = 0;
	d->rw.kind = (fp_u8)k;
	d->rw.delim = k == FP_K_EPRT ? sep : 0;
	rlen = fs_rw_format(&d->rw, s, own);
	if (!rlen || olen > 255 || rlen > 255)
		return FS_HOLD;
	d->rw.olen = (fp_u8)olen;
	d->rw.rlen = (fp_u8)rlen;
	d->flags |= FS_D_EARLY;
	x->new_rw = 1;
	fs_ev(x, FS_EV_REWRITE);
	return FS_OK;
}

/*
 * The cut line in the buffer (first byte at @lseq) has grown but is not
 * complete.  Under NAT, a line of interest whose address has begun is
 * rewritten at once if all of its address is there and certain
 * (fs_early), else held back from its address on: it is rewritten once it
 * is whole.
 */
static void fs_partial(struct fs_ctx *x, fp_u32 lseq)
{
	struct fs_seg *s = x->s;
	struct fs_dir *d = x->d;
	enum fp_kind k;
	fp_u16 aoff;

	if (!(s->flags & FS_S_NAT) || (d->flags & (FS_D_NOREW | FS_D_EARLY)) ||
	    !fp_quick(fs_buf(x), d->len, (enum fp_dir)s->dir) ||
	    fs_addr_eq(&s->pub, &s->own))
		return;
	if (s->dir == FS_CLIENT) {
		k = fp_prefix(fs_buf(x), d->len, FP_DIR_CLIENT, &aoff);
		if (k != FP_K_PORT && k != FP_K_EPRT)
			return;
	} else {
		int head = fs_q_head_or_pickup(x->c);

		if ((head != FS_Q_DATA && head != FS_Q_PICK) ||
		    (x->c->flags & FS_C_MULTI))
			return;
		k = fp_prefix(fs_buf(x), d->len, FP_DIR_SERVER, &aoff);
		if (k != FP_K_227)
			return;
	}
	if (!aoff || fs_before(lseq + aoff, x->fresh))
		return;
	if (d->rw.olen) {
		/* A rewrite is in flight: wait for its ACK first. */
		fs_hold(x, lseq + aoff, lseq, 0);
		return;
	}
	if (fs_early(x, k, aoff, lseq) == FS_OK)
		return;
	fs_hold(x, lseq + aoff, lseq, 1);
}

/* A cut line grew past FP_LINE_MAX: it still counts for pairing. */
static void fs_overlong(struct fs_ctx *x, const char *b, fp_u32 take,
			int complete)
{
	struct fs_dir *d = x->d;
	char head[4];
	fp_u32 k = 0, i;

	for (i = 0; i < d->len && k < 4; i++)
		head[k++] = fs_buf(x)[i];
	for (i = 0; i < take && k < 4; i++)
		head[k++] = b[i];
	fs_pair_only(x, head, k);
	fs_ev(x, FS_EV_TOOLONG);
	x->s->lines++;
	d->len = 0;
	d->flags &= ~(FS_D_NOREW | FS_D_EARLY);
	if (!complete)
		d->flags |= FS_D_SKIP;
}

/*
 * The common path: whole lines in clear text with none cut before them.
 * About seven lines in eight are of no interest and only count for
 * command/reply pairing; fs_lines() takes those straight from one LF scan
 * of the segment, with the pairing state in locals, and hands the others
 * to fs_line().
 */
#if FP_WORD_ORDER
/*
 * A reply line of no interest, of at least four bytes, whose first three
 * are digits, on @pq: fs_reply_pq() inline, the digits known.
 */
static inline void fs_reply4(struct fs_pair *pq, fp_u32 w)
{
	fp_u32 b3 = w >> 24;

	if (b3 != ' ' && b3 != '\r' && b3 != '\n') {
		if (b3 == '-' && pq->multi < 0)
			pq->multi = fs_key4(w);
		return;
	}
	if (pq->multi >= 0) {
		if (fs_key4(w) != pq->multi)
			return;
		pq->multi = -1;
	}
	if ((w & 0xff) != '1')
		pq->pops++;
}

/*
 * Where the word loop of fs_lines() stops: the last LF in the whole words
 * from @p on that leaves at least three bytes after it in the segment (so
 * that the first four bytes of every line before it can be read at once),
 * or 0 when there is none.
 */
static int fs_last_lf(const unsigned char *b, fp_u32 p, fp_u32 len,
		      fp_u32 *last)
{
	fp_u32 q, lim = len - 4;
	unsigned long m;

	if (len - p < FP_WSIZE)
		return 0;
	q = p + ((len - p) / FP_WSIZE - 1) * FP_WSIZE;
	for (;;) {
		m = fp_lf_mask(fp_load(b + q));
		if (q + FP_WSIZE - 1 > lim)
			m = lim < q ? 0 : fp_mask_upto(m, lim - q + 1);
		if (m)
			break;
		if (q == p)
			return 0;
		q -= FP_WSIZE;
	}
	*last = q + fp_mask_last(m);
	return 1;
}

/*
 * The next LF: the word at *@q has the flags *@m not yet taken (see
 * fp_lf_hint(): each flagged byte is checked).  No bound check: the caller
 * stops at the last LF, which is in a whole word.
 */
static inline const unsigned char *fs_next_lf(const unsigned char **q,
					      unsigned long *m)
{
	const unsigned char *e;

	for (;;) {
		while (!*m) {
			*q += FP_WSIZE;
			*m = fp_lf_hint(fp_load(*q));
		}
		e = *q + fp_mask_first(*m);
		*m = fp_mask_next(*m);
		if (*e == '\n')
			return e;
		/*
		 * Not an LF: maybe text with bytes from 0x80 on (UTF-8), which
		 * fp_lf_hint() flags.  Drop them from the rest of the word and
		 * go on to the next candidate with fp_lf_hint7(), which does
		 * not flag them.
		 */
		*m &= ~fp_load(*q);
		while (!*m) {
			*q += FP_WSIZE;
			*m = fp_lf_hint7(fp_load(*q));
		}
	}
}

/*
 * A line fs_lines() does not take itself, at payload offset @p, @n bytes:
 * one that may be of interest (@interest: fp_quick4()) or one that
 * overflows the command queue.  Returns 0 when fs_lines() must stop after
 * it (held back, or no longer in clear text).
 */
static int fs_lines_other(struct fs_ctx *x, fp_u32 p, fp_u32 n, int interest)
{
	struct fs_seg *s = x->s;

	if (!interest) {
		fs_other(x, s->data + p, n);
		return 1;
	}
	if (fs_line(x, s->data + p, n, s->seq + p) == FS_HOLD)
		return 0;
	return !(x->d->flags & (FS_D_TLS | FS_D_OPAQUE | FS_D_SKIP |
				FS_D_NOREW));
}

/*
 * Can a client line whose first four bytes are @w be of interest?  0 when
 * fp_quick4() would say 0 for sure: its first byte must be a, c, e or p in
 * either case, whose low five bits (the case bit 0x20 is not among them)
 * are 1, 3, 5 and 16.  A few other bytes share them: fp_quick4()'s test
 * then decides.
 */
static inline int fs_first_maybe(fp_u32 w)
{
	return (int)(((1U << 1 | 1U << 3 | 1U << 5 | 1U << 16) >> (w & 31)) &
		     1);
}

/*
 * Client lines: a command of no interest only grows the queue, and so does
 * a bare PASV or EPSV (by FS_Q_DATA).  The lines taken here are counted
 * by how much the queue grew (@len from @len0).
 */
static fp_u32 fs_lines_client(struct fs_ctx *x, fp_u32 off, fp_u32 last)
{
	const unsigned char *b = (const unsigned char *)x->s->data;
	const unsigned char *p = b + off, *q = p, *e, *end = b + last;
	unsigned long m = fp_lf_hint(fp_load(q));
	struct fs_conn *c = x->c;
	fp_u32 w, lw, len = c->cmdq_len, len0 = len, lines = 0;

	for (;;) {
		/* What only grows the queue: no call in this loop. */
		for (;;) {
			e = fs_next_lf(&q, &m);
			w = fp_first4((const char *)p);
			if (len >= FS_CMDQ_MAX)
				break;
			if (fs_first_maybe(w)) {
				/* fp_quick4(), the first letter known */
				lw = w | 0x20202020;
				if (lw == FP_W4('p', 'a', 's', 'v') ||
				    lw == FP_W4('e', 'p', 's', 'v')) {
					if (!fp_bare4(w, (const char *)p,
						      e + 1 - p))
						break;
					c->cmdq |= (fp_u64)FS_Q_DATA <<
						   (2 * len);
				} else if (lw == FP_W4('p', 'o', 'r', 't') ||
					   lw == FP_W4('e', 'p', 'r', 't') ||
					   lw == FP_W4('a', 'u', 't', 'h') ||
					   (lw & 0xffffff) ==
					   FP_W4('c', 'c', 'c', 0)) {
					break;
				}
			}
			len++;
			p = e + 1;
			if (e == end)
				goto done;
		}
		lines += len - len0;
		c->cmdq_len = (fp_u8)len;
		if (!fs_lines_other(x, p - b, e + 1 - p,
				    fp_quick4(w, FP_DIR_CLIENT))) {
			if (!x->held)
				p = e + 1;
			goto out;
		}
		len = c->cmdq_len;
		len0 = len;
		p = e + 1;
		if (e == end)
			break;
	}
done:
	lines += len - len0;
	c->cmdq_len = (fp_u8)len;
out:
	x->s->lines += lines;
	return p - b;
}

/*
 * Server lines: a reply line of no interest may answer a command.  The
 * common one first: "ddd " (three digits, SP: d = w ^ "000 " is 0..9 in
 * the first three bytes and 0 in the fourth, and adding 6 to those carries
 * nowhere) outside a multi-line reply, the last line of a reply; of
 * interest when it is "227 ", "229 " or "234 " (fp_quick4()).  Inside a
 * multi-line reply @inm sets a bit that fails the test for every line:
 * they all take the slow way (fs_reply4()).  The final replies of the
 * common way are only counted (@fin), and added to the pops and the lines
 * before anything else looks at them.
 */
static fp_u32 fs_lines_server(struct fs_ctx *x, fp_u32 off, fp_u32 last)
{
	const unsigned char *b = (const unsigned char *)x->s->data;
	const unsigned char *p = b + off, *q = p, *e, *end = b + last;
	unsigned long m = fp_lf_hint(fp_load(q));
	fp_u32 w, d, t, inm, fin = 0, lines = 0;
	struct fs_pair pq;
	int stop = 0;

	fs_pair_load(&pq, x->c);
	inm = pq.multi < 0 ? 0 : 0x80000000;
	for (;;) {
		/* Lines of no interest: no call in this loop. */
		for (;;) {
			e = fs_next_lf(&q, &m);
			w = fp_first4((const char *)p);
			d = (w ^ FP_W4('0', '0', '0', ' ')) | inm;
			t = d | (d + 0x060606);
			if (!(t & 0xfff0f0f0) &&
			    ((w - FP_W4('2', '2', '7', ' ')) &
			     ~(fp_u32)0x20000) &&
			    w != FP_W4('2', '3', '4', ' ')) {
				/* 227, 229: one bit apart in the third byte */
				if ((d & 0xff) != 1)
					fin++;
				else
					lines++;	/* 1yz: preliminary */
			} else if (t & 0xf0f0f0) {
				lines++;		/* no reply code */
			} else if (!fp_quick4(w, FP_DIR_SERVER)) {
				fs_reply4(&pq, w);
				inm = pq.multi < 0 ? 0 : 0x80000000;
				lines++;
			} else {
				break;
			}
			p = e + 1;
			if (e == end)
				goto done;
		}
		/* Of interest: fs_line() on the state in @pq. */
		pq.pops += fin;
		lines += fin;
		fin = 0;
		if (fs_reply_line(x, &pq, (const char *)p, e + 1 - p,
				  x->s->seq + (fp_u32)(p - b),
				  &stop) == FS_HOLD)
			break;
		lines++;
		p = e + 1;
		if (stop || e == end)
			break;
		inm = pq.multi < 0 ? 0 : 0x80000000;
	}
done:
	pq.pops += fin;
	lines += fin;
	fs_pair_store(&pq, x->c);
	if (stop)
		fs_tls_on(x);
	x->s->lines += lines;
	return p - b;
}
#endif

/*
 * Every whole line from payload offset @p on, while this direction is in
 * clear text with no line cut and none given up (FS_D_NOREW).  The segment
 * is scanned for LFs once, a word at a time (fp_lf_hint()), the flags of
 * each word taken in order; the last LF in the whole words from @p on is
 * found first (fs_last_lf()) and the scan stops there, so the word loop
 * needs no bound check.  Returns the offset of the first byte not looked
 * at: after the last line done, or where fs_line() held back (x->held) or
 * the mode changed (TLS).  The bytes after that last LF are left to the
 * caller.
 */
static fp_u32 fs_lines(struct fs_ctx *x, fp_u32 p)
{
#if FP_WORD_ORDER
	fp_u32 last;

	if (!fs_last_lf((const unsigned char *)x->s->data, p, x->s->len,
			&last))
		return p;
	if (x->s->dir == FS_CLIENT)
		return fs_lines_client(x, p, last);
	return fs_lines_server(x, p, last);
#else
	(void)x;
	return p;
#endif
}

/* Parse the never-parsed bytes of the segment, from payload offset @p. */
static void fs_parse(struct fs_ctx *x, fp_u32 p)
{
	struct fs_conn *c = x->c;
	struct fs_seg *s = x->s;
	struct fs_dir *d = x->d;
	enum fp_dir fpdir = s->dir == FS_CLIENT ? FP_DIR_CLIENT :
			    FP_DIR_SERVER;
	int fast = 1;

	while (p < s->len) {
		const char *b;
		fp_u32 rest, n, take, lseq;

		if (d->flags & FS_D_OPAQUE)
			return;
		if (d->flags & FS_D_TLS) {
			p = fs_tls(x, p);
			continue;
		}
		if (fast && !d->len &&
		    !(d->flags & (FS_D_SKIP | FS_D_NOREW))) {
			/* Whole lines, the common case: once per segment. */
			fast = 0;
			p = fs_lines(x, p);
			if (x->held)
				return;
			continue;
		}
		b = s->data + p;
		rest = s->len - p;
		n = (fp_u32)fp_find_lf(b, rest);
		n = n < rest ? n + 1 : 0;
		if (d->flags & FS_D_SKIP) {
			if (!n)
				return;
			d->flags &= ~FS_D_SKIP;
			p += n;
			continue;
		}
		if (!d->len && n) {
			/* The common case: a whole line in this segment. */
			if (!fp_quick(b, n, fpdir)) {
				/* Of no interest: it only counts for pairing. */
				fs_other(x, b, n);
				p += n;
				continue;
			}
			if (fs_line(x, b, n, s->seq + p) == FS_HOLD)
				return;
			p += n;
			continue;
		}
		/* A line cut across segments. */
		lseq = s->seq + p - d->len;
		take = n ? n : rest;
		if (d->len + take > FP_LINE_MAX) {
			fs_overlong(x, b, take, n != 0);
			p += take;
			continue;
		}
		if (!c->lines) {
			c->lines = fs_host_alloc_lines(s->host);
			if (!c->lines) {
				fs_ev(x, FS_EV_NOMEM);
				fs_resync(x);
				continue;
			}
		}
		fs_memcpy(fs_buf(x) + d->len, b, take);
		d->len = (fp_u16)(d->len + take);
		p += take;
		if (!n) {
			fs_partial(x, lseq);
			return;
		}
		if (!fp_quick(fs_buf(x), d->len, fpdir))
			fs_other(x, fs_buf(x), d->len);
		else if (fs_line(x, fs_buf(x), d->len, lseq) == FS_HOLD)
			return;
		d->len = 0;
	}
}

/* The rewrite in flight, as it falls in [seq, seq + keep). */
static void fs_edits(struct fs_ctx *x)
{
	struct fs_seg *s = x->s;
	const struct fs_rw *rw = &x->d->rw;
	fp_u32 end = s->seq + s->keep, lo, hi, i, j, off;
	char rep[FP_FORMAT_MAX];
	const char *text;
	int n;

	if (!rw->olen)
		return;
	lo = fs_after(rw->seq, s->seq) ? rw->seq : s->seq;
	hi = fs_before(rw->seq + rw->olen, end) ? rw->seq + rw->olen : end;
	if (!fs_before(lo, hi))
		return;
	i = lo - rw->seq;
	j = hi - rw->seq;
	n = fs_edit_text(rw, s->seq, i, j, &off);
	if (rw->kind & FS_RW_BLOCK)
		text = fs_blk(x->c, s->dir);
	else if (fs_rw_format(rw, s, rep) == rw->rlen)
		text = rep;
	else
		n = -1;
	if (n < 0) {
		/* No consistent bytes for a segment starting there. */
		s->drop = 1;
		fs_ev(x, FS_EV_HELD);
		return;
	}
	s->nedit = 1;
	s->edit_off = lo - s->seq;
	s->edit_len = j - i;
	s->rep_len = (fp_u32)n;
	fs_memcpy(s->rep, text + off, (fp_u32)n);
}

void fs_start(struct fs_conn *c, enum fs_dirn dir, fp_u32 seq)
{
	struct fs_dir *d = &c->dir[dir];

	if (!(d->flags & FS_D_SEQ)) {
		d->next_seq = seq;
		d->flags |= FS_D_SEQ;
	}
}

/* The buffers go once no line is cut and no block is in flight. */
static void fs_tidy(struct fs_conn *c, const struct fs_seg *s)
{
	if (c->lines && !fs_buffered(&c->dir[0]) && !fs_buffered(&c->dir[1]) &&
	    !fs_blocked(&c->dir[0]) && !fs_blocked(&c->dir[1])) {
		fs_host_free_lines(s->host, c->lines);
		c->lines = (char *)0;
	}
}

void fs_segment(struct fs_conn *c, struct fs_seg *s)
{
	struct fs_dir *d = &c->dir[s->dir];
	struct fs_ctx x = { .c = c, .s = s, .d = d };
	fp_u32 head = 0, end;

	s->drop = 0;
	s->nedit = 0;
	s->adj = 0;
	s->head = 0;
	s->keep = s->len;
	s->lines = 0;
	if (!s->len)
		return;
	fs_start(c, (enum fs_dirn)s->dir, s->seq);

	if (s->flags & FS_S_ACKED) {
		/* The rewrite in flight is done with once ACKed past. */
		if (d->rw.olen && !fs_before(s->acked, d->rw.seq + d->rw.olen))
			d->rw.olen = 0;
		/*
		 * Bytes the peer has ACKed (and were parsed) need not reach it
		 * again: a retransmission loses its head up to the ACK, so no
		 * forgotten rewrite can fall in what is forwarded.  A segment
		 * that is all old loses its payload and keeps its sequence
		 * number: the peer answers it with an ACK.
		 */
		if (fs_before(s->seq, s->acked)) {
			fp_u32 upto = fs_before(s->acked, d->next_seq) ?
				      s->acked : d->next_seq;

			if (fs_after(upto, s->seq))
				head = fs_min(upto - s->seq, s->len);
		}
		if (head == s->len) {
			s->head = head;
			s->keep = head;
			fs_tidy(c, s);
			return;
		}
		s->seq += head;
		s->data += head;
		s->len -= head;
	}
	end = s->seq + s->len;

	if (fs_after(s->seq, d->next_seq)) {
		/* A hole before this segment (loss or reordering upstream). */
		fs_ev(&x, FS_EV_OOO);
		if ((s->flags & FS_S_NAT) && fs_hole_drop(c, d, s)) {
			s->drop = 1;
			goto out;
		}
		fs_resync(&x);
		d->next_seq = s->seq;
		d->holds = 0;
	}
	x.fresh = d->next_seq;
	s->keep = s->len;
	if (fs_after(end, d->next_seq)) {
		fs_parse(&x, d->next_seq - s->seq);
		d->drops = 0;
		if (x.held) {
			if (x.held == 2)
				d->holds = 0;
			else if (x.hold != x.fresh)
				d->holds = 1;
			else if (d->holds < FS_HOLD_MAX)
				d->holds++;
			d->next_seq = x.hold;
			s->keep = x.hold - s->seq;
			fs_ev(&x, FS_EV_HELD);
		} else {
			d->next_seq = end;
			d->holds = 0;
		}
	}
	if (!s->keep) {
		s->drop = 1;
		goto out;
	}
	fs_edits(&x);
	if (x.new_rw && d->rw.rlen != d->rw.olen) {
		s->adj = 1;
		s->adj_pos = fs_rw_pos(&d->rw);
		s->adj_delta = (int)d->rw.rlen - (int)d->rw.olen;
	}
out:
	fs_tidy(c, s);
	/* Back to the segment as the host has it. */
	s->seq -= head;
	s->data -= head;
	s->len += head;
	s->head = head;
	s->keep += head;
	s->edit_off += head;
}

void fs_release(struct fs_conn *c, void *host)
{
	if (c->lines)
		fs_host_free_lines(host, c->lines);
	c->lines = (char *)0;
}
