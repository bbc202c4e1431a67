// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * libFuzzer harness of src/ftp_stream.c, the control-stream engine.
 *
 * The input drives every random choice of the session harness shared with
 * the unit test (tests/unit/stream_sim.h): the addresses, the direction,
 * NAT, the lines of the session, the sender's segment sizes, the
 * retransmissions (from any offset), duplicates, reordering and losses
 * before and after the router, lost ACKs.  Checked, aborting on any
 * violation: the peer never gets two different bytes for one position,
 * the sequence map is a monotone function, no ACK covers unsent bytes,
 * the session completes, the line buffer is freed; and when nothing had
 * to go unparsed, the peer's stream is exactly the expected rewritten
 * stream and every data endpoint was expected once.
 */
#define _POSIX_C_SOURCE 200809L
#include "../unit/stream_sim.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * With FPM_STREAM_CORPUS (tests/fuzz/Makefile sets it to the project's
 * corpus), half the sessions are windows of the corpus's sessions.
 */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("FPM_STREAM_CORPUS");
	char why[600];

	(void)argc;
	(void)argv;
	if (dir && corpus_load(dir, why, sizeof(why))) {
		fprintf(stderr, "fuzz_stream: %s\n", why);
		exit(1);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[400];
	int exact, held;

	sim_bytes = data;
	sim_left = size;
	if (sim_property(0, why, sizeof(why), &exact, &held)) {
		fprintf(stderr, "fuzz_stream: %s\n", why);
		abort();
	}
	return 0;
}
