/* SPF record syntax (RFC 7208 12) and the rewriting that makes libspf2
 * evaluate a valid record as RFC 7208 says. */
#ifndef MAILSIFT_SPF_RECORD_H
#define MAILSIFT_SPF_RECORD_H

#include <stddef.h>

/* What the rewriting may ask of DNS: whether a name (mx: its MX hosts) has
 * an address of the family (v6 or not), for a/0 and mx/0. */
struct spf_rewrite_hooks {
	int (*has_address)(void *ctx, const char *domain, int mx, int v6);
	void *ctx;
	const char *domain; /* the record's own domain, for "a" without one */
};

/* rec starts with "v=spf1". On success writes the record to hand libspf2
 * into out and returns 0; on a syntax error returns -1 with *why. With
 * hooks NULL, a/0 and mx/0 are left to libspf2. */
int spf_record_rewrite(const char *rec, char *out, size_t cap, const char **why,
		       const struct spf_rewrite_hooks *hooks);

#endif
