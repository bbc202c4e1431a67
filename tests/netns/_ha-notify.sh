#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# _ha-notify.sh CONNTRACKD_CONF LOG primary|backup|fault
#
# keepalived's notify script for the HA pair of tests/netns/ha.sh (and the
# one docs/ha.md shows): the conntrackd steps of the primary-backup.sh that
# comes with conntrackd, in the same order.
#
#   primary  -c  commit the external cache (the peer's states) to the kernel
#            -f  flush the internal and external caches
#            -R  resynchronise the internal cache with the kernel table
#            -B  send a bulk update to the backup
#   backup   -s  is conntrackd running? (it is started with the router)
#            -t  shorten the kernel's conntrack timers (zombie entries go)
#            -n  ask the primary for a resynchronisation
#   fault    -t
#
# Each step and its exit status go to LOG, with a time stamp; the last line
# of a transition is "STATE done".  (The test waits for it.)

conf=$1
log=$2
state=$3

step() {
	t0=$(date +%s.%N)
	conntrackd -C "$conf" "$@" >>"$log" 2>&1
	rc=$?
	echo "$t0 $state conntrackd $* -> $rc" >>"$log"
	return $rc
}

echo "$(date +%s.%N) $state begin" >>"$log"
case "$state" in
primary)
	step -c
	step -f
	step -R
	step -B
	;;
backup)
	step -s >/dev/null 2>&1 || echo "$(date +%s.%N) backup: conntrackd is not running" >>"$log"
	step -t
	step -n
	;;
fault)
	step -t
	;;
*)
	echo "usage: _ha-notify.sh CONF LOG primary|backup|fault" >&2
	exit 2
	;;
esac
echo "$(date +%s.%N) $state done" >>"$log"
exit 0
