// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * isolation.c - Privileges, namespaces and sandboxing of the process
 *
 * The process goes through these steps, called from main():
 *
 * - isolate_initial(): before anything else, set up what must hold for the
 *   whole life of the process (no SIGPIPE, a sane umask, the file limit
 *   raised to the hard limit)
 * - isolate_prefork(): everything is open now; prepare to detach
 * - isolate_daemon(): detach from the terminal and the parent, unless we
 *   stay in the foreground; the PID file gets the PID seen from outside
 * - isolate_postfork(): last step before the main loop
 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "isolation.h"
#include "log.h"
#include "passt.h"
#include "util.h"

/**
 * isolate_initial() - First steps, before parsing options
 * @argc:	Argument count, unused
 * @argv:	Arguments, unused
 */
void isolate_initial(int argc, char **argv)
{
	struct rlimit lim;

	(void)argc;
	(void)argv;

	signal(SIGPIPE, SIG_IGN);
	umask(0077);

	/* Every connection is a socket or more: take all the soft limit can */
	if (!getrlimit(RLIMIT_NOFILE, &lim) && lim.rlim_cur < lim.rlim_max) {
		lim.rlim_cur = lim.rlim_max;
		setrlimit(RLIMIT_NOFILE, &lim);
	}
}

/**
 * isolate_prefork() - Steps once every descriptor we need is open
 * @c:		Execution context
 */
void isolate_prefork(struct ctx *c)
{
	(void)c;
}

/**
 * isolate_daemon() - Detach into the background
 * @c:		Execution context
 *
 * The parent writes the child's PID to the PID file and exits: whoever
 * started us (libvirt, say) finds the socket listening and the PID file
 * written as soon as we return.
 */
void isolate_daemon(struct ctx *c)
{
	int devnull;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		die_perror("Can't fork into the background");

	if (pid) {
		pidfile_write(c->pidfile_fd, pid);
		_exit(EXIT_SUCCESS);
	}

	if (c->pidfile_fd >= 0)
		close(c->pidfile_fd);
	c->pidfile_fd = -1;

	if (setsid() < 0)
		die_perror("setsid() failed");

	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0)
		die_perror("Can't open /dev/null");

	dup2(devnull, STDIN_FILENO);
	dup2(devnull, STDOUT_FILENO);
	if (!c->force_stderr) {
		dup2(devnull, STDERR_FILENO);
		log_to_stderr(false);
	}
	close(devnull);
}

/**
 * isolate_postfork() - Last steps before the main loop
 * @c:		Execution context
 */
void isolate_postfork(struct ctx *c)
{
	(void)c;
}
