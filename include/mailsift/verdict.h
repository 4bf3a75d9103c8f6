/* The vocabulary shared by checks, policy and the front ends: SMTP stages,
 * verdicts, actions and SMTP replies. */
#ifndef MAILSIFT_VERDICT_H
#define MAILSIFT_VERDICT_H

#include <stddef.h>

enum stage {
	STAGE_CONNECT,
	STAGE_HELO,
	STAGE_MAIL,
	STAGE_RCPT,
	STAGE_DATA,
	STAGE_HEADER,
	STAGE_EOH,
	STAGE_BODY,
	STAGE_EOM,
	STAGE_COUNT
};

/* Ordered by precedence: when results disagree the larger one wins. */
enum verdict {
	VERDICT_CONTINUE,
	VERDICT_ACCEPT,
	VERDICT_QUARANTINE,
	VERDICT_DISCARD,
	VERDICT_TEMPFAIL,
	VERDICT_REJECT,
};

/* What a result does when it is present. */
enum action {
	ACTION_IGNORE,	   /* nothing: not even its score */
	ACTION_SCORE,	   /* adds its score only */
	ACTION_LOG,	   /* shadow mode: log what would have happened */
	ACTION_QUARANTINE, /* hold the message in the MTA's quarantine */
	ACTION_DISCARD,	   /* accept and silently drop */
	ACTION_TEMPFAIL,   /* 4xx */
	ACTION_REJECT,	   /* 5xx */
};

#define REPLY_TEXT_MAX 400

struct reply {
	char code[4];		   /* "550" */
	char xcode[16];		   /* "5.1.7" (RFC 3463) */
	char text[REPLY_TEXT_MAX]; /* template with %{...}, or expanded text */
};

const char *stage_name(enum stage stage);
const char *verdict_name(enum verdict verdict);
const char *action_name(enum action action);
/* -1 if name is no action. */
int action_parse(const char *name);

/* Parses "CODE X.Y.Z text" and checks that the basic code and the enhanced
 * status agree in class. -1 with *error_r on failure. */
int reply_parse(const char *s, struct reply *out, const char **error_r);
/* The same reply made temporary: 5xx -> 4xx, 5.x.y -> 4.x.y. */
void reply_soften(const struct reply *in, struct reply *out);

#endif
