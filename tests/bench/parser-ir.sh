#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# parser-ir.sh VALGRIND CHUNK CLIENT.txt SERVER.txt [TAG]: instructions per
# byte of the parser over one session corpus, with callgrind (see the
# method in tests/bench/Makefile and docs/benchmarks.md).  Runs
# bench_parser three times (collecting inside fp_scan_next only, the whole
# run, the --baseline run) in this script's directory and prints the
# figures; the profiles are callgrind.out.{parser,full,base}TAG.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
valgrind=$1 chunk=$2 client=$3 server=$4 tag=${5:-}
for f in "$client" "$server"; do
	[ -r "$f" ] || { echo "bench: missing $f" >&2; exit 1; }
done
cd "$here"
"$valgrind" --tool=callgrind --callgrind-out-file=callgrind.out.parser$tag \
	--toggle-collect=fp_scan_next \
	./bench_parser "$client" "$server" "$chunk" 2>/dev/null
"$valgrind" --tool=callgrind --callgrind-out-file=callgrind.out.full$tag \
	./bench_parser "$client" "$server" "$chunk" >/dev/null 2>&1
"$valgrind" --tool=callgrind --callgrind-out-file=callgrind.out.base$tag \
	./bench_parser --baseline "$client" "$server" "$chunk" >/dev/null 2>&1
ir() { sed -n 's/^\(summary\|totals\): *\([0-9]*\).*/\2/p' "$1" | tail -n 1; }
bytes=$(cat "$client" "$server" | wc -c)
p=$(ir callgrind.out.parser$tag)
f=$(ir callgrind.out.full$tag)
b=$(ir callgrind.out.base$tag)
echo "parser Ir $p over $bytes bytes (chunk $chunk; $client, $server)"
echo "whole run minus baseline: $((f - b)) Ir =" \
	"$(awk "BEGIN { printf \"%.2f\", ($f - $b) / $bytes }")" \
	"instructions/byte"
echo "$(awk "BEGIN { printf \"%.2f\", $p / $bytes }") instructions/byte"
