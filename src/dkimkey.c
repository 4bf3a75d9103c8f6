/* DKIM keys: TXT record -> tag list -> SubjectPublicKeyInfo -> EVP_PKEY.
 * The cryptography is libcrypto's; this file only checks what RFC 6376
 * 3.6.1 and RFC 8301 ask of a key before it may be used. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "mailsift/dkimkey.h"
#include "mailsift/dkimtags.h"

/* The TXT record's character-strings joined; -1 if malformed or too long. */
static int txt_text(const unsigned char *d, int len, char *out, size_t cap)
{
	size_t o = 0;

	for (int off = 0; off < len;) {
		size_t n = d[off++];

		if ((size_t)(len - off) < n || o + n >= cap)
			return -1;
		memcpy(out + o, d + off, n);
		o += n;
		off += (int)n;
	}
	out[o] = '\0';
	return memchr(out, '\0', o) == NULL ? 0 : -1;
}

enum dkimkey_status dkimkey_fetch(struct dns_resolver *r, struct dns_budget *b,
				  const char *selector, const char *domain, EVP_PKEY **key_r,
				  const char **error_r)
{
	char name[DNS_NAME_MAX + 1], text[DKIMKEY_MAX_RECORD];
	struct dns_answer a;
	enum dns_status st;
	int n = snprintf(name, sizeof(name), "%s._domainkey.%s", selector, domain);

	if (n < 0 || (size_t)n >= sizeof(name)) {
		*error_r = "key name too long";
		return DKIMKEY_FAIL;
	}
	st = dns_query(r, b, name, DNS_TYPE_TXT, &a);
	if (st == DNS_TEMP || st == DNS_BUDGET) {
		*error_r = "key lookup failed for now";
		return DKIMKEY_TEMP;
	}
	if (st != DNS_OK || a.count == 0) {
		if (st == DNS_OK)
			dns_answer_free(&a);
		*error_r = "no key record";
		return DKIMKEY_FAIL;
	}
	/* RFC 6376 6.1.2: with several records, the verifier may pick one */
	n = txt_text(a.data[0], a.len[0], text, sizeof(text));
	dns_answer_free(&a);
	if (n < 0) {
		*error_r = "key record malformed or too long";
		return DKIMKEY_FAIL;
	}
	return dkimkey_parse(text, key_r, error_r);
}

/* 1 if the colon-separated list holds word. */
static int list_has(const char *list, const char *word)
{
	size_t wl = strlen(word);

	for (const char *p = list; *p;) {
		size_t n;

		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		n = strcspn(p, ": \t\r\n");
		if (n == wl && strncmp(p, word, wl) == 0)
			return 1;
		p += n;
		p += strcspn(p, ":");
		if (*p == ':')
			p++;
	}
	return 0;
}

static const char *check_tags(const struct dkimtags *t)
{
	const char *v = dkimtags_get(t, "v"), *k = dkimtags_get(t, "k");
	const char *h = dkimtags_get(t, "h"), *s = dkimtags_get(t, "s");

	if (v != NULL && strcmp(v, "DKIM1") != 0)
		return "unknown key version";
	if (k != NULL && strcmp(k, "rsa") != 0)
		return "unsupported key type";
	if (h != NULL && !list_has(h, "sha256"))
		return "key does not allow sha256";
	if (s != NULL && !list_has(s, "*") && !list_has(s, "email"))
		return "key not for email";
	if (dkimtags_get(t, "p") == NULL)
		return "key record without p=";
	return NULL;
}

static EVP_PKEY *decode_key(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	EVP_PKEY *key = d2i_PUBKEY(NULL, &p, (long)len);

	/* some publish the bare PKCS#1 RSAPublicKey */
	if (key == NULL) {
		p = der;
		key = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)len);
	}
	ERR_clear_error();
	return key;
}

enum dkimkey_status dkimkey_parse(const char *record, EVP_PKEY **key_r, const char **error_r)
{
	unsigned char der[DKIMKEY_MAX_RECORD];
	struct dkimtags t;
	EVP_PKEY *key;
	size_t len = 0;

	if (dkimtags_parse(record, &t, error_r) < 0) {
		*error_r = "key record syntax error";
		return DKIMKEY_FAIL;
	}
	*error_r = check_tags(&t);
	if (*error_r == NULL && dkimtags_base64(dkimtags_get(&t, "p"), der, sizeof(der), &len) < 0)
		*error_r = "key p= is not base64";
	dkimtags_free(&t);
	if (*error_r != NULL)
		return DKIMKEY_FAIL;
	if (len == 0) {
		*error_r = "key revoked";
		return DKIMKEY_FAIL;
	}
	if ((key = decode_key(der, len)) == NULL || EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
		*error_r = "key does not decode to an RSA key";
		EVP_PKEY_free(key);
		return DKIMKEY_FAIL;
	}
	if (EVP_PKEY_get_bits(key) < DKIMKEY_MIN_RSA_BITS) {
		*error_r = "RSA key shorter than 1024 bits";
		EVP_PKEY_free(key);
		return DKIMKEY_FAIL;
	}
	*key_r = key;
	return DKIMKEY_OK;
}

int dkimkey_verify_rsa_sha256(EVP_PKEY *key, const void *data, size_t len, const unsigned char *sig,
			      size_t siglen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = 0;

	if (ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
	    EVP_DigestVerifyUpdate(ctx, data, len) == 1)
		ok = EVP_DigestVerifyFinal(ctx, sig, siglen) == 1;
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}
