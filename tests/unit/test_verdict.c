/* verdict: SMTP reply parsing and softening, action names, stage and
 * verdict names.
 * Cases named "regress_*" pin bugs found and fixed. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailsift/verdict.h"

static const char *E_CODE = "reply must start with a 4xx or 5xx code, e.g. '550 5.7.1 text'";
static const char *E_XCODE = "reply needs an RFC 3463 enhanced status after the code, e.g. 5.7.1";
static const char *E_CLASS =
    "reply code and enhanced status disagree in class (4xx goes with 4.x.x, 5xx with 5.x.x)";
static const char *E_TEXT = "reply text must be printable ASCII";

/* The error for a reply that must be refused. */
static const char *refusal(const char *s)
{
	struct reply r;
	const char *err = NULL;

	ck_assert_msg(reply_parse(s, &r, &err) == -1, "'%s' accepted", s);
	ck_assert_ptr_nonnull(err);
	return err;
}

static void parses(const char *s, const char *code, const char *xcode, const char *text)
{
	struct reply r;
	const char *err = NULL;

	ck_assert_msg(reply_parse(s, &r, &err) == 0, "'%s' refused: %s", s, err ? err : "?");
	ck_assert_str_eq(r.code, code);
	ck_assert_str_eq(r.xcode, xcode);
	ck_assert_str_eq(r.text, text);
}

START_TEST(good_replies)
{
	parses("550 5.7.1 Relay access denied", "550", "5.7.1", "Relay access denied");
	parses("451 4.3.0 Temporary failure", "451", "4.3.0", "Temporary failure");
	parses("554 5.7.1 <%{rcpt}>: Relay access denied", "554", "5.7.1",
	       "<%{rcpt}>: Relay access denied");
	parses("550 5.1.1", "550", "5.1.1", "");
	parses("550 5.1.1 ", "550", "5.1.1", "");
	parses("550 5.1.1  two spaces", "550", "5.1.1", " two spaces");
	parses("421 4.4.2 ~!@#$%^&*()", "421", "4.4.2", "~!@#$%^&*()");
	parses("599 5.999.999 x", "599", "5.999.999", "x");
	parses("400 4.0.0 x", "400", "4.0.0", "x");
	parses("553 5.12.3 x", "553", "5.12.3", "x");
}
END_TEST

START_TEST(bad_code)
{
	ck_assert_str_eq(refusal(""), E_CODE);
	ck_assert_str_eq(refusal("550"), E_CODE);
	ck_assert_str_eq(refusal("55 5.1.1 x"), E_CODE);
	ck_assert_str_eq(refusal("5500 5.1.1 x"), E_CODE);
	ck_assert_str_eq(refusal("250 2.0.0 ok"), E_CODE);
	ck_assert_str_eq(refusal("354 3.0.0 go"), E_CODE);
	ck_assert_str_eq(refusal("650 6.0.0 x"), E_CODE);
	ck_assert_str_eq(refusal("050 5.0.0 x"), E_CODE);
	ck_assert_str_eq(refusal("5x0 5.1.1 x"), E_CODE);
	ck_assert_str_eq(refusal(" 550 5.1.1 x"), E_CODE);
	ck_assert_str_eq(refusal("550\t5.1.1 x"), E_CODE);
	ck_assert_str_eq(refusal("550-5.1.1 x"), E_CODE);
	ck_assert_str_eq(refusal("reject"), E_CODE);
}
END_TEST

START_TEST(class_mismatch)
{
	ck_assert_str_eq(refusal("550 4.1.1 x"), E_CLASS);
	ck_assert_str_eq(refusal("550 4.1.1"), E_CLASS);
	ck_assert_str_eq(refusal("450 5.1.1 x"), E_CLASS);
	ck_assert_str_eq(refusal("421 5.4.2 x"), E_CLASS);
	/* class 2 is never a refusal, whatever the code */
	ck_assert_str_eq(refusal("550 2.0.0 x"), E_CLASS);
	/* the text of the error, as the configuration file reports it */
	ck_assert_str_eq(refusal("550 4.1.7 x"),
			 "reply code and enhanced status disagree in class (4xx goes with 4.x.x, "
			 "5xx with 5.x.x)");
}
END_TEST

START_TEST(bad_enhanced_status)
{
	ck_assert_str_eq(refusal("550 "), E_XCODE);
	ck_assert_str_eq(refusal("550  5.1.1 x"), E_XCODE);
	ck_assert_str_eq(refusal("550 x"), E_XCODE);
	ck_assert_str_eq(refusal("550 5"), E_XCODE);
	ck_assert_str_eq(refusal("550 5.1"), E_XCODE);
	ck_assert_str_eq(refusal("550 5.1 x"), E_XCODE);
	ck_assert_str_eq(refusal("550 5.1."), E_XCODE);
	ck_assert_str_eq(refusal("550 5..1 x"), E_XCODE);
	ck_assert_str_eq(refusal("550 5.1.1. x"), E_XCODE);
	ck_assert_str_eq(refusal("550 5.1.1.1 x"), E_XCODE);
	ck_assert_str_eq(refusal("550 5.1000.1 x"), E_XCODE);
	ck_assert_str_eq(refusal("550 5.1.1000 x"), E_XCODE);
	ck_assert_str_eq(refusal("550 5.a.1 x"), E_XCODE);
	ck_assert_str_eq(refusal("550 5.1.b x"), E_XCODE);
	ck_assert_str_eq(refusal("550 5.1.1x"), E_XCODE);
	ck_assert_str_eq(refusal("550 5.1.1\tx"), E_XCODE);
	ck_assert_str_eq(refusal("550 .5.1.1 x"), E_XCODE);
	ck_assert_str_eq(refusal("550 5,1,1 x"), E_XCODE);
	ck_assert_str_eq(refusal("550 3.1.1 x"), E_XCODE);
	ck_assert_str_eq(refusal("550 55.1.1 x"), E_XCODE);
	ck_assert_str_eq(refusal("550 5.-1.1 x"), E_XCODE);
}
END_TEST

START_TEST(non_printable_text)
{
	ck_assert_str_eq(refusal("550 5.1.1 caf\xc3\xa9"), E_TEXT);
	ck_assert_str_eq(refusal("550 5.1.1 a\tb"), E_TEXT);
	ck_assert_str_eq(refusal("550 5.1.1 a\rb"), E_TEXT);
	ck_assert_str_eq(refusal("550 5.1.1 line\n"), E_TEXT);
	ck_assert_str_eq(refusal("550 5.1.1 \x7f"), E_TEXT);
	ck_assert_str_eq(refusal("550 5.1.1 \x1b[31mred"), E_TEXT);
}
END_TEST

START_TEST(text_length_limit)
{
	char buf[REPLY_TEXT_MAX + 32];
	struct reply r;
	const char *err = NULL;

	memcpy(buf, "550 5.7.1 ", 10);
	memset(buf + 10, 'a', REPLY_TEXT_MAX - 1);
	buf[10 + REPLY_TEXT_MAX - 1] = '\0';
	ck_assert_int_eq(reply_parse(buf, &r, &err), 0);
	ck_assert_uint_eq(strlen(r.text), REPLY_TEXT_MAX - 1);
	memset(buf + 10, 'a', REPLY_TEXT_MAX);
	buf[10 + REPLY_TEXT_MAX] = '\0';
	ck_assert_int_eq(reply_parse(buf, &r, &err), -1);
	ck_assert_str_eq(err, "reply text too long");
}
END_TEST

START_TEST(soften)
{
	struct reply in, out;
	const char *err = NULL;

	ck_assert_int_eq(reply_parse("550 5.1.1 <%{rcpt}>: User unknown", &in, &err), 0);
	reply_soften(&in, &out);
	ck_assert_str_eq(out.code, "450");
	ck_assert_str_eq(out.xcode, "4.1.1");
	ck_assert_str_eq(out.text, "<%{rcpt}>: User unknown");
	/* the input is left alone */
	ck_assert_str_eq(in.code, "550");
	ck_assert_str_eq(in.xcode, "5.1.1");
	/* in place */
	ck_assert_int_eq(reply_parse("554 5.7.1 no", &in, &err), 0);
	reply_soften(&in, &in);
	ck_assert_str_eq(in.code, "454");
	ck_assert_str_eq(in.xcode, "4.7.1");
	ck_assert_str_eq(in.text, "no");
	/* already temporary: unchanged */
	ck_assert_int_eq(reply_parse("452 4.5.3 Too many recipients", &in, &err), 0);
	reply_soften(&in, &out);
	ck_assert_str_eq(out.code, "452");
	ck_assert_str_eq(out.xcode, "4.5.3");
	ck_assert_str_eq(out.text, "Too many recipients");
	/* long enhanced codes keep their digits */
	ck_assert_int_eq(reply_parse("553 5.123.45 x", &in, &err), 0);
	reply_soften(&in, &out);
	ck_assert_str_eq(out.code, "453");
	ck_assert_str_eq(out.xcode, "4.123.45");
}
END_TEST

START_TEST(actions)
{
	static const struct {
		const char *name;
		enum action action;
	} table[] = {
	    {"ignore", ACTION_IGNORE},	 {"score", ACTION_SCORE},
	    {"log", ACTION_LOG},	 {"quarantine", ACTION_QUARANTINE},
	    {"discard", ACTION_DISCARD}, {"tempfail", ACTION_TEMPFAIL},
	    {"reject", ACTION_REJECT},
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		ck_assert_int_eq(action_parse(table[i].name), (int)table[i].action);
		ck_assert_str_eq(action_name(table[i].action), table[i].name);
	}
	ck_assert_int_eq(action_parse("REJECT"), -1);
	ck_assert_int_eq(action_parse("Reject"), -1);
	ck_assert_int_eq(action_parse("rejected"), -1);
	ck_assert_int_eq(action_parse("rej"), -1);
	ck_assert_int_eq(action_parse(""), -1);
	ck_assert_int_eq(action_parse(" reject"), -1);
	ck_assert_int_eq(action_parse("accept"), -1);
	ck_assert_str_eq(action_name((enum action)(ACTION_REJECT + 1)), "?");
	ck_assert_str_eq(action_name((enum action) - 1), "?");
}
END_TEST

START_TEST(verdicts)
{
	ck_assert_str_eq(verdict_name(VERDICT_CONTINUE), "continue");
	ck_assert_str_eq(verdict_name(VERDICT_ACCEPT), "accept");
	ck_assert_str_eq(verdict_name(VERDICT_QUARANTINE), "quarantine");
	ck_assert_str_eq(verdict_name(VERDICT_DISCARD), "discard");
	ck_assert_str_eq(verdict_name(VERDICT_TEMPFAIL), "tempfail");
	ck_assert_str_eq(verdict_name(VERDICT_REJECT), "reject");
	ck_assert_str_eq(verdict_name((enum verdict)(VERDICT_REJECT + 1)), "?");
	/* precedence: the larger one wins */
	ck_assert_int_lt(VERDICT_CONTINUE, VERDICT_ACCEPT);
	ck_assert_int_lt(VERDICT_ACCEPT, VERDICT_QUARANTINE);
	ck_assert_int_lt(VERDICT_QUARANTINE, VERDICT_DISCARD);
	ck_assert_int_lt(VERDICT_DISCARD, VERDICT_TEMPFAIL);
	ck_assert_int_lt(VERDICT_TEMPFAIL, VERDICT_REJECT);
}
END_TEST

START_TEST(stages)
{
	static const char *const names[STAGE_COUNT] = {
	    "connect", "helo", "mail", "rcpt", "data", "header", "eoh", "body", "eom",
	};

	ck_assert_int_eq(STAGE_COUNT, 9);
	for (int i = 0; i < STAGE_COUNT; i++)
		ck_assert_str_eq(stage_name((enum stage)i), names[i]);
	ck_assert_str_eq(stage_name(STAGE_RCPT), "rcpt");
	ck_assert_str_eq(stage_name(STAGE_EOM), "eom");
	ck_assert_str_eq(stage_name(STAGE_COUNT), "?");
	ck_assert_str_eq(stage_name((enum stage) - 1), "?");
}
END_TEST

int run_suite(Suite *s, const char *name); /* test_runner.c */

int main(void)
{
	Suite *s = suite_create("verdict");
	TCase *tc = tcase_create("verdict");

	tcase_add_test(tc, good_replies);
	tcase_add_test(tc, bad_code);
	tcase_add_test(tc, class_mismatch);
	tcase_add_test(tc, bad_enhanced_status);
	tcase_add_test(tc, non_printable_text);
	tcase_add_test(tc, text_length_limit);
	tcase_add_test(tc, soften);
	tcase_add_test(tc, actions);
	tcase_add_test(tc, verdicts);
	tcase_add_test(tc, stages);
	suite_add_tcase(s, tc);
	return run_suite(s, "verdict");
}
