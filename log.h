/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * passt - user-mode networking for virtual machines and namespaces
 *
 * log.h - Logging to standard error, syslog and a size-bounded file
 */

#ifndef LOG_H
#define LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <syslog.h>
#include <sys/types.h>

#define LOG_SIZE_DEFAULT	(1024 * 1024)
#define LOG_SIZE_MIN		4096

extern int log_level;
extern bool log_trace;

void logmsg(int pri, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void logmsg_perror(int pri, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void die_(bool with_errno, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

#define err(...)		logmsg(LOG_ERR, __VA_ARGS__)
#define warn(...)		logmsg(LOG_WARNING, __VA_ARGS__)
#define info(...)		logmsg(LOG_INFO, __VA_ARGS__)
#define debug(...)							\
	do {								\
		if (log_level >= LOG_DEBUG)				\
			logmsg(LOG_DEBUG, __VA_ARGS__);			\
	} while (0)
#define trace(...)							\
	do {								\
		if (log_trace)						\
			logmsg(LOG_DEBUG, __VA_ARGS__);			\
	} while (0)

#define err_perror(...)		logmsg_perror(LOG_ERR, __VA_ARGS__)
#define warn_perror(...)	logmsg_perror(LOG_WARNING, __VA_ARGS__)
#define debug_perror(...)						\
	do {								\
		if (log_level >= LOG_DEBUG)				\
			logmsg_perror(LOG_DEBUG, __VA_ARGS__);		\
	} while (0)

#define die(...)		die_(false, __VA_ARGS__)
#define die_perror(...)		die_(true, __VA_ARGS__)

/* Log once per process lifetime from a given call site */
#define warn_once(...)							\
	do {								\
		static bool warned_;					\
		if (!warned_) {						\
			warned_ = true;					\
			warn(__VA_ARGS__);				\
		}							\
	} while (0)

void log_set_name(const char *name);
void log_set_level(int level, bool trace_on);
void log_to_stderr(bool on);
void log_open_syslog(void);
void log_open_file(const char *path, size_t size);
void log_file_start(pid_t pid);
int log_file_fd(void);
int log_syslog_fd(void);

#endif /* LOG_H */
