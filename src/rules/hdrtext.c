/* Header text for header and mimeheader rules, the way SpamAssassin's
 * Message::get_header and PerMsgStatus::get build it. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mailsift/hdrtext.h"
#include "mailsift/mime.h"
#include "mailsift/rulefile.h"

/* in SpamAssassin's order: lists move the real id to the X- fields */
static const char *const msgid_names[] = {"X-Message-Id", "Resent-Message-Id",
					  "X-Original-Message-ID", "Message-Id"};
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

/* The value RFC 2047 decoded: made once per field and scan when a cache
 * is given (hundreds of header rules read the same fields). */
static const char *decoded(const struct msg_header *h, size_t i, struct hdrtext_cache *cache,
			   struct strbuf *tmp)
{
	if (cache != NULL && cache->dec != NULL && cache->dec[i] != NULL)
		return cache->dec[i];
	mime_decode_words(h[i].value, strlen(h[i].value), tmp);
	if (cache == NULL || tmp->failed)
		return sb_str(tmp);
	if (cache->dec == NULL && (cache->dec = calloc(cache->n, sizeof(char *))) == NULL)
		return sb_str(tmp);
	if ((cache->dec[i] = strdup(sb_str(tmp))) == NULL)
		return sb_str(tmp);
	return cache->dec[i];
}

/* One field's value as a test reads it. */
static void value_text(const struct msg_header *h, size_t i, unsigned mods,
		       struct hdrtext_cache *cache, struct strbuf *out)
{
	struct strbuf tmp;
	const char *dec;

	if (mods & RULE_HDR_RAW) {
		sb_puts(out, h[i].raw != NULL ? h[i].raw : h[i].value);
		return;
	}
	sb_init(&tmp, out->max);
	dec = decoded(h, i, cache, &tmp);
	if (mods & RULE_HDR_ADDR)
		first_addr(dec, strlen(dec), out);
	else if (mods & RULE_HDR_NAME)
		display_name(dec, strlen(dec), out);
	else
		sb_puts(out, dec);
	sb_free(&tmp);
}

static int one_name(const struct msg_header *h, size_t n, const char *name, unsigned mods,
		    struct hdrtext_cache *cache, struct strbuf *out, int found)
{
	for (size_t i = 0; i < n; i++) {
		if (strcasecmp(h[i].name, name) != 0)
			continue;
		if (found++)
			sb_putc(out, '\n');
		value_text(h, i, mods, cache, out);
	}
	return found;
}

static int names(const struct msg_header *h, size_t n, const char *const *list, size_t nlist,
		 unsigned mods, struct hdrtext_cache *cache, struct strbuf *out)
{
	int found = 0;

	for (size_t i = 0; i < nlist; i++)
		found = one_name(h, n, list[i], mods, cache, out, found);
	return found > 0;
}

void hdrtext_first_addr(const struct msg_header *h, size_t n, const char *name, struct strbuf *out,
			size_t *index)
{
	for (*index = 0; *index < n; (*index)++)
		if (strcasecmp(h[*index].name, name) == 0) {
			value_text(h, *index, RULE_HDR_ADDR, NULL, out);
			return;
		}
}

void hdrtext_cache_init(struct hdrtext_cache *cache, size_t nheaders)
{
	cache->dec = NULL;
	cache->n = nheaders;
}

void hdrtext_cache_free(struct hdrtext_cache *cache)
{
	for (size_t i = 0; cache->dec != NULL && i < cache->n; i++)
		free(cache->dec[i]);
	free(cache->dec);
	cache->dec = NULL;
}

int hdrtext_get(const struct msg_header *h, size_t n, const char *name, unsigned mods,
		struct hdrtext_cache *cache, struct strbuf *out)
{
	if (strcmp(name, "ALL") == 0) {
		for (size_t i = 0; i < n; i++) {
			sb_printf(out, "%s:%s", h[i].name, (mods & RULE_HDR_RAW) ? "" : " ");
			value_text(h, i, mods & RULE_HDR_RAW, cache, out);
			sb_putc(out, '\n');
		}
		return n > 0;
	}
	if (strcmp(name, "ToCc") == 0)
		return names(h, n, tocc_names, 2, mods, cache, out);
	if (strcmp(name, "MESSAGEID") == 0)
		return names(h, n, msgid_names, 4, mods, cache, out);
	return one_name(h, n, name, mods, cache, out, 0) > 0;
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
		struct msg_header field = {.name = (char *)name,
					   .value = (char *)sb_str(&tmp),
					   .raw = (char *)sb_str(&val)};
		value_text(&field, 0, mods, NULL, out);
		sb_free(&tmp);
		sb_free(&val);
		i++;
	}
	return found > 0;
}
