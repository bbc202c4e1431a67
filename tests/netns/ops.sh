#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Operations (issue 10): save/restore as one unit, drift and "check", the
# guard of map del/flush over ftp nat-server rules, refusals of unusable
# addresses, atomic and -force batches, help, stats reset, conn list, and
# what ftp-portmap.service does when nftables is reloaded.
#
#   tests/netns/ops.sh                  (as root where the module loads;
#                                        else tests/run-netns.sh ops)
#   TEST_FILTER=save tests/netns/ops.sh
#
# Tests of features the module must provide (STATS_RESET, MAP_ADD host
# refusal, CTA_HELP_INFO) fail - they do not skip - while the loaded
# module lacks them, saying which feature is missing.

# Test functions are called indirectly (by name), hence SC2317.
# shellcheck disable=SC2317
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
RAW=$NETNS_DIR/genl_raw.py
UNIT_IN=$REPO/packaging/ftp-portmap.service.in

# pm NS ARGS...: portmapctl in NS; sets RC, OUT, ERR.
pm() {
	local ns=$1
	shift
	nsx "$ns" "$PORTMAPCTL" "$@" >"$T_DIR/pm.out" 2>"$T_DIR/pm.err"
	RC=$?
	OUT=$(cat "$T_DIR/pm.out")
	ERR=$(cat "$T_DIR/pm.err")
}

# expect_rc WHAT RC [STDERR-SUBSTRING]: judge the last pm.
expect_rc() {
	if [ "$RC" != "$2" ]; then
		fail "$1: exit $RC, want $2 (stderr: ${ERR:0:300})"
	elif [ -n "${3:-}" ] && [[ $ERR != *"$3"* ]]; then
		fail "$1: stderr '${ERR:0:300}' lacks '$3'"
	elif [ "$2" != 0 ] && [[ $ERR != portmapctl:* ]]; then
		fail "$1: error not prefixed 'portmapctl:': ${ERR:0:200}"
	else
		pass "$1"
	fi
}

# jq_ok WHAT FILTER: the last stdout, as JSON, satisfies FILTER.
jq_ok() {
	if printf '%s' "$OUT" | jq -e "$2" >/dev/null 2>&1; then
		pass "$1"
	else
		fail "$1: '${OUT:0:400}' fails $2"
	fi
}

# One namespace, the router, with an uplink r0 (203.0.113.1) and an inside
# link r1 (10.10.10.1): enough for rules, drift and iif checks.
one_router() {
	local names
	names=$(ns_add rtr peer) || return 1
	{ read -r NS_RTR; read -r NS_PEER; } <<<"$names"
	link "$NS_RTR" r0 "$NS_PEER" p0 || return 1
	addr "$NS_RTR" r0 203.0.113.1/24 2001:db8:1::1/64 &&
		link "$NS_RTR" r1 "$NS_PEER" p1 &&
		addr "$NS_RTR" r1 10.10.10.1/24
}

# A configuration with every kind of item.
make_config() {
	pm "$NS_RTR" config set strict off max-expect 7 || return 1
	pm "$NS_RTR" map add 2121 && [ "$RC" = 0 ] || return 1
	pm "$NS_RTR" map add 990 host 2001:db8::10 && [ "$RC" = 0 ] || return 1
	pm "$NS_RTR" nat-server add tcp global 203.0.113.1 8021 inside 10.10.10.10 6293 ftp &&
		[ "$RC" = 0 ] || return 1
	pm "$NS_RTR" nat-server add tcp global 203.0.113.1 30000-30009 inside 10.10.10.10 30000-30009 &&
		[ "$RC" = 0 ] || return 1
	pm "$NS_RTR" nat-server add udp iif r0 5353 inside 10.10.10.53 53 &&
		[ "$RC" = 0 ] || return 1
	pm "$NS_RTR" nat-server add tcp global 2001:db8:1::1 21 inside fd00:10::10 21 ftp
	[ "$RC" = 0 ]
}

# Everything portmapctl keeps, as comparable text.
state_text() {
	{
		nsx "$1" "$PORTMAPCTL" -j map list | jq -c '[.[] | [.port, .host]]'
		nsx "$1" "$PORTMAPCTL" -j config show | jq -c '[.strict, .max_expect]'
		nsx "$1" "$PORTMAPCTL" -j nat-server list | jq -c '[.[] | del(.conns)]'
		nsx "$1" nft list table inet ftp_portmap 2>&1 | sed 's/packets [0-9]* bytes [0-9]*//'
	}
}

# help OBJECT, usage hints, -p
test_help() {
	local o
	must one_router
	for o in map stats config nat-server conn save restore check; do
		pm "$NS_RTR" help "$o"
		check "help $o prints its usage" test "$RC" = 0 -a -n "$OUT"
		[[ $OUT == *"portmapctl"*"$o"* ]] || fail "help $o: '$OUT' does not name $o"
	done
	pm "$NS_RTR" map add
	expect_rc "usage error" 2 "Try 'portmapctl help map'"
	pm "$NS_RTR" nat-server add tcp global 203.0.113.1
	expect_rc "nat-server usage error hints at its help" 2 "Try 'portmapctl help nat-server'"
	pm "$NS_RTR" help frob
	expect_rc "help of an unknown object" 2 "unknown object 'frob'"
	pm "$NS_RTR" config show -p
	check "-p prints indented JSON" test "$(printf '%s\n' "$OUT" | wc -l)" -gt 3
	jq_ok "-p JSON parses" '.max_expect > 0'
	pm "$NS_RTR" -j config show
	check "-j prints one line" test "$(printf '%s\n' "$OUT" | wc -l)" = 1
	pm "$NS_RTR" --frob
	expect_rc "unknown option" 2 "unknown option"
}

# Addresses that can never work are refused, by the CLI and by the module
# (the module side is checked through a raw genl request)
test_refusals() {
	local a before
	must one_router
	before=$(state_text "$NS_RTR")
	for a in 224.0.0.1 ff02::1 127.0.0.1 ::1 0.0.0.0 :: ::ffff:10.0.0.1 169.254.3.4 fe80::1 255.255.255.255; do
		pm "$NS_RTR" map add 21 host "$a"
		expect_rc "map add host $a refused" 2 "host address $a is"
	done
	pm "$NS_RTR" nat-server add tcp global 0.0.0.0 21 inside 10.10.10.10 21
	expect_rc "nat-server global 0.0.0.0 refused" 2 "unspecified"
	pm "$NS_RTR" nat-server add tcp global 203.0.113.1 21 inside 127.0.0.1 21
	expect_rc "nat-server inside loopback refused" 2 "loopback"
	pm "$NS_RTR" nat-server add tcp iif r0 21 inside ::ffff:10.1.1.1 21
	expect_rc "nat-server IPv4-mapped refused" 2 "IPv4-mapped"
	pm "$NS_RTR" nat-server add tcp iif r0 21 inside fe80::5 21 ftp
	expect_rc "nat-server link-local refused" 2 "link-local"
	pm "$NS_RTR" nat-server add tcp global ff05::2 21 inside fd00::1 21
	expect_rc "nat-server multicast refused" 2 "multicast"
	check "refusals changed nothing" test "$before" = "$(state_text "$NS_RTR")"

	# The module's own refusal (issue 10, module side).
	local out rc
	out=$(nsx "$NS_RTR" "$PY" "$RAW" FPM_CMD_MAP_ADD FPM_A_PORT:u16:21 \
		FPM_A_FAMILY:u8:2 FPM_A_HOST4:ip:224.0.0.1 2>&1)
	rc=$?
	if [ "$rc" = 1 ] && [[ $out == *"multicast"* ]]; then
		pass "module refuses a multicast host ($out)"
	else
		fail "module accepted MAP_ADD host 224.0.0.1 (rc $rc: $out): the module lacks the issue-10 MAP_ADD host refusal"
	fi
	out=$(nsx "$NS_RTR" "$PY" "$RAW" FPM_CMD_MAP_ADD FPM_A_PORT:u16:21 \
		FPM_A_FAMILY:u8:10 FPM_A_HOST6:ip:::ffff:10.0.0.1 2>&1)
	rc=$?
	if [ "$rc" = 1 ] && [[ $out == *"IPv4-mapped"* ]]; then
		pass "module refuses an IPv4-mapped host ($out)"
	else
		fail "module accepted MAP_ADD host ::ffff:10.0.0.1 (rc $rc: $out): the module lacks the issue-10 MAP_ADD host refusal"
	fi
}

# save | restore round-trips exactly; restore is idempotent and keeps counters
test_save_restore() {
	local saved again h1 h2
	must one_router
	must make_config
	pm "$NS_RTR" save
	check "save" test "$RC" = 0
	saved=$OUT
	printf '%s\n' "$saved" >"$T_DIR/saved.conf"
	info "saved: $(wc -l <"$T_DIR/saved.conf") lines"
	check "save names the settings" grep -qx 'config set strict off max-expect 7' "$T_DIR/saved.conf"
	check "save names the ftp rule" grep -qx 'nat-server add tcp global 203.0.113.1 8021 inside 10.10.10.10 6293 ftp' "$T_DIR/saved.conf"
	check "save names the mapping of the ftp rule" grep -qx 'map add 6293 host 10.10.10.10' "$T_DIR/saved.conf"
	check "save names the iif rule" grep -qx 'nat-server add udp iif r0 5353 inside 10.10.10.53 53' "$T_DIR/saved.conf"

	# Restoring onto itself changes nothing, not even nft handles.
	h1=$(nsx "$NS_RTR" nft -a list table inet ftp_portmap)
	pm "$NS_RTR" restore "$T_DIR/saved.conf"
	check "restore onto the same state" test "$RC" = 0
	h2=$(nsx "$NS_RTR" nft -a list table inet ftp_portmap)
	check "idempotent: nftables untouched (same handles)" test "$h1" = "$h2"
	pm "$NS_RTR" restore --check "$T_DIR/saved.conf"
	check "--check of the same state: nothing to do" grep -q "add 0 and delete 0 mapping(s), keep the settings, keep the nat-server rules" <<<"$OUT"

	# Wipe everything, restore, save again: byte-identical.
	pm "$NS_RTR" nat-server flush
	pm "$NS_RTR" map flush --force
	pm "$NS_RTR" config set strict on max-expect 4
	pm "$NS_RTR" -j map list
	jq_ok "wiped" 'length == 0'
	pm "$NS_RTR" restore --check "$T_DIR/saved.conf"
	check "--check: valid" test "$RC" = 0
	check "--check says what it would do" grep -q "would add 4 and delete 0 mapping(s), change the settings, rewrite the nat-server rules" <<<"$OUT"
	pm "$NS_RTR" -j map list
	jq_ok "--check changed nothing" 'length == 0'
	pm "$NS_RTR" restore "$T_DIR/saved.conf"
	check "restore" test "$RC" = 0
	pm "$NS_RTR" save
	again=$OUT
	check "save | restore | save round-trips byte for byte" test "$saved" = "$again"
	pm "$NS_RTR" check
	expect_rc "no drift after restore" 0
	# From standard input too.
	nsx "$NS_RTR" "$PORTMAPCTL" restore - <"$T_DIR/saved.conf"
	check "restore - (stdin)" test $? = 0

	# A big file goes through the batched requests (many per message).
	{
		echo "config set strict on max-expect 4"
		for ((p = 1; p <= 3000; p++)); do echo "map add $p"; done
		for ((p = 1; p <= 500; p++)); do echo "map add 7 host 10.9.$((p / 256)).$((p % 256))"; done
	} >"$T_DIR/big.conf"
	pm "$NS_RTR" restore "$T_DIR/big.conf"
	expect_rc "restore of 3500 mappings" 0
	pm "$NS_RTR" -j map list
	jq_ok "all 3500 there, each once" 'length == 3500 and ([.[] | [.port, .host]] | unique | length) == 3500'
	pm "$NS_RTR" restore "$T_DIR/saved.conf"
	check "back to the saved state" test "$RC" = 0
	pm "$NS_RTR" save
	check "... exactly" test "$saved" = "$OUT"

	# A bad file: refused with the line, nothing changes.
	printf 'map add 1\nmap add 99999\n' >"$T_DIR/bad.conf"
	pm "$NS_RTR" restore "$T_DIR/bad.conf"
	expect_rc "bad file refused" 1 "line 2: invalid port '99999'"
	pm "$NS_RTR" restore --check "$T_DIR/bad.conf"
	expect_rc "--check of a bad file" 1 "line 2"
	pm "$NS_RTR" save
	check "a refused file changed nothing" test "$saved" = "$OUT"
	# An empty configuration empties the namespace.
	printf '' >"$T_DIR/empty.conf"
	pm "$NS_RTR" restore "$T_DIR/empty.conf"
	check "restore of an empty file" test "$RC" = 0
	pm "$NS_RTR" -j map list
	jq_ok "no mapping left" 'length == 0'
	check "table inet ftp_portmap gone" bash -c "! nsenter --net=/run/netns/$NS_RTR nft list table inet ftp_portmap >/dev/null 2>&1"
}

# restore is all or nothing: a refusal by the kernel after the mappings
# were changed undoes them
test_restore_atomic() {
	local before fifo pid
	must one_router
	must make_config
	pm "$NS_RTR" save
	printf '%s\n' "$OUT" >"$T_DIR/saved.conf"
	# Other mappings, other rules, and a setting the module refuses: the
	# mapping changes are made first, then the kernel says no.
	sed 's/max-expect 7/max-expect 65/; s/^map add 2121$/map add 2122/; /30000-30009/d' \
		"$T_DIR/saved.conf" >"$T_DIR/bad.conf"
	before=$(state_text "$NS_RTR")
	pm "$NS_RTR" restore --check "$T_DIR/bad.conf"
	expect_rc "--check finds the bad setting" 1 "max-expect out of range (1..64)"
	pm "$NS_RTR" restore "$T_DIR/bad.conf"
	expect_rc "restore refused by the kernel" 1 "max-expect out of range (1..64)"
	check "restore says nothing changed" grep -q "nothing changed" <<<"$ERR"
	check "every mapping, setting and rule as before (mappings were re-made)" \
		test "$before" = "$(state_text "$NS_RTR")"
	pm "$NS_RTR" map show 2122
	expect_rc "the restore's map add 2122 was undone" 1 "no such mapping"

	# Someone else owns table inet ftp_portmap (nft "flags owner", held
	# by a running nft): the table cannot be written, nor (nft 1.0.6
	# prints such a table as broken JSON) read.  restore and an atomic
	# batch then change nothing.
	pm "$NS_RTR" nat-server flush
	before=$(state_text "$NS_RTR")
	fifo=$T_DIR/nft.fifo
	mkfifo "$fifo"
	# nsenter and bash exec: $! is nft itself (it holds the table).
	nsenter --net="/run/netns/$NS_RTR" bash -c \
		"exec 3<>'$fifo'; exec nft -i <&3 >'$T_DIR/nft-i.out' 2>&1" &
	pid=$!
	echo "$pid" >>"$FPM_STATE/pids.list"
	sleep 0.5
	echo 'add table inet ftp_portmap { flags owner; }' >"$fifo"
	sleep 1
	pm "$NS_RTR" restore "$T_DIR/saved.conf"
	expect_rc "restore onto a table owned by another process fails" 1 "nothing changed"
	printf 'map add 4000\nnat-server add tcp global 203.0.113.1 4000 inside 10.10.10.10 4000\n' >"$T_DIR/b.batch"
	pm "$NS_RTR" -b "$T_DIR/b.batch"
	expect_rc "an atomic batch that cannot read the state does not start" 1 "batch"
	pm "$NS_RTR" map show 4000
	expect_rc "nothing of the batch ran" 1 "no such mapping"
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	sleep 0.5
	check "nothing changed meanwhile" test "$before" = "$(state_text "$NS_RTR")"
	pm "$NS_RTR" restore "$T_DIR/saved.conf"
	expect_rc "with the table free again, restore works" 0
	pm "$NS_RTR" save
	check "the saved state is back" test "$OUT" = "$(cat "$T_DIR/saved.conf")"
}

# map del/flush refuse to break an ftp nat-server rule unless --force
test_map_guard() {
	must one_router
	must make_config
	pm "$NS_RTR" map del 6293 host 10.10.10.10
	expect_rc "map del of an ftp rule's mapping refused" 1 \
		"map del 6293 host 10.10.10.10: nat-server rule 'tcp global 203.0.113.1 8021 inside 10.10.10.10 6293 ftp' needs this mapping"
	pm "$NS_RTR" map show 6293 host 10.10.10.10
	check "the mapping is still there" test "$RC" = 0
	pm "$NS_RTR" map flush
	expect_rc "map flush refused while ftp rules exist" 1 "needs this mapping"
	pm "$NS_RTR" -j map list
	jq_ok "flush refused: mappings kept" 'length == 4'
	pm "$NS_RTR" map del 2121
	expect_rc "map del of a mapping no rule needs" 0
	pm "$NS_RTR" map del 6293 host 10.10.10.10 --force
	expect_rc "map del --force" 0
	pm "$NS_RTR" -j nat-server list
	jq_ok "--force cleared the rule's ftp flag" \
		'any(.[]; .global_ports == [8021,8021] and .ftp == false and .status == "ok")'
	jq_ok "--force kept the rule" 'length == 4'
	pm "$NS_RTR" check
	expect_rc "no drift after --force" 0
	pm "$NS_RTR" map flush --force
	expect_rc "map flush --force" 0
	pm "$NS_RTR" -j nat-server list
	jq_ok "flush --force cleared every ftp flag" 'all(.[]; .ftp == false)'
	pm "$NS_RTR" -j map list
	jq_ok "flush --force emptied the table" 'length == 0'
}

# check reports drift (exit 1) and restore repairs it
test_check_drift() {
	local h
	must one_router
	must make_config
	pm "$NS_RTR" save
	printf '%s\n' "$OUT" >"$T_DIR/saved.conf"
	pm "$NS_RTR" check "$T_DIR/saved.conf"
	expect_rc "clean state: check exits 0" 0

	# 1. the mapping of an ftp rule removed behind portmapctl's back
	nsx "$NS_RTR" "$PY" "$RAW" FPM_CMD_MAP_DEL FPM_A_PORT:u16:6293 \
		FPM_A_FAMILY:u8:2 FPM_A_HOST4:ip:10.10.10.10 >/dev/null
	# 2. one copy of a rule deleted by hand
	h=$(nsx "$NS_RTR" nft -a list chain inet ftp_portmap nat_output |
		sed -n 's/.*30000-30009.* # handle \([0-9]*\)$/\1/p' | head -n1)
	nsx "$NS_RTR" nft delete rule inet ftp_portmap nat_output handle "$h"
	# 3. a rule added by hand
	nsx "$NS_RTR" nft add rule inet ftp_portmap nat_prerouting tcp dport 7 counter
	# 4. an iif rule whose interface is gone, and 5. one that shadows a
	# global rule (r0 holds 203.0.113.1)
	nsx "$NS_RTR" nft add rule inet ftp_portmap nat_prerouting iifname '"gone0"' \
		tcp dport 9 counter comment '"fpm tcp if=gone0 9-9 i=10.10.10.10 9-9"'
	pm "$NS_RTR" nat-server add tcp iif r0 8000-8030 inside 10.10.10.10 8000-8030
	check "iif rule beside the global one is accepted" test "$RC" = 0

	pm "$NS_RTR" check
	check "check finds drift: exit 1" test "$RC" = 1
	check "missing mapping reported" grep -q "^no-mapping: nat-server tcp global 203.0.113.1 8021 inside 10.10.10.10 6293 ftp: its mapping 6293 host 10.10.10.10 is missing" <<<"$OUT"
	check "partly deleted rule reported" grep -q "^partial: nat-server tcp global 203.0.113.1 30000-30009 .*1 of 2" <<<"$OUT"
	check "hand-added rule reported" grep -q "^foreign: .*1 rule" <<<"$OUT"
	check "inactive iif reported" grep -q "^inactive: .*gone0" <<<"$OUT"
	check "iif/global overlap reported" grep -q "^overlap: .*iif r0 8000-8030.*8021\|^overlap: .*8021.*iif r0 8000-8030" <<<"$OUT"
	pm "$NS_RTR" -j check
	jq_ok "check --json" '.ok == false and ([.drift[].kind] | index("no-mapping") != null)'
	pm "$NS_RTR" -j nat-server list
	jq_ok "list: status no-mapping" 'any(.[]; .global_ports == [8021,8021] and (.status | test("no-mapping")))'
	jq_ok "list: status partial" 'any(.[]; .global_ports == [30000,30009] and (.status | test("partial")))'
	jq_ok "list: status inactive" 'any(.[]; .iif == "gone0" and (.status | test("inactive")))'
	jq_ok "list: status shadowed" 'any(.[]; .iif == "r0" and .global_ports == [8000,8030] and (.status | test("shadowed")))'
	pm "$NS_RTR" nat-server list
	check "text list has a STATUS column" grep -q "STATUS" <<<"$OUT"
	pm "$NS_RTR" check "$T_DIR/saved.conf"
	check "against the saved file: the extra rules" grep -q "^extra: nat-server tcp iif r0 8000-8030" <<<"$OUT"

	# The Debian nftables reload: "flush ruleset" takes the whole table.
	nsx "$NS_RTR" nft flush ruleset
	pm "$NS_RTR" check "$T_DIR/saved.conf"
	check "after flush ruleset: drift (exit 1)" test "$RC" = 1
	check "the rules are reported gone" grep -q "^missing: nat-server tcp global 203.0.113.1 8021 inside 10.10.10.10 6293 ftp is saved but gone from nftables" <<<"$OUT"

	pm "$NS_RTR" restore "$T_DIR/saved.conf"
	check "restore repairs" test "$RC" = 0
	pm "$NS_RTR" check "$T_DIR/saved.conf"
	expect_rc "no drift after restore" 0
	[ "$RC" = 0 ] || info "$OUT"
}

# batch: atomic by default, -force goes on like ip -batch
test_batch() {
	must one_router
	printf '# comment\nmap add 1\n\nmap add 2\nmap add 1\nmap add 3\n' >"$T_DIR/b"
	pm "$NS_RTR" -b "$T_DIR/b"
	expect_rc "atomic batch fails at line 5" 1 "$T_DIR/b:5: command failed"
	pm "$NS_RTR" -j map list
	jq_ok "atomic batch: nothing left" 'length == 0'
	pm "$NS_RTR" -batch "$T_DIR/b" -force
	expect_rc "-force batch: exit 1" 1 "1 command(s) failed"
	pm "$NS_RTR" -j map list
	jq_ok "-force batch: every good line ran" '[.[].port] == [1,2,3]'
	printf 'map flush\nmap add 10\nnat-server add tcp global 203.0.113.1 21 inside 10.10.10.10 21 ftp\nconfig set max-expect 3\n' >"$T_DIR/ok"
	pm "$NS_RTR" -batch "$T_DIR/ok"
	expect_rc "good batch" 0
	pm "$NS_RTR" -j map list
	jq_ok "good batch applied" '[.[].port] == [10,21]'
	printf 'nat-server flush\nmap del 10\nconfig set max-expect 65\n' >"$T_DIR/bad2"
	pm "$NS_RTR" -b "$T_DIR/bad2"
	expect_rc "batch fails in the kernel at line 3" 1 "max-expect out of range (1..64)"
	pm "$NS_RTR" -j nat-server list
	jq_ok "atomic batch: the nat-server flush was undone" 'length == 1 and .[0].ftp == true'
	pm "$NS_RTR" -j map list
	jq_ok "atomic batch: the map del was undone" '[.[].port] == [10,21]'
	pm "$NS_RTR" -j config show
	jq_ok "atomic batch: settings kept" '.max_expect == 3'
	# A chain of one's own in the CLI's table: the undo writes the table
	# again without it, and says so.
	must nsx "$NS_RTR" nft add chain inet ftp_portmap mychain
	printf 'nat-server add tcp global 203.0.113.1 2222 inside 10.10.10.10 22\nnat-server add tcp global 203.0.113.1 2222 inside 10.10.10.11 22\n' >"$T_DIR/bad3"
	pm "$NS_RTR" -b "$T_DIR/bad3"
	expect_rc "undo with a foreign chain in the table: says what went" 1 "without what was added to it by hand (0 rule(s), 1 other object(s), e.g. chain mychain)"
	pm "$NS_RTR" -j nat-server list
	jq_ok "the undo kept the rules as before" 'length == 1 and .[0].ftp == true'
	pm "$NS_RTR" -b "$T_DIR/none"
	expect_rc "missing batch file" 1 "No such file"
}

# map list is ordered by port, then host (none, IPv4, IPv6)
test_map_order() {
	must one_router
	printf '%s\n' "map add 50 host 2001:db8::2" "map add 50 host 10.0.0.2" "map add 50" \
		"map add 7" "map add 50 host 10.0.0.1" "map add 65535" >"$T_DIR/b"
	pm "$NS_RTR" -b "$T_DIR/b"
	pm "$NS_RTR" -j map list
	jq_ok "ordered" '[.[] | [.port, .host]] == [[7,null],[50,null],[50,"10.0.0.1"],[50,"10.0.0.2"],[50,"2001:db8::2"],[65535,null]]'
}

# stats reset zeroes the namespace and mapping counters (module side)
test_stats_reset() {
	must topo_basic
	must vsftpd_start "$NS_SRV" 6293
	must router_nft "$NS_RTR" r0 "dnat4 $PUB4 8021 $SRV4 6293"
	must map_add "$NS_RTR" 6293
	expect_xfer_ok "a download to move the counters" \
		ftp_get "$NS_CLI" "ftp://$PUB4:8021" passive "$SRV_FILE"
	check_ge "conns counted" 1 "$(stat_counter "$NS_RTR" conns)"
	pm "$NS_RTR" stats reset
	if [ "$RC" != 0 ]; then
		fail "stats reset: exit $RC: $ERR (the module lacks FPM_CMD_STATS_RESET, issue 10)"
		return
	fi
	pass "stats reset"
	check_eq "namespace conns after reset" 0 "$(stat_counter "$NS_RTR" conns)"
	check_eq "namespace lines after reset" 0 "$(stat_counter "$NS_RTR" lines)"
	check_eq "mapping conns after reset" 0 "$(map_counter "$NS_RTR" 6293 conns)"
	check_eq "the mapping stays" 1 "$(pm_json "$NS_RTR" 'length' map list --json)"
}

# conn list shows the helped control connection, its mapping and counters
test_conn_list() {
	local pid j
	must topo_basic
	must vsftpd_start "$NS_SRV" 6293
	must router_nft "$NS_RTR" r0 "dnat4 $PUB4 8021 $SRV4 6293"
	must map_add "$NS_RTR" 6293 "$SRV4"
	# A session that stays open while we look.
	nsx "$NS_CLI" timeout 60 lftp -c "$LFTP_SETTINGS
		set ftp:passive-mode on; set ftp:prefer-epsv no
		open -u anonymous,x@example.org ftp://$PUB4:8021; cls >/dev/null; sleep 15; cls >/dev/null" \
		>"$T_DIR/lftp.out" 2>&1 &
	pid=$!
	echo "$pid" >>"$FPM_STATE/pids.list"
	sleep 6
	pm "$NS_RTR" -j conn list
	check "conn list --json" test "$RC" = 0
	j=$OUT
	jq_ok "the control connection is listed, DNATed" \
		'any(.[]; .orig.dport == 8021 and .orig.dst == "203.0.113.1" and .reply.src == "10.10.10.10" and .reply.sport == 6293 and .nat == "dnat" and .state == "ESTABLISHED")'
	jq_ok "keys" 'all(.[]; has("id") and has("orig") and has("reply") and has("mapping") and has("encrypted") and has("lines") and has("rewrites") and has("pending") and has("expectations"))'
	pm "$NS_RTR" conn list
	check "text conn list" grep -q "203.0.113.1:8021" <<<"$OUT"
	OUT=$j
	if printf '%s' "$j" | jq -e 'any(.[]; .info == true)' >/dev/null; then
		jq_ok "mapping 6293 host 10.10.10.10 matched" \
			'any(.[]; .mapping.port == 6293 and .mapping.host == "10.10.10.10")'
		jq_ok "clear text, lines parsed, a rewrite" \
			'any(.[]; .encrypted == false and .lines >= 3 and .rewrites >= 1 and .nat_rewrites == true)'
	else
		fail "conn list: no per-connection details: the loaded module does not export CTA_HELP_INFO (issue 10, module side)"
	fi
	wait "$pid" 2>/dev/null
}

# ftp-portmap.service: what its ExecStart/ExecReload do brings the
# nat-server rules back after a Debian-style nftables reload
test_service_reload() {
	local unit start reload conf
	must one_router
	unit=$T_DIR/ftp-portmap.service
	conf=$T_DIR/ftp-portmap.conf
	sed -e "s|@SBINDIR@|$(dirname "$PORTMAPCTL")|g" -e "s|@CONFFILE@|$conf|g" \
		"$UNIT_IN" >"$unit"
	check "unit is ordered after and reloaded with nftables.service" \
		grep -q '^ReloadPropagatedFrom=nftables.service$' "$unit"
	check "unit is PartOf nftables.service" grep -q '^PartOf=nftables.service$' "$unit"
	start=$(sed -n 's/^ExecStart=//p' "$unit")
	reload=$(sed -n 's/^ExecReload=//p' "$unit")
	must make_config
	pm "$NS_RTR" save
	printf '%s\n' "$OUT" >"$conf"
	# What /etc/nftables.conf of Debian does on "systemctl reload nftables".
	cat >"$T_DIR/nftables.conf" <<-'EOF'
		#!/usr/sbin/nft -f
		flush ruleset
		table inet filter {
			chain input { type filter hook input priority filter; }
			chain forward { type filter hook forward priority filter; ct status dnat accept; }
			chain output { type filter hook output priority filter; }
		}
	EOF
	nsx "$NS_RTR" nft -f "$T_DIR/nftables.conf"
	check "the reload removed the nat-server rules" \
		bash -c "! nsenter --net=/run/netns/$NS_RTR nft list table inet ftp_portmap >/dev/null 2>&1"
	# shellcheck disable=SC2086 # the unit's command line, split as systemd does
	nsx "$NS_RTR" $reload
	check "ExecReload ($reload) succeeds" test $? = 0
	pm "$NS_RTR" check "$conf"
	expect_rc "after ExecReload: no drift" 0
	check "the user's table survived" nsx "$NS_RTR" nft list table inet filter
	# Boot: ExecStart on a namespace where only the module is there.
	nsx "$NS_RTR" nft flush ruleset
	pm "$NS_RTR" map flush --force
	# shellcheck disable=SC2086
	nsx "$NS_RTR" $start
	check "ExecStart ($start) succeeds" test $? = 0
	pm "$NS_RTR" save
	check "after ExecStart the configuration is the saved one" test "$OUT" = "$(cat "$conf")"
}

run_suite "$@"
