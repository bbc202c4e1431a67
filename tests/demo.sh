#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: FTP through NAT on a non-standard port, narrated.
#
# A client reaches an FTP server behind a NAT router at 203.0.113.1:8021;
# the router forwards to the real server 10.10.10.10:6293.  With the port
# mapped in ftp-portmap's table, the router rewrites the server's
# "227 Entering Passive Mode (10,10,10,10,...)" so the client sees the
# public address, and lets the data connection through.  Then the same
# without the mapping, which fails.
#
#   tests/demo.sh [--direct|--vm]
#
# Runs in the test VM when this host cannot load the module (like the
# tests).  FPM_HELPER=ftp narrates the same with the kernel's stock helper.
# Functions called through run() look unreachable to shellcheck.
# shellcheck disable=SC2317
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

where=auto
case "${1:-}" in
--direct) where=direct ;;
--vm) where=vm ;;
esac
if [ "$where" = auto ] && [ "${FPM_IN_VM:-0}" != 1 ]; then
	kver=$(uname -r)
	v=$(modinfo -F vermagic "$repo/ftp_portmap.ko" 2>/dev/null | awk '{print $1}')
	if [ -e /proc/modules ] && [ -d "/lib/modules/$kver" ] && [ "$v" = "$kver" ]; then
		where=direct
	else
		where=vm
	fi
fi
if [ "$where" = vm ]; then
	echo "(this kernel, $(uname -r), cannot load the module: the demo runs in a VM"
	echo " booting $(modinfo -F vermagic "$repo/ftp_portmap.ko" 2>/dev/null | awk '{print $1}'); boot takes a little while)"
	color=0
	[ -t 1 ] && color=1
	FPM_DEMO_COLOR=${FPM_DEMO_COLOR:-$color} exec "$here/vm/run.sh" --timeout 900 -- "$here/demo.sh" --direct
fi

# shellcheck source=tests/netns/lib.sh
. "$here/netns/lib.sh"

if [ "${FPM_DEMO_COLOR:-}" = 1 ] || { [ -z "${FPM_DEMO_COLOR:-}" ] && [ -t 1 ]; }; then
	B=$(printf '\033[1m') H=$(printf '\033[1;32m') R=$(printf '\033[1;31m') N=$(printf '\033[0m')
else
	B="" H="" R="" N=""
fi
step_n=0
banner() {
	step_n=$((step_n + 1))
	printf '\n%s== %d. %s%s\n' "$B" "$step_n" "$*" "$N"
}
# run CMD...: show the command as typed in the namespace it runs in
run() {
	local shown=$*
	shown=${shown/rtr_ctl/router# portmapctl}
	shown=${shown/nsx $NS_RTR /router# }
	printf '%s%s%s\n' "$B" "$shown" "$N"
	"$@"
}

FPM_STATE=$(mktemp -d "${TMPDIR:-/tmp}/fpm-demo.XXXXXX")
chmod 755 "$FPM_STATE"
# the harness's per-test state (see lib.sh), for one "test"
# shellcheck disable=SC2034
FPM_NS_PREFIX=fpmdemo$$
# shellcheck disable=SC2034
T_INDEX=0 T_NAME=demo T_DIR=$FPM_STATE/demo T_RES=$FPM_STATE/demo.res
mkdir -p "$T_DIR" && chmod 755 "$T_DIR"
: >"$FPM_STATE/pids.list"
: >"$FPM_STATE/netns.list"
: >"$T_RES"
trap _suite_exit EXIT

die() {
	echo "${R}demo failed: $*${N}" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "must run as root"
FPM_SETUP_ERROR=
module_load || die "$FPM_SETUP_ERROR"
rtr_ctl() { nsx "$NS_RTR" "$PORTMAPCTL" "$@"; }
if [ "$FPM_HELPER" = ftp ]; then
	rtr_ctl() {
		echo "(stock helper: the mapping table is emulated by nft rules)"
		case "$2" in
		add | del) map_"$2" "$NS_RTR" "$3" ;;
		*) nsx "$NS_RTR" nft list chain inet fpm mapped ;;
		esac
	}
fi

banner "Topology: three network namespaces"
cat <<EOF
   client  $CLI4            lftp
      |
   router  $PUB4 (public)  |  $IN_GW4 (inside)
      |      nftables: DNAT $PUB4:8021 -> $SRV4:6293, masquerade,
      |      forward policy drop: only the control port is open
   server  $SRV4           vsftpd on port 6293

The FTP server is reached on a non-standard port (8021 outside, 6293
inside), so no port-21 helper would ever look at this connection.
kernel $(uname -r), helper "$FPM_HELPER"$([ "$FPM_HELPER" = ftp ] || echo ", module $(modinfo -F version "$FPM_MODULE") loaded")
EOF
topo_basic "" || die "topology"
vsftpd_start "$NS_SRV" 6293 v4 || die "vsftpd"
router_nft "$NS_RTR" r0 "dnat4 $PUB4 8021 $SRV4 6293" || die "nft"

banner "The router's ruleset"
run nsx "$NS_RTR" nft list table inet fpm |
	sed '/chain assign/,/^	}/d;/chain mapped/,/^	}/d;/ct helper fpm/,/^	}/d' | cat -s

banner "Map the server's port in the router's table"
run rtr_ctl map add 6293 || die "map add"
run rtr_ctl map list

banner "Passive download from the client: lftp ftp://$PUB4:8021, get pub.bin"
ok=1
if ftp_get "$NS_CLI" "ftp://$PUB4:8021" passive "$SRV_FILE"; then
	grep -E -e '---> |<--- |---- (Connecting data|Data connection)' "$XFER_LOG" |
		sed -E 's/^[0-9-]+ [0-9:]+ //' | grep -v -E '^<--- ( |211)' | sed 's/^/   /'
	said=$(grep -o '"227 [^"]*"' "$T_DIR/ftp-$NS_SRV/vsftpd.log" | tail -n 1)
	saw=$(grep -o '<--- 227 .*' "$XFER_LOG" | tail -n 1 | sed 's/^<--- //')
	echo
	echo "   the server sent:  ${said//\"/}"
	echo "   the client saw:   ${H}$saw${N}"
	case "$saw" in
	*203,0,113,1,*) echo "   -> rewritten to the router's public address by the $FPM_HELPER helper" ;;
	*) echo "   ${R}-> NOT rewritten${N}"; ok=0 ;;
	esac
	echo
	echo "   sha256 on the server: $(sha256sum <"$SRV_FILE" | cut -c1-64)"
	echo "   sha256 downloaded:    $(sha256sum <"$T_DIR/dl-$XFER_N.bin" | cut -c1-64)"
	echo "   ${H}identical, $(stat -c %s "$SRV_FILE") bytes${N} (${XFER_SECS}s)"
else
	echo "${R}   the download failed:${N}"
	sed 's/^/   | /' "$XFER_LOG" | tail -n 20
	ok=0
fi

banner "Active download (the server connects back; PORT from the client)"
if ftp_get "$NS_CLI" "ftp://$PUB4:8021" active "$SRV_FILE"; then
	grep -E -e '---> PORT|<--- 200 PORT' "$XFER_LOG" | sed -E 's/^[0-9-]+ [0-9:]+ /   /'
	echo "   ${H}identical${N} (${XFER_SECS}s)"
else
	echo "${R}   the active download failed${N}"
	ok=0
fi

banner "What the table counted"
run rtr_ctl map list
if [ "$FPM_HELPER" != ftp ]; then
	run rtr_ctl map list --json
	echo
	run rtr_ctl stats
fi
echo
run nsx "$NS_RTR" conntrack -L -p tcp --orig-port-dst 8021 2>/dev/null

banner "The same without the mapping"
run rtr_ctl map del 6293 || die "map del"
if ftp_get "$NS_CLI" "ftp://$PUB4:8021" passive "$SRV_FILE"; then
	echo "${R}   the download worked without the mapping: the demo's premise is broken${N}"
	ok=0
else
	saw=$(grep -o '<--- 227 .*' "$XFER_LOG" | tail -n 1 | sed 's/^<--- //')
	echo "   the client saw:   ${R}$saw${N}"
	echo "   -> the server's private address: the client's data connection to"
	echo "      $SRV4 is dropped by the router (not RELATED to anything)."
	grep -E -e '---- (Connecting data|Data connection|.*[Tt]imeout|Closing)|^[a-z]+: ' \
		"$XFER_LOG" | sed -E 's/^[0-9-]+ [0-9:]+ //' | head -n 4 | sed 's/^/   /'
	echo "   lftp: $(tail -n 1 "$XFER_LOG.out" 2>/dev/null)"
	echo "   ${H}failed as expected${N} after ${XFER_SECS}s"
fi

echo
if [ "$ok" = 1 ]; then
	echo "${H}demo: ok${N}"
	exit 0
fi
echo "${R}demo: something did not go as described${N}"
exit 1
