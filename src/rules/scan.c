/* Matching a ruleset over one message: the texts each rule type reads are
 * built once, every live rule runs over them, metas are evaluated in
 * dependency order, and the hits are scored. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mailsift/captures.h"
#include "mailsift/hdrtext.h"
#include "mailsift/log.h"
#include "mailsift/relays.h"
#include "mailsift/rulenet.h"
#include "mailsift/ruleset.h"
#include "mailsift/uri.h"

#define RULES_MAX_MULTIPLE 1000 /* matches counted for tflags multiple without maxhits */

struct scan {
	const struct ruleset *rs;
	const struct rules_input *in;
	struct rules_result *res;
	struct regex_ctx rx;
	double *counts;	      /* owned: hits per rule */
	struct strbuf body;   /* owned: paragraphs, one a line, the Subject first */
	size_t subject_end;   /* where the paragraphs after the Subject start */
	struct uri_list uris; /* owned */
	struct strbuf text;   /* owned: scratch for header texts */
	struct relays relays; /* owned once built: the first rule reading them builds them */
	int relays_built;
	int eoh;		   /* rules_scan_eoh(): only the rules the header decides */
	struct capture_tags tags;  /* owned: what capture rules matched */
	struct hdrtext_cache hdrs; /* owned: decoded header values */
	struct regex *tmpl_re;	   /* the template rule running, compiled for this message */
};

static void limit_hit(struct scan *sc, const struct crule *c)
{
	if (sc->res->limits++ == 0)
		sc->res->limit_rule = c->def->name;
	sc->res->flags |= RULES_F_LIMIT;
	log_warn("rules: %s: match stopped at a PCRE2 limit, counted as no hit", c->def->name);
}

/* Matches in s[0..len), counting from have: at most 1, or maxhits for
 * tflags multiple. */
static unsigned matches(struct scan *sc, const struct crule *c, const char *s, size_t len,
			unsigned have)
{
	const struct regex *re = c->re != NULL ? c->re : sc->tmpl_re;
	unsigned max = 1, n = 0;
	size_t pos = 0, ms, me;

	if (c->def->tflags & RULE_TF_MULTIPLE)
		max = c->def->maxhits ? c->def->maxhits : RULES_MAX_MULTIPLE;
	while (re != NULL && have + n < max && pos <= len) {
		enum regex_result r = regex_match(re, &sc->rx, s, len, pos, &ms, &me);
		if (r == REGEX_LIMIT)
			limit_hit(sc, c);
		if (r != REGEX_MATCH)
			break;
		if (regex_captures(re))
			regex_tags(re, &sc->rx, s, captures_add, &sc->tags);
		n++;
		pos = me > ms ? me : me + 1;
	}
	return n;
}

/* Runs c over each line (or paragraph) of text. */
static unsigned match_lines(struct scan *sc, const struct crule *c, const char *t, size_t len,
			    unsigned have)
{
	unsigned n = have;
	unsigned max = (c->def->tflags & RULE_TF_MULTIPLE) ? UINT32_MAX : 1;

	for (size_t i = 0; i < len && n < max;) {
		const char *nl = memchr(t + i, '\n', len - i);
		size_t e = nl != NULL ? (size_t)(nl - t) : len;
		n += matches(sc, c, t + i, e - i, n);
		i = e + 1;
	}
	return n - have;
}

/* X-Spam-Relays-*: SpamAssassin's relay pseudo-headers, which replace any
 * field of that name the message carries. */
static void relays_ready(struct scan *sc)
{
	struct relays_config cfg;

	if (!sc->relays_built) {
		rulenet_relays_config(&sc->rs->set, &cfg);
		relays_build(&sc->relays, sc->in->headers, sc->in->nheaders, &cfg);
		sc->relays_built = 1;
	}
}

static int relays_text(struct scan *sc, int set)
{
	relays_ready(sc);
	if (sc->relays.capped || sc->relays.text[set].failed)
		sc->res->flags |= RULES_F_HEADER_CAP;
	sb_append(&sc->text, sb_str(&sc->relays.text[set]), sc->relays.text[set].len);
	return 1;
}

/* 1 if a Received field comes before field index i. */
static int received_before(const struct rules_input *in, size_t i)
{
	for (size_t k = 0; k < i && k < in->nheaders; k++)
		if (strcasecmp(in->headers[k].name, "Received") == 0)
			return 1;
	return 0;
}

/* An X-Sender field and a fetchmail hand-over: the envelope is unknown. */
static int fetched(struct scan *sc)
{
	struct strbuf addr;
	size_t idx;
	int x_sender;

	sb_init(&addr, RELAY_MAX_FIELD);
	hdrtext_first_addr(sc->in->headers, sc->in->nheaders, "X-Sender", &addr, &idx);
	x_sender = strchr(sb_str(&addr), '@') != NULL;
	sb_free(&addr);
	for (size_t k = 0; x_sender && k < sc->in->nheaders; k++)
		if (strcasecmp(sc->in->headers[k].name, "Received") == 0 &&
		    strstr(sc->in->headers[k].value, "(fetchmail") != NULL)
			return 1;
	return 0;
}

/* EnvelopeFrom: the MTA's MAIL FROM when known; else where SpamAssassin
 * finds it: the envelope sender the hand-over to us recorded, then
 * X-Envelope-From, Envelope-Sender or Return-Path, each only when no
 * Received field comes before it. */
static int envelope_text(struct scan *sc)
{
	static const char *const fields[] = {"X-Envelope-From", "Envelope-Sender", "Return-Path"};
	const char *at;

	if (sc->in->envelope_from != NULL) {
		sb_puts(&sc->text, sc->in->envelope_from);
		return 1;
	}
	relays_ready(sc);
	if ((at = strchr(sc->relays.envfrom, '@')) != NULL && at > sc->relays.envfrom) {
		sb_puts(&sc->text, sc->relays.envfrom);
		return 1;
	}
	if (fetched(sc))
		return 0;
	for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
		size_t idx;
		sb_reset(&sc->text);
		hdrtext_first_addr(sc->in->headers, sc->in->nheaders, fields[f], &sc->text, &idx);
		if (idx == sc->in->nheaders || sc->text.len == 0)
			continue;
		if (!received_before(sc->in, idx))
			return 1;
		if (f == 0) /* SpamAssassin stops at an untrusted X-Envelope-From */
			break;
	}
	sb_reset(&sc->text);
	return 0;
}

static void header_rule(struct scan *sc, size_t i)
{
	const struct crule *c = &sc->rs->rules[i];
	const struct rule_def *d = c->def;
	int found, set = relays_pseudo_header(d->header);

	sb_reset(&sc->text);
	if (set >= 0)
		found = relays_text(sc, set);
	else if (strcasecmp(d->header, "EnvelopeFrom") == 0)
		found = envelope_text(sc);
	else
		found = hdrtext_get(sc->in->headers, sc->in->nheaders, d->header, d->hdr_mods,
				    &sc->hdrs, &sc->text);
	if (sc->text.failed)
		sc->res->flags |= RULES_F_HEADER_CAP;
	if (d->test == RULE_TEST_EXISTS) {
		sc->counts[i] = found;
		return;
	}
	if (!found && d->unset != NULL)
		sb_puts(&sc->text, d->unset);
	if (!d->negate) {
		sc->counts[i] = matches(sc, c, sb_str(&sc->text), sc->text.len, 0);
		return;
	}
	size_t lim0 = sc->res->limits;
	unsigned m = matches(sc, c, sb_str(&sc->text), sc->text.len, 0);
	sc->counts[i] = m == 0 && sc->res->limits == lim0; /* a stopped match is no hit */
}

static void mimeheader_rule(struct scan *sc, size_t i)
{
	const struct crule *c = &sc->rs->rules[i];
	const struct mime_message *m = sc->in->mime;
	unsigned n = 0;

	/* every entity's header block, as SpamAssassin's MIMEHeader reads them:
	 * the parts, then the multipart and message/rfc822 containers */
	for (size_t p = 0; m != NULL && p < m->nparts + m->ncontainers && n == 0; p++) {
		const struct strbuf *h =
			p < m->nparts ? &m->parts[p].headers : &m->containers[p - m->nparts];
		sb_reset(&sc->text);
		if (!hdrtext_block(sb_str(h), h->len, c->def->header, c->def->hdr_mods, &sc->text))
			continue;
		n = matches(sc, c, sb_str(&sc->text), sc->text.len, 0);
		if (c->def->negate)
			n = !n;
	}
	sc->counts[i] = n;
}

static void body_rule(struct scan *sc, size_t i)
{
	const struct crule *c = &sc->rs->rules[i];
	size_t from = (c->def->tflags & RULE_TF_NOSUBJECT) ? sc->subject_end : 0;

	sc->counts[i] = match_lines(sc, c, sb_str(&sc->body) + from, sc->body.len - from, 0);
}

static void rawbody_rule(struct scan *sc, size_t i)
{
	const struct crule *c = &sc->rs->rules[i];
	const struct mime_message *m = sc->in->mime;
	unsigned n = 0;

	for (size_t p = 0; m != NULL && p < m->nparts; p++) {
		const struct strbuf *raw = &m->parts[p].raw;
		size_t len = raw->len < RULES_MAX_PART_SCAN ? raw->len : RULES_MAX_PART_SCAN;
		if (!m->parts[p].is_text)
			continue;
		n += match_lines(sc, c, sb_str(raw), len, n);
		if (n > 0 && !(c->def->tflags & RULE_TF_MULTIPLE))
			break;
	}
	sc->counts[i] = n;
}

static void full_rule(struct scan *sc, size_t i)
{
	size_t len = sc->in->raw_len;

	if (sc->in->raw == NULL)
		return;
	if (len > RULES_MAX_FULL_SCAN)
		len = RULES_MAX_FULL_SCAN;
	sc->counts[i] = matches(sc, &sc->rs->rules[i], sc->in->raw, len, 0);
}

static void uri_rule(struct scan *sc, size_t i)
{
	const struct crule *c = &sc->rs->rules[i];
	unsigned n = 0;

	for (size_t u = 0; u < sc->uris.n; u++) {
		n += matches(sc, c, sc->uris.v[u], strlen(sc->uris.v[u]), n);
		if (n > 0 && !(c->def->tflags & RULE_TF_MULTIPLE))
			break;
	}
	sc->counts[i] = n;
}

/* Appends text as SpamAssassin's body tests see it: paragraphs (split at
 * blank lines) with every run of white space made one space, one a line. */
static void add_paragraphs(struct strbuf *out, const char *t, size_t len)
{
	int in_space = 0, newlines = 0, any = 0;

	for (size_t i = 0; i < len; i++) {
		char ch = t[i];
		if (ch == '\n')
			newlines++;
		if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' ||
		    ch == '\f') {
			in_space = 1;
			continue;
		}
		if (any && newlines >= 2)
			sb_putc(out, '\n');
		else if (any && in_space)
			sb_putc(out, ' ');
		sb_putc(out, ch);
		any = 1;
		in_space = newlines = 0;
	}
	if (any)
		sb_putc(out, '\n');
}

/* The decoded text of part p, cut at the per-part and per-message caps. */
static size_t part_len(struct scan *sc, size_t p, size_t *budget)
{
	size_t len = sc->in->mime->parts[p].text.len;

	if (len > RULES_MAX_PART_SCAN) {
		len = RULES_MAX_PART_SCAN;
		sc->res->flags |= RULES_F_PART_CAP;
		log_warn("rules: part %zu: text beyond RULES_MAX_PART_SCAN (%u bytes) not scanned",
			 p, RULES_MAX_PART_SCAN);
	}
	if (len > *budget) {
		len = *budget;
		sc->res->flags |= RULES_F_MESSAGE_CAP;
		log_warn("rules: text beyond RULES_MAX_MESSAGE_SCAN (%u bytes) not scanned",
			 RULES_MAX_MESSAGE_SCAN);
	}
	*budget -= len;
	return len;
}

static void build_body(struct scan *sc)
{
	const struct mime_message *m = sc->in->mime;
	size_t budget = RULES_MAX_MESSAGE_SCAN;

	sb_reset(&sc->text);
	if (hdrtext_get(sc->in->headers, sc->in->nheaders, "Subject", 0, &sc->hdrs, &sc->text))
		add_paragraphs(&sc->body, sb_str(&sc->text), sc->text.len);
	sc->subject_end = sc->body.len;
	for (size_t p = 0; m != NULL && p < m->nparts; p++) {
		const struct strbuf *t = &m->parts[p].text;
		size_t len;
		if (!m->parts[p].is_text)
			continue;
		len = part_len(sc, p, &budget);
		add_paragraphs(&sc->body, sb_str(t), len);
		uri_list_text(&sc->uris, sb_str(t), len);
	}
	if (sc->body.failed)
		sc->res->flags |= RULES_F_NOMEM;
}

static void build_texts(struct scan *sc)
{
	const struct mime_message *m = sc->in->mime;

	build_body(sc);
	for (size_t u = 0; m != NULL && u < m->nuris; u++)
		uri_list_add(&sc->uris, m->uris[u], strlen(m->uris[u]));
	if (sc->uris.capped)
		sc->res->flags |= RULES_F_URI_CAP;
	if (sc->in->raw != NULL && sc->in->raw_len > RULES_MAX_FULL_SCAN) {
		sc->res->flags |= RULES_F_FULL_CAP;
		log_warn("rules: message beyond RULES_MAX_FULL_SCAN (%u bytes) not scanned by full "
			 "rules",
			 RULES_MAX_FULL_SCAN);
	}
}

/* A %{TAG} rule with this message's tags in place; a tag not captured
 * means the rule does not run (no hit), as in SpamAssassin. */
static void run_template(struct scan *sc, size_t i, void (*run)(struct scan *, size_t))
{
	const struct crule *c = &sc->rs->rules[i];
	char err[256];
	struct strbuf text;

	sc->counts[i] = 0;
	if (sc->tags.n == 0)
		return;
	sb_init(&text, REGEX_MAX_TEXT);
	if (captures_expand(c->tmpl, &sc->tags, &text) == 1 &&
	    regex_compile_once(sb_str(&text), &sc->tmpl_re, err, sizeof(err)) == 0) {
		run(sc, i);
		regex_free(&sc->tmpl_re);
	}
	sb_free(&text);
}

static void run_rules(struct scan *sc)
{
	/* clang-format off */
	static void (*const run[RULE_NTYPES])(struct scan *, size_t) = {
		[RULE_HEADER] = header_rule, [RULE_BODY] = body_rule,
		[RULE_RAWBODY] = rawbody_rule, [RULE_FULL] = full_rule,
		[RULE_URI] = uri_rule, [RULE_MIMEHEADER] = mimeheader_rule,
	};
	/* clang-format on */
	const struct ruleset *rs = sc->rs;
	const double *done = sc->in->eoh_counts;

	for (int t = 0; t < RULE_NTYPES; t++)
		for (size_t k = 0; run[t] != NULL && k < rs->norder[t]; k++) {
			size_t i = rs->order[t][k];
			if (done != NULL && rs->rules[i].eoh)
				sc->counts[i] = done[i];
			else if ((!sc->eoh || t == RULE_HEADER) && rs->rules[i].tmpl == NULL)
				run[t](sc, i);
		}
	/* template rules last: the tags they read are all captured by now */
	for (int t = 0; t < RULE_NTYPES && !sc->eoh; t++)
		for (size_t k = 0; run[t] != NULL && k < rs->norder[t]; k++)
			if (rs->rules[rs->order[t][k]].tmpl != NULL)
				run_template(sc, rs->order[t][k], run[t]);
	for (size_t k = 0; k < rs->norder[RULE_META]; k++) {
		size_t i = rs->order[RULE_META][k];
		if (done != NULL && rs->rules[i].eoh)
			sc->counts[i] = done[i];
		else if (!sc->eoh || rs->rules[i].eoh)
			sc->counts[i] = meta_eval(rs->rules[i].meta, sc->counts) != 0;
	}
}

/* Hits listed and scored: rules whose name starts with "__" and rules
 * scored 0 count for metas only, as in SpamAssassin. */
static int collect(struct scan *sc)
{
	const struct ruleset *rs = sc->rs;
	struct rules_result *res = sc->res;
	size_t n = 0;

	for (size_t i = 0; i < rs->n; i++)
		if (sc->counts[i] > 0) {
			if (!(sc->in->eoh_counts != NULL && rs->rules[i].eoh))
				atomic_fetch_add(&rs->hits[i], 1);
			n++;
		}
	if (n > 0 && (res->hits = calloc(n, sizeof(*res->hits))) == NULL)
		return -1;
	for (size_t i = 0; i < rs->n; i++) {
		const struct rule_def *d = rs->rules[i].def;
		if (sc->counts[i] <= 0 || strncmp(d->name, "__", 2) == 0 || d->score == 0)
			continue;
		res->hits[res->nhits++] = (struct rules_hit){
			.name = d->name,
			.count = (unsigned)sc->counts[i],
			.score = d->score,
			.describe = d->describe,
		};
		res->score += d->score;
	}
	return 0;
}

static int scan_message(const struct ruleset *rs, const struct rules_input *in,
			struct rules_result *res, int eoh)
{
	struct scan sc = {.rs = rs, .in = in, .res = res, .eoh = eoh};
	int rc = 0;

	hdrtext_cache_init(&sc.hdrs, in->nheaders);
	memset(res, 0, sizeof(*res));
	/* paragraphs are never longer than the text, plus the Subject */
	sb_init(&sc.body, RULES_MAX_MESSAGE_SCAN + RULES_MAX_HEADER_SCAN + 2);
	sb_init(&sc.text, RULES_MAX_HEADER_SCAN);
	uri_list_init(&sc.uris, RULES_MAX_URIS);
	if ((sc.counts = calloc(rs->n + 1, sizeof(double))) == NULL || regex_ctx_init(&sc.rx) < 0) {
		free(sc.counts);
		res->flags |= RULES_F_NOMEM;
		return -1;
	}
	if (!eoh)
		build_texts(&sc);
	run_rules(&sc);
	if (collect(&sc) < 0) {
		res->flags |= RULES_F_NOMEM;
		rc = -1;
	}
	regex_ctx_free(&sc.rx);
	captures_free(&sc.tags);
	hdrtext_cache_free(&sc.hdrs);
	if (sc.relays_built)
		relays_free(&sc.relays);
	uri_list_free(&sc.uris);
	sb_free(&sc.text);
	sb_free(&sc.body);
	if (eoh && rc == 0)
		res->counts = sc.counts; /* for the rules_scan() at end of message */
	else
		free(sc.counts);
	return rc;
}

int rules_scan(const struct ruleset *rs, const struct rules_input *in, struct rules_result *res)
{
	return scan_message(rs, in, res, 0);
}

int rules_scan_eoh(const struct ruleset *rs, const struct rules_input *in, struct rules_result *res)
{
	int rc = scan_message(rs, in, res, 1);

	res->lowest = res->score + rs->eoh_rest;
	return rc;
}

void rules_result_free(struct rules_result *res)
{
	free(res->hits);
	free(res->counts);
	memset(res, 0, sizeof(*res));
}
