/* A message file read for the offline tool: header fields and body, split
 * the way an MTA hands them to a milter. */
#ifndef MAILSIFT_MSGFILE_H
#define MAILSIFT_MSGFILE_H

#include <stddef.h>
#include <stdio.h>

#define MSGFILE_MAX_BYTES (64u << 20)
#define MSGFILE_MAX_HEADERS 10000

struct msg_header {
	char *name;  /* owned */
	char *value; /* owned: unfolded lines joined by "\n", no leading space */
	char *raw;   /* owned: the text after the colon exactly (DKIM's "simple") */
};

struct msgfile {
	char *data; /* owned: the whole message, LF line ends */
	size_t len;
	struct msg_header *headers; /* owned */
	size_t nheaders;
	const char *body; /* points into data */
	size_t body_len;
};

int msgfile_read(FILE *fp, struct msgfile *out, const char **error_r);
void msgfile_free(struct msgfile *mf);
/* The value of the first field called name, or NULL. */
const char *msgfile_header(const struct msgfile *mf, const char *name);
/* Calls fn with each address of an address-list header value, as "<addr>". */
void msgfile_each_address(const char *value, void (*fn)(void *ctx, const char *addr), void *ctx);

#endif
