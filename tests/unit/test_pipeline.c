/* pipeline: the checks and policy driven event by event, as the milter
 * callbacks drive them, and the limits a transaction can hit.
 * Cases named "regress_*" pin bugs found and fixed. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mailsift/config.h"
#include "mailsift/log.h"
#include "mailsift/pipeline.h"
#include "mailsift/session.h"

#define BASE "local_domains example.org\nauthserv_id mx.test\n"

/* A connection on a configuration from text; the file is gone once loaded. */
static struct conn *open_conn(const char *text)
{
	const char *tmp = getenv("TMPDIR");
	char dir[256], conf[300];
	struct strbuf errors;
	struct config *cfg;
	struct conn *conn;
	FILE *fp;

	snprintf(dir, sizeof(dir), "%s/pipeline.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(conf, sizeof(conf), "%s/mailsift.conf", dir);
	fp = fopen(conf, "w");
	ck_assert_ptr_nonnull(fp);
	/* no DNS in unit tests: the sender-domain check has its own tests */
	fputs("sender_domain_check no\nspf_check no\ndkim_check no\ndmarc_check no\nspam_headers no\n", fp);
	fputs(text, fp);
	fclose(fp);
	sb_init(&errors, 1 << 16);
	cfg = config_load(conf, &errors);
	unlink(conf);
	rmdir(dir);
	ck_assert_msg(cfg != NULL, "config refused:\n%s", sb_str(&errors));
	sb_free(&errors);
	conn = conn_new(cfg); /* takes our reference */
	ck_assert_ptr_nonnull(conn);
	return conn;
}

static const char *answer(const struct decision *d)
{
	static char buf[600];

	if (d->verdict == VERDICT_REJECT || d->verdict == VERDICT_TEMPFAIL)
		snprintf(buf, sizeof(buf), "%s %s %s", d->reply.code, d->reply.xcode,
			 d->reply.text);
	else
		snprintf(buf, sizeof(buf), "%s", verdict_name(d->verdict));
	return buf;
}

static const char *ev_simple(struct conn *conn, enum stage stage)
{
	struct event ev = {.stage = stage};
	struct decision d;

	pipeline_run(conn, &ev, &d);
	return answer(&d);
}

static const char *ev_connect(struct conn *conn, const char *name, const char *ip)
{
	struct event ev = {.stage = STAGE_CONNECT, .name = name, .value = ip};
	struct decision d;

	pipeline_run(conn, &ev, &d);
	return answer(&d);
}

static const char *ev_mail(struct conn *conn, const char *from, const char *param)
{
	char *argv[] = {(char *)from, (char *)param, NULL};
	struct event ev = {.stage = STAGE_MAIL, .argv = argv};
	struct decision d;

	pipeline_run(conn, &ev, &d);
	return answer(&d);
}

static const char *ev_rcpt(struct conn *conn, const char *rcpt)
{
	char *argv[] = {(char *)rcpt, NULL};
	struct event ev = {.stage = STAGE_RCPT, .argv = argv, .qid = "4XyZ1"};
	struct decision d;

	pipeline_run(conn, &ev, &d);
	return answer(&d);
}

static const char *ev_header(struct conn *conn, const char *name, const char *value)
{
	struct event ev = {.stage = STAGE_HEADER, .name = name, .value = value};
	struct decision d;

	pipeline_run(conn, &ev, &d);
	return answer(&d);
}

/* A rules file for open_conn(); the caller unlinks it. */
static void write_rules(char *path, const char *text)
{
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* One message up to end of header; returns the answer there. */
static const char *to_eoh(struct conn *conn, const char *subject)
{
	ck_assert_str_eq(ev_connect(conn, "client.test", "192.0.2.1"), "continue");
	ck_assert_str_eq(ev_mail(conn, "<sender@example.net>", NULL), "continue");
	ck_assert_str_eq(ev_rcpt(conn, "<alice@example.org>"), "continue");
	ck_assert_str_eq(ev_simple(conn, STAGE_DATA), "continue");
	ck_assert_str_eq(ev_header(conn, "Subject", subject), "continue");
	return ev_simple(conn, STAGE_EOH);
}

static const char *body_and_eom(struct conn *conn, const char *text)
{
	struct event body = {
		.stage = STAGE_BODY, .data = (const unsigned char *)text, .len = strlen(text)};
	struct decision d;

	pipeline_run(conn, &body, &d);
	return ev_simple(conn, STAGE_EOM);
}

/* early_reject: a header that alone reaches reject_score is refused at end
 * of header, unless the rules still to run could bring the score under. */
START_TEST(early_reject_at_end_of_header)
{
	char rules[] = "/tmp/pipeline-rules.XXXXXX", rules2[] = "/tmp/pipeline-rules.XXXXXX";
	char conf[512];
	struct conn *conn;

	write_rules(rules, "header H_BAD Subject =~ /bad/\nscore H_BAD 16\n"
			   "body B_NICE /thanks/\nscore B_NICE -0.5\n"
			   "body B_WORSE /worse/\nscore B_WORSE 3\n");
	snprintf(conf, sizeof(conf), BASE "rules %s\n", rules);
	conn = open_conn(conf);
	ck_assert_str_eq(to_eoh(conn, "bad"), "550 5.7.1 Message rejected as spam");
	ck_assert_int_eq(conn->msg->verdict_stage, STAGE_EOH);
	ck_assert_double_eq_tol(conn->msg->score, 16.0, 1e-9);
	msg_end(conn);
	/* a harmless header: nothing decided, the body is read */
	ck_assert_str_eq(to_eoh(conn, "fine"), "continue");
	ck_assert_str_eq(body_and_eom(conn, "worse\r\n"), "accept");
	conn_free(&conn);

	/* off: the same message waits for end of message */
	snprintf(conf, sizeof(conf), BASE "rules %s\nearly_reject no\n", rules);
	conn = open_conn(conf);
	ck_assert_str_eq(to_eoh(conn, "bad"), "continue");
	ck_assert_str_eq(body_and_eom(conn, "thanks\r\n"), "550 5.7.1 Message rejected as spam");
	ck_assert_int_eq(conn->msg->verdict_stage, STAGE_EOM);
	conn_free(&conn);
	unlink(rules);

	/* a body rule could lower it to 14: no early answer, and it does */
	write_rules(rules2, "header H_BAD Subject =~ /bad/\nscore H_BAD 16\n"
			    "body B_NICE /thanks/\nscore B_NICE -2\n");
	snprintf(conf, sizeof(conf), BASE "rules %s\n", rules2);
	conn = open_conn(conf);
	ck_assert_str_eq(to_eoh(conn, "bad"), "continue");
	ck_assert_str_eq(body_and_eom(conn, "thanks\r\n"), "accept");
	ck_assert_double_eq_tol(conn->msg->score, 14.0, 1e-9);
	conn_free(&conn);
	unlink(rules2);
}
END_TEST

START_TEST(one_transaction_stage_by_stage)
{
	struct conn *conn = open_conn(BASE);
	struct event body = {
	    .stage = STAGE_BODY, .data = (const unsigned char *)"hi\r\n", .len = 4};
	struct decision d;

	ck_assert_str_eq(ev_connect(conn, "client.test", "192.0.2.1"), "continue");
	ck_assert_str_eq(conn->client_name, "client.test");
	ck_assert_str_eq(conn->client_addr, "192.0.2.1");
	ck_assert_int_eq(conn->trusted, 0);
	ck_assert_ptr_null(conn->msg);
	struct event helo = {.stage = STAGE_HELO, .name = "client.test"};
	pipeline_run(conn, &helo, &d);
	ck_assert_str_eq(answer(&d), "continue");
	ck_assert_str_eq(conn->helo, "client.test");
	ck_assert_str_eq(ev_mail(conn, "<sender@example.net>", "BODY=8BITMIME"), "continue");
	ck_assert_ptr_nonnull(conn->msg);
	ck_assert_int_eq(conn->msg->smtputf8, 0);
	ck_assert_str_eq(ev_rcpt(conn, "<alice@example.org>"), "continue");
	ck_assert_str_eq(conn->msg->qid, "4XyZ1");
	ck_assert_str_eq(ev_simple(conn, STAGE_DATA), "continue");
	ck_assert_str_eq(ev_header(conn, "Subject", "hi"), "continue");
	ck_assert_str_eq(ev_header(conn, "x-mailsift-status", "forged"), "continue");
	ck_assert_uint_eq(conn->msg->header_count, 2);
	ck_assert_uint_eq(conn->msg->status_headers_seen, 1);
	ck_assert_str_eq(ev_simple(conn, STAGE_EOH), "continue");
	pipeline_run(conn, &body, &d);
	ck_assert_str_eq(answer(&d), "continue");
	ck_assert_str_eq(ev_simple(conn, STAGE_EOM), "accept");
	ck_assert_uint_eq(conn->msg->nedits, 2);
	/* a second transaction on the same connection starts afresh */
	ck_assert_str_eq(ev_mail(conn, "<other@example.net>", "smtputf8"), "continue");
	ck_assert_uint_eq(conn->msg->nrcpts, 0);
	ck_assert_uint_eq(conn->msg->nedits, 0);
	ck_assert_int_eq(conn->msg->smtputf8, 1);
	ck_assert_str_eq(conn->msg->sender_path, "<other@example.net>");
	msg_end(conn);
	ck_assert_ptr_null(conn->msg);
	conn_free(&conn);
}
END_TEST

START_TEST(client_details)
{
	struct conn *conn = open_conn(BASE "trusted_networks 192.0.2.0/24\n");

	ev_connect(conn, NULL, "192.0.2.200");
	ck_assert_str_eq(conn->client_name, "unknown");
	ck_assert_int_eq(conn->trusted, 1);
	ev_connect(conn, "bad\r\nname", NULL);
	ck_assert_str_eq(conn->client_name, "bad??name");
	ck_assert_str_eq(conn->client_addr, "");
	ck_assert_int_eq(conn->trusted, 0);
	conn_free(&conn);
}
END_TEST

START_TEST(out_of_order_events_tempfail)
{
	struct conn *conn = open_conn(BASE "action.internal_error reject\n"
					   "reply.internal_error 550 5.3.0 filter broken\n");

	ev_connect(conn, "client.test", "192.0.2.1");
	/* whatever its action, a failure to check is temporary */
	ck_assert_str_eq(ev_rcpt(conn, "<alice@example.org>"), "450 4.3.0 filter broken");
	ck_assert_str_eq(ev_header(conn, "Subject", "x"), "450 4.3.0 filter broken");
	ck_assert_str_eq(ev_simple(conn, STAGE_EOM), "450 4.3.0 filter broken");
	conn_free(&conn);
	conn = open_conn(BASE);
	ck_assert_str_eq(ev_rcpt(conn, "<alice@example.org>"),
			 "451 4.3.0 Temporary failure in mail filter, try again later");
	conn_free(&conn);
}
END_TEST

START_TEST(many_recipients_within_limits)
{
	struct conn *conn = open_conn(BASE "max_recipients 200\n");
	char rcpt[64];

	ev_connect(conn, "client.test", "192.0.2.1");
	ev_mail(conn, "<sender@example.net>", NULL);
	for (int i = 0; i < 200; i++) {
		snprintf(rcpt, sizeof(rcpt), "<user%d@example.org>", i);
		ck_assert_str_eq(ev_rcpt(conn, rcpt), "continue");
	}
	ck_assert_str_eq(ev_rcpt(conn, "<late@example.org>"), "452 4.5.3 Too many recipients");
	ck_assert_uint_eq(conn->msg->nrcpts, 201);
	ck_assert_str_eq(ev_simple(conn, STAGE_EOM), "accept");
	conn_free(&conn);
}
END_TEST

/* Fixed: a message keeps at most MSG_MAX_RESULTS (256) results and drops the
 * rest silently (session.c msg_add_result), so from the 257th refused
 * recipient on, a recipient's result is lost and it is accepted: an
 * untrusted client can relay through mailsift after 256 refused RCPTs.
 * Proposed fix: when a result cannot be recorded, answer that stage with
 * internal_error (tempfail) in pipeline_run(), e.g. by comparing
 * msg->results_dropped before and after the hooks. */
START_TEST(regress_results_cap_opens_relay)
{
	struct conn *conn = open_conn(BASE);
	char rcpt[64];
	int accepted = 0;

	ev_connect(conn, "client.test", "192.0.2.1");
	ev_mail(conn, "<sender@example.net>", NULL);
	for (int i = 0; i < 300; i++) {
		snprintf(rcpt, sizeof(rcpt), "<user%d@relay.test>", i);
		accepted += strcmp(ev_rcpt(conn, rcpt), "continue") == 0;
	}
	conn_free(&conn);
	ck_assert_int_eq(accepted, 0);
}
END_TEST

/* Fixed: status_header() deletes incoming copies of the status header with
 * one edit each, but a message holds at most MSG_MAX_EDITS (64) edits:
 * with more copies, the oldest forged copies stay and the filter's own
 * header is not added at all, silently. Proposed fix: refuse or tempfail
 * such a message (a defined verdict for the limit), or keep edits in a
 * growable array. */
START_TEST(regress_many_forged_status_headers)
{
	struct conn *conn = open_conn(BASE);
	size_t deletes = 0, adds = 0;
	const char *verdict;

	ev_connect(conn, "client.test", "192.0.2.1");
	ev_mail(conn, "<sender@example.net>", NULL);
	ev_rcpt(conn, "<alice@example.org>");
	ev_simple(conn, STAGE_DATA);
	for (int i = 0; i < 70; i++)
		ev_header(conn, "X-Mailsift-Status", "accept; forged");
	verdict = ev_simple(conn, STAGE_EOM);
	for (size_t i = 0; i < conn->msg->nedits; i++) {
		deletes += conn->msg->edits[i].op == HDR_DELETE;
		adds += conn->msg->edits[i].op == HDR_ADD;
	}
	/* either refused, or every forged copy goes and ours is added */
	if (strcmp(verdict, "accept") == 0) {
		ck_assert_uint_eq(deletes, 70);
		ck_assert_uint_eq(adds, 1);
	}
	conn_free(&conn);
}
END_TEST

/* Fixed: the status header lists every result, one symbol per result, and
 * is dropped silently when the list outgrows 998 characters
 * (policy.c status_header(): if (!sb.failed) msg_add_edit(...)). With 80
 * recipients logged as relay_denied the message gets no header at all.
 * Proposed fix: list each symbol once, and cut the list (e.g. with ",...")
 * rather than dropping the header. */
START_TEST(regress_long_tests_list_drops_header)
{
	struct conn *conn = open_conn(BASE "action.relay_denied log\n");
	char rcpt[64];
	const char *value = NULL;

	ev_connect(conn, "client.test", "192.0.2.1");
	ev_mail(conn, "<sender@example.net>", NULL);
	for (int i = 0; i < 80; i++) {
		snprintf(rcpt, sizeof(rcpt), "<user%d@other.test>", i);
		ck_assert_str_eq(ev_rcpt(conn, rcpt), "continue");
	}
	ck_assert_uint_eq(conn->msg->nresults, 80);
	ck_assert_str_eq(ev_simple(conn, STAGE_EOM), "accept");
	for (size_t i = 0; i < conn->msg->nedits; i++)
		if (conn->msg->edits[i].op == HDR_ADD)
			value = conn->msg->edits[i].value;
	ck_assert_ptr_nonnull(value);
	ck_assert_uint_le(strlen(value), 998);
	ck_assert_str_eq(value, "accept; score=0.0; tests=relay_denied; host=mx.test");
	conn_free(&conn);
}
END_TEST

int run_suite(Suite *s, const char *name); /* test_runner.c */

int main(void)
{
	Suite *s = suite_create("pipeline");
	TCase *tc = tcase_create("pipeline");
	TCase *regress1 = tcase_create("regress_results_cap_opens_relay");
	TCase *regress2 = tcase_create("regress_many_forged_status_headers");
	TCase *regress3 = tcase_create("regress_long_tests_list_drops_header");

	log_set_quiet(1);
	tcase_add_test(tc, one_transaction_stage_by_stage);
	tcase_add_test(tc, early_reject_at_end_of_header);
	tcase_add_test(tc, client_details);
	tcase_add_test(tc, out_of_order_events_tempfail);
	tcase_add_test(tc, many_recipients_within_limits);
	suite_add_tcase(s, tc);
	tcase_add_test(regress1, regress_results_cap_opens_relay);
	suite_add_tcase(s, regress1);
	tcase_add_test(regress2, regress_many_forged_status_headers);
	suite_add_tcase(s, regress2);
	tcase_add_test(regress3, regress_long_tests_list_drops_header);
	suite_add_tcase(s, regress3);
	return run_suite(s, "pipeline");
}
