/* SPF for the MAIL FROM identity (postmaster@HELO for the null sender),
 * evaluated at MAIL FROM and answered at RCPT like the other sender
 * checks. The outcome also feeds Authentication-Results and Received-SPF. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mailsift/check.h"
#include "mailsift/spf.h"

static const enum symbol_id symbol_of[] = {
	[SPFR_NONE] = SYM_SPF_NONE,	      [SPFR_NEUTRAL] = SYM_SPF_NEUTRAL,
	[SPFR_PASS] = SYM_SPF_PASS,	      [SPFR_FAIL] = SYM_SPF_FAIL,
	[SPFR_SOFTFAIL] = SYM_SPF_SOFTFAIL,   [SPFR_TEMPERROR] = SYM_SPF_TEMPERROR,
	[SPFR_PERMERROR] = SYM_SPF_PERMERROR,
};

static int is_loopback(const char *ip)
{
	return strncmp(ip, "127.", 4) == 0 || strcmp(ip, "::1") == 0 ||
	       strncasecmp(ip, "::ffff:127.", 11) == 0;
}

/* RFC 7208 2.3: the HELO identity on its own, when it is a domain name.
 * (For the null sender the MAIL FROM check is already postmaster@HELO.) */
static void check_helo_identity(struct check_ctx *ctx, struct spf_request *req)
{
	struct msg *msg = ctx->msg;
	int literal;

	if (req->helo == NULL || addr_domain_valid(req->helo, 0, &literal) != ADDR_OK || literal ||
	    strchr(req->helo, '.') == NULL)
		return;
	req->mailfrom = "";
	spf_evaluate(ctx->cfg->resolver, &msg->dns, req, &msg->spf_helo);
	msg->has_spf_helo = 1;
	if (msg->spf_helo.result == SPFR_FAIL)
		check_result(ctx, SYM_SPF_HELO_FAIL, "%s",
			     msg->spf_helo.explanation[0] ? msg->spf_helo.explanation
							  : msg->spf_helo.reason);
}

static void spf_check_mail(struct check_ctx *ctx, const struct event *ev)
{
	struct msg *msg = ctx->msg;
	char mailfrom[ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 2] = "";
	struct spf_request req = {.ip = ctx->conn->client_addr,
				  .helo = ctx->conn->helo[0] ? ctx->conn->helo : NULL,
				  .receiver = ctx->cfg->authserv_id};

	(void)ev;
	if (!ctx->cfg->spf_check || msg->sender_status != ADDR_OK ||
	    ctx->conn->client_addr[0] == '\0' || !check_sender_checks_apply(ctx))
		return;
	/* libspf2 passes every loopback client: that would be no SPF result at
	 * all, so a loopback client outside trusted_networks is not evaluated */
	if (is_loopback(ctx->conn->client_addr))
		return;
	if (!msg->sender.null) {
		char domain[ADDR_DOMAIN_MAX + 1];

		if (addr_domain_ascii(msg->sender.domain, domain, sizeof(domain)) < 0)
			return;
		snprintf(mailfrom, sizeof(mailfrom), "%s@%s", msg->sender.local, domain);
	}
	if (ctx->cfg->spf_helo_check && !msg->sender.null)
		check_helo_identity(ctx, &req);
	req.mailfrom = mailfrom;
	spf_evaluate(ctx->cfg->resolver, &msg->dns, &req, &msg->spf);
	msg->has_spf = 1;
	check_result(ctx, symbol_of[msg->spf.result], "%s",
		     msg->spf.result == SPFR_FAIL && msg->spf.explanation[0] ? msg->spf.explanation
									     : msg->spf.reason);
}

const struct check check_spf = {
	.name = "spf",
	.hooks = {[STAGE_MAIL] = spf_check_mail},
};
