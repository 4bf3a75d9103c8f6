/* DKIM tag lists (RFC 6376 3.2) and the value syntaxes beside them. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailsift/dkimtags.h"
#include "test_support.h"

/* "name=value|..." for a list that parses, "error: why" for one that does not. */
static const char *parse(const char *text)
{
	static char out[512];
	struct dkimtags t;
	const char *err = NULL;
	size_t o = 0;

	if (dkimtags_parse(text, &t, &err) < 0) {
		snprintf(out, sizeof(out), "error: %s", err);
		return out;
	}
	out[0] = '\0';
	for (size_t i = 0; i < t.n; i++)
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s=%s", i ? "|" : "",
				      t.tags[i].name, t.tags[i].value);
	dkimtags_free(&t);
	return out;
}

START_TEST(tag_lists)
{
	ck_assert_str_eq(parse("a=1; b = x y ;\r\n\tc=;"), "a=1|b=x y|c=");
	ck_assert_str_eq(parse(" v=DKIM1 "), "v=DKIM1");
	ck_assert_str_eq(parse(""), "error: empty tag");
	ck_assert_str_eq(parse("a=1;;b=2"), "error: empty tag");
	ck_assert_str_eq(parse("a=1; ;"), "error: empty tag");
	ck_assert_str_eq(parse("a=1; a=2"), "error: duplicate tag");
	ck_assert_str_eq(parse("_a=1"), "error: bad tag name");
	ck_assert_str_eq(parse("a=1; omg"), "error: tag without '='");
	ck_assert_str_eq(parse("a=\x80"), "error: bad character in a tag value");
	ck_assert_str_eq(parse("A=1; a=2"), "A=1|a=2");
}
END_TEST

START_TEST(base64)
{
	unsigned char out[16];
	size_t len;

	ck_assert_int_eq(dkimtags_base64("aGVs bG8=", out, sizeof(out), &len), 0);
	ck_assert_uint_eq(len, 5);
	ck_assert(memcmp(out, "hello", 5) == 0);
	ck_assert_int_eq(dkimtags_base64("", out, sizeof(out), &len), 0);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(dkimtags_base64("aGVsbG8", out, sizeof(out), &len), -1);
	ck_assert_int_eq(dkimtags_base64("aG=Vz", out, sizeof(out), &len), -1);
	ck_assert_int_eq(dkimtags_base64("a*==", out, sizeof(out), &len), -1);
	ck_assert_int_eq(dkimtags_base64("aGVsbG8=", out, 4, &len), -1);
}
END_TEST

START_TEST(values)
{
	unsigned long long n;
	char *s;

	ck_assert(dkimtags_domain_valid("mail.example-1.org"));
	ck_assert(dkimtags_domain_valid("_x.example"));
	ck_assert(!dkimtags_domain_valid("example..."));
	ck_assert(!dkimtags_domain_valid(""));
	ck_assert(!dkimtags_domain_valid("***"));
	ck_assert(!dkimtags_domain_valid("a b"));
	ck_assert_int_eq(dkimtags_number("12345", 20, &n), 0);
	ck_assert_uint_eq(n, 12345);
	ck_assert_int_eq(dkimtags_number("1 2", 20, &n), -1);
	ck_assert_int_eq(dkimtags_number("", 20, &n), -1);
	ck_assert_int_eq(dkimtags_number("1234", 3, &n), -1);
	s = dkimtags_without_b(" a=1; b=abc\r\n def; bh=xyz; b =q");
	ck_assert_str_eq(s, " a=1; b=; bh=xyz; b =");
	free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dkimtags");
	TCase *tc = tcase_create("dkimtags");

	tcase_add_test(tc, tag_lists);
	tcase_add_test(tc, base64);
	tcase_add_test(tc, values);
	suite_add_tcase(s, tc);
	return run_suite(s, "dkimtags");
}
