/* ARC (RFC 8617): the chain of a forwarded message is validated as it
 * streams past, like DKIM. Its result goes into Authentication-Results;
 * a passing chain sealed by a domain on arc_trusted_sealers lets DMARC
 * record, not enforce, a failure the forwarding caused. */
#include "config.h"

#include <string.h>

#include "mailsift/arcverify.h"
#include "mailsift/check.h"
#include "mailsift/strset.h"

static void arc_header(struct check_ctx *ctx, const struct event *ev)
{
	struct msg *msg = ctx->msg;

	if (!ctx->cfg->arc_check || ev->name == NULL || ev->value == NULL)
		return;
	if (msg->arc == NULL && msg->header_count == 1)
		msg->arc = arcverify_begin(ctx->cfg->resolver, &msg->dns);
	if (msg->arc != NULL)
		arcverify_header(msg->arc, ev->name, ev->value);
}

static void arc_eoh(struct check_ctx *ctx, const struct event *ev)
{
	(void)ev;
	if (ctx->msg->arc != NULL)
		arcverify_eoh(ctx->msg->arc);
}

static void arc_body(struct check_ctx *ctx, const struct event *ev)
{
	if (ctx->msg->arc != NULL)
		arcverify_body(ctx->msg->arc, ev->data, ev->len);
}

/* A passing chain one of whose sealers we trust to have checked the
 * message before it changed it. */
static int trusted(const struct config *cfg, const struct arc_result *r)
{
	if (r->cv != ARC_CV_PASS)
		return 0;
	for (unsigned i = 0; i < r->nsets; i++)
		if (r->sets[i].as_domain[0] != '\0' &&
		    strset_has(cfg->arc_trusted_sealers, r->sets[i].as_domain,
			       strlen(r->sets[i].as_domain)))
			return 1;
	return 0;
}

static void arc_eom(struct check_ctx *ctx, const struct event *ev)
{
	static const enum symbol_id symbol_of[] = {
		[ARC_CV_NONE] = SYM_COUNT, /* nothing to say */
		[ARC_CV_PASS] = SYM_ARC_PASS,
		[ARC_CV_FAIL] = SYM_ARC_FAIL,
		[ARC_CV_TEMPERROR] = SYM_ARC_TEMPERROR,
	};
	struct msg *msg = ctx->msg;
	struct arc_result r;

	(void)ev;
	if (msg->arc == NULL)
		return;
	arcverify_eom(msg->arc, &r);
	msg->has_arc = r.cv != ARC_CV_NONE;
	if (msg->has_arc && arcverify_authres(&r, msg->arc_authres, sizeof(msg->arc_authres)) < 0)
		snprintf(msg->arc_authres, sizeof(msg->arc_authres), "arc=%s", arc_cv_name(r.cv));
	msg->arc_trusted = trusted(ctx->cfg, &r);
	if (symbol_of[r.cv] != SYM_COUNT)
		check_result(ctx, symbol_of[r.cv], "%u sets, sealed by %s%s%s", r.nsets,
			     r.nsets > 0 ? r.sets[r.nsets - 1].as_domain : "",
			     r.reason[0] != '\0' ? ": " : "", r.reason);
	arcverify_end(&msg->arc);
}

const struct check check_arc = {
	.name = "arc",
	.hooks = {[STAGE_HEADER] = arc_header,
		  [STAGE_EOH] = arc_eoh,
		  [STAGE_BODY] = arc_body,
		  [STAGE_EOM] = arc_eom},
};
