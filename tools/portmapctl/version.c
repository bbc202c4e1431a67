// SPDX-License-Identifier: GPL-2.0
/*
 * portmapctl version: the tool's version and the loaded module's.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "portmapctl.h"

/* The module's version from sysfs, readable without privileges. */
static int sysfs_version(char *buf, size_t len)
{
	FILE *f = fopen("/sys/module/ftp_portmap/version", "r");
	int ok;

	if (!f)
		return -1;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (!ok)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	return buf[0] ? 0 : -1;
}

int do_version(int argc, char **argv)
{
	struct pm_config cfg;
	const char *module = NULL;	/* NULL: not loaded */
	char why[128] = "";
	int err, ret = PM_EXIT_OK;

	if (argc > 0)
		return pm_usage_err("version: unexpected argument '%s'",
				    argv[0]);

	err = pm_config_get(&cfg);
	if (!err) {
		module = cfg.version;
	} else if (pm_nl_not_loaded()) {
		module = NULL;
	} else if (sysfs_version(cfg.version, sizeof(cfg.version)) == 0) {
		module = cfg.version;
	} else {
		/* Loaded, but we cannot ask it (e.g. not privileged). */
		snprintf(why, sizeof(why), "%s",
			 err == -EPERM ? "permission denied" :
			 pm_nl_errmsg() ? pm_nl_errmsg() : strerror(-err));
		module = "";
		if (err != -EPERM)
			ret = PM_EXIT_FAIL;
	}

	if (pm_json) {
		fputs("{\"portmapctl\":", stdout);
		json_str(stdout, PM_VERSION);
		fputs(",\"module\":", stdout);
		if (module && *module)
			json_str(stdout, module);
		else
			fputs("null", stdout);
		fputs(",\"loaded\":", stdout);
		fputs(module ? "true" : "false", stdout);
		puts("}");
	} else {
		printf("portmapctl %s\n", PM_VERSION);
		if (!module)
			puts("module: not loaded");
		else if (*module)
			printf("module: %s\n", module);
		else
			printf("module: loaded, version unknown (%s)\n", why);
	}
	return ret;
}
