// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * nshelper.c - pasta: the process that changes the namespace's addresses
 * and default routes once we're sandboxed
 *
 * With --config-net, the namespace's tap device has the host's address and
 * default route, and they follow the host's (follow.c). Changing them takes
 * CAP_NET_ADMIN over the namespace at the time of each request: the kernel
 * checks whoever sends a netlink request, not only who opened the socket.
 * The sandboxed pasta holds no such capability, and shouldn't: started as
 * root, it would have it over the host's own network too.
 *
 * So pasta keeps the capability until it's in its sandbox (user switched,
 * empty root), forks a helper there, and only then drops it. The helper
 * keeps, privilege separation style, the least it needs:
 * - CAP_NET_ADMIN and no other capability;
 * - the namespace's netlink socket and its end of a socket pair: every other
 *   descriptor is closed;
 * - a seccomp filter of its own (receive, send, exit).
 * It takes one request, checked field by field: for one family, this
 * address, prefix length and gateway replace those, on the tap device it
 * was given at start, which a request can't name. It answers with an error
 * code, and ends when the socket pair closes, that is, when pasta does.
 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "isolation.h"
#include "log.h"
#include "netlink.h"
#include "nshelper.h"
#include "passt.h"
#include "util.h"

/* #syscalls:nshelper recvfrom sendto exit_group exit */

#define NSHELPER_TIMEOUT_S	2	/* For its answer, before we give up */
#define NSHELPER_OLD_VALID_S	5	/* An address replaced, until it's gone */

static int nshelper_fd = -1;	/* Our end of the socket pair */
static int nshelper_nl = -1;	/* Namespace's netlink socket, until forked */

/* What the namespace has, as far as we know: what we last set there */
static struct guest_net4 nshelper_ns4;
static struct guest_net6 nshelper_ns6;

/**
 * nshelper_unspec() - Tell if an address of a request is unspecified
 * @a:		Address, 16 bytes (IPv4 in the first 4, the rest zero)
 *
 * Return: true if it's all zeroes
 */
static bool nshelper_unspec(const uint8_t *a)
{
	static const uint8_t zero[16];

	return !memcmp(a, zero, sizeof(zero));
}

/**
 * nshelper_usable() - Tell if an address can be an interface's or a gateway
 * @af:		AF_INET or AF_INET6
 * @a:		Address, 16 bytes
 *
 * Return: true unless it's multicast, loopback or broadcast, or an IPv4
 *	   address with bytes past its 4
 */
static bool nshelper_usable(sa_family_t af, const uint8_t *a)
{
	static const uint8_t loopback6[16] = { [15] = 1 }, zero[12];

	if (af == AF_INET)
		return !memcmp(a + 4, zero, sizeof(zero)) && a[0] != 127 &&
		       a[0] < 224;

	return a[0] != 0xff && memcmp(a, loopback6, sizeof(loopback6));
}

/**
 * nshelper_valid() - Check a request, as the helper receives it
 * @r:		Request
 *
 * Return: true if every field is in range: a family, prefix lengths of it,
 *	   a new address, and no multicast, loopback or broadcast address
 */
bool nshelper_valid(const struct nshelper_req *r)
{
	int max = r->af == AF_INET ? 32 : 128;

	return (r->af == AF_INET || r->af == AF_INET6) && !r->pad &&
	       r->prefix_len <= max && r->old_prefix_len <= max &&
	       !nshelper_unspec(r->addr) && nshelper_usable(r->af, r->addr) &&
	       nshelper_usable(r->af, r->old) &&
	       nshelper_usable(r->af, r->gw) &&
	       nshelper_usable(r->af, r->old_gw);
}

/**
 * nshelper_apply() - In the helper: carry a request out
 * @s:		Netlink socket in the namespace
 * @ifi:	The tap device
 * @r:		Request, as received: not trusted
 *
 * The new address goes first (or, there already, stays for good: it may be
 * one that was on its way out), then the default route, through the new
 * gateway from the new address. The old address is deprecated, and the
 * kernel removes it a few seconds later: the resets of its connections,
 * sent just before, still find it (see follow_timer()). Whatever is
 * already there, or already gone, is fine.
 *
 * Return: 0 on success, negative error code on failure
 */
static int nshelper_apply(int s, unsigned ifi, const struct nshelper_req *r)
{
	int rc;

	if (!nshelper_valid(r))
		return -EINVAL;

	if ((rc = nl_addr_keep(s, ifi, r->af, r->addr, r->prefix_len)))
		return rc;

	if (!nshelper_unspec(r->old_gw) &&
	    memcmp(r->old_gw, r->gw, sizeof(r->gw)))
		nl_route_del_def(s, ifi, r->af, r->old_gw);
	if (!nshelper_unspec(r->gw) &&
	    (rc = nl_route_replace_def(s, ifi, r->af, r->gw, r->addr)))
		return rc;

	if (!nshelper_unspec(r->old) &&
	    (memcmp(r->old, r->addr, sizeof(r->old)) ||
	     r->old_prefix_len != r->prefix_len)) {
		rc = nl_addr_expire(s, ifi, r->af, r->old, r->old_prefix_len,
				    NSHELPER_OLD_VALID_S);
		if (rc && rc != -EADDRNOTAVAIL && rc != -ENOENT)
			return rc;
	}

	return 0;
}

/**
 * nshelper_run() - In the helper: serve requests until pasta is gone
 * @sp:		Our end of the socket pair
 * @ifi:	The tap device
 */
static void nshelper_run(int sp, unsigned ifi)
{
	int nl = nshelper_nl, lo = MIN(sp, nl), hi = MAX(sp, nl);

	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);

	/* What we keep: the socket pair, the namespace's netlink socket */
	if (lo > 0)
		close_from_to(0, lo - 1);
	if (hi > lo + 1)
		close_from_to(lo + 1, hi - 1);
	close_from_to(hi + 1, ~0U);

	isolate_nshelper();

	for (;;) {
		struct nshelper_req r;
		ssize_t n = recv(sp, &r, sizeof(r), 0);
		int rc;

		if (!n)
			_exit(0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}

		rc = n == sizeof(r) ? nshelper_apply(nl, ifi, &r) : -EINVAL;
		if (send(sp, &rc, sizeof(rc), MSG_NOSIGNAL) != sizeof(rc))
			_exit(1);
	}
}

/**
 * nshelper_wanted() - Tell if pasta needs the helper
 * @c:		Execution context
 *
 * Return: true if pasta configures a tap device in its namespace, and some
 *	   of the guest's addressing follows the host
 */
bool nshelper_wanted(const struct ctx *c)
{
	return c->mode == MODE_PASTA && c->pasta_conf_ns && !c->splice_only &&
	       (c->ip4.follow_addr || c->ip4.follow_gw ||
		c->ip6.follow_addr || c->ip6.follow_gw);
}

/**
 * nshelper_init() - Keep the namespace's netlink socket for the helper
 * @c:		Execution context, with the socket
 */
void nshelper_init(const struct ctx *c)
{
	if (!nshelper_wanted(c))
		return;

	nshelper_nl = fcntl(c->nl_sock_ns, F_DUPFD_CLOEXEC, 3);
	if (nshelper_nl < 0)
		warn_perror("Can't keep the namespace's netlink socket: its "
			    "addresses won't follow the host's");
}

/**
 * nshelper_start() - Fork the helper: sandboxed, before we give up the
 *		      capability it keeps
 * @c:		Execution context
 */
void nshelper_start(const struct ctx *c)
{
	struct timeval tv = { .tv_sec = NSHELPER_TIMEOUT_S };
	int sp[2];
	pid_t pid;

	if (nshelper_nl < 0)
		return;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp)) {
		warn_perror("Can't make a socket pair for the namespace's "
			    "helper: its addresses won't follow the host's");
		goto out;
	}

	pid = fork();
	if (pid < 0) {
		warn_perror("Can't start the namespace's helper: its addresses "
			    "won't follow the host's");
		close(sp[0]);
		close(sp[1]);
		goto out;
	}
	if (!pid) {
		close(sp[0]);
		nshelper_run(sp[1], c->pasta_ifi);
	}

	close(sp[1]);
	if (setsockopt(sp[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		warn_perror("Can't set a timeout for the namespace's helper");
	nshelper_fd = sp[0];
	nshelper_ns4 = c->run->guest4;
	nshelper_ns6 = c->run->guest6;
	debug("Namespace's helper started, PID %i", pid);
out:
	close(nshelper_nl);
	nshelper_nl = -1;
}

/**
 * nshelper_req() - Send a request to the helper, wait for its answer
 * @r:		Request
 *
 * Return: 0 on success, negative error code on failure
 */
static int nshelper_req(const struct nshelper_req *r)
{
	int rc;

	if (send(nshelper_fd, r, sizeof(*r), MSG_NOSIGNAL) != sizeof(*r))
		return -errno;
	if (recv(nshelper_fd, &rc, sizeof(rc), 0) != sizeof(rc))
		return errno ? -errno : -EIO;

	return rc;
}

/**
 * nshelper_net4() - The guest's IPv4 address or gateway changed: set them in
 *		     the namespace
 * @c:		Execution context, with the new ones
 *
 * What failed is asked for again at the next change.
 */
void nshelper_net4(const struct ctx *c)
{
	const struct guest_net4 *g = &c->run->guest4, *ns = &nshelper_ns4;
	struct nshelper_req r = { .af = AF_INET };
	int rc;

	if (nshelper_fd < 0 || !g->addr.s_addr || !memcmp(g, ns, sizeof(*g)))
		return;

	r.prefix_len = g->prefix_len;
	r.old_prefix_len = ns->prefix_len;
	memcpy(r.addr, &g->addr, 4);
	memcpy(r.old, &ns->addr, 4);
	memcpy(r.gw, &g->gw, 4);
	memcpy(r.old_gw, &ns->gw, 4);

	if ((rc = nshelper_req(&r))) {
		warn("Can't change the namespace's IPv4 address: %s",
		     strerror(-rc));
		return;
	}

	if (c->run->addr4_seen.s_addr == ns->addr.s_addr)
		c->run->addr4_seen = g->addr;
	nshelper_ns4 = *g;
	info("Namespace: IPv4 address %s/%i, default route via %s",
	     addr_str(AF_INET, &g->addr), g->prefix_len,
	     addr_str(AF_INET, &g->gw));
}

/**
 * nshelper_net6() - The guest's IPv6 address or gateway changed: set them in
 *		     the namespace
 * @c:		Execution context, with the new ones
 *
 * What failed is asked for again at the next change.
 */
void nshelper_net6(const struct ctx *c)
{
	const struct guest_net6 *g = &c->run->guest6, *ns = &nshelper_ns6;
	struct nshelper_req r = { .af = AF_INET6 };
	int rc;

	if (nshelper_fd < 0 || IN6_IS_ADDR_UNSPECIFIED(&g->addr) ||
	    !memcmp(g, ns, sizeof(*g)))
		return;

	r.prefix_len = g->prefix_len;
	r.old_prefix_len = ns->prefix_len;
	memcpy(r.addr, &g->addr, 16);
	memcpy(r.old, &ns->addr, 16);
	memcpy(r.gw, &g->gw, 16);
	memcpy(r.old_gw, &ns->gw, 16);

	if ((rc = nshelper_req(&r))) {
		warn("Can't change the namespace's IPv6 address: %s",
		     strerror(-rc));
		return;
	}

	if (IN6_ARE_ADDR_EQUAL(&c->run->addr6_seen, &ns->addr))
		c->run->addr6_seen = g->addr;
	nshelper_ns6 = *g;
	info("Namespace: IPv6 address %s/%i, default route via %s",
	     addr_str(AF_INET6, &g->addr), g->prefix_len,
	     addr_str(AF_INET6, &g->gw));
}
