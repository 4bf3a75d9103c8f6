/* Perl regexes of SpamAssassin rules compiled with PCRE2: delimiters and
 * flags read the Perl way, constructs only Perl has reported, byte
 * semantics (never UTF: the rules spell UTF-8 as bytes, "\xc3\xa4"), case
 * folding of Latin-1 letters as SpamAssassin gets from Perl, JIT, and
 * limits on every match. */
#ifndef MAILSIFT_REGEX_H
#define MAILSIFT_REGEX_H

#include <stddef.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/* Per match: backtracking steps, nesting of backtracking, and memory; a
 * match that reaches one counts as no match and is reported. */
#define REGEX_MATCH_LIMIT 200000
#define REGEX_DEPTH_LIMIT 5000
#define REGEX_HEAP_LIMIT_KIB 16384
#define REGEX_JIT_STACK_MIN (32u << 10)
#define REGEX_JIT_STACK_MAX (1u << 20)
#define REGEX_MAX_TEXT (1u << 20) /* a regex's source text */
#define REGEX_MAX_GROUPS 32	  /* groups whose text a match keeps (capture rules) */

struct regex;

/* What one scan needs to match: match data, match context with the limits,
 * JIT stack. Not shared between threads. */
struct regex_ctx {
	pcre2_match_context *mctx; /* owned */
	pcre2_jit_stack *jit;	   /* owned */
	pcre2_match_data *md;	   /* owned */
	unsigned long limit_hits;  /* matches stopped by a limit */
};

enum regex_result { REGEX_NOMATCH = 0, REGEX_MATCH = 1, REGEX_LIMIT = -1, REGEX_ERROR = -2 };

/* text is the rule's regex as written: "/re/flags", "m{re}flags", "m!re!".
 * On failure returns -1 with a message in err. */
int regex_compile(const char *text, struct regex **out, char *err, size_t errlen);
/* The same for a regex matched a few times only (a template rule filled
 * for one message): not compiled to machine code, which costs more than
 * it saves there. */
int regex_compile_once(const char *text, struct regex **out, char *err, size_t errlen);
void regex_free(struct regex **re);
/* 1 if compiled to machine code. */
int regex_jitted(const struct regex *re);
/* 1 if a named group sets a tag (SpamAssassin 4's capture rules: a name in
 * upper case, "(?<BODY_NAME>\w+)"). */
int regex_captures(const struct regex *re);
/* After a REGEX_MATCH of re: fn for each tag group that matched text. */
void regex_tags(const struct regex *re, struct regex_ctx *ctx, const char *s,
		void (*fn)(void *arg, const char *name, const char *v, size_t n), void *arg);

int regex_ctx_init(struct regex_ctx *ctx);
void regex_ctx_free(struct regex_ctx *ctx);
/* Searches s[start..len); on a match sets *mstart and *mend. */
enum regex_result regex_match(const struct regex *re, struct regex_ctx *ctx, const char *s,
			      size_t len, size_t start, size_t *mstart, size_t *mend);

#endif
