/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * passt - user-mode networking for virtual machines and namespaces
 *
 * test/unit/unit.h - Tiny harness for unit tests: one line per check
 *
 * Each check prints "PASS name" or "FAIL name: detail"; the runner counts
 * those lines. A unit test program exits non-zero if any check failed.
 */

#ifndef UNIT_H
#define UNIT_H

#include <stdio.h>
#include <stdlib.h>

static int unit_failures;

/**
 * CHECK() - Report one named check
 * @name:	Name of the check, a string literal
 * @cond:	Expression that must be true
 */
#define CHECK(name, cond)						\
	do {								\
		if (cond) {						\
			printf("PASS %s\n", name);			\
		} else {						\
			printf("FAIL %s: %s (%s:%i)\n", name, #cond,	\
			       __FILE__, __LINE__);			\
			unit_failures++;				\
		}							\
	} while (0)

/**
 * CHECKF() - Report one check whose name is built with a format
 * @cond:	Expression that must be true
 * @...:	printf() format and arguments for the name
 */
#define CHECKF(cond, ...)						\
	do {								\
		char name_[256];					\
		snprintf(name_, sizeof(name_), __VA_ARGS__);		\
		CHECK(name_, cond);					\
	} while (0)

/**
 * unit_exit() - Exit status for the test program
 *
 * Return: EXIT_FAILURE if any check failed
 */
static inline int unit_exit(void)
{
	fflush(stdout);
	return unit_failures ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif /* UNIT_H */
