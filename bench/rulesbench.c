/* Content-rule throughput, single thread: every message of the given files
 * is read, MIME-decoded and scanned with the given rules, N rounds; prints
 * messages per second and MB per second of decoded text (the parts' text
 * the body rules read), and the same for the MIME decoding alone.
 * Usage: rulesbench ROUNDS RULEPATH MESSAGE... */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mailsift/mime.h"
#include "mailsift/msgfile.h"
#include "mailsift/rules.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Decodes one message and, with rs, scans it; returns the decoded bytes. */
static size_t one(const struct ruleset *rs, const struct msgfile *mf, unsigned long *hits)
{
	struct mime_parser *p = mime_parser_new(NULL);
	const struct mime_message *m;
	struct rules_result res = {0};
	size_t text = 0;

	if (p == NULL)
		return 0;
	for (size_t i = 0; i < mf->nheaders; i++)
		mime_parser_header(p, mf->headers[i].name, mf->headers[i].raw);
	mime_parser_eoh(p);
	mime_parser_body(p, (const unsigned char *)mf->body, mf->body_len);
	m = mime_parser_end(p);
	for (size_t i = 0; i < m->nparts; i++)
		text += m->parts[i].text.len;
	if (rs != NULL) {
		struct rules_input in = {.headers = mf->headers,
					 .nheaders = mf->nheaders,
					 .mime = m,
					 .raw = mf->data,
					 .raw_len = mf->len};
		rules_scan(rs, &in, &res);
		*hits += res.nhits;
		rules_result_free(&res);
	}
	mime_parser_free(&p);
	return text;
}

static void run(const char *what, const struct ruleset *rs, const struct msgfile *mfs, size_t n,
		int rounds)
{
	unsigned long hits = 0;
	size_t text = 0;
	double t0 = now(), dt;

	for (int r = 0; r < rounds; r++)
		for (size_t i = 0; i < n; i++)
			text += one(rs, &mfs[i], &hits);
	dt = now() - t0;
	printf("%-22s %6zu msgs x %d: %8.1f msgs/s  %7.2f MB/s decoded text  (%lu hits)\n", what,
	       n, rounds, (double)(n * (size_t)rounds) / dt, (double)text / dt / 1e6, hits);
}

int main(int argc, char **argv)
{
	struct strbuf problems;
	struct rules_report rep = {.problems = &problems};
	const char *paths[1], *err = NULL;
	struct msgfile *mfs;
	struct ruleset *rs;
	size_t n = 0;
	double t0;

	if (argc < 4) {
		fprintf(stderr, "usage: rulesbench ROUNDS RULEPATH MESSAGE...\n");
		return 2;
	}
	paths[0] = argv[2];
	sb_init(&problems, 1u << 24);
	t0 = now();
	rs = rules_load(paths, 1, &rep, &err);
	if (rs == NULL) {
		fprintf(stderr, "rulesbench: %s: %s\n", argv[2], err);
		return 1;
	}
	printf("rules: %zu loaded, %zu inert, %zu failed; load and compile %.2f s\n", rep.loaded,
	       rep.inert, rep.failed, now() - t0);
	mfs = calloc((size_t)argc, sizeof(*mfs));
	for (int i = 3; mfs != NULL && i < argc; i++) {
		FILE *fp = fopen(argv[i], "rb");

		if (fp != NULL && msgfile_read(fp, &mfs[n], &err) == 0)
			n++;
		if (fp != NULL)
			fclose(fp);
	}
	run("MIME decoding only", NULL, mfs, n, atoi(argv[1]));
	run("decoding + all rules", rs, mfs, n, atoi(argv[1]));
	for (size_t i = 0; i < n; i++)
		msgfile_free(&mfs[i]);
	free(mfs);
	rules_free(&rs);
	sb_free(&problems);
	return 0;
}
