/* Inside ARC validation: the message context that arcverify.c (streaming,
 * body hashes, results) and arcchain.c (the chain's structure and its
 * signatures) share. Not for other modules: they use arcverify.h. */
#ifndef MAILSIFT_ARCCHAIN_H
#define MAILSIFT_ARCCHAIN_H

#include <stddef.h>

#include <openssl/evp.h>

#include "mailsift/arcverify.h"
#include "mailsift/dkimcanon.h"
#include "mailsift/dkimkey.h"
#include "mailsift/dkimtags.h"
#include "mailsift/log.h"

/* Header fields kept for the signatures; past either limit the chain is
 * not checked and fails (an ARC sealer does not make such messages). */
#define ARC_MAX_HEADERS 1000
#define ARC_MAX_HEADER_BYTES (1024 * 1024)
/* Three fields a set. */
#define ARC_MAX_FIELDS (3 * ARC_MAX_SETS)
/* Running body hashes, one per (canonicalization, l=): the newest
 * ARC-Message-Signature always gets one; older ones past this are not
 * checked (which only lowers oldest-pass). */
#define ARC_MAX_BODY_HASHES 8
/* Names in one h= list. */
#define ARC_MAX_SIGNED_FIELDS 256
/* Keys remembered within one message: two a set at most. */
#define ARC_MAX_KEYS (2 * ARC_MAX_SETS)
/* The signed header data of one signature. */
#define ARC_MAX_SIGNED_BYTES (ARC_MAX_HEADER_BYTES + 64 * 1024)

enum arc_kind { ARC_AAR, ARC_AMS, ARC_AS, ARC_KINDS };

struct arc_header {
	char *name;  /* owned */
	char *value; /* owned: the raw value */
};

struct arc_field {
	enum arc_kind kind;
	size_t header;	      /* index in the message's headers */
	unsigned instance;    /* 0 until parsed */
	size_t aar_offset;    /* AAR: where the text after "i=N;" starts */
	struct dkimtags tags; /* owned (AS and AMS) */
};

struct body_hash {
	enum dkimcanon canon;
	int has_limit;
	unsigned long long limit; /* l= */
	unsigned long long count; /* canonical body bytes seen, past l= too */
	EVP_MD_CTX *md;		  /* owned */
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned dlen;
};

struct canon_sink {
	struct arcverify_msg *m;
	enum dkimcanon canon;
};

struct arc_key {
	char name[DNS_NAME_MAX + 1];
	enum dkimkey_status status;
	EVP_PKEY *key; /* owned */
	const char *error;
};

/* What an ARC-Message-Signature asks for. */
struct ams_params {
	enum dkimcanon hcanon, bcanon;
	int has_limit;
	unsigned long long limit;
	unsigned char bh[EVP_MAX_MD_SIZE];
	size_t bhlen;
};

struct arcverify_msg {
	struct dns_resolver *resolver;
	struct dns_budget *budget;
	struct arc_header *headers; /* owned: nheaders of cap */
	size_t nheaders, cap, header_bytes;
	const char *overflow;	  /* the limit hit, if one was: the chain cannot be checked */
	size_t narc;		  /* ARC fields seen, those past the limits too */
	struct arc_field *fields; /* owned: ARC_MAX_FIELDS, nfields used */
	size_t nfields;
	/* by instance and kind, pointing into fields */
	struct arc_field *set[ARC_MAX_SETS][ARC_KINDS];
	unsigned nsets;
	int eoh_done, eom_done;
	int decided; /* verdict and reason are final */
	enum arc_cv verdict;
	char reason[160];
	unsigned oldest_pass;
	struct body_hash hashes[ARC_MAX_BODY_HASHES];
	size_t nhashes;
	struct body_hash *ams_hash[ARC_MAX_SETS]; /* by instance, into hashes */
	struct dkimcanon_body canon[2];		  /* by enum dkimcanon */
	struct canon_sink sinks[2];
	int canon_on[2];
	struct arc_key keys[ARC_MAX_KEYS];
	size_t nkeys;
	struct arc_set_info info[ARC_MAX_SETS];
};

const char *arcchain_kind_name(enum arc_kind k);
/* Sets the verdict to fail with the reason; returns -1. */
int arcchain_fail(struct arcverify_msg *m, const char *fmt, ...) MS_PRINTF(2, 3);
/* At the end of the header: parses the ARC fields and checks the chain's
 * shape (RFC 8617 5.2 steps 1-3) and the tags of the seals and of the
 * newest message signature; -1 (verdict fail) if that already fails. */
int arcchain_structure(struct arcverify_msg *m);
/* NULL if the AMS's tags are usable (p filled), else why not. */
const char *arcchain_ams_params(const struct arc_field *f, struct ams_params *p);
/* At the end of the message: the signatures (steps 4-7). */
void arcchain_validate(struct arcverify_msg *m);

#endif
