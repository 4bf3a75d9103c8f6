/* Content rules in SpamAssassin's syntax: loaded and compiled once per
 * configuration snapshot, matched over a message. See
 * doc/mailsift-rules.5 for what is supported.
 *
 * A loaded ruleset is read-only and may be shared by threads; rules_scan()
 * only updates its atomic hit counters. */
#ifndef MAILSIFT_RULES_H
#define MAILSIFT_RULES_H

#include <stddef.h>

#include "mailsift/mime.h"
#include "mailsift/msgfile.h"
#include "mailsift/rulefile.h"
#include "mailsift/strbuf.h"

/* Bytes the rules see; beyond a cap the rules run over what came before it
 * and the result carries the flag. */
#define RULES_MAX_PART_SCAN (512u << 10)   /* decoded text of one part */
#define RULES_MAX_MESSAGE_SCAN (2u << 20)  /* decoded text of all parts */
#define RULES_MAX_FULL_SCAN (1u << 20)	   /* raw message for "full" rules */
#define RULES_MAX_HEADER_SCAN (256u << 10) /* one header test's text */
#define RULES_MAX_URIS 2000		   /* URIs (with variants) matched */

enum rules_flag {
	RULES_F_PART_CAP = 1 << 0,    /* a part's text was cut at RULES_MAX_PART_SCAN */
	RULES_F_MESSAGE_CAP = 1 << 1, /* text cut at RULES_MAX_MESSAGE_SCAN */
	RULES_F_FULL_CAP = 1 << 2,    /* raw message cut at RULES_MAX_FULL_SCAN */
	RULES_F_HEADER_CAP = 1 << 3,  /* a header text cut at RULES_MAX_HEADER_SCAN */
	RULES_F_URI_CAP = 1 << 4,     /* more URIs than RULES_MAX_URIS */
	RULES_F_LIMIT = 1 << 5,	      /* a match stopped at a PCRE2 limit: counted as no hit */
	RULES_F_NOMEM = 1 << 6,	      /* out of memory: some rules not run */
};

/* What loading found. Counts are per rule (after redefinitions); regex
 * types are header, body, rawbody, full, uri, mimeheader. */
struct rules_report {
	struct strbuf *problems; /* not owned: "file:line: RULE: message\n" lines, may be NULL */
	size_t loaded, inert, failed;
	size_t type_loaded[RULE_NTYPES], type_inert[RULE_NTYPES], type_failed[RULE_NTYPES];
	/* the same for regex tests alone (no eval:, exists:, DNS) */
	size_t regex_loaded[RULE_NTYPES], regex_inert[RULE_NTYPES], regex_failed[RULE_NTYPES];
	size_t nproblems;
};

struct rules_input {
	const struct msg_header *headers; /* the message's top-level header fields */
	size_t nheaders;
	const struct mime_message *mime; /* decoded body, NULL if none */
	const char *raw;		 /* the whole message for "full" rules, NULL if none */
	/* EnvelopeFrom: the MAIL FROM address (no <>, "" for the null sender);
	 * NULL when unknown, then read from the header as SpamAssassin does */
	const char *envelope_from;
	size_t raw_len;
	/* the counts of an earlier rules_scan_eoh() of the same message, or
	 * NULL: the rules it decided are taken from there, not run or counted
	 * for metrics again */
	const double *eoh_counts;
};

struct rules_hit {
	const char *name; /* owned by the ruleset */
	unsigned count;	  /* matches counted (tflags multiple), else 1 */
	double score;
	const char *describe; /* owned by the ruleset, NULL if none */
};

struct rules_result {
	struct rules_hit *hits; /* owned: rules_result_free() */
	size_t nhits;
	double score;		/* sum of the hits' scores */
	unsigned flags;		/* enum rules_flag */
	unsigned long limits;	/* matches stopped by a PCRE2 limit */
	const char *limit_rule; /* the first such rule, NULL if none */
	double lowest;		/* rules_scan_eoh(): the lowest score the whole message can get */
	double *counts;		/* owned: rules_scan_eoh() only, the in->eoh_counts to pass on */
};

struct ruleset;

/* Loads paths (files, or directories of *.cf files) in order. Problems go
 * to rep (which may be NULL); the rules that compile are kept. NULL with
 * error_r when a path cannot be read or memory runs out. */
struct ruleset *rules_load(const char *const *paths, size_t n, struct rules_report *rep,
			   const char **error_r);
void rules_free(struct ruleset **rs);
/* 0, or -1 when out of memory (res then holds what was found). */
int rules_scan(const struct ruleset *rs, const struct rules_input *in, struct rules_result *res);
/* The rules the header alone decides (header rules, and metas over them
 * only), at end of header: their hits and score, and in res->lowest that
 * score plus every negative score the other rules could still add. Hits
 * are counted for metrics; pass res->counts as in->eoh_counts to the later
 * rules_scan(). */
int rules_scan_eoh(const struct ruleset *rs, const struct rules_input *in,
		   struct rules_result *res);
/* 1 if some scored rule is decided by the header alone. */
int rules_early(const struct ruleset *rs);
void rules_result_free(struct rules_result *res);

/* Per-rule hit counters, for metrics: rules 0..rules_count()-1. */
size_t rules_count(const struct ruleset *rs);
void rules_counter(const struct ruleset *rs, size_t i, const char **name, unsigned long *hits);

#endif
