// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * test/unit/test_tap_split.c - Where the payload of a frame starts, for
 * frames whose headers alone move into place (tap_frame_payload_off()), and
 * the bounds tap_rx_add_split() checks
 */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <net/ethernet.h>

#include "tap.h"
#include "unit.h"

#define ETH	14

/* A frame at an odd address: the function reads it byte by byte */
static uint8_t arena[256 + 1];
static uint8_t *const f = arena + 1;

/**
 * frame4() - Lay out Ethernet, IPv4 and a transport header in @f
 * @ihl:	IPv4 header length, in 32-bit words
 * @proto:	Transport protocol
 * @daddr0:	First byte of the destination address
 * @doff:	TCP data offset, in 32-bit words
 * @dport:	Destination port
 */
static void frame4(unsigned ihl, uint8_t proto, uint8_t daddr0,
		   unsigned doff, unsigned dport)
{
	size_t l4 = ETH + ihl * 4;

	memset(arena, 0, sizeof(arena));
	f[12] = 0x08;
	f[13] = 0x00;
	f[ETH] = 0x40 | ihl;
	f[ETH + 9] = proto;
	f[ETH + 16] = daddr0;
	f[l4 + 2] = dport >> 8;
	f[l4 + 3] = dport & 0xff;
	f[l4 + 12] = doff << 4;
}

/**
 * frame6() - Lay out Ethernet, IPv6 and a transport header in @f
 * @next:	Next header
 * @daddr0:	First byte of the destination address
 * @doff:	TCP data offset, in 32-bit words
 * @dport:	Destination port
 */
static void frame6(uint8_t next, uint8_t daddr0, unsigned doff,
		   unsigned dport)
{
	size_t l4 = ETH + 40;

	memset(arena, 0, sizeof(arena));
	f[12] = 0x86;
	f[13] = 0xdd;
	f[ETH] = 0x60;
	f[ETH + 6] = next;
	f[ETH + 24] = daddr0;
	f[l4 + 2] = dport >> 8;
	f[l4 + 3] = dport & 0xff;
	f[l4 + 12] = doff << 4;
}

/**
 * main() - Run the checks
 *
 * Return: 0 if all passed
 */
int main(void)
{
	size_t size;
	char *buf = tap_rx_buf(&size);

	frame4(5, 6, 203, 5, 80);
	CHECK("tcp4", tap_frame_payload_off(f, 200, false) == ETH + 20 + 20);
	CHECK("tcp4_headers_end_at_len",
	      tap_frame_payload_off(f, ETH + 40, false) == ETH + 40);
	CHECK("tcp4_truncated", !tap_frame_payload_off(f, ETH + 39, true));
	frame4(15, 6, 203, 15, 80);
	CHECK("tcp4_options_both",
	      tap_frame_payload_off(f, 200, false) == ETH + 60 + 60);
	CHECK("tcp4_options_truncated",
	      !tap_frame_payload_off(f, ETH + 60 + 59, false));
	frame4(5, 6, 203, 4, 80);
	CHECK("tcp4_data_offset_too_small",
	      !tap_frame_payload_off(f, 200, false));
	frame4(4, 6, 203, 5, 80);
	CHECK("ipv4_ihl_too_small", !tap_frame_payload_off(f, 200, false));

	frame4(5, 17, 203, 0, 5000);
	CHECK("udp4", tap_frame_payload_off(f, 200, true) == ETH + 20 + 8);
	CHECK("udp4_not_asked", !tap_frame_payload_off(f, 200, false));
	CHECK("udp4_truncated", !tap_frame_payload_off(f, ETH + 27, true));
	frame4(5, 17, 203, 0, 67);
	CHECK("udp4_dhcp_whole", !tap_frame_payload_off(f, 200, true));
	frame4(5, 17, 224, 0, 5000);
	CHECK("udp4_multicast_whole", !tap_frame_payload_off(f, 200, true));
	frame4(5, 17, 255, 0, 5000);
	CHECK("udp4_broadcast_whole", !tap_frame_payload_off(f, 200, true));
	frame4(5, 1, 203, 0, 0);
	CHECK("icmp4_whole", !tap_frame_payload_off(f, 200, true));

	frame6(6, 0x20, 8, 80);
	CHECK("tcp6_options",
	      tap_frame_payload_off(f, 200, false) == ETH + 40 + 32);
	CHECK("tcp6_truncated", !tap_frame_payload_off(f, ETH + 40 + 31, true));
	CHECK("ipv6_truncated", !tap_frame_payload_off(f, ETH + 39, true));
	frame6(17, 0x20, 0, 5000);
	CHECK("udp6", tap_frame_payload_off(f, 200, true) == ETH + 40 + 8);
	frame6(17, 0x20, 0, 547);
	CHECK("udp6_dhcpv6_whole", !tap_frame_payload_off(f, 200, true));
	frame6(17, 0xff, 0, 5000);
	CHECK("udp6_multicast_whole", !tap_frame_payload_off(f, 200, true));
	frame6(0, 0x20, 0, 5000);
	CHECK("ipv6_extension_header_whole",
	      !tap_frame_payload_off(f, 200, true));

	f[12] = 0x08;
	f[13] = 0x06;
	CHECK("arp_whole", !tap_frame_payload_off(f, 200, true));

	CHECK("split_in_buffer",
	      !tap_rx_add_split(buf + 2, 54, buf + 60, 1000));
	CHECK("split_rest_to_the_end",
	      !tap_rx_add_split(buf + 2, 54, buf + size - 1000, 1000));
	CHECK("split_rest_past_the_end",
	      tap_rx_add_split(buf + 2, 54, buf + size - 1000, 1001) == -1);
	CHECK("split_rest_outside_the_buffer",
	      tap_rx_add_split(buf + 2, 54, (char *)arena, 10) == -1);
	CHECK("split_head_past_the_end",
	      tap_rx_add_split(buf + size - 10, 54, buf + 60, 10) == -1);

	return unit_exit();
}
