/* The MIME parser: a state machine fed the body in chunks cut anywhere.
 * Bytes are split into lines (a line longer than MIME_LINE_MAX is handed
 * on in pieces, cut at fixed points, so any chunking gives the same
 * pieces); each line is a boundary of an open multipart, a header line of
 * the entity being read, or content of the current leaf, which is decoded
 * into a bounded buffer and converted to UTF-8 when the leaf ends. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mailsift/html.h"
#include "mailsift/mime.h"
#include "mailsift/mime_charset.h"
#include "mailsift/mime_decode.h"
#include "mailsift/mime_header.h"

#define MIME_LINE_MAX 1024    /* a line is looked at as one piece up to this */
#define MIME_BOUNDARY_MAX 200 /* RFC 2046 allows 70 */
#define MIME_PARAM_MAX 1024   /* a parameter value read before it is cut to its field */

/* Piece flags for on_piece(). */
#define PIECE_START 1 /* the piece begins a line */
#define PIECE_END 2   /* a line end follows it */
#define PIECE_LAST 4  /* the last bytes of the body, without a line end */

enum mime_state {
	ST_HEADERS,  /* reading an entity's header block */
	ST_LEAF,     /* a leaf's content */
	ST_PREAMBLE, /* before a multipart's first boundary */
	ST_EPILOGUE, /* after a multipart's closing boundary */
};

/* The entity whose header block is being read (or a multipart's, kept in
 * its frame until its first boundary). */
struct mime_entity {
	unsigned depth;
	char ctype[128];
	char charset[64];
	char encoding[32];
	char filename[256];
	char boundary[MIME_BOUNDARY_MAX + 1];
	int attachment;
	int have_ctype, have_cte, have_filename;
	struct strbuf headers; /* owned; moved to the part made from it */
	unsigned flags;
};

/* An open multipart. */
struct mime_frame {
	struct mime_entity ent; /* owned: its header block until its first boundary */
	size_t blen;
	int digest; /* parts default to message/rfc822 */
	int seen;   /* a boundary of it came */
};

struct mime_parser {
	struct mime_limits lim;
	struct mime_message msg; /* owned: parts, their buffers, uris */
	size_t parts_cap;
	struct mime_charsets charsets; /* owned iconv handles */
	struct mime_frame *frames;     /* owned, lim.max_depth of them */
	size_t nframes;
	enum mime_state st;
	struct mime_entity ent;	  /* the entity being read */
	struct strbuf field;	  /* owned: the header field being read */
	int first_header_line;	  /* a nested message's first line may be "From " */
	long leaf;		  /* index of the current leaf in msg.parts, -1: not kept */
	int leaf_decode;	  /* the current leaf's content is decoded */
	struct mime_decoder dec;  /* the current leaf's (or preamble's) decoder */
	struct strbuf body;	  /* owned: its decoded bytes, up to the text budget */
	char line[MIME_LINE_MAX]; /* the line being split */
	size_t line_len;
	int line_cont; /* the line buffer continues a longer line */
	int eoh_done;
	int ended;
};

static void entity_init(struct mime_parser *p, struct mime_entity *e, unsigned depth, int digest)
{
	memset(e, 0, sizeof(*e));
	e->depth = depth;
	snprintf(e->ctype, sizeof(e->ctype), "%s", digest ? "message/rfc822" : "text/plain");
	sb_init(&e->headers, p->lim.max_header_bytes);
}

static size_t or_default(size_t v, size_t def)
{
	return v != 0 ? v : def;
}

struct mime_parser *mime_parser_new(const struct mime_limits *lim)
{
	struct mime_parser *p = calloc(1, sizeof(*p));
	struct mime_limits none = {0};

	if (p == NULL)
		return NULL;
	lim = lim != NULL ? lim : &none;
	p->lim.max_depth = or_default(lim->max_depth, MIME_DEFAULT_MAX_DEPTH);
	p->lim.max_parts = or_default(lim->max_parts, MIME_DEFAULT_MAX_PARTS);
	p->lim.max_part_text = or_default(lim->max_part_text, MIME_DEFAULT_MAX_PART_TEXT);
	p->lim.max_total_text = or_default(lim->max_total_text, MIME_DEFAULT_MAX_TOTAL_TEXT);
	p->lim.max_header_bytes = or_default(lim->max_header_bytes, MIME_DEFAULT_MAX_HEADER_BYTES);
	p->lim.max_uris = or_default(lim->max_uris, MIME_DEFAULT_MAX_URIS);
	p->frames = calloc(p->lim.max_depth, sizeof(*p->frames));
	if (p->frames == NULL) {
		free(p);
		return NULL;
	}
	mime_charsets_init(&p->charsets);
	entity_init(p, &p->ent, 0, 0);
	sb_init(&p->field, p->lim.max_header_bytes);
	sb_init(&p->body, 0);
	p->st = ST_HEADERS;
	p->leaf = -1;
	return p;
}

void mime_parser_free(struct mime_parser **pp)
{
	struct mime_parser *p = *pp;

	if (p == NULL)
		return;
	for (size_t i = 0; i < p->msg.nparts; i++) {
		sb_free(&p->msg.parts[i].headers);
		sb_free(&p->msg.parts[i].raw);
		sb_free(&p->msg.parts[i].text);
	}
	free(p->msg.parts);
	for (size_t i = 0; i < p->msg.nuris; i++)
		free(p->msg.uris[i]);
	free(p->msg.uris);
	for (size_t i = 0; i < p->msg.ncontainers; i++)
		sb_free(&p->msg.containers[i]);
	free(p->msg.containers);
	for (size_t i = 0; i < p->nframes; i++)
		sb_free(&p->frames[i].ent.headers);
	free(p->frames);
	mime_charsets_free(&p->charsets);
	sb_free(&p->ent.headers);
	sb_free(&p->field);
	sb_free(&p->body);
	free(p);
	*pp = NULL;
}

/* Decoded bytes a text part may still keep. */
static size_t text_budget(const struct mime_parser *p)
{
	size_t left = p->lim.max_total_text > p->msg.text_bytes
			      ? p->lim.max_total_text - p->msg.text_bytes
			      : 0;
	return left < p->lim.max_part_text ? left : p->lim.max_part_text;
}

static void add_uri(void *ctx, const char *url, size_t len)
{
	struct mime_parser *p = ctx;
	struct mime_message *m = &p->msg;
	char *copy;

	if (m->nuris >= p->lim.max_uris) {
		m->flags |= MIME_F_URIS;
		return;
	}
	if (m->uris == NULL) {
		m->uris = calloc(p->lim.max_uris, sizeof(*m->uris));
		if (m->uris == NULL)
			return;
	}
	copy = malloc(len + 1);
	if (copy == NULL)
		return;
	memcpy(copy, url, len);
	copy[len] = '\0';
	m->uris[m->nuris++] = copy;
}

/* A new part made from e (whose header block it takes); its index, or -1
 * when max_parts are already kept. */
/* Keeps the header block of a container entity (moved out of e). */
static void keep_container(struct mime_parser *p, struct mime_entity *e)
{
	struct mime_message *m = &p->msg;
	struct strbuf *nc;

	if (m->ncontainers >= p->lim.max_parts ||
	    (nc = realloc(m->containers, (m->ncontainers + 1) * sizeof(*nc))) == NULL) {
		m->flags |= MIME_F_PARTS;
		return;
	}
	m->containers = nc;
	m->containers[m->ncontainers++] = e->headers;
	sb_init(&e->headers, p->lim.max_header_bytes);
}

static long new_part(struct mime_parser *p, struct mime_entity *e, int text)
{
	struct mime_message *m = &p->msg;
	struct mime_part *part;

	if (m->nparts >= p->lim.max_parts) {
		m->flags |= MIME_F_PARTS | e->flags;
		sb_free(&e->headers);
		return -1;
	}
	if (m->nparts == p->parts_cap) {
		size_t ncap = p->parts_cap ? p->parts_cap * 2 : 4;
		struct mime_part *np = realloc(m->parts, ncap * sizeof(*np));
		if (np == NULL) {
			m->flags |= MIME_F_PARTS;
			sb_free(&e->headers);
			return -1;
		}
		m->parts = np;
		p->parts_cap = ncap;
	}
	part = &m->parts[m->nparts];
	memset(part, 0, sizeof(*part));
	part->depth = e->depth;
	memcpy(part->ctype, e->ctype, sizeof(part->ctype));
	memcpy(part->charset, e->charset, sizeof(part->charset));
	memcpy(part->encoding, e->encoding, sizeof(part->encoding));
	memcpy(part->filename, e->filename, sizeof(part->filename));
	part->attachment = e->attachment;
	part->is_text = text;
	part->is_html = strcmp(e->ctype, "text/html") == 0;
	part->headers = e->headers;
	sb_init(&e->headers, p->lim.max_header_bytes);
	sb_init(&part->raw, 0);
	sb_init(&part->text, 0);
	part->flags = e->flags;
	m->flags |= e->flags;
	return (long)m->nparts++;
}

static void begin_decode(struct mime_parser *p, const char *encoding)
{
	mime_decode_begin(&p->dec, encoding);
	sb_reset(&p->body);
	p->body.max = text_budget(p);
}

/* CRLF to LF in place: decoded content (base64 of a Windows text file)
 * reads like the rest of the mail. */
static void crlf_to_lf(struct strbuf *sb)
{
	size_t j = 0;

	for (size_t i = 0; i < sb->len; i++) {
		if (!(sb->s[i] == '\r' && i + 1 < sb->len && sb->s[i + 1] == '\n'))
			sb->s[j++] = sb->s[i];
	}
	sb->len = j;
	if (sb->s != NULL)
		sb->s[j] = '\0';
}

/* The decoded bytes of part i become its raw UTF-8 and its text. */
static void finish_text(struct mime_parser *p, long i, int by_boundary)
{
	struct mime_part *part;
	size_t budget = text_budget(p);
	int cut;

	mime_decode_finish(&p->dec, by_boundary, &p->body);
	if (i < 0)
		return;
	part = &p->msg.parts[i];
	part->flags |= p->dec.flags;
	sb_init(&part->raw, budget);
	if (mime_charset_convert(&p->charsets, part->charset, p->body.s, p->body.len, &part->raw,
				 (p->dec.flags & MIME_F_TRUNCATED) != 0, &cut))
		part->flags |= MIME_F_BAD_CHARSET;
	if (cut)
		part->flags |= MIME_F_TRUNCATED;
	crlf_to_lf(&part->raw);
	if (part->raw.len > 0 && memchr(part->raw.s, '\0', part->raw.len) != NULL)
		part->flags |= MIME_F_NUL;
	sb_init(&part->text, budget);
	if (part->is_html) {
		if (html_to_text(part->raw.s, part->raw.len, &part->text, add_uri, p) < 0)
			part->flags |= MIME_F_TRUNCATED;
	} else {
		sb_append(&part->text, part->raw.s, part->raw.len);
	}
	p->msg.text_bytes += part->raw.len;
	p->msg.flags |= part->flags;
}

static void start_leaf(struct mime_parser *p, int text)
{
	p->leaf = new_part(p, &p->ent, text);
	p->leaf_decode = text && p->leaf >= 0;
	if (p->leaf_decode)
		begin_decode(p, p->ent.encoding);
	p->st = ST_LEAF;
}

static void end_leaf(struct mime_parser *p, int by_boundary)
{
	if (p->leaf_decode)
		finish_text(p, p->leaf, by_boundary);
	p->leaf = -1;
	p->leaf_decode = 0;
}

static void push_frame(struct mime_parser *p)
{
	struct mime_frame *f = &p->frames[p->nframes++];

	f->ent = p->ent;
	f->blen = strlen(f->ent.boundary);
	f->digest = strcmp(f->ent.ctype, "multipart/digest") == 0;
	f->seen = 0;
	entity_init(p, &p->ent, f->ent.depth + 1, f->digest);
	/* The preamble is decoded as if it were the part: if no boundary
	 * ever comes, it is what the reader sees. */
	begin_decode(p, f->ent.encoding);
	p->st = ST_PREAMBLE;
}

static void pop_frame(struct mime_parser *p, int unterminated)
{
	struct mime_frame *f = &p->frames[p->nframes - 1];

	if (unterminated)
		p->msg.flags |= MIME_F_UNTERMINATED;
	if (!f->seen) {
		f->ent.flags |= MIME_F_UNTERMINATED;
		finish_text(p, new_part(p, &f->ent, 1), 0);
	}
	sb_free(&f->ent.headers);
	p->nframes--;
}

static int is_message(const char *ctype)
{
	return strcmp(ctype, "message/rfc822") == 0 || strcmp(ctype, "message/global") == 0;
}

static int is_identity(const char *enc)
{
	return enc[0] == '\0' || strcmp(enc, "7bit") == 0 || strcmp(enc, "8bit") == 0 ||
	       strcmp(enc, "binary") == 0;
}

/* The entity's header block ended: what its content is. */
static void begin_body(struct mime_parser *p)
{
	struct mime_entity *e = &p->ent;
	int multipart = strncmp(e->ctype, "multipart/", 10) == 0;

	if (multipart && e->boundary[0] == '\0') {
		e->flags |= MIME_F_NO_BOUNDARY;
		start_leaf(p, 1);
	} else if ((multipart || (is_message(e->ctype) && is_identity(e->encoding))) &&
		   e->depth >= p->lim.max_depth) {
		e->flags |= MIME_F_DEPTH;
		start_leaf(p, 0);
	} else if (multipart) {
		keep_container(p, e);
		push_frame(p);
	} else if (is_message(e->ctype) && is_identity(e->encoding)) {
		/* The wrapper part is not listed; the message inside is. */
		unsigned depth = e->depth + 1;
		p->msg.flags |= e->flags;
		keep_container(p, e);
		sb_free(&e->headers);
		entity_init(p, e, depth, 0);
		p->st = ST_HEADERS;
		p->first_header_line = 1;
	} else {
		start_leaf(p, strncmp(e->ctype, "text/", 5) == 0);
	}
}

static void set_filename(struct mime_entity *e, const char *v, size_t len, const char *param)
{
	struct strbuf words, out;
	size_t n;

	sb_init(&words, MIME_PARAM_MAX);
	sb_init(&out, MIME_PARAM_MAX);
	/* Raw 8-bit names (no RFC 2231 or 2047) are made UTF-8 too. */
	if (mime_header_param(v, len, param, 1, &words) && words.s != NULL &&
	    mime_to_utf8(NULL, words.s, words.len, &out) == 0 && out.s != NULL) {
		n = out.len < sizeof(e->filename) ? out.len : sizeof(e->filename) - 1;
		while (n > 0 && n < out.len && ((unsigned char)out.s[n] & 0xc0) == 0x80)
			n--; /* not in the middle of a UTF-8 sequence */
		memcpy(e->filename, out.s, n);
		e->filename[n] = '\0';
		e->have_filename = 1;
	}
	sb_free(&out);
	sb_free(&words);
}

static void param_into(const char *v, size_t len, const char *name, char *dst, size_t size,
		       int lower)
{
	struct strbuf out;

	sb_init(&out, MIME_PARAM_MAX);
	if (mime_header_param(v, len, name, 0, &out) && out.s != NULL && out.len < size) {
		for (size_t i = 0; i <= out.len; i++)
			dst[i] = lower && out.s[i] >= 'A' && out.s[i] <= 'Z' ? out.s[i] | 0x20
									     : out.s[i];
	}
	sb_free(&out);
}

static void content_type(struct mime_entity *e, const char *v, size_t len)
{
	char type[sizeof(e->ctype)];

	if (e->have_ctype)
		return;
	e->have_ctype = 1;
	mime_header_token(v, len, type, sizeof(type));
	if (strchr(type, '/') != NULL)
		memcpy(e->ctype, type, sizeof(type));
	param_into(v, len, "charset", e->charset, sizeof(e->charset), 1);
	param_into(v, len, "boundary", e->boundary, sizeof(e->boundary), 0);
	if (!e->have_filename)
		set_filename(e, v, len, "name");
}

static void content_disposition(struct mime_entity *e, const char *v, size_t len)
{
	char type[32];

	mime_header_token(v, len, type, sizeof(type));
	e->attachment = strcmp(type, "attachment") == 0;
	set_filename(e, v, len, "filename");
}

/* One header field of the entity being read. */
static void add_field(struct mime_parser *p, const char *name, size_t nlen, const char *value,
		      size_t vlen)
{
	struct mime_entity *e = &p->ent;

	while (vlen > 0 && (*value == ' ' || *value == '\t')) {
		value++;
		vlen--;
	}
	if (memchr(value, '\0', vlen) != NULL)
		e->flags |= MIME_F_NUL;
	if (nlen + vlen + 3 > e->headers.max - e->headers.len) {
		e->flags |= MIME_F_HEADER_SIZE;
	} else {
		sb_append(&e->headers, name, nlen);
		sb_append(&e->headers, ": ", 2);
		sb_append(&e->headers, value, vlen);
		sb_append(&e->headers, "\n", 1);
	}
	if (nlen == 12 && strncasecmp(name, "content-type", nlen) == 0) {
		content_type(e, value, vlen);
	} else if (nlen == 25 && strncasecmp(name, "content-transfer-encoding", nlen) == 0) {
		if (!e->have_cte)
			mime_header_token(value, vlen, e->encoding, sizeof(e->encoding));
		e->have_cte = 1;
	} else if (nlen == 19 && strncasecmp(name, "content-disposition", nlen) == 0) {
		content_disposition(e, value, vlen);
	}
}

static void flush_field(struct mime_parser *p)
{
	const char *s = p->field.s, *colon;
	size_t nlen;

	if (p->field.len == 0)
		return;
	colon = memchr(s, ':', p->field.len);
	for (nlen = (size_t)(colon - s); nlen > 0 && (s[nlen - 1] == ' ' || s[nlen - 1] == '\t');)
		nlen--;
	add_field(p, s, nlen, colon + 1, p->field.len - (size_t)(colon + 1 - s));
	sb_reset(&p->field);
}

/* "name:" (RFC 5322 ftext, blanks allowed before the colon). */
static int is_field_start(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && (unsigned char)s[i] > 32 && (unsigned char)s[i] < 127 && s[i] != ':')
		i++;
	if (i == 0)
		return 0;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i < n && s[i] == ':';
}

static int is_blank_line(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] != ' ' && s[i] != '\t')
			return 0;
	}
	return 1;
}

static void field_append(struct mime_parser *p, const char *s, size_t n)
{
	if (sb_append_max(&p->field, s, n) < 0)
		p->ent.flags |= MIME_F_HEADER_SIZE;
}

static void body_piece(struct mime_parser *p, const char *s, size_t n, int flags);

static void header_piece(struct mime_parser *p, const char *s, size_t n, int flags)
{
	int first = p->first_header_line;

	p->first_header_line = 0;
	if (!(flags & PIECE_START)) {
		field_append(p, s, n);
	} else if (is_blank_line(s, n) && (flags & (PIECE_END | PIECE_LAST))) {
		flush_field(p);
		begin_body(p);
	} else if ((s[0] == ' ' || s[0] == '\t') && p->field.len > 0) {
		field_append(p, "\n", 1);
		field_append(p, s, n);
	} else if (first && n >= 5 && memcmp(s, "From ", 5) == 0) {
		/* an mbox separator before a forwarded message's header */
	} else if (is_field_start(s, n)) {
		flush_field(p);
		field_append(p, s, n);
	} else {
		/* Not a header: the header block was left out or cut short;
		 * this line is the first of the content. */
		flush_field(p);
		p->ent.flags |= MIME_F_BAD_HEADER;
		begin_body(p);
		body_piece(p, s, n, flags);
	}
}

static void body_piece(struct mime_parser *p, const char *s, size_t n, int flags)
{
	if (p->st == ST_HEADERS)
		header_piece(p, s, n, flags);
	else if ((p->st == ST_LEAF && p->leaf_decode) || p->st == ST_PREAMBLE)
		mime_decode_line(&p->dec, s, n, flags & PIECE_START, (flags & PIECE_END) != 0,
				 &p->body);
}

/* What is open when a boundary (or the end) comes is closed. */
static void finish_current(struct mime_parser *p, int by_boundary)
{
	if (p->st == ST_HEADERS && p->field.len == 0 && p->ent.headers.len == 0 &&
	    !(p->ent.flags & MIME_F_HEADER_SIZE)) {
		p->st = ST_EPILOGUE; /* "--b" and nothing after it: no part */
		return;
	}
	if (p->st == ST_HEADERS) {
		flush_field(p);
		start_leaf(p, strncmp(p->ent.ctype, "text/", 5) == 0);
	}
	if (p->st == ST_LEAF)
		end_leaf(p, by_boundary);
}

static void on_boundary(struct mime_parser *p, size_t k, int close)
{
	struct mime_frame *f = &p->frames[k];

	finish_current(p, 1);
	while (p->nframes > k + 1)
		pop_frame(p, 1);
	if (!f->seen) {
		f->seen = 1;
		sb_free(&f->ent.headers);
		sb_reset(&p->body);
	}
	if (close) {
		pop_frame(p, 0);
		p->st = ST_EPILOGUE;
		return;
	}
	sb_free(&p->ent.headers);
	entity_init(p, &p->ent, f->ent.depth + 1, f->digest);
	p->st = ST_HEADERS;
}

/* "--boundary" or "--boundary--" of an open multipart, innermost first,
 * with transport padding after it. */
static int check_boundary(struct mime_parser *p, const char *s, size_t n)
{
	for (size_t k = p->nframes; k-- > 0;) {
		const struct mime_frame *f = &p->frames[k];
		size_t i = 2 + f->blen;
		int close;

		if (n < i || memcmp(s + 2, f->ent.boundary, f->blen) != 0)
			continue;
		close = n >= i + 2 && s[i] == '-' && s[i + 1] == '-';
		if (close)
			i += 2;
		if (!is_blank_line(s + i, n - i))
			continue;
		on_boundary(p, k, close);
		return 1;
	}
	return 0;
}

static void on_piece(struct mime_parser *p, const char *s, size_t n, int flags)
{
	if ((flags & PIECE_START) && (flags & (PIECE_END | PIECE_LAST)) && n >= 2 && s[0] == '-' &&
	    s[1] == '-' && p->nframes > 0 && check_boundary(p, s, n))
		return;
	if (p->st != ST_EPILOGUE)
		body_piece(p, s, n, flags);
}

void mime_parser_header(struct mime_parser *p, const char *name, const char *value)
{
	if (p->eoh_done || p->ended)
		return;
	add_field(p, name, strlen(name), value, strlen(value));
}

void mime_parser_eoh(struct mime_parser *p)
{
	if (p->eoh_done || p->ended)
		return;
	p->eoh_done = 1;
	begin_body(p);
}

/* The line buffer is full and the line goes on: hand on what is there,
 * but a CR at its end may be half of the line's CRLF. */
static void flush_line_piece(struct mime_parser *p)
{
	int keep_cr = p->line[p->line_len - 1] == '\r';

	on_piece(p, p->line, p->line_len - (size_t)keep_cr, p->line_cont ? 0 : PIECE_START);
	p->line_cont = 1;
	p->line_len = (size_t)keep_cr;
	p->line[0] = '\r';
}

static void line_append(struct mime_parser *p, const unsigned char *s, size_t n)
{
	while (n > 0) {
		size_t room = sizeof(p->line) - p->line_len, c = n < room ? n : room;
		if (room == 0) {
			flush_line_piece(p);
			continue;
		}
		memcpy(p->line + p->line_len, s, c);
		p->line_len += c;
		s += c;
		n -= c;
	}
}

static void line_end(struct mime_parser *p, int flag)
{
	size_t n = p->line_len;

	if (flag == PIECE_END && n > 0 && p->line[n - 1] == '\r')
		n--;
	on_piece(p, p->line, n, (p->line_cont ? 0 : PIECE_START) | flag);
	p->line_len = 0;
	p->line_cont = 0;
}

void mime_parser_body(struct mime_parser *p, const unsigned char *data, size_t len)
{
	if (p->ended)
		return;
	mime_parser_eoh(p);
	p->msg.body_bytes += len;
	while (len > 0) {
		const unsigned char *nl = memchr(data, '\n', len);
		size_t take = nl != NULL ? (size_t)(nl - data) : len;
		line_append(p, data, take);
		if (nl == NULL)
			break;
		line_end(p, PIECE_END);
		data += take + 1;
		len -= take + 1;
	}
}

const struct mime_message *mime_parser_end(struct mime_parser *p)
{
	if (p->ended)
		return &p->msg;
	mime_parser_eoh(p);
	if (p->line_len > 0 || p->line_cont)
		line_end(p, PIECE_LAST);
	finish_current(p, 0);
	while (p->nframes > 0)
		pop_frame(p, 1);
	p->ended = 1;
	return &p->msg;
}
