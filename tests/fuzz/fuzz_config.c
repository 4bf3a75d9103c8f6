/* libFuzzer target: the configuration parser on arbitrary files. A load
 * either succeeds or explains itself; it never crashes or leaks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "mailsift/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/mailsift-fuzz-config-XXXXXX";
	int fd = mkstemp(path);
	struct strbuf errors;
	struct config *cfg;

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return 0;
	}
	close(fd);
	sb_init(&errors, 1 << 20);
	cfg = config_load(path, &errors);
	if (cfg == NULL && errors.len == 0)
		abort(); /* a refusal must say why */
	config_release(&cfg);
	sb_free(&errors);
	unlink(path);
	return 0;
}
