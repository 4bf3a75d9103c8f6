/* addr: RFC 5321 Mailbox syntax against the corpus-derived cases in
 * tests/data/address/cases.tsv, plus SMTP path handling. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailsift/addr.h"

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c - 'a' + 10;
}

/* Undoes the file's escaping; returns the length. */
static size_t unescape(const char *in, char *out)
{
	size_t j = 0;

	for (size_t i = 0; in[i]; i++) {
		if (in[i] != '\\') {
			out[j++] = in[i];
			continue;
		}
		switch (in[++i]) {
		case 't': out[j++] = '\t'; break;
		case 'r': out[j++] = '\r'; break;
		case 'n': out[j++] = '\n'; break;
		case '0': out[j++] = '\0'; break;
		case 'x':
			out[j++] = (char)(hexval(in[i + 1]) * 16 + hexval(in[i + 2]));
			i += 2;
			break;
		default: out[j++] = in[i]; break;
		}
	}
	return j;
}

START_TEST(corpus_cases)
{
	char path[4096], line[8192];
	const char *top = getenv("top_srcdir");
	int total = 0, failed = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/tests/data/address/cases.tsv", top ? top : ".");
	fp = fopen(path, "r");
	ck_assert_msg(fp != NULL, "cannot open %s", path);
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *expect, *mode, *address, *source, buf[8192];
		struct addr a;
		size_t len;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		line[strcspn(line, "\n")] = '\0';
		expect = strtok(line, "\t");
		mode = strtok(NULL, "\t");
		address = mode + strlen(mode) + 1;
		source = strchr(address, '\t');
		ck_assert_ptr_nonnull(source);
		*source++ = '\0';
		len = unescape(address, buf);
		enum addr_status st =
		    addr_parse(buf, len, strcmp(mode, "utf8") == 0 ? ADDR_UTF8 : 0, &a);
		int valid = st == ADDR_OK;
		total++;
		if (valid != (strcmp(expect, "valid") == 0)) {
			failed++;
			fprintf(stderr, "address case %s (%s, %s): expected %s, got %s\n", source,
				address, mode, expect, addr_strerror(st));
		}
	}
	fclose(fp);
	ck_assert_int_ge(total, 350);
	ck_assert_msg(failed == 0, "%d of %d address cases failed", failed, total);
}
END_TEST

static enum addr_status path(const char *s, unsigned flags, struct addr *a)
{
	return addr_parse_path(s, strlen(s), flags, a);
}

START_TEST(paths)
{
	struct addr a;

	ck_assert_int_eq(path("<user@example.com>", 0, &a), ADDR_OK);
	ck_assert_str_eq(a.local, "user");
	ck_assert_str_eq(a.domain, "example.com");
	ck_assert_int_eq(a.null, 0);
	ck_assert_int_eq(path("<>", 0, &a), ADDR_OK);
	ck_assert_int_eq(a.null, 1);
	ck_assert_int_eq(path("user@example.com", 0, &a), ADDR_OK);
	ck_assert_int_eq(path("<@relay.example,@b.example:user@example.com>", 0, &a), ADDR_OK);
	ck_assert_str_eq(a.domain, "example.com");
	ck_assert_int_eq(path("<@relay.example user@example.com>", 0, &a), ADDR_E_PATH);
	ck_assert_int_eq(path("<user@example.com", 0, &a), ADDR_E_PATH);
	ck_assert_int_eq(path("<", 0, &a), ADDR_E_PATH);
	ck_assert_int_eq(path("<user@[192.0.2.1]>", 0, &a), ADDR_OK);
	ck_assert_int_eq(a.literal, 1);
	ck_assert_int_eq(path("<\"a b\"@example.com>", 0, &a), ADDR_OK);
	ck_assert_str_eq(a.local, "\"a b\"");
}
END_TEST

START_TEST(errors_are_precise)
{
	struct addr a;
	char big[300];

	ck_assert_int_eq(addr_parse("", 0, 0, &a), ADDR_E_EMPTY);
	ck_assert_int_eq(addr_parse("a\0b@example.com", 15, 0, &a), ADDR_E_NUL);
	ck_assert_int_eq(addr_parse("a\rb@example.com", 15, 0, &a), ADDR_E_CTRL);
	ck_assert_int_eq(addr_parse("nobody", 6, 0, &a), ADDR_E_NO_AT);
	ck_assert_int_eq(addr_parse("a..b@example.com", 16, 0, &a), ADDR_E_LOCAL);
	ck_assert_int_eq(addr_parse("a@-x.example", 12, 0, &a), ADDR_E_DOMAIN);
	ck_assert_int_eq(addr_parse("a@[300.1.1.1]", 13, 0, &a), ADDR_E_LITERAL);
	ck_assert_int_eq(addr_parse("\xc3\xa9@example.com", 14, 0, &a), ADDR_E_8BIT);
	ck_assert_int_eq(addr_parse("\xc3\xa9@example.com", 14, ADDR_UTF8, &a), ADDR_OK);
	ck_assert_int_eq(a.utf8, 1);
	ck_assert_int_eq(addr_parse("\xc3@example.com", 13, ADDR_UTF8, &a), ADDR_E_UTF8);
	memset(big, 'a', 65);
	memcpy(big + 65, "@example.com", 13);
	ck_assert_int_eq(addr_parse(big, strlen(big), 0, &a), ADDR_E_LOCAL_TOO_LONG);
	ck_assert_str_eq(addr_strerror(ADDR_E_LOCAL_TOO_LONG), "local part longer than 64 octets");
}
END_TEST

int run_suite(Suite *s, const char *name);

int main(void)
{
	Suite *s = suite_create("addr");
	TCase *tc = tcase_create("addr");

	tcase_add_test(tc, corpus_cases);
	tcase_add_test(tc, paths);
	tcase_add_test(tc, errors_are_precise);
	suite_add_tcase(s, tc);
	return run_suite(s, "addr");
}
