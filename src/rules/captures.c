/* Tags captured by named groups, and %{NAME} templates filled from them. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "mailsift/captures.h"

void captures_free(struct capture_tags *t)
{
	for (size_t i = 0; i < t->n; i++)
		for (size_t k = 0; k < t->tags[i].nvalues; k++)
			free(t->tags[i].values[k]);
	free(t->tags);
	memset(t, 0, sizeof(*t));
}

static struct capture_tag *find(const struct capture_tags *t, const char *name, size_t len)
{
	for (size_t i = 0; i < t->n; i++)
		if (strlen(t->tags[i].name) == len && memcmp(t->tags[i].name, name, len) == 0)
			return &t->tags[i];
	return NULL;
}

void captures_add(void *arg, const char *name, const char *v, size_t n)
{
	struct capture_tags *t = arg;
	size_t len = strlen(name);
	struct capture_tag *tag = find(t, name, len);
	char *copy;

	if (n > CAPTURES_MAX_VALUE) {
		n = CAPTURES_MAX_VALUE;
		t->capped = 1;
	}
	if (tag == NULL) {
		if (t->n >= CAPTURES_MAX_TAGS || len >= CAPTURES_MAX_NAME) {
			t->capped = 1;
			return;
		}
		if (t->tags == NULL &&
		    (t->tags = calloc(CAPTURES_MAX_TAGS, sizeof(*t->tags))) == NULL)
			return;
		tag = &t->tags[t->n++];
		memcpy(tag->name, name, len + 1);
	}
	for (size_t k = 0; k < tag->nvalues; k++)
		if (strlen(tag->values[k]) == n && memcmp(tag->values[k], v, n) == 0)
			return;
	if (tag->nvalues >= CAPTURES_MAX_VALUES) {
		t->capped = 1;
		return;
	}
	if ((copy = malloc(n + 1)) == NULL)
		return;
	memcpy(copy, v, n);
	copy[n] = '\0';
	tag->values[tag->nvalues++] = copy;
}

/* The length of the template at s ("%{NAME}"), 0 if there is none. */
static size_t template_at(const char *text, const char *s)
{
	size_t n = 2;

	if (s[0] != '%' || s[1] != '{' || (s > text && s[-1] == '\\'))
		return 0;
	while (isupper((unsigned char)s[n]) || isdigit((unsigned char)s[n]) || s[n] == '_')
		n++;
	return n > 2 && s[n] == '}' && isupper((unsigned char)s[2]) ? n + 1 : 0;
}

int captures_template(const char *text)
{
	for (const char *p = strchr(text, '%'); p != NULL; p = strchr(p + 1, '%'))
		if (template_at(text, p) > 0)
			return 1;
	return 0;
}

/* A value as a literal inside any delimiters: every byte but letters,
 * digits and "_" escaped, control bytes as \xHH. */
static void quoted(const char *v, struct strbuf *out)
{
	for (; *v != '\0'; v++) {
		unsigned char c = (unsigned char)*v;
		if (isalnum(c) || c == '_')
			sb_putc(out, (char)c);
		else if (c < 0x20 || c == 0x7f)
			sb_printf(out, "\\x%02x", c);
		else {
			sb_putc(out, '\\');
			sb_putc(out, (char)c);
		}
	}
}

int captures_expand(const char *text, const struct capture_tags *tags, struct strbuf *out)
{
	for (const char *p = text; *p != '\0';) {
		size_t n = template_at(text, p);
		const struct capture_tag *tag;
		if (n == 0) {
			sb_putc(out, *p++);
			continue;
		}
		if (tags != NULL && ((tag = find(tags, p + 2, n - 3)) == NULL || tag->nvalues == 0))
			return 0;
		sb_puts(out, "(?:");
		for (size_t k = 0; tags != NULL && k < tag->nvalues; k++) {
			if (k > 0)
				sb_putc(out, '|');
			quoted(tag->values[k], out);
		}
		sb_putc(out, ')');
		p += n;
	}
	return out->failed ? -1 : 1;
}
