// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * test/unit/test_packet.c - Bounds checks of the packet pool
 */

#include <stdint.h>
#include <string.h>

#include "packet.h"
#include "unit.h"

#define BUF_SIZE	4096

/* The pool's buffer sits in the middle of a larger array, so that pointers
 * just outside it are still valid pointers to test with */
static char arena[3 * BUF_SIZE];
static char *const buf = arena + BUF_SIZE;

PACKET_POOL(pool, 4, arena + BUF_SIZE, BUF_SIZE);

/**
 * main() - Run the checks
 *
 * Return: 0 if all passed
 */
int main(void)
{
	size_t left = 12345;
	char *p;

	CHECK("packet_add_inside", !packet_add(&pool, buf + 100, 200));
	CHECK("packet_add_at_end", !packet_add(&pool, buf + BUF_SIZE - 10, 10));
	CHECK("packet_add_past_end_by_one",
	      packet_add(&pool, buf + BUF_SIZE - 10, 11) == -1);
	CHECK("packet_add_before_start", packet_add(&pool, buf - 1, 10) == -1);
	CHECK("packet_add_after_end",
	      packet_add(&pool, buf + BUF_SIZE + 1, 1) == -1);
	CHECK("packet_add_huge_len", packet_add(&pool, buf, SIZE_MAX) == -1);
	CHECK("pool_count_after_rejects", pool.count == 2);

	p = packet_get(&pool, 0, 0, 200, &left);
	CHECK("packet_get_whole", p == buf + 100 && left == 0);
	p = packet_get(&pool, 0, 10, 20, &left);
	CHECK("packet_get_middle_left", p == buf + 110 && left == 170);
	CHECK("packet_get_len_past_end_by_one",
	      !packet_get(&pool, 0, 0, 201, NULL));
	CHECK("packet_get_offset_past_end_by_one",
	      !packet_get(&pool, 0, 181, 20, NULL));
	CHECK("packet_get_last_byte", packet_get(&pool, 0, 199, 1, NULL) ==
				       buf + 299);
	CHECK("packet_get_zero_len_at_end",
	      packet_get(&pool, 0, 200, 0, &left) == buf + 300 && !left);
	CHECK("packet_get_zero_len_past_end",
	      !packet_get(&pool, 0, 201, 0, NULL));
	CHECK("packet_get_huge_offset",
	      !packet_get(&pool, 0, SIZE_MAX, 1, NULL));
	CHECK("packet_get_huge_len", !packet_get(&pool, 0, 0, SIZE_MAX, NULL));
	CHECK("packet_get_offset_plus_len_wraps",
	      !packet_get(&pool, 0, 2, SIZE_MAX - 1, NULL));
	CHECK("packet_get_offset_wraps",
	      !packet_get(&pool, 0, SIZE_MAX - 5, 10, NULL));
	CHECK("packet_get_bad_index", !packet_get(&pool, 2, 0, 1, NULL));
	CHECK("packet_get_huge_index",
	      !packet_get(&pool, SIZE_MAX, 0, 1, NULL));
	CHECK("packet_get_end_of_buffer",
	      packet_get(&pool, 1, 0, 10, NULL) == buf + BUF_SIZE - 10);
	CHECK("packet_len", packet_len(&pool, 0) == 200 &&
			    packet_len(&pool, 5) == 0);

	/* A descriptor corrupted to point outside the buffer is refused */
	pool.pkt[0].iov_base = buf + BUF_SIZE - 5;
	CHECK("packet_get_corrupt_descriptor",
	      !packet_get(&pool, 0, 0, 1, NULL));

	CHECK("packet_add_fill", !packet_add(&pool, buf, 1) &&
				 !packet_add(&pool, buf, 1));
	CHECK("packet_add_full", packet_add(&pool, buf, 1) == -1);
	pool_flush(&pool);
	CHECK("pool_flush", pool.count == 0 && !packet_get(&pool, 0, 0, 0, NULL));

	return unit_exit();
}
