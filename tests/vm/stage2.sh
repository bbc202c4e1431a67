#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Stage 2 of the test VM, PID 1 in the host's root (read-only 9p, with
# tmpfs over /tmp /run /var), run by /bin/sh from the host's checkout.
# Runs the job's command with its output on the result port (ttyS1),
# checks the kernel log for splats, prints the status line and powers off.
#
# A splat fails the job (status 126 when the job itself passed): any line
# of the kernel log written during the job that matches splat_re below
# (BUG, WARNING, Oops, KASAN, lockdep's "possible circular locking",
# "suspicious RCU usage", RCU stalls, list corruption, refcount ...), and,
# on a kernel with kmemleak (debug-6.1), any unreferenced object that two
# explicit scans after the job find (objects from before the job are
# forgotten with "clear" when it starts).  The report is printed.
# FPM_VM_ALLOW_SPLAT=1 prints it but keeps the job's status (debugging).
#
# POSIX sh: /bin/sh of the host root (dash on Debian).

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
job=$FPM_JOB
out=/dev/ttyS1
tag="FPM-VM-EXIT-$FPM_NONCE"

halt() {
	sync
	echo o >/proc/sysrq-trigger
	sleep 30
	exit 1 # reached only if poweroff failed: init exits, kernel panics
}

stty -F $out raw -echo 2>/dev/null || true
if ! [ -f "$job/job.sh" ]; then
	printf 'vm-stage2: job %s missing\n%s: 125\n' "$job" "$tag" >$out
	halt
fi

mkdir -p /dev/pts /dev/shm
mount -t devpts -o mode=620,ptmxmode=666 devpts /dev/pts 2>/dev/null
mount -t tmpfs -o mode=1777 tmpfs /dev/shm 2>/dev/null
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
mkdir -p /tmp/fpm-home
export HOME=/tmp/fpm-home TMPDIR=/tmp LANG=C.UTF-8 TERM=dumb
export FPM_IN_VM=1
hostname fpm-vm 2>/dev/null || true
ip link set lo up 2>/dev/null || true
# debugfs: kmemleak, fault injection (failslab, fail_function)
mountpoint -q /sys/kernel/debug 2>/dev/null ||
	mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
kmemleak=/sys/kernel/debug/kmemleak
if [ -w $kmemleak ]; then
	# Only what the job leaks: forget what boot left unreferenced.
	echo scan >$kmemleak 2>/dev/null
	echo clear >$kmemleak 2>/dev/null
else
	kmemleak=
fi

# Give the job console-level kernel messages on the console only.
echo 4 >/proc/sys/kernel/printk 2>/dev/null || true
# (run.sh boots with log_buf_len=4M: the job's log survives in dmesg.)
echo "fpm-vm: job start" >/dev/kmsg
# Through a pipe: the job's stdout is not a terminal, as on CI.
{
	/bin/bash "$job/job.sh" </dev/null 2>&1
	echo $? >/run/fpm-job-rc
} | cat >$out
rc=$(cat /run/fpm-job-rc 2>/dev/null || echo 125)

# ---- splats ---------------------------------------------------------------
splat_re='BUG:|Oops|WARNING:|general protection|KASAN|UBSAN|kernel BUG|refcount_t:'
splat_re="$splat_re"'|list_(add|del) corruption|Call Trace|possible circular locking'
splat_re="$splat_re"'|suspicious RCU usage|inconsistent lock state|possible recursive locking'
splat_re="$splat_re"'|detected stalls|ODEBUG|INFO: task .* blocked|kmemleak: .*(leak|error|disabled)'
splat=0

if [ -n "$kmemleak" ]; then
	# kmemleak reports no object younger than 5 s.  Two scans: the
	# list read afterwards holds what either scan found unreferenced.
	sleep 6
	echo scan >$kmemleak 2>/dev/null
	sleep 1
	echo scan >$kmemleak 2>/dev/null
	cat $kmemleak >/run/fpm-kmemleak 2>/dev/null
	if [ -s /run/fpm-kmemleak ]; then
		n=$(grep -c '^unreferenced object' /run/fpm-kmemleak)
		{
			echo "fpm-vm: SPLAT: kmemleak: $n unreferenced object(s) after the job:"
			head -n 400 /run/fpm-kmemleak
		} >$out 2>&1
		splat=1
	fi
fi

# The kernel log of the job; all of it if the start mark was overwritten.
dmesg >/run/fpm-klog 2>&1
if grep -q 'fpm-vm: job start' /run/fpm-klog; then
	sed -n '/fpm-vm: job start/,$p' /run/fpm-klog >/run/fpm-job-klog
else
	cp /run/fpm-klog /run/fpm-job-klog
fi
if grep -E -q "$splat_re" /run/fpm-job-klog; then
	first=$(grep -E -n -m1 "$splat_re" /run/fpm-job-klog | cut -d: -f1)
	{
		echo "fpm-vm: SPLAT: the kernel log has $(grep -E -c "$splat_re" /run/fpm-job-klog) splat line(s) during the job:"
		grep -E "$splat_re" /run/fpm-job-klog | head -n 40 | sed 's/^/fpm-vm:   /'
		echo "fpm-vm: the kernel log from the first one:"
		tail -n "+$((first > 3 ? first - 3 : 1))" /run/fpm-job-klog | head -n 300
	} >$out 2>&1
	splat=1
fi
if [ "$splat" = 1 ]; then
	if [ "${FPM_VM_ALLOW_SPLAT:-0}" = 1 ]; then
		echo "fpm-vm: FPM_VM_ALLOW_SPLAT=1: the splat does not change the status" >$out
	elif [ "$rc" -eq 0 ]; then
		rc=126
	fi
fi
if [ -n "${FPM_VM_DMESG:-}" ]; then
	{
		echo "fpm-vm: kernel log since the job started:"
		cat /run/fpm-job-klog
	} >$out 2>&1
fi

printf '%s: %d\n' "$tag" "$rc" >$out
halt
