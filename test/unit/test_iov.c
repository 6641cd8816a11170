// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * test/unit/test_iov.c - Positions in lists of buffers: skips, slices and
 * copies across buffer boundaries, empty buffers, running out
 */

#include <string.h>

#include "iov.h"
#include "unit.h"
#include "util.h"

/* "abc", "", "defgh", "", "", "ij": 10 bytes in six buffers */
static char b0[] = "abc", b2[] = "defgh", b5[] = "ij";
static const struct iovec src[] = {
	{ b0, 3 }, { NULL, 0 }, { b2, 5 }, { NULL, 0 }, { NULL, 0 }, { b5, 2 },
};

/**
 * flat() - Concatenate buffers into a string
 * @iov:	Buffers
 * @n:		Number of them
 * @out:	Buffer for the string, large enough
 *
 * Return: @out
 */
static const char *flat(const struct iovec *iov, size_t n, char *out)
{
	size_t i, len = 0;

	for (i = 0; i < n; i++) {
		memcpy(out + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	out[len] = '\0';
	return out;
}

/**
 * main() - Run the checks
 *
 * Return: 0 if all passed
 */
int main(void)
{
	struct iovec out[8], dst[3];
	char s[64], d0[4], d1[1], d2[16];
	struct iov_cur cur;
	size_t n, took, i;

	CHECK("iov_size", iov_size(src, ARRAY_SIZE(src)) == 10);
	CHECK("iov_size_none", iov_size(src, 0) == 0);

	/* Empty buffers at the start are stepped over */
	iov_cur_init(&cur, src + 1, 1);
	CHECK("iov_cur_init_only_empty_is_end", iov_cur_end(&cur));
	iov_cur_init(&cur, src + 3, 3);
	CHECK("iov_cur_init_steps_over_empty", cur.i == 2 && !cur.off);

	/* Skips: within a buffer, onto a boundary, past empty ones, too far */
	iov_cur_init(&cur, src, ARRAY_SIZE(src));
	CHECK("iov_cur_skip_within", iov_cur_skip(&cur, 2) == 2 &&
				      cur.i == 0 && cur.off == 2);
	CHECK("iov_cur_skip_to_boundary", iov_cur_skip(&cur, 1) == 1 &&
					   cur.i == 2 && cur.off == 0);
	CHECK("iov_cur_skip_over_empty", iov_cur_skip(&cur, 5) == 5 &&
					  cur.i == 5 && cur.off == 0);
	CHECK("iov_cur_skip_too_far", iov_cur_skip(&cur, 7) == 2 &&
				       iov_cur_end(&cur));
	CHECK("iov_cur_skip_at_end", iov_cur_skip(&cur, 1) == 0);

	/* Slices: every byte once, no empty entries, limits */
	iov_cur_init(&cur, src, ARRAY_SIZE(src));
	n = iov_cur_slice(&cur, SIZE_MAX, out, ARRAY_SIZE(out), &took);
	CHECK("iov_cur_slice_all", n == 3 && took == 10 &&
				    !strcmp(flat(out, n, s), "abcdefghij"));
	CHECK("iov_cur_slice_all_points_in", out[1].iov_base == b2);

	iov_cur_init(&cur, src, ARRAY_SIZE(src));
	iov_cur_skip(&cur, 1);
	n = iov_cur_slice(&cur, 4, out, ARRAY_SIZE(out), &took);
	CHECK("iov_cur_slice_across", n == 2 && took == 4 &&
				       !strcmp(flat(out, n, s), "bcde"));
	n = iov_cur_slice(&cur, 4, out, 1, &took);
	CHECK("iov_cur_slice_out_full", n == 1 && took == 3 &&
					 !strcmp(flat(out, n, s), "fgh"));
	n = iov_cur_slice(&cur, 0, out, ARRAY_SIZE(out), &took);
	CHECK("iov_cur_slice_nothing", n == 0 && took == 0);
	n = iov_cur_slice(&cur, 100, out, ARRAY_SIZE(out), NULL);
	CHECK("iov_cur_slice_rest", n == 1 && iov_cur_end(&cur) &&
				     !strcmp(flat(out, n, s), "ij"));

	/* Copies: into buffers of other sizes, an empty one among them */
	dst[0].iov_base = d0;
	dst[0].iov_len = sizeof(d0);
	dst[1].iov_base = d1;
	dst[1].iov_len = 0;
	dst[2].iov_base = d2;
	dst[2].iov_len = sizeof(d2);
	iov_cur_init(&cur, src, ARRAY_SIZE(src));
	iov_cur_skip(&cur, 1);
	n = iov_cur_copy(&cur, dst, ARRAY_SIZE(dst));
	CHECK("iov_cur_copy_count", n == 9 && iov_cur_end(&cur));
	CHECK("iov_cur_copy_first", !memcmp(d0, "bcde", 4));
	CHECK("iov_cur_copy_rest", !memcmp(d2, "fghij", 5));

	iov_cur_init(&cur, src, ARRAY_SIZE(src));
	n = iov_cur_copy(&cur, dst, 1);
	CHECK("iov_cur_copy_dst_full", n == 4 && cur.i == 2 && cur.off == 1);
	for (i = 0; i < sizeof(d2); i++)
		d2[i] = 0;
	dst[0].iov_base = d2;
	dst[0].iov_len = sizeof(d2);
	n = iov_cur_copy(&cur, dst, 1);
	CHECK("iov_cur_copy_goes_on", n == 6 && !memcmp(d2, "efghij", 6));

	return unit_exit();
}
