// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * link_stream.c - Link back end: passt's UNIX domain stream socket, and the
 *		   socket path passt listens on (vhost-user's too)
 *
 * qemu's "-netdev stream" (and "-netdev socket", through qrap) carries
 * Ethernet frames on a stream socket, each preceded by its length as a
 * 32-bit big-endian number. We listen on a socket path, take one guest at
 * a time, and wait for another one when it leaves (or exit, --one-off).
 *
 * Frames from the guest are read in large chunks into tap.c's buffer and
 * cut along their lengths. An incomplete frame at the end of a chunk stays
 * in place, and the next read appends to it.
 *
 * Frames to the guest go out many per sendmsg(), a length in front of each.
 * If the socket only takes part of a frame, the rest is kept and sent first
 * once the socket is writable again, so that the stream never loses its
 * framing; meanwhile, the link reports itself blocked.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "iov.h"
#include "link.h"
#include "log.h"
#include "passt.h"
#include "tap.h"
#include "util.h"

/* #syscalls:passt recvfrom sendmsg sendto epoll_ctl fcntl */
/* #syscalls:passt accept4 close setsockopt */

#define STREAM_LEN_BYTES	sizeof(uint32_t)
#define STREAM_SPLIT_MIN	512	/* Frame length: see stream_frame_add() */
#define STREAM_SNDBUF		(16 * 1024 * 1024)
#define STREAM_IOV_MAX		1024

/* Rest of a frame the socket only took part of */
static char stream_pending[STREAM_LEN_BYTES + TAP_FRAME_MAX];
static size_t stream_pending_len, stream_pending_off;

/* The socket to the guest is full, we wait for EPOLLOUT */
static bool stream_out_blocked;

/* Bytes of an incomplete frame (with its length) at stream_rd_start in the
 * input buffer. The stream is read on after them until a frame of the
 * largest size might not fit, and only then moved back to the start
 */
static size_t stream_partial;
static size_t stream_rd_start = TAP_IP_ALIGN;

/**
 * stream_pending_flush() - Send the rest of a partially written frame
 * @c:		Execution context
 *
 * Return: 0 if nothing is pending any longer, -1 otherwise
 */
static int stream_pending_flush(struct ctx *c)
{
	while (stream_pending_off < stream_pending_len) {
		ssize_t n = send(c->run->fd_tap, stream_pending + stream_pending_off,
				 stream_pending_len - stream_pending_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		stream_pending_off += n;
	}

	stream_pending_len = stream_pending_off = 0;
	return 0;
}

/**
 * stream_blocked() - Is the socket too full to take frames?
 *
 * Return: true while we wait for the socket to drain
 */
static bool stream_blocked(void)
{
	return stream_out_blocked;
}

/**
 * stream_wait_writable() - Ask for EPOLLOUT on the socket to the guest
 * @c:		Execution context
 */
static void stream_wait_writable(const struct ctx *c)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_TAP_PASST, .fd = c->run->fd_tap };
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | EPOLLOUT };

	stream_out_blocked = true;
	ev.data.u64 = ref.u64;
	/* Only without kernel memory for it: then nothing wakes us when the
	 * socket drains, but every frame sent tries the rest first, and TCP's
	 * timers send frames
	 */
	if (epoll_ctl(c->epollfd, EPOLL_CTL_MOD, c->run->fd_tap, &ev))
		debug_perror("Can't wait for the guest's socket to drain");
}

/**
 * stream_pending_keep() - Keep the unsent rest of a frame, watch for EPOLLOUT
 * @c:		Execution context
 * @iov:	Buffers of the frame, its length first
 * @n:		Number of buffers
 * @sent:	Bytes of the frame that were sent
 */
static void stream_pending_keep(struct ctx *c, const struct iovec *iov,
				size_t n, size_t sent)
{
	struct iovec to = { stream_pending, sizeof(stream_pending) };
	struct iov_cur cur;

	iov_cur_init(&cur, iov, n);
	iov_cur_skip(&cur, sent);
	stream_pending_len = iov_cur_copy(&cur, &to, 1);
	stream_pending_off = 0;
	stream_wait_writable(c);
}

/**
 * stream_send() - Write frames to the socket, in as few calls as possible
 * @c:		Execution context
 * @iov:	Buffers, @bufs_per_frame per frame, the first one of each
 *		starting at the Ethernet header
 * @bufs_per_frame: Buffers making up each frame
 * @nframes:	Number of frames
 * @gso_size:	Unused: the guest's device takes frames of its MTU only
 *
 * Return: number of frames sent, a partially sent one included
 */
static size_t stream_send(struct ctx *c, const struct iovec *iov,
			  size_t bufs_per_frame, size_t nframes,
			  uint16_t gso_size)
{
	static uint32_t lens[STREAM_IOV_MAX / 2];
	static struct iovec v[STREAM_IOV_MAX];
	size_t per_frame = bufs_per_frame + 1, done = 0;
	size_t per_call = STREAM_IOV_MAX / per_frame;

	(void)gso_size;

	if (!per_call)
		die("Frame of %zu buffers for the stream", bufs_per_frame);

	if (stream_pending_len && stream_pending_flush(c)) {
		stream_wait_writable(c);
		return 0;
	}

	while (done < nframes) {
		size_t n = MIN(per_call, nframes - done), i, k, total = 0;
		const struct iovec *in = iov + done * bufs_per_frame;
		struct msghdr mh = { .msg_iov = v, .msg_iovlen = n * per_frame };
		ssize_t sent;

		/* Each frame: its length, then its buffers */
		for (i = 0; i < n; i++) {
			const struct iovec *f = in + i * bufs_per_frame;
			size_t flen = iov_size(f, bufs_per_frame);

			for (k = 0; k < bufs_per_frame; k++)
				v[i * per_frame + 1 + k] = f[k];
			lens[i] = htonl(flen);
			v[i * per_frame].iov_base = &lens[i];
			v[i * per_frame].iov_len = STREAM_LEN_BYTES;
			total += STREAM_LEN_BYTES + flen;
		}

		sent = sendmsg(c->run->fd_tap, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (sent < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				debug_perror("Write to guest failed");
			else
				stream_wait_writable(c);
			return done;
		}

		if ((size_t)sent == total) {
			done += n;
			continue;
		}

		/* Find the frame the write stopped in */
		for (i = 0; i < n; i++) {
			size_t flen = STREAM_LEN_BYTES + ntohl(lens[i]);

			if ((size_t)sent < flen) {
				if (sent)
					stream_pending_keep(c, v + i * per_frame,
							    per_frame, sent);
				return done + i + !!sent;
			}
			sent -= flen;
		}
		return done + n;
	}

	return done;
}

static void stream_accepted(struct ctx *c, int fd);

const struct link_ops link_stream_ops = {
	.name		= "UNIX domain stream socket",
	.send		= stream_send,
	.blocked	= stream_blocked,
	.accepted	= stream_accepted,
};

/**
 * stream_reset() - The guest left: close its socket, maybe wait for another
 * @c:		Execution context
 */
static void stream_reset(struct ctx *c)
{
	if (c->one_off)
		info("Guest disconnected, exiting (--one-off)");
	else
		info("Guest disconnected, waiting for a new one");

	epoll_del(c, c->run->fd_tap);
	close(c->run->fd_tap);
	c->run->fd_tap = -1;
	stream_partial = 0;
	stream_rd_start = TAP_IP_ALIGN;
	stream_pending_len = stream_pending_off = 0;
	stream_out_blocked = false;

	tap_guest_gone(c);
}

/**
 * stream_frame_len_ok() - Check the length of a frame from the stream
 * @len:	Length field
 *
 * Return: true if it's a plausible Ethernet frame length
 */
static bool stream_frame_len_ok(uint32_t len)
{
	return len >= ETH_HLEN && len <= TAP_FRAME_MAX;
}

/**
 * stream_frame_add() - Align a frame from the stream, add it to the batch
 * @lenp:	Position of the frame's length field, the frame follows
 * @len:	Frame length
 *
 * Frames follow each other at any offset, but header structures need their
 * natural alignment. A misaligned frame moves back by up to three bytes, over
 * its own length field, already parsed: all of it, or, if it's long and goes
 * to a TCP or UDP socket, only its headers, and the payload stays where it is
 * (tap_rx_add_split()), saving a copy of most of the frame.
 *
 * Return: what tap_rx_add() or tap_rx_add_split() returned
 */
static int stream_frame_add(char *lenp, size_t len)
{
	char *frame = lenp + STREAM_LEN_BYTES;
	size_t mis = ((uintptr_t)frame - TAP_IP_ALIGN) % 4, hlen;

	if (!mis)
		return tap_rx_add(frame, len, 0);

	if (len >= STREAM_SPLIT_MIN &&
	    (hlen = tap_frame_payload_off(frame, len, true))) {
		memmove(frame - mis, frame, hlen);
		return tap_rx_add_split(frame - mis, hlen, frame + hlen,
					len - hlen);
	}

	memmove(frame - mis, frame, len);
	return tap_rx_add(frame - mis, len, 0);
}

/**
 * link_stream_handler() - Events on the stream socket of the guest
 * @c:		Execution context
 * @events:	epoll events
 * @now:	Current time
 */
void link_stream_handler(struct ctx *c, uint32_t events,
			 const struct timespec *now)
{
	size_t bufsize;
	char *rxbuf = tap_rx_buf(&bufsize);

	if (events & EPOLLOUT) {
		union epoll_ref ref = { .type = EPOLL_TYPE_TAP_PASST,
					.fd = c->run->fd_tap };
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };

		if (!stream_pending_flush(c)) {
			ev.data.u64 = ref.u64;
			/* If this fails, EPOLLOUT comes again: we retry */
			if (epoll_ctl(c->epollfd, EPOLL_CTL_MOD, c->run->fd_tap,
				      &ev))
				debug_perror("Can't stop waiting for EPOLLOUT");
			stream_out_blocked = false;
			tap_writable(c, now);
		}
	}

	if (!(events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
		return;

	for (;;) {
		size_t room, off = 0, have;
		char *buf;
		ssize_t n;

		if (bufsize - stream_rd_start - stream_partial <
		    STREAM_LEN_BYTES + TAP_FRAME_MAX) {
			/* A length first: the next frame starts aligned */
			memmove(rxbuf + TAP_IP_ALIGN, rxbuf + stream_rd_start,
				stream_partial);
			stream_rd_start = TAP_IP_ALIGN;
		}
		buf = rxbuf + stream_rd_start;
		room = bufsize - stream_rd_start - stream_partial;

		n = recv(c->run->fd_tap, buf + stream_partial, room, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			if (n < 0)
				debug_perror("Read from guest failed");
			stream_reset(c);
			return;
		}

		have = stream_partial + n;
		while (have - off >= STREAM_LEN_BYTES) {
			uint32_t len;

			memcpy(&len, buf + off, sizeof(len));
			len = ntohl(len);
			if (!stream_frame_len_ok(len)) {
				err("Framing error from guest: frame length "
				    "%u, closing connection", len);
				tap_rx_handle(c, now);
				stream_reset(c);
				return;
			}
			if (have - off - STREAM_LEN_BYTES < len)
				break;

			if (tap_rx_full())
				tap_rx_handle(c, now);
			stream_frame_add(buf + off, len);
			off += STREAM_LEN_BYTES + len;
		}

		tap_rx_handle(c, now);

		stream_partial = have - off;
		stream_rd_start = stream_partial ? stream_rd_start + off :
						   TAP_IP_ALIGN;

		if ((size_t)n < room)
			break;
	}

	if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		stream_reset(c);
}

/**
 * stream_connect_probe() - Tell if a UNIX socket path has a live listener
 * @path:	Path
 *
 * Return: true if something accepts connections there
 */
static bool stream_connect_probe(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int s, ret;

	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return false;

	str_copy(a.sun_path, sizeof(a.sun_path), path);
	ret = connect(s, (struct sockaddr *)&a, sizeof(a));
	close(s);

	return !ret;
}

/**
 * stream_bind() - Bind and listen on a UNIX domain socket path
 * @path:	Path; a stale socket file there is replaced
 *
 * Return: socket, -1 if the path is in use or can't be bound
 */
static int stream_bind(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct stat st;
	int s;

	if (stream_connect_probe(path))
		return -1;

	/* Nobody listens there: a leftover of a previous run */
	if (!lstat(path, &st) && S_ISSOCK(st.st_mode))
		unlink(path);

	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		die_perror("Can't create UNIX domain socket");

	str_copy(a.sun_path, sizeof(a.sun_path), path);
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 16)) {
		close(s);
		return -1;
	}

	return s;
}

/**
 * stream_setup() - Settings for a connected stream socket to the guest
 * @c:		Execution context
 * @fd:		Socket
 */
static void stream_setup(struct ctx *c, int fd)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_TAP_PASST };
	int v = STREAM_SNDBUF;

	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	v = STREAM_SNDBUF;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));

	fd_nonblock(fd);
	c->run->fd_tap = fd;
	if (epoll_add(c, fd, EPOLLIN | EPOLLRDHUP, ref))
		die_perror("Can't watch guest connection");
}

/**
 * link_sock_listen() - Listen on the UNIX domain socket for the guest (or
 *			the front end), or take the connected one of --fd
 * @c:		Execution context, with the back end chosen
 */
void link_sock_listen(struct ctx *c)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_TAP_LISTEN };
	int s = -1, i;

	if (c->fd_given) {
		int fd = c->run->fd_tap;

		c->run->fd_tap = -1;
		c->link->accepted(c, fd);
		return;
	}

	if (*c->sock_path) {
		s = stream_bind(c->sock_path);
		if (s < 0)
			die("Can't listen on %s: in use, or no permission",
			    c->sock_path);
	} else {
		for (i = 1; i <= SOCK_PATH_MAX_TRIES && s < 0; i++) {
			snprintf(c->sock_path, sizeof(c->sock_path),
				 SOCK_PATH_DEFAULT_FMT, i);
			s = stream_bind(c->sock_path);
		}
		if (s < 0)
			die("No free socket path of the form "
			    SOCK_PATH_DEFAULT_FMT, 1);
	}

	c->fd_tap_listen = s;
	if (epoll_add(c, s, EPOLLIN, ref))
		die_perror("Can't watch listening socket");
}

/**
 * link_sock_listen_handler() - A connection on our socket: the back end's
 * @c:		Execution context
 * @events:	epoll events
 */
void link_sock_listen_handler(struct ctx *c, uint32_t events)
{
	int fd;

	if (!(events & EPOLLIN))
		return;

	fd = accept4(c->fd_tap_listen, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;

	c->link->accepted(c, fd);
}

/**
 * stream_accepted() - A guest connected: serve it, refuse any further one
 * @c:		Execution context
 * @fd:		Its socket
 */
static void stream_accepted(struct ctx *c, int fd)
{
	if (c->run->fd_tap >= 0) {
		info("Refusing a second guest connection");
		close(fd);
		return;
	}

	if (!c->fd_given)
		info("Guest connected");
	stream_setup(c, fd);
	tap_start(c);
}

/**
 * link_stream_init() - Start the stream socket back end
 * @c:		Execution context
 */
void link_stream_init(struct ctx *c)
{
	c->link = &link_stream_ops;
	c->run->link_offload = 0;

	link_sock_listen(c);
	if (c->fd_given)
		return;

	info("UNIX domain socket bound at %s", c->sock_path);
	info("You can now start qemu (>= 7.2) with:");
	info("    qemu-system-ARCH ... -device virtio-net-pci,netdev=s0 "
	     "-netdev stream,id=s0,server=off,addr.type=unix,addr.path=%s",
	     c->sock_path);
	info("or, with any qemu version: qrap 5 qemu-system-ARCH ...");
}
