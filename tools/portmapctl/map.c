// SPDX-License-Identifier: GPL-2.0
/*
 * portmapctl map add|del|show|list|flush
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "portmapctl.h"

static bool force;	/* --force of del and flush */

const char map_usage[] =
"Usage: portmapctl map add PORT [host ADDR]\n"
"       portmapctl map del PORT [host ADDR] [--force]\n"
"       portmapctl [-j [-p]] map show PORT [host ADDR]\n"
"       portmapctl [-j [-p]] map list\n"
"       portmapctl map flush [--force]\n"
"PORT is 1..65535; ADDR an IPv4 or IPv6 address a server can have (not\n"
"multicast, loopback, unspecified, IPv4-mapped or link-local).  del and\n"
"flush refuse to remove a mapping an \"ftp\" nat-server rule needs, unless\n"
"--force, which also clears that rule's ftp flag.\n";

static const char *const ctr_names[FPM_CTR_MAX + 1] = {
	[FPM_CTR_CONNS]		= "conns",
	[FPM_CTR_LINES]		= "lines",
	[FPM_CTR_EXPECTS]	= "expects",
	[FPM_CTR_REWRITES]	= "rewrites",
};

static json_t *mapping_json(const struct pm_mapping *m)
{
	json_t *o = json_object();
	int i;

	json_object_set_new(o, "port", json_integer(m->key.port));
	json_object_set_new(o, "host", pm_json_addr(m->key.family,
						     &m->key.host));
	for (i = FPM_CTR_PAD + 1; i <= FPM_CTR_MAX; i++)
		json_object_set_new(o, ctr_names[i],
				    json_integer((json_int_t)m->ctr[i]));
	return o;
}

static void print_text(const struct pm_mapping *v, size_t n)
{
	char host[INET6_ADDRSTRLEN];
	int w = 4;
	size_t k;

	for (k = 0; k < n; k++) {
		int len = (int)strlen(pm_addr_str(v[k].key.family,
						  &v[k].key.host, host,
						  sizeof(host)));
		if (len > w)
			w = len;
	}
	printf("%-5s  %-*s  %10s  %10s  %10s  %10s\n", "PORT", w, "HOST",
	       "CONNS", "LINES", "EXPECTS", "REWRITES");
	for (k = 0; k < n; k++) {
		const struct pm_mapping *m = &v[k];

		printf("%-5u  %-*s  %10" PRIu64 "  %10" PRIu64 "  %10" PRIu64
		       "  %10" PRIu64 "\n", m->key.port, w,
		       pm_addr_str(m->key.family, &m->key.host, host,
				   sizeof(host)),
		       m->ctr[FPM_CTR_CONNS], m->ctr[FPM_CTR_LINES],
		       m->ctr[FPM_CTR_EXPECTS], m->ctr[FPM_CTR_REWRITES]);
	}
}

/* Strip a trailing --force/-f (map del, map flush). */
static int take_force(int *argc, char **argv)
{
	int i, n = 0;

	for (i = 0; i < *argc; i++) {
		if (!strcmp(argv[i], "--force") || !strcmp(argv[i], "-f") ||
		    !strcmp(argv[i], "force"))
			force = true;
		else
			argv[n++] = argv[i];
	}
	*argc = n;
	return 0;
}

static int parse_key_or_usage(const char *cmd, int argc, char **argv,
			      struct pm_map_key *k, bool for_add)
{
	char err[256];

	if (pm_parse_key(argc, argv, k, for_add, err, sizeof(err)))
		return pm_usage_err("map %s: %s", cmd, err);
	return 0;
}

static int map_add(int argc, char **argv)
{
	struct pm_map_key k;
	char key[80];
	int ret, err;

	ret = parse_key_or_usage("add", argc, argv, &k, true);
	if (ret)
		return ret;
	pm_key_describe(&k, key, sizeof(key));
	err = pm_map_add(&k);
	if (!err)
		return PM_EXIT_OK;
	if ((err == -ENOSPC || err == -E2BIG) && !pm_lib_not_loaded()) {
		struct pm_config c;

		/* 6.1 extacks cannot carry numbers: ask for the limit. */
		if (pm_config_get(&c) == 0) {
			pm_err("map add %s: mapping table full (max %" PRIu32
			       "; module parameter max_mappings)", key,
			       c.map_max);
			return PM_EXIT_FAIL;
		}
	}
	return pm_fail("map add %s", key);
}

/*
 * The ftp nat-server rules that would lose the mapping(s) @k (NULL: all)
 * when it goes.  Without --force: refused, naming the first.  With it:
 * their ftp flag is cleared.  0 to go on, else the exit code.
 */
static int guard_rules(const struct pm_map_key *k, const char *what)
{
	struct pm_ns_list rules;
	struct pm_map_list maps;
	const struct pm_ns_rule *r;
	char desc[200];
	size_t i;
	int err;

	if (pm_nft_read(&rules))
		return pm_fail("%s", what);
	if (!rules.n) {
		pm_ns_list_free(&rules);
		return 0;
	}
	err = pm_map_dump(&maps);
	if (err) {
		pm_ns_list_free(&rules);
		return pm_fail("%s", what);
	}
	for (i = 0; i < rules.n; i++) {
		r = &rules.v[i];
		if (!r->ftp)
			continue;
		if (k) {
			struct pm_ns_list one = { .v = (struct pm_ns_rule *)r,
						  .n = 1 };

			if (!pm_rule_needing(&one, k, &maps))
				continue;
		}
		pm_ns_describe(r, desc, sizeof(desc));
		if (!force) {
			pm_err("%s: nat-server rule '%s' needs this mapping (use --force to remove it anyway and clear the rule's ftp flag, or 'nat-server del')",
			       what, desc);
			err = PM_EXIT_FAIL;
			break;
		}
		if (pm_nft_set_ftp(r, false)) {
			err = pm_fail("%s: clearing the ftp flag of nat-server rule '%s'",
				      what, desc);
			break;
		}
	}
	pm_map_list_free(&maps);
	pm_ns_list_free(&rules);
	return err;
}

static int map_del(int argc, char **argv)
{
	struct pm_map_key k;
	char key[80], what[100];
	int ret, lock;

	take_force(&argc, argv);
	ret = parse_key_or_usage("del", argc, argv, &k, false);
	if (ret)
		return ret;
	pm_key_describe(&k, key, sizeof(key));
	snprintf(what, sizeof(what), "map del %s", key);
	/* Is it there at all?  (A missing one says so, rules or not.) */
	{
		struct pm_mapping m;

		if (pm_map_get(&k, &m))
			return pm_fail("%s", what);
	}
	lock = pm_lock();
	ret = guard_rules(&k, what);
	if (!ret && pm_map_del(&k))
		ret = pm_fail("%s", what);
	pm_unlock(lock);
	return ret;
}

static int map_show(int argc, char **argv)
{
	struct pm_mapping m;
	struct pm_map_key k;
	char key[80];
	int ret;

	ret = parse_key_or_usage("show", argc, argv, &k, false);
	if (ret)
		return ret;
	if (pm_map_get(&k, &m)) {
		pm_key_describe(&k, key, sizeof(key));
		return pm_fail("map show %s", key);
	}
	if (pm_json)
		pm_json_print(mapping_json(&m));
	else
		print_text(&m, 1);
	return PM_EXIT_OK;
}

static int map_list(int argc, char **argv)
{
	struct pm_map_list l;
	json_t *a;
	size_t k;

	if (argc > 0)
		return pm_usage_err("map list: unexpected argument '%s'",
				    argv[0]);
	if (pm_map_dump(&l))
		return pm_fail("map list");
	if (pm_json) {
		a = json_array();
		for (k = 0; k < l.n; k++)
			json_array_append_new(a, mapping_json(&l.v[k]));
		pm_json_print(a);
	} else {
		print_text(l.v, l.n);
	}
	pm_map_list_free(&l);
	return PM_EXIT_OK;
}

static int map_flush(int argc, char **argv)
{
	int ret, lock;

	take_force(&argc, argv);
	if (argc > 0)
		return pm_usage_err("map flush: unexpected argument '%s'",
				    argv[0]);
	{
		/* Permission and module first, in the netlink half's words. */
		struct pm_map_list l;

		if (pm_map_dump(&l))
			return pm_fail("map flush");
		pm_map_list_free(&l);
	}
	lock = pm_lock();
	ret = guard_rules(NULL, "map flush");
	if (!ret && pm_map_flush())
		ret = pm_fail("map flush");
	pm_unlock(lock);
	return ret;
}

int do_map(int argc, char **argv)
{
	static const char *const add[] = { "add", NULL };
	static const char *const del[] = { "del", "delete", "remove", NULL };
	static const char *const show[] = { "show", "get", NULL };
	static const char *const list[] = { "list", "ls", NULL };
	static const char *const flush[] = { "flush", NULL };

	force = false;
	if (argc < 1)
		return pm_usage_err("map: missing command (add, del, show, list, flush)");
	if (pm_matches(argv[0], add))
		return map_add(argc - 1, argv + 1);
	if (pm_matches(argv[0], del))
		return map_del(argc - 1, argv + 1);
	if (pm_matches(argv[0], show))
		return map_show(argc - 1, argv + 1);
	if (pm_matches(argv[0], list))
		return map_list(argc - 1, argv + 1);
	if (pm_matches(argv[0], flush))
		return map_flush(argc - 1, argv + 1);
	if (pm_is_help(argv[0])) {
		fputs(map_usage, stdout);
		return PM_EXIT_OK;
	}
	return pm_usage_err("map: unknown command '%s'", argv[0]);
}
