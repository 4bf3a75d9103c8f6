/* Runs the checks at each SMTP stage and asks policy for the answer. The
 * daemon's milter callbacks and the offline tool both drive it. */
#ifndef MAILSIFT_PIPELINE_H
#define MAILSIFT_PIPELINE_H

#include <stddef.h>

#include "mailsift/session.h"
#include "mailsift/verdict.h"

struct event {
	enum stage stage;
	const char *name;	   /* connect: client name; helo: name; header: field name */
	const char *value;	   /* connect: client address; header: field value */
	char **argv;		   /* mail, rcpt: path then ESMTP parameters, NULL-terminated */
	const unsigned char *data; /* body chunk */
	size_t len;
	const char *qid;  /* queue id when the MTA has told it, else NULL */
	const char *auth; /* mail: authenticated user, else NULL */
};

struct decision {
	enum verdict verdict; /* CONTINUE: carry on to the next stage */
	struct reply reply;   /* expanded, for REJECT and TEMPFAIL */
	const char *symbol;   /* the result behind the verdict, or NULL */
};

void pipeline_run(struct conn *conn, const struct event *ev, struct decision *out);

#endif
