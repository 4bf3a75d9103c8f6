/* Configuration values: booleans, numbers, durations, sizes, lists,
 * networks, sockets, names. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mailsift/cidr.h"
#include "mailsift/config_value.h"
#include "mailsift/dns.h"
#include "mailsift/log.h"
#include "mailsift/strset.h"

int set_string(struct config *cfg, void *field, const char *value, const char **why)
{
	char **dst = field;

	(void)cfg;
	free(*dst);
	*dst = strdup(value);
	if (*dst == NULL) {
		*why = "out of memory";
		return -1;
	}
	return 0;
}

int set_optional_string(struct config *cfg, void *field, const char *value, const char **why)
{
	char **dst = field;

	if (strcmp(value, "none") == 0 || value[0] == '\0') {
		free(*dst);
		*dst = NULL;
		return 0;
	}
	return set_string(cfg, field, value, why);
}

int set_bool(struct config *cfg, void *field, const char *value, const char **why)
{
	int *dst = field;

	(void)cfg;
	if (strcmp(value, "yes") == 0 || strcmp(value, "true") == 0 || strcmp(value, "on") == 0)
		*dst = 1;
	else if (strcmp(value, "no") == 0 || strcmp(value, "false") == 0 ||
		 strcmp(value, "off") == 0)
		*dst = 0;
	else {
		*why = "expected yes or no";
		return -1;
	}
	return 0;
}

static int parse_ulong(const char *value, int base, unsigned long max, unsigned long *out)
{
	char *end;

	if (value[0] < '0' || value[0] > '9')
		return -1;
	errno = 0;
	*out = strtoul(value, &end, base);
	return errno != 0 || *end != '\0' || *out > max ? -1 : 0;
}

int set_seconds(struct config *cfg, void *field, const char *value, const char **why)
{
	unsigned long v;

	(void)cfg;
	if (parse_ulong(value, 10, 86400, &v) < 0 || v == 0) {
		*why = "expected a number of seconds from 1 to 86400";
		return -1;
	}
	*(unsigned *)field = (unsigned)v;
	return 0;
}

int set_count(struct config *cfg, void *field, const char *value, const char **why)
{
	unsigned long v;

	(void)cfg;
	if (parse_ulong(value, 10, 100000, &v) < 0 || v == 0) {
		*why = "expected a number from 1 to 100000";
		return -1;
	}
	*(size_t *)field = (size_t)v;
	return 0;
}

int set_mode(struct config *cfg, void *field, const char *value, const char **why)
{
	unsigned long v;

	(void)cfg;
	if (parse_ulong(value, 8, 0777, &v) < 0) {
		*why = "expected an octal file mode such as 0660";
		return -1;
	}
	*(unsigned *)field = (unsigned)v;
	return 0;
}

int set_facility(struct config *cfg, void *field, const char *value, const char **why)
{
	int f = log_facility_parse(value);

	(void)cfg;
	if (f < 0) {
		*why = "expected a syslog facility: mail, daemon, user or local0..local7";
		return -1;
	}
	*(int *)field = f;
	return 0;
}

int set_log_level(struct config *cfg, void *field, const char *value, const char **why)
{
	(void)cfg;
	if (strcmp(value, "info") == 0)
		*(int *)field = 0;
	else if (strcmp(value, "debug") == 0)
		*(int *)field = 1;
	else {
		*why = "expected info or debug";
		return -1;
	}
	return 0;
}

int set_socket(struct config *cfg, void *field, const char *value, const char **why)
{
	if (strncmp(value, "unix:", 5) != 0 && strncmp(value, "local:", 6) != 0 &&
	    strncmp(value, "inet:", 5) != 0 && strncmp(value, "inet6:", 6) != 0) {
		*why = "expected unix:/path, inet:PORT@HOST or inet6:PORT@HOST";
		return -1;
	}
	return set_string(cfg, field, value, why);
}

/* Splits a list on commas and white space, calling fn per item. */
static int for_each_item(const char *value,
			 int (*fn)(void *ctx, const char *item, const char **why), void *ctx,
			 const char **why)
{
	char item[512];
	const char *p = value;

	while (*p) {
		size_t n = strcspn(p, ", \t");

		if (n >= sizeof(item)) {
			*why = "list item too long";
			return -1;
		}
		if (n > 0) {
			memcpy(item, p, n);
			item[n] = '\0';
			if (fn(ctx, item, why) < 0)
				return -1;
		}
		p += n;
		p += strspn(p, ", \t");
	}
	return 0;
}

static int add_domain(void *ctx, const char *item, const char **why)
{
	if (strset_add(ctx, item, strlen(item)) < 0) {
		*why = "out of memory";
		return -1;
	}
	return 0;
}

int set_strset(struct config *cfg, void *field, const char *value, const char **why)
{
	struct strset **dst = field;

	(void)cfg;
	strset_free(dst);
	*dst = strset_new();
	if (*dst == NULL) {
		*why = "out of memory";
		return -1;
	}
	if (strcmp(value, "none") == 0)
		return 0; /* the empty list */
	return for_each_item(value, add_domain, *dst, why);
}

static int add_network(void *ctx, const char *item, const char **why)
{
	return cidr_list_add(ctx, item, why);
}

int set_networks(struct config *cfg, void *field, const char *value, const char **why)
{
	struct cidr_list **dst = field;

	(void)cfg;
	cidr_list_free(dst);
	*dst = cidr_list_new();
	if (*dst == NULL) {
		*why = "out of memory";
		return -1;
	}
	if (strcmp(value, "none") == 0)
		return 0; /* trust no network */
	return for_each_item(value, add_network, *dst, why);
}

static int add_skip(void *ctx, const char *item, const char **why)
{
	unsigned *mask = ctx;

	if (strcmp(item, "authenticated") == 0)
		*mask |= SKIP_AUTHENTICATED;
	else if (strcmp(item, "trusted") == 0)
		*mask |= SKIP_TRUSTED;
	else if (strcmp(item, "none") != 0) {
		*why = "expected authenticated, trusted or none";
		return -1;
	}
	return 0;
}

int set_skip(struct config *cfg, void *field, const char *value, const char **why)
{
	(void)cfg;
	*(unsigned *)field = 0;
	return for_each_item(value, add_skip, field, why);
}

int set_delimiter(struct config *cfg, void *field, const char *value, const char **why)
{
	char *dst = field;

	(void)cfg;
	if (strcmp(value, "none") == 0)
		value = "";
	if (strlen(value) >= sizeof(cfg->recipient_delimiter) || strchr(value, '@') != NULL) {
		*why = "expected a few delimiter characters such as + or -";
		return -1;
	}
	memcpy(dst, value, strlen(value) + 1);
	return 0;
}

int set_status_header(struct config *cfg, void *field, const char *value, const char **why)
{
	if (strcmp(value, "none") != 0) {
		for (const char *p = value; *p; p++) {
			if (*p <= 32 || *p >= 127 || *p == ':') {
				*why = "expected a header field name (printable ASCII, no colon) "
				       "or none";
				return -1;
			}
		}
	}
	return set_optional_string(cfg, field, value, why);
}

int set_authserv_id(struct config *cfg, void *field, const char *value, const char **why)
{
	if (strlen(value) > CONFIG_AUTHSERV_MAX) {
		*why = "longer than 255 characters";
		return -1;
	}
	for (const char *p = value; *p; p++) {
		if (*p <= 32 || *p >= 127 || *p == ';' || *p == '(' || *p == ')' || *p == '"') {
			*why = "expected a host name such as mx.example.com";
			return -1;
		}
	}
	return set_string(cfg, field, value, why);
}

/* "5s", "500ms" or plain seconds. */
int set_duration(struct config *cfg, void *field, const char *value, const char **why)
{
	char *end;
	double v;

	(void)cfg;
	v = strtod(value, &end);
	if (end != value && strcmp(end, "ms") == 0)
		v /= 1000;
	else if (end == value || (*end != '\0' && strcmp(end, "s") != 0))
		v = -1;
	if (!(v >= 0.01 && v <= 600)) {
		*why = "expected a duration from 10ms to 600s, e.g. 5s or 500ms";
		return -1;
	}
	*(unsigned *)field = (unsigned)(v * 1000 + 0.5);
	return 0;
}

/* A size in bytes with an optional k or m suffix. */
int set_size(struct config *cfg, void *field, const char *value, const char **why)
{
	char *end;
	unsigned long v;

	(void)cfg;
	errno = 0;
	v = strtoul(value, &end, 10);
	if (*end == 'k' || *end == 'K')
		v *= 1024, end++;
	else if (*end == 'm' || *end == 'M')
		v *= 1024 * 1024, end++;
	if (end == value || *end != '\0' || errno != 0 || v < 1024 || v > 1024ul * 1024 * 1024) {
		*why = "expected a size from 1k to 1024m, e.g. 4m";
		return -1;
	}
	*(size_t *)field = v;
	return 0;
}

int set_threshold(struct config *cfg, void *field, const char *value, const char **why)
{
	char *end;
	double v;

	(void)cfg;
	if (strcmp(value, "none") == 0) {
		*(double *)field = HUGE_VAL;
		return 0;
	}
	v = strtod(value, &end);
	if (end == value || *end != '\0' || !(v >= -1000 && v <= 1000)) {
		*why = "expected a score from -1000 to 1000, or none";
		return -1;
	}
	*(double *)field = v;
	return 0;
}

int set_dns_servers(struct config *cfg, void *field, const char *value, const char **why)
{
	if (strcmp(value, "system") == 0)
		return set_optional_string(cfg, field, "none", why);
	if (dns_servers_valid(value, why) < 0)
		return -1;
	return set_string(cfg, field, value, why);
}
