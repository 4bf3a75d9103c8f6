/* The shipped rule set (the .cf files in rules/): it loads without a problem, and every
 * scored rule has a message in tests/data/shipped that it must hit
 * (RULE.hit.eml) and a near miss it must not hit (RULE.miss.eml). The
 * messages go through the same path as in the daemon: msgfile, the MIME
 * parser, rules_scan. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mailsift/mime.h"
#include "mailsift/msgfile.h"
#include "mailsift/rules.h"
#include "test_support.h"

#define SHIPPED_RULES "rules"
#define SHIPPED_DATA "tests/data/shipped"
/* What rules/ holds now: a rule added or removed updates these. */
#define SHIPPED_LOADED 40
#define SHIPPED_SCORED 20
/* Limits the shipped scores keep to: one rule alone never decides. */
#define SHIPPED_MIN_SCORE 0.3
#define SHIPPED_MAX_SCORE 2.5

static struct ruleset *load_shipped(struct rules_report *rep, struct strbuf *problems)
{
	const char *path = SHIPPED_RULES, *err = NULL;
	struct ruleset *rs;

	memset(rep, 0, sizeof(*rep));
	sb_init(problems, 1u << 20);
	rep->problems = problems;
	rs = rules_load(&path, 1, rep, &err);
	ck_assert_msg(rs != NULL, "%s: %s", path, err);
	return rs;
}

static int scored(const char *name)
{
	return strncmp(name, "MS_", 3) == 0;
}

START_TEST(test_loads_clean)
{
	struct rules_report rep;
	struct strbuf problems;
	struct ruleset *rs = load_shipped(&rep, &problems);
	size_t n = 0;

	ck_assert_msg(problems.len == 0, "problems:\n%s", sb_str(&problems));
	ck_assert_uint_eq(rep.loaded, SHIPPED_LOADED);
	ck_assert_uint_eq(rep.inert, 0);
	ck_assert_uint_eq(rep.failed, 0);
	for (size_t i = 0; i < rules_count(rs); i++) {
		const char *name;
		unsigned long hits;

		rules_counter(rs, i, &name, &hits);
		ck_assert_msg(scored(name) || strncmp(name, "__MS_", 5) == 0,
			      "%s: shipped rules are named MS_ or __MS_", name);
		n += scored(name);
	}
	ck_assert_uint_eq(n, SHIPPED_SCORED);
	rules_free(&rs);
	sb_free(&problems);
}
END_TEST

/* The message at path through the MIME parser and the rules; res is
 * filled, 0, or -1 if the file cannot be read. */
static int scan_file(const struct ruleset *rs, const char *path, struct rules_result *res)
{
	FILE *fp = fopen(path, "rb");
	struct msgfile mf;
	struct mime_parser *mp;
	const char *err = NULL;
	struct rules_input in;

	if (fp == NULL)
		return -1;
	ck_assert_msg(msgfile_read(fp, &mf, &err) == 0, "%s: %s", path, err);
	fclose(fp);
	mp = mime_parser_new(NULL);
	ck_assert_ptr_nonnull(mp);
	for (size_t i = 0; i < mf.nheaders; i++)
		mime_parser_header(mp, mf.headers[i].name, mf.headers[i].raw);
	mime_parser_eoh(mp);
	mime_parser_body(mp, (const unsigned char *)mf.body, mf.body_len);
	in = (struct rules_input){.headers = mf.headers,
				  .nheaders = mf.nheaders,
				  .mime = mime_parser_end(mp),
				  .raw = mf.data,
				  .raw_len = mf.len};
	ck_assert_int_eq(rules_scan(rs, &in, res), 0);
	ck_assert_uint_eq(res->flags, 0);
	mime_parser_free(&mp);
	msgfile_free(&mf);
	return 0;
}

static const struct rules_hit *find_hit(const struct rules_result *res, const char *name)
{
	for (size_t i = 0; i < res->nhits; i++)
		if (strcmp(res->hits[i].name, name) == 0)
			return &res->hits[i];
	return NULL;
}

/* 1 if rule's kind ("hit" or "miss") message behaves, else 0 with the
 * reason printed. */
static int check_message(const struct ruleset *rs, const char *rule, const char *kind)
{
	char path[512];
	struct rules_result res;
	const struct rules_hit *h;
	int want = strcmp(kind, "hit") == 0, ok;

	ck_assert_int_lt(snprintf(path, sizeof(path), "%s/%s.%s.eml", SHIPPED_DATA, rule, kind),
			 (int)sizeof(path));
	if (scan_file(rs, path, &res) < 0) {
		printf("%s: missing\n", path);
		return 0;
	}
	h = find_hit(&res, rule);
	ok = (h != NULL) == want;
	if (!ok)
		printf("%s: %s %s\n", path, rule, want ? "did not hit" : "hit");
	if (h != NULL &&
	    (h->describe == NULL || h->score < SHIPPED_MIN_SCORE || h->score > SHIPPED_MAX_SCORE)) {
		printf("%s: score %.2f or describe missing\n", rule, h->score);
		ok = 0;
	}
	rules_result_free(&res);
	return ok;
}

START_TEST(test_messages)
{
	struct rules_report rep;
	struct strbuf problems;
	struct ruleset *rs = load_shipped(&rep, &problems);
	unsigned passed = 0, failed = 0;

	for (size_t i = 0; i < rules_count(rs); i++) {
		const char *name;
		unsigned long hits;

		rules_counter(rs, i, &name, &hits);
		if (!scored(name))
			continue;
		check_message(rs, name, "hit") ? passed++ : failed++;
		check_message(rs, name, "miss") ? passed++ : failed++;
	}
	printf("shipped rules: %u messages passed, %u failed\n", passed, failed);
	fflush(stdout); /* a failed assertion ends the test process */
	ck_assert_uint_eq(failed, 0);
	ck_assert_uint_eq(passed, 2 * SHIPPED_SCORED);
	rules_free(&rs);
	sb_free(&problems);
}
END_TEST

/* Every message names a rule that exists: none left behind by a rename. */
START_TEST(test_no_stray_messages)
{
	struct rules_report rep;
	struct strbuf problems;
	struct ruleset *rs = load_shipped(&rep, &problems);
	DIR *d = opendir(SHIPPED_DATA);
	struct dirent *e;
	unsigned n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL) {
		const char *dot = strchr(e->d_name, '.');
		int found = 0;

		if (e->d_name[0] == '.')
			continue;
		ck_assert_msg(dot != NULL && (strcmp(dot, ".hit.eml") == 0 ||
					      strcmp(dot, ".miss.eml") == 0),
			      "%s: not RULE.hit.eml or RULE.miss.eml", e->d_name);
		for (size_t i = 0; i < rules_count(rs) && !found; i++) {
			const char *name;
			unsigned long hits;

			rules_counter(rs, i, &name, &hits);
			found = strlen(name) == (size_t)(dot - e->d_name) &&
				strncmp(name, e->d_name, (size_t)(dot - e->d_name)) == 0 &&
				scored(name);
		}
		ck_assert_msg(found, "%s: no scored rule of that name", e->d_name);
		n++;
	}
	closedir(d);
	ck_assert_uint_eq(n, 2 * SHIPPED_SCORED);
	rules_free(&rs);
	sb_free(&problems);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("shipped_rules");
	TCase *tc = tcase_create("shipped_rules");

	if (getenv("top_srcdir") != NULL && chdir(getenv("top_srcdir")) != 0)
		return 1;
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_loads_clean);
	tcase_add_test(tc, test_messages);
	tcase_add_test(tc, test_no_stray_messages);
	suite_add_tcase(s, tc);
	return run_suite(s, "shipped_rules");
}
