// SPDX-License-Identifier: GPL-2.0
/*
 * portmapctl - manage the ftp_portmap FTP ALG: main, dispatch, help,
 * batch files.
 *
 *   portmapctl [OPTIONS] OBJECT COMMAND [ARGS]
 *   portmapctl [OPTIONS] -b FILE [-force]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portmapctl.h"

bool pm_json, pm_pretty;
const char *pm_object;

static const char usage_text[] =
"Usage: portmapctl [-j|--json] [-p|--pretty] OBJECT COMMAND [ARGS]\n"
"       portmapctl [-j] -b|-batch FILE [-force]\n"
"\n"
"  map add PORT [host ADDR]     track FTP control connections to PORT (to\n"
"                               any server, or only to server ADDR)\n"
"  map del PORT [host ADDR] [--force]\n"
"  map show PORT [host ADDR]    one mapping and its counters\n"
"  map list                     every mapping and its counters\n"
"  map flush [--force]          remove every mapping\n"
"  stats [show] | stats reset   counters of this network namespace\n"
"  config show                  settings of this network namespace\n"
"  config set [strict on|off] [max-expect N]\n"
"  nat-server add|del|list|flush  DNAT a server (help nat-server)\n"
"  conn list                    the FTP control connections followed\n"
"  save                         print the whole configuration\n"
"  restore [--check] FILE       apply a saved configuration, all or nothing\n"
"  check [FILE]                 report drift (exit 1 when any)\n"
"  version                      versions of portmapctl and of the module\n"
"  help [OBJECT]                this text, or the object's\n"
"\n"
"PORT is 1..65535 (decimal); ADDR an IPv4 or IPv6 address.\n"
"Every command acts on the caller's network namespace and needs\n"
"CAP_NET_ADMIN there.  --json may also come after the command; -p\n"
"(pretty JSON) implies it.  A batch file holds one command a line\n"
"(without \"portmapctl\"; # comments; '-' reads stdin) and is atomic: the\n"
"first failure undoes the commands before it; with -force every line is\n"
"run and the failures are counted.\n"
"Exit status: 0 success, 1 the operation failed (or check found drift),\n"
"2 usage error.\n";

static int do_help(int argc, char **argv);

struct pm_object_def {
	const char *name;
	const char *alias;
	int (*run)(int argc, char **argv);
	const char *usage;
};

static const struct pm_object_def objects[] = {
	{ "map",	"mapping",	do_map,		map_usage },
	{ "stats",	"statistics",	do_stats,	stats_usage },
	{ "config",	"configuration", do_config,	config_usage },
	{ "nat-server",	"nat",		do_nat_server,	ns_usage },
	{ "conn",	"connection",	do_conn,	conn_usage },
	{ "save",	NULL,		do_save,	save_usage },
	{ "restore",	NULL,		do_restore,	restore_usage },
	{ "check",	NULL,		do_check,	check_usage },
	{ "version",	NULL,		do_version,	NULL },
	{ "help",	NULL,		do_help,	NULL },
};

#define NOBJ (sizeof(objects) / sizeof(objects[0]))

static const struct pm_object_def *find_object(const char *name)
{
	size_t i;

	for (i = 0; i < NOBJ; i++)
		if (!strcmp(name, objects[i].name) ||
		    (objects[i].alias && !strcmp(name, objects[i].alias)))
			return &objects[i];
	return NULL;
}

static int do_help(int argc, char **argv)
{
	const struct pm_object_def *o;

	if (argc < 1) {
		fputs(usage_text, stdout);
		return PM_EXIT_OK;
	}
	o = find_object(argv[0]);
	if (!o)
		return pm_usage_err("help: unknown object '%s'", argv[0]);
	if (argc > 1)
		return pm_usage_err("help: unexpected argument '%s'", argv[1]);
	if (o->usage)
		fputs(o->usage, stdout);
	else
		fputs(usage_text, stdout);
	return PM_EXIT_OK;
}

static bool is_json_opt(const char *arg)
{
	return !strcmp(arg, "-j") || !strcmp(arg, "--json");
}

static bool is_pretty_opt(const char *arg)
{
	return !strcmp(arg, "-p") || !strcmp(arg, "--pretty");
}

/* Drop every --json/-j/-p from argv (setting the flags); the new argc. */
static int strip_opts(int argc, char **argv)
{
	int i, n = 0;

	for (i = 0; i < argc; i++) {
		if (is_json_opt(argv[i])) {
			pm_json = true;
		} else if (is_pretty_opt(argv[i])) {
			pm_json = pm_pretty = true;
		} else {
			argv[n++] = argv[i];
		}
	}
	argv[n] = NULL;
	return n;
}

/* argv[0] is the object. */
static int dispatch(int argc, char **argv)
{
	const struct pm_object_def *o;

	pm_object = NULL;
	argc = strip_opts(argc, argv);
	if (argc < 1)
		return pm_usage_err("missing object");
	o = find_object(argv[0]);
	if (!o)
		return pm_usage_err("unknown object '%s'", argv[0]);
	pm_object = o->usage ? o->name : NULL;
	return o->run(argc - 1, argv + 1);
}

#define BATCH_MAX_ARGS	64

/* What to go back to when an atomic batch fails. */
struct snapshot {
	bool have_module;		/* mappings and settings too */
	struct pm_state s;
};

static int snapshot_take(struct snapshot *snap)
{
	memset(snap, 0, sizeof(*snap));
	if (pm_state_read(&snap->s) == 0) {
		snap->have_module = true;
		return 0;
	}
	if (!pm_lib_not_loaded())
		return -1;
	/* Without the module, only nftables can change. */
	if (pm_nft_read(&snap->s.rules))
		return -1;
	return 0;
}

/* Did the table change since the snapshot? */
static bool nft_changed(const struct snapshot *snap)
{
	struct pm_ns_list now;
	size_t i, j;
	bool changed = false;

	if (pm_nft_read(&now))
		return true;
	if (now.n != snap->s.rules.n ||
	    now.table_exists != snap->s.rules.table_exists)
		changed = true;
	for (i = 0; i < now.n && !changed; i++) {
		bool found = false;

		for (j = 0; j < snap->s.rules.n && !found; j++)
			found = pm_ns_same(&now.v[i], &snap->s.rules.v[j]) &&
				now.v[i].ftp == snap->s.rules.v[j].ftp &&
				now.v[i].nhandles == snap->s.rules.v[j].nhandles;
		changed = !found;
	}
	pm_ns_list_free(&now);
	return changed;
}

/* *@rewrote: table inet ftp_portmap was written again as it was. */
static int snapshot_restore(struct snapshot *snap, bool *rewrote)
{
	struct pm_plan plan;
	unsigned int flags = nft_changed(snap) ? 0 : PM_APPLY_NO_NFT;
	int err;

	*rewrote = !(flags & PM_APPLY_NO_NFT);

	if (snap->have_module) {
		err = pm_state_apply(&snap->s, flags, &plan);
		pm_plan_free(&plan);
		return err;
	}
	if (flags & PM_APPLY_NO_NFT)
		return 0;
	return pm_nft_replace(snap->s.rules.v, snap->s.rules.n);
}

static int run_batch(const char *path, bool force)
{
	FILE *f = stdin;
	char *line = NULL;
	size_t cap = 0;
	unsigned long lineno = 0, failures = 0;
	int ret = PM_EXIT_OK, lock = -1;
	bool json = pm_json, pretty = pm_pretty, snap_ok = false;
	struct snapshot snap;

	if (strcmp(path, "-")) {
		f = fopen(path, "r");
		if (!f) {
			pm_err("batch: %s: %s", path, strerror(errno));
			return PM_EXIT_FAIL;
		}
	}
	if (!force) {
		lock = pm_lock();
		if (snapshot_take(&snap)) {
			pm_fail("batch: %s: reading the state to return to on failure",
				path);
			pm_unlock(lock);
			if (f != stdin)
				fclose(f);
			return PM_EXIT_FAIL;
		}
		snap_ok = true;
	}

	while (getline(&line, &cap, f) != -1) {
		char *args[BATCH_MAX_ARGS + 1];
		int n, rc;

		lineno++;
		n = pm_split(line, args, BATCH_MAX_ARGS);
		if (n == 0)
			continue;
		if (n < 0) {
			pm_object = NULL;
			rc = pm_usage_err("%s:%lu: too many words", path,
					  lineno);
		} else {
			pm_json = json;
			pm_pretty = pretty;
			rc = dispatch(n, args);
		}
		if (rc == PM_EXIT_OK)
			continue;
		pm_err("%s:%lu: command failed", path, lineno);
		failures++;
		if (ret == PM_EXIT_OK || rc == PM_EXIT_USAGE)
			ret = rc;
		if (!force)
			break;
	}
	if (ret == PM_EXIT_OK && ferror(f)) {
		pm_err("batch: %s: %s", path, strerror(errno));
		ret = PM_EXIT_FAIL;
	}
	if (!force && ret != PM_EXIT_OK && snap_ok) {
		const struct pm_ns_list *r = &snap.s.rules;
		bool rewrote;

		if (snapshot_restore(&snap, &rewrote))
			pm_fail("batch: %s: undoing the commands before line %lu failed",
				path, lineno);
		else if (rewrote && (r->foreign_rules || r->foreign_objects))
			pm_err("batch: %s: undone, except that table inet ftp_portmap was written again without what was added to it by hand (%u rule(s), %u other object(s), e.g. %s)",
			       path, r->foreign_rules, r->foreign_objects,
			       r->foreign_first);
		else
			pm_err("batch: %s: undone: the state is as before the batch",
			       path);
	}
	if (force && failures)
		pm_err("batch: %s: %lu command(s) failed", path, failures);
	if (snap_ok)
		pm_state_free(&snap.s);
	pm_unlock(lock);
	free(line);
	if (f != stdin)
		fclose(f);
	return ret;
}

int main(int argc, char **argv)
{
	const char *batch = NULL;
	bool force = false;
	int ret;

	argc--;
	argv++;
	/* Options come before the object. */
	while (argc > 0 && argv[0][0] == '-') {
		if (is_json_opt(argv[0])) {
			pm_json = true;
		} else if (is_pretty_opt(argv[0])) {
			pm_json = pm_pretty = true;
		} else if (!strcmp(argv[0], "-h") ||
			   !strcmp(argv[0], "--help")) {
			return do_help(0, NULL);
		} else if (!strcmp(argv[0], "-V") ||
			   !strcmp(argv[0], "--version")) {
			return do_version(0, NULL);
		} else if (!strcmp(argv[0], "-force") ||
			   !strcmp(argv[0], "--force")) {
			force = true;
		} else if (!strcmp(argv[0], "-b") ||
			   !strcmp(argv[0], "-batch") ||
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
			return pm_usage_err("no command allowed with -batch");
		ret = run_batch(batch, force);
	} else if (force) {
		return pm_usage_err("-force goes with -batch FILE");
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
	pm_ipc_close();
	return ret;
}
