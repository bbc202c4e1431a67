// SPDX-License-Identifier: GPL-2.0
/*
 * portmapctl config show|set: the settings of the caller's namespace.
 */
#include <inttypes.h>
#include <string.h>

#include "portmapctl.h"

const char config_usage[] =
"Usage: portmapctl [-j [-p]] config show\n"
"       portmapctl config set [strict on|off] [max-expect N]\n"
"  strict on|off  the module's strict checks of data-channel commands\n"
"                 (e.g. refusing data ports below 1024)\n"
"  max-expect N   pending data-channel expectations per control\n"
"                 connection (1..64)\n";

static int config_show(int argc, char **argv)
{
	struct pm_config c;
	json_t *o;

	if (argc > 0)
		return pm_usage_err("config show: unexpected argument '%s'",
				    argv[0]);
	if (pm_config_get(&c))
		return pm_fail("config show");
	if (pm_json) {
		o = json_object();
		json_object_set_new(o, "strict", json_boolean(c.strict));
		json_object_set_new(o, "max_expect", json_integer(c.max_expect));
		json_object_set_new(o, "mappings", json_integer(c.map_count));
		json_object_set_new(o, "max_mappings", json_integer(c.map_max));
		json_object_set_new(o, "version", json_string(c.version));
		pm_json_print(o);
	} else {
		printf("strict          %s\n", c.strict ? "on" : "off");
		printf("max-expect      %" PRIu32 "\n", c.max_expect);
		printf("mappings        %" PRIu32 "\n", c.map_count);
		printf("max-mappings    %" PRIu32 "\n", c.map_max);
		printf("module-version  %s\n", c.version);
	}
	return PM_EXIT_OK;
}

static int config_set(int argc, char **argv)
{
	struct pm_config_set c;
	char err[256];

	if (pm_parse_config(argc, argv, &c, err, sizeof(err)))
		return pm_usage_err("config set: %s", err);
	return pm_config_set(&c) ? pm_fail("config set") : PM_EXIT_OK;
}

int do_config(int argc, char **argv)
{
	if (argc < 1 || !strcmp(argv[0], "show") || !strcmp(argv[0], "list"))
		return config_show(argc < 1 ? 0 : argc - 1, argv + 1);
	if (!strcmp(argv[0], "set"))
		return config_set(argc - 1, argv + 1);
	if (pm_is_help(argv[0])) {
		fputs(config_usage, stdout);
		return PM_EXIT_OK;
	}
	return pm_usage_err("config: unknown command '%s'", argv[0]);
}
