/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * passt - user-mode networking for virtual machines and namespaces
 *
 * util.h - Small helpers shared by every part of the program
 */

#ifndef UTIL_H
#define UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <sys/types.h>

#ifndef VERSION
#define VERSION "unknown"
#endif

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define MIN(a, b)		((a) < (b) ? (a) : (b))
#define MAX(a, b)		((a) > (b) ? (a) : (b))
#define DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))
#define ROUND_DOWN(x, y)	((x) & ~((__typeof__(x))(y) - 1))
#define ROUND_UP(x, y)		(((x) + (y) - 1) & ~((__typeof__(x))(y) - 1))

#define likely(x)		__builtin_expect(!!(x), 1)
#define unlikely(x)		__builtin_expect(!!(x), 0)

#define STRINGIFY_(x)		#x
#define STRINGIFY(x)		STRINGIFY_(x)

#define NS_PER_SEC		1000000000LL
#define MS_PER_SEC		1000LL

/* Bitmaps over arrays of bytes, bit @i lives in byte @i / 8 */
#define BITMAP_BYTES(nbits)	DIV_ROUND_UP(nbits, 8)

/**
 * bitmap_set() - Set one bit in a bitmap
 * @map:	Bitmap
 * @bit:	Bit index
 */
static inline void bitmap_set(uint8_t *map, unsigned bit)
{
	map[bit / 8] |= (uint8_t)(1U << (bit % 8));
}

/**
 * bitmap_clear() - Clear one bit in a bitmap
 * @map:	Bitmap
 * @bit:	Bit index
 */
static inline void bitmap_clear(uint8_t *map, unsigned bit)
{
	map[bit / 8] &= (uint8_t)~(1U << (bit % 8));
}

/**
 * bitmap_isset() - Test one bit in a bitmap
 * @map:	Bitmap
 * @bit:	Bit index
 *
 * Return: true if the bit is set
 */
static inline bool bitmap_isset(const uint8_t *map, unsigned bit)
{
	return map[bit / 8] & (1U << (bit % 8));
}

/**
 * timespec_diff_ms() - Milliseconds from @b to @a
 * @a:		Later time
 * @b:		Earlier time
 *
 * Return: @a - @b in milliseconds, negative if @a is before @b
 */
static inline long long timespec_diff_ms(const struct timespec *a,
					 const struct timespec *b)
{
	return (a->tv_sec - b->tv_sec) * MS_PER_SEC +
	       (a->tv_nsec - b->tv_nsec) / 1000000;
}

/**
 * timespec_ms() - Milliseconds represented by a timespec
 * @t:		Time
 *
 * Return: @t in milliseconds
 */
static inline long long timespec_ms(const struct timespec *t)
{
	return t->tv_sec * MS_PER_SEC + t->tv_nsec / 1000000;
}

/**
 * str_copy() - Copy a string into a fixed-size buffer, always terminated
 * @dst:	Destination
 * @size:	Size of @dst
 * @src:	Source string
 *
 * Return: 0 if it fit, -1 if it was truncated
 */
static inline int str_copy(char *dst, size_t size, const char *src)
{
	size_t len = strlen(src);

	if (!size)
		return -1;
	if (len >= size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = '\0';
		return -1;
	}
	memcpy(dst, src, len + 1);
	return 0;
}

struct ctx;
union epoll_ref;

const char *passt_version(void);
int write_all(int fd, const void *buf, size_t len);
ssize_t read_all(int fd, void *buf, size_t len);
int write_file(const char *path, const char *text);
ssize_t read_file(const char *path, char *buf, size_t size);
const char *addr_str(int af, const void *a);
int fd_nonblock(int fd);
void close_from_to(unsigned first, unsigned last);
void close_open_files(int keep_from, int keep_to);
int raw_random(void *buf, size_t len);
int parse_uint(const char *s, unsigned long max, unsigned long *val);
void pidfile_write(int fd, pid_t pid);
int pidfile_open(const char *path);
void sock_urg_inline(int s);
void sock_tcp_opts(int s);
int sock_tcp_new(int af);
void sock_shut_wr(int s);
void sock_close_reset(int s);
union inany_addr;
bool sock_bound_to(int s, const union inany_addr *a);
void sock_discard(int s);
int epoll_add(const struct ctx *c, int fd, uint32_t events,
	      union epoll_ref ref);
void epoll_del(const struct ctx *c, int fd);

#endif /* UTIL_H */
