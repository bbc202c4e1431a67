#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The kernels ftp-portmap is built and tested against, by name.
#
#   scripts/kernels.sh default-kdir    the build directory "make" uses
#   scripts/kernels.sh resolve NAME    NAME=..., KERNEL=..., KVER=...,
#                                      KDIR=..., MODROOT=... (shell syntax)
#   scripts/kernels.sh kmod NAME       build ftp_portmap.ko for NAME into
#                                      build/kmod/NAME/ and print its path
#
# NAME is one of
#   debian-6.1    Debian's 6.1 (linux-image-amd64 of Debian 12)
#   debian-6.12   Debian's 6.12 (linux-image-6.12-amd64, bookworm-security)
#   debug-6.1     linux-source-6.1 with KASAN, kmemleak, lockdep, fault
#                 injection (tests/vm/build-kernel.sh: built once, cached)
#   /path/to/bzImage or vmlinuz   any other image (KVER read from it)
#
# debian-X.Y is the newest installed Debian X.Y image (/boot/vmlinuz-X.Y.*
# with its modules in /lib/modules); its KDIR is /lib/modules/KVER/build
# (linux-headers-KVER).  MODROOT is empty unless the kernel has no
# /lib/modules/KVER on this host (debug-6.1): then it is a directory to
# bind over /lib/modules in the guest, holding the built-in module index.
#
# Default KDIR ("make", "make module"), a predictable rule:
#   1. /lib/modules/$(uname -r)/build when the running kernel has one;
#   2. else the kernel of Debian's default flavour: the version that the
#      installed linux-headers-amd64 package depends on (6.1 on Debian 12);
#   3. else the only /lib/modules/*/build there is.
#   Several candidates and none of the above: error, pass KDIR=.
#
# Environment: FPM_KMOD_KDIR overrides KDIR for "kmod" (e.g. headers
# unpacked outside /usr/src); FPM_KMOD_DIR overrides build/kmod/NAME.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

die() {
	echo "kernels: $*" >&2
	exit 1
}

# The version a Debian meta package (linux-headers-amd64) depends on.
debian_default_kver() {
	local dep
	dep=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 2>/dev/null || true)
	dep=${dep%%,*}
	dep=${dep%% *}
	case "$dep" in
	linux-headers-*) echo "${dep#linux-headers-}" ;;
	esac
}

default_kdir() {
	local d v n
	d=/lib/modules/$(uname -r)/build
	if [ -d "$d" ]; then
		echo "$d"
		return
	fi
	v=$(debian_default_kver)
	if [ -n "$v" ]; then
		for d in "/lib/modules/$v/build" "/usr/src/linux-headers-$v"; do
			if [ -d "$d" ]; then
				echo "$d"
				return
			fi
		done
	fi
	n=$(find /lib/modules -mindepth 2 -maxdepth 2 -name build 2>/dev/null | wc -l)
	if [ "$n" = 1 ]; then
		find /lib/modules -mindepth 2 -maxdepth 2 -name build
		return
	fi
	[ "$n" = 0 ] && die "no kernel headers (apt-get install linux-headers-amd64), or pass KDIR=DIR"
	die "$n kernel build directories and no default among them: pass KDIR=DIR"
}

# Newest installed Debian image of series X.Y ("6.1" -> 6.1.0-57-amd64,
# "6.12" -> 6.12.117+deb12-amd64) that has its modules.
debian_kver() {
	local series=$1 v
	for v in $(find /boot -maxdepth 1 -name "vmlinuz-$series.*-amd64" -printf '%f\n' 2>/dev/null |
		sed 's/^vmlinuz-//' | sort -rV); do
		if [ -d "/lib/modules/$v/kernel" ]; then
			echo "$v"
			return
		fi
	done
}

resolve() {
	local name=$1 kernel="" kver="" kdir="" modroot="" out series pkg
	case "$name" in
	debian-6.1 | debian-6.12)
		series=${name#debian-}
		kver=$(debian_kver "$series")
		pkg=linux-image-amd64
		[ "$series" = 6.12 ] && pkg=linux-image-6.12-amd64
		[ -n "$kver" ] || die "$name: no /boot/vmlinuz-$series.*-amd64 with modules (apt-get install $pkg; scripts/install-deps.sh)"
		kernel=/boot/vmlinuz-$kver
		kdir=/lib/modules/$kver/build
		[ -d "$kdir" ] || kdir=/usr/src/linux-headers-$kver
		;;
	debug-6.1)
		out=$("$repo/tests/vm/build-kernel.sh") || die "debug-6.1: build failed"
		kernel=$(sed -n 's/^KERNEL=//p' <<<"$out" | tail -n 1)
		kdir=$(sed -n 's/^KDIR=//p' <<<"$out" | tail -n 1)
		kver=$(cat "$(dirname "$kernel")/kernelrelease")
		modroot=$(dirname "$kernel")/modroot/lib/modules
		;;
	/* | ./* | ../*)
		[ -f "$name" ] || die "$name: no such kernel image"
		kernel=$(cd "$(dirname "$name")" && pwd)/$(basename "$name")
		kver=$(file -bL "$kernel" | sed -n 's/.*, version \([^ ]*\) .*/\1/p')
		[ -n "$kver" ] || die "$name: cannot read the kernel version (file -bL)"
		kdir=/lib/modules/$kver/build
		if [ ! -d "/lib/modules/$kver" ] && [ -d "$(dirname "$kernel")/modroot/lib/modules/$kver" ]; then
			modroot=$(dirname "$kernel")/modroot/lib/modules
			kdir=$(dirname "$kernel")/linux-source-6.1
		fi
		;;
	*) die "unknown kernel '$name' (debian-6.1, debian-6.12, debug-6.1 or a path)" ;;
	esac
	printf 'NAME=%q\nKERNEL=%q\nKVER=%q\nKDIR=%q\nMODROOT=%q\n' \
		"$name" "$kernel" "$kver" "$kdir" "$modroot"
}

# Copy what Kbuild needs (Kbuild, src/, include/) into DIR, touching only
# files whose content changed so that make rebuilds incrementally.
sync_sources() {
	local dst=$1 f
	(cd "$repo" && find Kbuild src include -type f \( -name Kbuild -o -name '*.[ch]' \)) |
		while read -r f; do
			if ! cmp -s "$repo/$f" "$dst/$f"; then
				mkdir -p "$dst/$(dirname "$f")"
				cp "$repo/$f" "$dst/$f"
			fi
		done
	# sources deleted from the checkout
	(cd "$dst" && find src include -type f -name '*.[ch]' 2>/dev/null) |
		while read -r f; do
			[ -f "$repo/$f" ] || rm -f "$dst/$f"
		done
}

kmod() {
	local name=$1 info dir log NAME KERNEL KVER KDIR MODROOT v
	info=$(resolve "$name") || exit 1
	eval "$info"
	KDIR=${FPM_KMOD_KDIR:-$KDIR}
	[ -d "$KDIR" ] || die "$name: no kernel build directory $KDIR (linux-headers-$KVER)"
	case "$name" in
	/*) dir=$repo/build/kmod/$KVER ;;
	*) dir=$repo/build/kmod/$name ;;
	esac
	dir=${FPM_KMOD_DIR:-$dir}
	mkdir -p "$dir"
	sync_sources "$dir"
	log=$dir/build.log
	if ! make -C "$KDIR" M="$dir" modules >"$log" 2>&1; then
		cat "$log" >&2
		die "$name: module build failed against $KDIR"
	fi
	# Warning-free: the compiler's are errors already (Kbuild: -Werror);
	# modpost's and the linker's are not.
	if grep -E -i '(^|[^a-z_])warning:' "$log" >&2; then
		die "$name: module build against $KDIR has warnings (above; log $log)"
	fi
	v=$(modinfo -F vermagic "$dir/ftp_portmap.ko" | awk '{print $1}')
	[ "$v" = "$KVER" ] || die "$name: built $dir/ftp_portmap.ko has vermagic $v, kernel is $KVER"
	echo "$dir/ftp_portmap.ko"
}

case "${1:-}" in
default-kdir) default_kdir ;;
resolve)
	[ $# -eq 2 ] || die "usage: $0 resolve NAME"
	resolve "$2"
	;;
kmod)
	[ $# -eq 2 ] || die "usage: $0 kmod NAME"
	kmod "$2"
	;;
*)
	sed -n '3,/^set -e/p' "$0" | sed 's/^# \{0,1\}//;$d' >&2
	exit 2
	;;
esac
