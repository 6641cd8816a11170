// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * pasta.c - Network namespaces: creating, joining, the tap device in them
 *
 * pasta itself always stays in the network namespace it was started in:
 * that's where its sockets towards the rest of the world are. Whatever has
 * to happen inside the target namespace (creating the tap device, opening
 * sockets there for loopback splicing) runs in a short-lived clone that
 * shares our memory and descriptor table and joins the namespace first:
 * see ns_call().
 *
 * Without a target, we create a user and a network namespace for a child
 * process, map our user and group to root in there, set the namespace up,
 * then let the child execute the command. With a target, we join its user
 * namespace if we need to (to hold capabilities over the network
 * namespace), and quit once the namespace goes away.
 */

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <linux/if_tun.h>
#include <linux/nsfs.h>

#include "log.h"
#include "netlink.h"
#include "nshelper.h"
#include "passt.h"
#include "pasta.h"
#include "quit.h"
#include "util.h"


#define NS_STACK_SIZE		(64 * 1024)
#define NSQUIT_INTERVAL_S	1

static char ns_stack[NS_STACK_SIZE] __attribute__((aligned(64)));
static int pasta_go_pipe = -1;
static int nsquit_dir_fd = -1;
static char nsquit_name[NAME_MAX + 1];

/**
 * struct ns_call_arg - What ns_call() passes to its clone
 * @c:		Execution context
 * @fn:		Function to run in the namespace
 * @arg:	Its argument
 * @ret:	Its return value
 */
struct ns_call_arg {
	const struct ctx *c;
	ns_fn_t fn;
	void *arg;
	int ret;
};

/**
 * ns_call_child() - Join the target namespace and run a function there
 * @a:		struct ns_call_arg
 *
 * Return: 0, the result is in @a
 */
static int ns_call_child(void *a)
{
	struct ns_call_arg *n = a;

	/* #syscalls:pasta setns exit */
	if (setns(n->c->pasta_netns_fd, CLONE_NEWNET)) {
		n->ret = -errno;
		return 0;
	}

	n->ret = n->fn(n->arg);
	return 0;
}

/**
 * ns_call() - Run a function in the target network namespace
 * @c:		Execution context
 * @fn:		Function
 * @arg:	Its argument
 *
 * The clone shares our memory, descriptors and filesystem context: sockets
 * it opens are ours, and we wait for it to be done before going on. These
 * are the flags of a thread (without its signal handling and thread
 * group), which also makes it the one kind of clone valgrind can follow.
 *
 * Return: what @fn returned, or a negative error code if it couldn't run
 */
int ns_call(const struct ctx *c, ns_fn_t fn, void *arg)
{
	struct ns_call_arg n = { .c = c, .fn = fn, .arg = arg, .ret = -EIO };
	pid_t pid;

	/* #syscalls:pasta clone wait4 */
	pid = clone(ns_call_child, ns_stack + sizeof(ns_stack),
		    CLONE_VM | CLONE_FS | CLONE_FILES | SIGCHLD, &n);
	if (pid < 0)
		return -errno;

	waitpid(pid, NULL, 0);
	return n.ret;
}

/**
 * pasta_open_ns_proc() - Open a namespace file, /proc/PID/ns/... or a path
 * @c:		Execution context, for messages
 * @path:	Path
 *
 * Return: descriptor, exits on failure
 */
int pasta_open_ns_proc(struct ctx *c, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	(void)c;
	if (fd < 0)
		die_perror("Can't open namespace %s", path);

	return fd;
}

/**
 * pasta_join_userns() - Join a user namespace, unless we're root already
 * @c:		Execution context
 * @fd:		User namespace descriptor
 *
 * Capabilities over a network namespace come from its owning user
 * namespace: without them, we couldn't create a device in it.
 */
static void pasta_join_userns(struct ctx *c, int fd)
{
	(void)c;

	if (!geteuid())
		return;

	if (setns(fd, CLONE_NEWUSER))
		die_perror("Can't join user namespace");
}

/**
 * pasta_map_own() - Root: map every ID we have, each onto itself
 * @own:	Our own map, /proc/self/uid_map or gid_map
 * @map:	Map for the child, written
 * @size:	Size of @map
 *
 * In the initial namespace, that's every ID there is. Root of a rootless
 * user namespace only has the IDs mapped there (one, without subordinate
 * IDs): the child can't have others.
 *
 * Return: 0 on success, -1 if our map can't be read or doesn't fit
 */
static int pasta_map_own(const char *own, char *map, size_t size)
{
	char buf[4096], *line, *save;
	size_t off = 0;

	if (read_file(own, buf, sizeof(buf)) < 0)
		return -1;

	*map = '\0';
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned long first, count;
		int n;

		if (sscanf(line, "%lu %*u %lu", &first, &count) != 2)
			return -1;
		n = snprintf(map + off, size - off, "%lu %lu %lu\n", first,
			     first, count);
		if (n < 0 || (size_t)n >= size - off)
			return -1;
		off += n;
	}

	return off ? 0 : -1;
}

/**
 * pasta_map_ids() - Map our user and group to root in a child's namespace
 * @pid:	Child process
 */
static void pasta_map_ids(pid_t pid)
{
	char path[PATH_MAX], map[4096];
	uid_t uid = geteuid();
	gid_t gid = getegid();

	if (!uid) {
		if (pasta_map_own("/proc/self/uid_map", map, sizeof(map)))
			die("Can't read our own user ID map");
	} else {
		snprintf(map, sizeof(map), "0 %u 1", uid);
	}
	snprintf(path, sizeof(path), "/proc/%i/uid_map", pid);
	if (write_file(path, map))
		die_perror("Can't write %s", path);

	snprintf(path, sizeof(path), "/proc/%i/setgroups", pid);
	if (uid && write_file(path, "deny"))
		die_perror("Can't write %s", path);

	if (!uid) {
		if (pasta_map_own("/proc/self/gid_map", map, sizeof(map)))
			die("Can't read our own group ID map");
	} else {
		snprintf(map, sizeof(map), "0 %u 1", gid);
	}
	snprintf(path, sizeof(path), "/proc/%i/gid_map", pid);
	if (write_file(path, map))
		die_perror("Can't write %s", path);
}

/**
 * pasta_exec() - In the child: wait for the namespace, run the command
 * @c:		Execution context
 * @ready:	Pipe to tell the parent we unshared
 * @go:		Pipe the parent writes to once the namespace is set up
 */
__attribute__((noreturn))
static void pasta_exec(const struct ctx *c, int ready, int go)
{
	int flags = CLONE_NEWNET | (c->netns_only ? 0 : CLONE_NEWUSER);
	const char *shell = getenv("SHELL");
	char *sh_argv[] = { NULL, NULL };
	char **argv = c->pasta_argv;
	sigset_t none;
	char b = 0;

	prctl(PR_SET_PDEATHSIG, SIGTERM);

	if (unshare(flags)) {
		fprintf(stderr, "pasta: can't create namespaces: %s\n",
			strerror(errno));
		_exit(EXIT_FAILURE);
	}
	if (write(ready, &b, 1) != 1 || read(go, &b, 1) != 1)
		_exit(EXIT_FAILURE);	/* pasta went away */
	close(ready);
	close(go);

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	if (!argv) {
		sh_argv[0] = (char *)(shell && *shell ? shell : "/bin/sh");
		argv = sh_argv;
	}

	execvp(argv[0], argv);
	fprintf(stderr, "pasta: can't run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/**
 * pasta_spawn() - Create the namespaces with a child that'll run a command
 * @c:		Execution context
 */
static void pasta_spawn(struct ctx *c)
{
	int ready[2], go[2];
	char path[PATH_MAX];
	pid_t pid;
	char b;

	if (pipe2(ready, O_CLOEXEC) || pipe2(go, O_CLOEXEC))
		die_perror("Can't create pipes");

	pid = fork();
	if (pid < 0)
		die_perror("Can't fork");
	if (!pid) {
		close(ready[0]);
		close(go[1]);
		pasta_exec(c, ready[1], go[0]);
	}

	close(ready[1]);
	close(go[0]);
	if (read(ready[0], &b, 1) != 1)
		die("Can't create namespaces for the command");
	close(ready[0]);

	c->pasta_child_pid = pid;
	pasta_go_pipe = go[1];

	if (!c->netns_only)
		pasta_map_ids(pid);

	snprintf(path, sizeof(path), "/proc/%i/ns/net", pid);
	c->pasta_netns_fd = pasta_open_ns_proc(c, path);
	if (!c->netns_only) {
		snprintf(path, sizeof(path), "/proc/%i/ns/user", pid);
		c->pasta_userns_fd = pasta_open_ns_proc(c, path);
		pasta_join_userns(c, c->pasta_userns_fd);
	}
}

/**
 * pasta_attach() - Open the target namespaces given on the command line
 * @c:		Execution context
 */
static void pasta_attach(struct ctx *c)
{
	c->pasta_netns_fd = pasta_open_ns_proc(c, c->netns_path);

	if (c->netns_only)
		return;

	if (*c->userns_path) {
		char path[PATH_MAX];
		unsigned long pid;

		if (!parse_uint(c->userns_path, INT_MAX, &pid))
			snprintf(path, sizeof(path), "/proc/%lu/ns/user", pid);
		else
			str_copy(path, sizeof(path), c->userns_path);
		c->pasta_userns_fd = pasta_open_ns_proc(c, path);
	} else {
		/* The user namespace owning the network namespace */
		c->pasta_userns_fd = ioctl(c->pasta_netns_fd, NS_GET_USERNS);
		if (c->pasta_userns_fd < 0) {
			debug_perror("Can't get the owner of the namespace");
			return;
		}
	}

	pasta_join_userns(c, c->pasta_userns_fd);
}

/**
 * pasta_start() - Create or join the namespaces
 * @c:		Execution context
 */
void pasta_start(struct ctx *c)
{
	if (*c->netns_path)
		pasta_attach(c);
	else
		pasta_spawn(c);

	/* Joined (or not needed): the network namespace is what we keep */
	if (c->pasta_userns_fd >= 0)
		close(c->pasta_userns_fd);
	c->pasta_userns_fd = -1;
}

/**
 * pasta_release_child() - Let the command run, the namespace is ready
 * @c:		Execution context
 */
void pasta_release_child(struct ctx *c)
{
	char b = 0;

	(void)c;
	if (pasta_go_pipe < 0)
		return;

	if (write(pasta_go_pipe, &b, 1) != 1)
		die_perror("Can't start the command");
	close(pasta_go_pipe);
	pasta_go_pipe = -1;
}

/**
 * struct pasta_tap_arg - Tap device to create in the namespace
 * @name:	Name, updated with the name the kernel gave
 * @fd:		Descriptor, set
 * @ifi:	Interface index, set
 * @nl:		Netlink socket in the namespace, set
 * @offload:	What the device takes from us, LINK_OFFLOAD_*, set
 * @no_dad:	Turn off duplicate address detection on it
 */
struct pasta_tap_arg {
	char name[IFNAMSIZ];
	int fd;
	unsigned ifi;
	int nl;
	unsigned offload;
	bool no_dad;
};

/* Linux 6.2 uapi, not in older headers */
#ifndef TUN_F_USO4
#define TUN_F_USO4	0x20
#define TUN_F_USO6	0x40
#endif

/**
 * pasta_tap_offload() - Let the namespace leave checksums (and TCP and UDP
 *			 segmentation, if the kernel can) to the tap device
 * @fd:		Tap device, opened with IFF_VNET_HDR
 *
 * The namespace's stack then skips computing checksums of what it sends us
 * (we don't check them: nothing on this device crosses a wire), and takes
 * TCP and UDP frames from us with the sum of their pseudo-header only, as it
 * would its own. With TSO, it sends TCP segments of up to 64 KiB whatever
 * the MTU: they go to sockets as they are. With USO (Linux 6.2), a run of
 * datagrams sent with UDP_SEGMENT comes in one frame, and the kernel takes
 * such frames from us too.
 *
 * Return: offloads the device takes, LINK_OFFLOAD_* bits
 */
static unsigned pasta_tap_offload(int fd)
{
	unsigned long tso = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;

	if (!ioctl(fd, TUNSETOFFLOAD, tso | TUN_F_USO4 | TUN_F_USO6))
		return LINK_OFFLOAD_CSUM | LINK_OFFLOAD_TSO | LINK_OFFLOAD_USO;
	if (!ioctl(fd, TUNSETOFFLOAD, tso))
		return LINK_OFFLOAD_CSUM | LINK_OFFLOAD_TSO;
	if (!ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM))
		return LINK_OFFLOAD_CSUM;
	ioctl(fd, TUNSETOFFLOAD, 0);
	return 0;
}

/**
 * pasta_tap_open() - In the namespace: create the tap device, open netlink
 * @arg:	struct pasta_tap_arg
 *
 * Return: 0 on success, negative error code on failure
 */
static int pasta_tap_open(void *arg)
{
	struct pasta_tap_arg *a = arg;
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };

	a->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (a->fd < 0)
		return -errno;

	memcpy(ifr.ifr_name, a->name, IFNAMSIZ);
	if (ioctl(a->fd, TUNSETIFF, &ifr)) {
		int ret = -errno;

		close(a->fd);
		a->fd = -1;
		return ret;
	}
	memcpy(a->name, ifr.ifr_name, IFNAMSIZ);
	a->ifi = if_nametoindex(a->name);
	a->offload = pasta_tap_offload(a->fd);

	/* Nobody else is on the link to have the same address: without
	 * detection, the link-local address is usable as the link comes up,
	 * not a second or two later (in local mode, it's the only one)
	 */
	if (a->no_dad) {
		char path[PATH_MAX];

		snprintf(path, sizeof(path),
			 "/proc/sys/net/ipv6/conf/%s/accept_dad", a->name);
		if (write_file(path, "0"))
			debug("Can't turn off duplicate address detection");
	}

	a->nl = nl_sock_open();
	if (a->nl < 0)
		return -errno;

	return 0;
}

/**
 * pasta_ping_group() - In the namespace: let every group use ping sockets
 * @arg:	Unused
 *
 * Return: 0 on success, -1 if the range couldn't be set
 */
static int pasta_ping_group(void *arg)
{
	const char *path = "/proc/sys/net/ipv4/ping_group_range";

	(void)arg;

	/* An unprivileged namespace only maps our own group, as root */
	if (!write_file(path, "0 2147483647") || !write_file(path, "0 0"))
		return 0;

	return -1;
}

/**
 * pasta_config_net() - Give the tap device addresses and routes
 * @c:		Execution context
 * @ifi:	Index of the tap device in the namespace
 */
static void pasta_config_net(struct ctx *c, unsigned ifi)
{
	int rc;

	if (ipv4_enabled(c)) {
		bool same = c->ip4.addr.s_addr == c->ip4.host_addr.s_addr &&
			    c->ip4.prefix_len == c->ip4.host_prefix_len;

		if (same && !c->ip4.no_copy_addrs && ifi_on_host(c->ifi4))
			rc = nl_addr_dup(c->nl_sock, c->ifi4, c->nl_sock_ns, ifi,
					 AF_INET);
		else
			rc = nl_addr_set(c->nl_sock_ns, ifi, AF_INET,
					 &c->ip4.addr, c->ip4.prefix_len);
		if (rc)
			die("Can't set IPv4 address in the namespace: %s",
			    strerror(-rc));

		if (!c->ip4.no_copy_routes && ifi_on_host(c->ifi4) &&
		    c->ip4.guest_gw.s_addr == c->ip4.host_gw.s_addr)
			rc = nl_route_dup(c->nl_sock, c->ifi4, c->nl_sock_ns,
					  ifi, AF_INET);
		else if (c->ip4.guest_gw.s_addr)
			rc = nl_route_set_def(c->nl_sock_ns, ifi, AF_INET,
					      &c->ip4.guest_gw);
		if (rc)
			warn("Can't set every IPv4 route in the namespace: %s",
			     strerror(-rc));
	}

	if (ipv6_enabled(c)) {
		bool same = IN6_ARE_ADDR_EQUAL(&c->ip6.addr, &c->ip6.host_addr);

		if (same && !c->ip6.no_copy_addrs && ifi_on_host(c->ifi6))
			rc = nl_addr_dup(c->nl_sock, c->ifi6, c->nl_sock_ns, ifi,
					 AF_INET6);
		else if (IN6_IS_ADDR_UNSPECIFIED(&c->ip6.addr))
			rc = 0;		/* Local mode: link-local only */
		else
			rc = nl_addr_set(c->nl_sock_ns, ifi, AF_INET6,
					 &c->ip6.addr, c->ip6.prefix_len);
		if (rc)
			die("Can't set IPv6 address in the namespace: %s",
			    strerror(-rc));

		if (!c->ip6.no_copy_routes && ifi_on_host(c->ifi6) &&
		    IN6_ARE_ADDR_EQUAL(&c->ip6.guest_gw, &c->ip6.host_gw))
			rc = nl_route_dup(c->nl_sock, c->ifi6, c->nl_sock_ns,
					  ifi, AF_INET6);
		else if (!IN6_IS_ADDR_UNSPECIFIED(&c->ip6.guest_gw))
			rc = nl_route_set_def(c->nl_sock_ns, ifi, AF_INET6,
					      &c->ip6.guest_gw);
		if (rc)
			warn("Can't set every IPv6 route in the namespace: %s",
			     strerror(-rc));
	}
}

/**
 * pasta_nl_open() - In the namespace: open a netlink socket
 * @arg:	Descriptor, set
 *
 * Return: 0 on success, negative error code on failure
 */
static int pasta_nl_open(void *arg)
{
	int *nl = arg;

	*nl = nl_sock_open();
	return *nl < 0 ? -errno : 0;
}

/**
 * pasta_ns_conf_splice_only() - No tap device: bring loopback up, that's all
 * @c:		Execution context
 */
static void pasta_ns_conf_splice_only(struct ctx *c)
{
	int rc;

	c->link = &link_tap_ops;
	c->run->link_offload = 0;
	rc = ns_call(c, pasta_nl_open, &c->nl_sock_ns);
	if (rc)
		die("Can't open netlink in the namespace: %s", strerror(-rc));

	if ((rc = nl_link_up(c->nl_sock_ns, 1)))
		die("Can't bring up loopback in the namespace: %s",
		    strerror(-rc));

	if (c->pasta_conf_ns)
		info("--splice-only: no tap device, --config-net has nothing "
		     "to configure");
	debug("No tap device (--splice-only): loopback splicing only");
}

/**
 * pasta_ns_conf() - Create and set up the tap device in the namespace
 * @c:		Execution context
 */
void pasta_ns_conf(struct ctx *c)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_TAP_PASTA };
	struct pasta_tap_arg a = { .fd = -1, .nl = -1 };
	unsigned char mac[ETH_ALEN];
	int rc;

	if (c->splice_only) {
		pasta_ns_conf_splice_only(c);
		return;
	}

	if (*c->pasta_ifname)
		memcpy(a.name, c->pasta_ifname, IFNAMSIZ);
	else if (!if_indextoname(ifi_on_host(c->ifi4) ? c->ifi4 : c->ifi6,
				 a.name))
		str_copy(a.name, IFNAMSIZ, "tap0");

	a.no_dad = c->pasta_conf_ns;
	rc = ns_call(c, pasta_tap_open, &a);
	if (rc)
		die("Can't create tap device %s in the namespace: %s%s",
		    a.name, strerror(-rc), rc == -EACCES || rc == -EPERM ?
		    " (is /dev/net/tun usable by us?)" : "");

	c->run->fd_tap = a.fd;
	c->pasta_ifi = a.ifi;
	c->link = &link_tap_ops;
	c->run->link_offload = a.offload;
	c->nl_sock_ns = a.nl;
	memcpy(c->pasta_ifname, a.name, IFNAMSIZ);

	if (c->pasta_mac_set) {
		memcpy(mac, c->pasta_mac, ETH_ALEN);
	} else {
		/* Random, locally administered, unicast */
		raw_random(mac, sizeof(mac));
		mac[0] = (mac[0] & 0xfe) | 0x02;
	}
	if ((rc = nl_link_set_mac(c->nl_sock_ns, a.ifi, mac)))
		warn("Can't set MAC address of %s: %s", a.name, strerror(-rc));
	if ((rc = nl_link_set_mtu(c->nl_sock_ns, a.ifi, c->mtu)))
		warn("Can't set MTU of %s: %s", a.name, strerror(-rc));
	if ((rc = nl_link_up(c->nl_sock_ns, 1)))
		warn("Can't bring up loopback in the namespace: %s",
		     strerror(-rc));
	if ((rc = nl_link_up(c->nl_sock_ns, a.ifi)))
		die("Can't bring up %s: %s", a.name, strerror(-rc));

	if (c->pasta_conf_ns) {
		/* Addresses and routes are set: no autoconfiguration */
		c->no_ra = true;
		pasta_config_net(c, a.ifi);
		nshelper_init(c);
	}

	if (ns_call(c, pasta_ping_group, NULL))
		debug("Can't set ping_group_range in the namespace");

	if (epoll_add(c, c->run->fd_tap, EPOLLIN | EPOLLRDHUP, ref))
		die_perror("Can't watch tap device");

	debug("Tap device %s in the namespace, index %u", a.name, a.ifi);
}

/**
 * pasta_child_handler() - SIGCHLD: quit with the command's status if it ended
 * @c:		Execution context
 */
void pasta_child_handler(struct ctx *c)
{
	int status;
	pid_t pid;

	/* #syscalls:pasta wait4 */
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid != c->pasta_child_pid)
			continue;

		if (WIFEXITED(status))
			passt_quit(c, WEXITSTATUS(status));
		else if (WIFSIGNALED(status))
			passt_quit(c, 128 + WTERMSIG(status));
	}
}

/**
 * nsquit_pidfd() - A pidfd for the process of a /proc/PID/ns/net path
 * @path:	Path of the namespace, starting with /proc/
 *
 * A pidfd becomes readable once the process ends, and needs no right over
 * it: the namespace's files of a process running as root of its own user
 * namespace (as rootlesskit's child does) can't be opened by a pasta that
 * gave up its capabilities, even of the same user.
 *
 * Return: the pidfd, -1 if the path isn't of that form, or on failure
 */
static int nsquit_pidfd(const char *path)
{
#ifdef SYS_pidfd_open
	const char *p = path + strlen("/proc/");
	unsigned long pid;
	char *end;

	if (*p < '1' || *p > '9')
		return -1;
	errno = 0;
	pid = strtoul(p, &end, 10);
	if (errno || pid > INT_MAX || strcmp(end, "/ns/net"))
		return -1;

	/* Before the sandbox: not in the seccomp filter */
	return syscall(SYS_pidfd_open, (pid_t)pid, 0);
#else
	(void)path;
	return -1;
#endif
}

/**
 * pasta_netns_quit_init() - Watch the target namespace, to quit without it
 * @c:		Execution context
 *
 * A namespace bound to a file is gone when the file is: watch its
 * directory for deletions. A namespace of a process (/proc/PID/ns/net) goes
 * with the process: watch a pidfd of it, or, where there are none (Linux
 * before 5.3, or another form of path), check once a second through a
 * descriptor of /proc/PID.
 */
void pasta_netns_quit_init(struct ctx *c)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_NSQUIT_INOTIFY };
	bool proc = !strncmp(c->netns_path, "/proc/", strlen("/proc/"));
	char dir[PATH_MAX], base[PATH_MAX];
	int fd;

	if (!*c->netns_path || c->no_netns_quit)
		return;

	str_copy(dir, sizeof(dir), c->netns_path);
	str_copy(base, sizeof(base), c->netns_path);
	str_copy(nsquit_name, sizeof(nsquit_name), basename(base));

	if (proc && (fd = nsquit_pidfd(c->netns_path)) >= 0) {
		ref.type = EPOLL_TYPE_NSQUIT_PIDFD;
	} else if (proc) {
		struct itimerspec it = { { NSQUIT_INTERVAL_S, 0 },
					 { NSQUIT_INTERVAL_S, 0 } };

		/* /proc/PID/ns/net: keep /proc/PID, check it's alive */
		*strrchr(dir, '/') = '\0';
		*strrchr(dir, '/') = '\0';
		nsquit_dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		if (nsquit_dir_fd < 0 || fd < 0 ||
		    timerfd_settime(fd, 0, &it, NULL))
			die_perror("Can't watch the namespace of %s", dir);
		ref.type = EPOLL_TYPE_NSQUIT_TIMER;
	} else {
		fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (fd < 0 || inotify_add_watch(fd, dirname(dir),
						IN_DELETE | IN_MOVED_FROM) < 0)
			die_perror("Can't watch the directory of %s",
				   c->netns_path);
	}

	if (epoll_add(c, fd, EPOLLIN, ref))
		die_perror("Can't watch the namespace");
}

/**
 * pasta_netns_quit_handler() - Directory events: quit if the namespace is gone
 * @c:		Execution context
 * @ref:	epoll reference, with the inotify descriptor
 */
void pasta_netns_quit_handler(struct ctx *c, union epoll_ref ref)
{
	char buf[sizeof(struct inotify_event) + NAME_MAX + 1]
		__attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	ssize_t n, off;

	/* #syscalls:pasta read */
	while ((n = read(ref.fd, buf, sizeof(buf))) > 0) {
		for (off = 0; off < n;
		     off += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)(buf + off);
			if (ev->len && !strcmp(ev->name, nsquit_name)) {
				info("Namespace %s is gone, quitting",
				     c->netns_path);
				passt_quit(c, EXIT_SUCCESS);
				return;
			}
		}
	}
}

/**
 * nsquit_proc_alive() - Tell if the process behind nsquit_dir_fd still runs
 *
 * Its stat file is readable by anybody, with no right over the process
 * (unlike its ns/ files), and says if it ended: gone, or a zombie.
 *
 * Return: true if it runs
 */
static bool nsquit_proc_alive(void)
{
	char buf[512], *p;
	ssize_t n;
	int fd;

	/* #syscalls:pasta read openat close */
	fd = openat(nsquit_dir_fd, "stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';

	/* PID (comm) STATE ...: the name may hold anything, ')' too */
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X' && p[2] != 'x';
}

/**
 * nsquit_gone() - The process of the namespace ended: quit
 * @c:		Execution context
 * @fd:		Descriptor that told us (pidfd or timerfd)
 *
 * The descriptor goes: a pidfd stays readable, and would wake the main loop
 * over and over while flows drain.
 */
static void nsquit_gone(struct ctx *c, int fd)
{
	epoll_del(c, fd);
	close(fd);

	if (!quit_draining())
		info("Process of namespace %s is gone, quitting",
		     c->netns_path);
	passt_quit(c, EXIT_SUCCESS);
}

/**
 * pasta_netns_quit_timer() - Once a second: quit if the process is gone
 * @c:		Execution context
 * @ref:	epoll reference, with the timerfd
 */
void pasta_netns_quit_timer(struct ctx *c, union epoll_ref ref)
{
	uint64_t expired;

	if (read(ref.fd, &expired, sizeof(expired)) < 0)
		return;

	if (!nsquit_proc_alive())
		nsquit_gone(c, ref.fd);
}

/**
 * pasta_netns_quit_pidfd() - The process of the namespace ended: quit
 * @c:		Execution context
 * @ref:	epoll reference, with the pidfd
 */
void pasta_netns_quit_pidfd(struct ctx *c, union epoll_ref ref)
{
	nsquit_gone(c, ref.fd);
}
