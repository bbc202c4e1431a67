#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the kernel's checkpatch.pl over the module's sources.  checkpatch.pl
# ships in the tarball of Debian's linux-source-6.1; it is unpacked once
# into build/checkpatch.  Exit status: non-zero on any error or warning.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=$repo/build/checkpatch
cp=$dir/scripts/checkpatch.pl

if [ ! -x "$cp" ]; then
	tarball=$(ls /usr/src/linux-source-*.tar.* 2>/dev/null | sort -V | tail -n 1)
	if [ -z "$tarball" ]; then
		echo "checkpatch: no /usr/src/linux-source-*.tar.*; apt-get install linux-source-6.1" >&2
		exit 1
	fi
	mkdir -p "$dir"
	top=$(basename "$tarball")
	top=${top%.tar.*}
	tar xf "$tarball" -C "$dir" --strip-components=1 \
		"$top/scripts/checkpatch.pl" "$top/scripts/spelling.txt" \
		"$top/scripts/const_structs.checkpatch"
fi

files=$(cd "$repo" && ls src/*.c src/*.h include/*.h include/uapi/*.h tests/vm/selftest/*.c)
status=0
for f in $files; do
	if ! out=$(cd "$repo" && perl "$cp" --no-tree -f --terse "$f" 2>&1); then
		printf '%s\n' "$out"
		status=1
	fi
done
[ $status -eq 0 ] && echo "checkpatch: $(wc -w <<<"$files") files clean"
exit $status
