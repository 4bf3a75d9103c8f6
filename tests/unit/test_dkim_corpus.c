/* The Mail::DKIM verifier corpus (tests/data/dkim/mail-dkim): each message
 * verified by dkimverify, keys from FAKE_DNS.dat served by the test DNS
 * server. A message's result is pass when a signature passes, else fail
 * when one fails, else invalid when it has signatures, else none; it is
 * compared with DERIVED-expected.tsv. Differences are listed with their
 * reason in known-failures; the test fails on an unlisted difference or a
 * listed case that now agrees. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakedns.h"
#include "mailsift/dkimverify.h"
#include "mailsift/msgfile.h"

#include "test_support.h"

#define DIR "tests/data/dkim/mail-dkim"

static void path_of(char *out, size_t len, const char *name)
{
	const char *top = getenv("top_srcdir");

	snprintf(out, len, "%.2000s/" DIR "/%.1000s", top ? top : ".", name);
}

static int is_known(const char *file)
{
	return test_known("dkim/mail-dkim/known-failures", file);
}

/* FAKE_DNS.dat: "NAME VALUE" lines; NXDOMAIN, timeouts and SERVFAIL. */
static void load_keys(struct fakedns *d)
{
	char path[4096], line[4096];
	FILE *fp;

	path_of(path, sizeof(path), "FAKE_DNS.dat");
	fp = fopen(path, "r");
	ck_assert_ptr_nonnull(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *sp, *v;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || (sp = strpbrk(line, " \t")) == NULL)
			continue;
		*sp = '\0';
		v = sp + 1 + strspn(sp + 1, " \t");
		if (strcmp(v, "NXDOMAIN") == 0)
			continue;
		if (strcmp(v, "~~Query timed out~~") == 0) {
			fakedns_add_timeout(d, line, NULL);
			continue;
		}
		if (strcmp(v, "~~SERVFAIL~~") == 0) {
			fakedns_add_servfail(d, line);
			continue;
		}
		if (strcmp(v, "\"\"") == 0)
			v += 2;
		ck_assert_int_eq(fakedns_add_txt_text(d, line, v), 0);
	}
	fclose(fp);
}

static const char *verify_file(struct dkimverify *v, const char *file)
{
	char path[4096];
	struct dkim_sig_result res[DKIMVERIFY_MAX_SIGS];
	struct dkimverify_msg *m;
	struct dns_budget b;
	struct msgfile mf;
	const char *err = NULL, *out = "none";
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "corpus/%.200s", file);
	{
		char full[8192];
		path_of(full, sizeof(full), path);
		fp = fopen(full, "rb");
	}
	ck_assert_msg(fp != NULL, "cannot open %s", file);
	ck_assert_int_eq(msgfile_read(fp, &mf, &err), 0);
	fclose(fp);
	dns_budget_start(&b, 2000);
	m = dkimverify_begin(v, &b);
	ck_assert_ptr_nonnull(m);
	for (size_t i = 0; i < mf.nheaders; i++)
		dkimverify_header(m, mf.headers[i].name, mf.headers[i].raw);
	dkimverify_eoh(m);
	dkimverify_body(m, (const unsigned char *)mf.body, mf.body_len);
	n = dkimverify_eom(m, res, DKIMVERIFY_MAX_SIGS);
	if (n > 0)
		out = "invalid";
	if (getenv("DKIM_CORPUS_VERBOSE") != NULL)
		for (size_t i = 0; i < n; i++)
			printf("  %s sig %zu: %s d=%s s=%s %s\n", file, i,
			       dkim_result_name(res[i].result), res[i].domain, res[i].selector,
			       res[i].reason);
	for (size_t i = 0; i < n; i++) {
		if (res[i].result == DKIMR_PASS)
			out = "pass";
		else if (res[i].result == DKIMR_FAIL && strcmp(out, "pass") != 0)
			out = "fail";
	}
	dkimverify_end(&m);
	msgfile_free(&mf);
	return out;
}

START_TEST(mail_dkim_corpus)
{
	struct fakedns *d = fakedns_start();
	struct dns_options o = {.timeout_ms = 300, .cache = 0, .cache_size = 1 << 20};
	char path[4096], line[4096];
	int passed = 0, failed = 0, unexpected = 0, stale = 0, skipped = 0;
	const char *err = NULL;
	struct dns_resolver *r;
	struct dkimverify *v;
	FILE *fp;

	ck_assert_ptr_nonnull(d);
	load_keys(d);
	o.servers = fakedns_server(d);
	r = dns_resolver_new(&o, &err);
	ck_assert_ptr_nonnull(r);
	v = dkimverify_new(r, &err);
	ck_assert_ptr_nonnull(v);
	path_of(path, sizeof(path), "DERIVED-expected.tsv");
	fp = fopen(path, "r");
	ck_assert_ptr_nonnull(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *file = strtok(line, "\t"), *expected = strtok(NULL, "\t");
		char *skip = strtok(NULL, "\t");

		if (file == NULL || expected == NULL || line[0] == '#' || strcmp(file, "file") == 0)
			continue;
		if (skip != NULL && skip[0] != '\0' && strstr(expected, "pass") == NULL &&
		    strstr(expected, "fail") == NULL && strstr(expected, "invalid") == NULL) {
			skipped++;
			continue;
		}
		const char *got = verify_file(v, file);
		int ok = strcmp(got, expected) == 0;
		if (ok) {
			passed++;
			if (is_known(file)) {
				stale++;
				printf("mail-dkim %s: agrees but is listed in known-failures\n",
				       file);
			}
			continue;
		}
		failed++;
		if (is_known(file)) {
			printf("mail-dkim %s: known difference: expected %s, got %s\n", file,
			       expected, got);
			continue;
		}
		unexpected++;
		printf("mail-dkim %s: expected %s, got %s\n", file, expected, got);
	}
	fclose(fp);
	printf("mail-dkim: %d passed, %d failed (listed in " DIR "/known-failures), %d skipped\n",
	       passed, failed, skipped);
	fflush(stdout);
	dkimverify_free(&v);
	dns_resolver_free(&r);
	fakedns_stop(&d);
	ck_assert_msg(unexpected == 0, "%d differences not in known-failures", unexpected);
	ck_assert_msg(stale == 0, "%d listed cases now agree", stale);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dkim_corpus");
	TCase *tc = tcase_create("dkim_corpus");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, mail_dkim_corpus);
	suite_add_tcase(s, tc);
	return run_suite(s, "dkim_corpus");
}
