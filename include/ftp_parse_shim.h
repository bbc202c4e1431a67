/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The whole of what ftp_parse.c takes from its surroundings: fixed-width
 * types and a size type, from the kernel or from the C library.
 */
#ifndef FTP_PARSE_SHIM_H
#define FTP_PARSE_SHIM_H

#ifdef __KERNEL__
#include <linux/types.h>
typedef u8 fp_u8;
typedef u16 fp_u16;
typedef u32 fp_u32;
typedef u64 fp_u64;
#define fp_size size_t
#else
#include <stddef.h>
#include <stdint.h>
typedef uint8_t fp_u8;
typedef uint16_t fp_u16;
typedef uint32_t fp_u32;
typedef uint64_t fp_u64;
#define fp_size size_t
#endif

#endif /* FTP_PARSE_SHIM_H */
