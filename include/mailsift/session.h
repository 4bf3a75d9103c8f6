/* The two contexts: a connection (connect..close) owns the current message
 * transaction (MAIL FROM..end of message or abort). msg_end() is the one
 * function that ends a transaction, from eom, abort and close alike. */
#ifndef MAILSIFT_SESSION_H
#define MAILSIFT_SESSION_H

#include <stddef.h>

#include "mailsift/addr.h"
#include "mailsift/arcverify.h"
#include "mailsift/config.h"
#include "mailsift/content.h"
#include "mailsift/dkimverify.h"
#include "mailsift/dmarc.h"
#include "mailsift/dns.h"
#include "mailsift/spf.h"
#include "mailsift/symbols.h"
#include "mailsift/verdict.h"

#define MSG_MAX_RESULTS 4096
#define RESULT_DETAIL_MAX 160
#define MSG_MAX_EDITS 4096
#define MSG_MAX_FROM_DOMAINS 4 /* DMARC evaluations for a From with several domains */

struct result {
	enum symbol_id sym;
	int rcpt; /* recipient index, -1 for the whole message */
	enum stage stage;
	double score;
	char detail[RESULT_DETAIL_MAX];
};

struct rcpt {
	char *path; /* owned: the RCPT TO argument as given */
	struct addr addr;
	enum addr_status status;
	unsigned exempt : 1; /* postmaster/abuse: sender checks do not apply */
	unsigned local : 1;
	enum verdict verdict; /* the answer given at RCPT */
	struct reply reply;   /* expanded reply for reject/tempfail */
	const char *symbol;   /* static: the symbol behind the verdict */
};

enum hdr_op { HDR_ADD, HDR_INSERT, HDR_DELETE };

struct hdr_edit {
	enum hdr_op op;
	char *name;  /* owned */
	char *value; /* owned; NULL for delete */
	int index;   /* delete: 1-based occurrence; insert: position */
};

struct msg {
	char qid[64];
	char *sender_path;  /* owned */
	int sender_guessed; /* the offline tool took it from the header, no --from */
	struct addr sender;
	enum addr_status sender_status;
	int smtputf8;
	char auth[128];	       /* {auth_authen}, "" if none */
	struct dns_budget dns; /* this message's DNS time, from MAIL FROM */

	struct rcpt *rcpts; /* owned */
	size_t nrcpts, rcpts_cap;

	struct result *results; /* owned */
	size_t nresults, results_cap, results_dropped;

	size_t header_count;
	size_t status_headers_seen;  /* incoming copies of our status header */
	size_t spam_headers_seen[3]; /* incoming X-Spam-Flag, -Status, -Score */
	size_t authres_seen;	     /* incoming Authentication-Results fields */
	int *authres_ours;	     /* owned: their 1-based indexes claiming our authserv_id */
	size_t nauthres_ours;

	int has_spf;
	struct spf_outcome spf;
	int has_spf_helo; /* the HELO identity, checked apart (RFC 7208 2.3) */
	struct spf_outcome spf_helo;

	struct dkimverify_msg *dkim; /* owned: the verification in progress */
	struct content_msg *content; /* owned: what the content rules read */
	struct arcverify_msg *arc;   /* owned: the ARC validation in progress */
	int has_arc;		     /* the message carries ARC header fields */
	int arc_trusted;	     /* a passing chain sealed by arc_trusted_sealers */
	char arc_authres[256];	     /* the arc= entry, "" if none */
	struct dkim_sig_result dkim_sigs[DKIMVERIFY_MAX_SIGS];
	size_t ndkim_sigs;

	size_t from_fields;			      /* RFC5322.From fields seen */
	size_t from_addresses;			      /* addresses in them */
	char from_domains[MSG_MAX_FROM_DOMAINS][256]; /* distinct, without regard to case */
	size_t nfrom_domains;
	struct dmarc_outcome dmarc[MSG_MAX_FROM_DOMAINS];
	size_t ndmarc;

	struct hdr_edit *edits; /* owned, with their strings */
	size_t nedits, edits_cap;

	int discard;
	int quarantine;
	char quarantine_reason[128];
	char shadow[256]; /* what log-only actions would have done */

	double score;	      /* symbols and content rules */
	double rules_score;   /* the content rules' share */
	double rules_lowest;  /* at end of header: the lowest rules_score still possible */
	int rules_early;      /* rules_lowest is known (early_reject) */
	char *rules_tests;    /* owned: the content rules that hit, "A,B", or NULL */
	enum verdict verdict; /* final, once decided */
	enum stage verdict_stage;
	struct reply reply;
	const char *verdict_symbol;
	int decided;
};

struct conn {
	struct config *cfg; /* one reference, from connect to close */
	unsigned long id;
	char client_addr[64]; /* "" when unknown */
	char client_name[256];
	char helo[256];
	int trusted;
	struct msg *msg; /* owned: the current transaction or NULL */
};

struct conn *conn_new(struct config *cfg);
void conn_free(struct conn **conn);
void conn_set_client(struct conn *conn, const char *name, const char *addr);
void conn_set_helo(struct conn *conn, const char *helo);

/* Starts a transaction, ending any previous one. NULL when out of memory. */
struct msg *msg_begin(struct conn *conn);
/* Ends the transaction: logs its summary line (once) and frees it. */
void msg_end(struct conn *conn);

/* Returns the new recipient's index, or -1 when out of memory. */
int msg_add_rcpt(struct msg *msg, const char *path);
int msg_add_result(struct msg *msg, enum symbol_id sym, int rcpt, enum stage stage,
		   const char *detail);
int msg_add_edit(struct msg *msg, enum hdr_op op, const char *name, const char *value, int index);
void msg_clear_edits(struct msg *msg);

/* Writes the one summary line of the transaction to the log. */
void msg_log_summary(const struct conn *conn, const struct msg *msg);

/* Copies src into dst (size n) keeping only printable ASCII, for logs and
 * replies; returns dst. */
char *sanitize(char *dst, size_t n, const char *src);

#endif
