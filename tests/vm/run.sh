#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run a command inside a throw-away QEMU VM that boots one of the test
# kernels (Debian's 6.1 by default), with the host's root mounted
# read-only over 9p.
#
#   tests/vm/run.sh [options] [--] CMD [ARG...]
#
# CMD runs as root in the guest, in the caller's working directory (the
# same path in the guest), with stdin from /dev/null.  Its output streams
# here as it comes; run.sh exits with CMD's exit status.  A guest that
# panics, hangs past the timeout or never reports is a failure (exit 124
# for a timeout, 125 for any other missing report), never a success.
#
# Options:
#   --timeout SEC   kill the VM after SEC seconds (default $FPM_VM_TIMEOUT
#                   or 1800; 5400 on debug-6.1)
#   --mem SIZE      guest memory (default 1G; 2G on debug-6.1: KASAN)
#   --smp N         guest CPUs (default 2)
#   --rw            make the checkout writable in the guest (second 9p
#                   export, read-write): builds in the guest land on the host
#   --dmesg         print the guest's kernel log of the job at the end
#   --console       stream the guest console (kernel messages) too
#   --keep          keep the job directory (console log, output)
#
# Environment:
#   FPM_VM_KERNEL   the kernel to boot: debian-6.1 (default), debian-6.12,
#                   debug-6.1 (built and cached by tests/vm/build-kernel.sh
#                   when missing) or the path of an image; see
#                   scripts/kernels.sh.  The guest sees FPM_VM_KERNEL and
#                   FPM_VM_KVER (its release).
#   FPM_VM_KVER     boot /boot/vmlinuz-KVER instead (overrides FPM_VM_KERNEL)
#   FPM_MODULE      the ftp_portmap.ko the job will load: run.sh warns when
#                   its vermagic is not the booted kernel's
#   FPM_VM_CACHE    where the initramfs is cached (default <repo>/build/vm)
#   FPM_VM_ENV      names of more variables to pass into the guest; every
#                   FPM_* variable (but FPM_VM_*) plus CI, V, FUZZ_SECONDS
#                   and TEST_FILTER are passed anyway
#   FPM_VM_9P_OPTS  extra 9p mount options (default cache=loose,msize=262144)
#   FPM_VM_ALLOW_SPLAT=1  do not fail the job on a kernel BUG/WARNING
#   FPM_VM_APPEND   more kernel command-line parameters (e.g.
#                   slub_debug=FZPU for the robustness suite)
#   FPM_VM_KVM      auto (default: KVM when /dev/kvm is usable and the CPU
#                   shows vmx/svm), 1 or 0
#   FPM_VM_DEBUG=1  print the qemu command line
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

timeout_s=${FPM_VM_TIMEOUT:-1800}
timeout_set=0
mem=1G
mem_set=0
smp=2
rw=0
keep=0
dmesg=0
console=0
while [ $# -gt 0 ]; do
	case "$1" in
	--timeout) timeout_s=$2; timeout_set=1; shift 2 ;;
	--mem) mem=$2; mem_set=1; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--rw) rw=1; shift ;;
	--keep) keep=1; shift ;;
	--dmesg) dmesg=1; shift ;;
	--console) console=1; shift ;;
	--) shift; break ;;
	-h | --help) sed -n '3,/^set -e/p' "$0" | sed 's/^# \{0,1\}//;$d'; exit 0 ;;
	-*) echo "vm: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || { echo "usage: $0 [options] [--] CMD [ARG...]" >&2; exit 2; }

log() { echo "vm: $*" >&2; }

for t in qemu-system-x86_64 cpio gzip; do
	command -v "$t" >/dev/null || { log "$t missing (run scripts/install-deps.sh)"; exit 125; }
done

# ---- which kernel -------------------------------------------------------
kname=${FPM_VM_KERNEL:-debian-6.1}
modroot=
if [ -n "${FPM_VM_KVER:-}" ]; then
	kname=/boot/vmlinuz-$FPM_VM_KVER
	kver=$FPM_VM_KVER
	kernel=$kname
else
	kinfo=$("$repo/scripts/kernels.sh" resolve "$kname") || exit 125
	eval "$kinfo" # NAME KERNEL KVER KDIR MODROOT
	kernel=$KERNEL kver=$KVER modroot=$MODROOT
fi
if [ ! -r "$kernel" ]; then
	log "kernel image $kernel missing (FPM_VM_KERNEL=$kname)"
	exit 125
fi
debug_kernel=0
case "$kname" in debug-*) debug_kernel=1 ;; esac
[ -n "$modroot" ] && debug_kernel=1
if [ "$debug_kernel" = 1 ]; then
	# KASAN's shadow and quarantine, kmemleak's metadata
	[ "$mem_set" = 1 ] || mem=2G
	[ "$timeout_set" = 1 ] || timeout_s=${FPM_VM_TIMEOUT:-5400}
fi
ko=${FPM_MODULE:-}
if [ -n "$ko" ] && [ -f "$ko" ] && command -v modinfo >/dev/null; then
	v=$(modinfo -F vermagic "$ko" 2>/dev/null | awk '{print $1}')
	if [ -n "$v" ] && [ "$v" != "$kver" ]; then
		log "warning: FPM_MODULE=$ko is built for $v, the guest runs $kver"
		log "         (scripts/kernels.sh kmod $kname builds a matching one)"
	fi
fi

# ---- initramfs (cached) -------------------------------------------------
# Modules needed before the root is there, in load order.  Optional ones
# are skipped when the kernel does not have them as modules (built in).
early_modules="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev
virtio_pci netfs fscache 9pnet 9pnet_virtio 9p"

busybox=$(command -v busybox || true)
if [ -z "$busybox" ] || ! file -L "$busybox" 2>/dev/null | grep -q 'statically linked'; then
	[ -x /bin/busybox ] && busybox=/bin/busybox
fi
[ -n "$busybox" ] || { log "busybox missing (busybox-static)"; exit 125; }

cache=${FPM_VM_CACHE:-$repo/build/vm}
mkdir -p "$cache"
key=$( {
	echo "$kver $early_modules"
	cat "$here/init"
	stat -L -c '%s %Y' "$busybox"
	for m in $early_modules; do
		modinfo -n -k "$kver" "$m" 2>/dev/null || echo "builtin:$m"
	done
} | sha256sum | cut -c1-16)
initrd=$cache/initramfs-$kver-$key.cpio.gz

build_initrd() {
	local d m f out
	d=$(mktemp -d "$cache/initrd.XXXXXX")
	mkdir -p "$d/bin" "$d/lib/fpm-modules" "$d/dev" "$d/proc" "$d/sys" "$d/newroot"
	cp "$busybox" "$d/bin/busybox"
	install -m 755 "$here/init" "$d/init"
	: >"$d/modules.list"
	for m in $early_modules; do
		f=$(modinfo -n -k "$kver" "$m" 2>/dev/null || true)
		case "$f" in
		"" | "(builtin)") continue ;;
		esac
		out=$d/lib/fpm-modules/$m.ko
		case "$f" in
		*.ko.xz) xz -dc "$f" >"$out" ;;
		*.ko.zst) zstd -qdc "$f" >"$out" ;;
		*.ko.gz) gzip -dc "$f" >"$out" ;;
		*) cp "$f" "$out" ;;
		esac
		echo "$m" >>"$d/modules.list"
	done
	(cd "$d" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 \
		>"$d.cpio.gz"
	mv -f "$d.cpio.gz" "$initrd"
	rm -rf "$d"
	# Drop stale images of this kernel.
	find "$cache" -maxdepth 1 -name "initramfs-$kver-*.cpio.gz" ! -name "${initrd##*/}" -delete
}
[ -s "$initrd" ] || build_initrd

# ---- the job -------------------------------------------------------------
tmpbase=${TMPDIR:-/tmp}
case "$tmpbase" in *[[:space:]]*) tmpbase=/tmp ;; esac
job=$(mktemp -d "$tmpbase/fpm-vm.XXXXXX")
job=$(cd "$job" && pwd -P)
chmod 755 "$job"
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	[ -n "${qpid:-}" ] && kill "$qpid" 2>/dev/null
	[ -n "${tpid:-}" ] && kill "$tpid" 2>/dev/null
	[ -n "${cpid:-}" ] && kill "$cpid" 2>/dev/null
	if [ "$keep" = 1 ]; then
		log "job directory kept: $job"
	else
		rm -rf "$job"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

nonce=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
cwd=$(pwd -P)
printf '%s\n' "$cwd" >"$job/cwd"
printf '%s\n' "$here/stage2.sh" >"$job/stage2"
{
	echo "# generated by tests/vm/run.sh"
	names=$(compgen -e | grep -E '^(FPM_|CI$|V$|FUZZ_SECONDS$|TEST_FILTER$)' | grep -v '^FPM_VM_' || true)
	for n in $names ${FPM_VM_ENV:-}; do
		[ -n "${!n+x}" ] && printf 'export %s=%q\n' "$n" "${!n}"
	done
	printf 'export FPM_VM_KERNEL=%q FPM_VM_KVER=%q\n' "$kname" "$kver"
	[ "$dmesg" = 1 ] && echo "export FPM_VM_DMESG=1"
	[ -n "${FPM_VM_ALLOW_SPLAT:-}" ] && echo "export FPM_VM_ALLOW_SPLAT=$FPM_VM_ALLOW_SPLAT"
	printf 'cd %q || exit 125\n' "$cwd"
	printf 'exec'
	printf ' %q' "$@"
	printf '\n'
} >"$job/job.sh"
chmod 644 "$job/job.sh" "$job/cwd" "$job/stage2"

ninep=${FPM_VM_9P_OPTS-cache=loose,msize=262144}
append="console=ttyS0 panic=-1 oops=panic quiet loglevel=4 mitigations=off"
append+=" tsc=unstable no_timer_check random.trust_cpu=on log_buf_len=4M"
append+=" rdinit=/init FPM_JOB=$job FPM_NONCE=$nonce"
[ -n "$ninep" ] && append+=" FPM_9P_OPTS=$ninep"
[ "$rw" = 1 ] && append+=" FPM_RW=$repo"
[ -n "$modroot" ] && append+=" FPM_MODROOT=$modroot"
[ -n "${FPM_VM_APPEND:-}" ] && append+=" $FPM_VM_APPEND"

# shellcheck disable=SC2054 # commas are qemu syntax
qemu=(qemu-system-x86_64 -nodefaults -no-user-config -display none
	-machine "${FPM_VM_MACHINE:-q35}" -cpu "${FPM_VM_CPU:-max}" -m "$mem" -smp "$smp" -no-reboot
	-kernel "$kernel" -initrd "$initrd" -append "$append"
	-serial "file:$job/console.log" -serial "file:$job/out.log"
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap
	-device virtio-rng-pci)
if [ "$rw" = 1 ]; then
	qemu+=(-virtfs "local,path=$repo,mount_tag=checkout,security_model=none,multidevs=remap")
fi
# KVM only where it can work: /dev/kvm alone is not enough (a nested
# sandbox may expose it without VT-x, and the guest then spins).
use_kvm=${FPM_VM_KVM:-auto}
if [ "$use_kvm" = auto ]; then
	use_kvm=0
	if [ -r /dev/kvm ] && [ -w /dev/kvm ] && grep -q -E -m1 '\b(vmx|svm)\b' /proc/cpuinfo; then
		use_kvm=1
	fi
fi
if [ "$use_kvm" = 1 ]; then
	qemu+=(-accel kvm)
else
	# shellcheck disable=SC2054
	qemu+=(-accel tcg,thread=multi)
fi

[ -n "${FPM_VM_DEBUG:-}" ] && log "${qemu[*]}"
: >"$job/out.log"
: >"$job/console.log"
start=$(date +%s)
timeout -k 10 "$timeout_s" "${qemu[@]}" </dev/null >"$job/qemu.log" 2>&1 &
qpid=$!
# Stream the result port (and the console if asked) while the VM runs.
tail -n +1 -s 0.2 -f --pid="$qpid" "$job/out.log" 2>/dev/null |
	sed -u -e 's/\r$//' -e "/^FPM-VM-EXIT-$nonce: /d" &
tpid=$!
if [ "$console" = 1 ]; then
	tail -n +1 -s 0.2 -f --pid="$qpid" "$job/console.log" 2>/dev/null |
		sed -u -e 's/\r$//' -e 's/^/console: /' >&2 &
	cpid=$!
fi
set +e
wait "$qpid"
qrc=$?
set -e
qpid=
wait "$tpid" 2>/dev/null || true
tpid=
[ -n "${cpid:-}" ] && { wait "$cpid" 2>/dev/null || true; cpid=; }
elapsed=$(($(date +%s) - start))

status=$(tr -d '\r' <"$job/out.log" | sed -n "s/^FPM-VM-EXIT-$nonce: \([0-9][0-9]*\)\$/\1/p" | tail -n 1)
cp -f "$job/console.log" "$cache/last-console.log" 2>/dev/null || true
if [ -n "$status" ]; then
	[ "$status" = 0 ] || log "guest command exited $status (${elapsed}s)"
	exit "$status"
fi
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	log "TIMEOUT after ${timeout_s}s: guest killed, no status"
	rc=124
else
	log "guest ended without a status line (qemu exit $qrc, ${elapsed}s): panic or boot failure"
	rc=125
fi
# Show the splat from its start when there is one, else the last lines.
first=$(tr -d '\r' <"$job/console.log" | grep -n -m1 -E 'Kernel panic|BUG:|Oops|WARNING:|general protection' | cut -d: -f1)
if [ -n "$first" ]; then
	log "guest console from the first splat (full log: $cache/last-console.log):"
	tr -d '\r' <"$job/console.log" | tail -n "+$((first > 5 ? first - 5 : 1))" | head -n 60 |
		sed 's/^/console: /' >&2
else
	log "last console lines (full log: $cache/last-console.log):"
	tr -d '\r' <"$job/console.log" | tail -n 40 | sed 's/^/console: /' >&2
fi
[ -s "$job/qemu.log" ] && sed 's/^/qemu: /' "$job/qemu.log" >&2
exit $rc
