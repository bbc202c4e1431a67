/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of ftp_portmap (perf trace -e 'ftp_portmap:*', bpftrace):
 * lines of interest parsed, expectations created, refusals, segments
 * held back or dropped.  Compiled in helper.c (CREATE_TRACE_POINTS).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM ftp_portmap

#if !defined(FPM_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define FPM_TRACE_H

#include <linux/tracepoint.h>
#include <net/ipv6.h>
#include <net/netfilter/nf_conntrack.h>

#include "compat.h"

#ifndef FPM_TRACE_HELPERS
#define FPM_TRACE_HELPERS
/*
 * Every event names the connection as the client sent its SYN: family,
 * addresses (IPv4 as IPv4-mapped IPv6) and ports.
 */
static inline void fpm_tp_tuple(const struct nf_conn *ct, u8 *family,
				u8 *saddr, u8 *daddr, u16 *sport, u16 *dport)
{
	const struct nf_conntrack_tuple *t =
		&ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;

	*family = nf_ct_l3num(ct) == NFPROTO_IPV6 ? 6 : 4;
	if (*family == 6) {
		memcpy(saddr, &t->src.u3.in6, 16);
		memcpy(daddr, &t->dst.u3.in6, 16);
	} else {
		/* IPv4-mapped, so that %pI6c prints ::ffff:a.b.c.d */
		ipv6_addr_set_v4mapped(t->src.u3.ip, (struct in6_addr *)saddr);
		ipv6_addr_set_v4mapped(t->dst.u3.ip, (struct in6_addr *)daddr);
	}
	*sport = ntohs(t->src.u.tcp.port);
	*dport = ntohs(t->dst.u.tcp.port);
}
#endif

TRACE_EVENT(fpm_line,
	TP_PROTO(const struct nf_conn *ct, int dir, const char *kind,
		 u32 seq, u32 len),
	TP_ARGS(ct, dir, kind, seq, len),
	TP_STRUCT__entry(
		__field(u8, family)
		__array(u8, saddr, 16)
		__array(u8, daddr, 16)
		__field(u16, sport)
		__field(u16, dport)
		__field(int, dir)
		__string(kind, kind)
		__field(u32, seq)
		__field(u32, len)
	),
	TP_fast_assign(
		fpm_tp_tuple(ct, &__entry->family, __entry->saddr,
			     __entry->daddr, &__entry->sport,
			     &__entry->dport);
		__entry->dir = dir;
		fpm_assign_str(kind, kind);
		__entry->seq = seq;
		__entry->len = len;
	),
	TP_printk("%s %pI6c:%u -> %pI6c:%u %s %s seq %u len %u", __entry->family == 4 ? "ipv4" : "ipv6",
		  __entry->saddr, __entry->sport, __entry->daddr,
		  __entry->dport,
		  __entry->dir ? "server" : "client", __get_str(kind),
		  __entry->seq, __entry->len)
);

TRACE_EVENT(fpm_expect,
	TP_PROTO(const struct nf_conn *ct, int dir, u16 asked, u16 used,
		 bool own),
	TP_ARGS(ct, dir, asked, used, own),
	TP_STRUCT__entry(
		__field(u8, family)
		__array(u8, saddr, 16)
		__array(u8, daddr, 16)
		__field(u16, sport)
		__field(u16, dport)
		__field(int, dir)
		__field(u16, asked)
		__field(u16, used)
		__field(bool, own)
	),
	TP_fast_assign(
		fpm_tp_tuple(ct, &__entry->family, __entry->saddr,
			     __entry->daddr, &__entry->sport,
			     &__entry->dport);
		__entry->dir = dir;
		__entry->asked = asked;
		__entry->used = used;
		__entry->own = own;
	),
	TP_printk("%s %pI6c:%u -> %pI6c:%u %s port %u -> %u%s", __entry->family == 4 ? "ipv4" : "ipv6",
		  __entry->saddr, __entry->sport, __entry->daddr,
		  __entry->dport,
		  __entry->dir ? "server" : "client", __entry->asked,
		  __entry->used, __entry->own ? "" : " (third party)")
);

TRACE_EVENT(fpm_refuse,
	TP_PROTO(const struct nf_conn *ct, int dir, const char *why),
	TP_ARGS(ct, dir, why),
	TP_STRUCT__entry(
		__field(u8, family)
		__array(u8, saddr, 16)
		__array(u8, daddr, 16)
		__field(u16, sport)
		__field(u16, dport)
		__field(int, dir)
		__string(why, why)
	),
	TP_fast_assign(
		fpm_tp_tuple(ct, &__entry->family, __entry->saddr,
			     __entry->daddr, &__entry->sport,
			     &__entry->dport);
		__entry->dir = dir;
		fpm_assign_str(why, why);
	),
	TP_printk("%s %pI6c:%u -> %pI6c:%u %s: %s", __entry->family == 4 ? "ipv4" : "ipv6",
		  __entry->saddr, __entry->sport, __entry->daddr,
		  __entry->dport,
		  __entry->dir ? "server" : "client", __get_str(why))
);

TRACE_EVENT(fpm_verdict,
	TP_PROTO(const struct nf_conn *ct, int dir, u32 seq, u32 len,
		 u32 acked, u32 keep, bool drop),
	TP_ARGS(ct, dir, seq, len, acked, keep, drop),
	TP_STRUCT__entry(
		__field(u8, family)
		__array(u8, saddr, 16)
		__array(u8, daddr, 16)
		__field(u16, sport)
		__field(u16, dport)
		__field(int, dir)
		__field(u32, seq)
		__field(u32, len)
		__field(u32, acked)
		__field(u32, keep)
		__field(bool, drop)
	),
	TP_fast_assign(
		fpm_tp_tuple(ct, &__entry->family, __entry->saddr,
			     __entry->daddr, &__entry->sport,
			     &__entry->dport);
		__entry->dir = dir;
		__entry->seq = seq;
		__entry->len = len;
		__entry->acked = acked;
		__entry->keep = keep;
		__entry->drop = drop;
	),
	TP_printk("%s %pI6c:%u -> %pI6c:%u %s seq %u len %u: %s (ACKed head %u, forwarded up to %u)",
		  __entry->family == 4 ? "ipv4" : "ipv6",
		  __entry->saddr, __entry->sport, __entry->daddr,
		  __entry->dport, __entry->dir ? "server" : "client",
		  __entry->seq, __entry->len,
		  __entry->drop ? "dropped" : "tail held back",
		  __entry->acked, __entry->keep)
);

#endif /* FPM_TRACE_H */

/* This part must be outside protection. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
