/* The check pipeline: one table of checks, run stage by stage. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mailsift/authres.h"
#include "mailsift/spamhdr.h"
#include "mailsift/check.h"
#include "mailsift/pipeline.h"
#include "mailsift/policy.h"

/* clang-format off */
static const struct check *const checks[] = {
	&check_envelope,
	&check_helo,
	&check_sender_domain,
	&check_spf,
	&check_dkim,
	&check_arc,
	&check_dmarc,
	&check_content,
};
/* clang-format on */

int check_sender_checks_apply(const struct check_ctx *ctx)
{
	unsigned skip = ctx->cfg->skip_sender_checks;

	if ((skip & SKIP_AUTHENTICATED) && ctx->msg->auth[0] != '\0')
		return 0;
	if ((skip & SKIP_TRUSTED) && ctx->conn->trusted)
		return 0;
	return 1;
}

void check_result(struct check_ctx *ctx, enum symbol_id sym, const char *fmt, ...)
{
	char detail[RESULT_DETAIL_MAX];
	va_list ap;
	int rcpt = (symbol_def(sym)->flags & SYM_PER_RCPT) ? ctx->rcpt : -1;

	if (ctx->msg == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	msg_add_result(ctx->msg, sym, rcpt, ctx->stage, detail);
}

static void internal_tempfail(const struct conn *conn, struct decision *out)
{
	const struct symbol_cfg *sc = &conn->cfg->symbols[SYM_INTERNAL_ERROR];

	out->verdict = VERDICT_TEMPFAIL;
	out->symbol = symbol_def(SYM_INTERNAL_ERROR)->name;
	out->reply = sc->reply;
	if (out->reply.code[0] != '4')
		reply_soften(&out->reply, &out->reply);
}

/* Counts incoming Authentication-Results fields and remembers those that
 * claim to be ours, for removal at end of message. */
static int note_authres(struct conn *conn, const char *value)
{
	struct msg *msg = conn->msg;
	int *n;

	msg->authres_seen++;
	if (value == NULL || !authres_claims(value, conn->cfg->authserv_id))
		return 0;
	if (msg->nauthres_ours >= MSG_MAX_EDITS)
		return -1;
	n = realloc(msg->authres_ours, (msg->nauthres_ours + 1) * sizeof(*n));
	if (n == NULL)
		return -1;
	msg->authres_ours = n;
	n[msg->nauthres_ours++] = (int)msg->authres_seen;
	return 0;
}

/* Creates what the stage needs: the transaction at MAIL, the recipient at
 * RCPT. -1 when out of memory. */
static int prepare(struct conn *conn, const struct event *ev, int *rcpt)
{
	*rcpt = -1;
	switch (ev->stage) {
	case STAGE_CONNECT: conn_set_client(conn, ev->name, ev->value); return 0;
	case STAGE_HELO: conn_set_helo(conn, ev->name); return 0;
	case STAGE_MAIL:
		if (msg_begin(conn) == NULL)
			return -1;
		dns_budget_start(&conn->msg->dns, conn->cfg->dns_budget_ms);
		return 0;
	case STAGE_RCPT:
		if (conn->msg == NULL)
			return -1;
		*rcpt = msg_add_rcpt(conn->msg, ev->argv != NULL && ev->argv[0] ? ev->argv[0] : "");
		return *rcpt < 0 ? -1 : 0;
	case STAGE_EOM:
		if (conn->msg == NULL)
			return -1;
		/* the MTA times each stage: end of message gets a budget of its own
		 * (DKIM keys), however long the DATA transfer took */
		dns_budget_start(&conn->msg->dns, conn->cfg->dns_budget_ms);
		return 0;
	case STAGE_HEADER:
		if (conn->msg == NULL)
			return -1;
		conn->msg->header_count++;
		/* copies of our own status header are removed at end of message */
		if (conn->cfg->status_header != NULL && ev->name != NULL &&
		    strcasecmp(ev->name, conn->cfg->status_header) == 0)
			conn->msg->status_headers_seen++;
		spamhdr_note(conn->msg, ev->name);
		if (ev->name != NULL && strcasecmp(ev->name, AUTHRES_HEADER) == 0)
			return note_authres(conn, ev->value);
		return 0;
	default: return conn->msg == NULL ? -1 : 0;
	}
}

static void remember_qid(struct msg *msg, const char *qid)
{
	if (msg != NULL && qid != NULL && qid[0] != '\0')
		sanitize(msg->qid, sizeof(msg->qid), qid);
}

void pipeline_run(struct conn *conn, const struct event *ev, struct decision *out)
{
	struct check_ctx ctx;

	memset(out, 0, sizeof(*out));
	out->verdict = VERDICT_CONTINUE;
	if (prepare(conn, ev, &ctx.rcpt) < 0) {
		internal_tempfail(conn, out);
		return;
	}
	remember_qid(conn->msg, ev->qid);
	ctx.conn = conn;
	ctx.msg = conn->msg;
	ctx.cfg = conn->cfg;
	ctx.stage = ev->stage;
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++)
		if (checks[i]->hooks[ev->stage] != NULL)
			checks[i]->hooks[ev->stage](&ctx, ev);
	if (ev->stage == STAGE_RCPT && conn->msg->results_dropped > 0) {
		/* a result that could not be kept might have refused this one */
		struct rcpt *r = &conn->msg->rcpts[ctx.rcpt];
		internal_tempfail(conn, out);
		r->verdict = out->verdict;
		r->reply = out->reply;
		r->symbol = out->symbol;
	} else if (ev->stage == STAGE_RCPT)
		policy_rcpt(conn, conn->msg, ctx.rcpt, out);
	else if (ev->stage == STAGE_EOH)
		policy_eoh(conn, conn->msg, out);
	else if (ev->stage == STAGE_EOM)
		policy_eom(conn, conn->msg, out);
	if (log_debug_enabled() && ev->stage != STAGE_HEADER && ev->stage != STAGE_BODY)
		log_debug("conn %lu: %s: %s%s%s (%zu results)", conn->id, stage_name(ev->stage),
			  verdict_name(out->verdict), out->symbol ? " by " : "",
			  out->symbol ? out->symbol : "", conn->msg ? conn->msg->nresults : 0);
}
