// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * test/unit/test_nshelper.c - What pasta's helper takes: requests checked
 * field by field, as if a compromised pasta sent them
 */

#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "nshelper.h"
#include "unit.h"

/**
 * req4() - A valid IPv4 request
 *
 * Return: 192.0.2.2/24 via 192.0.2.1, replacing 198.51.100.2/24 via .1
 */
static struct nshelper_req req4(void)
{
	struct nshelper_req r = { .af = AF_INET, .prefix_len = 24,
				  .old_prefix_len = 24 };

	inet_pton(AF_INET, "192.0.2.2", r.addr);
	inet_pton(AF_INET, "192.0.2.1", r.gw);
	inet_pton(AF_INET, "198.51.100.2", r.old);
	inet_pton(AF_INET, "198.51.100.1", r.old_gw);
	return r;
}

/**
 * req6() - A valid IPv6 request
 *
 * Return: 2001:db8::2/64 via fe80::1, replacing nothing
 */
static struct nshelper_req req6(void)
{
	struct nshelper_req r = { .af = AF_INET6, .prefix_len = 64 };

	inet_pton(AF_INET6, "2001:db8::2", r.addr);
	inet_pton(AF_INET6, "fe80::1", r.gw);
	return r;
}

int main(void)
{
	struct nshelper_req r;

	r = req4();
	CHECK("nshelper_ipv4_valid", nshelper_valid(&r));
	r = req6();
	CHECK("nshelper_ipv6_valid", nshelper_valid(&r));

	r = req4();
	r.af = AF_UNIX;
	CHECK("nshelper_other_family", !nshelper_valid(&r));
	r = req4();
	r.pad = 1;
	CHECK("nshelper_pad_set", !nshelper_valid(&r));
	r = req4();
	r.prefix_len = 33;
	CHECK("nshelper_ipv4_prefix_33", !nshelper_valid(&r));
	r = req4();
	r.old_prefix_len = 255;
	CHECK("nshelper_old_prefix_255", !nshelper_valid(&r));
	r = req6();
	r.prefix_len = 129;
	CHECK("nshelper_ipv6_prefix_129", !nshelper_valid(&r));
	r = req6();
	r.prefix_len = 128;
	CHECK("nshelper_ipv6_prefix_128", nshelper_valid(&r));

	r = req4();
	memset(r.addr, 0, sizeof(r.addr));
	CHECK("nshelper_no_address", !nshelper_valid(&r));
	r = req4();
	inet_pton(AF_INET, "127.0.0.1", r.addr);
	CHECK("nshelper_ipv4_loopback", !nshelper_valid(&r));
	r = req4();
	inet_pton(AF_INET, "224.0.0.251", r.addr);
	CHECK("nshelper_ipv4_multicast", !nshelper_valid(&r));
	r = req4();
	inet_pton(AF_INET, "255.255.255.255", r.gw);
	CHECK("nshelper_ipv4_broadcast_gw", !nshelper_valid(&r));
	r = req4();
	r.addr[4] = 1;
	CHECK("nshelper_ipv4_trailing_bytes", !nshelper_valid(&r));
	r = req4();
	r.old_gw[15] = 1;
	CHECK("nshelper_ipv4_trailing_old_gw", !nshelper_valid(&r));
	r = req6();
	inet_pton(AF_INET6, "::1", r.addr);
	CHECK("nshelper_ipv6_loopback", !nshelper_valid(&r));
	r = req6();
	inet_pton(AF_INET6, "ff02::1", r.gw);
	CHECK("nshelper_ipv6_multicast_gw", !nshelper_valid(&r));
	r = req4();
	memset(r.old, 0, sizeof(r.old));
	memset(r.gw, 0, sizeof(r.gw));
	CHECK("nshelper_nothing_replaced_no_gw", nshelper_valid(&r));

	return unit_exit();
}
