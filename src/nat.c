// SPDX-License-Identifier: GPL-2.0
/*
 * nat.c - NAT side of the ALG: expectations that NAT the data connection
 * like its control connection, and carrying out the engine's edits,
 * hold-backs and sequence correction points on a segment.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/random.h>
#include <linux/tcp.h>
#include <net/netfilter/nf_nat.h>
#include <net/netfilter/nf_nat_helper.h>
#include <net/netfilter/nf_conntrack_seqadj.h>
#include <net/netfilter/nf_conntrack_ecache.h>

#include "helper.h"

/* Ports tried after the wanted one is taken. */
#define FPM_PORT_TRIES	128

/*
 * fpm_nat_expect - register @exp so that the data connection is NATed the
 * way its control connection is, on @port if free (or, unless @keep_port,
 * on another port of the peer-facing side).  Returns the port used, or 0.
 */
u16 fpm_nat_expect(struct nf_conntrack_expect *exp, int dir, u16 port,
		   bool keep_port)
{
	unsigned int tries = keep_port ? 1 : FPM_PORT_TRIES;
	u16 want = port;

	exp->saved_proto.tcp.port = exp->tuple.dst.u.tcp.port;
	exp->dir = !dir;
	exp->expectfn = nf_nat_follow_master;

	while (tries--) {
		int err;

		exp->tuple.dst.u.tcp.port = htons(port);
		err = nf_ct_expect_related(exp, 0);
		if (!err)
			return port;
		if (err != -EBUSY)
			break;
		/* Another expectation owns it: a random unprivileged one. */
		port = 1024 + fpm_random_below(65536 - 1024);
		if (port == want)
			port++;
	}
	return 0;
}

/* The segment now starts @by bytes later. */
static void fpm_seq_advance(struct sk_buff *skb, unsigned int protoff, u32 by)
{
	struct tcphdr *th = (struct tcphdr *)(skb->data + protoff);
	__be32 seq = htonl(ntohl(th->seq) + by);

	inet_proto_csum_replace4(&th->check, skb, th->seq, seq, false);
	th->seq = seq;
}

static bool fpm_cut(struct sk_buff *skb, struct nf_conn *ct,
		    enum ip_conntrack_info ctinfo, unsigned int protoff,
		    unsigned int off, unsigned int len)
{
	return __nf_nat_mangle_tcp_packet(skb, ct, ctinfo, protoff, off, len,
					  "", 0, false);
}

/*
 * fpm_nat_apply - carry out what the engine decided for a segment: a new
 * sequence correction point first (it holds for retransmissions whatever
 * becomes of this skb); then, from the end backwards, the held-back tail
 * is cut off, the edit made, and the ACKed head cut off (the sequence
 * number moving past it unless nothing is left).  Cuts are never counted
 * as length changes: the held-back bytes come again from the sender, the
 * head's bytes the peer already has.  Returns the verdict.
 */
int fpm_nat_apply(struct sk_buff *skb, struct nf_conn *ct,
		  enum ip_conntrack_info ctinfo, unsigned int protoff,
		  const struct fs_seg *s, bool fin)
{
	if (s->adj && nfct_seqadj(ct)) {
		nf_ct_seqadj_set(ct, ctinfo, htonl(s->adj_pos), s->adj_delta);
		/* So that ctnetlink listeners (conntrackd) get the new offset. */
		nf_conntrack_event_cache(IPCT_SEQADJ, ct);
	}
	if (s->drop)
		return NF_DROP;
	if (s->keep < s->len) {
		/* The FIN would move: let the sender send it all again. */
		if (fin)
			return NF_DROP;
		if (!fpm_cut(skb, ct, ctinfo, protoff, s->keep,
			     s->len - s->keep))
			return NF_DROP;
	}
	if (s->nedit &&
	    !__nf_nat_mangle_tcp_packet(skb, ct, ctinfo, protoff, s->edit_off,
					s->edit_len, s->rep, s->rep_len, false))
		return NF_DROP;
	if (s->head) {
		if (!fpm_cut(skb, ct, ctinfo, protoff, 0, s->head))
			return NF_DROP;
		if (s->head < s->keep)
			fpm_seq_advance(skb, protoff, s->head);
	}
	return NF_ACCEPT;
}
