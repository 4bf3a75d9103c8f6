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

void authres_value(const struct config *cfg, const struct msg *msg, struct strbuf *out)
{
	sb_puts(out, cfg->authserv_id);
	if (!msg->has_spf && !msg->has_spf_helo) {
		sb_puts(out, "; none");
		return;
	}
	if (msg->has_spf)
		spf_entry(&msg->spf, msg->sender.null, out);
	if (msg->has_spf_helo)
		spf_entry(&msg->spf_helo, 1, out);
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
	if (!msg->has_spf && !msg->has_spf_helo)
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
