/* Charset conversion to UTF-8. UTF-8 and the Latin-1 family are decoded
 * here (they are most of the mail and need no state); the rest goes
 * through iconv. Invalid input never stops a conversion: each bad byte
 * becomes U+FFFD and the result says the text was not clean. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <string.h>

#include "mailsift/mime.h"
#include "mailsift/mime_charset.h"
#include "mailsift/utf8.h"

#define NO_CD ((iconv_t)-1)
#define CONV_BUF 4096

enum cs_kind { CS_NONE, CS_ASCII, CS_UTF8, CS_1252, CS_ICONV };

struct cs_alias {
	const char *name;
	enum cs_kind kind;
	const char *iconv_name; /* CS_ICONV: what iconv calls it */
};

/* Labels seen in mail, mapped to the charset mail clients actually mean
 * (a superset where the label is routinely wrong: gb2312 text is GBK,
 * iso-8859-1 text has windows-1252 quotes, ks_c_5601 is Microsoft's UHC). */
/* clang-format off */
static const struct cs_alias aliases[] = {
	{"us-ascii", CS_ASCII, NULL}, {"ascii", CS_ASCII, NULL},
	{"ansi_x3.4-1968", CS_ASCII, NULL}, {"iso646-us", CS_ASCII, NULL},
	{"us", CS_ASCII, NULL}, {"default", CS_NONE, NULL},
	{"unknown-8bit", CS_NONE, NULL}, {"x-unknown", CS_NONE, NULL},
	{"utf-8", CS_UTF8, NULL}, {"utf8", CS_UTF8, NULL},
	{"unicode-1-1-utf-8", CS_UTF8, NULL}, {"x-unicode20utf8", CS_UTF8, NULL},
	{"iso-8859-1", CS_1252, NULL}, {"iso8859-1", CS_1252, NULL},
	{"iso_8859-1", CS_1252, NULL}, {"iso_8859-1:1987", CS_1252, NULL},
	{"latin1", CS_1252, NULL}, {"latin-1", CS_1252, NULL}, {"l1", CS_1252, NULL},
	{"cp819", CS_1252, NULL}, {"ibm819", CS_1252, NULL}, {"iso-ir-100", CS_1252, NULL},
	{"windows-1252", CS_1252, NULL}, {"cp1252", CS_1252, NULL},
	{"x-cp1252", CS_1252, NULL}, {"win-1252", CS_1252, NULL},
	{"ks_c_5601-1987", CS_ICONV, "CP949"}, {"ks_c_5601", CS_ICONV, "CP949"},
	{"ks_c_5601-1989", CS_ICONV, "CP949"}, {"korean", CS_ICONV, "CP949"},
	{"euc-kr", CS_ICONV, "CP949"}, {"x-euc-kr", CS_ICONV, "CP949"},
	{"gb2312", CS_ICONV, "GB18030"}, {"gbk", CS_ICONV, "GB18030"},
	{"x-gbk", CS_ICONV, "GB18030"}, {"cp936", CS_ICONV, "GB18030"},
	{"euc-cn", CS_ICONV, "GB18030"}, {"chinese", CS_ICONV, "GB18030"},
	{"gb_2312-80", CS_ICONV, "GB18030"}, {"csgb2312", CS_ICONV, "GB18030"},
	{"big5", CS_ICONV, "CP950"}, {"x-big5", CS_ICONV, "CP950"},
	{"cn-big5", CS_ICONV, "CP950"}, {"csbig5", CS_ICONV, "CP950"},
	{"shift_jis", CS_ICONV, "CP932"}, {"shift-jis", CS_ICONV, "CP932"},
	{"x-sjis", CS_ICONV, "CP932"}, {"sjis", CS_ICONV, "CP932"},
	{"ms_kanji", CS_ICONV, "CP932"}, {"windows-31j", CS_ICONV, "CP932"},
	{"csshiftjis", CS_ICONV, "CP932"},
	{"iso-2022-jp", CS_ICONV, "ISO-2022-JP-2"}, {"csiso2022jp", CS_ICONV, "ISO-2022-JP-2"},
	{"x-euc-jp", CS_ICONV, "EUC-JP"},
	{"tis-620", CS_ICONV, "WINDOWS-874"}, {"windows-874", CS_ICONV, "WINDOWS-874"},
	{"iso-8859-11", CS_ICONV, "WINDOWS-874"},
	{"unicode-1-1-utf-7", CS_ICONV, "UTF-7"},
};

/* windows-1252 0x80..0x9f (undefined bytes stay C1 controls, as browsers do) */
static const unsigned short cp1252_high[32] = {
	0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f,
	0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
};
/* clang-format on */

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

void mime_charsets_init(struct mime_charsets *cs)
{
	memset(cs, 0, sizeof(*cs));
}

void mime_charsets_free(struct mime_charsets *cs)
{
	for (size_t i = 0; i < cs->n; i++) {
		if ((iconv_t)cs->e[i].cd != NO_CD)
			iconv_close((iconv_t)cs->e[i].cd);
	}
	cs->n = 0;
}

/* Lower case, without quotes, blanks and an RFC 2231 "*lang" suffix.
 * Returns 0, or -1 for a name no charset has (too long, odd bytes). */
static int normalize(const char *in, char *out, size_t size)
{
	size_t n = 0;

	while (*in == ' ' || *in == '\t' || *in == '"' || *in == '\'')
		in++;
	for (; *in != '\0' && *in != '*' && *in != '"' && *in != '\''; in++) {
		unsigned char c = (unsigned char)*in;
		if (c == ' ' || c == '\t' || c == ';')
			break;
		if (n + 1 >= size || !(isalnum(c) || strchr("-_.:()+", c) != NULL))
			return -1;
		out[n++] = (char)tolower(c);
	}
	out[n] = '\0';
	return 0;
}

static const struct cs_alias *find_alias(const char *name)
{
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		if (strcmp(aliases[i].name, name) == 0)
			return &aliases[i];
	}
	return NULL;
}

/* Appends under the cap; -1 (and *cut_r) once it is full. */
static int emit(struct strbuf *out, const char *s, size_t n, int *cut_r)
{
	if (sb_append_max(out, s, n) < 0) {
		*cut_r = 1;
		return -1;
	}
	return 0;
}

static int emit_cp(struct strbuf *out, unsigned long cp, int *cut_r)
{
	char b[4];

	return emit(out, b, utf8_encode(cp, b), cut_r);
}

unsigned long mime_charset_cp1252(unsigned char c)
{
	return c >= 0x80 && c < 0xa0 ? cp1252_high[c - 0x80] : c;
}

static void latin_to_utf8(const unsigned char *in, size_t len, struct strbuf *out, int *cut_r)
{
	size_t run = 0;

	for (size_t i = 0; i < len; i++) {
		if (in[i] < 0x80)
			continue;
		if (emit(out, (const char *)in + run, i - run, cut_r) < 0)
			return;
		run = i + 1;
		if (emit_cp(out, mime_charset_cp1252(in[i]), cut_r) < 0)
			return;
	}
	emit(out, (const char *)in + run, len - run, cut_r);
}

/* Bytes of an incomplete (but so far valid) UTF-8 sequence ending in. */
static size_t utf8_cut_tail(const unsigned char *in, size_t len)
{
	for (size_t back = 1; back <= 3 && back <= len; back++) {
		unsigned char c = in[len - back];
		size_t need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
		if ((c & 0xc0) == 0x80)
			continue;
		return need > back ? back : 0;
	}
	return 0;
}

/* 1 if in was not all well-formed UTF-8 (the bad bytes became U+FFFD). */
static int utf8_copy(const unsigned char *in, size_t len, struct strbuf *out, int *cut_r)
{
	size_t run = 0, i = 0;
	int bad = 0;

	while (i < len) {
		size_t n = in[i] < 0x80 ? 1 : utf8_seq_len(in + i, len - i);
		if (n > 0) {
			i += n;
			continue;
		}
		bad = 1;
		if (emit(out, (const char *)in + run, i - run, cut_r) < 0 ||
		    emit(out, replacement, 3, cut_r) < 0)
			return bad;
		run = ++i;
	}
	emit(out, (const char *)in + run, len - run, cut_r);
	return bad;
}

static int is_utf8(const unsigned char *in, size_t len, int *has8bit_r)
{
	*has8bit_r = 0;
	for (size_t i = 0; i < len;) {
		size_t n = in[i] < 0x80 ? 1 : utf8_seq_len(in + i, len - i);
		if (n == 0)
			return 0;
		if (n > 1)
			*has8bit_r = 1;
		i += n;
	}
	return 1;
}

/* No charset (or us-ascii): UTF-8 when it is, else windows-1252. */
static void guess_to_utf8(const unsigned char *in, size_t len, struct strbuf *out, int *has8bit_r,
			  int *cut_r)
{
	if (is_utf8(in, len, has8bit_r)) {
		emit(out, (const char *)in, len, cut_r);
		return;
	}
	*has8bit_r = 1;
	latin_to_utf8(in, len, out, cut_r);
}

static iconv_t cache_get(struct mime_charsets *cs, const char *name, int *owned_r)
{
	size_t slot;

	*owned_r = cs == NULL;
	if (cs == NULL)
		return iconv_open("UTF-8", name);
	for (size_t i = 0; i < cs->n; i++) {
		if (strcmp(cs->e[i].name, name) == 0)
			return (iconv_t)cs->e[i].cd;
	}
	if (cs->n < MIME_CHARSET_CACHE) {
		slot = cs->n++;
	} else {
		slot = cs->next;
		cs->next = (cs->next + 1) % MIME_CHARSET_CACHE;
		if ((iconv_t)cs->e[slot].cd != NO_CD)
			iconv_close((iconv_t)cs->e[slot].cd);
	}
	snprintf(cs->e[slot].name, sizeof(cs->e[slot].name), "%s", name);
	cs->e[slot].cd = iconv_open("UTF-8", name);
	return (iconv_t)cs->e[slot].cd;
}

static int iconv_to_utf8(iconv_t cd, const char *in, size_t len, struct strbuf *out, int tail_cut,
			 int *cut_r)
{
	char buf[CONV_BUF], *inp = (char *)in, *outp;
	size_t inleft = len, outleft;
	int bad = 0;

	iconv(cd, NULL, NULL, NULL, NULL);
	while (inleft > 0) {
		size_t r;
		outp = buf;
		outleft = sizeof(buf);
		r = iconv(cd, &inp, &inleft, &outp, &outleft);
		int err = errno;
		if (emit(out, buf, (size_t)(outp - buf), cut_r) < 0)
			return bad;
		if (r != (size_t)-1 || err == E2BIG)
			continue;
		if (err == EINVAL && tail_cut)
			break;
		bad = 1;
		if (emit(out, replacement, 3, cut_r) < 0 || err == EINVAL)
			return bad;
		inp++;
		inleft--;
	}
	outp = buf;
	outleft = sizeof(buf);
	iconv(cd, NULL, NULL, &outp, &outleft);
	emit(out, buf, (size_t)(outp - buf), cut_r);
	return bad;
}

int mime_charset_convert(struct mime_charsets *cs, const char *charset, const char *in, size_t len,
			 struct strbuf *out, int tail_cut, int *cut_r)
{
	char name[MIME_CHARSET_NAME_MAX];
	const unsigned char *u = (const unsigned char *)in;
	const struct cs_alias *a;
	int has8bit, owned, bad;
	iconv_t cd;

	*cut_r = 0;
	if (len == 0)
		return 0; /* (in may be NULL then) */
	if (charset == NULL || normalize(charset, name, sizeof(name)) < 0)
		name[0] = charset == NULL ? '\0' : '?';
	if (name[0] == '\0' || name[0] == '?') {
		guess_to_utf8(u, len, out, &has8bit, cut_r);
		return name[0] == '?';
	}
	a = find_alias(name);
	if (a != NULL && a->kind != CS_ICONV) {
		if (a->kind == CS_UTF8) {
			if (tail_cut)
				len -= utf8_cut_tail(u, len);
			return utf8_copy(u, len, out, cut_r);
		}
		if (a->kind == CS_1252) {
			latin_to_utf8(u, len, out, cut_r);
			return 0;
		}
		guess_to_utf8(u, len, out, &has8bit, cut_r);
		return a->kind == CS_ASCII && has8bit;
	}
	cd = cache_get(cs, a != NULL ? a->iconv_name : name, &owned);
	if (cd == NO_CD) {
		guess_to_utf8(u, len, out, &has8bit, cut_r);
		return 1;
	}
	bad = iconv_to_utf8(cd, in, len, out, tail_cut, cut_r);
	if (owned)
		iconv_close(cd);
	return bad;
}

int mime_to_utf8(const char *charset, const char *in, size_t len, struct strbuf *out)
{
	int cut, bad = mime_charset_convert(NULL, charset, in, len, out, 0, &cut);

	if (cut || out->failed) {
		out->failed = 1;
		return -1;
	}
	return bad;
}
