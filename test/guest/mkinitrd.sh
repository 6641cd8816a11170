#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# mkinitrd.sh - build the base initramfs for the qemu test guests.
#
# Usage: mkinitrd.sh OUT_DIR
#
# Writes OUT_DIR/base.cpio.gz: static busybox (with applet symlinks), the
# virtio-net kernel modules, /init (init in this directory) and the udhcpc
# event scripts. Also records the kernel version in OUT_DIR/kver and the
# path of the matching kernel image in OUT_DIR/vmlinuz.
#
# Under TCG, unpacking the (xz) compressed kernel takes longer than the
# whole boot after it, so the kernel image is also unpacked here, once, to
# OUT_DIR/vmlinux-KVER if it is an ELF file qemu can start directly (PVH
# entry point). OUT_DIR/kernel names the image to boot: that, or the
# original one.
#
# Prints KVER=, VMLINUZ=, KERNEL= and INITRD= lines. Nothing is rebuilt if
# the inputs did not change (OUT_DIR/base.stamp). No network access or root
# privileges needed.
#
# Environment: KVER (default: newest in /lib/modules), VMLINUZ (default:
# /boot/vmlinuz-$KVER), BUSYBOX (default: busybox in $PATH, must be
# static), GUEST_PVH=0 to boot VMLINUZ as it is

set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=cpio.sh
. "$HERE/cpio.sh"

# Load order for /init; af_packet (udhcpc) and ipv6 are often built in
MODULES="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev
	 virtio_pci failover net_failover virtio_net af_packet ipv6"
# These must be there, as modules or built in; the rest is skipped if absent
REQUIRED="virtio_pci virtio_net"

die() {
	echo "mkinitrd: $*" >&2
	exit 1
}

[ $# -eq 1 ] || die "usage: $0 OUT_DIR"
out=$1

kver=${KVER:-$(find /lib/modules -mindepth 1 -maxdepth 1 -printf '%f\n' \
		2>/dev/null | sort -V | tail -n 1)}
[ -n "$kver" ] || die "no kernel in /lib/modules"
moddir=/lib/modules/$kver
[ -d "$moddir" ] || die "no $moddir"
vmlinuz=${VMLINUZ:-/boot/vmlinuz-$kver}
[ -r "$vmlinuz" ] || die "kernel image $vmlinuz not readable"

busybox=${BUSYBOX:-$(command -v busybox || true)}
[ -x "$busybox" ] || die "no busybox (apt-get install busybox-static)"
if ldd "$busybox" >/dev/null 2>&1; then
	die "$busybox is dynamically linked (apt-get install busybox-static)"
fi

# mod_path NAME - path of module file NAME, "builtin", or nothing
mod_path() {
	local pat=${1//_/[-_]} p

	if grep -qE "/$pat\\.ko\$" "$moddir/modules.builtin" 2>/dev/null; then
		echo builtin
		return
	fi
	p=$(grep -oE "^[^:]*/$pat\\.ko(\\.xz|\\.zst|\\.gz)?:" \
		"$moddir/modules.dep" 2>/dev/null | head -n 1) || true
	if [ -n "$p" ]; then
		echo "$moddir/${p%:}"
		return
	fi
	find "$moddir/kernel" -regextype posix-extended \
		-regex ".*/$pat\\.ko(\\.xz|\\.zst|\\.gz)?" 2>/dev/null |
		head -n 1
}

# unpack_kernel IMAGE OUT - find the compressed vmlinux in a bzImage, unpack
# it to OUT if it's an ELF file with a PVH entry note. Fails otherwise.
unpack_kernel() {
	local img=$1 dst=$2 magic off cmd
	# Xen ELF note XEN_ELFNOTE_PHYS32_ENTRY: namesz, descsz, type 18, "Xen"
	local pvh='\x04\x00\x00\x00[\x04\x08]\x00\x00\x00\x12\x00\x00\x00'
	pvh="${pvh}Xen\\x00"

	for magic in '\xfd7zXZ\x00:xz -dcq' '\x28\xb5\x2f\xfd:zstd -dcq' \
		     '\x1f\x8b\x08:gzip -dcq'; do
		cmd=${magic#*:}
		command -v "${cmd%% *}" >/dev/null || continue
		for off in $(LC_ALL=C grep -obaP "${magic%%:*}" "$img" |
			     cut -d: -f1 | head -n 4 || true); do
			# Trailing data makes decompressors complain: ignore
			tail -c +$((off + 1)) "$img" | $cmd > "$dst" \
				2>/dev/null || true
			[ "$(head -c 4 "$dst" | od -An -c | tr -d ' ')" = \
			  '177ELF' ] || continue
			LC_ALL=C grep -qaP "$pvh" "$dst" && return 0
		done
	done
	rm -f "$dst"
	return 1
}

mods=()		# module names to load, in order
mod_files=()	# matching files
declare -A mod_seen

# add_mod PATH - add module file PATH to the list, after its dependencies
add_mod() {
	local path=$1 name dep deps=() i

	[ -z "${mod_seen[$path]-}" ] || return 0
	mod_seen[$path]=1
	# Not needed for this kernel, but other kernels might need more than
	# MODULES: modules.dep lists dependencies, the last to load first
	read -r -a deps < <(awk -F': *' -v m="${path#"$moddir/"}" \
		'$1 == m { print $2 }' "$moddir/modules.dep" 2>/dev/null)
	for (( i = ${#deps[@]} - 1; i >= 0; i-- )); do
		dep=${deps[$i]}
		add_mod "$moddir/$dep"
	done
	name=${path##*/}
	name=${name%%.ko*}
	mods+=("$name")
	mod_files+=("$path")
}

for m in $MODULES; do
	p=$(mod_path "$m")
	case "$p" in
	builtin) ;;
	"")
		case " $REQUIRED " in
		*" $m "*) die "module $m not found for kernel $kver" ;;
		esac
		;;
	*)
		add_mod "$p"
		;;
	esac
done

mkdir -p "$out"
out=$(cd "$out" && pwd)
initrd=$out/base.cpio.gz

# Serialise concurrent builds into the same directory. Users who can't
# write there (tests running as another user) can still use what's built.
lock=$out/.lock
if [ -w "$lock" ] || { [ ! -e "$lock" ] && [ -w "$out" ]; }; then
	exec 9>>"$lock"
	flock 9
elif [ -r "$lock" ]; then
	exec 9<"$lock"
	flock -s 9
fi

stamp=$(
	echo "kver=$kver vmlinuz=$vmlinuz busybox=$busybox pvh=${GUEST_PVH:-1}"
	echo "modules=${mods[*]}"
	cd "$HERE" && sha256sum mkinitrd.sh cpio.sh init dhcp.script \
		dhcp6.script
	stat -L -c '%n %s %Y' "$busybox" "$vmlinuz" \
		${mod_files[@]+"${mod_files[@]}"}
)

report() {
	printf 'KVER=%s\nVMLINUZ=%s\nKERNEL=%s\nINITRD=%s\n' \
		"$kver" "$vmlinuz" "$(cat "$out/kernel")" "$initrd"
}

if [ -f "$initrd" ] && [ -f "$out/base.stamp" ] && [ -f "$out/kernel" ] &&
   [ -r "$(cat "$out/kernel")" ] &&
   [ "$(cat "$out/base.stamp")" = "$stamp" ]; then
	report
	exit 0
fi

tmp=$(mktemp -d "$out/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Build products don't belong in git
echo '*' > "$out/.gitignore"

# Unpack the kernel only if it changed, that's the slow part here
kstamp="$(stat -L -c '%n %s %Y' "$vmlinuz") pvh=${GUEST_PVH:-1}"
if [ -f "$out/kernel.stamp" ] && [ "$(cat "$out/kernel.stamp")" = "$kstamp" ] &&
   [ -f "$out/kernel" ] && [ -r "$(cat "$out/kernel")" ]; then
	kernel=$(cat "$out/kernel")
else
	kernel=$vmlinuz
	rm -f "$out"/vmlinux-* "$out/kernel.stamp"
	if [ "${GUEST_PVH:-1}" = 0 ]; then
		:
	elif unpack_kernel "$vmlinuz" "$tmp/vmlinux"; then
		mv -f "$tmp/vmlinux" "$out/vmlinux-$kver"
		kernel=$out/vmlinux-$kver
	else
		echo "mkinitrd: no PVH ELF kernel in $vmlinuz, booting it" \
		     "as it is (slower)" >&2
	fi
	echo "$kstamp" > "$out/kernel.stamp"
fi

# Uncompress modules now: busybox insmod only takes plain .ko files
for i in "${!mods[@]}"; do
	f=${mod_files[$i]}
	case "$f" in
	*.ko.xz)  xz -dc "$f" ;;
	*.ko.zst) zstd -q -dc "$f" ;;
	*.ko.gz)  gzip -dc "$f" ;;
	*)	  cat "$f" ;;
	esac > "$tmp/${mods[$i]}.ko"
done
printf '%s\n' ${mods[@]+"${mods[@]}"} > "$tmp/load.list"
printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' > "$tmp/hosts"
echo 'root:x:0:0:root:/root:/bin/sh' > "$tmp/passwd"
echo 'root:x:0:' > "$tmp/group"

# Applet symlinks ("bin/ls", "usr/sbin/udhcpd", ...) and their directories
applets=$("$busybox" --list-full | grep / | grep -v '^bin/busybox$' | sort)
dirs=$(printf '%s\n' "$applets" | sed -n 's|/[^/]*$||p' | sort -u)

base_dirs=(bin sbin usr usr/bin usr/sbin usr/share usr/share/udhcpc dev proc
	   sys tmp run root etc etc/udhcpc lib lib/modules)
{
	for d in "${base_dirs[@]}"; do
		gcpio_dir "$d"
	done
	for d in $dirs; do
		case " ${base_dirs[*]} " in
		*" $d "*) ;;
		*) gcpio_dir "$d" ;;
		esac
	done
	gcpio_node dev/console 0600 c 5 1
	gcpio_node dev/null 0666 c 1 3
	gcpio_file bin/busybox "$busybox" 0755
	for a in $applets; do
		gcpio_symlink "$a" /bin/busybox
	done
	gcpio_file init "$HERE/init" 0755
	gcpio_file usr/share/udhcpc/default.script "$HERE/dhcp.script" 0755
	gcpio_file usr/share/udhcpc/default6.script "$HERE/dhcp6.script" 0755
	gcpio_symlink etc/udhcpc/default.script \
		/usr/share/udhcpc/default.script
	gcpio_symlink etc/udhcpc/default6.script \
		/usr/share/udhcpc/default6.script
	gcpio_file etc/hosts "$tmp/hosts"
	gcpio_file etc/passwd "$tmp/passwd"
	gcpio_file etc/group "$tmp/group"
	gcpio_file lib/modules/load.list "$tmp/load.list"
	for m in ${mods[@]+"${mods[@]}"}; do
		gcpio_file "lib/modules/$m.ko" "$tmp/$m.ko"
	done
	gcpio_trailer
} | gzip -n -6 > "$tmp/base.cpio.gz"

echo "$kver" > "$out/kver"
echo "$vmlinuz" > "$out/vmlinuz"
echo "$kernel" > "$out/kernel"
mv -f "$tmp/base.cpio.gz" "$initrd"
echo "$stamp" > "$out/base.stamp"

echo "mkinitrd: built $initrd ($(stat -c %s "$initrd") bytes)," \
     "modules: ${mods[*]:-none}, kernel: $kernel" >&2
report
