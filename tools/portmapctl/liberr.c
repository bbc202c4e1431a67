// SPDX-License-Identifier: GPL-2.0
/*
 * portmapctl library: the reason of the last failure, and address checks.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "lib.h"

static char err_text[512];
static enum pm_src err_src;
bool pm_lib_not_loaded_flag;

const char *pm_lib_error(void)
{
	return err_text;
}

enum pm_src pm_lib_error_src(void)
{
	return err_src;
}

bool pm_lib_not_loaded(void)
{
	return pm_lib_not_loaded_flag;
}

void pm_lib_set_error(enum pm_src src, const char *fmt, ...)
{
	va_list ap;

	err_src = src;
	if (!fmt) {
		err_text[0] = '\0';
		return;
	}
	va_start(ap, fmt);
	vsnprintf(err_text, sizeof(err_text), fmt, ap);
	va_end(ap);
	err_text[strcspn(err_text, "\n")] = '\0';
}

size_t pm_addr_len(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

const char *pm_addr_unusable(int family, const union pm_addr *a)
{
	if (family == AF_INET) {
		const unsigned char *b = (const unsigned char *)&a->v4;

		if (b[0] >= 224 && b[0] <= 239)
			return "multicast";
		if (b[0] == 127)
			return "loopback";
		if (!b[0] && !b[1] && !b[2] && !b[3])
			return "unspecified";
		if (b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255)
			return "broadcast";
		if (b[0] == 169 && b[1] == 254)
			return "link-local";
		return NULL;
	}
	if (family == AF_INET6) {
		const struct in6_addr *v6 = &a->v6;

		if (IN6_IS_ADDR_MULTICAST(v6))
			return "multicast";
		if (IN6_IS_ADDR_LOOPBACK(v6))
			return "loopback";
		if (IN6_IS_ADDR_UNSPECIFIED(v6))
			return "unspecified";
		if (IN6_IS_ADDR_V4MAPPED(v6))
			return "IPv4-mapped IPv6";
		if (IN6_IS_ADDR_LINKLOCAL(v6))
			return "link-local";
		return NULL;
	}
	return NULL;
}
