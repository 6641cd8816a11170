#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/fuzz/mkcorpus_vu.py - Seed corpus for the vhost-user harness
#
# Writes test/fuzz/corpus_vu/*.bin (or the directory given), in the record
# format of test/fuzz/fuzz_vu.c: a front end that sets up the device the way
# qemu does (features, the memory table with the memfd attached, both
# queues with their eventfds), then a guest that sends frames through the
# transmit queue (ARP, DHCP, a TCP SYN), makes receive buffers available,
# and gets frames. Guest memory: 1 MiB at guest physical 0x100000, at
# 0x7f0000000000 for the front end; the rings of queue q at q * 16 KiB
# (descriptors, then the available ring 4 KiB on, the used ring 8 KiB on),
# transmit buffers from 64 KiB on, receive buffers from 256 KiB on.
#
# Usage: mkcorpus_vu.py [DIR]

"""Seed corpus for test/fuzz/fuzz_vu.c."""

import os
import struct
import sys

GPA, QVA, QSIZE = 0x100000, 0x7f0000000000, 256
GET_FEATURES, SET_FEATURES, SET_OWNER, SET_MEM_TABLE = 1, 2, 3, 5
SET_VRING_NUM, SET_VRING_ADDR, SET_VRING_BASE = 8, 9, 10
SET_VRING_KICK, SET_VRING_CALL = 12, 13
GET_PROTOCOL_FEATURES, SET_PROTOCOL_FEATURES, SET_VRING_ENABLE = 15, 16, 18
FEATURES = (1 << 32) | (1 << 15) | (1 << 29) | (1 << 30) | 0x1983
DESC_NEXT, DESC_WRITE = 1, 2


def rec(kind, arg, data=b''):
    """One record of the harness's input."""
    return struct.pack('<BBH', kind, arg, len(data)) + data


def msg(req, payload=b'', flags=1):
    """A vhost-user message."""
    return struct.pack('<III', req, flags, len(payload)) + payload


def setup(event_idx=True):
    """Records of a front end setting the device up, as qemu does."""
    f = FEATURES if event_idx else FEATURES & ~(1 << 29)
    out = rec(0, 0, msg(GET_FEATURES))
    out += rec(0, 0, msg(GET_PROTOCOL_FEATURES))
    out += rec(0, 0, msg(SET_PROTOCOL_FEATURES, struct.pack('<Q', 8)))
    out += rec(0, 0, msg(SET_OWNER))
    out += rec(0, 0, msg(SET_FEATURES, struct.pack('<Q', f)))
    out += rec(1, 0, msg(SET_MEM_TABLE, struct.pack('<II', 1, 0) +
                         struct.pack('<QQQQ', GPA, 1 << 20, QVA, 0)))
    for q in range(2):
        base = q * 16384
        out += rec(0, 0, msg(SET_VRING_NUM, struct.pack('<II', q, QSIZE)))
        out += rec(0, 0, msg(SET_VRING_BASE, struct.pack('<II', q, 0)))
        out += rec(0, 0, msg(SET_VRING_ADDR, struct.pack(
            '<IIQQQQ', q, 0, QVA + base, QVA + base + 8192,
            QVA + base + 4096, 0)))
        out += rec(2, 0, msg(SET_VRING_CALL, struct.pack('<Q', q)))
        out += rec(2, 0, msg(SET_VRING_KICK, struct.pack('<Q', q)))
        out += rec(0, 0, msg(SET_VRING_ENABLE, struct.pack('<II', q, 1)))
    return out


def csum(data):
    """Internet checksum (RFC 1071)."""
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('>%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ip4(payload, proto, src, dst, frag=0):
    """An IPv4 header, with its checksum, and the payload."""
    h = struct.pack('>BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), 0, frag,
                    64, proto, 0, src, dst)
    return h[:10] + struct.pack('>H', csum(h)) + h[12:] + payload


def frames():
    """Frames of a guest: ARP request, DHCP discover, TCP SYN."""
    mac = bytes.fromhex('525400123456')
    arp = (b'\xff' * 6 + mac + b'\x08\x06' +
           struct.pack('>HHBBH', 1, 0x800, 6, 4, 1) + mac +
           bytes([192, 0, 2, 2]) + b'\x00' * 6 + bytes([192, 0, 2, 1]))
    dhcp = (b'\x01\x01\x06\x00' + b'\x12\x34\x56\x78' + b'\x00' * 20 +
            mac + b'\x00' * 202 + b'\x63\x82\x53\x63' +
            b'\x35\x01\x01\xff')
    udp = struct.pack('>HHHH', 68, 67, 8 + len(dhcp), 0) + dhcp
    dhcp_frame = (b'\xff' * 6 + mac + b'\x08\x00' +
                  ip4(udp, 17, bytes(4), b'\xff' * 4))
    tcp = struct.pack('>HHIIBBHHH', 40000, 80, 1, 0, 5 << 4, 2, 65535, 0,
                      0)
    syn = (b'\x9a\x55\x9a\x55\x9a\x55' + mac + b'\x08\x00' +
           ip4(tcp, 6, bytes([192, 0, 2, 2]), bytes([192, 0, 2, 1]), 0x4000))
    return [arp, dhcp_frame, syn]


def tx(frame_list):
    """Records putting frames on the transmit queue, then a kick."""
    out = b''
    desc = b''
    for i, f in enumerate(frame_list):
        data = bytes(12) + f        # The virtio-net header first
        off = 65536 + i * 4096
        out += rec(3, off // 4096, data)
        desc += struct.pack('<QIHH', GPA + off, len(data), 0, 0)
    out += rec(3, 4, desc)                      # Queue 1: 16 KiB
    avail = struct.pack('<HH', 0, len(frame_list))
    avail += b''.join(struct.pack('<H', i) for i in range(len(frame_list)))
    out += rec(3, 5, avail)                     # 4 KiB further
    out += rec(4, 1)
    return out


def tx_long_tcp():
    """A TCP segment of 3000 bytes of payload, in a chain of two buffers:
    its head is copied, its tail stays in guest memory."""
    mac = bytes.fromhex('525400123456')
    tcp = struct.pack('>HHIIBBHHH', 40000, 80, 1, 1, 5 << 4, 0x18, 65535, 0,
                      0) + bytes(range(256)) * 12
    frame = (b'\x9a\x55\x9a\x55\x9a\x55' + mac + b'\x08\x00' +
             ip4(tcp[:20 + 3000], 6, bytes([192, 0, 2, 2]),
                 bytes([192, 0, 2, 1]), 0x4000))
    data = bytes(12) + frame
    out = rec(3, 16, data[:300]) + rec(3, 17, data[300:])
    desc = struct.pack('<QIHH', GPA + 16 * 4096, 300, DESC_NEXT, 1)
    desc += struct.pack('<QIHH', GPA + 17 * 4096, len(data) - 300, 0, 0)
    out += rec(3, 4, desc)
    out += rec(3, 5, struct.pack('<HHH', 0, 1, 0))
    return out + rec(4, 1)


def rx_buffers(n, size=4096):
    """Records making n receive buffers available, and a kick."""
    desc = b''.join(struct.pack('<QIHH', GPA + 262144 + i * size, size,
                                DESC_WRITE, 0) for i in range(n))
    avail = struct.pack('<HH', 0, n)
    avail += b''.join(struct.pack('<H', i) for i in range(n))
    return rec(3, 0, desc) + rec(3, 1, avail) + rec(4, 0)


def main():
    """Write the seeds."""
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), 'corpus_vu')
    os.makedirs(out, exist_ok=True)
    seeds = {
        'setup': setup(),
        'setup-no-event-idx': setup(event_idx=False),
        'tx-frames': setup() + tx(frames()),
        'rx-frames': setup() + rx_buffers(16) + rec(5, 0, frames()[1]),
        'both': setup() + rx_buffers(32) + tx(frames()) +
                rec(5, 0, frames()[0]),
        'rx-merged': setup() + rx_buffers(64, 1024) +
                     rec(5, 0, frames()[1] + bytes(3000)),
        # Lent frames: whole, half filled, more than the buffers there are
        'rx-lend': setup() + rx_buffers(64, 4096) + rec(6, 3 | 2 << 3,
                                                        b'data') +
                   rec(6, 0x80 | 5 | 1 << 3, b'half') + rec(6, 7 | 15 << 3),
        'tx-long-tcp': setup() + tx_long_tcp(),
        # Buffers too small for the headers, and a readable one among them
        'rx-lend-odd': setup() + rx_buffers(8, 64) + rec(6, 2) +
                       rx_buffers(8, 4096)[:-4] + rec(3, 0, struct.pack(
                           '<QIHH', GPA + 262144, 4096, 0, 0)) +
                       rec(4, 0) + rec(6, 4 | 3 << 3),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name + '.bin'), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main()
