/*
 * milterload - load generator for milter filters, playing the MTA side.
 *
 * usage: milterload -s SOCKET -d MSGDIR [-c CONCURRENCY] [-n MESSAGES]
 *                   [-r RCPTS_PER_MSG] [-m MSGS_PER_CONNECTION] [--nodelay]
 *
 * Plain C11 + POSIX + pthreads; no other dependency.
 */
#include "milterload.h"

#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

static const char *const stage_names[S_N] = {"connect", "helo", "mail", "rcpt", "data",
					     "header",	"eoh",	"body", "eom"};
static const char *const verdict_names[V_N] = {"continue", "accept",   "reject",
					       "tempfail", "discard",  "replycode",
					       "skip",	   "connfail", "shutdown"};
static const char *const mod_names[M_N] = {"addheader",	 "insheader", "chgheader",
					   "quarantine", "chgfrom",   "addrcpt",
					   "delrcpt",	 "replbody",  "progress"};
static const char *const err_names[E_N] = {"none", "connect", "io", "timeout", "protocol"};

struct config cfg = {NULL, NULL, 1, 2, 1, 1000, 0, {0}, 0, NULL, 0};

static atomic_ulong next_msg;

static void record(struct stats *st, enum verdict v, double secs)
{
	if (st->nlat == st->caplat) {
		size_t nc = st->caplat ? st->caplat * 2 : 1024;
		double *np = realloc(st->lat, nc * sizeof *np);

		if (np == NULL) {
			st->err[E_IO]++;
			return;
		}
		st->lat = np;
		st->caplat = nc;
	}
	st->lat[st->nlat++] = secs * 1000.0;
	st->final[v]++;
	st->msgs++;
}

static void *worker(void *arg)
{
	struct stats *st = arg;
	struct conn *c = conn_new(st);

	if (c == NULL) {
		st->err[E_IO]++;
		return NULL;
	}
	for (;;) {
		unsigned long idx = atomic_fetch_add(&next_msg, 1);
		enum verdict v;
		double secs;
		enum err e;

		if (idx >= cfg.total)
			break;
		if ((e = conn_message(c, idx, &v, &secs)) != E_NONE)
			st->err[e]++;
		else
			record(st, v, secs);
	}
	conn_free(c);
	return NULL;
}

static int parse_spec(const char *spec)
{
	struct addrinfo hints, *res;
	char port[16], host[256];
	const char *p, *at;
	size_t plen;
	int fam;

	if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0 || spec[0] == '/') {
		struct sockaddr_un *un = (struct sockaddr_un *)&cfg.addr;

		p = spec[0] == '/' ? spec : strchr(spec, ':') + 1;
		if (strlen(p) == 0 || strlen(p) >= sizeof un->sun_path)
			return -1;
		un->sun_family = AF_UNIX;
		memcpy(un->sun_path, p, strlen(p) + 1);
		cfg.addrlen = sizeof *un;
		return 0;
	}
	if (strncmp(spec, "inet:", 5) == 0)
		fam = AF_INET, p = spec + 5;
	else if (strncmp(spec, "inet6:", 6) == 0)
		fam = AF_INET6, p = spec + 6;
	else
		return -1;
	at = strchr(p, '@');
	plen = at ? (size_t)(at - p) : strlen(p);
	if (plen == 0 || plen >= sizeof port)
		return -1;
	snprintf(port, sizeof port, "%.*s", (int)plen, p);
	snprintf(host, sizeof host, "%s", at ? at + 1 : fam == AF_INET ? "127.0.0.1" : "::1");
	memset(&hints, 0, sizeof hints);
	hints.ai_family = fam;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	memcpy(&cfg.addr, res->ai_addr, res->ai_addrlen);
	cfg.addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double pct(const double *v, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0.0;
	i = (size_t)(p * (double)n + 0.999999);
	return v[i > 0 ? (i > n ? n - 1 : i - 1) : 0];
}

static void merge(struct stats *all, const struct stats *s)
{
	int i, j;

	for (i = 0; i < S_N; i++)
		for (j = 0; j < V_N; j++)
			all->verdict[i][j] += s->verdict[i][j];
	for (j = 0; j < V_N; j++)
		all->final[j] += s->final[j];
	for (j = 0; j < M_N; j++)
		all->mods[j] += s->mods[j];
	for (j = 0; j < E_N; j++)
		all->err[j] += s->err[j];
	all->msgs += s->msgs;
	if (s->nlat > 0 && all->lat != NULL) {
		memcpy(all->lat + all->nlat, s->lat, s->nlat * sizeof *s->lat);
		all->nlat += s->nlat;
	}
}

static void print_counts(const char *label, const uint64_t *v, int n, const char *const *names)
{
	int i, any = 0;

	printf("%-16s", label);
	for (i = 0; i < n; i++)
		if (v[i] != 0) {
			printf(" %s=%llu", names[i], (unsigned long long)v[i]);
			any = 1;
		}
	printf("%s\n", any ? "" : " -");
}

static uint64_t report(struct stats *all, double secs)
{
	uint64_t errs = 0;
	double rate = secs > 0 ? (double)all->msgs / secs : 0.0;
	double p50, p99, mx;
	int i;

	qsort(all->lat, all->nlat, sizeof *all->lat, cmp_dbl);
	p50 = pct(all->lat, all->nlat, 0.50);
	p99 = pct(all->lat, all->nlat, 0.99);
	mx = all->nlat ? all->lat[all->nlat - 1] : 0.0;
	for (i = 1; i < E_N; i++)
		errs += all->err[i];
	printf("messages sent:   %llu\n", (unsigned long long)all->msgs);
	printf("elapsed:         %.3f s\n", secs);
	printf("rate:            %.1f msgs/s\n", rate);
	printf("latency (ms):    p50 %.2f  p99 %.2f  max %.2f\n", p50, p99, mx);
	print_counts("final verdicts:", all->final, V_N, verdict_names);
	printf("replies by stage (- : not sent, or sent without reply):\n");
	for (i = 0; i < S_N; i++) {
		char label[32];

		snprintf(label, sizeof label, "  %s:", stage_names[i]);
		print_counts(label, all->verdict[i], V_N, verdict_names);
	}
	print_counts("modifications:", all->mods, M_N, mod_names);
	printf("errors:          %llu (", (unsigned long long)errs);
	for (i = 1; i < E_N; i++)
		printf("%s%s=%llu", i > 1 ? " " : "", err_names[i],
		       (unsigned long long)all->err[i]);
	printf(")\n");
	printf("RESULT msgs=%llu secs=%.3f rate=%.1f p50_ms=%.2f p99_ms=%.2f "
	       "errors=%llu\n",
	       (unsigned long long)all->msgs, secs, rate, p50, p99, (unsigned long long)errs);
	return errs;
}

static void usage(void)
{
	fputs("usage: milterload -s SOCKET -d MSGDIR [-c CONCURRENCY] "
	      "[-n MESSAGES]\n"
	      "                  [-r RCPTS_PER_MSG] [-m MSGS_PER_CONNECTION] "
	      "[--nodelay]\n"
	      "  SOCKET: inet:PORT@HOST | inet6:PORT@HOST | unix:/path\n",
	      stderr);
	exit(2);
}

static unsigned long num_arg(const char *s, unsigned long lo, unsigned long hi)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi || s[0] == '-')
		usage();
	return v;
}

static void parse_args(int argc, char **argv)
{
	static const struct option lo[] = {{"nodelay", no_argument, NULL, 'N'},
					   {"help", no_argument, NULL, 'h'},
					   {NULL, 0, NULL, 0}};
	int ch;

	while ((ch = getopt_long(argc, argv, "s:d:c:n:r:m:h", lo, NULL)) != -1) {
		switch (ch) {
		case 's': cfg.sock = optarg; break;
		case 'd': cfg.dir = optarg; break;
		case 'c': cfg.conc = (unsigned)num_arg(optarg, 1, 1024); break;
		case 'n': cfg.total = num_arg(optarg, 1, 10000000); break;
		case 'r': cfg.rcpts = (unsigned)num_arg(optarg, 1, 1000); break;
		case 'm': cfg.per_conn = (unsigned)num_arg(optarg, 1, 10000000); break;
		case 'N': cfg.nodelay = 1; break;
		default: usage();
		}
	}
	if (optind != argc || cfg.sock == NULL || cfg.dir == NULL)
		usage();
}

int main(int argc, char **argv)
{
	struct stats *st, all;
	pthread_t *th;
	double t0, secs;
	unsigned i, started = 0;
	int rc;
	struct msg *msgs;
	size_t nmsgs;

	parse_args(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	if (parse_spec(cfg.sock) < 0) {
		fprintf(stderr, "milterload: bad or unresolvable socket: %s\n", cfg.sock);
		return 2;
	}
	if (load_messages(cfg.dir, &msgs, &nmsgs) < 0 || nmsgs == 0) {
		fprintf(stderr, "milterload: no messages loaded from %s\n", cfg.dir);
		return 2;
	}
	cfg.msgs = msgs;
	cfg.nmsgs = nmsgs;
	printf("milterload: %s, %zu message files, %u connections, %lu messages, "
	       "%u rcpt/msg, %u msg/conn, TCP_NODELAY %s\n",
	       cfg.sock, cfg.nmsgs, cfg.conc, cfg.total, cfg.rcpts, cfg.per_conn,
	       cfg.nodelay ? "on" : "off");
	fflush(stdout);
	st = calloc(cfg.conc, sizeof *st);
	th = calloc(cfg.conc, sizeof *th);
	memset(&all, 0, sizeof all);
	all.lat = calloc(cfg.total, sizeof *all.lat);
	if (st == NULL || th == NULL || all.lat == NULL) {
		fputs("milterload: out of memory\n", stderr);
		return 2;
	}
	t0 = now_sec();
	for (i = 0; i < cfg.conc; i++, started++)
		if (pthread_create(&th[i], NULL, worker, &st[i]) != 0)
			break;
	if (started == 0) {
		fputs("milterload: cannot start threads\n", stderr);
		return 2;
	}
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	secs = now_sec() - t0;
	for (i = 0; i < cfg.conc; i++) {
		merge(&all, &st[i]);
		free(st[i].lat);
	}
	free_messages(msgs, nmsgs);
	rc = (report(&all, secs) != 0 || all.msgs == 0) ? 1 : 0;
	free(all.lat);
	free(st);
	free(th);
	return rc;
}
