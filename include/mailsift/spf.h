/* SPF (RFC 7208) with libspf2, its DNS going through the project's
 * resolver so it shares the cache, the servers and the message's DNS
 * budget, and with the corrections libspf2 needs around it. */
#ifndef MAILSIFT_SPF_H
#define MAILSIFT_SPF_H

#include "mailsift/dns.h"

enum spf_result {
	SPFR_NONE,
	SPFR_NEUTRAL,
	SPFR_PASS,
	SPFR_FAIL,
	SPFR_SOFTFAIL,
	SPFR_TEMPERROR,
	SPFR_PERMERROR,
};

#define SPF_QUERY_LIMIT 60 /* DNS queries one evaluation may make at most */
#define SPF_VOID_LIMIT 2   /* RFC 7208 4.6.4 */

struct spf_outcome {
	enum spf_result result;
	char identity[320];	/* the checked identity: sender or postmaster@helo */
	char domain[256];	/* its domain */
	char explanation[256];	/* fail: the record's exp= text, or ours */
	char reason[160];	/* a short why, for logs and headers */
	char received_spf[640]; /* the Received-SPF field value (RFC 7208 9.1) */
	unsigned queries;
};

struct spf_request {
	const char *ip;			 /* client address, text */
	const char *helo;		 /* HELO/EHLO name, may be NULL */
	const char *mailfrom;		 /* the MAIL FROM mailbox, "" for the null sender */
	const char *receiver;		 /* our name, for Received-SPF */
	const char *default_explanation; /* NULL: ours */
};

/* Evaluates check_host() for the MAIL FROM identity (postmaster@HELO for
 * the null sender). Returns 0, or -1 when it could not run at all (then
 * out->result is TEMPERROR). */
int spf_evaluate(struct dns_resolver *r, struct dns_budget *b, const struct spf_request *req,
		 struct spf_outcome *out);

const char *spf_result_name(enum spf_result r);

#endif
