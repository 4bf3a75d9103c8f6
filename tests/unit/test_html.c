/* html: HTML rendered to the text a reader sees, and its links. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mailsift/html.h"
#include "test_support.h"

struct links {
	struct strbuf all; /* "url|url|..." */
};

static void on_link(void *ctx, const char *url, size_t len)
{
	struct links *l = ctx;

	sb_append(&l->all, url, len);
	sb_putc(&l->all, '|');
}

/* Renders html; checks the text and the links ("a|b|"). */
static void html_is(const char *html, const char *text, const char *links)
{
	struct strbuf out;
	struct links l;

	sb_init(&out, 1 << 20);
	sb_init(&l.all, 1 << 20);
	ck_assert_int_eq(html_to_text(html, strlen(html), &out, on_link, &l), 0);
	ck_assert_msg(out.len == strlen(text) && memcmp(sb_str(&out), text, out.len) == 0,
		      "text [%s], want [%s]", sb_str(&out), text);
	ck_assert_str_eq(sb_str(&l.all), links);
	sb_free(&out);
	sb_free(&l.all);
}

START_TEST(tags_and_blocks)
{
	html_is("<html><head><title>T</title><style>p{color:red}</style></head>"
		"<body><h1>Title</h1><p>one\n  two</p><div>three<br>four<br><br><br>five</div>"
		"<ul><li>a</li><li>b</li></ul><table><tr><td>c1</td><td>c2</td></tr></table>"
		"<script>var x = '<p>no</p>';</script>end</body></html>",
		"Title\n\none two\n\nthree\nfour\n\nfive\na b c1 c2 end", "");
}
END_TEST

START_TEST(entities)
{
	html_is("a &amp; b &lt;c&gt; &quot;d&quot; &#65;&#x42;&#X43; &eacute;&nbsp;x &euro;&copy "
		"&#150; &#0; &#xD800; &#1114112; &bogus; &amp",
		"a & b <c> \"d\" ABC \xc3\xa9 x \xe2\x82\xac\xc2\xa9 \xe2\x80\x93 \xef\xbf\xbd "
		"\xef\xbf\xbd \xef\xbf\xbd &bogus; &",
		"");
	html_is("un&shy;seen", "unseen", "");
}
END_TEST

START_TEST(links)
{
	html_is("<a href=\"http://a.example/?x=1&amp;y=2\">A</a> <A HREF='http://b.example/'>B</A>"
		"<img src=http://c.example/i.png alt=\"the alt\"><area href=\" http://d.example/ "
		"\">"
		"<form action=\"/post\"></form><body background=\"bg.gif\"><a name=x>n</a>"
		"<a href=\"http://e.example/?a=1&copy=2\">e</a>",
		"A B the alt ne",
		"http://a.example/?x=1&y=2|http://b.example/|http://c.example/i.png|"
		"http://d.example/|/post|bg.gif|http://e.example/?a=1&copy=2|");
	/* invisible in text, kept in a link, where a host may hide them */
	html_is("<a href=\"http://pay&shy;pal.example/&zwj;\">pay&shy;pal</a>", "paypal",
		"http://pay\xc2\xadpal.example/\xe2\x80\x8d|");
}
END_TEST

START_TEST(broken)
{
	html_is("1 < 2 and 3 <> 4 <3 x", "1 < 2 and 3 <> 4 <3 x", "");
	html_is("a <!-- hidden <p>comment --> b <!doctype html> c <?xml x?> d", "a b c d", "");
	html_is("text <!-- never closed <p>x</p>", "text", "");
	html_is("<p>unclosed <b>bold <i>italic", "unclosed bold italic", "");
	html_is("x <a href=\"http://open.example/ rest of it all", "x",
		"http://open.example/ rest of it all|");
	html_is("<script>never closed", "", "");
	html_is("<p", "", "");
	html_is("a</", "a</", "");
	html_is("<div\nclass=x\n>y</div >", "y", "");
}
END_TEST

START_TEST(huge_attribute)
{
	size_t n = 200000;
	char *h = malloc(n + 64);
	struct strbuf out;
	struct links l;

	memcpy(h, "<a href=\"", 9);
	memset(h + 9, 'u', n);
	memcpy(h + 9 + n, "\">x</a>", 8);
	sb_init(&out, 1 << 20);
	sb_init(&l.all, 1 << 20);
	ck_assert_int_eq(html_to_text(h, strlen(h), &out, on_link, &l), 0);
	ck_assert_str_eq(sb_str(&out), "x");
	ck_assert_uint_eq(l.all.len, HTML_URL_MAX + 1);
	sb_free(&out);
	sb_free(&l.all);
	free(h);
}
END_TEST

START_TEST(nul_and_cap)
{
	struct strbuf out;

	sb_init(&out, 100);
	ck_assert_int_eq(html_to_text("<p>a\0b</p>", 10, &out, NULL, NULL), 0);
	ck_assert_uint_eq(out.len, 3);
	ck_assert_mem_eq(out.s, "a\0b", 3);
	sb_free(&out);
	sb_init(&out, 5);
	ck_assert_int_eq(html_to_text("<p>hello world</p>", 18, &out, NULL, NULL), -1);
	ck_assert_str_eq(sb_str(&out), "hello");
	sb_free(&out);
}
END_TEST

static Suite *html_suite(void)
{
	Suite *s = suite_create("html");
	TCase *tc = tcase_create("html");

	tcase_add_test(tc, tags_and_blocks);
	tcase_add_test(tc, entities);
	tcase_add_test(tc, links);
	tcase_add_test(tc, broken);
	tcase_add_test(tc, huge_attribute);
	tcase_add_test(tc, nul_and_cap);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(html_suite(), "html");
}
