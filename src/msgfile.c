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

	sb_init(&sb, MSGFILE_MAX_BYTES);
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) {
		/* CRLF -> LF, as the MTA does before handing headers over */
		for (size_t i = 0; i < n; i++)
			if (buf[i] != '\r' || (i + 1 < n && buf[i + 1] != '\n'))
				sb_putc(&sb, buf[i]);
		if (sb.failed)
			break;
	}
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
	size_t vlen = len - vstart;
	h->name = strndup(line, (size_t)(colon - line));
	h->value = malloc(vlen + 1);
	if (h->name == NULL || h->value == NULL) {
		free(h->name);
		free(h->value);
		return -1;
	}
	/* NUL bytes would cut the C strings libmilter hands over, too */
	for (size_t i = 0; i < vlen; i++)
		h->value[i] = line[vstart + i] != '\0' ? line[vstart + i] : ' ';
	h->value[vlen] = '\0';
	mf->nheaders++;
	return 0;
}

/* 1 if line is "name:" with a field name of printable non-space ASCII. */
static int is_field_start(const char *line, size_t len)
{
	size_t i = 0;

	while (i < len && line[i] > 32 && line[i] < 127 && line[i] != ':')
		i++;
	return i > 0 && i < len && line[i] == ':';
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

/* One element of an address list: the part in <>, else the bare token
 * without comments. */
static void emit_address(const char *s, size_t len, void (*fn)(void *, const char *), void *ctx)
{
	char buf[1024];
	const char *lt = memchr(s, '<', len), *gt;
	size_t j = 0;

	if (lt != NULL && (gt = memchr(lt, '>', len - (size_t)(lt - s))) != NULL) {
		s = lt + 1;
		len = (size_t)(gt - s);
	}
	buf[j++] = '<';
	for (size_t i = 0, depth = 0; i < len && j + 2 < sizeof(buf); i++) {
		if (s[i] == '(')
			depth++;
		else if (s[i] == ')' && depth > 0)
			depth--;
		else if (depth == 0 && s[i] != ' ' && s[i] != '\t' && s[i] != '\n')
			buf[j++] = s[i];
	}
	buf[j++] = '>';
	buf[j] = '\0';
	if (j > 2)
		fn(ctx, buf);
}

void msgfile_each_address(const char *value, void (*fn)(void *ctx, const char *addr), void *ctx)
{
	const char *start = value;
	int quoted = 0, angle = 0;

	for (const char *p = value;; p++) {
		if (*p == '\0' || (*p == ',' && !quoted && !angle)) {
			emit_address(start, (size_t)(p - start), fn, ctx);
			if (*p == '\0')
				return;
			start = p + 1;
		} else if (*p == '"') {
			quoted = !quoted;
		} else if (*p == '<' && !quoted) {
			angle = 1;
		} else if (*p == '>' && !quoted) {
			angle = 0;
		}
	}
}
