// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * test/tools/preload/nosockdiag.c - LD_PRELOAD library: netlink sockets of
 * socket diagnostics (NETLINK_SOCK_DIAG) can't be opened, as on a kernel
 * built without CONFIG_INET_DIAG, so that tests run pasta's /proc/net
 * scanning for "auto" port forwarding
 *
 * Example:
 *	LD_PRELOAD=build/tools/nosockdiag.so pasta -d --config-net
 */

#include <errno.h>
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
