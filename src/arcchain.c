/* The ARC chain itself, RFC 8617 5.2: its shape at the end of the header,
 * its signatures at the end of the message. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mailsift/arcchain.h"

/* t= and l= are decimal numbers of at most this many digits. */
#define ARC_NUMBER_DIGITS 20

enum vres { V_PASS, V_FAIL, V_TEMP };

static const char *const kind_names[ARC_KINDS] = {
	[ARC_AAR] = "ARC-Authentication-Results",
	[ARC_AMS] = "ARC-Message-Signature",
	[ARC_AS] = "ARC-Seal",
};

const char *arcchain_kind_name(enum arc_kind k)
{
	return kind_names[k];
}

int arcchain_fail(struct arcverify_msg *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->reason, sizeof(m->reason), fmt, ap);
	va_end(ap);
	m->verdict = ARC_CV_FAIL;
	m->decided = 1;
	return -1;
}

static int is_fws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static const char *skip_fws(const char *p)
{
	while (is_fws(*p))
		p++;
	return p;
}

/* RFC 8617 4.1.1: an AAR starts with "i=N;" (FWS allowed around). */
static int parse_aar(const char *v, unsigned long long *inst, size_t *offset)
{
	const char *p = skip_fws(v), *digits;

	if (*p != 'i')
		return -1;
	p = skip_fws(p + 1);
	if (*p != '=')
		return -1;
	digits = p = skip_fws(p + 1);
	*inst = 0;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (p - digits == 3)
			return -1;
		*inst = *inst * 10 + (unsigned long long)(*p - '0');
	}
	if (p == digits)
		return -1;
	p = skip_fws(p);
	if (*p != ';')
		return -1;
	*offset = (size_t)(p + 1 - v);
	return 0;
}

static const char *parse_field(struct arcverify_msg *m, struct arc_field *f)
{
	const char *v = m->headers[f->header].value, *i, *why = NULL;
	unsigned long long n = 0;

	if (f->kind == ARC_AAR) {
		if (parse_aar(v, &n, &f->aar_offset) < 0)
			return "no i=N; at its start";
	} else {
		if (dkimtags_parse(v, &f->tags, &why) < 0)
			return why;
		i = dkimtags_get(&f->tags, "i");
		if (i == NULL || dkimtags_number(i, 3, &n) < 0)
			return "bad or missing i=";
	}
	if (n < 1 || n > ARC_MAX_SETS)
		return n == 0 ? "i=0" : "instance above 50";
	f->instance = (unsigned)n;
	return NULL;
}

/* Parses every field and sorts them by instance; the first problem is the
 * reason, but all fields are looked at so that the result can show them. */
static int place_fields(struct arcverify_msg *m)
{
	char first[sizeof(m->reason)] = "";

	for (size_t i = 0; i < m->nfields; i++) {
		struct arc_field *f = &m->fields[i], **slot;
		const char *why = parse_field(m, f);

		if (why != NULL) {
			if (first[0] == '\0')
				snprintf(first, sizeof(first), "%s: %s", kind_names[f->kind], why);
			continue;
		}
		slot = &m->set[f->instance - 1][f->kind];
		if (*slot != NULL && first[0] == '\0')
			snprintf(first, sizeof(first), "more than one %s with i=%u",
				 kind_names[f->kind], f->instance);
		if (*slot == NULL)
			*slot = f;
		if (f->instance > m->nsets)
			m->nsets = f->instance;
	}
	return first[0] != '\0' ? arcchain_fail(m, "%s", first) : 0;
}

static const char *common_tags(const struct dkimtags *t)
{
	const char *a = dkimtags_get(t, "a"), *d = dkimtags_get(t, "d");
	const char *s = dkimtags_get(t, "s"), *ts = dkimtags_get(t, "t");
	unsigned long long n;

	if (a == NULL)
		return "a= missing";
	/* RFC 8617 4.1.3 and RFC 8301: rsa-sha1 is not acceptable */
	if (strcmp(a, "rsa-sha256") != 0)
		return "unsupported algorithm";
	if (dkimtags_get(t, "b") == NULL)
		return "b= missing";
	if (d == NULL || !dkimtags_domain_valid(d))
		return "bad or missing d=";
	if (s == NULL || !dkimtags_domain_valid(s))
		return "bad or missing s=";
	if (ts != NULL && dkimtags_number(ts, ARC_NUMBER_DIGITS, &n) < 0)
		return "bad t=";
	return NULL;
}

/* RFC 8617 5.2 step 3: i=1 seals cv=none, the others cv=pass. */
static const char *seal_tags(const struct arc_field *f)
{
	const char *cv = dkimtags_get(&f->tags, "cv"), *why = common_tags(&f->tags);

	if (why != NULL)
		return why;
	if (cv == NULL)
		return "cv= missing";
	if (strcmp(cv, "none") != 0 && strcmp(cv, "pass") != 0 && strcmp(cv, "fail") != 0)
		return "bad cv=";
	if (strcmp(cv, f->instance == 1 ? "none" : "pass") != 0)
		return f->instance == 1 ? "cv= is not none in the first set"
					: "cv= is not pass after the first set";
	/* RFC 8617 4.1.3: a seal signs ARC fields only */
	if (dkimtags_get(&f->tags, "h") != NULL)
		return "h= in a seal";
	return NULL;
}

/* 1 if the h= list names the field. */
static int h_has(const char *h, const char *name)
{
	size_t nl = strlen(name);

	for (const char *p = h; *p;) {
		size_t n;

		p = skip_fws(p);
		n = strcspn(p, ":");
		while (n > 0 && is_fws(p[n - 1]))
			n--;
		if (n == nl && strncasecmp(p, name, n) == 0)
			return 1;
		p += strcspn(p, ":");
		if (*p == ':')
			p++;
	}
	return 0;
}

static const char *body_params(const struct dkimtags *t, struct ams_params *p)
{
	const char *c = dkimtags_get(t, "c"), *l = dkimtags_get(t, "l");
	const char *bh = dkimtags_get(t, "bh");

	p->hcanon = p->bcanon = DKIMCANON_SIMPLE;
	if (c != NULL && dkimcanon_parse(c, &p->hcanon, &p->bcanon) < 0)
		return "bad c=";
	p->has_limit = l != NULL;
	p->limit = 0;
	if (l != NULL && dkimtags_number(l, ARC_NUMBER_DIGITS, &p->limit) < 0)
		return "bad l=";
	if (bh == NULL)
		return "bh= missing";
	if (dkimtags_base64(bh, p->bh, sizeof(p->bh), &p->bhlen) < 0 || p->bhlen != 32)
		return "bh= is not a SHA-256 hash";
	return NULL;
}

const char *arcchain_ams_params(const struct arc_field *f, struct ams_params *p)
{
	const char *h = dkimtags_get(&f->tags, "h"), *why = common_tags(&f->tags);

	if (why != NULL)
		return why;
	if (h == NULL)
		return "h= missing";
	/* RFC 8617 4.1.2 */
	if (h_has(h, "arc-seal"))
		return "h= signs ARC-Seal";
	return body_params(&f->tags, p);
}

/* Steps 1-3, and the tags of what must verify. */
int arcchain_structure(struct arcverify_msg *m)
{
	struct ams_params p;
	const char *why, *cv;

	if (m->overflow != NULL)
		log_notice("arc: %s: the chain is not checked", m->overflow);
	if (m->narc > ARC_MAX_FIELDS)
		return arcchain_fail(m, "more than 50 ARC sets");
	if (m->overflow != NULL)
		return arcchain_fail(m, "header too large to check: %s", m->overflow);
	if (place_fields(m) < 0)
		return -1;
	for (unsigned i = 1; i <= m->nsets; i++)
		for (int k = 0; k < ARC_KINDS; k++)
			if (m->set[i - 1][k] == NULL)
				return arcchain_fail(m, "no %s with i=%u", kind_names[k], i);
	cv = dkimtags_get(&m->set[m->nsets - 1][ARC_AS]->tags, "cv");
	if (cv != NULL && strcmp(cv, "fail") == 0)
		return arcchain_fail(m, "the newest ARC-Seal says cv=fail");
	for (unsigned i = 1; i <= m->nsets; i++)
		if ((why = seal_tags(m->set[i - 1][ARC_AS])) != NULL)
			return arcchain_fail(m, "ARC-Seal i=%u: %s", i, why);
	if ((why = arcchain_ams_params(m->set[m->nsets - 1][ARC_AMS], &p)) != NULL)
		return arcchain_fail(m, "ARC-Message-Signature i=%u: %s", m->nsets, why);
	return 0;
}

static struct arc_key *get_key(struct arcverify_msg *m, const char *s, const char *d)
{
	char name[DNS_NAME_MAX + 1];
	struct arc_key *k;

	snprintf(name, sizeof(name), "%s._domainkey.%s", s, d);
	for (char *p = name; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	for (size_t i = 0; i < m->nkeys; i++)
		if (strcmp(m->keys[i].name, name) == 0)
			return &m->keys[i];
	/* every set has two keys at most: the table cannot be full */
	k = &m->keys[m->nkeys++];
	snprintf(k->name, sizeof(k->name), "%s", name);
	k->status = dkimkey_fetch(m->resolver, m->budget, s, d, &k->key, &k->error);
	return k;
}

static enum vres verify_sig(struct arcverify_msg *m, const struct dkimtags *t,
			    const struct strbuf *data, const char **why)
{
	unsigned char sig[DKIMKEY_MAX_SIG];
	size_t siglen;
	struct arc_key *k;

	if (dkimtags_base64(dkimtags_get(t, "b"), sig, sizeof(sig), &siglen) < 0 || siglen == 0) {
		*why = "b= is empty or not base64";
		return V_FAIL;
	}
	k = get_key(m, dkimtags_get(t, "s"), dkimtags_get(t, "d"));
	if (k->status != DKIMKEY_OK) {
		*why = k->error;
		return k->status == DKIMKEY_TEMP ? V_TEMP : V_FAIL;
	}
	if (!dkimkey_verify_rsa_sha256(k->key, data->s, data->len, sig, siglen)) {
		*why = "signature does not verify";
		return V_FAIL;
	}
	return V_PASS;
}

/* The bottom-most field called name (n bytes) not yet used, or -1. */
static long find_field(const struct arcverify_msg *m, const char *name, size_t n,
		       const unsigned char *used, size_t self)
{
	for (size_t i = m->nheaders; i-- > 0;) {
		const char *hn = m->headers[i].name;

		if (!used[i] && i != self && strlen(hn) == n && strncasecmp(hn, name, n) == 0)
			return (long)i;
	}
	return -1;
}

/* RFC 6376 5.4.2: the fields h= names, bottom-up, then the signature
 * itself with b= empty and no CRLF. */
static int ams_signed_data(const struct arcverify_msg *m, const struct arc_field *f,
			   const struct ams_params *p, struct strbuf *sb)
{
	const char *h = dkimtags_get(&f->tags, "h");
	const struct arc_header *self = &m->headers[f->header];
	unsigned char *used = calloc(m->nheaders, 1);
	unsigned count = 0;
	char *unsigned_self;

	if (used == NULL)
		return -1;
	for (const char *q = skip_fws(h); *q && count <= ARC_MAX_SIGNED_FIELDS; count++) {
		size_t n = strcspn(q, ":"), len = n;
		long i;

		while (len > 0 && is_fws(q[len - 1]))
			len--;
		if (len > 0 && (i = find_field(m, q, len, used, f->header)) >= 0) {
			used[i] = 1;
			dkimcanon_header(sb, p->hcanon, m->headers[i].name, m->headers[i].value, 1);
		}
		q = skip_fws(q + n + (q[n] == ':'));
	}
	free(used);
	if (count > ARC_MAX_SIGNED_FIELDS ||
	    (unsigned_self = dkimtags_without_b(self->value)) == NULL)
		return -1;
	dkimcanon_header(sb, p->hcanon, self->name, unsigned_self, 0);
	free(unsigned_self);
	return sb->failed ? -1 : 0;
}

static enum vres verify_ams(struct arcverify_msg *m, unsigned inst, const char **why)
{
	const struct arc_field *f = m->set[inst - 1][ARC_AMS];
	const struct body_hash *h = m->ams_hash[inst - 1];
	struct ams_params p;
	struct strbuf sb;
	enum vres r;

	if ((*why = arcchain_ams_params(f, &p)) != NULL)
		return V_FAIL;
	if (h == NULL)
		*why = "too many different body hashes to check";
	else if (p.has_limit && h->count < p.limit)
		*why = "body shorter than l=";
	else if (h->dlen != p.bhlen || memcmp(h->digest, p.bh, p.bhlen) != 0)
		*why = "body hash mismatch";
	if (*why != NULL)
		return V_FAIL;
	sb_init(&sb, ARC_MAX_SIGNED_BYTES);
	if (ams_signed_data(m, f, &p, &sb) < 0) {
		*why = "signed header fields too large";
		r = V_FAIL;
	} else {
		r = verify_sig(m, &f->tags, &sb, why);
	}
	sb_free(&sb);
	return r;
}

/* RFC 8617 5.1.1: the sets 1..inst in order, each as AAR, AMS, AS,
 * relaxed; the seal being checked last, with b= empty and no CRLF. */
static enum vres verify_as(struct arcverify_msg *m, unsigned inst, const char **why)
{
	struct strbuf sb;
	enum vres r;

	sb_init(&sb, ARC_MAX_SIGNED_BYTES);
	for (unsigned i = 1; i <= inst; i++) {
		for (int k = 0; k < ARC_KINDS; k++) {
			const struct arc_header *h = &m->headers[m->set[i - 1][k]->header];
			char *v;

			if (i < inst || k != ARC_AS) {
				dkimcanon_header(&sb, DKIMCANON_RELAXED, h->name, h->value, 1);
			} else if ((v = dkimtags_without_b(h->value)) != NULL) {
				dkimcanon_header(&sb, DKIMCANON_RELAXED, h->name, v, 0);
				free(v);
			} else {
				sb.failed = 1;
			}
		}
	}
	if (sb.failed) {
		*why = "sealed header fields too large";
		r = V_FAIL;
	} else {
		r = verify_sig(m, &m->set[inst - 1][ARC_AS]->tags, &sb, why);
	}
	sb_free(&sb);
	return r;
}

/* Step 5: the lowest instance from which on every AMS verifies. */
static unsigned oldest_pass(struct arcverify_msg *m)
{
	const char *why;

	for (unsigned i = m->nsets - 1; i >= 1; i--)
		if (verify_ams(m, i, &why) != V_PASS)
			return i + 1;
	return 0;
}

/* Steps 4-7. A key that cannot be fetched for now makes the result
 * temperror, unless another signature fails for good. */
void arcchain_validate(struct arcverify_msg *m)
{
	unsigned n = m->nsets;
	const char *why;
	int temp = 0;
	enum vres r = verify_ams(m, n, &why);

	if (r == V_FAIL) {
		arcchain_fail(m, "ARC-Message-Signature i=%u: %s", n, why);
		return;
	}
	if (r == V_TEMP) {
		temp = 1;
		snprintf(m->reason, sizeof(m->reason), "ARC-Message-Signature i=%u: %s", n, why);
	}
	for (unsigned i = n; i >= 1; i--) {
		r = verify_as(m, i, &why);
		if (r == V_FAIL) {
			arcchain_fail(m, "ARC-Seal i=%u: %s", i, why);
			return;
		}
		if (r == V_TEMP && !temp) {
			temp = 1;
			snprintf(m->reason, sizeof(m->reason), "ARC-Seal i=%u: %s", i, why);
		}
	}
	m->decided = 1;
	m->verdict = temp ? ARC_CV_TEMPERROR : ARC_CV_PASS;
	if (!temp)
		m->oldest_pass = oldest_pass(m);
}
