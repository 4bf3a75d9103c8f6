/*
 * milterload - shared definitions.
 *
 *   milterload.c  options, target address, threads, report
 *   mproto.c      MTA side of the milter protocol (one worker per thread)
 *   msgfile.c     loading the message files
 */
#ifndef MILTERLOAD_H
#define MILTERLOAD_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define CHUNK_MAX 65535u /* body chunk and command data limit */
#define ADDR_MAX 256	 /* envelope address buffer */

/* stages at which the filter answers */
enum stage { S_CONNECT, S_HELO, S_MAIL, S_RCPT, S_DATA, S_HEADER, S_EOH, S_BODY, S_EOM, S_N };
/* verdict packets */
enum verdict {
	V_CONTINUE,
	V_ACCEPT,
	V_REJECT,
	V_TEMPFAIL,
	V_DISCARD,
	V_REPLYCODE,
	V_SKIP,
	V_CONNFAIL,
	V_SHUTDOWN,
	V_N
};
/* non-verdict replies */
enum mod {
	M_ADDHDR,
	M_INSHDR,
	M_CHGHDR,
	M_QUARANTINE,
	M_CHGFROM,
	M_ADDRCPT,
	M_DELRCPT,
	M_REPLBODY,
	M_PROGRESS,
	M_N
};
enum err { E_NONE, E_CONNECT, E_IO, E_TIMEOUT, E_PROTOCOL, E_N };

struct sbuf {
	char *p;
	size_t len, cap;
};
struct hdr {
	char *name;
	struct sbuf val;
}; /* val: text after ':' */

struct msg {
	struct hdr *hdrs;
	size_t nhdrs;
	struct sbuf body; /* CRLF line endings */
	char from[ADDR_MAX], to[ADDR_MAX];
};

/* per worker thread; summed at the end */
struct stats {
	uint64_t verdict[S_N][V_N], final[V_N], mods[M_N], err[E_N];
	uint64_t msgs;
	double *lat; /* per message, milliseconds */
	size_t nlat, caplat;
};

struct config {
	const char *sock, *dir;
	unsigned conc, rcpts, per_conn;
	unsigned long total;
	int nodelay;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	const struct msg *msgs;
	size_t nmsgs;
};

extern struct config cfg;

/* mproto.c */
struct conn;
double now_sec(void);
struct conn *conn_new(struct stats *st);
void conn_free(struct conn *c); /* sends QUIT if connected */
enum err conn_message(struct conn *c, unsigned long idx, enum verdict *v, double *secs);

/* msgfile.c */
int load_messages(const char *dir, struct msg **msgs, size_t *n);
void free_messages(struct msg *msgs, size_t n);

#endif
