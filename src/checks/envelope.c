/* Envelope checks: sender and recipient syntax, unknown local recipients,
 * relaying. Sender problems are found at MAIL FROM but answered at RCPT
 * (like Postfix's smtpd_delay_reject), so postmaster and abuse can still
 * be reached and the log names the recipient. */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "mailsift/check.h"
#include "mailsift/rcptmap.h"
#include "mailsift/strset.h"

/* RFC 6531: the client announced SMTPUTF8 among the MAIL FROM parameters. */
static int has_smtputf8(char **argv)
{
	for (size_t i = 1; argv != NULL && argv[i] != NULL; i++)
		if (strcasecmp(argv[i], "SMTPUTF8") == 0)
			return 1;
	return 0;
}

static void envelope_mail(struct check_ctx *ctx, const struct event *ev)
{
	struct msg *msg = ctx->msg;
	const char *path = ev->argv != NULL && ev->argv[0] != NULL ? ev->argv[0] : "";

	msg->smtputf8 = has_smtputf8(ev->argv);
	if (ev->auth != NULL)
		sanitize(msg->auth, sizeof(msg->auth), ev->auth);
	msg->sender_path = strndup(path, ADDR_PATH_MAX + 2);
	msg->sender_status =
		addr_parse_path(path, strlen(path), msg->smtputf8 ? ADDR_UTF8 : 0, &msg->sender);
	if (msg->sender_path == NULL) {
		check_result(ctx, SYM_INTERNAL_ERROR, "out of memory");
		return;
	}
	if (msg->sender_status != ADDR_OK && check_sender_checks_apply(ctx))
		check_result(ctx, SYM_SENDER_SYNTAX, "%s", addr_strerror(msg->sender_status));
}

/* RFC 5321 4.5.1: "postmaster" without a domain must be accepted. */
static int is_bare_postmaster(const char *path)
{
	return strcasecmp(path, "<postmaster>") == 0 || strcasecmp(path, "postmaster") == 0;
}

static int is_local_domain(const struct config *cfg, const struct addr *a)
{
	return strset_has(cfg->local_domains, a->domain, a->domain_len);
}

static void classify_rcpt(struct check_ctx *ctx, struct rcpt *r)
{
	const struct config *cfg = ctx->cfg;
	char base[ADDR_LOCAL_MAX + 1];

	r->local = is_local_domain(cfg, &r->addr);
	rcptmap_base_local(&r->addr, cfg->recipient_delimiter, base);
	/* with no local_domains the MTA decides what is local: any domain's
	 * postmaster is exempt then */
	r->exempt = (r->local || strset_count(cfg->local_domains) == 0) &&
		    strset_has(cfg->exempt_recipients, base, strlen(base));
}

static void envelope_rcpt(struct check_ctx *ctx, const struct event *ev)
{
	const struct config *cfg = ctx->cfg;
	struct rcpt *r = &ctx->msg->rcpts[ctx->rcpt];
	(void)ev;

	if ((size_t)ctx->rcpt >= cfg->max_recipients) {
		check_result(ctx, SYM_TOO_MANY_RCPTS, "limit %zu", cfg->max_recipients);
		return;
	}
	if (is_bare_postmaster(r->path)) {
		r->exempt = 1;
		r->local = 1;
		return;
	}
	r->status = addr_parse_path(r->path, strlen(r->path), ctx->msg->smtputf8 ? ADDR_UTF8 : 0,
				    &r->addr);
	if (r->status == ADDR_OK && r->addr.null)
		r->status = ADDR_E_EMPTY; /* <> is a sender, never a recipient */
	if (r->status != ADDR_OK) {
		check_result(ctx, SYM_RCPT_SYNTAX, "%s", addr_strerror(r->status));
		return;
	}
	classify_rcpt(ctx, r);
	if (r->local) {
		if (cfg->recipient_map != NULL && strcasecmp(r->addr.local, "postmaster") != 0 &&
		    !rcptmap_match(cfg->recipient_map, &r->addr, cfg->recipient_delimiter))
			check_result(ctx, SYM_RCPT_UNKNOWN, "not in recipient_map");
		return;
	}
	/* an empty local_domains means the MTA alone decides what is local */
	if (strset_count(cfg->local_domains) > 0 && ctx->msg->auth[0] == '\0' &&
	    !ctx->conn->trusted)
		check_result(ctx, SYM_RELAY_DENIED, "domain %s is not local", r->addr.domain);
}

const struct check check_envelope = {
	.name = "envelope",
	.hooks = {[STAGE_MAIL] = envelope_mail, [STAGE_RCPT] = envelope_rcpt},
};
