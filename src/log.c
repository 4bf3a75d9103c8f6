/* Logging to syslog or stderr with levels. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mailsift/log.h"

static int log_to_stderr = 1;
static int log_debug_on;
static int log_quiet;
static const char *log_ident = "mailsift";

static const struct {
	const char *name;
	int value;
} facilities[] = {
	{"mail", LOG_MAIL},	{"daemon", LOG_DAEMON}, {"user", LOG_USER},
	{"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2},
	{"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},
	{"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
};

int log_facility_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (strcasecmp(name, facilities[i].name) == 0)
			return facilities[i].value;
	return -1;
}

void log_open(const char *ident, int to_stderr, int facility)
{
	log_ident = ident;
	log_to_stderr = to_stderr;
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, facility);
}

void log_set_facility(int facility)
{
	if (!log_to_stderr) {
		closelog();
		openlog(log_ident, LOG_PID | LOG_NDELAY, facility);
	}
}

void log_set_quiet(int quiet)
{
	log_quiet = quiet;
}

void log_set_debug(int enabled)
{
	log_debug_on = enabled;
}

int log_debug_enabled(void)
{
	return log_debug_on;
}

static const char *level_name(int priority)
{
	switch (priority) {
	case LOG_DEBUG: return "debug";
	case LOG_INFO:
	case LOG_NOTICE: return "info";
	case LOG_WARNING: return "warning";
	default: return "error";
	}
}

void log_msg(int priority, const char *fmt, ...)
{
	va_list ap;

	if ((priority == LOG_DEBUG && !log_debug_on) || (log_quiet && priority > LOG_WARNING))
		return;
	va_start(ap, fmt);
	if (log_to_stderr) {
		char line[4096];

		vsnprintf(line, sizeof(line), fmt, ap);
		fprintf(stderr, "%s: %s: %s\n", log_ident, level_name(priority), line);
	} else {
		vsyslog(priority, fmt, ap);
	}
	va_end(ap);
}
