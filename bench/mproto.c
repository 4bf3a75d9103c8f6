/*
 * mproto.c - the MTA side of the milter protocol, one connection per worker.
 *
 * A worker drives the conversation an MTA such as Postfix would: option
 * negotiation, connect, HELO, MAIL, RCPT..., DATA, headers, EOH, body
 * chunks and EOM, with the stage macros before each command, ABORT
 * between messages and QUIT at the end.  Outgoing packets are buffered
 * and written when a reply is awaited (as Postfix's stream does), and
 * TCP_NODELAY is left off unless --nodelay is given.
 */
#include "milterload.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* Protocol values, as defined for libmilter (mfdef.h / mfapi.h). */
#define MILTER_VERSION 6u
#define ACT_ADDHDRS 0x001u
#define ACT_CHGBODY 0x002u
#define ACT_ADDRCPT 0x004u
#define ACT_DELRCPT 0x008u
#define ACT_CHGHDRS 0x010u
#define ACT_CHGFROM 0x040u
#define ACT_ADDRCPT_PAR 0x080u
#define ACT_ALL 0x1FFu
#define P_NOCONNECT 0x00000001u
#define P_NOHELO 0x00000002u
#define P_NOMAIL 0x00000004u
#define P_NORCPT 0x00000008u
#define P_NOBODY 0x00000010u
#define P_NOHDRS 0x00000020u
#define P_NOEOH 0x00000040u
#define P_NR_HDR 0x00000080u
#define P_NODATA 0x00000200u
#define P_NR_CONN 0x00001000u
#define P_NR_HELO 0x00002000u
#define P_NR_MAIL 0x00004000u
#define P_NR_RCPT 0x00008000u
#define P_NR_DATA 0x00010000u
#define P_NR_EOH 0x00040000u
#define P_NR_BODY 0x00080000u
#define P_HDR_LEADSPC 0x00100000u
#define P_ALL 0x001FFFFFu /* everything we offer */
#define P_INTERNAL 0x70000000u

#define PKT_MAX (5u + CHUNK_MAX)  /* length + command + data */
#define RX_MAX (4u * 1024 * 1024) /* largest reply packet accepted */
#define OUTBUF 4096u		  /* stream buffer, like an MTA's */
#define INBUF 8192u
#define IO_TIMEOUT 30	  /* seconds, per read or write */
#define NSYM 7		  /* macro stages in SMFIR_SETSYMLIST */
#define REPLY_LOOP 100000 /* bound on packets for one event */

/* macro stage numbers of SMFIR_SETSYMLIST */
enum symstage { SY_CONNECT, SY_HELO, SY_MAIL, SY_RCPT, SY_DATA, SY_EOM, SY_EOH };

struct kv {
	const char *k;
	const char *v;
};
struct pkt {
	size_t len;
	int overflow;
	unsigned char buf[PKT_MAX];
};

struct conn {
	int fd, err;
	uint32_t version, acts, pflags;
	char *syms[NSYM];
	unsigned long seq; /* connection number */
	unsigned nmsg;	   /* messages on this connection */
	size_t outlen, inpos, inlen, rxcap, rxlen;
	unsigned char *rx;
	int rxcmd;
	struct stats *st;
	struct pkt pk;
	unsigned char out[OUTBUF], in[INBUF];
};

struct cur {
	const unsigned char *p;
	size_t left;
};

static atomic_ulong next_conn;
static atomic_uint logged;

static int fail(struct conn *c, enum err e, const char *what, int errnum)
{
	unsigned n = atomic_fetch_add(&logged, 1);
	char eb[128] = "";

	if (errnum != 0 && strerror_r(errnum, eb, sizeof eb) != 0)
		snprintf(eb, sizeof eb, "error %d", errnum);
	if (n < 20)
		fprintf(stderr, "milterload: %s%s%s\n", what, errnum ? ": " : "", eb);
	else if (n == 20)
		fputs("milterload: further errors not shown\n", stderr);
	if (c->err == E_NONE)
		c->err = e;
	return -1;
}

double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* ---- output: packets are buffered, written before each read ---- */

static int send_all(struct conn *c, const void *a, size_t alen, const void *b, size_t blen)
{
	struct iovec iov[2] = {{(void *)(uintptr_t)a, alen}, {(void *)(uintptr_t)b, blen}};
	size_t i = (alen == 0) ? 1 : 0;

	while (i < 2 && iov[i].iov_len > 0) {
		struct msghdr mh;
		ssize_t w;

		memset(&mh, 0, sizeof mh);
		mh.msg_iov = &iov[i];
		mh.msg_iovlen = 2 - i;
		w = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return fail(c, E_TIMEOUT, "write timed out", 0);
		if (w < 0)
			return fail(c, E_IO, "write", errno);
		for (; i < 2 && (size_t)w >= iov[i].iov_len; i++)
			w -= (ssize_t)iov[i].iov_len;
		if (i < 2) { /* partial write */
			iov[i].iov_base = (char *)iov[i].iov_base + w;
			iov[i].iov_len -= (size_t)w;
		}
	}
	return 0;
}

static int out_flush(struct conn *c)
{
	size_t n = c->outlen;

	c->outlen = 0;
	return n ? send_all(c, c->out, n, NULL, 0) : 0;
}

static int out_put(struct conn *c, const void *d, size_t n)
{
	size_t have = c->outlen;

	if (n <= OUTBUF - have) {
		memcpy(c->out + have, d, n);
		c->outlen += n;
		return 0;
	}
	c->outlen = 0;
	return send_all(c, c->out, have, d, n);
}

static void pk_begin(struct pkt *p, int cmd)
{
	p->len = 5;
	p->overflow = 0;
	p->buf[4] = (unsigned char)cmd;
}

static void pk_add(struct pkt *p, const void *d, size_t n)
{
	if (p->overflow || n > sizeof p->buf - p->len) {
		p->overflow = 1;
		return;
	}
	memcpy(p->buf + p->len, d, n);
	p->len += n;
}

static void pk_str(struct pkt *p, const char *s)
{
	pk_add(p, s, strlen(s) + 1);
}

static void pk_byte(struct pkt *p, int b)
{
	unsigned char ch = (unsigned char)b;

	pk_add(p, &ch, 1);
}

static int pk_send(struct conn *c)
{
	struct pkt *p = &c->pk;

	if (p->overflow)
		return fail(c, E_PROTOCOL, "command packet too large", 0);
	put_be32(p->buf, (uint32_t)(p->len - 4));
	return out_put(c, p->buf, p->len);
}

/* ---- input ---- */

static int in_read(struct conn *c, void *dst, size_t n)
{
	unsigned char *d = dst;

	while (n > 0) {
		size_t k;

		if (c->inpos == c->inlen) {
			ssize_t r = recv(c->fd, c->in, sizeof c->in, 0);

			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				return fail(c, E_TIMEOUT, "read timed out", 0);
			if (r < 0)
				return fail(c, E_IO, "read", errno);
			if (r == 0)
				return fail(c, E_IO, "filter closed the connection", 0);
			c->inpos = 0;
			c->inlen = (size_t)r;
		}
		k = c->inlen - c->inpos < n ? c->inlen - c->inpos : n;
		memcpy(d, c->in + c->inpos, k);
		c->inpos += k;
		d += k;
		n -= k;
	}
	return 0;
}

static int read_packet(struct conn *c)
{
	unsigned char h[4];
	uint32_t len;

	if (out_flush(c) < 0 || in_read(c, h, 4) < 0)
		return -1;
	len = get_be32(h);
	if (len < 1 || len > RX_MAX)
		return fail(c, E_PROTOCOL, "bad reply packet length", 0);
	if (len > c->rxcap) {
		unsigned char *np = realloc(c->rx, len);

		if (np == NULL)
			return fail(c, E_IO, "out of memory", 0);
		c->rx = np;
		c->rxcap = len;
	}
	if (in_read(c, c->rx, len) < 0)
		return -1;
	c->rxcmd = c->rx[0];
	c->rxlen = len - 1;
	return 0;
}

static int cur_u32(struct cur *k, uint32_t *v)
{
	if (k->left < 4)
		return -1;
	*v = get_be32(k->p);
	k->p += 4;
	k->left -= 4;
	return 0;
}

static int cur_str(struct cur *k, const char **s)
{
	const unsigned char *z = k->left ? memchr(k->p, 0, k->left) : NULL;

	if (z == NULL)
		return -1;
	*s = (const char *)k->p;
	k->left -= (size_t)(z - k->p) + 1;
	k->p = z + 1;
	return 0;
}

/* ---- replies ---- */

struct modspec {
	int cmd;
	uint32_t act;
	int nlong, smin, smax;
	enum mod m;
};
static const struct modspec modspecs[] = {
    {'h', ACT_ADDHDRS, 0, 2, 2, M_ADDHDR},  {'i', ACT_ADDHDRS, 1, 2, 2, M_INSHDR},
    {'m', ACT_CHGHDRS, 1, 2, 2, M_CHGHDR},  {'e', ACT_CHGFROM, 0, 1, 2, M_CHGFROM},
    {'+', ACT_ADDRCPT, 0, 1, 1, M_ADDRCPT}, {'2', ACT_ADDRCPT_PAR, 0, 1, 2, M_ADDRCPT},
    {'-', ACT_DELRCPT, 0, 1, 1, M_DELRCPT}, {'b', ACT_CHGBODY, 0, 0, 0, M_REPLBODY},
};

static int handle_mod(struct conn *c, struct cur *k)
{
	const struct modspec *ms = NULL;
	const char *s;
	uint32_t u;
	int i;

	for (i = 0; i < (int)(sizeof modspecs / sizeof modspecs[0]); i++)
		if (modspecs[i].cmd == c->rxcmd)
			ms = &modspecs[i];
	if (ms == NULL)
		return fail(c, E_PROTOCOL, "unknown reply command", 0);
	if ((c->acts & ms->act) == 0)
		return fail(c, E_PROTOCOL, "modification not negotiated", 0);
	if (ms->cmd == 'b')
		k->left = 0; /* body replacement: raw bytes */
	for (i = 0; i < ms->nlong; i++)
		if (cur_u32(k, &u) < 0)
			return fail(c, E_PROTOCOL, "short modification", 0);
	for (i = 0; i < ms->smax && (i < ms->smin || k->left > 0); i++)
		if (cur_str(k, &s) < 0)
			return fail(c, E_PROTOCOL, "bad modification string", 0);
	if (k->left != 0)
		return fail(c, E_PROTOCOL, "excess modification data", 0);
	c->st->mods[ms->m]++;
	return 0;
}

/* verdict reply commands, in enum verdict order */
static const char verdict_cmds[V_N + 1] = "cartdysf4";

/* "4xx text" or "5xx text" (multi-line: "5xx-...") */
static int check_replycode(struct cur *k)
{
	const char *s;

	return (cur_str(k, &s) < 0 || k->left != 0 || strlen(s) < 4 ||
		(s[0] != '4' && s[0] != '5') || s[1] < '0' || s[1] > '9' || s[2] < '0' ||
		s[2] > '9' || (s[3] != ' ' && s[3] != '-'))
		   ? -1
		   : 0;
}

/* Read replies for one event until a verdict arrives. */
static int read_reply(struct conn *c, enum stage st, enum verdict *v)
{
	const char *s, *vp;
	int n, vv;

	for (n = 0; n < REPLY_LOOP; n++) {
		struct cur k;

		if (read_packet(c) < 0)
			return -1;
		k.p = c->rx + 1;
		k.left = c->rxlen;
		vp = c->rxcmd ? strchr(verdict_cmds, c->rxcmd) : NULL;
		if (vp != NULL) {
			vv = (int)(vp - verdict_cmds);
			if (vv == V_REPLYCODE ? check_replycode(&k) < 0 : k.left != 0)
				return fail(c, E_PROTOCOL, "bad verdict packet", 0);
			c->st->verdict[st][vv]++;
			*v = (enum verdict)vv;
			return 0;
		}
		if (c->rxcmd == 'p' && k.left == 0) {
			c->st->mods[M_PROGRESS]++;
		} else if (c->rxcmd == 'q') {
			if (cur_str(&k, &s) < 0 || k.left != 0)
				return fail(c, E_PROTOCOL, "bad quarantine", 0);
			c->st->mods[M_QUARANTINE]++;
		} else if (st != S_EOM) {
			return fail(c, E_PROTOCOL, "unexpected reply before EOM", 0);
		} else if (handle_mod(c, &k) < 0)
			return -1;
	}
	return fail(c, E_PROTOCOL, "too many packets for one event", 0);
}

/* Send the built packet unless skipped; read a reply unless "no reply". */
static int event(struct conn *c, enum stage st, uint32_t nobit, uint32_t nrbit, enum verdict *v)
{
	*v = V_CONTINUE;
	if (c->pflags & nobit)
		return 0;
	if (pk_send(c) < 0)
		return -1;
	if (c->pflags & nrbit)
		return 0;
	return read_reply(c, st, v);
}

static int terminal(enum verdict v)
{
	return v != V_CONTINUE && v != V_SKIP;
}

/* ---- macros ---- */

static int macro_wanted(const char *list, const char *name)
{
	size_t nl;

	if (list == NULL)
		return 1;
	if (name[0] == '{')
		name++;
	nl = strcspn(name, "}");
	while (*list) {
		size_t tl;

		list += strspn(list, " ,");
		if (*list == '{')
			list++;
		tl = strcspn(list, "} ,");
		if (tl == nl && tl > 0 && memcmp(list, name, nl) == 0)
			return 1;
		list += tl;
		list += strspn(list, "}");
	}
	return 0;
}

static int send_macros(struct conn *c, int cmd, int sym, const struct kv *kv, size_t n)
{
	size_t i;

	pk_begin(&c->pk, 'D');
	pk_byte(&c->pk, cmd);
	for (i = 0; i < n; i++) {
		if (kv[i].v == NULL || !macro_wanted(c->syms[sym], kv[i].k))
			continue;
		pk_str(&c->pk, kv[i].k);
		pk_str(&c->pk, kv[i].v);
	}
	return pk_send(c);
}

/* ---- connection ---- */

static void close_conn(struct conn *c, int quit)
{
	int i;

	if (c->fd < 0)
		return;
	if (quit && c->outlen == 0) {
		static const unsigned char q[5] = {0, 0, 0, 1, 'Q'};

		/* best effort: the filter may already have gone away */
		(void)send(c->fd, q, sizeof q, MSG_NOSIGNAL | MSG_DONTWAIT);
	}
	close(c->fd);
	c->fd = -1;
	for (i = 0; i < NSYM; i++) {
		free(c->syms[i]);
		c->syms[i] = NULL;
	}
}

static int open_conn(struct conn *c)
{
	struct timeval tv = {IO_TIMEOUT, 0};
	int one = 1, fam = cfg.addr.ss_family;

	c->err = E_NONE;
	c->outlen = c->inpos = c->inlen = 0;
	c->pflags = c->acts = c->version = 0;
	if ((c->fd = socket(fam, SOCK_STREAM, 0)) < 0)
		return fail(c, E_CONNECT, "socket", errno);
	if (setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0 ||
	    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) < 0)
		return fail(c, E_CONNECT, "setsockopt timeout", errno);
	if (cfg.nodelay && fam != AF_UNIX &&
	    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0)
		return fail(c, E_CONNECT, "setsockopt TCP_NODELAY", errno);
	if (connect(c->fd, (struct sockaddr *)&cfg.addr, cfg.addrlen) < 0)
		return fail(c, E_CONNECT, "connect", errno);
	return 0;
}

static int parse_symlists(struct conn *c, struct cur *k)
{
	while (k->left > 0) {
		uint32_t idx;
		const char *s;

		if (cur_u32(k, &idx) < 0 || cur_str(k, &s) < 0)
			return fail(c, E_PROTOCOL, "bad symbol list", 0);
		if (idx >= NSYM)
			continue;
		free(c->syms[idx]);
		if ((c->syms[idx] = strdup(s)) == NULL)
			return fail(c, E_IO, "out of memory", 0);
	}
	return 0;
}

static int negotiate(struct conn *c)
{
	struct cur k;
	unsigned char offer[12];

	put_be32(offer, MILTER_VERSION);
	put_be32(offer + 4, ACT_ALL);
	put_be32(offer + 8, P_ALL);
	pk_begin(&c->pk, 'O');
	pk_add(&c->pk, offer, sizeof offer);
	if (pk_send(c) < 0 || read_packet(c) < 0)
		return -1;
	k.p = c->rx + 1;
	k.left = c->rxlen;
	if (c->rxcmd != 'O' || cur_u32(&k, &c->version) < 0 || cur_u32(&k, &c->acts) < 0 ||
	    cur_u32(&k, &c->pflags) < 0)
		return fail(c, E_PROTOCOL, "bad option negotiation reply", 0);
	if (c->version < 2 || c->version > MILTER_VERSION)
		return fail(c, E_PROTOCOL, "unsupported filter version", 0);
	c->pflags &= ~P_INTERNAL;
	if ((c->acts & ~ACT_ALL) != 0 || (c->pflags & ~P_ALL) != 0)
		return fail(c, E_PROTOCOL, "filter asks for more than offered", 0);
	return parse_symlists(c, &k);
}

static const char *const client_nets[3] = {"192.0.2.", "198.51.100.", "203.0.113."};

static int do_connect(struct conn *c, enum verdict *v)
{
	char addr[32], name[64], us[128];
	unsigned long s = c->seq;
	unsigned char port[2];
	unsigned pn = 1024u + (unsigned)(s * 7919u % 64000u);

	snprintf(addr, sizeof addr, "%s%lu", client_nets[s % 3], 1 + (s / 3) % 254);
	snprintf(name, sizeof name, "client%lu.example.net", s % 100000);
	snprintf(us, sizeof us, "%s [%s]", name, addr);
	{
		const struct kv mk[] = {
		    {"j", "mx.bench.example"},	    {"{daemon_name}", "bench-smtpd"},
		    {"{daemon_addr}", "127.0.0.1"}, {"{client_addr}", addr},
		    {"{client_name}", name},	    {"_", us}};

		if (send_macros(c, 'C', SY_CONNECT, mk, 6) < 0)
			return -1;
	}
	port[0] = (unsigned char)(pn >> 8);
	port[1] = (unsigned char)pn;
	pk_begin(&c->pk, 'C');
	pk_str(&c->pk, name);
	pk_byte(&c->pk, '4');
	pk_add(&c->pk, port, 2);
	pk_str(&c->pk, addr);
	return event(c, S_CONNECT, P_NOCONNECT, P_NR_CONN, v);
}

static int do_helo(struct conn *c, enum verdict *v)
{
	char name[64];
	int tls = (c->seq % 2) == 1;
	const struct kv tk[] = {{"{tls_version}", "TLSv1.3"},
				{"{cipher}", "TLS_AES_256_GCM_SHA384"},
				{"{cipher_bits}", "256"}};

	snprintf(name, sizeof name, "client%lu.example.net", c->seq % 100000);
	if (send_macros(c, 'H', SY_HELO, tk, tls ? 3 : 0) < 0)
		return -1;
	pk_begin(&c->pk, 'H');
	pk_str(&c->pk, name);
	return event(c, S_HELO, P_NOHELO, P_NR_HELO, v);
}

/* New connection: negotiate, connect, HELO.  *v: connection-level verdict. */
static int open_conversation(struct conn *c, enum verdict *v)
{
	c->seq = atomic_fetch_add(&next_conn, 1);
	*v = V_CONTINUE;
	if (open_conn(c) < 0 || negotiate(c) < 0 || do_connect(c, v) < 0)
		return -1;
	return terminal(*v) ? 0 : do_helo(c, v);
}

/* ---- one message ---- */

struct txn {
	const struct msg *m;
	char qid[24];
	unsigned long idx;
};

static const char *domain_of(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at ? at + 1 : "localhost";
}

static int do_mail(struct conn *c, const struct txn *t, enum verdict *v)
{
	char arg[ADDR_MAX + 2], user[32], size[40];
	const struct kv mk[] = {{"i", t->qid},
				{"{mail_addr}", t->m->from},
				{"{mail_host}", domain_of(t->m->from)},
				{"{mail_mailer}", "smtp"},
				{"{auth_type}", t->idx % 4 == 0 ? "PLAIN" : NULL},
				{"{auth_authen}", t->idx % 4 == 0 ? user : NULL}};

	snprintf(user, sizeof user, "user%lu", t->idx % 1000);
	snprintf(arg, sizeof arg, "<%s>", t->m->from);
	snprintf(size, sizeof size, "SIZE=%zu", t->m->body.len + 1024);
	if (send_macros(c, 'M', SY_MAIL, mk, 6) < 0)
		return -1;
	pk_begin(&c->pk, 'M');
	pk_str(&c->pk, arg);
	pk_str(&c->pk, size);
	pk_str(&c->pk, "BODY=8BITMIME");
	return event(c, S_MAIL, P_NOMAIL, P_NR_MAIL, v);
}

static int do_rcpts(struct conn *c, const struct txn *t, enum verdict *v)
{
	unsigned i, rejected = 0;
	enum verdict last = V_CONTINUE;

	for (i = 0; i < cfg.rcpts; i++) {
		char addr[ADDR_MAX], arg[ADDR_MAX + 2];

		if (i == 0)
			snprintf(addr, sizeof addr, "%s", t->m->to);
		else
			snprintf(addr, sizeof addr, "user%u@example.test", i);
		snprintf(arg, sizeof arg, "<%s>", addr);
		{
			const struct kv rk[] = {{"i", t->qid},
						{"{rcpt_addr}", addr},
						{"{rcpt_host}", domain_of(addr)},
						{"{rcpt_mailer}", "smtp"}};

			if (send_macros(c, 'R', SY_RCPT, rk, 4) < 0)
				return -1;
		}
		pk_begin(&c->pk, 'R');
		pk_str(&c->pk, arg);
		if (event(c, S_RCPT, P_NORCPT, P_NR_RCPT, v) < 0)
			return -1;
		if (*v == V_REJECT || *v == V_TEMPFAIL || *v == V_REPLYCODE) {
			rejected++; /* this recipient only */
			last = *v;
		} else if (*v == V_SKIP)
			break; /* skip the remaining RCPT events */
		else if (terminal(*v))
			return 0; /* accept/discard/...: final for message */
	}
	*v = rejected == cfg.rcpts ? last : V_CONTINUE;
	return 0;
}

static int simple_event(struct conn *c, const struct txn *t, int cmd, int sym, enum stage st,
			uint32_t nobit, uint32_t nrbit, enum verdict *v)
{
	const struct kv ik[] = {{"i", t->qid}};

	if (send_macros(c, cmd, sym, ik, 1) < 0)
		return -1;
	pk_begin(&c->pk, cmd);
	return event(c, st, nobit, nrbit, v);
}

static int do_headers(struct conn *c, const struct msg *m, enum verdict *v)
{
	size_t i;

	*v = V_CONTINUE;
	for (i = 0; i < m->nhdrs; i++) {
		const struct sbuf *val = &m->hdrs[i].val;
		size_t skip = 0;

		if ((c->pflags & P_HDR_LEADSPC) == 0)
			while (skip < val->len && (val->p[skip] == ' ' || val->p[skip] == '\t'))
				skip++;
		pk_begin(&c->pk, 'L');
		pk_str(&c->pk, m->hdrs[i].name);
		pk_add(&c->pk, val->p + skip, val->len - skip);
		pk_byte(&c->pk, 0);
		if (event(c, S_HEADER, P_NOHDRS, P_NR_HDR, v) < 0)
			return -1;
		if (*v != V_CONTINUE)
			break;
	}
	return 0;
}

static int do_body(struct conn *c, const struct msg *m, enum verdict *v)
{
	size_t off = 0;

	*v = V_CONTINUE;
	while (off < m->body.len) {
		size_t n = m->body.len - off < CHUNK_MAX ? m->body.len - off : CHUNK_MAX;

		pk_begin(&c->pk, 'B');
		pk_add(&c->pk, m->body.p + off, n);
		if (event(c, S_BODY, P_NOBODY, P_NR_BODY, v) < 0)
			return -1;
		if (*v != V_CONTINUE)
			break;
		off += n;
	}
	return 0;
}

/* MAIL FROM .. EOM; *v receives the final verdict of the message. */
static int do_message(struct conn *c, const struct txn *t, enum verdict *v)
{
	int rc = do_mail(c, t, v);

	if (rc == 0 && !terminal(*v))
		rc = do_rcpts(c, t, v);
	if (rc == 0 && !terminal(*v) && c->version >= 4) /* DATA: v4+ */
		rc = simple_event(c, t, 'T', SY_DATA, S_DATA, P_NODATA, P_NR_DATA, v);
	if (rc == 0 && !terminal(*v))
		rc = do_headers(c, t->m, v);
	if (rc == 0 && !terminal(*v))
		rc = simple_event(c, t, 'N', SY_EOH, S_EOH, P_NOEOH, P_NR_EOH, v);
	if (rc == 0 && !terminal(*v))
		rc = do_body(c, t->m, v);
	if (rc == 0 && !terminal(*v))
		rc = simple_event(c, t, 'E', SY_EOM, S_EOM, 0, 0, v);
	return rc;
}

/*
 * One message on the worker's connection (opened first if needed):
 * returns 0 with the final verdict and the time from MAIL FROM (or from
 * connecting, for a connection-level verdict) to it, or the error kind.
 */
enum err conn_message(struct conn *c, unsigned long idx, enum verdict *v, double *secs)
{
	struct txn t;
	double t0 = now_sec();
	int rc, drop;

	*v = V_CONTINUE;
	t.m = &cfg.msgs[idx % cfg.nmsgs];
	t.idx = idx;
	snprintf(t.qid, sizeof t.qid, "4B%08lX", idx & 0xFFFFFFFFul);
	if (c->fd < 0) {
		c->nmsg = 0;
		rc = open_conversation(c, v);
	} else {
		pk_begin(&c->pk, 'A'); /* end of the previous transaction */
		rc = pk_send(c);
	}
	drop = terminal(*v); /* connection-level verdict */
	if (rc == 0 && !drop) {
		t0 = now_sec();
		rc = do_message(c, &t, v);
	}
	if (rc < 0) {
		close_conn(c, 0);
		return c->err != E_NONE ? (enum err)c->err : E_IO;
	}
	*secs = now_sec() - t0;
	if (drop || *v == V_CONNFAIL || *v == V_SHUTDOWN || ++c->nmsg >= cfg.per_conn)
		close_conn(c, 1);
	return E_NONE;
}

struct conn *conn_new(struct stats *st)
{
	struct conn *c = calloc(1, sizeof *c);

	if (c != NULL) {
		c->fd = -1;
		c->st = st;
	}
	return c;
}

void conn_free(struct conn *c)
{
	close_conn(c, 1);
	free(c->rx);
	free(c);
}
