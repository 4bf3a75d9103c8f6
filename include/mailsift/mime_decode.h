/* Streaming Content-Transfer-Encoding decoders (RFC 2045 base64 and
 * quoted-printable, and the identity ones) for the MIME parser, which
 * feeds them a part's body line by line, a long line in pieces. Any cut
 * of the input gives the same output: all state between calls is here. */
#ifndef MAILSIFT_MIME_DECODE_H
#define MAILSIFT_MIME_DECODE_H

#include <stddef.h>

#include "mailsift/strbuf.h"

#define MIME_QP_WS_MAX 64 /* trailing blanks held back before a line end */

enum mime_enc { MIME_ENC_IDENT, MIME_ENC_QP, MIME_ENC_B64 };

struct mime_decoder {
	enum mime_enc enc;
	unsigned flags; /* MIME_F_BAD_BASE64, MIME_F_BAD_QP, MIME_F_TRUNCATED */
	int pending_nl; /* a line end not yet written: dropped if a boundary follows */
	unsigned long b64_bits;
	unsigned b64_n; /* sextets in b64_bits */
	int b64_pad;	/* one more "=" expected */
	char qp_esc[2]; /* "=" and a hex digit after it, not yet decided */
	unsigned qp_nesc;
	int qp_esc_ws; /* "=" followed by blanks: a soft break if the line ends */
	char qp_ws[MIME_QP_WS_MAX];
	size_t qp_nws;
};

/* encoding: the Content-Transfer-Encoding, lower case ("" = identity;
 * unknown ones are taken as identity). */
void mime_decode_begin(struct mime_decoder *d, const char *encoding);
/* A piece of a line: start = it begins a line, end = the line ends after
 * it (its CRLF or LF already removed). Output goes to out up to its cap;
 * hitting the cap sets MIME_F_TRUNCATED. */
void mime_decode_line(struct mime_decoder *d, const char *s, size_t n, int start, int end,
		      struct strbuf *out);
/* The part ended: by_boundary = a boundary line ended it (which owns the
 * line end before it). */
void mime_decode_finish(struct mime_decoder *d, int by_boundary, struct strbuf *out);

#endif
