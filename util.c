// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * util.c - Small helpers shared by every part of the program
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "inany.h"
#include "util.h"
#include "log.h"
#include "passt.h"

/**
 * write_all() - Write a whole buffer to a file descriptor
 * @fd:		File descriptor, blocking
 * @buf:	Data
 * @len:	Length of @buf
 *
 * Return: 0 on success, -1 on error with errno set
 */
int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= n;
	}

	return 0;
}

/**
 * read_all() - Read until a buffer is full or the end of the file
 * @fd:		File descriptor, blocking
 * @buf:	Destination
 * @len:	Size of @buf
 *
 * Return: bytes read, -1 on error with errno set
 */
ssize_t read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, p + done, len - done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (!n)
			break;
		done += n;
	}

	return done;
}

/**
 * write_file() - Replace the contents of a (procfs) file with a string
 * @path:	File path
 * @text:	String to write, without terminator
 *
 * Return: 0 on success, -1 on error with errno set
 */
int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	int ret, saved;

	if (fd < 0)
		return -1;

	ret = write_all(fd, text, strlen(text));
	saved = errno;
	close(fd);
	errno = saved;

	return ret;
}

/**
 * read_file() - Read a small file into a buffer, terminating it
 * @path:	File path
 * @buf:	Destination
 * @size:	Size of @buf, one byte is kept for the terminator
 *
 * Return: bytes read, -1 on error with errno set
 */
ssize_t read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	int saved;

	if (fd < 0 || !size)
		return -1;

	n = read_all(fd, buf, size - 1);
	saved = errno;
	close(fd);
	errno = saved;

	if (n < 0)
		return -1;
	buf[n] = '\0';

	return n;
}

/**
 * fd_nonblock() - Set O_NONBLOCK on a file descriptor
 * @fd:		File descriptor
 *
 * Return: 0 on success, -1 on error
 */
int fd_nonblock(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0)
		return -1;

	return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

/**
 * close_from_to() - Close a range of descriptors, whatever the kernel
 * @first:	First one
 * @last:	Last one, ~0U for all of them
 *
 * close_range() came with Linux 5.9: before, one by one, up to the limit we
 * run with (none above it can be open unless it was lowered on us, rare).
 */
void close_from_to(unsigned first, unsigned last)
{
	struct rlimit r;
	unsigned fd;

	if (!syscall(SYS_close_range, first, last, 0))
		return;

	if (getrlimit(RLIMIT_NOFILE, &r) || r.rlim_cur == RLIM_INFINITY)
		r.rlim_cur = 1U << 20;	/* The kernel's default nr_open */
	for (fd = first; fd <= last && fd < r.rlim_cur; fd++)
		close(fd);	/* EBADF for most of them, as expected */
}

/**
 * close_open_files() - Close every descriptor from 3 up, except a range
 * @keep_from:	First descriptor to keep, or -1
 * @keep_to:	Last descriptor to keep
 */
void close_open_files(int keep_from, int keep_to)
{
	if (keep_from < 3) {
		close_from_to(3, ~0U);
		return;
	}

	if (keep_from > 3)
		close_from_to(3, keep_from - 1);
	close_from_to(keep_to + 1, ~0U);
}

/**
 * raw_random() - Fill a buffer with random bytes from the kernel
 * @buf:	Destination
 * @len:	Bytes wanted
 *
 * Return: 0 on success, -1 if no randomness could be had
 */
int raw_random(void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		/* #syscalls getrandom */
		ssize_t n = getrandom(p, len, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= n;
	}

	return 0;
}

/**
 * parse_uint() - Parse a whole decimal string into an unsigned value
 * @s:		String, digits only
 * @max:	Largest value accepted
 * @val:	Parsed value, set on success
 *
 * Return: 0 on success, -1 if @s is not a number in [0, @max]
 */
int parse_uint(const char *s, unsigned long max, unsigned long *val)
{
	unsigned long v = 0;

	if (!*s)
		return -1;

	for (; *s; s++) {
		unsigned d;

		if (*s < '0' || *s > '9')
			return -1;
		d = *s - '0';
		if (v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}

	*val = v;
	return 0;
}

/**
 * pidfile_open() - Create (or truncate) a PID file, before any sandboxing
 * @path:	Path of the PID file, or empty string for none
 *
 * Return: descriptor, or -1 if no PID file was asked for
 */
int pidfile_open(const char *path)
{
	int fd;

	if (!*path)
		return -1;

	fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0)
		die_perror("Can't open PID file %s", path);

	return fd;
}

/**
 * pidfile_write() - Write a PID into an open PID file and close it
 * @fd:		PID file descriptor, or -1 for none
 * @pid:	PID to write
 */
void pidfile_write(int fd, pid_t pid)
{
	char buf[32];
	int n;

	if (fd < 0)
		return;

	n = snprintf(buf, sizeof(buf), "%i\n", pid);
	if (write_all(fd, buf, n))
		die_perror("Can't write PID file");
	close(fd);
}

/**
 * epoll_add() - Watch a descriptor in the main loop
 * @c:		Execution context
 * @fd:		Descriptor
 * @events:	epoll events
 * @ref:	Reference passed back with each event, its fd set here
 *
 * Return: 0 on success, -1 on error with errno set
 */
int epoll_add(const struct ctx *c, int fd, uint32_t events,
	      union epoll_ref ref)
{
	struct epoll_event ev = { .events = events };

	ref.fd = fd;
	ev.data.u64 = ref.u64;

	return epoll_ctl(c->epollfd, EPOLL_CTL_ADD, fd, &ev);
}

/**
 * epoll_del() - Stop watching a descriptor
 * @c:		Execution context
 * @fd:		Descriptor
 */
void epoll_del(const struct ctx *c, int fd)
{
	epoll_ctl(c->epollfd, EPOLL_CTL_DEL, fd, NULL);
}

/**
 * sock_urg_inline() - Keep the urgent data of a TCP socket in its stream
 * @s:		Socket
 *
 * Otherwise the byte an urgent pointer marks is taken out of the stream and
 * kept for recv(MSG_OOB), where nobody reads it: the peer on the other side
 * of us would never get it. We carry streams, not urgent notifications.
 */
void sock_urg_inline(int s)
{
	int one = 1;

	if (setsockopt(s, SOL_SOCKET, SO_OOBINLINE, &one, sizeof(one)))
		debug_perror("TCP: can't keep urgent data inline");
}

/**
 * sock_tcp_opts() - Options of every TCP socket carrying a guest's stream
 * @s:		Socket, connecting or listening: accepted ones inherit them
 *
 * Small writes go out at once (whether to wait for more is the endpoints'
 * choice, made on their own sockets), and urgent data stays in the stream
 * (sock_urg_inline()).
 *
 * A zero linger time, until sock_shut_wr() passes on the end of the stream,
 * makes any close() before that a reset: also the one the kernel makes for
 * us if this process dies at once (SIGKILL, the OOM killer, the seccomp
 * filter, a crash). Otherwise the peer would get a FIN after what we wrote
 * so far, and take a cut stream for a whole one.
 */
void sock_tcp_opts(int s)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };
	int one = 1;

	if (setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		debug_perror("TCP: can't set TCP_NODELAY");
	sock_urg_inline(s);
	if (setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof(l)))
		debug_perror("TCP: can't set a zero linger time");
}

/**
 * sock_shut_wr() - Pass on the end of a stream: a FIN after what's queued
 * @s:		Socket with the options of sock_tcp_opts()
 *
 * From here on, closing the socket, or dying, leaves the kernel to deliver
 * what it holds and the FIN: the stream is whole.
 */
void sock_shut_wr(int s)
{
	struct linger l = { .l_onoff = 0, .l_linger = 0 };

	if (shutdown(s, SHUT_WR))
		debug_perror("TCP: can't shut down socket %i for writing", s);
	if (setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof(l)))
		debug_perror("TCP: can't clear the linger time of socket %i",
			     s);
}

/**
 * sock_tcp_new() - Open a non-blocking TCP socket to carry a guest's stream
 * @af:		AF_INET or AF_INET6
 *
 * Return: socket with the options of sock_tcp_opts(), or -1 with errno set
 */
int sock_tcp_new(int af)
{
	int s = socket(af, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       IPPROTO_TCP);

	if (s < 0)
		return -1;

	sock_tcp_opts(s);
	return s;
}

/**
 * sock_close_reset() - Close a TCP socket with a reset, not a FIN
 * @s:		Socket
 *
 * With a zero linger time, close() drops whatever is queued and sends a
 * reset: the peer can't take what it got for a whole stream. Sockets of
 * sock_tcp_opts() have it until sock_shut_wr(): set it again all the same.
 */
void sock_close_reset(int s)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(s);
}

/**
 * sock_bound_to() - Tell if a socket's local address is a given one
 * @s:		Socket, or -1
 * @a:		Address
 *
 * Return: true if it is
 */
bool sock_bound_to(int s, const union inany_addr *a)
{
	struct sockaddr_storage sa = { 0 };
	socklen_t sl = sizeof(sa);
	union inany_addr local;
	in_port_t port;

	if (s < 0 || getsockname(s, (struct sockaddr *)&sa, &sl) ||
	    (sa.ss_family != AF_INET && sa.ss_family != AF_INET6))
		return false;

	inany_from_sockaddr(&sa, &local, &port);
	return inany_equals(&local, a);
}

/**
 * sock_discard() - Drop what a TCP socket received and nobody will read
 * @s:		Socket
 *
 * Closing a socket with unread data resets the connection and drops what's
 * still queued for sending: discard it first, and the close is a FIN behind
 * the data.
 */
void sock_discard(int s)
{
	/* #syscalls recvfrom */
	while (recv(s, NULL, INT_MAX, MSG_TRUNC | MSG_DONTWAIT) > 0)
		;
}

/**
 * passt_version() - Version string, the same for every part of the program
 *
 * The date of the commit built and its abbreviated hash, such as
 * 2026_12_04.6214121, "-dirty" appended if the tree had changes, unless the
 * build gave another one (see the Makefile); qrap prints the same.
 *
 * Return: version, static storage
 */
const char *passt_version(void)
{
	return VERSION;
}

/**
 * addr_str() - Text form of an address into a rotating static buffer
 * @af:		AF_INET or AF_INET6
 * @a:		Address
 *
 * Return: text, valid until four more calls
 */
const char *addr_str(int af, const void *a)
{
	static char buf[4][INET6_ADDRSTRLEN];
	static unsigned i;

	i = (i + 1) % ARRAY_SIZE(buf);
	return inet_ntop(af, a, buf[i], sizeof(buf[i]));
}
