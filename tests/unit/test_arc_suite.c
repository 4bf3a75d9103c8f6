/* The ValiMail ARC validation suite through the arcverify streaming API:
 * each scenario's keys are served by the test DNS server (fakedns.c) and
 * fetched by the project's own resolver, as in production. Every message
 * is fed twice, its body whole and in small chunks, and both runs must
 * agree.
 *
 * Results that still differ from the suite are listed, with the reason,
 * in tests/data/arc/known-failures; the test fails when a case fails that
 * is not listed there, or passes while listed (the list must then shrink). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakedns.h"
#include "mailsift/arcverify.h"
#include "mailsift/dns.h"
#include "mailsift/msgfile.h"
#include "test_support.h"

#define LINE_MAX_LEN 8192
#define MESSAGE_MAX (256 * 1024)
#define SUITE_CASES 170

struct tcase_data {
	char name[128];
	char cv[16];
	char message[MESSAGE_MAX];
	size_t len;
	int nlines;
	int index;
};

struct counts {
	int passed, failed, known, unexpected, stale;
};

static int is_known(const char *name)
{
	return test_known("arc/known-failures", name);
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* Decodes one "quoted string" into out; returns its length. */
static size_t unquote(const char *s, char *out, size_t cap)
{
	size_t o = 0;

	ck_assert_int_eq(*s, '"');
	for (s++; *s && *s != '"'; s++) {
		char c = *s;
		if (c == '\\' && s[1] == 'x') {
			c = (char)(hexval(s[2]) * 16 + hexval(s[3]));
			s += 3;
		} else if (c == '\\') {
			c = *++s;
		}
		ck_assert_uint_lt(o + 1, cap);
		out[o++] = c;
	}
	ck_assert_int_eq(*s, '"');
	out[o] = '\0';
	return o;
}

static void add_txt(struct fakedns *d, char *line)
{
	static char text[LINE_MAX_LEN];
	char *sp = strchr(line, ' ');

	ck_assert_ptr_nonnull(sp);
	*sp = '\0';
	unquote(sp + 1, text, sizeof(text));
	ck_assert_int_eq(fakedns_add_txt_text(d, line, text), 0);
}

static void add_line(struct tcase_data *t, const char *quoted)
{
	if (t->nlines++ > 0)
		t->message[t->len++] = '\n';
	t->len += unquote(quoted, t->message + t->len, sizeof(t->message) - t->len);
}

/* One run through the API; the body whole (chunk 0) or in chunks. */
static enum arc_cv run_api(struct dns_resolver *r, const struct msgfile *mf, size_t chunk,
			   char *reason, size_t cap)
{
	struct dns_budget b;
	struct arcverify_msg *m;
	struct arc_result res;
	enum arc_cv cv;

	dns_budget_start(&b, 5000);
	m = arcverify_begin(r, &b);
	ck_assert_ptr_nonnull(m);
	for (size_t i = 0; i < mf->nheaders; i++)
		arcverify_header(m, mf->headers[i].name, mf->headers[i].raw);
	arcverify_eoh(m);
	for (size_t off = 0; off < mf->body_len;) {
		size_t n = chunk == 0 || chunk > mf->body_len - off ? mf->body_len - off : chunk;
		arcverify_body(m, (const unsigned char *)mf->body + off, n);
		off += n;
	}
	arcverify_eom(m, &res);
	cv = res.cv;
	snprintf(reason, cap, "%s", res.reason);
	arcverify_end(&m);
	return cv;
}

/* The suite's empty cv: see tests/data/arc/README.md. */
static enum arc_cv expected_cv(const char *cv)
{
	if (strcmp(cv, "pass") == 0)
		return ARC_CV_PASS;
	if (strcmp(cv, "none") == 0)
		return ARC_CV_NONE;
	ck_assert_msg(strcmp(cv, "fail") == 0 || strcmp(cv, "empty") == 0, "cv %s", cv);
	return ARC_CV_FAIL;
}

static void run_one(struct dns_resolver *r, const struct tcase_data *t, struct counts *c)
{
	char reason[256], reason2[256];
	const char *err = NULL;
	struct msgfile mf;
	FILE *fp = fmemopen((void *)t->message, t->len, "r");
	enum arc_cv got, got2;
	int ok, listed = is_known(t->name);

	ck_assert_ptr_nonnull(fp);
	ck_assert_msg(msgfile_read(fp, &mf, &err) == 0, "%s: %s", t->name, err);
	fclose(fp);
	got = run_api(r, &mf, 0, reason, sizeof(reason));
	/* chunks of 1 to 13 bytes, changing with the case */
	got2 = run_api(r, &mf, (size_t)(t->index % 13) + 1, reason2, sizeof(reason2));
	msgfile_free(&mf);
	ck_assert_msg(got == got2, "%s: whole body %s (%s), chunked %s (%s)", t->name,
		      arc_cv_name(got), reason, arc_cv_name(got2), reason2);
	ok = got == expected_cv(t->cv);
	if (getenv("ARC_SUITE_VERBOSE") != NULL)
		printf("%s: expected %s, got %s (%s)\n", t->name, t->cv, arc_cv_name(got), reason);
	if (ok) {
		c->passed++;
		if (listed) {
			c->stale++;
			printf("%s: passes but is listed in known-failures\n", t->name);
		}
		return;
	}
	c->failed++;
	if (listed)
		c->known++;
	else
		c->unexpected++;
	printf("%s: %sexpected %s, got %s (%s)\n", t->name, listed ? "known difference: " : "",
	       t->cv, arc_cv_name(got), reason);
}

static void directive(struct fakedns *d, struct dns_resolver *r, char *line, struct tcase_data *t,
		      struct counts *c)
{
	if (strncmp(line, "scenario ", 9) == 0) {
		fakedns_clear(d);
	} else if (strncmp(line, "txt ", 4) == 0) {
		add_txt(d, line + 4);
	} else if (strncmp(line, "test ", 5) == 0) {
		int index = t->index + 1;
		memset(t, 0, sizeof(*t));
		t->index = index;
		snprintf(t->name, sizeof(t->name), "%.127s", line + 5);
	} else if (strncmp(line, "cv ", 3) == 0) {
		snprintf(t->cv, sizeof(t->cv), "%.15s", line + 3);
	} else if (strncmp(line, "line ", 5) == 0) {
		add_line(t, line + 5);
	} else if (strcmp(line, "end") == 0) {
		run_one(r, t, c);
	} else {
		ck_assert_msg(line[0] == '#' || strncmp(line, "spec ", 5) == 0, "bad line: %s",
			      line);
	}
}

static struct counts run_file(void)
{
	static struct tcase_data t;
	static char line[LINE_MAX_LEN];
	char path[4096];
	const char *top = getenv("top_srcdir"), *err = NULL;
	struct fakedns *d = fakedns_start();
	struct dns_options o = {.timeout_ms = 300, .cache = 0, .cache_size = 1 << 20};
	struct counts c = {0};
	struct dns_resolver *r;
	FILE *fp;

	ck_assert_ptr_nonnull(d);
	o.servers = fakedns_server(d);
	r = dns_resolver_new(&o, &err);
	ck_assert_msg(r != NULL, "%s", err);
	snprintf(path, sizeof(path), "%s/tests/data/arc/validation.cases", top ? top : ".");
	fp = fopen(path, "r");
	ck_assert_msg(fp != NULL, "cannot open %s", path);
	memset(&t, 0, sizeof(t));
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		directive(d, r, line, &t, &c);
	}
	fclose(fp);
	dns_resolver_free(&r);
	fakedns_stop(&d);
	printf("arc validation: %d passed, %d failed (%d of them listed in "
	       "tests/data/arc/known-failures)\n",
	       c.passed, c.failed, c.known);
	fflush(stdout); /* a failed check ends the forked test at once */
	return c;
}

START_TEST(validation_suite)
{
	struct counts c;

	c = run_file();
	ck_assert_int_eq(c.passed + c.failed, SUITE_CASES);
	ck_assert_msg(c.unexpected == 0, "%d cases fail that known-failures does not list",
		      c.unexpected);
	ck_assert_msg(c.stale == 0, "%d cases pass that known-failures still lists", c.stale);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("arc_suite");
	TCase *tc = tcase_create("arc_suite");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, validation_suite);
	suite_add_tcase(s, tc);
	return run_suite(s, "arc_suite");
}
