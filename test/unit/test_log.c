// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * test/unit/test_log.c - Size-bounded log file: cutting the oldest lines
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "log.h"
#include "util.h"
#include "unit.h"

#define LIMIT		4096

/**
 * main() - Run the checks
 *
 * Return: 0 if all passed
 */
int main(void)
{
	char path[] = "/tmp/passt-test-log-XXXXXX", buf[LIMIT * 2];
	struct stat st;
	int fd = mkstemp(path), i, max = 0;
	ssize_t n;

	if (fd < 0)
		return EXIT_FAILURE;
	close(fd);

	log_to_stderr(false);
	log_set_level(LOG_DEBUG, false);
	log_open_file(path, LIMIT);

	for (i = 0; i < 1000; i++) {
		debug("line %04i of some length to fill the file quickly", i);
		if (stat(path, &st) || st.st_size > max)
			max = st.st_size;
	}

	n = read_file(path, buf, sizeof(buf));
	CHECKF(max <= LIMIT, "log_file_never_exceeds_limit (max %i)", max);
	CHECK("log_file_keeps_newest_line",
	      n > 0 && strstr(buf, "line 0999 of some"));
	CHECK("log_file_dropped_oldest", n > 0 && !strstr(buf, "line 0000 "));
	CHECK("log_file_cut_at_line_start",
	      n > 0 && strchr(buf, ':') && buf[n - 1] == '\n' &&
	      !strncmp(strchr(buf, ':'), ": line ", 7));
	CHECK("log_file_keeps_most_of_limit", n > LIMIT / 2);

	unlink(path);
	return unit_exit();
}
