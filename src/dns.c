/* DNS through libunbound's asynchronous API, with our own deadlines.
 *
 * libunbound retries and backs off on its own for much longer than a
 * milter may wait, so each query runs asynchronously and is cancelled at
 * min(per-query timeout, the message's budget). Several connection
 * threads share one context (and its cache): whichever thread calls
 * ub_process() delivers every finished query's callback, so each waiter
 * polls in short slices and looks at its own query's state. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unbound.h>

#include "mailsift/dns.h"

#define DNS_POLL_SLICE_MS 20

struct dns_resolver {
	struct ub_ctx *ctx; /* owned */
	unsigned timeout_ms;
};

/* A query in flight. Shared between the waiter and the callback, which
 * may run in another thread: the mutex decides who frees it. */
struct pending {
	pthread_mutex_t lock;
	atomic_int done;
	int abandoned; /* the waiter gave up: the callback frees everything */
	int err;
	struct ub_result *result;
};

static const char *const status_names[] = {
	[DNS_OK] = "ok",	 [DNS_NXDOMAIN] = "nxdomain", [DNS_NODATA] = "nodata",
	[DNS_TEMP] = "tempfail", [DNS_BUDGET] = "budget",     [DNS_BADNAME] = "badname",
};

const char *dns_status_name(enum dns_status st)
{
	return (unsigned)st <= DNS_BADNAME ? status_names[st] : "?";
}

/* One "IP[@PORT]" server; -1 if malformed. */
static int server_valid(const char *s, size_t n)
{
	char ip[INET6_ADDRSTRLEN + 8];
	unsigned char buf[16];
	const char *at = memchr(s, '@', n);
	size_t iplen = at != NULL ? (size_t)(at - s) : n;

	if (iplen == 0 || iplen >= sizeof(ip))
		return -1;
	memcpy(ip, s, iplen);
	ip[iplen] = '\0';
	if (inet_pton(AF_INET, ip, buf) != 1 && inet_pton(AF_INET6, ip, buf) != 1)
		return -1;
	if (at != NULL) {
		char *end;
		unsigned long port = strtoul(at + 1, &end, 10);

		if (end != s + n || port == 0 || port > 65535 || at + 1 == end)
			return -1;
	}
	return 0;
}

/* Calls fn for each server of a list; -1 at the first bad one. */
static int each_server(const char *servers, int (*fn)(void *ctx, const char *srv), void *ctx)
{
	char srv[INET6_ADDRSTRLEN + 8];

	for (const char *p = servers; *p;) {
		size_t n = strcspn(p, ", \t");

		if (n > 0) {
			if (n >= sizeof(srv) || server_valid(p, n) < 0)
				return -1;
			memcpy(srv, p, n);
			srv[n] = '\0';
			if (fn != NULL && fn(ctx, srv) < 0)
				return -1;
		}
		p += n;
		p += strspn(p, ", \t");
	}
	return 0;
}

int dns_servers_valid(const char *servers, const char **error_r)
{
	if (each_server(servers, NULL, NULL) < 0) {
		*error_r = "expected IP addresses with optional @PORT, e.g. 127.0.0.1@5353 ::1";
		return -1;
	}
	return 0;
}

static int add_forwarder(void *ctx, const char *srv)
{
	return ub_ctx_set_fwd(ctx, srv) == 0 ? 0 : -1;
}

static int set_options(struct ub_ctx *ctx, const struct dns_options *opts)
{
	char size[32];

	snprintf(size, sizeof(size), "%zu", opts->cache ? opts->cache_size : 0);
	/* test and local resolvers live on loopback; and the resolvers we
	 * forward to decide about "test." (RFC 6761), which test setups use */
	if (ub_ctx_set_option(ctx, "do-not-query-localhost:", "no") != 0 ||
	    ub_ctx_set_option(ctx, "local-zone:", "test. transparent") != 0 ||
	    /* answers in the order the server gave: SPF's "first 10 names" */
	    ub_ctx_set_option(ctx, "rrset-roundrobin:", "no") != 0 ||
	    ub_ctx_set_option(ctx, "msg-cache-size:", size) != 0 ||
	    ub_ctx_set_option(ctx, "rrset-cache-size:", size) != 0)
		return -1;
	if (!opts->cache && ub_ctx_set_option(ctx, "cache-max-ttl:", "0") != 0)
		return -1;
	return ub_ctx_async(ctx, 1) == 0 ? 0 : -1;
}

struct dns_resolver *dns_resolver_new(const struct dns_options *opts, const char **error_r)
{
	struct dns_resolver *r = calloc(1, sizeof(*r));

	if (r == NULL || (r->ctx = ub_ctx_create()) == NULL) {
		*error_r = "cannot create a resolver";
		free(r);
		return NULL;
	}
	r->timeout_ms = opts->timeout_ms;
	if (set_options(r->ctx, opts) < 0) {
		*error_r = "cannot configure the resolver";
		dns_resolver_free(&r);
		return NULL;
	}
	if (opts->servers != NULL && opts->servers[0] != '\0') {
		if (each_server(opts->servers, add_forwarder, r->ctx) < 0) {
			*error_r = "bad DNS server";
			dns_resolver_free(&r);
			return NULL;
		}
	} else if (ub_ctx_resolvconf(r->ctx, NULL) != 0) {
		*error_r = "cannot read /etc/resolv.conf";
		dns_resolver_free(&r);
		return NULL;
	}
	return r;
}

void dns_resolver_free(struct dns_resolver **r)
{
	if (*r == NULL)
		return;
	if ((*r)->ctx != NULL)
		ub_ctx_delete((*r)->ctx);
	free(*r);
	*r = NULL;
}

static void now_plus(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static long ms_until(const struct timespec *ts)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(ts->tv_sec - now.tv_sec) * 1000 + (ts->tv_nsec - now.tv_nsec) / 1000000L;
}

void dns_budget_start(struct dns_budget *b, unsigned budget_ms)
{
	now_plus(&b->deadline, budget_ms);
	b->queries = 0;
}

static void pending_free(struct pending *p)
{
	if (p->result != NULL)
		ub_resolve_free(p->result);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static void on_result(void *arg, int err, struct ub_result *result)
{
	struct pending *p = arg;
	int abandoned;

	pthread_mutex_lock(&p->lock);
	p->err = err;
	p->result = result;
	abandoned = p->abandoned;
	atomic_store(&p->done, 1);
	pthread_mutex_unlock(&p->lock);
	if (abandoned)
		pending_free(p);
}

/* Gives up on a query: whoever comes last frees it. */
static void abandon(struct dns_resolver *r, struct pending *p, int id)
{
	int done;

	pthread_mutex_lock(&p->lock);
	done = atomic_load(&p->done);
	p->abandoned = 1;
	pthread_mutex_unlock(&p->lock);
	if (done || ub_cancel(r->ctx, id) == 0)
		pending_free(p);
	/* else the callback is being delivered right now and frees it */
}

static void wait_for(struct dns_resolver *r, struct pending *p, long limit_ms)
{
	struct timespec end;

	now_plus(&end, (unsigned)limit_ms);
	while (!atomic_load(&p->done)) {
		long left = ms_until(&end);
		struct pollfd pfd = {.fd = ub_fd(r->ctx), .events = POLLIN};

		if (left <= 0)
			break;
		if (poll(&pfd, 1, left < DNS_POLL_SLICE_MS ? (int)left : DNS_POLL_SLICE_MS) < 0 &&
		    errno != EINTR)
			break;
		ub_process(r->ctx);
	}
}

static enum dns_status classify(const struct ub_result *res)
{
	if (res->nxdomain)
		return DNS_NXDOMAIN;
	if (res->rcode != 0)
		return DNS_TEMP; /* SERVFAIL, REFUSED, ... */
	return res->havedata ? DNS_OK : DNS_NODATA;
}

static int name_valid(const char *name)
{
	size_t len = strlen(name), label = 0;

	if (len == 0 || len > 253)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (name[i] == '.') {
			if (label == 0 && i + 1 != len)
				return 0;
			label = 0;
		} else if (++label > 63 || (unsigned char)name[i] <= ' ') {
			return 0;
		}
	}
	return 1;
}

/* One query; on DNS_OK, NXDOMAIN and NODATA *res gets the library's
 * result (the caller frees it). */
static enum dns_status run_query(struct dns_resolver *r, struct dns_budget *b, const char *name,
				 int type, struct ub_result **res)
{
	struct pending *p;
	long limit = r->timeout_ms;
	int id = 0, budget_bound = 0;
	enum dns_status st;

	*res = NULL;
	if (!name_valid(name))
		return DNS_BADNAME;
	if (b != NULL) {
		long left = ms_until(&b->deadline);
		if (left <= 0)
			return DNS_BUDGET;
		if (left < limit) {
			limit = left;
			budget_bound = 1;
		}
		b->queries++;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return DNS_TEMP;
	pthread_mutex_init(&p->lock, NULL);
	if (ub_resolve_async(r->ctx, name, type, 1, p, on_result, &id) != 0) {
		pending_free(p);
		return DNS_TEMP;
	}
	wait_for(r, p, limit);
	if (!atomic_load(&p->done)) {
		abandon(r, p, id);
		return budget_bound ? DNS_BUDGET : DNS_TEMP;
	}
	if (p->err != 0 || p->result == NULL) {
		pending_free(p);
		return DNS_TEMP;
	}
	st = classify(p->result);
	if (st != DNS_TEMP) {
		*res = p->result;
		p->result = NULL;
	}
	pending_free(p);
	return st;
}

enum dns_status dns_query(struct dns_resolver *r, struct dns_budget *b, const char *name, int type,
			  struct dns_answer *out)
{
	struct ub_result *res;

	memset(out, 0, sizeof(*out));
	out->status = run_query(r, b, name, type, &res);
	if (res == NULL)
		return out->status;
	out->rcode = res->rcode;
	if (out->status != DNS_OK) {
		ub_resolve_free(res);
		return out->status;
	}
	for (char **d = res->data; *d != NULL; d++)
		out->count++;
	out->data = (const unsigned char *const *)res->data;
	out->len = res->len;
	out->owner = res;
	return out->status;
}

enum dns_status dns_query_packet(struct dns_resolver *r, struct dns_budget *b, const char *name,
				 int type, unsigned char *buf, size_t cap, size_t *len)
{
	struct ub_result *res;
	enum dns_status st = run_query(r, b, name, type, &res);

	*len = 0;
	if (res == NULL)
		return st;
	if (res->answer_packet != NULL && res->answer_len > 0 && (size_t)res->answer_len <= cap) {
		memcpy(buf, res->answer_packet, (size_t)res->answer_len);
		*len = (size_t)res->answer_len;
	} else {
		st = DNS_TEMP; /* no usable reply to hand over */
	}
	ub_resolve_free(res);
	return st;
}

void dns_answer_free(struct dns_answer *a)
{
	if (a->owner != NULL)
		ub_resolve_free(a->owner);
	memset(a, 0, sizeof(*a));
}

int dns_txt_join(const unsigned char *rdata, size_t len, char *out, size_t cap)
{
	size_t n = 0;

	for (size_t off = 0; off < len; off += 1 + rdata[off]) {
		size_t slen = rdata[off];

		if (off + 1 + slen > len || n + slen >= cap)
			return -1;
		memcpy(out + n, rdata + off + 1, slen);
		n += slen;
	}
	if (cap == 0)
		return -1;
	out[n] = '\0';
	return 0;
}

int dns_wire_name(const unsigned char *data, size_t len, size_t *off, char *out)
{
	size_t o = 0, i = *off;

	for (;;) {
		if (i >= len)
			return -1;
		unsigned n = data[i++];
		if (n == 0)
			break;
		if (n > 63 || i + n > len || o + n + 2 > DNS_NAME_MAX)
			return -1; /* compression pointers never appear in RDATA here */
		if (o > 0)
			out[o++] = '.';
		memcpy(out + o, data + i, n);
		o += n;
		i += n;
	}
	out[o] = '\0';
	*off = i;
	return 0;
}
