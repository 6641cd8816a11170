// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * pcap.c - Capture of every frame on the tap link to a pcap file
 *
 * The file format is the classic libpcap one: a global header, then for
 * each frame a record header with a nanosecond timestamp and the lengths,
 * followed by the frame. Writes are best effort: a full disk or any other
 * error must never stop the data path, so failures are only counted.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include <sys/uio.h>

#include "pcap.h"
#include "passt.h"
#include "iov.h"
#include "log.h"
#include "util.h"

/* #syscalls writev clock_gettime */

#define PCAP_MAGIC_NS		0xa1b23c4d	/* Nanosecond timestamps */
#define PCAP_VERSION_MAJOR	2
#define PCAP_VERSION_MINOR	4
#define LINKTYPE_ETHERNET	1
#define PCAP_SNAPLEN		(65535 + ETH_HLEN)
#define PCAP_IOV_MAX		64

/**
 * struct pcap_file_hdr - pcap global header
 * @magic:	Magic number, also tells byte order and timestamp unit
 * @major:	Major format version
 * @minor:	Minor format version
 * @thiszone:	Time zone offset, always zero
 * @sigfigs:	Timestamp accuracy, always zero
 * @snaplen:	Largest frame length stored
 * @linktype:	Link layer type
 */
struct pcap_file_hdr {
	uint32_t magic;
	uint16_t major;
	uint16_t minor;
	int32_t thiszone;
	uint32_t sigfigs;
	uint32_t snaplen;
	uint32_t linktype;
};

/**
 * struct pcap_rec_hdr - pcap per-frame record header
 * @ts_sec:	Timestamp, seconds
 * @ts_nsec:	Timestamp, nanoseconds
 * @caplen:	Bytes stored
 * @len:	Length of the frame on the link
 */
struct pcap_rec_hdr {
	uint32_t ts_sec;
	uint32_t ts_nsec;
	uint32_t caplen;
	uint32_t len;
};

static int pcap_fd_ = -1;
static unsigned long pcap_errors;

/**
 * pcap_fd() - Descriptor of the capture file, for fd bookkeeping
 *
 * Return: descriptor, -1 if not capturing
 */
int pcap_fd(void)
{
	return pcap_fd_;
}

/**
 * pcap_init() - Create the capture file and write its header
 * @c:		Execution context, with the path in @c->pcap
 */
void pcap_init(const struct ctx *c)
{
	struct pcap_file_hdr h = {
		.magic = PCAP_MAGIC_NS,
		.major = PCAP_VERSION_MAJOR, .minor = PCAP_VERSION_MINOR,
		.snaplen = PCAP_SNAPLEN, .linktype = LINKTYPE_ETHERNET,
	};

	if (!*c->pcap)
		return;

	pcap_fd_ = open(c->pcap, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			0600);
	if (pcap_fd_ < 0)
		die_perror("Can't open capture file %s", c->pcap);

	if (write_all(pcap_fd_, &h, sizeof(h)))
		die_perror("Can't write capture file %s", c->pcap);

	info("Saving packet capture to %s", c->pcap);
}

/**
 * pcap_rec_fill() - Fill a record header for a frame captured now
 * @r:		Record header
 * @len:	Frame length
 */
static void pcap_rec_fill(struct pcap_rec_hdr *r, size_t len)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	r->ts_sec = now.tv_sec;
	r->ts_nsec = now.tv_nsec;
	r->len = len;
	r->caplen = MIN(len, PCAP_SNAPLEN);
}

/**
 * pcap_frame() - Append one frame held in a single buffer
 * @frame:	Ethernet frame
 * @len:	Frame length
 */
void pcap_frame(const void *frame, size_t len)
{
	struct pcap_rec_hdr r;
	struct iovec iov[2];

	if (pcap_fd_ < 0)
		return;

	pcap_rec_fill(&r, len);
	iov[0].iov_base = &r;
	iov[0].iov_len = sizeof(r);
	iov[1].iov_base = (void *)frame;
	iov[1].iov_len = r.caplen;

	if (writev(pcap_fd_, iov, 2) < 0 && !pcap_errors++)
		debug_perror("Can't write to capture file");
}

/**
 * pcap_iov() - Append one frame scattered over an I/O vector
 * @iov:	I/O vector holding the frame
 * @n:		Entries in @iov
 * @offset:	Bytes to skip at the start (a length prefix, say)
 */
void pcap_iov(const struct iovec *iov, size_t n, size_t offset)
{
	struct iovec out[PCAP_IOV_MAX + 1];
	struct pcap_rec_hdr r;
	struct iov_cur cur;
	size_t k, len;

	if (pcap_fd_ < 0)
		return;

	iov_cur_init(&cur, iov, n);
	iov_cur_skip(&cur, offset);
	k = 1 + iov_cur_slice(&cur, SIZE_MAX, out + 1, PCAP_IOV_MAX, &len);

	pcap_rec_fill(&r, len);
	if (r.caplen != len)
		return;
	out[0].iov_base = &r;
	out[0].iov_len = sizeof(r);

	if (writev(pcap_fd_, out, k) < 0 && !pcap_errors++)
		debug_perror("Can't write to capture file");
}
