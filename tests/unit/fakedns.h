/* A DNS server for unit tests: answers UDP queries on 127.0.0.1 from a
 * table, so the project's resolver (libunbound) runs for real against
 * known data. Names that are not in the table are NXDOMAIN; names in the
 * table without the asked type are NODATA; "timeout" names are never
 * answered; "servfail" names get SERVFAIL. */
#ifndef TESTS_FAKEDNS_H
#define TESTS_FAKEDNS_H

#include <stddef.h>

struct fakedns;

/* Starts the server on a free port. NULL on failure. */
struct fakedns *fakedns_start(void);
void fakedns_stop(struct fakedns **d);
/* "127.0.0.1@PORT", for dns_servers. */
const char *fakedns_server(const struct fakedns *d);
/* Forgets every record. */
void fakedns_clear(struct fakedns *d);

/* Records. Names without the trailing dot. */
int fakedns_add_a(struct fakedns *d, const char *name, const char *ip);
int fakedns_add_aaaa(struct fakedns *d, const char *name, const char *ip);
int fakedns_add_mx(struct fakedns *d, const char *name, unsigned pref, const char *exchange);
/* One TXT record of nstrings character-strings (each up to 255 bytes, any
 * bytes, with lengths). */
int fakedns_add_txt(struct fakedns *d, const char *name, int type, const char *const *strings,
		    const size_t *lens, size_t nstrings);
/* One TXT record holding text, cut into 255-byte character-strings (an
 * empty text is one empty string), as keys and long records are published. */
int fakedns_add_txt_text(struct fakedns *d, const char *name, const char *text);
int fakedns_add_ptr(struct fakedns *d, const char *name, const char *target);
int fakedns_add_cname(struct fakedns *d, const char *name, const char *target);
/* Queries for name time out, except those of the types in except[]
 * (0-terminated, may be NULL), which are answered from the table. */
int fakedns_add_timeout(struct fakedns *d, const char *name, const int *except);
int fakedns_add_servfail(struct fakedns *d, const char *name);

/* Queries received so far. */
unsigned fakedns_queries(const struct fakedns *d);

#endif
