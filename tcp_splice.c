// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * tcp_splice.c - Loopback TCP connections spliced between namespaces (pasta)
 *
 * A connection from the host's loopback to a forwarded port (-t) needs no
 * translation: we connect a socket to the same port on the namespace's
 * loopback, and move data between the two sockets. The same goes the other
 * way, for -T ports bound on the namespace's loopback. Data never reaches
 * user space: for each direction, splice(2) moves it from one socket into a
 * pipe and from the pipe into the other socket, by page references.
 *
 * Both sockets are edge-triggered for input and output: any event on either
 * moves whatever can move, both ways. End of data on one side becomes a
 * shutdown of the other, once the pipe is empty; an error or a reset on one
 * side resets the other.
 *
 * splice() stops at the mark of urgent data and reads nothing more from that
 * socket until something else read past the mark: it fails with EAGAIN, or
 * returns 0 as at the end of the data if the peer closed meanwhile. Urgent
 * bytes are kept inline (SO_OOBINLINE), and a plain recv() into the pipe goes
 * past the mark (tcp_splice_urgent()): whenever splice() returns 0, we look
 * if that's really the end before passing on a FIN.
 */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "fdlimit.h"
#include "flow.h"
#include "flow_table.h"
#include "log.h"
#include "passt.h"
#include "pasta.h"
#include "tcp.h"
#include "tcp_splice.h"
#include "util.h"

/* #syscalls:pasta splice pipe2 fcntl shutdown getsockopt setsockopt */
/* #syscalls:pasta recvfrom write */
/* #syscalls:pasta socket connect close epoll_ctl */

#define SPLICE_PIPE_SIZE	(1024 * 1024)
#define SPLICE_CONNECT_MS	(10 * MS_PER_SEC)
#define SPLICE_FLAGS		(SPLICE_F_MOVE | SPLICE_F_NONBLOCK)
#define SPLICE_POOL		16
#define SPLICE_EPOLL_IN		(EPOLLIN | EPOLLPRI | EPOLLRDHUP | EPOLLET)
#define SPLICE_URG_BUF		4096	/* An empty pipe always takes this */

/* Sockets opened ahead in the namespace, IPv4 and IPv6: a socket belongs
 * to the namespace it was created in, and can connect from any other, so
 * one trip into the namespace serves as many connections as this holds */
static int ns_pool[2][SPLICE_POOL];
static int ns_pool_n[2];

/* Empty pipes of closed connections, ready for new ones */
static int pipe_pool[SPLICE_POOL * 2][2];
static int pipe_pool_n;

/**
 * sconn_idx() - Flow index of a spliced connection
 * @conn:	Connection
 *
 * Return: index
 */
static inline unsigned sconn_idx(const struct tcp_splice_conn *conn)
{
	return flow_idx((const union flow *)conn);
}

/**
 * tcp_splice_epoll() - Watch both sockets of a connection
 * @c:		Execution context
 * @conn:	Connection
 *
 * Return: 0 on success, -1 on failure
 */
static int tcp_splice_epoll(const struct ctx *c, struct tcp_splice_conn *conn)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_TCP_SPLICE,
				.flow = sconn_idx(conn) };
	int side;

	/* Output of the connecting side tells us when it's connected */
	conn->events |= SPLICE_OUT_WAIT(1);
	for (side = 0; side < 2; side++) {
		ref.flowside = side;
		if (epoll_add(c, conn->s[side], SPLICE_EPOLL_IN |
			      (side ? EPOLLOUT : 0), ref))
			return -1;
	}

	return 0;
}

/**
 * tcp_splice_out_wait() - Watch, or stop watching, a socket for output room
 * @c:		Execution context
 * @conn:	Connection
 * @side:	Side of the socket
 * @want:	Watch for EPOLLOUT: the pipe towards this side isn't empty
 *
 * Otherwise every ACK that frees room in the socket's buffer would wake
 * us up for nothing.
 */
static void tcp_splice_out_wait(const struct ctx *c,
				struct tcp_splice_conn *conn, int side,
				bool want)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_TCP_SPLICE,
				.flow = sconn_idx(conn), .flowside = side,
				.fd = conn->s[side] };
	struct epoll_event ev = { .data.u64 = ref.u64,
				  .events = SPLICE_EPOLL_IN };

	if (!!(conn->events & SPLICE_OUT_WAIT(side)) == want)
		return;

	if (want)
		ev.events |= EPOLLOUT;
	if (!epoll_ctl(c->epollfd, EPOLL_CTL_MOD, conn->s[side], &ev))
		conn->events ^= SPLICE_OUT_WAIT(side);
}

#define SPLICE_RESET_BOTH	3	/* Reset both sides, as a bitmap */

/**
 * tcp_splice_close() - Close the sockets and pipes of a connection
 * @c:		Execution context
 * @conn:	Connection
 * @reset:	Sides to reset instead of closing cleanly, bit per side
 */
static void tcp_splice_close(struct ctx *c, struct tcp_splice_conn *conn,
			     unsigned reset)
{
	int side;

	for (side = 0; side < 2; side++) {
		/* Closing the only reference takes it out of epoll */
		if (conn->s[side] >= 0 && (reset & (1U << side)))
			sock_close_reset(conn->s[side]);
		else if (conn->s[side] >= 0)
			close(conn->s[side]);
		if (conn->pipe[side][0] < 0)
			continue;
		if (!conn->in_pipe[side] &&
		    pipe_pool_n < (int)ARRAY_SIZE(pipe_pool)) {
			pipe_pool[pipe_pool_n][0] = conn->pipe[side][0];
			pipe_pool[pipe_pool_n++][1] = conn->pipe[side][1];
		} else {
			close(conn->pipe[side][0]);
			close(conn->pipe[side][1]);
		}
	}
	(void)c;

	debug("TCP splice %u: closed%s, %llu and %llu bytes", sconn_idx(conn),
	      reset ? " (reset)" : "", (unsigned long long)conn->f.bytes[0],
	      (unsigned long long)conn->f.bytes[1]);
	flow_free((union flow *)conn);
}

/**
 * tcp_splice_pipes() - Open the two pipes of a connection, as large as we may
 * @conn:	Connection
 *
 * Empty pipes left by closed connections are taken first.
 *
 * Return: 0 on success, -1 on failure
 */
static int tcp_splice_pipes(struct tcp_splice_conn *conn)
{
	int side;

	for (side = 0; side < 2; side++) {
		if (pipe_pool_n) {
			pipe_pool_n--;
			conn->pipe[side][0] = pipe_pool[pipe_pool_n][0];
			conn->pipe[side][1] = pipe_pool[pipe_pool_n][1];
			continue;
		}
		if (pipe2(conn->pipe[side], O_NONBLOCK | O_CLOEXEC)) {
			conn->pipe[side][0] = conn->pipe[side][1] = -1;
			return -1;
		}
		/* Fails over the user's pipe memory limit: keep the default */
		fcntl(conn->pipe[side][0], F_SETPIPE_SZ, SPLICE_PIPE_SIZE);
	}

	return 0;
}

/**
 * struct splice_connect_arg - A socket to connect inside the namespace
 * @sa:		Address to connect to
 * @sl:		Its length
 * @s:		Socket, set
 */
struct splice_connect_arg {
	struct sockaddr_storage sa;
	socklen_t sl;
	int s;
};

/**
 * tcp_splice_unpaced() - Take a loopback socket off a pacing congestion control
 * @s:		Socket, connected or about to be, to a loopback address
 *
 * On loopback there's no bottleneck to probe and nothing is ever lost: the
 * receive window alone bounds a sender. A congestion control that paces its
 * sender (BBR, a common default) only costs timers and interrupt toggling
 * there, and a spliced connection pays it on both legs. Reno, always built in
 * and open to unprivileged users, doesn't pace. Failure only costs speed.
 */
static void tcp_splice_unpaced(int s)
{
	static const char cc[] = "reno";

	setsockopt(s, IPPROTO_TCP, TCP_CONGESTION, cc, sizeof(cc) - 1);
}

/**
 * tcp_splice_new_sock() - Open a non-blocking TCP socket for a splice
 * @af:		AF_INET or AF_INET6
 *
 * Return: socket, or negative error code
 */
static int tcp_splice_new_sock(sa_family_t af)
{
	int s = sock_tcp_new(af);

	if (s < 0)
		return -errno;

	tcp_splice_unpaced(s);
	return s;
}

/**
 * tcp_splice_pool_fill() - Fill the pools of sockets, in the namespace
 * @arg:	Unused
 *
 * Return: 0, or negative error code if no socket could be opened at all
 */
static int tcp_splice_pool_fill(void *arg)
{
	int v6, s = 0;

	(void)arg;
	for (v6 = 0; v6 < 2; v6++) {
		while (ns_pool_n[v6] < SPLICE_POOL) {
			s = tcp_splice_new_sock(v6 ? AF_INET6 : AF_INET);
			if (s < 0)
				break;
			ns_pool[v6][ns_pool_n[v6]++] = s;
		}
	}

	return ns_pool_n[0] || ns_pool_n[1] ? 0 : s;
}

/**
 * tcp_splice_pool_get() - Take a socket of the namespace from the pool
 * @c:		Execution context
 * @af:		AF_INET or AF_INET6
 *
 * Return: socket, or negative error code
 */
static int tcp_splice_pool_get(const struct ctx *c, sa_family_t af)
{
	int v6 = af == AF_INET6, rc;

	if (!ns_pool_n[v6]) {
		rc = ns_call(c, tcp_splice_pool_fill, NULL);
		if (!ns_pool_n[v6])
			return rc < 0 ? rc : -EMFILE;
	}

	return ns_pool[v6][--ns_pool_n[v6]];
}

/**
 * tcp_splice_connect() - Start connecting a socket to the other side
 * @c:		Execution context
 * @a:		Address to connect to, the socket is set here
 * @to_ns:	Connect to the namespace, from a socket of the pool
 *
 * Return: 0 on success, negative error code on failure
 */
static int tcp_splice_connect(const struct ctx *c,
			      struct splice_connect_arg *a, bool to_ns)
{
	int ret;

	a->s = to_ns ? tcp_splice_pool_get(c, a->sa.ss_family) :
		       tcp_splice_new_sock(a->sa.ss_family);
	if (a->s < 0)
		return a->s;

	if (!connect(a->s, (struct sockaddr *)&a->sa, a->sl) ||
	    errno == EINPROGRESS)
		return 0;

	ret = -errno;
	close(a->s);
	a->s = -1;
	return ret;
}

/**
 * tcp_splice_conn_from_sock() - Splice an accepted loopback connection
 * @c:		Execution context
 * @ref:	epoll reference of the listening socket
 * @s:		Accepted socket
 * @sa:		Peer address
 * @now:	Current time
 *
 * Return: true if the connection was taken over (spliced, or closed on
 *	   failure), false if it's for the tap path
 */
bool tcp_splice_conn_from_sock(struct ctx *c, union epoll_ref ref, int s,
			       const struct sockaddr_storage *sa,
			       const struct timespec *now)
{
	const struct fwd_ports *fwd = ref.listen.pif == PIF_SPLICE ?
				      &c->run->fwd[FWD_TCP_OUT] : &c->run->fwd[FWD_TCP_IN];
	struct splice_connect_arg a = { .s = -1 };
	bool v4, to_ns = ref.listen.pif == PIF_HOST;
	struct tcp_splice_conn *conn;
	union inany_addr peer;
	in_port_t pport, dport;
	union flow *flow;
	int rc;

	inany_from_sockaddr(sa, &peer, &pport);

	/* From the host, only loopback connections are spliced, unless
	 * there's no tap device to take the others */
	if (to_ns && !c->splice_only &&
	    (c->no_splice || !inany_is_loopback(&peer)))
		return false;

	v4 = inany_v4(&peer) != NULL;
	dport = ref.listen.rule < fwd->nr_rules ?
		fwd_rule_target(&fwd->rules[ref.listen.rule],
				ref.listen.port) : ref.listen.port;

	flow = flow_alloc();
	if (!flow)
		goto fail;

	conn = &flow->tcp_splice;
	flow_start(flow, FLOW_TCP_SPLICE, IPPROTO_TCP, now);
	conn->f.pif[INISIDE] = ref.listen.pif;
	conn->f.pif[TGTSIDE] = to_ns ? PIF_SPLICE : PIF_HOST;
	conn->f.side[INISIDE].eaddr = peer;
	conn->f.side[INISIDE].eport = pport;
	conn->f.side[INISIDE].oport = ref.listen.port;
	conn->f.side[TGTSIDE].eport = dport;
	conn->s[0] = s;
	conn->s[1] = -1;
	conn->pipe[0][0] = conn->pipe[0][1] = -1;
	conn->pipe[1][0] = conn->pipe[1][1] = -1;
	conn->events = SPLICE_CONNECT;
	conn->timer_ms = timespec_ms(now) + SPLICE_CONNECT_MS;
	flow_timer_at(conn->timer_ms);

	/* The same family's loopback on the other side */
	if (v4)
		inany_from_v4(&conn->f.side[TGTSIDE].eaddr,
			      (struct in_addr){ htonl(INADDR_LOOPBACK) });
	else
		conn->f.side[TGTSIDE].eaddr.a6 = in6addr_loopback;
	a.sl = inany_to_sockaddr(&a.sa, &conn->f.side[TGTSIDE].eaddr, dport, 0);

	rc = tcp_splice_connect(c, &a, to_ns);
	if (rc) {
		if (fd_is_short(-rc))
			fd_short("connections", 1);
		debug("TCP splice %u: can't connect to port %u: %s",
		      sconn_idx(conn), dport, strerror(-rc));
		tcp_splice_close(c, conn, SPLICE_RESET_BOTH);
		return true;
	}
	conn->s[1] = a.s;

	if (inany_is_loopback(&peer))
		tcp_splice_unpaced(s);
	if (tcp_splice_pipes(conn)) {
		if (fd_is_short(errno))
			fd_short("connections", 1);
		tcp_splice_close(c, conn, SPLICE_RESET_BOTH);
		return true;
	}
	if (tcp_splice_epoll(c, conn)) {
		tcp_splice_close(c, conn, SPLICE_RESET_BOTH);
		return true;
	}

	fd_short_over();
	debug("TCP splice %u: port %u to port %u %s", sconn_idx(conn),
	      ref.listen.port, dport, to_ns ? "in the namespace" :
					       "on the host");
	return true;

fail:
	sock_close_reset(s);
	return true;
}

/**
 * tcp_splice_urgent() - Read past an urgent mark, if that's what stops splice()
 * @conn:	Connection
 * @from:	Side splice() read nothing from
 *
 * splice() from a TCP socket stops at the mark of urgent data, and reads
 * nothing more until something else has read past it: it then fails with
 * EAGAIN, or returns 0 if the peer also closed, which isn't the end of the
 * data. A recv() goes on past the mark (the urgent byte in the stream, see
 * sock_urg_inline()); what it reads goes into the pipe, after what splice()
 * put there. Called when splice() returned 0, or EAGAIN on a side that had
 * urgent data.
 *
 * Return: bytes read into the pipe, 0 at the real end of the data, -1 with
 *	   errno set on failure (EAGAIN: nothing to read now, or the pipe has
 *	   to empty first)
 */
static ssize_t tcp_splice_urgent(struct tcp_splice_conn *conn, int from)
{
	char buf[SPLICE_URG_BUF];
	ssize_t n;

	if (conn->in_pipe[from]) {
		/* Room in the pipe unknown: only see if there's data */
		n = recv(conn->s[from], buf, 1, MSG_PEEK | MSG_DONTWAIT);
		if (n > 0) {
			errno = EAGAIN;
			return -1;
		}
		return n;
	}

	n = recv(conn->s[from], buf, sizeof(buf), MSG_DONTWAIT);
	if (n <= 0)
		return n;

	if (write(conn->pipe[from][1], buf, n) != n) {
		/* Read from the socket: it can't go back there */
		debug("TCP splice %u: urgent data doesn't fit the pipe",
		      sconn_idx(conn));
		errno = EIO;
		return -1;
	}

	debug("TCP splice %u: %zi bytes past an urgent mark", sconn_idx(conn),
	      n);
	return n;
}

/**
 * tcp_splice_move() - Move what can be moved from one side to the other
 * @c:		Execution context
 * @conn:	Connection
 * @from:	Side data is read from
 *
 * What's left in the pipe waits for output room on the other side.
 *
 * Return: -1 on an error (reset the connection), 1 if anything moved,
 *	   0 otherwise
 */
static int tcp_splice_move(const struct ctx *c, struct tcp_splice_conn *conn,
			   int from)
{
	int to = !from, moved = 0;
	bool full = false;

	for (;;) {
		ssize_t n = 0, m = 0;

		if (!(conn->events & SPLICE_FIN_FROM(from))) {
			n = splice(conn->s[from], NULL, conn->pipe[from][1],
				   NULL, SPLICE_PIPE_SIZE, SPLICE_FLAGS);
			if (!n || (n < 0 && errno == EAGAIN &&
				   (conn->events & SPLICE_URG_FROM(from))))
				n = tcp_splice_urgent(conn, from);
			if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
				return -1;
			if (!n)
				conn->events |= SPLICE_FIN_FROM(from);
			if (n > 0)
				conn->in_pipe[from] += n;
		}

		/* Once the other side is full, only fill the pipe up */
		if (conn->in_pipe[from] && !full) {
			m = splice(conn->pipe[from][0], NULL, conn->s[to], NULL,
				   conn->in_pipe[from], SPLICE_FLAGS);
			if (m < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
				return -1;
			/* A short write leaves it full as well */
			full = m < (ssize_t)conn->in_pipe[from];
			if (m > 0) {
				conn->in_pipe[from] -= m;
				conn->f.bytes[from] += m;
			}
		}

		if ((conn->events & SPLICE_FIN_FROM(from)) &&
		    !conn->in_pipe[from] &&
		    !(conn->events & SPLICE_FIN_SENT(to))) {
			sock_shut_wr(conn->s[to]);
			conn->events |= SPLICE_FIN_SENT(to);
		}

		if (n <= 0 && m <= 0)
			break;
		moved = 1;
	}

	tcp_splice_out_wait(c, conn, to, conn->in_pipe[from]);
	return moved;
}

/**
 * tcp_splice_established() - The connecting side is connected, or failed
 * @c:		Execution context
 * @conn:	Connection
 *
 * Return: 0 if connected, -1 otherwise
 */
static int tcp_splice_established(const struct ctx *c,
				  struct tcp_splice_conn *conn)
{
	socklen_t sl = sizeof(int);
	int err = 0;

	if (getsockopt(conn->s[1], SOL_SOCKET, SO_ERROR, &err, &sl) || err)
		return -1;

	conn->events = (conn->events & (SPLICE_OUT_WAIT(1) | SPLICE_URG_FROM(0) |
					SPLICE_URG_FROM(1))) |
		       SPLICE_ESTABLISHED;
	conn->timer_ms = 0;
	/* Whatever came early from the other side waits: move both ways */
	if (tcp_splice_move(c, conn, 0) < 0 || tcp_splice_move(c, conn, 1) < 0)
		return -1;

	return 0;
}

/**
 * tcp_splice_moves() - Move data as the events on one socket allow
 * @c:		Execution context
 * @conn:	Connection
 * @side:	Side of the socket
 * @events:	epoll events
 *
 * Return: 0 on success, -1 on an error (reset the connection)
 */
static int tcp_splice_moves(const struct ctx *c, struct tcp_splice_conn *conn,
			    int side, uint32_t events)
{
	if ((events & (EPOLLIN | EPOLLPRI | EPOLLRDHUP | EPOLLHUP)) &&
	    tcp_splice_move(c, conn, side) < 0)
		return -1;
	if ((events & EPOLLOUT) && tcp_splice_move(c, conn, !side) < 0)
		return -1;

	return 0;
}

/**
 * tcp_splice_sock_handler() - Events on a spliced socket
 * @c:		Execution context
 * @ref:	epoll reference
 * @events:	epoll events
 * @now:	Current time
 */
void tcp_splice_sock_handler(struct ctx *c, union epoll_ref ref,
			     uint32_t events, const struct timespec *now)
{
	struct tcp_splice_conn *conn = &flow_at(ref.flow)->tcp_splice;

	(void)now;

	/* Closed, or closed and reused, earlier in the same batch of events */
	if (conn->f.type != FLOW_TCP_SPLICE || ref.flowside > 1 ||
	    conn->s[ref.flowside] != ref.fd)
		return;

	if (events & EPOLLERR) {
		tcp_splice_close(c, conn, SPLICE_RESET_BOTH);
		return;
	}

	/* For good, and even while connecting: the mark may be reached only
	 * later, and the event doesn't come again (tcp_splice_urgent())
	 */
	if (events & EPOLLPRI)
		conn->events |= SPLICE_URG_FROM(ref.flowside);

	if (conn->events & SPLICE_CONNECT) {
		if (ref.flowside != 1 || !(events & (EPOLLOUT | EPOLLHUP)))
			return;
		if (tcp_splice_established(c, conn)) {
			tcp_splice_close(c, conn, SPLICE_RESET_BOTH);
			return;
		}
	} else if (tcp_splice_moves(c, conn, ref.flowside, events)) {
		tcp_splice_close(c, conn, SPLICE_RESET_BOTH);
		return;
	}

	if ((conn->events & SPLICE_FIN_SENT(0)) &&
	    (conn->events & SPLICE_FIN_SENT(1)))
		tcp_splice_close(c, conn, 0);
}

/**
 * tcp_splice_flow_timer() - Give up on connections that don't connect
 * @c:		Execution context
 * @conn:	Connection
 * @now:	Current time
 */
void tcp_splice_flow_timer(struct ctx *c, struct tcp_splice_conn *conn,
			   const struct timespec *now)
{
	if (conn->timer_ms && timespec_ms(now) >= conn->timer_ms) {
		debug("TCP splice %u: connect timed out", sconn_idx(conn));
		tcp_splice_close(c, conn, SPLICE_RESET_BOTH);
	}
}

/**
 * tcp_splice_host_side() - Side of a spliced connection on the host
 * @conn:	Connection
 *
 * Return: 0 or 1
 */
static int tcp_splice_host_side(const struct tcp_splice_conn *conn)
{
	return conn->f.pif[0] == PIF_HOST ? 0 : 1;
}

/**
 * tcp_splice_flow_pending() - Tell if the namespace has yet to finish sending
 * @conn:	Connection
 *
 * Return: true until everything from the namespace's side went to the
 *	   host's, and that one was shut down
 */
bool tcp_splice_flow_pending(const struct tcp_splice_conn *conn)
{
	return !(conn->events & SPLICE_ESTABLISHED) ||
	       !(conn->events & SPLICE_FIN_SENT(tcp_splice_host_side(conn)));
}

/**
 * tcp_splice_flow_end() - End a connection for good, as we exit
 * @c:		Execution context
 * @conn:	Connection
 *
 * If the namespace's side finished, the host's socket holds all of it and a
 * FIN: close it as usual, once what it received, that nobody will read, is
 * dropped (or the close would be a reset). Otherwise, reset it. The
 * namespace's socket is reset unless both directions are done.
 */
void tcp_splice_flow_end(struct ctx *c, struct tcp_splice_conn *conn)
{
	int host = tcp_splice_host_side(conn);
	unsigned reset = 1U << !host;

	if (tcp_splice_flow_pending(conn)) {
		debug("TCP splice %u: the namespace's side didn't finish",
		      sconn_idx(conn));
		tcp_splice_close(c, conn, SPLICE_RESET_BOTH);
		return;
	}

	if (conn->events & SPLICE_FIN_SENT(!host))
		reset = 0;
	sock_discard(conn->s[host]);
	tcp_splice_close(c, conn, reset);
}
