/* The Public Suffix List, for the organizational domain of DMARC
 * (RFC 7489 3.2): the public suffix of a name plus one label. */
#ifndef MAILSIFT_PSL_H
#define MAILSIFT_PSL_H

#include <stddef.h>

#define PSL_DEFAULT_PATH "/usr/share/publicsuffix/public_suffix_list.dat"

struct psl;

/* Reads a list in the publicsuffix.org format. NULL with *error_r set when
 * the file cannot be read or holds no rule. */
struct psl *psl_load(const char *path, const char **error_r);
void psl_free(struct psl **psl);
size_t psl_rules(const struct psl *psl);

/* The organizational domain of domain, lower case, in out (A-labels stay
 * A-labels, U-labels U-labels). -1 when domain is itself a public suffix,
 * is empty, has an empty label, or does not fit. */
int psl_org_domain(const struct psl *psl, const char *domain, char *out, size_t cap);

#endif
