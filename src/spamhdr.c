/* X-Spam-* header fields: a spammer's own "X-Spam-Flag: NO" must not reach
 * a filter downstream, so incoming copies are removed whatever we add. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mailsift/spamhdr.h"
#include "mailsift/strbuf.h"

#define SPAMHDR_MAX 998 /* RFC 5322 line length */

static const char *const names[] = {"X-Spam-Flag", "X-Spam-Status", "X-Spam-Score"};

_Static_assert(sizeof(names) / sizeof(names[0]) ==
		       sizeof(((struct msg *)0)->spam_headers_seen) /
			       sizeof(((struct msg *)0)->spam_headers_seen[0]),
	       "one counter per field name");

void spamhdr_note(struct msg *msg, const char *name)
{
	for (size_t i = 0; name != NULL && i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(name, names[i]) == 0)
			msg->spam_headers_seen[i]++;
}

int spamhdr_is_spam(const struct config *cfg, const struct msg *msg)
{
	return msg->score >= cfg->add_header_score;
}

/* "Yes, score=7.2 required=5.0 tests=A,B" cut to fit a header line. */
static void status_value(const struct config *cfg, const struct msg *msg, const char *tests,
			 struct strbuf *sb)
{
	size_t room;

	sb_printf(sb, "%s, score=%.1f", spamhdr_is_spam(cfg, msg) ? "Yes" : "No", msg->score);
	if (isfinite(cfg->add_header_score))
		sb_printf(sb, " required=%.1f", cfg->add_header_score);
	sb_puts(sb, " tests=");
	room = SPAMHDR_MAX - strlen("X-Spam-Status: ") - sb->len;
	if (strlen(tests) <= room) {
		sb_puts(sb, tests);
		return;
	}
	/* whole names only, then a marker */
	size_t cut = 0;
	for (size_t i = 0; tests[i] != '\0' && i + 4 < room; i++)
		if (tests[i] == ',')
			cut = i;
	sb_append(sb, tests, cut);
	sb_puts(sb, ",...");
}

int spamhdr_edits(const struct config *cfg, struct msg *msg, const char *tests)
{
	struct strbuf sb;
	char score[32];
	int rc = 0;

	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
		for (size_t i = msg->spam_headers_seen[k]; i > 0 && rc == 0; i--)
			rc = msg_add_edit(msg, HDR_DELETE, names[k], NULL, (int)i);
	if (rc < 0 || !cfg->spam_headers)
		return rc;
	if (spamhdr_is_spam(cfg, msg) && msg_add_edit(msg, HDR_ADD, names[0], "YES", 0) < 0)
		return -1;
	sb_init(&sb, SPAMHDR_MAX);
	status_value(cfg, msg, tests, &sb);
	snprintf(score, sizeof(score), "%.1f", msg->score);
	rc = sb.failed || msg_add_edit(msg, HDR_ADD, names[1], sb_str(&sb), 0) < 0 ||
			     msg_add_edit(msg, HDR_ADD, names[2], score, 0) < 0
		     ? -1
		     : 0;
	sb_free(&sb);
	return rc;
}
