/* The "simple" and "relaxed" canonicalizations of RFC 6376 3.4.
 *
 * The body canonicalizer holds back what it cannot decide yet: empty lines
 * (ignored at the end of the body, kept before more text), a CR (a line end
 * only when LF follows) and, in relaxed mode, whitespace (dropped at the end
 * of a line, one space inside it). */
#include "config.h"

#include <string.h>

#include "mailsift/dkimcanon.h"

static int is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* clang-format off */
static const struct {
	const char *name;
	enum dkimcanon header, body;
} canon_names[] = {
	{"simple", DKIMCANON_SIMPLE, DKIMCANON_SIMPLE},
	{"relaxed", DKIMCANON_RELAXED, DKIMCANON_SIMPLE},
	{"simple/simple", DKIMCANON_SIMPLE, DKIMCANON_SIMPLE},
	{"simple/relaxed", DKIMCANON_SIMPLE, DKIMCANON_RELAXED},
	{"relaxed/simple", DKIMCANON_RELAXED, DKIMCANON_SIMPLE},
	{"relaxed/relaxed", DKIMCANON_RELAXED, DKIMCANON_RELAXED},
};
/* clang-format on */

int dkimcanon_parse(const char *value, enum dkimcanon *header, enum dkimcanon *body)
{
	for (size_t i = 0; i < sizeof(canon_names) / sizeof(canon_names[0]); i++) {
		if (strcmp(value, canon_names[i].name) == 0) {
			*header = canon_names[i].header;
			*body = canon_names[i].body;
			return 0;
		}
	}
	return -1;
}

/* The field name in lower case, without whitespace before the colon. */
static void relaxed_name(struct strbuf *out, const char *name)
{
	size_t n = strlen(name);

	while (n > 0 && is_wsp(name[n - 1]))
		n--;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		sb_putc(out, c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c);
	}
}

/* Unfolded, whitespace runs as one space, none at either end. */
static void relaxed_value(struct strbuf *out, const char *value)
{
	int wsp = 0, started = 0;

	for (; *value; value++) {
		if (*value == '\r' || *value == '\n')
			continue;
		if (is_wsp(*value)) {
			wsp = 1;
			continue;
		}
		if (wsp && started)
			sb_putc(out, ' ');
		sb_putc(out, *value);
		wsp = 0;
		started = 1;
	}
}

/* As received, folded lines ending in CRLF. */
static void simple_value(struct strbuf *out, const char *value)
{
	for (const char *p = value; *p; p++) {
		if (*p == '\n' && (p == value || p[-1] != '\r'))
			sb_putc(out, '\r');
		sb_putc(out, *p);
	}
}

int dkimcanon_header(struct strbuf *out, enum dkimcanon c, const char *name, const char *value,
		     int crlf)
{
	if (c == DKIMCANON_RELAXED) {
		relaxed_name(out, name);
		sb_putc(out, ':');
		relaxed_value(out, value);
	} else {
		sb_puts(out, name);
		sb_putc(out, ':');
		simple_value(out, value);
	}
	if (crlf)
		sb_append(out, "\r\n", 2);
	return out->failed ? -1 : 0;
}

void dkimcanon_body_init(struct dkimcanon_body *b, enum dkimcanon c, dkimcanon_emit_fn *emit,
			 void *ctx)
{
	memset(b, 0, sizeof(*b));
	b->canon = c;
	b->emit = emit;
	b->ctx = ctx;
}

static void flush(struct dkimcanon_body *b)
{
	if (b->len > 0)
		b->emit(b->ctx, b->buf, b->len);
	b->len = 0;
}

static void out(struct dkimcanon_body *b, unsigned char c)
{
	if (b->len == sizeof(b->buf))
		flush(b);
	b->buf[b->len++] = c;
	b->emitted = 1;
}

static void out_crlf(struct dkimcanon_body *b)
{
	out(b, '\r');
	out(b, '\n');
}

static void line_end(struct dkimcanon_body *b)
{
	if (b->content)
		out_crlf(b);
	else
		b->empty_lines++;
	b->content = 0;
	b->wsp = 0;
}

static void line_byte(struct dkimcanon_body *b, unsigned char c)
{
	if (b->canon == DKIMCANON_RELAXED && is_wsp((char)c)) {
		b->wsp = 1;
		return;
	}
	if (!b->content) {
		for (; b->empty_lines > 0; b->empty_lines--)
			out_crlf(b);
	}
	if (b->wsp)
		out(b, ' ');
	b->wsp = 0;
	out(b, c);
	b->content = 1;
}

void dkimcanon_body_update(struct dkimcanon_body *b, const unsigned char *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = data[i];

		if (b->cr) {
			b->cr = 0;
			if (c == '\n') {
				line_end(b);
				continue;
			}
			line_byte(b, '\r');
		}
		if (c == '\r')
			b->cr = 1;
		else if (c == '\n')
			line_end(b);
		else
			line_byte(b, c);
	}
}

void dkimcanon_body_final(struct dkimcanon_body *b)
{
	if (b->cr) {
		b->cr = 0;
		line_byte(b, '\r');
	}
	if (b->content)
		out_crlf(b);
	b->content = 0;
	/* RFC 6376 3.4.3: an empty body is one CRLF in simple (and nothing in
	 * relaxed, 3.4.4 as corrected by erratum 3133) */
	if (b->canon == DKIMCANON_SIMPLE && !b->emitted)
		out_crlf(b);
	flush(b);
}
