/* HELO checks through the pipeline: syntax (scored) and a HELO claiming
 * to be us (refused at RCPT). No DNS: the DNS checks are switched off. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mailsift/offline.h"

#include "test_support.h"

static struct config *load(const char *extra)
{
	char text[1024];

	snprintf(
		text, sizeof(text),
		"local_domains example.test\ntrusted_networks 192.0.2.0/24\n"
		"authserv_id mx.example.test\nsender_domain_check no\nspf_check no\ndkim_check no\ndmarc_check no\n"
		"own_names mail.example.test\nown_networks 203.0.113.25\n%s",
		extra);
	return test_config_text(text);
}

/* RCPT answer and the message's symbols, e.g. "continue [helo_syntax]". */
static const char *run(struct config *cfg, const char *helo, const char *ip, const char *rcpt)
{
	static char out[800];
	const char *rcpts[] = {rcpt};
	struct offline_env env = {
		.from = "<a@example.org>", .rcpts = rcpts, .nrcpts = 1, .ip = ip, .helo = helo};
	struct msgfile mf;
	struct offline_run r;
	const char *err = NULL;
	FILE *fp = fmemopen((void *)"Subject: x\n\nbody\n", 17, "r");
	size_t o;

	ck_assert_int_eq(msgfile_read(fp, &mf, &err), 0);
	fclose(fp);
	ck_assert_int_eq(offline_check(cfg, &env, &mf, &r, &err), 0);
	const struct decision *d = &r.answers[3].d; /* connect, helo, mail, rcpt */
	if (d->verdict == VERDICT_REJECT || d->verdict == VERDICT_TEMPFAIL)
		o = (size_t)snprintf(out, sizeof(out), "%s %s %s [", d->reply.code, d->reply.xcode,
				     d->reply.text);
	else
		o = (size_t)snprintf(out, sizeof(out), "continue [");
	for (size_t i = 0; r.conn->msg != NULL && i < r.conn->msg->nresults; i++)
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s", i ? "," : "",
				      symbol_def(r.conn->msg->results[i].sym)->name);
	snprintf(out + o, sizeof(out) - o, "]");
	offline_run_free(&r);
	msgfile_free(&mf);
	return out;
}

START_TEST(helo_names)
{
	struct config *cfg = load("");
	const char *ip = "198.51.100.7", *user = "<user@example.test>";

	ck_assert_str_eq(run(cfg, "client.example.org", ip, user), "continue []");
	ck_assert_str_eq(run(cfg, "[198.51.100.7]", ip, user), "continue []");
	ck_assert_str_eq(run(cfg, "bad..name", ip, user), "continue [helo_syntax]");
	ck_assert_str_eq(run(cfg, "has space", ip, user), "continue [helo_syntax]");
	ck_assert_str_eq(
		run(cfg, "mail.example.test", ip, user),
		"550 5.7.1 Helo command rejected: you are not mail.example.test [helo_forged]");
	ck_assert_str_eq(run(cfg, "MX.Example.Test.", ip, user),
			 "550 5.7.1 Helo command rejected: you are not MX.Example.Test. "
			 "[helo_syntax,helo_forged]");
	ck_assert_str_eq(run(cfg, "example.test", ip, user),
			 "550 5.7.1 Helo command rejected: you are not example.test [helo_forged]");
	ck_assert_str_eq(
		run(cfg, "[203.0.113.25]", ip, user),
		"550 5.7.1 Helo command rejected: you are not [203.0.113.25] [helo_forged]");
	/* postmaster stays reachable; trusted clients are not checked */
	ck_assert_str_eq(run(cfg, "example.test", ip, "<postmaster@example.test>"),
			 "continue [helo_forged]");
	ck_assert_str_eq(run(cfg, "example.test", "192.0.2.10", user), "continue []");
	config_release(&cfg);
	cfg = load("helo_check no\n");
	ck_assert_str_eq(run(cfg, "example.test", ip, user), "continue []");
	config_release(&cfg);
	cfg = load("action.helo_syntax reject\n");
	ck_assert_str_eq(run(cfg, "bad..name", ip, user),
			 "550 5.5.2 Helo command rejected: invalid HELO name [helo_syntax]");
	config_release(&cfg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("helo");
	TCase *tc = tcase_create("helo");

	tcase_add_test(tc, helo_names);
	suite_add_tcase(s, tc);
	return run_suite(s, "helo");
}
