/* DMARC (RFC 7489) evaluated on top of the SPF and DKIM results: the policy
 * record of the RFC5322.From domain (or of its organizational domain, from
 * the Public Suffix List), identifier alignment, p/sp/pct. The lookups go
 * through the project's resolver and the message's DNS budget. */
#ifndef MAILSIFT_DMARC_H
#define MAILSIFT_DMARC_H

#include <stddef.h>

#include "mailsift/dkimverify.h"
#include "mailsift/dns.h"
#include "mailsift/psl.h"
#include "mailsift/spf.h"

#define DMARC_RECORD_MAX 2048 /* bytes of one joined TXT record we read */

enum dmarc_result {
	DMARCR_NONE,	  /* no policy record */
	DMARCR_PASS,	  /* an aligned SPF or DKIM pass */
	DMARCR_FAIL,	  /* a policy, and no aligned pass */
	DMARCR_TEMPERROR, /* the record, or an aligned identifier, hit DNS trouble */
	DMARCR_PERMERROR, /* no usable RFC5322.From domain */
};

enum dmarc_policy {
	DMARC_P_NONE,
	DMARC_P_QUARANTINE,
	DMARC_P_REJECT,
};

struct dmarc_record {
	enum dmarc_policy p;
	enum dmarc_policy sp; /* = p when the record has none */
	int adkim_strict;
	int aspf_strict;
	unsigned pct; /* 0..100 */
};

/* Parses a TXT record's text; -1 when it is not a usable DMARC record
 * (*error_r says why). Bad optional tags take their defaults (6.3). */
int dmarc_record_parse(const char *text, struct dmarc_record *out, const char **error_r);

/* The authenticated identifiers DMARC aligns with the From domain. */
struct dmarc_auth {
	enum spf_result spf;
	const char *spf_domain; /* MAIL FROM domain, or HELO for the null sender */
	const struct dkim_sig_result *dkim;
	size_t ndkim;
};

struct dmarc_outcome {
	enum dmarc_result result;
	char from_domain[256];
	char policy_domain[256]; /* where the record was found, "" if none */
	struct dmarc_record rec;
	enum dmarc_policy policy;      /* p, or sp for a subdomain's org record */
	enum dmarc_policy disposition; /* what pct leaves of policy on failure */
	int spf_aligned;
	int dkim_aligned;
	int overridden; /* a failure the receiver chose not to enforce */
	char reason[128];
};

/* Evaluates DMARC for from_domain. sample (0..99) decides pct: the policy
 * applies when sample < pct. */
void dmarc_evaluate(struct dns_resolver *r, struct dns_budget *b, const struct psl *psl,
		    const char *from_domain, const struct dmarc_auth *auth, unsigned sample,
		    struct dmarc_outcome *out);

const char *dmarc_result_name(enum dmarc_result r);
const char *dmarc_policy_name(enum dmarc_policy p);

#endif
