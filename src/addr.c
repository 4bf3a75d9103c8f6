/* RFC 5321 Mailbox validation, with the RFC 6531 extensions for SMTPUTF8.
 *
 * Everything works on explicit lengths so NUL bytes inside an address are
 * seen and refused rather than silently ending the string. */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "mailsift/addr.h"
#include "mailsift/utf8.h"

static const char *const addr_errors[] = {
	[ADDR_OK] = "valid",
	[ADDR_E_EMPTY] = "empty address",
	[ADDR_E_NUL] = "NUL byte in address",
	[ADDR_E_CTRL] = "control character in address",
	[ADDR_E_TOO_LONG] = "address longer than 254 octets",
	[ADDR_E_NO_AT] = "missing @domain",
	[ADDR_E_LOCAL] = "invalid local part",
	[ADDR_E_LOCAL_TOO_LONG] = "local part longer than 64 octets",
	[ADDR_E_DOMAIN] = "invalid domain",
	[ADDR_E_DOMAIN_TOO_LONG] = "domain longer than 255 octets",
	[ADDR_E_LABEL_TOO_LONG] = "domain label longer than 63 octets",
	[ADDR_E_LITERAL] = "invalid address literal",
	[ADDR_E_8BIT] = "non-ASCII address without SMTPUTF8",
	[ADDR_E_UTF8] = "invalid UTF-8 in address",
	[ADDR_E_PATH] = "malformed path",
};

const char *addr_strerror(enum addr_status status)
{
	if ((size_t)status < sizeof(addr_errors) / sizeof(addr_errors[0]))
		return addr_errors[status];
	return "invalid address";
}

static int is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int is_hex(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* RFC 5322 atext. */
static int is_atext(unsigned char c)
{
	return is_alpha(c) || is_digit(c) ||
	       (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* Checks octets that no part of a mailbox may hold, and the encoding of
 * non-ASCII octets. */
static enum addr_status scan_octets(const unsigned char *s, size_t len, unsigned flags, int *utf8)
{
	*utf8 = 0;
	for (size_t i = 0; i < len;) {
		if (s[i] == '\0')
			return ADDR_E_NUL;
		if (s[i] < 0x20 || s[i] == 0x7f)
			return ADDR_E_CTRL;
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		size_t n = utf8_seq_len(s + i, len - i);
		if (n == 0)
			return ADDR_E_UTF8;
		if (!(flags & ADDR_UTF8))
			return ADDR_E_8BIT;
		*utf8 = 1;
		i += n;
	}
	return ADDR_OK;
}

static enum addr_status check_dot_string(const unsigned char *s, size_t len)
{
	int atom_len = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (atom_len == 0)
				return ADDR_E_LOCAL;
			atom_len = 0;
		} else if (is_atext(s[i]) || s[i] >= 0x80) {
			atom_len++;
		} else {
			return ADDR_E_LOCAL;
		}
	}
	return atom_len == 0 ? ADDR_E_LOCAL : ADDR_OK;
}

static enum addr_status check_quoted_string(const unsigned char *s, size_t len)
{
	if (len < 2 || s[0] != '"' || s[len - 1] != '"')
		return ADDR_E_LOCAL;
	for (size_t i = 1; i < len - 1; i++) {
		unsigned char c = s[i];

		if (c == '\\') {
			if (i + 1 >= len - 1 || s[i + 1] < 32 || s[i + 1] > 126)
				return ADDR_E_LOCAL;
			i++;
		} else if (c == '"' || (c < 32) || c == 127) {
			return ADDR_E_LOCAL;
		}
	}
	return ADDR_OK;
}

/* The end of the local part: the '@' after it, honouring quoting. */
static const unsigned char *local_end(const unsigned char *s, size_t len)
{
	if (len > 0 && s[0] == '"') {
		for (size_t i = 1; i < len; i++) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				return i + 1 < len && s[i + 1] == '@' ? s + i + 1 : NULL;
		}
		return NULL;
	}
	return memchr(s, '@', len);
}

/* ---- A-label lengths (RFC 3492 Punycode), for the DNS limits of U-labels ---- */

enum { PC_BASE = 36, PC_TMIN = 1, PC_TMAX = 26, PC_SKEW = 38, PC_DAMP = 700 };

static unsigned long pc_adapt(unsigned long delta, unsigned long points, int first)
{
	unsigned long k = 0;

	delta = first ? delta / PC_DAMP : delta / 2;
	delta += delta / points;
	while (delta > ((PC_BASE - PC_TMIN) * PC_TMAX) / 2) {
		delta /= PC_BASE - PC_TMIN;
		k += PC_BASE;
	}
	return k + (PC_BASE - PC_TMIN + 1) * delta / (delta + PC_SKEW);
}

/* Decodes well-formed UTF-8 (already checked) into at most max code points. */
static size_t to_code_points(const unsigned char *s, size_t len, unsigned long *cp, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < len && n < max;) {
		size_t k = s[i] < 0x80 ? 1 : utf8_seq_len(s + i, len - i);
		unsigned long c = k == 1 ? s[i] : s[i] & (0xff >> (k + 1));

		for (size_t j = 1; j < k; j++)
			c = (c << 6) | (s[i + j] & 0x3f);
		cp[n++] = c;
		i += k;
	}
	return n;
}

/* Length of the label's A-label ("xn--" + Punycode), or of the label
 * itself when it is all ASCII. */
static void put_out(char *out, size_t cap, size_t pos, char c)
{
	if (out != NULL && pos + 1 < cap)
		out[pos] = c;
}

static char pc_digit(unsigned long d)
{
	return (char)(d < 26 ? 'a' + d : '0' + (d - 26));
}

/* The label's A-label ("xn--" + Punycode), or the label itself when it is
 * all ASCII, written to out (cap bytes, NUL-terminated) when out is not
 * NULL; returns its length either way. */
static size_t alabel_encode(const unsigned char *s, size_t len, char *out, size_t cap)
{
	unsigned long cp[ADDR_DOMAIN_MAX], n = 128, delta = 0, bias = 72;
	size_t count = to_code_points(s, len, cp, ADDR_DOMAIN_MAX), basic = 0, h, o = 0;

	for (size_t i = 0; i < count; i++)
		basic += cp[i] < 0x80;
	if (basic == count) {
		for (size_t i = 0; i < len; i++)
			put_out(out, cap, o++, (char)s[i]);
		goto done;
	}
	for (const char *p = "xn--"; *p; p++)
		put_out(out, cap, o++, *p);
	for (size_t i = 0; i < count; i++)
		if (cp[i] < 0x80)
			put_out(out, cap, o++, (char)cp[i]);
	if (basic > 0)
		put_out(out, cap, o++, '-');
	for (h = basic; h < count;) {
		unsigned long m = ~0ul;

		for (size_t i = 0; i < count; i++)
			if (cp[i] >= n && cp[i] < m)
				m = cp[i];
		delta += (m - n) * (h + 1);
		n = m;
		for (size_t i = 0; i < count; i++) {
			if (cp[i] < n)
				delta++;
			if (cp[i] != n)
				continue;
			unsigned long q = delta;
			for (unsigned long k = PC_BASE;; k += PC_BASE) {
				unsigned long t = k <= bias		? PC_TMIN
						  : k >= bias + PC_TMAX ? PC_TMAX
									: k - bias;
				if (q < t)
					break;
				put_out(out, cap, o++, pc_digit(t + (q - t) % (PC_BASE - t)));
				q = (q - t) / (PC_BASE - t);
			}
			put_out(out, cap, o++, pc_digit(q));
			bias = pc_adapt(delta, h + 1, h == basic);
			delta = 0;
			h++;
		}
		delta++;
		n++;
	}
done:
	if (out != NULL && cap > 0)
		out[o < cap ? o : cap - 1] = '\0';
	return o;
}

static size_t alabel_len(const unsigned char *s, size_t len)
{
	return alabel_encode(s, len, NULL, 0);
}

int addr_domain_ascii(const char *domain, char *out, size_t cap)
{
	const unsigned char *s = (const unsigned char *)domain;
	size_t len = strlen(domain), start = 0, o = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != '.')
			continue;
		size_t n = alabel_encode(s + start, i - start, o < cap ? out + o : NULL,
					 o < cap ? cap - o : 0);
		o += n;
		if (i < len) {
			if (o + 1 >= cap)
				return -1;
			out[o++] = '.';
		}
		start = i + 1;
	}
	if (o >= cap)
		return -1;
	out[o] = '\0';
	return 0;
}

/* sub-domain = Let-dig [Ldh-str]; non-ASCII (U-label) octets count as
 * letters once scan_octets has checked their encoding. */
static enum addr_status check_label(const unsigned char *s, size_t len)
{
	if (len == 0)
		return ADDR_E_DOMAIN;
	if (alabel_len(s, len) > ADDR_LABEL_MAX) /* a U-label is limited as an A-label */
		return ADDR_E_LABEL_TOO_LONG;
	if (s[0] == '-' || s[len - 1] == '-')
		return ADDR_E_DOMAIN;
	for (size_t i = 0; i < len; i++)
		if (!is_alpha(s[i]) && !is_digit(s[i]) && s[i] != '-' && s[i] < 0x80)
			return ADDR_E_DOMAIN;
	return ADDR_OK;
}

/* *alen gets the domain's length in A-labels, the form DNS limits apply to. */
static enum addr_status check_hostname(const unsigned char *s, size_t len, size_t *alen)
{
	size_t start = 0;

	*alen = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			enum addr_status st = check_label(s + start, i - start);

			if (st != ADDR_OK)
				return st;
			*alen += alabel_len(s + start, i - start) + (i < len);
			start = i + 1;
		}
	}
	return *alen > ADDR_DOMAIN_MAX ? ADDR_E_DOMAIN_TOO_LONG : ADDR_OK;
}

/* Snum "." Snum "." Snum "." Snum, each 1*3DIGIT in 0..255. */
static int is_ipv4(const unsigned char *s, size_t len)
{
	int parts = 0, digits = 0, value = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (digits == 0 || value > 255)
				return 0;
			parts++;
			digits = value = 0;
		} else if (is_digit(s[i]) && digits < 3) {
			value = value * 10 + (s[i] - '0');
			digits++;
		} else {
			return 0;
		}
	}
	return parts == 4;
}

/* Counts 1*4HEXDIG groups separated by ':' in s; -1 if malformed. An empty
 * s has no groups. */
static int hex_groups(const unsigned char *s, size_t len)
{
	int groups = 0, digits = 0;

	if (len == 0)
		return 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || s[i] == ':') {
			if (digits == 0)
				return -1;
			groups++;
			digits = 0;
		} else if (is_hex(s[i]) && digits < 4) {
			digits++;
		} else {
			return -1;
		}
	}
	return groups;
}

/* IPv6-full, IPv6-comp, IPv6v4-full and IPv6v4-comp of RFC 5321 4.1.3. */
static int is_ipv6(const unsigned char *s, size_t len)
{
	const unsigned char *dc = NULL;
	size_t hexlen = len;
	int full = 8;

	/* an embedded IPv4 address takes the place of two groups */
	const unsigned char *lastc = NULL;
	for (size_t i = 0; i < len; i++)
		if (s[i] == ':')
			lastc = s + i;
	if (lastc != NULL && memchr(lastc, '.', len - (size_t)(lastc - s)) != NULL) {
		if (!is_ipv4(lastc + 1, len - (size_t)(lastc - s) - 1))
			return 0;
		full = 6;
		hexlen = (size_t)(lastc - s);
		if (hexlen > 0 && s[hexlen - 1] == ':')
			hexlen++; /* keep the "::" before the IPv4 part */
	}
	for (size_t i = 0; i + 1 < hexlen; i++) {
		if (s[i] == ':' && s[i + 1] == ':') {
			if (dc != NULL)
				return 0;
			dc = s + i;
		}
	}
	if (dc == NULL) {
		return hex_groups(s, hexlen) == full;
	}
	size_t left = (size_t)(dc - s), right_start = left + 2;
	size_t right = hexlen > right_start ? hexlen - right_start : 0;
	int gl = hex_groups(s, left);
	int gr = hex_groups(s + right_start, right);

	if (gl < 0 || gr < 0)
		return 0;
	/* "::" stands for at least two groups: 6 explicit at most, 4 with IPv4 */
	return gl + gr <= full - 2;
}

static enum addr_status check_literal(const unsigned char *s, size_t len)
{
	const unsigned char *colon;
	size_t taglen;

	if (len < 3 || s[0] != '[' || s[len - 1] != ']')
		return ADDR_E_LITERAL;
	s++;
	len -= 2;
	if (is_ipv4(s, len))
		return ADDR_OK;
	colon = memchr(s, ':', len);
	if (colon == NULL)
		return ADDR_E_LITERAL;
	taglen = (size_t)(colon - s);
	if (taglen == 4 && strncasecmp((const char *)s, "IPv6", 4) == 0)
		return is_ipv6(colon + 1, len - 5) ? ADDR_OK : ADDR_E_LITERAL;
	/* General-address-literal: Standardized-tag ":" 1*dcontent */
	if (taglen == 0 || check_label(s, taglen) != ADDR_OK || taglen + 1 >= len)
		return ADDR_E_LITERAL;
	for (size_t i = taglen + 1; i < len; i++)
		if (s[i] < 33 || s[i] > 126 || s[i] == '[' || s[i] == '\\' || s[i] == ']')
			return ADDR_E_LITERAL;
	return ADDR_OK;
}

static enum addr_status check_domain(const unsigned char *s, size_t len, int *literal, size_t *alen)
{
	*literal = len > 0 && s[0] == '[';
	*alen = len;
	if (len == 0)
		return ADDR_E_DOMAIN;
	if (len > ADDR_DOMAIN_MAX)
		return ADDR_E_DOMAIN_TOO_LONG;
	return *literal ? check_literal(s, len) : check_hostname(s, len, alen);
}

enum addr_status addr_parse(const char *str, size_t len, unsigned flags, struct addr *out)
{
	const unsigned char *s = (const unsigned char *)str, *at;
	enum addr_status st;
	size_t llen, dlen, alen;
	int utf8 = 0, literal = 0;

	memset(out, 0, sizeof(*out));
	if (len == 0)
		return ADDR_E_EMPTY;
	if ((st = scan_octets(s, len, flags, &utf8)) != ADDR_OK)
		return st;
	if (len > ADDR_MAILBOX_MAX)
		return ADDR_E_TOO_LONG;
	at = local_end(s, len);
	if (at == NULL)
		return memchr(s, '@', len) == NULL ? ADDR_E_NO_AT : ADDR_E_LOCAL;
	llen = (size_t)(at - s);
	dlen = len - llen - 1;
	if (llen == 0)
		return ADDR_E_LOCAL;
	if (llen > ADDR_LOCAL_MAX)
		return ADDR_E_LOCAL_TOO_LONG;
	st = s[0] == '"' ? check_quoted_string(s, llen) : check_dot_string(s, llen);
	if (st != ADDR_OK)
		return st;
	if ((st = check_domain(at + 1, dlen, &literal, &alen)) != ADDR_OK)
		return st;
	if (llen + 1 + alen > ADDR_MAILBOX_MAX)
		return ADDR_E_TOO_LONG;
	memcpy(out->local, s, llen);
	out->local_len = llen;
	memcpy(out->domain, at + 1, dlen);
	out->domain_len = dlen;
	out->literal = literal != 0;
	out->utf8 = utf8 != 0;
	return ADDR_OK;
}

/* Skips "@a,@b:" at the start of a path; NULL if the route is malformed. */
static const char *skip_route(const char *s, size_t *len)
{
	const char *colon;
	size_t rlen, alen;
	int literal;

	if (*len == 0 || s[0] != '@')
		return s;
	colon = memchr(s, ':', *len);
	if (colon == NULL)
		return NULL;
	rlen = (size_t)(colon - s);
	for (size_t i = 0; i < rlen;) {
		size_t end = i + 1;

		if (s[i] != '@')
			return NULL;
		while (end < rlen && s[end] != ',')
			end++;
		if (check_domain((const unsigned char *)s + i + 1, end - i - 1, &literal, &alen) !=
		    ADDR_OK)
			return NULL;
		i = end + 1;
	}
	*len -= rlen + 1;
	return colon + 1;
}

enum addr_status addr_parse_path(const char *s, size_t len, unsigned flags, struct addr *out)
{
	memset(out, 0, sizeof(*out));
	if (len > ADDR_PATH_MAX)
		return ADDR_E_TOO_LONG;
	if (len >= 1 && s[0] == '<') {
		if (len < 2 || s[len - 1] != '>')
			return ADDR_E_PATH;
		s++;
		len -= 2;
		if (len == 0) {
			out->null = 1;
			return ADDR_OK;
		}
	}
	s = skip_route(s, &len);
	if (s == NULL)
		return ADDR_E_PATH;
	return addr_parse(s, len, flags, out);
}

enum addr_status addr_domain_valid(const char *domain, unsigned flags, int *literal)
{
	const unsigned char *s = (const unsigned char *)domain;
	size_t len = strlen(domain), alen;
	enum addr_status st;
	int utf8;

	*literal = 0;
	if ((st = scan_octets(s, len, flags, &utf8)) != ADDR_OK)
		return st;
	return check_domain(s, len, literal, &alen);
}

int addr_domain_equal(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}
