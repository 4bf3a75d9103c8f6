/* The parsers of configuration values, one per kind of key (internal to
 * config.c). Each returns 0, or -1 with *why set. */
#ifndef MAILSIFT_CONFIG_VALUE_H
#define MAILSIFT_CONFIG_VALUE_H

#include "mailsift/config.h"

typedef int (*value_fn)(struct config *cfg, void *field, const char *value, const char **why);

int set_string(struct config *cfg, void *field, const char *value, const char **why);
int set_optional_string(struct config *cfg, void *field, const char *value, const char **why);
int set_bool(struct config *cfg, void *field, const char *value, const char **why);
int set_seconds(struct config *cfg, void *field, const char *value, const char **why);
int set_count(struct config *cfg, void *field, const char *value, const char **why);
int set_mode(struct config *cfg, void *field, const char *value, const char **why);
int set_facility(struct config *cfg, void *field, const char *value, const char **why);
int set_log_level(struct config *cfg, void *field, const char *value, const char **why);
int set_socket(struct config *cfg, void *field, const char *value, const char **why);
int set_strset(struct config *cfg, void *field, const char *value, const char **why);
int set_networks(struct config *cfg, void *field, const char *value, const char **why);
int set_skip(struct config *cfg, void *field, const char *value, const char **why);
int set_delimiter(struct config *cfg, void *field, const char *value, const char **why);
int set_status_header(struct config *cfg, void *field, const char *value, const char **why);
int set_authserv_id(struct config *cfg, void *field, const char *value, const char **why);
int set_duration(struct config *cfg, void *field, const char *value, const char **why);
int set_size(struct config *cfg, void *field, const char *value, const char **why);
int set_threshold(struct config *cfg, void *field, const char *value, const char **why);
int set_dns_servers(struct config *cfg, void *field, const char *value, const char **why);

#endif
