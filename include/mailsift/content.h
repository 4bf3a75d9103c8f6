/* The content rules' view of one message (src/checks/content.c): its
 * header fields, the MIME decoder fed as the body streams past, a capped
 * copy of the raw message for "full" rules, and the rules' result. */
#ifndef MAILSIFT_CONTENT_H
#define MAILSIFT_CONTENT_H

#include <stddef.h>

#include "mailsift/rules.h"

struct config;

#define CONTENT_MAX_HEADERS 2000 /* header fields kept for header rules */
#define CONTENT_LOG_LINE 900	 /* bytes of the hit-counter log line */

struct content_msg;

/* The hits of the message's rules, NULL before end of message. */
const struct rules_result *content_result(const struct content_msg *c);
void content_msg_free(struct content_msg **c);

/* Logs the hit counters of cfg's rules (those that hit, most hits first,
 * as many as fit one log line), e.g. before a reload replaces them. */
void content_log_hits(const struct config *cfg, const char *when);

/* 1 if cfg's header rules can settle reject_score at end of header
 * (early_reject, a reject_score, a scored header rule, no dry run): the
 * milter then answers end of header. */
int content_early_reject(const struct config *cfg);

#endif
