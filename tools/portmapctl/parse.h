/* SPDX-License-Identifier: GPL-2.0 */
/*
 * portmapctl - parsing of the command words, shared by the command line,
 * batch files and saved configurations.  Nothing here prints: a parser
 * returns NULL or the reason, in the caller's buffer.
 */
#ifndef PORTMAPCTL_PARSE_H
#define PORTMAPCTL_PARSE_H

#include "lib.h"

/* Strict decimal 1..65535; 0 on success, -1 otherwise. */
int pm_parse_port(const char *s, uint16_t *port);
/* Strict decimal 0..UINT32_MAX; 0 on success, -1 otherwise. */
int pm_parse_u32(const char *s, uint32_t *val);
/* IPv4 then IPv6 literal; sets *family to AF_INET/AF_INET6. 0 or -1. */
int pm_parse_addr(const char *s, int *family, union pm_addr *addr);
/* "on"/"off" (also yes/no, true/false, 1/0); 0 or -1. */
int pm_parse_bool(const char *s, bool *val);
/* Text form of an address ("*" for family 0). */
const char *pm_addr_str(int family, const void *addr, char *buf,
			size_t len);

/*
 * "PORT [host ADDR]".  With @for_add, addresses that can never be a
 * server's are refused too (del/show take any, to remove old ones).
 */
const char *pm_parse_key(int argc, char **argv, struct pm_map_key *k,
			 bool for_add, char *err, size_t len);
/* "PROTO global ADDR|iif IFNAME PORTS inside ADDR PORTS [ftp]" */
const char *pm_parse_rule(int argc, char **argv, struct pm_ns_rule *r,
			  char *err, size_t len);
/* "[strict on|off] [max-expect N]" (at least one) */
const char *pm_parse_config(int argc, char **argv, struct pm_config_set *c,
			    char *err, size_t len);
/* Split @line into words (in place); -1 when more than @max. */
int pm_split(char *line, char **argv, int max);
/* "map add 6293 host 10.0.0.1" style description of a key. */
void pm_key_describe(const struct pm_map_key *k, char *buf, size_t len);

#endif /* PORTMAPCTL_PARSE_H */
