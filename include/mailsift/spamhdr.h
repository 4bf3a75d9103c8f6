/* The X-Spam-* header fields SpamAssassin made the common currency of
 * Sieve and procmail filters: X-Spam-Flag, X-Spam-Status, X-Spam-Score. */
#ifndef MAILSIFT_SPAMHDR_H
#define MAILSIFT_SPAMHDR_H

#include "mailsift/session.h"

/* Counts an incoming field if it is one of ours, for removal. */
void spamhdr_note(struct msg *msg, const char *name);
/* 1 when the score makes the message spam (add_header_score). */
int spamhdr_is_spam(const struct config *cfg, const struct msg *msg);
/* Header changes at end of message: incoming copies removed, ours added.
 * tests is the comma-separated list of what hit. -1 if they did not fit. */
int spamhdr_edits(const struct config *cfg, struct msg *msg, const char *tests);

#endif
