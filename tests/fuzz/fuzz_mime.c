/* libFuzzer target: the MIME parser on a message split into header fields
 * and body the way an MTA hands it over, the body fed in chunks whose
 * sizes come from the input, plus the RFC 2047 decoder on each field. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailsift/mime.h"
#include "mailsift/msgfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_limits lim = {.max_depth = 8,
				  .max_parts = 64,
				  .max_part_text = 4096,
				  .max_total_text = 16384,
				  .max_header_bytes = 2048,
				  .max_uris = 32};
	struct mime_parser *p;
	struct msgfile mf;
	const char *err;
	size_t chunk;
	FILE *fp;

	if (size < 2)
		return 0;
	chunk = (size_t)data[0] + 1; /* the first byte picks the chunk size */
	fp = fmemopen((void *)(data + 1), size - 1, "rb");
	if (fp == NULL)
		return 0;
	if (msgfile_read(fp, &mf, &err) < 0) {
		fclose(fp);
		return 0;
	}
	fclose(fp);
	p = mime_parser_new(&lim);
	if (p == NULL)
		abort();
	for (size_t i = 0; i < mf.nheaders; i++) {
		struct strbuf out;
		sb_init(&out, 4096);
		mime_decode_words(mf.headers[i].value, strlen(mf.headers[i].value), &out);
		sb_free(&out);
		mime_parser_header(p, mf.headers[i].name, mf.headers[i].value);
	}
	mime_parser_eoh(p);
	for (size_t off = 0; off < mf.body_len; off += chunk) {
		size_t n = mf.body_len - off < chunk ? mf.body_len - off : chunk;
		mime_parser_body(p, (const unsigned char *)mf.body + off, n);
	}
	const struct mime_message *m = mime_parser_end(p);
	for (size_t i = 0; i < m->nparts; i++) {
		if (m->parts[i].text.len > m->parts[i].raw.len + 4096)
			abort();
	}
	mime_parser_free(&p);
	msgfile_free(&mf);
	return 0;
}
