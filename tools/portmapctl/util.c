// SPDX-License-Identifier: GPL-2.0
/*
 * portmapctl - error messages and JSON output.
 */
#include <stdarg.h>
#include <string.h>

#include "portmapctl.h"

static void vpm_err(const char *fmt, va_list ap)
{
	fputs("portmapctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void pm_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vpm_err(fmt, ap);
	va_end(ap);
}

int pm_usage_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vpm_err(fmt, ap);
	va_end(ap);
	if (pm_object)
		fprintf(stderr, "Try 'portmapctl help %s'.\n", pm_object);
	else
		fputs("Try 'portmapctl help'.\n", stderr);
	return PM_EXIT_USAGE;
}

int pm_fail(const char *what_fmt, ...)
{
	va_list ap;
	const char *why = pm_lib_error();

	fputs("portmapctl: ", stderr);
	va_start(ap, what_fmt);
	vfprintf(stderr, what_fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", why && *why ? why : "failed");
	return PM_EXIT_FAIL;
}

bool pm_matches(const char *arg, const char *const *words)
{
	for (; *words; words++)
		if (!strcmp(arg, *words))
			return true;
	return false;
}

bool pm_is_help(const char *arg)
{
	static const char *const help[] = { "help", "-h", "--help", NULL };

	return pm_matches(arg, help);
}

void pm_json_print(json_t *v)
{
	size_t flags = pm_pretty ? JSON_INDENT(2) : JSON_COMPACT;

	if (!v) {
		pm_err("out of memory");
		return;
	}
	json_dumpf(v, stdout, flags | JSON_ENCODE_ANY);
	fputc('\n', stdout);
	json_decref(v);
}

json_t *pm_json_addr(int family, const void *addr)
{
	char buf[64];

	if (family != AF_INET && family != AF_INET6)
		return json_null();
	return json_string(pm_addr_str(family, addr, buf, sizeof(buf)));
}
