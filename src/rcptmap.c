/* Recipient maps. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mailsift/rcptmap.h"

#define RCPTMAP_LINE_MAX 1024

static int add_line(struct strset *map, const char *p, const char **why)
{
	struct addr a;
	enum addr_status st;

	if (p[0] == '@') {
		/* validate the catch-all's domain as the domain of a mailbox */
		char probe[ADDR_DOMAIN_MAX + 3];
		int n = snprintf(probe, sizeof(probe), "x%s", p);

		if (n < 0 || (size_t)n >= sizeof(probe))
			st = ADDR_E_DOMAIN_TOO_LONG;
		else
			st = addr_parse(probe, (size_t)n, ADDR_UTF8, &a);
	} else {
		st = addr_parse(p, strlen(p), ADDR_UTF8, &a);
	}
	if (st != ADDR_OK) {
		*why = addr_strerror(st);
		return -1;
	}
	if (strset_add(map, p, strlen(p)) < 0) {
		*why = "out of memory";
		return -1;
	}
	return 0;
}

static char *trim(char *s)
{
	char *end;
	char *hash = strchr(s, '#');

	if (hash != NULL)
		*hash = '\0';
	s += strspn(s, " \t");
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n'))
		*--end = '\0';
	return s;
}

struct strset *rcptmap_load(const char *path, struct strbuf *errors)
{
	char line[RCPTMAP_LINE_MAX + 3];
	struct strset *map;
	unsigned lineno = 0;
	int failed = 0;
	FILE *fp = fopen(path, "r");

	if (fp == NULL) {
		sb_printf(errors, "%s: cannot open: %s\n", path, strerror(errno));
		return NULL;
	}
	map = strset_new();
	while (map != NULL && fgets(line, sizeof(line), fp) != NULL) {
		const char *why = NULL;
		char *p;

		size_t len = strlen(line);

		lineno++;
		/* the line ending does not count against the limit */
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		if (len > RCPTMAP_LINE_MAX) {
			sb_printf(errors, "%s:%u: line too long\n", path, lineno);
			failed = 1;
			break;
		}
		p = trim(line);
		if (*p != '\0' && add_line(map, p, &why) < 0) {
			sb_printf(errors, "%s:%u: invalid entry '%s': %s\n", path, lineno, p, why);
			failed = 1;
		}
	}
	fclose(fp);
	if (map == NULL)
		sb_printf(errors, "%s: out of memory\n", path);
	if (failed)
		strset_free(&map);
	return map;
}

void rcptmap_base_local(const struct addr *rcpt, const char *delims, char *out)
{
	size_t n = rcpt->local_len;

	/* a quoted local part is taken as it is */
	if (delims[0] != '\0' && rcpt->local[0] != '"')
		n = strcspn(rcpt->local, delims);
	if (n == 0)
		n = rcpt->local_len;
	memcpy(out, rcpt->local, n);
	out[n] = '\0';
}

static int has_addr(const struct strset *map, const char *local, const char *domain)
{
	char key[ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 2];
	int n = snprintf(key, sizeof(key), "%s@%s", local, domain);

	return n > 0 && (size_t)n < sizeof(key) && strset_has(map, key, (size_t)n);
}

int rcptmap_match(const struct strset *map, const struct addr *rcpt, const char *delims)
{
	char base[ADDR_LOCAL_MAX + 1];

	if (has_addr(map, rcpt->local, rcpt->domain))
		return 1;
	rcptmap_base_local(rcpt, delims, base);
	if (strcmp(base, rcpt->local) != 0 && has_addr(map, base, rcpt->domain))
		return 1;
	return has_addr(map, "", rcpt->domain);
}
