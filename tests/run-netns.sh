#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the network-namespace suites (tests/netns/*.sh but lib.sh): directly
# when this host can load the module, else inside the test VM
# (tests/vm/run.sh), all suites in one boot.
#
#   tests/run-netns.sh [--direct|--vm] [SUITE...]
#
# SUITE is a name (alg) or a path.  For each suite it prints the suite's
# output, then "=== netns suite NAME: N passed, N failed"; the last line is
# the total "netns: N passed, N failed".  Exits non-zero if anything
# failed, the VM included (a guest that panics or times out is a failure).
#
# Environment: FPM_HELPER, TEST_FILTER, ... are passed on to the suites
# (and into the VM); FPM_VM_TIMEOUT bounds the VM (default 2400 s, 5400 s
# on debug-6.1).  FPM_VM_KERNEL picks the VM's kernel (debian-6.1,
# debian-6.12, debug-6.1 or an image path; see tests/vm/run.sh).
# FPM_MODULE is the ftp_portmap.ko the suites load; unset, it is
# ./ftp_portmap.ko when that is built for the VM's kernel, else one built
# for it from this checkout into build/kmod/KERNEL/ (scripts/kernels.sh
# kmod).  FPM_KO (read by some suites) follows FPM_MODULE.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

where=auto
case "${1:-}" in
--direct) where=direct; shift ;;
--vm) where=vm; shift ;;
esac

suites=()
if [ $# -eq 0 ]; then
	for f in "$here"/netns/*.sh; do
		case "${f##*/}" in lib*.sh | _*) continue ;; esac
		suites+=("$f")
	done
else
	for s in "$@"; do
		case "$s" in
		*/*) suites+=("$(cd "$(dirname "$s")" && pwd)/$(basename "$s")") ;;
		*) suites+=("$here/netns/${s%.sh}.sh") ;;
		esac
	done
fi

# Can this host run the suites itself?  It must load modules, and the
# module (when built) must be built for the running kernel.
host_can_load_modules() {
	local kver ko=$repo/ftp_portmap.ko v
	kver=$(uname -r)
	[ -e /proc/modules ] || return 1
	[ -d "/lib/modules/$kver" ] || return 1
	command -v modprobe >/dev/null || return 1
	modprobe -q nf_conntrack 2>/dev/null || [ -d /sys/module/nf_conntrack ] || return 1
	if [ -f "$ko" ]; then
		v=$(modinfo -F vermagic "$ko" 2>/dev/null | awk '{print $1}')
		[ "$v" = "$kver" ] || return 1
	fi
	return 0
}

if [ "$where" = auto ]; then
	if [ "${FPM_IN_VM:-0}" = 1 ] || host_can_load_modules; then
		where=direct
	else
		where=vm
	fi
fi

if [ "$where" = vm ]; then
	kname=${FPM_VM_KERNEL:-debian-6.1}
	# The module must be built for the kernel the VM boots.
	if [ -z "${FPM_MODULE:-}" ]; then
		kinfo=$("$repo/scripts/kernels.sh" resolve "$kname") || exit 1
		kver=$(eval "$kinfo"; echo "$KVER")
		v=
		if [ -f "$repo/ftp_portmap.ko" ]; then
			v=$(modinfo -F vermagic "$repo/ftp_portmap.ko" 2>/dev/null | awk '{print $1}')
		fi
		if [ "$v" = "$kver" ]; then
			FPM_MODULE=$repo/ftp_portmap.ko
		else
			echo "# building ftp_portmap.ko for $kname ($kver)"
			FPM_MODULE=$("$repo/scripts/kernels.sh" kmod "$kname") || {
				echo "netns: 0 passed, 1 failed (no module for $kname)"
				exit 1
			}
		fi
	fi
	export FPM_MODULE
	export FPM_KO=${FPM_KO:-$FPM_MODULE}
	tmo=${FPM_VM_TIMEOUT:-2400}
	case "$kname" in debug-*) tmo=${FPM_VM_TIMEOUT:-5400} ;; esac
	echo "# netns suites run in the test VM on $kname ($(uname -r) cannot load the module here); module $FPM_MODULE"
	exec "$here/vm/run.sh" --timeout "$tmo" -- \
		"$here/run-netns.sh" --direct "${suites[@]}"
fi
if [ -n "${FPM_MODULE:-}" ]; then
	export FPM_KO=${FPM_KO:-$FPM_MODULE}
fi

total_p=0
total_f=0
for s in "${suites[@]}"; do
	name=$(basename "$s" .sh)
	echo "=== netns suite: $name"
	t0=$(date +%s)
	if [ ! -f "$s" ]; then
		echo "no such suite: $s"
		p=0 f=1 rc=1
	else
		out=$(mktemp)
		bash "$s" 2>&1 | tee "$out"
		rc=${PIPESTATUS[0]}
		# "N passed, N failed", optionally after one "word: " (as CI reads it)
		line=$(grep -E '^([A-Za-z0-9_./-]+: )?[0-9]+ passed, [0-9]+ failed' "$out" |
			tail -n 1 | sed -E 's/^[A-Za-z0-9_./-]+: //')
		rm -f "$out"
		if [ -n "$line" ]; then
			p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
			f=$(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
		else
			echo "suite $name ended without a result line (rc $rc)"
			p=0 f=1
		fi
		# a suite that exits non-zero has failed, whatever it counted
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			f=1
		fi
	fi
	echo "=== netns suite $name: $p passed, $f failed ($(($(date +%s) - t0))s)"
	total_p=$((total_p + p))
	total_f=$((total_f + f))
done
echo "netns: $total_p passed, $total_f failed"
[ "$total_f" -eq 0 ]
