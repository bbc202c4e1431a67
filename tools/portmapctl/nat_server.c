// SPDX-License-Identifier: GPL-2.0
/*
 * portmapctl nat-server add|del|list|flush: "NAT server" rules (global
 * address:port -> inside address:port) in the nftables table
 * "inet ftp_portmap", with the FTP port mapping of the inside port when
 * the rule is marked "ftp".
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

#include "portmapctl.h"

#define LOCK_PATH	"/run/portmapctl-nat-server.lock"

const char ns_usage[] =
"Usage: portmapctl nat-server add PROTO GLOBAL PORT[-PORT] inside ADDR PORT[-PORT] [ftp]\n"
"       portmapctl nat-server del PROTO GLOBAL PORT[-PORT] inside ADDR PORT[-PORT]\n"
"       portmapctl [-j [-p]] nat-server list\n"
"       portmapctl nat-server flush\n"
"PROTO is tcp or udp; GLOBAL is \"global ADDR\" or \"iif IFNAME\" (the\n"
"address that interface has at the time, e.g. a DHCP uplink).  Both\n"
"ranges have the same length; both addresses the same family, and\n"
"neither multicast, loopback, unspecified, IPv4-mapped or link-local.\n"
"\"ftp\" (tcp, one port) also adds the FTP port mapping of the inside\n"
"port, as \"portmapctl map add PORT host ADDR\"; del and flush remove it\n"
"again.  list shows each rule's STATUS: ok, or what drifted (see\n"
"'portmapctl help check').  The rules are in the nftables table\n"
"\"inet ftp_portmap\".\n";

/*
 * Serialise portmapctl instances: read-check-write is not one step.
 * Nested calls (a batch, restore) hold the one lock taken first.
 */
static int lock_depth;

int pm_lock(void)
{
	int fd;

	if (lock_depth++)
		return -2;
	fd = open(LOCK_PATH, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;	/* read-only /run: go on without */
	while (flock(fd, LOCK_EX) < 0 && errno == EINTR)
		;
	return fd;
}

void pm_unlock(int fd)
{
	if (lock_depth > 0)
		lock_depth--;
	if (fd >= 0)
		close(fd);
}

const char *pm_drift_status(unsigned int bits, char *buf, size_t len)
{
	static const struct {
		unsigned int bit;
		const char *word;
	} w[] = {
		{ PM_DRIFT_INACTIVE, "inactive" },
		{ PM_DRIFT_NO_MAPPING, "no-mapping" },
		{ PM_DRIFT_PARTIAL, "partial" },
		{ PM_DRIFT_SHADOWED, "shadowed" },
	};
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		if (!(bits & w[i].bit))
			continue;
		n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s",
				      n ? "," : "", w[i].word);
	}
	if (!n)
		snprintf(buf, len, "ok");
	return buf;
}

static int parse_or_usage(const char *cmd, int argc, char **argv,
			  struct pm_ns_rule *r)
{
	char err[256];

	if (pm_parse_rule(argc, argv, r, err, sizeof(err)))
		return pm_usage_err("nat-server %s: %s", cmd, err);
	return 0;
}

/* Another ftp rule of @l (not @self) needs the same mapping as @r. */
static bool mapping_shared(const struct pm_ns_list *l,
			   const struct pm_ns_rule *r,
			   const struct pm_ns_rule *self)
{
	struct pm_map_key a, b;
	size_t k;

	pm_ns_mapping(r, &a);
	for (k = 0; k < l->n; k++) {
		if (&l->v[k] == self || !l->v[k].ftp)
			continue;
		pm_ns_mapping(&l->v[k], &b);
		if (!pm_map_cmp(&a, &b))
			return true;
	}
	return false;
}

static int ns_add(int argc, char **argv)
{
	struct pm_ns_list l, now;
	struct pm_ns_rule r;
	struct pm_map_key k;
	char desc[200], key[80], why[512];
	size_t i;
	int ret, err;

	ret = parse_or_usage("add", argc, argv, &r);
	if (ret)
		return ret;
	/* Before nftables changes: nothing to undo then. */
	if (r.ftp && pm_ipc_open())
		return pm_fail("nat-server add");
	if (pm_nft_read(&l))
		return pm_fail("nat-server add");
	for (i = 0; i < l.n; i++) {
		if (pm_ns_overlaps(&l.v[i], &r)) {
			pm_ns_describe(&l.v[i], desc, sizeof(desc));
			pm_err("nat-server add: overlaps existing rule %s", desc);
			pm_ns_list_free(&l);
			return PM_EXIT_FAIL;
		}
	}
	if (pm_nft_add(&r)) {
		pm_ns_list_free(&l);
		return pm_fail("nat-server add");
	}
	if (!r.ftp || mapping_shared(&l, &r, NULL)) {
		pm_ns_list_free(&l);
		return PM_EXIT_OK;
	}
	pm_ns_mapping(&r, &k);
	err = pm_map_add(&k);
	if (!err || err == -EEXIST) {
		pm_ns_list_free(&l);
		return PM_EXIT_OK;
	}

	/* Undo: back to the ruleset as it was. */
	pm_key_describe(&k, key, sizeof(key));
	snprintf(why, sizeof(why), "%s", pm_lib_error());
	pm_err("nat-server add: map add %s: %s", key, why);
	if (!l.table_exists) {
		if (pm_nft_flush())
			ret = pm_fail("nat-server add: undo");
	} else if (!pm_nft_read(&now)) {
		for (i = 0; i < now.n; i++)
			if (pm_ns_same(&now.v[i], &r) && pm_nft_del(&now.v[i]))
				ret = pm_fail("nat-server add: undo");
		pm_ns_list_free(&now);
	} else {
		ret = pm_fail("nat-server add: undo");
	}
	pm_ns_list_free(&l);
	pm_err("nat-server add: rule not added");
	return PM_EXIT_FAIL;
}

/* Delete the mapping of @r; a missing one (or module) is no error. */
static int mapping_del(const struct pm_ns_rule *r)
{
	struct pm_map_key k;
	int err;

	pm_ns_mapping(r, &k);
	err = pm_map_del(&k);
	if (err && pm_lib_not_loaded())
		return 0;
	return err == -ENOENT ? 0 : err;
}

static int ns_del(int argc, char **argv)
{
	struct pm_ns_list l;
	struct pm_ns_rule r, *o = NULL;
	struct pm_map_key k;
	char desc[200], key[80];
	bool drop_map;
	size_t i;
	int ret;

	ret = parse_or_usage("del", argc, argv, &r);
	if (ret)
		return ret;
	if (pm_nft_read(&l))
		return pm_fail("nat-server del");
	for (i = 0; i < l.n && !o; i++)
		if (pm_ns_same(&l.v[i], &r))
			o = &l.v[i];
	if (!o) {
		pm_ns_describe(&r, desc, sizeof(desc));
		pm_err("nat-server del: no such nat-server rule: %s", desc);
		pm_ns_list_free(&l);
		return PM_EXIT_FAIL;
	}

	/* The mapping first: if that fails, nothing has changed. */
	drop_map = o->ftp && !mapping_shared(&l, o, o);
	pm_ns_mapping(o, &k);
	pm_key_describe(&k, key, sizeof(key));
	if (drop_map && mapping_del(o)) {
		pm_ns_list_free(&l);
		return pm_fail("nat-server del: map del %s", key);
	}
	if (pm_nft_del(o)) {
		ret = pm_fail("nat-server del");
		if (drop_map && pm_map_add(&k) && !pm_lib_not_loaded())
			pm_err("nat-server del: map add %s: could not restore the mapping",
			       key);
		pm_ns_list_free(&l);
		return ret;
	}
	pm_ns_list_free(&l);
	return PM_EXIT_OK;
}

/* A failed flush adds back the mappings it removed; says which it cannot. */
static void flush_restore(const struct pm_map_list *gone)
{
	char key[80];
	size_t i;
	int err;

	for (i = 0; i < gone->n; i++) {
		err = pm_map_add(&gone->v[i].key);
		if (!err || err == -EEXIST || pm_lib_not_loaded())
			continue;
		pm_key_describe(&gone->v[i].key, key, sizeof(key));
		pm_err("nat-server flush: map add %s: could not restore the mapping",
		       key);
	}
}

static int ns_flush(int argc, char **argv)
{
	struct pm_ns_list l;
	struct pm_map_list gone = { 0 };
	struct pm_map_key k;
	char key[80];
	size_t i;
	int err;

	if (argc > 0)
		return pm_usage_err("nat-server flush: unexpected argument '%s'",
				    argv[0]);
	if (pm_nft_read(&l))
		return pm_fail("nat-server flush");
	/* Mappings first (each once), then the table in one step. */
	for (i = 0; i < l.n; i++) {
		if (!l.v[i].ftp)
			continue;
		pm_ns_mapping(&l.v[i], &k);
		if (pm_map_has(&gone, &k))
			continue;
		err = mapping_del(&l.v[i]);
		if (err) {
			pm_key_describe(&k, key, sizeof(key));
			pm_fail("nat-server flush: map del %s", key);
			flush_restore(&gone);
			pm_map_list_free(&gone);
			pm_ns_list_free(&l);
			return PM_EXIT_FAIL;
		}
		pm_map_list_push(&gone, &k);
	}
	pm_ns_list_free(&l);
	if (pm_nft_flush()) {
		int ret = pm_fail("nat-server flush");

		/* The rules stay: so do their mappings. */
		flush_restore(&gone);
		pm_map_list_free(&gone);
		return ret;
	}
	pm_map_list_free(&gone);
	return PM_EXIT_OK;
}

static json_t *ports_json(uint16_t lo, uint16_t hi)
{
	return json_pack("[ii]", (int)lo, (int)hi);
}

static json_t *rule_json(const struct pm_ns_rule *r)
{
	char st[64];
	json_t *o = json_object();

	json_object_set_new(o, "proto", json_string(r->proto == IPPROTO_UDP ?
						     "udp" : "tcp"));
	if (r->by_iif) {
		json_object_set_new(o, "global", json_null());
		json_object_set_new(o, "iif", json_string(r->iif));
	} else {
		json_object_set_new(o, "global", pm_json_addr(r->family,
							       &r->global));
		json_object_set_new(o, "iif", json_null());
	}
	json_object_set_new(o, "global_ports", ports_json(r->glo, r->ghi));
	json_object_set_new(o, "inside", pm_json_addr(r->family, &r->inside));
	json_object_set_new(o, "inside_ports", ports_json(r->ilo, r->ihi));
	json_object_set_new(o, "ftp", json_boolean(r->ftp));
	json_object_set_new(o, "conns", json_integer((json_int_t)r->conns));
	json_object_set_new(o, "status", json_string(pm_drift_status(r->drift,
						     st, sizeof(st))));
	return o;
}

static void print_text(const struct pm_ns_list *l)
{
	char g[IFNAMSIZ + INET6_ADDRSTRLEN], i[INET6_ADDRSTRLEN];
	char gp[12], ip[12], st[64], a[INET6_ADDRSTRLEN];
	int gw = 6, iw = 6, pass;
	size_t k;

	for (pass = 0; pass < 2; pass++) {
		if (pass)
			printf("%-5s  %-*s  %-11s  %-*s  %-11s  %-3s  %-6s  %s\n",
			       "PROTO", gw, "GLOBAL", "PORTS", iw, "INSIDE",
			       "PORTS", "FTP", "CONNS", "STATUS");
		for (k = 0; k < l->n; k++) {
			const struct pm_ns_rule *r = &l->v[k];

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
			printf("%-5s  %-*s  %-11s  %-*s  %-11s  %-3s  %-6" PRIu64
			       "  %s\n", r->proto == IPPROTO_UDP ? "udp" : "tcp",
			       gw, g, gp, iw, i, ip, r->ftp ? "yes" : "no",
			       r->conns, pm_drift_status(r->drift, st,
							 sizeof(st)));
		}
	}
}

static int ns_list(int argc, char **argv)
{
	struct pm_state s = { 0 };
	struct pm_drift d;
	json_t *a;
	size_t k;

	if (argc > 0)
		return pm_usage_err("nat-server list: unexpected argument '%s'",
				    argv[0]);
	if (pm_nft_read(&s.rules))
		return pm_fail("nat-server list");
	/* The mappings, for the status column: none without the module. */
	if (pm_map_dump(&s.maps) && !pm_lib_not_loaded()) {
		pm_ns_list_free(&s.rules);
		return pm_fail("nat-server list");
	}
	if (s.rules.n > 1)
		qsort(s.rules.v, s.rules.n, sizeof(s.rules.v[0]),
		      (int (*)(const void *, const void *))pm_ns_cmp);
	pm_state_drift(&s, NULL, &d);
	pm_drift_free(&d);
	if (pm_json) {
		a = json_array();
		for (k = 0; k < s.rules.n; k++)
			json_array_append_new(a, rule_json(&s.rules.v[k]));
		pm_json_print(a);
	} else {
		print_text(&s.rules);
	}
	pm_state_free(&s);
	return PM_EXIT_OK;
}

int do_nat_server(int argc, char **argv)
{
	static const char *const add[] = { "add", NULL };
	static const char *const del[] = { "del", "delete", "remove", NULL };
	static const char *const list[] = { "list", "ls", "show", NULL };
	static const char *const flush[] = { "flush", NULL };
	int (*cmd)(int, char **);
	int lock, ret;

	if (argc < 1)
		return pm_usage_err("nat-server: missing command (add, del, list, flush)");
	if (pm_matches(argv[0], add))
		cmd = ns_add;
	else if (pm_matches(argv[0], del))
		cmd = ns_del;
	else if (pm_matches(argv[0], list))
		return ns_list(argc - 1, argv + 1);
	else if (pm_matches(argv[0], flush))
		cmd = ns_flush;
	else if (pm_is_help(argv[0])) {
		fputs(ns_usage, stdout);
		return PM_EXIT_OK;
	} else
		return pm_usage_err("nat-server: unknown command '%s'", argv[0]);

	lock = pm_lock();
	ret = cmd(argc - 1, argv + 1);
	pm_unlock(lock);
	return ret;
}
