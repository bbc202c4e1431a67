/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ftp_portmap - internal interfaces between the module's subsystems:
 *
 *   main.c       module init/exit, per-netns state (pernet_operations)
 *   table.c      the per-netns port-mapping table (RCU readers, mutex writers)
 *   netlink.c    the "ftp_portmap" generic netlink family
 *   attach.c     netfilter hooks attaching the helper to mapped connections
 *   helper.c     the "ftp-portmap" conntrack helper: conntrack glue around
 *                the stream engine (ftp_stream.c)
 *   nat.c        NAT side: NATed expectations, segment edits, seqadj
 *   ftp_parse.c  the parser; ftp_stream.c the control-stream engine (pure C)
 */
#ifndef FTP_PORTMAP_H
#define FTP_PORTMAP_H

#include <linux/types.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/list.h>
#include <linux/rcupdate.h>
#include <linux/atomic.h>
#include <linux/percpu.h>
#include <linux/u64_stats_sync.h>
#include <linux/workqueue.h>
#include <linux/netfilter.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/netlink.h>
#include <net/netfilter/nf_conntrack_tuple.h>

#include "compat.h"
#include "../include/uapi/ftp_portmap.h"

#define FPM_VERSION		"0.2.0"

/* Defaults of the per-namespace settings. */
#define FPM_DEFAULT_STRICT	true
#define FPM_DEFAULT_MAX_EXPECT	4
#define FPM_MAX_EXPECT_LIMIT	64

struct fpm_key {
	u16 port;			/* host order */
	u8 family;			/* 0 (any host), AF_INET, AF_INET6 */
	u8 pad;
	union nf_inet_addr addr;	/* valid when family != 0, else zero */
};

/*
 * A mapping.  In its port's list (wildcard first, then host mappings,
 * newest first: the dump order); a host mapping is also in
 * the namespace's host hash (hnode[] of the table generation in use).
 * Freed after an RCU grace period.
 */
struct fpm_map {
	struct hlist_node pnode;
	struct hlist_node hnode[2];
	struct fpm_key key;
	atomic64_t ctr[__FPM_CTR_MAX];
	struct rcu_head rcu;
};

/* Ports are split in FPM_TBL_HI chunks of FPM_TBL_LO lists. */
#define FPM_TBL_BITS_LO		8
#define FPM_TBL_LO		(1U << FPM_TBL_BITS_LO)
#define FPM_TBL_HI		(65536U >> FPM_TBL_BITS_LO)

struct fpm_chunk {
	struct hlist_head port[FPM_TBL_LO];
};

/* The host hash: grows by 4x, readers follow hnode[gen]. */
struct fpm_htab {
	u32 mask;
	u8 gen;
	struct rcu_head rcu;
	struct hlist_head bucket[];
};

/*
 * attach.c: PRE_ROUTING and LOCAL_OUT, for IPv4 and IPv6, and the
 * related-NAT hook at PRE_ROUTING for both.
 */
#define FPM_ATTACH_HOOKS	6

/* Per-CPU namespace counters. */
struct fpm_pcpu {
	u64_stats_t stat[__FPM_STAT_MAX];
	struct u64_stats_sync syncp;
};

struct fpm_net {
	/* Read on the packet path, written rarely (under lock). */
	bool strict;			/* READ_ONCE */
	bool dead;			/* the namespace is going away */
	u32 max_expect;			/* READ_ONCE */
	struct fpm_pcpu __percpu *pcpu;
	struct mem_cgroup *memcg;	/* charged for per-connection state */
	struct net *net;
	u32 hseed;
	struct fpm_chunk __rcu *chunk[FPM_TBL_HI];
	struct fpm_htab __rcu *htab;

	/* Writers of the table and the settings. */
	struct mutex lock ____cacheline_aligned_in_smp;
	u32 count;			/* mappings */
	u32 hcount;			/* host mappings */
	u32 gen;			/* table changes, for dump consistency */
	/* Grace period after which no reader walks the retired hash. */
	unsigned long htab_retired;
	struct nf_hook_ops hook_ops[FPM_ATTACH_HOOKS];

	/* Per-connection states (struct fpm_conn), for reclaim/teardown. */
	spinlock_t conns_lock ____cacheline_aligned_in_smp;
	struct list_head conns;
	u32 nconns;
	struct delayed_work gc;
};

extern unsigned int fpm_net_id;
extern unsigned int fpm_max_mappings;

static inline struct fpm_net *fpm_pernet(const struct net *net)
{
	return net_generic(net, fpm_net_id);
}

static inline void fpm_stat_add(struct fpm_net *fn, enum fpm_stat s, u64 n)
{
	struct fpm_pcpu *p = get_cpu_ptr(fn->pcpu);
	unsigned long flags;

	flags = u64_stats_update_begin_irqsave(&p->syncp);
	u64_stats_add(&p->stat[s], n);
	u64_stats_update_end_irqrestore(&p->syncp, flags);
	put_cpu_ptr(fn->pcpu);
}

static inline void fpm_stat_inc(struct fpm_net *fn, enum fpm_stat s)
{
	fpm_stat_add(fn, s, 1);
}

u64 fpm_stat_read(struct fpm_net *fn, enum fpm_stat s);
void fpm_stats_reset(struct fpm_net *fn);

/* table.c */
void fpm_table_init(struct fpm_net *fn);
void fpm_table_exit(struct fpm_net *fn);
int fpm_map_add(struct fpm_net *fn, const struct fpm_key *key,
		struct netlink_ext_ack *extack);
int fpm_map_del(struct fpm_net *fn, const struct fpm_key *key,
		struct netlink_ext_ack *extack);
void fpm_map_flush(struct fpm_net *fn);
void fpm_map_ctr_reset(struct fpm_net *fn);
/* Exact (port, host) match; caller holds rcu_read_lock or fn->lock. */
struct fpm_map *fpm_map_find(struct fpm_net *fn, const struct fpm_key *key);
/*
 * Packet-path lookup under rcu_read_lock: the mapping for @port whose host
 * is @addr (family AF_INET/AF_INET6), else the port's wildcard mapping,
 * else NULL.  Constant time.
 */
struct fpm_map *fpm_map_lookup(struct fpm_net *fn, u16 port, u8 family,
			       const union nf_inet_addr *addr);
/*
 * Iteration for dumps, under rcu_read_lock: the mapping at cursor (*port,
 * *idx) or the next one, advancing the cursor past it; NULL at the end.
 * @prev: NULL, or the mapping the previous call returned in the same
 * read-side section, whose chain is then followed on from it.
 */
struct fpm_map *fpm_map_next(struct fpm_net *fn, u32 *port, u32 *idx,
			     struct fpm_map *prev);

static inline void fpm_map_ctr_add(struct fpm_map *m, enum fpm_ctr c, u64 n)
{
	/* Nothing to add is no locked operation on the shared counter. */
	if (m && n)
		atomic64_add(n, &m->ctr[c]);
}

/* netlink.c */
int fpm_genl_init(void);
void fpm_genl_exit(void);

/* attach.c */
int fpm_attach_enable(struct fpm_net *fn);
void fpm_attach_disable(struct fpm_net *fn);

/* helper.c */
int fpm_helper_init(void);
void fpm_helper_quiesce(void);
void fpm_helper_exit(void);
void fpm_conns_init(struct fpm_net *fn);
void fpm_conns_pre_exit(struct fpm_net *fn);
void fpm_conns_exit(struct fpm_net *fn);

#endif /* FTP_PORTMAP_H */
