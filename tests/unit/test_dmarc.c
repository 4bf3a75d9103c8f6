/* DMARC: record parsing (RFC 7489 6.3, 6.6.3) and evaluation against
 * records served by the test DNS server: alignment (relaxed through the
 * Public Suffix List, strict), p/sp, pct, several records, DNS trouble. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakedns.h"
#include "mailsift/dmarc.h"

int run_suite(Suite *s, const char *name);

static struct fakedns *dns;
static struct dns_resolver *resolver;
static struct psl *psl;

static void setup(void)
{
	char path[4096];
	const char *top = getenv("top_srcdir"), *err = NULL;
	struct dns_options o = {.timeout_ms = 300, .cache = 0, .cache_size = 1 << 20};

	snprintf(path, sizeof(path), "%s/tests/data/dmarc/public_suffix_list.dat", top ? top : ".");
	psl = psl_load(path, &err);
	ck_assert_msg(psl != NULL, "%s: %s", path, err);
	dns = fakedns_start();
	ck_assert_ptr_nonnull(dns);
	o.servers = fakedns_server(dns);
	resolver = dns_resolver_new(&o, &err);
	ck_assert_msg(resolver != NULL, "%s", err);
	fakedns_add_txt_text(dns, "_dmarc.example.com", "v=DMARC1; p=reject; sp=quarantine");
	fakedns_add_txt_text(dns, "_dmarc.example.com", "an unrelated TXT record");
	fakedns_add_txt_text(dns, "_dmarc.strict.example", "v=DMARC1; p=reject; aspf=s; adkim=s");
	fakedns_add_txt_text(dns, "_dmarc.sampled.example", "v=DMARC1; p=reject; pct=10");
	fakedns_add_txt_text(dns, "_dmarc.twice.example", "v=DMARC1; p=reject");
	fakedns_add_txt_text(dns, "_dmarc.twice.example", "v=DMARC1; p=none");
	fakedns_add_txt_text(dns, "_dmarc.example.co.uk", "v=DMARC1; p=reject");
	fakedns_add_timeout(dns, "_dmarc.slow.example", NULL);
	fakedns_add_txt_text(dns, "_dmarc.bad.example", "v=DMARC1; p=never");
}

static void teardown(void)
{
	dns_resolver_free(&resolver);
	fakedns_stop(&dns);
	psl_free(&psl);
}

static const char *parse(const char *text, struct dmarc_record *rec)
{
	const char *err = NULL;

	return dmarc_record_parse(text, rec, &err) == 0 ? "ok" : err;
}

START_TEST(record_syntax)
{
	struct dmarc_record r;

	ck_assert_str_eq(parse("v=DMARC1; p=reject", &r), "ok");
	ck_assert_int_eq(r.p, DMARC_P_REJECT);
	ck_assert_int_eq(r.sp, DMARC_P_REJECT);
	ck_assert_uint_eq(r.pct, 100);
	ck_assert_int_eq(r.aspf_strict, 0);
	ck_assert_str_eq(parse("v = DMARC1 ;p=Quarantine;sp=none;adkim=s;aspf=s;pct=20;", &r),
			 "ok");
	ck_assert_int_eq(r.p, DMARC_P_QUARANTINE);
	ck_assert_int_eq(r.sp, DMARC_P_NONE);
	ck_assert_int_eq(r.adkim_strict, 1);
	ck_assert_int_eq(r.aspf_strict, 1);
	ck_assert_uint_eq(r.pct, 20);
	ck_assert_str_eq(parse("v=DMARC1; p=reject; pct=150; adkim=x", &r), "ok");
	ck_assert_uint_eq(r.pct, 100);
	ck_assert_int_eq(r.adkim_strict, 0);
	/* 6.6.3: a bad p is p=none when reports are asked for */
	ck_assert_str_eq(parse("v=DMARC1; p=bogus; rua=mailto:d@example.com", &r), "ok");
	ck_assert_int_eq(r.p, DMARC_P_NONE);
	ck_assert_int_eq(r.sp, DMARC_P_NONE);
	ck_assert_str_eq(parse("v=DMARC1; p=bogus", &r), "invalid p= or sp= tag");
	ck_assert_str_eq(parse("v=DMARC1; p=reject; sp=bogus", &r), "invalid p= or sp= tag");
	ck_assert_str_eq(parse("v=DMARC1", &r), "no p= tag");
	ck_assert_str_eq(parse("p=reject; v=DMARC1", &r), "not a DMARC record (v=DMARC1 first)");
	ck_assert_str_eq(parse("v=dmarc1; p=reject", &r), "not a DMARC record (v=DMARC1 first)");
	ck_assert_str_eq(parse("", &r), "empty record");
}
END_TEST

static struct dmarc_outcome eval(const char *from, enum spf_result spf, const char *spf_domain,
				 enum dkim_result dkim, const char *dkim_domain, unsigned sample)
{
	struct dkim_sig_result sig;
	struct dmarc_auth auth = {.spf = spf, .spf_domain = spf_domain, .dkim = &sig};
	struct dmarc_outcome out;
	struct dns_budget b;

	memset(&sig, 0, sizeof(sig));
	if (dkim_domain != NULL) {
		sig.result = dkim;
		snprintf(sig.domain, sizeof(sig.domain), "%s", dkim_domain);
		auth.ndkim = 1;
	}
	dns_budget_start(&b, 2000);
	dmarc_evaluate(resolver, &b, psl, from, &auth, sample, &out);
	return out;
}

START_TEST(alignment)
{
	struct dmarc_outcome o;

	o = eval("Example.COM", SPFR_PASS, "bounce.example.com", DKIMR_PASS, NULL, 0);
	ck_assert_str_eq(dmarc_result_name(o.result), "pass");
	ck_assert_int_eq(o.spf_aligned, 1);
	ck_assert_str_eq(o.from_domain, "example.com");
	ck_assert_str_eq(o.policy_domain, "example.com");
	o = eval("example.com", SPFR_FAIL, "example.com", DKIMR_PASS, "mail.example.com", 0);
	ck_assert_str_eq(dmarc_result_name(o.result), "pass");
	ck_assert_int_eq(o.dkim_aligned, 1);
	ck_assert_int_eq(o.spf_aligned, 0);
	o = eval("example.com", SPFR_PASS, "other.example", DKIMR_PASS, "other.example", 0);
	ck_assert_str_eq(dmarc_result_name(o.result), "fail");
	ck_assert_int_eq(o.policy, DMARC_P_REJECT);
	ck_assert_int_eq(o.disposition, DMARC_P_REJECT);
	ck_assert_str_eq(o.reason, "no aligned SPF or DKIM pass");
	/* a signature that fails does not align */
	o = eval("example.com", SPFR_NONE, NULL, DKIMR_FAIL, "example.com", 0);
	ck_assert_str_eq(dmarc_result_name(o.result), "fail");
	/* strict: the same name only */
	o = eval("strict.example", SPFR_PASS, "mail.strict.example", DKIMR_PASS,
		 "mail.strict.example", 0);
	ck_assert_str_eq(dmarc_result_name(o.result), "fail");
	o = eval("strict.example", SPFR_PASS, "STRICT.example", DKIMR_FAIL, NULL, 0);
	ck_assert_str_eq(dmarc_result_name(o.result), "pass");
	/* relaxed goes by the Public Suffix List: co.uk is a suffix */
	o = eval("example.co.uk", SPFR_PASS, "other.co.uk", DKIMR_PASS, "co.uk", 0);
	ck_assert_str_eq(dmarc_result_name(o.result), "fail");
	o = eval("example.co.uk", SPFR_PASS, "mx.example.co.uk", DKIMR_FAIL, NULL, 0);
	ck_assert_str_eq(dmarc_result_name(o.result), "pass");
}
END_TEST

START_TEST(policy_discovery)
{
	struct dmarc_outcome o;

	/* a subdomain without its own record: the organizational domain's sp */
	o = eval("news.example.com", SPFR_FAIL, "news.example.com", DKIMR_FAIL, NULL, 0);
	ck_assert_str_eq(dmarc_result_name(o.result), "fail");
	ck_assert_str_eq(o.policy_domain, "example.com");
	ck_assert_int_eq(o.policy, DMARC_P_QUARANTINE);
	/* pct: outside the sample, the next less strict policy */
	o = eval("sampled.example", SPFR_FAIL, "sampled.example", DKIMR_FAIL, NULL, 9);
	ck_assert_int_eq(o.disposition, DMARC_P_REJECT);
	o = eval("sampled.example", SPFR_FAIL, "sampled.example", DKIMR_FAIL, NULL, 10);
	ck_assert_int_eq(o.policy, DMARC_P_REJECT);
	ck_assert_int_eq(o.disposition, DMARC_P_QUARANTINE);
	o = eval("twice.example", SPFR_FAIL, "twice.example", DKIMR_FAIL, NULL, 0);
	ck_assert_str_eq(dmarc_result_name(o.result), "none");
	ck_assert_str_eq(o.reason, "2 DMARC records at _dmarc.twice.example");
	o = eval("nothing.example", SPFR_FAIL, "nothing.example", DKIMR_FAIL, NULL, 0);
	ck_assert_str_eq(dmarc_result_name(o.result), "none");
	ck_assert_str_eq(o.reason, "no DMARC record");
	o = eval("bad.example", SPFR_FAIL, "bad.example", DKIMR_FAIL, NULL, 0);
	ck_assert_str_eq(dmarc_result_name(o.result), "none");
	ck_assert_str_eq(o.reason, "_dmarc.bad.example: invalid p= or sp= tag");
	o = eval("", SPFR_PASS, "example.com", DKIMR_FAIL, NULL, 0);
	ck_assert_str_eq(dmarc_result_name(o.result), "permerror");
}
END_TEST

START_TEST(dns_trouble_is_never_a_fail)
{
	struct dmarc_outcome o;

	o = eval("slow.example", SPFR_FAIL, "slow.example", DKIMR_FAIL, NULL, 0);
	ck_assert_str_eq(dmarc_result_name(o.result), "temperror");
	ck_assert_str_eq(o.reason, "DNS tempfail looking up _dmarc.slow.example");
	/* the record says reject, but the aligned key could not be fetched */
	o = eval("example.com", SPFR_FAIL, "example.com", DKIMR_TEMPERROR, "example.com", 0);
	ck_assert_str_eq(dmarc_result_name(o.result), "temperror");
	o = eval("example.com", SPFR_TEMPERROR, "example.com", DKIMR_FAIL, NULL, 0);
	ck_assert_str_eq(dmarc_result_name(o.result), "temperror");
	/* trouble with an identifier that does not align changes nothing */
	o = eval("example.com", SPFR_TEMPERROR, "other.example", DKIMR_FAIL, NULL, 0);
	ck_assert_str_eq(dmarc_result_name(o.result), "fail");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dmarc");
	TCase *tc = tcase_create("dmarc");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, record_syntax);
	tcase_add_test(tc, alignment);
	tcase_add_test(tc, policy_discovery);
	tcase_add_test(tc, dns_trouble_is_never_a_fail);
	suite_add_tcase(s, tc);
	return run_suite(s, "dmarc");
}
