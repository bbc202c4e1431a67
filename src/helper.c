// SPDX-License-Identifier: GPL-2.0
/*
 * helper.c - the "ftp-portmap" conntrack helper: the conntrack glue around
 * the control-stream engine (ftp_stream.c).  Here: per-connection state
 * lifetime, locking, skb access, expectations, NAT edits and counters.
 *
 * Lifetime rules this file relies on (net/netfilter/nf_conntrack_*.c):
 * - helper->help runs for every packet of a helped conntrack, in both
 *   directions concurrently, retransmissions included, under
 *   rcu_read_lock, and also after the conntrack was deleted (a packet
 *   holds a reference): so the state is never freed while a help() may
 *   hold it (call_rcu), and never allocated again once destroy has run
 *   (fpm_help_data.conn becomes FPM_CONN_DEAD for good).
 * - helper->destroy runs once, from nf_ct_delete(), only for a conntrack
 *   that still has this helper: never for a conntrack that was never
 *   confirmed (a SYN dropped in forward, a clash) nor for one whose helper
 *   was unset (ctnetlink, helper unregistration).  So no state exists
 *   before confirmation, and every state is also on its namespace's list:
 *   a slow reclaimer (fpm_gc) frees the states of conntracks that lost
 *   the helper, and namespace (and module) teardown frees what is left.
 * - Expectations name the master's helper (kernels with assign_helper) or
 *   none; either way module exit removes every expectation whose master
 *   this helper serves before the helper goes.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <linux/inet.h>
#include <linux/error-injection.h>
#include <linux/memcontrol.h>
#include <linux/sched/mm.h>
#include <linux/workqueue.h>
#include <net/tcp.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_core.h>
#include <net/netfilter/nf_conntrack_helper.h>
#include <net/netfilter/nf_conntrack_expect.h>
#include <net/netfilter/nf_conntrack_seqadj.h>
#include <net/netfilter/nf_log.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "helper.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

bool fpm_exiting __read_mostly;

static const struct nf_conntrack_expect_policy fpm_exp_policy = {
	.max_expected	= FPM_MAX_EXPECT_LIMIT,
	.timeout	= 5 * 60,
	.name		= FTP_PORTMAP_HELPER_NAME,
};

/* Orphaned states (see fpm_conn_orphan()) are looked for this often. */
#define FPM_GC_INTERVAL		(5 * HZ)
#define FPM_GC_BATCH		256

/* The helper's own tuple port: never 21, so it loads beside "ftp". */
#define FPM_HELPER_TUPLE_PORT	0

static struct nf_conntrack_helper fpm_helpers[2] __read_mostly;

/*
 * Per-CPU scratch buffers for the payload of a segment whose skb is not
 * linear (fpm_help()): up to FPM_SCRATCH bytes are copied there, a longer
 * payload (GRO, jumbo frames) is linearized.
 */
#define FPM_SCRATCH	2048
static char __percpu *fpm_scratch;

/*
 * One segment: the engine's view plus what the host needs around it.  The
 * engine's last member, fs.rep (FS_BLOCK_MAX bytes), is last here too:
 * fpm_help() clears everything before it and leaves it, as only an edit
 * writes it and only an edit's text is read from it.
 */
struct fpm_host {
	struct sk_buff *skb;
	struct nf_conn *ct;
	struct fpm_net *fn;
	int dir;
	u32 expects;
	u32 rewrites;
	struct fs_seg fs;
};

/* The engine's edit text is the last member of both (then padding only). */
static_assert(offsetof(struct fs_seg, rep) + FS_BLOCK_MAX +
	      __alignof__(struct fs_seg) > sizeof(struct fs_seg));
static_assert(offsetof(struct fpm_host, fs) + sizeof(struct fs_seg) ==
	      sizeof(struct fpm_host));

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

static struct fpm_help_data *fpm_data(struct nf_conn *ct)
{
	struct nf_conn_help *help = nfct_help(ct);

	return help ? (struct fpm_help_data *)help->data : NULL;
}

static bool fpm_is_ours(const struct nf_conntrack_helper *h)
{
	return h == &fpm_helpers[0] || h == &fpm_helpers[1];
}

/* Is @ct a control connection this helper serves?  Under RCU. */
bool fpm_helps(const struct nf_conn *ct)
{
	const struct nf_conn_help *help = nfct_help(ct);

	return help && fpm_is_ours(rcu_dereference(help->helper));
}

/* The key of the mapping that matched @ct (see fpm_help_data.sel). */
static void fpm_conn_key(const struct nf_conn *ct, u8 sel, struct fpm_key *key)
{
	const struct nf_conntrack_tuple *orig, *reply;

	orig = &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;
	reply = &ct->tuplehash[IP_CT_DIR_REPLY].tuple;
	memset(key, 0, sizeof(*key));
	key->port = ntohs(sel & FPM_SEL_PORT_REPLY ? reply->src.u.tcp.port :
			  orig->dst.u.tcp.port);
	if (sel & FPM_SEL_HOST) {
		key->family = nf_ct_l3num(ct) == NFPROTO_IPV6 ? AF_INET6 :
			      AF_INET;
		key->addr = sel & FPM_SEL_ADDR_REPLY ? reply->src.u3 :
			    orig->dst.u3;
		if (key->family == AF_INET)
			memset(&key->addr.all[1], 0,
			       sizeof(key->addr) - sizeof(key->addr.all[0]));
	}
}

/* The mapping that matched @ct, if it is still there; under RCU. */
struct fpm_map *fpm_conn_map(struct fpm_net *fn, const struct nf_conn *ct,
			     u8 sel)
{
	struct fpm_key key;

	if (!(sel & FPM_SEL_MAPPED))
		return NULL;
	fpm_conn_key(ct, sel, &key);
	return fpm_map_find(fn, &key);
}

/* --- allocations (error-injectable, charged to the namespace) --------- */

static noinline __noclone struct fpm_conn *fpm_alloc_conn(struct fpm_net *fn)
{
	struct mem_cgroup *old = set_active_memcg(fn->memcg);
	struct fpm_conn *fc;

	fc = kzalloc(sizeof(*fc), GFP_ATOMIC | __GFP_NOWARN | __GFP_ACCOUNT);
	set_active_memcg(old);
	return fc;
}
ALLOW_ERROR_INJECTION(fpm_alloc_conn, NULL);

static noinline __noclone void *fpm_alloc_lines(struct fpm_net *fn)
{
	struct mem_cgroup *old = set_active_memcg(fn->memcg);
	void *p;

	p = kmalloc(FS_LINES_SIZE, GFP_ATOMIC | __GFP_NOWARN | __GFP_ACCOUNT);
	set_active_memcg(old);
	return p;
}
ALLOW_ERROR_INJECTION(fpm_alloc_lines, NULL);

static void fpm_conn_free_rcu(struct rcu_head *head)
{
	struct fpm_conn *fc = container_of(head, struct fpm_conn, rcu);

	fs_release(&fc->fs, NULL);
	kfree(fc);
}

/*
 * Take @fc off its namespace's list and free it after RCU readers, unless
 * someone else already did: whoever takes fc->ct releases the state.
 */
static void fpm_conn_release(struct fpm_net *fn, struct fpm_conn *fc)
{
	if (!xchg(&fc->ct, NULL))
		return;
	spin_lock_bh(&fn->conns_lock);
	list_del(&fc->node);
	fn->nconns--;
	spin_unlock_bh(&fn->conns_lock);
	call_rcu(&fc->rcu, fpm_conn_free_rcu);
}

/*
 * The connection's state, allocated on its first payload once the
 * conntrack is confirmed and alive; NULL when there is none to be had.
 */
static struct fpm_conn *fpm_conn_get(struct fpm_net *fn, struct nf_conn *ct,
				     struct fpm_help_data *h)
{
	struct fpm_conn *fc = READ_ONCE(h->conn), *old;
	bool missed;
	int d, syn;

	if (fc)
		return fc == FPM_CONN_DEAD ? NULL : fc;
	if (!nf_ct_is_confirmed(ct) || nf_ct_is_dying(ct))
		return NULL;
	/* An earlier allocation failed: that payload passed untracked. */
	missed = READ_ONCE(h->nomem);
	fc = fpm_alloc_conn(fn);
	if (!fc) {
		WRITE_ONCE(h->nomem, 1);
		fpm_stat_inc(fn, FPM_STAT_NOMEM);
		return NULL;
	}
	WRITE_ONCE(h->nomem, 0);
	spin_lock_init(&fc->lock);
	fc->ct = ct;
	syn = 0;
	/*
	 * Tracking starts at the handshake's sequence numbers only when no
	 * byte went by untracked; otherwise everything since would look
	 * like a hole, and under NAT the segments beyond it would be dropped
	 * for a retransmission that never fills it.
	 */
	for (d = 0; d < IP_CT_DIR_MAX && !missed; d++)
		/* Pairs with the release in fpm_help(): isn is written. */
		if (smp_load_acquire(&h->isn_ok[d])) {
			fs_start(&fc->fs, d, READ_ONCE(h->isn[d]));
			syn++;
		}
	/*
	 * No handshake seen (conntrackd, ctnetlink), or payload missed:
	 * picked up mid-stream.
	 */
	if (!syn)
		fs_pickup(&fc->fs);

	/* On the list before it is published: teardown must find it. */
	spin_lock_bh(&fn->conns_lock);
	list_add(&fc->node, &fn->conns);
	fn->nconns++;
	spin_unlock_bh(&fn->conns_lock);
	old = cmpxchg(&h->conn, NULL, fc);
	if (old) {
		/* Another CPU won, or destroy ran: never published. */
		fpm_conn_release(fn, fc);
		return old == FPM_CONN_DEAD ? NULL : old;
	}
	fpm_stat_inc(fn, FPM_STAT_CONNS);
	fpm_map_ctr_add(fpm_conn_map(fn, ct, h->sel), FPM_CTR_CONNS, 1);
	return fc;
}

void fpm_helper_attach(struct fpm_net *fn, struct nf_conn *ct, u8 sel)
{
	struct nf_conn_help *help;
	struct fpm_help_data *h;

	if (READ_ONCE(fpm_exiting))
		return;
	/*
	 * DNAT ran before us: sequence adjustment is not set up yet.  Added
	 * first: every nf_ct_ext_add() may krealloc() ct->ext and free the
	 * old block at once, so no extension pointer is kept across one.
	 */
	if (!nfct_seqadj(ct) && !nfct_seqadj_ext_add(ct)) {
		fpm_stat_inc(fn, FPM_STAT_NOMEM);
		return;
	}
	help = nfct_help(ct);
	if (!help)
		help = nf_ct_helper_ext_add(ct, GFP_ATOMIC);
	if (!help) {
		fpm_stat_inc(fn, FPM_STAT_NOMEM);
		return;
	}
	if (rcu_access_pointer(help->helper))
		return;
	h = (struct fpm_help_data *)help->data;
	memset(h, 0, sizeof(*h));
	h->sel = sel;
	rcu_assign_pointer(help->helper, nf_ct_l3num(ct) == NFPROTO_IPV6 ?
			   &fpm_helpers[1] : &fpm_helpers[0]);
	set_bit(IPS_HELPER_BIT, &ct->status);
}

static void fpm_destroy(struct nf_conn *ct)
{
	struct fpm_help_data *h = fpm_data(ct);
	struct fpm_net *fn;
	struct fpm_conn *fc;

	if (!h)
		return;
	fn = fpm_pernet(nf_ct_net(ct));
	/* A dying namespace frees its states itself (fpm_conns_exit). */
	if (READ_ONCE(fn->dead))
		return;
	fc = xchg(&h->conn, FPM_CONN_DEAD);
	if (fc && fc != FPM_CONN_DEAD)
		fpm_conn_release(fn, fc);
}

/* --- the engine's host functions --------------------------------------- */

static void fpm_addr(const struct nf_conn *ct, const union nf_inet_addr *a,
		     struct fs_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (nf_ct_l3num(ct) == NFPROTO_IPV4) {
		out->family = 4;
		memcpy(out->addr, &a->ip, 4);
	} else {
		out->family = 6;
		memcpy(out->addr, &a->ip6, 16);
	}
}

void *fs_host_alloc_lines(void *host)
{
	return fpm_alloc_lines(((struct fpm_host *)host)->fn);
}

void fs_host_free_lines(void *host, void *p)
{
	kfree(p);
}

static const struct {
	u8 stat;
	const char *log;
} fpm_events[FS_EV__COUNT] = {
	[FS_EV_REJECT]		= { FPM_STAT_PARSE_REJECT },
	[FS_EV_UNPAIRED]	= { FPM_STAT_UNPAIRED },
	[FS_EV_TOOLONG]		= { FPM_STAT_LINE_TOOLONG },
	[FS_EV_TLS]		= { FPM_STAT_TLS,
		"control channel is now TLS: data channels need a passive port range mapping (portmapctl nat-server)" },
	[FS_EV_CCC]		= { FPM_STAT_CCC },
	[FS_EV_OOO]		= { FPM_STAT_OOO },
	[FS_EV_RESYNC]		= { FPM_STAT_RESYNC },
	[FS_EV_HELD]		= { FPM_STAT_HELD },
	[FS_EV_NOMEM]		= { FPM_STAT_NOMEM },
	[FS_EV_REWRITE]		= { FPM_STAT_REWRITES },
	[FS_EV_REWRITE_FAIL]	= { FPM_STAT_REWRITE_FAIL,
		"data address could not be rewritten" },
	[FS_EV_ADDR_MISMATCH]	= { FPM_STAT_ADDR_MISMATCH,
		"data address is not the control peer's" },
	[FS_EV_PORT_LOW]	= { FPM_STAT_PORT_LOW,
		"data port below 1024 refused" },
};

/*
 * To nf_log, as nf_ct_helper_log() words it; not through it: it reads the
 * helper's name from the conntrack, where ctnetlink may have just unset
 * the helper (NULL) while this help() runs.
 */
static void fpm_nf_log(struct sk_buff *skb, const struct nf_conn *ct,
		       const char *why)
{
	nf_log_packet(nf_ct_net(ct), nf_ct_l3num(ct), 0, skb, NULL, NULL, NULL,
		      "nf_ct_%s: dropping packet: %s ",
		      FTP_PORTMAP_HELPER_NAME, why);
}

/* A refusal: traced, and reported to nf_log. */
static void fpm_refuse(struct fpm_host *g, const char *why)
{
	trace_fpm_refuse(g->ct, g->dir, why);
	fpm_nf_log(g->skb, g->ct, why);
}

void fs_host_event(void *host, enum fs_event ev)
{
	struct fpm_host *g = host;

	if ((unsigned int)ev >= FS_EV__COUNT)
		return;
	fpm_stat_inc(g->fn, fpm_events[ev].stat);
	switch (ev) {
	case FS_EV_REWRITE:
		g->rewrites++;
		break;
	case FS_EV_REJECT:
		fpm_refuse(g, "line of interest failed validation");
		break;
	case FS_EV_UNPAIRED:
		fpm_refuse(g, "reply answering no matching command");
		break;
	case FS_EV_REWRITE_FAIL:
	case FS_EV_ADDR_MISMATCH:
	case FS_EV_PORT_LOW:
		fpm_refuse(g, fpm_events[ev].log);
		break;
	default:
		break;
	}
	if (fpm_events[ev].log)
		fpm_log(g->ct, fpm_events[ev].log);
}

void fs_host_line(void *host, const struct fp_line *line, fp_u32 seq)
{
	struct fpm_host *g = host;

	trace_fpm_line(g->ct, g->dir, fp_kind_name(line->kind), seq,
		       line->len);
}

fp_u16 fs_host_expect(void *host, const struct fs_expect *e)
{
	struct fpm_host *g = host;
	struct nf_conn *ct = g->ct;
	struct nf_conn_help *help = nfct_help(ct);
	const struct fp_line *pl = e->line;
	const union nf_inet_addr *daddr;
	struct nf_conntrack_expect *exp;
	union nf_inet_addr named;
	__be16 port = htons(pl->ep.port);
	u16 used;

	if (nf_ct_is_dying(ct))
		return 0;
	if ((g->fs.flags & FS_S_STRICT) &&
	    help->expecting[NF_CT_EXPECT_CLASS_DEFAULT] >=
	    READ_ONCE(g->fn->max_expect)) {
		fpm_stat_inc(g->fn, FPM_STAT_EXPECT_LIMIT);
		fpm_log(ct, "too many pending data connections: refused");
		fpm_refuse(g, "too many pending data connections");
		return 0;
	}
	exp = nf_ct_expect_alloc(ct);
	if (!exp) {
		fpm_stat_inc(g->fn, FPM_STAT_EXPECT_FAIL);
		return 0;
	}
	memset(&named, 0, sizeof(named));
	if (pl->ep.family == 4)
		memcpy(&named.ip, pl->ep.addr, 4);
	else if (pl->ep.family == 6)
		memcpy(&named.ip6, pl->ep.addr, 16);
	else
		named = ct->tuplehash[g->dir].tuple.src.u3;
	/* A third-party address (loose mode) is expected as named, unNATed. */
	daddr = e->own ? &ct->tuplehash[!g->dir].tuple.dst.u3 : &named;
	nf_ct_expect_init(exp, NF_CT_EXPECT_CLASS_DEFAULT, nf_ct_l3num(ct),
			  &ct->tuplehash[!g->dir].tuple.src.u3, daddr,
			  IPPROTO_TCP, NULL, &port);
	fpm_compat_exp_init(exp);

	if ((g->fs.flags & FS_S_NAT) && e->own)
		used = fpm_nat_expect(exp, g->dir, pl->ep.port, e->keep_port);
	else
		used = nf_ct_expect_related(exp, 0) ? 0 : pl->ep.port;
	nf_ct_expect_put(exp);
	trace_fpm_expect(ct, g->dir, pl->ep.port, used, e->own);
	if (!used) {
		fpm_stat_inc(g->fn, FPM_STAT_EXPECT_FAIL);
		fpm_log(ct, "cannot expect the data connection");
		fpm_refuse(g, "cannot expect the data connection");
		return 0;
	}
	fpm_stat_inc(g->fn, FPM_STAT_EXPECTS);
	g->expects++;
	return used;
}

/* --- the helper ---------------------------------------------------------- */

/*
 * The payload [@off, @off + @len) of @skb where it lies, to be read in
 * place, or NULL when it must be copied: it is in place when the head
 * holds all of it, or one page fragment does whose page nobody may write
 * meanwhile.  Fragments that may change while they are read (vmsplice(),
 * sendfile(), MSG_ZEROCOPY: skb_has_shared_frag(), skb_zcopy()) are
 * copied, because the engine's word loops rely on an LF they found
 * staying where it is; so are fragments the host cannot read (device
 * memory) and pages without a kernel address (high memory).
 * Error-injectable: the faults suite forces the copy this way.
 */
static noinline __noclone const char *
fpm_payload_in_place(struct sk_buff *skb, unsigned int off, unsigned int len)
{
	const struct skb_shared_info *si;
	unsigned int hl = skb_headlen(skb), i;

	if (off + len <= hl)
		return skb->data + off;
	if (off < hl || skb_has_shared_frag(skb) || skb_zcopy(skb) ||
	    !fpm_skb_frags_readable(skb))
		return NULL;
	si = skb_shinfo(skb);
	off -= hl;
	for (i = 0; i < si->nr_frags; i++) {
		const skb_frag_t *f = &si->frags[i];
		unsigned int fl = skb_frag_size(f);
		const char *p;

		if (off < fl) {
			if (len > fl - off)
				return NULL;
			p = skb_frag_address_safe(f);
			return p ? p + off : NULL;
		}
		off -= fl;
	}
	return NULL;
}
ALLOW_ERROR_INJECTION(fpm_payload_in_place, NULL);

static int fpm_help(struct sk_buff *skb, unsigned int protoff,
		    struct nf_conn *ct, enum ip_conntrack_info ctinfo)
{
	struct fpm_help_data *h = fpm_data(ct);
	const struct ip_ct_tcp_state *peer;
	const struct tcphdr *th;
	struct fpm_conn *fc;
	struct fpm_host g;
	struct fpm_net *fn;
	struct tcphdr _th;
	const char *data;
	unsigned int dataoff, len;
	int dir = CTINFO2DIR(ctinfo);
	u32 seq;
	bool fin;
	int ret;

	if (!h || READ_ONCE(fpm_exiting))
		return NF_ACCEPT;
	/*
	 * Only the connection's own TCP segments: an ICMP error about it
	 * (IP_CT_RELATED) reaches help() too, with @protoff at the ICMP
	 * header and bytes anybody on the path can choose after it.
	 */
	if (ctinfo != IP_CT_NEW && ctinfo != IP_CT_ESTABLISHED &&
	    ctinfo != IP_CT_ESTABLISHED_REPLY)
		return NF_ACCEPT;
	fn = fpm_pernet(nf_ct_net(ct));
	if (READ_ONCE(fn->dead))
		return NF_ACCEPT;
	th = skb_header_pointer(skb, protoff, sizeof(_th), &_th);
	if (!th)
		return NF_ACCEPT;
	dataoff = protoff + th->doff * 4;
	len = skb->len > dataoff ? skb->len - dataoff : 0;
	seq = ntohl(th->seq);
	fin = th->fin;
	if (th->syn) {
		/* Data in a SYN (TCP Fast Open) is not parsed. */
		WRITE_ONCE(h->isn[dir], seq + 1 + len);
		/* isn before isn_ok: pairs with fpm_conn_get(). */
		smp_store_release(&h->isn_ok[dir], 1);
		return NF_ACCEPT;
	}
	if (!len)
		return NF_ACCEPT;
	fc = fpm_conn_get(fn, ct, h);
	if (!fc)
		return NF_ACCEPT;
	data = fpm_payload_in_place(skb, dataoff, len);
	/* A payload to copy that is too long for the scratch buffer. */
	if (!data && len > FPM_SCRATCH) {
		if (unlikely(skb_linearize(skb)))
			return NF_DROP;
		data = skb->data + dataoff;
	}

	memset(&g, 0, offsetof(struct fpm_host, fs.rep));
	g.skb = skb;
	g.ct = ct;
	g.fn = fn;
	g.dir = dir;
	g.fs.host = &g;
	g.fs.seq = seq;
	g.fs.len = len;
	g.fs.dir = dir == IP_CT_DIR_ORIGINAL ? FS_CLIENT : FS_SERVER;
	if (ct->status & IPS_NAT_MASK)
		g.fs.flags |= FS_S_NAT;
	if (READ_ONCE(fn->strict))
		g.fs.flags |= FS_S_STRICT;
	fpm_addr(ct, &ct->tuplehash[dir].tuple.src.u3, &g.fs.own);
	fpm_addr(ct, &ct->tuplehash[!dir].tuple.dst.u3, &g.fs.pub);
	/* The peer's highest ACK, in this direction's numbering (conntrack). */
	peer = &ct->proto.tcp.seen[!dir];
	if (READ_ONCE(peer->flags) & IP_CT_TCP_FLAG_MAXACK_SET) {
		g.fs.acked = READ_ONCE(peer->td_maxack);
		g.fs.flags |= FS_S_ACKED;
	}

	spin_lock_bh(&fc->lock);
	/*
	 * The payload where it lies (fpm_payload_in_place()), else a copy in
	 * this CPU's scratch buffer (no skb_linearize() with its allocation
	 * for every segment only read): the buffer is used only here, with
	 * bottom halves off (on PREEMPT_RT too, where that holds a per-CPU
	 * lock).  The engine keeps nothing of the payload past fs_segment()
	 * and never reads outside it (the unit and fuzz builds give it
	 * exact-size heap copies under AddressSanitizer).  Edits go to the
	 * skb itself after that (fpm_nat_apply() makes it writable).
	 */
	if (!data)
		data = skb_header_pointer(skb, dataoff, len,
					  this_cpu_ptr(fpm_scratch));
	if (unlikely(!data)) {
		spin_unlock_bh(&fc->lock);
		return NF_DROP;
	}
	g.fs.data = data;
	fs_segment(&fc->fs, &g.fs);
	ret = fpm_nat_apply(skb, ct, ctinfo, protoff, &g.fs, fin);
	h->lines = min_t(u64, (u64)h->lines + g.fs.lines, U32_MAX);
	h->rewrites = min_t(u32, h->rewrites + g.rewrites, U16_MAX);
	h->expects = min_t(u32, h->expects + g.expects, U16_MAX);
	spin_unlock_bh(&fc->lock);

	if (g.fs.drop || g.fs.keep < g.fs.len) {
		trace_fpm_verdict(ct, dir, seq, len, g.fs.head, g.fs.keep,
				  g.fs.drop || ret != NF_ACCEPT);
		fpm_nf_log(skb, ct, g.fs.drop ?
			   "segment dropped for the sender to send again" :
			   "segment tail held back for the sender to send again");
	}

	/*
	 * Deliberate drops (the engine's, or a held-back tail with the FIN,
	 * which fpm_nat_apply() drops whole) are counted as ooo or held, not
	 * as failures.
	 */
	if (ret != NF_ACCEPT && !g.fs.drop && !(fin && g.fs.keep < g.fs.len))
		fpm_stat_inc(fn, FPM_STAT_REWRITE_FAIL);
	if (g.fs.lines)
		fpm_stat_add(fn, FPM_STAT_LINES, g.fs.lines);
	if (h->sel && (g.fs.lines || g.expects || g.rewrites)) {
		struct fpm_map *m = fpm_conn_map(fn, ct, h->sel);

		fpm_map_ctr_add(m, FPM_CTR_LINES, g.fs.lines);
		fpm_map_ctr_add(m, FPM_CTR_EXPECTS, g.expects);
		fpm_map_ctr_add(m, FPM_CTR_REWRITES, g.rewrites);
	}
	return ret;
}

/* --- ctnetlink: what conn list shows -------------------------------------- */

/* The most fpm_to_nlattr() puts (CTA_HELP_INFO and its attributes). */
#define FPM_CI_SIZE	(nla_total_size(0) + 5 * nla_total_size(sizeof(u32)) + \
			 nla_total_size(sizeof(u16)) + \
			 nla_total_size(sizeof(u8)) + nla_total_size(16))

/*
 * Per-connection information in CTA_HELP (include/uapi/ftp_portmap.h:
 * enum fpm_conn_info).  Called under rcu_read_lock.  ctnetlink sizes its
 * event messages without helper information: all of it fits, or none.
 */
static int fpm_to_nlattr(struct sk_buff *skb, const struct nf_conn *ct)
{
	const struct nf_conn_help *help = nfct_help(ct);
	const struct fpm_help_data *h;
	struct fpm_conn *fc;
	struct nlattr *info;
	struct fpm_key key;
	u32 flags = 0, pending = 0;
	int i;

	if (!help || skb_tailroom(skb) < FPM_CI_SIZE)
		return 0;
	h = (const struct fpm_help_data *)help->data;
	fc = READ_ONCE(h->conn);
	if (ct->status & IPS_NAT_MASK)
		flags |= FPM_CIF_NAT;
	if (READ_ONCE(h->nomem))
		flags |= FPM_CIF_GAVE_UP;
	if (!fc || fc == FPM_CONN_DEAD) {
		flags |= FPM_CIF_NOSTATE;
	} else {
		u8 c = READ_ONCE(fc->fs.flags);
		u8 d = READ_ONCE(fc->fs.dir[0].flags) |
		       READ_ONCE(fc->fs.dir[1].flags);

		if (d & FS_D_TLS)
			flags |= FPM_CIF_TLS;
		else if (c & FS_C_TLS)
			flags |= FPM_CIF_WAS_TLS;
		if (c & FS_C_UNSYNC)
			flags |= FPM_CIF_UNPAIRED;
	}
	for (i = 0; i < NF_CT_MAX_EXPECT_CLASSES; i++)
		pending += help->expecting[i];

	info = nla_nest_start(skb, CTA_HELP_INFO);
	if (!info)
		return -EMSGSIZE;
	if (nla_put_u32(skb, FPM_CI_FLAGS, flags))
		goto cancel;
	if (h->sel & FPM_SEL_MAPPED) {
		fpm_conn_key(ct, h->sel, &key);
		if (nla_put_u16(skb, FPM_CI_PORT, key.port) ||
		    (key.family &&
		     (nla_put_u8(skb, FPM_CI_FAMILY, key.family) ||
		      (key.family == AF_INET ?
		       nla_put_in_addr(skb, FPM_CI_HOST4, key.addr.ip) :
		       nla_put_in6_addr(skb, FPM_CI_HOST6, &key.addr.in6)))))
			goto cancel;
	}
	if (!(flags & FPM_CIF_NOSTATE) &&
	    (nla_put_u32(skb, FPM_CI_LINES, READ_ONCE(h->lines)) ||
	     nla_put_u32(skb, FPM_CI_REWRITES, READ_ONCE(h->rewrites)) ||
	     nla_put_u32(skb, FPM_CI_EXPECTS, READ_ONCE(h->expects)) ||
	     nla_put_u32(skb, FPM_CI_PENDING, pending)))
		goto cancel;
	nla_nest_end(skb, info);
	return 0;

cancel:
	nla_nest_cancel(skb, info);
	return -EMSGSIZE;
}

/* --- teardown ------------------------------------------------------------ */

/* Called under nf_conntrack_expect_lock. */
static bool fpm_exp_ours(struct nf_conntrack_expect *exp, void *data)
{
	struct nf_conn_help *help = nfct_help(exp->master);

	return help && fpm_is_ours(rcu_access_pointer(help->helper));
}

/*
 * Module exit, step one: no help() allocates or expects anything after
 * this, and no expectation of ours is left.
 */
void fpm_helper_quiesce(void)
{
	WRITE_ONCE(fpm_exiting, true);
	synchronize_rcu();
	nf_ct_expect_iterate_destroy(fpm_exp_ours, NULL);
}

/*
 * Is @fc's conntrack gone, or no longer ours, without helper->destroy
 * having run?  That happens when the helper is unset from a conntrack
 * (ctnetlink with an empty helper name): destroy is then never called.
 * Called under rcu_read_lock and fn->conns_lock.
 */
static bool fpm_conn_orphan(struct fpm_conn *fc)
{
	struct nf_conn *ct = READ_ONCE(fc->ct);
	struct fpm_help_data *h;
	struct nf_conn_help *help;
	bool orphan = true;

	if (!ct)
		return false;		/* being released right now */
	/* Conntracks are SLAB_TYPESAFE_BY_RCU: ct may be another one now. */
	if (!refcount_inc_not_zero(&ct->ct_general.use))
		return true;
	/*
	 * Another, unconfirmed one may still be getting extensions added
	 * (ct->ext moves): ours was confirmed before it got a state.
	 */
	smp_acquire__after_ctrl_dep();
	if (!nf_ct_is_confirmed(ct)) {
		nf_ct_put(ct);
		return true;
	}
	help = nfct_help(ct);
	h = help ? (struct fpm_help_data *)help->data : NULL;
	if (h && fpm_is_ours(rcu_dereference(help->helper))) {
		struct fpm_conn *cur = READ_ONCE(h->conn);

		/* NULL: about to be published by fpm_conn_get(). */
		orphan = cur != fc && cur;
	}
	nf_ct_put(ct);
	return orphan;
}

/*
 * Reclaim states whose conntrack lost the helper: FPM_GC_BATCH list
 * entries a run, each moved to the tail, so the whole list is visited
 * in turn.
 */
static void fpm_gc(struct work_struct *work)
{
	struct fpm_net *fn = container_of(to_delayed_work(work),
					  struct fpm_net, gc);
	struct fpm_conn *fc, *tmp;
	unsigned int n, todo;
	LIST_HEAD(reap);

	rcu_read_lock();
	spin_lock_bh(&fn->conns_lock);
	todo = min_t(unsigned int, fn->nconns, FPM_GC_BATCH);
	for (n = 0; n < todo; n++) {
		fc = list_first_entry(&fn->conns, struct fpm_conn, node);
		if (fpm_conn_orphan(fc) && xchg(&fc->ct, NULL)) {
			list_move(&fc->node, &reap);
			fn->nconns--;
		} else {
			list_move_tail(&fc->node, &fn->conns);
		}
	}
	spin_unlock_bh(&fn->conns_lock);
	rcu_read_unlock();
	list_for_each_entry_safe(fc, tmp, &reap, node) {
		list_del(&fc->node);
		fpm_stat_inc(fn, FPM_STAT_ORPHANS);
		call_rcu(&fc->rcu, fpm_conn_free_rcu);
	}
	if (!READ_ONCE(fn->dead))
		queue_delayed_work(system_power_efficient_wq, &fn->gc,
				   FPM_GC_INTERVAL);
}

void fpm_conns_init(struct fpm_net *fn)
{
	spin_lock_init(&fn->conns_lock);
	INIT_LIST_HEAD(&fn->conns);
	INIT_DELAYED_WORK(&fn->gc, fpm_gc);
	queue_delayed_work(system_power_efficient_wq, &fn->gc,
			   FPM_GC_INTERVAL);
}

/* fpm_net.dead is set: stop reclaiming. */
void fpm_conns_pre_exit(struct fpm_net *fn)
{
	cancel_delayed_work_sync(&fn->gc);
}

/*
 * A namespace goes (or the module): fpm_net.dead was set and an RCU grace
 * period has passed, so neither help() nor destroy() touches these
 * states any more.
 */
void fpm_conns_exit(struct fpm_net *fn)
{
	struct fpm_conn *fc, *tmp;
	LIST_HEAD(list);

	spin_lock_bh(&fn->conns_lock);
	list_splice_init(&fn->conns, &list);
	fn->nconns = 0;
	spin_unlock_bh(&fn->conns_lock);
	list_for_each_entry_safe(fc, tmp, &list, node) {
		list_del(&fc->node);
		fs_release(&fc->fs, NULL);
		kfree(fc);
	}
}

int fpm_helper_init(void)
{
	int i, err;

	NF_CT_HELPER_BUILD_BUG_ON(sizeof(struct fpm_help_data));
	fpm_scratch = __alloc_percpu(FPM_SCRATCH, SMP_CACHE_BYTES);
	if (!fpm_scratch)
		return -ENOMEM;
	for (i = 0; i < 2; i++) {
		nf_ct_helper_init(&fpm_helpers[i], i ? AF_INET6 : AF_INET,
				  IPPROTO_TCP, FTP_PORTMAP_HELPER_NAME,
				  FPM_HELPER_TUPLE_PORT, FPM_HELPER_TUPLE_PORT,
				  0, &fpm_exp_policy, 0, fpm_help, NULL,
				  THIS_MODULE);
		fpm_helpers[i].destroy = fpm_destroy;
		fpm_helpers[i].to_nlattr = fpm_to_nlattr;
		fpm_helpers[i].data_len = sizeof(struct fpm_help_data);
	}
	err = nf_conntrack_helpers_register(fpm_helpers,
					    ARRAY_SIZE(fpm_helpers));
	if (err) {
		pr_err("cannot register conntrack helper %s: %d\n",
		       FTP_PORTMAP_HELPER_NAME, err);
		free_percpu(fpm_scratch);
		fpm_scratch = NULL;
	}
	return err;
}

void fpm_helper_exit(void)
{
	/*
	 * Unregistering waits for every fpm_help() under way (RCU) and takes
	 * the helper off every conntrack: nobody uses the scratch buffers.
	 */
	nf_conntrack_helpers_unregister(fpm_helpers, ARRAY_SIZE(fpm_helpers));
	free_percpu(fpm_scratch);
	fpm_scratch = NULL;
}
