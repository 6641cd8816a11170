// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * isolation.c - Privileges, namespaces and sandboxing of the process
 *
 * The process goes through these steps, called from main() in this order:
 *
 * - isolate_initial(): before anything else, what must hold for the whole
 *   life of the process: no SIGPIPE, a sane umask, the file limit raised to
 *   the hard limit, no descriptors inherited by mistake
 * - isolate_user(): started as root, become nobody (or --runas), without
 *   supplementary groups, keeping only the capabilities we still need: to
 *   bind low ports, and for pasta to enter its namespace later. Root of a
 *   user namespace other than the initial one (rootless podman runs pasta
 *   so) has no privilege outside it, and often no other user mapped to
 *   switch to: it stays as it is, unless --runas says otherwise
 * - (everything is opened: sockets, tap device, files)
 * - isolate_prefork(): a user namespace of our own for passt, then new
 *   mount, IPC and UTS namespaces, and an empty read-only root we pivot to:
 *   no file can be opened any longer
 * - isolate_daemon(): detach, into a new PID namespace for passt
 * - isolate_postfork(): drop every capability left (pasta keeps what it
 *   needs to enter its namespace), no new privileges, then the seccomp
 *   filter, built by seccomp.sh from annotations in the sources
 */

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "isolation.h"
#include "log.h"
#include "nshelper.h"
#include "passt.h"
#include "resolv.h"
#include "seccomp.h"
#include "util.h"

/* #syscalls exit_group exit rt_sigreturn */

static bool started_as_root;
static bool userns_initial;
static int sock_dir_fd = -1;
static int daemon_ready_fd = -1;
static char sock_name[NAME_MAX + 1];

/**
 * fd_arg() - Find the descriptor given with -F or --fd, if any
 * @argc:	Argument count
 * @argv:	Arguments
 *
 * Return: descriptor number, -1 if none
 */
static int fd_arg(int argc, char **argv)
{
	unsigned long v;
	int i;

	for (i = 1; i < argc && argv[i]; i++) {
		const char *a = argv[i], *val = NULL;

		if (!strcmp(a, "--"))
			break;
		if ((!strcmp(a, "-F") || !strcmp(a, "--fd")) && i + 1 < argc)
			val = argv[i + 1];
		else if (!strncmp(a, "--fd=", 5))
			val = a + 5;
		else if (!strncmp(a, "-F", 2) && a[2])
			val = a + 2;

		if (val && !parse_uint(val, INT_MAX, &v) && v > 2)
			return v;
	}

	return -1;
}

/**
 * userns_is_initial() - Tell if we run in the initial user namespace
 *
 * Only there does the user ID map cover every ID, onto itself, in one line.
 *
 * Return: true in the initial user namespace (or if we can't tell)
 */
static bool userns_is_initial(void)
{
	unsigned long inside, outside, count;
	char map[256];
	int end = 0;

	if (read_file("/proc/self/uid_map", map, sizeof(map)) < 0)
		return true;

	if (sscanf(map, "%lu %lu %lu %n", &inside, &outside, &count,
		   &end) != 3)
		return true;

	return !inside && !outside && count == 4294967295UL && !map[end];
}

/**
 * isolate_initial() - First steps, before parsing options
 * @argc:	Argument count
 * @argv:	Arguments
 */
void isolate_initial(int argc, char **argv)
{
	struct rlimit lim;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	umask(0077);

	/* Later, in a user namespace, we might look like root anyway */
	started_as_root = !geteuid();
	userns_initial = userns_is_initial();

	/* Every connection is a socket or more: take all the soft limit can */
	if (!getrlimit(RLIMIT_NOFILE, &lim) && lim.rlim_cur < lim.rlim_max) {
		lim.rlim_cur = lim.rlim_max;
		setrlimit(RLIMIT_NOFILE, &lim);
	}

	/* Nothing inherited but standard streams and a socket given by -F */
	fd = fd_arg(argc, argv);
	close_open_files(fd, fd);
}

/**
 * cap_set() - Set permitted and effective capabilities, drop inheritable
 * @caps:	Capabilities to keep, as a mask of (1 << CAP_...)
 *
 * Return: 0 on success, -1 on failure
 */
static int cap_set(uint64_t caps)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = {
		{ .effective = caps & 0xffffffff,
		  .permitted = caps & 0xffffffff },
		{ .effective = caps >> 32, .permitted = caps >> 32 },
	};

	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	return syscall(SYS_capset, &hdr, data) ? -1 : 0;
}

/**
 * isolate_keep_caps() - Capabilities a mode keeps after switching user
 * @c:		Execution context
 *
 * Return: mask of capabilities
 */
static uint64_t isolate_keep_caps(const struct ctx *c)
{
	uint64_t caps = 1ULL << CAP_NET_BIND_SERVICE;

	if (c->mode == MODE_PASTA)
		caps |= 1ULL << CAP_SYS_ADMIN;

	return caps;
}

/**
 * isolate_user() - Started as root: become another user, keep few caps
 * @c:		Execution context, with the user and group to switch to
 */
void isolate_user(struct ctx *c)
{
	if (!started_as_root)
		return;

	if (!userns_initial && !c->runas_given) {
		debug("Root of a user namespace: staying so, no user to drop to");
		return;
	}

	if (!c->uid)
		warn("Running as root, because of --runas: not advised");

	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0))
		die_perror("Can't keep capabilities across user switch");

	/* A user namespace may deny setgroups() (unshare -r does): then
	 * there's nothing we could drop either */
	if (setgroups(0, NULL) && (userns_initial || errno != EPERM))
		die_perror("Can't drop supplementary groups");

	if (setresgid(c->gid, c->gid, c->gid) ||
	    setresuid(c->uid, c->uid, c->uid))
		die_perror("Can't switch to user %u, group %u%s", c->uid,
			   c->gid, userns_initial ? "" :
			   " (are they mapped in this user namespace?)");

	/* pasta's helper keeps CAP_NET_ADMIN, see isolate_nshelper() */
	if (cap_set(isolate_keep_caps(c) |
		    (nshelper_wanted(c) ? 1ULL << CAP_NET_ADMIN : 0)))
		die_perror("Can't set capabilities");

	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);

	/* Switching user made us non-dumpable, /proc/self root's: we still
	 * need to write our own ID maps there */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	debug("Running as user %u, group %u", c->uid, c->gid);
}

/**
 * isolate_userns() - passt: a user namespace of its own, mapping our IDs
 *
 * Gives us the capabilities to create the other namespaces and pivot to an
 * empty root, over namespaces that are ours alone.
 *
 * Return: 0 on success, -1 on failure
 */
static int isolate_userns(void)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	char map[64];

	if (unshare(CLONE_NEWUSER))
		return -1;

	snprintf(map, sizeof(map), "%u %u 1", uid, uid);
	if (write_file("/proc/self/uid_map", map))
		return -1;
	if (write_file("/proc/self/setgroups", "deny"))
		return -1;
	snprintf(map, sizeof(map), "%u %u 1", gid, gid);
	if (write_file("/proc/self/gid_map", map))
		return -1;

	return 0;
}

/**
 * isolate_keep_sock_dir() - Keep a handle on the socket's directory
 * @c:		Execution context
 *
 * After the pivot, the socket path is gone from our view: to unlink it on
 * exit, we keep its directory open.
 */
static void isolate_keep_sock_dir(const struct ctx *c)
{
	char dir[sizeof(c->sock_path)], base[sizeof(c->sock_path)];

	if (c->mode != MODE_PASST || c->fd_tap_listen < 0 || !*c->sock_path)
		return;

	str_copy(dir, sizeof(dir), c->sock_path);
	str_copy(base, sizeof(base), c->sock_path);
	str_copy(sock_name, sizeof(sock_name), basename(base));
	sock_dir_fd = open(dirname(dir), O_PATH | O_DIRECTORY | O_CLOEXEC);
}

/**
 * isolate_unlink_socket() - Remove our socket file, on exit
 * @c:		Execution context
 */
void isolate_unlink_socket(const struct ctx *c)
{
	/* #syscalls:passt unlinkat */
	if (c->fd_tap_listen < 0 || !*c->sock_path)
		return;

	if (sock_dir_fd >= 0)
		unlinkat(sock_dir_fd, sock_name, 0);
	else
		unlink(c->sock_path);
}

/**
 * isolate_fs() - An empty, read-only root, the only one we can see
 * @chroot_fallback:	Where pivot_root() fails, chroot() into it instead
 *
 * pivot_root() fails where the root isn't a mount point (we run in a
 * chroot) or where a seccomp profile refuses it (some container engines'
 * default ones). chroot() then gives the same view of the file system,
 * with the old root still there, out of our sight, to whoever can escape a
 * chroot: no one, once we drop our capabilities.
 *
 * Return: 0 on success, -1 on failure
 */
static int isolate_fs(bool chroot_fallback)
{
	/* Nothing we do from here propagates back to the parent namespace.
	 * In a chroot, "/" isn't a mount point and can't be made private:
	 * our own mount namespace is all we have then */
	if (mount("", "/", "", MS_REC | MS_PRIVATE, NULL)) {
		if (!chroot_fallback)
			return -1;
		debug_perror("Can't make mounts private");
	}

	resolv_sandbox_hold();

	/* Ours (the user we run as), writable until it's filled */
	if (mount("", "/tmp", "tmpfs", MS_NODEV | MS_NOEXEC | MS_NOSUID,
		  "mode=0700"))
		return -1;

	/* New root on top of the old one at the same point, then let the old
	 * one go: pivot_root(".", ".") needs no directory to put it in */
	if (chdir("/tmp"))
		return -1;

	/* All it will hold: the directories of resolv.conf, read-only */
	resolv_sandbox();
	if (chmod(".", 0500))
		return -1;

	if (syscall(SYS_pivot_root, ".", ".")) {
		if (!chroot_fallback)
			return -1;
		info("pivot_root() failed (%s), using chroot()",
		     strerror(errno));
		if (chroot("."))
			return -1;
	} else if (umount2(".", MNT_DETACH)) {
		return -1;
	}

	if (mount("", "/", "", MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NODEV |
		  MS_NOEXEC | MS_NOSUID, NULL))
		return -1;

	return chdir("/");
}

/**
 * isolate_prefork() - Sandbox: namespaces of our own, nothing to open
 * @c:		Execution context
 *
 * Everything the process will ever need is open when we get here, but
 * resolv.conf, which it may read again through the read-only bind mounts of
 * resolv_sandbox(), all there is in its root.
 */
void isolate_prefork(struct ctx *c)
{
	int flags = CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS;

	isolate_keep_sock_dir(c);

	if (c->mode == MODE_PASST && isolate_userns())
		die_perror("Can't create a user namespace for the sandbox");

	if (unshare(flags))
		die_perror("Can't create sandbox namespaces");

	if (isolate_fs(c->chroot_fallback))
		die_perror("Can't set up an empty root%s", c->chroot_fallback ?
			   "" : " (try --chroot-fallback)");

	/* passt detaches into a PID namespace where it's alone */
	if (c->mode == MODE_PASST && !c->foreground &&
	    unshare(CLONE_NEWPID))
		die_perror("Can't create a PID namespace");
}

/**
 * isolate_daemon() - Detach into the background
 * @c:		Execution context
 *
 * The parent tells the child its PID as seen from outside (in a PID
 * namespace of its own, the child sees 1), waits until the child is ready to
 * serve (sandboxed, filter applied: isolate_ready()), writes that PID to the
 * PID file, and exits with 0: whoever started us (libvirt, podman) finds
 * everything in place as soon as we return. If the child fails before that,
 * the parent exits with 1.
 *
 * Return: in the child, its PID as seen from outside
 */
pid_t isolate_daemon(struct ctx *c)
{
	int devnull, ready[2], tell[2];
	pid_t pid;
	char b;

	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (pipe2(ready, O_CLOEXEC) || pipe2(tell, O_CLOEXEC))
		die_perror("Can't create a pipe");

	pid = fork();
	if (pid < 0)
		die_perror("Can't fork into the background");

	if (pid) {
		close(ready[1]);
		close(tell[0]);
		if (write(tell[1], &pid, sizeof(pid)) != sizeof(pid) ||
		    read(ready[0], &b, 1) != 1)
			_exit(EXIT_FAILURE);
		pidfile_write(c->pidfile_fd, pid);
		_exit(EXIT_SUCCESS);
	}

	close(ready[0]);
	close(tell[1]);
	daemon_ready_fd = ready[1];
	if (read(tell[0], &pid, sizeof(pid)) != sizeof(pid))
		pid = getpid();
	close(tell[0]);

	if (c->pidfile_fd >= 0)
		close(c->pidfile_fd);
	c->pidfile_fd = -1;

	if (setsid() < 0)
		die_perror("setsid() failed");

	if (devnull < 0) {
		close(STDIN_FILENO);
		close(STDOUT_FILENO);
		if (!c->force_stderr) {
			close(STDERR_FILENO);
			log_to_stderr(false);
		}
		return pid;
	}

	dup2(devnull, STDIN_FILENO);
	dup2(devnull, STDOUT_FILENO);
	if (!c->force_stderr) {
		dup2(devnull, STDERR_FILENO);
		log_to_stderr(false);
	}
	close(devnull);

	return pid;
}

/**
 * isolate_ready() - Tell the parent we're up, if we detached
 */
void isolate_ready(void)
{
	char b = 0;

	if (daemon_ready_fd < 0)
		return;

	if (write(daemon_ready_fd, &b, 1) != 1)
		warn("Couldn't tell the parent process we're ready");
	close(daemon_ready_fd);
	daemon_ready_fd = -1;
}

/**
 * isolate_seccomp() - Apply the system call filter of the mode
 * @c:		Execution context
 */
static void isolate_seccomp(const struct ctx *c)
{
	struct sock_fprog prog;

	if (c->mode == MODE_PASST) {
		prog.len = ARRAY_SIZE(seccomp_filter_passt);
		prog.filter = (struct sock_filter *)seccomp_filter_passt;
	} else {
		prog.len = ARRAY_SIZE(seccomp_filter_pasta);
		prog.filter = (struct sock_filter *)seccomp_filter_pasta;
	}

	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		die_perror("Can't apply the seccomp filter");
}

/**
 * isolate_nshelper() - Lock the namespace's helper down (see nshelper.c):
 *			CAP_NET_ADMIN alone, its own system calls
 *
 * Called in the helper, forked by pasta in its empty root, as the user it
 * switched to, just before pasta drops its own capabilities: the helper
 * keeps one of them instead. Nothing of ours is around to report a failure
 * to: it exits, and pasta's requests fail.
 */
void isolate_nshelper(void)
{
	struct sock_fprog prog = {
		.len = ARRAY_SIZE(seccomp_filter_nshelper),
		.filter = (struct sock_filter *)seccomp_filter_nshelper,
	};

	if (cap_set(1ULL << CAP_NET_ADMIN) ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		_exit(1);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		_exit(1);
}

/**
 * isolate_postfork() - Last steps before the main loop
 * @c:		Execution context
 */
void isolate_postfork(struct ctx *c)
{
	uint64_t caps = 0;

	/* pasta enters its target namespace for loopback sockets and ports
	 * found there: that takes CAP_SYS_ADMIN over it, and binding low
	 * ports there CAP_NET_BIND_SERVICE */
	if (c->mode == MODE_PASTA)
		caps = isolate_keep_caps(c);

	if (cap_set(caps))
		die_perror("Can't drop capabilities");

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		die_perror("Can't set no_new_privs");

	/* No core dumps with guest data in them, no tracing by our user */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

	isolate_seccomp(c);
}
