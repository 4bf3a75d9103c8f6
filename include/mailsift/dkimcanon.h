/* DKIM canonicalization (RFC 6376 3.4), shared by the signatures that use
 * it (ARC-Message-Signature, ARC-Seal). The body is canonicalized as it
 * streams by, so the message body is never kept. */
#ifndef MAILSIFT_DKIMCANON_H
#define MAILSIFT_DKIMCANON_H

#include <stddef.h>

#include "mailsift/strbuf.h"

enum dkimcanon {
	DKIMCANON_SIMPLE,
	DKIMCANON_RELAXED,
};

/* Parses a c= value ("relaxed/simple", "relaxed", ...); -1 if invalid. */
int dkimcanon_parse(const char *value, enum dkimcanon *header, enum dkimcanon *body);

/* Appends one header field, canonicalized, to out, with CRLF after it
 * when crlf. value is the raw text after the colon (folded lines joined
 * by "\n" or "\r\n"). Returns -1 when out has failed (its cap). */
int dkimcanon_header(struct strbuf *out, enum dkimcanon c, const char *name, const char *value,
		     int crlf);

#define DKIMCANON_BUF 4096

typedef void dkimcanon_emit_fn(void *ctx, const unsigned char *data, size_t len);

/* A body canonicalizer: bytes in (lines ended by LF or CRLF, in chunks of
 * any size), canonical bytes out through emit. */
struct dkimcanon_body {
	enum dkimcanon canon;
	dkimcanon_emit_fn *emit;
	void *ctx;
	unsigned long long empty_lines; /* held back: they count only if more follows */
	int cr;				/* a CR held back: is it a line end? */
	int content;			/* the current line has (non-WSP, if relaxed) bytes */
	int wsp;			/* relaxed: whitespace held back in the line */
	int emitted;			/* anything given to emit yet */
	size_t len;
	unsigned char buf[DKIMCANON_BUF];
};

void dkimcanon_body_init(struct dkimcanon_body *b, enum dkimcanon c, dkimcanon_emit_fn *emit,
			 void *ctx);
void dkimcanon_body_update(struct dkimcanon_body *b, const unsigned char *data, size_t len);
/* Ends the body: the last line and the simple canonicalization's CRLF of
 * an empty body. */
void dkimcanon_body_final(struct dkimcanon_body *b);

#endif
