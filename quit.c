// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * quit.c - How the process ends: draining flows, then exiting
 *
 * A reason to quit (pasta's command exited, a termination signal, pasta's
 * namespace went away) doesn't mean that the guest's side of every flow is
 * done. A command typically exits as soon as its last write() returns: the
 * data is still in the namespace's kernel, and reaches us through the tap
 * device afterwards, followed by the FIN of the socket the exit closed.
 * Exiting at once would close our host sockets with a FIN of their own, and
 * the peer would take a cut stream for a whole one.
 *
 * So we drain first: no new flow is accepted, and the main loop goes on
 * until the guest's side of every flow has finished (all of its data written
 * to the host socket, and its FIN passed on as a shutdown), or until the
 * grace period (--exit-grace) is over. Then each flow ends as its state
 * allows: one whose guest side finished is closed as usual, and the host's
 * kernel delivers what's still queued; any other one is reset, on the host
 * side and towards the guest: a reader learns that its stream was cut.
 *
 * A second termination signal while draining exits at once, with the same
 * resets.
 */

#include <stdlib.h>

#include "flow.h"
#include "isolation.h"
#include "log.h"
#include "passt.h"
#include "quit.h"
#include "util.h"

/**
 * struct quit_state - Where we are in quitting
 * @draining:		A reason to quit came, flows are being drained
 * @status:		Exit status to use
 * @deadline_ms:	End of the grace period, monotonic clock
 */
static struct quit_state {
	bool draining;
	int status;
	long long deadline_ms;
} quit;

/**
 * passt_quit() - A reason to quit: drain flows, then exit
 * @c:		Execution context
 * @status:	Exit status; a later call (the command's status, once it
 *		exited) replaces it
 */
void passt_quit(struct ctx *c, int status)
{
	unsigned pending;

	quit.status = status;
	if (quit.draining)
		return;

	quit.draining = true;
	flow_refuse_new();

	pending = flow_pending();
	if (!pending || !c->exit_grace_ms)
		passt_exit(c, status);

	quit.deadline_ms = timespec_ms(&c->run->now) + c->exit_grace_ms;
	debug("Draining %u connection%s before exiting, for at most %lli ms",
	      pending, pending == 1 ? "" : "s", c->exit_grace_ms);
}

/**
 * quit_draining() - Tell if we're draining flows before exiting
 *
 * Return: true once a reason to quit came
 */
bool quit_draining(void)
{
	return quit.draining;
}

/**
 * quit_timeout() - Shorten a wait of the main loop to the grace period's end
 * @c:		Execution context
 * @timeout_ms:	Wait the loop wants, -1 for none
 *
 * Return: the wait, in milliseconds, at most until the end of the grace period
 */
int quit_timeout(const struct ctx *c, int timeout_ms)
{
	long long left;

	if (!quit.draining)
		return timeout_ms;

	left = MAX(quit.deadline_ms - timespec_ms(&c->run->now), 0LL);
	if (timeout_ms < 0 || left < timeout_ms)
		return (int)left;

	return timeout_ms;
}

/**
 * quit_check() - While draining: exit once flows are done, or time is up
 * @c:		Execution context
 */
void quit_check(struct ctx *c)
{
	unsigned pending;

	if (!quit.draining)
		return;

	pending = flow_pending();
	if (!pending)
		passt_exit(c, quit.status);

	if (timespec_ms(&c->run->now) >= quit.deadline_ms) {
		warn("Grace period over: resetting %u connection%s that didn't "
		     "finish sending", pending, pending == 1 ? "" : "s");
		passt_exit(c, quit.status);
	}
}

/**
 * passt_exit() - End every flow as its state allows, clean up, exit
 * @c:		Execution context
 * @status:	Exit status
 */
void passt_exit(struct ctx *c, int status)
{
	flow_end_all(c);

	if (c->mode == MODE_PASST)
		isolate_unlink_socket(c);

	exit(status);
}
