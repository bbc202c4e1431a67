// SPDX-License-Identifier: GPL-2.0
/*
 * portmapctl stats [show] | stats reset
 */
#include <inttypes.h>
#include <string.h>

#include "portmapctl.h"

const char stats_usage[] =
"Usage: portmapctl [-j [-p]] stats [show]\n"
"       portmapctl stats reset\n"
"show: the counters of this network namespace; reset: set them, and the\n"
"counters of every mapping, to 0.\n";

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

static int stats_show(void)
{
	struct pm_stats s;
	json_t *o;
	int i;

	if (pm_stats_get(&s))
		return pm_fail("stats");
	if (pm_json) {
		o = json_object();
		for (i = FPM_STAT_PAD + 1; i <= FPM_STAT_MAX; i++)
			json_object_set_new(o, stat_names[i],
					    json_integer((json_int_t)s.v[i]));
		json_object_set_new(o, "mappings", json_integer(s.mappings));
		pm_json_print(o);
	} else {
		printf("%-14s %" PRIu32 "\n", "mappings", s.mappings);
		for (i = FPM_STAT_PAD + 1; i <= FPM_STAT_MAX; i++)
			printf("%-14s %" PRIu64 "\n", stat_names[i], s.v[i]);
	}
	return PM_EXIT_OK;
}

int do_stats(int argc, char **argv)
{
	static const char *const show[] = { "show", "list", NULL };

	if (argc > 0 && pm_matches(argv[0], show)) {
		argc--;
		argv++;
	} else if (argc > 0 && !strcmp(argv[0], "reset")) {
		if (argc > 1)
			return pm_usage_err("stats reset: unexpected argument '%s'",
					    argv[1]);
		return pm_stats_reset() ? pm_fail("stats reset") : PM_EXIT_OK;
	}
	if (argc > 0) {
		if (pm_is_help(argv[0])) {
			fputs(stats_usage, stdout);
			return PM_EXIT_OK;
		}
		return pm_usage_err("stats: unexpected argument '%s'", argv[0]);
	}
	return stats_show();
}
