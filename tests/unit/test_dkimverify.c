/* DKIM verification through libopendkim, keys served by the test DNS
 * server: the RFC 8463 example (Ed25519 and RSA signatures), the same
 * message altered, missing keys and key lookups that time out. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fakedns.h"
#include "mailsift/dkimverify.h"
#include "mailsift/msgfile.h"

int run_suite(Suite *s, const char *name);

static const char ed_key[] = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
static const char rsa_key[] =
	"v=DKIM1; g=*; k=rsa; "
	"p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08"
	"a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3"
	"rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB";

static struct fakedns *dns;

static void add_key(const char *name, const char *value)
{
	ck_assert_int_eq(fakedns_add_txt_text(dns, name, value), 0);
}

static void read_named(const char *name, struct msgfile *mf)
{
	char path[4096];
	const char *top = getenv("top_srcdir"), *err = NULL;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/tests/data/dkim/%s", top ? top : ".", name);
	fp = fopen(path, "rb");
	ck_assert_msg(fp != NULL, "cannot open %s", path);
	ck_assert_int_eq(msgfile_read(fp, mf, &err), 0);
	fclose(fp);
}

/* A verifier against the test DNS server, and one message in progress. */
struct run {
	struct dns_resolver *r;
	struct dkimverify *v;
	struct dkimverify_msg *m;
	struct dns_budget b;
	struct msgfile mf;
};

/* Reads tests/data/dkim/name and starts verifying it. */
static void run_begin(struct run *run, const char *name, unsigned budget_ms)
{
	struct dns_options o = {.servers = fakedns_server(dns),
				.timeout_ms = 300,
				.cache = 0,
				.cache_size = 1 << 20};
	const char *err = NULL;

	run->r = dns_resolver_new(&o, &err);
	ck_assert_ptr_nonnull(run->r);
	run->v = dkimverify_new(run->r, &err);
	ck_assert_msg(run->v != NULL, "%s", err);
	read_named(name, &run->mf);
	dns_budget_start(&run->b, budget_ms);
	run->m = dkimverify_begin(run->v, &run->b);
	ck_assert_ptr_nonnull(run->m);
}

/* The message's header fields (but those named skip), then body, or the
 * message's own body when body is NULL. */
static void run_feed(struct run *run, const char *skip, const char *body)
{
	for (size_t i = 0; i < run->mf.nheaders; i++)
		if (skip == NULL || strcasecmp(run->mf.headers[i].name, skip) != 0)
			dkimverify_header(run->m, run->mf.headers[i].name, run->mf.headers[i].raw);
	dkimverify_eoh(run->m);
	if (body != NULL)
		dkimverify_body(run->m, (const unsigned char *)body, strlen(body));
	else
		dkimverify_body(run->m, (const unsigned char *)run->mf.body, run->mf.body_len);
}

static void run_end(struct run *run)
{
	dkimverify_end(&run->m);
	dkimverify_free(&run->v);
	dns_resolver_free(&run->r);
	msgfile_free(&run->mf);
}

/* Verifies the example, with its body replaced when body is not NULL;
 * returns "result/reason|result/reason". */
static const char *verify(const char *body)
{
	static char out[512];
	struct dkim_sig_result res[4];
	struct run run;
	size_t n, off = 0;

	run_begin(&run, "rfc6376.signed.msg", 2000);
	run_feed(&run, NULL, body);
	n = dkimverify_eom(run.m, res, 4);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(out + off, sizeof(out) - off, "%s%s %s.%s b=%s %s",
					i ? "|" : "", dkim_result_name(res[i].result),
					res[i].selector, res[i].domain, res[i].b, res[i].reason);
	run_end(&run);
	return out;
}

static void setup(void)
{
	dns = fakedns_start();
	ck_assert_ptr_nonnull(dns);
}

static void teardown(void)
{
	fakedns_stop(&dns);
}

START_TEST(rfc8463_example_passes)
{
	add_key("brisbane._domainkey.football.example.com", ed_key);
	add_key("test._domainkey.football.example.com", rsa_key);
	ck_assert_str_eq(verify(NULL),
			 "pass brisbane.football.example.com b=9/dsDChY signature verified|"
			 "pass test.football.example.com b=icKcLSEZ signature verified");
}
END_TEST

START_TEST(altered_body_fails)
{
	add_key("brisbane._domainkey.football.example.com", ed_key);
	add_key("test._domainkey.football.example.com", rsa_key);
	ck_assert_str_eq(verify("Hi.\n\nWe won the game.  Are you hungry yet?\n\nJoe.\n\n"),
			 "fail brisbane.football.example.com b=9/dsDChY body hash mismatch|"
			 "fail test.football.example.com b=icKcLSEZ body hash mismatch");
}
END_TEST

START_TEST(key_trouble)
{
	static const int none[] = {0};

	/* no ed25519 key at all; the RSA key's lookup never answered */
	fakedns_add_timeout(dns, "test._domainkey.football.example.com", none);
	const char *got = verify(NULL);
	ck_assert_msg(strncmp(got, "permerror brisbane.football.example.com b=9/dsDChY ", 51) == 0,
		      "%s", got);
	ck_assert_msg(strstr(got, "|temperror test.football.example.com b=icKcLSEZ ") != NULL, "%s",
		      got);
}
END_TEST

/* dkimpy's other pre-signed messages: Exim's Ed25519 signature and a real
 * Gmail signature with "degenerate" folding (keys from its test data). */
static const char *verify_named(const char *name)
{
	static char out[512];
	struct dkim_sig_result res[4];
	struct run run;
	size_t n;

	run_begin(&run, name, 2000);
	run_feed(&run, NULL, NULL);
	n = dkimverify_eom(run.m, res, 4);
	snprintf(out, sizeof(out), "%zu %s %s %s", n, n ? dkim_result_name(res[0].result) : "-",
		 n ? res[0].domain : "-", n ? res[0].reason : "-");
	run_end(&run);
	return out;
}

START_TEST(dkimpy_vectors)
{
	add_key("sed._domainkey.test.ex",
		"v=DKIM1; k=ed25519; p=sPs07Vu29FpHT/80UXUcYHFOHifD4o2ZlP2+XUh9g6E=");
	add_key("20120113._domainkey.gmail.com",
		"k=rsa; "
		"p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA1Kd87/"
		"UeJjenpabgbFwh+eBCsSTrqmwIYYvywlbhbqoo2DymndFkbjOVIPIldNs/"
		"m40KF+yzMn1skyoxcTUGCQs8g3FgD2Ap3ZB5DekAo5wMmk4wimDO+U8QzI3SD07y2+"
		"07wlNWwIt8svnxgdxGkVbbhzY8i+RQ9DpSVpPbF7ykQxtKXkv/"
		"ahW3KjViiAH+ghvvIhkx4xYSIc9oSwVmAl5OctMEeWUwg8Istjqz8BZeTWbf41fbNhte7Y+"
		"YqZOwq1Sd0DbvYAD9NOZK9vlfuac0598HY+"
		"vtSBczUiKERHv1yRbcaQtZFh5wtiRrN04BLUTD21MycBX5jYchHjPY/wIDAQAB");
	ck_assert_str_eq(verify_named("ed25519test2.msg"), "1 pass test.ex signature verified");
	ck_assert_str_eq(verify_named("test2.message"), "1 pass gmail.com signature verified");
}
END_TEST

/* A message with 40 signatures, each with its own key: only the first
 * DKIMVERIFY_MAX_SIGS are looked at, so a message cannot make us fetch
 * keys without end. */
START_TEST(signature_count_is_bounded)
{
	struct dkim_sig_result res[DKIMVERIFY_MAX_SIGS + 8];
	struct run run;
	size_t n, passed = 0;

	run_begin(&run, "rfc6376.signed.msg", 5000);
	/* 40 signatures, each naming its own selector: 40 different keys */
	for (int copy = 0; copy < 40; copy++) {
		char sig[256];

		snprintf(sig, sizeof(sig),
			 " v=1; a=rsa-sha256; c=relaxed/relaxed; d=football.example.com; s=sel%d; "
			 "h=from; bh=AAAA; b=AAAA",
			 copy);
		dkimverify_header(run.m, "DKIM-Signature", sig);
	}
	run_feed(&run, "DKIM-Signature", NULL);
	n = dkimverify_eom(run.m, res, DKIMVERIFY_MAX_SIGS + 8);
	for (size_t i = 0; i < n; i++)
		passed += res[i].result == DKIMR_PASS;
	ck_assert_uint_eq(n, DKIMVERIFY_MAX_SIGS);
	ck_assert_uint_eq(passed, 0);
	ck_assert_uint_le(fakedns_queries(dns), DKIMVERIFY_MAX_SIGS);
	run_end(&run);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dkimverify");
	TCase *tc = tcase_create("dkimverify");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, rfc8463_example_passes);
	tcase_add_test(tc, altered_body_fails);
	tcase_add_test(tc, key_trouble);
	tcase_add_test(tc, signature_count_is_bounded);
	tcase_add_test(tc, dkimpy_vectors);
	suite_add_tcase(s, tc);
	return run_suite(s, "dkimverify");
}
