#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/udp_tool.py - UDP clients and servers for the integration tests
#
#   echoserver PORT [ADDR...]        echo datagrams from the address they
#                                    came to, IPv4 and IPv6
#   sinkserver PORT FILE             append each datagram's payload to FILE
#   echo HOST PORT SIZE COUNT        send COUNT datagrams of SIZE bytes, check
#                                    the echoes; print ECHO ok/COUNT
#   many HOST PORT N                 N sockets at once, one datagram each,
#                                    checked; print MANY ok/N
#   flood HOST PORT SIZE COUNT [STOP]
#                                    send COUNT datagrams of SIZE bytes, no
#                                    answers expected, and again in rounds
#                                    (each followed by a line ROUND n and a
#                                    1.5 s pause) until file STOP exists;
#                                    print SENT n
#   replyflood PORT SIZE COUNT DELAY FILE [STOP]
#                                    for each datagram, wait DELAY seconds,
#                                    send COUNT datagrams of SIZE bytes back
#                                    (in rounds as flood does, ROUND lines
#                                    going to FILE), then append DONE to FILE
#   malformed SOCKET PORT            as a fake guest on passt's socket, send
#                                    malformed datagrams to 203.0.113.1:PORT
#                                    then a good one; print SENT
#   runs HOST PORT SIZE COUNT        send COUNT numbered datagrams of SIZE
#                                    bytes, 64 at a time in one call
#                                    (UDP_SEGMENT); print SENT n
#   runsflood HOST PORT SIZE COUNT [STOP]
#                                    one run of datagrams of SIZE bytes
#                                    (UDP_SEGMENT), a pause of 0.2 s, then
#                                    COUNT runs as fast as the socket takes
#                                    them, in rounds as flood does; print
#                                    SENT n (runs)
#   runsecho PORT SIZE COUNT         for each datagram, send COUNT numbered
#                                    ones of SIZE bytes back the same way
#   runsrecv PORT SIZE COUNT [HOST HPORT]
#                                    receive and check COUNT numbered
#                                    datagrams (after sending one to
#                                    HOST:HPORT from PORT, if given); print
#                                    RUNS ok/COUNT
#   tftpsink PORT FILE               take one file written to us over TFTP
#                                    (RFC 1350), in blocks of the size the
#                                    client asks for (RFC 2348), into FILE

"""UDP tools for the passt integration tests."""

import os
import resource
import selectors
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

SO_RCVBUFFORCE = 33
UDP_SEGMENT = 103
RUN = 64            # Datagrams in one call with UDP_SEGMENT


def family(host):
    """Address family of a literal address."""
    return socket.AF_INET6 if ':' in host else socket.AF_INET


def bound(port, addr='::'):
    """A UDP socket bound to a port, dual-stack on the wildcard address."""
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    if addr == '::':
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    try:
        # A burst from many flows must not overflow the receive buffer
        s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 8 << 20)
    except OSError:
        pass
    s.bind((addr, port))
    return s


def echoserver(port, addrs):
    """Send every datagram back to its sender, from the address it came to.

    A socket per address: replies from a wildcard socket would come from
    whatever address the route picks, and a connected socket on the other
    side would drop them.
    """
    sel = selectors.DefaultSelector()
    for addr in addrs or ['::']:
        sel.register(bound(port, addr), selectors.EVENT_READ)
    while True:
        for key, _ in sel.select():
            data, peer = key.fileobj.recvfrom(65536)
            key.fileobj.sendto(data, peer)


def sinkserver(port, path):
    """Record every datagram, one line of hex each."""
    s = bound(port)
    with open(path, 'a', encoding='ascii') as f:
        while True:
            data, _ = s.recvfrom(65536)
            f.write(data.hex() + '\n')
            f.flush()


def tftpsink(port, path):
    """One TFTP write request, its blocks into a file: the client's own
    block size (up to 65464 bytes, a datagram each), acknowledged from the
    port the request came to."""
    s = bound(port)
    req, peer = s.recvfrom(65536)
    op, rest = struct.unpack('!H', req[:2])[0], req[2:].split(b'\0')
    if op != 2:
        sys.exit('not a write request')
    opts = dict(zip(rest[2:-1:2], rest[3::2]))
    size = 512
    if b'blksize' in opts:
        size = min(int(opts[b'blksize']), 65464)
        s.sendto(struct.pack('!H', 6) + b'blksize\0%d\0' % size, peer)
    else:
        s.sendto(struct.pack('!HH', 4, 0), peer)
    s.settimeout(10)
    block = 1
    with open(path, 'wb') as f:
        while True:
            data, _ = s.recvfrom(65536)
            op, num = struct.unpack('!HH', data[:4])
            if op != 3:
                sys.exit('not a data block')
            if num == block:
                f.write(data[4:])
                f.flush()
                block = (block + 1) & 0xffff
            s.sendto(struct.pack('!HH', 4, num), peer)
            if num == (block - 1) & 0xffff and len(data) - 4 < size:
                break


def append(path, line):
    """Append a line to a file."""
    with open(path, 'a', encoding='ascii') as f:
        f.write(line + '\n')


def rounds(send, count, stop, log):
    """COUNT calls of send(); if a file name STOP is given, in rounds, each
    followed by a line "ROUND n" written with log() and a pause of 1.5 s,
    until that file exists. Return how many calls didn't fail."""
    sent = 0
    n = 0
    while True:
        for _ in range(count):
            try:
                send()
                sent += 1
            except OSError:
                pass
        if stop is None:
            return sent
        n += 1
        log('ROUND %d' % n)
        time.sleep(1.5)
        if os.path.exists(stop):
            return sent


def replyflood(port, size, count, delay, path, stop=None):
    """Answer each datagram with many, as fast as the socket takes them."""
    s = bound(port)
    data = bytes(size)
    while True:
        _, peer = s.recvfrom(65536)
        time.sleep(delay)
        rounds(lambda: s.sendto(data, peer), count, stop,
               lambda line: append(path, line))
        append(path, 'DONE')


def echo(host, port, size, count):
    """Datagrams of a given size through an echo server, compared."""
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    s.settimeout(2)
    s.connect((host, port))
    ok = 0
    for _ in range(count):
        data = os.urandom(size)
        s.send(data)
        try:
            ok += s.recv(65536) == data
        except socket.timeout:
            pass
    print('ECHO %d/%d' % (ok, count))


def many(host, port, n):
    """Many flows at once, one datagram each way."""
    sel = selectors.DefaultSelector()
    want = {}
    for _ in range(n):
        s = socket.socket(family(host), socket.SOCK_DGRAM)
        s.setblocking(False)
        s.connect((host, port))
        data = os.urandom(100)
        want[s] = data
        s.send(data)
        sel.register(s, selectors.EVENT_READ)
    ok = 0
    deadline = time.monotonic() + 20
    while want and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=1):
            s = key.fileobj
            try:
                data = s.recv(65536)
            except OSError:
                continue
            ok += data == want.pop(s)
            sel.unregister(s)
            s.close()
    print('MANY %d/%d' % (ok, n))


def flood(host, port, size, count, stop=None):
    """Datagrams as fast as the socket takes them, none checked."""
    with socket.socket(family(host), socket.SOCK_DGRAM) as s:
        s.connect((host, port))
        data = bytes(size)
        sent = rounds(lambda: s.send(data), count, stop,
                      lambda line: print(line, flush=True))
    print('SENT %d' % sent, flush=True)


def malformed(path, port):
    """Malformed UDP datagrams as a guest, then a good one."""
    import frames  # pylint: disable=import-outside-toplevel

    class Stats:  # pylint: disable=too-few-public-methods
        """What frames.Conn counts"""
        frames = checksums = 0
        errors = []

    guest, remote = frames.a4('192.0.2.2'), frames.a4('203.0.113.1')
    mac = frames.mac_bytes('02:00:00:00:00:01')
    c = frames.Conn(path, Stats())

    guest6, remote6 = frames.a6('2001:db8::2'), frames.a6('2001:db8:1::1')
    good = frames.udp(guest, remote, 40000, port, b'GOOD')
    longer = frames.udp(guest, remote, 40000, port, b'LONG', ulen=40)
    shorter = frames.udp(guest, remote, 40000, port, b'SHORTER', ulen=10)
    badsum = bytearray(frames.udp(guest, remote, 40000, port, b'BADSUM'))
    badsum[6] ^= 0x55
    zerosum6 = frames.udp(guest6, remote6, 40000, port, b'ZEROSUM6',
                          zero_csum=True)
    nosum4 = frames.udp(guest, remote, 40000, port, b'NOSUM4',
                        zero_csum=True)

    for seg in (longer, shorter, bytes(badsum)):
        c.send(frames.eth(mac, 0x0800, frames.ipv4(guest, remote, 17, seg)))
    c.send(frames.eth(mac, 0x86dd, frames.ipv6(guest6, remote6, 17, zerosum6,
                                               hlim=255)))
    c.send(frames.eth(mac, 0x0800, frames.ipv4(guest, remote, 17, nosum4)))
    c.send(frames.eth(mac, 0x0800, frames.ipv4(guest, remote, 17, good)))
    time.sleep(0.5)
    c.close()
    print('SENT')


def numbered(i, size):
    """Datagram number i of a run test: its number, then a pattern of it."""
    head = struct.pack('!I', i)
    body = bytes((i + k) & 0xff for k in range(256)) * (size // 256 + 1)
    return (head + body)[:size]


def send_runs(s, size, count, peer=None):
    """Numbered datagrams, up to RUN of them (64 KB at most) to a call with
    UDP_SEGMENT, a short pause between calls so that no receive buffer on
    the way overflows."""
    sent = 0
    gso = [(socket.IPPROTO_UDP, UDP_SEGMENT, struct.pack('=H', size))]
    while sent < count:
        n = min(RUN, 65000 // size, count - sent)
        data = b''.join(numbered(sent + k, size) for k in range(n))
        if peer:
            s.sendmsg([data], gso if n > 1 else [], 0, peer)
        else:
            s.sendmsg([data], gso if n > 1 else [])
        sent += n
        time.sleep(0.02)
    return sent


def runs(host, port, size, count):
    """Runs of datagrams to a peer."""
    with socket.socket(family(host), socket.SOCK_DGRAM) as s:
        s.connect((host, port))
        print('SENT %d' % send_runs(s, size, count))


def runsflood(host, port, size, count, stop=None):
    """Runs of datagrams as fast as the socket takes them, none checked;
    the first one alone, so that the receiver has seen a run before."""
    gso = [(socket.IPPROTO_UDP, UDP_SEGMENT, struct.pack('=H', size))]
    data = bytes(size * min(RUN, 65000 // size))
    with socket.socket(family(host), socket.SOCK_DGRAM) as s:
        s.connect((host, port))
        s.sendmsg([data], gso)
        time.sleep(0.2)
        sent = rounds(lambda: s.sendmsg([data], gso), count, stop,
                      lambda line: print(line, flush=True))
    print('SENT %d' % sent, flush=True)


def runsecho(port, size, count):
    """Answer each datagram with runs of numbered datagrams."""
    s = bound(port)
    while True:
        _, peer = s.recvfrom(65536)
        send_runs(s, size, count, peer)


def runsrecv(port, size, count, host=None, hport=0):
    """Numbered datagrams, each checked, counted until a second passes
    without any."""
    s = bound(port, '0.0.0.0' if host and ':' not in host else '::')
    if host:
        s.sendto(b'go', (host, hport))
    s.settimeout(5)
    seen = set()
    try:
        while len(seen) < count:
            data = s.recv(65536)
            s.settimeout(1)
            if len(data) < 4:
                continue
            i = struct.unpack('!I', data[:4])[0]
            if data == numbered(i, size):
                seen.add(i)
    except socket.timeout:
        pass
    print('RUNS %d/%d' % (len(seen), count))


def main():
    """Dispatch on the first argument."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == 'echoserver':
        echoserver(int(args[0]), args[1:])
    elif cmd == 'sinkserver':
        sinkserver(int(args[0]), args[1])
    elif cmd == 'echo':
        echo(args[0], int(args[1]), int(args[2]), int(args[3]))
    elif cmd == 'many':
        many(args[0], int(args[1]), int(args[2]))
    elif cmd == 'flood':
        flood(args[0], int(args[1]), int(args[2]), int(args[3]), *args[4:5])
    elif cmd == 'replyflood':
        replyflood(int(args[0]), int(args[1]), int(args[2]), float(args[3]),
                   args[4], *args[5:6])
    elif cmd == 'malformed':
        malformed(args[0], int(args[1]))
    elif cmd == 'runs':
        runs(args[0], int(args[1]), int(args[2]), int(args[3]))
    elif cmd == 'runsflood':
        runsflood(args[0], int(args[1]), int(args[2]), int(args[3]),
                  *args[4:5])
    elif cmd == 'runsecho':
        runsecho(int(args[0]), int(args[1]), int(args[2]))
    elif cmd == 'runsrecv':
        runsrecv(int(args[0]), int(args[1]), int(args[2]),
                 *(args[3:4] + [int(a) for a in args[4:5]]))
    elif cmd == 'tftpsink':
        tftpsink(int(args[0]), args[1])
    else:
        sys.exit('unknown command ' + cmd)


if __name__ == '__main__':
    main()
