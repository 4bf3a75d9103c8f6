/* Content-Type and Content-Disposition values: a token, then
 * "; name=value" parameters (RFC 2045), values quoted or not, with RFC
 * 2231 sections ("name*0*=utf-8''%E2%82%AC", "name*1=...") put together. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mailsift/mime.h"
#include "mailsift/mime_header.h"

#define PARAM_NAME_MAX 96
#define CHARSET_MAX 64

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A (nested) comment starting at p; returns the byte after it. */
static const char *skip_comment(const char *p, const char *end)
{
	int depth = 0;

	for (; p < end; p++) {
		if (*p == '\\' && p + 1 < end)
			p++;
		else if (*p == '(')
			depth++;
		else if (*p == ')' && --depth == 0)
			return p + 1;
	}
	return end;
}

static const char *skip_cfws(const char *p, const char *end)
{
	while (p < end && (is_blank(*p) || *p == '('))
		p = *p == '(' ? skip_comment(p, end) : p + 1;
	return p;
}

static const char *skip_quoted(const char *p, const char *end)
{
	for (p++; p < end && *p != '"'; p++) {
		if (*p == '\\' && p + 1 < end)
			p++;
	}
	return p < end ? p + 1 : end;
}

void mime_header_token(const char *v, size_t len, char *out, size_t size)
{
	const char *end = v + len, *p = skip_cfws(v, end);
	size_t n = 0;

	for (; p < end && *p != ';' && *p != '(' && !is_blank(*p); p++) {
		if (n + 1 < size)
			out[n++] = (char)tolower((unsigned char)*p);
	}
	out[n] = '\0';
}

static void read_value(const char **pp, const char *end, struct strbuf *val)
{
	const char *p = *pp, *start;

	sb_reset(val);
	if (p < end && *p == '"') {
		for (p++; p < end && *p != '"'; p++) {
			if (*p == '\\' && p + 1 < end)
				p++;
			sb_putc(val, *p);
		}
		*pp = p < end ? p + 1 : end;
		return;
	}
	/* Unquoted values with blanks (name=my file.pdf) are common enough
	 * to take everything up to the next ";". */
	for (start = p; p < end && *p != ';'; p++)
		;
	*pp = p;
	while (p > start && is_blank(p[-1]))
		p--;
	sb_append(val, start, (size_t)(p - start));
}

/* The next "name=value" after *pp (which starts in the token or after the
 * previous value). Returns 1 with name and the unquoted value, 0 at the end. */
static int next_param(const char **pp, const char *end, const char **name, size_t *nlen,
		      struct strbuf *val)
{
	const char *p = *pp;

	for (;;) {
		while (p < end && *p != ';') {
			if (*p == '"')
				p = skip_quoted(p, end);
			else if (*p == '(')
				p = skip_comment(p, end);
			else
				p++;
		}
		if (p >= end)
			return 0;
		p = skip_cfws(p + 1, end);
		*name = p;
		while (p < end && *p != '=' && *p != ';' && !is_blank(*p))
			p++;
		*nlen = (size_t)(p - *name);
		p = skip_cfws(p, end);
		if (p >= end || *p != '=' || *nlen == 0)
			continue;
		p = skip_cfws(p + 1, end);
		read_value(&p, end, val);
		*pp = p;
		return 1;
	}
}

static int find_param(const char *v, size_t len, const char *key, struct strbuf *val)
{
	const char *p = v, *name;
	size_t nlen, klen = strlen(key);

	while (next_param(&p, v + len, &name, &nlen, val)) {
		if (nlen == klen && strncasecmp(name, key, klen) == 0)
			return 1;
	}
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* An RFC 2231 extended value: "charset'lang'%XX..." (the charset part
 * only in the first section) into bytes. */
static void ext_decode(const struct strbuf *val, int first, char *charset, struct strbuf *bytes)
{
	const char *s = sb_str(val), *end = s + val->len, *q1, *q2;

	if (first && (q1 = memchr(s, '\'', val->len)) != NULL &&
	    (q2 = memchr(q1 + 1, '\'', (size_t)(end - q1 - 1))) != NULL) {
		snprintf(charset, CHARSET_MAX, "%.*s", (int)(q1 - s), s);
		s = q2 + 1;
	}
	for (; s < end; s++) {
		if (*s == '%' && end - s >= 3 && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
			sb_putc(bytes, (char)(hexval(s[1]) * 16 + hexval(s[2])));
			s += 2;
		} else {
			sb_putc(bytes, *s);
		}
	}
}

/* "name*0", "name*1*", ... in order, up to the first missing section. */
static int sections(const char *v, size_t len, const char *name, struct strbuf *val, char *charset,
		    struct strbuf *bytes)
{
	char key[PARAM_NAME_MAX];
	unsigned n;

	for (n = 0; n < MIME_PARAM_SECTIONS; n++) {
		snprintf(key, sizeof(key), "%s*%u*", name, n);
		if (find_param(v, len, key, val)) {
			ext_decode(val, n == 0, charset, bytes);
			continue;
		}
		key[strlen(key) - 1] = '\0';
		if (!find_param(v, len, key, val))
			break;
		sb_append(bytes, sb_str(val), val->len);
	}
	return n > 0;
}

int mime_header_param(const char *v, size_t len, const char *name, int words, struct strbuf *out)
{
	char key[PARAM_NAME_MAX], charset[CHARSET_MAX] = "";
	struct strbuf val, bytes;
	int found = 1;

	if (strlen(name) + 8 > sizeof(key))
		return 0;
	sb_init(&val, len + 1);
	sb_init(&bytes, len + 1);
	snprintf(key, sizeof(key), "%s*", name);
	if (find_param(v, len, key, &val))
		ext_decode(&val, 1, charset, &bytes);
	else if (sections(v, len, name, &val, charset, &bytes))
		;
	else if (find_param(v, len, name, &val))
		sb_append(&bytes, sb_str(&val), val.len);
	else
		found = 0;
	if (found && charset[0] != '\0')
		mime_to_utf8(charset, sb_str(&bytes), bytes.len, out);
	else if (found && words)
		mime_decode_words(sb_str(&bytes), bytes.len, out);
	else if (found)
		sb_append(out, sb_str(&bytes), bytes.len);
	sb_free(&val);
	sb_free(&bytes);
	return found;
}
