/* SPDX-License-Identifier: GPL-2.0 */
/*
 * portmapctl - the libnftables layer of "nat-server".
 *
 * The rules live in one table of their own, "inet ftp_portmap", and every
 * change is one nft script run as one transaction (all or nothing).  A
 * rule keeps its whole description in its comment, so the ruleset can be
 * read back without interpreting nft expressions:
 *
 *   fpm tcp g=203.0.113.1 8021-8021 i=10.10.10.10 6293-6293 ftp
 *   fpm tcp if=eth0 30000-30009 i=10.10.10.10 30000-30009
 *
 * An address rule is in two chains (nat_prerouting for what arrives,
 * nat_output for what the router itself sends); an iif rule only in
 * nat_prerouting.  Both copies carry the same comment.
 */
#ifndef PORTMAPCTL_NFT_H
#define PORTMAPCTL_NFT_H

#include <net/if.h>

#include "portmapctl.h"

#define PM_NFT_TABLE	"ftp_portmap"	/* family inet */
#define PM_NFT_COMMENT_TAG	"fpm"

/* One nat-server rule: global side -> inside side. */
struct pm_ns_rule {
	int proto;			/* IPPROTO_TCP or IPPROTO_UDP */
	int family;			/* AF_INET or AF_INET6 (both sides) */
	bool by_iif;			/* global side is "iif IFNAME" */
	union pm_addr global;		/* when !by_iif */
	char iif[IFNAMSIZ];		/* when by_iif */
	uint16_t glo, ghi;		/* global ports */
	union pm_addr inside;
	uint16_t ilo, ihi;		/* inside ports */
	bool ftp;			/* the FTP port mapping goes with it */

	/* Read back from the kernel (pm_nft_read). */
	uint64_t conns;			/* packets through the nat chains:
					 * one per new connection */
	unsigned int nhandles;
	struct {
		char chain[32];
		uint64_t handle;
	} h[4];
};

struct pm_ns_list {
	struct pm_ns_rule *v;
	size_t n, cap;
	bool table_exists;
	unsigned int foreign;		/* rules in our table we did not write */
};

struct pm_nft;

/* A libnftables context with buffered output and errors; NULL on ENOMEM. */
struct pm_nft *pm_nft_open(void);
void pm_nft_close(struct pm_nft *n);
/*
 * Run @script (one or more commands, one transaction).  0 on success,
 * -1 with the error text kept for pm_nft_error().
 */
int pm_nft_run(struct pm_nft *n, const char *script);
/* nft's error message of the last failure, trimmed ("" if none). */
const char *pm_nft_error(struct pm_nft *n);

/* Read every nat-server rule of the table; 0 or -1 (pm_nft_error). */
int pm_nft_read(struct pm_nft *n, struct pm_ns_list *l);
void pm_ns_list_free(struct pm_ns_list *l);

/* Add @r (creating the table and chains if needed); 0 or -1. */
int pm_nft_add(struct pm_nft *n, const struct pm_ns_rule *r);
/* Delete every copy of @r (by the handles pm_nft_read found); 0 or -1. */
int pm_nft_del(struct pm_nft *n, const struct pm_ns_rule *r);
/* Delete the table if it is there; 0 or -1. */
int pm_nft_flush(struct pm_nft *n);

/* The comment that describes @r, in @buf; -1 if it does not fit. */
int pm_ns_comment(const struct pm_ns_rule *r, char *buf, size_t len);
/* Parse such a comment back; 0, or -1 if it is not one of ours. */
int pm_ns_parse_comment(const char *s, struct pm_ns_rule *r);
/* Same rule (every field of the description, ftp flag aside). */
bool pm_ns_same(const struct pm_ns_rule *a, const struct pm_ns_rule *b);
/* "tcp global 203.0.113.1 8021 inside 10.10.10.10 6293" */
void pm_ns_describe(const struct pm_ns_rule *r, char *buf, size_t len);
/* True for a name nft and the kernel both take as a plain interface. */
bool pm_ns_valid_ifname(const char *s);

#endif /* PORTMAPCTL_NFT_H */
