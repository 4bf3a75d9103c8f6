/* mailsift.conf -> an immutable, reference-counted snapshot. A reload builds
 * a whole new snapshot and swaps it in only when everything loaded; each
 * connection keeps the snapshot it started with. */
#ifndef MAILSIFT_CONFIG_H
#define MAILSIFT_CONFIG_H

#include <stddef.h>

#include "mailsift/strbuf.h"
#include "mailsift/symbols.h"

#define CONFIG_DEFAULT_PATH SYSCONFDIR "/mailsift/mailsift.conf"
#define CONFIG_AUTHSERV_MAX 255 /* a host name: RFC 8601 authserv-id */
#define CONFIG_MAX_RULE_PATHS 64

enum skip_sender_checks {
	SKIP_AUTHENTICATED = 1 << 0,
	SKIP_TRUSTED = 1 << 1,
};

struct symbol_cfg {
	enum action action;
	struct reply reply; /* template, already class-checked */
	double score;
};

struct config {
	int refs; /* guarded by the snapshot lock in config.c */
	char *path;

	char *socket;
	unsigned socket_mode;
	char *socket_group; /* NULL: leave the group alone */
	char *user;	    /* NULL: stay who we are */
	char *pidfile;	    /* NULL: none */
	int syslog_facility;
	int log_debug;
	unsigned milter_timeout;

	struct strset *local_domains; /* owned; empty: relay check off */
	struct strset *recipient_map; /* owned; NULL: every local rcpt valid */
	char *recipient_map_path;
	char recipient_delimiter[8];	    /* "" = none */
	struct cidr_list *trusted_networks; /* owned */
	struct strset *exempt_recipients;   /* owned; local parts */
	unsigned skip_sender_checks;
	size_t max_recipients;

	char *dns_servers; /* NULL: /etc/resolv.conf */
	unsigned dns_timeout_ms;
	unsigned dns_budget_ms;
	int dns_cache;
	size_t dns_cache_size;
	struct dns_resolver *resolver; /* owned: built from the dns_* keys */
	int sender_domain_check;
	int spf_check;
	int spf_helo_check;
	int dkim_check;
	struct dkimverify *dkim; /* owned: built with the resolver */
	int arc_check;
	struct strset *arc_trusted_sealers; /* owned: ARC sealers whose passing chains we trust */
	int dmarc_check;
	char *psl_file;
	struct psl *psl;		 /* owned: loaded from psl_file when dmarc_check */
	struct strset *dmarc_override; /* owned: senders whose DMARC failures are not enforced */
	int helo_check;
	struct strset *own_names;	/* owned: names HELO may not claim from outside */
	struct cidr_list *own_networks; /* owned: addresses HELO may not claim */
	int received_spf_header;

	char *rules_paths;	/* files and directories of rules, space-separated; NULL: none */
	struct ruleset *rules;	/* owned: compiled from rules_paths, NULL: no content rules */
	char *rules_problems;	/* owned: "file:line: RULE: message" lines, or NULL */
	size_t rules_loaded, rules_inert, rules_failed;

	/* message score thresholds (HUGE_VAL: none) */
	double add_header_score; /* X-Spam-Flag: YES, X-Spam-Status: Yes */
	double quarantine_score;
	double tempfail_score;
	double reject_score;
	int spam_headers; /* X-Spam-Status and X-Spam-Score on every message */
	int early_reject; /* reject_score at end of header when the header decides it */

	char *authserv_id;
	char *status_header; /* NULL: none added */
	int dry_run;

	struct symbol_cfg symbols[SYM_COUNT];
};

/* Loads path into a new snapshot (refs = 1). On failure returns NULL and
 * appends one "FILE:LINE: message" line per problem to errors. */
struct config *config_load(const char *path, struct strbuf *errors);
/* Defaults only, for tools that run without a config file. */
struct config *config_defaults(struct strbuf *errors);

/* The snapshot in service, with a reference for the caller. */
struct config *config_current(void);
/* Puts cfg in service (takes over the caller's reference). */
void config_install(struct config *cfg);
struct config *config_ref(struct config *cfg);
void config_release(struct config **cfg);

#endif
