/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * passt - user-mode networking for virtual machines and namespaces
 *
 * netlink.h - Read and change links, addresses and routes over rtnetlink;
 * list bound sockets over socket diagnostics
 */

#ifndef NETLINK_H
#define NETLINK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct nlmsghdr;

int nl_sock_open(void);
int nl_sock_open_groups(uint32_t groups);
unsigned nl_get_ext_if(int s, sa_family_t af);
int nl_route_get_def(int s, unsigned ifi, sa_family_t af, void *gw);
int nl_addr_get(int s, unsigned ifi, sa_family_t af, void *addr,
		int *prefix_len, void *addr_ll);
int nl_link_get_mac(int s, unsigned ifi, void *mac);
int nl_link_get_mtu(int s, unsigned ifi);
const char *nl_link_get_name(int s, unsigned ifi, char *name);
const void *nl_ifa_local(const struct nlmsghdr *nh, uint32_t *flags);
int nl_addr_present(int s, sa_family_t af, const void *addr);
int nl_link_set_mac(int s, unsigned ifi, const void *mac);
int nl_link_set_mtu(int s, unsigned ifi, int mtu);
int nl_link_up(int s, unsigned ifi);
int nl_addr_set(int s, unsigned ifi, sa_family_t af, const void *addr,
		int prefix_len);
int nl_addr_keep(int s, unsigned ifi, sa_family_t af, const void *addr,
		 int prefix_len);
int nl_addr_expire(int s, unsigned ifi, sa_family_t af, const void *addr,
		   int prefix_len, uint32_t valid_s);
int nl_route_set_def(int s, unsigned ifi, sa_family_t af, const void *gw);
int nl_route_replace_def(int s, unsigned ifi, sa_family_t af, const void *gw,
			 const void *src);
int nl_route_del_def(int s, unsigned ifi, sa_family_t af, const void *gw);
int nl_route_dup(int s_src, unsigned ifi_src, int s_dst, unsigned ifi_dst,
		 sa_family_t af);
int nl_addr_dup(int s_src, unsigned ifi_src, int s_dst, unsigned ifi_dst,
		sa_family_t af);
int nl_diag_open(void);
int nl_diag_bound(int s, uint8_t proto, uint8_t *map);

#endif /* NETLINK_H */
