// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * resolv.c - The host's resolv.conf: name servers and search domains, at
 * start and as the file changes
 *
 * What the command line leaves open of the name servers, of the resolver
 * --dns-forward traffic goes to and of the search domains comes from
 * /etc/resolv.conf. Unless --no-follow-host is given, it's followed: an
 * inotify watch on the file's directory, and on the directory of its target
 * if it's a symbolic link (resolvconf, systemd-resolved and NetworkManager
 * keep it under /run and link to it), tells us when it's written or
 * replaced. We read it again through read-only bind mounts of those
 * directories, the only thing in our otherwise empty root, and take what it
 * now says: the resolver forwarded DNS traffic goes to changes at once, and
 * so do the servers and search domains that DHCP, DHCPv6 and router
 * advertisements give from then on. An unsolicited router advertisement
 * tells an IPv6 guest at once, and withdraws the servers that went away.
 *
 * An address the guest was told to forward DNS traffic to (--dns-forward,
 * or the gateway where the host's resolver is on its loopback) stays what
 * it is: guests keep their DHCP leases, and what they were told has to go
 * on working. Only where it leads changes.
 *
 * A resolv.conf that's itself a mount point (bind-mounted by a container
 * engine, or by "ip netns exec") can't be replaced, and is written in place
 * through another path, which a watch on its directory doesn't see: it's
 * read at start only.
 */

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "dnsname.h"
#include "ip.h"
#include "log.h"
#include "ndp.h"
#include "passt.h"
#include "resolv.h"
#include "util.h"

#define RESOLV_CONF		"/etc/resolv.conf"
#define RESOLV_DIRS		2	/* Its own, its link target's */
#define RESOLV_MASK		(IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE)
#define RESOLV_OPEN_FLAGS	(O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)

/**
 * struct resolv_dir - A directory we watch, and the file we read in it
 * @host:	Path of the directory on the host, empty if not used
 * @name:	Name of the file in it
 * @wd:		inotify watch descriptor, -1 if none
 * @fd:		O_PATH descriptor of the directory until it's bound, or -1
 */
struct resolv_dir {
	char host[PATH_MAX];
	char name[NAME_MAX + 1];
	int wd;
	int fd;
};

static struct resolv_dir resolv_dirs[RESOLV_DIRS] = { { .wd = -1, .fd = -1 },
						      { .wd = -1, .fd = -1 } };

/* Target of /etc/resolv.conf at start, if it was a symbolic link */
static char resolv_link[PATH_MAX];

/* Bind mounts are in place: read through them */
static bool resolv_bound;

/**
 * resolv_parse() - Parse the contents of a resolv.conf file
 * @text:	File contents, terminated
 * @r:		Result
 *
 * Following resolv.conf(5): a line starting with '#' or ';' is a comment,
 * "nameserver" lines add one server each (an IPv6 zone, "%eth0", is dropped
 * and the server marked link-local), and the last "search" or "domain" line
 * sets the search list. Unknown keywords, "options" among them, are skipped.
 */
void resolv_parse(const char *text, struct resolv_conf *r)
{
	const char *line = text;

	memset(r, 0, sizeof(*r));

	while (*line) {
		size_t len = strcspn(line, "\n");
		char buf[1024], *p, *kw, *arg, *save;

		if (len >= sizeof(buf)) {
			line += len + !!line[len];
			continue;
		}
		memcpy(buf, line, len);
		buf[len] = '\0';
		line += len + !!line[len];

		p = buf + strspn(buf, " \t");
		if (*p == '#' || *p == ';')
			continue;

		kw = strtok_r(p, " \t\r", &save);
		if (!kw)
			continue;

		if (!strcmp(kw, "nameserver")) {
			union inany_addr a;
			bool ll = false;
			char *pct;

			arg = strtok_r(NULL, " \t\r#;", &save);
			if (!arg || r->nr_ns >= RESOLV_NS_MAX)
				continue;
			pct = strchr(arg, '%');
			if (pct) {
				*pct = '\0';
				ll = true;
			}
			if (!inany_pton(arg, &a))
				continue;
			if (!inany_v4(&a) && IN6_IS_ADDR_LINKLOCAL(&a.a6))
				ll = true;
			r->ns_ll[r->nr_ns] = ll;
			r->ns[r->nr_ns++] = a;
		} else if (!strcmp(kw, "search") || !strcmp(kw, "domain")) {
			bool domain = !strcmp(kw, "domain");

			r->nr_search = 0;
			while ((arg = strtok_r(NULL, " \t\r", &save))) {
				size_t alen = strlen(arg);

				if (*arg == '#' || *arg == ';')
					break;
				if (r->nr_search >= DNS_SEARCH_MAX)
					break;
				if (!dnsname_valid(arg, alen))
					continue;
				if (arg[alen - 1] == '.')
					arg[alen - 1] = '\0';
				str_copy(r->search[r->nr_search++].n,
					 DNS_NAME_MAX, arg);
				if (domain)
					break;
			}
		}
	}
}

/**
 * resolv_open() - Open resolv.conf as it is now
 *
 * At start, by its path. Then through our bind mounts: the file in the
 * first directory, or, if it's still the link it was, its target in the
 * second one.
 *
 * Return: descriptor, or -1 on failure
 */
static int resolv_open(void)
{
	/* #syscalls openat readlinkat close */
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;
	int fd;

	if (!resolv_bound)
		return openat(AT_FDCWD, RESOLV_CONF, O_RDONLY | O_CLOEXEC);

	snprintf(path, sizeof(path), "/resolv0/%s", resolv_dirs[0].name);
	/* Whatever is put there, a FIFO say, mustn't block the loop */
	fd = openat(AT_FDCWD, path, RESOLV_OPEN_FLAGS);
	if (fd >= 0 || errno != ELOOP)
		return fd;

	n = readlinkat(AT_FDCWD, path, link, sizeof(link) - 1);
	if (n <= 0)
		return -1;
	link[n] = '\0';
	if (strcmp(link, resolv_link) || !*resolv_dirs[1].host) {
		static char told[PATH_MAX];

		if (strcmp(told, link))
			warn("%s now links to %s: not followed", RESOLV_CONF,
			     link);
		str_copy(told, sizeof(told), link);
		return -1;
	}

	snprintf(path, sizeof(path), "/resolv1/%s", resolv_dirs[1].name);
	return openat(AT_FDCWD, path, RESOLV_OPEN_FLAGS);
}

/**
 * resolv_read() - Read and parse resolv.conf
 * @r:		Result
 *
 * Return: 0 on success, -1 if it can't be read (@r is then empty)
 */
static int resolv_read(struct resolv_conf *r)
{
	static char buf[RESOLV_FILE_MAX];
	int fd = resolv_open();
	ssize_t n;

	memset(r, 0, sizeof(*r));
	if (fd < 0)
		return -1;

	n = read_all(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';

	resolv_parse(buf, r);
	return 0;
}

/**
 * resolv_derive4() - IPv4 name servers to advertise and to forward to
 * @c:		Execution context
 * @r:		Host's resolver configuration
 * @d:		Result, with the forwarding address kept from before if any
 */
static void resolv_derive4(const struct ctx *c, const struct resolv_conf *r,
			   struct dns_run *d)
{
	struct in_addr adv[DNS_MAX_PER_FAMILY] = { 0 };
	const struct ip4_ctx *ip4 = &c->ip4;
	bool loopback = false;
	unsigned i, n = 0;

	memset(d->dns4, 0, sizeof(d->dns4));
	d->host4 = ip4->dns_host;
	if (ip4->dns_match.s_addr)
		d->match4 = ip4->dns_match;

	for (i = 0; i < r->nr_ns; i++) {
		const struct in_addr *a = inany_v4(&r->ns[i]);

		if (!a)
			continue;
		if (!d->host4.s_addr)
			d->host4 = *a;
		if (ip4_is_loopback(*a))
			loopback = true;
		else if (n < DNS_MAX_PER_FAMILY)
			adv[n++] = *a;
	}

	if (c->no_dns)
		return;

	if (ip4->dns[0].s_addr) {
		memcpy(d->dns4, ip4->dns, sizeof(d->dns4));
		return;
	}

	if (d->match4.s_addr) {
		d->dns4[0] = d->match4;
		return;
	}

	memcpy(d->dns4, adv, sizeof(adv));
	if (n || !loopback)
		return;

	/* Only a resolver on the host's loopback: reach it via the gateway */
	if (ip4->map_host_loopback.s_addr) {
		d->match4 = ip4->map_host_loopback;
		d->dns4[0] = d->match4;
	} else {
		warn("The host's resolver is on loopback and the gateway "
		     "isn't mapped: no IPv4 DNS server to advertise");
	}
}

/**
 * resolv_derive6() - IPv6 name servers to advertise and to forward to
 * @c:		Execution context
 * @r:		Host's resolver configuration
 * @d:		Result, with the forwarding address kept from before if any
 */
static void resolv_derive6(const struct ctx *c, const struct resolv_conf *r,
			   struct dns_run *d)
{
	struct in6_addr adv[DNS_MAX_PER_FAMILY] = { 0 };
	const struct ip6_ctx *ip6 = &c->ip6;
	bool loopback = false;
	unsigned i, n = 0;

	memset(d->dns6, 0, sizeof(d->dns6));
	d->host6 = ip6->dns_host;
	if (!IN6_IS_ADDR_UNSPECIFIED(&ip6->dns_match))
		d->match6 = ip6->dns_match;

	for (i = 0; i < r->nr_ns; i++) {
		const struct in6_addr *a = &r->ns[i].a6;

		if (inany_v4(&r->ns[i]))
			continue;
		if (IN6_IS_ADDR_UNSPECIFIED(&d->host6))
			d->host6 = *a;
		if (IN6_IS_ADDR_LOOPBACK(a) || r->ns_ll[i])
			loopback = true;
		else if (n < DNS_MAX_PER_FAMILY)
			adv[n++] = *a;
	}

	if (c->no_dns)
		return;

	if (!IN6_IS_ADDR_UNSPECIFIED(&ip6->dns[0])) {
		memcpy(d->dns6, ip6->dns, sizeof(d->dns6));
		return;
	}

	if (!IN6_IS_ADDR_UNSPECIFIED(&d->match6)) {
		d->dns6[0] = d->match6;
		return;
	}

	memcpy(d->dns6, adv, sizeof(adv));
	if (n || !loopback)
		return;

	if (!IN6_IS_ADDR_UNSPECIFIED(&ip6->map_host_loopback)) {
		d->match6 = ip6->map_host_loopback;
		d->dns6[0] = d->match6;
	} else {
		warn("The host's resolver is on loopback or link-local and "
		     "the gateway isn't mapped: no IPv6 DNS server to "
		     "advertise");
	}
}

/**
 * resolv_derive() - Name servers and search domains from resolv.conf
 * @c:		Execution context
 * @r:		Host's resolver configuration
 * @d:		Result: forwarding addresses are kept from what it held
 */
static void resolv_derive(const struct ctx *c, const struct resolv_conf *r,
			  struct dns_run *d)
{
	unsigned i;

	if (c->ifi4)
		resolv_derive4(c, r, d);
	if (c->ifi6)
		resolv_derive6(c, r, d);

	/* -S given, or -S none */
	if (c->no_dns_search || c->dns_search[0].n[0]) {
		memcpy(d->search, c->dns_search, sizeof(d->search));
		return;
	}

	memset(d->search, 0, sizeof(d->search));
	for (i = 0; i < r->nr_search; i++)
		d->search[i] = r->search[i];
}

/**
 * resolv_init() - Name servers and search domains at start
 * @c:		Execution context
 */
void resolv_init(const struct ctx *c)
{
	struct resolv_conf r;

	if (resolv_read(&r))
		debug("Can't read " RESOLV_CONF);

	memset(&c->run->dns, 0, sizeof(c->run->dns));
	resolv_derive(c, &r, &c->run->dns);
}

/**
 * resolv_log() - Log the name servers and search domains in effect
 * @c:		Execution context
 * @pri:	Log priority
 */
void resolv_log(const struct ctx *c, int pri)
{
	const struct dns_run *d = &c->run->dns;
	char line[1024];
	size_t off;
	unsigned i;

	for (i = 0; ipv4_enabled(c) && d->dns4[i].s_addr; i++)
		logmsg(pri, "IPv4 DNS: %s", addr_str(AF_INET, &d->dns4[i]));
	if (ipv4_enabled(c) && d->match4.s_addr)
		logmsg(pri, "IPv4 DNS forward: %s to %s",
		       addr_str(AF_INET, &d->match4),
		       addr_str(AF_INET, &d->host4));

	for (i = 0; ipv6_enabled(c) && !IN6_IS_ADDR_UNSPECIFIED(&d->dns6[i]);
	     i++)
		logmsg(pri, "IPv6 DNS: %s", addr_str(AF_INET6, &d->dns6[i]));
	if (ipv6_enabled(c) && !IN6_IS_ADDR_UNSPECIFIED(&d->match6))
		logmsg(pri, "IPv6 DNS forward: %s to %s",
		       addr_str(AF_INET6, &d->match6),
		       addr_str(AF_INET6, &d->host6));

	off = snprintf(line, sizeof(line), "DNS search:");
	for (i = 0; d->search[i].n[0] && off < sizeof(line) - 1; i++)
		off += snprintf(line + off, sizeof(line) - off, " %s",
				d->search[i].n);
	if (d->search[0].n[0])
		logmsg(pri, "%s", line);
}

/**
 * resolv_is_mount() - Tell if a path is a mount point of its own
 * @path:	Path, as it appears in /proc/self/mountinfo
 *
 * Return: true if something is mounted there
 */
static bool resolv_is_mount(const char *path)
{
	char line[PATH_MAX * 2];
	bool found = false;
	FILE *f;

	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return false;

	/* ID PARENT MAJ:MIN ROOT MOUNTPOINT ...: spaces in paths are octal */
	while (!found && fgets(line, sizeof(line), f)) {
		char mnt[PATH_MAX];

		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1)
			found = !strcmp(mnt, path);
	}

	fclose(f);
	return found;
}

/**
 * resolv_forget() - Follow nothing: close what's held of the directories
 */
static void resolv_forget(void)
{
	unsigned i;

	for (i = 0; i < RESOLV_DIRS; i++) {
		if (resolv_dirs[i].fd >= 0)
			close(resolv_dirs[i].fd);
		resolv_dirs[i].fd = -1;
		*resolv_dirs[i].host = '\0';
	}
}

/**
 * resolv_watch() - Watch a directory for a file being written or replaced
 * @fd:		inotify descriptor
 * @i:		Index in resolv_dirs
 * @file:	Path of the file
 *
 * Return: 0 on success, -1 on failure
 */
static int resolv_watch(int fd, unsigned i, const char *file)
{
	char dir[PATH_MAX], base[PATH_MAX];
	struct resolv_dir *rd = &resolv_dirs[i];

	str_copy(dir, sizeof(dir), file);
	str_copy(base, sizeof(base), file);
	str_copy(rd->host, sizeof(rd->host), dirname(dir));
	str_copy(rd->name, sizeof(rd->name), basename(base));

	rd->wd = inotify_add_watch(fd, rd->host, RESOLV_MASK);
	if (rd->wd < 0) {
		*rd->host = '\0';
		return -1;
	}

	return 0;
}

/**
 * resolv_follow_init() - Watch resolv.conf, before the sandbox
 * @c:		Execution context
 */
void resolv_follow_init(const struct ctx *c)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_RESOLV };
	char target[PATH_MAX];
	ssize_t n;
	int fd;

	if (c->no_follow_host)
		return;

	if (resolv_is_mount(RESOLV_CONF)) {
		debug("%s is a mount point: changes to it aren't followed",
		      RESOLV_CONF);
		return;
	}

	fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0 || resolv_watch(fd, 0, RESOLV_CONF))
		goto fail;

	n = readlink(RESOLV_CONF, resolv_link, sizeof(resolv_link) - 1);
	if (n > 0) {
		resolv_link[n] = '\0';
		if (!realpath(RESOLV_CONF, target) ||
		    resolv_is_mount(target) || resolv_watch(fd, 1, target)) {
			warn("Can't follow %s to %s: only its link is watched",
			     RESOLV_CONF, resolv_link);
			*resolv_link = '\0';
		}
	}

	ref.fd = fd;
	if (epoll_add(c, fd, EPOLLIN, ref))
		goto fail;
	return;

fail:
	warn_perror("Can't watch %s: changes to it aren't followed",
		    RESOLV_CONF);
	if (fd >= 0)
		close(fd);
	resolv_forget();
}

/**
 * resolv_sandbox_hold() - Hold the watched directories, to bind them later
 *
 * Called in the sandbox's mount namespace (a bind mount takes a source from
 * the namespace it's made in), before the future root hides their paths
 * (it's mounted on /tmp, and they may be under it).
 */
void resolv_sandbox_hold(void)
{
	unsigned i;

	for (i = 0; i < RESOLV_DIRS; i++) {
		if (!*resolv_dirs[i].host)
			continue;
		resolv_dirs[i].fd = open(resolv_dirs[i].host,
					 O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
}

/**
 * resolv_sandbox() - Bind the watched directories, read-only, into our root
 *
 * Called with the future root as working directory, before the pivot: they
 * appear there as /resolv0 and /resolv1. Where that fails (a directory with
 * mounts under it, in a user namespace that doesn't own them, can't be
 * bound alone), resolv.conf isn't followed, and nothing is left bound.
 */
void resolv_sandbox(void)
{
	unsigned long ro = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID |
			   MS_NODEV | MS_NOEXEC;
	char mnt[RESOLV_DIRS][sizeof("resolv") + 3];
	unsigned i;

	for (i = 0; i < RESOLV_DIRS; i++) {
		char src[sizeof("/proc/self/fd/") + 12];

		snprintf(mnt[i], sizeof(mnt[i]), "resolv%u", i);
		if (!*resolv_dirs[i].host)
			continue;

		snprintf(src, sizeof(src), "/proc/self/fd/%i",
			 resolv_dirs[i].fd);
		if (resolv_dirs[i].fd < 0 || mkdir(mnt[i], 0500) ||
		    mount(src, mnt[i], NULL, MS_BIND, NULL))
			goto fail;
		if (mount(NULL, mnt[i], NULL, ro, NULL)) {
			umount2(mnt[i], MNT_DETACH);
			goto fail;
		}
		close(resolv_dirs[i].fd);
		resolv_dirs[i].fd = -1;
	}

	resolv_bound = *resolv_dirs[0].host;
	if (resolv_bound)
		debug("Following %s%s%s", RESOLV_CONF,
		      *resolv_dirs[1].host ? " to " : "", resolv_link);
	return;

fail:
	warn_perror("Can't bind %s into the sandbox: changes to %s aren't "
		    "followed", resolv_dirs[i].host, RESOLV_CONF);
	while (i--) {
		if (*resolv_dirs[i].host)
			umount2(mnt[i], MNT_DETACH);
	}
	resolv_forget();
}

/**
 * resolv_changed() - Tell if an inotify event is about the file we read
 * @ev:		Event
 *
 * Return: true if it is
 */
static bool resolv_changed(const struct inotify_event *ev)
{
	unsigned i;

	for (i = 0; i < RESOLV_DIRS; i++) {
		if (*resolv_dirs[i].host && ev->wd == resolv_dirs[i].wd &&
		    ev->len && !strcmp(ev->name, resolv_dirs[i].name))
			return true;
	}

	return false;
}

/**
 * resolv_same() - Tell if two sets of name servers and domains are the same
 * @a:		One
 * @b:		The other
 *
 * Return: true if they are
 */
static bool resolv_same(const struct dns_run *a, const struct dns_run *b)
{
	return !memcmp(a->dns4, b->dns4, sizeof(a->dns4)) &&
	       a->match4.s_addr == b->match4.s_addr &&
	       a->host4.s_addr == b->host4.s_addr &&
	       !memcmp(a->dns6, b->dns6, sizeof(a->dns6)) &&
	       IN6_ARE_ADDR_EQUAL(&a->match6, &b->match6) &&
	       IN6_ARE_ADDR_EQUAL(&a->host6, &b->host6) &&
	       !memcmp(a->search, b->search, sizeof(a->search));
}

/**
 * resolv_follow_handler() - resolv.conf was written or replaced: read it
 * @c:		Execution context
 * @ref:	epoll reference, with the inotify descriptor
 */
void resolv_follow_handler(const struct ctx *c, union epoll_ref ref)
{
	char buf[sizeof(struct inotify_event) + NAME_MAX + 1]
		__attribute__((aligned(__alignof__(struct inotify_event))));
	struct dns_run old = c->run->dns, now = c->run->dns;
	const struct inotify_event *ev;
	bool changed = false;
	struct resolv_conf r;
	ssize_t n, off;

	/* #syscalls read */
	while ((n = read(ref.fd, buf, sizeof(buf))) > 0) {
		for (off = 0; off < n; off += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)(buf + off);
			changed |= resolv_changed(ev);
		}
	}

	if (!changed)
		return;

	/* Gone for a moment, or unreadable: keep what we have */
	if (resolv_read(&r)) {
		debug("Can't read %s again, keeping its last contents",
		      RESOLV_CONF);
		return;
	}

	resolv_derive(c, &r, &now);
	if (resolv_same(&now, &old))
		return;

	c->run->dns = now;
	info("%s changed, now:", RESOLV_CONF);
	resolv_log(c, LOG_INFO);
	ndp_dns_changed(c, &old);
}
