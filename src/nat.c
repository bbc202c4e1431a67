// SPDX-License-Identifier: GPL-2.0
/*
 * nat.c - NAT side of the ALG: expectations that NAT the data connection
 * like its control connection, and in-place rewriting of control lines
 * with a single sequence adjustment per segment.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/random.h>
#include <linux/tcp.h>
#include <net/netfilter/nf_nat.h>
#include <net/netfilter/nf_nat_helper.h>
#include <net/netfilter/nf_conntrack_seqadj.h>

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

static void fpm_sort_edits(struct fpm_edit *e, unsigned int n)
{
	unsigned int i, j;

	for (i = 1; i < n; i++) {
		struct fpm_edit t = e[i];

		for (j = i; j && e[j - 1].off > t.off; j--)
			e[j] = e[j - 1];
		e[j] = t;
	}
}

/*
 * fpm_nat_apply - make @n edits in the TCP payload, last first so earlier
 * offsets stay valid, then record the segment's length change once: the
 * conntrack sequence adjustment keeps one correction per segment start.
 */
bool fpm_nat_apply(struct sk_buff *skb, struct nf_conn *ct,
		   enum ip_conntrack_info ctinfo, unsigned int protoff,
		   __be32 seq, struct fpm_edit *edits, unsigned int n)
{
	int delta = 0;
	unsigned int i;

	fpm_sort_edits(edits, n);
	for (i = n; i--; ) {
		if (!__nf_nat_mangle_tcp_packet(skb, ct, ctinfo, protoff,
						edits[i].off, edits[i].len,
						edits[i].rep, edits[i].rlen,
						false))
			return false;
		delta += (int)edits[i].rlen - (int)edits[i].len;
	}
	if (delta)
		nf_ct_seqadj_set(ct, ctinfo, seq, delta);
	return true;
}
