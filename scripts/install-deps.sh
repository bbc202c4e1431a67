#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything ftp-portmap needs to build and test on Debian 12.
#
# Idempotent and quiet: when every package is already installed this prints
# nothing and never calls apt.  Otherwise it refreshes the package lists
# (only when they are missing or older than a day), installs what is
# missing non-interactively, and makes sure no FTP daemon is left running
# (the tests start their own vsftpd/proftpd inside network namespaces).
#
# Environment:
#   FPM_DEPS_EXTRA   more package names to install (space separated)
#   FPM_DEPS_DRYRUN  1: only print what would be installed
set -euo pipefail

PACKAGES=(
	# build
	build-essential pkg-config libmnl-dev libnftables-dev
	# portmapctl: JSON (jansson, as libnftables) and ctnetlink (conn list)
	libjansson-dev libnetfilter-conntrack-dev
	# packaging: DKMS, make deb, the completion test
	dkms dh-dkms debhelper dpkg-dev bash-completion
	linux-image-amd64 linux-headers-amd64
	# the second test kernel: Debian 12's 6.12 (bookworm-security); pahole
	# (dwarves) makes the BTF of out-of-tree modules against it
	linux-image-6.12-amd64 linux-headers-6.12-amd64 dwarves
	# the debug-6.1 test kernel (tests/vm/build-kernel.sh) is built from
	# the kernel source, which also brings checkpatch.pl
	linux-source-6.1 flex bison bc libelf-dev libssl-dev file
	# fuzzing/sanitizers, memory checking; llvm: llvm-cov/llvm-profdata
	# for make fuzz's coverage report
	clang libclang-rt-14-dev llvm valgrind
	# the VM runner
	qemu-system-x86 busybox-static cpio kmod xz-utils zstd
	# network tests: real peers and tools
	# (proftpd-basic Conflicts: ftp-server, so it cannot be installed
	# beside vsftpd; the TLS/CCC tests use vsftpd's own TLS support.)
	vsftpd lftp nftables conntrack iproute2 iptables
	iputils-ping tcpdump ethtool openssl
	python3 procps psmisc jq
	# the genetlink spec (Documentation/netlink/specs) is YAML
	python3-yaml
	# the HA pair (tests/netns/ha.sh): conntrack synchronisation, VRRP
	conntrackd keepalived
	# libraries of the private ProFTPD (scripts/fetch-proftpd.sh unpacks
	# proftpd-core and proftpd-mod-crypto without installing them)
	libhiredis0.14 libmemcached11 libmemcachedutil2 libpcre2-posix3
)
# shellcheck disable=SC2206
[ -n "${FPM_DEPS_EXTRA:-}" ] && PACKAGES+=(${FPM_DEPS_EXTRA})

missing=()
for p in "${PACKAGES[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing+=("$p")
done
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ ${#missing[@]} -eq 0 ]; then
	# The ProFTPD used by the CCC test: fetched on the host, once.
	exec "$repo/scripts/fetch-proftpd.sh"
fi

echo "install-deps: missing: ${missing[*]}"
if [ "${FPM_DEPS_DRYRUN:-0}" = 1 ]; then
	exit 0
fi

SUDO=
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null; then
		SUDO=sudo
	else
		echo "install-deps: must run as root (or have sudo)" >&2
		exit 1
	fi
fi

export DEBIAN_FRONTEND=noninteractive
APT_OPTS=(-y -q -o Dpkg::Use-Pty=0 -o Dpkg::Options::=--force-confdef
	-o Dpkg::Options::=--force-confold)

# Refresh the lists when there are none or they are older than a day.
lists=/var/lib/apt/lists
if [ -z "$(find "$lists" -maxdepth 1 -name '*_Packages*' -mmin -1440 \
	-print -quit 2>/dev/null)" ]; then
	$SUDO apt-get update -q
fi

# Keep maintainer scripts from starting daemons (vsftpd, proftpd): a
# policy-rc.d that denies every start, removed again on the way out.  An
# existing policy-rc.d is left alone (it is someone else's).
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
	$SUDO chmod 755 "$policy"
	own_policy=1
fi
cleanup() {
	if [ "$own_policy" = 1 ]; then
		$SUDO rm -f "$policy"
	fi
}
trap cleanup EXIT

$SUDO apt-get install "${APT_OPTS[@]}" --no-install-recommends "${missing[@]}"

# Belt and braces: if a daemon got started anyway (no policy-rc.d support,
# an inetd entry), stop and disable it.  The service names are the Debian
# packages' own.  conntrackd and keepalived too: the HA tests start their
# own in namespaces, and a host-wide conntrackd would sync (and its
# keepalived would move) the machine's own state.
for svc in vsftpd proftpd conntrackd keepalived; do
	if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
		$SUDO systemctl disable --now "$svc" >/dev/null 2>&1 || true
	elif [ -x "/etc/init.d/$svc" ]; then
		$SUDO "/etc/init.d/$svc" stop >/dev/null 2>&1 || true
	fi
done
if command -v update-rc.d >/dev/null; then
	for svc in vsftpd proftpd conntrackd keepalived; do
		if [ -e "/etc/init.d/$svc" ]; then
			$SUDO update-rc.d "$svc" disable >/dev/null 2>&1 || true
		fi
	done
fi
echo "install-deps: done"
"$repo/scripts/fetch-proftpd.sh"
