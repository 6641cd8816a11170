#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode networking for virtual machines and namespaces
#
# test/tcp_tool.py - Small TCP clients and servers for the integration tests
#
#   echoserver PORT                  echo every connection, many at once
#   rstserver PORT                   accept, wait a bit, close with a reset
#   halfclose HOST PORT SIZE         send SIZE bytes, shut down writing, print
#                                    the reply
#   reset HOST PORT                  connect, read: print RESET on a reset
#   refused HOST PORT                connect: print REFUSED and milliseconds
#   many HOST PORT N SIZE            N connections at once, SIZE bytes each
#                                    way through an echo server, checked
#   limits HOST PORT N               a connection, then N more at once:
#                                    how many are refused, does the first
#                                    still work
#   synflood IF SRC DST COUNT        COUNT SYNs from random ports, raw
#   pausesend PORT SIZE N            on each connection, send SIZE bytes N
#                                    times, pausing in between, then close
#   count HOST PORT                  connect, read to the end: print bytes
#   keepalive HOST PORT IDLE         connect to an echo server, keepalive
#                                    probes every second after IDLE s idle,
#                                    three unanswered ones give up; wait
#                                    IDLE + 5 s, then print the echo of a
#                                    byte, or the error
#   fdlimit HOST PORT N PID          N connections at once to an echo server
#                                    through PID, which runs out of
#                                    descriptors: each one served, or
#                                    refused within 2 s; CPU time of PID
#                                    while they're held; then 20 more once
#                                    they're closed
#   replyclose PORT SIZE             on each connection, read a byte, send
#                                    SIZE bytes and close at once: the FIN
#                                    comes right behind the data
#   crr HOST PORT N SIZE             N times: connect, send a byte, read to
#                                    the end; print OK, or where the reply
#                                    or its end didn't come within 2 s
#   urgserver PORT HOLD [SIZE]       on each connection, read a byte, send
#                                    three runs of SIZE bytes (default 1000)
#                                    and six urgent ones (send(MSG_OOB)),
#                                    the first and the last byte among them,
#                                    wait HOLD s, close
#   urgent HOST PORT HOLD N [SIZE [DELAY]]
#                                    N times: connect to urgserver with
#                                    SO_OOBINLINE, send a byte, wait DELAY s,
#                                    check that all of it comes whole and in
#                                    order within DELAY + 2 s, then the end
#                                    of the stream; print OK N, or the first
#                                    failure
#   urgsink PORT                     on each connection, read what urgsend
#                                    sends (SO_OOBINLINE), answer OK, or BAD
#                                    and the bytes read within 2 s
#   urgsend HOST PORT N              N times: connect, send at once what
#                                    urgserver sends (urgent bytes included),
#                                    wait for urgsink's answer; print OK N,
#                                    or the first other answer
#   fetch HOST PORT FILE [DELAY]     connect, wait DELAY s, read into FILE;
#                                    print EOF or RESET and the bytes read
#   sink PORT FILE [DELAY [RATE [RCVBUF]]]
#                                    accept one connection, wait DELAY s,
#                                    then read it into FILE, RATE bytes a
#                                    second at most; print how it ended,
#                                    EOF or RESET, and the bytes read. A
#                                    RCVBUF fixes the receive buffer
#   nodelay PID PORT                 TCP_NODELAY of PID's connected TCP
#                                    sockets with PORT at either end: print
#                                    NODELAY and the values, one a socket

"""Small TCP tools for the passt integration tests."""

import ctypes
import hashlib
import os
import resource
import selectors
import socket
import struct
import sys
import time

from netlib import BCAST_MAC, ETH_P_IP, a4, eth, ipv4, tcp


def family(host):
    """Address family of a literal address."""
    return socket.AF_INET6 if ':' in host else socket.AF_INET


def listener(port):
    """A dual-stack listening socket on every address."""
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(('::', port))
    s.listen(4096)
    return s


def echoserver(port):
    """Echo data back on every connection until the peer closes."""
    srv = listener(port)
    srv.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(srv, selectors.EVENT_READ, None)
    while True:
        for key, _ in sel.select():
            if key.data is None:
                try:
                    conn, _ = srv.accept()
                except BlockingIOError:
                    continue
                conn.setblocking(True)
                sel.register(conn, selectors.EVENT_READ, 'c')
                continue
            conn = key.fileobj
            try:
                data = conn.recv(65536)
            except ConnectionError:
                data = b''
            if not data:
                sel.unregister(conn)
                conn.close()
                continue
            conn.sendall(data)


def rstserver(port):
    """Accept connections and reset each one shortly after."""
    srv = listener(port)
    while True:
        conn, _ = srv.accept()
        time.sleep(0.2)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                        struct.pack('ii', 1, 0))
        conn.close()


def connect(host, port, timeout=10):
    """A connected socket."""
    s = socket.socket(family(host), socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect((host, port))
    return s


def halfclose(host, port, size):
    """Send data, shut down writing, then read the reply to the end."""
    data = os.urandom(size)
    s = connect(host, port)
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    reply = b''
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        reply += chunk
    print('SENT', hashlib.sha256(data).hexdigest())
    print('REPLY', reply.decode().split()[0] if reply else '')


def reset(host, port):
    """Connect and wait for data: report a reset by the peer."""
    s = connect(host, port)
    try:
        data = s.recv(1)
        print('EOF' if not data else 'DATA')
    except ConnectionResetError:
        print('RESET')
    except socket.timeout:
        print('TIMEOUT')


def refused(host, port):
    """Connect to a closed port: report how long the refusal took."""
    start = time.monotonic()
    try:
        connect(host, port, timeout=5)
        print('CONNECTED')
    except ConnectionRefusedError:
        print('REFUSED %d' % ((time.monotonic() - start) * 1000))
    except (socket.timeout, OSError) as e:
        print('ERROR', e)


def many(host, port, n, size):
    """Many concurrent connections through an echo server, checked."""
    sel = selectors.DefaultSelector()
    state = {}
    for i in range(n):
        s = socket.socket(family(host), socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect((host, port))
        except BlockingIOError:
            pass
        payload = os.urandom(size)
        state[s] = {'out': payload, 'sent': 0, 'in': b'', 'want': payload}
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)

    deadline = time.monotonic() + 60
    done = ok = 0
    while done < n and time.monotonic() < deadline:
        for key, ev in sel.select(timeout=1):
            s = key.fileobj
            st = state[s]
            try:
                if ev & selectors.EVENT_WRITE and st['sent'] < size:
                    st['sent'] += s.send(st['out'][st['sent']:])
                    if st['sent'] == size:
                        sel.modify(s, selectors.EVENT_READ)
                if ev & selectors.EVENT_READ:
                    chunk = s.recv(65536)
                    st['in'] += chunk
                    if len(st['in']) >= size or not chunk:
                        ok += st['in'] == st['want']
                        done += 1
                        sel.unregister(s)
                        s.close()
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                done += 1
                sel.unregister(s)
                s.close()
    print('MANY %d/%d' % (ok, n))


def limits(host, port, n):
    """One connection, then n more at once: count what's refused, check
    that the first one still works."""
    first = connect(host, port)
    first.sendall(b'before')
    ok_before = first.recv(64) == b'before'

    sel = selectors.DefaultSelector()
    socks = []
    for _ in range(n):
        s = socket.socket(family(host), socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect((host, port))
        except BlockingIOError:
            pass
        except OSError:
            continue
        socks.append(s)
        sel.register(s, selectors.EVENT_WRITE)

    established = refused = 0
    pending = len(socks)
    deadline = time.monotonic() + 30
    while pending and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=1):
            s = key.fileobj
            err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                refused += 1
            else:
                established += 1
            sel.unregister(s)
            pending -= 1

    first.sendall(b'after')
    ok_after = first.recv(64) == b'after'
    print('EXISTING-%s established=%d refused=%d' %
          ('OK' if ok_before and ok_after else 'BROKEN', established,
           refused))
    for s in socks:
        s.close()


def synflood(ifname, src, dst, count):
    """Many SYNs from random ports, as raw frames on an interface."""
    import random  # pylint: disable=import-outside-toplevel

    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((ifname, 0))
    mac = s.getsockname()[4]
    sa, da = a4(src), a4(dst)
    sent = 0
    for _ in range(count):
        sport = random.randint(1024, 65535)
        dport = random.randint(1, 65535)
        seg = tcp(sa, da, sport, dport, random.getrandbits(32), 0, 0x02,
                  wnd=64240)
        frame = eth(BCAST_MAC, ETH_P_IP, ipv4(sa, da, 6, seg, ident=0),
                    src=mac)
        try:
            s.send(frame)
            sent += 1
        except OSError:
            time.sleep(0.001)
    print('SYNS %d' % sent)


def pausesend(port, size, n):
    """Send SIZE bytes N times on each connection, with pauses, then close."""
    srv = listener(port)
    data = os.urandom(size)
    while True:
        conn, _ = srv.accept()
        for i in range(n):
            if i:
                time.sleep(0.5)
            conn.sendall(data)
        conn.close()


def read_to_end(s):
    """Bytes read from s until the end of the stream, and the error, if any,
    that stopped it before."""
    total = 0
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return total, None
            total += len(chunk)
    except OSError as e:
        return total, e


def count(host, port):
    """Read to the end of the stream, print how many bytes came."""
    total, err = read_to_end(connect(host, port))
    if err:
        print('ERROR after %d bytes: %s' % (total, err))
        return
    print(total)


def keepalive(host, port, idle):
    """Idle with keepalive probes, then check the connection still works."""
    s = connect(host, port, timeout=idle + 15)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, idle)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 3)
    time.sleep(idle + 5)
    try:
        s.sendall(b'k')
        print(s.recv(1).decode() or 'EOF')
    except OSError as e:
        print('ERROR', e)


def cpu_ticks(pid):
    """User and system time of a process, in clock ticks."""
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return int(fields[11]) + int(fields[12])


def echo_check(conns, timeout):
    """Send a byte on each connected socket, wait for its echo: return the
    served sockets, the number refused (an error or a reset), closed
    cleanly, and still waiting at the end."""
    sel = selectors.DefaultSelector()
    for s in conns:
        sel.register(s, selectors.EVENT_WRITE, 'connect')
    served, refused, clean = [], 0, 0
    deadline = time.monotonic() + timeout
    while sel.get_map() and time.monotonic() < deadline:
        for key, _ in sel.select(max(deadline - time.monotonic(), 0)):
            s = key.fileobj
            try:
                if key.data == 'connect':
                    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        raise OSError(err, os.strerror(err))
                    s.send(b'x')
                    sel.modify(s, selectors.EVENT_READ, 'echo')
                    continue
                data = s.recv(1)
                sel.unregister(s)
                if data == b'x':
                    served.append(s)
                else:
                    clean += 1
                    s.close()
            except OSError:
                sel.unregister(s)
                refused += 1
                s.close()
    hung = len(sel.get_map())
    for key in list(sel.get_map().values()):
        key.fileobj.close()
    return served, refused, clean, hung


def fdlimit(host, port, n, pid):
    """Connections beyond the descriptor limit of PID: refused at once,
    without PID spinning; the service comes back once they're closed."""
    conns = []
    for _ in range(n):
        s = socket.socket(family(host), socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex((host, port))
        conns.append(s)
    served, refused, clean, hung = echo_check(conns, 2)

    t0, c0 = time.monotonic(), cpu_ticks(pid)
    time.sleep(2)
    cpu = (cpu_ticks(pid) - c0) / os.sysconf('SC_CLK_TCK') / \
        (time.monotonic() - t0) * 100

    for s in served:
        s.close()
    time.sleep(1)
    conns = []
    for _ in range(20):
        s = socket.socket(family(host), socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex((host, port))
        conns.append(s)
    after, _, _, _ = echo_check(conns, 5)
    for s in after:
        s.close()
    print('SERVED %d REFUSED %d CLEAN %d HUNG %d CPU %.1f AFTER %d' %
          (len(served), refused, clean, hung, cpu, len(after)))


def read_into(conn, path, delay, rate):
    """Wait DELAY seconds, read a connection into a file, RATE bytes a
    second at most if not 0; print how it ended, EOF or RESET, and the bytes
    read: an exit status of socat doesn't tell a reset from the end."""
    total = 0
    end = 'EOF'
    time.sleep(delay)
    start = time.monotonic()
    with open(path, 'wb') as f:
        try:
            while True:
                chunk = conn.recv(65536 if not rate else min(65536, rate))
                if not chunk:
                    break
                f.write(chunk)
                total += len(chunk)
                if rate:
                    ahead = total / rate - (time.monotonic() - start)
                    if ahead > 0:
                        time.sleep(ahead)
        except ConnectionResetError:
            end = 'RESET'
    print(end, total)


def sink(port, path, delay, rate, rcvbuf=0):
    """Read one connection into a file, slowly if asked."""
    srv = listener(port)
    if rcvbuf:
        # Set before the connection comes, the size of its window too
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    conn, _ = srv.accept()
    srv.close()
    read_into(conn, path, delay, rate)


def fetch(host, port, path, delay):
    """Connect, then read what the server sends into a file."""
    s = connect(host, port)
    s.settimeout(None)
    read_into(s, path, delay, 0)


def nodelay(pid, port):
    """Look at another process's sockets (pidfd_getfd(), as root): whether
    its connections send small writes at once."""
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(pid)
    found = []
    for name in sorted(os.listdir('/proc/%d/fd' % pid), key=int):
        try:
            if not os.readlink('/proc/%d/fd/%s' % (pid, name)) \
                    .startswith('socket:'):
                continue
        except OSError:
            continue
        fd = libc.syscall(438, pidfd, int(name), 0)     # pidfd_getfd
        if fd < 0:
            continue
        s = socket.socket(fileno=fd)
        try:
            if s.type == socket.SOCK_STREAM and \
               not s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) and \
               port in (s.getsockname()[1], s.getpeername()[1]):
                found.append(s.getsockopt(socket.IPPROTO_TCP,
                                          socket.TCP_NODELAY))
        except OSError:
            pass
        s.close()
    os.close(pidfd)
    print('NODELAY', *found)


def replyclose(port, size):
    """Answer each connection's first byte with SIZE bytes and a FIN."""
    srv = listener(port)
    data = os.urandom(size)
    while True:
        conn, _ = srv.accept()
        try:
            if conn.recv(1):
                conn.sendall(data)
        except OSError:
            pass
        conn.close()


def crr(host, port, n, size):
    """Short connections one after another: each reply whole, then EOF."""
    for i in range(n):
        s = connect(host, port, timeout=2)
        try:
            s.sendall(b'x')
            got, err = read_to_end(s)
        except OSError as e:
            got, err = 0, e
        finally:
            s.close()
        if err:
            print('STALL at %d after %d bytes: %s' % (i, got, err))
            return
        if got != size:
            print('SHORT at %d: %d bytes' % (i, got))
            return
    print('OK %d' % n)


def urgent_parts(size):
    """What urgserver sends: (bytes, urgent) pairs, the same every time,
    runs of SIZE bytes between urgent ones. With urgent, the last byte of
    the part carries the urgent mark."""
    data = bytes(range(251)) * (size // 251 + 1)
    return [(b'U', True), (data[:size], False), (b'V', True),
            (data[1:size + 1], False), (b'XYZ', True),
            (data[2:size + 2], False), (b'W', True)]


def urgserver(port, hold, size):
    """Send a stream with urgent data in it on each connection, then close
    it, HOLD s later."""
    srv = listener(port)
    while True:
        conn, _ = srv.accept()
        try:
            if conn.recv(1):
                for part, urg in urgent_parts(size):
                    # Each mark in a segment of its own, and the next one
                    # only once the reader went past the last (one mark at
                    # a time: a new one would move it)
                    time.sleep(0.02)
                    if urg:
                        conn.send(part, socket.MSG_OOB)
                    else:
                        conn.sendall(part)
                time.sleep(hold)
        except OSError:
            pass
        conn.close()


def urgent_once(host, port, hold, size, delay):
    """Read a stream with urgent data in it, from DELAY s after asking for
    it: None if it came whole, in order, in time and then ended, what went
    wrong otherwise."""
    want = b''.join(part for part, _ in urgent_parts(size))
    s = socket.socket(family(host), socket.SOCK_STREAM)
    # The urgent bytes stay in the stream, where we compare them
    s.setsockopt(socket.SOL_SOCKET, socket.SO_OOBINLINE, 1)
    s.settimeout(hold + delay + 5)
    got = bytearray()
    try:
        s.connect((host, port))
        s.sendall(b'x')
        start = time.monotonic()
        # Meanwhile, buffers on the way fill up, and splice()'s pipe
        time.sleep(delay)
        while len(got) < len(want):
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
        took = time.monotonic() - start
        if len(got) == len(want):
            got += s.recv(65536)
    except OSError as e:
        return 'ERROR after %d bytes: %s' % (len(got), e)
    finally:
        s.close()
    n = min(len(got), len(want))
    if got[:n] != want[:n]:
        first = next(i for i in range(n) if got[i] != want[i])
        return 'DIFFERENT from byte %d' % first
    if len(got) < len(want):
        return 'EOF after %d of %d bytes' % (len(got), len(want))
    if len(got) > len(want):
        return 'MORE than %d bytes' % len(want)
    if took > delay + 2:
        return 'LATE: %d bytes after %.1f s' % (len(got), took)
    return None


def urgent(host, port, hold, n, size, delay):
    """N streams with urgent data, one after another: print OK N, or the
    first that went wrong."""
    for i in range(n):
        err = urgent_once(host, port, hold, size, delay)
        if err:
            print('%s (connection %d)' % (err, i))
            return
    print('OK %d' % n)


def urgsink(port):
    """Read what urgsend sends on each connection, answer if it was all."""
    want = b''.join(part for part, _ in urgent_parts(1000))
    srv = listener(port)
    # Accepted sockets take it from the listener
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_OOBINLINE, 1)
    while True:
        conn, _ = srv.accept()
        conn.settimeout(2)
        got = bytearray()
        try:
            while len(got) < len(want):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                got += chunk
        except OSError:
            pass
        try:
            conn.sendall(b'OK' if got == want else b'BAD %d' % len(got))
        except OSError:
            pass
        conn.close()


def urgsend(host, port, n):
    """Send a stream with urgent data in it right after connecting, while
    whatever is in between may still be connecting on the other side; then
    wait for urgsink to say it had all of it."""
    for i in range(n):
        s = connect(host, port, timeout=5)
        try:
            for part, urg in urgent_parts(1000):
                if urg:
                    s.send(part, socket.MSG_OOB)
                else:
                    s.sendall(part)
            answer = s.recv(64).decode(errors='replace')
        except OSError as e:
            answer = 'ERROR: %s' % e
        finally:
            s.close()
        if answer != 'OK':
            print('%s (connection %d)' % (answer, i))
            return
    print('OK %d' % n)


def main():
    """Dispatch on the first argument."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == 'echoserver':
        echoserver(int(args[0]))
    elif cmd == 'rstserver':
        rstserver(int(args[0]))
    elif cmd == 'halfclose':
        halfclose(args[0], int(args[1]), int(args[2]))
    elif cmd == 'reset':
        reset(args[0], int(args[1]))
    elif cmd == 'refused':
        refused(args[0], int(args[1]))
    elif cmd == 'many':
        many(args[0], int(args[1]), int(args[2]), int(args[3]))
    elif cmd == 'limits':
        limits(args[0], int(args[1]), int(args[2]))
    elif cmd == 'synflood':
        synflood(args[0], args[1], args[2], int(args[3]))
    elif cmd == 'pausesend':
        pausesend(int(args[0]), int(args[1]), int(args[2]))
    elif cmd == 'count':
        count(args[0], int(args[1]))
    elif cmd == 'keepalive':
        keepalive(args[0], int(args[1]), int(args[2]))
    elif cmd == 'fdlimit':
        fdlimit(args[0], int(args[1]), int(args[2]), int(args[3]))
    elif cmd == 'replyclose':
        replyclose(int(args[0]), int(args[1]))
    elif cmd == 'crr':
        crr(args[0], int(args[1]), int(args[2]), int(args[3]))
    elif cmd == 'urgserver':
        urgserver(int(args[0]), float(args[1]),
                  int(args[2]) if len(args) > 2 else 1000)
    elif cmd == 'urgent':
        urgent(args[0], int(args[1]), float(args[2]), int(args[3]),
               int(args[4]) if len(args) > 4 else 1000,
               float(args[5]) if len(args) > 5 else 0)
    elif cmd == 'urgsink':
        urgsink(int(args[0]))
    elif cmd == 'urgsend':
        urgsend(args[0], int(args[1]), int(args[2]))
    elif cmd == 'fetch':
        fetch(args[0], int(args[1]), args[2],
              float(args[3]) if len(args) > 3 else 0)
    elif cmd == 'nodelay':
        nodelay(int(args[0]), int(args[1]))
    elif cmd == 'sink':
        sink(int(args[0]), args[1],
             float(args[2]) if len(args) > 2 else 0,
             int(args[3]) if len(args) > 3 else 0,
             int(args[4]) if len(args) > 4 else 0)
    else:
        sys.exit('unknown command ' + cmd)


if __name__ == '__main__':
    main()
