// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * passt - user-mode networking for virtual machines and namespaces
 *
 * qrap.c - Connect to passt's socket and run qemu with its network on it
 *
 * qrap [-s PATH] FDNUM QEMU_CMD [QEMU_ARG]...
 *
 * Connects to passt's UNIX domain socket (PATH, or the first of
 * /tmp/passt_1.socket ... /tmp/passt_128.socket accepting connections), makes
 * the connected socket file descriptor FDNUM, and executes qemu with its
 * network options replaced by a virtio-net-pci device on a socket back-end
 * using that descriptor: "-netdev socket,fd=FDNUM" puts the same 4-byte
 * length header as passt before each Ethernet frame, and every qemu version
 * has it.
 *
 * If the environment variable QRAP_DRY_RUN is set, the resulting qemu argument
 * vector is printed to standard output, one argument per line, instead of
 * executing qemu (after connecting, so that the connection is tested too).
 */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/utsname.h>

/* From the Makefile: the same version as passt's, see passt_version() */
#ifndef VERSION
#define VERSION			"unknown"
#endif

#define SOCK_PATH_FMT		"/tmp/passt_%i.socket"
#define SOCK_PATH_FIRST		1
#define SOCK_PATH_LAST		128

#define CONNECT_TIMEOUT_MS	2000	/* Keep retrying for this long */
#define CONNECT_RETRY_MS	100	/* Interval between attempts */
#define HANGUP_WAIT_MS		100	/* Wait for a busy passt to hang up */

#define QEMU_ARGS_MAX		4096	/* Arguments for qemu we take */
#define QEMU_ARGS_ADDED		4	/* -netdev ... -device ... */

#define NETDEV_ID		"hostnet0"
#define NET_DEVICE		"virtio-net-pci"

#define MAC_STR_LEN		sizeof("xx:xx:xx:xx:xx:xx")
#define OPT_VALUE_MAX		256	/* For property values we look at */

/* Network device models: -device options using one are dropped */
static const char *const net_devices[] = {
	"virtio-net-pci", "virtio-net-pci-transitional",
	"virtio-net-pci-non-transitional", "virtio-net", "virtio-net-device",
	"virtio-net-ccw", "e1000", "e1000-82544gc", "e1000-82545em", "e1000e",
	"igb", "rtl8139", "ne2k_pci", "ne2k_isa", "pcnet", "vmxnet3",
	"i82550", "i82551", "i82557a", "i82557b", "i82557c", "i82558a",
	"i82558b", "i82559a", "i82559b", "i82559c", "i82559er", "i82562",
	"i82801", "usb-net", "tulip", "sungem", "spapr-vlan", "rocker",
	NULL,
};

/*
 * Other qemu options taking an argument: their arguments are copied without a
 * look, even if they happen to be "-nic" (think of -append). Options missing
 * here are taken as flags, which only matters for such unlikely arguments.
 */
static const char *const qemu_opts_with_arg[] = {
	"M", "machine", "cpu", "accel", "smp", "m", "mem-path", "numa",
	"object", "global", "set", "readconfig", "writeconfig", "name", "uuid",
	"k", "audio", "audiodev", "soundhw", "usbdevice", "boot", "bios", "L",
	"kernel", "initrd", "append", "dtb", "fw_cfg", "option-rom", "smbios",
	"acpitable", "drive", "blockdev", "cdrom", "hda", "hdb", "hdc", "hdd",
	"fda", "fdb", "mtdblock", "sd", "pflash", "fsdev",
	"virtfs", "virtfs_synth", "iscsi", "add-fd", "chardev", "serial",
	"parallel", "monitor", "qmp", "qmp-pretty", "mon", "debugcon",
	"display", "vga", "vnc", "spice", "g", "gdb", "d", "D", "dfilter",
	"trace", "plugin", "pidfile", "loadvm", "incoming", "runas", "chroot",
	"run-with", "sandbox", "msg", "rtc", "icount", "watchdog-action",
	"action", "echr", "tpmdev", "overcommit", "semihosting-config",
	"compat", "prom-env", "xen-domid", "qtest", "qtest-log", "bt",
	"seed", "rotate", "dump-vmstate",
	NULL,
};

/* Candidates for QEMU_CMD "qemu" or "kvm", qemu-system-<target> first */
static const char *const qemu_fallbacks[] = { "qemu-kvm", "kvm", NULL };

/**
 * enum net_opt - qemu options we look at
 * @OPT_OTHER:		Not a network option, keep
 * @OPT_OTHER_ARG:	Not a network option, keep, with its argument
 * @OPT_NETDEV:		-netdev: drop
 * @OPT_NET:		-net (legacy): drop, MAC address from "macaddr"
 * @OPT_NIC:		-nic: drop, MAC address from "mac"
 * @OPT_DEVICE:		-device: drop if it's a network device
 */
enum net_opt {
	OPT_OTHER,
	OPT_OTHER_ARG,
	OPT_NETDEV,
	OPT_NET,
	OPT_NIC,
	OPT_DEVICE,
};

/**
 * usage() - Print usage
 * @f:		Where to print it, stdout or stderr
 * @name:	Name we were called with
 */
static void usage(FILE *f, const char *name)
{
	fprintf(f,
		"Usage: %s [-s PATH] FDNUM QEMU_CMD [QEMU_ARG]...\n"
		"\n"
		"Connect to passt's UNIX domain socket, make the\n"
		"connection file descriptor FDNUM (3 or more), and run qemu\n"
		"with a network device on it.\n"
		"\n"
		"  -s, --socket PATH  socket to connect to, default: the\n"
		"                     first accepting connections of\n"
		"                     " SOCK_PATH_FMT " ... " SOCK_PATH_FMT "\n"
		"  -h, --help         show this help and exit\n"
		"      --version      show the version and exit\n"
		"\n"
		"QEMU_CMD \"qemu\" or \"kvm\" runs the first of\n"
		"qemu-system-ARCH (ARCH from uname -m), qemu-kvm, kvm found\n"
		"in PATH.\n"
		"\n"
		"Network options in QEMU_ARGs (-netdev, -net, -nic, network\n"
		"-device) are dropped, a MAC address given there is kept, and\n"
		"these are appended:\n"
		"  -netdev socket,fd=FDNUM,id=" NETDEV_ID "\n"
		"  -device " NET_DEVICE ",netdev=" NETDEV_ID "[,mac=MAC]\n"
		"\n"
		"With QRAP_DRY_RUN set in the environment, print the qemu\n"
		"arguments, one a line, instead of running it.\n",
		name, SOCK_PATH_FIRST, SOCK_PATH_LAST);
}

/**
 * usage_error() - Report a command line error, print usage, exit
 * @name:	Name we were called with
 * @msg:	What's wrong
 * @arg:	Argument it's about, can be NULL
 */
static void usage_error(const char *name, const char *msg, const char *arg)
{
	if (arg)
		fprintf(stderr, "%s: %s: '%s'\n", name, msg, arg);
	else
		fprintf(stderr, "%s: %s\n", name, msg);

	usage(stderr, name);
	exit(EXIT_FAILURE);
}

/**
 * fdnum_parse() - Parse and check the FDNUM argument
 * @s:		Argument
 *
 * Return: file descriptor number, -1 if @s isn't a decimal number, -2 if it's
 *	   less than 3, -3 if it's beyond the open file limit
 */
static int fdnum_parse(const char *s)
{
	struct rlimit lim;
	long v = 0;

	if (!*s)
		return -1;

	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
		if (v > INT_MAX)
			return -3;
	}

	if (v < 3)
		return -2;

	if (!getrlimit(RLIMIT_NOFILE, &lim) && lim.rlim_cur != RLIM_INFINITY &&
	    (rlim_t)v >= lim.rlim_cur)
		return -3;

	return (int)v;
}

/**
 * now_ms() - Monotonic clock reading
 *
 * Return: milliseconds since some fixed point
 */
static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/**
 * sleep_ms() - Sleep for a while
 * @ms:		Milliseconds
 */
static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/**
 * peer_hung_up() - Tell if the other end closed a new connection right away
 * @s:		Connected socket
 *
 * passt accepts, then closes, connections while it serves a guest already.
 * If something arrives instead (passt greets a new guest with ARP and NDP
 * messages), or nothing at all for a moment, the connection is good.
 *
 * Return: true if the peer closed the connection
 */
static bool peer_hung_up(int s)
{
	struct pollfd pfd = { .fd = s, .events = POLLIN | POLLRDHUP };
	char c;
	int n;

	do
		n = poll(&pfd, 1, HANGUP_WAIT_MS);
	while (n < 0 && errno == EINTR);

	if (n <= 0)
		return false;

	if (pfd.revents & POLLIN) {
		n = recv(s, &c, 1, MSG_PEEK | MSG_DONTWAIT);
		if (n > 0)
			return false;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return false;
		return true;
	}

	return !!(pfd.revents & (POLLHUP | POLLRDHUP | POLLERR));
}

/**
 * sock_try() - Try once to connect to a UNIX domain socket
 * @path:	Socket path, shorter than sun_path
 *
 * Return: connected socket, -1 on failure with errno set, EBUSY if the peer
 *	   accepted the connection and closed it right away
 */
static int sock_try(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int s, err;

	memcpy(a.sun_path, path, strlen(path) + 1);

	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;

	if (connect(s, (struct sockaddr *)&a, sizeof(a))) {
		err = errno;
		close(s);
		errno = err;
		return -1;
	}

	if (peer_hung_up(s)) {
		close(s);
		errno = EBUSY;
		return -1;
	}

	return s;
}

/**
 * sock_err_str() - Describe why a connection attempt failed
 * @err:	errno value from sock_try()
 *
 * Return: description
 */
static const char *sock_err_str(int err)
{
	if (err == EBUSY)
		return "connection closed by peer (busy with another guest?)";

	return strerror(err);
}

/**
 * sock_connect_path() - Connect to a given path, retrying for a while
 * @name:	Name we were called with, for messages
 * @path:	Socket path
 *
 * Return: connected socket, exits on failure
 */
static int sock_connect_path(const char *name, const char *path)
{
	long long deadline = now_ms() + CONNECT_TIMEOUT_MS;
	struct sockaddr_un a;
	int s;

	if (!*path || strlen(path) >= sizeof(a.sun_path)) {
		fprintf(stderr, "%s: invalid socket path '%s'\n", name, path);
		exit(EXIT_FAILURE);
	}

	for (;;) {
		s = sock_try(path);
		if (s >= 0)
			return s;

		/* Not there yet, or not ready: worth waiting. Else give up */
		if (errno != ENOENT && errno != ECONNREFUSED &&
		    errno != EAGAIN && errno != EBUSY)
			break;

		if (now_ms() >= deadline)
			break;

		sleep_ms(CONNECT_RETRY_MS);
	}

	fprintf(stderr, "%s: can't connect to %s: %s\n",
		name, path, sock_err_str(errno));
	exit(EXIT_FAILURE);
}

/**
 * sock_connect_default() - Connect to the first default path accepting us
 * @name:	Name we were called with, for messages
 *
 * Return: connected socket, exits on failure
 */
static int sock_connect_default(const char *name)
{
	long long deadline = now_ms() + CONNECT_TIMEOUT_MS;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char last_path[sizeof(path)] = "";
	int i, s, last_err = ENOENT;

	for (;;) {
		for (i = SOCK_PATH_FIRST; i <= SOCK_PATH_LAST; i++) {
			snprintf(path, sizeof(path), SOCK_PATH_FMT, i);

			s = sock_try(path);
			if (s >= 0)
				return s;

			if (errno != ENOENT) {
				last_err = errno;
				memcpy(last_path, path, sizeof(path));
			}
		}

		if (now_ms() >= deadline)
			break;

		sleep_ms(CONNECT_RETRY_MS);
	}

	fprintf(stderr, "%s: no passt socket (" SOCK_PATH_FMT " to "
		SOCK_PATH_FMT ") accepts connections, is passt running?\n",
		name, SOCK_PATH_FIRST, SOCK_PATH_LAST);
	if (*last_path) {
		fprintf(stderr, "%s: last attempt: %s: %s\n",
			name, last_path, sock_err_str(last_err));
	}
	exit(EXIT_FAILURE);
}

/**
 * path_search() - Find an executable in PATH, like execvp() would
 * @cmd:	Command name, without '/'
 * @buf:	Buffer for the full path
 * @size:	Size of @buf
 *
 * Return: true if found, with the path in @buf
 */
static bool path_search(const char *cmd, char *buf, size_t size)
{
	const char *p = getenv("PATH"), *end;
	struct stat st;
	size_t len;
	int n;

	if (!p)
		p = "/usr/local/bin:/bin:/usr/bin";

	for (;; p = end + 1) {
		end = strchr(p, ':');
		len = end ? (size_t)(end - p) : strlen(p);

		if (len > INT_MAX)
			return false;

		/* An empty element is the current directory */
		if (len)
			n = snprintf(buf, size, "%.*s/%s", (int)len, p, cmd);
		else
			n = snprintf(buf, size, "%s", cmd);

		if (n > 0 && (size_t)n < size && !access(buf, X_OK) &&
		    !stat(buf, &st) && S_ISREG(st.st_mode))
			return true;

		if (!end)
			return false;
	}
}

/**
 * qemu_target() - Name of the qemu system target for this machine
 * @buf:	Buffer for the name
 * @size:	Size of @buf
 *
 * Return: @buf, "x86_64" for "x86_64", "i386" for "i686", etc., NULL if
 *	   uname() fails
 */
static const char *qemu_target(char *buf, size_t size)
{
	struct utsname u;
	const char *m;

	if (uname(&u))
		return NULL;
	m = u.machine;

	if (!strcmp(m, "amd64"))
		m = "x86_64";
	else if (strlen(m) == 4 && m[0] == 'i' && m[1] >= '3' && m[1] <= '6' &&
		 !strcmp(m + 2, "86"))
		m = "i386";
	else if (!strcmp(m, "arm64"))
		m = "aarch64";
	else if (!strncmp(m, "arm", 3))
		m = "arm";
	else if (!strcmp(m, "ppc64le"))
		m = "ppc64";

	snprintf(buf, size, "%s", m);
	return buf;
}

/**
 * qemu_lookup() - Find qemu for QEMU_CMD "qemu" or "kvm"
 * @buf:	Buffer for the full path
 * @size:	Size of @buf
 *
 * Return: true if found, with the path in @buf
 */
static bool qemu_lookup(char *buf, size_t size)
{
	char target[sizeof(((struct utsname *)0)->machine)];
	char name[sizeof(target) + sizeof("qemu-system-")];
	int i;

	if (qemu_target(target, sizeof(target))) {
		snprintf(name, sizeof(name), "qemu-system-%s", target);
		if (path_search(name, buf, size))
			return true;
	}

	for (i = 0; qemu_fallbacks[i]; i++) {
		if (path_search(qemu_fallbacks[i], buf, size))
			return true;
	}

	return false;
}

/**
 * net_opt_type() - Classify a qemu argument: network option or not
 * @arg:	Argument
 *
 * Return: option type, OPT_OTHER_ARG for other options with an argument,
 *	   OPT_OTHER for anything else
 */
static enum net_opt net_opt_type(const char *arg)
{
	int i;

	if (arg[0] != '-')
		return OPT_OTHER;

	/* qemu takes --opt for -opt, but not -opt=value */
	arg += (arg[1] == '-') ? 2 : 1;

	if (!strcmp(arg, "netdev"))
		return OPT_NETDEV;
	if (!strcmp(arg, "net"))
		return OPT_NET;
	if (!strcmp(arg, "nic"))
		return OPT_NIC;
	if (!strcmp(arg, "device"))
		return OPT_DEVICE;

	for (i = 0; qemu_opts_with_arg[i]; i++) {
		if (!strcmp(arg, qemu_opts_with_arg[i]))
			return OPT_OTHER_ARG;
	}

	return OPT_OTHER;
}

/**
 * opt_value() - Copy the value at the start of a comma-separated option list
 * @p:		Start of the value, where ",," stands for a comma
 * @buf:	Buffer for the value, can be NULL to skip it
 * @size:	Size of @buf
 * @trunc:	Set if the value didn't fit in @buf, can be NULL with @buf
 *
 * Return: start of the next element, or the end of the string
 */
static const char *opt_value(const char *p, char *buf, size_t size,
			     bool *trunc)
{
	size_t n = 0;

	for (; *p; p++) {
		if (*p == ',') {
			if (p[1] != ',')
				break;
			p++;
		}

		if (!buf)
			continue;

		if (n + 1 < size)
			buf[n++] = *p;
		else
			*trunc = true;
	}

	if (buf && size)
		buf[n] = '\0';

	return *p ? p + 1 : p;
}

/**
 * opt_get() - Find a property in qemu's "[value,]key=value,..." syntax
 * @opts:	Option string
 * @first_key:	Key implied for a first element without '=', can be NULL
 * @key:	Key to look for
 * @buf:	Buffer for the value
 * @size:	Size of @buf
 *
 * Return: 1 if found, 0 if not, -1 if found but too long for @buf
 */
static int opt_get(const char *opts, const char *first_key, const char *key,
		   char *buf, size_t size)
{
	size_t key_len = strlen(key);
	const char *p = opts;
	bool first = true;

	while (*p) {
		size_t len = strcspn(p, "=,");
		bool trunc = false;

		if (p[len] == '=') {
			if (len == key_len && !strncmp(p, key, len)) {
				opt_value(p + len + 1, buf, size, &trunc);
				return trunc ? -1 : 1;
			}
			p = opt_value(p + len + 1, NULL, 0, NULL);
		} else if (first && first_key && !strcmp(first_key, key)) {
			opt_value(p, buf, size, &trunc);
			return trunc ? -1 : 1;
		} else {
			p = opt_value(p, NULL, 0, NULL);
		}

		first = false;
	}

	return 0;
}

/**
 * json_get() - Find a string member in a JSON object, roughly
 * @json:	JSON object, as qemu takes for -device {"driver":...}
 * @key:	Member name to look for, not escaped
 * @buf:	Buffer for the value, escapes reduced to the escaped character
 * @size:	Size of @buf
 *
 * This doesn't validate the JSON text, qemu does that. Nested objects aren't
 * told apart, which is fine for the flat objects -device takes.
 *
 * Return: 1 if found, 0 if not, -1 if found but too long for @buf
 */
static int json_get(const char *json, const char *key, char *buf, size_t size)
{
	size_t key_len = strlen(key), n;
	const char *p = json;

	while ((p = strchr(p, '"'))) {
		const char *q = p + 1;

		p = q;
		if (strncmp(q, key, key_len) || q[key_len] != '"')
			continue;

		for (q += key_len + 1; isspace((unsigned char)*q); q++)
			;
		if (*q++ != ':')
			continue;
		for (; isspace((unsigned char)*q); q++)
			;
		if (*q++ != '"')
			continue;

		for (n = 0; *q && *q != '"'; q++) {
			if (*q == '\\' && q[1])
				q++;
			if (n + 1 >= size)
				return -1;
			buf[n++] = *q;
		}
		buf[n] = '\0';
		return 1;
	}

	return 0;
}

/**
 * dev_get() - Find a property in a -device argument, key=value or JSON
 * @dev:	Argument of -device
 * @key:	Property name
 * @buf:	Buffer for the value
 * @size:	Size of @buf
 *
 * Return: 1 if found, 0 if not, -1 if found but too long for @buf
 */
static int dev_get(const char *dev, const char *key, char *buf, size_t size)
{
	if (*dev == '{')
		return json_get(dev, key, buf, size);

	return opt_get(dev, "driver", key, buf, size);
}

/**
 * dev_is_net() - Tell if a -device argument is a network device
 * @dev:	Argument of -device
 *
 * Return: true if it's a model we know, or has a "netdev" property
 */
static bool dev_is_net(const char *dev)
{
	char v[OPT_VALUE_MAX];
	int i;

	if (dev_get(dev, "netdev", v, sizeof(v)))
		return true;

	if (dev_get(dev, "driver", v, sizeof(v)) != 1)
		return false;

	for (i = 0; net_devices[i]; i++) {
		if (!strcmp(v, net_devices[i]))
			return true;
	}

	return false;
}

/**
 * hex_digit() - Value of a hexadecimal digit
 * @c:		Character
 *
 * Return: value, -1 if @c isn't a hexadecimal digit
 */
static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/**
 * mac_normalise() - Check a MAC address and write it as xx:xx:xx:xx:xx:xx
 * @s:		MAC address, six groups of one or two hexadecimal digits,
 *		separated by ':' or '-'
 * @out:	Buffer of MAC_STR_LEN bytes for the normalised form
 *
 * Return: 0 on success, -1 if @s isn't a valid MAC address
 */
static int mac_normalise(const char *s, char *out)
{
	unsigned char mac[6];
	int i, d;

	for (i = 0; i < 6; i++) {
		d = hex_digit(*s);
		if (d < 0)
			return -1;
		mac[i] = d;
		s++;

		d = hex_digit(*s);
		if (d >= 0) {
			mac[i] = mac[i] << 4 | d;
			s++;
		}

		if (i == 5)
			break;

		if (*s != ':' && *s != '-')
			return -1;
		s++;
	}

	if (*s)
		return -1;

	snprintf(out, MAC_STR_LEN, "%02x:%02x:%02x:%02x:%02x:%02x",
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	return 0;
}

/**
 * mac_take() - Keep the MAC address a dropped network option carries
 * @name:	Name we were called with, for messages
 * @type:	Option type
 * @opt:	Option name as given, for messages
 * @val:	Option argument
 * @mac:	MAC address kept so far, empty if none, updated
 *
 * Exits on invalid MAC addresses: qemu would refuse them too, and silently
 * giving the guest a different address isn't an option.
 */
static void mac_take(const char *name, enum net_opt type, const char *opt,
		     const char *val, char *mac)
{
	char v[OPT_VALUE_MAX], norm[MAC_STR_LEN];
	int ret;

	switch (type) {
	case OPT_NET:
		ret = opt_get(val, "type", "macaddr", v, sizeof(v));
		break;
	case OPT_NIC:
		ret = opt_get(val, "type", "mac", v, sizeof(v));
		break;
	case OPT_DEVICE:
		ret = dev_get(val, "mac", v, sizeof(v));
		break;
	default:
		return;
	}

	if (!ret)
		return;

	if (ret < 0 || mac_normalise(v, norm)) {
		fprintf(stderr, "%s: invalid MAC address in %s %s\n",
			name, opt, val);
		exit(EXIT_FAILURE);
	}

	if (!*mac) {
		memcpy(mac, norm, MAC_STR_LEN);
		return;
	}

	if (strcmp(mac, norm)) {
		fprintf(stderr, "%s: several MAC addresses given, using %s\n",
			name, mac);
	}
}

/**
 * main() - Entry point: check arguments, connect, rewrite arguments, run qemu
 * @argc:	Argument count
 * @argv:	qrap [-s PATH] FDNUM QEMU_CMD [QEMU_ARG]...
 *
 * Return: doesn't return on success (qemu replaces us), 1 on failure, 0 for
 *	   --help and --version
 */
int main(int argc, char **argv)
{
	static char netdev[sizeof("socket,fd=,id=" NETDEV_ID) + 12];
	static char device[sizeof(NET_DEVICE ",netdev=" NETDEV_ID ",mac=") +
			   MAC_STR_LEN];
	static char *out[1 + QEMU_ARGS_MAX + QEMU_ARGS_ADDED + 1];
	static char qemu_path[PATH_MAX];
	const char *name = argc > 0 ? argv[0] : "qrap";
	const char *path = NULL, *cmd, *base;
	char mac[MAC_STR_LEN] = "";
	int i = 1, n = 0, fdnum, s, flags;
	bool dry_run, lookup;

	/* FDNUM can't start with '-': if it looks like a number, it's FDNUM */
	while (i < argc && argv[i][0] == '-' &&
	       !isdigit((unsigned char)argv[i][1])) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout, name);
			return EXIT_SUCCESS;
		} else if (!strcmp(a, "--version")) {
			printf("qrap %s\n", VERSION);
			return EXIT_SUCCESS;
		} else if (!strcmp(a, "--")) {
			i++;
			break;
		} else if (!strcmp(a, "-s") || !strcmp(a, "--socket")) {
			if (i + 1 >= argc)
				usage_error(name, "missing PATH after", a);
			path = argv[i + 1];
			i += 2;
		} else if (!strncmp(a, "-s", 2)) {
			path = a + 2;
			i++;
		} else {
			usage_error(name, "unknown option", a);
		}
	}

	if (i >= argc)
		usage_error(name, "missing FDNUM", NULL);
	if (i + 1 >= argc)
		usage_error(name, "missing QEMU_CMD", NULL);

	fdnum = fdnum_parse(argv[i]);
	if (fdnum == -1)
		usage_error(name, "FDNUM must be a decimal number", argv[i]);
	if (fdnum == -2)
		usage_error(name, "FDNUM must be 3 or more", argv[i]);
	if (fdnum == -3)
		usage_error(name, "FDNUM beyond the open file limit", argv[i]);

	if (argc - (i + 2) > QEMU_ARGS_MAX) {
		fprintf(stderr, "%s: too many qemu arguments, at most %i\n",
			name, QEMU_ARGS_MAX);
		return EXIT_FAILURE;
	}

	dry_run = !!getenv("QRAP_DRY_RUN");

	/* Find qemu before connecting: don't make passt expect a guest */
	cmd = argv[i + 1];
	base = strrchr(cmd, '/');
	base = base ? base + 1 : cmd;
	lookup = !strcmp(base, "qemu") || !strcmp(base, "kvm");

	if (lookup) {
		if (!qemu_lookup(qemu_path, sizeof(qemu_path))) {
			fprintf(stderr, "%s: no qemu-system-ARCH, qemu-kvm or "
				"kvm found in PATH\n", name);
			return EXIT_FAILURE;
		}
		out[n++] = qemu_path;
	} else {
		/* Dry runs are for tests, which shouldn't need qemu */
		if (!dry_run && strchr(cmd, '/') && access(cmd, X_OK)) {
			fprintf(stderr, "%s: can't run %s: %s\n",
				name, cmd, strerror(errno));
			return EXIT_FAILURE;
		}
		if (!dry_run && !strchr(cmd, '/') &&
		    !path_search(cmd, qemu_path, sizeof(qemu_path))) {
			fprintf(stderr, "%s: %s not found in PATH\n",
				name, cmd);
			return EXIT_FAILURE;
		}
		out[n++] = argv[i + 1];
	}

	for (i += 2; i < argc; i++) {
		enum net_opt type = net_opt_type(argv[i]);

		if (type == OPT_OTHER) {
			out[n++] = argv[i];
			continue;
		}

		if (type == OPT_OTHER_ARG) {
			out[n++] = argv[i];
			if (i + 1 < argc)
				out[n++] = argv[++i];
			continue;
		}

		if (i + 1 >= argc) {
			fprintf(stderr, "%s: missing argument for qemu option "
				"%s\n", name, argv[i]);
			return EXIT_FAILURE;
		}

		if (type == OPT_DEVICE && !dev_is_net(argv[i + 1])) {
			out[n++] = argv[i];
			out[n++] = argv[++i];
			continue;
		}

		mac_take(name, type, argv[i], argv[i + 1], mac);
		i++;
	}

	snprintf(netdev, sizeof(netdev), "socket,fd=%i,id=" NETDEV_ID, fdnum);
	if (*mac) {
		snprintf(device, sizeof(device),
			 NET_DEVICE ",netdev=" NETDEV_ID ",mac=%s", mac);
	} else {
		snprintf(device, sizeof(device),
			 NET_DEVICE ",netdev=" NETDEV_ID);
	}

	out[n++] = "-netdev";
	out[n++] = netdev;
	out[n++] = "-device";
	out[n++] = device;
	out[n] = NULL;

	if (path)
		s = sock_connect_path(name, path);
	else
		s = sock_connect_default(name);

	if (s != fdnum) {
		if (dup2(s, fdnum) < 0) {
			fprintf(stderr, "%s: can't make the socket descriptor "
				"%i: %s\n", name, fdnum, strerror(errno));
			return EXIT_FAILURE;
		}
		close(s);
	}

	/* dup2() clears FD_CLOEXEC, but not if @s happened to be @fdnum */
	flags = fcntl(fdnum, F_GETFD);
	if (flags < 0 || fcntl(fdnum, F_SETFD, flags & ~FD_CLOEXEC) < 0) {
		fprintf(stderr, "%s: can't set flags on descriptor %i: %s\n",
			name, fdnum, strerror(errno));
		return EXIT_FAILURE;
	}

	if (dry_run) {
		for (i = 0; i < n; i++)
			printf("%s\n", out[i]);
		return fflush(stdout) ? EXIT_FAILURE : EXIT_SUCCESS;
	}

	if (lookup)
		execv(qemu_path, out);
	else
		execvp(cmd, out);

	fprintf(stderr, "%s: can't run %s: %s\n", name, out[0],
		strerror(errno));
	return EXIT_FAILURE;
}
