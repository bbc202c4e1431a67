#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (or reuse) the debug-6.1 test kernel: Debian's linux-source-6.1
# with a minimal config (allnoconfig + tests/vm/debug-6.1.config: KASAN,
# kmemleak, lockdep, fault injection, and everything the VM and the suites
# need built in).
#
#   tests/vm/build-kernel.sh [--print|--check]
#
# The build is cached outside the checkout, in
#   ${FPM_KCACHE:-/var/cache/ftp-portmap/kernels}/debug-6.1-<key>/
# where <key> hashes the source package version, the compiler, the config
# fragment and this script; a build with the same key is reused.  The
# last two lines printed are
#   KERNEL=<bootable bzImage>
#   KDIR=<kernel tree to build external modules against>
# --print: print them if the build is cached, else exit 1 (never builds).
# --check: exit 0 if the build is cached, 1 if not (prints nothing).
#
# The directory holds: linux-source-6.1/ (the tree, KDIR), bzImage,
# kernelrelease, modroot/lib/modules/<release>/ (the modules.builtin
# index, so that modprobe of a built-in module succeeds in the guest:
# tests/vm/init binds modroot/lib/modules over /lib/modules), config (the
# final .config), build.log, build-seconds (wall), build-cpu-times (user
# and system time of the build's processes) and .complete when done.
#
# Environment: FPM_KCACHE (cache root), FPM_KSRC (source tarball, default
# /usr/src/linux-source-6.1.tar.xz), FPM_KJOBS (make -j, default 2),
# FPM_KNICE (nice level, default 10), FPM_KEEP_FAILED=1 (keep a failed
# build's directory).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fragment=$here/debug-6.1.config
self=$here/build-kernel.sh
src=${FPM_KSRC:-/usr/src/linux-source-6.1.tar.xz}
jobs=${FPM_KJOBS:-2}
nice_lvl=${FPM_KNICE:-10}

mode=build
case "${1:-}" in
--print) mode=print ;;
--check) mode=check ;;
"") ;;
-h | --help) sed -n '3,/^set -e/p' "$0" | sed 's/^# \{0,1\}//;$d'; exit 0 ;;
*) echo "build-kernel: unknown argument $1" >&2; exit 2 ;;
esac

log() { echo "build-kernel: $*" >&2; }

cache_root() {
	local c=${FPM_KCACHE:-}
	if [ -n "$c" ]; then
		echo "$c"
		return
	fi
	c=/var/cache/ftp-portmap/kernels
	if mkdir -p "$c" 2>/dev/null && [ -w "$c" ]; then
		echo "$c"
	else
		echo "${XDG_CACHE_HOME:-$HOME/.cache}/ftp-portmap/kernels"
	fi
}

if [ ! -r "$src" ]; then
	log "$src missing (apt-get install linux-source-6.1, see scripts/install-deps.sh)"
	exit 1
fi
# The source version: the Debian package's, else the tarball's size and
# time (a tarball given by FPM_KSRC).
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null || true)
[ "$src" = /usr/src/linux-source-6.1.tar.xz ] || srcver=
[ -n "$srcver" ] || srcver=$(stat -L -c 'tarball %s %Y' "$src")
key=$( {
	echo "linux-source-6.1 $srcver"
	gcc --version | head -n 1
	ld --version | head -n 1
	cat "$fragment" "$self"
} | sha256sum | cut -c1-16)
root=$(cache_root)
dir=$root/debug-6.1-$key
tree=$dir/linux-source-6.1

print_result() {
	echo "KERNEL=$dir/bzImage"
	echo "KDIR=$tree"
}

if [ -f "$dir/.complete" ] && [ -f "$dir/bzImage" ] && [ -f "$tree/Module.symvers" ]; then
	case "$mode" in
	check) exit 0 ;;
	*)
		log "cached: $dir ($(cat "$dir/kernelrelease"), built in $(cat "$dir/build-seconds" 2>/dev/null || echo '?')s)"
		print_result
		exit 0
		;;
	esac
fi
[ "$mode" = build ] || exit 1

for t in gcc make flex bison bc perl xz tar depmod; do
	command -v "$t" >/dev/null || { log "$t missing (run scripts/install-deps.sh)"; exit 1; }
done
for h in /usr/include/libelf.h /usr/include/openssl/ssl.h; do
	[ -f "$h" ] || { log "$h missing (libelf-dev, libssl-dev: scripts/install-deps.sh)"; exit 1; }
done

mkdir -p "$root"
# One build per key at a time: a second caller waits, then reuses it.
exec 9>"$root/.lock-debug-6.1-$key"
if ! flock -n 9; then
	log "another build of $dir is running: waiting for it"
	flock 9
fi
if [ -f "$dir/.complete" ]; then
	log "built meanwhile by another run: $dir"
	print_result
	exit 0
fi

t0=$(date +%s)
rm -rf "$dir"
mkdir -p "$dir"
failed() {
	log "FAILED: $* (log: $dir/build.log)"
	tail -n 40 "$dir/build.log" >&2 || true
	if [ "${FPM_KEEP_FAILED:-0}" != 1 ]; then
		mv -f "$dir/build.log" "$root/failed-debug-6.1-$key.log" 2>/dev/null || true
		rm -rf "$dir"
		log "log kept as $root/failed-debug-6.1-$key.log"
	fi
	exit 1
}
log "building the debug-6.1 kernel in $dir (nice -n $nice_lvl make -j$jobs; tens of minutes on 2 cores)"
log "unpacking $src"
tar -xf "$src" -C "$dir" || failed "unpack $src"
[ -f "$tree/Makefile" ] || failed "$src did not unpack to linux-source-6.1/"
cd "$tree"

kmake() { nice -n "$nice_lvl" make -j"$jobs" "$@"; }

# Config: allnoconfig with the fragment forced in, then olddefconfig.
{
	echo "== merge_config.sh -n $fragment"
	scripts/kconfig/merge_config.sh -n "$fragment"
	echo "== olddefconfig"
	make olddefconfig
} >"$dir/build.log" 2>&1 || failed "config"

# Every line of the fragment must have survived.
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*)
		sym=${line%%=*}
		if ! grep -qxF "$line" .config; then
			log "config: wanted $line, got: $(grep -E "^(# )?${sym}[= ]" .config || echo "(absent)")"
			bad=1
		fi
		;;
	"# CONFIG_"*" is not set")
		sym=${line#\# }
		sym=${sym%% *}
		if grep -qE "^$sym=" .config; then
			log "config: wanted $sym unset, got: $(grep -E "^$sym=" .config)"
			bad=1
		fi
		;;
	esac
done <"$fragment"
[ "$bad" = 0 ] || failed "fragment options lost in .config (see above)"
cp .config "$dir/config"

log "make all (bzImage, Module.symvers)"
{
	echo "== make -j$jobs all"
	kmake all
} >>"$dir/build.log" 2>&1 || failed "make all"
{
	echo "== make modules_prepare"
	make modules_prepare
} >>"$dir/build.log" 2>&1 || failed "make modules_prepare"

release=$(make -s kernelrelease)
echo "$release" >"$dir/kernelrelease"
cp arch/x86/boot/bzImage "$dir/bzImage"

# The guest's /lib/modules: no module files, only the index that tells
# modprobe which modules are built in (depmod -b wants BASE/lib/modules).
mod=$dir/modroot/lib/modules/$release
mkdir -p "$mod"
cp modules.builtin modules.builtin.modinfo "$mod/"
: >"$mod/modules.order"
depmod -b "$dir/modroot" "$release" >>"$dir/build.log" 2>&1 || failed "depmod"

secs=$(($(date +%s) - t0))
echo "$secs" >"$dir/build-seconds"
# CPU time of the build (user and system, of every process it ran): what
# the wall time would be on an idle machine, times the cores it used.
times >"$dir/build-cpu-times" # this shell's, then its children's
touch "$dir/.complete"
log "built $release in ${secs}s: $dir"
print_result
