/* Logging: syslog in the daemon, stderr in the foreground and the tools. */
#ifndef MAILSIFT_LOG_H
#define MAILSIFT_LOG_H

#include <syslog.h>

#define MS_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Opens the log. to_stderr != 0 writes to stderr instead of syslog. */
void log_open(const char *ident, int to_stderr, int facility);
void log_set_facility(int facility);
void log_set_debug(int enabled);
/* Quiet: only warnings and errors (the offline tool without -v). */
void log_set_quiet(int quiet);
int log_debug_enabled(void);

void log_msg(int priority, const char *fmt, ...) MS_PRINTF(2, 3);

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERR, __VA_ARGS__)

/* Maps a facility name ("mail", "local0".."local7", "daemon", "user") to
 * its syslog value; -1 if unknown. */
int log_facility_parse(const char *name);

#endif
