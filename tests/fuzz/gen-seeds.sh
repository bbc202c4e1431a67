#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR MIT
# gen-seeds.sh VARIANTS.TSV SEEDS.TSV OUTDIR - one fuzz input per line.
# The first byte of an input is the direction (0x00 client, 0x01 server),
# the rest is the line(s).
set -eu
variants=$1 own=$2 out=$3
if [ ! -r "$variants" ]; then
	echo "gen-seeds: shared corpus $variants missing" >&2
	exit 1
fi
mkdir -p "$out"
n=0
emit() {	# $1 = c|s, $2 = text (printf %b)
	n=$((n + 1))
	if [ "$1" = s ]; then d='\001'; else d='\000'; fi
	printf "$d%b" "$2" > "$out/seed-$n"
}
while IFS='	' read -r dir exp text; do
	case $dir in '#'*|'') continue ;; esac
	emit "$dir" "$text\r\n"
done < "$variants"
while IFS='	' read -r dir text; do
	case $dir in '#'*|'') continue ;; esac
	emit "$dir" "$text"
done < "$own"
echo "gen-seeds: $n seeds in $out"
