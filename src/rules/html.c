/* A forgiving HTML reader: one pass over the input, no tree. Tags are
 * scanned for their name and the few attributes that matter; text between
 * them goes through entity decoding and blank collapsing. */
#include "config.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "mailsift/html.h"
#include "mailsift/mime_charset.h"
#include "mailsift/utf8.h"

#define TAG_NAME_MAX 16
#define ENTITY_NAME_MAX 10
#define MAX_BLANK_LINES 2

struct html_out {
	struct strbuf *text;
	html_link_fn on_link;
	void *ctx;
	int space;	   /* a blank is due before the next text */
	int newlines;	   /* line breaks due before the next text */
	int in_head;	   /* between <head> and </head> or <body> */
	int cut;	   /* text hit its cap */
	struct strbuf val; /* an attribute value, decoded */
};

struct entity {
	const char *name;
	const char *utf8;
};

/* Named references that occur in mail; nbsp reads as a plain blank. */
/* clang-format off */
static const struct entity entities[] = {
	{"amp", "&"}, {"lt", "<"}, {"gt", ">"}, {"quot", "\""}, {"apos", "'"},
	{"nbsp", " "}, {"ensp", " "}, {"emsp", " "}, {"thinsp", " "},
	{"shy", ""}, {"zwnj", ""}, {"zwj", ""}, {"lrm", ""}, {"rlm", ""},
	{"copy", "\xc2\xa9"}, {"reg", "\xc2\xae"}, {"trade", "\xe2\x84\xa2"},
	{"hellip", "\xe2\x80\xa6"}, {"mdash", "\xe2\x80\x94"}, {"ndash", "\xe2\x80\x93"},
	{"lsquo", "\xe2\x80\x98"}, {"rsquo", "\xe2\x80\x99"}, {"sbquo", "\xe2\x80\x9a"},
	{"ldquo", "\xe2\x80\x9c"}, {"rdquo", "\xe2\x80\x9d"}, {"bdquo", "\xe2\x80\x9e"},
	{"laquo", "\xc2\xab"}, {"raquo", "\xc2\xbb"}, {"bull", "\xe2\x80\xa2"},
	{"middot", "\xc2\xb7"}, {"euro", "\xe2\x82\xac"}, {"pound", "\xc2\xa3"},
	{"yen", "\xc2\xa5"}, {"cent", "\xc2\xa2"}, {"sect", "\xc2\xa7"}, {"para", "\xc2\xb6"},
	{"deg", "\xc2\xb0"}, {"plusmn", "\xc2\xb1"}, {"times", "\xc3\x97"},
	{"divide", "\xc3\xb7"}, {"iexcl", "\xc2\xa1"}, {"iquest", "\xc2\xbf"},
	{"frac12", "\xc2\xbd"}, {"frac14", "\xc2\xbc"}, {"frac34", "\xc2\xbe"},
	{"dagger", "\xe2\x80\xa0"}, {"rarr", "\xe2\x86\x92"}, {"larr", "\xe2\x86\x90"},
	{"agrave", "\xc3\xa0"}, {"aacute", "\xc3\xa1"}, {"acirc", "\xc3\xa2"},
	{"atilde", "\xc3\xa3"}, {"auml", "\xc3\xa4"}, {"aring", "\xc3\xa5"},
	{"aelig", "\xc3\xa6"}, {"ccedil", "\xc3\xa7"}, {"egrave", "\xc3\xa8"},
	{"eacute", "\xc3\xa9"}, {"ecirc", "\xc3\xaa"}, {"euml", "\xc3\xab"},
	{"igrave", "\xc3\xac"}, {"iacute", "\xc3\xad"}, {"icirc", "\xc3\xae"},
	{"iuml", "\xc3\xaf"}, {"ntilde", "\xc3\xb1"}, {"ograve", "\xc3\xb2"},
	{"oacute", "\xc3\xb3"}, {"ocirc", "\xc3\xb4"}, {"otilde", "\xc3\xb5"},
	{"ouml", "\xc3\xb6"}, {"oslash", "\xc3\xb8"}, {"ugrave", "\xc3\xb9"},
	{"uacute", "\xc3\xba"}, {"ucirc", "\xc3\xbb"}, {"uuml", "\xc3\xbc"},
	{"szlig", "\xc3\x9f"}, {"Agrave", "\xc3\x80"}, {"Aacute", "\xc3\x81"},
	{"Auml", "\xc3\x84"}, {"Eacute", "\xc3\x89"}, {"Ntilde", "\xc3\x91"},
	{"Ouml", "\xc3\x96"}, {"Uuml", "\xc3\x9c"}, {"Ccedil", "\xc3\x87"},
};

/* Without ";" only these are taken (in text), as browsers do. */
static const char *const legacy[] = {"amp", "lt", "gt", "quot", "nbsp", "copy", "reg"};

/* Elements whose content nobody sees. */
static const char *const hidden[] = {"script", "style", "title"};

/* What an element's start or end tag puts in the text, as SpamAssassin
 * renders it (rules are written against that): a paragraph break, a line
 * break (two in a row make a paragraph), or a space; other elements, table
 * and list containers included, put nothing. */
static const char *const paragraph_tags[] = {"p",	  "hr",	       "blockquote", "pre",
					     "listing", "plaintext", "xmp"};
static const char *const line_tags[] = {"br", "div"};
static const char *const space_tags[] = {"li", "th", "td", "dt", "dd", "embed",
					 "h1", "h2", "h3", "h4", "h5", "h6"};

struct link_attr {
	const char *tag;
	const char *attr;
};

static const struct link_attr link_attrs[] = {
	{"a", "href"}, {"area", "href"}, {"link", "href"}, {"base", "href"},
	{"img", "src"}, {"frame", "src"}, {"iframe", "src"}, {"embed", "src"},
	{"script", "src"}, {"input", "src"}, {"source", "src"}, {"form", "action"},
	{"object", "data"}, {"body", "background"}, {"table", "background"},
	{"td", "background"}, {"th", "background"}, {"tr", "background"},
};
/* clang-format on */

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int in_list(const char *const *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(list[i], name) == 0)
			return 1;
	}
	return 0;
}

static int is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f';
}

static void put_raw(struct html_out *o, const char *s, size_t n)
{
	if (!o->cut && sb_append_max(o->text, s, n) < 0)
		o->cut = 1;
}

/* Text bytes: blanks collapse into one, pending line breaks come first. */
static void put_text(struct html_out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n && !o->cut; i++) {
		if (is_blank((unsigned char)s[i])) {
			o->space = 1;
			continue;
		}
		if (o->text->len > 0 && o->newlines > 0)
			put_raw(o, "\n\n", (size_t)o->newlines);
		else if (o->text->len > 0 && o->space)
			put_raw(o, " ", 1);
		o->space = 0;
		o->newlines = 0;
		put_raw(o, s + i, 1);
	}
}

static void line_break(struct html_out *o)
{
	o->newlines++;
	if (o->newlines > MAX_BLANK_LINES)
		o->newlines = MAX_BLANK_LINES;
}

/* "&#123;" or "&#x7b;" at s (after "&#"): its UTF-8 in out; consumed bytes. */
static size_t numeric_ref(const char *s, size_t len, char *out, size_t *outlen)
{
	int hex = len > 0 && (s[0] == 'x' || s[0] == 'X');
	size_t i = (size_t)hex, start = i;
	unsigned long cp = 0;

	for (; i < len && (hex ? isxdigit((unsigned char)s[i]) : isdigit((unsigned char)s[i]));
	     i++) {
		int d = isdigit((unsigned char)s[i]) ? s[i] - '0'
						     : tolower((unsigned char)s[i]) - 'a' + 10;
		if (cp <= 0x10ffff)
			cp = cp * (hex ? 16 : 10) + (unsigned long)d;
	}
	if (i == start)
		return 0;
	if (i < len && s[i] == ';')
		i++;
	if (cp == 0)
		cp = 0xfffd;
	else if (cp >= 0x80 && cp < 0xa0)
		cp = mime_charset_cp1252((unsigned char)cp);
	*outlen = utf8_encode(cp, out);
	return i;
}

/* In text these read as nothing; in an attribute (a link) they are the
 * characters themselves, so a host hiding them still shows them. */
static const struct entity invisible[] = {
	{"shy", "\xc2\xad"},	 {"zwnj", "\xe2\x80\x8c"}, {"zwj", "\xe2\x80\x8d"},
	{"lrm", "\xe2\x80\x8e"}, {"rlm", "\xe2\x80\x8f"},
};

static const char *entity_value(const struct entity *e, int in_attr)
{
	for (size_t i = 0; in_attr && e->utf8[0] == '\0' && i < NELEM(invisible); i++)
		if (strcmp(invisible[i].name, e->name) == 0)
			return invisible[i].utf8;
	return e->utf8;
}

static size_t named_ref(const char *s, size_t len, int in_attr, const char **utf8)
{
	char name[ENTITY_NAME_MAX + 1];
	size_t n = 0;

	while (n < len && n < ENTITY_NAME_MAX && isalnum((unsigned char)s[n])) {
		name[n] = s[n];
		n++;
	}
	name[n] = '\0';
	for (size_t i = 0; i < NELEM(entities); i++) {
		if (strcmp(entities[i].name, name) != 0)
			continue;
		if (n < len && s[n] == ';') {
			*utf8 = entity_value(&entities[i], in_attr);
			return n + 1;
		}
		if (!in_attr && in_list(legacy, NELEM(legacy), name)) {
			*utf8 = entities[i].utf8;
			return n;
		}
	}
	return 0;
}

/* A character reference at s ("&..."): its UTF-8 in out and the bytes it
 * took, or 0 if it is not one (the "&" is then text). */
static size_t char_ref(const char *s, size_t len, int in_attr, char out[4], size_t *outlen)
{
	const char *utf8;
	size_t n;

	if (len > 1 && s[1] == '#') {
		n = numeric_ref(s + 2, len - 2, out, outlen);
		return n > 0 ? n + 2 : 0;
	}
	n = named_ref(s + 1, len - 1, in_attr, &utf8);
	if (n == 0)
		return 0;
	*outlen = strlen(utf8);
	memcpy(out, utf8, *outlen);
	return n + 1;
}

/* An attribute value, entity-decoded, blanks around it trimmed, into val. */
static void decode_value(struct html_out *o, const char *s, size_t len)
{
	char ref[4];
	size_t reflen, n;

	sb_reset(&o->val);
	while (len > 0 && is_blank((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len > 0 && is_blank((unsigned char)s[len - 1]))
		len--;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '&' && (n = char_ref(s + i, len - i, 1, ref, &reflen)) > 0) {
			sb_append_max(&o->val, ref, reflen);
			i += n - 1;
		} else if (sb_append_max(&o->val, s + i, 1) < 0) {
			break;
		}
	}
}

static void on_attr(struct html_out *o, const char *tag, const char *attr, const char *v, size_t n)
{
	if (strcmp(tag, "img") == 0 && strcmp(attr, "alt") == 0) {
		decode_value(o, v, n);
		o->space = 1;
		put_text(o, o->val.s != NULL ? o->val.s : "", o->val.len);
		o->space = 1;
		return;
	}
	if (o->on_link == NULL)
		return;
	for (size_t i = 0; i < NELEM(link_attrs); i++) {
		if (strcmp(link_attrs[i].tag, tag) == 0 && strcmp(link_attrs[i].attr, attr) == 0) {
			decode_value(o, v, n);
			if (o->val.len > 0)
				o->on_link(o->ctx, o->val.s, o->val.len);
			return;
		}
	}
}

/* A name (tag or attribute) at s, lower case and cut to TAG_NAME_MAX in
 * out; returns the bytes it takes in s. */
static size_t read_name(const char *s, size_t len, char *out)
{
	size_t i = 0, n = 0;

	for (; i < len && !is_blank((unsigned char)s[i]) && s[i] != '>' && s[i] != '/' &&
	       s[i] != '=' && (i == 0 || s[i] != '<');
	     i++) {
		if (n < TAG_NAME_MAX)
			out[n++] = (char)tolower((unsigned char)s[i]);
	}
	out[n] = '\0';
	return i;
}

/* The attributes of tag from s to its ">"; returns the bytes taken. */
static size_t read_attrs(struct html_out *o, const char *tag, int closing, const char *s,
			 size_t len)
{
	char name[TAG_NAME_MAX + 1];
	size_t i = 0;

	while (i < len) {
		const char *v = NULL;
		size_t vlen = 0;

		while (i < len && (is_blank((unsigned char)s[i]) || s[i] == '/'))
			i++;
		if (i >= len || s[i] == '>')
			return i < len ? i + 1 : len;
		i += read_name(s + i, len - i, name);
		while (i < len && is_blank((unsigned char)s[i]))
			i++;
		if (i < len && s[i] == '=') {
			for (i++; i < len && is_blank((unsigned char)s[i]); i++)
				;
			if (i < len && (s[i] == '"' || s[i] == '\'')) {
				const char *q = memchr(s + i + 1, s[i], len - i - 1);
				v = s + i + 1;
				vlen = q != NULL ? (size_t)(q - v) : len - i - 1;
				i = q != NULL ? (size_t)(q - s) + 1 : len;
			} else {
				for (v = s + i;
				     i < len && !is_blank((unsigned char)s[i]) && s[i] != '>'; i++)
					;
				vlen = (size_t)(s + i - v);
			}
		}
		if (!closing && v != NULL && name[0] != '\0')
			on_attr(o, tag, name, v, vlen < HTML_URL_MAX ? vlen : HTML_URL_MAX);
	}
	return len;
}

/* Where "</name" starts from s on (case aside), or len. */
static size_t find_end_tag(const char *s, size_t len, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = s; (p = memchr(p, '<', len - (size_t)(p - s))) != NULL; p++) {
		size_t left = len - (size_t)(p - s);
		if (left > n + 1 && p[1] == '/' && strncasecmp(p + 2, name, n) == 0)
			return (size_t)(p - s);
	}
	return len;
}

static void tag_effect(struct html_out *o, const char *name, int closing)
{
	if (strcmp(name, "head") == 0)
		o->in_head = !closing;
	else if (strcmp(name, "body") == 0)
		o->in_head = 0;
	if (in_list(line_tags, NELEM(line_tags), name)) {
		line_break(o);
	} else if (in_list(paragraph_tags, NELEM(paragraph_tags), name)) {
		line_break(o);
		line_break(o);
	} else if (in_list(space_tags, NELEM(space_tags), name)) {
		o->space = 1;
	}
}

/* A tag at s ("<" then a letter, or "</" then a letter); returns the bytes
 * it takes, with the content of a hidden element. */
static size_t read_tag(struct html_out *o, const char *s, size_t len)
{
	char name[TAG_NAME_MAX + 1];
	int closing = s[1] == '/';
	size_t i = 1 + (size_t)closing;

	i += read_name(s + i, len - i, name);
	i += read_attrs(o, name, closing, s + i, len - i);
	tag_effect(o, name, closing);
	if (!closing && in_list(hidden, NELEM(hidden), name))
		i += find_end_tag(s + i, len - i, name);
	return i;
}

/* "<!-- ... -->", "<!DOCTYPE ...>", "<?...>": skipped. */
static size_t skip_markup(const char *s, size_t len)
{
	const char *end;

	if (len >= 4 && memcmp(s, "<!--", 4) == 0) {
		for (size_t i = 4; i + 3 <= len; i++) {
			if (memcmp(s + i, "-->", 3) == 0)
				return i + 3;
		}
		return len;
	}
	end = memchr(s, '>', len);
	return end != NULL ? (size_t)(end - s) + 1 : len;
}

static size_t read_text(struct html_out *o, const char *s, size_t len)
{
	char ref[4];
	size_t reflen, n = 0;

	if (s[0] == '&' && (n = char_ref(s, len, 0, ref, &reflen)) > 0) {
		if (!o->in_head)
			put_text(o, ref, reflen);
		return n;
	}
	for (n = 1; n < len && s[n] != '<' && s[n] != '&'; n++)
		;
	if (!o->in_head)
		put_text(o, s, n);
	return n;
}

int html_to_text(const char *html, size_t len, struct strbuf *text, html_link_fn on_link, void *ctx)
{
	struct html_out o = {.text = text, .on_link = on_link, .ctx = ctx};
	size_t i = 0;

	sb_init(&o.val, HTML_URL_MAX);
	while (i < len && !o.cut) {
		const char *s = html + i;
		size_t left = len - i;
		unsigned char next = left > 1 ? (unsigned char)s[1] : 0;

		if (s[0] == '<' && (next == '!' || next == '?'))
			i += skip_markup(s, left);
		else if (s[0] == '<' && (isalpha(next) ||
					 (next == '/' && left > 2 && isalpha((unsigned char)s[2]))))
			i += read_tag(&o, s, left);
		else
			i += read_text(&o, s, left);
	}
	sb_free(&o.val);
	return o.cut ? -1 : 0;
}
