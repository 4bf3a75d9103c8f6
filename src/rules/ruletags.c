/* ReplaceTags: "replace_tag A (?:[aA@4])" and friends, and their expansion
 * in the regexes of the rules named by replace_rules. In such a regex,
 * "<pre X>", "<inter X>" and "<post X>" choose text put before each tag,
 * between two adjacent tags and after each tag; "<A>" is a tag. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "mailsift/ruletags.h"

#define RULETAGS_MAX_PASSES 6

#define RULETAGS_MAX 4096

static const struct rule_tag *find_tag(const struct rulefile_set *set, enum rule_tag_kind kind,
				       const char *name, size_t len)
{
	for (size_t i = 0; i < set->ntags; i++)
		if (set->tags[i].kind == kind && strlen(set->tags[i].name) == len &&
		    memcmp(set->tags[i].name, name, len) == 0)
			return &set->tags[i];
	return NULL;
}

static int add_tag(struct rulefile_set *set, enum rule_tag_kind kind, const char *name,
		   const char *value)
{
	struct rule_tag *t = (struct rule_tag *)find_tag(set, kind, name, strlen(name));
	char *v = strdup(value);

	if (v == NULL)
		return -1;
	if (t == NULL) {
		if (set->ntags >= RULETAGS_MAX)
			goto fail;
		if (set->ntags == set->tags_cap) {
			size_t cap = set->tags_cap ? set->tags_cap * 2 : 64;
			struct rule_tag *nt = realloc(set->tags, cap * sizeof(*nt));
			if (nt == NULL)
				goto fail;
			set->tags = nt;
			set->tags_cap = cap;
		}
		t = &set->tags[set->ntags];
		if ((t->name = strdup(name)) == NULL)
			goto fail;
		t->kind = kind;
		t->value = NULL;
		set->ntags++;
	}
	free(t->value);
	t->value = v;
	return 0;
fail:
	free(v);
	return -1;
}

void ruletags_tag(struct rulefile_parse *ps, const char *dir, char *args)
{
	enum rule_tag_kind kind = RULE_TAG;
	char *name = ruledef_next_word(&args);

	if (ps->state != RULEFILE_LIVE)
		return;
	if (strcmp(dir, "replace_pre") == 0)
		kind = RULE_TAG_PRE;
	else if (strcmp(dir, "replace_inter") == 0)
		kind = RULE_TAG_INTER;
	else if (strcmp(dir, "replace_post") == 0)
		kind = RULE_TAG_POST;
	if (*name == '\0' || *args == '\0') {
		rulefile_problem(ps->set, ps->file, ps->line, dir, "expected a name and a value");
		return;
	}
	if (add_tag(ps->set, kind, name, args) < 0)
		rulefile_problem(ps->set, ps->file, ps->line, dir,
				 "out of memory or too many tags");
}

void ruletags_rules(struct rulefile_parse *ps, const char *dir, char *args)
{
	(void)dir;
	if (ps->state != RULEFILE_LIVE)
		return;
	while (*args != '\0') {
		char *name = ruledef_next_word(&args);
		/* the rule may come later: tags are expanded once all is read */
		struct rule_def *r = ruledef_get(ps->set, name);

		if (r == NULL)
			rulefile_problem(ps->set, ps->file, ps->line, name, "out of memory");
		else
			r->replace = 1;
	}
}

void ruletags_delim(struct rulefile_parse *ps, const char *dir, char *args)
{
	char **which = strcmp(dir, "replace_start") == 0 ? &ps->set->tag_start : &ps->set->tag_end;
	char *v;

	if (ps->state != RULEFILE_LIVE)
		return;
	if (*args == '\0' || (v = strdup(args)) == NULL) {
		rulefile_problem(ps->set, ps->file, ps->line, dir, "expected a delimiter");
		return;
	}
	free(*which);
	*which = v;
}

/* "pre X", "inter X" or "post X" (len bytes at p): sets the matching one of
 * pre/inter/post to the definition; 1 if it was one. */
static int directive_at(const struct rulefile_set *set, const char *p, size_t len, const char **pre,
			const char **inter, const char **post)
{
	static const struct {
		const char *word;
		enum rule_tag_kind kind;
	} kinds[] = {{"pre ", RULE_TAG_PRE}, {"inter ", RULE_TAG_INTER}, {"post ", RULE_TAG_POST}};

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		size_t wl = strlen(kinds[k].word);
		const struct rule_tag *t;

		if (len <= wl || strncmp(p, kinds[k].word, wl) != 0)
			continue;
		t = find_tag(set, kinds[k].kind, p + wl, len - wl);
		if (t == NULL)
			return 0;
		*(kinds[k].kind == RULE_TAG_PRE	    ? pre
		  : kinds[k].kind == RULE_TAG_INTER ? inter
						    : post) = t->value;
		return 1;
	}
	return 0;
}

/* First pass: the pre/inter/post a regex chooses (the last of each wins). */
static void choose(const struct rulefile_set *set, const char *re, const char **pre,
		   const char **inter, const char **post)
{
	size_t sl = strlen(set->tag_start);

	for (const char *p = strstr(re, set->tag_start); p != NULL;
	     p = strstr(p + sl, set->tag_start)) {
		const char *e = strstr(p + sl, set->tag_end);
		if (e != NULL)
			directive_at(set, p + sl, (size_t)(e - p - sl), pre, inter, post);
	}
}

static int expand_once(const struct rulefile_set *set, const char *re, struct strbuf *out)
{
	const char *pre = "", *inter = "", *post = "", *ignore;
	size_t sl = strlen(set->tag_start), el = strlen(set->tag_end);
	const char *after_tag = NULL; /* where the last expanded tag ended */

	choose(set, re, &pre, &inter, &post);
	for (const char *p = re; *p != '\0';) {
		const char *e =
			strncmp(p, set->tag_start, sl) == 0 ? strstr(p + sl, set->tag_end) : NULL;
		const struct rule_tag *t = NULL;
		size_t len = e != NULL ? (size_t)(e - p - sl) : 0;

		if (e != NULL && directive_at(set, p + sl, len, &ignore, &ignore, &ignore)) {
			p = e + el;
			continue;
		}
		if (e != NULL)
			t = find_tag(set, RULE_TAG, p + sl, len);
		if (t == NULL) {
			sb_putc(out, *p++);
			continue;
		}
		if (after_tag == p)
			sb_puts(out, inter);
		sb_puts(out, pre);
		sb_puts(out, t->value);
		sb_puts(out, post);
		p = after_tag = e + el;
	}
	return out->failed ? -1 : 0;
}

/* A tag's value may hold other tags: the replacement is repeated until
 * nothing changes, at most RULETAGS_MAX_PASSES times, as SpamAssassin does. */
int ruletags_expand(const struct rulefile_set *set, const char *re, struct strbuf *out)
{
	struct strbuf cur, next;
	int rc = 0;

	sb_init(&cur, out->max);
	if (sb_puts(&cur, re) < 0) {
		sb_free(&cur);
		return -1;
	}
	for (int pass = 0; pass < RULETAGS_MAX_PASSES && rc == 0; pass++) {
		int same;

		sb_init(&next, out->max);
		rc = expand_once(set, sb_str(&cur), &next);
		same = rc == 0 && next.len == cur.len && memcmp(next.s, cur.s, cur.len) == 0;
		sb_free(&cur);
		cur = next;
		if (same)
			break;
	}
	if (rc == 0 && sb_append(out, cur.s != NULL ? cur.s : "", cur.len) < 0)
		rc = -1;
	sb_free(&cur);
	return rc;
}
