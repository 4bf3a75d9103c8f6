/* The rule directives of SpamAssassin rule files (header, body, meta,
 * score, ...), called by the line parser in rulefile.c. */
#ifndef MAILSIFT_RULEDEF_H
#define MAILSIFT_RULEDEF_H

#include "mailsift/rulefile.h"

/* Block states, ordered: a block is as live as the least live around it. */
#define RULEFILE_SKIP 0	 /* false condition: lines ignored */
#define RULEFILE_INERT 1 /* absent plugin: rules recorded, not evaluated */
#define RULEFILE_LIVE 2

struct rulefile_block {
	unsigned line; /* of the if/ifplugin */
	int self;      /* the condition's own state */
	int parent;
	int state;
	int has_else;
	char plugin[128]; /* the absent plugin of an inert block */
};

/* The state of parsing one file. */
struct rulefile_parse {
	struct rulefile_set *set;
	const char *file; /* interned in set */
	unsigned line;
	int state; /* of the current line */
	struct rulefile_block stack[RULEFILE_MAX_IF_DEPTH];
	int depth;
};

typedef void ruledef_fn(struct rulefile_parse *ps, const char *dir, char *args);

ruledef_fn ruledef_header, ruledef_mimeheader, ruledef_plain, ruledef_meta, ruledef_net;
ruledef_fn ruledef_score, ruledef_describe, ruledef_tflags, ruledef_priority;

/* The next whitespace-separated word of *p (NUL-terminated in place). */
char *ruledef_next_word(char **p);

/* The rule called name, created (with SpamAssassin's default score) if
 * new; NULL when out of memory. */
struct rule_def *ruledef_get(struct rulefile_set *set, const char *name);
/* Frees what a definition owns; all != 0 also its name and attributes. */
void ruledef_clear(struct rule_def *r, int all);

#endif
