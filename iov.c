// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * iov.c - Walking lists of buffers: sizes, slices, copies
 *
 * A frame, a datagram or a stream segment is often in several buffers: the
 * headers we built and a payload elsewhere, the chain of descriptors a
 * vhost-user guest gave, the pieces of a tail. A position in such a list
 * (struct iov_cur) moves over it as bytes are skipped, sliced out (new
 * buffers pointing into the old ones, nothing copied) or copied into other
 * buffers.
 */

#include <string.h>

#include "iov.h"
#include "util.h"

/**
 * iov_size() - Total length of a list of buffers
 * @iov:	Buffers
 * @n:		Number of buffers
 *
 * Return: sum of their lengths
 */
size_t iov_size(const struct iovec *iov, size_t n)
{
	size_t i, len = 0;

	for (i = 0; i < n; i++)
		len += iov[i].iov_len;

	return len;
}

/**
 * iov_cur_step() - Step over the rest of the current buffer if nothing is
 *		    left of it, and over empty buffers
 * @cur:	Position, updated
 */
static void iov_cur_step(struct iov_cur *cur)
{
	while (cur->i < cur->n && cur->off >= cur->iov[cur->i].iov_len) {
		cur->i++;
		cur->off = 0;
	}
}

/**
 * iov_cur_init() - Set a position at the start of a list of buffers
 * @cur:	Position, set
 * @iov:	Buffers
 * @n:		Number of buffers
 */
void iov_cur_init(struct iov_cur *cur, const struct iovec *iov, size_t n)
{
	cur->iov = iov;
	cur->n = n;
	cur->i = 0;
	cur->off = 0;
	iov_cur_step(cur);
}

/**
 * iov_cur_skip() - Move a position forward
 * @cur:	Position, updated
 * @len:	Bytes to skip
 *
 * Return: bytes skipped, less than @len if the buffers ended first
 */
size_t iov_cur_skip(struct iov_cur *cur, size_t len)
{
	size_t done = 0;

	while (done < len && !iov_cur_end(cur)) {
		size_t n = MIN(len - done,
			       cur->iov[cur->i].iov_len - cur->off);

		cur->off += n;
		done += n;
		iov_cur_step(cur);
	}

	return done;
}

/**
 * iov_cur_slice() - Take bytes from a position as buffers pointing into the
 *		     ones it walks, and move past them
 * @cur:	Position, updated
 * @len:	Bytes to take, SIZE_MAX for all that's left
 * @out:	Buffers, set
 * @max:	Room in @out
 * @took:	Bytes taken, set, unless NULL: less than @len if the buffers
 *		ended first, or @out was full
 *
 * Return: entries of @out set
 */
size_t iov_cur_slice(struct iov_cur *cur, size_t len, struct iovec *out,
		     size_t max, size_t *took)
{
	size_t k = 0, done = 0;

	while (done < len && k < max && !iov_cur_end(cur)) {
		const struct iovec *v = &cur->iov[cur->i];
		size_t n = MIN(len - done, v->iov_len - cur->off);

		out[k].iov_base = (char *)v->iov_base + cur->off;
		out[k++].iov_len = n;
		cur->off += n;
		done += n;
		iov_cur_step(cur);
	}

	if (took)
		*took = done;
	return k;
}

/**
 * iov_cur_copy() - Copy bytes from a position into other buffers, and move
 *		    past them
 * @cur:	Position, updated
 * @dst:	Buffers to fill, in order
 * @ndst:	Number of them
 *
 * Return: bytes copied: until @dst are full, or nothing is left at @cur
 */
size_t iov_cur_copy(struct iov_cur *cur, const struct iovec *dst,
		    size_t ndst)
{
	size_t d, doff = 0, done = 0;

	for (d = 0; d < ndst && !iov_cur_end(cur); ) {
		const struct iovec *v = &cur->iov[cur->i];
		size_t n = MIN(dst[d].iov_len - doff, v->iov_len - cur->off);

		if (n) {
			memcpy((char *)dst[d].iov_base + doff,
			       (const char *)v->iov_base + cur->off, n);
		}
		done += n;
		doff += n;
		cur->off += n;
		iov_cur_step(cur);
		if (doff == dst[d].iov_len) {
			d++;
			doff = 0;
		}
	}

	return done;
}
