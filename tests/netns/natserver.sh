#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# "portmapctl nat-server" (issue 5): NAT server rules in the nftables
# table "inet ftp_portmap", FTP through them with the port mapping the
# "ftp" flag adds, and FTPS (explicit AUTH TLS on 21, implicit on 990)
# through a rule for the control port plus one for the passive range.
#
#   tests/netns/natserver.sh          (as root; the module-dependent tests
#                                      in the VM: tests/run-netns.sh
#                                      natserver)
#
# A netns suite on tests/netns/lib.sh, topology topo_basic (client
# 203.0.113.2 -- r0 203.0.113.1 [router] r1 10.10.10.1 -- 10.10.10.10
# server, and the v6 addresses).  The global address is the router's own
# (203.0.113.1, 2001:db8:1::1).  The router forwards with a firewall of
# its own (table "inet fw", policy drop) that lets through
# established/related traffic and "ct status dnat" - the rule
# docs/nat-server.md tells users to add - so a connection gets to the
# server only through a nat-server rule or an expectation of the ALG; a
# table "inet other" stands for someone else's rules: every test ends by
# checking that both are byte-identical and that no table but ours was
# added.
#
# The module is optional (SUITE_MODULE=optional): without it (this
# host's kernel cannot load it) the tests that need it are skipped; in the
# VM (FPM_IN_VM=1) a missing module fails them.
#
# Environment: TEST_FILTER, FPM_VERBOSE, FPM_KEEP as in lib.sh;
#   FPM_KO (or FPM_MODULE), PORTMAPCTL   paths of the module and the tool
#   NATSERVER_CASES      tests to run (default: all), by their names without
#                        "test_": not_loaded round_trip errors iif ftp_plain
#                        ftps_explicit ftps_implicit
#   NATSERVER_DEBUG=1    on a failed transfer print the router's counters,
#                        rules, conntrack table and dmesg

# Test functions are called indirectly (by name), hence SC2317.
# shellcheck disable=SC2317
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

[ -n "${FPM_KO:-}" ] && FPM_MODULE=$FPM_KO
PROBE=$NETNS_DIR/natserver_probe.py
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
SUITE_MODULE=optional
SUITE_TOOLS="openssl $PY"
if [ -n "${NATSERVER_CASES:-}" ]; then
	TEST_FILTER="^test_($(echo $NATSERVER_CASES | tr ' ' '|'))\$"
fi

G4=$PUB4 G6=$PUB6
G4_NEW=203.0.113.7
IN4=$SRV4 IN6=$SRV6

pmc() { pmctl "$NS_RTR" "$@"; }
tbl() { nsx "$NS_RTR" nft list table inet ftp_portmap 2>/dev/null; }
njson() { pmc nat-server list --json; }

# ---- topology -------------------------------------------------------------
# The tables of "someone else" on the router: a firewall and a dummy.
other_tables_load() {
	nsx "$NS_RTR" nft -f - <<-'EOF'
	table inet fw {
		chain forward_filter {
			type filter hook forward priority filter; policy drop;
			ct state established,related accept
			ct status dnat accept
		}
	}
	table inet other {
		set blocked { type ipv4_addr; elements = { 192.0.2.66 } }
		chain input_filter {
			type filter hook input priority filter - 5; policy accept;
			ip saddr @blocked drop
		}
	}
	EOF
}

other_tables() {
	nsx "$NS_RTR" nft list table inet fw && nsx "$NS_RTR" nft list table inet other
}

# natserver_topo: topo_basic with the other tables; OTHER_BEFORE.
natserver_topo() {
	topo_basic && other_tables_load || return 1
	OTHER_BEFORE=$(other_tables)
}

# Lets the router answer neighbour discovery before the first probe.
natserver_settle() {
	settle "$NS_CLI" "$G4" "$G6"
	settle "$NS_SRV" "$IN_GW4" "$IN_GW6"
}

# The end of every test: nobody else's rules touched.
other_tables_same() {
	check "other tables byte-identical" test "$OTHER_BEFORE" = "$(other_tables)"
	check_eq "no table but ours was added" "table inet fw table inet other " \
		"$(nsx "$NS_RTR" nft list tables | grep -v 'table inet ftp_portmap$' | sort | tr '\n' ' ')"
}

# ---- TCP probes -----------------------------------------------------------
start_probe_server() {
	nsx_bg "$NS_SRV" "$T_DIR/probe-server.out" "$PY" "$PROBE" serve "$@"
	wait_line "$T_DIR/probe-server.out" ready 60 "$BG_PID"
}

# probe HOST PORT: what the client gets ("port N" or "FAIL ...").
probe() { nsx "$NS_CLI" "$PY" "$PROBE" probe "$1" "$2"; }

expect_probe() { # DESCRIPTION HOST PORT WANTED-LINE
	check_eq "$1" "$4" "$(probe "$2" "$3")"
}

# probe_fails DESCRIPTION HOST PORT: nothing answers.
probe_fails() {
	local out
	out=$(probe "$2" "$3")
	check_eq "$1" FAIL "${out:0:4}"
}

# ---- FTP --------------------------------------------------------------------
ssl_opts() {
	echo ssl_enable=YES allow_anon_ssl=YES force_anon_logins_ssl=YES \
		force_anon_data_ssl=YES "rsa_cert_file=$TLS_CERT" \
		"rsa_private_key_file=$TLS_KEY" ssl_ciphers=HIGH \
		require_ssl_reuse=NO ssl_tlsv1=YES ssl_sslv2=NO ssl_sslv3=NO
}

# ftp_list_get NAME URL SETTINGS: a listing and a download of pub.bin;
# 0 when the listing names pub.bin and upload and the download is
# byte-identical.
ftp_list_get() {
	local name=$1 url=$2 settings=$3 out=$T_DIR/dl-$1
	mkdir -p "$out"
	XFER_LOG=$T_DIR/lftp-$name.log
	if ! lftp_run "$NS_CLI" "$XFER_LOG" "set net:timeout 8;
set net:max-retries 2; set ftp:passive-mode yes; $settings" "$url" \
		"cls -1 > $out/listing; get pub.bin -o $out/pub.bin"; then
		info "lftp $name failed: $(tail -n 3 "$XFER_LOG.out" | tr '\n' ' ')"
		show_log "client dialogue" "$XFER_LOG" 30
		debug_dump
		return 1
	fi
	if ! grep -qx 'pub.bin' "$out/listing" || ! grep -Eqx 'upload/?' "$out/listing"; then
		info "lftp $name: listing wrong: $(tr '\n' ' ' <"$out/listing")"
		return 1
	fi
	cmp -s "$SRV_FILE" "$out/pub.bin" || {
		info "lftp $name: download differs"
		return 1
	}
}

debug_dump() {
	[ -n "${NATSERVER_DEBUG:-}" ] || return 0
	echo "---- router: map list, stats, nat-server list, conntrack"
	pmc map list
	pmc stats
	pmc nat-server list
	nsx "$NS_RTR" conntrack -L 2>/dev/null
	nsx "$NS_RTR" conntrack -L expect 2>/dev/null
	echo "---- dmesg"
	dmesg | tail -n 30
	echo "----"
}

# ---- tests ------------------------------------------------------------------

# add ... ftp without the module: refused before nftables changes
test_not_loaded() {
	local before after err rc
	if ! module_unload; then
		skip "add ... ftp without the module (module loaded and busy)"
		return
	fi
	must natserver_topo
	before=$(tbl)
	err=$(pmc nat-server add tcp global "$G4" 21 inside "$IN4" 21 ftp 2>&1)
	rc=$?
	after=$(tbl)
	if [ $rc = 1 ] && [[ $err == *"module ftp_portmap not loaded"* ]] &&
		[ "$before" = "$after" ]; then
		pass "add ... ftp without the module: refused, nftables untouched"
	else
		fail "add ... ftp without the module: rc=$rc '$err'"
	fi
	other_tables_same
}

# rules added, listed, used, deleted and flushed; DNAT through them
test_round_trip() {
	local out rc
	must natserver_topo
	check "list of nothing is []" test "$(njson)" = "[]"
	pmc nat-server add tcp global "$G4" 8021 inside "$IN4" 6293
	check "add v4 rule" test $? = 0
	out=$(tbl)
	check "nft shows the v4 rule" grep -q "ip daddr $G4 tcp dport 8021 .*dnat ip to $IN4:6293" <<<"$out"
	check "table has its nat chain" grep -q "type nat hook prerouting priority dstnat" <<<"$out"
	pmc nat-server add tcp global "$G6" 8021 inside "$IN6" 6293
	check "add v6 rule" test $? = 0
	check "nft shows the v6 rule" grep -q "ip6 daddr $G6 tcp dport 8021 .*dnat ip6 to \[$IN6\]:6293" <<<"$(tbl)"
	pmc nat-server add tcp global "$G4" 8100-8102 inside "$IN4" 7100-7102
	check "add shifted range" test $? = 0
	pmc nat-server add tcp global "$G4" 31000-31009 inside "$IN4" 31000-31009
	check "add same-port range" test $? = 0

	out=$(njson)
	check "json: 4 rules" test "$(jq length <<<"$out")" = 4
	check "json: v4 rule fields" json_true --arg g "$G4" --arg i "$IN4" \
		'any(.[]; .proto=="tcp" and .global==$g and .iif==null and
		 .global_ports==[8021,8021] and .inside==$i and
		 .inside_ports==[6293,6293] and .ftp==false)' <<<"$out"
	check "json: range fields" json_true \
		'any(.[]; .global_ports==[8100,8102] and .inside_ports==[7100,7102])' \
		<<<"$out"
	check "text list shows the v6 rule" grep -Eq "^tcp +$G6 +8021 +$IN6 +6293 +no" \
		<<<"$(pmc nat-server list)"

	must start_probe_server 6293 7100-7102 31000-31009 2222
	natserver_settle
	expect_probe "v4 DNAT works" "$G4" 8021 "port 6293"
	expect_probe "v6 DNAT works" "$G6" 8021 "port 6293"
	expect_probe "shifted range maps 1:1 (8101)" "$G4" 8101 "port 7101"
	expect_probe "shifted range maps 1:1 (8102)" "$G4" 8102 "port 7102"
	expect_probe "same-port range keeps the port" "$G4" 31005 "port 31005"
	check "json: connection counted" json_true \
		'any(.[]; .global_ports==[8021,8021] and .conns>=1)' <<<"$(njson)"

	pmc nat-server del tcp global "$G4" 8021 inside "$IN4" 6293
	check "del v4 rule" test $? = 0
	check_not "nft no longer shows it" grep -q "ip daddr $G4 tcp dport 8021 " <<<"$(tbl)"
	probe_fails "deleted rule no longer DNATs" "$G4" 8021
	expect_probe "the v6 rule still does" "$G6" 8021 "port 6293"

	pmc nat-server flush
	check "flush" test $? = 0
	nsx "$NS_RTR" nft list table inet ftp_portmap >/dev/null 2>&1
	rc=$?
	check "flush deletes the table" test $rc != 0
	check "list after flush is []" test "$(njson)" = "[]"
	pmc nat-server flush
	check "flush of nothing" test $? = 0
	other_tables_same
}

# overlaps and usage errors refused, nftables left as it was
test_errors() {
	local err before
	must natserver_topo
	pmc nat-server add tcp global "$G4" 8021 inside "$IN4" 6293 || fail "setup add"
	before=$(tbl)

	err=$(pmc nat-server add tcp global "$G4" 8000-8030 inside "$IN4" 6000-6030 2>&1)
	check "overlap refused (exit 1)" test $? = 1
	check "overlap message names the rule" grep -qF \
		"portmapctl: nat-server add: overlaps existing rule tcp global $G4 8021 inside $IN4 6293" <<<"$err"
	err=$(pmc nat-server add tcp global "$G4" 8021 inside "$IN4" 21 2>&1)
	check "same port refused" test $? = 1
	check "refusals leave nftables as it was" test "$before" = "$(tbl)"

	pmc nat-server add tcp global 203.0.113.9 8021 inside "$IN4" 6293
	check "same port on another global address is fine" test $? = 0
	pmc nat-server add udp global "$G4" 8021 inside "$IN4" 6293
	check "same port, other protocol is fine" test $? = 0
	pmc nat-server add tcp iif r0 8021 inside "$IN4" 6293
	check "same port on iif side is fine" test $? = 0
	err=$(pmc nat-server add tcp iif r0 8000-8100 inside "$IN4" 8000-8100 2>&1)
	check "iif overlap refused" test $? = 1
	check "iif overlap message" grep -qF "overlaps existing rule tcp iif r0 8021 inside $IN4 6293" <<<"$err"

	before=$(tbl)
	err=$(pmc nat-server add tcp global "$G4" 9000-9009 inside "$IN4" 9000-9004 2>&1)
	check "unequal ranges: exit 2" test $? = 2
	check "unequal ranges: message" grep -q "differ in length" <<<"$err"
	err=$(pmc nat-server add tcp global "$G4" 9000 inside "$IN6" 9000 2>&1)
	check "mixed families: exit 2" test $? = 2
	check "mixed families: message" grep -q "one family" <<<"$err"
	err=$(pmc nat-server add tcp global "$G4" 9000-9001 inside "$IN4" 9000-9001 ftp 2>&1)
	check "ftp on a range: exit 2" test $? = 2
	err=$(pmc nat-server add tcp global "$G4" 9009-9000 inside "$IN4" 9000-9009 2>&1)
	check "backwards range: exit 2" test $? = 2
	err=$(pmc nat-server add sctp global "$G4" 9000 inside "$IN4" 9000 2>&1)
	check "unknown protocol: exit 2" test $? = 2
	err=$(pmc nat-server add tcp iif 'bad"name' 9000 inside "$IN4" 9000 2>&1)
	check "bad interface name: exit 2" test $? = 2
	err=$(pmc nat-server add tcp global "$G4" 0 inside "$IN4" 9000 2>&1)
	check "port 0: exit 2" test $? = 2
	err=$(pmc nat-server del tcp global "$G4" 8022 inside "$IN4" 6293 2>&1)
	check "del of a missing rule: exit 1" test $? = 1
	check "del of a missing rule: message" grep -q "no such nat-server rule" <<<"$err"
	err=$(pmc nat-server del tcp global "$G4" 8021 inside "$IN4" 6294 2>&1)
	check "del needs the exact spec" test $? = 1
	check "usage errors leave nftables as it was" test "$before" = "$(tbl)"

	pmc nat-server flush || fail "flush"
	other_tables_same
}

# rules on the uplink interface follow its address
test_iif() {
	must natserver_topo
	pmc nat-server add tcp iif r0 2200 inside "$IN4" 2222
	check "add iif rule (v4)" test $? = 0
	pmc nat-server add tcp iif r0 2200 inside "$IN6" 2222
	check "add iif rule (v6)" test $? = 0
	check "nft shows the iif match" grep -q 'iifname "r0" fib daddr . iif type local' <<<"$(tbl)"
	check "json: iif rule" json_true \
		'any(.[]; .iif=="r0" and .global==null and .global_ports==[2200,2200])' \
		<<<"$(njson)"
	must start_probe_server 2222
	natserver_settle
	expect_probe "iif rule DNATs the uplink address" "$G4" 2200 "port 2222"
	expect_probe "iif rule DNATs the uplink address (v6)" "$G6" 2200 "port 2222"
	probe_fails "iif rule ignores the router's other addresses" "$IN_GW4" 2200

	# The uplink gets a new address (a DHCP renewal): no rule change.
	ip -n "$NS_RTR" addr del "$G4/24" dev r0
	ip -n "$NS_RTR" addr add "$G4_NEW/24" dev r0
	ip -n "$NS_CLI" route replace default via "$G4_NEW"
	settle "$NS_CLI" "$G4_NEW"
	expect_probe "iif rule follows the new address" "$G4_NEW" 2200 "port 2222"
	probe_fails "the old address is not DNATed any more" "$G4" 2200

	ip -n "$NS_RTR" addr del "$G4_NEW/24" dev r0
	ip -n "$NS_RTR" addr add "$G4/24" dev r0
	ip -n "$NS_CLI" route replace default via "$G4"
	pmc nat-server del tcp iif r0 2200 inside "$IN4" 2222
	check "del iif rule" test $? = 0
	pmc nat-server flush || fail "flush"
	other_tables_same
}

# nat-server add ... ftp: the mapping, and FTP through the ALG alone
test_ftp_plain() {
	local m
	need_module "FTP through nat-server add ... ftp" || return
	must natserver_topo
	pmc map flush >/dev/null 2>&1
	pmc nat-server add tcp global "$G4" 8021 inside "$IN4" 6293 ftp
	check "add ... ftp" test $? = 0
	m=$(pmc map list --json)
	check "map list shows the mapping" json_true --arg i "$IN4" \
		'any(.[]; .port==6293 and .host==$i)' <<<"$m"
	check "nat-server list marks the rule ftp" json_true \
		'any(.[]; .global_ports==[8021,8021] and .ftp==true)' <<<"$(njson)"
	check "text list says ftp yes" grep -Eq "^tcp +$G4 +8021 +$IN4 +6293 +yes" \
		<<<"$(pmc nat-server list)"

	# No rule for the passive range and a private 227: only the ALG
	# (rewrite + expectation) can make the data connection work.
	must vsftpd_start "$NS_SRV" 6293 v4 30000 30009
	natserver_settle
	check "FTP download through the ALG (PASV)" ftp_list_get plain "ftp://$G4:8021" \
		"set ftp:prefer-epsv no;"
	check "mapping counted the connection" json_true \
		'any(.[]; .port==6293 and .conns>=1 and .rewrites>=1)' \
		<<<"$(pmc map list --json)"

	pmc nat-server del tcp global "$G4" 8021 inside "$IN4" 6293
	check "del ... (ftp rule)" test $? = 0
	check "del removed the mapping" json_true 'length==0' <<<"$(pmc map list --json)"

	# Two rules sharing one mapping; flush removes it once, at the end.
	pmc nat-server add tcp global "$G4" 21 inside "$IN4" 6293 ftp || fail "add ... ftp (21)"
	pmc nat-server add tcp global "$G4" 8021 inside "$IN4" 6293 ftp
	check "second ftp rule to the same inside port" test $? = 0
	pmc nat-server del tcp global "$G4" 21 inside "$IN4" 6293
	check "mapping stays while another ftp rule needs it" json_true \
		'length==1' <<<"$(pmc map list --json)"
	pmc nat-server flush
	check "flush removes the mapping" json_true 'length==0' <<<"$(pmc map list --json)"
	other_tables_same
}

# FTPS, explicit (AUTH TLS on 21): control rule plus passive range rule
test_ftps_explicit() {
	local flag=""
	module_loaded && flag=ftp
	must natserver_topo
	must tls_cert
	pmc nat-server add tcp global "$G4" 21 inside "$IN4" 21 $flag
	check "add control port rule ${flag:+(ftp)} for FTPS" test $? = 0
	pmc nat-server add tcp global "$G4" 30000-30009 inside "$IN4" 30000-30009
	check "add passive range rule" test $? = 0
	# shellcheck disable=SC2046 # one word per option
	must vsftpd_start "$NS_SRV" 21 v4 30000 30009 $(ssl_opts) "pasv_address=$G4"
	natserver_settle
	[ -n "$flag" ] && counters_mark "$NS_RTR" tls
	check "FTPS explicit (AUTH TLS): listing and download" ftp_list_get explicit "ftp://$G4" \
		"set ftp:ssl-allow yes; set ftp:ssl-force yes; set ftp:ssl-protect-data yes; set ftp:ssl-protect-list yes; set ssl:verify-certificate no;"
	check "the session really was TLS" grep -q 'AUTH TLS' "$SRV_LOG"
	if need_module "stats count the encrypted session"; then
		check_counter_moved "stats: tls counted the AUTH TLS session" "$NS_RTR" tls
	fi
	pmc nat-server flush || fail "flush"
	other_tables_same
}

# FTPS, implicit (990): control rule plus passive range rule
test_ftps_implicit() {
	must natserver_topo
	must tls_cert
	pmc nat-server add tcp global "$G4" 990 inside "$IN4" 990 &&
		pmc nat-server add tcp global "$G4" 30000-30009 inside "$IN4" 30000-30009
	check "add implicit FTPS port and passive range rules" test $? = 0
	# shellcheck disable=SC2046 # one word per option
	must vsftpd_start "$NS_SRV" 990 v4 30000 30009 $(ssl_opts) implicit_ssl=YES "pasv_address=$G4"
	natserver_settle
	check "FTPS implicit (990): listing and download" ftp_list_get implicit "ftps://$G4" \
		"set ftp:ssl-allow yes; set ftp:ssl-protect-data yes; set ftp:ssl-protect-list yes; set ssl:verify-certificate no;"
	pmc nat-server flush || fail "flush"
	other_tables_same
}

run_suite "$@"
