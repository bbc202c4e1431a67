#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# "portmapctl nat-server" (issue 5): NAT server rules in the nftables
# table "inet ftp_portmap", FTP through them with the port mapping the
# "ftp" flag adds, and FTPS (explicit AUTH TLS on 21, implicit on 990)
# through a rule for the control port plus one for the passive range.
#
#   tests/netns/natserver.sh          (as root; the module-dependent cases
#                                      in the VM: tests/vm/run.sh
#                                      tests/netns/natserver.sh)
#
# Topology (fresh namespaces):
#
#   client                      router                     server
#   203.0.113.2/24  --  up0 203.0.113.1/24   in0 10.10.10.1/24  --  10.10.10.10/24
#   2001:db8:1::2/64    2001:db8:1::1/64         fd00:10::1/64      fd00:10::10/64
#
# The global address is the router's own (203.0.113.1, 2001:db8:1::1).
# The router forwards with a firewall of its own (table "inet fw", policy
# drop) that lets through established/related traffic and "ct status
# dnat" - the rule docs/nat-server.md tells users to add - so a
# connection gets to the server only through a nat-server rule or an
# expectation of the ALG.
#
# Without the module (this host's kernel cannot load it) the cases that
# need it are skipped; in the VM (FPM_IN_VM=1) a missing module fails
# them.  Last line: "N passed, N failed"; exit status 1 on any failure.
#
# Environment:
#   FPM_KO, PORTMAPCTL   paths of the module and the tool
#   NATSERVER_KEEP=1     keep the work directory (logs, configs)
#   NATSERVER_CASES      space-separated cases to run (default: all):
#                        round_trip errors iif ftp_plain ftps_explicit
#                        ftps_implicit
#   NATSERVER_DEBUG=1    lftp protocol trace; on a failed transfer print
#                        the logs, counters, conntrack table and dmesg
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
FPM_KO=${FPM_KO:-$repo/ftp_portmap.ko}
PORTMAPCTL=${PORTMAPCTL:-$repo/tools/portmapctl/portmapctl}
PROBE="$here/natserver_probe.py"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

[ "$(id -u)" = 0 ] || { echo "natserver: must run as root" >&2; exit 1; }
for t in ip nft jq vsftpd lftp openssl cmp "$PY"; do
	command -v "$t" >/dev/null || { echo "natserver: $t missing (scripts/install-deps.sh)" >&2; exit 1; }
done
[ -x "$PORTMAPCTL" ] || { echo "natserver: $PORTMAPCTL missing (make cli)" >&2; exit 1; }

P=fpmnat$$
NS_C=$P-c NS_R=$P-r NS_S=$P-s
G4=203.0.113.1 G6=2001:db8:1::1
G4_NEW=203.0.113.7
CLI4=203.0.113.2 CLI6=2001:db8:1::2
IN4=10.10.10.10 IN6=fd00:10::10

WORK=$(mktemp -d "${TMPDIR:-/tmp}/fpm-natserver.XXXXXX")
chmod 755 "$WORK"
PIDS=()
LOADED_KO=0
HAVE_MOD=0
pass=0 fail=0 skip=0

say() { echo "natserver: $*"; }
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
skipped() { skip=$((skip + 1)); echo "skip $*"; }
# jqt JQ-ARGS... <<<JSON: the filter is true (empty input is not).
jqt() {
	local in
	in=$(cat)
	[ -n "$in" ] && jq -e "$@" <<<"$in" >/dev/null
}
check() { # check DESCRIPTION CMD... : pass when CMD succeeds
	local d=$1
	shift
	if "$@"; then ok "$d"; else bad "$d"; fi
}

c_exec() { ip netns exec "$NS_C" "$@"; }
r_exec() { ip netns exec "$NS_R" "$@"; }
s_exec() { ip netns exec "$NS_S" "$@"; }
pmc() { ip netns exec "$NS_R" "$PORTMAPCTL" "$@"; }

stop_bg() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	PIDS=()
	# Servers must be gone before the next one takes their ports.
	for p in $(seq 50); do
		[ -z "$(s_exec ss -Htln 2>/dev/null)" ] && return 0
		sleep 0.1
	done
	say "servers still listening: $(s_exec ss -Htln | tr '\n' ' ')"
}

cleanup() {
	stop_bg
	for n in "$NS_C" "$NS_R" "$NS_S"; do
		ip netns del "$n" 2>/dev/null
	done
	if [ "$LOADED_KO" = 1 ]; then
		rmmod ftp_portmap 2>/dev/null
	fi
	if [ -n "${NATSERVER_KEEP:-}" ]; then
		echo "natserver: kept $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- topology ------------------------------------------------------------
topo_up() {
	local n
	ip netns add "$NS_C" && ip netns add "$NS_R" && ip netns add "$NS_S" || return 1
	ip link add up0 netns "$NS_R" type veth peer name eth0 netns "$NS_C" || return 1
	ip link add in0 netns "$NS_R" type veth peer name eth0 netns "$NS_S" || return 1
	for n in "$NS_C" "$NS_R" "$NS_S"; do
		ip -n "$n" link set lo up
	done
	ip -n "$NS_C" addr add $CLI4/24 dev eth0
	ip -n "$NS_C" addr add $CLI6/64 dev eth0 nodad
	ip -n "$NS_C" link set eth0 up
	ip -n "$NS_C" route add default via $G4
	ip -n "$NS_C" -6 route add default via $G6

	ip -n "$NS_R" addr add $G4/24 dev up0
	ip -n "$NS_R" addr add $G6/64 dev up0 nodad
	ip -n "$NS_R" addr add 10.10.10.1/24 dev in0
	ip -n "$NS_R" addr add fd00:10::1/64 dev in0 nodad
	ip -n "$NS_R" link set up0 up
	ip -n "$NS_R" link set in0 up
	r_exec sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 || return 1

	ip -n "$NS_S" addr add $IN4/24 dev eth0
	ip -n "$NS_S" addr add $IN6/64 dev eth0 nodad
	ip -n "$NS_S" link set eth0 up
	ip -n "$NS_S" route add default via 10.10.10.1
	ip -n "$NS_S" -6 route add default via fd00:10::1

	# The tables of "someone else" on the router: a firewall and a dummy.
	r_exec nft -f - <<-'EOF' || return 1
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

# Lets the router answer neighbour discovery before the first probe.
topo_settle() {
	c_exec ping -c1 -W2 $G4 >/dev/null 2>&1
	c_exec ping -6 -c1 -W2 $G6 >/dev/null 2>&1
	s_exec ping -c1 -W2 10.10.10.1 >/dev/null 2>&1
	s_exec ping -6 -c1 -W2 fd00:10::1 >/dev/null 2>&1
	return 0
}

other_tables() {
	r_exec nft list table inet fw && r_exec nft list table inet other
}

# ---- the module ------------------------------------------------------------
load_module() {
	if [ ! -d /sys/module/ftp_portmap ] && [ -f "$FPM_KO" ]; then
		modprobe -a nf_conntrack nf_nat nf_defrag_ipv4 nf_defrag_ipv6 \
			>/dev/null 2>&1
		if insmod "$FPM_KO" 2>"$WORK/insmod.err"; then
			LOADED_KO=1
		else
			say "insmod $FPM_KO: $(cat "$WORK/insmod.err")"
		fi
	fi
	[ -d /sys/module/ftp_portmap ] && HAVE_MOD=1
	return 0
}

# A case that needs the module: skip on a host without it, fail in the VM.
need_module() {
	[ "$HAVE_MOD" = 1 ] && return 0
	if [ "${FPM_IN_VM:-0}" = 1 ]; then
		bad "$1 (module ftp_portmap not loaded)"
	else
		skipped "$1 (module ftp_portmap not loadable on this kernel)"
	fi
	return 1
}

# ---- TCP probes ------------------------------------------------------------
start_probe_server() {
	# Not through s_exec: $! must be the server itself, for stop_bg.
	ip netns exec "$NS_S" "$PY" "$PROBE" serve "$@" >"$WORK/probe-server.out" 2>&1 &
	PIDS+=($!)
	local i
	for i in $(seq 50); do
		grep -q ready "$WORK/probe-server.out" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# probe HOST PORT: what the client gets ("port N" or "FAIL ...").
probe() { c_exec "$PY" "$PROBE" probe "$1" "$2"; }

expect_probe() { # DESCRIPTION HOST PORT WANTED-LINE
	local got
	got=$(probe "$2" "$3")
	if [ "$got" = "$4" ]; then
		ok "$1"
	else
		bad "$1: got '$got', wanted '$4'"
	fi
}

# ---- FTP servers and client ----------------------------------------------------
make_ftp_root() {
	mkdir -p "$WORK/root/pub" "$WORK/empty"
	head -c 300000 /dev/urandom >"$WORK/root/file.bin"
	echo "hello through NAT" >"$WORK/root/readme.txt"
	chmod -R a+rX,go-w "$WORK/root" "$WORK/empty"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=ftp.test" \
		-keyout "$WORK/key.pem" -out "$WORK/cert.pem" >/dev/null 2>&1 || return 1
	chmod 600 "$WORK/key.pem"
}

# start_vsftpd NAME PORT [option=value...]
start_vsftpd() {
	local name=$1 port=$2 conf=$WORK/vsftpd-$1.conf i
	shift 2
	{
		echo "listen=YES"
		echo "listen_ipv6=NO"
		echo "listen_port=$port"
		echo "background=NO"
		echo "anonymous_enable=YES"
		echo "local_enable=NO"
		echo "write_enable=NO"
		echo "no_anon_password=YES"
		echo "anon_root=$WORK/root"
		echo "secure_chroot_dir=$WORK/empty"
		echo "pasv_enable=YES"
		echo "pasv_min_port=30000"
		echo "pasv_max_port=30009"
		echo "connect_from_port_20=NO"
		echo "seccomp_sandbox=NO"
		echo "isolate=NO"
		echo "isolate_network=NO"
		echo "hide_ids=YES"
		echo "syslog_enable=NO"
		echo "xferlog_enable=YES"
		echo "xferlog_std_format=NO"
		echo "log_ftp_protocol=YES"
		echo "vsftpd_log_file=$WORK/vsftpd-$name.log"
		printf '%s\n' "$@"
	} >"$conf"
	ip netns exec "$NS_S" vsftpd "$conf" >"$WORK/vsftpd-$name.out" 2>&1 &
	PIDS+=($!)
	for i in $(seq 50); do
		s_exec ss -Hltn "sport = :$port" 2>/dev/null | grep -q LISTEN && return 0
		sleep 0.1
	done
	say "vsftpd $name did not start: $(cat "$WORK/vsftpd-$name.out")"
	return 1
}

ssl_opts=(ssl_enable=YES allow_anon_ssl=YES force_anon_logins_ssl=YES
	force_anon_data_ssl=YES "rsa_cert_file=$WORK/cert.pem"
	"rsa_private_key_file=$WORK/key.pem" ssl_ciphers=HIGH
	require_ssl_reuse=NO ssl_tlsv1=YES ssl_sslv2=NO ssl_sslv3=NO)

# lftp_run NAME URL SETTINGS: list and download file.bin; 0 when the
# listing names both files and the download is byte-identical.
lftp_run() {
	local name=$1 url=$2 settings=$3 out=$WORK/dl-$1
	mkdir -p "$out"
	c_exec timeout 60 lftp -c "set net:timeout 8; set net:max-retries 2;
		set net:reconnect-interval-base 1; set cmd:fail-exit yes;
		set ftp:passive-mode yes; $settings
		${NATSERVER_DEBUG:+debug -t 9;}
		open -u anonymous,test@ $url; cls -1 > $out/listing; get -O $out file.bin" \
		>"$WORK/lftp-$name.out" 2>&1
	local rc=$?
	if [ $rc -ne 0 ]; then
		say "lftp $name exited $rc: $(tail -n 3 "$WORK/lftp-$name.out")"
		debug_dump "$name"
		return 1
	fi
	if ! grep -qx 'file.bin' "$out/listing" || ! grep -qx 'readme.txt' "$out/listing"; then
		say "lftp $name: listing wrong: $(tr '\n' ' ' <"$out/listing")"
		return 1
	fi
	cmp -s "$WORK/root/file.bin" "$out/file.bin" || {
		say "lftp $name: download differs"
		return 1
	}
}

debug_dump() {
	[ -n "${NATSERVER_DEBUG:-}" ] || return 0
	echo "---- lftp $1"
	cat "$WORK/lftp-$1.out"
	echo "---- vsftpd $1"
	cat "$WORK/vsftpd-$1.log" "$WORK/vsftpd-$1.out" 2>/dev/null
	echo "---- router: map list, stats, nat-server list, conntrack"
	pmc map list
	pmc stats
	pmc nat-server list
	r_exec conntrack -L 2>/dev/null
	r_exec conntrack -L expect 2>/dev/null
	echo "---- dmesg"
	dmesg | tail -n 30
	echo "----"
}

# ---- cases -------------------------------------------------------------------------
tbl() { r_exec nft list table inet ftp_portmap 2>/dev/null; }
njson() { pmc nat-server list --json; }

case_not_loaded() {
	# Before the module is loaded (if it is not already): "ftp" must fail
	# before nftables changes.
	if [ -d /sys/module/ftp_portmap ]; then
		skipped "add ... ftp without the module (module already loaded)"
		return
	fi
	local before after err rc
	before=$(tbl)
	err=$(pmc nat-server add tcp global $G4 21 inside $IN4 21 ftp 2>&1)
	rc=$?
	after=$(tbl)
	if [ $rc = 1 ] && [[ $err == *"module ftp_portmap not loaded"* ]] &&
		[ "$before" = "$after" ]; then
		ok "add ... ftp without the module: refused, nftables untouched"
	else
		bad "add ... ftp without the module: rc=$rc '$err'"
	fi
}

case_round_trip() {
	local out rc
	check "list of nothing is []" test "$(njson)" = "[]"
	pmc nat-server add tcp global $G4 8021 inside $IN4 6293
	check "add v4 rule" test $? = 0
	out=$(tbl)
	check "nft shows the v4 rule" grep -q "ip daddr $G4 tcp dport 8021 .*dnat ip to $IN4:6293" <<<"$out"
	check "table has its nat chain" grep -q "type nat hook prerouting priority dstnat" <<<"$out"
	pmc nat-server add tcp global $G6 8021 inside $IN6 6293
	check "add v6 rule" test $? = 0
	check "nft shows the v6 rule" grep -q "ip6 daddr $G6 tcp dport 8021 .*dnat ip6 to \[$IN6\]:6293" <<<"$(tbl)"
	pmc nat-server add tcp global $G4 8100-8102 inside $IN4 7100-7102
	check "add shifted range" test $? = 0
	pmc nat-server add tcp global $G4 31000-31009 inside $IN4 31000-31009
	check "add same-port range" test $? = 0

	out=$(njson)
	check "json: 4 rules" test "$(jq length <<<"$out")" = 4
	check "json: v4 rule fields" jqt --arg g $G4 --arg i $IN4 \
		'any(.[]; .proto=="tcp" and .global==$g and .iif==null and
		 .global_ports==[8021,8021] and .inside==$i and
		 .inside_ports==[6293,6293] and .ftp==false)' <<<"$out"
	check "json: range fields" jqt \
		'any(.[]; .global_ports==[8100,8102] and .inside_ports==[7100,7102])' \
		<<<"$out"
	check "text list shows the v6 rule" grep -Eq "^tcp +$G6 +8021 +$IN6 +6293 +no" \
		<<<"$(pmc nat-server list)"

	start_probe_server 6293 7100-7102 31000-31009 2222 ||
		{ bad "probe server did not start"; return; }
	topo_settle
	expect_probe "v4 DNAT works" $G4 8021 "port 6293"
	expect_probe "v6 DNAT works" $G6 8021 "port 6293"
	expect_probe "shifted range maps 1:1 (8101)" $G4 8101 "port 7101"
	expect_probe "shifted range maps 1:1 (8102)" $G4 8102 "port 7102"
	expect_probe "same-port range keeps the port" $G4 31005 "port 31005"
	check "json: connection counted" jqt \
		'any(.[]; .global_ports==[8021,8021] and .conns>=1)' <<<"$(njson)"

	pmc nat-server del tcp global $G4 8021 inside $IN4 6293
	check "del v4 rule" test $? = 0
	check "nft no longer shows it" bash -c "! grep -q 'ip daddr $G4 tcp dport 8021 ' <<<\"\$1\"" _ "$(tbl)"
	out=$(probe $G4 8021)
	check "deleted rule no longer DNATs" test "${out:0:4}" = FAIL
	expect_probe "the v6 rule still does" $G6 8021 "port 6293"

	pmc nat-server flush
	check "flush" test $? = 0
	r_exec nft list table inet ftp_portmap >/dev/null 2>&1
	rc=$?
	check "flush deletes the table" test $rc != 0
	check "list after flush is []" test "$(njson)" = "[]"
	pmc nat-server flush
	check "flush of nothing" test $? = 0
	stop_bg
}

case_errors() {
	local err rc before
	pmc nat-server add tcp global $G4 8021 inside $IN4 6293 || bad "setup add"
	before=$(tbl)

	err=$(pmc nat-server add tcp global $G4 8000-8030 inside $IN4 6000-6030 2>&1)
	rc=$?
	check "overlap refused (exit 1)" test $rc = 1
	check "overlap message names the rule" grep -qF \
		"portmapctl: nat-server add: overlaps existing rule tcp global $G4 8021 inside $IN4 6293" <<<"$err"
	err=$(pmc nat-server add tcp global $G4 8021 inside $IN4 21 2>&1)
	check "same port refused" test $? = 1
	check "refusals leave nftables as it was" test "$before" = "$(tbl)"

	pmc nat-server add tcp global 203.0.113.9 8021 inside $IN4 6293
	check "same port on another global address is fine" test $? = 0
	pmc nat-server add udp global $G4 8021 inside $IN4 6293
	check "same port, other protocol is fine" test $? = 0
	pmc nat-server add tcp iif up0 8021 inside $IN4 6293
	check "same port on iif side is fine" test $? = 0
	err=$(pmc nat-server add tcp iif up0 8000-8100 inside $IN4 8000-8100 2>&1)
	check "iif overlap refused" test $? = 1
	check "iif overlap message" grep -qF "overlaps existing rule tcp iif up0 8021 inside $IN4 6293" <<<"$err"

	before=$(tbl)
	err=$(pmc nat-server add tcp global $G4 9000-9009 inside $IN4 9000-9004 2>&1)
	check "unequal ranges: exit 2" test $? = 2
	check "unequal ranges: message" grep -q "differ in length" <<<"$err"
	err=$(pmc nat-server add tcp global $G4 9000 inside $IN6 9000 2>&1)
	check "mixed families: exit 2" test $? = 2
	check "mixed families: message" grep -q "one family" <<<"$err"
	err=$(pmc nat-server add tcp global $G4 9000-9001 inside $IN4 9000-9001 ftp 2>&1)
	check "ftp on a range: exit 2" test $? = 2
	err=$(pmc nat-server add tcp global $G4 9009-9000 inside $IN4 9000-9009 2>&1)
	check "backwards range: exit 2" test $? = 2
	err=$(pmc nat-server add sctp global $G4 9000 inside $IN4 9000 2>&1)
	check "unknown protocol: exit 2" test $? = 2
	err=$(pmc nat-server add tcp iif 'bad"name' 9000 inside $IN4 9000 2>&1)
	check "bad interface name: exit 2" test $? = 2
	err=$(pmc nat-server add tcp global $G4 0 inside $IN4 9000 2>&1)
	check "port 0: exit 2" test $? = 2
	err=$(pmc nat-server del tcp global $G4 8022 inside $IN4 6293 2>&1)
	check "del of a missing rule: exit 1" test $? = 1
	check "del of a missing rule: message" grep -q "no such nat-server rule" <<<"$err"
	err=$(pmc nat-server del tcp global $G4 8021 inside $IN4 6294 2>&1)
	check "del needs the exact spec" test $? = 1
	check "usage errors leave nftables as it was" test "$before" = "$(tbl)"

	pmc nat-server flush || bad "flush"
}

case_iif() {
	local out
	pmc nat-server add tcp iif up0 2200 inside $IN4 2222
	check "add iif rule (v4)" test $? = 0
	pmc nat-server add tcp iif up0 2200 inside $IN6 2222
	check "add iif rule (v6)" test $? = 0
	check "nft shows the iif match" grep -q 'iifname "up0" fib daddr . iif type local' <<<"$(tbl)"
	check "json: iif rule" jqt \
		'any(.[]; .iif=="up0" and .global==null and .global_ports==[2200,2200])' \
		<<<"$(njson)"
	start_probe_server 2222 || { bad "probe server did not start"; return; }
	topo_settle
	expect_probe "iif rule DNATs the uplink address" $G4 2200 "port 2222"
	expect_probe "iif rule DNATs the uplink address (v6)" $G6 2200 "port 2222"
	out=$(probe 10.10.10.1 2200)
	check "iif rule ignores the router's other addresses" test "${out:0:4}" = FAIL

	# The uplink gets a new address (a DHCP renewal): no rule change.
	ip -n "$NS_R" addr del $G4/24 dev up0
	ip -n "$NS_R" addr add $G4_NEW/24 dev up0
	ip -n "$NS_C" route replace default via $G4_NEW
	c_exec ping -c1 -W2 $G4_NEW >/dev/null 2>&1
	expect_probe "iif rule follows the new address" $G4_NEW 2200 "port 2222"
	out=$(probe $G4 2200)
	check "the old address is not DNATed any more" test "${out:0:4}" = FAIL

	ip -n "$NS_R" addr del $G4_NEW/24 dev up0
	ip -n "$NS_R" addr add $G4/24 dev up0
	ip -n "$NS_C" route replace default via $G4
	pmc nat-server del tcp iif up0 2200 inside $IN4 2222
	check "del iif rule" test $? = 0
	pmc nat-server flush || bad "flush"
	stop_bg
}

case_ftp_plain() {
	local out m
	need_module "FTP through nat-server add ... ftp" || return
	pmc map flush >/dev/null 2>&1
	pmc nat-server add tcp global $G4 8021 inside $IN4 6293 ftp
	check "add ... ftp" test $? = 0
	m=$(pmc map list --json)
	check "map list shows the mapping" jqt --arg i $IN4 \
		'any(.[]; .port==6293 and .host==$i)' <<<"$m"
	check "nat-server list marks the rule ftp" jqt \
		'any(.[]; .global_ports==[8021,8021] and .ftp==true)' <<<"$(njson)"
	check "text list says ftp yes" grep -Eq "^tcp +$G4 +8021 +$IN4 +6293 +yes" \
		<<<"$(pmc nat-server list)"

	# No rule for the passive range and a private 227: only the ALG
	# (rewrite + expectation) can make the data connection work.
	start_vsftpd plain 6293 || { bad "vsftpd (plain) did not start"; return; }
	topo_settle
	check "FTP download through the ALG (PASV)" lftp_run plain "ftp://$G4:8021" \
		"set ftp:fix-pasv-address no; set ftp:prefer-epsv no; set ftp:ssl-allow no;"
	check "mapping counted the connection" jqt \
		'any(.[]; .port==6293 and .conns>=1 and .rewrites>=1)' \
		<<<"$(pmc map list --json)"
	stop_bg

	pmc nat-server del tcp global $G4 8021 inside $IN4 6293
	check "del ... (ftp rule)" test $? = 0
	check "del removed the mapping" jqt 'length==0' <<<"$(pmc map list --json)"

	# Two rules sharing one mapping; flush removes it once, at the end.
	pmc nat-server add tcp global $G4 21 inside $IN4 6293 ftp || bad "add ... ftp (21)"
	pmc nat-server add tcp global $G4 8021 inside $IN4 6293 ftp
	check "second ftp rule to the same inside port" test $? = 0
	pmc nat-server del tcp global $G4 21 inside $IN4 6293
	check "mapping stays while another ftp rule needs it" jqt \
		'length==1' <<<"$(pmc map list --json)"
	pmc nat-server flush
	check "flush removes the mapping" jqt 'length==0' <<<"$(pmc map list --json)"
}

case_ftps_explicit() {
	local flag="" tls
	[ "$HAVE_MOD" = 1 ] && flag=ftp
	pmc nat-server flush || bad "flush"
	pmc nat-server add tcp global $G4 21 inside $IN4 21 $flag
	check "add control port rule ${flag:+(ftp)} for FTPS" test $? = 0
	pmc nat-server add tcp global $G4 30000-30009 inside $IN4 30000-30009
	check "add passive range rule" test $? = 0
	start_vsftpd explicit 21 "${ssl_opts[@]}" pasv_address=$G4 ||
		{ bad "vsftpd (explicit TLS) did not start"; return; }
	topo_settle
	check "FTPS explicit (AUTH TLS): listing and download" lftp_run explicit "ftp://$G4" \
		"set ftp:ssl-force yes; set ftp:ssl-protect-data yes; set ftp:ssl-protect-list yes; set ssl:verify-certificate no;"
	check "the session really was TLS" grep -q 'AUTH TLS' "$WORK/vsftpd-explicit.log"
	stop_bg
	if need_module "stats count the encrypted session"; then
		tls=$(pmc stats --json | jq '.tls')
		if [ -n "$tls" ] && [ "$tls" -ge 1 ] 2>/dev/null; then
			ok "stats: tls=$tls after the AUTH TLS session"
		else
			bad "stats: tls='$tls' after the AUTH TLS session (the ALG did not mark it)"
		fi
	fi
	pmc nat-server flush || bad "flush"
}

case_ftps_implicit() {
	pmc nat-server flush || bad "flush"
	pmc nat-server add tcp global $G4 990 inside $IN4 990 &&
		pmc nat-server add tcp global $G4 30000-30009 inside $IN4 30000-30009
	check "add implicit FTPS port and passive range rules" test $? = 0
	start_vsftpd implicit 990 "${ssl_opts[@]}" implicit_ssl=YES pasv_address=$G4 ||
		{ bad "vsftpd (implicit TLS) did not start"; return; }
	check "FTPS implicit (990): listing and download" lftp_run implicit "ftps://$G4" \
		"set ftp:ssl-protect-data yes; set ftp:ssl-protect-list yes; set ssl:verify-certificate no;"
	stop_bg
	pmc nat-server flush || bad "flush"
}

# ---- run ---------------------------------------------------------------------------
topo_up || { echo "natserver: topology setup failed" >&2; exit 1; }
make_ftp_root || { echo "natserver: openssl certificate failed" >&2; exit 1; }
OTHER_BEFORE=$(other_tables)

case_not_loaded
load_module
[ "$HAVE_MOD" = 1 ] && say "module ftp_portmap loaded" || say "module ftp_portmap not available"
for c in ${NATSERVER_CASES:-round_trip errors iif ftp_plain ftps_explicit ftps_implicit}; do
	if declare -F "case_$c" >/dev/null; then
		"case_$c"
	else
		bad "no such case '$c'"
	fi
done

check "other tables byte-identical after everything" test "$OTHER_BEFORE" = "$(other_tables)"
check "no table but ours was added" test \
	"$(r_exec nft list tables | grep -v 'table inet ftp_portmap$' | sort | tr '\n' ' ')" = \
	"table inet fw table inet other "

[ $skip -gt 0 ] && say "$skip skipped"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
