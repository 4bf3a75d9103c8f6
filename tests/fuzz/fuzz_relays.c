/* libFuzzer target: Received fields read into relays. Each input line is
 * one Received value (a line starting "X-Originating-IP:" that field);
 * every value gets an answer, the pseudo-headers stay within their caps,
 * nothing crashes, hangs or leaks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailsift/relays.h"

#define FUZZ_MAX_FIELDS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char received[] = "Received", orig[] = "X-Originating-IP";
	static const char *const orig_names[] = {"X-Originating-IP"};
	struct msg_header h[FUZZ_MAX_FIELDS];
	struct relays_config cfg = {.originating_ip_headers = orig_names, .noriginating = 1};
	struct relays rs;
	struct relay r;
	char *text = malloc(size + 1), *line, *save = NULL;
	size_t n = 0;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (line = strtok_r(text, "\n", &save); line != NULL && n < FUZZ_MAX_FIELDS;
	     line = strtok_r(NULL, "\n", &save)) {
		int is_orig = strncmp(line, "X-Originating-IP:", 17) == 0;
		h[n].name = is_orig ? orig : received;
		h[n].value = is_orig ? line + 17 : line;
		h[n].raw = h[n].value;
		if (relay_parse(h[n].value, &r) == RELAY_PARSED &&
		    (strlen(r.ip) >= RELAY_MAX_FIELD || strlen(r.helo) >= RELAY_MAX_FIELD))
			abort();
		n++;
	}
	relays_build(&rs, h, n, &cfg);
	for (int s = 0; s < RELAYS_NSETS; s++)
		if (rs.text[s].len > RELAYS_MAX_TEXT)
			abort();
	relays_free(&rs);
	free(text);
	return 0;
}
