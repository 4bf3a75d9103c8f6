/* The text a SpamAssassin header test reads: every field of the name, values
 * joined by "\n", RFC 2047 decoded unless :raw, reduced to the address or
 * the display name with :addr / :name; pseudo-headers ALL, ToCc and
 * MESSAGEID. */
#ifndef MAILSIFT_HDRTEXT_H
#define MAILSIFT_HDRTEXT_H

#include <stddef.h>

#include "mailsift/msgfile.h"
#include "mailsift/strbuf.h"

/* The fields' decoded values, kept for one scan. */
struct hdrtext_cache {
	char **dec; /* owned: per field, NULL until read */
	size_t n;
};

void hdrtext_cache_init(struct hdrtext_cache *cache, size_t nheaders);
void hdrtext_cache_free(struct hdrtext_cache *cache);

/* Appends the text to out; 1 if the message has such a field, 0 if not.
 * cache (for h, may be NULL) keeps decoded values between calls. */
int hdrtext_get(const struct msg_header *h, size_t n, const char *name, unsigned mods,
		struct hdrtext_cache *cache, struct strbuf *out);
/* The address of the first field called name (RFC 2047 decoded, as :addr
 * reads it) appended to out; its index in *index, or n when there is no
 * such field. */
void hdrtext_first_addr(const struct msg_header *h, size_t n, const char *name, struct strbuf *out,
			size_t *index);
/* The same over a MIME part's header block ("Name: value\n", folded). */
int hdrtext_block(const char *block, size_t len, const char *name, unsigned mods,
		  struct strbuf *out);

#endif
