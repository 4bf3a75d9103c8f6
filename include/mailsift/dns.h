/* The one resolver every check uses: libunbound (forwarders with ports,
 * a shared cache), with a timeout per query and a budget per message so
 * that DNS can never make the MTA hit its milter timeout. */
#ifndef MAILSIFT_DNS_H
#define MAILSIFT_DNS_H

#include <stddef.h>
#include <time.h>

#define DNS_TYPE_A 1
#define DNS_TYPE_PTR 12
#define DNS_TYPE_MX 15
#define DNS_TYPE_TXT 16
#define DNS_TYPE_AAAA 28
#define DNS_TYPE_SPF 99

#define DNS_NAME_MAX 255

enum dns_status {
	DNS_OK,	      /* records in the answer */
	DNS_NXDOMAIN, /* no such name */
	DNS_NODATA,   /* the name exists, without records of that type */
	DNS_TEMP,     /* timeout, SERVFAIL, network trouble: try later */
	DNS_BUDGET,   /* this message's DNS time is spent */
	DNS_BADNAME,  /* not a name that can be asked for */
};

struct dns_resolver;

struct dns_options {
	const char *servers; /* "IP[@PORT] ..." or NULL: /etc/resolv.conf */
	unsigned timeout_ms; /* per query */
	int cache;	     /* 0: no caching between queries */
	size_t cache_size;   /* bytes */
};

/* One message's (or one offline check's) DNS time. */
struct dns_budget {
	struct timespec deadline;
	unsigned queries;
};

/* The records of one answer, as wire-format RDATA. */
struct dns_answer {
	enum dns_status status;
	int rcode;
	size_t count;
	const unsigned char *const *data; /* count RDATA, owned by the answer */
	const int *len;
	void *owner; /* the library's result */
};

struct dns_resolver *dns_resolver_new(const struct dns_options *opts, const char **error_r);
void dns_resolver_free(struct dns_resolver **r);

void dns_budget_start(struct dns_budget *b, unsigned budget_ms);

/* Asks for name/type; fills *out (free it with dns_answer_free). */
enum dns_status dns_query(struct dns_resolver *r, struct dns_budget *b, const char *name, int type,
			  struct dns_answer *out);
void dns_answer_free(struct dns_answer *a);

/* The same query, handing over the reply packet itself (for libraries that
 * parse DNS replies, such as libopendkim): copied into buf, *len its size
 * (0 when there is none: timeout, budget, bad name). */
enum dns_status dns_query_packet(struct dns_resolver *r, struct dns_budget *b, const char *name,
				 int type, unsigned char *buf, size_t cap, size_t *len);

const char *dns_status_name(enum dns_status st);

/* Decodes an uncompressed wire-format name at data[*off] into out
 * (DNS_NAME_MAX + 1 bytes, "" for the root); -1 if malformed. */
int dns_wire_name(const unsigned char *data, size_t len, size_t *off, char *out);

/* A TXT record's character-strings joined (RFC 7208 3.3, RFC 7489 6.1)
 * into out; -1 if malformed or longer than cap - 1. */
int dns_txt_join(const unsigned char *rdata, size_t len, char *out, size_t cap);

/* Checks the server list syntax ("IP[@PORT]" separated by spaces/commas). */
int dns_servers_valid(const char *servers, const char **error_r);

#endif
