// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * bench_ftp - FTP control-traffic replay for the kernel-path benchmark
 * (tests/bench/kbench-guest.sh).  Not an FTP implementation: it replays
 * the shared session corpora so that an ALG on the path between the two
 * ends sees real command/reply pairs.
 *
 *   bench_ftp server PORT CLIENT.txt SERVER.txt
 *	Listens on PORT (all IPv4 addresses).  Every command gets the reply
 *	the corpus has for that command (the two corpora are aligned: a
 *	greeting per session, then one reply group per command), taken in
 *	turn per command word.  The address of a 227 is replaced by the
 *	server's own, as a real server behind NAT would send it.  A reply
 *	with a preliminary part (150 ... 226) is sent as two writes when
 *	the command came alone; replies to pipelined commands are sent
 *	together.  After a PORT/EPRT, the next transfer command (RETR,
 *	STOR, LIST ...) makes it open the data connection to the address
 *	named, as an active-mode server does.  Closes after the reply to
 *	QUIT.
 *
 *   bench_ftp replay ADDR PORT CLIENT.txt [--jobs N] [--repeat N]
 *		      [--sessions N] [--pipeline N]
 *	Replays the client corpus session by session (a session starts at
 *	USER), one TCP connection per session, N sessions at a time (N
 *	processes).  PORT/EPRT carry the client's own address (its data
 *	port kept).  Lock-step by default: one command per write
 *	(TCP_NODELAY), then wait for its final reply, like real clients.
 *	After a 227 or 229 it opens the data connection, to the 227's
 *	address or to the control peer.  --pipeline N writes N commands at
 *	once (one segment), then reads their N replies.  Prints one
 *	"key=value ..." result line.
 *
 *	Data connections are only opened (a SYN, then the socket is closed;
 *	nothing listens at the other end, which answers with a reset): that
 *	is enough for the router to match and consume the helper's
 *	expectation and NAT the data connection, as with real transfers,
 *	without the cost of moving any data.
 *
 *   bench_ftp push-server PORT SERVER.txt [--chunk N]
 *   bench_ftp push ADDR PORT CLIENT.txt [--jobs N] [--conns N] [--chunk N]
 *	The whole-segment workload: each connection has the client write
 *	all of CLIENT.txt and the server all of SERVER.txt, both in N-byte
 *	writes (default 1400) as fast as the other end reads, with no
 *	waiting for replies (so many lines per segment, commands far ahead
 *	of their replies).  --conns connections in all (default 40), --jobs
 *	at a time (default 4).  push prints one "key=value ..." line.
 *
 *   bench_ftp hold ADDR PORT COUNT [--wait]
 *	Opens COUNT control connections (from 8 processes), logs each in
 *	(greeting, then USER, PASS, TYPE I in one write), prints "held
 *	COUNT" and keeps them open, idle, until SIGTERM/SIGINT.  With
 *	--wait, the processes are started (descriptor tables sized for
 *	their share) and "ready" is printed first; the connections are
 *	opened on SIGUSR1.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define IO_TIMEOUT_MS	20000
#define RBUF		8192

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "bench_ftp: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* --- corpus ----------------------------------------------------------- */

struct lines {
	char **v;
	size_t n;
};

/* Lines of a file without their CR LF. */
static struct lines load_lines(const char *path)
{
	struct lines l = { NULL, 0 };
	size_t cap = 0, len = 0;
	char *buf = NULL;
	ssize_t r;
	FILE *f = fopen(path, "r");

	if (!f)
		die("cannot read %s: %s", path, strerror(errno));
	while ((r = getline(&buf, &len, f)) >= 0) {
		while (r > 0 && (buf[r - 1] == '\n' || buf[r - 1] == '\r'))
			buf[--r] = 0;
		if (l.n == cap) {
			cap = cap ? cap * 2 : 1024;
			l.v = realloc(l.v, cap * sizeof(*l.v));
			if (!l.v)
				die("out of memory");
		}
		l.v[l.n++] = strdup(buf);
	}
	free(buf);
	fclose(f);
	return l;
}

static int is_code(const char *s)
{
	return s[0] >= '1' && s[0] <= '5' && s[1] >= '0' && s[1] <= '9' &&
	       s[2] >= '0' && s[2] <= '9';
}

/*
 * Reply line tracking: is @s the final line of a reply?  *multi holds the
 * code of an open multi-line reply ("" when none).
 */
static int final_line(const char *s, char multi[4])
{
	if (multi[0]) {
		if (!strncmp(s, multi, 3) && s[3] == ' ') {
			multi[0] = 0;
			return s[0] != '1';
		}
		return 0;
	}
	if (!is_code(s))
		return 0;
	if (s[3] == '-') {
		memcpy(multi, s, 3);
		multi[3] = 0;
		return 0;
	}
	return s[0] != '1' && (s[3] == ' ' || s[3] == 0);
}

/* The command word, upper-cased, at most 7 characters. */
static void cmd_word(const char *line, char out[8])
{
	int i;

	for (i = 0; i < 7 && line[i] && line[i] != ' ' && line[i] != '\r'; i++)
		out[i] = (line[i] >= 'a' && line[i] <= 'z') ?
			 line[i] - 32 : line[i];
	out[i] = 0;
}

/* --- server ----------------------------------------------------------- */

struct group {
	char *prelim;		/* 1yz lines before the final reply, or NULL */
	char *rest;		/* the rest, CR LF terminated */
};

struct kw {
	char word[8];
	struct group *g;
	size_t n, cap, next;
};

static struct kw *kws;
static size_t nkw;
static struct group *greet;
static size_t ngreet, greet_next;

static struct kw *kw_find(const char *word, int add)
{
	size_t i;

	for (i = 0; i < nkw; i++)
		if (!strcmp(kws[i].word, word))
			return &kws[i];
	if (!add)
		return NULL;
	kws = realloc(kws, (nkw + 1) * sizeof(*kws));
	if (!kws)
		die("out of memory");
	memset(&kws[nkw], 0, sizeof(*kws));
	snprintf(kws[nkw].word, sizeof(kws[nkw].word), "%s", word);
	return &kws[nkw++];
}

static void group_push(struct group **v, size_t *n, size_t *cap,
		       struct group g)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		*v = realloc(*v, *cap * sizeof(**v));
		if (!*v)
			die("out of memory");
	}
	(*v)[(*n)++] = g;
}

static void sappend(char **s, const char *line)
{
	size_t a = *s ? strlen(*s) : 0, b = strlen(line);

	*s = realloc(*s, a + b + 3);
	if (!*s)
		die("out of memory");
	memcpy(*s + a, line, b);
	memcpy(*s + a + b, "\r\n", 3);
}

/* The next reply group of the server corpus: 1yz lines apart. */
static struct group take_group(struct lines *s, size_t *si, const char *path)
{
	struct group g = { NULL, NULL };
	char multi[4] = "";

	for (;;) {
		const char *l;
		int fin;

		if (*si == s->n)
			die("%s: replies end before the commands do", path);
		l = s->v[(*si)++];
		fin = final_line(l, multi);
		if (!multi[0] && !fin && is_code(l) && l[0] == '1')
			sappend(&g.prelim, l);
		else
			sappend(&g.rest, l);
		if (fin)
			return g;
	}
}

/* Cut the server corpus into reply groups and file them per command. */
static void load_replies(const char *cpath, const char *spath)
{
	struct lines c = load_lines(cpath), s = load_lines(spath);
	size_t ci, si = 0, gcap = 0;

	for (ci = 0; ci < c.n; ci++) {
		char word[8];
		struct kw *k;

		cmd_word(c.v[ci], word);
		if (!strcmp(word, "USER"))	/* a new session: greeting */
			group_push(&greet, &ngreet, &gcap,
				   take_group(&s, &si, spath));
		k = kw_find(word, 1);
		group_push(&k->g, &k->n, &k->cap, take_group(&s, &si, spath));
	}
	if (!ngreet)
		die("%s: no sessions (a session starts at USER)", cpath);
	if (si != s.n)
		die("%s: %zu reply lines left over", spath, s.n - si);
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct conn {
	int fd;
	unsigned char own[4];
	unsigned char data_addr[4];	/* from the last PORT/EPRT */
	unsigned int data_port;		/* 0: none pending */
	size_t len;
	char in[RBUF];
};

static void send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EAGAIN) {
			struct pollfd pf = { fd, POLLOUT, 0 };

			if (poll(&pf, 1, IO_TIMEOUT_MS) <= 0)
				return;
			continue;
		}
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

struct obuf {
	char *p;
	size_t n, cap;
};

static void ob_add(struct obuf *o, const char *s)
{
	size_t l = strlen(s);

	if (o->n + l > o->cap) {
		o->cap = (o->n + l) * 2;
		o->p = realloc(o->p, o->cap);
		if (!o->p)
			die("out of memory");
	}
	memcpy(o->p + o->n, s, l);
	o->n += l;
}

/* A reply's text with a 227's address replaced by @own. */
static void reply_text(struct obuf *o, const char *text,
		       const unsigned char own[4])
{
	unsigned int h[4], p[2];
	char buf[256];
	const char *open;
	int used;

	if (strncmp(text, "227 ", 4) || !(open = strchr(text, '(')) ||
	    sscanf(open, "(%u,%u,%u,%u,%u,%u)%n", &h[0], &h[1], &h[2], &h[3],
		   &p[0], &p[1], &used) != 6) {
		ob_add(o, text);
		return;
	}
	snprintf(buf, sizeof(buf), "%.*s(%u,%u,%u,%u,%u,%u)%s",
		 (int)(open - text), text, own[0], own[1], own[2], own[3],
		 p[0], p[1], open + used);
	ob_add(o, buf);
}

static struct group *next_group(const char *word)
{
	struct kw *k = kw_find(word, 0);

	if (!k || !k->n)
		return NULL;
	return &k->g[k->next++ % k->n];
}

/*
 * Open a data connection the way the benchmark needs it: send the SYN
 * (a non-blocking connect sends it at once) and give up on it.  Nothing
 * listens at the other end: the SYN matches the helper's expectation on
 * the router (which consumes it and NATs it like the control connection)
 * and is answered by a reset.  Returns whether a SYN could be sent.
 */
static int data_poke(const unsigned char addr[4], unsigned int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), r;

	if (fd < 0)
		return 0;
	memcpy(&sa.sin_addr, addr, 4);
	sa.sin_port = htons((unsigned short)port);
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	r = !r || errno == EINPROGRESS;
	close(fd);
	return r;
}

/* The endpoint of a PORT/EPRT command line (IPv4 only). */
static int cmd_endpoint(const char *line, unsigned char addr[4],
			unsigned int *port)
{
	unsigned int h[4], p[2], proto, i;

	if (!strncmp(line, "PORT ", 5) &&
	    sscanf(line + 5, "%u,%u,%u,%u,%u,%u", &h[0], &h[1], &h[2], &h[3],
		   &p[0], &p[1]) == 6) {
		*port = p[0] * 256 + p[1];
	} else if (!strncmp(line, "EPRT ", 5) &&
		   sscanf(line + 5, "|%u|%u.%u.%u.%u|%u|", &proto, &h[0],
			  &h[1], &h[2], &h[3], port) == 6 && proto == 1) {
	} else {
		return 0;
	}
	for (i = 0; i < 4; i++)
		addr[i] = (unsigned char)h[i];
	return 1;
}

static int is_transfer(const char *word)
{
	static const char *const t[] = { "RETR", "STOR", "STOU", "APPE",
					 "LIST", "NLST", "MLSD" };
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(word, t[i]))
			return 1;
	return 0;
}

/* Returns 0 when the connection is to be closed. */
static int serve_input(struct conn *cn)
{
	struct obuf o = { NULL, 0, 0 };
	size_t pos = 0, nl = 0, i;
	int quit = 0;
	char *lf;

	for (i = 0; i < cn->len; i++)
		nl += cn->in[i] == '\n';
	while (!quit && (lf = memchr(cn->in + pos, '\n', cn->len - pos))) {
		char word[8];
		struct group *g;

		*lf = 0;
		cmd_word(cn->in + pos, word);
		if (!cmd_endpoint(cn->in + pos, cn->data_addr, &cn->data_port) &&
		    is_transfer(word) && cn->data_port) {
			/* active mode: the server opens the data connection */
			data_poke(cn->data_addr, cn->data_port);
			cn->data_port = 0;
		}
		pos = (size_t)(lf - cn->in) + 1;
		g = next_group(word);
		if (!g) {
			ob_add(&o, "502 Command not implemented.\r\n");
			continue;
		}
		if (g->prelim) {
			reply_text(&o, g->prelim, cn->own);
			if (nl == 1) {	/* alone: 150 now, 226 "later" */
				send_all(cn->fd, o.p, o.n);
				o.n = 0;
			}
		}
		reply_text(&o, g->rest, cn->own);
		quit = !strcmp(word, "QUIT");
	}
	if (o.n)
		send_all(cn->fd, o.p, o.n);
	free(o.p);
	memmove(cn->in, cn->in + pos, cn->len - pos);
	cn->len -= pos;
	if (cn->len == sizeof(cn->in))
		cn->len = 0;	/* a runaway line: drop it */
	return !quit;
}

/* As many descriptors as @want, or as many as allowed. */
static rlim_t raise_nofile(rlim_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 0;
	if (rl.rlim_cur >= want)
		return rl.rlim_cur;
	rl.rlim_cur = want;
	if (rl.rlim_max < want)
		rl.rlim_max = want;
	if (setrlimit(RLIMIT_NOFILE, &rl)) {
		getrlimit(RLIMIT_NOFILE, &rl);
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	getrlimit(RLIMIT_NOFILE, &rl);
	return rl.rlim_cur;
}

static void nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static void nodelay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/*
 * Grow this process's file descriptor table to hold @n descriptors now
 * (the kernel never shrinks it), so that opening many sockets later does
 * not reallocate it: the memory benchmark's snapshots then see the
 * connections, not a table doubling between them.
 */
static void fdtable_presize(long n)
{
	int fd;

	if (n < 64)
		return;
	fd = dup2(STDERR_FILENO, (int)n - 1);
	if (fd >= 0)
		close(fd);
}

static int cmd_server(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct epoll_event ev, evs[64];
	int one = 1, lfd, ep;
	rlim_t nofile;

	if (argc != 5)
		die("usage: server PORT CLIENT.txt SERVER.txt");
	load_replies(argv[3], argv[4]);
	nofile = raise_nofile(65536);
	fdtable_presize(nofile < 16384 ? (long)nofile : 16384);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_port = htons((unsigned short)atoi(argv[2]));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(lfd, 4096))
		die("cannot listen on port %s: %s", argv[2], strerror(errno));
	nonblock(lfd);
	ep = epoll_create1(0);
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	printf("listening on port %s, %zu sessions of replies\n", argv[2],
	       ngreet);
	fflush(stdout);

	while (!stop) {
		int n = epoll_wait(ep, evs, 64, -1), i;

		for (i = 0; i < n; i++) {
			struct conn *cn = evs[i].data.ptr;
			ssize_t r;

			if (!cn) {
				struct sockaddr_in own;
				socklen_t sl = sizeof(own);
				int fd = accept(lfd, NULL, NULL);

				if (fd < 0)
					continue;
				cn = calloc(1, sizeof(*cn));
				if (!cn)
					die("out of memory");
				cn->fd = fd;
				getsockname(fd, (struct sockaddr *)&own, &sl);
				memcpy(cn->own, &own.sin_addr, 4);
				nonblock(fd);
				nodelay(fd);
				{
					struct obuf o = { NULL, 0, 0 };
					struct group *g =
						&greet[greet_next++ % ngreet];

					if (g->prelim)
						ob_add(&o, g->prelim);
					ob_add(&o, g->rest);
					send_all(fd, o.p, o.n);
					free(o.p);
				}
				ev.events = EPOLLIN;
				ev.data.ptr = cn;
				epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				continue;
			}
			r = read(cn->fd, cn->in + cn->len,
				 sizeof(cn->in) - cn->len);
			if (r < 0 && errno == EAGAIN)
				continue;
			if (r > 0) {
				cn->len += (size_t)r;
				if (serve_input(cn))
					continue;
			}
			epoll_ctl(ep, EPOLL_CTL_DEL, cn->fd, NULL);
			close(cn->fd);
			free(cn);
		}
	}
	return 0;
}

/* --- client ----------------------------------------------------------- */

struct stats {
	unsigned long sessions, lines, replies, r227, r227_public,
		r227_private, r229, pokes, errors, bytes_out, bytes_in;
};

struct reader {
	int fd;
	size_t len, pos;
	char buf[RBUF];
};

/* The next line (without CR LF) into @out; 0 on EOF/error/timeout. */
static int read_line(struct reader *r, char *out, size_t outsz,
		     struct stats *st)
{
	for (;;) {
		char *lf = memchr(r->buf + r->pos, '\n', r->len - r->pos);
		struct pollfd pf = { r->fd, POLLIN, 0 };
		ssize_t n;

		if (lf) {
			size_t l = (size_t)(lf - (r->buf + r->pos));

			if (l && r->buf[r->pos + l - 1] == '\r')
				l--;
			if (l >= outsz)
				l = outsz - 1;
			memcpy(out, r->buf + r->pos, l);
			out[l] = 0;
			r->pos = (size_t)(lf - r->buf) + 1;
			return 1;
		}
		memmove(r->buf, r->buf + r->pos, r->len - r->pos);
		r->len -= r->pos;
		r->pos = 0;
		if (r->len == sizeof(r->buf))
			r->len = 0;
		if (poll(&pf, 1, IO_TIMEOUT_MS) <= 0)
			return 0;
		n = read(r->fd, r->buf + r->len, sizeof(r->buf) - r->len);
		if (n <= 0)
			return 0;
		st->bytes_in += (unsigned long)n;
		r->len += (size_t)n;
	}
}

/*
 * Read up to and including the next final reply.  A 227/229 is answered
 * like a passive-mode client does: by opening the data connection, to
 * the 227's address, or to @peer for a 229.
 */
static int read_reply(struct reader *r, struct stats *st,
		      const unsigned char pub[4], const unsigned char peer[4])
{
	char line[1024], multi[4] = "";

	for (;;) {
		if (!read_line(r, line, sizeof(line), st))
			return 0;
		if (!final_line(line, multi))
			continue;
		st->replies++;
		if (!strncmp(line, "227 ", 4)) {
			unsigned int h[4], p[2], i;
			const char *open = strchr(line, '(');
			unsigned char a[4];

			st->r227++;
			if (!open || sscanf(open, "(%u,%u,%u,%u,%u,%u", &h[0],
					    &h[1], &h[2], &h[3], &p[0],
					    &p[1]) != 6) {
				st->r227_private++;
				return 1;
			}
			for (i = 0; i < 4; i++)
				a[i] = (unsigned char)h[i];
			if (!memcmp(a, pub, 4))
				st->r227_public++;
			else
				st->r227_private++;
			if (peer)
				st->pokes += (unsigned long)
					data_poke(a, p[0] * 256 + p[1]);
		} else if (!strncmp(line, "229 ", 4)) {
			const char *open = strchr(line, '(');
			unsigned int port;

			st->r229++;
			if (peer && open &&
			    sscanf(open, "(|||%u|)", &port) == 1)
				st->pokes += (unsigned long)
					data_poke(peer, port);
		}
		return 1;
	}
}

/* A command as this client sends it: PORT/EPRT name its own address. */
static size_t client_line(const char *line, const unsigned char own[4],
			  char *out, size_t outsz)
{
	unsigned int h[4], p[2], port, proto;
	char addr[64];

	if (!strncmp(line, "PORT ", 5) &&
	    sscanf(line + 5, "%u,%u,%u,%u,%u,%u", &h[0], &h[1], &h[2], &h[3],
		   &p[0], &p[1]) == 6)
		return (size_t)snprintf(out, outsz,
					"PORT %u,%u,%u,%u,%u,%u\r\n", own[0],
					own[1], own[2], own[3], p[0], p[1]);
	if (!strncmp(line, "EPRT ", 5) &&
	    sscanf(line + 5, "|%u|%63[^|]|%u|", &proto, addr, &port) == 3)
		return (size_t)snprintf(out, outsz,
					"EPRT |1|%u.%u.%u.%u|%u|\r\n", own[0],
					own[1], own[2], own[3], port);
	return (size_t)snprintf(out, outsz, "%s\r\n", line);
}

static int dial(const struct sockaddr_in *dst, unsigned char own[4])
{
	struct sockaddr_in me;
	socklen_t sl = sizeof(me);
	struct timeval tv = { IO_TIMEOUT_MS / 1000, 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (const struct sockaddr *)dst, sizeof(*dst))) {
		close(fd);
		return -1;
	}
	nodelay(fd);
	getsockname(fd, (struct sockaddr *)&me, &sl);
	memcpy(own, &me.sin_addr, 4);
	return fd;
}

static int write_all(int fd, const char *p, size_t n, struct stats *st)
{
	st->bytes_out += n;
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return 0;
		p += w;
		n -= (size_t)w;
	}
	return 1;
}

static void run_session(const struct sockaddr_in *dst, char **cmds,
			size_t n, int pipeline, struct stats *st)
{
	const unsigned char *pub = (const unsigned char *)&dst->sin_addr;
	struct reader *r = calloc(1, sizeof(*r));
	unsigned char own[4];
	char out[1024];
	size_t i;

	if (!r)
		die("out of memory");
	r->fd = dial(dst, own);
	if (r->fd < 0 || !read_reply(r, st, pub, NULL)) {
		st->errors++;
		goto out;
	}
	st->replies--;	/* the greeting is not an answer */
	if (pipeline) {
		size_t b, e;

		/* @pipeline commands per write, then their replies */
		for (b = 0; b < n; b = e) {
			struct obuf o = { NULL, 0, 0 };

			e = b + (size_t)pipeline < n ? b + (size_t)pipeline : n;
			for (i = b; i < e; i++) {
				client_line(cmds[i], own, out, sizeof(out));
				ob_add(&o, out);
			}
			if (!write_all(r->fd, o.p, o.n, st)) {
				free(o.p);
				st->errors++;
				goto out;
			}
			free(o.p);
			for (i = b; i < e; i++) {
				if (!read_reply(r, st, pub, pub)) {
					st->errors++;
					goto out;
				}
				st->lines++;
			}
		}
	} else {
		for (i = 0; i < n; i++) {
			size_t l = client_line(cmds[i], own, out, sizeof(out));

			if (!write_all(r->fd, out, l, st) ||
			    !read_reply(r, st, pub, pub)) {
				st->errors++;
				goto out;
			}
			st->lines++;
		}
	}
	st->sessions++;
out:
	if (r->fd >= 0)
		close(r->fd);
	free(r);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct sockaddr_in parse_dst(const char *addr, const char *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };

	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		die("bad IPv4 address %s", addr);
	sa.sin_port = htons((unsigned short)atoi(port));
	return sa;
}

static int cmd_replay(int argc, char **argv)
{
	struct sockaddr_in dst;
	struct lines c;
	size_t *start, nsess = 0, total, i;
	long jobs = 4, repeat = 1, limit = 0, j;
	int pipeline = 0, go[2], res[2];
	struct stats sum = { 0 };
	double t0, t1;

	if (argc < 5)
		die("usage: replay ADDR PORT CLIENT.txt [--jobs N] [--repeat N] [--sessions N] [--pipeline N]");
	dst = parse_dst(argv[2], argv[3]);
	c = load_lines(argv[4]);
	for (i = 5; i < (size_t)argc; i++) {
		if (!strcmp(argv[i], "--pipeline") && i + 1 < (size_t)argc)
			pipeline = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--jobs") && i + 1 < (size_t)argc)
			jobs = atol(argv[++i]);
		else if (!strcmp(argv[i], "--repeat") && i + 1 < (size_t)argc)
			repeat = atol(argv[++i]);
		else if (!strcmp(argv[i], "--sessions") &&
			 i + 1 < (size_t)argc)
			limit = atol(argv[++i]);
		else
			die("unknown option %s", argv[i]);
	}
	if (jobs < 1 || repeat < 1 || pipeline < 0)
		die("--jobs and --repeat must be positive, --pipeline not negative");
	start = calloc(c.n + 1, sizeof(*start));
	if (!start)
		die("out of memory");
	for (i = 0; i < c.n; i++)
		if (!strncmp(c.v[i], "USER", 4) &&
		    (c.v[i][4] == ' ' || !c.v[i][4]))
			start[nsess++] = i;
	if (!nsess)
		die("%s: no sessions", argv[4]);
	start[nsess] = c.n;
	if (start[0])
		die("%s: lines before the first USER", argv[4]);
	/* --sessions: that many, from the first, wrapping around */
	total = limit > 0 ? (size_t)limit : nsess * (size_t)repeat;

	signal(SIGPIPE, SIG_IGN);
	if (pipe(go) || pipe(res))
		die("pipe: %s", strerror(errno));
	for (j = 0; j < jobs; j++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork: %s", strerror(errno));
		if (!pid) {
			struct stats st = { 0 };
			char b;

			close(go[1]);
			close(res[0]);
			if (read(go[0], &b, 1) < 0)
				_exit(3);
			for (i = (size_t)j; i < total; i += (size_t)jobs) {
				size_t s = i % nsess;

				run_session(&dst, c.v + start[s],
					    start[s + 1] - start[s], pipeline,
					    &st);
			}
			if (write(res[1], &st, sizeof(st)) != sizeof(st))
				_exit(3);
			_exit(0);
		}
	}
	close(go[0]);
	close(res[1]);
	t0 = now();
	close(go[1]);		/* start */
	for (j = 0; j < jobs; j++) {
		struct stats st;

		if (read(res[0], &st, sizeof(st)) != sizeof(st))
			die("a worker died");
		sum.sessions += st.sessions;
		sum.lines += st.lines;
		sum.replies += st.replies;
		sum.r227 += st.r227;
		sum.r227_public += st.r227_public;
		sum.r227_private += st.r227_private;
		sum.r229 += st.r229;
		sum.pokes += st.pokes;
		sum.errors += st.errors;
		sum.bytes_out += st.bytes_out;
		sum.bytes_in += st.bytes_in;
	}
	t1 = now();
	while (wait(NULL) > 0)
		;
	printf("mode=%s%.0d jobs=%ld sessions=%lu lines=%lu replies=%lu "
	       "seconds=%.3f lines_per_s=%.1f sessions_per_s=%.2f "
	       "r227=%lu r227_public=%lu r227_private=%lu r229=%lu "
	       "pasv_data=%lu bytes_out=%lu bytes_in=%lu errors=%lu\n",
	       pipeline ? "pipeline" : "lockstep", pipeline, jobs, sum.sessions,
	       sum.lines, sum.replies, t1 - t0, sum.lines / (t1 - t0),
	       sum.sessions / (t1 - t0), sum.r227, sum.r227_public,
	       sum.r227_private, sum.r229, sum.pokes, sum.bytes_out,
	       sum.bytes_in,
	       sum.errors);
	return sum.errors ? 1 : 0;
}

/* Open @count connections and log each in; they stay open. */
static void hold_some(const struct sockaddr_in *dst, long count, long base)
{
	static const char login[] = "USER anonymous\r\nPASS guest@\r\n"
				    "TYPE I\r\n";
	struct stats st = { 0 };
	struct reader *r = calloc(1, sizeof(*r));
	long i;
	int k;

	if (!r)
		die("out of memory");
	for (i = 0; i < count && !stop; i++) {
		unsigned char own[4];

		r->len = r->pos = 0;
		r->fd = dial(dst, own);
		if (r->fd < 0)
			die("connection %ld: %s", base + i + 1, strerror(errno));
		/* greeting, then the login pipelined: one round trip */
		if (!read_reply(r, &st, own, NULL) ||
		    !write_all(r->fd, login, sizeof(login) - 1, &st))
			die("connection %ld: no greeting", base + i + 1);
		for (k = 0; k < 3; k++)
			if (!read_reply(r, &st, own, NULL))
				die("connection %ld: no reply to the login",
				    base + i + 1);
		/* the descriptor stays open, idle */
	}
	free(r);
}

static volatile sig_atomic_t go;

static void on_go(int sig)
{
	(void)sig;
	go = 1;
}

static int cmd_hold(int argc, char **argv)
{
	struct sockaddr_in dst;
	long count, procs = 8, j;
	pid_t pids[8];
	int ready[2], start[2], wait_go;
	char b;

	wait_go = argc == 6 && !strcmp(argv[5], "--wait");
	if (argc != 5 && !wait_go)
		die("usage: hold ADDR PORT COUNT [--wait]");
	dst = parse_dst(argv[2], argv[3]);
	count = atol(argv[4]);
	if (count < 1)
		die("COUNT must be positive");
	if (count < procs)
		procs = count;
	if (raise_nofile((rlim_t)(count / procs + 64)) <
	    (rlim_t)(count / procs + 64))
		die("cannot raise the open file limit to %ld",
		    count / procs + 64);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	if (pipe(ready) || pipe(start))
		die("pipe: %s", strerror(errno));
	/* a few processes, each holding its share, to overlap round trips */
	for (j = 0; j < procs; j++) {
		long n = count / procs + (j < count % procs);

		pids[j] = fork();
		if (pids[j] < 0)
			die("fork: %s", strerror(errno));
		if (!pids[j]) {
			close(ready[0]);
			close(start[1]);
			fdtable_presize(n + 64);
			/* ready, then wait for the parent to close start[1] */
			if (write(ready[1], "r", 1) != 1 ||
			    read(start[0], &b, 1) < 0)
				_exit(3);
			hold_some(&dst, n, j * (count / procs));
			if (write(ready[1], "x", 1) != 1)
				_exit(3);
			while (!stop)
				pause();
			_exit(0);
		}
	}
	close(ready[1]);
	close(start[0]);
	for (j = 0; j < procs; j++)
		if (read(ready[0], &b, 1) != 1)
			die("a holder died");
	if (wait_go) {
		/*
		 * Every process is there with its descriptor table sized:
		 * what the connections cost can be measured from here.
		 */
		sigset_t usr1, old;

		sigemptyset(&usr1);
		sigaddset(&usr1, SIGUSR1);
		sigprocmask(SIG_BLOCK, &usr1, &old);
		signal(SIGUSR1, on_go);
		printf("ready\n");
		fflush(stdout);
		while (!go && !stop)
			sigsuspend(&old);
		sigprocmask(SIG_SETMASK, &old, NULL);
	}
	close(start[1]);
	for (j = 0; j < procs && !stop; j++)
		if (read(ready[0], &b, 1) != 1)
			die("a holder died");
	if (!stop) {
		printf("held %ld\n", count);
		fflush(stdout);
	}
	while (!stop)
		pause();
	for (j = 0; j < procs; j++)
		kill(pids[j], SIGTERM);
	while (wait(NULL) > 0)
		;
	return 0;
}

/* ---- push: both corpora both ways, in big writes ------------------------ */

static char *load_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *b;
	long len;

	if (!f || fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET))
		die("cannot read %s", path);
	b = malloc((size_t)len + 1);
	if (!b || fread(b, 1, (size_t)len, f) != (size_t)len)
		die("cannot read %s", path);
	fclose(f);
	*n = (size_t)len;
	return b;
}

/*
 * Write @n bytes of @buf in @chunk-byte writes while reading whatever
 * comes, until this end has written all (then half-close) and the peer
 * has closed.  Returns 0, or -1 on an error or a stall of IO_TIMEOUT_MS.
 */
static int pump(int fd, const char *buf, size_t n, size_t chunk,
		unsigned long *in, unsigned long *out)
{
	static char rb[65536];
	size_t off = 0;
	int wdone = !n, rdone = 0;

	nonblock(fd);
	if (wdone)
		shutdown(fd, SHUT_WR);
	while (!rdone || !wdone) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (!wdone)
			p.events |= POLLOUT;
		if (poll(&p, 1, IO_TIMEOUT_MS) <= 0)
			return -1;
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			r = read(fd, rb, sizeof(rb));
			if (r > 0)
				*in += (unsigned long)r;
			else if (!r)
				rdone = 1;
			else if (errno != EAGAIN && errno != EINTR)
				return -1;
		}
		if (!wdone && (p.revents & POLLOUT)) {
			size_t k = n - off < chunk ? n - off : chunk;

			r = send(fd, buf + off, k, MSG_NOSIGNAL);
			if (r > 0) {
				off += (size_t)r;
				*out += (unsigned long)r;
			} else if (r < 0 && errno != EAGAIN && errno != EINTR) {
				return -1;
			}
			if (off == n) {
				shutdown(fd, SHUT_WR);
				wdone = 1;
			}
		}
	}
	return 0;
}

static int cmd_push_server(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct sigaction sa_stop;
	size_t n, chunk;
	char *buf;
	int one = 1, lfd;

	if (argc != 4 && (argc != 6 || strcmp(argv[4], "--chunk")))
		die("usage: push-server PORT SERVER.txt [--chunk N]");
	buf = load_file(argv[3], &n);
	chunk = argc == 6 ? (size_t)atol(argv[5]) : 1400;
	if (!chunk)
		die("--chunk must be positive");
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_IGN);	/* no zombies */
	/*
	 * Without SA_RESTART (signal() sets it): SIGTERM must interrupt the
	 * blocking accept() below, or the server never stops.
	 */
	sigemptyset(&sa_stop.sa_mask);
	sa_stop.sa_handler = on_signal;
	sa_stop.sa_flags = 0;
	sigaction(SIGTERM, &sa_stop, NULL);
	sigaction(SIGINT, &sa_stop, NULL);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_port = htons((unsigned short)atoi(argv[2]));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 256))
		die("cannot listen on port %s: %s", argv[2], strerror(errno));
	printf("listening on port %s, pushing %zu bytes a connection\n",
	       argv[2], n);
	fflush(stdout);
	while (!stop) {
		int fd = accept(lfd, NULL, NULL);
		unsigned long in = 0, out = 0;

		if (fd < 0)
			continue;
		if (!fork()) {
			close(lfd);
			nodelay(fd);
			_exit(pump(fd, buf, n, chunk, &in, &out) ? 1 : 0);
		}
		close(fd);
	}
	return 0;
}

static int cmd_push(int argc, char **argv)
{
	struct sockaddr_in dst;
	long jobs = 4, conns = 40, j, k;
	unsigned long tot[3] = { 0 };
	size_t n, chunk;
	int res[2], i;
	double t0, t1;
	char *buf;

	if (argc < 5)
		die("usage: push ADDR PORT CLIENT.txt [--jobs N] [--conns N] [--chunk N]");
	dst = parse_dst(argv[2], argv[3]);
	buf = load_file(argv[4], &n);
	chunk = 1400;
	for (i = 5; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--jobs"))
			jobs = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--conns"))
			conns = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--chunk"))
			chunk = (size_t)atol(argv[i + 1]);
		else
			die("unknown option %s", argv[i]);
	}
	if (jobs < 1 || conns < 1 || !chunk)
		die("--jobs, --conns and --chunk must be positive");
	if (jobs > conns)
		jobs = conns;
	signal(SIGPIPE, SIG_IGN);
	if (pipe(res))
		die("pipe: %s", strerror(errno));
	t0 = now();
	for (j = 0; j < jobs; j++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork: %s", strerror(errno));
		if (!pid) {
			/* in, out, errors */
			unsigned long r[3] = { 0 };
			long mine = conns / jobs + (j < conns % jobs);

			close(res[0]);
			for (k = 0; k < mine; k++) {
				unsigned char own[4];
				int fd = dial(&dst, own);

				if (fd < 0 || pump(fd, buf, n, chunk, &r[0], &r[1]))
					r[2]++;
				if (fd >= 0)
					close(fd);
			}
			if (write(res[1], r, sizeof(r)) != sizeof(r))
				_exit(3);
			_exit(0);
		}
	}
	close(res[1]);
	for (j = 0; j < jobs; j++) {
		unsigned long r[3];

		if (read(res[0], r, sizeof(r)) != sizeof(r))
			die("a pushing process died");
		for (i = 0; i < 3; i++)
			tot[i] += r[i];
	}
	while (wait(NULL) > 0)
		;
	t1 = now();
	printf("mode=push jobs=%ld conns=%ld chunk=%zu bytes_in=%lu bytes_out=%lu seconds=%.3f mb_per_s=%.2f errors=%lu\n",
	       jobs, conns, chunk, tot[0], tot[1], t1 - t0,
	       (double)(tot[0] + tot[1]) / 1e6 / (t1 - t0), tot[2]);
	return tot[2] ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "server"))
		return cmd_server(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "replay"))
		return cmd_replay(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "hold"))
		return cmd_hold(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "push-server"))
		return cmd_push_server(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "push"))
		return cmd_push(argc, argv);
	fprintf(stderr, "usage: bench_ftp server|replay|hold|push-server|push ...\n");
	return 2;
}
