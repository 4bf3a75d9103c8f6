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
#include "mailsift/received.h"
#include "mailsift/strbuf.h"

#define RELAYS_MAX_TEXT 8192 /* each pseudo-header is cut there */
#define RELAYS_MAX_HOPS 100  /* Received fields read; MTAs bounce mail long before */

enum relay_set { RELAYS_TRUSTED, RELAYS_UNTRUSTED, RELAYS_INTERNAL, RELAYS_EXTERNAL, RELAYS_NSETS };

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
	/* more than RELAYS_MAX_HOPS Received fields, or a text cut at
	 * RELAYS_MAX_TEXT */
	int capped;
};

void relays_build(struct relays *rs, const struct msg_header *h, size_t n,
		  const struct relays_config *cfg);
void relays_free(struct relays *rs);
/* Which set "X-Spam-Relays-…" names (any case), -1 for other names. */
int relays_pseudo_header(const char *name);

#endif
