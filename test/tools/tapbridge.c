// SPDX-License-Identifier: GPL-2.0-or-later

/* tapbridge - Relay Ethernet frames between a tap device and a UNIX socket
 *
 * Creates a tap interface in the current network namespace and relays frames
 * between it and a UNIX domain stream socket, using the same framing passt
 * uses towards qemu (-netdev stream): each frame is preceded by its length as
 * a 32-bit big-endian integer. Run in a namespace, this makes the namespace
 * look like a passt guest with a full-speed Linux network stack, which is
 * handy for tests and benchmarks.
 *
 * Optional impairments (drop, duplicate, reorder) driven by a seeded PRNG
 * make loss tests reproducible.
 *
 * With --gro, consecutive TCP segments of one connection that come in one
 * read from the socket go to the tap device as one frame, marked as merged
 * segments (a virtio-net header with TSO fields): the namespace's stack
 * then sees what a virtio-net guest's does after receive offload (GRO),
 * instead of every segment on its own.
 *
 * With --tso, the namespace's stack hands the bridge large TCP segments (the
 * tap device offers segmentation and checksum offload), which the bridge cuts
 * into frames of the MTU and completes the checksums of: the frames on the
 * socket are the same, but what a guest's kernel does for each of them, on the
 * guest's own CPU, isn't paid for with a tap read each in the bridge. Without
 * it, at a small MTU, the bridge's reads are what limits a benchmark of a
 * guest's uploads.
 *
 * With --late, what the namespace sends in its first moments is lost, as it
 * is when a guest runs before its network back end is there (passt started
 * or restarted after it).
 *
 * Example:
 *	ip netns exec ns1 tapbridge -s /tmp/passt.sock --up -P /tmp/tb.pid
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>

#include <linux/if_tun.h>
#include <linux/virtio_net.h>

#define ETH_HDR_LEN		14
#define MAC_LEN			6
#define FRAME_MAX		(65535 + ETH_HDR_LEN)
#define LEN_HDR			4
#define REC_MAX			(LEN_HDR + FRAME_MAX)
#define BUF_SIZE		(4UL << 20)
#define TAP_BATCH		256
#define HOLD_MS			50
#define CONNECT_TIMEOUT_MS	10000
#define CONNECT_RETRY_MS	20
#define SOCK_SNDBUF		(4 << 20)
#define MTU_MIN			68
#define MTU_MAX			65535
#define MTU_DEFAULT		65520
#define GRO_SEGS		64	/* Segments merged into one frame */
#define GRO_HDR_MAX		(ETH_HDR_LEN + 40 + 60)	/* IPv6, TCP */
#define ETHERTYPE_V4		0x0800
#define ETHERTYPE_V6		0x86dd
#define PROTO_TCP		6
#define TCP_FLAG_FIN		0x01
#define TCP_FLAG_PSH		0x08
#define TCP_FLAG_CWR		0x80
#define TSO_MSS_MIN		512	/* Smaller segments of a TSO frame: drop */
#define TSO_HDR_MAX		(ETH_HDR_LEN + 60 + 60)
#define TSO_SEGS_MAX		(MTU_MAX / TSO_MSS_MIN + 1)
#define TCP_FLAG_ACK		0x10

/* Set from signal handler, checked only while signals are blocked */
static volatile sig_atomic_t quit;

/**
 * struct prng - xorshift64* pseudo-random number generator
 * @s:		State, never zero
 */
struct prng {
	uint64_t s;
};

/**
 * struct held - Frame held back to be sent after the next one (reordering)
 * @buf:	Frame data
 * @len:	Length of frame in @buf, 0 if no frame is held
 * @since:	When the frame was held, CLOCK_MONOTONIC milliseconds
 */
struct held {
	unsigned char buf[FRAME_MAX];
	size_t len;
	int64_t since;
};

/**
 * struct dir - State and counters for one direction of the relay
 * @name:	Direction description for counters output
 * @rng:	PRNG for impairments
 * @held:	Frame held back for reordering
 * @in_frames:	Frames received from the source
 * @in_bytes:	Bytes received from the source, without length headers
 * @out_frames:	Frames passed to the destination, including duplicates
 * @out_bytes:	Bytes passed to the destination, without length headers
 * @dropped:	Frames dropped on purpose (--drop)
 * @duplicated:	Frames duplicated on purpose (--dup)
 * @reordered:	Frames held back on purpose (--reorder)
 * @errors:	Frames lost to errors (failed tap write, oversized tap read)
 * @cut:	Large segments cut into frames (--tso)
 */
struct dir {
	const char *name;
	struct prng rng;
	struct held held;
	uint64_t in_frames;
	uint64_t in_bytes;
	uint64_t out_frames;
	uint64_t out_bytes;
	uint64_t dropped;
	uint64_t duplicated;
	uint64_t reordered;
	uint64_t errors;
	uint64_t cut;
};

/**
 * struct gro - TCP segments being merged into one frame to the tap
 * @n:		Segments so far, 0 if none
 * @hdr:	Headers of the first segment, then of the merged frame
 * @hlen:	Length of the headers: Ethernet, IP, TCP
 * @l4off:	Offset of the TCP header
 * @v6:		IPv6, not IPv4
 * @first:	First segment as it came, sent as it is if alone
 * @first_len:	Length of @first
 * @gso:	Payload length of the first segment: each one but the last
 *		has that much
 * @total:	Payload of all the segments
 * @next_seq:	Sequence number a segment must have to be merged next
 * @done:	The last segment was shorter, or had PSH: nothing more merges
 * @psh:	Some segment had PSH
 * @iov:	Virtio-net header, headers, then the payload of each segment
 */
struct gro {
	unsigned int n;
	unsigned char hdr[GRO_HDR_MAX];
	size_t hlen;
	size_t l4off;
	bool v6;
	const unsigned char *first;
	size_t first_len;
	size_t gso;
	size_t total;
	uint32_t next_seq;
	bool done;
	bool psh;
	struct iovec iov[2 + GRO_SEGS];
};

/**
 * struct opts - Command line options
 * @sock_path:	UNIX domain socket path
 * @ifname:	tap interface name
 * @pidfile:	PID file path, NULL if none
 * @listen:	Listen on @sock_path, accept one client, instead of connecting
 * @up:		Bring the interface up
 * @quiet:	Don't print informational messages and counters
 * @have_mac:	@mac is set
 * @mac:	MAC address to assign to the interface
 * @mtu:	MTU to set on the interface
 * @drop:	Percentage of frames to drop
 * @dup:	Percentage of frames to duplicate
 * @reorder:	Percentage of frames to hold back and send after the next one
 * @seed:	PRNG seed
 * @gro:	Merge TCP segments to the tap, as receive offload would
 * @tso:	Take large TCP segments from the tap, cut them into frames
 * @late_ms:	Discard what the namespace sends for this long at start
 */
struct opts {
	const char *sock_path;
	const char *ifname;
	const char *pidfile;
	bool listen;
	bool up;
	bool quiet;
	bool have_mac;
	unsigned char mac[MAC_LEN];
	unsigned int mtu;
	double drop;
	double dup;
	double reorder;
	uint64_t seed;
	bool gro;
	bool tso;
	unsigned int late_ms;
};

/**
 * struct bridge - Relay state
 * @o:		Options
 * @tap:	tap device file descriptor
 * @sock:	Connected UNIX domain socket
 * @epfd:	epoll file descriptor
 * @tap_ev:	Events currently monitored for @tap
 * @sock_ev:	Events currently monitored for @sock
 * @tap_err:	A tap write error was already reported
 * @rbuf:	Stream data from the socket, not parsed yet
 * @rlen:	Bytes in @rbuf
 * @wbuf:	Framed data for the socket, not sent yet
 * @whead:	Offset of the first unsent byte in @wbuf
 * @wtail:	Offset of the end of data in @wbuf
 * @wneed:	Free space @wbuf needs to take one frame from the tap
 * @to_tap:	Socket to tap direction
 * @to_sock:	tap to socket direction
 * @gro:	Segments being merged (--gro)
 */
struct bridge {
	const struct opts *o;
	int tap;
	int sock;
	int epfd;
	uint32_t tap_ev;
	uint32_t sock_ev;
	bool tap_err;
	unsigned char *rbuf;
	size_t rlen;
	unsigned char *wbuf;
	size_t whead;
	size_t wtail;
	size_t wneed;
	struct dir to_tap;
	struct dir to_sock;
	struct gro gro;
};

/**
 * enum verdict - What to do with a frame, according to impairments
 * @PASS:	Forward it
 * @DROP:	Discard it
 * @HOLD:	Keep it, send it after the next frame
 */
enum verdict {
	PASS,
	DROP,
	HOLD,
};

/**
 * usage() - Print usage and exit
 * @name:	Program name
 * @status:	Exit status
 */
__attribute__((noreturn))
static void usage(const char *name, int status)
{
	FILE *f = status ? stderr : stdout;

	fprintf(f,
		"Usage: %s -s PATH [OPTION]...\n"
		"Relay Ethernet frames between a new tap device and a UNIX\n"
		"stream socket, with 32-bit big-endian length framing.\n"
		"\n"
		"  -s, --socket PATH  UNIX domain socket path\n"
		"  -c, --connect      connect to PATH, retry 10 s (default)\n"
		"  -l, --listen       listen on PATH, accept one client\n"
		"  -i, --ifname NAME  tap interface name (default: tap0)\n"
		"  -m, --mtu N        interface MTU (default: %d)\n"
		"  -M, --mac MAC      interface MAC address\n"
		"      --up           bring the interface up\n"
		"      --drop PCT     drop PCT %% of frames (both directions)\n"
		"      --dup PCT      duplicate PCT %% of frames\n"
		"      --reorder PCT  send PCT %% of frames after the next\n"
		"      --seed N       PRNG seed for impairments (default: 1)\n"
		"      --gro          merge TCP segments to the tap device, as\n"
		"                     a guest's receive offload would\n"
		"      --tso          take large TCP segments from the tap\n"
		"                     device, cut them into frames of the MTU\n"
		"      --late MS      discard what the namespace sends for MS\n"
		"                     milliseconds before connecting\n"
		"  -P, --pid FILE     write PID to FILE once ready\n"
		"  -q, --quiet        don't print messages and counters\n"
		"  -h, --help         show this help\n",
		name, MTU_DEFAULT);
	exit(status);
}

/**
 * die() - Print an error message and exit with failure
 * @fmt:	Format string
 */
__attribute__((format(printf, 1, 2), noreturn))
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("tapbridge: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(EXIT_FAILURE);
}

/**
 * err() - Print an error message, including errno description
 * @what:	What failed
 */
static void err(const char *what)
{
	fprintf(stderr, "tapbridge: %s: %s\n", what, strerror(errno));
}

/**
 * now_ms() - Get monotonic time
 *
 * Return: CLOCK_MONOTONIC time in milliseconds
 */
static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/**
 * prng_init() - Seed a PRNG, deriving the state with splitmix64
 * @p:		PRNG
 * @seed:	Seed
 */
static void prng_init(struct prng *p, uint64_t seed)
{
	uint64_t z = seed + 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	p->s = z ? z : 1;
}

/**
 * prng_next() - Get the next pseudo-random number (xorshift64*)
 * @p:		PRNG
 *
 * Return: pseudo-random 64-bit number
 */
static uint64_t prng_next(struct prng *p)
{
	p->s ^= p->s >> 12;
	p->s ^= p->s << 25;
	p->s ^= p->s >> 27;
	return p->s * 0x2545f4914f6cdd1dULL;
}

/**
 * chance() - Decide whether an event with a given probability happens
 * @p:		PRNG
 * @pct:	Probability, percent
 *
 * Return: true with probability @pct / 100
 */
static bool chance(struct prng *p, double pct)
{
	double r;

	if (pct <= 0)
		return false;

	r = (double)(prng_next(p) >> 11) * 0x1.0p-53;	/* [0, 1) */
	return r * 100 < pct;
}

/**
 * parse_pct() - Parse a percentage, exit on error
 * @name:	Option name, for messages
 * @arg:	String to parse
 *
 * Return: value between 0 and 100
 */
static double parse_pct(const char *name, const char *arg)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !(v >= 0 && v <= 100))
		die("invalid percentage for --%s: %s", name, arg);

	return v;
}

/**
 * parse_ulong() - Parse an unsigned integer in a range, exit on error
 * @name:	Option name, for messages
 * @arg:	String to parse
 * @min:	Minimum value
 * @max:	Maximum value
 *
 * Return: parsed value
 */
static unsigned long long parse_ulong(const char *name, const char *arg,
				      unsigned long long min,
				      unsigned long long max)
{
	unsigned long long v;
	char *end;

	if (*arg == '-')
		die("invalid value for --%s: %s", name, arg);

	errno = 0;
	v = strtoull(arg, &end, 0);
	if (errno || end == arg || *end || v < min || v > max)
		die("invalid value for --%s: %s", name, arg);

	return v;
}

/**
 * hexval() - Value of a hexadecimal digit
 * @c:		Character
 *
 * Return: value of digit, -1 if @c is not a hexadecimal digit
 */
static int hexval(char c)
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
 * parse_mac() - Parse a MAC address in xx:xx:xx:xx:xx:xx form
 * @arg:	String to parse
 * @mac:	Parsed address, output
 *
 * Return: 0 on success, -1 on invalid format
 */
static int parse_mac(const char *arg, unsigned char mac[MAC_LEN])
{
	int i;

	for (i = 0; i < MAC_LEN; i++) {
		int hi = hexval(arg[0]), lo;

		if (hi < 0)
			return -1;
		lo = hexval(arg[1]);
		if (lo < 0)
			return -1;

		mac[i] = (unsigned char)(hi << 4 | lo);
		arg += 2;

		if (i < MAC_LEN - 1 && *arg++ != ':')
			return -1;
	}

	return *arg ? -1 : 0;
}

/**
 * tap_discard() - Read and drop what the namespace sends, for a while
 * @fd:		tap device, non-blocking
 * @ms:		How long, milliseconds
 */
static void tap_discard(int fd, unsigned int ms)
{
	static char frame[FRAME_MAX];
	struct timespec now, end;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += ms / 1000;
	end.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}

	for (;;) {
		long left;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = (end.tv_sec - now.tv_sec) * 1000L +
		       (end.tv_nsec - now.tv_nsec) / 1000000L;
		if (left <= 0)
			return;
		if (poll(&pfd, 1, (int)left) > 0)
			while (read(fd, frame, sizeof(frame)) > 0)
				;
	}
}

/**
 * parse_opts() - Parse command line options, exit on error
 * @argc:	Argument count
 * @argv:	Arguments
 * @o:		Options, output
 */
static void parse_opts(int argc, char **argv, struct opts *o)
{
	enum {
		OPT_DROP = 256,
		OPT_DUP,
		OPT_REORDER,
		OPT_SEED,
		OPT_UP,
		OPT_GRO,
		OPT_LATE,
		OPT_TSO,
	};
	static const struct option longopts[] = {
		{ "socket",	required_argument,	NULL,	's' },
		{ "connect",	no_argument,		NULL,	'c' },
		{ "listen",	no_argument,		NULL,	'l' },
		{ "ifname",	required_argument,	NULL,	'i' },
		{ "mtu",	required_argument,	NULL,	'm' },
		{ "mac",	required_argument,	NULL,	'M' },
		{ "pid",	required_argument,	NULL,	'P' },
		{ "quiet",	no_argument,		NULL,	'q' },
		{ "help",	no_argument,		NULL,	'h' },
		{ "drop",	required_argument,	NULL,	OPT_DROP },
		{ "dup",	required_argument,	NULL,	OPT_DUP },
		{ "reorder",	required_argument,	NULL,	OPT_REORDER },
		{ "seed",	required_argument,	NULL,	OPT_SEED },
		{ "up",		no_argument,		NULL,	OPT_UP },
		{ "gro",	no_argument,		NULL,	OPT_GRO },
		{ "late",	required_argument,	NULL,	OPT_LATE },
		{ "tso",	no_argument,		NULL,	OPT_TSO },
		{ NULL,		0,			NULL,	0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->ifname = "tap0";
	o->mtu = MTU_DEFAULT;
	o->seed = 1;

	while ((c = getopt_long(argc, argv, "s:cli:m:M:P:qh",
				longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o->sock_path = optarg;
			break;
		case 'c':
			o->listen = false;
			break;
		case 'l':
			o->listen = true;
			break;
		case 'i':
			o->ifname = optarg;
			break;
		case 'm':
			o->mtu = (unsigned int)parse_ulong("mtu", optarg,
							   MTU_MIN, MTU_MAX);
			break;
		case 'M':
			if (parse_mac(optarg, o->mac))
				die("invalid MAC address: %s", optarg);
			o->have_mac = true;
			break;
		case 'P':
			o->pidfile = optarg;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			usage(argv[0], EXIT_SUCCESS);
		case OPT_DROP:
			o->drop = parse_pct("drop", optarg);
			break;
		case OPT_DUP:
			o->dup = parse_pct("dup", optarg);
			break;
		case OPT_REORDER:
			o->reorder = parse_pct("reorder", optarg);
			break;
		case OPT_SEED:
			o->seed = parse_ulong("seed", optarg, 0, UINT64_MAX);
			break;
		case OPT_UP:
			o->up = true;
			break;
		case OPT_GRO:
			o->gro = true;
			break;
		case OPT_TSO:
			o->tso = true;
			break;
		case OPT_LATE:
			o->late_ms = (unsigned int)parse_ulong("late", optarg,
							       0, 600000);
			break;
		default:
			usage(argv[0], EXIT_FAILURE);
		}
	}

	if (optind < argc)
		die("unexpected argument: %s", argv[optind]);
	if (!o->sock_path)
		usage(argv[0], EXIT_FAILURE);
	if (strlen(o->sock_path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		die("socket path too long: %s", o->sock_path);
	if (!*o->ifname || strlen(o->ifname) >= IFNAMSIZ)
		die("invalid interface name: %s", o->ifname);
}

/**
 * on_signal() - Signal handler for SIGTERM and SIGINT: request exit
 * @sig:	Signal number, unused
 */
static void on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

/**
 * signals_setup() - Block termination signals, install handlers
 * @waitmask:	Signal mask to use while waiting, output
 *
 * SIGTERM and SIGINT are blocked, and only unblocked atomically while
 * waiting (ppoll(), epoll_pwait()), so that @quit can be checked without
 * races.
 */
static void signals_setup(sigset_t *waitmask)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;	/* no SA_RESTART: interrupt waits */
	if (sigaction(SIGTERM, &sa, NULL) || sigaction(SIGINT, &sa, NULL))
		die("sigaction: %s", strerror(errno));

	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL))
		die("sigaction: %s", strerror(errno));

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	if (sigprocmask(SIG_BLOCK, &block, waitmask))
		die("sigprocmask: %s", strerror(errno));

	sigdelset(waitmask, SIGTERM);
	sigdelset(waitmask, SIGINT);
}

/**
 * ifr_init() - Initialise an interface request with the interface name
 * @ifr:	Interface request, output
 * @name:	Interface name, shorter than IFNAMSIZ
 */
static void ifr_init(struct ifreq *ifr, const char *name)
{
	memset(ifr, 0, sizeof(*ifr));
	memcpy(ifr->ifr_name, name, strnlen(name, IFNAMSIZ - 1));
}

/**
 * tap_open() - Create and configure the tap device
 * @o:		Options
 * @name:	Actual interface name, output (templates such as tap%d expand)
 *
 * Return: non-blocking file descriptor for the tap device, exits on failure
 */
static int tap_open(const struct opts *o, char name[IFNAMSIZ])
{
	struct ifreq ifr;
	int fd, s;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		die("open /dev/net/tun: %s", strerror(errno));

	ifr_init(&ifr, o->ifname);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (o->gro || o->tso)
		ifr.ifr_flags |= IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr))
		die("TUNSETIFF %s: %s", o->ifname, strerror(errno));
	if (o->tso &&
	    ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6))
		die("TUNSETOFFLOAD %s: %s", ifr.ifr_name, strerror(errno));
	memcpy(name, ifr.ifr_name, IFNAMSIZ);
	name[IFNAMSIZ - 1] = '\0';

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		die("socket: %s", strerror(errno));

	ifr_init(&ifr, name);
	ifr.ifr_mtu = (int)o->mtu;
	if (ioctl(s, SIOCSIFMTU, &ifr))
		die("set MTU %u on %s: %s", o->mtu, name, strerror(errno));

	if (o->have_mac) {
		ifr_init(&ifr, name);
		ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
		memcpy(ifr.ifr_hwaddr.sa_data, o->mac, MAC_LEN);
		if (ioctl(s, SIOCSIFHWADDR, &ifr))
			die("set MAC on %s: %s", name, strerror(errno));
	}

	if (o->up) {
		ifr_init(&ifr, name);
		if (ioctl(s, SIOCGIFFLAGS, &ifr))
			die("get flags of %s: %s", name, strerror(errno));
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr))
			die("bring up %s: %s", name, strerror(errno));
	}

	close(s);
	return fd;
}

/**
 * sun_init() - Fill a UNIX domain socket address
 * @a:		Address, output
 * @path:	Socket path, checked to fit
 */
static void sun_init(struct sockaddr_un *a, const char *path)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	memcpy(a->sun_path, path, strnlen(path, sizeof(a->sun_path) - 1));
}

/**
 * wait_ms() - Sleep, unless interrupted by a termination signal
 * @ms:		Milliseconds
 * @waitmask:	Signal mask while sleeping
 */
static void wait_ms(int ms, const sigset_t *waitmask)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (long)(ms % 1000) * 1000000 };

	ppoll(NULL, 0, &ts, waitmask);
}

/**
 * sock_connect() - Connect to the UNIX domain socket, retry if not there yet
 * @path:	Socket path
 * @waitmask:	Signal mask while waiting between attempts
 *
 * Return: connected socket, -1 on failure, -2 if interrupted by a signal
 */
static int sock_connect(const char *path, const sigset_t *waitmask)
{
	int64_t deadline = now_ms() + CONNECT_TIMEOUT_MS;
	struct sockaddr_un a;

	sun_init(&a, path);

	for (;;) {
		int fd, e;

		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			err("socket");
			return -1;
		}

		if (!connect(fd, (struct sockaddr *)&a, sizeof(a)))
			return fd;

		e = errno;
		close(fd);
		errno = e;

		if (e != ENOENT && e != ECONNREFUSED && e != EAGAIN &&
		    e != EINTR) {
			fprintf(stderr, "tapbridge: connect %s: %s\n",
				path, strerror(e));
			return -1;
		}

		if (now_ms() >= deadline) {
			fprintf(stderr,
				"tapbridge: connect %s: %s, giving up\n",
				path, strerror(e));
			return -1;
		}

		wait_ms(CONNECT_RETRY_MS, waitmask);
		if (quit)
			return -2;
	}
}

/**
 * sock_listen() - Create a listening UNIX domain socket
 * @path:	Socket path, replaced if it's a stale socket
 *
 * Return: listening socket, -1 on failure
 */
static int sock_listen(const char *path)
{
	struct sockaddr_un a;
	struct stat st;
	int fd;

	if (!lstat(path, &st)) {
		if (!S_ISSOCK(st.st_mode)) {
			fprintf(stderr, "tapbridge: %s exists, not a socket\n",
				path);
			return -1;
		}
		if (unlink(path)) {
			err(path);
			return -1;
		}
	}

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err("socket");
		return -1;
	}

	sun_init(&a, path);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		err(path);
		close(fd);
		return -1;
	}

	if (listen(fd, 1)) {
		err("listen");
		close(fd);
		unlink(path);
		return -1;
	}

	return fd;
}

/**
 * sock_accept() - Wait for and accept one client
 * @lfd:	Listening socket
 * @waitmask:	Signal mask while waiting
 *
 * Return: connected socket, -1 on failure, -2 if interrupted by a signal
 */
static int sock_accept(int lfd, const sigset_t *waitmask)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };

	for (;;) {
		int fd;

		if (ppoll(&p, 1, NULL, waitmask) < 0 && errno != EINTR) {
			err("ppoll");
			return -1;
		}
		if (quit)
			return -2;
		if (!(p.revents & POLLIN))
			continue;

		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			return fd;
		if (errno != EINTR && errno != EAGAIN &&
		    errno != ECONNABORTED) {
			err("accept");
			return -1;
		}
	}
}

/**
 * sock_setup() - Make socket non-blocking, enlarge its send buffer
 * @fd:		Connected socket
 *
 * Return: 0 on success, -1 on failure
 */
static int sock_setup(int fd)
{
	int v = SOCK_SNDBUF, flags;

	/* For UNIX stream sockets, the sender's buffer bounds data in flight:
	 * try to raise it past net.core.wmem_max first (needs CAP_NET_ADMIN)
	 */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));

	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK)) {
		err("fcntl");
		return -1;
	}

	return 0;
}

/**
 * pidfile_write() - Write our PID to a file, atomically
 * @path:	PID file path
 *
 * Return: 0 on success, -1 on failure
 */
static int pidfile_write(const char *path)
{
	char tmp[PATH_MAX], buf[32];
	int fd, n, len;

	n = snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		fprintf(stderr, "tapbridge: PID file path too long\n");
		return -1;
	}

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		err(tmp);
		return -1;
	}

	len = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (write(fd, buf, (size_t)len) != len) {
		err(tmp);
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);

	if (rename(tmp, path)) {
		err(path);
		unlink(tmp);
		return -1;
	}

	return 0;
}

/**
 * impair() - Apply impairments to a frame, update counters
 * @b:		Bridge
 * @d:		Direction of the frame
 * @dup:	Set if the frame should be sent twice, output
 *
 * Return: PASS, DROP or HOLD
 */
static enum verdict impair(const struct bridge *b, struct dir *d, bool *dup)
{
	const struct opts *o = b->o;

	*dup = false;

	if (chance(&d->rng, o->drop)) {
		d->dropped++;
		return DROP;
	}

	if (!d->held.len && chance(&d->rng, o->reorder)) {
		d->reordered++;
		return HOLD;
	}

	if (chance(&d->rng, o->dup)) {
		d->duplicated++;
		*dup = true;
	}

	return PASS;
}

/**
 * hold() - Keep a copy of a frame to send it later
 * @d:		Direction
 * @frame:	Frame
 * @len:	Frame length
 */
static void hold(struct dir *d, const unsigned char *frame, size_t len)
{
	memcpy(d->held.buf, frame, len);
	d->held.len = len;
	d->held.since = now_ms();
}

/**
 * tap_write() - Write a frame to the tap device, count drops on failure
 * @b:		Bridge
 * @iov:	Buffers of the frame, a virtio-net header first with --gro
 * @cnt:	Number of buffers
 * @len:	Frame length, without virtio-net header
 *
 * A tap write fails with EAGAIN or ENOBUFS if the kernel can't take the frame,
 * with EIO if the interface is down, with EINVAL for runt frames: the frame
 * is dropped and counted, as a real link would.
 */
static void tap_write(struct bridge *b, const struct iovec *iov, int cnt,
		      size_t len)
{
	struct dir *d = &b->to_tap;
	ssize_t n;

	do
		n = writev(b->tap, iov, cnt);
	while (n < 0 && errno == EINTR);

	if (n < 0) {
		if (!b->tap_err && !b->o->quiet) {
			fprintf(stderr, "tapbridge: tap write: %s, %s\n",
				strerror(errno),
				"frame dropped (further errors only counted)");
		}
		b->tap_err = true;
		d->errors++;
		return;
	}

	d->out_frames++;
	d->out_bytes += len;
}

/**
 * tap_send() - Write one frame to the tap device, count drops on failure
 * @b:		Bridge
 * @frame:	Ethernet frame
 * @len:	Frame length
 */
static void tap_send(struct bridge *b, const unsigned char *frame, size_t len)
{
	struct virtio_net_hdr vh = { 0 };
	struct iovec iov[2] = {
		{ .iov_base = &vh, .iov_len = sizeof(vh) },
		{ .iov_base = (void *)frame, .iov_len = len },
	};

	if (b->o->gro || b->o->tso)
		tap_write(b, iov, 2, len);
	else
		tap_write(b, iov + 1, 1, len);
}

/**
 * be16() - Read a big-endian 16-bit field
 * @p:		Field
 *
 * Return: value
 */
static uint16_t be16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/**
 * put_be16() - Write a big-endian 16-bit field
 * @p:		Field
 * @v:		Value
 */
static void put_be16(unsigned char *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/**
 * csum_copy() - Copy data, adding it to a one's complement sum
 * @dst:	Destination, or NULL to only add up @src
 * @src:	Source
 * @len:	Length
 * @sum:	Sum so far, of native 16-bit words
 *
 * The one's complement sum doesn't depend on the byte order it's taken in, as
 * long as the result is stored in that order too (RFC 1071, 2.(B)): words are
 * added as they are in memory, 32 bits at a time.
 *
 * Return: sum, not folded
 */
static uint64_t csum_copy(unsigned char *dst, const unsigned char *src,
			  size_t len, uint64_t sum)
{
	uint16_t h = 0;
	uint32_t w;

	for (; len >= 4; src += 4, len -= 4) {
		memcpy(&w, src, 4);
		if (dst) {
			memcpy(dst, &w, 4);
			dst += 4;
		}
		sum += w;
	}
	if (dst)
		memcpy(dst, src, len);
	if (len >= 2) {
		memcpy(&h, src, 2);
		sum += h;
		src += 2;
		len -= 2;
		h = 0;
	}
	if (len) {
		memcpy(&h, src, 1);	/* Odd byte: high half of a word */
		sum += h;
	}

	return sum;
}

/**
 * csum_fold() - Fold a one's complement sum to 16 bits
 * @sum:	Sum, of native 16-bit words
 *
 * Return: folded sum, not inverted, a native word
 */
static uint16_t csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);

	return (uint16_t)sum;
}

/**
 * csum_store() - Fold a sum of native words, store its complement
 * @p:		Checksum field
 * @sum:	Sum, not folded
 * @udp:	A result of zero is sent as all ones (UDP: zero means none)
 */
static void csum_store(unsigned char *p, uint64_t sum, bool udp)
{
	uint16_t c = (uint16_t)~csum_fold(sum);

	if (udp && !c)
		c = 0xffff;
	memcpy(p, &c, sizeof(c));
}

/**
 * gro_parse() - Tell if a frame is a TCP segment that can be merged
 * @f:		Ethernet frame
 * @len:	Frame length
 * @v6:		IPv6, set
 * @hlen:	Length of Ethernet, IP and TCP headers, set
 * @plen:	Payload length, set
 *
 * IPv4 without options or fragments, IPv6 without extension headers, data
 * with no flags but ACK and PSH.
 *
 * Return: offset of the TCP header, 0 if the frame can't be merged
 */
static size_t gro_parse(const unsigned char *f, size_t len, bool *v6,
			size_t *hlen, size_t *plen)
{
	size_t l4off, iplen, thlen;
	uint8_t flags;

	if (len < ETH_HDR_LEN + 40 + 20)
		return 0;

	if (be16(f + 12) == ETHERTYPE_V4) {
		const unsigned char *ip = f + ETH_HDR_LEN;

		if (ip[0] != 0x45 || ip[9] != PROTO_TCP ||
		    (be16(ip + 6) & 0x3fff))	/* MF, fragment offset */
			return 0;
		iplen = be16(ip + 2);
		l4off = ETH_HDR_LEN + 20;
		*v6 = false;
	} else if (be16(f + 12) == ETHERTYPE_V6) {
		const unsigned char *ip = f + ETH_HDR_LEN;

		if ((ip[0] >> 4) != 6 || ip[6] != PROTO_TCP)
			return 0;
		iplen = 40 + be16(ip + 4);
		l4off = ETH_HDR_LEN + 40;
		*v6 = true;
	} else {
		return 0;
	}

	if (ETH_HDR_LEN + iplen > len || iplen < l4off - ETH_HDR_LEN + 20)
		return 0;
	thlen = (f[l4off + 12] >> 4) * 4;
	flags = f[l4off + 13];
	if (thlen < 20 || l4off + thlen > ETH_HDR_LEN + iplen ||
	    !(flags & TCP_FLAG_ACK) || (flags & ~(TCP_FLAG_ACK | TCP_FLAG_PSH)))
		return 0;

	*hlen = l4off + thlen;
	*plen = ETH_HDR_LEN + iplen - *hlen;
	return *plen ? l4off : 0;
}

/**
 * gro_match() - Tell if a segment continues the one being merged
 * @g:		Segments being merged, at least one
 * @f:		Ethernet frame of the segment, as parsed by gro_parse()
 * @v6:		IPv6
 * @hlen:	Length of the headers
 * @plen:	Payload length
 *
 * The next sequence number, the same headers but for lengths, IPv4
 * identification and checksums, sequence number and PSH; no more than the
 * first segment's payload, and all of it within an IP packet.
 *
 * Return: true if it can be merged
 */
static bool gro_match(const struct gro *g, const unsigned char *f, bool v6,
		      size_t hlen, size_t plen)
{
	const unsigned char *h = g->hdr, *t = f + g->l4off, *gt = h + g->l4off;
	size_t ip = ETH_HDR_LEN;

	if (g->done || v6 != g->v6 || hlen != g->hlen || plen > g->gso ||
	    g->total + plen > 65535 - (hlen - ETH_HDR_LEN) ||
	    be16(t + 4) != (g->next_seq >> 16) ||
	    be16(t + 6) != (g->next_seq & 0xffff))
		return false;

	if (memcmp(f, h, ETH_HDR_LEN))
		return false;
	if (!v6 && (memcmp(f + ip, h + ip, 2) ||
		    memcmp(f + ip + 6, h + ip + 6, 4) ||
		    memcmp(f + ip + 12, h + ip + 12, 8)))
		return false;
	if (v6 && (memcmp(f + ip, h + ip, 4) ||
		   memcmp(f + ip + 6, h + ip + 6, 34)))
		return false;

	/* Ports; acknowledgement, offset and flags but PSH, window; options */
	return !memcmp(t, gt, 4) && !memcmp(t + 8, gt + 8, 5) &&
	       (t[13] & ~TCP_FLAG_PSH) == (gt[13] & ~TCP_FLAG_PSH) &&
	       !memcmp(t + 14, gt + 14, 2) &&
	       !memcmp(t + 18, gt + 18, hlen - g->l4off - 18);
}

/**
 * gro_flush() - Send the segments being merged, as one frame
 * @b:		Bridge
 *
 * The IP and TCP headers of the first segment get the lengths of the whole
 * frame, and the TCP checksum field the sum of the pseudo-header only: the
 * virtio-net header says where the kernel completes it (as it would for a
 * segment of its own), and how the frame splits into segments.
 */
static void gro_flush(struct bridge *b)
{
	struct gro *g = &b->gro;
	struct virtio_net_hdr vh = { 0 };
	unsigned char *ip = g->hdr + ETH_HDR_LEN, *th = g->hdr + g->l4off;
	size_t l4len = g->hlen - g->l4off + g->total;
	uint64_t sum = htons(PROTO_TCP) + htons((uint16_t)l4len);
	uint16_t psum;

	if (!g->n)
		return;
	if (g->n == 1) {
		g->n = 0;
		tap_send(b, g->first, g->first_len);
		return;
	}

	if (g->psh)
		th[13] |= TCP_FLAG_PSH;
	if (g->v6) {
		put_be16(ip + 4, l4len);
		sum = csum_copy(NULL, ip + 8, 32, sum);
	} else {
		put_be16(ip + 2, 20 + l4len);
		put_be16(ip + 10, 0);
		csum_store(ip + 10, csum_copy(NULL, ip, 20, 0), false);
		sum = csum_copy(NULL, ip + 12, 8, sum);
	}
	/* Pseudo-header only, as the kernel leaves it: not inverted */
	psum = csum_fold(sum);
	memcpy(th + 16, &psum, sizeof(psum));

	vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh.gso_type = g->v6 ? VIRTIO_NET_HDR_GSO_TCPV6 :
			      VIRTIO_NET_HDR_GSO_TCPV4;
	vh.hdr_len = g->hlen;
	vh.gso_size = g->gso;
	vh.csum_start = g->l4off;
	vh.csum_offset = 16;

	g->iov[0].iov_base = &vh;
	g->iov[0].iov_len = sizeof(vh);
	g->iov[1].iov_base = g->hdr;
	g->iov[1].iov_len = g->hlen;
	tap_write(b, g->iov, 2 + g->n, g->hlen + g->total);
	g->n = 0;
}

/**
 * gro_add() - Merge a frame to the tap with the segments before it, or send
 *	       it, if it's not a TCP segment that can be merged
 * @b:		Bridge
 * @f:		Ethernet frame
 * @len:	Frame length
 */
static void gro_add(struct bridge *b, const unsigned char *f, size_t len)
{
	struct gro *g = &b->gro;
	size_t l4off, hlen, plen;
	uint32_t seq;
	bool v6;

	l4off = gro_parse(f, len, &v6, &hlen, &plen);
	if (!l4off) {
		gro_flush(b);
		tap_send(b, f, len);
		return;
	}

	if (g->n && !gro_match(g, f, v6, hlen, plen))
		gro_flush(b);

	seq = (uint32_t)be16(f + l4off + 4) << 16 | be16(f + l4off + 6);
	if (!g->n) {
		memcpy(g->hdr, f, hlen);
		g->hlen = hlen;
		g->l4off = l4off;
		g->v6 = v6;
		g->first = f;
		g->first_len = len;
		g->gso = plen;
		g->total = 0;
		g->next_seq = seq;
		g->done = g->psh = false;
	}

	g->iov[2 + g->n].iov_base = (void *)(f + hlen);
	g->iov[2 + g->n].iov_len = plen;
	g->n++;
	g->total += plen;
	g->next_seq = seq + plen;
	if (f[l4off + 13] & TCP_FLAG_PSH)
		g->done = g->psh = true;
	if (plen < g->gso)
		g->done = true;

	if (g->n == GRO_SEGS)
		gro_flush(b);
}

/**
 * to_tap_frame() - Forward one frame from the socket to the tap
 * @b:		Bridge
 * @frame:	Ethernet frame
 * @len:	Frame length
 */
static void to_tap_frame(struct bridge *b, const unsigned char *frame,
			 size_t len)
{
	struct dir *d = &b->to_tap;
	bool dup;

	d->in_frames++;
	d->in_bytes += len;

	switch (impair(b, d, &dup)) {
	case DROP:
		return;
	case HOLD:
		gro_flush(b);
		hold(d, frame, len);
		return;
	case PASS:
		break;
	}

	if (b->o->gro && !dup && !d->held.len) {
		gro_add(b, frame, len);
		return;
	}

	gro_flush(b);
	tap_send(b, frame, len);
	if (dup)
		tap_send(b, frame, len);

	if (d->held.len) {
		tap_send(b, d->held.buf, d->held.len);
		d->held.len = 0;
	}
}

/**
 * sock_rx() - Read from the socket, forward all complete frames to the tap
 * @b:		Bridge
 *
 * Return: 0 on success, 1 if the peer closed the connection, -1 on error
 */
static int sock_rx(struct bridge *b)
{
	size_t off = 0;
	ssize_t n;

	n = recv(b->sock, b->rbuf + b->rlen, BUF_SIZE - b->rlen, MSG_DONTWAIT);
	if (n == 0)
		return 1;
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		if (errno == ECONNRESET)
			return 1;
		err("recv");
		return -1;
	}

	b->rlen += (size_t)n;

	while (b->rlen - off >= LEN_HDR) {
		uint32_t len;

		memcpy(&len, b->rbuf + off, LEN_HDR);
		len = ntohl(len);

		if (!len || len > FRAME_MAX) {
			fprintf(stderr,
				"tapbridge: framing error: frame length %u\n",
				len);
			return -1;
		}

		if (b->rlen - off - LEN_HDR < len)
			break;

		to_tap_frame(b, b->rbuf + off + LEN_HDR, len);
		off += LEN_HDR + len;
	}
	gro_flush(b);	/* Merged segments point to frames in the buffer */

	/* Move partial frame, if any, to the start: less than REC_MAX bytes */
	if (off) {
		memmove(b->rbuf, b->rbuf + off, b->rlen - off);
		b->rlen -= off;
	}

	return 0;
}

/**
 * wbuf_room() - Check for free space at the end of the socket buffer
 * @b:		Bridge
 * @need:	Bytes needed
 *
 * Moves pending data to the start of the buffer if that's cheap, that is, if
 * it moves fewer bytes than it frees, so the cost is amortised over sends.
 *
 * Return: true if @need bytes are available at the end of @b->wbuf
 */
static bool wbuf_room(struct bridge *b, size_t need)
{
	size_t pending = b->wtail - b->whead;

	if (BUF_SIZE - b->wtail >= need)
		return true;

	if (b->whead && pending <= b->whead) {
		memmove(b->wbuf, b->wbuf + b->whead, pending);
		b->whead = 0;
		b->wtail = pending;
	}

	return BUF_SIZE - b->wtail >= need;
}

/**
 * wbuf_put() - Append a frame with its length header to the socket buffer
 * @b:		Bridge
 * @frame:	Frame: already in place after the header, or not overlapping it
 * @len:	Frame length, caller ensured space for it
 */
static void wbuf_put(struct bridge *b, const unsigned char *frame, size_t len)
{
	uint32_t hdr = htonl((uint32_t)len);

	memcpy(b->wbuf + b->wtail, &hdr, LEN_HDR);
	if (frame != b->wbuf + b->wtail + LEN_HDR)
		memcpy(b->wbuf + b->wtail + LEN_HDR, frame, len);
	b->wtail += LEN_HDR + len;

	b->to_sock.out_frames++;
	b->to_sock.out_bytes += len;
}

/**
 * sock_flush() - Send pending data to the socket, as much as it takes
 * @b:		Bridge
 *
 * Pending frames are contiguous in @b->wbuf, each after its length header, so
 * a single send() passes a whole batch of frames to the kernel.
 *
 * Return: 0 on success, 1 if the peer closed the connection, -1 on error
 */
static int sock_flush(struct bridge *b)
{
	while (b->whead < b->wtail) {
		size_t len = b->wtail - b->whead;
		ssize_t n;

		n = send(b->sock, b->wbuf + b->whead, len,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			if (errno == EPIPE || errno == ECONNRESET)
				return 1;
			err("send");
			return -1;
		}

		b->whead += (size_t)n;
		if ((size_t)n < len)
			break;		/* socket buffer full */
	}

	if (b->whead == b->wtail)
		b->whead = b->wtail = 0;

	return 0;
}

/**
 * to_sock_frame() - Queue one frame read from the tap for the socket
 * @b:		Bridge
 * @len:	Frame length, frame is in @b->wbuf after @b->wtail + LEN_HDR
 *
 * The caller ensured @b->wneed bytes of space, enough for the frame, a
 * duplicate and a held frame, with their headers.
 */
static void to_sock_frame(struct bridge *b, size_t len)
{
	unsigned char *frame = b->wbuf + b->wtail + LEN_HDR;
	struct dir *d = &b->to_sock;
	bool dup;

	d->in_frames++;
	d->in_bytes += len;

	switch (impair(b, d, &dup)) {
	case DROP:
		return;
	case HOLD:
		hold(d, frame, len);
		return;
	case PASS:
		break;
	}

	wbuf_put(b, frame, len);	/* frame in place: only adds header */
	if (dup)
		wbuf_put(b, frame, len);

	if (d->held.len) {
		wbuf_put(b, d->held.buf, d->held.len);
		d->held.len = 0;
	}
}

/**
 * csum_complete() - Fill in a checksum the kernel left to the device
 * @f:		Frame
 * @len:	Frame length
 * @vh:		Its virtio-net header, NEEDS_CSUM set
 *
 * The field holds the sum of the pseudo-header, the rest is added from
 * @vh->csum_start to the end of the frame (virtio 1.2, 5.1.6.2).
 *
 * Return: 0 on success, -1 if the offsets don't fit the frame
 */
static int csum_complete(unsigned char *f, size_t len,
			 const struct virtio_net_hdr *vh)
{
	size_t start = vh->csum_start, field = start + vh->csum_offset;

	if (start >= len || field + 2 > len)
		return -1;

	csum_store(f + field, csum_copy(NULL, f + start, len - start, 0),
		   vh->csum_offset == 6);
	return 0;
}

/**
 * tso_segment() - Cut a large TCP segment into frames for the socket
 * @b:		Bridge
 * @f:		Frame as read from the tap, in @b->wbuf where a frame goes
 * @len:	Frame length
 * @mss:	Payload of each frame but the last (gso_size)
 *
 * Headers are copied to each frame, with their lengths, sequence numbers,
 * IPv4 identifications and flags set as segmentation would (FIN and PSH on
 * the last frame only, CWR on the first only), and checksums computed in
 * full. Each frame goes to to_sock_frame() in turn: the caller ensured room
 * for all of them (see bridge_new()).
 *
 * Return: 0 on success, -1 if the frame isn't a TCP segment we can cut
 */
static int tso_segment(struct bridge *b, unsigned char *f, size_t len,
		       size_t mss)
{
	static unsigned char data[FRAME_MAX];
	size_t l4, thl, hlen, plen, off;
	unsigned char hdr[TSO_HDR_MAX];
	uint32_t seq, pseudo_len;
	uint64_t pseudo = 0;
	uint16_t id = 0;
	uint8_t flags;
	bool v6;
	int i;

	if (len < ETH_HDR_LEN + 40)
		return -1;

	switch (be16(f + 12)) {
	case ETHERTYPE_V4:
		l4 = ETH_HDR_LEN + (size_t)(f[ETH_HDR_LEN] & 0xf) * 4;
		if (f[ETH_HDR_LEN + 9] != PROTO_TCP || l4 < ETH_HDR_LEN + 20)
			return -1;
		v6 = false;
		id = be16(f + ETH_HDR_LEN + 4);
		pseudo = csum_copy(NULL, f + ETH_HDR_LEN + 12, 8, 0);
		pseudo += htons(PROTO_TCP);
		break;
	case ETHERTYPE_V6:
		l4 = ETH_HDR_LEN + 40;
		if (f[ETH_HDR_LEN + 6] != PROTO_TCP)
			return -1;
		v6 = true;
		pseudo = csum_copy(NULL, f + ETH_HDR_LEN + 8, 32, 0);
		pseudo += htonl(PROTO_TCP);
		break;
	default:
		return -1;
	}

	if (len < l4 + 20)
		return -1;
	thl = (size_t)(f[l4 + 12] >> 4) * 4;
	hlen = l4 + thl;
	if (thl < 20 || hlen > len || mss < TSO_MSS_MIN)
		return -1;

	b->to_sock.cut++;
	memcpy(hdr, f, hlen);
	plen = len - hlen;
	memcpy(data, f + hlen, plen);
	memcpy(&seq, hdr + l4 + 4, 4);
	seq = ntohl(seq);
	flags = hdr[l4 + 13];

	for (off = 0, i = 0; off < plen; off += mss, i++) {
		unsigned char *out = b->wbuf + b->wtail + LEN_HDR;
		size_t seg = plen - off < mss ? plen - off : mss;
		bool last = off + seg == plen;
		uint32_t nseq = htonl(seq + (uint32_t)off);
		uint64_t sum;

		memcpy(out, hdr, hlen);
		if (v6) {
			put_be16(out + ETH_HDR_LEN + 4, (uint16_t)(thl + seg));
			pseudo_len = htonl((uint32_t)(thl + seg));
		} else {
			unsigned char *ip = out + ETH_HDR_LEN;
			size_t ihl = l4 - ETH_HDR_LEN;

			put_be16(ip + 2, (uint16_t)(ihl + thl + seg));
			put_be16(ip + 4, (uint16_t)(id + i));
			ip[10] = ip[11] = 0;
			csum_store(ip + 10, csum_copy(NULL, ip, ihl, 0), false);
			pseudo_len = htons((uint16_t)(thl + seg));
		}

		memcpy(out + l4 + 4, &nseq, 4);
		out[l4 + 13] = flags;
		if (!last)
			out[l4 + 13] &= (uint8_t)~(TCP_FLAG_FIN | TCP_FLAG_PSH);
		if (i)
			out[l4 + 13] &= (uint8_t)~TCP_FLAG_CWR;
		out[l4 + 16] = out[l4 + 17] = 0;

		sum = csum_copy(out + hlen, data + off, seg,
				pseudo + pseudo_len);
		sum = csum_copy(NULL, out + l4, thl, sum);
		csum_store(out + l4 + 16, sum, false);

		to_sock_frame(b, hlen + seg);
	}

	return 0;
}

/**
 * tap_rx() - Read a batch of frames from the tap, send them to the socket
 * @b:		Bridge
 *
 * Return: 0 on success, 1 if the peer closed the connection, -1 on error
 */
static int tap_rx(struct bridge *b)
{
	struct virtio_net_hdr vh;
	struct iovec iov[2] = {
		{ .iov_base = &vh, .iov_len = sizeof(vh) },
		{ .iov_len = FRAME_MAX + 1 },
	};
	int vnet = b->o->gro || b->o->tso;
	unsigned char *frame;
	int i;

	for (i = 0; i < TAP_BATCH; i++) {
		ssize_t n;

		if (!wbuf_room(b, b->wneed))
			break;

		/* Without --tso the device offers no offloads, and the header
		 * is all zeroes
		 */
		frame = b->wbuf + b->wtail + LEN_HDR;
		iov[1].iov_base = frame;
		n = readv(b->tap, iov + !vnet, 1 + vnet);
		if (n > 0 && vnet)
			n -= (ssize_t)sizeof(vh);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			err("tap read");
			return -1;
		}
		if (n == 0)
			break;

		if (n > FRAME_MAX) {	/* can't happen with MTU <= 65535 */
			b->to_sock.errors++;
			continue;
		}

		if (b->o->tso && vh.gso_type != VIRTIO_NET_HDR_GSO_NONE) {
			if (tso_segment(b, frame, (size_t)n, vh.gso_size))
				b->to_sock.errors++;
			continue;
		}
		if (b->o->tso && (vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
		    csum_complete(frame, (size_t)n, &vh)) {
			b->to_sock.errors++;
			continue;
		}

		to_sock_frame(b, (size_t)n);
	}

	return sock_flush(b);
}

/**
 * held_expire() - Send frames held back for too long, with no frame after
 * @b:		Bridge
 *
 * Return: 0 on success, 1 if the peer closed the connection, -1 on error
 */
static int held_expire(struct bridge *b)
{
	struct held *h;
	int64_t now;

	if (!b->to_tap.held.len && !b->to_sock.held.len)
		return 0;

	now = now_ms();

	h = &b->to_tap.held;
	if (h->len && now - h->since >= HOLD_MS) {
		tap_send(b, h->buf, h->len);
		h->len = 0;
	}

	h = &b->to_sock.held;
	if (h->len && now - h->since >= HOLD_MS &&
	    wbuf_room(b, LEN_HDR + h->len)) {
		wbuf_put(b, h->buf, h->len);
		h->len = 0;
		return sock_flush(b);
	}

	return 0;
}

/**
 * held_timeout() - Get epoll timeout until the next held frame expires
 * @b:		Bridge
 *
 * Return: timeout in milliseconds, -1 (infinite) if no frame is held
 */
static int held_timeout(const struct bridge *b)
{
	const struct held *h[] = { &b->to_tap.held, &b->to_sock.held };
	int64_t now = -1, t = -1;
	size_t i;

	for (i = 0; i < sizeof(h) / sizeof(h[0]); i++) {
		int64_t left;

		if (!h[i]->len)
			continue;

		/* No room for a frame held for the socket: the socket is full,
		 * wait for EPOLLOUT instead, so that we don't spin
		 */
		if (h[i] == &b->to_sock.held &&
		    BUF_SIZE - b->wtail < LEN_HDR + h[i]->len)
			continue;
		if (now < 0)
			now = now_ms();

		left = h[i]->since + HOLD_MS - now;
		if (left < 0)
			left = 0;
		if (t < 0 || left < t)
			t = left;
	}

	return (int)t;
}

/**
 * ep_set() - Update the events monitored for a file descriptor, if changed
 * @b:		Bridge
 * @fd:		File descriptor
 * @cur:	Events currently monitored, updated
 * @events:	Events to monitor
 *
 * Return: 0 on success, -1 on failure
 */
static int ep_set(struct bridge *b, int fd, uint32_t *cur, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	if (*cur == events)
		return 0;

	if (epoll_ctl(b->epfd, EPOLL_CTL_MOD, fd, &ev)) {
		err("epoll_ctl");
		return -1;
	}

	*cur = events;
	return 0;
}

/**
 * ep_update() - Set monitored events according to buffer state
 * @b:		Bridge
 *
 * Stop reading from the tap if there's no room to queue frames for the
 * socket, and wait for the socket to be writable if data is pending.
 *
 * Return: 0 on success, -1 on failure
 */
static int ep_update(struct bridge *b)
{
	uint32_t tap_ev = wbuf_room(b, b->wneed) ? EPOLLIN : 0;
	uint32_t sock_ev = EPOLLIN;

	if (b->whead < b->wtail)
		sock_ev |= EPOLLOUT;

	if (ep_set(b, b->tap, &b->tap_ev, tap_ev))
		return -1;

	return ep_set(b, b->sock, &b->sock_ev, sock_ev);
}

/**
 * ep_init() - Create epoll descriptor, add tap and socket
 * @b:		Bridge
 *
 * Return: 0 on success, -1 on failure
 */
static int ep_init(struct bridge *b)
{
	struct epoll_event ev = { .events = EPOLLIN };

	b->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (b->epfd < 0) {
		err("epoll_create1");
		return -1;
	}

	ev.data.fd = b->tap;
	if (epoll_ctl(b->epfd, EPOLL_CTL_ADD, b->tap, &ev)) {
		err("epoll_ctl");
		return -1;
	}
	b->tap_ev = EPOLLIN;

	ev.data.fd = b->sock;
	if (epoll_ctl(b->epfd, EPOLL_CTL_ADD, b->sock, &ev)) {
		err("epoll_ctl");
		return -1;
	}
	b->sock_ev = EPOLLIN;

	return 0;
}

/**
 * relay() - Main loop: relay frames until the peer closes, or a signal
 * @b:		Bridge
 * @waitmask:	Signal mask while waiting for events
 *
 * Return: 0 on clean termination, -1 on error
 */
static int relay(struct bridge *b, const sigset_t *waitmask)
{
	struct epoll_event ev[8];

	while (!quit) {
		int n, i, rc = 0;

		n = epoll_pwait(b->epfd, ev, sizeof(ev) / sizeof(ev[0]),
				held_timeout(b), waitmask);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err("epoll_pwait");
			return -1;
		}

		for (i = 0; i < n && !rc; i++) {
			uint32_t e = ev[i].events;

			if (ev[i].data.fd == b->tap) {
				if (e & (EPOLLERR | EPOLLHUP)) {
					fprintf(stderr, "tapbridge: %s\n",
						"tap detached (link removed?)");
					return -1;
				}
				rc = tap_rx(b);
				continue;
			}

			if (e & EPOLLOUT)
				rc = sock_flush(b);
			if (!rc && (e & (EPOLLIN | EPOLLHUP | EPOLLERR)))
				rc = sock_rx(b);
		}

		if (!rc)
			rc = held_expire(b);

		if (rc > 0) {
			if (!b->o->quiet && b->rlen) {
				fprintf(stderr, "tapbridge: peer closed, "
					"%zu bytes of partial frame left\n",
					b->rlen);
			} else if (!b->o->quiet) {
				fprintf(stderr, "tapbridge: peer closed\n");
			}
			return 0;
		}
		if (rc < 0 || ep_update(b))
			return -1;
	}

	return 0;
}

/**
 * dir_print() - Print counters for one direction
 * @d:		Direction
 */
static void dir_print(const struct dir *d)
{
	fprintf(stderr,
		"tapbridge: %s: in %llu frames %llu bytes, "
		"out %llu frames %llu bytes, dropped %llu, duplicated %llu, "
		"reordered %llu, errors %llu, cut %llu\n",
		d->name,
		(unsigned long long)d->in_frames,
		(unsigned long long)d->in_bytes,
		(unsigned long long)d->out_frames,
		(unsigned long long)d->out_bytes,
		(unsigned long long)d->dropped,
		(unsigned long long)d->duplicated,
		(unsigned long long)d->reordered,
		(unsigned long long)d->errors,
		(unsigned long long)d->cut);
}

/**
 * bridge_new() - Allocate and initialise relay state
 * @o:		Options
 *
 * Return: bridge, exits on allocation failure
 */
static struct bridge *bridge_new(const struct opts *o)
{
	struct bridge *b = calloc(1, sizeof(*b));

	if (!b)
		die("out of memory");

	b->rbuf = malloc(BUF_SIZE);
	b->wbuf = malloc(BUF_SIZE);
	if (!b->rbuf || !b->wbuf)
		die("out of memory");

	b->o = o;
	b->tap = b->sock = b->epfd = -1;

	/* Room for a frame read from tap (one byte more to detect oversized
	 * frames), a duplicate, and a held frame, with length headers; with
	 * --tso, for the headers of every frame a large segment is cut into
	 */
	b->wneed = REC_MAX + 1;
	if (o->tso)
		b->wneed += TSO_SEGS_MAX * (LEN_HDR + TSO_HDR_MAX);
	if (o->dup > 0)
		b->wneed *= 2;
	if (o->reorder > 0)
		b->wneed += REC_MAX;

	b->to_tap.name = "socket->tap";
	b->to_sock.name = "tap->socket";
	prng_init(&b->to_tap.rng, o->seed);
	prng_init(&b->to_sock.rng, o->seed ^ 0x5bd1e9955bd1e995ULL);

	return b;
}

/**
 * bridge_free() - Close descriptors and free relay state
 * @b:		Bridge
 */
static void bridge_free(struct bridge *b)
{
	if (b->epfd >= 0)
		close(b->epfd);
	if (b->sock >= 0)
		close(b->sock);
	if (b->tap >= 0)
		close(b->tap);
	free(b->rbuf);
	free(b->wbuf);
	free(b);
}

/**
 * main() - Entry point
 * @argc:	Argument count
 * @argv:	Arguments
 *
 * Return: 0 on clean termination (peer closed, signal), 1 on failure
 */
int main(int argc, char **argv)
{
	char ifname[IFNAMSIZ];
	sigset_t waitmask;
	struct bridge *b;
	struct opts o;
	int ret = -1;

	parse_opts(argc, argv, &o);
	signals_setup(&waitmask);

	b = bridge_new(&o);
	b->tap = tap_open(&o, ifname);
	tap_discard(b->tap, o.late_ms);

	if (o.listen) {
		int lfd = sock_listen(o.sock_path);

		if (lfd < 0)
			goto out;

		if (o.pidfile && pidfile_write(o.pidfile)) {
			close(lfd);
			unlink(o.sock_path);
			goto out;
		}

		b->sock = sock_accept(lfd, &waitmask);
		close(lfd);
		unlink(o.sock_path);
	} else {
		b->sock = sock_connect(o.sock_path, &waitmask);
		if (b->sock >= 0 && o.pidfile && pidfile_write(o.pidfile))
			goto out;
	}

	if (b->sock == -2) {
		ret = 0;	/* signal while waiting for a connection */
		goto out;
	}
	if (b->sock < 0 || sock_setup(b->sock) || ep_init(b))
		goto out;

	if (!o.quiet) {
		fprintf(stderr, "tapbridge: %s %s %s\n", ifname,
			o.listen ? "accepted on" : "connected to",
			o.sock_path);
	}

	ret = relay(b, &waitmask);

out:
	if (!o.quiet) {
		dir_print(&b->to_sock);
		dir_print(&b->to_tap);
	}
	bridge_free(b);

	return ret ? EXIT_FAILURE : EXIT_SUCCESS;
}
