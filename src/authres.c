/* Authentication-Results. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mailsift/authres.h"

/* A comment's text: printable ASCII without parentheses or backslashes. */
static void put_comment(struct strbuf *sb, const char *text)
{
	sb_puts(sb, " (");
	for (const char *p = text; *p; p++)
		sb_putc(sb, (*p < 0x20 || *p > 0x7e || *p == '(' || *p == ')' || *p == '\\') ? ' '
											     : *p);
	sb_putc(sb, ')');
}

static void spf_entry(const struct spf_outcome *o, int helo, struct strbuf *sb)
{
	sb_printf(sb, "; spf=%s", spf_result_name(o->result));
	if (o->reason[0] != '\0')
		put_comment(sb, o->reason);
	if (helo)
		sb_printf(sb, " smtp.helo=%s", o->domain);
	else
		sb_printf(sb, " smtp.mailfrom=%s", o->identity);
}

/* RFC 8601 2.7.1: header.d, header.s, header.i and the first 8
 * characters of header.b to tell signatures of one domain apart. */
static void dkim_entries(const struct msg *msg, struct strbuf *sb)
{
	for (size_t i = 0; i < msg->ndkim_sigs; i++) {
		const struct dkim_sig_result *r = &msg->dkim_sigs[i];

		sb_printf(sb, "; dkim=%s", dkim_result_name(r->result));
		put_comment(sb, r->reason);
		if (r->domain[0] != '\0')
			sb_printf(sb, " header.d=%s", r->domain);
		if (r->selector[0] != '\0')
			sb_printf(sb, " header.s=%s", r->selector);
		if (r->identity[0] != '\0')
			sb_printf(sb, " header.i=%s", r->identity);
		if (r->b[0] != '\0')
			sb_printf(sb, " header.b=%s", r->b);
	}
}

/* RFC 7489 11.2: the policy comment and header.from, one entry per From
 * domain. */
static void dmarc_entries(const struct msg *msg, struct strbuf *sb)
{
	for (size_t i = 0; i < msg->ndmarc; i++) {
		const struct dmarc_outcome *o = &msg->dmarc[i];
		char comment[160];

		sb_printf(sb, "; dmarc=%s", dmarc_result_name(o->result));
		if (o->result == DMARCR_PASS || o->result == DMARCR_FAIL)
			snprintf(comment, sizeof(comment), "p=%s sp=%s pct=%u dis=%s%s",
				 dmarc_policy_name(o->rec.p), dmarc_policy_name(o->rec.sp),
				 o->rec.pct,
				 dmarc_policy_name(o->overridden ? DMARC_P_NONE : o->disposition),
				 o->overridden ? " local override" : "");
		else
			snprintf(comment, sizeof(comment), "%s", o->reason);
		put_comment(sb, comment);
		if (o->from_domain[0] != '\0')
			sb_printf(sb, " header.from=%s", o->from_domain);
	}
}

static int authenticated_anything(const struct msg *msg)
{
	return msg->has_spf || msg->has_spf_helo || msg->ndkim_sigs > 0 || msg->has_arc ||
	       msg->ndmarc > 0;
}

void authres_value(const struct config *cfg, const struct msg *msg, struct strbuf *out)
{
	sb_puts(out, cfg->authserv_id);
	if (!authenticated_anything(msg)) {
		sb_puts(out, "; none");
		return;
	}
	if (msg->has_spf)
		spf_entry(&msg->spf, msg->sender.null, out);
	if (msg->has_spf_helo)
		spf_entry(&msg->spf_helo, 1, out);
	dkim_entries(msg, out);
	if (msg->arc_authres[0] != '\0')
		sb_printf(out, "; %s", msg->arc_authres);
	dmarc_entries(msg, out);
}

/* Skips white space and (nested) comments. */
static const char *skip_cfws(const char *p)
{
	for (;;) {
		p += strspn(p, " \t\r\n");
		if (*p != '(')
			return p;
		for (int depth = 0; *p; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '(')
				depth++;
			else if (*p == ')' && --depth == 0) {
				p++;
				break;
			}
		}
	}
}

int authres_claims(const char *value, const char *authserv_id)
{
	const char *p = skip_cfws(value);
	size_t n = strcspn(p, "; \t\r\n(");

	return n == strlen(authserv_id) && strncasecmp(p, authserv_id, n) == 0;
}

int authres_edits(const struct config *cfg, struct msg *msg)
{
	struct strbuf sb;
	int rc = 0;

	/* a forged claim to our authserv-id must not reach anyone downstream */
	for (size_t i = msg->nauthres_ours; i > 0 && rc == 0; i--)
		rc = msg_add_edit(msg, HDR_DELETE, AUTHRES_HEADER, NULL, msg->authres_ours[i - 1]);
	if (!authenticated_anything(msg))
		return rc; /* nothing was authenticated: nothing to report */
	if (rc == 0 && msg->has_spf && cfg->received_spf_header && msg->spf.received_spf[0])
		rc = msg_add_edit(msg, HDR_INSERT, "Received-SPF", msg->spf.received_spf, 0);
	sb_init(&sb, 998);
	authres_value(cfg, msg, &sb);
	if (rc == 0)
		rc = sb.failed ? -1 : msg_add_edit(msg, HDR_INSERT, AUTHRES_HEADER, sb_str(&sb), 0);
	sb_free(&sb);
	return rc;
}
