/* The conditions of SpamAssassin's "if" and "ifplugin" lines, decided for
 * what mailsift implements. */
#ifndef MAILSIFT_RULECOND_H
#define MAILSIFT_RULECOND_H

/* The SpamAssassin version the rule syntax is read as (4.0.1). */
#define RULECOND_VERSION 4.000001

/* 1 if the engine implements the rule types of plugin name (e.g.
 * "Mail::SpamAssassin::Plugin::MIMEHeader"), else 0. */
int rulecond_plugin(const char *name);
/* Evaluates an "if" expression: version comparisons, plugin(X), can(X),
 * perl_version, ! && || and parentheses. Returns 0 and sets *value, or -1
 * with error_r on a syntax it does not know. */
int rulecond_eval(const char *expr, int *value, const char **error_r);

#endif
