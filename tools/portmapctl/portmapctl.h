/* SPDX-License-Identifier: GPL-2.0 */
/*
 * portmapctl - shared declarations of the subcommands.
 *
 * Conventions every subcommand follows:
 *   - do_OBJECT(argc, argv) gets the arguments after the object name and
 *     returns the process exit code: PM_EXIT_OK, PM_EXIT_FAIL (the
 *     operation failed, the reason is printed) or PM_EXIT_USAGE.
 *   - errors go to stderr through pm_err()/pm_usage_err(), prefixed
 *     "portmapctl: ".
 *   - pm_json is set when --json/-j was given anywhere on the line.
 */
#ifndef PORTMAPCTL_H
#define PORTMAPCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>
#include <linux/netlink.h>

#include "../../include/uapi/ftp_portmap.h"

#define PM_VERSION	"0.1.0"

#define PM_EXIT_OK	0
#define PM_EXIT_FAIL	1
#define PM_EXIT_USAGE	2

#define PM_FMT(a, b)	__attribute__((format(printf, a, b)))

/* portmapctl.c */
extern bool pm_json;

/* util.c */
/* "portmapctl: <message>\n" on stderr. */
void pm_err(const char *fmt, ...) PM_FMT(1, 2);
/* pm_err() plus a pointer to "portmapctl help"; returns PM_EXIT_USAGE. */
int pm_usage_err(const char *fmt, ...) PM_FMT(1, 2);
/* True when @arg is one of the words of a NULL-terminated list. */
bool pm_matches(const char *arg, const char *const *words);

union pm_addr {
	struct in_addr v4;
	struct in6_addr v6;
};

/* Strict decimal 1..65535; 0 on success, -1 otherwise. */
int pm_parse_port(const char *s, uint16_t *port);
/* Strict decimal 0..UINT32_MAX; 0 on success, -1 otherwise. */
int pm_parse_u32(const char *s, uint32_t *val);
/* IPv4 then IPv6 literal; sets *family to AF_INET/AF_INET6. 0 or -1. */
int pm_parse_addr(const char *s, int *family, union pm_addr *addr);
/* "on"/"off" (also yes/no, true/false, 1/0); 0 or -1. */
int pm_parse_bool(const char *s, bool *val);
/*
 * Parse "PORT [host ADDR]" from argv; *family is 0 when no host was
 * given.  Prints the problem and returns PM_EXIT_USAGE on bad input.
 */
int pm_parse_key(int argc, char **argv, uint16_t *port, int *family,
		 union pm_addr *addr);
/* Text form of an address ("*" for family 0). */
const char *pm_addr_str(int family, const void *addr, char *buf,
			size_t len);

/* json.c */
/* @s as a JSON string literal, quotes included. */
void json_str(FILE *f, const char *s);
/* "key": (with the leading comma when !*first), for objects. */
void json_key(FILE *f, const char *key, bool *first);

/* netlink.c: one request at a time on a generic netlink socket. */
struct pm_nl;
typedef int (*pm_nl_cb_t)(const struct nlmsghdr *nlh, void *data);

/*
 * Open a socket and resolve the ftp_portmap family.  Returns NULL on
 * failure with the reason kept for pm_nl_report().
 */
struct pm_nl *pm_nl_open(void);
void pm_nl_close(struct pm_nl *h);
/* Start a request for @cmd in the socket's buffer (flags: NLM_F_*). */
struct nlmsghdr *pm_nl_msg(struct pm_nl *h, uint8_t cmd, uint16_t flags);
/*
 * Send @nlh and process replies until the ack (or NLMSG_DONE for a
 * dump), calling @cb for each data message.  0, or -errno with the
 * kernel's extack message kept for pm_nl_report().
 */
int pm_nl_talk(struct pm_nl *h, struct nlmsghdr *nlh, pm_nl_cb_t cb,
	       void *data);
/* The extack message of the last failure, or NULL. */
const char *pm_nl_errmsg(void);
/*
 * Print why the last request failed (err is its -errno): "module
 * ftp_portmap not loaded", "permission denied", else "@what: <kernel
 * message or strerror>".  Returns PM_EXIT_FAIL.
 */
int pm_nl_report(int err, const char *what);
/* Start a request with PORT [FAMILY HOST] attributes. */
struct nlmsghdr *pm_nl_key_msg(struct pm_nl *h, uint8_t cmd, uint16_t port,
			       int family, const void *host);
/* True when the last pm_nl_open() failed because the family is absent. */
bool pm_nl_not_loaded(void);

/* map.c */
/*
 * Add the mapping (port, host); family 0 and host NULL for any host.
 * Returns 0 or -errno and prints nothing: report with pm_nl_report().
 */
int pm_map_add(uint16_t port, int family, const void *host);
int do_map(int argc, char **argv);

/* stats.c */
int do_stats(int argc, char **argv);

/* config.c */
struct pm_config {
	bool strict;
	uint32_t max_expect;
	uint32_t map_count;
	uint32_t map_max;
	char version[64];	/* the module's */
};

/* CONFIG_GET: 0 or -errno (report with pm_nl_report()). */
int pm_config_get(struct pm_config *cfg);
int pm_config_map_max(uint32_t *max);
int do_config(int argc, char **argv);

/* version.c */
int do_version(int argc, char **argv);

/* nat_server.c (maintained separately) */
int do_nat_server(int argc, char **argv);

#endif /* PORTMAPCTL_H */
