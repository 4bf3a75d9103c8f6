/* The rule directives of SpamAssassin rule files. A rule is created at its
 * first mention (score and describe may come before the definition) and a
 * later definition replaces an earlier one, as in SpamAssassin. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailsift/ruledef.h"

#define RULE_NAME_MAX 128

static size_t name_hash(const char *s)
{
	size_t h = 14695981039346656037u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

static void hash_put(size_t *hash, size_t cap, const char *name, size_t idx)
{
	size_t i = name_hash(name) & (cap - 1);

	while (hash[i] != 0)
		i = (i + 1) & (cap - 1);
	hash[i] = idx + 1;
}

static int hash_grow(struct rulefile_set *set)
{
	size_t cap = set->hash_cap ? set->hash_cap * 2 : 1024;
	size_t *h = calloc(cap, sizeof(*h));

	if (h == NULL)
		return -1;
	for (size_t i = 0; i < set->nrules; i++)
		hash_put(h, cap, set->rules[i].name, i);
	free(set->hash);
	set->hash = h;
	set->hash_cap = cap;
	return 0;
}

struct rule_def *rulefile_find(const struct rulefile_set *set, const char *name)
{
	if (set->hash_cap == 0)
		return NULL;
	for (size_t i = name_hash(name) & (set->hash_cap - 1); set->hash[i] != 0;
	     i = (i + 1) & (set->hash_cap - 1))
		if (strcmp(set->rules[set->hash[i] - 1].name, name) == 0)
			return &set->rules[set->hash[i] - 1];
	return NULL;
}

struct rule_def *ruledef_get(struct rulefile_set *set, const char *name)
{
	struct rule_def *r = rulefile_find(set, name);

	if (r != NULL)
		return r;
	if (set->nrules >= RULEFILE_MAX_RULES)
		return NULL;
	if (set->nrules == set->rules_cap) {
		size_t cap = set->rules_cap ? set->rules_cap * 2 : 256;
		struct rule_def *nr = realloc(set->rules, cap * sizeof(*nr));
		if (nr == NULL)
			return NULL;
		set->rules = nr;
		set->rules_cap = cap;
	}
	if ((set->nrules + 1) * 2 > set->hash_cap && hash_grow(set) < 0)
		return NULL;
	r = &set->rules[set->nrules];
	memset(r, 0, sizeof(*r));
	if ((r->name = strdup(name)) == NULL)
		return NULL;
	r->score = strncmp(name, "T_", 2) == 0 ? 0.01 : 1.0;
	hash_put(set->hash, set->hash_cap, name, set->nrules++);
	return r;
}

void ruledef_clear(struct rule_def *r, int all)
{
	free(r->header);
	free(r->unset);
	free(r->text);
	free(r->inert);
	r->header = r->unset = r->text = r->inert = NULL;
	r->test = RULE_TEST_NONE;
	r->negate = 0;
	r->hdr_mods = 0;
	r->failed = 0;
	if (all) {
		free(r->name);
		free(r->describe);
		r->name = r->describe = NULL;
	}
}

char *ruledef_next_word(char **p)
{
	char *w = *p, *e = w;

	while (*e != '\0' && !isspace((unsigned char)*e))
		e++;
	*p = e;
	if (*e != '\0') {
		*e = '\0';
		*p = e + 1;
		while (isspace((unsigned char)**p))
			(*p)++;
	}
	return w;
}

/* SpamAssassin's rule names: a letter or "_", then word characters. */
static int valid_name(struct rulefile_parse *ps, const char *dir, const char *name)
{
	size_t n = strlen(name);
	int ok = n > 0 && n < RULE_NAME_MAX && (isalpha((unsigned char)name[0]) || name[0] == '_');

	for (size_t i = 1; ok && i < n; i++)
		ok = isalnum((unsigned char)name[i]) || name[i] == '_';
	if (!ok && ps->state == RULEFILE_LIVE)
		rulefile_problem(ps->set, ps->file, ps->line, n ? name : dir, "invalid rule name");
	return ok;
}

static void out_of_memory(struct rulefile_parse *ps, const char *name)
{
	rulefile_problem(ps->set, ps->file, ps->line, name, "out of memory");
}

/* A new definition of name; NULL if it is to be dropped (an inert block's
 * definition of a rule a live line defines). */
static struct rule_def *define(struct rulefile_parse *ps, const char *name, enum rule_type type,
			       enum rule_test test)
{
	struct rule_def *r = rulefile_find(ps->set, name);
	char why[256];

	if (ps->state == RULEFILE_INERT && r != NULL && r->test != RULE_TEST_NONE &&
	    r->inert == NULL)
		return NULL;
	if (r == NULL && (r = ruledef_get(ps->set, name)) == NULL) {
		out_of_memory(ps, name);
		return NULL;
	}
	ruledef_clear(r, 0);
	r->type = type;
	r->test = test;
	r->file = ps->file;
	r->line = ps->line;
	if (ps->state == RULEFILE_INERT) {
		snprintf(why, sizeof(why), "plugin %s is not loaded",
			 ps->stack[ps->depth - 1].plugin);
		if ((r->inert = strdup(why)) == NULL)
			out_of_memory(ps, name);
	}
	return r;
}

/* A definition line that does not parse: the rule exists (metas may name
 * it) but failed. */
static void define_failed(struct rulefile_parse *ps, const char *name, enum rule_type type,
			  const char *msg)
{
	struct rule_def *r = define(ps, name, type, RULE_TEST_REGEX);

	if (r == NULL || r->inert != NULL)
		return;
	r->failed = 1;
	rulefile_problem(ps->set, ps->file, ps->line, name, "%s", msg);
}

static int is_eval(const char *args)
{
	return strncmp(args, "eval:", 5) == 0 || strncmp(args, "rbleval:", 8) == 0;
}

static void define_eval(struct rulefile_parse *ps, const char *name, enum rule_type type,
			const char *args)
{
	struct rule_def *r = define(ps, name, type, RULE_TEST_EVAL);
	const char *fn = strchr(args, ':') + 1;
	size_t fnlen = strcspn(fn, "( \t");
	char why[256];

	if (r == NULL)
		return;
	if ((r->text = strdup(args)) == NULL)
		out_of_memory(ps, name);
	if (r->inert != NULL)
		return;
	snprintf(why, sizeof(why), "eval test %.*s() is not implemented", (int)fnlen, fn);
	if ((r->inert = strdup(why)) == NULL)
		out_of_memory(ps, name);
	rulefile_problem(ps->set, ps->file, ps->line, name, "%s: rule inert", why);
}

static int parse_mods(const char *mods, unsigned allowed, unsigned *out)
{
	static const struct {
		const char *name;
		unsigned bit;
	} table[] = {{"raw", RULE_HDR_RAW}, {"addr", RULE_HDR_ADDR}, {"name", RULE_HDR_NAME}};

	*out = 0;
	while (*mods != '\0') {
		size_t n = strcspn(mods, ":"), i;

		for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
			if (strlen(table[i].name) == n && strncmp(mods, table[i].name, n) == 0)
				break;
		if (i == sizeof(table) / sizeof(table[0]) || !(table[i].bit & allowed))
			return -1;
		*out |= table[i].bit;
		mods += n;
		if (*mods == ':')
			mods++;
	}
	return 0;
}

/* "[if-unset: VALUE]" at the end of a header test: cut off, value kept. */
static char *cut_if_unset(char *args)
{
	size_t n = strlen(args);
	char *p;

	if (n == 0 || args[n - 1] != ']' || (p = strstr(args, "[if-unset:")) == NULL)
		return NULL;
	while (strstr(p + 1, "[if-unset:") != NULL)
		p = strstr(p + 1, "[if-unset:");
	args[n - 1] = '\0';
	*p = '\0';
	for (char *e = p; e > args && isspace((unsigned char)e[-1]);)
		*--e = '\0';
	p += strlen("[if-unset:");
	while (isspace((unsigned char)*p))
		p++;
	return p;
}

/* "Header[:mods] =~ /re/flags [if-unset: X]" */
static void header_test(struct rulefile_parse *ps, const char *name, enum rule_type type,
			char *args, unsigned allowed)
{
	char *spec = ruledef_next_word(&args), *op = ruledef_next_word(&args), *colon, *unset;
	struct rule_def *r;
	unsigned mods = 0;

	if (*spec == '\0' || (strcmp(op, "=~") != 0 && strcmp(op, "!~") != 0) || *args == '\0') {
		define_failed(ps, name, type,
			      "expected 'Header =~ /regex/' or 'Header !~ /regex/'");
		return;
	}
	if ((colon = strchr(spec, ':')) != NULL) {
		*colon = '\0';
		if (parse_mods(colon + 1, allowed, &mods) < 0) {
			char msg[256];
			snprintf(msg, sizeof(msg), "unknown header modifier ':%s'", colon + 1);
			define_failed(ps, name, type, msg);
			return;
		}
	}
	unset = cut_if_unset(args);
	if ((r = define(ps, name, type, RULE_TEST_REGEX)) == NULL)
		return;
	r->negate = op[0] == '!';
	r->hdr_mods = mods;
	r->header = strdup(spec);
	r->text = strdup(args);
	if (unset != NULL)
		r->unset = strdup(unset);
	if (r->header == NULL || r->text == NULL || (unset != NULL && r->unset == NULL))
		out_of_memory(ps, name);
}

void ruledef_header(struct rulefile_parse *ps, const char *dir, char *args)
{
	char *name = ruledef_next_word(&args);
	struct rule_def *r;

	if (!valid_name(ps, dir, name))
		return;
	if (is_eval(args)) {
		define_eval(ps, name, RULE_HEADER, args);
		return;
	}
	if (strncmp(args, "exists:", 7) == 0) {
		if ((r = define(ps, name, RULE_HEADER, RULE_TEST_EXISTS)) == NULL)
			return;
		if ((r->header = strdup(args + 7)) == NULL)
			out_of_memory(ps, name);
		return;
	}
	header_test(ps, name, RULE_HEADER, args, RULE_HDR_RAW | RULE_HDR_ADDR | RULE_HDR_NAME);
}

void ruledef_mimeheader(struct rulefile_parse *ps, const char *dir, char *args)
{
	char *name = ruledef_next_word(&args);

	if (valid_name(ps, dir, name))
		header_test(ps, name, RULE_MIMEHEADER, args, RULE_HDR_RAW);
}

/* body, rawbody, full, uri: "NAME /regex/flags" or "NAME eval:..." */
void ruledef_plain(struct rulefile_parse *ps, const char *dir, char *args)
{
	static const struct {
		const char *dir;
		enum rule_type type;
	} types[] = {{"body", RULE_BODY},
		     {"rawbody", RULE_RAWBODY},
		     {"full", RULE_FULL},
		     {"uri", RULE_URI}};
	char *name = ruledef_next_word(&args);
	enum rule_type type = RULE_BODY;
	struct rule_def *r;

	if (!valid_name(ps, dir, name))
		return;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(types[i].dir, dir) == 0)
			type = types[i].type;
	if (is_eval(args)) {
		define_eval(ps, name, type, args);
		return;
	}
	if (*args == '\0') {
		define_failed(ps, name, type, "missing regex");
		return;
	}
	if ((r = define(ps, name, type, RULE_TEST_REGEX)) != NULL &&
	    (r->text = strdup(args)) == NULL)
		out_of_memory(ps, name);
}

void ruledef_meta(struct rulefile_parse *ps, const char *dir, char *args)
{
	char *name = ruledef_next_word(&args);
	struct rule_def *r;

	if (!valid_name(ps, dir, name))
		return;
	if (*args == '\0') {
		define_failed(ps, name, RULE_META, "missing meta expression");
		return;
	}
	if ((r = define(ps, name, RULE_META, RULE_TEST_META)) != NULL &&
	    (r->text = strdup(args)) == NULL)
		out_of_memory(ps, name);
}

/* askdns, urirhssub, uridnsbl...: DNS lookups the engine does not make. */
void ruledef_net(struct rulefile_parse *ps, const char *dir, char *args)
{
	char *name = ruledef_next_word(&args);
	struct rule_def *r;

	if (!valid_name(ps, dir, name) || (r = define(ps, name, RULE_NET, RULE_TEST_NET)) == NULL)
		return;
	if (r->inert == NULL && (r->inert = strdup("DNS rules are not evaluated")) == NULL)
		out_of_memory(ps, name);
}

/* An attribute line's rule; NULL if the line does not apply. */
static struct rule_def *attr_rule(struct rulefile_parse *ps, const char *dir, char **args)
{
	char *name = ruledef_next_word(args);
	struct rule_def *r;

	if (ps->state != RULEFILE_LIVE || !valid_name(ps, dir, name))
		return NULL;
	if ((r = ruledef_get(ps->set, name)) == NULL)
		out_of_memory(ps, name);
	return r;
}

void ruledef_score(struct rulefile_parse *ps, const char *dir, char *args)
{
	struct rule_def *r = attr_rule(ps, dir, &args);
	double v[4];
	int n = 0;

	if (r == NULL)
		return;
	while (*args != '\0' && n < 4) {
		char *w = ruledef_next_word(&args), *end;
		v[n] = strtod(w, &end);
		if (end == w || *end != '\0') {
			rulefile_problem(ps->set, ps->file, ps->line, r->name, "bad score '%s'", w);
			return;
		}
		n++;
	}
	if (n == 0 || *args != '\0') {
		rulefile_problem(ps->set, ps->file, ps->line, r->name,
				 "score takes one or four numbers");
		return;
	}
	r->score = v[0]; /* set 0: no Bayes, no network tests */
	r->has_score = 1;
	r->score_file = ps->file;
	r->score_line = ps->line;
}

void ruledef_describe(struct rulefile_parse *ps, const char *dir, char *args)
{
	struct rule_def *r = attr_rule(ps, dir, &args);

	if (r == NULL)
		return;
	free(r->describe);
	if ((r->describe = strdup(args)) == NULL)
		out_of_memory(ps, r->name);
}

static int tflag(struct rule_def *r, const char *w)
{
	/* clang-format off */
	static const char *const ignored[] = {
		"learn", "userconf", "noautolearn", "autolearn_force", "autolearn_body", "publish",
		"notrim", "domains_only", "ips_only", "a", "nolog", "lock", "always", "low",
	};
	/* clang-format on */
	char *end;

	if (strcmp(w, "nice") == 0)
		r->tflags |= RULE_TF_NICE;
	else if (strcmp(w, "multiple") == 0)
		r->tflags |= RULE_TF_MULTIPLE;
	else if (strcmp(w, "nosubject") == 0)
		r->tflags |= RULE_TF_NOSUBJECT;
	else if (strcmp(w, "net") == 0)
		r->tflags |= RULE_TF_NET;
	else if (strncmp(w, "maxhits=", 8) == 0) {
		unsigned long n = strtoul(w + 8, &end, 10);
		if (end == w + 8 || *end != '\0' || n == 0 || n > 1000000)
			return -1;
		r->maxhits = (unsigned)n;
		r->tflags |= RULE_TF_MULTIPLE;
	} else {
		for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
			if (strcmp(w, ignored[i]) == 0)
				return 0;
		return -1;
	}
	return 0;
}

void ruledef_tflags(struct rulefile_parse *ps, const char *dir, char *args)
{
	struct rule_def *r = attr_rule(ps, dir, &args);

	if (r == NULL)
		return;
	r->tflags = 0;
	r->maxhits = 0;
	while (*args != '\0') {
		char *w = ruledef_next_word(&args);
		if (tflag(r, w) < 0)
			rulefile_problem(ps->set, ps->file, ps->line, r->name,
					 "unknown tflag '%s' ignored", w);
	}
}

void ruledef_priority(struct rulefile_parse *ps, const char *dir, char *args)
{
	struct rule_def *r = attr_rule(ps, dir, &args);
	char *end;
	long v;

	if (r == NULL)
		return;
	v = strtol(args, &end, 10);
	if (end == args || *end != '\0' || v < -100000 || v > 100000) {
		rulefile_problem(ps->set, ps->file, ps->line, r->name, "bad priority '%s'", args);
		return;
	}
	r->priority = (int)v;
}
