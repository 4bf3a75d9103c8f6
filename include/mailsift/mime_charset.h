/* Charset conversion to UTF-8 for the MIME decoder: names normalized
 * (aliases, common mislabels), UTF-8 and the Latin ones converted here,
 * everything else through iconv with handles cached per parser. */
#ifndef MAILSIFT_MIME_CHARSET_H
#define MAILSIFT_MIME_CHARSET_H

#include <stddef.h>

#include "mailsift/strbuf.h"

#define MIME_CHARSET_CACHE 8 /* iconv handles a parser keeps open */
#define MIME_CHARSET_NAME_MAX 64

struct mime_charsets {
	struct {
		char name[MIME_CHARSET_NAME_MAX]; /* iconv name */
		void *cd;			  /* iconv_t, owned; (iconv_t)-1 if unknown */
	} e[MIME_CHARSET_CACHE];
	size_t n;
	size_t next; /* slot replaced when full */
};

void mime_charsets_init(struct mime_charsets *cs);
void mime_charsets_free(struct mime_charsets *cs);
/* Converts in (in charset, see mime_to_utf8) to UTF-8 appended to out,
 * keeping what fits under out's cap (*cut_r set when it did not all fit).
 * tail_cut: the input was cut by a limit, so a sequence left incomplete at
 * its end is dropped rather than reported. cs may be NULL (no cache).
 * Returns 1 if the charset was unknown or the text invalid in it, else 0. */
int mime_charset_convert(struct mime_charsets *cs, const char *charset, const char *in, size_t len,
			 struct strbuf *out, int tail_cut, int *cut_r);
/* The code point of a windows-1252 byte (HTML maps &#128;..&#159; so too). */
unsigned long mime_charset_cp1252(unsigned char c);

#endif
