// SPDX-License-Identifier: GPL-2.0
/*
 * portmapctl save | restore [--check] FILE | check [FILE]
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "portmapctl.h"

const char save_usage[] =
"Usage: portmapctl save > FILE\n"
"Prints the whole configuration of this network namespace - settings,\n"
"mappings, nat-server rules - in the form 'portmapctl restore' reads:\n"
"one command a line ('config set', 'map add', 'nat-server add').\n";

const char restore_usage[] =
"Usage: portmapctl restore [--check] FILE|-\n"
"Makes this namespace hold exactly the configuration of FILE (written by\n"
"'portmapctl save'), as one unit: all of it or, on a failure, nothing\n"
"(the previous state stays).  Idempotent; repairs drift.  --check only\n"
"validates: the file, the table size, the nftables script.\n";

const char check_usage[] =
"Usage: portmapctl [-j [-p]] check [FILE]\n"
"Reports drift: an ftp nat-server rule whose mapping is missing, a rule\n"
"partly deleted from nftables, rules or objects added by hand in table\n"
"inet ftp_portmap, rules that shadow each other, an iif that does not\n"
"exist (inactive); with FILE also what differs from that saved\n"
"configuration.  Exit status 1 when there is any.\n";

/* The whole of @path ("-": stdin), malloc'd; NULL with errno. */
static char *slurp(const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	int err;

	if (!f)
		return NULL;
	for (;;) {
		if (cap - len < 4096) {
			char *b = realloc(buf, cap ? cap * 2 : 8192);

			if (!b) {
				err = ENOMEM;
				goto fail;
			}
			buf = b;
			cap = cap ? cap * 2 : 8192;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		err = EIO;
		goto fail;
	}
	if (memchr(buf, '\0', len)) {
		err = EINVAL;
		goto fail;
	}
	buf[len] = '\0';
	if (f != stdin)
		fclose(f);
	return buf;
fail:
	free(buf);
	if (f != stdin)
		fclose(f);
	errno = err;
	return NULL;
}

/* Read and parse a saved file; 0 or the exit code (printed). */
static int load(const char *what, const char *path, struct pm_state *s)
{
	char *text = slurp(path);
	int err;

	if (!text) {
		pm_err("%s: %s: %s", what, path, strerror(errno));
		return PM_EXIT_FAIL;
	}
	err = pm_state_parse(text, s);
	free(text);
	if (err) {
		if (err == -EINVAL)
			pm_err("%s: %s: %s", what, path, pm_lib_error());
		else
			pm_err("%s: %s: %s", what, path, strerror(-err));
		return PM_EXIT_FAIL;
	}
	return 0;
}

int do_save(int argc, char **argv)
{
	struct pm_state s;
	char *text;

	if (argc > 0) {
		if (pm_is_help(argv[0])) {
			fputs(save_usage, stdout);
			return PM_EXIT_OK;
		}
		return pm_usage_err("save: unexpected argument '%s'", argv[0]);
	}
	if (pm_state_read(&s))
		return pm_fail("save");
	text = pm_state_format(&s);
	pm_state_free(&s);
	if (!text) {
		pm_err("save: %s", strerror(ENOMEM));
		return PM_EXIT_FAIL;
	}
	fputs(text, stdout);
	free(text);
	return PM_EXIT_OK;
}

int do_restore(int argc, char **argv)
{
	const char *path = NULL;
	struct pm_state want;
	struct pm_plan plan;
	bool check = false;
	int i, ret, lock;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--check") || !strcmp(argv[i], "-c") ||
		    !strcmp(argv[i], "check"))
			check = true;
		else if (pm_is_help(argv[i])) {
			fputs(restore_usage, stdout);
			return PM_EXIT_OK;
		} else if (path)
			return pm_usage_err("restore: unexpected argument '%s'",
					    argv[i]);
		else
			path = argv[i];
	}
	if (!path)
		return pm_usage_err("restore: missing FILE ('-' for standard input)");
	ret = load("restore", path, &want);
	if (ret)
		return ret;
	lock = pm_lock();
	if (pm_state_apply(&want, check ? PM_APPLY_CHECK : 0, &plan)) {
		ret = pm_fail("restore %s%s", check ? "--check " : "", path);
		if (!check)
			pm_err("restore %s: nothing changed", path);
	} else if (check) {
		size_t adds = 0, k;

		for (k = 0; k < plan.nops; k++)
			adds += plan.ops[k].add;
		printf("%s: valid; restoring would add %zu and delete %zu mapping(s), %s the settings, %s the nat-server rules\n",
		       path, adds, plan.nops - adds,
		       plan.config_change ? "change" : "keep",
		       plan.nft_change ? "rewrite" : "keep");
	}
	pm_unlock(lock);
	pm_plan_free(&plan);
	pm_state_free(&want);
	return ret;
}

int do_check(int argc, char **argv)
{
	struct pm_state cur, want;
	struct pm_drift d;
	const char *path = NULL;
	json_t *o, *a;
	size_t i, n;
	int ret;

	if (argc > 0 && pm_is_help(argv[0])) {
		fputs(check_usage, stdout);
		return PM_EXIT_OK;
	}
	if (argc > 1)
		return pm_usage_err("check: unexpected argument '%s'", argv[1]);
	if (argc == 1) {
		path = argv[0];
		ret = load("check", path, &want);
		if (ret)
			return ret;
	}
	if (pm_state_read(&cur)) {
		ret = pm_fail("check");
		if (path)
			pm_state_free(&want);
		return ret;
	}
	n = pm_state_drift(&cur, path ? &want : NULL, &d);
	if (pm_json) {
		o = json_object();
		a = json_array();
		for (i = 0; i < d.n; i++)
			json_array_append_new(a, json_pack("{ssss}", "kind",
							   d.v[i].kind, "what",
							   d.v[i].what));
		json_object_set_new(o, "ok", json_boolean(n == 0));
		json_object_set_new(o, "drift", a);
		pm_json_print(o);
	} else if (n == 0) {
		puts("ok: no drift");
	} else {
		for (i = 0; i < d.n; i++)
			printf("%s: %s\n", d.v[i].kind, d.v[i].what);
	}
	pm_drift_free(&d);
	pm_state_free(&cur);
	if (path)
		pm_state_free(&want);
	return n ? PM_EXIT_FAIL : PM_EXIT_OK;
}
