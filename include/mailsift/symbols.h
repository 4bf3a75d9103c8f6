/* The named results checks can add, with their default action, reply and
 * score. Configuration overrides them per symbol (action.NAME, reply.NAME,
 * score.NAME). */
#ifndef MAILSIFT_SYMBOLS_H
#define MAILSIFT_SYMBOLS_H

#include "mailsift/verdict.h"

enum symbol_id {
	SYM_SENDER_SYNTAX,
	SYM_RCPT_SYNTAX,
	SYM_RCPT_UNKNOWN,
	SYM_RELAY_DENIED,
	SYM_TOO_MANY_RCPTS,
	SYM_SENDER_DOMAIN_UNKNOWN,
	SYM_SENDER_NULL_MX,
	SYM_SENDER_DOMAIN_TEMPFAIL,
	SYM_SPF_PASS,
	SYM_SPF_FAIL,
	SYM_SPF_SOFTFAIL,
	SYM_SPF_NEUTRAL,
	SYM_SPF_NONE,
	SYM_SPF_PERMERROR,
	SYM_SPF_TEMPERROR,
	SYM_SPF_HELO_FAIL,
	SYM_DKIM_PASS,
	SYM_DKIM_FAIL,
	SYM_DKIM_NEUTRAL,
	SYM_DKIM_POLICY,
	SYM_DKIM_TEMPERROR,
	SYM_DKIM_PERMERROR,
	SYM_ARC_PASS,
	SYM_ARC_FAIL,
	SYM_ARC_TEMPERROR,
	SYM_DMARC_PASS,
	SYM_DMARC_REJECT,
	SYM_DMARC_QUARANTINE,
	SYM_DMARC_FAIL,
	SYM_DMARC_NONE,
	SYM_DMARC_TEMPERROR,
	SYM_DMARC_BAD_FROM,
	SYM_DMARC_OVERRIDE,
	SYM_MIME_BROKEN,
	SYM_CONTENT_LIMIT,
	SYM_SCORE_REJECT,
	SYM_SCORE_TEMPFAIL,
	SYM_SCORE_QUARANTINE,
	SYM_HELO_SYNTAX,
	SYM_HELO_FORGED,
	SYM_INTERNAL_ERROR,
	SYM_COUNT
};

enum symbol_flags {
	SYM_SENDER_CHECK = 1 << 0, /* a sender check: skipped for exempt recipients */
	SYM_PER_RCPT = 1 << 1,	   /* judged per recipient at RCPT */
};

struct symbol_def {
	const char *name;
	enum action action;
	const char *reply; /* "CODE X.Y.Z text" */
	double score;
	unsigned flags;
	const char *describe;
};

const struct symbol_def *symbol_def(enum symbol_id id);
/* -1 if no symbol has that name. */
int symbol_lookup(const char *name);

#endif
