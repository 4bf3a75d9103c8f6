/* Just enough JSON output for the offline tool. */
#ifndef MAILSIFT_JSON_H
#define MAILSIFT_JSON_H

#include "mailsift/strbuf.h"

/* Appends s as a JSON string literal (quoted, escaped; invalid UTF-8
 * bytes become U+FFFD). */
void json_string(struct strbuf *sb, const char *s);
/* Appends "key": with a leading comma unless first. */
void json_key(struct strbuf *sb, const char *key, int first);

#endif
