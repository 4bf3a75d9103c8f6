/* ARC chain validation, RFC 8617 5.2.
 *
 * The header fields are kept (an ARC-Message-Signature may sign any of
 * them); the body is not: at the end of the header the signatures say
 * which body hashes they need, and those are computed as the body streams
 * by. Keys are fetched at the end of the message, each once. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "mailsift/arcverify.h"
#include "mailsift/arcchain.h"
#include "mailsift/log.h"

static const char *const cv_names[] = {
	[ARC_CV_NONE] = "none",
	[ARC_CV_PASS] = "pass",
	[ARC_CV_FAIL] = "fail",
	[ARC_CV_TEMPERROR] = "temperror",
};

const char *arc_cv_name(enum arc_cv cv)
{
	return (unsigned)cv <= ARC_CV_TEMPERROR ? cv_names[cv] : "?";
}

static void hash_emit(void *ctx, const unsigned char *data, size_t len);

struct arcverify_msg *arcverify_begin(struct dns_resolver *r, struct dns_budget *budget)
{
	struct arcverify_msg *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->resolver = r;
	m->budget = budget;
	for (int c = 0; c < 2; c++) {
		m->sinks[c].m = m;
		m->sinks[c].canon = (enum dkimcanon)c;
		dkimcanon_body_init(&m->canon[c], (enum dkimcanon)c, hash_emit, &m->sinks[c]);
	}
	return m;
}

/* Logged at the end of the header, and only when there is a chain. */
static void over_limit(struct arcverify_msg *m, const char *what)
{
	if (!m->overflow)
		m->overflow = what;
}

static int arc_kind_of(const char *name, enum arc_kind *k)
{
	for (int i = 0; i < ARC_KINDS; i++) {
		if (strcasecmp(name, arcchain_kind_name((enum arc_kind)i)) == 0) {
			*k = (enum arc_kind)i;
			return 1;
		}
	}
	return 0;
}

static int keep_header(struct arcverify_msg *m, const char *name, const char *value)
{
	size_t bytes = strlen(name) + strlen(value);
	struct arc_header *h;

	if (m->nheaders == ARC_MAX_HEADERS || bytes > ARC_MAX_HEADER_BYTES - m->header_bytes) {
		over_limit(m, "too many header fields or bytes");
		return -1;
	}
	if (m->nheaders == m->cap) {
		size_t ncap = m->cap ? 2 * m->cap : 32;
		struct arc_header *nh = realloc(m->headers, ncap * sizeof(*nh));

		if (nh == NULL)
			return -1;
		m->headers = nh;
		m->cap = ncap;
	}
	h = &m->headers[m->nheaders];
	h->name = strdup(name);
	h->value = strdup(value);
	if (h->name == NULL || h->value == NULL) {
		free(h->name);
		free(h->value);
		over_limit(m, "out of memory");
		return -1;
	}
	m->nheaders++;
	m->header_bytes += bytes;
	return 0;
}

void arcverify_header(struct arcverify_msg *m, const char *name, const char *value)
{
	enum arc_kind k = ARC_AAR;
	int is_arc = arc_kind_of(name, &k);

	if (is_arc)
		m->narc++;
	if (m->overflow || m->eoh_done || keep_header(m, name, value) < 0 || !is_arc)
		return;
	if (m->nfields == ARC_MAX_FIELDS) {
		over_limit(m, "more than 50 ARC sets");
		return;
	}
	if (m->fields == NULL && (m->fields = calloc(ARC_MAX_FIELDS, sizeof(*m->fields))) == NULL) {
		over_limit(m, "out of memory");
		return;
	}
	m->fields[m->nfields].kind = k;
	m->fields[m->nfields].header = m->nheaders - 1;
	m->nfields++;
}

/* The hash for (canonicalization, l=), added if new; NULL when there are
 * already ARC_MAX_BODY_HASHES. */
static struct body_hash *body_hash_for(struct arcverify_msg *m, const struct ams_params *p)
{
	struct body_hash *h;

	for (size_t i = 0; i < m->nhashes; i++) {
		h = &m->hashes[i];
		if (h->canon == p->bcanon && h->has_limit == p->has_limit && h->limit == p->limit)
			return h;
	}
	if (m->nhashes == ARC_MAX_BODY_HASHES)
		return NULL;
	h = &m->hashes[m->nhashes];
	if ((h->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(h->md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(h->md);
		h->md = NULL;
		return NULL;
	}
	h->canon = p->bcanon;
	h->has_limit = p->has_limit;
	h->limit = p->limit;
	m->canon_on[p->bcanon] = 1;
	m->nhashes++;
	return h;
}

/* The newest signature first: it alone decides the chain; the older ones
 * only give oldest-pass, and go without a hash past the limit. */
static void plan_body_hashes(struct arcverify_msg *m)
{
	for (unsigned i = m->nsets; i >= 1; i--) {
		struct ams_params p;

		if (arcchain_ams_params(m->set[i - 1][ARC_AMS], &p) == NULL)
			m->ams_hash[i - 1] = body_hash_for(m, &p);
	}
}

void arcverify_eoh(struct arcverify_msg *m)
{
	if (m->eoh_done)
		return;
	m->eoh_done = 1;
	if (m->narc == 0) {
		m->verdict = ARC_CV_NONE;
		m->decided = 1;
		return;
	}
	if (arcchain_structure(m) == 0)
		plan_body_hashes(m);
}

static void hash_emit(void *ctx, const unsigned char *data, size_t len)
{
	struct canon_sink *s = ctx;
	struct arcverify_msg *m = s->m;

	for (size_t i = 0; i < m->nhashes; i++) {
		struct body_hash *h = &m->hashes[i];
		size_t take = len;

		if (h->canon != s->canon)
			continue;
		if (h->has_limit)
			take = h->count >= h->limit	   ? 0
			       : h->limit - h->count < len ? (size_t)(h->limit - h->count)
							   : len;
		if (take > 0)
			EVP_DigestUpdate(h->md, data, take);
		h->count += len;
	}
}

void arcverify_body(struct arcverify_msg *m, const unsigned char *data, size_t len)
{
	if (!m->eoh_done)
		arcverify_eoh(m);
	for (int c = 0; c < 2; c++)
		if (m->canon_on[c])
			dkimcanon_body_update(&m->canon[c], data, len);
}

static void finish_hashes(struct arcverify_msg *m)
{
	for (int c = 0; c < 2; c++)
		if (m->canon_on[c])
			dkimcanon_body_final(&m->canon[c]);
	for (size_t i = 0; i < m->nhashes; i++) {
		struct body_hash *h = &m->hashes[i];

		if (EVP_DigestFinal_ex(h->md, h->digest, &h->dlen) != 1)
			h->dlen = 0;
	}
}

static const char *tag_or_empty(const struct arc_field *f, const char *name)
{
	const char *v = f != NULL ? dkimtags_get(&f->tags, name) : NULL;

	return v != NULL ? v : "";
}

/* The AAR value after its "i=N;". */
static const char *aar_text(const struct arcverify_msg *m, const struct arc_field *f)
{
	const char *v;

	if (f == NULL)
		return "";
	v = m->headers[f->header].value + f->aar_offset;
	while (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n')
		v++;
	return v;
}

static void fill_result(struct arcverify_msg *m, struct arc_result *out)
{
	memset(out, 0, sizeof(*out));
	out->cv = m->verdict;
	out->reason = m->verdict == ARC_CV_PASS || m->verdict == ARC_CV_NONE ? "" : m->reason;
	out->nsets = m->nsets;
	out->sets = m->nsets > 0 ? m->info : NULL;
	out->oldest_pass = m->verdict == ARC_CV_PASS ? m->oldest_pass : 0;
	for (unsigned i = 0; i < m->nsets; i++) {
		struct arc_field *const *set = m->set[i];
		struct arc_set_info *info = &m->info[i];

		info->instance = i + 1;
		info->as_domain = tag_or_empty(set[ARC_AS], "d");
		info->as_selector = tag_or_empty(set[ARC_AS], "s");
		info->ams_domain = tag_or_empty(set[ARC_AMS], "d");
		info->ams_selector = tag_or_empty(set[ARC_AMS], "s");
		info->aar = aar_text(m, set[ARC_AAR]);
	}
}

void arcverify_eom(struct arcverify_msg *m, struct arc_result *out)
{
	if (!m->eoh_done)
		arcverify_eoh(m);
	if (!m->eom_done) {
		m->eom_done = 1;
		finish_hashes(m);
		if (!m->decided)
			arcchain_validate(m);
	}
	fill_result(m, out);
}

void arcverify_end(struct arcverify_msg **mp)
{
	struct arcverify_msg *m = *mp;

	if (m == NULL)
		return;
	for (size_t i = 0; i < m->nheaders; i++) {
		free(m->headers[i].name);
		free(m->headers[i].value);
	}
	free(m->headers);
	for (size_t i = 0; i < m->nfields; i++)
		dkimtags_free(&m->fields[i].tags);
	free(m->fields);
	for (size_t i = 0; i < m->nhashes; i++)
		EVP_MD_CTX_free(m->hashes[i].md);
	for (size_t i = 0; i < m->nkeys; i++)
		EVP_PKEY_free(m->keys[i].key);
	free(m);
	*mp = NULL;
}

/* Comments in A-R may not hold unbalanced parentheses or backslashes. */
static void comment_safe(char *s)
{
	for (; *s; s++)
		if (*s == '(' || *s == ')' || *s == '\\' || (unsigned char)*s < 0x20)
			*s = ' ';
}

int arcverify_authres(const struct arc_result *r, char *buf, size_t cap)
{
	char reason[sizeof(((struct arcverify_msg *)0)->reason)];
	int n;

	snprintf(reason, sizeof(reason), "%s", r->reason != NULL ? r->reason : "");
	comment_safe(reason);
	switch (r->cv) {
	case ARC_CV_PASS:
		if (r->oldest_pass > 0)
			n = snprintf(buf, cap, "arc=pass header.oldest-pass=%u", r->oldest_pass);
		else
			n = snprintf(buf, cap, "arc=pass");
		break;
	case ARC_CV_FAIL: n = snprintf(buf, cap, "arc=fail (%s)", reason); break;
	case ARC_CV_TEMPERROR:
		n = snprintf(buf, cap, "arc=fail (temporary error: %s)", reason);
		break;
	default: n = snprintf(buf, cap, "arc=none"); break;
	}
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}
