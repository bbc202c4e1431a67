// SPDX-License-Identifier: GPL-2.0
/*
 * portmapctl stats: the counters of the caller's network namespace.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <linux/genetlink.h>
#include <libmnl/libmnl.h>

#include "portmapctl.h"

/* FPM_STAT_* without the prefix, lower-cased. */
static const char *const stat_names[FPM_STAT_MAX + 1] = {
	[FPM_STAT_CONNS]		= "conns",
	[FPM_STAT_LINES]		= "lines",
	[FPM_STAT_EXPECTS]		= "expects",
	[FPM_STAT_REWRITES]		= "rewrites",
	[FPM_STAT_PARSE_REJECT]		= "parse_reject",
	[FPM_STAT_ADDR_MISMATCH]	= "addr_mismatch",
	[FPM_STAT_PORT_LOW]		= "port_low",
	[FPM_STAT_EXPECT_FAIL]		= "expect_fail",
	[FPM_STAT_EXPECT_LIMIT]		= "expect_limit",
	[FPM_STAT_UNPAIRED]		= "unpaired",
	[FPM_STAT_REWRITE_FAIL]		= "rewrite_fail",
	[FPM_STAT_LINE_TOOLONG]		= "line_toolong",
	[FPM_STAT_TLS]			= "tls",
	[FPM_STAT_CCC]			= "ccc",
	[FPM_STAT_OOO]			= "ooo",
	[FPM_STAT_NOMEM]		= "nomem",
	[FPM_STAT_RESYNC]		= "resync",
	[FPM_STAT_HELD]			= "held",
	[FPM_STAT_ORPHANS]		= "orphans",
	[FPM_STAT_RELATED_NAT]		= "related_nat",
};

struct stats {
	uint64_t v[FPM_STAT_MAX + 1];
	uint32_t mappings;
	bool have_stats, have_count;
};

static int stat_attr_cb(const struct nlattr *attr, void *data)
{
	struct stats *s = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (type <= FPM_STAT_PAD || type > FPM_STAT_MAX)
		return MNL_CB_OK;	/* newer module: ignore */
	if (mnl_attr_validate(attr, MNL_TYPE_U64) < 0)
		return MNL_CB_ERROR;
	s->v[type] = mnl_attr_get_u64(attr);
	return MNL_CB_OK;
}

static int top_attr_cb(const struct nlattr *attr, void *data)
{
	struct stats *s = data;

	switch (mnl_attr_get_type(attr)) {
	case FPM_A_STATS:
		if (mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0 ||
		    mnl_attr_parse_nested(attr, stat_attr_cb, s) < 0)
			return MNL_CB_ERROR;
		s->have_stats = true;
		break;
	case FPM_A_MAP_COUNT:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		s->mappings = mnl_attr_get_u32(attr);
		s->have_count = true;
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

static int stats_cb(const struct nlmsghdr *nlh, void *data)
{
	if (mnl_attr_parse(nlh, sizeof(struct genlmsghdr), top_attr_cb,
			   data) < 0)
		return -EPROTO;
	return 0;
}

int do_stats(int argc, char **argv)
{
	static const char *const show[] = { "show", "list", NULL };
	struct stats s;
	struct pm_nl *h;
	bool first = true;
	int i, err;

	if (argc > 0 && pm_matches(argv[0], show)) {
		argc--;
		argv++;
	}
	if (argc > 0) {
		if (!strcmp(argv[0], "help")) {
			puts("Usage: portmapctl [--json] stats [show]");
			return PM_EXIT_OK;
		}
		return pm_usage_err("stats: unexpected argument '%s'", argv[0]);
	}

	memset(&s, 0, sizeof(s));
	h = pm_nl_open();
	if (!h)
		return pm_nl_report(-errno, "stats");
	err = pm_nl_talk(h, pm_nl_msg(h, FPM_CMD_STATS_GET, NLM_F_ACK),
			 stats_cb, &s);
	pm_nl_close(h);
	if (!err && (!s.have_stats || !s.have_count))
		err = -EPROTO;
	if (err)
		return pm_nl_report(err, "stats");

	if (pm_json) {
		putchar('{');
		for (i = FPM_STAT_PAD + 1; i <= FPM_STAT_MAX; i++) {
			json_key(stdout, stat_names[i], &first);
			printf("%" PRIu64, s.v[i]);
		}
		json_key(stdout, "mappings", &first);
		printf("%" PRIu32 "}\n", s.mappings);
	} else {
		printf("%-14s %" PRIu32 "\n", "mappings", s.mappings);
		for (i = FPM_STAT_PAD + 1; i <= FPM_STAT_MAX; i++)
			printf("%-14s %" PRIu64 "\n", stat_names[i], s.v[i]);
	}
	return PM_EXIT_OK;
}
