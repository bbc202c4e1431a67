/* SPDX-License-Identifier: GPL-2.0 */
/*
 * portmapctl - shared declarations of the command files (argument parsing
 * and printing only; the kernel interfaces are in lib.h).
 *
 * Conventions every command follows:
 *   - do_OBJECT(argc, argv) gets the arguments after the object name and
 *     returns the exit code: PM_EXIT_OK, PM_EXIT_FAIL (the operation
 *     failed or found a problem; the reason is printed) or PM_EXIT_USAGE.
 *   - every error goes to stderr as "portmapctl: WHAT: REASON", WHAT being
 *     the command ("map add 6293", "nat-server add"), REASON the
 *     kernel's message, nftables' message or our own; usage errors end
 *     with a hint at the object's help.
 *   - pm_json / pm_pretty are set by --json/-j and -p/--pretty.
 */
#ifndef PORTMAPCTL_H
#define PORTMAPCTL_H

#include <stdbool.h>
#include <stdio.h>
#include <jansson.h>

#include "lib.h"
#include "parse.h"

#define PM_VERSION	"0.1.0"

#define PM_EXIT_OK	0
#define PM_EXIT_FAIL	1
#define PM_EXIT_USAGE	2

#define PM_FMT(a, b)	__attribute__((format(printf, a, b)))

/* portmapctl.c */
extern bool pm_json, pm_pretty;
/* The object being run, for the help hint of usage errors. */
extern const char *pm_object;

/* util.c */
/* "portmapctl: <message>\n" on stderr. */
void pm_err(const char *fmt, ...) PM_FMT(1, 2);
/* pm_err() plus "Try 'portmapctl help OBJECT'."; returns PM_EXIT_USAGE. */
int pm_usage_err(const char *fmt, ...) PM_FMT(1, 2);
/* "portmapctl: WHAT: <pm_lib_error()>"; returns PM_EXIT_FAIL. */
int pm_fail(const char *what_fmt, ...) PM_FMT(1, 2);
/* True when @arg is one of the words of a NULL-terminated list. */
bool pm_matches(const char *arg, const char *const *words);
/* Print @v (compact, or indented with -p) and a newline; takes @v. */
void pm_json_print(json_t *v);
/* A JSON string of an address, or null for family 0. */
json_t *pm_json_addr(int family, const void *addr);
/* Help words: "help", "-h", "--help". */
bool pm_is_help(const char *arg);

/* The commands. */
int do_map(int argc, char **argv);
int do_stats(int argc, char **argv);
int do_config(int argc, char **argv);
int do_nat_server(int argc, char **argv);
int do_conn(int argc, char **argv);
int do_save(int argc, char **argv);
int do_restore(int argc, char **argv);
int do_check(int argc, char **argv);
int do_version(int argc, char **argv);

/* Per-object help texts (portmapctl.c prints them for "help OBJECT"). */
extern const char map_usage[], stats_usage[], config_usage[], ns_usage[],
	conn_usage[], save_usage[], restore_usage[], check_usage[];

/* nat_server.c: the lock that serialises changes of the table. */
int pm_lock(void);
void pm_unlock(int fd);
/* Status words of a rule's drift bits ("ok" when none). */
const char *pm_drift_status(unsigned int bits, char *buf, size_t len);

#endif /* PORTMAPCTL_H */
