/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * passt - user-mode networking for virtual machines and namespaces
 *
 * resolv.h - The host's resolv.conf: name servers and search domains, at
 * start and as the file changes
 */

#ifndef RESOLV_H
#define RESOLV_H

#include <stdbool.h>
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

void resolv_parse(const char *text, struct resolv_conf *r);
void resolv_init(const struct ctx *c);
void resolv_log(const struct ctx *c, int pri);
void resolv_follow_init(const struct ctx *c);
void resolv_sandbox_hold(void);
void resolv_sandbox(void);
void resolv_follow_handler(const struct ctx *c, union epoll_ref ref);

#endif /* RESOLV_H */
