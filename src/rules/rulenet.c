/* trusted_networks, internal_networks, msa_networks and
 * originating_ip_headers read from rule files. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mailsift/rulefile.h"
#include "mailsift/rulenet.h"

#define RULENET_MAX_ORIGINATING 64 /* originating_ip_headers names kept */

static const char *const list_names[RULENET_NLISTS] = {"trusted", "internal", "msa"};

static int list_of(const char *dir)
{
	for (int i = 0; i < RULENET_NLISTS; i++) {
		size_t n = strlen(list_names[i]);
		const char *d = strncmp(dir, "clear_", 6) == 0 ? dir + 6 : dir;
		if (strncmp(d, list_names[i], n) == 0 && strcmp(d + n, "_networks") == 0)
			return i;
	}
	return -1;
}

/* SpamAssassin's short IPv4 forms as CIDR: "10.1.2." is 10.1.2.0/24,
 * "192.168/16" is 192.168.0.0/16, "127/8" is 127.0.0.0/8. */
static int expand(const char *w, char *out, size_t size)
{
	const char *slash = strchr(w, '/');
	size_t alen = slash != NULL ? (size_t)(slash - w) : strlen(w);
	char addr[64];
	int octets = 1, partial;

	if (strchr(w, ':') != NULL || alen == 0 || alen >= sizeof(addr) - 8)
		return snprintf(out, size, "%s", w) < (int)size ? 0 : -1;
	memcpy(addr, w, alen);
	addr[alen] = '\0';
	partial = addr[alen - 1] == '.';
	if (partial)
		addr[--alen] = '\0';
	for (size_t i = 0; i < alen; i++) {
		if (addr[i] == '.')
			octets++;
		else if (!isdigit((unsigned char)addr[i]))
			return -1;
	}
	if (octets > 4)
		return -1;
	for (int i = octets; i < 4; i++, alen += 2)
		memcpy(addr + alen, ".0", 3); /* at most 6 more bytes: alen < 56 */
	if (slash != NULL)
		return snprintf(out, size, "%s%s", addr, slash) < (int)size ? 0 : -1;
	if (partial || octets < 4)
		return snprintf(out, size, "%s/%d", addr, 8 * octets) < (int)size ? 0 : -1;
	return snprintf(out, size, "%s", addr) < (int)size ? 0 : -1;
}

void rulenet_networks(struct rulefile_parse *ps, const char *dir, char *args)
{
	int l = list_of(dir);
	struct cidr_list **list = &ps->set->networks[l];
	char *w, spec[128];
	const char *err;

	if (*list == NULL && (*list = cidr_list_new()) == NULL) {
		rulefile_problem(ps->set, ps->file, ps->line, dir, "out of memory");
		return;
	}
	while (*(w = ruledef_next_word(&args)) != '\0') {
		if (w[0] == '!') {
			rulefile_problem(ps->set, ps->file, ps->line, dir,
					 "%s: excluded networks are not supported; ignored", w);
			continue;
		}
		err = "not a network";
		if (expand(w, spec, sizeof(spec)) < 0 || cidr_list_add(*list, spec, &err) < 0)
			rulefile_problem(ps->set, ps->file, ps->line, dir, "%s: %s", w, err);
	}
}

void rulenet_clear_networks(struct rulefile_parse *ps, const char *dir, char *args)
{
	(void)args;
	cidr_list_free(&ps->set->networks[list_of(dir)]);
}

void rulenet_originating(struct rulefile_parse *ps, const char *dir, char *args)
{
	struct rulefile_set *set = ps->set;
	char *w;

	while (*(w = ruledef_next_word(&args)) != '\0') {
		size_t i;
		for (i = 0; i < set->noriginating; i++)
			if (strcasecmp(set->originating[i], w) == 0)
				break;
		if (i < set->noriginating)
			continue;
		if (set->noriginating >= RULENET_MAX_ORIGINATING) {
			rulefile_problem(set, ps->file, ps->line, dir,
					 "more than %d fields; %s ignored", RULENET_MAX_ORIGINATING,
					 w);
			continue;
		}
		if (set->originating == NULL &&
		    (set->originating = calloc(RULENET_MAX_ORIGINATING, sizeof(char *))) == NULL)
			return;
		if ((set->originating[set->noriginating] = strdup(w)) != NULL)
			set->noriginating++;
	}
}

void rulenet_clear_originating(struct rulefile_parse *ps, const char *dir, char *args)
{
	struct rulefile_set *set = ps->set;

	(void)dir;
	(void)args;
	for (size_t i = 0; i < set->noriginating; i++)
		free(set->originating[i]);
	set->noriginating = 0;
}

void rulenet_free(struct rulefile_set *set)
{
	for (int i = 0; i < RULENET_NLISTS; i++)
		cidr_list_free(&set->networks[i]);
	for (size_t i = 0; i < set->noriginating; i++)
		free(set->originating[i]);
	free(set->originating);
	set->originating = NULL;
	set->noriginating = 0;
}

void rulenet_relays_config(const struct rulefile_set *set, struct relays_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->trusted = set->networks[RULENET_TRUSTED];
	cfg->internal = set->networks[RULENET_INTERNAL];
	cfg->msa = set->networks[RULENET_MSA];
	cfg->originating_ip_headers = (const char *const *)set->originating;
	cfg->noriginating = set->noriginating;
}
