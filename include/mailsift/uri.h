/* The URIs uri rules see: links from HTML parts and URIs found in text,
 * normalised as SpamAssassin does (scheme and host lower case, "http://"
 * before www. links, "mailto:" before bare addresses), plus the variants
 * it adds (backslashes as slashes, %XX escapes normalised, a numeric host
 * as a dotted quad). */
#ifndef MAILSIFT_URI_H
#define MAILSIFT_URI_H

#include <stddef.h>

#define URI_MAX_LEN 8192 /* longer URIs are cut there */

struct uri_list {
	char **v; /* owned, each owned */
	size_t n, cap;
	size_t max; /* entries kept at most */
	int capped; /* more than max were found */
};

void uri_list_init(struct uri_list *l, size_t max);
void uri_list_free(struct uri_list *l);
/* A link as written (HTML href/src...). -1 when out of memory. */
int uri_list_add(struct uri_list *l, const char *uri, size_t len);
/* Every URI in plain text: http(s)://, ftp://, mailto:, www.x, ftp.x and
 * user@domain addresses. -1 when out of memory. */
int uri_list_text(struct uri_list *l, const char *text, size_t len);

#endif
