/* json: string literals for the offline tool's JSON output.
 * Cases named "regress_*" pin bugs found and fixed. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailsift/json.h"

/* json_string(s) as a C string, in buf. */
static const char *js(const char *s, char *buf, size_t len)
{
	struct strbuf sb;

	sb_init(&sb, 1 << 16);
	json_string(&sb, s);
	ck_assert_int_eq(sb.failed, 0);
	snprintf(buf, len, "%s", sb_str(&sb));
	sb_free(&sb);
	return buf;
}

#define JS(s) js((s), buf, sizeof(buf))

START_TEST(plain_ascii)
{
	char buf[256];

	ck_assert_str_eq(JS(""), "\"\"");
	ck_assert_str_eq(JS(NULL), "\"\"");
	ck_assert_str_eq(JS("hello"), "\"hello\"");
	ck_assert_str_eq(JS("550 5.1.1 <a@b>: x/y ~!"), "\"550 5.1.1 <a@b>: x/y ~!\"");
	ck_assert_str_eq(JS("'single' {} []"), "\"'single' {} []\"");
}
END_TEST

START_TEST(quotes_and_backslashes)
{
	char buf[256];

	ck_assert_str_eq(JS("\""), "\"\\\"\"");
	ck_assert_str_eq(JS("\\"), "\"\\\\\"");
	ck_assert_str_eq(JS("say \"hi\""), "\"say \\\"hi\\\"\"");
	ck_assert_str_eq(JS("C:\\dir\\"), "\"C:\\\\dir\\\\\"");
	ck_assert_str_eq(JS("\\\""), "\"\\\\\\\"\"");
}
END_TEST

START_TEST(control_characters)
{
	char buf[256], in[2] = {0, 0}, want[16];

	ck_assert_str_eq(JS("a\nb"), "\"a\\u000ab\"");
	ck_assert_str_eq(JS("\r\n"), "\"\\u000d\\u000a\"");
	ck_assert_str_eq(JS("\t"), "\"\\u0009\"");
	ck_assert_str_eq(JS("\x1b[0m"), "\"\\u001b[0m\"");
	ck_assert_str_eq(JS("\x7f"), "\"\\u007f\"");
	for (int c = 1; c < 0x20; c++) {
		in[0] = (char)c;
		snprintf(want, sizeof(want), "\"\\u%04x\"", c);
		ck_assert_str_eq(JS(in), want);
	}
	/* space is no control character */
	ck_assert_str_eq(JS(" "), "\" \"");
}
END_TEST

START_TEST(valid_utf8_is_kept)
{
	char buf[256];

	ck_assert_str_eq(JS("caf\xc3\xa9"), "\"caf\xc3\xa9\"");		  /* U+00E9 */
	ck_assert_str_eq(JS("\xc2\x80"), "\"\xc2\x80\"");		  /* U+0080 */
	ck_assert_str_eq(JS("\xdf\xbf"), "\"\xdf\xbf\"");		  /* U+07FF */
	ck_assert_str_eq(JS("\xe2\x82\xac"), "\"\xe2\x82\xac\"");	  /* U+20AC */
	ck_assert_str_eq(JS("\xe0\xa0\x80"), "\"\xe0\xa0\x80\"");	  /* U+0800 */
	ck_assert_str_eq(JS("\xef\xbf\xbd"), "\"\xef\xbf\xbd\"");	  /* U+FFFD */
	ck_assert_str_eq(JS("\xf0\x9f\x98\x80"), "\"\xf0\x9f\x98\x80\""); /* U+1F600 */
	ck_assert_str_eq(JS("\xf4\x8f\xbf\xbf"), "\"\xf4\x8f\xbf\xbf\""); /* U+10FFFF */
	ck_assert_str_eq(JS("\xe6\x97\xa5\xe6\x9c\xac"), "\"\xe6\x97\xa5\xe6\x9c\xac\"");
}
END_TEST

START_TEST(invalid_bytes_become_replacement)
{
	char buf[256];

	ck_assert_str_eq(JS("\x80"), "\"\\ufffd\"");
	ck_assert_str_eq(JS("a\xbf\x62"), "\"a\\ufffdb\"");
	ck_assert_str_eq(JS("\xff\xfe"), "\"\\ufffd\\ufffd\"");
	/* overlong forms with the C0/C1 leads and leads beyond U+10FFFF */
	ck_assert_str_eq(JS("\xc0\xaf"), "\"\\ufffd\\ufffd\"");
	ck_assert_str_eq(JS("\xc1\xbf"), "\"\\ufffd\\ufffd\"");
	ck_assert_str_eq(JS("\xf5\x80\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	/* truncated sequences, at the end and before ASCII */
	ck_assert_str_eq(JS("caf\xc3"), "\"caf\\ufffd\"");
	ck_assert_str_eq(JS("\xe2\x82"), "\"\\ufffd\\ufffd\"");
	ck_assert_str_eq(JS("\xe2\x82x"), "\"\\ufffd\\ufffdx\"");
	ck_assert_str_eq(JS("\xf0\x9f\x98"), "\"\\ufffd\\ufffd\\ufffd\"");
	/* a lead byte followed by another lead byte */
	ck_assert_str_eq(JS("\xc3\xc3\xa9"), "\"\\ufffd\xc3\xa9\"");
	/* a replaced byte does not swallow a following quote */
	ck_assert_str_eq(JS("\xc3\""), "\"\\ufffd\\\"\"");
}
END_TEST

START_TEST(keys)
{
	struct strbuf sb;

	sb_init(&sb, 1024);
	sb_putc(&sb, '{');
	json_key(&sb, "verdict", 1);
	json_string(&sb, "reject");
	json_key(&sb, "a\"b", 0);
	json_string(&sb, "x\ny");
	sb_putc(&sb, '}');
	ck_assert_str_eq(sb_str(&sb), "{\"verdict\":\"reject\",\"a\\\"b\":\"x\\u000ay\"}");
	sb_free(&sb);
}
END_TEST

START_TEST(capped_buffer_fails_cleanly)
{
	struct strbuf sb;

	sb_init(&sb, 8);
	json_string(&sb, "0123456789");
	ck_assert_int_eq(sb.failed, 1);
	ck_assert_uint_le(sb.len, 8);
	sb_free(&sb);
}
END_TEST

/* Fixed: json.c's utf8_len() checks only the lead byte's range and that the
 * continuation bytes are 10xxxxxx, so ill-formed sequences pass through
 * raw: overlong 3- and 4-byte forms, UTF-16 surrogates, code points above
 * U+10FFFF. The output then is not valid UTF-8, so not valid JSON. */
START_TEST(regress_ill_formed_utf8_passes_through)
{
	char buf[256];

	ck_assert_str_eq(JS("\xe0\x80\xaf"), "\"\\ufffd\\ufffd\\ufffd\""); /* overlong '/' */
	ck_assert_str_eq(JS("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\""); /* U+D800 */
	ck_assert_str_eq(JS("\xed\xbf\xbf"), "\"\\ufffd\\ufffd\\ufffd\""); /* U+DFFF */
	ck_assert_str_eq(JS("\xf0\x80\x80\xaf"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* overlong */
	ck_assert_str_eq(JS("\xf4\x90\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* U+110000 */
}
END_TEST

int run_suite(Suite *s, const char *name); /* test_runner.c */

int main(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("json");
	TCase *regress = tcase_create("regress_ill_formed_utf8");

	tcase_add_test(tc, plain_ascii);
	tcase_add_test(tc, quotes_and_backslashes);
	tcase_add_test(tc, control_characters);
	tcase_add_test(tc, valid_utf8_is_kept);
	tcase_add_test(tc, invalid_bytes_become_replacement);
	tcase_add_test(tc, keys);
	tcase_add_test(tc, capped_buffer_fails_cleanly);
	suite_add_tcase(s, tc);
	tcase_add_test(regress, regress_ill_formed_utf8_passes_through);
	suite_add_tcase(s, regress);
	return run_suite(s, "json");
}
