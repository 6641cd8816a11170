// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * log.c - Logging to standard error, syslog and a size-bounded file
 *
 * Messages go to standard error while we run in the foreground (and always
 * during start-up, until we detach), to a log file if one was given, and to
 * syslog otherwise. The log file is kept below a size limit by cutting its
 * oldest lines away, in place, whenever a write would exceed it: the file
 * is opened once, before sandboxing, and never reopened.
 *
 * The first line of the log file names the program, its version and the
 * process ID that serves (the one in the PID file): that's known only once
 * we detached, so lines logged before wait in a buffer until then. Cuts
 * keep that line.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "log.h"
#include "util.h"

/* #syscalls write pread64 pwrite64 ftruncate sendto getpid clock_gettime */

#define LOG_LINE_MAX		2048
#define LOG_MOVE_CHUNK		4096
#define LOG_HOLD_MAX		16384

int log_level = LOG_INFO;
bool log_trace;

static const char *log_name = "passt";
static bool log_stderr = true;
static int log_sock = -1;
static int log_fd = -1;
static size_t log_size;
static size_t log_written;
static size_t log_header_len;		/* First line, kept by cuts */
static bool log_holding;		/* Header not written yet */
static char log_hold[LOG_HOLD_MAX];	/* Lines logged before it */
static size_t log_hold_len;
static struct timespec log_start;

/**
 * log_set_name() - Set the program name used as syslog tag
 * @name:	"passt" or "pasta", static storage
 */
void log_set_name(const char *name)
{
	log_name = name;
	clock_gettime(CLOCK_MONOTONIC, &log_start);
}

/**
 * log_set_level() - Set the highest priority that is still printed
 * @level:	syslog priority, LOG_ERR for quiet, LOG_DEBUG for debug
 * @trace_on:	Also print per-packet messages
 */
void log_set_level(int level, bool trace_on)
{
	log_level = level;
	log_trace = trace_on;
}

/**
 * log_to_stderr() - Enable or disable messages to standard error
 * @on:		Whether to print to standard error
 */
void log_to_stderr(bool on)
{
	log_stderr = on;
}

/**
 * log_open_syslog() - Connect to the local syslog socket, before sandboxing
 */
void log_open_syslog(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX,
				    .sun_path = "/dev/log" };
	int s;

	if (log_sock >= 0)
		return;

	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return;

	if (connect(s, (struct sockaddr *)&addr, sizeof(addr))) {
		close(s);
		return;
	}

	log_sock = s;
}

/**
 * log_syslog_fd() - Descriptor of the syslog socket, for fd bookkeeping
 *
 * Return: descriptor, or -1 if none
 */
int log_syslog_fd(void)
{
	return log_sock;
}

/**
 * log_file_fd() - Descriptor of the log file, for fd bookkeeping
 *
 * Return: descriptor, or -1 if none
 */
int log_file_fd(void)
{
	return log_fd;
}

/**
 * log_open_file() - Open (truncating) the log file
 * @path:	Path of the log file
 * @size:	Size limit in bytes
 */
void log_open_file(const char *path, size_t size)
{
	int fd = open(path, O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0600);

	if (fd < 0)
		die_perror("Can't open log file %s", path);

	log_fd = fd;
	log_size = size;
	log_written = 0;
	log_holding = true;
}

/**
 * log_file_cut() - Drop the oldest lines of the log file to make room
 * @need:	Bytes that must fit after the cut
 *
 * At least a quarter of the file goes, rounded up to the next line start,
 * so that cuts stay rare. The surviving tail moves to just after the first
 * line in small chunks: the destination is always before the source.
 *
 * Return: 0 on success, -1 on error (the file is then truncated to its
 *	   first line)
 */
static int log_file_cut(size_t need)
{
	char buf[LOG_MOVE_CHUNK];
	size_t cut = MAX(log_size / 4, need), from, to = log_header_len;
	ssize_t n;

	if (to + cut >= log_written)
		goto empty;

	/* Find the first line start at or after @cut, past the first line */
	for (from = to + cut; from < log_written; ) {
		char *nl;

		n = pread(log_fd, buf, MIN(sizeof(buf), log_written - from),
			  from);
		if (n <= 0)
			goto empty;
		nl = memchr(buf, '\n', n);
		if (nl) {
			from += nl - buf + 1;
			break;
		}
		from += n;
	}

	while (from < log_written) {
		n = pread(log_fd, buf, MIN(sizeof(buf), log_written - from),
			  from);
		if (n <= 0 || pwrite(log_fd, buf, n, to) != n)
			goto empty;
		from += n;
		to += n;
	}

	if (ftruncate(log_fd, to))
		goto empty;
	log_written = to;
	return 0;

empty:
	if (ftruncate(log_fd, log_header_len))
		return -1;
	log_written = log_header_len;
	return -1;
}

/**
 * log_file_write() - Append a line to the log file, cutting it if needed
 * @line:	Line, terminated by a newline
 * @len:	Length of @line
 */
static void log_file_write(const char *line, size_t len)
{
	ssize_t n;

	if (log_holding) {
		if (log_hold_len + len <= sizeof(log_hold)) {
			memcpy(log_hold + log_hold_len, line, len);
			log_hold_len += len;
			return;
		}
		log_file_start(getpid());
	}

	if (log_header_len + len > log_size)
		return;

	if (log_written + len > log_size)
		log_file_cut(log_written + len - log_size);

	n = pwrite(log_fd, line, len, log_written);
	if (n > 0)
		log_written += n;
}

/**
 * log_file_start() - Write the first line of the log file, then what waited
 * @pid:	Process ID that serves, as seen from outside
 */
void log_file_start(pid_t pid)
{
	size_t off, len;
	char line[128];
	int n;

	if (log_fd < 0 || !log_holding)
		return;
	log_holding = false;

	n = snprintf(line, sizeof(line), "%s %s, PID %i\n", log_name,
		     passt_version(), (int)pid);
	if (n > 0 && (size_t)n < sizeof(line) &&
	    pwrite(log_fd, line, n, 0) == n)
		log_written = log_header_len = n;

	for (off = 0; off < log_hold_len; off += len) {
		const char *nl = memchr(log_hold + off, '\n',
					log_hold_len - off);

		len = nl ? (size_t)(nl - log_hold - off) + 1 :
			   log_hold_len - off;
		log_file_write(log_hold + off, len);
	}
	log_hold_len = 0;
}

/**
 * log_line() - Format and emit one message to every enabled destination
 * @pri:	syslog priority
 * @msg:	Message, without trailing newline
 */
static void log_line(int pri, const char *msg)
{
	char line[LOG_LINE_MAX + 64];
	struct timespec now;
	long long ms_us;
	int n;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms_us = (now.tv_sec - log_start.tv_sec) * 1000000LL +
		(now.tv_nsec - log_start.tv_nsec) / 1000;

	if (log_stderr) {
		if (log_level >= LOG_DEBUG)
			n = snprintf(line, sizeof(line), "%lli.%06lli: %s\n",
				     ms_us / 1000000, ms_us % 1000000, msg);
		else
			n = snprintf(line, sizeof(line), "%s\n", msg);
		/* Nothing sensible to do if this fails */
		(void)!write(STDERR_FILENO, line,
			     MIN((size_t)n, sizeof(line) - 1));
	}

	if (log_fd >= 0) {
		n = snprintf(line, sizeof(line), "%lli.%06lli: %s\n",
			     ms_us / 1000000, ms_us % 1000000, msg);
		log_file_write(line, MIN((size_t)n, sizeof(line) - 1));
	}

	if (log_sock >= 0 && log_fd < 0 && !log_stderr) {
		n = snprintf(line, sizeof(line), "<%i>%s[%i]: %s",
			     LOG_DAEMON | pri, log_name, getpid(), msg);
		send(log_sock, line, MIN((size_t)n, sizeof(line) - 1),
		     MSG_DONTWAIT);
	}
}

/**
 * logmsg_va() - Log a formatted message at a priority, with optional errno
 * @pri:	syslog priority
 * @errnum:	errno value to describe, or 0
 * @fmt:	printf() format
 * @ap:		Arguments
 */
static void logmsg_va(int pri, int errnum, const char *fmt, va_list ap)
{
	char msg[LOG_LINE_MAX];
	int n;

	if (pri > log_level)
		return;

	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (errnum && n >= 0 && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(errnum));

	log_line(pri, msg);
}

/**
 * logmsg() - Log a formatted message at a given priority
 * @pri:	syslog priority
 * @fmt:	printf() format
 */
void logmsg(int pri, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	logmsg_va(pri, 0, fmt, ap);
	va_end(ap);
}

/**
 * logmsg_perror() - Log a formatted message followed by the errno string
 * @pri:	syslog priority
 * @fmt:	printf() format
 */
void logmsg_perror(int pri, const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;

	va_start(ap, fmt);
	logmsg_va(pri, errnum, fmt, ap);
	va_end(ap);
	errno = errnum;
}

/**
 * die_() - Log an error and exit with status 1
 * @with_errno:	Append the description of errno
 * @fmt:	printf() format
 */
void die_(bool with_errno, const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;

	va_start(ap, fmt);
	logmsg_va(LOG_ERR, with_errno ? errnum : 0, fmt, ap);
	va_end(ap);

	log_file_start(getpid());
	_exit(EXIT_FAILURE);
}
