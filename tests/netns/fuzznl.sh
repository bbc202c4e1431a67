#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Generic netlink fuzzing of the ftp_portmap family (issue 9).
#
# tests/fuzznl/fuzznl sends random and mutated messages for every command
# (wrong attribute types and sizes, unknown and stray attributes, nested
# garbage, bad nlmsg/genl headers, truncated messages, huge messages,
# batches of messages in one datagram) and predicts each reply with an
# oracle of the kernel's validation and the family's semantics; it keeps a
# model of what the kernel acknowledged and compares it with full dumps.
# This suite runs it in fresh namespaces: as root, from unprivileged
# processes and user namespaces (everything EPERM), with 50k mappings and
# abandoned/overlapping dumps, and with concurrent writers, dumpers, a
# flusher and a settings writer; afterwards `portmapctl map list` must
# equal the model.  A kernel splat during a test fails it (and the VM run).
#
#   tests/run-netns.sh fuzznl                (in the VM)
#   FPM_VM_KERNEL=debug-6.1 tests/run-netns.sh fuzznl
#
# Environment:
#   FUZZ_MSGS   messages in all (default 100000): 70% sequential, 10%
#               unprivileged, 20% concurrent (plus FUZZ_BULK bulk adds)
#   FUZZ_BULK   mappings of the huge-table test (default 50000)
#   FUZZ_CHURN_LISTS  portmapctl map list runs during the churn (15)
#   FUZZ_SEED   seed (default random, printed): the same seed gives the
#               same messages (the concurrent test's interleaving aside)
#   FPM_FUZZ_MSGS, FPM_FUZZ_BULK, FPM_FUZZ_SEED  the same; these reach
#               the VM without FPM_VM_ENV
#   FUZZNL      the fuzzer binary (default tests/fuzznl/fuzznl, built by
#               `make`; built into the state directory when missing/stale)


# Test functions are called indirectly (by name), hence SC2317.
# shellcheck disable=SC2317
# Sequential fuzzing of 70k messages takes minutes under emulation.
FPM_TEST_TIMEOUT=${FPM_TEST_TIMEOUT:-2400}
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

FUZZ_MSGS=${FUZZ_MSGS:-${FPM_FUZZ_MSGS:-100000}}
FUZZ_BULK=${FUZZ_BULK:-${FPM_FUZZ_BULK:-50000}}
FUZZ_SEED=${FUZZ_SEED:-${FPM_FUZZ_SEED:-}}
if [ -z "$FUZZ_SEED" ]; then
	FUZZ_SEED=$(od -An -N5 -tu8 /dev/urandom | tr -d ' ')
fi
export FUZZ_MSGS FUZZ_BULK FUZZ_SEED
FUZZNL_SRC=$REPO/tests/fuzznl/fuzznl.c

if [ "${1:-}" != --run-one ]; then
	echo "# FUZZ_SEED=$FUZZ_SEED FUZZ_MSGS=$FUZZ_MSGS FUZZ_BULK=$FUZZ_BULK (set FUZZ_SEED to reproduce)"
fi

# The fuzzer: $FUZZNL, else the built one, else build it (cc + libmnl) into
# the state directory.  A binary older than its source is not used.
fuzznl_bin() {
	local b=${FUZZNL:-$REPO/tests/fuzznl/fuzznl} out=$FPM_STATE/fuzznl
	if [ -x "$b" ] && { [ -n "${FUZZNL:-}" ] || ! [ "$FUZZNL_SRC" -nt "$b" ]; }; then
		echo "$b"
		return 0
	fi
	if [ ! -x "$out" ]; then
		cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -o "$out" \
			"$FUZZNL_SRC" -lmnl >"$FPM_STATE/fuzznl-build.log" 2>&1 || {
			echo "cannot build the fuzzer: $(tail -n 5 "$FPM_STATE/fuzznl-build.log")" >&2
			return 1
		}
	fi
	echo "$out"
}

# run_fuzznl NS NAME ARGS...: run the fuzzer in NS; each of its RESULT
# lines becomes a check here.  Its log: $T_DIR/NAME.log
run_fuzznl() {
	local ns=$1 name=$2 bin rc log verdict rname detail n=0
	shift 2
	log=$T_DIR/$name.log
	bin=$(fuzznl_bin) || { fail "fuzzer not available"; return 1; }
	nsx "$ns" timeout -k 10 "$((TEST_TIMEOUT - 60))" "$bin" "$@" >"$log" 2>&1
	rc=$?
	# the notes and any mismatch reports
	grep -E '^(# |MISMATCH|    )' "$log" | head -n 120 | sed 's/^/      /'
	while read -r _ rname verdict detail; do
		n=$((n + 1))
		[ "${FUZZ_JUDGE:-1}" = 1 ] || continue
		if [ "$verdict" = ok ]; then
			pass "$rname: $detail"
		else
			fail "$rname: $detail"
		fi
	done < <(grep '^RESULT ' "$log")
	[ "$n" -gt 0 ] || fail "fuzznl $name reported nothing (exit $rc): $(tail -n 3 "$log")"
	info "$(grep '^fuzznl: ' "$log")"
	FUZZ_RC=$rc
	[ "${FUZZ_JUDGE:-1}" = 1 ] || return 0
	if [ "$rc" -ne 0 ] && ! grep -q '^RESULT .* fail ' "$log"; then
		fail "fuzznl $name exited $rc"
	fi
	return 0
}

# pm_table NS: the table as portmapctl lists it, one "PORT HOST" a line.
pm_table() {
	pmctl "$1" -j map list | jq -r '.[] | "\(.port) \(.host // "-")"' | sort
}

# table_matches NS MODEL: portmapctl's list equals the model (a file of
# "PORT HOST" lines); the differences on stderr.
table_matches() {
	local ns=$1 model=$2
	pm_table "$ns" >"$T_DIR/pm.list" || { echo "portmapctl map list failed" >&2; return 1; }
	sort "$model" >"$T_DIR/model.sorted"
	if ! diff "$T_DIR/model.sorted" "$T_DIR/pm.list" >"$T_DIR/table.diff"; then
		echo "model (<) and portmapctl map list (>) differ:" >&2
		head -n 10 "$T_DIR/table.diff" >&2
		return 1
	fi
	return 0
}

check_table() {
	local what=$1 ns=$2 model=$3
	if [ ! -f "$model" ]; then
		fail "$what: the fuzzer wrote no model"
	elif table_matches "$ns" "$model" 2>"$T_DIR/table.err"; then
		pass "$what: portmapctl map list equals the model ($(wc -l <"$model") mappings)"
	else
		fail "$what: portmapctl map list differs from the model"
		sed 's/^/      | /' "$T_DIR/table.err"
	fi
}

# check_config NS FILE: portmapctl config show equals the model settings.
check_config() {
	local ns=$1 file=$2 have
	have=$(pmctl "$ns" -j config show | jq -r '"strict \(if .strict then 1 else 0 end) max_expect \(.max_expect)"')
	check_eq "settings as acknowledged" "$(cat "$file" 2>/dev/null)" "$have"
}

setup_ns() {
	local names
	names=$(ns_add fz) || { fail "netns"; exit 1; }
	NS=$names
}

# Every command, random and mutated messages, as root: replies as predicted
test_sequential() {
	local n=$((FUZZ_MSGS * 70 / 100))
	setup_ns
	kmsg_mark
	run_fuzznl "$NS" seq seq --seed "$FUZZ_SEED" --count "$n" \
		--model "$T_DIR/model" --config "$T_DIR/config"
	check_table "after $n messages" "$NS" "$T_DIR/model"
	check_config "$NS" "$T_DIR/config"
	check_no_splat
}

# Without CAP_NET_ADMIN over the namespace every command is refused (EPERM)
test_unprivileged() {
	local n=$((FUZZ_MSGS * 10 / 100)) before after
	setup_ns
	kmsg_mark
	# a table to protect
	must pmctl "$NS" map add 21
	must pmctl "$NS" map add 2121 host 10.10.10.10
	must pmctl "$NS" map add 2121 host 2001:db8::10
	must pmctl "$NS" config set strict off max-expect 9
	before=$(pm_table "$NS"; pmctl "$NS" -j config show | jq -c '{strict, max_expect}')
	run_fuzznl "$NS" unpriv unpriv --seed "$FUZZ_SEED" --count "$n"
	# the tools themselves, from `unshare -U -r` (root of a new user
	# namespace, still in this network namespace) and as nobody
	local out rc
	out=$(nsx "$NS" unshare -U -r "$PORTMAPCTL" map add 7 2>&1)
	rc=$?
	check "unshare -U -r portmapctl map add: refused ($out)" \
		test "$rc" = 1 -a -n "$(grep -i 'permission denied' <<<"$out")"
	out=$(nsx "$NS" unshare -U -r "$PORTMAPCTL" map list 2>&1)
	rc=$?
	check "unshare -U -r portmapctl map list: refused ($out)" \
		test "$rc" = 1 -a -n "$(grep -i 'permission denied' <<<"$out")"
	out=$(nsx "$NS" setpriv --reuid=65534 --regid=65534 --clear-groups "$PORTMAPCTL" map flush 2>&1)
	rc=$?
	check "nobody: portmapctl map flush: refused ($out)" \
		test "$rc" = 1 -a -n "$(grep -i 'permission denied' <<<"$out")"
	out=$(nsx "$NS" unshare -U -r -n sh -c "'$PORTMAPCTL' map add 7 && '$PORTMAPCTL' -j map list" 2>&1)
	check "unshare -U -r -n: its own namespace's table, writable" \
		test "$(jq -c '[.[].port]' <<<"$out" 2>/dev/null)" = "[7]"
	after=$(pm_table "$NS"; pmctl "$NS" -j config show | jq -c '{strict, max_expect}')
	check_eq "table and settings unchanged" "$before" "$after"
	check_no_splat
}

# 50k mappings: dumps with tiny/big buffers, truncated, abandoned, overlapping
test_huge_table() {
	local ref0 ref1
	setup_ns
	kmsg_mark
	ref0=$(cat /sys/module/ftp_portmap/refcnt 2>/dev/null)
	run_fuzznl "$NS" huge huge --seed "$FUZZ_SEED" --bulk "$FUZZ_BULK" \
		--model "$T_DIR/model"
	check_table "half of $FUZZ_BULK deleted" "$NS" "$T_DIR/model"
	# abandoned dumps hold a module reference until their socket goes
	ref1=$(cat /sys/module/ftp_portmap/refcnt 2>/dev/null)
	check_eq "module reference count back after the abandoned dumps" "$ref0" "$ref1"
	must pmctl "$NS" map flush
	check_eq "flushed" "" "$(pm_table "$NS")"
	check_no_splat
}

# Writers, dumpers, a flusher, settings and unprivileged processes at once
test_concurrent() {
	local n=$((FUZZ_MSGS * 20 / 100))
	setup_ns
	kmsg_mark
	run_fuzznl "$NS" concurrent concurrent --seed "$FUZZ_SEED" --count "$n" \
		--model "$T_DIR/model" --config "$T_DIR/config"
	check_table "after the concurrent phases" "$NS" "$T_DIR/model"
	check_config "$NS" "$T_DIR/config"
	check_no_splat
}

# portmapctl map list while writers churn: never a wrong list with exit 0
test_portmapctl_under_churn() {
	local n=${FUZZ_CHURN_LISTS:-15} bin pid lists=0 bad=0 refused=0 other=0 out rc
	setup_ns
	kmsg_mark
	bin=$(fuzznl_bin) || { fail "fuzzer not available"; return; }
	nsx "$NS" "$bin" churn --seed "$FUZZ_SEED" --seconds 900 \
		--stop-file "$T_DIR/churn.stop" --model "$T_DIR/model" \
		>"$T_DIR/churn.log" 2>&1 &
	pid=$!
	local end=$((SECONDS + 120))
	until grep -q 'churn: ready' "$T_DIR/churn.log"; do
		if [ "$SECONDS" -gt "$end" ] || ! kill -0 "$pid" 2>/dev/null; then
			fail "the churn did not start: $(tail -n 3 "$T_DIR/churn.log")"
			return
		fi
		sleep 0.2
	done
	# the 192 mappings 40000-40003 host 198.51.100.1-48 exist throughout;
	# writers add and delete 72 others on each of those ports (same
	# chains), so a list's parts end inside chains that change
	while [ "$lists" -lt "$n" ] && kill -0 "$pid" 2>/dev/null; do
		out=$(pmctl "$NS" -j map list 2>&1)
		rc=$?
		lists=$((lists + 1))
		if [ "$rc" -ne 0 ]; then
			# refusing an interrupted dump (libmnl: EINTR on
			# NLM_F_DUMP_INTR) is safe; any other error is not
			refused=$((refused + 1))
			grep -q 'Interrupted' <<<"$out" || other=$((other + 1))
			[ "$refused" -le 3 ] && info "list $lists: exit $rc: $(head -c 300 <<<"$out")"
			continue
		fi
		if ! jq -e '[.[] | select((.host // "") | startswith("198.51.100."))
			| "\(.port) \(.host)"] | length == 192 and (unique | length) == 192' \
			<<<"$out" >/dev/null 2>&1; then
			bad=$((bad + 1))
			[ "$bad" -le 3 ] && info "list $lists: $(jq -c '[.[] | select((.host // "") | startswith("198.51.100.")) | "\(.port) \(.host)"] | "\(length) of 192 listed, repeated: \(group_by(.) | map(select(length > 1) | .[0]))"' <<<"$out" 2>/dev/null)"
		fi
	done
	touch "$T_DIR/churn.stop"
	wait "$pid"
	grep -E '^(# |MISMATCH)' "$T_DIR/churn.log" | head -n 20 | sed 's/^/      /'
	while read -r _ rname verdict detail; do
		if [ "$verdict" = ok ]; then pass "$rname: $detail"; else fail "$rname: $detail"; fi
	done < <(grep '^RESULT ' "$T_DIR/churn.log")
	check_eq "portmapctl map list ran during the churn" "$n" "$lists"
	check_eq "lists printed with exit 0 that miss or repeat a mapping that existed throughout ($lists lists, $refused refused)" 0 "$bad"
	check_eq "refusals for another reason than an interrupted dump" 0 "$other"
	# (a refusal is safe; whether portmapctl should retry is the CLI's
	# business: reported, not judged)
	info "$((lists - refused)) of $lists lists complete, $refused refused as interrupted"
	check_table "after the churn" "$NS" "$T_DIR/model"
	check_no_splat
}

# The checks can fail: a wrong model entry is caught, by both comparisons
test_checks_can_fail() {
	setup_ns
	# the fuzzer's own final comparison, with one mapping toggled (its
	# RESULT lines are judged here, not passed on)
	FUZZ_JUDGE=0 run_fuzznl "$NS" selftest seq --seed "$FUZZ_SEED" \
		--count 1500 --corrupt-model --model "$T_DIR/model" >/dev/null
	check "fuzzer: the corrupted model fails the final check" \
		grep -q '^RESULT seq-final-table fail ' "$T_DIR/selftest.log"
	check "fuzzer: it reports the toggled mapping" \
		grep -q 'MISMATCH.*4242 198.51.100.42' "$T_DIR/selftest.log"
	check_eq "fuzzer exits 1" 1 "$FUZZ_RC"
	check "fuzzer: the other checks of that run pass" \
		grep -q '^RESULT seq-replies ok ' "$T_DIR/selftest.log"
	# the suite's comparison with portmapctl: the model the fuzzer wrote
	# has the toggled mapping; without it, it is the real table
	check_not "table_matches: the fuzzer's corrupted model differs from the table" \
		table_matches "$NS" "$T_DIR/model" 2>/dev/null
	grep -v '^4242 198\.51\.100\.42$' "$T_DIR/model" >"$T_DIR/model.real"
	check "table_matches: the model without the toggled mapping matches" \
		table_matches "$NS" "$T_DIR/model.real"
	cp "$T_DIR/model.real" "$T_DIR/model.bad"
	echo "4243 -" >>"$T_DIR/model.bad"
	check_not "table_matches: an extra model line is a difference" \
		table_matches "$NS" "$T_DIR/model.bad" 2>/dev/null
	must pmctl "$NS" map add 4244
	check_not "table_matches: an unacknowledged mapping is a difference" \
		table_matches "$NS" "$T_DIR/model.real" 2>/dev/null
	must pmctl "$NS" map del 4244
	check "table_matches: the real table matches again" \
		table_matches "$NS" "$T_DIR/model.real"
}

run_suite "$@"
