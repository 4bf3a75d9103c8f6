/* Loading a ruleset: rule files parsed, ReplaceTags expanded, regexes and
 * meta expressions compiled once, metas ordered by their dependencies. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailsift/captures.h"
#include "mailsift/ruleset.h"
#include "mailsift/ruletags.h"

#define RULES_ERR_MAX 512

#define PROBLEM(rs, d, ...)                                                                        \
	rulefile_problem(&(rs)->set, (d)->file, (d)->line, (d)->name, __VA_ARGS__)

/* A %{TAG} template rule: kept as text, compiled for each message with the
 * tags it captured; checked now with the templates empty. */
static int keep_template(struct crule *c, const char *text, char *err, size_t errlen)
{
	struct strbuf sb;
	struct regex *check = NULL;
	int rc = -1;

	sb_init(&sb, REGEX_MAX_TEXT);
	if (captures_expand(text, NULL, &sb) < 0)
		snprintf(err, errlen, "regex longer than %u bytes", REGEX_MAX_TEXT);
	else if (regex_compile(sb_str(&sb), &check, err, errlen) == 0)
		rc = (c->tmpl = strdup(text)) != NULL ? 0 : -1;
	regex_free(&check);
	sb_free(&sb);
	return rc;
}

static int compile_text(struct crule *c, const char *text, char *err, size_t errlen)
{
	if (captures_template(text))
		return keep_template(c, text, err, errlen);
	return regex_compile(text, &c->re, err, errlen);
}

static int compile_regex(struct ruleset *rs, struct crule *c)
{
	const struct rule_def *d = c->def;
	char err[RULES_ERR_MAX];
	struct strbuf sb;
	int rc;

	if (!d->replace)
		rc = compile_text(c, d->text, err, sizeof(err));
	else {
		sb_init(&sb, REGEX_MAX_TEXT);
		if (ruletags_expand(&rs->set, d->text, &sb) < 0) {
			snprintf(err, sizeof(err), "regex longer than %u bytes with tags expanded",
				 REGEX_MAX_TEXT);
			rc = -1;
		} else {
			rc = compile_text(c, sb_str(&sb), err, sizeof(err));
		}
		sb_free(&sb);
	}
	if (rc < 0)
		PROBLEM(rs, d, "%s", err);
	return rc;
}

struct resolve_ctx {
	struct ruleset *rs;
	const struct rule_def *meta;
};

/* Unknown names count as 0, with a warning, as in SpamAssassin. */
static int resolve(void *ctx, const char *name, size_t len)
{
	struct resolve_ctx *rc = ctx;
	char buf[256];
	const struct rule_def *d;

	snprintf(buf, sizeof(buf), "%.*s", (int)len, name);
	d = rulefile_find(&rc->rs->set, buf);
	if (d == NULL || d->test == RULE_TEST_NONE) {
		PROBLEM(rc->rs, rc->meta, "meta refers to unknown rule %s (counts as 0)", buf);
		return -1;
	}
	return (int)(d - rc->rs->set.rules);
}

static int compile_meta(struct ruleset *rs, struct crule *c)
{
	struct resolve_ctx rc = {.rs = rs, .meta = c->def};
	char err[RULES_ERR_MAX];

	if (meta_compile(c->def->text, resolve, &rc, &c->meta, err, sizeof(err)) < 0) {
		PROBLEM(rs, c->def, "bad meta expression: %s", err);
		return -1;
	}
	return 0;
}

/* Depth-first: a meta after the metas it reads. state: 0 new, 1 on the
 * path, 2 done. Every meta on a cycle (or reading one) fails. */
static int order_meta(struct ruleset *rs, size_t i, unsigned char *state)
{
	struct crule *c = &rs->rules[i];
	const int *deps;
	size_t n;

	if (state[i] == 2)
		return c->live ? 0 : -1;
	if (state[i] == 1)
		return -1;
	state[i] = 1;
	n = meta_deps(c->meta, &deps);
	for (size_t k = 0; k < n; k++) {
		struct crule *dep = &rs->rules[deps[k]];
		if (dep->meta == NULL || order_meta(rs, (size_t)deps[k], state) == 0)
			continue;
		PROBLEM(rs, c->def, "meta rules form a cycle (through %s)", dep->def->name);
		c->live = 0;
		state[i] = 2;
		return -1;
	}
	state[i] = 2;
	rs->order[RULE_META][rs->norder[RULE_META]++] = i;
	return 0;
}

static void count(struct rules_report *rep, const struct rule_def *d, int what)
{
	size_t *tot = what == 0 ? &rep->loaded : what == 1 ? &rep->inert : &rep->failed;
	size_t *by = what == 0 ? rep->type_loaded : what == 1 ? rep->type_inert : rep->type_failed;
	size_t *rx = what == 0	 ? rep->regex_loaded
		     : what == 1 ? rep->regex_inert
				 : rep->regex_failed;

	(*tot)++;
	by[d->type]++;
	if (d->test == RULE_TEST_REGEX)
		rx[d->type]++;
}

static int order_metas(struct ruleset *rs)
{
	unsigned char *state = calloc(rs->n, 1);

	if (state == NULL)
		return -1;
	for (size_t i = 0; i < rs->n; i++)
		if (rs->rules[i].meta != NULL && rs->rules[i].live)
			order_meta(rs, i, state);
	free(state);
	return 0;
}

/* Compiles each rule; 0 loaded, 1 inert, 2 failed, -1 not a rule. */
static int compile_rule(struct ruleset *rs, struct crule *c)
{
	const struct rule_def *d = c->def;

	if (d->test == RULE_TEST_NONE)
		return -1;
	if (d->failed)
		return 2;
	if (d->inert != NULL)
		return 1;
	if (d->test == RULE_TEST_REGEX && compile_regex(rs, c) < 0)
		return 2;
	if (d->test == RULE_TEST_META && compile_meta(rs, c) < 0)
		return 2;
	c->live = 1;
	return 0;
}

/* Which rules the header alone decides: header rules, and metas whose every
 * dependency is one of those or never evaluated (it counts as 0 either
 * way). Metas come in dependency order. */
static void mark_eoh(struct ruleset *rs)
{
	/* a rule that sets or reads captured tags waits for the whole message */
	for (size_t k = 0; k < rs->norder[RULE_HEADER]; k++) {
		struct crule *c = &rs->rules[rs->order[RULE_HEADER][k]];
		c->eoh = c->tmpl == NULL && (c->re == NULL || !regex_captures(c->re));
	}
	for (size_t k = 0; k < rs->norder[RULE_META]; k++) {
		struct crule *c = &rs->rules[rs->order[RULE_META][k]];
		const int *deps;
		size_t n = meta_deps(c->meta, &deps);
		c->eoh = 1;
		for (size_t d = 0; d < n && c->eoh; d++)
			c->eoh = !rs->rules[deps[d]].live || rs->rules[deps[d]].eoh;
	}
	for (size_t i = 0; i < rs->n; i++) {
		const struct crule *c = &rs->rules[i];
		if (!c->live || strncmp(c->def->name, "__", 2) == 0 || c->def->score == 0)
			continue;
		if (c->eoh)
			rs->eoh_scored++;
		else if (c->def->score < 0)
			rs->eoh_rest += c->def->score;
	}
}

static int compile_all(struct ruleset *rs, struct rules_report *rep)
{
	for (size_t t = 0; t < RULE_NTYPES; t++)
		if ((rs->order[t] = calloc(rs->n + 1, sizeof(size_t))) == NULL)
			return -1;
	/* metas last: they resolve names of rules of every type */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < rs->n; i++) {
			struct crule *c = &rs->rules[i];
			if ((c->def->type == RULE_META) != pass)
				continue;
			compile_rule(rs, c);
		}
	}
	if (order_metas(rs) < 0)
		return -1;
	for (size_t i = 0; i < rs->n; i++) {
		struct crule *c = &rs->rules[i];
		const struct rule_def *d = c->def;
		if (d->test == RULE_TEST_NONE)
			continue;
		count(rep, d, c->live ? 0 : d->inert != NULL ? 1 : 2);
		if (c->live && d->type != RULE_META)
			rs->order[d->type][rs->norder[d->type]++] = i;
	}
	mark_eoh(rs);
	return 0;
}

static struct ruleset *load_files(const char *const *paths, size_t n, struct strbuf *problems,
				  const char **error_r)
{
	struct ruleset *rs = calloc(1, sizeof(*rs));
	static char msg[512]; /* a load failure is reported once, at start-up */

	if (rs == NULL || rulefile_init(&rs->set, problems) < 0) {
		free(rs);
		*error_r = "out of memory";
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		const char *err = NULL;
		if (rulefile_load(&rs->set, paths[i], &err) < 0) {
			snprintf(msg, sizeof(msg), "%s: %s", paths[i], err);
			*error_r = msg;
			rules_free(&rs);
			return NULL;
		}
	}
	rulefile_finish(&rs->set);
	return rs;
}

struct ruleset *rules_load(const char *const *paths, size_t n, struct rules_report *rep,
			   const char **error_r)
{
	struct rules_report dummy;
	struct ruleset *rs;

	if (rep == NULL) {
		memset(&dummy, 0, sizeof(dummy));
		rep = &dummy;
	}
	if ((rs = load_files(paths, n, rep->problems, error_r)) == NULL)
		return NULL;
	rs->n = rs->set.nrules;
	rs->rules = calloc(rs->n + 1, sizeof(*rs->rules));
	rs->hits = calloc(rs->n + 1, sizeof(*rs->hits));
	if (rs->rules == NULL || rs->hits == NULL)
		goto nomem;
	for (size_t i = 0; i < rs->n; i++)
		rs->rules[i].def = &rs->set.rules[i];
	if (compile_all(rs, rep) < 0)
		goto nomem;
	rep->nproblems = rs->set.nproblems;
	return rs;
nomem:
	*error_r = "out of memory";
	rules_free(&rs);
	return NULL;
}

void rules_free(struct ruleset **rsp)
{
	struct ruleset *rs = *rsp;

	if (rs == NULL)
		return;
	for (size_t i = 0; rs->rules != NULL && i < rs->n; i++) {
		regex_free(&rs->rules[i].re);
		free(rs->rules[i].tmpl);
		meta_free(&rs->rules[i].meta);
	}
	for (size_t t = 0; t < RULE_NTYPES; t++)
		free(rs->order[t]);
	free(rs->rules);
	free(rs->hits);
	rulefile_free(&rs->set);
	free(rs);
	*rsp = NULL;
}

int rules_early(const struct ruleset *rs)
{
	return rs != NULL && rs->eoh_scored > 0;
}

size_t rules_count(const struct ruleset *rs)
{
	return rs->n;
}

void rules_counter(const struct ruleset *rs, size_t i, const char **name, unsigned long *hits)
{
	*name = rs->set.rules[i].name;
	*hits = atomic_load(&rs->hits[i]);
}
