/* The table of known symbols. Adding a check's result = one row here. */
#include "config.h"

#include <string.h>

#include "mailsift/symbols.h"

static const struct symbol_def symbols[SYM_COUNT] = {
	[SYM_SENDER_SYNTAX] = {"sender_syntax", ACTION_REJECT,
			       "550 5.1.7 <%{sender}>: Sender address rejected: %{detail}", 0,
			       SYM_SENDER_CHECK, "MAIL FROM is not a valid RFC 5321 mailbox"},
	[SYM_RCPT_SYNTAX] = {"rcpt_syntax", ACTION_REJECT,
			     "553 5.1.3 <%{rcpt}>: Recipient address rejected: %{detail}", 0,
			     SYM_PER_RCPT, "RCPT TO is not a valid RFC 5321 mailbox"},
	[SYM_RCPT_UNKNOWN] = {"rcpt_unknown", ACTION_REJECT,
			      "550 5.1.1 <%{rcpt}>: Recipient address rejected: User unknown", 0,
			      SYM_PER_RCPT, "recipient in a local domain but not in recipient_map"},
	[SYM_RELAY_DENIED] = {"relay_denied", ACTION_REJECT,
			      "554 5.7.1 <%{rcpt}>: Relay access denied", 0, SYM_PER_RCPT,
			      "recipient outside local_domains from an untrusted client"},
	[SYM_TOO_MANY_RCPTS] = {"too_many_rcpts", ACTION_TEMPFAIL, "452 4.5.3 Too many recipients",
				0, SYM_PER_RCPT,
				"more recipients than max_recipients in one message"},
	[SYM_SENDER_DOMAIN_UNKNOWN] =
		{"sender_domain_unknown", ACTION_REJECT,
		 "550 5.1.8 <%{sender}>: Sender address rejected: Domain not found", 0,
		 SYM_SENDER_CHECK, "the MAIL FROM domain has no MX and no address (RFC 5321 5.1)"},
	[SYM_SENDER_NULL_MX] = {"sender_null_mx", ACTION_REJECT,
				"550 5.7.27 <%{sender}>: Sender address rejected: Domain does not "
				"accept mail (null MX)",
				0, SYM_SENDER_CHECK,
				"the MAIL FROM domain publishes a null MX (RFC 7505)"},
	[SYM_SENDER_DOMAIN_TEMPFAIL] =
		{"sender_domain_tempfail", ACTION_TEMPFAIL,
		 "451 4.4.3 <%{sender}>: Sender address rejected: Domain "
		 "lookup failed, try again later",
		 0, SYM_SENDER_CHECK, "the MAIL FROM domain could not be looked up (DNS trouble)"},
	[SYM_SPF_PASS] = {"spf_pass", ACTION_SCORE,
			  "550 5.7.1 <%{sender}>: Sender address rejected", 0, SYM_SENDER_CHECK,
			  "the client is a permitted sender of the MAIL FROM domain"},
	[SYM_SPF_FAIL] = {"spf_fail", ACTION_REJECT,
			  "550 5.7.23 <%{sender}>: Sender address rejected: SPF check failed: "
			  "%{detail}",
			  0, SYM_SENDER_CHECK, "SPF fail: the domain says the client may not send"},
	[SYM_SPF_SOFTFAIL] = {"spf_softfail", ACTION_SCORE,
			      "550 5.7.23 <%{sender}>: Sender address rejected: SPF softfail", 0.9,
			      SYM_SENDER_CHECK, "SPF softfail: the domain doubts the client"},
	[SYM_SPF_NEUTRAL] = {"spf_neutral", ACTION_SCORE,
			     "550 5.7.23 <%{sender}>: Sender address rejected: SPF neutral", 0.7,
			     SYM_SENDER_CHECK, "SPF neutral: the domain makes no statement"},
	[SYM_SPF_NONE] = {"spf_none", ACTION_SCORE,
			  "550 5.7.23 <%{sender}>: Sender address rejected: no SPF record", 0,
			  SYM_SENDER_CHECK, "no SPF record for the domain"},
	[SYM_SPF_PERMERROR] =
		{"spf_permerror", ACTION_SCORE,
		 "550 5.7.24 <%{sender}>: Sender address rejected: SPF record error: "
		 "%{detail}",
		 0.5, SYM_SENDER_CHECK,
		 "the domain's SPF record is broken (scored, not rejected, by default)"},
	[SYM_SPF_TEMPERROR] =
		{"spf_temperror", ACTION_TEMPFAIL,
		 "451 4.7.24 <%{sender}>: Sender address rejected: SPF lookup failed, "
		 "try again later",
		 0, SYM_SENDER_CHECK, "SPF could not be evaluated: DNS trouble"},
	[SYM_SPF_HELO_FAIL] = {"spf_helo_fail", ACTION_SCORE,
			       "550 5.7.23 Helo command rejected: SPF check failed for the HELO "
			       "name: %{detail}",
			       1.0, SYM_SENDER_CHECK,
			       "SPF fail for the HELO identity (RFC 7208 2.3): scored by default"},
	[SYM_DKIM_PASS] = {"dkim_pass", ACTION_SCORE, "550 5.7.20 Message rejected", 0, 0,
			   "a DKIM signature verified"},
	[SYM_DKIM_FAIL] = {"dkim_fail", ACTION_SCORE,
			   "550 5.7.20 Message rejected: DKIM signature failed: %{detail}", 1.0, 0,
			   "a DKIM signature or body hash does not verify (scored, never rejected "
			   "alone by default)"},
	[SYM_DKIM_NEUTRAL] = {"dkim_neutral", ACTION_SCORE,
			      "550 5.7.20 Message rejected: unusable DKIM signature", 0, 0,
			      "a DKIM signature that cannot be checked (syntax)"},
	[SYM_DKIM_POLICY] = {"dkim_policy", ACTION_SCORE,
			     "550 5.7.20 Message rejected: DKIM signature not acceptable", 0, 0,
			     "a DKIM signature that verifies but is not acceptable (expired, ...)"},
	[SYM_DKIM_TEMPERROR] = {"dkim_temperror", ACTION_SCORE,
				"451 4.7.5 DKIM key lookup failed, try again later", 0, 0,
				"the DKIM key could not be fetched: DNS trouble (not a pass)"},
	[SYM_DKIM_PERMERROR] = {"dkim_permerror", ACTION_SCORE,
				"550 5.7.5 Message rejected: DKIM key error", 0, 0,
				"no DKIM key, or a bad or revoked one"},
	[SYM_ARC_PASS] = {"arc_pass", ACTION_SCORE, "550 5.7.29 Message rejected", 0, 0,
			  "the message's ARC chain validates (RFC 8617)"},
	[SYM_ARC_FAIL] = {"arc_fail", ACTION_SCORE,
			  "550 5.7.29 Message rejected: ARC validation failed: %{detail}", 0, 0,
			  "the message carries an ARC chain that does not validate"},
	[SYM_ARC_TEMPERROR] = {"arc_temperror", ACTION_SCORE,
			       "451 4.7.29 ARC key lookup failed, try again later", 0, 0,
			       "an ARC key could not be fetched: DNS trouble (not a fail)"},
	[SYM_DMARC_PASS] = {"dmarc_pass", ACTION_SCORE, "550 5.7.1 Message rejected", 0, 0,
			    "DMARC pass: an aligned SPF or DKIM pass"},
	[SYM_DMARC_REJECT] = {"dmarc_reject", ACTION_REJECT,
			      "550 5.7.1 Message rejected per DMARC policy of %{detail}", 0, 0,
			      "DMARC fail and the From domain publishes p=reject"},
	[SYM_DMARC_QUARANTINE] = {"dmarc_quarantine", ACTION_QUARANTINE,
				  "550 5.7.1 Message rejected per DMARC policy of %{detail}", 3.0,
				  0, "DMARC fail and the From domain publishes p=quarantine"},
	[SYM_DMARC_FAIL] = {"dmarc_fail", ACTION_SCORE,
			    "550 5.7.1 Message rejected: DMARC check failed for %{detail}", 1.0, 0,
			    "DMARC fail where the policy asks for nothing (p=none, or pct)"},
	[SYM_DMARC_NONE] = {"dmarc_none", ACTION_SCORE, "550 5.7.1 Message rejected", 0, 0,
			    "the From domain publishes no DMARC policy"},
	[SYM_DMARC_TEMPERROR] = {"dmarc_temperror", ACTION_TEMPFAIL,
				 "451 4.7.5 DMARC policy of %{detail} could not be checked, try "
				 "again later",
				 0, 0,
				 "DNS trouble where DMARC could come out as fail (never a reject)"},
	[SYM_DMARC_BAD_FROM] = {"dmarc_bad_from", ACTION_SCORE,
				"550 5.7.1 Message rejected: %{detail}", 1.0, 0,
				"no usable RFC5322.From: none, several fields, or no domain"},
	[SYM_DMARC_OVERRIDE] = {"dmarc_override", ACTION_SCORE, "550 5.7.1 Message rejected", 0, 0,
				"a DMARC failure not enforced: the sender is on dmarc_override"},
	[SYM_MIME_BROKEN] = {"mime_broken", ACTION_SCORE,
			     "550 5.6.0 Message rejected: malformed MIME: %{detail}", 1.0, 0,
			     "broken MIME structure or encoding (parsed best-effort)"},
	[SYM_CONTENT_LIMIT] = {"content_limit", ACTION_SCORE,
			       "451 4.3.0 Message too complex to check, try again later", 0, 0,
			       "a content cap was reached: the rules ran over what came before it"},
	[SYM_SCORE_REJECT] = {"score_reject", ACTION_REJECT, "550 5.7.1 Message rejected as spam", 0,
			      0, "the message's score reached reject_score"},
	[SYM_SCORE_TEMPFAIL] = {"score_tempfail", ACTION_TEMPFAIL,
				"451 4.7.1 Message deferred, try again later", 0, 0,
				"the message's score reached tempfail_score"},
	[SYM_SCORE_QUARANTINE] = {"score_quarantine", ACTION_QUARANTINE,
				  "550 5.7.1 Message rejected as spam", 0, 0,
				  "the message's score reached quarantine_score"},
	[SYM_HELO_SYNTAX] = {"helo_syntax", ACTION_SCORE,
			     "550 5.5.2 Helo command rejected: invalid HELO name", 1.0,
			     SYM_SENDER_CHECK,
			     "the HELO/EHLO name is neither a domain name nor an address literal"},
	[SYM_HELO_FORGED] = {"helo_forged", ACTION_REJECT,
			     "550 5.7.1 Helo command rejected: you are not %{detail}", 0,
			     SYM_SENDER_CHECK,
			     "an outside client claims one of our names or addresses in HELO"},
	[SYM_INTERNAL_ERROR] = {"internal_error", ACTION_TEMPFAIL,
				"451 4.3.0 Temporary failure in mail filter, try again later", 0, 0,
				"the filter could not check the message (out of memory, limits)"},
};

const struct symbol_def *symbol_def(enum symbol_id id)
{
	return (unsigned)id < SYM_COUNT ? &symbols[id] : NULL;
}

int symbol_lookup(const char *name)
{
	for (int i = 0; i < SYM_COUNT; i++)
		if (strcmp(symbols[i].name, name) == 0)
			return i;
	return -1;
}
