/* SpamAssassin's ReplaceTags: <TAG> names in the regexes of the rules listed
 * by replace_rules, expanded from replace_tag/pre/inter/post definitions
 * once every file is read. */
#ifndef MAILSIFT_RULETAGS_H
#define MAILSIFT_RULETAGS_H

#include "mailsift/ruledef.h"
#include "mailsift/strbuf.h"

ruledef_fn ruletags_tag, ruletags_rules, ruletags_delim;

/* re with its tags expanded, appended to out. A "<...>" that names no tag
 * stays as written (it is regex text such as a named group). */
int ruletags_expand(const struct rulefile_set *set, const char *re, struct strbuf *out);

#endif
