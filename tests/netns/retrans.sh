#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Retransmissions, holes and loss through the NAT router (issue 8,
# findings 3, 4, 6, 7): a raw-socket TCP peer (tests/rawpeer/rawtcp.py)
# sends hand-built segments at chosen sequence numbers through a router
# running ftp_portmap.ko; on the other side a kernel TCP endpoint and an
# AF_PACKET capture record the exact sequence numbers and bytes that
# arrive and the byte stream the application reads.  The scenarios are
# in tests/netns/retrans.py; lftp + vsftpd run the loss cases.
#
#   tests/run-netns.sh retrans            (in the VM)
#   TEST_FILTER=port tests/run-netns.sh retrans
#
# Topology (fresh for every test):
#
#   in  a0 10.0.0.22/24 192.168.100.222/24       pub p0 203.0.113.2/24
#          |                                          |
#   rtr ra 10.0.0.1 192.168.100.1     rp 203.0.113.1 -+
#       rs 10.10.10.1 10.9.9.1 192.168.200.1
#          |
#   srv s0 10.10.10.10/24 10.9.9.5/24 192.168.200.222/24
#
#   masquerade out of rp; DNAT 203.0.113.1:2121 -> 10.10.10.10:2121,
#   :2122 -> 10.9.9.5:2121, :2123 -> 192.168.200.222:2121; forward policy
#   drop (established/related, invalid dropped, new only: out of ra, and
#   to the DNATed servers); portmapctl map add 2121.
#
#   In "in" and "srv" (where raw peers live) outgoing RSTs are dropped:
#   the kernel there knows nothing of the raw connections.  In every end
#   namespace, packets with DSCP CS1 are dropped in prerouting: the raw
#   peer marks a segment that way to have it lost after the router (the
#   far end's capture still sees it).
#
# Environment (besides lib.sh's): RETRANS_VARIANTS (default "dup,lost"),
# RETRANS_ONLY (offset names, comma-separated), RETRANS_LOSS (netem loss
# percentage of the loss tests, default 15), RETRANS_XFERS (transfers per
# mode in the loss tests, default 4).

# Test functions are called indirectly (by name), hence SC2317.
# shellcheck disable=SC2317
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
DRIVER=$NETNS_DIR/retrans.py

R_IN4=10.0.0.22
R_IN4_LONG=192.168.100.222
R_PUB4=203.0.113.1
R_EXT4=203.0.113.2
R_SRV4=10.10.10.10
R_SRV4_SHORT=10.9.9.5
R_SRV4_LONG=192.168.200.222

# topo_retrans: sets NS_IN NS_RTR NS_PUB NS_SRV.
topo_retrans() {
	local names n
	names=$(ns_add in rtr pub srv) || return 1
	{ read -r NS_IN; read -r NS_RTR; read -r NS_PUB; read -r NS_SRV; } <<<"$names"
	link "$NS_IN" a0 "$NS_RTR" ra &&
		link "$NS_RTR" rp "$NS_PUB" p0 &&
		link "$NS_RTR" rs "$NS_SRV" s0 || return 1
	ipb "$NS_IN" <<-EOF || return 1
		addr add $R_IN4/24 dev a0
		addr add $R_IN4_LONG/24 dev a0
		route add default via 10.0.0.1
	EOF
	ipb "$NS_PUB" <<-EOF || return 1
		addr add $R_EXT4/24 dev p0
		route add default via $R_PUB4
	EOF
	ipb "$NS_SRV" <<-EOF || return 1
		addr add $R_SRV4/24 dev s0
		addr add $R_SRV4_SHORT/24 dev s0
		addr add $R_SRV4_LONG/24 dev s0
		route add default via 10.10.10.1
	EOF
	ipb "$NS_RTR" <<-EOF || return 1
		addr add 10.0.0.1/24 dev ra
		addr add 192.168.100.1/24 dev ra
		addr add $R_PUB4/24 dev rp
		addr add 10.10.10.1/24 dev rs
		addr add 10.9.9.1/24 dev rs
		addr add 192.168.200.1/24 dev rs
	EOF
	forwarding "$NS_RTR"
	# One segment in, one segment out: no offloads merging or splitting.
	for n in "$NS_IN a0" "$NS_PUB p0" "$NS_SRV s0" "$NS_RTR ra" \
		"$NS_RTR rp" "$NS_RTR rs"; do
		# shellcheck disable=SC2086
		set -- $n
		nsx "$1" ethtool -K "$2" tso off gso off gro off >/dev/null 2>&1
	done
	# raw peers: their kernel must not reset the connections it does not
	# know; DSCP CS1 marks a segment to be lost after the router
	for n in "$NS_IN" "$NS_SRV" "$NS_PUB"; do
		nsx "$n" nft -f - <<-EOF || return 1
			table inet rawpeer {
				chain out {
					type filter hook output priority 0; policy accept;
					tcp flags & rst == rst drop
				}
				chain lose {
					type filter hook prerouting priority -300; policy accept;
					ip dscp cs1 drop
					ip6 dscp cs1 drop
				}
			}
		EOF
	done
	# in pub, kernel sockets are real: only the lose chain there
	nsx "$NS_PUB" nft delete chain inet rawpeer out || return 1
	return 0
}

# router_retrans [RULE...]: NAT and filter of the topology, mapping 2121.
router_retrans() {
	router_nft "$NS_RTR" rp \
		"dnat4 $R_PUB4 2121 $R_SRV4 2121" \
		"dnat4 $R_PUB4 2122 $R_SRV4_SHORT 2121" \
		"dnat4 $R_PUB4 2123 $R_SRV4_LONG 2121" \
		"outbound ra" "$@" || return 1
	map_add "$NS_RTR" 2121
}

# driver SCENARIO ARGS...: run retrans.py; its ok/FAIL lines become checks.
driver() {
	local line out=$T_DIR/driver-$1.out
	nsx "$NS_RTR" true || return 1
	timeout -k 5 $((TEST_TIMEOUT - 20)) "$PY" "$DRIVER" "$@" \
		--ns-in "$NS_IN" --ns-rtr "$NS_RTR" --ns-pub "$NS_PUB" \
		--ns-srv "$NS_SRV" --trace "$T_DIR/trace.log" \
		--portmapctl "$([ "$FPM_HELPER" = ftp ] || echo "$PORTMAPCTL")" \
		--variants "${RETRANS_VARIANTS:-dup,lost}" \
		--only "${RETRANS_ONLY:-}" >"$out" 2>&1
	local rc=$?
	while IFS= read -r line; do
		case "$line" in
		ok:*) pass "${line#ok: }" ;;
		FAIL:*) fail "${line#FAIL: }" ;;
		info:*) info "${line#info: }" ;;
		*) _say "      | $line" ;;
		esac
	done <"$out"
	[ $rc -eq 0 ] || fail "retrans.py $1 exited $rc"
	if [ "${RETRANS_DEBUG:-0}" = 1 ]; then
		nsx "$NS_RTR" conntrack -S
		nsx "$NS_RTR" nft list ruleset
	fi
}

# PORT growing (10.0.0.22 -> 203.0.113.1), retransmitted from every start
test_port_grow() {
	must topo_retrans
	must router_retrans
	driver port --client $R_IN4 --server $R_EXT4 --label "PORT+2"
}

# PORT shrinking (192.168.100.222 -> 203.0.113.1), retransmitted from every start
test_port_shrink() {
	must topo_retrans
	must router_retrans
	driver port --client $R_IN4_LONG --server $R_EXT4 --label "PORT-4"
}

# 227 behind DNAT: same length, growing and shrinking, from every start
test_pasv_dnat() {
	must topo_retrans
	must router_retrans
	driver pasv --client $R_EXT4 --server $R_SRV4 --vport 2121 \
		--label "227=0" --port-base 15
	driver pasv --client $R_EXT4 --server $R_SRV4_SHORT --vport 2122 \
		--label "227+3" --port-base 40
	driver pasv --client $R_EXT4 --server $R_SRV4_LONG --vport 2123 \
		--label "227-4" --port-base 65
}

# Pairing after a 600-byte 257 cut across segments, or a 600-byte command
test_pairing_longline() {
	must topo_retrans
	must router_retrans
	driver pairing --client $R_EXT4 --server $R_SRV4 --vport 2121 \
		--label pairing --port-base 30
}

# A digit ending a segment ("227 Entering mode 1") is not the address
test_tentative_prefix() {
	must topo_retrans
	must router_retrans
	driver prefix --client $R_EXT4 --server $R_SRV4 --vport 2121 \
		--label prefix --port-base 50
}

# Holes without NAT: a segment beyond a hole is forwarded, both directions
test_hole_nonat() {
	must topo_retrans
	must router_retrans \
		"fwdrule ct state new iifname ra oifname rs tcp dport 2121 accept"
	driver hole --nat 0 --client $R_IN4 --server $R_SRV4 \
		--ns-far "$NS_SRV" --if-far s0 --label "hole client->server" \
		--port-base 20
	driver hole_srv --nat 0 --client $R_IN4 --server $R_SRV4 \
		--dial $R_SRV4 --vport 2121 --ns-cli "$NS_IN" --if-cli a0 \
		--label "hole server->client" --port-base 30
}

# Holes under NAT: at most 2 drops per hole, then forwarded; later lines work
test_hole_nat() {
	must topo_retrans
	must router_retrans
	driver hole --nat 1 --client $R_IN4 --server $R_EXT4 \
		--ns-far "$NS_PUB" --if-far p0 --label "hole client->server" \
		--port-base 40
	driver hole_srv --nat 1 --client $R_EXT4 --server $R_SRV4 \
		--dial $R_PUB4 --vport 2121 --ns-cli "$NS_PUB" --if-cli p0 \
		--label "hole server->client" --port-base 50
}

# Two length-changing PORT rewrites in flight: exact sequence numbers
test_inflight_rewrites() {
	must topo_retrans
	must router_retrans
	driver inflight --client $R_IN4 --server $R_EXT4 --label inflight \
		--port-base 60
}

run_suite "$@"
