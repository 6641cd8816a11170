// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * passt.c - Life of the process: configure, open, isolate, loop
 *
 * passt connects a qemu guest, over a UNIX domain socket, to the network of
 * the host it runs on; pasta does the same for a network namespace, through
 * a tap device. Neither has a TCP/IP stack of its own: frames from the guest
 * become operations on ordinary host sockets, and data from those sockets
 * becomes frames to the guest. The same binary is both, named by argv[0].
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>

#include "passt.h"
#include "conf.h"
#include "ctl.h"
#include "fdlimit.h"
#include "flow.h"
#include "follow.h"
#include "fwd.h"
#include "icmp.h"
#include "isolation.h"
#include "link.h"
#include "log.h"
#include "mcast.h"
#include "ndp.h"
#include "nshelper.h"
#include "pasta.h"
#include "pcap.h"
#include "quit.h"
#include "resolv.h"
#include "tap.h"
#include "stats.h"
#include "tcp.h"
#include "tcp_splice.h"
#include "udp.h"
#include "util.h"
#include "vhost_user.h"

/* #syscalls epoll_wait|epoll_pwait clock_gettime read */

#define EPOLL_EVENTS		64

/**
 * struct periodic - A job the main loop runs at a fixed interval, or sooner
 * @fn:		Job
 * @interval_ms: Interval
 * @until_quit:	Stop running it once we're quitting
 * @soon:	Milliseconds until the job is due before its interval is
 *		over (a deadline of its own), -1 if not; NULL for none
 * @last:	When it last ran at its interval
 *
 * The jobs of the same interval run in the same wake-up: a job that runs
 * sooner, for a deadline, keeps its place in the interval.
 */
struct periodic {
	void (*fn)(struct ctx *c, const struct timespec *now);
	long long interval_ms;
	bool until_quit;
	long long (*soon)(const struct timespec *now);
	struct timespec last;
};

static struct periodic periodic[] = {
	{ flow_timer,	1000,	false,	flow_timer_left,	{ 0, 0 } },
	{ ndp_timer,	1000,	true,	NULL,			{ 0, 0 } },
	{ fwd_scan,	1000,	true,	NULL,			{ 0, 0 } },
	{ ctl_timer,	1000,	false,	NULL,			{ 0, 0 } },
	{ follow_timer,	1000,	true,	NULL,			{ 0, 0 } },
	{ mcast_timer,	1000,	true,	NULL,			{ 0, 0 } },
	/* Every --stats DELAY seconds, set at start */
	{ stats_report,	0,	false,	NULL,			{ 0, 0 } },
};

/* Configuration, on pages of its own (see ctx_seal()), and the run state */
static size_t ctx_size;
static struct ctx_run ctx_run;

/**
 * mode_from_name() - Tell passt from pasta by the name we were run as
 * @argv0:	argv[0]
 *
 * Return: MODE_PASTA for "pasta" (and "pasta.*") or "passt4netns",
 *	   MODE_PASST otherwise
 */
static enum passt_mode mode_from_name(const char *argv0)
{
	const char *name = strrchr(argv0, '/');

	name = name ? name + 1 : argv0;

	if (!strcmp(name, "pasta") || !strncmp(name, "pasta.", 6) ||
	    !strcmp(name, "passt4netns"))
		return MODE_PASTA;

	return MODE_PASST;
}

/**
 * periodic_run() - Run the periodic jobs that are due
 * @c:		Execution context
 * @now:	Current time
 *
 * Return: milliseconds until the next job is due, -1 if there's none
 */
static int periodic_run(struct ctx *c, const struct timespec *now)
{
	long long next = -1;
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(periodic); i++) {
		struct periodic *p = &periodic[i];
		long long left, soon;

		if (!p->fn || !p->interval_ms ||
		    (p->until_quit && quit_draining()))
			continue;

		left = p->interval_ms - timespec_diff_ms(now, &p->last);
		soon = p->soon ? p->soon(now) : -1;
		if (left <= 0 || !soon) {
			p->fn(c, now);
			if (left <= 0) {
				p->last = *now;
				left = p->interval_ms;
			}
			soon = p->soon ? p->soon(now) : -1;
		}
		if (soon >= 0 && soon < left)
			left = soon;
		if (next < 0 || left < next)
			next = left;
	}

	return next;
}

/**
 * flow_max() - Size of the flow table: as many flows as descriptors
 *
 * Return: number of flows
 */
static unsigned flow_max(void)
{
	struct rlimit lim;

	if (getrlimit(RLIMIT_NOFILE, &lim) || lim.rlim_cur > FLOW_MAX)
		return FLOW_MAX;

	return lim.rlim_cur;
}

/**
 * signal_noop() - Handler that does nothing: signals are read from signalfd
 * @sig:	Signal number
 *
 * As init of a PID namespace, we'd never get signals we have no handler
 * for: this one makes them pending, for the signalfd to report.
 */
static void signal_noop(int sig)
{
	(void)sig;
}

/**
 * signal_init() - Receive termination signals through a signalfd
 * @c:		Execution context
 */
static void signal_init(const struct ctx *c)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_SIGNAL };
	struct sigaction sa = { 0 };
	sigset_t mask;
	int fd;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGQUIT);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (c->mode == MODE_PASTA)
		sigaddset(&mask, SIGCHLD);

	sa.sa_handler = signal_noop;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) || sigaction(SIGQUIT, &sa, NULL) ||
	    sigaction(SIGINT, &sa, NULL) || sigaction(SIGHUP, &sa, NULL))
		die_perror("Can't set signal handlers");

	if (sigprocmask(SIG_BLOCK, &mask, NULL))
		die_perror("Can't block signals");

	fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		die_perror("Can't create signalfd");

	if (epoll_add(c, fd, EPOLLIN, ref))
		die_perror("Can't watch signalfd");
}

/**
 * signal_handler() - Act on signals that arrived
 * @c:		Execution context
 * @fd:		signalfd
 */
static void signal_handler(struct ctx *c, int fd)
{
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			if (c->mode == MODE_PASTA)
				pasta_child_handler(c);
			break;
		case SIGINT:
		case SIGQUIT:
			/* The terminal's, for the command pasta runs */
			if (c->pasta_child_pid)
				break;
			/* fall through */
		default:
			if (quit_draining()) {
				info("Signal %u again, exiting now",
				     si.ssi_signo);
				passt_exit(c, EXIT_SUCCESS);
			}
			info("Quitting on signal %u", si.ssi_signo);
			passt_quit(c, EXIT_SUCCESS);
		}
	}
}

/**
 * dispatch() - Hand one epoll event to the handler for its descriptor type
 * @c:		Execution context
 * @ev:		Event
 * @now:	Time of this wake-up
 */
static void dispatch(struct ctx *c, const struct epoll_event *ev,
		     const struct timespec *now)
{
	union epoll_ref ref = { .u64 = ev->data.u64 };

	switch (ref.type) {
	case EPOLL_TYPE_TAP_LISTEN:
		link_sock_listen_handler(c, ev->events);
		break;
	case EPOLL_TYPE_VU_CMD:
		vu_cmd_handler(c, ev->events);
		break;
	case EPOLL_TYPE_VU_KICK:
		link_vu_kick_handler(c, ref, now);
		break;
	case EPOLL_TYPE_TAP_PASST:
		link_stream_handler(c, ev->events, now);
		break;
	case EPOLL_TYPE_TAP_PASTA:
		link_tap_handler(c, ev->events, now);
		break;
	case EPOLL_TYPE_TCP:
		tcp_sock_handler(c, ref, ev->events, now);
		break;
	case EPOLL_TYPE_TCP_SPLICE:
		tcp_splice_sock_handler(c, ref, ev->events, now);
		break;
	case EPOLL_TYPE_TCP_LISTEN:
		tcp_listen_handler(c, ref, now);
		break;
	case EPOLL_TYPE_UDP_LISTEN:
		udp_listen_handler(c, ref, ev->events, now);
		break;
	case EPOLL_TYPE_UDP_REPLY:
		udp_reply_handler(c, ref, ev->events, now);
		break;
	case EPOLL_TYPE_PING:
		icmp_sock_handler(c, ref, now);
		break;
	case EPOLL_TYPE_NSQUIT_INOTIFY:
		pasta_netns_quit_handler(c, ref);
		break;
	case EPOLL_TYPE_NSQUIT_TIMER:
		pasta_netns_quit_timer(c, ref);
		break;
	case EPOLL_TYPE_NSQUIT_PIDFD:
		pasta_netns_quit_pidfd(c, ref);
		break;
	case EPOLL_TYPE_SIGNAL:
		signal_handler(c, ref.fd);
		break;
	case EPOLL_TYPE_CTL_LISTEN:
		ctl_listen_handler(c, now);
		break;
	case EPOLL_TYPE_CTL:
		ctl_handler(c, ev->events, now);
		break;
	case EPOLL_TYPE_RESOLV:
		resolv_follow_handler(c, ref);
		break;
	case EPOLL_TYPE_FOLLOW:
		follow_handler(c, ref);
		break;
	case EPOLL_TYPE_MCAST:
		mcast_sock_handler(c, ref);
		break;
	default:
		debug("Event for unexpected descriptor type %u", ref.type);
		break;
	}
}

/**
 * ctx_seal() - Make the configuration read-only: start-up is done
 * @c:		Execution context
 *
 * What changes from here on is in c->run. Before the seccomp filter, which
 * doesn't allow mprotect(): nothing can make it writable again.
 */
static void ctx_seal(const struct ctx *c)
{
	if (mprotect((void *)c, ctx_size, PROT_READ))
		die_perror("Can't make the configuration read-only");
}

/**
 * ctx_alloc() - Pages of their own for the configuration, zeroed
 *
 * Return: the configuration, exits on failure
 */
static struct ctx *ctx_alloc(void)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p;

	ctx_size = ROUND_UP(sizeof(struct ctx), page > 0 ? (size_t)page :
							   65536);
	p = mmap(NULL, ctx_size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die_perror("Can't map pages for the configuration");

	return p;
}

/**
 * is_ctl_event() - Tell if an event is about the control socket
 * @ev:		Event
 *
 * Return: true for the listening control socket and its client
 */
static bool is_ctl_event(const struct epoll_event *ev)
{
	union epoll_ref ref = { .u64 = ev->data.u64 };

	return ref.type == EPOLL_TYPE_CTL_LISTEN || ref.type == EPOLL_TYPE_CTL;
}

#ifdef SECCOMP_TOOLS
const char *__asan_default_options(void);

/**
 * __asan_default_options() - Options for AddressSanitizer, built in
 *
 * LeakSanitizer walks /proc/self/task at exit, which the sandbox took
 * away with the root directory, and fails the exit status for it: nothing
 * it could find matters here anyway, the data path allocates nothing.
 *
 * Return: option string
 */
const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}
#endif

/**
 * main() - Entry point, and the life of the process, top to bottom
 * @argc:	Argument count
 * @argv:	Options, and for pasta a target or command
 *
 * Return: non-zero on failure; normally we exit from the loop
 */
int main(int argc, char **argv)
{
	struct epoll_event events[EPOLL_EVENTS];
	int timeout_ms, n, i, late;
	struct ctx *c;

	c = ctx_alloc();
	c->run = &ctx_run;

	/* 1. Who are we: the name we were run as decides the mode */
	c->mode = mode_from_name(argv[0]);
	log_set_name(c->mode == MODE_PASTA ? "pasta" : "passt");
	isolate_initial(argc, argv);

	/* 2. Parse options, probe the host's interfaces and resolver */
	conf(c, argc, argv);

	c->epollfd = epoll_create1(EPOLL_CLOEXEC);
	if (c->epollfd < 0)
		die_perror("Can't create epoll descriptor");

	/* 3. Open everything we'll ever need: nothing is opened later */
	flow_init(flow_max());
	fd_spare_init();
	if (c->mode == MODE_PASTA) {
		pasta_start(c);
		pasta_ns_conf(c);
		if (c->pasta_child_pid)
			c->foreground = true;
	}
	/* Files named on the command line, with the rights of who started us */
	if (*c->log_file)
		log_open_file(c->log_file, c->log_size);
	pcap_init(c);
	c->pidfile_fd = pidfile_open(c->pid_file);
	ctl_init(c);
	isolate_user(c);
	if (c->mode == MODE_PASST && c->vhost_user)
		link_vu_init(c);
	else if (c->mode == MODE_PASST)
		link_stream_init(c);
	tcp_init(c);
	fwd_listen_init(c);
	fwd_scan_init(c);
	if (!c->foreground)
		log_open_syslog();
	if (c->mode == MODE_PASTA)
		pasta_netns_quit_init(c);
	resolv_follow_init(c);
	follow_init(c);

	/* Netlink was for probing and setting up: done */
	if (c->nl_sock >= 0)
		close(c->nl_sock);
	if (c->nl_sock_ns >= 0)
		close(c->nl_sock_ns);
	c->nl_sock = c->nl_sock_ns = -1;

	/* 4. Detach, then lock down: from here on, no new files (but
	 * resolv.conf, see resolv.c) or sockets */
	isolate_prefork(c);
	if (!c->foreground) {
		log_file_start(isolate_daemon(c));
	} else {
		pidfile_write(c->pidfile_fd, getpid());
		c->pidfile_fd = -1;
		log_file_start(getpid());
	}
	/* A signalfd only wakes epoll up for the process that made it */
	signal_init(c);
	ctx_seal(c);
	/* pasta's helper for its namespace's addresses, in the sandbox but
	 * with one capability we're about to give up: see nshelper.c */
	nshelper_start(c);
	isolate_postfork(c);

#ifdef PASST_SECCOMP_TEST
	/* Test builds only: prove that a call off the list kills us, and
	 * that the configuration can't be written */
	if (getenv("PASST_SECCOMP_TEST"))
		syscall(SYS_getpgrp);
	if (getenv("PASST_SEAL_TEST"))
		*(volatile int *)&c->mtu = 1500;
#endif

	/* 5. Serve: the command in pasta's namespace can start now */
	isolate_ready();
	if (c->mode == MODE_PASTA) {
		pasta_release_child(c);
		tap_start(c);
	}

	clock_gettime(CLOCK_MONOTONIC, &c->run->now);
	for (i = 0; i < (int)ARRAY_SIZE(periodic); i++) {
		periodic[i].last = c->run->now;
		if (periodic[i].fn == stats_report)
			periodic[i].interval_ms = c->stats_delay * 1000;
	}

	for (;;) {
		timeout_ms = quit_timeout(c, periodic_run(c, &c->run->now));

		n = epoll_wait(c->epollfd, events, EPOLL_EVENTS, timeout_ms);
		if (n < 0 && errno != EINTR)
			die_perror("epoll_wait() failed");

		clock_gettime(CLOCK_MONOTONIC, &c->run->now);

		/* Control requests last: a change of forwarding closes
		 * sockets that events of this batch may still be about */
		for (i = 0, late = 0; i < n; i++) {
			if (is_ctl_event(&events[i]))
				events[late++] = events[i];
			else
				dispatch(c, &events[i], &c->run->now);
		}
		for (i = 0; i < late; i++)
			dispatch(c, &events[i], &c->run->now);

		tcp_defer_flush(c);
		flow_free_release();
		quit_check(c);
	}
}
