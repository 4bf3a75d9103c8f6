/* A growable byte string with a hard size cap. Once an append fails (cap or
 * allocation), the buffer stays failed so callers check once at the end. */
#ifndef MAILSIFT_STRBUF_H
#define MAILSIFT_STRBUF_H

#include <stddef.h>

#include "mailsift/log.h"

struct strbuf {
	char *s; /* owned; NUL-terminated while not failed */
	size_t len;
	size_t cap;
	size_t max; /* hard cap on len */
	int failed;
};

void sb_init(struct strbuf *sb, size_t max);
void sb_free(struct strbuf *sb);
void sb_reset(struct strbuf *sb);
int sb_append(struct strbuf *sb, const char *data, size_t len);
int sb_puts(struct strbuf *sb, const char *s);
int sb_putc(struct strbuf *sb, char c);
int sb_printf(struct strbuf *sb, const char *fmt, ...) MS_PRINTF(2, 3);
/* Appends as much of data as fits under the cap: 0 if all of it did, -1 if
 * it was cut (the buffer does not fail for the cap, only for memory), so a
 * bounded copy keeps its first bytes. */
int sb_append_max(struct strbuf *sb, const char *data, size_t len);
/* Returns the string, "" for an empty buffer; never NULL. */
const char *sb_str(const struct strbuf *sb);
/* Hands the string to the caller (who frees it) and resets the buffer. */
char *sb_take(struct strbuf *sb);

#endif
