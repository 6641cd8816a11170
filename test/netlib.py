# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/netlib.py - Packet building helpers shared by the Python test tools
#
# Used by frames.py, tcp_tool.py, pcap_check.py and fuzz/mkcorpus.py: the
# Internet checksum, pseudo-headers, and builders of Ethernet frames, IPv4
# and IPv6 packets, UDP datagrams, TCP segments, ICMP and ICMPv6 messages
# and ARP requests, all from and to bytes. Builders fill in lengths and
# checksums; their optional arguments let callers build odd packets too.

"""Packet building helpers shared by the passt test tools."""

import socket
import struct

ETH_P_IP = 0x0800
ETH_P_ARP = 0x0806
ETH_P_IPV6 = 0x86dd
BCAST_MAC = b'\xff' * 6
GUEST_MAC = bytes.fromhex('525400123456')


# Addresses

def a4(text):
    """IPv4 address from text to bytes"""
    return socket.inet_pton(socket.AF_INET, text)


def a6(text):
    """IPv6 address from text to bytes"""
    return socket.inet_pton(socket.AF_INET6, text)


# Checksums

def inet_csum(data):
    """Internet checksum (RFC 1071) of some bytes"""
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def pseudo4(src, dst, proto, length):
    """IPv4 pseudo-header for transport checksums"""
    return src + dst + struct.pack('!BBH', 0, proto, length)


def pseudo6(src, dst, proto, length):
    """IPv6 pseudo-header for transport checksums (RFC 8200, 8.1)"""
    return src + dst + struct.pack('!I3xB', length, proto)


def pseudo(src, dst, proto, length):
    """Pseudo-header of either family, told by the length of the address"""
    if len(src) == 4:
        return pseudo4(src, dst, proto, length)
    return pseudo6(src, dst, proto, length)


# Builders

def eth(dst, proto, payload, src=GUEST_MAC):
    """Ethernet frame"""
    return dst + src + struct.pack('!H', proto) + payload


def ipv4(src, dst, proto, payload, opts=b'', frag=0x4000, ident=1, ttl=64,
         tot=None):
    """IPv4 packet with a correct header checksum

    @opts:	Header options, padded with zeroes to 32 bits
    @frag:	Flags and fragment offset, don't fragment by default
    @tot:	Total length to write in the header, if not the real one
    """
    opts += b'\0' * (-len(opts) % 4)
    ihl = 5 + len(opts) // 4
    tot = ihl * 4 + len(payload) if tot is None else tot
    h = struct.pack('!BBHHHBBH4s4s', 0x40 | ihl, 0, tot, ident, frag, ttl,
                    proto, 0, src, dst) + opts
    return h[:10] + struct.pack('!H', inet_csum(h)) + h[12:] + payload


def ipv6(src, dst, proto, payload, hlim=64, plen=None):
    """IPv6 packet

    @proto:	Next header
    @plen:	Payload length to write in the header, if not the real one
    """
    plen = len(payload) if plen is None else plen
    return struct.pack('!IHBB16s16s', 0x60000000, plen, proto, hlim, src,
                       dst) + payload


def udp(src, dst, sport, dport, data, ulen=None, zero_csum=False):
    """UDP datagram with its checksum, for addresses of either family

    @ulen:	Length for the header and the pseudo-header, if not the real
    @zero_csum:	Leave the checksum out (zero), as IPv4 allows
    """
    n = 8 + len(data) if ulen is None else ulen
    seg = struct.pack('!HHHH', sport, dport, n, 0) + data
    if zero_csum:
        return seg
    c = inet_csum(pseudo(src, dst, 17, n) + seg) or 0xffff
    return seg[:6] + struct.pack('!H', c) + seg[8:]


def tcp(src, dst, sport, dport, seq, ack, flags, data=b'', opts=b'',
        wnd=65535):
    """TCP segment with its checksum, for addresses of either family

    @opts:	Options, padded with no-operations to 32 bits
    """
    opts += b'\x01' * (-len(opts) % 4)
    doff = (20 + len(opts)) // 4
    h = struct.pack('!HHIIBBHHH', sport, dport, seq, ack, doff << 4, flags,
                    wnd, 0, 0) + opts
    c = inet_csum(pseudo(src, dst, 6, len(h) + len(data)) + h + data)
    return h[:16] + struct.pack('!H', c) + h[18:] + data


def icmp4(typ, code, body):
    """ICMP message with its checksum"""
    m = struct.pack('!BBH', typ, code, 0) + body
    return m[:2] + struct.pack('!H', inet_csum(m)) + m[4:]


def icmp6(src, dst, typ, code, body):
    """ICMPv6 message with its checksum"""
    m = struct.pack('!BBH', typ, code, 0) + body
    c = inet_csum(pseudo6(src, dst, 58, len(m)) + m)
    return m[:2] + struct.pack('!H', c) + m[4:]


def arp_frame(op, sip, tip, sha=GUEST_MAC, tha=b'\0' * 6, dst=BCAST_MAC):
    """Ethernet frame with an ARP message for IPv4 over Ethernet"""
    body = struct.pack('!HHBBH6s4s6s4s', 1, ETH_P_IP, 6, 4, op, sha, sip,
                       tha, tip)
    return eth(dst, ETH_P_ARP, body)


def stream(*frames):
    """Frames as the guest writes them on passt's socket, each preceded by
    its length (32 bits, network order)"""
    return b''.join(struct.pack('!I', len(f)) + f for f in frames)
