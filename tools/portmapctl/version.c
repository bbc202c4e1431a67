// SPDX-License-Identifier: GPL-2.0
/*
 * portmapctl version: the tool's version and the loaded module's.
 */
#include <errno.h>
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
	struct pm_config c;
	const char *module = NULL;	/* NULL: not loaded */
	char why[160] = "";
	int err, ret = PM_EXIT_OK;
	json_t *o;

	if (argc > 0)
		return pm_usage_err("version: unexpected argument '%s'",
				    argv[0]);

	err = pm_config_get(&c);
	if (!err) {
		module = c.version;
	} else if (pm_lib_not_loaded()) {
		module = NULL;
	} else if (sysfs_version(c.version, sizeof(c.version)) == 0) {
		module = c.version;
	} else {
		/* Loaded, but we cannot ask it (e.g. not privileged). */
		snprintf(why, sizeof(why), "%s",
			 err == -EPERM ? "permission denied" : pm_lib_error());
		module = "";
		if (err != -EPERM)
			ret = PM_EXIT_FAIL;
	}

	if (pm_json) {
		o = json_object();
		json_object_set_new(o, "portmapctl", json_string(PM_VERSION));
		json_object_set_new(o, "module", module && *module ?
				    json_string(module) : json_null());
		json_object_set_new(o, "loaded", json_boolean(module != NULL));
		pm_json_print(o);
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
