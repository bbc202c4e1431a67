#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Packaging checks (issue 10), on the host, no module loading needed:
#
#   1. "make install" into a staging DESTDIR: the module, portmapctl, the
#      man page, the bash completion, the systemd unit and the
#      modules-load.d entry land under DESTDIR; no depmod ran there.
#   2. systemd-analyze verify of ftp-portmap.service (when systemd-analyze
#      is installed), with the unit's ExecStart pointing at the build.
#   3. DKMS: dkms add/build/install of dkms.conf against every kernel whose
#      headers are installed (/lib/modules/*/build), in private dkms,
#      source and install trees (the system's are not touched); the
#      installed module has the kernel's vermagic.
#   4. make deb: the two packages are built and hold what they should.
#
# Last line "N passed, N failed"; exit 1 when anything failed.
# FPM_PACKAGING_SKIP="deb dkms" leaves steps out (reported as failures
# when CI=true, since CI must run everything).
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fpm-packaging.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}
skipping() {
	case " ${FPM_PACKAGING_SKIP:-} " in *" $1 "*) ;; *) return 1 ;; esac
	if [ "${CI:-}" = true ]; then bad "$1 skipped under CI"; else echo "skip $1"; fi
	return 0
}
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)

# ---- 1. staged install ------------------------------------------------------
kdir=$(ls -d /lib/modules/*/build 2>/dev/null | sort -V | head -n 1)
kver=$(basename "$(dirname "$kdir")")
stage=$tmp/stage
if make -s KDIR="$kdir" install DESTDIR="$stage" PREFIX=/usr \
	>"$tmp/install.log" 2>&1; then
	ok "make install DESTDIR=... PREFIX=/usr"
else
	bad "make install DESTDIR=...: $(tail -n 5 "$tmp/install.log")"
fi
for f in usr/sbin/portmapctl usr/share/man/man8/portmapctl.8 \
	usr/share/bash-completion/completions/portmapctl \
	lib/systemd/system/ftp-portmap.service \
	usr/lib/modules-load.d/ftp-portmap.conf; do
	check "staged: /$f" test -s "$stage/$f"
done
ko=$(find "$stage/lib/modules" -name 'ftp_portmap.ko*' 2>/dev/null | head -n 1)
check "staged: the module under DESTDIR/lib/modules/$kver" test -n "$ko"
check "staged install ran no depmod (no modules.dep in DESTDIR)" \
	test -z "$(find "$stage" -name 'modules.dep*' 2>/dev/null)"
check "staged unit runs /usr/sbin/portmapctl" \
	grep -q '^ExecStart=/usr/sbin/portmapctl restore /etc/ftp-portmap.conf$' \
	"$stage/lib/systemd/system/ftp-portmap.service"
stage2=$tmp/stage2
if make -s KDIR="$kdir" install-module INSTALL_MOD_PATH="$stage2" \
	>"$tmp/install2.log" 2>&1; then
	check "INSTALL_MOD_PATH alone stages the module" \
		test -n "$(find "$stage2/lib/modules" -name 'ftp_portmap.ko*')"
else
	bad "make install-module INSTALL_MOD_PATH=...: $(tail -n 5 "$tmp/install2.log")"
fi
# The completion script loads and completes the objects.
if [ -r /usr/share/bash-completion/bash_completion ]; then
	out=$(bash -c ". /usr/share/bash-completion/bash_completion
		. scripts/portmapctl.bash-completion
		COMP_WORDS=(portmapctl nat-server a); COMP_CWORD=2
		COMP_LINE='portmapctl nat-server a'; COMP_POINT=\${#COMP_LINE}
		_portmapctl portmapctl a nat-server; echo \"\${COMPREPLY[*]}\"" 2>&1)
	check "bash completion: nat-server a -> add ($out)" test "$out" = add
else
	bad "bash-completion not installed (scripts/install-deps.sh)"
fi

# ---- 2. systemd-analyze verify ----------------------------------------------
if command -v systemd-analyze >/dev/null; then
	make -s install-systemd DESTDIR="$tmp/unit" \
		SBINDIR="$repo/tools/portmapctl" >/dev/null
	if out=$(systemd-analyze verify --man=no \
		"$tmp/unit/lib/systemd/system/ftp-portmap.service" 2>&1) &&
		[ -z "$out" ]; then
		ok "systemd-analyze verify ftp-portmap.service: clean"
	else
		bad "systemd-analyze verify: $out"
	fi
else
	echo "skip systemd-analyze verify: not installed"
fi

# ---- 3. DKMS ------------------------------------------------------------------
if ! skipping dkms; then
	if ! command -v dkms >/dev/null; then
		bad "dkms not installed (scripts/install-deps.sh)"
	fi
	n=0
	for build in /lib/modules/*/build; do
		[ -d "$build" ] && command -v dkms >/dev/null || continue
		kv=$(basename "$(dirname "$build")")
		n=$((n + 1))
		d=$tmp/dkms-$kv
		mkdir -p "$d/src/ftp-portmap-$version" "$d/tree" "$d/inst/$kv"
		cp -r Kbuild dkms.conf src include "$d/src/ftp-portmap-$version/"
		args=(--sourcetree "$d/src" --dkmstree "$d/tree" --installtree "$d/inst")
		if dkms add -m ftp-portmap -v "$version" "${args[@]}" >"$d/log" 2>&1 &&
			nice -n 10 dkms build -m ftp-portmap -v "$version" -k "$kv" \
				--kernelsourcedir "$build" "${args[@]}" >>"$d/log" 2>&1 &&
			dkms install -m ftp-portmap -v "$version" -k "$kv" \
				--kernelsourcedir "$build" --no-depmod "${args[@]}" \
				>>"$d/log" 2>&1; then
			ok "dkms add/build/install for $kv"
		else
			bad "dkms for $kv: $(tail -n 15 "$d/log")"
			find "$d/tree" -name make.log -exec tail -n 20 {} \; 2>/dev/null
			continue
		fi
		m=$(find "$d/inst/$kv" -name 'ftp_portmap.ko*' | head -n 1)
		check "dkms installed $kv/updates/dkms/ftp_portmap.ko" \
			test -n "$m" -a "${m#*/updates/dkms/}" != "$m"
		v=$(modinfo -F vermagic "$m" 2>/dev/null | awk '{print $1}')
		check "its vermagic is $kv ($v)" test "$v" = "$kv"
		st=$(dkms status -m ftp-portmap "${args[@]}" 2>/dev/null)
		check "dkms status: installed ($st)" grep -q "$kv.*installed" <<<"$st"
		dkms remove -m ftp-portmap -v "$version" --all "${args[@]}" \
			--no-depmod >/dev/null 2>&1
	done
	[ $n -gt 0 ] || bad "no kernel headers under /lib/modules/*/build"
fi

# ---- 4. make deb --------------------------------------------------------------
if ! skipping deb; then
	if nice -n 10 make -s deb >"$tmp/deb.log" 2>&1; then
		ok "make deb"
	else
		bad "make deb: $(tail -n 20 "$tmp/deb.log")"
	fi
	dk=$(ls build/deb/ftp-portmap-dkms_*_all.deb 2>/dev/null | head -n 1)
	pc=$(ls build/deb/portmapctl_*.deb 2>/dev/null | head -n 1)
	check "ftp-portmap-dkms .deb built" test -n "$dk"
	check "portmapctl .deb built" test -n "$pc"
	if [ -n "$dk" ] && [ -n "$pc" ]; then
		c=$(dpkg-deb -c "$dk")
		for f in "usr/src/ftp-portmap-$version/dkms.conf" \
			"usr/src/ftp-portmap-$version/Kbuild" \
			"usr/src/ftp-portmap-$version/src/helper.c" \
			"usr/src/ftp-portmap-$version/include/uapi/ftp_portmap.h" \
			usr/lib/modules-load.d/ftp-portmap.conf; do
			check "dkms deb holds /$f" grep -q " \./$f\$" <<<"$c"
		done
		check "dkms deb depends on dkms" \
			grep -q 'dkms' <<<"$(dpkg-deb -f "$dk" Depends)"
		check "dkms deb runs dkms in postinst" \
			bash -c "dpkg-deb -I '$dk' postinst | grep -q dkms"
		c=$(dpkg-deb -c "$pc")
		for f in usr/sbin/portmapctl usr/share/man/man8/portmapctl.8.gz \
			usr/share/bash-completion/completions/portmapctl \
			lib/systemd/system/ftp-portmap.service; do
			check "portmapctl deb holds /$f" grep -q " \./$f\$" <<<"$c"
		done
		check "portmapctl deb depends on its libraries" \
			grep -q 'libjansson' <<<"$(dpkg-deb -f "$pc" Depends)"
		# The two install side by side: no file in both.
		both=$(comm -12 <(dpkg-deb -c "$dk" | awk '$1 !~ /^d/ {print $NF}' | sort) \
			<(dpkg-deb -c "$pc" | awk '$1 !~ /^d/ {print $NF}' | sort))
		check "no file is in both packages${both:+ ($both)}" test -z "$both"
	fi
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
