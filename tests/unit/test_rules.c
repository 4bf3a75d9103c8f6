/* rules: golden tests of the SpamAssassin rule parser (each
 * tests/data/rules/NAME.cf loads with exactly the problems and the summary
 * line in NAME.ref, as "mailsift lint" prints them), and the engine over
 * messages built by hand: header modifiers, body paragraphs, meta
 * arithmetic, tflags multiple/maxhits, URIs, limits. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mailsift/meta.h"
#include "mailsift/regex.h"
#include "mailsift/rules.h"
#include "mailsift/uri.h"
#include "test_support.h"

#define RULES_DIR "tests/data/rules"

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	ck_assert_msg(fp != NULL, "cannot open %s", path);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = calloc(1, (size_t)n + 1);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	return buf;
}

/* What "mailsift lint" prints for one file. */
static void lint(const char *path, struct strbuf *out)
{
	struct rules_report rep;
	struct ruleset *rs;
	const char *err = NULL;

	memset(&rep, 0, sizeof(rep));
	rep.problems = out;
	rs = rules_load(&path, 1, &rep, &err);
	ck_assert_msg(rs != NULL, "%s: %s", path, err);
	rules_free(&rs);
	sb_printf(out, "rules: %zu loaded, %zu inert, %zu failed\n", rep.loaded, rep.inert,
		  rep.failed);
}

START_TEST(test_golden)
{
	DIR *d = opendir(RULES_DIR);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		char cf[512], ref[512];
		struct strbuf got;
		char *want;

		if (len < 4 || strcmp(e->d_name + len - 3, ".cf") != 0)
			continue;
		snprintf(cf, sizeof(cf), RULES_DIR "/%s", e->d_name);
		snprintf(ref, sizeof(ref), RULES_DIR "/%.*s.ref", (int)(len - 3), e->d_name);
		sb_init(&got, 1 << 20);
		lint(cf, &got);
		want = slurp(ref);
		ck_assert_msg(strcmp(sb_str(&got), want) == 0, "%s:\n--- got\n%s--- want\n%s", cf,
			      sb_str(&got), want);
		free(want);
		sb_free(&got);
		n++;
	}
	closedir(d);
	ck_assert_int_ge(n, 6);
}
END_TEST

/* A ruleset from text (through a temporary file). */
static struct ruleset *load_text(const char *text)
{
	char path[] = "/tmp/test_rules_XXXXXX";
	int fd = mkstemp(path);
	const char *p = path, *err = NULL;
	struct strbuf problems;
	struct rules_report rep;
	struct ruleset *rs;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	memset(&rep, 0, sizeof(rep));
	sb_init(&problems, 1 << 20);
	rep.problems = &problems;
	rs = rules_load(&p, 1, &rep, &err);
	unlink(path);
	ck_assert_msg(rs != NULL, "%s", err);
	ck_assert_msg(rep.failed == 0, "%s", sb_str(&problems));
	sb_free(&problems);
	return rs;
}

struct message {
	struct msg_header headers[16];
	size_t nheaders;
	struct mime_part parts[4];
	struct mime_message mime;
	char *uris[8];
};

static void add_header(struct message *m, const char *name, const char *value)
{
	struct msg_header *h = &m->headers[m->nheaders++];

	h->name = (char *)name;
	h->value = (char *)value;
	h->raw = (char *)value;
}

static void add_part(struct message *m, const char *ctype, const char *headers, const char *raw,
		     const char *text)
{
	struct mime_part *p = &m->parts[m->mime.nparts++];

	memset(p, 0, sizeof(*p));
	snprintf(p->ctype, sizeof(p->ctype), "%s", ctype);
	p->is_text = strncmp(ctype, "text/", 5) == 0;
	p->is_html = strcmp(ctype, "text/html") == 0;
	sb_init(&p->headers, 1 << 20);
	sb_init(&p->raw, 1 << 20);
	sb_init(&p->text, 1 << 20);
	sb_puts(&p->headers, headers);
	sb_puts(&p->raw, raw);
	sb_puts(&p->text, text);
	m->mime.parts = m->parts;
}

static void message_free(struct message *m)
{
	for (size_t i = 0; i < m->mime.nparts; i++) {
		sb_free(&m->parts[i].headers);
		sb_free(&m->parts[i].raw);
		sb_free(&m->parts[i].text);
	}
}

/* The hit count of name in res, 0 if it did not hit. */
static unsigned hit(const struct rules_result *res, const char *name)
{
	for (size_t i = 0; i < res->nhits; i++)
		if (strcmp(res->hits[i].name, name) == 0)
			return res->hits[i].count;
	return 0;
}

static void scan(const struct ruleset *rs, struct message *m, const char *raw,
		 struct rules_result *res)
{
	struct rules_input in = {.headers = m->headers,
				 .nheaders = m->nheaders,
				 .mime = m->mime.nparts || m->mime.nuris ? &m->mime : NULL,
				 .raw = raw,
				 .raw_len = raw ? strlen(raw) : 0};

	ck_assert_int_eq(rules_scan(rs, &in, res), 0);
}

START_TEST(test_header_modifiers)
{
	struct ruleset *rs =
		load_text("header FROM_ADDR From:addr =~ /^bob\\@example\\.com$/\n"
			  "header FROM_NAME From:name =~ /^Bob Smith$/\n"
			  "header FROM_DEC From =~ /Bob Smith/\n"
			  "header FROM_RAW From:raw =~ /=\\?utf-8\\?Q\\?Bob_Smith\\?=/\n"
			  "header FROM_RAW_NODEC From:raw =~ /Bob Smith/\n"
			  "header ALL_HDR ALL =~ /^Subject: hello$/m\n"
			  "header TOCC ToCc =~ /a\\@x\\.org\\nc\\@y\\.org/\n"
			  "header MSGID MESSAGEID =~ /resent\\@h/\n"
			  "header HAS_SUBJ exists:Subject\n"
			  "header HAS_LIST exists:List-Id\n"
			  "header NO_DATE Date =~ /^none$/ [if-unset: none]\n"
			  "header NOT_DATE Date !~ /\\d/\n"
			  "header SUBJ_CASE subject =~ /hello/\n"
			  "header NAME_ONLY Sender:name =~ /^Just A Name$/\n"
			  "header ADDR_ONLY_NAME Reply-To:name =~ /./\n");
	struct message m = {0};
	struct rules_result res;

	add_header(&m, "From", "=?utf-8?Q?Bob_Smith?= <bob@example.com>");
	add_header(&m, "To", "a@x.org");
	add_header(&m, "Cc", "c@y.org");
	add_header(&m, "Subject", "hello");
	add_header(&m, "Resent-Message-Id", "<1@resent@h>");
	add_header(&m, "Sender", "\"Just A Name\"");   /* no address: the phrase is the name */
	add_header(&m, "Reply-To", "bob@example.com"); /* an address alone has no name */
	scan(rs, &m, NULL, &res);
	ck_assert_uint_eq(hit(&res, "FROM_ADDR"), 1);
	ck_assert_uint_eq(hit(&res, "FROM_NAME"), 1);
	ck_assert_uint_eq(hit(&res, "FROM_DEC"), 1);
	ck_assert_uint_eq(hit(&res, "FROM_RAW"), 1);
	ck_assert_uint_eq(hit(&res, "FROM_RAW_NODEC"), 0);
	ck_assert_uint_eq(hit(&res, "ALL_HDR"), 1);
	ck_assert_uint_eq(hit(&res, "TOCC"), 1);
	ck_assert_uint_eq(hit(&res, "MSGID"), 1);
	ck_assert_uint_eq(hit(&res, "HAS_SUBJ"), 1);
	ck_assert_uint_eq(hit(&res, "HAS_LIST"), 0);
	ck_assert_uint_eq(hit(&res, "NO_DATE"), 1);
	ck_assert_uint_eq(hit(&res, "NOT_DATE"), 1);
	ck_assert_uint_eq(hit(&res, "SUBJ_CASE"), 1);
	ck_assert_uint_eq(hit(&res, "NAME_ONLY"), 1);
	ck_assert_uint_eq(hit(&res, "ADDR_ONLY_NAME"), 0);
	ck_assert_uint_eq(res.nhits, 12);
	ck_assert_double_eq(res.score, 12.0);
	rules_result_free(&res);
	rules_free(&rs);
}
END_TEST

/* X-Spam-Relays-* come from the Received fields, drawn with the networks
 * the rule files give; a forged field of that name is not read. */
START_TEST(test_relay_pseudo_headers)
{
	struct ruleset *rs =
		load_text("trusted_networks 192.0.2. 198.51/16\n"
			  "trusted_networks !192.0.2.9 not-a-network\n"
			  "originating_ip_headers X-Originating-IP\n"
			  "header NORDNS_EXT X-Spam-Relays-External =~ /^[^\\]]+ rdns= /\n"
			  "header TRUSTED_MX X-Spam-Relays-Trusted =~ /^\\[ ip=192\\.0\\.2\\.1 /\n"
			  "header ORIG_IP X-Spam-Relays-Untrusted =~ / ip=203\\.0\\.113\\.77 /\n"
			  "header FORGED X-Spam-Relays-External =~ /forged/\n");
	struct message m = {0};
	struct rules_result res;

	add_header(&m, "X-Spam-Relays-External", "forged");
	add_header(&m, "Received",
		   "from mx.example (mx.example [192.0.2.1]) by in.example (Postfix) with ESMTP "
		   "id 4AB");
	add_header(&m, "Received",
		   "from dsl.example (unknown [203.0.113.5]) by mx.example (Postfix) with SMTP "
		   "id 4CD");
	add_header(&m, "X-Originating-IP", "[203.0.113.77]");
	scan(rs, &m, NULL, &res);
	ck_assert_uint_eq(hit(&res, "NORDNS_EXT"), 1);
	ck_assert_uint_eq(hit(&res, "TRUSTED_MX"), 1);
	ck_assert_uint_eq(hit(&res, "ORIG_IP"), 1);
	ck_assert_uint_eq(hit(&res, "FORGED"), 0);
	rules_result_free(&res);
	rules_free(&rs);
}
END_TEST

/* rules_scan_eoh(): header rules and metas over them only, the lowest
 * score the rest could bring, and each hit counted once. */
START_TEST(test_scan_eoh)
{
	struct ruleset *rs = load_text("header H1 Subject =~ /offer/\nscore H1 2\n"
				       "header H2 Subject =~ /newsletter/\nscore H2 1\n"
				       "meta M1 H1 && !H2\nscore M1 4\n"
				       "body B1 /unsubscribe/\nscore B1 -1\n"
				       "meta M2 H1 && B1\nscore M2 -3\n"
				       "uri U1 /example/\nscore U1 5\n");
	struct message m = {0};
	struct rules_input in;
	struct rules_result res;
	const char *name;
	unsigned long hits;
	double *eoh;

	ck_assert_int_eq(rules_early(rs), 1);
	add_header(&m, "Subject", "special offer");
	add_part(&m, "text/plain", "", "unsubscribe here\n", "unsubscribe here\n");
	in = (struct rules_input){.headers = m.headers, .nheaders = m.nheaders, .mime = &m.mime};
	ck_assert_int_eq(rules_scan_eoh(rs, &in, &res), 0);
	ck_assert_uint_eq(hit(&res, "H1"), 1);
	ck_assert_uint_eq(hit(&res, "M1"), 1);
	ck_assert_uint_eq(hit(&res, "B1"), 0); /* the body is not read yet */
	ck_assert_uint_eq(res.nhits, 2);
	ck_assert_double_eq_tol(res.score, 6.0, 1e-9);
	ck_assert_double_eq_tol(res.lowest, 2.0, 1e-9); /* B1 and M2 could take 4 */
	ck_assert_ptr_nonnull(res.counts);
	eoh = res.counts;
	res.counts = NULL;
	rules_result_free(&res);
	/* the header rules' answers are taken from end of header, not run
	 * again: a header changed since does not change them */
	in.eoh_counts = eoh;
	m.headers[0].value = "nothing here";
	ck_assert_int_eq(rules_scan(rs, &in, &res), 0);
	ck_assert_uint_eq(hit(&res, "H1"), 1);
	ck_assert_uint_eq(hit(&res, "B1"), 1);
	ck_assert_uint_eq(hit(&res, "M2"), 1);
	ck_assert_double_eq_tol(res.score, 2.0, 1e-9);
	for (size_t i = 0; i < rules_count(rs); i++) {
		rules_counter(rs, i, &name, &hits);
		if (strcmp(name, "H1") == 0 || strcmp(name, "B1") == 0)
			ck_assert_msg(hits == 1, "%s counted %lu times", name, hits);
	}
	ck_assert_ptr_null(res.counts);
	rules_result_free(&res);
	free(eoh);
	message_free(&m);
	rules_free(&rs);
	/* only body rules scored: nothing to decide early */
	rs = load_text("body B1 /x/\nheader __H Subject =~ /x/\n");
	ck_assert_int_eq(rules_early(rs), 0);
	rules_free(&rs);
}
END_TEST

/* Capture rules set tags from named groups; %{TAG} rules run with them
 * (quoted), or not at all while a tag is unset. */
START_TEST(test_capture_templates)
{
	struct ruleset *rs = load_text("body __HELLO /\\bHello, (?<BODY_HELLO_NAME>\\w+)\\b/\n"
				       "header HELLO_IN_FROM From =~ /\\b%{BODY_HELLO_NAME}\\b/i\n"
				       "header __SUBJ Subject =~ /^Re: (?<SUBJ_WORD>\\S+)/\n"
				       "rawbody SUBJ_IN_BODY /%{SUBJ_WORD}/\n"
				       "body NEVER_SET /%{NO_SUCH_TAG}/\n"
				       "header __LOWER Subject =~ /(?<lower>Re)/\n"
				       "body LOWER_NOT_A_TAG /%{lower}/\n");
	struct message m = {0};
	struct rules_result res;
	const char *text = "Hello, Alice\n\nsee abcc and a.c+( here\n";

	add_header(&m, "From", "ALICE <a@example.org>");
	add_header(&m, "Subject", "Re: a.c+(");
	add_part(&m, "text/plain", "", text, text);
	scan(rs, &m, NULL, &res);
	ck_assert_uint_eq(hit(&res, "HELLO_IN_FROM"), 1);
	ck_assert_uint_eq(hit(&res, "SUBJ_IN_BODY"), 1);
	ck_assert_uint_eq(hit(&res, "NEVER_SET"), 0);
	ck_assert_uint_eq(hit(&res, "LOWER_NOT_A_TAG"), 0);
	rules_result_free(&res);
	message_free(&m);
	/* "a.c+(" is matched as written, not as a regex ("abcc") */
	memset(&m, 0, sizeof(m));
	text = "Hello, Bob\n\nsee abcc here\n";
	add_header(&m, "From", "Alice <a@example.org>");
	add_header(&m, "Subject", "Re: a.c+(");
	add_part(&m, "text/plain", "", text, text);
	scan(rs, &m, NULL, &res);
	ck_assert_uint_eq(hit(&res, "HELLO_IN_FROM"), 0);
	ck_assert_uint_eq(hit(&res, "SUBJ_IN_BODY"), 0);
	rules_result_free(&res);
	message_free(&m);
	rules_free(&rs);
}
END_TEST

/* EnvelopeFrom: the MTA's MAIL FROM, else where SpamAssassin finds it. */
START_TEST(test_envelope_from)
{
	struct ruleset *rs =
		load_text("header ENV EnvelopeFrom =~ /^(.+)$/\n"
			  "header ENV_MTA EnvelopeFrom =~ /^bounce\\@lists\\.example$/\n"
			  "header ENV_RP EnvelopeFrom =~ /^rp\\@example\\.org$/\n"
			  "header ENV_RELAY EnvelopeFrom =~ /^e\\@relay\\.example$/\n"
			  "header ENV_NONE EnvelopeFrom =~ /^none$/ [if-unset: none]\n");
	const char *rcvd = "from a.example (a.example [192.0.2.1]) by mx.example (8.17.1/8.17.1) "
			   "with ESMTP id 4AB12 (envelope-from <e@relay.example>)";
	struct message m = {0};
	struct rules_input in;
	struct rules_result res;

	/* the MTA's envelope wins over anything in the header */
	add_header(&m, "Return-Path", "<rp@example.org>");
	in = (struct rules_input){.headers = m.headers,
				  .nheaders = m.nheaders,
				  .envelope_from = "bounce@lists.example"};
	ck_assert_int_eq(rules_scan(rs, &in, &res), 0);
	ck_assert_uint_eq(hit(&res, "ENV_MTA"), 1);
	ck_assert_uint_eq(hit(&res, "ENV_RP"), 0);
	rules_result_free(&res);
	/* unknown envelope: a Return-Path above every Received field */
	in.envelope_from = NULL;
	add_header(&m, "Received",
		   "from b.example (b.example [192.0.2.2]) by mx.example "
		   "(8.17.1/8.17.1) with ESMTP id 4AB13");
	in.nheaders = m.nheaders;
	ck_assert_int_eq(rules_scan(rs, &in, &res), 0);
	ck_assert_uint_eq(hit(&res, "ENV_RP"), 1);
	rules_result_free(&res);
	/* below a Received field it is not trusted; the hand-over's is */
	memset(&m, 0, sizeof(m));
	add_header(&m, "Received", rcvd);
	add_header(&m, "Return-Path", "<rp@example.org>");
	in.headers = m.headers;
	in.nheaders = m.nheaders;
	ck_assert_int_eq(rules_scan(rs, &in, &res), 0);
	ck_assert_uint_eq(hit(&res, "ENV_RELAY"), 1);
	ck_assert_uint_eq(hit(&res, "ENV_RP"), 0);
	rules_result_free(&res);
	m.headers[0].value = "from b.example (b.example [192.0.2.2]) by mx.example "
			     "(8.17.1/8.17.1) with ESMTP id 4AB13";
	ck_assert_int_eq(rules_scan(rs, &in, &res), 0);
	ck_assert_uint_eq(hit(&res, "ENV_NONE"), 1);
	ck_assert_uint_eq(hit(&res, "ENV"), 0);
	rules_result_free(&res);
	rules_free(&rs);
}
END_TEST

START_TEST(test_body_paragraphs)
{
	struct ruleset *rs = load_text("body JOINED /^hello big world$/\n"
				       "body ACROSS /world second/\n"
				       "body SECOND /^second paragraph$/\n"
				       "body SUBJ /^Cheap pills$/\n"
				       "body SUBJ_NOSUB /^Cheap pills$/\n"
				       "tflags SUBJ_NOSUB nosubject\n"
				       "body HTML_TEXT /^rendered link$/\n"
				       "rawbody RAW_TAG /<b>rendered<\\/b>/\n"
				       "rawbody RAW_LINE /^hello$/\n"
				       "full FULL_SUBJ /^Subject: Cheap/m\n");
	struct message m = {0};
	struct rules_result res;

	add_header(&m, "Subject", "Cheap   pills");
	add_part(&m, "text/plain", "Content-Type: text/plain\n",
		 "hello\n  big\tworld\n\n\nsecond\nparagraph\n",
		 "hello\n  big\tworld\n\n\nsecond\nparagraph\n");
	add_part(&m, "text/html", "Content-Type: text/html\n", "<b>rendered</b> link",
		 "rendered link");
	add_part(&m, "image/png", "Content-Type: image/png\n", "", "");
	scan(rs, &m, "Subject: Cheap pills\n\nhello\n", &res);
	ck_assert_uint_eq(hit(&res, "JOINED"), 1);
	ck_assert_uint_eq(hit(&res, "ACROSS"), 0);
	ck_assert_uint_eq(hit(&res, "SECOND"), 1);
	ck_assert_uint_eq(hit(&res, "SUBJ"), 1);
	ck_assert_uint_eq(hit(&res, "SUBJ_NOSUB"), 0);
	ck_assert_uint_eq(hit(&res, "HTML_TEXT"), 1);
	ck_assert_uint_eq(hit(&res, "RAW_TAG"), 1);
	ck_assert_uint_eq(hit(&res, "RAW_LINE"), 1);
	ck_assert_uint_eq(hit(&res, "FULL_SUBJ"), 1);
	rules_result_free(&res);
	message_free(&m);
	rules_free(&rs);
}
END_TEST

START_TEST(test_meta_arithmetic)
{
	struct ruleset *rs = load_text("body __A /a/\nbody __B /b/\nbody __C /c/\n"
				       "body __MANY_A /a/\ntflags __MANY_A multiple\n"
				       "meta TWO_OF (__A + __B + __C) >= 2\n"
				       "meta ALL_THREE __A && __B && __C\n"
				       "meta A_NOT_C __A && !__C\n"
				       "meta COUNT __MANY_A * 2 - 1 == 5\n"
				       "meta DIVIDE __MANY_A / 3 > 0.9 || __C\n"
				       "meta ON_META TWO_OF && !ALL_THREE\n"
				       "meta UNKNOWN __NOPE || __C\n"
				       "score ON_META 3.5\n");
	struct message m = {0};
	struct rules_result res;

	add_part(&m, "text/plain", "", "a b a a", "a b a a");
	scan(rs, &m, NULL, &res);
	ck_assert_uint_eq(hit(&res, "TWO_OF"), 1);
	ck_assert_uint_eq(hit(&res, "ALL_THREE"), 0);
	ck_assert_uint_eq(hit(&res, "A_NOT_C"), 1);
	ck_assert_uint_eq(hit(&res, "COUNT"), 1);
	ck_assert_uint_eq(hit(&res, "DIVIDE"), 1);
	ck_assert_uint_eq(hit(&res, "ON_META"), 1);
	ck_assert_uint_eq(hit(&res, "UNKNOWN"), 0);
	ck_assert_uint_eq(hit(&res, "__A"), 0); /* sub-rules are not listed */
	ck_assert_double_eq(res.score, 1 + 1 + 1 + 1 + 3.5);
	rules_result_free(&res);
	message_free(&m);
	rules_free(&rs);
}
END_TEST

START_TEST(test_tflags_multiple)
{
	struct ruleset *rs = load_text("body ONCE /x/\n"
				       "body ALL_X /x/\ntflags ALL_X multiple\n"
				       "body CAPPED /x/\ntflags CAPPED multiple maxhits=3\n"
				       "rawbody RAW_ALL /x/\ntflags RAW_ALL multiple\n"
				       "uri URI_ALL /example/\ntflags URI_ALL multiple\n");
	struct message m = {0};
	struct rules_result res;

	add_part(&m, "text/plain", "", "x x\nx\n\nx x", "x x\nx\n\nx x");
	m.uris[0] = "http://example.com/";
	m.uris[1] = "http://example.org/";
	m.mime.uris = m.uris;
	m.mime.nuris = 2;
	scan(rs, &m, NULL, &res);
	ck_assert_uint_eq(hit(&res, "ONCE"), 1);
	ck_assert_uint_eq(hit(&res, "ALL_X"), 5);
	ck_assert_uint_eq(hit(&res, "CAPPED"), 3);
	ck_assert_uint_eq(hit(&res, "RAW_ALL"), 5);
	ck_assert_uint_eq(hit(&res, "URI_ALL"), 2);
	rules_result_free(&res);
	message_free(&m);
	rules_free(&rs);
}
END_TEST

START_TEST(test_uris)
{
	struct ruleset *rs = load_text("uri WWW m{^http://www\\.example\\.com/Path$}\n"
				       "uri UPPER_HOST m{^https://shop\\.example\\.net/X}\n"
				       "uri MAILTO /^mailto:joe\\@example\\.org$/\n"
				       "uri DECODED m{^http://evil\\.test/ab/c%20d$}\n"
				       "uri ESC_HOST m{^https://bad%c2%adhost\\.example/\\?q=A$}\n"
				       "uri HTML_LINK m{^http://link\\.example/}\n"
				       "uri NUM_DEC m{^http://163\\.125\\.6\\.199/claim$}\n"
				       "uri NUM_HEX m{^https://127\\.0\\.0\\.1:8080/$}\n"
				       "uri NUM_MIX m{^http://10\\.0\\.0\\.8/}\n"
				       "uri NUM_PLAIN m{^http://192\\.0\\.2\\.1/}\n");
	struct message m = {0};
	struct rules_result res;
	const char *text = "Visit www.Example.COM/Path, or HTTPS://Shop.Example.NET/X.\n"
			   "Mail joe@example.org. See http://evil.test/%61b%2Fc%20d\n";

	add_part(&m, "text/plain", "", text, text);
	m.uris[0] = "HTTP://LINK.example/page";
	/* numeric hosts are read as browsers read them, the user part dropped */
	m.uris[1] = "http://2742879943/claim";
	m.uris[2] = "https://user@0x7f000001:8080/";
	m.uris[3] = "http://012.0.0.0x8/";
	m.uris[4] = "http://192.0.2.1/";
	/* backslashes read as slashes, raw 8-bit bytes escaped like the rest */
	m.uris[5] = "https:/\\bad\xc2\xadhost.example?q=%41";
	m.mime.uris = m.uris;
	m.mime.nuris = 6;
	scan(rs, &m, NULL, &res);
	ck_assert_uint_eq(hit(&res, "WWW"), 1);
	ck_assert_uint_eq(hit(&res, "UPPER_HOST"), 1);
	ck_assert_uint_eq(hit(&res, "MAILTO"), 1);
	ck_assert_uint_eq(hit(&res, "DECODED"), 1);
	ck_assert_uint_eq(hit(&res, "ESC_HOST"), 1);
	ck_assert_uint_eq(hit(&res, "HTML_LINK"), 1);
	ck_assert_uint_eq(hit(&res, "NUM_DEC"), 1);
	ck_assert_uint_eq(hit(&res, "NUM_HEX"), 1);
	ck_assert_uint_eq(hit(&res, "NUM_MIX"), 1);
	ck_assert_uint_eq(hit(&res, "NUM_PLAIN"), 1);
	rules_result_free(&res);
	message_free(&m);
	rules_free(&rs);
}
END_TEST

START_TEST(test_mimeheader)
{
	struct ruleset *rs = load_text("mimeheader EXE Content-Type =~ /name=\"?[^\"]+\\.exe/i\n"
				       "mimeheader FOLDED Content-Type =~ /^application\\/x-foo; "
				       "name=a\\.bin$/\n");
	struct message m = {0};
	struct rules_result res;

	add_part(&m, "text/plain", "Content-Type: text/plain\n", "hi", "hi");
	add_part(&m, "application/octet-stream",
		 "Content-Disposition: attachment\nContent-Type: application/octet-stream;\n"
		 "\tname=\"Setup.EXE\"\n",
		 "", "");
	add_part(&m, "application/x-foo", "Content-Type: application/x-foo;\n name=a.bin\n", "",
		 "");
	scan(rs, &m, NULL, &res);
	ck_assert_uint_eq(hit(&res, "EXE"), 1);
	ck_assert_uint_eq(hit(&res, "FOLDED"), 1);
	rules_result_free(&res);
	message_free(&m);
	rules_free(&rs);
}
END_TEST

/* (a+)+$ against a long run of a's with no end: exponential backtracking,
 * stopped by the match limit: no hit, flagged, named. */
START_TEST(test_match_limit)
{
	struct ruleset *rs = load_text("body CATASTROPHIC /(a+)+$/\nbody OTHER /aaa/\n");
	struct message m = {0};
	struct rules_result res;
	char text[64];

	memset(text, 'a', 40);
	strcpy(text + 40, "!");
	add_part(&m, "text/plain", "", text, text);
	scan(rs, &m, NULL, &res);
	ck_assert_uint_eq(hit(&res, "CATASTROPHIC"), 0);
	ck_assert_uint_eq(hit(&res, "OTHER"), 1);
	ck_assert(res.flags & RULES_F_LIMIT);
	ck_assert_uint_eq(res.limits, 1);
	ck_assert_str_eq(res.limit_rule, "CATASTROPHIC");
	rules_result_free(&res);
	message_free(&m);
	rules_free(&rs);
}
END_TEST

START_TEST(test_caps)
{
	struct ruleset *rs =
		load_text("body TAIL /tail/\nbody HEAD /head/\nfull FULL_TAIL /tail/\n");
	struct message m = {0};
	struct rules_result res;
	size_t n = RULES_MAX_PART_SCAN + 100;
	char *big = malloc(n + 1), *raw = malloc(RULES_MAX_FULL_SCAN + 10);

	memset(big, 'x', n);
	memcpy(big, "head ", 5);
	memcpy(big + n - 4, "tail", 4);
	big[n] = '\0';
	memset(raw, 'y', RULES_MAX_FULL_SCAN + 9);
	memcpy(raw + RULES_MAX_FULL_SCAN + 5, "tail", 4);
	raw[RULES_MAX_FULL_SCAN + 9] = '\0';
	add_part(&m, "text/plain", "", big, big);
	scan(rs, &m, raw, &res);
	ck_assert_uint_eq(hit(&res, "HEAD"), 1);
	ck_assert_uint_eq(hit(&res, "TAIL"), 0);
	ck_assert_uint_eq(hit(&res, "FULL_TAIL"), 0);
	ck_assert_uint_eq(res.flags & (RULES_F_PART_CAP | RULES_F_FULL_CAP),
			  RULES_F_PART_CAP | RULES_F_FULL_CAP);
	rules_result_free(&res);
	message_free(&m);
	free(big);
	free(raw);
	rules_free(&rs);
}
END_TEST

START_TEST(test_regex_semantics)
{
	struct ruleset *rs =
		load_text("body LATIN1_FOLD /\\xe4/i\n"
			  "body NO_FOLD /\\xe4/\n"
			  "body BRACES m{a\\{2\\}}\n"
			  "body EXTENDED /h e l l o/x\n"
			  "body FUZZY /<inter W1><F><R><E><E>/i\n"
			  "body NESTED /<FREE>!/\n"
			  "replace_rules FUZZY NESTED\n"
			  "replace_tag F (?:f|ph)\nreplace_tag R r\nreplace_tag E [e3]\n"
			  "replace_tag FREE <F><R><E><E>\n"
			  "replace_inter W1 \\W?\n");
	struct message m = {0};
	struct rules_result res;
	const char *text = "\xc4 a{2} hello PH.R.3-E phre3!";

	add_part(&m, "text/plain", "", text, text);
	scan(rs, &m, NULL, &res);
	ck_assert_uint_eq(hit(&res, "LATIN1_FOLD"), 1);
	ck_assert_uint_eq(hit(&res, "NO_FOLD"), 0);
	ck_assert_uint_eq(hit(&res, "BRACES"), 1);
	ck_assert_uint_eq(hit(&res, "EXTENDED"), 1);
	ck_assert_uint_eq(hit(&res, "FUZZY"), 1);
	/* a tag whose value holds tags is expanded again */
	ck_assert_uint_eq(hit(&res, "NESTED"), 1);
	rules_result_free(&res);
	message_free(&m);
	rules_free(&rs);
}
END_TEST

START_TEST(test_scores_and_counters)
{
	struct ruleset *rs = load_text("body T_TEST /x/\nbody DEFAULT /x/\nbody ZERO /x/\n"
				       "score ZERO 0\nbody NICE /x/\nscore NICE -2 -3 -4 -5\n"
				       "tflags NICE nice\ndescribe NICE A nice rule\n");
	struct message m = {0};
	struct rules_result res;
	const char *name;
	unsigned long hits;

	add_part(&m, "text/plain", "", "x", "x");
	scan(rs, &m, NULL, &res);
	ck_assert_uint_eq(res.nhits, 3);
	ck_assert_double_eq_tol(res.score, 0.01 + 1 - 2, 1e-9);
	ck_assert_str_eq(res.hits[2].describe, "A nice rule");
	rules_result_free(&res);
	scan(rs, &m, NULL, &res);
	rules_result_free(&res);
	ck_assert_uint_eq(rules_count(rs), 4);
	rules_counter(rs, 2, &name, &hits);
	ck_assert_str_eq(name, "ZERO");
	ck_assert_uint_eq(hits, 2);
	message_free(&m);
	rules_free(&rs);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rules");
	TCase *tc = tcase_create("rules");

	if (getenv("top_srcdir") != NULL && chdir(getenv("top_srcdir")) != 0)
		return 1;
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_golden);
	tcase_add_test(tc, test_header_modifiers);
	tcase_add_test(tc, test_body_paragraphs);
	tcase_add_test(tc, test_meta_arithmetic);
	tcase_add_test(tc, test_tflags_multiple);
	tcase_add_test(tc, test_uris);
	tcase_add_test(tc, test_mimeheader);
	tcase_add_test(tc, test_match_limit);
	tcase_add_test(tc, test_caps);
	tcase_add_test(tc, test_regex_semantics);
	tcase_add_test(tc, test_scores_and_counters);
	tcase_add_test(tc, test_relay_pseudo_headers);
	tcase_add_test(tc, test_scan_eoh);
	tcase_add_test(tc, test_capture_templates);
	tcase_add_test(tc, test_envelope_from);
	suite_add_tcase(s, tc);
	return run_suite(s, "rules");
}
