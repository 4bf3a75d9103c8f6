/* The RFC 7208 (and RFC 4408) SPF test suites through spf_evaluate(): each
 * scenario's zone is served by the test DNS server (fakedns.c) and asked
 * by the project's own resolver, as in production.
 *
 * Results that still differ from the suite are listed, with the reason, in
 * tests/data/spf/known-failures; a test fails when a case fails that is
 * not listed there, or passes while listed (the list must then shrink). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakedns.h"
#include "mailsift/dns.h"
#include "mailsift/spf.h"

#include "test_support.h"

#define LINE_MAX_LEN 8192

struct tcase_data {
	char name[128];
	char host[64];
	char helo[512];
	char mailfrom[512];
	char results[128];
	char explanation[512];
	int has_explanation;
};

struct counts {
	int passed, failed, known, unexpected, stale;
};

/* "SUITE NAME reason" lines: 1 if suite/name is listed. */
static int is_known(const char *suite, const char *name)
{
	char id[256];

	snprintf(id, sizeof(id), "%s %s", suite, name);
	return test_known("spf/known-failures", id);
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* Decodes one "quoted string" at *p into out; returns its length. */
static size_t unquote(const char **p, char *out, size_t cap)
{
	const char *s = *p;
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
		if (o + 1 < cap)
			out[o++] = c;
	}
	out[o] = '\0';
	*p = *s == '"' ? s + 1 : s;
	return o;
}

/* Unescapes \xHH in a bare name. */
static void unescape_name(const char *in, char *out, size_t cap)
{
	size_t o = 0;

	for (; *in && o + 1 < cap; in++) {
		if (in[0] == '\\' && in[1] == 'x') {
			out[o++] = (char)(hexval(in[2]) * 16 + hexval(in[3]));
			in += 3;
		} else {
			out[o++] = *in;
		}
	}
	out[o] = '\0';
}

static int type_code(const char *t)
{
	static const struct {
		const char *name;
		int code;
	} types[] = {{"A", 1},	   {"PTR", 12}, {"MX", 15},  {"TXT", 16},
		     {"AAAA", 28}, {"SPF", 99}, {"CNAME", 5}};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(t, types[i].name) == 0)
			return types[i].code;
	return 0;
}

static void add_txt(struct fakedns *d, const char *name, int type, const char *data)
{
	static char bufs[16][512];
	const char *strs[16];
	size_t lens[16], n = 0;

	while (*data == '"' && n < 16) {
		lens[n] = unquote(&data, bufs[n], sizeof(bufs[n]));
		strs[n] = bufs[n];
		n++;
		while (*data == ' ')
			data++;
	}
	ck_assert_int_eq(fakedns_add_txt(d, name, type, strs, lens, n), 0);
}

static void add_rr(struct fakedns *d, char *line)
{
	char name[512], *sp = strchr(line, ' '), *type, *data;

	*sp = '\0';
	type = sp + 1;
	sp = strchr(type, ' ');
	*sp = '\0';
	data = sp + 1;
	unescape_name(line, name, sizeof(name));
	switch (type_code(type)) {
	case 1: fakedns_add_a(d, name, data); break;
	case 28: fakedns_add_aaaa(d, name, data); break;
	case 12: fakedns_add_ptr(d, name, data); break;
	case 5: fakedns_add_cname(d, name, data); break;
	case 15: {
		unsigned pref = (unsigned)strtoul(data, &sp, 10);
		fakedns_add_mx(d, name, pref, sp + 1);
		break;
	}
	default: add_txt(d, name, type_code(type), strcmp(data, "-") == 0 ? "" : data); break;
	}
}

static void add_timeout(struct fakedns *d, char *line)
{
	int except[8] = {0}, n = 0;
	char name[512], *ex = strstr(line, " except=");

	if (ex != NULL) {
		*ex = '\0';
		for (char *t = strtok(ex + 8, ","); t != NULL && n < 7; t = strtok(NULL, ","))
			except[n++] = type_code(t);
	}
	unescape_name(line, name, sizeof(name));
	fakedns_add_timeout(d, name, except);
}

static int result_accepted(const char *list, enum spf_result got)
{
	const char *name = spf_result_name(got);
	size_t n = strlen(name);

	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");
		if (len == n && strncmp(p, name, n) == 0)
			return 1;
		p += len + (p[len] == ',');
	}
	return 0;
}

static void run_one(struct dns_resolver *r, const char *suite, const struct tcase_data *t,
		    struct counts *c)
{
	struct spf_request req = {.ip = t->host,
				  .helo = t->helo,
				  .mailfrom = t->mailfrom,
				  .receiver = "mx.test",
				  .default_explanation = "DEFAULT"};
	struct spf_outcome out;
	struct dns_budget b;
	int ok;

	dns_budget_start(&b, 5000);
	spf_evaluate(r, &b, &req, &out);
	ok = result_accepted(t->results, out.result);
	if (ok && t->has_explanation)
		ok = strcmp(t->explanation, out.explanation) == 0;
	if (ok) {
		c->passed++;
		if (is_known(suite, t->name)) {
			c->stale++;
			printf("%s %s: passes but is listed in known-failures\n", suite, t->name);
		}
		return;
	}
	c->failed++;
	if (is_known(suite, t->name)) {
		c->known++;
		printf("%s %s: known difference: expected %s, got %s (%s)\n", suite, t->name,
		       t->results, spf_result_name(out.result), out.reason);
		return;
	}
	c->unexpected++;
	printf("%s %s: expected %s%s%s, got %s (%s)%s%s\n", suite, t->name, t->results,
	       t->has_explanation ? " / " : "", t->has_explanation ? t->explanation : "",
	       spf_result_name(out.result), out.reason, out.explanation[0] ? " / " : "",
	       out.explanation);
}

static void test_field(struct tcase_data *t, const char *line)
{
	const char *v = strchr(line, ' ') + 1;

	if (strncmp(line, "host ", 5) == 0)
		snprintf(t->host, sizeof(t->host), "%s", v);
	else if (strncmp(line, "helo ", 5) == 0)
		unquote(&v, t->helo, sizeof(t->helo));
	else if (strncmp(line, "mailfrom ", 9) == 0)
		unquote(&v, t->mailfrom, sizeof(t->mailfrom));
	else if (strncmp(line, "result ", 7) == 0)
		snprintf(t->results, sizeof(t->results), "%s", v);
	else if (strncmp(line, "explanation ", 12) == 0) {
		unquote(&v, t->explanation, sizeof(t->explanation));
		t->has_explanation = 1;
	}
}

static struct counts run_file(const char *suite)
{
	char path[4096], line[LINE_MAX_LEN];
	const char *top = getenv("top_srcdir");
	struct fakedns *d = fakedns_start();
	struct dns_options o = {.timeout_ms = 300, .cache = 0, .cache_size = 1 << 20};
	struct counts c = {0};
	struct tcase_data t;
	struct dns_resolver *r;
	const char *err = NULL;
	FILE *fp;

	ck_assert_ptr_nonnull(d);
	o.servers = fakedns_server(d);
	r = dns_resolver_new(&o, &err);
	ck_assert_msg(r != NULL, "%s", err);
	snprintf(path, sizeof(path), "%s/tests/data/spf/%s.cases", top ? top : ".", suite);
	fp = fopen(path, "r");
	ck_assert_msg(fp != NULL, "cannot open %s", path);
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "scenario ", 9) == 0)
			fakedns_clear(d);
		else if (strncmp(line, "rr ", 3) == 0)
			add_rr(d, line + 3);
		else if (strncmp(line, "timeout ", 8) == 0)
			add_timeout(d, line + 8);
		else if (strncmp(line, "test ", 5) == 0) {
			memset(&t, 0, sizeof(t));
			snprintf(t.name, sizeof(t.name), "%.127s", line + 5);
		} else if (strcmp(line, "end") == 0)
			run_one(r, suite, &t, &c);
		else if (line[0] != '#')
			test_field(&t, line);
	}
	fclose(fp);
	dns_resolver_free(&r);
	fakedns_stop(&d);
	printf("%s: %d passed, %d failed (%d of them listed in tests/data/spf/known-failures)\n",
	       suite, c.passed, c.failed, c.known);
	fflush(stdout); /* a failed check ends the forked test at once */
	return c;
}

START_TEST(rfc7208)
{
	struct counts c;

	c = run_file("rfc7208");
	ck_assert_int_eq(c.passed + c.failed, 203);
	ck_assert_msg(c.unexpected == 0, "%d cases fail that known-failures does not list",
		      c.unexpected);
	ck_assert_msg(c.stale == 0, "%d cases pass that known-failures still lists", c.stale);
}
END_TEST

/* The older suite is reported, not enforced: RFC 7208 changed answers. */
START_TEST(rfc4408)
{
	struct counts c;

	c = run_file("rfc4408");

	ck_assert_int_eq(c.passed + c.failed, 191);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("spf_suite");
	TCase *tc = tcase_create("spf_suite");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, rfc7208);
	tcase_add_test(tc, rfc4408);
	suite_add_tcase(s, tc);
	return run_suite(s, "spf_suite");
}
