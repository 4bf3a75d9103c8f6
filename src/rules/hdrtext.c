/* Header text for header and mimeheader rules, the way SpamAssassin's
 * Message::get_header and PerMsgStatus::get build it. */
#include "config.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "mailsift/hdrtext.h"
#include "mailsift/mime.h"
#include "mailsift/rulefile.h"

static const char *const msgid_names[] = {"Message-Id", "Resent-Message-Id", "X-Message-Id",
					  "X-Original-Message-ID"};
static const char *const tocc_names[] = {"To", "Cc"};

static void trim(const char **s, size_t *n)
{
	while (*n > 0 && isspace((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && isspace((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

/* The first address of an address list: inside <...>, else the first word
 * with an "@", else the whole value. */
static void first_addr(const char *v, size_t n, struct strbuf *out)
{
	const char *lt = memchr(v, '<', n), *gt, *at;

	if (lt != NULL && (gt = memchr(lt, '>', n - (size_t)(lt - v))) != NULL) {
		sb_append(out, lt + 1, (size_t)(gt - lt - 1));
		return;
	}
	if ((at = memchr(v, '@', n)) != NULL) {
		const char *s = at, *e = at;
		while (s > v && !isspace((unsigned char)s[-1]) && s[-1] != ',' && s[-1] != '"')
			s--;
		while (e < v + n && !isspace((unsigned char)*e) && *e != ',' && *e != '(')
			e++;
		sb_append(out, s, (size_t)(e - s));
		return;
	}
	trim(&v, &n);
	sb_append(out, v, n);
}

/* A phrase without its surrounding quotes. */
static void unquoted(const char *v, size_t len, struct strbuf *out)
{
	trim(&v, &len);
	if (len >= 2 && v[0] == '"' && v[len - 1] == '"') {
		v++;
		len -= 2;
	}
	sb_append(out, v, len);
}

/* The display name: the text before "<" without quotes, a comment after
 * the address, or, with no address at all, the whole phrase. */
static void display_name(const char *v, size_t n, struct strbuf *out)
{
	const char *lt = memchr(v, '<', n), *lp;

	if (lt != NULL) {
		unquoted(v, (size_t)(lt - v), out);
	} else if ((lp = memchr(v, '(', n)) != NULL) {
		const char *rp = memchr(lp, ')', n - (size_t)(lp - v));
		if (rp != NULL)
			sb_append(out, lp + 1, (size_t)(rp - lp - 1));
	} else if (memchr(v, '@', n) == NULL) {
		unquoted(v, n, out);
	}
}

/* One field's value as a test reads it. */
static void value_text(const char *value, const char *raw, unsigned mods, struct strbuf *out)
{
	struct strbuf dec;

	if (mods & RULE_HDR_RAW) {
		sb_puts(out, raw != NULL ? raw : value);
		return;
	}
	if (!(mods & (RULE_HDR_ADDR | RULE_HDR_NAME))) {
		mime_decode_words(value, strlen(value), out);
		return;
	}
	sb_init(&dec, out->max);
	mime_decode_words(value, strlen(value), &dec);
	if (mods & RULE_HDR_ADDR)
		first_addr(sb_str(&dec), dec.len, out);
	else
		display_name(sb_str(&dec), dec.len, out);
	sb_free(&dec);
}

static int one_name(const struct msg_header *h, size_t n, const char *name, unsigned mods,
		    struct strbuf *out, int found)
{
	for (size_t i = 0; i < n; i++) {
		if (strcasecmp(h[i].name, name) != 0)
			continue;
		if (found++)
			sb_putc(out, '\n');
		value_text(h[i].value, h[i].raw, mods, out);
	}
	return found;
}

static int names(const struct msg_header *h, size_t n, const char *const *list, size_t nlist,
		 unsigned mods, struct strbuf *out)
{
	int found = 0;

	for (size_t i = 0; i < nlist; i++)
		found = one_name(h, n, list[i], mods, out, found);
	return found > 0;
}

int hdrtext_get(const struct msg_header *h, size_t n, const char *name, unsigned mods,
		struct strbuf *out)
{
	if (strcmp(name, "ALL") == 0) {
		for (size_t i = 0; i < n; i++) {
			sb_printf(out, "%s:%s", h[i].name, (mods & RULE_HDR_RAW) ? "" : " ");
			value_text(h[i].value, h[i].raw, mods & RULE_HDR_RAW, out);
			sb_putc(out, '\n');
		}
		return n > 0;
	}
	if (strcmp(name, "ToCc") == 0)
		return names(h, n, tocc_names, 2, mods, out);
	if (strcmp(name, "MESSAGEID") == 0)
		return names(h, n, msgid_names, 4, mods, out);
	return one_name(h, n, name, mods, out, 0) > 0;
}

/* Splits a header block into fields, unfolding continuation lines. */
int hdrtext_block(const char *block, size_t len, const char *name, unsigned mods,
		  struct strbuf *out)
{
	size_t nl = strlen(name);
	int found = 0;

	for (size_t i = 0; i < len;) {
		size_t start = i, colon;
		struct strbuf val;

		while (i < len && (block[i] != '\n' ||
				   (i + 1 < len && (block[i + 1] == ' ' || block[i + 1] == '\t'))))
			i++;
		colon = start;
		while (colon < i && block[colon] != ':')
			colon++;
		if (colon - start != nl || strncasecmp(block + start, name, nl) != 0 ||
		    colon == i) {
			i++;
			continue;
		}
		sb_init(&val, out->max);
		for (size_t k = colon + 1; k < i; k++)
			if (block[k] != '\n' && block[k] != '\r')
				sb_putc(&val, block[k]);
		if (found++)
			sb_putc(out, '\n');
		const char *v = sb_str(&val);
		size_t vl = val.len;
		if (!(mods & RULE_HDR_RAW))
			trim(&v, &vl);
		struct strbuf tmp;
		sb_init(&tmp, out->max);
		sb_append(&tmp, v, vl);
		value_text(sb_str(&tmp), sb_str(&val), mods, out);
		sb_free(&tmp);
		sb_free(&val);
		i++;
	}
	return found > 0;
}
