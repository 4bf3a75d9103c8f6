/* MIME decoding for the content rules: a parser fed the message as the MTA
 * hands it over (header fields, end of header, body chunks), which keeps
 * for each leaf part its header block, its decoded text in UTF-8 and, for
 * HTML, the text a reader would see and the links it carries. Everything it
 * keeps is bounded by named limits; hitting one sets a flag (never a silent
 * skip), and broken MIME gets a best-effort parse and a flag. */
#ifndef MAILSIFT_MIME_H
#define MAILSIFT_MIME_H

#include <stddef.h>

#include "mailsift/strbuf.h"

/* Defaults for struct mime_limits (0 in a field means the default). */
#define MIME_DEFAULT_MAX_DEPTH 20
#define MIME_DEFAULT_MAX_PARTS 1000
#define MIME_DEFAULT_MAX_PART_TEXT (1u << 20)  /* decoded bytes kept per part */
#define MIME_DEFAULT_MAX_TOTAL_TEXT (4u << 20) /* decoded bytes kept per message */
#define MIME_DEFAULT_MAX_HEADER_BYTES 65536    /* a part's header block */
#define MIME_DEFAULT_MAX_URIS 1000

struct mime_limits {
	size_t max_depth;
	size_t max_parts;
	size_t max_part_text;
	size_t max_total_text;
	size_t max_header_bytes;
	size_t max_uris;
};

/* What went wrong, per part and (or-ed together) per message. */
enum mime_flag {
	MIME_F_DEPTH = 1 << 0,	      /* nesting beyond max_depth: deeper parts kept as opaque */
	MIME_F_PARTS = 1 << 1,	      /* more than max_parts: the rest not decoded */
	MIME_F_TRUNCATED = 1 << 2,    /* decoded text cut at max_part_text/max_total_text */
	MIME_F_NO_BOUNDARY = 1 << 3,  /* a multipart type without a boundary parameter */
	MIME_F_UNTERMINATED = 1 << 4, /* a multipart's closing boundary never came */
	MIME_F_BAD_BASE64 = 1 << 5,   /* characters outside the alphabet, bad padding */
	MIME_F_BAD_QP = 1 << 6,	      /* "=" not followed by two hex digits or a line end */
	MIME_F_BAD_CHARSET = 1 << 7,  /* unknown charset or invalid bytes in it */
	MIME_F_NUL = 1 << 8,	      /* NUL bytes in text */
	MIME_F_BAD_HEADER = 1 << 9,   /* a header line that is not "name: value" */
	MIME_F_URIS = 1 << 10,	      /* more than max_uris links */
	MIME_F_HEADER_SIZE = 1 << 11, /* a part's header block beyond max_header_bytes */
};

/* A leaf part (multipart containers are not listed; message/rfc822 is
 * descended into as a nested message). */
struct mime_part {
	unsigned depth;	    /* 0: the message itself is a single part */
	char ctype[128];    /* "text/plain", lower case; the default if absent */
	char charset[64];   /* lower case, "" if none */
	char encoding[32];  /* Content-Transfer-Encoding, lower case, "" if none */
	char filename[256]; /* from Content-Disposition or Content-Type name=, RFC 2231/2047 decoded
			     */
	int attachment;	    /* Content-Disposition: attachment */
	int is_text;	    /* text/plain, text/html or other text types decoded into raw/text */
	int is_html;	    /* text/html */
	struct strbuf headers; /* the part's header block as received ("Name: value\n"...) */
	struct strbuf raw;     /* text parts: decoded, converted to UTF-8 (rawbody) */
	struct strbuf text;    /* text parts: what a reader sees (HTML rendered; else = raw) */
	unsigned flags;	       /* enum mime_flag */
};

struct mime_message {
	struct mime_part *parts; /* owned by the parser */
	size_t nparts;
	char **uris; /* owned: links found in HTML (href, src, ...), as written, entity-decoded */
	size_t nuris;
	/* owned: the header blocks of multipart and message/rfc822 entities
	 * (the message's own when it is one), which hold no part of their own;
	 * mimeheader rules read them with the parts' */
	struct strbuf *containers;
	size_t ncontainers;
	unsigned flags;	   /* every part's flags, or-ed, plus the message's own */
	size_t body_bytes; /* body bytes received */
	size_t text_bytes; /* decoded bytes kept, all parts */
};

struct mime_parser;

/* NULL when out of memory; lim may be NULL (defaults). */
struct mime_parser *mime_parser_new(const struct mime_limits *lim);
void mime_parser_free(struct mime_parser **p);
/* The message's own header fields, value as received after the colon. */
void mime_parser_header(struct mime_parser *p, const char *name, const char *value);
void mime_parser_eoh(struct mime_parser *p);
/* Body bytes in chunks of any size, cut anywhere (CRLF or LF line ends). */
void mime_parser_body(struct mime_parser *p, const unsigned char *data, size_t len);
/* Ends the message; the result lives as long as the parser. */
const struct mime_message *mime_parser_end(struct mime_parser *p);

/* RFC 2047: a header value with its encoded-words decoded into UTF-8
 * (whitespace between adjacent encoded-words dropped); other bytes are
 * copied. Returns 0, or -1 if out did not take it all. */
int mime_decode_words(const char *in, size_t len, struct strbuf *out);
/* Text in charset (NULL or "": us-ascii with 8-bit bytes taken as
 * windows-1252 when not valid UTF-8) appended to out as UTF-8; invalid
 * sequences become U+FFFD. Returns 1 if the charset was unknown or the text
 * invalid in it (still converted best-effort), 0 if clean, -1 if out failed. */
int mime_to_utf8(const char *charset, const char *in, size_t len, struct strbuf *out);

#endif
