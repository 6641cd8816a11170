/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * passt - user-mode networking for virtual machines and namespaces
 *
 * conf.h - Command line, and the configuration derived from the host
 */

#ifndef CONF_H
#define CONF_H

#include <stddef.h>
#include <stdint.h>

#include "inany.h"
#include "passt.h"
#include "resolv.h"

void conf(struct ctx *c, int argc, char **argv);
int conf_parse_mac(const char *s, unsigned char *mac);
int conf_parse_netmask(const char *s, int *prefix_len);
int conf_parse_seconds_ms(const char *s, long long max_ms, long long *ms);
int conf_parse_search(const char *s, struct dns_name *list, size_t max);

#endif /* CONF_H */
