#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The "make check" runner (after scripts/install-deps.sh and make all):
#
#   tests/run-all.sh            every stage below but debug/* ("make check")
#   tests/run-all.sh --debug    every stage, debug/* too ("make check-debug")
#   tests/run-all.sh --quick    unit, fuzz (5 s), the suites on debian-6.1
#                               ("make check-quick", the development loop)
#
# Why debug/* is not in "make check" (yet): on a fresh 2-core CI machine
# without KVM the cold debug-kernel build (~1800-2000 CPU-seconds) plus
# the suites under KASAN/lockdep in TCG (143-363 s a test) would take
# "make check" well past 60 minutes and near CI's 90 (docs/testing.md,
# "Does a cold make check fit").  FPM_CHECK_DEBUG=1 is the same as --debug.
#
# Stages, in order:
#   unit          make -C tests/unit run
#   cli-unit      make -C tools/portmapctl test (portmapctl's own tests)
#   packaging     scripts/test-packaging.sh (staged install, unit verify,
#                 DKMS, make deb)
#   fuzz          make -C tests/fuzz run FUZZ_SECONDS=${FUZZ_SECONDS:-20}
#   spec          tests/spec/fpm_spec.py uapi: the uapi header against
#                 the genetlink spec (the kernel side runs in cli.sh)
#   checkpatch    scripts/checkpatch.sh
#   6.1/*         tests/run-netns.sh: every tests/netns/*.sh but lib*.sh,
#                 _*.sh, the by-name suites (ha) and the debug-only suites
#                 (faults), on Debian's 6.1 (directly when this host can
#                 load the module, else in one VM booted with
#                 slub_debug=FZPU)
#   deb-vm        tests/deb-vm.sh (the .debs installed in the VM, 6.1)
#   6.12/*        scripts/kernels.sh kmod debian-6.12 (the module, built
#                 warning-free against Debian's 6.12), then the alg and
#                 stream suites on debian-6.12 in one VM
#   debug/*       tests/vm/build-kernel.sh (the debug-6.1 kernel: reused
#                 from its cache, else built, in the background from the
#                 start of the run at nice 10 so that it uses the CPU the
#                 VMs leave idle), the module for it, then the alg suite
#                 and robust fuzznl faults (those that exist) on
#                 debug-6.1 in one VM booted with
#                 slub_debug=FZPU: KASAN, kmemleak, lockdep, fault
#                 injection; any splat or leak fails the run.  A
#                 debug suite whose file is absent is listed as
#                 MISSING in the summary (a failure with
#                 FPM_REQUIRE_DEBUG_SUITES=1); then tests/vm/selftest.sh
#                 with kinds uaf and leak: a read after free and a leaked
#                 object must fail a VM job (FPM_DEBUG_SELFTEST_KINDS)
#
# Lanes: the host stages run first; then two lanes at once, lane 1 = the
# 6.1 suites, lane 2 = deb-vm, 6.12, debug (a TCG VM keeps about one core
# busy, so on 2 cores this nearly halves the wall time).  Lane 1 streams
# its output; lane 2's is in build/test-logs/lane2.log and is printed
# after lane 1 (followed until lane 2 is done).  FPM_CHECK_JOBS=1 runs
# them one after the other.  The stream suite runs its ftp-portmap column
# only (STREAM_ONLY=portmap; its stock column is a measurement for the
# comparison table: STREAM_ONLY= runs both).  After the lanes, every
# failed netns test is printed again (its last 60 lines).
#
# Each step's "N passed, N failed" line is collected (a step without one
# counts 1 passed or 1 failed by its exit status; a step that exits non-zero
# counts at least one failure).  Prints a per-step summary with times, the
# time of each stage and, as the very last line, the total
# "N passed, N failed".  Exits non-zero if anything failed.  Full logs:
# build/test-logs/.
#
# Environment: FUZZ_SECONDS, FPM_SKIP_STEPS (space-separated stage names
# to leave out: unit cli-unit packaging fuzz spec checkpatch 6.1 deb-vm
# 6.12 debug; "netns" is 6.1 — reported, and never used by CI),
# FPM_DEBUG_SUITES (default "robust fuzznl faults": suites that run on
# debug-6.1 besides alg), FPM_DEBUG_ONLY_SUITES (default "faults":
# of those, the ones that do not run on 6.1: robust and fuzznl run on both),
# FPM_REQUIRE_DEBUG_SUITES=1 (an absent one fails),
# FPM_UNIT_TIMEOUT (default 900 s), FPM_FUZZ_TIMEOUT (default 1800 s),
# FPM_PACKAGING_TIMEOUT (1800 s), FPM_DEB_VM_TIMEOUT (2400 s),
# FPM_KBUILD_TIMEOUT (default 7200 s), FPM_VM_TIMEOUT (per VM; default
# 3600 s for 6.1, 2400 s for 6.12, 5400 s for debug-6.1).
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
logs=$repo/build/test-logs
mkdir -p "$logs"

quick=0
debug=${FPM_CHECK_DEBUG:-0}
case "${1:-}" in
--quick) quick=1; shift ;;
--debug) debug=1; shift ;;
"") ;;
*) echo "usage: $0 [--quick|--debug]" >&2; exit 2 ;;
esac
debug_suites=${FPM_DEBUG_SUITES-robust fuzznl faults}
debug_only=${FPM_DEBUG_ONLY_SUITES-faults}

# Results go to files, one line each (appends of a short line are atomic):
# the two lanes below run as separate processes.
rm -f "$logs"/netns-*.log "$logs"/lane2.log
records=$logs/.records
stages=$logs/.stages
: >"$records"
: >"$stages"
record() {
	printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${4:-}" >>"$records"
}
stage_time() {
	printf '%s\t%s\n' "$1" "$2" >>"$stages"
}

result_re='^([A-Za-z0-9_./-]+: )?[0-9]+ passed, [0-9]+ failed'

# counts LOG RC: sets p and f from LOG's last result line, else from RC.
counts() {
	local line
	line=$(grep -E "$result_re" "$1" | tail -n 1 | sed -E 's/^[A-Za-z0-9_./-]+: //')
	if [ -n "$line" ]; then
		p=$(sed -E 's/^([0-9]+) passed.*/\1/' <<<"$line")
		f=$(sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$line")
	elif [ "$2" -eq 0 ]; then
		p=1 f=0
	else
		p=0 f=1
	fi
	if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
	fi
}

# step NAME TIMEOUT CMD...: run a step, stream and log its output, record.
step() {
	local name=$1 tmo=$2 log p f rc t0 secs
	shift 2
	log=$logs/${name//\//-}.log
	echo
	echo "=== $name: $*"
	t0=$(date +%s)
	timeout -k 30 "$tmo" "$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	secs=$(($(date +%s) - t0))
	counts "$log" "$rc"
	local note="${secs}s"
	[ "$rc" -eq 124 ] && note+=", TIMED OUT after ${tmo}s"
	[ "$rc" -ne 0 ] && note+=", exit $rc"
	record "$name" "$p" "$f" "$note"
	return "$rc"
}

skipped() {
	case " ${FPM_SKIP_STEPS:-} " in *" $1 "*) return 0 ;; esac
	[ "$1" = 6.1 ] && case " ${FPM_SKIP_STEPS:-} " in *" netns "*) return 0 ;; esac
	return 1
}

is_debug_only() {
	case " $debug_only " in *" $1 "*) return 0 ;; esac
	return 1
}

# netns_stage LABEL KERNEL MODULE SUITE...: the suites in one VM on KERNEL
# (tests/run-netns.sh; KERNEL "auto": directly when the host can load the
# module), one record per suite.  MODULE: the .ko to load ("" = default).
netns_stage() {
	local label=$1 kernel=$2 module=$3 log rc t0 secs s line p f t got=0 sum_f=0
	local -a env=()
	shift 3
	log=$logs/netns-$label.log
	echo
	echo "=== $label: tests/run-netns.sh $* (kernel $kernel)"
	[ -n "$module" ] && env+=("FPM_MODULE=$module")
	t0=$(date +%s)
	if [ "$kernel" = auto ]; then
		env "${env[@]}" tests/run-netns.sh "$@" 2>&1 | tee "$log"
	else
		env "${env[@]}" FPM_VM_KERNEL="$kernel" tests/run-netns.sh --vm "$@" 2>&1 | tee "$log"
	fi
	rc=${PIPESTATUS[0]}
	secs=$(($(date +%s) - t0))
	for s in "$@"; do
		line=$(sed -n -E "s/^=== netns suite $s: ([0-9]+ passed, [0-9]+ failed.*)/\1/p" "$log" | tail -n 1)
		if [ -n "$line" ]; then
			p=$(sed -E 's/^([0-9]+) passed.*/\1/' <<<"$line")
			f=$(sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$line")
			t=$(sed -n -E 's/.*\(([0-9]+s)\)$/\1/p' <<<"$line")
			record "$label/$s" "$p" "$f" "$t"
			got=$((got + 1))
			sum_f=$((sum_f + f))
		else
			record "$label/$s" 0 1 "no result (suite or VM died: see $log)"
			sum_f=$((sum_f + 1))
		fi
	done
	# the runner or the VM failing without a suite to blame: a splat found
	# after the suites (kmemleak), a panic, a timeout
	if [ "$rc" -ne 0 ] && [ "$sum_f" -eq 0 ]; then
		record "$label/vm" 0 1 "tests/run-netns.sh exit $rc (${secs}s): see $log"
	fi
	stage_time "$label (VM)" "$secs"
}

t_start=$(date +%s)

# The stream suite judges ftp-portmap only; its stock-helper column is a
# measurement (the comparison table, docs/testing.md) that doubles the
# suite's time: make check runs the ftp-portmap column only.  Set
# STREAM_ONLY= (empty) for both columns.
export STREAM_ONLY=${STREAM_ONLY-portmap}
export FPM_VM_ENV="${FPM_VM_ENV:-} STREAM_ONLY"

# The debug kernel, when it is not cached: built in the background from
# the start (nice 10) while the other stages run.
kbuild_pid=
kbuild_t0=
kbuild_log=$logs/debug-kernel.log
kbuild_rc=$logs/.debug-kernel.rc
rm -f "$kbuild_rc"
if [ "$quick" = 0 ] && [ "$debug" = 1 ] && ! skipped debug && ! tests/vm/build-kernel.sh --check; then
	echo "=== debug/kernel: not cached: building it in the background (log $kbuild_log)"
	kbuild_t0=$(date +%s)
	(
		timeout -k 30 "${FPM_KBUILD_TIMEOUT:-7200}" tests/vm/build-kernel.sh >"$kbuild_log" 2>&1
		echo $? >"$kbuild_rc"
	) &
	kbuild_pid=$!
fi

# ---- host: unit, cli-unit, packaging, fuzz, spec, checkpatch -------------
t0=$(date +%s)
if skipped unit; then
	record unit 0 0 "SKIPPED (FPM_SKIP_STEPS)"
elif [ -f tests/unit/Makefile ]; then
	step unit "${FPM_UNIT_TIMEOUT:-900}" make -C tests/unit run
else
	echo "=== unit: tests/unit/Makefile is missing"
	record unit 0 1 "tests/unit/Makefile missing"
fi

# portmapctl's own unit tests (parsers, saved format, decoders)
if skipped cli-unit; then
	record cli-unit 0 0 "SKIPPED (FPM_SKIP_STEPS)"
else
	step cli-unit 600 make -C tools/portmapctl test
fi

# packaging: staged install, systemd-analyze verify, DKMS against the
# installed headers, make deb (the .debs the deb-vm step installs)
if [ "$quick" = 0 ]; then
	if skipped packaging; then
		record packaging 0 0 "SKIPPED (FPM_SKIP_STEPS)"
	else
		step packaging "${FPM_PACKAGING_TIMEOUT:-1800}" scripts/test-packaging.sh
	fi
fi

if skipped fuzz; then
	record fuzz 0 0 "SKIPPED (FPM_SKIP_STEPS)"
elif [ -f tests/fuzz/Makefile ]; then
	fs=${FUZZ_SECONDS:-20}
	[ "$quick" = 1 ] && fs=${FUZZ_SECONDS:-5}
	step fuzz "${FPM_FUZZ_TIMEOUT:-1800}" make -C tests/fuzz run FUZZ_SECONDS="$fs"
else
	echo "=== fuzz: tests/fuzz/Makefile is missing"
	record fuzz 0 1 "tests/fuzz/Makefile missing"
fi

# the uapi header against the genetlink spec (host, no root)
if skipped spec; then
	record spec 0 0 "SKIPPED (FPM_SKIP_STEPS)"
else
	py=/usr/bin/python3
	[ -x "$py" ] || py=python3
	step spec 120 "$py" tests/spec/fpm_spec.py uapi
fi

if [ "$quick" = 0 ]; then
	if skipped checkpatch; then
		record checkpatch 0 0 "SKIPPED (FPM_SKIP_STEPS)"
	else
		step checkpatch 600 scripts/checkpatch.sh
	fi
fi
stage_time "host (unit, cli-unit, packaging, fuzz, spec, checkpatch)" $(($(date +%s) - t0))

all_suites=()
for f in tests/netns/*.sh; do
	case "${f##*/}" in lib*.sh | _*) continue ;; esac
	# a suite marked "netns-suite: by-name" runs only when named
	grep -q '^# netns-suite: by-name' "$f" && continue
	all_suites+=("$(basename "$f" .sh)")
done

# ---- lane 1: Debian 6.1, every suite but the debug-only ones --------------
lane_61() {
if skipped 6.1; then
	record 6.1 0 0 "SKIPPED (FPM_SKIP_STEPS)"
else
	s61=()
	for s in "${all_suites[@]}"; do
		is_debug_only "$s" || s61+=("$s")
	done
	# slub_debug=FZPU (red zones, poisoning, sanity checks) in the VM: a
	# use-after-free in the robust suite's stress reads poison and
	# faults instead of passing silently (issue 8's test conditions).
	FPM_VM_APPEND="${FPM_VM_APPEND:+$FPM_VM_APPEND }slub_debug=FZPU" \
		FPM_VM_TIMEOUT=${FPM_VM_TIMEOUT:-3600} netns_stage 6.1 auto "" "${s61[@]}"
fi
}

# ---- lane 2: the .debs (6.1), Debian 6.12, debug-6.1 -------------------------
lane_vms() {
# ---- the .debs on a fresh root in the VM (6.1), and the demo from them ----
if [ "$quick" = 0 ]; then
	if skipped deb-vm; then
		record deb-vm 0 0 "SKIPPED (FPM_SKIP_STEPS)"
	else
		t0=$(date +%s)
		step deb-vm "${FPM_DEB_VM_TIMEOUT:-2400}" tests/deb-vm.sh
		stage_time "deb-vm (VM)" $(($(date +%s) - t0))
	fi
fi

# ---- Debian 6.12: the module builds warning-free; alg and stream ----------
if [ "$quick" = 0 ]; then
	if skipped 6.12; then
		record 6.12 0 0 "SKIPPED (FPM_SKIP_STEPS)"
	else
		t0=$(date +%s)
		ko=
		if step 6.12/kmod 900 scripts/kernels.sh kmod debian-6.12; then
			ko=$(tail -n 1 "$logs/6.12-kmod.log")
		fi
		stage_time "6.12 (module build)" $(($(date +%s) - t0))
		if [ -n "$ko" ]; then
			FPM_VM_TIMEOUT=${FPM_VM_TIMEOUT:-2400} netns_stage 6.12 debian-6.12 "$ko" alg stream
		else
			record 6.12/alg 0 1 "no module for debian-6.12"
			record 6.12/stream 0 1 "no module for debian-6.12"
		fi
	fi
fi

# ---- debug-6.1: KASAN, kmemleak, lockdep, fault injection -----------------
if [ "$quick" = 0 ] && [ "$debug" = 0 ]; then
	echo
	echo "=== debug: not run (make check-debug, or FPM_CHECK_DEBUG=1: the debug-6.1 stage)"
	stage_time "debug (not run: make check-debug)" 0
elif [ "$quick" = 0 ]; then
	if skipped debug; then
		record debug 0 0 "SKIPPED (FPM_SKIP_STEPS)"
	else
		t0=$(date +%s)
		echo
		if [ -n "$kbuild_pid" ]; then
			echo "=== debug/kernel: waiting for the background build (log $kbuild_log)"
			while [ ! -s "$kbuild_rc" ] && kill -0 "$kbuild_pid" 2>/dev/null; do
				sleep 5
			done
			rc=$(cat "$kbuild_rc" 2>/dev/null)
			rc=${rc:-1}
			secs=$(($(date +%s) - kbuild_t0))
			tail -n 5 "$kbuild_log"
			note="built in ${secs}s (in the background)"
			[ "$rc" -eq 124 ] && note+=", TIMED OUT"
			[ "$rc" -ne 0 ] && note+=", exit $rc: see $kbuild_log"
			if [ "$rc" -eq 0 ]; then
				record debug/kernel 1 0 "$note"
			else
				record debug/kernel 0 1 "$note"
			fi
			stage_time "debug (kernel build, background, from the start)" "$secs"
			t0=$(date +%s)
		else
			step debug/kernel "${FPM_KBUILD_TIMEOUT:-7200}" tests/vm/build-kernel.sh
			rc=$?
			stage_time "debug (kernel: cached)" $(($(date +%s) - t0))
			t0=$(date +%s)
		fi
		ko=
		if [ "$rc" -eq 0 ] && step debug/kmod 900 scripts/kernels.sh kmod debug-6.1; then
			ko=$(tail -n 1 "$logs/debug-kmod.log")
		fi
		stage_time "debug (module build)" $(($(date +%s) - t0))
		sd=(alg)
		for s in $debug_suites; do
			if [ -f "tests/netns/$s.sh" ]; then
				sd+=("$s")
			elif [ "${FPM_REQUIRE_DEBUG_SUITES:-0}" = 1 ]; then
				echo "=== debug/$s: tests/netns/$s.sh is missing"
				record "debug/$s" 0 1 "MISSING: tests/netns/$s.sh"
			else
				echo "=== debug/$s: tests/netns/$s.sh is missing (not run; FPM_REQUIRE_DEBUG_SUITES=1 makes it a failure)"
				record "debug/$s" 0 0 "MISSING: tests/netns/$s.sh not in the tree, not run"
			fi
		done
		if [ -n "$ko" ]; then
			# FZPU everywhere; "A" (failslab may fail them) on the
			# caches of the module's state and line buffer only:
			# faults.sh's failslab tests (the flag is read-only at
			# run time on 6.1)
			FPM_VM_APPEND="${FPM_VM_APPEND:+$FPM_VM_APPEND }slub_debug=FZPU;FZPUA,kmalloc-cg-96,kmalloc-cg-128,kmalloc-cg-192,kmalloc-cg-256,kmalloc-cg-2k" \
				FPM_VM_TIMEOUT=${FPM_VM_TIMEOUT:-5400} \
				netns_stage debug debug-6.1 "$ko" "${sd[@]}"
		else
			for s in "${sd[@]}"; do
				record "debug/$s" 0 1 "no debug kernel or module"
			done
		fi
		# The splat check itself: deliberate splats must fail a VM job.
		kinds=${FPM_DEBUG_SELFTEST_KINDS-uaf leak}
		if [ "$rc" -eq 0 ] && [ -n "$kinds" ]; then
			t0=$(date +%s)
			# shellcheck disable=SC2086 # a list of kinds
			FPM_VM_KERNEL=debug-6.1 step debug/selftest 1800 tests/vm/selftest.sh $kinds
			stage_time "debug (VM splat self-test: $kinds)" $(($(date +%s) - t0))
		fi
	fi
fi
}

# Two lanes at once: each VM keeps about one core busy (qemu TCG; much of
# a suite is waiting), so on 2 cores the second lane roughly halves the
# wall time.  Lane 1 streams its output; lane 2's goes to lane2.log and is
# shown when lane 1 is done (then followed until lane 2 ends).
# FPM_CHECK_JOBS=1: one after the other.
if [ "$quick" = 1 ] || [ "${FPM_CHECK_JOBS:-2}" -lt 2 ]; then
	lane_61
	lane_vms
else
	lane2_log=$logs/lane2.log
	echo
	echo "=== lane 2 (deb-vm, 6.12, debug) runs beside lane 1 (6.1); its output: $lane2_log, shown after lane 1"
	lane_vms >"$lane2_log" 2>&1 &
	lane2_pid=$!
	lane_61
	echo
	echo "=== lane 1 done; lane 2 (deb-vm, 6.12, debug) output follows"
	tail -n +1 --pid="$lane2_pid" -f "$lane2_log"
	wait "$lane2_pid"
fi

# Every failed test of the netns suites again, from its "# [N]" header to
# its "not ok" line (at most 60 lines each): the summary's context.
for log in "$logs"/netns-*.log; do
	[ -f "$log" ] || continue
	grep -q '^not ok ' "$log" || continue
	echo
	echo "=== failed tests in ${log##*/}"
	awk '/^# \[[0-9]+\] test_/ { n = 0; split("", buf) }
		{ buf[n++] = $0 }
		/^not ok / { s = (n > 60) ? n - 60 : 0; for (i = s; i < n; i++) print buf[i] }' "$log"
done

# ---- summary --------------------------------------------------------------
echo
echo "=== summary ($(($(date +%s) - t_start))s; logs in build/test-logs/)"
tp=0
tf=0
while IFS=$'\t' read -r n p f note; do
	printf '%-20s %4d passed, %4d failed   %s\n' "$n" "$p" "$f" "$note"
	tp=$((tp + p))
	tf=$((tf + f))
done <"$records"
echo "=== time per stage"
while IFS=$'\t' read -r n secs; do
	printf '%6ds  %s\n' "$secs" "$n"
done <"$stages"
printf '%6ds  total\n' $(($(date +%s) - t_start))
echo "$tp passed, $tf failed"
[ "$tf" -eq 0 ]
