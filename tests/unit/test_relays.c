/* Received fields read into relays (src/rules/received.c) and the
 * X-Spam-Relays-* pseudo-headers built from them (src/rules/relays.c).
 *
 * tests/data/relays/cases.txt holds the Received fields of the corpus's
 * SpamAssassin and rspamd messages and the four X-Spam-Relays-* values
 * SpamAssassin built from them (tests/tools/sa-relays.py); every case must
 * come out the same, except those tests/data/relays/known-differences
 * lists with the reason. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailsift/msgfile.h"
#include "mailsift/relays.h"
#include "test_support.h"

#define MAX_CASE 65536

static const char *const set_names[RELAYS_NSETS] = {"Trusted", "Untrusted", "Internal", "External"};
static const char *const originating[] = {
	"X-Yahoo-Post-IP",   "X-Originating-IP",
	"X-Apparently-From", "X-SenderIP",
	"X-AOL-IP",	     "X-MS-Exchange-CrossTenant-OriginalAttributedTenantConnectingIp"};
static const struct relays_config sa_defaults = {
	.originating_ip_headers = originating,
	.noriginating = sizeof(originating) / sizeof(originating[0]),
};

/* The relays of a header block given as text. */
static void build(const char *fields, const struct relays_config *cfg, struct relays *rs)
{
	char msg[MAX_CASE + 16];
	struct msgfile mf;
	const char *err = NULL;
	FILE *fp;

	snprintf(msg, sizeof(msg), "%s\n\nbody\n", fields);
	fp = fmemopen(msg, strlen(msg), "r");
	ck_assert_ptr_nonnull(fp);
	ck_assert_msg(msgfile_read(fp, &mf, &err) == 0, "%s", err ? err : "");
	fclose(fp);
	relays_build(rs, mf.headers, mf.nheaders, cfg);
	msgfile_free(&mf);
}

static void parse_one(const char *value, struct relay *r, enum relay_parse want)
{
	ck_assert_int_eq(relay_parse(value, r), want);
}

START_TEST(postfix_shape)
{
	struct relay r;

	parse_one("from mail.example.org (mail.example.org [192.0.2.7])\n\tby mx.example.net "
		  "(Postfix) with ESMTPS id 4XyZ1234\n\tfor <u@example.net>; Tue, 24 Nov 2026 "
		  "10:00:00 +0000 (UTC)",
		  &r, RELAY_PARSED);
	ck_assert_str_eq(r.ip, "192.0.2.7");
	ck_assert_str_eq(r.rdns, "mail.example.org");
	ck_assert_str_eq(r.helo, "mail.example.org");
	ck_assert_str_eq(r.by, "mx.example.net");
	ck_assert_str_eq(r.id, "4XyZ1234");
	ck_assert_int_eq(r.ip_private, 0);
	/* Postfix writes "unknown" for a client without reverse DNS */
	parse_one("from helo.example (unknown [198.51.100.9]) by mx.example.net (Postfix) with "
		  "ESMTP id ABC",
		  &r, RELAY_PARSED);
	ck_assert_str_eq(r.rdns, "");
	ck_assert_str_eq(r.helo, "helo.example");
}
END_TEST

START_TEST(exim_and_qmail_shapes)
{
	struct relay r;

	/* Exim: the rDNS name first, the HELO name after helo= */
	parse_one("from host.example.org ([203.0.113.5] helo=claimed.example) by mx.example.net "
		  "with esmtp (Exim 4.96) id 1abc-000123-XY",
		  &r, RELAY_PARSED);
	ck_assert_str_eq(r.rdns, "host.example.org");
	ck_assert_str_eq(r.helo, "claimed.example");
	ck_assert_str_eq(r.ip, "203.0.113.5");
	/* qmail: no HELO shown means it was the rDNS name */
	parse_one("from mail.example.org (192.0.2.44) by mx.example.net with SMTP; 1 Nov 2003 "
		  "07:05:19 -0000",
		  &r, RELAY_PARSED);
	ck_assert_str_eq(r.rdns, "mail.example.org");
	ck_assert_str_eq(r.helo, "mail.example.org");
	ck_assert_str_eq(r.ip, "192.0.2.44");
}
END_TEST

START_TEST(cleanup_and_skips)
{
	struct relay r;

	/* HELO as an address literal: brackets become "!" */
	parse_one("from [192.0.2.1] (host.example.org [192.0.2.1]) by mx.example.net "
		  "(8.17.1/8.17.1) with ESMTP id 2AB",
		  &r, RELAY_PARSED);
	ck_assert_str_eq(r.helo, "!192.0.2.1!");
	ck_assert_str_eq(r.rdns, "host.example.org");
	/* an IPv4-mapped IPv6 client is read as IPv4, and is private here */
	parse_one("from a.example (a.example [IPv6:::ffff:10.1.2.3]) by mx.example.net "
		  "(8.17.1/8.17.1) with ESMTP id 2AC",
		  &r, RELAY_PARSED);
	ck_assert_str_eq(r.ip, "10.1.2.3");
	ck_assert_int_eq(r.ip_private, 1);
	parse_one("by mx.example.net (Postfix, from userid 1000) id 123ABC", &r, RELAY_SKIPPED);
	parse_one("from localhost (localhost [127.0.0.1]) by x (Postfix) with LMTP", &r,
		  RELAY_PARSED);
	parse_one("from nowhere", &r, RELAY_UNPARSEABLE);
	parse_one("", &r, RELAY_SKIPPED);
}
END_TEST

START_TEST(hostile_values)
{
	struct relay r;
	char *big = malloc(100000);

	ck_assert_ptr_nonnull(big);
	/* longer than a line is read: cut, still answered */
	memcpy(big, "from ", 5);
	memset(big + 5, '(', 100000 - 6);
	big[100000 - 1] = '\0';
	ck_assert_int_eq(relay_parse(big, &r), RELAY_UNPARSEABLE);
	/* fields longer than RELAY_MAX_FIELD are cut */
	memset(big + 5, 'a', 3000);
	snprintf(big + 3005, 200, " (x [192.0.2.1]) by %s (8.1/8.1) with SMTP id 1", "mx");
	ck_assert_int_eq(relay_parse(big, &r), RELAY_PARSED);
	ck_assert_uint_eq(strlen(r.helo), RELAY_MAX_FIELD - 1);
	free(big);

	/* a mail loop's worth of hops: the first RELAYS_MAX_HOPS are read */
	struct relays rs;
	struct strbuf fields;
	sb_init(&fields, MAX_CASE);
	for (int i = 0; i < RELAYS_MAX_HOPS + 20; i++)
		sb_printf(&fields,
			  "Received: from h%d.example (h%d.example [192.0.2.%d]) by "
			  "mx.example (Postfix) with ESMTP id 4AB%d\n",
			  i, i, i % 250 + 1, i);
	build(sb_str(&fields), NULL, &rs);
	ck_assert_int_eq(rs.capped, 1);
	ck_assert_uint_eq(rs.count[RELAYS_UNTRUSTED], RELAYS_MAX_HOPS);
	relays_free(&rs);
	sb_free(&fields);
}
END_TEST

START_TEST(trust_boundary)
{
	struct relays rs;
	struct cidr_list *trusted = cidr_list_new();
	const char *err = NULL;
	struct relays_config cfg = {0};
	const char *fields =
		"Received: from inner.example (inner.example [192.0.2.10]) by mx.example.net "
		"(Postfix) with ESMTP id 4A1B\n"
		"Received: from client.example (client.example [10.0.0.5]) by inner.example "
		"(Postfix) with ESMTPSA id 4A2B\n";

	/* inferred: 192.0.2.10 is public, so it and all below are untrusted */
	build(fields, NULL, &rs);
	ck_assert_uint_eq(rs.count[RELAYS_TRUSTED], 0);
	ck_assert_uint_eq(rs.count[RELAYS_UNTRUSTED], 2);
	ck_assert_str_eq(sb_str(&rs.text[RELAYS_EXTERNAL]),
			 "[ ip=192.0.2.10 rdns=inner.example helo=inner.example by=mx.example.net "
			 "ident= envfrom= intl=0 id=4A1B auth= msa=0 ] [ ip=10.0.0.5 "
			 "rdns=client.example helo=client.example by=inner.example ident= envfrom= "
			 "intl=0 id=4A2B auth=ESMTPSA msa=0 ]");
	relays_free(&rs);
	/* configured: 192.0.2.0/24 is ours, the authenticated hop too */
	ck_assert_ptr_nonnull(trusted);
	ck_assert_int_eq(cidr_list_add(trusted, "192.0.2.0/24", &err), 0);
	cfg.trusted = trusted;
	build(fields, &cfg, &rs);
	ck_assert_uint_eq(rs.count[RELAYS_TRUSTED], 2);
	ck_assert_uint_eq(rs.count[RELAYS_INTERNAL], 2);
	ck_assert_str_eq(sb_str(&rs.text[RELAYS_UNTRUSTED]), "");
	ck_assert_msg(strstr(sb_str(&rs.text[RELAYS_INTERNAL]), "intl=1 id=4A2B") != NULL, "%s",
		      sb_str(&rs.text[RELAYS_INTERNAL]));
	relays_free(&rs);
	cidr_list_free(&trusted);
}
END_TEST

START_TEST(pseudo_header_names)
{
	ck_assert_int_eq(relays_pseudo_header("X-Spam-Relays-External"), RELAYS_EXTERNAL);
	ck_assert_int_eq(relays_pseudo_header("x-spam-relays-untrusted"), RELAYS_UNTRUSTED);
	ck_assert_int_eq(relays_pseudo_header("X-Spam-Relays-Trusted"), RELAYS_TRUSTED);
	ck_assert_int_eq(relays_pseudo_header("X-Spam-Relays-Internal"), RELAYS_INTERNAL);
	ck_assert_int_eq(relays_pseudo_header("X-Spam-Relays-Other"), -1);
	ck_assert_int_eq(relays_pseudo_header("Received"), -1);
}
END_TEST

struct sa_case {
	char name[512];
	char fields[MAX_CASE];
	size_t len;
	char want[RELAYS_NSETS][RELAYS_MAX_TEXT];
};

/* Compares one case; 1 if all four sets agree. */
static int check_case(const struct sa_case *c)
{
	struct relays rs;
	int same = 1;

	build(c->fields, &sa_defaults, &rs);
	for (int s = 0; s < RELAYS_NSETS; s++) {
		if (strcmp(sb_str(&rs.text[s]), c->want[s]) == 0)
			continue;
		if (!test_known("relays/known-differences", c->name))
			fprintf(stderr, "%s: X-Spam-Relays-%s\n  want: %s\n  got:  %s\n", c->name,
				set_names[s], c->want[s], sb_str(&rs.text[s]));
		same = 0;
	}
	relays_free(&rs);
	return same;
}

START_TEST(spamassassin_corpus)
{
	char path[4096], line[RELAYS_MAX_TEXT + 64];
	const char *top = getenv("top_srcdir");
	static struct sa_case c;
	unsigned cases = 0, agree = 0, known = 0, unexpected = 0;
	int open = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "%.2000s/tests/data/relays/cases.txt", top ? top : ".");
	fp = fopen(path, "r");
	ck_assert_msg(fp != NULL, "%s", path);
	for (int more = 1; more;) {
		more = fgets(line, sizeof(line), fp) != NULL;
		if (!more || strncmp(line, "%% ", 3) == 0) {
			if (open) {
				int ok = check_case(&c);
				int listed = test_known("relays/known-differences", c.name);
				cases++;
				agree += ok;
				known += !ok && listed;
				unexpected += !ok && !listed;
				ck_assert_msg(!(ok && listed), "%s agrees but is listed as known",
					      c.name);
			}
			if (!more)
				break;
			memset(&c, 0, sizeof(c));
			snprintf(c.name, sizeof(c.name), "%.*s", (int)strcspn(line + 3, "\n"),
				 line + 3);
			open = 1;
			continue;
		}
		if (line[0] == '#' || !open)
			continue;
		if (strncmp(line, "> ", 2) == 0) {
			for (int s = 0; s < RELAYS_NSETS; s++) {
				size_t n = strlen(set_names[s]);
				if (strncmp(line + 2, set_names[s], n) == 0 && line[2 + n] == ':') {
					const char *v = line + 2 + n + 1;
					v += *v == ' ';
					snprintf(c.want[s], sizeof(c.want[s]), "%.*s",
						 (int)strcspn(v, "\n"), v);
				}
			}
			continue;
		}
		size_t n = strlen(line);
		ck_assert_msg(c.len + n < sizeof(c.fields), "%s: case too long", c.name);
		memcpy(c.fields + c.len, line, n);
		c.len += n;
		c.fields[c.len] = '\0';
	}
	fclose(fp);
	printf("relays: %u of %u corpus messages read as SpamAssassin reads them (%u known "
	       "differences)\n",
	       agree, cases, known);
	ck_assert_uint_gt(cases, 100);
	ck_assert_msg(unexpected == 0, "%u cases differ from SpamAssassin and are not listed",
		      unexpected);
}
END_TEST

static Suite *relays_suite(void)
{
	Suite *s = suite_create("relays");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, postfix_shape);
	tcase_add_test(tc, exim_and_qmail_shapes);
	tcase_add_test(tc, cleanup_and_skips);
	tcase_add_test(tc, hostile_values);
	tcase_add_test(tc, trust_boundary);
	tcase_add_test(tc, pseudo_header_names);
	tcase_add_test(tc, spamassassin_corpus);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(relays_suite(), "relays");
}
