#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the kernel-path and/or memory benchmark (tests/bench/kbench-guest.sh):
# directly when this host can load the module, else in the test VM
# (tests/vm/run.sh), every part asked for in one boot.
#
#   tests/bench/kbench.sh [--direct|--vm] kernel|memory...
#
# Needs the module and portmapctl built (make), build/bench/bench_ftp
# (make -C tests/bench bench_ftp) and, for memory, build/bench/sizeof.txt
# (make -C tests/bench sizeof; optional).  The output is streamed and kept
# in build/bench/PART.log; the result tables go to build/bench/PART.md.
# With BENCH_DOC=1 they also replace the "latest run" block of the
# matching section of docs/benchmarks.md.
#
# Fails only when the benchmark could not run (missing module, VM
# failure, a replay that could not complete): never on a number.
#
# Environment: BENCH_CORPUS (default build/corpus), BENCH_ROUNDS,
# BENCH_SESSIONS, BENCH_JOBS, BENCH_TRACE,
# BENCH_TRACE_SESSIONS, BENCH_TRACE_ROUNDS, BENCH_TRACE_PUSH_CONNS,
# BENCH_TRACE_MODES, BENCH_PIPE_ROUNDS,
# BENCH_PIPE_DEPTH, BENCH_PUSH_ROUNDS, BENCH_PUSH_CONNS, BENCH_PUSH_CHUNK,
# BENCH_PUSH_MODES, BENCH_PUSH_TIMEOUT,
# BENCH_MEM_CONNS, BENCH_MEM_ROUNDS (see kbench-guest.sh),
# FPM_VM_TIMEOUT (default 1500 s), BENCH_DOC.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=$repo/build/bench

where=auto
case "${1:-}" in
--direct) where=direct; shift ;;
--vm) where=vm; shift ;;
esac
[ $# -gt 0 ] || { echo "usage: $0 [--direct|--vm] kernel|memory..." >&2; exit 2; }
for p in "$@"; do
	case "$p" in kernel | memory) ;; *) echo "kbench: unknown part $p" >&2; exit 2 ;; esac
done

[ -f "$repo/ftp_portmap.ko" ] || { echo "kbench: ftp_portmap.ko missing (make)" >&2; exit 1; }
[ -x "$repo/tools/portmapctl/portmapctl" ] || { echo "kbench: portmapctl missing (make)" >&2; exit 1; }
[ -x "$build/bench_ftp" ] || { echo "kbench: $build/bench_ftp missing (make -C tests/bench bench_ftp)" >&2; exit 1; }
# The replayed sessions: the project's corpus (make -C tests/bench corpus),
# or BENCH_CORPUS.
export BENCH_CORPUS=${BENCH_CORPUS:-$repo/build/corpus}
[ -r "$BENCH_CORPUS/session-client.txt" ] && [ -r "$BENCH_CORPUS/session-server.txt" ] ||
	{ echo "kbench: no session corpus in $BENCH_CORPUS (make -C tests/bench corpus)" >&2; exit 1; }

host_can_load_modules() {
	local kver ko=$repo/ftp_portmap.ko v
	kver=$(uname -r)
	[ "$(id -u)" = 0 ] || return 1
	[ -e /proc/modules ] && [ -d "/lib/modules/$kver" ] || return 1
	command -v modprobe >/dev/null || return 1
	modprobe -q nf_conntrack 2>/dev/null || [ -d /sys/module/nf_conntrack ] || return 1
	v=$(modinfo -F vermagic "$ko" 2>/dev/null | awk '{print $1}')
	[ "$v" = "$kver" ]
}
if [ "$where" = auto ]; then
	if [ "${FPM_IN_VM:-0}" = 1 ] || host_can_load_modules; then
		where=direct
	else
		where=vm
	fi
fi

# What the guest cannot see for itself.
export BENCH_HOST_LOAD
BENCH_HOST_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
export BENCH_SIZEOF=$build/sizeof.txt
[ -r "$BENCH_SIZEOF" ] || BENCH_SIZEOF=
export BENCH_ACCEL=
if [ "$where" = vm ]; then
	kvm=${FPM_VM_KVM:-auto}
	if [ "$kvm" = auto ]; then
		kvm=0
		[ -r /dev/kvm ] && [ -w /dev/kvm ] && grep -q -E -m1 '\b(vmx|svm)\b' /proc/cpuinfo && kvm=1
	fi
	if [ "$kvm" = 1 ]; then
		BENCH_ACCEL="qemu/KVM"
	else
		BENCH_ACCEL="qemu/TCG (software emulation) on $(nproc) host CPUs: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
	fi
fi

mkdir -p "$build"
tag=$(echo "$*" | tr ' ' '-')
log=$build/$tag.log
echo "kbench: $* ($where); log in ${log#"$repo"/}"
names="BENCH_HOST_LOAD BENCH_SIZEOF BENCH_ACCEL BENCH_CORPUS"
for n in BENCH_ROUNDS BENCH_SESSIONS BENCH_JOBS BENCH_TRACE BENCH_TRACE_SESSIONS BENCH_TRACE_ROUNDS BENCH_TRACE_PUSH_CONNS BENCH_TRACE_MODES \
	BENCH_PIPE_ROUNDS BENCH_PIPE_DEPTH BENCH_PUSH_ROUNDS BENCH_PUSH_CONNS BENCH_PUSH_CHUNK BENCH_PUSH_MODES BENCH_PUSH_TIMEOUT \
	BENCH_MEM_CONNS BENCH_MEM_ROUNDS; do
	[ -n "${!n+x}" ] && { export "${n?}"; names="$names $n"; }
done
if [ "$where" = vm ]; then
	FPM_VM_ENV="${FPM_VM_ENV:-} $names" "$repo/tests/vm/run.sh" \
		--timeout "${FPM_VM_TIMEOUT:-1500}" -- "$here/kbench-guest.sh" "$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
else
	"$here/kbench-guest.sh" "$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
fi
[ "$rc" = 0 ] || { echo "kbench: FAILED (exit $rc): the benchmark could not run" >&2; exit 1; }

# Result blocks -> build/bench/PART.md (and docs/benchmarks.md if asked).
for p in "$@"; do
	sed -n "/^=== BEGIN RESULTS $p ===\$/,/^=== END RESULTS ===\$/p" "$log" |
		sed '1d;$d' >"$build/$p.md"
	if [ ! -s "$build/$p.md" ]; then
		echo "kbench: FAILED: no $p results in the output" >&2
		exit 1
	fi
	if [ "${BENCH_DOC:-0}" = 1 ]; then
		doc=$repo/docs/benchmarks.md
		begin="<!-- bench:$p:begin -->" end="<!-- bench:$p:end -->"
		if grep -qF "$begin" "$doc" && grep -qF "$end" "$doc"; then
			awk -v b="$begin" -v e="$end" -v f="$build/$p.md" -v d="$(date -u +%Y-%m-%d)" '
				$0 == b { print; print ""; print "Latest run (" d "), recorded by `BENCH_DOC=1 make bench`:"; print ""
					while ((getline l < f) > 0) print l; print ""; skip = 1; next }
				$0 == e { skip = 0 }
				!skip' "$doc" >"$doc.tmp" && mv "$doc.tmp" "$doc"
			echo "kbench: $p results written to docs/benchmarks.md"
		else
			echo "kbench: docs/benchmarks.md has no $begin block; not updated" >&2
		fi
	fi
done
echo
echo "=== summary ==="
for p in "$@"; do
	echo "--- $p (build/bench/$p.md)"
	grep -E '^(Ratio|Helper cost|Sizes)' "$build/$p.md"
done
exit 0
