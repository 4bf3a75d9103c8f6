/* Message files for the offline tool. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mailsift/msgfile.h"
#include "mailsift/strbuf.h"

static int read_all(FILE *fp, struct msgfile *mf, const char **error_r)
{
	struct strbuf sb;
	char buf[65536];
	size_t n;
	int cr = 0; /* a CR waiting to see whether an LF follows */

	sb_init(&sb, MSGFILE_MAX_BYTES);
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0 && !sb.failed) {
		/* CRLF -> LF, as the MTA does before handing headers over */
		for (size_t i = 0; i < n; i++) {
			if (cr && buf[i] != '\n')
				sb_putc(&sb, '\r');
			cr = buf[i] == '\r';
			if (!cr)
				sb_putc(&sb, buf[i]);
		}
	}
	if (cr)
		sb_putc(&sb, '\r');
	if (ferror(fp) || sb.failed) {
		*error_r = sb.failed ? "message larger than 64 MiB" : "read error";
		sb_free(&sb);
		return -1;
	}
	mf->len = sb.len;
	mf->data = sb_take(&sb);
	if (mf->data == NULL) {
		*error_r = "out of memory";
		return -1;
	}
	return 0;
}

static int add_header(struct msgfile *mf, const char *line, size_t len)
{
	const char *colon = memchr(line, ':', len);
	struct msg_header *h;
	size_t vstart;

	if (mf->nheaders >= MSGFILE_MAX_HEADERS)
		return -1;
	h = realloc(mf->headers, (mf->nheaders + 1) * sizeof(*h));
	if (h == NULL)
		return -1;
	mf->headers = h;
	h = &mf->headers[mf->nheaders];
	vstart = (size_t)(colon - line) + 1;
	while (vstart < len && (line[vstart] == ' ' || line[vstart] == '\t'))
		vstart++;
	size_t vlen = len - vstart, rstart = (size_t)(colon - line) + 1;
	size_t nlen = (size_t)(colon - line);
	while (nlen > 0 && (line[nlen - 1] == ' ' || line[nlen - 1] == '\t'))
		nlen--;
	h->name = strndup(line, nlen);
	h->value = malloc(vlen + 1);
	h->raw = malloc(len - rstart + 1);
	if (h->name == NULL || h->value == NULL || h->raw == NULL) {
		free(h->name);
		free(h->value);
		free(h->raw);
		return -1;
	}
	for (size_t i = rstart; i < len; i++)
		h->raw[i - rstart] = line[i] != '\0' ? line[i] : ' ';
	h->raw[len - rstart] = '\0';
	/* NUL bytes would cut the C strings libmilter hands over, too */
	for (size_t i = 0; i < vlen; i++)
		h->value[i] = line[vstart + i] != '\0' ? line[vstart + i] : ' ';
	h->value[vlen] = '\0';
	mf->nheaders++;
	return 0;
}

/* 1 if line is "name:" with a field name of printable non-space ASCII;
 * white space before the colon is the obsolete syntax of RFC 5322 4.5,
 * which Postfix accepts too (and hands over without it). */
static int is_field_start(const char *line, size_t len)
{
	size_t i = 0, name;

	while (i < len && line[i] > 32 && line[i] < 127 && line[i] != ':')
		i++;
	name = i;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	return name > 0 && i < len && line[i] == ':';
}

static int split_headers(struct msgfile *mf, const char **error_r)
{
	const char *p = mf->data, *end = mf->data + mf->len;

	if (end - p > 5 && strncmp(p, "From ", 5) == 0) { /* mbox separator */
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		p = nl != NULL ? nl + 1 : end;
	}
	while (p < end && *p != '\n') {
		const char *start = p, *nl;

		if (!is_field_start(p, (size_t)(end - p)))
			break; /* not a header: the body starts here, as in Postfix */
		do {
			nl = memchr(p, '\n', (size_t)(end - p));
			p = nl != NULL ? nl + 1 : end;
		} while (p < end && (*p == ' ' || *p == '\t'));
		size_t len = (size_t)(p - start);
		if (len > 0 && start[len - 1] == '\n')
			len--;
		if (add_header(mf, start, len) < 0) {
			*error_r = mf->nheaders >= MSGFILE_MAX_HEADERS ? "too many header fields"
								       : "out of memory";
			return -1;
		}
	}
	if (p < end && *p == '\n')
		p++;
	mf->body = p;
	mf->body_len = (size_t)(end - p);
	return 0;
}

int msgfile_read(FILE *fp, struct msgfile *out, const char **error_r)
{
	memset(out, 0, sizeof(*out));
	if (read_all(fp, out, error_r) < 0 || split_headers(out, error_r) < 0) {
		msgfile_free(out);
		return -1;
	}
	return 0;
}

void msgfile_free(struct msgfile *mf)
{
	for (size_t i = 0; i < mf->nheaders; i++) {
		free(mf->headers[i].name);
		free(mf->headers[i].value);
		free(mf->headers[i].raw);
	}
	free(mf->headers);
	free(mf->data);
	memset(mf, 0, sizeof(*mf));
}

const char *msgfile_header(const struct msgfile *mf, const char *name)
{
	for (size_t i = 0; i < mf->nheaders; i++)
		if (strcasecmp(mf->headers[i].name, name) == 0)
			return mf->headers[i].value;
	return NULL;
}

/* Splitting an RFC 5322 address list: commas, groups ("name: a, b;"),
 * comments and quoted strings with backslash escapes. Each element's
 * address is the part in angle brackets, else its bare text. */
#define ADDRLIST_ITEM_MAX 1024

struct addr_scan {
	char bare[ADDRLIST_ITEM_MAX];  /* text outside comments and brackets */
	char angle[ADDRLIST_ITEM_MAX]; /* text inside <...> */
	size_t nbare, nangle;
	int quoted, comment, in_angle, had_angle, overflow;
};

static void scan_put(struct addr_scan *sc, char c)
{
	char *buf = sc->in_angle ? sc->angle : sc->bare;
	size_t *n = sc->in_angle ? &sc->nangle : &sc->nbare;

	if (*n + 1 < ADDRLIST_ITEM_MAX)
		buf[(*n)++] = c;
	else
		sc->overflow = 1;
}

static void scan_emit(struct addr_scan *sc, void (*fn)(void *, const char *), void *ctx)
{
	char out[ADDRLIST_ITEM_MAX + 2];
	const char *a = sc->had_angle ? sc->angle : sc->bare;
	size_t n = sc->had_angle ? sc->nangle : sc->nbare;

	if (n > 0 && !sc->overflow) {
		out[0] = '<';
		memcpy(out + 1, a, n);
		out[n + 1] = '>';
		out[n + 2] = '\0';
		fn(ctx, out);
	}
	memset(sc, 0, sizeof(*sc));
}

/* One character outside quotes and comments. */
static void scan_plain(struct addr_scan *sc, char c, void (*fn)(void *, const char *), void *ctx)
{
	if (c == '<' && !sc->in_angle) {
		sc->in_angle = sc->had_angle = 1;
		sc->nangle = 0;
	} else if (c == '>' && sc->in_angle) {
		sc->in_angle = 0;
	} else if (sc->in_angle) {
		if (c != ' ' && c != '\t' && c != '\n')
			scan_put(sc, c);
	} else if (c == ',' || c == ';') {
		scan_emit(sc, fn, ctx);
	} else if (c == ':') {
		sc->nbare = 0; /* what came before was a group's name */
	} else if (c != ' ' && c != '\t' && c != '\n') {
		scan_put(sc, c);
	}
}

void msgfile_each_address(const char *value, void (*fn)(void *ctx, const char *addr), void *ctx)
{
	struct addr_scan sc;

	memset(&sc, 0, sizeof(sc));
	for (const char *p = value; *p != '\0'; p++) {
		if (sc.comment > 0) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '(')
				sc.comment++;
			else if (*p == ')')
				sc.comment--;
		} else if (sc.quoted) {
			if (*p == '\\' && p[1] != '\0')
				scan_put(&sc, *p++);
			if (*p == '"')
				sc.quoted = 0;
			scan_put(&sc, *p);
		} else if (*p == '"') {
			sc.quoted = 1;
			scan_put(&sc, *p);
		} else if (*p == '(') {
			sc.comment = 1;
		} else {
			scan_plain(&sc, *p, fn, ctx);
		}
	}
	scan_emit(&sc, fn, ctx);
}
