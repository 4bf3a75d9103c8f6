/* The compiled ruleset shared by rules.c (loading) and scan.c (matching). */
#ifndef MAILSIFT_RULESET_H
#define MAILSIFT_RULESET_H

#include <stdatomic.h>

#include "mailsift/meta.h"
#include "mailsift/regex.h"
#include "mailsift/rulefile.h"
#include "mailsift/rules.h"

struct crule {
	const struct rule_def *def; /* owned by the ruleset's set */
	struct regex *re;	    /* owned: regex rules, NULL for a template rule */
	char *tmpl;		    /* owned: a %{TAG} template rule's regex text */
	struct meta *meta;	    /* owned: meta rules */
	int live;		    /* evaluated by rules_scan() */
	int eoh;		    /* decided by the header alone (rules_scan_eoh()) */
};

struct ruleset {
	struct rulefile_set set; /* owned */
	struct crule *rules;	 /* owned, parallel to set.rules */
	size_t n;
	size_t *order[RULE_NTYPES]; /* owned: live rules per type; metas in dependency order */
	size_t norder[RULE_NTYPES];
	atomic_ulong *hits; /* owned: per rule, for metrics */
	size_t eoh_scored;  /* scored rules the header alone decides */
	double eoh_rest;    /* the sum of the negative scores of all other live rules */
};

#endif
