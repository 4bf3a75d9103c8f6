/* DKIM-style tag lists (RFC 6376 3.2), the syntax of DKIM-Signature,
 * ARC-Seal, ARC-Message-Signature and key records, and the small value
 * syntaxes those share. Crypto-free. */
#ifndef MAILSIFT_DKIMTAGS_H
#define MAILSIFT_DKIMTAGS_H

#include <stddef.h>

/* More tags than this in one list is refused: no header or key record
 * defined by the RFCs comes near it. */
#define DKIMTAGS_MAX 32

struct dkimtag {
	const char *name;  /* points into the list's buf */
	const char *value; /* points into buf; surrounding FWS removed */
};

struct dkimtags {
	char *buf; /* owned: a copy of the text, cut into names and values */
	size_t n;
	struct dkimtag tags[DKIMTAGS_MAX];
};

/* Parses text; -1 on a syntax error (empty tag, bad name, a value with
 * bytes outside VALCHAR, a tag given twice, too many tags, out of memory),
 * with *error_r saying which. The list is empty (and needs no free) then. */
int dkimtags_parse(const char *text, struct dkimtags *out, const char **error_r);
void dkimtags_free(struct dkimtags *t);
/* The value of the tag named exactly name (names are case-sensitive), or NULL. */
const char *dkimtags_get(const struct dkimtags *t, const char *name);

/* Decodes base64 ignoring FWS; -1 if not base64 or longer than cap. */
int dkimtags_base64(const char *value, unsigned char *out, size_t cap, size_t *len);
/* 1 if s is a domain name (RFC 6376 "domain-name": dot-separated labels of
 * letters, digits, '-' and '_', none empty, within DNS lengths). */
int dkimtags_domain_valid(const char *s);
/* A decimal number of at most max_digits digits and nothing else; -1 if not. */
int dkimtags_number(const char *s, unsigned max_digits, unsigned long long *out);
/* A malloc'd copy of a header field value with the value of its b= tag
 * removed (RFC 6376 3.7: the signature is computed over it empty); NULL
 * when out of memory. */
char *dkimtags_without_b(const char *raw);

#endif
