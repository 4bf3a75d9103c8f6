/* SPF record syntax (RFC 7208 12) and the rewriting that makes libspf2
 * evaluate a valid record as RFC 7208 says. */
#ifndef MAILSIFT_SPF_RECORD_H
#define MAILSIFT_SPF_RECORD_H

#include <stddef.h>

/* rec starts with "v=spf1". On success writes the record to hand libspf2
 * into out and returns 0; on a syntax error returns -1 with *why. */
int spf_record_rewrite(const char *rec, char *out, size_t cap, const char **why);

#endif
