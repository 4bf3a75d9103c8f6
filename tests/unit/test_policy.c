/* policy: whole SMTP transactions through the pipeline (offline_check()
 * plays the MTA), with exact verdicts, SMTP codes, enhanced status codes,
 * reply texts and header edits.
 * Cases named "regress_*" pin bugs found and fixed. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mailsift/config.h"
#include "mailsift/log.h"
#include "mailsift/msgfile.h"
#include "mailsift/offline.h"
#include "mailsift/pipeline.h"
#include "mailsift/session.h"

#define UNTRUSTED "192.0.2.1"
#define BASE "local_domains example.org\nauthserv_id mx.test\n"
#define DEFAULT_MESSAGE "Subject: test\n\nbody\n"

/* A configuration from text, with an optional recipient map file named
 * "recipients" beside it; the files are gone once it has loaded. */
static struct config *cfg_from(const char *text, const char *map)
{
	const char *tmp = getenv("TMPDIR");
	char dir[256], conf[300], mapfile[300];
	struct strbuf errors;
	struct config *cfg;
	FILE *fp;

	snprintf(dir, sizeof(dir), "%s/policy.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(conf, sizeof(conf), "%s/mailsift.conf", dir);
	snprintf(mapfile, sizeof(mapfile), "%s/recipients", dir);
	fp = fopen(conf, "w");
	ck_assert_ptr_nonnull(fp);
	/* no DNS in unit tests: the sender-domain check has its own tests */
	fputs("sender_domain_check no\nspf_check no\ndkim_check no\ndmarc_check no\n", fp);
	/* the X-Spam-* fields have their own tests */
	if (strstr(text, "spam_headers") == NULL)
		fputs("spam_headers no\n", fp);
	fputs(text, fp);
	if (map != NULL)
		fputs("recipient_map recipients\n", fp);
	fclose(fp);
	if (map != NULL) {
		fp = fopen(mapfile, "w");
		ck_assert_ptr_nonnull(fp);
		fputs(map, fp);
		fclose(fp);
	}
	sb_init(&errors, 1 << 16);
	cfg = config_load(conf, &errors);
	unlink(conf);
	unlink(mapfile);
	rmdir(dir);
	ck_assert_msg(cfg != NULL, "config refused:\n%s", sb_str(&errors));
	sb_free(&errors);
	return cfg;
}

/* One transaction and what it leaves behind. */
struct tx {
	struct config *cfg;
	struct msgfile mf;
	struct offline_run run;
	struct offline_env env;
	const char *rcpts[16];
};

static void tx_init(struct tx *t, const char *conf, const char *map)
{
	memset(t, 0, sizeof(*t));
	t->cfg = cfg_from(conf, map);
	t->env.ip = UNTRUSTED;
	t->env.client_name = "client.test";
	t->env.helo = "client.test";
	t->env.from = "<sender@example.net>";
	t->env.rcpts = t->rcpts;
}

static void tx_rcpt(struct tx *t, const char *rcpt)
{
	ck_assert_uint_lt(t->env.nrcpts, 16);
	t->rcpts[t->env.nrcpts++] = rcpt;
}

static void tx_run_message(struct tx *t, const char *message)
{
	const char *err = NULL;
	FILE *fp = fmemopen((void *)message, strlen(message), "r");

	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(msgfile_read(fp, &t->mf, &err), 0);
	fclose(fp);
	ck_assert_msg(offline_check(t->cfg, &t->env, &t->mf, &t->run, &err) == 0, "%s", err);
}

#define tx_run(t) tx_run_message((t), DEFAULT_MESSAGE)

static void tx_done(struct tx *t)
{
	offline_run_free(&t->run);
	msgfile_free(&t->mf);
	config_release(&t->cfg);
}

static struct msg *tx_msg(struct tx *t)
{
	ck_assert_ptr_nonnull(t->run.conn);
	ck_assert_ptr_nonnull(t->run.conn->msg);
	return t->run.conn->msg;
}

/* "CODE XCODE text" for a refusal, "continue"/"accept"/... otherwise. */
static const char *answer(const struct decision *d, char *buf, size_t len)
{
	if (d->verdict == VERDICT_REJECT || d->verdict == VERDICT_TEMPFAIL)
		snprintf(buf, len, "%s %s %s", d->reply.code, d->reply.xcode, d->reply.text);
	else
		snprintf(buf, len, "%s", verdict_name(d->verdict));
	return buf;
}

/* The answer to the n-th RCPT TO. */
static const char *rcpt_answer(const struct tx *t, size_t n)
{
	static char buf[600];
	size_t seen = 0;

	for (size_t i = 0; i < t->run.nanswers; i++)
		if (t->run.answers[i].stage == STAGE_RCPT && seen++ == n)
			return answer(&t->run.answers[i].d, buf, sizeof(buf));
	ck_abort_msg("no answer to RCPT %zu", n);
	return NULL;
}

/* The final answer: at end of message, or the refusal at RCPT. */
static const char *final_answer(const struct tx *t)
{
	static char buf[600];
	struct decision d = {.verdict = t->run.verdict, .reply = t->run.reply};

	return answer(&d, buf, sizeof(buf));
}

/* The status header value the message got, or NULL. */
static const char *status_value(struct tx *t)
{
	struct msg *m = tx_msg(t);

	for (size_t i = 0; i < m->nedits; i++)
		if (m->edits[i].op == HDR_ADD)
			return m->edits[i].value;
	return NULL;
}

#define BASE_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define BASE_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define BAD_SENDER "<john..doe@example.net>"
#define BAD_SENDER_REPLY                                                                           \
	"550 5.1.7 <john..doe@example.net>: Sender address rejected: invalid local part"

/* The value of the header edit adding name, or NULL. */
static const char *added(struct tx *t, const char *name)
{
	struct msg *m = tx_msg(t);

	for (size_t i = 0; i < m->nedits; i++)
		if (m->edits[i].op == HDR_ADD && strcmp(m->edits[i].name, name) == 0)
			return m->edits[i].value;
	return NULL;
}

/* A message scored by one symbol: a HELO that is no name, helo_syntax. */
static void tx_scored(struct tx *t, const char *conf, const char *message)
{
	tx_init(t, conf, NULL);
	t->env.helo = "not a name!";
	tx_rcpt(t, "<alice@example.org>");
	tx_run_message(t, message);
}

START_TEST(spam_headers_and_thresholds)
{
	struct tx t;
	struct msg *m;

	tx_scored(&t, BASE "spam_headers yes\n", DEFAULT_MESSAGE);
	ck_assert_str_eq(final_answer(&t), "accept");
	ck_assert_str_eq(added(&t, "X-Spam-Status"),
			 "No, score=1.0 required=5.0 tests=helo_syntax");
	ck_assert_str_eq(added(&t, "X-Spam-Score"), "1.0");
	ck_assert_ptr_null(added(&t, "X-Spam-Flag"));
	tx_done(&t);
	/* a sender's own verdict never reaches the filters downstream */
	tx_scored(&t, BASE "spam_headers yes\nscore.helo_syntax 6.5\n",
		  "X-Spam-Flag: NO\nX-Spam-Status: No\nx-spam-flag: no\nSubject: s\n\nbody\n");
	m = tx_msg(&t);
	ck_assert_uint_eq(m->spam_headers_seen[0], 2);
	ck_assert_uint_eq(m->nedits, 7); /* status, 3 deletes, 3 adds */
	ck_assert_int_eq(m->edits[1].op, HDR_DELETE);
	ck_assert_str_eq(m->edits[1].name, "X-Spam-Flag");
	ck_assert_int_eq(m->edits[1].index, 2);
	ck_assert_int_eq(m->edits[2].index, 1);
	ck_assert_int_eq(m->edits[3].op, HDR_DELETE);
	ck_assert_str_eq(m->edits[3].name, "X-Spam-Status");
	ck_assert_str_eq(added(&t, "X-Spam-Flag"), "YES");
	ck_assert_str_eq(added(&t, "X-Spam-Status"),
			 "Yes, score=6.5 required=5.0 tests=helo_syntax");
	tx_done(&t);
	/* reject_score: 550 at end of message, the rules hidden from the client */
	tx_scored(&t, BASE "score.helo_syntax 15\n", DEFAULT_MESSAGE);
	ck_assert_str_eq(final_answer(&t), "550 5.7.1 Message rejected as spam");
	tx_done(&t);
	tx_scored(&t,
		  BASE "score.helo_syntax 15\nreject_score none\ntempfail_score 10\n"
		       "reply.score_tempfail 451 4.7.1 Deferred: %{detail}\n",
		  DEFAULT_MESSAGE);
	ck_assert_str_eq(final_answer(&t), "451 4.7.1 Deferred: score=15.0 required=10.0");
	tx_done(&t);
	tx_scored(&t, BASE "score.helo_syntax 4\nquarantine_score 3.5\n", DEFAULT_MESSAGE);
	ck_assert_str_eq(final_answer(&t), "quarantine");
	ck_assert_str_eq(tx_msg(&t)->quarantine_reason, "mailsift: score_quarantine");
	tx_done(&t);
	/* below every threshold */
	tx_scored(&t, BASE "score.helo_syntax 3.4\nquarantine_score 3.5\n", DEFAULT_MESSAGE);
	ck_assert_str_eq(final_answer(&t), "accept");
	tx_done(&t);
}
END_TEST

START_TEST(bad_sender_rejected_at_rcpt)
{
	struct tx t;

	tx_init(&t, BASE, NULL);
	t.env.from = BAD_SENDER;
	tx_rcpt(&t, "<alice@example.org>");
	tx_run(&t);
	/* connect, helo, mail: carry on; the refusal comes at RCPT */
	ck_assert_uint_eq(t.run.nanswers, 4);
	ck_assert_int_eq(t.run.answers[2].stage, STAGE_MAIL);
	ck_assert_int_eq(t.run.answers[2].d.verdict, VERDICT_CONTINUE);
	ck_assert_str_eq(rcpt_answer(&t, 0), BAD_SENDER_REPLY);
	ck_assert_str_eq(t.run.answers[3].d.symbol, "sender_syntax");
	ck_assert_int_eq(t.run.stage, STAGE_RCPT);
	ck_assert_str_eq(final_answer(&t), BAD_SENDER_REPLY);
	ck_assert_str_eq(t.run.symbol, "sender_syntax");
	tx_done(&t);
}
END_TEST

START_TEST(postmaster_and_abuse_are_exempt)
{
	struct tx t;

	tx_init(&t, BASE, NULL);
	t.env.from = BAD_SENDER;
	tx_rcpt(&t, "<alice@example.org>");
	tx_rcpt(&t, "<postmaster@example.org>");
	tx_rcpt(&t, "<Abuse@EXAMPLE.ORG>");
	tx_rcpt(&t, "<postmaster>");
	tx_rcpt(&t, "<POSTMASTER>");
	tx_rcpt(&t, "<abuse+reports@example.org>");
	tx_rcpt(&t, "<postmaster@other.test>"); /* not local: not exempt */
	tx_run(&t);
	ck_assert_str_eq(rcpt_answer(&t, 0), BAD_SENDER_REPLY);
	ck_assert_str_eq(rcpt_answer(&t, 1), "continue");
	ck_assert_str_eq(rcpt_answer(&t, 2), "continue");
	ck_assert_str_eq(rcpt_answer(&t, 3), "continue");
	ck_assert_str_eq(rcpt_answer(&t, 4), "continue");
	ck_assert_str_eq(rcpt_answer(&t, 5), "continue");
	ck_assert_str_eq(
		rcpt_answer(&t, 6),
		"550 5.1.7 <john..doe@example.net>: Sender address rejected: invalid local part");
	ck_assert_int_eq(t.run.stage, STAGE_EOM);
	ck_assert_str_eq(final_answer(&t), "accept");
	ck_assert_str_eq(status_value(&t), "accept; score=0.0; tests=sender_syntax; host=mx.test");
	tx_done(&t);
}
END_TEST

START_TEST(exempt_list_replaced)
{
	struct tx t;

	tx_init(&t, BASE "exempt_recipients nobody\n", NULL);
	t.env.from = BAD_SENDER;
	tx_rcpt(&t, "<postmaster@example.org>");
	tx_rcpt(&t, "<abuse@example.org>");
	tx_rcpt(&t, "<nobody@example.org>");
	tx_rcpt(&t, "<postmaster>"); /* a bare postmaster is always exempt */
	tx_run(&t);
	ck_assert_str_eq(rcpt_answer(&t, 0), BAD_SENDER_REPLY);
	ck_assert_str_eq(rcpt_answer(&t, 1), BAD_SENDER_REPLY);
	ck_assert_str_eq(rcpt_answer(&t, 2), "continue");
	ck_assert_str_eq(rcpt_answer(&t, 3), "continue");
	tx_done(&t);
	tx_init(&t, BASE "exempt_recipients none\n", NULL);
	t.env.from = BAD_SENDER;
	tx_rcpt(&t, "<postmaster@example.org>");
	tx_run(&t);
	ck_assert_str_eq(rcpt_answer(&t, 0), BAD_SENDER_REPLY);
	tx_done(&t);
}
END_TEST

START_TEST(recipient_syntax)
{
	struct tx t;

	tx_init(&t, BASE, NULL);
	tx_rcpt(&t, "<bad@@example.org>");
	tx_rcpt(&t, "<>");
	tx_rcpt(&t, "<no-domain>");
	tx_rcpt(&t, "<alice@example.org");
	tx_rcpt(&t, "<alice@example.org>");
	tx_run(&t);
	ck_assert_str_eq(
		rcpt_answer(&t, 0),
		"553 5.1.3 <bad@@example.org>: Recipient address rejected: invalid domain");
	ck_assert_str_eq(rcpt_answer(&t, 1),
			 "553 5.1.3 <>: Recipient address rejected: empty address");
	ck_assert_str_eq(rcpt_answer(&t, 2),
			 "553 5.1.3 <no-domain>: Recipient address rejected: missing @domain");
	ck_assert_str_eq(
		rcpt_answer(&t, 3),
		"553 5.1.3 <<alice@example.org>: Recipient address rejected: malformed path");
	ck_assert_str_eq(rcpt_answer(&t, 4), "continue");
	ck_assert_str_eq(final_answer(&t), "accept");
	tx_done(&t);
}
END_TEST

START_TEST(unknown_local_recipient)
{
	struct tx t;

	tx_init(&t, BASE, "alice@example.org\n");
	tx_rcpt(&t, "<bob@example.org>");
	tx_rcpt(&t, "<alice@example.org>");
	tx_rcpt(&t, "<Alice+lists@Example.Org>");
	tx_rcpt(&t, "<postmaster@example.org>"); /* always valid */
	tx_rcpt(&t, "<abuse@example.org>");	 /* exempt from sender checks only */
	tx_run(&t);
	ck_assert_str_eq(rcpt_answer(&t, 0),
			 "550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown");
	ck_assert_str_eq(rcpt_answer(&t, 1), "continue");
	ck_assert_str_eq(rcpt_answer(&t, 2), "continue");
	ck_assert_str_eq(rcpt_answer(&t, 3), "continue");
	ck_assert_str_eq(rcpt_answer(&t, 4),
			 "550 5.1.1 <abuse@example.org>: Recipient address rejected: User unknown");
	tx_done(&t);
}
END_TEST

START_TEST(relay_denied)
{
	struct tx t;

	tx_init(&t, BASE, NULL);
	tx_rcpt(&t, "<x@other.test>");
	tx_rcpt(&t, "<y@sub.example.org>");
	tx_run(&t);
	ck_assert_str_eq(rcpt_answer(&t, 0), "554 5.7.1 <x@other.test>: Relay access denied");
	ck_assert_str_eq(rcpt_answer(&t, 1), "554 5.7.1 <y@sub.example.org>: Relay access denied");
	ck_assert_str_eq(final_answer(&t), "554 5.7.1 <x@other.test>: Relay access denied");
	ck_assert_str_eq(t.run.symbol, "relay_denied");
	tx_done(&t);
}
END_TEST

START_TEST(relay_allowed)
{
	static const char *const ok_ips[] = {"127.0.0.1", "::1", "::ffff:127.0.0.1"};
	struct tx t;

	for (size_t i = 0; i < 3; i++) {
		tx_init(&t, BASE, NULL);
		t.env.ip = ok_ips[i];
		tx_rcpt(&t, "<x@other.test>");
		tx_run(&t);
		ck_assert_str_eq(rcpt_answer(&t, 0), "continue");
		tx_done(&t);
	}
	tx_init(&t, BASE, NULL);
	t.env.auth = "alice";
	tx_rcpt(&t, "<x@other.test>");
	tx_run(&t);
	ck_assert_str_eq(rcpt_answer(&t, 0), "continue");
	tx_done(&t);
	tx_init(&t, BASE "trusted_networks 192.0.2.0/24\n", NULL);
	tx_rcpt(&t, "<x@other.test>");
	tx_run(&t);
	ck_assert_str_eq(rcpt_answer(&t, 0), "continue");
	tx_done(&t);
	/* no local domains: the MTA alone decides what is local */
	tx_init(&t, "authserv_id mx.test\n", NULL);
	tx_rcpt(&t, "<x@other.test>");
	tx_run(&t);
	ck_assert_str_eq(rcpt_answer(&t, 0), "continue");
	tx_done(&t);
	/* an unknown client address is never trusted */
	tx_init(&t, BASE, NULL);
	t.env.ip = NULL;
	tx_rcpt(&t, "<x@other.test>");
	tx_run(&t);
	ck_assert_str_eq(rcpt_answer(&t, 0), "554 5.7.1 <x@other.test>: Relay access denied");
	tx_done(&t);
}
END_TEST

START_TEST(null_sender)
{
	struct tx t;

	tx_init(&t, BASE, NULL);
	t.env.from = "<>";
	tx_rcpt(&t, "<alice@example.org>");
	tx_run(&t);
	ck_assert_str_eq(rcpt_answer(&t, 0), "continue");
	ck_assert_str_eq(final_answer(&t), "accept");
	ck_assert_int_eq(tx_msg(&t)->sender.null, 1);
	tx_done(&t);
}
END_TEST

START_TEST(smtputf8)
{
	struct tx t;

	tx_init(&t, BASE, NULL);
	t.env.from = "<j\xc3\xb6rg@example.net>";
	tx_rcpt(&t, "<alice@example.org>");
	tx_run(&t);
	ck_assert_str_eq(rcpt_answer(&t, 0),
			 "550 5.1.7 <j??rg@example.net>: Sender address rejected: "
			 "non-ASCII address without SMTPUTF8");
	tx_done(&t);
	tx_init(&t, BASE, NULL);
	tx_rcpt(&t, "<j\xc3\xb6rg@example.org>");
	tx_run(&t);
	ck_assert_str_eq(rcpt_answer(&t, 0), "553 5.1.3 <j??rg@example.org>: Recipient address "
					     "rejected: non-ASCII address without SMTPUTF8");
	tx_done(&t);
	tx_init(&t, BASE, NULL);
	t.env.from = "<j\xc3\xb6rg@example.net>";
	t.env.smtputf8 = 1;
	tx_rcpt(&t, "<alice@example.org>");
	tx_rcpt(&t, "<j\xc3\xb6rg@example.org>");
	tx_run(&t);
	ck_assert_str_eq(rcpt_answer(&t, 0), "continue");
	ck_assert_str_eq(rcpt_answer(&t, 1), "continue");
	ck_assert_int_eq(tx_msg(&t)->smtputf8, 1);
	ck_assert_str_eq(final_answer(&t), "accept");
	tx_done(&t);
}
END_TEST

START_TEST(sender_checks_skipped)
{
	struct tx t;

	/* by default for trusted and authenticated clients */
	tx_init(&t, BASE, NULL);
	t.env.from = BAD_SENDER;
	t.env.ip = "127.0.0.1";
	tx_rcpt(&t, "<alice@example.org>");
	tx_run(&t);
	ck_assert_str_eq(rcpt_answer(&t, 0), "continue");
	tx_done(&t);
	tx_init(&t, BASE, NULL);
	t.env.from = BAD_SENDER;
	t.env.auth = "alice";
	tx_rcpt(&t, "<alice@example.org>");
	tx_run(&t);
	ck_assert_str_eq(rcpt_answer(&t, 0), "continue");
	ck_assert_str_eq(tx_msg(&t)->auth, "alice");
	tx_done(&t);
	/* none: checked for everyone */
	tx_init(&t, BASE "skip_sender_checks none\n", NULL);
	t.env.from = BAD_SENDER;
	t.env.ip = "127.0.0.1";
	t.env.auth = "alice";
	tx_rcpt(&t, "<alice@example.org>");
	tx_run(&t);
	ck_assert_str_eq(rcpt_answer(&t, 0), BAD_SENDER_REPLY);
	tx_done(&t);
	/* trusted only: an authenticated client from outside is checked */
	tx_init(&t, BASE "skip_sender_checks trusted\n", NULL);
	t.env.from = BAD_SENDER;
	t.env.auth = "alice";
	tx_rcpt(&t, "<alice@example.org>");
	tx_run(&t);
	ck_assert_str_eq(rcpt_answer(&t, 0), BAD_SENDER_REPLY);
	tx_done(&t);
}
END_TEST

START_TEST(log_action_is_shadow_only)
{
	struct tx t;

	tx_init(&t, BASE "action.sender_syntax log\n", NULL);
	t.env.from = BAD_SENDER;
	tx_rcpt(&t, "<alice@example.org>");
	tx_rcpt(&t, "<bob@example.org>");
	tx_run(&t);
	ck_assert_str_eq(rcpt_answer(&t, 0), "continue");
	ck_assert_str_eq(rcpt_answer(&t, 1), "continue");
	ck_assert_str_eq(final_answer(&t), "accept");
	ck_assert_str_eq(tx_msg(&t)->shadow, "log(sender_syntax)");
	ck_assert_str_eq(status_value(&t), "accept; score=0.0; tests=sender_syntax; host=mx.test");
	tx_done(&t);
}
END_TEST

START_TEST(dry_run)
{
	struct tx t;

	tx_init(&t, BASE "dry_run yes\n", "alice@example.org\n");
	t.env.from = BAD_SENDER;
	tx_rcpt(&t, "<alice@example.org>");
	tx_rcpt(&t, "<bob@example.org>");
	tx_rcpt(&t, "<x@other.test>");
	tx_run(&t);
	ck_assert_str_eq(rcpt_answer(&t, 0), "continue");
	ck_assert_str_eq(rcpt_answer(&t, 1), "continue");
	ck_assert_str_eq(rcpt_answer(&t, 2), "continue");
	ck_assert_str_eq(final_answer(&t), "accept");
	ck_assert_str_eq(tx_msg(&t)->shadow,
			 "reject(sender_syntax),reject(rcpt_unknown),reject(relay_denied)");
	ck_assert_str_eq(status_value(&t),
			 "accept; score=0.0; "
			 "tests=sender_syntax,rcpt_unknown,relay_denied; host=mx.test");
	tx_done(&t);
}
END_TEST

START_TEST(tempfail_action)
{
	struct tx t;

	tx_init(&t, BASE "action.rcpt_unknown tempfail\n", "alice@example.org\n");
	tx_rcpt(&t, "<bob@example.org>");
	tx_run(&t);
	ck_assert_str_eq(rcpt_answer(&t, 0),
			 "450 4.1.1 <bob@example.org>: Recipient address rejected: User unknown");
	ck_assert_int_eq(t.run.verdict, VERDICT_TEMPFAIL);
	tx_done(&t);
}
END_TEST

START_TEST(custom_reply_expansion)
{
	struct tx t;

	tx_init(&t,
		BASE "reply.relay_denied 554 5.7.1 %{sender} -> %{rcpt} from [%{ip}] "
		     "(%{symbol}: %{detail}) 100%%\n",
		NULL);
	t.env.from = "<a%b@example.net>";
	tx_rcpt(&t, "<x@other.test>");
	tx_run(&t);
	ck_assert_str_eq(rcpt_answer(&t, 0),
			 "554 5.7.1 a%b@example.net -> x@other.test from "
			 "[192.0.2.1] (relay_denied: domain other.test is not local) 100%");
	tx_done(&t);
	/* values are inserted as they are, never expanded again */
	tx_init(&t, BASE "reply.relay_denied 554 5.7.1 <%{sender}> %%{ip}\n", NULL);
	t.env.from = "<a%%{ip}@example.net>";
	tx_rcpt(&t, "<x@other.test>");
	tx_run(&t);
	ck_assert_str_eq(rcpt_answer(&t, 0), "554 5.7.1 <a%%{ip}@example.net> %{ip}");
	tx_done(&t);
	/* the null sender expands to nothing */
	tx_init(&t, BASE "reply.relay_denied 554 5.7.1 from <%{sender}>\n", NULL);
	t.env.from = "<>";
	tx_rcpt(&t, "<x@other.test>");
	tx_run(&t);
	ck_assert_str_eq(rcpt_answer(&t, 0), "554 5.7.1 from <>");
	tx_done(&t);
}
END_TEST

START_TEST(per_recipient_answers)
{
	struct tx t;
	struct msg *m;

	tx_init(&t, BASE "score.rcpt_unknown 3\n", "alice@example.org\n");
	tx_rcpt(&t, "<bob@example.org>");
	tx_rcpt(&t, "<alice@example.org>");
	tx_rcpt(&t, "<x@other.test>");
	tx_run(&t);
	ck_assert_str_eq(rcpt_answer(&t, 0),
			 "550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown");
	ck_assert_str_eq(rcpt_answer(&t, 1), "continue");
	ck_assert_str_eq(rcpt_answer(&t, 2), "554 5.7.1 <x@other.test>: Relay access denied");
	m = tx_msg(&t);
	ck_assert_uint_eq(m->nrcpts, 3);
	ck_assert_int_eq(m->rcpts[0].verdict, VERDICT_REJECT);
	ck_assert_str_eq(m->rcpts[0].symbol, "rcpt_unknown");
	ck_assert_int_eq(m->rcpts[1].verdict, VERDICT_CONTINUE);
	ck_assert_int_eq(m->rcpts[2].verdict, VERDICT_REJECT);
	/* the message goes on for alice; results of refused recipients do not count */
	ck_assert_int_eq(t.run.stage, STAGE_EOM);
	ck_assert_str_eq(final_answer(&t), "accept");
	ck_assert_double_eq(m->score, 0);
	ck_assert_str_eq(status_value(&t), "accept; score=0.0; tests=none; host=mx.test");
	tx_done(&t);
}
END_TEST

START_TEST(max_recipients)
{
	struct tx t;

	tx_init(&t, BASE "max_recipients 2\n", NULL);
	tx_rcpt(&t, "<bad@@example.org>"); /* refused ones count too */
	tx_rcpt(&t, "<alice@example.org>");
	tx_rcpt(&t, "<bob@example.org>");
	tx_rcpt(&t, "<postmaster>");
	tx_run(&t);
	ck_assert_str_eq(
		rcpt_answer(&t, 0),
		"553 5.1.3 <bad@@example.org>: Recipient address rejected: invalid domain");
	ck_assert_str_eq(rcpt_answer(&t, 1), "continue");
	ck_assert_str_eq(rcpt_answer(&t, 2), "452 4.5.3 Too many recipients");
	ck_assert_str_eq(rcpt_answer(&t, 3), "452 4.5.3 Too many recipients");
	ck_assert_str_eq(final_answer(&t), "accept");
	tx_done(&t);
}
END_TEST

START_TEST(status_header_added)
{
	struct tx t;
	struct msg *m;

	tx_init(&t, BASE, NULL);
	tx_rcpt(&t, "<alice@example.org>");
	tx_run(&t);
	m = tx_msg(&t);
	ck_assert_uint_eq(m->nedits, 1);
	ck_assert_int_eq(m->edits[0].op, HDR_ADD);
	ck_assert_str_eq(m->edits[0].name, "X-Mailsift-Status");
	ck_assert_str_eq(m->edits[0].value, "accept; score=0.0; tests=none; host=mx.test");
	ck_assert_int_eq(m->verdict, VERDICT_ACCEPT);
	ck_assert_int_eq(m->decided, 1);
	tx_done(&t);
}
END_TEST

START_TEST(incoming_status_headers_deleted)
{
	struct tx t;
	struct msg *m;

	tx_init(&t, BASE, NULL);
	tx_rcpt(&t, "<alice@example.org>");
	tx_run_message(&t, "X-Mailsift-Status: accept; forged\n"
			   "Subject: s\n"
			   "x-mailsift-status: another\n"
			   "X-MAILSIFT-STATUS: third\n"
			   "X-Mailsift-Status-Not: kept\n"
			   "\nbody\n");
	m = tx_msg(&t);
	ck_assert_uint_eq(m->status_headers_seen, 3);
	ck_assert_uint_eq(m->nedits, 4);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(m->edits[i].op, HDR_DELETE);
		ck_assert_str_eq(m->edits[i].name, "X-Mailsift-Status");
		ck_assert_ptr_null(m->edits[i].value);
		ck_assert_int_eq(m->edits[i].index, 3 - i); /* counting down */
	}
	ck_assert_int_eq(m->edits[3].op, HDR_ADD);
	ck_assert_str_eq(m->edits[3].value, "accept; score=0.0; tests=none; host=mx.test");
	tx_done(&t);
}
END_TEST

START_TEST(status_header_none_or_renamed)
{
	struct tx t;
	struct msg *m;

	tx_init(&t, BASE "status_header none\n", NULL);
	tx_rcpt(&t, "<alice@example.org>");
	tx_run_message(&t, "X-Mailsift-Status: forged\n\nbody\n");
	m = tx_msg(&t);
	ck_assert_str_eq(final_answer(&t), "accept");
	ck_assert_uint_eq(m->nedits, 0);
	tx_done(&t);
	tx_init(&t, BASE "status_header X-Check\n", NULL);
	tx_rcpt(&t, "<alice@example.org>");
	tx_run_message(&t, "X-Mailsift-Status: not ours\nX-Check: forged\n\nbody\n");
	m = tx_msg(&t);
	ck_assert_uint_eq(m->nedits, 2);
	ck_assert_int_eq(m->edits[0].op, HDR_DELETE);
	ck_assert_str_eq(m->edits[0].name, "X-Check");
	ck_assert_int_eq(m->edits[0].index, 1);
	ck_assert_str_eq(m->edits[1].name, "X-Check");
	ck_assert_str_eq(m->edits[1].value, "accept; score=0.0; tests=none; host=mx.test");
	tx_done(&t);
}
END_TEST

START_TEST(listed_results_and_score)
{
	struct tx t;

	tx_init(&t,
		BASE "action.rcpt_unknown log\nscore.rcpt_unknown 2.5\nscore.sender_syntax 1\n"
		     "action.sender_syntax score\n",
		"alice@example.org\n");
	t.env.from = BAD_SENDER;
	tx_rcpt(&t, "<bob@example.org>");
	tx_rcpt(&t, "<alice@example.org>");
	tx_run(&t);
	ck_assert_str_eq(rcpt_answer(&t, 0), "continue");
	ck_assert_str_eq(final_answer(&t), "accept");
	ck_assert_double_eq(tx_msg(&t)->score, 3.5);
	ck_assert_str_eq(status_value(&t),
			 "accept; score=3.5; tests=sender_syntax,rcpt_unknown; host=mx.test");
	ck_assert_str_eq(tx_msg(&t)->shadow, "log(rcpt_unknown)");
	tx_done(&t);
	/* ignore: neither scored nor listed */
	tx_init(&t, BASE "action.rcpt_unknown ignore\nscore.rcpt_unknown 5\n",
		"alice@example.org\n");
	tx_rcpt(&t, "<bob@example.org>");
	tx_run(&t);
	ck_assert_str_eq(rcpt_answer(&t, 0), "continue");
	ck_assert_str_eq(status_value(&t), "accept; score=0.0; tests=none; host=mx.test");
	tx_done(&t);
}
END_TEST

START_TEST(quarantine_and_discard)
{
	struct tx t;
	struct msg *m;

	tx_init(&t, BASE "action.sender_syntax quarantine\n", NULL);
	t.env.from = BAD_SENDER;
	tx_rcpt(&t, "<alice@example.org>");
	tx_run(&t);
	ck_assert_str_eq(rcpt_answer(&t, 0), "continue");
	ck_assert_str_eq(final_answer(&t), "quarantine");
	m = tx_msg(&t);
	ck_assert_int_eq(m->quarantine, 1);
	ck_assert_str_eq(m->quarantine_reason, "mailsift: sender_syntax");
	ck_assert_str_eq(status_value(&t),
			 "quarantine; score=0.0; tests=sender_syntax; host=mx.test");
	tx_done(&t);
	tx_init(&t, BASE "action.rcpt_unknown discard\n", "alice@example.org\n");
	tx_rcpt(&t, "<bob@example.org>");
	tx_run_message(&t, "X-Mailsift-Status: forged\n\nbody\n");
	ck_assert_str_eq(rcpt_answer(&t, 0), "continue");
	ck_assert_str_eq(final_answer(&t), "discard");
	ck_assert_uint_eq(tx_msg(&t)->nedits, 0); /* a discarded message gets no header */
	tx_done(&t);
}
END_TEST

START_TEST(envelope_from_headers)
{
	struct tx t;
	const char *err = NULL;

	tx_init(&t, BASE, NULL);
	t.env.from = NULL;
	tx_run_message(&t, "Return-Path: <bounce@example.net>\n"
			   "From: Someone <someone@example.net>\n"
			   "To: \"Alice, A.\" <alice@example.org>, x@other.test\n"
			   "Cc: bob@example.org (Bob)\n\nbody\n");
	ck_assert_str_eq(tx_msg(&t)->sender_path, "<bounce@example.net>");
	ck_assert_uint_eq(tx_msg(&t)->nrcpts, 3);
	ck_assert_str_eq(tx_msg(&t)->rcpts[0].path, "<alice@example.org>");
	ck_assert_str_eq(rcpt_answer(&t, 1), "554 5.7.1 <x@other.test>: Relay access denied");
	ck_assert_str_eq(tx_msg(&t)->rcpts[2].path, "<bob@example.org>");
	tx_done(&t);
	/* no recipient anywhere */
	tx_init(&t, BASE, NULL);
	FILE *fp = fmemopen((void *)DEFAULT_MESSAGE, strlen(DEFAULT_MESSAGE), "r");
	ck_assert_int_eq(msgfile_read(fp, &t.mf, &err), 0);
	fclose(fp);
	ck_assert_int_eq(offline_check(t.cfg, &t.env, &t.mf, &t.run, &err), -1);
	ck_assert_str_eq(err, "no recipient: give --rcpt or a message with To: or Cc:");
	ck_assert_int_eq(t.cfg->refs, 1);
	tx_done(&t);
}
END_TEST

/* Fixed: the reply text is documented to be cut at 399 characters, but
 * policy_expand() drops a value that does not fit whole (sb_puts fails), so
 * the text ends before it: here after the first of two 248-octet senders. */
START_TEST(regress_long_expansion_dropped_not_cut)
{
	char addr[256], from[300], want[800], got[REPLY_TEXT_MAX];
	struct tx t;

	snprintf(addr, sizeof(addr), "%.64s@%.63s.%.63s.%.50s.test", BASE_A, BASE_B, BASE_B,
		 BASE_B);
	snprintf(from, sizeof(from), "<%s>", addr);
	tx_init(&t, BASE "reply.relay_denied 554 5.7.1 %{sender} %{sender}\n", NULL);
	t.env.from = from;
	tx_rcpt(&t, "<x@other.test>");
	tx_run(&t);
	snprintf(got, sizeof(got), "%s", t.run.reply.text);
	tx_done(&t);
	snprintf(want, sizeof(want), "%s %s", addr, addr);
	want[REPLY_TEXT_MAX - 1] = '\0';
	ck_assert_uint_eq(strlen(addr), 248);
	ck_assert_str_eq(got, want);
}
END_TEST

int run_suite(Suite *s, const char *name); /* test_runner.c */

int main(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("policy");
	TCase *regress = tcase_create("regress_long_expansion_dropped_not_cut");

	log_set_quiet(1);
	tcase_add_test(tc, bad_sender_rejected_at_rcpt);
	tcase_add_test(tc, postmaster_and_abuse_are_exempt);
	tcase_add_test(tc, exempt_list_replaced);
	tcase_add_test(tc, recipient_syntax);
	tcase_add_test(tc, unknown_local_recipient);
	tcase_add_test(tc, relay_denied);
	tcase_add_test(tc, relay_allowed);
	tcase_add_test(tc, null_sender);
	tcase_add_test(tc, smtputf8);
	tcase_add_test(tc, sender_checks_skipped);
	tcase_add_test(tc, log_action_is_shadow_only);
	tcase_add_test(tc, dry_run);
	tcase_add_test(tc, tempfail_action);
	tcase_add_test(tc, custom_reply_expansion);
	tcase_add_test(tc, per_recipient_answers);
	tcase_add_test(tc, max_recipients);
	tcase_add_test(tc, status_header_added);
	tcase_add_test(tc, incoming_status_headers_deleted);
	tcase_add_test(tc, status_header_none_or_renamed);
	tcase_add_test(tc, listed_results_and_score);
	tcase_add_test(tc, quarantine_and_discard);
	tcase_add_test(tc, spam_headers_and_thresholds);
	tcase_add_test(tc, envelope_from_headers);
	suite_add_tcase(s, tc);
	tcase_add_test(regress, regress_long_expansion_dropped_not_cut);
	suite_add_tcase(s, regress);
	return run_suite(s, "policy");
}
