// SPDX-License-Identifier: GPL-2.0
/*
 * portmapctl - error messages and argument parsing: ports, numbers,
 * addresses, switches.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>

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
	fputs("Try 'portmapctl help'.\n", stderr);
	return PM_EXIT_USAGE;
}

bool pm_matches(const char *arg, const char *const *words)
{
	for (; *words; words++)
		if (!strcmp(arg, *words))
			return true;
	return false;
}

/* Decimal digits only (no sign, space, prefix), at most 10 of them. */
static int parse_decimal(const char *s, uint64_t *val)
{
	uint64_t v = 0;
	size_t n;

	n = strlen(s);
	if (n == 0 || n > 10 || strspn(s, "0123456789") != n)
		return -1;
	for (; *s; s++)
		v = v * 10 + (uint64_t)(*s - '0');
	*val = v;
	return 0;
}

int pm_parse_port(const char *s, uint16_t *port)
{
	uint64_t v;

	if (parse_decimal(s, &v) || v < 1 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

int pm_parse_u32(const char *s, uint32_t *val)
{
	uint64_t v;

	if (parse_decimal(s, &v) || v > UINT32_MAX)
		return -1;
	*val = (uint32_t)v;
	return 0;
}

int pm_parse_addr(const char *s, int *family, union pm_addr *addr)
{
	memset(addr, 0, sizeof(*addr));
	if (inet_pton(AF_INET, s, &addr->v4) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &addr->v6) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -1;
}

int pm_parse_bool(const char *s, bool *val)
{
	static const char *const yes[] = { "on", "yes", "true", "1", NULL };
	static const char *const no[] = { "off", "no", "false", "0", NULL };

	if (pm_matches(s, yes))
		*val = true;
	else if (pm_matches(s, no))
		*val = false;
	else
		return -1;
	return 0;
}

int pm_parse_key(int argc, char **argv, uint16_t *port, int *family,
		 union pm_addr *addr)
{
	static const char *const host_kw[] = { "host", "server", NULL };

	*family = 0;
	memset(addr, 0, sizeof(*addr));

	if (argc < 1)
		return pm_usage_err("missing PORT");
	if (pm_parse_port(argv[0], port))
		return pm_usage_err("invalid port '%s' (expected 1..65535)",
				    argv[0]);
	if (argc == 1)
		return 0;
	if (!pm_matches(argv[1], host_kw))
		return pm_usage_err("unexpected argument '%s'", argv[1]);
	if (argc < 3)
		return pm_usage_err("'%s' needs an address", argv[1]);
	if (pm_parse_addr(argv[2], family, addr))
		return pm_usage_err("invalid address '%s'", argv[2]);
	if (argc > 3)
		return pm_usage_err("unexpected argument '%s'", argv[3]);
	return 0;
}

const char *pm_addr_str(int family, const void *addr, char *buf,
			size_t len)
{
	if (family != AF_INET && family != AF_INET6) {
		snprintf(buf, len, "*");
		return buf;
	}
	if (!inet_ntop(family, addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}
