// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * test/tools/preload/nopivot.c - LD_PRELOAD library: pivot_root() fails
 * with EPERM, as under container engines whose seccomp profile refuses it,
 * so that tests can run --chroot-fallback
 *
 * Example:
 *	LD_PRELOAD=build/tools/nopivot.so passt -f --chroot-fallback
 */

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <sys/syscall.h>

/**
 * syscall() - Fail for pivot_root, pass every other call on
 * @number:	System call number
 *
 * Return: what the call returns, -1 with errno set on failure
 */
long syscall(long number, ...)
{
	long (*next)(long, ...) = (long (*)(long, ...))dlsym(RTLD_NEXT,
							      "syscall");
	long a[6];
	va_list ap;
	int i;

	if (number == SYS_pivot_root) {
		errno = EPERM;
		return -1;
	}

	va_start(ap, number);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);

	if (!next) {
		errno = ENOSYS;
		return -1;
	}
	return next(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}
