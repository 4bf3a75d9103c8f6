/* mailsiftd's processes: master (signals, pid file, restarts) and worker
 * (libmilter). */
#ifndef MAILSIFT_DAEMON_H
#define MAILSIFT_DAEMON_H

#include "mailsift/privdrop.h"

struct daemon_opts {
	const char *config_path;
	int foreground;
};

/* Runs master and worker until stopped; the configuration snapshot must be
 * installed. ready_fd (or -1) gets one byte once the worker listens.
 * Returns the exit code. */
int daemon_run(const struct daemon_opts *opts, const char *socket, const struct privdrop *pd,
	       const char *pidfile, int ready_fd);

#endif
