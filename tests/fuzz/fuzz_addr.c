/* libFuzzer target: the one address parser, with both SMTPUTF8 modes.
 * Checks the invariants every accepted address must hold. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailsift/addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (unsigned flags = 0; flags <= ADDR_UTF8; flags += ADDR_UTF8) {
		struct addr a;

		if (addr_parse_path((const char *)data, size, flags, &a) != ADDR_OK || a.null)
			continue;
		if (a.local_len == 0 || a.local_len > ADDR_LOCAL_MAX || a.domain_len == 0 ||
		    a.domain_len > ADDR_DOMAIN_MAX ||
		    a.local_len + 1 + a.domain_len > ADDR_MAILBOX_MAX ||
		    strlen(a.local) != a.local_len || strlen(a.domain) != a.domain_len ||
		    (!(flags & ADDR_UTF8) && a.utf8))
			abort();
		/* whatever is accepted must be accepted again as a bare mailbox */
		char again[ADDR_MAILBOX_MAX + 1];
		memcpy(again, a.local, a.local_len);
		again[a.local_len] = '@';
		memcpy(again + a.local_len + 1, a.domain, a.domain_len);
		struct addr b;
		if (addr_parse(again, a.local_len + 1 + a.domain_len, flags, &b) != ADDR_OK)
			abort();
	}
	return 0;
}
