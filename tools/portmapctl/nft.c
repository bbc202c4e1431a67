// SPDX-License-Identifier: GPL-2.0
/*
 * portmapctl library: the nftables table "inet ftp_portmap".
 *
 * Writes are nft scripts run as one transaction each.  Reads go through
 * libnftables' JSON output, parsed with jansson: every rule of the table
 * with its chain, handle, counter and comment.  A rule's comment holds
 * its whole description, so no nft expression has to be interpreted:
 *
 *   fpm tcp g=203.0.113.1 8021-8021 i=10.10.10.10 6293-6293 ftp
 *   fpm tcp if=eth0 30000-30009 i=10.10.10.10 30000-30009
 *
 * An address rule is in two chains (nat_prerouting for what arrives,
 * nat_output for what the router itself sends); an iif rule only in
 * nat_prerouting.  Anything else in the table is foreign.
 *
 * Nothing here names another table.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <jansson.h>
#include <nftables/libnftables.h>

#include "lib.h"

#define T	"inet " PM_NFT_TABLE

static struct nft_ctx *ctx;

/* ---- a growing string ------------------------------------------------ */

struct sbuf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		size_t room = b->cap - b->len, cap;
		char *s;

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
		cap = b->cap ? b->cap * 2 : 1024;
		while (cap - b->len <= (size_t)n)
			cap *= 2;
		s = realloc(b->s, cap);
		if (!s) {
			b->oom = true;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
}

/* ---- running nft ------------------------------------------------------ */

static int nft_open(void)
{
	if (ctx)
		return 0;
	ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!ctx || nft_ctx_buffer_output(ctx) || nft_ctx_buffer_error(ctx)) {
		if (ctx)
			nft_ctx_free(ctx);
		ctx = NULL;
		pm_lib_set_error(PM_SRC_NFT, "cannot set up libnftables");
		return -ENOMEM;
	}
	return 0;
}

/* nft's message: the first line, without "Error: ". */
static void keep_error(const char *msg)
{
	const char *p = msg ? msg : "";

	if (!strncmp(p, "Error: ", 7))
		p += 7;
	if (!*p || *p == '\n')
		p = "nftables command failed";
	pm_lib_set_error(PM_SRC_NFT, "%.*s", (int)strcspn(p, "\n"), p);
}

/*
 * Run @script (text; JSON output when @json); *out gets a malloc'd copy
 * of the output when asked.  0 or -EINVAL (nft refused; reason kept).
 */
static int run(const char *script, bool json, bool dry, char **out)
{
	const char *o;
	int rc;

	rc = nft_open();
	if (rc)
		return rc;
	nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_HANDLE |
				 NFT_CTX_OUTPUT_NUMERIC_PROTO |
				 (json ? NFT_CTX_OUTPUT_JSON : 0));
	nft_ctx_set_dry_run(ctx, dry);
	rc = nft_run_cmd_from_buffer(ctx, script);
	nft_ctx_set_dry_run(ctx, false);
	o = nft_ctx_get_output_buffer(ctx);
	if (rc) {
		keep_error(nft_ctx_get_error_buffer(ctx));
		return -EINVAL;
	}
	(void)nft_ctx_get_error_buffer(ctx);	/* warnings: not failures */
	if (out) {
		*out = strdup(o ? o : "");
		if (!*out) {
			pm_lib_set_error(PM_SRC_NFT, "%s", strerror(ENOMEM));
			return -ENOMEM;
		}
	}
	return 0;
}

/* ---- descriptions -------------------------------------------------------- */

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

static const char *addr_str(int family, const void *a, char *buf, size_t len)
{
	if (!inet_ntop(family, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

int pm_ns_comment(const struct pm_ns_rule *r, char *buf, size_t len)
{
	char g[INET6_ADDRSTRLEN], i[INET6_ADDRSTRLEN];
	int n;

	addr_str(r->family, &r->inside, i, sizeof(i));
	if (r->by_iif)
		n = snprintf(buf, len, PM_NFT_COMMENT_TAG
			     " %s if=%s %u-%u i=%s %u-%u%s",
			     proto_name(r->proto), r->iif, r->glo, r->ghi, i,
			     r->ilo, r->ihi, r->ftp ? " ftp" : "");
	else
		n = snprintf(buf, len, PM_NFT_COMMENT_TAG
			     " %s g=%s %u-%u i=%s %u-%u%s",
			     proto_name(r->proto),
			     addr_str(r->family, &r->global, g, sizeof(g)),
			     r->glo, r->ghi, i, r->ilo, r->ihi,
			     r->ftp ? " ftp" : "");
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static int parse_port(const char *s, uint16_t *port)
{
	unsigned long v;
	char *end;

	if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 5)
		return -1;
	v = strtoul(s, &end, 10);
	if (v < 1 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
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
	if (parse_port(tmp, lo) || parse_port(dash + 1, hi) || *lo > *hi)
		return -1;
	return 0;
}

static int parse_addr(const char *s, int *family, union pm_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &a->v4) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &a->v6) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -1;
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
	    parse_addr(tok[4] + 2, &r->family, &r->inside))
		return -1;
	if (!strncmp(tok[2], "g=", 2)) {
		if (parse_addr(tok[2] + 2, &fam, &a) || fam != r->family)
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
	size_t alen = pm_addr_len(a->family);

	if (a->proto != b->proto || a->family != b->family ||
	    a->by_iif != b->by_iif || a->glo != b->glo || a->ghi != b->ghi ||
	    a->ilo != b->ilo || a->ihi != b->ihi ||
	    memcmp(&a->inside, &b->inside, alen))
		return false;
	if (a->by_iif)
		return !strcmp(a->iif, b->iif);
	return !memcmp(&a->global, &b->global, alen);
}

bool pm_ns_overlaps(const struct pm_ns_rule *a, const struct pm_ns_rule *b)
{
	if (a->proto != b->proto || a->family != b->family ||
	    a->by_iif != b->by_iif)
		return false;
	if (a->by_iif ? strcmp(a->iif, b->iif) :
	    memcmp(&a->global, &b->global, pm_addr_len(a->family)))
		return false;
	return a->glo <= b->ghi && b->glo <= a->ghi;
}

void pm_ns_describe(const struct pm_ns_rule *r, char *buf, size_t len)
{
	char g[INET6_ADDRSTRLEN], i[INET6_ADDRSTRLEN], gp[12], ip[12];

	ports_str(r->glo, r->ghi, gp, sizeof(gp));
	ports_str(r->ilo, r->ihi, ip, sizeof(ip));
	addr_str(r->family, &r->inside, i, sizeof(i));
	if (r->by_iif)
		snprintf(buf, len, "%s iif %s %s inside %s %s%s",
			 proto_name(r->proto), r->iif, gp, i, ip,
			 r->ftp ? " ftp" : "");
	else
		snprintf(buf, len, "%s global %s %s inside %s %s%s",
			 proto_name(r->proto),
			 addr_str(r->family, &r->global, g, sizeof(g)), gp, i,
			 ip, r->ftp ? " ftp" : "");
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

void pm_ns_mapping(const struct pm_ns_rule *r, struct pm_map_key *k)
{
	memset(k, 0, sizeof(*k));
	k->port = r->ilo;
	k->family = r->family;
	k->host = r->inside;
}

int pm_ns_cmp(const struct pm_ns_rule *a, const struct pm_ns_rule *b)
{
	int c;

	if (a->by_iif != b->by_iif)
		return a->by_iif ? 1 : -1;
	if (a->family != b->family)
		return a->family == AF_INET ? -1 : 1;
	c = a->by_iif ? strcmp(a->iif, b->iif) :
	    memcmp(&a->global, &b->global, pm_addr_len(a->family));
	if (c)
		return c;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if (a->glo != b->glo)
		return a->glo < b->glo ? -1 : 1;
	if (a->ghi != b->ghi)
		return a->ghi < b->ghi ? -1 : 1;
	c = memcmp(&a->inside, &b->inside, pm_addr_len(a->family));
	if (c)
		return c;
	if (a->ilo != b->ilo)
		return a->ilo < b->ilo ? -1 : 1;
	return (int)a->ftp - (int)b->ftp;
}

/* ---- scripts ---------------------------------------------------------- */

static const char table_def[] =
	"add table " T " { comment \"portmapctl nat-server\"; }\n"
	"add chain " T " " PM_NFT_CH_PRE
	" { type nat hook prerouting priority dstnat; policy accept; }\n"
	"add chain " T " " PM_NFT_CH_OUT
	" { type nat hook output priority -100; policy accept; }\n";

/* The matches, counter, DNAT and comment of @r (no chain, no newline). */
static void rule_body(struct sbuf *b, const struct pm_ns_rule *r)
{
	const char *fam = r->family == AF_INET6 ? "ip6" : "ip";
	const char *l4 = proto_name(r->proto);
	char g[INET6_ADDRSTRLEN], i[INET6_ADDRSTRLEN], gp[12], ip[12];
	char comment[256];
	unsigned int k, span = (unsigned int)(r->ghi - r->glo);

	ports_str(r->glo, r->ghi, gp, sizeof(gp));
	ports_str(r->ilo, r->ihi, ip, sizeof(ip));
	addr_str(r->family, &r->inside, i, sizeof(i));
	if (pm_ns_comment(r, comment, sizeof(comment))) {
		b->oom = true;
		return;
	}

	if (r->by_iif)
		/* The packet is for an address the interface has right now. */
		sb_printf(b, "iifname \"%s\" fib daddr . iif type local "
			  "meta nfproto %s ", r->iif,
			  r->family == AF_INET6 ? "ipv6" : "ipv4");
	else
		sb_printf(b, "%s daddr %s ", fam,
			  addr_str(r->family, &r->global, g, sizeof(g)));
	sb_printf(b, "%s dport %s counter ", l4, gp);

	if (span == 0 || r->glo == r->ilo) {
		/* One port, or the same ports on both sides: 1:1 as it is. */
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

static void add_rule_lines(struct sbuf *b, const struct pm_ns_rule *r)
{
	sb_printf(b, "add rule " T " " PM_NFT_CH_PRE " ");
	rule_body(b, r);
	sb_printf(b, "\n");
	if (!r->by_iif) {
		/* The router's own connections to the global address too. */
		sb_printf(b, "add rule " T " " PM_NFT_CH_OUT " ");
		rule_body(b, r);
		sb_printf(b, "\n");
	}
}

static int run_sb(struct sbuf *b, bool dry)
{
	int rc;

	if (b->oom) {
		free(b->s);
		pm_lib_set_error(PM_SRC_NFT, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	rc = run(b->s ? b->s : "", false, dry, NULL);
	free(b->s);
	return rc;
}

int pm_nft_add(const struct pm_ns_rule *r)
{
	struct sbuf b = { 0 };

	sb_printf(&b, "%s", table_def);
	add_rule_lines(&b, r);
	return run_sb(&b, false);
}

int pm_nft_del(const struct pm_ns_rule *r)
{
	struct sbuf b = { 0 };
	unsigned int k;

	if (!r->nhandles)
		return 0;
	for (k = 0; k < r->nhandles; k++)
		sb_printf(&b, "delete rule " T " %s handle %" PRIu64 "\n",
			  r->h[k].out ? PM_NFT_CH_OUT : PM_NFT_CH_PRE,
			  r->h[k].handle);
	return run_sb(&b, false);
}

int pm_nft_set_ftp(const struct pm_ns_rule *r, bool ftp)
{
	struct pm_ns_rule n = *r;
	struct sbuf b = { 0 };
	unsigned int k;

	n.ftp = ftp;
	for (k = 0; k < r->nhandles; k++) {
		sb_printf(&b, "replace rule " T " %s handle %" PRIu64 " ",
			  r->h[k].out ? PM_NFT_CH_OUT : PM_NFT_CH_PRE,
			  r->h[k].handle);
		rule_body(&b, &n);
		sb_printf(&b, "\n");
	}
	if (!r->nhandles)
		return 0;
	return run_sb(&b, false);
}

char *pm_nft_replace_script(const struct pm_ns_rule *rules, size_t n)
{
	struct sbuf b = { 0 };
	size_t k;

	/* "add" first, so that "delete" works whether or not it is there. */
	sb_printf(&b, "add table " T "\ndelete table " T "\n");
	if (n) {
		sb_printf(&b, "%s", table_def);
		for (k = 0; k < n; k++)
			add_rule_lines(&b, &rules[k]);
	}
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

int pm_nft_replace(const struct pm_ns_rule *rules, size_t n)
{
	char *s = pm_nft_replace_script(rules, n);
	int rc;

	if (!s) {
		pm_lib_set_error(PM_SRC_NFT, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	rc = run(s, false, false, NULL);
	free(s);
	return rc;
}

int pm_nft_check_script(const char *script)
{
	return run(script, false, true, NULL);
}

/* ---- reading back (JSON) ------------------------------------------------ */

void pm_ns_list_free(struct pm_ns_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

int pm_ns_list_push(struct pm_ns_list *l, const struct pm_ns_rule *r)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct pm_ns_rule *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *r;
	return 0;
}

static void foreign(struct pm_ns_list *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void foreign(struct pm_ns_list *l, const char *fmt, ...)
{
	va_list ap;

	if (!l->foreign_first[0]) {
		va_start(ap, fmt);
		vsnprintf(l->foreign_first, sizeof(l->foreign_first), fmt, ap);
		va_end(ap);
	}
}

static const char *jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The packets of the rule's counter statement, if it has one. */
static uint64_t rule_packets(json_t *rule)
{
	json_t *expr = json_object_get(rule, "expr"), *e, *c, *p;
	size_t i;

	json_array_foreach(expr, i, e) {
		c = json_object_get(e, "counter");
		p = json_object_get(c, "packets");
		if (json_is_integer(p))
			return (uint64_t)json_integer_value(p);
	}
	return 0;
}

static int add_copy(struct pm_ns_list *l, const struct pm_ns_rule *parsed,
		    bool out, uint64_t handle, uint64_t packets)
{
	struct pm_ns_rule *r = NULL;
	size_t k;

	for (k = 0; k < l->n && !r; k++)
		if (pm_ns_same(&l->v[k], parsed) && l->v[k].ftp == parsed->ftp)
			r = &l->v[k];
	if (!r) {
		if (pm_ns_list_push(l, parsed))
			return -ENOMEM;
		r = &l->v[l->n - 1];
	}
	if (r->nhandles < sizeof(r->h) / sizeof(r->h[0])) {
		r->h[r->nhandles].out = out;
		r->h[r->nhandles].handle = handle;
		r->nhandles++;
	}
	/* Only the prerouting copy counts what came in from outside. */
	if (!out)
		r->conns += packets;
	return 0;
}

static int read_chain(struct pm_ns_list *l, json_t *c)
{
	const char *name = jstr(c, "name"), *type = jstr(c, "type");
	const char *hook = jstr(c, "hook");

	if (!name)
		return 0;
	if (!strcmp(name, PM_NFT_CH_PRE) && type && hook &&
	    !strcmp(type, "nat") && !strcmp(hook, "prerouting")) {
		l->have_pre = true;
		return 0;
	}
	if (!strcmp(name, PM_NFT_CH_OUT) && type && hook &&
	    !strcmp(type, "nat") && !strcmp(hook, "output")) {
		l->have_out = true;
		return 0;
	}
	l->foreign_objects++;
	foreign(l, "chain %s", name);
	return 0;
}

static int read_rule(struct pm_ns_list *l, json_t *j)
{
	const char *chain = jstr(j, "chain"), *comment = jstr(j, "comment");
	json_t *h = json_object_get(j, "handle");
	struct pm_ns_rule r;
	bool out;

	if (!chain || !json_is_integer(h))
		return 0;
	out = !strcmp(chain, PM_NFT_CH_OUT);
	if ((!out && strcmp(chain, PM_NFT_CH_PRE)) || !comment ||
	    pm_ns_parse_comment(comment, &r)) {
		l->foreign_rules++;
		foreign(l, "rule handle %" PRIu64 " in chain %s%s%s%s",
			(uint64_t)json_integer_value(h), chain,
			comment ? " (comment \"" : "", comment ? comment : "",
			comment ? "\")" : "");
		return 0;
	}
	if (out && r.by_iif) {
		/* An iif rule never goes to nat_output. */
		l->foreign_rules++;
		foreign(l, "rule handle %" PRIu64 " in chain %s",
			(uint64_t)json_integer_value(h), chain);
		return 0;
	}
	return add_copy(l, &r, out, (uint64_t)json_integer_value(h),
			rule_packets(j));
}

static int table_exists(bool *exists)
{
	json_t *root, *arr, *it, *t;
	json_error_t jerr;
	char *out = NULL;
	size_t i;
	int rc;

	*exists = false;
	rc = run("list tables inet", true, false, &out);
	if (rc)
		return rc;
	root = json_loads(out, 0, &jerr);
	free(out);
	if (!root) {
		pm_lib_set_error(PM_SRC_NFT, "unreadable JSON from libnftables: %s",
				 jerr.text);
		return -EPROTO;
	}
	arr = json_object_get(root, "nftables");
	json_array_foreach(arr, i, it) {
		const char *name, *fam;

		t = json_object_get(it, "table");
		if (!t)
			continue;
		name = jstr(t, "name");
		fam = jstr(t, "family");
		if (name && fam && !strcmp(name, PM_NFT_TABLE) &&
		    !strcmp(fam, "inet"))
			*exists = true;
	}
	json_decref(root);
	return 0;
}

int pm_nft_read(struct pm_ns_list *l)
{
	json_t *root, *arr, *it;
	json_error_t jerr;
	char *out = NULL;
	const char *key;
	json_t *val;
	size_t i;
	int rc;

	memset(l, 0, sizeof(*l));
	rc = table_exists(&l->table_exists);
	if (rc || !l->table_exists)
		return rc;
	rc = run("list table " T, true, false, &out);
	if (rc)
		return rc;
	root = json_loads(out, 0, &jerr);
	free(out);
	if (!root) {
		pm_lib_set_error(PM_SRC_NFT, "unreadable JSON from libnftables: %s",
				 jerr.text);
		return -EPROTO;
	}
	arr = json_object_get(root, "nftables");
	json_array_foreach(arr, i, it) {
		json_object_foreach(it, key, val) {
			if (!strcmp(key, "metainfo") || !strcmp(key, "table"))
				continue;
			if (!strcmp(key, "chain"))
				rc = read_chain(l, val);
			else if (!strcmp(key, "rule"))
				rc = read_rule(l, val);
			else {
				/* set, map, element, flowtable, objects */
				l->foreign_objects++;
				foreign(l, "%s %s", key,
					jstr(val, "name") ? jstr(val, "name") : "?");
			}
			if (rc)
				break;
		}
		if (rc)
			break;
	}
	json_decref(root);
	if (rc) {
		pm_ns_list_free(l);
		pm_lib_set_error(PM_SRC_NFT, "%s", strerror(-rc));
	}
	return rc;
}

int pm_nft_flush(void)
{
	return run("add table " T "\ndelete table " T "\n", false, false, NULL);
}
