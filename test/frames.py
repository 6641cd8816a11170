#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/frames.py - Frame-level tests of passt, from a fake guest
#
# Connects to passt's UNIX domain socket as qemu would, sends Ethernet frames
# built by hand (each preceded by its length, 32 bits, network order) and
# checks the replies field by field: ARP, NDP (neighbour and router
# advertisements), DHCP, DHCPv6, ICMP and ICMPv6 echo, and the handling of
# the stream framing itself. The checksums of every reply are verified.
#
# A check that a request gets no reply sends a good request right after it:
# passt handles the frames of a connection in order, so any reply to the
# first one arrives before the answer to the second, and we needn't wait.
#
# Prints "PASS name" or "FAIL name: what differed" for each check, and exits
# with status 1 if any check failed.
#
# Usage: frames.py --sock PATH --passt-mac MAC --router-ll ADDR [options]

import argparse
import os
import select
import socket
import struct
import sys
import threading
import time
from types import SimpleNamespace

from netlib import (BCAST_MAC, ETH_P_ARP, ETH_P_IP, ETH_P_IPV6, GUEST_MAC,
                    a4, a6, arp_frame, eth, icmp4, icmp6, inet_csum, ipv4,
                    ipv6, pseudo4, pseudo6, stream, udp)

FRAME_MAX = 14 + 65535
DHCP_MAGIC = 0x63825363
DHCP_FIXED = '!BBBBIHH4s4s4s4s16s64s128sI'
INFINITE = 0xffffffff
LEASE = 3600        # DHCP lease and DHCPv6 lifetimes, following the host
WAIT = 2.0		# Seconds to wait for an expected reply


# Addresses and their text forms

def t4(addr):
    """IPv4 address from bytes to text"""
    return socket.inet_ntop(socket.AF_INET, addr)


def t6(addr):
    """IPv6 address from bytes to text"""
    return socket.inet_ntop(socket.AF_INET6, addr)


def mac_bytes(text):
    """MAC address from text (xx:xx:...) to bytes"""
    b = bytes.fromhex(text.replace(':', ''))
    if len(b) != 6:
        raise ValueError('bad MAC address: ' + text)
    return b


def tmac(mac):
    """MAC address from bytes to text"""
    return ':'.join('%02x' % x for x in mac)


def ll_from_mac(mac):
    """Link-local IPv6 address with the modified EUI-64 of a MAC address"""
    return (a6('fe80::')[:8] + bytes([mac[0] ^ 2]) + mac[1:3] +
            b'\xff\xfe' + mac[3:6])


def solicited_node(addr):
    """Solicited-node multicast address of an IPv6 address (RFC 4291)"""
    return a6('ff02::1:ff00:0')[:13] + addr[13:]


def mcast_mac6(addr):
    """Ethernet multicast address of an IPv6 multicast address"""
    return b'\x33\x33' + addr[12:]


def mask4(prefix_len):
    """IPv4 netmask for a prefix length, as bytes"""
    return struct.pack('!I', (0xffffffff << (32 - prefix_len)) & 0xffffffff)


def prefix6(addr, prefix_len):
    """IPv6 prefix of an address: the host bits cleared"""
    n = int.from_bytes(addr, 'big')
    n &= ((1 << 128) - 1) ^ ((1 << (128 - prefix_len)) - 1)
    return n.to_bytes(16, 'big')


# Frames for passt

def udp4_frame(src, dst, sport, dport, data, ulen=None, mac=BCAST_MAC):
    """Ethernet frame with an IPv4 UDP datagram"""
    seg = udp(src, dst, sport, dport, data, ulen)
    return eth(mac, ETH_P_IP, ipv4(src, dst, 17, seg))


def udp6_frame(src, dst, sport, dport, data):
    """Ethernet frame with an IPv6 UDP datagram"""
    seg = udp(src, dst, sport, dport, data)
    return eth(mcast_mac6(dst), ETH_P_IPV6, ipv6(src, dst, 17, seg, 255))


def icmp4_frame(src, dst, mac, typ, code, body):
    """Ethernet frame with an ICMP message"""
    return eth(mac, ETH_P_IP, ipv4(src, dst, 1, icmp4(typ, code, body)))


def icmp6_frame(src, dst, mac, typ, code, body, hlim=255):
    """Ethernet frame with an ICMPv6 message"""
    m = icmp6(src, dst, typ, code, body)
    return eth(mac, ETH_P_IPV6, ipv6(src, dst, 58, m, hlim))


# Frames from passt, parsed

def is_mcast_query(raw):
    """Tell if a frame is a general multicast membership query

    IGMPv3 to 224.0.0.1, with a Router Alert option; MLDv2 to ff02::1 after a
    hop-by-hop header: passt asks the guest which groups it's in on connection
    and while it's in some.
    """
    if raw[12:14] == b'\x08\x00':
        ihl = (raw[14] & 0xf) * 4
        return (len(raw) >= 14 + ihl + 12 and raw[14 + 9] == 2 and
                raw[30:34] == socket.inet_aton('224.0.0.1') and
                raw[14 + ihl] == 0x11)
    if raw[12:14] == b'\x86\xdd':
        return (len(raw) >= 14 + 40 + 8 + 28 and raw[14 + 6] == 0 and
                raw[38:54] == socket.inet_pton(socket.AF_INET6, 'ff02::1') and
                raw[14 + 40 + 8] == 130)
    return False


class Frame:
    """A frame from passt, parsed down to the transport layer

    Problems found on the way, checksums first, are listed in errors.
    """

    def __init__(self, raw):
        self.raw = raw
        self.errors = []
        self.checksums = 0
        self.kind = 'short'
        if len(raw) < 14:
            self.errors.append('frame of %d bytes' % len(raw))
            return
        self.dst, self.src = raw[0:6], raw[6:12]
        self.etype = struct.unpack('!H', raw[12:14])[0]
        self.kind = 'other'
        body = raw[14:]
        if self.etype == ETH_P_ARP:
            self._arp(body)
        elif self.etype == ETH_P_IP:
            self._ip4(body)
        elif self.etype == ETH_P_IPV6:
            self._ip6(body)

    def _arp(self, b):
        """Parse an ARP message"""
        if len(b) < 28:
            self.errors.append('ARP message of %d bytes' % len(b))
            return
        (self.hrd, self.pro, self.hln, self.pln, self.op, self.sha,
         self.sip, self.tha, self.tip) = struct.unpack('!HHBBH6s4s6s4s',
                                                       b[:28])
        self.kind = 'arp'

    def _ip4(self, b):
        """Parse an IPv4 packet, verify its header checksum"""
        if len(b) < 20 or b[0] >> 4 != 4 or (b[0] & 15) < 5:
            self.errors.append('malformed IPv4 header')
            return
        ihl = (b[0] & 15) * 4
        tot = struct.unpack('!H', b[2:4])[0]
        if tot < ihl or tot > len(b):
            self.errors.append('IPv4 total length %d, %d bytes there' %
                               (tot, len(b)))
            return
        self.checksums += 1
        if inet_csum(b[:ihl]):
            self.errors.append('bad IPv4 header checksum')
        self.family, self.hlim, proto = 4, b[8], b[9]
        self.saddr, self.daddr = b[12:16], b[16:20]
        l4 = b[ihl:tot]
        ph = pseudo4(self.saddr, self.daddr, proto, len(l4))
        if proto == 17:
            self._udp(l4, ph, False)
        elif proto == 1:
            self._icmp(l4, b'', 'icmp4')

    def _ip6(self, b):
        """Parse an IPv6 packet"""
        if len(b) < 40 or b[0] >> 4 != 6:
            self.errors.append('malformed IPv6 header')
            return
        plen, proto, self.hlim = struct.unpack('!HBB', b[4:8])
        if plen > len(b) - 40:
            self.errors.append('IPv6 payload length %d, %d bytes there' %
                               (plen, len(b) - 40))
            return
        self.family = 6
        self.saddr, self.daddr = b[8:24], b[24:40]
        l4 = b[40:40 + plen]
        ph = pseudo6(self.saddr, self.daddr, proto, len(l4))
        if proto == 17:
            self._udp(l4, ph, True)
        elif proto == 58:
            self._icmp(l4, ph, 'icmp6')

    def _udp(self, l4, ph, required):
        """Parse a UDP header, verify the checksum"""
        if len(l4) < 8:
            self.errors.append('UDP datagram of %d bytes' % len(l4))
            return
        self.sport, self.dport, ulen, c = struct.unpack('!HHHH', l4[:8])
        if ulen != len(l4):
            self.errors.append('UDP length %d in a %d-byte payload' %
                               (ulen, len(l4)))
        if c or required:
            self.checksums += 1
            if not c:
                self.errors.append('no UDP checksum over IPv6')
            elif inet_csum(ph + l4):
                self.errors.append('bad UDP checksum')
        self.payload = l4[8:ulen]
        self.kind = 'udp%d' % self.family

    def _icmp(self, l4, ph, kind):
        """Parse an ICMP or ICMPv6 header, verify the checksum"""
        if len(l4) < 8:
            self.errors.append('%s message of %d bytes' % (kind, len(l4)))
            return
        self.checksums += 1
        if inet_csum(ph + l4):
            self.errors.append('bad %s checksum' % kind.upper())
        self.icmp_type, self.icmp_code = l4[0], l4[1]
        self.icmp_body = l4[4:]
        self.kind = kind

    def describe(self):
        """Short description, for messages"""
        if self.kind == 'arp':
            return 'ARP op %d %s is-at %s' % (self.op, t4(self.sip),
                                              tmac(self.sha))
        if self.kind in ('udp4', 'udp6', 'icmp4', 'icmp6'):
            t = t4 if self.family == 4 else t6
            what = (('type %d' % self.icmp_type) if 'icmp' in self.kind
                    else 'ports %d->%d' % (self.sport, self.dport))
            return '%s %s -> %s %s' % (self.kind, t(self.saddr),
                                      t(self.daddr), what)
        return '%s frame, ethertype 0x%04x' % (self.kind,
                                               getattr(self, 'etype', 0))


# Payload parsers: DNS names, DHCP, DHCPv6, NDP options

def dns_name(data, off, compressed):
    """Read a domain name in wire format

    Return: (name in text form, offset after it)
    """
    labels, end, hops = [], None, 0
    while True:
        if off >= len(data):
            raise ValueError('name runs past the end')
        n = data[off]
        if n == 0:
            off += 1
            break
        if n & 0xc0 == 0xc0:
            if not compressed:
                raise ValueError('compression pointer where none allowed')
            if off + 1 >= len(data):
                raise ValueError('truncated compression pointer')
            ptr = (n & 0x3f) << 8 | data[off + 1]
            if ptr >= off:
                raise ValueError('pointer %d at %d is not backwards' %
                                 (ptr, off))
            if end is None:
                end = off + 2
            off = ptr
            hops += 1
            if hops > 128:
                raise ValueError('pointer loop')
            continue
        if n & 0xc0:
            raise ValueError('label type 0x%02x' % (n & 0xc0))
        if off + 1 + n > len(data):
            raise ValueError('label runs past the end')
        labels.append(data[off + 1:off + 1 + n].decode('ascii'))
        off += 1 + n
    return '.'.join(labels), (off if end is None else end)


def dns_list(data, compressed, padded=False):
    """Read names back to back; with padded, trailing zeroes are padding

    Return: (names, count of compression pointers)
    """
    names, off = [], 0
    while off < len(data):
        if padded and not any(data[off:]):
            break
        name, off = dns_name(data, off, compressed)
        names.append(name)
    ptrs = 0
    if compressed:
        off = 0
        while off < len(data):
            n = data[off]
            if n & 0xc0 == 0xc0:
                ptrs += 1
                off += 2
            else:
                off += 1 + n
    return names, ptrs


def dns_encode(name):
    """Domain name in wire format, uncompressed"""
    out = b''
    for label in name.split('.'):
        if label:
            out += bytes([len(label)]) + label.encode('ascii')
    return out + b'\0'


def dns_compressed_len(names):
    """Length of a list encoded compressing every tail already written"""
    seen, total = set(), 0
    for name in names:
        labels = name.lower().split('.')
        for i in range(len(labels)):
            tail = '.'.join(labels[i:])
            if tail in seen:
                total += 2
                break
            seen.add(tail)
            total += 1 + len(labels[i])
        else:
            total += 1
    return total


def dhcp_parse(p):
    """Split a DHCP message into fixed fields and options, in order"""
    if len(p) < 240:
        raise ValueError('DHCP message of %d bytes' % len(p))
    f = struct.unpack(DHCP_FIXED, p[:240])
    m = SimpleNamespace(op=f[0], htype=f[1], hlen=f[2], xid=f[4],
                        flags=f[6], ciaddr=f[7], yiaddr=f[8], siaddr=f[9],
                        giaddr=f[10], chaddr=f[11], magic=f[14], opts=[],
                        end=False, length=len(p))
    off = 240
    while off < len(p):
        code = p[off]
        if code == 0:
            off += 1
            continue
        if code == 255:
            m.end = True
            break
        if off + 2 > len(p) or off + 2 + p[off + 1] > len(p):
            raise ValueError('option %d runs past the end' % code)
        m.opts.append((code, p[off + 2:off + 2 + p[off + 1]]))
        off += 2 + p[off + 1]
    return m


def dhcp_opt(m, code):
    """Payload of a DHCP option, pieces concatenated (RFC 3396), or None"""
    pieces = [v for c, v in m.opts if c == code]
    return b''.join(pieces) if pieces else None


def dhcp_build(xid, opts, op=1, htype=1, hlen=6, ciaddr=b'\0' * 4, flags=0,
               magic=DHCP_MAGIC, raw_opts=None):
    """DHCP request; options as (code, payload) pairs, or raw"""
    fixed = struct.pack(DHCP_FIXED, op, htype, hlen, 0, xid, 0, flags, ciaddr,
                        b'\0' * 4, b'\0' * 4, b'\0' * 4, GUEST_MAC, b'', b'',
                        magic)
    if raw_opts is not None:
        return fixed + raw_opts
    return fixed + b''.join(bytes([c, len(v)]) + v for c, v in opts) + b'\xff'


def v6_opts(data):
    """Split DHCPv6 options: list of (code, payload)"""
    opts, off = [], 0
    while off < len(data):
        if off + 4 > len(data):
            raise ValueError('option header runs past the end')
        code, n = struct.unpack('!HH', data[off:off + 4])
        if off + 4 + n > len(data):
            raise ValueError('option %d runs past the end' % code)
        opts.append((code, data[off + 4:off + 4 + n]))
        off += 4 + n
    return opts


def v6_get(opts, code):
    """First DHCPv6 option of a code, or None"""
    for c, v in opts:
        if c == code:
            return v
    return None


def v6_build(typ, xid, opts):
    """DHCPv6 message; options as (code, payload) pairs"""
    return (bytes([typ]) + xid.to_bytes(3, 'big') +
            b''.join(struct.pack('!HH', c, len(v)) + v for c, v in opts))


def nd_opts(data):
    """Split NDP options: list of (type, whole option)"""
    opts, off = [], 0
    while off < len(data):
        if off + 2 > len(data) or not data[off + 1]:
            raise ValueError('malformed option at %d' % off)
        n = data[off + 1] * 8
        if off + n > len(data):
            raise ValueError('option %d runs past the end' % data[off])
        opts.append((data[off], data[off:off + n]))
        off += n
    return opts


# The guest's connection

class Conn:
    """A connection to passt's socket, sending and reading framed frames"""

    def __init__(self, path, stats):
        self.stats = stats
        self.buf = b''
        self.eof = False
        self.backlog = []
        self.nframes = 0
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(5)
        self.s.connect(path)

    def close(self):
        """Close the connection"""
        self.s.close()

    def send_raw(self, data):
        """Write bytes to the stream as they are"""
        self.s.sendall(data)

    def send(self, *frames):
        """Write frames, each with its length, in one write"""
        self.send_raw(stream(*frames))

    def _pop(self):
        """Take one complete frame off the input buffer, if there's one"""
        if self.backlog:
            return self.backlog.pop(0)
        if len(self.buf) < 4:
            return None
        n = struct.unpack('!I', self.buf[:4])[0]
        if n < 14 or n > FRAME_MAX:
            self.stats.errors.append('passt sent a frame length of %d' % n)
            self.buf = b''
            return None
        if len(self.buf) < 4 + n:
            return None
        f = Frame(self.buf[4:4 + n])
        self.buf = self.buf[4 + n:]
        self.nframes += 1
        self.stats.frames += 1
        self.stats.checksums += f.checksums
        self.stats.errors += ['%s: %s' % (f.describe(), e) for e in f.errors]
        return f

    def recv(self, timeout):
        """Next frame from passt, None on timeout or end of stream"""
        deadline = time.monotonic() + timeout
        while True:
            f = self._pop()
            if f:
                return f
            left = deadline - time.monotonic()
            if self.eof or left <= 0:
                return None
            if not select.select([self.s], [], [], left)[0]:
                return None
            try:
                data = self.s.recv(1 << 20)
            except (ConnectionResetError, socket.timeout):
                data = b''
            if not data:
                self.eof = True
            self.buf += data

    def wait_eof(self, timeout):
        """Read until passt closes the connection; True if it did in time"""
        deadline = time.monotonic() + timeout
        while not self.eof:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.recv(left)
        return True


# The tests

class Tester:
    """Runs groups of checks against one passt instance"""

    def __init__(self, cfg):
        self.cfg = cfg
        self.stats = SimpleNamespace(frames=0, checksums=0, errors=[])
        self.passed = self.failed = 0
        self.xid = int.from_bytes(os.urandom(3), 'big') | 1
        self.barrier_n = 0
        self.c = None
        self.guest_ll = ll_from_mac(GUEST_MAC)

    # Results

    def result(self, name, problems):
        """Report a check: PASS if the list of problems is empty"""
        name = self.cfg.tag + name
        if problems:
            self.failed += 1
            print('FAIL %s: %s' % (name, '; '.join(problems)), flush=True)
        else:
            self.passed += 1
            print('PASS %s' % name, flush=True)

    @staticmethod
    def want(problems, what, got, expected):
        """Note a problem if a value isn't the expected one"""
        def text(v):
            """Bytes in hexadecimal, anything else as Python shows it"""
            if isinstance(v, bytes):
                return '0x' + v.hex() if v else 'empty'
            return str(v)

        if got != expected:
            problems.append('%s is %s, expected %s' %
                            (what, text(got), text(expected)))

    def next_xid(self):
        """A fresh transaction identifier, 24 bits"""
        self.xid = (self.xid + 1) & 0xffffff
        return self.xid

    # Connections

    def is_noise(self, f):
        """Tell if a frame is one passt sends unsolicited (see connect())"""
        cfg = self.cfg
        if f.kind == 'arp':
            return f.op == 1 and f.sha == cfg.passt_mac
        if is_mcast_query(f.raw):
            return True
        if f.kind != 'icmp6':
            return False
        if f.icmp_type == 134:
            return f.daddr == a6('ff02::1')
        return (f.icmp_type == 135 and f.saddr == cfg.router_ll and
                f.icmp_body[4:20] == cfg.ip6)

    def connect(self, first=False):
        """Connect as the guest, take the frames passt sends on its own

        On connection passt asks for the guest's IPv4 address (ARP), sends a
        router advertisement and solicits the guest's IPv6 address: wait for
        those, and check them on the first connection.
        """
        c = Conn(self.cfg.sock, self.stats)
        want = set()
        if self.cfg.ip4:
            want.add('arp')
        if self.cfg.ip6:
            want |= {'ra', 'ns'}
        got, keep = {}, []
        deadline = time.monotonic() + WAIT
        while want - set(got) and time.monotonic() < deadline:
            f = c.recv(deadline - time.monotonic())
            if f is None:
                break
            if not self.is_noise(f):
                keep.append(f)
            elif f.kind == 'arp':
                got['arp'] = f
            else:
                got['ra' if f.icmp_type == 134 else 'ns'] = f
        c.backlog = keep
        if first:
            if 'arp' in want:
                self.check_announce_arp(got.get('arp'))
            if 'ra' in want:
                f = got.get('ra')
                self.result('connect_ra', ['none'] if f is None else
                            self.check_ra(f, a6('ff02::1')))
            if 'ns' in want:
                self.check_announce_ns(got.get('ns'))
        return c

    def reconnect(self):
        """Drop the current connection, if any, and open a new one

        Wait for passt to close its side first: a client connecting before
        passt saw the previous one go would be turned away.
        """
        if self.c:
            if not self.c.eof:
                try:
                    self.c.s.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                self.c.wait_eof(WAIT)
            self.c.close()
        self.c = self.connect()

    def expect(self, match, timeout=WAIT):
        """Read frames until one matches

        Return: (matching frame or None, other frames that aren't noise)
        """
        others = []
        deadline = time.monotonic() + timeout
        while True:
            f = self.c.recv(max(0, deadline - time.monotonic()))
            if f is None:
                return None, others
            if match(f):
                return f, others
            if not self.is_noise(f):
                others.append(f)

    # Barriers: requests that must be answered, after one that must not be

    def arp_barrier(self):
        """Send an ARP request to be answered

        Return: a matcher for its reply
        """
        self.barrier_n += 1
        tip = bytearray(self.cfg.gw4)
        tip[3] = 100 + self.barrier_n % 100
        tip = bytes(tip)
        self.c.send(arp_frame(1, self.cfg.ip4, tip))
        return lambda f: f.kind == 'arp' and f.op == 2 and f.sip == tip

    def dhcp_barrier(self):
        """Send a good DHCPDISCOVER; Return: a matcher for the offer"""
        xid = self.next_xid()
        self.send_dhcp(dhcp_build(xid, [(53, b'\x01')]))
        return lambda f: self.is_dhcp_reply(f, xid)

    def dhcpv6_barrier(self):
        """Send a good INFORMATION-REQUEST; Return: a matcher for the reply"""
        xid = self.next_xid()
        self.send_dhcpv6(v6_build(11, xid, [(1, self.client_duid())]))
        return lambda f: self.is_dhcpv6_reply(f, xid)

    def silent(self, name, frames, barrier=None):
        """Check that frames get no reply, and the next request one

        @frames:	Frames to send
        @barrier:	Function sending a request, returning a reply matcher
        """
        self.c.send(*frames)
        match = (barrier or self.arp_barrier)()
        f, others = self.expect(match)
        problems = ['unexpected reply: ' + o.describe() for o in others]
        if f is None:
            problems.append('no reply to the good request after it' +
                            (' (connection closed)' if self.c.eof else ''))
        self.result(name, problems)

    # Connection announcements

    def check_announce_arp(self, f):
        """ARP request passt sends on connection, for the guest's address"""
        p = []
        if f is None:
            p.append('none')
        else:
            self.want(p, 'destination', tmac(f.dst), tmac(BCAST_MAC))
            self.want(p, 'source', tmac(f.src), tmac(self.cfg.passt_mac))
            self.want(p, 'target IP', t4(f.tip), t4(self.cfg.ip4))
            self.want(p, 'sender IP', t4(f.sip), t4(self.cfg.gw4))
            self.want(p, 'header', (f.hrd, f.pro, f.hln, f.pln),
                      (1, ETH_P_IP, 6, 4))
            p += f.errors
        self.result('connect_arp_request', p)

    def check_announce_ns(self, f):
        """Neighbour solicitation passt sends for the guest's IPv6 address"""
        p = []
        if f is None:
            p.append('none')
        else:
            self.want(p, 'destination', t6(f.daddr),
                      t6(solicited_node(self.cfg.ip6)))
            self.want(p, 'hop limit', f.hlim, 255)
            self.want(p, 'code', f.icmp_code, 0)
            try:
                opts = dict(nd_opts(f.icmp_body[20:]))
                self.want(p, 'source link-layer address',
                          tmac(opts.get(1, b'\0' * 8)[2:8]),
                          tmac(self.cfg.passt_mac))
            except ValueError as e:
                p.append(str(e))
            p += f.errors
        self.result('connect_ns', p)

    # ARP

    def test_arp(self):
        """ARP requests: answered for every address but the guest's"""
        cfg = self.cfg
        other = bytearray(cfg.gw4)
        other[3] = 77
        other = bytes(other)
        for name, tip in (('arp_gateway', cfg.gw4), ('arp_other', other)):
            self.c.send(arp_frame(1, cfg.ip4, tip))
            f, others = self.expect(lambda f, t=tip: f.kind == 'arp' and
                                    f.sip == t)
            p = ['unexpected: ' + o.describe() for o in others]
            if f is None:
                p.append('no reply')
            else:
                self.want(p, 'Ethernet destination', tmac(f.dst),
                          tmac(GUEST_MAC))
                self.want(p, 'Ethernet source', tmac(f.src),
                          tmac(cfg.passt_mac))
                self.want(p, 'header', (f.hrd, f.pro, f.hln, f.pln, f.op),
                          (1, ETH_P_IP, 6, 4, 2))
                self.want(p, 'sender MAC', tmac(f.sha), tmac(cfg.passt_mac))
                self.want(p, 'target MAC', tmac(f.tha), tmac(GUEST_MAC))
                self.want(p, 'target IP', t4(f.tip), t4(cfg.ip4))
                p += f.errors
            self.result(name, p)

        self.silent('arp_guest_address_silent',
                    [arp_frame(1, other, cfg.ip4)])
        self.silent('arp_announce_guest_address_silent',
                    [arp_frame(1, cfg.ip4, cfg.ip4)])
        self.silent('arp_probe_guest_address_silent',
                    [arp_frame(1, b'\0' * 4, cfg.ip4)])
        self.silent('arp_gratuitous_silent', [arp_frame(1, other, other)])
        self.silent('arp_target_any_silent',
                    [arp_frame(1, cfg.ip4, b'\0' * 4)])
        self.silent('arp_reply_from_guest_silent',
                    [arp_frame(2, cfg.ip4, cfg.gw4, tha=cfg.passt_mac,
                               dst=cfg.passt_mac)])
        short = arp_frame(1, cfg.ip4, cfg.gw4)[:14 + 20]
        self.silent('arp_truncated_silent', [short])

    # NDP

    def rs_frame(self, src):
        """Router solicitation from an address, :: without SLLA option"""
        body = b'\0' * 4
        if src != a6('::'):
            body += b'\x01\x01' + GUEST_MAC
        return icmp6_frame(src, a6('ff02::2'), mcast_mac6(a6('ff02::2')),
                           133, 0, body)

    def ns_frame(self, src, target, trunc=False):
        """Neighbour solicitation for a target"""
        body = b'\0' * 4 + target
        if src != a6('::'):
            body += b'\x01\x01' + GUEST_MAC
        if trunc:
            body = body[:12]
        dst = solicited_node(target)
        return icmp6_frame(src, dst, mcast_mac6(dst), 135, 0, body)

    def check_ra(self, f, dst):
        """Check a router advertisement, every option of it

        Return: list of problems
        """
        cfg = self.cfg
        p = list(f.errors)
        self.want(p, 'source', t6(f.saddr), t6(cfg.router_ll))
        self.want(p, 'destination', t6(f.daddr), t6(dst))
        self.want(p, 'Ethernet source', tmac(f.src), tmac(cfg.passt_mac))
        self.want(p, 'hop limit', f.hlim, 255)
        self.want(p, 'code', f.icmp_code, 0)
        b = f.icmp_body
        if len(b) < 12:
            return p + ['RA of %d bytes' % len(b)]
        hop, flags, life = struct.unpack('!BBH', b[:4])
        self.want(p, 'cur hop limit', hop, 64)
        self.want(p, 'M and O flags', hex(flags & 0xc0),
                  hex(0xc0 if cfg.dhcpv6 else 0))
        self.want(p, 'router lifetime', life, 9000)
        try:
            opts = nd_opts(b[12:])
        except ValueError as e:
            return p + [str(e)]
        types = [t for t, _ in opts]
        for t in (3, 5, 1) + ((25,) if cfg.dns6 else ()) + \
                ((31,) if cfg.search else ()):
            self.want(p, 'count of options of type %d' % t, types.count(t), 1)
        for t in ((25,) if not cfg.dns6 else ()) + \
                ((31,) if not cfg.search else ()):
            self.want(p, 'count of options of type %d' % t, types.count(t), 0)
        for t, o in opts:
            if t == 3:
                self.check_ra_prefix(p, o)
            elif t == 5:
                self.want(p, 'MTU option length', o[1], 1)
                self.want(p, 'MTU', struct.unpack('!I', o[4:8])[0], cfg.mtu)
            elif t == 25:
                self.want(p, 'RDNSS servers',
                          [t6(o[i:i + 16]) for i in range(8, len(o), 16)],
                          [t6(a) for a in cfg.dns6])
                if not struct.unpack('!I', o[4:8])[0]:
                    p.append('RDNSS lifetime is zero')
            elif t == 31:
                try:
                    names = dns_list(o[8:], False, padded=True)[0]
                    self.want(p, 'DNSSL names', names, cfg.search)
                except ValueError as e:
                    p.append('DNSSL: %s' % e)
                if not struct.unpack('!I', o[4:8])[0]:
                    p.append('DNSSL lifetime is zero')
            elif t == 1:
                self.want(p, 'source link-layer address', tmac(o[2:8]),
                          tmac(cfg.passt_mac))
        return p

    def check_ra_prefix(self, p, o):
        """Check the prefix information option of a router advertisement"""
        cfg = self.cfg
        if len(o) != 32:
            p.append('prefix option of %d bytes' % len(o))
            return
        plen, flags, valid, pref = struct.unpack('!BBII', o[2:12])
        self.want(p, 'prefix length', plen, cfg.prefix6)
        self.want(p, 'prefix flags', hex(flags), hex(0xc0))
        self.want(p, 'prefix valid lifetime', valid, INFINITE)
        self.want(p, 'prefix preferred lifetime', pref, INFINITE)
        self.want(p, 'prefix', t6(o[16:32]),
                  t6(prefix6(cfg.ip6, cfg.prefix6)))

    def check_na(self, f, target, dst):
        """Check a neighbour advertisement; Return: list of problems"""
        cfg = self.cfg
        p = list(f.errors)
        self.want(p, 'source', t6(f.saddr), t6(target))
        self.want(p, 'destination', t6(f.daddr), t6(dst))
        self.want(p, 'Ethernet destination', tmac(f.dst), tmac(GUEST_MAC))
        self.want(p, 'Ethernet source', tmac(f.src), tmac(cfg.passt_mac))
        self.want(p, 'hop limit', f.hlim, 255)
        self.want(p, 'code', f.icmp_code, 0)
        b = f.icmp_body
        if len(b) < 20:
            return p + ['NA of %d bytes' % len(b)]
        self.want(p, 'flags', hex(b[0]), hex(0xe0))
        self.want(p, 'target', t6(b[4:20]), t6(target))
        try:
            opts = nd_opts(b[20:])
        except ValueError as e:
            return p + [str(e)]
        tll = [o for t, o in opts if t == 2]
        if len(tll) != 1:
            p.append('%d target link-layer address options' % len(tll))
        else:
            self.want(p, 'target link-layer address', tmac(tll[0][2:8]),
                      tmac(cfg.passt_mac))
        return p

    def test_ndp(self):
        """Router and neighbour solicitations"""
        cfg = self.cfg
        ll = self.guest_ll
        for name, src, dst in (('ndp_rs_ra', ll, ll),
                               ('ndp_rs_unspecified_ra', a6('::'),
                                a6('ff02::1'))):
            self.c.send(self.rs_frame(src))
            f, others = self.expect(lambda f, d=dst: f.kind == 'icmp6' and
                                    f.icmp_type == 134 and f.daddr == d)
            p = ['unexpected: ' + o.describe() for o in others]
            p += ['no RA'] if f is None else self.check_ra(f, dst)
            if f and dst == ll:
                self.want(p, 'Ethernet destination', tmac(f.dst),
                          tmac(GUEST_MAC))
            self.result(name, p)

        onlink = bytearray(cfg.ip6)
        onlink[15] = 0x77
        for name, src, target in (
                ('ndp_ns_gateway_na', cfg.ip6, cfg.gw6),
                ('ndp_ns_other_na', cfg.ip6, bytes(onlink)),
                ('ndp_ns_router_ll_na', ll, cfg.router_ll)):
            self.c.send(self.ns_frame(src, target))
            f, others = self.expect(lambda f, t=target: f.kind == 'icmp6' and
                                    f.icmp_type == 136 and
                                    f.icmp_body[4:20] == t)
            p = ['unexpected: ' + o.describe() for o in others]
            p += ['no NA'] if f is None else self.check_na(f, target, src)
            self.result(name, p)

        self.silent('ndp_ns_guest_address_silent',
                    [self.ns_frame(ll, cfg.ip6)])
        self.silent('ndp_ns_guest_ll_silent', [self.ns_frame(cfg.ip6, ll)])
        self.silent('ndp_ns_dad_silent', [self.ns_frame(a6('::'), cfg.gw6)])
        self.silent('ndp_ns_truncated_silent',
                    [self.ns_frame(cfg.ip6, cfg.gw6, trunc=True)])

    # DHCP

    def send_dhcp(self, msg, src=b'\0' * 4, unicast=False):
        """Send a DHCP message from the client port to the server's

        @unicast:	To the server's address, else broadcast
        """
        if unicast:
            self.c.send(udp4_frame(src, self.cfg.gw4, 68, 67, msg,
                                   mac=self.cfg.passt_mac))
        else:
            self.c.send(udp4_frame(src, BCAST_MAC[:4], 68, 67, msg))

    @staticmethod
    def is_dhcp_reply(f, xid):
        """Match a DHCP reply for a transaction"""
        return (f.kind == 'udp4' and f.sport == 67 and f.dport == 68 and
                len(f.payload) >= 8 and
                struct.unpack('!I', f.payload[4:8])[0] == xid)

    def dhcp_exchange(self, msg, xid, src=b'\0' * 4, unicast=False):
        """Send a DHCP request, wait for the reply

        Return: (frame, parsed message, problems so far)
        """
        self.send_dhcp(msg, src, unicast)
        f, others = self.expect(lambda f: self.is_dhcp_reply(f, xid))
        p = ['unexpected: ' + o.describe() for o in others]
        if f is None:
            return None, None, p + ['no reply']
        p += f.errors
        try:
            m = dhcp_parse(f.payload)
        except ValueError as e:
            return f, None, p + [str(e)]
        return f, m, p

    def check_dhcp_reply(self, p, f, m, mtype, dst, yiaddr, lease=True,
                         big=True):
        """Check the headers and options of a DHCP reply

        @p:		List of problems, extended
        @big:		The request allowed a message larger than 576 bytes
        """
        cfg = self.cfg
        self.want(p, 'IP source', t4(f.saddr), t4(cfg.gw4))
        self.want(p, 'IP destination', t4(f.daddr), t4(dst))
        self.want(p, 'Ethernet destination', tmac(f.dst), tmac(GUEST_MAC))
        self.want(p, 'Ethernet source', tmac(f.src), tmac(cfg.passt_mac))
        self.want(p, 'op, htype, hlen', (m.op, m.htype, m.hlen), (2, 1, 6))
        self.want(p, 'chaddr', tmac(m.chaddr[:6]), tmac(GUEST_MAC))
        self.want(p, 'magic', hex(m.magic), hex(DHCP_MAGIC))
        self.want(p, 'yiaddr', t4(m.yiaddr), t4(yiaddr))
        self.want(p, 'message type', dhcp_opt(m, 53), bytes([mtype]))
        self.want(p, 'server identifier', dhcp_opt(m, 54), cfg.gw4)
        if not m.end:
            p.append('no end option')
        if m.length < 300:
            p.append('message of %d bytes, less than 300' % m.length)
        limit = (1500 if big else 576) - 28
        if m.length > limit:
            p.append('message of %d bytes, more than %d' % (m.length, limit))
        if mtype == 6:
            for code in (51, 1, 3, 6):
                if dhcp_opt(m, code) is not None:
                    p.append('option %d in a NAK' % code)
            return
        if lease:
            self.want(p, 'lease time', dhcp_opt(m, 51),
                      struct.pack('!I', LEASE))
        elif dhcp_opt(m, 51) is not None:
            p.append('lease time in an INFORM reply')
        self.want(p, 'netmask', dhcp_opt(m, 1), mask4(cfg.prefix4))
        self.want(p, 'router', dhcp_opt(m, 3), cfg.gw4)
        self.want(p, 'name servers',
                  [t4(x) for x in self.chunks(dhcp_opt(m, 6), 4)],
                  [t4(x) for x in cfg.dns4])
        self.want(p, 'MTU', dhcp_opt(m, 26), None if cfg.mtu == 1500
                  else struct.pack('!H', cfg.mtu))
        self.want(p, 'host name', dhcp_opt(m, 12),
                  cfg.hostname.encode() if cfg.hostname else None)
        self.check_dhcp_fqdn(p, dhcp_opt(m, 81))
        self.want(p, 'domain name', dhcp_opt(m, 15),
                  cfg.search[0].encode() if cfg.search else None)
        s = dhcp_opt(m, 119)
        if not cfg.search:
            self.want(p, 'search list', s, None)
        elif s is None and big:
            p.append('no search list')
        elif s is not None:
            try:
                self.want(p, 'search list', dns_list(s, True)[0], cfg.search)
            except ValueError as e:
                p.append('option 119: %s' % e)

    @staticmethod
    def chunks(data, n):
        """Split bytes into pieces of n bytes; None gives nothing"""
        if data is None:
            return []
        return [data[i:i + n] for i in range(0, len(data), n)]

    def check_dhcp_fqdn(self, p, o):
        """Check the client FQDN option (RFC 4702) of a DHCP reply"""
        if not self.cfg.fqdn:
            self.want(p, 'FQDN option', o, None)
            return
        if o is None or len(o) < 4:
            p.append('FQDN option is %s' % o)
            return
        if o[0] & 0x04:
            try:
                name, end = dns_name(o[3:], 0, False)
                if end != len(o) - 3:
                    p.append('FQDN option has trailing bytes')
            except ValueError as e:
                p.append('FQDN: %s' % e)
                return
        else:
            name = o[3:].decode('ascii', 'replace')
        self.want(p, 'FQDN', name, self.cfg.fqdn)

    def test_dhcp(self):
        """DHCP: every message type the server answers, and silences"""
        cfg = self.cfg
        bcast = BCAST_MAC[:4]
        maxmsg = (57, struct.pack('!H', 1500))
        other = bytearray(cfg.ip4)
        other[3] = 99
        other = bytes(other)

        xid = self.next_xid()
        f, m, p = self.dhcp_exchange(dhcp_build(xid, [(53, b'\x01'), maxmsg]),
                                     xid)
        if m:
            self.check_dhcp_reply(p, f, m, 2, cfg.ip4, cfg.ip4)
        self.result('dhcp_discover_offer', p)
        if m and cfg.search:
            self.check_search_option(m)

        xid = self.next_xid()
        f, m, p = self.dhcp_exchange(dhcp_build(xid, [(53, b'\x01')]), xid)
        if m:
            self.check_dhcp_reply(p, f, m, 2, cfg.ip4, cfg.ip4, big=False)
        self.result('dhcp_discover_default_size_offer', p)

        xid = self.next_xid()
        f, m, p = self.dhcp_exchange(dhcp_build(xid, [(53, b'\x01'), maxmsg],
                                                flags=0x8000), xid)
        if m:
            self.check_dhcp_reply(p, f, m, 2, bcast, cfg.ip4)
            self.want(p, 'flags', hex(m.flags), hex(0x8000))
        self.result('dhcp_discover_broadcast_offer', p)

        xid = self.next_xid()
        f, m, p = self.dhcp_exchange(dhcp_build(
            xid, [(53, b'\x03'), (50, cfg.ip4), (54, cfg.gw4), maxmsg]), xid)
        if m:
            self.check_dhcp_reply(p, f, m, 5, cfg.ip4, cfg.ip4)
        self.result('dhcp_request_ack', p)

        xid = self.next_xid()
        f, m, p = self.dhcp_exchange(dhcp_build(
            xid, [(53, b'\x03'), maxmsg], ciaddr=cfg.ip4), xid, src=cfg.ip4,
            unicast=True)
        if m:
            self.check_dhcp_reply(p, f, m, 5, cfg.ip4, cfg.ip4)
        self.result('dhcp_request_renew_ack', p)

        xid = self.next_xid()
        f, m, p = self.dhcp_exchange(dhcp_build(
            xid, [(53, b'\x03'), (50, other), (54, cfg.gw4)]), xid)
        if m:
            self.check_dhcp_reply(p, f, m, 6, bcast, b'\0' * 4)
        self.result('dhcp_request_wrong_address_nak', p)

        xid = self.next_xid()
        f, m, p = self.dhcp_exchange(dhcp_build(
            xid, [(53, b'\x03')], ciaddr=other), xid)
        if m:
            self.check_dhcp_reply(p, f, m, 6, bcast, b'\0' * 4)
        self.result('dhcp_request_wrong_ciaddr_nak', p)

        xid = self.next_xid()
        f, m, p = self.dhcp_exchange(dhcp_build(
            xid, [(53, b'\x08'), maxmsg], ciaddr=cfg.ip4), xid, src=cfg.ip4,
            unicast=True)
        if m:
            self.check_dhcp_reply(p, f, m, 5, cfg.ip4, b'\0' * 4, lease=False)
            self.want(p, 'ciaddr', t4(m.ciaddr), t4(cfg.ip4))
        self.result('dhcp_inform_ack', p)

        elsewhere = bytearray(cfg.gw4)
        elsewhere[3] = 250
        self.silent('dhcp_request_other_server_silent', [udp4_frame(
            b'\0' * 4, bcast, 68, 67, dhcp_build(
                self.next_xid(), [(53, b'\x03'), (50, cfg.ip4),
                                  (54, bytes(elsewhere))]))],
            self.dhcp_barrier)
        for name, t in (('decline', 4), ('release', 7), ('type_200', 200)):
            self.silent('dhcp_%s_silent' % name, [udp4_frame(
                b'\0' * 4, bcast, 68, 67, dhcp_build(
                    self.next_xid(), [(53, bytes([t]))]))], self.dhcp_barrier)

        self.test_dhcp_options()

    def check_search_option(self, m):
        """Option 119 of a reply: compressed, split if long, correct names"""
        cfg = self.cfg
        pieces = [v for c, v in m.opts if c == 119]
        data = b''.join(pieces)
        p = []
        try:
            names, ptrs = dns_list(data, True)
            self.want(p, 'names', names, cfg.search)
        except ValueError as e:
            self.result('dhcp_search_list_names', [str(e)])
            return
        self.result('dhcp_search_list_names', p)

        full = sum(len(dns_encode(n)) for n in cfg.search)
        best = dns_compressed_len(cfg.search)
        p = []
        if best < full and not ptrs:
            p.append('no compression pointer')
        if len(data) > best:
            p.append('%d bytes, %d with every repeated tail compressed' %
                     (len(data), best))
        self.result('dhcp_search_list_compressed', p)

        if len(data) > 255:
            p = []
            if len(pieces) < (len(data) + 254) // 255:
                p.append('%d bytes in %d options' % (len(data), len(pieces)))
            idx = [i for i, (c, _) in enumerate(m.opts) if c == 119]
            if idx != list(range(idx[0], idx[0] + len(idx))):
                p.append('pieces of option 119 not consecutive')
            self.result('dhcp_search_list_split', p)

    def test_dhcp_options(self):
        """Requests with odd options: long, padded, after the end"""
        good = [(53, b'\x01')]
        xid = self.next_xid()
        big = [(224, bytes(range(255))), (225, b'\xaa' * 255),
               (226, b'\x55' * 255), (227, b'')]
        f, m, p = self.dhcp_exchange(dhcp_build(xid, good + big), xid)
        self.result('dhcp_long_options_offer', p)

        xid = self.next_xid()
        raw = b'\0\0\x35\x01\x01\0\0\x0c\x03abc\0\xff'
        f, m, p = self.dhcp_exchange(dhcp_build(xid, None, raw_opts=raw), xid)
        self.result('dhcp_pad_options_offer', p)

        xid = self.next_xid()
        raw = b'\x35\x01\x01\xff\x0c\xf0junk'
        f, m, p = self.dhcp_exchange(dhcp_build(xid, None, raw_opts=raw), xid)
        self.result('dhcp_garbage_after_end_offer', p)

        xid = self.next_xid()
        raw = b'\x35\x01\x01'
        f, m, p = self.dhcp_exchange(dhcp_build(xid, None, raw_opts=raw), xid)
        self.result('dhcp_no_end_option_offer', p)

    def test_dhcp_bad(self):
        """Malformed DHCP requests: no reply, and the next one is answered"""
        cfg = self.cfg
        bcast = BCAST_MAC[:4]
        disc = [(53, b'\x01')]
        cases = (
            ('bad_magic', dhcp_build(0, disc, magic=0x63825364), None),
            ('htype_6', dhcp_build(0, disc, htype=6), None),
            ('hlen_16', dhcp_build(0, disc, hlen=16), None),
            ('op_reply', dhcp_build(0, disc, op=2), None),
            ('option_past_end', dhcp_build(
                0, None, raw_opts=b'\x35\x01\x01\x0c\x32abc'), None),
            ('option_length_missing', dhcp_build(
                0, None, raw_opts=b'\x35\x01\x01\x0c'), None),
            ('no_type', dhcp_build(0, [(50, cfg.ip4)]), None),
            ('type_oversized', dhcp_build(0, [(53, b'\x01\x01')]), None),
            ('type_empty', dhcp_build(0, [(53, b'')]), None),
            ('udp_length_past_end', dhcp_build(0, disc), 'long'),
            ('short_message', dhcp_build(0, disc)[:200], None),
        )
        for name, msg, how in cases:
            msg = msg[:4] + struct.pack('!I', self.next_xid()) + msg[8:]
            ulen = 8 + len(msg) + 16 if how == 'long' else None
            frame = udp4_frame(b'\0' * 4, bcast, 68, 67, msg, ulen)
            self.silent('dhcp_malformed_%s_silent' % name, [frame],
                        self.dhcp_barrier)

    # DHCPv6

    def client_duid(self):
        """The fake guest's DUID: DUID-LLT"""
        return struct.pack('!HHI', 1, 1, 0x2a2a2a2a) + GUEST_MAC

    def server_duid(self):
        """passt's DUID, as it should be: DUID-LL from its MAC"""
        return struct.pack('!HH', 3, 1) + self.cfg.passt_mac

    def send_dhcpv6(self, msg):
        """Send a DHCPv6 message to all servers and relays"""
        self.c.send(udp6_frame(self.guest_ll, a6('ff02::1:2'), 546, 547,
                               msg))

    @staticmethod
    def is_dhcpv6_reply(f, xid):
        """Match a DHCPv6 reply for a transaction"""
        return (f.kind == 'udp6' and f.sport == 547 and f.dport == 546 and
                len(f.payload) >= 4 and
                int.from_bytes(f.payload[1:4], 'big') == xid)

    def ia_na(self, iaid, addr=None):
        """IA_NA option payload, with an IAADDR if given"""
        o = struct.pack('!III', iaid, 0, 0)
        if addr:
            o += struct.pack('!HH16sII', 5, 24, addr, 0, 0)
        return o

    def dhcpv6_exchange(self, typ, opts):
        """Send a DHCPv6 message, wait for the reply

        Return: (frame, type, options, problems so far)
        """
        xid = self.next_xid()
        self.send_dhcpv6(v6_build(typ, xid, opts))
        f, others = self.expect(lambda f: self.is_dhcpv6_reply(f, xid))
        p = ['unexpected: ' + o.describe() for o in others]
        if f is None:
            return None, None, None, p + ['no reply']
        p += f.errors
        try:
            ropts = v6_opts(f.payload[4:])
        except ValueError as e:
            return f, None, None, p + [str(e)]
        self.want(p, 'IP source', t6(f.saddr), t6(self.cfg.router_ll))
        self.want(p, 'IP destination', t6(f.daddr), t6(self.guest_ll))
        self.want(p, 'Ethernet destination', tmac(f.dst), tmac(GUEST_MAC))
        self.want(p, 'server identifier', v6_get(ropts, 2),
                  self.server_duid())
        self.want(p, 'client identifier', v6_get(ropts, 1), v6_get(opts, 1))
        return f, f.payload[0], ropts, p

    def check_ia_na(self, p, ropts, iaid):
        """Check the IA_NA of a reply: the guest's address, for an hour"""
        o = v6_get(ropts, 3)
        if o is None or len(o) < 12:
            p.append('IA_NA is %s' % o)
            return
        self.want(p, 'IAID', struct.unpack('!I', o[:4])[0], iaid)
        self.want(p, 'T1, T2', struct.unpack('!II', o[4:12]),
                  (LEASE // 2, LEASE // 5 * 4))
        try:
            sub = v6_opts(o[12:])
        except ValueError as e:
            p.append('IA_NA: %s' % e)
            return
        a = [v for c, v in sub if c == 5]
        if len(a) != 1 or len(a[0]) < 24:
            p.append('IA_NA has %d addresses' % len(a))
            return
        self.want(p, 'address', t6(a[0][:16]), t6(self.cfg.ip6))
        self.want(p, 'lifetimes', struct.unpack('!II', a[0][16:24]),
                  (LEASE, LEASE))

    def check_v6_dns(self, p, ropts):
        """Check name servers, domain list and FQDN options of a reply"""
        cfg = self.cfg
        self.want(p, 'name servers',
                  [t6(x) for x in self.chunks(v6_get(ropts, 23), 16)],
                  [t6(x) for x in cfg.dns6])
        d = v6_get(ropts, 24)
        if not cfg.search:
            self.want(p, 'domain list', d, None)
        elif d is None:
            p.append('no domain list')
        else:
            try:
                self.want(p, 'domain list', dns_list(d, False)[0],
                          cfg.search)
            except ValueError as e:
                p.append('domain list: %s' % e)
        o = v6_get(ropts, 39)
        if not cfg.fqdn:
            self.want(p, 'FQDN option', o, None)
        elif o is None or len(o) < 2:
            p.append('FQDN option is %s' % o)
        else:
            try:
                self.want(p, 'FQDN', dns_name(o[1:], 0, False),
                          (cfg.fqdn, len(o) - 1))
            except ValueError as e:
                p.append('FQDN: %s' % e)

    def check_status(self, p, ropts, code):
        """Check the status code option of a reply"""
        o = v6_get(ropts, 13)
        if o is None or len(o) < 2:
            p.append('status code option is %s' % o)
        else:
            self.want(p, 'status code', struct.unpack('!H', o[:2])[0], code)

    def test_dhcpv6(self):
        """DHCPv6: every message type, rapid commit, CONFIRM off-link"""
        cfg = self.cfg
        if not cfg.dhcpv6:
            self.silent('dhcpv6_disabled_silent', [udp6_frame(
                self.guest_ll, a6('ff02::1:2'), 546, 547,
                v6_build(1, 1, [(1, self.client_duid()),
                                (3, self.ia_na(1))]))])
            return
        cid = (1, self.client_duid())
        sid = (2, self.server_duid())
        iaid = 0x0a0b0c0d
        ia = (3, self.ia_na(iaid))
        ia_addr = (3, self.ia_na(iaid, cfg.ip6))
        oro = (6, struct.pack('!HHH', 23, 24, 39))

        for name, typ, want, opts, ia_wanted in (
                ('solicit_advertise', 1, 2, [cid, ia, oro], True),
                ('solicit_rapid_commit_reply', 1, 7, [cid, ia, (14, b'')],
                 True),
                ('request_reply', 3, 7, [cid, sid, ia_addr], True),
                ('renew_reply', 5, 7, [cid, sid, ia_addr], True),
                ('rebind_reply', 6, 7, [cid, ia_addr], True),
                ('information_request_reply', 11, 7, [cid, oro], False),
                ('information_request_no_client_id_reply', 11, 7, [oro],
                 False),
                ('information_request_our_server_id_reply', 11, 7,
                 [cid, sid], False)):
            f, rtype, ropts, p = self.dhcpv6_exchange(typ, opts)
            if ropts is not None:
                self.want(p, 'message type', rtype, want)
                rapid = v6_get(ropts, 14)
                self.want(p, 'rapid commit option', rapid,
                          b'' if name == 'solicit_rapid_commit_reply'
                          else None)
                if ia_wanted:
                    self.check_ia_na(p, ropts, iaid)
                elif v6_get(ropts, 3) is not None:
                    p.append('IA_NA in the reply')
                self.check_v6_dns(p, ropts)
            self.result('dhcpv6_' + name, p)

        off = a6('2001:db8:ffff::2') if cfg.ip6 != a6('2001:db8:ffff::2') \
            else a6('2001:db8:fffe::2')
        for name, typ, opts, status in (
                ('confirm_onlink_success', 4,
                 [cid, ia_addr], 0),
                ('confirm_offlink_notonlink', 4,
                 [cid, (3, self.ia_na(iaid, off))], 4),
                ('release_reply', 8, [cid, sid, ia_addr], 0),
                ('decline_reply', 9, [cid, sid, ia_addr], 0)):
            f, rtype, ropts, p = self.dhcpv6_exchange(typ, opts)
            if ropts is not None:
                self.want(p, 'message type', rtype, 7)
                self.check_status(p, ropts, status)
                if v6_get(ropts, 3) is not None:
                    p.append('IA_NA in the reply')
            self.result('dhcpv6_' + name, p)

    def test_dhcpv6_bad(self):
        """DHCPv6 messages that get no reply"""
        if not self.cfg.dhcpv6:
            return
        cid = (1, self.client_duid())
        sid = (2, self.server_duid())
        wrong = (2, struct.pack('!HH', 3, 1) + b'\x02\0\0\0\0\x01')
        ia = (3, self.ia_na(7))
        cases = (
            ('solicit_with_server_id', 1, [cid, sid, ia]),
            ('solicit_no_client_id', 1, [ia]),
            ('request_wrong_server_id', 3, [cid, wrong, ia]),
            ('request_no_server_id', 3, [cid, ia]),
            ('renew_wrong_server_id', 5, [cid, wrong, ia]),
            ('rebind_with_server_id', 6, [cid, sid, ia]),
            ('confirm_with_server_id', 4, [cid, sid, ia]),
            ('release_wrong_server_id', 8, [cid, wrong, ia]),
            ('decline_no_server_id', 9, [cid, ia]),
            ('information_request_wrong_server_id', 11, [cid, wrong]),
            ('advertise_from_client', 2, [cid, sid]),
            ('reply_from_client', 7, [cid, sid]),
        )
        for name, typ, opts in cases:
            msg = v6_build(typ, self.next_xid(), opts)
            self.silent('dhcpv6_%s_silent' % name, [udp6_frame(
                self.guest_ll, a6('ff02::1:2'), 546, 547, msg)],
                self.dhcpv6_barrier)

        good = v6_build(1, 0, [cid, ia])
        for name, msg, sport in (
                ('truncated_option', good[:-3], 546),
                ('truncated_option_header', good + b'\0\x01', 546),
                ('option_length_past_end', good + b'\0\x10\x01\0abc', 546),
                ('message_3_bytes', good[:3], 546),
                ('wrong_source_port', good, 1546)):
            msg = msg[:1] + self.next_xid().to_bytes(3, 'big')[:len(msg) - 1] \
                + msg[4:]
            self.silent('dhcpv6_%s_silent' % name, [udp6_frame(
                self.guest_ll, a6('ff02::1:2'), sport, 547, msg)],
                self.dhcpv6_barrier)

    # ICMP echo

    def test_icmp(self):
        """Echo requests to the gateway (the host) and beyond

        The second request to a destination reuses the flow of the first,
        requests to remote hosts reuse the identifier used for the gateway
        (the ping socket then gets another one), odd lengths exercise the
        checksums, large requests are fragmented on the way.
        """
        cfg = self.cfg
        cases = []
        for af, gw, remote in ((4, cfg.gw4, cfg.remote4),
                               (6, cfg.gw6, cfg.remote6)):
            v = 'icmp' if af == 4 else 'icmpv6'
            cases += [(v + '_echo_gateway', af, gw, 56),
                      (v + '_echo_gateway_again', af, gw, 57)]
            if remote:
                cases += [(v + '_echo_remote_same_id', af, remote, 1),
                          (v + '_echo_remote_8000_bytes', af, remote, 8000)]
        for i, (name, af, dst, size) in enumerate(cases):
            ident, seq = 0x4200 + af, 7 + i
            data = os.urandom(size)
            body = struct.pack('!HH', ident, seq) + data
            if af == 4:
                frame = icmp4_frame(cfg.ip4, dst, cfg.passt_mac, 8, 0, body)
                kind, reply = 'icmp4', 0
            else:
                frame = icmp6_frame(cfg.ip6, dst, cfg.passt_mac, 128, 0,
                                    body, hlim=64)
                kind, reply = 'icmp6', 129
            self.c.send(frame)
            f, others = self.expect(
                lambda f, k=kind, r=reply, s=seq: f.kind == k and
                f.icmp_type == r and f.icmp_body[2:4] == struct.pack('!H', s))
            p = ['unexpected: ' + o.describe() for o in others]
            if f is None:
                p.append('no echo reply')
            else:
                t = t4 if af == 4 else t6
                p += f.errors
                self.want(p, 'source', t(f.saddr), t(dst))
                self.want(p, 'destination', t(f.daddr),
                          t(cfg.ip4 if af == 4 else cfg.ip6))
                self.want(p, 'Ethernet destination', tmac(f.dst),
                          tmac(GUEST_MAC))
                self.want(p, 'code', f.icmp_code, 0)
                self.want(p, 'identifier',
                          struct.unpack('!H', f.icmp_body[:2])[0], ident)
                if f.icmp_body[4:] != data:
                    p.append('payload differs')
            self.result(name, p)

        # Loopback addresses never come from a link (RFC 1122, RFC 4291):
        # passt's own loopback must not answer
        for af, dst in ((4, socket.inet_pton(socket.AF_INET, '127.0.0.1')),
                        (6, socket.inet_pton(socket.AF_INET6, '::1'))):
            body = struct.pack('!HH', 0x4300 + af, 99) + b'martian'
            if af == 4:
                frame = icmp4_frame(cfg.ip4, dst, cfg.passt_mac, 8, 0, body)
            else:
                frame = icmp6_frame(cfg.ip6, dst, cfg.passt_mac, 128, 0,
                                    body, hlim=64)
            self.c.send(frame)
            f, _ = self.expect(
                lambda f: f.kind in ('icmp4', 'icmp6') and
                f.icmp_type in (0, 129) and f.icmp_body[4:] == b'martian',
                timeout=1)
            self.result('icmp%s_echo_loopback_dropped' %
                        ('' if af == 4 else 'v6'),
                        [] if f is None else ['loopback answered'])

    # Frames at odd offsets of the stream

    def misaligner(self, mis):
        """A frame passt drops, after which the next one starts @mis bytes
        past where its IP header would be aligned (frames of one write
        follow each other in passt's buffer, the first one aligned)"""
        return eth(self.cfg.passt_mac, 0x88b5, b'\0' * (40 - 14 + mis))

    def test_split(self):
        """Long frames after a misaligned start: passt moves only the
        headers of TCP and UDP ones that go to a socket, and sends their
        payload from where it is; what it answers itself it takes whole"""
        cfg = self.cfg
        for mis in (1, 2, 3):
            # A broadcast discover, a renewal to the server's address
            for name, src, dst, mac, opts in (
                    ('discover', b'\0' * 4, BCAST_MAC[:4], BCAST_MAC,
                     [(53, b'\x01')]),
                    ('renewal', cfg.ip4, cfg.gw4, cfg.passt_mac,
                     [(53, b'\x03')])):
                xid = self.next_xid()
                msg = dhcp_build(xid, opts, ciaddr=src) + b'\0' * 400
                self.c.send(self.misaligner(mis),
                            udp4_frame(src, dst, 68, 67, msg, mac=mac))
                f, others = self.expect(
                    lambda f, x=xid: self.is_dhcp_reply(f, x))
                p = ['unexpected: ' + o.describe() for o in others]
                if f is None:
                    p.append('no reply')
                self.result('split_dhcp_%s_%d_bytes_at_offset_%d' %
                            (name, len(msg), mis), p)

        if not cfg.echo_port:
            return
        for af, src, dst in ((4, cfg.ip4, cfg.remote4),
                             (6, cfg.ip6, cfg.remote6)):
            if not dst:
                continue
            for mis in (1, 2, 3):
                for size in (600, 9000):
                    sport = 40000 + af * 100 + mis * 10 + size // 1000
                    data = os.urandom(size)
                    seg = udp(src, dst, sport, cfg.echo_port, data)
                    ip = (ipv4(src, dst, 17, seg) if af == 4 else
                          ipv6(src, dst, 17, seg, 64))
                    frame = eth(cfg.passt_mac,
                                ETH_P_IP if af == 4 else ETH_P_IPV6, ip)
                    self.c.send(self.misaligner(mis), frame)
                    f, others = self.expect(
                        lambda f, k='udp%d' % af, d=sport: f.kind == k and
                        f.sport == cfg.echo_port and f.dport == d)
                    p = ['unexpected: ' + o.describe() for o in others]
                    if f is None:
                        p.append('no echo')
                    else:
                        p += f.errors
                        if f.payload != data:
                            p.append('payload differs (%d bytes back)' %
                                     len(f.payload))
                    self.result('split_udp%d_%d_bytes_at_offset_%d' %
                                (af, size, mis), p)

    # Stream framing

    def closes(self, name, raw, before=None):
        """Check that passt closes the connection on bytes, and serves a
        new one

        @before:	Matcher of a reply to frames in @raw before the error
        """
        self.c.send_raw(raw)
        p = []
        if before:
            f, others = self.expect(before)
            if f is None:
                p.append('no reply to the frame before the error')
        if not self.c.wait_eof(WAIT):
            p.append('connection still open')
        self.result(name + '_closed', p)
        self.reconnect()
        f, others = self.expect(self.arp_barrier())
        p = ['unexpected: ' + o.describe() for o in others]
        if f is None:
            p.append('new connection gets no reply')
        self.result(name + '_next_client', p)

    def test_framing(self):
        """Framing errors, split and merged writes, a second client"""
        cfg = self.cfg
        arp = arp_frame(1, cfg.ip4, cfg.gw4)
        gw_reply = (lambda f: f.kind == 'arp' and f.op == 2 and
                    f.sip == cfg.gw4)

        self.closes('framing_zero_length', b'\0\0\0\0')
        self.closes('framing_10_bytes', struct.pack('!I', 10) + b'\0' * 10)
        self.closes('framing_13_bytes', struct.pack('!I', 13) + arp[:13])
        self.closes('framing_65550_bytes',
                    struct.pack('!I', FRAME_MAX + 1) + arp + b'\0' * 64)
        self.closes('framing_4g_bytes', b'\xff\xff\xff\xff' + arp)
        self.closes('framing_error_after_good_frame',
                    struct.pack('!I', len(arp)) + arp + b'\0\0\0\0',
                    before=gw_reply)

        # Largest and smallest frames passt must take
        self.c.send(arp + b'\0' * (FRAME_MAX - len(arp)))
        f, others = self.expect(gw_reply)
        self.result('framing_65549_bytes_accepted',
                    [] if f else ['no reply' +
                                  (', connection closed' if self.c.eof
                                   else '')])
        if self.c.eof:
            self.reconnect()
        self.silent('framing_14_bytes_accepted',
                    [eth(cfg.passt_mac, 0x88b5, b'')])

        # One frame in pieces, with delays in between
        wire = struct.pack('!I', len(arp)) + arp
        for cut in ((2, 4), (4, 20), (1, 3, 30, len(wire) - 1)):
            last = 0
            for at in cut + (len(wire),):
                self.c.send_raw(wire[last:at])
                last = at
                time.sleep(0.05)
            f, others = self.expect(gw_reply)
            self.result('framing_split_at_%s' % '_'.join(map(str, cut)),
                        [] if f else ['no reply'])

        self.test_framing_merged(arp, gw_reply)
        self.test_framing_backlog()
        self.test_framing_clients(wire, gw_reply)

    def test_framing_merged(self, arp, gw_reply):
        """Several frames of different kinds in one write, and a burst"""
        cfg = self.cfg
        xid4, xid6 = self.next_xid(), self.next_xid()
        other = bytearray(cfg.gw4)
        other[3] = 55
        other = bytes(other)
        frames = [arp, arp_frame(1, cfg.ip4, other),
                  self.ns_frame(cfg.ip6, cfg.gw6),
                  udp4_frame(b'\0' * 4, BCAST_MAC[:4], 68, 67,
                             dhcp_build(xid4, [(53, b'\x01')])),
                  self.rs_frame(self.guest_ll)]
        matchers = [gw_reply,
                    lambda f: f.kind == 'arp' and f.sip == other,
                    lambda f: f.kind == 'icmp6' and f.icmp_type == 136,
                    lambda f: self.is_dhcp_reply(f, xid4),
                    lambda f: f.kind == 'icmp6' and f.icmp_type == 134 and
                    f.daddr == self.guest_ll]
        if cfg.dhcpv6:
            frames.append(udp6_frame(self.guest_ll, a6('ff02::1:2'), 546,
                                     547, v6_build(11, xid6, [])))
            matchers.append(lambda f: self.is_dhcpv6_reply(f, xid6))
        self.c.send(*frames)
        missing = list(range(len(matchers)))
        deadline = time.monotonic() + WAIT
        while missing and time.monotonic() < deadline:
            f = self.c.recv(deadline - time.monotonic())
            if f is None:
                break
            for i in missing:
                if matchers[i](f):
                    missing.remove(i)
                    break
        self.result('framing_merged_write',
                    ['no reply to frame %d' % i for i in missing])

        n = 2000
        burst = []
        for i in range(n):
            tip = bytearray(cfg.gw4)
            tip[3] = 3 + i % 250
            burst.append(arp_frame(1, cfg.ip4, bytes(tip)))
        self.c.send(*burst)
        got = 0
        deadline = time.monotonic() + 3 * WAIT
        while got < n:
            f = self.c.recv(max(0, deadline - time.monotonic()))
            if f is None:
                break
            if f.kind == 'arp' and f.op == 2:
                got += 1
        self.result('framing_burst_%d_frames' % n,
                    [] if got == n else ['%d replies' % got])

    def test_framing_backlog(self):
        """Replies backing up while the guest doesn't read: whatever passt
        has to drop, the stream must keep its framing"""
        cfg = self.cfg
        n = 100000
        reqs = []
        for i in range(90):	# Addresses 3 to 92: not the barrier's
            tip = bytearray(cfg.gw4)
            tip[3] = 3 + i
            f = arp_frame(1, cfg.ip4, bytes(tip))
            reqs.append(struct.pack('!I', len(f)) + f)
        data = b''.join(reqs) * (n // 90)
        n = n // 90 * 90
        writer = threading.Thread(target=self.c.send_raw, args=(data,))
        writer.start()
        writer.join()
        time.sleep(0.2)
        errors = len(self.stats.errors)
        got, p = 0, []
        while True:
            f = self.c.recv(0.2)
            if f is None:
                break
            if f.kind == 'arp' and f.op == 2:
                got += 1
            elif not self.is_noise(f):
                p.append('unexpected: ' + f.describe())
        f, others = self.expect(self.arp_barrier())
        if f is None:
            p.append('no reply to a request sent after the backlog')
        p += self.stats.errors[errors:errors + 3]
        print('# %d ARP requests, %d replies while not reading' % (n, got))
        self.result('framing_output_backlog_stream_intact', p)

    def test_framing_clients(self, wire, gw_reply):
        """A second client is turned away; a half frame doesn't carry over"""
        c2 = Conn(self.cfg.sock, self.stats)
        closed = c2.wait_eof(WAIT)
        c2.close()
        p = [] if closed else ['connection still open']
        if c2.nframes:
            p.append('%d frames sent to it' % c2.nframes)
        self.result('framing_second_client_closed', p)
        self.c.send_raw(wire)
        f, others = self.expect(gw_reply)
        self.result('framing_first_client_still_served',
                    [] if f else ['no reply'])

        self.c.send_raw(wire[:len(wire) // 2])
        time.sleep(0.05)
        self.reconnect()
        self.c.send_raw(wire)
        f, others = self.expect(gw_reply)
        p = ['unexpected: ' + o.describe() for o in others]
        self.result('framing_partial_frame_then_new_client',
                    p + ([] if f else ['no reply']))

    def test_checksums(self):
        """Summary: every reply was well-formed, checksums right"""
        p = list(self.stats.errors)
        if not self.stats.checksums:
            p.append('no checksum verified')
        print('# %d frames from passt, %d checksums verified' %
              (self.stats.frames, self.stats.checksums))
        self.result('checksums_and_lengths_of_every_reply', p[:10])


GROUPS = ('arp', 'ndp', 'dhcp', 'dhcp_bad', 'dhcpv6', 'dhcpv6_bad', 'icmp',
          'split', 'framing')


def parse_args():
    """Command line: socket, what passt should advertise"""
    ap = argparse.ArgumentParser(description='Frame-level tests of passt')
    ap.add_argument('--sock', required=True, help="passt's UNIX socket")
    ap.add_argument('--passt-mac', required=True, type=mac_bytes)
    ap.add_argument('--router-ll', required=True, type=a6,
                    help="passt's IPv6 link-local address")
    ap.add_argument('--ip4', type=a4, default=a4('192.0.2.2'))
    ap.add_argument('--prefix4', type=int, default=24)
    ap.add_argument('--gw4', type=a4, default=a4('192.0.2.1'))
    ap.add_argument('--ip6', type=a6, default=a6('2001:db8::2'))
    ap.add_argument('--prefix6', type=int, default=64)
    ap.add_argument('--gw6', type=a6, default=a6('2001:db8::1'))
    ap.add_argument('--dns4', default='192.0.2.1', help='comma-separated')
    ap.add_argument('--dns6', default='2001:db8::1', help='comma-separated')
    ap.add_argument('--search', default='example.test,lab.test',
                    help='comma-separated')
    ap.add_argument('--hostname', default='')
    ap.add_argument('--fqdn', default='')
    ap.add_argument('--mtu', type=int, default=65520)
    ap.add_argument('--no-dhcpv6', dest='dhcpv6', action='store_false')
    ap.add_argument('--remote4', type=a4, default=None,
                    help='address to ping beyond the host')
    ap.add_argument('--remote6', type=a6, default=None)
    ap.add_argument('--echo-port', type=int, default=0,
                    help='UDP echo port on the remote addresses')
    ap.add_argument('--groups', default=','.join(GROUPS))
    ap.add_argument('--tag', default='', help='prefix of check names')
    cfg = ap.parse_args()
    cfg.dns4 = [a4(x) for x in cfg.dns4.split(',') if x]
    cfg.dns6 = [a6(x) for x in cfg.dns6.split(',') if x]
    cfg.search = [x for x in cfg.search.split(',') if x]
    cfg.groups = [g for g in cfg.groups.split(',') if g]
    for g in cfg.groups:
        if g not in GROUPS:
            ap.error('unknown group ' + g)
    return cfg


def main():
    """Run the groups asked for, report, exit 1 on any failure"""
    cfg = parse_args()
    t = Tester(cfg)
    start = time.monotonic()
    try:
        t.c = t.connect(first=True)
    except OSError as e:
        t.result('connect', ['%r' % e])
        sys.exit(1)
    for g in GROUPS:
        if g not in cfg.groups:
            continue
        try:
            getattr(t, 'test_' + g)()
        except OSError as e:
            t.result(g + '_aborted', ['%r' % e])
            t.c.eof = True
            try:
                t.reconnect()
            except OSError as e:
                t.result('reconnect_after_' + g, ['%r' % e])
                break
    t.test_checksums()
    print('# %d checks: %d passed, %d failed, %.1f s' %
          (t.passed + t.failed, t.passed, t.failed,
           time.monotonic() - start))
    sys.exit(1 if t.failed else 0)


if __name__ == '__main__':
    main()
