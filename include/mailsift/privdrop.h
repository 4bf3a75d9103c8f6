/* Dropping root after the socket is open. */
#ifndef MAILSIFT_PRIVDROP_H
#define MAILSIFT_PRIVDROP_H

#include <sys/types.h>

struct privdrop {
	uid_t uid;
	gid_t gid;
	char name[64];
};

/* Resolves "USER[:GROUP]"; -1 with *error_r if unknown. */
int privdrop_resolve(const char *spec, struct privdrop *out, const char **error_r);
/* setgroups, setresgid, setresuid, then checks nothing can be regained. */
int privdrop_apply(const struct privdrop *p, const char **error_r);

#endif
