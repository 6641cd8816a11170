#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/fuzz/mkcorpus.py - Seed corpus for the harness of the guest's stream
#
# Writes test/fuzz/corpus/*.bin (or the directory given): each file is a
# stream as a qemu guest writes it on passt's socket, every Ethernet frame
# preceded by its length (32 bits, big endian). The found-*.bin files there
# aren't written here: the fuzzer found them, each reaches code that the
# ones written here don't (the smallest such set, from a run of 10 million
# inputs). The addresses are those the
# harness configures (fuzz_tap.c): guest 192.0.2.2/24 and 2001:db8::2/64,
# gateway and host loopback 192.0.2.1 and 2001:db8::1, DNS forwarding for
# 192.0.2.3 and 2001:db8::3. The harness serves TCP port 80 (greeting,
# echo), 81 (connecting hangs), 82 (never reads) and UDP ports 7 and 53
# (echo) on the host side.
#
# The low bits of the last byte of the destination MAC address direct the
# harness (passt ignores that address): CTL_RAW leaves the frame alone,
# otherwise the harness fixes up lengths, checksums and TCP acknowledgement
# numbers (which here count from zero: ack=1 acknowledges passt's SYN).
# CTL_FLUSH makes the frame start a new batch, after socket events were
# handled: a SYN and the ACK that completes the handshake must be in
# different batches, with the connection to the host side done in between.
# CTL_HOST has the host side connect to the forwarded ports (TCP 8080, UDP
# 5353) before the frame, from ports 41000 and 42000 (plus one for each
# earlier such frame), IPv4 first, then IPv6. CTL_SMALL, on the first frame,
# gives passt a small send buffer towards the guest; CTL_REVERSE, on the
# first frame, has the harness handle the events of each epoll_wait() in
# reverse order. CTL_BURST is CTL_FLUSH with a single round of events for
# the batch before the frame: what that batch causes on passt's sockets is
# still pending as the frame comes, and handled in the same epoll_wait()
# (in reverse order with CTL_REVERSE, the frame first). CTL_SPLIT cuts the stream inside the frame, or its length
# field, at the offset in the byte before the direction bits (plus one,
# modulo the length of frame and length field): passt reads the first part
# and handles it before the rest comes.
#
# Usage: mkcorpus.py [DIR]

import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
import netlib  # noqa: E402
from netlib import (BCAST_MAC, ETH_P_ARP, ETH_P_IP, ETH_P_IPV6,  # noqa: E402
                    GUEST_MAC, a6, arp_frame, icmp4, icmp6, ipv4, ipv6,
                    stream, tcp, udp)

CTL_RAW = 0x01
CTL_FLUSH = 0x02
CTL_HOST = 0x04
CTL_SMALL = 0x08
CTL_REVERSE = 0x20
CTL_BURST = 0x40
CTL_SPLIT = 0x80
CTL_MASK = (CTL_RAW | CTL_FLUSH | CTL_HOST | CTL_SMALL | CTL_REVERSE |
            CTL_BURST | CTL_SPLIT)

OUR_MAC = bytes.fromhex('9a559a559a55')

G4 = bytes([192, 0, 2, 2])
GW4 = bytes([192, 0, 2, 1])
DNS4 = bytes([192, 0, 2, 3])
FAR4 = bytes([203, 0, 113, 7])
ANY4 = bytes(4)
BCAST4 = b'\xff' * 4

G6 = a6('2001:db8::2')
GW6 = a6('2001:db8::1')
DNS6 = a6('2001:db8::3')
FAR6 = a6('2001:db8:ffff::7')
LL6 = a6('fe80::5054:ff:fe12:3456')
OUR_LL6 = a6('fe80::1')
ANY6 = bytes(16)
ALL_ROUTERS6 = a6('ff02::2')
ALL_NODES6 = a6('ff02::1')
DHCP6_SERVERS = a6('ff02::1:2')


def dst_mac(ctl=0, mac=OUR_MAC):
    """Destination MAC address with the harness's direction bits"""
    return mac[:5] + bytes([(mac[5] & ~CTL_MASK) | ctl])


def eth(proto, payload, ctl=0, dst=OUR_MAC):
    """Ethernet frame from the guest, direction bits in its destination"""
    return netlib.eth(dst_mac(ctl, dst), proto, payload)


# Link layer and services

def arp(op, sip, tip, tha=bytes(6), ctl=0, dst=BCAST_MAC):
    """ARP message from the guest, direction bits in its destination"""
    return arp_frame(op, sip, tip, tha=tha, dst=dst_mac(ctl, dst))


def nd_opt_lladdr(typ, mac):
    return bytes([typ, 1]) + mac


def ndp_frames():
    rs = icmp6(LL6, ALL_ROUTERS6, 133, 0,
               bytes(4) + nd_opt_lladdr(1, GUEST_MAC))
    rs_any = icmp6(ANY6, ALL_ROUTERS6, 133, 0, bytes(4))
    ns_gw = icmp6(LL6, a6('ff02::1:ff00:1'), 135, 0,
                  bytes(4) + OUR_LL6 + nd_opt_lladdr(1, GUEST_MAC))
    ns_glob = icmp6(G6, a6('ff02::1:ff00:1'), 135, 0,
                    bytes(4) + GW6 + nd_opt_lladdr(1, GUEST_MAC))
    dad = icmp6(ANY6, a6('ff02::1:ff00:2'), 135, 0, bytes(4) + G6)
    na = icmp6(G6, ALL_NODES6, 136, 0,
               struct.pack('!I', 0x20000000) + G6 +
               nd_opt_lladdr(2, GUEST_MAC))
    mld = icmp6(LL6, a6('ff02::16'), 143, 0,
                struct.pack('!HH', 0, 1) +
                struct.pack('!BBH16s', 4, 0, 0, a6('ff02::1:ff00:2')))
    hbh_ra = bytes([58, 0, 5, 2, 0, 0, 1, 0])	# Router alert, PadN
    return [
        eth(ETH_P_IPV6, ipv6(LL6, ALL_ROUTERS6, 58, rs, 255)),
        eth(ETH_P_IPV6, ipv6(ANY6, ALL_ROUTERS6, 58, rs_any, 255)),
        eth(ETH_P_IPV6, ipv6(LL6, a6('ff02::1:ff00:1'), 58, ns_gw, 255)),
        eth(ETH_P_IPV6, ipv6(G6, a6('ff02::1:ff00:1'), 58, ns_glob, 255)),
        eth(ETH_P_IPV6, ipv6(ANY6, a6('ff02::1:ff00:2'), 58, dad, 255)),
        eth(ETH_P_IPV6, ipv6(G6, ALL_NODES6, 58, na, 255)),
        eth(ETH_P_IPV6, ipv6(LL6, a6('ff02::16'), 0, hbh_ra + mld, 1)),
    ]


def dhcp_msg(typ, opts, ciaddr=ANY4, flags=0x8000, xid=0x12345678):
    o = bytes([53, 1, typ])
    for code, val in opts:
        o += bytes([code, len(val)]) + val
    o += b'\xff'
    m = struct.pack('!BBBBIHH4s4s4s4s16s64s128sI', 1, 1, 6, 0, xid, 0, flags,
                    ciaddr, ANY4, ANY4, ANY4, GUEST_MAC + bytes(10),
                    bytes(64), bytes(128), 0x63825363) + o
    return m + bytes(max(0, 300 - len(m)))


def dhcp_frame(typ, opts, src=ANY4, dst=BCAST4, ciaddr=ANY4, flags=0x8000,
               ctl=0):
    m = dhcp_msg(typ, opts, ciaddr, flags)
    return eth(ETH_P_IP, ipv4(src, dst, 17, udp(src, dst, 68, 67, m),
                              frag=0), ctl, BCAST_MAC if dst == BCAST4 else
               OUR_MAC)


def dhcp_frames():
    prl = (55, bytes([1, 3, 6, 12, 15, 26, 28, 42, 119, 121]))
    return [
        dhcp_frame(1, [prl, (57, struct.pack('!H', 1500)),
                       (12, b'guest'), (61, b'\x01' + GUEST_MAC)]),
        dhcp_frame(3, [prl, (54, GW4), (50, G4),
                       (81, b'\x00\x00\x00guest')]),
        dhcp_frame(3, [(50, bytes([192, 0, 2, 99]))]),
        dhcp_frame(3, [(54, bytes([192, 0, 2, 77]))]),
        dhcp_frame(8, [prl], src=G4, dst=GW4, ciaddr=G4, flags=0),
        dhcp_frame(3, [prl], src=G4, dst=GW4, ciaddr=G4, flags=0),
        dhcp_frame(7, [(54, GW4)], src=G4, dst=GW4, ciaddr=G4, flags=0),
    ]


DUID_OURS = struct.pack('!HH', 3, 1) + OUR_MAC
DUID_GUEST = struct.pack('!HHI', 1, 1, 0x11223344) + GUEST_MAC


def opt6(code, val):
    return struct.pack('!HH', code, len(val)) + val


def dhcp6(typ, opts, xid=0xabcdef):
    return struct.pack('!I', typ << 24 | xid) + b''.join(opts)


def ia_na(addrs=()):
    body = struct.pack('!III', 1, 0, 0)
    for a in addrs:
        body += opt6(5, a + struct.pack('!II', 3600, 7200))
    return opt6(3, body)


def dhcp6_frame(typ, opts, src=LL6):
    m = dhcp6(typ, opts)
    return eth(ETH_P_IPV6, ipv6(src, DHCP6_SERVERS, 17,
                                udp(src, DHCP6_SERVERS, 546, 547, m), 1),
               0, bytes.fromhex('333300010002'))


def dhcpv6_frames():
    cid = opt6(1, DUID_GUEST)
    sid = opt6(2, DUID_OURS)
    oro = opt6(6, struct.pack('!HHH', 23, 24, 39))
    fqdn = opt6(39, b'\x01\x05guest\x00')
    return [
        dhcp6_frame(1, [cid, opt6(14, b''), ia_na(), oro, fqdn,
                        opt6(8, b'\0\0')]),
        dhcp6_frame(1, [cid, ia_na(), oro]),
        dhcp6_frame(3, [cid, sid, ia_na([G6]), oro]),
        dhcp6_frame(5, [cid, sid, ia_na([G6])]),
        dhcp6_frame(6, [cid, ia_na([G6])]),
        dhcp6_frame(4, [cid, ia_na([G6])]),
        dhcp6_frame(4, [cid, ia_na([a6('2001:db9::2')])]),
        dhcp6_frame(11, [oro]),
        dhcp6_frame(8, [cid, sid, ia_na([G6])]),
        dhcp6_frame(9, [cid, sid, ia_na([G6])]),
    ]


# Transport

def echo4(dst, ident, seq, payload=b'ping', opts=b'', ctl=0):
    return eth(ETH_P_IP, ipv4(G4, dst, 1,
                              icmp4(8, 0, struct.pack('!HH', ident, seq) +
                                    payload), opts), ctl)


def echo6(dst, ident, seq, payload=b'ping', ctl=0):
    return eth(ETH_P_IPV6, ipv6(G6, dst, 58,
                                icmp6(G6, dst, 128, 0,
                                      struct.pack('!HH', ident, seq) +
                                      payload)), ctl)


def udp4(dst, sport, dport, data, ctl=0, zero=False, opts=b''):
    return eth(ETH_P_IP, ipv4(G4, dst, 17,
                              udp(G4, dst, sport, dport, data,
                                  zero_csum=zero), opts),
               ctl)


def udp6(dst, sport, dport, data, ctl=0, src=G6):
    return eth(ETH_P_IPV6, ipv6(src, dst, 17, udp(src, dst, sport, dport,
                                                  data)), ctl)


def tcp_frame(v6, sport, dport, seq, ack, flags, data=b'', opts=b'', ctl=0,
              dst=None, wnd=65535):
    if v6:
        dst = dst or GW6
        return eth(ETH_P_IPV6, ipv6(G6, dst, 6, tcp(G6, dst, sport, dport,
                                                    seq, ack, flags, data,
                                                    opts, wnd)), ctl)
    dst = dst or GW4
    return eth(ETH_P_IP, ipv4(G4, dst, 6, tcp(G4, dst, sport, dport, seq,
                                              ack, flags, data, opts, wnd)),
               ctl)


SYN, FIN, RST, PSH, ACK = 0x02, 0x01, 0x04, 0x08, 0x10
SYN_OPTS = (struct.pack('!BBH', 2, 4, 1460) + b'\x01' +
            struct.pack('!BBB', 3, 3, 7) + b'\x04\x02' +
            struct.pack('!BBII', 8, 10, 12345, 0))


def ts(val, ecr=0):
    return b'\x01\x01' + struct.pack('!BBII', 8, 10, val, ecr)


def tcp_session(v6, sport=40000, data=b'GET / HTTP/1.0\r\n\r\n'):
    """Handshake, request, ACKs of what the host side sends, close"""
    isn = 1000
    f = [
        tcp_frame(v6, sport, 80, isn, 0, SYN, opts=SYN_OPTS),
        tcp_frame(v6, sport, 80, isn + 1, 1, ACK, opts=ts(2, 1),
                  ctl=CTL_FLUSH),
        tcp_frame(v6, sport, 80, isn + 1, 1, ACK | PSH, data,
                  opts=ts(3, 1)),
        tcp_frame(v6, sport, 80, isn + 1 + len(data), 1 + 1400, ACK,
                  opts=ts(4, 1), ctl=CTL_FLUSH),
        tcp_frame(v6, sport, 80, isn + 1 + len(data), 1 + 3000, ACK,
                  opts=ts(5, 1), ctl=CTL_FLUSH),
        tcp_frame(v6, sport, 80, isn + 1 + len(data),
                  1 + 3000 + len(data), ACK | FIN, opts=ts(6, 1),
                  ctl=CTL_FLUSH),
        tcp_frame(v6, sport, 80, isn + 2 + len(data),
                  2 + 3000 + len(data), ACK, opts=ts(7, 1),
                  ctl=CTL_FLUSH),
    ]
    return f


def tcp_ooo():
    """Out of order segments, a hole, duplicate ACKs, a window of zero"""
    isn = 7000
    d = [bytes([0x41 + i]) * 500 for i in range(4)]
    return [
        tcp_frame(False, 40100, 80, isn, 0, SYN,
                  opts=struct.pack('!BBH', 2, 4, 536)),
        tcp_frame(False, 40100, 80, isn + 1, 1, ACK, ctl=CTL_FLUSH),
        tcp_frame(False, 40100, 80, isn + 1 + 1000, 1, ACK, d[2]),
        tcp_frame(False, 40100, 80, isn + 1 + 500, 1, ACK, d[1]),
        tcp_frame(False, 40100, 80, isn + 1 + 1500, 1, ACK, d[3]),
        tcp_frame(False, 40100, 80, isn + 1, 1, ACK, wnd=0,
                  ctl=CTL_FLUSH),
        tcp_frame(False, 40100, 80, isn + 1, 1, ACK, wnd=0),
        tcp_frame(False, 40100, 80, isn + 1, 1, ACK, wnd=0),
        tcp_frame(False, 40100, 80, isn + 1, 1, ACK, d[0], ctl=CTL_FLUSH),
        tcp_frame(False, 40100, 80, isn + 1, 1, ACK, d[0] + d[1]),
        tcp_frame(False, 40100, 80, isn + 1 + 2000, 537, ACK | FIN,
                  ctl=CTL_FLUSH),
        tcp_frame(False, 40100, 80, isn + 1 + 2000, 1, RST | ACK,
                  ctl=CTL_FLUSH),
    ]


def tcp_misc():
    """Refused, unreachable, resets, stray segments, SYN retransmission"""
    return [
        tcp_frame(False, 40200, 81, 1, 0, SYN, opts=SYN_OPTS),
        tcp_frame(False, 40201, 80, 1, 0, SYN, opts=SYN_OPTS, dst=FAR4),
        tcp_frame(True, 40202, 80, 1, 0, SYN, opts=SYN_OPTS, dst=FAR6),
        tcp_frame(False, 40203, 80, 1, 5, ACK, b'stray'),
        tcp_frame(False, 40204, 80, 1, 0, RST),
        tcp_frame(False, 40205, 80, 1, 0, SYN | FIN),
        tcp_frame(False, 40206, 53, 1, 0, SYN, dst=DNS4),
        tcp_frame(False, 40207, 80, 1, 0, SYN, dst=bytes([127, 0, 0, 1])),
        tcp_frame(False, 40208, 80, 10, 0, SYN, ctl=CTL_FLUSH),
        tcp_frame(False, 40208, 80, 10, 0, SYN, ctl=CTL_FLUSH),
        tcp_frame(False, 40208, 80, 11, 99, ACK, ctl=CTL_FLUSH),
        tcp_frame(True, 40209, 80, 20, 0, SYN,
                  opts=struct.pack('!BBH', 2, 4, 60) + b'\x00',
                  ctl=CTL_FLUSH),
        tcp_frame(True, 40209, 80, 21, 1, ACK, ctl=CTL_FLUSH),
        tcp_frame(True, 40209, 80, 21, 1, RST, ctl=CTL_FLUSH),
    ]


def tcp_bulk():
    """Many segments of one connection in one batch, then a FIN"""
    isn = 50000
    f = [tcp_frame(True, 40300, 80, isn, 0, SYN, opts=SYN_OPTS),
         tcp_frame(True, 40300, 80, isn + 1, 1, ACK, ctl=CTL_FLUSH)]
    seq = isn + 1
    for i in range(24):
        data = bytes([i]) * 1200
        f.append(tcp_frame(True, 40300, 80, seq, 1 + 3000, ACK, data,
                           opts=ts(10 + i, 1)))
        seq += len(data)
    f.append(tcp_frame(True, 40300, 80, seq, 1 + 3000, ACK | FIN,
                       ctl=CTL_FLUSH))
    return f


def udp_frames4():
    return [
        udp4(GW4, 5000, 7, b'echo me'),
        udp4(GW4, 5000, 7, b'again', ctl=CTL_FLUSH),
        udp4(DNS4, 5001, 53, bytes.fromhex('1234010000010000000000000377'
                                           '7777076578616d706c6503636f6d'
                                           '0000010001')),
        udp4(GW4, 5002, 53, b'\x00\x01dns'),
        udp4(FAR4, 5003, 9999, b'far away'),
        udp4(GW4, 5004, 9, b'nobody home', zero=True),
        udp4(GW4, 5004, 9, b'refused', ctl=CTL_FLUSH),
        udp4(bytes([127, 0, 0, 1]), 5005, 7, b'loopback'),
        udp4(GW4, 5006, 0, b'port zero'),
    ]


def udp_frames6():
    return [
        udp6(GW6, 6000, 7, b'echo me six'),
        udp6(DNS6, 6001, 53, b'\xab\xcd\x01\x00\x00\x01' + bytes(6)),
        udp6(OUR_LL6, 6002, 7, b'link-local', src=LL6),
        udp6(FAR6, 6003, 4000, b'far'),
        udp6(GW6, 6004, 7, bytes(range(256)) * 4, ctl=CTL_FLUSH),
    ]


def ip_options():
    rr = bytes([7, 11, 4]) + bytes(8)	# Record route
    tsopt = bytes([68, 12, 5, 0]) + bytes(8)	# Timestamp
    ra = bytes([148, 4, 0, 0])	# Router alert
    nops = b'\x01' * 3 + b'\x00'
    return [
        echo4(GW4, 0x77, 1, opts=rr),
        udp4(GW4, 5100, 7, b'with options', opts=tsopt + ra),
        udp4(GW4, 5101, 7, b'nops', opts=nops),
        dhcp_frame(1, [], ctl=0),
    ]


def ipv6_ext():
    u = udp(G6, GW6, 6100, 7, b'behind extension headers')
    hbh = bytes([60, 0, 1, 4, 0, 0, 0, 0])		# -> dstopts, PadN
    dst = bytes([43, 0, 1, 4, 0, 0, 0, 0])		# -> routing
    rt = bytes([17, 0, 0, 0, 0, 0, 0, 0])		# type 0, no segments
    frag = bytes([17, 0]) + struct.pack('!HI', 0, 0x1234)	# offset 0
    frag_mf = bytes([17, 0]) + struct.pack('!HI', 1, 0x1235)	# M flag
    ah = bytes([17, 1, 0, 0]) + struct.pack('!II', 0x100, 1)	# 12 bytes
    ah += bytes(-len(ah) % 8)
    ah = bytes([ah[0], len(ah) // 4 - 2]) + ah[2:]
    e = echo6(GW6, 0x66, 1)[14 + 40:]
    return [
        eth(ETH_P_IPV6, ipv6(G6, GW6, 0, hbh + dst + rt + u)),
        eth(ETH_P_IPV6, ipv6(G6, GW6, 60, dst[:0] + bytes([17]) + dst[1:] +
                             u)),
        eth(ETH_P_IPV6, ipv6(G6, GW6, 44, frag + u), ctl=CTL_RAW),
        eth(ETH_P_IPV6, ipv6(G6, GW6, 44, frag_mf + u[:16]), ctl=CTL_RAW),
        eth(ETH_P_IPV6, ipv6(G6, GW6, 51, ah + u)),
        eth(ETH_P_IPV6, ipv6(G6, GW6, 0, bytes([58]) + hbh[1:] + e)),
        eth(ETH_P_IPV6, ipv6(G6, GW6, 59, b'')),	# No next header
    ]


def igmp(typ, body):
    """IGMP message with its checksum"""
    m = bytes([typ, 0, 0, 0]) + body
    c = netlib.inet_csum(m)
    return m[:2] + struct.pack('!H', c) + m[4:]


def igmp_frame(dst, msg, ctl=CTL_RAW):
    """IGMP message from the guest, with a Router Alert option, TTL 1"""
    ra = bytes([148, 4, 0, 0])
    return eth(ETH_P_IP, ipv4(G4, dst, 2, msg, opts=ra, ttl=1), ctl=ctl)


def mld_frame(dst, typ, body, src=LL6):
    """MLD message from the guest, behind a hop-by-hop Router Alert"""
    hbh = bytes([58, 0, 5, 2, 0, 0, 1, 0])
    return eth(ETH_P_IPV6, ipv6(src, dst, 0, hbh + icmp6(src, dst, typ, 0,
                                                         body), hlim=1))


def mcast_frames():
    """Membership reports of all versions, datagrams to groups, leaves"""
    mdns4, ssdp4, other4 = (bytes([224, 0, 0, 251]),
                            bytes([239, 255, 255, 250]),
                            bytes([239, 1, 2, 3]))
    igmp3_all = bytes([224, 0, 0, 22])
    mdns6 = a6('ff02::fb')
    mld2_all = a6('ff02::16')
    v3 = (bytes([4, 0, 0, 0]) + mdns4 +			# to exclude {}
          bytes([1, 0, 0, 1]) + other4 + G4 +		# include {G4}
          bytes([5, 1, 0, 0]) + ssdp4 + bytes(4))	# allow, aux data
    mld2 = (bytes([4, 0, 0, 0]) + mdns6 +
            bytes([1, 0, 0, 1]) + a6('ff05::c') + G6)
    return [
        igmp_frame(mdns4, igmp(0x16, mdns4)),
        igmp_frame(igmp3_all, igmp(0x22, struct.pack('!HH', 0, 3) + v3)),
        igmp_frame(igmp3_all, igmp(0x22, struct.pack('!HH', 0, 0xffff) +
                                   v3[:10])),		# records cut short
        igmp_frame(bytes([224, 0, 0, 1]), igmp(0x11, bytes(8))),  # query
        udp4(mdns4, 5353, 5353, b'\x00' * 12, ctl=CTL_FLUSH),
        udp4(ssdp4, 50000, 1900, b'M-SEARCH * HTTP/1.1\r\n\r\n'),
        udp4(other4, 5000, 5000, b'to a group'),
        mld_frame(mld2_all, 143, struct.pack('!HH', 0, 2) + mld2),
        mld_frame(mld2_all, 143, struct.pack('!HH', 0, 9) + mld2[:30]),
        mld_frame(mdns6, 131, bytes(4) + mdns6),
        udp6(mdns6, 5353, 5353, b'\x00' * 12, ctl=CTL_FLUSH),
        mld_frame(a6('ff02::2'), 132, bytes(4) + mdns6),
        igmp_frame(bytes([224, 0, 0, 2]), igmp(0x17, mdns4)),
        igmp_frame(igmp3_all, igmp(0x22, struct.pack('!HH', 0, 1) +
                                   bytes([3, 0, 0, 0]) + other4)),
    ]


def frags4():
    u = udp(G4, GW4, 5200, 7, bytes(64))
    return [
        eth(ETH_P_IP, ipv4(G4, GW4, 17, u[:32], frag=0x2000, ident=9)),
        eth(ETH_P_IP, ipv4(G4, GW4, 17, u[32:], frag=4, ident=9)),
        eth(ETH_P_IP, ipv4(G4, GW4, 17, u, frag=0, ident=10)),
    ]


def malformed():
    good = udp4(GW4, 5300, 7, b'fine')
    ip = good[14:]
    f = [
        # IPv4 total length past the end of the frame
        eth(ETH_P_IP, ip[:2] + b'\x04\x00' + ip[4:], CTL_RAW),
        # IHL below five, bad version, bad header checksum
        eth(ETH_P_IP, bytes([0x44]) + ip[1:], CTL_RAW),
        eth(ETH_P_IP, bytes([0x65]) + ip[1:], CTL_RAW),
        eth(ETH_P_IP, ip[:10] + b'\xde\xad' + ip[12:], CTL_RAW),
        # IHL past the frame
        eth(ETH_P_IP, bytes([0x4f]) + ip[1:24], CTL_RAW),
        # Ethernet padding after the IPv4 packet
        eth(ETH_P_IP, ip + bytes(20), CTL_RAW),
        # UDP length longer than the packet, bad UDP checksum
        eth(ETH_P_IP, ipv4(G4, GW4, 17, udp(G4, GW4, 5301, 7, b'x')[:4] +
                           b'\x00\x40' + b'\x00\x00x'), CTL_RAW),
        eth(ETH_P_IP, ipv4(G4, GW4, 17, udp(G4, GW4, 5302, 7, b'x')[:6] +
                           b'\x12\x34x'), CTL_RAW),
        # Too short for headers
        eth(ETH_P_IP, b'\x45', CTL_RAW),
        eth(ETH_P_IPV6, b'\x60\x00', CTL_RAW),
        eth(ETH_P_ARP, b'\x00\x01\x08\x00', CTL_RAW),
        # IPv6 payload length past the frame, bad extension header length
        eth(ETH_P_IPV6, ipv6(G6, GW6, 17, b'abc', plen=400), CTL_RAW),
        eth(ETH_P_IPV6, ipv6(G6, GW6, 0, bytes([17, 200]) + bytes(6)),
            CTL_RAW),
        # ICMPv6 shorter than its header, NS too short
        eth(ETH_P_IPV6, ipv6(LL6, ALL_ROUTERS6, 58, b'\x85\x00'), CTL_RAW),
        eth(ETH_P_IPV6, ipv6(LL6, ALL_NODES6, 58,
                             icmp6(LL6, ALL_NODES6, 135, 0, bytes(4))),
            CTL_RAW),
        # TCP data offset past the segment
        eth(ETH_P_IP, ipv4(G4, GW4, 6, struct.pack('!HHIIBBHHH', 1, 80, 0,
                                                   0, 0xf0, SYN, 0, 0, 0)),
            CTL_RAW),
        # TCP with a data offset below five, and with bad options
        eth(ETH_P_IP, ipv4(G4, GW4, 6, struct.pack('!HHIIBBHHH', 1, 80, 0,
                                                   0, 0x30, SYN, 0, 0, 0))),
        tcp_frame(False, 2, 80, 0, 0, SYN,
                  opts=bytes([2, 1, 3, 0, 8, 40, 0, 0])),
        tcp_frame(False, 3, 80, 0, 0, SYN, opts=bytes([2, 4, 0, 0, 3, 3,
                                                       200, 0])),
        # Unknown ethertype, VLAN tag, broadcast source MAC
        eth(0x88b5, b'local experimental', CTL_RAW),
        eth(0x8100, struct.pack('!H', 5) + struct.pack('!H', ETH_P_IP) + ip,
            CTL_RAW),
        b'\xff' * 12 + struct.pack('!H', ETH_P_IP) + ip,
        # Just an Ethernet header
        eth(ETH_P_IP, b'', CTL_RAW),
        # ICMP echo with a code, and too short
        eth(ETH_P_IP, ipv4(G4, GW4, 1, icmp4(8, 1, bytes(4)))),
        eth(ETH_P_IP, ipv4(G4, GW4, 1, b'\x08\x00')),
        # Broadcast and multicast destinations, unspecified source
        udp4(BCAST4, 5400, 7, b'bcast'),
        eth(ETH_P_IP, ipv4(ANY4, GW4, 17, udp(ANY4, GW4, 5401, 7, b'a'))),
        udp6(ALL_NODES6, 6400, 7, b'mcast'),
    ]
    return f


def dhcp_malformed():
    prl = bytes([55, 200, 1, 3])	# Option running past the end
    m = dhcp_msg(1, [])
    trunc = m[:240] + prl
    bad_magic = m[:236] + b'\x63\x82\x53\x00' + m[240:]
    no_type = m[:240] + b'\xff'
    big_max = dhcp_msg(1, [(57, struct.pack('!H', 65535))])
    small_max = dhcp_msg(1, [(57, struct.pack('!H', 100))])
    type_len = m[:240] + bytes([53, 2, 1, 1, 255])
    pads = m[:240] + bytes(30) + bytes([53, 1, 1])
    short = m[:200]

    def f(msg, ulen=None, ctl=0):
        u = udp(ANY4, BCAST4, 68, 67, msg)
        if ulen is not None:
            u = u[:4] + struct.pack('!H', ulen) + u[6:]
            ctl |= CTL_RAW
        return eth(ETH_P_IP, ipv4(ANY4, BCAST4, 17, u, frag=0), ctl, BCAST_MAC)

    v6 = dhcp6(1, [opt6(1, DUID_GUEST), struct.pack('!HH', 3, 500)])
    v6_wrongsrc = udp(LL6, DHCP6_SERVERS, 999, 547,
                      dhcp6(1, [opt6(1, DUID_GUEST)]))
    v6_confirm = dhcp6(4, [opt6(1, DUID_GUEST),
                           opt6(3, struct.pack('!III', 1, 0, 0) +
                                struct.pack('!HH', 5, 30) + G6)])
    return [
        f(trunc), f(bad_magic), f(no_type), f(big_max), f(small_max),
        f(type_len), f(pads), f(short), f(m, ulen=4), f(m, ulen=2000),
        eth(ETH_P_IPV6, ipv6(LL6, DHCP6_SERVERS, 17,
                             udp(LL6, DHCP6_SERVERS, 546, 547, v6))),
        eth(ETH_P_IPV6, ipv6(LL6, DHCP6_SERVERS, 17, v6_wrongsrc)),
        eth(ETH_P_IPV6, ipv6(LL6, DHCP6_SERVERS, 17,
                             udp(LL6, DHCP6_SERVERS, 546, 547,
                                 v6_confirm))),
        eth(ETH_P_IPV6, ipv6(LL6, DHCP6_SERVERS, 17,
                             udp(LL6, DHCP6_SERVERS, 546, 547, b'\x01'))),
    ]


def inbound():
    """Connections from the host side to forwarded ports, both families"""
    f = []
    for k, v6 in ((0, False), (1, True)):
        peer = GW6 if v6 else GW4
        sport = 41000 + k
        f += [
            arp(1, G4, GW4, ctl=CTL_HOST),
            tcp_frame(v6, 8080, sport, 9000, 1, SYN | ACK, opts=SYN_OPTS,
                      dst=peer, ctl=CTL_FLUSH),
            tcp_frame(v6, 8080, sport, 9001, 101, ACK | PSH, b'hi host',
                      opts=ts(2, 1), dst=peer, ctl=CTL_FLUSH),
            udp6(peer, 5353, 42000 + k, b'reply to host') if v6 else
            udp4(peer, 5353, 42000 + k, b'reply to host'),
            tcp_frame(v6, 8080, sport, 9008, 108, ACK | FIN, dst=peer,
                      ctl=CTL_FLUSH),
            tcp_frame(v6, 8080, sport, 9009, 109, ACK, dst=peer,
                      ctl=CTL_FLUSH),
        ]
    # A SYN-ACK with the wrong acknowledgement, then a reset
    f += [
        arp(1, G4, GW4, ctl=CTL_HOST),
        tcp_frame(False, 8080, 41002, 1, 7, SYN | ACK, ctl=CTL_FLUSH),
        arp(1, G4, GW4, ctl=CTL_HOST),
        tcp_frame(True, 8080, 41003, 1, 1, RST | ACK, dst=GW6,
                  ctl=CTL_FLUSH),
    ]
    return f


def split(frame, at):
    """Cut the stream inside a frame, at offset @at + 1 from its length"""
    return frame[:4] + bytes([at, frame[5] | CTL_SPLIT]) + frame[6:]


def split_frames():
    """Frames cut in their length field, Ethernet, IP, TCP headers, data"""
    f = tcp_session(False, 40700, b'y' * 600)
    f[0] = split(f[0], 1)
    f[2] = split(f[2], 3)
    f[3] = split(f[3], 20)
    f[4] = split(f[4], 40)
    f[5] = split(f[5], 0)
    return f + [split(udp6(GW6, 5800, 7, b'split echo'), 60),
                split(echo4(GW4, 0x77, 1, b'z' * 300), 250),
                split(arp(1, G4, GW4), 9)]


def reverse(frames):
    """Have the harness handle events in reverse order"""
    f = frames[0]
    return [f[:5] + bytes([f[5] | CTL_REVERSE]) + f[6:]] + frames[1:]


def burst():
    """Frames racing with what earlier ones caused: a second datagram to a
    closed port with the port unreachable error pending, a reset from the
    guest with data of the host side pending"""
    isn = 3000
    return [
        udp4(GW4, 5900, 9, b'to a closed port'),
        udp4(GW4, 5900, 9, b'again', ctl=CTL_BURST),
        udp6(GW6, 5901, 9, b'closed, IPv6', ctl=CTL_FLUSH),
        udp6(GW6, 5901, 9, b'again', ctl=CTL_BURST),
        tcp_frame(False, 40900, 80, isn, 0, SYN, opts=SYN_OPTS,
                  ctl=CTL_FLUSH),
        tcp_frame(False, 40900, 80, isn + 1, 1, ACK, ctl=CTL_FLUSH),
        tcp_frame(False, 40900, 80, isn + 1, 1, ACK | PSH, b'echo this'),
        tcp_frame(False, 40900, 80, isn + 10, 1, RST | ACK, ctl=CTL_BURST),
        tcp_frame(True, 40901, 80, isn, 0, SYN, opts=SYN_OPTS,
                  ctl=CTL_FLUSH),
        tcp_frame(True, 40901, 80, isn + 1, 1, ACK | PSH, b'data',
                  ctl=CTL_BURST),
        tcp_frame(True, 40901, 80, isn + 5, 1, RST, ctl=CTL_BURST),
    ]


def burst_reset():
    """Echo replies pending as the guest breaks the framing"""
    return [
        echo4(GW4, 0x55, 1, ctl=CTL_FLUSH),
        echo6(GW6, 0x56, 1),
        udp4(GW4, 5902, 7, b'echo'),
        arp(1, G4, GW4, ctl=CTL_BURST),
    ]


def stuck():
    """Connections to a port that never answers, until passt gives up"""
    return [tcp_frame(False, 41100, 81, 100, 0, SYN, opts=SYN_OPTS),
            tcp_frame(True, 41101, 81, 200, 0, SYN, opts=SYN_OPTS),
            tcp_frame(False, 41100, 81, 100, 0, SYN, opts=SYN_OPTS,
                      ctl=CTL_FLUSH)]


def sink(v6, sport):
    """Data for a peer that never reads: it stays in passt's socket"""
    isn = 9000
    f = [tcp_frame(v6, sport, 82, isn, 0, SYN, opts=SYN_OPTS),
         tcp_frame(v6, sport, 82, isn + 1, 1, ACK, ctl=CTL_FLUSH)]
    seq = isn + 1
    for i in range(4):
        data = bytes([0x61 + i]) * 1400
        f.append(tcp_frame(v6, sport, 82, seq, 1, ACK, data,
                           ctl=CTL_FLUSH if i % 2 else 0))
        seq += len(data)
    f.append(tcp_frame(v6, sport, 82, seq, 1, ACK | FIN, ctl=CTL_FLUSH))
    return f


def no_acks():
    """The guest never acknowledges the greeting: passt retransmits, then
    gives up"""
    return [tcp_frame(False, 41200, 80, 500, 0, SYN, opts=SYN_OPTS),
            tcp_frame(False, 41200, 80, 501, 1, ACK, ctl=CTL_FLUSH)]


def many_flows():
    """More flows in one batch than passt sorts at once"""
    f = [udp4(GW4, 20000 + i, 7, b'u') for i in range(70)]
    f += [tcp_frame(False, 30000 + i, 80, i, 0, SYN) for i in range(70)]
    return f


def small_buffer():
    """Small send buffer: the greeting and echoes come up short"""
    f = tcp_session(False, 40600, b'x' * 8000)
    f[0] = f[0][:5] + bytes([f[0][5] | CTL_SMALL]) + f[0][6:]
    f.insert(3, tcp_frame(False, 40600, 80, 1001 + 8000, 1, ACK,
                          ctl=CTL_FLUSH))
    f.insert(4, udp4(GW4, 5700, 7, bytes(6000), ctl=CTL_FLUSH))
    return f


def corpus():
    arps = [
        arp(1, G4, GW4),
        arp(1, G4, bytes([192, 0, 2, 200])),
        arp(1, ANY4, G4),				# Probe
        arp(1, G4, G4),					# Announcement
        arp(2, G4, GW4, dst=OUR_MAC),			# Reply
        arp(1, G4, GW4, ctl=CTL_RAW, dst=OUR_MAC),
    ]
    c = {
        'arp': stream(*arps),
        'ndp': stream(*ndp_frames()),
        'dhcp': stream(*dhcp_frames()),
        'dhcpv6': stream(*dhcpv6_frames()),
        'icmp4': stream(echo4(GW4, 0x1234, 1), echo4(GW4, 0x1234, 2),
                        echo4(FAR4, 0x4321, 1, b'x' * 56),
                        echo4(GW4, 0x1234, 3, ctl=CTL_FLUSH)),
        'icmp6': stream(echo6(GW6, 0x1234, 1), echo6(FAR6, 0x99, 1),
                        echo6(GW6, 0x1234, 2, ctl=CTL_FLUSH)),
        'tcp4': stream(*tcp_session(False)),
        'tcp6': stream(*tcp_session(True, 40001)),
        'tcp_ooo': stream(*tcp_ooo()),
        'tcp_misc': stream(*tcp_misc()),
        'tcp_bulk': stream(*tcp_bulk()),
        'udp4': stream(*udp_frames4()),
        'udp6': stream(*udp_frames6()),
        'ipv4_options': stream(*ip_options()),
        'ipv6_ext': stream(*ipv6_ext()),
        'ipv4_frags': stream(*frags4()),
        'mcast': stream(*mcast_frames()),
        'malformed': stream(*malformed()),
        'dhcp_malformed': stream(*dhcp_malformed()),
        'mixed': stream(arps[0], ndp_frames()[0], dhcp_frames()[0],
                        dhcpv6_frames()[0], echo4(GW4, 1, 1),
                        echo6(GW6, 1, 1), *tcp_session(False, 40500)[:3],
                        *udp_frames4()[:3], *udp_frames6()[:2]),
        'framing_zero': stream(arps[0]) + struct.pack('!I', 0) + arps[0],
        'framing_short': stream(arps[0]) + struct.pack('!I', 13) + bytes(13),
        'framing_long': stream(arps[0]) + struct.pack('!I', 65550) +
                        bytes(64),
        'framing_partial': stream(arps[0], echo4(GW4, 2, 1))[:-10],
        'framing_len_only': stream(arps[0]) + b'\x00\x00',
        'big_udp': stream(udp4(GW4, 5500, 7, bytes(range(256)) * 35),
                          udp6(GW6, 6500, 7, bytes(8000))),
        'jumbo_frame': stream(eth(ETH_P_IP,
                                  ipv4(G4, GW4, 17,
                                       udp(G4, GW4, 5600, 7,
                                           bytes(65535 - 28))))),
    }
    c['inbound'] = stream(*inbound())
    rev = inbound() + tcp_session(True, 40800) + udp_frames4()
    rev[0] = rev[0][:5] + bytes([rev[0][5] | CTL_REVERSE]) + rev[0][6:]
    c['reverse'] = stream(*rev)
    c['small_buffer'] = stream(*small_buffer())
    c['split'] = stream(*split_frames())
    c['stuck'] = stream(*stuck())
    c['sink'] = stream(*sink(False, 41300))
    c['sink6'] = stream(*sink(True, 41301))
    c['no_acks'] = stream(*no_acks())
    c['many_flows'] = stream(*many_flows())
    c['burst'] = stream(*burst())
    c['burst_reverse'] = stream(*reverse(burst()))
    c['burst_reset'] = stream(*burst_reset()) + struct.pack('!I', 3)
    c['burst_reset_reverse'] = stream(*reverse(burst_reset())) + \
        struct.pack('!I', 3)
    # One DHCP exchange with only the handshake: small and quick to mutate
    c['dhcp_discover'] = stream(dhcp_frames()[0])
    c['tcp_syn'] = stream(tcp_session(False)[0])
    return c


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else \
        os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus')
    os.makedirs(out, exist_ok=True)
    for name, data in sorted(corpus().items()):
        with open(os.path.join(out, name + '.bin'), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main()
