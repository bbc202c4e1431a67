#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The "make check" runner (after scripts/install-deps.sh and make all):
#
#   1. unit tests     make -C tests/unit run
#   2. fuzzing        make -C tests/fuzz run FUZZ_SECONDS=${FUZZ_SECONDS:-20}
#   1b. cli-unit      make -C tools/portmapctl test
#   1c. packaging     scripts/test-packaging.sh (staged install, unit verify,
#                     DKMS, make deb)
#   2b. spec          tests/spec/fpm_spec.py uapi: the uapi header against
#                     the genetlink spec (the kernel side runs in cli.sh)
#   3. netns suites   tests/run-netns.sh (directly when this host can load
#                     the module, else all of them in one test VM)
#   4. deb-vm         tests/deb-vm.sh (the .debs installed in the VM)
#
# Each step's "N passed, N failed" line is collected (a step without one
# counts 1 passed or 1 failed by its exit status; a step that exits non-zero
# counts at least one failure).  Prints a per-suite summary and, as the very
# last line, the total "N passed, N failed".  Exits non-zero if anything
# failed.  Full logs: build/test-logs/.
#
# Environment: FUZZ_SECONDS, FPM_SKIP_STEPS (space-separated step names to
# leave out: unit cli-unit packaging fuzz spec netns deb-vm — reported, and never used by CI),
# FPM_UNIT_TIMEOUT (default 900 s), FPM_FUZZ_TIMEOUT (default 1800 s).
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
logs=$repo/build/test-logs
mkdir -p "$logs"

names=()
passed=()
failed=()
notes=()
record() {
	names+=("$1")
	passed+=("$2")
	failed+=("$3")
	notes+=("${4:-}")
}

result_re='^([A-Za-z0-9_./-]+: )?[0-9]+ passed, [0-9]+ failed'

# step NAME TIMEOUT CMD...: run a step, stream and log its output, record.
step() {
	local name=$1 tmo=$2 log p f line rc t0 secs
	shift 2
	log=$logs/$name.log
	echo
	echo "=== $name: $*"
	t0=$(date +%s)
	timeout -k 30 "$tmo" "$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	secs=$(($(date +%s) - t0))
	line=$(grep -E "$result_re" "$log" | tail -n 1 | sed -E 's/^[A-Za-z0-9_./-]+: //')
	if [ -n "$line" ]; then
		p=$(sed -E 's/^([0-9]+) passed.*/\1/' <<<"$line")
		f=$(sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$line")
	elif [ "$rc" -eq 0 ]; then
		p=1 f=0
	else
		p=0 f=1
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
	fi
	local note="${secs}s"
	[ "$rc" -eq 124 ] && note+=", TIMED OUT after ${tmo}s"
	[ "$rc" -ne 0 ] && note+=", exit $rc"
	record "$name" "$p" "$f" "$note"
	return "$rc"
}

skipped() {
	case " ${FPM_SKIP_STEPS:-} " in *" $1 "*) return 0 ;; esac
	return 1
}

t_start=$(date +%s)

# 1. unit tests
if skipped unit; then
	record unit 0 0 "SKIPPED (FPM_SKIP_STEPS)"
elif [ -f tests/unit/Makefile ]; then
	step unit "${FPM_UNIT_TIMEOUT:-900}" make -C tests/unit run
else
	echo "=== unit: tests/unit/Makefile is missing"
	record unit 0 1 "tests/unit/Makefile missing"
fi

# 1b. portmapctl's own unit tests (parsers, saved format, decoders)
if skipped cli-unit; then
	record cli-unit 0 0 "SKIPPED (FPM_SKIP_STEPS)"
else
	step cli-unit 600 make -C tools/portmapctl test
fi

# 1c. packaging: staged install, systemd-analyze verify, DKMS against the
# installed headers, make deb (the .debs the deb-vm step installs)
if skipped packaging; then
	record packaging 0 0 "SKIPPED (FPM_SKIP_STEPS)"
else
	step packaging "${FPM_PACKAGING_TIMEOUT:-1800}" scripts/test-packaging.sh
fi

# 2. fuzzing
if skipped fuzz; then
	record fuzz 0 0 "SKIPPED (FPM_SKIP_STEPS)"
elif [ -f tests/fuzz/Makefile ]; then
	step fuzz "${FPM_FUZZ_TIMEOUT:-1800}" make -C tests/fuzz run \
		FUZZ_SECONDS="${FUZZ_SECONDS:-20}"
else
	echo "=== fuzz: tests/fuzz/Makefile is missing"
	record fuzz 0 1 "tests/fuzz/Makefile missing"
fi

# 2b. the uapi header against the genetlink spec (host, no root)
if skipped spec; then
	record spec 0 0 "SKIPPED (FPM_SKIP_STEPS)"
else
	py=/usr/bin/python3
	[ -x "$py" ] || py=python3
	step spec 120 "$py" tests/spec/fpm_spec.py uapi
fi

# 3. network-namespace suites: per-suite lines from tests/run-netns.sh
if skipped netns; then
	record netns 0 0 "SKIPPED (FPM_SKIP_STEPS)"
else
	expected=()
	for f in tests/netns/*.sh; do
		case "${f##*/}" in lib*.sh | _*) continue ;; esac
		expected+=("$(basename "$f" .sh)")
	done
	log=$logs/netns.log
	echo
	echo "=== netns: tests/run-netns.sh (${expected[*]})"
	t0=$(date +%s)
	tests/run-netns.sh 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	secs=$(($(date +%s) - t0))
	got=0 sum_f=0
	for s in "${expected[@]}"; do
		line=$(sed -n -E "s/^=== netns suite $s: ([0-9]+ passed, [0-9]+ failed.*)/\1/p" "$log" | tail -n 1)
		if [ -n "$line" ]; then
			p=$(sed -E 's/^([0-9]+) passed.*/\1/' <<<"$line")
			f=$(sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$line")
			t=$(sed -n -E 's/.*\(([0-9]+s)\)$/\1/p' <<<"$line")
			record "netns/$s" "$p" "$f" "$t"
			got=$((got + 1))
			sum_f=$((sum_f + f))
		else
			record "netns/$s" 0 1 "no result (suite or VM died: see $log)"
			sum_f=$((sum_f + 1))
		fi
	done
	# the runner (or the VM) failing without a suite to blame
	if [ "$rc" -ne 0 ] && [ "$sum_f" -eq 0 ]; then
		record netns 0 1 "tests/run-netns.sh exit $rc (${secs}s)"
	fi
fi

# 4. the .debs on a fresh root in the VM, and the demo from them
if skipped deb-vm; then
	record deb-vm 0 0 "SKIPPED (FPM_SKIP_STEPS)"
else
	step deb-vm "${FPM_DEB_VM_TIMEOUT:-2400}" tests/deb-vm.sh
fi

# summary
echo
echo "=== summary ($(($(date +%s) - t_start))s; logs in build/test-logs/)"
tp=0
tf=0
for i in "${!names[@]}"; do
	printf '%-20s %4d passed, %4d failed   %s\n' "${names[$i]}" \
		"${passed[$i]}" "${failed[$i]}" "${notes[$i]}"
	tp=$((tp + passed[i]))
	tf=$((tf + failed[i]))
done
echo "$tp passed, $tf failed"
[ "$tf" -eq 0 ]
