/* MIME header field values (RFC 2045 Content-Type, RFC 2183
 * Content-Disposition): the leading token and parameters, quoted strings,
 * RFC 2231 continuations and charset'lang'value, RFC 2047 words in
 * parameters as some mailers write them. */
#ifndef MAILSIFT_MIME_HEADER_H
#define MAILSIFT_MIME_HEADER_H

#include <stddef.h>

#include "mailsift/strbuf.h"

#define MIME_PARAM_SECTIONS 64 /* RFC 2231 continuations read per parameter */

/* The value's leading token ("text/plain", "attachment"), lower case,
 * without comments, into out (cut to size). */
void mime_header_token(const char *v, size_t len, char *out, size_t size);
/* Parameter name of the value into out, RFC 2231 decoded to UTF-8, and
 * RFC 2047 words decoded if words (never for a boundary, which is taken
 * byte for byte). Returns 1 if it is there, 0 if not. */
int mime_header_param(const char *v, size_t len, const char *name, int words, struct strbuf *out);

#endif
