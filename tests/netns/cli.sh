#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# portmapctl and the generic netlink family, end to end (no traffic):
# every command and error path of the CLI, the kernel's own validation
# (through tests/netns/genl_raw.py), per-namespace tables and settings,
# permissions, and big tables (multi-part dumps, all 65535 ports).
#
#   tests/netns/cli.sh        (as root, in the VM: tests/vm/run.sh
#                              tests/netns/cli.sh)
#
# Loads the module if it is not loaded (and unloads it at the end then);
# when it is loaded already and cannot be unloaded, the "module not
# loaded" checks are skipped.  Every check runs in fresh namespaces.
# Last line: "N passed, N failed"; exit status 1 when anything failed.
#
# Environment:
#   FPM_KO, PORTMAPCTL   paths of the module and the tool
#   CLI_BIG              mappings of the big run (default 65535)
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
FPM_KO=${FPM_KO:-$repo/ftp_portmap.ko}
PORTMAPCTL=${PORTMAPCTL:-$repo/tools/portmapctl/portmapctl}
RAW="$here/genl_raw.py"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
BIG=${CLI_BIG:-65535}

[ "$(id -u)" = 0 ] || { echo "cli: must run as root" >&2; exit 1; }
for t in ip jq setpriv "$PY"; do
	command -v "$t" >/dev/null || { echo "cli: $t missing" >&2; exit 1; }
done
[ -x "$PORTMAPCTL" ] || { echo "cli: $PORTMAPCTL missing (make cli)" >&2; exit 1; }

P=fpmcli$$
NS_A=$P-a NS_B=$P-b
TMP=$(mktemp -d "${TMPDIR:-/tmp}/fpm-cli.XXXXXX")
pass=0 fail=0
loaded_here=0

cleanup() {
	ip netns del "$NS_A" 2>/dev/null
	ip netns del "$NS_B" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

ok() { pass=$((pass + 1)); echo "ok   $*"; }
nok() { fail=$((fail + 1)); echo "FAIL $*"; }

# run [ns|-] CMD...: sets rc, out, err.
run() {
	local ns=$1
	shift
	if [ "$ns" = - ]; then
		"$@" >"$TMP/out" 2>"$TMP/err"
	else
		ip netns exec "$ns" "$@" >"$TMP/out" 2>"$TMP/err"
	fi
	rc=$?
	out=$(cat "$TMP/out")
	err=$(cat "$TMP/err")
}

# pm NS ARGS...: portmapctl in namespace NS ("-": this one).
pm() {
	local ns=$1
	shift
	run "$ns" "$PORTMAPCTL" "$@"
}

# expect NAME RC [STDERR-SUBSTRING [STDOUT-SUBSTRING]]: judge the last run.
expect() {
	local name=$1 want_rc=$2 want_err=${3:-} want_out=${4:-}
	if [ "$rc" != "$want_rc" ]; then
		nok "$name: exit $rc, want $want_rc (stderr: ${err:0:200})"
	elif [ -n "$want_err" ] && [[ $err != *"$want_err"* ]]; then
		nok "$name: stderr '${err:0:200}' lacks '$want_err'"
	elif [ -n "$want_out" ] && [[ $out != *"$want_out"* ]]; then
		nok "$name: stdout '${out:0:200}' lacks '$want_out'"
	elif [ "$want_rc" != 0 ] && [ -z "$err" ]; then
		nok "$name: failed without a message"
	elif [ "$want_rc" != 0 ] && [[ $err != portmapctl:* ]] && [[ $err != errno* ]]; then
		nok "$name: error not prefixed 'portmapctl:': ${err:0:200}"
	else
		ok "$name"
	fi
}

# check NAME JQ-FILTER: the last stdout, as JSON, satisfies the filter.
check_json() {
	local name=$1 filter=$2
	if [ "$rc" != 0 ]; then
		nok "$name: exit $rc (stderr: ${err:0:200})"
	elif printf '%s' "$out" | jq -e "$filter" >/dev/null 2>"$TMP/jqerr"; then
		ok "$name"
	else
		nok "$name: '${out:0:300}' fails '$filter' $(cat "$TMP/jqerr")"
	fi
}

# raw NS ARGS...: a hand-made request through genl_raw.py.
raw() {
	local ns=$1
	shift
	run "$ns" "$PY" "$RAW" "$@"
	err="$out$err"	# it reports on stdout
}

module_loaded() { [ -d /sys/module/ftp_portmap ]; }

# ---------------------------------------------------------------- unloaded
if module_loaded; then
	rmmod ftp_portmap 2>/dev/null || true
fi
if module_loaded; then
	echo "skip module-not-loaded checks: ftp_portmap is loaded and busy"
else
	pm - version
	expect "version without module" 0 "" "module: not loaded"
	pm - --json version
	check_json "version --json without module" '.module == null and .loaded == false and (.portmapctl | type == "string")'
	pm - map list
	expect "map list without module" 1 "module ftp_portmap not loaded"
	[[ $err == *"modprobe ftp_portmap"* ]] && ok "hint: modprobe" || nok "no modprobe hint: $err"
	pm - map add 6293
	expect "map add without module" 1 "module ftp_portmap not loaded"
	pm - stats
	expect "stats without module" 1 "module ftp_portmap not loaded"

	# insmod does not resolve dependencies: load them first.
	# shellcheck disable=SC2046
	modprobe -a $(modinfo -F depends "$FPM_KO" | tr ',' ' ') 2>/dev/null ||
		modprobe -a nf_conntrack nf_nat
	if insmod "$FPM_KO"; then
		ok "insmod $FPM_KO"
		loaded_here=1
	else
		nok "insmod $FPM_KO"
		echo "$pass passed, $fail failed"
		exit 1
	fi
fi

ip netns add "$NS_A" && ip netns add "$NS_B" || {
	nok "ip netns add"
	echo "$pass passed, $fail failed"
	exit 1
}

# ------------------------------------------------------------------ version
pm "$NS_A" version
expect "version" 0 "" "module: 0."
modver=$(cat /sys/module/ftp_portmap/version 2>/dev/null || echo "?")
pm "$NS_A" version -j
check_json "version --json" ".loaded == true and .module == \"$modver\""
pm - -V
expect "-V" 0 "" "portmapctl "

# ------------------------------------------------------------- usage errors
pm - help
expect "help" 0 "" "Usage: portmapctl"
pm - -h
expect "-h" 0 "" "Usage: portmapctl"
pm -
[ "$rc" = 2 ] && [[ $err == Usage:* ]] && [ -z "$out" ] && ok "no arguments: usage on stderr, exit 2" ||
	nok "no arguments: exit $rc, stderr ${err:0:80}"
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

# ------------------------------------------------------------- the table
pm "$NS_A" map list --json
check_json "fresh namespace: empty table" '. == []'
pm "$NS_A" map add 6293
expect "map add 6293" 0
[ -z "$out$err" ] && ok "map add prints nothing" || nok "map add printed: $out $err"
pm "$NS_A" map add 6293
expect "map add 6293 again" 1 "mapping exists"
[[ $err == "portmapctl: map add 6293: mapping exists" ]] && ok "exists message names the mapping" || nok "exists message: $err"
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
check_json "map list --json: 6 mappings" 'length == 6'
check_json "map list --json: ordered by port" '[.[].port] == ([.[].port] | sort)'
check_json "map list --json: fields" 'all(.[]; (keys | sort) == ["conns","expects","host","lines","port","rewrites"])'
check_json "map list --json: counters start at 0" 'all(.[]; .conns == 0 and .lines == 0 and .expects == 0 and .rewrites == 0)'
check_json "map list --json: hosts" '[.[] | select(.port == 6293) | .host] | sort_by(. // "") == [null, "10.10.10.10"]'
check_json "map list --json: ipv6 host" '[.[] | select(.port == 2121) | .host] | sort == ["2001:db8::1", "2001:db8::ffff:a0a:a0a"]'
pm "$NS_A" map list
expect "map list (text)" 0 "" "PORT"
[ "$(printf '%s\n' "$out" | wc -l)" = 7 ] && ok "map list: header + 6 lines" || nok "map list text: $out"
[[ $out == *"2001:db8::1"* && $out == *"10.10.10.10"* && $out == *"65535"* ]] && ok "map list text shows hosts" || nok "map list text: $out"

pm "$NS_A" map show 6293 --json
check_json "map show 6293" '.port == 6293 and .host == null and .conns == 0'
pm "$NS_A" map show 6293 host 10.10.10.10 --json
check_json "map show 6293 host 10.10.10.10" '.port == 6293 and .host == "10.10.10.10"'
pm "$NS_A" map show 6293
expect "map show (text)" 0 "" "6293"
pm "$NS_A" map show 7000
expect "map show missing" 1 "no such mapping"
pm "$NS_A" map show 6293 host 10.10.10.11
expect "map show missing host" 1 "no such mapping"
pm "$NS_A" map del 7000
expect "map del missing" 1 "no such mapping"
[[ $err == "portmapctl: map del 7000: no such mapping" ]] && ok "missing message names the mapping" || nok "missing message: $err"
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
check_json "stats --json keys" '(keys | sort) == (["addr_mismatch","ccc","conns","expect_fail","expect_limit","expects","line_toolong","lines","mappings","nomem","ooo","parse_reject","port_low","rewrite_fail","rewrites","tls","unpaired"] | sort)'
check_json "stats --json: 4 mappings" '.mappings == 4'
check_json "stats --json: numbers" 'all(.[]; type == "number")'
pm "$NS_A" stats
expect "stats (text)" 0 "" "mappings"

# ------------------------------------------------------------- settings
pm "$NS_A" config show --json
check_json "config show: defaults" '.strict == true and .max_expect == 4 and .mappings == 4 and .max_mappings > 0'
check_json "config show: version" ".version == \"$modver\""
pm "$NS_A" config set strict off max-expect 10
expect "config set strict off max-expect 10" 0
pm "$NS_A" config show -j
check_json "config set took" '.strict == false and .max_expect == 10'
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
check_json "config unchanged after a refused set" '.strict == false and .max_expect == 1'
pm "$NS_A" config set strict on
expect "config set strict on" 0
pm "$NS_A" config show
expect "config show (text)" 0 "" "strict          on"
pm "$NS_B" config show -j
check_json "settings are per namespace" '.strict == true and .max_expect == 4 and .mappings == 0'

# ------------------------------------------------ independent namespaces
pm "$NS_B" map list -j
check_json "namespace B starts empty" '. == []'
pm "$NS_B" map add 6293
expect "namespace B: add 6293 (exists only in A)" 0
pm "$NS_B" map add 100 host 192.0.2.1
expect "namespace B: add 100 host 192.0.2.1" 0
pm "$NS_A" map flush
expect "namespace A: flush" 0
pm "$NS_A" map list -j
check_json "namespace A empty after flush" '. == []'
pm "$NS_B" map list -j
check_json "namespace B untouched by A's flush" 'length == 2'
pm "$NS_A" stats -j
check_json "stats after flush: 0 mappings" '.mappings == 0'

# ------------------------------------------------------------ permissions
pm "$NS_B" map list
rootlist=$out
run "$NS_B" setpriv --reuid=65534 --regid=65534 --clear-groups "$PORTMAPCTL" map list
expect "nobody: map list" 1 "permission denied"
run "$NS_B" setpriv --reuid=65534 --regid=65534 --clear-groups "$PORTMAPCTL" map add 7
expect "nobody: map add" 1 "permission denied"
run "$NS_B" setpriv --reuid=65534 --regid=65534 --clear-groups "$PORTMAPCTL" map flush
expect "nobody: map flush" 1 "permission denied"
run "$NS_B" setpriv --reuid=65534 --regid=65534 --clear-groups "$PORTMAPCTL" stats
expect "nobody: stats" 1 "permission denied"
run "$NS_B" setpriv --reuid=65534 --regid=65534 --clear-groups "$PORTMAPCTL" config set strict off
expect "nobody: config set" 1 "permission denied"
run "$NS_B" setpriv --reuid=65534 --regid=65534 --clear-groups "$PORTMAPCTL" version
expect "nobody: version (from sysfs)" 0 "" "module: $modver"
pm "$NS_B" map list
[ "$out" = "$rootlist" ] && ok "nobody changed nothing" || nok "table changed: $out"
# CAP_NET_ADMIN over a namespace of one's own user namespace is enough.
if setpriv --reuid=65534 --regid=65534 --clear-groups unshare -Urn true 2>/dev/null; then
	run - setpriv --reuid=65534 --regid=65534 --clear-groups unshare -Urn \
		sh -c "'$PORTMAPCTL' map add 2121 && '$PORTMAPCTL' -j map list"
	check_json "user namespace root: own table" 'length == 1 and .[0].port == 2121'
else
	echo "skip user-namespace check: unprivileged user namespaces disabled"
fi

# ------------------------------------------- kernel validation (raw genl)
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
[ "$rc" = 2 ] && ok "genl_raw usage" || nok "genl_raw usage: $rc"
pm "$NS_A" map flush

# ------------------------------------------------------------- big tables
{
	echo "# generated"
	for ((p = 1; p <= 2500; p++)); do echo "map add $p"; done
	for ((p = 1; p <= 500; p++)); do echo "map add $p host 10.1.$((p / 256)).$((p % 256))"; done
} >"$TMP/batch-small"
pm "$NS_A" -b "$TMP/batch-small"
expect "batch: 3000 adds" 0
pm "$NS_A" map list -j
check_json "dump of 3000 mappings (multi-part)" 'length == 3000 and ([.[] | [.port, .host]] | unique | length) == 3000'
check_json "dump of 3000: ports ascending" '[.[].port] == ([.[].port] | sort)'
pm "$NS_A" map list
[ "$(printf '%s\n' "$out" | wc -l)" = 3001 ] && ok "text list of 3000" || nok "text list of 3000: $(printf '%s\n' "$out" | wc -l) lines"
printf 'map add 5\n' >"$TMP/batch-dup"
pm "$NS_A" -b "$TMP/batch-dup"
expect "batch stops on failure" 1 "mapping exists"
[[ $err == *":1: command failed"* ]] && ok "batch names the line" || nok "batch line: $err"
pm "$NS_A" map flush
expect "flush 3000" 0
pm "$NS_A" stats -j
check_json "0 mappings after flush of 3000" '.mappings == 0'

for ((p = 1; p <= BIG; p++)); do echo "map add $p"; done >"$TMP/batch-big"
start=$(date +%s)
pm "$NS_A" -b "$TMP/batch-big"
expect "batch: $BIG adds" 0
pm "$NS_A" -j map list
check_json "dump of $BIG mappings" "length == $BIG and .[0].port == 1 and .[-1].port == $BIG"
pm "$NS_B" -j map list
check_json "namespace B still has its 2" 'length == 2'
pm "$NS_A" config show -j
check_json "config: $BIG mappings" ".mappings == $BIG"
pm "$NS_A" map flush
expect "flush $BIG" 0
pm "$NS_A" -j map list
check_json "empty after flush of $BIG" '. == []'
echo "     (big run: $(($(date +%s) - start)) s)"

# The module goes while namespaces still hold mappings.
pm "$NS_A" map add 2121
pm "$NS_A" map add 2121 host 2001:db8::2
if [ "$loaded_here" = 1 ]; then
	if rmmod ftp_portmap; then
		ok "rmmod with mappings in two namespaces"
	else
		nok "rmmod with mappings in two namespaces"
	fi
	pm "$NS_A" map list
	expect "map list after rmmod" 1 "module ftp_portmap not loaded"

	# A full table.
	if insmod "$FPM_KO" max_mappings=3; then
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
		rmmod ftp_portmap || nok "rmmod after max_mappings run"
	else
		nok "insmod max_mappings=3"
	fi
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
