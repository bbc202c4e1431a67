/* SPDX-License-Identifier: GPL-2.0 */
/*
 * helper.h - per-connection state of the ftp-portmap conntrack helper and
 * the NAT primitives helper.c uses from nat.c.
 */
#ifndef FPM_HELPER_H
#define FPM_HELPER_H

#include <linux/spinlock.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_expect.h>

#include "ftp_parse.h"
#include "ftp_stream.h"
#include "ftp_portmap.h"

/*
 * Per-connection state, allocated (kmalloc-96 on 64-bit) only for a
 * confirmed conntrack once it carries payload.  Reachable from the
 * conntrack through fpm_help_data.conn and from the namespace through
 * fpm_net.conns.  Freed exactly once, after an RCU grace period, by whoever
 * takes it out of fpm_help_data.conn (helper->destroy) or, for what is left
 * when the namespace goes, by fpm_conns_exit().
 */
struct fpm_conn {
	struct fs_conn fs;		/* the engine's state */
	spinlock_t lock;		/* serialises the engine per connection */
	union {
		struct list_head node;	/* in fpm_net.conns */
		struct rcu_head rcu;	/* once out of it */
	};
	struct nf_conn *ct;
};

/* fpm_help_data.conn once the state is gone: never allocated again. */
#define FPM_CONN_DEAD	((struct fpm_conn *)1UL)

/* Which tuple fields hold the key of the mapping that matched. */
enum {
	FPM_SEL_MAPPED		= BIT(0),	/* attached by the table */
	FPM_SEL_PORT_REPLY	= BIT(1),	/* port: reply src, else orig dst */
	FPM_SEL_HOST		= BIT(2),	/* a host mapping: */
	FPM_SEL_ADDR_REPLY	= BIT(3),	/* ...reply src, else orig dst */
};

/*
 * What nf_conn_help.data holds for us (at most 32 bytes): written while
 * the conntrack is unconfirmed (attach) or with atomics (isn, conn).
 */
struct fpm_help_data {
	struct fpm_conn *conn;		/* NULL, the state, or FPM_CONN_DEAD */
	u32 isn[IP_CT_DIR_MAX];		/* first payload byte, from the SYN */
	u8 isn_ok[IP_CT_DIR_MAX];
	u8 sel;				/* FPM_SEL_* */
	u8 nomem;			/* the last allocation attempt failed */
	/* Per-connection counters (conn list), saturating, under fc->lock. */
	u32 lines;
	u16 rewrites;
	u16 expects;
};

void fpm_helper_attach(struct fpm_net *fn, struct nf_conn *ct, u8 sel);
bool fpm_helps(const struct nf_conn *ct);
struct fpm_map *fpm_conn_map(struct fpm_net *fn, const struct nf_conn *ct,
			     u8 sel);
extern bool fpm_exiting;

/* nat.c */
u16 fpm_nat_expect(struct nf_conntrack_expect *exp, int dir, u16 port,
		   bool keep_port);
int fpm_nat_apply(struct sk_buff *skb, struct nf_conn *ct,
		  enum ip_conntrack_info ctinfo, unsigned int protoff,
		  const struct fs_seg *s, bool fin);

#endif /* FPM_HELPER_H */
