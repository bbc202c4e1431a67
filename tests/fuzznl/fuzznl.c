// SPDX-License-Identifier: GPL-2.0
/*
 * fuzznl - fuzzer and model checker of the "ftp_portmap" generic netlink
 * family.  Run by tests/netns/fuzznl.sh, as root, in a fresh network
 * namespace.
 *
 *   fuzznl MODE [--seed N] [--count N] [--model FILE] [options]
 *
 * Every message sent is also given to an oracle that knows the kernel's
 * generic netlink and attribute validation (net/netlink/genetlink.c,
 * lib/nlattr.c) and the family's policies and semantics
 * (include/uapi/ftp_portmap.h): it predicts for each message whether a
 * reply comes, which errno, what a reply carries, and what the message
 * does to the table.  The prediction is checked against the replies (by
 * sequence number); the model of the table and the settings is what the
 * kernel acknowledged (error 0, or no error reply where no ACK was asked),
 * and it is compared with complete dumps all along and at the end.
 *
 * Modes:
 *   seq         --count random, valid and mutated messages, in batches
 *               (several messages per sendmsg, like the kernel's own
 *               netlink_rcv_skb loop sees them), from a privileged socket.
 *   unpriv      --count messages from processes without CAP_NET_ADMIN over
 *               the namespace: a uid-switched process, a process in a new
 *               user namespace, a privileged socket used by an unprivileged
 *               process and an unprivileged socket used by root.  Every
 *               command must be refused (EPERM) and the table must not
 *               change.  Then, in a user namespace with its own network
 *               namespace, a privileged run on that namespace's own table.
 *   huge        --bulk mappings added, then dumps: tiny socket receive
 *               buffer (one part per read), large buffer, truncating reads,
 *               interrupted dumps, a second dump while one runs (EBUSY),
 *               requests interleaved with a running dump; then half of the
 *               table deleted; the model (half the table) is written.
 *   concurrent  writers (own keys each), dumpers (now and then also
 *               CONFIG_GET, STATS_GET or STATS_RESET), a settings writer and
 *               an unprivileged process at the same time; phase A without and
 *               phase B with a flusher.  Every result of every writer is
 *               checked for linearizability against its own history and
 *               the flushes (by their time intervals); dumps must list
 *               each mapping that exists throughout them exactly once
 *               unless flagged NLM_F_DUMP_INTR.
 *   churn       phase A's writers alone for --seconds (something else,
 *               e.g. portmapctl, lists the table meanwhile), same checks.
 *
 * Options:
 *   --seed N          PRNG seed (default: random; printed either way)
 *   --count N         messages to send (seq, unpriv, concurrent)
 *   --bulk N          mappings for huge (default 50000)
 *   --model FILE      write the final model: one "PORT HOST" line per
 *                     mapping (HOST "-" for none), sorted as sort -n does
 *   --config FILE     write the final settings: "strict N max_expect N"
 *   --writers N --dumpers N   concurrent mode (default 3 and 2)
 *   --min-dumps N     concurrent phase A: the writers go on until the
 *                     dumpers made N dumps (default 400)
 *   --seconds N       churn mode: how long the writers run at most
 *                     (default 30)
 *   --stop-file FILE  churn mode: the writers stop when FILE exists
 *   --corrupt-model   add a mapping to the model before the final check
 *                     (self-test: the check must then fail)
 *   --timeout SEC     give up waiting for a reply (default 60)
 *   -v                report every mismatch (default: the first 25)
 *
 * Output: "# ..." notes; one "RESULT NAME ok|fail DETAIL" line per check;
 * the last line "fuzznl: N messages, N failures".  Exit 0 when nothing
 * failed, 1 when something did, 2 on bad usage or setup failure.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "../../include/uapi/ftp_portmap.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif
#ifndef NLM_F_ACK_TLVS
#define NLM_F_ACK_TLVS 0x200
#endif
#ifndef NLM_F_CAPPED
#define NLM_F_CAPPED 0x100
#endif

/* The module's MAX_EXPECT limit (src/ftp_portmap.h FPM_MAX_EXPECT_LIMIT). */
#define FPM_MAX_EXPECT_LIMIT 64

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN4(x) (((x) + 3u) & ~3u)

/* ------------------------------------------------------------------ */
/* globals, output                                                     */
/* ------------------------------------------------------------------ */

static uint16_t fam_id;
/* MAP_ADD refuses hosts that can never be a server (multicast, loopback,
 * unspecified, broadcast, IPv4-mapped, link-local): found by a probe */
static bool host_refusal;
static bool genl_split_ops;	/* >= 6.2: DUMP on a doit-only command is
				 * EOPNOTSUPP before the permission check */
static unsigned long n_fail;
static unsigned long n_sent;	/* fuzz messages sent (this process) */
static unsigned int max_reports = 25;
static unsigned int reports;
static int rcv_timeout = 60;
static const char *who = "main";
/* counts of forked processes (unpriv mode), shared with the parent */
static struct { unsigned long sent; } *shc;

static void note(const char *fmt, ...)
{
	va_list ap;

	printf("# [%s] ", who);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void failf(const char *fmt, ...)
{
	va_list ap;

	n_fail++;
	if (reports >= max_reports) {
		if (reports++ == max_reports)
			printf("# [%s] (further mismatches counted, not shown)\n",
			       who);
		return;
	}
	reports++;
	printf("MISMATCH [%s] ", who);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void result(const char *name, bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("RESULT %s %s ", name, ok ? "ok" : "fail");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!ok)
		n_fail++;
}

static void hexdump(const uint8_t *p, size_t len, size_t max)
{
	size_t i;

	if (reports > max_reports)
		return;
	printf("    bytes (%zu):", len);
	for (i = 0; i < len && i < max; i++)
		printf("%s%02x", i % 32 ? " " : "\n      ", p[i]);
	if (len > max)
		printf(" ...");
	putchar('\n');
}

static void die(const char *fmt, ...)
{
	va_list ap;

	printf("# [%s] SETUP ERROR: ", who);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\nRESULT setup fail see above\n");
	fflush(stdout);
	exit(2);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static const char *errname(int e)
{
	static char buf[16];

	switch (e) {
	case 0: return "ok";
	case EINVAL: return "EINVAL";
	case ERANGE: return "ERANGE";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EEXIST: return "EEXIST";
	case ENOSPC: return "ENOSPC";
	case ENOMEM: return "ENOMEM";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EAFNOSUPPORT: return "EAFNOSUPPORT";
	case EBUSY: return "EBUSY";
	case EMSGSIZE: return "EMSGSIZE";
	case ENOBUFS: return "ENOBUFS";
	}
	snprintf(buf, sizeof(buf), "errno%d", e);
	return buf;
}

static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void wr16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void wr32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/* ------------------------------------------------------------------ */
/* PRNG: xoshiro256**, seeded by splitmix64                             */
/* ------------------------------------------------------------------ */

static uint64_t rs[4];

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void rseed(uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ull);
	int i;

	for (i = 0; i < 4; i++)
		rs[i] = splitmix(&x);
}

static uint64_t rnd(void)
{
	uint64_t r = ((rs[1] * 5) << 7 | (rs[1] * 5) >> 57) * 9;
	uint64_t t = rs[1] << 17;

	rs[2] ^= rs[0];
	rs[3] ^= rs[1];
	rs[1] ^= rs[2];
	rs[0] ^= rs[3];
	rs[2] ^= t;
	rs[3] = rs[3] << 45 | rs[3] >> 19;
	return r;
}

static uint32_t rn(uint32_t n)
{
	return n ? (uint32_t)(rnd() % n) : 0;
}

static bool chance(unsigned int pct)
{
	return rn(100) < pct;
}

static void rbytes(uint8_t *p, size_t n)
{
	while (n--)
		*p++ = (uint8_t)rnd();
}

/* ------------------------------------------------------------------ */
/* keys and the model                                                  */
/* ------------------------------------------------------------------ */

struct key {
	uint16_t port;
	uint8_t family;		/* 0: any host */
	uint8_t addr[16];	/* 4 bytes for AF_INET, zero beyond */
};

static int key_cmp(const void *a, const void *b)
{
	const struct key *x = a, *y = b;

	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->addr, y->addr, 16);
}

static bool key_eq(const struct key *a, const struct key *b)
{
	return !key_cmp(a, b);
}

static const char *key_str(const struct key *k)
{
	static char buf[4][80];
	static int n;
	char a[INET6_ADDRSTRLEN] = "-";
	char *b = buf[n++ & 3];

	if (k->family == AF_INET || k->family == AF_INET6)
		inet_ntop(k->family, k->addr, a, sizeof(a));
	else if (k->family)
		snprintf(a, sizeof(a), "family%u", k->family);
	snprintf(b, 80, "%u %s", k->port, a);
	return b;
}

struct keyvec {
	struct key *v;
	size_t n, cap;
};

static void kv_push(struct keyvec *kv, const struct key *k)
{
	if (kv->n == kv->cap) {
		kv->cap = kv->cap ? kv->cap * 2 : 64;
		kv->v = realloc(kv->v, kv->cap * sizeof(*kv->v));
		if (!kv->v)
			die("out of memory");
	}
	kv->v[kv->n++] = *k;
}

static void kv_free(struct keyvec *kv)
{
	free(kv->v);
	memset(kv, 0, sizeof(*kv));
}

struct hkey {
	uint8_t family;
	uint8_t addr[16];
};

struct pslot {
	uint16_t n, cap;
	struct hkey *v;
};

struct model {
	struct pslot *slot;	/* [65536] */
	uint32_t count;
	int strict;
	uint32_t max_expect;
	uint32_t map_max;
};

static void model_init(struct model *m)
{
	memset(m, 0, sizeof(*m));
	m->slot = calloc(65536, sizeof(*m->slot));
	if (!m->slot)
		die("out of memory");
	m->strict = -1;		/* unknown until read or set */
	m->map_max = 262144;
}

static void model_clear(struct model *m)
{
	unsigned int i;

	for (i = 0; i < 65536; i++)
		m->slot[i].n = 0;
	m->count = 0;
}

static int model_find(const struct model *m, const struct key *k)
{
	const struct pslot *s = &m->slot[k->port];
	int i;

	for (i = 0; i < s->n; i++)
		if (s->v[i].family == k->family &&
		    !memcmp(s->v[i].addr, k->addr, 16))
			return i;
	return -1;
}

static bool model_has(const struct model *m, const struct key *k)
{
	return model_find(m, k) >= 0;
}

static void model_add(struct model *m, const struct key *k)
{
	struct pslot *s = &m->slot[k->port];

	if (model_find(m, k) >= 0)
		return;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 2;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		if (!s->v)
			die("out of memory");
	}
	s->v[s->n].family = k->family;
	memcpy(s->v[s->n].addr, k->addr, 16);
	s->n++;
	m->count++;
}

static void model_del(struct model *m, const struct key *k)
{
	struct pslot *s = &m->slot[k->port];
	int i = model_find(m, k);

	if (i < 0)
		return;
	s->v[i] = s->v[--s->n];
	m->count--;
}

/* All keys of the model, sorted. */
static void model_keys(const struct model *m, struct keyvec *kv)
{
	unsigned int p;
	int i;

	kv->n = 0;
	for (p = 0; p < 65536; p++)
		for (i = 0; i < m->slot[p].n; i++) {
			struct key k = { .port = (uint16_t)p };

			k.family = m->slot[p].v[i].family;
			memcpy(k.addr, m->slot[p].v[i].addr, 16);
			kv_push(kv, &k);
		}
	qsort(kv->v, kv->n, sizeof(*kv->v), key_cmp);
}

/*
 * Compare a dump with the model: sorted copies, report the first
 * differences.  Returns true when equal.
 */
static bool compare_with_model(const char *what, const struct keyvec *got,
			       const struct model *m)
{
	struct keyvec want = { 0 }, have = { 0 };
	size_t i = 0, j = 0;
	unsigned int shown = 0, missing = 0, extra = 0;

	model_keys(m, &want);
	for (i = 0; i < got->n; i++)
		kv_push(&have, &got->v[i]);
	qsort(have.v, have.n, sizeof(*have.v), key_cmp);
	i = 0;
	while (i < want.n || j < have.n) {
		int c = i >= want.n ? 1 : j >= have.n ? -1 :
			key_cmp(&want.v[i], &have.v[j]);

		if (!c) {
			i++, j++;
			continue;
		}
		if (c < 0) {
			missing++;
			if (shown++ < 5)
				failf("%s: mapping %s acknowledged but not in the dump",
				      what, key_str(&want.v[i]));
			i++;
		} else {
			extra++;
			if (shown++ < 5)
				failf("%s: dump lists %s, which the model does not have",
				      what, key_str(&have.v[j]));
			j++;
		}
	}
	if (missing || extra)
		failf("%s: dump has %zu mappings, model %zu (%u missing, %u extra)",
		      what, have.n, want.n, missing, extra);
	kv_free(&want);
	kv_free(&have);
	return !missing && !extra;
}

static int write_model(const char *path, const struct model *m)
{
	struct keyvec kv = { 0 };
	FILE *f = fopen(path, "w");
	size_t i;

	if (!f)
		return -1;
	model_keys(m, &kv);
	for (i = 0; i < kv.n; i++)
		fprintf(f, "%s\n", key_str(&kv.v[i]));
	kv_free(&kv);
	return fclose(f);
}

/* ------------------------------------------------------------------ */
/* netlink sockets                                                     */
/* ------------------------------------------------------------------ */

struct nls {
	struct mnl_socket *nl;
	int fd;
	uint32_t portid;
	uint32_t seq;
	/* send with write(): no destination address, so the kernel checks
	 * the capabilities of the socket's opener too (NETLINK_SKB_DST is
	 * not set; with sendto() only the sender's count) */
	bool use_write;
};

static uint8_t rxbuf[1 << 17];

/* rcvbuf: 0 default, -1 the smallest the kernel allows, >0 forced size */
static int nls_open(struct nls *s, int rcvbuf)
{
	int one = 1;
	struct timeval tv = { .tv_sec = rcv_timeout };

	memset(s, 0, sizeof(*s));
	s->nl = mnl_socket_open(NETLINK_GENERIC);
	if (!s->nl)
		return -errno;
	if (mnl_socket_bind(s->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = -errno;

		mnl_socket_close(s->nl);
		return e;
	}
	s->fd = mnl_socket_get_fd(s->nl);
	s->portid = mnl_socket_get_portid(s->nl);
	s->seq = (uint32_t)rnd() & 0x3fffffff;
	mnl_socket_setsockopt(s->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(s->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (rcvbuf < 0) {
		int v = 1;

		setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	} else if (rcvbuf > 0) {
		if (setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
			       sizeof(rcvbuf)))
			setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
				   sizeof(rcvbuf));
	}
	return 0;
}

static void nls_close(struct nls *s)
{
	if (s->nl)
		mnl_socket_close(s->nl);
	s->nl = NULL;
	s->fd = -1;
}

/* Wrap an existing netlink fd (one passed in by another process). */
static void nls_from_fd(struct nls *s, int fd)
{
	struct sockaddr_nl sa;
	socklen_t sl = sizeof(sa);

	memset(s, 0, sizeof(*s));
	s->fd = fd;
	if (!getsockname(fd, (struct sockaddr *)&sa, &sl))
		s->portid = sa.nl_pid;
	s->seq = (uint32_t)rnd() & 0x3fffffff;
}

static ssize_t nls_send(struct nls *s, const void *buf, size_t len)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	if (s->use_write)
		return write(s->fd, buf, len);
	return sendto(s->fd, buf, len, 0, (struct sockaddr *)&sa, sizeof(sa));
}

/* One datagram, whole (peeked for its size first when @peek). */
static ssize_t nls_recv(struct nls *s, uint8_t *buf, size_t cap, bool peek)
{
	ssize_t n;

	if (peek) {
		n = recv(s->fd, NULL, 0, MSG_PEEK | MSG_TRUNC);
		if (n < 0)
			return -errno;
		if ((size_t)n > cap)
			return -EMSGSIZE;
		cap = (size_t)n;
	}
	n = recv(s->fd, buf, cap, 0);
	return n < 0 ? -errno : n;
}

static int family_id_cb(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID &&
	    mnl_attr_validate(a, MNL_TYPE_U16) >= 0)
		*(uint16_t *)data = mnl_attr_get_u16(a);
	return MNL_CB_OK;
}

static int family_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	mnl_attr_parse(nlh, sizeof(struct genlmsghdr), family_id_cb, data);
	return MNL_CB_OK;
}

static int resolve_family(struct nls *s, uint16_t *id)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;
	uint32_t seq = ++s->seq;
	ssize_t n;
	int ret;

	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, FTP_PORTMAP_GENL_NAME);
	*id = 0;
	if (mnl_socket_sendto(s->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(s->nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		ret = mnl_cb_run(buf, (size_t)n, seq, s->portid, family_msg_cb,
				 id);
	} while (ret > 0);
	if (ret < 0)
		return -errno;
	return *id ? 0 : -ENOENT;
}

/* ------------------------------------------------------------------ */
/* reply parsing                                                       */
/* ------------------------------------------------------------------ */

/* A reply's attributes, strictly: known types, exact sizes, once each. */
struct reply {
	bool has_port, has_family, has_h4, has_h6, has_ctr, has_stats;
	bool has_strict, has_maxexp, has_count, has_mapmax, has_version;
	struct key key;
	uint8_t strict;
	uint32_t max_expect, map_count, map_max;
	unsigned int nstats, nctr;
	char problem[120];
};

static void rep_problem(struct reply *r, const char *fmt, ...)
{
	va_list ap;

	if (r->problem[0])
		return;
	va_start(ap, fmt);
	vsnprintf(r->problem, sizeof(r->problem), fmt, ap);
	va_end(ap);
}

/* u64 counters nest: PAD (any size) or a counter (8 bytes), no nesting. */
static unsigned int parse_u64_nest(const uint8_t *p, int len, int pad,
				   struct reply *r, const char *what)
{
	unsigned int n = 0;
	int rem = len;

	while (rem >= 4) {
		uint16_t alen = rd16(p), type = rd16(p + 2) & NLA_TYPE_MASK;

		if (alen < 4 || alen > rem) {
			rep_problem(r, "%s: bad attribute length %u", what, alen);
			return n;
		}
		if (type != pad) {
			if (type < 2 || alen != 12)
				rep_problem(r, "%s: attribute %u of %u bytes",
					    what, type, alen - 4);
			n++;
		}
		p += ALIGN4(alen);
		rem -= (int)ALIGN4(alen);
	}
	if (rem > 0)
		rep_problem(r, "%s: %d trailing bytes", what, rem);
	return n;
}

static void parse_reply(const struct nlmsghdr *nlh, uint8_t want_cmd,
			struct reply *r)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	const uint8_t *p;
	int rem;

	memset(r, 0, sizeof(*r));
	if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN) {
		rep_problem(r, "reply of %u bytes", nlh->nlmsg_len);
		return;
	}
	if (g->cmd != want_cmd)
		rep_problem(r, "reply cmd %u, want %u", g->cmd, want_cmd);
	if (g->version != FTP_PORTMAP_GENL_VERSION)
		rep_problem(r, "reply version %u", g->version);
	if (g->reserved)
		rep_problem(r, "reply reserved %u", g->reserved);
	p = (const uint8_t *)g + GENL_HDRLEN;
	rem = (int)nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
	while (rem >= 4) {
		uint16_t alen = rd16(p), type = rd16(p + 2);
		const uint8_t *d = p + 4;
		int dl = alen - 4;

		type &= NLA_TYPE_MASK;
		if (alen < 4 || alen > rem) {
			rep_problem(r, "attribute length %u of %d", alen, rem);
			return;
		}
#define ONCE(flag) do { if (r->flag) rep_problem(r, "attribute %u twice", type); r->flag = true; } while (0)
#define SIZE(n) do { if (dl != (n)) rep_problem(r, "attribute %u: %d bytes", type, dl); } while (0)
		switch (type) {
		case FPM_A_PORT:
			ONCE(has_port);
			SIZE(2);
			if (dl == 2)
				r->key.port = rd16(d);
			break;
		case FPM_A_FAMILY:
			ONCE(has_family);
			SIZE(1);
			if (dl == 1)
				r->key.family = d[0];
			break;
		case FPM_A_HOST4:
			ONCE(has_h4);
			SIZE(4);
			if (dl == 4)
				memcpy(r->key.addr, d, 4);
			break;
		case FPM_A_HOST6:
			ONCE(has_h6);
			SIZE(16);
			if (dl == 16)
				memcpy(r->key.addr, d, 16);
			break;
		case FPM_A_COUNTERS:
			ONCE(has_ctr);
			r->nctr = parse_u64_nest(d, dl, FPM_CTR_PAD, r,
						 "counters");
			break;
		case FPM_A_STATS:
			ONCE(has_stats);
			r->nstats = parse_u64_nest(d, dl, FPM_STAT_PAD, r,
						   "stats");
			break;
		case FPM_A_STRICT:
			ONCE(has_strict);
			SIZE(1);
			if (dl == 1)
				r->strict = d[0];
			break;
		case FPM_A_MAX_EXPECT:
			ONCE(has_maxexp);
			SIZE(4);
			if (dl == 4)
				r->max_expect = rd32(d);
			break;
		case FPM_A_MAP_COUNT:
			ONCE(has_count);
			SIZE(4);
			if (dl == 4)
				r->map_count = rd32(d);
			break;
		case FPM_A_MAP_MAX:
			ONCE(has_mapmax);
			SIZE(4);
			if (dl == 4)
				r->map_max = rd32(d);
			break;
		case FPM_A_VERSION:
			ONCE(has_version);
			if (dl < 1 || memchr(d, 0, (size_t)dl) != d + dl - 1)
				rep_problem(r, "version is not one NUL-terminated string");
			break;
		default:
			rep_problem(r, "unknown attribute %u in reply", type);
		}
#undef ONCE
#undef SIZE
		p += ALIGN4(alen);
		rem -= (int)ALIGN4(alen);
	}
	if (rem > 0)
		rep_problem(r, "%d trailing bytes in reply", rem);
	if (want_cmd == FPM_CMD_MAP_GET) {
		if (!r->has_port || !r->has_ctr)
			rep_problem(r, "mapping without port or counters");
		if (r->has_h4 && r->has_h6)
			rep_problem(r, "mapping with two hosts");
		if (r->has_family != (r->has_h4 || r->has_h6) ||
		    (r->has_h4 && r->key.family != AF_INET) ||
		    (r->has_h6 && r->key.family != AF_INET6))
			rep_problem(r, "mapping family %u does not go with its host",
				    r->key.family);
		if (r->nctr < 4)
			rep_problem(r, "%u counters", r->nctr);
	} else if (want_cmd == FPM_CMD_STATS_GET) {
		if (!r->has_stats || !r->has_count)
			rep_problem(r, "stats reply without STATS or MAP_COUNT");
		if (r->nstats < FPM_STAT_MAX - 1)
			rep_problem(r, "%u stats, want at least %u", r->nstats,
				    FPM_STAT_MAX - 1);
	} else if (want_cmd == FPM_CMD_CONFIG_GET) {
		if (!r->has_strict || !r->has_maxexp || !r->has_count ||
		    !r->has_mapmax || !r->has_version)
			rep_problem(r, "config reply lacks an attribute");
		if (r->strict > 1 || r->max_expect < 1 ||
		    r->max_expect > FPM_MAX_EXPECT_LIMIT)
			rep_problem(r, "config values out of range: strict %u max_expect %u",
				    r->strict, r->max_expect);
	}
}

/* The error code of an NLMSG_ERROR message (positive errno, 0 = ack). */
static int nlerr(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(int))
		return -1;
	return -e->error;
}

/* ------------------------------------------------------------------ */
/* simple requests (the non-fuzz paths: setup, writers, checks)         */
/* ------------------------------------------------------------------ */

struct req {
	uint8_t cmd;
	const struct key *key;
	int strict;		/* -1: absent */
	int64_t max_expect;	/* -1: absent */
};

static size_t build_req(uint8_t *buf, uint32_t seq, const struct req *q,
			uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = fam_id;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = q->cmd;
	g->version = FTP_PORTMAP_GENL_VERSION;
	if (q->key) {
		mnl_attr_put_u16(nlh, FPM_A_PORT, q->key->port);
		if (q->key->family) {
			mnl_attr_put_u8(nlh, FPM_A_FAMILY, q->key->family);
			if (q->key->family == AF_INET)
				mnl_attr_put(nlh, FPM_A_HOST4, 4, q->key->addr);
			else
				mnl_attr_put(nlh, FPM_A_HOST6, 16, q->key->addr);
		}
	}
	if (q->strict >= 0)
		mnl_attr_put_u8(nlh, FPM_A_STRICT, (uint8_t)q->strict);
	if (q->max_expect >= 0)
		mnl_attr_put_u32(nlh, FPM_A_MAX_EXPECT, (uint32_t)q->max_expect);
	return nlh->nlmsg_len;
}

/*
 * Send one request with NLM_F_ACK and wait for its ack.  A data reply (at
 * most one) is parsed into @r.  Returns the error of the ack (positive
 * errno, 0 for success) or -errno of the socket.
 */
static int do_req(struct nls *s, const struct req *q, struct reply *r,
		  bool *got_data)
{
	uint8_t buf[256];
	uint32_t seq = ++s->seq;
	size_t len = build_req(buf, seq, q, NLM_F_REQUEST | NLM_F_ACK);
	bool data = false;

	if (nls_send(s, buf, len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = nls_recv(s, rxbuf, sizeof(rxbuf), false);
		const struct nlmsghdr *nlh = (const void *)rxbuf;
		int rem = (int)n;

		if (n < 0)
			return (int)n;
		for (; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
			if (nlh->nlmsg_seq != seq) {
				failf("reply with seq %u while waiting for %u (type %u)",
				      nlh->nlmsg_seq, seq, nlh->nlmsg_type);
				continue;
			}
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				if (got_data)
					*got_data = data;
				return nlerr(nlh);
			}
			if (nlh->nlmsg_type == fam_id) {
				if (data)
					failf("two replies to cmd %u", q->cmd);
				data = true;
				if (r)
					parse_reply(nlh, q->cmd, r);
				continue;
			}
			failf("unexpected reply type %u to cmd %u",
			      nlh->nlmsg_type, q->cmd);
		}
	}
}

/* ------------------------------------------------------------------ */
/* dumps                                                               */
/* ------------------------------------------------------------------ */

struct dumpres {
	struct keyvec keys;
	unsigned int parts;	/* datagrams read */
	unsigned int truncated;	/* datagrams cut by a short user buffer */
	bool done, intr, unordered, dup;
	int err;		/* error reply (positive errno), or -errno */
	char problem[160];
};

struct dumpopt {
	bool peek;		/* read each datagram whole (MSG_PEEK) */
	size_t bufsize;		/* user buffer (0: the big one) */
	unsigned int stop_after;	/* stop after this many parts (0: no) */
	bool with_port;		/* put a (valid, ignored) PORT attribute in */
	unsigned int pause_us;	/* sleep up to this long between parts */
};

static void dump_problem(struct dumpres *d, const char *fmt, ...)
{
	va_list ap;

	if (d->problem[0])
		return;
	va_start(ap, fmt);
	vsnprintf(d->problem, sizeof(d->problem), fmt, ap);
	va_end(ap);
}

static int dump_start(struct nls *s, uint32_t seq, bool with_port)
{
	uint8_t buf[64];
	struct key k = { .port = 21 };
	struct req q = { .cmd = FPM_CMD_MAP_GET, .key = with_port ? &k : NULL,
			 .strict = -1, .max_expect = -1 };
	size_t len = build_req(buf, seq, &q, NLM_F_REQUEST | NLM_F_DUMP);

	return nls_send(s, buf, len) < 0 ? -errno : 0;
}

/*
 * Consume the messages of one datagram that belong to dump @seq.  Other
 * sequence numbers are passed to @other (may be NULL: then a mismatch).
 */
typedef void (*other_fn)(const struct nlmsghdr *nlh, void *arg);

static void dump_consume(const uint8_t *buf, int len, uint32_t seq,
			 struct dumpres *d, other_fn other, void *arg)
{
	const struct nlmsghdr *nlh = (const void *)buf;
	int rem = len;

	for (; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
		struct reply r;

		if (nlh->nlmsg_seq != seq) {
			if (other)
				other(nlh, arg);
			else
				dump_problem(d, "message of seq %u in dump %u",
					     nlh->nlmsg_seq, seq);
			continue;
		}
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
			d->intr = true;
		if (nlh->nlmsg_type == NLMSG_DONE) {
			d->done = true;
			if (nlh->nlmsg_len >= NLMSG_HDRLEN + 4 &&
			    *(const int *)mnl_nlmsg_get_payload(nlh))
				d->err = -*(const int *)mnl_nlmsg_get_payload(nlh);
			continue;
		}
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			d->err = nlerr(nlh);
			d->done = true;
			continue;
		}
		if (nlh->nlmsg_type != fam_id) {
			dump_problem(d, "message type %u in dump",
				     nlh->nlmsg_type);
			continue;
		}
		if (!(nlh->nlmsg_flags & NLM_F_MULTI))
			dump_problem(d, "dump message without NLM_F_MULTI");
		parse_reply(nlh, FPM_CMD_MAP_GET, &r);
		if (r.problem[0])
			dump_problem(d, "bad mapping in dump: %s", r.problem);
		if (d->keys.n && d->keys.v[d->keys.n - 1].port > r.key.port)
			d->unordered = true;
		kv_push(&d->keys, &r.key);
	}
	if (rem > 0 && !d->truncated)
		dump_problem(d, "%d bytes of a partial message", rem);
}

/*
 * Run one dump on @s (which has nothing else pending) and collect it.
 * Returns 0 when it ran to NLMSG_DONE (or stopped as asked).
 */
static int dump_table(struct nls *s, const struct dumpopt *o,
		      struct dumpres *d)
{
	uint32_t seq = ++s->seq;
	size_t cap = o->bufsize ? o->bufsize : sizeof(rxbuf);
	int err;

	memset(d, 0, sizeof(*d));
	err = dump_start(s, seq, o->with_port);
	if (err)
		return err;
	while (!d->done) {
		ssize_t n;

		if (o->stop_after && d->parts >= o->stop_after)
			return 0;
		if (o->pause_us && d->parts)
			usleep(rn(o->pause_us));
		if (o->bufsize && !o->peek) {
			n = recv(s->fd, rxbuf, cap, MSG_TRUNC);
			if (n < 0) {
				d->err = -errno;
				return d->err;
			}
			d->parts++;
			if ((size_t)n > cap) {
				d->truncated++;
				n = (ssize_t)cap;
			}
		} else {
			n = nls_recv(s, rxbuf, cap, o->peek);
			if (n < 0) {
				d->err = (int)n;
				return d->err;
			}
			d->parts++;
		}
		dump_consume(rxbuf, (int)n, seq, d, NULL, NULL);
	}
	/* duplicates */
	if (d->keys.n > 1) {
		struct keyvec c = { 0 };
		size_t i;

		for (i = 0; i < d->keys.n; i++)
			kv_push(&c, &d->keys.v[i]);
		qsort(c.v, c.n, sizeof(*c.v), key_cmp);
		for (i = 1; i < c.n; i++)
			if (key_eq(&c.v[i - 1], &c.v[i]))
				d->dup = true;
		kv_free(&c);
	}
	return 0;
}

/* The kernel's settings and table into @m (a fresh, exact dump). */
static int model_from_kernel(struct nls *s, struct model *m)
{
	struct dumpopt o = { .peek = true };
	struct dumpres d;
	struct reply r;
	struct req q = { .cmd = FPM_CMD_CONFIG_GET, .strict = -1,
			 .max_expect = -1 };
	bool data;
	size_t i;
	int err;

	err = do_req(s, &q, &r, &data);
	if (err || !data)
		return err ? err : -EPROTO;
	m->strict = r.strict;
	m->max_expect = r.max_expect;
	m->map_max = r.map_max;
	err = dump_table(s, &o, &d);
	if (err || d.err || !d.done) {
		kv_free(&d.keys);
		return err ? err : d.err ? d.err : -EPROTO;
	}
	model_clear(m);
	for (i = 0; i < d.keys.n; i++)
		model_add(m, &d.keys.v[i]);
	kv_free(&d.keys);
	if (m->count != r.map_count)
		note("table changed between CONFIG_GET (%u) and the dump (%u)",
		     r.map_count, m->count);
	return 0;
}

/* Exact check of table + settings against the model; true if equal. */
static bool verify_model(struct nls *s, const struct model *m,
			 const char *what, bool tiny)
{
	struct dumpopt o = { .peek = true };
	struct dumpres d;
	struct reply r;
	struct req q = { .cmd = FPM_CMD_CONFIG_GET, .strict = -1,
			 .max_expect = -1 };
	bool ok = true, data;
	int err;

	struct nls t;

	if (tiny) {
		if (nls_open(&t, -1))
			die("socket: %s", strerror(errno));
		err = dump_table(&t, &o, &d);
		nls_close(&t);
	} else {
		err = dump_table(s, &o, &d);
	}
	if (err || d.err || !d.done) {
		failf("%s: dump failed: %s", what,
		      errname(err ? -err : d.err ? abs(d.err) : EPROTO));
		kv_free(&d.keys);
		return false;
	}
	if (d.problem[0]) {
		failf("%s: %s", what, d.problem);
		ok = false;
	}
	if (d.intr || d.dup || d.unordered) {
		failf("%s: quiescent dump intr=%d dup=%d unordered=%d", what,
		      d.intr, d.dup, d.unordered);
		ok = false;
	}
	if (!compare_with_model(what, &d.keys, m))
		ok = false;
	kv_free(&d.keys);
	err = do_req(s, &q, &r, &data);
	if (err || !data || r.problem[0]) {
		failf("%s: CONFIG_GET: %s %s", what, errname(err < 0 ? -err : err),
		      r.problem);
		return false;
	}
	if (r.map_count != m->count) {
		failf("%s: CONFIG_GET map_count %u, model %u", what,
		      r.map_count, m->count);
		ok = false;
	}
	if ((m->strict >= 0 && r.strict != m->strict) ||
	    (m->max_expect && r.max_expect != m->max_expect)) {
		failf("%s: settings strict %u max_expect %u, model %d %u",
		      what, r.strict, r.max_expect, m->strict, m->max_expect);
		ok = false;
	}
	return ok;
}

/* ------------------------------------------------------------------ */
/* message generation                                                  */
/* ------------------------------------------------------------------ */

#define FM_MAXATTR 40
#define FM_PMAX 1024

struct fattr {
	uint16_t type;
	int32_t lenf;		/* nla_len override, <0: right */
	uint16_t plen;
	bool nopad;
	uint8_t p[FM_PMAX];
};

struct fmsg {
	uint16_t type, flags;
	uint32_t pid;
	uint8_t cmd, ver;
	uint16_t resv;
	int nattr;
	struct fattr a[FM_MAXATTR];
	int32_t lenf;		/* nlmsg_len override, <0: right */
	int32_t cut;		/* keep only this many bytes, <0: all */
	uint16_t trail;		/* garbage after the attributes */
	uint8_t trailb[16];
};

static const uint16_t gen_ports[] = { 1, 2, 20, 21, 2121, 8021, 65534, 65535 };
static const char *const gen_v4[] = { "10.0.0.1", "10.0.0.2", "192.0.2.1",
				      "0.0.0.0", "255.255.255.255" };
static const char *const gen_v6[] = { "2001:db8::1", "2001:db8::2",
				      "::ffff:10.0.0.1", "::", "fe80::1",
				      "ff02::1" };

static void gen_key(struct key *k)
{
	unsigned int r = rn(100);

	memset(k, 0, sizeof(*k));
	if (r < 45)
		k->port = gen_ports[rn(ARRAY_SIZE(gen_ports))];
	else if (r < 92)
		k->port = (uint16_t)(100 + rn(12));
	else
		k->port = (uint16_t)(1 + rn(65535));
	r = rn(100);
	if (r < 40)
		return;
	if (r < 75) {
		k->family = AF_INET;
		inet_pton(AF_INET, gen_v4[rn(ARRAY_SIZE(gen_v4))], k->addr);
	} else {
		k->family = AF_INET6;
		inet_pton(AF_INET6, gen_v6[rn(ARRAY_SIZE(gen_v6))], k->addr);
	}
}

static struct fattr *fm_add(struct fmsg *fm, uint16_t type, const void *p,
			    uint16_t len)
{
	struct fattr *a;

	if (fm->nattr >= FM_MAXATTR)
		return NULL;
	if (len > FM_PMAX)
		len = FM_PMAX;
	a = &fm->a[fm->nattr++];
	a->type = type;
	a->lenf = -1;
	a->plen = len;
	a->nopad = false;
	memcpy(a->p, p, len);
	return a;
}

static void fm_add_u8(struct fmsg *fm, uint16_t t, uint8_t v)
{
	fm_add(fm, t, &v, 1);
}

static void fm_add_u16(struct fmsg *fm, uint16_t t, uint16_t v)
{
	fm_add(fm, t, &v, 2);
}

static void fm_add_u32(struct fmsg *fm, uint16_t t, uint32_t v)
{
	fm_add(fm, t, &v, 4);
}

static void fm_add_key(struct fmsg *fm, const struct key *k)
{
	fm_add_u16(fm, FPM_A_PORT, k->port);
	if (!k->family)
		return;
	/* either order: the kernel does not care */
	if (chance(20)) {
		fm_add(fm, k->family == AF_INET ? FPM_A_HOST4 : FPM_A_HOST6,
		       k->addr, k->family == AF_INET ? 4 : 16);
		fm_add_u8(fm, FPM_A_FAMILY, k->family);
	} else {
		fm_add_u8(fm, FPM_A_FAMILY, k->family);
		fm_add(fm, k->family == AF_INET ? FPM_A_HOST4 : FPM_A_HOST6,
		       k->addr, k->family == AF_INET ? 4 : 16);
	}
}

static void fm_header(struct fmsg *fm, uint8_t cmd)
{
	memset(fm, 0, offsetof(struct fmsg, a));
	fm->type = fam_id;
	fm->flags = NLM_F_REQUEST | (chance(85) ? NLM_F_ACK : 0) |
		    (chance(5) ? NLM_F_ECHO : 0);
	fm->pid = chance(90) ? 0 : (uint32_t)rnd();
	fm->cmd = cmd;
	fm->ver = FTP_PORTMAP_GENL_VERSION;
	fm->lenf = -1;
	fm->cut = -1;
	fm->trail = 0;
	fm->nattr = 0;
}

static uint32_t gen_max_expect(void)
{
	static const uint32_t v[] = { 1, 2, 4, 8, 63, 64 };

	return chance(50) ? v[rn(ARRAY_SIZE(v))] : 1 + rn(FPM_MAX_EXPECT_LIMIT);
}

/* A valid message for a random command (dump: MAP_GET with NLM_F_DUMP). */
static void gen_valid(struct fmsg *fm, bool allow_dump)
{
	unsigned int r = rn(100);
	struct key k;

	gen_key(&k);
	if (r < 30) {
		fm_header(fm, FPM_CMD_MAP_ADD);
		fm_add_key(fm, &k);
	} else if (r < 46) {
		fm_header(fm, FPM_CMD_MAP_DEL);
		fm_add_key(fm, &k);
	} else if (r < 60) {
		fm_header(fm, FPM_CMD_MAP_GET);
		fm_add_key(fm, &k);
	} else if (r < 65 && allow_dump) {
		fm_header(fm, FPM_CMD_MAP_GET);
		fm->flags = NLM_F_REQUEST | NLM_F_DUMP |
			    (chance(20) ? NLM_F_ACK : 0);
		if (chance(20))
			fm_add_key(fm, &k);
	} else if (r < 66 && chance(30)) {
		fm_header(fm, FPM_CMD_MAP_FLUSH);
	} else if (r < 72) {
		fm_header(fm, FPM_CMD_STATS_GET);
	} else if (r < 74) {
		/* zeroes counters only: table and settings stay */
		fm_header(fm, FPM_CMD_STATS_RESET);
	} else if (r < 82) {
		fm_header(fm, FPM_CMD_CONFIG_GET);
	} else {
		fm_header(fm, FPM_CMD_CONFIG_SET);
		r = rn(100);
		if (r < 35 || r >= 98)
			fm_add_u8(fm, FPM_A_STRICT, (uint8_t)rn(2));
		if (r >= 35)
			fm_add_u32(fm, FPM_A_MAX_EXPECT, gen_max_expect());
		if (r >= 98)
			fm->nattr = 0;	/* nothing to set */
	}
}

/* A typical payload for attribute @type (any family attribute). */
static void typical_payload(struct fattr *a, uint16_t type)
{
	struct key k;
	uint32_t v32;

	gen_key(&k);
	a->type = type;
	a->lenf = -1;
	a->nopad = false;
	switch (type) {
	case FPM_A_PORT:
		a->plen = 2;
		wr16(a->p, k.port);
		break;
	case FPM_A_FAMILY:
		a->plen = 1;
		a->p[0] = chance(50) ? AF_INET : AF_INET6;
		break;
	case FPM_A_HOST4:
		a->plen = 4;
		inet_pton(AF_INET, gen_v4[rn(ARRAY_SIZE(gen_v4))], a->p);
		break;
	case FPM_A_HOST6:
		a->plen = 16;
		inet_pton(AF_INET6, gen_v6[rn(ARRAY_SIZE(gen_v6))], a->p);
		break;
	case FPM_A_COUNTERS:
	case FPM_A_STATS: {
		unsigned int i, n = rn(4);

		a->type |= NLA_F_NESTED;
		a->plen = 0;
		for (i = 0; i < n; i++) {
			wr16(a->p + a->plen, 12);
			wr16(a->p + a->plen + 2, (uint16_t)(2 + rn(5)));
			rbytes(a->p + a->plen + 4, 8);
			a->plen += 12;
		}
		break;
	}
	case FPM_A_STRICT:
		a->plen = 1;
		a->p[0] = (uint8_t)rn(2);
		break;
	case FPM_A_MAX_EXPECT:
	case FPM_A_MAP_COUNT:
	case FPM_A_MAP_MAX:
		a->plen = 4;
		v32 = gen_max_expect();
		wr32(a->p, v32);
		break;
	case FPM_A_VERSION:
		a->plen = 4;
		memcpy(a->p, "0.1", 4);
		break;
	case FPM_A_PAD:
		a->plen = chance(50) ? 0 : 4;
		memset(a->p, 0, 4);
		break;
	default:
		a->plen = (uint16_t)rn(9);
		rbytes(a->p, a->plen);
	}
}

/* Random attributes, nested up to @depth deep, into p; returns length. */
static uint16_t gen_nested(uint8_t *p, uint16_t cap, int depth)
{
	uint16_t len = 0;
	unsigned int i, n = rn(6);

	for (i = 0; i < n; i++) {
		uint16_t type = (uint16_t)rn(16), plen;

		if (cap - len < 8)
			break;
		if (depth < 4 && chance(40)) {
			type |= NLA_F_NESTED;
			plen = gen_nested(p + len + 4, (uint16_t)(cap - len - 4),
					  depth + 1);
		} else {
			plen = (uint16_t)rn(13);
			if (plen > cap - len - 4)
				plen = (uint16_t)(cap - len - 4);
			if (chance(20))
				type |= NLA_F_NESTED;
			rbytes(p + len + 4, plen);
		}
		wr16(p + len, chance(5) ? (uint16_t)rn(0x10000) :
			      (uint16_t)(plen + 4));
		wr16(p + len + 2, type);
		len = (uint16_t)(len + 4 + plen);
		while (len & 3 && len < cap)
			p[len++] = 0;
	}
	return len;
}

static void mutate_value(struct fattr *a)
{
	static const uint8_t v8[] = { 0, 1, 2, 3, 9, 10, 11, 0x7f, 0x80, 0xff };
	static const uint16_t v16[] = { 0, 1, 2, 0x7fff, 0x8000, 0xffff };
	static const uint32_t v32[] = { 0, 1, 63, 64, 65, 0x7fffffff,
					0x80000000, 0xffffffff };

	switch (a->plen) {
	case 1:
		a->p[0] = chance(70) ? v8[rn(ARRAY_SIZE(v8))] : (uint8_t)rnd();
		break;
	case 2:
		wr16(a->p, chance(70) ? v16[rn(ARRAY_SIZE(v16))] :
				       (uint16_t)rnd());
		break;
	case 4:
		wr32(a->p, chance(70) ? v32[rn(ARRAY_SIZE(v32))] :
				       (uint32_t)rnd());
		break;
	default:
		if (a->plen)
			a->p[rn(a->plen)] = (uint8_t)rnd();
	}
}

static void mutate_struct(struct fmsg *fm)
{
	struct fattr *a = fm->nattr ? &fm->a[rn((uint32_t)fm->nattr)] : NULL;
	unsigned int r = rn(22);
	static const uint16_t odd_types[] = { 0, 1, 13, 14, 31, 63, 255,
					      0x3fff };

	switch (r) {
	case 0:		/* attribute type */
		if (!a)
			break;
		a->type = chance(50) ? (uint16_t)(1 + rn(FPM_A_MAX)) :
			  odd_types[rn(ARRAY_SIZE(odd_types))];
		if (chance(15))
			a->type |= NLA_F_NESTED;
		if (chance(10))
			a->type |= NLA_F_NET_BYTEORDER;
		break;
	case 1:		/* attribute size */
		if (!a)
			break;
		{
			static const uint16_t sz[] = { 0, 1, 2, 3, 4, 5, 8, 15,
						       16, 17, 32 };
			uint16_t n = chance(80) ? sz[rn(ARRAY_SIZE(sz))] :
				     (uint16_t)rn(200);

			if (n > a->plen)
				rbytes(a->p + a->plen, n - a->plen);
			a->plen = n;
		}
		break;
	case 2:
	case 3:		/* value */
		if (a)
			mutate_value(a);
		break;
	case 4:		/* duplicate */
		if (a && fm->nattr < FM_MAXATTR) {
			int at = (int)rn((uint32_t)fm->nattr + 1);

			memmove(&fm->a[at + 1], &fm->a[at],
				(size_t)(fm->nattr - at) * sizeof(*a));
			fm->a[at] = fm->a[rn((uint32_t)fm->nattr + 1)];
			fm->nattr++;
		}
		break;
	case 5:		/* delete */
		if (a) {
			int i = (int)(a - fm->a);

			memmove(a, a + 1, (size_t)(fm->nattr - i - 1) * sizeof(*a));
			fm->nattr--;
		}
		break;
	case 6:
	case 7:		/* stray attribute of the family */
		if (fm->nattr < FM_MAXATTR) {
			typical_payload(&fm->a[fm->nattr], (uint16_t)rn(FPM_A_MAX + 2));
			fm->nattr++;
		}
		break;
	case 8:		/* nested garbage */
		if (fm->nattr < FM_MAXATTR) {
			struct fattr *n = &fm->a[fm->nattr++];

			n->type = (uint16_t)(rn(FPM_A_MAX + 2) | NLA_F_NESTED);
			n->lenf = -1;
			n->nopad = false;
			n->plen = gen_nested(n->p, FM_PMAX, 0);
		}
		break;
	case 9:		/* nla_len wrong */
		if (!a)
			break;
		{
			int32_t v[] = { 0, 1, 2, 3, a->plen + 3, a->plen + 5,
					a->plen + 8, 0xffff,
					(int32_t)rn(0x10000) };

			a->lenf = v[rn(ARRAY_SIZE(v))];
		}
		break;
	case 10:	/* no padding after the last attribute */
		if (fm->nattr)
			fm->a[fm->nattr - 1].nopad = true;
		break;
	case 11:	/* order */
		if (fm->nattr > 1) {
			int i = (int)rn((uint32_t)fm->nattr),
			    j = (int)rn((uint32_t)fm->nattr);
			struct fattr t = fm->a[i];

			fm->a[i] = fm->a[j];
			fm->a[j] = t;
		}
		break;
	case 12:	/* command */
		fm->cmd = chance(70) ? (uint8_t)rn(FPM_CMD_MAX + 3) :
			  (uint8_t)rnd();
		break;
	case 13:	/* genl version: not checked by the kernel */
		fm->ver = (uint8_t)rnd();
		break;
	case 14:	/* genl reserved */
		fm->resv = chance(50) ? 1 : (uint16_t)rnd();
		break;
	case 15:
	case 16:	/* nlmsg flags */
		fm->flags ^= (uint16_t)(1u << rn(chance(80) ? 10 : 16));
		break;
	case 17:	/* control message types */
		fm->type = (uint16_t)rn(NLMSG_MIN_TYPE);
		break;
	case 18:	/* nlmsg_len */
		fm->lenf = chance(50) ? (int32_t)rn(40) : -2 - (int32_t)rn(8);
		break;
	case 19:	/* cut the message */
		fm->cut = (int32_t)rn(60);
		break;
	case 20:	/* trailing bytes */
		fm->trail = (uint16_t)(1 + rn(15));
		rbytes(fm->trailb, fm->trail);
		break;
	case 21:	/* dump flags on any command */
		fm->flags |= NLM_F_DUMP;
		break;
	}
}

/* Serialize; returns the length written (at most @cap). */
static size_t fm_serialize(const struct fmsg *fm, uint8_t *out, size_t cap)
{
	size_t len = NLMSG_HDRLEN + GENL_HDRLEN;
	int i;
	uint32_t nlen;

	for (i = 0; i < fm->nattr; i++) {
		const struct fattr *a = &fm->a[i];
		size_t full = 4 + a->plen, pad = ALIGN4(full) - full;

		if (len + full + pad > cap)
			break;
		wr16(out + len, a->lenf >= 0 ? (uint16_t)a->lenf : (uint16_t)full);
		wr16(out + len + 2, a->type);
		memcpy(out + len + 4, a->p, a->plen);
		len += full;
		if (!a->nopad) {
			memset(out + len, 0, pad);
			len += pad;
		}
	}
	if (fm->trail && len + fm->trail <= cap) {
		memcpy(out + len, fm->trailb, fm->trail);
		len += fm->trail;
	}
	nlen = fm->lenf == -1 ? (uint32_t)len :
	       fm->lenf >= 0 ? (uint32_t)fm->lenf :
	       (uint32_t)((int64_t)len + 1 - fm->lenf);	/* -2.. : longer */
	wr32(out, nlen);
	wr16(out + 4, fm->type);
	wr16(out + 6, fm->flags);
	wr32(out + 8, 0);	/* seq: set by the simulation */
	wr32(out + 12, fm->pid);
	out[16] = fm->cmd;
	out[17] = fm->ver;
	wr16(out + 18, fm->resv);
	if (fm->cut >= 0 && (size_t)fm->cut < len)
		len = (size_t)fm->cut;
	return len;
}

/* Byte-level mutations of a serialized message. */
static size_t mutate_bytes(uint8_t *m, size_t len, size_t cap)
{
	unsigned int i, n = 1 + rn(4);

	for (i = 0; i < n && len; i++) {
		size_t at = rn((uint32_t)len);

		switch (rn(5)) {
		case 0:
		case 1:
			m[at] ^= (uint8_t)(1u << rn(8));
			break;
		case 2:
			m[at] = (uint8_t)rnd();
			break;
		case 3:	/* insert bytes (the header's length then lies) */
			if (at >= 20 && len + 4 <= cap) {
				size_t k = 1 + rn(4);

				memmove(m + at + k, m + at, len - at);
				rbytes(m + at, k);
				len += k;
			}
			break;
		case 4:	/* delete bytes */
			if (at >= 20) {
				size_t k = 1 + rn(4);

				if (at + k > len)
					k = len - at;
				memmove(m + at, m + at + k, len - at - k);
				len -= k;
			}
			break;
		}
	}
	return len;
}

/* A message of random content behind a plausible header. */
static size_t gen_random(uint8_t *m, size_t cap)
{
	size_t len = NLMSG_HDRLEN + GENL_HDRLEN, plen;

	if (chance(50)) {
		plen = gen_nested(m + len, (uint16_t)(cap - len < 600 ? cap - len : 600), 0);
	} else {
		plen = rn(160);
		rbytes(m + len, plen);
	}
	len += plen;
	wr32(m, (uint32_t)len);
	wr16(m + 4, fam_id);
	wr16(m + 6, NLM_F_REQUEST | (chance(80) ? NLM_F_ACK : 0) |
	     (chance(10) ? NLM_F_DUMP : 0));
	wr32(m + 8, 0);
	wr32(m + 12, 0);
	m[16] = chance(80) ? (uint8_t)rn(FPM_CMD_MAX + 2) : (uint8_t)rnd();
	m[17] = (uint8_t)rnd();
	wr16(m + 18, chance(80) ? 0 : (uint16_t)rnd());
	return len;
}

/* A big message: thousands of attributes. */
static size_t gen_huge(uint8_t *m, size_t cap)
{
	size_t len = NLMSG_HDRLEN + GENL_HDRLEN;
	size_t target = 2048 + rn(60000);
	int kind = (int)rn(3);
	struct key k;

	if (target > cap)
		target = cap;
	gen_key(&k);
	while (len + 8 <= target) {
		if (kind == 0) {		/* PORT many times: last wins */
			wr16(m + len, 6);
			wr16(m + len + 2, FPM_A_PORT);
			wr16(m + len + 4, (uint16_t)(1 + rn(65535)));
			wr16(m + len + 6, 0);
		} else if (kind == 1) {	/* pad attributes */
			wr16(m + len, 8);
			wr16(m + len + 2, chance(99) ? FPM_A_PORT : FPM_A_PAD);
			wr32(m + len + 4, 0);
			wr16(m + len, 6);
			wr16(m + len + 4, 21);
		} else {			/* random */
			wr16(m + len, 8);
			wr16(m + len + 2, (uint16_t)rn(16));
			wr32(m + len + 4, (uint32_t)rnd());
		}
		len += 8;
	}
	wr32(m, (uint32_t)len);
	wr16(m + 4, fam_id);
	wr16(m + 6, NLM_F_REQUEST | NLM_F_ACK);
	wr32(m + 8, 0);
	wr32(m + 12, 0);
	m[16] = chance(60) ? (uint8_t)(FPM_CMD_MAP_ADD + rn(3)) :
		(uint8_t)rn(FPM_CMD_MAX + 1);
	m[17] = 1;
	wr16(m + 18, 0);
	return len;
}

/* ------------------------------------------------------------------ */
/* the oracle                                                          */
/* ------------------------------------------------------------------ */

enum { PK_UNSPEC, PK_REJECT, PK_U8, PK_U16, PK_U32, PK_BIN };

struct polent {
	uint8_t kind;
	bool has_min, has_max;
	uint32_t min, max;
};

struct policy {
	int maxtype;
	struct polent e[FPM_A_MAX + 1];
};

static struct policy pol_map, pol_cfg, pol_reject;

static void policies_init(void)
{
	pol_map.maxtype = FPM_A_HOST6;
	pol_map.e[FPM_A_PORT] = (struct polent){ PK_U16, true, false, 1, 0 };
	pol_map.e[FPM_A_FAMILY] = (struct polent){ PK_U8, true, true,
						   AF_INET, AF_INET6 };
	pol_map.e[FPM_A_HOST4] = (struct polent){ PK_BIN, true, true, 4, 4 };
	pol_map.e[FPM_A_HOST6] = (struct polent){ PK_BIN, true, true, 16, 16 };
	pol_cfg.maxtype = FPM_A_MAX_EXPECT;
	pol_cfg.e[FPM_A_STRICT] = (struct polent){ PK_U8, false, true, 0, 1 };
	pol_cfg.e[FPM_A_MAX_EXPECT] = (struct polent){ PK_U32, true, true, 1,
						      FPM_MAX_EXPECT_LIMIT };
	pol_reject.maxtype = 1;
	pol_reject.e[1].kind = PK_REJECT;
}

struct tb {
	const uint8_t *a[FPM_A_MAX + 1];
	uint16_t len[FPM_A_MAX + 1];
};

/* __nla_validate_parse with NL_VALIDATE_STRICT. Returns -errno or 0. */
static int oracle_attrs(const uint8_t *p, int len, const struct policy *pol,
			struct tb *tb)
{
	int rem = len;

	memset(tb, 0, sizeof(*tb));
	while (rem >= 4) {
		uint16_t alen = rd16(p), raw = rd16(p + 2);
		uint16_t type = raw & NLA_TYPE_MASK;
		const struct polent *pe;
		int dl = alen - 4;
		uint32_t v = 0;

		if (alen < 4 || alen > rem)
			break;
		if (type == 0 || type > pol->maxtype)
			return -EINVAL;
		pe = &pol->e[type];
		if ((pe->kind == PK_U8 && dl != 1) ||
		    (pe->kind == PK_U16 && dl != 2) ||
		    (pe->kind == PK_U32 && dl != 4))
			return -EINVAL;
		if (pe->kind != PK_UNSPEC && (raw & NLA_F_NESTED))
			return -EINVAL;
		if (pe->kind == PK_UNSPEC || pe->kind == PK_REJECT)
			return -EINVAL;
		switch (pe->kind) {
		case PK_U8:
			v = p[4];
			break;
		case PK_U16:
			v = rd16(p + 4);
			break;
		case PK_U32:
			v = rd32(p + 4);
			break;
		case PK_BIN:
			v = (uint32_t)dl;
			break;
		}
		if ((pe->has_min && v < pe->min) || (pe->has_max && v > pe->max))
			return -ERANGE;
		tb->a[type] = p + 4;
		tb->len[type] = (uint16_t)dl;
		p += ALIGN4(alen);
		rem -= (int)ALIGN4(alen);
	}
	return rem > 0 ? -EINVAL : 0;
}

/* fpm_host_unusable(): MAP_ADD refuses these hosts (EINVAL). */
static bool oracle_host_unusable(const struct key *k)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	static const uint8_t zero[16];
	const uint8_t *a = k->addr;

	if (k->family == AF_INET)
		return (a[0] & 0xf0) == 0xe0 || a[0] == 127 ||
		       !memcmp(a, zero, 4) ||
		       (a[0] == 255 && a[1] == 255 && a[2] == 255 && a[3] == 255) ||
		       (a[0] == 169 && a[1] == 254);
	if (k->family == AF_INET6)
		return a[0] == 0xff ||				/* multicast */
		       (!memcmp(a, zero, 15) && a[15] <= 1) ||	/* ::, ::1 */
		       !memcmp(a, mapped, 12) ||		/* ::ffff:0:0/96 */
		       (a[0] == 0xfe && (a[1] & 0xc0) == 0x80);	/* fe80::/10 */
	return false;
}

/* fpm_parse_key() */
static int oracle_key(const struct tb *tb, struct key *k)
{
	const uint8_t *h4 = tb->a[FPM_A_HOST4], *h6 = tb->a[FPM_A_HOST6];

	memset(k, 0, sizeof(*k));
	if (!tb->a[FPM_A_PORT])
		return -EINVAL;
	k->port = rd16(tb->a[FPM_A_PORT]);
	if (!tb->a[FPM_A_FAMILY])
		return h4 || h6 ? -EINVAL : 0;
	k->family = tb->a[FPM_A_FAMILY][0];
	if (k->family != AF_INET && k->family != AF_INET6)
		return -EAFNOSUPPORT;
	if (h4 && h6)
		return -EINVAL;
	if (k->family == AF_INET) {
		if (h6 || !h4)
			return -EINVAL;
		memcpy(k->addr, h4, 4);
	} else {
		if (h4 || !h6)
			return -EINVAL;
		memcpy(k->addr, h6, 16);
	}
	return 0;
}

enum { P_NONE, P_ACK, P_DATA, P_DUMP, P_STATE };

struct pred {
	uint32_t seq;
	uint32_t off, len;	/* in the batch buffer */
	uint8_t kind;		/* P_* */
	uint8_t cmd;
	bool ack;		/* P_DATA: an ack follows the reply */
	bool maybe_busy;	/* P_DUMP: EBUSY acceptable (a dump runs) */
	bool verify;		/* P_DUMP: the contents are predictable */
	bool changes;		/* changes table or settings when it succeeds */
	int err;		/* P_ACK: expected error (0: plain ack) */
	struct key key;		/* MAP_GET doit */
	uint32_t exp_count;
	int exp_strict;
	uint32_t exp_maxexp;
	/* what came */
	bool got_ack, done, intr;
	int got_err;
	unsigned int ndata;
	struct keyvec keys;
	char why[200];
};

struct octx {
	bool priv;
	struct model *m;	/* NULL: stop at table-dependent results */
	bool dump_seen;		/* a dump was started earlier in the batch */
};

/* What the kernel does with one message (nlmsg_len @len, in bounds). */
static void oracle_msg(const uint8_t *m, uint32_t len, struct pred *p,
		       struct octx *c)
{
	uint16_t type = rd16(m + 4), flags = rd16(m + 6), f;
	bool ackf = flags & NLM_F_ACK, dump;
	const struct policy *pol;
	struct tb tb;
	struct key k;
	uint8_t cmd;
	int err;

	p->kind = P_ACK;
	p->err = 0;
	if (!(flags & NLM_F_REQUEST) || type < NLMSG_MIN_TYPE) {
		p->kind = ackf ? P_ACK : P_NONE;
		return;
	}
	/* genl_family_rcv_msg */
	if (len < NLMSG_HDRLEN + GENL_HDRLEN) {
		p->err = EINVAL;
		return;
	}
	cmd = m[16];
	p->cmd = cmd;
	if (rd16(m + 18)) {
		p->err = EINVAL;
		return;
	}
	f = flags;
	dump = (f & NLM_F_DUMP) == NLM_F_DUMP;
	if (dump)
		f &= (uint16_t)~NLM_F_DUMP;
	if (f & ~(NLM_F_REQUEST | NLM_F_ACK | NLM_F_ECHO)) {
		p->err = EINVAL;
		return;
	}
	if (cmd < 1 || cmd > FPM_CMD_MAX ||
	    (genl_split_ops && dump && cmd != FPM_CMD_MAP_GET)) {
		p->err = EOPNOTSUPP;
		return;
	}
	if (!c->priv) {
		p->err = EPERM;
		return;
	}
	if (dump && cmd != FPM_CMD_MAP_GET) {
		p->err = EOPNOTSUPP;
		return;
	}
	switch (cmd) {
	case FPM_CMD_MAP_ADD:
	case FPM_CMD_MAP_DEL:
	case FPM_CMD_MAP_GET:
		pol = &pol_map;
		break;
	case FPM_CMD_CONFIG_SET:
		pol = &pol_cfg;
		break;
	default:
		pol = &pol_reject;
	}
	err = oracle_attrs(m + NLMSG_HDRLEN + GENL_HDRLEN,
			   (int)len - NLMSG_HDRLEN - GENL_HDRLEN, pol, &tb);
	if (err) {
		p->err = -err;
		return;
	}
	if (dump) {
		p->kind = P_DUMP;
		p->maybe_busy = c->dump_seen;
		c->dump_seen = true;
		return;
	}
	switch (cmd) {
	case FPM_CMD_MAP_ADD:
	case FPM_CMD_MAP_DEL:
	case FPM_CMD_MAP_GET:
		err = oracle_key(&tb, &k);
		if (err) {
			p->err = -err;
			return;
		}
		p->key = k;
		if (cmd == FPM_CMD_MAP_ADD && host_refusal &&
		    oracle_host_unusable(&k)) {
			p->err = EINVAL;
			return;
		}
		if (!c->m) {
			p->kind = P_STATE;
			return;
		}
		if (cmd == FPM_CMD_MAP_ADD) {
			p->changes = true;
			if (host_refusal && oracle_host_unusable(&k))
				p->err = EINVAL;
			else if (model_has(c->m, &k))
				p->err = EEXIST;
			else if (c->m->count >= c->m->map_max)
				p->err = ENOSPC;
			else
				model_add(c->m, &k);
		} else if (cmd == FPM_CMD_MAP_DEL) {
			p->changes = true;
			if (!model_has(c->m, &k))
				p->err = ENOENT;
			else
				model_del(c->m, &k);
		} else if (!model_has(c->m, &k)) {
			p->err = ENOENT;
		} else {
			p->kind = P_DATA;
			p->ack = ackf;
		}
		if (p->kind == P_ACK && !p->err && !ackf)
			p->kind = P_NONE;
		return;
	case FPM_CMD_MAP_FLUSH:
		if (!c->m) {
			p->kind = P_STATE;
			return;
		}
		p->changes = true;
		model_clear(c->m);
		break;
	case FPM_CMD_CONFIG_SET:
		if (!tb.a[FPM_A_STRICT] && !tb.a[FPM_A_MAX_EXPECT]) {
			p->err = EINVAL;
			return;
		}
		if (!c->m) {
			p->kind = P_STATE;
			return;
		}
		p->changes = true;
		if (tb.a[FPM_A_STRICT])
			c->m->strict = !!tb.a[FPM_A_STRICT][0];
		if (tb.a[FPM_A_MAX_EXPECT])
			c->m->max_expect = rd32(tb.a[FPM_A_MAX_EXPECT]);
		break;
	case FPM_CMD_STATS_GET:
	case FPM_CMD_CONFIG_GET:
		if (!c->m) {
			p->kind = P_STATE;
			return;
		}
		p->kind = P_DATA;
		p->ack = ackf;
		p->exp_count = c->m->count;
		p->exp_strict = c->m->strict;
		p->exp_maxexp = c->m->max_expect;
		return;
	}
	p->kind = ackf ? P_ACK : P_NONE;
}

/* ------------------------------------------------------------------ */
/* the kernel's own policies (CTRL_CMD_GETPOLICY) against the oracle's  */
/* ------------------------------------------------------------------ */

#define KP_MAXPOL 8
#define KP_MAXATTR 64

struct kpattr {
	bool present;
	uint32_t type;		/* NL_ATTR_TYPE_* */
	uint64_t minu, maxu;
	uint32_t minlen, maxlen;
};

struct kpolicies {
	struct kpattr a[KP_MAXPOL][KP_MAXATTR];
	int op_do[FPM_CMD_MAX + 1], op_dump[FPM_CMD_MAX + 1];
	unsigned int msgs;
};

static void kp_attr(const struct nlattr *nest, struct kpattr *ka)
{
	const struct nlattr *a;

	ka->present = true;
	ka->maxlen = 0xffff;
	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case NL_POLICY_TYPE_ATTR_TYPE:
			ka->type = mnl_attr_get_u32(a);
			break;
		case NL_POLICY_TYPE_ATTR_MIN_VALUE_U:
			ka->minu = mnl_attr_get_u64(a);
			break;
		case NL_POLICY_TYPE_ATTR_MAX_VALUE_U:
			ka->maxu = mnl_attr_get_u64(a);
			break;
		case NL_POLICY_TYPE_ATTR_MIN_LENGTH:
			ka->minlen = mnl_attr_get_u32(a);
			break;
		case NL_POLICY_TYPE_ATTR_MAX_LENGTH:
			ka->maxlen = mnl_attr_get_u32(a);
			break;
		}
	}
}

static void kp_message(const struct nlmsghdr *nlh, struct kpolicies *kp)
{
	const struct nlattr *a, *b, *c;

	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_OP_POLICY) {
			mnl_attr_for_each_nested(b, a) {
				unsigned int cmd = mnl_attr_get_type(b);

				if (cmd > FPM_CMD_MAX)
					continue;
				mnl_attr_for_each_nested(c, b) {
					if (mnl_attr_get_type(c) == CTRL_ATTR_POLICY_DO)
						kp->op_do[cmd] = (int)mnl_attr_get_u32(c);
					else if (mnl_attr_get_type(c) == CTRL_ATTR_POLICY_DUMP)
						kp->op_dump[cmd] = (int)mnl_attr_get_u32(c);
				}
			}
		} else if (mnl_attr_get_type(a) == CTRL_ATTR_POLICY) {
			mnl_attr_for_each_nested(b, a) {
				unsigned int idx = mnl_attr_get_type(b);

				if (idx >= KP_MAXPOL)
					continue;
				mnl_attr_for_each_nested(c, b) {
					unsigned int t = mnl_attr_get_type(c);

					if (t < KP_MAXATTR)
						kp_attr(c, &kp->a[idx][t]);
				}
			}
		}
	}
}

static int kp_dump(struct nls *s, struct kpolicies *kp)
{
	uint8_t buf[64];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;
	uint32_t seq = ++s->seq;
	bool done = false;
	unsigned int i;

	memset(kp, 0, sizeof(*kp));
	for (i = 0; i <= FPM_CMD_MAX; i++)
		kp->op_do[i] = kp->op_dump[i] = -1;
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETPOLICY;
	g->version = 2;
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, fam_id);
	if (nls_send(s, buf, nlh->nlmsg_len) < 0)
		return -errno;
	while (!done) {
		ssize_t n = nls_recv(s, rxbuf, sizeof(rxbuf), true);
		const struct nlmsghdr *m = (const void *)rxbuf;
		int rem = (int)n;

		if (n < 0)
			return (int)n;
		for (; mnl_nlmsg_ok(m, rem); m = mnl_nlmsg_next(m, &rem)) {
			if (m->nlmsg_seq != seq)
				continue;
			if (m->nlmsg_type == NLMSG_DONE)
				done = true;
			else if (m->nlmsg_type == NLMSG_ERROR)
				return -nlerr(m);
			else if (m->nlmsg_type == GENL_ID_CTRL) {
				kp->msgs++;
				kp_message(m, kp);
			}
		}
	}
	return 0;
}

/* What the oracle assumes for attribute @t of @pol, in policy-dump terms. */
static bool kp_expect(const struct policy *pol, unsigned int t,
		      struct kpattr *e)
{
	static const uint64_t tmax[] = { [PK_U8] = 0xff, [PK_U16] = 0xffff,
					 [PK_U32] = 0xffffffffu };
	const struct polent *pe;

	memset(e, 0, sizeof(*e));
	if (!pol || (int)t > pol->maxtype)
		return false;
	pe = &pol->e[t];
	switch (pe->kind) {
	case PK_U8:
	case PK_U16:
	case PK_U32:
		e->type = pe->kind == PK_U8 ? NL_ATTR_TYPE_U8 :
			  pe->kind == PK_U16 ? NL_ATTR_TYPE_U16 :
			  NL_ATTR_TYPE_U32;
		e->minu = pe->has_min ? pe->min : 0;
		e->maxu = pe->has_max ? pe->max : tmax[pe->kind];
		e->maxlen = 0xffff;	/* no length in the dump */
		break;
	case PK_BIN:
		e->type = NL_ATTR_TYPE_BINARY;
		e->minlen = pe->has_min ? pe->min : 0;
		e->maxlen = pe->has_max ? pe->max : 0xffff;
		break;
	default:
		return false;	/* unspec, reject: not dumped */
	}
	e->present = true;
	return true;
}

/*
 * Read the family's policies back from the kernel and compare them with
 * the oracle's: a module whose policies changed makes this one check fail
 * (saying which attribute), rather than thousands of mismatches.
 */
static bool check_policies(struct nls *s)
{
	static const struct {
		uint8_t cmd;
		bool dump;
		const struct policy *pol;
	} ops[] = {
		{ FPM_CMD_MAP_ADD, false, &pol_map },
		{ FPM_CMD_MAP_DEL, false, &pol_map },
		{ FPM_CMD_MAP_GET, false, &pol_map },
		{ FPM_CMD_MAP_GET, true, &pol_map },
		{ FPM_CMD_MAP_FLUSH, false, NULL },
		{ FPM_CMD_STATS_GET, false, NULL },
		{ FPM_CMD_STATS_RESET, false, NULL },
		{ FPM_CMD_CONFIG_GET, false, NULL },
		{ FPM_CMD_CONFIG_SET, false, &pol_cfg },
	};
	struct kpolicies *kp = calloc(1, sizeof(*kp));
	unsigned int i, t, bad = 0;
	int err;

	if (!kp)
		die("out of memory");
	err = kp_dump(s, kp);
	if (err) {
		result("policy-oracle", false, "CTRL_CMD_GETPOLICY: %s",
		       errname(abs(err)));
		free(kp);
		return false;
	}
	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		int idx = ops[i].dump ? kp->op_dump[ops[i].cmd] :
			  kp->op_do[ops[i].cmd];

		for (t = 1; t < KP_MAXATTR; t++) {
			struct kpattr e, none = { 0 };
			const struct kpattr *k = idx >= 0 && idx < KP_MAXPOL ?
						 &kp->a[idx][t] : &none;
			bool want = kp_expect(ops[i].pol, t, &e);

			if (!want && !k->present)
				continue;
			if (want != k->present || e.type != k->type ||
			    e.minu != k->minu || e.maxu != k->maxu ||
			    e.minlen != k->minlen || e.maxlen != k->maxlen) {
				bad++;
				failf("policy of cmd %u%s, attribute %u: kernel %s type %u value %" PRIu64 "..%" PRIu64 " length %u..%u; oracle %s type %u value %" PRIu64 "..%" PRIu64 " length %u..%u",
				      ops[i].cmd, ops[i].dump ? " (dump)" : "", t,
				      k->present ? "takes it:" : "refuses it",
				      k->type, k->minu, k->maxu, k->minlen,
				      k->maxlen, want ? "takes it:" : "refuses it",
				      e.type, e.minu, e.maxu, e.minlen, e.maxlen);
			}
		}
	}
	result("policy-oracle", !bad,
	       "the family's policies (CTRL_CMD_GETPOLICY, %u messages) are the oracle's (%u differences; a difference means tests/fuzznl/fuzznl.c needs updating)",
	       kp->msgs, bad);
	free(kp);
	return !bad;
}

/* ------------------------------------------------------------------ */
/* batches: simulate (as netlink_rcv_skb walks a buffer), send, check   */
/* ------------------------------------------------------------------ */

struct batch {
	struct pred *p;
	size_t n, cap;
	uint32_t base;
	uint8_t *buf;
	size_t len;
};

static struct pred *batch_new_pred(struct batch *b)
{
	struct pred *p;

	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 64;
		b->p = realloc(b->p, b->cap * sizeof(*b->p));
		if (!b->p)
			die("out of memory");
	}
	p = &b->p[b->n++];
	memset(p, 0, sizeof(*p));
	p->seq = b->base + (uint32_t)(b->n - 1);
	return p;
}

static void batch_reset(struct batch *b, uint32_t base)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		kv_free(&b->p[i].keys);
	b->n = 0;
	b->base = base;
}

/*
 * Walk b->buf like netlink_rcv_skb: predict each message the kernel will
 * process, and give each a unique sequence number.  Headers the kernel
 * will process with a type that is not ours and not a control type get
 * our family's type: the fuzzer talks to ftp_portmap only.
 */
static void batch_simulate(struct batch *b, struct octx *c)
{
	size_t off = 0;

	while (b->len - off >= NLMSG_HDRLEN) {
		uint8_t *m = b->buf + off;
		uint32_t len = rd32(m);
		struct pred *p;

		if (len < NLMSG_HDRLEN || len > b->len - off)
			break;
		if (rd16(m + 4) >= NLMSG_MIN_TYPE && rd16(m + 4) != fam_id)
			wr16(m + 4, fam_id);
		p = batch_new_pred(b);
		wr32(m + 8, p->seq);
		p->off = (uint32_t)off;
		p->len = len;
		oracle_msg(m, len, p, c);
		off += NLMSG_ALIGN(len);
		if (off > b->len)
			break;
	}
}

static struct pred *batch_find(struct batch *b, uint32_t seq)
{
	uint32_t i = seq - b->base;

	return i < b->n ? &b->p[i] : NULL;
}

static void pred_why(struct pred *p, const char *fmt, ...)
{
	va_list ap;

	if (p->why[0])
		return;
	va_start(ap, fmt);
	vsnprintf(p->why, sizeof(p->why), fmt, ap);
	va_end(ap);
}

static bool batch_complete(const struct batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		const struct pred *p = &b->p[i];

		if (p->kind == P_DUMP && !p->done && !p->got_ack)
			return false;
	}
	return b->n && b->p[b->n - 1].got_ack;
}

/* Take in the replies until the sentinel (the last pred) acked. */
static int batch_collect(struct nls *s, struct batch *b, bool peek)
{
	while (!batch_complete(b)) {
		ssize_t n = nls_recv(s, rxbuf, sizeof(rxbuf), peek);
		const struct nlmsghdr *nlh = (const void *)rxbuf;
		int rem;

		if (n < 0)
			return (int)n;
		rem = (int)n;
		for (; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
			struct pred *p = batch_find(b, nlh->nlmsg_seq);
			struct reply r;

			if (!p) {
				failf("reply type %u with unknown seq %u",
				      nlh->nlmsg_type, nlh->nlmsg_seq);
				continue;
			}
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				p->intr = true;
			switch (nlh->nlmsg_type) {
			case NLMSG_ERROR:
				if (p->got_ack)
					pred_why(p, "two acks");
				p->got_ack = true;
				p->got_err = nlerr(nlh);
				break;
			case NLMSG_DONE:
				if (p->done)
					pred_why(p, "two NLMSG_DONE");
				p->done = true;
				if (nlh->nlmsg_len >= NLMSG_HDRLEN + 4 &&
				    *(const int *)mnl_nlmsg_get_payload(nlh))
					pred_why(p, "NLMSG_DONE with error %d",
						 *(const int *)mnl_nlmsg_get_payload(nlh));
				break;
			default:
				if (nlh->nlmsg_type != fam_id) {
					pred_why(p, "reply of type %u",
						 nlh->nlmsg_type);
					break;
				}
				p->ndata++;
				if (p->kind == P_DUMP) {
					parse_reply(nlh, FPM_CMD_MAP_GET, &r);
					if (r.problem[0])
						pred_why(p, "dump: %s", r.problem);
					if (!(nlh->nlmsg_flags & NLM_F_MULTI))
						pred_why(p, "dump part without NLM_F_MULTI");
					if (p->keys.n &&
					    p->keys.v[p->keys.n - 1].port > r.key.port)
						pred_why(p, "dump not ordered by port");
					kv_push(&p->keys, &r.key);
					break;
				}
				parse_reply(nlh, p->cmd, &r);
				if (r.problem[0]) {
					pred_why(p, "reply: %s", r.problem);
					break;
				}
				if (p->kind != P_DATA)
					break;
				if (p->cmd == FPM_CMD_MAP_GET &&
				    !key_eq(&r.key, &p->key))
					pred_why(p, "MAP_GET of %s answered with %s",
						 key_str(&p->key), key_str(&r.key));
				if ((p->cmd == FPM_CMD_STATS_GET ||
				     p->cmd == FPM_CMD_CONFIG_GET) &&
				    r.map_count != p->exp_count)
					pred_why(p, "map count %u, model %u",
						 r.map_count, p->exp_count);
				if (p->cmd == FPM_CMD_CONFIG_GET &&
				    ((p->exp_strict >= 0 &&
				      r.strict != p->exp_strict) ||
				     (p->exp_maxexp &&
				      r.max_expect != p->exp_maxexp)))
					pred_why(p, "settings %u/%u, model %d/%u",
						 r.strict, r.max_expect,
						 p->exp_strict, p->exp_maxexp);
			}
		}
	}
	return 0;
}

static const char *kind_name(int k)
{
	static const char *const n[] = { "no reply", "ack", "data", "dump",
					  "?" };

	return n[k];
}

/* Outcome tallies. */
static unsigned long tally_err[256], tally_dump, tally_data, tally_none;

/* Judge each prediction; returns the number of mismatches. */
static unsigned int batch_judge(struct batch *b, const struct model *m,
				unsigned long batchno)
{
	unsigned int bad = 0;
	size_t i;

	for (i = 0; i < b->n; i++) {
		struct pred *p = &b->p[i];
		char exp[64], got[96];

		switch (p->kind) {
		case P_NONE:
			if (p->got_ack || p->ndata || p->done)
				pred_why(p, "a reply came");
			tally_none++;
			break;
		case P_ACK:
			if (!p->got_ack)
				pred_why(p, "no ack");
			else if (p->got_err != p->err)
				pred_why(p, "error %s", errname(p->got_err));
			if (p->ndata || p->done)
				pred_why(p, "data came too");
			tally_err[p->err & 255]++;
			break;
		case P_DATA:
			if (p->got_ack && p->got_err)
				pred_why(p, "error %s", errname(p->got_err));
			else if (p->ndata != 1)
				pred_why(p, "%u replies", p->ndata);
			else if (p->ack != p->got_ack)
				pred_why(p, p->ack ? "no ack" : "an ack");
			tally_data++;
			break;
		case P_DUMP:
			tally_dump++;
			if (p->got_ack && p->maybe_busy && p->got_err == EBUSY)
				break;
			if (p->got_ack)
				pred_why(p, "error %s", errname(p->got_err));
			else if (!p->done)
				pred_why(p, "no NLMSG_DONE");
			if (p->intr)
				pred_why(p, "NLM_F_DUMP_INTR on a quiet table");
			if (!p->why[0] && p->verify) {
				unsigned long before = n_fail;

				if (!compare_with_model("dump", &p->keys, m))
					pred_why(p, "dump differs from the model (%lu)",
						 n_fail - before);
			}
			break;
		}
		if (!p->why[0])
			continue;
		bad++;
		snprintf(exp, sizeof(exp), "%s%s%s", kind_name(p->kind),
			 p->kind == P_ACK ? " " : "",
			 p->kind == P_ACK ? errname(p->err) : "");
		snprintf(got, sizeof(got), "ack=%d err=%s data=%u done=%d",
			 p->got_ack, p->got_ack ? errname(p->got_err) : "-",
			 p->ndata, p->done);
		failf("batch %lu msg %zu (seq %u, cmd %u): expected %s; got %s: %s",
		      batchno, i, p->seq, p->cmd, exp, got, p->why);
		if (p->len && p->off < b->len)
			hexdump(b->buf + p->off,
				p->off + p->len <= b->len ? p->len :
				b->len - p->off, 96);
	}
	return bad;
}

/*
 * Send b->buf (already simulated), then the sentinel (NOOP + ACK in its
 * own datagram), collect and judge.  Returns mismatches, or -1 when the
 * socket broke (timeout, overrun): then the caller reopens it.
 */
static int batch_run(struct nls *s, struct batch *b, struct octx *c,
		     unsigned long batchno)
{
	uint8_t sent[NLMSG_HDRLEN];
	struct pred *sp;
	size_t i, last_change = 0;
	bool any_change = false;
	int err;

	/* dumps are predictable when nothing after them changes the table */
	for (i = 0; i < b->n; i++)
		if (b->p[i].changes) {
			last_change = i;
			any_change = true;
		}
	for (i = 0; i < b->n; i++)
		if (b->p[i].kind == P_DUMP && !b->p[i].maybe_busy)
			b->p[i].verify = !any_change || i > last_change;

	sp = batch_new_pred(b);
	sp->kind = P_ACK;
	wr32(sent, NLMSG_HDRLEN);
	wr16(sent + 4, NLMSG_NOOP);
	wr16(sent + 6, NLM_F_REQUEST | NLM_F_ACK);
	wr32(sent + 8, sp->seq);
	wr32(sent + 12, 0);

	if (b->len && nls_send(s, b->buf, b->len) < 0) {
		failf("batch %lu: send of %zu bytes: %s", batchno, b->len,
		      strerror(errno));
		return -1;
	}
	if (nls_send(s, sent, sizeof(sent)) < 0) {
		failf("batch %lu: send: %s", batchno, strerror(errno));
		return -1;
	}
	err = batch_collect(s, b, true);
	if (err) {
		failf("batch %lu: waiting for replies: %s", batchno,
		      err == -EAGAIN ? "timeout" : strerror(-err));
		batch_judge(b, c->m, batchno);
		return -1;
	}
	return (int)batch_judge(b, c->m, batchno);
}

/* ------------------------------------------------------------------ */
/* the fuzz loop (seq, and the unprivileged processes)                  */
/* ------------------------------------------------------------------ */

#define BATCH_BUF (160 * 1024)
/* room for every reply of a batch (forced as root, else rmem_max) */
#define FUZZ_RCVBUF (4 << 20)

static struct fmsg fm_scratch;

/* Append one generated message to @b; true: end the batch after it. */
static bool gen_one(struct batch *b, bool allow_dump)
{
	struct fmsg *fm = &fm_scratch;
	uint8_t *out = b->buf + b->len;
	size_t cap = BATCH_BUF - b->len, len;
	unsigned int r = rn(1000);
	bool dump;

	if (cap < 1024)
		return false;
	if (r < 350) {
		gen_valid(fm, allow_dump);
		len = fm_serialize(fm, out, cap);
	} else if (r < 800) {
		unsigned int i, n = 1 + rn(4);

		gen_valid(fm, allow_dump);
		for (i = 0; i < n; i++)
			mutate_struct(fm);
		len = fm_serialize(fm, out, cap);
	} else if (r < 900) {
		gen_valid(fm, allow_dump);
		len = fm_serialize(fm, out, cap);
		len = mutate_bytes(out, len, cap);
	} else if (r < 975) {
		len = gen_random(out, cap);
	} else if (r < 990) {
		len = gen_huge(out, cap);
	} else {
		len = rn(48);
		rbytes(out, len);
		if (len >= 8)
			wr16(out + 4, fam_id);
	}
	/* a dump, or a length that derails the kernel's walk: batch ends */
	dump = len >= 8 && (rd16(out + 6) & NLM_F_DUMP) == NLM_F_DUMP;
	if (len < NLMSG_HDRLEN || rd32(out) != len)
		dump = true;
	b->len += len;
	/* the next message starts where the kernel expects it, padded */
	while (b->len & 3 && b->len < BATCH_BUF)
		b->buf[b->len++] = 0;
	return dump;
}

struct fuzzstats {
	unsigned long msgs, batches, mismatches, reopen;
	uint64_t ns;
};

/*
 * Send @count generated messages through @s (reopened when it breaks:
 * with @reopen, else the loop ends).  With @c->m the table is predicted;
 * every @verify_every messages the whole table is checked.
 */
static void fuzz_loop(struct nls *s, struct octx *c, unsigned long count,
		      struct fuzzstats *st, bool (*reopen)(struct nls *),
		      unsigned long verify_every)
{
	struct batch b = { 0 };
	unsigned long next_verify = verify_every;
	uint64_t t0 = now_ns();

	b.buf = malloc(BATCH_BUF);
	if (!b.buf)
		die("out of memory");
	while (st->msgs < count) {
		unsigned int i, n = 1 + rn(chance(10) ? 64 : 12);
		int bad;

		batch_reset(&b, s->seq + 1);
		b.len = 0;
		c->dump_seen = false;
		for (i = 0; i < n && st->msgs < count; i++) {
			st->msgs++;
			n_sent++;
			if (gen_one(&b, true))
				break;
			if (b.len > BATCH_BUF / 2)
				break;
		}
		batch_simulate(&b, c);
		s->seq = b.base + (uint32_t)b.n + 1;
		bad = batch_run(s, &b, c, st->batches);
		st->batches++;
		if (bad > 0)
			st->mismatches += (unsigned long)bad;
		if (bad && c->m && c->priv) {
			/* the model may be off: take the kernel's word */
			note("resynchronising the model after a mismatch");
			if (bad < 0 && reopen && !reopen(s))
				break;
			if (model_from_kernel(s, c->m))
				note("resynchronisation failed");
			st->reopen += bad < 0;
		} else if (bad < 0) {
			st->reopen++;
			if (!reopen || !reopen(s))
				break;
		}
		if (c->m && verify_every && st->msgs >= next_verify) {
			next_verify += verify_every;
			if (!verify_model(s, c->m, "periodic check", chance(50)))
				st->mismatches++;
		}
	}
	batch_reset(&b, 0);
	free(b.p);
	free(b.buf);
	st->ns += now_ns() - t0;
}

static bool reopen_default(struct nls *s)
{
	nls_close(s);
	return !nls_open(s, FUZZ_RCVBUF);
}

static void print_tally(void)
{
	unsigned int e;

	printf("# [%s] outcomes: data %lu, dump %lu, no reply %lu", who,
	       tally_data, tally_dump, tally_none);
	for (e = 0; e < 256; e++)
		if (tally_err[e])
			printf(", %s %lu", errname((int)e), tally_err[e]);
	printf("\n");
}

/* A forked process starts its own counts (they are summed by the parent). */
static void child_init(const char *name)
{
	who = name;
	n_fail = 0;
	n_sent = 0;
	reports = 0;
	tally_dump = tally_data = tally_none = 0;
	memset(tally_err, 0, sizeof(tally_err));
}

/* ------------------------------------------------------------------ */
/* options                                                             */
/* ------------------------------------------------------------------ */

static struct {
	const char *mode;
	uint64_t seed;
	unsigned long count;
	unsigned long bulk;
	const char *model_path;
	const char *config_path;
	unsigned int writers, dumpers;
	unsigned long min_dumps;
	unsigned int seconds;
	const char *stop_file;
	bool corrupt;
} opt = { .count = 10000, .bulk = 50000, .writers = 3, .dumpers = 2,
	  .min_dumps = 400, .seconds = 30 };

static void write_outputs(const struct model *m)
{
	if (opt.model_path && write_model(opt.model_path, m))
		die("cannot write %s: %s", opt.model_path, strerror(errno));
	if (opt.config_path) {
		FILE *f = fopen(opt.config_path, "w");

		if (!f)
			die("cannot write %s", opt.config_path);
		fprintf(f, "strict %d max_expect %u\n", m->strict,
			m->max_expect);
		fclose(f);
	}
}

/* Corrupt the model on purpose (self-test of the final check). */
static void corrupt_model(struct model *m)
{
	struct key k = { .port = 4242, .family = AF_INET,
			 .addr = { 198, 51, 100, 42 } };

	if (model_has(m, &k))
		model_del(m, &k);
	else
		model_add(m, &k);
	note("model corrupted on purpose: %s toggled", key_str(&k));
}

/* ------------------------------------------------------------------ */
/* mode seq                                                            */
/* ------------------------------------------------------------------ */

static int mode_seq(void)
{
	struct nls s;
	struct model m;
	struct octx c = { .priv = true, .m = &m };
	struct fuzzstats st = { 0 };
	struct req q = { .cmd = FPM_CMD_MAP_FLUSH, .strict = -1,
			 .max_expect = -1 };
	int err;
	bool ok;

	model_init(&m);
	if (nls_open(&s, FUZZ_RCVBUF))
		die("socket: %s", strerror(errno));
	/* a known start: empty table, settings read back */
	err = do_req(&s, &q, NULL, NULL);
	if (err)
		die("MAP_FLUSH: %s", errname(err < 0 ? -err : err));
	if (model_from_kernel(&s, &m))
		die("cannot read the table");
	note("start: %u mappings, strict %d, max_expect %u, map_max %u",
	     m.count, m.strict, m.max_expect, m.map_max);
	check_policies(&s);

	fuzz_loop(&s, &c, opt.count, &st, reopen_default, 5000);
	print_tally();
	note("%lu messages in %lu batches, %.1f s (%.0f msg/s), %lu mismatches",
	     st.msgs, st.batches, (double)st.ns / 1e9,
	     st.msgs / ((double)st.ns / 1e9 + 1e-9), st.mismatches);
	result("seq-replies", !st.mismatches,
	       "%lu messages, every reply as predicted (%lu mismatches)",
	       st.msgs, st.mismatches);
	result("seq-count", st.msgs >= opt.count, "%lu of %lu messages sent",
	       st.msgs, opt.count);
	if (opt.corrupt)
		corrupt_model(&m);
	ok = verify_model(&s, &m, "final table", true);
	result("seq-final-table", ok,
	       "dump (tiny receive buffer) and settings equal the model: %u mappings, strict %d, max_expect %u",
	       m.count, m.strict, m.max_expect);
	write_outputs(&m);
	nls_close(&s);
	return 0;
}

/* ------------------------------------------------------------------ */
/* mode unpriv                                                         */
/* ------------------------------------------------------------------ */

static int drop_to_nobody(void)
{
	if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
	    setresuid(65534, 65534, 65534))
		return -errno;
	return 0;
}

/* An unprivileged fuzz run on @s: every command refused. */
static bool unpriv_fuzz(struct nls *s, unsigned long count, const char *name)
{
	struct octx c = { .priv = false };
	struct fuzzstats st = { 0 };

	fuzz_loop(s, &c, count, &st, NULL, 0);
	print_tally();
	result(name, !st.mismatches && st.msgs >= count,
	       "%lu messages, %lu mismatches (every command: EPERM)",
	       st.msgs, st.mismatches);
	return !st.mismatches;
}

static int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	char byte = 'f';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &mh, 0) == 1 ? 0 : -errno;
}

static int recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	int fd = -1;

	if (recvmsg(sock, &mh, 0) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&mh);
	if (cm && cm->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

static int wait_child(pid_t pid, const char *name)
{
	int st;

	if (waitpid(pid, &st, 0) < 0)
		return -1;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	result(name, false, "child killed by signal %d", WTERMSIG(st));
	return 128 + WTERMSIG(st);
}

static int write_map(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -EIO;
}

/*
 * In a user namespace with its own network namespace: privileged over
 * that one.  A short predicted run on its (empty) table.
 */
static bool own_netns_run(unsigned long count)
{
	struct nls s;
	struct model m;
	struct octx c = { .priv = true, .m = &m };
	struct fuzzstats st = { 0 };
	bool ok;

	if (unshare(CLONE_NEWNET)) {
		result("userns-own-netns", false, "unshare(CLONE_NEWNET): %s",
		       strerror(errno));
		return false;
	}
	model_init(&m);
	if (nls_open(&s, FUZZ_RCVBUF) || model_from_kernel(&s, &m)) {
		result("userns-own-netns", false, "cannot read the new namespace's table");
		return false;
	}
	if (m.count) {
		result("userns-own-netns", false, "a new namespace has %u mappings",
		       m.count);
		return false;
	}
	fuzz_loop(&s, &c, count, &st, reopen_default, 0);
	ok = verify_model(&s, &m, "own netns table", true);
	result("userns-own-netns", ok && !st.mismatches,
	       "root of a user namespace in its own network namespace: %lu messages as predicted (%lu mismatches), its table (%u mappings) matches; the namespace goes with its mappings",
	       st.msgs, st.mismatches, m.count);
	nls_close(&s);
	return ok && !st.mismatches;
}

static int mode_unpriv(void)
{
	struct nls root, inherited;
	struct model before, after;
	/* nobody 1, its use of root's socket 1/2, root's use of nobody's
	 * socket 1/2, user namespace 1, its own netns 1/2: 3.5 shares */
	unsigned long share = opt.count * 2 / 7 + 1;
	int sp[2], rc, bad = 0;
	pid_t pid;

	model_init(&before);
	model_init(&after);
	if (nls_open(&root, 0) || model_from_kernel(&root, &before))
		die("cannot read the table");
	note("table before: %u mappings", before.count);
	if (nls_open(&inherited, 0))
		die("socket: %s", strerror(errno));
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp))
		die("socketpair: %s", strerror(errno));
	fflush(stdout);

	/* 1. uid nobody, own socket; 2. root's socket, used as nobody;
	 * 3. nobody's socket, passed to root (checked below). */
	pid = fork();
	if (pid == 0) {
		struct nls s;

		child_init("nobody");
		rseed(opt.seed, 101);
		close(sp[0]);
		if (drop_to_nobody())
			die("cannot become nobody: %s", strerror(errno));
		if (nls_open(&s, FUZZ_RCVBUF))
			die("socket: %s", strerror(errno));
		unpriv_fuzz(&s, share, "unpriv-nobody");
		unpriv_fuzz(&inherited, share / 2,
			    "unpriv-nobody-with-roots-socket");
		if (send_fd(sp[1], s.fd))
			die("cannot pass the socket");
		__atomic_add_fetch(&shc->sent, n_sent, __ATOMIC_RELAXED);
		exit(n_fail ? 1 : 0);
	}
	close(sp[1]);
	{
		int fd = recv_fd(sp[0]);
		struct nls s;

		rc = wait_child(pid, "unpriv-nobody");
		bad += rc != 0;
		if (fd < 0) {
			result("unpriv-root-with-nobodys-socket", false,
			       "no socket came");
		} else {
			nls_from_fd(&s, fd);
			s.use_write = true;
			who = "root+nobody-socket";
			rseed(opt.seed, 102);
			unpriv_fuzz(&s, share / 2,
				    "unpriv-root-with-nobodys-socket");
			who = "main";
			close(fd);
		}
	}
	close(sp[0]);
	nls_close(&inherited);

	/* 4. a new user namespace: root there, nobody to the netns owner */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct nls s;
		char path[64];

		child_init("userns");
		rseed(opt.seed, 103);
		if (unshare(CLONE_NEWUSER))
			die("unshare(CLONE_NEWUSER): %s", strerror(errno));
		/* as `unshare -U -r`: uid 0 inside is our uid outside */
		snprintf(path, sizeof(path), "/proc/self/setgroups");
		write_map(path, "deny");
		write_map("/proc/self/uid_map", "0 0 1");
		write_map("/proc/self/gid_map", "0 0 1");
		if (nls_open(&s, FUZZ_RCVBUF))
			die("socket: %s", strerror(errno));
		unpriv_fuzz(&s, share, "unpriv-userns");
		nls_close(&s);
		own_netns_run(share / 2);
		__atomic_add_fetch(&shc->sent, n_sent, __ATOMIC_RELAXED);
		exit(n_fail ? 1 : 0);
	}
	rc = wait_child(pid, "unpriv-userns");
	bad += rc != 0;

	if (model_from_kernel(&root, &after))
		die("cannot read the table");
	{
		bool ok = verify_model(&root, &before, "table after", true);

		result("unpriv-table-unchanged", ok,
		       "table and settings as before (%u mappings)",
		       before.count);
	}
	nls_close(&root);
	return 0;
}

/* ------------------------------------------------------------------ */
/* mode huge                                                           */
/* ------------------------------------------------------------------ */

/* The i-th key of the bulk set: wildcards on 1..N, some hosts too. */
static void bulk_key(unsigned long i, struct key *k)
{
	memset(k, 0, sizeof(*k));
	if (i % 8 == 7) {
		k->port = (uint16_t)(1 + (i * 7919) % 65535);
		if (i % 16 == 7) {
			k->family = AF_INET;
			k->addr[0] = 10;
			k->addr[1] = (uint8_t)(i >> 16);
			k->addr[2] = (uint8_t)(i >> 8);
			k->addr[3] = (uint8_t)i;
		} else {
			k->family = AF_INET6;
			k->addr[0] = 0x20;
			k->addr[1] = 0x01;
			k->addr[2] = 0x0d;
			k->addr[3] = 0xb8;
			k->addr[13] = (uint8_t)(i >> 16);
			k->addr[14] = (uint8_t)(i >> 8);
			k->addr[15] = (uint8_t)i;
		}
	} else {
		k->port = (uint16_t)(1 + (i - i / 8) % 65535);
	}
}

/*
 * ADD or DEL a range of keys pipelined: @per messages per datagram, each
 * with NLM_F_ACK; the model follows the acks.  Returns failed acks.
 */
static unsigned long bulk_op(struct nls *s, struct model *m, uint8_t cmd,
			     unsigned long from, unsigned long to,
			     unsigned long step, unsigned int per)
{
	uint8_t *buf = malloc(per * 64);
	unsigned long i = from, bad = 0;

	if (!buf)
		die("out of memory");
	while (i < to) {
		size_t len = 0;
		unsigned int n = 0, acks = 0;
		uint32_t base = s->seq + 1;
		struct key keys[512];

		for (; n < per && i < to; n++, i += step) {
			struct req q = { .cmd = cmd, .key = &keys[n],
					 .strict = -1, .max_expect = -1 };

			bulk_key(i, &keys[n]);
			len += build_req(buf + len, base + n, &q,
					 NLM_F_REQUEST | NLM_F_ACK);
		}
		s->seq = base + n;
		if (nls_send(s, buf, len) < 0)
			die("bulk send: %s", strerror(errno));
		while (acks < n) {
			ssize_t r = nls_recv(s, rxbuf, sizeof(rxbuf), true);
			const struct nlmsghdr *nlh = (const void *)rxbuf;
			int rem = (int)r;

			if (r < 0)
				die("bulk: %s after %u of %u acks", strerror((int)-r),
				    acks, n);
			for (; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
				uint32_t j = nlh->nlmsg_seq - base;
				int e;

				if (nlh->nlmsg_type != NLMSG_ERROR || j >= n) {
					failf("bulk: unexpected message type %u seq %u",
					      nlh->nlmsg_type, nlh->nlmsg_seq);
					continue;
				}
				acks++;
				e = nlerr(nlh);
				if (e) {
					bad++;
					failf("bulk %s %s: %s",
					      cmd == FPM_CMD_MAP_ADD ? "add" : "del",
					      key_str(&keys[j]), errname(e));
					continue;
				}
				if (cmd == FPM_CMD_MAP_ADD)
					model_add(m, &keys[j]);
				else
					model_del(m, &keys[j]);
			}
		}
		n_sent += n;
	}
	free(buf);
	return bad;
}

/*
 * A dump that stops inside one port's chain, resumed after the chain
 * changed in front of where it stopped: the mappings that exist all along
 * must each be listed once (or the dump flagged NLM_F_DUMP_INTR).  One
 * port with 120 host mappings, the dump's first part (tiny receive
 * buffer) ends inside it; then the newest mapping, already listed, is
 * deleted (@add: a new one is added in front).  Deterministic.
 */
static void huge_resume_check(struct nls *s, struct model *m, bool add)
{
	const char *name = add ? "huge-dump-resume-after-add" :
				 "huge-dump-resume-after-delete";
	struct key keys[121];
	struct dumpres d;
	struct nls t;
	unsigned int i, seen[121] = { 0 }, in_first, missing = 0, dup = 0;
	uint32_t seq;
	ssize_t n;
	int e;

	for (i = 0; i < 121; i++) {
		memset(&keys[i], 0, sizeof(keys[i]));
		keys[i].port = 7000;
		keys[i].family = AF_INET;
		keys[i].addr[0] = 198;
		keys[i].addr[1] = 51;
		keys[i].addr[2] = 100;
		keys[i].addr[3] = (uint8_t)(i + 1);
	}
	for (i = 0; i < 120; i++) {
		struct req q = { .cmd = FPM_CMD_MAP_ADD, .key = &keys[i],
				 .strict = -1, .max_expect = -1 };

		e = do_req(s, &q, NULL, NULL);
		if (e)
			die("add %s: %s", key_str(&keys[i]), errname(abs(e)));
		model_add(m, &keys[i]);
	}
	if (nls_open(&t, -1))
		die("socket");
	memset(&d, 0, sizeof(d));
	seq = ++t.seq;
	dump_start(&t, seq, false);
	n = nls_recv(&t, rxbuf, sizeof(rxbuf), true);
	if (n > 0) {
		d.parts++;
		dump_consume(rxbuf, (int)n, seq, &d, NULL, NULL);
	}
	in_first = (unsigned int)d.keys.n;
	/* the chain's head is the newest host mapping: listed first */
	{
		struct req q = { .cmd = add ? FPM_CMD_MAP_ADD : FPM_CMD_MAP_DEL,
				 .key = add ? &keys[120] : &keys[119],
				 .strict = -1, .max_expect = -1 };

		e = do_req(s, &q, NULL, NULL);
		if (e)
			die("%s: %s", name, errname(abs(e)));
		if (add)
			model_add(m, &keys[120]);
		else
			model_del(m, &keys[119]);
	}
	while (!d.done && n > 0) {
		n = nls_recv(&t, rxbuf, sizeof(rxbuf), true);
		if (n > 0) {
			d.parts++;
			dump_consume(rxbuf, (int)n, seq, &d, NULL, NULL);
		}
	}
	nls_close(&t);
	for (i = 0; i < d.keys.n; i++) {
		unsigned int j = d.keys.v[i].addr[3] - 1u;

		if (d.keys.v[i].port == 7000 && j < 121)
			seen[j]++;
	}
	/* those that exist all along: 0..118, and 119 when it was not deleted */
	for (i = 0; i < (add ? 120u : 119u); i++) {
		if (!seen[i]) {
			missing++;
			if (missing == 1)
				note("%s: %s exists all along but is not in the dump",
				     name, key_str(&keys[i]));
		}
		if (seen[i] > 1) {
			dup++;
			if (dup == 1)
				note("%s: %s is in the dump %u times", name,
				     key_str(&keys[i]), seen[i]);
		}
	}
	result(name, d.done && !d.err && (d.intr || (!missing && !dup)),
	       "dump stopped after %u of 120 mappings of one port, %s; then: %u missing, %u listed twice, NLM_F_DUMP_INTR %s",
	       in_first, add ? "one added in front" : "a listed one deleted",
	       missing, dup, d.intr ? "set" : "not set");
	kv_free(&d.keys);
	/* clean up */
	for (i = 0; i < 121; i++) {
		struct req q = { .cmd = FPM_CMD_MAP_DEL, .key = &keys[i],
				 .strict = -1, .max_expect = -1 };

		if (!model_has(m, &keys[i]))
			continue;
		e = do_req(s, &q, NULL, NULL);
		if (e)
			die("del %s: %s", key_str(&keys[i]), errname(abs(e)));
		model_del(m, &keys[i]);
	}
}

static int mode_huge(void)
{
	struct nls s, t;
	struct model m;
	struct dumpres d;
	struct dumpopt o;
	struct req q = { .cmd = FPM_CMD_MAP_FLUSH, .strict = -1,
			 .max_expect = -1 };
	unsigned long bad;
	uint64_t t0;
	unsigned int i;
	bool ok;
	int err;

	model_init(&m);
	if (nls_open(&s, 8 << 20))
		die("socket: %s", strerror(errno));
	if (do_req(&s, &q, NULL, NULL) || model_from_kernel(&s, &m))
		die("cannot flush and read the table");
	if (opt.bulk > m.map_max) {
		note("--bulk %lu is above the module's max_mappings %u: using that",
		     opt.bulk, m.map_max);
		opt.bulk = m.map_max;
	}

	huge_resume_check(&s, &m, false);
	huge_resume_check(&s, &m, true);

	t0 = now_ns();
	bad = bulk_op(&s, &m, FPM_CMD_MAP_ADD, 0, opt.bulk, 1, 256);
	note("%lu adds in %.1f s", opt.bulk, (double)(now_ns() - t0) / 1e9);
	result("huge-add", !bad && m.count == opt.bulk,
	       "%lu mappings added, %lu refused", opt.bulk, bad);

	/* 1. tiny receive buffer: one part per read */
	if (nls_open(&t, -1))
		die("socket");
	memset(&o, 0, sizeof(o));
	o.peek = true;
	t0 = now_ns();
	err = dump_table(&t, &o, &d);
	ok = !err && !d.err && d.done && !d.problem[0] && !d.dup &&
	     !d.unordered && !d.intr && compare_with_model("tiny dump", &d.keys, &m);
	result("huge-dump-tiny-rcvbuf", ok,
	       "%zu mappings in %u parts (%.1f s) %s", d.keys.n, d.parts,
	       (double)(now_ns() - t0) / 1e9, d.problem);
	kv_free(&d.keys);
	nls_close(&t);

	/* 2. a big buffer (bigger dump skbs) and a (valid, ignored) PORT */
	if (nls_open(&t, 4 << 20))
		die("socket");
	o.with_port = true;
	err = dump_table(&t, &o, &d);
	ok = !err && !d.err && d.done && !d.problem[0] && !d.dup &&
	     !d.unordered && compare_with_model("big dump", &d.keys, &m);
	result("huge-dump-big-buffer", ok,
	       "%zu mappings in %u parts, PORT attribute ignored %s",
	       d.keys.n, d.parts, d.problem);
	kv_free(&d.keys);
	nls_close(&t);

	/* 3. a short user buffer: datagrams cut (MSG_TRUNC), then close */
	for (i = 0; i < 3; i++) {
		struct timeval tv = { .tv_sec = 2 };

		if (nls_open(&t, 0))
			die("socket");
		setsockopt(t.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		memset(&o, 0, sizeof(o));
		o.bufsize = 64 + 200 * i;
		o.stop_after = 200;
		err = dump_table(&t, &o, &d);
		note("truncating reader (%zu bytes): %u parts, %u cut, %s",
		     o.bufsize, d.parts, d.truncated,
		     err ? errname(-err) : "stopped");
		kv_free(&d.keys);
		nls_close(&t);
	}

	/* 4. interrupted dumps: close the socket after some parts */
	for (i = 0; i < 24; i++) {
		if (nls_open(&t, i & 1 ? -1 : 0))
			die("socket");
		memset(&o, 0, sizeof(o));
		o.peek = true;
		o.stop_after = i % 6;
		if (!o.stop_after) {
			/* send the request, read nothing */
			dump_start(&t, ++t.seq, false);
		} else {
			dump_table(&t, &o, &d);
			kv_free(&d.keys);
		}
		nls_close(&t);
	}
	note("24 dumps abandoned after 0..5 parts");

	/* 5. requests on a socket whose dump runs: EBUSY for a second dump,
	 * answers to the others, and the dump goes on to the end */
	{
		uint8_t buf[256];
		uint32_t dseq, bseq, cseq;
		struct req cq = { .cmd = FPM_CMD_CONFIG_GET, .strict = -1,
				  .max_expect = -1 };
		bool busy = false, cfg = false;
		int busy_err = 0;

		/* a receive buffer with room for the replies beside the
		 * dump's part (a full one drops them: ENOBUFS) */
		if (nls_open(&t, 0))
			die("socket");
		memset(&d, 0, sizeof(d));
		dseq = ++t.seq;
		dump_start(&t, dseq, false);
		bseq = ++t.seq;
		dump_start(&t, bseq, false);
		cseq = ++t.seq;
		nls_send(&t, buf, build_req(buf, cseq, &cq,
					    NLM_F_REQUEST | NLM_F_ACK));
		while (!d.done) {
			ssize_t n = nls_recv(&t, rxbuf, sizeof(rxbuf), true);
			const struct nlmsghdr *nlh = (const void *)rxbuf;
			int rem = (int)n;

			if (n < 0) {
				d.err = (int)n;
				break;
			}
			d.parts++;
			for (; mnl_nlmsg_ok(nlh, rem);
			     nlh = mnl_nlmsg_next(nlh, &rem)) {
				if (nlh->nlmsg_seq == bseq) {
					busy = nlh->nlmsg_type == NLMSG_ERROR;
					busy_err = nlerr(nlh);
				} else if (nlh->nlmsg_seq == cseq) {
					if (nlh->nlmsg_type == NLMSG_ERROR)
						cfg = cfg && !nlerr(nlh);
					else
						cfg = true;
				}
			}
			dump_consume(rxbuf, (int)n, dseq, &d, NULL, NULL);
		}
		/* what the dump_consume calls took for foreign messages */
		d.problem[0] = 0;
		ok = d.done && !d.err && busy && busy_err == EBUSY && cfg &&
		     compare_with_model("dump with requests", &d.keys, &m);
		result("huge-dump-concurrent-requests", ok,
		       "second dump refused %s, CONFIG_GET answered %d, first dump complete (%zu mappings, %u parts, error %s)",
		       busy ? errname(busy_err) : "(no reply)", cfg, d.keys.n,
		       d.parts, errname(abs(d.err)));
		kv_free(&d.keys);
		nls_close(&t);
	}

	/* 6. delete every other mapping, check */
	t0 = now_ns();
	bad = bulk_op(&s, &m, FPM_CMD_MAP_DEL, 0, opt.bulk, 2, 256);
	note("%lu deletes in %.1f s", (opt.bulk + 1) / 2,
	     (double)(now_ns() - t0) / 1e9);
	if (opt.corrupt)
		corrupt_model(&m);
	ok = verify_model(&s, &m, "after deleting half", true);
	result("huge-half-deleted", ok && !bad,
	       "%u mappings left, dump equals the model", m.count);
	write_outputs(&m);
	nls_close(&s);
	return 0;
}

/* ------------------------------------------------------------------ */
/* mode concurrent                                                     */
/* ------------------------------------------------------------------ */

#define CC_PORT0 40000
#define CC_NPORTS 48
#define CC_MAXW 8

enum { OP_ADD, OP_DEL, OP_GET };
enum { RES_OK, RES_EXIST, RES_NOENT, RES_OTHER };

struct oprec {
	uint16_t key;		/* index in the writer's key list */
	uint8_t op, res;
	uint64_t t0, t1;
};

struct shared {
	volatile int stop;
	volatile int go;
	unsigned long msgs[16];
	unsigned long fails[16];
	/* dumpers */
	unsigned long min_dumps;	/* writers go on until this many */
	uint64_t deadline;		/* ... and until then (churn mode) */
	unsigned long dumps, parts, intr, lost, dup, unordered;
	unsigned long foreign;
	/* flusher */
	unsigned int nflush;
	uint64_t flush_t0[4096], flush_t1[4096];
	/* config writer */
	int cfg_strict;
	uint32_t cfg_maxexp;
	/* writers */
	unsigned int nops[CC_MAXW];
	struct oprec ops[CC_MAXW][120000];
};

static struct shared *sh;
/* churn mode: writers only, for opt.seconds; results named "churn-*" */
static bool cc_churn;

/*
 * Churn mode's universe: 4 ports with long chains, half of each chain
 * stable (198.51.100.1..48), the rest 24 IPv4 hosts per writer
 * (203.0.113.30w+1..): a lister's dump parts end inside chains that the
 * writers keep changing.
 */
#define CH_NPORTS 4
#define CH_STABLE 48
#define CH_PERW 24

/* The writer keys: per port a wildcard (writer port % W) and per writer
 * one IPv4 and one IPv6 host; the stable key is 198.51.100.1 on each. */
static unsigned int cc_nkeys(unsigned int w)
{
	unsigned int n = 0, i;

	if (cc_churn)
		return CH_NPORTS * CH_PERW;
	for (i = 0; i < CC_NPORTS; i++)
		n += 2 + ((i % opt.writers) == w);
	return n;
}

static void cc_key(unsigned int w, unsigned int idx, struct key *k)
{
	unsigned int i;

	memset(k, 0, sizeof(*k));
	if (cc_churn) {
		k->port = (uint16_t)(CC_PORT0 + idx / CH_PERW);
		k->family = AF_INET;
		k->addr[0] = 203;
		k->addr[2] = 113;
		k->addr[3] = (uint8_t)(w * 30 + idx % CH_PERW + 1);
		return;
	}
	for (i = 0; i < CC_NPORTS; i++) {
		unsigned int n = 2 + ((i % opt.writers) == w);

		if (idx >= n) {
			idx -= n;
			continue;
		}
		k->port = (uint16_t)(CC_PORT0 + i);
		if (idx == 0) {
			k->family = AF_INET;
			k->addr[0] = 203;
			k->addr[1] = 0;
			k->addr[2] = 113;
			k->addr[3] = (uint8_t)(w + 1);
		} else if (idx == 1) {
			k->family = AF_INET6;
			inet_pton(AF_INET6, "2001:db8::", k->addr);
			k->addr[15] = (uint8_t)(w + 1);
		}
		return;
	}
}

static unsigned int cc_nstable(void)
{
	return cc_churn ? CH_NPORTS * CH_STABLE : CC_NPORTS;
}

static void cc_stable_key(unsigned int i, struct key *k)
{
	memset(k, 0, sizeof(*k));
	k->port = (uint16_t)(CC_PORT0 + (cc_churn ? i / CH_STABLE : i));
	k->family = AF_INET;
	k->addr[0] = 198;
	k->addr[1] = 51;
	k->addr[2] = 100;
	k->addr[3] = (uint8_t)(cc_churn ? i % CH_STABLE + 1 : 1);
}

/* Does @k belong to the concurrent universe? */
static bool cc_known(const struct key *k)
{
	static const uint8_t v6p[15] = { 0x20, 0x01, 0x0d, 0xb8 };

	if (k->port < CC_PORT0 || k->port >= CC_PORT0 + CC_NPORTS)
		return false;
	if (!k->family)
		return true;
	if (k->family == AF_INET)
		return k->addr[0] == 198 ? k->addr[3] == 1 :
		       k->addr[0] == 203 && k->addr[3] >= 1 &&
		       k->addr[3] <= opt.writers;
	return !memcmp(k->addr, v6p, 15) && k->addr[15] >= 1 &&
	       k->addr[15] <= opt.writers;
}

static void cc_wait_go(void)
{
	while (!sh->go)
		usleep(1000);
}

/* A mutated message that the kernel must refuse before the table. */
static size_t cc_invalid(uint8_t *buf, size_t cap, uint32_t seq,
			 struct pred *p, const struct key *k)
{
	struct octx c = { .priv = true, .m = NULL };
	int tries;

	for (tries = 0; tries < 100; tries++) {
		struct fmsg *fm = &fm_scratch;
		unsigned int i, n = 1 + rn(3);
		size_t len;

		fm_header(fm, (uint8_t)(FPM_CMD_MAP_ADD + rn(3)));
		fm->flags |= NLM_F_ACK;
		fm_add_key(fm, k);
		for (i = 0; i < n; i++)
			mutate_struct(fm);
		fm->flags = (fm->flags | NLM_F_REQUEST | NLM_F_ACK) &
			    (uint16_t)~NLM_F_DUMP;
		fm->type = fam_id;
		fm->lenf = -1;
		fm->cut = -1;
		len = fm_serialize(fm, buf, cap);
		if (len < NLMSG_HDRLEN + GENL_HDRLEN)
			continue;
		wr32(buf + 8, seq);
		memset(p, 0, sizeof(*p));
		oracle_msg(buf, (uint32_t)len, p, &c);
		if (p->kind == P_ACK && p->err)
			return len;
	}
	return 0;
}

static void cc_writer(unsigned int w, unsigned long nops)
{
	struct nls s;
	unsigned int nk = cc_nkeys(w);
	unsigned long i;

	child_init("writer");
	rseed(opt.seed, 200 + w);
	if (nls_open(&s, 0))
		die("socket");
	cc_wait_go();
	for (i = 0; (i < nops || sh->dumps < sh->min_dumps ||
		     now_ns() < sh->deadline) &&
		    sh->nops[w] < ARRAY_SIZE(sh->ops[0]); i++) {
		struct oprec *r = &sh->ops[w][sh->nops[w]];
		unsigned int idx = rn(nk), x = rn(100);
		struct key k;
		struct reply rep;
		bool data = false;
		int e;

		cc_key(w, idx, &k);
		/* churn mode: leave the CPU to the lister now and then */
		if (cc_churn && chance(50))
			usleep(rn(2000));
		if (x < 5) {
			uint8_t buf[4096];
			struct pred p;
			uint32_t seq = ++s.seq;
			size_t len = cc_invalid(buf, sizeof(buf), seq, &p, &k);

			if (!len)
				continue;
			if (nls_send(&s, buf, len) < 0)
				die("send: %s", strerror(errno));
			for (;;) {
				ssize_t n = nls_recv(&s, rxbuf, sizeof(rxbuf), false);
				const struct nlmsghdr *nlh = (const void *)rxbuf;

				if (n < 0)
					die("writer: %s", strerror((int)-n));
				if (nlh->nlmsg_seq == seq &&
				    nlh->nlmsg_type == NLMSG_ERROR) {
					e = nlerr(nlh);
					if (e != p.err) {
						failf("writer %u: invalid message: %s, expected %s",
						      w, errname(e), errname(p.err));
						hexdump(buf, len, 96);
					}
					break;
				}
			}
			sh->msgs[w]++;
			continue;
		}
		r->key = (uint16_t)idx;
		r->op = x < 50 ? OP_ADD : x < 85 ? OP_DEL : OP_GET;
		{
			struct req q = { .cmd = r->op == OP_ADD ? FPM_CMD_MAP_ADD :
					 r->op == OP_DEL ? FPM_CMD_MAP_DEL :
					 FPM_CMD_MAP_GET,
					 .key = &k, .strict = -1,
					 .max_expect = -1 };

			r->t0 = now_ns();
			e = do_req(&s, &q, &rep, &data);
			r->t1 = now_ns();
		}
		if (e < 0)
			die("writer %u: %s", w, strerror(-e));
		r->res = e == 0 ? RES_OK : e == EEXIST ? RES_EXIST :
			 e == ENOENT ? RES_NOENT : RES_OTHER;
		if (r->res == RES_OTHER)
			failf("writer %u: %s %s: %s", w,
			      r->op == OP_ADD ? "add" : r->op == OP_DEL ? "del" : "get",
			      key_str(&k), errname(e));
		if (r->op == OP_GET && !e && (!data || !key_eq(&rep.key, &k) ||
					      rep.problem[0]))
			failf("writer %u: MAP_GET %s: reply %s %s", w, key_str(&k),
			      data ? key_str(&rep.key) : "(none)", rep.problem);
		if ((r->op != OP_GET || e) && data)
			failf("writer %u: data reply with error %s", w, errname(e));
		sh->nops[w]++;
		sh->msgs[w]++;
	}
	sh->fails[w] += n_fail;
	exit(0);
}

static void cc_dumper(unsigned int id, bool stable)
{
	unsigned long dumps = 0;

	child_init("dumper");
	rseed(opt.seed, 300 + id);
	cc_wait_go();
	while (!sh->stop) {
		struct nls s;
		struct dumpopt o = { .peek = true };
		struct dumpres d;
		unsigned int i, stable_seen[CC_NPORTS];
		size_t k;

		if (nls_open(&s, chance(70) ? -1 : 0))
			die("socket");
		if (chance(10))
			o.stop_after = 1 + rn(3);
		/* time for the writers to change a chain the dump is in */
		if (chance(60))
			o.pause_us = 3000;
		if (dump_table(&s, &o, &d) && !o.stop_after) {
			failf("dumper %u: dump failed", id);
			nls_close(&s);
			kv_free(&d.keys);
			continue;
		}
		nls_close(&s);
		sh->msgs[8 + id]++;
		dumps++;
		__atomic_add_fetch(&sh->dumps, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&sh->parts, d.parts, __ATOMIC_RELAXED);
		if (o.stop_after && !d.done) {
			kv_free(&d.keys);
			continue;
		}
		if (d.err)
			failf("dumper %u: dump error %s", id, errname(abs(d.err)));
		if (d.problem[0])
			failf("dumper %u: %s", id, d.problem);
		if (d.unordered) {
			__atomic_add_fetch(&sh->unordered, 1, __ATOMIC_RELAXED);
			failf("dumper %u: dump not ordered by port", id);
		}
		for (k = 0; k < d.keys.n; k++)
			if (!cc_known(&d.keys.v[k])) {
				__atomic_add_fetch(&sh->foreign, 1, __ATOMIC_RELAXED);
				failf("dumper %u: dump lists %s, which nobody added",
				      id, key_str(&d.keys.v[k]));
			}
		if (d.intr) {
			__atomic_add_fetch(&sh->intr, 1, __ATOMIC_RELAXED);
		} else {
			if (d.dup)
				__atomic_add_fetch(&sh->dup, 1, __ATOMIC_RELAXED);
			if (stable) {
				memset(stable_seen, 0, sizeof(stable_seen));
				for (k = 0; k < d.keys.n; k++) {
					struct key sk;
					unsigned int p = d.keys.v[k].port - CC_PORT0;

					if (p >= CC_NPORTS)
						continue;
					cc_stable_key(p, &sk);
					if (key_eq(&sk, &d.keys.v[k]))
						stable_seen[p]++;
				}
				for (i = 0; i < CC_NPORTS; i++)
					if (stable_seen[i] != 1) {
						struct key sk;

						cc_stable_key(i, &sk);
						__atomic_add_fetch(&sh->lost, 1,
								   __ATOMIC_RELAXED);
						if (sh->lost < 4)
							printf("# [dumper] dump %lu lists %s %u times (it exists throughout), no NLM_F_DUMP_INTR\n",
							       dumps, key_str(&sk),
							       stable_seen[i]);
						break;
					}
			}
		}
		kv_free(&d.keys);
		if (chance(20)) {
			/*
			 * STATS_RESET walks every mapping's counters under
			 * the table lock while the writers add and delete:
			 * a plain ack, no data.
			 */
			static const uint8_t cmds[] = { FPM_CMD_CONFIG_GET,
							FPM_CMD_STATS_GET,
							FPM_CMD_STATS_RESET };
			struct req q = { .cmd = cmds[rn(ARRAY_SIZE(cmds))],
					 .strict = -1, .max_expect = -1 };
			bool want_data = q.cmd != FPM_CMD_STATS_RESET;
			struct reply r = { .problem = "" };
			bool data;
			int e;

			if (nls_open(&s, 0))
				die("socket");
			e = do_req(&s, &q, &r, &data);
			if (e || data != want_data || r.problem[0])
				failf("dumper %u: cmd %u: %s, %s reply %s", id,
				      q.cmd, errname(abs(e)),
				      data ? "a data" : "no data", r.problem);
			nls_close(&s);
			sh->msgs[8 + id]++;
		}
	}
	sh->fails[8 + id] += n_fail;
	exit(0);
}

static void cc_config(void)
{
	struct nls s;

	child_init("config");
	rseed(opt.seed, 400);
	if (nls_open(&s, 0))
		die("socket");
	cc_wait_go();
	while (!sh->stop) {
		struct req q = { .cmd = FPM_CMD_CONFIG_SET, .strict = -1,
				 .max_expect = -1 };
		struct req g = { .cmd = FPM_CMD_CONFIG_GET, .strict = -1,
				 .max_expect = -1 };
		struct reply r;
		bool data, invalid = chance(10);
		int e;

		if (chance(60))
			q.strict = (int)rn(2);
		if (q.strict < 0 || chance(60))
			q.max_expect = invalid ? (chance(50) ? 0 : 65) :
				       gen_max_expect();
		e = do_req(&s, &q, NULL, NULL);
		if (invalid && q.max_expect >= 0) {
			if (e != ERANGE)
				failf("config: max_expect %" PRId64 ": %s, want ERANGE",
				      q.max_expect, errname(e));
		} else if (e) {
			failf("config: CONFIG_SET: %s", errname(abs(e)));
		} else {
			if (q.strict >= 0)
				sh->cfg_strict = q.strict;
			if (q.max_expect >= 0)
				sh->cfg_maxexp = (uint32_t)q.max_expect;
		}
		e = do_req(&s, &g, &r, &data);
		if (e || !data || r.problem[0] || r.strict != sh->cfg_strict ||
		    r.max_expect != sh->cfg_maxexp)
			failf("config: read back %s strict %u max_expect %u, set %d %u %s",
			      errname(abs(e)), r.strict, r.max_expect,
			      sh->cfg_strict, sh->cfg_maxexp, r.problem);
		sh->msgs[12] += 2;
	}
	sh->fails[12] += n_fail;
	exit(0);
}

static void cc_unpriv(void)
{
	struct nls s;
	struct octx c = { .priv = false };
	struct fuzzstats st = { 0 };

	child_init("unpriv");
	rseed(opt.seed, 500);
	if (drop_to_nobody())
		die("cannot become nobody");
	if (nls_open(&s, 0))
		die("socket");
	cc_wait_go();
	while (!sh->stop) {
		unsigned long before = st.msgs;

		fuzz_loop(&s, &c, st.msgs + 200, &st, reopen_default, 0);
		sh->msgs[13] += st.msgs - before;
	}
	sh->fails[13] += n_fail;
	exit(0);
}

static void cc_flusher(void)
{
	struct nls s;

	child_init("flusher");
	rseed(opt.seed, 600);
	if (nls_open(&s, 0))
		die("socket");
	cc_wait_go();
	while (!sh->stop && sh->nflush < ARRAY_SIZE(sh->flush_t0)) {
		struct req q = { .cmd = FPM_CMD_MAP_FLUSH, .strict = -1,
				 .max_expect = -1 };
		uint64_t t0, t1;
		int e;

		usleep(2000 + rn(30000));
		t0 = now_ns();
		e = do_req(&s, &q, NULL, NULL);
		t1 = now_ns();
		if (e) {
			failf("flusher: %s", errname(abs(e)));
			continue;
		}
		sh->flush_t0[sh->nflush] = t0;
		sh->flush_t1[sh->nflush] = t1;
		sh->nflush++;
		sh->msgs[14]++;
	}
	sh->fails[14] += n_fail;
	exit(0);
}

/*
 * Check one writer's history on one key against the flushes, and return
 * the final state: 0 absent, 1 present, 2 either (a flush may come after
 * the last operation).  @state is the state at the phase start.
 */
static int cc_check_key(unsigned int w, unsigned int idx, int state,
			unsigned long *violations)
{
	uint64_t p0 = 0, p1 = 0;
	unsigned int i, f;

	for (i = 0; i < sh->nops[w]; i++) {
		const struct oprec *r = &sh->ops[w][i];
		bool must = false, may = false, present_seen;

		if (r->key != idx)
			continue;
		for (f = 0; f < sh->nflush; f++) {
			if (sh->flush_t0[f] > p1 && sh->flush_t1[f] < r->t0)
				must = true;
			if (sh->flush_t1[f] > p0 && sh->flush_t0[f] < r->t1)
				may = true;
		}
		present_seen = (r->op == OP_ADD && r->res == RES_EXIST) ||
			       (r->op == OP_DEL && r->res == RES_OK) ||
			       (r->op == OP_GET && r->res == RES_OK);
		if (r->res != RES_OTHER) {
			bool ok = state == 1 && !must ? (present_seen || may) :
				  !present_seen;

			if (!ok) {
				struct key k;

				cc_key(w, idx, &k);
				(*violations)++;
				failf("writer %u, %s: %s answered %s, but the mapping was %s before%s",
				      w, key_str(&k),
				      r->op == OP_ADD ? "add" : r->op == OP_DEL ? "del" : "get",
				      r->res == RES_OK ? "ok" : r->res == RES_EXIST ?
				      "EEXIST" : "ENOENT",
				      state ? "there" : "not there",
				      must ? " (and flushed since)" : "");
			}
			state = (r->op == OP_ADD) ||
				(r->op == OP_GET && r->res == RES_OK);
		}
		p0 = r->t0;
		p1 = r->t1;
	}
	if (state == 1)
		for (f = 0; f < sh->nflush; f++) {
			if (sh->flush_t0[f] > p1)
				return 0;
			if (sh->flush_t1[f] > p0)
				state = 2;
		}
	return state;
}

static int cc_phase(const char *name, bool flusher, bool stable,
		    struct model *m, unsigned long nops)
{
	pid_t pids[32];
	unsigned int np = 0, w, i;
	unsigned long violations = 0, either = 0, msgs = 0, fails = 0;
	uint64_t t0;
	struct nls s;
	struct dumpres d;
	struct dumpopt o = { .peek = true };
	struct keyvec undecided = { 0 };
	bool ok;

	memset(sh, 0, offsetof(struct shared, ops));
	memset(sh->nops, 0, sizeof(sh->nops));
	sh->cfg_strict = m->strict;
	sh->cfg_maxexp = m->max_expect;
	sh->min_dumps = stable && opt.dumpers ? opt.min_dumps : 0;
	if (cc_churn)
		sh->deadline = now_ns() + (uint64_t)opt.seconds * 1000000000u;
	fflush(stdout);
	for (w = 0; w < opt.writers; w++)
		if (!(pids[np++] = fork()))
			cc_writer(w, nops);
	for (i = 0; i < opt.dumpers; i++)
		if (!(pids[np++] = fork()))
			cc_dumper(i, stable);
	if (!cc_churn && !(pids[np++] = fork()))
		cc_config();
	if (!cc_churn && !(pids[np++] = fork()))
		cc_unpriv();
	if (flusher && !(pids[np++] = fork()))
		cc_flusher();
	t0 = now_ns();
	sh->go = 1;
	if (cc_churn) {
		note("churn: ready, %u writers for %u s at most", opt.writers,
		     opt.seconds);
		/* until the lister says it is done (or the time is up) */
		while (opt.stop_file && access(opt.stop_file, F_OK) &&
		       now_ns() < sh->deadline)
			usleep(100000);
		sh->deadline = 0;
	}
	for (i = 0; i < opt.writers; i++)
		wait_child(pids[i], "concurrent-writer");
	sh->stop = 1;
	for (; i < np; i++)
		wait_child(pids[i], "concurrent-child");
	for (i = 0; i < 16; i++) {
		msgs += sh->msgs[i];
		fails += sh->fails[i];
	}
	n_sent += msgs;
	note("%s: %.1f s, %lu messages: writers %u ops, %lu dumps (%lu parts, %lu flagged NLM_F_DUMP_INTR), %u flushes, settings writer %lu, unprivileged %lu",
	     name, (double)(now_ns() - t0) / 1e9, msgs,
	     sh->nops[0] + sh->nops[1] + sh->nops[2] + sh->nops[3],
	     sh->dumps, sh->parts, sh->intr, sh->nflush, sh->msgs[12],
	     sh->msgs[13]);

	/* linearizability of every writer's results; the expected table */
	for (w = 0; w < opt.writers; w++) {
		unsigned int idx, nk = cc_nkeys(w);

		for (idx = 0; idx < nk; idx++) {
			struct key k;
			int st;

			cc_key(w, idx, &k);
			st = cc_check_key(w, idx, model_has(m, &k), &violations);
			if (st == 2) {
				either++;
				kv_push(&undecided, &k);
				model_del(m, &k);	/* decided below */
				continue;
			}
			if (st)
				model_add(m, &k);
			else
				model_del(m, &k);
		}
	}
	if (flusher && sh->nflush)
		for (i = 0; i < cc_nstable(); i++) {
			struct key k;

			cc_stable_key(i, &k);
			model_del(m, &k);
		}
	result(cc_churn ? "churn-writers-linearizable" : flusher ?
	       "concurrent-B-writers-linearizable" :
	       "concurrent-A-writers-linearizable", !violations,
	       "every add/del/get result consistent with the writer's own history%s (%lu violations)",
	       flusher ? " and the flushes" : "", violations);
	result(cc_churn ? "churn-children" : flusher ? "concurrent-B-children" :
	       "concurrent-A-children",
	       !fails, "%lu mismatches in the children (replies, settings read back, unprivileged EPERM, dump contents)",
	       fails);
	if (stable && opt.dumpers)
		result("concurrent-A-dump-consistency", !sh->lost && !sh->dup,
		       "%lu complete dumps under churn: %lu missed or repeated a mapping that existed throughout, %lu listed a mapping twice, without NLM_F_DUMP_INTR (%lu flagged)",
		       sh->dumps, sh->lost, sh->dup, sh->intr);

	/* the table now: definite keys must match; "either" keys decide */
	if (nls_open(&s, -1))
		die("socket");
	if (dump_table(&s, &o, &d) || d.err || !d.done)
		die("final dump failed");
	if (either) {
		size_t k, u;

		for (k = 0; k < d.keys.n; k++)
			for (u = 0; u < undecided.n; u++)
				if (key_eq(&undecided.v[u], &d.keys.v[k]))
					model_add(m, &undecided.v[u]);
		note("%lu mappings were either there or flushed (a flush overlapped the last operation): the dump decided",
		     either);
	}
	kv_free(&undecided);
	m->strict = sh->cfg_strict;
	m->max_expect = sh->cfg_maxexp;
	kv_free(&d.keys);
	nls_close(&s);
	if (nls_open(&s, 0))
		die("socket");
	ok = verify_model(&s, m, name, true);
	result(cc_churn ? "churn-table" : flusher ? "concurrent-B-table" :
	       "concurrent-A-table", ok,
	       "table (%u mappings) and settings (strict %d, max_expect %u) as the acknowledged results say",
	       m->count, m->strict, m->max_expect);
	nls_close(&s);
	return 0;
}

static int mode_concurrent(void)
{
	struct nls s;
	struct model m;
	struct req q = { .cmd = FPM_CMD_MAP_FLUSH, .strict = -1,
			 .max_expect = -1 };
	unsigned long nops;
	unsigned int i;

	if (opt.writers < 1 || opt.writers > 4 || opt.dumpers > 4)
		die("--writers 1..4, --dumpers 0..4");
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	model_init(&m);
	if (nls_open(&s, 0))
		die("socket");
	if (do_req(&s, &q, NULL, NULL) || model_from_kernel(&s, &m))
		die("cannot flush and read the table");
	/* the stable mappings: nobody touches them in phase A */
	for (i = 0; i < cc_nstable(); i++) {
		struct key k;
		struct req a = { .cmd = FPM_CMD_MAP_ADD, .key = &k,
				 .strict = -1, .max_expect = -1 };

		cc_stable_key(i, &k);
		if (do_req(&s, &a, NULL, NULL))
			die("cannot add %s", key_str(&k));
		model_add(&m, &k);
	}
	nls_close(&s);
	/* about 60% of the messages are the writers' */
	nops = opt.count * 6 / 10 / 2 / opt.writers + 1;
	if (nops > ARRAY_SIZE(sh->ops[0]))
		nops = ARRAY_SIZE(sh->ops[0]);
	if (cc_churn) {
		cc_phase("churn", false, true, &m, 0);
		write_outputs(&m);
		return 0;
	}
	cc_phase("phase A (no flush)", false, true, &m, nops);
	cc_phase("phase B (with flushes)", true, false, &m, nops);
	if (opt.corrupt) {
		corrupt_model(&m);
		if (nls_open(&s, 0))
			die("socket");
		result("concurrent-final-table", verify_model(&s, &m, "final", true),
		       "self-test");
		nls_close(&s);
	}
	write_outputs(&m);
	return 0;
}

/*
 * Writers churn the concurrent universe (the stable mappings stay) for
 * --seconds; meanwhile something else lists the table (the suite runs
 * portmapctl map list in a loop).  Then the usual checks.
 */
static int mode_churn(void)
{
	opt.dumpers = 0;
	cc_churn = true;
	return mode_concurrent();
}

/* ------------------------------------------------------------------ */
/* mode dry: generate and predict only (no kernel), for the generator   */
/* ------------------------------------------------------------------ */

static int mode_dry(void)
{
	struct model m;
	struct octx c = { .priv = true, .m = &m };
	struct batch b = { 0 };
	unsigned long msgs = 0, parsed = 0, batches = 0;
	size_t i;

	model_init(&m);
	m.strict = 1;
	m.max_expect = 4;
	b.buf = malloc(BATCH_BUF);
	while (msgs < opt.count) {
		unsigned int k, n = 1 + rn(chance(10) ? 64 : 12);

		batch_reset(&b, (uint32_t)(batches * 1000));
		b.len = 0;
		c.dump_seen = false;
		for (k = 0; k < n && msgs < opt.count; k++) {
			msgs++;
			if (gen_one(&b, true) || b.len > BATCH_BUF / 2)
				break;
		}
		batch_simulate(&b, &c);
		parsed += b.n;
		for (i = 0; i < b.n; i++) {
			struct pred *p = &b.p[i];

			if (p->kind == P_ACK)
				tally_err[p->err & 255]++;
			else if (p->kind == P_DATA)
				tally_data++;
			else if (p->kind == P_DUMP)
				tally_dump++;
			else
				tally_none++;
		}
		batches++;
	}
	print_tally();
	note("%lu generated, %lu processed by the (simulated) kernel, %lu batches, %u mappings in the model",
	     msgs, parsed, batches, m.count);
	return 0;
}

/* ------------------------------------------------------------------ */

/* Does MAP_ADD refuse unusable hosts?  Ask once (and undo the add). */
static void probe_host_refusal(void)
{
	struct key k = { .port = 1, .family = AF_INET,
			 .addr = { 255, 255, 255, 255 } };
	struct req a = { .cmd = FPM_CMD_MAP_ADD, .key = &k, .strict = -1,
			 .max_expect = -1 };
	struct req d = { .cmd = FPM_CMD_MAP_DEL, .key = &k, .strict = -1,
			 .max_expect = -1 };
	struct nls s;
	int e;

	if (nls_open(&s, 0))
		return;
	e = do_req(&s, &a, NULL, NULL);
	host_refusal = e == EINVAL;
	if (!e)
		do_req(&s, &d, NULL, NULL);
	nls_close(&s);
	note("MAP_ADD %s unusable host addresses (probe: %s)",
	     host_refusal ? "refuses" : "takes", errname(e < 0 ? -e : e));
}

static void usage(void)
{
	fprintf(stderr,
		"usage: fuzznl seq|unpriv|huge|concurrent|churn|dry [--seed N] [--count N]\n"
		"       [--bulk N] [--model FILE] [--config FILE] [--writers N]\n"
		"       [--dumpers N] [--min-dumps N] [--seconds N] [--stop-file F]\n"
		"       [--corrupt-model]"
" [--timeout SEC]\n"
		"       [-v]      (dry: generate and predict only)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'c' },
		{ "bulk", required_argument, NULL, 'b' },
		{ "model", required_argument, NULL, 'm' },
		{ "config", required_argument, NULL, 'C' },
		{ "writers", required_argument, NULL, 'w' },
		{ "dumpers", required_argument, NULL, 'd' },
		{ "corrupt-model", no_argument, NULL, 'X' },
		{ "min-dumps", required_argument, NULL, 'D' },
		{ "seconds", required_argument, NULL, 'S' },
		{ "stop-file", required_argument, NULL, 'F' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	bool have_seed = false;
	struct utsname u;
	struct nls s;
	int c, rc, maj = 0, min = 0;
	uint64_t t0 = now_ns();

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt_long(argc, argv, "v", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			opt.seed = strtoull(optarg, NULL, 0);
			have_seed = true;
			break;
		case 'c':
			opt.count = strtoul(optarg, NULL, 0);
			break;
		case 'b':
			opt.bulk = strtoul(optarg, NULL, 0);
			break;
		case 'm':
			opt.model_path = optarg;
			break;
		case 'C':
			opt.config_path = optarg;
			break;
		case 'w':
			opt.writers = (unsigned int)atoi(optarg);
			break;
		case 'd':
			opt.dumpers = (unsigned int)atoi(optarg);
			break;
		case 'X':
			opt.corrupt = true;
			break;
		case 'D':
			opt.min_dumps = strtoul(optarg, NULL, 0);
			break;
		case 'S':
			opt.seconds = (unsigned int)atoi(optarg);
			break;
		case 'F':
			opt.stop_file = optarg;
			break;
		case 't':
			rcv_timeout = atoi(optarg);
			break;
		case 'v':
			max_reports = 1000000;
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1)
		usage();
	opt.mode = argv[optind];
	if (!have_seed) {
		FILE *f = fopen("/dev/urandom", "r");

		if (!f || fread(&opt.seed, sizeof(opt.seed), 1, f) != 1)
			opt.seed = (uint64_t)time(NULL) ^ (uint64_t)getpid();
		if (f)
			fclose(f);
		opt.seed &= 0xffffffffffffull;
	}
	rseed(opt.seed, 0);
	policies_init();
	shc = mmap(NULL, sizeof(*shc), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shc == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	if (!uname(&u))
		sscanf(u.release, "%d.%d", &maj, &min);
	genl_split_ops = maj > 6 || (maj == 6 && min >= 2);
	note("mode %s, seed %" PRIu64 " (FUZZ_SEED=%" PRIu64 " reproduces), kernel %s",
	     opt.mode, opt.seed, opt.seed, u.release);

	if (!strcmp(opt.mode, "dry")) {
		fam_id = 0x42;
		return mode_dry();
	}
	if (nls_open(&s, 0))
		die("netlink socket: %s", strerror(errno));
	rc = resolve_family(&s, &fam_id);
	nls_close(&s);
	if (rc)
		die("generic netlink family %s not found (%s): module not loaded?",
		    FTP_PORTMAP_GENL_NAME, strerror(-rc));
	note("family %s id %u", FTP_PORTMAP_GENL_NAME, fam_id);
	probe_host_refusal();

	if (!strcmp(opt.mode, "seq"))
		rc = mode_seq();
	else if (!strcmp(opt.mode, "unpriv"))
		rc = mode_unpriv();
	else if (!strcmp(opt.mode, "huge"))
		rc = mode_huge();
	else if (!strcmp(opt.mode, "concurrent"))
		rc = mode_concurrent();
	else if (!strcmp(opt.mode, "churn"))
		rc = mode_churn();
	else
		usage();
	n_sent += shc->sent;
	printf("fuzznl: %lu messages, %lu failures, %.1f s\n", n_sent, n_fail,
	       (double)(now_ns() - t0) / 1e9);
	return rc ? rc : n_fail ? 1 : 0;
}
