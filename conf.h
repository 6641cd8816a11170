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

#define RESOLV_NS_MAX		16
#define RESOLV_FILE_MAX		(64 * 1024)

/**
 * struct resolv_conf - What we use of /etc/resolv.conf
 * @ns:		Name servers, in order
 * @ns_ll:	Name server is IPv6 link-local (it had a zone, or fe80::/10)
 * @nr_ns:	Number of name servers
 * @search:	Search domains of the last "search" or "domain" line
 * @nr_search:	Number of search domains
 */
struct resolv_conf {
	union inany_addr ns[RESOLV_NS_MAX];
	bool ns_ll[RESOLV_NS_MAX];
	unsigned nr_ns;
	struct dns_name search[DNS_SEARCH_MAX];
	unsigned nr_search;
};

void conf(struct ctx *c, int argc, char **argv);
void resolv_parse(const char *text, struct resolv_conf *r);
int conf_parse_mac(const char *s, unsigned char *mac);
int conf_parse_netmask(const char *s, int *prefix_len);
int conf_parse_seconds_ms(const char *s, long long max_ms, long long *ms);
int conf_parse_search(const char *s, struct dns_name *list, size_t max);

#endif /* CONF_H */
