/* SpamAssassin 4's capture rules: a named group in upper case
 * ("(?<GB_TO_ADDR>.*)") sets a tag from what it matched, and a rule whose
 * regex says %{GB_TO_ADDR} runs with the tag's values in its place (any of
 * them, quoted), or not at all while the tag is unset. */
#ifndef MAILSIFT_CAPTURES_H
#define MAILSIFT_CAPTURES_H

#include <stddef.h>

#include "mailsift/strbuf.h"

#define CAPTURES_MAX_TAGS 64   /* tags a message keeps */
#define CAPTURES_MAX_VALUES 16 /* distinct values a tag keeps */
#define CAPTURES_MAX_VALUE 256 /* bytes of a value kept */
#define CAPTURES_MAX_NAME 64   /* bytes of a tag name */

struct capture_tag {
	char name[CAPTURES_MAX_NAME];
	char *values[CAPTURES_MAX_VALUES]; /* owned */
	size_t nvalues;
};

struct capture_tags {
	struct capture_tag *tags; /* owned */
	size_t n;
	int capped; /* a tag or value was left out at a cap */
};

void captures_free(struct capture_tags *t);
/* Records one value (deduplicated); the signature regex_tags() calls. */
void captures_add(void *tags, const char *name, const char *v, size_t n);
/* 1 if the rule text holds a %{NAME} template (not escaped as \%{NAME}). */
int captures_template(const char *text);
/* The text with each %{NAME} replaced by "(?:v1|v2...)", the values quoted;
 * with tags NULL, by "(?:)" (to check that the rest compiles). Returns 1,
 * 0 when a tag is unset (the rule does not run), -1 when too long. */
int captures_expand(const char *text, const struct capture_tags *tags, struct strbuf *out);

#endif
