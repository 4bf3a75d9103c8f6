/* HTML to the text a reader sees, for the content rules: tags removed,
 * script, style, title and head content dropped, block elements as line
 * breaks, entities decoded, blanks collapsed, image alt text kept; and the
 * link targets (href, src, action, background) handed to a callback.
 * Broken HTML (unclosed tags and quotes, stray "<") gets a best-effort
 * reading; nothing in the input is trusted to be short. */
#ifndef MAILSIFT_HTML_H
#define MAILSIFT_HTML_H

#include <stddef.h>

#include "mailsift/strbuf.h"

#define HTML_URL_MAX 8192 /* bytes of a link target handed on (longer: cut) */

typedef void (*html_link_fn)(void *ctx, const char *url, size_t len);

/* html (UTF-8, len bytes, NUL bytes allowed) rendered and appended to
 * text up to its cap; on_link (may be NULL) gets each link target,
 * entity-decoded, blanks around it trimmed. Returns 0, or -1 if text was
 * cut at its cap. */
int html_to_text(const char *html, size_t len, struct strbuf *text, html_link_fn on_link,
		 void *ctx);

#endif
