#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# netns-suite: by-name
#   (not in the default suite list of tests/run-netns.sh and make check:
#   run it by name; docs/ha.md says why)
#
# An active-backup router pair (issue 12): keepalived VRRP moves the NAT
# server address and the inside gateway, conntrackd (FTFW, expectation
# sync) replicates conntrack, and FTP sessions through the pair must
# survive a failover.  The cases run in two columns, each on a router pair
# of its own (one test each): ftp-portmap (test_fpm, the verdict) and the
# kernel's stock helper, nf_conntrack_ftp + nf_nat_ftp attached by an nft
# "ct helper" object on both routers (test_stock, a measured comparison
# column: a stock test passes when every case could be run and measured,
# whatever the stock helper did; its outcome is printed and goes into the
# table test_summary prints).  docs/ha.md has the configuration and the
# measured table.
#
#   tests/run-netns.sh ha                         (boots the VM when needed)
#   FPM_HA_CASES='2 3' TEST_FILTER='fpm|summary' tests/run-netns.sh ha
#   FPM_HELPER=ftp tests/netns/ha.sh   stock column only, on a host that
#                                      cannot load the module
#
# FPM_HA_CASES: the cases, in the order they run on a column's pair
# (default "0 1 4 2 3 5 6": case 4 starts failed over, where case 1 left
# the pair); FPM_HA_SESSIONS: case 6's sessions (default 50);
# FPM_HA_HASHSIZE: conntrackd's HashSize (default 32768).
#
# Topology (fresh namespaces; "sw" holds two bridges, the shared segments):
#
#                       cli c0 203.0.113.2
#                              |
#        +--------------- sw br0 (public segment) ---------------+
#        |                                                        |
#   rt1 u0 203.0.113.11                                 rt2 u0 203.0.113.12
#       VIP 203.0.113.1 (VRRP 51)                           (backup)
#   rt1 sy0 10.99.0.1 ------------ sync link ------------ rt2 sy0 10.99.0.2
#   rt1 in0 10.10.10.2                                  rt2 in0 10.10.10.3
#       VIP 10.10.10.1 (VRRP 52)                            (backup)
#        |                                                        |
#        +--------------- sw br1 (inside segment) ---------------+
#                              |
#                  srv s0 10.10.10.100, vsftpd on 6293
#
# The NAT server 203.0.113.1:8021 -> 10.10.10.100:6293: the server's 227
# names 10,10,10,100 (12 characters), the client must see 203,0,113,1 (11),
# so every rewrite changes the reply's length and moves the sequence
# adjustment (case 2 is about that).  ftp-portmap's column configures rt1
# with "portmapctl nat-server add ... ftp", saves it and restores the file
# on rt2; the stock column loads one nft file on both.  Both load the same
# firewall (forward policy drop: established/related, new DNATed
# connections) and set nf_conntrack_tcp_loose=0 (a router must not pick
# up, as a new unNATed connection, a mid-stream packet that arrives before
# conntrackd has committed the synced state).
#
# Failover is keepalived's own: rt1 (priority 150, preempt after 5 s) and
# rt2 (100) run VRRP on both segments in one sync group, advert_int 1; its
# notify script (tests/netns/_ha-notify.sh) runs the steps of conntrackd's
# primary-backup.sh.  "rt1 fails" = its switch ports and its sync link go
# down (keepalived sees the links go: FAULT; rt2 takes over when the
# adverts stop); failback = the links come back (rt1: BACKUP, resync
# request, then preemption).
#
# Cases (issue 12): 0 baseline through the primary; 1 a passive download
# in progress across a failover; 2 the same control connection after a
# failover: PASV twice and PORT; 3 a PASV answered through the primary,
# failover before the data connection; 4 failback, new sessions through
# the primary; 5 failover between PASV and its 227 (mid-stream pickup);
# 6 50 sessions with a failover or failback every few seconds.  Before
# each case (but 4) the pair is brought back to rt1 primary: a failback,
# or a new pair when a failover or failback did not finish.

# Test functions are called indirectly (by name), hence SC2317.
# shellcheck disable=SC2317
FPM_TEST_TIMEOUT=${FPM_TEST_TIMEOUT:-1800}
FPM_XFER_TIMEOUT=${FPM_XFER_TIMEOUT:-240}
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

HA_NOTIFY=$NETNS_DIR/_ha-notify.sh
# The cases, in the order they run on one pair (case 4 starts where case
# 1 left the pair: failed over), and case 6's session count.
HA_CASES=${FPM_HA_CASES:-0 1 4 2 3 5 6}
HA_SESSIONS=${FPM_HA_SESSIONS:-50}
HA_PRIMARY=
for _c in $HA_CASES; do
	case "$_c" in
	[0-6]) ;;
	*)
		echo "FPM_HA_CASES: no case '$_c' (0-6)" >&2
		echo "0 passed, 1 failed"
		exit 2
		;;
	esac
done
HA_CLIENT=$NETNS_DIR/ha_client.py

VIP4=$PUB4                          # 203.0.113.1, the NAT server address
GW4=10.10.10.1                      # the inside virtual gateway
RT1_PUB=203.0.113.11 RT2_PUB=203.0.113.12
RT1_IN=10.10.10.2 RT2_IN=10.10.10.3
RT1_SYNC=10.99.0.1 RT2_SYNC=10.99.0.2
HA_SRV=10.10.10.100
GPORT=8021 SPORT=6293
URL=ftp://$VIP4:$GPORT

# lftp for sessions that live through a failover: a router change takes
# seconds (VRRP detection, conntrackd commit), the usual 5 s timeouts would
# turn it into a reconnection.  Still no retries, no fallbacks.
HA_LFTP="set net:timeout 45; set xfer:timeout 90; set ftp:waiting-150-timeout 45"

# ---------------------------------------------------------------------
# verdicts: ftp-portmap's are the suite's, the stock column is measured
# ---------------------------------------------------------------------
# COL is fpm or stock.  v_check/v_ok/v_fail judge the case: with fpm they
# are pass/fail; with stock they are printed and recorded in
# $T_DIR/verdict, never failing the test.  Infrastructure checks (the pair
# came up, the failover happened, the sync carried the state) use
# check/pass/fail in both columns: a stock test passes only if the case
# really ran.
v_ok() {
	echo ok >>"$T_DIR/verdict"
	if [ "$COL" = fpm ]; then pass "$*"; else _say "    stock ok: $*"; fi
}

v_fail() {
	echo fail >>"$T_DIR/verdict"
	if [ "$COL" = fpm ]; then fail "$*"; else _say "    stock FAIL: $*"; fi
}

v_check() {
	local what=$1
	shift
	if "$@"; then v_ok "$what"; else v_fail "$what"; fi
}

# record CASE NOTE: one line of the comparison table, in the suite's state
# directory (test_summary reads it).
record() {
	local verdict=ok
	grep -q '^fail$' "$T_DIR/verdict" 2>/dev/null && verdict=FAIL
	grep -q . "$T_DIR/verdict" 2>/dev/null || verdict=none
	printf '%s %s %s %s %s\n' "$1" "$COL" "$verdict" \
		"$(($(date +%s) - CASE_T0))" "${2:--}" >>"$FPM_STATE/ha-results"
	if [ "$verdict" = none ]; then
		fail "$COL column: case $1 made no measurement"
	elif [ "$COL" = stock ]; then
		pass "stock column measured: case $1 $verdict"
	fi
}

# ---------------------------------------------------------------------
# topology
# ---------------------------------------------------------------------
ha_topo() {
	local names
	names=$(ns_add cli sw rt1 rt2 srv) || return 1
	{ read -r NS_CLI; read -r NS_SW; read -r NS_RT1; read -r NS_RT2; read -r NS_SRV; } <<<"$names"
	link "$NS_CLI" c0 "$NS_SW" pc &&
		link "$NS_RT1" u0 "$NS_SW" p1u &&
		link "$NS_RT2" u0 "$NS_SW" p2u &&
		link "$NS_RT1" in0 "$NS_SW" p1i &&
		link "$NS_RT2" in0 "$NS_SW" p2i &&
		link "$NS_SRV" s0 "$NS_SW" ps &&
		link "$NS_RT1" sy0 "$NS_RT2" sy0 || return 1
	ipb "$NS_SW" <<-EOF || return 1
		link add br0 type bridge mcast_snooping 0
		link add br1 type bridge mcast_snooping 0
		link set pc master br0
		link set p1u master br0
		link set p2u master br0
		link set p1i master br1
		link set p2i master br1
		link set ps master br1
		link set br0 up
		link set br1 up
	EOF
	ipb "$NS_CLI" <<-EOF || return 1
		addr add $CLI4/24 dev c0
		route add default via $VIP4
	EOF
	ipb "$NS_SRV" <<-EOF || return 1
		addr add $HA_SRV/24 dev s0
		route add default via $GW4
	EOF
	ipb "$NS_RT1" <<-EOF || return 1
		addr add $RT1_PUB/24 dev u0
		addr add $RT1_IN/24 dev in0
		addr add $RT1_SYNC/30 dev sy0
	EOF
	ipb "$NS_RT2" <<-EOF || return 1
		addr add $RT2_PUB/24 dev u0
		addr add $RT2_IN/24 dev in0
		addr add $RT2_SYNC/30 dev sy0
	EOF
	forwarding "$NS_RT1" && forwarding "$NS_RT2"
}

# ---------------------------------------------------------------------
# router configuration: the same on both routers
# ---------------------------------------------------------------------
# The firewall both columns share.  The counter on new DNATed connections
# tells which router took a session.
ha_fw_file() {
	cat >"$T_DIR/fw.nft" <<-EOF
		table inet ha_fw {
			chain forward {
				type filter hook forward priority filter; policy drop;
				ct state established,related accept
				meta l4proto icmp accept
				ct state new ct status dnat counter accept
			}
		}
	EOF
}

# The stock column: DNAT and the "ftp" helper by the control port.
ha_stock_file() {
	cat >"$T_DIR/stock.nft" <<-EOF
		table inet ha_stock {
			ct helper ftp-std {
				type "ftp" protocol tcp
				l3proto inet
			}
			chain pre_nat {
				type nat hook prerouting priority dstnat; policy accept;
				ip daddr $VIP4 tcp dport $GPORT dnat ip to $HA_SRV:$SPORT
			}
			chain helpers {
				type filter hook prerouting priority filter; policy accept;
				ct state new meta l4proto tcp ct original proto-dst $GPORT ct helper set "ftp-std"
			}
		}
	EOF
}

router_sysctls() {
	nsx "$1" sysctl -q -w net.netfilter.nf_conntrack_tcp_loose=0 >/dev/null
}

ha_config() {
	ha_fw_file
	nsx "$NS_RT1" nft -f "$T_DIR/fw.nft" && nsx "$NS_RT2" nft -f "$T_DIR/fw.nft" || return 1
	if [ "$COL" = fpm ]; then
		pmctl "$NS_RT1" nat-server add tcp global "$VIP4" "$GPORT" \
			inside "$HA_SRV" "$SPORT" ftp || return 1
		pmctl "$NS_RT1" save >"$T_DIR/ha.conf" || return 1
		pmctl "$NS_RT2" restore "$T_DIR/ha.conf" || return 1
	else
		modprobe -q nf_conntrack_ftp 2>/dev/null
		modprobe -q nf_nat_ftp 2>/dev/null
		ha_stock_file
		nsx "$NS_RT1" nft -f "$T_DIR/stock.nft" &&
			nsx "$NS_RT2" nft -f "$T_DIR/stock.nft" || return 1
	fi
	router_sysctls "$NS_RT1" && router_sysctls "$NS_RT2"
}

# Both routers run the same portmapctl configuration (fpm column).
same_config() {
	[ "$COL" = fpm ] || return 0
	pmctl "$NS_RT2" save >"$T_DIR/ha-rt2.conf" &&
		cmp -s "$T_DIR/ha.conf" "$T_DIR/ha-rt2.conf"
}

# ---------------------------------------------------------------------
# conntrackd and keepalived
# ---------------------------------------------------------------------
# conntrackd_conf N SELF PEER: FTFW over UDP on the sync link, expectation
# sync for the column's helper.  HashSize must be above 8192 (see
# docs/ha.md): below that, "conntrackd -c" never commits the expectation
# cache.
conntrackd_conf() {
	local n=$1 self=$2 peer=$3 helper=ftp-portmap
	[ "$COL" = stock ] && helper=ftp
	cat >"$T_DIR/rt$n-conntrackd.conf" <<-EOF
		Sync {
			Mode FTFW {
				ResendQueueSize 131072
				PurgeTimeout 30
			}
			UDP {
				IPv4_address $self
				IPv4_Destination_Address $peer
				Port 3780
				Interface sy0
				SndSocketBuffer 1249280
				RcvSocketBuffer 1249280
				Checksum on
			}
			Options {
				ExpectationSync {
					$helper
				}
			}
		}
		General {
			Systemd off
			HashSize ${FPM_HA_HASHSIZE:-32768}
			HashLimit 131072
			LogFile $T_DIR/rt$n-conntrackd.log
			Syslog off
			LockFile $T_DIR/rt$n-conntrackd.lock
			UNIX {
				Path $T_DIR/rt$n-conntrackd.ctl
			}
			NetlinkBufferSize 2097152
			NetlinkBufferSizeMaxGrowth 8388608
			Filter From Userspace {
				Protocol Accept {
					TCP
				}
				Address Ignore {
					IPv4_address 127.0.0.1
					IPv4_address 10.99.0.0/30
				}
			}
		}
	EOF
}

# keepalived_conf N PRIORITY
keepalived_conf() {
	local n=$1 prio=$2 conf log
	conf=$T_DIR/rt$n-conntrackd.conf log=$T_DIR/rt$n-notify.log
	cat >"$T_DIR/rt$n-keepalived.conf" <<-EOF
		global_defs {
			router_id ha-rt$n
			script_user root
			vrrp_garp_master_delay 1
			vrrp_garp_master_repeat 3
		}
		vrrp_sync_group ftp_pair {
			group {
				pub
				in
			}
			notify_master "$HA_NOTIFY $conf $log primary"
			notify_backup "$HA_NOTIFY $conf $log backup"
			notify_fault "$HA_NOTIFY $conf $log fault"
		}
		vrrp_instance pub {
			state BACKUP
			interface u0
			virtual_router_id 51
			priority $prio
			advert_int 1
			preempt_delay 5
			virtual_ipaddress {
				$VIP4/24 dev u0
			}
		}
		vrrp_instance in {
			state BACKUP
			interface in0
			virtual_router_id 52
			priority $prio
			advert_int 1
			preempt_delay 5
			virtual_ipaddress {
				$GW4/24 dev in0
			}
		}
	EOF
}

# start_conntrackd NS N
start_conntrackd() {
	local ns=$1 n=$2 end
	nsx "$ns" conntrackd -C "$T_DIR/rt$n-conntrackd.conf" \
		>"$T_DIR/rt$n-conntrackd.out" 2>&1 &
	echo $! >>"$FPM_STATE/pids.list"
	end=$((SECONDS + 30))
	while [ $SECONDS -lt $end ]; do
		if [ -S "$T_DIR/rt$n-conntrackd.ctl" ] &&
			nsx "$ns" conntrackd -C "$T_DIR/rt$n-conntrackd.conf" -s >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.2
	done
	cat "$T_DIR/rt$n-conntrackd.out" "$T_DIR/rt$n-conntrackd.log" >&2
	return 1
}

start_keepalived() {
	local ns=$1 n=$2
	: >"$T_DIR/rt$n-notify.log"
	nsx "$ns" keepalived -n -l -D -P -f "$T_DIR/rt$n-keepalived.conf" \
		-p "$T_DIR/rt$n-keepalived.pid" -r "$T_DIR/rt$n-vrrp.pid" \
		-c "$T_DIR/rt$n-checkers.pid" >"$T_DIR/rt$n-keepalived.log" 2>&1 &
	echo $! >>"$FPM_STATE/pids.list"
}

# notify_count N STATE: how many times rt N finished a STATE transition.
notify_count() {
	grep -c " $2 done\$" "$T_DIR/rt$1-notify.log" 2>/dev/null
}

# has_vips NS: the router holds both virtual addresses.
has_vips() {
	local a
	a=$(ip -n "$1" -4 -o addr show 2>/dev/null)
	grep -q " $VIP4/" <<<"$a" && grep -q " $GW4/" <<<"$a"
}

# wait_primary N COUNT_BEFORE SECS: rt N holds the VIPs and its notify
# script finished a "primary" transition after COUNT_BEFORE of them.
wait_primary() {
	local n=$1 before=$2 ns end
	ns=$(eval echo "\$NS_RT$n")
	end=$((SECONDS + $3))
	while [ $SECONDS -lt $end ]; do
		if has_vips "$ns" && [ "$(notify_count "$n" primary)" -gt "$before" ]; then
			return 0
		fi
		sleep 0.2
	done
	return 1
}

wait_backup() {
	local n=$1 before=$2 end
	end=$((SECONDS + $3))
	while [ $SECONDS -lt $end ]; do
		[ "$(notify_count "$n" backup)" -gt "$before" ] && return 0
		sleep 0.2
	done
	return 1
}

show_ha_logs() {
	local f
	for f in rt1-notify.log rt2-notify.log rt1-keepalived.log rt2-keepalived.log \
		rt1-conntrackd.log rt2-conntrackd.log; do
		show_log "$f" "$T_DIR/$f" 25
	done
}

# The whole pair for column $COL: topology, configuration, server, daemons;
# rt1 primary.
ha_up() {
	HA_PRIMARY=
	must ha_topo
	must ha_config
	check "both routers run the same portmapctl configuration (save | restore)" same_config
	must vsftpd_start "$NS_SRV" "$SPORT" v4
	conntrackd_conf 1 "$RT1_SYNC" "$RT2_SYNC"
	conntrackd_conf 2 "$RT2_SYNC" "$RT1_SYNC"
	keepalived_conf 1 150
	keepalived_conf 2 100
	must start_conntrackd "$NS_RT1" 1
	must start_conntrackd "$NS_RT2" 2
	start_keepalived "$NS_RT1" 1
	start_keepalived "$NS_RT2" 2
	if wait_primary 1 0 60 && wait_backup 2 0 30; then
		pass "rt1 primary, rt2 backup (keepalived, notify scripts ran)"
	else
		fail "the pair did not come up (rt1 primary, rt2 backup)"
		show_ha_logs
		exit 1
	fi
	HA_PRIMARY=1
	# Neighbours settle before the first session.
	nsx "$NS_CLI" ping -c1 -W2 "$VIP4" >/dev/null 2>&1
	nsx "$NS_SRV" ping -c1 -W2 "$GW4" >/dev/null 2>&1
	info "the pair is up ($(($(date +%s) - HA_T0))s since the column started)"
	return 0
}

# ha_ready: before a case, rt1 primary with all its links up and rt2
# backup: after a case that left rt2 primary, a failback; when the pair
# is in an unknown state (a failover or failback did not finish), a new
# pair from scratch (the case that broke it has failed already).
ha_ready() {
	[ "$HA_PRIMARY" = 1 ] && return 0
	if [ "$HA_PRIMARY" = 2 ] && ha_failback; then
		return 0
	fi
	info "the pair is in an unknown state: building it again"
	topo_reset
	ha_up
}

# since T0: seconds since T0 (date +%s.%N), one decimal
since() {
	awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'
}

# rt1 fails: its switch ports and its sync link go down.  rt2 must take
# over: VIPs, and its notify script's primary steps done.
FAILOVER_SECS=-
ha_failover() {
	local before t0
	before=$(notify_count 2 primary)
	t0=$(date +%s.%N)
	ipb "$NS_SW" <<-EOF
		link set p1u down
		link set p1i down
	EOF
	ip -n "$NS_RT1" link set sy0 down
	HA_PRIMARY=
	if wait_primary 2 "$before" 60; then
		HA_PRIMARY=2
		FAILOVER_SECS=$(since "$t0")
		pass "failover: rt2 primary ${FAILOVER_SECS}s after rt1's links went down"
		return 0
	fi
	fail "failover: rt2 did not become primary"
	show_ha_logs
	return 1
}

# rt1's links come back: it goes backup, asks for a resync, preempts.
FAILBACK_SECS=-
ha_failback() {
	local before1 before2 t0
	before1=$(notify_count 1 primary)
	before2=$(notify_count 2 backup)
	t0=$(date +%s.%N)
	ip -n "$NS_RT1" link set sy0 up
	ipb "$NS_SW" <<-EOF
		link set p1u up
		link set p1i up
	EOF
	HA_PRIMARY=
	if wait_primary 1 "$before1" 90 && wait_backup 2 "$before2" 30; then
		HA_PRIMARY=1
		FAILBACK_SECS=$(since "$t0")
		pass "failback: rt1 primary again ${FAILBACK_SECS}s after its links came back"
		return 0
	fi
	fail "failback: rt1 did not become primary again"
	show_ha_logs
	return 1
}

# new_conns NS: the firewall's count of new DNATed connections on a router.
new_conns() {
	nsx "$1" nft list chain inet ha_fw forward 2>/dev/null |
		sed -n 's/.*ct status dnat counter packets \([0-9]*\).*/\1/p'
}

# ---------------------------------------------------------------------
# sessions
# ---------------------------------------------------------------------
# ha_lftp LOG "SETTINGS" "COMMANDS": one lftp session to the NAT server.
ha_lftp() {
	lftp_run "$NS_CLI" "$1" "$HA_LFTP; $2" "$URL" "$3"
}

# one_session LOG: lftp did everything on its first control connection:
# no "Timeout - reconnecting" (lftp reconnects after net:timeout even with
# net:max-retries 1, and would then resume or finish a download the old
# connection hung on - which must not count as surviving the failover).
one_session() {
	[ "$(grep -c -- '---- Connecting to ' "$1")" = 1 ] &&
		! grep -q 'Timeout - reconnecting' "$1"
}

# ha_get MODE OUT: one download session, byte-compared, on one control
# connection.  Sets XFER_SECS and XFER_LOG.
ha_get() {
	local t0 rc
	XFER_N=$((XFER_N + 1))
	XFER_LOG=$T_DIR/lftp-$XFER_N.log
	rm -f "$2"
	t0=$(date +%s)
	ha_lftp "$XFER_LOG" "$(mode_settings "$1")" "get pub.bin -o $2"
	rc=$?
	XFER_SECS=$(($(date +%s) - t0))
	[ $rc -eq 0 ] && cmp -s "$SRV_FILE" "$2" && one_session "$XFER_LOG"
}

# v_xfer WHAT MODE: a download session, judged.
v_xfer() {
	local out=$T_DIR/dl-$((XFER_N + 1)).bin
	if ha_get "$2" "$out"; then
		v_ok "$1 (${XFER_SECS}s)"
	else
		v_fail "$1 (${XFER_SECS}s)"
		show_log "client dialogue" "$XFER_LOG" 30
	fi
}

# The 227s the client saw in LOG all name the NAT server address.
all_227_public() {
	local l
	l=$(grep -E -- '<--- 227' "$1") || return 1
	! grep -v -q '203,0,113,1,' <<<"$l"
}

# control connections vsftpd accepted so far
srv_sessions() {
	grep -c 'CONNECT: Client' "$T_DIR/ftp-$NS_SRV/vsftpd.log" 2>/dev/null
}

# wait_file FILE SECS
wait_file() {
	local end=$((SECONDS + $2))
	while [ $SECONDS -lt $end ]; do
		[ -e "$1" ] && return 0
		sleep 0.2
	done
	return 1
}

# The expectation sync carried the state: rt2's conntrackd has an
# expectation in its external cache.
rt2_ext_expect() {
	nsx "$NS_RT2" conntrackd -C "$T_DIR/rt2-conntrackd.conf" -e expect 2>/dev/null |
		grep -q "dport=$1"
}

# Diagnostics for a failed case: what the routers hold.
ha_diag() {
	local n ns
	for n in 1 2; do
		ns=$(eval echo "\$NS_RT$n")
		_say "      --- rt$n conntrack"
		nsx "$ns" conntrack -L 2>/dev/null | grep -E "dport=($GPORT|$SPORT|4[0-9]{4})" |
			sed 's/^/      | /' | head -20
		nsx "$ns" conntrack -L expect 2>/dev/null | sed 's/^/      | expect /'
		if [ "$COL" = fpm ]; then
			pmctl "$ns" stats 2>/dev/null | grep -v ' 0$' | tr '\n' ' ' |
				sed 's/^/      | stats: /'
			echo
			pmctl "$ns" conn list 2>/dev/null | sed 's/^/      | /'
		fi
	done
}

# ---------------------------------------------------------------------
# the cases
# ---------------------------------------------------------------------
# Case 0: passive and active downloads through the primary; the backup's
# conntrackd has the sessions in its external cache.
case0() {
	local n1
	n1=$(new_conns "$NS_RT1")
	v_xfer "passive download through rt1" passive
	v_check "client saw the 227 rewritten to 203,0,113,1" all_227_public "$XFER_LOG"
	v_xfer "active download through rt1" active
	check "rt1 took the sessions (new DNATed connections $n1 -> $(new_conns "$NS_RT1"))" \
		test "$(new_conns "$NS_RT1")" -ge $((n1 + 2))
	check "rt2's conntrackd holds the control connections in its external cache" \
		bash -c "nsenter --net=/run/netns/$NS_RT2 conntrackd -C $T_DIR/rt2-conntrackd.conf -e ct | grep -q 'dport=$GPORT'"
}

# Case 1: a passive download in progress when the primary fails completes,
# intact, through the backup.  512 KB read at 8 KB/s through an 8 KB
# socket buffer (the server's window stays small): the server still has
# most of it to send when the failover is over - a TCG VM under load
# takes up to 20 s to fail over.
case1() {
	local out=$T_DIR/c1.bin src=$SRV_ROOT/big.bin pid rc end size total
	if [ ! -e "$src" ]; then
		head -c 524288 /dev/urandom >"$src" && chmod 644 "$src"
	fi
	total=$(stat -c %s "$src")
	XFER_N=$((XFER_N + 1))
	XFER_LOG=$T_DIR/lftp-$XFER_N.log
	ha_lftp "$XFER_LOG" "$(mode_settings passive); set net:limit-rate 8192; set net:socket-buffer 8192" \
		"get big.bin -o $out" &
	pid=$!
	# fail over once a part has arrived
	end=$((SECONDS + 60))
	size=0
	while [ $SECONDS -lt $end ]; do
		size=$(stat -c %s "$out" 2>/dev/null || echo 0)
		[ "$size" -ge 16384 ] && break
		sleep 0.2
	done
	check "the download is under way (${size} bytes) before the failover" test "$size" -ge 16384
	ha_failover || return
	size=$(stat -c %s "$out" 2>/dev/null || echo 0)
	info "at failover: $size of $total bytes"
	check "the download was still in progress when rt2 took over (32 KB or more to come)" \
		test $((size + 32768)) -lt "$total"
	wait "$pid"
	rc=$?
	v_check "the download completed (lftp exit $rc)" test "$rc" = 0
	v_check "the file is intact" cmp -s "$src" "$out"
	v_check "the 226 came on the same control connection (no timeout, no reconnection)" \
		one_session "$XFER_LOG"
	{ [ "$rc" = 0 ] && one_session "$XFER_LOG"; } ||
		{ show_log "client dialogue" "$XFER_LOG" 20; ha_diag; }
}

# Case 2: after the failover, on the same control connection, PASV (twice:
# two length-changing rewrites on the backup) and PORT downloads work.
case2() {
	local pid rc s0 i ok=1
	s0=$(srv_sessions)
	XFER_N=$((XFER_N + 1))
	XFER_LOG=$T_DIR/lftp-$XFER_N.log
	ha_lftp "$XFER_LOG" "$(mode_settings passive)" "
get pub.bin -o $T_DIR/c2-1.bin
!sh -c 'touch $T_DIR/c2.reached; while [ ! -e $T_DIR/c2.go ]; do sleep 0.2; done'
get pub.bin -o $T_DIR/c2-2.bin
get pub.bin -o $T_DIR/c2-3.bin
set ftp:passive-mode off
get pub.bin -o $T_DIR/c2-4.bin
" &
	pid=$!
	if ! wait_file "$T_DIR/c2.reached" 90; then
		fail "the first download (through rt1) did not finish"
		show_log "client dialogue" "$XFER_LOG" 30
		kill "$pid"
		return
	fi
	check "first passive download through rt1, intact" cmp -s "$SRV_FILE" "$T_DIR/c2-1.bin"
	# Let conntrackd carry the last update over before rt1 goes.
	sleep 2
	ha_failover || { touch "$T_DIR/c2.go"; wait "$pid"; return; }
	touch "$T_DIR/c2.go"
	wait "$pid"
	rc=$?
	v_check "the session went on through rt2 (lftp exit $rc)" test "$rc" = 0
	for i in 2 3 4; do
		if [ -e "$T_DIR/c2-$i.bin" ] && cmp -s "$SRV_FILE" "$T_DIR/c2-$i.bin"; then
			:
		else
			ok=0
		fi
	done
	v_check "after failover: passive, passive and active downloads intact" test $ok = 1
	v_check "every 227 the client saw names 203,0,113,1" all_227_public "$XFER_LOG"
	v_check "one control connection for all four downloads (no timeout, no reconnection)" \
		test "$(($(srv_sessions) - s0))" = 1 -a "$(grep -c 'Timeout - reconnecting' "$XFER_LOG")" = 0
	{ [ "$rc" = 0 ] && one_session "$XFER_LOG"; } ||
		{ show_log "client dialogue" "$XFER_LOG" 30; ha_diag; }
}

# Case 3: the PASV is answered through the primary, the primary fails
# before the data connection opens; the data connection goes through the
# backup.
case3() {
	local out=$T_DIR/c3.bin pid rc port
	nsx "$NS_CLI" python3 "$HA_CLIENT" --connect "$VIP4" --port "$GPORT" \
		--dir "$T_DIR" login pasv wait:c3 "retr:pub.bin:$out" quit \
		>"$T_DIR/c3-client.log" 2>&1 &
	pid=$!
	if ! wait_file "$T_DIR/c3.reached" 60; then
		fail "the client did not get its 227 through rt1"
		show_log "client" "$T_DIR/c3-client.log"
		kill "$pid"
		return
	fi
	port=$(sed -n 's/^# pasv address .* port \([0-9]*\)$/\1/p' "$T_DIR/c3-client.log")
	v_check "the 227 names 203.0.113.1" grep -q '^# pasv address 203.0.113.1 ' "$T_DIR/c3-client.log"
	check "rt1 expects the data connection (conntrack -L expect)" \
		bash -c "nsenter --net=/run/netns/$NS_RT1 conntrack -L expect 2>/dev/null | grep -q 'dport=$port'"
	local end=$((SECONDS + 20)) synced=0
	while [ $SECONDS -lt $end ]; do
		rt2_ext_expect "$port" && { synced=1; break; }
		sleep 0.5
	done
	v_check "conntrackd synced the expectation to rt2 (ExpectationSync { $( [ "$COL" = fpm ] && echo ftp-portmap || echo ftp) })" \
		test $synced = 1
	ha_failover || { touch "$T_DIR/c3.go"; wait "$pid"; return; }
	if nsx "$NS_RT2" conntrack -L expect 2>/dev/null | grep -q "dport=$port"; then
		info "rt2's kernel has the expectation after the commit"
	else
		info "rt2's kernel has no expectation for port $port after the commit"
	fi
	touch "$T_DIR/c3.go"
	wait "$pid"
	rc=$?
	v_check "the data connection went through rt2 and the download completed (client exit $rc)" \
		test "$rc" = 0
	v_check "the file is intact" cmp -s "$SRV_FILE" "$out"
	if [ "$COL" = fpm ]; then
		local rn
		rn=$(stat_counter "$NS_RT2" related_nat)
		info "rt2 related_nat: ${rn:-?}"
	fi
	[ "$rc" = 0 ] || { show_log "client" "$T_DIR/c3-client.log" 20; ha_diag; }
}

# Case 4: failover (unless the previous case left rt2 primary), a session
# through the backup, failback, new sessions through the primary.
case4() {
	local n1 n2
	if [ "$HA_PRIMARY" = 2 ]; then
		info "rt2 is primary already (the previous case failed over)"
	else
		ha_failover || return
	fi
	n2=$(new_conns "$NS_RT2")
	v_xfer "passive download through rt2" passive
	check "rt2 took it" test "$(new_conns "$NS_RT2")" -gt "$n2"
	ha_failback || return
	n1=$(new_conns "$NS_RT1")
	n2=$(new_conns "$NS_RT2")
	v_xfer "passive download through rt1 after failback" passive
	v_check "client saw the 227 rewritten" all_227_public "$XFER_LOG"
	v_xfer "active download through rt1 after failback" active
	check "rt1 took the new sessions, rt2 none" \
		test "$(new_conns "$NS_RT1")" -ge $((n1 + 2)) -a "$(new_conns "$NS_RT2")" = "$n2"
}

# Case 5: failover between a PASV and its 227.  rt1 drops the server's
# side of the control connection once the client is logged in, so the
# 227 never passes it; the server retransmits it, through rt2 after the
# failover.  The client's own segments are held back (dropped on the
# client) until it has the 227, so the 227 is the first segment of the
# connection rt2 sees: it answers a command rt2 never saw.
case5() {
	local out=$T_DIR/c5.bin pid rc end vlog
	vlog=$T_DIR/ftp-$NS_SRV/vsftpd.log
	nsx "$NS_CLI" python3 "$HA_CLIENT" --connect "$VIP4" --port "$GPORT" \
		--dir "$T_DIR" --timeout 90 login wait:c5 pasv "retr:pub.bin:$out" quit \
		>"$T_DIR/c5-client.log" 2>&1 &
	pid=$!
	if ! wait_file "$T_DIR/c5.reached" 60; then
		fail "the client did not log in through rt1"
		show_log "client" "$T_DIR/c5-client.log"
		kill "$pid"
		return
	fi
	must nsx "$NS_RT1" nft -f - <<-EOF
		table ip ha_cut {
			chain drop_srv {
				type filter hook forward priority filter - 10; policy accept;
				ip saddr $HA_SRV tcp sport $SPORT drop
			}
		}
	EOF
	touch "$T_DIR/c5.go"
	end=$((SECONDS + 30))
	until grep -q '"PASV"' "$vlog" 2>/dev/null || [ $SECONDS -ge $end ]; do
		sleep 0.2
	done
	check "the server got the PASV (through rt1) and answered" grep -q '"227 ' "$vlog"
	check "the client has no 227 yet" bash -c "! grep -q '^<--- 227' $T_DIR/c5-client.log"
	must nsx "$NS_CLI" nft -f - <<-EOF
		table ip ha_hold {
			chain out {
				type filter hook output priority filter; policy accept;
				tcp dport $GPORT drop
			}
		}
	EOF
	ha_failover || {
		nsx "$NS_CLI" nft delete table ip ha_hold
		nsx "$NS_RT1" nft delete table ip ha_cut
		wait "$pid"
		return
	}
	end=$((SECONDS + 60))
	until grep -q '^<--- 227' "$T_DIR/c5-client.log" || [ $SECONDS -ge $end ]; do
		sleep 0.2
	done
	nsx "$NS_CLI" nft delete table ip ha_hold
	v_check "the 227 reached the client through rt2" grep -q '^<--- 227' "$T_DIR/c5-client.log"
	v_check "the 227 names 203.0.113.1" grep -q '^# pasv address 203.0.113.1 ' "$T_DIR/c5-client.log"
	wait "$pid"
	rc=$?
	# rt1 forwards the server's side again (it is primary after failback)
	nsx "$NS_RT1" nft delete table ip ha_cut 2>/dev/null
	v_check "the download completed through rt2 (client exit $rc)" test "$rc" = 0
	v_check "the file is intact" cmp -s "$SRV_FILE" "$out"
	if [ "$COL" = fpm ]; then
		info "rt2 stats: $(pmctl "$NS_RT2" stats 2>/dev/null | grep -v ' 0$' | tr -s ' ' | tr '\n' ' ')"
	fi
	[ "$rc" = 0 ] || { show_log "client" "$T_DIR/c5-client.log" 20; ha_diag; }
}

# Case 6: $HA_SESSIONS sessions (default 50: 5 clients, 10 each, passive
# and active in turn) while the routers change every few seconds: all
# transfers intact.
case6() {
	local w pids=() flips=0 bad=0 okc=0 f per=$((HA_SESSIONS / 5))
	: >"$T_DIR/c6.res"
	: >"$T_DIR/c6-flips.log"
	for w in 1 2 3 4 5; do
		(
			local i mode
			for i in $(seq 1 "$per"); do
				mode=passive
				[ $((i % 2)) = 0 ] && mode=active
				XFER_N=$((w * 100 + i))
				if ha_get "$mode" "$T_DIR/c6-$w-$i.bin"; then
					echo "ok $w $i $mode ${XFER_SECS}s" >>"$T_DIR/c6.res"
				else
					echo "FAIL $w $i $mode ${XFER_SECS}s $XFER_LOG" >>"$T_DIR/c6.res"
				fi
				rm -f "$T_DIR/c6-$w-$i.bin"
			done
		) &
		pids+=($!)
	done
	# Flip the routers while any client runs: failover, failback, ...
	while any_alive "${pids[@]}"; do
		sleep 3
		any_alive "${pids[@]}" || break
		if [ "$HA_PRIMARY" = 1 ]; then
			ha_failover >>"$T_DIR/c6-flips.log" || break
		else
			ha_failback >>"$T_DIR/c6-flips.log" || break
		fi
		flips=$((flips + 1))
	done
	for w in "${pids[@]}"; do
		wait "$w"
	done
	sed 's/^/    # /' "$T_DIR/c6-flips.log" | grep -E 'failover|failback'
	check "the routers changed during the sessions ($flips failovers/failbacks)" \
		test "$flips" -ge 2
	okc=$(grep -c '^ok' "$T_DIR/c6.res")
	bad=$(grep -c '^FAIL' "$T_DIR/c6.res")
	v_check "$((per * 5)) sessions, all transfers intact ($okc ok, $bad failed)" \
		test "$okc" = $((per * 5))
	if [ "$bad" -gt 0 ]; then
		grep '^FAIL' "$T_DIR/c6.res" | head -5 | sed 's/^/      | /'
		f=$(grep '^FAIL' "$T_DIR/c6.res" | head -1 | awk '{print $6}')
		[ -n "$f" ] && show_log "first failed dialogue" "$f" 20
		ha_diag
	fi
	CASE_NOTE="sessions=$((per * 5)),flips=$flips,ok=$okc"
}

any_alive() {
	local p
	for p in "$@"; do
		kill -0 "$p" 2>/dev/null && return 0
	done
	return 1
}

# ha_column fpm|stock: one pair, then the cases of $HA_CASES in order on
# it, each recorded for the comparison table.
ha_column() {
	local c
	COL=$1
	HA_T0=$(date +%s)
	ha_up
	for c in $HA_CASES; do
		_say "    # --- case $c ($COL)"
		if [ "$c" != 4 ]; then
			ha_ready
		fi
		CASE_NOTE='' FAILOVER_SECS=- FAILBACK_SECS=-
		CASE_T0=$(date +%s)
		: >"$T_DIR/verdict"
		"case$c"
		[ -z "$CASE_NOTE" ] && CASE_NOTE="failover=${FAILOVER_SECS}s,failback=${FAILBACK_SECS}s"
		record "$c" "$CASE_NOTE"
	done
	info "column $COL: $(($(date +%s) - HA_T0))s"
}

# ---------------------------------------------------------------------
# the tests
# ---------------------------------------------------------------------

# ftp-portmap: the cases on one router pair (the suite's verdict)
test_fpm() {
	if [ "$FPM_HELPER" = ftp ]; then
		skip "FPM_HELPER=ftp: the ftp-portmap column needs the module"
		return
	fi
	ha_column fpm
}

# stock helper (nf_conntrack_ftp + nf_nat_ftp): the same cases, measured
test_stock() { ha_column stock; }

# the comparison table of the cases run
test_summary() {
	local f=$FPM_STATE/ha-results c fpm stock line
	if [ ! -s "$f" ]; then
		fail "no case recorded a result"
		return
	fi
	pass "$(wc -l <"$f") case results recorded"
	_say "    # case  ftp-portmap            stock helper           (verdict, seconds, notes)"
	for c in 0 1 2 3 4 5 6; do
		fpm=$(awk -v c="$c" '$1 == c && $2 == "fpm" { print $3 " " $4 "s " $5 }' "$f" | tail -1)
		stock=$(awk -v c="$c" '$1 == c && $2 == "stock" { print $3 " " $4 "s " $5 }' "$f" | tail -1)
		[ -z "$fpm$stock" ] && continue
		line=$(printf '    # %-5s %-34s %s' "$c" "${fpm:--}" "${stock:--}")
		_say "$line"
		# both columns in the same run, unless TEST_FILTER left one out
		if [ -n "$fpm" ] && [[ test_stock =~ ${TEST_FILTER:-.} ]]; then
			check "case $c: the stock column ran too" test -n "$stock"
		fi
	done
	_say "    # ftp-portmap: $(awk '$2 == "fpm" && $3 == "ok"' "$f" | wc -l) of $(awk '$2 == "fpm"' "$f" | wc -l) cases ok;" \
		"stock helper: $(awk '$2 == "stock" && $3 == "ok"' "$f" | wc -l) of $(awk '$2 == "stock"' "$f" | wc -l)"
}

# shellcheck disable=SC2034 # read by run_suite
SUITE_TOOLS="conntrackd keepalived python3 nsenter awk"
run_suite "$@"
