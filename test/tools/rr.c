// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * test/tools/rr.c - Request/response and connection rates, for benchmarks
 *
 *   rr server PORT                  echo server: UDP and TCP on PORT, every
 *                                   address, both families
 *   rr udp HOST PORT SECONDS        1-byte UDP ping-pong: transactions/s
 *   rr tcp HOST PORT SECONDS        1-byte TCP ping-pong on one connection
 *   rr crr HOST PORT SECONDS        connect, 1 byte each way, close: rate
 *   rr costs                        what this machine charges for a system
 *                                   call and for a wake-up, on one CPU and
 *                                   across two: the floor under every rate
 *
 * Clients print one number: operations per second.
 */

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>

#define MAX_CONNS	1024

/**
 * die() - Print an error and exit
 * @what:	What failed
 */
static void die(const char *what)
{
	perror(what);
	exit(1);
}

/**
 * now_s() - Monotonic time
 *
 * Return: seconds
 */
static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/**
 * addr_get() - Socket address for a literal address and port
 * @host:	Address
 * @port:	Port
 * @sa:		Result
 *
 * Return: length of @sa
 */
static socklen_t addr_get(const char *host, int port,
			  struct sockaddr_storage *sa)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;
	struct sockaddr_in *s4 = (struct sockaddr_in *)sa;

	memset(sa, 0, sizeof(*sa));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		return sizeof(*s4);
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		return sizeof(*s6);
	}
	fprintf(stderr, "Bad address %s\n", host);
	exit(1);
}

/**
 * server() - Echo UDP datagrams and TCP bytes back
 * @port:	Port
 */
static void server(int port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6,
				  .sin6_port = htons(port) };
	struct pollfd p[MAX_CONNS + 2];
	int zero = 0, one = 1, n = 2, i;
	char buf[65536];

	p[0].fd = socket(AF_INET6, SOCK_DGRAM, 0);
	p[1].fd = socket(AF_INET6, SOCK_STREAM, 0);
	for (i = 0; i < 2; i++) {
		setsockopt(p[i].fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero,
			   sizeof(zero));
		setsockopt(p[i].fd, SOL_SOCKET, SO_REUSEADDR, &one,
			   sizeof(one));
		if (bind(p[i].fd, (struct sockaddr *)&a, sizeof(a)))
			die("bind");
		p[i].events = POLLIN;
	}
	if (listen(p[1].fd, 1024))
		die("listen");

	for (;;) {
		if (poll(p, n, -1) < 0)
			die("poll");

		if (p[0].revents & POLLIN) {
			struct sockaddr_storage peer;
			socklen_t sl = sizeof(peer);
			ssize_t r = recvfrom(p[0].fd, buf, sizeof(buf), 0,
					     (struct sockaddr *)&peer, &sl);

			if (r >= 0)
				sendto(p[0].fd, buf, r, 0,
				       (struct sockaddr *)&peer, sl);
		}

		if ((p[1].revents & POLLIN) && n < MAX_CONNS + 2) {
			int s = accept(p[1].fd, NULL, NULL);

			if (s >= 0) {
				setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one,
					   sizeof(one));
				p[n].fd = s;
				p[n++].events = POLLIN;
			}
		}

		for (i = 2; i < n; i++) {
			ssize_t r;

			if (!p[i].revents)
				continue;
			r = recv(p[i].fd, buf, sizeof(buf), 0);
			if (r > 0 && send(p[i].fd, buf, r, MSG_NOSIGNAL) == r)
				continue;
			close(p[i].fd);
			p[i--] = p[--n];
		}
	}
}

/**
 * pingpong() - One byte there and back, as many times as possible
 * @s:		Connected socket
 * @secs:	Duration
 *
 * Return: round trips per second
 */
static double pingpong(int s, double secs)
{
	double start = now_s(), end = start + secs;
	unsigned long n = 0;
	char c = 'x';

	while (now_s() < end) {
		if (send(s, &c, 1, 0) != 1 || recv(s, &c, 1, 0) != 1)
			die("ping-pong");
		n++;
	}

	return n / (now_s() - start);
}

/**
 * crr() - Connect, one byte each way, close: as many times as possible
 * @sa:		Server address
 * @sl:		Length of @sa
 * @secs:	Duration
 *
 * Return: connections per second
 */
static double crr(const struct sockaddr_storage *sa, socklen_t sl,
		  double secs)
{
	double start = now_s(), end = start + secs;
	unsigned long n = 0;
	char c = 'x';
	int one = 1;

	while (now_s() < end) {
		int s = socket(sa->ss_family, SOCK_STREAM, 0);

		setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(s, (const struct sockaddr *)sa, sl) ||
		    send(s, &c, 1, 0) != 1 || recv(s, &c, 1, 0) != 1)
			die("connect/request/response");
		close(s);
		n++;
	}

	return n / (now_s() - start);
}

/**
 * pin() - Keep the calling process on one CPU
 * @cpu:	CPU number
 */
static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity");
}

/**
 * wake_rtt() - Two processes hand a byte back and forth over two pipes
 * @cpu0:	CPU of this process
 * @cpu1:	CPU of the other one
 *
 * Each trip is two wake-ups and four system calls (a write and a read each
 * side), and nothing else: no network stack.
 *
 * Return: microseconds a round trip
 */
static double wake_rtt(int cpu0, int cpu1)
{
	const unsigned long trips = 20000;
	int there[2], back[2], status;
	double start, end;
	unsigned long i;
	char c = 'x';
	pid_t pid;

	if (pipe(there) || pipe(back))
		die("pipe");

	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		pin(cpu1);
		for (i = 0; i < trips; i++) {
			if (read(there[0], &c, 1) != 1 ||
			    write(back[1], &c, 1) != 1)
				_exit(1);
		}
		_exit(0);
	}

	pin(cpu0);
	start = now_s();
	for (i = 0; i < trips; i++) {
		if (write(there[1], &c, 1) != 1 || read(back[0], &c, 1) != 1)
			die("pipe ping-pong");
	}
	end = now_s();

	if (waitpid(pid, &status, 0) != pid || status)
		die("pipe ping-pong: other side");
	close(there[0]);
	close(there[1]);
	close(back[0]);
	close(back[1]);

	return (end - start) * 1e6 / trips;
}

/**
 * costs() - Print what a system call and a wake-up cost here
 *
 * A null system call (getppid()), then a pipe ping-pong with both sides on
 * the first CPU we may run on, then (with two or more) across the first two.
 * The affinity of the caller is back as it was afterwards.
 */
static void costs(void)
{
	const unsigned long calls = 200000;
	int cpu0 = -1, cpu1 = -1, i;
	cpu_set_t orig;
	double start;
	unsigned long n;

	if (sched_getaffinity(0, sizeof(orig), &orig))
		die("sched_getaffinity");
	for (i = 0; i < CPU_SETSIZE && cpu1 < 0; i++) {
		if (!CPU_ISSET(i, &orig))
			continue;
		if (cpu0 < 0)
			cpu0 = i;
		else
			cpu1 = i;
	}

	start = now_s();
	for (n = 0; n < calls; n++)
		syscall(SYS_getppid);
	printf("system call %.2f us; ", (now_s() - start) * 1e6 / calls);

	printf("wake-up round trip %.1f us on one CPU",
	       wake_rtt(cpu0, cpu0));
	if (cpu1 >= 0)
		printf(", %.1f us across two", wake_rtt(cpu0, cpu1));
	printf("\n");

	if (sched_setaffinity(0, sizeof(orig), &orig))
		die("sched_setaffinity");
}

/**
 * main() - Entry point
 * @argc:	Argument count
 * @argv:	Mode and its arguments
 *
 * Return: 0
 */
int main(int argc, char **argv)
{
	struct sockaddr_storage sa;
	double secs, rate;
	socklen_t sl;
	int s, one = 1;

	if (argc == 2 && !strcmp(argv[1], "costs")) {
		costs();
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "server")) {
		server(atoi(argv[2]));
		return 0;
	}
	if (argc != 5) {
		fprintf(stderr, "Usage: %s server PORT\n"
			"       %s udp|tcp|crr HOST PORT SECONDS\n"
			"       %s costs\n",
			argv[0], argv[0], argv[0]);
		return 1;
	}

	sl = addr_get(argv[2], atoi(argv[3]), &sa);
	secs = atof(argv[4]);

	if (!strcmp(argv[1], "crr")) {
		rate = crr(&sa, sl, secs);
	} else {
		int udp = !strcmp(argv[1], "udp");

		struct timeval tv = { .tv_sec = 2 };

		s = socket(sa.ss_family, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
		setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (!udp)
			setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one,
				   sizeof(one));
		if (connect(s, (struct sockaddr *)&sa, sl))
			die("connect");
		rate = pingpong(s, secs);
	}

	printf("%.0f\n", rate);
	return 0;
}
