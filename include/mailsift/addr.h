/* RFC 5321 Mailbox syntax (with RFC 6531 UTF-8 when the client used
 * SMTPUTF8). The one validation path for every envelope address. */
#ifndef MAILSIFT_ADDR_H
#define MAILSIFT_ADDR_H

#include <stddef.h>

#define ADDR_LOCAL_MAX 64    /* RFC 5321 4.5.3.1.1 */
#define ADDR_DOMAIN_MAX 255  /* RFC 5321 4.5.3.1.2 */
#define ADDR_LABEL_MAX 63    /* RFC 1035 */
#define ADDR_MAILBOX_MAX 254 /* 256-octet path less the angle brackets */
#define ADDR_PATH_MAX 1024   /* what we look at before calling it too long */

enum addr_flags {
	ADDR_UTF8 = 1 << 0, /* the client announced SMTPUTF8 */
};

enum addr_status {
	ADDR_OK = 0,
	ADDR_E_EMPTY,
	ADDR_E_NUL,
	ADDR_E_CTRL,
	ADDR_E_TOO_LONG,
	ADDR_E_NO_AT,
	ADDR_E_LOCAL,
	ADDR_E_LOCAL_TOO_LONG,
	ADDR_E_DOMAIN,
	ADDR_E_DOMAIN_TOO_LONG,
	ADDR_E_LABEL_TOO_LONG,
	ADDR_E_LITERAL,
	ADDR_E_8BIT,
	ADDR_E_UTF8,
	ADDR_E_PATH,
};

struct addr {
	char local[ADDR_LOCAL_MAX + 1];
	char domain[ADDR_DOMAIN_MAX + 1];
	size_t local_len;
	size_t domain_len;
	unsigned literal : 1; /* domain is an address literal */
	unsigned utf8 : 1;    /* contains non-ASCII octets */
	unsigned null : 1;    /* the null path <> */
};

/* Validates a Mailbox (no angle brackets) of len octets. */
enum addr_status addr_parse(const char *s, size_t len, unsigned flags, struct addr *out);

/* Validates an SMTP path as an MTA hands it over: "<mailbox>", an
 * unbracketed mailbox, "<>" (out->null set), with an optional source route
 * "@a,@b:" that RFC 5321 4.1.2 says to accept and ignore. */
enum addr_status addr_parse_path(const char *s, size_t len, unsigned flags, struct addr *out);

const char *addr_strerror(enum addr_status status);

/* Validates a domain or address literal on its own (a HELO name);
 * *literal says which it was. */
enum addr_status addr_domain_valid(const char *domain, unsigned flags, int *literal);

/* The domain with its U-labels as A-labels (RFC 5890), as DNS wants it;
 * -1 if it does not fit in cap. */
int addr_domain_ascii(const char *domain, char *out, size_t cap);

/* Case-insensitive ASCII comparison of two domains. */
int addr_domain_equal(const char *a, const char *b);

#endif
