/* Perl regexes (as SpamAssassin rules write them) compiled with PCRE2. */
#include "config.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailsift/regex.h"

/* Offsets in PCRE2's character tables (pcre2_maketables() layout). */
#define TABLES_LCC 0
#define TABLES_FCC 256
#define TABLES_SIZE 1088

struct regex {
	pcre2_code *code; /* owned */
	int jit;
	int tags; /* named groups that set tags (capture rules) */
};

static unsigned char latin1_tables[TABLES_SIZE];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

/* The C locale's tables with the Latin-1 letters paired by case (0xC0-0xDE
 * with 0xE0-0xFE, but not 0xD7/0xF7): SpamAssassin's /i rules fold those
 * bytes through Perl, PCRE2's default tables do not. */
static void build_tables(void)
{
	const uint8_t *t = pcre2_maketables(NULL);

	if (t == NULL)
		return;
	memcpy(latin1_tables, t, TABLES_SIZE);
	pcre2_maketables_free(NULL, t);
	for (unsigned c = 0xC0; c <= 0xDE; c++) {
		if (c == 0xD7)
			continue;
		latin1_tables[TABLES_LCC + c] = (unsigned char)(c + 0x20);
		latin1_tables[TABLES_FCC + c] = (unsigned char)(c + 0x20);
		latin1_tables[TABLES_FCC + c + 0x20] = (unsigned char)c;
	}
}

static char closing_delim(char open)
{
	switch (open) {
	case '{': return '}';
	case '(': return ')';
	case '[': return ']';
	case '<': return '>';
	default: return open;
	}
}

/* Splits "/re/flags" or "m<d>re<d>flags": *re and *relen get the pattern,
 * *flags the text after the closing delimiter. Perl ends the pattern at the
 * first unescaped closing delimiter (nesting for bracket pairs). */
static int split_delims(const char *text, const char **re, size_t *relen, const char **flags,
			char *err, size_t errlen)
{
	char open, close;
	const char *p = text;
	int nest = 0;

	if (*p == 'm' && *(p + 1) != '\0' && !isalnum((unsigned char)p[1]) &&
	    !isspace((unsigned char)p[1]))
		p++;
	else if (*p != '/') {
		snprintf(err, errlen, "regex must start with / or m and a delimiter");
		return -1;
	}
	open = *p++;
	close = closing_delim(open);
	*re = p;
	for (; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0') {
			p++;
			continue;
		}
		if (open != close && *p == open)
			nest++;
		else if (*p == close && nest > 0)
			nest--;
		else if (*p == close)
			break;
	}
	if (*p == '\0') {
		snprintf(err, errlen, "no closing delimiter '%c'", close);
		return -1;
	}
	*relen = (size_t)(p - *re);
	*flags = p + 1;
	return 0;
}

static int parse_flags(const char *flags, uint32_t *opts, char *err, size_t errlen)
{
	for (; *flags != '\0'; flags++) {
		switch (*flags) {
		case 'i': *opts |= PCRE2_CASELESS; break;
		case 'm': *opts |= PCRE2_MULTILINE; break;
		case 's': *opts |= PCRE2_DOTALL; break;
		case 'x': *opts |= PCRE2_EXTENDED; break;
		case 'o': /* Perl's compile-once: what happens anyway */
		case 'g': break;
		default: snprintf(err, errlen, "unsupported regex flag '%c'", *flags); return -1;
		}
	}
	return 0;
}

/* Constructs that only Perl has; PCRE2 would fail on them with a message
 * that does not say why. */
static int perl_only(const char *re, size_t len, char *err, size_t errlen)
{
	static const struct {
		const char *seq;
		const char *what;
	} table[] = {
		{"(?{", "Perl code block (?{...})"},
		{"(??{", "Perl code block (??{...})"},
		{"(*{", "Perl code block (*{...})"},
		{"$&", "Perl match variable $&"},
	};

	for (size_t i = 0; i < len; i++) {
		if (re[i] == '\\') {
			i++;
			continue;
		}
		for (size_t k = 0; k < sizeof(table) / sizeof(table[0]); k++) {
			size_t n = strlen(table[k].seq);
			if (i + n <= len && memcmp(re + i, table[k].seq, n) == 0) {
				snprintf(err, errlen, "Perl-only construct: %s", table[k].what);
				return -1;
			}
		}
	}
	return 0;
}

/* A tag name as SpamAssassin takes one from a named group: upper case
 * words joined by "_" ("GB_TO_ADDR"). */
static int tag_name(const char *s)
{
	if (!isupper((unsigned char)*s))
		return 0;
	for (; *s != '\0'; s++) {
		if (*s == '_' && (isupper((unsigned char)s[1]) || isdigit((unsigned char)s[1])))
			continue;
		if (!isupper((unsigned char)*s) && !isdigit((unsigned char)*s))
			return 0;
	}
	return 1;
}

/* PCRE2's name table: entries of 2 bytes of group number, then the name. */
static int count_tag_groups(const pcre2_code *code)
{
	uint32_t n = 0, size = 0;
	PCRE2_SPTR table = NULL;
	int tags = 0;

	pcre2_pattern_info(code, PCRE2_INFO_NAMECOUNT, &n);
	pcre2_pattern_info(code, PCRE2_INFO_NAMEENTRYSIZE, &size);
	pcre2_pattern_info(code, PCRE2_INFO_NAMETABLE, &table);
	for (uint32_t i = 0; i < n && table != NULL; i++)
		tags += tag_name((const char *)table + i * size + 2);
	return tags;
}

static int compile_pattern(const char *re, size_t relen, uint32_t opts, int jit, struct regex *rx,
			   char *err, size_t errlen)
{
	pcre2_compile_context *cctx = pcre2_compile_context_create(NULL);
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off = 0;
	int code = 0;

	if (cctx == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pcre2_set_character_tables(cctx, latin1_tables);
	rx->code = pcre2_compile((PCRE2_SPTR)re, relen, opts | PCRE2_NEVER_UTF | PCRE2_NEVER_UCP,
				 &code, &off, cctx);
	pcre2_compile_context_free(cctx);
	if (rx->code == NULL) {
		pcre2_get_error_message(code, msg, sizeof(msg));
		snprintf(err, errlen, "bad regex at offset %zu: %s", (size_t)off, (char *)msg);
		return -1;
	}
	rx->jit = jit && pcre2_jit_compile(rx->code, PCRE2_JIT_COMPLETE) == 0;
	rx->tags = count_tag_groups(rx->code);
	return 0;
}

static int compile_text(const char *text, int jit, struct regex **out, char *err, size_t errlen)
{
	const char *re, *flags;
	size_t relen;
	uint32_t opts = 0;
	struct regex *rx;

	*out = NULL;
	pthread_once(&tables_once, build_tables);
	if (strlen(text) > REGEX_MAX_TEXT) {
		snprintf(err, errlen, "regex longer than %u bytes", REGEX_MAX_TEXT);
		return -1;
	}
	if (split_delims(text, &re, &relen, &flags, err, errlen) < 0 ||
	    parse_flags(flags, &opts, err, errlen) < 0 || perl_only(re, relen, err, errlen) < 0)
		return -1;
	if ((rx = calloc(1, sizeof(*rx))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (compile_pattern(re, relen, opts, jit, rx, err, errlen) < 0) {
		free(rx);
		return -1;
	}
	*out = rx;
	return 0;
}

int regex_compile(const char *text, struct regex **out, char *err, size_t errlen)
{
	return compile_text(text, 1, out, err, errlen);
}

int regex_compile_once(const char *text, struct regex **out, char *err, size_t errlen)
{
	return compile_text(text, 0, out, err, errlen);
}

void regex_free(struct regex **re)
{
	if (*re == NULL)
		return;
	pcre2_code_free((*re)->code);
	free(*re);
	*re = NULL;
}

int regex_jitted(const struct regex *re)
{
	return re->jit;
}

int regex_captures(const struct regex *re)
{
	return re->tags > 0;
}

void regex_tags(const struct regex *re, struct regex_ctx *ctx, const char *s,
		void (*fn)(void *arg, const char *name, const char *v, size_t n), void *arg)
{
	uint32_t n = 0, size = 0;
	PCRE2_SPTR table = NULL;
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(ctx->md);
	uint32_t pairs = pcre2_get_ovector_count(ctx->md);

	pcre2_pattern_info(re->code, PCRE2_INFO_NAMECOUNT, &n);
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMEENTRYSIZE, &size);
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMETABLE, &table);
	for (uint32_t i = 0; i < n && table != NULL; i++) {
		const unsigned char *e = table + i * size;
		uint32_t g = (uint32_t)e[0] << 8 | e[1];
		if (!tag_name((const char *)e + 2) || g >= pairs || ov[2 * g] == PCRE2_UNSET ||
		    ov[2 * g + 1] <= ov[2 * g])
			continue;
		fn(arg, (const char *)e + 2, s + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
	}
}

int regex_ctx_init(struct regex_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->mctx = pcre2_match_context_create(NULL);
	ctx->jit = pcre2_jit_stack_create(REGEX_JIT_STACK_MIN, REGEX_JIT_STACK_MAX, NULL);
	/* room for the groups capture rules set tags from */
	ctx->md = pcre2_match_data_create(REGEX_MAX_GROUPS, NULL);
	if (ctx->mctx == NULL || ctx->jit == NULL || ctx->md == NULL) {
		regex_ctx_free(ctx);
		return -1;
	}
	pcre2_set_match_limit(ctx->mctx, REGEX_MATCH_LIMIT);
	pcre2_set_depth_limit(ctx->mctx, REGEX_DEPTH_LIMIT);
	pcre2_set_heap_limit(ctx->mctx, REGEX_HEAP_LIMIT_KIB);
	pcre2_jit_stack_assign(ctx->mctx, NULL, ctx->jit);
	return 0;
}

void regex_ctx_free(struct regex_ctx *ctx)
{
	pcre2_match_data_free(ctx->md);
	pcre2_jit_stack_free(ctx->jit);
	pcre2_match_context_free(ctx->mctx);
	memset(ctx, 0, sizeof(*ctx));
}

enum regex_result regex_match(const struct regex *re, struct regex_ctx *ctx, const char *s,
			      size_t len, size_t start, size_t *mstart, size_t *mend)
{
	int rc = pcre2_match(re->code, (PCRE2_SPTR)s, len, start, 0, ctx->md, ctx->mctx);
	PCRE2_SIZE *ov;

	if (rc >= 0) {
		ov = pcre2_get_ovector_pointer(ctx->md);
		*mstart = ov[0];
		*mend = ov[1];
		return REGEX_MATCH;
	}
	if (rc == PCRE2_ERROR_NOMATCH)
		return REGEX_NOMATCH;
	if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
	    rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT) {
		ctx->limit_hits++;
		return REGEX_LIMIT;
	}
	return REGEX_ERROR;
}
