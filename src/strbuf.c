/* Growable byte strings with a cap. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailsift/strbuf.h"

void sb_init(struct strbuf *sb, size_t max)
{
	sb->s = NULL;
	sb->len = 0;
	sb->cap = 0;
	sb->max = max;
	sb->failed = 0;
}

void sb_free(struct strbuf *sb)
{
	free(sb->s);
	sb_init(sb, sb->max);
}

void sb_reset(struct strbuf *sb)
{
	sb->len = 0;
	sb->failed = 0;
	if (sb->s != NULL)
		sb->s[0] = '\0';
}

static int sb_reserve(struct strbuf *sb, size_t extra)
{
	size_t want, ncap;
	char *ns;

	if (sb->failed)
		return -1;
	if (extra > sb->max - sb->len) {
		sb->failed = 1;
		return -1;
	}
	want = sb->len + extra + 1;
	if (want <= sb->cap)
		return 0;
	ncap = sb->cap ? sb->cap : 64;
	while (ncap < want)
		ncap *= 2;
	ns = realloc(sb->s, ncap);
	if (ns == NULL) {
		sb->failed = 1;
		return -1;
	}
	sb->s = ns;
	sb->cap = ncap;
	return 0;
}

int sb_append(struct strbuf *sb, const char *data, size_t len)
{
	if (sb_reserve(sb, len) < 0)
		return -1;
	if (len > 0)
		memcpy(sb->s + sb->len, data, len);
	sb->len += len;
	sb->s[sb->len] = '\0';
	return 0;
}

int sb_append_max(struct strbuf *sb, const char *data, size_t len)
{
	size_t room;

	if (sb->failed)
		return -1;
	room = sb->max - sb->len;
	if (len <= room)
		return sb_append(sb, data, len);
	sb_append(sb, data, room);
	return -1;
}

int sb_puts(struct strbuf *sb, const char *s)
{
	return sb_append(sb, s, strlen(s));
}

int sb_putc(struct strbuf *sb, char c)
{
	return sb_append(sb, &c, 1);
}

int sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || sb_reserve(sb, (size_t)n) < 0) {
		sb->failed = 1;
		return -1;
	}
	va_start(ap, fmt);
	vsnprintf(sb->s + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
	return 0;
}

const char *sb_str(const struct strbuf *sb)
{
	return sb->s != NULL && !sb->failed ? sb->s : "";
}

char *sb_take(struct strbuf *sb)
{
	char *s = sb->s;

	if (sb->failed) {
		sb_free(sb);
		return NULL;
	}
	if (s == NULL)
		return strdup("");
	sb_init(sb, sb->max);
	return s;
}
