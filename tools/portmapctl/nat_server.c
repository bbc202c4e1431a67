// SPDX-License-Identifier: GPL-2.0
/*
 * portmapctl nat-server add|del|list|flush: "NAT server" rules (global
 * address:port -> inside address:port) in the nftables table
 * "inet ftp_portmap", with the FTP port mapping of the inside port when
 * the rule is marked "ftp".
 *
 *   nat-server add tcp global ADDR|iif IFNAME PORT[-PORT]
 *                      inside ADDR PORT[-PORT] [ftp]
 *   nat-server del (the same)
 *   nat-server list [--json]
 *   nat-server flush
 *
 * Every command changes nftables in one transaction.  With "ftp", the
 * nftables change and the mapping change go together: when the second
 * fails the first is undone.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/socket.h>

#include "nft.h"

#define LOCK_PATH	"/run/portmapctl-nat-server.lock"

static const char ns_usage[] =
"Usage: portmapctl nat-server add PROTO GLOBAL PORT[-PORT] inside ADDR PORT[-PORT] [ftp]\n"
"       portmapctl nat-server del PROTO GLOBAL PORT[-PORT] inside ADDR PORT[-PORT]\n"
"       portmapctl [--json] nat-server list\n"
"       portmapctl nat-server flush\n"
"PROTO is tcp or udp; GLOBAL is \"global ADDR\" or \"iif IFNAME\" (the\n"
"address that interface has at the time, e.g. a DHCP uplink).  Both\n"
"ranges have the same length; both addresses the same family.  \"ftp\"\n"
"(tcp, one port) also adds the FTP port mapping of the inside port, as\n"
"\"portmapctl map add PORT host ADDR\"; del and flush remove it again.\n"
"The rules are in the nftables table \"inet ftp_portmap\".\n";

/* Serialise portmapctl instances: read-check-write is not one step. */
static int take_lock(void)
{
	int fd = open(LOCK_PATH, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return -1;	/* read-only /run: go on without */
	while (flock(fd, LOCK_EX) < 0 && errno == EINTR)
		;
	return fd;
}

static void drop_lock(int fd)
{
	if (fd >= 0)
		close(fd);
}

static int nft_fail(struct pm_nft *n, const char *what)
{
	pm_err("nat-server: %s: nftables: %s", what, pm_nft_error(n));
	return PM_EXIT_FAIL;
}

/* ---- arguments ---------------------------------------------------------- */

static int parse_ports(const char *s, uint16_t *lo, uint16_t *hi)
{
	char tmp[16];
	char *dash;

	if (strlen(s) >= sizeof(tmp))
		goto bad;
	strcpy(tmp, s);
	dash = strchr(tmp, '-');
	if (dash)
		*dash = '\0';
	if (pm_parse_port(tmp, lo))
		goto bad;
	*hi = *lo;
	if (dash && pm_parse_port(dash + 1, hi))
		goto bad;
	if (*lo > *hi)
		return pm_usage_err("nat-server: port range '%s' runs backwards",
				    s);
	return 0;
bad:
	return pm_usage_err("nat-server: invalid port '%s' (expected PORT or PORT-PORT, 1..65535)",
			    s);
}

/*
 * PROTO global ADDR|iif IFNAME PORTS inside ADDR PORTS [ftp]
 * 0 or PM_EXIT_USAGE (printed).
 */
static int parse_spec(int argc, char **argv, struct pm_ns_rule *r)
{
	const char *gstr = NULL, *istr;
	int i = 0, gfam = 0, ret;

	memset(r, 0, sizeof(*r));
	if (argc < 1)
		return pm_usage_err("nat-server: missing protocol (tcp or udp)");
	if (!strcmp(argv[i], "tcp"))
		r->proto = IPPROTO_TCP;
	else if (!strcmp(argv[i], "udp"))
		r->proto = IPPROTO_UDP;
	else
		return pm_usage_err("nat-server: unknown protocol '%s' (tcp or udp)",
				    argv[i]);
	i++;

	if (i < argc && !strcmp(argv[i], "global") && i + 1 < argc &&
	    !strcmp(argv[i + 1], "iif"))
		i++;		/* "global iif IFNAME" reads as "iif IFNAME" */
	if (i >= argc)
		return pm_usage_err("nat-server: missing 'global ADDR' or 'iif IFNAME'");
	if (!strcmp(argv[i], "global")) {
		if (i + 1 >= argc)
			return pm_usage_err("nat-server: 'global' needs an address");
		gstr = argv[i + 1];
		if (pm_parse_addr(gstr, &gfam, &r->global))
			return pm_usage_err("nat-server: invalid address '%s'",
					    gstr);
	} else if (!strcmp(argv[i], "iif")) {
		if (i + 1 >= argc)
			return pm_usage_err("nat-server: 'iif' needs an interface name");
		if (!pm_ns_valid_ifname(argv[i + 1]))
			return pm_usage_err("nat-server: invalid interface name '%s'",
					    argv[i + 1]);
		r->by_iif = true;
		strcpy(r->iif, argv[i + 1]);
	} else {
		return pm_usage_err("nat-server: expected 'global ADDR' or 'iif IFNAME', not '%s'",
				    argv[i]);
	}
	i += 2;

	if (i >= argc)
		return pm_usage_err("nat-server: missing global port");
	ret = parse_ports(argv[i++], &r->glo, &r->ghi);
	if (ret)
		return ret;

	if (i >= argc || strcmp(argv[i], "inside"))
		return pm_usage_err("nat-server: missing 'inside ADDR PORT'");
	if (i + 1 >= argc)
		return pm_usage_err("nat-server: 'inside' needs an address");
	istr = argv[i + 1];
	if (pm_parse_addr(istr, &r->family, &r->inside))
		return pm_usage_err("nat-server: invalid address '%s'", istr);
	i += 2;
	if (i >= argc)
		return pm_usage_err("nat-server: missing inside port");
	ret = parse_ports(argv[i++], &r->ilo, &r->ihi);
	if (ret)
		return ret;

	if (i < argc && !strcmp(argv[i], "ftp")) {
		r->ftp = true;
		i++;
	}
	if (i < argc)
		return pm_usage_err("nat-server: unexpected argument '%s'",
				    argv[i]);

	if (gfam && gfam != r->family)
		return pm_usage_err("nat-server: global address %s is %s but inside address %s is %s: both must be of one family",
				    gstr, gfam == AF_INET ? "IPv4" : "IPv6",
				    istr,
				    r->family == AF_INET ? "IPv4" : "IPv6");
	if (r->ghi - r->glo != r->ihi - r->ilo)
		return pm_usage_err("nat-server: port ranges differ in length: global %u-%u has %u ports, inside %u-%u has %u",
				    r->glo, r->ghi, r->ghi - r->glo + 1,
				    r->ilo, r->ihi, r->ihi - r->ilo + 1);
	if (r->ftp && r->proto != IPPROTO_TCP)
		return pm_usage_err("nat-server: 'ftp' needs protocol tcp");
	if (r->ftp && r->ilo != r->ihi)
		return pm_usage_err("nat-server: 'ftp' needs a single port (the FTP control port), not a range");
	return 0;
}

static bool overlaps(const struct pm_ns_rule *a, const struct pm_ns_rule *b)
{
	size_t alen = a->family == AF_INET6 ? 16 : 4;

	if (a->proto != b->proto || a->family != b->family ||
	    a->by_iif != b->by_iif)
		return false;
	if (a->by_iif ? strcmp(a->iif, b->iif) :
	    memcmp(&a->global, &b->global, alen))
		return false;
	return a->glo <= b->ghi && b->glo <= a->ghi;
}

/* Another ftp rule of @l (not @self) needs the same mapping as @r. */
static bool mapping_shared(const struct pm_ns_list *l,
			   const struct pm_ns_rule *r,
			   const struct pm_ns_rule *self)
{
	size_t alen = r->family == AF_INET6 ? 16 : 4;
	size_t k;

	for (k = 0; k < l->n; k++) {
		const struct pm_ns_rule *o = &l->v[k];

		if (o == self || !o->ftp || o->family != r->family ||
		    o->ilo != r->ilo || memcmp(&o->inside, &r->inside, alen))
			continue;
		return true;
	}
	return false;
}

/* ---- the FTP port mappings ---------------------------------------------- */

/* Is the module there?  0, or PM_EXIT_FAIL with the reason printed. */
static int module_check(const char *what)
{
	struct pm_nl *h = pm_nl_open();

	if (!h)
		return pm_nl_report(-errno, what);
	pm_nl_close(h);
	return 0;
}

/* Delete the mapping of @r; a missing one (or module) is no error. */
static int mapping_del(const struct pm_ns_rule *r)
{
	struct pm_nl *h = pm_nl_open();
	int err;

	if (!h)
		return pm_nl_not_loaded() ? 0 : -errno;
	err = pm_nl_talk(h, pm_nl_key_msg(h, FPM_CMD_MAP_DEL, r->ilo,
					  r->family, &r->inside), NULL, NULL);
	pm_nl_close(h);
	return err == -ENOENT ? 0 : err;
}

static void mapping_what(const struct pm_ns_rule *r, const char *cmd,
			 char *buf, size_t len)
{
	char i[INET6_ADDRSTRLEN];

	snprintf(buf, len, "nat-server: map %s %u host %s", cmd, r->ilo,
		 pm_addr_str(r->family, &r->inside, i, sizeof(i)));
}

/* ---- commands ------------------------------------------------------------ */

static int ns_add(struct pm_nft *n, int argc, char **argv)
{
	struct pm_ns_list l;
	struct pm_ns_rule r, *o;
	char desc[160], what[128];
	bool need_map;
	size_t k;
	int ret, err;

	ret = parse_spec(argc, argv, &r);
	if (ret)
		return ret;
	if (r.ftp) {
		/* Before nftables changes: nothing to undo then. */
		ret = module_check("nat-server add");
		if (ret)
			return ret;
	}
	if (pm_nft_read(n, &l))
		return nft_fail(n, "add");
	for (k = 0; k < l.n; k++) {
		if (overlaps(&l.v[k], &r)) {
			pm_ns_describe(&l.v[k], desc, sizeof(desc));
			pm_err("nat-server: overlaps existing rule %s", desc);
			pm_ns_list_free(&l);
			return PM_EXIT_FAIL;
		}
	}
	need_map = r.ftp && !mapping_shared(&l, &r, NULL);

	if (pm_nft_add(n, &r)) {
		pm_ns_list_free(&l);
		return nft_fail(n, "add");
	}
	if (!need_map) {
		pm_ns_list_free(&l);
		return PM_EXIT_OK;
	}

	err = pm_map_add(r.ilo, r.family, &r.inside);
	if (!err || err == -EEXIST) {
		pm_ns_list_free(&l);
		return PM_EXIT_OK;
	}

	/* Undo: back to the ruleset as it was. */
	mapping_what(&r, "add", what, sizeof(what));
	pm_nl_report(err, what);
	if (!l.table_exists) {
		if (pm_nft_flush(n))
			return nft_fail(n, "add: undo");
	} else {
		pm_ns_list_free(&l);
		if (pm_nft_read(n, &l))
			return nft_fail(n, "add: undo");
		o = NULL;
		for (k = 0; k < l.n && !o; k++)
			if (pm_ns_same(&l.v[k], &r))
				o = &l.v[k];
		if (o && pm_nft_del(n, o)) {
			pm_ns_list_free(&l);
			return nft_fail(n, "add: undo");
		}
	}
	pm_ns_list_free(&l);
	pm_err("nat-server: rule not added");
	return PM_EXIT_FAIL;
}

static int ns_del(struct pm_nft *n, int argc, char **argv)
{
	struct pm_ns_list l;
	struct pm_ns_rule r, *o = NULL;
	char desc[160], what[128];
	bool drop_map;
	size_t k;
	int ret, err;

	ret = parse_spec(argc, argv, &r);
	if (ret)
		return ret;
	if (pm_nft_read(n, &l))
		return nft_fail(n, "del");
	for (k = 0; k < l.n && !o; k++)
		if (pm_ns_same(&l.v[k], &r))
			o = &l.v[k];
	if (!o) {
		pm_ns_describe(&r, desc, sizeof(desc));
		pm_err("nat-server: no such nat-server rule: %s", desc);
		pm_ns_list_free(&l);
		return PM_EXIT_FAIL;
	}

	/* The mapping first: if that fails, nothing has changed. */
	drop_map = o->ftp && !mapping_shared(&l, o, o);
	if (drop_map) {
		err = mapping_del(o);
		if (err) {
			mapping_what(o, "del", what, sizeof(what));
			pm_ns_list_free(&l);
			return pm_nl_report(err, what);
		}
	}
	if (pm_nft_del(n, o)) {
		ret = nft_fail(n, "del");
		if (drop_map && pm_map_add(o->ilo, o->family, &o->inside) &&
		    !pm_nl_not_loaded()) {
			mapping_what(o, "add", what, sizeof(what));
			pm_err("%s: could not restore the mapping", what);
		}
		pm_ns_list_free(&l);
		return ret;
	}
	pm_ns_list_free(&l);
	return PM_EXIT_OK;
}

/* An ftp rule before l->v[k] has the same mapping. */
static bool same_mapping_before(const struct pm_ns_list *l, size_t k)
{
	const struct pm_ns_rule *r = &l->v[k];
	size_t j;

	for (j = 0; j < k; j++)
		if (l->v[j].ftp && l->v[j].family == r->family &&
		    l->v[j].ilo == r->ilo &&
		    !memcmp(&l->v[j].inside, &r->inside,
			    r->family == AF_INET6 ? 16 : 4))
			return true;
	return false;
}

static int ns_flush(struct pm_nft *n, int argc, char **argv)
{
	struct pm_ns_list l;
	char what[128];
	size_t k, j;
	int err;

	if (argc > 0)
		return pm_usage_err("nat-server: unexpected argument '%s'",
				    argv[0]);
	if (pm_nft_read(n, &l))
		return nft_fail(n, "flush");
	/* Mappings first (each once), then the table in one step. */
	for (k = 0; k < l.n; k++) {
		if (!l.v[k].ftp || same_mapping_before(&l, k))
			continue;
		err = mapping_del(&l.v[k]);
		if (err) {
			mapping_what(&l.v[k], "del", what, sizeof(what));
			pm_nl_report(err, what);
			/* Put back the ones already gone. */
			for (j = 0; j < k; j++)
				if (l.v[j].ftp && !same_mapping_before(&l, j))
					(void)pm_map_add(l.v[j].ilo,
							 l.v[j].family,
							 &l.v[j].inside);
			pm_ns_list_free(&l);
			return PM_EXIT_FAIL;
		}
	}
	pm_ns_list_free(&l);
	if (pm_nft_flush(n))
		return nft_fail(n, "flush");
	return PM_EXIT_OK;
}

static int rule_cmp(const void *pa, const void *pb)
{
	const struct pm_ns_rule *a = pa, *b = pb;
	int c;

	if (a->by_iif != b->by_iif)
		return a->by_iif ? 1 : -1;
	if (a->family != b->family)
		return a->family == AF_INET ? -1 : 1;
	c = a->by_iif ? strcmp(a->iif, b->iif) :
	    memcmp(&a->global, &b->global, a->family == AF_INET6 ? 16 : 4);
	if (c)
		return c;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	return (int)a->glo - (int)b->glo;
}

static void print_json(const struct pm_ns_list *l)
{
	char buf[INET6_ADDRSTRLEN];
	size_t k;

	putchar('[');
	for (k = 0; k < l->n; k++) {
		const struct pm_ns_rule *r = &l->v[k];

		if (k)
			putchar(',');
		printf("{\"proto\":\"%s\",\"global\":",
		       r->proto == IPPROTO_UDP ? "udp" : "tcp");
		if (r->by_iif) {
			fputs("null,\"iif\":", stdout);
			json_str(stdout, r->iif);
		} else {
			json_str(stdout, pm_addr_str(r->family, &r->global,
						     buf, sizeof(buf)));
			fputs(",\"iif\":null", stdout);
		}
		printf(",\"global_ports\":[%u,%u],\"inside\":", r->glo, r->ghi);
		json_str(stdout, pm_addr_str(r->family, &r->inside, buf,
					     sizeof(buf)));
		printf(",\"inside_ports\":[%u,%u],\"ftp\":%s,\"conns\":%" PRIu64
		       "}", r->ilo, r->ihi, r->ftp ? "true" : "false",
		       r->conns);
	}
	puts("]");
}

static void print_text(const struct pm_ns_list *l)
{
	char g[IFNAMSIZ + INET6_ADDRSTRLEN], i[INET6_ADDRSTRLEN];
	char gp[12], ip[12];
	int gw = 6, iw = 6;
	size_t k;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		if (pass)
			printf("%-5s  %-*s  %-11s  %-*s  %-11s  %-3s  %s\n",
			       "PROTO", gw, "GLOBAL", "PORTS", iw, "INSIDE",
			       "PORTS", "FTP", "CONNS");
		for (k = 0; k < l->n; k++) {
			const struct pm_ns_rule *r = &l->v[k];
			char a[INET6_ADDRSTRLEN];

			if (r->by_iif)
				snprintf(g, sizeof(g), "iif %s", r->iif);
			else
				snprintf(g, sizeof(g), "%s",
					 pm_addr_str(r->family, &r->global, a,
						     sizeof(a)));
			pm_addr_str(r->family, &r->inside, i, sizeof(i));
			if (!pass) {
				if ((int)strlen(g) > gw)
					gw = (int)strlen(g);
				if ((int)strlen(i) > iw)
					iw = (int)strlen(i);
				continue;
			}
			if (r->glo == r->ghi)
				snprintf(gp, sizeof(gp), "%u", r->glo);
			else
				snprintf(gp, sizeof(gp), "%u-%u", r->glo, r->ghi);
			if (r->ilo == r->ihi)
				snprintf(ip, sizeof(ip), "%u", r->ilo);
			else
				snprintf(ip, sizeof(ip), "%u-%u", r->ilo, r->ihi);
			printf("%-5s  %-*s  %-11s  %-*s  %-11s  %-3s  %" PRIu64
			       "\n", r->proto == IPPROTO_UDP ? "udp" : "tcp",
			       gw, g, gp, iw, i, ip, r->ftp ? "yes" : "no",
			       r->conns);
		}
	}
}

static int ns_list(struct pm_nft *n, int argc, char **argv)
{
	struct pm_ns_list l;

	if (argc > 0)
		return pm_usage_err("nat-server: unexpected argument '%s'",
				    argv[0]);
	if (pm_nft_read(n, &l))
		return nft_fail(n, "list");
	if (l.n > 1)
		qsort(l.v, l.n, sizeof(l.v[0]), rule_cmp);
	if (pm_json)
		print_json(&l);
	else
		print_text(&l);
	pm_ns_list_free(&l);
	return PM_EXIT_OK;
}

int do_nat_server(int argc, char **argv)
{
	static const char *const add[] = { "add", NULL };
	static const char *const del[] = { "del", "delete", "remove", NULL };
	static const char *const list[] = { "list", "ls", "show", NULL };
	static const char *const flush[] = { "flush", NULL };
	static const char *const help[] = { "help", "-h", "--help", NULL };
	int (*cmd)(struct pm_nft *, int, char **);
	struct pm_nft *n;
	int lock, ret;

	if (argc < 1)
		return pm_usage_err("nat-server: missing command (add, del, list, flush)");
	if (pm_matches(argv[0], add))
		cmd = ns_add;
	else if (pm_matches(argv[0], del))
		cmd = ns_del;
	else if (pm_matches(argv[0], list))
		cmd = ns_list;
	else if (pm_matches(argv[0], flush))
		cmd = ns_flush;
	else if (pm_matches(argv[0], help)) {
		fputs(ns_usage, stdout);
		return PM_EXIT_OK;
	} else
		return pm_usage_err("nat-server: unknown command '%s'", argv[0]);

	n = pm_nft_open();
	if (!n) {
		pm_err("nat-server: cannot set up libnftables");
		return PM_EXIT_FAIL;
	}
	lock = cmd == ns_list ? -1 : take_lock();
	ret = cmd(n, argc - 1, argv + 1);
	drop_lock(lock);
	pm_nft_close(n);
	return ret;
}
