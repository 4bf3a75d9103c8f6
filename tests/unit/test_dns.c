/* dns and the sender-domain check, through libunbound against the test
 * DNS server in fakedns.c on 127.0.0.1. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fakedns.h"
#include "mailsift/config.h"
#include "mailsift/dns.h"
#include "mailsift/offline.h"
#include "mailsift/spf.h"

#include "test_support.h"

static struct fakedns *dns;

static void setup(void)
{
	static const int except_txt[] = {16, 0};

	dns = fakedns_start();
	ck_assert_ptr_nonnull(dns);
	fakedns_add_a(dns, "host.test", "192.0.2.1");
	fakedns_add_aaaa(dns, "host6.test", "2001:db8::1");
	fakedns_add_mx(dns, "mx.test", 10, "host.test");
	fakedns_add_mx(dns, "nullmx.test", 0, ".");
	fakedns_add_a(dns, "aonly.test", "192.0.2.2");
	fakedns_add_aaaa(dns, "aaaaonly.test", "2001:db8::2");
	fakedns_add_txt(dns, "txtonly.test", 16, (const char *[]){"hello"}, (size_t[]){5}, 1);
	fakedns_add_timeout(dns, "slow.test", except_txt);
	fakedns_add_txt(dns, "slow.test", 16, (const char *[]){"v=spf1 -all"}, (size_t[]){11}, 1);
	fakedns_add_servfail(dns, "broken.test");
	fakedns_add_mx(dns, "xn--bcher-kva.test", 10, "host.test");
}

static void teardown(void)
{
	fakedns_stop(&dns);
}

static struct dns_resolver *resolver(int cache)
{
	struct dns_options o = {.servers = fakedns_server(dns),
				.timeout_ms = 300,
				.cache = cache,
				.cache_size = 1 << 20};
	const char *err = NULL;
	struct dns_resolver *r = dns_resolver_new(&o, &err);

	ck_assert_msg(r != NULL, "resolver: %s", err);
	return r;
}

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

START_TEST(answers)
{
	struct dns_resolver *r = resolver(1);
	struct dns_answer a;
	char name[DNS_NAME_MAX + 1];
	size_t off = 2;

	ck_assert_int_eq(dns_query(r, NULL, "host.test", DNS_TYPE_A, &a), DNS_OK);
	ck_assert_uint_eq(a.count, 1);
	ck_assert_int_eq(a.len[0], 4);
	ck_assert_int_eq(memcmp(a.data[0], "\xc0\x00\x02\x01", 4), 0);
	dns_answer_free(&a);
	ck_assert_int_eq(dns_query(r, NULL, "mx.test", DNS_TYPE_MX, &a), DNS_OK);
	ck_assert_int_eq(dns_wire_name(a.data[0], (size_t)a.len[0], &off, name), 0);
	ck_assert_str_eq(name, "host.test");
	dns_answer_free(&a);
	ck_assert_int_eq(dns_query(r, NULL, "nowhere.test", DNS_TYPE_A, &a), DNS_NXDOMAIN);
	ck_assert_int_eq(dns_query(r, NULL, "host.test", DNS_TYPE_MX, &a), DNS_NODATA);
	ck_assert_int_eq(dns_query(r, NULL, "broken.test", DNS_TYPE_A, &a), DNS_TEMP);
	ck_assert_int_eq(dns_query(r, NULL, "a..b.test", DNS_TYPE_A, &a), DNS_BADNAME);
	ck_assert_int_eq(dns_query(r, NULL, "slow.test", DNS_TYPE_TXT, &a), DNS_OK);
	dns_answer_free(&a);
	dns_resolver_free(&r);
}
END_TEST

START_TEST(timeout_and_budget)
{
	struct dns_resolver *r = resolver(1);
	struct dns_budget b;
	struct dns_answer a;
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(dns_query(r, NULL, "slow.test", DNS_TYPE_MX, &a), DNS_TEMP);
	ck_assert_int_lt(elapsed_ms(&t0), 2000); /* our timeout, not libunbound's retries */
	dns_budget_start(&b, 100);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(dns_query(r, &b, "slow.test", DNS_TYPE_A, &a), DNS_BUDGET);
	ck_assert_int_eq(dns_query(r, &b, "host.test", DNS_TYPE_A, &a), DNS_BUDGET);
	ck_assert_int_lt(elapsed_ms(&t0), 2000);
	dns_resolver_free(&r);
}
END_TEST

START_TEST(cache)
{
	struct dns_resolver *r = resolver(1);
	struct dns_answer a;
	unsigned before;

	ck_assert_int_eq(dns_query(r, NULL, "aonly.test", DNS_TYPE_A, &a), DNS_OK);
	dns_answer_free(&a);
	before = fakedns_queries(dns);
	ck_assert_int_eq(dns_query(r, NULL, "aonly.test", DNS_TYPE_A, &a), DNS_OK);
	dns_answer_free(&a);
	ck_assert_uint_eq(fakedns_queries(dns), before);
	dns_resolver_free(&r);
	r = resolver(0);
	ck_assert_int_eq(dns_query(r, NULL, "aonly.test", DNS_TYPE_A, &a), DNS_OK);
	dns_answer_free(&a);
	before = fakedns_queries(dns);
	ck_assert_int_eq(dns_query(r, NULL, "aonly.test", DNS_TYPE_A, &a), DNS_OK);
	dns_answer_free(&a);
	ck_assert_uint_gt(fakedns_queries(dns), before);
	dns_resolver_free(&r);
}
END_TEST

START_TEST(server_lists)
{
	const char *err = NULL;

	ck_assert_int_eq(dns_servers_valid("127.0.0.1@5353 ::1, 192.0.2.53", &err), 0);
	ck_assert_int_eq(dns_servers_valid("127.0.0.1@0", &err), -1);
	ck_assert_int_eq(dns_servers_valid("localhost", &err), -1);
	ck_assert_int_eq(dns_servers_valid("127.0.0.1@", &err), -1);
	ck_assert_str_eq(err, "expected IP addresses with optional @PORT, e.g. 127.0.0.1@5353 ::1");
}
END_TEST

/* ---- the sender-domain check through the whole pipeline ---- */

static struct config *cfg;

static void load_config(const char *extra)
{
	char text[1024];

	snprintf(text, sizeof(text),
		 "local_domains example.test\ntrusted_networks 192.0.2.0/24\n"
		 "dns_servers %s\ndns_timeout 300ms\ndns_budget 2s\nspf_check no\n%s",
		 fakedns_server(dns), extra);
	cfg = test_config_text(text);
}

/* The answer to RCPT TO:<rcpt> after MAIL FROM:<sender>, as "CODE X.Y.Z text" or
 * "continue". */
static int smtputf8;

static const char *answer_for(const char *sender, const char *rcpt, const char *ip)
{
	static char out[600];
	const char *rcpts[] = {rcpt};
	struct offline_env env = {
		.from = sender, .rcpts = rcpts, .nrcpts = 1, .ip = ip, .smtputf8 = smtputf8};
	struct msgfile mf;
	struct offline_run run;
	const char *err = NULL;
	FILE *fp = fmemopen((void *)"Subject: x\n\nbody\n", 17, "r");

	ck_assert_int_eq(msgfile_read(fp, &mf, &err), 0);
	fclose(fp);
	ck_assert_int_eq(offline_check(cfg, &env, &mf, &run, &err), 0);
	const struct decision *d = &run.answers[2].d; /* connect, mail, rcpt */
	if (d->verdict == VERDICT_REJECT || d->verdict == VERDICT_TEMPFAIL)
		snprintf(out, sizeof(out), "%s %s %s", d->reply.code, d->reply.xcode,
			 d->reply.text);
	else
		snprintf(out, sizeof(out), "continue");
	offline_run_free(&run);
	msgfile_free(&mf);
	return out;
}

static const char *answer_utf8(const char *sender, const char *rcpt, const char *ip)
{
	smtputf8 = 1;
	const char *r = answer_for(sender, rcpt, ip);
	smtputf8 = 0;
	return r;
}

START_TEST(sender_domains)
{
	const char *ip = "198.51.100.7", *user = "<user@example.test>";

	load_config("");
	ck_assert_str_eq(answer_for("<a@mx.test>", user, ip), "continue");
	ck_assert_str_eq(answer_for("<a@aonly.test>", user, ip), "continue");
	ck_assert_str_eq(answer_for("<a@aaaaonly.test>", user, ip), "continue");
	ck_assert_str_eq(answer_for("<a@nx.test>", user, ip),
			 "550 5.1.8 <a@nx.test>: Sender address rejected: Domain not found");
	ck_assert_str_eq(answer_for("<a@txtonly.test>", user, ip),
			 "550 5.1.8 <a@txtonly.test>: Sender address rejected: Domain not found");
	ck_assert_str_eq(answer_for("<a@nullmx.test>", user, ip),
			 "550 5.7.27 <a@nullmx.test>: Sender address rejected: Domain does not "
			 "accept mail (null MX)");
	ck_assert_str_eq(answer_for("<a@slow.test>", user, ip),
			 "451 4.4.3 <a@slow.test>: Sender address rejected: Domain lookup failed, "
			 "try again later");
	ck_assert_str_eq(answer_for("<a@broken.test>", user, ip),
			 "451 4.4.3 <a@broken.test>: Sender address rejected: Domain lookup "
			 "failed, try again later");
	/* an SMTPUTF8 sender's domain is looked up by its A-labels */
	ck_assert_str_eq(answer_utf8("<a@b\xc3\xbc"
				     "cher.test>",
				     user, ip),
			 "continue");
	ck_assert_str_eq(answer_utf8("<a@m\xc3\xbcnchen.test>", user, ip),
			 "550 5.1.8 <a@m??nchen.test>: Sender address rejected: Domain not found");
	/* exempt recipients, null sender, literals and trusted clients: no lookup */
	ck_assert_str_eq(answer_for("<a@nx.test>", "<postmaster@example.test>", ip), "continue");
	ck_assert_str_eq(answer_for("<>", user, ip), "continue");
	ck_assert_str_eq(answer_for("<a@[192.0.2.9]>", user, ip), "continue");
	unsigned before = fakedns_queries(dns);
	ck_assert_str_eq(answer_for("<a@nx2.test>", user, "192.0.2.10"), "continue");
	ck_assert_uint_eq(fakedns_queries(dns), before);
	config_release(&cfg);
}
END_TEST

START_TEST(sender_domain_switches)
{
	const char *ip = "198.51.100.7", *user = "<user@example.test>";

	load_config("sender_domain_check no\n");
	ck_assert_str_eq(answer_for("<a@nx.test>", user, ip), "continue");
	config_release(&cfg);
	load_config("action.sender_domain_tempfail log\naction.sender_domain_unknown tempfail\n");
	ck_assert_str_eq(answer_for("<a@slow.test>", user, ip), "continue");
	ck_assert_str_eq(answer_for("<a@nx.test>", user, ip),
			 "450 4.1.8 <a@nx.test>: Sender address rejected: Domain not found");
	config_release(&cfg);
}
END_TEST

/* A tree of includes, fan-out 10 and depth 3: libspf2 alone sends over a
 * thousand queries for one check. Ours stops at the RFC 7208 limit. */
START_TEST(spf_include_tree_is_bounded)
{
	struct dns_resolver *r = resolver(0);
	struct spf_request req = {.ip = "192.0.2.99",
				  .helo = "mail.tree.test",
				  .mailfrom = "a@tree.test",
				  .receiver = "mx.test"};
	struct spf_outcome out;
	struct dns_budget b;
	char name[64], rec[512];
	unsigned before;

	for (int level = 0; level < 3; level++) {
		for (int i = 0; i < (level == 0 ? 1 : 10); i++) {
			size_t o = (size_t)snprintf(rec, sizeof(rec), "v=spf1");
			for (int k = 0; k < 10; k++)
				o += (size_t)snprintf(rec + o, sizeof(rec) - o,
						      " include:l%d-%d.tree.test", level + 1, k);
			snprintf(rec + o, sizeof(rec) - o, " -all");
			if (level == 0)
				snprintf(name, sizeof(name), "tree.test");
			else
				snprintf(name, sizeof(name), "l%d-%d.tree.test", level, i);
			const char *strs[] = {rec};
			size_t lens[] = {strlen(rec)};
			fakedns_add_txt(dns, name, 16, strs, lens, 1);
		}
	}
	before = fakedns_queries(dns);
	dns_budget_start(&b, 5000);
	spf_evaluate(r, &b, &req, &out);
	ck_assert_str_eq(spf_result_name(out.result), "permerror");
	ck_assert_uint_le(fakedns_queries(dns) - before, 15);
	dns_resolver_free(&r);
}
END_TEST

/* When the layer corrects libspf2 (here: too many void lookups, which
 * libspf2 does not count, so it would say fail), Received-SPF carries the
 * corrected result too. */
START_TEST(received_spf_follows_the_correction)
{
	struct dns_resolver *r = resolver(0);
	struct spf_request req = {.ip = "192.0.2.99",
				  .helo = "mail.voids.test",
				  .mailfrom = "a@voids.test",
				  .receiver = "mx.test"};
	struct spf_outcome out;
	struct dns_budget b;

	fakedns_add_txt_text(dns, "voids.test",
			     "v=spf1 a:n1.voids.test a:n2.voids.test a:n3.voids.test -all");
	dns_budget_start(&b, 5000);
	spf_evaluate(r, &b, &req, &out);
	ck_assert_str_eq(spf_result_name(out.result), "permerror");
	ck_assert_str_eq(out.received_spf,
			 "permerror (mx.test: too many DNS lookups: 4, 3 of them void) "
			 "client-ip=192.0.2.99; envelope-from=a@voids.test; helo=mail.voids.test;");
	dns_resolver_free(&r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dns");
	TCase *tc = tcase_create("dns");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, answers);
	tcase_add_test(tc, timeout_and_budget);
	tcase_add_test(tc, cache);
	tcase_add_test(tc, server_lists);
	tcase_add_test(tc, sender_domains);
	tcase_add_test(tc, sender_domain_switches);
	tcase_add_test(tc, spf_include_tree_is_bounded);
	tcase_add_test(tc, received_spf_follows_the_correction);
	suite_add_tcase(s, tc);
	return run_suite(s, "dns");
}
