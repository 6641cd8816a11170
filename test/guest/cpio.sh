#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# cpio.sh - tiny writer for "newc" cpio archives (the initramfs format), to
# be sourced. Everything is written to stdout, owned by root, with mtime 0,
# so no root privileges (mknod, chown) are needed to make device nodes and
# the output only depends on the input files. Usage:
#	{ gcpio_dir bin; gcpio_file bin/sh /bin/busybox 0755;
#	  gcpio_symlink bin/ls busybox; gcpio_node dev/console 0600 c 5 1;
#	  gcpio_trailer; } > out.cpio

_gcpio_ino=1000

# _gcpio_pad LEN - write zero bytes to pad LEN up to a multiple of four
_gcpio_pad() {
	case $(( (4 - $1 % 4) % 4 )) in
	1) printf '\0' ;;
	2) printf '\0\0' ;;
	3) printf '\0\0\0' ;;
	esac
}

# _gcpio_hdr NAME MODE NLINK SIZE RDEV_MAJOR RDEV_MINOR - header and name
_gcpio_hdr() {
	local LC_ALL=C
	local name=$1 mode=$2 nlink=$3 size=$4 rmaj=$5 rmin=$6
	local nsize=$(( ${#name} + 1 ))

	_gcpio_ino=$((_gcpio_ino + 1))
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		"$_gcpio_ino" "$mode" 0 0 "$nlink" 0 "$size" 0 0 \
		"$rmaj" "$rmin" "$nsize" 0
	printf '%s\0' "$name"
	_gcpio_pad $((110 + nsize))
}

# gcpio_dir NAME [PERM] - directory entry (parents must come first)
gcpio_dir() {
	_gcpio_hdr "$1" $((8#040000 | 8#${2:-755})) 2 0 0 0
}

# gcpio_file NAME SRC [PERM] - regular file with the contents of SRC
gcpio_file() {
	local size

	size=$(stat -L -c %s "$2")
	_gcpio_hdr "$1" $((8#100000 | 8#${3:-644})) 1 "$size" 0 0
	cat "$2"
	_gcpio_pad "$size"
}

# gcpio_symlink NAME TARGET - symbolic link NAME -> TARGET
gcpio_symlink() {
	local LC_ALL=C

	_gcpio_hdr "$1" $((8#120777)) 1 "${#2}" 0 0
	printf '%s' "$2"
	_gcpio_pad "${#2}"
}

# gcpio_node NAME PERM c|b MAJOR MINOR - character or block device node
gcpio_node() {
	local type=8#020000

	[ "$3" = b ] && type=8#060000
	_gcpio_hdr "$1" $((type | 8#$2)) 1 0 "$4" "$5"
}

# gcpio_trailer - end of archive marker
gcpio_trailer() {
	_gcpio_hdr "TRAILER!!!" 0 1 0 0 0
}
