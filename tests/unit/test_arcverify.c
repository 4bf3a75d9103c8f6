/* ARC chain validation through the streaming API, keys served by the test
 * DNS server: a passing two-set chain and what it reports, a chain whose
 * older message signature broke (oldest-pass), the body altered after
 * sealing, a key lookup that times out, no ARC at all, chains past the
 * RFC 8617 limit of 50 sets and messages past the kept-header limit. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakedns.h"
#include "mailsift/arcverify.h"
#include "mailsift/msgfile.h"
#include "test_support.h"

#define KEY_NAME "dummy._domainkey.example.org"

/* The suite's key for d=example.org s=dummy (tests/data/arc). */
static const char dummy_key[] =
	"v=DKIM1; k=rsa; "
	"p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQ"
	"iY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9Pzox"
	"ZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB";

static struct fakedns *dns;
static struct dns_resolver *resolver;
static struct dns_budget budget;
static struct arcverify_msg *msg;
static struct arc_result res;
static char authres[512];

static void setup(void)
{
	struct dns_options o = {.timeout_ms = 300, .cache = 0, .cache_size = 1 << 20};
	const char *err = NULL;

	dns = fakedns_start();
	ck_assert_ptr_nonnull(dns);
	o.servers = fakedns_server(dns);
	resolver = dns_resolver_new(&o, &err);
	ck_assert_msg(resolver != NULL, "%s", err);
	dns_budget_start(&budget, 3000);
}

static void teardown(void)
{
	arcverify_end(&msg);
	dns_resolver_free(&resolver);
	fakedns_stop(&dns);
}

static void read_message(const char *name, struct msgfile *mf)
{
	char path[4096];
	const char *top = getenv("top_srcdir"), *err = NULL;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/tests/data/arc/%s", top ? top : ".", name);
	fp = fopen(path, "rb");
	ck_assert_msg(fp != NULL, "cannot open %s", path);
	ck_assert_int_eq(msgfile_read(fp, mf, &err), 0);
	fclose(fp);
}

/* Validates the file's message, its body replaced when body is not NULL;
 * fills res and authres (valid until teardown). */
static void verify_file(const char *name, const char *body)
{
	struct msgfile mf;

	read_message(name, &mf);
	msg = arcverify_begin(resolver, &budget);
	ck_assert_ptr_nonnull(msg);
	for (size_t i = 0; i < mf.nheaders; i++)
		arcverify_header(msg, mf.headers[i].name, mf.headers[i].raw);
	arcverify_eoh(msg);
	if (body == NULL)
		body = mf.body;
	arcverify_body(msg, (const unsigned char *)body,
		       body == mf.body ? mf.body_len : strlen(body));
	arcverify_eom(msg, &res);
	ck_assert_int_eq(arcverify_authres(&res, authres, sizeof(authres)), 0);
	msgfile_free(&mf);
}

START_TEST(two_sets_pass)
{
	ck_assert_int_eq(fakedns_add_txt_text(dns, KEY_NAME, dummy_key), 0);
	verify_file("pass-i2.eml", NULL);
	ck_assert_str_eq(arc_cv_name(res.cv), "pass");
	ck_assert_str_eq(res.reason, "");
	ck_assert_uint_eq(res.nsets, 2);
	ck_assert_uint_eq(res.oldest_pass, 0);
	ck_assert_str_eq(authres, "arc=pass");
	for (unsigned i = 0; i < 2; i++) {
		ck_assert_uint_eq(res.sets[i].instance, i + 1);
		ck_assert_str_eq(res.sets[i].as_domain, "example.org");
		ck_assert_str_eq(res.sets[i].as_selector, "dummy");
		ck_assert_str_eq(res.sets[i].ams_domain, "example.org");
		ck_assert_str_eq(res.sets[i].ams_selector, "dummy");
		ck_assert_str_eq(res.sets[i].aar,
				 "lists.example.org;\n"
				 "    spf=pass smtp.mfrom=jqd@d1.example;\n"
				 "    dkim=pass (1024-bit key) header.i=@d1.example;\n"
				 "    dmarc=pass");
	}
}
END_TEST

START_TEST(older_signature_broken_gives_oldest_pass)
{
	ck_assert_int_eq(fakedns_add_txt_text(dns, KEY_NAME, dummy_key), 0);
	verify_file("pass-i2-ams1-invalid.eml", NULL);
	ck_assert_str_eq(arc_cv_name(res.cv), "pass");
	ck_assert_uint_eq(res.oldest_pass, 2);
	ck_assert_str_eq(authres, "arc=pass header.oldest-pass=2");
}
END_TEST

START_TEST(body_altered_after_sealing)
{
	ck_assert_int_eq(fakedns_add_txt_text(dns, KEY_NAME, dummy_key), 0);
	verify_file("pass-i2.eml", "Hey gang,\nThis is a test message.\n--J. (added)\n");
	ck_assert_int_eq(res.cv, ARC_CV_FAIL);
	ck_assert_str_eq(res.reason, "ARC-Message-Signature i=2: body hash mismatch");
	ck_assert_str_eq(authres, "arc=fail (ARC-Message-Signature i=2: body hash mismatch)");
	ck_assert_uint_eq(res.nsets, 2);
	ck_assert_str_eq(res.sets[1].as_domain, "example.org");
}
END_TEST

START_TEST(key_lookup_times_out)
{
	static const int none[] = {0};

	ck_assert_int_eq(fakedns_add_timeout(dns, KEY_NAME, none), 0);
	verify_file("pass-i2.eml", NULL);
	ck_assert_int_eq(res.cv, ARC_CV_TEMPERROR);
	ck_assert_str_eq(arc_cv_name(res.cv), "temperror");
	ck_assert_str_eq(res.reason, "ARC-Message-Signature i=2: key lookup failed for now");
	ck_assert_str_eq(authres, "arc=fail (temporary error: ARC-Message-Signature i=2: key "
				  "lookup failed for now)");
	/* the key is asked for once: the seals use the answer remembered */
	ck_assert_uint_le(fakedns_queries(dns), 3);
}
END_TEST

START_TEST(no_arc_headers)
{
	static const unsigned char body[] = "Hello.\n";

	msg = arcverify_begin(resolver, &budget);
	ck_assert_ptr_nonnull(msg);
	arcverify_header(msg, "From", " a@example.org");
	arcverify_header(msg, "Subject", " hi");
	arcverify_eoh(msg);
	arcverify_body(msg, body, sizeof(body) - 1);
	arcverify_eom(msg, &res);
	ck_assert_int_eq(res.cv, ARC_CV_NONE);
	ck_assert_uint_eq(res.nsets, 0);
	ck_assert_ptr_null(res.sets);
	ck_assert_str_eq(res.reason, "");
	ck_assert_int_eq(arcverify_authres(&res, authres, sizeof(authres)), 0);
	ck_assert_str_eq(authres, "arc=none");
	ck_assert_int_eq(arcverify_authres(&res, authres, 8), -1);
	ck_assert_uint_eq(fakedns_queries(dns), 0);
}
END_TEST

/* sets ARC sets with instances 1..sets, well-formed but unsigned */
static void feed_sets(unsigned sets, unsigned first)
{
	char v[256];

	msg = arcverify_begin(resolver, &budget);
	ck_assert_ptr_nonnull(msg);
	for (unsigned i = first; i < first + sets; i++) {
		snprintf(v, sizeof(v), " i=%u; a=rsa-sha256; cv=%s; d=example.org; s=dummy; b=AAAA",
			 i, i == 1 ? "none" : "pass");
		arcverify_header(msg, "ARC-Seal", v);
		snprintf(v, sizeof(v),
			 " i=%u; a=rsa-sha256; d=example.org; s=dummy; h=from; bh=%s; b=AAAA", i,
			 "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
		arcverify_header(msg, "ARC-Message-Signature", v);
		snprintf(v, sizeof(v), " i=%u; mx.example.org; none", i);
		arcverify_header(msg, "ARC-Authentication-Results", v);
	}
	arcverify_eoh(msg);
	arcverify_eom(msg, &res);
}

START_TEST(more_than_50_sets)
{
	feed_sets(51, 1);
	ck_assert_int_eq(res.cv, ARC_CV_FAIL);
	ck_assert_str_eq(res.reason, "more than 50 ARC sets");
	ck_assert_uint_eq(fakedns_queries(dns), 0);
}
END_TEST

START_TEST(instance_above_50)
{
	feed_sets(1, 51);
	ck_assert_int_eq(res.cv, ARC_CV_FAIL);
	ck_assert_str_eq(res.reason, "ARC-Seal: instance above 50");
}
END_TEST

START_TEST(fifty_sets_are_checked)
{
	/* the structure is fine: the first signature is what fails */
	feed_sets(50, 1);
	ck_assert_int_eq(res.cv, ARC_CV_FAIL);
	ck_assert_str_eq(res.reason, "ARC-Message-Signature i=50: body hash mismatch");
	ck_assert_uint_eq(res.nsets, 50);
	ck_assert_str_eq(res.sets[49].aar, "mx.example.org; none");
}
END_TEST

/* Past the kept-header limit a chain cannot be checked; no chain is none. */
static void feed_many_headers(int with_arc)
{
	msg = arcverify_begin(resolver, &budget);
	ck_assert_ptr_nonnull(msg);
	for (int i = 0; i < 1001; i++)
		arcverify_header(msg, "Received", " from somewhere");
	if (with_arc)
		arcverify_header(msg, "ARC-Seal",
				 " i=1; a=rsa-sha256; cv=none; d=x.org; s=s; b=AAAA");
	arcverify_eoh(msg);
	arcverify_eom(msg, &res);
}

START_TEST(header_limit)
{
	feed_many_headers(0);
	ck_assert_int_eq(res.cv, ARC_CV_NONE);
	arcverify_end(&msg);
	feed_many_headers(1);
	ck_assert_int_eq(res.cv, ARC_CV_FAIL);
	ck_assert_str_eq(res.reason, "header too large to check: too many header fields or bytes");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("arcverify");
	TCase *tc = tcase_create("arcverify");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, two_sets_pass);
	tcase_add_test(tc, older_signature_broken_gives_oldest_pass);
	tcase_add_test(tc, body_altered_after_sealing);
	tcase_add_test(tc, key_lookup_times_out);
	tcase_add_test(tc, no_arc_headers);
	tcase_add_test(tc, more_than_50_sets);
	tcase_add_test(tc, instance_above_50);
	tcase_add_test(tc, fifty_sets_are_checked);
	tcase_add_test(tc, header_limit);
	suite_add_tcase(s, tc);
	return run_suite(s, "arcverify");
}
