/* JSON string escaping. */
#include "config.h"

#include "mailsift/json.h"

static size_t utf8_len(const unsigned char *s)
{
	size_t n;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

void json_string(struct strbuf *sb, const char *str)
{
	const unsigned char *s = (const unsigned char *)(str != NULL ? str : "");

	sb_putc(sb, '"');
	while (*s) {
		if (*s == '"' || *s == '\\') {
			sb_putc(sb, '\\');
			sb_putc(sb, (char)*s++);
		} else if (*s < 0x20 || *s == 0x7f) {
			sb_printf(sb, "\\u%04x", *s++);
		} else if (*s < 0x80) {
			sb_putc(sb, (char)*s++);
		} else {
			size_t n = utf8_len(s);

			if (n == 0) {
				sb_puts(sb, "\\ufffd");
				s++;
			} else {
				sb_append(sb, (const char *)s, n);
				s += n;
			}
		}
	}
	sb_putc(sb, '"');
}

void json_key(struct strbuf *sb, const char *key, int first)
{
	if (!first)
		sb_putc(sb, ',');
	json_string(sb, key);
	sb_putc(sb, ':');
}
