/* mime: the streaming MIME parser, transfer and charset decoding, RFC 2047
 * and RFC 2231. Every message is parsed whole, in 1-byte and in 7-byte
 * chunks, and the three results must be identical. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailsift/mime.h"
#include "test_support.h"

static struct mime_parser *parser;
static const struct mime_message *msg;

/* Everything the parser returned, as text, to compare chunkings. */
static char *dump(const struct mime_message *m)
{
	struct strbuf o;

	sb_init(&o, 64u << 20);
	sb_printf(&o, "flags=%#x n=%zu uris=%zu body=%zu text=%zu\n", m->flags, m->nparts, m->nuris,
		  m->body_bytes, m->text_bytes);
	for (size_t i = 0; i < m->nparts; i++) {
		const struct mime_part *p = &m->parts[i];
		sb_printf(&o, "%u|%s|%s|%s|%s|%d|%d|%d|%#x\n", p->depth, p->ctype, p->charset,
			  p->encoding, p->filename, p->attachment, p->is_text, p->is_html,
			  p->flags);
		sb_append(&o, p->headers.s != NULL ? p->headers.s : "", p->headers.len);
		sb_append(&o, p->raw.s != NULL ? p->raw.s : "", p->raw.len);
		sb_puts(&o, "\n--\n");
		sb_append(&o, p->text.s != NULL ? p->text.s : "", p->text.len);
		sb_puts(&o, "\n--\n");
	}
	for (size_t i = 0; i < m->nuris; i++)
		sb_printf(&o, "uri %s\n", m->uris[i]);
	ck_assert(!o.failed);
	return sb_take(&o);
}

/* The header block of data (up to its blank line) goes to the parser
 * field by field, folded lines unfolded with "\n"; the body in chunks. */
static struct mime_parser *parse_chunked(const char *data, size_t len, size_t chunk,
					 const struct mime_limits *lim)
{
	struct mime_parser *p = mime_parser_new(lim);
	struct strbuf name, value;
	size_t i = 0;

	ck_assert_ptr_nonnull(p);
	sb_init(&name, 1 << 20);
	sb_init(&value, 1 << 20);
	while (i < len) {
		const char *nl = memchr(data + i, '\n', len - i);
		size_t end = nl != NULL ? (size_t)(nl - data) : len, n = end - i;
		if (n > 0 && data[end - 1] == '\r')
			n--;
		if (n > 0 && (data[i] == ' ' || data[i] == '\t') && name.len > 0) {
			sb_putc(&value, '\n');
			sb_append(&value, data + i, n);
		} else {
			if (name.len > 0)
				mime_parser_header(p, sb_str(&name), sb_str(&value));
			sb_reset(&name);
			sb_reset(&value);
			const char *colon = memchr(data + i, ':', n);
			if (n == 0 || colon == NULL) {
				i = end + 1;
				break;
			}
			sb_append(&name, data + i, (size_t)(colon - data - i));
			sb_append(&value, colon + 1, n - (size_t)(colon + 1 - data - i));
		}
		i = end + 1;
	}
	sb_free(&name);
	sb_free(&value);
	mime_parser_eoh(p);
	while (i < len) {
		size_t n = chunk == 0 || chunk > len - i ? len - i : chunk;
		mime_parser_body(p, (const unsigned char *)data + i, n);
		i += n;
	}
	return p;
}

/* Parses data whole, in 1-byte and 7-byte chunks; checks the results are
 * the same and keeps the whole one in parser/msg. */
static void parse_lim(const char *data, size_t len, const struct mime_limits *lim)
{
	static const size_t chunks[] = {1, 7};
	char *whole;

	if (len == SIZE_MAX)
		len = strlen(data);
	if (parser != NULL)
		mime_parser_free(&parser);
	parser = parse_chunked(data, len, 0, lim);
	msg = mime_parser_end(parser);
	whole = dump(msg);
	for (size_t c = 0; c < 2; c++) {
		struct mime_parser *p = parse_chunked(data, len, chunks[c], lim);
		char *d = dump(mime_parser_end(p));
		ck_assert_msg(strcmp(whole, d) == 0, "chunks of %zu differ:\n%s\n---\n%s",
			      chunks[c], whole, d);
		free(d);
		mime_parser_free(&p);
	}
	free(whole);
}

static void parse(const char *data)
{
	parse_lim(data, strlen(data), NULL);
}

static char *read_data(const char *name, size_t *len)
{
	const char *top = getenv("top_srcdir");
	char path[4096];
	FILE *fp;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/tests/data/mime/%s", top != NULL ? top : ".", name);
	fp = fopen(path, "rb");
	ck_assert_msg(fp != NULL, "cannot open %s", path);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

static void parse_file(const char *name)
{
	size_t len;
	char *data = read_data(name, &len);

	parse_lim(data, len, NULL);
	free(data);
}

static void teardown(void)
{
	mime_parser_free(&parser);
	msg = NULL;
}

static const struct mime_part *part(size_t i)
{
	ck_assert_uint_gt(msg->nparts, i);
	return &msg->parts[i];
}

static void text_is(size_t i, const char *want)
{
	const struct mime_part *p = part(i);

	ck_assert_msg(p->text.len == strlen(want) && memcmp(p->text.s, want, p->text.len) == 0,
		      "part %zu text [%.*s], want [%s]", i, (int)p->text.len,
		      p->text.s != NULL ? p->text.s : "", want);
}

static void raw_is(size_t i, const char *want)
{
	const struct mime_part *p = part(i);

	ck_assert_msg(p->raw.len == strlen(want) && memcmp(p->raw.s, want, p->raw.len) == 0,
		      "part %zu raw [%.*s], want [%s]", i, (int)p->raw.len,
		      p->raw.s != NULL ? p->raw.s : "", want);
}

static void words_are(const char *in, const char *want)
{
	struct strbuf out;

	sb_init(&out, 4096);
	ck_assert_int_eq(mime_decode_words(in, strlen(in), &out), 0);
	ck_assert_str_eq(sb_str(&out), want);
	sb_free(&out);
}

static void utf8_is(const char *charset, const char *in, int rc, const char *want)
{
	struct strbuf out;

	sb_init(&out, 4096);
	ck_assert_int_eq(mime_to_utf8(charset, in, strlen(in), &out), rc);
	ck_assert_str_eq(sb_str(&out), want);
	sb_free(&out);
}

START_TEST(plain_single_part)
{
	parse("From: a@example.org\nSubject: hi\n\nline one\r\nline two\r\n");
	ck_assert_uint_eq(msg->nparts, 1);
	ck_assert_uint_eq(msg->flags, 0);
	ck_assert_uint_eq(part(0)->depth, 0);
	ck_assert_str_eq(part(0)->ctype, "text/plain");
	ck_assert_str_eq(part(0)->charset, "");
	ck_assert_int_eq(part(0)->is_text, 1);
	ck_assert_str_eq(sb_str(&part(0)->headers), "From: a@example.org\nSubject: hi\n");
	raw_is(0, "line one\nline two\n");
	text_is(0, "line one\nline two\n");
	ck_assert_uint_eq(msg->body_bytes, 20);
	ck_assert_uint_eq(msg->text_bytes, 18);
}
END_TEST

START_TEST(base64_and_qp)
{
	parse("Content-Type: multipart/mixed; boundary=\"b1\"\n\n"
	      "preamble\n"
	      "--b1\n"
	      "Content-Type: text/plain; charset=utf-8\n"
	      "Content-Transfer-Encoding: base64\n\n"
	      "SGVsbG8s\n IHdvcmxk\nIQ==\n"
	      "--b1 \t\n"
	      "Content-Type: text/plain; charset=iso-8859-1\n"
	      "Content-Transfer-Encoding: Quoted-Printable\n\n"
	      "caf=E9 soft=\nbreak  \ntrailing=20\n=3D=3d\n"
	      "--b1--\n"
	      "epilogue\n");
	ck_assert_uint_eq(msg->nparts, 2);
	ck_assert_uint_eq(msg->flags, 0);
	ck_assert_str_eq(part(0)->encoding, "base64");
	ck_assert_uint_eq(part(0)->depth, 1);
	raw_is(0, "Hello, world!");
	ck_assert_str_eq(part(1)->encoding, "quoted-printable");
	raw_is(1, "caf\xc3\xa9 softbreak\ntrailing \n==");
}
END_TEST

START_TEST(bad_base64)
{
	parse("Content-Transfer-Encoding: base64\n\nSGVs*bG8h\n");
	ck_assert_uint_eq(msg->nparts, 1);
	ck_assert_uint_eq(part(0)->flags, MIME_F_BAD_BASE64);
	ck_assert_uint_eq(msg->flags, MIME_F_BAD_BASE64);
	raw_is(0, "Hello!");
	parse("Content-Transfer-Encoding: base64\n\nSGVsbG8=\n");
	ck_assert_uint_eq(msg->flags, 0);
	raw_is(0, "Hello");
}
END_TEST

START_TEST(bad_qp)
{
	parse("Content-Transfer-Encoding: quoted-printable\n\na=ZZb =4 c=4\nd=\n");
	ck_assert_uint_eq(msg->flags, MIME_F_BAD_QP);
	raw_is(0, "a=ZZb =4 c=4\nd");
}
END_TEST

START_TEST(nested_multipart)
{
	parse("Content-Type: multipart/mixed; boundary=outer\n\n"
	      "--outer\n"
	      "Content-Type: multipart/alternative; boundary=\"inner\"\n\n"
	      "--inner\n\nplain\n"
	      "--inner\nContent-Type: text/html\n\n<p>html &amp; <a "
	      "href=\"http://x.example/\">link</a>\n"
	      "--inner--\n"
	      "--outer\n"
	      "Content-Type: application/pdf; name=\"doc.pdf\"\n"
	      "Content-Disposition: attachment\n"
	      "Content-Transfer-Encoding: base64\n\nJVBERi0=\n"
	      "--outer--\n");
	ck_assert_uint_eq(msg->nparts, 3);
	ck_assert_uint_eq(msg->flags, 0);
	ck_assert_uint_eq(part(0)->depth, 2);
	text_is(0, "plain");
	ck_assert_int_eq(part(1)->is_html, 1);
	raw_is(1, "<p>html &amp; <a href=\"http://x.example/\">link</a>");
	text_is(1, "html & link");
	ck_assert_uint_eq(part(2)->depth, 1);
	ck_assert_str_eq(part(2)->ctype, "application/pdf");
	ck_assert_str_eq(part(2)->filename, "doc.pdf");
	ck_assert_int_eq(part(2)->attachment, 1);
	ck_assert_int_eq(part(2)->is_text, 0);
	ck_assert_uint_eq(part(2)->raw.len, 0);
	ck_assert_str_eq(sb_str(&part(2)->headers),
			 "Content-Type: application/pdf; name=\"doc.pdf\"\n"
			 "Content-Disposition: attachment\n"
			 "Content-Transfer-Encoding: base64\n");
	ck_assert_uint_eq(msg->nuris, 1);
	ck_assert_str_eq(msg->uris[0], "http://x.example/");
	/* the multipart entities' own header blocks, for mimeheader rules */
	ck_assert_uint_eq(msg->ncontainers, 2);
	ck_assert_str_eq(sb_str(&msg->containers[0]),
			 "Content-Type: multipart/mixed; boundary=outer\n");
	ck_assert_str_eq(sb_str(&msg->containers[1]),
			 "Content-Type: multipart/alternative; boundary=\"inner\"\n");
}
END_TEST

START_TEST(message_rfc822)
{
	parse("Content-Type: multipart/mixed; boundary=b\n\n"
	      "--b\n\nouter text\n"
	      "--b\nContent-Type: message/rfc822\n\n"
	      "From: inner@example.org\nSubject: =?utf-8?q?inner?=\n"
	      "Content-Type: text/plain; charset=koi8-r\n\n"
	      "\xf0\xd2\xc9\xd7\xc5\xd4\n"
	      "--b--\n");
	ck_assert_uint_eq(msg->nparts, 2);
	text_is(0, "outer text");
	ck_assert_uint_eq(part(1)->depth, 2);
	ck_assert_str_eq(part(1)->charset, "koi8-r");
	ck_assert_str_eq(sb_str(&part(1)->headers),
			 "From: inner@example.org\nSubject: =?utf-8?q?inner?=\n"
			 "Content-Type: text/plain; charset=koi8-r\n");
	raw_is(1, "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82");
	ck_assert_uint_eq(msg->ncontainers, 2);
	ck_assert_str_eq(sb_str(&msg->containers[1]), "Content-Type: message/rfc822\n");
}
END_TEST

START_TEST(digest_defaults)
{
	parse("Content-Type: multipart/digest; boundary=d\n\n"
	      "--d\n\nFrom: a@example.org\n\none\n"
	      "--d\nContent-Type: text/plain\n\ntwo\n"
	      "--d--\n");
	ck_assert_uint_eq(msg->nparts, 2);
	ck_assert_uint_eq(part(0)->depth, 2);
	ck_assert_str_eq(sb_str(&part(0)->headers), "From: a@example.org\n");
	text_is(0, "one");
	ck_assert_uint_eq(part(1)->depth, 1);
	text_is(1, "two");
}
END_TEST

START_TEST(rfc2231_params)
{
	parse("Content-Type: multipart/mixed; boundary*0=\"ab\"; boundary*1=cd\n\n"
	      "--abcd\n"
	      "Content-Type: text/plain; charset*=us-ascii'en'UTF-8\n"
	      "Content-Disposition: attachment;\n"
	      " filename*0*=iso-8859-1'fr'caf%E9%20;\n"
	      " filename*1=\"menu (1).txt\"\n\n"
	      "x\n"
	      "--abcd\n"
	      "Content-Type: application/octet-stream;\n"
	      " name=\"=?utf-8?B?w6lsw6h2ZQ==?=.bin\"\n\n"
	      "--abcd--\n");
	ck_assert_uint_eq(msg->nparts, 2);
	ck_assert_uint_eq(msg->flags, 0);
	ck_assert_str_eq(part(0)->charset, "utf-8");
	ck_assert_str_eq(part(0)->filename, "caf\xc3\xa9 menu (1).txt");
	ck_assert_int_eq(part(0)->attachment, 1);
	ck_assert_str_eq(part(1)->filename, "\xc3\xa9l\xc3\xa8ve.bin");
}
END_TEST

START_TEST(rfc2047_words)
{
	words_are("=?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>",
		  "Andr\xc3\xa9 Pirard <PIRARD@vm1.ulg.ac.be>");
	words_are("=?utf-8?b?SGVsbG8=?= =?utf-8?b?IHdvcmxk?=", "Hello world");
	words_are("(=?ISO-8859-1?Q?a?=  \n =?ISO-8859-2?Q?_b?=)", "(a b)");
	words_are("=?utf-8?q?caf=C3?= =?utf-8?q?=A9?=", "caf\xc3\xa9");
	words_are("=?koi8-r?B?8NLJ18XU?=", "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82");
	words_are("=?iso-2022-jp?B?GyRCJEYkOSRIGyhC?=", "\xe3\x81\xa6\xe3\x81\x99\xe3\x81\xa8");
	words_are("a =?utf-8?x?bad?= b =?utf-8?q?open", "a =?utf-8?x?bad?= b =?utf-8?q?open");
	words_are("=?utf-8*en?q?hi_there?=", "hi there");
	words_are("plain =?us-ascii?q?word?= text", "plain word text");
}
END_TEST

START_TEST(charsets)
{
	utf8_is("iso-8859-1", "caf\xe9 \x93q\x94", 0, "caf\xc3\xa9 \xe2\x80\x9cq\xe2\x80\x9d");
	utf8_is("windows-1252", "\x80", 0, "\xe2\x82\xac");
	utf8_is("LATIN1", "\xe9", 0, "\xc3\xa9");
	utf8_is("koi8-r", "\xf0\xd2\xc9\xd7\xc5\xd4", 0,
		"\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82");
	utf8_is("iso-2022-jp", "\x1b$B$3$s$K$A$O\x1b(B", 0,
		"\xe3\x81\x93\xe3\x82\x93\xe3\x81\xab\xe3\x81\xa1\xe3\x81\xaf");
	utf8_is("gb2312", "\xc4\xe3\xba\xc3", 0, "\xe4\xbd\xa0\xe5\xa5\xbd");
	utf8_is("big5", "\xa4\xa4\xa4\xe5", 0, "\xe4\xb8\xad\xe6\x96\x87");
	utf8_is("ks_c_5601-1987", "\xc7\xd1\xb1\xdb", 0, "\xed\x95\x9c\xea\xb8\x80");
	utf8_is("utf8", "\xe2\x82\xac", 0, "\xe2\x82\xac");
	utf8_is("utf-8", "a\xffz\xe2\x82", 1, "a\xef\xbf\xbdz\xef\xbf\xbd\xef\xbf\xbd");
	utf8_is(NULL, "caf\xc3\xa9", 0, "caf\xc3\xa9");
	utf8_is(NULL, "caf\xe9", 0, "caf\xc3\xa9");
	utf8_is("us-ascii", "caf\xe9", 1, "caf\xc3\xa9");
	utf8_is("x-no-such-charset", "abc\xe9", 1, "abc\xc3\xa9");
	utf8_is("utf-8//TRANSLIT", "abc", 1, "abc");
	utf8_is("gb2312", "\xc4\xe3\xff", 1, "\xe4\xbd\xa0\xef\xbf\xbd");
}
END_TEST

START_TEST(charset_parts)
{
	parse("Content-Type: text/plain; charset=unknown-thing\n\nabc\n");
	ck_assert_uint_eq(msg->flags, MIME_F_BAD_CHARSET);
	raw_is(0, "abc\n");
	parse("Content-Type: text/plain; charset=\"windows-1252\"\n"
	      "Content-Transfer-Encoding: quoted-printable\n\n=80=201\n");
	ck_assert_uint_eq(msg->flags, 0);
	raw_is(0, "\xe2\x82\xac 1\n");
}
END_TEST

START_TEST(no_boundary)
{
	parse("Content-Type: multipart/mixed\n\nsome text\n--x\nmore\n");
	ck_assert_uint_eq(msg->nparts, 1);
	ck_assert_uint_eq(msg->flags, MIME_F_NO_BOUNDARY);
	ck_assert_str_eq(part(0)->ctype, "multipart/mixed");
	ck_assert_int_eq(part(0)->is_text, 1);
	text_is(0, "some text\n--x\nmore\n");
}
END_TEST

START_TEST(boundary_never_comes)
{
	parse("Content-Type: multipart/mixed; boundary=zz\n\nhidden text\n--z\n");
	ck_assert_uint_eq(msg->nparts, 1);
	ck_assert_uint_eq(msg->flags, MIME_F_UNTERMINATED);
	ck_assert_int_eq(part(0)->is_text, 1);
	text_is(0, "hidden text\n--z\n");
}
END_TEST

START_TEST(unterminated)
{
	parse("Content-Type: multipart/mixed; boundary=o\n\n"
	      "--o\nContent-Type: multipart/alternative; boundary=i\n\n"
	      "--i\n\ninner one\n"
	      "--o\n\nouter two\n");
	ck_assert_uint_eq(msg->nparts, 2);
	ck_assert_uint_eq(msg->flags, MIME_F_UNTERMINATED);
	text_is(0, "inner one");
	text_is(1, "outer two\n");
	/* a boundary line as the very last bytes, no line end */
	parse("Content-Type: multipart/mixed; boundary=o\n\n--o\n\nx\n--o--");
	ck_assert_uint_eq(msg->flags, 0);
	text_is(0, "x");
}
END_TEST

START_TEST(bad_header_line)
{
	parse("Content-Type: multipart/mixed; boundary=b\n\n"
	      "--b\nthis is no header\nsecond\n--b--\n");
	ck_assert_uint_eq(msg->nparts, 1);
	ck_assert_uint_eq(msg->flags, MIME_F_BAD_HEADER);
	text_is(0, "this is no header\nsecond");
}
END_TEST

START_TEST(depth_bomb)
{
	struct strbuf m;

	sb_init(&m, 1 << 20);
	sb_puts(&m, "Content-Type: multipart/mixed; boundary=b0\n\n");
	for (int i = 1; i < 1000; i++)
		sb_printf(&m, "--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n", i - 1, i);
	sb_puts(&m, "--b999\n\ndeep\n");
	parse_lim(m.s, m.len, NULL);
	ck_assert_uint_eq(msg->nparts, 1);
	ck_assert_uint_eq(msg->flags, MIME_F_DEPTH | MIME_F_UNTERMINATED);
	ck_assert_uint_eq(part(0)->depth, MIME_DEFAULT_MAX_DEPTH);
	ck_assert_str_eq(part(0)->ctype, "multipart/mixed");
	ck_assert_int_eq(part(0)->is_text, 0);
	sb_free(&m);
}
END_TEST

START_TEST(many_parts)
{
	struct strbuf m;

	sb_init(&m, 1 << 20);
	sb_puts(&m, "Content-Type: multipart/mixed; boundary=b\n\n");
	for (int i = 0; i < 10000; i++)
		sb_printf(&m, "--b\n\np%d\n", i);
	sb_puts(&m, "--b--\n");
	parse_lim(m.s, m.len, NULL);
	ck_assert_uint_eq(msg->nparts, MIME_DEFAULT_MAX_PARTS);
	ck_assert_uint_eq(msg->flags, MIME_F_PARTS);
	text_is(999, "p999");
	sb_free(&m);
}
END_TEST

START_TEST(caps)
{
	struct mime_limits lim = {.max_part_text = 1000, .max_total_text = 2500};
	struct strbuf m;
	char line[101];

	memset(line, 'a', 99);
	line[99] = '\n';
	line[100] = '\0';
	sb_init(&m, 16u << 20);
	sb_puts(&m, "Content-Type: multipart/mixed; boundary=b\n\n");
	for (int p = 0; p < 4; p++) {
		sb_puts(&m, "--b\nContent-Transfer-Encoding: base64\n\n");
		for (int i = 0; i < 20; i++)
			sb_puts(&m, "YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYW"
				    "Fh\n");
	}
	sb_puts(&m, "--b--\n");
	parse_lim(m.s, m.len, &lim);
	ck_assert_uint_eq(msg->nparts, 4);
	ck_assert_uint_eq(msg->flags, MIME_F_TRUNCATED);
	ck_assert_uint_eq(part(0)->raw.len, 960);
	ck_assert_uint_eq(part(0)->flags, 0);
	ck_assert_uint_eq(part(2)->raw.len, 580);
	ck_assert_uint_eq(part(2)->flags, MIME_F_TRUNCATED);
	ck_assert_uint_eq(part(3)->raw.len, 0);
	ck_assert_uint_eq(msg->text_bytes, 2500);

	/* 5 MB in one part against the default caps */
	sb_reset(&m);
	sb_puts(&m, "Subject: big\n\n");
	for (int i = 0; i < 50000; i++)
		sb_puts(&m, line);
	parse_lim(m.s, m.len, NULL);
	ck_assert_uint_eq(msg->body_bytes, 5000000);
	ck_assert_uint_eq(part(0)->raw.len, MIME_DEFAULT_MAX_PART_TEXT);
	ck_assert_uint_eq(part(0)->text.len, MIME_DEFAULT_MAX_PART_TEXT);
	ck_assert_uint_eq(msg->flags, MIME_F_TRUNCATED);
	sb_free(&m);
}
END_TEST

START_TEST(header_cap)
{
	struct mime_limits lim = {.max_header_bytes = 64};

	parse_lim("Content-Type: multipart/mixed; boundary=b\n\n--b\nX-Long: "
		  "0123456789012345678901234567890123456789012345678901234567890123456789\n"
		  "Content-Type: text/html\n\n<b>x</b>\n--b--\n",
		  SIZE_MAX, &lim);
	ck_assert_uint_eq(msg->nparts, 1);
	ck_assert_uint_eq(msg->flags, MIME_F_HEADER_SIZE);
	ck_assert_str_eq(sb_str(&part(0)->headers), "Content-Type: text/html\n");
	text_is(0, "x");
}
END_TEST

START_TEST(nul_bytes)
{
	static const char m[] = "Content-Type: multipart/mixed; boundary=b\n\n"
				"--b\nContent-Type: text/plain; charset=utf-8\n\na\0b\n"
				"--b\nContent-Type: text/html\n\n<p>c\0d</p>\n--b--\n";

	parse_lim(m, sizeof(m) - 1, NULL);
	ck_assert_uint_eq(msg->nparts, 2);
	ck_assert_uint_eq(msg->flags, MIME_F_NUL);
	ck_assert_uint_eq(part(0)->raw.len, 3);
	ck_assert_mem_eq(part(0)->raw.s, "a\0b", 3);
	ck_assert_uint_eq(part(1)->text.len, 3);
	ck_assert_mem_eq(part(1)->text.s, "c\0d", 3);
}
END_TEST

START_TEST(long_lines)
{
	struct strbuf m;

	sb_init(&m, 1 << 20);
	sb_puts(&m, "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
		    "Content-Transfer-Encoding: quoted-printable\n\n");
	for (int i = 0; i < 1500; i++)
		sb_puts(&m, i % 500 == 499 ? "=41\r" : "x");
	sb_puts(&m, "\r\n--b--\n");
	parse_lim(m.s, m.len, NULL);
	ck_assert_uint_eq(msg->flags, 0);
	ck_assert_uint_eq(part(0)->raw.len, 1503);
	ck_assert_int_eq(part(0)->raw.s[499], 'A');
	ck_assert_int_eq(part(0)->raw.s[500], '\r');
	sb_free(&m);
}
END_TEST

START_TEST(corpus_cjk)
{
	parse_file("sa-iso-2022-jp.1");
	ck_assert_uint_eq(msg->nparts, 5);
	ck_assert_uint_eq(msg->flags, 0);
	ck_assert_str_eq(part(1)->charset, "shift_jis");
	ck_assert_str_eq(part(1)->filename, "test-sjis.txt");
	ck_assert_int_eq(part(1)->attachment, 1);
	ck_assert_uint_eq(part(1)->raw.len, 123);
	ck_assert_ptr_null(memchr(part(1)->raw.s, '\r', part(1)->raw.len));
	ck_assert(strncmp(part(1)->raw.s, "\xe3\x81\x93\xe3\x81\xae\xe3\x83\x95", 9) == 0);

	parse_file("sa-gb2312.1");
	ck_assert_uint_eq(msg->flags, 0);
	ck_assert_str_eq(part(0)->encoding, "quoted-printable");
	ck_assert(strstr(part(0)->raw.s, "\xe6\x9c\xac\xe5\x85\xac\xe5\x8f\xb8") != NULL);

	/* base64 HTML followed by a plain-text list footer */
	parse_file("sa-big5-base64.1");
	ck_assert_uint_eq(msg->flags, MIME_F_BAD_BASE64 | MIME_F_BAD_CHARSET);
	ck_assert_uint_eq(msg->nuris, 4);
	ck_assert_str_eq(msg->uris[1], "http://www.geocities.com/Nashville/Rodeo/9073/main.jpg");
	ck_assert(strncmp(part(0)->text.s, "\xe6\xb0\xb8\xe4\xb9\x85\xe7\xb6\xb2\xe5\x9d\x80",
			  12) == 0);

	parse_file("ks_c_5601-1987.eml");
	raw_is(0, "\xec\x8a\xa4\xed\x8b\xb0\xed\x95\xb4\n");
}
END_TEST

START_TEST(corpus_structure)
{
	parse_file("alternative-nested-rfc822.eml");
	ck_assert_uint_eq(msg->nparts, 4);
	ck_assert_uint_eq(msg->flags, 0);
	text_is(0, "HTML only content - the sibling related has no text alternative");
	ck_assert_str_eq(part(1)->filename, "spacer.png");
	ck_assert_uint_eq(part(2)->depth, 3);
	text_is(2, "This is the plain text version of the inner message.\n");
	text_is(3, "This is the HTML version of the inner message.");

	parse_file("raw_email_with_nested_attachment.eml");
	ck_assert_uint_eq(msg->nparts, 3);
	ck_assert_str_eq(part(1)->filename, "truncated.png");
	ck_assert_str_eq(part(2)->ctype, "application/pkcs7-signature");

	parse_file("attachment_nonascii_filename.eml");
	ck_assert_str_eq(part(1)->filename, "ci\xc3\xab"
					    "le.txt");

	parse_file("japanese_attachment_long_name.eml");
	ck_assert_uint_eq(strlen(part(0)->filename), 79);

	/* the last line is a boundary without a line end: a new, empty part */
	parse_file("badboundary.eml");
	ck_assert_uint_eq(msg->nparts, 1);
	ck_assert_uint_eq(msg->flags, MIME_F_UNTERMINATED);
	ck_assert_str_eq(part(0)->ctype, "image/gif");
}
END_TEST

/* Every message of the shared corpus once, when it is there: no crash
 * (run under ASan), and chunking never changes the result. */
START_TEST(shared_corpus)
{
	const char *top = getenv("top_srcdir");
	char cmd[4096], path[4096];
	size_t n = 0;
	FILE *list;

	snprintf(cmd, sizeof(cmd),
		 "find '%s/../shared/corpus/messages' -type f -size -2000k "
		 "! -name '*.md' ! -name '*LICENSE*' ! -name NOTICE ! -name '*.json' 2>/dev/null",
		 top != NULL ? top : ".");
	list = popen(cmd, "r");
	ck_assert_ptr_nonnull(list);
	while (fgets(path, sizeof(path), list) != NULL) {
		FILE *fp;
		char *buf = malloc(2u << 20);
		size_t len;

		path[strcspn(path, "\n")] = '\0';
		fp = fopen(path, "rb");
		ck_assert_ptr_nonnull(fp);
		len = fread(buf, 1, 2u << 20, fp);
		fclose(fp);
		parse_lim(buf, len, NULL);
		free(buf);
		n++;
	}
	pclose(list);
	if (n > 0)
		printf("shared corpus: %zu messages parsed\n", n);
}
END_TEST

static Suite *mime_suite(void)
{
	Suite *s = suite_create("mime");
	TCase *tc = tcase_create("mime");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, plain_single_part);
	tcase_add_test(tc, base64_and_qp);
	tcase_add_test(tc, bad_base64);
	tcase_add_test(tc, bad_qp);
	tcase_add_test(tc, nested_multipart);
	tcase_add_test(tc, message_rfc822);
	tcase_add_test(tc, digest_defaults);
	tcase_add_test(tc, rfc2231_params);
	tcase_add_test(tc, rfc2047_words);
	tcase_add_test(tc, charsets);
	tcase_add_test(tc, charset_parts);
	tcase_add_test(tc, no_boundary);
	tcase_add_test(tc, boundary_never_comes);
	tcase_add_test(tc, unterminated);
	tcase_add_test(tc, bad_header_line);
	tcase_add_test(tc, depth_bomb);
	tcase_add_test(tc, many_parts);
	tcase_add_test(tc, caps);
	tcase_add_test(tc, header_cap);
	tcase_add_test(tc, nul_bytes);
	tcase_add_test(tc, long_lines);
	tcase_add_test(tc, corpus_cjk);
	tcase_add_test(tc, corpus_structure);
	tcase_add_test(tc, shared_corpus);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(mime_suite(), "mime");
}
