// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * dnsname.c - Domain names in DNS wire format (RFC 1035), with compression
 *
 * Names are sequences of labels, each a length byte and that many bytes,
 * ended by a zero byte. With compression (RFC 1035, 4.1.4, as used by the
 * DHCP domain search option, RFC 3397), a name whose tail was already
 * written ends with a two-byte pointer to it instead: the top two bits set,
 * then the offset of the tail from the start of the encoded list.
 */

#include <ctype.h>
#include <strings.h>
#include <string.h>

#include "dnsname.h"
#include "passt.h"
#include "util.h"

#define DNS_PTR_MAX		0x3fff
#define DNS_SUFFIXES_MAX	64

/**
 * dnsname_encode() - Encode a domain name without compression
 * @buf:	Destination
 * @size:	Room in @buf
 * @name:	Name in text form, without trailing dot
 *
 * Return: bytes written, 0 if the name doesn't fit or is malformed
 */
size_t dnsname_encode(unsigned char *buf, size_t size, const char *name)
{
	size_t off = 0;

	while (*name) {
		size_t len = strcspn(name, ".");

		if (!len || len > 63 || off + 1 + len + 1 > size)
			return 0;
		buf[off++] = len;
		memcpy(buf + off, name, len);
		off += len;
		name += len;
		if (*name == '.')
			name++;
	}

	if (off + 1 > size)
		return 0;
	buf[off++] = 0;

	return off;
}

/**
 * struct dns_suffix - A tail of a name already written, for compression
 * @text:	The tail in text form, within a name of the list
 * @off:	Offset of its first label in the encoded list
 */
struct dns_suffix {
	const char *text;
	size_t off;
};

/**
 * dnsname_list_encode() - Encode a list of names back to back
 * @buf:	Destination
 * @size:	Room in @buf
 * @list:	Names, ending with an empty one
 * @compress:	Replace tails already written by pointers
 *
 * Names that don't fit are left out, with the ones after them.
 *
 * Return: bytes written
 */
size_t dnsname_list_encode(unsigned char *buf, size_t size,
		       const struct dns_name *list, bool compress)
{
	struct dns_suffix sfx[DNS_SUFFIXES_MAX];
	size_t off = 0, nsfx = 0;

	for (; list->n[0]; list++) {
		const char *p = list->n;
		size_t start = off, nsfx_start = nsfx;
		bool done = false;

		while (*p && !done) {
			size_t len = strcspn(p, "."), i;

			for (i = 0; compress && i < nsfx_start; i++) {
				if (strcasecmp(sfx[i].text, p))
					continue;
				if (off + 2 > size)
					goto full;
				buf[off++] = 0xc0 | (sfx[i].off >> 8);
				buf[off++] = sfx[i].off & 0xff;
				done = true;
				break;
			}
			if (done)
				break;

			if (!len || len > 63 || off + 1 + len + 1 > size)
				goto full;
			if (nsfx < DNS_SUFFIXES_MAX && off <= DNS_PTR_MAX) {
				sfx[nsfx].text = p;
				sfx[nsfx++].off = off;
			}
			buf[off++] = len;
			memcpy(buf + off, p, len);
			off += len;
			p += len;
			if (*p == '.')
				p++;
		}

		if (!done) {
			if (off + 1 > size)
				goto full;
			buf[off++] = 0;
		}
		continue;
full:
		return start;
	}

	return off;
}

/**
 * dnsname_valid() - Check a domain name in text form
 * @s:		Name, a trailing dot is allowed
 * @len:	Length of @s
 *
 * Return: true if every label is 1 to 63 characters of letters, digits,
 *	   hyphens and underscores, and the whole name fits 253 characters
 */
bool dnsname_valid(const char *s, size_t len)
{
	size_t label = 0, i;

	if (len && s[len - 1] == '.')
		len--;
	if (!len || len > 253)
		return false;

	for (i = 0; i < len; i++) {
		char ch = s[i];

		if (ch == '.') {
			if (!label)
				return false;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)ch) && ch != '-' && ch != '_')
			return false;
		if (++label > 63)
			return false;
	}

	return label > 0;
}
