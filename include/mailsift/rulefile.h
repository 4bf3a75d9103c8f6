/* SpamAssassin rule files read into rule definitions.
 *
 * The parser understands the rule directives (header, body, rawbody, full,
 * uri, mimeheader, meta, score, describe, tflags, priority), the ReplaceTags
 * directives, include, and if/ifplugin/else/endif blocks; it knows the other
 * SpamAssassin directives by name and skips them. It compiles nothing: the
 * regexes and meta expressions stay text for rules_load() to compile.
 *
 * Conditions, decided once here (doc/mailsift-rules.5 lists them):
 * - "version" is 4.000001 (the rule set Debian 12 ships was written for it);
 * - plugin(X) / ifplugin X is true for SpamAssassin's default plugins
 *   (rulecond.c lists them); their eval: tests load as inert rules with a
 *   warning each. Rules in a block of any other plugin are recorded as
 *   inert (SpamAssassin with that plugin would run them; mailsift does not);
 * - can(X) is true only for the features listed in rulecond.c.
 * Problems are reported as "file:line: RULE: message" lines. */
#ifndef MAILSIFT_RULEFILE_H
#define MAILSIFT_RULEFILE_H

#include <stddef.h>

#include "mailsift/cidr.h"
#include "mailsift/strbuf.h"

#define RULEFILE_MAX_LINE 65536	     /* longer lines are reported and skipped */
#define RULEFILE_MAX_INCLUDE_DEPTH 8 /* include inside include */
#define RULEFILE_MAX_IF_DEPTH 64     /* nested if/ifplugin blocks in one file */
#define RULEFILE_MAX_RULES 100000
#define RULEFILE_MAX_FILES 4096 /* files in a directory and included files */

enum rule_type {
	RULE_HEADER,
	RULE_BODY,
	RULE_RAWBODY,
	RULE_FULL,
	RULE_URI,
	RULE_MIMEHEADER,
	RULE_META,
	RULE_NET, /* DNS-based rules (askdns, urirhssub, ...): always inert */
	RULE_NTYPES
};

enum rule_test {
	RULE_TEST_NONE, /* only attributes (score, describe...) seen so far */
	RULE_TEST_REGEX,
	RULE_TEST_EXISTS, /* header NAME exists:Header */
	RULE_TEST_EVAL,	  /* eval:function(...): not implemented, inert */
	RULE_TEST_META,
	RULE_TEST_NET,
};

/* header modifiers after "Header:" */
#define RULE_HDR_RAW 1u
#define RULE_HDR_ADDR 2u
#define RULE_HDR_NAME 4u

/* tflags the engine acts on; the others are accepted and ignored */
#define RULE_TF_NICE 1u
#define RULE_TF_MULTIPLE 2u
#define RULE_TF_NOSUBJECT 4u
#define RULE_TF_NET 8u

struct rule_def {
	char *name; /* owned */
	enum rule_type type;
	enum rule_test test;
	int negate;	   /* "!~" */
	char *header;	   /* owned: header rules and mimeheader: the header (or ALL...) */
	unsigned hdr_mods; /* RULE_HDR_* */
	char *unset;	   /* owned: [if-unset: ...] value, NULL if none */
	char *text;	   /* owned: regex as written with delimiters, meta expression, eval */
	int replace;	   /* named by replace_rules: <TAG>s are expanded */
	double score;	   /* score set 0 (no Bayes, no network tests) */
	int has_score;
	char *describe; /* owned, NULL if none */
	unsigned tflags;
	unsigned maxhits; /* 0: no cap */
	int priority;
	const char *file; /* owned by the set (interned) */
	unsigned line;
	const char *score_file; /* where score was set, for "score for unknown rule" */
	unsigned score_line;
	char *inert; /* owned: why the rule is understood but not evaluated, or NULL */
	int failed;  /* the definition line was malformed (reported) */
};

enum rule_tag_kind { RULE_TAG, RULE_TAG_PRE, RULE_TAG_INTER, RULE_TAG_POST };

struct rule_tag {
	enum rule_tag_kind kind;
	char *name;  /* owned */
	char *value; /* owned */
};

/* trusted_networks, internal_networks, msa_networks (rulenet.c) */
enum { RULENET_TRUSTED, RULENET_INTERNAL, RULENET_MSA, RULENET_NLISTS };

struct rulefile_set {
	struct rule_def *rules; /* owned, in order of first mention */
	size_t nrules, rules_cap;
	size_t *hash; /* owned: open addressing, index + 1 into rules, 0 = empty */
	size_t hash_cap;
	struct rule_tag *tags; /* owned (ReplaceTags) */
	size_t ntags, tags_cap;
	char *tag_start, *tag_end; /* owned: replace_start / replace_end, "<" and ">" */
	char **files;		   /* owned: interned file names */
	size_t nfiles;
	struct cidr_list *networks[RULENET_NLISTS]; /* owned: trusted_networks…, NULL if unset */
	char **originating;			    /* owned: originating_ip_headers */
	size_t noriginating;
	struct strbuf *problems; /* not owned: where problem lines go, may be NULL */
	size_t nproblems;
	int include_depth;
};

/* problems may be NULL. Returns -1 when out of memory. */
int rulefile_init(struct rulefile_set *set, struct strbuf *problems);
void rulefile_free(struct rulefile_set *set);
/* Reads a file, or every *.cf file of a directory in name order. Problems in
 * the text are reported and the rest still loads; -1 only when path cannot
 * be read (or memory runs out), with error_r set. */
int rulefile_load(struct rulefile_set *set, const char *path, const char **error_r);
/* Checks made once every file is read (a score for a rule never defined). */
void rulefile_finish(struct rulefile_set *set);
struct rule_def *rulefile_find(const struct rulefile_set *set, const char *name);
void rulefile_problem(struct rulefile_set *set, const char *file, unsigned line, const char *rule,
		      const char *fmt, ...) MS_PRINTF(5, 6);
const char *rule_type_name(enum rule_type type);

#endif
