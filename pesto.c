// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * pesto.c - Client of the control socket of a running passt or pasta
 *
 * pesto [-d] [-s] [-A|-D] [-C PIF] [-t|-u|-T|-U SPEC]... PATH
 * pesto --flows PATH
 * pesto --stats PATH
 *
 * Without changes, prints the forwarding tables. Specifications after -A
 * are added, after -D deleted, and before either, replace the table of
 * their option; -A and -D may alternate. The whole change is one request:
 * it's applied whole, or not at all. The daemon parses the specifications
 * with the parser of its own command line; pesto only carries them.
 *
 * Once connected, pesto runs under a seccomp filter of its own: it reads,
 * writes and exits.
 */

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "ctl_proto.h"
#include "seccomp.h"

/* #syscalls:pesto read write close exit_group exit */
/* #syscalls:pesto recvfrom sendto writev */

/* From the Makefile: the same version as passt's */
#ifndef VERSION
#define VERSION			"unknown"
#endif

#define OPT_FLOWS		256
#define OPT_STATS		257
#define OPT_VERSION		258

/* Operation types, as enum fwd_op_type in fwd.h */
#define OP_ADD			1
#define OP_DEL			2
#define OP_REPLACE		3
#define OP_CLEAR		4

static bool debug;
static char req[sizeof(struct ctl_hdr) + CTL_PAYLOAD_MAX];
static char rep[CTL_PAYLOAD_MAX + 1];
static char out_buf[BUFSIZ];

#ifdef SECCOMP_TOOLS
const char *__asan_default_options(void);

/**
 * __asan_default_options() - Options for AddressSanitizer, built in
 *
 * LeakSanitizer stops the process with ptrace() at exit to look for leaks:
 * the filter doesn't allow that, and pesto allocates nothing anyway.
 *
 * Return: option string
 */
const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}
#endif

/**
 * usage() - Print how to use pesto, exit
 * @name:	Name we were run as
 * @status:	Exit status: 0 to standard output, else to standard error
 */
__attribute__((noreturn))
static void usage(const char *name, int status)
{
	fprintf(status ? stderr : stdout,
"Usage: %s [OPTION]... [-t|-u|-T|-U SPEC]... PATH\n"
"       %s --flows PATH\n"
"       %s --stats PATH\n"
"\n"
"Show or change port forwarding of a running passt or pasta, through its\n"
"control socket PATH (its -c option). With no change given, print the\n"
"forwarding tables.\n"
"\n"
"  -t, --tcp-ports SPEC  TCP ports from the host (passt's and pasta's -t)\n"
"  -u, --udp-ports SPEC  UDP ports from the host (-u)\n"
"  -T, --tcp-ns SPEC     TCP ports from pasta's namespace (-T)\n"
"  -U, --udp-ns SPEC     UDP ports from pasta's namespace (-U)\n"
"                        SPEC: as on passt's and pasta's command line\n"
"  -A, --add             Add the specifications that follow\n"
"  -D, --delete          Delete the specifications that follow, given as\n"
"                        they were added\n"
"                        Specifications before -A and -D replace the\n"
"                        table of their option\n"
"  -C, --clear PIF       Clear the tables of one side: host (-t, -u) or\n"
"                        splice (-T, -U)\n"
"  -s, --show            Print the tables before and after the change\n"
"      --flows           List the flows: connections, UDP and ICMP flows\n"
"      --stats           Print the counters\n"
"  -d, --debug           Print what's sent and received\n"
"  -h, --help            Print this help and exit\n"
"      --version         Print the version and exit\n"
"\n"
"A change is applied whole, or not at all. Exit status: 0 on success, 1 on\n"
"any failure.\n", name, name, name);
	exit(status);
}

/**
 * fail() - Print a message, exit with status 1
 * @fmt:	printf() format
 */
__attribute__((noreturn, format(printf, 1, 2)))
static void fail(const char *fmt, ...)
{
	va_list ap;

	fputs("pesto: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_FAILURE);
}

/**
 * sandbox() - Allow nothing but reading, writing and exiting from now on
 */
static void sandbox(void)
{
	struct sock_fprog prog = {
		.len = sizeof(seccomp_filter_pesto) /
		       sizeof(seccomp_filter_pesto[0]),
		.filter = (struct sock_filter *)seccomp_filter_pesto,
	};

	/* stdio would ask the system about the descriptors on first use */
	setvbuf(stdout, out_buf, _IOFBF, sizeof(out_buf));
	setvbuf(stderr, NULL, _IONBF, 0);

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		fail("Can't apply the seccomp filter: %s", strerror(errno));
}

/**
 * send_all() - Write a whole buffer to the socket
 * @s:		Socket
 * @buf:	Data
 * @len:	Length
 *
 * If the other side closed, its reason may be waiting to be read: the
 * caller reads a reply either way.
 */
static void send_all(int s, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(s, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
			return;
		if (n <= 0)
			fail("Can't send request: %s", strerror(errno));
		buf += n;
		len -= n;
	}
}

/**
 * recv_all() - Read exactly a given number of bytes from the socket
 * @s:		Socket
 * @buf:	Destination
 * @len:	Length
 */
static void recv_all(int s, char *buf, size_t len)
{
	while (len) {
		ssize_t n = recv(s, buf, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fail("Can't receive reply: %s", strerror(errno));
		if (n == 0)
			fail("Connection closed without a reply");
		buf += n;
		len -= n;
	}
}

/**
 * request() - Send a request, print its reply
 * @s:		Socket
 * @type:	enum ctl_type
 * @len:	Payload length, payload in @req after the header
 *
 * Return: true if the reply is a success, false for an error (printed)
 */
static bool request(int s, uint16_t type, size_t len)
{
	struct ctl_hdr h = {
		.magic = htonl(CTL_MAGIC), .version = htons(CTL_VERSION),
		.type = htons(type), .len = htonl(len),
	};

	memcpy(req, &h, sizeof(h));
	if (debug)
		fprintf(stderr, "pesto: request %u, %zu bytes\n", type, len);
	send_all(s, req, sizeof(h) + len);

	for (;;) {
		uint32_t rlen;

		recv_all(s, (char *)&h, sizeof(h));
		if (ntohl(h.magic) != CTL_MAGIC)
			fail("Not a control socket of passt or pasta");
		rlen = ntohl(h.len);
		if (rlen > CTL_PAYLOAD_MAX)
			fail("Reply too long: %u bytes", rlen);
		recv_all(s, rep, rlen);
		rep[rlen] = '\0';
		if (debug)
			fprintf(stderr, "pesto: reply %u, %u bytes\n",
				ntohs(h.type), rlen);

		switch (ntohs(h.type)) {
		case CTL_REP_MORE:
			fwrite(rep, 1, rlen, stdout);
			continue;
		case CTL_REP_OK:
			fwrite(rep, 1, rlen, stdout);
			fflush(stdout);
			return true;
		case CTL_REP_ERROR:
			fflush(stdout);
			fprintf(stderr, "pesto: %s\n", rep);
			return false;
		default:
			fail("Unknown reply type %u", ntohs(h.type));
		}
	}
}

/**
 * add_op() - Append a change to the request
 * @len:	Payload length so far, updated
 * @type:	Operation
 * @opt:	Option letter of the table, 0 for clear
 * @arg:	Specification or side
 */
static void add_op(size_t *len, uint8_t type, char opt, const char *arg)
{
	struct ctl_op_hdr oh = { .type = type, .opt = (uint8_t)opt };
	size_t alen = strlen(arg);

	/* The terminator is copied too, not counted: the next record, or
	 * nothing that's sent, goes over it */
	if (alen > UINT16_MAX ||
	    *len + sizeof(oh) + alen + 1 > CTL_PAYLOAD_MAX)
		fail("Request too long");

	oh.len = htons(alen);
	memcpy(req + sizeof(struct ctl_hdr) + *len, &oh, sizeof(oh));
	memcpy(req + sizeof(struct ctl_hdr) + *len + sizeof(oh), arg,
	       alen + 1);
	*len += sizeof(oh) + alen;
}

/**
 * main() - Entry point
 * @argc:	Argument count
 * @argv:	Options and the path of the control socket
 *
 * Return: 0 on success, 1 on failure
 */
int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "debug",	no_argument,		NULL, 'd' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "show",	no_argument,		NULL, 's' },
		{ "add",	no_argument,		NULL, 'A' },
		{ "delete",	no_argument,		NULL, 'D' },
		{ "clear",	required_argument,	NULL, 'C' },
		{ "tcp-ports",	required_argument,	NULL, 't' },
		{ "udp-ports",	required_argument,	NULL, 'u' },
		{ "tcp-ns",	required_argument,	NULL, 'T' },
		{ "udp-ns",	required_argument,	NULL, 'U' },
		{ "flows",	no_argument,		NULL, OPT_FLOWS },
		{ "stats",	no_argument,		NULL, OPT_STATS },
		{ "version",	no_argument,		NULL, OPT_VERSION },
		{ 0 },
	};
	const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 :
						   argv[0];
	bool show = false, flows = false, stats = false, ok = true;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	uint8_t mode = OP_REPLACE;
	size_t len = 0;
	unsigned ops = 0;
	int opt, s;

	while ((opt = getopt_long(argc, argv, "+dhsADC:t:u:T:U:", options,
				  NULL)) != -1) {
		switch (opt) {
		case 'd':
			debug = true;
			break;
		case 'h':
			usage(name, EXIT_SUCCESS);
		case 's':
			show = true;
			break;
		case 'A':
			mode = OP_ADD;
			break;
		case 'D':
			mode = OP_DEL;
			break;
		case 'C':
			add_op(&len, OP_CLEAR, 0, optarg);
			ops++;
			break;
		case 't':
		case 'u':
		case 'T':
		case 'U':
			add_op(&len, mode, opt, optarg);
			ops++;
			break;
		case OPT_FLOWS:
			flows = true;
			break;
		case OPT_STATS:
			stats = true;
			break;
		case OPT_VERSION:
			printf("pesto %s\n", VERSION);
			return EXIT_SUCCESS;
		default:
			usage(name, EXIT_FAILURE);
		}
	}

	if (optind != argc - 1) {
		fprintf(stderr, "%s: %s\n", name, optind == argc ?
			"no control socket path given" :
			"one control socket path, after the options");
		usage(name, EXIT_FAILURE);
	}
	if ((flows || stats) && ops)
		fail("--flows and --stats don't go with changes");
	if (mode != OP_REPLACE && !ops)
		fail("-A or -D without a specification");

	if (strlen(argv[optind]) >= sizeof(sa.sun_path))
		fail("Path too long: %s", argv[optind]);
	strcpy(sa.sun_path, argv[optind]);

	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		fail("Can't create socket: %s", strerror(errno));
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)))
		fail("Can't connect to %s: %s", sa.sun_path, strerror(errno));

	sandbox();

	if (flows)
		ok = request(s, CTL_REQ_FLOWS, 0);
	if (stats && ok)
		ok = request(s, CTL_REQ_STATS, 0);
	if (flows || stats)
		return ok ? EXIT_SUCCESS : EXIT_FAILURE;

	if (!ops)
		return request(s, CTL_REQ_SHOW, 0) ? EXIT_SUCCESS :
						     EXIT_FAILURE;

	/* The change stays in the buffer: a show only rewrites the header */
	if (show) {
		printf("Before:\n");
		if (!request(s, CTL_REQ_SHOW, 0))
			return EXIT_FAILURE;
	}

	if (!request(s, CTL_REQ_CHANGE, len))
		return EXIT_FAILURE;

	if (show) {
		printf("After:\n");
		if (!request(s, CTL_REQ_SHOW, 0))
			return EXIT_FAILURE;
	}

	return EXIT_SUCCESS;
}
