/* Connection and message contexts, and the per-message summary line. */
#include "config.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "mailsift/cidr.h"
#include "mailsift/log.h"
#include "mailsift/session.h"
#include "mailsift/strbuf.h"

#define SUMMARY_MAX 16384
#define SUMMARY_RCPTS 32 /* recipients named; the rest are counted */

static atomic_ulong conn_counter;

char *sanitize(char *dst, size_t n, const char *src)
{
	size_t j = 0;

	if (n == 0)
		return dst;
	for (size_t i = 0; src != NULL && src[i] != '\0' && j + 1 < n; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[j++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	dst[j] = '\0';
	return dst;
}

struct conn *conn_new(struct config *cfg)
{
	struct conn *conn = calloc(1, sizeof(*conn));

	if (conn == NULL)
		return NULL;
	conn->cfg = cfg;
	conn->id = atomic_fetch_add(&conn_counter, 1) + 1;
	return conn;
}

void conn_free(struct conn **conn)
{
	if (*conn == NULL)
		return;
	msg_end(*conn);
	config_release(&(*conn)->cfg);
	free(*conn);
	*conn = NULL;
}

void conn_set_client(struct conn *conn, const char *name, const char *addr)
{
	sanitize(conn->client_name, sizeof(conn->client_name), name != NULL ? name : "unknown");
	sanitize(conn->client_addr, sizeof(conn->client_addr), addr != NULL ? addr : "");
	conn->trusted = conn->client_addr[0] != '\0' &&
			cidr_list_match(conn->cfg->trusted_networks, conn->client_addr);
}

void conn_set_helo(struct conn *conn, const char *helo)
{
	sanitize(conn->helo, sizeof(conn->helo), helo);
}

void msg_clear_edits(struct msg *msg)
{
	for (size_t i = 0; i < msg->nedits; i++) {
		free(msg->edits[i].name);
		free(msg->edits[i].value);
	}
	msg->nedits = 0;
}

static void msg_free(struct msg **msg)
{
	struct msg *m = *msg;

	if (m == NULL)
		return;
	for (size_t i = 0; i < m->nrcpts; i++)
		free(m->rcpts[i].path);
	msg_clear_edits(m);
	dkimverify_end(&m->dkim);
	content_msg_free(&m->content);
	arcverify_end(&m->arc);
	free(m->edits);
	free(m->rules_tests);
	free(m->authres_ours);
	free(m->rcpts);
	free(m->results);
	free(m->sender_path);
	free(m);
	*msg = NULL;
}

struct msg *msg_begin(struct conn *conn)
{
	msg_end(conn);
	conn->msg = calloc(1, sizeof(struct msg));
	return conn->msg;
}

void msg_end(struct conn *conn)
{
	if (conn->msg == NULL)
		return;
	msg_log_summary(conn, conn->msg);
	msg_free(&conn->msg);
}

int msg_add_rcpt(struct msg *msg, const char *path)
{
	struct rcpt *r;

	if (msg->nrcpts == msg->rcpts_cap) {
		size_t ncap = msg->rcpts_cap ? msg->rcpts_cap * 2 : 4;
		struct rcpt *n = realloc(msg->rcpts, ncap * sizeof(*n));

		if (n == NULL)
			return -1;
		msg->rcpts = n;
		msg->rcpts_cap = ncap;
	}
	r = &msg->rcpts[msg->nrcpts];
	memset(r, 0, sizeof(*r));
	r->path = strndup(path, ADDR_PATH_MAX + 2);
	if (r->path == NULL)
		return -1;
	return (int)msg->nrcpts++;
}

int msg_add_result(struct msg *msg, enum symbol_id sym, int rcpt, enum stage stage,
		   const char *detail)
{
	struct result *r;

	if (msg->nresults == msg->results_cap) {
		size_t ncap = msg->results_cap ? msg->results_cap * 2 : 8;
		struct result *n;

		if (ncap > MSG_MAX_RESULTS ||
		    (n = realloc(msg->results, ncap * sizeof(*n))) == NULL) {
			msg->results_dropped++;
			return -1;
		}
		msg->results = n;
		msg->results_cap = ncap;
	}
	r = &msg->results[msg->nresults++];
	r->sym = sym;
	r->rcpt = rcpt;
	r->stage = stage;
	r->score = 0;
	sanitize(r->detail, sizeof(r->detail), detail);
	return 0;
}

int msg_add_edit(struct msg *msg, enum hdr_op op, const char *name, const char *value, int index)
{
	struct hdr_edit *e;

	if (msg->nedits == msg->edits_cap) {
		size_t ncap = msg->edits_cap ? msg->edits_cap * 2 : 4;
		struct hdr_edit *n;

		if (ncap > MSG_MAX_EDITS || (n = realloc(msg->edits, ncap * sizeof(*n))) == NULL)
			return -1;
		msg->edits = n;
		msg->edits_cap = ncap;
	}
	e = &msg->edits[msg->nedits];
	e->op = op;
	e->index = index;
	e->name = strdup(name);
	e->value = value != NULL ? strdup(value) : NULL;
	if (e->name == NULL || (value != NULL && e->value == NULL)) {
		free(e->name);
		free(e->value);
		return -1;
	}
	msg->nedits++;
	return 0;
}

static void summary_rcpts(struct strbuf *sb, const struct msg *msg)
{
	char buf[ADDR_PATH_MAX + 1];

	sb_puts(sb, " to=");
	for (size_t i = 0; i < msg->nrcpts && i < SUMMARY_RCPTS; i++) {
		const struct rcpt *r = &msg->rcpts[i];

		sb_printf(sb, "%s%s", i ? "," : "", sanitize(buf, sizeof(buf), r->path));
		if (r->verdict == VERDICT_REJECT || r->verdict == VERDICT_TEMPFAIL)
			sb_printf(sb, ":%s:%s", verdict_name(r->verdict), r->reply.code);
	}
	if (msg->nrcpts > SUMMARY_RCPTS)
		sb_printf(sb, ",+%zu more", msg->nrcpts - SUMMARY_RCPTS);
	if (msg->nrcpts == 0)
		sb_puts(sb, "none");
}

static void summary_results(struct strbuf *sb, const struct msg *msg)
{
	sb_puts(sb, " results=");
	for (size_t i = 0; i < msg->nresults && i < SUMMARY_RCPTS; i++) {
		const struct result *r = &msg->results[i];

		sb_printf(sb, "%s%s", i ? "," : "", symbol_def(r->sym)->name);
		if (r->rcpt >= 0)
			sb_printf(sb, "@%d", r->rcpt + 1);
		if (r->detail[0] != '\0')
			sb_printf(sb, "(%s)", r->detail);
	}
	if (msg->nresults == 0)
		sb_puts(sb, "none");
	if (msg->results_dropped > 0)
		sb_printf(sb, " results_dropped=%zu", msg->results_dropped);
}

/* A transaction that ended without a verdict of its own is summarised by
 * what happened at RCPT: rejected there, or abandoned by the client. */
static void summary_verdict(struct strbuf *sb, const struct msg *msg)
{
	enum verdict v = msg->verdict;
	enum stage st = msg->verdict_stage;
	const struct reply *reply = &msg->reply;

	if (!msg->decided) {
		v = VERDICT_CONTINUE;
		st = STAGE_RCPT;
		for (size_t i = 0; i < msg->nrcpts; i++) {
			if (msg->rcpts[i].verdict > v) {
				v = msg->rcpts[i].verdict;
				reply = &msg->rcpts[i].reply;
			}
		}
	}
	sb_printf(sb, " verdict=%s stage=%s",
		  msg->decided || v > VERDICT_ACCEPT ? verdict_name(v) : "none", stage_name(st));
	if (v == VERDICT_REJECT || v == VERDICT_TEMPFAIL)
		sb_printf(sb, " reply=\"%s %s %s\"", reply->code, reply->xcode, reply->text);
	sb_printf(sb, " score=%.1f", msg->score);
}

void msg_log_summary(const struct conn *conn, const struct msg *msg)
{
	struct strbuf sb;
	char from[ADDR_PATH_MAX + 1];

	sb_init(&sb, SUMMARY_MAX);
	sb_printf(&sb, "%s: client=%s[%s] helo=%s from=%s", msg->qid[0] ? msg->qid : "NOQUEUE",
		  conn->client_name, conn->client_addr[0] ? conn->client_addr : "unknown",
		  conn->helo[0] ? conn->helo : "none",
		  sanitize(from, sizeof(from), msg->sender_path ? msg->sender_path : "none"));
	summary_rcpts(&sb, msg);
	summary_verdict(&sb, msg);
	summary_results(&sb, msg);
	if (msg->shadow[0] != '\0')
		sb_printf(&sb, " shadow=%s", msg->shadow);
	if (sb.failed)
		log_info("%s: client=%s[%s] summary truncated", msg->qid[0] ? msg->qid : "NOQUEUE",
			 conn->client_name, conn->client_addr);
	else
		log_info("%s", sb_str(&sb));
	sb_free(&sb);
}
