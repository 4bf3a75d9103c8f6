/* The runner the unit test programs share.
 *
 * A test case (TCase) whose name starts with "bug_" shows a bug that is not
 * fixed yet: its tests are expected to fail, and are reported as XFAIL. Once
 * the bug is fixed such a test passes, is reported as XPASS and fails the
 * run, so that its tests get moved to a regular case. Every other test must
 * pass. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "test_support.h"

#define KNOWN_MAX (64 * 1024)

int test_known(const char *relpath, const char *id)
{
	static char known[KNOWN_MAX];
	static char loaded[256];
	char path[4096], key[512];
	const char *top = getenv("top_srcdir");
	FILE *fp;
	size_t n;

	if (strcmp(loaded, relpath) != 0) {
		snprintf(path, sizeof(path), "%s/tests/data/%s", top ? top : ".", relpath);
		fp = fopen(path, "r");
		ck_assert_msg(fp != NULL, "cannot open %s", path);
		/* a leading newline: every entry is then found as "\nID " */
		known[0] = '\n';
		n = fread(known + 1, 1, sizeof(known) - 2, fp);
		known[n + 1] = '\0';
		fclose(fp);
		snprintf(loaded, sizeof(loaded), "%s", relpath);
	}
	n = (size_t)snprintf(key, sizeof(key), "\n%s ", id);
	return n < sizeof(key) && strstr(known, key) != NULL;
}

int run_suite(Suite *s, const char *name)
{
	SRunner *sr = srunner_create(s);
	TestResult **res;
	int n, passed = 0, bad = 0, xfail = 0;

	srunner_run_all(sr, CK_SILENT);
	res = srunner_results(sr);
	n = srunner_ntests_run(sr);
	for (int i = 0; i < n; i++) {
		const char *tc = tr_tcname(res[i]), *file = tr_lfile(res[i]), *msg = tr_msg(res[i]);
		int known = strncmp(tc, "bug_", 4) == 0, ok = tr_rtype(res[i]) == CK_PASS;
		int line = tr_lno(res[i]);

		if (known && ok) {
			printf("XPASS: %s: the bug seems fixed; move its tests to a regular case\n",
			       tc);
			bad++;
		} else if (known) {
			printf("XFAIL: %s: %s:%d: %s\n", tc, file, line, msg);
			xfail++;
		} else if (!ok) {
			printf("FAIL: %s: %s:%d: %s\n", tc, file, line, msg);
			bad++;
		} else {
			passed++;
		}
	}
	printf("%s: %d passed, %d failed, %d known bugs (expected failures)\n", name, passed, bad,
	       xfail);
	free(res);
	srunner_free(sr);
	return bad != 0;
}

struct config *test_config_text(const char *text)
{
	char path[] = "/tmp/mailsift-test-XXXXXX";
	int fd = mkstemp(path);
	FILE *fp = fd >= 0 ? fdopen(fd, "w") : NULL;
	struct strbuf errors;
	struct config *cfg;

	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	fclose(fp);
	sb_init(&errors, 4096);
	cfg = config_load(path, &errors);
	unlink(path);
	ck_assert_msg(cfg != NULL, "%s", sb_str(&errors));
	sb_free(&errors);
	return cfg;
}
