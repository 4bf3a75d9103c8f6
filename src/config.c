/* Configuration file parsing and the snapshot in service.
 *
 * Format: "key value" lines, '#' comments (at line start or after white
 * space), lists separated by commas and/or spaces. Every problem is reported
 * as FILE:LINE: message, and all of them are reported, not just the first. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mailsift/cidr.h"
#include "mailsift/config.h"
#include "mailsift/config_value.h"
#include "mailsift/dkimverify.h"
#include "mailsift/psl.h"
#include "mailsift/dns.h"
#include "mailsift/log.h"
#include "mailsift/policy.h"
#include "mailsift/rcptmap.h"
#include "mailsift/rules.h"
#include "mailsift/strset.h"

#define CONFIG_LINE_MAX 4096
#define CONFIG_LINES_MAX 100000

struct parse_state {
	const char *file;
	unsigned line;
	struct strbuf *errors;
	unsigned seen_line[64]; /* first line of each table key */
	unsigned action_line[SYM_COUNT];
	unsigned reply_line[SYM_COUNT];
	unsigned score_line[SYM_COUNT];
	int failed;
};

static void perr(struct parse_state *ps, const char *fmt, ...) MS_PRINTF(2, 3);

static void perr(struct parse_state *ps, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ps->line > 0)
		sb_printf(ps->errors, "%s:%u: %s\n", ps->file, ps->line, msg);
	else
		sb_printf(ps->errors, "%s: %s\n", ps->file, msg);
	ps->failed = 1;
}

struct key_def {
	const char *name;
	value_fn set;
	size_t offset;
};

/* clang-format off */
#define KEY(n, fn, field) {n, fn, offsetof(struct config, field)}

static const struct key_def keys[] = {
	KEY("socket", set_socket, socket),
	KEY("socket_mode", set_mode, socket_mode),
	KEY("socket_group", set_optional_string, socket_group),
	KEY("user", set_optional_string, user),
	KEY("pidfile", set_optional_string, pidfile),
	KEY("syslog_facility", set_facility, syslog_facility),
	KEY("log_level", set_log_level, log_debug),
	KEY("milter_timeout", set_seconds, milter_timeout),
	KEY("local_domains", set_strset, local_domains),
	KEY("recipient_map", set_optional_string, recipient_map_path),
	KEY("recipient_delimiter", set_delimiter, recipient_delimiter),
	KEY("trusted_networks", set_networks, trusted_networks),
	KEY("exempt_recipients", set_strset, exempt_recipients),
	KEY("skip_sender_checks", set_skip, skip_sender_checks),
	KEY("max_recipients", set_count, max_recipients),
	KEY("authserv_id", set_authserv_id, authserv_id),
	KEY("status_header", set_status_header, status_header),
	KEY("dry_run", set_bool, dry_run),
	KEY("dns_servers", set_dns_servers, dns_servers),
	KEY("dns_timeout", set_duration, dns_timeout_ms),
	KEY("dns_budget", set_duration, dns_budget_ms),
	KEY("dns_cache", set_bool, dns_cache),
	KEY("dns_cache_size", set_size, dns_cache_size),
	KEY("sender_domain_check", set_bool, sender_domain_check),
	KEY("spf_check", set_bool, spf_check),
	KEY("spf_helo_check", set_bool, spf_helo_check),
	KEY("dkim_check", set_bool, dkim_check),
	KEY("arc_check", set_bool, arc_check),
	KEY("arc_trusted_sealers", set_strset, arc_trusted_sealers),
	KEY("dmarc_check", set_bool, dmarc_check),
	KEY("psl_file", set_string, psl_file),
	KEY("dmarc_override", set_strset, dmarc_override),
	KEY("helo_check", set_bool, helo_check),
	KEY("own_names", set_strset, own_names),
	KEY("own_networks", set_networks, own_networks),
	KEY("received_spf_header", set_bool, received_spf_header),
	KEY("rules", set_optional_string, rules_paths),
	KEY("add_header_score", set_threshold, add_header_score),
	KEY("quarantine_score", set_threshold, quarantine_score),
	KEY("tempfail_score", set_threshold, tempfail_score),
	KEY("reject_score", set_threshold, reject_score),
	KEY("spam_headers", set_bool, spam_headers),
	KEY("early_reject", set_bool, early_reject),
};
/* clang-format on */

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static size_t key_index(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return i;
	return 0;
}
_Static_assert(NKEYS <= 64, "parse_state.seen_line is too small");

/* ---- per-symbol keys: action.NAME, reply.NAME, score.NAME ---- */

static int set_symbol_key(struct config *cfg, struct parse_state *ps, const char *key,
			  const char *value)
{
	const char *dot = strchr(key, '.');
	const char *why = NULL;
	char kind[16];
	int sym;

	if ((size_t)(dot - key) >= sizeof(kind))
		return 1;
	memcpy(kind, key, (size_t)(dot - key));
	kind[dot - key] = '\0';
	if (strcmp(kind, "action") != 0 && strcmp(kind, "reply") != 0 && strcmp(kind, "score") != 0)
		return 1;
	sym = symbol_lookup(dot + 1);
	if (sym < 0) {
		perr(ps, "unknown symbol '%s' in '%s'", dot + 1, key);
		return 0;
	}
	struct symbol_cfg *sc = &cfg->symbols[sym];
	unsigned *seen = kind[0] == 'a'	  ? ps->action_line
			 : kind[0] == 'r' ? ps->reply_line
					  : ps->score_line;
	if (seen[sym] != 0) {
		perr(ps, "duplicate key '%s' (first set at line %u)", key, seen[sym]);
		return 0;
	}
	if (kind[0] == 'a') {
		int a = action_parse(value);
		if (a < 0)
			perr(ps,
			     "bad value for '%s': expected reject, tempfail, discard, quarantine, "
			     "log, score or ignore",
			     key);
		else
			sc->action = (enum action)a;
		ps->action_line[sym] = ps->line;
	} else if (kind[0] == 'r') {
		struct reply reply;

		/* a refused reply leaves the default in place, for clear later checks */
		if (reply_parse(value, &reply, &why) < 0 ||
		    policy_template_valid(reply.text, &why) < 0)
			perr(ps, "bad value for '%s': %s", key, why);
		else
			sc->reply = reply;
		ps->reply_line[sym] = ps->line;
	} else {
		char *end;
		double v = strtod(value, &end);
		if (end == value || *end != '\0' || !(v >= -1000 && v <= 1000))
			perr(ps, "bad value for '%s': expected a number from -1000 to 1000", key);
		else
			sc->score = v;
		ps->score_line[sym] = ps->line;
	}
	return 0;
}

static void set_key(struct config *cfg, struct parse_state *ps, const char *key, const char *value)
{
	const char *why = NULL;

	for (size_t i = 0; i < NKEYS; i++) {
		if (strcmp(keys[i].name, key) != 0)
			continue;
		if (ps->seen_line[i] != 0) {
			perr(ps, "duplicate key '%s' (first set at line %u)", key,
			     ps->seen_line[i]);
			return;
		}
		ps->seen_line[i] = ps->line;
		if (keys[i].set(cfg, (char *)cfg + keys[i].offset, value, &why) < 0)
			perr(ps, "bad value for '%s': %s", key, why);
		return;
	}
	if (strchr(key, '.') != NULL && set_symbol_key(cfg, ps, key, value) == 0)
		return;
	perr(ps, "unknown key '%s'", key);
}

/* Strips comments and surrounding white space in place. */
static char *clean_line(char *line)
{
	char *p = line, *end;

	for (char *q = line; *q; q++) {
		if (*q == '#' && (q == line || q[-1] == ' ' || q[-1] == '\t')) {
			*q = '\0';
			break;
		}
	}
	p += strspn(p, " \t");
	end = p + strlen(p);
	while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n'))
		*--end = '\0';
	return p;
}

static void parse_line(struct config *cfg, struct parse_state *ps, char *line)
{
	char *p = clean_line(line), *value;

	if (*p == '\0')
		return;
	value = p + strcspn(p, " \t");
	if (*value != '\0') {
		*value++ = '\0';
		value += strspn(value, " \t");
	}
	if (*value == '\0') {
		perr(ps, "key '%s' has no value", p);
		return;
	}
	set_key(cfg, ps, p, value);
}

/* Reads one line of at most cap - 1 bytes (NULs included, line ending
 * removed); a longer line is consumed whole and flagged. -1 at end of file. */
static int read_line(FILE *fp, char *buf, size_t cap, size_t *len, int *too_long)
{
	int c;

	*len = 0;
	*too_long = 0;
	while ((c = getc(fp)) != EOF && c != '\n') {
		if (*len + 1 < cap)
			buf[(*len)++] = (char)c;
		else
			*too_long = 1;
	}
	if (c == EOF && *len == 0 && !*too_long)
		return -1;
	if (*len > 0 && buf[*len - 1] == '\r')
		(*len)--;
	buf[*len] = '\0';
	return 0;
}

static void parse_stream(struct config *cfg, struct parse_state *ps, FILE *fp)
{
	char line[CONFIG_LINE_MAX + 2];
	size_t len;
	int too_long;

	while (read_line(fp, line, sizeof(line), &len, &too_long) == 0) {
		ps->line++;
		if (ps->line > CONFIG_LINES_MAX) {
			perr(ps, "file too long");
			break;
		}
		if (too_long || len > CONFIG_LINE_MAX) {
			perr(ps, "line longer than %d characters", CONFIG_LINE_MAX);
			continue;
		}
		if (memchr(line, '\0', len) != NULL) {
			perr(ps, "NUL byte in line");
			continue;
		}
		parse_line(cfg, ps, line);
	}
	if (ferror(fp))
		perr(ps, "read error: %s", strerror(errno));
}

/* ---- defaults and cross-checks ---- */

static int set_defaults(struct config *cfg)
{
	char host[256];
	const char *why;

	cfg->refs = 1;
	cfg->socket = strdup("unix:/run/mailsift/mailsiftd.sock");
	cfg->socket_mode = 0660;
	cfg->syslog_facility = LOG_MAIL;
	cfg->milter_timeout = 300;
	cfg->local_domains = strset_new();
	cfg->trusted_networks = cidr_list_new();
	cfg->exempt_recipients = strset_new();
	cfg->skip_sender_checks = SKIP_AUTHENTICATED | SKIP_TRUSTED;
	cfg->max_recipients = 1000;
	cfg->dns_timeout_ms = 3000;
	cfg->dns_budget_ms = 8000;
	cfg->dns_cache = 1;
	cfg->dns_cache_size = 4u << 20;
	cfg->sender_domain_check = 1;
	cfg->spf_check = 1;
	cfg->spf_helo_check = 1;
	cfg->dkim_check = 1;
	cfg->arc_check = 1;
	cfg->arc_trusted_sealers = strset_new();
	if (cfg->arc_trusted_sealers == NULL)
		return -1;
	cfg->dmarc_check = 1;
	cfg->psl_file = strdup(PSL_DEFAULT_PATH);
	cfg->dmarc_override = strset_new();
	if (cfg->psl_file == NULL || cfg->dmarc_override == NULL)
		return -1;
	cfg->helo_check = 1;
	cfg->own_names = strset_new();
	cfg->own_networks = cidr_list_new();
	if (cfg->own_names == NULL || cfg->own_networks == NULL)
		return -1;
	cfg->received_spf_header = 1;
	cfg->rules_paths = strdup(RULESDIR);
	if (cfg->rules_paths == NULL)
		return -1;
	cfg->add_header_score = 5.0;
	cfg->quarantine_score = HUGE_VAL;
	cfg->tempfail_score = HUGE_VAL;
	cfg->reject_score = 15.0;
	cfg->spam_headers = 1;
	cfg->early_reject = 1;
	memcpy(cfg->recipient_delimiter, "+", 2);
	if (gethostname(host, sizeof(host)) != 0 || host[0] == '\0')
		memcpy(host, "localhost", sizeof("localhost"));
	host[sizeof(host) - 1] = '\0';
	cfg->authserv_id = strdup(host);
	cfg->status_header = strdup("X-Mailsift-Status");
	if (cfg->socket == NULL || cfg->local_domains == NULL || cfg->trusted_networks == NULL ||
	    cfg->exempt_recipients == NULL || cfg->authserv_id == NULL ||
	    cfg->status_header == NULL)
		return -1;
	if (cidr_list_add(cfg->trusted_networks, "127.0.0.0/8", &why) < 0 ||
	    cidr_list_add(cfg->trusted_networks, "::1", &why) < 0 ||
	    strset_add(cfg->exempt_recipients, "postmaster", 10) < 0 ||
	    strset_add(cfg->exempt_recipients, "abuse", 5) < 0)
		return -1;
	for (int i = 0; i < SYM_COUNT; i++) {
		const struct symbol_def *def = symbol_def((enum symbol_id)i);

		cfg->symbols[i].action = def->action;
		cfg->symbols[i].score = def->score;
		if (reply_parse(def->reply, &cfg->symbols[i].reply, &why) < 0)
			return -1;
	}
	return 0;
}

/* A reply must be of the class its action sends: reject -> 5xx, tempfail
 * -> 4xx. A tempfail action without its own reply softens the default. */
static void check_symbols(struct config *cfg, struct parse_state *ps)
{
	for (int i = 0; i < SYM_COUNT; i++) {
		struct symbol_cfg *sc = &cfg->symbols[i];
		char want = sc->action == ACTION_REJECT	    ? '5'
			    : sc->action == ACTION_TEMPFAIL ? '4'
							    : 0;

		if (want == 0 || sc->reply.code[0] == want)
			continue;
		if (ps->reply_line[i] == 0) {
			reply_soften(&sc->reply, &sc->reply);
			if (sc->reply.code[0] == want)
				continue;
		}
		ps->line = ps->reply_line[i] ? ps->reply_line[i] : ps->action_line[i];
		perr(ps, "reply.%s is a %cxx reply but action.%s is %s",
		     symbol_def((enum symbol_id)i)->name, sc->reply.code[0],
		     symbol_def((enum symbol_id)i)->name, action_name(sc->action));
	}
}

/* A relative path names a file beside the configuration file, so a reload
 * (from a daemon whose working directory is /) finds the same file. */
static int resolve_beside(const char *config_path, char **path)
{
	const char *slash = strrchr(config_path, '/');
	size_t dlen, plen;
	char *abs;

	if ((*path)[0] == '/' || slash == NULL)
		return 0;
	dlen = (size_t)(slash - config_path) + 1;
	plen = strlen(*path);
	abs = malloc(dlen + plen + 1);
	if (abs == NULL)
		return -1;
	memcpy(abs, config_path, dlen);
	memcpy(abs + dlen, *path, plen + 1);
	free(*path);
	*path = abs;
	return 0;
}

static void load_recipient_map(struct config *cfg, struct parse_state *ps)
{
	if (cfg->recipient_map_path == NULL)
		return;
	if (strset_count(cfg->local_domains) == 0) {
		ps->line = ps->seen_line[key_index("recipient_map")];
		perr(ps,
		     "recipient_map needs local_domains: it lists the recipients of those domains");
		return;
	}
	if (resolve_beside(ps->file, &cfg->recipient_map_path) < 0) {
		perr(ps, "out of memory");
		return;
	}
	cfg->recipient_map = rcptmap_load(cfg->recipient_map_path, ps->errors);
	if (cfg->recipient_map == NULL)
		ps->failed = 1;
}

static void make_resolver(struct config *cfg, struct parse_state *ps)
{
	struct dns_options o = {
		.servers = cfg->dns_servers,
		.timeout_ms = cfg->dns_timeout_ms,
		.cache = cfg->dns_cache,
		.cache_size = cfg->dns_cache_size,
	};
	const char *why = NULL;

	if (cfg->dns_timeout_ms > cfg->dns_budget_ms) {
		ps->line = ps->seen_line[key_index("dns_timeout")];
		if (ps->line == 0)
			ps->line = ps->seen_line[key_index("dns_budget")];
		perr(ps, "dns_timeout is longer than dns_budget");
		return;
	}
	cfg->resolver = dns_resolver_new(&o, &why);
	if (cfg->resolver == NULL)
		perr(ps, "%s", why);
	else if ((cfg->dkim = dkimverify_new(cfg->resolver, &why)) == NULL)
		perr(ps, "%s", why);
}

static void load_psl(struct config *cfg, struct parse_state *ps)
{
	const char *why;

	if (!cfg->dmarc_check)
		return;
	ps->line = ps->seen_line[key_index("psl_file")];
	if (resolve_beside(ps->file, &cfg->psl_file) < 0) {
		perr(ps, "out of memory");
		return;
	}
	cfg->psl = psl_load(cfg->psl_file, &why);
	if (cfg->psl == NULL)
		perr(ps, "%s: %s (or set dmarc_check no)", cfg->psl_file, why);
}

/* One path of the rules key, absolute; a missing default directory (the
 * rules not installed) means no content rules, a missing given path is an
 * error. 1 if the path is to be loaded, 0 if not, -1 on error. */
static int rules_path(struct config *cfg, struct parse_state *ps, char **path)
{
	if (resolve_beside(ps->file, path) < 0) {
		perr(ps, "out of memory");
		return -1;
	}
	if (access(*path, R_OK) == 0)
		return 1;
	if (!ps->seen_line[key_index("rules")] && strcmp(*path, RULESDIR) == 0)
		return 0;
	perr(ps, "rules: %s: %s", *path, strerror(errno));
	(void)cfg;
	return -1;
}

static void load_rules(struct config *cfg, struct parse_state *ps)
{
	char *paths[CONFIG_MAX_RULE_PATHS], *list, *save = NULL;
	struct strbuf problems;
	struct rules_report rep = {.problems = &problems};
	const char *why = NULL;
	size_t n = 0;
	int ok = 1;

	if (cfg->rules_paths == NULL || (list = strdup(cfg->rules_paths)) == NULL)
		return;
	ps->line = ps->seen_line[key_index("rules")];
	for (char *w = strtok_r(list, " \t,", &save); w != NULL && ok;
	     w = strtok_r(NULL, " \t,", &save)) {
		if (n == CONFIG_MAX_RULE_PATHS) {
			perr(ps, "rules: more than %d paths", CONFIG_MAX_RULE_PATHS);
			ok = 0;
		} else if ((paths[n] = strdup(w)) == NULL) {
			ok = 0;
		} else {
			int rc = rules_path(cfg, ps, &paths[n]);

			ok = rc >= 0;
			if (rc > 0)
				n++;
			else
				free(paths[n]);
		}
	}
	free(list);
	sb_init(&problems, 1u << 22);
	if (ok && n > 0) {
		cfg->rules = rules_load((const char *const *)paths, n, &rep, &why);
		if (cfg->rules == NULL)
			perr(ps, "rules: %s", why);
		cfg->rules_loaded = rep.loaded;
		cfg->rules_inert = rep.inert;
		cfg->rules_failed = rep.failed;
		if (problems.len > 0)
			cfg->rules_problems = sb_take(&problems);
	}
	sb_free(&problems);
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
}

static void config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->path);
	free(cfg->socket);
	free(cfg->socket_group);
	free(cfg->user);
	free(cfg->pidfile);
	strset_free(&cfg->local_domains);
	strset_free(&cfg->recipient_map);
	free(cfg->recipient_map_path);
	cidr_list_free(&cfg->trusted_networks);
	strset_free(&cfg->exempt_recipients);
	dkimverify_free(&cfg->dkim);
	free(cfg->psl_file);
	free(cfg->rules_paths);
	rules_free(&cfg->rules);
	free(cfg->rules_problems);
	psl_free(&cfg->psl);
	strset_free(&cfg->dmarc_override);
	strset_free(&cfg->arc_trusted_sealers);
	dns_resolver_free(&cfg->resolver);
	strset_free(&cfg->own_names);
	cidr_list_free(&cfg->own_networks);
	free(cfg->dns_servers);
	free(cfg->authserv_id);
	free(cfg->status_header);
	free(cfg);
}

static struct config *config_new(struct parse_state *ps)
{
	struct config *cfg = calloc(1, sizeof(*cfg));

	if (cfg == NULL || set_defaults(cfg) < 0) {
		perr(ps, "out of memory");
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

struct config *config_defaults(struct strbuf *errors)
{
	struct parse_state ps = {.file = "(defaults)", .errors = errors};
	struct config *cfg = config_new(&ps);

	if (cfg != NULL)
		make_resolver(cfg, &ps);
	if (cfg != NULL && !ps.failed)
		load_psl(cfg, &ps);
	if (cfg != NULL && !ps.failed)
		load_rules(cfg, &ps);
	if (cfg != NULL && ps.failed)
		config_release(&cfg);
	return cfg;
}

struct config *config_load(const char *path, struct strbuf *errors)
{
	struct parse_state ps = {.file = path, .errors = errors};
	struct config *cfg = config_new(&ps);
	FILE *fp;

	if (cfg == NULL)
		return NULL;
	fp = fopen(path, "r");
	if (fp == NULL) {
		perr(&ps, "cannot open: %s", strerror(errno));
		config_free(cfg);
		return NULL;
	}
	parse_stream(cfg, &ps, fp);
	fclose(fp);
	check_symbols(cfg, &ps);
	ps.line = 0;
	if (!ps.failed)
		load_recipient_map(cfg, &ps);
	ps.line = 0;
	if (!ps.failed)
		make_resolver(cfg, &ps);
	if (!ps.failed)
		load_psl(cfg, &ps);
	if (!ps.failed)
		load_rules(cfg, &ps);
	cfg->path = strdup(path);
	if (ps.failed || cfg->path == NULL) {
		if (!ps.failed)
			perr(&ps, "out of memory");
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

/* ---- the snapshot in service ---- */

static pthread_mutex_t snapshot_lock = PTHREAD_MUTEX_INITIALIZER;
static struct config *snapshot;

struct config *config_ref(struct config *cfg)
{
	pthread_mutex_lock(&snapshot_lock);
	cfg->refs++;
	pthread_mutex_unlock(&snapshot_lock);
	return cfg;
}

void config_release(struct config **cfg)
{
	int last;

	if (*cfg == NULL)
		return;
	pthread_mutex_lock(&snapshot_lock);
	last = --(*cfg)->refs == 0;
	pthread_mutex_unlock(&snapshot_lock);
	if (last)
		config_free(*cfg);
	*cfg = NULL;
}

struct config *config_current(void)
{
	struct config *cfg;

	pthread_mutex_lock(&snapshot_lock);
	cfg = snapshot;
	if (cfg != NULL)
		cfg->refs++;
	pthread_mutex_unlock(&snapshot_lock);
	return cfg;
}

void config_install(struct config *cfg)
{
	struct config *old;

	pthread_mutex_lock(&snapshot_lock);
	old = snapshot;
	snapshot = cfg;
	pthread_mutex_unlock(&snapshot_lock);
	config_release(&old);
}
