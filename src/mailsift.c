/* mailsift: the offline tool. "mailsift check" runs the daemon's pipeline on
 * one message file and shows each stage's answer and the verdict. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mailsift/config.h"
#include "mailsift/json.h"
#include "mailsift/log.h"
#include "mailsift/msgfile.h"
#include "mailsift/offline.h"
#include "mailsift/rules.h"

#define MAX_RCPT_ARGS 1000

struct check_opts {
	const char *config_path;
	struct offline_env env;
	const char *rcpts[MAX_RCPT_ARGS];
	int json;
	int verbose;
	const char *file;
};

static void usage(FILE *fp)
{
	fprintf(fp, "usage: mailsift check [-c FILE] [--from ADDR] [--rcpt ADDR]... [--ip IP]\n"
		    "                      [--helo NAME] [--auth USER] [--smtputf8] [--json] [-v]\n"
		    "                      FILE.eml|-\n"
		    "       mailsift lint [--types] RULEFILE|DIR...\n"
		    "       mailsift version\n"
		    "Envelope values default to the message's Return-Path/From and To/Cc headers.\n"
		    "--from '<>' is the null sender. Exit 0 when a verdict was produced.\n");
}

/* Accepted message, any stage: what the MTA would answer. */
static void final_reply(const struct offline_run *run, const char **code, const char **xcode,
			const char **text)
{
	if (run->verdict == VERDICT_REJECT || run->verdict == VERDICT_TEMPFAIL) {
		*code = run->reply.code;
		*xcode = run->reply.xcode;
		*text = run->reply.text;
	} else {
		*code = "250";
		*xcode = "2.0.0";
		*text = "Ok";
	}
}

static const char *final_verdict(const struct offline_run *run)
{
	return run->verdict <= VERDICT_ACCEPT ? "accept" : verdict_name(run->verdict);
}

/* Each content rule that hit, with its score and description. */
static void text_rule_hits(const struct msg *msg)
{
	const struct rules_result *r = content_result(msg->content);

	for (size_t i = 0; r != NULL && i < r->nhits; i++)
		printf("rule: %s %.2f hits=%u %s\n", r->hits[i].name, r->hits[i].score,
		       r->hits[i].count, r->hits[i].describe != NULL ? r->hits[i].describe : "");
}

static void json_rule_hits(struct strbuf *sb, const struct msg *msg)
{
	const struct rules_result *r = msg != NULL ? content_result(msg->content) : NULL;

	for (size_t i = 0; r != NULL && i < r->nhits; i++) {
		sb_puts(sb, msg->nresults > 0 || i > 0 ? ",{" : "{");
		json_key(sb, "rule", 1);
		json_string(sb, r->hits[i].name);
		json_key(sb, "score", 0);
		sb_printf(sb, "%.2f", r->hits[i].score);
		json_key(sb, "count", 0);
		sb_printf(sb, "%u", r->hits[i].count);
		json_key(sb, "describe", 0);
		json_string(sb, r->hits[i].describe != NULL ? r->hits[i].describe : "");
		json_key(sb, "stage", 0);
		/* an early reject ends the message with the header rules' hits */
		json_string(sb, msg->decided && msg->verdict_stage == STAGE_EOH ? "eoh" : "eom");
		sb_putc(sb, '}');
	}
}

static void json_results(struct strbuf *sb, const struct conn *conn, const struct msg *msg)
{
	sb_puts(sb, ",\"results\":[");
	for (size_t i = 0; msg != NULL && i < msg->nresults; i++) {
		const struct result *r = &msg->results[i];

		sb_puts(sb, i ? ",{" : "{");
		json_key(sb, "symbol", 1);
		json_string(sb, symbol_def(r->sym)->name);
		json_key(sb, "score", 0);
		sb_printf(sb, "%.2f", conn->cfg->symbols[r->sym].score);
		json_key(sb, "detail", 0);
		json_string(sb, r->detail);
		json_key(sb, "stage", 0);
		json_string(sb, stage_name(r->stage));
		json_key(sb, "action", 0);
		json_string(sb, action_name(conn->cfg->symbols[r->sym].action));
		if (r->rcpt >= 0) {
			json_key(sb, "rcpt", 0);
			json_string(sb, msg->rcpts[r->rcpt].path);
		}
		sb_putc(sb, '}');
	}
	json_rule_hits(sb, msg);
	sb_putc(sb, ']');
}

static void json_headers(struct strbuf *sb, const struct msg *msg)
{
	int first = 1;

	sb_puts(sb, ",\"headers_added\":[");
	for (size_t i = 0; msg != NULL && i < msg->nedits; i++) {
		if (msg->edits[i].op == HDR_DELETE)
			continue;
		sb_puts(sb, first ? "{" : ",{");
		first = 0;
		json_key(sb, "name", 1);
		json_string(sb, msg->edits[i].name);
		json_key(sb, "value", 0);
		json_string(sb, msg->edits[i].value);
		sb_putc(sb, '}');
	}
	sb_puts(sb, "],\"headers_removed\":[");
	first = 1;
	for (size_t i = 0; msg != NULL && i < msg->nedits; i++) {
		if (msg->edits[i].op != HDR_DELETE)
			continue;
		sb_puts(sb, first ? "{" : ",{");
		first = 0;
		json_key(sb, "name", 1);
		json_string(sb, msg->edits[i].name);
		json_key(sb, "index", 0);
		sb_printf(sb, "%d}", msg->edits[i].index);
	}
	sb_putc(sb, ']');
}

static void json_rcpts(struct strbuf *sb, const struct msg *msg)
{
	sb_puts(sb, ",\"recipients\":[");
	for (size_t i = 0; msg != NULL && i < msg->nrcpts; i++) {
		const struct rcpt *r = &msg->rcpts[i];
		int bad = r->verdict == VERDICT_REJECT || r->verdict == VERDICT_TEMPFAIL;

		sb_puts(sb, i ? ",{" : "{");
		json_key(sb, "address", 1);
		json_string(sb, r->path);
		json_key(sb, "verdict", 0);
		json_string(sb, bad ? verdict_name(r->verdict) : "accept");
		json_key(sb, "smtp_code", 0);
		json_string(sb, bad ? r->reply.code : "250");
		json_key(sb, "enhanced_status", 0);
		json_string(sb, bad ? r->reply.xcode : "2.1.5");
		json_key(sb, "text", 0);
		json_string(sb, bad ? r->reply.text : "Ok");
		sb_putc(sb, '}');
	}
	sb_putc(sb, ']');
}

static void json_stages(struct strbuf *sb, const struct offline_run *run)
{
	sb_puts(sb, ",\"stages\":[");
	for (size_t i = 0; i < run->nanswers; i++) {
		const struct offline_answer *a = &run->answers[i];

		sb_puts(sb, i ? ",{" : "{");
		json_key(sb, "stage", 1);
		json_string(sb, stage_name(a->stage));
		json_key(sb, "arg", 0);
		json_string(sb, a->arg);
		json_key(sb, "verdict", 0);
		json_string(sb, verdict_name(a->d.verdict));
		if (a->d.verdict == VERDICT_REJECT || a->d.verdict == VERDICT_TEMPFAIL) {
			char reply[REPLY_TEXT_MAX + 32];

			snprintf(reply, sizeof(reply), "%s %s %s", a->d.reply.code,
				 a->d.reply.xcode, a->d.reply.text);
			json_key(sb, "reply", 0);
			json_string(sb, reply);
		}
		sb_putc(sb, '}');
	}
	sb_putc(sb, ']');
}

static void print_json(const struct offline_run *run)
{
	const struct msg *msg = run->conn->msg;
	const char *code, *xcode, *text;
	struct strbuf sb;

	final_reply(run, &code, &xcode, &text);
	sb_init(&sb, 64u << 20);
	sb_putc(&sb, '{');
	json_key(&sb, "verdict", 1);
	json_string(&sb, final_verdict(run));
	json_key(&sb, "stage", 0);
	json_string(&sb, stage_name(run->stage));
	json_key(&sb, "smtp_code", 0);
	json_string(&sb, code);
	json_key(&sb, "enhanced_status", 0);
	json_string(&sb, xcode);
	json_key(&sb, "text", 0);
	json_string(&sb, text);
	json_key(&sb, "symbol", 0);
	if (run->symbol != NULL)
		json_string(&sb, run->symbol);
	else
		sb_puts(&sb, "null");
	json_key(&sb, "score", 0);
	sb_printf(&sb, "%.2f", msg != NULL ? msg->score : 0.0);
	json_key(&sb, "shadow", 0);
	json_string(&sb, msg != NULL ? msg->shadow : "");
	json_results(&sb, run->conn, msg);
	json_headers(&sb, msg);
	json_rcpts(&sb, msg);
	json_stages(&sb, run);
	sb_puts(&sb, "}\n");
	fputs(sb_str(&sb), stdout);
	sb_free(&sb);
}

static void print_text(const struct offline_run *run)
{
	const struct msg *msg = run->conn->msg;
	const char *code, *xcode, *text;

	for (size_t i = 0; i < run->nanswers; i++) {
		const struct offline_answer *a = &run->answers[i];

		printf("%-8s %-40s ", stage_name(a->stage), a->arg);
		if (a->d.verdict == VERDICT_REJECT || a->d.verdict == VERDICT_TEMPFAIL)
			printf("%s %s %s\n", a->d.reply.code, a->d.reply.xcode, a->d.reply.text);
		else
			printf("%s\n", verdict_name(a->d.verdict));
	}
	final_reply(run, &code, &xcode, &text);
	printf("\nverdict: %s at %s: %s %s %s\n", final_verdict(run), stage_name(run->stage), code,
	       xcode, text);
	if (msg == NULL)
		return;
	printf("score: %.2f\n", msg->score);
	text_rule_hits(msg);
	if (msg->shadow[0] != '\0')
		printf("shadow (logged only): %s\n", msg->shadow);
	for (size_t i = 0; i < msg->nresults; i++) {
		const struct result *r = &msg->results[i];
		printf("result: %s (%s, %s) %s%s%s\n", symbol_def(r->sym)->name,
		       stage_name(r->stage), action_name(run->conn->cfg->symbols[r->sym].action),
		       r->detail, r->rcpt >= 0 ? " for " : "",
		       r->rcpt >= 0 ? msg->rcpts[r->rcpt].path : "");
	}
	for (size_t i = 0; i < msg->nedits; i++) {
		const struct hdr_edit *e = &msg->edits[i];
		if (e->op == HDR_DELETE)
			printf("header removed: %s #%d\n", e->name, e->index);
		else
			printf("header added: %s: %s\n", e->name, e->value);
	}
}

static int parse_check_options(int argc, char **argv, struct check_opts *o)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"from", required_argument, NULL, 'F'},
		{"rcpt", required_argument, NULL, 'R'},
		{"ip", required_argument, NULL, 'I'},
		{"helo", required_argument, NULL, 'H'},
		{"auth", required_argument, NULL, 'A'},
		{"smtputf8", no_argument, NULL, 'U'},
		{"json", no_argument, NULL, 'j'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config_path = optarg; break;
		case 'F': o->env.from = optarg; break;
		case 'R':
			if (o->env.nrcpts >= MAX_RCPT_ARGS)
				return -1;
			o->rcpts[o->env.nrcpts++] = optarg;
			break;
		case 'I': o->env.ip = optarg; break;
		case 'H': o->env.helo = optarg; break;
		case 'A': o->env.auth = optarg; break;
		case 'U': o->env.smtputf8 = 1; break;
		case 'j': o->json = 1; break;
		case 'v': o->verbose = 1; break;
		case 'h': usage(stdout); exit(0);
		default: return -1;
		}
	}
	if (optind + 1 != argc)
		return -1;
	o->file = argv[optind];
	o->env.rcpts = o->rcpts;
	return 0;
}

static struct config *tool_config(const char *path)
{
	struct strbuf errors;
	struct config *cfg;

	sb_init(&errors, 1 << 20);
	/* like the daemon: the installed configuration unless told otherwise */
	if (path == NULL && access(CONFIG_DEFAULT_PATH, F_OK) == 0)
		path = CONFIG_DEFAULT_PATH;
	cfg = path != NULL ? config_load(path, &errors) : config_defaults(&errors);
	if (cfg == NULL)
		fputs(sb_str(&errors), stderr);
	sb_free(&errors);
	return cfg;
}

static int read_message(const char *file, struct msgfile *mf)
{
	FILE *fp = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
	const char *err = NULL;
	int rc;

	if (fp == NULL) {
		perror(file);
		return -1;
	}
	rc = msgfile_read(fp, mf, &err);
	if (fp != stdin)
		fclose(fp);
	if (rc < 0)
		fprintf(stderr, "mailsift: %s: %s\n", file, err);
	return rc;
}

static int cmd_check(int argc, char **argv)
{
	struct check_opts o;
	struct config *cfg;
	struct msgfile mf;
	struct offline_run run;
	const char *err = NULL;
	int rc = 0;

	memset(&o, 0, sizeof(o));
	if (parse_check_options(argc, argv, &o) < 0) {
		usage(stderr);
		return 2;
	}
	log_open("mailsift", 1, LOG_MAIL);
	if (!o.verbose)
		log_set_quiet(1);
	if ((cfg = tool_config(o.config_path)) == NULL)
		return 1;
	if (read_message(o.file, &mf) < 0) {
		config_release(&cfg);
		return 1;
	}
	if (offline_check(cfg, &o.env, &mf, &run, &err) < 0) {
		fprintf(stderr, "mailsift: %s\n", err);
		rc = 1;
	} else {
		if (o.json)
			print_json(&run);
		else
			print_text(&run);
		offline_run_free(&run);
	}
	msgfile_free(&mf);
	config_release(&cfg);
	return rc;
}

static void print_types(const struct rules_report *rep)
{
	for (int t = 0; t < RULE_NTYPES; t++)
		printf("%s: %zu loaded, %zu inert, %zu failed (regex tests: %zu, %zu, %zu)\n",
		       rule_type_name((enum rule_type)t), rep->type_loaded[t], rep->type_inert[t],
		       rep->type_failed[t], rep->regex_loaded[t], rep->regex_inert[t],
		       rep->regex_failed[t]);
}

/* "mailsift lint FILES...": each problem as file:line: RULE: message, then
 * one summary line. Exit 1 if a rule failed, 2 if a file cannot be read. */
static int cmd_lint(int argc, char **argv)
{
	struct rules_report rep;
	struct strbuf problems;
	struct ruleset *rs;
	const char *err = NULL;
	int types = 0, first = 1;

	if (argc >= 2 && strcmp(argv[1], "--types") == 0) {
		types = 1;
		first = 2;
	}
	if (first >= argc) {
		usage(stderr);
		return 2;
	}
	log_open("mailsift", 1, LOG_MAIL);
	log_set_quiet(1);
	memset(&rep, 0, sizeof(rep));
	sb_init(&problems, 256u << 20);
	rep.problems = &problems;
	rs = rules_load((const char *const *)argv + first, (size_t)(argc - first), &rep, &err);
	fputs(sb_str(&problems), stdout);
	sb_free(&problems);
	if (rs == NULL) {
		fprintf(stderr, "mailsift: %s\n", err);
		return 2;
	}
	rules_free(&rs);
	if (types)
		print_types(&rep);
	printf("rules: %zu loaded, %zu inert, %zu failed\n", rep.loaded, rep.inert, rep.failed);
	return rep.failed > 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "lint") == 0)
		return cmd_lint(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "-V") == 0)) {
		printf("mailsift %s\n", PACKAGE_VERSION);
		return 0;
	}
	usage(argc >= 2 && strcmp(argv[1], "-h") == 0 ? stdout : stderr);
	return argc >= 2 && strcmp(argv[1], "-h") == 0 ? 0 : 2;
}
