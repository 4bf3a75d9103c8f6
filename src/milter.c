/* libmilter callbacks: unpack what the MTA sends, run the pipeline, pack
 * the answer. Nothing here decides anything. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmilter/mfapi.h>

#include "mailsift/content.h"
#include "mailsift/log.h"
#include "mailsift/milter.h"
#include "mailsift/pipeline.h"
#include "mailsift/session.h"

/* Per connection: the pipeline's context plus what was negotiated. */
struct milter_conn {
	struct conn *conn;     /* owned */
	unsigned long noreply; /* SMFIP_NR_* the MTA agreed to */
	int owed_tempfail;     /* a failure at a stage that could not answer */
	int leadspc;	       /* header values carry their leading space, both ways */
};

static atomic_int active_connections;

int milter_active_connections(void)
{
	return atomic_load(&active_connections);
}

static struct milter_conn *get_mconn(SMFICTX *ctx)
{
	struct milter_conn *mc = smfi_getpriv(ctx);
	struct config *cfg;

	if (mc != NULL)
		return mc;
	cfg = config_current();
	mc = calloc(1, sizeof(*mc));
	if (cfg == NULL || mc == NULL || (mc->conn = conn_new(cfg)) == NULL) {
		log_error("cannot set up a connection context: out of memory");
		config_release(&cfg);
		free(mc);
		return NULL;
	}
	atomic_fetch_add(&active_connections, 1);
	smfi_setpriv(ctx, mc);
	return mc;
}

/* The MTA applies the text as a printf-like format: '%' must be doubled,
 * and only printable ASCII goes out. */
static void milter_escape(const char *in, char *out, size_t outlen)
{
	size_t j = 0;

	for (size_t i = 0; in[i] != '\0' && j + 2 < outlen; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == '%')
			out[j++] = '%';
		out[j++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	out[j] = '\0';
}

static sfsistat answer(SMFICTX *ctx, const struct decision *d, sfsistat cont)
{
	char text[REPLY_TEXT_MAX * 2];

	switch (d->verdict) {
	case VERDICT_REJECT:
	case VERDICT_TEMPFAIL:
		milter_escape(d->reply.text, text, sizeof(text));
		if (smfi_setreply(ctx, (char *)d->reply.code, (char *)d->reply.xcode, text) !=
		    MI_SUCCESS)
			log_warn("MTA refused reply %s %s", d->reply.code, d->reply.xcode);
		return d->verdict == VERDICT_REJECT ? SMFIS_REJECT : SMFIS_TEMPFAIL;
	case VERDICT_DISCARD: return SMFIS_DISCARD;
	default: return cont;
	}
}

/* Runs one stage; out of memory before the pipeline could run is a
 * tempfail, the same as the pipeline's own internal errors. */
static sfsistat run(SMFICTX *ctx, const struct event *ev, unsigned long nr_flag)
{
	struct milter_conn *mc = get_mconn(ctx);
	struct decision d;

	if (mc == NULL)
		return (nr_flag & SMFIP_NR_CONN) ? SMFIS_NOREPLY : SMFIS_TEMPFAIL;
	pipeline_run(mc->conn, ev, &d);
	if (mc->noreply & nr_flag) {
		/* the MTA expects no answer here: owe it to the next stage */
		if (d.verdict == VERDICT_TEMPFAIL || d.verdict == VERDICT_REJECT)
			mc->owed_tempfail = 1;
		return SMFIS_NOREPLY;
	}
	if (mc->owed_tempfail && d.verdict < VERDICT_TEMPFAIL)
		return SMFIS_TEMPFAIL;
	return answer(ctx, &d, SMFIS_CONTINUE);
}

static char *macro(SMFICTX *ctx, const char *name)
{
	char *v = smfi_getsymval(ctx, (char *)name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

static sfsistat mlfi_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
			       unsigned long f3, unsigned long *pf0, unsigned long *pf1,
			       unsigned long *pf2, unsigned long *pf3)
{
	/* No DATA or unknown commands; no reply for stages whose answer is
	 * always "continue" (results wait for RCPT). Body chunks do get a
	 * reply: without one, the MTA's small end-of-message packet waits
	 * behind its unacknowledged body for our delayed ACK (Nagle on its
	 * side), about 40 ms a message; measured in bench/. */
	unsigned long steps = SMFIP_NODATA | SMFIP_NOUNKNOWN;
	unsigned long noreply = SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL | SMFIP_NR_HDR |
				SMFIP_NR_EOH | SMFIP_NR_DATA | SMFIP_NR_UNKN;
	struct milter_conn *mc = get_mconn(ctx);

	(void)f2;
	(void)f3;
	if (mc == NULL)
		return SMFIS_REJECT; /* libmilter: refuse the connection */
	/* the body only when a check reads it; header values as sent, with
	 * their leading space, for DKIM's "simple" canonicalization */
	if (!mc->conn->cfg->dkim_check && !mc->conn->cfg->arc_check && mc->conn->cfg->rules == NULL)
		steps |= SMFIP_NOBODY;
	/* header rules may settle reject_score at end of header */
	if (content_early_reject(mc->conn->cfg))
		noreply &= ~SMFIP_NR_EOH;
	*pf0 = f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE);
	*pf1 = f1 & (steps | noreply | SMFIP_HDR_LEADSPC);
	mc->leadspc = (*pf1 & SMFIP_HDR_LEADSPC) != 0;
	*pf2 = 0;
	*pf3 = 0;
	mc->noreply = *pf1 & noreply;
	if (f0 & SMFIF_SETSYMLIST) {
		*pf0 |= SMFIF_SETSYMLIST;
		smfi_setsymlist(ctx, SMFIM_CONNECT, "j {daemon_name} {client_addr} {client_name}");
		smfi_setsymlist(ctx, SMFIM_HELO, "{tls_version}");
		smfi_setsymlist(ctx, SMFIM_ENVFROM, "i {auth_authen} {mail_addr} {mail_host}");
		smfi_setsymlist(ctx, SMFIM_ENVRCPT, "i {rcpt_addr} {rcpt_host}");
		smfi_setsymlist(ctx, SMFIM_EOM, "i");
	}
	return SMFIS_CONTINUE;
}

static void addr_to_text(const struct sockaddr *sa, char *out, size_t outlen)
{
	out[0] = '\0';
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
			  (socklen_t)outlen);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
			  out, (socklen_t)outlen);
}

static sfsistat mlfi_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *hostaddr)
{
	char ip[INET6_ADDRSTRLEN];
	const char *addr;
	struct event ev = {.stage = STAGE_CONNECT, .name = hostname};

	addr_to_text(hostaddr, ip, sizeof(ip));
	addr = ip[0] != '\0' ? ip : macro(ctx, "{client_addr}");
	ev.value = addr;
	return run(ctx, &ev, SMFIP_NR_CONN);
}

static sfsistat mlfi_helo(SMFICTX *ctx, char *helo)
{
	struct event ev = {.stage = STAGE_HELO, .name = helo};

	return run(ctx, &ev, SMFIP_NR_HELO);
}

static sfsistat mlfi_envfrom(SMFICTX *ctx, char **argv)
{
	struct event ev = {.stage = STAGE_MAIL, .argv = argv};

	ev.qid = macro(ctx, "i");
	ev.auth = macro(ctx, "{auth_authen}");
	return run(ctx, &ev, SMFIP_NR_MAIL);
}

static sfsistat mlfi_envrcpt(SMFICTX *ctx, char **argv)
{
	struct event ev = {.stage = STAGE_RCPT, .argv = argv};

	ev.qid = macro(ctx, "i");
	return run(ctx, &ev, SMFIP_NR_RCPT);
}

static sfsistat mlfi_data(SMFICTX *ctx)
{
	struct event ev = {.stage = STAGE_DATA};

	return run(ctx, &ev, SMFIP_NR_DATA);
}

static sfsistat mlfi_header(SMFICTX *ctx, char *name, char *value)
{
	struct event ev = {.stage = STAGE_HEADER, .name = name, .value = value};

	return run(ctx, &ev, SMFIP_NR_HDR);
}

static sfsistat mlfi_eoh(SMFICTX *ctx)
{
	struct event ev = {.stage = STAGE_EOH};

	return run(ctx, &ev, SMFIP_NR_EOH);
}

static sfsistat mlfi_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct event ev = {.stage = STAGE_BODY, .data = chunk, .len = len};

	return run(ctx, &ev, SMFIP_NR_BODY);
}

/* With SMFIP_HDR_LEADSPC the MTA takes header values as they go on the
 * wire: the space after the colon is ours to give. */
static int apply_edit(SMFICTX *ctx, const struct hdr_edit *e, int leadspc)
{
	char *value = e->value;
	char *spaced = NULL;
	int rc;

	if (value != NULL && leadspc) {
		size_t n = strlen(value);
		if ((spaced = malloc(n + 2)) == NULL)
			return MI_FAILURE;
		spaced[0] = ' ';
		memcpy(spaced + 1, value, n + 1);
		value = spaced;
	}
	switch (e->op) {
	case HDR_DELETE: rc = smfi_chgheader(ctx, e->name, e->index, NULL); break;
	case HDR_INSERT: rc = smfi_insheader(ctx, e->index, e->name, value); break;
	default: rc = smfi_addheader(ctx, e->name, value); break;
	}
	free(spaced);
	return rc;
}

static sfsistat mlfi_eom(SMFICTX *ctx)
{
	struct milter_conn *mc = get_mconn(ctx);
	struct event ev = {.stage = STAGE_EOM};
	struct decision d;
	struct msg *msg;
	sfsistat rc;

	if (mc == NULL)
		return SMFIS_TEMPFAIL;
	ev.qid = macro(ctx, "i");
	pipeline_run(mc->conn, &ev, &d);
	if (mc->owed_tempfail && d.verdict < VERDICT_TEMPFAIL) {
		msg_end(mc->conn);
		return SMFIS_TEMPFAIL;
	}
	msg = mc->conn->msg;
	if (msg != NULL && d.verdict != VERDICT_REJECT && d.verdict != VERDICT_TEMPFAIL) {
		for (size_t i = 0; i < msg->nedits; i++)
			if (apply_edit(ctx, &msg->edits[i], mc->leadspc) != MI_SUCCESS)
				log_warn("%s: MTA refused a change of header %s", msg->qid,
					 msg->edits[i].name);
		if (d.verdict == VERDICT_QUARANTINE &&
		    smfi_quarantine(ctx, msg->quarantine_reason) != MI_SUCCESS)
			log_warn("%s: MTA refused to quarantine the message", msg->qid);
	}
	rc = answer(ctx, &d, SMFIS_CONTINUE);
	msg_end(mc->conn);
	mc->owed_tempfail = 0;
	return rc;
}

static sfsistat mlfi_abort(SMFICTX *ctx)
{
	struct milter_conn *mc = smfi_getpriv(ctx);

	if (mc != NULL) {
		msg_end(mc->conn);
		mc->owed_tempfail = 0;
	}
	return SMFIS_CONTINUE;
}

static sfsistat mlfi_close(SMFICTX *ctx)
{
	struct milter_conn *mc = smfi_getpriv(ctx);

	if (mc == NULL)
		return SMFIS_CONTINUE;
	conn_free(&mc->conn);
	free(mc);
	smfi_setpriv(ctx, NULL);
	atomic_fetch_sub(&active_connections, 1);
	return SMFIS_CONTINUE;
}

static sfsistat mlfi_unknown(SMFICTX *ctx, const char *cmd)
{
	(void)ctx;
	(void)cmd;
	return SMFIS_CONTINUE;
}

static struct smfiDesc milter_desc = {
	.xxfi_name = "mailsift",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE,
	.xxfi_connect = mlfi_connect,
	.xxfi_helo = mlfi_helo,
	.xxfi_envfrom = mlfi_envfrom,
	.xxfi_envrcpt = mlfi_envrcpt,
	.xxfi_header = mlfi_header,
	.xxfi_eoh = mlfi_eoh,
	.xxfi_body = mlfi_body,
	.xxfi_eom = mlfi_eom,
	.xxfi_abort = mlfi_abort,
	.xxfi_close = mlfi_close,
	.xxfi_unknown = mlfi_unknown,
	.xxfi_data = mlfi_data,
	.xxfi_negotiate = mlfi_negotiate,
};

int milter_register(void)
{
	return smfi_register(milter_desc) == MI_SUCCESS ? 0 : -1;
}
