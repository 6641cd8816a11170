#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/vu_hostile.py - A hostile vhost-user front end: malformed messages,
# and queues whose descriptors point anywhere, against passt --vhost-user
#
#   vu_hostile.py SOCKET CASE
#
# Connects to SOCKET, plays CASE, and prints CLOSED if passt closed the
# connection, OPEN if it's still open after the case (and a check that it
# still answers). Cases:
#
#   version       a header of protocol version 2
#   oversized     a header announcing a 1 MiB payload
#   shortpayload  SET_VRING_NUM with a 2-byte payload
#   regions       SET_MEM_TABLE with 9 regions
#   fdcount       SET_MEM_TABLE of 2 regions with 1 descriptor
#   manyfds       GET_FEATURES with 20 descriptors attached
#   ringaddr      rings outside the memory table
#   queuesize     a queue of 1000 entries (not a power of two)
#   queueindex    SET_VRING_NUM for queue 7
#   loop          a transmit chain whose descriptor points to itself
#   outside       a transmit descriptor outside guest memory
#   nextpast      a transmit descriptor whose next is past the table
#   availjump     the available index 1000 ahead of the queue
#   indirect      an indirect descriptor, which wasn't offered
#   rxreadable    a readable buffer in the receive queue
#   hugechain     a transmit chain of 200 descriptors
#   tinyframe     transmit frames shorter than the virtio-net header
#   shortfile     a memory region larger than the file behind it
#   shrink        the memory file shrunk to nothing once passt mapped it,
#                 then a transmit chain kicked: passt's next look at the
#                 rings faults (SIGBUS) on pages that aren't there any more

"""A hostile vhost-user front end for passt's tests."""

import array
import mmap
import os
import socket
import struct
import sys
import time

GET_FEATURES, SET_FEATURES, SET_OWNER, SET_MEM_TABLE = 1, 2, 3, 5
SET_VRING_NUM, SET_VRING_ADDR, SET_VRING_BASE = 8, 9, 10
SET_VRING_KICK, SET_VRING_CALL = 12, 13
GET_PROTOCOL_FEATURES, SET_PROTOCOL_FEATURES, SET_VRING_ENABLE = 15, 16, 18

QSIZE = 256
MEM = 4 << 20
GPA = 0x100000
F_VERSION_1 = 1 << 32
F_MRG_RXBUF = 1 << 15
F_PROTOCOL = 1 << 30
DESC_NEXT, DESC_WRITE, DESC_INDIRECT = 1, 2, 4


class Frontend:
    """A vhost-user connection, with guest memory of its own."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(5)
        self.s.connect(path)
        self.memfd = os.memfd_create('hostile')
        os.ftruncate(self.memfd, MEM)
        self.mem = mmap.mmap(self.memfd, MEM)
        self.qva = 0x7f0000000000        # Any number: we never use it
        self.kick = [os.eventfd(0, os.EFD_NONBLOCK) for _ in range(2)]
        self.call = [os.eventfd(0, os.EFD_NONBLOCK) for _ in range(2)]

    def send(self, req, payload=b'', fds=(), flags=1, size=None):
        """Send a message; size may lie about the payload."""
        hdr = struct.pack('<III', req, flags,
                          len(payload) if size is None else size)
        anc = []
        if fds:
            anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                    array.array('i', fds))]
        self.s.sendmsg([hdr + payload], anc)

    def recv_u64(self):
        """Read a reply carrying one 64-bit number."""
        data = b''
        while len(data) < 20:
            chunk = self.s.recv(20 - len(data))
            if not chunk:
                raise ConnectionError('closed')
            data += chunk
        return struct.unpack('<IIIQ', data)[3]

    def u64(self, req, v, fds=()):
        """Send a request with a 64-bit payload."""
        self.send(req, struct.pack('<Q', v), fds)

    def state(self, req, index, num):
        """Send a request with a queue index and a number."""
        self.send(req, struct.pack('<II', index, num))

    def ring(self, q):
        """Offsets of the descriptor table, available and used rings."""
        base = q * 16384
        return base, base + 4096, base + 8192

    def setup(self):
        """A well-formed device: features, memory, both queues started."""
        self.send(GET_FEATURES)
        features = self.recv_u64()
        self.send(SET_OWNER)
        self.u64(SET_FEATURES, features & (F_VERSION_1 | F_MRG_RXBUF |
                                           F_PROTOCOL))
        self.send(SET_MEM_TABLE, struct.pack('<II', 1, 0) +
                  struct.pack('<QQQQ', GPA, MEM, self.qva, 0),
                  [self.memfd])
        for q in range(2):
            desc, avail, used = self.ring(q)
            self.state(SET_VRING_NUM, q, QSIZE)
            self.state(SET_VRING_BASE, q, 0)
            self.send(SET_VRING_ADDR, struct.pack(
                '<IIQQQQ', q, 0, self.qva + desc, self.qva + used,
                self.qva + avail, 0))
            self.u64(SET_VRING_CALL, q, [self.call[q]])
            self.u64(SET_VRING_KICK, q, [self.kick[q]])
            self.state(SET_VRING_ENABLE, q, 1)

    def desc(self, q, i, addr, length, flags, nxt=0):
        """Write descriptor i of queue q."""
        off = self.ring(q)[0] + i * 16
        self.mem[off:off + 16] = struct.pack('<QIHH', addr, length, flags,
                                             nxt)

    def avail(self, q, heads, idx=None, kick=True):
        """Make chains available, set the index (maybe to anything)."""
        off = self.ring(q)[1]
        for i, h in enumerate(heads):
            self.mem[off + 4 + 2 * i:off + 6 + 2 * i] = struct.pack('<H', h)
        self.mem[off + 2:off + 4] = struct.pack(
            '<H', len(heads) if idx is None else idx)
        if kick:
            os.eventfd_write(self.kick[q], 1)

    def alive(self):
        """Tell if passt still answers on this connection."""
        try:
            self.send(GET_FEATURES)
            self.recv_u64()
            return True
        except (OSError, ConnectionError):
            return False


def play(fe, case):
    """Do something a well-behaved front end wouldn't."""
    buf = GPA + 3 * 16384
    if case == 'version':
        fe.send(GET_FEATURES, flags=2)
    elif case == 'oversized':
        fe.send(GET_FEATURES, size=1 << 20)
    elif case == 'shortpayload':
        fe.send(SET_VRING_NUM, b'\x00\x00')
    elif case == 'regions':
        fe.send(SET_MEM_TABLE, struct.pack('<II', 9, 0) +
                struct.pack('<QQQQ', GPA, MEM, fe.qva, 0) * 9,
                [fe.memfd])
    elif case == 'fdcount':
        fe.send(SET_MEM_TABLE, struct.pack('<II', 2, 0) +
                struct.pack('<QQQQ', GPA, MEM, fe.qva, 0) * 2,
                [fe.memfd])
    elif case == 'manyfds':
        fe.send(GET_FEATURES, fds=[fe.memfd] * 20)
    elif case == 'ringaddr':
        fe.send(SET_MEM_TABLE, struct.pack('<II', 1, 0) +
                struct.pack('<QQQQ', GPA, MEM, fe.qva, 0), [fe.memfd])
        fe.state(SET_VRING_NUM, 0, QSIZE)
        fe.send(SET_VRING_ADDR, struct.pack('<IIQQQQ', 0, 0,
                                            fe.qva + MEM - 16, fe.qva,
                                            fe.qva, 0))
    elif case == 'shortfile':
        os.ftruncate(fe.memfd, MEM // 2)
        fe.setup()
    elif case == 'queuesize':
        fe.state(SET_VRING_NUM, 0, 1000)
    elif case == 'queueindex':
        fe.state(SET_VRING_NUM, 7, QSIZE)
    else:
        fe.setup()
        if case == 'loop':
            fe.desc(1, 0, buf, 100, DESC_NEXT, 0)
            fe.avail(1, [0])
        elif case == 'outside':
            fe.desc(1, 0, GPA + MEM - 10, 100, 0)
            fe.avail(1, [0])
        elif case == 'nextpast':
            fe.desc(1, 0, buf, 100, DESC_NEXT, QSIZE + 5)
            fe.avail(1, [0])
        elif case == 'availjump':
            fe.avail(1, [], idx=1000)
        elif case == 'indirect':
            fe.desc(1, 0, buf, 64, DESC_INDIRECT)
            fe.avail(1, [0])
        elif case == 'rxreadable':
            fe.desc(0, 0, buf, 65536, 0)
            fe.avail(0, [0])
        elif case == 'hugechain':
            for i in range(200):
                fe.desc(1, i, buf + i * 16, 16,
                        DESC_NEXT if i < 199 else 0, i + 1)
            fe.avail(1, [0])
        elif case == 'shrink':
            fe.desc(1, 0, buf, 100, 0)
            fe.avail(1, [0], kick=False)
            fe.mem.close()
            os.ftruncate(fe.memfd, 0)
            os.eventfd_write(fe.kick[1], 1)
        elif case == 'tinyframe':
            for i in range(10):
                fe.desc(1, i, buf, i, 0)
            fe.avail(1, list(range(10)))
        else:
            sys.exit('unknown case ' + case)
    time.sleep(0.3)


def main():
    """Connect, play the case, tell what passt did with the connection."""
    fe = Frontend(sys.argv[1])
    try:
        play(fe, sys.argv[2])
    except (OSError, ConnectionError):
        pass
    print('OPEN' if fe.alive() else 'CLOSED')


if __name__ == '__main__':
    main()
