/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * passt - user-mode networking for virtual machines and namespaces
 *
 * tcp_conn.h - TCP connection state: translated and spliced
 */

#ifndef TCP_CONN_H
#define TCP_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include "flow.h"

/* Events and states of a translated connection, as bits of @events */
#define CONN_TAP_SYN_RCVD	(1 << 0)	/* Guest's SYN, connecting */
#define CONN_TAP_SYN_ACK_SENT	(1 << 1)	/* Our SYN-ACK to the guest */
#define CONN_SOCK_ACCEPTED	(1 << 2)	/* Inbound: our SYN to guest */
#define CONN_ESTABLISHED	(1 << 3)	/* Both sides synchronised */
#define CONN_SOCK_FIN_RCVD	(1 << 4)	/* End of data from the socket */
#define CONN_TAP_FIN_SENT	(1 << 5)	/* Our FIN to the guest */
#define CONN_TAP_FIN_ACKED	(1 << 6)	/* ... acknowledged */
#define CONN_TAP_FIN_RCVD	(1 << 7)	/* Guest's FIN, socket shut down */

/* Other flags, as bits of @flags */
#define TCP_ACK_PENDING		(1 << 0)	/* Send an ACK at the flush */
#define TCP_TAP_BLOCKED		(1 << 1)	/* Tap was full: resend data */
#define TCP_WND_LOW		(1 << 2)	/* Window small: wait EPOLLOUT */
#define TCP_RECOVERY		(1 << 3)	/* Data lost: window frozen */
#define TCP_WRITE_SHORT		(1 << 4)	/* Dup ACKs once writable */
#define TCP_PERSIST		(1 << 5)	/* Probing a closed window */
#define TCP_SOCK_DRAINED	(1 << 6)	/* Guest has all the socket had */
#define TCP_SOCK_REREAD		(1 << 7)	/* FIN or urgent mark: short reads */

/**
 * struct tcp_tap_conn - TCP connection between the guest and a host socket
 * @f:			Common flow part, tap side first for outbound
 * @sock:		Host socket
 * @tapside:		Index of the guest's side in @f.side
 * @events:		State, TCP_* event bits
 * @flags:		TCP_* flag bits
 * @ws_from_tap:	Window scale of the guest
 * @ws_to_tap:		Window scale we use
 * @retries:		Retransmissions without progress
 * @dup_acks:		Duplicate ACKs from the guest in a row
 * @mss_to_tap:		Largest payload of a frame to the guest
 * @wnd_from_tap:	Guest's receive window, bytes
 * @wnd_to_tap:		Window we advertised last, bytes
 * @seq_to_tap:		Next sequence number to send to the guest
 * @seq_ack_from_tap:	Highest sequence number the guest acknowledged
 * @seq_from_tap:	Next sequence number expected from the guest
 * @seq_init_from_tap:	Guest's initial sequence number
 * @timer_ms:		Deadline of the running timer, 0 if none
 * @rto_ms:		Current retransmission timeout
 * @ts_ok:		Timestamps option in use (RFC 7323)
 * @peek_off_set:	The socket's peek offset is set (tcp_peek_off())
 * @ts_recent:		Latest timestamp value from the guest, to echo
 * @wnd_measured:	Window from the socket's memory, when last read
 */
struct tcp_tap_conn {
	struct flow_common f;
	int sock;
	uint8_t tapside;
	uint16_t events;
	uint8_t flags;
	uint8_t ws_from_tap;
	uint8_t ws_to_tap;
	uint8_t retries;
	uint8_t dup_acks;
	uint16_t mss_to_tap;
	uint32_t wnd_from_tap;
	uint32_t wnd_to_tap;
	uint32_t seq_to_tap;
	uint32_t seq_ack_from_tap;
	uint32_t seq_from_tap;
	uint32_t seq_init_from_tap;
	long long timer_ms;
	uint32_t rto_ms;
	bool ts_ok;
	bool peek_off_set;
	uint32_t ts_recent;
	uint32_t wnd_measured;
};

/* States of a spliced connection, as bits of @events */
#define SPLICE_CONNECT		(1 << 0)	/* Target still connecting */
#define SPLICE_ESTABLISHED	(1 << 1)
#define SPLICE_FIN_FROM(side)	(1 << (2 + (side)))	/* EOF read there */
#define SPLICE_FIN_SENT(side)	(1 << (4 + (side)))	/* Shut down there */
#define SPLICE_OUT_WAIT(side)	(1 << (6 + (side)))	/* EPOLLOUT wanted */
#define SPLICE_URG_FROM(side)	(1 << (8 + (side)))	/* Urgent data seen */

/**
 * struct tcp_splice_conn - TCP connection spliced between two sockets
 * @f:		Common flow part
 * @s:		Sockets of the two sides
 * @pipe:	Pipe for data from each side: read end [0], write end [1]
 * @events:	SPLICE_* state bits
 * @in_pipe:	Bytes sitting in each side's pipe: read from that side,
 *		not yet written to the other one (@f.bytes counts those)
 * @timer_ms:	Deadline of the running timer, 0 if none
 */
struct tcp_splice_conn {
	struct flow_common f;
	int s[2];
	int pipe[2][2];
	uint16_t events;
	uint32_t in_pipe[2];
	long long timer_ms;
};

#endif /* TCP_CONN_H */
