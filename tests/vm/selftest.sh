#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Self-test of the test VM's splat check (tests/vm/stage2.sh): boots the
# kernel once per kind, loads tests/vm/selftest/fpm_splat.ko with that
# kind and checks run.sh's status: 0 for "none", 126 (the job passed but
# the kernel splatted) with the "fpm-vm: SPLAT" report for the others.
#
#   tests/vm/selftest.sh [KIND...]
#
# Default kinds: on debug-6.1 none warn uaf leak lockdep rcu; on other
# kernels (no KASAN, kmemleak, lockdep) none warn.  FPM_VM_KERNEL picks
# the kernel as for run.sh.  Last line: "N passed, N failed".
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
kname=${FPM_VM_KERNEL:-debian-6.1}

pass=0 fail=0
ok() { echo "ok: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}

info=$("$repo/scripts/kernels.sh" resolve "$kname") || { bad "resolve $kname"; finish; }
eval "$info" # NAME KERNEL KVER KDIR MODROOT
kinds=("$@")
if [ ${#kinds[@]} -eq 0 ]; then
	case "$kname" in
	debug-*) kinds=(none warn uaf leak lockdep rcu) ;;
	*) kinds=(none warn) ;;
	esac
fi

dir=$repo/build/kmod/selftest-${kname//\//_}
mkdir -p "$dir"
cp "$here/selftest/Kbuild" "$here/selftest/fpm_splat.c" "$dir/"
if ! make -C "$KDIR" M="$dir" modules >"$dir/build.log" 2>&1; then
	cat "$dir/build.log"
	bad "build fpm_splat.ko against $KDIR"
	finish
fi
ko=$dir/fpm_splat.ko

for k in "${kinds[@]}"; do
	log=$dir/run-$k.log
	echo "# $kname: insmod fpm_splat.ko kind=$k"
	"$here/run.sh" --timeout "${FPM_VM_TIMEOUT:-900}" -- \
		sh -c "insmod '$ko' kind=$k && rmmod fpm_splat" >"$log" 2>&1
	rc=$?
	if [ "$k" = none ]; then
		if [ "$rc" = 0 ] && ! grep -q 'fpm-vm: SPLAT' "$log"; then
			ok "kind=none: status 0, no splat reported"
		else
			sed 's/^/    /' "$log" | tail -n 40
			bad "kind=none: status $rc (expected 0)"
		fi
	else
		if [ "$rc" = 126 ] && grep -q 'fpm-vm: SPLAT' "$log"; then
			ok "kind=$k: status 126, report: $(grep -m1 -A1 'fpm-vm: SPLAT' "$log" | tail -n 1 | sed 's/^fpm-vm: *//' | cut -c1-100)"
		else
			sed 's/^/    /' "$log" | tail -n 40
			bad "kind=$k: status $rc (expected 126 with a SPLAT report)"
		fi
	fi
done
finish
