// SPDX-License-Identifier: GPL-2.0
/*
 * Not a module to load: compiled by kbuild exactly like ftp_portmap.ko
 * (same kernel headers, flags and the module's own src/helper.h), so that
 * the size of every array below, read back with `nm -S`, is the exact
 * sizeof of the structure it is named after.  tests/bench/Makefile
 * target `sizeof`.
 */
#include <linux/module.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_helper.h>
#include <net/netfilter/nf_conntrack_expect.h>
#include <linux/netfilter/nf_conntrack_ftp.h>

#include "helper.h"

#define PROBE(name, type) \
	char fpm_sizeof_##name[sizeof(type)] __used

PROBE(fpm_conn, struct fpm_conn);
PROBE(fs_conn, struct fs_conn);
PROBE(fs_dir, struct fs_dir);
PROBE(fs_rw, struct fs_rw);
PROBE(fpm_help_data, struct fpm_help_data);
PROBE(nf_conn, struct nf_conn);
PROBE(nf_conn_help, struct nf_conn_help);
PROBE(nf_ct_ftp_master, struct nf_ct_ftp_master);
PROBE(nf_conntrack_expect, struct nf_conntrack_expect);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("sizeof probe for the ftp-portmap memory benchmark");
