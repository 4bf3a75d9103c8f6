/* strset: case-insensitive string sets with explicit lengths.
 * Cases named "regress_*" pin bugs found and fixed. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailsift/strset.h"

static int add(struct strset *set, const char *s)
{
	return strset_add(set, s, strlen(s));
}

static int has(const struct strset *set, const char *s)
{
	return strset_has(set, s, strlen(s));
}

START_TEST(add_and_has)
{
	struct strset *set = strset_new();

	ck_assert_ptr_nonnull(set);
	ck_assert_uint_eq(strset_count(set), 0);
	ck_assert_int_eq(has(set, "example.org"), 0);
	ck_assert_int_eq(add(set, "example.org"), 0);
	ck_assert_int_eq(add(set, "example.net"), 0);
	ck_assert_uint_eq(strset_count(set), 2);
	ck_assert_int_eq(has(set, "example.org"), 1);
	ck_assert_int_eq(has(set, "example.net"), 1);
	ck_assert_int_eq(has(set, "example.com"), 0);
	ck_assert_int_eq(has(set, "example.or"), 0);
	ck_assert_int_eq(has(set, "example.orgx"), 0);
	ck_assert_int_eq(has(set, "sub.example.org"), 0);
	ck_assert_int_eq(has(set, ""), 0);
	strset_free(&set);
	ck_assert_ptr_null(set);
	strset_free(&set);
}
END_TEST

START_TEST(ascii_case_is_ignored)
{
	struct strset *set = strset_new();

	ck_assert_int_eq(add(set, "Example.ORG"), 0);
	ck_assert_int_eq(has(set, "example.org"), 1);
	ck_assert_int_eq(has(set, "EXAMPLE.ORG"), 1);
	ck_assert_int_eq(has(set, "eXaMpLe.OrG"), 1);
	/* the same string in another case is no new entry */
	ck_assert_int_eq(add(set, "EXAMPLE.org"), 0);
	ck_assert_int_eq(add(set, "example.org"), 0);
	ck_assert_uint_eq(strset_count(set), 1);
	/* only ASCII letters fold: '@' and '`' are not 'A'-1 or 'a'-1 in disguise */
	ck_assert_int_eq(add(set, "postmaster"), 0);
	ck_assert_int_eq(has(set, "POSTMASTER"), 1);
	ck_assert_int_eq(has(set, "postmaste@"), 0);
	ck_assert_int_eq(add(set, "[x]"), 0);
	ck_assert_int_eq(has(set, "{x}"), 0);
	ck_assert_int_eq(has(set, "[X]"), 1);
	strset_free(&set);
}
END_TEST

START_TEST(non_ascii_is_not_folded)
{
	struct strset *set = strset_new();

	/* only ASCII letters fold: e-acute (c3 a9) and E-acute (c3 89) stay apart */
	ck_assert_int_eq(add(set, "b\xc3\xa9\x62\xc3\xa9"), 0);
	ck_assert_int_eq(has(set, "B\xc3\xa9\x42\xc3\xa9"), 1);
	ck_assert_int_eq(has(set, "b\xc3\x89\x62\xc3\x89"), 0);
	ck_assert_int_eq(add(set, "\xff"), 0);
	ck_assert_int_eq(has(set, "\xff"), 1);
	ck_assert_int_eq(has(set, "\xdf"), 0);
	strset_free(&set);
}
END_TEST

START_TEST(explicit_lengths)
{
	struct strset *set = strset_new();

	/* embedded NUL bytes are part of the string */
	ck_assert_int_eq(strset_add(set, "a\0b", 3), 0);
	ck_assert_int_eq(strset_has(set, "a\0b", 3), 1);
	ck_assert_int_eq(strset_has(set, "A\0B", 3), 1);
	ck_assert_int_eq(strset_has(set, "a", 1), 0);
	ck_assert_int_eq(strset_has(set, "a\0c", 3), 0);
	ck_assert_int_eq(strset_has(set, "a\0b\0", 4), 0);
	ck_assert_int_eq(strset_add(set, "a", 1), 0);
	ck_assert_uint_eq(strset_count(set), 2);
	ck_assert_int_eq(strset_has(set, "a", 1), 1);
	/* a prefix of a longer buffer */
	ck_assert_int_eq(strset_add(set, "example.org.evil", 11), 0);
	ck_assert_int_eq(has(set, "example.org"), 1);
	ck_assert_int_eq(has(set, "example.org.evil"), 0);
	/* the empty string is a member like any other */
	ck_assert_int_eq(has(set, ""), 0);
	ck_assert_int_eq(strset_add(set, "", 0), 0);
	ck_assert_int_eq(strset_has(set, "", 0), 1);
	ck_assert_int_eq(strset_has(set, "x", 0), 1);
	ck_assert_uint_eq(strset_count(set), 4);
	strset_free(&set);
}
END_TEST

START_TEST(grows_past_many_entries)
{
	struct strset *set = strset_new();
	char buf[64];

	for (int i = 0; i < 10000; i++) {
		int n = snprintf(buf, sizeof(buf), "User%05d@Example.ORG", i);
		ck_assert_int_eq(strset_add(set, buf, (size_t)n), 0);
	}
	ck_assert_uint_eq(strset_count(set), 10000);
	for (int i = 0; i < 10000; i++) {
		int n = snprintf(buf, sizeof(buf), "user%05d@example.org", i);
		ck_assert_msg(strset_has(set, buf, (size_t)n), "%s lost after growth", buf);
	}
	/* adding them all again changes nothing */
	for (int i = 0; i < 10000; i += 7) {
		int n = snprintf(buf, sizeof(buf), "USER%05d@EXAMPLE.ORG", i);
		ck_assert_int_eq(strset_add(set, buf, (size_t)n), 0);
	}
	ck_assert_uint_eq(strset_count(set), 10000);
	ck_assert_int_eq(has(set, "user10000@example.org"), 0);
	ck_assert_int_eq(has(set, "user0000@example.org"), 0);
	ck_assert_int_eq(has(set, "user00000@example.or"), 0);
	strset_free(&set);
}
END_TEST

START_TEST(similar_strings_stay_apart)
{
	struct strset *set = strset_new();
	char buf[8];

	/* every two-letter string: many share hash buckets after masking */
	for (char a = 'a'; a <= 'z'; a++) {
		for (char b = 'a'; b <= 'z'; b++) {
			buf[0] = a;
			buf[1] = b;
			ck_assert_int_eq(strset_add(set, buf, 2), 0);
		}
	}
	ck_assert_uint_eq(strset_count(set), 26 * 26);
	for (char a = 'A'; a <= 'Z'; a++) {
		for (char b = 'a'; b <= 'z'; b++) {
			buf[0] = a;
			buf[1] = b;
			ck_assert_int_eq(strset_has(set, buf, 2), 1);
			ck_assert_int_eq(strset_has(set, buf, 1), 0);
		}
	}
	ck_assert_int_eq(has(set, "a1"), 0);
	ck_assert_int_eq(has(set, "aaa"), 0);
	strset_free(&set);
}
END_TEST

START_TEST(equal_hashes_stay_apart)
{
	struct strset *set = strset_new();

	/* these two have the same 32-bit FNV-1a hash: only the bytes tell them apart */
	ck_assert_int_eq(add(set, "userhxfrw"), 0);
	ck_assert_int_eq(has(set, "userrkexa"), 0);
	ck_assert_int_eq(has(set, "USERRKEXA"), 0);
	ck_assert_int_eq(add(set, "userrkexa"), 0);
	ck_assert_uint_eq(strset_count(set), 2);
	ck_assert_int_eq(has(set, "UserHxfrw"), 1);
	ck_assert_int_eq(has(set, "UserRkexa"), 1);
	strset_free(&set);
}
END_TEST

START_TEST(null_set)
{
	ck_assert_int_eq(strset_has(NULL, "x", 1), 0);
	ck_assert_uint_eq(strset_count(NULL), 0);
}
END_TEST

int run_suite(Suite *s, const char *name); /* test_runner.c */

int main(void)
{
	Suite *s = suite_create("strset");
	TCase *tc = tcase_create("strset");

	tcase_add_test(tc, add_and_has);
	tcase_add_test(tc, ascii_case_is_ignored);
	tcase_add_test(tc, non_ascii_is_not_folded);
	tcase_add_test(tc, explicit_lengths);
	tcase_add_test(tc, grows_past_many_entries);
	tcase_add_test(tc, similar_strings_stay_apart);
	tcase_add_test(tc, equal_hashes_stay_apart);
	tcase_add_test(tc, null_set);
	suite_add_tcase(s, tc);
	return run_suite(s, "strset");
}
