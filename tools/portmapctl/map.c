// SPDX-License-Identifier: GPL-2.0
/*
 * portmapctl map add|del|show|list|flush
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <libmnl/libmnl.h>

#include "portmapctl.h"

struct pm_entry {
	uint16_t port;
	int family;
	union pm_addr addr;
	uint64_t ctr[FPM_CTR_MAX + 1];
};

static const char *const ctr_names[FPM_CTR_MAX + 1] = {
	[FPM_CTR_CONNS]		= "conns",
	[FPM_CTR_LINES]		= "lines",
	[FPM_CTR_EXPECTS]	= "expects",
	[FPM_CTR_REWRITES]	= "rewrites",
};

struct entry_list {
	struct pm_entry *v;
	size_t n, cap;
	int bad;		/* a reply we could not make sense of */
};

static int ctr_attr_cb(const struct nlattr *attr, void *data)
{
	struct pm_entry *e = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (type <= FPM_CTR_PAD || type > FPM_CTR_MAX)
		return MNL_CB_OK;	/* newer module: ignore */
	if (mnl_attr_validate(attr, MNL_TYPE_U64) < 0)
		return MNL_CB_ERROR;
	e->ctr[type] = mnl_attr_get_u64(attr);
	return MNL_CB_OK;
}

static int map_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, FPM_A_MAX) < 0)
		return MNL_CB_OK;
	switch (type) {
	case FPM_A_PORT:
		if (mnl_attr_validate(attr, MNL_TYPE_U16) < 0)
			return MNL_CB_ERROR;
		break;
	case FPM_A_FAMILY:
		if (mnl_attr_validate(attr, MNL_TYPE_U8) < 0)
			return MNL_CB_ERROR;
		break;
	case FPM_A_HOST4:
		if (mnl_attr_validate2(attr, MNL_TYPE_BINARY, 4) < 0)
			return MNL_CB_ERROR;
		break;
	case FPM_A_HOST6:
		if (mnl_attr_validate2(attr, MNL_TYPE_BINARY, 16) < 0)
			return MNL_CB_ERROR;
		break;
	case FPM_A_COUNTERS:
		if (mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0)
			return MNL_CB_ERROR;
		break;
	default:
		break;
	}
	tb[type] = attr;
	return MNL_CB_OK;
}

/* One MAP_GET reply (doit or dump part) into @e; 0 or -EPROTO. */
static int parse_entry(const struct nlmsghdr *nlh, struct pm_entry *e)
{
	const struct nlattr *tb[FPM_A_MAX + 1] = { 0 };

	memset(e, 0, sizeof(*e));
	if (mnl_attr_parse(nlh, sizeof(struct genlmsghdr), map_attr_cb,
			   tb) < 0 || !tb[FPM_A_PORT])
		return -EPROTO;
	e->port = mnl_attr_get_u16(tb[FPM_A_PORT]);
	if (tb[FPM_A_FAMILY]) {
		e->family = mnl_attr_get_u8(tb[FPM_A_FAMILY]);
		if (e->family == AF_INET && tb[FPM_A_HOST4])
			memcpy(&e->addr.v4, mnl_attr_get_payload(tb[FPM_A_HOST4]), 4);
		else if (e->family == AF_INET6 && tb[FPM_A_HOST6])
			memcpy(&e->addr.v6, mnl_attr_get_payload(tb[FPM_A_HOST6]), 16);
		else
			return -EPROTO;
	}
	if (tb[FPM_A_COUNTERS] &&
	    mnl_attr_parse_nested(tb[FPM_A_COUNTERS], ctr_attr_cb, e) < 0)
		return -EPROTO;
	return 0;
}

static int entry_cb(const struct nlmsghdr *nlh, void *data)
{
	struct entry_list *l = data;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct pm_entry *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	if (parse_entry(nlh, &l->v[l->n])) {
		l->bad++;
		return 0;
	}
	l->n++;
	return 0;
}

static void print_entry_json(const struct pm_entry *e)
{
	char host[INET6_ADDRSTRLEN];
	int i;

	printf("{\"port\":%u,\"host\":", e->port);
	if (e->family)
		json_str(stdout, pm_addr_str(e->family, &e->addr, host,
					     sizeof(host)));
	else
		fputs("null", stdout);
	for (i = FPM_CTR_PAD + 1; i <= FPM_CTR_MAX; i++)
		printf(",\"%s\":%" PRIu64, ctr_names[i], e->ctr[i]);
	putchar('}');
}

static void print_entries_text(const struct pm_entry *v, size_t n)
{
	char host[INET6_ADDRSTRLEN];
	int w = 4;
	size_t k;

	for (k = 0; k < n; k++) {
		int len = (int)strlen(pm_addr_str(v[k].family, &v[k].addr,
						  host, sizeof(host)));
		if (len > w)
			w = len;
	}
	printf("%-5s  %-*s  %10s  %10s  %10s  %10s\n", "PORT", w, "HOST",
	       "CONNS", "LINES", "EXPECTS", "REWRITES");
	for (k = 0; k < n; k++) {
		const struct pm_entry *e = &v[k];

		printf("%-5u  %-*s  %10" PRIu64 "  %10" PRIu64 "  %10" PRIu64
		       "  %10" PRIu64 "\n", e->port, w,
		       pm_addr_str(e->family, &e->addr, host, sizeof(host)),
		       e->ctr[FPM_CTR_CONNS], e->ctr[FPM_CTR_LINES],
		       e->ctr[FPM_CTR_EXPECTS], e->ctr[FPM_CTR_REWRITES]);
	}
}

/* "map add 6293 host 10.0.0.1", for error messages. */
static void describe(char *buf, size_t len, const char *cmd, uint16_t port,
		     int family, const union pm_addr *addr)
{
	char host[INET6_ADDRSTRLEN];

	if (family)
		snprintf(buf, len, "map %s %u host %s", cmd, port,
			 pm_addr_str(family, addr, host, sizeof(host)));
	else
		snprintf(buf, len, "map %s %u", cmd, port);
}

static int key_request(uint8_t cmd, uint16_t port, int family,
		       const void *host, pm_nl_cb_t cb, void *data)
{
	struct pm_nl *h;
	int err;

	h = pm_nl_open();
	if (!h)
		return -errno;
	err = pm_nl_talk(h, pm_nl_key_msg(h, cmd, port, family, host), cb,
			 data);
	pm_nl_close(h);
	return err;
}

int pm_map_add(uint16_t port, int family, const void *host)
{
	return key_request(FPM_CMD_MAP_ADD, port, family, host, NULL, NULL);
}

static int map_add_del(uint8_t cmd, const char *name, int argc, char **argv)
{
	union pm_addr addr;
	uint16_t port;
	int family, ret, err;
	char what[96];

	ret = pm_parse_key(argc, argv, &port, &family, &addr);
	if (ret)
		return ret;
	err = key_request(cmd, port, family, &addr, NULL, NULL);
	if (!err)
		return PM_EXIT_OK;

	describe(what, sizeof(what), name, port, family, &addr);
	if (cmd == FPM_CMD_MAP_ADD && (err == -ENOSPC || err == -E2BIG) &&
	    !pm_nl_not_loaded()) {
		uint32_t max;

		/* 6.1 extacks cannot carry numbers: ask for the limit. */
		if (pm_config_map_max(&max) == 0) {
			pm_err("%s: mapping table full (max %" PRIu32
			       "; module parameter max_mappings)", what, max);
			return PM_EXIT_FAIL;
		}
		err = -ENOSPC;
	}
	return pm_nl_report(err, what);
}

static int map_show(int argc, char **argv)
{
	struct entry_list l = { 0 };
	union pm_addr addr;
	uint16_t port;
	int family, ret, err;
	char what[96];

	ret = pm_parse_key(argc, argv, &port, &family, &addr);
	if (ret)
		return ret;
	err = key_request(FPM_CMD_MAP_GET, port, family, &addr, entry_cb, &l);
	if (!err && (l.n != 1 || l.bad))
		err = -EPROTO;
	if (err) {
		free(l.v);
		describe(what, sizeof(what), "show", port, family, &addr);
		return pm_nl_report(err, what);
	}
	if (pm_json) {
		print_entry_json(&l.v[0]);
		putchar('\n');
	} else {
		print_entries_text(l.v, 1);
	}
	free(l.v);
	return PM_EXIT_OK;
}

static int map_list(int argc, char **argv)
{
	struct entry_list l = { 0 };
	struct pm_nl *h;
	size_t k;
	int err;

	if (argc > 0)
		return pm_usage_err("unexpected argument '%s'", argv[0]);
	h = pm_nl_open();
	if (!h)
		return pm_nl_report(-errno, "map list");
	err = pm_nl_talk(h, pm_nl_msg(h, FPM_CMD_MAP_GET, NLM_F_DUMP),
			 entry_cb, &l);
	pm_nl_close(h);
	if (!err && l.bad)
		err = -EPROTO;
	if (err) {
		free(l.v);
		return pm_nl_report(err, "map list");
	}

	if (pm_json) {
		putchar('[');
		for (k = 0; k < l.n; k++) {
			if (k)
				putchar(',');
			print_entry_json(&l.v[k]);
		}
		puts("]");
	} else {
		print_entries_text(l.v, l.n);
	}
	free(l.v);
	return PM_EXIT_OK;
}

static int map_flush(int argc, char **argv)
{
	struct pm_nl *h;
	int err;

	if (argc > 0)
		return pm_usage_err("unexpected argument '%s'", argv[0]);
	h = pm_nl_open();
	if (!h)
		return pm_nl_report(-errno, "map flush");
	err = pm_nl_talk(h, pm_nl_msg(h, FPM_CMD_MAP_FLUSH, NLM_F_ACK), NULL,
			 NULL);
	pm_nl_close(h);
	return err ? pm_nl_report(err, "map flush") : PM_EXIT_OK;
}

static const char map_usage[] =
"Usage: portmapctl map add PORT [host ADDR]\n"
"       portmapctl map del PORT [host ADDR]\n"
"       portmapctl map show PORT [host ADDR]\n"
"       portmapctl [--json] map list\n"
"       portmapctl map flush\n";

int do_map(int argc, char **argv)
{
	static const char *const add[] = { "add", NULL };
	static const char *const del[] = { "del", "delete", "remove", NULL };
	static const char *const show[] = { "show", "get", NULL };
	static const char *const list[] = { "list", "ls", NULL };
	static const char *const flush[] = { "flush", NULL };
	static const char *const help[] = { "help", "-h", "--help", NULL };

	if (argc < 1)
		return pm_usage_err("map: missing command (add, del, show, list, flush)");
	if (pm_matches(argv[0], add))
		return map_add_del(FPM_CMD_MAP_ADD, "add", argc - 1, argv + 1);
	if (pm_matches(argv[0], del))
		return map_add_del(FPM_CMD_MAP_DEL, "del", argc - 1, argv + 1);
	if (pm_matches(argv[0], show))
		return map_show(argc - 1, argv + 1);
	if (pm_matches(argv[0], list))
		return map_list(argc - 1, argv + 1);
	if (pm_matches(argv[0], flush))
		return map_flush(argc - 1, argv + 1);
	if (pm_matches(argv[0], help)) {
		fputs(map_usage, stdout);
		return PM_EXIT_OK;
	}
	return pm_usage_err("map: unknown command '%s'", argv[0]);
}
