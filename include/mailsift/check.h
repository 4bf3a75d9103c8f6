/* The interface every check implements: a name and per-stage hooks. A hook
 * adds named results to the message; it never talks to the MTA and never
 * decides the verdict (policy.c does). */
#ifndef MAILSIFT_CHECK_H
#define MAILSIFT_CHECK_H

#include "mailsift/log.h"
#include "mailsift/pipeline.h"
#include "mailsift/session.h"

struct check_ctx {
	struct conn *conn;
	struct msg *msg; /* NULL before MAIL FROM */
	const struct config *cfg;
	int rcpt; /* index of the recipient at STAGE_RCPT, else -1 */
	enum stage stage;
};

typedef void (*check_hook)(struct check_ctx *ctx, const struct event *ev);

struct check {
	const char *name;
	check_hook hooks[STAGE_COUNT];
};

/* Adds a result for sym; per-recipient symbols attach to ctx->rcpt. */
void check_result(struct check_ctx *ctx, enum symbol_id sym, const char *fmt, ...) MS_PRINTF(3, 4);

/* 0 when the client is exempt from sender checks (authenticated or in
 * trusted_networks, as skip_sender_checks says). */
int check_sender_checks_apply(const struct check_ctx *ctx);

extern const struct check check_envelope;
extern const struct check check_helo;
extern const struct check check_sender_domain;
extern const struct check check_spf;
extern const struct check check_dkim;
extern const struct check check_arc;
extern const struct check check_dmarc;
extern const struct check check_content;

#endif
