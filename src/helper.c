// SPDX-License-Identifier: GPL-2.0
/*
 * helper.c - the "ftp-portmap" conntrack helper: tracks an FTP control
 * connection byte by byte in both directions.
 *
 * Every line of every segment is parsed (src/ftp_parse.c); a line cut
 * across segments is kept (at most FP_LINE_MAX bytes per direction) until
 * it completes.  Under NAT, an address that has begun in a segment already
 * forwarded is rewritten as it passes: its original text is known in
 * advance, since it must be the control peer's own address.  Rewrites are
 * remembered (struct fpm_rw) so that retransmissions are rewritten the same
 * way.  Segments beyond a hole are dropped until the hole is filled, so
 * nothing is parsed out of order; the sender's retransmission gets past.
 *
 * Replies are paired with commands: a 227/229 is acted on only as the
 * answer to PASV/EPSV, and 234 to AUTH; PORT/EPRT only come from the
 * client.  After 234 the stream is TLS: its record headers are followed,
 * and where they stop (after CCC) clear text and tracking resume.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <linux/inet.h>
#include <net/tcp.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_core.h>
#include <net/netfilter/nf_conntrack_helper.h>
#include <net/netfilter/nf_conntrack_expect.h>
#include <net/netfilter/nf_conntrack_seqadj.h>

#include "helper.h"

bool fpm_exiting __read_mostly;

static const struct nf_conntrack_expect_policy fpm_exp_policy = {
	.max_expected	= FPM_MAX_EXPECT_LIMIT,
	.timeout	= 5 * 60,
	.name		= FTP_PORTMAP_HELPER_NAME,
};

/* The helper's own tuple port: never 21, so it loads beside "ftp". */
#define FPM_HELPER_TUPLE_PORT	0

static struct nf_conntrack_helper fpm_helpers[2] __read_mostly;

/* Everything one segment's processing needs to carry around. */
struct fpm_seg {
	struct nf_conn *ct;
	struct fpm_conn *fc;
	struct fpm_net *fn;
	enum ip_conntrack_info ctinfo;
	int dir;			/* IP_CT_DIR_* of the segment */
	enum fp_dir fpdir;
	u32 seq;			/* first payload byte */
	u32 fresh;			/* first byte never forwarded before */
	const char *data;
	unsigned int len;
	bool nat;			/* the control connection is NATed */
};

static void fpm_log(const struct nf_conn *ct, const char *what)
{
	const struct nf_conntrack_tuple *t;

	if (!net_ratelimit())
		return;
	t = &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;
	if (nf_ct_l3num(ct) == NFPROTO_IPV4)
		pr_info("%pI4:%u -> %pI4:%u: %s\n",
			&t->src.u3.ip, ntohs(t->src.u.tcp.port),
			&t->dst.u3.ip, ntohs(t->dst.u.tcp.port), what);
	else
		pr_info("[%pI6c]:%u -> [%pI6c]:%u: %s\n",
			&t->src.u3.ip6, ntohs(t->src.u.tcp.port),
			&t->dst.u3.ip6, ntohs(t->dst.u.tcp.port), what);
}

static void fpm_count(struct fpm_seg *s, enum fpm_stat st, enum fpm_ctr c)
{
	fpm_stat_inc(s->fn, st);
	if (c != FPM_CTR_UNSPEC)
		fpm_ctr_inc(s->fc->ctr, c);
}

/* --- per-connection state ------------------------------------------- */

static struct fpm_conn *fpm_conn_alloc(struct fpm_counters *ctr)
{
	struct fpm_conn *fc = kzalloc(sizeof(*fc), GFP_ATOMIC);

	if (!fc)
		return NULL;
	spin_lock_init(&fc->lock);
	fc->ctr = fpm_counters_get(ctr);
	return fc;
}

static void fpm_conn_free(struct fpm_conn *fc)
{
	int i;

	if (!fc)
		return;
	for (i = 0; i < IP_CT_DIR_MAX; i++)
		kfree(fc->dir[i].buf);
	fpm_counters_put(fc->ctr);
	kfree(fc);
}

static struct fpm_help_data *fpm_data(struct nf_conn *ct)
{
	struct nf_conn_help *help = nfct_help(ct);

	return help ? (struct fpm_help_data *)help->data : NULL;
}

static bool fpm_is_ours(const struct nf_conntrack_helper *h)
{
	return h == &fpm_helpers[0] || h == &fpm_helpers[1];
}

void fpm_helper_attach(struct fpm_net *fn, struct nf_conn *ct,
		       struct fpm_map *m)
{
	struct nf_conntrack_helper *h;
	struct fpm_help_data *data;
	struct nf_conn_help *help;
	struct fpm_conn *fc;

	if (READ_ONCE(fpm_exiting))
		return;
	h = nf_ct_l3num(ct) == NFPROTO_IPV6 ? &fpm_helpers[1] : &fpm_helpers[0];
	help = nf_ct_helper_ext_add(ct, GFP_ATOMIC);
	fc = help ? fpm_conn_alloc(m->ctr) : NULL;
	/* DNAT ran before us: sequence adjustment is not set up yet. */
	if (!fc || (!nfct_seqadj(ct) && !nfct_seqadj_ext_add(ct))) {
		fpm_conn_free(fc);
		fpm_stat_inc(fn, FPM_STAT_NOMEM);
		return;
	}
	data = (struct fpm_help_data *)help->data;
	data->conn = fc;
	rcu_assign_pointer(help->helper, h);
	set_bit(IPS_HELPER_BIT, &ct->status);
	fpm_stat_inc(fn, FPM_STAT_CONNS);
	fpm_ctr_inc(fc->ctr, FPM_CTR_CONNS);
}

static void fpm_destroy(struct nf_conn *ct)
{
	struct fpm_help_data *data = fpm_data(ct);

	if (data)
		fpm_conn_free(xchg(&data->conn, NULL));
}

/* --- command/reply pairing ------------------------------------------ */

static void fpm_cmd_push(struct fpm_conn *fc, enum fp_kind k)
{
	if (fc->cmdq_len == FPM_CMDQ) {
		/* A client this far ahead: forget the oldest. */
		fc->cmdq_head = (fc->cmdq_head + 1) % FPM_CMDQ;
		fc->cmdq_len--;
	}
	fc->cmdq[(fc->cmdq_head + fc->cmdq_len) % FPM_CMDQ] = k;
	fc->cmdq_len++;
}

static enum fp_kind fpm_cmd_head(const struct fpm_conn *fc)
{
	return fc->cmdq_len ? fc->cmdq[fc->cmdq_head] : FP_K_OTHER;
}

static enum fp_kind fpm_cmd_pop(struct fpm_conn *fc)
{
	enum fp_kind k = fpm_cmd_head(fc);

	if (fc->cmdq_len) {
		fc->cmdq_head = (fc->cmdq_head + 1) % FPM_CMDQ;
		fc->cmdq_len--;
	}
	return k;
}

static bool fpm_isdigit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * A server line that ends a reply ("ddd text", outside or closing a
 * multi-line reply) answers the oldest pending command; a 1yz reply is
 * preliminary and answers nothing yet.  Returns true for a final line.
 */
static bool fpm_reply_final(struct fpm_conn *fc, const char *l, unsigned int n)
{
	bool code = n >= 4 && fpm_isdigit(l[0]) && fpm_isdigit(l[1]) &&
		    fpm_isdigit(l[2]);

	if (fc->flags & FPM_C_MULTI) {
		if (!code || l[3] != ' ' || memcmp(l, fc->multi_code, 3))
			return false;
		fc->flags &= ~FPM_C_MULTI;
		return l[0] != '1';
	}
	if (!code)
		return false;
	if (l[3] == '-') {
		memcpy(fc->multi_code, l, 3);
		fc->flags |= FPM_C_MULTI;
		return false;
	}
	return l[3] == ' ' && l[0] != '1';
}

/* --- rewrites ---------------------------------------------------------- */

static struct fpm_rw *fpm_rw_add(struct fpm_dir *d, u32 seq, u16 olen,
				 const char *rep, unsigned int rlen, u8 *idx)
{
	struct fpm_rw *rw = &d->hist[d->hist_next];

	if (rlen > sizeof(rw->rep))
		return NULL;
	*idx = d->hist_next;
	d->hist_next = (d->hist_next + 1) % FPM_HIST;
	rw->seq = seq;
	rw->olen = olen;
	rw->rlen = rlen;
	rw->used = 1;
	memcpy(rw->rep, rep, rlen);
	return rw;
}

/* The part of every remembered rewrite that falls in this segment. */
static unsigned int fpm_rw_edits(struct fpm_dir *d, u32 seq, unsigned int len,
				 struct fpm_edit *e)
{
	unsigned int k, n = 0;

	for (k = 0; k < FPM_HIST; k++) {
		const struct fpm_rw *rw = &d->hist[k];
		u32 lo, hi, i, j, rlo, rhi;

		if (!rw->used)
			continue;
		lo = after(rw->seq, seq) ? rw->seq : seq;
		hi = before(rw->seq + rw->olen, seq + len) ?
		     rw->seq + rw->olen : seq + len;
		if (!before(lo, hi))
			continue;
		i = lo - rw->seq;
		j = hi - rw->seq;
		rlo = min_t(u32, i, rw->rlen);
		rhi = j == rw->olen ? rw->rlen : min_t(u32, j, rw->rlen);
		e[n].off = lo - seq;
		e[n].len = j - i;
		e[n].rep = rw->rep + rlo;
		e[n].rlen = rhi - rlo;
		n++;
	}
	return n;
}

/* --- endpoints ------------------------------------------------------------ */

static bool fpm_ep_to_addr(const struct nf_conn *ct,
			   const struct fp_endpoint *ep,
			   union nf_inet_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (ep->family == 4 && nf_ct_l3num(ct) == NFPROTO_IPV4) {
		memcpy(&a->ip, ep->addr, 4);
		return true;
	}
	if (ep->family == 6 && nf_ct_l3num(ct) == NFPROTO_IPV6) {
		memcpy(&a->ip6, ep->addr, 16);
		return true;
	}
	return false;
}

static void fpm_addr_to_ep(const struct nf_conn *ct,
			   const union nf_inet_addr *a, u16 port,
			   struct fp_endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	if (nf_ct_l3num(ct) == NFPROTO_IPV4) {
		ep->family = 4;
		memcpy(ep->addr, &a->ip, 4);
	} else {
		ep->family = 6;
		memcpy(ep->addr, &a->ip6, 16);
	}
	ep->port = port;
}

/* Where the data connection must go to, as the peer will see it. */
static const union nf_inet_addr *fpm_public_addr(const struct fpm_seg *s)
{
	return &s->ct->tuplehash[!s->dir].tuple.dst.u3;
}

/* The sender of this segment: the only address it may name (strict). */
static const union nf_inet_addr *fpm_sender_addr(const struct fpm_seg *s)
{
	return &s->ct->tuplehash[s->dir].tuple.src.u3;
}

/*
 * Did the address rewritten as it passed (fpm_partial) turn out to be the
 * whole address text of the completed line?  Not when its text only began
 * like the sender's address (say "10,10,10,010"): then the peer got a
 * garbled line, which is counted.
 */
static bool fpm_stream_matched(const struct fpm_dir *d,
			       const struct fp_line *pl, u32 line_seq)
{
	const struct fpm_rw *rw = &d->hist[d->stream_rw];

	return rw->used && rw->seq == line_seq + pl->addr_off &&
	       rw->olen == pl->addr_len;
}

/*
 * A PORT/EPRT (client) or 227/229 (server) line asking for a data
 * connection: check it, expect the data connection, rewrite for NAT.
 * @line_seq: sequence number of the line's first byte.
 */
static void fpm_endpoint(struct fpm_seg *s, const struct fp_line *pl,
			 u32 line_seq)
{
	struct fpm_dir *d = &s->fc->dir[s->dir];
	struct nf_conntrack_expect *exp;
	union nf_inet_addr named;
	const union nf_inet_addr *daddr;
	struct nf_conn_help *help = nfct_help(s->ct);
	bool strict = READ_ONCE(s->fn->strict);
	bool own, streamed, whole, addr_only = false;
	__be16 port = htons(pl->ep.port);
	u16 used;

	if (pl->ep.family) {
		if (!fpm_ep_to_addr(s->ct, &pl->ep, &named)) {
			fpm_count(s, FPM_STAT_ADDR_MISMATCH, FPM_CTR_UNSPEC);
			fpm_log(s->ct, "data address of the wrong family refused");
			return;
		}
		own = nf_inet_addr_cmp(&named, fpm_sender_addr(s));
	} else {
		named = *fpm_sender_addr(s);
		own = true;
	}
	if (!own) {
		fpm_count(s, FPM_STAT_ADDR_MISMATCH, FPM_CTR_UNSPEC);
		if (strict) {
			fpm_log(s->ct, "data address is not the control peer's: refused");
			return;
		}
	}
	if (strict && pl->ep.port < 1024) {
		fpm_count(s, FPM_STAT_PORT_LOW, FPM_CTR_UNSPEC);
		fpm_log(s->ct, "data port below 1024 refused");
		return;
	}
	if (strict && help &&
	    help->expecting[NF_CT_EXPECT_CLASS_DEFAULT] >=
	    READ_ONCE(s->fn->max_expect)) {
		fpm_count(s, FPM_STAT_EXPECT_LIMIT, FPM_CTR_UNSPEC);
		fpm_log(s->ct, "too many pending data connections: refused");
		return;
	}

	exp = nf_ct_expect_alloc(s->ct);
	if (!exp) {
		fpm_count(s, FPM_STAT_EXPECT_FAIL, FPM_CTR_UNSPEC);
		return;
	}
	/* A third-party address (loose mode) is expected as named, unNATed. */
	daddr = own ? fpm_public_addr(s) : &named;
	nf_ct_expect_init(exp, NF_CT_EXPECT_CLASS_DEFAULT, nf_ct_l3num(s->ct),
			  &s->ct->tuplehash[!s->dir].tuple.src.u3, daddr,
			  IPPROTO_TCP, NULL, &port);
	/* The data connection is not FTP control: no helper for it. */
	RCU_INIT_POINTER(exp->helper, NULL);

	streamed = d->flags & (FPM_D_STREAM | FPM_D_NOREW);
	/*
	 * Rewrite the whole endpoint (the port may change) when all of its
	 * text is in bytes never forwarded before; else the address alone,
	 * if that is (EPRT cut before its address); else it was rewritten
	 * as it passed, or cannot be, and the port must stay.
	 */
	if (!streamed && !before(line_seq + pl->ep_off, s->fresh)) {
		whole = true;
	} else {
		whole = false;
		addr_only = !streamed && pl->ep.family &&
			    !before(line_seq + pl->addr_off, s->fresh);
	}

	if (s->nat && own) {
		struct fp_endpoint nep;
		char rep[FP_FORMAT_MAX];
		unsigned int rlen;
		u32 at;
		u16 olen;
		u8 idx;

		used = fpm_nat_expect(exp, s->dir, pl->ep.port, !whole);
		if (!used) {
			fpm_count(s, FPM_STAT_EXPECT_FAIL, FPM_CTR_UNSPEC);
			fpm_log(s->ct, "cannot expect the data connection");
			goto out;
		}
		fpm_count(s, FPM_STAT_EXPECTS, FPM_CTR_EXPECTS);
		if (!whole && !addr_only) {
			/* Rewritten as it passed, or not rewritable now. */
			if (d->flags & FPM_D_STREAM) {
				if (fpm_stream_matched(d, pl, line_seq))
					fpm_count(s, FPM_STAT_REWRITES,
						  FPM_CTR_REWRITES);
				else
					fpm_count(s, FPM_STAT_REWRITE_FAIL,
						  FPM_CTR_UNSPEC);
			} else if (pl->ep.family &&
				   !nf_inet_addr_cmp(fpm_public_addr(s),
						     fpm_sender_addr(s))) {
				fpm_count(s, FPM_STAT_REWRITE_FAIL,
					  FPM_CTR_UNSPEC);
			}
			goto out;
		}
		fpm_addr_to_ep(s->ct, pl->ep.family ? fpm_public_addr(s) :
			       &named, used, &nep);
		if (!pl->ep.family)
			nep.family = 0;
		if (whole) {
			at = line_seq + pl->ep_off;
			olen = pl->ep_len;
			rlen = fp_format(pl->kind, &nep, pl->delim, rep,
					 sizeof(rep));
		} else {
			at = line_seq + pl->addr_off;
			olen = pl->addr_len;
			rlen = fp_format_addr(pl->kind, &nep, rep, sizeof(rep));
		}
		if (!rlen) {
			fpm_count(s, FPM_STAT_REWRITE_FAIL, FPM_CTR_UNSPEC);
			nf_ct_unexpect_related(exp);
			goto out;
		}
		if (rlen == olen && !memcmp(rep, s->data + (at - s->seq), rlen))
			goto out;
		if (!fpm_rw_add(d, at, olen, rep, rlen, &idx)) {
			fpm_count(s, FPM_STAT_REWRITE_FAIL, FPM_CTR_UNSPEC);
			nf_ct_unexpect_related(exp);
			goto out;
		}
		fpm_count(s, FPM_STAT_REWRITES, FPM_CTR_REWRITES);
	} else {
		if (nf_ct_expect_related(exp, 0)) {
			fpm_count(s, FPM_STAT_EXPECT_FAIL, FPM_CTR_UNSPEC);
			fpm_log(s->ct, "cannot expect the data connection");
			goto out;
		}
		fpm_count(s, FPM_STAT_EXPECTS, FPM_CTR_EXPECTS);
	}
out:
	nf_ct_expect_put(exp);
}

/*
 * The partial line in d->buf has grown: if it is a line of interest whose
 * address has begun, rewrite that address as it passes.  Its original
 * text is the sender's own address (anything else is refused in strict
 * mode anyway); the replacement is the public address.
 */
static void fpm_partial(struct fpm_seg *s)
{
	struct fpm_dir *d = &s->fc->dir[s->dir];
	char orig[FP_FORMAT_MAX], rep[FP_FORMAT_MAX];
	unsigned int olen, rlen, have;
	struct fp_endpoint ep;
	enum fp_kind k;
	fp_u16 aoff;
	u8 idx;

	if (!s->nat || (d->flags & (FPM_D_STREAM | FPM_D_NOREW)))
		return;
	k = fp_prefix(d->buf, d->len, s->fpdir, &aoff);
	if (!aoff)
		return;
	if (s->fpdir == FP_DIR_CLIENT ? (k != FP_K_PORT && k != FP_K_EPRT) :
	    (k != FP_K_227 || (fpm_cmd_head(s->fc) != FP_K_PASV &&
			       fpm_cmd_head(s->fc) != FP_K_EPSV))) {
		d->flags |= FPM_D_NOREW;
		return;
	}
	fpm_addr_to_ep(s->ct, fpm_sender_addr(s), 0, &ep);
	olen = fp_format_addr(k, &ep, orig, sizeof(orig));
	fpm_addr_to_ep(s->ct, fpm_public_addr(s), 0, &ep);
	rlen = fp_format_addr(k, &ep, rep, sizeof(rep));
	have = d->len - aoff;
	if (!olen || !rlen || (olen == rlen && !memcmp(orig, rep, olen)) ||
	    memcmp(d->buf + aoff, orig, min(have, olen))) {
		d->flags |= FPM_D_NOREW;
		return;
	}
	if (!fpm_rw_add(d, d->line_seq + aoff, olen, rep, rlen, &idx)) {
		d->flags |= FPM_D_NOREW;
		return;
	}
	d->stream_rw = idx;
	d->flags |= FPM_D_STREAM;
}

static void fpm_tls_on(struct fpm_seg *s)
{
	struct fpm_conn *fc = s->fc;
	int i;

	for (i = 0; i < IP_CT_DIR_MAX; i++) {
		fc->dir[i].flags |= FPM_D_TLS;
		fc->dir[i].flags &= ~(FPM_D_STREAM | FPM_D_NOREW);
		fc->dir[i].len = 0;
		fc->dir[i].tls_hdr_len = 0;
		fc->dir[i].tls_left = 0;
	}
	fc->cmdq_len = 0;
	fc->flags &= ~FPM_C_MULTI;
	if (!(fc->flags & FPM_C_TLS)) {
		fc->flags |= FPM_C_TLS;
		fpm_count(s, FPM_STAT_TLS, FPM_CTR_UNSPEC);
		fpm_log(s->ct, "control channel is now TLS: data channels need a passive port range mapping (portmapctl nat-server)");
	}
}

/* One complete line: @l, @n bytes, starting at sequence number @lseq. */
static void fpm_line(struct fpm_seg *s, const char *l, unsigned int n,
		     u32 lseq)
{
	struct fpm_conn *fc = s->fc;
	struct fp_line pl;
	enum fp_kind cmd;

	fp_parse_line(l, n, s->fpdir, &pl);
	fpm_count(s, FPM_STAT_LINES, FPM_CTR_LINES);
	if (pl.kind == FP_K_REJECT) {
		fpm_count(s, FPM_STAT_PARSE_REJECT, FPM_CTR_UNSPEC);
		if (s->fpdir == FP_DIR_CLIENT)
			fpm_cmd_push(fc, FP_K_OTHER);
		else if (fpm_reply_final(fc, l, n))
			fpm_cmd_pop(fc);
		return;
	}

	if (s->fpdir == FP_DIR_CLIENT) {
		fpm_cmd_push(fc, pl.kind);
		if (pl.kind == FP_K_PORT || pl.kind == FP_K_EPRT)
			fpm_endpoint(s, &pl, lseq);
		return;
	}

	if (!fpm_reply_final(fc, l, n))
		return;
	cmd = fpm_cmd_pop(fc);
	switch (pl.kind) {
	case FP_K_227:
	case FP_K_229:
		if (cmd == FP_K_PASV || cmd == FP_K_EPSV)
			fpm_endpoint(s, &pl, lseq);
		else
			fpm_count(s, FPM_STAT_UNPAIRED, FPM_CTR_UNSPEC);
		break;
	case FP_K_234:
		if (cmd == FP_K_AUTH)
			fpm_tls_on(s);
		else
			fpm_count(s, FPM_STAT_UNPAIRED, FPM_CTR_UNSPEC);
		break;
	default:
		break;
	}
}

/*
 * Follow TLS records from @p on; returns where clear text resumes, or
 * s->len when the whole rest is TLS.  Record headers are not encrypted:
 * a byte that cannot start one where a record must start is clear text
 * again (CCC, RFC 4217).
 */
static unsigned int fpm_tls_follow(struct fpm_seg *s, unsigned int p)
{
	struct fpm_dir *d = &s->fc->dir[s->dir];

	while (p < s->len) {
		if (d->tls_left) {
			unsigned int k = min_t(unsigned int, d->tls_left,
					       s->len - p);

			d->tls_left -= k;
			p += k;
			continue;
		}
		if (!d->tls_hdr_len) {
			u8 type = s->data[p];

			if (type < 20 || type > 24) {
				/* Counted once: by the first side to clear. */
				d->flags &= ~FPM_D_TLS;
				if (s->fc->dir[!s->dir].flags & FPM_D_TLS)
					fpm_count(s, FPM_STAT_CCC,
						  FPM_CTR_UNSPEC);
				s->fc->cmdq_len = 0;
				s->fc->flags &= ~FPM_C_MULTI;
				return p;
			}
		}
		d->tls_hdr[d->tls_hdr_len++] = s->data[p++];
		if (d->tls_hdr_len == 5) {
			d->tls_left = (d->tls_hdr[3] << 8) | d->tls_hdr[4];
			d->tls_hdr_len = 0;
		}
	}
	return p;
}

/* Parse the never-seen bytes of the segment, from payload offset @p. */
static void fpm_parse(struct fpm_seg *s, unsigned int p)
{
	struct fpm_dir *d = &s->fc->dir[s->dir];

	while (p < s->len) {
		unsigned int n, take;
		u32 lseq;

		if (d->flags & FPM_D_TLS) {
			p = fpm_tls_follow(s, p);
			continue;
		}
		n = fp_line_len(s->data + p, s->len - p);
		take = n ? n : s->len - p;

		if (d->flags & FPM_D_SKIP) {
			/* Discarding an over-long line up to its LF. */
			if (n)
				d->flags &= ~FPM_D_SKIP;
			p += take;
			continue;
		}
		if (!d->len && n) {
			/* The common case: a whole line in this segment. */
			fpm_line(s, s->data + p, n, s->seq + p);
			d->flags &= ~(FPM_D_STREAM | FPM_D_NOREW);
			p += n;
			continue;
		}
		if (!d->len)
			d->line_seq = s->seq + p;
		/* A line cut across segments: held until it completes. */
		if (!d->buf)
			d->buf = kmalloc(FP_LINE_MAX, GFP_ATOMIC);
		if (!d->buf || d->len + take > FP_LINE_MAX) {
			fpm_count(s, d->buf ? FPM_STAT_LINE_TOOLONG :
				  FPM_STAT_NOMEM, FPM_CTR_UNSPEC);
			d->len = 0;
			d->flags &= ~(FPM_D_STREAM | FPM_D_NOREW);
			if (!n)
				d->flags |= FPM_D_SKIP;
			p += take;
			continue;
		}
		memcpy(d->buf + d->len, s->data + p, take);
		d->len += take;
		p += take;
		if (!n) {
			fpm_partial(s);
			break;
		}
		lseq = d->line_seq;
		n = d->len;
		d->len = 0;
		fpm_line(s, d->buf, n, lseq);
		d->flags &= ~(FPM_D_STREAM | FPM_D_NOREW);
	}
}

static int fpm_help(struct sk_buff *skb, unsigned int protoff,
		    struct nf_conn *ct, enum ip_conntrack_info ctinfo)
{
	struct fpm_edit edits[FPM_HIST];
	struct fpm_help_data *data;
	const struct tcphdr *th;
	struct tcphdr _th;
	struct fpm_seg s;
	struct fpm_dir *d;
	unsigned int dataoff, n;
	int ret = NF_ACCEPT;
	__be32 rawseq;
	bool syn;

	if (READ_ONCE(fpm_exiting))
		return NF_ACCEPT;
	data = fpm_data(ct);
	if (!data)
		return NF_ACCEPT;

	th = skb_header_pointer(skb, protoff, sizeof(_th), &_th);
	if (!th)
		return NF_ACCEPT;

	s.ct = ct;
	s.ctinfo = ctinfo;
	s.dir = CTINFO2DIR(ctinfo);
	s.fpdir = s.dir == IP_CT_DIR_ORIGINAL ? FP_DIR_CLIENT : FP_DIR_SERVER;
	s.fn = fpm_pernet(nf_ct_net(ct));
	rawseq = th->seq;
	syn = th->syn;
	dataoff = protoff + th->doff * 4;
	s.seq = ntohl(rawseq);

	s.fc = READ_ONCE(data->conn);
	if (!s.fc) {
		/* Attached by an nft/iptables rule rather than the table. */
		struct fpm_conn *fc = fpm_conn_alloc(NULL);

		if (!fc) {
			fpm_stat_inc(s.fn, FPM_STAT_NOMEM);
			return NF_ACCEPT;
		}
		s.fc = cmpxchg(&data->conn, NULL, fc);
		if (s.fc) {
			fpm_conn_free(fc);
		} else {
			s.fc = fc;
			fpm_stat_inc(s.fn, FPM_STAT_CONNS);
		}
	}

	if (syn) {
		spin_lock_bh(&s.fc->lock);
		d = &s.fc->dir[s.dir];
		d->next_seq = s.seq + 1;
		d->flags |= FPM_D_SEQ;
		spin_unlock_bh(&s.fc->lock);
		return NF_ACCEPT;
	}
	if (dataoff >= skb->len)
		return NF_ACCEPT;
	if (unlikely(skb_linearize(skb)))
		return NF_DROP;
	s.data = skb->data + dataoff;
	s.len = skb->len - dataoff;
	s.nat = ct->status & IPS_NAT_MASK;

	spin_lock_bh(&s.fc->lock);
	d = &s.fc->dir[s.dir];
	if (!(d->flags & FPM_D_SEQ)) {
		d->next_seq = s.seq;
		d->flags |= FPM_D_SEQ;
	}
	if (after(s.seq, d->next_seq)) {
		/* A hole before this segment: wait for the retransmission. */
		fpm_stat_inc(s.fn, FPM_STAT_OOO);
		if (++d->gap_drops <= FPM_GAP_MAX) {
			ret = NF_DROP;
			goto out;
		}
		/* Lost sync for good: pick up at the next line. */
		d->next_seq = s.seq;
		d->len = 0;
		d->flags &= ~(FPM_D_STREAM | FPM_D_NOREW);
		d->flags |= FPM_D_SKIP;
	}
	d->gap_drops = 0;
	s.fresh = d->next_seq;
	if (after(s.seq + s.len, d->next_seq)) {
		fpm_parse(&s, d->next_seq - s.seq);
		d->next_seq = s.seq + s.len;
	}

	n = fpm_rw_edits(d, s.seq, s.len, edits);
	if (n && !fpm_nat_apply(skb, ct, ctinfo, protoff, rawseq, edits, n)) {
		fpm_stat_inc(s.fn, FPM_STAT_REWRITE_FAIL);
		fpm_log(ct, "cannot rewrite segment; dropped for retransmission");
		ret = NF_DROP;
	}
out:
	spin_unlock_bh(&s.fc->lock);
	return ret;
}

static int fpm_free_iter(struct nf_conn *ct, void *unused)
{
	struct nf_conn_help *help = nfct_help(ct);

	if (help && fpm_is_ours(rcu_dereference_raw(help->helper)))
		fpm_conn_free(xchg(&((struct fpm_help_data *)help->data)->conn,
				   NULL));
	return 0;
}

/*
 * Module exit, step one: no helper call touches per-namespace state or
 * allocates anything after this, and every connection's state is freed.
 */
void fpm_helper_quiesce(void)
{
	WRITE_ONCE(fpm_exiting, true);
	synchronize_rcu();
	nf_ct_iterate_destroy(fpm_free_iter, NULL);
}

int fpm_helper_init(void)
{
	int i, err;

	NF_CT_HELPER_BUILD_BUG_ON(sizeof(struct fpm_help_data));
	for (i = 0; i < 2; i++) {
		nf_ct_helper_init(&fpm_helpers[i], i ? AF_INET6 : AF_INET,
				  IPPROTO_TCP, FTP_PORTMAP_HELPER_NAME,
				  FPM_HELPER_TUPLE_PORT, FPM_HELPER_TUPLE_PORT,
				  0, &fpm_exp_policy, 0, fpm_help, NULL,
				  THIS_MODULE);
		fpm_helpers[i].destroy = fpm_destroy;
		fpm_helpers[i].data_len = sizeof(struct fpm_help_data);
	}
	err = nf_conntrack_helpers_register(fpm_helpers,
					    ARRAY_SIZE(fpm_helpers));
	if (err)
		pr_err("cannot register conntrack helper %s: %d\n",
		       FTP_PORTMAP_HELPER_NAME, err);
	return err;
}

void fpm_helper_exit(void)
{
	nf_conntrack_helpers_unregister(fpm_helpers, ARRAY_SIZE(fpm_helpers));
}
