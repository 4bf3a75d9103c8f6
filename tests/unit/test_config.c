/* config: golden tests of the configuration parser (each
 * tests/data/config/NAME.conf loads with exactly the errors in NAME.ref; an
 * empty .ref means it loads), the values it produces, and the refcounted
 * snapshot in service.
 *
 * Paths in error lines are relative to $top_srcdir, which the test makes
 * its working directory, so the .ref files do not depend on the build.
 */
#include <check.h>
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mailsift/cidr.h"
#include "mailsift/config.h"
#include "mailsift/session.h"
#include "mailsift/strset.h"

#define CONFIG_DIR "tests/data/config"
#define MAX_CASES 256

static char *cases[MAX_CASES];
static int ncases;

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The NAME of every NAME.conf, sorted. */
static void find_cases(void)
{
	DIR *d = opendir(CONFIG_DIR);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL && ncases < MAX_CASES) {
		size_t n = strlen(e->d_name);

		if (n > 5 && strcmp(e->d_name + n - 5, ".conf") == 0) {
			char *name = strndup(e->d_name, n - 5);
			if (name != NULL)
				cases[ncases++] = name;
			else
				free(name);
		}
	}
	closedir(d);
	qsort(cases, (size_t)ncases, sizeof(cases[0]), cmp_names);
}

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	ck_assert_msg(fp != NULL, "cannot open %s", path);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = calloc(1, (size_t)n + 1);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	return buf;
}

static void golden(const char *name)
{
	char conf[512], ref[512];
	struct strbuf errors;
	struct config *cfg;
	char *want;

	snprintf(conf, sizeof(conf), CONFIG_DIR "/%s.conf", name);
	snprintf(ref, sizeof(ref), CONFIG_DIR "/%s.ref", name);
	want = slurp(ref);
	sb_init(&errors, 1 << 20);
	cfg = config_load(conf, &errors);
	ck_assert_msg(strcmp(sb_str(&errors), want) == 0,
		      "%s: errors differ from %s:\n--- got\n%s--- want\n%s", conf, ref,
		      sb_str(&errors), want);
	ck_assert_msg((cfg != NULL) == (want[0] == '\0'), "%s: %s", conf,
		      cfg != NULL ? "loaded despite errors" : "refused without errors");
	if (cfg != NULL)
		ck_assert_int_eq(cfg->refs, 1);
	config_release(&cfg);
	sb_free(&errors);
	free(want);
}

START_TEST(golden_case)
{
	golden(cases[_i]);
}
END_TEST

START_TEST(enough_cases)
{
	ck_assert_int_ge(ncases, 30);
}
END_TEST

/* Loads a file that must load without errors. */
static struct config *load_ok(const char *name)
{
	char path[256];
	struct strbuf errors;
	struct config *cfg;

	snprintf(path, sizeof(path), CONFIG_DIR "/%s.conf", name);
	sb_init(&errors, 1 << 16);
	cfg = config_load(path, &errors);
	ck_assert_msg(cfg != NULL, "%s: %s", path, sb_str(&errors));
	ck_assert_str_eq(sb_str(&errors), "");
	sb_free(&errors);
	ck_assert_str_eq(cfg->path, path);
	return cfg;
}

static void reply_is(const struct reply *r, const char *code, const char *xcode, const char *text)
{
	ck_assert_str_eq(r->code, code);
	ck_assert_str_eq(r->xcode, xcode);
	ck_assert_str_eq(r->text, text);
}

START_TEST(full_config_values)
{
	struct config *cfg = load_ok("full");
	const struct symbol_cfg *s = cfg->symbols;

	ck_assert_str_eq(cfg->socket, "inet:8894@127.0.0.1");
	ck_assert_uint_eq(cfg->socket_mode, 0600);
	ck_assert_str_eq(cfg->socket_group, "mail");
	ck_assert_str_eq(cfg->user, "mailsift:mailsift");
	ck_assert_str_eq(cfg->pidfile, "/run/mailsift/mailsiftd.pid");
	ck_assert_int_eq(cfg->syslog_facility, LOG_LOCAL3);
	ck_assert_int_eq(cfg->log_debug, 1);
	ck_assert_uint_eq(cfg->milter_timeout, 60);
	ck_assert_uint_eq(strset_count(cfg->local_domains), 3);
	ck_assert_int_eq(strset_has(cfg->local_domains, "example.net", 11), 1);
	ck_assert_int_eq(strset_has(cfg->local_domains, "EXAMPLE.COM", 11), 1);
	/* a relative map path names a file beside the configuration file */
	ck_assert_str_eq(cfg->recipient_map_path, CONFIG_DIR "/full.map");
	ck_assert_ptr_nonnull(cfg->recipient_map);
	ck_assert_uint_eq(strset_count(cfg->recipient_map), 2);
	ck_assert_int_eq(strset_has(cfg->recipient_map, "alice@example.org", 17), 1);
	ck_assert_int_eq(strset_has(cfg->recipient_map, "@example.net", 12), 1);
	ck_assert_str_eq(cfg->recipient_delimiter, "+-");
	ck_assert_uint_eq(cidr_list_count(cfg->trusted_networks), 3);
	ck_assert_int_eq(cidr_list_match(cfg->trusted_networks, "192.0.2.77"), 1);
	ck_assert_int_eq(cidr_list_match(cfg->trusted_networks, "2001:db8::25"), 1);
	ck_assert_int_eq(cidr_list_match(cfg->trusted_networks, "198.51.100.7"), 1);
	ck_assert_int_eq(cidr_list_match(cfg->trusted_networks, "127.0.0.1"), 0); /* replaced */
	ck_assert_uint_eq(strset_count(cfg->exempt_recipients), 3);
	ck_assert_int_eq(strset_has(cfg->exempt_recipients, "hostmaster", 10), 1);
	ck_assert_uint_eq(cfg->skip_sender_checks, SKIP_AUTHENTICATED);
	ck_assert_uint_eq(cfg->max_recipients, 50);
	ck_assert_str_eq(cfg->authserv_id, "mx.example.org");
	ck_assert_str_eq(cfg->status_header, "X-Test-Status");
	ck_assert_int_eq(cfg->dry_run, 1);

	ck_assert_int_eq(s[SYM_SENDER_SYNTAX].action, ACTION_TEMPFAIL);
	reply_is(&s[SYM_SENDER_SYNTAX].reply, "450", "4.1.7", "<%{sender}>: try again (%{detail})");
	ck_assert_double_eq(s[SYM_SENDER_SYNTAX].score, 2.5);
	ck_assert_int_eq(s[SYM_RCPT_SYNTAX].action, ACTION_REJECT);
	reply_is(&s[SYM_RCPT_SYNTAX].reply, "553", "5.1.3", "bad rcpt %{rcpt} from %{ip}");
	ck_assert_int_eq(s[SYM_RCPT_UNKNOWN].action, ACTION_LOG);
	ck_assert_double_eq(s[SYM_RCPT_UNKNOWN].score, -1.25);
	reply_is(&s[SYM_RELAY_DENIED].reply, "554", "5.7.1",
		 "no relaying for %{ip} (%{symbol}) 100%%");
	ck_assert_int_eq(s[SYM_TOO_MANY_RCPTS].action, ACTION_REJECT);
	reply_is(&s[SYM_TOO_MANY_RCPTS].reply, "550", "5.5.3", "Too many recipients");
	ck_assert_int_eq(s[SYM_INTERNAL_ERROR].action, ACTION_TEMPFAIL);
	reply_is(&s[SYM_INTERNAL_ERROR].reply, "451", "4.3.0",
		 "Temporary failure in mail filter, try again later");
	ck_assert_double_eq(s[SYM_INTERNAL_ERROR].score, 1000);
	config_release(&cfg);
	ck_assert_ptr_null(cfg);
}
END_TEST

static void check_defaults(const struct config *cfg)
{
	char host[256] = "";

	ck_assert_str_eq(cfg->socket, "unix:/run/mailsift/mailsiftd.sock");
	ck_assert_uint_eq(cfg->socket_mode, 0660);
	ck_assert_ptr_null(cfg->socket_group);
	ck_assert_ptr_null(cfg->user);
	ck_assert_ptr_null(cfg->pidfile);
	ck_assert_int_eq(cfg->syslog_facility, LOG_MAIL);
	ck_assert_int_eq(cfg->log_debug, 0);
	ck_assert_uint_eq(cfg->milter_timeout, 300);
	ck_assert_uint_eq(strset_count(cfg->local_domains), 0);
	ck_assert_ptr_null(cfg->recipient_map);
	ck_assert_ptr_null(cfg->recipient_map_path);
	ck_assert_str_eq(cfg->recipient_delimiter, "+");
	ck_assert_uint_eq(cidr_list_count(cfg->trusted_networks), 2);
	ck_assert_int_eq(cidr_list_match(cfg->trusted_networks, "127.255.0.1"), 1);
	ck_assert_int_eq(cidr_list_match(cfg->trusted_networks, "::1"), 1);
	ck_assert_int_eq(cidr_list_match(cfg->trusted_networks, "::ffff:127.0.0.1"), 1);
	ck_assert_uint_eq(strset_count(cfg->exempt_recipients), 2);
	ck_assert_int_eq(strset_has(cfg->exempt_recipients, "Postmaster", 10), 1);
	ck_assert_int_eq(strset_has(cfg->exempt_recipients, "abuse", 5), 1);
	ck_assert_uint_eq(cfg->skip_sender_checks, SKIP_AUTHENTICATED | SKIP_TRUSTED);
	ck_assert_uint_eq(cfg->max_recipients, 1000);
	ck_assert_int_eq(gethostname(host, sizeof(host) - 1), 0);
	ck_assert_str_eq(cfg->authserv_id, host);
	ck_assert_str_eq(cfg->status_header, "X-Mailsift-Status");
	ck_assert_int_eq(cfg->dry_run, 0);
	for (int i = 0; i < SYM_COUNT; i++) {
		const struct symbol_def *def = symbol_def((enum symbol_id)i);
		char reply[512];

		snprintf(reply, sizeof(reply), "%s %s %s", cfg->symbols[i].reply.code,
			 cfg->symbols[i].reply.xcode, cfg->symbols[i].reply.text);
		ck_assert_int_eq(cfg->symbols[i].action, def->action);
		ck_assert_str_eq(reply, def->reply);
		ck_assert_double_eq(cfg->symbols[i].score, def->score);
	}
}

START_TEST(defaults)
{
	struct strbuf errors;
	struct config *cfg;

	sb_init(&errors, 4096);
	cfg = config_defaults(&errors);
	ck_assert_ptr_nonnull(cfg);
	ck_assert_str_eq(sb_str(&errors), "");
	ck_assert_int_eq(cfg->refs, 1);
	check_defaults(cfg);
	config_release(&cfg);
	cfg = load_ok("empty");
	check_defaults(cfg);
	config_release(&cfg);
	cfg = load_ok("comments-only");
	check_defaults(cfg);
	config_release(&cfg);
	sb_free(&errors);
}
END_TEST

START_TEST(tempfail_softens_default_reply)
{
	struct config *cfg = load_ok("tempfail-no-reply");

	ck_assert_int_eq(cfg->symbols[SYM_SENDER_SYNTAX].action, ACTION_TEMPFAIL);
	reply_is(&cfg->symbols[SYM_SENDER_SYNTAX].reply, "450", "4.1.7",
		 "<%{sender}>: Sender address rejected: %{detail}");
	reply_is(&cfg->symbols[SYM_RCPT_UNKNOWN].reply, "450", "4.1.1",
		 "<%{rcpt}>: Recipient address rejected: User unknown");
	/* others keep theirs */
	reply_is(&cfg->symbols[SYM_RELAY_DENIED].reply, "554", "5.7.1",
		 "<%{rcpt}>: Relay access denied");
	config_release(&cfg);
}
END_TEST

START_TEST(comments_after_values)
{
	struct config *cfg = load_ok("comments-after-values");

	ck_assert_int_eq(cfg->dry_run, 1);
	ck_assert_str_eq(cfg->authserv_id, "mx#1");
	reply_is(&cfg->symbols[SYM_RELAY_DENIED].reply, "554", "5.7.1", "see");
	ck_assert_uint_eq(strset_count(cfg->local_domains), 2);
	ck_assert_int_eq(strset_has(cfg->local_domains, "example.net", 11), 1);
	config_release(&cfg);
}
END_TEST

START_TEST(crlf_line_ends)
{
	struct config *cfg = load_ok("crlf");

	ck_assert_str_eq(cfg->authserv_id, "mx.example.org");
	ck_assert_int_eq(cfg->dry_run, 1);
	ck_assert_int_eq(strset_has(cfg->local_domains, "example.org", 11), 1);
	reply_is(&cfg->symbols[SYM_RELAY_DENIED].reply, "554", "5.7.1", "relay denied");
	config_release(&cfg);
}
END_TEST

START_TEST(none_values)
{
	struct config *cfg = load_ok("none-values");

	ck_assert_uint_eq(strset_count(cfg->local_domains), 0);
	ck_assert_uint_eq(cidr_list_count(cfg->trusted_networks), 0);
	ck_assert_int_eq(cidr_list_match(cfg->trusted_networks, "127.0.0.1"), 0);
	ck_assert_uint_eq(strset_count(cfg->exempt_recipients), 0);
	ck_assert_uint_eq(cfg->skip_sender_checks, 0);
	ck_assert_ptr_null(cfg->socket_group);
	ck_assert_ptr_null(cfg->user);
	ck_assert_ptr_null(cfg->pidfile);
	ck_assert_ptr_null(cfg->recipient_map_path);
	ck_assert_ptr_null(cfg->recipient_map);
	ck_assert_str_eq(cfg->recipient_delimiter, "");
	ck_assert_ptr_null(cfg->status_header);
	config_release(&cfg);
}
END_TEST

START_TEST(percent_is_kept_in_template)
{
	struct config *cfg = load_ok("percent");

	reply_is(&cfg->symbols[SYM_RELAY_DENIED].reply, "554", "5.7.1",
		 "100%% sure, %{ip} %{sender} %{rcpt} %{symbol} %{detail}%%");
	config_release(&cfg);
}
END_TEST

START_TEST(missing_file_and_appended_errors)
{
	struct strbuf errors;

	sb_init(&errors, 4096);
	sb_puts(&errors, "earlier\n");
	ck_assert_ptr_null(config_load(CONFIG_DIR "/does-not-exist.conf", &errors));
	ck_assert_str_eq(sb_str(&errors),
			 "earlier\n" CONFIG_DIR
			 "/does-not-exist.conf: cannot open: No such file or directory\n");
	ck_assert_ptr_null(config_load(CONFIG_DIR "/bad-bool.conf", &errors));
	ck_assert_str_eq(sb_str(&errors), "earlier\n" CONFIG_DIR
					  "/does-not-exist.conf: cannot open: No such file or "
					  "directory\n" CONFIG_DIR
					  "/bad-bool.conf:1: bad value for 'dry_run': expected "
					  "yes or no\n");
	sb_free(&errors);
}
END_TEST

START_TEST(absolute_map_path)
{
	char dir[] = "/tmp/mailsift-config.XXXXXX", conf[256], map[256];
	struct strbuf errors;
	struct config *cfg;
	FILE *fp;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(map, sizeof(map), "%s/recipients", dir);
	snprintf(conf, sizeof(conf), "%s/mailsift.conf", dir);
	fp = fopen(map, "w");
	fputs("alice@example.org\n", fp);
	fclose(fp);
	fp = fopen(conf, "w");
	fprintf(fp, "local_domains example.org\nrecipient_map %s\n", map);
	fclose(fp);
	sb_init(&errors, 4096);
	cfg = config_load(conf, &errors);
	unlink(map);
	unlink(conf);
	rmdir(dir);
	ck_assert_str_eq(sb_str(&errors), "");
	ck_assert_ptr_nonnull(cfg);
	ck_assert_str_eq(cfg->recipient_map_path, map);
	ck_assert_int_eq(strset_has(cfg->recipient_map, "alice@example.org", 17), 1);
	config_release(&cfg);
	sb_free(&errors);
}
END_TEST

/* A file of n empty lines and a last "dry_run yes": its errors. */
static const char *many_lines(long n, struct strbuf *errors, char *path, size_t len)
{
	char dir[] = "/tmp/mailsift-config.XXXXXX";
	struct config *cfg;
	FILE *fp;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, len, "%s/long.conf", dir);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	for (long i = 0; i < n; i++)
		fputc('\n', fp);
	fputs("dry_run yes\n", fp);
	fclose(fp);
	sb_reset(errors);
	cfg = config_load(path, errors);
	unlink(path);
	rmdir(dir);
	ck_assert_int_eq(cfg != NULL, sb_str(errors)[0] == '\0');
	config_release(&cfg);
	return sb_str(errors);
}

START_TEST(line_count_limit)
{
	struct strbuf errors;
	char path[128], want[256];

	sb_init(&errors, 4096);
	ck_assert_str_eq(many_lines(99999, &errors, path, sizeof(path)), "");
	many_lines(100000, &errors, path, sizeof(path));
	snprintf(want, sizeof(want), "%s:100001: file too long\n", path);
	ck_assert_str_eq(sb_str(&errors), want);
	sb_free(&errors);
}
END_TEST

START_TEST(refcounts)
{
	struct config *a = load_ok("full"), *b = load_ok("empty"), *cur, *cur2, *extra;

	ck_assert_ptr_null(config_current());
	ck_assert_int_eq(a->refs, 1);
	extra = config_ref(a);
	ck_assert_ptr_eq(extra, a);
	ck_assert_int_eq(a->refs, 2);
	config_release(&extra);
	ck_assert_ptr_null(extra);
	ck_assert_int_eq(a->refs, 1);

	config_install(a); /* takes over our reference */
	ck_assert_int_eq(a->refs, 1);
	cur = config_current();
	ck_assert_ptr_eq(cur, a);
	ck_assert_int_eq(a->refs, 2);

	/* a reload: the old snapshot lives on while a connection holds it */
	config_install(b);
	ck_assert_int_eq(cur->refs, 1);
	ck_assert_str_eq(cur->authserv_id, "mx.example.org");
	ck_assert_int_eq(strset_has(cur->recipient_map, "alice@example.org", 17), 1);
	cur2 = config_current();
	ck_assert_ptr_eq(cur2, b);
	ck_assert_int_eq(b->refs, 2);
	config_release(&cur); /* the last reference: freed */
	ck_assert_ptr_null(cur);
	config_release(&cur2);
	ck_assert_int_eq(b->refs, 1);
	config_install(NULL);
	ck_assert_ptr_null(config_current());
	config_release(&cur); /* NULL: nothing to do */
}
END_TEST

START_TEST(connection_keeps_its_snapshot)
{
	struct config *a = load_ok("full");
	struct conn *conn;

	config_install(a);
	conn = conn_new(config_current());
	ck_assert_ptr_nonnull(conn);
	ck_assert_int_eq(a->refs, 2);
	config_install(load_ok("empty"));
	ck_assert_ptr_eq(conn->cfg, a);
	ck_assert_int_eq(a->refs, 1);
	ck_assert_uint_eq(conn->cfg->max_recipients, 50);
	conn_free(&conn); /* releases a */
	ck_assert_ptr_null(conn);
	config_install(NULL);
}
END_TEST

static atomic_int stop_readers;

static void *reader(void *arg)
{
	unsigned long *seen = arg;

	while (!stop_readers) {
		struct config *cfg = config_current();
		if (cfg != NULL && cfg->max_recipients > 0)
			(*seen)++;
		config_release(&cfg);
	}
	return NULL;
}

START_TEST(concurrent_reloads)
{
	pthread_t t[4];
	unsigned long seen[4] = {0};
	struct strbuf errors;

	sb_init(&errors, 4096);
	config_install(config_defaults(&errors));
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, reader, &seen[i]), 0);
	for (int i = 0; i < 200; i++) {
		config_install(config_defaults(&errors));
		usleep(100);
	}
	stop_readers = 1;
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ck_assert_uint_gt(seen[i], 0);
	}
	struct config *last = config_current();
	ck_assert_int_eq(last->refs, 2);
	config_release(&last);
	config_install(NULL);
	ck_assert_str_eq(sb_str(&errors), "");
	sb_free(&errors);
}
END_TEST

int run_suite(Suite *s, const char *name); /* test_runner.c */

int main(void)
{
	const char *top = getenv("top_srcdir");
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");
	TCase *gold = tcase_create("golden");
	int rc;

	if (top != NULL && chdir(top) != 0) {
		perror(top);
		return 1;
	}
	find_cases();
	tcase_add_test(gold, enough_cases);
	tcase_add_loop_test(gold, golden_case, 0, ncases);
	suite_add_tcase(s, gold);
	tcase_add_test(tc, full_config_values);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, tempfail_softens_default_reply);
	tcase_add_test(tc, comments_after_values);
	tcase_add_test(tc, crlf_line_ends);
	tcase_add_test(tc, none_values);
	tcase_add_test(tc, percent_is_kept_in_template);
	tcase_add_test(tc, missing_file_and_appended_errors);
	tcase_add_test(tc, absolute_map_path);
	tcase_add_test(tc, line_count_limit);
	tcase_add_test(tc, refcounts);
	tcase_add_test(tc, connection_keeps_its_snapshot);
	tcase_add_test(tc, concurrent_reloads);
	suite_add_tcase(s, tc);
	rc = run_suite(s, "config");
	for (int i = 0; i < ncases; i++)
		free(cases[i]);
	return rc;
}
