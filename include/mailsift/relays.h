/* The relays a message passed through, read from its Received fields the
 * way SpamAssassin reads them, and the pseudo-headers its rules test:
 * X-Spam-Relays-Trusted, -Untrusted, -Internal and -External, each a list
 * of "[ ip=… rdns=… helo=… by=… ident=… envfrom=… intl=… id=… auth=… msa=0 ]".
 *
 * The trust boundary comes from trusted_networks / internal_networks when
 * given; without them it is inferred: relays stay trusted (and internal)
 * from the top while the sending host has a private address or the hop was
 * authenticated. */
#ifndef MAILSIFT_RELAYS_H
#define MAILSIFT_RELAYS_H

#include <stddef.h>

#include "mailsift/cidr.h"
#include "mailsift/msgfile.h"
#include "mailsift/strbuf.h"

#define RELAY_MAX_FIELD 256  /* each of ip, rdns, helo... is cut there */
#define RELAY_MAX_LINE 4096  /* a Received value is read up to there */
#define RELAYS_MAX_TEXT 8192 /* each pseudo-header is cut there */
#define RELAYS_MAX_HOPS 100  /* Received fields read; MTAs bounce mail long before */

enum relay_set { RELAYS_TRUSTED, RELAYS_UNTRUSTED, RELAYS_INTERNAL, RELAYS_EXTERNAL, RELAYS_NSETS };

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

/* The networks the trust boundary is drawn with; NULL lists (or a NULL
 * config) mean "infer it". Not owned. */
struct relays_config {
	const struct cidr_list *trusted;
	const struct cidr_list *internal;
	const struct cidr_list *msa;
	const char *const *originating_ip_headers; /* fields read as one more hop */
	size_t noriginating;
};

struct relays {
	struct strbuf text[RELAYS_NSETS]; /* owned: the four pseudo-header values */
	size_t count[RELAYS_NSETS];
	size_t unparseable;
	/* the envelope sender the hand-over to us recorded: the first untrusted
	 * relay's, else the last trusted one's; "" if it recorded none */
	char envfrom[RELAY_MAX_FIELD];
	int capped; /* more than RELAYS_MAX_HOPS Received fields, or a text cut at RELAYS_MAX_TEXT
		     */
};

/* One Received value (folded or not). -1 in relay_parse() is never a crash:
 * patterns that fail to compile make every field unparseable. */
enum relay_parse relay_parse(const char *value, struct relay *out);
/* The pseudo-header text of one relay, intl and msa as given. */
void relay_format(const struct relay *r, int internal, int msa, struct strbuf *out);

void relays_build(struct relays *rs, const struct msg_header *h, size_t n,
		  const struct relays_config *cfg);
void relays_free(struct relays *rs);
/* Which set "X-Spam-Relays-…" names (any case), -1 for other names. */
int relays_pseudo_header(const char *name);

#endif
