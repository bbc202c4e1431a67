#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR MIT
# gen-seeds.sh VARIANTS.TSV SEEDS.TSV OUTDIR [SESSIONS_DIR [EXTRA.TSV]]
#
# One fuzz input per corpus line, plus stream chunks.  The first byte of an
# input is the direction (0x00 client, 0x01 server), the rest is the
# line(s).
#   VARIANTS.TSV  the project's corpus (tests/corpus/gen-corpus.py): every
#                 line, with CR LF
#   SEEDS.TSV     own multi-line seeds, DIRECTION<TAB>TEXT (printf %b)
#   SESSIONS_DIR  session-client.txt / session-server.txt of the project's
#                 corpus: a few segment-sized (1448-byte) chunks of each,
#                 cut anywhere, as a tracker sees them
#   EXTRA.TSV     another corpus in the variants format (../shared/corpus):
#                 its lines are added when the file is there; a line says
#                 whether it was
set -eu
variants=$1 own=$2 out=$3 sessions=${4:-} extra=${5:-}
if [ ! -r "$variants" ]; then
	echo "gen-seeds: corpus $variants missing (make -C tests/fuzz seeds generates it)" >&2
	exit 1
fi
mkdir -p "$out"
n=0
emit() {	# $1 = c|s, $2 = text (printf %b)
	n=$((n + 1))
	if [ "$1" = s ]; then d='\001'; else d='\000'; fi
	printf "$d%b" "$2" > "$out/seed-$n"
}
from_variants() {
	while IFS='	' read -r dir exp text; do
		case $dir in '#'*|'') continue ;; esac
		emit "$dir" "$text\r\n"
	done < "$1"
}
from_variants "$variants"
while IFS='	' read -r dir text; do
	case $dir in '#'*|'') continue ;; esac
	emit "$dir" "$text"
done < "$own"
if [ -n "$sessions" ]; then
	for f in client server; do
		file=$sessions/session-$f.txt
		[ -r "$file" ] || { echo "gen-seeds: $file missing" >&2; exit 1; }
		if [ $f = server ]; then d='\001'; else d='\000'; fi
		for k in 0 7 19 42 77 123; do
			n=$((n + 1))
			{ printf "$d"; dd if="$file" bs=1448 skip=$k count=1 2>/dev/null; } \
				> "$out/seed-$n"
		done
	done
fi
if [ -n "$extra" ]; then
	if [ -r "$extra" ]; then
		before=$n
		from_variants "$extra"
		echo "gen-seeds: extra: shared corpus $extra: $((n - before)) lines added"
	else
		echo "gen-seeds: shared corpus not present ($extra): skipped extra seeds"
	fi
fi
echo "gen-seeds: $n seeds in $out"
