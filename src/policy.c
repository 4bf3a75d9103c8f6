/* Policy: the only place where results become verdicts.
 *
 * Results found before DATA (connect, HELO, MAIL, RCPT) are answered at
 * RCPT, per recipient; results found from DATA on are answered at end of
 * message. Discard and quarantine always take effect at end of message,
 * the only stage where the milter protocol can apply them to the message. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "mailsift/authres.h"
#include "mailsift/spamhdr.h"
#include "mailsift/policy.h"
#include "mailsift/strbuf.h"

#define EXPAND_VALUE_MAX 256
#define STATUS_HEADER_MAX 998

static const char *const expand_names[] = {"sender", "rcpt", "ip", "symbol", "detail"};

int policy_template_valid(const char *tmpl, const char **error_r)
{
	for (const char *p = tmpl; (p = strchr(p, '%')) != NULL;) {
		if (p[1] == '%') {
			p += 2;
			continue;
		}
		const char *end = p[1] == '{' ? strchr(p, '}') : NULL;
		size_t i, n = end != NULL ? (size_t)(end - p - 2) : 0;

		for (i = 0; end != NULL && i < sizeof(expand_names) / sizeof(expand_names[0]); i++)
			if (strlen(expand_names[i]) == n && strncmp(p + 2, expand_names[i], n) == 0)
				break;
		if (end == NULL || i == sizeof(expand_names) / sizeof(expand_names[0])) {
			*error_r =
				"unknown %{...} in reply text (known: %{sender}, %{rcpt}, %{ip}, "
				"%{symbol}, %{detail}; write %% for a percent sign)";
			return -1;
		}
		p = end + 1;
	}
	return 0;
}

/* An SMTP path without its angle brackets. */
static void unbracket(const char *path, char *out, size_t outlen)
{
	char tmp[EXPAND_VALUE_MAX];
	size_t n;

	sanitize(tmp, sizeof(tmp), path != NULL ? path : "");
	n = strlen(tmp);
	if (n >= 2 && tmp[0] == '<' && tmp[n - 1] == '>') {
		tmp[n - 1] = '\0';
		sanitize(out, outlen, tmp + 1);
	} else {
		sanitize(out, outlen, tmp);
	}
}

static void expand_value(const char *name, size_t n, const struct conn *conn, const struct msg *msg,
			 int rcpt, const struct result *res, char *val)
{
	val[0] = '\0';
	if (n == 6 && strncmp(name, "sender", n) == 0 && msg != NULL)
		unbracket(msg->sender_path, val, EXPAND_VALUE_MAX);
	else if (n == 4 && strncmp(name, "rcpt", n) == 0 && msg != NULL && rcpt >= 0)
		unbracket(msg->rcpts[rcpt].path, val, EXPAND_VALUE_MAX);
	else if (n == 2 && strncmp(name, "ip", n) == 0)
		sanitize(val, EXPAND_VALUE_MAX, conn->client_addr);
	else if (n == 6 && strncmp(name, "symbol", n) == 0 && res != NULL)
		sanitize(val, EXPAND_VALUE_MAX, symbol_def(res->sym)->name);
	else if (n == 6 && strncmp(name, "detail", n) == 0 && res != NULL)
		sanitize(val, EXPAND_VALUE_MAX, res->detail);
}

/* Appends what fits of src (n bytes) to out; 0 once out is full. */
static int put_some(char *out, size_t outlen, size_t *len, const char *src, size_t n)
{
	size_t room = outlen - 1 - *len;
	size_t take = n < room ? n : room;

	memcpy(out + *len, src, take);
	*len += take;
	out[*len] = '\0';
	return take == n;
}

void policy_expand(const char *tmpl, const struct conn *conn, const struct msg *msg, int rcpt,
		   const struct result *res, char *out, size_t outlen)
{
	char val[EXPAND_VALUE_MAX];
	size_t len = 0;
	int room = 1;

	if (outlen == 0)
		return;
	out[0] = '\0';
	/* a reply cut short beats no reply */
	for (const char *p = tmpl; *p && room;) {
		const char *end;

		if (p[0] == '%' && p[1] == '%') {
			room = put_some(out, outlen, &len, "%", 1);
			p += 2;
		} else if (p[0] == '%' && p[1] == '{' && (end = strchr(p, '}')) != NULL) {
			expand_value(p + 2, (size_t)(end - p - 2), conn, msg, rcpt, res, val);
			room = put_some(out, outlen, &len, val, strlen(val));
			p = end + 1;
		} else {
			room = put_some(out, outlen, &len, p++, 1);
		}
	}
}

static void note_shadow(struct msg *msg, enum action action, const struct result *res)
{
	char note[96];
	int n = snprintf(note, sizeof(note), "%s(%s)", action_name(action),
			 symbol_def(res->sym)->name);
	size_t len = strlen(msg->shadow);

	if (n < 0 || strstr(msg->shadow, note) != NULL || len + (size_t)n + 2 > sizeof(msg->shadow))
		return;
	snprintf(msg->shadow + len, sizeof(msg->shadow) - len, "%s%s", len ? "," : "", note);
}

/* The verdict one result asks for, after shadow mode. Discard and
 * quarantine are remembered on the message for end of message. */
static enum verdict result_verdict(const struct config *cfg, struct msg *msg,
				   const struct result *res)
{
	enum action action = cfg->symbols[res->sym].action;

	if (cfg->dry_run && action >= ACTION_QUARANTINE) {
		note_shadow(msg, action, res);
		return VERDICT_CONTINUE;
	}
	switch (action) {
	case ACTION_REJECT: return VERDICT_REJECT;
	case ACTION_TEMPFAIL: return VERDICT_TEMPFAIL;
	case ACTION_DISCARD: msg->discard = 1; return VERDICT_CONTINUE;
	case ACTION_QUARANTINE:
		if (!msg->quarantine)
			snprintf(msg->quarantine_reason, sizeof(msg->quarantine_reason),
				 "mailsift: %s", symbol_def(res->sym)->name);
		msg->quarantine = 1;
		return VERDICT_CONTINUE;
	case ACTION_LOG: note_shadow(msg, ACTION_LOG, res); return VERDICT_CONTINUE;
	default: return VERDICT_CONTINUE;
	}
}

static int applies_to_rcpt(const struct msg *msg, const struct result *res, int rcpt)
{
	if (res->stage > STAGE_RCPT)
		return 0;
	if (res->rcpt >= 0 && res->rcpt != rcpt)
		return 0;
	if ((symbol_def(res->sym)->flags & SYM_SENDER_CHECK) && msg->rcpts[rcpt].exempt)
		return 0;
	return 1;
}

static void fill_decision(const struct conn *conn, const struct msg *msg, int rcpt,
			  const struct result *res, enum verdict v, struct decision *out)
{
	const struct symbol_cfg *sc = &conn->cfg->symbols[res->sym];

	out->verdict = v;
	out->symbol = symbol_def(res->sym)->name;
	out->reply = sc->reply;
	policy_expand(sc->reply.text, conn, msg, rcpt, res, out->reply.text,
		      sizeof(out->reply.text));
}

void policy_rcpt(const struct conn *conn, struct msg *msg, int rcpt, struct decision *out)
{
	const struct result *cause = NULL;
	enum verdict best = VERDICT_CONTINUE;
	struct rcpt *r = &msg->rcpts[rcpt];

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < msg->nresults; i++) {
		const struct result *res = &msg->results[i];
		enum verdict v;

		if (!applies_to_rcpt(msg, res, rcpt))
			continue;
		v = result_verdict(conn->cfg, msg, res);
		if (v > best) {
			best = v;
			cause = res;
		}
	}
	out->verdict = VERDICT_CONTINUE;
	if (cause != NULL)
		fill_decision(conn, msg, rcpt, cause, best, out);
	r->verdict = out->verdict;
	r->reply = out->reply;
	r->symbol = out->symbol;
}

/* Results about recipients refused at RCPT are not about this message. */
static int counts_for_message(const struct msg *msg, const struct result *res)
{
	return res->rcpt < 0 || msg->rcpts[res->rcpt].verdict < VERDICT_TEMPFAIL;
}

/* Each symbol scores once per message, however many times it was found
 * (two failing DKIM signatures are one dkim_fail). */
static double total_score(const struct config *cfg, const struct msg *msg)
{
	unsigned char seen[SYM_COUNT] = {0};
	double score = 0;

	for (size_t i = 0; i < msg->nresults; i++) {
		enum symbol_id sym = msg->results[i].sym;

		if (!counts_for_message(msg, &msg->results[i]) || seen[sym] ||
		    cfg->symbols[sym].action == ACTION_IGNORE)
			continue;
		seen[sym] = 1;
		score += cfg->symbols[sym].score;
	}
	return score + msg->rules_score;
}

/* The message score against the thresholds: one result for the strictest
 * threshold it reached (its detail holds the score, its reply does not by
 * default, so rule names stay hidden from the client). */
static void score_thresholds(const struct config *cfg, struct msg *msg)
{
	char detail[64];
	enum symbol_id sym;
	double required;

	if (msg->score >= cfg->reject_score) {
		sym = SYM_SCORE_REJECT;
		required = cfg->reject_score;
	} else if (msg->score >= cfg->tempfail_score) {
		sym = SYM_SCORE_TEMPFAIL;
		required = cfg->tempfail_score;
	} else if (msg->score >= cfg->quarantine_score) {
		sym = SYM_SCORE_QUARANTINE;
		required = cfg->quarantine_score;
	} else {
		return;
	}
	snprintf(detail, sizeof(detail), "score=%.1f required=%.1f", msg->score, required);
	msg_add_result(msg, sym, -1, STAGE_EOM, detail);
}

/* tests=: each symbol once, cut short with ",..." rather than dropping
 * the header when there are too many. */
static void status_tests(const struct config *cfg, const struct msg *msg, struct strbuf *sb,
			 size_t room)
{
	size_t start = sb->len, listed = 0;

	for (size_t i = 0; i < msg->nresults; i++) {
		const struct result *r = &msg->results[i];
		const char *name = symbol_def(r->sym)->name;
		int seen = 0;

		if (!counts_for_message(msg, r) || cfg->symbols[r->sym].action == ACTION_IGNORE)
			continue;
		for (size_t k = 0; k < i && !seen; k++)
			seen = msg->results[k].sym == r->sym &&
			       counts_for_message(msg, &msg->results[k]);
		if (seen)
			continue;
		if (sb->len - start + strlen(name) + 5 > room) {
			sb_puts(sb, ",...");
			return;
		}
		sb_printf(sb, "%s%s", listed++ ? "," : "", name);
	}
	if (msg->rules_tests != NULL && msg->rules_tests[0] != '\0') {
		if (sb->len - start + strlen(msg->rules_tests) + 5 > room) {
			sb_puts(sb, ",...");
			return;
		}
		sb_printf(sb, "%s%s", listed++ ? "," : "", msg->rules_tests);
	}
	if (listed == 0)
		sb_puts(sb, "none");
}

/* Adds our status header after removing incoming copies; -1 if the edits
 * did not fit (a defined tempfail rather than a forged header kept). */
static int status_header(const struct conn *conn, struct msg *msg, const char *tests)
{
	const struct config *cfg = conn->cfg;
	struct strbuf sb;
	int rc = 0;

	if (cfg->status_header == NULL)
		return 0;
	/* a forged copy from outside must not survive next to ours */
	for (size_t i = msg->status_headers_seen; i > 0 && rc == 0; i--)
		rc = msg_add_edit(msg, HDR_DELETE, cfg->status_header, NULL, (int)i);
	sb_init(&sb, STATUS_HEADER_MAX);
	sb_printf(&sb, "%s; score=%.1f; tests=%s; host=%s", verdict_name(msg->verdict), msg->score,
		  tests, cfg->authserv_id);
	if (rc == 0)
		rc = sb.failed ? -1
			       : msg_add_edit(msg, HDR_ADD, cfg->status_header, sb_str(&sb), 0);
	sb_free(&sb);
	return rc;
}

/* The message could not be checked completely: a temporary failure, never
 * a silent accept. */
static void internal_error(const struct conn *conn, struct msg *msg, struct decision *out,
			   const char *why)
{
	struct result res = {.sym = SYM_INTERNAL_ERROR, .rcpt = -1, .stage = STAGE_EOM};

	snprintf(res.detail, sizeof(res.detail), "%s", why);
	msg_add_result(msg, SYM_INTERNAL_ERROR, -1, STAGE_EOM, why);
	fill_decision(conn, msg, -1, &res, VERDICT_TEMPFAIL, out);
	if (out->reply.code[0] != '4')
		reply_soften(&out->reply, &out->reply);
	msg->verdict = VERDICT_TEMPFAIL;
	msg->reply = out->reply;
	msg->verdict_symbol = out->symbol;
	msg_clear_edits(msg);
}

/* The headers of a message that goes on: status, X-Spam-*, A-R. */
static void add_headers(const struct conn *conn, struct msg *msg, struct decision *out)
{
	struct strbuf tests;
	int rc;

	sb_init(&tests, STATUS_HEADER_MAX);
	status_tests(conn->cfg, msg, &tests, STATUS_HEADER_MAX - 64 - CONFIG_AUTHSERV_MAX);
	rc = tests.failed || status_header(conn, msg, sb_str(&tests)) < 0 ||
	     spamhdr_edits(conn->cfg, msg, sb_str(&tests)) < 0 || authres_edits(conn->cfg, msg) < 0;
	sb_free(&tests);
	if (rc)
		internal_error(conn, msg, out, "too many header changes");
}

/* The most the symbols still to come could lower the score by: each
 * negative-scored symbol not found yet (each scores once a message). */
static double symbols_rest(const struct config *cfg, const struct msg *msg)
{
	unsigned char seen[SYM_COUNT] = {0};
	double rest = 0;

	for (size_t i = 0; i < msg->nresults; i++)
		if (counts_for_message(msg, &msg->results[i]))
			seen[msg->results[i].sym] = 1;
	for (int sym = 0; sym < SYM_COUNT; sym++)
		if (!seen[sym] && cfg->symbols[sym].action != ACTION_IGNORE &&
		    cfg->symbols[sym].score < 0)
			rest += cfg->symbols[sym].score;
	return rest;
}

void policy_eoh(const struct conn *conn, struct msg *msg, struct decision *out)
{
	const struct config *cfg = conn->cfg;
	struct result res = {.sym = SYM_SCORE_REJECT, .rcpt = -1, .stage = STAGE_EOH};
	double now, lowest;

	memset(out, 0, sizeof(*out));
	out->verdict = VERDICT_CONTINUE;
	if (!msg->rules_early || cfg->symbols[SYM_SCORE_REJECT].action != ACTION_REJECT ||
	    msg->results_dropped > 0)
		return;
	now = total_score(cfg, msg);
	lowest = now - msg->rules_score + msg->rules_lowest + symbols_rest(cfg, msg);
	if (lowest < cfg->reject_score)
		return;
	snprintf(res.detail, sizeof(res.detail),
		 "score=%.1f required=%.1f at end of header (the body could not lower it below "
		 "%.1f)",
		 now, cfg->reject_score, lowest);
	msg_add_result(msg, SYM_SCORE_REJECT, -1, STAGE_EOH, res.detail);
	fill_decision(conn, msg, -1, &res, VERDICT_REJECT, out);
	msg->score = now;
	msg->verdict = VERDICT_REJECT;
	msg->verdict_stage = STAGE_EOH;
	msg->reply = out->reply;
	msg->verdict_symbol = out->symbol;
	msg->decided = 1;
}

void policy_eom(const struct conn *conn, struct msg *msg, struct decision *out)
{
	const struct result *cause = NULL;
	enum verdict best = VERDICT_ACCEPT;

	memset(out, 0, sizeof(*out));
	msg->score = total_score(conn->cfg, msg);
	score_thresholds(conn->cfg, msg);
	if (msg->results_dropped > 0) {
		msg->decided = 1;
		msg->verdict_stage = STAGE_EOM;
		internal_error(conn, msg, out, "too many results");
		return;
	}
	for (size_t i = 0; i < msg->nresults; i++) {
		const struct result *res = &msg->results[i];
		enum verdict v;

		if (res->stage <= STAGE_RCPT)
			continue;
		v = result_verdict(conn->cfg, msg, res);
		if (v > best) {
			best = v;
			cause = res;
		}
	}
	if (best < VERDICT_DISCARD && msg->discard)
		best = VERDICT_DISCARD;
	else if (best < VERDICT_QUARANTINE && msg->quarantine)
		best = VERDICT_QUARANTINE;
	out->verdict = best;
	if (cause != NULL && (best == VERDICT_REJECT || best == VERDICT_TEMPFAIL))
		fill_decision(conn, msg, -1, cause, best, out);
	msg->score = total_score(conn->cfg, msg);
	msg->verdict = best;
	msg->verdict_stage = STAGE_EOM;
	msg->reply = out->reply;
	msg->verdict_symbol = out->symbol;
	msg->decided = 1;
	if (best == VERDICT_ACCEPT || best == VERDICT_QUARANTINE)
		add_headers(conn, msg, out);
}
