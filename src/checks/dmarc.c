/* DMARC: the RFC5322.From domains are collected from the header, and at end
 * of message, once SPF and DKIM are known, each is evaluated. Failures are
 * enforced as the domain's policy asks, unless the sender is on
 * dmarc_override (mailing lists and forwarders break SPF and DKIM). */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "mailsift/check.h"
#include "mailsift/dmarc.h"
#include "mailsift/msgfile.h"
#include "mailsift/strset.h"

static void add_from(void *arg, const char *addr)
{
	struct msg *msg = arg;
	const char *at = strrchr(addr, '@');
	size_t len;

	msg->from_addresses++;
	if (at == NULL || msg->nfrom_domains >= MSG_MAX_FROM_DOMAINS)
		return;
	len = strcspn(at + 1, ">");
	if (len == 0 || len >= sizeof(msg->from_domains[0]))
		return;
	for (size_t i = 0; i < msg->nfrom_domains; i++)
		if (strncasecmp(msg->from_domains[i], at + 1, len) == 0 &&
		    msg->from_domains[i][len] == '\0')
			return;
	/* dmarc_evaluate() lower-cases it */
	memcpy(msg->from_domains[msg->nfrom_domains], at + 1, len);
	msg->from_domains[msg->nfrom_domains++][len] = '\0';
}

static void dmarc_header(struct check_ctx *ctx, const struct event *ev)
{
	if (ev->name == NULL || ev->value == NULL || strcasecmp(ev->name, "From") != 0)
		return;
	ctx->msg->from_fields++;
	msgfile_each_address(ev->value, add_from, ctx->msg);
}

/* name is domain or one of its subdomains. */
static int listed(const struct strset *set, const char *name)
{
	for (const char *p = name; p != NULL && *p != '\0';) {
		if (strset_has(set, p, strlen(p)))
			return 1;
		p = strchr(p, '.');
		p = p != NULL ? p + 1 : NULL;
	}
	return 0;
}

/* Mail that reaches only postmaster or abuse (exempt_recipients) is taken
 * whatever its sender, as RFC 5321 4.5.1 wants: a failure is recorded. */
static int only_exempt_rcpts(const struct msg *msg)
{
	size_t accepted = 0;

	for (size_t i = 0; i < msg->nrcpts; i++) {
		if (msg->rcpts[i].verdict >= VERDICT_TEMPFAIL)
			continue;
		if (!msg->rcpts[i].exempt)
			return 0;
		accepted++;
	}
	return accepted > 0;
}

/* The sender as dmarc_override knows it: the MAIL FROM domain, the
 * client's verified host name, or the d= of a passing DKIM signature (a
 * list re-signs with its own). */
static int overridden(const struct check_ctx *ctx)
{
	const struct strset *set = ctx->cfg->dmarc_override;
	const struct msg *msg = ctx->msg;

	if (msg->arc_trusted || only_exempt_rcpts(msg))
		return 1;
	if (strset_count(set) == 0)
		return 0;
	if (listed(set, msg->sender.domain) || listed(set, ctx->conn->client_name))
		return 1;
	for (size_t i = 0; i < msg->ndkim_sigs; i++)
		if (msg->dkim_sigs[i].result == DKIMR_PASS && listed(set, msg->dkim_sigs[i].domain))
			return 1;
	return 0;
}

/* pct sampling (RFC 7489 6.6.4): 0..99. */
static unsigned sample(void)
{
	unsigned r;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = (unsigned)time(NULL) ^ (unsigned)(uintptr_t)&r;
	return r % 100;
}

static enum symbol_id failure_symbol(const struct check_ctx *ctx, struct dmarc_outcome *o)
{
	if (o->disposition == DMARC_P_NONE)
		return SYM_DMARC_FAIL;
	if (overridden(ctx)) {
		o->overridden = 1;
		return SYM_DMARC_OVERRIDE;
	}
	return o->disposition == DMARC_P_REJECT ? SYM_DMARC_REJECT : SYM_DMARC_QUARANTINE;
}

static void report(struct check_ctx *ctx, struct dmarc_outcome *o)
{
	switch (o->result) {
	case DMARCR_PASS: check_result(ctx, SYM_DMARC_PASS, "%s", o->from_domain); break;
	case DMARCR_NONE: check_result(ctx, SYM_DMARC_NONE, "%s", o->from_domain); break;
	case DMARCR_TEMPERROR:
		if (!o->spf_aligned && !o->dkim_aligned)
			check_result(ctx, SYM_DMARC_TEMPERROR, "%s", o->from_domain);
		break;
	case DMARCR_PERMERROR: check_result(ctx, SYM_DMARC_BAD_FROM, "%s", o->reason); break;
	case DMARCR_FAIL: check_result(ctx, failure_symbol(ctx, o), "%s", o->from_domain); break;
	}
}

static void dmarc_eom(struct check_ctx *ctx, const struct event *ev)
{
	struct msg *msg = ctx->msg;
	struct dmarc_auth auth = {
		.spf = msg->has_spf ? msg->spf.result : SPFR_NONE,
		.spf_domain = msg->has_spf ? msg->spf.domain : NULL,
		.dkim = msg->dkim_sigs,
		.ndkim = msg->ndkim_sigs,
	};

	(void)ev;
	if (!ctx->cfg->dmarc_check || ctx->cfg->psl == NULL || !check_sender_checks_apply(ctx))
		return;
	if (msg->nfrom_domains == 0) {
		struct dmarc_outcome *o = &msg->dmarc[msg->ndmarc++];

		memset(o, 0, sizeof(*o));
		o->result = DMARCR_PERMERROR;
		snprintf(o->reason, sizeof(o->reason), "%s",
			 msg->from_fields == 0 ? "no From field" : "no From domain");
		report(ctx, o);
		return;
	}
	/* RFC 7489 6.6.1: several From fields are scored; each domain is still
	 * evaluated, so the strictest policy among them applies */
	if (msg->from_fields > 1)
		check_result(ctx, SYM_DMARC_BAD_FROM, "several From fields");
	for (size_t i = 0; i < msg->nfrom_domains && msg->ndmarc < MSG_MAX_FROM_DOMAINS; i++) {
		struct dmarc_outcome *o = &msg->dmarc[msg->ndmarc++];

		dmarc_evaluate(ctx->cfg->resolver, &msg->dns, ctx->cfg->psl, msg->from_domains[i],
			       &auth, sample(), o);
		report(ctx, o);
	}
}

const struct check check_dmarc = {
	.name = "dmarc",
	.hooks = {[STAGE_HEADER] = dmarc_header, [STAGE_EOM] = dmarc_eom},
};
