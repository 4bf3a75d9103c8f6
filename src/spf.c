/* libspf2 behind our resolver.
 *
 * libspf2 predates RFC 7208: it restarts its lookup limit inside every
 * include, has no void-lookup limit, and reports record errors and a
 * timed-out first lookup only through its return code. Its DNS layer is
 * public, so every query goes through a layer of ours that counts them,
 * and the answer is corrected afterwards from what the layer saw. */
#include "config.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <spf2/spf.h>
#include <spf2/spf_dns.h>
#include <spf2/spf_dns_rr.h>

#include "mailsift/spf.h"
#include "mailsift/spf_record.h"

/* What one evaluation's DNS layer saw. */
struct spf_dns_ctx {
	struct dns_resolver *resolver;
	struct dns_budget *budget;
	unsigned queries;
	unsigned voids;
	int temp;			    /* a lookup failed temporarily */
	int over_limit;			    /* too many lookups or void lookups */
	int records;			    /* v=spf1 records at the identity's domain */
	unsigned terms;			    /* DNS-querying mechanisms and modifiers seen */
	char targets[10][DNS_NAME_MAX + 1]; /* names of the last MX/PTR answer */
	size_t ntargets;
	const char *bad_record;	      /* why a record was refused, or NULL */
	char first[DNS_NAME_MAX + 1]; /* the first TXT lookup: the identity's domain */
};

static const char *const result_names[] = {
	[SPFR_NONE] = "none",		[SPFR_NEUTRAL] = "neutral",
	[SPFR_PASS] = "pass",		[SPFR_FAIL] = "fail",
	[SPFR_SOFTFAIL] = "softfail",	[SPFR_TEMPERROR] = "temperror",
	[SPFR_PERMERROR] = "permerror",
};

const char *spf_result_name(enum spf_result r)
{
	return (unsigned)r <= SPFR_PERMERROR ? result_names[r] : "?";
}

/* Joins a TXT record's character-strings (RFC 7208 3.3). libspf2 reads
 * explanation texts as macro strings and turns their spaces into '%': a
 * text that is not an SPF record gets its spaces as the macro "%_". */
/* RFC 7208 4.5: an SPF record is "v=spf1" then a space or the end. */
static int is_spf_record(const char *t)
{
	return strncasecmp(t, "v=spf1", 6) == 0 && (t[6] == ' ' || t[6] == '\0');
}

/* An answer whose first character-string starts an SPF record. */
static int has_spf_record(const struct dns_answer *a)
{
	for (size_t i = 0; a != NULL && i < a->count; i++)
		if (a->len[i] > 7 && strncasecmp((const char *)a->data[i] + 1, "v=spf1", 6) == 0)
			return 1;
	return 0;
}

/* For a/0 and mx/0: does the name (mx: one of its first 10 MX hosts)
 * have an address of that family? Counted like libspf2's own lookups. */
static int has_address(void *arg, const char *domain, int mx, int v6)
{
	struct spf_dns_ctx *ctx = arg;
	int type = v6 ? DNS_TYPE_AAAA : DNS_TYPE_A, found = 0;
	struct dns_answer a, b;
	char host[DNS_NAME_MAX + 1];

	ctx->queries++;
	if (!mx) {
		found = dns_query(ctx->resolver, ctx->budget, domain, type, &a) == DNS_OK;
		dns_answer_free(&a);
	} else if (dns_query(ctx->resolver, ctx->budget, domain, DNS_TYPE_MX, &a) == DNS_OK) {
		for (size_t i = 0; i < a.count && i < 10 && !found; i++) {
			size_t off = 2;
			if (dns_wire_name(a.data[i], (size_t)a.len[i], &off, host) < 0)
				continue;
			ctx->queries++;
			found = dns_query(ctx->resolver, ctx->budget, host, type, &b) == DNS_OK;
			dns_answer_free(&b);
		}
		dns_answer_free(&a);
	}
	if (!found && ++ctx->voids > SPF_VOID_LIMIT)
		ctx->over_limit = 1;
	return found;
}

static int fill_txt(struct spf_dns_ctx *ctx, const char *domain, SPF_dns_rr_t *rr, int idx,
		    const unsigned char *d, size_t len)
{
	char *out;
	size_t o = 0;

	if (SPF_dns_rr_buf_realloc(rr, idx, 2 * len + 1) != SPF_E_SUCCESS)
		return -1;
	out = rr->rr[idx]->txt;
	for (size_t i = 0; i < len;) {
		size_t n = d[i++];
		if (i + n > len)
			return -1;
		memcpy(out + o, d + i, n);
		o += n;
		i += n;
	}
	out[o] = '\0';
	if (memchr(d, '\0', len) != NULL && strncasecmp(out, "v=spf1", 6) == 0) {
		ctx->bad_record = "NUL byte in the record";
		return 0;
	}
	if (is_spf_record(out)) {
		const char *why = NULL;
		char *fixed = malloc(4 * len + 256);

		if (fixed == NULL)
			return -1;
		struct spf_rewrite_hooks hooks = {
			.has_address = has_address, .ctx = ctx, .domain = domain};

		int rc = 0;

		if (spf_record_rewrite(out, fixed, 4 * len + 256, &why, &hooks) < 0)
			ctx->bad_record = why;
		else if (SPF_dns_rr_buf_realloc(rr, idx, strlen(fixed) + 1) != SPF_E_SUCCESS)
			rc = -1;
		else /* the rewritten record may be longer than the original */
			memcpy(rr->rr[idx]->txt, fixed, strlen(fixed) + 1);
		free(fixed);
		return rc;
	}
	char *tmp = strdup(out);
	if (tmp == NULL)
		return -1;
	o = 0;
	for (const char *p = tmp; *p; p++) {
		if (*p == ' ') {
			out[o++] = '%';
			out[o++] = '_';
		} else {
			out[o++] = *p;
		}
	}
	out[o] = '\0';
	free(tmp);
	return 0;
}

/* Copies one answer's RDATA into libspf2's record, decoded per type. */
static int fill_rr(struct spf_dns_ctx *ctx, const char *domain, SPF_dns_rr_t *rr, int idx, int type,
		   const unsigned char *d, size_t len)
{
	char name[DNS_NAME_MAX + 1];
	size_t off = 0;

	switch (type) {
	case DNS_TYPE_A:
		if (len != 4 || SPF_dns_rr_buf_realloc(rr, idx, 4) != SPF_E_SUCCESS)
			return -1;
		memcpy(&rr->rr[idx]->a, d, 4);
		return 0;
	case DNS_TYPE_AAAA:
		if (len != 16 || SPF_dns_rr_buf_realloc(rr, idx, 16) != SPF_E_SUCCESS)
			return -1;
		memcpy(&rr->rr[idx]->aaaa, d, 16);
		return 0;
	case DNS_TYPE_MX:
		off = 2; /* preference: libspf2 does not need it */
			 /* fall through */
	case DNS_TYPE_PTR:
		if (dns_wire_name(d, len, &off, name) < 0 ||
		    SPF_dns_rr_buf_realloc(rr, idx, strlen(name) + 1) != SPF_E_SUCCESS)
			return -1;
		memcpy(rr->rr[idx]->ptr, name, strlen(name) + 1);
		return 0;
	default: /* TXT and SPF: the character-strings joined (RFC 7208 3.3) */
		return fill_txt(ctx, domain, rr, idx, d, len);
	}
}

static SPF_dns_rr_t *answer_rr(SPF_dns_server_t *srv, const char *domain, int type,
			       const struct dns_answer *a)
{
	SPF_dns_rr_t *rr = SPF_dns_rr_new_init(srv, domain, (ns_type)type, 60, NETDB_SUCCESS);
	int n = 0;

	if (rr == NULL)
		return NULL;
	/* RFC 7208 4.6.4: of more than 10 PTR names only the first 10 count;
	 * libspf2 would call the whole mechanism an error instead */
	size_t count = type == DNS_TYPE_PTR && a->count > 10 ? 10 : a->count;

	for (size_t i = 0; i < count; i++)
		if (fill_rr(srv->hook, domain, rr, n, type, a->data[i], (size_t)a->len[i]) == 0)
			n++;
	rr->num_rr = n;
	if (n == 0)
		rr->herrno = NO_DATA;
	return rr;
}

/* A TXT answer without an SPF record is an explanation (or nothing of
 * SPF's): RFC 7208 6.2 wants exactly one, of ASCII text, else none. */
static int usable_txt(const struct dns_answer *a)
{
	if (has_spf_record(a))
		return 1;
	if (a->count != 1)
		return 0;
	for (int i = 0; i < a->len[0]; i++)
		if (a->data[0][i] >= 0x80)
			return 0;
	return 1;
}

/* libspf2 says "no SPF record" for a record it cannot compile: remember
 * whether there was one (RFC 7208 4.5: "v=spf1" then a space or the end). */
static void count_records(struct spf_dns_ctx *ctx, const SPF_dns_rr_t *rr)
{
	for (int i = 0; i < rr->num_rr; i++)
		if (is_spf_record(rr->rr[i]->txt))
			ctx->records++;
}

static int is_target(const struct spf_dns_ctx *ctx, const char *name)
{
	for (size_t i = 0; i < ctx->ntargets; i++)
		if (strcasecmp(ctx->targets[i], name) == 0)
			return 1;
	return 0;
}

/* RFC 7208 4.6.4: at most 10 mechanisms and modifiers that query DNS, over
 * the whole check. libspf2 restarts its count in every include, so count
 * here: a TXT lookup that finds a record (include, redirect), each MX and
 * PTR lookup, and each A/AAAA lookup that is not one of the addresses of
 * the MX or PTR names just found. */
static void count_term(struct spf_dns_ctx *ctx, const char *domain, int type,
		       const struct dns_answer *a)
{
	int term;

	if (type == DNS_TYPE_TXT)
		term = strcasecmp(domain, ctx->first) != 0 && (a == NULL || has_spf_record(a));
	else if (type == DNS_TYPE_A || type == DNS_TYPE_AAAA)
		term = !is_target(ctx, domain);
	else
		term = type == DNS_TYPE_MX || type == DNS_TYPE_PTR;
	if (term && ++ctx->terms > 10)
		ctx->over_limit = 1;
	if ((type == DNS_TYPE_MX || type == DNS_TYPE_PTR) && a != NULL) {
		ctx->ntargets = 0;
		for (size_t i = 0; i < a->count && ctx->ntargets < 10; i++) {
			size_t off = type == DNS_TYPE_MX ? 2 : 0;
			if (dns_wire_name(a->data[i], (size_t)a->len[i], &off,
					  ctx->targets[ctx->ntargets]) == 0)
				ctx->ntargets++;
		}
	}
}

static SPF_dns_rr_t *lookup(SPF_dns_server_t *srv, const char *domain, ns_type type,
			    int should_cache)
{
	struct spf_dns_ctx *ctx = srv->hook;
	struct dns_answer a;
	enum dns_status st;
	SPF_dns_rr_t *rr;

	(void)should_cache;
	if (ctx->first[0] == '\0' && (int)type == DNS_TYPE_TXT)
		snprintf(ctx->first, sizeof(ctx->first), "%s", domain);
	if (++ctx->queries > SPF_QUERY_LIMIT || ctx->over_limit) {
		ctx->over_limit = 1;
		return SPF_dns_rr_new_init(srv, domain, type, 0, HOST_NOT_FOUND);
	}
	st = dns_query(ctx->resolver, ctx->budget, domain, (int)type, &a);
	switch (st) {
	case DNS_OK:
		if ((int)type == DNS_TYPE_MX && a.count > 10)
			ctx->over_limit = 1; /* RFC 7208 4.6.4: at most 10 MX names */
		count_term(ctx, domain, (int)type, &a);
		if ((int)type == DNS_TYPE_TXT && !usable_txt(&a)) {
			dns_answer_free(&a);
			return SPF_dns_rr_new_init(srv, domain, type, 0, NO_DATA);
		}
		rr = answer_rr(srv, domain, (int)type, &a);
		if (rr != NULL && (int)type == DNS_TYPE_TXT && strcasecmp(domain, ctx->first) == 0)
			count_records(ctx, rr);
		dns_answer_free(&a);
		return rr;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
	case DNS_BADNAME:
		count_term(ctx, domain, (int)type, NULL);
		/* void lookups are those of mechanisms (RFC 7208 4.6.4): record
		 * and explanation lookups are TXT and do not count */
		if ((int)type != DNS_TYPE_TXT && ++ctx->voids > SPF_VOID_LIMIT)
			ctx->over_limit = 1;
		return SPF_dns_rr_new_init(srv, domain, type, 0,
					   st == DNS_NODATA ? NO_DATA : HOST_NOT_FOUND);
	default: ctx->temp = 1; return SPF_dns_rr_new_init(srv, domain, type, 0, TRY_AGAIN);
	}
}

static enum spf_result map_result(SPF_result_t r)
{
	switch (r) {
	case SPF_RESULT_PASS: return SPFR_PASS;
	case SPF_RESULT_FAIL: return SPFR_FAIL;
	case SPF_RESULT_SOFTFAIL: return SPFR_SOFTFAIL;
	case SPF_RESULT_NEUTRAL: return SPFR_NEUTRAL;
	case SPF_RESULT_NONE: return SPFR_NONE;
	case SPF_RESULT_TEMPERROR: return SPFR_TEMPERROR;
	default: return SPFR_PERMERROR;
	}
}

/* libspf2's answer, corrected by what our layer saw. */
static enum spf_result corrected(const struct spf_dns_ctx *ctx, SPF_errcode_t err,
				 SPF_response_t *resp, char *reason, size_t rlen)
{
	SPF_result_t r = resp != NULL ? SPF_response_result(resp) : SPF_RESULT_INVALID;

	if (ctx->bad_record != NULL) {
		snprintf(reason, rlen, "bad SPF record: %s", ctx->bad_record);
		return SPFR_PERMERROR;
	}
	if (ctx->over_limit) {
		snprintf(reason, rlen, "too many DNS lookups: %u, %u of them void", ctx->queries,
			 ctx->voids);
		return SPFR_PERMERROR;
	}
	/* record errors come back only as a return code */
	if (r == SPF_RESULT_INVALID || (err != SPF_E_SUCCESS && err != SPF_E_NOT_SPF)) {
		if (ctx->temp) {
			snprintf(reason, rlen, "DNS lookup failed");
			return SPFR_TEMPERROR;
		}
		if (err == SPF_E_NOT_SPF && ctx->records == 0) {
			snprintf(reason, rlen, "no SPF record");
			return SPFR_NONE;
		}
		if (err == SPF_E_NOT_SPF) {
			snprintf(reason, rlen, "bad SPF record");
			return SPFR_PERMERROR;
		}
		snprintf(reason, rlen, "bad SPF record: %s", SPF_strerror(err));
		return SPFR_PERMERROR;
	}
	if (r == SPF_RESULT_NONE && ctx->temp) {
		snprintf(reason, rlen, "DNS lookup failed");
		return SPFR_TEMPERROR;
	}
	if (SPF_response_reason(resp) == SPF_REASON_LOCALHOST) {
		/* libspf2 passes any loopback client: that is no SPF result */
		snprintf(reason, rlen, "loopback client not evaluated");
		return SPFR_NONE;
	}
	if (r == SPF_RESULT_NONE)
		snprintf(reason, rlen, "no SPF record");
	else
		snprintf(reason, rlen, "%s", SPF_strreason(SPF_response_reason(resp)));
	return map_result(r);
}

/* ::ffff:a.b.c.d is checked as the IPv4 address it is. */
static SPF_errcode_t set_ip(SPF_request_t *sr, const char *ip)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (inet_pton(AF_INET, ip, &a4) == 1)
		return SPF_request_set_ipv4(sr, a4);
	if (inet_pton(AF_INET6, ip, &a6) != 1)
		return SPF_E_INVALID_IP6;
	if (IN6_IS_ADDR_V4MAPPED(&a6)) {
		memcpy(&a4, &a6.s6_addr[12], 4);
		return SPF_request_set_ipv4(sr, a4);
	}
	return SPF_request_set_ipv6(sr, a6);
}

static void describe(const struct spf_request *req, struct spf_outcome *out)
{
	if (req->mailfrom[0] != '\0')
		snprintf(out->identity, sizeof(out->identity), "%s", req->mailfrom);
	else
		snprintf(out->identity, sizeof(out->identity), "postmaster@%s",
			 req->helo != NULL ? req->helo : "unknown");
	const char *at = strrchr(out->identity, '@');
	snprintf(out->domain, sizeof(out->domain), "%s", at != NULL ? at + 1 : "");
}

/* Received-SPF (RFC 7208 9.1): libspf2's own field when it agrees with
 * the corrected result, else ours, so the two headers never disagree. */
static void received_spf(const struct spf_request *req, SPF_response_t *resp,
			 struct spf_outcome *out)
{
	const char *rs = resp != NULL ? SPF_response_get_received_spf_value(resp) : NULL;
	size_t n = strlen(spf_result_name(out->result));

	if (rs != NULL && strncmp(rs, spf_result_name(out->result), n) == 0 && rs[n] == ' ') {
		snprintf(out->received_spf, sizeof(out->received_spf), "%s", rs);
		return;
	}
	snprintf(out->received_spf, sizeof(out->received_spf),
		 "%s (%s: %s) client-ip=%s; envelope-from=%s; helo=%s;",
		 spf_result_name(out->result), req->receiver != NULL ? req->receiver : "localhost",
		 out->reason, req->ip, out->identity, req->helo != NULL ? req->helo : "unknown");
}

static void response_texts(SPF_response_t *resp, struct spf_outcome *out)
{
	const char *exp = resp != NULL ? SPF_response_get_explanation(resp) : NULL;

	if (out->result == SPFR_FAIL && exp != NULL)
		snprintf(out->explanation, sizeof(out->explanation), "%s", exp);
}

int spf_evaluate(struct dns_resolver *r, struct dns_budget *b, const struct spf_request *req,
		 struct spf_outcome *out)
{
	struct spf_dns_ctx ctx = {.resolver = r, .budget = b};
	SPF_dns_server_t layer = {.lookup = lookup, .name = "mailsift", .hook = &ctx};
	SPF_response_t *resp = NULL, *tmp = NULL;
	SPF_server_t *srv;
	SPF_request_t *sr;
	SPF_errcode_t err;

	memset(out, 0, sizeof(*out));
	out->result = SPFR_TEMPERROR;
	srv = SPF_server_new_dns(&layer, 0);
	if (srv == NULL)
		return -1;
	SPF_server_set_rec_dom(srv, req->receiver != NULL ? req->receiver : "localhost");
	SPF_server_set_explanation(
		srv,
		req->default_explanation != NULL
			? req->default_explanation
			: "%{o}%_does%_not%_designate%_%{i}%_as%_a%_permitted%_sender",
		&tmp);
	SPF_response_free(tmp);
	sr = SPF_request_new(srv);
	if (sr == NULL || set_ip(sr, req->ip) != SPF_E_SUCCESS ||
	    SPF_request_set_helo_dom(sr, req->helo != NULL ? req->helo : "unknown") !=
		    SPF_E_SUCCESS ||
	    SPF_request_set_env_from(sr, req->mailfrom) != 0) {
		snprintf(out->reason, sizeof(out->reason), "cannot build the SPF request");
		out->result = SPFR_PERMERROR;
	} else {
		err = SPF_request_query_mailfrom(sr, &resp);
		out->result = corrected(&ctx, err, resp, out->reason, sizeof(out->reason));
		response_texts(resp, out);
	}
	describe(req, out);
	received_spf(req, resp, out);
	out->queries = ctx.queries;
	SPF_response_free(resp);
	if (sr != NULL)
		SPF_request_free(sr);
	SPF_server_free(srv);
	return 0;
}
