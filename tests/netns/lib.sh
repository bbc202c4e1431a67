# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/netns/lib.sh - network-namespace test harness for ftp-portmap.
#
# Sourced by the suites (tests/netns/<suite>.sh).  A suite defines test
# functions named test_*, then calls `run_suite "$@"`.  Every test runs in
# its own child process (the suite script run again with --run-one NAME)
# under a timeout, builds its own namespaces (names unique per run), and is
# torn down afterwards whatever happened: daemons killed, namespaces
# deleted.  A test passes when it made at least one check and none failed.
# The suite ends with the line "N passed, N failed" and exits non-zero if a
# test failed.
#
# Environment:
#   FPM_HELPER        ftp-portmap (default) or ftp: the conntrack helper the
#                     scenarios use.  With "ftp" the kernel's stock helper
#                     stands in, and the mapping table is emulated by nft
#                     "ct helper set" rules (to develop/validate the
#                     scenarios without the module).
#   FPM_MODULE        the module to insmod (default <repo>/ftp_portmap.ko)
#   PORTMAPCTL        the CLI (default <repo>/tools/portmapctl/portmapctl)
#   TEST_FILTER       extended regex: run only the tests whose name matches
#   FPM_TEST_TIMEOUT  seconds per test (default 900: a guard against hangs,
#                     not a speed check; a loaded host under emulation
#                     took over 300 s for cli.sh's big-table test)
#   FPM_KEEP=1        keep the state directory (logs) after the run
#   FPM_VERBOSE=1     show every lftp dialogue and daemon log, not only on
#                     failure

set -u -o pipefail

NETNS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$NETNS_DIR/../.." && pwd)
SUITE=$(basename "$0" .sh)
SUITE_PATH=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")

FPM_HELPER=${FPM_HELPER:-ftp-portmap}
FPM_MODULE=${FPM_MODULE:-$REPO/ftp_portmap.ko}
PORTMAPCTL=${PORTMAPCTL:-$REPO/tools/portmapctl/portmapctl}
TEST_TIMEOUT=${FPM_TEST_TIMEOUT:-900}
# One lftp command may take this long before it counts as hung.
XFER_TIMEOUT=${FPM_XFER_TIMEOUT:-60}

# The lftp settings every transfer uses: no silent fallbacks (passive/active
# switching, PASV address "fixing", retries), short timeouts, so a missing
# rewrite fails fast instead of being papered over.
LFTP_SETTINGS="set cmd:fail-exit yes; set net:max-retries 1;
set net:timeout 5; set net:reconnect-interval-base 1;
set net:reconnect-interval-max 1; set net:persist-retries 0;
set ftp:fix-pasv-address off; set ftp:ignore-pasv-address off;
set ftp:auto-passive-mode off; set ftp:ssl-allow no;
set ftp:waiting-150-timeout 5; set xfer:clobber on;
set xfer:timeout 20; set cache:enable no; set dns:fatal-timeout 5"

# ---------------------------------------------------------------------
# output and counting
# ---------------------------------------------------------------------
# In a test child: T_NAME, T_DIR, T_RES (one line per check) are set.

_say() { printf '%s\n' "$*"; }
info() { _say "    # $*"; }

pass() {
	_say "    ok: $*"
	echo ok >>"$T_RES"
}

fail() {
	_say "    FAIL: $*"
	echo fail >>"$T_RES"
}

# check DESCRIPTION CMD [ARG...]: pass if CMD succeeds.
check() {
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}

# Kernel splats while a test runs: kmsg_mark writes a tag into the kernel
# log (the VM's and the host's only one), check_no_splat [WHAT] fails the
# test when a line logged after it matches SPLAT_RE (the splats
# tests/vm/stage2.sh judges a whole VM job by, and slub_debug's and a
# leaked device reference's), and also when the tag is not there (dmesg
# unreadable, ring buffer overrun): no verdict is not a pass.
SPLAT_RE='BUG[: ]|Oops|WARNING:|general protection|KASAN|UBSAN|refcount_t:'
SPLAT_RE+='|list_(add|del) corruption|Call Trace|possible circular locking'
SPLAT_RE+='|suspicious RCU usage|inconsistent lock state|possible recursive locking'
SPLAT_RE+='|detected stalls|ODEBUG|INFO: task .* blocked|kmemleak: .*(leak|error|disabled)'
SPLAT_RE+='|Poison overwritten|Object already free|unregister_netdevice: waiting'

kmsg_mark() {
	KMSG_TAG="fpm-${0##*/}-$$-$RANDOM: ${T_NAME:-}"
	echo "$KMSG_TAG" >/dev/kmsg 2>/dev/null
}

# The kernel log is read once, into a variable: "dmesg | grep -q" fails
# under pipefail whenever grep finds the tag and exits while dmesg still
# has log to write (SIGPIPE).  The tag's own line, which names the test,
# is not judged.
check_no_splat() {
	local what=${1:-"no kernel splat while the test ran"} log after s
	log=$(dmesg 2>/dev/null) || log=
	if [ -z "${KMSG_TAG:-}" ] || ! grep -qF -- "$KMSG_TAG" <<<"$log"; then
		fail "$what: the test's mark is not in the kernel log (dmesg unreadable or overrun)"
		return
	fi
	after=$(awk -v t="$KMSG_TAG" 'f; index($0, t) { f = 1 }' <<<"$log")
	s=$(grep -E -c -- "$SPLAT_RE" <<<"$after")
	if [ "$s" = 0 ]; then
		pass "$what"
	else
		fail "$what: the kernel log has $s splat line(s):"
		grep -E -m1 -A 30 -- "$SPLAT_RE" <<<"$after" | sed 's/^/      | /'
	fi
}

# check_not DESCRIPTION CMD [ARG...]: pass if CMD fails.
check_not() {
	local what=$1
	shift
	if "$@"; then fail "$what"; else pass "$what"; fi
}

# check_eq DESCRIPTION EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1 ($3)"
	else
		fail "$1: expected '$2', got '$3'"
	fi
}

# check_ge DESCRIPTION MIN ACTUAL (integers)
check_ge() {
	if [[ "$3" =~ ^[0-9]+$ ]] && [ "$3" -ge "$2" ]; then
		pass "$1 ($3 >= $2)"
	else
		fail "$1: expected >= $2, got '$3'"
	fi
}

# skip REASON: the test cannot run here (a missing kernel feature, tool or
# module outside the VM); a test with skips and no other check is reported
# "# SKIP" and counted neither passed nor failed.
skip() {
	_say "    skip: $*"
	echo "skip $*" >>"$T_RES"
}

# capture NS|- CMD [ARG...]: run CMD (in namespace NS, "-": here) and keep
# its exit status, stdout and stderr in RC, OUT and ERR.
capture() {
	local ns=$1
	shift
	if [ "$ns" = - ]; then
		"$@" >"$T_DIR/capture.out" 2>"$T_DIR/capture.err"
	else
		nsx "$ns" "$@" >"$T_DIR/capture.out" 2>"$T_DIR/capture.err"
	fi
	# shellcheck disable=SC2034 # for the caller
	RC=$?
	# shellcheck disable=SC2034
	OUT=$(<"$T_DIR/capture.out")
	# shellcheck disable=SC2034
	ERR=$(<"$T_DIR/capture.err")
	return 0
}

# json_true JQ-ARGS... <<<JSON: the jq filter holds (empty input does not).
json_true() {
	local in
	IFS= read -r -d '' in
	[[ $in =~ [^[:space:]] ]] && jq -e "$@" <<<"$in" >/dev/null 2>&1
}

# check_json DESCRIPTION FILTER JSON: the JSON text satisfies the jq filter.
check_json() {
	if json_true "$2" <<<"$3"; then
		pass "$1"
	else
		fail "$1: '${3:0:300}' fails '$2'"
	fi
}

# must CMD [ARG...]: setup step; on failure the test stops here, failed.
# (Runs in this shell: variables the step sets stay set.)
must() {
	local rc
	"$@" >"$T_DIR/must.out" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		fail "setup step failed (rc $rc): $*"
		sed 's/^/      | /' "$T_DIR/must.out" | tail -n 30
		exit 1
	fi
	return 0
}

# show a log file indented (for failures, or always with FPM_VERBOSE=1)
show_log() {
	local title=$1 file=$2
	[ -s "$file" ] || return 0
	_say "      --- $title"
	sed 's/^/      | /' "$file" | tail -n "${3:-60}"
}

# ---------------------------------------------------------------------
# namespaces
# ---------------------------------------------------------------------
# Names: fpm<suite pid>t<test index>-<role>, e.g. fpm4711t3-rtr.  Every
# namespace made is recorded so that the suite can delete it after the
# test, even when the test was killed.

ns_name() { echo "${FPM_NS_PREFIX}t${T_INDEX}-$1"; }

# ns_add ROLE...: make namespaces (one "ip -batch" for all), loopback up;
# prints their names, one a line.  (Exec counts: under emulation every
# process costs a good fraction of a second, so commands are batched.)
ns_add() {
	local r ns names=() batch=""
	for r in "$@"; do
		ns=$(ns_name "$r")
		echo "$ns" >>"$FPM_STATE/netns.list"
		names+=("$ns")
		batch+="netns add $ns
"
	done
	ip -batch - <<<"$batch" >&2 || return 1
	for ns in "${names[@]}"; do
		ip -n "$ns" link set lo up || return 1
		echo "$ns"
	done
}

# nsx NS CMD...: run CMD in NS's network namespace.  nsenter is cheaper
# than "ip netns exec" (no mount namespace, no /sys remount), which counts
# under emulation; /proc/sys/net follows the network namespace all the same.
nsx() {
	local ns=$1
	shift
	nsenter --net="/run/netns/$ns" "$@"
}

# ipb NS: run the "ip" commands on stdin (one a line) in NS.  The address
# family comes from the addresses; v6 addresses need "nodad" from the caller.
ipb() {
	ip -n "$1" -batch -
}

# link NS_A IF_A NS_B IF_B: a veth pair between two namespaces, both up.
link() {
	printf 'link add %s type veth peer name %s netns %s\nlink set %s up\n' \
		"$2" "$4" "$3" "$2" | ipb "$1" && ip -n "$3" link set "$4" up
}

# addr NS IF ADDR/LEN...: add addresses (v6 without DAD).
addr() {
	local ns=$1 dev=$2 a batch=""
	shift 2
	for a in "$@"; do
		case "$a" in
		*:*) batch+="addr add $a dev $dev nodad
" ;;
		*) batch+="addr add $a dev $dev
" ;;
		esac
	done
	ipb "$ns" <<<"$batch"
}

# route NS GW4 [GW6]: default routes.
route() {
	{
		echo "route add default via $2"
		[ -z "${3:-}" ] || echo "route add default via $3"
	} | ipb "$1"
}

forwarding() {
	nsx "$1" sysctl -q -w net.ipv4.ip_forward=1 \
		net.ipv6.conf.all.forwarding=1 >/dev/null
}

# Public side: RFC 5737/3849 documentation addresses; inside: private.
CLI4=203.0.113.2 CLI6=2001:db8:1::2
PUB4=203.0.113.1 PUB6=2001:db8:1::1
IN_GW4=10.10.10.1 IN_GW6=fd00:10::1
SRV4=10.10.10.10 SRV6=fd00:10::10
SRV2_GW4=10.10.11.1 SRV2_GW6=fd00:11::1
SRV2_4=10.10.11.10 SRV2_6=fd00:11::10
# topo_inside_client: the client inside (and a third inside address), the
# server on the public side.
ICLI4=10.10.10.2 ICLI6=fd00:10::2 ICLI_ALT4=10.10.10.3
ESRV4=203.0.113.2 ESRV6=2001:db8:1::2

# topo_leg HOST_NS HOST_IF RTR_NS RTR_IF HOST4/LEN HOST6/LEN RTR4/LEN
#   RTR6/LEN: a veth pair between a host and a router, the addresses on
#   both ends, the host's default routes via the router's addresses.  "-"
#   for both v6 addresses leaves IPv6 out.
topo_leg() {
	local nh=$1 ih=$2 nr=$3 ir=$4 h4=$5 h6=$6 r4=$7 r6=$8
	link "$nr" "$ir" "$nh" "$ih" || return 1
	{
		echo "addr add $h4 dev $ih"
		[ "$h6" = - ] || echo "addr add $h6 dev $ih nodad"
		echo "route add default via ${r4%/*}"
		[ "$r6" = - ] || echo "route add default via ${r6%/*}"
	} | ipb "$nh" || return 1
	{
		echo "addr add $r4 dev $ir"
		[ "$r6" = - ] || echo "addr add $r6 dev $ir nodad"
	} | ipb "$nr"
}

# topo_basic [srv2]: client -- router -- server (and a second server on
# its own link when asked).  Sets NS_CLI NS_RTR NS_SRV [NS_SRV2].  The
# server side is inside (behind the router's DNAT), the client public.
#
#   cli c0 203.0.113.2 2001:db8:1::2
#       |
#   rtr r0 203.0.113.1 2001:db8:1::1
#   rtr r1 10.10.10.1  fd00:10::1      rtr r2 10.10.11.1 fd00:11::1
#       |                                  |
#   srv s0 10.10.10.10 fd00:10::10     srv2 s0 10.10.11.10 fd00:11::10
topo_basic() {
	local names roles=(cli rtr srv)
	[ "${1:-}" = srv2 ] && roles+=(srv2)
	names=$(ns_add "${roles[@]}") || return 1
	{ read -r NS_CLI; read -r NS_RTR; read -r NS_SRV; read -r NS_SRV2; } <<<"$names"
	topo_leg "$NS_CLI" c0 "$NS_RTR" r0 "$CLI4/24" "$CLI6/64" \
		"$PUB4/24" "$PUB6/64" || return 1
	topo_leg "$NS_SRV" s0 "$NS_RTR" r1 "$SRV4/24" "$SRV6/64" \
		"$IN_GW4/24" "$IN_GW6/64" || return 1
	if [ "${1:-}" = srv2 ]; then
		topo_leg "$NS_SRV2" s0 "$NS_RTR" r2 "$SRV2_4/24" "$SRV2_6/64" \
			"$SRV2_GW4/24" "$SRV2_GW6/64" || return 1
	fi
	forwarding "$NS_RTR"
}

# topo_inside_client: the other way round - the client inside, behind a
# masquerading router, the server on the public side.  Sets NS_CLI NS_RTR
# NS_SRV.
#
#   cli c0 10.10.10.2 (+ 10.10.10.3) fd00:10::2
#       |
#   rtr r1 10.10.10.1  fd00:10::1
#   rtr r0 203.0.113.1 2001:db8:1::1
#       |
#   srv s0 203.0.113.2 2001:db8:1::2
topo_inside_client() {
	local names
	names=$(ns_add cli rtr srv) || return 1
	{ read -r NS_CLI; read -r NS_RTR; read -r NS_SRV; } <<<"$names"
	topo_leg "$NS_CLI" c0 "$NS_RTR" r1 "$ICLI4/24" "$ICLI6/64" \
		"$IN_GW4/24" "$IN_GW6/64" || return 1
	addr "$NS_CLI" c0 "$ICLI_ALT4/24" || return 1
	topo_leg "$NS_SRV" s0 "$NS_RTR" r0 "$ESRV4/24" "$ESRV6/64" \
		"$PUB4/24" "$PUB6/64" || return 1
	forwarding "$NS_RTR"
}

# offload_off NS DEV...: no TSO/GSO/GRO, so that one write is one segment
# and segments are neither merged nor split (needs ethtool; quietly does
# nothing without it).
offload_off() {
	local ns=$1 dev
	shift
	command -v ethtool >/dev/null || return 0
	for dev in "$@"; do
		nsx "$ns" ethtool -K "$dev" tso off gso off gro off >/dev/null 2>&1
	done
	return 0
}

# link_mtu MTU "NS DEV"...: set the MTU of each link end; 1 (saying which
# on stderr) at the first one refused.
link_mtu() {
	local mtu=$1 l ns dev
	shift
	for l in "$@"; do
		read -r ns dev <<<"$l"
		nsx "$ns" ip link set dev "$dev" mtu "$mtu" ||
			{ echo "mtu $mtu on $dev refused" >&2; return 1; }
	done
}

# settle NS ADDR...: one ping to each address (neighbour discovery done
# before anything is measured or timed).  Never fails.
settle() {
	local ns=$1 a
	shift
	for a in "$@"; do
		nsx "$ns" ping -c1 -W2 "$a" >/dev/null 2>&1
	done
	return 0
}

# topo_reset: kill the daemons and delete the namespaces made so far (what
# the suite does after every test), so that a test can build a second
# topology, or a script outside run_suite a fresh one.
topo_reset() {
	_cleanup_test_state
}

# ---------------------------------------------------------------------
# daemons
# ---------------------------------------------------------------------
# nsx_bg NS OUTFILE CMD...: start CMD in NS in the background, stdout and
# stderr appended to OUTFILE.  BG_PID is the command itself (nsenter execs
# it), so that bg_stop can stop exactly it; it is also killed with the
# test's namespaces.
nsx_bg() {
	local ns=$1 out=$2
	shift 2
	nsenter --net="/run/netns/$ns" "$@" >>"$out" 2>&1 </dev/null &
	BG_PID=$!
	echo "$BG_PID" >>"$FPM_STATE/pids.list"
}

# bg_stop PID...: stop daemons started by nsx_bg and wait until they are
# gone.
bg_stop() {
	local p
	for p in "$@"; do
		[ -n "$p" ] || continue
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
		sed -i "/^$p\$/d" "$FPM_STATE/pids.list" 2>/dev/null
	done
	return 0
}

# wait_until SECS PID CMD...: poll CMD (every 0.1 s) until it succeeds;
# fails after SECS, or as soon as PID (if not empty) has died.  SECS is
# wall time: under emulation (the test VM on a loaded host) starting a
# daemon can take tens of seconds, so be generous - a daemon that dies
# ends the wait at once anyway.
wait_until() {
	local secs=$1 pid=$2 end
	shift 2
	end=$((SECONDS + secs))
	while [ $SECONDS -lt $end ]; do
		"$@" && return 0
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			"$@"
			return
		fi
		sleep 0.1
	done
	return 1
}

# listening NS PORT: a TCP socket in NS listens on PORT.
listening() {
	nsx "$1" ss -Htln "sport = :$2" 2>/dev/null | grep -q LISTEN
}

# wait_listen NS PORT [SECS [PID]]: until something listens on PORT in NS.
wait_listen() {
	wait_until "${3:-30}" "${4:-}" listening "$1" "$2"
}

# lines_matching FILE REGEX: how many lines of FILE match (0 if no FILE).
lines_matching() {
	local n
	n=$(grep -c -E -- "$2" "$1" 2>/dev/null)
	echo "${n:-0}"
}

# wait_line FILE REGEX [SECS [PID [MIN]]]: until FILE has more than MIN
# (default 0) lines matching REGEX - a daemon's "ready" line.
wait_line() {
	local f=$1 re=$2 secs=${3:-30} pid=${4:-} min=${5:-0}
	# shellcheck disable=SC2317 # called by wait_until
	_more_lines() { [ "$(lines_matching "$f" "$re")" -gt "$min" ]; }
	wait_until "$secs" "$pid" _more_lines
}

# tls_cert: a self-signed RSA certificate for test servers, made once per
# suite run (in the state directory); sets TLS_CERT and TLS_KEY.
tls_cert() {
	TLS_CERT=$FPM_STATE/cert.pem TLS_KEY=$FPM_STATE/key.pem
	[ -s "$TLS_CERT" ] && [ -s "$TLS_KEY" ] && return 0
	command -v openssl >/dev/null || return 1
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=ftp.test \
		-keyout "$TLS_KEY" -out "$TLS_CERT" >/dev/null 2>&1 || return 1
	chmod 644 "$TLS_CERT" "$TLS_KEY"
}

# ---------------------------------------------------------------------
# router firewall and NAT (nftables)
# ---------------------------------------------------------------------
# router_nft NS PUBIF [RULE...]: the router's table "inet fpm":
#   - a ct helper object "fpm" of type $FPM_HELPER (for "ct helper set")
#   - chain pre_nat (prerouting, dstnat): the DNAT rules given as
#     "dnat4 PUBADDR PUBPORT INADDR INPORT" / "dnat6 ..." arguments
#   - chain post_nat (postrouting, srcnat): masquerade out of PUBIF (not
#     with a "nomasq" argument)
#   - chain forward (forward, policy drop): established/related, ICMP, and new
#     connections only to the DNATed control ports ("open ..." arguments:
#     "open4 INADDR INPORT" / "open6 ..."), plus "outbound IF" (new
#     connections from inside IF out of PUBIF: a client-side gateway)
#   - chain assign (prerouting, filter): "ct helper set" rules; holds the
#     emulated mapping table in FPM_HELPER=ftp mode (see map_add), and
#     "helper4 PORT" rules (helper by the original destination port)
#   - extra raw nft statements for chain forward: "fwdrule STATEMENT"
# With FPM_HELPER=none there is no helper object (a router without any
# FTP helper, for comparison runs), and "helper" rules are refused.
router_nft() {
	local ns=$1 pubif=$2 r dnat="" fwd="" helpers="" a b c d e obj
	local masq="		oifname \"$pubif\" masquerade
"
	shift 2
	for r in "$@"; do
		# shellcheck disable=SC2086
		set -- $r
		a=${2:-} b=${3:-} c=${4:-} d=${5:-}
		case "$1" in
		dnat4)
			dnat+="		ip daddr $a tcp dport $b dnat ip to $c:$d
"
			fwd+="		ct state new ip daddr $c tcp dport $d ct status dnat accept
"
			;;
		dnat6)
			dnat+="		ip6 daddr $a tcp dport $b dnat ip6 to [$c]:$d
"
			fwd+="		ct state new ip6 daddr $c tcp dport $d ct status dnat accept
"
			;;
		outbound)
			fwd+="		ct state new iifname \"$a\" oifname \"$pubif\" accept
"
			;;
		helper)
			if [ "$FPM_HELPER" = none ]; then
				echo "router_nft: 'helper' rule with FPM_HELPER=none" >&2
				return 1
			fi
			helpers+="		ct state new meta l4proto tcp ct original proto-dst $a ct helper set \"fpm\"
"
			;;
		nomasq) masq="" ;;
		fwdrule)
			shift
			fwd+="		$*
"
			;;
		*) echo "router_nft: bad rule '$r'" >&2; return 1 ;;
		esac
	done
	obj="	ct helper fpm {
		type \"$FPM_HELPER\" protocol tcp
		l3proto inet
	}
"
	[ "$FPM_HELPER" = none ] && obj=""
	e=$(
		cat <<EOF
table inet fpm {
$obj	chain pre_nat {
		type nat hook prerouting priority dstnat; policy accept;
$dnat	}
	chain post_nat {
		type nat hook postrouting priority srcnat; policy accept;
$masq	}
	chain assign {
		type filter hook prerouting priority filter; policy accept;
$helpers	}
	chain mapped {
	}
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		ct state invalid drop
		meta l4proto { icmp, ipv6-icmp } accept
$fwd	}
}
EOF
	)
	printf '%s\n' "$e" >"$T_DIR/nft-$ns.conf"
	nsx "$ns" nft -f "$T_DIR/nft-$ns.conf" || {
		sed 's/^/      nft| /' "$T_DIR/nft-$ns.conf"
		return 1
	}
	# The emulated mapping table (FPM_HELPER=ftp) hangs off chain assign.
	nsx "$ns" nft add rule inet fpm assign ct state new jump mapped
}

# ---------------------------------------------------------------------
# the mapping table: portmapctl, or its emulation with the stock helper
# ---------------------------------------------------------------------
pmctl() {
	local ns=$1
	shift
	nsx "$ns" "$PORTMAPCTL" "$@"
}

# map_add NS PORT [HOST], map_del NS PORT [HOST]: a mapping, with
# portmapctl, or (FPM_HELPER=ftp) in the emulated table.
map_add() { _map_op add "$@"; }
map_del() { _map_op del "$@"; }

_map_op() {
	local op=$1 ns=$2 port=$3 host=${4:-}
	if [ "$FPM_HELPER" = ftp ]; then
		_map_emul "$op" "$ns" "$port" "$host"
	elif [ -n "$host" ]; then
		pmctl "$ns" map "$op" "$port" host "$host"
	else
		pmctl "$ns" map "$op" "$port"
	fi
}

# Emulation: a mapping on PORT [HOST] helps a connection whose original
# destination or whose (post-NAT) server side is PORT [at HOST], as the
# module's table does.  The rules carry a comment to delete them by.
_map_emul() {
	local op=$1 ns=$2 port=$3 host=$4 tag o r fam=ip
	tag="map-$port-${host:-any}"
	case "$host" in *:*) fam=ip6 ;; esac
	if [ "$op" = add ]; then
		local cur
		cur=$(nsx "$ns" nft list chain inet fpm mapped) || return 1
		if grep -q "comment \"$tag\"" <<<"$cur"; then
			echo "mapping $port ${host:-(any host)} exists" >&2
			return 1
		fi
		o="" r=""
		[ -n "$host" ] && o="ct original $fam daddr $host" r="ct reply $fam saddr $host"
		# $o and $r are word lists (or empty) on purpose.
		# shellcheck disable=SC2086
		nsx "$ns" nft add rule inet fpm mapped meta l4proto tcp \
			$o ct original proto-dst "$port" ct helper set '"fpm"' \
			comment "\"$tag\"" || return 1
		# shellcheck disable=SC2086
		nsx "$ns" nft add rule inet fpm mapped meta l4proto tcp \
			$r ct reply proto-src "$port" ct helper set '"fpm"' \
			comment "\"$tag\""
	else
		local handles hd
		handles=$(nsx "$ns" nft -a list chain inet fpm mapped |
			sed -n "s/.*comment \"$tag\" # handle \([0-9]*\)\$/\1/p")
		[ -n "$handles" ] || return 1
		for hd in $handles; do
			nsx "$ns" nft delete rule inet fpm mapped handle "$hd" || return 1
		done
	fi
}

# json_get NS JQ-FILTER ARGS...: run portmapctl ARGS (with --json) in NS
# and apply the jq filter.  Prints the result, or nothing.
pm_json() {
	local ns=$1 filter=$2
	shift 2
	pmctl "$ns" "$@" 2>/dev/null | jq -r "$filter" 2>/dev/null
}

# map_counter NS PORT FIELD [HOST]: a mapping's counter from map list --json
map_counter() {
	local ns=$1 port=$2 field=$3 host=${4:-}
	local sel
	if [ -n "$host" ]; then
		sel=".host == \"$host\""
	else
		sel=".host == null"
	fi
	pm_json "$ns" "[ (if type == \"array\" then . else (.mappings // .maps // []) end)[]
		| select(.port == $port and $sel) | .$field ] | first // empty" map list --json
}

# stat_counter NS NAME: a namespace counter from stats --json
stat_counter() {
	pm_json "$1" "(.stats // .) | .$2 // empty" stats --json
}

# Counter checks around an action:
#   counters_mark NS NAME...            remember the namespace counters
#   ...the action...
#   counter_moved NS NAME [MIN]         did NAME grow by MIN (1) or more?
#   check_counter_moved DESC NS NAME [MIN], check_counter_same DESC NS NAME
# counter_moved and counter_same set COUNTER_NOTE ("NAME before->after").
# One "stats --json" per call, whatever the number of names.
declare -A _CTR_MARK=()
_stats_values() {	# NS NAME...: "NAME=VALUE" lines (empty VALUE: none)
	local ns=$1 json n re
	shift
	json=$(pmctl "$ns" stats --json 2>/dev/null)
	for n in "$@"; do
		re="\"$n\": *([0-9]+)"
		if [[ $json =~ $re ]]; then
			echo "$n=${BASH_REMATCH[1]}"
		else
			echo "$n="
		fi
	done
}

counters_mark() {
	local ns=$1 kv
	shift
	while read -r kv; do
		_CTR_MARK[$ns/${kv%%=*}]=${kv#*=}
	done < <(_stats_values "$ns" "$@")
}

# counter_now NS NAME: the counter's value now (empty: unavailable)
counter_now() {
	local kv
	kv=$(_stats_values "$1" "$2")
	echo "${kv#*=}"
}

counter_moved() {
	local ns=$1 n=$2 min=${3:-1} b a
	b=${_CTR_MARK[$ns/$n]:-}
	a=$(counter_now "$ns" "$n")
	COUNTER_NOTE="$n ${b:-?}->${a:-?}"
	[ -n "$a" ] && [ -n "$b" ] && [ $((a - b)) -ge "$min" ]
}

counter_same() {
	local ns=$1 n=$2 b a
	b=${_CTR_MARK[$ns/$n]:-}
	a=$(counter_now "$ns" "$n")
	COUNTER_NOTE="$n ${b:-?}->${a:-?}"
	[ -n "$a" ] && [ "$a" = "$b" ]
}

check_counter_moved() {
	if counter_moved "$2" "$3" "${4:-1}"; then
		pass "$1 ($COUNTER_NOTE)"
	else
		fail "$1 ($COUNTER_NOTE, want +${4:-1})"
	fi
}

check_counter_same() {
	if counter_same "$2" "$3"; then
		pass "$1 ($COUNTER_NOTE)"
	else
		fail "$1 ($COUNTER_NOTE, want unchanged)"
	fi
}

# tracefs_dir: the tracefs mount point, mounted when it is not yet
# (tracefs, or debugfs's tracing directory on older set-ups); empty, and
# 1, when there is none.
tracefs_dir() {
	local tr=/sys/kernel/tracing
	[ -d "$tr/events" ] || mount -t tracefs nodev "$tr" 2>/dev/null
	[ -d "$tr/events" ] || tr=/sys/kernel/debug/tracing
	[ -d "$tr/events" ] || return 1
	echo "$tr"
}

# How the module reads payloads (src/helper.c fpm_payload_in_place():
# a pointer into the packet, or NULL: copied).  Two kprobes on it:
#   payload_probe_on      an entry probe (counted, nothing traced) and a
#                         return probe traced when it returns NULL
#   ...traffic...
#   payload_probe_read    sets PROBE_CALLS (payloads) and PROBE_COPIED
#   payload_probe_off
# payload_probe_on fails (PROBE_ERR says why): 2 when the kernel has no
# kprobe events, 1 otherwise (no tracefs, probes refused).
PROBE_CALLS='' PROBE_COPIED='' PROBE_ERR='' _PROBE_TR=''
payload_probe_on() {
	local tr
	PROBE_ERR=
	if ! tr=$(tracefs_dir); then
		PROBE_ERR="no tracefs"
		return 1
	fi
	_PROBE_TR=$tr
	if [ ! -w "$tr/kprobe_events" ]; then
		PROBE_ERR="no kprobe events (CONFIG_KPROBE_EVENTS)"
		return 2
	fi
	payload_probe_off
	if ! echo 'p:fpm_pip_calls fpm_payload_in_place' >>"$tr/kprobe_events" 2>/dev/null ||
		! echo 'r:fpm_pip_copied fpm_payload_in_place ret=$retval' >>"$tr/kprobe_events" 2>/dev/null; then
		PROBE_ERR="kprobe on fpm_payload_in_place refused"
		payload_probe_off
		return 1
	fi
	# A kprobe event counts (kprobe_profile) only while enabled.
	echo 'ret == 0' >"$tr/events/kprobes/fpm_pip_copied/filter"
	echo 'common_pid == -1' >"$tr/events/kprobes/fpm_pip_calls/filter"
	: >"$tr/trace"
	echo 1 >"$tr/events/kprobes/fpm_pip_calls/enable"
	echo 1 >"$tr/events/kprobes/fpm_pip_copied/enable"
	echo 1 >"$tr/tracing_on"
}

payload_probe_read() {
	local tr=$_PROBE_TR
	PROBE_CALLS=$(awk '$1 == "fpm_pip_calls" { print $2 }' "$tr/kprobe_profile" 2>/dev/null)
	PROBE_COPIED=$(grep -c 'fpm_pip_copied:' "$tr/trace" 2>/dev/null)
	PROBE_CALLS=${PROBE_CALLS:-0} PROBE_COPIED=${PROBE_COPIED:-0}
}

payload_probe_off() {
	local tr=$_PROBE_TR e
	[ -n "$tr" ] || return 0
	for e in fpm_pip_copied fpm_pip_calls; do
		[ -d "$tr/events/kprobes/$e" ] || continue
		echo 0 >"$tr/events/kprobes/$e/enable"
		echo "-:$e" >>"$tr/kprobe_events"
	done 2>/dev/null
	return 0
}

# ---------------------------------------------------------------------
# vsftpd
# ---------------------------------------------------------------------
# vsftpd_start NS PORT [v4|v6|dual] [PASV_MIN PASV_MAX] [OPTION=VALUE...]:
# anonymous server in NS on PORT; root $T_DIR/ftp-<NS>/ with pub.bin
# (random, a few hundred KB) and a writable upload/.  OPTION=VALUE lines
# replace or add to the configuration (TLS, pasv_address ...).  Sets
# SRV_ROOT, SRV_FILE, SRV_LOG (vsftpd's protocol log) and SRV_PID.
vsftpd_start() {
	local ns=$1 port=$2 fam=dual pmin=40000 pmax=40099
	shift 2
	case "${1:-}" in v4 | v6 | dual) fam=$1; shift ;; esac
	if [[ ${1:-} =~ ^[0-9]+$ ]] && [[ ${2:-} =~ ^[0-9]+$ ]]; then
		pmin=$1 pmax=$2
		shift 2
	fi
	local o
	for o in "$@"; do
		[[ $o == *=* ]] || { echo "vsftpd_start: bad option '$o'" >&2; return 1; }
	done
	local dir=$T_DIR/ftp-$ns root conf line
	root=$dir/root
	mkdir -p "$root/upload" "$dir/empty" || return 1
	chmod 755 "$dir" "$root" "$dir/empty"
	# The anonymous user may write only to upload/ (vsftpd refuses to run
	# with a chroot root its user can write to).
	chown ftp "$root/upload" && chmod 755 "$root/upload" || return 1
	head -c $((200 * 1024 + RANDOM * 8)) /dev/urandom >"$root/pub.bin" || return 1
	chmod 644 "$root/pub.bin"
	conf=$dir/vsftpd.conf
	{
		case "$fam" in
		v4) echo "listen=YES"; echo "listen_ipv6=NO" ;;
		*) echo "listen=NO"; echo "listen_ipv6=YES" ;; # dual stack
		esac
		cat <<EOF
listen_port=$port
background=NO
anonymous_enable=YES
local_enable=NO
no_anon_password=YES
anon_root=$root
ftp_username=ftp
write_enable=YES
anon_upload_enable=YES
anon_mkdir_write_enable=NO
anon_other_write_enable=NO
anon_umask=022
anon_world_readable_only=YES
pasv_enable=YES
pasv_min_port=$pmin
pasv_max_port=$pmax
pasv_promiscuous=NO
pasv_addr_resolve=NO
port_enable=YES
port_promiscuous=NO
connect_from_port_20=NO
secure_chroot_dir=$dir/empty
seccomp_sandbox=NO
isolate=NO
isolate_network=NO
xferlog_enable=YES
xferlog_std_format=NO
log_ftp_protocol=YES
vsftpd_log_file=$dir/vsftpd.log
syslog_enable=NO
tcp_wrappers=NO
dirmessage_enable=NO
hide_ids=YES
ssl_enable=NO
idle_session_timeout=60
data_connection_timeout=30
accept_timeout=15
connect_timeout=15
EOF
	} | while IFS= read -r line; do
		# an option given by the caller replaces the default line
		for o in "$@"; do
			[ "${o%%=*}" = "${line%%=*}" ] && continue 2
		done
		printf '%s\n' "$line"
	done >"$conf"
	[ $# -eq 0 ] || printf '%s\n' "$@" >>"$conf"
	chmod 600 "$conf"
	nsx_bg "$ns" "$dir/stdout.log" vsftpd "$conf"
	# shellcheck disable=SC2034 # for the caller
	SRV_PID=$BG_PID SRV_LOG=$dir/vsftpd.log
	if wait_listen "$ns" "$port" 30 "$BG_PID"; then
		# shellcheck disable=SC2034 # for the caller
		SRV_ROOT=$root SRV_FILE=$root/pub.bin
		return 0
	fi
	echo "vsftpd did not start in $ns on port $port" >&2
	cat "$dir/stdout.log" >&2
	return 1
}

# ---------------------------------------------------------------------
# lftp client
# ---------------------------------------------------------------------
# lftp_run NS LOG "SETTINGS" URL "COMMANDS": one lftp session from NS with
# the control dialogue (debug 3) in LOG; bounded by $XFER_TIMEOUT.
lftp_run() {
	local ns=$1 log=$2 extra=$3 url=$4 cmds=$5 rc
	: >"$log"
	nsx "$ns" timeout -k 5 "$XFER_TIMEOUT" lftp -c "
debug -o $log -t 9
$LFTP_SETTINGS
$extra
open -u anonymous,fpm@example.org $url
$cmds
" >>"$log.out" 2>&1
	rc=$?
	[ "${FPM_VERBOSE:-0}" = 1 ] && show_log "lftp $url" "$log"
	return $rc
}

# mode_settings passive|active|epsv|eprt
mode_settings() {
	case "$1" in
	passive) echo "set ftp:passive-mode on; set ftp:prefer-epsv no" ;;
	epsv) echo "set ftp:passive-mode on; set ftp:prefer-epsv yes" ;;
	active | eprt) echo "set ftp:passive-mode off; set ftp:prefer-epsv no" ;;
	*) echo "mode_settings: $1?" >&2; return 1 ;;
	esac
}

XFER_N=0
# _xfer NS URL MODE CMD SRC DST: one lftp transfer (CMD), then SRC and DST
# byte-compared.  Sets XFER_LOG and XFER_SECS.
_xfer() {
	local ns=$1 url=$2 mode=$3 cmd=$4 src=$5 dst=$6 t0 rc
	XFER_LOG=$T_DIR/lftp-$XFER_N.log
	t0=$(date +%s)
	lftp_run "$ns" "$XFER_LOG" "$(mode_settings "$mode")" "$url" "$cmd"
	rc=$?
	XFER_SECS=$(($(date +%s) - t0))
	[ $rc -eq 0 ] || return 1
	cmp -s "$src" "$dst"
}

# ftp_get NS URL MODE SRCFILE: download pub.bin, byte-compare with SRCFILE.
# Sets XFER_LOG (the dialogue) and XFER_SECS.  Returns 0 only if the
# transfer succeeded and the bytes are the same.
ftp_get() {
	local out
	XFER_N=$((XFER_N + 1))
	out=$T_DIR/dl-$XFER_N.bin
	rm -f "$out"
	_xfer "$1" "$2" "$3" "get pub.bin -o $out" "$4" "$out"
}

# ftp_put NS URL MODE DSTDIR: upload a fresh random file to upload/, and
# byte-compare what the server stored (in DSTDIR).
ftp_put() {
	local name
	XFER_N=$((XFER_N + 1))
	name=up-$XFER_N-$RANDOM.bin
	head -c $((100 * 1024 + RANDOM)) /dev/urandom >"$T_DIR/$name"
	_xfer "$1" "$2" "$3" "put $T_DIR/$name -o upload/$name" \
		"$T_DIR/$name" "$4/$name"
}

# saw LOG REGEX: the dialogue in LOG has a line matching REGEX (lftp marks
# server lines with "<---" and its own with "--->").
saw() { grep -E -q -- "$2" "$1"; }

# The reply line the client saw for PASV/EPSV, or the PORT/EPRT it sent.
seen_line() { grep -E -m1 -- "$2" "$1" | sed 's/^[^<-]*//'; }

# expect_xfer_ok WHAT ftp_get|ftp_put ARGS...: the transfer must work.
expect_xfer_ok() {
	local what=$1
	shift
	if "$@"; then
		pass "$what (${XFER_SECS}s)"
	else
		fail "$what (${XFER_SECS}s)"
		show_log "client dialogue" "$XFER_LOG" 40
		show_log "lftp output" "$XFER_LOG.out" 10
	fi
}

# expect_xfer_fail WHAT ftp_get ARGS...: the transfer must fail, quickly.
expect_xfer_fail() {
	local what=$1
	shift
	if "$@"; then
		fail "$what: transfer succeeded, but must not"
		show_log "client dialogue" "$XFER_LOG" 40
	elif [ "$XFER_SECS" -ge "$XFER_TIMEOUT" ]; then
		fail "$what: failed only by hanging until the ${XFER_TIMEOUT}s limit"
	else
		pass "$what: fails (${XFER_SECS}s)"
	fi
}

# ---------------------------------------------------------------------
# the module
# ---------------------------------------------------------------------
# stock_helper_load: the kernel's own FTP helper (nf_conntrack_ftp, with
# nf_nat_ftp for the NAT part) and the nft modules that attach it.  Built
# in on some kernels, so modprobe failures are not fatal: fails only when
# the helper is neither loaded nor built in.
stock_helper_load() {
	modprobe -q -a nf_conntrack_ftp nf_nat_ftp nft_ct nft_nat 2>/dev/null
	[ -d /sys/module/nf_conntrack_ftp ]
}

# module_load [PARAM=VALUE...]: load ftp_portmap.ko (and what it depends
# on) unless the same build is loaded already (with parameters: always
# loaded afresh, with them).  Sets FPM_SETUP_ERROR on failure.
# FPM_LOADED_BY_US=1 when this call loaded it.  With FPM_HELPER=ftp it
# loads the stock helper instead.
# shellcheck disable=SC2120 # the parameters are optional
module_load() {
	local dep src_want src_have
	FPM_LOADED_BY_US=0
	if [ "$FPM_HELPER" = ftp ]; then
		stock_helper_load
		return 0
	fi
	if [ ! -f "$FPM_MODULE" ]; then
		FPM_SETUP_ERROR="module $FPM_MODULE not built (run make at the repo root)"
		return 1
	fi
	if [ ! -x "$PORTMAPCTL" ]; then
		FPM_SETUP_ERROR="portmapctl $PORTMAPCTL not built (run make cli)"
		return 1
	fi
	src_want=$(modinfo -F srcversion "$FPM_MODULE" 2>/dev/null)
	if [ -d /sys/module/ftp_portmap ]; then
		src_have=$(cat /sys/module/ftp_portmap/srcversion 2>/dev/null)
		if [ -n "$src_want" ] && [ "$src_want" = "$src_have" ] &&
			[ $# -eq 0 ]; then
			return 0
		fi
		module_unload ftp_portmap || {
			FPM_SETUP_ERROR="another ftp_portmap build is loaded and cannot be removed"
			return 1
		}
	fi
	for dep in $(modinfo -F depends "$FPM_MODULE" 2>/dev/null | tr ',' ' '); do
		modprobe "$dep" || {
			FPM_SETUP_ERROR="modprobe $dep (a dependency of ftp_portmap) failed"
			return 1
		}
	done
	# nft "ct helper" objects and masquerade need these.
	modprobe -q -a nf_tables nft_ct nft_nat nft_masq nft_chain_nat 2>/dev/null
	local err
	if ! err=$(insmod "$FPM_MODULE" "$@" 2>&1); then
		FPM_SETUP_ERROR="insmod $FPM_MODULE failed: $err"
		return 1
	fi
	FPM_LOADED_BY_US=1
	return 0
}

# module_unload [MODULE...]: rmmod (default ftp_portmap), retrying for a
# few seconds while namespaces being torn down still hold references.
# Succeeds when the modules are gone (or were not loaded).
module_unload() {
	local m mods=("${@:-ftp_portmap}") _ left
	for _ in $(seq 100); do
		left=()
		for m in "${mods[@]}"; do
			[ -d "/sys/module/$m" ] && [ -e "/sys/module/$m/refcnt" ] &&
				left+=("$m")
		done
		[ ${#left[@]} -eq 0 ] && return 0
		rmmod "${left[@]}" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

module_loaded() { [ -d /sys/module/ftp_portmap ]; }

# Test-side guard: the ALG tests need the module and the CLI.
require_alg() {
	if [ -n "${FPM_SETUP_ERROR:-}" ]; then
		fail "$FPM_SETUP_ERROR"
		exit 1
	fi
}

# need_module DESCRIPTION: in a suite with SUITE_MODULE=optional, a test
# (or a part of one) that needs the module: returns 0 when it is loaded;
# otherwise fails DESCRIPTION in the test VM (FPM_IN_VM=1, where it must
# load) and skips it elsewhere, and returns 1.
need_module() {
	[ -z "${FPM_SETUP_ERROR:-}" ] && module_loaded && return 0
	if [ "${FPM_IN_VM:-0}" = 1 ]; then
		fail "$1 (module ftp_portmap not loaded: ${FPM_SETUP_ERROR:-})"
	else
		skip "$1 (module ftp_portmap not loadable here)"
	fi
	return 1
}

# ---------------------------------------------------------------------
# running tests
# ---------------------------------------------------------------------
_cleanup_test_state() {
	local ns pid
	if [ -s "$FPM_STATE/pids.list" ]; then
		while read -r pid; do
			kill "$pid" 2>/dev/null
		done <"$FPM_STATE/pids.list"
	fi
	if [ -s "$FPM_STATE/netns.list" ]; then
		while read -r ns; do
			[ -e "/run/netns/$ns" ] || continue
			for pid in $(ip netns pids "$ns" 2>/dev/null); do
				kill -9 "$pid" 2>/dev/null
			done
			ip netns del "$ns" 2>/dev/null
		done <"$FPM_STATE/netns.list"
	fi
	: >"$FPM_STATE/pids.list"
	: >"$FPM_STATE/netns.list"
}

_suite_exit() {
	_cleanup_test_state
	if [ "${FPM_LOADED_BY_US:-0}" = 1 ] && [ "${FPM_KEEP_MODULE:-0}" != 1 ]; then
		rmmod ftp_portmap 2>/dev/null
	fi
	if [ "${FPM_KEEP:-0}" = 1 ]; then
		echo "# state kept in $FPM_STATE"
	else
		rm -rf "$FPM_STATE"
	fi
}

# harness_init NAME: use the harness outside run_suite (a benchmark, a
# demo): the state directory, namespace names and clean-up on exit that
# run_suite gives a test.  A script may define harness_cleanup, run first
# on exit.  T_DIR is the script's work directory.
harness_init() {
	FPM_STATE=$(mktemp -d "${TMPDIR:-/tmp}/fpm-$1.XXXXXX") || return 1
	chmod 755 "$FPM_STATE"
	FPM_NS_PREFIX=fpm$$ T_INDEX=0 T_NAME=$1
	T_DIR=$FPM_STATE/$1 T_RES=$FPM_STATE/$1.res
	mkdir -p "$T_DIR" && chmod 755 "$T_DIR"
	: >"$FPM_STATE/pids.list"
	: >"$FPM_STATE/netns.list"
	: >"$T_RES"
	trap _harness_exit EXIT
	trap 'exit 130' INT TERM
}

_harness_exit() {
	declare -F harness_cleanup >/dev/null && harness_cleanup
	_cleanup_test_state
	if [ "${FPM_KEEP:-0}" = 1 ]; then
		echo "# state kept in $FPM_STATE"
	else
		rm -rf "$FPM_STATE"
	fi
}

# list the suite's tests, in the order they are defined in the file
_suite_tests() {
	sed -n 's/^\(test_[A-Za-z0-9_]*\)[[:space:]]*()[[:space:]]*{.*/\1/p' "$SUITE_PATH"
}

# describe: first comment line above a test function is its title
_test_title() {
	local t=$1
	awk -v fn="$t" '
		/^#/ { c = c == "" ? substr($0, 3) : c; next }
		$0 ~ "^" fn "[[:space:]]*\\(" { print c; exit }
		{ c = "" }' "$SUITE_PATH"
}

# run_suite "$@": run the suite's tests (the suite's last line).
# A suite may set, before calling it:
#   SUITE_MODULE   required (default): every test needs ftp_portmap (or,
#                  with FPM_HELPER=ftp, the stock helper) and fails
#                  without; optional: only the tests that call
#                  need_module need it
#   SUITE_TOOLS    more commands the suite needs (beyond ip nft vsftpd
#                  lftp jq conntrack timeout cmp)
# and define hooks, run in the suite's own process (not in a test's):
#   suite_setup    after the module is loaded, before the first test; a
#                  failure is a setup error every test reports
#   suite_finish   after the last test, before the result line (reports
#                  that tests left in $FPM_STATE)
# A test that unloads the module (rmmod, module_load with parameters) does
# not take it away from the next one: the suite loads it again after the
# test when it had loaded at the start.
run_suite() {
	if [ "${1:-}" = --run-one ]; then
		_run_one "$2"
		return
	fi
	if [ "$(id -u)" -ne 0 ]; then
		echo "$SUITE: must run as root (network namespaces)" >&2
		echo "0 passed, 1 failed"
		exit 1
	fi
	FPM_STATE=$(mktemp -d "${TMPDIR:-/tmp}/fpm-netns-$SUITE.XXXXXX")
	chmod 755 "$FPM_STATE"
	FPM_NS_PREFIX=fpm$$
	export FPM_STATE FPM_NS_PREFIX FPM_HELPER FPM_MODULE PORTMAPCTL
	: >"$FPM_STATE/pids.list"
	: >"$FPM_STATE/netns.list"
	trap _suite_exit EXIT
	trap 'exit 130' INT TERM

	local missing="" t module_ok=0 by_us=0
	for t in ip nft vsftpd lftp jq conntrack timeout cmp ${SUITE_TOOLS:-}; do
		command -v "$t" >/dev/null || missing+=" $t"
	done
	getent passwd ftp >/dev/null || missing+=" user:ftp(vsftpd)"
	if [ -n "$missing" ]; then
		FPM_SETUP_ERROR="missing tools:$missing (run scripts/install-deps.sh)"
	else
		FPM_SETUP_ERROR=
		module_load && module_ok=1
		by_us=$FPM_LOADED_BY_US
	fi
	if [ -z "$FPM_SETUP_ERROR" ] && declare -F suite_setup >/dev/null &&
		! suite_setup; then
		FPM_SETUP_ERROR="suite setup (suite_setup) failed"
	fi
	export FPM_SETUP_ERROR FPM_LOADED_BY_US

	echo "# suite $SUITE: helper $FPM_HELPER, kernel $(uname -r)"
	[ -n "$FPM_SETUP_ERROR" ] && echo "# SETUP ERROR: $FPM_SETUP_ERROR"
	if [ "$FPM_HELPER" != ftp ] && [ -z "$FPM_SETUP_ERROR" ]; then
		echo "# module $(modinfo -F version "$FPM_MODULE" 2>/dev/null) srcversion $(cat /sys/module/ftp_portmap/srcversion 2>/dev/null)"
	fi
	local passed=0 failed=0 skipped=0 idx=0 name title t0 rc secs res
	local c_ok=0 c_fail=0 c_skip=0 why
	for name in $(_suite_tests); do
		if [ -n "${TEST_FILTER:-}" ] && ! [[ $name =~ $TEST_FILTER ]]; then
			continue
		fi
		idx=$((idx + 1))
		title=$(_test_title "$name")
		echo "# [$idx] $name: $title"
		res=$FPM_STATE/$name.res
		: >"$res"
		t0=$(date +%s)
		T_INDEX=$idx timeout -k 10 "$TEST_TIMEOUT" bash "$SUITE_PATH" --run-one "$name"
		rc=$?
		secs=$(($(date +%s) - t0))
		_cleanup_test_state
		if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
			echo "    FAIL: timed out after ${TEST_TIMEOUT}s"
			echo fail >>"$res"
		fi
		c_ok=$((c_ok + $(grep -c '^ok$' "$res")))
		c_fail=$((c_fail + $(grep -c '^fail$' "$res")))
		c_skip=$((c_skip + $(grep -c '^skip' "$res")))
		if [ $rc -eq 0 ] && grep -q '^ok$' "$res" && ! grep -q '^fail$' "$res"; then
			passed=$((passed + 1))
			echo "ok $idx - $name (${secs}s)"
		elif [ $rc -eq 0 ] && ! grep -q -E '^(ok|fail)$' "$res" &&
			grep -q '^skip' "$res"; then
			skipped=$((skipped + 1))
			why=$(sed -n 's/^skip //p' "$res" | head -n 1)
			echo "ok $idx - $name # SKIP $why (${secs}s)"
		else
			failed=$((failed + 1))
			grep -q . "$res" || echo "    FAIL: the test made no check (rc $rc)"
			echo "not ok $idx - $name (${secs}s)"
		fi
		# A test took the module away: load it again for the next.
		if [ $module_ok = 1 ] && [ "$FPM_HELPER" != ftp ] && ! module_loaded; then
			if module_load; then
				echo "# module loaded again after $name"
				[ "$by_us" = 1 ] || FPM_LOADED_BY_US=0
				export FPM_LOADED_BY_US
			else
				echo "# module could not be loaded again after $name: $FPM_SETUP_ERROR"
				export FPM_SETUP_ERROR
			fi
		fi
	done
	if [ $idx -eq 0 ]; then
		echo "# no test matched TEST_FILTER='${TEST_FILTER:-}'"
		failed=1
	fi
	declare -F suite_finish >/dev/null && suite_finish
	echo "# checks: $c_ok ok, $c_fail failed, $c_skip skipped; tests: $skipped skipped"
	echo "$passed passed, $failed failed"
	[ $failed -eq 0 ]
	exit
}

_run_one() {
	T_NAME=$1
	T_DIR=$FPM_STATE/$T_NAME
	T_RES=$FPM_STATE/$T_NAME.res
	mkdir -p "$T_DIR"
	chmod 755 "$T_DIR"
	cd "$T_DIR" || exit 1
	if ! declare -F "$T_NAME" >/dev/null; then
		fail "no such test $T_NAME"
		exit 1
	fi
	if [ "$FPM_HELPER" != ftp ] && [ "${SUITE_MODULE:-required}" = required ]; then
		require_alg
	fi
	# The verdict comes from the checks made, not from the function's
	# last command.
	"$T_NAME"
	if [ "${FPM_VERBOSE:-0}" = 1 ] || grep -q '^fail$' "$T_RES"; then
		local f
		for f in "$T_DIR"/ftp-*/vsftpd.log; do
			[ -e "$f" ] && show_log "server log ${f#"$T_DIR"/}" "$f" 30
		done
	fi
	exit 0
}
