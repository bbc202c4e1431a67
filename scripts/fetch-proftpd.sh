#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Make a private ProFTPD with mod_tls available under <repo>/build/proftpd/
# for the CCC test of tests/netns/stream.sh (case ccc_proftpd).
#
# Debian's proftpd packages conflict with vsftpd (both provide ftp-server)
# and the other suites need vsftpd installed, so ProFTPD is never installed:
# this fetches the bookworm packages with "apt-get download" and unpacks
# them with "dpkg -x".  Nothing is configured, no service is started, the
# dpkg database is not touched.
#
#   scripts/fetch-proftpd.sh        (on the host: the test VM has no network)
#
# What is unpacked:
#   proftpd-core        /usr/sbin/proftpd, the shared modules in
#                       /usr/lib/proftpd (mod_dso is compiled in)
#   proftpd-mod-crypto  /usr/lib/proftpd/mod_tls.so (and mod_sftp ...)
# The shared libraries they link against must already be on the host; the
# script checks with ldd and names the missing ones (install those library
# packages, never proftpd itself).
#
# Idempotent and quiet: when build/proftpd is complete and runs, it prints
# nothing and exits 0.  Exit status 1, with a message, when apt cannot
# fetch or the result does not run.
#
# Environment:
#   FPM_PROFTPD_DIR   where to unpack (default <repo>/build/proftpd)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
dest=${FPM_PROFTPD_DIR:-$repo/build/proftpd}
PKGS=(proftpd-core proftpd-mod-crypto)

die() { echo "fetch-proftpd: $*" >&2; exit 1; }

# The unpacked tree works: the binary runs, every library of the binary and
# of mod_tls.so resolves, and the config parser loads mod_tls from the
# tree's own module directory.
check() {
	local bin=$dest/usr/sbin/proftpd mods=$dest/usr/lib/proftpd
	[ -x "$bin" ] && [ -f "$mods/mod_tls.so" ] || return 1
	local miss
	miss=$( { ldd "$bin"; ldd "$mods/mod_tls.so"; } 2>&1 |
		sed -n 's/^[[:space:]]*\([^[:space:]]*\) => not found.*/\1/p' | sort -u)
	if [ -n "$miss" ]; then
		CHECK_ERR="missing shared libraries: $(echo $miss) (install the Debian library packages that hold them, e.g. 'apt-file search', or 'apt-cache depends ${PKGS[*]}')"
		return 1
	fi
	"$bin" -v >/dev/null 2>&1 || { CHECK_ERR="$bin -v fails"; return 1; }
	local conf out
	conf=$(mktemp)
	cat >"$conf" <<-EOF
	ModulePath $mods
	LoadModule mod_tls.c
	<IfModule mod_tls.c>
	TLSEngine off
	</IfModule>
	EOF
	# -t: syntax check only; the config must load mod_tls.c
	if ! out=$("$bin" -t -n -c "$conf" 2>&1); then
		rm -f "$conf"
		CHECK_ERR="LoadModule mod_tls.c from $mods fails: $(echo "$out" | tail -n 3)"
		return 1
	fi
	rm -f "$conf"
	return 0
}

CHECK_ERR=
check && exit 0
if [ -n "$CHECK_ERR" ] && [ -x "$dest/usr/sbin/proftpd" ]; then
	echo "fetch-proftpd: existing $dest is not usable ($CHECK_ERR); fetching again" >&2
fi

command -v apt-get >/dev/null || die "apt-get not found (this needs a Debian 12 host)"
command -v dpkg >/dev/null || die "dpkg not found"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fetch-proftpd.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# apt drops to the _apt user to download; let it write here (else apt
# warns and downloads unsandboxed)
if [ "$(id -u)" = 0 ] && id _apt >/dev/null 2>&1; then
	chown _apt "$tmp"
fi

echo "fetch-proftpd: apt-get download ${PKGS[*]}"
if ! (cd "$tmp" && apt-get download -q "${PKGS[@]}") >"$tmp/apt.log" 2>&1; then
	# the package lists may be missing or stale (a fresh container)
	if [ "$(id -u)" = 0 ]; then
		echo "fetch-proftpd: download failed; apt-get update and retry"
		apt-get update -q >>"$tmp/apt.log" 2>&1 || true
		if ! (cd "$tmp" && apt-get download -q "${PKGS[@]}") >>"$tmp/apt.log" 2>&1; then
			sed 's/^/  /' "$tmp/apt.log" >&2
			die "apt-get download ${PKGS[*]} failed (network? apt sources?)"
		fi
	else
		sed 's/^/  /' "$tmp/apt.log" >&2
		die "apt-get download ${PKGS[*]} failed (network? stale lists: run apt-get update as root)"
	fi
fi

# Unpack into a fresh tree next to the destination, then swap it in, so an
# interrupted run never leaves a half tree that looks complete.
new=$dest.new.$$
rm -rf "$new"
mkdir -p "$new"
for p in "${PKGS[@]}"; do
	deb=$(ls "$tmp/${p}_"*.deb 2>/dev/null | head -n1)
	[ -n "$deb" ] || { rm -rf "$new"; die "apt-get download left no $p .deb"; }
	dpkg -x "$deb" "$new" || { rm -rf "$new"; die "dpkg -x $deb failed"; }
	dpkg-deb -W --showformat='${Package} ${Version}\n' "$deb" >>"$new/VERSIONS"
done
rm -rf "$dest"
mv "$new" "$dest"

CHECK_ERR=
if ! check; then
	die "unpacked to $dest but it does not work: ${CHECK_ERR:-proftpd or mod_tls.so missing from the packages}"
fi
echo "fetch-proftpd: $("$dest/usr/sbin/proftpd" -v 2>&1) with mod_tls in $dest"
