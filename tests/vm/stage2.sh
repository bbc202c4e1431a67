#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Stage 2 of the test VM, PID 1 in the host's root (read-only 9p, with
# tmpfs over /tmp /run /var), run by /bin/sh from the host's checkout.
# Runs the job's command with its output on the result port (ttyS1),
# checks the kernel log for splats, prints the status line and powers off.
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
# Give the job console-level kernel messages on the console only.
echo 4 >/proc/sys/kernel/printk 2>/dev/null || true

echo "fpm-vm: job start" >/dev/kmsg
# Through a pipe: the job's stdout is not a terminal, as on CI.
{
	/bin/bash "$job/job.sh" </dev/null 2>&1
	echo $? >/run/fpm-job-rc
} | cat >$out
rc=$(cat /run/fpm-job-rc 2>/dev/null || echo 125)

# A kernel splat during the job fails it, whatever the job said.
if dmesg | sed -n '/fpm-vm: job start/,$p' |
	grep -E -q 'BUG:|Oops|WARNING:|general protection|KASAN|UBSAN|kernel BUG|refcount_t:|list_(add|del) corruption|Call Trace'; then
	{
		echo "fpm-vm: kernel log has a splat during the job:"
		dmesg | sed -n '/fpm-vm: job start/,$p' | tail -n 80
	} >$out 2>&1
	if [ "${FPM_VM_ALLOW_SPLAT:-0}" != 1 ] && [ "$rc" -eq 0 ]; then
		rc=126
	fi
fi
if [ -n "${FPM_VM_DMESG:-}" ]; then
	{
		echo "fpm-vm: kernel log since the job started:"
		dmesg | sed -n '/fpm-vm: job start/,$p'
	} >$out 2>&1
fi

printf '%s: %d\n' "$tag" "$rc" >$out
halt
