/* The one Authentication-Results header (RFC 8601) mailsift adds, and the
 * recognition of incoming ones that claim our authserv-id. SPF fills it
 * now; DKIM, DMARC and ARC add their entries here. */
#ifndef MAILSIFT_AUTHRES_H
#define MAILSIFT_AUTHRES_H

#include "mailsift/session.h"
#include "mailsift/strbuf.h"

#define AUTHRES_HEADER "Authentication-Results"

/* Appends our field value ("authserv-id; method=result ..."). */
void authres_value(const struct config *cfg, const struct msg *msg, struct strbuf *out);
/* 1 if an incoming field value names authserv_id as its authserv-id. */
int authres_claims(const char *value, const char *authserv_id);
/* Header changes at end of message: remove forged copies, insert ours and
 * Received-SPF at the top. -1 if they did not fit. */
int authres_edits(const struct config *cfg, struct msg *msg);

#endif
