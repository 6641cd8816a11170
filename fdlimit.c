// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * fdlimit.c - Running out of descriptors: refuse at once, warn once
 *
 * Every flow takes descriptors: a socket for a TCP connection through the
 * tap device or a UDP flow, two sockets and two pipes (six descriptors) for
 * a spliced connection. Once the limit is reached, a listening socket with
 * connections waiting can't give them to us: accept() fails, the socket
 * stays readable, and waiting on it would wake us up again at once, while
 * its clients hang until they time out.
 *
 * So one descriptor is kept spare: with the limit reached, it's given back
 * for a moment, to accept each waiting connection and close it at once with
 * a reset. The backlog empties, clients learn straight away, and nothing
 * wakes us up for nothing. Datagrams of a UDP flow we can't open a socket
 * for are dropped, as read. One warning, with the numbers, when the limit
 * is first hit (at most one every ten seconds), and one line when flows can be
 * set up again.
 */

#include <errno.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "fdlimit.h"
#include "flow.h"
#include "log.h"
#include "util.h"

/* #syscalls accept4 socket close setsockopt clock_gettime */

#define FD_WARN_INTERVAL_S	10	/* At most one warning in that time */

static int fd_spare = -1;
static unsigned long long fd_limit;
static bool fd_shortage;
static bool fd_shortage_warned;
static unsigned long fd_refused;
static time_t fd_warned;

/**
 * fd_spare_take() - Hold a descriptor in reserve
 *
 * Return: 0 on success, -1 if there's none to take
 */
static int fd_spare_take(void)
{
	if (fd_spare < 0)
		fd_spare = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	return fd_spare < 0 ? -1 : 0;
}

/**
 * fd_spare_init() - Take the spare descriptor, note the limit, at start
 */
void fd_spare_init(void)
{
	struct rlimit lim;

	if (!getrlimit(RLIMIT_NOFILE, &lim))
		fd_limit = lim.rlim_cur;

	if (fd_spare_take())
		die_perror("Can't open a spare descriptor");
}

/**
 * fd_is_short() - Tell if an error means we're out of descriptors
 * @err:	errno value
 *
 * Return: true for EMFILE (our limit) and ENFILE (the system's)
 */
bool fd_is_short(int err)
{
	return err == EMFILE || err == ENFILE;
}

/**
 * fd_short() - Note that something couldn't be opened for lack of descriptors
 * @what:	What was refused, for the warning
 * @refused:	How many
 */
void fd_short(const char *what, unsigned refused)
{
	struct timespec now;

	fd_refused += refused;
	if (fd_shortage)
		return;

	fd_shortage = true;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (fd_warned && now.tv_sec - fd_warned < FD_WARN_INTERVAL_S)
		return;
	fd_warned = now.tv_sec ? now.tv_sec : 1;
	fd_shortage_warned = true;
	warn("Out of descriptors (limit %llu, %u flows open): refusing new %s "
	     "until some close", fd_limit, flow_count(), what);
}

/**
 * fd_short_over() - A new flow could be set up again: end of a shortage
 */
void fd_short_over(void)
{
	if (!fd_shortage)
		return;

	if (fd_shortage_warned)
		info("Descriptors available again, %lu refused meanwhile",
		     fd_refused);
	fd_shortage = fd_shortage_warned = false;
	fd_refused = 0;
}

/**
 * fd_refuse_backlog() - Out of descriptors: reset every waiting connection
 * @listen_fd:	Listening socket, accept() just failed with EMFILE or ENFILE
 */
void fd_refuse_backlog(int listen_fd)
{
	unsigned n = 0;
	int s;

	while (fd_spare >= 0) {
		close(fd_spare);
		fd_spare = -1;

		s = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (s >= 0) {
			sock_close_reset(s);
			n++;
		}

		if (fd_spare_take())
			err("Can't take a spare descriptor back");
		if (s < 0)
			break;
	}

	fd_short("connections", n);
}
