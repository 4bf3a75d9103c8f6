/* libopendkim behind our resolver.
 *
 * libopendkim's DNS hooks belong to the library handle, not to a message,
 * and it asks for keys synchronously inside dkim_eom(): the message's DNS
 * budget reaches the hook through a thread-local set around that call. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <opendkim/dkim.h>

#include "mailsift/dkimverify.h"

#define DKIM_HEADER_MAX (64 * 1024)
#define DKIM_BODY_CHUNK 8192

struct dkimverify {
	DKIM_LIB *lib;		       /* owned */
	struct dns_resolver *resolver; /* the snapshot's */
};

struct dkimverify_msg {
	struct dkimverify *v;
	DKIM *dkim; /* owned */
	struct dns_budget *budget;
	int skip; /* no signature, or the library gave up */
	int cr;	  /* the last body byte given was CR */
};

/* A key query already answered: the reply is in libopendkim's buffer. */
struct dkim_query {
	enum dns_status status;
	size_t len;
};

static _Thread_local struct dns_budget *tls_budget;

static const char *const result_names[] = {
	[DKIMR_PASS] = "pass",	   [DKIMR_FAIL] = "fail",	    [DKIMR_NEUTRAL] = "neutral",
	[DKIMR_POLICY] = "policy", [DKIMR_TEMPERROR] = "temperror", [DKIMR_PERMERROR] = "permerror",
};

const char *dkim_result_name(enum dkim_result r)
{
	return (unsigned)r <= DKIMR_PERMERROR ? result_names[r] : "?";
}

static int query_start(void *srv, int type, unsigned char *query, unsigned char *buf, size_t buflen,
		       void **qh)
{
	struct dkimverify *v = srv;
	struct dkim_query *q = calloc(1, sizeof(*q));

	if (q == NULL)
		return DKIM_DNS_ERROR;
	q->status = dns_query_packet(v->resolver, tls_budget, (const char *)query, type, buf,
				     buflen, &q->len);
	*qh = q;
	return DKIM_DNS_SUCCESS;
}

static int query_waitreply(void *srv, void *qh, struct timeval *to, size_t *bytes, int *error,
			   int *dnssec)
{
	struct dkim_query *q = qh;

	(void)srv;
	(void)to;
	if (dnssec != NULL)
		*dnssec = DKIM_DNSSEC_UNKNOWN;
	if (q->len == 0) {
		if (error != NULL)
			*error = 0;
		return q->status == DNS_BUDGET ? DKIM_DNS_EXPIRED : DKIM_DNS_ERROR;
	}
	if (bytes != NULL)
		*bytes = q->len;
	if (error != NULL)
		*error = 0;
	return DKIM_DNS_SUCCESS;
}

static int query_cancel(void *srv, void *qh)
{
	(void)srv;
	free(qh);
	return DKIM_DNS_SUCCESS;
}

/* The service is ours: libopendkim must neither create nor free one. */
static int service_init(void **srv)
{
	(void)srv;
	return 0;
}

static void service_close(void *srv)
{
	(void)srv;
}

/* A message may carry any number of signatures, each a key lookup: those
 * after the first DKIMVERIFY_MAX_SIGS are ignored (never fetched). */
static DKIM_CBSTAT prescreen(DKIM *dkim, DKIM_SIGINFO **sigs, int nsigs)
{
	(void)dkim;
	for (int i = DKIMVERIFY_MAX_SIGS; i < nsigs; i++)
		dkim_sig_ignore(sigs[i]);
	return DKIM_CBSTAT_CONTINUE;
}

/* RFC 8301 3.2: no RSA key under 1024 bits. */
static int set_limits(DKIM_LIB *lib)
{
	unsigned int bits = DKIMVERIFY_MIN_KEY_BITS;

	return dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_MINKEYBITS, &bits, sizeof(bits)) ==
				       DKIM_STAT_OK &&
			       dkim_set_prescreen(lib, prescreen) == DKIM_STAT_OK
		       ? 0
		       : -1;
}

struct dkimverify *dkimverify_new(struct dns_resolver *r, const char **error_r)
{
	struct dkimverify *v = calloc(1, sizeof(*v));

	if (v == NULL || (v->lib = dkim_init(NULL, NULL)) == NULL) {
		*error_r = "cannot initialise libopendkim";
		free(v);
		return NULL;
	}
	if (set_limits(v->lib) < 0) {
		*error_r = "cannot set libopendkim's limits";
		dkim_close(v->lib);
		free(v);
		return NULL;
	}
	v->resolver = r;
	dkim_dns_set_init(v->lib, service_init);
	dkim_dns_set_close(v->lib, service_close);
	if (dkim_dns_set_query_service(v->lib, v) != NULL) {
		*error_r = "libopendkim already had a DNS service";
		dkim_close(v->lib);
		free(v);
		return NULL;
	}
	dkim_dns_set_query_start(v->lib, query_start);
	dkim_dns_set_query_waitreply(v->lib, query_waitreply);
	dkim_dns_set_query_cancel(v->lib, query_cancel);
	return v;
}

void dkimverify_free(struct dkimverify **v)
{
	if (*v == NULL)
		return;
	dkim_close((*v)->lib);
	free(*v);
	*v = NULL;
}

struct dkimverify_msg *dkimverify_begin(struct dkimverify *v, struct dns_budget *budget)
{
	struct dkimverify_msg *m = calloc(1, sizeof(*m));
	DKIM_STAT st;

	if (m == NULL)
		return NULL;
	m->v = v;
	m->budget = budget;
	m->dkim = dkim_verify(v->lib, (const unsigned char *)"mailsift", NULL, &st);
	if (m->dkim == NULL) {
		free(m);
		return NULL;
	}
	return m;
}

void dkimverify_header(struct dkimverify_msg *m, const char *name, const char *value)
{
	size_t nlen = strlen(name), vlen = strlen(value), o = 0;
	unsigned char *buf;

	if (m->skip)
		return;
	if (nlen + 2 * vlen + 2 > DKIM_HEADER_MAX || (buf = malloc(nlen + 2 * vlen + 2)) == NULL) {
		m->skip = 1;
		return;
	}
	memcpy(buf, name, nlen);
	o = nlen;
	buf[o++] = ':';
	/* folded lines: CRLF as on the wire */
	for (size_t i = 0; i < vlen; i++) {
		if (value[i] == '\n' && (i == 0 || value[i - 1] != '\r'))
			buf[o++] = '\r';
		buf[o++] = (unsigned char)value[i];
	}
	if (dkim_header(m->dkim, buf, o) != DKIM_STAT_OK)
		m->skip = 1;
	free(buf);
}

void dkimverify_eoh(struct dkimverify_msg *m)
{
	if (!m->skip && dkim_eoh(m->dkim) != DKIM_STAT_OK)
		m->skip = 1; /* DKIM_STAT_NOSIG: nothing to verify */
}

void dkimverify_body(struct dkimverify_msg *m, const unsigned char *data, size_t len)
{
	unsigned char out[2 * DKIM_BODY_CHUNK];

	for (size_t i = 0; i < len && !m->skip;) {
		size_t o = 0;

		for (; i < len && o < DKIM_BODY_CHUNK; i++) {
			if (data[i] == '\n' && !m->cr)
				out[o++] = '\r';
			out[o++] = data[i];
			m->cr = data[i] == '\r';
		}
		if (dkim_body(m->dkim, out, o) != DKIM_STAT_OK)
			m->skip = 1;
	}
}

static enum dkim_result classify(DKIM_SIGINFO *sig, int err)
{
	if (DKIM_SIG_CHECK(sig))
		return DKIMR_PASS;
	/* the error tells most; a signature never processed is neutral */
	if (!(dkim_sig_getflags(sig) & DKIM_SIGFLAG_PROCESSED) && err == DKIM_SIGERROR_OK)
		return DKIMR_NEUTRAL;
	switch (err) {
	case DKIM_SIGERROR_KEYFAIL: return DKIMR_TEMPERROR;
	case DKIM_SIGERROR_NOKEY:
	case DKIM_SIGERROR_DNSSYNTAX:
	case DKIM_SIGERROR_MULTIREPLY:
	case DKIM_SIGERROR_KEYVERSION:
	case DKIM_SIGERROR_KEYUNKNOWNHASH:
	case DKIM_SIGERROR_KEYHASHMISMATCH:
	case DKIM_SIGERROR_NOTEMAILKEY:
	case DKIM_SIGERROR_KEYTYPEMISSING:
	case DKIM_SIGERROR_KEYTYPEUNKNOWN:
	case DKIM_SIGERROR_KEYREVOKED:
	case DKIM_SIGERROR_KEYDECODE:
	case DKIM_SIGERROR_KEYTOOSMALL: return DKIMR_PERMERROR;
	case DKIM_SIGERROR_EXPIRED:
	case DKIM_SIGERROR_FUTURE:
	case DKIM_SIGERROR_TIMESTAMPS:
	case DKIM_SIGERROR_SUBDOMAIN:
	case DKIM_SIGERROR_DOMAIN: return DKIMR_POLICY;
	case DKIM_SIGERROR_OK:
	case DKIM_SIGERROR_BADSIG: return DKIMR_FAIL;
	default: return DKIMR_NEUTRAL; /* the signature itself is malformed */
	}
}

static void describe(DKIM *dkim, DKIM_SIGINFO *sig, struct dkim_sig_result *r)
{
	const unsigned char *d = dkim_sig_getdomain(sig), *s = dkim_sig_getselector(sig);
	int err = dkim_sig_geterror(sig);
	size_t blen = sizeof(r->b);

	memset(r, 0, sizeof(*r));
	r->result = classify(sig, err);
	snprintf(r->domain, sizeof(r->domain), "%s", d != NULL ? (const char *)d : "");
	snprintf(r->selector, sizeof(r->selector), "%s", s != NULL ? (const char *)s : "");
	if (dkim_sig_getidentity(dkim, sig, (unsigned char *)r->identity, sizeof(r->identity)) !=
	    DKIM_STAT_OK)
		r->identity[0] = '\0';
	if (dkim_get_sigsubstring(dkim, sig, r->b, &blen) != DKIM_STAT_OK)
		r->b[0] = '\0';
	r->b[sizeof(r->b) - 1] = '\0';
	if (r->result == DKIMR_PASS)
		snprintf(r->reason, sizeof(r->reason), "signature verified");
	else if (r->result == DKIMR_FAIL && dkim_sig_getbh(sig) != DKIM_SIGBH_MATCH)
		snprintf(r->reason, sizeof(r->reason), "body hash mismatch");
	else
		snprintf(r->reason, sizeof(r->reason), "%s", dkim_sig_geterrorstr(err));
}

size_t dkimverify_eom(struct dkimverify_msg *m, struct dkim_sig_result *out, size_t max)
{
	DKIM_SIGINFO **sigs = NULL;
	int nsigs = 0;
	size_t n = 0;

	if (m->skip && dkim_getsiglist(m->dkim, &sigs, &nsigs) != DKIM_STAT_OK)
		return 0;
	if (!m->skip) {
		tls_budget = m->budget;
		(void)dkim_eom(m->dkim, NULL);
		tls_budget = NULL;
	}
	if (dkim_getsiglist(m->dkim, &sigs, &nsigs) != DKIM_STAT_OK)
		return 0;
	for (int i = 0; i < nsigs && n < max && n < DKIMVERIFY_MAX_SIGS; i++)
		describe(m->dkim, sigs[i], &out[n++]);
	return n;
}

void dkimverify_end(struct dkimverify_msg **m)
{
	if (*m == NULL)
		return;
	dkim_free((*m)->dkim);
	free(*m);
	*m = NULL;
}
