/* SpamAssassin settings in rule files that say where mail came from:
 * trusted_networks, internal_networks and msa_networks (and their clear_
 * forms), and originating_ip_headers. They draw the trust boundary of the
 * X-Spam-Relays-* pseudo-headers (relays.h). */
#ifndef MAILSIFT_RULENET_H
#define MAILSIFT_RULENET_H

#include "mailsift/relays.h"
#include "mailsift/ruledef.h"

ruledef_fn rulenet_networks, rulenet_clear_networks, rulenet_originating, rulenet_clear_originating;

void rulenet_free(struct rulefile_set *set);
/* The settings as relays_build() takes them; cfg points into set. */
void rulenet_relays_config(const struct rulefile_set *set, struct relays_config *cfg);

#endif
