/* The relays of a message and the X-Spam-Relays-* pseudo-headers: each
 * Received field read (received.c), the trust boundary drawn hop by hop
 * from the top, the relays listed on either side of it. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mailsift/relays.h"

int relays_pseudo_header(const char *name)
{
	static const char *const names[RELAYS_NSETS] = {
		[RELAYS_TRUSTED] = "X-Spam-Relays-Trusted",
		[RELAYS_UNTRUSTED] = "X-Spam-Relays-Untrusted",
		[RELAYS_INTERNAL] = "X-Spam-Relays-Internal",
		[RELAYS_EXTERNAL] = "X-Spam-Relays-External",
	};

	if (strncasecmp(name, "X-Spam-Relays-", 14) != 0)
		return -1;
	for (int i = 0; i < RELAYS_NSETS; i++)
		if (strcasecmp(name, names[i]) == 0)
			return i;
	return -1;
}

static void add(struct relays *rs, enum relay_set set, const char *text)
{
	/* cut at the cap rather than lost: the first (newest) hops matter most */
	if ((rs->count[set]++ > 0 && sb_append_max(&rs->text[set], " ", 1) < 0) ||
	    sb_append_max(&rs->text[set], text, strlen(text)) < 0)
		rs->capped = 1;
}

/* Where the trust boundary runs, hop by hop from the top. */
struct trust {
	int in_trusted, in_internal, found_msa;
};

static int in_list(const struct cidr_list *l, const char *ip)
{
	/* 127/8 is always trusted and internal */
	if (strncmp(ip, "127.", 4) == 0 || strcmp(ip, "::1") == 0)
		return 1;
	return l != NULL && cidr_list_match(l, ip);
}

/* Moves the boundary past relay r; *msa is set for an MSA hop. */
static void judge(struct trust *t, const struct relay *r, const struct relays_config *cfg, int *msa)
{
	const struct cidr_list *trusted = NULL, *internal = NULL;

	*msa = 0;
	if (!t->in_trusted || t->found_msa)
		return;
	if (cfg != NULL) {
		trusted = cfg->trusted != NULL ? cfg->trusted : cfg->internal;
		internal = cfg->internal != NULL ? cfg->internal : cfg->trusted;
	}
	if (trusted == NULL) {
		if (!r->ip_private && r->auth[0] == '\0')
			t->in_trusted = t->in_internal = 0;
		return;
	}
	if (r->auth[0] == '\0' && !in_list(trusted, r->ip)) {
		t->in_trusted = t->in_internal = 0;
		return;
	}
	if (t->in_internal && r->auth[0] == '\0' && !in_list(internal, r->ip))
		t->in_internal = 0;
	if (cfg->msa != NULL && cidr_list_match(cfg->msa, r->ip))
		t->found_msa = *msa = 1;
}

/* The first address in the first field of that name, as a Received line
 * of its own. */
static int originating_line(const struct msg_header *h, size_t n, const char *name, char *line,
			    size_t size)
{
	char ip[RELAY_MAX_FIELD];

	for (size_t i = 0; i < n; i++) {
		if (strcasecmp(h[i].name, name) != 0)
			continue;
		if (!relay_first_ip(h[i].value, ip, sizeof(ip)))
			return 0;
		snprintf(line, size, "from X-Originating-IP: %s", ip);
		return 1;
	}
	return 0;
}

static void one_line(struct relays *rs, struct trust *t, const char *line,
		     const struct relays_config *cfg)
{
	struct relay r;
	struct strbuf text;
	int msa;

	switch (relay_parse(line, &r)) {
	case RELAY_UNPARSEABLE: rs->unparseable++; return;
	case RELAY_SKIPPED: return;
	case RELAY_FETCHER:
		/* mail fetched from a mailbox: only what follows the fetch
		 * counts, as long as the fetch happened on our side */
		if (t->in_trusted) {
			for (int s = 0; s < RELAYS_NSETS; s++) {
				if (s == RELAYS_UNTRUSTED)
					continue;
				sb_reset(&rs->text[s]);
				rs->count[s] = 0;
			}
		}
		return;
	case RELAY_PARSED: break;
	}
	judge(t, &r, cfg, &msa);
	if (t->in_trusted || rs->count[RELAYS_UNTRUSTED] == 0)
		memcpy(rs->envfrom, r.envfrom, sizeof(rs->envfrom));
	sb_init(&text, RELAYS_MAX_TEXT);
	relay_format(&r, t->in_internal, msa, &text);
	add(rs, t->in_trusted ? RELAYS_TRUSTED : RELAYS_UNTRUSTED, sb_str(&text));
	add(rs, t->in_internal ? RELAYS_INTERNAL : RELAYS_EXTERNAL, sb_str(&text));
	sb_free(&text);
}

void relays_build(struct relays *rs, const struct msg_header *h, size_t n,
		  const struct relays_config *cfg)
{
	struct trust t = {1, 1, 0};
	char line[RELAY_MAX_LINE];

	memset(rs, 0, sizeof(*rs));
	for (int s = 0; s < RELAYS_NSETS; s++)
		sb_init(&rs->text[s], RELAYS_MAX_TEXT);
	for (size_t i = 0, hops = 0; i < n; i++) {
		if (strcasecmp(h[i].name, "Received") != 0)
			continue;
		if (hops++ >= RELAYS_MAX_HOPS) {
			rs->capped = 1;
			break;
		}
		one_line(rs, &t, h[i].value, cfg);
	}
	for (size_t k = 0; cfg != NULL && k < cfg->noriginating; k++)
		if (originating_line(h, n, cfg->originating_ip_headers[k], line, sizeof(line)))
			one_line(rs, &t, line, cfg);
}

void relays_free(struct relays *rs)
{
	for (int s = 0; s < RELAYS_NSETS; s++)
		sb_free(&rs->text[s]);
}
