// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * ctl.c - The control socket (-c): forwarding changes at run time, and a
 *	   view of what a running instance does
 *
 * The socket is bound before the sandbox is up, with mode 0600, and served
 * from the main loop, one client at a time: while one is connected, the
 * listening socket isn't watched, and others wait in its backlog. A client
 * must be of the user who started us (SO_PEERCRED), see ctl_peer_ok(). Requests and replies are in
 * ctl_proto.h; a request that doesn't parse closes the connection, and
 * changes nothing. A client idle for CTL_IDLE_MS is dropped.
 *
 * Replies are written from a static buffer, a part at a time, as the socket
 * takes them: a part is made only once the previous one is sent, so a long
 * list of flows needs no more memory than one part.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "ctl.h"
#include "ctl_proto.h"
#include "flow.h"
#include "fwd.h"
#include "log.h"
#include "passt.h"
#include "stats.h"
#include "util.h"

/* #syscalls accept4 getsockopt recvfrom sendto sendmsg */

#define CTL_BACKLOG		8
#define CTL_IDLE_MS		10000

/**
 * enum ctl_gen - What the reply being sent is made of
 * @CTL_GEN_NONE:	No reply pending
 * @CTL_GEN_TEXT:	One message, already in the output buffer
 * @CTL_GEN_SHOW:	Forwarding tables, one part per table
 * @CTL_GEN_FLOWS:	Flows, as many as fit in a part
 */
enum ctl_gen {
	CTL_GEN_NONE,
	CTL_GEN_TEXT,
	CTL_GEN_SHOW,
	CTL_GEN_FLOWS,
};

/**
 * struct ctl_conn - The connected client
 * @fd:		Socket, -1 if none
 * @in:		Bytes of the request being received
 * @in_len:	Bytes in @in
 * @out:	Part of the reply being sent, header first
 * @out_len:	Bytes in @out
 * @out_off:	Bytes of @out sent
 * @gen:	What the rest of the reply is made of, enum ctl_gen
 * @cursor:	Where the next part starts
 * @last:	Whether the part in @out is the last one
 * @close:	Close once the reply is sent
 * @seen:	Time of the last activity
 */
struct ctl_conn {
	int fd;
	uint8_t in[sizeof(struct ctl_hdr) + CTL_PAYLOAD_MAX];
	size_t in_len;
	char out[sizeof(struct ctl_hdr) + CTL_PAYLOAD_MAX];
	size_t out_len;
	size_t out_off;
	enum ctl_gen gen;
	unsigned cursor;
	bool last;
	bool close;
	struct timespec seen;
};

static int ctl_listen_fd = -1;
static struct ctl_conn ctl = { .fd = -1 };

/* One end of a socket pair made at start: its peer credentials are ours as
 * they were then, seen from the user namespace we're in when we look */
static int ctl_self_fd = -1;

/* Text of the changes of a request, terminated, for struct fwd_op */
static char ctl_args[CTL_PAYLOAD_MAX + CTL_OPS_MAX];

/**
 * ctl_init() - Bind the control socket, if one was asked for
 * @c:		Execution context
 *
 * A socket file left behind by an instance that's gone is replaced; one
 * that answers is in use, and we don't start.
 */
void ctl_init(const struct ctx *c)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_CTL_LISTEN };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s, ret, pair[2];
	mode_t mask;

	if (!*c->ctl_path)
		return;

	if (str_copy(sa.sun_path, sizeof(sa.sun_path), c->ctl_path))
		die("Control socket path too long: %s", c->ctl_path);

	s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		die_perror("Can't create control socket");

	mask = umask(0177);
	ret = bind(s, (struct sockaddr *)&sa, sizeof(sa));
	if (ret && errno == EADDRINUSE) {
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct stat st;

		/* Only a socket nobody answers on is ours to replace */
		if (probe >= 0 && !lstat(c->ctl_path, &st) &&
		    S_ISSOCK(st.st_mode) &&
		    connect(probe, (struct sockaddr *)&sa, sizeof(sa)) &&
		    errno == ECONNREFUSED) {
			unlink(c->ctl_path);
			ret = bind(s, (struct sockaddr *)&sa, sizeof(sa));
		} else {
			errno = EADDRINUSE;
		}
		if (probe >= 0)
			close(probe);
	}
	umask(mask);

	if (ret)
		die_perror("Can't bind control socket %s", c->ctl_path);
	if (listen(s, CTL_BACKLOG))
		die_perror("Can't listen on control socket %s", c->ctl_path);
	if (epoll_add(c, s, EPOLLIN, ref))
		die_perror("Can't watch control socket");

	ctl_listen_fd = s;
	info("Control socket: %s", c->ctl_path);

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair))
		die_perror("Can't create socket pair for credentials");
	close(pair[1]);
	ctl_self_fd = pair[0];
}

/**
 * ctl_watch() - Set what we wait for: a client, or the client's socket
 * @c:		Execution context
 */
static void ctl_watch(const struct ctx *c)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_CTL_LISTEN };
	struct epoll_event ev = { 0 };

	ref.fd = ctl_listen_fd;
	ev.events = ctl.fd < 0 ? EPOLLIN : 0;
	ev.data.u64 = ref.u64;
	if (epoll_ctl(c->epollfd, EPOLL_CTL_MOD, ctl_listen_fd, &ev))
		warn_perror("Can't update control socket events");

	if (ctl.fd < 0)
		return;

	ref.type = EPOLL_TYPE_CTL;
	ref.fd = ctl.fd;
	ev.events = ctl.gen == CTL_GEN_NONE ? EPOLLIN | EPOLLRDHUP : EPOLLOUT;
	ev.data.u64 = ref.u64;
	if (epoll_ctl(c->epollfd, EPOLL_CTL_MOD, ctl.fd, &ev))
		warn_perror("Can't update control connection events");
}

/**
 * ctl_close() - Drop the client, wait for the next one
 * @c:		Execution context
 */
static void ctl_close(const struct ctx *c)
{
	if (ctl.fd < 0)
		return;

	epoll_del(c, ctl.fd);
	close(ctl.fd);
	ctl.fd = -1;
	ctl.gen = CTL_GEN_NONE;
	ctl.in_len = ctl.out_len = ctl.out_off = 0;
	ctl_watch(c);
}

/**
 * ctl_part() - Put a header and a payload length on the part in the buffer
 * @type:	enum ctl_type
 * @len:	Payload bytes already in place after the header
 */
static void ctl_part(uint16_t type, size_t len)
{
	struct ctl_hdr h = {
		.magic = htonl(CTL_MAGIC), .version = htons(CTL_VERSION),
		.type = htons(type), .len = htonl(len),
	};

	memcpy(ctl.out, &h, sizeof(h));
	ctl.out_len = sizeof(h) + len;
	ctl.out_off = 0;
}

/**
 * ctl_reply_text() - Reply with one message
 * @type:	CTL_REP_OK or CTL_REP_ERROR
 * @fmt:	printf() format of the text
 */
__attribute__((format(printf, 2, 3)))
static void ctl_reply_text(uint16_t type, const char *fmt, ...)
{
	char *p = ctl.out + sizeof(struct ctl_hdr);
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(p, CTL_PAYLOAD_MAX, fmt, ap);
	va_end(ap);

	ctl_part(type, MIN(MAX(n, 0), CTL_PAYLOAD_MAX - 1));
	ctl.gen = CTL_GEN_TEXT;
	ctl.last = true;
}

/**
 * ctl_next_part() - Make the next part of a reply made in parts
 * @c:		Execution context
 */
static void ctl_next_part(const struct ctx *c)
{
	char *p = ctl.out + sizeof(struct ctl_hdr);
	size_t len = 0;

	switch (ctl.gen) {
	case CTL_GEN_SHOW:
		len = fwd_show_text(c, p, CTL_PAYLOAD_MAX, &ctl.cursor);
		ctl.last = ctl.cursor >= FWD_TABLES;
		break;
	case CTL_GEN_FLOWS:
		len = flow_list_text(p, CTL_PAYLOAD_MAX, &ctl.cursor, &c->run->now);
		ctl.last = ctl.cursor >= flow_span();
		break;
	default:
		ctl.last = true;
		break;
	}

	ctl_part(ctl.last ? CTL_REP_OK : CTL_REP_MORE, len);
}

/**
 * ctl_change() - Apply a CTL_REQ_CHANGE request
 * @c:		Execution context
 * @p:		Payload
 * @len:	Its length
 *
 * Return: 0 if it parsed (the reply says how it went), -1 if malformed
 */
static int ctl_change(struct ctx *c, const uint8_t *p, size_t len)
{
	static struct fwd_op ops[CTL_OPS_MAX];
	size_t off = 0, arg_off = 0;
	char err[512];
	unsigned n = 0;

	while (off < len) {
		struct ctl_op_hdr oh;
		size_t tlen;

		if (n >= CTL_OPS_MAX || len - off < sizeof(oh))
			return -1;
		memcpy(&oh, p + off, sizeof(oh));
		off += sizeof(oh);
		tlen = ntohs(oh.len);
		if (tlen > len - off || memchr(p + off, '\0', tlen))
			return -1;
		if (oh.type < FWD_OP_ADD || oh.type > FWD_OP_CLEAR)
			return -1;
		if (oh.type != FWD_OP_CLEAR && oh.opt != 't' &&
		    oh.opt != 'u' && oh.opt != 'T' && oh.opt != 'U')
			return -1;

		memcpy(ctl_args + arg_off, p + off, tlen);
		ctl_args[arg_off + tlen] = '\0';
		ops[n].type = oh.type;
		ops[n].opt = oh.opt;
		ops[n].arg = ctl_args + arg_off;
		n++;
		arg_off += tlen + 1;
		off += tlen;
	}

	if (!n)
		return -1;

	if (fwd_change(c, ops, n, err, sizeof(err))) {
		info("Control socket: change refused: %s", err);
		ctl_reply_text(CTL_REP_ERROR, "%s", err);
	} else {
		ctl_reply_text(CTL_REP_OK, "%s", "");
	}

	return 0;
}

/**
 * ctl_request() - Act on a request received whole
 * @c:		Execution context
 * @h:		Header, in host order
 * @p:		Payload
 *
 * Return: 0 if a reply is set up, -1 to drop the connection
 */
static int ctl_request(struct ctx *c, const struct ctl_hdr *h,
		       const uint8_t *p)
{
	switch (h->type) {
	case CTL_REQ_SHOW:
		ctl.gen = CTL_GEN_SHOW;
		ctl.cursor = 0;
		ctl_next_part(c);
		return 0;
	case CTL_REQ_FLOWS:
		ctl.gen = CTL_GEN_FLOWS;
		ctl.cursor = 0;
		ctl_next_part(c);
		return 0;
	case CTL_REQ_STATS:
		ctl_part(CTL_REP_OK, stats_text(ctl.out +
						sizeof(struct ctl_hdr),
						CTL_PAYLOAD_MAX));
		ctl.gen = CTL_GEN_TEXT;
		ctl.last = true;
		return 0;
	case CTL_REQ_CHANGE:
		return ctl_change(c, p, h->len);
	default:
		return -1;
	}
}

/**
 * ctl_parse() - Handle the request in the input buffer, if it's whole
 * @c:		Execution context
 *
 * Return: 0 if more is needed or a reply is set up, -1 to drop the client
 */
static int ctl_parse(struct ctx *c)
{
	struct ctl_hdr h;
	size_t whole;

	if (ctl.in_len < sizeof(h))
		return 0;

	memcpy(&h, ctl.in, sizeof(h));
	h.magic = ntohl(h.magic);
	h.version = ntohs(h.version);
	h.type = ntohs(h.type);
	h.len = ntohl(h.len);

	if (h.magic != CTL_MAGIC || h.len > CTL_PAYLOAD_MAX) {
		debug("Control socket: malformed request, closing");
		return -1;
	}
	if (h.version != CTL_VERSION) {
		ctl_reply_text(CTL_REP_ERROR, "Protocol version %u not "
			       "supported, this is version %u", h.version,
			       CTL_VERSION);
		ctl.close = true;
		return 0;
	}

	whole = sizeof(h) + h.len;
	if (ctl.in_len < whole)
		return 0;

	if (ctl_request(c, &h, ctl.in + sizeof(h))) {
		debug("Control socket: malformed request, closing");
		return -1;
	}

	memmove(ctl.in, ctl.in + whole, ctl.in_len - whole);
	ctl.in_len -= whole;
	return 0;
}

/**
 * ctl_send() - Send what the socket takes of the reply
 * @c:		Execution context
 *
 * Return: 0 on success or if it has to wait, -1 to drop the client
 */
static int ctl_send(const struct ctx *c)
{
	while (ctl.gen != CTL_GEN_NONE) {
		ssize_t n = send(ctl.fd, ctl.out + ctl.out_off,
				 ctl.out_len - ctl.out_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;

		ctl.out_off += n;
		if (ctl.out_off < ctl.out_len)
			continue;

		if (ctl.last) {
			ctl.gen = CTL_GEN_NONE;
			ctl.out_len = ctl.out_off = 0;
			break;
		}
		ctl_next_part(c);
	}

	return ctl.close && ctl.gen == CTL_GEN_NONE ? -1 : 0;
}

/**
 * ctl_peer_ok() - Tell if a client is of the user who started us
 * @s:		Client socket
 *
 * The user we were started as, who owns the socket file, not the one we may
 * have switched to since. Both are seen from the user namespace we're in
 * now, through the same translation: if neither ID is mapped there, both
 * read as the overflow ID and compare equal, and the mode of the socket
 * file (0600) is what keeps other users out.
 *
 * Return: true if the client may be served
 */
static bool ctl_peer_ok(int s)
{
	struct ucred peer, self;
	socklen_t sl = sizeof(peer);

	if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &peer, &sl))
		return false;
	sl = sizeof(self);
	if (getsockopt(ctl_self_fd, SOL_SOCKET, SO_PEERCRED, &self, &sl))
		return false;

	if (peer.uid != self.uid)
		info("Control socket: refused a client of user ID %u, we're "
		     "%u", (unsigned)peer.uid, (unsigned)self.uid);
	return peer.uid == self.uid;
}

/**
 * ctl_listen_handler() - Accept a client on the control socket
 * @c:		Execution context
 * @now:	Current time
 */
void ctl_listen_handler(const struct ctx *c, const struct timespec *now)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_CTL };
	int s;

	if (ctl.fd >= 0)
		return;

	s = accept4(ctl_listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (s < 0)
		return;

	if (!ctl_peer_ok(s)) {
		static const char msg[] = "Permission denied: not our user";
		struct ctl_hdr h = {
			.magic = htonl(CTL_MAGIC),
			.version = htons(CTL_VERSION),
			.type = htons(CTL_REP_ERROR),
			.len = htonl(sizeof(msg) - 1),
		};
		struct iovec iov[2] = { { &h, sizeof(h) },
					{ (void *)msg, sizeof(msg) - 1 } };
		struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };

		if (sendmsg(s, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			debug_perror("Control socket: can't tell client");
		close(s);
		return;
	}

	ctl.fd = s;
	ctl.close = false;
	ctl.seen = *now;
	ref.fd = s;
	if (epoll_add(c, s, EPOLLIN | EPOLLRDHUP, ref)) {
		close(s);
		ctl.fd = -1;
		return;
	}
	ctl_watch(c);
}

/**
 * ctl_handler() - Requests in, replies out, on the client's socket
 * @c:		Execution context
 * @events:	epoll events
 * @now:	Current time
 */
void ctl_handler(struct ctx *c, uint32_t events, const struct timespec *now)
{
	if (ctl.fd < 0)
		return;

	ctl.seen = *now;

	if (events & EPOLLOUT) {
		if (ctl_send(c))
			goto close;
	} else if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
		ssize_t n = recv(ctl.fd, ctl.in + ctl.in_len,
				 sizeof(ctl.in) - ctl.in_len, MSG_DONTWAIT);

		if (n == 0 || (n < 0 && errno != EAGAIN))
			goto close;
		if (n > 0)
			ctl.in_len += n;
	}

	/* One request at a time: the next one once this reply is out */
	while (ctl.gen == CTL_GEN_NONE && ctl.in_len) {
		size_t had = ctl.in_len;

		if (ctl_parse(c))
			goto close;
		if (ctl.gen == CTL_GEN_NONE && ctl.in_len == had)
			break;
		if (ctl_send(c))
			goto close;
	}

	ctl_watch(c);
	return;
close:
	ctl_close(c);
}

/**
 * ctl_timer() - Drop a client that's been idle for too long
 * @c:		Execution context
 * @now:	Current time
 */
void ctl_timer(struct ctx *c, const struct timespec *now)
{
	if (ctl.fd >= 0 && timespec_diff_ms(now, &ctl.seen) > CTL_IDLE_MS) {
		debug("Control socket: client idle, closing");
		ctl_close(c);
	}
}
