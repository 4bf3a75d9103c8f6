/* Tag lists as RFC 6376 3.2 defines them. Parsing is strict: a signature
 * whose tag list does not follow the grammar is not one the signer could
 * have meant, and the ARC test suite expects such headers to fail. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "mailsift/dkimtags.h"

#define DNS_LABEL_MAX 63
#define DNS_DOMAIN_MAX 253

static int is_fws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* VALCHAR: %x21-3A / %x3C-7E */
static int is_valchar(char c)
{
	unsigned char u = (unsigned char)c;

	return u >= 0x21 && u <= 0x7e && u != ';';
}

static char *skip_fws(char *p)
{
	while (is_fws(*p))
		p++;
	return p;
}

/* One NUL-terminated tag-spec, cut in place into name and value. */
static int parse_spec(char *p, struct dkimtag *tag, const char **error_r)
{
	char *name = skip_fws(p), *q = name, *v, *end;

	if (!is_alpha(*q)) {
		*error_r = *q == '\0' ? "empty tag" : "bad tag name";
		return -1;
	}
	while (is_alpha(*q) || is_digit(*q) || *q == '_')
		q++;
	p = skip_fws(q);
	if (*p != '=') {
		*error_r = "tag without '='";
		return -1;
	}
	*q = '\0';
	v = skip_fws(p + 1);
	end = v + strlen(v);
	while (end > v && is_fws(end[-1]))
		end--;
	*end = '\0';
	for (q = v; *q; q++) {
		if (!is_valchar(*q) && !is_fws(*q)) {
			*error_r = "bad character in a tag value";
			return -1;
		}
	}
	tag->name = name;
	tag->value = v;
	return 0;
}

static int add_spec(struct dkimtags *t, char *spec, const char **error_r)
{
	struct dkimtag tag;

	if (t->n == DKIMTAGS_MAX) {
		*error_r = "too many tags";
		return -1;
	}
	if (parse_spec(spec, &tag, error_r) < 0)
		return -1;
	if (dkimtags_get(t, tag.name) != NULL) {
		*error_r = "duplicate tag";
		return -1;
	}
	t->tags[t->n++] = tag;
	return 0;
}

int dkimtags_parse(const char *text, struct dkimtags *out, const char **error_r)
{
	char *p, *semi;

	memset(out, 0, sizeof(*out));
	if ((out->buf = strdup(text)) == NULL) {
		*error_r = "out of memory";
		return -1;
	}
	for (p = out->buf;; p = semi + 1) {
		semi = strchr(p, ';');
		if (semi != NULL)
			*semi = '\0';
		/* one ';' may end the list */
		if (semi == NULL && p != out->buf && *skip_fws(p) == '\0')
			return 0;
		if (add_spec(out, p, error_r) < 0) {
			dkimtags_free(out);
			return -1;
		}
		if (semi == NULL)
			return 0;
	}
}

void dkimtags_free(struct dkimtags *t)
{
	free(t->buf);
	memset(t, 0, sizeof(*t));
}

const char *dkimtags_get(const struct dkimtags *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->tags[i].name, name) == 0)
			return t->tags[i].value;
	return NULL;
}

static int b64val(char c)
{
	if (is_alpha(c))
		return c >= 'a' ? c - 'a' + 26 : c - 'A';
	if (is_digit(c))
		return c - '0' + 52;
	if (c == '+')
		return 62;
	return c == '/' ? 63 : -1;
}

int dkimtags_base64(const char *value, unsigned char *out, size_t cap, size_t *len)
{
	unsigned long acc = 0;
	size_t ndata = 0, npad = 0, o = 0;
	int bits = 0;

	for (; *value; value++) {
		int d = b64val(*value);

		if (is_fws(*value))
			continue;
		if (*value == '=') {
			npad++;
			continue;
		}
		if (d < 0 || npad > 0)
			return -1;
		ndata++;
		acc = ((acc << 6) | (unsigned long)d) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == cap)
				return -1;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	if (npad > 2 || (ndata + npad) % 4 != 0 || ndata % 4 == 1)
		return -1;
	*len = o;
	return 0;
}

int dkimtags_domain_valid(const char *s)
{
	size_t label = 0, total = 0;

	for (; *s; s++, total++) {
		if (*s == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if (is_alpha(*s) || is_digit(*s) || *s == '-' || *s == '_') {
			if (++label > DNS_LABEL_MAX)
				return 0;
		} else {
			return 0;
		}
	}
	return label > 0 && total <= DNS_DOMAIN_MAX;
}

int dkimtags_number(const char *s, unsigned max_digits, unsigned long long *out)
{
	unsigned long long v = 0;
	unsigned n = 0;

	for (; is_digit(*s); s++, n++) {
		if (n == max_digits)
			return -1;
		v = v * 10 + (unsigned long long)(*s - '0');
	}
	if (n == 0 || *s != '\0')
		return -1;
	*out = v;
	return 0;
}

/* 1 if the tag-spec at p is named "b"; *eq_r is its '='. */
static int is_b_tag(const char *p, const char **eq_r)
{
	while (is_fws(*p))
		p++;
	if (*p != 'b')
		return 0;
	p++;
	while (is_fws(*p))
		p++;
	*eq_r = p;
	return *p == '=';
}

char *dkimtags_without_b(const char *raw)
{
	size_t len = strlen(raw), o = 0;
	char *out = malloc(len + 1);
	const char *p = raw;

	if (out == NULL)
		return NULL;
	while (*p) {
		const char *eq, *semi = strchr(p, ';');
		const char *next = semi != NULL ? semi : p + strlen(p);

		if (is_b_tag(p, &eq)) {
			memcpy(out + o, p, (size_t)(eq + 1 - p));
			o += (size_t)(eq + 1 - p);
			p = next;
		}
		if (semi != NULL)
			next++;
		memcpy(out + o, p, (size_t)(next - p));
		o += (size_t)(next - p);
		p = next;
	}
	out[o] = '\0';
	return out;
}
