/* ARC chain validation (RFC 8617 5.2): the ARC-Seal, ARC-Message-Signature
 * and ARC-Authentication-Results header fields of a message, checked with
 * keys fetched through the project's resolver and the message's DNS budget.
 * The message is streamed like for DKIM: header fields, end of header,
 * body chunks, end. The body is not kept: its hashes are computed as the
 * chunks arrive. */
#ifndef MAILSIFT_ARCVERIFY_H
#define MAILSIFT_ARCVERIFY_H

#include <stddef.h>

#include "mailsift/dns.h"

/* RFC 8617 4.2.1: at most 50 ARC sets; a message with more fails. */
#define ARC_MAX_SETS 50

enum arc_cv {
	ARC_CV_NONE, /* no ARC header fields */
	ARC_CV_PASS,
	ARC_CV_FAIL,
	/* A key could not be fetched (timeout, SERVFAIL, DNS budget spent)
	 * and nothing else failed. RFC 8617 has no such result: for the
	 * chain this is "fail" (a sealer must write cv=fail), but the
	 * message may well pass later, so a caller can tempfail instead of
	 * rejecting. */
	ARC_CV_TEMPERROR,
};

/* One ARC set, as found (strings are "" when the field or tag is absent
 * or unusable). */
struct arc_set_info {
	unsigned instance;
	const char *as_domain, *as_selector;   /* ARC-Seal d=, s= */
	const char *ams_domain, *ams_selector; /* ARC-Message-Signature d=, s= */
	/* The ARC-Authentication-Results value after "i=N;": an A-R body
	 * ("authserv-id; method=result ..."), folding kept. Only to be trusted
	 * when the chain passes and the sealer of this instance is trusted. */
	const char *aar;
};

struct arc_result {
	enum arc_cv cv;
	const char *reason; /* why not pass ("" on pass and none) */
	unsigned nsets;	    /* N: the highest instance found (at most ARC_MAX_SETS) */
	/* sets[0..nsets-1] are instances 1..N; NULL when nsets is 0 */
	const struct arc_set_info *sets;
	/* RFC 8617 5.2 step 5, only on pass: 0 when every ARC-Message-Signature
	 * still verifies, else the lowest instance from which on all do. */
	unsigned oldest_pass;
};

struct arcverify_msg;

/* NULL when out of memory. The resolver and budget must outlive the
 * message context. */
struct arcverify_msg *arcverify_begin(struct dns_resolver *r, struct dns_budget *budget);
/* A header field as received: name and raw value (the text after the
 * colon, folded lines joined by "\n" or "\r\n"). */
void arcverify_header(struct arcverify_msg *m, const char *name, const char *value);
void arcverify_eoh(struct arcverify_msg *m);
/* Body bytes in chunks of any size; bare LF line ends count as CRLF. */
void arcverify_body(struct arcverify_msg *m, const unsigned char *data, size_t len);
/* Validates the chain (the key lookups happen here). The strings and sets
 * of *out belong to m and live until arcverify_end. */
void arcverify_eom(struct arcverify_msg *m, struct arc_result *out);
void arcverify_end(struct arcverify_msg **m);

/* "none", "pass", "fail", "temperror". */
const char *arc_cv_name(enum arc_cv cv);

/* The Authentication-Results method text for the result (RFC 8617 10.1,
 * RFC 8601), for the caller to place in its header: "arc=pass",
 * "arc=pass header.oldest-pass=2" (when some older signature no longer
 * verifies), "arc=none", "arc=fail (reason)". A temperror is written as
 * "arc=fail (temporary error: ...)", arc having no temperror result: a
 * caller that tempfails the message writes no header at all. Returns -1
 * when cap is too small. */
int arcverify_authres(const struct arc_result *r, char *buf, size_t cap);

#endif
