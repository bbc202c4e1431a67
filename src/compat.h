/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat.h - every kernel-version difference the module meets, in one
 * place.  Built and tested on 6.1; the branches for 5.10 .. 6.12+ follow
 * the upstream API changes named beside them.
 */
#ifndef FPM_COMPAT_H
#define FPM_COMPAT_H

#include <net/genetlink.h>

/*
 * Kbuild passes the target kernel's version and patch level (see Kbuild):
 * FPM_KERNEL is 0x0601 for 6.1.
 */
#ifndef FPM_KERNEL
#error "FPM_KERNEL is not set: build through Kbuild"
#endif
#define FPM_KV(v, p)	(((v) << 8) | (p))
/* True when building for kernel v.p or later. */
#define FPM_SINCE(v, p)	(FPM_KV(v, p) <= (FPM_KERNEL))

/*
 * 6.1: genl_family.resv_start_op makes the core reject unknown header
 * bits and attributes of every op below it; older kernels validate
 * strictly per op through GENL_DONT_VALIDATE_* not being set.
 */
#if FPM_SINCE(6, 1)
#define FPM_GENL_RESV_START_OP(op)	.resv_start_op = (op),
#else
#define FPM_GENL_RESV_START_OP(op)
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

#endif /* FPM_COMPAT_H */
