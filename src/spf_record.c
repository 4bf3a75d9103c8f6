/* SPF record syntax (RFC 7208 section 12), checked before libspf2 sees a
 * record, and the record rewritten into what libspf2 evaluates the way
 * RFC 7208 says: unknown modifiers dropped, redirect= ignored beside "all"
 * and applied last, /0 networks split in two halves it accepts. */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mailsift/spf_record.h"
#include "mailsift/strbuf.h"

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* macro-string (explain=1: the letters c, r, t are allowed too). */
static int macro_string_ok(const char *s, size_t n, int explain)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '%') {
			if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
				return 0;
			continue;
		}
		if (i + 1 >= n)
			return 0;
		char c = s[++i];
		if (c == '%' || c == '_' || c == '-')
			continue;
		if (c != '{' || i + 1 >= n)
			return 0;
		c = (char)(s[++i] | 0x20);
		if (strchr("slodiphv", c) == NULL && !(explain && strchr("crt", c) != NULL))
			return 0;
		for (i++; i < n && is_digit(s[i]); i++)
			;
		if (i < n && (s[i] | 0x20) == 'r')
			i++;
		for (; i < n && strchr(".-+,/_=", s[i]) != NULL; i++)
			;
		if (i >= n || s[i] != '}')
			return 0;
	}
	return 1;
}

/* toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum ) */
static int toplabel_ok(const char *s, size_t n)
{
	int alpha = 0;

	if (n == 0 || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (is_alpha(s[i]))
			alpha = 1;
		else if (!is_digit(s[i]) && s[i] != '-')
			return 0;
	}
	return alpha || memchr(s, '-', n) != NULL;
}

/* domain-spec = macro-string domain-end; domain-end = "." toplabel ["."] / macro-expand */
static int domain_spec_ok(const char *s, size_t n)
{
	size_t end = n, dot;

	if (n == 0 || !macro_string_ok(s, n, 0))
		return 0;
	if (s[n - 1] == '}')
		return 1;
	if (s[end - 1] == '.')
		end--;
	for (dot = end; dot > 0 && s[dot - 1] != '.'; dot--)
		;
	if (dot == 0 || dot == 1) /* need "." toplabel after something */
		return 0;
	if (memchr(s, '%', dot) == NULL) {
		/* without macros the labels must not be empty */
		for (size_t i = 0; i + 1 < dot; i++)
			if (s[i] == '.' && s[i + 1] == '.')
				return 0;
		if (s[0] == '.')
			return 0;
	}
	return toplabel_ok(s + dot, end - dot);
}

/* "/" ("0" / %x31-39 0*N DIGIT) within max; *bits gets the value. */
static int cidr_ok(const char *s, size_t n, unsigned max, unsigned *bits)
{
	unsigned v = 0;

	if (n < 2 || s[0] != '/' || (s[1] == '0' && n > 2))
		return 0;
	for (size_t i = 1; i < n; i++) {
		if (!is_digit(s[i]) || v > 1000)
			return 0;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*bits = v;
	return v <= max;
}

/* Where a trailing "/N" or "//N" starts in s, or n if none (a domain-spec
 * may itself hold '/', so the CIDR part is found from the end). */
static size_t cidr_start(const char *s, size_t n)
{
	size_t i = n;

	while (i > 0 && is_digit(s[i - 1]))
		i--;
	if (i == n || i == 0 || s[i - 1] != '/')
		return n;
	i--;
	if (i > 0 && s[i - 1] == '/')
		return i - 1; /* "//N" alone */
	size_t j = i;
	while (j > 0 && is_digit(s[j - 1]))
		j--;
	if (j < i && j >= 1 && s[j - 1] == '/' && !(j >= 2 && s[j - 2] == '/'))
		return i; /* "/N//M": handled below as one part */
	return i;
}

/* [ ":" domain-spec ] [ ip4-cidr ] [ "//" ip6-cidr ] after a or mx. *dlen
 * gets the length of the ":domain" part (0 if none), *c4 and *c6 the
 * prefix lengths (32 and 128 when absent). */
static int a_mx_args(const char *s, size_t n, size_t *dlen, unsigned *c4, unsigned *c6)
{
	size_t c = cidr_start(s, n);

	*c4 = 32;
	*c6 = 128;
	if (c < n) {
		const char *dbl = strstr(s + c, "//");
		if (dbl != NULL && dbl < s + n) {
			size_t d = (size_t)(dbl - s);
			if (!cidr_ok(dbl + 1, n - d - 1, 128, c6))
				return 0;
			/* an ip4 length may stand before "//" */
			size_t c4s = cidr_start(s, d);
			if (c4s < d && !cidr_ok(s + c4s, d - c4s, 32, c4))
				return 0;
			n = c4s < d ? c4s : d;
		} else {
			if (!cidr_ok(s + c, n - c, 32, c4))
				return 0;
			n = c;
		}
	}
	*dlen = n;
	if (n == 0)
		return 1;
	return s[0] == ':' && domain_spec_ok(s + 1, n - 1);
}

static int ip4_ok(const char *s, size_t n)
{
	char buf[32];
	struct in_addr a;

	if (n >= sizeof(buf))
		return 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	/* qnum has no leading zeros; inet_pton refuses them too */
	return inet_pton(AF_INET, buf, &a) == 1;
}

static int ip6_ok(const char *s, size_t n)
{
	char buf[64];
	struct in6_addr a;

	if (n >= sizeof(buf))
		return 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return inet_pton(AF_INET6, buf, &a) == 1;
}

struct rewrite {
	const struct spf_rewrite_hooks *hooks;
	struct strbuf *out;
	char redirect[512];
	int has_all, has_redirect, has_exp;
};

/* An ip4:/ip6: network; /0 becomes two /1 halves, which libspf2 takes. */
static int ip_mech(struct rewrite *rw, char q, const char *mech, const char *s, size_t n, int v6)
{
	const char *slash = memchr(s, '/', n);
	size_t alen = slash != NULL ? (size_t)(slash - s) : n;
	unsigned bits = v6 ? 128 : 32;

	if (!(v6 ? ip6_ok(s, alen) : ip4_ok(s, alen)))
		return 0;
	if (slash != NULL && !cidr_ok(slash, n - alen, v6 ? 128 : 32, &bits))
		return 0;
	if (bits == 0)
		sb_printf(rw->out, " %c%s:%s/1 %c%s:%s/1", q, mech, v6 ? "::" : "0.0.0.0", q, mech,
			  v6 ? "8000::" : "128.0.0.0");
	else
		sb_printf(rw->out, " %c%s:%.*s", q, mech, (int)n, s);
	return 1;
}

static int modifier(struct rewrite *rw, const char *t, size_t eq, size_t n, const char **why)
{
	const char *v = t + eq + 1;
	size_t vn = n - eq - 1;

	for (size_t i = 0; i < eq; i++)
		if (!(is_alpha(t[i]) || (i > 0 && (is_digit(t[i]) || strchr("-_.", t[i]) != NULL))))
			return *why = "invalid modifier name", 0;
	if (eq == 8 && strncasecmp(t, "redirect", 8) == 0) {
		if (rw->has_redirect++ || !domain_spec_ok(v, vn) || vn >= sizeof(rw->redirect))
			return *why = "bad or repeated redirect=", 0;
		memcpy(rw->redirect, v, vn);
		rw->redirect[vn] = '\0';
		return 1;
	}
	if (eq == 3 && strncasecmp(t, "exp", 3) == 0) {
		if (rw->has_exp++ || !domain_spec_ok(v, vn))
			return *why = "bad or repeated exp=", 0;
		sb_printf(rw->out, " exp=%.*s", (int)vn, v);
		return 1;
	}
	if (!macro_string_ok(v, vn, 0))
		return *why = "bad macro in a modifier", 0;
	return 1; /* an unknown modifier is ignored (RFC 7208 6) */
}

/* a/0 and mx/0 (libspf2 refuses prefix length 0): "any address of that
 * family, if the name has one", written as the two halves of the address
 * space when it has, nothing when it has not; the other family keeps its
 * own prefix. Needs the domain without macros. */
static int zero_prefix(struct rewrite *rw, char q, int mx, const char *args, size_t dlen,
		       unsigned c4, unsigned c6)
{
	char domain[256];
	const char *mech = mx ? "mx" : "a";

	if (dlen > 0) {
		if (dlen - 1 >= sizeof(domain) || memchr(args, '%', dlen) != NULL)
			return 0;
		memcpy(domain, args + 1, dlen - 1);
		domain[dlen - 1] = '\0';
	} else {
		snprintf(domain, sizeof(domain), "%s", rw->hooks->domain);
	}
	/* the family with prefix 0 is matched by the halves below; the
	 * mechanism keeps the other one (what it adds for the zero family
	 * lies inside those halves) */
	if (c4 == 0 && c6 == 0) {
		/* nothing left for the mechanism itself */
	} else if (c4 == 0 && c6 != 128) {
		sb_printf(rw->out, " %c%s:%s//%u", q, mech, domain, c6);
	} else if (c6 == 0 && c4 != 32) {
		sb_printf(rw->out, " %c%s:%s/%u", q, mech, domain, c4);
	} else {
		sb_printf(rw->out, " %c%s:%s", q, mech, domain);
	}
	if (c4 == 0 && rw->hooks->has_address(rw->hooks->ctx, domain, mx, 0))
		sb_printf(rw->out, " %cip4:0.0.0.0/1 %cip4:128.0.0.0/1", q, q);
	if (c6 == 0 && rw->hooks->has_address(rw->hooks->ctx, domain, mx, 1))
		sb_printf(rw->out, " %cip6:::/1 %cip6:8000::/1", q, q);
	return 1;
}

static int mechanism(struct rewrite *rw, const char *t, size_t n, const char **why)
{
	char q = '+';
	size_t nl = 0;

	if (strchr("+-~?", t[0]) != NULL) {
		q = t[0];
		t++;
		n--;
	}
	while (nl < n && (is_alpha(t[nl]) || is_digit(t[nl])))
		nl++;
	const char *rest = t + nl;
	size_t rn = n - nl;
	*why = "invalid mechanism";
#define IS(w) (nl == sizeof(w) - 1 && strncasecmp(t, w, nl) == 0)
	if (IS("all")) {
		rw->has_all = 1;
		return rn == 0 ? (sb_printf(rw->out, " %call", q), 1) : 0;
	}
	if (IS("ip4") || IS("ip6"))
		return rn > 1 && rest[0] == ':' &&
		       ip_mech(rw, q, IS("ip6") ? "ip6" : "ip4", rest + 1, rn - 1, IS("ip6"));
	if (IS("a") || IS("mx")) {
		size_t dlen;
		unsigned c4, c6;

		if (!a_mx_args(rest, rn, &dlen, &c4, &c6))
			return 0;
		if ((c4 == 0 || c6 == 0) && rw->hooks != NULL)
			return zero_prefix(rw, q, IS("mx"), rest, dlen, c4, c6);
	} else if (IS("ptr")) {
		if (rn > 0 && (rest[0] != ':' || !domain_spec_ok(rest + 1, rn - 1)))
			return 0;
	} else if (IS("include") || IS("exists")) {
		if (rn < 2 || rest[0] != ':' || !domain_spec_ok(rest + 1, rn - 1))
			return 0;
	} else {
		return 0;
	}
#undef IS
	sb_printf(rw->out, " %c%.*s", q, (int)n, t);
	return 1;
}

int spf_record_rewrite(const char *rec, char *out, size_t cap, const char **why,
		       const struct spf_rewrite_hooks *hooks)
{
	struct strbuf sb;
	struct rewrite rw = {.out = &sb, .hooks = hooks};
	const char *p = rec + 6;
	int ok = 1;

	*why = NULL;
	for (const char *c = rec; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
			return *why = "non-ASCII or control character in the record", -1;
	sb_init(&sb, cap > 0 ? cap - 1 : 0);
	sb_puts(&sb, "v=spf1");
	while (ok && *p) {
		size_t n;
		const char *eq, *col;

		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (n == 0)
			break;
		eq = memchr(p, '=', n);
		col = memchr(p, ':', n);
		if (eq != NULL && (col == NULL || eq < col) && is_alpha(p[0]))
			ok = modifier(&rw, p, (size_t)(eq - p), n, why);
		else
			ok = mechanism(&rw, p, n, why);
		p += n;
	}
	/* redirect= only counts without "all", and only after every mechanism */
	if (ok && rw.has_redirect && !rw.has_all)
		sb_printf(&sb, " redirect=%s", rw.redirect);
	if (ok && !sb.failed)
		snprintf(out, cap, "%s", sb_str(&sb));
	else if (ok)
		*why = "record too long", ok = 0;
	sb_free(&sb);
	return ok ? 0 : -1;
}
