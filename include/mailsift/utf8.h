/* UTF-8 well-formedness (RFC 3629): no overlong forms, no surrogates,
 * nothing above U+10FFFF. */
#ifndef MAILSIFT_UTF8_H
#define MAILSIFT_UTF8_H

#include <stddef.h>

/* Length of the well-formed multi-byte sequence at s (lead byte >= 0x80),
 * or 0 if it is ill-formed or cut short by len. */
size_t utf8_seq_len(const unsigned char *s, size_t len);
/* Writes code point cp (surrogates and values above U+10FFFF become
 * U+FFFD) to out as UTF-8; returns its length, 1 to 4. */
size_t utf8_encode(unsigned long cp, char out[4]);

#endif
