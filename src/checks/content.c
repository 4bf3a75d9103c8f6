/* Content rules: the message is kept in the form the rule engine reads it
 * (header fields, decoded MIME parts, the raw text for "full" rules, each
 * bounded), and the rules run at end of message. Their hits add to the
 * message score; a cap reached is a named result, never a silent skip. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailsift/check.h"
#include "mailsift/content.h"
#include "mailsift/mime.h"

struct content_msg {
	struct msg_header *headers; /* owned, with their strings */
	size_t nheaders;
	int headers_capped;
	struct mime_parser *mime; /* owned */
	struct strbuf raw;	  /* the message as received, up to RULES_MAX_FULL_SCAN */
	struct rules_result result;
	char envelope[ADDR_PATH_MAX + 1]; /* EnvelopeFrom for the rules */
	int scanned;
	double *eoh_counts; /* owned: what the rules run at end of header found */
	unsigned eoh_flags; /* and the caps and limits they reached */
	unsigned long eoh_limits;
};

const struct rules_result *content_result(const struct content_msg *c)
{
	return c != NULL && c->scanned ? &c->result : NULL;
}

void content_msg_free(struct content_msg **c)
{
	if (*c == NULL)
		return;
	for (size_t i = 0; i < (*c)->nheaders; i++) {
		free((*c)->headers[i].name);
		free((*c)->headers[i].value);
		free((*c)->headers[i].raw);
	}
	free((*c)->headers);
	mime_parser_free(&(*c)->mime);
	sb_free(&(*c)->raw);
	rules_result_free(&(*c)->result);
	free((*c)->eoh_counts);
	free(*c);
	*c = NULL;
}

static struct content_msg *content_new(void)
{
	struct content_msg *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	sb_init(&c->raw, RULES_MAX_FULL_SCAN);
	c->mime = mime_parser_new(NULL);
	if (c->mime == NULL)
		content_msg_free(&c);
	return c;
}

/* The value as the header rules read it, as SpamAssassin unfolds it: no
 * leading white space, each line break with the white space after it one
 * space. */
static char *unfolded(const char *raw)
{
	size_t len, n = 0;
	char *v;

	raw += strspn(raw, " \t");
	len = strlen(raw);
	if ((v = malloc(len + 1)) == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (raw[i] != '\r' && raw[i] != '\n') {
			v[n++] = raw[i];
			continue;
		}
		while (i + 1 < len && (raw[i + 1] == '\r' || raw[i + 1] == '\n'))
			i++;
		if (i + 1 < len && (raw[i + 1] == ' ' || raw[i + 1] == '\t')) {
			i += strspn(raw + i + 1, " \t");
			v[n++] = ' ';
		}
	}
	v[n] = '\0';
	return v;
}

static int keep_header(struct content_msg *c, const char *name, const char *value)
{
	struct msg_header *h;

	if (c->nheaders >= CONTENT_MAX_HEADERS) {
		c->headers_capped = 1;
		return 0;
	}
	h = realloc(c->headers, (c->nheaders + 1) * sizeof(*h));
	if (h == NULL)
		return -1;
	c->headers = h;
	h = &c->headers[c->nheaders];
	h->name = strdup(name);
	h->raw = strdup(value);
	h->value = unfolded(value);
	if (h->name == NULL || h->raw == NULL || h->value == NULL) {
		free(h->name);
		free(h->raw);
		free(h->value);
		return -1;
	}
	c->nheaders++;
	return 0;
}

/* The raw copy keeps what fits; sb_append_max never fails the buffer. */
static void keep_raw(struct content_msg *c, const char *data, size_t len)
{
	sb_append_max(&c->raw, data, len);
}

/* The message's content state, made at its first header field or, for a
 * message without any, at end of header: 0, or -1 when none is kept. */
static int content_ready(struct check_ctx *ctx)
{
	struct msg *msg = ctx->msg;

	if (ctx->cfg->rules == NULL)
		return -1;
	if (msg->content == NULL && (msg->content = content_new()) == NULL) {
		check_result(ctx, SYM_INTERNAL_ERROR, "out of memory for the content rules");
		return -1;
	}
	return 0;
}

static void content_header(struct check_ctx *ctx, const struct event *ev)
{
	struct msg *msg = ctx->msg;

	if (ev->name == NULL || ev->value == NULL || content_ready(ctx) < 0)
		return;
	if (keep_header(msg->content, ev->name, ev->value) < 0)
		check_result(ctx, SYM_INTERNAL_ERROR, "out of memory for the content rules");
	mime_parser_header(msg->content->mime, ev->name, ev->value);
	keep_raw(msg->content, ev->name, strlen(ev->name));
	keep_raw(msg->content, ":", 1);
	keep_raw(msg->content, ev->value, strlen(ev->value));
	keep_raw(msg->content, "\n", 1);
}

static char *hit_names(const struct rules_result *r);

/* The MAIL FROM address as EnvelopeFrom rules read it ("" for <>), or
 * NULL when the offline tool only guessed it from the header. */
static const char *envelope_from(const struct msg *msg, struct content_msg *c)
{
	const char *p = msg->sender_path != NULL ? msg->sender_path : "";
	size_t n = strlen(p);

	if (msg->sender_guessed)
		return NULL;
	if (msg->sender_status == ADDR_OK && !msg->sender.null)
		snprintf(c->envelope, sizeof(c->envelope), "%s@%s", msg->sender.local,
			 msg->sender.domain);
	else if (n >= 2 && p[0] == '<' && p[n - 1] == '>')
		snprintf(c->envelope, sizeof(c->envelope), "%.*s", (int)(n - 2), p + 1);
	else
		snprintf(c->envelope, sizeof(c->envelope), "%s", p);
	return c->envelope;
}

int content_early_reject(const struct config *cfg)
{
	return cfg->early_reject && cfg->reject_score != HUGE_VAL && rules_early(cfg->rules) &&
	       !cfg->dry_run;
}

/* The rules the header decides, run now, so that policy can refuse a
 * message whose score can no longer fall below reject_score. */
static void early_rules(struct check_ctx *ctx)
{
	struct msg *msg = ctx->msg;
	struct content_msg *c = msg->content;
	struct rules_input in = {.headers = c->headers,
				 .nheaders = c->nheaders,
				 .envelope_from = envelope_from(msg, c)};

	if (rules_scan_eoh(ctx->cfg->rules, &in, &c->result) < 0 ||
	    (c->result.flags & RULES_F_NOMEM)) {
		rules_result_free(&c->result);
		return; /* end of message scans again, all of it */
	}
	/* the result stands until end of message replaces it, reusing its counts */
	c->scanned = 1;
	c->eoh_counts = c->result.counts;
	c->result.counts = NULL;
	c->eoh_flags = c->result.flags;
	c->eoh_limits = c->result.limits;
	msg->rules_score = c->result.score;
	msg->rules_lowest = c->result.lowest;
	msg->rules_early = 1;
	free(msg->rules_tests);
	msg->rules_tests = hit_names(&c->result);
}

static void content_eoh(struct check_ctx *ctx, const struct event *ev)
{
	(void)ev;
	if (content_ready(ctx) < 0)
		return;
	mime_parser_eoh(ctx->msg->content->mime);
	keep_raw(ctx->msg->content, "\n", 1);
	if (content_early_reject(ctx->cfg))
		early_rules(ctx);
}

static void content_body(struct check_ctx *ctx, const struct event *ev)
{
	if (ctx->msg->content == NULL)
		return;
	mime_parser_body(ctx->msg->content->mime, ev->data, ev->len);
	keep_raw(ctx->msg->content, (const char *)ev->data, ev->len);
}

struct hit_count {
	const char *name;
	unsigned long hits;
};

static int by_hits(const void *a, const void *b)
{
	const struct hit_count *x = a, *y = b;

	return x->hits < y->hits ? 1 : x->hits > y->hits ? -1 : strcmp(x->name, y->name);
}

void content_log_hits(const struct config *cfg, const char *when)
{
	size_t n = cfg != NULL && cfg->rules != NULL ? rules_count(cfg->rules) : 0, k = 0;
	struct hit_count *c = n > 0 ? calloc(n, sizeof(*c)) : NULL;
	struct strbuf sb;
	int cut = 0;

	if (c == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		rules_counter(cfg->rules, i, &c[k].name, &c[k].hits);
		k += c[k].hits > 0;
	}
	qsort(c, k, sizeof(*c), by_hits);
	sb_init(&sb, CONTENT_LOG_LINE);
	for (size_t i = 0; i < k && !cut; i++) {
		/* whole entries only: a failed buffer would print nothing */
		cut = sb.len + strlen(c[i].name) + 24 > CONTENT_LOG_LINE;
		if (!cut)
			sb_printf(&sb, "%s%s=%lu", i ? " " : "", c[i].name, c[i].hits);
	}
	log_info("rule hits %s: %s%s", when, k == 0 ? "none" : sb_str(&sb), cut ? " ..." : "");
	sb_free(&sb);
	free(c);
}

/* "A,B,C": the rules that hit, for the status and X-Spam-Status fields. */
static char *hit_names(const struct rules_result *r)
{
	struct strbuf sb;

	sb_init(&sb, 1u << 20);
	for (size_t i = 0; i < r->nhits; i++)
		sb_printf(&sb, "%s%s", i ? "," : "", r->hits[i].name);
	if (sb.failed) {
		sb_free(&sb);
		return NULL;
	}
	return sb_take(&sb);
}

/* MIME trouble and caps reached: named results with what happened. */
static void report_flags(struct check_ctx *ctx, unsigned mime, unsigned rules)
{
	const unsigned broken = MIME_F_NO_BOUNDARY | MIME_F_UNTERMINATED | MIME_F_BAD_BASE64 |
				MIME_F_BAD_QP | MIME_F_BAD_HEADER | MIME_F_NUL;
	const unsigned capped =
		MIME_F_DEPTH | MIME_F_PARTS | MIME_F_TRUNCATED | MIME_F_URIS | MIME_F_HEADER_SIZE;

	if (mime & broken)
		check_result(ctx, SYM_MIME_BROKEN, "%s%s%s%s%s%s",
			     mime & MIME_F_NO_BOUNDARY ? " no-boundary" : "",
			     mime & MIME_F_UNTERMINATED ? " unterminated-multipart" : "",
			     mime & MIME_F_BAD_BASE64 ? " bad-base64" : "",
			     mime & MIME_F_BAD_QP ? " bad-quoted-printable" : "",
			     mime & MIME_F_BAD_HEADER ? " bad-part-header" : "",
			     mime & MIME_F_NUL ? " nul-bytes" : "");
	if ((mime & capped) || rules != 0 || ctx->msg->content->headers_capped)
		check_result(ctx, SYM_CONTENT_LIMIT,
			     "rules ran over what came before:%s%s%s%s%s%s%s%s%s",
			     mime & MIME_F_DEPTH ? " mime-depth" : "",
			     mime & MIME_F_PARTS ? " mime-parts" : "",
			     mime & MIME_F_TRUNCATED ? " decoded-text" : "",
			     rules & (RULES_F_PART_CAP | RULES_F_MESSAGE_CAP) ? " scanned-text"
									      : "",
			     rules & RULES_F_FULL_CAP ? " raw-message" : "",
			     rules & RULES_F_HEADER_CAP ? " header-text" : "",
			     (mime & MIME_F_URIS) || (rules & RULES_F_URI_CAP) ? " uris" : "",
			     rules & RULES_F_LIMIT ? " regex-match-limit" : "",
			     ctx->msg->content->headers_capped ? " header-count" : "");
}

static void content_eom(struct check_ctx *ctx, const struct event *ev)
{
	struct msg *msg = ctx->msg;
	struct content_msg *c = msg->content;
	const struct mime_message *mime;
	struct rules_input in;

	(void)ev;
	if (c == NULL)
		return;
	mime = mime_parser_end(c->mime);
	rules_result_free(&c->result);
	c->scanned = 0;
	in = (struct rules_input){.headers = c->headers,
				  .nheaders = c->nheaders,
				  .mime = mime,
				  .raw = c->raw.s,
				  .raw_len = c->raw.len,
				  .eoh_counts = c->eoh_counts,
				  .envelope_from = envelope_from(msg, c)};
	if (rules_scan(ctx->cfg->rules, &in, &c->result) < 0 || c->result.flags & RULES_F_NOMEM) {
		check_result(ctx, SYM_INTERNAL_ERROR, "out of memory in the content rules");
		return;
	}
	c->scanned = 1;
	msg->rules_score = c->result.score;
	free(msg->rules_tests);
	msg->rules_tests = hit_names(&c->result);
	/* what the rules run at end of header reached counts as well */
	c->result.flags |= c->eoh_flags;
	c->result.limits += c->eoh_limits;
	if (c->result.limit_rule != NULL)
		log_warn("%s: rule %s stopped at a PCRE2 limit (%lu matches)", msg->qid,
			 c->result.limit_rule, c->result.limits);
	report_flags(ctx, mime->flags, c->result.flags & ~RULES_F_NOMEM);
}

const struct check check_content = {
	.name = "content",
	.hooks = {[STAGE_HEADER] = content_header,
		  [STAGE_EOH] = content_eoh,
		  [STAGE_BODY] = content_body,
		  [STAGE_EOM] = content_eom},
};
