/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat.h - every kernel-version difference the module meets, in one
 * place.  Built and tested on Debian's 6.1 and 6.12 (tests/vm: both are
 * booted by make check); the branches for 5.10 .. 6.0 follow the upstream
 * API changes named beside them and are not built here.
 */
#ifndef FPM_COMPAT_H
#define FPM_COMPAT_H

#include <net/genetlink.h>
#include <net/netfilter/nf_conntrack_expect.h>

/*
 * Keyed on the target kernel's version: Kbuild passes FPM_KERNEL, made of
 * the same VERSION and PATCHLEVEL as that tree's LINUX_VERSION_CODE (0x0601
 * for 6.1; the sublevel is left out, API changes come with a patch level).
 * Comparing LINUX_VERSION_CODE itself is what checkpatch warns against.
 */
#ifndef FPM_KERNEL
#error "FPM_KERNEL is not set: build through Kbuild"
#endif
#define FPM_KV(v, p)	(((v) << 8) | (p))
/* True when building for kernel v.p or later. */
#define FPM_SINCE(v, p)	(FPM_KV(v, p) <= (FPM_KERNEL))

/*
 * Generic netlink: 6.1 added genl_family.resv_start_op; left at zero (as
 * new families should) every op is validated strictly, which is what 5.10
 * to 6.0 do for ops without GENL_DONT_VALIDATE_* flags.  Not handled: an
 * op without a policy (MAP_FLUSH, STATS_*, CONFIG_GET) gets the core's
 * reject-everything policy only from 6.1 on; before, its attributes are
 * ignored.
 */

/* 6.0 added NL_REQ_ATTR_CHECK(); before it, the plain test. */
#ifndef NL_REQ_ATTR_CHECK
#define NL_REQ_ATTR_CHECK(extack, nest, tb, type)	(!(tb)[(type)])
#endif

/* 5.16 added u64_stats_set(). */
#if !FPM_SINCE(5, 16)
#include <linux/u64_stats_sync.h>
#if BITS_PER_LONG == 64
#define u64_stats_set(p, val)	local64_set(&(p)->v, (val))
#else
#define u64_stats_set(p, val)	((p)->v = (val))
#endif
#endif

/* 6.2 renamed prandom_u32_max() to get_random_u32_below(). */
#if FPM_SINCE(6, 2)
#define fpm_random_below(n)	get_random_u32_below(n)
#else
#define fpm_random_below(n)	prandom_u32_max(n)
#endif

/*
 * 6.0 dropped the unconfirmed list and made nf_ct_iterate_cleanup_net()
 * take a struct nf_ct_iter_data; only module exit iterates, through
 * nf_ct_iterate_destroy(), whose signature did not change since 4.14.
 */

/* 6.10 dropped the source argument of __assign_str() in trace events. */
#if FPM_SINCE(6, 10)
#define fpm_assign_str(field, src)	__assign_str(field)
#else
#define fpm_assign_str(field, src)	__assign_str(field, src)
#endif

/*
 * Expectation helpers.  Kernels with nf_conntrack_expect.assign_helper
 * (6.1.y stable and 6.12 have it; detected by Kbuild, see
 * FPM_HAVE_EXP_ASSIGN_HELPER there, because stable backports make the
 * version number useless) keep in exp->helper the master's helper, which
 * names the expectation (ctnetlink, conntrackd) and lets unregistration
 * remove it, and give the data connection exp->assign_helper (NULL: data
 * connections are not FTP control streams).  Older kernels give the data
 * connection exp->helper itself, so it must be NULL there.
 */
static inline void fpm_compat_exp_init(struct nf_conntrack_expect *exp)
{
#ifndef FPM_HAVE_EXP_ASSIGN_HELPER
	RCU_INIT_POINTER(exp->helper, NULL);
#endif
}

/*
 * 6.12 (devmem TCP) added fragments in device memory that the host cannot
 * read, flagged per skb; before, every fragment is readable.
 */
#if FPM_SINCE(6, 12)
#define fpm_skb_frags_readable(skb)	skb_frags_readable(skb)
#else
#define fpm_skb_frags_readable(skb)	true
#endif

#endif /* FPM_COMPAT_H */
