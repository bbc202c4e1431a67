/* SPDX-License-Identifier: GPL-2.0 */
/*
 * portmapctl - the library layer between the kernel interfaces and the
 * command files (which only parse arguments and print).
 *
 *   ipc.c    the ftp_portmap generic netlink family (libmnl): one socket
 *            per process, typed requests, batches of map changes
 *   nft.c    the nftables table "inet ftp_portmap" (libnftables): writes
 *            as nft scripts, one transaction each; reads through
 *            libnftables' JSON output (jansson)
 *   ct.c     conntracks and expectations of the helper
 *            (libnetfilter_conntrack over libmnl)
 *   state.c  the whole configuration of a namespace: read, parse a saved
 *            file, compare, apply as one unit, drift
 *
 * Every function returns 0 or a negative errno, and keeps the reason of a
 * failure for pm_lib_error() (the kernel's extack message, nft's error,
 * ...).  Nothing here prints.
 */
#ifndef PORTMAPCTL_LIB_H
#define PORTMAPCTL_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>
#include <netinet/in.h>

#include "../../include/uapi/ftp_portmap.h"

union pm_addr {
	struct in_addr v4;
	struct in6_addr v6;
};

/* ---- errors ---------------------------------------------------------- */

/* Where the last failure came from. */
enum pm_src {
	PM_SRC_NONE,
	PM_SRC_NETLINK,		/* the ftp_portmap family */
	PM_SRC_NFT,		/* libnftables */
	PM_SRC_CT,		/* ctnetlink */
	PM_SRC_LIB,		/* this layer (a check of its own) */
};

/* The reason of the last failure, as one line of text ("" if none). */
const char *pm_lib_error(void);
enum pm_src pm_lib_error_src(void);
/* True when the last netlink failure was "family not registered". */
bool pm_lib_not_loaded(void);
/* Set the reason (for this layer's own refusals). */
void pm_lib_set_error(enum pm_src src, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- ipc.c: the generic netlink family -------------------------------- */

struct pm_map_key {
	uint16_t port;
	int family;			/* 0: any host */
	union pm_addr host;
};

struct pm_mapping {
	struct pm_map_key key;
	uint64_t ctr[FPM_CTR_MAX + 1];	/* FPM_CTR_* */
};

struct pm_map_list {
	struct pm_mapping *v;
	size_t n, cap;
};

struct pm_stats {
	uint64_t v[FPM_STAT_MAX + 1];	/* FPM_STAT_* */
	uint32_t mappings;
};

struct pm_config {
	bool strict;
	uint32_t max_expect;
	uint32_t map_count;
	uint32_t map_max;
	char version[64];		/* the module's */
};

/* Settings to change: the have_* say which. */
struct pm_config_set {
	bool have_strict, strict;
	bool have_max_expect;
	uint32_t max_expect;
};

/* Open the process's socket now (it opens on first use anyway). */
int pm_ipc_open(void);
void pm_ipc_close(void);

int pm_map_add(const struct pm_map_key *k);
int pm_map_del(const struct pm_map_key *k);
int pm_map_get(const struct pm_map_key *k, struct pm_mapping *out);
/* Every mapping, sorted (pm_map_cmp). */
int pm_map_dump(struct pm_map_list *l);
int pm_map_flush(void);
void pm_map_list_free(struct pm_map_list *l);
int pm_map_list_push(struct pm_map_list *l, const struct pm_map_key *k);
/* Port, then no host before a host, IPv4 before IPv6, then address. */
int pm_map_cmp(const struct pm_map_key *a, const struct pm_map_key *b);
bool pm_map_has(const struct pm_map_list *l, const struct pm_map_key *k);

/*
 * A batch of map changes sent in as few messages as fit in a buffer,
 * each acked; stops at the first refusal.  *done is the number applied
 * (the refused one is ops[*done]).
 */
struct pm_map_op {
	bool add;			/* else del */
	struct pm_map_key key;
};
int pm_map_batch(const struct pm_map_op *ops, size_t n, size_t *done);

int pm_stats_get(struct pm_stats *s);
/* -EOPNOTSUPP when the module has no FPM_CMD_STATS_RESET. */
int pm_stats_reset(void);
int pm_config_get(struct pm_config *c);
int pm_config_set(const struct pm_config_set *c);

/* ---- addresses ---------------------------------------------------------- */

/*
 * Why @addr can never be a server's (or a NAT server's global) address:
 * "multicast", "loopback", "unspecified", "broadcast", "IPv4-mapped IPv6",
 * "link-local"; NULL when usable.
 */
const char *pm_addr_unusable(int family, const union pm_addr *addr);
/* Length of an address of @family (4 or 16). */
size_t pm_addr_len(int family);

/* ---- nft.c: the nat-server rules ------------------------------------- */

#define PM_NFT_TABLE		"ftp_portmap"	/* family inet */
#define PM_NFT_CH_PRE		"nat_prerouting"
#define PM_NFT_CH_OUT		"nat_output"
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

	/* Read back (pm_nft_read). */
	uint64_t conns;			/* packets of the prerouting copy */
	unsigned int nhandles;
	struct {
		bool out;		/* in nat_output, else nat_prerouting */
		uint64_t handle;
	} h[4];
	unsigned int drift;		/* PM_DRIFT_* (pm_state_drift) */
};

/* What pm_nft_read found besides our rules. */
struct pm_ns_list {
	struct pm_ns_rule *v;
	size_t n, cap;
	bool table_exists;
	bool have_pre, have_out;	/* our base chains, hooked as ours */
	unsigned int foreign_rules;	/* rules without a description of ours */
	unsigned int foreign_objects;	/* chains, sets, maps... not ours */
	char foreign_first[160];	/* one of them, for messages */
};

int pm_nft_read(struct pm_ns_list *l);
void pm_ns_list_free(struct pm_ns_list *l);
int pm_ns_list_push(struct pm_ns_list *l, const struct pm_ns_rule *r);
/* Add @r (creating the table and chains if needed); one transaction. */
int pm_nft_add(const struct pm_ns_rule *r);
/* Delete every copy of @r (the handles pm_nft_read found). */
int pm_nft_del(const struct pm_ns_rule *r);
/* Replace every copy of @r by the same rule with ftp flag @ftp. */
int pm_nft_set_ftp(const struct pm_ns_rule *r, bool ftp);
/* Delete the table if it is there. */
int pm_nft_flush(void);
/*
 * Make the table hold exactly @rules (nothing else): one transaction
 * that deletes the table (if any) and writes it anew.  n == 0 deletes it.
 */
int pm_nft_replace(const struct pm_ns_rule *rules, size_t n);
/* The script pm_nft_replace would run (malloc'd), for --check. */
char *pm_nft_replace_script(const struct pm_ns_rule *rules, size_t n);
/* Parse the script without committing (nft --check); 0 or -EINVAL. */
int pm_nft_check_script(const char *script);

/* The comment that describes @r, in @buf; -1 if it does not fit. */
int pm_ns_comment(const struct pm_ns_rule *r, char *buf, size_t len);
/* Parse such a comment back; 0, or -1 if it is not one of ours. */
int pm_ns_parse_comment(const char *s, struct pm_ns_rule *r);
/* Same rule (every field of the description, ftp flag aside). */
bool pm_ns_same(const struct pm_ns_rule *a, const struct pm_ns_rule *b);
/* Global sides of the same kind and value with overlapping ports. */
bool pm_ns_overlaps(const struct pm_ns_rule *a, const struct pm_ns_rule *b);
/* The words of the rule as "nat-server add" takes them ("tcp global..."). */
void pm_ns_describe(const struct pm_ns_rule *r, char *buf, size_t len);
/* True for a name nft and the kernel both take as a plain interface. */
bool pm_ns_valid_ifname(const char *s);
/* The mapping an ftp rule needs. */
void pm_ns_mapping(const struct pm_ns_rule *r, struct pm_map_key *k);
/* Sort order of nat-server list and save. */
int pm_ns_cmp(const struct pm_ns_rule *a, const struct pm_ns_rule *b);

/* ---- ct.c: the connections the helper follows ----------------------- */

struct pm_ct_tuple {
	int family;
	union pm_addr src, dst;
	uint16_t sport, dport;
};

struct pm_ct_expect {
	struct pm_ct_tuple tuple;	/* the expected connection */
	uint32_t timeout;		/* seconds left */
	bool nat;			/* has a NAT tuple (NATed data conn.) */
};

struct pm_ct_conn {
	uint32_t id;
	struct pm_ct_tuple orig, reply;
	uint32_t status;		/* IPS_* */
	uint32_t timeout;
	uint8_t tcp_state;
	bool has_info;			/* CTA_HELP_INFO was there */
	uint32_t flags;			/* FPM_CIF_* */
	bool has_mapping;
	struct pm_map_key mapping;
	bool has_counters;
	uint32_t lines, rewrites, expects, pending;
	struct pm_ct_expect *exp;
	size_t nexp;
};

struct pm_ct_list {
	struct pm_ct_conn *v;
	size_t n, cap;
	unsigned int without_info;	/* conns without CTA_HELP_INFO */
};

/* Every conntrack the helper is attached to, with its expectations. */
int pm_ct_dump(struct pm_ct_list *l);
void pm_ct_list_free(struct pm_ct_list *l);
/* Decode a CTA_HELP_INFO payload into @c (exposed for the unit tests). */
int pm_ct_parse_info(const void *buf, size_t len, struct pm_ct_conn *c);

/* ---- state.c: the whole configuration ---------------------------------- */

struct pm_state {
	bool have_config;
	struct pm_config_set config;	/* both have_* set when have_config */
	struct pm_map_list maps;	/* sorted, unique */
	struct pm_ns_list rules;	/* sorted */
};

/* Read the namespace's configuration (module and nftables). */
int pm_state_read(struct pm_state *s);
void pm_state_free(struct pm_state *s);
/* The saved form (portmapctl save); malloc'd text. */
char *pm_state_format(const struct pm_state *s);
/*
 * Parse a saved file.  On a syntax error returns -EINVAL with
 * "LINE: reason" kept (pm_lib_error); the mappings the ftp rules need
 * are added to maps.
 */
int pm_state_parse(const char *text, struct pm_state *s);

/* What pm_state_apply would do / did. */
struct pm_plan {
	struct pm_map_op *ops;		/* dels first, then adds */
	size_t nops;
	bool config_change;
	bool nft_change;		/* the table gets rewritten */
};
void pm_plan_free(struct pm_plan *p);

/*
 * Make the namespace hold @want: map changes (diffed, counters of kept
 * mappings survive), settings, and the nftables table rewritten in one
 * transaction when it differs (or drifts).  All or nothing: when a step
 * fails the steps done are undone.  With PM_APPLY_CHECK nothing changes:
 * the plan is computed and the nft script checked (nft --check).
 */
#define PM_APPLY_CHECK	(1u << 0)	/* change nothing */
#define PM_APPLY_NO_NFT	(1u << 1)	/* leave nftables alone */
int pm_state_apply(const struct pm_state *want, unsigned int flags,
		   struct pm_plan *plan);

/* ---- drift ---------------------------------------------------------- */

#define PM_DRIFT_NO_MAPPING	(1u << 0)	/* ftp rule, mapping missing */
#define PM_DRIFT_PARTIAL	(1u << 1)	/* a copy or chain is gone */
#define PM_DRIFT_SHADOWED	(1u << 2)	/* overlaps another rule */
#define PM_DRIFT_INACTIVE	(1u << 3)	/* iif does not exist */

struct pm_drift_item {
	char what[320];			/* one line, for people */
	const char *kind;		/* a word, for JSON */
};

struct pm_drift {
	struct pm_drift_item *v;
	size_t n, cap;
};

/*
 * Inspect @cur (from pm_state_read) for drift; the rules' drift bits are
 * set.  With @want (a saved file) also report what differs from it.
 * Returns the number of items.
 */
size_t pm_state_drift(struct pm_state *cur, const struct pm_state *want,
		      struct pm_drift *d);
void pm_drift_free(struct pm_drift *d);
/* Rules of @rules that need mapping @k (ftp rules), for messages. */
const struct pm_ns_rule *pm_rule_needing(const struct pm_ns_list *rules,
					 const struct pm_map_key *k,
					 const struct pm_map_list *maps);

#endif /* PORTMAPCTL_LIB_H */
