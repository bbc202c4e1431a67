// SPDX-License-Identifier: GPL-2.0
/*
 * portmapctl - manage the ftp_portmap FTP ALG: main, dispatch, usage.
 *
 *   portmapctl [OPTIONS] OBJECT COMMAND [ARGS]
 *   portmapctl [OPTIONS] -b FILE
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portmapctl.h"

bool pm_json;

static const char usage_text[] =
"Usage: portmapctl [-j|--json] OBJECT COMMAND [ARGS]\n"
"       portmapctl [-j|--json] -b|--batch FILE\n"
"\n"
"  map add PORT [host ADDR]     track FTP control connections to PORT (to\n"
"                               any server, or only to server ADDR)\n"
"  map del PORT [host ADDR]     remove that mapping\n"
"  map show PORT [host ADDR]    one mapping and its counters\n"
"  map list                     every mapping and its counters\n"
"  map flush                    remove every mapping\n"
"  stats                        counters of this network namespace\n"
"  config show                  settings of this network namespace\n"
"  config set [strict on|off] [max-expect N]\n"
"  nat-server ...               DNAT an FTP server (portmapctl nat-server help)\n"
"  version                      versions of portmapctl and of the module\n"
"  help                         this text\n"
"\n"
"PORT is 1..65535 (decimal); ADDR an IPv4 or IPv6 address.\n"
"Every command acts on the caller's network namespace and needs\n"
"CAP_NET_ADMIN there.  --json may also come after the command.\n"
"Batch files hold one command per line (without \"portmapctl\"); blank\n"
"lines and lines starting with # are skipped; '-' reads stdin.\n"
"Exit status: 0 success, 1 the operation failed, 2 usage error.\n";

static int do_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs(usage_text, stdout);
	return PM_EXIT_OK;
}

struct pm_object {
	const char *name;
	const char *alias;
	int (*run)(int argc, char **argv);
};

static const struct pm_object objects[] = {
	{ "map",	"mapping",	do_map },
	{ "stats",	"statistics",	do_stats },
	{ "config",	"configuration", do_config },
	{ "nat-server",	"nat",		do_nat_server },
	{ "version",	NULL,		do_version },
	{ "help",	NULL,		do_help },
};

static bool is_json_opt(const char *arg)
{
	return !strcmp(arg, "-j") || !strcmp(arg, "--json");
}

/* Drop every --json/-j from argv (setting pm_json); returns the new argc. */
static int strip_json(int argc, char **argv)
{
	int i, n = 0;

	for (i = 0; i < argc; i++) {
		if (is_json_opt(argv[i]))
			pm_json = true;
		else
			argv[n++] = argv[i];
	}
	argv[n] = NULL;
	return n;
}

/* argv[0] is the object. */
static int dispatch(int argc, char **argv)
{
	size_t i;

	argc = strip_json(argc, argv);
	if (argc < 1)
		return pm_usage_err("missing object");

	for (i = 0; i < sizeof(objects) / sizeof(objects[0]); i++) {
		const struct pm_object *o = &objects[i];

		if (!strcmp(argv[0], o->name) ||
		    (o->alias && !strcmp(argv[0], o->alias)))
			return o->run(argc - 1, argv + 1);
	}
	return pm_usage_err("unknown object '%s'", argv[0]);
}

#define BATCH_MAX_ARGS	64

static int run_batch(const char *path)
{
	FILE *f = stdin;
	char *line = NULL;
	size_t cap = 0;
	unsigned long lineno = 0;
	int ret = PM_EXIT_OK;
	bool json = pm_json;

	if (strcmp(path, "-")) {
		f = fopen(path, "r");
		if (!f) {
			pm_err("%s: %s", path, strerror(errno));
			return PM_EXIT_FAIL;
		}
	}

	while (getline(&line, &cap, f) != -1) {
		char *args[BATCH_MAX_ARGS + 1];
		char *save = NULL, *tok;
		int n = 0;

		lineno++;
		for (tok = strtok_r(line, " \t\r\n", &save); tok;
		     tok = strtok_r(NULL, " \t\r\n", &save)) {
			if (n == 0 && tok[0] == '#')
				break;
			if (n == BATCH_MAX_ARGS) {
				n = -1;
				break;
			}
			args[n++] = tok;
		}
		if (n == 0)
			continue;
		if (n < 0) {
			ret = pm_usage_err("%s:%lu: too many words", path,
					   lineno);
			break;
		}
		args[n] = NULL;

		pm_json = json;
		ret = dispatch(n, args);
		if (ret != PM_EXIT_OK) {
			pm_err("%s:%lu: command failed", path, lineno);
			break;
		}
	}
	if (ret == PM_EXIT_OK && ferror(f)) {
		pm_err("%s: %s", path, strerror(errno));
		ret = PM_EXIT_FAIL;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return ret;
}

int main(int argc, char **argv)
{
	const char *batch = NULL;
	int ret;

	argc--;
	argv++;
	/* Options come before the object. */
	while (argc > 0 && argv[0][0] == '-') {
		if (is_json_opt(argv[0])) {
			pm_json = true;
		} else if (!strcmp(argv[0], "-h") ||
			   !strcmp(argv[0], "--help")) {
			return do_help(0, NULL);
		} else if (!strcmp(argv[0], "-V") ||
			   !strcmp(argv[0], "--version")) {
			return do_version(0, NULL);
		} else if (!strcmp(argv[0], "-b") ||
			   !strcmp(argv[0], "--batch")) {
			if (argc < 2)
				return pm_usage_err("%s needs a file name",
						    argv[0]);
			batch = argv[1];
			argc--;
			argv++;
		} else if (!strcmp(argv[0], "--")) {
			argc--;
			argv++;
			break;
		} else {
			return pm_usage_err("unknown option '%s'", argv[0]);
		}
		argc--;
		argv++;
	}

	if (batch) {
		if (argc > 0)
			return pm_usage_err("no command allowed with --batch");
		ret = run_batch(batch);
	} else if (argc == 0) {
		fputs(usage_text, stderr);
		ret = PM_EXIT_USAGE;
	} else {
		ret = dispatch(argc, argv);
	}

	if (fflush(stdout) || ferror(stdout)) {
		pm_err("write error: %s", strerror(errno));
		if (ret == PM_EXIT_OK)
			ret = PM_EXIT_FAIL;
	}
	return ret;
}
