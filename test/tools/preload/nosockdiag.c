// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * test/tools/preload/nosockdiag.c - LD_PRELOAD library: netlink sockets of
 * socket diagnostics (NETLINK_SOCK_DIAG) can't be opened, as on a kernel
 * built without CONFIG_INET_DIAG, so that tests run pasta's /proc/net
 * scanning for "auto" port forwarding. With NOSOCKDIAG_NO_IPV6 set in the
 * environment, /proc/net/tcp6 and /proc/net/udp6 don't exist either, as with
 * IPv6 disabled at boot (ipv6.disable=1)
 *
 * Example:
 *	LD_PRELOAD=build/tools/nosockdiag.so pasta -d --config-net
 */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <linux/netlink.h>

/**
 * socket() - Fail for NETLINK_SOCK_DIAG, open every other socket as usual
 * @domain:	Address family
 * @type:	Socket type and flags
 * @protocol:	Protocol
 *
 * Return: descriptor, -1 with errno set on failure
 */
int socket(int domain, int type, int protocol)
{
	if (domain == AF_NETLINK && protocol == NETLINK_SOCK_DIAG) {
		errno = EPROTONOSUPPORT;
		return -1;
	}

	return (int)syscall(SYS_socket, domain, type, protocol);
}

/**
 * open() - Fail for the IPv6 tables of /proc/net if asked to, open the rest
 * @path:	Path
 * @flags:	Flags
 *
 * Return: descriptor, -1 with errno set on failure
 */
int open(const char *path, int flags, ...)
{
	mode_t mode = 0;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_list ap;

		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}

	if (getenv("NOSOCKDIAG_NO_IPV6") &&
	    (!strcmp(path, "/proc/net/tcp6") ||
	     !strcmp(path, "/proc/net/udp6"))) {
		errno = ENOENT;
		return -1;
	}

	return (int)syscall(SYS_openat, AT_FDCWD, path, flags, mode);
}
