/* DKIM canonicalization (RFC 6376 3.4): header fields both ways, and the
 * body canonicalizers fed whole and byte by byte, which must agree. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "mailsift/dkimcanon.h"
#include "test_support.h"

static void collect(void *ctx, const unsigned char *data, size_t len)
{
	sb_append(ctx, (const char *)data, len);
}

/* The canonical body, fed in chunks of chunk bytes (0: whole). */
static const char *body(enum dkimcanon c, const char *in, size_t chunk)
{
	static char out[2][256];
	static int which;
	struct dkimcanon_body b;
	struct strbuf sb;
	size_t len = strlen(in);

	sb_init(&sb, 4096);
	dkimcanon_body_init(&b, c, collect, &sb);
	for (size_t off = 0; off < len;) {
		size_t n = chunk == 0 || chunk > len - off ? len - off : chunk;
		dkimcanon_body_update(&b, (const unsigned char *)in + off, n);
		off += n;
	}
	dkimcanon_body_final(&b);
	which = !which;
	snprintf(out[which], sizeof(out[which]), "%s", sb_str(&sb));
	sb_free(&sb);
	return out[which];
}

static void check_body(enum dkimcanon c, const char *in, const char *want)
{
	ck_assert_str_eq(body(c, in, 0), want);
	ck_assert_str_eq(body(c, in, 1), want);
	ck_assert_str_eq(body(c, in, 2), want);
}

START_TEST(simple_body)
{
	check_body(DKIMCANON_SIMPLE, "", "\r\n");
	check_body(DKIMCANON_SIMPLE, "\n\n\r\n", "\r\n");
	check_body(DKIMCANON_SIMPLE, "a  b \r\n\r\n\n", "a  b \r\n");
	check_body(DKIMCANON_SIMPLE, "a\n\nb", "a\r\n\r\nb\r\n");
	check_body(DKIMCANON_SIMPLE, " \n", " \r\n");
	/* a CR alone is text, not a line end */
	check_body(DKIMCANON_SIMPLE, "a\rb\r", "a\rb\r\r\n");
}
END_TEST

START_TEST(relaxed_body)
{
	check_body(DKIMCANON_RELAXED, "", "");
	check_body(DKIMCANON_RELAXED, "\r\n \t\r\n", "");
	check_body(DKIMCANON_RELAXED, " a \t b  \r\n\t\r\nc\t\n\n", " a b\r\n\r\nc\r\n");
	check_body(DKIMCANON_RELAXED, "x", "x\r\n");
}
END_TEST

static const char *header(enum dkimcanon c, const char *name, const char *value, int crlf)
{
	static char out[256];
	struct strbuf sb;

	sb_init(&sb, 4096);
	ck_assert_int_eq(dkimcanon_header(&sb, c, name, value, crlf), 0);
	snprintf(out, sizeof(out), "%s", sb_str(&sb));
	sb_free(&sb);
	return out;
}

START_TEST(headers)
{
	ck_assert_str_eq(header(DKIMCANON_RELAXED, "SubJect", " \tA  b\r\n\t c \t", 1),
			 "subject:A b c\r\n");
	ck_assert_str_eq(header(DKIMCANON_RELAXED, "X", "", 0), "x:");
	ck_assert_str_eq(header(DKIMCANON_SIMPLE, "SubJect", " A  b\n\t c ", 1),
			 "SubJect: A  b\r\n\t c \r\n");
	ck_assert_str_eq(header(DKIMCANON_SIMPLE, "S", " a\r\n b", 0), "S: a\r\n b");
}
END_TEST

START_TEST(canon_names)
{
	enum dkimcanon h, b;

	ck_assert_int_eq(dkimcanon_parse("relaxed", &h, &b), 0);
	ck_assert(h == DKIMCANON_RELAXED && b == DKIMCANON_SIMPLE);
	ck_assert_int_eq(dkimcanon_parse("simple/relaxed", &h, &b), 0);
	ck_assert(h == DKIMCANON_SIMPLE && b == DKIMCANON_RELAXED);
	ck_assert_int_eq(dkimcanon_parse("Relaxed", &h, &b), -1);
	ck_assert_int_eq(dkimcanon_parse("relaxed/", &h, &b), -1);
	ck_assert_int_eq(dkimcanon_parse("", &h, &b), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dkimcanon");
	TCase *tc = tcase_create("dkimcanon");

	tcase_add_test(tc, simple_body);
	tcase_add_test(tc, relaxed_body);
	tcase_add_test(tc, headers);
	tcase_add_test(tc, canon_names);
	suite_add_tcase(s, tc);
	return run_suite(s, "dkimcanon");
}
