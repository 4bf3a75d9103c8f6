/* The milter socket: stale-socket cleanup before libmilter opens it, and
 * ownership, mode and TCP options after. */
#ifndef MAILSIFT_LISTEN_H
#define MAILSIFT_LISTEN_H

#include <sys/types.h>

#include "mailsift/config.h"

/* The path of a unix: or local: socket spec, or NULL for inet sockets. */
const char *listen_unix_path(const char *spec);
/* Removes a stale unix socket file; refuses one that is in use or is not a
 * socket. -1 with *error_r. */
int listen_prepare(const char *spec, const char **error_r);
/* After the socket exists: owner (or (uid_t)-1), mode and group for unix sockets, TCP_NODELAY for
 * inet ones (libmilter writes each reply packet separately; with Nagle the
 * last one waits for the MTA's delayed ACK). */
int listen_finish(const char *spec, const struct config *cfg, uid_t owner, const char **error_r);

#endif
