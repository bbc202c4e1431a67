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
#include "ftp_portmap.h"

/* Rewrites remembered per direction, for retransmissions. */
#define FPM_HIST		4
/* Client commands awaiting their final reply. */
#define FPM_CMDQ		64
/* Consecutive out-of-order segments dropped before resynchronising. */
#define FPM_GAP_MAX		16

/*
 * One rewrite, in the sender's sequence space: the @olen original bytes
 * from @seq on become @rep.  A segment that carries only part of the
 * original bytes [i, j) gets rep[min(i, rlen) .. (j == olen ? rlen :
 * min(j, rlen))): the same text whatever the segment boundaries, so first
 * transmissions, retransmissions and lines split across segments all
 * produce one consistent byte stream.
 */
struct fpm_rw {
	u32 seq;
	u16 olen;
	u8 rlen;
	u8 used;
	char rep[FP_FORMAT_MAX];
};

enum {
	FPM_D_SEQ	= BIT(0),	/* next_seq is known */
	FPM_D_SKIP	= BIT(1),	/* discarding an over-long line */
	FPM_D_TLS	= BIT(2),	/* following TLS records */
	FPM_D_STREAM	= BIT(3),	/* current line: address rewrite begun */
	FPM_D_NOREW	= BIT(4),	/* current line: address seen, no rewrite */
};

struct fpm_dir {
	u32 next_seq;		/* first byte not yet parsed */
	u32 line_seq;		/* first byte of the partial line in buf */
	u16 len;		/* bytes of the partial line in buf */
	u8 flags;
	u8 gap_drops;
	u8 stream_rw;		/* FPM_D_STREAM: index into hist */
	u8 hist_next;
	u8 tls_hdr_len;
	u8 tls_hdr[5];
	u16 tls_left;		/* bytes left in the current TLS record */
	struct fpm_rw hist[FPM_HIST];
	char *buf;		/* FP_LINE_MAX bytes, allocated on first use */
};

enum {
	FPM_C_TLS	= BIT(0),	/* went encrypted at least once */
	FPM_C_MULTI	= BIT(1),	/* inside a multi-line reply */
};

struct fpm_conn {
	spinlock_t lock;
	struct fpm_counters *ctr;	/* the mapping's, or NULL */
	u8 flags;
	u8 cmdq_head;
	u8 cmdq_len;
	char multi_code[3];
	u8 cmdq[FPM_CMDQ];		/* enum fp_kind of pending commands */
	struct fpm_dir dir[IP_CT_DIR_MAX];
};

/* What nf_conn_help.data holds for us. */
struct fpm_help_data {
	struct fpm_conn *conn;
};

/* A replacement to make in the current segment's payload. */
struct fpm_edit {
	u16 off;
	u16 len;
	u8 rlen;
	const char *rep;
};

void fpm_helper_attach(struct fpm_net *fn, struct nf_conn *ct,
		       struct fpm_map *m);
extern bool fpm_exiting;

/* nat.c */
u16 fpm_nat_expect(struct nf_conntrack_expect *exp, int dir, u16 port,
		   bool keep_port);
bool fpm_nat_apply(struct sk_buff *skb, struct nf_conn *ct,
		   enum ip_conntrack_info ctinfo, unsigned int protoff,
		   __be32 seq, struct fpm_edit *edits, unsigned int n);

#endif /* FPM_HELPER_H */
