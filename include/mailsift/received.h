/* One Received field read the way SpamAssassin reads it (received.c):
 * the shapes of some forty MTAs tried in order, the first that matches
 * naming the client's address, HELO and rDNS names and the rest. */
#ifndef MAILSIFT_RECEIVED_H
#define MAILSIFT_RECEIVED_H

#include <stddef.h>

#include "mailsift/strbuf.h"

#define RELAY_MAX_FIELD 256 /* each of ip, rdns, helo... is cut there */
#define RELAY_MAX_LINE 4096 /* a Received value is read up to there */
struct relay {
	char ip[RELAY_MAX_FIELD];
	char rdns[RELAY_MAX_FIELD];
	char helo[RELAY_MAX_FIELD];
	char by[RELAY_MAX_FIELD];
	char ident[RELAY_MAX_FIELD];
	char envfrom[RELAY_MAX_FIELD];
	char id[RELAY_MAX_FIELD];
	char auth[RELAY_MAX_FIELD];
	int ip_private; /* a private, loopback, link-local or CGN address */
};

enum relay_parse {
	RELAY_UNPARSEABLE = -1, /* no IP address and "by" host found */
	RELAY_SKIPPED = 0,	/* a hand-over known to carry nothing useful */
	RELAY_PARSED = 1,
	RELAY_FETCHER = 2, /* a POP3/IMAP fetch: the parse restarts below it */
};

/* One Received value (folded or not). Patterns that fail to compile (never
 * expected) make every field unparseable, never a crash. */
enum relay_parse relay_parse(const char *value, struct relay *out);
/* The pseudo-header text of one relay, intl and msa as given. */
void relay_format(const struct relay *r, int internal, int msa, struct strbuf *out);
/* The first IPv4 or IPv6 address in a field value (an originating-IP
 * field), into out; 1 if there is one. */
int relay_first_ip(const char *value, char *out, size_t size);

#endif
