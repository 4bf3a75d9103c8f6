/* SpamAssassin rule files: lines, comments, if/ifplugin blocks, include and
 * the directive table. The rule directives themselves are in ruledef.c. */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mailsift/rulecond.h"
#include "mailsift/ruledef.h"
#include "mailsift/rulefile.h"
#include "mailsift/rulenet.h"
#include "mailsift/ruletags.h"

#define RULEFILE_MAX_PROBLEMS 100000 /* lines kept; more are counted only */

static int intern_file(struct rulefile_set *set, const char *path, const char **out)
{
	char **nf;

	if (set->nfiles >= RULEFILE_MAX_FILES)
		return -1;
	nf = realloc(set->files, (set->nfiles + 1) * sizeof(*nf));
	if (nf == NULL)
		return -1;
	set->files = nf;
	if ((nf[set->nfiles] = strdup(path)) == NULL)
		return -1;
	*out = nf[set->nfiles++];
	return 0;
}

int rulefile_init(struct rulefile_set *set, struct strbuf *problems)
{
	memset(set, 0, sizeof(*set));
	set->problems = problems;
	set->tag_start = strdup("<");
	set->tag_end = strdup(">");
	if (set->tag_start == NULL || set->tag_end == NULL) {
		rulefile_free(set);
		return -1;
	}
	return 0;
}

void rulefile_free(struct rulefile_set *set)
{
	for (size_t i = 0; i < set->nrules; i++)
		ruledef_clear(&set->rules[i], 1);
	free(set->rules);
	free(set->hash);
	for (size_t i = 0; i < set->ntags; i++) {
		free(set->tags[i].name);
		free(set->tags[i].value);
	}
	free(set->tags);
	for (size_t i = 0; i < set->nfiles; i++)
		free(set->files[i]);
	free(set->files);
	free(set->tag_start);
	free(set->tag_end);
	rulenet_free(set);
	memset(set, 0, sizeof(*set));
}

void rulefile_problem(struct rulefile_set *set, const char *file, unsigned line, const char *rule,
		      const char *fmt, ...)
{
	va_list ap;
	char msg[1024];

	set->nproblems++;
	if (set->problems == NULL || set->nproblems > RULEFILE_MAX_PROBLEMS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap); /* a cut message is still useful */
	va_end(ap);
	sb_printf(set->problems, "%s:%u: %s: %s\n", file, line, rule, msg);
}

/* Strips an unescaped "#" comment, turns "\#" into "#", trims. SpamAssassin
 * does the same, so "#" inside a regex must be written "\#". */
static char *clean_line(char *s)
{
	char *w = s, *end;

	for (char *r = s; *r != '\0'; r++) {
		if (*r == '#' && (r == s || r[-1] != '\\'))
			break;
		if (*r == '\\' && r[1] == '#') {
			*w++ = '#';
			r++;
			continue;
		}
		*w++ = *r;
	}
	*w = '\0';
	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* The block a line is in: live, recorded but inert, or skipped. */
static int block_state(const struct rulefile_parse *ps)
{
	return ps->depth == 0 ? RULEFILE_LIVE : ps->stack[ps->depth - 1].state;
}

static void push_block(struct rulefile_parse *ps, const char *dir, int self, const char *plugin)
{
	struct rulefile_block *b;
	int parent = block_state(ps);

	if (ps->depth >= RULEFILE_MAX_IF_DEPTH) {
		rulefile_problem(ps->set, ps->file, ps->line, dir, "blocks nested too deeply");
		return;
	}
	b = &ps->stack[ps->depth++];
	b->line = ps->line;
	b->self = self;
	b->parent = parent;
	b->state = self < parent ? self : parent;
	b->has_else = 0;
	/* an inert block inside another is inert for the outer plugin */
	if (parent != RULEFILE_LIVE && ps->depth >= 2)
		plugin = ps->stack[ps->depth - 2].plugin;
	snprintf(b->plugin, sizeof(b->plugin), "%s", plugin != NULL ? plugin : "");
}

static void d_if(struct rulefile_parse *ps, const char *dir, char *args)
{
	const char *err = NULL;
	int v = 0;

	if (rulecond_eval(args, &v, &err) < 0) {
		rulefile_problem(ps->set, ps->file, ps->line, dir, "cannot evaluate '%s': %s", args,
				 err);
		v = 0;
	}
	push_block(ps, dir, v ? RULEFILE_LIVE : RULEFILE_SKIP, NULL);
}

static void d_ifplugin(struct rulefile_parse *ps, const char *dir, char *args)
{
	int have = rulecond_plugin(args);

	push_block(ps, dir, have ? RULEFILE_LIVE : RULEFILE_INERT, have ? NULL : args);
}

static void d_else(struct rulefile_parse *ps, const char *dir, char *args)
{
	struct rulefile_block *b;

	(void)args;
	if (ps->depth == 0 || ps->stack[ps->depth - 1].has_else) {
		rulefile_problem(ps->set, ps->file, ps->line, dir, "else without if");
		return;
	}
	b = &ps->stack[ps->depth - 1];
	b->has_else = 1;
	b->self = b->self == RULEFILE_LIVE ? RULEFILE_SKIP : RULEFILE_LIVE;
	b->state = b->self < b->parent ? b->self : b->parent;
}

static void d_endif(struct rulefile_parse *ps, const char *dir, char *args)
{
	(void)args;
	if (ps->depth == 0) {
		rulefile_problem(ps->set, ps->file, ps->line, dir, "endif without if");
		return;
	}
	ps->depth--;
}

static void d_include(struct rulefile_parse *ps, const char *dir, char *args)
{
	char path[4096];
	const char *slash = strrchr(ps->file, '/'), *err = NULL;
	int n;

	if (args[0] == '/' || slash == NULL)
		n = snprintf(path, sizeof(path), "%s", args);
	else
		n = snprintf(path, sizeof(path), "%.*s/%s", (int)(slash - ps->file), ps->file,
			     args);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		rulefile_problem(ps->set, ps->file, ps->line, dir, "path too long");
		return;
	}
	if (ps->set->include_depth >= RULEFILE_MAX_INCLUDE_DEPTH) {
		rulefile_problem(ps->set, ps->file, ps->line, dir, "includes nested too deeply");
		return;
	}
	ps->set->include_depth++;
	if (rulefile_load(ps->set, path, &err) < 0)
		rulefile_problem(ps->set, ps->file, ps->line, dir, "%s", err);
	ps->set->include_depth--;
}

static void d_ignore(struct rulefile_parse *ps, const char *dir, char *args)
{
	(void)ps;
	(void)dir;
	(void)args;
}

/* clang-format off */
static const struct rulefile_directive {
	const char *name;
	void (*fn)(struct rulefile_parse *ps, const char *dir, char *args);
	int in_skipped; /* also acted on inside skipped blocks (block structure) */
} directives[] = {
	{"if", d_if, 1}, {"ifplugin", d_ifplugin, 1}, {"else", d_else, 1}, {"endif", d_endif, 1},
	{"include", d_include, 0},
	{"header", ruledef_header, 0}, {"mimeheader", ruledef_mimeheader, 0},
	{"body", ruledef_plain, 0}, {"rawbody", ruledef_plain, 0}, {"full", ruledef_plain, 0},
	{"uri", ruledef_plain, 0}, {"meta", ruledef_meta, 0},
	{"askdns", ruledef_net, 0}, {"urirhssub", ruledef_net, 0}, {"urirhsbl", ruledef_net, 0},
	{"uridnsbl", ruledef_net, 0}, {"uridnssub", ruledef_net, 0},
	{"score", ruledef_score, 0}, {"describe", ruledef_describe, 0},
	{"tflags", ruledef_tflags, 0}, {"priority", ruledef_priority, 0},
	{"replace_tag", ruletags_tag, 0}, {"replace_pre", ruletags_tag, 0},
	{"replace_inter", ruletags_tag, 0}, {"replace_post", ruletags_tag, 0},
	{"replace_rules", ruletags_rules, 0},
	{"replace_start", ruletags_delim, 0}, {"replace_end", ruletags_delim, 0},
	/* SpamAssassin settings that are not rules: known, skipped */
	{"lang", d_ignore, 0}, {"test", d_ignore, 0}, {"reuse", d_ignore, 0},
	{"require_version", d_ignore, 0}, {"loadplugin", d_ignore, 0}, {"tryplugin", d_ignore, 0},
	{"add_header", d_ignore, 0}, {"remove_header", d_ignore, 0}, {"clear_headers", d_ignore, 0},
	{"report", d_ignore, 0}, {"clear_report_template", d_ignore, 0},
	{"unsafe_report", d_ignore, 0}, {"clear_unsafe_report_template", d_ignore, 0},
	{"report_contact", d_ignore, 0}, {"report_safe", d_ignore, 0},
	{"rewrite_header", d_ignore, 0}, {"required_score", d_ignore, 0},
	{"required_hits", d_ignore, 0}, {"ok_languages", d_ignore, 0}, {"ok_locales", d_ignore, 0},
	{"normalize_charset", d_ignore, 0}, {"body_part_scan_size", d_ignore, 0},
	{"rawbody_part_scan_size", d_ignore, 0},
	{"adsp_override", d_ignore, 0}, {"asn_lookup", d_ignore, 0},
	{"bayes_auto_learn", d_ignore, 0}, {"bayes_auto_learn_threshold_nonspam", d_ignore, 0},
	{"bayes_auto_learn_threshold_spam", d_ignore, 0}, {"bayes_ignore_header", d_ignore, 0},
	{"use_bayes", d_ignore, 0}, {"use_bayes_rules", d_ignore, 0},
	{"clear_originating_ip_headers", rulenet_clear_originating, 0},
	{"originating_ip_headers", rulenet_originating, 0},
	{"trusted_networks", rulenet_networks, 0}, {"internal_networks", rulenet_networks, 0},
	{"msa_networks", rulenet_networks, 0}, {"clear_trusted_networks", rulenet_clear_networks, 0},
	{"clear_internal_networks", rulenet_clear_networks, 0},
	{"clear_msa_networks", rulenet_clear_networks, 0},
	{"clear_util_rb", d_ignore, 0}, {"util_rb_tld", d_ignore, 0},
	{"util_rb_2tld", d_ignore, 0}, {"util_rb_3tld", d_ignore, 0},
	{"def_welcomelist_auth", d_ignore, 0}, {"def_whitelist_auth", d_ignore, 0},
	{"def_welcomelist_from_dkim", d_ignore, 0}, {"def_whitelist_from_dkim", d_ignore, 0},
	{"def_welcomelist_from_spf", d_ignore, 0}, {"def_whitelist_from_spf", d_ignore, 0},
	{"welcomelist_from", d_ignore, 0}, {"whitelist_from", d_ignore, 0},
	{"welcomelist_auth", d_ignore, 0}, {"whitelist_auth", d_ignore, 0},
	{"blocklist_from", d_ignore, 0}, {"blacklist_from", d_ignore, 0},
	{"unwelcomelist_from", d_ignore, 0}, {"unwhitelist_from", d_ignore, 0},
	{"welcomelist_to", d_ignore, 0}, {"whitelist_to", d_ignore, 0},
	{"blocklist_to", d_ignore, 0}, {"blacklist_to", d_ignore, 0},
	{"more_spam_to", d_ignore, 0}, {"all_spam_to", d_ignore, 0},
	{"envelope_sender_header", d_ignore, 0},
	{"dns_available", d_ignore, 0}, {"dns_server", d_ignore, 0},
	{"dns_block_rule", d_ignore, 0}, {"dns_local_ports_avoid", d_ignore, 0},
	{"skip_rbl_checks", d_ignore, 0}, {"enlist_addrlist", d_ignore, 0},
	{"enlist_uri_host", d_ignore, 0}, {"delist_uri_host", d_ignore, 0},
	{"freemail_domains", d_ignore, 0}, {"fns_check", d_ignore, 0},
	{"fns_ignore_dkim", d_ignore, 0}, {"fns_ignore_headers", d_ignore, 0},
	{"redirector_pattern", d_ignore, 0}, {"uridnsbl_skip_domain", d_ignore, 0},
	{"url_shortener", d_ignore, 0}, {"url_shortener_get", d_ignore, 0},
	{"use_razor2", d_ignore, 0}, {"use_pyzor", d_ignore, 0}, {"use_dcc", d_ignore, 0},
	{"use_auto_whitelist", d_ignore, 0}, {"use_txrep", d_ignore, 0},
	{"shortcircuit", d_ignore, 0}, {"enable_compat", d_ignore, 0},
	{"bayes_stopword_de", d_ignore, 0}, {"bayes_stopword_dk", d_ignore, 0},
	{"bayes_stopword_en", d_ignore, 0}, {"bayes_stopword_es", d_ignore, 0},
	{"bayes_stopword_fi", d_ignore, 0}, {"bayes_stopword_fr", d_ignore, 0},
	{"bayes_stopword_gr", d_ignore, 0}, {"bayes_stopword_hu", d_ignore, 0},
	{"bayes_stopword_it", d_ignore, 0}, {"bayes_stopword_nl", d_ignore, 0},
	{"bayes_stopword_no", d_ignore, 0}, {"bayes_stopword_pt", d_ignore, 0},
	{"bayes_stopword_ru", d_ignore, 0}, {"bayes_stopword_se", d_ignore, 0},
	{"bayes_stopword_tr", d_ignore, 0},
};
/* clang-format on */

static void dispatch(struct rulefile_parse *ps, char *line)
{
	char *args = line;
	int state = block_state(ps);

	while (*args != '\0' && !isspace((unsigned char)*args))
		args++;
	if (*args != '\0') {
		*args++ = '\0';
		while (isspace((unsigned char)*args))
			args++;
	}
	for (size_t i = 0; i < sizeof(directives) / sizeof(directives[0]); i++) {
		if (strcmp(directives[i].name, line) != 0)
			continue;
		if (state == RULEFILE_SKIP && !directives[i].in_skipped)
			return;
		ps->state = state;
		directives[i].fn(ps, line, args);
		return;
	}
	/* an absent plugin's own settings are unknown here and harmless */
	if (state == RULEFILE_LIVE)
		rulefile_problem(ps->set, ps->file, ps->line, line, "unknown directive");
}

static void check_blocks_closed(struct rulefile_parse *ps)
{
	for (int i = 0; i < ps->depth; i++)
		rulefile_problem(ps->set, ps->file, ps->stack[i].line, "if",
				 "block not closed by endif");
}

static int load_file(struct rulefile_set *set, const char *path, const char **error_r)
{
	struct rulefile_parse ps;
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;

	if (fp == NULL) {
		*error_r = strerror(errno);
		return -1;
	}
	memset(&ps, 0, sizeof(ps));
	ps.set = set;
	if (intern_file(set, path, &ps.file) < 0) {
		fclose(fp);
		*error_r = "out of memory or too many files";
		return -1;
	}
	while ((n = getline(&buf, &cap, fp)) >= 0) {
		ps.line++;
		if ((size_t)n > RULEFILE_MAX_LINE) {
			rulefile_problem(set, ps.file, ps.line, "-", "line too long");
			continue;
		}
		char *l = clean_line(buf);
		if (*l != '\0')
			dispatch(&ps, l);
	}
	free(buf);
	fclose(fp);
	check_blocks_closed(&ps);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* SpamAssassin reads a directory's *.cf files in name order. */
static int load_dir(struct rulefile_set *set, const char *path, const char **error_r)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;
	int rc = 0;

	if (d == NULL) {
		*error_r = strerror(errno);
		return -1;
	}
	while ((e = readdir(d)) != NULL && n < RULEFILE_MAX_FILES) {
		size_t len = strlen(e->d_name);
		char **nn;

		if (len < 4 || strcmp(e->d_name + len - 3, ".cf") != 0)
			continue;
		if ((nn = realloc(names, (n + 1) * sizeof(*nn))) == NULL)
			break;
		names = nn;
		if ((names[n] = malloc(strlen(path) + len + 2)) == NULL)
			break;
		snprintf(names[n++], strlen(path) + len + 2, "%s/%s", path, e->d_name);
	}
	closedir(d);
	if (n > 1) /* qsort must not be given NULL, even for nothing */
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (rc == 0 && load_file(set, names[i], error_r) < 0)
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

int rulefile_load(struct rulefile_set *set, const char *path, const char **error_r)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		*error_r = strerror(errno);
		return -1;
	}
	return S_ISDIR(st.st_mode) ? load_dir(set, path, error_r) : load_file(set, path, error_r);
}

void rulefile_finish(struct rulefile_set *set)
{
	for (size_t i = 0; i < set->nrules; i++) {
		const struct rule_def *r = &set->rules[i];

		if (r->test == RULE_TEST_NONE && r->has_score)
			rulefile_problem(set, r->score_file, r->score_line, r->name,
					 "score for an unknown rule");
	}
}

const char *rule_type_name(enum rule_type type)
{
	static const char *const names[RULE_NTYPES] = {
		"header", "body", "rawbody", "full", "uri", "mimeheader", "meta", "net",
	};
	return (unsigned)type < RULE_NTYPES ? names[type] : "?";
}
