/* DKIM verification (RFC 6376, RFC 8463) with libopendkim, its key lookups
 * going through the project's resolver and the message's DNS budget. The
 * message is streamed: header fields, end of header, body chunks, end. */
#ifndef MAILSIFT_DKIMVERIFY_H
#define MAILSIFT_DKIMVERIFY_H

#include <stddef.h>

#include "mailsift/dns.h"

/* Signatures verified per message (the others are ignored, never fetched),
 * and the smallest RSA key accepted (RFC 8301). */
#define DKIMVERIFY_MAX_SIGS 16
#define DKIMVERIFY_MIN_KEY_BITS 1024

enum dkim_result {
	DKIMR_PASS,
	DKIMR_FAIL,	 /* the signature or the body hash does not verify */
	DKIMR_NEUTRAL,	 /* a signature that cannot be checked (syntax) */
	DKIMR_POLICY,	 /* verifies, but is not acceptable (expired, ...) */
	DKIMR_TEMPERROR, /* the key could not be fetched: DNS trouble */
	DKIMR_PERMERROR, /* no key, a bad or revoked key */
};

struct dkim_sig_result {
	enum dkim_result result;
	char domain[256];   /* d= */
	char selector[64];  /* s= */
	char identity[256]; /* i= */
	char b[9];	    /* the first 8 characters of b= */
	char reason[96];
};

struct dkimverify;     /* per configuration: the library with its hooks */
struct dkimverify_msg; /* per message */

struct dkimverify *dkimverify_new(struct dns_resolver *r, const char **error_r);
void dkimverify_free(struct dkimverify **v);

/* NULL when out of memory. */
struct dkimverify_msg *dkimverify_begin(struct dkimverify *v, struct dns_budget *budget);
/* A header field as received: name and raw value (the text after the colon,
 * folded lines joined by "\n" or "\r\n"). */
void dkimverify_header(struct dkimverify_msg *m, const char *name, const char *value);
void dkimverify_eoh(struct dkimverify_msg *m);
/* Body bytes; bare LF line ends become CRLF, as on the wire. */
void dkimverify_body(struct dkimverify_msg *m, const unsigned char *data, size_t len);
/* Verifies; fills up to max results and returns how many signatures. */
size_t dkimverify_eom(struct dkimverify_msg *m, struct dkim_sig_result *out, size_t max);
void dkimverify_end(struct dkimverify_msg **m);

const char *dkim_result_name(enum dkim_result r);

#endif
