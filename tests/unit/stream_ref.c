// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The engine (src/ftp_stream.c) compiled a second time with its
 * word-at-a-time line loops left out (FP_WORD_ORDER 0: fs_lines() takes
 * no line, every line goes through the line-at-a-time path of fs_parse()):
 * the reference of unit_stream's differential case.  Its exported
 * functions are renamed ref_*; the host functions are shared.
 */
#include "ftp_parse.h"

#undef FP_WORD_ORDER
#define FP_WORD_ORDER	0

#define fs_event_name	ref_fs_event_name
#define fs_pickup	ref_fs_pickup
#define fs_edit_text	ref_fs_edit_text
#define fs_rw_pos	ref_fs_rw_pos
#define fs_start	ref_fs_start
#define fs_segment	ref_fs_segment
#define fs_release	ref_fs_release

#include "../../src/ftp_stream.c"
