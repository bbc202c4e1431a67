#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# FTP through NAT with the ftp-portmap ALG: real vsftpd servers and lftp
# clients in network namespaces, a router doing stateful filtering (forward
# policy drop, only the control port open for new connections) and NAT with
# nftables.  Every transfer is compared byte for byte.
#
#   tests/netns/alg.sh                      all scenarios, ftp-portmap
#   TEST_FILTER=ipv6 tests/netns/alg.sh     some
#   FPM_HELPER=ftp tests/netns/alg.sh       the kernel's stock helper in
#                                           place of the module (harness check)
#
# Must run as root on a kernel that can load ftp_portmap.ko; elsewhere use
# tests/run-netns.sh, which boots a VM when needed.

# Test functions are called indirectly (by name), hence SC2317.
# shellcheck disable=SC2317
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

URL4=ftp://$PUB4:8021
URL6=ftp://[$PUB6]:8021

# The usual router: DNAT of the public control port 8021 (v4 and v6) to the
# server's 6293, masquerade out of the public side.
std_router() {
	router_nft "$NS_RTR" r0 \
		"dnat4 $PUB4 8021 $SRV4 6293" \
		"dnat6 $PUB6 8021 $SRV6 6293" "$@"
}

# The ALG helps this control connection: conntrack in the router shows the
# helper on it.
helper_on_conn() {
	local ns=$1 port=$2
	nsx "$ns" conntrack -L -p tcp --orig-port-dst "$port" 2>/dev/null |
		grep "helper=$FPM_HELPER" >/dev/null
}

alg_only() { [ "$FPM_HELPER" != ftp ]; }

# A passive download (the client sees the 227 rewritten to the public
# address) and an active one, over IPv4.
passive_active_v4() {
	expect_xfer_ok "passive download" \
		ftp_get "$NS_CLI" "$URL4" passive "$SRV_FILE"
	check "client saw 227 naming 203,0,113,1" \
		saw "$XFER_LOG" '<--- 227 .*203,0,113,1,'
	expect_xfer_ok "active download" \
		ftp_get "$NS_CLI" "$URL4" active "$SRV_FILE"
}

# An established control connection to PORT without a helper any more.
ct_unhelped() {
	local out
	out=$(nsx "$1" conntrack -L -p tcp --orig-port-dst "$2" 2>/dev/null |
		grep ESTABLISHED) || return 1
	! grep -q "helper=" <<<"$out"
}

# NAT server 203.0.113.1:8021 -> 10.10.10.10:6293, mapping on the inside port
test_nat_inside_port() {
	must topo_basic
	must vsftpd_start "$NS_SRV" 6293
	must std_router
	must map_add "$NS_RTR" 6293

	expect_xfer_ok "passive download via $URL4" \
		ftp_get "$NS_CLI" "$URL4" passive "$SRV_FILE"
	check "client saw 227 naming the public address 203,0,113,1" \
		saw "$XFER_LOG" '<--- 227 .*\(?203,0,113,1,[0-9]+,[0-9]+'
	check "conntrack shows helper $FPM_HELPER on the control connection" \
		helper_on_conn "$NS_RTR" 8021
	expect_xfer_ok "active download (PORT)" \
		ftp_get "$NS_CLI" "$URL4" active "$SRV_FILE"
	check "client sent PORT with its own address" \
		saw "$XFER_LOG" '---> PORT 203,0,113,2,'
	expect_xfer_ok "passive upload" \
		ftp_put "$NS_CLI" "$URL4" passive "$SRV_ROOT/upload"
	expect_xfer_ok "active upload" \
		ftp_put "$NS_CLI" "$URL4" active "$SRV_ROOT/upload"
	if alg_only; then
		check_ge "mapping 6293 counted the control connections" 4 \
			"$(map_counter "$NS_RTR" 6293 conns)"
		check_ge "mapping 6293 counted rewrites" 2 \
			"$(map_counter "$NS_RTR" 6293 rewrites)"
	fi
}

# NAT server on global port 9091 -> inside 21, mapping on the global port
test_nat_global_port() {
	must topo_basic
	must vsftpd_start "$NS_SRV" 21
	must router_nft "$NS_RTR" r0 "dnat4 $PUB4 9091 $SRV4 21" \
		"dnat6 $PUB6 9091 $SRV6 21"
	must map_add "$NS_RTR" 9091

	expect_xfer_ok "passive download via ftp://$PUB4:9091" \
		ftp_get "$NS_CLI" "ftp://$PUB4:9091" passive "$SRV_FILE"
	check "client saw 227 naming 203,0,113,1" \
		saw "$XFER_LOG" '<--- 227 .*203,0,113,1,'
	expect_xfer_ok "active download" \
		ftp_get "$NS_CLI" "ftp://$PUB4:9091" active "$SRV_FILE"
	expect_xfer_ok "passive upload" \
		ftp_put "$NS_CLI" "ftp://$PUB4:9091" passive "$SRV_ROOT/upload"
	if alg_only; then
		check_ge "mapping 9091 counted the control connections" 3 \
			"$(map_counter "$NS_RTR" 9091 conns)"
	fi
}

# Negative control: the same NAT without a mapping fails
test_negative_no_mapping() {
	must topo_basic
	must vsftpd_start "$NS_SRV" 6293
	must std_router

	expect_xfer_fail "passive download without a mapping" \
		ftp_get "$NS_CLI" "$URL4" passive "$SRV_FILE"
	check "the control channel worked: client saw the server's own 10,10,10,10" \
		saw "$XFER_LOG" '<--- 227 .*10,10,10,10,'
	check_not "nobody rewrote the 227" saw "$XFER_LOG" '<--- 227 .*203,0,113,1,'
	expect_xfer_fail "active download without a mapping" \
		ftp_get "$NS_CLI" "$URL4" active "$SRV_FILE"
	check_not "no helper on the control connection" \
		helper_on_conn "$NS_RTR" 8021
	expect_xfer_fail "EPSV download over IPv6 without a mapping" \
		ftp_get "$NS_CLI" "$URL6" epsv "$SRV_FILE"
}

# Negative control on port 21: no helper is attached by port number alone
test_negative_port21() {
	must topo_basic
	must vsftpd_start "$NS_SRV" 21
	must router_nft "$NS_RTR" r0 "dnat4 $PUB4 21 $SRV4 21"
	expect_xfer_fail "passive download to port 21 without a mapping" \
		ftp_get "$NS_CLI" "ftp://$PUB4:21" passive "$SRV_FILE"
	check "client saw the unrewritten 227" \
		saw "$XFER_LOG" '<--- 227 .*10,10,10,10,'
}

# IPv6 through NAT66 with EPSV and EPRT
test_ipv6_nat66() {
	must topo_basic
	must vsftpd_start "$NS_SRV" 6293
	must std_router
	must map_add "$NS_RTR" 6293

	expect_xfer_ok "EPSV download via $URL6" \
		ftp_get "$NS_CLI" "$URL6" epsv "$SRV_FILE"
	check "client used EPSV" saw "$XFER_LOG" '<--- 229 '
	expect_xfer_ok "EPRT (active) download" \
		ftp_get "$NS_CLI" "$URL6" eprt "$SRV_FILE"
	check "client sent EPRT with its address" \
		saw "$XFER_LOG" '---> EPRT \|2\|2001:db8:1::2\|'
	expect_xfer_ok "EPSV upload" \
		ftp_put "$NS_CLI" "$URL6" epsv "$SRV_ROOT/upload"
	expect_xfer_ok "EPRT upload" \
		ftp_put "$NS_CLI" "$URL6" eprt "$SRV_ROOT/upload"
	expect_xfer_ok "EPSV over IPv4 too" \
		ftp_get "$NS_CLI" "$URL4" epsv "$SRV_FILE"
	must map_del "$NS_RTR" 6293
	expect_xfer_fail "EPSV download after the mapping is gone" \
		ftp_get "$NS_CLI" "$URL6" epsv "$SRV_FILE"
}

# A mapping scoped to one server's address helps only that server
test_host_scoped() {
	local root1 file1
	must topo_basic srv2
	must vsftpd_start "$NS_SRV" 6293
	root1=$SRV_ROOT file1=$SRV_FILE
	must vsftpd_start "$NS_SRV2" 6293
	must router_nft "$NS_RTR" r0 \
		"dnat4 $PUB4 8021 $SRV4 6293" "dnat4 $PUB4 8022 $SRV2_4 6293"
	must map_add "$NS_RTR" 6293 "$SRV4"

	expect_xfer_ok "passive download from the mapped server $SRV4" \
		ftp_get "$NS_CLI" "ftp://$PUB4:8021" passive "$file1"
	expect_xfer_ok "active download from the mapped server" \
		ftp_get "$NS_CLI" "ftp://$PUB4:8021" active "$file1"
	expect_xfer_ok "upload to the mapped server" \
		ftp_put "$NS_CLI" "ftp://$PUB4:8021" passive "$root1/upload"
	expect_xfer_fail "passive download from the other server $SRV2_4" \
		ftp_get "$NS_CLI" "ftp://$PUB4:8022" passive "$SRV_FILE"
	check "the other server's 227 went through unrewritten" \
		saw "$XFER_LOG" '<--- 227 .*10,10,11,10,'
	if alg_only; then
		check_eq "map list shows the host" "$SRV4" \
			"$(pm_json "$NS_RTR" '[ (if type == "array" then . else (.mappings // .maps // []) end)[] | select(.port == 6293) | .host ] | first // empty' map list --json)"
	fi
	# A wildcard mapping next to the host one helps the other server too.
	must map_add "$NS_RTR" 6293
	expect_xfer_ok "with a wildcard mapping added, the other server works" \
		ftp_get "$NS_CLI" "ftp://$PUB4:8022" passive "$SRV_FILE"
	if alg_only; then
		check_ge "the host mapping counted its connections" 3 \
			"$(map_counter "$NS_RTR" 6293 conns "$SRV4")"
		check_ge "the wildcard mapping counted the other server's" 1 \
			"$(map_counter "$NS_RTR" 6293 conns)"
	fi
}

# Runtime table: add, use, delete; counters move; new sessions unhelped
test_runtime_table() {
	local c0 c1 e1 r1 l1 s1 s2
	must topo_basic
	must vsftpd_start "$NS_SRV" 6293
	must std_router
	if alg_only; then
		check "map list is empty at first" \
			test "$(pm_json "$NS_RTR" '(if type == "array" then . else (.mappings // .maps // []) end) | length' map list --json)" = 0
		c0=$(stat_counter "$NS_RTR" conns)
		check_eq "stats conns start at 0" 0 "$c0"
	fi
	expect_xfer_fail "before add: passive download fails" \
		ftp_get "$NS_CLI" "$URL4" passive "$SRV_FILE"
	must map_add "$NS_RTR" 6293
	check_not "adding the same mapping twice is refused" map_add "$NS_RTR" 6293
	expect_xfer_ok "after add: passive download works" \
		ftp_get "$NS_CLI" "$URL4" passive "$SRV_FILE"
	expect_xfer_ok "after add: active download works" \
		ftp_get "$NS_CLI" "$URL4" active "$SRV_FILE"
	if alg_only; then
		c1=$(map_counter "$NS_RTR" 6293 conns)
		l1=$(map_counter "$NS_RTR" 6293 lines)
		e1=$(map_counter "$NS_RTR" 6293 expects)
		r1=$(map_counter "$NS_RTR" 6293 rewrites)
		check_eq "mapping conns after two sessions" 2 "$c1"
		check_ge "mapping lines" 10 "$l1"
		check_ge "mapping expects" 2 "$e1"
		check_ge "mapping rewrites (227 and the data NAT)" 1 "$r1"
		s1=$(stat_counter "$NS_RTR" conns)
		check_ge "stats conns" 2 "$s1"
		check_ge "stats expects" 2 "$(stat_counter "$NS_RTR" expects)"
	else
		info "counters are not checked with the stock helper"
	fi
	must map_del "$NS_RTR" 6293
	check_not "deleting it again is refused" map_del "$NS_RTR" 6293
	if alg_only; then
		check "map list is empty after delete" \
			test "$(pm_json "$NS_RTR" '(if type == "array" then . else (.mappings // .maps // []) end) | length' map list --json)" = 0
	fi
	expect_xfer_fail "after delete: a new session is not helped" \
		ftp_get "$NS_CLI" "$URL4" passive "$SRV_FILE"
	check "  ... and the client saw the unrewritten 227" \
		saw "$XFER_LOG" '<--- 227 .*10,10,10,10,'
	if alg_only; then
		s2=$(stat_counter "$NS_RTR" conns)
		check_eq "stats conns did not move for the unhelped session" "$s1" "$s2"
	fi
	must map_add "$NS_RTR" 6293
	expect_xfer_ok "added again: works again" \
		ftp_get "$NS_CLI" "$URL4" passive "$SRV_FILE"
	if alg_only; then
		check_eq "a re-added mapping starts its counters afresh" 1 \
			"$(map_counter "$NS_RTR" 6293 conns)"
		must pmctl "$NS_RTR" map flush
		check "map flush empties the table" \
			test "$(pm_json "$NS_RTR" '(if type == "array" then . else (.mappings // .maps // []) end) | length' map list --json)" = 0
	fi
}

# The helper attached by an nft "ct helper" object instead of the table
test_nft_ct_helper() {
	must topo_basic
	must vsftpd_start "$NS_SRV" 6293
	must std_router "helper 8021"
	info "ct helper object: type \"$FPM_HELPER\" protocol tcp; l3proto inet"

	passive_active_v4
	expect_xfer_ok "EPSV download over IPv6" \
		ftp_get "$NS_CLI" "$URL6" epsv "$SRV_FILE"
	expect_xfer_ok "EPRT download over IPv6" \
		ftp_get "$NS_CLI" "$URL6" eprt "$SRV_FILE"
	check "conntrack shows helper $FPM_HELPER" helper_on_conn "$NS_RTR" 8021
	if alg_only; then
		check "no mapping was needed" \
			test "$(pm_json "$NS_RTR" '(if type == "array" then . else (.mappings // .maps // []) end) | length' map list --json)" = 0
		check_ge "stats count the connections helped by the rule" 4 \
			"$(stat_counter "$NS_RTR" conns)"
	fi
}

# The helper attached by iptables -t raw -j CT --helper
test_iptables_ct_helper() {
	local ipt
	ipt=$(command -v iptables-nft || command -v iptables)
	must test -n "$ipt"
	must topo_basic
	must vsftpd_start "$NS_SRV" 6293
	must std_router
	must nsx "$NS_RTR" "$ipt" -t raw -A PREROUTING -p tcp --dport 8021 \
		-j CT --helper "$FPM_HELPER"
	info "$("$ipt" -V 2>&1): -t raw -j CT --helper $FPM_HELPER"

	passive_active_v4
	check "conntrack shows helper $FPM_HELPER" helper_on_conn "$NS_RTR" 8021
}

# Two routers: client behind a masquerading gateway (active mode, PORT
# rewritten there) reaching a server behind a DNAT gateway (227 rewritten)
test_two_routers() {
	local cli gwc gws srv
	#   cli c0 10.20.20.2 -- g0 10.20.20.1 [gwc] g1 203.0.113.2 --
	#   -- h0 203.0.113.1 [gws] h1 10.10.10.1 -- s0 10.10.10.10 srv
	local names
	names=$(ns_add cli gwc gws srv) || { fail "namespaces"; return; }
	{ read -r cli; read -r gwc; read -r gws; read -r srv; } <<<"$names"
	must link "$cli" c0 "$gwc" g0
	must link "$gwc" g1 "$gws" h0
	must link "$gws" h1 "$srv" s0
	must addr "$cli" c0 10.20.20.2/24
	must addr "$gwc" g0 10.20.20.1/24
	must addr "$gwc" g1 203.0.113.2/24
	must addr "$gws" h0 203.0.113.1/24
	must addr "$gws" h1 10.10.10.1/24
	must addr "$srv" s0 10.10.10.10/24
	must route "$cli" 10.20.20.1
	must route "$gwc" 203.0.113.1
	must route "$srv" 10.10.10.1
	must forwarding "$gwc"
	must forwarding "$gws"
	must vsftpd_start "$srv" 6293 v4
	# client side: masquerade, new connections only from the inside
	must router_nft "$gwc" g1 "outbound g0"
	# server side: DNAT of the control port
	must router_nft "$gws" h0 "dnat4 203.0.113.1 8021 10.10.10.10 6293"
	must map_add "$gwc" 8021
	must map_add "$gws" 6293

	expect_xfer_ok "active download through both gateways" \
		ftp_get "$cli" "ftp://203.0.113.1:8021" active "$SRV_FILE"
	check "client sent PORT with its private address" \
		saw "$XFER_LOG" '---> PORT 10,20,20,2,'
	check "the server got PORT with the client gateway's public address" \
		grep -q 'PORT 203,0,113,2,' "$T_DIR/ftp-$srv/vsftpd.log"
	expect_xfer_ok "passive download through both gateways" \
		ftp_get "$cli" "ftp://203.0.113.1:8021" passive "$SRV_FILE"
	check "client saw 227 naming the server gateway 203,0,113,1" \
		saw "$XFER_LOG" '<--- 227 .*203,0,113,1,'
	expect_xfer_ok "active upload through both gateways" \
		ftp_put "$cli" "ftp://203.0.113.1:8021" active "$SRV_ROOT/upload"
	if alg_only; then
		check_ge "client gateway's mapping 8021 counted" 3 \
			"$(map_counter "$gwc" 8021 conns)"
		check_ge "server gateway's mapping 6293 counted" 3 \
			"$(map_counter "$gws" 6293 conns)"
		check_ge "client gateway rewrote PORT" 1 \
			"$(map_counter "$gwc" 8021 rewrites)"
	fi
	# Without the client gateway's mapping, active mode breaks there.
	must map_del "$gwc" 8021
	expect_xfer_fail "active download without the client gateway's mapping" \
		ftp_get "$cli" "ftp://203.0.113.1:8021" active "$SRV_FILE"
}

# Module unload while helped control connections are open
test_unload_live() {
	local up=0 rc
	if ! alg_only; then
		skip "the stock helper is not unloaded here"
		return 0
	fi
	must topo_basic
	must vsftpd_start "$NS_SRV" 6293
	must std_router
	must map_add "$NS_RTR" 6293
	# One session: a download, then a pause with the control connection
	# open (the module goes away meanwhile), then a command on it.
	XFER_LOG=$T_DIR/lftp-unload.log
	(
		lftp_run "$NS_CLI" "$XFER_LOG" "$(mode_settings passive)" \
			"$URL4" "get pub.bin -o $T_DIR/unload.bin
!sleep 20
quote NOOP"
		echo $? >"$T_DIR/unload.rc"
	) &
	# Up to 30 s for the download (a loaded host under emulation).
	for _ in $(seq 1 120); do
		if cmp -s "$SRV_FILE" "$T_DIR/unload.bin" &&
			helper_on_conn "$NS_RTR" 8021; then
			up=1
			break
		fi
		sleep 0.25
	done
	check_eq "helped session downloaded and is still open" 1 "$up"
	# The router's unused "ct helper" object holds a module reference.
	must nsx "$NS_RTR" nft delete ct helper inet fpm fpm
	check "rmmod ftp_portmap with a live helped connection" \
		rmmod ftp_portmap
	check "its conntrack entry outlives the module, without a helper" \
		ct_unhelped "$NS_RTR" 8021
	for _ in $(seq 1 120); do
		[ -s "$T_DIR/unload.rc" ] && break
		sleep 0.5
	done
	rc=$(cat "$T_DIR/unload.rc" 2>/dev/null)
	check_eq "the control connection still works after the unload" 0 "$rc"
	check "  ... the server answered NOOP after the unload" \
		saw "$T_DIR/ftp-$NS_SRV/vsftpd.log" '"200 NOOP ok'
	must module_load
	must map_add "$NS_RTR" 6293
	expect_xfer_ok "reloaded: a new session is helped again" \
		ftp_get "$NS_CLI" "$URL4" passive "$SRV_FILE"
}

# Conntrack extensions added before the helper's (accounting, timestamps,
# the event cache of a listener) fill ct->ext's first 128 bytes, so that
# one of the helper's own additions moves it (krealloc frees the old block
# at once).  A pointer kept across such a move wrote into freed memory and
# left the connection unhelped (found in review, 2026-12-03).  Two layouts
# where the last addition moves it: accounting + timestamps; accounting +
# an event listener.  The ALG must help as usual; on debug-6.1 KASAN
# watches the write.
test_ct_extensions() {
	local ev_pid layout
	must topo_basic
	must vsftpd_start "$NS_SRV" 6293
	must std_router
	must map_add "$NS_RTR" 6293
	kmsg_mark
	for layout in acct+tstamp acct+events; do
		info "extensions before the helper's: $layout"
		must nsx "$NS_RTR" conntrack -F
		ev_pid=
		if [ "$layout" = acct+tstamp ] &&
		   [ ! -e /proc/sys/net/netfilter/nf_conntrack_timestamp ]; then
			info "$layout: not on this kernel (no CONFIG_NF_CONNTRACK_TIMESTAMP)"
			continue
		elif [ "$layout" = acct+tstamp ]; then
			must nsx "$NS_RTR" sysctl -qw net.netfilter.nf_conntrack_acct=1 \
				net.netfilter.nf_conntrack_timestamp=1
		else
			must nsx "$NS_RTR" sysctl -qw net.netfilter.nf_conntrack_acct=1
			if [ -e /proc/sys/net/netfilter/nf_conntrack_timestamp ]; then
				must nsx "$NS_RTR" sysctl -qw \
					net.netfilter.nf_conntrack_timestamp=0
			fi
			nsx_bg "$NS_RTR" "$T_DIR/events.txt" conntrack -E -p tcp
			ev_pid=$BG_PID
			# Time for the listener to subscribe.
			sleep 1
		fi
		passive_active_v4
		check "$layout: conntrack shows helper $FPM_HELPER on the control connection" \
			helper_on_conn "$NS_RTR" 8021
		check "$layout: the router counts the control connection's bytes" \
			grep -q 'bytes=' <<<"$(nsx "$NS_RTR" conntrack -L -p tcp \
				--orig-port-dst 8021 2>/dev/null)"
		if [ -n "$ev_pid" ]; then
			bg_stop "$ev_pid"
			check "$layout: the listener saw the control connection" \
				grep -q 'dport=8021' "$T_DIR/events.txt"
		fi
	done
	check_no_splat
}

# The module's tracepoints and its refusals in the kernel log
# (docs/troubleshooting.md, section 7, shows this test's output).
test_tracepoints() {
	local tr trace_out=$T_DIR/trace.txt klog
	if ! alg_only; then
		skip "tracepoints of the module only"
		return 0
	fi
	tr=$(tracefs_dir) || tr=/sys/kernel/tracing
	must topo_basic
	must vsftpd_start "$NS_SRV" 6293
	must std_router
	must map_add "$NS_RTR" 6293
	check "tracefs has the ftp_portmap events" test -d "$tr/events/ftp_portmap"
	: >"$tr/trace"
	echo 1 >"$tr/events/ftp_portmap/enable"
	echo 1 >"$tr/tracing_on"
	# The refusal goes to nf_log: the syslog logger for IPv4 in the
	# router's namespace (logging from other namespaces than the first
	# needs nf_log_all_netns).
	modprobe nf_log_syslog 2>/dev/null
	sysctl -qw net.netfilter.nf_log_all_netns=1
	nsx "$NS_RTR" sysctl -qw net.netfilter.nf_log.2=nf_log_ipv4
	dmesg -C 2>/dev/null
	expect_xfer_ok "passive download, traced" \
		ftp_get "$NS_CLI" "$URL4" passive "$SRV_FILE"
	# A PORT naming another host than the client: refused, and logged.
	lftp_run "$NS_CLI" "$T_DIR/lftp-refuse.log" "" "$URL4" \
		"quote PORT 10,10,10,99,200,10"
	echo 0 >"$tr/events/ftp_portmap/enable"
	cat "$tr/trace" >"$trace_out"
	: >"$tr/trace"
	klog=$(dmesg 2>/dev/null)
	nsx "$NS_RTR" sysctl -qw net.netfilter.nf_log.2=NONE
	sysctl -qw net.netfilter.nf_log_all_netns=0
	[ "${FPM_VERBOSE:-0}" = 1 ] && show_log "trace" "$trace_out"
	check "fpm_line: the 227 reply, to the client" \
		saw "$trace_out" 'fpm_line: ipv4 203\.0\.113\.2:[0-9]+ -> 203\.0\.113\.1:8021 server 227 '
	check "fpm_expect: the passive data connection" \
		saw "$trace_out" 'fpm_expect: ipv4 '
	check "fpm_refuse: the foreign PORT, and why" \
		saw "$trace_out" "fpm_refuse: ipv4 .*data address is not the control peer's"
	check "nf_log: nf_ct_ftp-portmap: dropping packet: data address is not the control peer's" \
		grep -q "nf_ct_ftp-portmap: dropping packet: data address is not the control peer's" <<<"$klog"
	grep -E 'fpm_(line|expect|refuse)' "$trace_out" | head -n 12 | sed 's/^/    | /'
	grep 'nf_ct_ftp-portmap' <<<"$klog" | head -n 2 | sed 's/^/    | /'
}

run_suite "$@"
