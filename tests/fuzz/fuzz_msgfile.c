/* libFuzzer target: message splitting and header address lists, then the
 * whole offline pipeline on the message. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "mailsift/msgfile.h"
#include "mailsift/offline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void count(void *ctx, const char *addr)
{
	(void)addr;
	(*(size_t *)ctx)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config *cfg;
	FILE *fp = fmemopen((void *)data, size, "rb");
	struct msgfile mf;
	struct offline_run run;
	const char *err;
	size_t n = 0;

	if (cfg == NULL) {
		struct strbuf e;
		sb_init(&e, 4096);
		cfg = config_defaults(&e);
		sb_free(&e);
		if (cfg == NULL)
			abort();
		cfg->sender_domain_check = 0; /* no DNS while fuzzing */
		cfg->spf_check = 0;
		cfg->dkim_check = 0;
		cfg->dmarc_check = 0;
		cfg->arc_check = 0;
	}
	if (fp == NULL || size == 0) {
		if (fp != NULL)
			fclose(fp);
		return 0;
	}
	if (msgfile_read(fp, &mf, &err) == 0) {
		for (size_t i = 0; i < mf.nheaders; i++)
			msgfile_each_address(mf.headers[i].value, count, &n);
		struct offline_env env = {.ip = "192.0.2.1", .helo = "fuzz.example"};
		if (offline_check(cfg, &env, &mf, &run, &err) == 0)
			offline_run_free(&run);
		msgfile_free(&mf);
	}
	fclose(fp);
	return 0;
}
