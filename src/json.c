/* JSON string escaping. */
#include "config.h"

#include <string.h>

#include "mailsift/json.h"
#include "mailsift/utf8.h"

void json_string(struct strbuf *sb, const char *str)
{
	const unsigned char *s = (const unsigned char *)(str != NULL ? str : "");
	const unsigned char *end = s + strlen((const char *)s);

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
			size_t n = utf8_seq_len(s, (size_t)(end - s));

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
