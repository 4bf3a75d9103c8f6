/* rcptmap: the recipient map file (addresses and @domain catch-alls),
 * its error lines, and lookups with address extensions.
 * Cases named "regress_*" pin bugs found and fixed. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mailsift/rcptmap.h"

/* One map file in a private directory, removed as soon as it is loaded. */
struct mapfile {
	char dir[256];
	char path[300];
	struct strbuf errors;
	struct strset *map;
};

static void map_load(struct mapfile *m, const char *data, size_t len)
{
	const char *tmp = getenv("TMPDIR");
	FILE *fp;
	int fd;

	snprintf(m->dir, sizeof(m->dir), "%s/rcptmap.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(m->dir));
	snprintf(m->path, sizeof(m->path), "%s/map.XXXXXX", m->dir);
	fd = mkstemp(m->path);
	ck_assert_int_ge(fd, 0);
	fp = fdopen(fd, "w");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(data, 1, len, fp), len);
	ck_assert_int_eq(fclose(fp), 0);
	sb_init(&m->errors, 1 << 20);
	m->map = rcptmap_load(m->path, &m->errors);
	unlink(m->path);
	rmdir(m->dir);
}

static void map_load_str(struct mapfile *m, const char *data)
{
	map_load(m, data, strlen(data));
}

static void map_done(struct mapfile *m)
{
	strset_free(&m->map);
	sb_free(&m->errors);
}

/* rcptmap_match() for an SMTP path, which must be valid. */
static int match(const struct strset *map, const char *path, const char *delims)
{
	struct addr a;

	ck_assert_msg(addr_parse_path(path, strlen(path), ADDR_UTF8, &a) == ADDR_OK, "bad path %s",
		      path);
	return rcptmap_match(map, &a, delims);
}

static const char *base_local(const char *path, const char *delims, char *out)
{
	struct addr a;

	ck_assert_int_eq(addr_parse_path(path, strlen(path), ADDR_UTF8, &a), ADDR_OK);
	rcptmap_base_local(&a, delims, out);
	return out;
}

START_TEST(exact_addresses_and_catch_alls)
{
	struct mapfile m;

	map_load_str(&m, "alice@example.org\n"
			 "Bob@Example.ORG\n"
			 "@example.net\n");
	ck_assert_str_eq(sb_str(&m.errors), "");
	ck_assert_ptr_nonnull(m.map);
	ck_assert_uint_eq(strset_count(m.map), 3);
	ck_assert_int_eq(match(m.map, "<alice@example.org>", "+"), 1);
	ck_assert_int_eq(match(m.map, "<ALICE@EXAMPLE.ORG>", "+"), 1);
	ck_assert_int_eq(match(m.map, "<bob@example.org>", "+"), 1);
	ck_assert_int_eq(match(m.map, "<carol@example.org>", "+"), 0);
	ck_assert_int_eq(match(m.map, "<alice@example.com>", "+"), 0);
	ck_assert_int_eq(match(m.map, "<alic@example.org>", "+"), 0);
	ck_assert_int_eq(match(m.map, "<anyone@example.net>", "+"), 1);
	ck_assert_int_eq(match(m.map, "<Anyone@EXAMPLE.net>", "+"), 1);
	ck_assert_int_eq(match(m.map, "<anyone@sub.example.net>", "+"), 0);
	ck_assert_int_eq(match(m.map, "<anyone@example.network>", "+"), 0);
	map_done(&m);
}
END_TEST

START_TEST(comments_blank_lines_and_space)
{
	struct mapfile m;

	map_load_str(&m, "# the people\n"
			 "\n"
			 "   \t \n"
			 "  alice@example.org  \n"
			 "\tbob@example.org\t# the builder\n"
			 "carol@example.org# no space before the comment\n"
			 "#dave@example.org\n"
			 "erin@example.org\r\n"
			 "frank@example.org"); /* no newline at the end */
	ck_assert_str_eq(sb_str(&m.errors), "");
	ck_assert_ptr_nonnull(m.map);
	ck_assert_uint_eq(strset_count(m.map), 5);
	ck_assert_int_eq(match(m.map, "<alice@example.org>", ""), 1);
	ck_assert_int_eq(match(m.map, "<bob@example.org>", ""), 1);
	ck_assert_int_eq(match(m.map, "<carol@example.org>", ""), 1);
	ck_assert_int_eq(match(m.map, "<dave@example.org>", ""), 0);
	ck_assert_int_eq(match(m.map, "<erin@example.org>", ""), 1);
	ck_assert_int_eq(match(m.map, "<frank@example.org>", ""), 1);
	map_done(&m);
}
END_TEST

START_TEST(empty_file_is_an_empty_map)
{
	struct mapfile m;

	map_load_str(&m, "# nobody here\n\n");
	ck_assert_str_eq(sb_str(&m.errors), "");
	ck_assert_ptr_nonnull(m.map);
	ck_assert_uint_eq(strset_count(m.map), 0);
	ck_assert_int_eq(match(m.map, "<alice@example.org>", "+"), 0);
	map_done(&m);
}
END_TEST

START_TEST(utf8_entries)
{
	struct mapfile m;

	map_load_str(&m, "j\xc3\xb6rg@example.org\n@b\xc3\xbc\x63her.example\n");
	ck_assert_str_eq(sb_str(&m.errors), "");
	ck_assert_ptr_nonnull(m.map);
	ck_assert_int_eq(match(m.map, "<j\xc3\xb6rg@example.org>", "+"), 1);
	ck_assert_int_eq(match(m.map, "<J\xc3\xb6RG@example.org>", "+"), 1);
	ck_assert_int_eq(match(m.map, "<jorg@example.org>", "+"), 0);
	ck_assert_int_eq(match(m.map, "<x@b\xc3\xbc\x63her.example>", "+"), 1);
	map_done(&m);
}
END_TEST

START_TEST(invalid_entries_are_all_reported)
{
	struct mapfile m;
	char want[4096];

	map_load_str(&m, "alice@example.org\n"
			 "bob@@example.org\n"
			 "no-at-sign\n"
			 "# fine\n"
			 "@\n"
			 "@-bad-.example\n"
			 "a..b@example.org   # comment\n"
			 "<carol@example.org>\n"
			 "dave@example.org\n"
			 "j\xc3\xb6rg@ex\xff.org\n");
	ck_assert_ptr_null(m.map);
	snprintf(want, sizeof(want),
		 "%1$s:2: invalid entry 'bob@@example.org': invalid domain\n"
		 "%1$s:3: invalid entry 'no-at-sign': missing @domain\n"
		 "%1$s:5: invalid entry '@': invalid domain\n"
		 "%1$s:6: invalid entry '@-bad-.example': invalid domain\n"
		 "%1$s:7: invalid entry 'a..b@example.org': invalid local part\n"
		 "%1$s:8: invalid entry '<carol@example.org>': invalid local part\n"
		 "%1$s:10: invalid entry 'j\xc3\xb6rg@ex\xff.org': invalid UTF-8 in address\n",
		 m.path);
	ck_assert_str_eq(sb_str(&m.errors), want);
	map_done(&m);
}
END_TEST

START_TEST(overlong_line_stops_the_load)
{
	struct mapfile m;
	char data[3000], want[512];

	memcpy(data, "alice@example.org\n# ", 20);
	memset(data + 20, 'x', 1100);
	memcpy(data + 1120, "\nbob@@example.org\n", 19);
	map_load_str(&m, data);
	ck_assert_ptr_null(m.map);
	snprintf(want, sizeof(want), "%s:2: line too long\n", m.path);
	ck_assert_str_eq(sb_str(&m.errors), want);
	map_done(&m);
}
END_TEST

START_TEST(missing_file)
{
	struct strbuf errors;

	sb_init(&errors, 4096);
	ck_assert_ptr_null(rcptmap_load("/nonexistent/mailsift/recipients", &errors));
	ck_assert_str_eq(
	    sb_str(&errors),
	    "/nonexistent/mailsift/recipients: cannot open: No such file or directory\n");
	sb_free(&errors);
}
END_TEST

START_TEST(address_extensions)
{
	struct mapfile m;

	map_load_str(&m, "alice@example.org\nbob-lists@example.org\n");
	ck_assert_ptr_nonnull(m.map);
	/* user+tag@ is looked up as itself, then as user@ */
	ck_assert_int_eq(match(m.map, "<alice+news@example.org>", "+"), 1);
	ck_assert_int_eq(match(m.map, "<alice+@example.org>", "+"), 1);
	ck_assert_int_eq(match(m.map, "<alice+a+b@example.org>", "+"), 1);
	ck_assert_int_eq(match(m.map, "<ALICE+News@Example.Org>", "+"), 1);
	ck_assert_int_eq(match(m.map, "<alice-news@example.org>", "+"), 0);
	ck_assert_int_eq(match(m.map, "<alice-news@example.org>", "-+"), 1);
	ck_assert_int_eq(match(m.map, "<alice+news@example.org>", "-+"), 1);
	/* no delimiter: no cut */
	ck_assert_int_eq(match(m.map, "<alice+news@example.org>", ""), 0);
	/* cut at the first delimiter only */
	ck_assert_int_eq(match(m.map, "<bob-lists+x@example.org>", "+"), 1);
	ck_assert_int_eq(match(m.map, "<bob-lists+x@example.org>", "-+"), 0);
	ck_assert_int_eq(match(m.map, "<bob-lists@example.org>", "-"), 1);
	ck_assert_int_eq(match(m.map, "<bob-other@example.org>", "-"), 0);
	/* a base that is not listed */
	ck_assert_int_eq(match(m.map, "<carol+alice@example.org>", "+"), 0);
	map_done(&m);
}
END_TEST

START_TEST(quoted_local_part_is_not_cut)
{
	struct mapfile m;
	char out[ADDR_LOCAL_MAX + 1];

	map_load_str(&m, "alice@example.org\n\"carol+x\"@example.org\n");
	ck_assert_str_eq(sb_str(&m.errors), "");
	ck_assert_ptr_nonnull(m.map);
	ck_assert_int_eq(match(m.map, "<\"alice+news\"@example.org>", "+"), 0);
	ck_assert_int_eq(match(m.map, "<\"carol+x\"@example.org>", "+"), 1);
	ck_assert_int_eq(match(m.map, "<carol+x@example.org>", "+"), 0);
	ck_assert_str_eq(base_local("<\"alice+news\"@example.org>", "+", out), "\"alice+news\"");
	map_done(&m);
}
END_TEST

START_TEST(base_local_part)
{
	char out[ADDR_LOCAL_MAX + 1];
	char path[128];

	ck_assert_str_eq(base_local("<alice+news@example.org>", "+", out), "alice");
	ck_assert_str_eq(base_local("<alice+news@example.org>", "", out), "alice+news");
	ck_assert_str_eq(base_local("<alice-news+x@example.org>", "+-", out), "alice");
	ck_assert_str_eq(base_local("<alice@example.org>", "+", out), "alice");
	/* one that starts with a delimiter is never cut */
	ck_assert_str_eq(base_local("<+alice@example.org>", "+", out), "+alice");
	ck_assert_str_eq(base_local("<-@example.org>", "-", out), "-");
	/* a 64-octet local part fits the output exactly */
	memset(path, 'a', 65);
	path[0] = '<';
	snprintf(path + 65, sizeof(path) - 65, "@example.org>");
	ck_assert_uint_eq(strlen(base_local(path, "+", out)), 64);
}
END_TEST

START_TEST(catch_all_with_extension)
{
	struct mapfile m;

	map_load_str(&m, "@example.org\n");
	ck_assert_int_eq(match(m.map, "<anyone+tag@example.org>", "+"), 1);
	ck_assert_int_eq(match(m.map, "<\"odd one\"@example.org>", "+"), 1);
	ck_assert_int_eq(match(m.map, "<x@[192.0.2.1]>", "+"), 0);
	map_done(&m);
}
END_TEST

/* Fixed: the map documents lines of at most 1024 characters, but the newline
 * is counted too, so a line of exactly 1024 characters is refused as "line
 * too long" (rcptmap.c: strlen(line) > RCPTMAP_LINE_MAX includes '\n'). */
START_TEST(regress_line_of_1024_characters)
{
	struct mapfile m;
	char data[1200];

	memcpy(data, "alice@example.org # ", 20);
	memset(data + 20, 'x', 1004); /* 1024 characters */
	memcpy(data + 1024, "\nbob@example.org\n", 18);
	map_load_str(&m, data);
	ck_assert_str_eq(sb_str(&m.errors), "");
	ck_assert_ptr_nonnull(m.map);
	ck_assert_int_eq(match(m.map, "<bob@example.org>", "+"), 1);
	map_done(&m);
}
END_TEST

int run_suite(Suite *s, const char *name); /* test_runner.c */

int main(void)
{
	Suite *s = suite_create("rcptmap");
	TCase *tc = tcase_create("rcptmap");
	TCase *regress = tcase_create("regress_line_of_1024_characters");

	tcase_add_test(tc, exact_addresses_and_catch_alls);
	tcase_add_test(tc, comments_blank_lines_and_space);
	tcase_add_test(tc, empty_file_is_an_empty_map);
	tcase_add_test(tc, utf8_entries);
	tcase_add_test(tc, invalid_entries_are_all_reported);
	tcase_add_test(tc, overlong_line_stops_the_load);
	tcase_add_test(tc, missing_file);
	tcase_add_test(tc, address_extensions);
	tcase_add_test(tc, quoted_local_part_is_not_cut);
	tcase_add_test(tc, base_local_part);
	tcase_add_test(tc, catch_all_with_extension);
	suite_add_tcase(s, tc);
	tcase_add_test(regress, regress_line_of_1024_characters);
	suite_add_tcase(s, regress);
	return run_suite(s, "rcptmap");
}
