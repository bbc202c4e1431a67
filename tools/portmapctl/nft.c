// SPDX-License-Identifier: GPL-2.0
/*
 * portmapctl - the libnftables layer of "nat-server": nft scripts for
 * the table "inet ftp_portmap", run as single transactions, and the rules
 * read back from the table's text listing (the comment of each rule tells
 * what it is; "# handle N" where it is).
 *
 * Nothing here names another table: every command is scoped to ours.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <nftables/libnftables.h>

#include "nft.h"

#define T		"inet " PM_NFT_TABLE
#define CH_PRE		"nat_prerouting"
#define CH_OUT		"nat_output"

struct pm_nft {
	struct nft_ctx *ctx;
	char err[512];
};

/* ---- a growing string ---------------------------------------------- */

struct sbuf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...) PM_FMT(2, 3);

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap ? b->cap * 2 : 1024;
		while (cap - b->len <= (size_t)n)
			cap *= 2;
		char *s = realloc(b->s, cap);

		if (!s) {
			b->oom = true;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
}

/* ---- context -------------------------------------------------------- */

struct pm_nft *pm_nft_open(void)
{
	struct pm_nft *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!n->ctx || nft_ctx_buffer_output(n->ctx) ||
	    nft_ctx_buffer_error(n->ctx)) {
		if (n->ctx)
			nft_ctx_free(n->ctx);
		free(n);
		return NULL;
	}
	/* Handles for "delete rule ... handle N"; numbers, not names. */
	nft_ctx_output_set_flags(n->ctx, NFT_CTX_OUTPUT_HANDLE |
				 NFT_CTX_OUTPUT_NUMERIC_PROTO);
	return n;
}

void pm_nft_close(struct pm_nft *n)
{
	if (!n)
		return;
	nft_ctx_free(n->ctx);
	free(n);
}

const char *pm_nft_error(struct pm_nft *n)
{
	return n->err;
}

/* Keep the first line of nft's message, without the "Error: " prefix. */
static void keep_error(struct pm_nft *n, const char *msg)
{
	const char *p = msg ? msg : "";
	size_t len;

	if (!strncmp(p, "Error: ", 7))
		p += 7;
	len = strcspn(p, "\n");
	if (len >= sizeof(n->err))
		len = sizeof(n->err) - 1;
	memcpy(n->err, p, len);
	n->err[len] = '\0';
	if (!len)
		snprintf(n->err, sizeof(n->err), "nftables command failed");
}

/* Run @script; on success *out (if asked) is a malloc'd copy of the output. */
static int run(struct pm_nft *n, const char *script, char **out)
{
	const char *o;
	int rc;

	n->err[0] = '\0';
	rc = nft_run_cmd_from_buffer(n->ctx, script);
	o = nft_ctx_get_output_buffer(n->ctx);
	if (rc) {
		keep_error(n, nft_ctx_get_error_buffer(n->ctx));
		return -1;
	}
	/* Warnings, if any, are not failures: drop them. */
	(void)nft_ctx_get_error_buffer(n->ctx);
	if (out) {
		*out = strdup(o ? o : "");
		if (!*out) {
			snprintf(n->err, sizeof(n->err), "%s", strerror(ENOMEM));
			return -1;
		}
	}
	return 0;
}

int pm_nft_run(struct pm_nft *n, const char *script)
{
	return run(n, script, NULL);
}

/* ---- the description in a comment --------------------------------- */

static const char *proto_name(int proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

static void ports_str(uint16_t lo, uint16_t hi, char *buf, size_t len)
{
	if (lo == hi)
		snprintf(buf, len, "%u", lo);
	else
		snprintf(buf, len, "%u-%u", lo, hi);
}

int pm_ns_comment(const struct pm_ns_rule *r, char *buf, size_t len)
{
	char g[INET6_ADDRSTRLEN], i[INET6_ADDRSTRLEN];
	int n;

	pm_addr_str(r->family, &r->inside, i, sizeof(i));
	if (r->by_iif)
		n = snprintf(buf, len, PM_NFT_COMMENT_TAG
			     " %s if=%s %u-%u i=%s %u-%u%s",
			     proto_name(r->proto), r->iif, r->glo, r->ghi, i,
			     r->ilo, r->ihi, r->ftp ? " ftp" : "");
	else
		n = snprintf(buf, len, PM_NFT_COMMENT_TAG
			     " %s g=%s %u-%u i=%s %u-%u%s",
			     proto_name(r->proto),
			     pm_addr_str(r->family, &r->global, g, sizeof(g)),
			     r->glo, r->ghi, i, r->ilo, r->ihi,
			     r->ftp ? " ftp" : "");
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static int parse_range(const char *s, uint16_t *lo, uint16_t *hi)
{
	char tmp[16];
	char *dash;

	if (strlen(s) >= sizeof(tmp))
		return -1;
	strcpy(tmp, s);
	dash = strchr(tmp, '-');
	if (!dash)
		return -1;
	*dash = '\0';
	if (pm_parse_port(tmp, lo) || pm_parse_port(dash + 1, hi) || *lo > *hi)
		return -1;
	return 0;
}

int pm_ns_parse_comment(const char *s, struct pm_ns_rule *r)
{
	char copy[256], *save = NULL, *tok[8];
	int ntok = 0, fam;
	union pm_addr a;
	char *t;

	if (strlen(s) >= sizeof(copy))
		return -1;
	strcpy(copy, s);
	for (t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		if (ntok == 8)
			return -1;
		tok[ntok++] = t;
	}
	if (ntok < 6 || ntok > 7 || strcmp(tok[0], PM_NFT_COMMENT_TAG))
		return -1;

	memset(r, 0, sizeof(*r));
	if (!strcmp(tok[1], "tcp"))
		r->proto = IPPROTO_TCP;
	else if (!strcmp(tok[1], "udp"))
		r->proto = IPPROTO_UDP;
	else
		return -1;

	if (strncmp(tok[4], "i=", 2) ||
	    pm_parse_addr(tok[4] + 2, &r->family, &r->inside))
		return -1;
	if (!strncmp(tok[2], "g=", 2)) {
		if (pm_parse_addr(tok[2] + 2, &fam, &a) || fam != r->family)
			return -1;
		r->global = a;
	} else if (!strncmp(tok[2], "if=", 3)) {
		if (!pm_ns_valid_ifname(tok[2] + 3))
			return -1;
		r->by_iif = true;
		strcpy(r->iif, tok[2] + 3);
	} else {
		return -1;
	}
	if (parse_range(tok[3], &r->glo, &r->ghi) ||
	    parse_range(tok[5], &r->ilo, &r->ihi) ||
	    r->ghi - r->glo != r->ihi - r->ilo)
		return -1;
	if (ntok == 7) {
		if (strcmp(tok[6], "ftp"))
			return -1;
		r->ftp = true;
	}
	return 0;
}

bool pm_ns_same(const struct pm_ns_rule *a, const struct pm_ns_rule *b)
{
	size_t alen = a->family == AF_INET6 ? 16 : 4;

	if (a->proto != b->proto || a->family != b->family ||
	    a->by_iif != b->by_iif || a->glo != b->glo || a->ghi != b->ghi ||
	    a->ilo != b->ilo || a->ihi != b->ihi ||
	    memcmp(&a->inside, &b->inside, alen))
		return false;
	if (a->by_iif)
		return !strcmp(a->iif, b->iif);
	return !memcmp(&a->global, &b->global, alen);
}

void pm_ns_describe(const struct pm_ns_rule *r, char *buf, size_t len)
{
	char g[INET6_ADDRSTRLEN], i[INET6_ADDRSTRLEN], gp[12], ip[12];

	ports_str(r->glo, r->ghi, gp, sizeof(gp));
	ports_str(r->ilo, r->ihi, ip, sizeof(ip));
	pm_addr_str(r->family, &r->inside, i, sizeof(i));
	if (r->by_iif)
		snprintf(buf, len, "%s iif %s %s inside %s %s",
			 proto_name(r->proto), r->iif, gp, i, ip);
	else
		snprintf(buf, len, "%s global %s %s inside %s %s",
			 proto_name(r->proto),
			 pm_addr_str(r->family, &r->global, g, sizeof(g)), gp,
			 i, ip);
}

bool pm_ns_valid_ifname(const char *s)
{
	size_t n = strlen(s);

	/*
	 * What the kernel takes (no '/', ':' or white space, < IFNAMSIZ),
	 * minus what nft would read as syntax: quotes, backslash, and a '*'
	 * (a wildcard in iifname).
	 */
	if (n == 0 || n >= IFNAMSIZ || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= ' ' || c >= 0x7f || strchr("/:\"\\*'`$;{}#", c))
			return false;
	}
	return true;
}

/* ---- scripts --------------------------------------------------------- */

static const char table_def[] =
	"add table " T " { comment \"portmapctl nat-server\"; }\n"
	"add chain " T " " CH_PRE
	" { type nat hook prerouting priority dstnat; policy accept; }\n"
	"add chain " T " " CH_OUT
	" { type nat hook output priority -100; policy accept; }\n";

/* The matches, counter, DNAT and comment of @r (no chain, no newline). */
static void rule_body(struct sbuf *b, const struct pm_ns_rule *r,
		      const char *comment)
{
	const char *fam = r->family == AF_INET6 ? "ip6" : "ip";
	const char *l4 = proto_name(r->proto);
	char g[INET6_ADDRSTRLEN], i[INET6_ADDRSTRLEN], gp[12], ip[12];
	unsigned int k, span = (unsigned int)(r->ghi - r->glo);

	ports_str(r->glo, r->ghi, gp, sizeof(gp));
	ports_str(r->ilo, r->ihi, ip, sizeof(ip));
	pm_addr_str(r->family, &r->inside, i, sizeof(i));

	if (r->by_iif)
		/* The packet is for an address the interface has right now. */
		sb_printf(b, "iifname \"%s\" fib daddr . iif type local "
			  "meta nfproto %s ", r->iif,
			  r->family == AF_INET6 ? "ipv6" : "ipv4");
	else
		sb_printf(b, "%s daddr %s ", fam,
			  pm_addr_str(r->family, &r->global, g, sizeof(g)));
	sb_printf(b, "%s dport %s counter ", l4, gp);

	if (span == 0 || r->glo == r->ilo) {
		/*
		 * One port, or the same ports on both sides: NAT keeps the
		 * port when it is in the range, so a range maps 1:1.
		 */
		if (r->family == AF_INET6)
			sb_printf(b, "dnat ip6 to [%s]:%s", i, ip);
		else
			sb_printf(b, "dnat ip to %s:%s", i, ip);
	} else {
		/* Shifted range: every port spelled out, 1:1. */
		sb_printf(b, "dnat %s addr . port to %s dport map { ", fam, l4);
		for (k = 0; k <= span; k++) {
			if (r->family == AF_INET6)
				sb_printf(b, "%s%u : [%s] . %u", k ? ", " : "",
					  r->glo + k, i, r->ilo + k);
			else
				sb_printf(b, "%s%u : %s . %u", k ? ", " : "",
					  r->glo + k, i, r->ilo + k);
		}
		sb_printf(b, " }");
	}
	sb_printf(b, " comment \"%s\"", comment);
}

int pm_nft_add(struct pm_nft *n, const struct pm_ns_rule *r)
{
	struct sbuf b = { 0 };
	char comment[256];
	int rc;

	if (pm_ns_comment(r, comment, sizeof(comment))) {
		snprintf(n->err, sizeof(n->err), "rule description too long");
		return -1;
	}
	sb_printf(&b, "%s", table_def);
	sb_printf(&b, "add rule " T " " CH_PRE " ");
	rule_body(&b, r, comment);
	sb_printf(&b, "\n");
	if (!r->by_iif) {
		/* The router's own connections to the global address too. */
		sb_printf(&b, "add rule " T " " CH_OUT " ");
		rule_body(&b, r, comment);
		sb_printf(&b, "\n");
	}
	if (b.oom) {
		free(b.s);
		snprintf(n->err, sizeof(n->err), "%s", strerror(ENOMEM));
		return -1;
	}
	rc = run(n, b.s, NULL);
	free(b.s);
	return rc;
}

int pm_nft_del(struct pm_nft *n, const struct pm_ns_rule *r)
{
	struct sbuf b = { 0 };
	unsigned int k;
	int rc;

	if (!r->nhandles)
		return 0;
	for (k = 0; k < r->nhandles; k++)
		sb_printf(&b, "delete rule " T " %s handle %" PRIu64 "\n",
			  r->h[k].chain, r->h[k].handle);
	if (b.oom) {
		free(b.s);
		snprintf(n->err, sizeof(n->err), "%s", strerror(ENOMEM));
		return -1;
	}
	rc = run(n, b.s, NULL);
	free(b.s);
	return rc;
}

/* ---- reading back ------------------------------------------------------ */

void pm_ns_list_free(struct pm_ns_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static bool table_listed(const char *out)
{
	const char *p = out;

	/* Lines "table inet NAME" (maybe followed by " # handle N"). */
	while (p && *p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		static const char want[] = "table " T;
		size_t wl = sizeof(want) - 1;

		if (len >= wl && !strncmp(p, want, wl) &&
		    (len == wl || p[wl] == ' '))
			return true;
		p = eol ? eol + 1 : NULL;
	}
	return false;
}

static struct pm_ns_rule *find_same(struct pm_ns_list *l,
				    const struct pm_ns_rule *r)
{
	size_t k;

	for (k = 0; k < l->n; k++)
		if (pm_ns_same(&l->v[k], r) && l->v[k].ftp == r->ftp)
			return &l->v[k];
	return NULL;
}

static int add_copy(struct pm_ns_list *l, const struct pm_ns_rule *parsed,
		    const char *chain, uint64_t handle, uint64_t packets)
{
	struct pm_ns_rule *r = find_same(l, parsed);

	if (!r) {
		if (l->n == l->cap) {
			size_t cap = l->cap ? l->cap * 2 : 16;
			struct pm_ns_rule *v = realloc(l->v, cap * sizeof(*v));

			if (!v)
				return -1;
			l->v = v;
			l->cap = cap;
		}
		r = &l->v[l->n++];
		*r = *parsed;
	}
	if (r->nhandles < sizeof(r->h) / sizeof(r->h[0])) {
		snprintf(r->h[r->nhandles].chain, sizeof(r->h[0].chain), "%s",
			 chain);
		r->h[r->nhandles].handle = handle;
		r->nhandles++;
	}
	r->conns += packets;
	return 0;
}

/* One line of "list table" output with a rule on it. */
static int parse_rule_line(struct pm_ns_list *l, const char *chain,
			   char *line)
{
	struct pm_ns_rule r;
	uint64_t handle, packets = 0;
	char *c, *end, *h, *p;

	h = strstr(line, " # handle ");
	if (!h)
		return 0;
	handle = strtoull(h + 10, NULL, 10);
	*h = '\0';
	c = strstr(line, "comment \"" PM_NFT_COMMENT_TAG " ");
	if (!c) {
		l->foreign++;
		return 0;
	}
	c += 9;
	end = strchr(c, '"');
	if (!end) {
		l->foreign++;
		return 0;
	}
	*end = '\0';
	if (pm_ns_parse_comment(c, &r)) {
		l->foreign++;
		return 0;
	}
	p = strstr(line, "counter packets ");
	if (p)
		packets = strtoull(p + 16, NULL, 10);
	/* Only the prerouting copy counts what came in from outside. */
	if (strcmp(chain, CH_PRE))
		packets = 0;
	return add_copy(l, &r, chain, handle, packets);
}

int pm_nft_read(struct pm_nft *n, struct pm_ns_list *l)
{
	char chain[32] = "";
	char *out = NULL, *line, *save = NULL;

	memset(l, 0, sizeof(*l));
	if (run(n, "list tables inet", &out))
		return -1;
	l->table_exists = table_listed(out);
	free(out);
	if (!l->table_exists)
		return 0;

	if (run(n, "list table " T, &out))
		return -1;
	for (line = strtok_r(out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		line += strspn(line, " \t");
		if (!strncmp(line, "chain ", 6)) {
			size_t len = strcspn(line + 6, " {");

			if (len >= sizeof(chain))
				len = sizeof(chain) - 1;
			memcpy(chain, line + 6, len);
			chain[len] = '\0';
			continue;
		}
		if (!strncmp(line, "table ", 6) || !strncmp(line, "type ", 5) ||
		    line[0] == '}' || !chain[0])
			continue;
		if (parse_rule_line(l, chain, line)) {
			free(out);
			pm_ns_list_free(l);
			snprintf(n->err, sizeof(n->err), "%s", strerror(ENOMEM));
			return -1;
		}
	}
	free(out);
	return 0;
}

int pm_nft_flush(struct pm_nft *n)
{
	char *out = NULL;
	bool exists;

	if (run(n, "list tables inet", &out))
		return -1;
	exists = table_listed(out);
	free(out);
	return exists ? run(n, "delete table " T "\n", NULL) : 0;
}
