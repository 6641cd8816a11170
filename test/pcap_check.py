#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/pcap_check.py - Sizes and transport checksums of the TCP and UDP
# frames in a capture written by passt or pasta
#
# Usage: pcap_check.py FILE GUEST_ADDRESS...
#
# Prints one line: "from_guest N max_from_guest BYTES to_guest N
# bad_to_guest N udp4_nosum_to_guest N bad_from_guest N". Frames are told
# apart by their source address (one of the guest's); bad_to_guest counts
# frames to the guest whose TCP or UDP checksum doesn't verify,
# udp4_nosum_to_guest the UDP datagrams over IPv4 to the guest without one
# (RFC 768 allows that), bad_from_guest the same as bad_to_guest the other
# way, which only means something for a guest that computes its checksums:
# with offloads, a guest leaves them to the device.

import ipaddress
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netlib import inet_csum, pseudo4, pseudo6  # noqa: E402


def records(data):
    """Frames of a pcap file (either byte order, either time resolution)"""
    magic = struct.unpack('<I', data[:4])[0]
    end = '<' if magic in (0xa1b2c3d4, 0xa1b23c4d) else '>'
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack(end + 'I', data[off + 8:off + 12])[0]
        off += 16
        yield data[off:off + incl]
        off += incl


def l4(frame):
    """(source, pseudo-header, transport bytes) of a TCP or UDP frame"""
    proto = struct.unpack('!H', frame[12:14])[0]
    ip = frame[14:]
    if proto == 0x0800 and len(ip) >= 20:
        ihl = (ip[0] & 0x0f) * 4
        total = struct.unpack('!H', ip[2:4])[0]
        if ip[9] not in (6, 17):
            return None
        seg = ip[ihl:total]
        return ip[12:16], pseudo4(ip[12:16], ip[16:20], ip[9], len(seg)), seg
    if proto == 0x86dd and len(ip) >= 40:
        plen = struct.unpack('!H', ip[4:6])[0]
        if ip[6] not in (6, 17):
            return None
        seg = ip[40:40 + plen]
        return ip[8:24], pseudo6(ip[8:24], ip[24:40], ip[6], len(seg)), seg
    return None


def main():
    """Read the capture, print the counts"""
    guest = {ipaddress.ip_address(a).packed for a in sys.argv[2:]}
    with open(sys.argv[1], 'rb') as f:
        data = f.read()

    n_from = max_from = n_to = bad_to = nosum4 = bad_from = 0
    for frame in records(data):
        if len(frame) < 14:
            continue
        parsed = l4(frame)
        if not parsed:
            continue
        src, pseudo, seg = parsed
        if len(src) == 4 and pseudo[9] == 17 and seg[6:8] == b'\0\0':
            nosum = True    # UDP over IPv4 without a checksum (RFC 768)
        else:
            nosum = False
        bad = not nosum and inet_csum(pseudo + seg) != 0
        if src in guest:
            n_from += 1
            max_from = max(max_from, len(frame))
            bad_from += bad
            continue
        n_to += 1
        nosum4 += nosum
        bad_to += bad

    print('from_guest %d max_from_guest %d to_guest %d bad_to_guest %d '
          'udp4_nosum_to_guest %d bad_from_guest %d' %
          (n_from, max_from, n_to, bad_to, nosum4, bad_from))


if __name__ == '__main__':
    main()
