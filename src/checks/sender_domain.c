/* The MAIL FROM domain must be able to receive replies: an MX, else an A
 * or AAAA record (RFC 5321 5.1), and no null MX (RFC 7505). Looked up at
 * MAIL FROM, answered at RCPT like every sender check. DNS trouble is a
 * temporary result, never a rejection. */
#include "config.h"

#include <string.h>

#include "mailsift/check.h"
#include "mailsift/dns.h"

/* RFC 7505: one MX record, preference 0, exchange ".". */
static int is_null_mx(const struct dns_answer *a)
{
	char name[DNS_NAME_MAX + 1];
	size_t off = 2;

	if (a->count != 1 || a->len[0] < 3 || a->data[0][0] != 0 || a->data[0][1] != 0)
		return 0;
	return dns_wire_name(a->data[0], (size_t)a->len[0], &off, name) == 0 && name[0] == '\0';
}

static void temporary(struct check_ctx *ctx, const char *what, enum dns_status st)
{
	check_result(ctx, SYM_SENDER_DOMAIN_TEMPFAIL, "%s lookup: %s", what, dns_status_name(st));
}

/* No MX: an address record makes the domain its own implicit MX. */
static void check_address_records(struct check_ctx *ctx, const char *domain)
{
	static const int types[] = {DNS_TYPE_A, DNS_TYPE_AAAA};
	enum dns_status worst = DNS_NODATA;

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct dns_answer a;
		enum dns_status st =
			dns_query(ctx->cfg->resolver, &ctx->msg->dns, domain, types[i], &a);

		dns_answer_free(&a);
		if (st == DNS_OK)
			return;
		if (st == DNS_TEMP || st == DNS_BUDGET)
			worst = st;
	}
	if (worst != DNS_NODATA)
		temporary(ctx, "address", worst);
	else
		check_result(ctx, SYM_SENDER_DOMAIN_UNKNOWN, "no MX and no A/AAAA record for %s",
			     domain);
}

static void sender_domain_mail(struct check_ctx *ctx, const struct event *ev)
{
	const struct msg *msg = ctx->msg;
	char domain[ADDR_DOMAIN_MAX + 1];
	struct dns_answer a;
	enum dns_status st;

	(void)ev;
	if (!ctx->cfg->sender_domain_check || msg->sender_status != ADDR_OK || msg->sender.null ||
	    msg->sender.literal || !check_sender_checks_apply(ctx))
		return;
	/* an SMTPUTF8 sender's U-labels are asked for as A-labels */
	if (addr_domain_ascii(msg->sender.domain, domain, sizeof(domain)) < 0) {
		check_result(ctx, SYM_SENDER_DOMAIN_UNKNOWN, "%s is too long", msg->sender.domain);
		return;
	}
	st = dns_query(ctx->cfg->resolver, &ctx->msg->dns, domain, DNS_TYPE_MX, &a);
	switch (st) {
	case DNS_OK:
		if (is_null_mx(&a))
			check_result(ctx, SYM_SENDER_NULL_MX, "%s publishes a null MX", domain);
		break;
	case DNS_NODATA: check_address_records(ctx, domain); break;
	case DNS_NXDOMAIN:
	case DNS_BADNAME:
		check_result(ctx, SYM_SENDER_DOMAIN_UNKNOWN, "%s does not exist", domain);
		break;
	default: temporary(ctx, "MX", st); break;
	}
	dns_answer_free(&a);
}

const struct check check_sender_domain = {
	.name = "sender_domain",
	.hooks = {[STAGE_MAIL] = sender_domain_mail},
};
