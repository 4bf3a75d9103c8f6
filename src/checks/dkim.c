/* DKIM: every signature verified as the message streams past (headers,
 * body chunks), the results decided at end of message. No reject on DKIM
 * alone by default: failures are scored, and feed Authentication-Results. */
#include "config.h"

#include "mailsift/check.h"
#include "mailsift/dkimverify.h"

static const enum symbol_id symbol_of[] = {
	[DKIMR_PASS] = SYM_DKIM_PASS,		[DKIMR_FAIL] = SYM_DKIM_FAIL,
	[DKIMR_NEUTRAL] = SYM_DKIM_NEUTRAL,	[DKIMR_POLICY] = SYM_DKIM_POLICY,
	[DKIMR_TEMPERROR] = SYM_DKIM_TEMPERROR, [DKIMR_PERMERROR] = SYM_DKIM_PERMERROR,
};

static void dkim_header(struct check_ctx *ctx, const struct event *ev)
{
	struct msg *msg = ctx->msg;

	if (!ctx->cfg->dkim_check || ctx->cfg->dkim == NULL || ev->name == NULL ||
	    ev->value == NULL)
		return;
	if (msg->dkim == NULL && msg->header_count == 1)
		msg->dkim = dkimverify_begin(ctx->cfg->dkim, &msg->dns);
	if (msg->dkim != NULL)
		dkimverify_header(msg->dkim, ev->name, ev->value);
}

static void dkim_eoh(struct check_ctx *ctx, const struct event *ev)
{
	(void)ev;
	if (ctx->msg->dkim != NULL)
		dkimverify_eoh(ctx->msg->dkim);
}

static void dkim_body(struct check_ctx *ctx, const struct event *ev)
{
	if (ctx->msg->dkim != NULL)
		dkimverify_body(ctx->msg->dkim, ev->data, ev->len);
}

static void dkim_eom(struct check_ctx *ctx, const struct event *ev)
{
	struct msg *msg = ctx->msg;

	(void)ev;
	if (msg->dkim == NULL)
		return;
	msg->ndkim_sigs = dkimverify_eom(msg->dkim, msg->dkim_sigs, DKIMVERIFY_MAX_SIGS);
	for (size_t i = 0; i < msg->ndkim_sigs; i++) {
		const struct dkim_sig_result *r = &msg->dkim_sigs[i];

		check_result(ctx, symbol_of[r->result], "d=%s s=%s: %s", r->domain, r->selector,
			     r->reason);
	}
	dkimverify_end(&msg->dkim);
}

const struct check check_dkim = {
	.name = "dkim",
	.hooks = {[STAGE_HEADER] = dkim_header,
		  [STAGE_EOH] = dkim_eoh,
		  [STAGE_BODY] = dkim_body,
		  [STAGE_EOM] = dkim_eom},
};
