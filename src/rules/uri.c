/* URIs for uri rules: found in text, normalised, listed once each. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mailsift/strbuf.h"
#include "mailsift/uri.h"

void uri_list_init(struct uri_list *l, size_t max)
{
	memset(l, 0, sizeof(*l));
	l->max = max;
}

void uri_list_free(struct uri_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	uri_list_init(l, l->max);
}

static int push(struct uri_list *l, const char *s, size_t len)
{
	for (size_t i = 0; i < l->n; i++)
		if (strlen(l->v[i]) == len && memcmp(l->v[i], s, len) == 0)
			return 0;
	if (l->n >= l->max) {
		l->capped = 1;
		return 0;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		char **nv = realloc(l->v, cap * sizeof(*nv));
		if (nv == NULL)
			return -1;
		l->v = nv;
		l->cap = cap;
	}
	if ((l->v[l->n] = strndup(s, len)) == NULL)
		return -1;
	l->n++;
	return 0;
}

static size_t scheme_len(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0 || !isalpha((unsigned char)s[0]))
		return 0;
	while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.'))
		i++;
	return i < n && s[i] == ':' ? i : 0;
}

static int has_prefix(const char *s, size_t n, const char *p)
{
	size_t pl = strlen(p);
	return n >= pl && strncasecmp(s, p, pl) == 0;
}

/* Scheme and (for scheme://host) the host in lower case. */
static void lower_scheme_host(struct strbuf *sb, size_t from)
{
	char *s = sb->s + from;
	size_t n = sb->len - from, sl = scheme_len(s, n), i;

	for (i = 0; i < sl; i++)
		s[i] = (char)tolower((unsigned char)s[i]);
	if (sl == 0 || n < sl + 3 || strncmp(s + sl, "://", 3) != 0)
		return;
	for (i = sl + 3; i < n && s[i] != '/' && s[i] != '?' && s[i] != '#'; i++)
		s[i] = (char)tolower((unsigned char)s[i]);
}

static int hexval(int c)
{
	if (isdigit(c))
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* SpamAssassin's reading of a URI with %XX escapes: printable ones
 * decoded (not %20, %7F, controls, 8-bit bytes), raw spaces, controls,
 * 8-bit bytes, '"', '%', '<' and '>' escaped; so a host written with
 * escapes or with raw 8-bit bytes shows "%XX" either way. */
static void escapes_normalised(const char *s, size_t n, struct strbuf *out)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		int h, lo;
		if (c == '%' && i + 2 < n && (h = hexval((unsigned char)s[i + 1])) >= 0 &&
		    (lo = hexval((unsigned char)s[i + 2])) >= 0) {
			int v = h * 16 + lo;
			if (v > 0x20 && v < 0x7f && !(h == 2 && lo == 0))
				sb_putc(out, (char)v);
			else
				sb_append(out, s + i, 3);
			i += 2;
		} else if (c <= 0x20 || c >= 0x7f || c == '"' || c == '%' || c == '<' || c == '>') {
			sb_printf(out, "%%%02x", c);
		} else {
			sb_putc(out, (char)c);
		}
	}
}

/* The variant SpamAssassin's uri rules see beside the URI as written:
 * backslashes as slashes ("https:/\\host" as "https://host"), one "//"
 * after http(s):, escapes normalised when it has any, and "/" before a
 * query or fragment that follows the host directly. */
static int push_variant(struct uri_list *l, const char *s, size_t n)
{
	struct strbuf a, b;
	size_t sl = scheme_len(s, n), i = 0;
	int has_escape = 0, rc = 0;
	const char *t;

	sb_init(&a, URI_MAX_LEN + 16);
	sb_init(&b, 3 * URI_MAX_LEN + 16);
	if ((sl == 4 && strncmp(s, "http", 4) == 0) || (sl == 5 && strncmp(s, "https", 5) == 0)) {
		sb_append(&a, s, sl + 1);
		sb_puts(&a, "//");
		for (i = sl + 1; i < n && (s[i] == '/' || s[i] == '\\') && i < sl + 3; i++)
			;
	}
	for (; i < n; i++) {
		sb_putc(&a, s[i] == '\\' ? '/' : s[i]);
		has_escape |= s[i] == '%' && i + 2 < n && hexval((unsigned char)s[i + 1]) >= 0 &&
			      hexval((unsigned char)s[i + 2]) >= 0;
	}
	if (has_escape)
		escapes_normalised(sb_str(&a), a.len, &b);
	else
		sb_append(&b, sb_str(&a), a.len);
	t = sb_str(&b);
	if (sl > 0 && strncmp(t + sl, "://", 3) == 0) {
		size_t h = sl + 3;
		while (h < b.len && strchr("/?#", t[h]) == NULL)
			h++;
		if (h < b.len && h > sl + 3 && (t[h] == '?' || t[h] == '#')) {
			struct strbuf c;
			sb_init(&c, b.max + 1);
			sb_append(&c, t, h);
			sb_putc(&c, '/');
			sb_append(&c, t + h, b.len - h);
			sb_free(&b);
			b = c;
		}
	}
	if (!b.failed && (b.len != n || memcmp(sb_str(&b), s, n) != 0))
		rc = push(l, sb_str(&b), b.len);
	sb_free(&a);
	sb_free(&b);
	return rc;
}

/* One part of a numeric host as browsers read it: "0x" hex, a leading
 * zero octal, else decimal; -1 if it is not a number or too big. */
static long long numeric_part(const char *s, size_t n, unsigned long long max)
{
	unsigned long long v = 0;
	unsigned base = 10;

	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		n -= 2;
	} else if (n > 1 && s[0] == '0') {
		base = 8;
	}
	if (n == 0 || n > 24)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int d = hexval((unsigned char)s[i]);
		if (d < 0 || (unsigned)d >= base)
			return -1;
		v = v * base + (unsigned)d;
		if (v > max)
			return -1;
	}
	return (long long)v;
}

/* The host as an IPv4 address: "2742879943", "0xa37d06c7" or dotted parts
 * in hex or octal ("0xa3.0175.6.199"); 0 if it is none of these, or an
 * ordinary dotted quad already. */
static int numeric_host(const char *h, size_t n, unsigned char ip[4])
{
	const char *dot[3];
	size_t ndots = 0;
	long long v;
	int plain = 1;

	for (size_t i = 0; i < n; i++)
		if (h[i] == '.' && ndots < 3)
			dot[ndots++] = h + i;
		else if (h[i] == '.')
			return 0;
	if (ndots == 0) {
		if ((v = numeric_part(h, n, 0xffffffffULL)) < 0)
			return 0;
		for (int k = 3; k >= 0; k--, v >>= 8)
			ip[k] = (unsigned char)(v & 0xff);
		return 1;
	}
	if (ndots != 3)
		return 0;
	for (int k = 0; k < 4; k++) {
		const char *p = k == 0 ? h : dot[k - 1] + 1;
		const char *e = k == 3 ? h + n : dot[k];
		if ((v = numeric_part(p, (size_t)(e - p), 255)) < 0)
			return 0;
		plain = plain && !(e - p > 1 && p[0] == '0');
		ip[k] = (unsigned char)v;
	}
	return !plain;
}

/* "http://2742879943/x" read as "http://163.125.6.199/x" too, as browsers
 * (and SpamAssassin's uri rules) read it; a user part is left out. */
static int push_numeric_host(struct uri_list *l, const char *s, size_t n)
{
	size_t sl = scheme_len(s, n), hs, he;
	unsigned char ip[4];
	struct strbuf sb;
	int rc;

	if (!((sl == 4 && strncmp(s, "http", 4) == 0) ||
	      (sl == 5 && strncmp(s, "https", 5) == 0)) ||
	    n < sl + 3 || strncmp(s + sl, "://", 3) != 0)
		return 0;
	hs = sl + 3;
	for (he = hs; he < n && strchr("@/?#", s[he]) == NULL; he++)
		;
	if (he < n && s[he] == '@')
		hs = he + 1;
	for (he = hs; he < n && strchr("/?#:", s[he]) == NULL; he++)
		;
	if (!numeric_host(s + hs, he - hs, ip))
		return 0;
	sb_init(&sb, URI_MAX_LEN + 32);
	sb_printf(&sb, "%.*s://%u.%u.%u.%u", (int)sl, s, ip[0], ip[1], ip[2], ip[3]);
	sb_append(&sb, s + he, n - he);
	rc = sb.failed ? 0 : push(l, sb_str(&sb), sb.len);
	sb_free(&sb);
	return rc;
}

int uri_list_add(struct uri_list *l, const char *uri, size_t len)
{
	struct strbuf sb;
	int rc;

	while (len > 0 && (isspace((unsigned char)*uri) || *uri == '"' || *uri == '\'')) {
		uri++;
		len--;
	}
	while (len > 0 && (isspace((unsigned char)uri[len - 1]) || uri[len - 1] == '"'))
		len--;
	if (len == 0)
		return 0;
	if (len > URI_MAX_LEN)
		len = URI_MAX_LEN;
	sb_init(&sb, URI_MAX_LEN + 16);
	if (scheme_len(uri, len) == 0) {
		if (has_prefix(uri, len, "ftp."))
			sb_puts(&sb, "ftp://");
		else if (memchr(uri, '@', len) != NULL && memchr(uri, '/', len) == NULL)
			sb_puts(&sb, "mailto:");
		else
			sb_puts(&sb, "http://");
	}
	sb_append(&sb, uri, len);
	if (!sb.failed)
		lower_scheme_host(&sb, 0);
	rc = sb.failed ? -1 : push(l, sb_str(&sb), sb.len);
	if (rc == 0)
		rc = push_variant(l, sb_str(&sb), sb.len);
	if (rc == 0)
		rc = push_numeric_host(l, sb_str(&sb), sb.len);
	sb_free(&sb);
	return rc;
}

static int uri_char(unsigned char c)
{
	return c > ' ' && c != '<' && c != '>' && c != '"' && c != '\'' && c != '`' && c < 0x7f;
}

static int addr_char(unsigned char c)
{
	return isalnum(c) || c == '.' || c == '-' || c == '_' || c == '+';
}

/* Where a URI starting at i ends, trailing punctuation left out. */
static size_t uri_end(const char *t, size_t len, size_t i)
{
	while (i < len && uri_char((unsigned char)t[i]))
		i++;
	while (i > 0 && strchr(".,;:!?)]}", t[i - 1]) != NULL)
		i--;
	return i;
}

static int starts_uri(const char *t, size_t len, size_t i)
{
	static const char *const prefixes[] = {"http://", "https://", "ftp://",
					       "mailto:", "www.",     "ftp."};

	if (i > 0 && (isalnum((unsigned char)t[i - 1]) || t[i - 1] == '.' || t[i - 1] == '/'))
		return 0;
	for (size_t k = 0; k < sizeof(prefixes) / sizeof(prefixes[0]); k++)
		if (has_prefix(t + i, len - i, prefixes[k]))
			return 1;
	return 0;
}

/* user@host.tld around the "@" at i: its extent, or 0. */
static int address_at(const char *t, size_t len, size_t i, size_t *s, size_t *e)
{
	size_t a = i, b = i + 1;
	int dot = 0;

	while (a > 0 && addr_char((unsigned char)t[a - 1]))
		a--;
	while (b < len && (addr_char((unsigned char)t[b])))
		dot |= t[b++] == '.';
	while (b > i + 1 && t[b - 1] == '.')
		b--;
	if (a == i || b <= i + 1 || !dot)
		return 0;
	*s = a;
	*e = b;
	return 1;
}

int uri_list_text(struct uri_list *l, const char *t, size_t len)
{
	size_t covered = 0; /* text before this is part of a URI already listed */

	for (size_t i = 0; i < len; i++) {
		size_t s, e;

		if (i >= covered && starts_uri(t, len, i)) {
			e = uri_end(t, len, i);
			if (e > i && uri_list_add(l, t + i, e - i) < 0)
				return -1;
			covered = e > i ? e : i + 1;
			i = covered - 1;
		} else if (t[i] == '@' && i >= covered && address_at(t, len, i, &s, &e)) {
			if (uri_list_add(l, t + s, e - s) < 0)
				return -1;
			covered = e;
			i = e - 1;
		}
	}
	return 0;
}
