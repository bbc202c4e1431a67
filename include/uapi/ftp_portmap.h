/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * ftp_portmap - generic netlink interface of the ftp-portmap FTP ALG.
 *
 * This header is the one protocol definition shared by the kernel module
 * (src/netlink.c) and the portmapctl tool (tools/portmapctl).
 *
 * Family: FTP_PORTMAP_GENL_NAME ("ftp_portmap"), version
 * FTP_PORTMAP_GENL_VERSION.  Every command acts on the network namespace
 * of the netlink socket and needs CAP_NET_ADMIN in the user namespace that
 * owns it (GENL_UNS_ADMIN_PERM) -- the reads (MAP_GET, its dump,
 * STATS_GET, CONFIG_GET) too: the table describes the administrator's
 * servers.  Errors carry an extended-ack message (set NETLINK_EXT_ACK).
 *
 * Validation is strict for every command: reserved genl header bits,
 * unknown attributes and attributes a command does not take are refused
 * (EINVAL), and so is a wrong attribute length.  Value ranges are in the
 * policies (PORT 1..65535, FAMILY AF_INET..AF_INET6, STRICT 0..1,
 * MAX_EXPECT 1..64): a value outside is ERANGE with the core's message,
 * the offending attribute (NLMSGERR_ATTR_OFFS) and its policy with the
 * range (NLMSGERR_ATTR_POLICY), from which portmapctl prints e.g.
 * "max-expect out of range (1..64)".  FAMILY must be AF_INET or AF_INET6
 * ("address family must be AF_INET or AF_INET6") and come with exactly
 * the matching HOST4/HOST6 ("host address family mismatch").
 * MAP_ADD fails with EEXIST ("mapping exists") or ENOSPC (table full);
 * MAP_DEL and the MAP_GET doit with ENOENT ("no such mapping").  A
 * CONFIG_SET without STRICT and MAX_EXPECT is EINVAL ("nothing to set").
 * Replies carry no FPM_A_PAD today; 64-bit counters are padded with the
 * nest's own PAD attribute.
 *
 * Commands
 * --------
 * FPM_CMD_MAP_ADD    PORT [FAMILY + HOST4|HOST6]        add a mapping
 * FPM_CMD_MAP_DEL    PORT [FAMILY + HOST4|HOST6]        delete a mapping
 * FPM_CMD_MAP_GET    doit: PORT [host]: one mapping, with COUNTERS
 *                    dumpit: every mapping, ordered by port, with COUNTERS
 *                    (it is never filtered: request attributes are ignored)
 * FPM_CMD_MAP_FLUSH  -                                  delete all mappings
 * FPM_CMD_STATS_GET  -     reply: STATS (nested FPM_STAT_*), MAP_COUNT
 * FPM_CMD_CONFIG_GET -     reply: STRICT, MAX_EXPECT, MAP_COUNT, MAP_MAX,
 *                          VERSION
 * FPM_CMD_CONFIG_SET [STRICT] [MAX_EXPECT]              change settings
 *
 * A mapping is identified by (PORT, host): a mapping without a host matches
 * any server address; one with a host matches only that address.  Both may
 * exist for the same port; the host-specific one wins.
 */
#ifndef _UAPI_FTP_PORTMAP_H
#define _UAPI_FTP_PORTMAP_H

#define FTP_PORTMAP_GENL_NAME		"ftp_portmap"
#define FTP_PORTMAP_GENL_VERSION	1
/* The conntrack helper name, for nft "ct helper" and iptables "CT". */
#define FTP_PORTMAP_HELPER_NAME		"ftp-portmap"

enum fpm_cmd {
	FPM_CMD_UNSPEC,
	FPM_CMD_MAP_ADD,
	FPM_CMD_MAP_DEL,
	FPM_CMD_MAP_GET,
	FPM_CMD_MAP_FLUSH,
	FPM_CMD_STATS_GET,
	FPM_CMD_CONFIG_GET,
	FPM_CMD_CONFIG_SET,
	FPM_CMD_STATS_RESET,	/* issue 10: see "Added for issue 10" below */
	__FPM_CMD_MAX
};
#define FPM_CMD_MAX (__FPM_CMD_MAX - 1)

enum fpm_attr {
	FPM_A_UNSPEC,
	FPM_A_PAD,
	FPM_A_PORT,		/* u16, host order, 1..65535 */
	FPM_A_FAMILY,		/* u8, AF_INET or AF_INET6: present iff a host */
	FPM_A_HOST4,		/* binary, 4 bytes, network order */
	FPM_A_HOST6,		/* binary, 16 bytes, network order */
	FPM_A_COUNTERS,		/* nested, FPM_CTR_* (u64 each) */
	FPM_A_STATS,		/* nested, FPM_STAT_* (u64 each) */
	FPM_A_STRICT,		/* u8, 0 or 1 */
	FPM_A_MAX_EXPECT,	/* u32, pending expectations per connection */
	FPM_A_MAP_COUNT,	/* u32, mappings in this namespace */
	FPM_A_MAP_MAX,		/* u32, the most mappings a namespace may hold */
	FPM_A_VERSION,		/* string, module version */
	__FPM_A_MAX
};
#define FPM_A_MAX (__FPM_A_MAX - 1)

/* Per-mapping counters, nested in FPM_A_COUNTERS. */
enum fpm_ctr {
	FPM_CTR_UNSPEC,
	FPM_CTR_PAD,
	FPM_CTR_CONNS,		/* control connections the mapping matched */
	FPM_CTR_LINES,		/* control lines parsed on those connections */
	FPM_CTR_EXPECTS,	/* data-channel expectations created */
	FPM_CTR_REWRITES,	/* addresses/ports rewritten for NAT */
	__FPM_CTR_MAX
};
#define FPM_CTR_MAX (__FPM_CTR_MAX - 1)

/* Per-namespace counters, nested in FPM_A_STATS. */
enum fpm_stat {
	FPM_STAT_UNSPEC,
	FPM_STAT_PAD,
	FPM_STAT_CONNS,		/* control connections helped (any way) */
	FPM_STAT_LINES,		/* control lines parsed */
	FPM_STAT_EXPECTS,	/* expectations created */
	FPM_STAT_REWRITES,	/* NAT rewrites done */
	FPM_STAT_PARSE_REJECT,	/* lines of interest that failed validation */
	FPM_STAT_ADDR_MISMATCH,	/* data address is not the control peer's */
	FPM_STAT_PORT_LOW,	/* data port below 1024 refused (strict) */
	FPM_STAT_EXPECT_FAIL,	/* expectation could not be created */
	FPM_STAT_EXPECT_LIMIT,	/* refused: too many pending expectations */
	FPM_STAT_UNPAIRED,	/* reply without request, command from server */
	FPM_STAT_REWRITE_FAIL,	/* NAT mangling failed */
	FPM_STAT_LINE_TOOLONG,	/* over-long lines given up */
	FPM_STAT_TLS,		/* connections that went encrypted (AUTH) */
	FPM_STAT_CCC,		/* connections back to clear text (CCC) */
	FPM_STAT_OOO,		/* segments beyond a hole (loss/reordering) */
	FPM_STAT_NOMEM,		/* per-connection state could not be had */
	/*
	 * Bytes forwarded unparsed (a hole given up, a lost line): tracking
	 * resumed at the next line, command/reply pairing restarted.
	 */
	FPM_STAT_RESYNC,
	/*
	 * Segments or tails held back for the sender to retransmit: a second
	 * rewrite waiting for the peer's ACK of the first, an address cut by
	 * a segment end.
	 */
	FPM_STAT_HELD,
	/*
	 * Per-connection states reclaimed because their conntrack lost the
	 * helper without helper->destroy (ctnetlink unset it).
	 */
	FPM_STAT_ORPHANS,
	/*
	 * Data connections NATed like their control connection although
	 * their expectation came without its NAT part (synchronised to a
	 * backup router by conntrackd).
	 */
	FPM_STAT_RELATED_NAT,
	__FPM_STAT_MAX
};
#define FPM_STAT_MAX (__FPM_STAT_MAX - 1)

/*
 * Added for issue 10 (operations).  Append-only: nothing above was
 * renumbered.
 *
 * FPM_CMD_STATS_RESET
 * -------------------
 * No attributes (any attribute: EINVAL, as for MAP_FLUSH); needs
 * CAP_NET_ADMIN (GENL_UNS_ADMIN_PERM).  Sets every FPM_STAT_* counter of
 * the caller's namespace and every FPM_CTR_* counter of each of its
 * mappings to 0, then acks.  Mappings, settings and per-connection
 * counters (FPM_CI_*) are untouched.  Counters that move concurrently may
 * keep an increment that raced with the reset; nothing else.
 *
 * MAP_ADD host refusal
 * --------------------
 * MAP_ADD refuses a host address that can never be a server's address,
 * with EINVAL and one of these extack messages (portmapctl refuses the
 * same addresses before asking, with the same words):
 *   "host address is multicast"            224.0.0.0/4, ff00::/8
 *   "host address is loopback"             127.0.0.0/8, ::1
 *   "host address is unspecified"          0.0.0.0, ::
 *   "host address is broadcast"            255.255.255.255
 *   "host address is IPv4-mapped IPv6"     ::ffff:0:0/96 (use the IPv4
 *                                          address itself)
 *   "host address is link-local"           169.254.0.0/16, fe80::/10 (a
 *                                          mapping has no zone)
 * The offending attribute (FPM_A_HOST4/FPM_A_HOST6) is pointed at with
 * NL_SET_ERR_MSG_ATTR.  MAP_DEL and MAP_GET still take any address, so
 * that a mapping added by an older module can be removed.
 *
 * Per-connection information in ctnetlink
 * ---------------------------------------
 * The conntrack helper "ftp-portmap" implements to_nlattr: in every
 * ctnetlink conntrack message (dump, get, events) of a connection it is
 * attached to, CTA_HELP carries, after CTA_HELP_NAME, one CTA_HELP_INFO
 * attribute whose payload is a sequence of netlink attributes of
 * enum fpm_conn_info (not nested further; 4-byte aligned as usual).  A
 * reader (portmapctl conn list) takes the payload length from
 * CTA_HELP_INFO's own header.  Unknown FPM_CI_* types are to be skipped
 * by readers.  CTA_HELP_INFO is present from the moment the helper is
 * attached, also before any payload was seen (then only FPM_CI_FLAGS and
 * the mapping, if known, are in it); a conntrack of the helper without
 * CTA_HELP_INFO means a module without this feature.
 * helper->data_len stays what it is: nothing is read back
 * (from_nlattr is not implemented: ctnetlink cannot change this state).
 */
enum fpm_conn_info {
	FPM_CI_UNSPEC,
	FPM_CI_PAD,
	FPM_CI_FLAGS,		/* u32, FPM_CIF_* bits: always present */
	/*
	 * The port of the mapping that attached the helper; absent when an
	 * nft/iptables "ct helper" rule did.
	 */
	FPM_CI_PORT,		/* u16, host order */
	FPM_CI_FAMILY,		/* u8, AF_INET/AF_INET6: iff it has a host */
	FPM_CI_HOST4,		/* binary, 4 bytes, network order */
	FPM_CI_HOST6,		/* binary, 16 bytes, network order */
	FPM_CI_LINES,		/* u32, lines parsed (both ways), saturating */
	FPM_CI_REWRITES,	/* u32, addresses rewritten for NAT */
	FPM_CI_EXPECTS,		/* u32, expectations created (in total) */
	FPM_CI_PENDING,		/* u32, its expectations pending now */
	__FPM_CI_MAX
};
#define FPM_CI_MAX (__FPM_CI_MAX - 1)

/* Bits of FPM_CI_FLAGS. */
/* The connection is NATed (either direction): rewrites apply. */
#define FPM_CIF_NAT		(1u << 0)
/* Encrypted now (after 234 to AUTH TLS/SSL). */
#define FPM_CIF_TLS		(1u << 1)
/* Was encrypted, back to clear text after CCC. */
#define FPM_CIF_WAS_TLS		(1u << 2)
/*
 * Command/reply pairing unknown (after a resynchronisation, or picked up
 * mid-stream): until a command and its reply are seen again, a 227/229/234
 * that answers no command seen is refused (picked up: acted on, strict).
 */
#define FPM_CIF_UNPAIRED	(1u << 3)
/*
 * No per-connection state yet (no payload seen, or it could not be
 * allocated): LINES .. EXPECTS are absent.
 */
#define FPM_CIF_NOSTATE		(1u << 4)
/*
 * The last attempt to allocate the state failed: traffic passes
 * untracked (counted in the namespace's nomem).
 */
#define FPM_CIF_GAVE_UP		(1u << 5)

#endif /* _UAPI_FTP_PORTMAP_H */
