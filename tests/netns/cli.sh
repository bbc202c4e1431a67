#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# portmapctl and the generic netlink family, end to end (no traffic):
# every command and error path of the CLI, the kernel's own validation
# (through tests/netns/genl_raw.py), the module's policies against the
# genetlink spec (Documentation/netlink/specs/ftp_portmap.yaml, through
# tests/spec/fpm_spec.py), per-namespace tables and settings, permissions,
# and big tables (multi-part dumps, all 65535 ports).
#
#   tests/netns/cli.sh        (as root, in the VM: tests/run-netns.sh cli)
#
# A netns suite on tests/netns/lib.sh: every test in fresh namespaces;
# TEST_FILTER, FPM_VERBOSE, FPM_KEEP as there.  The suite loads the module
# (and unloads it at the end when it loaded it); the tests of the
# unloaded module unload it themselves and are skipped when it is busy.
#
# Environment:
#   FPM_KO (or FPM_MODULE), PORTMAPCTL   paths of the module and the tool
#   CLI_BIG              mappings of the big run (default 65535)

# Test functions are called indirectly (by name), hence SC2317; the
# "outcome" conditions are single-quoted for eval on purpose (SC2016).
# shellcheck disable=SC2317,SC2016
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

[ -n "${FPM_KO:-}" ] && FPM_MODULE=$FPM_KO
RAW=$NETNS_DIR/genl_raw.py
SPEC_CHECK=$REPO/tests/spec/fpm_spec.py
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
BIG=${CLI_BIG:-65535}
SUITE_TOOLS="setpriv $PY"
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)

# pm NS|- ARGS...: portmapctl in namespace NS ("-": this one); RC OUT ERR.
pm() {
	local ns=$1
	shift
	capture "$ns" "$PORTMAPCTL" "$@"
}

# raw NS ARGS...: a hand-made request through genl_raw.py (it reports on
# stdout, so OUT goes into ERR too).
raw() {
	local ns=$1
	shift
	capture "$ns" "$PY" "$RAW" "$@"
	ERR="$OUT$ERR"
}

# expect NAME RC [STDERR-SUBSTRING [STDOUT-SUBSTRING]]: judge the last
# command: its exit status, and on failure a message prefixed
# "portmapctl:".
expect() {
	local name=$1 want_rc=$2 want_err=${3:-} want_out=${4:-}
	if [ "$RC" != "$want_rc" ]; then
		fail "$name: exit $RC, want $want_rc (stderr: ${ERR:0:200})"
	elif [ -n "$want_err" ] && [[ $ERR != *"$want_err"* ]]; then
		fail "$name: stderr '${ERR:0:200}' lacks '$want_err'"
	elif [ -n "$want_out" ] && [[ $OUT != *"$want_out"* ]]; then
		fail "$name: stdout '${OUT:0:200}' lacks '$want_out'"
	elif [ "$want_rc" != 0 ] && [ -z "$ERR" ]; then
		fail "$name: failed without a message"
	elif [ "$want_rc" != 0 ] && [[ $ERR != portmapctl:* ]] && [[ $ERR != errno* ]]; then
		fail "$name: error not prefixed 'portmapctl:': ${ERR:0:200}"
	else
		pass "$name"
	fi
}

# json NAME JQ-FILTER: the last stdout, as JSON, satisfies the filter.
json() {
	if [ "$RC" != 0 ]; then
		fail "$1: exit $RC (stderr: ${ERR:0:200})"
	else
		check_json "$1" "$2" "$OUT"
	fi
}

# outcome NAME CONDITION-CMD...: a check on the last output (a shell test).
outcome() {
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name: stdout '${OUT:0:200}' stderr '${ERR:0:200}'"; fi
}

# Namespaces of a test: NS_A, NS_B (no links: no traffic here).
two_ns() {
	local names
	names=$(ns_add a b) || return 1
	{ read -r NS_A; read -r NS_B; } <<<"$names"
}

modver() { cat /sys/module/ftp_portmap/version 2>/dev/null || echo "?"; }

# The four mappings the table test leaves (6293, 6293 host, 65535, 1 less
# the deleted ones): what the stats and settings tests start from.
four_mappings() {
	pmctl "$1" map add 6293 && pmctl "$1" map add 2121 host 2001:db8::ffff:a0a:a0a &&
		pmctl "$1" map add 65535 && pmctl "$1" map add 1
}

# portmapctl without the module: version works, the rest says how to load it
test_unloaded() {
	if ! module_unload; then
		skip "module-not-loaded checks: ftp_portmap is loaded and busy"
		return
	fi
	pm - version
	expect "version without module" 0 "" "module: not loaded"
	pm - --json version
	json "version --json without module" '.module == null and .loaded == false and (.portmapctl | type == "string")'
	pm - map list
	expect "map list without module" 1 "module ftp_portmap not loaded"
	outcome "hint: modprobe" eval '[[ $ERR == *"modprobe ftp_portmap"* ]]'
	pm - map add 6293
	expect "map add without module" 1 "module ftp_portmap not loaded"
	pm - stats
	expect "stats without module" 1 "module ftp_portmap not loaded"
	check "insmod $FPM_MODULE" module_load
}

# version: the tool's and the module's
test_version() {
	must two_ns
	pm "$NS_A" version
	expect "version" 0 "" "module: 0."
	pm "$NS_A" version -j
	json "version --json" ".loaded == true and .module == \"$(modver)\""
	pm - -V
	expect "-V" 0 "" "portmapctl "
}

# usage errors: exit 2, a message on stderr
test_usage() {
	local bad
	must two_ns
	pm - help
	expect "help" 0 "" "Usage: portmapctl"
	pm - -h
	expect "-h" 0 "" "Usage: portmapctl"
	pm -
	outcome "no arguments: usage on stderr, exit 2" \
		eval '[ "$RC" = 2 ] && [[ $ERR == Usage:* ]] && [ -z "$OUT" ]'
	pm - frobnicate
	expect "unknown object" 2 "unknown object 'frobnicate'"
	pm - map
	expect "map without command" 2 "missing command"
	pm - map frob
	expect "map unknown command" 2 "unknown command 'frob'"
	pm - --frob map list
	expect "unknown option" 2 "unknown option"
	for bad in 0 65536 -1 +21 0x15 21a "" 99999999999 " 21"; do
		pm "$NS_A" map add "$bad"
		expect "map add port '$bad'" 2 "invalid port"
	done
	pm "$NS_A" map add
	expect "map add without port" 2 "missing PORT"
	pm "$NS_A" map add 21 host
	expect "map add host without address" 2 "needs an address"
	for bad in 10.1 300.1.1.1 fe80::1%lo ftp.example.org; do
		pm "$NS_A" map add 21 host "$bad"
		expect "map add host '$bad'" 2 "invalid address"
	done
	pm "$NS_A" map add 21 hots 10.0.0.1
	expect "map add misspelt keyword" 2 "unexpected argument"
	pm "$NS_A" map add 21 host 10.0.0.1 extra
	expect "map add trailing word" 2 "unexpected argument 'extra'"
	pm "$NS_A" map list extra
	expect "map list trailing word" 2 "unexpected argument"
	pm "$NS_A" map flush now
	expect "map flush trailing word" 2 "unexpected argument"
	pm "$NS_A" config set
	expect "config set nothing" 2 "nothing to set"
	pm "$NS_A" config set strict maybe
	expect "config set strict maybe" 2 "strict needs"
	pm "$NS_A" config set max-expect lots
	expect "config set max-expect lots" 2 "max-expect needs a number"
	pm "$NS_A" config set strict on strict off
	expect "config set strict twice" 2 "given twice"
	pm "$NS_A" config set colour blue
	expect "config set unknown" 2 "unknown setting"
	pm "$NS_A" stats extra
	expect "stats trailing word" 2 "unexpected argument"
}

# the table: add, list, show, delete, with and without hosts; then stats
test_table() {
	must two_ns
	pm "$NS_A" map list --json
	json "fresh namespace: empty table" '. == []'
	pm "$NS_A" map add 6293
	expect "map add 6293" 0
	outcome "map add prints nothing" eval '[ -z "$OUT$ERR" ]'
	pm "$NS_A" map add 6293
	expect "map add 6293 again" 1 "mapping exists"
	outcome "exists message names the mapping" \
		eval '[[ $ERR == "portmapctl: map add 6293: mapping exists" ]]'
	pm "$NS_A" map add 6293 host 10.10.10.10
	expect "map add 6293 host 10.10.10.10 (beside the wildcard)" 0
	pm "$NS_A" map add 6293 host 10.10.10.10
	expect "map add 6293 host 10.10.10.10 again" 1 "mapping exists"
	pm "$NS_A" map add 2121 host 2001:DB8::1
	expect "map add 2121 host 2001:db8::1" 0
	pm "$NS_A" map add 2121 host 2001:db8::ffff:a0a:a0a
	expect "map add 2121 host 2001:db8::ffff:a0a:a0a" 0
	pm "$NS_A" map add 65535
	expect "map add 65535" 0
	pm "$NS_A" map add 1
	expect "map add 1" 0

	pm "$NS_A" -j map list
	json "map list --json: 6 mappings" 'length == 6'
	json "map list --json: ordered by port" '[.[].port] == ([.[].port] | sort)'
	json "map list --json: fields" 'all(.[]; (keys | sort) == ["conns","expects","host","lines","port","rewrites"])'
	json "map list --json: counters start at 0" 'all(.[]; .conns == 0 and .lines == 0 and .expects == 0 and .rewrites == 0)'
	json "map list --json: hosts" '[.[] | select(.port == 6293) | .host] | sort_by(. // "") == [null, "10.10.10.10"]'
	json "map list --json: ipv6 host" '[.[] | select(.port == 2121) | .host] | sort == ["2001:db8::1", "2001:db8::ffff:a0a:a0a"]'
	pm "$NS_A" map list
	expect "map list (text)" 0 "" "PORT"
	outcome "map list: header + 6 lines" eval '[ "$(printf "%s\n" "$OUT" | wc -l)" = 7 ]'
	outcome "map list text shows hosts" \
		eval '[[ $OUT == *"2001:db8::1"* && $OUT == *"10.10.10.10"* && $OUT == *"65535"* ]]'

	pm "$NS_A" map show 6293 --json
	json "map show 6293" '.port == 6293 and .host == null and .conns == 0'
	pm "$NS_A" map show 6293 host 10.10.10.10 --json
	json "map show 6293 host 10.10.10.10" '.port == 6293 and .host == "10.10.10.10"'
	pm "$NS_A" map show 6293
	expect "map show (text)" 0 "" "6293"
	pm "$NS_A" map show 7000
	expect "map show missing" 1 "no such mapping"
	pm "$NS_A" map show 6293 host 10.10.10.11
	expect "map show missing host" 1 "no such mapping"
	pm "$NS_A" map del 7000
	expect "map del missing" 1 "no such mapping"
	outcome "missing message names the mapping" \
		eval '[[ $ERR == "portmapctl: map del 7000: no such mapping" ]]'
	pm "$NS_A" map del 6293 host 10.10.10.11
	expect "map del wrong host" 1 "no such mapping"
	pm "$NS_A" map del 6293 host 10.10.10.10
	expect "map del 6293 host 10.10.10.10" 0
	pm "$NS_A" map show 6293 host 10.10.10.10
	expect "deleted mapping is gone" 1 "no such mapping"
	pm "$NS_A" map show 6293
	expect "the wildcard stays" 0
	pm "$NS_A" map delete 2121 host 2001:db8:0::1
	expect "map delete (alias, other spelling of the address)" 0

	pm "$NS_A" stats --json
	json "stats --json keys" '(keys | sort) == (["addr_mismatch","ccc","conns","expect_fail","expect_limit","expects","line_toolong","lines","mappings","nomem","ooo","parse_reject","port_low","rewrite_fail","rewrites","tls","unpaired","resync","held","orphans","related_nat"] | sort)'
	json "stats --json: 4 mappings" '.mappings == 4'
	json "stats --json: numbers" 'all(.[]; type == "number")'
	pm "$NS_A" stats
	expect "stats (text)" 0 "" "mappings"
}

# settings: per namespace, range-checked, all or nothing
test_settings() {
	must two_ns
	must four_mappings "$NS_A"
	pm "$NS_A" config show --json
	json "config show: defaults" '.strict == true and .max_expect == 4 and .mappings == 4 and .max_mappings > 0'
	json "config show: version" ".version == \"$(modver)\""
	pm "$NS_A" config set strict off max-expect 10
	expect "config set strict off max-expect 10" 0
	pm "$NS_A" config show -j
	json "config set took" '.strict == false and .max_expect == 10'
	pm "$NS_A" config set max-expect 64
	expect "config set max-expect 64" 0
	pm "$NS_A" config set max-expect 1
	expect "config set max-expect 1" 0
	pm "$NS_A" config set max-expect 0
	expect "config set max-expect 0" 1 "max-expect out of range (1..64)"
	pm "$NS_A" config set max-expect 65
	expect "config set max-expect 65" 1 "max-expect out of range (1..64)"
	pm "$NS_A" config set strict on max-expect 4294967295
	expect "config set: one bad value changes nothing" 1 "max-expect out of range"
	pm "$NS_A" config show -j
	json "config unchanged after a refused set" '.strict == false and .max_expect == 1'
	pm "$NS_A" config set strict on
	expect "config set strict on" 0
	pm "$NS_A" config show
	expect "config show (text)" 0 "" "strict          on"
	pm "$NS_B" config show -j
	json "settings are per namespace" '.strict == true and .max_expect == 4 and .mappings == 0'
}

# two namespaces, two independent tables
test_namespaces() {
	must two_ns
	must four_mappings "$NS_A"
	pm "$NS_B" map list -j
	json "namespace B starts empty" '. == []'
	pm "$NS_B" map add 6293
	expect "namespace B: add 6293 (exists only in A)" 0
	pm "$NS_B" map add 100 host 192.0.2.1
	expect "namespace B: add 100 host 192.0.2.1" 0
	pm "$NS_A" map flush
	expect "namespace A: flush" 0
	pm "$NS_A" map list -j
	json "namespace A empty after flush" '. == []'
	pm "$NS_B" map list -j
	json "namespace B untouched by A's flush" 'length == 2'
	pm "$NS_A" stats -j
	json "stats after flush: 0 mappings" '.mappings == 0'
}

# permissions: CAP_NET_ADMIN in the namespace's user namespace
test_permissions() {
	local rootlist
	must two_ns
	must pmctl "$NS_B" map add 6293
	must pmctl "$NS_B" map add 100 host 192.0.2.1
	pm "$NS_B" map list
	rootlist=$OUT
	capture "$NS_B" "${NOBODY[@]}" "$PORTMAPCTL" map list
	expect "nobody: map list" 1 "permission denied"
	capture "$NS_B" "${NOBODY[@]}" "$PORTMAPCTL" map add 7
	expect "nobody: map add" 1 "permission denied"
	capture "$NS_B" "${NOBODY[@]}" "$PORTMAPCTL" map flush
	expect "nobody: map flush" 1 "permission denied"
	capture "$NS_B" "${NOBODY[@]}" "$PORTMAPCTL" stats
	expect "nobody: stats" 1 "permission denied"
	capture "$NS_B" "${NOBODY[@]}" "$PORTMAPCTL" config set strict off
	expect "nobody: config set" 1 "permission denied"
	capture "$NS_B" "${NOBODY[@]}" "$PORTMAPCTL" version
	expect "nobody: version (from sysfs)" 0 "" "module: $(modver)"
	pm "$NS_B" map list
	check_eq "nobody changed nothing" "$rootlist" "$OUT"
	# CAP_NET_ADMIN over a namespace of one's own user namespace is enough.
	if "${NOBODY[@]}" unshare -Urn true 2>/dev/null; then
		capture - "${NOBODY[@]}" unshare -Urn \
			sh -c "'$PORTMAPCTL' map add 2121 && '$PORTMAPCTL' -j map list"
		json "user namespace root: own table" 'length == 1 and .[0].port == 2121'
	else
		skip "user-namespace check: unprivileged user namespaces disabled"
	fi
}

# the kernel's own validation, with requests portmapctl never makes
test_kernel_validation() {
	must two_ns
	raw "$NS_A" FPM_CMD_MAP_ADD FPM_A_PORT:u16:0
	expect "kernel: port 0 (policy)" 1 "errno ERANGE"
	raw "$NS_A" FPM_CMD_MAP_ADD
	expect "kernel: no port" 1 "missing port"
	raw "$NS_A" FPM_CMD_MAP_ADD FPM_A_PORT:u16:21 FPM_A_FAMILY:u8:10 FPM_A_HOST4:ip:10.0.0.1
	expect "kernel: HOST4 with AF_INET6" 1 "host address family mismatch"
	raw "$NS_A" FPM_CMD_MAP_ADD FPM_A_PORT:u16:21 FPM_A_FAMILY:u8:2 FPM_A_HOST6:ip:2001:db8::1
	expect "kernel: HOST6 with AF_INET" 1 "host address family mismatch"
	raw "$NS_A" FPM_CMD_MAP_ADD FPM_A_PORT:u16:21 FPM_A_FAMILY:u8:2 FPM_A_HOST4:ip:10.0.0.1 FPM_A_HOST6:ip:2001:db8::1
	expect "kernel: both hosts" 1 "host address family mismatch"
	raw "$NS_A" FPM_CMD_MAP_ADD FPM_A_PORT:u16:21 FPM_A_HOST4:ip:10.0.0.1
	expect "kernel: host without family" 1 "host address without family"
	raw "$NS_A" FPM_CMD_MAP_ADD FPM_A_PORT:u16:21 FPM_A_FAMILY:u8:2
	expect "kernel: family without host" 1 "missing host address"
	raw "$NS_A" FPM_CMD_MAP_ADD FPM_A_PORT:u16:21 FPM_A_FAMILY:u8:7 FPM_A_HOST4:ip:10.0.0.1
	expect "kernel: family 7" 1 "address family must be AF_INET or AF_INET6"
	raw "$NS_A" FPM_CMD_MAP_ADD FPM_A_PORT:u16:21 FPM_A_FAMILY:u8:11 FPM_A_HOST6:ip:2001:db8::1
	expect "kernel: family 11 (policy)" 1 "errno ERANGE"
	raw "$NS_A" FPM_CMD_CONFIG_SET FPM_A_MAX_EXPECT:u32:0
	expect "kernel: MAX_EXPECT 0 (policy)" 1 "errno ERANGE"
	raw "$NS_A" FPM_CMD_CONFIG_SET FPM_A_MAX_EXPECT:u32:65
	expect "kernel: MAX_EXPECT 65 (policy)" 1 "errno ERANGE"
	raw "$NS_A" FPM_CMD_MAP_ADD FPM_A_PORT:u16:21 FPM_A_FAMILY:u8:2 FPM_A_HOST4:hex:0a0000
	expect "kernel: 3-byte HOST4" 1 "errno ERANGE"
	raw "$NS_A" FPM_CMD_MAP_ADD FPM_A_PORT:u32:21
	expect "kernel: 4-byte PORT" 1 "errno EINVAL"
	raw "$NS_A" FPM_CMD_MAP_ADD FPM_A_PORT:u16:21 FPM_A_STRICT:u8:1
	expect "kernel: STRICT on MAP_ADD" 1 "errno EINVAL"
	raw "$NS_A" FPM_CMD_MAP_FLUSH FPM_A_PORT:u16:21
	expect "kernel: attribute on MAP_FLUSH" 1 "errno EINVAL"
	raw "$NS_A" FPM_CMD_CONFIG_SET FPM_A_STRICT:u8:2
	expect "kernel: STRICT 2" 1 "errno ERANGE"
	raw "$NS_A" FPM_CMD_CONFIG_SET
	expect "kernel: empty CONFIG_SET" 1 "nothing to set"
	raw "$NS_A" --reserved 1 FPM_CMD_CONFIG_GET
	expect "kernel: reserved header bits" 1 "errno EINVAL"
	raw "$NS_A" FPM_CMD_MAP_ADD FPM_A_PORT:u16:21 FPM_A_FAMILY:u8:2 FPM_A_HOST4:ip:10.0.0.1
	expect "kernel: well-formed add" 0 "" "ok"
	raw "$NS_A" --dump FPM_CMD_MAP_GET
	expect "kernel: dump" 0 "" "ok 1"
	raw "$NS_A" 99
	check_eq "genl_raw usage" 2 "$RC"
}

# the module's family, operations and policies are those of the YNL spec
test_spec_policies() {
	local line
	must two_ns
	capture "$NS_A" "$PY" "$SPEC_CHECK" kernel
	while IFS= read -r line; do
		case "$line" in
		ok:*) pass "spec: ${line#ok: }" ;;
		FAIL:*) fail "spec: ${line#FAIL: }" ;;
		esac
	done <<<"$OUT"
	check_eq "fpm_spec.py kernel exit status" 0 "$RC"
	[ -z "$ERR" ] || info "fpm_spec.py stderr: ${ERR:0:300}"
}

# big tables: batches, multi-part dumps, every port
test_big_tables() {
	local p start
	must two_ns
	must pmctl "$NS_B" map add 6293
	must pmctl "$NS_B" map add 100 host 192.0.2.1
	{
		echo "# generated"
		for ((p = 1; p <= 2500; p++)); do echo "map add $p"; done
		for ((p = 1; p <= 500; p++)); do echo "map add $p host 10.1.$((p / 256)).$((p % 256))"; done
	} >"$T_DIR/batch-small"
	pm "$NS_A" -b "$T_DIR/batch-small"
	expect "batch: 3000 adds" 0
	pm "$NS_A" map list -j
	json "dump of 3000 mappings (multi-part)" 'length == 3000 and ([.[] | [.port, .host]] | unique | length) == 3000'
	json "dump of 3000: ports ascending" '[.[].port] == ([.[].port] | sort)'
	pm "$NS_A" map list
	check_eq "text list of 3000" 3001 "$(printf '%s\n' "$OUT" | wc -l)"
	printf 'map add 5\n' >"$T_DIR/batch-dup"
	pm "$NS_A" -b "$T_DIR/batch-dup"
	expect "batch stops on failure" 1 "mapping exists"
	outcome "batch names the line" eval '[[ $ERR == *":1: command failed"* ]]'
	# Refused in the middle of one netlink message: the adds after it went
	# in and are undone; the reason stays the kernel's.
	printf 'map add 9001\nmap add 5\nmap add 9002\n' >"$T_DIR/batch-mid"
	pm "$NS_A" -b "$T_DIR/batch-mid"
	expect "batch refused in the middle: the kernel's reason" 1 "mapping exists"
	pm "$NS_A" map list -j
	json "the refused batch's later add is undone" '[.[] | select(.port == 9002)] | length == 0'
	pm "$NS_A" map flush
	expect "flush 3000" 0
	pm "$NS_A" stats -j
	json "0 mappings after flush of 3000" '.mappings == 0'

	for ((p = 1; p <= BIG; p++)); do echo "map add $p"; done >"$T_DIR/batch-big"
	start=$(date +%s)
	pm "$NS_A" -b "$T_DIR/batch-big"
	expect "batch: $BIG adds" 0
	pm "$NS_A" -j map list
	json "dump of $BIG mappings" "length == $BIG and .[0].port == 1 and .[-1].port == $BIG"
	pm "$NS_B" -j map list
	json "namespace B still has its 2" 'length == 2'
	pm "$NS_A" config show -j
	json "config: $BIG mappings" ".mappings == $BIG"
	pm "$NS_A" map flush
	expect "flush $BIG" 0
	pm "$NS_A" -j map list
	json "empty after flush of $BIG" '. == []'
	info "big run: $(($(date +%s) - start)) s"
}

# rmmod while namespaces hold mappings
test_rmmod_with_mappings() {
	if [ "${FPM_LOADED_BY_US:-0}" != 1 ]; then
		skip "the module was loaded before the suite: not unloaded"
		return
	fi
	must two_ns
	must pmctl "$NS_A" map add 2121
	must pmctl "$NS_B" map add 2121 host 2001:db8::2
	check "rmmod with mappings in two namespaces" module_unload
	pm "$NS_A" map list
	expect "map list after rmmod" 1 "module ftp_portmap not loaded"
}

# a full table: max_mappings is per namespace
test_max_mappings() {
	if [ "${FPM_LOADED_BY_US:-0}" != 1 ]; then
		skip "the module was loaded before the suite: not reloaded"
		return
	fi
	must two_ns
	if ! module_load max_mappings=3; then
		fail "insmod max_mappings=3: $FPM_SETUP_ERROR"
		return
	fi
	pass "insmod max_mappings=3"
	pm "$NS_A" map add 1 && pm "$NS_A" map add 2 host 10.0.0.1 &&
		pm "$NS_A" map add 2
	expect "max_mappings=3: 3 adds" 0
	pm "$NS_A" map add 4
	expect "max_mappings=3: 4th add" 1 "map add 4: mapping table full (max 3"
	pm "$NS_B" map add 4
	expect "max_mappings=3: the limit is per namespace" 0
	pm "$NS_A" map del 2
	pm "$NS_A" map add 4
	expect "max_mappings=3: room again after a del" 0
	check "rmmod after the max_mappings run" module_unload
}

run_suite "$@"
