/* Plays the MTA's side of one SMTP transaction through the pipeline, for
 * the offline tool: the same stages, in the same order, as the milter. */
#ifndef MAILSIFT_OFFLINE_H
#define MAILSIFT_OFFLINE_H

#include "mailsift/msgfile.h"
#include "mailsift/pipeline.h"
#include "mailsift/session.h"

struct offline_env {
	const char *from;   /* path, "<>" for the null sender; NULL: from headers */
	const char **rcpts; /* paths; none: from the To and Cc headers */
	size_t nrcpts;
	const char *ip; /* NULL: unknown client */
	const char *client_name;
	const char *helo; /* NULL: no HELO */
	const char *auth; /* authenticated user or NULL */
	int smtputf8;
};

#define OFFLINE_MAX_ANSWERS 64

struct offline_answer {
	enum stage stage;
	char arg[256];
	struct decision d;
};

struct offline_run {
	struct conn *conn; /* owned; conn->msg kept until offline_run_free() */
	struct offline_answer answers[OFFLINE_MAX_ANSWERS];
	size_t nanswers;
	enum verdict verdict;
	enum stage stage;
	struct reply reply;
	const char *symbol;
	char **rcpt_storage; /* owned: recipients found in headers */
	size_t nrcpt_storage;
};

/* Runs the transaction; -1 with *error_r when it could not run at all. */
int offline_check(struct config *cfg, const struct offline_env *env, const struct msgfile *mf,
		  struct offline_run *run, const char **error_r);
void offline_run_free(struct offline_run *run);

#endif
