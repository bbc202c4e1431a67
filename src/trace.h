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
 * addresses and ports, the addresses as a struct sockaddr_in or
 * sockaddr_in6 (with the port) so that %pISpc prints each family its own
 * way: 203.0.113.2:41698, [2001:db8::2]:41698.
 */
#define FPM_TP_SA_LEN	sizeof(struct sockaddr_in6)

static inline void fpm_tp_sa(u8 *sa, u8 family,
			     const union nf_inet_addr *a, __be16 port)
{
	memset(sa, 0, FPM_TP_SA_LEN);
	if (family == 6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = port;
		s6->sin6_addr = a->in6;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)sa;

		s4->sin_family = AF_INET;
		s4->sin_port = port;
		s4->sin_addr.s_addr = a->ip;
	}
}

static inline void fpm_tp_tuple(const struct nf_conn *ct, u8 *family,
				u8 *saddr, u8 *daddr, u16 *sport, u16 *dport)
{
	const struct nf_conntrack_tuple *t =
		&ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;

	*family = nf_ct_l3num(ct) == NFPROTO_IPV6 ? 6 : 4;
	fpm_tp_sa(saddr, *family, &t->src.u3, t->src.u.tcp.port);
	fpm_tp_sa(daddr, *family, &t->dst.u3, t->dst.u.tcp.port);
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
		__array(u8, saddr, FPM_TP_SA_LEN)
		__array(u8, daddr, FPM_TP_SA_LEN)
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
	TP_printk("%s %pISpc -> %pISpc %s %s seq %u len %u", __entry->family == 4 ? "ipv4" : "ipv6",
		  __entry->saddr, __entry->daddr,
		  __entry->dir ? "server" : "client", __get_str(kind),
		  __entry->seq, __entry->len)
);

TRACE_EVENT(fpm_expect,
	TP_PROTO(const struct nf_conn *ct, int dir, u16 asked, u16 used,
		 bool own),
	TP_ARGS(ct, dir, asked, used, own),
	TP_STRUCT__entry(
		__field(u8, family)
		__array(u8, saddr, FPM_TP_SA_LEN)
		__array(u8, daddr, FPM_TP_SA_LEN)
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
	TP_printk("%s %pISpc -> %pISpc %s port %u -> %u%s", __entry->family == 4 ? "ipv4" : "ipv6",
		  __entry->saddr, __entry->daddr,
		  __entry->dir ? "server" : "client", __entry->asked,
		  __entry->used, __entry->own ? "" : " (third party)")
);

TRACE_EVENT(fpm_refuse,
	TP_PROTO(const struct nf_conn *ct, int dir, const char *why),
	TP_ARGS(ct, dir, why),
	TP_STRUCT__entry(
		__field(u8, family)
		__array(u8, saddr, FPM_TP_SA_LEN)
		__array(u8, daddr, FPM_TP_SA_LEN)
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
	TP_printk("%s %pISpc -> %pISpc %s: %s", __entry->family == 4 ? "ipv4" : "ipv6",
		  __entry->saddr, __entry->daddr,
		  __entry->dir ? "server" : "client", __get_str(why))
);

TRACE_EVENT(fpm_verdict,
	TP_PROTO(const struct nf_conn *ct, int dir, u32 seq, u32 len,
		 u32 acked, u32 keep, bool drop),
	TP_ARGS(ct, dir, seq, len, acked, keep, drop),
	TP_STRUCT__entry(
		__field(u8, family)
		__array(u8, saddr, FPM_TP_SA_LEN)
		__array(u8, daddr, FPM_TP_SA_LEN)
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
	TP_printk("%s %pISpc -> %pISpc %s seq %u len %u: %s (ACKed head %u, forwarded up to %u)",
		  __entry->family == 4 ? "ipv4" : "ipv6",
		  __entry->saddr, __entry->daddr,
		  __entry->dir ? "server" : "client",
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
