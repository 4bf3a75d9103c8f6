/* Results + scores + configuration -> verdicts, SMTP replies and header
 * changes. The only place that decides. */
#ifndef MAILSIFT_POLICY_H
#define MAILSIFT_POLICY_H

#include "mailsift/pipeline.h"
#include "mailsift/session.h"

/* The answer to one RCPT TO, recorded in msg->rcpts[rcpt] too. */
void policy_rcpt(const struct conn *conn, struct msg *msg, int rcpt, struct decision *out);
/* The answer at end of header: a reject only, when the score already
 * reached cannot fall below reject_score (early_reject); else continue. */
void policy_eoh(const struct conn *conn, struct msg *msg, struct decision *out);
/* The answer at end of message; header changes go to msg->edits. */
void policy_eom(const struct conn *conn, struct msg *msg, struct decision *out);

/* Expands %{sender}, %{rcpt}, %{ip}, %{symbol}, %{detail} and %% in a
 * reply template into printable ASCII. */
void policy_expand(const char *tmpl, const struct conn *conn, const struct msg *msg, int rcpt,
		   const struct result *res, char *out, size_t outlen);
/* 0 if every %{...} in tmpl is known, else -1 with *error_r. */
int policy_template_valid(const char *tmpl, const char **error_r);

#endif
