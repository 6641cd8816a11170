// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * test/tools/preload/nopeekoff.c - LD_PRELOAD library: setsockopt() of
 * SO_PEEK_OFF fails with EINVAL, as it does for TCP sockets on kernels
 * before 6.9, so that tests run the code for those kernels on newer ones
 *
 * Example:
 *	LD_PRELOAD=build/tools/nopeekoff.so passt -f -d -s /tmp/passt.sock
 */

#include <errno.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/syscall.h>

/**
 * setsockopt() - Fail for SO_PEEK_OFF, do the rest as usual
 * @s:		Socket
 * @level:	Protocol level
 * @name:	Option
 * @val:	Value
 * @len:	Length of the value
 *
 * Return: 0 on success, -1 with errno set on failure
 */
int setsockopt(int s, int level, int name, const void *val, socklen_t len)
{
	if (level == SOL_SOCKET && name == SO_PEEK_OFF) {
		errno = EINVAL;
		return -1;
	}

	return (int)syscall(SYS_setsockopt, s, level, name, val, len);
}
