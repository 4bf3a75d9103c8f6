/* The offline transaction: connect, HELO, MAIL, RCPT..., DATA, headers,
 * body, end of message, stopping where the MTA would stop. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailsift/offline.h"

#define OFFLINE_BODY_CHUNK 65536

static void record(struct offline_run *run, enum stage stage, const char *arg,
		   const struct decision *d)
{
	struct offline_answer *a;

	if (run->nanswers >= OFFLINE_MAX_ANSWERS)
		return;
	a = &run->answers[run->nanswers++];
	a->stage = stage;
	sanitize(a->arg, sizeof(a->arg), arg != NULL ? arg : "");
	a->d = *d;
}

static void step(struct offline_run *run, struct event *ev, const char *arg, struct decision *d)
{
	pipeline_run(run->conn, ev, d);
	record(run, ev->stage, arg, d);
}

static void keep_rcpt(void *ctx, const char *addr)
{
	struct offline_run *run = ctx;
	char **n = realloc(run->rcpt_storage, (run->nrcpt_storage + 1) * sizeof(*n));

	if (n == NULL)
		return;
	run->rcpt_storage = n;
	if ((n[run->nrcpt_storage] = strdup(addr)) != NULL)
		run->nrcpt_storage++;
}

static const char *default_sender(const struct msgfile *mf, char *buf, size_t len)
{
	const char *rp = msgfile_header(mf, "Return-Path");
	const char *from = msgfile_header(mf, "From");
	struct offline_run tmp = {0};

	if (rp == NULL && from == NULL)
		return "<>";
	msgfile_each_address(rp != NULL ? rp : from, keep_rcpt, &tmp);
	if (tmp.nrcpt_storage == 0)
		snprintf(buf, len, "<>");
	else
		snprintf(buf, len, "%s", tmp.rcpt_storage[0]);
	for (size_t i = 0; i < tmp.nrcpt_storage; i++)
		free(tmp.rcpt_storage[i]);
	free(tmp.rcpt_storage);
	return buf;
}

static int envelope_stages(struct offline_run *run, const struct offline_env *env,
			   const struct msgfile *mf)
{
	char from_buf[1024];
	const char *from =
		env->from != NULL ? env->from : default_sender(mf, from_buf, sizeof(from_buf));
	char *mail_argv[3] = {(char *)from, env->smtputf8 ? "SMTPUTF8" : NULL, NULL};
	struct event ev = {.stage = STAGE_CONNECT, .name = env->client_name, .value = env->ip};
	struct decision d;
	int accepted = 0;

	step(run, &ev, env->ip != NULL ? env->ip : "unknown", &d);
	if (env->helo != NULL) {
		struct event helo = {.stage = STAGE_HELO, .name = env->helo};
		step(run, &helo, env->helo, &d);
	}
	struct event mail = {.stage = STAGE_MAIL, .argv = mail_argv, .auth = env->auth};
	step(run, &mail, from, &d);
	if (run->conn->msg != NULL)
		run->conn->msg->sender_guessed = env->from == NULL;
	for (size_t i = 0; i < env->nrcpts; i++) {
		char *rcpt_argv[2] = {(char *)env->rcpts[i], NULL};
		struct event rcpt = {.stage = STAGE_RCPT, .argv = rcpt_argv};

		step(run, &rcpt, env->rcpts[i], &d);
		if (d.verdict < VERDICT_TEMPFAIL)
			accepted++;
		else if (run->verdict < d.verdict || run->symbol == NULL) {
			run->verdict = d.verdict;
			run->reply = d.reply;
			run->symbol = d.symbol;
		}
	}
	return accepted;
}

static void content_stages(struct offline_run *run, const struct msgfile *mf)
{
	struct event ev = {.stage = STAGE_DATA};
	struct decision d;

	step(run, &ev, "", &d);
	for (size_t i = 0; i < mf->nheaders; i++) {
		struct event h = {.stage = STAGE_HEADER,
				  .name = mf->headers[i].name,
				  .value = mf->headers[i].raw};
		pipeline_run(run->conn, &h, &d);
	}
	ev.stage = STAGE_EOH;
	step(run, &ev, "", &d);
	if (d.verdict >= VERDICT_TEMPFAIL) {
		/* refused at end of header: the MTA sends no body */
		run->verdict = d.verdict;
		run->stage = STAGE_EOH;
		run->reply = d.reply;
		run->symbol = d.symbol;
		return;
	}
	for (size_t off = 0; off < mf->body_len; off += OFFLINE_BODY_CHUNK) {
		size_t n = mf->body_len - off < OFFLINE_BODY_CHUNK ? mf->body_len - off
								   : OFFLINE_BODY_CHUNK;
		struct event b = {.stage = STAGE_BODY,
				  .data = (const unsigned char *)mf->body + off,
				  .len = n};
		pipeline_run(run->conn, &b, &d);
	}
	ev.stage = STAGE_EOM;
	step(run, &ev, "", &d);
	run->verdict = d.verdict;
	run->stage = STAGE_EOM;
	run->reply = d.reply;
	run->symbol = d.symbol;
}

int offline_check(struct config *cfg, const struct offline_env *env_in, const struct msgfile *mf,
		  struct offline_run *run, const char **error_r)
{
	struct offline_env env = *env_in;

	memset(run, 0, sizeof(*run));
	if (env.nrcpts == 0) {
		const char *to = msgfile_header(mf, "To"), *cc = msgfile_header(mf, "Cc");
		if (to != NULL)
			msgfile_each_address(to, keep_rcpt, run);
		if (cc != NULL)
			msgfile_each_address(cc, keep_rcpt, run);
		env.rcpts = (const char **)run->rcpt_storage;
		env.nrcpts = run->nrcpt_storage;
	}
	if (env.nrcpts == 0) {
		*error_r = "no recipient: give --rcpt or a message with To: or Cc:";
		return -1;
	}
	run->conn = conn_new(config_ref(cfg));
	if (run->conn == NULL) {
		config_release(&cfg);
		*error_r = "out of memory";
		return -1;
	}
	run->stage = STAGE_RCPT;
	if (envelope_stages(run, &env, mf) > 0)
		content_stages(run, mf);
	return 0;
}

void offline_run_free(struct offline_run *run)
{
	conn_free(&run->conn);
	for (size_t i = 0; i < run->nrcpt_storage; i++)
		free(run->rcpt_storage[i]);
	free(run->rcpt_storage);
	memset(run, 0, sizeof(*run));
}
