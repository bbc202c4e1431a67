#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Kernel-path and memory benchmarks of ftp-portmap against the kernel's
# stock FTP helper, measured in the same run.  Runs as root on a kernel
# that can load modules: in the test VM (tests/bench/kbench.sh starts it
# there through tests/vm/run.sh), or directly.
#
#   tests/bench/kbench-guest.sh [kernel] [memory]
#
# Topology (fresh namespaces for every measurement, nothing leaves them):
# the netns harness's (tests/netns/lib.sh) topo_basic and router_nft,
#
#   client 203.0.113.2/24 -- r0 203.0.113.1 [router] r1 10.10.10.1 -- 10.10.10.10/24 server
#
#   The router DNATs 203.0.113.1:2121 to 10.10.10.10:2121 (no
#   masquerade), its forward chain (policy drop) lets only
#   established/related traffic, ICMP and new DNATed control connections
#   through.  No offloads: one write is one segment.  Modes:
#     none     no helper (baseline)
#     stock    nf_conntrack_ftp + nf_nat_ftp, attached by an nft "ct helper"
#              object of type "ftp" on port 2121
#     portmap  ./ftp_portmap.ko, "portmapctl map add 2121"
#              (max-expect raised to 16: the replay opens no data
#              connections, and a corpus session has up to 8 data commands)
#
# kernel: build/bench/bench_ftp replays the project's session corpus
#   (BENCH_CORPUS, default build/corpus: tests/corpus/gen-corpus.py, 400
#   sessions, 7606 commands; BENCH_CORPUS=../shared/corpus replays the
#   shared one instead; a run takes the first BENCH_SESSIONS
#   sessions, one TCP connection each, BENCH_JOBS at a time) against a
#   server answering with the aligned replies of session-server.txt (227
#   with its own address).  Lock-step: one command per segment, wait for
#   the reply; after a 227/229 the client, after PORT/EPRT and a transfer
#   command the server, sends the data connection's SYN (answered by a
#   reset), which consumes the helper's expectation.  BENCH_ROUNDS rounds,
#   the mode order rotated every round; per run: lines/s and the VM's CPU
#   ticks from /proc/stat.  Then one run per helper (BENCH_TRACE_SESSIONS
#   sessions) with the function_graph tracer on the helper function only
#   (fpm_help and fpm_attach_hook; help of nf_conntrack_ftp), for the
#   kernel time of the helper per call and per control line.  Then
#   BENCH_PIPE_ROUNDS runs per mode pipelined, BENCH_PIPE_DEPTH commands
#   per write.
# push: the whole-segment workload (issue 11): per connection the client
#   writes all of the client corpus and the server all of the server
#   corpus, in BENCH_PUSH_CHUNK-byte writes (1400), neither waiting for the
#   other (many lines a segment; the commands run far ahead of their
#   replies, so few 227s pair with a PASV: this measures finding, pairing
#   and parsing every line).  BENCH_PUSH_CONNS connections (40) a run,
#   BENCH_JOBS at a time, BENCH_PUSH_ROUNDS rounds, mode order rotated,
#   modes BENCH_PUSH_MODES; a run with no result in BENCH_PUSH_TIMEOUT
#   (300 s) prints the sockets and counters and fails the bench.  Then
#   (BENCH_TRACE) one push run of BENCH_TRACE_PUSH_CONNS connections (10)
#   per helper, BENCH_TRACE_ROUNDS times, under function_graph as in the
#   lock-step part: the helper's time per MB moved.  The traced modes
#   (BENCH_TRACE_MODES) are stock, portmap and portmap-nft: ftp-portmap
#   attached as the stock helper is, by an nft ct helper object (of type
#   "ftp-portmap"), with no mapping, so its attach hook is not registered;
#   their order is rotated every round, and the report gives the ratios
#   to stock per round as well as of the medians.
# memory: BENCH_MEM_CONNS idle logged-in control connections per mode;
#   /proc/slabinfo and /proc/meminfo before and after, per connection.
#
# Environment: BENCH_ROUNDS (5), BENCH_SESSIONS (100), BENCH_JOBS (4),
# BENCH_TRACE (1), BENCH_TRACE_SESSIONS (100), BENCH_TRACE_ROUNDS (2),
# BENCH_TRACE_MODES (stock portmap portmap-nft), BENCH_PIPE_ROUNDS (1),
# BENCH_PIPE_DEPTH (8), BENCH_PUSH_ROUNDS (3), BENCH_PUSH_CONNS (40),
# BENCH_PUSH_CHUNK (1400), BENCH_PUSH_MODES (none stock portmap), BENCH_MEM_CONNS (2000), BENCH_MEM_ROUNDS (1),
# BENCH_OUT (directory for the result tables; default: a temporary one,
# printed), BENCH_CORPUS, FPM_KO, PORTMAPCTL, BENCH_FTP (the replay binary),
# BENCH_SIZEOF (file with "name size" lines from the host build,
# optional), BENCH_HOST_LOAD and BENCH_ACCEL (for the environment line).
#
# Output: progress, then a table per part; the markdown results are
# printed between "=== BEGIN RESULTS <part> ===" and "=== END RESULTS ==="
# lines.  Exit status is non-zero only when something could not run.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=tests/netns/lib.sh
. "$repo/tests/netns/lib.sh"
CORPUS=${BENCH_CORPUS:-$repo/build/corpus}
FPM_KO=${FPM_KO:-$FPM_MODULE}
FPM_MODULE=$FPM_KO
BENCH_FTP=${BENCH_FTP:-$repo/build/bench/bench_ftp}
ROUNDS=${BENCH_ROUNDS:-5}
JOBS=${BENCH_JOBS:-4}
SESSIONS=${BENCH_SESSIONS:-100}
TRACE_SESSIONS=${BENCH_TRACE_SESSIONS:-100}
TRACE_ROUNDS=${BENCH_TRACE_ROUNDS:-2}
PIPE_ROUNDS=${BENCH_PIPE_ROUNDS:-1}
PIPE_DEPTH=${BENCH_PIPE_DEPTH:-8}
PUSH_ROUNDS=${BENCH_PUSH_ROUNDS:-3}
PUSH_CONNS=${BENCH_PUSH_CONNS:-40}
PUSH_CHUNK=${BENCH_PUSH_CHUNK:-1400}
PUSH_MODES=${BENCH_PUSH_MODES:-none stock portmap}
TRACE=${BENCH_TRACE:-1}
TRACE_MODES=${BENCH_TRACE_MODES:-stock portmap portmap-nft}
TRACE_PUSH_CONNS=${BENCH_TRACE_PUSH_CONNS:-10}
MEM_CONNS=${BENCH_MEM_CONNS:-2000}
MEM_ROUNDS=${BENCH_MEM_ROUNDS:-1}
PORT=2121
MODES="none stock portmap"

PUB=$PUB4 SRV=$SRV4

parts=${*:-kernel memory}
SERVER_PID="" HOLD_PID=""
T=/sys/kernel/tracing

say() { echo "bench: $*"; }
die() { echo "bench: FAILED: $*" >&2; exit 1; }

# ---- checks ----------------------------------------------------------------
[ "$(id -u)" = 0 ] || die "must run as root (in the VM: tests/bench/kbench.sh)"
for t in ip nft modprobe insmod rmmod awk sort nsenter; do
	command -v "$t" >/dev/null || die "$t missing"
done
[ -r "$FPM_KO" ] || die "$FPM_KO missing (run make)"
[ -x "$PORTMAPCTL" ] || die "$PORTMAPCTL missing (run make)"
[ -x "$BENCH_FTP" ] || die "$BENCH_FTP missing (make -C tests/bench bench_ftp)"
for f in session-client.txt session-server.txt; do
	[ -r "$CORPUS/$f" ] || die "$CORPUS/$f missing (make -C tests/bench corpus)"
done
harness_init bench || die "cannot make a state directory"
WORK=$T_DIR
OUT=${BENCH_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/fpm-bench-out.XXXXXX")}
mkdir -p "$OUT"
CLIENT_TXT=$CORPUS/session-client.txt SERVER_TXT=$CORPUS/session-server.txt
# the corpus, relative to the repository when it is in it
corpus_name() { case "$CORPUS" in "$repo"/*) echo "${CORPUS#"$repo"/}" ;; *) echo "$CORPUS" ;; esac; }
say "corpus: $(corpus_name)"
if lsmod | grep -q '^ftp_portmap '; then
	die "ftp_portmap is already loaded; the benchmark loads and unloads it"
fi
# The stock helper is unloaded after use only if this script loaded it.
STOCK_PRELOADED=0
lsmod | grep -q '^nf_conntrack_ftp ' && STOCK_PRELOADED=1

# ---- topology -------------------------------------------------------------
stop_procs() {
	bg_stop $HOLD_PID $SERVER_PID
	HOLD_PID="" SERVER_PID=""
}

topo_down() {
	stop_procs
	topo_reset
}

# Run by the harness on exit (before it deletes the namespaces).
harness_cleanup() {
	stop_procs
	[ -d "$T" ] && { echo 0 >"$T/tracing_on"; echo nop >"$T/current_tracer"; } 2>/dev/null
	topo_reset
	unload portmap
	unload stock
	[ -z "${BENCH_OUT:-}" ] && say "results kept in $OUT"
}

topo_up() {
	topo_down
	topo_basic || return 1
	# One write, one segment: no offload may merge or split segments.
	offload_off "$NS_CLI" c0
	offload_off "$NS_SRV" s0
	offload_off "$NS_RTR" r0 r1
	# neighbours resolved before anything is measured
	settle "$NS_CLI" "$PUB"
	settle "$NS_SRV" "$IN_GW4"
}

# $1: mode.  The same table in every mode but for the helper lines.
router_rules() {
	local FPM_HELPER=none rules=(nomasq "dnat4 $PUB $PORT $SRV $PORT")
	case "$1" in
	stock) FPM_HELPER=ftp rules+=("helper $PORT") ;;
	portmap-nft) FPM_HELPER=ftp-portmap rules+=("helper $PORT") ;;
	esac
	router_nft "$NS_RTR" r0 "${rules[@]}"
}

load() {
	case "$1" in
	stock)
		stock_helper_load || die "cannot load nf_conntrack_ftp/nf_nat_ftp"
		;;
	portmap | portmap-nft)
		module_load || die "cannot load $FPM_KO: $FPM_SETUP_ERROR"
		;;
	esac
}

# Unload, retrying while namespaces being torn down still hold it.
unload() {
	case "$1" in
	stock)
		[ "$STOCK_PRELOADED" = 1 ] && return 0
		module_unload nf_nat_ftp nf_conntrack_ftp ||
			say "warning: could not unload nf_nat_ftp nf_conntrack_ftp"
		;;
	portmap | portmap-nft)
		module_unload ftp_portmap || say "warning: could not unload ftp_portmap"
		;;
	esac
	return 0
}

# $1: mode, $2: "push" for the push server.  Namespaces, rules, helper,
# server; ready to measure.
setup() {
	topo_up || die "cannot create namespaces"
	load "$1"	# before the rules: an nft ct helper object needs its helper
	router_rules "$1" || die "cannot load the router's rules"
	if [ "$1" = portmap ]; then
		pmctl "$NS_RTR" map add $PORT >/dev/null ||
			die "portmapctl map add $PORT"
	fi
	if [ "$1" = portmap ] || [ "$1" = portmap-nft ]; then
		pmctl "$NS_RTR" config set max-expect 16 >/dev/null ||
			die "portmapctl config set max-expect 16"
	fi
	: >"$WORK/server.log"
	if [ "${2:-}" = push ]; then
		nsx_bg "$NS_SRV" "$WORK/server.log" "$BENCH_FTP" push-server \
			$PORT "$SERVER_TXT" --chunk "$PUSH_CHUNK"
	else
		nsx_bg "$NS_SRV" "$WORK/server.log" "$BENCH_FTP" server $PORT \
			"$CLIENT_TXT" "$SERVER_TXT"
	fi
	SERVER_PID=$BG_PID
	wait_line "$WORK/server.log" listening 60 "$SERVER_PID" && return 0
	cat "$WORK/server.log" >&2
	die "replay server did not start"
}

teardown() {
	local mode=$1
	topo_down
	unload "$mode"
}

# "key=value ..." -> value of $2
kv() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# /proc/stat "cpu" line: user nice system idle iowait irq softirq
cpu_snap() { awk '$1 == "cpu" { print $2 + $3, $4, $7, $8, $5 + $6 }' /proc/stat; }

replay() {
	nsx "$NS_CLI" "$BENCH_FTP" replay $PUB $PORT "$CLIENT_TXT" "$@"
}

# ---- statistics ------------------------------------------------------------
# median and min..max of the numbers on stdin, "-" when there are none
med() { sort -g | awk '{ v[NR] = $1 } END { if (!NR) { print "-"; exit }
	m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
	printf "%.6g\n", m }'; }
spread() { sort -g | awk '{ v[NR] = $1 } END { if (!NR) { print "-"; exit }
	m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
	printf "%.3g..%.3g (%+.1f%%/%+.1f%%)\n", v[1], v[NR],
		m ? (v[1] - m) * 100 / m : 0, m ? (v[NR] - m) * 100 / m : 0 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.3f\n", a / b }'; }
one() { awk '{ if ($1 == "-") print; else printf "%.1f\n", $1 }'; }

env_line() {
	local cpus model
	cpus=$(nproc)
	model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
	echo "kernel $(uname -r), $cpus CPUs ($model)${FPM_IN_VM:+, test VM (tests/vm/run.sh)}${BENCH_ACCEL:+, $BENCH_ACCEL}${BENCH_HOST_LOAD:+, host load average at start $BENCH_HOST_LOAD}"
}

# ---- kernel part -------------------------------------------------------------
# "usr_ms=.. sys_ms=.. sirq_ms=.. idle_ms=.." between two cpu_snap outputs
# (user, system, irq+softirq, idle ticks, USER_HZ)
cpu_delta() {
	local hz
	hz=$(getconf CLK_TCK)
	set -- $1 $2
	echo "usr_ms=$(( ($6 - $1) * 1000 / hz )) sys_ms=$(( ($7 - $2) * 1000 / hz ))" \
		"sirq_ms=$(( ($8 - $3) * 1000 / hz )) idle_ms=$(( ($9 - $4) * 1000 / hz ))"
}

# $1 mode, $2 a label: after a ftp-portmap run, its counters, for the report
pm_record() {
	[ "$1" = portmap ] || [ "$1" = portmap-nft ] || return 0
	pmctl "$NS_RTR" stats 2>&1 | tr '\n' ' ' |
		sed "s/  */ /g; s/^/ $1 ${2:-} portmapctl stats: /; s/\$/\\n/" >>"$WORK/pmstats"
}

# $1 round, then the modes: the modes rotated by round - 1
rotation() {
	local r=$1 i m n order=""
	shift
	n=$#
	for i in $(seq 0 $((n - 1))); do
		eval "m=\${$(( (i + r - 1) % n + 1 ))}"
		order="$order $m"
	done
	echo "$order"
}

# $1 mode $2 label; more args to replay.  Appends to $WORK/runs.
measure() {
	local mode=$1 label=$2 res c0 c1
	shift 2
	setup "$mode"
	replay --sessions 8 --jobs 2 >/dev/null 2>&1	# warm-up
	c0=$(cpu_snap)
	res=$(replay --jobs "$JOBS" --sessions "$SESSIONS" "$@")
	c1=$(cpu_snap)
	if [ -z "$res" ]; then
		teardown "$mode"
		die "replay produced no result ($mode, $label)"
	fi
	local cpu
	cpu=$(cpu_delta "$c0" "$c1")
	echo "$label $mode $res $cpu round=${ROUND:-0}" >>"$WORK/runs"
	printf '  %-8s %-8s %s\n' "$label" "$mode" \
		"$(kv "$res" lines_per_s) lines/s, $(kv "$res" seconds) s, 227 rewritten $(kv "$res" r227_public)/$(kv "$res" r227), passive data SYNs $(kv "$res" pasv_data), errors $(kv "$res" errors), $cpu"
	pm_record "$mode"
	teardown "$mode"
}

# Helper function time with function_graph, one run per helper: $1 the
# helper, $2 the workload: lockstep (the replay; figures per control
# line) or push (the whole-segment push, BENCH_TRACE_PUSH_CONNS
# connections; figures per MB moved, both ways).
trace_run() {
	local mode=$1 kind=${2:-lockstep} round=${3:-1} filt res unit
	case "$mode" in
	stock) filt="help:mod:nf_conntrack_ftp" ;;
	portmap | portmap-nft) filt="fpm_help fpm_attach_hook" ;;
	esac
	if [ "$kind" = push ]; then
		setup "$mode" push
	else
		setup "$mode"
		replay --sessions 8 --jobs 2 >/dev/null 2>&1
	fi
	echo 0 >"$T/tracing_on"
	echo nop >"$T/current_tracer"
	echo 32768 >"$T/buffer_size_kb"
	: >"$T/trace"
	if ! echo "$filt" >"$T/set_ftrace_filter" 2>/dev/null; then
		say "warning: cannot trace $filt"
		teardown "$mode"
		return 0
	fi
	echo function_graph >"$T/current_tracer"
	echo 1 >"$T/tracing_on"
	if [ "$kind" = push ]; then
		res=$(nsx "$NS_CLI" timeout "${BENCH_PUSH_TIMEOUT:-300}" \
			"$BENCH_FTP" push $PUB $PORT "$CLIENT_TXT" --jobs "$JOBS" \
			--conns "$TRACE_PUSH_CONNS" --chunk "$PUSH_CHUNK")
		unit=$(($(kv "$res" bytes_in) + $(kv "$res" bytes_out)))
		unit=$(awk -v b="$unit" 'BEGIN { print b / 1e6 }')
	else
		res=$(replay --jobs "$JOBS" --sessions "$TRACE_SESSIONS")
		unit=$(kv "$res" lines)
	fi
	echo 0 >"$T/tracing_on"
	local over
	over=$(cat "$T"/per_cpu/cpu*/stats 2>/dev/null | awk '/^overrun:/ { s += $2 } END { print s + 0 }')
	# leaf lines: " 1)   2.345 us    |  fpm_help [ftp_portmap]();"
	awk -v mode="$mode" -v kind="$kind" -v unit="$unit" -v over="$over" -v round="$round" '
		/ us +\|/ {
			d = ""; f = ""
			for (i = 1; i <= NF; i++)
				if ($i == "us") { d = $(i - 1); break }
			for (; i <= NF; i++)
				if ($i ~ /\(\);$/ || $i ~ /^[a-z_]+$/ && $(i + 1) ~ /^\[/) { f = $i; break }
			sub(/\(\);$/, "", f)
			if (d == "" || f == "") next
			n[f]++; s[f] += d
		}
		END {
			for (f in n)
				printf "trace %s %s calls=%d total_us=%.0f ns_per_call=%.0f %s=%.3f overrun=%d kind=%s round=%d\n",
					mode, f, n[f], s[f], s[f] * 1000 / n[f],
					kind == "push" ? "us_per_mb" : "us_per_line",
					unit ? s[f] / unit : 0, over, kind, round
		}' "$T/trace" >"$WORK/trace.1"
	echo nop >"$T/current_tracer"
	: >"$T/set_ftrace_filter"
	: >"$T/trace"
	echo 1408 >"$T/buffer_size_kb"
	sed 's/^/  /' "$WORK/trace.1"
	cat "$WORK/trace.1" >>"$WORK/trace"
	pm_record "$mode" "trace-$kind"
	teardown "$mode"
}

# TRACE_ROUNDS trace_run()s per traced mode (TRACE_MODES) on workload $1,
# the order rotated every round; $2 names it in the progress output.
trace_rounds() {
	local r m
	T=$(tracefs_dir) || T=/sys/kernel/tracing
	if ! [ -w "$T/current_tracer" ] ||
		! grep -q function_graph "$T/available_tracers"; then
		say "warning: no function_graph tracer; $2 not measured"
		return 0
	fi
	say "$2 (function_graph, $TRACE_ROUNDS run(s) per helper: $TRACE_MODES)"
	for r in $(seq "$TRACE_ROUNDS"); do
		# shellcheck disable=SC2086 # a list of modes
		for m in $(rotation "$r" $TRACE_MODES); do
			trace_run "$m" "$1" "$r"
		done
	done
}

# $1 mode: one push run (see "push" above).  Appends to $WORK/runs.
measure_push() {
	local mode=$1 res c0 c1 cpu
	setup "$mode" push
	c0=$(cpu_snap)
	res=$(nsx "$NS_CLI" timeout "${BENCH_PUSH_TIMEOUT:-300}" "$BENCH_FTP" push \
		$PUB $PORT "$CLIENT_TXT" \
		--jobs "$JOBS" --conns "$PUSH_CONNS" --chunk "$PUSH_CHUNK")
	c1=$(cpu_snap)
	if [ -z "$res" ]; then
		# what the stalled connections look like, for the report
		say "push ($mode): no result within ${BENCH_PUSH_TIMEOUT:-300} s; sockets and counters:"
		nsx "$NS_CLI" ss -tino 2>&1 | head -40
		nsx "$NS_SRV" ss -tino 2>&1 | head -40
		[ "$mode" = portmap ] && pmctl "$NS_RTR" stats 2>&1
		nsx "$NS_RTR" nstat -az 2>/dev/null | grep -E 'TcpExt(TCPLoss|TCPTimeouts)|IpExtInNoRoutes|IpOutNoRoutes' 
		dmesg | tail -20
		teardown "$mode"
		die "push produced no result ($mode)"
	fi
	cpu=$(cpu_delta "$c0" "$c1")
	echo "push $mode $res $cpu round=${ROUND:-0}" >>"$WORK/runs"
	printf '  %-8s %-8s %s\n' push "$mode" \
		"$(kv "$res" mb_per_s) MB/s, $(kv "$res" seconds) s, $(kv "$res" bytes_in) bytes in, $(kv "$res" bytes_out) out, errors $(kv "$res" errors), $cpu"
	pm_record "$mode"
	teardown "$mode"
}

kernel_part() {
	local r m order start
	start=$(date +%s)
	: >"$WORK/runs"; : >"$WORK/trace"; : >"$WORK/pmstats"
	say "kernel path: $ROUNDS rounds x ($MODES), lock-step, $SESSIONS sessions per run, $JOBS at a time"
	for r in $(seq "$ROUNDS"); do
		# rotate the order every round
		order=$(rotation "$r" $MODES)
		say "round $r:$order"
		ROUND=$r
		for m in $order; do
			measure "$m" "lockstep"
		done
	done
	[ "$TRACE" = 1 ] && trace_rounds lockstep "helper function time"
	for r in $(seq "$PIPE_ROUNDS"); do
		say "pipelined round $r"
		ROUND=$r
		for m in $MODES; do
			measure "$m" "pipeline" --pipeline "$PIPE_DEPTH"
		done
	done
	for r in $(seq "$PUSH_ROUNDS"); do
		order=$(rotation "$r" $PUSH_MODES)
		say "push round $r:$order"
		ROUND=$r
		for m in $order; do
			measure_push "$m"
		done
	done
	[ "$TRACE" = 1 ] && [ "$PUSH_ROUNDS" -gt 0 ] &&
		trace_rounds push "helper function time on the push workload"
	[ -s "$WORK/pmstats" ] && { say "ftp-portmap counters after each run (runs with the same counters counted together):"; sort "$WORK/pmstats" | uniq -c; }
	kernel_report "$(( $(date +%s) - start ))"
}

# median of field $3 over runs of label $1, mode $2
col() { awk -v l="$1" -v m="$2" -v k="$3" '$1 == l && $2 == m {
	for (i = 3; i <= NF; i++) { split($i, a, "="); if (a[1] == k) print a[2] } }' "$WORK/runs"; }
# kernel CPU (sys + irq/softirq) ms per 1000 lines, per run
kcpu() { awk -v l="$1" -v m="$2" '$1 == l && $2 == m {
	for (i = 3; i <= NF; i++) { split($i, a, "="); v[a[1]] = a[2] }
	if (v["lines"]) print (v["sys_ms"] + v["sirq_ms"]) * 1000 / v["lines"] }' "$WORK/runs"; }
# kernel CPU (sys + irq/softirq) ms per MB moved (both ways), per push run
kcpu_mb() { awk -v m="$1" '$1 == "push" && $2 == m {
	for (i = 3; i <= NF; i++) { split($i, a, "="); v[a[1]] = a[2] }
	b = v["bytes_in"] + v["bytes_out"]
	if (b) print (v["sys_ms"] + v["sirq_ms"]) * 1e6 / b }' "$WORK/runs"; }
# per round: (kernel CPU per MB of $1 - of none) / (of $2 - of none)
push_oratio() { awk -v a="$1" -v b="$2" '$1 == "push" {
	for (i = 3; i <= NF; i++) { split($i, f, "="); v[f[1]] = f[2] }
	x = (v["sys_ms"] + v["sirq_ms"]) * 1e6 / (v["bytes_in"] + v["bytes_out"])
	r = v["round"]; if ($2 == a) A[r] = x; if ($2 == b) B[r] = x
	if ($2 == "none") N[r] = x }
	END { for (r in A) if ((r in B) && (r in N) && B[r] - N[r] > 0)
		printf "%.3f\n", (A[r] - N[r]) / (B[r] - N[r]) }' "$WORK/runs"; }

# per-round ratio of field $4 (or kernel CPU per line: cpu) of mode $2 to mode $3
rratio() { awk -v l="$1" -v a="$2" -v b="$3" -v k="$4" '$1 == l {
	for (i = 3; i <= NF; i++) { split($i, f, "="); v[f[1]] = f[2] }
	x = k == "cpu" ? (v["lines"] ? (v["sys_ms"] + v["sirq_ms"]) / v["lines"] : 0) : v[k]
	if ($2 == a) A[v["round"]] = x; if ($2 == b) B[v["round"]] = x }
	END { for (r in A) if ((r in B) && B[r] > 0) print A[r] / B[r] }' "$WORK/runs"; }
# median of field $3 of the traces of helper $1, function $2, workload $4
# (lockstep unless given)
tr_get() { awk -v m="$1" -v f="$2" -v k="$3" -v w="${4:-lockstep}" '$2 == m && $3 == f {
	x = ""; kd = "lockstep"
	for (i = 4; i <= NF; i++) { split($i, a, "="); if (a[1] == k) x = a[2]; if (a[1] == "kind") kd = a[2] }
	if (kd == w && x != "") print x }' "$WORK/trace" | med; }

# Per-round ratios of the traced figure $4 (workload $3): function $2 of
# mode $1 (optionally plus fpm_attach_hook of the same mode, $5 = hook)
# over stock's help, one per round with both (none: no output).
tr_rratio() { awk -v m="$1" -v f="$2" -v w="$3" -v k="$4" -v hook="${5:-}" '$1 == "trace" {
	x = ""; kd = "lockstep"; r = 1
	for (i = 4; i <= NF; i++) { split($i, a, "="); if (a[1] == k) x = a[2]; if (a[1] == "kind") kd = a[2]; if (a[1] == "round") r = a[2] }
	if (kd != w || x == "") next
	if ($2 == "stock" && $3 == "help") s[r] = x
	else if ($2 == m && $3 == f) p[r] += x
	else if (hook != "" && $2 == m && $3 == "fpm_attach_hook") p[r] += x
	rounds[r] = 1 }
	END { for (r in rounds) if ((r in s) && (r in p) && s[r] > 0) printf "%.3f\n", p[r] / s[r] }' "$WORK/trace"; }

# the helper-time table of workload $1: per-unit field $2, headed $3
trace_table() {
	local w=$1 k=$2 f
	echo "| function | calls | total µs | ns/call | $3 | ring-buffer overruns |"
	echo "|---|---|---|---|---|---|"
	for f in "stock help" "portmap fpm_help" "portmap fpm_attach_hook" \
		"portmap-nft fpm_help"; do
		set -- $f
		[ "$(tr_get "$1" "$2" calls "$w")" != - ] || continue
		printf '| %s | %s | %s | %s | %s | %s |\n' \
			"$(case $1 in
			stock) echo "help [nf_conntrack_ftp]" ;;
			portmap) echo "$2 [ftp_portmap]" ;;
			*) echo "$2 [ftp_portmap], attached by an nft ct helper rule as stock's is" ;;
			esac)" \
			"$(tr_get "$1" "$2" calls "$w")" "$(tr_get "$1" "$2" total_us "$w")" \
			"$(tr_get "$1" "$2" ns_per_call "$w")" "$(tr_get "$1" "$2" "$k" "$w")" \
			"$(tr_get "$1" "$2" overrun "$w")"
	done
}

kernel_report() {
	local secs=$1 m md
	local lps_none lps_stock lps_pm cpu_none cpu_stock cpu_pm
	{
	echo "Environment: $(env_line)."
	echo "Workload: the first $SESSIONS sessions of $(corpus_name)/session-client.txt per run ($(col lockstep none lines | head -n 1) commands), $JOBS sessions at a time, one TCP connection per session, data connections opened (SYN only) after 227/229 and PORT/EPRT; replies from session-server.txt (227 with the server's own address). $ROUNDS lock-step rounds per mode, mode order rotated every round; wall time of the part ${secs}s."
	echo
	echo "| lock-step | lines/s median | spread (min..max, vs median) | sessions/s median | kernel CPU ms / 1000 lines (coarse), median | spread | 227 seen rewritten |"
	echo "|---|---|---|---|---|---|---|"
	for m in $MODES; do
		printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$m" \
			"$(col lockstep $m lines_per_s | med)" \
			"$(col lockstep $m lines_per_s | spread)" \
			"$(col lockstep $m sessions_per_s | med)" \
			"$(kcpu lockstep $m | med | one)" \
			"$(kcpu lockstep $m | spread)" \
			"$(col lockstep $m r227_public | med)/$(col lockstep $m r227 | med)"
	done
	lps_none=$(col lockstep none lines_per_s | med)
	lps_stock=$(col lockstep stock lines_per_s | med)
	lps_pm=$(col lockstep portmap lines_per_s | med)
	cpu_none=$(kcpu lockstep none | med)
	cpu_stock=$(kcpu lockstep stock | med)
	cpu_pm=$(kcpu lockstep portmap | med)
	echo
	echo "Ratios of the medians: lines/s ftp-portmap/stock **$(ratio "$lps_pm" "$lps_stock")**, stock/none $(ratio "$lps_stock" "$lps_none"), ftp-portmap/none $(ratio "$lps_pm" "$lps_none"); kernel CPU per line ftp-portmap/stock **$(ratio "$cpu_pm" "$cpu_stock")**."
	echo
	echo "Per-round ratios (each round's runs follow each other, so slow drifts of the host cancel better): lines/s ftp-portmap/stock median **$(rratio lockstep portmap stock lines_per_s | med)**, spread $(rratio lockstep portmap stock lines_per_s | spread); stock/none $(rratio lockstep stock none lines_per_s | med); kernel CPU per line ftp-portmap/stock median **$(rratio lockstep portmap stock cpu | med)**, spread $(rratio lockstep portmap stock cpu | spread)."
	if [ -s "$WORK/trace" ]; then
		local s_ns p_ns s_ul p_ul a_ns a_ul
		s_ns=$(tr_get stock help ns_per_call); p_ns=$(tr_get portmap fpm_help ns_per_call)
		s_ul=$(tr_get stock help us_per_line); p_ul=$(tr_get portmap fpm_help us_per_line)
		a_ns=$(tr_get portmap fpm_attach_hook ns_per_call); a_ul=$(tr_get portmap fpm_attach_hook us_per_line)
		echo
		echo "Helper function time (function_graph on the helper functions only; $TRACE_ROUNDS lock-step run(s) of $TRACE_SESSIONS sessions per helper, alternating, medians; wall time inside the function including what it calls and the tracer's own entry/exit cost):"
		echo
		trace_table lockstep us_per_line "µs per control line"
		echo
		echo "Ratios: fpm_help/help per call **$(ratio "${p_ns:--}" "${s_ns:--}")**, per control line **$(ratio "${p_ul:--}" "${s_ul:--}")**."
		echo "fpm_attach_hook is ftp-portmap's netfilter hook (PRE_ROUTING and LOCAL_OUT, in every namespace: the client's and server's too, where it returns at once); most of its per-call figure is the tracer's own entry/exit cost, which is also in every per-call figure above. Counting it as part of ftp-portmap's cost anyway, ftp-portmap/stock per control line is at most $(ratio "$(awk -v a="${p_ul:-0}" -v b="${a_ul:-0}" 'BEGIN { print a + b }')" "${s_ul:--}")."
	fi
	if grep -q '^pipeline ' "$WORK/runs"; then
		echo
		echo "Pipelined variant ($PIPE_ROUNDS round(s); $PIPE_DEPTH commands per write, their replies in one write):"
		echo
		echo "| pipelined | lines/s median | kernel CPU ms / 1000 lines | 227 seen rewritten | errors |"
		echo "|---|---|---|---|---|"
		for m in $MODES; do
			printf '| %s | %s | %s | %s | %s |\n' "$m" \
				"$(col pipeline $m lines_per_s | med)" \
				"$(kcpu pipeline $m | med | one)" \
				"$(col pipeline $m r227_public | med)/$(col pipeline $m r227 | med)" \
				"$(col pipeline $m errors | med)"
		done
		echo
		echo "Ratio (medians): lines/s ftp-portmap/stock $(ratio "$(col pipeline portmap lines_per_s | med)" "$(col pipeline stock lines_per_s | med)")."
	fi
	if grep -q '^push ' "$WORK/runs"; then
		local n_mb s_mb p_mb
		n_mb=$(kcpu_mb none | med); s_mb=$(kcpu_mb stock | med); p_mb=$(kcpu_mb portmap | med)
		echo
		echo "Whole-segment push ($PUSH_ROUNDS round(s), mode order rotated; per run $PUSH_CONNS connections, $JOBS at a time, each moving the client corpus one way and the server corpus the other in $PUSH_CHUNK-byte writes, neither end waiting for the other):"
		echo
		echo "| push | MB/s median | spread | kernel CPU ms per MB, median | spread | overhead over none, ms per MB |"
		echo "|---|---|---|---|---|---|"
		for m in $PUSH_MODES; do
			printf '| %s | %s | %s | %s | %s | %s |\n' "$m" \
				"$(col push $m mb_per_s | med)" "$(col push $m mb_per_s | spread)" \
				"$(kcpu_mb $m | med | one)" "$(kcpu_mb $m | spread)" \
				"$(awk -v a="$(kcpu_mb $m | med)" -v b="$n_mb" 'BEGIN { if (a == "-" || b == "-") print "-"; else printf "%.1f\n", a - b }')"
		done
		echo
		echo "Overhead over no helper (kernel CPU per MB, medians), ftp-portmap/stock: **$(awk -v p="$p_mb" -v s="$s_mb" -v n="$n_mb" 'BEGIN { if (p == "-" || s == "-" || n == "-" || s - n <= 0) print "-"; else printf "%.2f\n", (p - n) / (s - n) }')**; per round: $(push_oratio portmap stock | tr '\n' ' ')(the kernel CPU figures are tick-sampled; a round's overheads are differences of three such figures)."
		echo "MB/s ftp-portmap/stock (medians): $(ratio "$(col push portmap mb_per_s | med)" "$(col push stock mb_per_s | med)")."
		if grep -q 'kind=push' "$WORK/trace"; then
			local s_mb2 p_mb2 a_mb2
			s_mb2=$(tr_get stock help us_per_mb push)
			p_mb2=$(tr_get portmap fpm_help us_per_mb push)
			a_mb2=$(tr_get portmap fpm_attach_hook us_per_mb push)
			echo
			echo "Helper function time on the push workload (function_graph on the helper functions only, as above; $TRACE_ROUNDS run(s) of $TRACE_PUSH_CONNS connections per helper, alternating, medians). This is the time the helper adds over no helper, resolved where the tick-sampled CPU figures above are not (it leaves out the conntrack and NAT work every mode does):"
			echo
			trace_table push us_per_mb "µs per MB moved"
			echo
			echo "Helper time per MB, ftp-portmap/stock: fpm_help/help **$(ratio "${p_mb2:--}" "${s_mb2:--}")**; with fpm_attach_hook counted too $(ratio "$(awk -v a="${p_mb2:-0}" -v b="${a_mb2:-0}" 'BEGIN { print a + b }')" "${s_mb2:--}") (issue 11's target: at most 1.0)."
			echo "Per round (each round's runs follow each other; ratio to that round's stock run): fpm_help/help median $(tr_rratio portmap fpm_help push us_per_mb | med), spread $(tr_rratio portmap fpm_help push us_per_mb | spread); with fpm_attach_hook median $(tr_rratio portmap fpm_help push us_per_mb hook | med), spread $(tr_rratio portmap fpm_help push us_per_mb hook | spread)."
			if [ "$(tr_get portmap-nft fpm_help us_per_mb push)" != - ]; then
				echo "ftp-portmap attached the way the stock helper is (an nft \`ct helper\` object of type \"ftp-portmap\", no mapping, so no fpm_attach_hook registered): fpm_help/help **$(ratio "$(tr_get portmap-nft fpm_help us_per_mb push)" "${s_mb2:--}")** (medians); per round median $(tr_rratio portmap-nft fpm_help push us_per_mb | med), spread $(tr_rratio portmap-nft fpm_help push us_per_mb | spread)."
			fi
		fi
	fi
	echo
	echo "Every run (label, mode, replay result, VM CPU ms from /proc/stat):"
	echo
	echo '```'
	cat "$WORK/runs"
	echo '```'
	} >"$OUT/kernel.md"
	echo "=== BEGIN RESULTS kernel ==="
	cat "$OUT/kernel.md"
	echo "=== END RESULTS ==="
}

# ---- memory part -------------------------------------------------------------
# "name active_objs num_objs objsize" per slab cache
slab_snap() { awk 'NR > 2 { print $1, $2, $3, $4 }' /proc/slabinfo; }
# Before a snapshot: page cache and dentries dropped, and every slab cache
# shrunk (per-CPU slabs flushed, empty slabs given back), so that
# active_objs counts the objects in use, not per-CPU free ones.
mem_settle() {
	local f
	sync
	echo 2 >/proc/sys/vm/drop_caches
	for f in /sys/kernel/slab/*/shrink; do
		echo 1 >"$f"
	done 2>/dev/null
	sleep 1
}
mem_snap() { awk '/^(Slab|SUnreclaim|MemAvailable|MemFree):/ { print $1, $2 }' /proc/meminfo; }

mem_run() {
	local mode=$1 r=$2 i held
	setup "$mode"
	# The holder's processes are started (descriptor tables sized) before
	# the first snapshot, and open their connections on SIGUSR1 after it:
	# the difference is the connections, not the processes.
	: >"$WORK/hold.log"
	nsx_bg "$NS_CLI" "$WORK/hold.log" "$BENCH_FTP" hold $PUB $PORT "$MEM_CONNS" --wait
	HOLD_PID=$BG_PID
	if ! wait_line "$WORK/hold.log" '^ready' 60 "$HOLD_PID"; then
		cat "$WORK/hold.log" >&2
		teardown "$mode"
		die "the holder did not start ($mode)"
	fi
	mem_settle
	slab_snap >"$WORK/slab0"
	mem_snap >"$WORK/mem0"
	kill -USR1 "$HOLD_PID"
	wait_line "$WORK/hold.log" '^held ' 600 "$HOLD_PID"
	held=$(sed -n 's/^held //p' "$WORK/hold.log")
	if [ "$held" != "$MEM_CONNS" ]; then
		cat "$WORK/hold.log" >&2
		teardown "$mode"
		die "could not hold $MEM_CONNS connections ($mode)"
	fi
	sleep 2
	mem_settle
	slab_snap >"$WORK/slab1"
	mem_snap >"$WORK/mem1"
	local cts
	cts=$(nsx "$NS_RTR" cat /proc/sys/net/netfilter/nf_conntrack_count 2>/dev/null)
	# per-cache delta of bytes in use (active objects x object size)
	awk -v n="$MEM_CONNS" -v mode="$mode" -v r="$r" '
		FNR == NR { a0[$1] = $2; o0[$1] = $3; next }
		{ d = ($2 - a0[$1]) * $4; dn = ($3 - o0[$1]) * $4
		  if (d != 0 || dn != 0)
			printf "slab %s %s %s objsize=%d active_per_conn=%.1f alloc_per_conn=%.1f objs=%d\n",
				mode, r, $1, $4, d / n, dn / n, $2 - a0[$1] }' \
		"$WORK/slab0" "$WORK/slab1" >>"$WORK/mem"
	awk -v n="$MEM_CONNS" -v mode="$mode" -v r="$r" '
		FNR == NR { v0[$1] = $2; next }
		{ printf "meminfo %s %s %s per_conn=%.1f\n", mode, r, $1, ($2 - v0[$1]) * 1024 / n }' \
		"$WORK/mem0" "$WORK/mem1" >>"$WORK/mem"
	echo "conntrack $mode $r count=${cts:-?}" >>"$WORK/mem"
	say "  $mode: $MEM_CONNS connections held, router conntrack count ${cts:-?}, Slab $(awk -v m="$mode" -v r="$r" '$2 == m && $3 == r && $4 == "Slab:" { sub(/per_conn=/, "", $5); print $5 }' "$WORK/mem") B/conn"
	teardown "$mode"
}

memory_part() {
	local r m start
	start=$(date +%s)
	: >"$WORK/mem"
	[ -r /proc/slabinfo ] || die "/proc/slabinfo not readable"
	say "memory: $MEM_CONNS idle control connections per mode, $MEM_ROUNDS round(s)"
	for r in $(seq "$MEM_ROUNDS"); do
		for m in $MODES; do
			mem_run "$m" "$r"
		done
	done
	memory_report "$(( $(date +%s) - start ))"
}

# median over rounds of a slab cache's per-conn active bytes (0 if absent)
mslab() { awk -v m="$1" -v c="$2" -v R="$MEM_ROUNDS" '$1 == "slab" && $2 == m && $4 == c {
	split($6, a, "="); v[$3] = a[2] } END { for (r = 1; r <= R; r++) print v[r] + 0 }' "$WORK/mem" | med; }
# median over rounds of the sum over caches matching regex $2
mslabre() { awk -v m="$1" -v c="$2" -v R="$MEM_ROUNDS" '$1 == "slab" && $2 == m && $4 ~ c {
	split($6, a, "="); v[$3] += a[2] } END { for (r = 1; r <= R; r++) print v[r] + 0 }' "$WORK/mem" | med; }
minfo() { awk -v m="$1" -v k="$2:" '$1 == "meminfo" && $2 == m && $4 == k { split($5, a, "="); print a[2] }' "$WORK/mem" | med; }
sz() { [ -r "${BENCH_SIZEOF:-}" ] && awk -v k="$1" '$1 == k { print $2 }' "$BENCH_SIZEOF"; }
sub0() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f\n", a - b }'; }

# The conntrack side: what a router keeps per connection (no sockets):
# struct nf_conn, expectations, the conntrack extension block and any
# helper state, i.e. nf_conntrack*, kmalloc-N, kmalloc-cg-N (allocations
# charged to a memory cgroup land there: ftp-portmap's state is charged
# to the namespace's) and any cache of the module's own (ftp_portmap*).
CT_RE='^(nf_conntrack|nf_conntrack_expect|kmalloc-(cg-)?[0-9]+k?|ftp_portmap.*)$'
# The groups the helper cost is shown in (they partition CT_RE).
G_CT='^nf_conntrack(_expect)?$'
G_KM='^kmalloc-[0-9]+k?$'
G_CG='^kmalloc-cg-[0-9]+k?$'
G_FPM='^ftp_portmap'

# Caches of the conntrack side that moved by 1 B/connection or more in
# some mode (version-sorted names).
ct_caches() { awk -v re="$CT_RE" '$1 == "slab" && $4 ~ re { split($6, a, "=")
	if (a[2] >= 1 || a[2] <= -1) print $4 }' "$WORK/mem" | sort -u | sort -V; }

# Per-connection allocations move a cache by about one object per
# connection (or per few); what the rest of the system allocates or frees
# meanwhile (9p requests, page tables, a timer...) moves caches by a few
# to a few dozen objects, which, over 2000 connections, is tens of bytes
# per connection: as much as the stock helper's whole cost.  The helper
# cost therefore counts only caches that moved by at least one object per
# 10 connections (SIG_DIV); the tables show every cache anyway.
SIG_DIV=10
# like mslabre, over the caches that moved by MEM_CONNS/SIG_DIV objects or more
mslabsig() { awk -v m="$1" -v c="$2" -v R="$MEM_ROUNDS" -v min="$((MEM_CONNS / SIG_DIV))" \
	'$1 == "slab" && $2 == m && $4 ~ c { split($6, a, "="); split($8, o, "=")
	if (o[2] >= min || -o[2] >= min) v[$3] += a[2] }
	END { for (r = 1; r <= R; r++) print v[r] + 0 }' "$WORK/mem" | med; }

# Per round: the helper cost of stock and ftp-portmap (significant moves
# of the conntrack side, mode minus none).  "round stock_cost portmap_cost"
cost_rounds() { awk -v re="$CT_RE" -v R="$MEM_ROUNDS" -v min="$((MEM_CONNS / SIG_DIV))" \
	'$1 == "slab" && $4 ~ re { split($6, a, "="); split($8, o, "=")
	if (o[2] >= min || -o[2] >= min) v[$2, $3] += a[2] }
	END { for (r = 1; r <= R; r++)
		print r, v["stock", r] - v["none", r], v["portmap", r] - v["none", r] }' "$WORK/mem"; }

memory_report() {
	local secs=$1 fc bucket m c g
	local ct_n ct_s ct_p all_n all_s all_p cost_s cost_p
	fc=$(sz fpm_conn)
	bucket=$(sz fpm_conn_kmalloc)
	ct_n=$(mslabre none "$CT_RE"); ct_s=$(mslabre stock "$CT_RE"); ct_p=$(mslabre portmap "$CT_RE")
	all_n=$(mslabre none '.'); all_s=$(mslabre stock '.'); all_p=$(mslabre portmap '.')
	cost_s=$(sub0 "$(mslabsig stock "$CT_RE")" "$(mslabsig none "$CT_RE")")
	cost_p=$(sub0 "$(mslabsig portmap "$CT_RE")" "$(mslabsig none "$CT_RE")")
	{
	echo "Environment: $(env_line)."
	echo "Workload: $MEM_CONNS control connections per mode through the router, each greeted and logged in (USER, PASS, TYPE I in one write: no line is ever cut across segments), then idle; per-connection figures are (after - before) / $MEM_CONNS of the bytes in active slab objects (/proc/slabinfo active_objs x objsize), both snapshots after \`echo 2 > drop_caches\` and a shrink of every slab cache; $MEM_ROUNDS round(s), median shown; wall time of the part ${secs}s. Client and server sockets live in the same VM, so \"all slab caches\" includes both ends' TCP state; a router keeps only the conntrack side."
	echo
	echo "| bytes per connection | none | stock | ftp-portmap |"
	echo "|---|---|---|---|"
	for c in $(ct_caches); do
		printf '| %s | %s | %s | %s |\n' "$c" "$(mslab none "$c")" "$(mslab stock "$c")" "$(mslab portmap "$c")"
	done
	printf '| **conntrack side** (nf_conntrack + kmalloc-N + kmalloc-cg-N + ftp_portmap*) | %s | %s | %s |\n' "$ct_n" "$ct_s" "$ct_p"
	printf '| all slab caches (both ends\x27 sockets too) | %s | %s | %s |\n' "$all_n" "$all_s" "$all_p"
	printf '| /proc/meminfo Slab: | %s | %s | %s |\n' \
		"$(minfo none Slab)" "$(minfo stock Slab)" "$(minfo portmap Slab)"
	echo
	echo "Helper cost per helped connection, both helpers in the same run (conntrack side of the mode minus that of \`none\`, bytes; caches that moved by at least one object per $SIG_DIV connections):"
	echo
	echo "| caches | stock | ftp-portmap |"
	echo "|---|---|---|"
	for g in "nf_conntrack, nf_conntrack_expect|$G_CT" "kmalloc-N|$G_KM" \
		"kmalloc-cg-N (memcg-charged)|$G_CG" "ftp_portmap* (the module's own caches)|$G_FPM"; do
		printf '| %s | %s | %s |\n' "${g%%|*}" \
			"$(sub0 "$(mslabsig stock "${g#*|}")" "$(mslabsig none "${g#*|}")")" \
			"$(sub0 "$(mslabsig portmap "${g#*|}")" "$(mslabsig none "${g#*|}")")"
	done
	printf '| **total** | **%s** | **%s** |\n' "$cost_s" "$cost_p"
	printf '| every move of the conntrack side, noise included | %s | %s |\n' \
		"$(sub0 "$ct_s" "$ct_n")" "$(sub0 "$ct_p" "$ct_n")"
	echo
	echo "Helper cost per helped connection: stock **$cost_s B**, ftp-portmap **$cost_p B**; ratio ftp-portmap/stock **$(awk -v p="$cost_p" -v s="$cost_s" 'BEGIN { if (s > 0) printf "%.2f", p / s; else print "-" }')** (median of the per-round ratios: $(cost_rounds | awk '$2 > 0 { print $3 / $2 }' | med); issue 8 asks for at most 2 for a connection that never has a cut line, as these)."
	echo "Ratio of the conntrack side per connection ftp-portmap/stock: **$(ratio "$ct_p" "$ct_s")**; of all slab caches: $(ratio "$all_p" "$all_s") (noise of the socket caches: about ±150 B/connection between runs)."
	if [ -n "$fc" ]; then
		echo
		echo "Sizes (compiled against the module's own headers, \`make -C tests/bench sizeof\`): sizeof(struct fpm_conn) = **$fc B**, kzalloc'ed with __GFP_ACCOUNT when a confirmed connection carries its first payload, from kmalloc-cg-${bucket:-?} (charged to the namespace's memory cgroup; kmalloc-${bucket:-?} where memcg accounting is off); it holds the engine's struct fs_conn = $(sz fs_conn) B (struct fs_dir = $(sz fs_dir) B per direction, with its struct fs_rw = $(sz fs_rw) B); the line buffer (FS_LINES_SIZE bytes: both directions' cut lines and block rewrite texts) is allocated only while a line is cut across segments or a block rewrite is in flight. In the helper extension's data area ftp-portmap keeps struct fpm_help_data = $(sz fpm_help_data) B. The stock helper's state, struct nf_ct_ftp_master = $(sz nf_ct_ftp_master) B, lives in the data area of the helper extension (struct nf_conn_help = $(sz nf_conn_help) B), which either helper gets, with the seqadj extension, in the conntrack's extension block (kmalloc-128 above); struct nf_conn = $(sz nf_conn) B."
	fi
	echo
	echo "Raw deltas (per connection; active = in-use objects, alloc = whole slabs):"
	echo
	echo '```'
	grep -v '^slab .* active_per_conn=-\{0,1\}0.0 alloc_per_conn=-\{0,1\}0.0 objs=-\{0,1\}[0-9]*$' "$WORK/mem"
	echo '```'
	} >"$OUT/memory.md"
	echo "=== BEGIN RESULTS memory ==="
	cat "$OUT/memory.md"
	echo "=== END RESULTS ==="
}

# ---- main ------------------------------------------------------------------
say "$(env_line)"
for part in $parts; do
	case "$part" in
	kernel) kernel_part ;;
	memory) memory_part ;;
	*) die "unknown part $part (kernel, memory)" ;;
	esac
done
exit 0
