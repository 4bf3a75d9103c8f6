/* Transfer decoding: streaming base64 and quoted-printable for part
 * bodies, and RFC 2047 encoded-words in header values. Decoders are
 * tolerant (mail in the wild is broken) but say so in their flags. */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "mailsift/mime.h"
#include "mailsift/mime_decode.h"

#define SINK_BUF 1024
#define WORD_CHARSET_MAX 64

/* Output gathered in a small buffer, written to the capped strbuf. */
struct sink {
	struct mime_decoder *d;
	struct strbuf *out;
	size_t n;
	char buf[SINK_BUF];
};

static void sink_flush(struct sink *k)
{
	if (k->n > 0 && sb_append_max(k->out, k->buf, k->n) < 0)
		k->d->flags |= MIME_F_TRUNCATED;
	k->n = 0;
}

static void sink_put(struct sink *k, char c)
{
	if (k->n == sizeof(k->buf))
		sink_flush(k);
	k->buf[k->n++] = c;
}

static void sink_puts(struct sink *k, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sink_put(k, s[i]);
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

void mime_decode_begin(struct mime_decoder *d, const char *encoding)
{
	memset(d, 0, sizeof(*d));
	if (strcmp(encoding, "base64") == 0)
		d->enc = MIME_ENC_B64;
	else if (strcmp(encoding, "quoted-printable") == 0)
		d->enc = MIME_ENC_QP;
	else
		d->enc = MIME_ENC_IDENT;
}

/* "=" after a complete quantum's data: "xx==" or "xxx=" end it. */
static void b64_pad(struct mime_decoder *d, struct sink *k)
{
	if (d->b64_pad) {
		d->b64_pad = 0;
		return;
	}
	if (d->b64_n == 2) {
		sink_put(k, (char)(d->b64_bits >> 4));
		d->b64_pad = 1;
	} else if (d->b64_n == 3) {
		sink_put(k, (char)(d->b64_bits >> 10));
		sink_put(k, (char)(d->b64_bits >> 2));
	} else {
		d->flags |= MIME_F_BAD_BASE64;
	}
	d->b64_n = 0;
	d->b64_bits = 0;
}

static void b64_char(struct mime_decoder *d, struct sink *k, unsigned char c)
{
	int v;

	if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v')
		return;
	if (c == '=') {
		b64_pad(d, k);
		return;
	}
	v = b64val(c);
	if (v < 0 || d->b64_pad) {
		d->flags |= MIME_F_BAD_BASE64;
		d->b64_pad = 0;
		if (v < 0)
			return;
	}
	d->b64_bits = (d->b64_bits << 6) | (unsigned)v;
	if (++d->b64_n == 4) {
		sink_put(k, (char)(d->b64_bits >> 16));
		sink_put(k, (char)(d->b64_bits >> 8));
		sink_put(k, (char)d->b64_bits);
		d->b64_n = 0;
		d->b64_bits = 0;
	}
}

/* The held "=" (and hex digit, blanks) was not an escape: write it out. */
static void qp_bad_escape(struct mime_decoder *d, struct sink *k)
{
	d->flags |= MIME_F_BAD_QP;
	sink_puts(k, d->qp_esc, d->qp_nesc);
	d->qp_nesc = 0;
	if (d->qp_esc_ws) {
		sink_puts(k, d->qp_ws, d->qp_nws);
		d->qp_nws = 0;
		d->qp_esc_ws = 0;
	}
}

/* Blanks are held: at a line end they are transport padding (dropped). */
static void qp_blank(struct mime_decoder *d, struct sink *k, char c)
{
	if (d->qp_nws == sizeof(d->qp_ws)) {
		if (d->qp_esc_ws)
			qp_bad_escape(d, k);
		sink_puts(k, d->qp_ws, d->qp_nws);
		d->qp_nws = 0;
	}
	d->qp_ws[d->qp_nws++] = c;
}

static void qp_char(struct mime_decoder *d, struct sink *k, unsigned char c)
{
	int blank = c == ' ' || c == '\t';

	if (d->qp_nesc == 1 && !d->qp_esc_ws && hexval(c) >= 0) {
		d->qp_esc[d->qp_nesc++] = (char)c;
		return;
	}
	if (d->qp_nesc == 2 && hexval(c) >= 0) {
		sink_put(k, (char)(hexval((unsigned char)d->qp_esc[1]) * 16 + hexval(c)));
		d->qp_nesc = 0;
		return;
	}
	if (d->qp_nesc == 1 && blank) {
		d->qp_esc_ws = 1;
		qp_blank(d, k, (char)c);
		return;
	}
	if (d->qp_nesc > 0)
		qp_bad_escape(d, k);
	if (blank) {
		qp_blank(d, k, (char)c);
		return;
	}
	sink_puts(k, d->qp_ws, d->qp_nws);
	d->qp_nws = 0;
	if (c == '=')
		d->qp_esc[d->qp_nesc++] = '=';
	else
		sink_put(k, (char)c);
}

/* A hard line end unless the line ended with "=" (a soft break). */
static void qp_eol(struct mime_decoder *d, struct sink *k)
{
	int soft = d->qp_nesc == 1;

	if (d->qp_nesc == 2)
		qp_bad_escape(d, k);
	d->qp_nesc = 0;
	d->qp_esc_ws = 0;
	d->qp_nws = 0;
	d->pending_nl = !soft;
}

void mime_decode_line(struct mime_decoder *d, const char *s, size_t n, int start, int end,
		      struct strbuf *out)
{
	struct sink k = {.d = d, .out = out};

	if (d->flags & MIME_F_TRUNCATED)
		return;
	if (start && d->pending_nl && d->enc != MIME_ENC_B64)
		sink_put(&k, '\n');
	d->pending_nl = 0;
	if (d->enc == MIME_ENC_B64) {
		for (size_t i = 0; i < n; i++)
			b64_char(d, &k, (unsigned char)s[i]);
	} else if (d->enc == MIME_ENC_QP) {
		for (size_t i = 0; i < n; i++)
			qp_char(d, &k, (unsigned char)s[i]);
		if (end)
			qp_eol(d, &k);
	} else {
		sink_puts(&k, s, n);
		d->pending_nl = end;
	}
	sink_flush(&k);
}

void mime_decode_finish(struct mime_decoder *d, int by_boundary, struct strbuf *out)
{
	struct sink k = {.d = d, .out = out};

	if (d->flags & MIME_F_TRUNCATED)
		return;
	if (d->enc == MIME_ENC_B64 && (d->b64_n > 0 || d->b64_pad)) {
		d->flags |= MIME_F_BAD_BASE64;
		if (d->b64_n >= 2)
			sink_put(&k, (char)(d->b64_bits >> (d->b64_n == 2 ? 4 : 10)));
		if (d->b64_n == 3)
			sink_put(&k, (char)(d->b64_bits >> 2));
	}
	if (d->enc == MIME_ENC_QP && d->qp_nesc == 2)
		qp_bad_escape(d, &k);
	if (d->pending_nl && !by_boundary)
		sink_put(&k, '\n');
	d->pending_nl = 0;
	sink_flush(&k);
}

/* One RFC 2047 encoded-word: "=?charset?B|Q?text?=". */
struct eword {
	char charset[WORD_CHARSET_MAX];
	char enc;
	const char *text;
	size_t text_len;
	size_t len; /* of the whole word */
};

static int eword_parse(const char *s, size_t len, struct eword *w)
{
	size_t i = 2, cs;

	if (len < 8 || s[0] != '=' || s[1] != '?')
		return -1;
	while (i < len && s[i] != '?' && s[i] != ' ' && s[i] != '\t' && s[i] != '\n')
		i++;
	cs = i - 2;
	if (cs == 0 || cs >= sizeof(w->charset) || i + 2 >= len || s[i] != '?' || s[i + 2] != '?' ||
	    strchr("BbQq", s[i + 1]) == NULL || s[i + 1] == '\0')
		return -1;
	memcpy(w->charset, s + 2, cs);
	w->charset[cs] = '\0';
	w->enc = (char)(s[i + 1] | 0x20);
	w->text = s + i + 3;
	for (i += 3; i < len && s[i] != '?'; i++)
		;
	if (i + 1 >= len || s[i + 1] != '=')
		return -1;
	w->text_len = (size_t)(s + i - w->text);
	w->len = i + 2;
	return 0;
}

static void eword_decode(const struct eword *w, struct strbuf *bytes)
{
	struct mime_decoder d;
	const char *t = w->text;

	if (w->enc == 'b') {
		mime_decode_begin(&d, "base64");
		mime_decode_line(&d, t, w->text_len, 1, 1, bytes);
		mime_decode_finish(&d, 1, bytes);
		return;
	}
	for (size_t i = 0; i < w->text_len; i++) {
		int hi = i + 2 < w->text_len ? hexval((unsigned char)t[i + 1]) : -1;
		int lo = i + 2 < w->text_len ? hexval((unsigned char)t[i + 2]) : -1;
		if (t[i] == '=' && hi >= 0 && lo >= 0) {
			sb_putc(bytes, (char)(hi * 16 + lo));
			i += 2;
		} else {
			sb_putc(bytes, t[i] == '_' ? ' ' : t[i]);
		}
	}
}

static int is_lwsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Adjacent words' bytes are converted together: a character may be split
 * between two of them. */
static void flush_words(struct strbuf *bytes, const char *charset, struct strbuf *out)
{
	if (bytes->len > 0)
		mime_to_utf8(charset, bytes->s, bytes->len, out);
	sb_reset(bytes);
}

int mime_decode_words(const char *in, size_t len, struct strbuf *out)
{
	struct strbuf bytes;
	char charset[WORD_CHARSET_MAX] = "";
	struct eword w;
	size_t i = 0;
	int after_word = 0;

	sb_init(&bytes, len + 16);
	while (i < len) {
		if (in[i] == '=' && eword_parse(in + i, len - i, &w) == 0) {
			if (bytes.len > 0 && strcasecmp(charset, w.charset) != 0)
				flush_words(&bytes, charset, out);
			memcpy(charset, w.charset, sizeof(charset));
			eword_decode(&w, &bytes);
			i += w.len;
			after_word = 1;
			continue;
		}
		if (after_word && is_lwsp(in[i])) {
			size_t j = i;
			while (j < len && is_lwsp(in[j]))
				j++;
			if (j < len && eword_parse(in + j, len - j, &w) == 0) {
				i = j;
				continue;
			}
		}
		flush_words(&bytes, charset, out);
		after_word = 0;
		sb_putc(out, in[i++]);
	}
	flush_words(&bytes, charset, out);
	sb_free(&bytes);
	return out->failed ? -1 : 0;
}
