/* DMARC evaluation (RFC 7489 6.6): policy discovery at the From domain then
 * at its organizational domain, alignment of the SPF and DKIM identifiers,
 * and the policy left after pct. DNS trouble is a temperror, never a fail. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mailsift/addr.h"
#include "mailsift/dmarc.h"

enum lookup {
	LOOKUP_FOUND,
	LOOKUP_ABSENT,	 /* nothing usable here: ask the organizational domain */
	LOOKUP_MULTIPLE, /* several records: DMARC does not apply (6.6.3) */
	LOOKUP_TEMP,
};

const char *dmarc_result_name(enum dmarc_result r)
{
	static const char *const names[] = {"none", "pass", "fail", "temperror", "permerror"};

	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "permerror";
}

const char *dmarc_policy_name(enum dmarc_policy p)
{
	static const char *const names[] = {"none", "quarantine", "reject"};

	return (unsigned)p < sizeof(names) / sizeof(names[0]) ? names[p] : "none";
}

static int parse_policy(const char *v, size_t len, enum dmarc_policy *out)
{
	for (int p = DMARC_P_NONE; p <= DMARC_P_REJECT; p++) {
		const char *name = dmarc_policy_name((enum dmarc_policy)p);

		if (strlen(name) == len && strncasecmp(v, name, len) == 0) {
			*out = (enum dmarc_policy)p;
			return 0;
		}
	}
	return -1;
}

static void trim(const char **s, size_t *len)
{
	while (*len > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
		(*len)--;
}

struct tags {
	int have_p, bad_p, have_sp, bad_sp, have_rua;
};

/* One "name=value" of the record; the record's first tag must be v. */
static int parse_tag(const char *name, size_t nlen, const char *v, size_t vlen,
		     struct dmarc_record *rec, struct tags *t)
{
	unsigned pct = 0;

#define IS(tag) (nlen == strlen(tag) && strncasecmp(name, tag, nlen) == 0)
	if (IS("p")) {
		t->have_p = 1;
		t->bad_p = parse_policy(v, vlen, &rec->p) < 0;
	} else if (IS("sp")) {
		t->have_sp = 1;
		t->bad_sp = parse_policy(v, vlen, &rec->sp) < 0;
	} else if (IS("adkim") || IS("aspf")) {
		int strict = vlen == 1 && (v[0] == 's' || v[0] == 'S');

		*(IS("adkim") ? &rec->adkim_strict : &rec->aspf_strict) = strict;
	} else if (IS("pct")) {
		size_t i = 0;

		for (; i < vlen && i < 4 && v[i] >= '0' && v[i] <= '9'; i++)
			pct = pct * 10 + (unsigned)(v[i] - '0');
		if (i == vlen && vlen > 0 && pct <= 100)
			rec->pct = pct;
	} else if (IS("rua")) {
		t->have_rua = vlen > 0;
	}
#undef IS
	return 0;
}

int dmarc_record_parse(const char *text, struct dmarc_record *out, const char **error_r)
{
	struct tags t = {0};
	const char *p = text;
	int first = 1;

	memset(out, 0, sizeof(*out));
	out->pct = 100;
	while (*p != '\0') {
		const char *end = p + strcspn(p, ";"), *eq = memchr(p, '=', (size_t)(end - p));
		const char *name = p, *v = eq != NULL ? eq + 1 : end;
		size_t nlen = eq != NULL ? (size_t)(eq - p) : (size_t)(end - p), vlen;

		vlen = (size_t)(end - v);
		trim(&name, &nlen);
		trim(&v, &vlen);
		if (first && (eq == NULL || nlen != 1 || name[0] != 'v' || vlen != 6 ||
			      strncmp(v, "DMARC1", 6) != 0)) {
			*error_r = "not a DMARC record (v=DMARC1 first)";
			return -1;
		}
		if (!first && nlen > 0 && eq != NULL)
			parse_tag(name, nlen, v, vlen, out, &t);
		first = 0;
		p = *end == ';' ? end + 1 : end;
	}
	if (first) {
		*error_r = "empty record";
		return -1;
	}
	if (!t.have_sp)
		out->sp = out->p;
	/* 6.6.3: a bad or missing p (or a bad sp) is p=none when reports are
	 * asked for, else no DMARC at all */
	if (!t.have_p || t.bad_p || t.bad_sp) {
		if (!t.have_rua) {
			*error_r = t.have_p ? "invalid p= or sp= tag" : "no p= tag";
			return -1;
		}
		out->p = out->sp = DMARC_P_NONE;
	}
	return 0;
}

/* The DMARC records at _dmarc.domain (6.6.3: TXT records starting with
 * v=DMARC1; other TXT records are ignored). */
static enum lookup lookup_at(struct dns_resolver *r, struct dns_budget *b, const char *domain,
			     struct dmarc_record *rec, char *why, size_t whylen)
{
	char name[DNS_NAME_MAX + 1], text[DMARC_RECORD_MAX];
	struct dns_answer a;
	enum dns_status st;
	enum lookup res = LOOKUP_ABSENT;
	size_t found = 0;

	if ((size_t)snprintf(name, sizeof(name), "_dmarc.%s", domain) >= sizeof(name))
		return LOOKUP_ABSENT;
	st = dns_query(r, b, name, DNS_TYPE_TXT, &a);
	if (st == DNS_TEMP || st == DNS_BUDGET) {
		snprintf(why, whylen, "DNS %s looking up %.80s", dns_status_name(st), name);
		dns_answer_free(&a);
		return LOOKUP_TEMP;
	}
	for (size_t i = 0; st == DNS_OK && i < a.count; i++) {
		const char *error;

		if (dns_txt_join(a.data[i], (size_t)a.len[i], text, sizeof(text)) < 0 ||
		    strncmp(text, "v=DMARC1", 8) != 0)
			continue;
		if (++found > 1)
			continue;
		if (dmarc_record_parse(text, rec, &error) == 0) {
			res = LOOKUP_FOUND;
		} else {
			snprintf(why, whylen, "%.80s: %s", name, error);
			res = LOOKUP_ABSENT;
		}
	}
	dns_answer_free(&a);
	if (found > 1) {
		snprintf(why, whylen, "%zu DMARC records at %.80s", found, name);
		return LOOKUP_MULTIPLE;
	}
	return res;
}

/* Relaxed: the same organizational domain; strict: the same name. */
static int aligned(const struct psl *psl, const char *a, const char *from, int strict)
{
	char oa[256], of[256];

	if (a == NULL || a[0] == '\0')
		return 0;
	if (strcasecmp(a, from) == 0)
		return 1;
	if (strict)
		return 0;
	if (psl_org_domain(psl, a, oa, sizeof(oa)) < 0 ||
	    psl_org_domain(psl, from, of, sizeof(of)) < 0)
		return 0;
	return strcasecmp(oa, of) == 0;
}

/* 1 when an identifier aligned with From hit DNS trouble: without it, a
 * fail could be a pass, so it must not be enforced. */
static int aligned_temperror(const struct psl *psl, const struct dmarc_auth *auth,
			     const struct dmarc_outcome *out)
{
	if (auth->spf == SPFR_TEMPERROR &&
	    aligned(psl, auth->spf_domain, out->from_domain, out->rec.aspf_strict))
		return 1;
	for (size_t i = 0; i < auth->ndkim; i++)
		if (auth->dkim[i].result == DKIMR_TEMPERROR &&
		    aligned(psl, auth->dkim[i].domain, out->from_domain, out->rec.adkim_strict))
			return 1;
	return 0;
}

static void align(const struct psl *psl, const struct dmarc_auth *auth, struct dmarc_outcome *out)
{
	out->spf_aligned = auth->spf == SPFR_PASS &&
			   aligned(psl, auth->spf_domain, out->from_domain, out->rec.aspf_strict);
	for (size_t i = 0; i < auth->ndkim && !out->dkim_aligned; i++)
		out->dkim_aligned =
			auth->dkim[i].result == DKIMR_PASS &&
			aligned(psl, auth->dkim[i].domain, out->from_domain, out->rec.adkim_strict);
}

/* Policy discovery (6.6.3): the From domain, then its organizational
 * domain; fills policy_domain and rec. */
static enum lookup discover(struct dns_resolver *r, struct dns_budget *b, const struct psl *psl,
			    struct dmarc_outcome *out)
{
	char org[256];
	enum lookup l;

	l = lookup_at(r, b, out->from_domain, &out->rec, out->reason, sizeof(out->reason));
	if (l == LOOKUP_FOUND)
		snprintf(out->policy_domain, sizeof(out->policy_domain), "%s", out->from_domain);
	if (l != LOOKUP_ABSENT || psl_org_domain(psl, out->from_domain, org, sizeof(org)) < 0 ||
	    strcasecmp(org, out->from_domain) == 0)
		return l;
	l = lookup_at(r, b, org, &out->rec, out->reason, sizeof(out->reason));
	if (l == LOOKUP_FOUND)
		snprintf(out->policy_domain, sizeof(out->policy_domain), "%s", org);
	return l;
}

static void decide(const struct dmarc_auth *auth, const struct psl *psl, unsigned sample,
		   struct dmarc_outcome *out)
{
	align(psl, auth, out);
	if (out->spf_aligned || out->dkim_aligned) {
		out->result = DMARCR_PASS;
		snprintf(out->reason, sizeof(out->reason), "%s aligned",
			 out->dkim_aligned ? "DKIM" : "SPF");
		return;
	}
	if (aligned_temperror(psl, auth, out)) {
		out->result = DMARCR_TEMPERROR;
		snprintf(out->reason, sizeof(out->reason), "an aligned identifier hit DNS trouble");
		return;
	}
	out->result = DMARCR_FAIL;
	out->policy =
		strcasecmp(out->policy_domain, out->from_domain) == 0 ? out->rec.p : out->rec.sp;
	/* 6.6.4: outside the sampled pct, the next less strict policy */
	out->disposition = out->policy;
	if (sample >= out->rec.pct && out->policy != DMARC_P_NONE)
		out->disposition = (enum dmarc_policy)(out->policy - 1);
	snprintf(out->reason, sizeof(out->reason), "no aligned SPF or DKIM pass");
}

void dmarc_evaluate(struct dns_resolver *r, struct dns_budget *b, const struct psl *psl,
		    const char *from_domain, const struct dmarc_auth *auth, unsigned sample,
		    struct dmarc_outcome *out)
{
	memset(out, 0, sizeof(*out));
	if (addr_domain_ascii(from_domain, out->from_domain, sizeof(out->from_domain)) < 0 ||
	    out->from_domain[0] == '\0') {
		out->result = DMARCR_PERMERROR;
		snprintf(out->reason, sizeof(out->reason), "no usable From domain");
		return;
	}
	for (char *p = out->from_domain; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
	switch (discover(r, b, psl, out)) {
	case LOOKUP_TEMP:
		out->result = DMARCR_TEMPERROR;
		align(psl, auth, out);
		return;
	case LOOKUP_ABSENT:
	case LOOKUP_MULTIPLE:
		out->result = DMARCR_NONE;
		if (out->reason[0] == '\0')
			snprintf(out->reason, sizeof(out->reason), "no DMARC record");
		memset(&out->rec, 0, sizeof(out->rec));
		return;
	case LOOKUP_FOUND: break;
	}
	decide(auth, psl, sample, out);
}
