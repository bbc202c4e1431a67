/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * ftp_stream - the FTP control-stream engine of ftp-portmap.
 *
 * One pure C implementation (src/ftp_stream.c), like the parser: compiled
 * into the kernel module, the userspace unit and property tests and a
 * libFuzzer harness.  It holds the per-connection state machine and makes
 * every decision about the byte stream; the host (src/helper.c in the
 * kernel) does the packet access, locking, conntrack, expectations and NAT.
 *
 * Input: one TCP segment at a time, (direction, sequence number, payload),
 * plus what the host knows of the connection (NAT, addresses, the peer's
 * highest ACK).  Output, in struct fs_seg: how much of the segment to
 * forward (a tail or the whole segment can be held back for the sender to
 * retransmit), the edit to make in it, and a new sequence correction point.
 * Events (counters) and data endpoints (expectations) go to the host
 * through the fs_host_*() functions the host defines.
 *
 * The stream model:
 * - Every byte is parsed once, in order.  A line cut across segments is
 *   kept in a line buffer (FP_LINE_MAX per direction) that exists only
 *   while a line is cut.  A longer line is skipped to its LF but still
 *   counts as one command or reply.
 * - Replies are paired with commands: a 227/229 is acted on only as the
 *   answer to PASV/EPSV, a 234 only to AUTH.  After a resynchronisation the
 *   queue restarts empty, so an answer whose command was not seen is
 *   refused, never guessed.
 * - Under NAT an address is only ever rewritten when its whole line is in
 *   one segment's never-forwarded bytes: a line of interest whose address
 *   has begun but which a segment end leaves incomplete is held back from
 *   the address on (the segment is trimmed there), and the sender's
 *   retransmission carries the rest.
 * - A rewrite is remembered (struct fs_rw) until the peer ACKs the bytes
 *   after it, so that retransmissions starting anywhere get the same bytes
 *   at the same output positions.  At most one rewrite per direction is in
 *   flight: the kernel's sequence adjustment keeps one correction point per
 *   direction, which is then always exact.  Several addresses in the
 *   never-forwarded bytes of one segment (pipelined commands, their
 *   replies) make one rewrite: a block from the first address to the end
 *   of the last, whose replacement text (the addresses rewritten, the bytes
 *   between them as they were) is kept while it is in flight, at most
 *   FS_BLOCK_MAX - 1 bytes either way.  A line needing a rewrite in a later
 *   segment, or one that would make the block too long, is held back until
 *   the rewrite in flight is ACKed.
 * - A segment beyond a hole (loss or reordering before the host) is
 *   forwarded unparsed, except under NAT where it is dropped (it may hold
 *   an address to rewrite) until the sender has sent the first of them
 *   again FS_HOLE_DROPS times: the rest of a flight sent back to back
 *   behind the lost segment costs nothing of that budget, so a burst
 *   cannot push an address through unparsed before the sender could
 *   retransmit.  Forwarding unparsed bytes resynchronises tracking at the
 *   next line.
 * - After 234 (AUTH) both directions are TLS: record headers are followed
 *   until a byte where a record must start is no TLS record type (CCC):
 *   clear text and tracking resume there.
 */
#ifndef FTP_STREAM_H
#define FTP_STREAM_H

#include "ftp_parse.h"

/* Client commands remembered while awaiting their final reply. */
#define FS_CMDQ_MAX	32
/*
 * NAT: how often the sender may send again the first segment dropped
 * beyond a hole (still dropped) before it is forwarded unparsed.
 */
#define FS_HOLE_DROPS	2
/* Hold-backs at one position before the line is given up (not rewritten). */
#define FS_HOLD_MAX	6
/* A block rewrite's text, per direction: the block is shorter both ways. */
#define FS_BLOCK_MAX	512
/*
 * Both directions' line buffers and block texts, allocated while a line
 * is cut or a block rewrite is in flight.
 */
#define FS_LINES_SIZE	(2 * FP_LINE_MAX + 2 * FS_BLOCK_MAX)

enum fs_dirn {
	FS_CLIENT = 0,		/* original direction: commands */
	FS_SERVER = 1,		/* reply direction: replies */
};

/* Events the host counts (fs_host_event()). */
enum fs_event {
	FS_EV_REJECT,		/* a line of interest failed validation */
	FS_EV_UNPAIRED,		/* 227/229/234 answering no matching command */
	FS_EV_TOOLONG,		/* a line longer than FP_LINE_MAX skipped */
	FS_EV_TLS,		/* the connection went encrypted (once) */
	FS_EV_CCC,		/* back to clear text after TLS */
	FS_EV_OOO,		/* a segment beyond a hole */
	FS_EV_RESYNC,		/* unparsed bytes forwarded, resynchronised */
	FS_EV_HELD,		/* segment or tail held back for retransmission */
	FS_EV_NOMEM,		/* the line buffer could not be allocated */
	FS_EV_REWRITE,		/* an address/port rewrite planned */
	FS_EV_REWRITE_FAIL,	/* an address that needed rewriting was not */
	FS_EV_ADDR_MISMATCH,	/* endpoint names another host (or family) */
	FS_EV_PORT_LOW,		/* endpoint port below 1024 (strict: refused) */
	FS_EV__COUNT
};

/*
 * A rewrite in flight: the @olen original bytes from @seq on become the
 * replacement text, which is formatted again from (@kind, @whole, @delim,
 * @port and the sender's public address) whenever it is needed, or, for a
 * block (FS_RW_BLOCK in @kind), kept in the direction's block text.
 * @olen 0: none.
 */
struct fs_rw {
	fp_u32 seq;
	fp_u16 port;
	fp_u16 olen;
	fp_u16 rlen;
	fp_u8 kind;		/* enum fp_kind | FS_RW_WHOLE */
	char delim;
};

#define FS_RW_WHOLE	0x80	/* the whole endpoint, port included */
#define FS_RW_BLOCK	0x40	/* several endpoints: the text is kept */

/* Per-direction state. */
struct fs_dir {
	fp_u32 next_seq;	/* first byte not yet parsed (FS_D_SEQ) */
	/*
	 * Clear text: bytes of the cut line in the line buffer.  TLS: bytes
	 * left in the current record, or while a record header is cut
	 * (tls_hlen > 3) its length's high byte.
	 */
	fp_u16 len;
	fp_u8 flags;		/* FS_D_* */
	fp_u8 holds:3;		/* hold-backs at next_seq */
	fp_u8 drops:2;		/* drops of segments beyond a hole at next_seq */
	fp_u8 tls_hlen:3;	/* TLS record header bytes seen (0..4) */
	struct fs_rw rw;
};

enum {
	FS_D_SEQ	= 0x01,	/* next_seq is known */
	FS_D_SKIP	= 0x02,	/* discarding up to the next LF */
	FS_D_TLS	= 0x04,	/* following TLS records */
	FS_D_OPAQUE	= 0x08,	/* TLS sync lost: nothing more is parsed */
	FS_D_NOREW	= 0x10,	/* current line: hold-backs given up */
	FS_D_EARLY	= 0x20,	/* current line: address rewritten early */
};

/* Per-connection state: 64 bytes on 64-bit hosts (fs_dir: 20). */
struct fs_conn {
	/* FS_LINES_SIZE bytes while a line is cut or a block is in flight */
	char *lines;
	fp_u64 cmdq;		/* pending commands, 2 bits each, oldest low */
	fp_u8 cmdq_len;
	fp_u8 flags;		/* FS_C_* */
	fp_u16 multi;		/* code of the open multi-line reply */
	struct fs_dir dir[2];
	/*
	 * Per direction, while segments beyond a hole are dropped: how far
	 * beyond next_seq the first of them starts (saturating at 0xffff).
	 * A dropped segment starting there or before is a retransmission.
	 * (Fills what was padding: the struct stays 64 bytes on 64-bit.)
	 */
	fp_u16 hole_gap[2];
};

enum {
	FS_C_TLS	= 0x01,	/* went encrypted at least once */
	FS_C_MULTI	= 0x02,	/* inside a multi-line reply */
	/* Pairing unknown: until a command and its reply empty the queue. */
	FS_C_UNSYNC	= 0x04,
	/*
	 * Picked up mid-stream (no SYN seen): a 227/229/234 answering no
	 * command seen is acted on (strict checks still apply).
	 */
	FS_C_PICKUP	= 0x08,
};

/* An address as the host knows it: family 4 or 6, network order. */
struct fs_addr {
	fp_u8 family;
	fp_u8 addr[16];
};

/* One segment, and what to do with it. */
struct fs_seg {
	/* Set by the caller. */
	const char *data;
	fp_u32 seq;		/* of data[0] */
	fp_u32 len;
	fp_u32 acked;		/* peer's highest ACK (FS_S_ACKED) */
	fp_u8 dir;		/* enum fs_dirn */
	fp_u8 flags;		/* FS_S_* */
	struct fs_addr own;	/* the sender's address */
	struct fs_addr pub;	/* the sender's address as the peer sees it */
	void *host;		/* passed to the fs_host_*() functions */

	/*
	 * Set by fs_segment(); offsets are from data[0].  Forward bytes
	 * [head, keep), with the edit made; a head (bytes the peer has ACKed)
	 * is cut off and the sequence number advanced past it, unless it is
	 * the whole segment: then the payload goes and the sequence number
	 * stays.  The tail from keep on is held back.
	 */
	fp_u8 drop;		/* drop the segment (the sender retransmits) */
	fp_u8 nedit;		/* 0 or 1: replace edit_len bytes at edit_off */
	fp_u8 adj;		/* set a new correction point: */
	fp_u32 head;		/* ACKed bytes cut off the front */
	fp_u32 keep;		/* end of what is forwarded */
	fp_u32 lines;		/* complete lines parsed */
	fp_u32 edit_off, edit_len, rep_len;
	fp_u32 adj_pos;		/* ... sequence number: up to here the old */
	int adj_delta;		/* ... offset, after it old + adj_delta */
	char rep[FS_BLOCK_MAX];		/* the edit's replacement text */
};

enum {
	FS_S_NAT	= 0x01,	/* the peer sees the sender as @pub != @own */
	FS_S_ACKED	= 0x02,	/* @acked is valid */
	FS_S_STRICT	= 0x04,	/* strict checks (own address, port >= 1024) */
};

/* A data endpoint the engine wants acted on (fs_host_expect()). */
struct fs_expect {
	const struct fp_line *line;
	fp_u8 dir;		/* direction of the line */
	fp_u8 own;		/* it names the sender's own address */
	fp_u8 keep_port;	/* the port cannot be changed by a rewrite */
};

/*
 * Provided by the host.
 *
 * fs_host_expect: create the expectation for @e (the host applies its own
 * limits); returns the port the peer must use (e->line->ep.port unless
 * !e->keep_port and another was needed), or 0 when nothing was created.
 * fs_host_event: count @ev.  fs_host_alloc_lines/fs_host_free_lines: the
 * FS_LINES_SIZE line buffers (allocation may fail: NULL).
 */
fp_u16 fs_host_expect(void *host, const struct fs_expect *e);
void fs_host_event(void *host, enum fs_event ev);
/* A line of interest (fp_quick() said so) was parsed: for tracing. */
void fs_host_line(void *host, const struct fp_line *line, fp_u32 seq);
void *fs_host_alloc_lines(void *host);
void fs_host_free_lines(void *host, void *p);

/* A zeroed struct fs_conn is a valid new connection. */

/*
 * fs_start - the first byte of direction @dir will be @seq (after the SYN),
 * unless the direction has started already.
 */
void fs_start(struct fs_conn *c, enum fs_dirn dir, fp_u32 seq);

/*
 * fs_pickup - the connection was picked up mid-stream (no SYN seen, e.g.
 * a conntrack synchronised to a backup router): replies to commands sent
 * before are acted on until pairing is re-established.
 */
void fs_pickup(struct fs_conn *c);

/* fs_segment - process one segment with payload: see struct fs_seg. */
void fs_segment(struct fs_conn *c, struct fs_seg *s);

/*
 * fs_edit_text - the replacement a segment starting at @seg_seq gets for
 * the original bytes [@from, @to) of rewrite @rw, whose full replacement
 * text is @rep: writes the offset into @rep and returns the length, or -1
 * when no consistent text exists for that segment start (it must then be
 * dropped).  Exposed for the tests.
 */
int fs_edit_text(const struct fs_rw *rw, fp_u32 seg_seq, fp_u32 from,
		 fp_u32 to, fp_u32 *rep_off);

/*
 * fs_rw_pos - the correction point of a length-changing rewrite, its
 * first byte + min(olen, rlen) - 1: segments starting at or before it
 * keep the offset before the rewrite, segments starting after it get the
 * offset after it; and an ACK of all of the replacement translates to the
 * end of the original bytes, so a sender always gets past them.
 */
fp_u32 fs_rw_pos(const struct fs_rw *rw);

/* fs_release - free what the state holds (the line buffers). */
void fs_release(struct fs_conn *c, void *host);

/* Short names of the events, for logs and tests. */
const char *fs_event_name(enum fs_event ev);

#endif /* FTP_STREAM_H */
