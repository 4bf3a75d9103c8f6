/* msgfile: message files split into header fields and body the way an MTA
 * hands them to a milter, and address lists from header fields.
 * Cases named "regress_*" pin bugs found and fixed. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailsift/msgfile.h"

/* msgfile_read() on len bytes of data; returns its result. */
static int read_mem(const char *data, size_t len, struct msgfile *mf, const char **err)
{
	FILE *fp = fmemopen((void *)data, len, "r");
	int rc;

	ck_assert_ptr_nonnull(fp);
	*err = NULL;
	rc = msgfile_read(fp, mf, err);
	fclose(fp);
	return rc;
}

static void read_ok(const char *data, struct msgfile *mf)
{
	const char *err;

	ck_assert_msg(read_mem(data, strlen(data), mf, &err) == 0, "read failed: %s", err);
}

static void header_is(const struct msgfile *mf, size_t i, const char *name, const char *value)
{
	ck_assert_uint_gt(mf->nheaders, i);
	ck_assert_str_eq(mf->headers[i].name, name);
	ck_assert_str_eq(mf->headers[i].value, value);
}

static void body_is(const struct msgfile *mf, const char *body)
{
	ck_assert_uint_eq(mf->body_len, strlen(body));
	ck_assert_mem_eq(mf->body, body, mf->body_len);
}

START_TEST(lf_message)
{
	struct msgfile mf;

	read_ok("From: Alice <alice@example.org>\n"
		"To: bob@example.net\n"
		"Subject: hello\n"
		"\n"
		"line one\n"
		"\n"
		"line three\n",
		&mf);
	ck_assert_uint_eq(mf.nheaders, 3);
	header_is(&mf, 0, "From", "Alice <alice@example.org>");
	header_is(&mf, 1, "To", "bob@example.net");
	header_is(&mf, 2, "Subject", "hello");
	body_is(&mf, "line one\n\nline three\n");
	ck_assert_str_eq(msgfile_header(&mf, "subject"), "hello");
	ck_assert_str_eq(msgfile_header(&mf, "TO"), "bob@example.net");
	ck_assert_ptr_null(msgfile_header(&mf, "Cc"));
	ck_assert_ptr_null(msgfile_header(&mf, "Subjec"));
	msgfile_free(&mf);
	ck_assert_ptr_null(mf.data);
	ck_assert_uint_eq(mf.nheaders, 0);
}
END_TEST

/* RFC 5322 4.5 (obsolete syntax): white space before the colon; the
 * field is one field called "From", not the start of the body. */
START_TEST(regress_space_before_colon)
{
	struct msgfile mf;

	read_ok("From: a@one.example\nFrom : b@two.example\nSubject\t: s\n\nbody\n", &mf);
	ck_assert_uint_eq(mf.nheaders, 3);
	header_is(&mf, 1, "From", "b@two.example");
	header_is(&mf, 2, "Subject", "s");
	body_is(&mf, "body\n");
	msgfile_free(&mf);
}
END_TEST

START_TEST(crlf_message)
{
	struct msgfile mf;

	read_ok("From: alice@example.org\r\n"
		"Subject: hello\r\n"
		"\r\n"
		"body\r\n"
		"more\r\n",
		&mf);
	ck_assert_uint_eq(mf.nheaders, 2);
	header_is(&mf, 0, "From", "alice@example.org");
	header_is(&mf, 1, "Subject", "hello");
	body_is(&mf, "body\nmore\n");
	ck_assert_uint_eq(mf.len,
			  strlen("From: alice@example.org\nSubject: hello\n\nbody\nmore\n"));
	msgfile_free(&mf);
}
END_TEST

START_TEST(lone_cr_is_kept)
{
	struct msgfile mf;

	read_ok("Subject: a\rb\r\n\r\nx\ry\r\n", &mf);
	header_is(&mf, 0, "Subject", "a\rb");
	body_is(&mf, "x\ry\n");
	msgfile_free(&mf);
}
END_TEST

START_TEST(crlf_across_read_chunks)
{
	/* the reader takes 64 KiB at a time: a CRLF split between two reads
	 * is still one line end */
	size_t len = 65536 + 16;
	char *data = malloc(len + 1);
	struct msgfile mf;
	const char *err;

	memcpy(data, "Subject: s\n\n", 12);
	memset(data + 12, 'a', len - 12);
	data[65535] = '\r';
	data[65536] = '\n';
	data[len] = '\0';
	ck_assert_int_eq(read_mem(data, len, &mf, &err), 0);
	ck_assert_uint_eq(mf.body_len, len - 12 - 1);
	ck_assert_int_eq(mf.body[65535 - 12], '\n');
	ck_assert_int_eq(mf.body[65535 - 12 - 1], 'a');
	msgfile_free(&mf);
	free(data);
}
END_TEST

START_TEST(folded_headers)
{
	struct msgfile mf;

	read_ok("Subject: one\n"
		" two\n"
		"\tthree\n"
		"To: a@example.org,\n"
		"    b@example.org\n"
		"X-Empty:\n"
		"X-Spaces:    \t  padded value\n"
		"\n"
		" not a continuation\n",
		&mf);
	ck_assert_uint_eq(mf.nheaders, 4);
	header_is(&mf, 0, "Subject", "one\n two\n\tthree");
	header_is(&mf, 1, "To", "a@example.org,\n    b@example.org");
	header_is(&mf, 2, "X-Empty", "");
	header_is(&mf, 3, "X-Spaces", "padded value");
	body_is(&mf, " not a continuation\n");
	msgfile_free(&mf);
}
END_TEST

START_TEST(mbox_from_line_is_skipped)
{
	struct msgfile mf;

	read_ok("From alice@example.org Mon Jan  1 00:00:00 2026\n"
		"From: alice@example.org\n"
		"Subject: s\n"
		"\n"
		"From here on it is body\n",
		&mf);
	ck_assert_uint_eq(mf.nheaders, 2);
	header_is(&mf, 0, "From", "alice@example.org");
	header_is(&mf, 1, "Subject", "s");
	body_is(&mf, "From here on it is body\n");
	msgfile_free(&mf);
	/* only on the first line */
	read_ok("Subject: s\nFrom alice Mon\n\nbody\n", &mf);
	ck_assert_uint_eq(mf.nheaders, 1);
	body_is(&mf, "From alice Mon\n\nbody\n");
	msgfile_free(&mf);
}
END_TEST

START_TEST(non_header_line_ends_headers)
{
	struct msgfile mf;

	read_ok("Subject: s\n"
		"This line is no header field\n"
		"X-Later: not a header either\n",
		&mf);
	ck_assert_uint_eq(mf.nheaders, 1);
	header_is(&mf, 0, "Subject", "s");
	body_is(&mf, "This line is no header field\nX-Later: not a header either\n");
	msgfile_free(&mf);
	/* a field name needs at least one character, and no space */
	read_ok("Subject: s\n: no name\n", &mf);
	ck_assert_uint_eq(mf.nheaders, 1);
	body_is(&mf, ": no name\n");
	msgfile_free(&mf);
	read_ok("Subject: s\nBad Name: x\n", &mf);
	ck_assert_uint_eq(mf.nheaders, 1);
	body_is(&mf, "Bad Name: x\n");
	msgfile_free(&mf);
}
END_TEST

START_TEST(edge_shapes)
{
	struct msgfile mf;

	read_ok("", &mf);
	ck_assert_uint_eq(mf.nheaders, 0);
	ck_assert_uint_eq(mf.body_len, 0);
	msgfile_free(&mf);
	read_ok("\nbody only\n", &mf);
	ck_assert_uint_eq(mf.nheaders, 0);
	body_is(&mf, "body only\n");
	msgfile_free(&mf);
	read_ok("Subject: no body\n", &mf);
	ck_assert_uint_eq(mf.nheaders, 1);
	ck_assert_uint_eq(mf.body_len, 0);
	msgfile_free(&mf);
	read_ok("Subject: no newline", &mf);
	header_is(&mf, 0, "Subject", "no newline");
	ck_assert_uint_eq(mf.body_len, 0);
	msgfile_free(&mf);
	read_ok("Subject: s\n\n", &mf);
	ck_assert_uint_eq(mf.nheaders, 1);
	ck_assert_uint_eq(mf.body_len, 0);
	msgfile_free(&mf);
	read_ok("Subject:a:b::c\n\n", &mf);
	header_is(&mf, 0, "Subject", "a:b::c");
	msgfile_free(&mf);
}
END_TEST

START_TEST(nul_bytes)
{
	static const char data[] = "Subject: a\0b\nX-Two: \0\0\n\nbody\0more\n";
	struct msgfile mf;
	const char *err;

	ck_assert_int_eq(read_mem(data, sizeof(data) - 1, &mf, &err), 0);
	ck_assert_uint_eq(mf.nheaders, 2);
	/* a NUL would cut the C string libmilter hands over: it becomes a space */
	header_is(&mf, 0, "Subject", "a b");
	header_is(&mf, 1, "X-Two", "  ");
	ck_assert_uint_eq(mf.body_len, 10);
	ck_assert_mem_eq(mf.body, "body\0more\n", 10);
	msgfile_free(&mf);
}
END_TEST

/* n header fields "X-N: v" and a body. */
static char *many_headers(size_t n, size_t *len)
{
	char *data = malloc(n * 8 + 8), *p = data;

	for (size_t i = 0; i < n; i++) {
		memcpy(p, "X-N: v\n", 7);
		p += 7;
	}
	memcpy(p, "\nbody\n", 6);
	*len = (size_t)(p - data) + 6;
	return data;
}

START_TEST(header_count_limit)
{
	struct msgfile mf;
	const char *err;
	size_t len;
	char *data = many_headers(MSGFILE_MAX_HEADERS, &len);

	ck_assert_int_eq(read_mem(data, len, &mf, &err), 0);
	ck_assert_uint_eq(mf.nheaders, MSGFILE_MAX_HEADERS);
	body_is(&mf, "body\n");
	msgfile_free(&mf);
	free(data);
	data = many_headers(MSGFILE_MAX_HEADERS + 1, &len);
	ck_assert_int_eq(read_mem(data, len, &mf, &err), -1);
	ck_assert_str_eq(err, "too many header fields");
	ck_assert_ptr_null(mf.data);
	ck_assert_ptr_null(mf.headers);
	free(data);
}
END_TEST

/* Collects msgfile_each_address() output as "a|b|c". */
static void collect(void *ctx, const char *addr)
{
	char *out = ctx;
	size_t n = strlen(out);

	/* out is 1024 bytes in every caller */
	snprintf(out + n, 1024 - n, "%s%s", n > 0 ? "|" : "", addr);
}

static const char *addrs(const char *value, char *out)
{
	out[0] = '\0';
	msgfile_each_address(value, collect, out);
	return out;
}

START_TEST(address_lists)
{
	char out[1024];

	ck_assert_str_eq(addrs("alice@example.org", out), "<alice@example.org>");
	ck_assert_str_eq(addrs("<alice@example.org>", out), "<alice@example.org>");
	ck_assert_str_eq(addrs("alice@example.org, bob@example.net", out),
			 "<alice@example.org>|<bob@example.net>");
	ck_assert_str_eq(addrs("alice@example.org,bob@example.net,", out),
			 "<alice@example.org>|<bob@example.net>");
	ck_assert_str_eq(addrs("a@example.org,\n\tb@example.org", out),
			 "<a@example.org>|<b@example.org>");
	ck_assert_str_eq(addrs("", out), "");
	ck_assert_str_eq(addrs(" , ,", out), "");
	ck_assert_str_eq(addrs("<>", out), "");
}
END_TEST

START_TEST(display_names)
{
	char out[1024];

	ck_assert_str_eq(addrs("Alice Example <alice@example.org>", out), "<alice@example.org>");
	ck_assert_str_eq(addrs("Alice <alice@example.org>, Bob <bob@example.net>", out),
			 "<alice@example.org>|<bob@example.net>");
	ck_assert_str_eq(addrs("\"Example, Alice\" <alice@example.org>, bob@example.net", out),
			 "<alice@example.org>|<bob@example.net>");
	ck_assert_str_eq(addrs("\"a,b,c\" <x@example.org>", out), "<x@example.org>");
	ck_assert_str_eq(addrs("\"quoted,local\"@example.org, y@example.org", out),
			 "<\"quoted,local\"@example.org>|<y@example.org>");
	ck_assert_str_eq(addrs("=?UTF-8?Q?J=C3=B6rg?= <joerg@example.org>", out),
			 "<joerg@example.org>");
}
END_TEST

START_TEST(comments)
{
	char out[1024];

	ck_assert_str_eq(addrs("alice@example.org (Alice Example)", out), "<alice@example.org>");
	ck_assert_str_eq(addrs("(first) alice@example.org", out), "<alice@example.org>");
	ck_assert_str_eq(addrs("alice@example.org (a (nested) comment), bob@example.net", out),
			 "<alice@example.org>|<bob@example.net>");
	ck_assert_str_eq(addrs("Alice <alice@example.org> (work)", out), "<alice@example.org>");
}
END_TEST

/* Fixed: msgfile_each_address() splits the list at every comma outside quotes
 * and angle brackets, including commas in comments, and knows nothing of
 * RFC 5322 groups: "Friends: a@x, b@y;" gives <Friends:a@x> and <b@y;>.
 * Proposed fix: track comment depth in the splitter (skip ',' when depth >
 * 0) and drop a "display-name:" prefix and a trailing ';' of a group. */
START_TEST(regress_comment_with_comma)
{
	char out[1024];

	ck_assert_str_eq(addrs("alice@example.org (Example, Alice), bob@example.net", out),
			 "<alice@example.org>|<bob@example.net>");
}
END_TEST

START_TEST(regress_groups)
{
	char out[1024];

	ck_assert_str_eq(addrs("undisclosed-recipients:;", out), "");
	ck_assert_str_eq(addrs("Friends: alice@example.org, Bob <bob@example.net>;", out),
			 "<alice@example.org>|<bob@example.net>");
	ck_assert_str_eq(addrs("Team: a@example.org;, c@example.org", out),
			 "<a@example.org>|<c@example.org>");
}
END_TEST

/* Fixed: emit_address() takes the first '<' of the element, even inside a
 * quoted display name, so "\"Eve <eve@evil.test>\" <bob@example.net>"
 * yields eve's address, not bob's. */
START_TEST(regress_angle_in_quoted_name)
{
	char out[1024];

	ck_assert_str_eq(addrs("\"Eve <eve@evil.test>\" <bob@example.net>", out),
			 "<bob@example.net>");
}
END_TEST

/* Fixed: read_all() drops a CR that ends a 64 KiB read chunk without knowing
 * what follows, so a lone CR survives or vanishes depending on its offset
 * in the file (and one at the very end of the file is always lost). */
START_TEST(regress_lone_cr_at_chunk_end)
{
	size_t len = 65536 + 16;
	char *data = malloc(len + 1);
	struct msgfile mf;
	const char *err;

	memcpy(data, "Subject: s\n\n", 12);
	memset(data + 12, 'a', len - 12);
	data[65535] = '\r';
	data[len] = '\0';
	ck_assert_int_eq(read_mem(data, len, &mf, &err), 0);
	free(data);
	ck_assert_uint_eq(mf.body_len, len - 12);
	ck_assert_int_eq(mf.body[65535 - 12], '\r');
	msgfile_free(&mf);
}
END_TEST

int run_suite(Suite *s, const char *name); /* test_runner.c */

int main(void)
{
	Suite *s = suite_create("msgfile");
	TCase *tc = tcase_create("msgfile");
	TCase *regress1 = tcase_create("regress_address_list_comments_and_groups");
	TCase *regress2 = tcase_create("regress_address_angle_in_quoted_name");
	TCase *regress3 = tcase_create("regress_lone_cr_at_chunk_end");
	/* the size-limit cases read tens of megabytes: slow under ASan on a busy machine */
	tcase_set_timeout(tc, 120);

	tcase_add_test(tc, lf_message);
	tcase_add_test(tc, regress_space_before_colon);
	tcase_add_test(tc, crlf_message);
	tcase_add_test(tc, lone_cr_is_kept);
	tcase_add_test(tc, crlf_across_read_chunks);
	tcase_add_test(tc, folded_headers);
	tcase_add_test(tc, mbox_from_line_is_skipped);
	tcase_add_test(tc, non_header_line_ends_headers);
	tcase_add_test(tc, edge_shapes);
	tcase_add_test(tc, nul_bytes);
	tcase_add_test(tc, header_count_limit);
	tcase_add_test(tc, address_lists);
	tcase_add_test(tc, display_names);
	tcase_add_test(tc, comments);
	suite_add_tcase(s, tc);
	tcase_add_test(regress1, regress_comment_with_comma);
	tcase_add_test(regress1, regress_groups);
	suite_add_tcase(s, regress1);
	tcase_add_test(regress2, regress_angle_in_quoted_name);
	suite_add_tcase(s, regress2);
	tcase_add_test(regress3, regress_lone_cr_at_chunk_end);
	suite_add_tcase(s, regress3);
	return run_suite(s, "msgfile");
}
