#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/mcast_tool.py - Both ends of a discovery exchange over multicast, the
# way mDNS and SSDP use it
#
#   responder --group G --port P --ifname IF [--unicast] [--count N]
#	      [--life S]
#	Join G on IF, listen on P. Each query "Q <tag>" is printed
#	("GOT Q <tag> FROM <addr> <port> TTL <ttl>") and answered "A <tag> <name>": to
#	the group, or with --unicast to the sender (SSDP's M-SEARCH answers).
#	Prints "READY" once joined; exits after N queries (default 1), or S s
#	(default 20).
#
#   query --group G --port P --ifname IF [--sport S] [--join] [--ttl T]
#	  [--tag X] [--wait W] [--delay D]
#	Send "Q <tag>" to G:P from port S (0: any), joined to G first with
#	--join (mDNS queriers listen to the group for answers) and D s before
#	sending (default 0; long-lived queriers join well before), then print
#	what comes back within W s (default 3): "RCV <payload> FROM <addr>
#	<port>".
#
#   member --group G[,G...] --port P --ifname IF [--life S]
#	Join groups on IF, print "READY", stay S s (default 20).
#
# Multicast loopback is off on both: what comes back passed through the
# other side, never straight from our own socket.

import argparse
import select
import socket
import struct
import sys
import time

IP_RECVTTL = getattr(socket, "IP_RECVTTL", 12)   # Linux uapi value


def open_sock(group, port, ifname, join):
    """Bound socket, joined to the group on the interface if asked"""
    v6 = ':' in group
    ifi = socket.if_nametoindex(ifname)
    s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET,
                      socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if v6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind(('::', port))
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, ifi)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_LOOP, 0)
        if join:
            mreq = socket.inet_pton(socket.AF_INET6, group) + \
                   struct.pack('@I', ifi)
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)
    else:
        s.bind(('0.0.0.0', port))
        mreqn = socket.inet_aton(group) + socket.inet_aton('0.0.0.0') + \
            struct.pack('@i', ifi)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, mreqn)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
        if join:
            s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreqn)
    return s, (group, port, 0, ifi) if v6 else (group, port)


def responder(a):
    """Answer queries"""
    s, dst = open_sock(a.group, a.port, a.ifname, True)
    v6 = ':' in a.group
    if v6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVHOPLIMIT, 1)
    else:
        s.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
    print('READY', flush=True)
    end = time.monotonic() + a.life
    left = a.count
    while left and time.monotonic() < end:
        if not select.select([s], [], [], 0.5)[0]:
            continue
        data, anc, _, peer = s.recvmsg(65536, socket.CMSG_SPACE(4))
        ttl = '?'
        for level, kind, value in anc:
            if (level, kind) in ((socket.IPPROTO_IP, socket.IP_TTL),
                                 (socket.IPPROTO_IPV6,
                                  socket.IPV6_HOPLIMIT)):
                ttl = struct.unpack('@i', value[:4])[0]
        words = data.decode(errors='replace').split()
        if len(words) < 2 or words[0] != 'Q':
            continue
        print(f'GOT Q {words[1]} FROM {peer[0]} {peer[1]} TTL {ttl}',
              flush=True)
        answer = f'A {words[1]} {a.name}'.encode()
        s.sendto(answer, peer if a.unicast else dst)
        left -= 1


def member(a):
    """Be in some groups for a while"""
    socks = [open_sock(g, a.port, a.ifname, True)[0]
             for g in a.group.split(',')]
    print('READY', flush=True)
    time.sleep(a.life)
    del socks


def query(a):
    """Send a query, print what comes back"""
    s, dst = open_sock(a.group, a.sport, a.ifname, a.join)
    if a.ttl:
        if ':' in a.group:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS,
                         a.ttl)
        else:
            s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, a.ttl)
    dst = (dst[0], a.port) + dst[2:]
    time.sleep(a.delay)
    s.sendto(f'Q {a.tag}'.encode(), dst)
    end = time.monotonic() + a.wait
    while time.monotonic() < end:
        if not select.select([s], [], [], 0.1)[0]:
            continue
        data, peer = s.recvfrom(65536)
        print(f'RCV {data.decode(errors="replace")} FROM {peer[0]} '
              f'{peer[1]}', flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('mode', choices=['responder', 'query', 'member'])
    p.add_argument('--group', required=True)
    p.add_argument('--port', type=int, required=True)
    p.add_argument('--ifname', required=True)
    p.add_argument('--unicast', action='store_true')
    p.add_argument('--count', type=int, default=1)
    p.add_argument('--name', default='responder')
    p.add_argument('--sport', type=int, default=0)
    p.add_argument('--join', action='store_true')
    p.add_argument('--ttl', type=int, default=0)
    p.add_argument('--tag', default='x')
    p.add_argument('--wait', type=float, default=3)
    p.add_argument('--delay', type=float, default=0)
    p.add_argument('--life', type=float, default=20)
    a = p.parse_args()
    if a.mode == 'responder':
        responder(a)
    elif a.mode == 'member':
        member(a)
    else:
        query(a)
    return 0


if __name__ == '__main__':
    sys.exit(main())
