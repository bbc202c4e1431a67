/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ftp_portmap - internal interfaces between the module's subsystems:
 *
 *   main.c     module init/exit, per-netns state (pernet_operations)
 *   table.c    the per-netns port-mapping table (RCU readers, mutex writers)
 *   netlink.c  the "ftp_portmap" generic netlink family
 *   attach.c   netfilter hooks attaching the helper to mapped connections
 *   helper.c   the "ftp-portmap" conntrack helper: control stream tracking
 *   nat.c      NAT rewriting of control lines and data-connection setup
 */
#ifndef FTP_PORTMAP_H
#define FTP_PORTMAP_H

#include <linux/types.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/atomic.h>
#include <linux/netfilter.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/netlink.h>
#include <net/netfilter/nf_conntrack_tuple.h>

#include "compat.h"
#include "../include/uapi/ftp_portmap.h"

#define FPM_VERSION		"0.1.0"

/* Defaults of the per-namespace settings. */
#define FPM_DEFAULT_STRICT	true
#define FPM_DEFAULT_MAX_EXPECT	4
#define FPM_MAX_EXPECT_LIMIT	64

/* A mapping's counters; outlives the mapping while connections use it. */
struct fpm_counters {
	refcount_t ref;
	atomic64_t ctr[__FPM_CTR_MAX];
	struct rcu_head rcu;
};

struct fpm_key {
	u16 port;			/* host order */
	u8 family;			/* 0 (any host), AF_INET, AF_INET6 */
	union nf_inet_addr addr;	/* valid when family != 0 */
};

struct fpm_map {
	struct hlist_node node;		/* in its port's chain (RCU) */
	struct fpm_key key;
	struct fpm_counters *ctr;
	struct rcu_head rcu;
};

/*
 * The table: ports are split in FPM_TBL_HI chunks of FPM_TBL_LO chains,
 * a chunk allocated when its first mapping comes.  A lookup is two array
 * indexes and a walk of one port's chain (its host-specific entries and
 * at most one wildcard).
 */
#define FPM_TBL_BITS_LO		8
#define FPM_TBL_LO		(1U << FPM_TBL_BITS_LO)
#define FPM_TBL_HI		(65536U >> FPM_TBL_BITS_LO)

/* attach.c: PRE_ROUTING and LOCAL_OUT, for IPv4 and IPv6. */
#define FPM_ATTACH_HOOKS	4

struct fpm_chunk {
	struct hlist_head chain[FPM_TBL_LO];
};

struct fpm_net {
	struct mutex lock;		/* writers of table and settings */
	struct fpm_chunk __rcu *chunk[FPM_TBL_HI];
	u32 count;			/* mappings, under lock */
	bool strict;			/* READ_ONCE on the packet path */
	u32 max_expect;			/* READ_ONCE on the packet path */
	atomic64_t stat[__FPM_STAT_MAX];
	struct net *net;
	struct nf_hook_ops hook_ops[FPM_ATTACH_HOOKS];
};

extern unsigned int fpm_net_id;
extern unsigned int fpm_max_mappings;

static inline struct fpm_net *fpm_pernet(const struct net *net)
{
	return net_generic(net, fpm_net_id);
}

static inline void fpm_stat_inc(struct fpm_net *fn, enum fpm_stat s)
{
	atomic64_inc(&fn->stat[s]);
}

static inline void fpm_ctr_inc(struct fpm_counters *c, enum fpm_ctr i)
{
	if (c)
		atomic64_inc(&c->ctr[i]);
}

/* table.c */
int fpm_table_init(struct fpm_net *fn);
void fpm_table_exit(struct fpm_net *fn);
int fpm_map_add(struct fpm_net *fn, const struct fpm_key *key,
		struct netlink_ext_ack *extack);
int fpm_map_del(struct fpm_net *fn, const struct fpm_key *key,
		struct netlink_ext_ack *extack);
void fpm_map_flush(struct fpm_net *fn);
/* Exact (port, host) match; caller holds rcu_read_lock or fn->lock. */
struct fpm_map *fpm_map_find(struct fpm_net *fn, const struct fpm_key *key);
/*
 * Packet-path lookup under rcu_read_lock: the mapping for @port whose host
 * is @addr, else the port's wildcard mapping, else NULL.
 */
struct fpm_map *fpm_map_lookup(struct fpm_net *fn, u16 port, u8 family,
			       const union nf_inet_addr *addr);
/*
 * Iteration for dumps, in (port, chain position) order, under
 * rcu_read_lock: returns the mapping at or after cursor (*port, *idx) and
 * advances the cursor past it, or NULL at the end.
 */
struct fpm_map *fpm_map_next(struct fpm_net *fn, u32 *port, u32 *idx);
struct fpm_counters *fpm_counters_get(struct fpm_counters *c);
void fpm_counters_put(struct fpm_counters *c);

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

#endif /* FTP_PORTMAP_H */
