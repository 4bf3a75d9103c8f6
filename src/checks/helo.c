/* HELO/EHLO name checks: the name must be a domain or an address literal
 * (RFC 5321 4.1.1.1), and an outside client must not claim to be us (one
 * of own_names, authserv_id, a local domain, or an address in
 * own_networks). Found at MAIL FROM, answered at RCPT. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mailsift/check.h"
#include "mailsift/cidr.h"
#include "mailsift/strset.h"

/* The address inside "[a.b.c.d]" or "[IPv6:...]", or NULL. */
static const char *literal_ip(const char *helo, char *buf, size_t len)
{
	size_t n = strlen(helo);

	if (n < 3 || helo[0] != '[' || helo[n - 1] != ']' || n - 2 >= len)
		return NULL;
	memcpy(buf, helo + 1, n - 2);
	buf[n - 2] = '\0';
	return strncasecmp(buf, "IPv6:", 5) == 0 ? buf + 5 : buf;
}

static int claims_us(const struct config *cfg, const char *helo)
{
	char ip[128];
	const char *lit = literal_ip(helo, ip, sizeof(ip));
	size_t n = strlen(helo);

	if (lit != NULL)
		return cidr_list_match(cfg->own_networks, lit);
	if (n > 0 && helo[n - 1] == '.')
		n--; /* a final dot names the same host */
	return strset_has(cfg->own_names, helo, n) || strset_has(cfg->local_domains, helo, n) ||
	       (strlen(cfg->authserv_id) == n && strncasecmp(cfg->authserv_id, helo, n) == 0);
}

static void helo_mail(struct check_ctx *ctx, const struct event *ev)
{
	const char *helo = ctx->conn->helo;
	int literal;

	(void)ev;
	if (!ctx->cfg->helo_check || helo[0] == '\0' || !check_sender_checks_apply(ctx))
		return;
	if (addr_domain_valid(helo, ADDR_UTF8, &literal) != ADDR_OK)
		check_result(ctx, SYM_HELO_SYNTAX, "HELO %s", helo);
	if (claims_us(ctx->cfg, helo))
		check_result(ctx, SYM_HELO_FORGED, "%s", helo);
}

const struct check check_helo = {
	.name = "helo",
	.hooks = {[STAGE_MAIL] = helo_mail},
};
