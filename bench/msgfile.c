/*
 * msgfile.c - load the message files of a directory into memory.
 *
 * Headers end at the first empty line (CRLF or LF); folded header lines
 * are kept joined by LF, the body is stored with CRLF line endings.  The
 * envelope comes from the From:/To: headers when an address is found.
 */
#include "milterload.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_MAX (64L * 1024 * 1024)
#define FILES_MAX 100000

static int sb_add(struct sbuf *b, const void *d, size_t n)
{
	if (n > b->cap - b->len) {
		size_t nc = b->cap ? b->cap : 256;
		char *np;

		while (nc - b->len < n) {
			if (nc > SIZE_MAX / 2)
				return -1;
			nc *= 2;
		}
		if ((np = realloc(b->p, nc)) == NULL)
			return -1;
		b->p = np;
		b->cap = nc;
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
	return 0;
}

static int is_header_line(const char *l, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < 998; i++) {
		if (l[i] == ':')
			return i > 0;
		if (l[i] <= ' ' || l[i] > '~')
			return 0;
	}
	return 0;
}

static int add_header_line(struct msg *m, const char *l, size_t n)
{
	const char *colon = memchr(l, ':', n);
	size_t nl = (size_t)(colon - l);
	struct hdr *nh = realloc(m->hdrs, (m->nhdrs + 1) * sizeof *nh);

	if (nh == NULL)
		return -1;
	m->hdrs = nh;
	nh = &m->hdrs[m->nhdrs];
	memset(nh, 0, sizeof *nh);
	if ((nh->name = malloc(nl + 1)) == NULL)
		return -1;
	memcpy(nh->name, l, nl);
	nh->name[nl] = '\0';
	m->nhdrs++;
	n -= nl + 1;
	if (nl + n + 2 > CHUNK_MAX) /* keep packets within the data limit */
		n = CHUNK_MAX - nl - 2;
	return sb_add(&nh->val, colon + 1, n);
}

static int add_continuation(struct msg *m, const char *l, size_t n)
{
	struct sbuf *v = &m->hdrs[m->nhdrs - 1].val;

	if (v->len + n + 1 + strlen(m->hdrs[m->nhdrs - 1].name) + 2 > CHUNK_MAX)
		return 0; /* keep packets within the data limit */
	return sb_add(v, "\n", 1) < 0 ? -1 : sb_add(v, l, n);
}

static void find_addr(const struct msg *m, const char *name, char *out, size_t outsz,
		      const char *dflt)
{
	size_t i;

	snprintf(out, outsz, "%s", dflt);
	for (i = 0; i < m->nhdrs; i++) {
		const struct sbuf *v = &m->hdrs[i].val;
		const char *p, *e, *lt, *at;

		if (strcasecmp(m->hdrs[i].name, name) != 0 || v->len == 0)
			continue;
		p = v->p;
		e = v->p + v->len;
		if ((lt = memchr(p, '<', v->len)) != NULL)
			p = lt + 1;
		if ((at = memchr(p, '@', (size_t)(e - p))) == NULL)
			return;
		while (at > p && strchr(" \t\n<>\",;:()", at[-1]) == NULL)
			at--;
		p = at;
		for (e = p; e < v->p + v->len && strchr(" \t\n<>\",;:()", *e) == NULL; e++)
			;
		if (e > p && (size_t)(e - p) < outsz && memchr(p, '@', (size_t)(e - p)))
			snprintf(out, outsz, "%.*s", (int)(e - p), p);
		return;
	}
}

static int parse_msg(char *buf, size_t len, struct msg *m)
{
	size_t pos = 0;
	int in_hdr = 1;

	memset(m, 0, sizeof *m);
	for (size_t i = 0; i < len; i++) /* NUL cannot travel in strings */
		if (buf[i] == '\0')
			buf[i] = ' ';
	if (len > 5 && memcmp(buf, "From ", 5) == 0) { /* mbox separator */
		const char *nl = memchr(buf, '\n', len);

		pos = nl ? (size_t)(nl - buf) + 1 : len;
	}
	while (pos < len) {
		const char *l = buf + pos, *eol = memchr(l, '\n', len - pos);
		size_t n = eol ? (size_t)(eol - l) : len - pos;
		int rc = 0;

		pos += n + (eol ? 1 : 0);
		if (n > 0 && l[n - 1] == '\r')
			n--;
		if (in_hdr && n == 0) {
			in_hdr = 0;
			continue;
		}
		if (in_hdr && (l[0] == ' ' || l[0] == '\t') && m->nhdrs > 0)
			rc = add_continuation(m, l, n);
		else if (in_hdr && is_header_line(l, n))
			rc = add_header_line(m, l, n);
		else {
			in_hdr = 0; /* not a header: the body starts here */
			rc = sb_add(&m->body, l, n) < 0 ? -1 : sb_add(&m->body, "\r\n", 2);
		}
		if (rc < 0)
			return -1;
	}
	find_addr(m, "From", m->from, sizeof m->from, "sender@example.com");
	find_addr(m, "To", m->to, sizeof m->to, "user@example.test");
	return 0;
}

static char *read_file(const char *path, size_t *len)
{
	struct stat sb;
	char *buf;
	size_t got = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size > FILE_MAX ||
	    (buf = malloc((size_t)sb.st_size + 1)) == NULL) {
		close(fd);
		return NULL;
	}
	while (got < (size_t)sb.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)sb.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	*len = got;
	return buf;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_msg(struct msg *m)
{
	size_t i;

	for (i = 0; i < m->nhdrs; i++) {
		free(m->hdrs[i].name);
		free(m->hdrs[i].val.p);
	}
	free(m->hdrs);
	free(m->body.p);
}

void free_messages(struct msg *msgs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free_msg(&msgs[i]);
	free(msgs);
}

static int load_file(const char *dir, const char *name, struct msg **msgs, size_t *n)
{
	char path[4096];
	size_t len = 0;
	char *buf;
	struct msg *nm;
	int rc;

	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
		return 0;
	if ((buf = read_file(path, &len)) == NULL)
		return 0; /* not a readable regular file */
	if ((nm = realloc(*msgs, (*n + 1) * sizeof *nm)) == NULL) {
		free(buf);
		return -1;
	}
	*msgs = nm;
	rc = parse_msg(buf, len, &nm[*n]);
	free(buf);
	if (rc == 0)
		(*n)++;
	else
		free_msg(&nm[*n]);
	return rc;
}

static char **list_dir(const char *dir, size_t *count)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL, **nn;
	size_t n = 0;

	if (d == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL && n < FILES_MAX) {
		if (de->d_name[0] == '.')
			continue;
		if ((nn = realloc(names, (n + 1) * sizeof *nn)) == NULL)
			break;
		names = nn;
		if ((names[n] = strdup(de->d_name)) == NULL)
			break;
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof *names, cmp_str);
	*count = n;
	return names;
}

int load_messages(const char *dir, struct msg **msgs, size_t *n)
{
	size_t count = 0, i;
	char **names = list_dir(dir, &count);
	int rc = 0;

	*msgs = NULL;
	*n = 0;
	for (i = 0; i < count; i++) {
		if (rc == 0 && load_file(dir, names[i], msgs, n) < 0)
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}
