/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * passt - user-mode networking for virtual machines and namespaces
 *
 * ctl_proto.h - Messages of the control socket (-c), shared with pesto
 *
 * A client connects to the UNIX stream socket and sends requests, one at a
 * time; each gets a reply before the next one is read. Every message is a
 * header, then as many bytes of payload as the header says. Numbers are in
 * network order. See doc/control.md.
 */

#ifndef CTL_PROTO_H
#define CTL_PROTO_H

#include <stdint.h>

#define CTL_MAGIC		0x5043544cU	/* "PCTL" */
#define CTL_VERSION		1
#define CTL_PAYLOAD_MAX		65536
#define CTL_OPS_MAX		256

/**
 * struct ctl_hdr - Start of every message, either way
 * @magic:	CTL_MAGIC
 * @version:	CTL_VERSION of the sender
 * @type:	enum ctl_type
 * @len:	Bytes of payload that follow, at most CTL_PAYLOAD_MAX
 */
struct ctl_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t type;
	uint32_t len;
};

/**
 * enum ctl_type - Kinds of messages
 * @CTL_REQ_SHOW:	Request: the forwarding tables, as text; no payload
 * @CTL_REQ_CHANGE:	Request: change the tables, all or nothing; payload
 *			is a sequence of struct ctl_op_hdr, each followed by
 *			its text
 * @CTL_REQ_FLOWS:	Request: the live flows, as text; no payload
 * @CTL_REQ_STATS:	Request: the counters, as text; no payload
 * @CTL_REP_OK:		Reply, last part: text (possibly empty)
 * @CTL_REP_MORE:	Reply, a part of the text: more parts follow
 * @CTL_REP_ERROR:	Reply, last part: the request failed, and changed
 *			nothing; payload is the reason
 */
enum ctl_type {
	CTL_REQ_SHOW = 1,
	CTL_REQ_CHANGE,
	CTL_REQ_FLOWS,
	CTL_REQ_STATS,
	CTL_REP_OK = 0x80,
	CTL_REP_MORE,
	CTL_REP_ERROR,
};

/**
 * struct ctl_op_hdr - One change in a CTL_REQ_CHANGE request
 * @type:	enum fwd_op_type: 1 add, 2 delete, 3 replace, 4 clear
 * @opt:	Table, as its option letter: 't', 'u', 'T', 'U'; 0 for clear
 * @len:	Length of the text that follows, without terminator: a
 *		port specification as on the command line, or for clear,
 *		the side ("host" or "splice")
 */
struct ctl_op_hdr {
	uint8_t type;
	uint8_t opt;
	uint16_t len;
};

#endif /* CTL_PROTO_H */
