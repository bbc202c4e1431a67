#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Control-stream robustness suite (issue 4): the scripted FTP peer
# (tests/ftppeer/ftppeer.py) through a NAT router in network namespaces,
# every case run twice in the same test: once with the kernel's stock FTP
# helper (nf_conntrack_ftp, attached by an nft "ct helper" object) and
# once with ftp-portmap (./ftp_portmap.ko + "portmapctl map add PORT").
#
#   tests/netns/stream.sh            (as root; in the VM:
#                                     tests/run-netns.sh stream)
#
# A netns suite on tests/netns/lib.sh: a test per case; each column gets
# fresh namespaces, topology topo_inside_client:
#
#   client 10.10.10.2/24      router                       server
#          fd00:10::2/64  --  r1 10.10.10.1  r0 203.0.113.1  --  203.0.113.2/24
#   (.3: "third host"         fd00:10::1     2001:db8:1::1      2001:db8:1::2/64
#    address for the bounce)
#
#   The client dials the public VIP 203.0.113.10 / 2001:db8:1::10, port
#   2121, DNATed to the server; the client's traffic leaves r0 masqueraded
#   as 203.0.113.1 / 2001:db8:1::1 (lib.sh's router_nft).  So a 227 names
#   the server's own address and must reach the client rewritten to the
#   VIP, and a PORT names the client's private address and must reach the
#   server rewritten to the router's.  The router forwards nothing new but
#   the control connection (new TCP connections are reset): every data
#   connection works only if the helper made it RELATED.  No offloads:
#   one write is one segment.
#
# A test's verdict judges ftp-portmap only; the stock column is measured
# and recorded (it must have run).  The comparison table goes to
# $STREAM_TABLE (default build/stream-table.md, /tmp if that is not
# writable) and to stdout.
#
# Environment (and TEST_FILTER, FPM_VERBOSE, FPM_KEEP as in lib.sh; in the
# test VM only FPM_* and TEST_FILTER reach the guest unless named in
# FPM_VM_ENV, e.g. FPM_VM_ENV="STREAM_CASES STREAM_ONLY"):
#   STREAM_TABLE        where the markdown table goes
#   STREAM_ONLY         "stock" or "portmap": run one column only (with
#                       "stock" that column is judged, as a measurement)
#   STREAM_CASES        space-separated case names to run (default: all)
#   STREAM_JOBS         parallel sessions for the offset sweeps (default 10)
#   STREAM_NETEM_SESSIONS  sessions of the loss run (default 50)
#   STREAM_LOGDIR       copy every session log there at the end
#   FPM_KO (or FPM_MODULE), PORTMAPCTL  paths of the module and the tool
#   FPM_PROFTPD_DIR     the unpacked ProFTPD of the ccc_proftpd case
#                       (default build/proftpd, made on the host by
#                       scripts/fetch-proftpd.sh; missing: that case FAILS)

# Test functions are called indirectly (by name), hence SC2317.
# shellcheck disable=SC2317
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ -z "${PORTMAPCTL:-}" ] && [ ! -x "$here/../../tools/portmapctl/portmapctl" ]; then
	PORTMAPCTL=$(command -v portmapctl)
fi
# shellcheck source=tests/netns/lib.sh
. "$here/lib.sh"

[ -n "${FPM_KO:-}" ] && FPM_MODULE=$FPM_KO
PEER=$REPO/tests/ftppeer/ftppeer.py
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
PROFTPD_DIR=${FPM_PROFTPD_DIR:-$REPO/build/proftpd}
JOBS=${STREAM_JOBS:-10}
NETEM_SESSIONS=${STREAM_NETEM_SESSIONS:-50}
CTRL_PORT=2121
VIP4=203.0.113.10 VIP6=2001:db8:1::10
SUITE_TOOLS="tc $PY"
TEST_TIMEOUT=${FPM_TEST_TIMEOUT:-1800}

ALL_CASES="baseline_v4 baseline_v6 pipelined_227 pipelined_port split_227
split_port split_229_v6 split_eprt_v6 logout_227 garbage bounce
unsolicited_227 tls ccc ccc_lftp ccc_proftpd netem jumbo shared_pages"
CASES=$(echo "${STREAM_CASES:-$ALL_CASES}" | tr -s ' \n' '  ')
for c in $CASES; do
	case " ${ALL_CASES//$'\n'/ } " in
	*" $c "*) ;;
	*) echo "stream: unknown case $c" >&2; exit 2 ;;
	esac
done
[ -n "${STREAM_CASES:-}" ] && TEST_FILTER="^test_($(echo $CASES | tr ' ' '|'))\$"

case ${STREAM_ONLY:-} in
"") COLUMNS="stock portmap" JUDGED=portmap ;;
stock) COLUMNS=stock JUDGED=stock SUITE_MODULE=optional ;;
portmap) COLUMNS=portmap JUDGED=portmap ;;
*) echo "stream: STREAM_ONLY must be stock or portmap" >&2; exit 2 ;;
esac

# ---- a column: topology, router, helper, server ---------------------------
SERVER_PID=
PROFTPD_PID=
COLUMN=
COLUMN_ERR=

# The router (lib.sh's router_nft): DNAT of the VIP's control port,
# masquerade out of r0, forward only established/related and the DNATed
# control connection, reset other new TCP connections; in the stock
# column a "ct helper" object of type "ftp" on the control port, in the
# portmap column no helper object (the mapping table attaches ours).
stream_router() {
	local FPM_HELPER=none
	local rules=("dnat4 $VIP4 $CTRL_PORT $ESRV4 $CTRL_PORT"
		"dnat6 $VIP6 $CTRL_PORT $ESRV6 $CTRL_PORT"
		"fwdrule meta l4proto tcp ct state new reject with tcp reset")
	if [ "$1" = stock ]; then
		FPM_HELPER=ftp
		rules+=("helper $CTRL_PORT")
	fi
	router_nft "$NS_RTR" r0 "${rules[@]}"
}

# column_up stock|portmap: set the column up; on failure COLUMN_ERR says
# why.
column_up() {
	local err
	COLUMN=$1 COLUMN_ERR=
	case $COLUMN in
	stock)
		stock_helper_load || { COLUMN_ERR="stock helper nf_conntrack_ftp not available"; return 1; }
		;;
	portmap)
		module_loaded || { COLUMN_ERR="ftp_portmap not loaded: ${FPM_SETUP_ERROR:-}"; return 1; }
		;;
	esac
	tls_cert	# made by suite_setup; without openssl TLS cases skip
	topo_inside_client || { COLUMN_ERR="topology setup failed"; return 1; }
	offload_off "$NS_CLI" c0
	offload_off "$NS_SRV" s0
	offload_off "$NS_RTR" r0 r1
	stream_router "$COLUMN" ||
		{ COLUMN_ERR="nft ruleset of the $COLUMN column refused"; return 1; }
	if [ "$COLUMN" = portmap ] &&
		! err=$(pmctl "$NS_RTR" map add $CTRL_PORT 2>&1); then
		COLUMN_ERR="portmapctl map add $CTRL_PORT failed: $err"
		return 1
	fi
	start_server || { COLUMN_ERR="server did not start"; return 1; }
}

start_server() {
	local log=$T_DIR/server-$COLUMN.log n0
	# the log is appended to: a restart must wait for a new "listening
	# on" line, not find the first start's
	n0=$(lines_matching "$log" 'listening on')
	nsx_bg "$NS_SRV" "$log" "$PY" "$PEER" server --listen :: \
		--port $CTRL_PORT --timeout "${SERVER_TIMEOUT:-5}" --connect-timeout 2 \
		--cert "$TLS_CERT" --key "$TLS_KEY"
	SERVER_PID=$BG_PID
	wait_line "$log" 'listening on' 60 "$SERVER_PID" "$n0" && return 0
	info "scripted server did not start:"
	sed 's/^/      | /' "$log"
	return 1
}

stop_server() {
	bg_stop "$SERVER_PID"
	SERVER_PID=
	stop_proftpd
}

# Counters of ftp-portmap (the portmap column only) around a case:
# mark NAME... before; after, moved NAME (must have grown: false and
# "(did not move)" in the note otherwise) or note_counter NAME (only
# noted).
mark() {
	[ "$COLUMN" = portmap ] && counters_mark "$NS_RTR" "$@"
	return 0
}

moved() {
	[ "$COLUMN" = portmap ] || return 0
	if counter_moved "$NS_RTR" "$1"; then
		NOTE="$NOTE; $COUNTER_NOTE"
		return 0
	fi
	NOTE="$NOTE; $COUNTER_NOTE (did not move)"
	return 1
}

note_counter() {
	[ "$COLUMN" = portmap ] || return 0
	counter_moved "$NS_RTR" "$1" 0
	NOTE="$NOTE; $COUNTER_NOTE"
}

# ---- cases ---------------------------------------------------------------
# have_cert: the TLS cases need the test certificate (openssl); without,
# NOTE says they are skipped.
have_cert() {
	[ -s "$TLS_CERT" ] && return 0
	NOTE="skipped: no openssl for a test certificate"
	return 1
}

# Each case function runs in the current column, sets NOTE, returns 0/1.
NOTE=
CLIENT_LOG=

client() {
	# client NAME ARGS... : run the scripted client in the client ns
	# (CLIENT_NS: another one)
	local name=$1
	shift
	CLIENT_LOG=$T_DIR/$COLUMN-$name.log
	nsx "${CLIENT_NS:-$NS_CLI}" "$PY" "$PEER" client --port $CTRL_PORT "$@" \
		>"$CLIENT_LOG" 2>&1
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
		--expect-pasv $VIP4 --expect-port $PUB4 --timeout 3 --connect-timeout 2
	judge_client $?
}

case_baseline_v6() {
	client baseline-v6 --connect $VIP6 --mode mix --sessions 2 \
		--expect-port $PUB6 --timeout 3 --connect-timeout 2
	judge_client $?
}

case_pipelined_227() {
	client pipelined-227 --connect $VIP4 --mode pasv --pipeline-reply \
		--expect-pasv $VIP4 --timeout 3 --connect-timeout 2
	judge_client $?
}

case_pipelined_port() {
	client pipelined-port --connect $VIP4 --mode port --pipeline-cmd \
		--expect-port $PUB4 --timeout 3 --connect-timeout 2
	judge_client $?
}

# The split cases wait up to 10 s for each reply, not 3: a segment that
# ends inside an address (or a rewrite waiting for the peer's ACK of an
# earlier one) is held back until the sender retransmits it, and each hold
# costs the sender one retransmission timeout, more under emulation
# (docs/stream-tracking.md, "Cut lines, holds, holes, retransmissions").
case_split_227() {
	client split-227 --connect $VIP4 --mode pasv --split-reply 1-30 \
		--expect-pasv $VIP4 --jobs "$JOBS" --timeout 10 --connect-timeout 2
	judge_client $?
}

case_split_port() {
	client split-port --connect $VIP4 --mode port --split-cmd 1-30 \
		--expect-port $PUB4 --jobs "$JOBS" --timeout 10 --connect-timeout 2
	judge_client $?
}

case_split_229_v6() {
	# 229 Entering Extended Passive Mode (|||PORT|): 39 is the port's
	# first byte.
	client split-229-v6 --connect $VIP6 --mode epsv \
		--split-reply 1,2,3,4,5,10,20,30,36,38,39,40,41,42,43 \
		--jobs "$JOBS" --timeout 10 --connect-timeout 2
	judge_client $?
}

case_split_eprt_v6() {
	# EPRT |2|fd00:10::2|PORT|: 19 is the port's first byte.
	client split-eprt-v6 --connect $VIP6 --mode eprt \
		--split-cmd 1,2,3,4,5,6,8,10,12,14,16,18,19,20,21,22,23 \
		--expect-port $PUB6 --jobs "$JOBS" --timeout 10 --connect-timeout 2
	judge_client $?
}

case_logout_227() {
	client logout-227 --connect $VIP4 --mode pasv --logout-227 \
		--expect-pasv $VIP4 --timeout 3 --connect-timeout 2
	judge_client $?
}

case_garbage() {
	local rc
	mark line_toolong
	client garbage --connect $VIP4 --mode pasv --garbage \
		--expect-pasv $VIP4 --timeout 3 --connect-timeout 2
	rc=$?
	judge_client $rc
	rc=$?
	note_counter line_toolong
	return $rc
}

case_bounce() {
	local rc
	mark addr_mismatch
	client bounce --connect $VIP4 --mode port --bounce $ICLI_ALT4 \
		--timeout 3 --connect-timeout 2 --probe-timeout 2
	rc=$?
	judge_client $rc
	rc=$?
	[ $rc = 0 ] && NOTE="$NOTE; $(sed -n 's/.*\(no connection reached[^;(]*\).*/\1/p' "$CLIENT_LOG" | head -n1)"
	moved addr_mismatch || rc=1
	return $rc
}

case_unsolicited_227() {
	local rc
	mark unpaired
	client unsolicited-227 --connect $VIP4 --mode pasv --unsolicited \
		--expect-pasv $VIP4 --timeout 3 --connect-timeout 2 \
		--probe-timeout 2
	rc=$?
	judge_client $rc
	rc=$?
	moved unpaired || rc=1
	return $rc
}

case_tls() {
	have_cert || return 2
	local rc
	mark tls
	client tls --connect $VIP4 --tls --timeout 3 --connect-timeout 2
	rc=$?
	judge_client $rc
	rc=$?
	[ $rc = 0 ] && NOTE="$NOTE; AUTH TLS, encrypted NOOPs, QUIT: no stall"
	moved tls || rc=1
	return $rc
}

case_ccc() {
	have_cert || return 2
	local rc
	mark ccc
	# TLS 1.2 and 1.3 both: the close_notify of CCC is a plain alert
	# record in 1.2 and an encrypted one in 1.3.
	client ccc --connect $VIP4 --ccc --mode mix --sessions 2 \
		--expect-pasv $VIP4 --expect-port $PUB4 --timeout 3 --connect-timeout 2
	rc=$?
	CLIENT_LOG_13=$CLIENT_LOG
	client ccc-tls12 --connect $VIP4 --ccc --tls12 --mode pasv \
		--expect-pasv $VIP4 --timeout 3 --connect-timeout 2
	local rc12=$?
	CLIENT_LOG=$CLIENT_LOG_13
	judge_client $rc
	rc=$?
	local n13=$NOTE
	CLIENT_LOG=$T_DIR/$COLUMN-ccc-tls12.log
	judge_client $rc12
	rc12=$?
	NOTE="TLS1.3: $n13 | TLS1.2: $NOTE"
	[ $rc12 = 0 ] || rc=1
	moved ccc || rc=1
	return $rc
}

# lftp_ccc_run OUT LOG PASSIVE SEED EXTRA: one lftp session (lib.sh's
# lftp_run: no fallbacks) with ftp:ssl-use-ccc yes (AUTH TLS, login and CCC
# inside TLS, then the data command in clear text through the NAT)
# fetching data-SEED-8192.bin into OUT; the dialogue goes to LOG, which
# becomes CLIENT_LOG.  Says why and returns 1 when lftp failed or wrote
# nothing.
lftp_ccc_run() {
	local out=$1 passive=$3 seed=$4 extra=${5:-} rc
	CLIENT_LOG=$2
	rm -f "$out"
	lftp_run "$NS_CLI" "$CLIENT_LOG" "set ftp:ssl-allow yes;
set ftp:ssl-force yes; set ftp:ssl-auth TLS; set ftp:ssl-use-ccc yes;
set ftp:ssl-protect-data no; set ftp:ssl-protect-list no;
set ssl:verify-certificate no; set ftp:passive-mode $passive;
set ftp:prefer-epsv no; set net:timeout 8; $extra" \
		"ftp://$VIP4:$CTRL_PORT" "get data-$seed-8192.bin -o $out"
	rc=$?
	if [ $rc != 0 ] || [ ! -f "$out" ]; then
		echo "lftp exit $rc: $(cat "$CLIENT_LOG" "$CLIENT_LOG.out" |
			grep -E '(<---|---- |get:)' | tail -n 2 | tr '\n' ' ')"
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
	local out=$T_DIR/lftp-$COLUMN-$2.bin
	lftp_ccc_run "$out" "$T_DIR/$COLUMN-ccc-lftp-$2.log" "$@" || return 1
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

# ccc_three_runs GET NAME PASSIVE_SEED TLS12_SEED ACTIVE_SEED PORT_LOG
#   PORT_RE WHO: the three lftp CCC sessions of a CCC case, through GET
#   (lftp_get or proftpd_get; their dialogues in $T_DIR/COLUMN-NAME-SEED.log):
#   passive over TLS 1.3 (the 227 lftp saw must name the VIP), passive over
#   TLS 1.2, active (PORT_LOG, WHO's log, must gain a line matching PORT_RE:
#   a PORT naming the router).  Sets NOTE and CLIENT_LOG (the first failed
#   session's dialogue); returns 1 when any session failed.
# _ccc_one LABEL SEED PASSIVE EXTRA OK-NOTE BAD-NOTE CHECK...: one session
# of ccc_three_runs (whose variables it uses): lftp, then CHECK on what it
# left; LABEL and the outcome are added to NOTE.
_ccc_one() {
	local label=$1 seed=$2 passive=$3 extra=$4 ok=$5 bad=$6 msg
	shift 6
	if ! msg=$("$get" "$passive" "$seed" "$extra"); then
		NOTE+="${NOTE:+; }$label: $msg"
		bad_log=${bad_log:-$log-$seed.log}
		return 1
	fi
	if "$@"; then
		NOTE+="${NOTE:+; }$label: $ok"
		return 0
	fi
	NOTE+="${NOTE:+; }$label: $bad"
	return 1
}

ccc_three_runs() {
	local get=$1 name=$2 sp=$3 s12=$4 sa=$5 plog=$6 pre=$7 who=$8
	local rc=0 n0 log=$T_DIR/$COLUMN-$2 bad_log=
	NOTE=
	_ccc_one "passive TLS 1.3" "$sp" on "" "227 rewritten to $VIP4, data intact" \
		"data intact but the 227 lftp saw is not $VIP4" \
		grep -q "<--- 227 .*(${VIP4//./,}," "$log-$sp.log" || rc=1
	_ccc_one "passive TLS 1.2" "$s12" on 'set ssl:priority "NORMAL:-VERS-TLS1.3";' \
		"data intact" "" true || rc=1
	# (evaluated after the session: one more PORT naming the router)
	_port_seen() { [ "$(lines_matching "$plog" "$pre")" -gt "$n0" ]; }
	n0=$(lines_matching "$plog" "$pre")
	_ccc_one active "$sa" off "" "PORT rewritten to $PUB4, data intact" \
		"data intact but $who did not see $PUB4" _port_seen || rc=1
	CLIENT_LOG=${bad_log:-$log-$sp.log}
	return $rc
}

case_ccc_lftp() {
	if ! command -v lftp >/dev/null; then
		NOTE="skipped: lftp not installed"
		return 2
	fi
	have_cert || return 2
	local rc=0
	mark ccc
	ccc_three_runs lftp_get ccc-lftp 101 103 102 \
		"$T_DIR/server-$COLUMN.log" "PORT names $PUB4 " "the server" || rc=1
	moved ccc || rc=1
	return $rc
}

# ---- CCC with a real server: ProFTPD + mod_tls ----------------------------
# Debian's proftpd conflicts with vsftpd, so it is not installed: the case
# runs the private copy that scripts/fetch-proftpd.sh unpacked on the host
# (apt-get download + dpkg -x) into $PROFTPD_DIR.  It replaces the scripted
# server on port 2121 for the duration of the case, in the server
# namespace, in the foreground (-n), with a config, scoreboard, pid file
# and logs of its own under $T_DIR.  Anonymous login (run as nobody/nogroup)
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
	local d=$T_DIR/proftpd-$COLUMN seed
	rm -rf "$d"
	mkdir -p "$d/anon" || return 1
	# the anonymous root is resolved as nobody: every directory above it
	# must be searchable (the harness makes them 0755)
	chmod 755 "$d"
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
	DefaultAddress		$ESRV4
	UseIPv6			on
	User			nobody
	Group			nogroup
	Umask			022
	MaxInstances		30
	PidFile			$d/proftpd.pid
	ScoreboardFile		$d/proftpd.scoreboard
	SystemLog		$T_DIR/proftpd-$COLUMN.log
	LogFormat		cmds "%h %r -> %s"
	ExtendedLog		$T_DIR/proftpd-cmds-$COLUMN.log ALL cmds
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
	TLSLog			$T_DIR/proftpd-tls-$COLUMN.log
	TLSProtocol		TLSv1.2 TLSv1.3
	TLSRequired		auth
	TLSRSACertificateFile	$TLS_CERT
	TLSRSACertificateKeyFile $TLS_KEY
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
	# $1: config
	stop_proftpd
	nsx_bg "$NS_SRV" "$T_DIR/proftpd-$COLUMN.log" \
		"$PROFTPD_DIR/usr/sbin/proftpd" -n -c "$1"
	PROFTPD_PID=$BG_PID
	wait_listen "$NS_SRV" "$CTRL_PORT" 60 "$PROFTPD_PID" && return 0
	PROFTPD_PID=
	return 1
}

stop_proftpd() {
	bg_stop "$PROFTPD_PID"
	PROFTPD_PID=
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
	nsx "$NS_SRV" tc qdisc add dev s0 root handle 1: prio bands 3 \
		priomap 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 2>/dev/null &&
	nsx "$NS_SRV" tc qdisc add dev s0 parent 1:3 handle 30: netem rate 8kbit \
		2>/dev/null &&
	nsx "$NS_SRV" tc filter add dev s0 parent 1: protocol ip prio 1 u32 \
		match ip sport $CTRL_PORT 0xffff flowid 1:3 2>/dev/null && return 0
	nsx "$NS_SRV" tc qdisc del dev s0 root 2>/dev/null
	return 1
}

# One lftp session against ProFTPD: AUTH TLS, login, PBSZ/PROT C, CCC,
# then TYPE/PASV (or PORT)/RETR in clear text through the NAT.
# $1: passive-mode on|off  $2: seed  $3: extra lftp settings
# (runs in a subshell: sets nothing for the caller)
proftpd_get() {
	local out=$T_DIR/proftpd-$COLUMN-$2.bin
	lftp_ccc_run "$out" "$T_DIR/$COLUMN-ccc-proftpd-$2.log" "$@" || return 1
	if ! cmp -s "$out" "$T_DIR/proftpd-$COLUMN/anon/data-$2-8192.bin"; then
		echo "data mismatch"
		return 1
	fi
	if ! grep -q -- '<--- 200 Clearing control channel protection' "$CLIENT_LOG"; then
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
	have_cert || return 2
	local conf
	if ! conf=$(proftpd_setup); then
		NOTE="ProFTPD config/files could not be written under $T_DIR"
		return 1
	fi
	stop_server
	if ! start_proftpd "$conf"; then
		NOTE="ProFTPD did not start: $(tail -n 2 "$T_DIR/proftpd-$COLUMN.log" | tr '\n' ' ')"
		return 1
	fi
	local rc=0 paced=1
	pace_server_control || paced=0
	mark tls ccc
	ccc_three_runs proftpd_get ccc-proftpd 201 202 203 \
		"$T_DIR/proftpd-cmds-$COLUMN.log" "PORT ${PUB4//./,}," ProFTPD || rc=1
	if [ $paced = 1 ]; then
		nsx "$NS_SRV" tc qdisc del dev s0 root 2>/dev/null
	else
		NOTE="$NOTE; NOT paced (no sch_prio/sch_netem/cls_u32): lftp/ProFTPD CCC race possible"
	fi
	stop_proftpd
	moved tls || rc=1
	moved ccc || rc=1
	return $rc
}

netem_available() {
	nsx "$NS_RTR" tc qdisc add dev r1 root netem delay 1ms 2>/dev/null || return 1
	nsx "$NS_RTR" tc qdisc del dev r1 root 2>/dev/null
	return 0
}

# Segments longer than the helper's 2 KiB per-CPU scratch buffer (read in
# place from their page fragment, or linearized when they span two; the
# faults suite's test_copy_path forces the latter): MTU 9000 on every
# link, offloads still off, and each way one write of about 5 KB whose
# line of interest comes last: the
# client's NOOP with a 5000-byte argument, TYPE I and the PASV/PORT
# (EPSV/EPRT), the server's 5000-byte multi-line reply to TYPE with the
# 227/229 (or the 200 to PORT/EPRT).  Counters in the router's forward
# chain show that segments of more than 4 KB crossed it both ways.
JUMBO=5000
case_jumbo() {
	local l dir rc=0 up down
	if ! l=$(link_mtu 9000 "$NS_CLI c0" "$NS_RTR r1" "$NS_RTR r0" \
		"$NS_SRV s0" 2>&1); then
		NOTE=$l
		return 1
	fi
	for dir in sport dport; do
		nsx "$NS_RTR" nft insert rule inet fpm forward \
			meta length gt 4096 tcp $dir $CTRL_PORT counter || {
			NOTE="counter rule refused"
			return 1
		}
	done
	client jumbo-v4 --connect $VIP4 --mode mix --sessions 2 --jumbo $JUMBO \
		--expect-pasv $VIP4 --expect-port $PUB4 --timeout 5 --connect-timeout 2
	judge_client $? || rc=1
	l=$NOTE
	client jumbo-v6 --connect $VIP6 --mode mix --sessions 2 --jumbo $JUMBO \
		--expect-port $PUB6 --timeout 5 --connect-timeout 2
	judge_client $? || rc=1
	NOTE="v4: $l; v6: $NOTE"
	l=$(nsx "$NS_RTR" nft list chain inet fpm forward)
	down=$(sed -n "s/.*tcp sport $CTRL_PORT counter packets \([0-9]*\).*/\1/p" <<<"$l")
	up=$(sed -n "s/.*tcp dport $CTRL_PORT counter packets \([0-9]*\).*/\1/p" <<<"$l")
	NOTE="$NOTE; segments over 4 KB: ${up:-?} to the server, ${down:-?} to the client"
	# one each way per session
	if [ "${up:-0}" -lt 4 ] || [ "${down:-0}" -lt 4 ]; then
		NOTE="$NOTE (expected at least 4 each way)"
		rc=1
	fi
	return $rc
}

# Payloads whose pages the helper must not read in place: both peers'
# clear-text writes leave with sendfile() from a memfd (page-cache pages,
# which TCP marks shared: the file could be rewritten while a reader looks)
# and with MSG_ZEROCOPY (the sender's own pinned pages; forwarding over
# veth copies those before the router sees them, so a client on the router
# itself sends them too: the helper meets them at the router's output).
# Plain send()s first, for comparison: those are read in place.  In the
# portmap column two kprobes on fpm_payload_in_place() count the payloads
# and the ones copied: none of the plain ones, at least one per command of
# the sendfile sessions and of the router's own zerocopy client.  A
# kernel without kprobe events (the minimal debug-6.1 build) runs the
# sessions only, and the note says the copies were not counted.

# shared_counted TEXT MIN_CALLS MIN_COPIED [MAX_COPIED]: TEXT with the
# probe's counts since payload_probe_on in SHARED_NOTE; 1 when they are
# outside the bounds.
shared_counted() {
	local max=${4:-} want="$3 or more"
	[ -n "$max" ] && want="$3 to $max"
	payload_probe_read
	SHARED_NOTE="$1, $PROBE_COPIED of $PROBE_CALLS payloads copied"
	if [ "$PROBE_CALLS" -lt "$2" ] || [ "$PROBE_COPIED" -lt "$3" ] ||
		{ [ -n "$max" ] && [ "$PROBE_COPIED" -gt "$max" ]; }; then
		SHARED_NOTE="$SHARED_NOTE (expected $2 or more payloads, $want copied)"
		return 1
	fi
	return 0
}

case_shared_pages() {
	local rc=0 mode l probe=0 notes=() prc
	if [ "$COLUMN" = portmap ]; then
		payload_probe_on
		prc=$?
		case $prc in
		0) probe=1 ;;
		2) notes+=("copies not counted: $PROBE_ERR") ;;
		*) NOTE=$PROBE_ERR; return 1 ;;
		esac
	fi
	for mode in send sendfile zerocopy; do
		[ $probe = 1 ] && payload_probe_on	# counts from 0
		client shared-$mode-v4 --connect $VIP4 --mode mix --sessions 2 \
			--send $mode --expect-pasv $VIP4 --expect-port $PUB4 \
			--timeout 3 --connect-timeout 2
		judge_client $? || rc=1
		l="$mode: v4 $NOTE"
		client shared-$mode-v6 --connect $VIP6 --mode mix --sessions 2 \
			--send $mode --expect-port $PUB6 --timeout 3 --connect-timeout 2
		judge_client $? || rc=1
		l="$l, v6 $NOTE"
		if [ $probe = 1 ]; then
			case $mode in
			send) shared_counted "$l" 20 0 0 || rc=1 ;;
			# 4 sessions of at least 8 commands after login
			sendfile) shared_counted "$l" 0 32 || rc=1 ;;
			*) shared_counted "$l" 0 0 ;;
			esac
			l=$SHARED_NOTE
		fi
		notes+=("$l")
	done
	# The router's own client, to the server's own address (no NAT):
	# MSG_ZEROCOPY pages reach the helper at the router's output.
	[ $probe = 1 ] && payload_probe_on
	CLIENT_NS=$NS_RTR client shared-local --connect $ESRV4 --mode mix \
		--sessions 2 --send zerocopy --expect-pasv $ESRV4 \
		--expect-port $PUB4 --timeout 3 --connect-timeout 2
	judge_client $? || rc=1
	l="zerocopy from the router: $NOTE"
	if [ $probe = 1 ]; then
		# its 7 commands a session (the server's replies arrive
		# over veth, copied there)
		shared_counted "$l" 0 14 || rc=1
		l=$SHARED_NOTE
	fi
	notes+=("$l")
	payload_probe_off
	NOTE=$(printf '%s; ' "${notes[@]}")
	NOTE=${NOTE%; }
	return $rc
}

case_netem() {
	modprobe sch_netem >/dev/null 2>&1
	if ! netem_available; then
		NOTE="skipped: sch_netem not available in this kernel"
		return 2
	fi
	local d rc
	# The server allows what the client allows (20 s) per read: at 5 %
	# loss a lost SYN-ACK leaves the server's first RTO at the 3 s
	# fallback, and one more loss of the 220 or the USER passes the
	# default 5 s (a CI run: server "stall ... waiting for a command",
	# client "closed by peer while waiting for reply to USER" after 6 s).
	stop_server
	SERVER_TIMEOUT=20 start_server || { NOTE="server did not restart"; return 1; }
	for d in r1 r0; do
		nsx "$NS_RTR" tc qdisc add dev $d root netem loss 5% delay 10ms \
			reorder 25% 50% || { NOTE="tc netem on $d failed"; return 1; }
	done
	client netem --connect $VIP4 --mode mix --sessions "$NETEM_SESSIONS" \
		--size 16384 --pause 0.01 --timeout 20 --connect-timeout 15 \
		--server-connect-timeout 15 \
		--expect-pasv $VIP4 --expect-port $PUB4
	rc=$?
	for d in r1 r0; do
		nsx "$NS_RTR" tc qdisc del dev $d root 2>/dev/null
	done
	judge_client $rc
	rc=$?
	NOTE="$NETEM_SESSIONS sessions, loss 5%, delay 10ms, reorder 25% 50% on both router links; $NOTE"
	return $rc
}


# ---- the tests ------------------------------------------------------------
# stream_case CASE: case_CASE in every column, each in fresh namespaces;
# the judged column's result is the test's check, the other column's is
# recorded (it must have run).  Each cell of the table goes to
# $FPM_STATE/cells/COLUMN.CASE.
stream_case() {
	local case=$1 col rc res t0
	mkdir -p "$FPM_STATE/cells"
	for col in $COLUMNS; do
		NOTE="" CLIENT_LOG=""
		t0=$SECONDS
		if column_up "$col"; then
			"case_$case"
			rc=$?
		else
			rc=1 NOTE=$COLUMN_ERR
		fi
		case $rc in
		0) res=pass ;;
		2) res=skip ;;
		*) res=FAIL ;;
		esac
		printf '%s\t%s\n' "$res" "$NOTE" >"$FPM_STATE/cells/$col.$case"
		info "[$col] $case: $res ($((SECONDS - t0))s) $NOTE"
		if [ "$col" = "$JUDGED" ]; then
			case $res in
			pass) pass "[$col] $case" ;;
			skip) skip "[$col] $case: $NOTE" ;;
			*)
				fail "[$col] $case: $NOTE"
				[ -n "$CLIENT_LOG" ] && show_log "$CLIENT_LOG" "$CLIENT_LOG" 40
				# the server's side of sessions it ended (its
				# per-read bound, a peer's reset)
				grep -s 'session ended' "$T_DIR/server-$col.log" \
					>"$T_DIR/server-ended.txt"
				show_log "server: sessions ended early" \
					"$T_DIR/server-ended.txt" 20
				if [ "$col" = portmap ] && [ -z "$COLUMN_ERR" ]; then
					pmctl "$NS_RTR" stats >"$T_DIR/stats.txt" 2>&1
					show_log "portmapctl stats" "$T_DIR/stats.txt"
				fi
				;;
			esac
		elif [ -n "$COLUMN_ERR" ]; then
			fail "the $col column did not run: $COLUMN_ERR"
		fi
		[ -n "${STREAM_LOGDIR:-}" ] && mkdir -p "$FPM_STATE/logs" &&
			cp -f "$T_DIR"/*.log "$FPM_STATE/logs/" 2>/dev/null
		stop_server
		topo_reset
	done
}

# baseline IPv4: PASV and PORT, one line per segment
test_baseline_v4() { stream_case baseline_v4; }
# baseline IPv6: EPSV and EPRT, one line per segment
test_baseline_v6() { stream_case baseline_v6; }
# pipelined reply: 200 (TYPE) and 227 in one segment
test_pipelined_227() { stream_case pipelined_227; }
# pipelined command: TYPE I and PORT in one segment
test_pipelined_port() { stream_case pipelined_port; }
# 227 cut in two segments at offsets 1-30
test_split_227() { stream_case split_227; }
# PORT cut in two segments at offsets 1-30
test_split_port() { stream_case split_port; }
# IPv6: 229 cut at 15 offsets (word, text, port)
test_split_229_v6() { stream_case split_229_v6; }
# IPv6: EPRT cut at 17 offsets (word, address, port)
test_split_eprt_v6() { stream_case split_eprt_v6; }
# `227 Logout.` to PASV, then a normal PASV
test_logout_227() { stream_case logout_227; }
# garbage line + 2000-byte line (cut in two) before the 227
test_garbage() { stream_case garbage; }
# bounce: PORT names a third host (10.10.10.3)
test_bounce() { stream_case bounce; }
# 227 without PASV (reply to NOOP) not acted on
test_unsolicited_227() { stream_case unsolicited_227; }
# AUTH TLS (234): encrypted control channel
test_tls() { stream_case tls; }
# scripted AUTH TLS then CCC: clear text again, PASV/PORT tracked
test_ccc() { stream_case ccc; }
# CCC with lftp (ftp:ssl-use-ccc yes): passive, active, TLS 1.2
test_ccc_lftp() { stream_case ccc_lftp; }
# CCC with ProFTPD (mod_tls) and lftp: passive TLS 1.3 and 1.2, active
test_ccc_proftpd() { stream_case ccc_proftpd; }
# loss + reordering on both router links: many sessions, passive and active
test_netem() { stream_case netem; }
# MTU 9000: 5 KB segments each way, the line of interest after 5000 bytes
test_jumbo() { stream_case jumbo; }
# sendfile() and MSG_ZEROCOPY control streams (pages copied, not read in place)
test_shared_pages() { stream_case shared_pages; }

# ---- the suite ------------------------------------------------------------
suite_setup() {
	tls_cert || echo "# openssl missing: TLS cases skipped"
	return 0
}

cell() {
	local f=$FPM_STATE/cells/$1.$2 r n
	if [ ! -f "$f" ]; then
		printf 'not run'
		return
	fi
	IFS=$'\t' read -r r n <"$f"
	n=${n//|/\\|}
	if [ -n "$n" ]; then printf '%s: %s' "$r" "$n"; else printf '%s' "$r"; fi
}

# The comparison table of the cases that ran, to STREAM_TABLE and stdout.
suite_finish() {
	local table=${STREAM_TABLE:-$REPO/build/stream-table.md} c ran=""
	for c in $CASES; do
		ls "$FPM_STATE"/cells/*."$c" >/dev/null 2>&1 && ran+=" $c"
	done
	[ -n "$ran" ] || return 0
	if ! { mkdir -p "$(dirname "$table")" && : >"$table"; } 2>/dev/null; then
		echo "# cannot write $table; using /tmp/stream-table.md"
		table=/tmp/stream-table.md
	fi
	{
		echo "| case | stock \`nf_conntrack_ftp\` | ftp-portmap |"
		echo "| --- | --- | --- |"
		for c in $ran; do
			printf '| %s | %s | %s |\n' "$(_test_title "test_$c")" \
				"$(cell stock "$c")" "$(cell portmap "$c")"
		done
		echo
		echo "Measured $(date -u +%Y-%m-%d) on Linux $(uname -r), by tests/netns/stream.sh."
	} >"$table"
	echo
	cat "$table"
	echo
	echo "# table written to $table"
	if [ -n "${STREAM_LOGDIR:-}" ] && mkdir -p "$STREAM_LOGDIR" &&
		cp -f "$FPM_STATE"/logs/*.log "$STREAM_LOGDIR"/ 2>/dev/null; then
		echo "# logs copied to $STREAM_LOGDIR"
	fi
}

run_suite "$@"
