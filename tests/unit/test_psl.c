/* The Public Suffix List's own vectors (tests/data/dmarc/tests.txt): the
 * organizational domain of each input, or none for a public suffix and for
 * names that are not names (null, leading dot). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailsift/psl.h"

int run_suite(Suite *s, const char *name);

static struct psl *psl;

static void path_of(char *out, size_t len, const char *name)
{
	const char *top = getenv("top_srcdir");

	snprintf(out, len, "%.2000s/tests/data/dmarc/%.100s", top ? top : ".", name);
}

static void setup(void)
{
	char path[4096];
	const char *err = NULL;

	path_of(path, sizeof(path), "public_suffix_list.dat");
	psl = psl_load(path, &err);
	ck_assert_msg(psl != NULL, "%s: %s", path, err);
}

static void teardown(void)
{
	psl_free(&psl);
}

START_TEST(official_vectors)
{
	char path[4096], line[1024], in[512], want[512], got[512];
	unsigned passed = 0, failed = 0;
	FILE *fp;

	path_of(path, sizeof(path), "tests.txt");
	fp = fopen(path, "r");
	ck_assert_ptr_nonnull(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (sscanf(line, "%511s %511s", in, want) != 2 || strncmp(in, "//", 2) == 0)
			continue;
		if (strcmp(in, "null") == 0 || psl_org_domain(psl, in, got, sizeof(got)) < 0)
			snprintf(got, sizeof(got), "null");
		if (strcmp(got, want) == 0) {
			passed++;
		} else {
			failed++;
			fprintf(stderr, "psl: %s: want %s, got %s\n", in, want, got);
		}
	}
	fclose(fp);
	printf("psl vectors: %u passed, %u failed\n", passed, failed);
	ck_assert_uint_eq(failed, 0);
	ck_assert_uint_ge(passed, 70);
}
END_TEST

START_TEST(rules_and_limits)
{
	char out[16];
	const char *err = NULL;

	ck_assert_uint_gt(psl_rules(psl), 9000);
	ck_assert_int_eq(psl_org_domain(psl, "mail.example.co.uk.", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "example.co.uk");
	/* does not fit */
	ck_assert_int_eq(psl_org_domain(psl, "a.very-long-name.example", out, sizeof(out)), -1);
	ck_assert_int_eq(psl_org_domain(psl, "", out, sizeof(out)), -1);
	ck_assert_int_eq(psl_org_domain(psl, "a..example.com", out, sizeof(out)), -1);
	ck_assert_ptr_null(psl_load("/nonexistent/psl.dat", &err));
	ck_assert_str_eq(err, "cannot read the public suffix list (Debian package publicsuffix)");
	ck_assert_ptr_null(psl_load("/dev/null", &err));
	ck_assert_str_eq(err, "no rule in the public suffix list");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("psl");
	TCase *tc = tcase_create("psl");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, official_vectors);
	tcase_add_test(tc, rules_and_limits);
	suite_add_tcase(s, tc);
	return run_suite(s, "psl");
}
