/* "if" conditions of SpamAssassin rule files: a small recursive-descent
 * evaluator over numbers and truth values. SpamAssassin hands these to Perl;
 * the rule sets use only a handful of forms, and anything else is an error
 * the caller reports (the block then counts as false). */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "mailsift/rulecond.h"

#define RULECOND_MAX_NEST 32

/* Plugins whose blocks are live: the ones SpamAssassin loads by default
 * (Debian's init.pre and v3xx.pre). The engine implements the rule types
 * of MIMEHeader and ReplaceTags; what the others compute (eval: tests, DNS
 * lookups) loads as inert rules, so their blocks' regex and meta rules run
 * as they do in SpamAssassin. Blocks of any other plugin are inert. */
static const char *const plugins_present[] = {
	"Check",
	"MIMEHeader",
	"ReplaceTags",
	"URIDNSBL",
	"SPF",
	"Pyzor",
	"Razor2",
	"SpamCop",
	"AutoLearnThreshold",
	"WelcomeListSubject",
	"WhiteListSubject",
	"DKIM",
	"HTTPSMismatch",
	"URIDetail",
	"Bayes",
	"BodyEval",
	"DNSEval",
	"HTMLEval",
	"HeaderEval",
	"MIMEEval",
	"RelayEval",
	"URIEval",
	"WLBLEval",
	"VBounce",
	"ImageInfo",
	"FreeMail",
	"AskDNS",
	"HashBL",
	"DMARC",
};

/* can(...) features that are true: what the engine does like SpamAssassin
 * 4.0. Anything not listed (dns_block_rule, plugin methods
 * such as BodyEval::has_check_body_length) is false. */
static const char *const features_present[] = {
	"Mail::SpamAssassin::Conf::feature_bug6558_free",
	"Mail::SpamAssassin::Conf::feature_welcomelist_blocklist",
	"Mail::SpamAssassin::Conf::compat_welcomelist_blocklist",
	"Mail::SpamAssassin::Conf::perl_min_version_5010000",
	"Mail::SpamAssassin::Conf::feature_originating_ip_headers",
	"Mail::SpamAssassin::Conf::feature_yesno_takes_args",
	"Mail::SpamAssassin::Conf::feature_capture_rules",
};

struct cond {
	const char *p;
	const char *error;
	int depth;
};

int rulecond_plugin(const char *name)
{
	static const char prefix[] = "Mail::SpamAssassin::Plugin::";

	if (strncmp(name, prefix, sizeof(prefix) - 1) != 0)
		return 0;
	name += sizeof(prefix) - 1;
	for (size_t i = 0; i < sizeof(plugins_present) / sizeof(plugins_present[0]); i++)
		if (strcmp(name, plugins_present[i]) == 0)
			return 1;
	return 0;
}

static int feature_present(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(features_present) / sizeof(features_present[0]); i++)
		if (strlen(features_present[i]) == len &&
		    memcmp(features_present[i], name, len) == 0)
			return 1;
	return 0;
}

static void skip_ws(struct cond *c)
{
	while (isspace((unsigned char)*c->p))
		c->p++;
}

static int accept_str(struct cond *c, const char *s)
{
	size_t n = strlen(s);

	skip_ws(c);
	if (strncmp(c->p, s, n) != 0)
		return 0;
	c->p += n;
	return 1;
}

static double parse_or(struct cond *c);

/* plugin(Name) or can(Name): the argument, up to ")" */
static double call_arg(struct cond *c, int is_plugin)
{
	const char *start, *end;
	char name[256];
	size_t n;

	skip_ws(c);
	start = c->p;
	end = strchr(start, ')');
	if (end == NULL) {
		c->error = "missing ')'";
		return 0;
	}
	c->p = end + 1;
	while (end > start && isspace((unsigned char)end[-1]))
		end--;
	n = (size_t)(end - start);
	if (!is_plugin)
		return feature_present(start, n);
	if (n >= sizeof(name)) {
		c->error = "plugin name too long";
		return 0;
	}
	memcpy(name, start, n);
	name[n] = '\0';
	return rulecond_plugin(name);
}

static double parse_primary(struct cond *c)
{
	char *end;
	double v;

	skip_ws(c);
	if (accept_str(c, "(")) {
		if (++c->depth > RULECOND_MAX_NEST) {
			c->error = "too deeply nested";
			return 0;
		}
		v = parse_or(c);
		c->depth--;
		if (!accept_str(c, ")"))
			c->error = "missing ')'";
		return v;
	}
	if (accept_str(c, "version"))
		return RULECOND_VERSION;
	if (accept_str(c, "perl_version"))
		return 5.036;
	if (accept_str(c, "plugin("))
		return call_arg(c, 1);
	if (accept_str(c, "can("))
		return call_arg(c, 0);
	if (accept_str(c, "has("))
		return call_arg(c, 0);
	v = strtod(c->p, &end);
	if (end == c->p) {
		c->error = "unknown term";
		return 0;
	}
	c->p = end;
	return v;
}

static double parse_unary(struct cond *c)
{
	skip_ws(c);
	if (c->p[0] == '!' && c->p[1] != '=') {
		c->p++;
		return parse_unary(c) == 0;
	}
	return parse_primary(c);
}

static double parse_cmp(struct cond *c)
{
	double a = parse_unary(c), b;

	if (accept_str(c, ">=")) {
		b = parse_unary(c);
		return a >= b;
	}
	if (accept_str(c, "<=")) {
		b = parse_unary(c);
		return a <= b;
	}
	if (accept_str(c, "==")) {
		b = parse_unary(c);
		return a == b;
	}
	if (accept_str(c, "!=")) {
		b = parse_unary(c);
		return a != b;
	}
	if (accept_str(c, ">")) {
		b = parse_unary(c);
		return a > b;
	}
	if (accept_str(c, "<")) {
		b = parse_unary(c);
		return a < b;
	}
	return a;
}

static double parse_and(struct cond *c)
{
	double v = parse_cmp(c);

	while (c->error == NULL && accept_str(c, "&&")) {
		double r = parse_cmp(c);
		v = v != 0 && r != 0;
	}
	return v;
}

static double parse_or(struct cond *c)
{
	double v = parse_and(c);

	while (c->error == NULL && accept_str(c, "||")) {
		double r = parse_and(c);
		v = v != 0 || r != 0;
	}
	return v;
}

int rulecond_eval(const char *expr, int *value, const char **error_r)
{
	struct cond c = {.p = expr, .error = NULL, .depth = 0};
	double v = parse_or(&c);

	skip_ws(&c);
	if (c.error == NULL && *c.p != '\0')
		c.error = "unexpected text";
	if (c.error != NULL) {
		*error_r = c.error;
		return -1;
	}
	*value = v != 0;
	return 0;
}
