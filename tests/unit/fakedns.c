/* The unit tests' DNS server: one UDP socket on 127.0.0.1, one thread. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fakedns.h"

#define T_A 1
#define T_CNAME 5
#define T_MX 15
#define T_TXT 16
#define T_AAAA 28
#define T_PTR 12
#define KIND_RR 0
#define KIND_TIMEOUT 1
#define KIND_SERVFAIL 2

struct frr {
	char name[256];
	int kind;
	int type;
	unsigned char rdata[4096];
	size_t rdlen;
	int except[8]; /* for timeouts: types still answered */
};

struct fakedns {
	int fd;
	int port;
	char server[32];
	pthread_t thread;
	atomic_int stop;
	atomic_uint queries;
	pthread_mutex_t lock;
	struct frr *rrs;
	size_t nrrs;
};

static int name_eq(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

static int add(struct fakedns *d, const char *name, int kind, int type, const void *rdata,
	       size_t rdlen)
{
	struct frr *n, *r;

	if (strlen(name) >= sizeof(r->name) || rdlen > sizeof(r->rdata))
		return -1;
	pthread_mutex_lock(&d->lock);
	n = realloc(d->rrs, (d->nrrs + 1) * sizeof(*n));
	if (n == NULL) {
		pthread_mutex_unlock(&d->lock);
		return -1;
	}
	d->rrs = n;
	r = &d->rrs[d->nrrs++];
	memset(r, 0, sizeof(*r));
	memcpy(r->name, name, strlen(name) + 1);
	r->kind = kind;
	r->type = type;
	if (rdlen > 0)
		memcpy(r->rdata, rdata, rdlen);
	r->rdlen = rdlen;
	pthread_mutex_unlock(&d->lock);
	return 0;
}

/* Wire-format name; returns its length or 0 if it does not fit. */
static size_t put_name(unsigned char *out, size_t cap, const char *name)
{
	size_t o = 0;

	for (const char *p = name; *p;) {
		size_t n = strcspn(p, ".");

		if (n == 0 || n > 63 || o + n + 2 > cap)
			return 0;
		out[o++] = (unsigned char)n;
		memcpy(out + o, p, n);
		o += n;
		p += n;
		if (*p == '.')
			p++;
	}
	if (o + 1 > cap)
		return 0;
	out[o++] = 0;
	return o;
}

int fakedns_add_a(struct fakedns *d, const char *name, const char *ip)
{
	unsigned char a[4];

	return inet_pton(AF_INET, ip, a) == 1 ? add(d, name, KIND_RR, T_A, a, 4) : -1;
}

int fakedns_add_aaaa(struct fakedns *d, const char *name, const char *ip)
{
	unsigned char a[16];

	return inet_pton(AF_INET6, ip, a) == 1 ? add(d, name, KIND_RR, T_AAAA, a, 16) : -1;
}

int fakedns_add_mx(struct fakedns *d, const char *name, unsigned pref, const char *exchange)
{
	unsigned char rd[300];
	size_t n;

	rd[0] = (unsigned char)(pref >> 8);
	rd[1] = (unsigned char)pref;
	if (exchange[0] == '\0' || strcmp(exchange, ".") == 0) {
		rd[2] = 0;
		n = 1;
	} else if ((n = put_name(rd + 2, sizeof(rd) - 2, exchange)) == 0) {
		return -1;
	}
	return add(d, name, KIND_RR, T_MX, rd, n + 2);
}

int fakedns_add_txt(struct fakedns *d, const char *name, int type, const char *const *strings,
		    const size_t *lens, size_t nstrings)
{
	unsigned char rd[4096];
	size_t o = 0;

	for (size_t i = 0; i < nstrings; i++) {
		if (lens[i] > 255 || o + 1 + lens[i] > sizeof(rd))
			return -1;
		rd[o++] = (unsigned char)lens[i];
		memcpy(rd + o, strings[i], lens[i]);
		o += lens[i];
	}
	return add(d, name, KIND_RR, type, rd, o);
}

int fakedns_add_txt_text(struct fakedns *d, const char *name, const char *text)
{
	const char *strs[16];
	size_t lens[16], n = 0, len = strlen(text);

	for (size_t off = 0; off < len || n == 0; off += 255, n++) {
		if (n == 16)
			return -1;
		strs[n] = text + off;
		lens[n] = len - off < 255 ? len - off : 255;
	}
	return fakedns_add_txt(d, name, 16, strs, lens, n);
}

static int add_target(struct fakedns *d, const char *name, int type, const char *target)
{
	unsigned char rd[300];
	size_t n = put_name(rd, sizeof(rd), target);

	return n == 0 ? -1 : add(d, name, KIND_RR, type, rd, n);
}

int fakedns_add_ptr(struct fakedns *d, const char *name, const char *target)
{
	return add_target(d, name, T_PTR, target);
}

int fakedns_add_cname(struct fakedns *d, const char *name, const char *target)
{
	return add_target(d, name, T_CNAME, target);
}

int fakedns_add_timeout(struct fakedns *d, const char *name, const int *except)
{
	if (add(d, name, KIND_TIMEOUT, 0, NULL, 0) < 0)
		return -1;
	pthread_mutex_lock(&d->lock);
	for (size_t i = 0; except != NULL && except[i] != 0 && i < 7; i++)
		d->rrs[d->nrrs - 1].except[i] = except[i];
	pthread_mutex_unlock(&d->lock);
	return 0;
}

int fakedns_add_servfail(struct fakedns *d, const char *name)
{
	return add(d, name, KIND_SERVFAIL, 0, NULL, 0);
}

void fakedns_clear(struct fakedns *d)
{
	pthread_mutex_lock(&d->lock);
	free(d->rrs);
	d->rrs = NULL;
	d->nrrs = 0;
	pthread_mutex_unlock(&d->lock);
}

unsigned fakedns_queries(const struct fakedns *d)
{
	return atomic_load(&d->queries);
}

const char *fakedns_server(const struct fakedns *d)
{
	return d->server;
}

/* Reads the question: name into out (lowercase dots), type; returns the
 * offset after the question or 0. */
static size_t read_question(const unsigned char *q, size_t len, char *out, int *type)
{
	size_t i = 12, o = 0;

	for (;;) {
		if (i >= len)
			return 0;
		unsigned n = q[i++];
		if (n == 0)
			break;
		if (n > 63 || i + n > len || o + n + 2 > 256)
			return 0;
		if (o > 0)
			out[o++] = '.';
		memcpy(out + o, q + i, n);
		o += n;
		i += n;
	}
	out[o] = '\0';
	if (i + 4 > len)
		return 0;
	*type = (q[i] << 8) | q[i + 1];
	return i + 4;
}

static size_t put_rr(unsigned char *out, size_t o, size_t cap, const unsigned char *owner,
		     size_t ownlen, const struct frr *r)
{
	if (o + ownlen + 10 + r->rdlen > cap)
		return o;
	memcpy(out + o, owner, ownlen);
	o += ownlen;
	out[o++] = (unsigned char)(r->type >> 8);
	out[o++] = (unsigned char)r->type;
	out[o++] = 0;
	out[o++] = 1; /* IN */
	out[o++] = 0;
	out[o++] = 0;
	out[o++] = 0;
	out[o++] = 60; /* TTL */
	out[o++] = (unsigned char)(r->rdlen >> 8);
	out[o++] = (unsigned char)r->rdlen;
	memcpy(out + o, r->rdata, r->rdlen);
	return o + r->rdlen;
}

static int excepted(const struct frr *r, int type)
{
	for (int i = 0; i < 8 && r->except[i] != 0; i++)
		if (r->except[i] == type)
			return 1;
	return 0;
}

/* Builds the answer; 0 means "do not answer". */
static size_t answer(struct fakedns *d, const unsigned char *q, size_t qlen, unsigned char *out,
		     size_t cap)
{
	char name[256], target[256] = "";
	int type, exists = 0, rcode = 0;
	size_t end = read_question(q, qlen, name, &type), o, count = 0;
	static const unsigned char ptr[2] = {0xc0, 0x0c};

	if (end == 0 || end > cap)
		return 0;
	memcpy(out, q, end);
	out[2] = (unsigned char)(0x84 | (q[2] & 0x01)); /* QR, AA, RD as asked */
	out[3] = 0x80;					/* RA */
	o = end;
	for (size_t i = 0; i < d->nrrs; i++) {
		const struct frr *r = &d->rrs[i];

		if (!name_eq(r->name, name))
			continue;
		if (r->kind == KIND_TIMEOUT && !excepted(r, type))
			return 0;
		if (r->kind == KIND_TIMEOUT)
			exists = 1;
		if (r->kind == KIND_SERVFAIL)
			rcode = 2;
		if (r->kind != KIND_RR)
			continue;
		exists = 1;
		if (r->type == type || (r->type == T_CNAME && type != T_CNAME)) {
			o = put_rr(out, o, cap, ptr, 2, r);
			count++;
			if (r->type == T_CNAME) {
				size_t off = 0;
				for (size_t k = 0; k < r->rdlen && r->rdata[k] != 0;
				     k += r->rdata[k] + 1)
					off += (size_t)snprintf(target + off, sizeof(target) - off,
								"%s%.*s", off ? "." : "",
								r->rdata[k],
								(const char *)r->rdata + k + 1);
			}
		}
	}
	/* a CNAME is followed one level, with the target's name spelled out */
	for (size_t i = 0; target[0] != '\0' && i < d->nrrs; i++) {
		unsigned char owner[256];
		size_t ownlen = put_name(owner, sizeof(owner), target);

		if (ownlen > 0 && d->rrs[i].kind == KIND_RR && d->rrs[i].type == type &&
		    name_eq(d->rrs[i].name, target)) {
			o = put_rr(out, o, cap, owner, ownlen, &d->rrs[i]);
			count++;
		}
	}
	if (!exists && rcode == 0)
		rcode = 3; /* NXDOMAIN */
	out[3] |= (unsigned char)rcode;
	out[6] = (unsigned char)(count >> 8);
	out[7] = (unsigned char)count;
	memset(out + 8, 0, 4);
	return o;
}

static void *serve(void *arg)
{
	struct fakedns *d = arg;
	unsigned char q[4096], out[65535];

	while (!atomic_load(&d->stop)) {
		struct pollfd pfd = {.fd = d->fd, .events = POLLIN};
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n;
		size_t len;

		if (poll(&pfd, 1, 50) <= 0)
			continue;
		n = recvfrom(d->fd, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
		if (n < 12)
			continue;
		atomic_fetch_add(&d->queries, 1);
		pthread_mutex_lock(&d->lock);
		len = answer(d, q, (size_t)n, out, sizeof(out));
		pthread_mutex_unlock(&d->lock);
		if (len > 0)
			sendto(d->fd, out, len, 0, (struct sockaddr *)&from, fl);
	}
	return NULL;
}

struct fakedns *fakedns_start(void)
{
	struct fakedns *d = calloc(1, sizeof(*d));
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);

	if (d == NULL)
		return NULL;
	pthread_mutex_init(&d->lock, NULL);
	d->fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (d->fd < 0 || bind(d->fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    getsockname(d->fd, (struct sockaddr *)&sin, &sl) != 0) {
		if (d->fd >= 0)
			close(d->fd);
		free(d);
		return NULL;
	}
	d->port = ntohs(sin.sin_port);
	snprintf(d->server, sizeof(d->server), "127.0.0.1@%d", d->port);
	if (pthread_create(&d->thread, NULL, serve, d) != 0) {
		close(d->fd);
		free(d);
		return NULL;
	}
	return d;
}

void fakedns_stop(struct fakedns **d)
{
	if (*d == NULL)
		return;
	atomic_store(&(*d)->stop, 1);
	pthread_join((*d)->thread, NULL);
	close((*d)->fd);
	free((*d)->rrs);
	pthread_mutex_destroy(&(*d)->lock);
	free(*d);
	*d = NULL;
}
