/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * passt - user-mode networking for virtual machines and namespaces
 *
 * iov.h - Walking lists of buffers: sizes, slices, copies
 */

#ifndef IOV_H
#define IOV_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

/**
 * struct iov_cur - A position in a list of buffers
 * @iov:	Buffers
 * @n:		Number of buffers
 * @i:		Current buffer, @n once past the end
 * @off:	Offset in the current buffer, always less than its length
 *		(empty buffers are stepped over as the position moves)
 */
struct iov_cur {
	const struct iovec *iov;
	size_t n;
	size_t i;
	size_t off;
};

/**
 * iov_cur_end() - Tell if a position is past the last byte
 * @cur:	Position
 *
 * Return: true if no byte is left from there
 */
static inline bool iov_cur_end(const struct iov_cur *cur)
{
	return cur->i >= cur->n;
}

size_t iov_size(const struct iovec *iov, size_t n);
void iov_cur_init(struct iov_cur *cur, const struct iovec *iov, size_t n);
size_t iov_cur_skip(struct iov_cur *cur, size_t len);
size_t iov_cur_slice(struct iov_cur *cur, size_t len, struct iovec *out,
		     size_t max, size_t *took);
size_t iov_cur_copy(struct iov_cur *cur, const struct iovec *dst,
		    size_t ndst);

#endif /* IOV_H */
