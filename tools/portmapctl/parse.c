// SPDX-License-Identifier: GPL-2.0
/*
 * portmapctl - parsing of ports, numbers, addresses, switches, mapping
 * keys, nat-server rules and settings.  No output.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "parse.h"

static const char *say(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static const char *say(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return err;
}

static bool matches(const char *arg, const char *const *words)
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

	if (matches(s, yes))
		*val = true;
	else if (matches(s, no))
		*val = false;
	else
		return -1;
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

/* An address that can be a server's; else the reason in @err. */
static const char *usable(const char *what, const char *s, int family,
			  const union pm_addr *a, char *err, size_t len)
{
	const char *why = pm_addr_unusable(family, a);

	if (!why)
		return NULL;
	if (!strcmp(why, "IPv4-mapped IPv6"))
		return say(err, len, "%s %s is IPv4-mapped IPv6: use the IPv4 address itself",
			   what, s);
	if (!strcmp(why, "link-local"))
		return say(err, len, "%s %s is link-local: it needs a zone, and mappings and NAT rules have none",
			   what, s);
	return say(err, len, "%s %s is %s: it can never be a server's address",
		   what, s, why);
}

const char *pm_parse_key(int argc, char **argv, struct pm_map_key *k,
			 bool for_add, char *err, size_t len)
{
	static const char *const host_kw[] = { "host", "server", NULL };

	memset(k, 0, sizeof(*k));
	if (argc < 1)
		return say(err, len, "missing PORT");
	if (pm_parse_port(argv[0], &k->port))
		return say(err, len, "invalid port '%s' (expected 1..65535)",
			   argv[0]);
	if (argc == 1)
		return NULL;
	if (!matches(argv[1], host_kw))
		return say(err, len, "unexpected argument '%s'", argv[1]);
	if (argc < 3)
		return say(err, len, "'%s' needs an address", argv[1]);
	if (pm_parse_addr(argv[2], &k->family, &k->host))
		return say(err, len, "invalid address '%s'", argv[2]);
	if (argc > 3)
		return say(err, len, "unexpected argument '%s'", argv[3]);
	if (for_add)
		return usable("host address", argv[2], k->family, &k->host,
			      err, len);
	return NULL;
}

static const char *parse_ports(const char *s, uint16_t *lo, uint16_t *hi,
			       char *err, size_t len)
{
	char tmp[16];
	char *dash;

	if (strlen(s) >= sizeof(tmp))
		goto bad;
	strcpy(tmp, s);
	dash = strchr(tmp, '-');
	if (dash)
		*dash = '\0';
	if (pm_parse_port(tmp, lo))
		goto bad;
	*hi = *lo;
	if (dash && pm_parse_port(dash + 1, hi))
		goto bad;
	if (*lo > *hi)
		return say(err, len, "port range '%s' runs backwards", s);
	return NULL;
bad:
	return say(err, len, "invalid port '%s' (expected PORT or PORT-PORT, 1..65535)",
		   s);
}

const char *pm_parse_rule(int argc, char **argv, struct pm_ns_rule *r,
			  char *err, size_t len)
{
	const char *gstr = NULL, *istr, *e;
	int i = 0, gfam = 0;

	memset(r, 0, sizeof(*r));
	if (argc < 1)
		return say(err, len, "missing protocol (tcp or udp)");
	if (!strcmp(argv[i], "tcp"))
		r->proto = IPPROTO_TCP;
	else if (!strcmp(argv[i], "udp"))
		r->proto = IPPROTO_UDP;
	else
		return say(err, len, "unknown protocol '%s' (tcp or udp)",
			   argv[i]);
	i++;

	if (i < argc && !strcmp(argv[i], "global") && i + 1 < argc &&
	    !strcmp(argv[i + 1], "iif"))
		i++;		/* "global iif IFNAME" reads as "iif IFNAME" */
	if (i >= argc)
		return say(err, len, "missing 'global ADDR' or 'iif IFNAME'");
	if (!strcmp(argv[i], "global")) {
		if (i + 1 >= argc)
			return say(err, len, "'global' needs an address");
		gstr = argv[i + 1];
		if (pm_parse_addr(gstr, &gfam, &r->global))
			return say(err, len, "invalid address '%s'", gstr);
	} else if (!strcmp(argv[i], "iif")) {
		if (i + 1 >= argc)
			return say(err, len, "'iif' needs an interface name");
		if (!pm_ns_valid_ifname(argv[i + 1]))
			return say(err, len, "invalid interface name '%s'",
				   argv[i + 1]);
		r->by_iif = true;
		strcpy(r->iif, argv[i + 1]);
	} else {
		return say(err, len, "expected 'global ADDR' or 'iif IFNAME', not '%s'",
			   argv[i]);
	}
	i += 2;

	if (i >= argc)
		return say(err, len, "missing global port");
	e = parse_ports(argv[i++], &r->glo, &r->ghi, err, len);
	if (e)
		return e;

	if (i >= argc || strcmp(argv[i], "inside"))
		return say(err, len, "missing 'inside ADDR PORT'");
	if (i + 1 >= argc)
		return say(err, len, "'inside' needs an address");
	istr = argv[i + 1];
	if (pm_parse_addr(istr, &r->family, &r->inside))
		return say(err, len, "invalid address '%s'", istr);
	i += 2;
	if (i >= argc)
		return say(err, len, "missing inside port");
	e = parse_ports(argv[i++], &r->ilo, &r->ihi, err, len);
	if (e)
		return e;

	if (i < argc && !strcmp(argv[i], "ftp")) {
		r->ftp = true;
		i++;
	}
	if (i < argc)
		return say(err, len, "unexpected argument '%s'", argv[i]);

	if (gfam && gfam != r->family)
		return say(err, len, "global address %s is %s but inside address %s is %s: both must be of one family",
			   gstr, gfam == AF_INET ? "IPv4" : "IPv6", istr,
			   r->family == AF_INET ? "IPv4" : "IPv6");
	if (r->ghi - r->glo != r->ihi - r->ilo)
		return say(err, len, "port ranges differ in length: global %u-%u has %u ports, inside %u-%u has %u",
			   r->glo, r->ghi, r->ghi - r->glo + 1, r->ilo, r->ihi,
			   r->ihi - r->ilo + 1);
	if (r->ftp && r->proto != IPPROTO_TCP)
		return say(err, len, "'ftp' needs protocol tcp");
	if (r->ftp && r->ilo != r->ihi)
		return say(err, len, "'ftp' needs a single port (the FTP control port), not a range");
	if (gstr) {
		e = usable("global address", gstr, r->family, &r->global, err,
			   len);
		if (e)
			return e;
	}
	return usable("inside address", istr, r->family, &r->inside, err, len);
}

const char *pm_parse_config(int argc, char **argv, struct pm_config_set *c,
			    char *err, size_t len)
{
	int i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < argc; i += 2) {
		const char *kw = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(kw, "strict")) {
			if (c->have_strict)
				return say(err, len, "'strict' given twice");
			if (!val || pm_parse_bool(val, &c->strict))
				return say(err, len, "strict needs 'on' or 'off'");
			c->have_strict = true;
		} else if (!strcmp(kw, "max-expect") ||
			   !strcmp(kw, "max_expect")) {
			if (c->have_max_expect)
				return say(err, len, "'max-expect' given twice");
			if (!val || pm_parse_u32(val, &c->max_expect))
				return say(err, len, "max-expect needs a number");
			c->have_max_expect = true;
		} else {
			return say(err, len, "unknown setting '%s'", kw);
		}
	}
	if (!c->have_strict && !c->have_max_expect)
		return say(err, len, "nothing to set (strict on|off, max-expect N)");
	return NULL;
}

int pm_split(char *line, char **argv, int max)
{
	char *save = NULL, *tok;
	int n = 0;

	for (tok = strtok_r(line, " \t\r\n", &save); tok;
	     tok = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == 0 && tok[0] == '#')
			break;
		if (n == max)
			return -1;
		argv[n++] = tok;
	}
	argv[n] = NULL;
	return n;
}

void pm_key_describe(const struct pm_map_key *k, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (k->family)
		snprintf(buf, len, "%u host %s", k->port,
			 pm_addr_str(k->family, &k->host, host, sizeof(host)));
	else
		snprintf(buf, len, "%u", k->port);
}
