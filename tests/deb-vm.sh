#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The .debs of "make deb" on a fresh root, then the demo from the
# installed paths only (issue 10).
#
#   tests/deb-vm.sh          (boots the test VM unless FPM_IN_VM=1)
#
# In the VM (the host's root read-only over 9p, tmpfs scratch):
#   1. a root for the packages: an overlay whose lower layer is the host's
#      root file system and whose upper layer is tmpfs, so dpkg writes only
#      there; the checkout is hidden under an empty tmpfs inside it (the
#      package must stand on its own) and /lib/modules/*/updates is empty;
#   2. dpkg -i ftp-portmap-dkms and portmapctl in a chroot of it: the
#      postinst builds the module with DKMS for the running kernel;
#   3. checks: the module is installed under updates/dkms, modprobe in the
#      chroot loads that file, the man page, completion, unit and
#      modules-load.d entry are there;
#   4. tests/demo.sh with PORTMAPCTL = the chroot's /usr/sbin/portmapctl
#      and the module loaded from the chroot (the demo's own scenario;
#      its FTP peers, vsftpd and lftp, are the host's);
#   5. the unit's ExecStart, from the installed unit, restores a saved
#      configuration into a namespace after a "flush ruleset".
# Prerequisite: make deb (build/deb/*.deb).  Last line "N passed, N failed".
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

if [ "${FPM_IN_VM:-0}" != 1 ]; then
	exec "$here/vm/run.sh" --timeout "${FPM_DEB_VM_TIMEOUT:-2400}" -- \
		"$here/deb-vm.sh"
fi

pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}
finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" = 0 ]
	exit
}

dk=$(find "$repo/build/deb" -maxdepth 1 -name "ftp-portmap-dkms_*_all.deb" 2>/dev/null | head -n 1)
pc=$(find "$repo/build/deb" -maxdepth 1 -name "portmapctl_*.deb" 2>/dev/null | head -n 1)
if [ -z "$dk" ] || [ -z "$pc" ]; then
	bad "no .debs in build/deb: run make deb first"
	finish
fi
kver=$(uname -r)
work=$(mktemp -d "${TMPDIR:-/tmp}/fpm-deb.XXXXXX")
root=$work/root
mounts=()
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	local i
	rmmod ftp_portmap 2>/dev/null
	for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
		umount -l "${mounts[i]}" 2>/dev/null
	done
	rm -rf "$work" 2>/dev/null
}
trap cleanup EXIT
mnt() { # mnt TARGET MOUNT-ARGS...: mount and remember
	local t=$1
	shift
	mount "$@" "$t" && mounts+=("$t")
}

# ---- 1. the root ----------------------------------------------------------------
mkdir -p "$work/up" "$work/wk" "$root"
if ! mnt "$root" -t overlay overlay -o "lowerdir=/,upperdir=$work/up,workdir=$work/wk"; then
	bad "overlay root over / (tmpfs upper)"
	finish
fi
ok "overlay root: lower = host root, upper = tmpfs"
for d in proc sys dev dev/pts run tmp; do
	case $d in
	proc) mnt "$root/proc" -t proc proc ;;
	sys) mnt "$root/sys" --rbind /sys ;;
	dev) mnt "$root/dev" --rbind /dev ;;
	dev/pts) ;;
	run) mnt "$root/run" -t tmpfs tmpfs ;;
	tmp) mnt "$root/tmp" -t tmpfs tmpfs ;;
	esac
done
# Nothing of the checkout, nor a module installed before, in the root.
mnt "$root$repo" -t tmpfs tmpfs
check "the checkout is hidden in the root" test -z "$(ls -A "$root$repo")"
if [ -d "$root/lib/modules/$kver/updates" ]; then
	mnt "$root/lib/modules/$kver/updates" -t tmpfs tmpfs
fi
check "portmapctl is not installed in the root beforehand" \
	test ! -e "$root/usr/sbin/portmapctl"
cp "$dk" "$pc" "$root/tmp/"
# man-db's trigger rebuilds every index (minutes under emulation): off,
# in the root only.
rm -f "$root/var/lib/man-db/auto-update"

# ---- 2. dpkg -i -------------------------------------------------------------------
rmmod ftp_portmap 2>/dev/null
t0=$(date +%s)
if chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	DEBIAN_FRONTEND=noninteractive \
	dpkg -i "/tmp/$(basename "$dk")" "/tmp/$(basename "$pc")" \
	>"$work/dpkg.log" 2>&1; then
	echo "    # dpkg -i took $(($(date +%s) - t0))s"
	ok "dpkg -i ftp-portmap-dkms portmapctl (DKMS build in postinst)"
else
	bad "dpkg -i: $(tail -n 30 "$work/dpkg.log")"
	find "$root/var/lib/dkms" -name make.log -exec tail -n 30 {} \; 2>/dev/null
	finish
fi
grep -E 'dkms|Building|Installing|depmod' "$work/dpkg.log" | head -n 12 | sed 's/^/    | /'

# ---- 3. what got installed --------------------------------------------------------
ko=$(find "$root/lib/modules/$kver/updates" -name 'ftp_portmap.ko*' 2>/dev/null | head -n 1)
check "DKMS installed lib/modules/$kver/updates/dkms/ftp_portmap.ko" test -n "$ko"
check "dkms status says installed" \
	bash -c "chroot '$root' dkms status ftp-portmap | grep -q '$kver.*installed'"
for f in usr/sbin/portmapctl usr/share/man/man8/portmapctl.8.gz \
	usr/share/bash-completion/completions/portmapctl \
	lib/systemd/system/ftp-portmap.service \
	usr/lib/modules-load.d/ftp-portmap.conf; do
	check "installed /$f" test -s "$root/$f"
done
if chroot "$root" modprobe ftp_portmap 2>"$work/modprobe.err"; then
	ok "modprobe ftp_portmap in the root"
else
	bad "modprobe ftp_portmap: $(cat "$work/modprobe.err")"
	finish
fi
check "the loaded module is the DKMS build" test \
	"$(cat /sys/module/ftp_portmap/srcversion)" = "$(modinfo -F srcversion "$ko")"
check "the installed portmapctl talks to it" \
	bash -c "chroot '$root' /usr/sbin/portmapctl version | grep -q 'module: '"

# ---- 4. the demo, from the installed paths -----------------------------------------
wrapper=$work/portmapctl
printf '#!/bin/sh\nexec chroot %q /usr/sbin/portmapctl "$@"\n' "$root" >"$wrapper"
chmod 755 "$wrapper"
if PORTMAPCTL=$wrapper FPM_MODULE=$ko FPM_DEMO_COLOR=0 \
	"$here/demo.sh" --direct >"$work/demo.log" 2>&1; then
	ok "the demo with the installed portmapctl and module"
else
	bad "the demo failed"
fi
sed 's/^/    | /' "$work/demo.log" | tail -n 25

# ---- 5. the unit's ExecStart after a flush ruleset --------------------------------
ns=fpmdeb$$
ip netns add "$ns" && ip -n "$ns" link set lo up
cat >"$root/etc/ftp-portmap.conf" <<-'CONF'
	map add 2121
	nat-server add tcp global 203.0.113.1 8021 inside 10.10.10.10 6293 ftp
CONF
start=$(sed -n 's/^ExecStart=//p' "$root/lib/systemd/system/ftp-portmap.service")
check "the installed unit restores /etc/ftp-portmap.conf" \
	test "$start" = "/usr/sbin/portmapctl restore /etc/ftp-portmap.conf"
# shellcheck disable=SC2086 # the unit's command line, split as systemd does
nsenter --net="/run/netns/$ns" chroot "$root" $start
check "ExecStart in a fresh namespace" test $? = 0
nsenter --net="/run/netns/$ns" nft flush ruleset
# shellcheck disable=SC2086
nsenter --net="/run/netns/$ns" chroot "$root" $start
check "ExecStart again after flush ruleset" test $? = 0
check "the rule is back, ftp, status ok" bash -c \
	"nsenter --net=/run/netns/$ns chroot '$root' /usr/sbin/portmapctl -j nat-server list |
	 jq -e 'length == 1 and .[0].ftp and .[0].status == \"ok\"' >/dev/null"
ip netns del "$ns"
finish
