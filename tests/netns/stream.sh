#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Control-stream robustness suite (issue 4): the scripted FTP peer
# (tests/ftppeer/ftppeer.py) through a NAT router in network namespaces,
# every case run twice in the same run: once with the kernel's stock FTP
# helper (nf_conntrack_ftp, attached by an nft "ct helper" object) and
# once with ftp-portmap (./ftp_portmap.ko + "portmapctl map add PORT").
#
#   tests/netns/stream.sh            (as root; in the VM: tests/vm/run.sh
#                                     tests/netns/stream.sh)
#
# Topology (fresh namespaces for each column):
#
#   client 10.10.10.2/24      router                       server
#          fd00:10::2/64  --  rc 10.10.10.1  rs 203.0.113.1  --  203.0.113.2/24
#   (.3 / ::3: "third host"   fd00:10::1     2001:db8:1::1      2001:db8:1::2/64
#    address for the bounce)
#
#   The client dials the public VIP 203.0.113.10 / 2001:db8:1::10, port
#   2121, DNATed to the server; the client's traffic leaves rs masqueraded
#   as 203.0.113.1 / 2001:db8:1::1.  So a 227 names the server's own
#   address and must reach the client rewritten to the VIP, and a PORT
#   names the client's private address and must reach the server
#   rewritten to the router's.  The router forwards nothing new but the
#   control connection: every data connection works only if the helper
#   made it RELATED.
#
# The suite's verdict judges ftp-portmap only; the stock column is
# measured and recorded (it must have run).  The comparison table goes to
# $STREAM_TABLE (default build/stream-table.md, /tmp if that is not
# writable) and to stdout.  Last line: "N passed, N failed".
#
# Environment:
#   STREAM_TABLE        where the markdown table goes
#   STREAM_ONLY         "stock" or "portmap": run one column only
#   STREAM_CASES        space-separated case names to run (default: all)
#   STREAM_JOBS         parallel sessions for the offset sweeps (default 10)
#   STREAM_NETEM_SESSIONS  sessions of the loss run (default 50)
#   STREAM_LOGDIR       copy every session log there at the end
#   STREAM_KEEP=1       keep the work directory
#   FPM_KO, PORTMAPCTL  paths of the module and the tool
#   FPM_PROFTPD_DIR     the unpacked ProFTPD of the ccc_proftpd case
#                       (default build/proftpd, made on the host by
#                       scripts/fetch-proftpd.sh; missing: that case FAILS)
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
PEER="$repo/tests/ftppeer/ftppeer.py"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
FPM_KO=${FPM_KO:-$repo/ftp_portmap.ko}
if [ -z "${PORTMAPCTL:-}" ]; then
	if [ -x "$repo/tools/portmapctl/portmapctl" ]; then
		PORTMAPCTL=$repo/tools/portmapctl/portmapctl
	else
		PORTMAPCTL=$(command -v portmapctl || echo "$repo/tools/portmapctl/portmapctl")
	fi
fi
PROFTPD_DIR=${FPM_PROFTPD_DIR:-$repo/build/proftpd}
JOBS=${STREAM_JOBS:-10}
NETEM_SESSIONS=${STREAM_NETEM_SESSIONS:-50}
CTRL_PORT=2121

# The netns harness library, when it is there: reused for its generic
# helpers; the topology below is this suite's own (it needs a DNAT VIP, a
# masquerade and a forward policy that only lets RELATED data through).
if [ -r "$here/lib.sh" ]; then
	# shellcheck source=/dev/null
	. "$here/lib.sh" || true
fi

[ "$(id -u)" = 0 ] || { echo "stream: must run as root" >&2; exit 1; }
for t in ip nft tc "$PY"; do
	command -v "$t" >/dev/null || { echo "stream: $t missing" >&2; exit 1; }
done

P=fpmst$$
NS_C=$P-c NS_R=$P-r NS_S=$P-s
VIP4=203.0.113.10 VIP6=2001:db8:1::10
SRV4=203.0.113.2 SRV6=2001:db8:1::2
RTR4=203.0.113.1 RTR6=2001:db8:1::1
CLI4=10.10.10.2 CLI6=fd00:10::2
THIRD4=10.10.10.3

WORK=$(mktemp -d "${TMPDIR:-/tmp}/fpm-stream.XXXXXX")
SERVER_PID=
PROFTPD_PID=
LOADED_KO=0

say() { echo "stream: $*"; }

cleanup() {
	stop_server
	for n in "$NS_C" "$NS_R" "$NS_S"; do
		ip netns del "$n" 2>/dev/null
	done
	if [ "$LOADED_KO" = 1 ]; then
		rmmod ftp_portmap 2>/dev/null
	fi
	if [ -n "${STREAM_LOGDIR:-}" ]; then
		mkdir -p "$STREAM_LOGDIR" && cp -f "$WORK"/*.log "$STREAM_LOGDIR"/ 2>/dev/null &&
			echo "stream: logs copied to $STREAM_LOGDIR"
	fi
	[ -n "${STREAM_KEEP:-}" ] && { echo "stream: kept $WORK"; return; }
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

c_exec() { ip netns exec "$NS_C" "$@"; }
r_exec() { ip netns exec "$NS_R" "$@"; }
s_exec() { ip netns exec "$NS_S" "$@"; }

# ---- topology ------------------------------------------------------------
topo_down() {
	stop_server
	for n in "$NS_C" "$NS_R" "$NS_S"; do
		ip netns del "$n" 2>/dev/null
	done
	return 0
}

topo_up() {
	topo_down
	ip netns add "$NS_C" && ip netns add "$NS_R" && ip netns add "$NS_S" || return 1
	ip link add rc netns "$NS_R" type veth peer name eth0 netns "$NS_C" || return 1
	ip link add rs netns "$NS_R" type veth peer name eth0 netns "$NS_S" || return 1
	local n
	for n in "$NS_C" "$NS_R" "$NS_S"; do
		ip -n "$n" link set lo up
	done
	ip -n "$NS_C" addr add $CLI4/24 dev eth0
	ip -n "$NS_C" addr add $THIRD4/24 dev eth0
	ip -n "$NS_C" addr add $CLI6/64 dev eth0 nodad
	ip -n "$NS_C" link set eth0 up
	ip -n "$NS_C" route add default via 10.10.10.1
	ip -n "$NS_C" -6 route add default via fd00:10::1

	ip -n "$NS_R" addr add 10.10.10.1/24 dev rc
	ip -n "$NS_R" addr add fd00:10::1/64 dev rc nodad
	ip -n "$NS_R" addr add $RTR4/24 dev rs
	ip -n "$NS_R" addr add $RTR6/64 dev rs nodad
	ip -n "$NS_R" link set rc up
	ip -n "$NS_R" link set rs up
	r_exec sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1

	ip -n "$NS_S" addr add $SRV4/24 dev eth0
	ip -n "$NS_S" addr add $SRV6/64 dev eth0 nodad
	ip -n "$NS_S" link set eth0 up
	ip -n "$NS_S" route add default via $RTR4
	ip -n "$NS_S" -6 route add default via $RTR6
	# Neither end may offload segments together: one write, one segment.
	for n in "$NS_C" "$NS_S"; do
		ip netns exec "$n" ethtool -K eth0 tso off gso off gro off >/dev/null 2>&1
	done
	r_exec ethtool -K rc tso off gso off gro off >/dev/null 2>&1
	r_exec ethtool -K rs tso off gso off gro off >/dev/null 2>&1
	return 0
}

# $1: stock | portmap
router_rules() {
	local helper_obj="" helper_rule=""
	if [ "$1" = stock ]; then
		helper_obj='ct helper ftp-stock { type "ftp" protocol tcp; l3proto inet; }'
		helper_rule="chain helpers { type filter hook prerouting priority filter; tcp dport $CTRL_PORT ct helper set \"ftp-stock\"; }"
	fi
	r_exec nft -f - <<-EOF
	table inet fpmstream {
		$helper_obj
		$helper_rule
		chain natpre {
			type nat hook prerouting priority dstnat;
			ip daddr $VIP4 tcp dport $CTRL_PORT dnat ip to $SRV4
			ip6 daddr $VIP6 tcp dport $CTRL_PORT dnat ip6 to $SRV6
		}
		chain natpost {
			type nat hook postrouting priority srcnat;
			oifname "rs" masquerade
		}
		counter relctr { }
		chain filter_fwd {
			type filter hook forward priority filter; policy drop;
			ct state established accept
			ct state related counter name "relctr" accept
			ct state invalid drop
			iifname "rc" ct status dnat tcp dport $CTRL_PORT accept
			meta l4proto tcp ct state new reject with tcp reset
		}
	}
	EOF
}

start_server() {
	stop_server
	# the log is appended to: a restart (after ccc_proftpd) must wait for
	# a new "listening on" line, not find the first start's
	local _ n0
	n0=$(grep -c 'listening on' "$WORK/server-$COLUMN.log" 2>/dev/null)
	# not through s_exec: $! must be the server itself (ip netns exec
	# execs it), not a subshell, for the kill in stop_server
	ip netns exec "$NS_S" "$PY" "$PEER" server --listen :: --port $CTRL_PORT \
		--timeout 5 --connect-timeout 2 --cert "$WORK/cert.pem" \
		--key "$WORK/key.pem" >>"$WORK/server-$COLUMN.log" 2>&1 &
	SERVER_PID=$!
	for _ in $(seq 50); do
		[ "$(grep -c 'listening on' "$WORK/server-$COLUMN.log" 2>/dev/null)" -gt "${n0:-0}" ] &&
			return 0
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.1
	done
	say "scripted server did not start:"
	cat "$WORK/server-$COLUMN.log"
	return 1
}

stop_server() {
	if [ -n "$SERVER_PID" ]; then
		kill "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
		SERVER_PID=
	fi
	stop_proftpd
}

make_cert() {
	[ -s "$WORK/cert.pem" ] && return 0
	command -v openssl >/dev/null || return 1
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=ftppeer \
		-keyout "$WORK/key.pem" -out "$WORK/cert.pem" >/dev/null 2>&1
}

# ---- the columns ---------------------------------------------------------
# Set up column $1; on failure COLUMN_ERR says why and every case fails.
COLUMN_ERR=
STOCK_ERR=

column_stock() {
	modprobe -a nf_conntrack nf_nat nf_conntrack_ftp nf_nat_ftp nft_ct \
		nft_nat >/dev/null 2>&1
	topo_up || { COLUMN_ERR="topology setup failed"; return 1; }
	router_rules stock || { COLUMN_ERR="nft ruleset with ct helper \"ftp\" refused"; return 1; }
	start_server || { COLUMN_ERR="server did not start"; return 1; }
}

column_portmap() {
	if [ ! -d /sys/module/ftp_portmap ]; then
		if [ ! -f "$FPM_KO" ]; then
			COLUMN_ERR="$FPM_KO not built (make module)"
			return 1
		fi
		modprobe -a nf_conntrack nf_nat nf_defrag_ipv4 nf_defrag_ipv6 \
			>/dev/null 2>&1
		local err
		if ! err=$(insmod "$FPM_KO" 2>&1); then
			COLUMN_ERR="insmod $FPM_KO failed: $err"
			return 1
		fi
		LOADED_KO=1
	fi
	if [ ! -x "$PORTMAPCTL" ]; then
		COLUMN_ERR="portmapctl not built ($PORTMAPCTL)"
		return 1
	fi
	topo_up || { COLUMN_ERR="topology setup failed"; return 1; }
	router_rules portmap || { COLUMN_ERR="nft ruleset refused"; return 1; }
	local err
	if ! err=$(r_exec "$PORTMAPCTL" map add $CTRL_PORT 2>&1); then
		COLUMN_ERR="portmapctl map add $CTRL_PORT failed: $err"
		return 1
	fi
	start_server || { COLUMN_ERR="server did not start"; return 1; }
}

# ftp-portmap counter $1 in the router namespace (empty if unavailable).
# "stats --json" is one flat object of snake_case counters.
counter() {
	[ "$COLUMN" = portmap ] || return 0
	r_exec "$PORTMAPCTL" stats --json 2>/dev/null |
		sed -n "s/.*\"$1\": *\([0-9][0-9]*\).*/\1/p" | head -n1
}

# ---- cases ---------------------------------------------------------------
# Each case function runs in the current column, sets NOTE, returns 0/1.
NOTE=
CLIENT_LOG=

client() {
	# client NAME ARGS... : run the scripted client in the client ns
	local name=$1
	shift
	CLIENT_LOG=$WORK/$COLUMN-$name.log
	c_exec "$PY" "$PEER" client --port $CTRL_PORT "$@" >"$CLIENT_LOG" 2>&1
}

# Summary of a client log for the note: "K/N sessions ok" + failed offsets
client_summary() {
	local s f
	s=$(sed -n 's/^client: \([0-9]*\/[0-9]* sessions ok\)$/\1/p' "$CLIENT_LOG" | tail -n1)
	f=$(sed -n 's/^client: failed offsets: //p' "$CLIENT_LOG" | tail -n1)
	[ -n "$f" ] && s="$s; failed offsets $f"
	f=$(sed -n 's/^client: skipped offsets (past the line): //p' "$CLIENT_LOG" | tail -n1)
	[ -n "$f" ] && s="$s; offsets $f past the line's end, not run"
	echo "$s"
}

first_failure() {
	sed -n 's/^client: session [0-9]* \[[^]]*\]: FAIL: \(.*\) ([0-9.]*s)$/\1/p' "$CLIENT_LOG" | head -n1
}

judge_client() {
	# $1: client exit code; NOTE from the log
	local rc=$1 fail
	NOTE=$(client_summary)
	if [ "$rc" != 0 ]; then
		fail=$(first_failure)
		[ -n "$fail" ] && NOTE="$NOTE; first failure: $fail"
		[ -z "$NOTE" ] && NOTE="client: $(tail -n1 "$CLIENT_LOG")"
		return 1
	fi
	return 0
}

case_baseline_v4() {
	client baseline-v4 --connect $VIP4 --mode mix --sessions 2 \
		--expect-pasv $VIP4 --expect-port $RTR4 --timeout 3 --connect-timeout 2
	judge_client $?
}

case_baseline_v6() {
	client baseline-v6 --connect $VIP6 --mode mix --sessions 2 \
		--expect-port $RTR6 --timeout 3 --connect-timeout 2
	judge_client $?
}

case_pipelined_227() {
	client pipelined-227 --connect $VIP4 --mode pasv --pipeline-reply \
		--expect-pasv $VIP4 --timeout 3 --connect-timeout 2
	judge_client $?
}

case_pipelined_port() {
	client pipelined-port --connect $VIP4 --mode port --pipeline-cmd \
		--expect-port $RTR4 --timeout 3 --connect-timeout 2
	judge_client $?
}

case_split_227() {
	client split-227 --connect $VIP4 --mode pasv --split-reply 1-30 \
		--expect-pasv $VIP4 --jobs "$JOBS" --timeout 3 --connect-timeout 2
	judge_client $?
}

case_split_port() {
	client split-port --connect $VIP4 --mode port --split-cmd 1-30 \
		--expect-port $RTR4 --jobs "$JOBS" --timeout 3 --connect-timeout 2
	judge_client $?
}

case_split_229_v6() {
	# 229 Entering Extended Passive Mode (|||PORT|): 39 is the port's
	# first byte.
	client split-229-v6 --connect $VIP6 --mode epsv \
		--split-reply 1,2,3,4,5,10,20,30,36,38,39,40,41,42,43 \
		--jobs "$JOBS" --timeout 3 --connect-timeout 2
	judge_client $?
}

case_split_eprt_v6() {
	# EPRT |2|fd00:10::2|PORT|: 19 is the port's first byte.
	client split-eprt-v6 --connect $VIP6 --mode eprt \
		--split-cmd 1,2,3,4,5,6,8,10,12,14,16,18,19,20,21,22,23 \
		--expect-port $RTR6 --jobs "$JOBS" --timeout 3 --connect-timeout 2
	judge_client $?
}

case_logout_227() {
	client logout-227 --connect $VIP4 --mode pasv --logout-227 \
		--expect-pasv $VIP4 --timeout 3 --connect-timeout 2
	judge_client $?
}

case_garbage() {
	local b a rc
	b=$(counter line_toolong)
	client garbage --connect $VIP4 --mode pasv --garbage \
		--expect-pasv $VIP4 --timeout 3 --connect-timeout 2
	rc=$?
	a=$(counter line_toolong)
	judge_client $rc
	rc=$?
	[ -n "$a" ] && NOTE="$NOTE; line_toolong $b->$a"
	return $rc
}

case_bounce() {
	local b a rc
	b=$(counter addr_mismatch)
	client bounce --connect $VIP4 --mode port --bounce $THIRD4 \
		--timeout 3 --connect-timeout 2 --probe-timeout 2
	rc=$?
	a=$(counter addr_mismatch)
	judge_client $rc
	rc=$?
	[ $rc = 0 ] && NOTE="$NOTE; $(sed -n 's/.*\(no connection reached[^;(]*\).*/\1/p' "$CLIENT_LOG" | head -n1)"
	if [ "$COLUMN" = portmap ]; then
		NOTE="$NOTE; addr_mismatch ${b:-?}->${a:-?}"
		if [ -z "$a" ] || [ -z "$b" ] || [ "$a" -le "$b" ]; then
			NOTE="$NOTE (did not move)"
			rc=1
		fi
	fi
	return $rc
}

case_unsolicited_227() {
	local b a rc
	b=$(counter unpaired)
	client unsolicited-227 --connect $VIP4 --mode pasv --unsolicited \
		--expect-pasv $VIP4 --timeout 3 --connect-timeout 2 \
		--probe-timeout 2
	rc=$?
	a=$(counter unpaired)
	judge_client $rc
	rc=$?
	if [ "$COLUMN" = portmap ]; then
		NOTE="$NOTE; unpaired ${b:-?}->${a:-?}"
		if [ -z "$a" ] || [ -z "$b" ] || [ "$a" -le "$b" ]; then
			NOTE="$NOTE (did not move)"
			rc=1
		fi
	fi
	return $rc
}

case_tls() {
	if ! [ -s "$WORK/cert.pem" ]; then
		NOTE="skipped: no openssl for a test certificate"
		return 2
	fi
	local b a rc
	b=$(counter tls)
	client tls --connect $VIP4 --tls --timeout 3 --connect-timeout 2
	rc=$?
	a=$(counter tls)
	judge_client $rc
	rc=$?
	[ $rc = 0 ] && NOTE="$NOTE; AUTH TLS, encrypted NOOPs, QUIT: no stall"
	if [ "$COLUMN" = portmap ]; then
		NOTE="$NOTE; tls ${b:-?}->${a:-?}"
		if [ -z "$a" ] || [ -z "$b" ] || [ "$a" -le "$b" ]; then
			NOTE="$NOTE (did not move)"
			rc=1
		fi
	fi
	return $rc
}

case_ccc() {
	if ! [ -s "$WORK/cert.pem" ]; then
		NOTE="skipped: no openssl for a test certificate"
		return 2
	fi
	local b a rc
	b=$(counter ccc)
	# TLS 1.2 and 1.3 both: the close_notify of CCC is a plain alert
	# record in 1.2 and an encrypted one in 1.3.
	client ccc --connect $VIP4 --ccc --mode mix --sessions 2 \
		--expect-pasv $VIP4 --expect-port $RTR4 --timeout 3 --connect-timeout 2
	rc=$?
	CLIENT_LOG_13=$CLIENT_LOG
	client ccc-tls12 --connect $VIP4 --ccc --tls12 --mode pasv \
		--expect-pasv $VIP4 --timeout 3 --connect-timeout 2
	local rc12=$?
	a=$(counter ccc)
	CLIENT_LOG=$CLIENT_LOG_13
	judge_client $rc
	rc=$?
	local n13=$NOTE
	CLIENT_LOG=$WORK/$COLUMN-ccc-tls12.log
	judge_client $rc12
	rc12=$?
	NOTE="TLS1.3: $n13 | TLS1.2: $NOTE"
	[ $rc12 = 0 ] || rc=1
	if [ "$COLUMN" = portmap ]; then
		NOTE="$NOTE; ccc ${b:-?}->${a:-?}"
		if [ -z "$a" ] || [ -z "$b" ] || [ "$a" -le "$b" ]; then
			NOTE="$NOTE (did not move)"
			rc=1
		fi
	fi
	return $rc
}

# lftp_ccc_run OUT LOG PASSIVE SEED EXTRA: one lftp session with
# ftp:ssl-use-ccc yes (AUTH TLS, login and CCC inside TLS, then the data
# command in clear text through the NAT) fetching data-SEED-8192.bin into
# OUT; the dialogue goes to LOG, which becomes CLIENT_LOG.  Says why and
# returns 1 when lftp failed or wrote nothing.
lftp_ccc_run() {
	local out=$1 passive=$3 seed=$4 extra=${5:-} rc
	CLIENT_LOG=$2
	rm -f "$out"
	# lftp's -e script must be one line
	local script="set ftp:ssl-allow yes; set ftp:ssl-force yes;
set ftp:ssl-auth TLS; set ftp:ssl-use-ccc yes; set ftp:ssl-protect-data no;
set ftp:ssl-protect-list no; set ssl:verify-certificate no;
set ftp:passive-mode $passive; set ftp:prefer-epsv no; set net:max-retries 1;
set net:timeout 8; set net:reconnect-interval-base 1; set cmd:fail-exit yes;
set xfer:clobber yes; $extra get data-$seed-8192.bin -o $out; bye"
	c_exec timeout 40 lftp -d -u anonymous,ftppeer@ -e "${script//$'\n'/ }" \
		"ftp://$VIP4:$CTRL_PORT" >"$CLIENT_LOG" 2>&1
	rc=$?
	if [ $rc != 0 ] || [ ! -f "$out" ]; then
		echo "lftp exit $rc: $(grep -E '^(<---|----|get:)' "$CLIENT_LOG" | tail -n 2 | tr '\n' ' ')"
		return 1
	fi
	return 0
}

# lftp as the client (ftp:ssl-use-ccc yes) against the scripted server:
# AUTH TLS, login and CCC inside TLS, then TYPE/PASV (or PORT)/RETR in
# clear text through the NAT; lftp's TLS is GnuTLS, the server's OpenSSL.
lftp_get() {
	# $1: passive-mode on|off  $2: seed  $3: extra lftp settings
	# (runs in a subshell: sets nothing for the caller)
	local out=$WORK/lftp-$COLUMN-$2.bin
	lftp_ccc_run "$out" "$WORK/$COLUMN-ccc-lftp-$2.log" "$@" || return 1
	if ! "$PY" -c 'import random, sys
sys.exit(open(sys.argv[1], "rb").read() != random.Random(int(sys.argv[2])).randbytes(8192))' "$out" "$2"; then
		echo "data mismatch"
		return 1
	fi
	if ! grep -q -- '<--- 200 .*\(CCC\|[Cc]lear\)' "$CLIENT_LOG"; then
		echo "no CCC in the dialogue"
		return 1
	fi
	return 0
}

case_ccc_lftp() {
	if ! command -v lftp >/dev/null; then
		NOTE="skipped: lftp not installed"
		return 2
	fi
	if ! [ -s "$WORK/cert.pem" ]; then
		NOTE="skipped: no openssl for a test certificate"
		return 2
	fi
	local b a rc=0 msg n0 n1 bad_log=
	b=$(counter ccc)
	if msg=$(lftp_get on 101 ""); then
		if grep -q "<--- 227 .*(${VIP4//./,}," "$WORK/$COLUMN-ccc-lftp-101.log"; then
			NOTE="passive: 227 rewritten to $VIP4, data intact"
		else
			NOTE="passive: data intact but the 227 lftp saw is not $VIP4"
			rc=1
		fi
	else
		NOTE="passive: $msg"
		rc=1
		bad_log=${bad_log:-$WORK/$COLUMN-ccc-lftp-101.log}
	fi
	n0=$(grep -c "PORT names $RTR4 " "$WORK/server-$COLUMN.log")
	if msg=$(lftp_get off 102 ""); then
		n1=$(grep -c "PORT names $RTR4 " "$WORK/server-$COLUMN.log")
		if [ "$n1" -gt "$n0" ]; then
			NOTE="$NOTE; active: PORT rewritten to $RTR4, data intact"
		else
			NOTE="$NOTE; active: data intact but server did not see $RTR4"
			rc=1
		fi
	else
		NOTE="$NOTE; active: $msg"
		rc=1
		bad_log=${bad_log:-$WORK/$COLUMN-ccc-lftp-102.log}
	fi
	if msg=$(lftp_get on 103 'set ssl:priority "NORMAL:-VERS-TLS1.3";'); then
		NOTE="$NOTE; passive over TLS 1.2: data intact"
	else
		NOTE="$NOTE; passive over TLS 1.2: $msg"
		rc=1
		bad_log=${bad_log:-$WORK/$COLUMN-ccc-lftp-103.log}
	fi
	a=$(counter ccc)
	CLIENT_LOG=${bad_log:-$WORK/$COLUMN-ccc-lftp-101.log}
	if [ "$COLUMN" = portmap ]; then
		NOTE="$NOTE; ccc ${b:-?}->${a:-?}"
		if [ -z "$a" ] || [ -z "$b" ] || [ "$a" -le "$b" ]; then
			NOTE="$NOTE (did not move)"
			rc=1
		fi
	fi
	return $rc
}

# ---- CCC with a real server: ProFTPD + mod_tls ----------------------------
# Debian's proftpd conflicts with vsftpd, so it is not installed: the case
# runs the private copy that scripts/fetch-proftpd.sh unpacked on the host
# (apt-get download + dpkg -x) into $PROFTPD_DIR.  It replaces the scripted
# server on port 2121 for the duration of the case, in the server
# namespace, in the foreground (-n), with a config, scoreboard, pid file
# and logs of its own under $WORK.  Anonymous login (run as nobody/nogroup)
# chrooted to a directory holding the test files.
#
# "TLSRequired auth": TLS is required for the login only, so the CCC after
# it is accepted (with "on"/"ctrl" mod_tls refuses CCC: "Unwilling to
# accept security parameters").
proftpd_ok() {
	[ -x "$PROFTPD_DIR/usr/sbin/proftpd" ] &&
		[ -f "$PROFTPD_DIR/usr/lib/proftpd/mod_tls.so" ] &&
		"$PROFTPD_DIR/usr/sbin/proftpd" -v >/dev/null 2>&1
}

# Config and anonymous root for the current column; echoes the config path.
proftpd_setup() {
	local d=$WORK/proftpd-$COLUMN seed
	rm -rf "$d"
	mkdir -p "$d/anon" || return 1
	# the anonymous root is resolved as nobody: every directory above it
	# must be searchable (mktemp made $WORK 0700)
	chmod 711 "$WORK" "$d"
	chmod 755 "$d/anon"
	for seed in 201 202 203; do
		"$PY" -c 'import random, sys
open(sys.argv[1], "wb").write(random.Random(int(sys.argv[2])).randbytes(8192))' \
			"$d/anon/data-$seed-8192.bin" "$seed" || return 1
	done
	chmod 644 "$d"/anon/*
	cat >"$d/proftpd.conf" <<-CONF
	ServerName		"ftp-portmap stream test"
	ServerType		standalone
	DefaultServer		on
	Port			$CTRL_PORT
	# not the host name: the VM's does not resolve ("no valid servers")
	DefaultAddress		$SRV4
	UseIPv6			on
	User			nobody
	Group			nogroup
	Umask			022
	MaxInstances		30
	PidFile			$d/proftpd.pid
	ScoreboardFile		$d/proftpd.scoreboard
	SystemLog		$WORK/proftpd-$COLUMN.log
	LogFormat		cmds "%h %r -> %s"
	ExtendedLog		$WORK/proftpd-cmds-$COLUMN.log ALL cmds
	TransferLog		NONE
	WtmpLog			off
	UseReverseDNS		off
	AuthPAM			off
	UseFtpUsers		off
	DelayEngine		off
	TimeoutIdle		60
	TimeoutNoTransfer	60

	ModulePath		$PROFTPD_DIR/usr/lib/proftpd
	LoadModule		mod_tls.c
	TLSEngine		on
	TLSLog			$WORK/proftpd-tls-$COLUMN.log
	TLSProtocol		TLSv1.2 TLSv1.3
	TLSRequired		auth
	TLSRSACertificateFile	$WORK/cert.pem
	TLSRSACertificateKeyFile $WORK/key.pem
	TLSVerifyClient		off
	TLSOptions		NoSessionReuseRequired

	<Anonymous $d/anon>
		User			nobody
		Group			nogroup
		UserAlias		anonymous nobody
		RequireValidShell	off
		<Limit WRITE>
			DenyAll
		</Limit>
	</Anonymous>
	CONF
	echo "$d/proftpd.conf"
}

start_proftpd() {
	# $1: config.  Not through s_exec: $! must be proftpd itself.
	stop_proftpd
	ip netns exec "$NS_S" "$PROFTPD_DIR/usr/sbin/proftpd" -n -c "$1" \
		>>"$WORK/proftpd-$COLUMN.log" 2>&1 &
	PROFTPD_PID=$!
	local _
	for _ in $(seq 100); do
		s_exec ss -Hltn "sport = :$CTRL_PORT" 2>/dev/null | grep -q . && return 0
		kill -0 "$PROFTPD_PID" 2>/dev/null || break
		sleep 0.1
	done
	PROFTPD_PID=
	return 1
}

stop_proftpd() {
	if [ -n "$PROFTPD_PID" ]; then
		kill "$PROFTPD_PID" 2>/dev/null
		wait "$PROFTPD_PID" 2>/dev/null
		PROFTPD_PID=
	fi
}

# lftp 4.9.2 (GnuTLS) and ProFTPD race on CCC: mod_tls sends the "200
# Clearing control channel protection" and its close_notify back to back;
# when both are in lftp's socket buffer by the time it reads the 200,
# GnuTLS returns the 200 and then end-of-stream, lftp reports "Peer
# closed connection", sends a second close_notify with its FIN, and the
# session is lost (ProFTPD reads that record as a clear-text command and
# answers "500 ... not understood").  That happens without any router in
# between (about one session in two on loopback), so it is not the ALG's
# doing.  To make the case deterministic the server's control-connection
# segments are paced (netem rate on its own egress, sport 2121 only): the
# close_notify then leaves about 90 ms after the 200, lftp has consumed
# the 200 and sent its own close_notify first, as RFC 4217 expects.  The
# bytes and their segmentation are unchanged; data connections are not
# paced.
pace_server_control() {
	modprobe -a sch_prio sch_netem cls_u32 >/dev/null 2>&1
	s_exec tc qdisc add dev eth0 root handle 1: prio bands 3 \
		priomap 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 2>/dev/null &&
	s_exec tc qdisc add dev eth0 parent 1:3 handle 30: netem rate 8kbit \
		2>/dev/null &&
	s_exec tc filter add dev eth0 parent 1: protocol ip prio 1 u32 \
		match ip sport $CTRL_PORT 0xffff flowid 1:3 2>/dev/null && return 0
	s_exec tc qdisc del dev eth0 root 2>/dev/null
	return 1
}

# One lftp session against ProFTPD: AUTH TLS, login, PBSZ/PROT C, CCC,
# then TYPE/PASV (or PORT)/RETR in clear text through the NAT.
# $1: passive-mode on|off  $2: seed  $3: extra lftp settings
# (runs in a subshell: sets nothing for the caller)
proftpd_get() {
	local out=$WORK/proftpd-$COLUMN-$2.bin
	lftp_ccc_run "$out" "$WORK/$COLUMN-ccc-proftpd-$2.log" "$@" || return 1
	if ! cmp -s "$out" "$WORK/proftpd-$COLUMN/anon/data-$2-8192.bin"; then
		echo "data mismatch"
		return 1
	fi
	if ! grep -q -- '^<--- 200 Clearing control channel protection' "$CLIENT_LOG"; then
		echo "no CCC in the dialogue"
		return 1
	fi
	return 0
}

case_ccc_proftpd() {
	if ! proftpd_ok; then
		NOTE="no usable ProFTPD in $PROFTPD_DIR: run scripts/fetch-proftpd.sh (on the host)"
		return 1
	fi
	if ! command -v lftp >/dev/null; then
		NOTE="skipped: lftp not installed"
		return 2
	fi
	if ! [ -s "$WORK/cert.pem" ]; then
		NOTE="skipped: no openssl for a test certificate"
		return 2
	fi
	local conf
	if ! conf=$(proftpd_setup); then
		NOTE="ProFTPD config/files could not be written under $WORK"
		return 1
	fi
	stop_server
	if ! start_proftpd "$conf"; then
		NOTE="ProFTPD did not start: $(tail -n 2 "$WORK/proftpd-$COLUMN.log" | tr '\n' ' ')"
		start_server
		return 1
	fi
	local bt bc at ac rc=0 msg n0 n1 bad_log="" paced=1
	local cmds=$WORK/proftpd-cmds-$COLUMN.log
	pace_server_control || paced=0
	bt=$(counter tls)
	bc=$(counter ccc)
	if msg=$(proftpd_get on 201 ""); then
		if grep -q "^<--- 227 .*(${VIP4//./,}," "$WORK/$COLUMN-ccc-proftpd-201.log"; then
			NOTE="passive TLS 1.3: 227 rewritten to $VIP4, data intact"
		else
			NOTE="passive TLS 1.3: data intact but the 227 lftp saw is not $VIP4"
			rc=1
		fi
	else
		NOTE="passive TLS 1.3: $msg"
		rc=1
		bad_log=${bad_log:-$WORK/$COLUMN-ccc-proftpd-201.log}
	fi
	if msg=$(proftpd_get on 202 'set ssl:priority "NORMAL:-VERS-TLS1.3";'); then
		NOTE="$NOTE; passive TLS 1.2: data intact"
	else
		NOTE="$NOTE; passive TLS 1.2: $msg"
		rc=1
		bad_log=${bad_log:-$WORK/$COLUMN-ccc-proftpd-202.log}
	fi
	n0=$(grep -c "PORT ${RTR4//./,}," "$cmds" 2>/dev/null)
	if msg=$(proftpd_get off 203 ""); then
		n1=$(grep -c "PORT ${RTR4//./,}," "$cmds" 2>/dev/null)
		if [ "${n1:-0}" -gt "${n0:-0}" ]; then
			NOTE="$NOTE; active: PORT rewritten to $RTR4, data intact"
		else
			NOTE="$NOTE; active: data intact but ProFTPD did not see $RTR4"
			rc=1
		fi
	else
		NOTE="$NOTE; active: $msg"
		rc=1
		bad_log=${bad_log:-$WORK/$COLUMN-ccc-proftpd-203.log}
	fi
	at=$(counter tls)
	ac=$(counter ccc)
	if [ $paced = 1 ]; then
		s_exec tc qdisc del dev eth0 root 2>/dev/null
	else
		NOTE="$NOTE; NOT paced (no sch_prio/sch_netem/cls_u32): lftp/ProFTPD CCC race possible"
	fi
	stop_proftpd
	start_server || say "scripted server did not restart after ccc_proftpd"
	CLIENT_LOG=${bad_log:-$WORK/$COLUMN-ccc-proftpd-201.log}
	if [ "$COLUMN" = portmap ]; then
		NOTE="$NOTE; tls ${bt:-?}->${at:-?}, ccc ${bc:-?}->${ac:-?}"
		if [ -z "$at" ] || [ -z "$bt" ] || [ "$at" -le "$bt" ]; then
			NOTE="$NOTE (tls did not move)"
			rc=1
		fi
		if [ -z "$ac" ] || [ -z "$bc" ] || [ "$ac" -le "$bc" ]; then
			NOTE="$NOTE (ccc did not move)"
			rc=1
		fi
	fi
	return $rc
}

netem_available() {
	r_exec tc qdisc add dev rc root netem delay 1ms 2>/dev/null || return 1
	r_exec tc qdisc del dev rc root 2>/dev/null
	return 0
}

case_netem() {
	modprobe sch_netem >/dev/null 2>&1
	if ! netem_available; then
		NOTE="skipped: sch_netem not available in this kernel"
		return 2
	fi
	local d rc
	for d in rc rs; do
		r_exec tc qdisc add dev $d root netem loss 5% delay 10ms \
			reorder 25% 50% || { NOTE="tc netem on $d failed"; return 1; }
	done
	client netem --connect $VIP4 --mode mix --sessions "$NETEM_SESSIONS" \
		--size 16384 --pause 0.01 --timeout 20 --connect-timeout 15 \
		--server-connect-timeout 15 \
		--expect-pasv $VIP4 --expect-port $RTR4
	rc=$?
	for d in rc rs; do
		r_exec tc qdisc del dev $d root 2>/dev/null
	done
	judge_client $rc
	rc=$?
	NOTE="loss 5%, delay 10ms, reorder 25% 50% on both router links; $NOTE"
	return $rc
}

ALL_CASES="baseline_v4 baseline_v6 pipelined_227 pipelined_port split_227
split_port split_229_v6 split_eprt_v6 logout_227 garbage bounce
unsolicited_227 tls ccc ccc_lftp ccc_proftpd netem"

declare -A DESC=(
	[baseline_v4]="baseline IPv4: PASV and PORT, one line per segment"
	[baseline_v6]="baseline IPv6: EPSV and EPRT, one line per segment"
	[pipelined_227]="pipelined reply: 200 (TYPE) and 227 in one segment"
	[pipelined_port]="pipelined command: TYPE I and PORT in one segment"
	[split_227]="227 cut in two segments at offsets 1-30"
	[split_port]="PORT cut in two segments at offsets 1-30"
	[split_229_v6]="IPv6: 229 cut at 15 offsets (word, text, port)"
	[split_eprt_v6]="IPv6: EPRT cut at 17 offsets (word, address, port)"
	[logout_227]="\`227 Logout.\` to PASV, then a normal PASV"
	[garbage]="garbage line + 2000-byte line (cut in two) before the 227"
	[bounce]="bounce: PORT names a third host (10.10.10.3)"
	[unsolicited_227]="227 without PASV (reply to NOOP) not acted on"
	[tls]="AUTH TLS (234): encrypted control channel"
	[ccc]="scripted AUTH TLS then CCC: clear text again, PASV/PORT tracked"
	[ccc_lftp]="CCC with lftp (ftp:ssl-use-ccc yes): passive, active, TLS 1.2"
	[ccc_proftpd]="CCC with ProFTPD (mod_tls) and lftp: passive TLS 1.3 and 1.2, active"
	[netem]="loss + reordering: $NETEM_SESSIONS sessions, passive and active"
)

declare -A RES NOTES
PASS=0 FAIL=0 SKIP=0

run_column() {
	COLUMN=$1
	COLUMN_ERR=
	say "==== column: $COLUMN ===="
	"column_$COLUMN"
	local c rc t0
	for c in $CASES; do
		if [ -n "$COLUMN_ERR" ]; then
			RES[$COLUMN,$c]=FAIL
			NOTES[$COLUMN,$c]=$COLUMN_ERR
		else
			t0=$(date +%s)
			NOTE=
			"case_$c"
			rc=$?
			case $rc in
			0) RES[$COLUMN,$c]=pass ;;
			2) RES[$COLUMN,$c]=skip ;;
			*) RES[$COLUMN,$c]=FAIL ;;
			esac
			NOTES[$COLUMN,$c]="$NOTE"
			say "[$COLUMN] $c: ${RES[$COLUMN,$c]} ($(($(date +%s) - t0))s) $NOTE"
			if [ "${RES[$COLUMN,$c]}" = FAIL ] && [ "$COLUMN" = portmap ] &&
				[ -n "${CLIENT_LOG:-}" ] && [ -f "$CLIENT_LOG" ]; then
				sed 's/^/    /' "$CLIENT_LOG" | tail -n 40
			fi
		fi
		if [ "$COLUMN" = portmap ]; then
			case ${RES[$COLUMN,$c]} in
			pass) PASS=$((PASS + 1)) ;;
			skip) SKIP=$((SKIP + 1)) ;;
			*) FAIL=$((FAIL + 1)) ;;
			esac
		fi
	done
	[ -n "$COLUMN_ERR" ] && say "[$COLUMN] column not run: $COLUMN_ERR"
	[ "$COLUMN" = stock ] && STOCK_ERR=$COLUMN_ERR
	if [ "$COLUMN" = portmap ] && [ -z "$COLUMN_ERR" ]; then
		say "[$COLUMN] counters after the column:"
		r_exec "$PORTMAPCTL" stats 2>&1 | sed 's/^/    /'
	fi
	topo_down
}

write_table() {
	local out=$1 c
	{
		echo "| case | stock \`nf_conntrack_ftp\` | ftp-portmap |"
		echo "| --- | --- | --- |"
		for c in $CASES; do
			printf '| %s | %s | %s |\n' "${DESC[$c]}" \
				"$(cell stock "$c")" "$(cell portmap "$c")"
		done
		echo
		echo "Measured $(date -u +%Y-%m-%d) on Linux $(uname -r), by tests/netns/stream.sh."
	} >"$out"
}

cell() {
	local r=${RES[$1,$2]:-not run} n=${NOTES[$1,$2]:-}
	n=${n//|/\\|}
	if [ -n "$n" ]; then
		printf '%s: %s' "$r" "$n"
	else
		printf '%s' "$r"
	fi
}

# ---- main ----------------------------------------------------------------
CASES=${STREAM_CASES:-$ALL_CASES}
CASES=$(echo "$CASES" | tr -s ' \n' '  ')
for c in $CASES; do
	declare -F "case_$c" >/dev/null || { say "unknown case $c"; exit 2; }
done
make_cert || say "openssl missing: TLS cases skipped"

case ${STREAM_ONLY:-} in
"") run_column stock; run_column portmap ;;
stock) run_column stock ;;
portmap) run_column portmap ;;
*) say "STREAM_ONLY must be stock or portmap"; exit 2 ;;
esac

table=${STREAM_TABLE:-$repo/build/stream-table.md}
if ! { mkdir -p "$(dirname "$table")" && : >"$table"; } 2>/dev/null; then
	say "cannot write $table; using /tmp/stream-table.md"
	table=/tmp/stream-table.md
fi
write_table "$table"
echo
cat "$table"
echo
say "table written to $table"

if [ "${STREAM_ONLY:-}" != portmap ] && [ -n "$STOCK_ERR" ]; then
	say "the stock column did not run: $STOCK_ERR"
	FAIL=$((FAIL + 1))
fi
if [ "${STREAM_ONLY:-}" = stock ]; then
	# Only the measurement was asked for: count the stock column.
	PASS=0 FAIL=0 SKIP=0
	for c in $CASES; do
		case ${RES[stock,$c]} in
		pass) PASS=$((PASS + 1)) ;;
		skip) SKIP=$((SKIP + 1)) ;;
		*) FAIL=$((FAIL + 1)) ;;
		esac
	done
	say "stock column only: counts below are the stock helper's (informational)"
	echo "stream-stock: $PASS passed, $FAIL failed, $SKIP skipped"
	exit 0
fi
echo "stream: $PASS passed, $FAIL failed, $SKIP skipped"
[ "$FAIL" = 0 ]
