// SPDX-License-Identifier: GPL-2.0
/*
 * attach.c - give mapped control connections the ftp-portmap helper.
 *
 * A hook right after destination NAT (PRE_ROUTING and LOCAL_OUT, IPv4
 * and IPv6) looks at every new, unconfirmed TCP connection: when its
 * destination port as the client sent it, or as the server receives it
 * after DNAT, is in the namespace's table (and the mapping's host, if it
 * has one, is the destination before or after DNAT), the helper is
 * attached - unless the connection already has a helper.  A second hook,
 * before DNAT, NATs data connections whose expectation was synchronised
 * without its NAT part (fpm_related_hook).  The hooks are registered only
 * while the namespace has mappings.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_helper.h>
#include <net/netfilter/nf_conntrack_seqadj.h>
#include <net/netfilter/nf_nat.h>

#include "ftp_portmap.h"
#include "helper.h"

/*
 * The mapping for @ct, if any: host-specific beats wildcard; among equals
 * the destination as the client sent it beats the one after DNAT.  *@sel
 * records where in the tuple its key is (struct fpm_help_data.sel).
 */
static struct fpm_map *fpm_match(struct fpm_net *fn, const struct nf_conn *ct,
				 u8 *sel)
{
	const struct nf_conntrack_tuple *orig, *reply;
	const union nf_inet_addr *addr[2];
	struct fpm_map *best = NULL, *m;
	u8 family = nf_ct_l3num(ct) == NFPROTO_IPV6 ? AF_INET6 : AF_INET;
	u16 port[2];
	int i, j;

	orig = &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;
	reply = &ct->tuplehash[IP_CT_DIR_REPLY].tuple;
	/* Destination as sent by the client, and as received after DNAT. */
	port[0] = ntohs(orig->dst.u.tcp.port);
	port[1] = ntohs(reply->src.u.tcp.port);
	addr[0] = &orig->dst.u3;
	addr[1] = &reply->src.u3;

	for (i = 0; i < 2; i++) {
		if (i && port[1] == port[0])
			break;
		for (j = 0; j < 2; j++) {
			if (j && nf_inet_addr_cmp(addr[0], addr[1]))
				break;
			m = fpm_map_lookup(fn, port[i], family, addr[j]);
			if (!m || (best && (best->key.family || !m->key.family)))
				continue;
			best = m;
			*sel = FPM_SEL_MAPPED | (i ? FPM_SEL_PORT_REPLY : 0);
			if (m->key.family) {
				*sel |= FPM_SEL_HOST |
					(j ? FPM_SEL_ADDR_REPLY : 0);
				return best;
			}
		}
	}
	return best;
}

static unsigned int fpm_attach_hook(void *priv, struct sk_buff *skb,
				    const struct nf_hook_state *state)
{
	struct fpm_net *fn = priv;
	enum ip_conntrack_info ctinfo;
	struct nf_conn *ct;
	u8 sel = 0;

	ct = nf_ct_get(skb, &ctinfo);
	if (!ct || ctinfo != IP_CT_NEW || nf_ct_is_confirmed(ct) ||
	    nf_ct_is_template(ct) || nf_ct_protonum(ct) != IPPROTO_TCP ||
	    test_bit(IPS_HELPER_BIT, &ct->status) || ct->master)
		return NF_ACCEPT;

	if (fpm_match(fn, ct, &sel))
		fpm_helper_attach(fn, ct, sel);
	return NF_ACCEPT;
}

/*
 * A data connection whose expectation came without its NAT part: one a
 * conntrack synchroniser (conntrackd) created through ctnetlink on a
 * backup router, which Debian's libnetfilter_conntrack sends without
 * CTA_EXPECT_NAT and CTA_EXPECT_FN.  NAT it the way the expectation's
 * expectfn (nf_nat_follow_master) would have, from what the backup has:
 * its master's NAT and its own tuple.  Only when it heads for the peer of
 * the NATed control connection (not a loose-mode third party), and only
 * before the nat table decides anything for it.
 */
static unsigned int fpm_related_hook(void *priv, struct sk_buff *skb,
				     const struct nf_hook_state *state)
{
	const struct nf_conntrack_tuple *t, *m;
	struct nf_nat_range2 range = {};
	enum ip_conntrack_info ctinfo;
	struct nf_conn *ct, *master;
	int dir;

	ct = nf_ct_get(skb, &ctinfo);
	if (!ct || ctinfo != IP_CT_RELATED || nf_ct_is_confirmed(ct) ||
	    nf_ct_protonum(ct) != IPPROTO_TCP || !ct->master ||
	    nf_nat_initialized(ct, NF_NAT_MANIP_SRC) ||
	    nf_nat_initialized(ct, NF_NAT_MANIP_DST))
		return NF_ACCEPT;
	master = ct->master;
	if (!(master->status & IPS_NAT_MASK) || !fpm_helps(master))
		return NF_ACCEPT;
	t = &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;
	for (dir = 0; dir < IP_CT_DIR_MAX; dir++) {
		m = &master->tuplehash[dir].tuple;
		if (nf_inet_addr_cmp(&t->src.u3, &m->src.u3) &&
		    nf_inet_addr_cmp(&t->dst.u3, &m->dst.u3))
			break;
	}
	if (dir == IP_CT_DIR_MAX)
		return NF_ACCEPT;
	m = &master->tuplehash[!dir].tuple;
	/* The source as the master's peer sees the initiator. */
	range.flags = NF_NAT_RANGE_MAP_IPS;
	range.min_addr = range.max_addr = m->dst.u3;
	if (nf_nat_setup_info(ct, &range, NF_NAT_MANIP_SRC) != NF_ACCEPT)
		return NF_DROP;
	/* The destination: the peer itself, on the port that was expected. */
	range.flags = NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED;
	range.min_addr = range.max_addr = m->src.u3;
	range.min_proto.tcp.port = t->dst.u.tcp.port;
	range.max_proto = range.min_proto;
	if (nf_nat_setup_info(ct, &range, NF_NAT_MANIP_DST) != NF_ACCEPT)
		return NF_DROP;
	fpm_stat_inc(priv, FPM_STAT_RELATED_NAT);
	return NF_ACCEPT;
}

/* After DNAT has chosen the real server, before filtering and SNAT. */
#define FPM_HOOK_PRIO		(NF_IP_PRI_NAT_DST + 1)
/* Before the nat table's DNAT. */
#define FPM_RELATED_PRIO	(NF_IP_PRI_NAT_DST - 1)

static const struct nf_hook_ops fpm_attach_ops[] = {
	{
		.hook = fpm_attach_hook,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = FPM_HOOK_PRIO,
	},
	{
		.hook = fpm_attach_hook,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_LOCAL_OUT,
		.priority = FPM_HOOK_PRIO,
	},
	{
		.hook = fpm_attach_hook,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = FPM_HOOK_PRIO,
	},
	{
		.hook = fpm_attach_hook,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_LOCAL_OUT,
		.priority = FPM_HOOK_PRIO,
	},
	{
		.hook = fpm_related_hook,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = FPM_RELATED_PRIO,
	},
	{
		.hook = fpm_related_hook,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = FPM_RELATED_PRIO,
	},
};

/*
 * Hooks exist only in namespaces that have mappings: the first mapping
 * brings them (and a conntrack reference), the last one takes them away.
 * Called under fn->lock.
 */
int fpm_attach_enable(struct fpm_net *fn)
{
	unsigned int i;
	int err;

	lockdep_assert_held(&fn->lock);
	err = nf_ct_netns_get(fn->net, NFPROTO_INET);
	if (err)
		return err;
	BUILD_BUG_ON(sizeof(fn->hook_ops) < sizeof(fpm_attach_ops));
	memcpy(fn->hook_ops, fpm_attach_ops, sizeof(fpm_attach_ops));
	for (i = 0; i < ARRAY_SIZE(fpm_attach_ops); i++)
		fn->hook_ops[i].priv = fn;
	err = nf_register_net_hooks(fn->net, fn->hook_ops,
				    ARRAY_SIZE(fpm_attach_ops));
	if (err)
		nf_ct_netns_put(fn->net, NFPROTO_INET);
	return err;
}

void fpm_attach_disable(struct fpm_net *fn)
{
	lockdep_assert_held(&fn->lock);
	nf_unregister_net_hooks(fn->net, fn->hook_ops,
				ARRAY_SIZE(fpm_attach_ops));
	nf_ct_netns_put(fn->net, NFPROTO_INET);
}
