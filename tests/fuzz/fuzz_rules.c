/* libFuzzer target: the rule-file parser and regex compiler on arbitrary
 * files, then a scan of a fixed message with whatever loaded. Every
 * problem is reported per line; nothing crashes, hangs or leaks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mailsift/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void scan(const struct ruleset *rs)
{
	static char subject[] = "Subject", subject_v[] = "you have won", from[] = "From",
		    from_v[] = "Winner <win@example.com>";
	static const char raw[] = "Subject: you have won\nFrom: Winner <win@example.com>\n\nbody "
				  "http://192.0.2.1/x aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!\n";
	struct msg_header h[2] = {{subject, subject_v, subject_v}, {from, from_v, from_v}};
	struct rules_input in = {.headers = h, .nheaders = 2, .raw = raw, .raw_len = strlen(raw)};
	struct rules_result res = {0};

	rules_scan(rs, &in, &res);
	rules_result_free(&res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/mailsift-fuzz-rules-XXXXXX";
	const char *paths[1] = {path}, *err = NULL;
	int fd = mkstemp(path);
	struct strbuf problems;
	struct rules_report rep = {.problems = &problems};
	struct ruleset *rs;

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return 0;
	}
	close(fd);
	sb_init(&problems, 1 << 20);
	rs = rules_load(paths, 1, &rep, &err);
	if (rs != NULL)
		scan(rs);
	rules_free(&rs);
	sb_free(&problems);
	unlink(path);
	return 0;
}
