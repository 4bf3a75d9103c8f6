/* The file of valid recipients: one address or "@domain" per line. */
#ifndef MAILSIFT_RCPTMAP_H
#define MAILSIFT_RCPTMAP_H

#include "mailsift/addr.h"
#include "mailsift/strbuf.h"
#include "mailsift/strset.h"

/* NULL on failure, with "FILE:LINE: message" lines appended to errors. */
struct strset *rcptmap_load(const char *path, struct strbuf *errors);

/* 1 if the recipient is listed: as is, without its address extension
 * (user+ext@domain -> user@domain, delimiters from delims), or through
 * its "@domain" catch-all. */
int rcptmap_match(const struct strset *map, const struct addr *rcpt, const char *delims);

/* The local part without its extension, in out (size >= ADDR_LOCAL_MAX+1). */
void rcptmap_base_local(const struct addr *rcpt, const char *delims, char *out);

#endif
